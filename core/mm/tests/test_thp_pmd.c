// SPDX-License-Identifier: MIT
/*
 * test_thp_pmd.c - PMD-mapped THP (huge_mm.h): the huge fault and its
 * fallbacks, fork sharing the pmd, reuse and COW through it, every way a
 * huge pmd is split (partial munmap, dontneed, mprotect, mremap, COW of a
 * shared one, the rmap's split for split_folio, migrate_vma's split of the
 * folio), migration through a PMD migration entry, zap of a
 * whole one, pins through it, and fork of a pinned one both with and
 * without d042035eaf5f, the split of a read-exclusive PMD migration entry
 * with and without 2e83ee1d8694, and khugepaged's collapse into a huge pmd (of
 * small pages, and of a split THP's ptes), and the huge zero folio (read
 * faults, its write fault, fork, mprotect, mremap, split, UFFDIO_MOVE
 * with and without 5d4747a6cc8e, and the checker on a corrupted one).  Each test checks the mapcounts, references and
 * rss it leaves and ends with a clean check_world() and an empty world.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>

#include "mmt/check.h"
#include "mmt/folio.h"
#include "mmt/gup.h"
#include "mmt/hmm.h"
#include "mmt/huge_mm.h"
#include "mmt/inject.h"
#include "mmt/khugepaged.h"
#include "mmt/ksm.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/userfaultfd.h"
#include "mmt/world.h"

#include "mmt_test.h"

#define BASE	0x20	/* a PMD-aligned range of HPAGE_PMD_NR pages */

/* the huge pmd of @mm at @a, or NULL */
static pmd_t *huge_at(struct mm_struct *mm, uint64_t a)
{
	pmd_t *pmdp = pmd_offset(mm, a);

	return pmdp && pmd_trans_huge(*pmdp) ? pmdp : NULL;
}

static struct folio *huge_folio(struct mm_struct *mm, uint64_t a)
{
	pmd_t *pmdp = huge_at(mm, a);

	ck_assert_ptr_nonnull(pmdp);
	return pfn_folio(pmd_pfn(*pmdp));
}

/* a process with BASE..BASE+32 madvised hugepage and page 5 written (a huge fault) */
static struct mm_struct *thp_proc(void)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_int_eq(do_mmap(mm, BASE, HPAGE_PMD_NR, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_madvise(mm, BASE, HPAGE_PMD_NR, MADV_HUGEPAGE), 0);
	wr(mm, BASE + 5, 0x55);
	return mm;
}

/* @len pages at @addr mapped and registered: a UFFDIO_MOVE destination */
static void uffd_target(struct mm_struct *mm, uint64_t addr, uint64_t len)
{
	ck_assert_int_eq(do_mmap(mm, addr, len, RW, PRIV_ANON), 0);
	ck_assert_int_eq(userfaultfd_register(mm, addr, len), 0);
}

static void pmd_world(void)
{
	world_again(2, 128, 1u << HPAGE_PMD_ORDER);
}

