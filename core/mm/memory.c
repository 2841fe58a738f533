// SPDX-License-Identifier: MIT
/*
 * memory.c - faults (anonymous, zero page, file/shmem, COW with AnonExclusive
 * reuse, swap-in, migration-entry wait), zapping, fork's page-table copy,
 * mprotect's and mremap's page-table changes, and the user access that
 * drives them all.
 *
 * Lock order: mmap_lock (read for faults) -> folio lock -> ptl.  Wherever a
 * fault must sleep (allocation, folio lock) it drops the ptl first and
 * rechecks the pte afterwards, returning 0 to have the access retried if the
 * pte changed meanwhile, as the kernel's handle_pte_fault paths do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/folio.h"
#include "mmt/gup.h"
#include "mmt/hmm.h"
#include "mmt/huge_mm.h"
#include "mmt/inject.h"
#include "mmt/ksm.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/userfaultfd.h"
#include "mmt/world.h"
#include "internal.h"

/* the page a present pte maps (a page of a large folio, maybe), or NULL */
struct page *vm_normal_page(struct vm_area_struct *vma, uint64_t addr, pte_t pte)
{
	(void)vma; (void)addr;
	if (!pte_present(pte) || pte_special(pte))
		return NULL;
	return pfn_to_page(pte_pfn(pte));
}

struct folio *vm_normal_folio(struct vm_area_struct *vma, uint64_t addr, pte_t pte)
{
	struct page *page = vm_normal_page(vma, addr, pte);

	return page ? page_folio(page) : NULL;
}

pte_t mk_pte(struct folio *folio, struct vm_area_struct *vma, bool write)
{
	pte_t pte = pte_mkyoung(pfn_pte(folio->pfn, false));

	(void)vma;
	if (write)
		pte = pte_mkdirty(pte_mkwrite(pte));
	return pte;
}

/*
 * Allocation for a fault.  When the world is out of frames the kernel would
 * reclaim before giving up; so do we, once, then report OOM.
 */
static struct folio *alloc_fault_folio(struct mm_struct *mm)
{
	struct folio *f = folio_alloc(mm->home_node, false);

	if (!f && reclaim_pages_global(32))
		f = folio_alloc(mm->home_node, false);
	return f;
}

/* ------------------------------------------------------------- faults */

/* every pte of [addr, addr + nr) is none; ptl held */
static bool pte_range_none(pte_t *ptep, int nr)
{
	for (int i = 0; i < nr; i++)
		if (!pte_none(ptep_get(ptep + i)))
			return false;
	return true;
}

/*
 * alloc_anon_folio - the folio for a write fault at @addr (6.8+, mTHP): the
 * largest order enabled in the world (the sysfs knobs, "madvise") for a
 * VM_HUGEPAGE VMA (thp_vma_allowable_orders) whose naturally aligned range
 * lies inside the VMA and one pte table and has no pte yet, and for which a
 * run of free frames exists; else the next order down, and order 0 last.
 * Returns the folio and its first address in *@start.  The ptl is taken
 * only to look, as the kernel's pte_range_none check is lockless.
 */
static struct folio *alloc_anon_folio(struct vm_area_struct *vma, uint64_t addr,
				      uint64_t *start)
{
	struct mm_struct *mm = vma->vm_mm;
	uint32_t orders = the_world->cfg.thp_orders;

	*start = addr;
	if (!thp_vma_sysfs_allows(vma->vm_flags) || userfaultfd_missing(vma))
		orders = 0;
	for (int order = 30; order > 0; order--) {
		uint64_t nr = 1ull << order, haddr = addr & ~(nr - 1);
		struct folio *folio;
		spinlock_t *ptl;
		pte_t *ptep;
		bool none;

		/* PMD-sized: do_huge_pmd_anonymous_page's, which fell back */
		if (!(orders & (1u << order)) || haddr < vma->vm_start || haddr + nr > vma->vm_end ||
		    order >= HPAGE_PMD_ORDER)
			continue;
		ptep = pte_offset_map_lock(mm, haddr, &ptl);
		if (!ptep)
			continue;
		none = pte_range_none(ptep, (int)nr);
		pte_unmap_unlock(ptl);
		if (!none)
			continue;
		folio = folio_alloc_order(mm->home_node, (unsigned)order);
		if (folio) {
			atomic_fetch_add(&the_world->mthp_fault_alloc[order & 7], 1);
			*start = haddr;
			return folio;
		}
	}
	return alloc_fault_folio(mm);
}

/*
 * do_anonymous_page - first touch of an anonymous page.  A read maps the
 * shared zero page; a write gets a fresh exclusive folio.  mmap_lock read.
 */
static unsigned do_anonymous_page(struct vm_area_struct *vma, uint64_t addr, unsigned flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio;
	uint64_t start;
	spinlock_t *ptl;
	pte_t *ptep;
	int nr;

	/* no page here yet: with uffd missing mode armed, its handler decides */
	if (userfaultfd_missing(vma))
		return handle_userfault_missing(vma, addr);
	/*
	 * A read maps the zero page, and the VMA gets no anon_vma for it; with
	 * mm_forbids_zeropage (the world's zeropage=0, like this project's
	 * hosts booted with pvm_no_zero_page=1) it allocates a page like a
	 * write, anon_vma and all: after fork, the child's pieces of such a
	 * VMA then no longer merge (corpus/regress/read-fault-anon-vma*.mmt).
	 */
	if (!(flags & FAULT_FLAG_WRITE) && !the_world->cfg.no_zeropage) {
		ptep = pte_offset_map_lock(mm, addr, &ptl);
		if (!ptep)
			return 0;	/* a huge pmd is there now: retry */
		if (pte_none(ptep_get(ptep)))
			set_pte_at(mm, addr, ptep, mk_zero_pte());
		pte_unmap_unlock(ptl);
		return 0;
	}

	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	folio = alloc_anon_folio(vma, addr, &start);
	if (!folio)
		return VM_FAULT_OOM;
	nr = (int)folio_nr_pages(folio);
	folio_set_uptodate(folio);

	ptep = pte_offset_map_lock(mm, start, &ptl);
	if (!ptep) {
		folio_put(folio);
		return 0;	/* a huge pmd is there now: retry */
	}
	if (!pte_range_none(ptep, nr)) {
		/* someone else populated it while we allocated */
		pte_unmap_unlock(ptl);
		folio_put(folio);
		return 0;
	}
	/* one reference per pte (folio_ref_add), the allocation's is the first */
	if (nr > 1) {
		kp_access(folio, KP_F_FOLIO_REF, true);
		atomic_fetch_add(&folio->_refcount, nr - 1);
	}
	add_mm_counter(mm, MM_ANONPAGES, nr);
	folio_add_new_anon_rmap(folio, vma, start, RMAP_EXCLUSIVE);
	folio_add_lru(folio);
	for (int i = 0; i < nr; i++)
		set_pte_at(mm, start + i, ptep + i,
			   mk_pte(folio + i, vma, vma->vm_flags & VM_WRITE));
	pte_unmap_unlock(ptl);
	return 0;
}

