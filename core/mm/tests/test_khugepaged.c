// SPDX-License-Identifier: MIT
/*
 * test_khugepaged.c - khugepaged (khugepaged.h): registration by
 * madvise(MADV_HUGEPAGE) and fork, the collapse of order-0 pages into a
 * PTE-mapped mTHP with the contents, mapcounts, references, RSS and
 * exclusivity it must leave, a range already collapsed left alone, the
 * refusals (a GUP pin: SCAN_PAGE_COUNT; too many shared pages; too many
 * swap entries) and swap-in below the limit, and an mm that exits while
 * the scan cursor is on it (the slot outlives it until the next pass).
 * Every test ends with a clean check_world() and an empty world.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/folio.h"
#include "mmt/gup.h"
#include "mmt/khugepaged.h"
#include "mmt/mm.h"
#include "mmt/swap.h"
#include "mmt/world.h"

#include "mmt_test.h"

static unsigned long results(enum scan_result r)
{
	return w->khugepaged.result[r];
}

/* @len pages at 0x10, the pages in @written written (value 0x100 + i) at order 0, then madvised */
static struct mm_struct *small_pages_proc(uint64_t len, uint32_t written)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_int_eq(do_mmap(mm, 0x10, len, RW, PRIV_ANON), 0);
	for (uint64_t i = 0; i < len; i++)
		if (written & (1u << i))
			wr(mm, 0x10 + i, 0x100 + i);
	ck_assert_int_eq(page_folio(page_at(mm, 0x10))->order, 0);
	ck_assert_int_eq(do_madvise(mm, 0x10, len, MADV_HUGEPAGE), 0);
	return mm;
}

START_TEST(madvise_registers_exit_unregisters)
{
	struct mm_struct *mm;

	/* no order enabled: nothing for khugepaged to do, no slot */
	mm = mm_alloc();
	ck_assert_int_eq(do_mmap(mm, 0x10, 4, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_madvise(mm, 0x10, 4, MADV_HUGEPAGE), 0);
	ck_assert(!atomic_load(&mm->vm_hugepage));
	ck_assert_ptr_null(mm->khugepaged_slot);
	mmput(mm);
	assert_empty();

	thp_world(0x04);
	mm = small_pages_proc(4, 0x1);
	ck_assert(atomic_load(&mm->vm_hugepage));
	ck_assert_ptr_nonnull(mm->khugepaged_slot);
	ck_assert_int_eq(atomic_load(&mm->mm_count), 2);	/* the process's and the slot's */
	ck_assert_uint_eq(w->khugepaged_slot_pool.nr_used, 1);
	/* registered once, however often it is madvised */
	ck_assert_int_eq(do_madvise(mm, 0x10, 2, MADV_HUGEPAGE), 0);
	ck_assert_uint_eq(w->khugepaged_slot_pool.nr_used, 1);
	assert_clean();
	/* the cursor is not on it: khugepaged_exit frees the slot at once */
	mmput(mm);
	ck_assert_uint_eq(w->khugepaged_slot_pool.nr_used, 0);
	assert_empty();
}
END_TEST

START_TEST(collapse_small_pages)
{
	struct mm_struct *mm;
	struct folio *f, *old1;
	uint32_t free_before;

	thp_world(0x06);	/* orders 1 and 2: a 4-page VMA gets order 2 */
	mm = small_pages_proc(4, 0xb);	/* pages 0, 1, 3; page 2 never touched */
	old1 = page_folio(page_at(mm, 0x11));
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), 3);
	free_before = w->node[0].nr_free + w->node[1].nr_free;

	ck_assert_uint_eq(khugepaged_run(64), 1);
	ck_assert_uint_eq(results(SCAN_SUCCEED), 1);
	ck_assert_uint_eq(w->khugepaged.pages_collapsed, 1);
	f = page_folio(page_at(mm, 0x10));
	ck_assert_int_eq(f->order, 2);
	ck_assert_uint_eq(f->pfn % 4, 0);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_ptr_eq(page_at(mm, 0x10 + i), folio_page(f, i));
		ck_assert(PageAnonExclusive(folio_page(f, i)));
		ck_assert(pte_write(*mmt_pte_peek(mm, 0x10 + i)));
	}
	ck_assert_int_eq(folio_mapcount(f), 4);
	ck_assert_int_eq(folio_ref_count(f), 4);
	ck_assert_int_eq(atomic_load(&f->_nr_pages_mapped), 4);
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), 4);
	/* three old pages freed, four new ones taken */
	ck_assert_uint_eq(w->node[0].nr_free + w->node[1].nr_free, free_before + 3 - 4);
	ck_assert_int_eq(folio_ref_count(old1), 0);
	/* the copy changed nothing: the untouched page reads zero */
	ck_assert_uint_eq(rd(mm, 0x10), 0x100);
	ck_assert_uint_eq(rd(mm, 0x11), 0x101);
	ck_assert_uint_eq(rd(mm, 0x12), 0);
	ck_assert_uint_eq(rd(mm, 0x13), 0x103);
	assert_clean();

	/* the next pass finds the range collapsed already */
	ck_assert_uint_eq(khugepaged_run(64), 0);
	ck_assert_uint_eq(results(SCAN_PMD_MAPPED), 1);
	ck_assert_ptr_eq(page_folio(page_at(mm, 0x13)), f);
	wr(mm, 0x12, 7);
	ck_assert_uint_eq(rd(mm, 0x12), 7);
	assert_clean();
	mmput(mm);
	khugepaged_reap();
	assert_empty();
}
END_TEST