START_TEST(huge_fault_maps_pmd)
{
	struct mm_struct *mm;
	struct folio *f;

	pmd_world();
	mm = thp_proc();
	f = huge_folio(mm, BASE);
	ck_assert_int_eq(f->order, HPAGE_PMD_ORDER);
	ck_assert_uint_eq(f->pfn % HPAGE_PMD_NR, 0);
	ck_assert(pmd_write(*huge_at(mm, BASE)));
	ck_assert_int_eq(atomic_load(&f->_entire_mapcount), 0);
	ck_assert_int_eq(folio_mapcount(f), 1);
	ck_assert_int_eq(folio_ref_count(f), 1);
	ck_assert_int_eq(atomic_load(&f->_nr_pages_mapped), ENTIRELY_MAPPED);
	ck_assert_int_eq(page_mapcount(folio_page(f, 7)), 1);
	ck_assert(PageAnonExclusive(&f->page));
	ck_assert(!folio_likely_mapped_shared(f));
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), HPAGE_PMD_NR);
	/* no pte under it: the deposited table stays empty */
	ck_assert(pte_none(*mmt_pte_peek(mm, BASE + 5)));
	ck_assert_uint_eq(rd(mm, BASE + 5), 0x55);
	ck_assert_uint_eq(rd(mm, BASE + 31), 0);
	ck_assert_uint_eq(atomic_load(page_value(folio_page(f, 5))), 0x55);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(huge_fault_falls_back)
{
	struct mm_struct *mm = mm_alloc();

	pmd_world();
	mm = mm_alloc();
	/* not madvised: order 0 */
	ck_assert_int_eq(do_mmap(mm, BASE, HPAGE_PMD_NR, RW, PRIV_ANON), 0);
	wr(mm, BASE, 1);
	ck_assert_ptr_null(huge_at(mm, BASE));
	ck_assert_int_eq(page_folio(page_at(mm, BASE))->order, 0);
	/* madvised, but a pte is there already: the range is not empty */
	ck_assert_int_eq(do_madvise(mm, BASE, HPAGE_PMD_NR, MADV_HUGEPAGE), 0);
	wr(mm, BASE + 1, 2);
	ck_assert_ptr_null(huge_at(mm, BASE));
	/* a VMA shorter than the aligned range: order 0 */
	ck_assert_int_eq(do_mmap(mm, 0x48, 16, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_madvise(mm, 0x48, 16, MADV_HUGEPAGE), 0);
	wr(mm, 0x48, 3);
	ck_assert_ptr_null(huge_at(mm, 0x48));
	/* emptied by dontneed, the range takes a huge pmd again (pt_reclaim) */
	ck_assert_int_eq(do_madvise(mm, BASE, HPAGE_PMD_NR, MADV_DONTNEED), 0);
	ck_assert_uint_eq(rd(mm, BASE + 1), 0);
	ck_assert_ptr_nonnull(huge_at(mm, BASE));
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(fork_shares_then_cow_splits)
{
	struct mm_struct *p, *c = NULL;
	struct folio *f;

	pmd_world();
	p = thp_proc();
	f = huge_folio(p, BASE);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_ptr_eq(huge_folio(c, BASE), f);
	ck_assert(!pmd_write(*huge_at(p, BASE)) && !pmd_write(*huge_at(c, BASE)));
	ck_assert_int_eq(atomic_load(&f->_entire_mapcount), 1);
	ck_assert_int_eq(folio_mapcount(f), 2);
	ck_assert_int_eq(folio_ref_count(f), 2);
	ck_assert(!PageAnonExclusive(&f->page));
	ck_assert(folio_likely_mapped_shared(f));
	assert_clean();

	/* the child's write: shared, so its pmd is split and one page COWed */
	wr(c, BASE + 5, 0x66);
	ck_assert_ptr_null(huge_at(c, BASE));
	ck_assert_ptr_ne(page_folio(page_at(c, BASE + 5)), f);
	ck_assert_ptr_eq(page_at(c, BASE + 6), folio_page(f, 6));
	ck_assert_ptr_eq(huge_folio(p, BASE), f);
	ck_assert_int_eq(atomic_load(&f->_entire_mapcount), 0);
	ck_assert_int_eq(folio_mapcount(f), 1 + HPAGE_PMD_NR - 1);
	ck_assert_uint_eq(rd(p, BASE + 5), 0x55);
	ck_assert_uint_eq(rd(c, BASE + 5), 0x66);
	assert_clean();

	/* the parent's write: still mapped by the child's ptes, COW again */
	wr(p, BASE + 6, 0x77);
	ck_assert_ptr_null(huge_at(p, BASE));
	ck_assert_uint_eq(rd(c, BASE + 6), 0);
	assert_clean();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

START_TEST(reuse_after_child_exit)
{
	struct mm_struct *p, *c = NULL;
	struct folio *f;

	pmd_world();
	p = thp_proc();
	f = huge_folio(p, BASE);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	mmput(c);
	/* the last mapping, no other reference: reused whole */
	wr(p, BASE + 9, 9);
	ck_assert_ptr_eq(huge_folio(p, BASE), f);
	ck_assert(pmd_write(*huge_at(p, BASE)));
	ck_assert(PageAnonExclusive(&f->page));
	assert_clean();
	mmput(p);
	assert_empty();
}
END_TEST

START_TEST(partial_unmap_and_dontneed_split)
{
	struct mm_struct *mm;
	struct folio *f;

	pmd_world();
	mm = thp_proc();
	f = huge_folio(mm, BASE);
	ck_assert_int_eq(do_munmap(mm, BASE, 3), 0);
	ck_assert_ptr_null(huge_at(mm, BASE));
	ck_assert_int_eq(folio_mapcount(f), HPAGE_PMD_NR - 3);
	ck_assert_int_eq(atomic_load(&f->_entire_mapcount), -1);
	ck_assert(folio_test_partially_mapped(f));	/* on the deferred split queue */
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), HPAGE_PMD_NR - 3);
	ck_assert_uint_eq(rd(mm, BASE + 5), 0x55);
	ck_assert(PageAnonExclusive(folio_page(f, 5)) && pte_write(*mmt_pte_peek(mm, BASE + 5)));
	assert_clean();
	ck_assert_uint_eq(deferred_split_scan(0), 1);
	assert_clean();
	mmput(mm);
	assert_empty();

	/* dontneed of the whole pmd zaps it: the folio is freed */
	mm = thp_proc();
	f = huge_folio(mm, BASE);
	ck_assert_int_eq(do_madvise(mm, BASE, HPAGE_PMD_NR, MADV_DONTNEED), 0);
	ck_assert_ptr_null(huge_at(mm, BASE));
	ck_assert_int_eq(folio_ref_count(f), 0);
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), 0);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(mprotect_mremap_split)
{
	struct mm_struct *mm;
	struct folio *f;
	uint64_t v = 1;

	pmd_world();
	mm = thp_proc();
	ck_assert_int_eq(do_mprotect(mm, BASE + 8, 4, PROT_READ), 0);
	ck_assert_ptr_null(huge_at(mm, BASE));
	ck_assert_int_eq(mmt_access(mm, BASE + 9, true, &v), -EFAULT);
	wr(mm, BASE + 5, 0x56);
	assert_clean();
	mmput(mm);
	assert_empty();

	/* to an unaligned place: the pmd is split, the ptes move */
	mm = thp_proc();
	ck_assert_int_eq(do_mremap(mm, BASE, HPAGE_PMD_NR, 0x108, HPAGE_PMD_NR), 0);
	ck_assert_ptr_null(huge_at(mm, BASE));
	ck_assert_ptr_null(huge_at(mm, 0x100));
	ck_assert_uint_eq(rd(mm, 0x10d), 0x55);
	ck_assert_int_eq(page_folio(page_at(mm, 0x10d))->order, HPAGE_PMD_ORDER);
	assert_clean();
	mmput(mm);
	assert_empty();

	/* to an aligned one: move_huge_pmd moves the pmd whole */
	mm = thp_proc();
	f = huge_folio(mm, BASE);
	ck_assert_int_eq(do_mremap(mm, BASE, HPAGE_PMD_NR, 0x100, HPAGE_PMD_NR), 0);
	ck_assert_ptr_null(huge_at(mm, BASE));
	ck_assert_ptr_eq(huge_folio(mm, 0x100), f);
	ck_assert_uint_eq(rd(mm, 0x105), 0x55);
	ck_assert_int_eq(folio_mapcount(f), 1);
	assert_clean();
	/*
	 * and on, with a page pinned: the pin (named by the address it was
	 * taken at) now maps at the new place, which PIN checks
	 */
	ck_assert_int_eq(pin_user_pages_range(mm, 0x105, 1), 0);
	ck_assert_int_eq(do_mremap(mm, 0x100, HPAGE_PMD_NR, 0x40, HPAGE_PMD_NR), 0);
	ck_assert_ptr_eq(huge_folio(mm, 0x40), f);
	dma_write(mm, 0x105, 0x77);
	ck_assert_uint_eq(rd(mm, 0x45), 0x77);
	assert_clean();
	ck_assert_int_eq(unpin_user_pages_range(mm, 0x105, 1), 0);
	mmput(mm);
	assert_empty();
}
END_TEST