/*
 * shmem_fault - find or create the page-cache folio of a file/shmem page, in
 * *@foliop locked and with a reference.  Both objects are tmpfs, so this is
 * shmem_get_folio_gfp(SGP_CACHE): an index at or past i_size is -EINVAL,
 * which vmf_error() makes VM_FAULT_SIGBUS, before the cache is even looked
 * at.  A mapping grown or duplicated by mremap past its object's end gets
 * there.
 */
static unsigned shmem_fault(struct vm_area_struct *vma, uint64_t addr,
			    struct folio **foliop)
{
	return shmem_get_folio(vma->vm_file, linear_page_index(vma, addr), vma->vm_mm, foliop);
}

/* the same by object and index (shmem_fault above, and nonlinear installs) */
unsigned shmem_get_folio(struct address_space *m, uint64_t index, struct mm_struct *mm,
			 struct folio **foliop)
{
	struct folio *folio;

	if (index >= i_size_read(m))
		return VM_FAULT_SIGBUS;
	for (;;) {
		folio = filemap_get_folio(m, index);
		if (folio) {
			folio_lock(folio);
			if (folio_mapping(folio) == m && folio->index == index) {
				*foliop = folio;
				return 0;
			}
			/* truncated or migrated away while we slept */
			folio_unlock(folio);
			folio_put(folio);
			continue;
		}
		folio = alloc_fault_folio(mm);
		if (!folio)
			return VM_FAULT_OOM;
		folio_lock(folio);
		if (filemap_add_folio(m, folio, index) == 0) {
			folio_add_lru(folio);
			*foliop = folio;
			return 0;
		}
		folio_unlock(folio);
		folio_put(folio);
	}
}

/*
 * do_cow_fault - write to a private file page never written before: copy it
 * into a new exclusive anon folio.
 */
static unsigned do_cow_fault(struct vm_area_struct *vma, uint64_t addr)
{
	struct mm_struct *mm = vma->vm_mm;
	struct folio *src, *folio;
	spinlock_t *ptl;
	pte_t *ptep;
	unsigned ret;

	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	folio = alloc_fault_folio(mm);
	if (!folio)
		return VM_FAULT_OOM;
	/* __do_fault: past EOF a private mapping is SIGBUS too */
	ret = shmem_fault(vma, addr, &src);
	if (ret) {
		folio_put(folio);
		return ret;
	}
	atomic_store(&folio->value, atomic_load(&src->value));
	folio_set_uptodate(folio);
	folio_unlock(src);
	folio_put(src);

	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep || !pte_none(ptep_get(ptep))) {
		if (ptep)
			pte_unmap_unlock(ptl);
		folio_put(folio);
		return ptep ? 0 : VM_FAULT_OOM;
	}
	inc_mm_counter(mm, MM_ANONPAGES);
	folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE);
	folio_add_lru(folio);
	set_pte_at(mm, addr, ptep, mk_pte(folio, vma, true));
	pte_unmap_unlock(ptl);
	return 0;
}

/* do_read_fault / do_shared_fault: map the page-cache folio itself. */
static unsigned do_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio;
	spinlock_t *ptl;
	pte_t *ptep;
	unsigned ret;
	bool write;

	if ((flags & FAULT_FLAG_WRITE) && !(vma->vm_flags & VM_SHARED))
		return do_cow_fault(vma, addr);

	ret = shmem_fault(vma, addr, &folio);
	if (ret)
		return ret;
	/* tmpfs needs no write notification: a shared writable mapping maps writable */
	write = (vma->vm_flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE);
	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep || !pte_none(ptep_get(ptep))) {
		if (ptep)
			pte_unmap_unlock(ptl);
		folio_unlock(folio);
		folio_put(folio);
		return ptep ? 0 : VM_FAULT_OOM;
	}
	inc_mm_counter(mm, mm_counter(folio));
	folio_add_file_rmap_pte(folio, folio_page(folio, 0), vma);
	set_pte_at(mm, addr, ptep, mk_pte(folio, vma, write));
	pte_unmap_unlock(ptl);
	folio_unlock(folio);	/* the mapping keeps our reference */
	return 0;
}

/*
 * wp_can_reuse_anon_folio - may a write fault on a non-exclusive anon page
 * keep the page instead of copying it?  Only if we hold the last reference
 * (the swap cache's can be dropped on the way).  Called with ptl held, so the
 * folio lock can only be tried.
 */
static bool wp_can_reuse_anon_folio(struct folio *folio, struct vm_area_struct *vma)
{
	/* a KSM page is never reused: others may be merged onto it at any time */
	if (folio_test_ksm(folio))
		return false;
	/* nor a large folio that is not exclusive, as before 6.13 */
	if (folio_test_large(folio))
		return false;
	if (folio_ref_count(folio) > 1 + (int)folio_test_swapcache(folio))
		return false;
	if (!folio_trylock(folio))
		return false;
	if (folio_test_swapcache(folio))
		folio_free_swap(folio);
	if (folio_ref_count(folio) != 1) {
		folio_unlock(folio);
		return false;
	}
	folio_move_anon_rmap(folio, vma);
	folio_unlock(folio);
	return true;
}

/*
 * wp_page_copy - break COW: copy into a new exclusive folio, mapped
 * writable unless this is an unshare fault (KSM's break_ksm), which only
 * makes the page private.  Entered with ptl held and a reference on @old
 * (may be NULL for the zero page); drops the ptl to allocate and retries if
 * the pte changed meanwhile.
 */
static unsigned wp_page_copy(struct vm_area_struct *vma, uint64_t addr, pte_t orig,
			     struct folio *old, unsigned flags)
{
	struct page *old_page = old ? pfn_to_page(pte_pfn(orig)) : NULL;
	struct mm_struct *mm = vma->vm_mm;
	struct folio *new;
	spinlock_t *ptl;
	pte_t *ptep;
	unsigned ret = 0;

