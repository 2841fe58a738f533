/* SPDX-License-Identifier: MIT */
/*
 * khugepaged.h - khugepaged for anonymous memory (mm/khugepaged.c of Linux
 * 6.12-6.18): the daemon that collapses a range of small pages back into a
 * huge page.
 *
 * Registration.  madvise(MADV_HUGEPAGE) on an anonymous private VMA, with
 * some mTHP order enabled, registers the mm (khugepaged_enter_vma ->
 * __khugepaged_enter): MMF_VM_HUGEPAGE is set, an mm_slot goes on the
 * list just behind the scan cursor, and the slot holds the mm_struct
 * (mmgrab).  A fork child of a registered mm is registered too
 * (khugepaged_fork).  khugepaged_exit, from mmput before exit_mmap, frees
 * the slot unless khugepaged's cursor is on it; then it waits out the scan
 * by taking mmap_lock for write once, and khugepaged frees the slot itself
 * the next time it comes by (collect_mm_slot: mm_users is 0).
 *
 * A pass (khugepaged_run: one wakeup of the thread, khugepaged_do_scan)
 * scans up to @pages ptes of the registered mms, from the cursor on.  Per
 * mm, under mmap_lock for read (a trylock: a busy mm is skipped), each
 * VMA that allows a huge page is walked in naturally aligned ranges
 * (hpage_collapse_scan_pmd): a range qualifies when its ptes under the ptl
 * show at most max_ptes_none none or zero-page ptes (none at all with
 * uffd armed), at most max_ptes_swap swap entries, at most max_ptes_shared
 * pages of folios that are likely mapped shared, only anonymous LRU
 * folios that are not locked, whose references are their mappings and the
 * swap cache's (is_refcount_suitable: a GUP pin fails it), at least one
 * writable pte and one referenced.  Then collapse_huge_page:
 *
 *   mmap_lock dropped; the new folio allocated on the node most of the
 *   range's pages are on (alloc_charge_folio; SCAN_ALLOC_HUGE_PAGE_FAIL);
 *   mmap_lock for read, hugepage_vma_revalidate, swap entries swapped in
 *   (__collapse_huge_page_swapin, do_swap_page);
 *   mmap_lock for write, hugepage_vma_revalidate again (the VMA may have
 *   gone, changed or lost its anon_vma while the lock was dropped);
 *   the anon_vma lock for write (no rmap walk may see the range);
 *   the range's ptes cleared under the ptl: the model's pmdp_collapse_flush
 *   (see below), after which nothing that walks page tables reaches them;
 *   __collapse_huge_page_isolate, under the ptl, on the saved ptes: each
 *   folio trylocked, is_refcount_suitable checked again
 *   (SCAN_PAGE_COUNT), isolated from the LRU; on failure the ptes are put
 *   back and everything released;
 *   the anon_vma unlocked; __collapse_huge_page_copy (contents copied, a
 *   none or zero pte gives a zeroed page) and the old pages unmapped
 *   (folio_remove_rmap_pte, their references dropped, swap cache freed);
 *   the new folio mapped exclusive, on the LRU: a PMD-sized one by a
 *   huge pmd over the emptied table, which becomes the deposited table
 *   (folio_add_new_anon_rmap_pmd, set_pmd_at; collapse_map_pmd), a
 *   smaller one by ptes (folio_add_new_anon_rmap), writable where the VMA
 *   is, dirty and young.
 *
 * Orders.  Linux 6.12-6.18 collapse only into a PMD-mapped THP, and so
 * does the model when the world line enables the PMD order (thp= bit 0x20)
 * and the VMA holds an aligned 32-page range: the max_ptes_* knobs keep
 * their defaults scaled to 32 pages (none: 31, swap: 4, shared: 16), and
 * a range whose ptes map a whole PMD-sized folio is collapsed (copied)
 * too, to map it by a pmd.  With the PMD order off, a range is collapsed
 * into a PTE-mapped large folio of the largest mTHP order enabled (1-4)
 * whose aligned range lies in the VMA, as the 2025 "khugepaged: mTHP
 * support" series does (a deviation for 6.12-6.18, docs/model.md), with
 * the knobs scaled to that order (none: nr - 1, swap: nr / 8, shared:
 * nr / 2); a range whose ptes already map, in order, the pages of one
 * folio of that order or larger is left alone (SCAN_PMD_MAPPED).
 * pmdp_collapse_flush: the kernel unhooks the whole pte table from the
 * pmd; the model takes the range's ptes out of the table under its ptl
 * (the pmd lock here), which nothing that walks page tables can tell
 * apart, and puts them back if the isolation fails (pmd_populate).
 *
 * Locks: khugepaged_thread (model-only, LC_KHUGEPAGED_THREAD: the kernel
 * has one thread, the model lets any task play it, one pass at a time)
 * outside everything; khugepaged_mm_lock (LC_KHUGEPAGED_MM) the slot list
 * and cursor, taken under mmap_lock by registration; mmap_lock, the folio
 * locks (trylocks), the anon_vma rwsem, the ptl, the lru_lock, as above.
 *
 * Nothing here changes what a process reads (the DATA oracle treats a pass
 * like reclaim): the copy is exact.
 */
