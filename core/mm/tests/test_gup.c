// SPDX-License-Identifier: MIT
/*
 * test_gup.c - long-term pins (gup.h) through the public API: what pinning
 * faults in, what a pin keeps fork, reclaim, migration and KSM from doing,
 * mremap and munmap of a pinned page, unpin and exit, the errnos.  Every
 * test ends with a clean check_world() and an empty world.
 */
#include <check.h>
#include <errno.h>

#include "mmt/check.h"
#include "mmt/folio.h"
#include "mmt/gup.h"
#include "mmt/inject.h"
#include "mmt/ksm.h"
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

START_TEST(pin_faults_in_writable_exclusive)
{
	struct mm_struct *mm = mm_alloc();
	struct folio *f;

	ck_assert_int_eq(do_mmap(mm, 0x10, 2, RW, PRIV_ANON), 0);
	rd(mm, 0x10);				/* the zero page: a write fault replaces it */
	ck_assert_int_eq(pin_user_pages_range(mm, 0x10, 2), 0);
	ck_assert(atomic_load(&mm->has_pinned));
	f = folio_at(mm, 0x10);
	ck_assert(!is_zero_folio(f));
	ck_assert(PageAnonExclusive(&f->page));
	ck_assert(pte_write(*mmt_pte_peek(mm, 0x10)));
	ck_assert_int_eq(folio_ref_count(f), 1 + GUP_PIN_COUNTING_BIAS);
	ck_assert(folio_maybe_dma_pinned(f));
	dma_write(mm, 0x11, 7);
	ck_assert_uint_eq(rd(mm, 0x11), 7);
	wr(mm, 0x10, 5);
	ck_assert_uint_eq(dma_read(mm, 0x10), 5);
	assert_clean();
	ck_assert_int_eq(unpin_user_pages_range(mm, 0x10, 2), 0);
	ck_assert_int_eq(folio_ref_count(f), 1);
	ck_assert_int_eq(unpin_user_pages_range(mm, 0x10, 1), -ENOENT);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(pin_errnos_all_or_nothing)
{
	struct mm_struct *mm = mm_alloc();
	uint64_t v = 0;

	ck_assert_int_eq(do_mmap(mm, 0x10, 2, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_mmap(mm, 0x12, 1, PROT_READ, PRIV_ANON), 0);
	ck_assert_int_eq(pin_user_pages_range(mm, 0x10, 0), -EINVAL);
	ck_assert_int_eq(pin_user_pages_range(mm, 0x10, 3), -EFAULT);	/* 0x12 read-only */
	ck_assert_int_eq(pin_user_pages_range(mm, 0x40, 1), -EFAULT);	/* a hole */
	ck_assert_int_eq(pin_user_pages_range(mm, 0x10, MMT_MAX_PINS + 1), -ENOMEM);
	ck_assert_uint_eq(w->pins.nr, 0);	/* the two pinned first were undone */
	ck_assert_int_eq(folio_ref_count(folio_at(mm, 0x10)), 1);
	ck_assert_int_eq(gup_pin_access(mm, 0x10, false, &v), -ENOENT);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/* 70e806e4e645: the child gets a copy, the parent keeps the pinned page writable */
START_TEST(fork_copies_pinned_page)
{
	struct mm_struct *p = mm_alloc(), *c = NULL;
	struct folio *f;

	ck_assert_int_eq(do_mmap(p, 0x10, 2, RW, PRIV_ANON), 0);
	wr(p, 0x10, 1);
	wr(p, 0x11, 2);
	ck_assert_int_eq(pin_user_pages_range(p, 0x10, 1), 0);
	f = folio_at(p, 0x10);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_ptr_eq(folio_at(p, 0x10), f);
	ck_assert_ptr_ne(folio_at(c, 0x10), f);
	ck_assert(pte_write(*mmt_pte_peek(p, 0x10)));
	ck_assert(PageAnonExclusive(&f->page));
	ck_assert(PageAnonExclusive(&folio_at(c, 0x10)->page));
	ck_assert_ptr_eq(folio_at(p, 0x11), folio_at(c, 0x11));	/* unpinned: COW */
	ck_assert_uint_eq(rd(c, 0x10), 1);
	dma_write(p, 0x10, 3);
	wr(p, 0x10, 4);
	ck_assert_uint_eq(dma_read(p, 0x10), 4);
	ck_assert_uint_eq(rd(c, 0x10), 1);
	assert_clean();
	mmput(c);
	mmput(p);			/* exit unpins */
	assert_empty();
}
END_TEST

/* the bug: fork shares it, the parent's write moves away from the pin */
START_TEST(fork_pinned_bug_splits_pin)
{
	struct mm_struct *p = mm_alloc(), *c = NULL;

	mmt_injected_mask = 1ull << BUG_FORK_PINNED_EARLY_COW;
	ck_assert_int_eq(do_mmap(p, 0x10, 1, RW, PRIV_ANON), 0);
	wr(p, 0x10, 1);
	ck_assert_int_eq(pin_user_pages_range(p, 0x10, 1), 0);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_ptr_eq(folio_at(p, 0x10), folio_at(c, 0x10));
	wr(p, 0x10, 2);			/* COW: refcount says shared */
	dma_write(p, 0x10, 3);
	ck_assert_uint_eq(rd(c, 0x10), 3);	/* the child sees the parent's DMA */
	ck_assert_uint_eq(rd(p, 0x10), 2);
	mmt_injected_mask = 0;
	ck_assert_int_gt(check_world(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_PIN));
	mmt_report_reset();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

START_TEST(reclaim_migrate_ksm_leave_pinned)
{
	struct mm_struct *mm = mm_alloc();
	struct folio *f;
	int st[2];

	ck_assert_int_eq(sys_swapon(0, 16), 0);
	ck_assert_int_eq(do_mmap(mm, 0x10, 2, RW, PRIV_ANON), 0);
	wr(mm, 0x10, 9);
	wr(mm, 0x11, 9);
	ck_assert_int_eq(pin_user_pages_range(mm, 0x10, 1), 0);
	f = folio_at(mm, 0x10);
	ck_assert_int_eq(do_madvise(mm, 0x10, 2, MADV_PAGEOUT), 0);
	ck_assert_ptr_eq(folio_at(mm, 0x10), f);		/* try_to_unmap gave up */
	ck_assert(!pte_present(*mmt_pte_peek(mm, 0x11)));	/* the other went */
	ck_assert(PageAnonExclusive(&f->page));
	ck_assert_int_eq(do_move_pages(mm, 0x10, 1, 1, false, st), 1);
	ck_assert_int_eq(st[0], -EBUSY);
	ck_assert_ptr_eq(folio_at(mm, 0x10), f);
	ck_assert(pte_write(*mmt_pte_peek(mm, 0x10)));
	ck_assert_int_eq(do_madvise(mm, 0x10, 2, MADV_MERGEABLE), 0);
	ksmd_run(100);
	ksmd_run(100);
	ck_assert_ptr_eq(folio_at(mm, 0x10), f);
	ck_assert(PageAnonExclusive(&f->page));
	dma_write(mm, 0x10, 10);
	ck_assert_uint_eq(rd(mm, 0x10), 10);
	ck_assert_uint_eq(rd(mm, 0x11), 9);
	assert_clean();
	mmput(mm);
	ck_assert_int_eq(sys_swapoff(0), 0);
	ksmd_reap();
	assert_empty();
}
END_TEST

START_TEST(mremap_moves_and_dontneed_unmaps)
{
	struct mm_struct *mm = mm_alloc();
	struct folio *f;

	ck_assert_int_eq(do_mmap(mm, 0x10, 2, RW, PRIV_ANON), 0);
	wr(mm, 0x10, 1);
	ck_assert_int_eq(pin_user_pages_range(mm, 0x10, 2), 0);
	f = folio_at(mm, 0x10);
	ck_assert_int_eq(do_mremap(mm, 0x10, 2, 0x40, 2), 0);
	ck_assert_ptr_eq(folio_at(mm, 0x40), f);
	ck_assert_uint_eq(w->pins.pin[0].addr + w->pins.pin[1].addr, 0x40 + 0x41);
	assert_clean();
	dma_write(mm, 0x10, 2);			/* the pin keeps its name */
	ck_assert_uint_eq(rd(mm, 0x40), 2);
	ck_assert_int_eq(do_madvise(mm, 0x40, 1, MADV_DONTNEED), 0);
	wr(mm, 0x40, 3);			/* a new page: legal, the pinner unmapped */
	ck_assert_ptr_ne(folio_at(mm, 0x40), f);
	ck_assert_uint_eq(dma_read(mm, 0x10), 2);
	ck_assert_int_eq(folio_ref_count(f), GUP_PIN_COUNTING_BIAS);
	assert_clean();
	ck_assert_int_eq(do_munmap(mm, 0x41, 1), 0);
	assert_clean();
	ck_assert_int_eq(unpin_user_pages_range(mm, 0x10, 2), 0);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("gup");
	TCase *tc = tcase_create("gup");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pin_faults_in_writable_exclusive);
	tcase_add_test(tc, pin_errnos_all_or_nothing);
	tcase_add_test(tc, fork_copies_pinned_page);
	tcase_add_test(tc, fork_pinned_bug_splits_pin);
	tcase_add_test(tc, reclaim_migrate_ksm_leave_pinned);
	tcase_add_test(tc, mremap_moves_and_dontneed_unmaps);
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
