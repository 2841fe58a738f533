// SPDX-License-Identifier: MIT
/*
 * khugepaged.c - khugepaged for anonymous memory, as mm/khugepaged.c of
 * Linux 6.12-6.18 has it: a PMD-sized range collapses into a PMD-mapped THP,
 * and, with the PMD order off, a smaller range into PTE-mapped mTHP
 * (khugepaged.h has the steps, the deviation and the locks).
 *
 * The kernel's names are kept: khugepaged_do_scan -> khugepaged_scan_mm_slot
 * -> hpage_collapse_scan_pmd -> collapse_huge_page ->
 * __collapse_huge_page_isolate / __collapse_huge_page_copy.  "pmd" in a
 * name means the naturally aligned range being collapsed, of 2^order pages.
 */
#include <errno.h>

#include "mmt/folio.h"
#include "mmt/huge_mm.h"
#include "mmt/inject.h"
#include "mmt/khugepaged.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/userfaultfd.h"
#include "mmt/world.h"
#include "internal.h"

#define K (the_world->khugepaged)

/*
 * The largest order collapsed: HPAGE_PMD_ORDER, mapped by a pmd; orders
 * 1-4 are PTE-mapped.  Either way a range is one pte table's, or part of it.
 */
#define KHUGEPAGED_MAX_ORDER	HPAGE_PMD_ORDER
_Static_assert((1 << KHUGEPAGED_MAX_ORDER) <= PTRS_PER_PTE,
	       "a collapsed range lies in one pte table");

static const char *const scan_result_names[NR_SCAN_RESULTS] = {
	[SCAN_FAIL] = "failed",
	[SCAN_SUCCEED] = "succeeded",
	[SCAN_PMD_NULL] = "pmd_null",
	[SCAN_PMD_MAPPED] = "page_pmd_mapped",
	[SCAN_EXCEED_NONE_PTE] = "exceed_none_pte",
	[SCAN_EXCEED_SWAP_PTE] = "exceed_swap_pte",
	[SCAN_EXCEED_SHARED_PTE] = "exceed_shared_pte",
	[SCAN_PTE_NON_PRESENT] = "pte_non_present",
	[SCAN_PAGE_RO] = "no_writable_page",
	[SCAN_LACK_REFERENCED_PAGE] = "lack_referenced_page",
	[SCAN_PAGE_NULL] = "page_null",
	[SCAN_PAGE_COUNT] = "page_count",
	[SCAN_PAGE_LRU] = "page_not_in_lru",
	[SCAN_PAGE_LOCK] = "page_locked",
	[SCAN_PAGE_ANON] = "page_not_anon",
	[SCAN_ANY_PROCESS] = "no_process_for_page",
	[SCAN_VMA_NULL] = "vma_null",
	[SCAN_VMA_CHECK] = "vma_check_failed",
	[SCAN_ADDRESS_RANGE] = "not_suitable_address_range",
	[SCAN_DEL_PAGE_LRU] = "could_not_delete_page_from_lru",
	[SCAN_ALLOC_HUGE_PAGE_FAIL] = "alloc_huge_page_failed",
};

const char *khugepaged_result_name(enum scan_result r)
{
	return (unsigned)r < NR_SCAN_RESULTS ? scan_result_names[r] : "?";
}

/* the sysfs knobs at their defaults (khugepaged_init), scaled to 2^@order pages */
static int max_ptes_none(unsigned order) { return (1 << order) - 1; }
static int max_ptes_swap(unsigned order) { return (1 << order) / 8; }
static int max_ptes_shared(unsigned order) { return (1 << order) / 2; }

static bool hpage_collapse_test_exit(struct mm_struct *mm)
{
	return atomic_load(&mm->mm_users) == 0;
}

/* some anon THP order, PMD or mTHP, is set to "madvise" (the model's only THP mode) */
static bool hugepage_pmd_enabled(void)
{
	return (the_world->cfg.thp_orders & ((2u << KHUGEPAGED_MAX_ORDER) - 2)) != 0;
}

/*
 * thp_vma_allowable_order with TVA_ENFORCE_SYSFS for khugepaged: an
 * anonymous private VMA with VM_HUGEPAGE and not VM_NOHUGEPAGE; a VMA with
 * no anon_vma yet is not worth scanning (only a fault may allow it).
 * @vm_flags: the flags it has or is about to have.
 */
static bool thp_vma_allowable(const struct vm_area_struct *vma, unsigned long vm_flags,
			      bool need_anon_vma)
{
	if (!thp_vma_sysfs_allows(vm_flags))
		return false;
	if (!vma_is_anonymous(vma) || (vm_flags & VM_SHARED))
		return false;
	return !need_anon_vma || vma->anon_vma;
}