START_TEST(pinned_page_is_not_collapsed)
{
	struct mm_struct *mm;
	struct folio *pinned;

	thp_world(0x04);
	mm = small_pages_proc(4, 0xf);
	pinned = page_folio(page_at(mm, 0x12));
	ck_assert_int_eq(pin_user_pages_range(mm, 0x12, 1), 0);
	ck_assert_uint_eq(khugepaged_run(64), 0);
	ck_assert_uint_eq(results(SCAN_PAGE_COUNT), 1);
	ck_assert_ptr_eq(page_folio(page_at(mm, 0x12)), pinned);
	ck_assert_int_eq(page_folio(page_at(mm, 0x10))->order, 0);
	assert_clean();
	/* unpinned, the range collapses */
	ck_assert_int_eq(unpin_user_pages_range(mm, 0x12, 1), 0);
	ck_assert_uint_eq(khugepaged_run(64), 1);
	ck_assert_int_eq(page_folio(page_at(mm, 0x12))->order, 2);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(rd(mm, 0x10 + i), 0x100 + i);
	assert_clean();
	mmput(mm);
	khugepaged_reap();
	assert_empty();
}
END_TEST

START_TEST(shared_pages_across_fork)
{
	struct mm_struct *parent, *child;
	struct folio *old0;

	thp_world(0x04);
	parent = small_pages_proc(4, 0xf);
	ck_assert_int_eq(dup_mm(parent, &child), 0);
	ck_assert(atomic_load(&child->vm_hugepage));	/* khugepaged_fork */
	/* four shared pages: more than max_ptes_shared (2 of 4) */
	ck_assert_uint_eq(khugepaged_run(256), 0);
	ck_assert_uint_eq(results(SCAN_EXCEED_SHARED_PTE), 2);
	/*
	 * The parent COWs two of them: two shared pages left, collapsed in
	 * the parent.  The child needs a writable pte too (SCAN_PAGE_RO): it
	 * COWs page 3, and its old pages are its own once the parent's
	 * collapse has let go of them.
	 */
	wr(parent, 0x10, 0x200);
	wr(parent, 0x11, 0x201);
	wr(child, 0x13, 0x103);
	old0 = page_folio(page_at(child, 0x10));
	ck_assert_uint_eq(khugepaged_run(256), 2);
	ck_assert_int_eq(page_folio(page_at(parent, 0x10))->order, 2);
	ck_assert_int_eq(page_folio(page_at(child, 0x10))->order, 2);
	ck_assert_ptr_ne(page_folio(page_at(parent, 0x10)), page_folio(page_at(child, 0x10)));
	ck_assert_int_eq(folio_ref_count(old0), 0);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(rd(child, 0x10 + i), 0x100 + i);
		ck_assert_uint_eq(rd(parent, 0x10 + i), i < 2 ? 0x200 + i : 0x100 + i);
	}
	assert_clean();
	mmput(child);
	mmput(parent);
	khugepaged_reap();
	assert_empty();
}
END_TEST

