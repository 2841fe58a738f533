// SPDX-License-Identifier: MIT
/*
 * test_migrate.c - move_pages and swap through the public API: which folios
 * move and which stay (exclusive, COW-shared with and without MOVE_ALL,
 * swapped in, still in the swap cache, file pages, the zero page), per-page
 * status, errno of swapon/swapoff/move_pages, and swap round trips across
 * fork, exit and swapoff.  Every test ends with a clean check_world().
 */
#include <check.h>
#include <errno.h>

#include "mmt/check.h"
#include "mmt/folio.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/swap.h"
#include "mmt/world.h"

#include "mmt_test.h"

static struct folio *folio_at(struct mm_struct *mm, uint64_t a)
{
	pte_t *pte = mmt_pte_peek(mm, a);

	ck_assert_ptr_nonnull(pte);
	ck_assert(pte_present(*pte));
	return pfn_folio(pte_pfn(*pte));
}

START_TEST(migrate_exclusive_and_status)
{
	struct mm_struct *mm = mm_alloc();
	int st[4];

	ck_assert_int_eq(do_mmap(mm, 0x10, 4, RW, PRIV_ANON), 0);
	wr(mm, 0x10, 1);
	rd(mm, 0x11);				/* the zero page */
	ck_assert_int_eq(folio_at(mm, 0x10)->nid, 0);
	ck_assert_int_eq(do_move_pages(mm, 0x10, 4, 1, false, st), 0);
	ck_assert_int_eq(st[0], 1);
	ck_assert_int_eq(st[1], -EFAULT);	/* the zero page (__add_folio_for_migration) */
	ck_assert_int_eq(st[2], -ENOENT);	/* never touched */
	ck_assert_int_eq(st[3], -ENOENT);
	ck_assert_int_eq(folio_at(mm, 0x10)->nid, 1);
	ck_assert(pte_write(*mmt_pte_peek(mm, 0x10)));	/* restored writable */
	ck_assert(PageAnonExclusive(&folio_at(mm, 0x10)->page));
	ck_assert_uint_eq(rd(mm, 0x10), 1);
	ck_assert_int_eq(do_move_pages(mm, 0x40, 1, 1, false, st), 0);
	ck_assert_int_eq(st[0], -EFAULT);
	ck_assert_int_eq(do_move_pages(mm, 0x10, 1, 2, false, st), -ENODEV);
	ck_assert_int_eq(do_move_pages(mm, 0x10, 1, 1, false, st), 0);
	ck_assert_int_eq(st[0], 1);		/* already there */
	assert_clean();
	mmput(mm);
	ck_assert_int_eq(check_world_empty(), 0);
}
END_TEST

START_TEST(migrate_cow_shared_needs_move_all)
{
	struct mm_struct *p = mm_alloc(), *c;
	struct folio *f;
	int st;

	ck_assert_int_eq(do_mmap(p, 0x10, 1, RW, PRIV_ANON), 0);
	wr(p, 0x10, 7);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_int_eq(do_move_pages(p, 0x10, 1, 1, false, &st), 0);
	ck_assert_int_eq(st, -EACCES);
	ck_assert_int_eq(do_move_pages(p, 0x10, 1, 1, true, &st), 0);
	ck_assert_int_eq(st, 1);
	f = folio_at(p, 0x10);
	ck_assert_ptr_eq(f, folio_at(c, 0x10));	/* both moved to the copy */
	ck_assert_int_eq(f->nid, 1);
	ck_assert_int_eq(folio_mapcount(f), 2);
	ck_assert(!pte_write(*mmt_pte_peek(p, 0x10)));	/* still COW-shared */
	ck_assert(!PageAnonExclusive(&f->page));
	assert_clean();
	wr(c, 0x10, 8);
	ck_assert_uint_eq(rd(p, 0x10), 7);
	assert_clean();
	mmput(c);
	mmput(p);
}
END_TEST

START_TEST(migrate_swapcache_and_swapped_in)
{
	struct mm_struct *mm = mm_alloc();
	struct folio *f;
	int st;

	ck_assert_int_eq(sys_swapon(0, 16), 0);
	ck_assert_int_eq(do_mmap(mm, 0x10, 2, RW, PRIV_ANON), 0);
	wr(mm, 0x10, 5);
	ck_assert_int_eq(do_madvise(mm, 0x10, 1, MADV_PAGEOUT), 0);
	ck_assert(is_swap_pte(*mmt_pte_peek(mm, 0x10)));
	ck_assert_uint_eq(rd(mm, 0x10), 5);	/* read fault: stays in the swap cache */
	f = folio_at(mm, 0x10);
	ck_assert(folio_test_swapcache(f));
	/*
	 * Someone else's reference (a lookup that got in first): the freeze
	 * under the cache's lock fails, and nothing moves -- not the slot,
	 * not the reference the cache holds.
	 */
	folio_get(f);
	ck_assert_int_eq(folio_ref_count(f), 3);	/* pte, cache, ours */
	ck_assert_int_eq(do_move_pages(mm, 0x10, 1, 1, false, &st), 1);	/* not moved */
	ck_assert_int_ne(st, 1);
	ck_assert_ptr_eq(folio_at(mm, 0x10), f);
	ck_assert_ptr_eq(swap_cache_get_folio(folio_swap_entry(f)), f);
	folio_put(f);					/* the lookup's */
	ck_assert_int_eq(folio_ref_count(f), 3);	/* pte, cache, ours: not frozen */
	folio_put(f);					/* ours */
	assert_clean();
	ck_assert_int_eq(do_move_pages(mm, 0x10, 1, 1, false, &st), 0);
	ck_assert_int_eq(st, 1);
	f = folio_at(mm, 0x10);
	ck_assert_int_eq(f->nid, 1);
	ck_assert(folio_test_swapcache(f));	/* the cache slot moved with it */
	ck_assert_ptr_eq(swap_cache_get_folio(folio_swap_entry(f)), f);
	folio_put(f);
	assert_clean();
	wr(mm, 0x10, 6);			/* write frees the swap slot */
	ck_assert_uint_eq(rd(mm, 0x10), 6);
	assert_clean();
	mmput(mm);
	ck_assert_int_eq(sys_swapoff(0), 0);
	ck_assert_int_eq(check_world_empty(), 0);
}
END_TEST