/*
 * change_huge_pmd: mprotect of a whole huge pmd keeps it, write-protected;
 * back to read-write, the exclusive head makes it writable again, and a
 * THP shared with a child stays write-protected for COW
 */
START_TEST(mprotect_whole_pmd_keeps_it)
{
	struct mm_struct *mm, *c = NULL;
	struct folio *f;
	uint64_t v = 1;

	pmd_world();
	mm = thp_proc();
	f = huge_folio(mm, BASE);
	ck_assert_int_eq(do_mprotect(mm, BASE, HPAGE_PMD_NR, PROT_READ), 0);
	ck_assert_ptr_eq(huge_folio(mm, BASE), f);
	ck_assert(!pmd_write(*huge_at(mm, BASE)) && pmd_dirty(*huge_at(mm, BASE)));
	ck_assert_int_eq(mmt_access(mm, BASE + 9, true, &v), -EFAULT);
	ck_assert_uint_eq(rd(mm, BASE + 5), 0x55);
	ck_assert(PageAnonExclusive(&f->page));
	assert_clean();
	ck_assert_int_eq(do_mprotect(mm, BASE, HPAGE_PMD_NR, PROT_READ | PROT_WRITE), 0);
	ck_assert(pmd_write(*huge_at(mm, BASE)));
	wr(mm, BASE + 9, 0x99);
	ck_assert_ptr_eq(huge_folio(mm, BASE), f);	/* no fault needed: no COW */
	assert_clean();
	/* shared with a child: read-write again, but write-protected */
	ck_assert_int_eq(dup_mm(mm, &c), 0);
	ck_assert_int_eq(do_mprotect(mm, BASE, HPAGE_PMD_NR, PROT_READ), 0);
	ck_assert_int_eq(do_mprotect(mm, BASE, HPAGE_PMD_NR, PROT_READ | PROT_WRITE), 0);
	ck_assert(!pmd_write(*huge_at(mm, BASE)));
	wr(mm, BASE + 9, 0x9a);
	ck_assert_uint_eq(rd(c, BASE + 9), 0x99);
	assert_clean();
	mmput(c);
	mmput(mm);
	assert_empty();
}
END_TEST

/*
 * 2e83ee1d8694: a PMD migration entry of a write-protected exclusive THP
 * (read-exclusive) is split into read-exclusive pte entries, and the
 * migration maps them back read-only; with the switch the split reads the
 * write bit of the present layout and hands out writable entries (PROT)
 */
static void split_read_excl_migration_entry(bool bug)
{
	struct mm_struct *mm;
	struct folio *f;
	pmd_t *pmdp;
	pte_t pte;

	pmd_world();
	mm = thp_proc();
	f = huge_folio(mm, BASE);
	ck_assert_int_eq(do_mprotect(mm, BASE, HPAGE_PMD_NR, PROT_READ), 0);
	pmdp = huge_at(mm, BASE);
	ck_assert_ptr_nonnull(pmdp);
	folio_get(f);		/* migration's own reference (isolation) */
	ck_assert(folio_trylock(f));
	try_to_migrate(f, 0);
	ck_assert(is_pmd_migration_entry(*pmdp));
	ck_assert(is_readable_exclusive_migration_entry(pmd_to_swp_entry(*pmdp)));
	if (bug)
		mmt_injected_mask = 1ull << BUG_THP_SPLIT_PMD_MIGRATION_FLAGS;
	split_huge_pmd(find_vma(mm, BASE), pmdp, BASE);
	mmt_injected_mask = 0;
	pte = *mmt_pte_peek(mm, BASE + 7);
	ck_assert(is_migration_entry(pte_to_swp_entry(pte)));
	ck_assert(is_readable_exclusive_migration_entry(pte_to_swp_entry(pte)) == !bug);
	ck_assert(is_writable_migration_entry(pte_to_swp_entry(pte)) == bug);
	remove_migration_ptes(f, f);
	folio_unlock(f);
	folio_put(f);
	ck_assert_uint_eq(rd(mm, BASE + 5), 0x55);
	ck_assert(pte_write(*mmt_pte_peek(mm, BASE + 7)) == bug);
	if (bug) {
		ck_assert_int_gt(check_world(), 0);
		ck_assert(mmt_report.inv_mask & (1ull << INV_PROT));
		mmt_report_reset();
		ck_assert_int_eq(do_munmap(mm, BASE, HPAGE_PMD_NR), 0);
	} else {
		ck_assert(PageAnonExclusive(folio_page(f, 7)));
		assert_clean();
	}
	mmput(mm);
	assert_empty();
}

START_TEST(split_pmd_migration_entry_keeps_flags)
{
	split_read_excl_migration_entry(false);
}
END_TEST

START_TEST(split_pmd_migration_flags_bug)
{
	split_read_excl_migration_entry(true);
}
END_TEST

/*
 * UFFDIO_MOVE of a whole THP between aligned places moves the pmd
 * (move_pages_huge_pmd): the folio, its contents, its new anon_vma and
 * index; shared after fork or pinned, it is refused (EBUSY); an unaligned
 * move splits the source and moves ptes
 */