	if (anon_vma_prepare(vma)) {
		ret = VM_FAULT_OOM;
		goto out;
	}
	new = alloc_fault_folio(mm);
	if (!new) {
		ret = VM_FAULT_OOM;
		goto out;
	}
	atomic_store(&new->value, old ? atomic_load(page_value(old_page)) : 0);
	folio_set_uptodate(new);

	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep || pte_val(ptep_get(ptep)) != pte_val(orig)) {
		if (ptep)
			pte_unmap_unlock(ptl);
		folio_put(new);
		goto out;
	}
	if (old && !folio_test_anon(old)) {
		dec_mm_counter(mm, mm_counter(old));
		inc_mm_counter(mm, MM_ANONPAGES);
	} else if (!old) {
		inc_mm_counter(mm, MM_ANONPAGES);
	}
	ptep_get_and_clear(mm, addr, ptep);
	folio_add_new_anon_rmap(new, vma, addr, RMAP_EXCLUSIVE);
	folio_add_lru(new);
	set_pte_at(mm, addr, ptep, mk_pte(new, vma, !(flags & FAULT_FLAG_UNSHARE)));
	if (old) {
		folio_remove_rmap_pte(old, old_page, vma);
		folio_put(old);		/* the old pte's reference */
	}
	pte_unmap_unlock(ptl);
out:
	if (old)
		folio_put(old);		/* ours */
	return ret;
}

/*
 * do_wp_page - write to a present read-only pte in a writable VMA, or an
 * unshare fault (FAULT_FLAG_UNSHARE), which only has KSM pages to copy.
 * Entered with ptl held; returns with it released.
 */
static unsigned do_wp_page(struct vm_area_struct *vma, uint64_t addr, pte_t *ptep,
			   spinlock_t *ptl, pte_t orig, unsigned flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page = vm_normal_page(vma, addr, orig);
	struct folio *folio = page ? page_folio(page) : NULL;

	if ((flags & FAULT_FLAG_UNSHARE) && !(folio && folio_test_ksm(folio))) {
		pte_unmap_unlock(ptl);
		return 0;
	}
	if (vma->vm_flags & VM_SHARED) {
		/* shared mapping: no COW, just allow the write */
		set_pte_at(mm, addr, ptep, pte_mkdirty(pte_mkyoung(pte_mkwrite(orig))));
		pte_unmap_unlock(ptl);
		return 0;
	}
	if (folio && folio_test_anon(folio) &&
	    (PageAnonExclusive(page) || wp_can_reuse_anon_folio(folio, vma))) {
		if (!PageAnonExclusive(page))
			SetPageAnonExclusive(page);
		set_pte_at(mm, addr, ptep, pte_mkdirty(pte_mkyoung(pte_mkwrite(orig))));
		pte_unmap_unlock(ptl);
		return 0;
	}
	if (folio)
		folio_get(folio);
	pte_unmap_unlock(ptl);
	return wp_page_copy(vma, addr, orig, folio, flags);
}

/* VM_WRITE and a writable pte can only be upgraded for exclusive anon pages */
static bool should_try_to_free_swap(struct swap_info_struct *si, struct folio *folio,
				    unsigned flags)
{
	bool full;

	spin_lock(&si->lock);
	full = si->inuse_pages * 2 > si->max;	/* vm_swap_full() */
	spin_unlock(&si->lock);
	return full || ((flags & FAULT_FLAG_WRITE) && folio_ref_count(folio) == 2);
}

/*
 * do_device_private_fault - the CPU touched a page that lives in device
 * memory: take a reference and the folio lock while the pte still names it
 * (so it cannot be freed or migrated under us), then let its driver migrate
 * it back (pgmap->ops->migrate_to_ram) and retry.  A folio someone else has
 * locked is being migrated already: retry.  mmap_lock read held.
 */
static unsigned do_device_private_fault(struct vm_area_struct *vma, uint64_t addr,
					pte_t orig_pte)
{
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio;
	spinlock_t *ptl;
	pte_t *ptep;
	unsigned ret;

	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep)
		return 0;
	if (pte_val(ptep_get(ptep)) != pte_val(orig_pte)) {
		pte_unmap_unlock(ptl);
		return 0;
	}
	folio = pfn_swap_entry_folio(pte_to_swp_entry(orig_pte));
	VM_BUG_ON(!folio_is_device_private(folio), INV_DEVICE,
		  "mm %u addr %#llx: device-private entry names pfn %u, not a device folio",
		  mm->id, (unsigned long long)addr, folio->pfn);
	if (!folio_trylock(folio)) {
		/*
		 * Someone is migrating it (migrate_vma holds it locked from
		 * setup to finalize): wait for them, then retry, rather than
		 * spin on the trylock.  Without a reference, as
		 * migration_entry_wait waits: a reference held while waiting
		 * would fail the very migration we wait for (its refcount
		 * check), and the frame itself never goes away.
		 */
		pte_unmap_unlock(ptl);
		folio_wait_locked(folio);
		return 0;
	}
	folio_get(folio);
	pte_unmap_unlock(ptl);
	ret = dmirror_devmem_fault(vma, addr, folio);
	folio_unlock(folio);
	folio_put(folio);
	return ret;
}

/*
 * do_swap_page - a pte holds a swap entry.  Migration entries wait and
 * retry.  Real swap entries are read in through the swap cache: the folio is
 * found there or allocated, added and filled from the slot, locked, and then
 * the pte is rechecked before it is replaced.  mmap_lock read.
 */