START_TEST(migrate_file_page)
{
	struct mm_struct *a = mm_alloc(), *b = mm_alloc();
	int st;

	ck_assert_int_eq(do_mmap(a, 0x10, 1, RW, MAP_SHARED), 0);
	ck_assert_int_eq(do_mmap(b, 0x10, 1, RW, MAP_SHARED), 0);
	wr(a, 0x10, 3);
	rd(b, 0x10);
	ck_assert_int_eq(do_move_pages(a, 0x10, 1, 1, true, &st), 0);
	ck_assert_int_eq(st, 1);
	ck_assert_ptr_eq(folio_at(a, 0x10), folio_at(b, 0x10));
	ck_assert_ptr_eq(filemap_get_folio(world_memfd(), 0x10), folio_at(a, 0x10));
	folio_put(folio_at(a, 0x10));
	wr(b, 0x10, 4);
	ck_assert_uint_eq(rd(a, 0x10), 4);
	assert_clean();
	mmput(a);
	mmput(b);
}
END_TEST

START_TEST(swap_errno)
{
	ck_assert_int_eq(sys_swapon(0, 1), -EINVAL);
	ck_assert_int_eq(sys_swapoff(0), -EINVAL);
	for (int i = 0; i < MAX_SWAPFILES; i++)
		ck_assert_int_eq(sys_swapon(i, 4), 0);
	ck_assert_int_eq(sys_swapon(100, 4), -EPERM);	/* types above are migration's */
	ck_assert_int_eq(sys_swapon(3, 4), -EBUSY);
	ck_assert_int_eq(sys_swapoff(3), 0);
	ck_assert_int_eq(sys_swapon(100, 4), 0);	/* reuses type 3 */
	ck_assert_int_eq(swap_type_to_info(3)->id, 100);
	assert_clean();
	for (int i = 0; i < MAX_SWAPFILES; i++)
		ck_assert_int_eq(sys_swapoff(i == 3 ? 100 : i), 0);
	ck_assert_int_eq(check_world_empty(), 0);
}
END_TEST

START_TEST(swap_across_fork_exit_swapoff)
{
	struct mm_struct *p = mm_alloc(), *c;
	swp_entry_t e;

	ck_assert_int_eq(sys_swapon(0, 16), 0);
	ck_assert_int_eq(do_mmap(p, 0x10, 2, RW, PRIV_ANON), 0);
	wr(p, 0x10, 1);
	wr(p, 0x11, 2);
	ck_assert_int_eq(do_madvise(p, 0x10, 2, MADV_PAGEOUT), 0);
	e = pte_to_swp_entry(*mmt_pte_peek(p, 0x10));
	ck_assert_int_eq(swap_count(e), 1);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_int_eq(swap_count(e), 2);	/* swap_duplicate */
	ck_assert(!pte_swp_exclusive(*mmt_pte_peek(p, 0x10)));
	assert_clean();
	mmput(p);				/* free_swap_and_cache */
	ck_assert_int_eq(swap_count(e), 1);
	assert_clean();
	ck_assert_int_eq(reclaim_pages_global(16), 0);	/* nothing resident */
	ck_assert_int_eq(sys_swapoff(0), 0);
	ck_assert_uint_eq(rd(c, 0x10), 1);
	ck_assert_uint_eq(rd(c, 0x11), 2);
	ck_assert_int_eq(get_mm_counter(c, MM_SWAPENTS), 0);
	assert_clean();
	mmput(c);
	ck_assert_int_eq(check_world_empty(), 0);
}
END_TEST

START_TEST(pageout_skips_shared)
{
	struct mm_struct *p = mm_alloc(), *c;

	ck_assert_int_eq(sys_swapon(0, 16), 0);
	ck_assert_int_eq(do_mmap(p, 0x10, 1, RW, PRIV_ANON), 0);
	wr(p, 0x10, 1);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_int_eq(do_madvise(p, 0x10, 1, MADV_PAGEOUT), 0);
	ck_assert(pte_present(*mmt_pte_peek(p, 0x10)));	/* mapped twice: skipped */
	ck_assert_int_eq(reclaim_pages_global(8), 1);	/* global reclaim takes it */
	ck_assert(is_swap_pte(*mmt_pte_peek(p, 0x10)));
	ck_assert(is_swap_pte(*mmt_pte_peek(c, 0x10)));
	assert_clean();
	mmput(p);
	mmput(c);
	ck_assert_int_eq(sys_swapoff(0), 0);
	ck_assert_int_eq(check_world_empty(), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("migrate");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, migrate_exclusive_and_status);
	tcase_add_test(tc, migrate_cow_shared_needs_move_all);
	tcase_add_test(tc, migrate_swapcache_and_swapped_in);
	tcase_add_test(tc, migrate_file_page);
	tcase_add_test(tc, swap_errno);
	tcase_add_test(tc, swap_across_fork_exit_swapoff);
	tcase_add_test(tc, pageout_skips_shared);
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