/*
 * The order khugepaged collapses @vma's ranges to: the largest enabled
 * order whose naturally aligned range fits in the VMA somewhere; 0 when
 * none does (the VMA is then passed over, as a VMA shorter than a PMD).
 */
static unsigned collapse_order(const struct vm_area_struct *vma)
{
	uint32_t orders = the_world->cfg.thp_orders;

	for (unsigned order = KHUGEPAGED_MAX_ORDER; order > 0; order--) {
		uint64_t nr = 1ull << order;
		uint64_t hstart = (vma->vm_start + nr - 1) & ~(nr - 1);

		if ((orders & (1u << order)) && hstart + nr <= vma->vm_end)
			return order;
	}
	return 0;
}

/* ------------------------------------------------------ mm registration */

/*
 * __khugepaged_enter - put @mm on the list just behind the cursor, to let
 * the area settle down a little, and hold the struct.  mmap_lock held
 * (for write by madvise, fork and mmap, for read by a fault), so
 * mm_users cannot be 0.
 */
static void __khugepaged_enter(struct mm_struct *mm)
{
	struct khugepaged_mm_slot *slot;

	VM_BUG_ON(hpage_collapse_test_exit(mm), INV_BUG, "mm %u registered with khugepaged "
		  "after exit", mm->id);
	if (atomic_exchange(&mm->vm_hugepage, true))	/* test_and_set_bit(MMF_VM_HUGEPAGE) */
		return;
	slot = pool_alloc(&the_world->khugepaged_slot_pool);
	if (!slot)
		return;		/* the kernel leaves the flag set too */
	slot->id = pool_index(&the_world->khugepaged_slot_pool, slot);
	slot->mm = mm;
	spin_lock(&K.khugepaged_mm_lock);
	mm->khugepaged_slot = slot;	/* mm_slot_insert: the hash */
	list_add_tail(&slot->mm_node, &K.mm_head);
	spin_unlock(&K.khugepaged_mm_lock);
	mmgrab(mm);
}

void khugepaged_enter_vma(struct vm_area_struct *vma, unsigned long vm_flags)
{
	if (!atomic_load(&vma->vm_mm->vm_hugepage) && hugepage_pmd_enabled() &&
	    thp_vma_allowable(vma, vm_flags, false))
		__khugepaged_enter(vma->vm_mm);
}

void khugepaged_fork(struct mm_struct *mm, struct mm_struct *oldmm)
{
	if (atomic_load(&oldmm->vm_hugepage))
		__khugepaged_enter(mm);
}

static void free_mm_slot(struct khugepaged_mm_slot *slot)
{
	pool_free(&the_world->khugepaged_slot_pool, slot);
}

void khugepaged_exit(struct mm_struct *mm)
{
	struct khugepaged_mm_slot *slot;
	bool free = false;

	if (!atomic_load(&mm->vm_hugepage))
		return;
	spin_lock(&K.khugepaged_mm_lock);
	slot = mm->khugepaged_slot;
	if (slot && K.mm_slot != slot) {
		mm->khugepaged_slot = NULL;
		list_del_init(&slot->mm_node);
		free = true;
	}
	spin_unlock(&K.khugepaged_mm_lock);

	if (free) {
		atomic_store(&mm->vm_hugepage, false);
		free_mm_slot(slot);
		mmdrop(mm);
	} else if (slot) {
		/*
		 * khugepaged is on this mm: it tests mm_users under mmap_lock,
		 * so once this write lock is had, it has seen 0 or let go, and
		 * exit_mmap may tear the page tables down.
		 */
		down_write(&mm->mmap_lock);
		up_write(&mm->mmap_lock);
	}
}

/*
 * collect_mm_slot - free the slot of an exited mm.  khugepaged_mm_lock held;
 * the cursor has moved off it.
 */
static void collect_mm_slot(struct khugepaged_mm_slot *slot)
{
	struct mm_struct *mm = slot->mm;

	if (!hpage_collapse_test_exit(mm))
		return;
	mm->khugepaged_slot = NULL;
	list_del_init(&slot->mm_node);
	atomic_store(&mm->vm_hugepage, false);
	free_mm_slot(slot);
	mmdrop(mm);
}

/* ------------------------------------------------------------ helpers */

/*
 * is_refcount_suitable - every reference is a mapping or the swap cache's:
 * a GUP pin (or any other external reference) makes it false.
 */
static bool is_refcount_suitable(struct folio *folio)
{
	int expected = folio_mapcount(folio);

	if (folio_test_swapcache(folio))
		expected += (int)folio_nr_pages(folio);
	return folio_ref_count(folio) == expected;
}

static bool is_zero_pte(pte_t pte)
{
	return pte_present(pte) && pte_pfn(pte) == zero_pfn();
}

