// SPDX-License-Identifier: MIT
/*
 * test_ksm_check.c - each KSM clause (10.1-10.7) and the KSM LEAK clauses
 * fire on a state corrupted the way a KSM bug would leave it, and only
 * then: every test first builds a legitimate state with ksmd, checks it is
 * clean, corrupts one thing, and asserts the report names the clause.
 */
#include <check.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/inject.h"
#include "mmt/ksm.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/pte.h"
#include "mmt/world.h"

#include "mmt_test.h"

/* the first report is @inv and its message holds @what */
#define assert_first(want, what)						\
	do {									\
		mmt_report_reset();						\
		ck_assert_int_gt(check_world(), 0);				\
		ck_assert_msg(mmt_report.first.inv == (want) &&			\
			      strstr(mmt_report.first.msg, what),		\
			      "expected %s '%s', got %s: %s",			\
			      mmt_invariant_name(want), what,			\
			      mmt_invariant_name(mmt_report.first.inv),	\
			      mmt_report.first.msg);				\
	} while (0)

/* check_world reports @inv with @what somewhere among its reports */
#define assert_any(want, what)							\
	do {									\
		mmt_report_reset();						\
		ck_assert_int_gt(check_world(), 0);				\
		ck_assert_msg(mmt_report.inv_mask & (1ull << (want)),		\
			      "expected %s, first: %s", mmt_invariant_name(want),	\
			      mmt_report.first.msg);				\
		(void)(what);							\
	} while (0)

/* clean again once the corruption is undone */
#define assert_clean_again()	do { mmt_report_reset(); assert_clean(); } while (0)

static struct mm_struct *a, *b;

static struct folio *at(struct mm_struct *mm, uint64_t addr)
{
	pte_t *p = mmt_pte_peek(mm, addr);

	ck_assert(p && pte_present(*p));
	return pfn_folio(pte_pfn(*p));
}

