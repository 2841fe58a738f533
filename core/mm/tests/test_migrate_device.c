// SPDX-License-Identifier: MIT
/*
 * test_migrate_device.c - migrate_vma and device-private memory through the
 * driver (hmm.h): pages go to the device and back with their data, holes
 * and the zero page are populated only in anonymous VMAs without uffd
 * missing mode, a CPU fault brings a page back, fork, mprotect, mremap,
 * munmap and exit handle device-private entries, and a device without
 * memory leaves everything as it was.  Every test ends with a clean check.
 */
#include <check.h>
#include <errno.h>

#include "mmt/check.h"
#include "mmt/folio.h"
#include "mmt/hmm.h"
#include "mmt/memremap.h"
#include "mmt/mm.h"
#include "mmt/swap.h"
#include "mmt/userfaultfd.h"
#include "mmt/world.h"

#include "mmt_test.h"

/* the device folio behind a device-private entry at @a, or NULL */
static struct folio *dev_folio_at(struct mm_struct *mm, uint64_t a)
{
	pte_t *pte = mmt_pte_peek(mm, a);
	swp_entry_t e;

	if (!pte || !is_swap_pte(*pte))
		return NULL;
	e = pte_to_swp_entry(*pte);
	if (!is_device_private_entry(e))
		return NULL;
	return pfn_folio(swp_offset_pfn(e));
}

static bool writable_dev(struct mm_struct *mm, uint64_t a)
{
	pte_t *pte = mmt_pte_peek(mm, a);

	return pte && is_swap_pte(*pte) &&
	       is_writable_device_private_entry(pte_to_swp_entry(*pte));
}

static uint32_t dev_free(void)
{
	return device_pagemap()->nr_free;
}

START_TEST(to_device_and_back)
{
	struct mm_struct *mm = mm_alloc();
	uint32_t free0 = dev_free();
	struct folio *f;

	ck_assert_int_eq(do_mmap(mm, 0x10, 4, RW, PRIV_ANON), 0);
	wr(mm, 0x10, 7);
	rd(mm, 0x11);					/* the zero page */
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x10, 4), 0);
	/* the page, the zero page and both holes: four device pages */
	for (uint64_t a = 0x10; a < 0x14; a++) {
		f = dev_folio_at(mm, a);
		ck_assert_ptr_nonnull(f);
		ck_assert(folio_is_device_private(f));
		ck_assert_int_eq(folio_mapcount(f), 1);
		ck_assert_int_eq(folio_ref_count(f), 1);
		ck_assert(writable_dev(mm, a));
		ck_assert(!folio_test_lru(f));
	}
	ck_assert_uint_eq(dev_free(), free0 - 4);
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), 4);
	assert_clean();
	/* a second round selects system memory only: nothing moves */
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x10, 4), 0);
	ck_assert_uint_eq(dev_free(), free0 - 4);
	ck_assert_int_eq(dmirror_migrate_to_system(mm, 0x10, 2), 0);
	ck_assert_ptr_null(dev_folio_at(mm, 0x10));
	ck_assert(pte_present(*mmt_pte_peek(mm, 0x10)));
	ck_assert(pte_write(*mmt_pte_peek(mm, 0x10)));
	ck_assert_uint_eq(dev_free(), free0 - 2);
	ck_assert_uint_eq(rd(mm, 0x10), 7);
	ck_assert_uint_eq(rd(mm, 0x11), 0);
	assert_clean();
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x14, 1), -EINVAL);	/* not mapped */
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x10, 0), -EINVAL);
	mmput(mm);
	ck_assert_uint_eq(dev_free(), free0);
	assert_empty();
}
END_TEST