unsigned do_swap_page(struct vm_area_struct *vma, uint64_t addr, pte_t orig_pte,
		      unsigned flags)
{
	struct mm_struct *mm = vma->vm_mm;
	swp_entry_t entry = pte_to_swp_entry(orig_pte);
	struct swap_info_struct *si;
	struct folio *folio, *swapcache;
	struct page *page;
	spinlock_t *ptl;
	pte_t *ptep, pte;
	bool exclusive;
	int rmap_flags = RMAP_NONE;
	unsigned ret = 0;

	if (non_swap_entry(entry)) {
		if (is_migration_entry(entry)) {
			migration_entry_wait(mm, addr);
			return 0;
		}
		if (is_device_private_entry(entry))
			return do_device_private_fault(vma, addr, orig_pte);
		VM_BUG_ON(1, INV_SWAPMAP, "mm %u addr %#llx: unexpected swap type %u", mm->id,
			  (unsigned long long)addr, swp_type(entry));
	}
	/*
	 * No device: a swapoff is taking the page in, or has, since we read
	 * the pte.  Retry the fault, as the kernel does.  Finding the same pte
	 * again is no proof of a leak: after the swapoff a swapon can reuse
	 * the type, and reclaim can put the page back in the same slot number
	 * (the checker's swap clauses are what catches a pte naming no device).
	 */
	si = get_swap_device(entry);
	if (!si)
		return 0;

	folio = swap_cache_get_folio(entry);
	if (!folio) {
		folio = alloc_fault_folio(mm);
		if (!folio) {
			ret = VM_FAULT_OOM;
			goto out;
		}
		folio_lock(folio);
		if (swap_cache_add_new(folio, entry)) {
			/* raced with another swap-in, or the slot went away: retry */
			folio_unlock(folio);
			folio_put(folio);
			goto out;
		}
		folio_add_lru(folio);
	} else {
		folio_lock(folio);
	}

	/*
	 * A KSM page may have to be copied: while run = 2 unmerges, when its
	 * stable node was torn down, or when it (having lost KSM-ness when it
	 * was swapped out and freed) came back in another anon_vma or at
	 * another index than ours.
	 */
	swapcache = folio;
	if (folio_test_swapcache(swapcache) && swapcache->private == entry.val) {
		folio = ksm_might_need_to_copy(swapcache, vma, addr);
		if (!folio) {
			ret = VM_FAULT_OOM;
			folio = swapcache;
			ptep = NULL;
			goto out_nomap;
		}
	}

	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep || (pte_val(ptep_get(ptep)) != pte_val(orig_pte) &&
		      !mmt_injected(BUG_SWAP_FAULT_NO_PTE_RECHECK)))
		goto out_nomap;
	if (!folio_test_swapcache(swapcache) || swapcache->private != entry.val)
		goto out_nomap;

	page = folio_page(folio, 0);
	exclusive = pte_swp_exclusive(orig_pte) || folio != swapcache;
	/*
	 * The slot's count drops by our pte; if the folio is now only ours,
	 * it can leave the swap cache and count as exclusive.
	 */
	swap_free(entry);
	if (folio == swapcache && should_try_to_free_swap(si, folio, flags))
		folio_free_swap(folio);
	inc_mm_counter(mm, MM_ANONPAGES);
	dec_mm_counter(mm, MM_SWAPENTS);
	pte = mk_pte(folio, vma, false);
	/* a KSM page is never exclusive, never writable */
	if (!folio_test_ksm(folio) && (exclusive || folio_ref_count(folio) == 1)) {
		if ((vma->vm_flags & VM_WRITE) && (flags & FAULT_FLAG_WRITE)) {
			pte = pte_mkdirty(pte_mkwrite(pte));
			flags &= ~FAULT_FLAG_WRITE;
		}
		rmap_flags |= RMAP_EXCLUSIVE;
	}
	if (folio == swapcache && folio_test_ksm(folio))
		ksm_note_swapin_mapped(folio);
	if (folio != swapcache) {
		folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE);
		folio_add_lru(folio);
	} else if (!folio_test_anon(folio)) {
		folio_add_new_anon_rmap(folio, vma, addr, rmap_flags);
	} else {
		folio_add_anon_rmap_pte(folio, page, vma, addr, rmap_flags);
	}
	set_pte_at(mm, addr, ptep, pte);
	folio_unlock(folio);	/* the pte keeps our reference */
	if (folio != swapcache) {
		folio_unlock(swapcache);
		folio_put(swapcache);
	}
	put_swap_device(si);
	if (flags & FAULT_FLAG_WRITE) {
		/* still shared with someone: break COW now, ptl held */
		return do_wp_page(vma, addr, ptep, ptl, pte, flags);
	}
	pte_unmap_unlock(ptl);
	return ret;
out_nomap:
	if (ptep)
		pte_unmap_unlock(ptl);
	if (folio != swapcache) {
		folio_unlock(folio);
		folio_put(folio);
		folio = swapcache;
	}
	folio_unlock(folio);
	folio_put(folio);
out:
	put_swap_device(si);
	return ret;
}

/*
 * handle_mm_fault - resolve one fault.  Returns 0 when the access should be
 * retried (it will usually succeed), or a VM_FAULT_ error.  mmap_lock read.
 */
unsigned handle_mm_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep, pte;
	pmd_t *pmdp, pmd;
	unsigned ret;

	/* __handle_mm_fault's pmd level: a huge pmd first, where one may be */
	pmdp = pmd_alloc(mm, addr);
	if (!pmdp)
		return VM_FAULT_OOM;
	pmd = pmdp_get_lockless(pmdp);
	if (pmd_none(pmd) && thp_vma_suitable_pmd(vma, addr)) {
		ret = do_huge_pmd_anonymous_page(vma, addr, flags);
		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
	} else if (is_pmd_migration_entry(pmd)) {
		pmd_migration_entry_wait(mm, pmdp);
		return 0;
	} else if (pmd_trans_huge(pmd)) {
		if ((flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) && !pmd_write(pmd)) {
			ret = do_huge_pmd_wp_page(vma, addr, pmdp, pmd, flags);
			if (!(ret & VM_FAULT_FALLBACK))
				return ret;
		} else {
			/* huge_pmd_set_accessed */
			ptl = pmd_lock(pmdp);
			if (pmd_val(pmdp_get(pmdp)) == pmd_val(pmd)) {
				pmd = pmd_mkyoung(pmd);
				if (flags & FAULT_FLAG_WRITE)
					pmd = pmd_mkdirty(pmd);
				set_pmd_at(mm, addr & HPAGE_PMD_MASK, pmdp, pmd);
			}
			spin_unlock(ptl);
			return 0;
		}
	}

	/* pmd_alloc made the table: NULL only when a huge pmd is there (retry) */
	ptep = pte_offset_map_lock_pmd(pmdp, addr, &ptl);
	if (!ptep)
		return 0;
	pte = ptep_get(ptep);
	if (pte_none(pte)) {
		pte_unmap_unlock(ptl);
		if (vma_is_anonymous(vma))
			return do_anonymous_page(vma, addr, flags);
		return do_fault(vma, addr, flags);
	}
	if (!pte_present(pte)) {
		pte_unmap_unlock(ptl);
		return do_swap_page(vma, addr, pte, flags);
	}
	if (flags & FAULT_FLAG_UNSHARE) {
		if (!pte_write(pte))
			return do_wp_page(vma, addr, ptep, ptl, pte, flags);
		pte_unmap_unlock(ptl);
		return 0;
	}
	if (flags & FAULT_FLAG_WRITE) {
		if (!pte_write(pte))
			return do_wp_page(vma, addr, ptep, ptl, pte, flags);
		pte = pte_mkdirty(pte);
	}
	set_pte_at(mm, addr, ptep, pte_mkyoung(pte));
	pte_unmap_unlock(ptl);
	return 0;
}

#define MAX_FAULT_RETRIES 10000

/*
 * The CPU's walk ending at a huge pmd that allows the access: the word of
 * the page @addr falls in, and the pmd's accessed (and dirty) bits.  False
 * when there is no huge pmd or it is read-only for a write (the fault).
 * mmap_lock read; takes the pmd lock.
 */
