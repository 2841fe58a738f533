/* SPDX-License-Identifier: MIT */
/*
 * huge_mm.h - splitting PTE-mapped anonymous large folios, and the
 * deferred split queue's shrinker (mm/huge_memory.c).
 *
 * split_huge_page_to_list_to_order() (split_folio) turns a locked large
 * anon folio into 2^order order-0 folios in place: the pages keep their
 * frames, contents, _mapcount and PG_anon_exclusive, and each becomes a
 * folio with its own refcount, flags, mapping and index.  The steps are
 * the kernel's: a reference on the anon_vma and its root's rwsem for write
 * (no rmap walk may see the folio half split), can_split_folio (every
 * reference is a mapping or the caller's, else -EAGAIN), unmap_folio (an
 * rmap walk, try_to_migrate: a migration entry per page, naming that
 * page's pfn and keeping its writable/exclusive bits), the refcount frozen
 * to 0 under split_queue_lock (and the folio taken off the deferred split
 * queue there), the split, remap_page (remove_migration_ptes for each new
 * folio, under the same anon_vma lock), then every new folio but the
 * caller's unlocked and its split reference dropped: the pages no pte maps
 * any more are freed right there.
 *
 * Errors, as the kernel returns them: -EBUSY when the folio has no
 * anon_vma to lock (not mapped any more: folio_get_anon_vma), -EAGAIN
 * when references other than the mappings and the caller's are held (a
 * GUP pin, another isolation, a racing lookup) either before unmapping or
 * at the freeze, after which the migration entries are turned back into
 * ptes of the large folio.
 */
#ifndef MMT_HUGE_MM_H
#define MMT_HUGE_MM_H

#include "mmt/folio.h"
#include "mmt/list.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"

/*
 * A PMD-sized THP: the order of a folio one pmd entry would map whole,
 * i.e. the pages of one pte table.  The kernel's is PMD_SHIFT - PAGE_SHIFT
 * (9 on x86-64: 2 MiB); addresses here are page numbers and the geometry
 * is scaled (mm.h), so it is PMD_SHIFT itself, 5: 32 pages.  World key
 * thp bit 5 enables it (a fault maps it by a pmd); the mTHP orders 1..4
 * are PTE-mapped and each fits in one pte table, strictly below it.
 */
#define HPAGE_PMD_ORDER		PMD_SHIFT
#define HPAGE_PMD_NR		(1 << HPAGE_PMD_ORDER)
#define HPAGE_PMD_MASK		(~(uint64_t)(HPAGE_PMD_NR - 1))	/* the first page of @addr's pmd: addr & HPAGE_PMD_MASK */

_Static_assert(HPAGE_PMD_ORDER == 5 && HPAGE_PMD_NR == 32, "the scaled geometry of mm.h");
_Static_assert(HPAGE_PMD_NR == PTRS_PER_PTE, "a PMD-sized folio is one pte table's pages");
_Static_assert((1 << 4) < HPAGE_PMD_NR,
	       "the PTE-mapped mTHP orders 1..4 fit in one pte table, below a PMD");

/*
 * thp_vma_allowable_orders' sysfs test for a VMA with (or about to have)
 * @vm_flags: MADV_NOHUGEPAGE refuses; "always" (world thpalways=1) takes
 * any VMA; "madvise" (the default) wants MADV_HUGEPAGE.
 */
bool thp_vma_sysfs_allows(unsigned long vm_flags);

/* a new exclusive PMD-sized anon folio mapped by a none pmd (huge_memory.c) */
void map_anon_folio_pmd(struct folio *folio, pmd_t *pmdp, struct vm_area_struct *vma,
			uint64_t haddr);

/*
 * A huge pmd of the huge zero folio (huge_zero_folio, world.c): what a
 * read fault maps over an empty aligned range when use_zero_page is on
 * (world key hugezero, default 1).  Read-only and special; no rmap, no
 * mapcount, no reference, not in the rss.  A write replaces it by a THP
 * (do_huge_zero_wp_pmd), a split by ptes of the small zero page.
 */
static inline bool is_huge_zero_pmd(pmd_t pmd)
{
	return pmd_present(pmd) && pmd_pfn(pmd) == huge_zero_pfn();
}

/*
 * The folio a present huge pmd maps (the kernel's pmd_folio).  A PMD
 * migration entry has no pfn to read: its bits are the swap entry's, which
 * x86 even stores inverted, so pmd_page() of one is a wild pointer; here
 * it is an assertion naming the pmd.
 */
static inline struct folio *pmd_folio(pmd_t pmd)
{
	VM_BUG_ON(!pmd_present(pmd), INV_BUG, "pmd %#llx: pmd_folio of a non-present pmd",
		  (unsigned long long)pmd_val(pmd));
	return page_folio(pfn_to_page(pmd_pfn(pmd)));
}