START_TEST(cpu_fault_migrates_to_ram)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_int_eq(do_mmap(mm, 0x10, 2, RW, PRIV_ANON), 0);
	wr(mm, 0x10, 5);
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x10, 2), 0);
	ck_assert_ptr_nonnull(dev_folio_at(mm, 0x10));
	ck_assert_uint_eq(rd(mm, 0x10), 5);		/* migrate_to_ram */
	ck_assert_ptr_null(dev_folio_at(mm, 0x10));
	ck_assert_ptr_nonnull(dev_folio_at(mm, 0x11));
	wr(mm, 0x11, 6);
	ck_assert_ptr_null(dev_folio_at(mm, 0x11));
	ck_assert_uint_eq(rd(mm, 0x11), 6);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(populate_only_anonymous_without_uffd)
{
	struct mm_struct *mm = mm_alloc();
	uint32_t free0 = dev_free();

	ck_assert_int_eq(do_mmap(mm, 0x10, 2, RW, MAP_PRIVATE), 0);		/* file */
	ck_assert_int_eq(do_mmap(mm, 0x20, 2, RW, MAP_SHARED | MAP_ANONYMOUS), 0);
	ck_assert_int_eq(do_mmap(mm, 0x30, 4, RW, PRIV_ANON), 0);
	ck_assert_int_eq(userfaultfd_register(mm, 0x31, 2), 0);
	ck_assert_int_eq(mm->map_count, 5);		/* split like userfaultfd_register */
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x10, 2), 0);
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x20, 2), 0);
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x30, 4), 0);
	ck_assert_ptr_null(dev_folio_at(mm, 0x10));
	ck_assert_ptr_null(dev_folio_at(mm, 0x20));
	ck_assert_ptr_nonnull(dev_folio_at(mm, 0x30));
	ck_assert_ptr_null(dev_folio_at(mm, 0x31));	/* uffd missing armed */
	ck_assert_ptr_null(dev_folio_at(mm, 0x32));
	ck_assert_ptr_nonnull(dev_folio_at(mm, 0x33));
	ck_assert_uint_eq(dev_free(), free0 - 2);
	/* a missing fault there: the model's handler maps the zero page */
	ck_assert_uint_eq(rd(mm, 0x31), 0);
	wr(mm, 0x32, 9);
	ck_assert_uint_eq(rd(mm, 0x32), 9);
	/* a page that exists in the uffd range may migrate: it is no population */
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x32, 1), 0);
	ck_assert_ptr_nonnull(dev_folio_at(mm, 0x32));
	/* an anon COW page of a private file mapping may migrate too */
	wr(mm, 0x10, 3);
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x10, 2), 0);
	ck_assert_ptr_nonnull(dev_folio_at(mm, 0x10));
	ck_assert_ptr_null(dev_folio_at(mm, 0x11));
	ck_assert_uint_eq(rd(mm, 0x10), 3);
	assert_clean();
	ck_assert_int_eq(userfaultfd_register(mm, 0x40, 2), -EINVAL);
	ck_assert_int_eq(userfaultfd_register(mm, 0x30, 0), -EINVAL);
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(fork_mprotect_mremap_munmap)
{
	struct mm_struct *p = mm_alloc(), *c;
	struct folio *f;

	ck_assert_int_eq(do_mmap(p, 0x10, 4, RW, PRIV_ANON), 0);
	wr(p, 0x10, 1);
	wr(p, 0x11, 2);
	ck_assert_int_eq(userfaultfd_register(p, 0x10, 4), 0);
	ck_assert_int_eq(dmirror_migrate_to_device(p, 0x10, 2), 0);
	f = dev_folio_at(p, 0x10);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	/* copy_nonpresent_pte: shared, both read-only, counted twice */
	ck_assert_ptr_eq(dev_folio_at(c, 0x10), f);
	ck_assert_int_eq(folio_mapcount(f), 2);
	ck_assert_int_eq(folio_ref_count(f), 2);
	ck_assert(!writable_dev(p, 0x10) && !writable_dev(c, 0x10));
	ck_assert(!PageAnonExclusive(&f->page));
	ck_assert(!(vma_lookup(c, 0x10)->vm_flags & VM_UFFD_MISSING));	/* not inherited */
	assert_clean();
	wr(c, 0x10, 11);
	ck_assert_uint_eq(rd(p, 0x10), 1);
	ck_assert_uint_eq(rd(c, 0x10), 11);
	/* mprotect downgrades a writable device entry */
	wr(p, 0x11, 2);				/* back to RAM, COW broken */
	ck_assert_int_eq(dmirror_migrate_to_device(p, 0x11, 1), 0);
	ck_assert(writable_dev(p, 0x11));
	ck_assert_int_eq(do_mprotect(p, 0x11, 1, PROT_READ), 0);
	ck_assert(!writable_dev(p, 0x11));
	ck_assert_int_eq(mmt_access(p, 0x11, true, &(uint64_t){ 1 }), -EFAULT);
	ck_assert_int_eq(do_mprotect(p, 0x11, 1, RW), 0);
	wr(p, 0x11, 12);
	ck_assert_uint_eq(rd(p, 0x11), 12);
	ck_assert_int_eq(dmirror_migrate_to_device(p, 0x10, 4), 0);
	/* mremap moves device entries; munmap and exit drop them */
	ck_assert_int_eq(do_mremap(p, 0x10, 4, 0x40, 4), 0);
	ck_assert_ptr_nonnull(dev_folio_at(p, 0x41));
	ck_assert_uint_eq(rd(p, 0x41), 12);
	ck_assert_int_eq(do_munmap(p, 0x42, 2), 0);
	assert_clean();
	mmput(c);
	mmput(p);
	ck_assert_uint_eq(dev_free(), device_pagemap()->nr_pages);
	assert_empty();
}
END_TEST

START_TEST(device_full_restores_everything)
{
	struct world_config cfg;
	struct mm_struct *mm;

	world_destroy(w);
	world_config_default(&cfg);
	cfg.nodes = 1;
	cfg.frames = 32;
	cfg.device = 0;
	w = world_create(&cfg);
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_null(device_pagemap());
	ck_assert_int_eq(sys_swapon(0, 16), 0);
	mm = mm_alloc();
	ck_assert_int_eq(do_mmap(mm, 0x10, 2, RW, PRIV_ANON), 0);
	wr(mm, 0x10, 1);
	ck_assert_int_eq(do_madvise(mm, 0x10, 1, MADV_PAGEOUT), 0);
	ck_assert_uint_eq(rd(mm, 0x10), 1);		/* in the swap cache, clean */
	wr(mm, 0x10, 2);				/* dirty pte */
	ck_assert_int_eq(dmirror_migrate_to_device(mm, 0x10, 2), 0);
	ck_assert(pte_present(*mmt_pte_peek(mm, 0x10)));
	ck_assert(pte_none(*mmt_pte_peek(mm, 0x11)));
	/* the dirty bit went to the folio: reclaim writes the new data */
	ck_assert_int_eq(do_madvise(mm, 0x10, 1, MADV_PAGEOUT), 0);
	ck_assert_uint_eq(rd(mm, 0x10), 2);
	assert_clean();
	mmput(mm);
	ck_assert_int_eq(sys_swapoff(0), 0);
	assert_empty();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("migrate_device");
	TCase *tc = tcase_create("migrate_device");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, to_device_and_back);
	tcase_add_test(tc, cpu_fault_migrates_to_ram);
	tcase_add_test(tc, populate_only_anonymous_without_uffd);
	tcase_add_test(tc, fork_mprotect_mremap_munmap);
	tcase_add_test(tc, device_full_restores_everything);
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