START_TEST(uffd_move_whole_pmd)
{
	struct mm_struct *mm, *c = NULL;
	struct folio *f;
	uint64_t moved;

	pmd_world();
	mm = thp_proc();
	f = huge_folio(mm, BASE);
	uffd_target(mm, 0x100, 0x40);
	ck_assert_int_eq(userfaultfd_move(mm, 0x100, BASE, HPAGE_PMD_NR, 0, &moved), 0);
	ck_assert_uint_eq(moved, HPAGE_PMD_NR);
	ck_assert_ptr_null(huge_at(mm, BASE));
	ck_assert_ptr_eq(huge_folio(mm, 0x100), f);
	ck_assert(pmd_write(*huge_at(mm, 0x100)));
	ck_assert_uint_eq(f->index, linear_page_index(vma_lookup(mm, 0x100), 0x100));
	ck_assert_uint_eq(rd(mm, 0x105), 0x55);
	ck_assert_int_eq(folio_mapcount(f), 1);
	assert_clean();

	/* pinned: EBUSY, nothing moved */
	ck_assert_int_eq(pin_user_pages_range(mm, 0x105, 1), 0);
	ck_assert_int_eq(userfaultfd_move(mm, 0x120, 0x100, HPAGE_PMD_NR, 0, &moved), -EBUSY);
	ck_assert_ptr_eq(huge_folio(mm, 0x100), f);
	ck_assert_int_eq(unpin_user_pages_range(mm, 0x105, 1), 0);
	assert_clean();

	/* shared with a child: EBUSY */
	ck_assert_int_eq(dup_mm(mm, &c), 0);
	ck_assert_int_eq(userfaultfd_move(mm, 0x120, 0x100, HPAGE_PMD_NR, 0, &moved), -EBUSY);
	mmput(c);
	wr(mm, 0x106, 0x66);		/* reuse: exclusive again */
	assert_clean();

	/* to an unaligned place: the pmd is split and the ptes move */
	ck_assert_int_eq(userfaultfd_move(mm, 0x124, 0x100, 8, 0, &moved), 0);
	ck_assert_uint_eq(moved, 8);
	ck_assert_ptr_null(huge_at(mm, 0x100));
	ck_assert_uint_eq(rd(mm, 0x129), 0x55);
	ck_assert_uint_eq(rd(mm, 0x12a), 0x66);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(split_and_migrate_through_rmap)
{
	struct mm_struct *p, *c = NULL;
	struct folio *f;
	int status = -1;

	pmd_world();
	p = thp_proc();
	ck_assert_int_eq(dup_mm(p, &c), 0);
	/* split_huge_pages: the folio's unmap splits both pmds through the rmap */
	ck_assert_uint_eq(split_huge_pages_pid(p, BASE, 1), 1);
	ck_assert_ptr_null(huge_at(p, BASE));
	ck_assert_ptr_null(huge_at(c, BASE));
	ck_assert_int_eq(page_folio(page_at(p, BASE + 5))->order, 0);
	ck_assert_ptr_eq(page_at(p, BASE + 5), page_at(c, BASE + 5));
	ck_assert_uint_eq(rd(c, BASE + 5), 0x55);
	assert_clean();
	mmput(c);
	mmput(p);
	assert_empty();

	/*
	 * migration: a PMD migration entry, then a huge pmd of the new folio,
	 * writable and exclusive as before; shared with a child, read-only
	 */
	p = thp_proc();
	f = huge_folio(p, BASE);
	ck_assert_int_eq(do_move_pages(p, BASE + 3, 1, !f->nid, false, &status), 0);
	ck_assert_int_eq(status, !f->nid);
	ck_assert_ptr_ne(huge_folio(p, BASE), f);
	ck_assert_int_eq(huge_folio(p, BASE)->order, HPAGE_PMD_ORDER);
	ck_assert_int_eq(huge_folio(p, BASE)->nid, status);
	ck_assert(pmd_write(*huge_at(p, BASE)));
	ck_assert(PageAnonExclusive(&huge_folio(p, BASE)->page));
	ck_assert_int_eq(folio_ref_count(f), 0);
	ck_assert_uint_eq(rd(p, BASE + 5), 0x55);
	assert_clean();
	ck_assert_int_eq(dup_mm(p, &c), 0);
	f = huge_folio(p, BASE);
	ck_assert_int_eq(do_move_pages(c, BASE, 1, !f->nid, true, &status), 0);
	ck_assert_ptr_eq(huge_folio(p, BASE), huge_folio(c, BASE));
	ck_assert(!pmd_write(*huge_at(p, BASE)) && !pmd_write(*huge_at(c, BASE)));
	ck_assert_int_eq(folio_mapcount(huge_folio(p, BASE)), 2);
	wr(c, BASE + 5, 0x56);
	ck_assert_uint_eq(rd(p, BASE + 5), 0x55);
	assert_clean();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

/* ksmd merges a page of a PMD-mapped THP: the folio is split first */
START_TEST(ksm_merges_pmd_page)
{
	struct mm_struct *a, *b;
	struct folio *k;

	pmd_world();
	a = thp_proc();
	b = thp_proc();
	ck_assert_ptr_ne(huge_folio(a, BASE), huge_folio(b, BASE));
	ck_assert_int_eq(do_madvise(a, BASE, HPAGE_PMD_NR, MADV_MERGEABLE), 0);
	ck_assert_int_eq(do_madvise(b, BASE, HPAGE_PMD_NR, MADV_MERGEABLE), 0);
	for (int i = 0; i < 4; i++)
		ksmd_run(2 * HPAGE_PMD_NR);
	ck_assert_ptr_null(huge_at(a, BASE));
	ck_assert_ptr_null(huge_at(b, BASE));
	k = page_folio(page_at(a, BASE + 5));
	ck_assert(folio_test_ksm(k));
	ck_assert_ptr_eq(page_folio(page_at(b, BASE + 5)), k);
	ck_assert_uint_eq(rd(b, BASE + 5), 0x55);
	wr(b, BASE + 5, 0x56);			/* COW of the KSM page */
	ck_assert_uint_eq(rd(a, BASE + 5), 0x55);
	assert_clean();
	mmput(b);
	mmput(a);
	ksmd_reap();			/* ksmd lets go of the mm_slots */
	assert_empty();
}
END_TEST

/* migrate_vma's collect step splits the folio and moves its pages */
START_TEST(device_migration_splits)
{
	struct mm_struct *mm;
	struct folio *f;

	pmd_world();
	mm = thp_proc();
	f = huge_folio(mm, BASE);
	ck_assert_int_eq(dmirror_migrate_to_device(mm, BASE + 4, 4), 0);
	ck_assert_ptr_null(huge_at(mm, BASE));
	ck_assert(is_swap_pte(*mmt_pte_peek(mm, BASE + 5)));	/* device-private */
	ck_assert_int_eq(page_folio(page_at(mm, BASE))->order, 0);
	ck_assert_ptr_eq(page_at(mm, BASE), folio_page(f, 0));
	ck_assert_uint_eq(rd(mm, BASE + 5), 0x55);		/* faulted back */
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(pin_through_pmd_then_fork)
{
	struct mm_struct *p, *c = NULL;
	struct folio *f;

	pmd_world();
	p = thp_proc();
	f = huge_folio(p, BASE);
	ck_assert_int_eq(pin_user_pages_range(p, BASE + 5, 1), 0);
	ck_assert_ptr_eq(huge_folio(p, BASE), f);	/* pinned whole, not split */
	ck_assert_int_eq(atomic_load(&f->_pincount), 1);
	assert_clean();
	/* d042035eaf5f: the pinned pmd is split, the child gets copies */
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_ptr_null(huge_at(p, BASE));
	ck_assert_ptr_eq(page_at(p, BASE + 5), folio_page(f, 5));
	ck_assert_ptr_ne(page_folio(page_at(c, BASE + 5)), f);
	ck_assert(pte_write(*mmt_pte_peek(p, BASE + 5)));
	dma_write(p, BASE + 5, 0x99);
	wr(p, BASE + 5, 0x9a);
	ck_assert_uint_eq(dma_read(p, BASE + 5), 0x9a);
	ck_assert_uint_eq(rd(c, BASE + 5), 0x55);
	assert_clean();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

/* the bug: copy_huge_pmd shares the pinned folio, the parent's write leaves the pin */
START_TEST(pin_fork_bug_shares_pmd)
{
	struct mm_struct *p, *c = NULL;

	pmd_world();
	p = thp_proc();
	ck_assert_int_eq(pin_user_pages_range(p, BASE + 5, 1), 0);
	mmt_injected_mask = 1ull << BUG_THP_FORK_PINNED_PMD;
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_ptr_nonnull(huge_at(p, BASE));
	ck_assert_ptr_nonnull(huge_at(c, BASE));
	wr(p, BASE + 5, 0x9a);		/* split and COW: away from the pin */
	dma_write(p, BASE + 5, 0x99);
	ck_assert_uint_eq(rd(c, BASE + 5), 0x99);	/* the child sees the device */
	ck_assert_uint_eq(rd(p, BASE + 5), 0x9a);
	mmt_injected_mask = 0;
	ck_assert_int_gt(check_world(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_PIN));
	mmt_report_reset();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

/* khugepaged collapses order-0 pages into a new PMD-mapped THP */
START_TEST(khugepaged_collapses_into_pmd)
{
	struct mm_struct *mm;
	struct folio *f, *old;
	uint32_t free_before;

	pmd_world();
	mm = mm_alloc();
	/* written before the madvise: order 0, every other page (16 none of 31 allowed) */
	ck_assert_int_eq(do_mmap(mm, BASE, HPAGE_PMD_NR, RW, PRIV_ANON), 0);
	for (unsigned i = 0; i < HPAGE_PMD_NR; i += 2)
		wr(mm, BASE + i, 0x300 + i);
	old = page_folio(page_at(mm, BASE + 2));
	ck_assert_int_eq(old->order, 0);
	ck_assert_int_eq(do_madvise(mm, BASE, HPAGE_PMD_NR, MADV_HUGEPAGE), 0);
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), HPAGE_PMD_NR / 2);
	free_before = w->node[0].nr_free + w->node[1].nr_free;

	ck_assert_uint_eq(khugepaged_run(64), 1);
	f = huge_folio(mm, BASE);
	ck_assert_int_eq(f->order, HPAGE_PMD_ORDER);
	ck_assert(pmd_write(*huge_at(mm, BASE)) && pmd_dirty(*huge_at(mm, BASE)));
	ck_assert_int_eq(folio_mapcount(f), 1);
	ck_assert_int_eq(folio_ref_count(f), 1);
	ck_assert_int_eq(atomic_load(&f->_nr_pages_mapped), ENTIRELY_MAPPED);
	ck_assert(PageAnonExclusive(&f->page));
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), HPAGE_PMD_NR);
	/* the deposited table is the emptied one */
	ck_assert(pte_none(*mmt_pte_peek(mm, BASE + 2)));
	ck_assert_int_eq(folio_ref_count(old), 0);
	ck_assert_uint_eq(w->node[0].nr_free + w->node[1].nr_free,
			  free_before + HPAGE_PMD_NR / 2 - HPAGE_PMD_NR);
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++)
		ck_assert_uint_eq(rd(mm, BASE + i), i % 2 ? 0 : 0x300 + i);
	assert_clean();
	/* the next pass finds a huge pmd */
	ck_assert_uint_eq(khugepaged_run(64), 0);
	ck_assert_uint_eq(w->khugepaged.result[SCAN_PMD_MAPPED], 1);
	/* the new THP is a THP like a fault's: fork shares it, a write splits and COWs */
	{
		struct mm_struct *c = NULL;

		ck_assert_int_eq(dup_mm(mm, &c), 0);
		ck_assert_ptr_eq(huge_folio(c, BASE), f);
		wr(c, BASE + 4, 0x44);
		ck_assert_uint_eq(rd(mm, BASE + 4), 0x304);
		assert_clean();
		mmput(c);
	}
	mmput(mm);
	khugepaged_reap();
	assert_empty();
}
END_TEST