/* release_pte_folio - an isolated, locked folio goes back */
static void release_pte_folio(struct folio *folio)
{
	folio_unlock(folio);
	folio_putback_lru(folio);
}

/* release the order-0 folios of @pte[0, @n) and every folio on @compound */
static void release_pte_pages(const pte_t *pte, int n, struct list_head *compound)
{
	while (--n >= 0) {
		struct folio *folio;

		if (pte_none(pte[n]) || is_zero_pte(pte[n]))
			continue;
		folio = page_folio(pfn_to_page(pte_pfn(pte[n])));
		if (folio_test_large(folio))
			continue;
		release_pte_folio(folio);
	}
	while (!list_empty(compound)) {
		struct folio *folio = list_entry(compound->next, struct folio, lru);

		list_del_init(&folio->lru);
		release_pte_folio(folio);
	}
}

/* free_page_and_swap_cache: the swap cache let go of if nothing maps it, then the reference */
static void free_page_and_swap_cache(struct page *page)
{
	struct folio *folio = page_folio(page);

	if (folio_test_swapcache(folio) && !folio_mapped(folio) && folio_trylock(folio)) {
		folio_free_swap(folio);
		folio_unlock(folio);
	}
	folio_put(folio);
}

/* ----------------------------------------------------------- collapse */

/*
 * hugepage_vma_revalidate - mmap_lock was dropped: is there still a VMA
 * here that allows the collapse of the 2^@order range at @haddr, with an
 * anon_vma?  *@vmap: the VMA.  mmap_lock held.
 */
static enum scan_result hugepage_vma_revalidate(struct mm_struct *mm, uint64_t haddr,
						unsigned order, struct vm_area_struct **vmap)
{
	struct vm_area_struct *vma;

	if (hpage_collapse_test_exit(mm))
		return SCAN_ANY_PROCESS;
	*vmap = vma = find_vma(mm, haddr);
	if (!vma)
		return SCAN_VMA_NULL;
	/* thp_vma_suitable_order */
	if (haddr < vma->vm_start || haddr + (1ull << order) > vma->vm_end)
		return SCAN_ADDRESS_RANGE;
	if (!thp_vma_allowable(vma, vma->vm_flags, false))
		return SCAN_VMA_CHECK;
	/* the range may have been unmapped and mapped again, anon_vma-less */
	if (!vma->anon_vma || !vma_is_anonymous(vma))
		return SCAN_PAGE_ANON;
	return SCAN_SUCCEED;
}

/*
 * __collapse_huge_page_swapin - bring the range's swap entries in, as
 * read faults.  mmap_lock held for read; released on failure.
 */
static enum scan_result __collapse_huge_page_swapin(struct mm_struct *mm,
						    struct vm_area_struct *vma,
						    uint64_t haddr, unsigned order)
{
	for (uint64_t a = haddr; a < haddr + (1ull << order); a++) {
		spinlock_t *ptl;
		pte_t *ptep = pte_offset_map_lock(mm, a, &ptl);
		pte_t orig;
		unsigned ret;

		if (!ptep) {
			up_read(&mm->mmap_lock);
			return SCAN_PMD_NULL;
		}
		orig = ptep_get(ptep);
		pte_unmap_unlock(ptl);
		if (!is_swap_pte(orig))
			continue;
		ret = do_swap_page(vma, a, orig, 0);
		if (ret & VM_FAULT_ERROR) {
			up_read(&mm->mmap_lock);
			return SCAN_FAIL;
		}
		cond_resched();
	}
	return SCAN_SUCCEED;
}

/*
 * __collapse_huge_page_isolate - the range's ptes, taken out of the table
 * (@pte, the saved values), are checked again and their folios locked
 * (trylock), their references checked and isolated from the LRU; a large
 * folio once, on @compound.  On failure every folio is released.  The ptl
 * and the anon_vma lock (write) held; mmap_lock held for write.
 */
static enum scan_result __collapse_huge_page_isolate(struct vm_area_struct *vma, uint64_t haddr,
						     const pte_t *pte, unsigned order,
						     struct list_head *compound)
{
	int nr = 1 << order, none_or_zero = 0, shared = 0, referenced = 0, i;
	enum scan_result result = SCAN_FAIL;
	bool writable = false;

