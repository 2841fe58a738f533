// SPDX-License-Identifier: MIT
/*
 * test_device.c - DEVICE (11.1-11.4) and the device frames' share of
 * MAPCOUNT, REFCOUNT, MIGRATION, EXCLUSIVE and LEAK fire on a corrupted
 * state, and only then.  Each test builds a legitimate state with the
 * driver (hmm.h), checks that the checker is silent, corrupts one field the
 * way a model bug would, and asserts the invariant; where cheap, it undoes
 * the corruption and the world is clean again.
 */
#include <check.h>
#include <stdio.h>

#include "mmt/check.h"
#include "mmt/folio.h"
#include "mmt/hmm.h"
#include "mmt/kprim.h"
#include "mmt/memremap.h"
#include "mmt/mm.h"
#include "mmt/pte.h"
#include "mmt/userfaultfd.h"
#include "mmt/world.h"

#include "mmt_test.h"

static const char *first_text(void)
{
	static char buf[400];

	snprintf(buf, sizeof(buf), "%s %s: %s", mmt_invariant_name(mmt_report.first.inv),
		 mmt_report.first.object, mmt_report.first.msg);
	return buf;
}

#define assert_world_clean()								\
	do {									\
		mmt_report_reset();						\
		ck_assert_msg(check_world() == 0 && mmt_report.count == 0,	\
			      "expected a clean world; first: %s", first_text());	\
	} while (0)

#define assert_fires(inv)							\
	do {									\
		mmt_report_reset();						\
		ck_assert_msg(check_world() > 0, "expected %s, the checker found nothing", \
			      mmt_invariant_name(inv));				\
		ck_assert_msg(mmt_report.inv_mask & (1ull << (inv)),		\
			      "expected %s, got mask %#llx; first: %s",		\
			      mmt_invariant_name(inv),				\
			      (unsigned long long)mmt_report.inv_mask, first_text()); \
	} while (0)

/* p0 with 0x10..0x13 anon, 0x10 written, all four on the device */
static struct mm_struct *on_device(void)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_int_eq(do_mmap(mm, 0x10, 4, RW, PRIV_ANON), 0);
	wr(mm, 0x10, 7);
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x10, 4), 0);
	assert_world_clean();
	return mm;
}

static struct folio *dev_at(struct mm_struct *mm, uint64_t a)
{
	pte_t *pte = mmt_pte_peek(mm, a);

	ck_assert(pte && is_swap_pte(*pte) && is_device_private_entry(pte_to_swp_entry(*pte)));
	return pfn_folio(swp_offset_pfn(pte_to_swp_entry(*pte)));
}

/* 11.1: the entry names a system frame, then a free device frame */
START_TEST(entry_names_device_folio)
{
	struct mm_struct *mm = on_device();
	pte_t *pte = mmt_pte_peek(mm, 0x10), old = *pte;
	struct folio *spare;

	mmt_set_pte(pte, swp_entry_to_pte(make_writable_device_private_entry(3)));
	assert_fires(INV_DEVICE);
	spare = &the_world->folios[device_pagemap()->first_pfn + device_pagemap()->nr_pages - 1];
	ck_assert_int_eq(folio_ref_count(spare), 0);
	mmt_set_pte(pte, swp_entry_to_pte(make_writable_device_private_entry(spare->pfn)));
	assert_fires(INV_DEVICE);
	mmt_set_pte(pte, old);
	assert_world_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/* 11.2: a populated folio in a file VMA; one in a uffd range registered before */
START_TEST(populated_only_where_allowed)
{
	struct mm_struct *mm = mm_alloc();
	struct vm_area_struct *vma;
	struct folio *f;

	ck_assert_int_eq(do_mmap(mm, 0x10, 1, RW, MAP_PRIVATE), 0);
	wr(mm, 0x10, 3);			/* an anon COW page of a file mapping */
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x10, 1), 0);
	f = dev_at(mm, 0x10);
	ck_assert_uint_eq(f->populated_seq, 0);
	assert_world_clean();
	f->populated_seq = 1;			/* as if a hole had been filled */
	assert_fires(INV_DEVICE);
	f->populated_seq = 0;
	assert_world_clean();

	ck_assert_int_eq(do_mmap(mm, 0x20, 2, RW, PRIV_ANON), 0);
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x20, 2), 0);	/* populated */
	ck_assert_int_eq(userfaultfd_register(mm, 0x20, 2), 0);		/* afterwards: fine */
	f = dev_at(mm, 0x21);
	ck_assert_uint_gt(f->populated_seq, 0);
	assert_world_clean();
	vma = vma_lookup(mm, 0x21);
	ck_assert(vma->vm_flags & VM_UFFD_MISSING);
	vma->vm_uffd_seq = f->populated_seq - 1;	/* registered before it */
	assert_fires(INV_DEVICE);
	vma->vm_uffd_seq = f->populated_seq;
	assert_world_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/* 11.3: never on an LRU, in the swap cache */