/*
 * a pinned page keeps a 32-page range from collapsing (SCAN_PAGE_COUNT);
 * with khugepaged-collapse-pinned's switch the range collapses into a huge
 * pmd anyway, and the pin names a page the process no longer maps (PIN)
 */
static void collapse_pmd_with_pin(bool bug)
{
	struct mm_struct *mm;
	struct folio *pinned;

	pmd_world();
	mm = mm_alloc();
	ck_assert_int_eq(do_mmap(mm, BASE, HPAGE_PMD_NR, RW, PRIV_ANON), 0);
	for (unsigned i = 0; i < HPAGE_PMD_NR; i += 4)
		wr(mm, BASE + i, 0x400 + i);
	ck_assert_int_eq(do_madvise(mm, BASE, HPAGE_PMD_NR, MADV_HUGEPAGE), 0);
	pinned = page_folio(page_at(mm, BASE + 8));
	ck_assert_int_eq(pin_user_pages_range(mm, BASE + 8, 1), 0);
	if (bug)
		mmt_injected_mask = 1ull << BUG_KHUGEPAGED_COLLAPSE_PINNED;
	ck_assert_uint_eq(khugepaged_run(64), bug ? 1 : 0);
	mmt_injected_mask = 0;
	if (!bug) {
		ck_assert_uint_eq(w->khugepaged.result[SCAN_PAGE_COUNT], 1);
		ck_assert_ptr_null(huge_at(mm, BASE));
		ck_assert_ptr_eq(page_folio(page_at(mm, BASE + 8)), pinned);
		assert_clean();
	} else {
		ck_assert_ptr_nonnull(huge_at(mm, BASE));
		dma_write(mm, BASE + 8, 0x99);
		ck_assert_uint_eq(rd(mm, BASE + 8), 0x408);	/* the device writes elsewhere */
		ck_assert_int_gt(check_world(), 0);
		ck_assert(mmt_report.inv_mask & (1ull << INV_PIN));
		mmt_report_reset();
	}
	ck_assert_int_eq(unpin_user_pages_range(mm, BASE + 8, 1), 0);
	mmput(mm);
	khugepaged_reap();
	assert_empty();
}