	for (i = 0; i < nr; i++) {
		pte_t pteval = pte[i];
		uint64_t addr = haddr + (uint64_t)i;
		struct page *page;
		struct folio *folio;

		if (pte_none(pteval) || is_zero_pte(pteval)) {
			if (++none_or_zero <= max_ptes_none(order) && !userfaultfd_missing(vma))
				continue;
			result = SCAN_EXCEED_NONE_PTE;
			goto out;
		}
		if (!pte_present(pteval)) {
			result = SCAN_PTE_NON_PRESENT;
			goto out;
		}
		page = vm_normal_page(vma, addr, pteval);
		if (!page || folio_is_zone_device(page_folio(page))) {
			result = SCAN_PAGE_NULL;
			goto out;
		}
		folio = page_folio(page);
		VM_BUG_ON(!folio_test_anon(folio), INV_RMAP, "khugepaged: folio pfn %u in anon "
			  "vma [%#llx,%#llx) is not anon", folio->pfn,
			  (unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end);
		if (folio_likely_mapped_shared(folio) && ++shared > max_ptes_shared(order)) {
			result = SCAN_EXCEED_SHARED_PTE;
			goto out;
		}
		if (folio_test_large(folio)) {
			struct folio *f;

			/* dealt with already? */
			list_for_each_entry(f, compound, lru)
				if (f == folio)
					goto next;
		}
		/* PG_locked serializes against split_folio and migration */
		if (!folio_trylock(folio)) {
			result = SCAN_PAGE_LOCK;
			goto out;
		}
		/*
		 * Any reference but the mappings and the swap cache's, a GUP
		 * pin above all: the range's ptes are out of the table, so this
		 * process can take no new pin, and another (after fork) can
		 * only COW.  Without the check the pinner keeps a page the
		 * process no longer maps.
		 */
		if (!is_refcount_suitable(folio) &&
		    !mmt_injected(BUG_KHUGEPAGED_COLLAPSE_PINNED)) {
			folio_unlock(folio);
			result = SCAN_PAGE_COUNT;
			goto out;
		}
		if (!folio_isolate_lru(folio)) {
			folio_unlock(folio);
			result = SCAN_DEL_PAGE_LRU;
			goto out;
		}
		if (folio_test_large(folio))
			list_add_tail(&folio->lru, compound);
next:
		if (pte_young(pteval) || folio_test(folio, PG_young) ||
		    folio_test(folio, PG_referenced))
			referenced++;
		if (pte_write(pteval))
			writable = true;
	}
	if (!writable) {
		result = SCAN_PAGE_RO;
	} else if (!referenced) {
		result = SCAN_LACK_REFERENCED_PAGE;
	} else {
		return SCAN_SUCCEED;
	}
out:
	release_pte_pages(pte, i, compound);
	return result;
}

/*
 * __collapse_huge_page_copy - each page of @folio gets its old page's
 * contents (a none or zero pte: zeroes), then the old pages are unmapped:
 * their rmap removed under the ptl, their references dropped (a page
 * nobody else maps is freed), order-0 ones released first, large ones
 * after.  The range's ptes are out of the table; mmap_lock held for write.
 */
static void __collapse_huge_page_copy(const pte_t *pte, struct folio *folio,
				      struct vm_area_struct *vma, uint64_t haddr,
				      struct list_head *compound)
{
	struct mm_struct *mm = vma->vm_mm;
	int nr = (int)folio_nr_pages(folio);

	for (int i = 0; i < nr; i++) {
		uint64_t v = 0;

		if (!pte_none(pte[i]) && !is_zero_pte(pte[i]))
			v = atomic_load(page_value(pfn_to_page(pte_pfn(pte[i]))));
		atomic_store(page_value(folio_page(folio, (unsigned)i)), v);
	}

	/* __collapse_huge_page_copy_succeeded */
	for (int i = 0; i < nr; i++) {
		uint64_t addr = haddr + (uint64_t)i;
		struct page *src_page;
		struct folio *src;
		spinlock_t *ptl;
		pte_t *ptep;

		if (pte_none(pte[i]) || is_zero_pte(pte[i])) {
			/* the new page is one more for the rss; a zero pte counted nowhere */
			add_mm_counter(mm, MM_ANONPAGES, 1);
			continue;
		}
		src_page = pfn_to_page(pte_pfn(pte[i]));
		src = page_folio(src_page);
		if (!folio_test_large(src))
			release_pte_folio(src);
		/* "ptl mostly unnecessary": the rmap's per-cpu stats */
		ptep = pte_offset_map_lock(mm, addr, &ptl);
		VM_BUG_ON(!ptep || !pte_none(ptep_get(ptep)), INV_BUG, "khugepaged: mm %u addr "
			  "%#llx refilled during the collapse", mm->id, (unsigned long long)addr);
		folio_remove_rmap_pte(src, src_page, vma);
		pte_unmap_unlock(ptl);
		free_page_and_swap_cache(src_page);
	}
	while (!list_empty(compound)) {
		struct folio *src = list_entry(compound->next, struct folio, lru);

		list_del_init(&src->lru);
		folio_unlock(src);
		if (folio_test_swapcache(src) && !folio_mapped(src) && folio_trylock(src)) {
			folio_free_swap(src);	/* free_swap_cache */
			folio_unlock(src);
		}
		folio_putback_lru(src);
	}
}

/*
 * collapse_map_pmd - the tail of collapse_huge_page for HPAGE_PMD_ORDER:
 * the emptied pte table goes back under the pmd as the deposited table
 * (pgtable_trans_huge_deposit; here it never left), and the pmd maps the
 * new folio whole: dirty, young, writable where the VMA is, the head
 * AnonExclusive, the allocation's reference the pmd's.  The kernel also
 * queues the folio for the underused-THP shrinker (deferred_split_folio
 * with partially_mapped false), which the model does not have: a fault's
 * THP is not queued either.  mmap_lock held for write; takes the pmd lock.
 */
static void collapse_map_pmd(struct vm_area_struct *vma, uint64_t haddr, struct folio *folio)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t *pmdp = pmd_offset(mm, haddr);
	spinlock_t *ptl;

