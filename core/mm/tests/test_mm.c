// SPDX-License-Identifier: MIT
/*
 * test_mm.c - the model's syscall-level operations, driven directly through
 * the public API: errno edge cases, COW, fork with dontfork, VMA splitting
 * and merging, mremap of populated pages, and the LEAK state after exit.
 * Every test ends with check_world() (and check_world_empty() where every
 * process is gone) reporting nothing.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/folio.h"
#include "mmt/inject.h"
#include "mmt/mm.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/world.h"

#include "mmt_test.h"

static int access_err(struct mm_struct *mm, uint64_t addr, bool write)
{
	uint64_t v = 1;

	return mmt_access(mm, addr, write, &v);
}

static int nr_vmas(struct mm_struct *mm)
{
	return mm->map_count;
}

START_TEST(mmap_errors)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_int_eq(do_mmap(mm, 0x10, 0, RW, PRIV_ANON), -EINVAL);
	ck_assert_int_eq(do_mmap(mm, 0x10, 1, RW, MAP_ANONYMOUS), -EINVAL);
	ck_assert_int_eq(do_mmap(mm, 0x10, 1, RW, MAP_SHARED | MAP_PRIVATE), -EINVAL);
	ck_assert_int_eq(do_mmap(mm, MMT_TASK_SIZE - 1, 2, RW, PRIV_ANON), -ENOMEM);
	ck_assert_int_eq(do_mmap(mm, MMT_TASK_SIZE - 1, 1, RW, PRIV_ANON), 0);
	ck_assert_int_eq(access_err(mm, MMT_TASK_SIZE - 1, true), 0);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(mmap_fixed_replaces)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_int_eq(do_mmap(mm, 0x10, 8, RW, PRIV_ANON), 0);
	wr(mm, 0x12, 5);
	wr(mm, 0x16, 6);
	ck_assert_int_eq(do_mmap(mm, 0x11, 2, RW, PRIV_ANON), 0);
	ck_assert_uint_eq(rd(mm, 0x12), 0);	/* replaced: fresh zero page */
	ck_assert_uint_eq(rd(mm, 0x16), 6);
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), 1);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(munmap_errors_and_split)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_int_eq(do_munmap(mm, 0x10, 0), -EINVAL);
	ck_assert_int_eq(do_munmap(mm, MMT_TASK_SIZE, 1), -EINVAL);
	ck_assert_int_eq(do_munmap(mm, 0x10, 4), 0);	/* nothing there: fine */
	ck_assert_int_eq(do_mmap(mm, 0x10, 8, RW, PRIV_ANON), 0);
	for (uint64_t a = 0x10; a < 0x18; a++)
		wr(mm, a, a);
	ck_assert_int_eq(nr_vmas(mm), 1);
	ck_assert_int_eq(do_munmap(mm, 0x13, 2), 0);
	ck_assert_int_eq(nr_vmas(mm), 2);
	ck_assert_int_eq(access_err(mm, 0x13, false), -EFAULT);
	ck_assert_int_eq(access_err(mm, 0x14, false), -EFAULT);
	ck_assert_uint_eq(rd(mm, 0x12), 0x12);
	ck_assert_uint_eq(rd(mm, 0x15), 0x15);
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), 6);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(mprotect_semantics)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_int_eq(do_mprotect(mm, 0x10, 0, PROT_READ), 0);
	ck_assert_int_eq(do_mprotect(mm, 0x10, 1, PROT_READ), -ENOMEM);
	ck_assert_int_eq(do_mprotect(mm, 0x10, 1, 0x80), -EINVAL);
	ck_assert_int_eq(do_mmap(mm, 0x10, 2, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_mmap(mm, 0x14, 2, RW, PRIV_ANON), 0);
	wr(mm, 0x10, 1);
	/* across the hole: the part before it changes, then ENOMEM */
	ck_assert_int_eq(do_mprotect(mm, 0x10, 6, PROT_READ), -ENOMEM);
	ck_assert_int_eq(access_err(mm, 0x10, true), -EFAULT);
	ck_assert_int_eq(access_err(mm, 0x14, true), 0);
	/* the read-only pte stays; making it writable again reuses the exclusive page */
	ck_assert_int_eq(do_mprotect(mm, 0x10, 2, RW), 0);
	wr(mm, 0x10, 2);
	ck_assert_uint_eq(rd(mm, 0x10), 2);
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), 2);
	/* a middle piece splits the VMA in three */
	ck_assert_int_eq(do_mmap(mm, 0x20, 6, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_mprotect(mm, 0x22, 2, PROT_READ), 0);
	ck_assert_int_eq(nr_vmas(mm), 5);
	ck_assert_int_eq(do_mprotect(mm, 0x22, 2, RW), 0);
	ck_assert_int_eq(nr_vmas(mm), 3);	/* merged back */
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(cow_after_fork)
{
	struct mm_struct *p = mm_alloc(), *c;
	struct folio *f;

	ck_assert_int_eq(do_mmap(p, 0x10, 4, RW, PRIV_ANON), 0);
	wr(p, 0x10, 0xaa);
	wr(p, 0x11, 0xbb);
	f = pfn_folio(pte_pfn(*mmt_pte_peek(p, 0x10)));
	ck_assert(PageAnonExclusive(&f->page));
	ck_assert_int_eq(dup_mm(p, &c), 0);
	/* shared read-only, no longer exclusive */
	ck_assert_int_eq(folio_mapcount(f), 2);
	ck_assert(!PageAnonExclusive(&f->page));
	ck_assert(!pte_write(*mmt_pte_peek(p, 0x10)));
	ck_assert(!pte_write(*mmt_pte_peek(c, 0x10)));
	assert_clean();
	wr(c, 0x10, 0xcc);			/* child copies */
	ck_assert_uint_eq(rd(p, 0x10), 0xaa);
	ck_assert_uint_eq(rd(c, 0x10), 0xcc);
	ck_assert_int_eq(folio_mapcount(f), 1);
	wr(p, 0x10, 0xdd);			/* parent is the last user: reuse */
	ck_assert_ptr_eq(pfn_folio(pte_pfn(*mmt_pte_peek(p, 0x10))), f);
	ck_assert(PageAnonExclusive(&f->page));
	ck_assert_uint_eq(rd(c, 0x11), 0xbb);
	assert_clean();
	mmput(c);
	wr(p, 0x11, 0xee);			/* child gone: reuse, no copy */
	ck_assert_int_eq(get_mm_counter(p, MM_ANONPAGES), 2);
	assert_clean();
	mmput(p);
	assert_empty();
}
END_TEST

START_TEST(fork_dontfork_wipeonfork)
{
	struct mm_struct *p = mm_alloc(), *c;

	ck_assert_int_eq(do_mmap(p, 0x10, 6, RW, PRIV_ANON), 0);
	for (uint64_t a = 0x10; a < 0x16; a++)
		wr(p, a, a);
	ck_assert_int_eq(do_madvise(p, 0x12, 2, MADV_DONTFORK), 0);
	ck_assert_int_eq(do_madvise(p, 0x14, 1, MADV_WIPEONFORK), 0);
	ck_assert_int_eq(do_madvise(p, 0x30, 1, MADV_DONTFORK), -ENOMEM);
	ck_assert_int_eq(do_madvise(p, 0x10, 1, 99), -EINVAL);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_uint_eq(rd(c, 0x10), 0x10);
	ck_assert_int_eq(access_err(c, 0x12, false), -EFAULT);
	ck_assert_uint_eq(rd(c, 0x14), 0);	/* wiped */
	ck_assert_uint_eq(rd(c, 0x15), 0x15);
	ck_assert_uint_eq(rd(p, 0x14), 0x14);
	assert_clean();
	mmput(c);
	ck_assert_int_eq(do_madvise(p, 0x12, 2, MADV_DOFORK), 0);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_uint_eq(rd(c, 0x13), 0x13);
	assert_clean();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

START_TEST(mremap_moves_pages)
{
	struct mm_struct *p = mm_alloc(), *c;

	ck_assert_int_eq(do_mmap(p, 0x10, 4, RW, PRIV_ANON), 0);
	wr(p, 0x10, 1);
	wr(p, 0x13, 4);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_int_eq(do_mremap(p, 0x10, 4, 0x12, 4), -EINVAL);	/* overlap */
	ck_assert_int_eq(do_mremap(p, 0x10, 4, 0x40, 0), -EINVAL);
	ck_assert_int_eq(do_mremap(p, 0x60, 1, 0x40, 1), -EFAULT);
	ck_assert_int_eq(do_mremap(p, 0x10, 0, 0x40, 1), -EINVAL);	/* private */
	ck_assert_int_eq(do_mremap(p, 0x10, 4, 0x40, 6), 0);
	ck_assert_uint_eq(rd(p, 0x40), 1);
	ck_assert_uint_eq(rd(p, 0x43), 4);
	ck_assert_uint_eq(rd(p, 0x45), 0);
	ck_assert_int_eq(access_err(p, 0x10, false), -EFAULT);
	/* the moved COW pages still reach the child's through the rmap */
	assert_clean();
	wr(p, 0x43, 5);
	ck_assert_uint_eq(rd(c, 0x13), 4);
	/* shrink while moving */
	ck_assert_int_eq(do_mremap(c, 0x10, 4, 0x80, 1), 0);
	ck_assert_uint_eq(rd(c, 0x80), 1);
	ck_assert_int_eq(access_err(c, 0x13, false), -EFAULT);
	assert_clean();
	mmput(p);
	mmput(c);
	assert_empty();
}
END_TEST

START_TEST(madvise_dontneed)
{
	struct mm_struct *p = mm_alloc();

	ck_assert_int_eq(do_mmap(p, 0x10, 2, RW, PRIV_ANON), 0);
	wr(p, 0x10, 9);
	ck_assert_int_eq(do_madvise(p, 0x10, 0, MADV_DONTNEED), 0);
	ck_assert_int_eq(do_madvise(p, 0x10, 4, MADV_DONTNEED), -ENOMEM);
	ck_assert_uint_eq(rd(p, 0x10), 0);
	ck_assert_int_eq(get_mm_counter(p, MM_ANONPAGES), 0);
	assert_clean();
	mmput(p);
	assert_empty();
}
END_TEST

START_TEST(file_and_shmem)
{
	struct mm_struct *a = mm_alloc(), *b = mm_alloc(), *c;

	ck_assert_int_eq(do_mmap(a, 0x10, 2, RW, MAP_SHARED), 0);
	ck_assert_int_eq(do_mmap(b, 0x10, 2, RW, MAP_PRIVATE), 0);
	wr(a, 0x10, 7);
	ck_assert_uint_eq(rd(b, 0x10), 7);	/* private file page sees the file */
	wr(b, 0x10, 8);				/* COW into an anon page */
	ck_assert_uint_eq(rd(a, 0x10), 7);
	ck_assert_int_eq(get_mm_counter(b, MM_ANONPAGES), 1);
	ck_assert_int_eq(do_mmap(a, 0x20, 1, RW, MAP_SHARED | MAP_ANONYMOUS), 0);
	wr(a, 0x20, 3);
	ck_assert_int_eq(dup_mm(a, &c), 0);
	wr(c, 0x20, 4);
	ck_assert_uint_eq(rd(a, 0x20), 4);
	ck_assert_int_eq(get_mm_counter(a, MM_SHMEMPAGES), 1);
	assert_clean();
	mmput(a);
	mmput(b);
	mmput(c);
	assert_empty();
}
END_TEST

START_TEST(shmem_size_sigbus)
{
	struct mm_struct *p = mm_alloc(), *c;
	struct address_space *m;

	ck_assert_int_eq(do_mmap(p, 0x10, 2, RW, MAP_SHARED | MAP_ANONYMOUS), 0);
	m = find_vma(p, 0x10)->vm_file;
	ck_assert_uint_eq(i_size_read(m), 2);	/* shmem_zero_setup: the mmap length */
	wr(p, 0x11, 7);
	/* grown by mremap: the object is not, and past its end is SIGBUS */
	ck_assert_int_eq(do_mremap(p, 0x10, 2, 0x40, 4), 0);
	ck_assert_uint_eq(i_size_read(m), 2);
	ck_assert_uint_eq(rd(p, 0x41), 7);
	ck_assert_int_eq(access_err(p, 0x42, false), -EIO);
	ck_assert_int_eq(access_err(p, 0x43, true), -EIO);
	ck_assert_uint_eq(m->nrpages, 1);	/* nothing was added past the end */
	/* a duplicate (old_len 0) and a fork's copy end at the same place */
	ck_assert_int_eq(do_mremap(p, 0x40, 0, 0x80, 4), 0);
	ck_assert_int_eq(access_err(p, 0x82, false), -EIO);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_int_eq(access_err(c, 0x43, true), -EIO);
	ck_assert_uint_eq(rd(c, 0x81), 7);
	/* the protection check comes first: SIGSEGV, not SIGBUS */
	ck_assert_int_eq(do_mprotect(p, 0x40, 4, PROT_READ), 0);
	ck_assert_int_eq(access_err(p, 0x42, true), -EFAULT);
	ck_assert_int_eq(access_err(p, 0x42, false), -EIO);
	ck_assert_int_eq(get_mm_counter(p, MM_SHMEMPAGES) + get_mm_counter(c, MM_SHMEMPAGES), 2);
	assert_clean();
	mmput(p);
	mmput(c);
	assert_empty();
}
END_TEST

START_TEST(memfd_size_grows_at_mmap)
{
	struct mm_struct *a = mm_alloc(), *b = mm_alloc();
	struct address_space *m = world_memfd();

	ck_assert_uint_eq(i_size_read(m), 0);
	ck_assert_int_eq(do_mmap(a, 0x10, 2, RW, MAP_SHARED), 0);
	ck_assert_uint_eq(i_size_read(m), 0x12);
	/* a lower mmap never shrinks it */
	ck_assert_int_eq(do_mmap(b, 0x4, 1, RW, MAP_PRIVATE), 0);
	ck_assert_uint_eq(i_size_read(m), 0x12);
	/* grown even when the mmap then fails, as realkernel.py's ftruncate is */
	ck_assert_int_eq(do_mmap(b, 0x14, 0, RW, MAP_SHARED), -EINVAL);
	ck_assert_uint_eq(i_size_read(m), 0x14);
	/* anonymous mmaps leave it alone */
	ck_assert_int_eq(do_mmap(b, 0x100, 1, RW, MAP_SHARED | MAP_ANONYMOUS), 0);
	ck_assert_int_eq(do_mmap(b, 0x200, 1, RW, PRIV_ANON), 0);
	ck_assert_uint_eq(i_size_read(m), 0x14);
	/* file pages 0x10..0x17 at 0x40: 0x14 on is past the end */
	ck_assert_int_eq(do_mremap(a, 0x10, 2, 0x40, 8), 0);
	ck_assert_uint_eq(rd(a, 0x43), 0);
	ck_assert_int_eq(access_err(a, 0x44, false), -EIO);
	ck_assert_int_eq(access_err(a, 0x45, true), -EIO);
	/* private: the read fault and the COW fault both stop there */
	ck_assert_int_eq(do_mremap(b, 0x4, 1, 0x60, 0x20), 0);
	ck_assert_uint_eq(rd(b, 0x6f), 0);	/* file page 0x13 */
	ck_assert_int_eq(access_err(b, 0x70, false), -EIO);
	ck_assert_int_eq(access_err(b, 0x71, true), -EIO);
	ck_assert_int_eq(get_mm_counter(b, MM_ANONPAGES), 0);
	/* another mmap of the file moves the end for every mapping */
	ck_assert_int_eq(do_mmap(b, 0x20, 1, PROT_READ, MAP_SHARED), 0);
	wr(a, 0x45, 5);
	ck_assert_uint_eq(rd(b, 0x71), 5);	/* file page 0x15 */
	wr(b, 0x71, 6);				/* COW: a keeps the file's 5 */
	ck_assert_uint_eq(rd(a, 0x45), 5);
	assert_clean();
	mmput(a);
	mmput(b);
	assert_empty();
}
END_TEST

START_TEST(swap_roundtrip_and_swapoff)
{
	struct mm_struct *p = mm_alloc(), *c;

	ck_assert_int_eq(sys_swapon(0, 1), -EINVAL);
	ck_assert_int_eq(sys_swapon(0, 16), 0);
	ck_assert_int_eq(sys_swapon(0, 16), -EBUSY);
	ck_assert_int_eq(do_mmap(p, 0x10, 3, RW, PRIV_ANON), 0);
	wr(p, 0x10, 0x10);
	wr(p, 0x11, 0x11);
	ck_assert_int_eq(do_madvise(p, 0x10, 3, MADV_PAGEOUT), 0);
	ck_assert(is_swap_pte(*mmt_pte_peek(p, 0x10)));
	ck_assert_int_eq(get_mm_counter(p, MM_SWAPENTS), 2);
	assert_clean();
	ck_assert_int_eq(dup_mm(p, &c), 0);
	assert_clean();
	ck_assert_uint_eq(rd(c, 0x11), 0x11);	/* swap-in through the cache */
	wr(p, 0x11, 0x22);
	ck_assert_uint_eq(rd(c, 0x11), 0x11);
	assert_clean();
	ck_assert_int_eq(sys_swapoff(0), 0);
	ck_assert_int_eq(sys_swapoff(0), -EINVAL);
	ck_assert_int_eq(get_mm_counter(p, MM_SWAPENTS), 0);
	ck_assert_int_eq(get_mm_counter(c, MM_SWAPENTS), 0);
	ck_assert_uint_eq(rd(c, 0x10), 0x10);
	ck_assert_uint_eq(rd(p, 0x11), 0x22);
	assert_clean();
	mmput(p);
	mmput(c);
	assert_empty();
}
END_TEST

/*
 * Swap count continuation: a count past SWAP_MAP_MAX carries into
 * continuation pages (two of them past 63 * 128), borrows back down, and
 * fork chains the page its copy needs with no ptl held; SWAPMAP 4.1 counts
 * every digit and 4.8 the continued flag
 */
START_TEST(swap_count_continuation)
{
	struct mm_struct *p, *c = NULL;
	struct swap_info_struct *si;
	swp_entry_t e;
	unsigned extra = 63 * 128 + 100;	/* into the second page */

	ck_assert_int_eq(sys_swapon(0, 16), 0);
	si = swap_type_to_info(0);
	p = mm_alloc();
	ck_assert_int_eq(do_mmap(p, 0x10, 1, RW, PRIV_ANON), 0);
	wr(p, 0x10, 0x10);
	ck_assert_int_eq(do_madvise(p, 0x10, 1, MADV_PAGEOUT), 0);
	e = pte_to_swp_entry(*mmt_pte_peek(p, 0x10));
	ck_assert_int_eq(swap_count(e), 1);

	/* 61 more: 62, SWAP_MAP_MAX, still in swap_map; fork's carry needs a page */
	for (unsigned i = 0; i < SWAP_MAP_MAX - 1; i++)
		ck_assert_int_eq(swap_duplicate(e), 0);
	ck_assert_int_eq(si->nr_cont, 0);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_int_eq(si->nr_cont, 1);
	ck_assert_int_eq(swap_count(e), SWAP_MAP_MAX + 1);
	ck_assert_uint_eq(si->swap_map[swp_offset(e)], COUNT_CONTINUED);
	/* the checker counts every digit: 63 against 2 swap ptes */
	mmt_report_reset();
	ck_assert_int_gt(check_world(), 0);
	ck_assert_int_eq(mmt_report.first.inv, INV_SWAPMAP);
	ck_assert_ptr_nonnull(strstr(mmt_report.first.msg, "count 63"));
	mmt_report_reset();
	for (unsigned i = 0; i < SWAP_MAP_MAX - 1; i++)
		swap_free(e);
	ck_assert_int_eq(swap_count(e), 2);
	assert_clean();

	/* past 63 * 128: a carry into the second page, then borrows back */
	for (unsigned i = 0; i < extra; i++) {
		int err = swap_duplicate(e);

		if (err == -ENOMEM) {
			ck_assert_int_eq(add_swap_count_continuation(e), 0);
			err = swap_duplicate(e);
		}
		ck_assert_int_eq(err, 0);
	}
	ck_assert_int_eq(si->nr_cont, 2);
	ck_assert_int_eq(swap_count(e), (int)extra + 2);
	for (unsigned i = 0; i < extra; i++)
		swap_free(e);
	ck_assert_int_eq(swap_count(e), 2);
	ck_assert_uint_eq(si->swap_map[swp_offset(e)] & ~SWAP_HAS_CACHE, 2);
	assert_clean();

	/* 4.8: a continued count whose digits end in 0 */
	si->swap_map[swp_offset(e)] |= COUNT_CONTINUED;
	si->cont[0][swp_offset(e)] = 0;
	mmt_report_reset();
	ck_assert_int_gt(check_world(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_SWAPMAP));
	mmt_report_reset();
	si->swap_map[swp_offset(e)] &= (uint8_t)~COUNT_CONTINUED;
	assert_clean();

	ck_assert_uint_eq(rd(c, 0x10), 0x10);
	mmput(c);
	mmput(p);
	ck_assert_int_eq(sys_swapoff(0), 0);
	ck_assert_int_eq(si->nr_cont, 0);
	assert_empty();
}
END_TEST

START_TEST(oom_reclaims_then_fails)
{
	struct world_config cfg;
	struct mm_struct *p;

	world_destroy(w);
	world_config_default(&cfg);
	cfg.frames = 8;
	w = world_create(&cfg);
	p = mm_alloc();
	ck_assert_int_eq(do_mmap(p, 0x10, 16, RW, PRIV_ANON), 0);
	for (uint64_t a = 0x10; a < 0x18; a++)
		wr(p, a, a);
	ck_assert_int_eq(access_err(p, 0x18, true), -ENOMEM);	/* no swap */
	ck_assert_int_eq(sys_swapon(3, 32), 0);
	wr(p, 0x18, 0x18);					/* direct reclaim */
	ck_assert_uint_eq(rd(p, 0x10), 0x10);
	assert_clean();
	mmput(p);
	ck_assert_int_eq(sys_swapoff(3), 0);
	assert_empty();
}
END_TEST

/*
 * Page-table pools run dry: a fault that cannot get a table (a pte table
 * from the pgtable pool, or a pmd table's slot array from the pgdir pool)
 * is -ENOMEM, takes nothing, and leaves the tables it has intact.  16
 * tables give the pgdir pool max(16 / 8, 2) = 2 slot arrays: the first
 * fault's pud and pmd.  A page 2^14 away (PUD_SHIFT) needs a second pmd
 * table; pages in the first pmd's range need only 32-page pte tables.
 */
START_TEST(pgtable_pools_exhausted_enomem)
{
	struct world_config cfg;
	struct mm_struct *p;
	uint64_t far = 0x10 + (1ull << PUD_SHIFT);
	uint32_t used;

	world_destroy(w);
	world_config_default(&cfg);
	cfg.max_pgtables = 16;
	w = world_create(&cfg);
	p = mm_alloc();
	ck_assert_int_eq(do_mmap(p, 0x10, 32 * 16, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_mmap(p, far, 1, RW, PRIV_ANON), 0);
	wr(p, 0x10, 1);
	ck_assert_uint_eq(w->pgtable_pool.nr_used, 3);	/* pud, pmd, pte */
	ck_assert_uint_eq(w->pgdir_pool.nr_used, 2);
	/* no slot array left for far's pmd table: -ENOMEM, the header given back */
	ck_assert_int_eq(access_err(p, far, true), -ENOMEM);
	ck_assert_uint_eq(w->pgtable_pool.nr_used, 3);
	ck_assert_uint_eq(w->pgdir_pool.nr_used, 2);
	/* pte tables, 32 pages each, until the pgtable pool is full */
	for (uint64_t a = 0x10 + 32; (used = w->pgtable_pool.nr_used) < 16; a += 32) {
		wr(p, a, a);
		ck_assert_uint_eq(w->pgtable_pool.nr_used, used + 1);
		ck_assert_uint_eq(rd(p, a - 32), a == 0x30 ? 1 : a - 32);
	}
	ck_assert_int_eq(access_err(p, 0x10 + 32 * 14, true), -ENOMEM);
	ck_assert_uint_eq(rd(p, 0x10), 1);			/* in a table that exists */
	assert_clean();
	mmput(p);
	assert_empty();
}
END_TEST

/* ------------------------------------------------- the anon_vma lifecycle */

static struct anon_vma *av_at(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);

	ck_assert_ptr_nonnull(vma);
	return vma->anon_vma;
}

static struct mm_struct *fork_of(struct mm_struct *p)
{
	struct mm_struct *c = NULL;

	ck_assert_int_eq(dup_mm(p, &c), 0);
	return c;
}

/*
 * anon_vma_prepare: a new root counts itself in num_children; fork gives
 * the child a new anon_vma (a child of the parent's) while every anon_vma
 * on the chain is still in use, and the counters follow the VMAs.
 */
START_TEST(anon_vma_counters)
{
	struct mm_struct *a = mm_alloc(), *b;
	struct anon_vma *r, *x;

	ck_assert_int_eq(do_mmap(a, 0x10, 2, RW, PRIV_ANON), 0);
	wr(a, 0x10, 1);
	r = av_at(a, 0x10);
	ck_assert_ptr_eq(r->root, r);
	ck_assert_uint_eq(r->num_children, 1);		/* itself */
	ck_assert_uint_eq(r->num_active_vmas, 1);
	b = fork_of(a);
	x = av_at(b, 0x10);
	ck_assert_ptr_ne(x, r);
	ck_assert_ptr_eq(x->parent, r);
	ck_assert_uint_eq(r->num_children, 2);
	ck_assert_uint_eq(x->num_children, 0);
	ck_assert_uint_eq(x->num_active_vmas, 1);
	/* a split VMA is one more user of the same anon_vma */
	ck_assert_int_eq(do_mprotect(b, 0x11, 1, PROT_READ), 0);
	ck_assert_uint_eq(x->num_active_vmas, 2);
	assert_clean();
	mmput(a);
	ck_assert_uint_eq(r->num_active_vmas, 0);
	ck_assert_uint_eq(r->num_children, 2);		/* still on b's chains */
	assert_clean();
	mmput(b);
	assert_empty();
}
END_TEST

/*
 * anon_vma_clone's reuse: A forks B, B forks C, B exits.  B's anon_vma X
 * has no VMA and one child (C's Y): C's child D takes X instead of a new
 * one.  Y, a leaf C still uses, is never taken.
 */
START_TEST(anon_vma_fork_reuse)
{
	struct mm_struct *a = mm_alloc(), *b, *c, *d, *e;
	struct anon_vma *x, *y;
	uint32_t live;

	ck_assert_int_eq(do_mmap(a, 0x10, 2, RW, PRIV_ANON), 0);
	wr(a, 0x10, 1);
	b = fork_of(a);
	c = fork_of(b);
	x = av_at(b, 0x10);
	y = av_at(c, 0x10);
	ck_assert_ptr_eq(y->parent, x);
	mmput(b);
	ck_assert_uint_eq(x->num_active_vmas, 0);
	ck_assert_uint_eq(x->num_children, 1);
	live = w->anon_vma_pool.nr_used;
	d = fork_of(c);
	ck_assert_ptr_eq(av_at(d, 0x10), x);			/* reused */
	ck_assert_uint_eq(w->anon_vma_pool.nr_used, live);	/* none allocated */
	ck_assert_uint_eq(x->num_active_vmas, 1);
	ck_assert_uint_eq(x->num_children, 1);
	/* X is D's now: D's child gets a new one; so does C's (Y is in use) */
	e = fork_of(d);
	ck_assert_ptr_ne(av_at(e, 0x10), x);
	ck_assert_ptr_ne(av_at(e, 0x10), y);
	ck_assert_ptr_eq(av_at(e, 0x10)->parent, x);
	assert_clean();
	wr(d, 0x11, 2);					/* D's folios go to X */
	ck_assert_ptr_eq(folio_anon_vma(pfn_folio(pte_pfn(*mmt_pte_peek(d, 0x11)))), x);
	assert_clean();
	mmput(c);
	mmput(e);
	mmput(a);
	assert_clean();
	mmput(d);
	assert_empty();
}
END_TEST

/*
 * find_mergeable_anon_vma: a VMA that differs from its neighbour only in
 * its access bits takes the neighbour's anon_vma (whose chain is that one
 * link), so a later mprotect can merge them; any other difference, or a
 * neighbour with a longer chain, gets a new one.
 */
START_TEST(anon_vma_prepare_mergeable)
{
	struct mm_struct *p = mm_alloc(), *c;
	struct anon_vma *r;

	ck_assert_int_eq(do_mmap(p, 0x10, 1, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_mmap(p, 0x11, 1, RW | PROT_EXEC, PRIV_ANON), 0);
	ck_assert_int_eq(do_mmap(p, 0x12, 1, RW, PRIV_ANON), 0);
	ck_assert_int_eq(nr_vmas(p), 3);
	wr(p, 0x11, 1);
	r = av_at(p, 0x11);
	wr(p, 0x10, 2);					/* next first */
	ck_assert_ptr_eq(av_at(p, 0x10), r);
	wr(p, 0x12, 3);					/* then prev */
	ck_assert_ptr_eq(av_at(p, 0x12), r);
	ck_assert_uint_eq(r->num_active_vmas, 3);
	ck_assert_uint_eq(r->num_children, 1);
	assert_clean();
	ck_assert_int_eq(do_mprotect(p, 0x11, 1, RW), 0);
	ck_assert_int_eq(nr_vmas(p), 1);		/* merged back */
	ck_assert_uint_eq(r->num_active_vmas, 1);
	assert_clean();

	/* a neighbour with a forked chain is not shared */
	ck_assert_int_eq(do_mmap(p, 0x20, 1, RW, PRIV_ANON), 0);
	wr(p, 0x20, 4);
	c = fork_of(p);
	ck_assert_int_eq(do_mmap(c, 0x21, 1, RW | PROT_EXEC, PRIV_ANON), 0);
	wr(c, 0x21, 5);
	ck_assert_ptr_ne(av_at(c, 0x21), av_at(c, 0x20));
	/* nor across a flag outside the access bits */
	ck_assert_int_eq(do_mmap(p, 0x30, 1, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_mmap(p, 0x31, 1, RW | PROT_EXEC, PRIV_ANON), 0);
	ck_assert_int_eq(do_madvise(p, 0x31, 1, MADV_DONTFORK), 0);
	wr(p, 0x30, 6);
	wr(p, 0x31, 7);
	ck_assert_ptr_ne(av_at(p, 0x31), av_at(p, 0x30));
	assert_clean();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

/*
 * The zoo's anon-vma-degree-reuse (CVE-2022-42703), run to the end both
 * ways.  Fixed: p5's halves get different anon_vmas and stay apart, and
 * everything stays clean.  With the old 'degree': both halves take Y with
 * different chains (ANONVMA 6.7), mprotect merges them into the lower
 * chain and the folio of the upper half is where no rmap walk looks
 * (RMAP 5.2), and p4's exit frees that folio's anon_vma under it (6.6).
 */
static void degree_reuse(bool bug)
{
	struct mm_struct *p0 = mm_alloc(), *p1, *p2, *p3, *p4, *p5;
	struct folio *f;
	struct anon_vma *z;

	mmt_injected_mask = bug ? 1ull << BUG_ANON_VMA_DEGREE_REUSE : 0;
	ck_assert_int_eq(do_mmap(p0, 0x10, 2, RW, PRIV_ANON), 0);
	wr(p0, 0x10, 1);
	p1 = fork_of(p0);
	p2 = fork_of(p1);
	mmput(p1);
	p3 = fork_of(p2);
	ck_assert_int_eq(do_mprotect(p3, 0x11, 1, PROT_READ), 0);
	ck_assert_int_eq(do_mprotect(p2, 0x11, 1, PROT_READ), 0);
	p4 = fork_of(p3);
	mmput(p2);
	ck_assert_int_eq(do_mprotect(p4, 0x11, 1, RW), 0);
	wr(p4, 0x11, 2);
	f = pfn_folio(pte_pfn(*mmt_pte_peek(p4, 0x11)));
	z = folio_anon_vma(f);
	ck_assert_ptr_eq(z, av_at(p4, 0x11));
	ck_assert_int_eq(do_mprotect(p4, 0x11, 1, PROT_READ), 0);
	assert_clean();
	p5 = fork_of(p4);
	if (!bug) {
		ck_assert_ptr_ne(av_at(p5, 0x10), av_at(p5, 0x11));
		assert_clean();
		ck_assert_int_eq(do_mprotect(p5, 0x11, 1, RW), 0);
		ck_assert_int_eq(nr_vmas(p5), 2);	/* different anon_vmas */
		mmput(p4);
		assert_clean();
		ck_assert_uint_eq(rd(p5, 0x11), 2);
		mmput(p5);
		mmput(p3);
		mmput(p0);
		assert_empty();
		return;
	}
	/* both halves took Y, with different chains */
	ck_assert_ptr_eq(av_at(p5, 0x10), av_at(p5, 0x11));
	mmt_report_reset();
	ck_assert_int_gt(check_world(), 0);
	ck_assert_int_eq(mmt_report.first.inv, INV_ANONVMA);
	ck_assert_ptr_nonnull(strstr(mmt_report.first.msg, "of another chain"));
	/* the merge keeps the lower chain, which does not link z */
	ck_assert_int_eq(do_mprotect(p5, 0x11, 1, RW), 0);
	ck_assert_int_eq(nr_vmas(p5), 1);
	mmt_report_reset();
	ck_assert_int_gt(check_world(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_RMAP));
	/* p4 was z's last VMA: z is freed while p5 maps its folio */
	mmput(p4);
	ck_assert(!pool_owns(&w->anon_vma_pool, z));
	ck_assert_ptr_eq(folio_anon_vma(pfn_folio(pte_pfn(*mmt_pte_peek(p5, 0x11)))), z);
	mmt_report_reset();
	ck_assert_int_gt(check_world(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_ANONVMA));
	mmt_injected_mask = 0;
}

START_TEST(anon_vma_degree_reuse_fixed)
{
	degree_reuse(false);
}
END_TEST

START_TEST(anon_vma_degree_reuse_bug)
{
	degree_reuse(true);
}
END_TEST

static bool pte_present_at(struct mm_struct *mm, uint64_t addr)
{
	pte_t *ptep = mmt_pte_peek(mm, addr);

	return ptep && pte_present(*ptep);
}

/* try_to_unmap of the memfd's page @index: is it mapped anywhere after? */
static bool unmap_file_page(uint64_t index)
{
	struct folio *f = filemap_get_folio(world_memfd(), index);
	bool mapped;

	ck_assert_ptr_nonnull(f);
	folio_lock(f);
	try_to_unmap(f, 0);
	mapped = folio_mapped(f);
	folio_unlock(f);
	folio_put(f);
	return mapped;
}

/*
 * remap_file_pages as Linux 6.18 emulates it: a new VMA at the new offset,
 * populated; the object rmap walk finds every pte of the page (seed 004).
 */
START_TEST(remap_file_pages_new_vma)
{
	struct mm_struct *p = mm_alloc();
	struct vm_area_struct *vma;

	ck_assert_int_eq(do_mmap(p, 0x10, 4, RW, MAP_SHARED), 0);
	for (uint64_t a = 0x10; a < 0x14; a++)
		wr(p, a, a);
	ck_assert_int_eq(sys_remap_file_pages(p, 0x10, 2, 0x12), 0);
	vma = vma_lookup(p, 0x10);
	ck_assert_uint_eq(vma->vm_pgoff, 0x12);
	ck_assert_uint_eq(vma->vm_end, 0x12);
	ck_assert_int_eq(nr_vmas(p), 2);
	ck_assert(pte_present_at(p, 0x10) && pte_present_at(p, 0x11));	/* MAP_POPULATE */
	ck_assert_uint_eq(rd(p, 0x10), 0x12);
	ck_assert_uint_eq(rd(p, 0x11), 0x13);
	assert_clean();
	/* both ptes of file page 0x12 are found: at 0x10 and at 0x12 */
	ck_assert(!unmap_file_page(0x12));
	ck_assert(!pte_present_at(p, 0x10) && !pte_present_at(p, 0x12));
	ck_assert_uint_eq(rd(p, 0x10), 0x12);
	/* back to the linear offset: one VMA again */
	ck_assert_int_eq(sys_remap_file_pages(p, 0x10, 2, 0x10), 0);
	ck_assert_int_eq(nr_vmas(p), 1);
	ck_assert_uint_eq(rd(p, 0x11), 0x11);
	/* EINVAL: empty, no VMA, private, into a hole, across other flags */
	ck_assert_int_eq(sys_remap_file_pages(p, 0x10, 0, 0x12), -EINVAL);
	ck_assert_int_eq(sys_remap_file_pages(p, 0x20, 1, 0x12), -EINVAL);
	ck_assert_int_eq(do_mmap(p, 0x20, 1, RW, MAP_PRIVATE), 0);
	ck_assert_int_eq(sys_remap_file_pages(p, 0x20, 1, 0x12), -EINVAL);
	ck_assert_int_eq(sys_remap_file_pages(p, 0x13, 2, 0x10), -EINVAL);
	ck_assert_int_eq(do_mprotect(p, 0x13, 1, PROT_READ), 0);
	ck_assert_int_eq(sys_remap_file_pages(p, 0x12, 2, 0x10), -EINVAL);
	/* shmem: offsets in its own object; past its end the remap works, the access is SIGBUS */
	ck_assert_int_eq(do_mmap(p, 0x30, 2, RW, MAP_SHARED | MAP_ANONYMOUS), 0);
	wr(p, 0x31, 5);
	ck_assert_int_eq(sys_remap_file_pages(p, 0x30, 1, 1), 0);
	ck_assert_uint_eq(rd(p, 0x30), 5);
	ck_assert_int_eq(sys_remap_file_pages(p, 0x31, 1, 2), 0);
	ck_assert_int_eq(access_err(p, 0x31, false), -EIO);
	assert_clean();
	mmput(p);
	assert_empty();
}
END_TEST

/* the bug: a nonlinear pte in the linear VMA, which the rmap walk misses */
START_TEST(remap_file_pages_nonlinear_bug)
{
	struct mm_struct *p = mm_alloc();

	ck_assert_int_eq(do_mmap(p, 0x10, 2, RW, MAP_SHARED), 0);
	wr(p, 0x11, 5);
	mmt_injected_mask = 1ull << BUG_OBJRMAP_NONLINEAR;
	ck_assert_int_eq(sys_remap_file_pages(p, 0x10, 1, 0x11), 0);
	mmt_injected_mask = 0;
	ck_assert_int_eq(nr_vmas(p), 1);			/* no new VMA */
	ck_assert_uint_eq(vma_lookup(p, 0x10)->vm_pgoff, 0x10);
	ck_assert_uint_eq(rd(p, 0x10), 5);			/* the page of offset 0x11 */
	ck_assert(unmap_file_page(0x11));			/* the pte at 0x10 is missed */
	ck_assert(pte_present_at(p, 0x10) && !pte_present_at(p, 0x11));
	ck_assert_int_gt(check_world(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_RMAP));
	mmt_report_reset();
	mmput(p);
	assert_empty();
}
END_TEST

static Suite *mm_suite(void)
{
	Suite *s = suite_create("mm");
	TCase *tc = tcase_create("ops");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mmap_errors);
	tcase_add_test(tc, mmap_fixed_replaces);
	tcase_add_test(tc, munmap_errors_and_split);
	tcase_add_test(tc, mprotect_semantics);
	tcase_add_test(tc, cow_after_fork);
	tcase_add_test(tc, fork_dontfork_wipeonfork);
	tcase_add_test(tc, mremap_moves_pages);
	tcase_add_test(tc, madvise_dontneed);
	tcase_add_test(tc, file_and_shmem);
	tcase_add_test(tc, shmem_size_sigbus);
	tcase_add_test(tc, memfd_size_grows_at_mmap);
	tcase_add_test(tc, swap_roundtrip_and_swapoff);
	tcase_add_test(tc, swap_count_continuation);
	tcase_add_test(tc, oom_reclaims_then_fails);
	tcase_add_test(tc, pgtable_pools_exhausted_enomem);
	tcase_add_test(tc, anon_vma_counters);
	tcase_add_test(tc, anon_vma_fork_reuse);
	tcase_add_test(tc, anon_vma_prepare_mergeable);
	tcase_add_test(tc, anon_vma_degree_reuse_fixed);
	tcase_add_test(tc, anon_vma_degree_reuse_bug);
	tcase_add_test(tc, remap_file_pages_new_vma);
	tcase_add_test(tc, remap_file_pages_nonlinear_bug);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mm_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