START_TEST(khugepaged_pmd_refuses_pinned)
{
	collapse_pmd_with_pin(false);
}
END_TEST

START_TEST(khugepaged_pmd_collapse_pinned_bug)
{
	collapse_pmd_with_pin(true);
}
END_TEST

/*
 * ptes mapping a whole PMD-sized folio (its pmd split by a dontneed of
 * one page) are collapsed into a new THP, mapped by a pmd again; the old
 * folio, partially mapped and queued for the deferred split, is freed
 */
START_TEST(khugepaged_recollapses_split_pmd)
{
	struct mm_struct *mm;
	struct folio *f, *old;

	pmd_world();
	mm = thp_proc();
	old = huge_folio(mm, BASE);
	wr(mm, BASE + 9, 0x99);
	ck_assert_int_eq(do_madvise(mm, BASE + 31, 1, MADV_DONTNEED), 0);
	ck_assert_ptr_null(huge_at(mm, BASE));
	ck_assert(folio_test_partially_mapped(old));
	assert_clean();
	ck_assert_uint_eq(khugepaged_run(64), 1);
	f = huge_folio(mm, BASE);
	ck_assert_ptr_ne(f, old);
	ck_assert_int_eq(folio_ref_count(old), 0);
	ck_assert_uint_eq(rd(mm, BASE + 5), 0x55);
	ck_assert_uint_eq(rd(mm, BASE + 9), 0x99);
	ck_assert_uint_eq(rd(mm, BASE + 31), 0);
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), HPAGE_PMD_NR);
	assert_clean();
	mmput(mm);
	khugepaged_reap();
	assert_empty();
}
END_TEST


/* ------------------------------------------------------ the huge zero folio */

static bool huge_zero_at(struct mm_struct *mm, uint64_t a)
{
	pmd_t *pmdp = pmd_offset(mm, a);

	return pmdp && is_huge_zero_pmd(*pmdp);
}

/* a process with BASE..BASE+32 madvised hugepage and page 5 read (a huge zero pmd) */
static struct mm_struct *huge_zero_proc(void)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_int_eq(do_mmap(mm, BASE, HPAGE_PMD_NR, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_madvise(mm, BASE, HPAGE_PMD_NR, MADV_HUGEPAGE), 0);
	ck_assert_uint_eq(rd(mm, BASE + 5), 0);
	return mm;
}

/*
 * A read fault maps the huge zero folio: read-only, special, counted
 * nowhere, the VMA given its anon_vma all the same; the first write
 * replaces it by a THP of zeroes (do_huge_zero_wp_pmd)
 */
START_TEST(huge_zero_read_then_write)
{
	struct mm_struct *mm;
	struct folio *z, *f;
	int st[1];

	pmd_world();
	mm = huge_zero_proc();
	z = huge_zero_folio();
	ck_assert(huge_zero_at(mm, BASE));
	ck_assert(!pmd_write(*pmd_offset(mm, BASE)) && pmd_special(*pmd_offset(mm, BASE)));
	ck_assert(is_huge_zero_folio(z) && !is_zero_folio(z));
	ck_assert_uint_eq(huge_zero_pfn() % HPAGE_PMD_NR, 0);
	ck_assert_ptr_nonnull(find_vma(mm, BASE)->anon_vma);
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), 0);
	ck_assert_int_eq(atomic_load(&z->_entire_mapcount), -1);
	ck_assert_ptr_null(folio_get_huge_pmd(find_vma(mm, BASE), BASE));
	ck_assert_uint_eq(rd(mm, BASE + 31), 0);
	assert_clean();
	/* move_pages finds the zero folio (FW_ZEROPAGE) and says -EFAULT, a hole -ENOENT */
	ck_assert_int_eq(do_move_pages(mm, BASE + 4, 1, 0, false, st), 0);
	ck_assert_int_eq(st[0], -EFAULT);
	ck_assert(huge_zero_at(mm, BASE));

	wr(mm, BASE + 7, 0x77);
	ck_assert(!huge_zero_at(mm, BASE));
	f = huge_folio(mm, BASE);
	ck_assert_int_eq(f->order, HPAGE_PMD_ORDER);
	ck_assert(pmd_write(*huge_at(mm, BASE)));
	ck_assert(PageAnonExclusive(&f->page));
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), HPAGE_PMD_NR);
	ck_assert_uint_eq(rd(mm, BASE + 7), 0x77);
	ck_assert_uint_eq(rd(mm, BASE + 5), 0);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/* with no PMD-sized run free, the write splits the huge zero pmd and copies one page */
