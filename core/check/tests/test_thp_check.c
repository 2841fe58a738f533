// SPDX-License-Identifier: MIT
/*
 * test_thp_check.c - the large-folio clauses of the checker (core/check/
 * folio.c): per-page MAPCOUNT 1.1, the folio's _large_mapcount,
 * _nr_pages_mapped and _entire_mapcount, the deferred split queue, tail
 * frames (2.x), per-page EXCLUSIVE 7.3 and PROT 8.2, the _pincount of
 * a pinned large folio (PIN), and a huge pmd's clauses (its entire
 * mapcount, ENTIRELY_MAPPED, the head's AnonExclusive under a writable
 * pmd, a pte under a huge pmd, its reference).  Each fires on a state corrupted on purpose
 * and holds once the corruption is undone.
 */
#include <check.h>

#include "mmt/check.h"
#include "mmt/folio.h"
#include "mmt/gup.h"
#include "mmt/huge_mm.h"
#include "mmt/inject.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/world.h"

#include "mmt_test.h"

static void fires(enum mmt_invariant inv)
{
	ck_assert_int_gt(check_world(), 0);
	ck_assert_msg(mmt_report.inv_mask & (1ull << inv), "%s did not fire",
		      mmt_invariant_name(inv));
	mmt_report_reset();
	ck_assert_int_gt(check_world_incremental(), 0);
	ck_assert_msg(mmt_report.inv_mask & (1ull << inv), "%s did not fire (incremental)",
		      mmt_invariant_name(inv));
	mmt_report_reset();
}

/* p0 with a 4-page folio at 0x10, forked to p1 */
static struct folio *thp_setup(struct mm_struct **p, struct mm_struct **c)
{
	pte_t *pte;