static bool mmt_access_huge(struct mm_struct *mm, pmd_t *pmdp, uint64_t addr, bool write,
			    uint64_t *val)
{
	pmd_t pmd;
	struct folio *folio;
	_Atomic uint64_t *value;
	spinlock_t *ptl;

	if (!pmdp || !pmd_trans_huge(pmdp_get_lockless(pmdp)))
		return false;
	ptl = pmd_lock(pmdp);
	pmd = pmdp_get(pmdp);
	if (!pmd_trans_huge(pmd) || (write && !pmd_write(pmd))) {
		spin_unlock(ptl);
		return false;
	}
	folio = pmd_folio(pmd);
	VM_BUG_ON(folio_ref_count(folio) <= 0, INV_REFCOUNT, "mm %u addr %#llx: huge pmd maps "
		  "free pfn %u", mm->id, (unsigned long long)addr, folio->pfn);
	value = page_value(folio_page(folio, (unsigned)(addr & (HPAGE_PMD_NR - 1))));
	if (write) {
		atomic_store(value, *val);
		pmd = pmd_mkdirty(pmd);
	} else {
		*val = atomic_load(value);
	}
	set_pmd_at(mm, addr & HPAGE_PMD_MASK, pmdp, pmd_mkyoung(pmd));
	spin_unlock(ptl);
	return true;
}

int mmt_access(struct mm_struct *mm, uint64_t addr, bool write, uint64_t *val)
{
	for (int tries = 0; tries < MAX_FAULT_RETRIES; tries++) {
		struct vm_area_struct *vma;
		spinlock_t *ptl;
		pmd_t *pmdp;
		pte_t *ptep;
		unsigned ret;

		down_read(&mm->mmap_lock);
		vma = vma_lookup(mm, addr);
		if (!vma || !(vma->vm_flags & (write ? VM_WRITE : VM_READ))) {
			up_read(&mm->mmap_lock);
			return -EFAULT;
		}
		pmdp = pmd_offset(mm, addr);
		if (mmt_access_huge(mm, pmdp, addr, write, val)) {
			up_read(&mm->mmap_lock);
			return 0;
		}
		ptep = pmdp ? pte_offset_map_lock_pmd(pmdp, addr, &ptl) : NULL;
		if (ptep) {
			pte_t pte = ptep_get(ptep);

			if (pte_present(pte) && (!write || pte_write(pte))) {
				struct folio *f = pfn_folio(pte_pfn(pte));	/* the page's frame */

				VM_BUG_ON(!f || (!is_zero_folio(f) &&
						 folio_ref_count(page_folio(&f->page)) <= 0),
					  INV_REFCOUNT, "mm %u addr %#llx maps free pfn %llu",
					  mm->id, (unsigned long long)addr,
					  (unsigned long long)pte_pfn(pte));
				if (write) {
					atomic_store(&f->value, *val);
					set_pte_at(mm, addr, ptep, pte_mkdirty(pte_mkyoung(pte)));
				} else {
					*val = atomic_load(&f->value);
					set_pte_at(mm, addr, ptep, pte_mkyoung(pte));
				}
				pte_unmap_unlock(ptl);
				up_read(&mm->mmap_lock);
				return 0;
			}
			pte_unmap_unlock(ptl);
		}
		ret = handle_mm_fault(vma, addr, write ? FAULT_FLAG_WRITE : 0);
		up_read(&mm->mmap_lock);
		if (ret & VM_FAULT_OOM)
			return -ENOMEM;
		if (ret & VM_FAULT_SIGBUS)
			return -EIO;
		if (ret & VM_FAULT_SIGSEGV)
			return -EFAULT;
	}
	mmt_bug(INV_BUG, __FILE__, __LINE__, "fault retried forever", "mm %u addr %#llx",
		mm->id, (unsigned long long)addr);
}

/* ------------------------------------------------------------- zapping */

/* zap one pte; ptl held */
static void zap_one_pte(struct vm_area_struct *vma, uint64_t addr, pte_t *ptep)
{
	struct mm_struct *mm = vma->vm_mm;
	pte_t pte = ptep_get_and_clear(mm, addr, ptep);

	if (pte_present(pte)) {
		struct page *page = vm_normal_page(vma, addr, pte);
		struct folio *folio = page ? page_folio(page) : NULL;

		if (!folio)
			return;
		if (pte_dirty(pte) && !folio_test_anon(folio))
			folio_set(folio, PG_dirty);
		dec_mm_counter(mm, mm_counter(folio));
		folio_remove_rmap_pte(folio, page, vma);
		if (atomic_load(&mm->has_pinned))
			gup_pin_zapped(mm, addr, folio);
		folio_put(folio);
		return;
	}
	if (!pte_none(pte)) {
		swp_entry_t entry = pte_to_swp_entry(pte);

		if (!non_swap_entry(entry)) {
			dec_mm_counter(mm, MM_SWAPENTS);
			free_swap_and_cache(entry);
		} else if (is_migration_entry(entry)) {
			struct folio *folio = pfn_swap_entry_folio(entry);

			dec_mm_counter(mm, mm_counter(folio));
			/*
			 * a pinned page under a migration that will fail on
			 * the pin's reference: the pinner unmapped it all the same
			 */
			if (atomic_load(&mm->has_pinned))
				gup_pin_zapped(mm, addr, folio);
		} else if (is_device_private_entry(entry)) {
			/* a device page is mapped like any page: rmap and reference */
			struct folio *folio = pfn_swap_entry_folio(entry);

			dec_mm_counter(mm, mm_counter(folio));
			folio_remove_rmap_pte(folio, folio_page(folio, 0), vma);
			if (atomic_load(&mm->has_pinned))
				gup_pin_zapped(mm, addr, folio);
			folio_put(folio);
		} else {
			VM_BUG_ON(1, INV_SWAPMAP, "mm %u addr %#llx: zap of swap type %u", mm->id,
				  (unsigned long long)addr, swp_type(entry));
		}
	}
}

/*
 * folio_pte_batch - how many of the @max_nr ptes from @ptep on (the first
 * is @pte, mapping a page of @folio) map consecutive pages of @folio.  The
 * other pte bits may differ (write, dirty, young): the callers look at
 * each pte for those.  ptl held.
 */