	VM_BUG_ON(!pmdp, INV_BUG, "khugepaged: mm %u range %#llx lost its pte table", mm->id,
		  (unsigned long long)haddr);
	ptl = pmd_lock(pmdp);
	/* BUG_ON(!pmd_none(*pmd)): the write lock kept every fault out */
	VM_BUG_ON(!pmd_none(pmdp_get(pmdp)) || !pmd_table_empty(pmdp), INV_BUG,
		  "khugepaged: mm %u pmd %#llx refilled before the new THP went in", mm->id,
		  (unsigned long long)haddr);
	map_anon_folio_pmd(folio, pmdp, vma, haddr);	/* the rss was the ptes' */
	spin_unlock(ptl);
}

/*
 * collapse_huge_page - collapse the 2^@order range at @haddr into a new
 * folio allocated on @node.  Called with mmap_lock held for read, returns
 * with it released (the caller breaks out of its loop).
 */
static enum scan_result collapse_huge_page(struct mm_struct *mm, uint64_t haddr, unsigned order,
					   int unmapped, int node)
{
	int nr = 1 << order;
	LIST_HEAD(compound);
	pte_t saved[1 << KHUGEPAGED_MAX_ORDER];
	struct vm_area_struct *vma;
	struct folio *folio;
	enum scan_result result;
	spinlock_t *ptl;
	pte_t *ptep;

	VM_BUG_ON(haddr & (uint64_t)(nr - 1), INV_BUG, "khugepaged: range %#llx of order %u "
		  "misaligned", (unsigned long long)haddr, order);
	/* the allocation may take long (compaction): not under mmap_lock */
	up_read(&mm->mmap_lock);
	cond_resched();
	folio = folio_alloc_order(node, order);	/* alloc_charge_folio */
	if (!folio) {
		result = SCAN_ALLOC_HUGE_PAGE_FAIL;
		goto out_nolock;
	}

	down_read(&mm->mmap_lock);
	result = hugepage_vma_revalidate(mm, haddr, order, &vma);
	if (result != SCAN_SUCCEED) {
		up_read(&mm->mmap_lock);
		goto out_nolock;
	}
	if (unmapped) {
		result = __collapse_huge_page_swapin(mm, vma, haddr, order);
		if (result != SCAN_SUCCEED)
			goto out_nolock;
	}
	up_read(&mm->mmap_lock);

	/*
	 * Only the write lock keeps faults, GUP and UFFDIO_MOVE off the
	 * range; the VMA may be gone, changed or remapped by now.
	 */
	down_write(&mm->mmap_lock);
	if (mmt_injected(BUG_KHUGEPAGED_NO_REVALIDATE)) {
		/* the VMA looked up again, and nothing about it checked */
		vma = find_vma(mm, haddr);
		result = vma ? SCAN_SUCCEED : SCAN_VMA_NULL;
		if (vma && !vma->anon_vma) {
			/* anon_vma_lock_write(NULL): the kernel's oops, 594cced14ad3 */
			VM_BUG_ON(1, INV_RMAP, "khugepaged: mm %u vma [%#llx,%#llx) has no "
				  "anon_vma to lock", mm->id, (unsigned long long)vma->vm_start,
				  (unsigned long long)vma->vm_end);
			result = SCAN_PAGE_ANON;
		}
	} else {
		result = hugepage_vma_revalidate(mm, haddr, order, &vma);
	}
	if (result != SCAN_SUCCEED)
		goto out_up_write;

	anon_vma_lock_write(vma->anon_vma);
	/*
	 * pmdp_collapse_flush: the kernel unhooks the whole pte table; here
	 * the range's ptes are taken out of it under the ptl, kept in @saved
	 * for isolation and for the way back.  Mapcounts and references stay
	 * with the folios until the copy is done.
	 */
	ptep = pte_offset_map_lock(mm, haddr, &ptl);
	if (!ptep) {
		/* find_pmd_or_thp_or_none: a fault mapped the range by a pmd meanwhile */
		pmd_t *pmdp = pmd_offset(mm, haddr);

		anon_vma_unlock_write(vma->anon_vma);
		result = pmdp && pmd_is_huge(pmdp_get_lockless(pmdp)) ? SCAN_PMD_MAPPED :
									  SCAN_PMD_NULL;
		goto out_up_write;
	}
	for (int i = 0; i < nr; i++)
		saved[i] = ptep_get_and_clear(mm, haddr + (uint64_t)i, ptep + i);
	result = __collapse_huge_page_isolate(vma, haddr, saved, order, &compound);
	if (result != SCAN_SUCCEED) {
		/* pmd_populate(orig): the table back as it was */
		for (int i = 0; i < nr; i++)
			if (!pte_none(saved[i]))
				set_pte_at(mm, haddr + (uint64_t)i, ptep + i, saved[i]);
		pte_unmap_unlock(ptl);
		anon_vma_unlock_write(vma->anon_vma);
		goto out_up_write;
	}
	pte_unmap_unlock(ptl);
	/* every folio is isolated and locked: no rmap walk can get at them */
	anon_vma_unlock_write(vma->anon_vma);

	__collapse_huge_page_copy(saved, folio, vma, haddr, &compound);
	folio_set_uptodate(folio);	/* __folio_mark_uptodate */

	if (order == HPAGE_PMD_ORDER) {
		collapse_map_pmd(vma, haddr, folio);
		folio = NULL;
		result = SCAN_SUCCEED;
		goto out_up_write;
	}
	ptep = pte_offset_map_lock(mm, haddr, &ptl);
	VM_BUG_ON(!ptep, INV_BUG, "khugepaged: mm %u range %#llx lost its pte table",
		  mm->id, (unsigned long long)haddr);
	for (int i = 0; i < nr; i++)	/* BUG_ON(!pmd_none(*pmd)) */
		VM_BUG_ON(!pte_none(ptep_get(ptep + i)), INV_BUG, "khugepaged: mm %u addr %#llx "
			  "refilled before the new folio went in", mm->id,
			  (unsigned long long)haddr + (unsigned long long)i);
	/* one reference per pte, the allocation's is the first */
	if (nr > 1) {
		kp_access(folio, KP_F_FOLIO_REF, true);
		atomic_fetch_add(&folio->_refcount, nr - 1);
	}
	folio_add_new_anon_rmap(folio, vma, haddr, RMAP_EXCLUSIVE);
	folio_add_lru(folio);	/* folio_add_lru_vma */
	for (int i = 0; i < nr; i++)
		set_pte_at(mm, haddr + (uint64_t)i, ptep + i,
			   mk_pte(folio + i, vma, vma->vm_flags & VM_WRITE));
	pte_unmap_unlock(ptl);
	folio = NULL;
	result = SCAN_SUCCEED;
out_up_write:
	up_write(&mm->mmap_lock);
out_nolock:
	if (folio)
		folio_put(folio);
	return result;
}

