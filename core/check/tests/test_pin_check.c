// SPDX-License-Identifier: MIT
/*
 * test_pin_check.c - the PIN invariant (17.x, core/check/pin.c) and the
 * pins' share of REFCOUNT (2.1) and LEAK: each clause fires on a state
 * corrupted on purpose, and holds again once the corruption is undone.
 */
#include <check.h>
#include <errno.h>

#include "mmt/check.h"
#include "mmt/folio.h"
#include "mmt/gup.h"
#include "mmt/mm.h"
#include "mmt/world.h"

#include "mmt_test.h"

static void fires(enum mmt_invariant inv, bool full)
{
	ck_assert_int_gt(full ? check_world() : check_world_incremental(), 0);
	ck_assert_msg(mmt_report.inv_mask & (1ull << inv), "%s did not fire",
		      mmt_invariant_name(inv));
	mmt_report_reset();
}

static void fires_both(enum mmt_invariant inv)
{
	fires(inv, true);
	fires(inv, false);
}

static struct gup_pin *the_pin(void)
{
	for (int i = 0; i < MMT_MAX_PINS; i++)
		if (w->pins.pin[i].mm)
			return &w->pins.pin[i];
	ck_abort_msg("no pin");
	return NULL;
}

static struct mm_struct *pinned_proc(void)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_int_eq(do_mmap(mm, 0x10, 4, RW, PRIV_ANON), 0);
	wr(mm, 0x10, 1);
	wr(mm, 0x11, 2);
	ck_assert_int_eq(pin_user_pages_range(mm, 0x10, 1), 0);
	assert_clean();
	return mm;
}

/* 2.1: a pin is GUP_PIN_COUNTING_BIAS references */
START_TEST(refcount_counts_pins)
{
	struct mm_struct *mm = pinned_proc();
	struct folio *f = the_pin()->folio;

	atomic_fetch_sub(&f->_refcount, 1);
	fires_both(INV_REFCOUNT);
	atomic_fetch_add(&f->_refcount, 2);
	fires_both(INV_REFCOUNT);
	atomic_fetch_sub(&f->_refcount, 1);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/* 17.1: the pin table, the pinner, MMF_HAS_PINNED, the bias */
START_TEST(pin_table_and_pinner)
{
	struct mm_struct *mm = pinned_proc(), *other = mm_alloc();
	struct gup_pin *p = the_pin();
	struct folio *f = p->folio;

	w->pins.nr++;
	fires_both(INV_PIN);
	w->pins.nr--;
	atomic_store(&mm->has_pinned, false);
	fires_both(INV_PIN);
	atomic_store(&mm->has_pinned, true);
	p->folio = (struct folio *)((char *)f + 1);
	fires_both(INV_PIN);
	p->folio = f;
	/* the bias gone (and so REFCOUNT too) */
	atomic_fetch_sub(&f->_refcount, GUP_PIN_COUNTING_BIAS);
	fires(INV_PIN, true);
	atomic_fetch_add(&f->_refcount, GUP_PIN_COUNTING_BIAS);
	assert_clean();
	mmput(other);		/* a freed mm as the pinner */
	p->mm = other;
	fires_both(INV_PIN);
	p->mm = mm;
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/* 17.2: the pinner's pte maps the pinned page until it unmaps it */
START_TEST(pinned_page_replaced)
{
	struct mm_struct *mm = pinned_proc();
	struct gup_pin *p = the_pin();
	pte_t *pte = mmt_pte_peek(mm, 0x10), old = *pte, other = *mmt_pte_peek(mm, 0x11);

	*pte = other;		/* another page: mapcounts off too */
	fires(INV_PIN, true);
	*pte = old;
	p->addr = 0x11;		/* mremap did not move it there */
	fires_both(INV_PIN);
	p->addr = 0x10;
	p->mapped = false;	/* unmapped: nothing more is asked */
	assert_clean();
	p->mapped = true;
	assert_clean();
	/* a legal unmap clears mapped, and a new page may come */
	ck_assert_int_eq(do_madvise(mm, 0x10, 1, MADV_DONTNEED), 0);
	ck_assert(!p->mapped);
	wr(mm, 0x10, 5);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/* 17.3: a pinned anon page is exclusive and mapped once */
START_TEST(pinned_page_shared)
{
	struct mm_struct *mm = pinned_proc();
	struct folio *f = the_pin()->folio;

	ClearPageAnonExclusive(&f->page);
	fires_both(INV_PIN);
	SetPageAnonExclusive(&f->page);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/* 13.4: no pin outlives every process */
START_TEST(pin_leak)
{
	struct mm_struct *mm = pinned_proc();

	w->pins.nr++;		/* a pin nobody will drop */
	mmput(mm);
	ck_assert_int_gt(check_world_empty(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_LEAK));
	mmt_report_reset();
	w->pins.nr--;
	assert_empty();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pin_check");
	TCase *tc = tcase_create("PIN");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, refcount_counts_pins);
	tcase_add_test(tc, pin_table_and_pinner);
	tcase_add_test(tc, pinned_page_replaced);
	tcase_add_test(tc, pinned_page_shared);
	tcase_add_test(tc, pin_leak);
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