static int folio_pte_batch(struct folio *folio, pte_t *ptep, pte_t pte, int max_nr)
{
	uint64_t end_pfn = folio->pfn + (uint64_t)folio_nr_pages(folio);
	int nr = 1;

	for (; nr < max_nr; nr++) {
		pte_t p = ptep_get(ptep + nr);

		if (!pte_present(p) || pte_special(p) || pte_pfn(p) != pte_pfn(pte) + (uint64_t)nr ||
		    pte_pfn(p) >= end_pfn)
			break;
	}
	return nr;
}

/*
 * zap_present_ptes - zap a batch of present ptes mapping consecutive pages
 * of one large folio, at most @max_nr (to the end of the range in this
 * table): the ptes, the rss, the rmap and the references once per batch,
 * as 6.9's zap_present_ptes does.  Returns the ptes zapped.  ptl held.
 */
static int zap_present_ptes(struct vm_area_struct *vma, uint64_t addr, pte_t *ptep, int max_nr)
{
	struct mm_struct *mm = vma->vm_mm;
	pte_t pte = ptep_get(ptep);
	struct page *page = vm_normal_page(vma, addr, pte);
	struct folio *folio = page ? page_folio(page) : NULL;
	int nr, rmap_nr;

	if (!folio || !folio_test_large(folio)) {
		zap_one_pte(vma, addr, ptep);
		return 1;
	}
	nr = folio_pte_batch(folio, ptep, pte, max_nr);
	rmap_nr = nr;
	if (mmt_injected(BUG_LARGE_FOLIO_PARTIAL_UNMAP))
		/* the bug: the rmap batch is bounded by the folio, not by the range */
		rmap_nr = folio_pte_batch(folio, ptep, pte,
					  (int)(folio_nr_pages(folio) - folio_page_idx(folio, page)));
	for (int i = 0; i < nr; i++) {
		pte_t old = ptep_get_and_clear(mm, addr + (uint64_t)i, ptep + i);

		if (pte_dirty(old) && !folio_test_anon(folio))
			folio_set(folio, PG_dirty);
		if (atomic_load(&mm->has_pinned))
			gup_pin_zapped(mm, addr + (uint64_t)i, folio);
	}
	add_mm_counter(mm, mm_counter(folio), -nr);
	folio_remove_rmap_ptes(folio, page, rmap_nr, vma);
	folio_put_refs(folio, nr);
	return nr;
}

/* Unmap every page of [start, end) in @vma.  mmap_lock held (read or write). */
void zap_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	struct mm_struct *mm = vma->vm_mm;
	uint64_t addr = start;

	while (addr < end) {
		uint64_t next = (addr | (PTRS_PER_PTE - 1)) + 1;
		spinlock_t *ptl;
		pmd_t *pmdp;
		pte_t *ptep;

		if (next > end)
			next = end;
		/* zap_pmd_range: a huge pmd goes whole, or is split for part of it */
		pmdp = pmd_offset(mm, addr);
		if (pmdp && pmd_is_huge(pmdp_get_lockless(pmdp))) {
			if (next - addr == HPAGE_PMD_NR) {
				if (zap_huge_pmd(vma, pmdp, addr)) {
					addr = next;
					continue;
				}
			} else {
				split_huge_pmd(vma, pmdp, addr);
			}
		}
		ptep = pte_offset_map_lock(mm, addr, &ptl);
		if (!ptep && pmdp && pmd_is_huge(pmdp_get_lockless(pmdp)))
			continue;	/* a fault mapped a huge pmd meanwhile: again */
		if (ptep) {
			while (addr < next) {
				int nr = 1;

				if (pte_present(*ptep))
					nr = zap_present_ptes(vma, addr, ptep, (int)(next - addr));
				else if (!pte_none(*ptep))
					zap_one_pte(vma, addr, ptep);
				addr += (uint64_t)nr;
				ptep += nr;
			}
			pte_unmap_unlock(ptl);
		}
		addr = next;
		cond_resched();
	}
}

/* ---------------------------------------------------------------- fork */

/*
 * copy_nonpresent_pte - fork meets a swap or migration entry.  A swap entry
 * gains a swap_map count (-EIO when the count needs a continuation page:
 * the caller adds one with no ptl held and comes back); an exclusive one
 * stops being exclusive in both.  A
 * migration entry that would restore a writable or exclusive pte must be
 * made read-only in parent and child of a COW mapping, or after migration
 * both would write one page (seed 000).
 */
static int copy_nonpresent_pte(struct mm_struct *dst_mm, struct mm_struct *src_mm,
			       pte_t *dst_pte, pte_t *src_pte, struct vm_area_struct *src_vma,
			       uint64_t addr)
{
	pte_t pte = ptep_get(src_pte);
	swp_entry_t entry = pte_to_swp_entry(pte);

	if (!non_swap_entry(entry)) {
		if (swap_duplicate(entry) < 0)
			return -EIO;
		mm_add_to_mmlist(dst_mm);	/* so that swapoff finds the child */
		inc_mm_counter(dst_mm, MM_SWAPENTS);
		if (pte_swp_exclusive(pte)) {
			pte = pte_swp_clear_exclusive(pte);
			set_pte_at(src_mm, addr, src_pte, pte);
		}
	} else if (is_migration_entry(entry)) {
		struct folio *folio = pfn_swap_entry_folio(entry);

		inc_mm_counter(dst_mm, mm_counter(folio));
		if (mmt_injected(BUG_FORK_MIGRATION_WRITE_FLAG)) {
			/*
			 * The 2006 bug: the entry's type was passed where a
			 * boolean "write" was expected, and every migration
			 * type is non-zero.
			 */
			if (is_cow_mapping(src_vma->vm_flags)) {
				entry = make_writable_migration_entry(swp_offset(entry));
				pte = swp_entry_to_pte(entry);
				set_pte_at(src_mm, addr, src_pte, pte);
			}
		} else if (!(swp_type(entry) == SWP_MIGRATION_READ) &&
			   is_cow_mapping(src_vma->vm_flags)) {
			entry = make_readable_migration_entry(swp_offset(entry));
			pte = swp_entry_to_pte(entry);
			set_pte_at(src_mm, addr, src_pte, pte);
		}
	} else if (is_device_private_entry(entry)) {
		/*
		 * Counted and mapped like a present page: the child gets a
		 * reference and a mapcount, the page stops being exclusive,
		 * and in a COW mapping both sides lose write, so the first
		 * write on either migrates it back and breaks COW.
		 */
		struct folio *folio = pfn_swap_entry_folio(entry);

		folio_get(folio);
		inc_mm_counter(dst_mm, mm_counter(folio));
		folio_try_dup_anon_rmap_pte(folio, folio_page(folio, 0), src_vma);
		if (is_writable_device_private_entry(entry) &&
		    is_cow_mapping(src_vma->vm_flags)) {
			entry = make_readable_device_private_entry(swp_offset(entry));
			pte = swp_entry_to_pte(entry);
			set_pte_at(src_mm, addr, src_pte, pte);
		}
	} else {
		VM_BUG_ON(1, INV_SWAPMAP, "fork: swap type %u at %#llx", swp_type(entry),
			  (unsigned long long)addr);
	}
	set_pte_at(dst_mm, addr, dst_pte, pte);
	return 0;
}