START_TEST(huge_zero_write_falls_back)
{
	struct mm_struct *mm;
	int st[2];

	world_again(1, 16, 1u << HPAGE_PMD_ORDER);
	mm = huge_zero_proc();
	ck_assert(huge_zero_at(mm, BASE));
	wr(mm, BASE + 9, 0x99);
	ck_assert_ptr_null(huge_at(mm, BASE));
	ck_assert_int_eq(page_folio(page_at(mm, BASE + 9))->order, 0);
	ck_assert_uint_eq(pte_pfn(*mmt_pte_peek(mm, BASE + 8)), zero_pfn());
	ck_assert_uint_eq(pte_pfn(*mmt_pte_peek(mm, BASE + 31)), zero_pfn());
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), 1);
	ck_assert_int_eq(do_mmap(mm, 0x80, 2, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_move_pages(mm, BASE + 8, 2, 0, false, st), 0);
	ck_assert_int_eq(st[0], -EFAULT);	/* the small zero page */
	ck_assert_int_eq(st[1], 0);		/* node 0 already */
	ck_assert_int_eq(do_move_pages(mm, 0x80, 1, 0, false, st), 0);
	ck_assert_int_eq(st[0], -ENOENT);	/* a hole in a VMA */
	ck_assert_uint_eq(rd(mm, BASE + 9), 0x99);
	ck_assert_uint_eq(rd(mm, BASE + 10), 0);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/*
 * fork shares the huge zero pmd; mprotect and mremap of the whole range
 * keep it (change_huge_pmd leaves it read-only in a writable VMA), a
 * partial munmap splits it into zero-page ptes, a zap drops it with
 * nothing to count, and use_zero_page=0 (hugezero=0) maps a THP instead
 */
START_TEST(huge_zero_fork_mprotect_mremap_split)
{
	struct mm_struct *p, *c = NULL;

	pmd_world();
	p = huge_zero_proc();
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert(huge_zero_at(c, BASE) && huge_zero_at(p, BASE));
	assert_clean();
	wr(c, BASE + 3, 0x33);			/* the child's own THP */
	ck_assert(huge_zero_at(p, BASE));
	ck_assert_uint_eq(rd(p, BASE + 3), 0);
	mmput(c);

	ck_assert_int_eq(do_mprotect(p, BASE, HPAGE_PMD_NR, PROT_READ), 0);
	ck_assert(huge_zero_at(p, BASE));
	ck_assert_int_eq(do_mprotect(p, BASE, HPAGE_PMD_NR, RW), 0);
	ck_assert(huge_zero_at(p, BASE) && !pmd_write(*pmd_offset(p, BASE)));
	assert_clean();
	ck_assert_int_eq(do_mremap(p, BASE, HPAGE_PMD_NR, 0x80, HPAGE_PMD_NR), 0);
	ck_assert(huge_zero_at(p, 0x80));
	ck_assert(!huge_zero_at(p, BASE));
	assert_clean();
	ck_assert_int_eq(do_munmap(p, 0x80 + 30, 2), 0);
	ck_assert(!huge_zero_at(p, 0x80));
	ck_assert(pte_special(*mmt_pte_peek(p, 0x80 + 29)));
	ck_assert_uint_eq(pte_pfn(*mmt_pte_peek(p, 0x80 + 29)), zero_pfn());
	ck_assert_uint_eq(rd(p, 0x80), 0);
	ck_assert_int_eq(get_mm_counter(p, MM_ANONPAGES), 0);
	assert_clean();
	mmput(p);
	assert_empty();

	w->cfg.no_huge_zeropage = true;
	p = huge_zero_proc();
	ck_assert(!huge_zero_at(p, BASE));
	ck_assert_int_eq(huge_folio(p, BASE)->order, HPAGE_PMD_ORDER);
	assert_clean();
	mmput(p);
	assert_empty();
}
END_TEST

/* UFFDIO_MOVE moves the huge zero pmd whole (Linux 6.9+) */
START_TEST(uffd_move_huge_zero)
{
	struct mm_struct *mm;
	uint64_t moved;

	pmd_world();
	mm = huge_zero_proc();
	uffd_target(mm, 0x100, 0x40);
	ck_assert_int_eq(userfaultfd_move(mm, 0x100, BASE, HPAGE_PMD_NR, 0, &moved), 0);
	ck_assert_uint_eq(moved, HPAGE_PMD_NR);
	ck_assert(huge_zero_at(mm, 0x100) && !huge_zero_at(mm, BASE));
	ck_assert(!pmd_write(*pmd_offset(mm, 0x100)));
	assert_clean();
	wr(mm, 0x101, 0x11);
	ck_assert_int_eq(huge_folio(mm, 0x100)->order, HPAGE_PMD_ORDER);
	ck_assert_uint_eq(rd(mm, 0x102), 0);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/* before 5d4747a6cc8e: PageAnonExclusive of the huge zero folio, a VM_BUG_ON */
START_TEST(uffd_move_huge_zero_bug)
{
	struct mm_struct *mm;
	uint64_t moved;

	pmd_world();
	mm = huge_zero_proc();
	uffd_target(mm, 0x100, 0x40);
	mmt_injected_mask = 1ull << BUG_UFFD_MOVE_HUGE_ZERO;
	userfaultfd_move(mm, 0x100, BASE, HPAGE_PMD_NR, 0, &moved);
	ck_abort_msg("the move went through with the switch on");
}
END_TEST

/*
 * A move that must split a THP shared with a child is refused before the
 * split (the kernel looks at the pmd's folio first): -EBUSY and the pmd
 * stays whole.  The child gone and the THP exclusive again, the same move
 * splits it and moves the one page.
 */
START_TEST(uffd_move_split_refuses_shared)
{
	struct mm_struct *mm, *c = NULL;
	uint64_t moved;

	pmd_world();
	mm = thp_proc();
	uffd_target(mm, 0x100, 8);
	ck_assert_int_eq(dup_mm(mm, &c), 0);
	ck_assert_int_eq(userfaultfd_move(mm, 0x100, BASE + 5, 1, 0, &moved), -EBUSY);
	ck_assert_ptr_nonnull(huge_at(mm, BASE));
	assert_clean();
	mmput(c);
	wr(mm, BASE + 6, 0x66);		/* reuse: exclusive again */
	ck_assert_int_eq(userfaultfd_move(mm, 0x100, BASE + 5, 1, 0, &moved), 0);
	ck_assert_uint_eq(moved, 1);
	ck_assert_ptr_null(huge_at(mm, BASE));
	ck_assert_uint_eq(rd(mm, 0x100), 0x55);
	ck_assert_uint_eq(rd(mm, BASE + 6), 0x66);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/*
 * before 7f1101a0a181: the move that must split reads a folio from the
 * PMD migration entry that try_to_migrate left (pmd_folio's assertion);
 * the fixed path, which splits the entry and waits for the migration,
 * needs a second task: corpus/zoo/uffd-move-pmd-migration.mmt
 */
START_TEST(uffd_move_pmd_migration_bug)
{
	struct mm_struct *mm;
	struct folio *f;
	uint64_t moved;

	pmd_world();
	mm = thp_proc();
	uffd_target(mm, 0x100, 8);
	f = huge_folio(mm, BASE);
	folio_get(f);		/* migration's own reference (isolation) */
	ck_assert(folio_trylock(f));
	try_to_migrate(f, 0);
	ck_assert(is_pmd_migration_entry(*pmd_offset(mm, BASE)));
	mmt_injected_mask = 1ull << BUG_UFFD_MOVE_PMD_MIGRATION;
	userfaultfd_move(mm, 0x100, BASE + 5, 1, 0, &moved);
	ck_abort_msg("the move went through with the switch on");
}
END_TEST

/*
 * "always" (world thpalways=1): a VMA gets PMD THPs with no
 * MADV_HUGEPAGE, and khugepaged takes the mm at the mmap; MADV_NOHUGEPAGE
 * still refuses them
 */
START_TEST(thp_always_needs_no_madvise)
{
	struct mm_struct *mm;

	pmd_world();
	w->cfg.thp_always = true;
	mm = mm_alloc();
	ck_assert_int_eq(do_mmap(mm, BASE, HPAGE_PMD_NR, RW, PRIV_ANON), 0);
	ck_assert(atomic_load(&mm->vm_hugepage));
	wr(mm, BASE + 1, 0x11);
	ck_assert_int_eq(huge_folio(mm, BASE)->order, HPAGE_PMD_ORDER);
	ck_assert_int_eq(do_mmap(mm, 0x80, HPAGE_PMD_NR, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_madvise(mm, 0x80, HPAGE_PMD_NR, MADV_NOHUGEPAGE), 0);
	wr(mm, 0x81, 0x22);
	ck_assert_ptr_null(huge_at(mm, 0x80));
	ck_assert_int_eq(page_folio(page_at(mm, 0x81))->order, 0);
	assert_clean();
	mmput(mm);
	assert_empty();

	/* "madvise", the default: the same mmap gets order 0 and no khugepaged */
	w->cfg.thp_always = false;
	mm = mm_alloc();
	ck_assert_int_eq(do_mmap(mm, BASE, HPAGE_PMD_NR, RW, PRIV_ANON), 0);
	ck_assert(!atomic_load(&mm->vm_hugepage));
	wr(mm, BASE + 1, 0x11);
	ck_assert_ptr_null(huge_at(mm, BASE));
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

/* the checker: a writable huge zero pmd (PROT) and a written huge zero page (DATA) */
START_TEST(huge_zero_corrupted)
{
	struct mm_struct *mm;
	pmd_t *pmdp;

	pmd_world();
	mm = huge_zero_proc();
	pmdp = pmd_offset(mm, BASE);
	*pmdp = pmd_mkwrite(*pmdp);
	ck_assert_int_gt(check_world(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_PROT));
	mmt_report_reset();
	*pmdp = pmd_wrprotect(*pmdp);
	atomic_store(page_value(folio_page(huge_zero_folio(), 3)), 0x1);
	ck_assert_int_gt(check_world(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_DATA));
	mmt_report_reset();
	atomic_store(page_value(folio_page(huge_zero_folio(), 3)), 0);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("thp_pmd");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, huge_fault_maps_pmd);
	tcase_add_test(tc, huge_fault_falls_back);
	tcase_add_test(tc, fork_shares_then_cow_splits);
	tcase_add_test(tc, reuse_after_child_exit);
	tcase_add_test(tc, partial_unmap_and_dontneed_split);
	tcase_add_test(tc, mprotect_mremap_split);
	tcase_add_test(tc, mprotect_whole_pmd_keeps_it);
	tcase_add_test(tc, uffd_move_whole_pmd);
	tcase_add_test(tc, split_pmd_migration_entry_keeps_flags);
	tcase_add_test(tc, split_pmd_migration_flags_bug);
	tcase_add_test(tc, split_and_migrate_through_rmap);
	tcase_add_test(tc, ksm_merges_pmd_page);
	tcase_add_test(tc, device_migration_splits);
	tcase_add_test(tc, pin_through_pmd_then_fork);
	tcase_add_test(tc, pin_fork_bug_shares_pmd);
	tcase_add_test(tc, khugepaged_collapses_into_pmd);
	tcase_add_test(tc, khugepaged_recollapses_split_pmd);
	tcase_add_test(tc, khugepaged_pmd_refuses_pinned);
	tcase_add_test(tc, khugepaged_pmd_collapse_pinned_bug);
	tcase_add_test(tc, huge_zero_read_then_write);
	tcase_add_test(tc, huge_zero_write_falls_back);
	tcase_add_test(tc, huge_zero_fork_mprotect_mremap_split);
	tcase_add_test(tc, uffd_move_huge_zero);
	tcase_add_test_raise_signal(tc, uffd_move_huge_zero_bug, SIGABRT);
	tcase_add_test(tc, uffd_move_split_refuses_shared);
	tcase_add_test_raise_signal(tc, uffd_move_pmd_migration_bug, SIGABRT);
	tcase_add_test(tc, huge_zero_corrupted);
	tcase_add_test(tc, thp_always_needs_no_madvise);
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