#ifndef MMT_KHUGEPAGED_H
#define MMT_KHUGEPAGED_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/kprim.h"
#include "mmt/list.h"

struct mm_struct;
struct vm_area_struct;

/* enum scan_result of mm/khugepaged.c, the values the model can reach */
enum scan_result {
	SCAN_FAIL,
	SCAN_SUCCEED,
	SCAN_PMD_NULL,
	SCAN_PMD_MAPPED,
	SCAN_EXCEED_NONE_PTE,
	SCAN_EXCEED_SWAP_PTE,
	SCAN_EXCEED_SHARED_PTE,
	SCAN_PTE_NON_PRESENT,
	SCAN_PAGE_RO,
	SCAN_LACK_REFERENCED_PAGE,
	SCAN_PAGE_NULL,
	SCAN_PAGE_COUNT,
	SCAN_PAGE_LRU,
	SCAN_PAGE_LOCK,
	SCAN_PAGE_ANON,
	SCAN_ANY_PROCESS,
	SCAN_VMA_NULL,
	SCAN_VMA_CHECK,
	SCAN_ADDRESS_RANGE,
	SCAN_DEL_PAGE_LRU,
	SCAN_ALLOC_HUGE_PAGE_FAIL,
	NR_SCAN_RESULTS
};

/* struct khugepaged_mm_slot: one registered mm */
struct khugepaged_mm_slot {
	struct list_head mm_node;	/* on khugepaged_scan.mm_head */
	struct mm_struct *mm;		/* held by mmgrab */
	uint32_t id;
};

/* the global state: the thread's lock, the list and its cursor, the stats */
struct khugepaged_state {
	struct mutex thread;		/* LC_KHUGEPAGED_THREAD */
	spinlock_t khugepaged_mm_lock;	/* LC_KHUGEPAGED_MM */
	struct list_head mm_head;
	struct khugepaged_mm_slot *mm_slot;	/* the cursor's mm; NULL between passes */
	uint64_t address;		/* the cursor's next address in it */
	unsigned long pages_collapsed;	/* sysfs pages_collapsed */
	unsigned long full_scans;	/* sysfs full_scans */
	unsigned long result[NR_SCAN_RESULTS];	/* model-only: results seen, for tests */
};

/* madvise(MADV_HUGEPAGE) made @vma's flags @vm_flags: register its mm.  mmap_lock write. */
void khugepaged_enter_vma(struct vm_area_struct *vma, unsigned long vm_flags);
/* fork: the child of a registered mm is registered.  Both mmap_locks held for write. */
void khugepaged_fork(struct mm_struct *mm, struct mm_struct *oldmm);
/* mmput, before exit_mmap (mm_users is 0): no lock held */
void khugepaged_exit(struct mm_struct *mm);

/*
 * One wakeup of khugepaged: scan up to @pages ptes of the registered mms
 * (each VMA looked at and each mm visited counts one, as in the kernel).
 * Returns the ranges collapsed.  Sleeps (mmap_lock, the anon_vma rwsem,
 * swap-in).
 */
unsigned long khugepaged_run(unsigned long pages);
/*
 * khugepaged after every process has gone: passes until its list is
 * empty, so that every mm_slot is freed (the executor's teardown, before
 * the LEAK check).
 */
void khugepaged_reap(void);

/* the result's name, as the kernel's trace points print it */
const char *khugepaged_result_name(enum scan_result r);

void khugepaged_init(struct khugepaged_state *k);
void khugepaged_reset(struct khugepaged_state *k);
void khugepaged_destroy(struct khugepaged_state *k);

#endif /* MMT_KHUGEPAGED_H */