/*
 * hpage_collapse_scan_pmd - look at the 2^@order range at @haddr under its
 * ptl, and collapse it if it qualifies (khugepaged.h).  mmap_lock held for
 * read; *@mmap_locked false when collapse_huge_page released it.
 */
static enum scan_result hpage_collapse_scan_pmd(struct mm_struct *mm, struct vm_area_struct *vma,
						uint64_t haddr, unsigned order, bool *mmap_locked)
{
	int nr = 1 << order, none_or_zero = 0, shared = 0, unmapped = 0, referenced = 0, i;
	int node_load[MMT_MAX_NODES] = { 0 }, node = 0;
	enum scan_result result = SCAN_FAIL;
	struct folio *first = NULL;
	uint64_t first_pfn = 0;
	bool writable = false, mapped_whole = true;
	spinlock_t *ptl;
	pte_t *ptep;

	ptep = pte_offset_map_lock(mm, haddr, &ptl);
	if (!ptep) {
		pmd_t *pmdp = pmd_offset(mm, haddr);

		return pmdp && pmd_is_huge(pmdp_get_lockless(pmdp)) ? SCAN_PMD_MAPPED :
									   SCAN_PMD_NULL;
	}
	for (i = 0; i < nr; i++) {
		pte_t pteval = ptep_get(ptep + i);
		uint64_t addr = haddr + (uint64_t)i;
		struct page *page;
		struct folio *folio;

		if (is_swap_pte(pteval)) {
			mapped_whole = false;
			if (++unmapped <= max_ptes_swap(order))
				continue;
			result = SCAN_EXCEED_SWAP_PTE;
			goto out_unmap;
		}
		if (pte_none(pteval) || is_zero_pte(pteval)) {
			mapped_whole = false;
			if (++none_or_zero <= max_ptes_none(order) && !userfaultfd_missing(vma))
				continue;
			result = SCAN_EXCEED_NONE_PTE;
			goto out_unmap;
		}
		if (pte_write(pteval))
			writable = true;
		page = vm_normal_page(vma, addr, pteval);
		if (!page || folio_is_zone_device(page_folio(page))) {
			result = SCAN_PAGE_NULL;
			goto out_unmap;
		}
		folio = page_folio(page);
		/* a range that already maps one folio of this order or more, in order */
		if (i == 0) {
			first = folio;
			first_pfn = page_to_pfn(page);
		}
		/*
		 * ... but ptes mapping a whole PMD-sized folio are collapsed
		 * (copied into a new folio) to map it by a pmd, as Linux does
		 * after a partial mprotect or a pin's fork split the pmd.
		 */
		if (folio != first || folio_nr_pages(folio) < nr || order == HPAGE_PMD_ORDER ||
		    page_to_pfn(page) != first_pfn + (uint64_t)i)
			mapped_whole = false;
		if (!folio_test_anon(folio)) {
			result = SCAN_PAGE_ANON;
			goto out_unmap;
		}
		/* a page counts as shared if any of its folio is: false negatives are fine */
		if (folio_likely_mapped_shared(folio) && ++shared > max_ptes_shared(order)) {
			result = SCAN_EXCEED_SHARED_PTE;
			goto out_unmap;
		}
		/* the new folio goes to the node most of the pages are on */
		node_load[folio->nid]++;
		if (!folio_test_lru(folio)) {
			result = SCAN_PAGE_LRU;
			goto out_unmap;
		}
		if (folio_test_locked(folio)) {
			result = SCAN_PAGE_LOCK;
			goto out_unmap;
		}
		/* racy, checked again after isolation: a pin fails it */
		if (!is_refcount_suitable(folio) &&
		    !mmt_injected(BUG_KHUGEPAGED_COLLAPSE_PINNED)) {
			result = SCAN_PAGE_COUNT;
			goto out_unmap;
		}
		if (pte_young(pteval) || folio_test(folio, PG_young) ||
		    folio_test(folio, PG_referenced))
			referenced++;
	}
	if (mapped_whole) {
		result = SCAN_PMD_MAPPED;
	} else if (!writable) {
		result = SCAN_PAGE_RO;
	} else if (!referenced || (unmapped && referenced < nr / 2)) {
		result = SCAN_LACK_REFERENCED_PAGE;
	} else {
		result = SCAN_SUCCEED;
	}
out_unmap:
	pte_unmap_unlock(ptl);
	if (result == SCAN_SUCCEED) {
		/* hpage_collapse_find_target_node: the first node with the most */
		for (int n = 1; n < MMT_MAX_NODES; n++)
			if (node_load[n] > node_load[node])
				node = n;
		result = collapse_huge_page(mm, haddr, order, unmapped, node);
		*mmap_locked = false;
	}
	return result;
}