/*
 * copy_present_page - the page may be pinned by a device: sharing it would
 * let the parent's next write move it away from the pinned page, so the
 * child gets its own copy now and the parent's pte stays as it was,
 * writable and exclusive.  @new was allocated with the ptls dropped
 * (folio_prealloc).  Both ptls held.
 */
static void copy_present_page(struct vm_area_struct *dst_vma, pte_t *dst_pte, uint64_t addr,
			      struct page *src, struct folio *new)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm;
	pte_t pte;

	atomic_store(&new->value, atomic_load(page_value(src)));
	folio_set_uptodate(new);
	folio_add_new_anon_rmap(new, dst_vma, addr, RMAP_EXCLUSIVE);
	folio_add_lru(new);
	inc_mm_counter(dst_mm, MM_ANONPAGES);
	pte = mk_pte(new, dst_vma, dst_vma->vm_flags & VM_WRITE);
	set_pte_at(dst_mm, addr, dst_pte, pte);
}

/*
 * copy_present_pte - share a present page with the child.  Anon pages lose
 * AnonExclusive; in a COW mapping both ptes become read-only, so the first
 * write on either side faults and copies or reuses.  A possibly pinned
 * exclusive anon page is copied instead (copy_present_page), which needs a
 * preallocated folio: without one in *@prealloc, -EAGAIN asks the caller
 * to drop the locks, allocate, and come back to this pte.  Both ptls held.
 */
static int copy_present_pte(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
			    pte_t *dst_pte, pte_t *src_pte, uint64_t addr,
			    struct folio **prealloc)
{
	struct mm_struct *src_mm = src_vma->vm_mm, *dst_mm = dst_vma->vm_mm;
	pte_t pte = ptep_get(src_pte);
	struct page *page = vm_normal_page(src_vma, addr, pte);
	struct folio *folio = page ? page_folio(page) : NULL;

	if (folio) {
		folio_get(folio);
		if (folio_test_anon(folio)) {
			if (folio_try_dup_anon_rmap_pte(folio, page, src_vma)) {
				folio_put(folio);
				if (!*prealloc)
					return -EAGAIN;
				copy_present_page(dst_vma, dst_pte, addr, page, *prealloc);
				*prealloc = NULL;
				return 0;
			}
		} else {
			folio_dup_file_rmap_pte(folio, page);
		}
		inc_mm_counter(dst_mm, mm_counter(folio));
	}
	if (is_cow_mapping(src_vma->vm_flags) && pte_write(pte)) {
		pte = pte_wrprotect(pte);
		set_pte_at(src_mm, addr, src_pte, pte);
	}
	if (src_vma->vm_flags & VM_SHARED)
		pte = pte_mkclean(pte);
	set_pte_at(dst_mm, addr, dst_pte, pte_mkold(pte));
	return 0;
}

/*
 * copy_page_range - fork's copy of one VMA's page tables.  Both mmap_locks
 * held for write; takes the child's ptl, then the parent's nested.
 */
int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm, *src_mm = src_vma->vm_mm;
	uint64_t addr = src_vma->vm_start, end = src_vma->vm_end;
	struct folio *prealloc = NULL;
	swp_entry_t cont_entry = { 0 };
	int err = 0;

	while (addr < end) {
		uint64_t next = (addr | (PTRS_PER_PTE - 1)) + 1;
		spinlock_t *src_ptl, *dst_ptl;
		pte_t *src_pte, *dst_pte;

		if (next > end)
			next = end;
		if (!mmt_pte_peek(src_mm, addr)) {
			addr = next;
			continue;
		}
		/*
		 * copy_pmd_range: a huge pmd is shared whole; -EAGAIN (a pinned
		 * folio: the pmd was split) copies the ptes instead
		 */
		if (pmd_is_huge(pmdp_get_lockless(pmd_offset(src_mm, addr)))) {
			err = copy_huge_pmd(dst_vma, src_vma, addr);
			if (err == -ENOMEM)
				break;
			if (!err) {
				addr = next;
				continue;
			}
			err = 0;
		}
		dst_pte = pte_alloc_map_lock(dst_mm, addr, &dst_ptl);
		if (!dst_pte) {
			err = -ENOMEM;
			break;
		}
		src_pte = mmt_pte_peek(src_mm, addr);
		src_ptl = &container_of((pte_t (*)[PTRS_PER_PTE])(src_pte - (addr & (PTRS_PER_PTE - 1))),
					struct pgtable, pte)->ptl;
		spin_lock_nested(src_ptl);
		for (; addr < next; addr++, src_pte++, dst_pte++) {
			pte_t pte = ptep_get(src_pte);

			if (pte_none(pte))
				continue;
			if (!pte_present(pte)) {
				err = copy_nonpresent_pte(dst_mm, src_mm, dst_pte, src_pte,
							  src_vma, addr);
				if (err == -EIO)
					cont_entry = pte_to_swp_entry(pte);
				if (err)
					break;
				continue;
			}
			err = copy_present_pte(dst_vma, src_vma, dst_pte, src_pte, addr, &prealloc);
			if (err)
				break;
		}
		spin_unlock(src_ptl);
		pte_unmap_unlock(dst_ptl);
		if (err == -EIO) {
			/* a swap count continuation page, with no ptl held; then this pte again */
			if (add_swap_count_continuation(cont_entry) < 0) {
				err = -ENOMEM;
				break;
			}
			err = 0;
			continue;
		}
		if (err == -EAGAIN) {
			/* folio_prealloc, with no ptl held; then this pte again */
			prealloc = alloc_fault_folio(dst_mm);
			if (!prealloc) {
				err = -ENOMEM;
				break;
			}
			err = 0;
			continue;
		}
		if (err)
			break;
		addr = next;
		cond_resched();
	}
	if (prealloc)
		folio_put(prealloc);
	return err;
}

/* ------------------------------------------------------ mprotect, mremap */

/*
 * change_protection - apply @newflags to the ptes of [start, end), and to
 * the huge pmds it covers whole (change_huge_pmd; others are split).  Present
 * ptes lose write unless the VMA is writable and the page may be written
 * without a fault (shared mapping, or exclusive anon page).  A writable
 * migration entry is made readable: nobody can tell yet whether the new
 * protection allows writing (seed 000), and the fault after migration will
 * upgrade it if it does.
 */