START_TEST(swap_entries_swapped_in)
{
	struct mm_struct *mm;

	thp_world(0x10);	/* order 4: max_ptes_swap is 2 */
	ck_assert_int_eq(sys_swapon(0, 16), 0);
	mm = small_pages_proc(16, 0xffff);
	ck_assert_int_eq(do_madvise(mm, 0x14, 3, MADV_PAGEOUT), 0);
	ck_assert(is_swap_pte(*mmt_pte_peek(mm, 0x14)));
	/* three swap entries: too many */
	ck_assert_uint_eq(khugepaged_run(64), 0);
	ck_assert_uint_eq(results(SCAN_EXCEED_SWAP_PTE), 1);
	/* two: swapped in, then collapsed (the other 14 referenced) */
	ck_assert_uint_eq(rd(mm, 0x14), 0x104);
	ck_assert_uint_eq(khugepaged_run(64), 1);
	ck_assert_int_eq(page_folio(page_at(mm, 0x15))->order, 4);
	ck_assert_int_eq(get_mm_counter(mm, MM_SWAPENTS), 0);
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(rd(mm, 0x10 + i), 0x100 + i);
	assert_clean();
	mmput(mm);
	khugepaged_reap();
	ck_assert_int_eq(sys_swapoff(0), 0);
	assert_empty();
}
END_TEST

START_TEST(exit_under_the_cursor)
{
	struct mm_struct *a, *b;

	thp_world(0x04);
	a = small_pages_proc(8, 0xff);
	b = small_pages_proc(4, 0xf);
	/* a scan of 2 ptes: a's first range, the cursor stays in a */
	ck_assert_uint_eq(khugepaged_run(2), 1);
	ck_assert_ptr_eq(w->khugepaged.mm_slot, a->khugepaged_slot);
	/* a exits: its slot stays for khugepaged to collect, holding the struct */
	mmput(a);
	ck_assert_uint_eq(w->khugepaged_slot_pool.nr_used, 2);
	ck_assert(a->dead);
	assert_clean();
	/* the next pass collects a's slot and goes on to b */
	ck_assert_uint_eq(khugepaged_run(64), 1);
	ck_assert_uint_eq(w->khugepaged_slot_pool.nr_used, 1);
	ck_assert_int_eq(page_folio(page_at(b, 0x10))->order, 2);
	assert_clean();
	mmput(b);
	khugepaged_reap();
	assert_empty();
}
END_TEST

/* LEAK 13.2 and LOCKORDER 14.1 know khugepaged's slot and locks */
START_TEST(checker_knows_khugepaged)
{
	struct mm_struct *mm;

	thp_world(0x04);
	mm = small_pages_proc(4, 0x3);
	assert_clean();
	spin_lock(&w->khugepaged.khugepaged_mm_lock);
	mmt_report_reset();
	ck_assert_int_gt(check_world(), 0);
	ck_assert_int_eq(mmt_report.first.inv, INV_LOCKORDER);
	ck_assert_ptr_nonnull(strstr(mmt_report.first.msg, "khugepaged_mm_lock held"));
	spin_unlock(&w->khugepaged.khugepaged_mm_lock);
	mutex_lock(&w->khugepaged.thread);
	mmt_report_reset();
	ck_assert_int_gt(check_world(), 0);
	ck_assert_int_eq(mmt_report.first.inv, INV_LOCKORDER);
	ck_assert_ptr_nonnull(strstr(mmt_report.first.msg, "khugepaged_thread held"));
	mutex_unlock(&w->khugepaged.thread);
	mmt_report_reset();
	assert_clean();
	/* a slot left behind after every process has gone is a leak */
	ck_assert_uint_eq(khugepaged_run(2), 1);	/* one range; the cursor stays on the mm */
	mmput(mm);
	ck_assert_uint_eq(w->khugepaged_slot_pool.nr_used, 1);
	ck_assert_int_gt(check_world_empty(), 0);
	ck_assert_int_eq(mmt_report.first.inv, INV_LEAK);
	mmt_report_reset();
	khugepaged_reap();
	assert_empty();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("khugepaged");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, madvise_registers_exit_unregisters);
	tcase_add_test(tc, collapse_small_pages);
	tcase_add_test(tc, pinned_page_is_not_collapsed);
	tcase_add_test(tc, shared_pages_across_fork);
	tcase_add_test(tc, swap_entries_swapped_in);
	tcase_add_test(tc, exit_under_the_cursor);
	tcase_add_test(tc, checker_knows_khugepaged);
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