/* ---------------------------------------------------------- the scan */

static void note_result(enum scan_result r)
{
	if ((unsigned)r < NR_SCAN_RESULTS)
		K.result[r]++;
}

/*
 * khugepaged_scan_mm_slot - scan the cursor's mm (the first on the list
 * if the cursor is between passes) for up to @pages.  Entered with
 * khugepaged_mm_lock held, which it drops while it works and takes again
 * to move the cursor on; returns the progress made.
 */
static unsigned long khugepaged_scan_mm_slot(unsigned long pages, enum scan_result *result,
					     unsigned long *collapsed)
{
	struct khugepaged_mm_slot *slot;
	struct vm_area_struct *vma = NULL;
	struct mm_struct *mm;
	unsigned long progress = 0;

	*result = SCAN_FAIL;
	if (K.mm_slot) {
		slot = K.mm_slot;
	} else {
		slot = list_entry(K.mm_head.next, struct khugepaged_mm_slot, mm_node);
		K.address = 0;
		K.mm_slot = slot;
	}
	spin_unlock(&K.khugepaged_mm_lock);

	mm = slot->mm;
	/* a busy mm is skipped, not waited for */
	if (!down_read_trylock(&mm->mmap_lock))
		goto breakouterloop_mmap_lock;
	progress++;
	if (hpage_collapse_test_exit(mm))
		goto breakouterloop;

	for (vma = find_vma(mm, K.address); vma; vma = vma_next(vma)) {
		uint64_t nr, hstart, hend;
		unsigned order;

		cond_resched();
		if (hpage_collapse_test_exit(mm)) {
			progress++;
			break;
		}
		order = thp_vma_allowable(vma, vma->vm_flags, true) ? collapse_order(vma) : 0;
		if (!order) {
skip:
			progress++;
			continue;
		}
		nr = 1ull << order;
		hstart = (vma->vm_start + nr - 1) & ~(nr - 1);
		hend = vma->vm_end & ~(nr - 1);
		if (K.address > hend)
			goto skip;
		if (K.address < hstart)
			K.address = hstart;
		/* a VMA changed while the lock was dropped may want a larger order */
		K.address = (K.address + nr - 1) & ~(nr - 1);

		while (K.address + nr <= hend) {
			bool mmap_locked = true;

			cond_resched();
			if (hpage_collapse_test_exit(mm))
				goto breakouterloop;
			*result = hpage_collapse_scan_pmd(mm, vma, K.address, order, &mmap_locked);
			note_result(*result);
			if (*result == SCAN_SUCCEED) {
				K.pages_collapsed++;
				(*collapsed)++;
			}
			K.address += nr;
			progress += nr;
			if (!mmap_locked)
				goto breakouterloop_mmap_lock;
			if (progress >= pages)
				goto breakouterloop;
		}
	}
breakouterloop:
	up_read(&mm->mmap_lock);	/* exit_mmap tears the page tables down after this */
breakouterloop_mmap_lock:
	spin_lock(&K.khugepaged_mm_lock);
	VM_BUG_ON(K.mm_slot != slot, INV_BUG, "khugepaged: the cursor left mm %u's slot "
		  "under the scan", mm->id);
	/* the mm is going, or every VMA has been looked at: on to the next */
	if (hpage_collapse_test_exit(mm) || !vma) {
		if (slot->mm_node.next != &K.mm_head) {
			K.mm_slot = list_entry(slot->mm_node.next, struct khugepaged_mm_slot,
					       mm_node);
			K.address = 0;
		} else {
			K.mm_slot = NULL;
			K.full_scans++;
		}
		collect_mm_slot(slot);
	}
	return progress;
}