/* a and b share a KSM page at 0x10 */
static struct folio *merged(void)
{
	a = mm_alloc();
	b = mm_alloc();
	ck_assert_int_eq(do_mmap(a, 0x10, 2, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_mmap(b, 0x10, 2, RW, PRIV_ANON), 0);
	wr(a, 0x10, 7);
	wr(b, 0x10, 7);
	do_madvise(a, 0x10, 2, MADV_MERGEABLE);
	do_madvise(b, 0x10, 2, MADV_MERGEABLE);
	ksmd_run(100);
	ksmd_run(100);
	ck_assert(folio_test_ksm(at(a, 0x10)));
	ck_assert_ptr_eq(at(a, 0x10), at(b, 0x10));
	assert_clean();
	return at(a, 0x10);
}

START_TEST(test_ksm_writable)
{
	struct folio *k = merged();
	pte_t *p = mmt_pte_peek(a, 0x10);

	mmt_set_pte(p, pte_mkwrite(*p));
	assert_any(INV_KSM, "mapped writable");
	mmt_set_pte(p, pte_wrprotect(*p));
	assert_clean_again();
	SetPageAnonExclusive(&k->page);
	assert_any(INV_KSM, "AnonExclusive");
}
END_TEST

START_TEST(test_ksm_kpfn_stale)
{
	struct folio *k = merged();
	struct ksm_stable_node *node = folio_stable_node(k);
	uint32_t kpfn = atomic_load(&node->kpfn);

	/* ksm-migrate-stale-kpfn's state: the node names the old frame */
	atomic_store(&node->kpfn, kpfn + 1);
	assert_first(INV_KSM, "not back at this folio");
	atomic_store(&node->kpfn, kpfn);
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_node_freed)
{
	struct folio *k = merged();
	uintptr_t m = k->mapping;

	/* a stable node that is not one (freed, or never allocated) */
	k->mapping = (uintptr_t)&w->ksm.migrate_nodes | PAGE_MAPPING_KSM;
	assert_any(INV_KSM, "which is freed");
	k->mapping = m;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_node_wrong_tree)
{
	struct folio *k = merged();
	struct ksm_stable_node *node = folio_stable_node(k);

	node->nid = 1;
	assert_first(INV_KSM, "nid 1 but in stable tree 0");
	node->nid = 0;
	node->head = &w->ksm.migrate_nodes;
	assert_first(INV_KSM, "head says migrate_nodes");
	node->head = NULL;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_node_unreachable)
{
	struct folio *k = merged();
	struct ksm_stable_node *node = folio_stable_node(k);

	w->ksm.root_stable_tree[0].node = NULL;
	assert_any(INV_LEAK, "in no stable tree");
	w->ksm.root_stable_tree[0].node = &node->node;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_item_not_stable)
{
	struct folio *k = merged();
	struct ksm_stable_node *node = folio_stable_node(k);
	struct ksm_rmap_item *item = list_first_entry(&node->hlist, struct ksm_rmap_item, hlist);

	item->flags &= ~KSM_STABLE_FLAG;
	/* its anon_vma reference no longer counts either: ANONVMA says so too */
	assert_any(INV_KSM, "is not stable on it");
	item->flags |= KSM_STABLE_FLAG;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_merged_across_nodes)
{
	struct folio *k = merged();
	struct ksm_stable_node *node = folio_stable_node(k);
	struct ksm_rmap_item *item = list_first_entry(&node->hlist, struct ksm_rmap_item, hlist);

	/* ksm-merge-misplaced's state: a node 0 page merged onto node 1's */
	item->merged_per_node = true;
	item->kpage_nid = 1;
	assert_first(INV_KSM, "merge_across_nodes 0");
	item->kpage_nid = item->page_nid;
	assert_clean_again();
}
END_TEST

/*
 * ksm-migrate-nodes-unpruned's state, made by the model with the prune
 * switched off: A's node, misplaced by migration, went to migrate_nodes, its
 * mappings merged onto B's page and its own page was freed.  Stale there
 * before a prune is legal; after the prune it is not.
 */
START_TEST(test_ksm_stale_node_unpruned)
{
	struct mm_struct *m = mm_alloc();

	ck_assert_int_eq(ksm_set_merge_across_nodes(0), 0);
	ck_assert_int_eq(do_mmap(m, 0x10, 4, RW, PRIV_ANON), 0);
	for (uint64_t x = 0x10; x < 0x14; x++)
		wr(m, x, 7);
	ck_assert_int_eq(do_move_pages(m, 0x12, 2, 1, false, NULL), 0);
	do_madvise(m, 0x10, 4, MADV_MERGEABLE);
	ksmd_run(100);
	ksmd_run(100);
	ck_assert_int_eq(do_move_pages(m, 0x10, 1, 1, true, NULL), 0);
	mmt_injected_mask |= 1ull << BUG_KSM_MIGRATE_NODES_UNPRUNED;
	ksmd_run(100);
	ck_assert(!list_empty(&w->ksm.migrate_nodes));
	assert_clean_again();		/* went stale during this pass: not pruned yet */
	ksmd_run(100);
	assert_first(INV_KSM, "after the prune");
	mmt_injected_mask = 0;
	ksmd_run(100);		/* the next prune takes it */
	ck_assert(list_empty(&w->ksm.migrate_nodes));
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_counters)
{
	merged();
	w->ksm.pages_sharing++;
	assert_first(INV_KSM, "pages_shared 1 pages_sharing 2");
	w->ksm.pages_sharing--;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_item_leaked)
{
	struct ksm_rmap_item *item;

	merged();
	item = pool_alloc(&w->rmap_item_pool);
	ck_assert_ptr_nonnull(item);
	INIT_LIST_HEAD(&item->hlist);
	assert_first(INV_LEAK, "on no mm_slot");
	pool_free(&w->rmap_item_pool, item);
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_slot_leaked)
{
	struct ksm_mm_slot *slot;

	merged();
	slot = pool_alloc(&w->mm_slot_pool);
	ck_assert_ptr_nonnull(slot);
	assert_first(INV_LEAK, "not on the KSM mm list");
	pool_free(&w->mm_slot_pool, slot);
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_anon_vma_ref)
{
	struct folio *k = merged();
	struct ksm_stable_node *node = folio_stable_node(k);
	struct ksm_rmap_item *item = list_first_entry(&node->hlist, struct ksm_rmap_item, hlist);

	/* a stable rmap_item holds a reference on its anon_vma */
	atomic_fetch_sub(&item->anon_vma->refcount, 1);
	assert_first(INV_ANONVMA, "KSM rmap_items");
	atomic_fetch_add(&item->anon_vma->refcount, 1);
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_empty_after_reap)
{
	merged();
	mmput(a);
	mmput(b);
	/* before ksmd comes by, the exited mms' items and slots are still there */
	mmt_report_reset();
	ck_assert_int_gt(check_world_empty(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_LEAK));
	ksmd_reap();
	mmt_report_reset();
	assert_empty();
}
END_TEST

static Suite *ksm_check_suite(void)
{
	Suite *s = suite_create("ksm_check");
	TCase *tc = tcase_create("KSM");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ksm_writable);
	tcase_add_test(tc, test_ksm_kpfn_stale);
	tcase_add_test(tc, test_ksm_node_freed);
	tcase_add_test(tc, test_ksm_node_wrong_tree);
	tcase_add_test(tc, test_ksm_node_unreachable);
	tcase_add_test(tc, test_ksm_item_not_stable);
	tcase_add_test(tc, test_ksm_merged_across_nodes);
	tcase_add_test(tc, test_ksm_stale_node_unpruned);
	tcase_add_test(tc, test_ksm_counters);
	tcase_add_test(tc, test_ksm_item_leaked);
	tcase_add_test(tc, test_ksm_slot_leaked);
	tcase_add_test(tc, test_ksm_anon_vma_ref);
	tcase_add_test(tc, test_ksm_empty_after_reap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ksm_check_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