	world_again(1, 32, 0x4);
	*p = mm_alloc();
	ck_assert_int_eq(do_mmap(*p, 0x10, 4, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_madvise(*p, 0x10, 4, MADV_HUGEPAGE), 0);
	wr(*p, 0x11, 1);
	*c = NULL;
	ck_assert_int_eq(dup_mm(*p, c), 0);
	pte = mmt_pte_peek(*p, 0x10);
	assert_clean();
	return page_folio(pfn_to_page(pte_pfn(*pte)));
}

START_TEST(large_mapcounts)
{
	struct mm_struct *p, *c;
	struct folio *f = thp_setup(&p, &c);
	struct page *pg2 = folio_page(f, 2);

	ck_assert_int_eq(f->order, 2);
	atomic_fetch_add(&pg2->_mapcount, 1);		/* one page */
	fires(INV_MAPCOUNT);
	atomic_fetch_sub(&pg2->_mapcount, 1);
	atomic_fetch_add(&f->_large_mapcount, 1);	/* the folio's sum */
	fires(INV_MAPCOUNT);
	atomic_fetch_sub(&f->_large_mapcount, 1);
	atomic_fetch_sub(&f->_nr_pages_mapped, 1);
	fires(INV_MAPCOUNT);
	atomic_fetch_add(&f->_nr_pages_mapped, 1);
	atomic_store(&f->_entire_mapcount, 0);
	fires(INV_MAPCOUNT);
	atomic_store(&f->_entire_mapcount, -1);
	folio_set(f, PG_partially_mapped);		/* fully mapped: not queued */
	fires(INV_MAPCOUNT);
	folio_clear(f, PG_partially_mapped);
	assert_clean();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

START_TEST(large_tails_and_exclusive)
{
	struct mm_struct *p, *c;
	struct folio *f = thp_setup(&p, &c);
	struct folio *t = f + 3;
	pte_t *pte = mmt_pte_peek(p, 0x13);

	atomic_store(&t->_refcount, 1);			/* a tail with a reference */
	fires(INV_REFCOUNT);
	atomic_store(&t->_refcount, 0);
	t->tail_off = 7;				/* beyond its folio */
	fires(INV_BUG);
	t->tail_off = 3;
	SetPageAnonExclusive(&t->page);			/* shared with p1 */
	fires(INV_EXCLUSIVE);
	ClearPageAnonExclusive(&t->page);
	*pte = pte_mkwrite(*pte);			/* COW-shared page writable */
	fires(INV_PROT);
	*pte = pte_wrprotect(*pte);
	assert_clean();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

START_TEST(large_pincount)
{
	struct mm_struct *p, *c;
	struct folio *f = thp_setup(&p, &c);

	mmput(c);
	wr(p, 0x12, 2);				/* COW: a copy, order 0 */
	wr(p, 0x13, 3);
	ck_assert_int_eq(pin_user_pages_range(p, 0x10, 1), 0);
	assert_clean();
	atomic_fetch_add(&f->_pincount, 1);
	fires(INV_PIN);
	atomic_fetch_sub(&f->_pincount, 1);
	assert_clean();
	mmput(p);
	assert_empty();
}
END_TEST

/*
 * 1.5, the deferred split queue, and the clauses after a split: each fires
 * on a corrupted queue or a corrupted split result.
 */
START_TEST(split_queue_and_after_split)
{
	struct mm_struct *p, *c;
	struct folio *f = thp_setup(&p, &c);
	struct pglist_data *nd = &w->node[f->nid];
	struct list_head saved;

	mmput(c);
	ck_assert_int_eq(do_munmap(p, 0x12, 1), 0);	/* partly mapped: queued */
	ck_assert_uint_eq(nd->split_queue_len, 1);
	assert_clean();
	nd->split_queue_len++;				/* the count */
	fires(INV_MAPCOUNT);
	nd->split_queue_len--;
	saved = f->_deferred_list;			/* off the queue, flag kept */
	INIT_LIST_HEAD(&nd->split_queue);
	nd->split_queue_len = 0;
	fires(INV_MAPCOUNT);
	folio_clear(f, PG_partially_mapped);		/* partly mapped, not queued */
	fires(INV_MAPCOUNT);
	folio_set(f, PG_partially_mapped);
	nd->split_queue.next = nd->split_queue.prev = &f->_deferred_list;
	f->_deferred_list = saved;
	nd->split_queue_len = 1;
	f->_deferred_list.prev = &f->_deferred_list;	/* a broken prev link */
	fires(INV_MAPCOUNT);
	f->_deferred_list.prev = &nd->split_queue;
	assert_clean();

	ck_assert_uint_eq(deferred_split_scan(0), 1);	/* split: four order-0 folios */
	ck_assert_int_eq(f->order, 0);
	assert_clean();
	atomic_fetch_add(&f[3]._refcount, 1);		/* a new folio's refcount */
	fires(INV_REFCOUNT);
	atomic_fetch_sub(&f[3]._refcount, 1);
	atomic_fetch_add(&f[1].page._mapcount, 1);	/* a new folio's mapcount */
	fires(INV_MAPCOUNT);
	atomic_fetch_sub(&f[1].page._mapcount, 1);
	f[3].tail_off = 3;				/* a half-split tail */
	fires(INV_BUG);
	f[3].tail_off = 0;
	assert_clean();
	mmput(p);
	assert_empty();
}
END_TEST

/*
 * 1.5 across migration: a partially mapped folio on the deferred split
 * queue is split before it moves (7262f208ca68); moved whole, as
 * migrate-partial-no-split does, the new folio is partially mapped and
 * neither flagged nor queued.
 */
START_TEST(migrate_partial_folio)
{
	struct mm_struct *p;
	struct folio *f;
	int st;

	for (int bug = 0; bug < 2; bug++) {
		thp_world(0x4);
		mmt_injected_mask = bug ? 1ull << BUG_MIGRATE_PARTIAL_NO_SPLIT : 0;
		p = mm_alloc();
		ck_assert_int_eq(do_mmap(p, 0x10, 4, RW, PRIV_ANON), 0);
		ck_assert_int_eq(do_madvise(p, 0x10, 4, MADV_HUGEPAGE), 0);
		wr(p, 0x10, 1);
		ck_assert_int_eq(do_munmap(p, 0x13, 1), 0);	/* partly mapped: queued */
		ck_assert_int_eq(do_move_pages(p, 0x10, 1, 1, false, &st), 0);
		ck_assert_int_eq(st, 1);
		f = page_folio(page_at(p, 0x11));
		ck_assert_int_eq(f->nid, 1);
		ck_assert_int_eq(f->order, bug ? 2 : 0);
		mmt_injected_mask = 0;
		if (bug) {
			ck_assert(!folio_test_partially_mapped(f));
			fires(INV_MAPCOUNT);
			ck_assert_int_eq(do_munmap(p, 0x10, 3), 0);
		}
		assert_clean();
		mmput(p);
		assert_empty();
	}
}
END_TEST

/* p0 with a PMD-mapped THP at 0x20 (32 pages, world thp=0x20) */
static struct folio *pmd_setup(struct mm_struct **p)
{
	pmd_t *pmdp;

	world_again(1, 128, 1u << HPAGE_PMD_ORDER);
	*p = mm_alloc();
	ck_assert_int_eq(do_mmap(*p, 0x20, HPAGE_PMD_NR, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_madvise(*p, 0x20, HPAGE_PMD_NR, MADV_HUGEPAGE), 0);
	wr(*p, 0x21, 1);
	pmdp = pmd_offset(*p, 0x20);
	ck_assert(pmdp && pmd_trans_huge(*pmdp));
	assert_clean();
	return pfn_folio(pmd_pfn(*pmdp));
}

START_TEST(huge_pmd_clauses)
{
	struct mm_struct *p, *c = NULL;
	struct folio *f = pmd_setup(&p);
	pmd_t *pmdp = pmd_offset(p, 0x20), old = *pmdp;
	pte_t *under = pmd_pgtable(pmdp) + 3;

	atomic_store(&f->_entire_mapcount, 1);		/* two pmds, says the folio */
	fires(INV_MAPCOUNT);
	atomic_store(&f->_entire_mapcount, 0);
	atomic_fetch_sub(&f->_nr_pages_mapped, ENTIRELY_MAPPED);
	fires(INV_MAPCOUNT);
	atomic_fetch_add(&f->_nr_pages_mapped, ENTIRELY_MAPPED);
	ClearPageAnonExclusive(&f->page);		/* writable pmd, shared head */
	fires(INV_EXCLUSIVE);
	SetPageAnonExclusive(&f->page);
	mmt_set_pte(under, pte_mkspecial(pfn_pte(zero_pfn(), false)));	/* a pte under it */
	fires(INV_BUG);
	mmt_set_pte(under, __pte(0));
	folio_get(f);					/* a reference no pmd explains */
	fires(INV_REFCOUNT);
	folio_put(f);
	assert_clean();

	/* shared with a child: a writable pmd is a COW-shared page written */
	ck_assert_int_eq(dup_mm(p, &c), 0);
	old = *pmdp;
	pmdp->pmd = pmd_mkwrite(old).pmd;
	fires(INV_PROT);
	pmdp->pmd = old.pmd;
	assert_clean();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("thp_check");
	TCase *tc = tcase_create("thp");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, large_mapcounts);
	tcase_add_test(tc, large_tails_and_exclusive);
	tcase_add_test(tc, large_pincount);
	tcase_add_test(tc, split_queue_and_after_split);
	tcase_add_test(tc, migrate_partial_folio);
	tcase_add_test(tc, huge_pmd_clauses);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