static bool khugepaged_has_work(void)
{
	return !list_empty(&K.mm_head) && hugepage_pmd_enabled();
}

unsigned long khugepaged_run(unsigned long pages)
{
	unsigned long progress = 0, collapsed = 0;
	unsigned pass_through_head = 0;
	enum scan_result result = SCAN_SUCCEED;
	bool wait = true;

	mutex_lock(&K.thread);
	/* khugepaged_do_scan */
	for (;;) {
		cond_resched();
		spin_lock(&K.khugepaged_mm_lock);
		if (!K.mm_slot)
			pass_through_head++;
		if (khugepaged_has_work() && pass_through_head < 2)
			progress += khugepaged_scan_mm_slot(pages - progress, &result, &collapsed);
		else
			progress = pages;
		spin_unlock(&K.khugepaged_mm_lock);
		if (progress >= pages)
			break;
		if (result == SCAN_ALLOC_HUGE_PAGE_FAIL) {
			/* the first failure sleeps (khugepaged_alloc_sleep), the second ends it */
			if (!wait)
				break;
			wait = false;
			cond_resched();
		}
	}
	mutex_unlock(&K.thread);
	return collapsed;
}

void khugepaged_reap(void)
{
	unsigned long collapsed = 0;
	enum scan_result result;

	mutex_lock(&K.thread);
	spin_lock(&K.khugepaged_mm_lock);
	/* every mm has exited: each visit collects one slot */
	for (uint32_t n = 0; n <= the_world->cfg.max_mms * 2 && !list_empty(&K.mm_head); n++)
		khugepaged_scan_mm_slot(1, &result, &collapsed);
	spin_unlock(&K.khugepaged_mm_lock);
	mutex_unlock(&K.thread);
	VM_BUG_ON(collapsed, INV_BUG, "khugepaged collapsed a range of a live mm at teardown");
}

/* ---------------------------------------------------------- world life */

void khugepaged_init(struct khugepaged_state *k)
{
	mutex_init(&k->thread, LC_KHUGEPAGED_THREAD);
	spin_lock_init(&k->khugepaged_mm_lock, LC_KHUGEPAGED_MM);
	khugepaged_reset(k);
}

void khugepaged_reset(struct khugepaged_state *k)
{
	atomic_store(&k->thread.li.owner, NULL);
	atomic_store(&k->khugepaged_mm_lock.li.owner, NULL);
	INIT_LIST_HEAD(&k->mm_head);
	k->mm_slot = NULL;
	k->address = 0;
	k->pages_collapsed = 0;
	k->full_scans = 0;
	for (int r = 0; r < NR_SCAN_RESULTS; r++)
		k->result[r] = 0;
}

void khugepaged_destroy(struct khugepaged_state *k)
{
	mutex_destroy(&k->thread);
	spin_lock_destroy(&k->khugepaged_mm_lock);
}