void change_protection(struct vm_area_struct *vma, uint64_t start, uint64_t end,
		       unsigned long newflags)
{
	struct mm_struct *mm = vma->vm_mm;
	uint64_t addr = start;

	while (addr < end) {
		uint64_t next = (addr | (PTRS_PER_PTE - 1)) + 1;
		spinlock_t *ptl;
		pte_t *ptep;

		if (next > end)
			next = end;
		/* change_pmd_range: a huge pmd covered whole changes whole, else it is split */
		if (next - addr == HPAGE_PMD_NR) {
			pmd_t *pmdp = pmd_offset(mm, addr);

			if (pmdp && pmd_is_huge(pmdp_get_lockless(pmdp)) &&
			    change_huge_pmd(vma, pmdp, addr, newflags)) {
				addr = next;
				continue;
			}
		}
		ptep = pte_offset_map_lock_split(vma, addr, &ptl);
		if (!ptep) {
			addr = next;
			continue;
		}
		for (; addr < next; addr++, ptep++) {
			pte_t pte = ptep_get(ptep);

			if (pte_present(pte)) {
				struct page *page = vm_normal_page(vma, addr, pte);
				struct folio *folio = page ? page_folio(page) : NULL;
				bool w = false;

				if (newflags & VM_WRITE) {
					if (newflags & VM_SHARED)
						w = folio != NULL;
					else if (folio && folio_test_anon(folio))
						w = PageAnonExclusive(page);
				}
				pte = w ? pte_mkwrite(pte) : pte_wrprotect(pte);
				set_pte_at(mm, addr, ptep, pte);
			} else if (!pte_none(pte)) {
				swp_entry_t entry = pte_to_swp_entry(pte);

				if (is_writable_migration_entry(entry) &&
				    !mmt_injected(BUG_MPROTECT_KEEPS_WRITE_MIGRATION)) {
					struct folio *folio = pfn_swap_entry_folio(entry);

					if (folio_test_anon(folio))
						entry = make_readable_exclusive_migration_entry(
							swp_offset(entry));
					else
						entry = make_readable_migration_entry(swp_offset(entry));
					set_pte_at(mm, addr, ptep, swp_entry_to_pte(entry));
				} else if (is_writable_device_private_entry(entry)) {
					/* like a write migration entry: re-earned by a fault */
					entry = make_readable_device_private_entry(swp_offset(entry));
					set_pte_at(mm, addr, ptep, swp_entry_to_pte(entry));
				}
			}
		}
		pte_unmap_unlock(ptl);
		cond_resched();
	}
}

/*
 * move_ptes - the ptes of [old_addr, old_addr + n) to new_addr, each under
 * both ptls.  The source's huge pmd, if any, was split.
 */
static void move_ptes(struct mm_struct *mm, uint64_t old_addr, uint64_t new_addr, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		spinlock_t *old_ptl, *new_ptl;
		pte_t *old_pte, *new_pte, pte;

		if (!mmt_pte_peek(mm, old_addr + i))
			continue;
		/*
		 * the kernel's order (move_ptes): the destination table is
		 * allocated first, then the source's ptl is taken and the
		 * destination's nested inside it.  Two mremaps of one mm in
		 * opposite directions would take the pair the other way round,
		 * but mmap_lock held for write keeps them apart (lockdep's
		 * SINGLE_DEPTH_NESTING; sanitizers/tsan.supp says the same).
		 */
		new_pte = pte_alloc_map_nolock(mm, new_addr + i, &new_ptl);
		VM_BUG_ON(!new_pte, INV_BUG, "mremap: no page table for %#llx",
			  (unsigned long long)(new_addr + i));
		old_pte = pte_offset_map_lock(mm, old_addr + i, &old_ptl);
		VM_BUG_ON(!old_pte, INV_BUG, "mremap: the page table of %#llx went away",
			  (unsigned long long)(old_addr + i));
		if (new_ptl != old_ptl)
			spin_lock_nested(new_ptl);
		pte = ptep_get_and_clear(mm, old_addr + i, old_pte);
		set_pte_at(mm, new_addr + i, new_pte, pte);
		if (new_ptl != old_ptl)
			spin_unlock(new_ptl);
		pte_unmap_unlock(old_ptl);
	}
}

/*
 * move_page_tables - mremap's move of [old, old+len) to new_addr, one pmd's
 * reach at a time (get_extent: up to the next pmd boundary of either side).
 * A huge pmd, or PMD migration entry, that the extent covers whole moves
 * whole (move_huge_pmd); one it covers in part is split and its ptes move
 * like any others, each under both ptls.  mmap_lock held for write.  The
 * rmap locks of the source (take_rmap_locks) are held across the move only
 * when copy_vma said so: otherwise the destination comes after the source
 * in every rmap walk's order, and a walk racing the move meets each pte
 * (or pmd) once, at its old place or at its new one.
 */
void move_page_tables(struct vm_area_struct *vma, uint64_t old_addr,
		      struct vm_area_struct *new_vma, uint64_t new_addr, uint64_t len,
		      bool need_rmap_locks)
{
	struct mm_struct *mm = vma->vm_mm;
	uint64_t extent;

	if (need_rmap_locks && vma->vm_file)
		down_write(&vma->vm_file->i_mmap_rwsem);
	if (need_rmap_locks && vma->anon_vma)
		anon_vma_lock_write(vma->anon_vma);
	for (uint64_t i = 0; i < len; i += extent) {
		uint64_t o = old_addr + i, n = new_addr + i;
		uint64_t to_old = HPAGE_PMD_NR - (o & (HPAGE_PMD_NR - 1));
		uint64_t to_new = HPAGE_PMD_NR - (n & (HPAGE_PMD_NR - 1));
		pmd_t *old_pmd = pmd_offset(mm, o);

		extent = to_old < to_new ? to_old : to_new;
		if (extent > len - i)
			extent = len - i;
		if (old_pmd && pmd_is_huge(pmdp_get_lockless(old_pmd))) {
			if (extent == HPAGE_PMD_NR && move_huge_pmd(vma, o, n, old_pmd))
				continue;
			split_huge_pmd(vma, old_pmd, o);
		}
		move_ptes(mm, o, n, extent);
	}
	if (atomic_load(&mm->has_pinned))
		gup_pins_moved(mm, old_addr, new_addr, len);
	if (need_rmap_locks && vma->anon_vma)
		anon_vma_unlock_write(vma->anon_vma);
	if (need_rmap_locks && vma->vm_file)
		up_write(&vma->vm_file->i_mmap_rwsem);
	(void)new_vma;
}