START_TEST(never_on_lru_or_swapcache)
{
	struct mm_struct *mm = on_device();
	struct folio *f = dev_at(mm, 0x11);

	folio_set_lru(f);
	assert_fires(INV_DEVICE);
	folio_clear_lru(f);
	assert_world_clean();
	folio_set_swapcache(f);
	assert_fires(INV_DEVICE);
	folio_clear_swapcache(f);
	assert_world_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/* 11.4: a mapped device folio is anonymous */
START_TEST(mapped_device_folio_is_anon)
{
	struct mm_struct *mm = on_device();
	struct folio *f = dev_at(mm, 0x12);
	uintptr_t m = f->mapping;

	f->mapping = 0;
	assert_fires(INV_DEVICE);
	f->mapping = m;
	assert_world_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/* 1.1, 2.1, 3.2, 7.3 on device frames */
START_TEST(device_counts)
{
	struct mm_struct *mm = on_device(), *c;
	struct folio *f = dev_at(mm, 0x10);

	atomic_fetch_add(&f->page._mapcount, 1);
	assert_fires(INV_MAPCOUNT);
	atomic_fetch_sub(&f->page._mapcount, 1);
	atomic_fetch_add(&f->_refcount, 1);
	assert_fires(INV_REFCOUNT);
	atomic_fetch_sub(&f->_refcount, 1);
	folio_set_migrating(f);
	assert_fires(INV_MIGRATION);
	folio_clear_migrating(f);
	assert_world_clean();
	ck_assert_int_eq(dup_mm(mm, &c), 0);
	assert_world_clean();
	SetPageAnonExclusive(&f->page);		/* shared with the child */
	assert_fires(INV_EXCLUSIVE);
	ClearPageAnonExclusive(&f->page);
	assert_world_clean();
	mmput(c);
	mmput(mm);
	assert_empty();
}
END_TEST

/* 13.4: a device frame still held when every process is gone */
START_TEST(device_leak)
{
	struct mm_struct *mm = on_device();
	struct folio *f = dev_at(mm, 0x13);

	folio_get(f);
	mmput(mm);
	mmt_report_reset();
	ck_assert_int_gt(check_world_empty(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_LEAK));
	folio_put(f);
	mmt_report_reset();
	assert_empty();
}
END_TEST

/* 11.5 in flight: dropping the ptl over a device entry to a free folio */
static int pick_first(struct kp_decider *d, const int *ids, int nr, int cur)
{
	(void)d; (void)nr; (void)cur;
	return ids[0];
}

static void lock_and_drop(void *arg)
{
	struct mm_struct *mm = arg;
	spinlock_t *ptl;

	ck_assert_ptr_nonnull(pte_offset_map_lock(mm, 0x10, &ptl));
	pte_unmap_unlock(ptl);
}

START_TEST(inflight_device_entry)
{
	struct mm_struct *mm = on_device();
	struct folio *f = dev_at(mm, 0x10);
	struct kp_decider d = { pick_first };
	kp_task_fn fn = lock_and_drop;
	void *arg = mm;
	unsigned long n;

	kp_set_inflight_hook(check_inflight);
	mmt_report_reset();
	ck_assert_int_eq(kp_sched_run(1, &fn, &arg, &d, &n), KP_SCHED_DONE);
	ck_assert_uint_eq(mmt_report.count, 0);		/* clean: silent */
	atomic_store(&f->_refcount, 0);			/* as if freed under the entry */
	ck_assert_int_eq(kp_sched_run(1, &fn, &arg, &d, &n), KP_SCHED_DONE);
	ck_assert_msg(mmt_report.inv_mask & (1ull << INV_DEVICE), "expected DEVICE in flight, "
		      "got mask %#llx", (unsigned long long)mmt_report.inv_mask);
	atomic_store(&f->_refcount, 1);
	kp_set_inflight_hook(NULL);
	mmt_report_reset();
	assert_world_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("device");
	TCase *tc = tcase_create("device");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, entry_names_device_folio);
	tcase_add_test(tc, populated_only_where_allowed);
	tcase_add_test(tc, never_on_lru_or_swapcache);
	tcase_add_test(tc, mapped_device_folio_is_anon);
	tcase_add_test(tc, device_counts);
	tcase_add_test(tc, device_leak);
	tcase_add_test(tc, inflight_device_entry);
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