/*
 * Split the large folio of @page to order-0 folios.  The folio is locked
 * and the caller holds one reference on it (the isolation reference when
 * @list is given: reclaim's and migration's folios are off the LRU, and the
 * new folios join @list isolated, each with its own such reference; with
 * @list NULL they join the LRU beside the head).  After a split the
 * caller's lock and reference are those of page_folio(@page), which may
 * have been a tail page (KSM passes the subpage it merges); every other
 * new folio, the old head included, is unlocked and put.  With @list,
 * @page must be the head (the isolation reference is the head's).
 * Sleeps (the anon_vma rwsem, the rmap walks).  0, -EBUSY or -EAGAIN.
 */
int split_huge_page_to_list_to_order(struct page *page, struct list_head *list,
				     unsigned new_order);
static inline int split_folio_to_list(struct folio *folio, struct list_head *list)
{
	return split_huge_page_to_list_to_order(&folio->page, list, 0);
}
static inline int split_folio(struct folio *folio)
{
	return split_folio_to_list(folio, (struct list_head *)0);
}
/* the folio of @page, locked and referenced by the caller; see above */
static inline int split_huge_page(struct page *page)
{
	return split_huge_page_to_list_to_order(page, (struct list_head *)0, 0);
}

/*
 * deferred_split_scan - the deferred split shrinker, run by reclaim before
 * it scans the LRU: split up to @nr_to_scan queued folios of every node
 * (0: all), freeing their unmapped pages.  Returns the folios split.
 * Takes each node's split_queue_lock, then folio trylocks.
 */
unsigned long deferred_split_scan(unsigned long nr_to_scan);

/*
 * split_huge_pages_pid - /sys/kernel/debug/split_huge_pages written with
 * "<pid>,<start>,<end>[,0]" for @mm's pages [@addr, @addr + @nr): every
 * large folio a present pte maps there whose references and lock are free
 * is split to order 0; busy ones are skipped.  The walk ends at the first
 * page with no VMA.  Takes mmap_lock for read, each ptl, then the
 * folio's lock (trylock) and split_folio's locks.  Returns the folios split.
 */
struct mm_struct;
unsigned long split_huge_pages_pid(struct mm_struct *mm, uint64_t addr, uint64_t nr);

/*
 * PMD-mapped THP (huge_memory.c, Linux 6.12's anon part).  A huge pmd maps
 * a folio of HPAGE_PMD_ORDER whole; what cannot act on it whole splits the
 * pmd into ptes of the same folio first (split_huge_pmd), as the kernel's
 * walkers do.  The pmd lock is the ptl of the table under it (mm.h).
 */
bool thp_vma_suitable_pmd(struct vm_area_struct *vma, uint64_t addr);
/* fault: VM_FAULT_FALLBACK to try the pte path.  mmap_lock read */
unsigned do_huge_pmd_anonymous_page(struct vm_area_struct *vma, uint64_t addr, unsigned flags);
unsigned do_huge_pmd_wp_page(struct vm_area_struct *vma, uint64_t addr, pmd_t *pmdp,
			     pmd_t orig, unsigned flags);
/* the pmd lock held */
void __split_huge_pmd_locked(struct vm_area_struct *vma, pmd_t *pmdp, uint64_t haddr);
/* no ptl held */
void split_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, uint64_t addr);
void split_huge_pmd_address(struct vm_area_struct *vma, uint64_t addr);
void vma_adjust_trans_huge(struct vm_area_struct *vma, uint64_t addr);
/*
 * pte_offset_map_lock for a walker that acts on ptes only: a huge pmd in
 * the way is split first (again if one reappears before the ptl is had);
 * NULL only when no table covers @addr
 */
pte_t *pte_offset_map_lock_split(struct vm_area_struct *vma, uint64_t addr, spinlock_t **ptlp);
bool zap_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, uint64_t haddr);
/* mmap_lock held for write */
bool move_huge_pmd(struct vm_area_struct *vma, uint64_t old_addr, uint64_t new_addr,
		   pmd_t *old_pmd);
bool change_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, uint64_t haddr,
		     unsigned long newflags);
void pmd_migration_entry_wait(struct mm_struct *mm, pmd_t *pmdp);
int copy_huge_pmd(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma, uint64_t haddr);
struct folio *folio_get_huge_pmd(struct vm_area_struct *vma, uint64_t addr);
/* the pmd lock held */
struct page *follow_huge_pmd(struct vm_area_struct *vma, uint64_t addr, pmd_t pmd);

#endif /* MMT_HUGE_MM_H */
