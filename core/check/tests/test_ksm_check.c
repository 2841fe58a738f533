// SPDX-License-Identifier: MIT
/*
 * test_ksm_check.c - each KSM clause (10.1-10.9, the KSM locks of 14.1)
 * fire on a state corrupted the way a KSM bug would leave it, and only
 * then: every test first builds a legitimate state with ksmd, checks it is
 * clean, corrupts one thing, and asserts the report names the clause.
 */
#include <check.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/inject.h"
#include "mmt/ksm.h"
#include "mmt/list.h"
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

/* a pointer to an object of @pool that is freed (what a use after free holds) */
static void *freed(struct pool *pool)
{
	bool fresh;
	/* a typesafe pool's object keeps its initialised lock: not pool_alloc's zeroing */
	void *obj = pool->typesafe ? pool_alloc_typesafe(pool, &fresh) : pool_alloc(pool);

	ck_assert_ptr_nonnull(obj);
	pool_free(pool, obj);
	return obj;
}

/* the stable node of the KSM page a and b share, and its first rmap_item */
static struct ksm_stable_node *merged_node(struct ksm_rmap_item **item)
{
	struct ksm_stable_node *node = folio_stable_node(merged());

	ck_assert_ptr_nonnull(node);
	if (item)
		*item = list_first_entry(&node->hlist, struct ksm_rmap_item, hlist);
	return node;
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

/*
 * 10.10: a KSM folio is order 0.  The corruption is a large anon folio
 * turned KSM (what a merge that skipped the split would leave): the
 * folio's clause names the order.
 */
START_TEST(test_ksm_folio_large)
{
	struct folio *f;
	uintptr_t m;

	world_destroy(w);
	{
		struct world_config cfg;

		world_config_default(&cfg);
		cfg.nodes = 2;
		cfg.frames = 64;
		cfg.thp_orders = 0x04;
		w = world_create(&cfg);
		ck_assert_ptr_nonnull(w);
	}
	a = mm_alloc();
	ck_assert_int_eq(do_mmap(a, 0x10, 4, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_madvise(a, 0x10, 4, MADV_HUGEPAGE), 0);
	wr(a, 0x10, 7);
	f = at(a, 0x10);
	ck_assert_int_eq(f->order, 2);
	/* read-only and not exclusive, as a merge would leave its ptes */
	ck_assert_int_eq(do_mprotect(a, 0x10, 4, PROT_READ), 0);
	for (unsigned i = 0; i < 4; i++)
		ClearPageAnonExclusive(folio_page(f, i));
	assert_clean();
	m = f->mapping;
	f->mapping = PAGE_MAPPING_KSM;		/* KSM, no stable node: legal at order 0 */
	assert_first(INV_KSM, "KSM folios are order 0");
	f->mapping = m;
	assert_clean_again();
	mmput(a);
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
	/* a freed node of the pool: the folio's clause comes first */
	k->mapping = (uintptr_t)freed(&w->stable_node_pool) | PAGE_MAPPING_KSM;
	assert_first(INV_KSM, "which is freed");
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
	/* the folio's clause (10.2, in chk_frames) first, then the node's leak */
	assert_first(INV_KSM, "is in no stable tree and not on migrate_nodes");
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

/* ==================================== 10.3: the trees, as chk_ksm_census walks them */

START_TEST(test_ksm_tree_holds_dead)
{
	struct ksm_stable_node *node = merged_node(NULL);
	struct ksm_stable_node *dead = freed(&w->stable_node_pool);

	/* a freed node left linked in the tree: the root names it */
	w->ksm.root_stable_tree[0].node = &dead->node;
	assert_first(INV_KSM, "not a live stable node");
	ck_assert_str_eq(mmt_report.first.object, "stable tree 0");
	w->ksm.root_stable_tree[0].node = &node->node;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_tree_reached_twice)
{
	struct ksm_stable_node *node = merged_node(NULL);

	/* one node in two trees */
	w->ksm.root_stable_tree[1].node = &node->node;
	assert_first(INV_KSM, "reached twice from the stable trees");
	w->ksm.root_stable_tree[1].node = NULL;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_tree_loops)
{
	struct ksm_stable_node *node = merged_node(NULL);

	/* a child link back to the node itself: the walk meets it again */
	ck_assert_ptr_null(node->node.left);
	node->node.left = &node->node;
	assert_first(INV_KSM, "reached twice from the stable trees (or a tree loops)");
	node->node.left = NULL;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_tree_parent_link)
{
	struct ksm_stable_node *node = merged_node(NULL);

	/* the root's parent link is NULL; make it name a node */
	ck_assert_ptr_null(node->node.parent);
	node->node.parent = &node->node;
	assert_first(INV_KSM, "its parent link does not name its parent in tree 0");
	node->node.parent = NULL;
	assert_clean_again();
}
END_TEST

/* ============================== the mm list and rmap_lists (chk_ksm_census) */

START_TEST(test_ksm_mm_list_holds_dead)
{
	struct ksm_mm_slot *dead;
	struct list_head *first;

	merged();
	dead = freed(&w->mm_slot_pool);	/* after merged(), which would reuse it */
	first = w->ksm.mm_head.mm_list.next;
	w->ksm.mm_head.mm_list.next = &dead->mm_list;
	assert_first(INV_KSM, "not a live mm_slot");
	ck_assert_str_eq(mmt_report.first.object, "ksm mm list");
	w->ksm.mm_head.mm_list.next = first;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_mm_list_loops)
{
	struct ksm_mm_slot *slot;
	struct list_head *next;

	merged();
	slot = a->ksm_slot;
	ck_assert_ptr_nonnull(slot);
	next = slot->mm_list.next;
	slot->mm_list.next = &slot->mm_list;
	assert_first(INV_KSM, "loops");
	ck_assert_str_eq(mmt_report.first.object, "ksm mm list");
	slot->mm_list.next = next;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_rmap_list_holds_dead)
{
	struct ksm_rmap_item *dead;
	struct ksm_mm_slot *slot;
	struct ksm_rmap_item *first;

	merged();
	dead = freed(&w->rmap_item_pool);
	slot = a->ksm_slot;
	ck_assert_ptr_nonnull(slot);
	first = slot->rmap_list;
	slot->rmap_list = dead;
	assert_first(INV_KSM, "rmap_list holds");
	slot->rmap_list = first;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_rmap_list_reached_twice)
{
	struct ksm_mm_slot *slot;
	struct ksm_rmap_item *last;

	merged();
	slot = a->ksm_slot;
	ck_assert_ptr_nonnull(slot);
	ck_assert_ptr_nonnull(slot->rmap_list);
	for (last = slot->rmap_list; last->rmap_list; last = last->rmap_list)
		;
	/* the list's tail links back to its head */
	last->rmap_list = slot->rmap_list;
	assert_first(INV_KSM, "reached twice");
	ck_assert_msg(strstr(mmt_report.first.object, "mm_slot"), "%s", mmt_report.first.object);
	last->rmap_list = NULL;
	assert_clean_again();
}
END_TEST

/* ====================================== migrate_nodes (chk_ksm_census, chk_ksm) */

START_TEST(test_ksm_migrate_nodes_holds_dead)
{
	struct ksm_stable_node *dead;

	merged();
	dead = freed(&w->stable_node_pool);
	ck_assert(list_empty(&w->ksm.migrate_nodes));
	w->ksm.migrate_nodes.next = &dead->list;
	assert_first(INV_KSM, "not a live stable node");
	ck_assert_str_eq(mmt_report.first.object, "migrate_nodes");
	w->ksm.migrate_nodes.next = &w->ksm.migrate_nodes;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_migrate_nodes_and_tree)
{
	struct ksm_stable_node *node = merged_node(NULL);
	struct list_head saved = node->list;

	/* in tree 0 and on migrate_nodes at once */
	ck_assert(list_empty(&w->ksm.migrate_nodes));
	list_add(&node->list, &w->ksm.migrate_nodes);
	assert_first(INV_KSM, "on migrate_nodes and also elsewhere");
	INIT_LIST_HEAD(&w->ksm.migrate_nodes);
	node->list = saved;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_migrate_nodes_no_head)
{
	struct ksm_stable_node *node = merged_node(NULL);
	struct list_head saved = node->list;

	/* moved from its tree to migrate_nodes without setting head */
	ck_assert(list_empty(&w->ksm.migrate_nodes));
	w->ksm.root_stable_tree[0].node = NULL;
	list_add(&node->list, &w->ksm.migrate_nodes);
	ck_assert_ptr_null(node->head);
	assert_first(INV_KSM, "on migrate_nodes but head does not say so");
	/* with head set, the same state is legal: the clause is the head */
	node->head = &w->ksm.migrate_nodes;
	assert_clean_again();
	node->head = NULL;
	INIT_LIST_HEAD(&w->ksm.migrate_nodes);
	node->list = saved;
	w->ksm.root_stable_tree[0].node = &node->node;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_tree_across_nodes)
{
	struct ksm_stable_node *node = merged_node(NULL);

	/* in tree 1, nid 1, consistent but for merge_across_nodes 1 */
	ck_assert(w->ksm.merge_across_nodes);
	w->ksm.root_stable_tree[0].node = NULL;
	w->ksm.root_stable_tree[1].node = &node->node;
	node->nid = 1;
	assert_first(INV_KSM, "in stable tree 1 with merge_across_nodes 1");
	node->nid = 0;
	w->ksm.root_stable_tree[1].node = NULL;
	w->ksm.root_stable_tree[0].node = &node->node;
	assert_clean_again();
}
END_TEST

/* ================================================ 10.4: hlists and rmap_items */

START_TEST(test_ksm_hlist_holds_dead)
{
	struct ksm_stable_node *node = merged_node(NULL);
	struct ksm_rmap_item *dead = freed(&w->rmap_item_pool);
	struct list_head *first = node->hlist.next;

	node->hlist.next = &dead->hlist;
	assert_first(INV_KSM, "hlist holds");
	ck_assert_msg(strstr(mmt_report.first.msg, "not a live rmap_item"), "%s",
		      mmt_report.first.msg);
	node->hlist.next = first;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_item_stable_elsewhere)
{
	struct ksm_rmap_item *item;
	struct ksm_stable_node *node = merged_node(&item);

	/*
	 * Flagged stable but naming no node, while on node's hlist (clearing
	 * the flag instead trips ANONVMA first: the item's reference stops
	 * counting).  "stable on freed node" follows; this clause comes first.
	 */
	item->head = NULL;
	assert_first(INV_KSM, "is not stable on it");
	item->head = node;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_item_freed_anon_vma)
{
	struct ksm_rmap_item *item;
	struct anon_vma *av;

	merged_node(&item);
	av = item->anon_vma;
	/*
	 * The item drops its reference and keeps the pointer: av's count
	 * agrees (ANONVMA is quiet), the pointer names a freed anon_vma.
	 */
	item->anon_vma = freed(&w->anon_vma_pool);
	atomic_fetch_sub(&av->refcount, 1);
	assert_first(INV_KSM, "holds freed anon_vma");
	atomic_fetch_add(&av->refcount, 1);
	item->anon_vma = av;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_item_wrong_mm)
{
	struct ksm_rmap_item *item;
	struct mm_struct *mm;

	merged_node(&item);
	mm = item->mm;
	ck_assert(mm == a || mm == b);
	item->mm = mm == a ? b : a;
	assert_first(INV_KSM, "but names mm");
	item->mm = mm;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_item_stable_and_unstable)
{
	struct ksm_rmap_item *item;

	merged_node(&item);
	item->flags |= KSM_UNSTABLE_FLAG;
	assert_first(INV_KSM, "both stable and unstable");
	item->flags &= ~KSM_UNSTABLE_FLAG;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_item_stable_on_freed_node)
{
	struct ksm_rmap_item *item;
	struct ksm_stable_node *node = merged_node(&item);
	struct list_head *prev;

	/* the item left its node's hlist, the node was freed, head kept */
	prev = item->hlist.prev;
	list_del_init(&item->hlist);
	item->head = freed(&w->stable_node_pool);
	assert_first(INV_KSM, "stable on freed node");
	item->head = node;
	list_add(&item->hlist, prev);
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_item_off_hlist)
{
	struct ksm_rmap_item *item;
	struct list_head *prev;

	merged_node(&item);
	/* stable on a live node but not on its hlist */
	prev = item->hlist.prev;
	list_del_init(&item->hlist);
	assert_first(INV_KSM, "2 rmap_items are stable but 1 sit on stable nodes' hlists");
	list_add(&item->hlist, prev);
	assert_clean_again();
}
END_TEST

/* ================================================== 10.7: mm_slots and their mms */

START_TEST(test_ksm_slot_freed_mm)
{
	struct mm_struct *dead;
	struct ksm_mm_slot *slot;
	struct ksm_rmap_item *item;

	merged();
	dead = freed(&w->mm_pool);
	slot = a->ksm_slot;
	ck_assert_ptr_nonnull(slot);
	/* the slot and its items agree on an mm that is freed */
	slot->mm = dead;
	for (item = slot->rmap_list; item; item = item->rmap_list)
		item->mm = dead;
	assert_first(INV_KSM, "holds freed mm");
	slot->mm = a;
	for (item = slot->rmap_list; item; item = item->rmap_list)
		item->mm = a;
	assert_clean_again();
}
END_TEST

START_TEST(test_ksm_slot_mm_not_back)
{
	struct ksm_mm_slot *slot;

	merged();
	slot = a->ksm_slot;
	ck_assert_ptr_nonnull(slot);
	a->ksm_slot = b->ksm_slot;
	assert_first(INV_KSM, "does not point back at it");
	a->ksm_slot = slot;
	assert_clean_again();
}
END_TEST

/* ===================================================================== 10.8 */

START_TEST(test_ksm_unmerged_still_mapped)
{
	merged();
	/* run = 2 claims to have unmerged everything, yet a and b map the page */
	atomic_store(&w->ksm.unmerged_all, true);
	assert_first(INV_KSM, "after run = 2 unmerged everything");
	atomic_store(&w->ksm.unmerged_all, false);
	assert_clean_again();
	/* and the real run = 2 leaves nothing for the clause */
	ck_assert_int_eq(ksm_set_run(2), 0);
	ck_assert(atomic_load(&w->ksm.unmerged_all));
	ck_assert(!folio_test_ksm(at(a, 0x10)));
	assert_clean_again();
}
END_TEST

/* ===================================================================== 10.9 */

static struct ksm_rmap_item *item_at(struct mm_struct *mm, uint64_t addr)
{
	struct ksm_rmap_item *item;

	for (item = mm->ksm_slot->rmap_list; item; item = item->rmap_list)
		if (item->address == addr)
			return item;
	ck_abort_msg("no rmap_item at %#llx", (unsigned long long)addr);
	return NULL;
}

static void move_item(struct ksm_rmap_item *item, struct ksm_stable_node *to)
{
	list_move(&item->hlist, &to->hlist);
	item->head = to;
}

START_TEST(test_ksm_item_maps_other_page)
{
	struct folio *k1 = merged(), *k2;
	struct ksm_stable_node *n1 = folio_stable_node(k1), *n2;
	struct ksm_rmap_item *item;

	/* a second KSM page at 0x11, shared the same way */
	wr(a, 0x11, 8);
	wr(b, 0x11, 8);
	ksmd_run(100);
	ksmd_run(100);
	k2 = at(a, 0x11);
	ck_assert(folio_test_ksm(k2) && k2 != k1);
	n2 = folio_stable_node(k2);
	assert_clean();
	/* a's item at 0x10 filed under the other node: its address maps k1 */
	item = item_at(a, 0x10);
	ck_assert_ptr_eq(item->head, n1);
	move_item(item, n2);
	assert_first(INV_KSM, "KSM since before the item went stable");
	move_item(item, n1);
	assert_clean_again();
	/* legal: a COW leaves the item behind until ksmd returns to it */
	wr(a, 0x10, 9);
	ck_assert(!folio_test_ksm(at(a, 0x10)));
	ck_assert_ptr_eq(item->head, n1);
	assert_clean_again();
}
END_TEST

/* ================================================= 14.1 for KSM's own locks */

START_TEST(test_ksm_locks_held)
{
	merged();
	mutex_lock(&w->ksm.ksm_thread_mutex);
	assert_first(INV_LOCKORDER, "ksm_thread_mutex held at a quiescent point");
	mutex_unlock(&w->ksm.ksm_thread_mutex);
	assert_clean_again();
	spin_lock(&w->ksm.ksm_mmlist_lock);
	assert_first(INV_LOCKORDER, "ksm_mmlist_lock held at a quiescent point");
	spin_unlock(&w->ksm.ksm_mmlist_lock);
	assert_clean_again();
}
END_TEST

/* =================================================================== 13.4 */

START_TEST(test_ksm_empty_items_slots_left)
{
	void *obj;

	merged();
	mmput(a);
	mmput(b);
	ksmd_reap();
	mmt_report_reset();
	assert_empty();
	/* an rmap_item ksmd did not free */
	obj = pool_alloc(&w->rmap_item_pool);
	ck_assert_ptr_nonnull(obj);
	mmt_report_reset();
	ck_assert_int_gt(check_world_empty(), 0);
	ck_assert_msg(mmt_report.first.inv == INV_LEAK &&
		      strstr(mmt_report.first.msg, "1 rmap_items left after ksmd let go"),
		      "got %s: %s", mmt_invariant_name(mmt_report.first.inv),
		      mmt_report.first.msg);
	pool_free(&w->rmap_item_pool, obj);
	/* an mm_slot ksmd did not free */
	obj = pool_alloc(&w->mm_slot_pool);
	ck_assert_ptr_nonnull(obj);
	mmt_report_reset();
	ck_assert_int_gt(check_world_empty(), 0);
	ck_assert_msg(mmt_report.first.inv == INV_LEAK &&
		      strstr(mmt_report.first.msg, "1 mm_slots left after ksmd let go"),
		      "got %s: %s", mmt_invariant_name(mmt_report.first.inv),
		      mmt_report.first.msg);
	pool_free(&w->mm_slot_pool, obj);
	mmt_report_reset();
	assert_empty();
}
END_TEST

START_TEST(test_ksm_empty_page_kept)
{
	struct folio *k = merged();

	/* a reference nobody drops keeps the KSM page, and its node, live */
	folio_get(k);
	mmput(a);
	mmput(b);
	ksmd_reap();
	mmt_report_reset();
	ck_assert_int_gt(check_world_empty(), 0);
	ck_assert_msg(mmt_report.first.inv == INV_LEAK &&
		      strstr(mmt_report.first.msg, "still allocated after every process exited"),
		      "got %s: %s", mmt_invariant_name(mmt_report.first.inv),
		      mmt_report.first.msg);
	folio_put(k);
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
	tcase_add_test(tc, test_ksm_folio_large);
	tcase_add_test(tc, test_ksm_kpfn_stale);
	tcase_add_test(tc, test_ksm_node_freed);
	tcase_add_test(tc, test_ksm_node_wrong_tree);
	tcase_add_test(tc, test_ksm_node_unreachable);
	tcase_add_test(tc, test_ksm_item_not_stable);
	tcase_add_test(tc, test_ksm_item_maps_other_page);
	tcase_add_test(tc, test_ksm_merged_across_nodes);
	tcase_add_test(tc, test_ksm_stale_node_unpruned);
	tcase_add_test(tc, test_ksm_counters);
	tcase_add_test(tc, test_ksm_item_leaked);
	tcase_add_test(tc, test_ksm_slot_leaked);
	tcase_add_test(tc, test_ksm_anon_vma_ref);
	tcase_add_test(tc, test_ksm_empty_after_reap);
	tcase_add_test(tc, test_ksm_tree_holds_dead);
	tcase_add_test(tc, test_ksm_tree_reached_twice);
	tcase_add_test(tc, test_ksm_tree_loops);
	tcase_add_test(tc, test_ksm_tree_parent_link);
	tcase_add_test(tc, test_ksm_mm_list_holds_dead);
	tcase_add_test(tc, test_ksm_mm_list_loops);
	tcase_add_test(tc, test_ksm_rmap_list_holds_dead);
	tcase_add_test(tc, test_ksm_rmap_list_reached_twice);
	tcase_add_test(tc, test_ksm_migrate_nodes_holds_dead);
	tcase_add_test(tc, test_ksm_migrate_nodes_and_tree);
	tcase_add_test(tc, test_ksm_migrate_nodes_no_head);
	tcase_add_test(tc, test_ksm_tree_across_nodes);
	tcase_add_test(tc, test_ksm_hlist_holds_dead);
	tcase_add_test(tc, test_ksm_item_stable_elsewhere);
	tcase_add_test(tc, test_ksm_item_freed_anon_vma);
	tcase_add_test(tc, test_ksm_item_wrong_mm);
	tcase_add_test(tc, test_ksm_item_stable_and_unstable);
	tcase_add_test(tc, test_ksm_item_stable_on_freed_node);
	tcase_add_test(tc, test_ksm_item_off_hlist);
	tcase_add_test(tc, test_ksm_slot_freed_mm);
	tcase_add_test(tc, test_ksm_slot_mm_not_back);
	tcase_add_test(tc, test_ksm_unmerged_still_mapped);
	tcase_add_test(tc, test_ksm_locks_held);
	tcase_add_test(tc, test_ksm_empty_items_slots_left);
	tcase_add_test(tc, test_ksm_empty_page_kept);
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
