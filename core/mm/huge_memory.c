// SPDX-License-Identifier: MIT
/*
 * huge_memory.c - split_folio for anonymous large folios, the deferred
 * split queue's shrinker, and the PMD-mapped THP: the huge fault, fork's
 * copy, COW and reuse, zap, split, mprotect (change_huge_pmd) and mremap
 * (move_huge_pmd) of a huge pmd, and PMD migration entries there
 * (mm/huge_memory.c of Linux 6.12, the anon part: no page cache, no swap
 * cache of a whole THP, no split to a non-zero order, no huge zero page).
 * See huge_mm.h for the steps and errnos.
 *
 * Locks, in the order taken: the folio lock (the caller's), the anon_vma
 * root's rwsem for write, the ptls (try_to_migrate, remove_migration_ptes),
 * the node's split_queue_lock (the freeze), the lru_lock (new folios join
 * the LRU), the new folios' locks (trylocks: nobody can reach them yet).
 */
#include <errno.h>

#include "mmt/folio.h"
#include "mmt/gup.h"
#include "mmt/huge_mm.h"
#include "mmt/inject.h"
#include "mmt/khugepaged.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/userfaultfd.h"
#include "mmt/world.h"
#include "internal.h"

/*
 * can_split_folio - every reference is a mapping or one of the caller's
 * @caller_pins.  A GUP pin, a second isolation or a racing lookup makes
 * the split fail before anything is unmapped.  *@pextra_pins: the
 * references the split must leave (the swap cache's, never here).
 */
static bool can_split_folio(struct folio *folio, int caller_pins, int *pextra_pins)
{
	int extra_pins = 0;

	if (folio_test_swapcache(folio))
		extra_pins = (int)folio_nr_pages(folio);
	*pextra_pins = extra_pins;
	return folio_mapcount(folio) == folio_ref_count(folio) - extra_pins - caller_pins;
}

/*
 * unmap_folio - every pte mapping a page of the folio becomes a migration
 * entry for that page (try_to_migrate with TTU_RMAP_LOCKED).  TTU_SYNC
 * makes the walk take each ptl before looking at the pte: the caller
 * asserts that nothing is left mapped, so the walk must not pass over a
 * pte that a racing zap or COW has cleared but whose page's mapcount it
 * has not yet dropped (it holds that ptl until it has).
 * Folio locked, anon_vma locked for write.
 */
static void unmap_folio(struct folio *folio)
{
	unsigned flags = TTU_RMAP_LOCKED | TTU_SYNC | TTU_SPLIT_HUGE_PMD;

	if (mmt_injected(BUG_THP_SPLIT_NO_TTU_SYNC))
		flags &= ~TTU_SYNC;	/* unmap_page before 732ed55823fc */
	try_to_migrate(folio, flags);
}

/*
 * remap_page - turn the migration entries of the @nr pages from @folio back
 * into ptes: of the large folio if the split failed, of each new order-0
 * folio if it succeeded.  Every folio locked; anon_vma locked for write.
 */
static void remap_page(struct folio *folio, unsigned long nr)
{
	unsigned long i = 0;

	while (i < nr) {
		struct folio *f = folio + i;

		remove_migration_ptes_locked(f, f);
		i += (unsigned long)folio_nr_pages(f);
	}
}

/*
 * __split_folio - the folio is unmapped and frozen: make each page a folio.
 * The new folios were locked by the caller and are under "migration"
 * (PG_migrating: the migration entries naming them are the split's).  A new
 * folio gets the head's anon_vma, its own index, the head's state flags, and
 * one reference (the split's, dropped when it is unlocked), plus the
 * isolation reference when it joins @list; without @list it joins the LRU
 * right after the head.  The head's one reference was the caller's; once
 * the split is done the caller's reference and lock are those of the
 * folio of the page it passed in (split_huge_page_to_list_to_order).
 */
static void __split_folio(struct folio *folio, struct list_head *list, int extra_pins)
{
	struct pglist_data *pgdat = &the_world->node[folio->nid];
	unsigned long nr = (unsigned long)folio_nr_pages(folio);
	unsigned long keep = (1ul << PG_referenced) | (1ul << PG_uptodate) | (1ul << PG_dirty) |
			     (1ul << PG_active) | (1ul << PG_swapbacked) | (1ul << PG_young) |
			     (1ul << PG_idle);
	unsigned long hflags = atomic_load(&folio->flags);
	bool on_lru;

	VM_BUG_ON(atomic_load(&folio->_pincount), INV_PIN, "folio pfn %u split with %d pins",
		  folio->pfn, atomic_load(&folio->_pincount));
	spin_lock(&pgdat->lru_lock);
	on_lru = folio_test_lru(folio);
	for (unsigned long i = 1; i < nr; i++) {
		struct folio *t = folio + i;

		atomic_fetch_or(&t->flags, hflags & keep);
		atomic_store(&t->mapping, atomic_load(&folio->mapping));
		t->index = folio->index + i;
		t->order = 0;
		t->tail_off = 0;
		atomic_store(&t->_refcount, 1);
		if (list) {
			folio_set_isolated(t);
			atomic_fetch_add(&t->_refcount, 1);
			list_add_tail(&t->lru, list);
		} else if (on_lru) {
			folio_set_lru(t);
			t->lru_seq = folio->lru_seq;
			list_add(&t->lru, &folio->lru);
		}
	}
	spin_unlock(&pgdat->lru_lock);
	folio->order = 0;
	atomic_store(&folio->_large_mapcount, -1);
	atomic_store(&folio->_nr_pages_mapped, 0);
	folio_clear(folio, PG_partially_mapped);
	atomic_store(&folio->_refcount, 1 + extra_pins);	/* page_ref_unfreeze */
}

int split_huge_page_to_list_to_order(struct page *page, struct list_head *list,
				     unsigned new_order)
{
	struct folio *folio = page_folio(page);
	struct pglist_data *pgdat = &the_world->node[folio->nid];
	unsigned long nr = (unsigned long)folio_nr_pages(folio);
	struct anon_vma *anon_vma;
	int extra_pins, ret;

	VM_BUG_ON(!folio_test_locked(folio), INV_BUG, "split of folio pfn %u: not locked",
		  folio->pfn);
	VM_BUG_ON(!folio_test_large(folio), INV_BUG, "split of folio pfn %u: order 0",
		  folio->pfn);
	VM_BUG_ON(new_order != 0, INV_BUG, "split of folio pfn %u to order %u: only to 0",
		  folio->pfn, new_order);
	/*
	 * Any page may be passed in (KSM splits the folio of the subpage it
	 * wants to merge), but a @list caller has isolated the folio, and
	 * that isolation reference is the head's: only the head can keep it.
	 */
	VM_BUG_ON(list && page != &folio->page, INV_BUG,
		  "split of isolated folio pfn %u to a list keeps tail page pfn %u",
		  folio->pfn, page_frame(page)->pfn);
	if (!folio_test_anon(folio) || folio_test_ksm(folio))
		return -EBUSY;		/* no large file or KSM folios in the model */

	/*
	 * The anon_vma lock for write: no rmap walk (folio_referenced walks
	 * with no folio lock) may meet the folio half split.  A folio no pte
	 * maps has no anon_vma to trust (folio_get_anon_vma): -EBUSY.
	 */
	anon_vma = folio_get_anon_vma(folio);
	if (!anon_vma)
		return -EBUSY;
	anon_vma_lock_write(anon_vma);

	/* racy: a pin or a lookup may still come before the freeze */
	if (!can_split_folio(folio, 1, &extra_pins)) {
		ret = -EAGAIN;
		goto out_unlock;
	}

	folio_set_migrating(folio);
	unmap_folio(folio);
	/*
	 * unmap_page()'s assertion (5.8-5.18), as pins taught it: a page
	 * may stay mapped only because it may be pinned (try_to_migrate
	 * gives up on it).  Anything else is a mapping the walk missed.
	 */
	VM_BUG_ON(folio_mapped(folio) && !folio_maybe_dma_pinned(folio), INV_MAPCOUNT,
		  "split of folio pfn %u: unmap_folio left %d mappings and no pin explains them "
		  "(the rmap walk missed a VMA)", folio->pfn, folio_mapcount(folio));

	/* under split_queue_lock: deferred_split_scan's folio_try_get fails now */
	spin_lock(&pgdat->split_queue_lock);
	if (!folio_mapped(folio) && folio_ref_freeze(folio, 1 + extra_pins)) {
		if (folio_has_deferred_list(folio) && !list_empty(&folio->_deferred_list)) {
			__atomic_fetch_sub(&pgdat->split_queue_len, 1, __ATOMIC_RELAXED);	/* WRITE_ONCE */
			folio_clear(folio, PG_partially_mapped);
			list_del_init(&folio->_deferred_list);
		}
		spin_unlock(&pgdat->split_queue_lock);
		/* the new folios, locked and under "migration" until remapped */
		for (unsigned long i = 1; i < nr; i++) {
			bool locked = folio_trylock(folio + i);

			VM_BUG_ON(!locked, INV_BUG, "split of folio pfn %u: page %lu locked",
				  folio->pfn, i);
			folio_set_migrating(folio + i);
		}
		__split_folio(folio, list, extra_pins);
		remap_page(folio, nr);
		/*
		 * Every new folio holds one reference.  The one of @page
		 * keeps it and stays locked: they are now the caller's, as
		 * the kernel's __split_huge_page leaves them, so a caller
		 * that passed a tail page unlocks and puts page_folio(page).
		 * Every other one, the head too when @page is a tail, is
		 * unlocked and its reference dropped: the caller's on the
		 * old folio, or the split's; a page nobody maps is freed.
		 */
		for (unsigned long i = 0; i < nr; i++) {
			struct folio *t = folio + i;

			folio_clear_migrating(t);
			if (&t->page == page)
				continue;
			folio_unlock(t);
			folio_put(t);
		}
		ret = 0;
	} else {
		spin_unlock(&pgdat->split_queue_lock);
		remap_page(folio, nr);
		folio_clear_migrating(folio);
		ret = -EAGAIN;
	}
out_unlock:
	anon_vma_unlock_write(anon_vma);
	put_anon_vma(anon_vma);
	return ret;
}

/*
 * split_huge_pages_pid - the debugfs file split_huge_pages written with
 * "<pid>,<vaddr_start>,<vaddr_end>" (new_order 0), as Linux 6.18 does it:
 * under mmap_lock for read, each page of [@addr, @addr + @nr) in turn (a
 * table of PTE-mapped mTHPs holds many folios), stopping at the first
 * address with no VMA.  folio_walk_start: the folio a present pte maps,
 * under its ptl (the zero page, swap, migration and device-private
 * entries are no folio here; the device's folios are order 0 anyway).
 * An order-0 folio is passed over; a large one is split when the racy
 * can_split_folio (no reference but the mappings) and the folio trylock
 * both succeed, with a reference taken and the ptl dropped first (the
 * kernel also counts the large folios it saw, for a debug message).  A
 * folio whose lock or references are busy is skipped, not waited for.
 * Returns the folios split; the write itself always succeeds (the pid is
 * a live process of the program).  Sleeps: mmap_lock, the split's
 * anon_vma rwsem and rmap walks.
 */
unsigned long split_huge_pages_pid(struct mm_struct *mm, uint64_t addr, uint64_t nr)
{
	unsigned long split = 0;

	down_read(&mm->mmap_lock);
	for (uint64_t a = addr; a < addr + nr; a++) {
		struct vm_area_struct *vma = vma_lookup(mm, a);
		struct folio *folio;
		spinlock_t *ptl;
		pte_t *ptep;
		int extra_pins;

		if (!vma)
			break;
		/* no VM_IO, VM_PFNMAP or hugetlb VMAs in the model: none to skip */
		ptep = pte_offset_map_lock(mm, a, &ptl);
		if (!ptep) {
			/* folio_walk_start's huge pmd: split_folio's unmap splits it */
			folio = folio_get_huge_pmd(vma, a);
			if (!folio)
				continue;
			if (!can_split_folio(folio, 1, &extra_pins) || !folio_trylock(folio)) {
				folio_put(folio);
				cond_resched();
				continue;
			}
			goto split;
		}
		folio = vm_normal_folio(vma, a, ptep_get(ptep));
		if (!folio) {
			pte_unmap_unlock(ptl);	/* folio_walk_start found nothing */
			continue;
		}
		if (!folio_test_large(folio) || !can_split_folio(folio, 0, &extra_pins) ||
		    !folio_trylock(folio)) {
			pte_unmap_unlock(ptl);	/* folio_walk_end */
			cond_resched();
			continue;
		}
		folio_get(folio);
		pte_unmap_unlock(ptl);
split:
		if (!split_folio(folio))
			split++;
		folio_unlock(folio);
		folio_put(folio);
		cond_resched();
	}
	up_read(&mm->mmap_lock);
	return split;
}

/*
 * deferred_split_scan_node - the shrinker's scan of one node's queue, as
 * 6.12 has it after e66f3185fa04: the folios it can take a reference on
 * move to a private list under split_queue_lock, and are worked on with
 * the lock dropped (trylock, split).  A split takes the folio off that list
 * itself, under the lock, with the refcount frozen.  One that stays
 * partially mapped goes back to the queue at the end, spliced under the
 * lock; its reference is dropped at once except for the last one kept,
 * which stays raised until the splice, so that each folio left on the
 * private list has a referenced folio before it: a folio freed meanwhile
 * (unqueued under the lock, refcount 0) could otherwise be the one before
 * the next folio the scan unlinks without the lock.
 */
static unsigned long deferred_split_scan_node(struct pglist_data *pgdat, unsigned long *budget)
{
	LIST_HEAD(list);
	struct folio *folio, *next, *prev = NULL;
	unsigned long split = 0, removed = 0;

	spin_lock(&pgdat->split_queue_lock);
	list_for_each_entry_safe(folio, next, &pgdat->split_queue, _deferred_list) {
		if (folio_try_get(folio)) {
			list_move(&folio->_deferred_list, &list);
		} else {
			/* lost the race with the last folio_put: its free unqueues nothing */
			folio_clear(folio, PG_partially_mapped);
			list_del_init(&folio->_deferred_list);
			__atomic_fetch_sub(&pgdat->split_queue_len, 1, __ATOMIC_RELAXED);	/* WRITE_ONCE */
		}
		if (*budget && !--*budget)
			break;
	}
	spin_unlock(&pgdat->split_queue_lock);

	list_for_each_entry_safe(folio, next, &list, _deferred_list) {
		bool did_split = false;

		if (!folio_test_partially_mapped(folio))
			goto next;	/* no underused-THP splitting for mTHP */
		if (!folio_trylock(folio))
			goto next;
		if (!split_folio(folio)) {
			did_split = true;
			split++;
		}
		folio_unlock(folio);
next:
		if (did_split) {
			;	/* off the list already */
		} else if (!folio_test_partially_mapped(folio)) {
			/* unlocked: safe only with a referenced folio before it */
			list_del_init(&folio->_deferred_list);
			removed++;
		} else {
			struct folio *t = folio;

			folio = prev;
			prev = t;
		}
		if (folio)
			folio_put(folio);
	}

	spin_lock(&pgdat->split_queue_lock);
	list_splice_tail(&list, &pgdat->split_queue);
	__atomic_fetch_sub(&pgdat->split_queue_len, removed, __ATOMIC_RELAXED);
	spin_unlock(&pgdat->split_queue_lock);
	if (prev)
		folio_put(prev);
	return split;
}

unsigned long deferred_split_scan(unsigned long nr_to_scan)
{
	unsigned long split = 0;

	for (int n = 0; n < the_world->nr_nodes; n++) {
		struct pglist_data *pgdat = &the_world->node[n];
		unsigned long budget = nr_to_scan;

		/* deferred_split_count: READ_ONCE(split_queue_len); nothing, no scan */
		if (!__atomic_load_n(&pgdat->split_queue_len, __ATOMIC_RELAXED))
			continue;
		split += deferred_split_scan_node(pgdat, &budget);
		cond_resched();
	}
	return split;
}

/* ------------------------------------------------------ PMD-mapped THP */

/*
 * thp_vma_suitable_pmd - may a fault at @addr map a PMD-sized folio, as
 * thp_vma_allowable_order(PMD_ORDER) and thp_vma_suitable_order decide: an
 * anonymous VM_HUGEPAGE VMA (the "madvise" setting) with order 5 enabled in
 * the world, covering the whole aligned range, not armed for uffd missing
 * faults (the kernel hands those to the pte path's handler too).
 */
bool thp_vma_suitable_pmd(struct vm_area_struct *vma, uint64_t addr)
{
	uint64_t haddr = addr & HPAGE_PMD_MASK;

	return vma_is_anonymous(vma) && thp_vma_sysfs_allows(vma->vm_flags) &&
	       !(vma->vm_flags & VM_SHARED) &&
	       (the_world->cfg.thp_orders & (1u << HPAGE_PMD_ORDER)) &&
	       haddr >= vma->vm_start && haddr + HPAGE_PMD_NR <= vma->vm_end &&
	       !userfaultfd_missing(vma);
}

/* no pte and no huge pmd under @pmdp yet (pmd_none, modulo pt_reclaim: mm.h) */
static bool pmd_none_or_empty(pmd_t *pmdp)
{
	spinlock_t *ptl = pmd_lock(pmdp);
	bool none = pmd_none(pmdp_get(pmdp)) && pmd_table_empty(pmdp);

	spin_unlock(ptl);
	return none;
}

/*
 * thp_vma_sysfs_allows: see huge_mm.h.  The world's thp_always is the
 * sysfs "always".
 */
bool thp_vma_sysfs_allows(unsigned long vm_flags)
{
	if (vm_flags & VM_NOHUGEPAGE)
		return false;
	return (vm_flags & VM_HUGEPAGE) || the_world->cfg.thp_always;
}

/*
 * map_anon_folio_pmd - map a new, exclusive PMD-sized anon folio at @haddr
 * by @pmdp, which is none: its rmap (one _entire_mapcount, AnonExclusive
 * head), the LRU, and a young, dirty pmd, writable where the VMA is.  The
 * caller counts the rss where it is new (a fault; not a collapse, whose
 * ptes were counted).  The pmd lock held.
 */
void map_anon_folio_pmd(struct folio *folio, pmd_t *pmdp, struct vm_area_struct *vma,
			uint64_t haddr)
{
	folio_add_new_anon_rmap_pmd(folio, vma, haddr, RMAP_EXCLUSIVE);
	folio_add_lru(folio);
	set_pmd_at(vma->vm_mm, haddr, pmdp,
		   pmd_mkdirty(pmd_mkyoung(pfn_pmd(folio->pfn, vma->vm_flags & VM_WRITE))));
}

/*
 * set_huge_zero_folio - map the huge zero folio by @pmdp: read-only,
 * special, young; nothing counted (no rmap, no reference, no rss).  The
 * table under the pmd is the deposited one (pgtable_trans_huge_deposit).
 * The pmd lock held.
 */
static void set_huge_zero_folio(struct mm_struct *mm, uint64_t haddr, pmd_t *pmdp)
{
	set_pmd_at(mm, haddr, pmdp, pmd_mkspecial(pmd_mkyoung(pfn_pmd(huge_zero_pfn(), false))));
}

/*
 * do_huge_pmd_anonymous_page - the first touch of an empty aligned range.
 * A write maps a new PMD-sized folio by one pmd: writable (and dirty) if
 * the VMA is, AnonExclusive on its head, one reference and one
 * _entire_mapcount for the pmd.  A read maps the huge zero folio instead
 * (use_zero_page, unless the world says hugezero=0 or zeropage=0, the
 * latter being mm_forbids_zeropage); the VMA gets its anon_vma either way,
 * as vmf_anon_prepare comes first.  VM_FAULT_FALLBACK sends the fault to
 * the pte path (mTHP or order 0) when the range is not empty or no aligned
 * run of 32 free frames exists.  mmap_lock read; takes the pmd lock.
 */
unsigned do_huge_pmd_anonymous_page(struct vm_area_struct *vma, uint64_t addr, unsigned flags)
{
	struct mm_struct *mm = vma->vm_mm;
	uint64_t haddr = addr & HPAGE_PMD_MASK;
	struct folio *folio;
	spinlock_t *ptl;
	pmd_t *pmdp;

	pmdp = pmd_alloc(mm, haddr);
	if (!pmdp)
		return VM_FAULT_OOM;
	if (!pmd_none_or_empty(pmdp))
		return VM_FAULT_FALLBACK;
	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	khugepaged_enter_vma(vma, vma->vm_flags);
	if (!(flags & FAULT_FLAG_WRITE) && !the_world->cfg.no_zeropage &&
	    !the_world->cfg.no_huge_zeropage) {
		unsigned ret = 0;

		ptl = pmd_lock(pmdp);
		if (pmd_none(pmdp_get(pmdp)) && pmd_table_empty(pmdp))
			set_huge_zero_folio(mm, haddr, pmdp);
		else if (!pmd_trans_huge(pmdp_get(pmdp)))
			ret = VM_FAULT_FALLBACK;	/* ptes came meanwhile */
		spin_unlock(ptl);
		return ret;
	}
	folio = folio_alloc_order(mm->home_node, HPAGE_PMD_ORDER);
	if (!folio)
		return VM_FAULT_FALLBACK;	/* count_vm_event(THP_FAULT_FALLBACK) */
	folio_set_uptodate(folio);

	ptl = pmd_lock(pmdp);
	if (!pmd_none(pmdp_get(pmdp)) || !pmd_table_empty(pmdp)) {
		/* a racing fault mapped it (retry the access) or put ptes there */
		bool huge = pmd_trans_huge(pmdp_get(pmdp));

		spin_unlock(ptl);
		folio_put(folio);
		return huge ? 0 : VM_FAULT_FALLBACK;
	}
	atomic_fetch_add(&the_world->mthp_fault_alloc[HPAGE_PMD_ORDER], 1);
	map_anon_folio_pmd(folio, pmdp, vma, haddr);
	add_mm_counter(mm, MM_ANONPAGES, HPAGE_PMD_NR);
	spin_unlock(ptl);
	return 0;
}

/*
 * __split_huge_pmd_locked - turn a huge pmd into HPAGE_PMD_NR ptes mapping
 * the same pages, in the table deposited under it: the folio stays whole,
 * now PTE-mapped here.  Each pte keeps the pmd's write, young and dirty
 * bits; the head's AnonExclusive goes to every page (RMAP_EXCLUSIVE); the
 * ptes are accounted before the pmd is, so that the folio never looks
 * unmapped, and the pmd's one reference becomes one per pte.  The pmd
 * lock held.
 */
void __split_huge_pmd_locked(struct vm_area_struct *vma, pmd_t *pmdp, uint64_t haddr)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t old = pmdp_huge_get_and_clear(mm, haddr, pmdp);
	pte_t *ptep = pmd_pgtable(pmdp);
	struct folio *folio;
	struct page *page;
	bool anon_exclusive;

	if (is_huge_zero_pmd(old)) {
		/* __split_huge_zero_page_pmd: ptes of the small zero page, as read-only */
		for (int i = 0; i < HPAGE_PMD_NR; i++)
			set_pte_at(mm, haddr + (uint64_t)i, ptep + i, mk_zero_pte());
		return;
	}
	if (is_pmd_migration_entry(old)) {
		/*
		 * A PMD migration entry becomes one migration entry per page,
		 * each naming its own pfn, of the same type: no rmap, no
		 * reference (remove_migration_ptes maps the ptes later)
		 */
		swp_entry_t e = pmd_to_swp_entry(old);
		unsigned type = swp_type(e);

		if (mmt_injected(BUG_THP_SPLIT_PMD_MIGRATION_FLAGS)) {
			/*
			 * Before 2e83ee1d8694: write = pmd_write(old_pmd), x86's
			 * test of _PAGE_RW with no present check, on a swap pmd;
			 * here that bit is the low bit of the entry's type
			 */
			bool write = (pmd_val(old) & PTE_WRITE) != 0;

			type = write ? SWP_MIGRATION_WRITE : SWP_MIGRATION_READ;
		}
		for (int i = 0; i < HPAGE_PMD_NR; i++)
			set_pte_at(mm, haddr + (uint64_t)i, ptep + i,
				   swp_entry_to_pte(swp_entry(type,
							      swp_offset_pfn(e) + (uint64_t)i)));
		return;
	}
	VM_BUG_ON(!pmd_trans_huge(old), INV_BUG, "mm %u pmd %#llx: splitting a pmd that is no "
		  "huge leaf", mm->id, (unsigned long long)haddr);
	page = pfn_to_page(pmd_pfn(old));
	folio = page_folio(page);
	VM_BUG_ON(folio->order != HPAGE_PMD_ORDER || page != &folio->page, INV_MAPCOUNT,
		  "mm %u pmd %#llx maps pfn %llu, no PMD-sized folio's head", mm->id,
		  (unsigned long long)haddr, (unsigned long long)pmd_pfn(old));
	anon_exclusive = PageAnonExclusive(page);
	kp_access(folio, KP_F_FOLIO_REF, true);
	atomic_fetch_add(&folio->_refcount, HPAGE_PMD_NR - 1);
	folio_add_anon_rmap_ptes(folio, page, HPAGE_PMD_NR, vma, haddr,
				 anon_exclusive ? RMAP_EXCLUSIVE : RMAP_NONE);
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		pte_t pte = pfn_pte(folio->pfn + (uint64_t)i, pmd_write(old));

		if (pmd_young(old))
			pte = pte_mkyoung(pte);
		if (pmd_dirty(old))
			pte = pte_mkdirty(pte);
		set_pte_at(mm, haddr + (uint64_t)i, ptep + i, pte);
	}
	if (pmd_dirty(old))
		folio_set(folio, PG_dirty);
	folio_remove_rmap_pmd(folio, page, vma);
}

/*
 * split_huge_pmd - split the huge pmd (or PMD migration entry) at @pmdp,
 * if it still is one.  No ptl held.
 */
void split_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, uint64_t addr)
{
	spinlock_t *ptl = pmd_lock(pmdp);

	if (pmd_is_huge(pmdp_get(pmdp)))
		__split_huge_pmd_locked(vma, pmdp, addr & HPAGE_PMD_MASK);
	spin_unlock(ptl);
}

void split_huge_pmd_address(struct vm_area_struct *vma, uint64_t addr)
{
	pmd_t *pmdp = pmd_offset(vma->vm_mm, addr);

	if (pmdp && pmd_is_huge(pmdp_get_lockless(pmdp)))
		split_huge_pmd(vma, pmdp, addr);
}

/*
 * vma_adjust_trans_huge - @vma is about to be split or trimmed at @addr
 * (vma_adjust, __split_vma): a huge pmd straddling a new boundary is split
 * first, so that no pmd maps across two VMAs.  mmap_lock write.
 */
void vma_adjust_trans_huge(struct vm_area_struct *vma, uint64_t addr)
{
	if (addr & (HPAGE_PMD_NR - 1))
		split_huge_pmd_address(vma, addr);
}

pte_t *pte_offset_map_lock_split(struct vm_area_struct *vma, uint64_t addr, spinlock_t **ptlp)
{
	for (;;) {
		pte_t *ptep = pte_offset_map_lock(vma->vm_mm, addr, ptlp);
		pmd_t *pmdp;

		if (ptep)
			return ptep;
		pmdp = pmd_offset(vma->vm_mm, addr);
		if (!pmdp || !pmd_is_huge(pmdp_get_lockless(pmdp)))
			return NULL;
		split_huge_pmd(vma, pmdp, addr);
	}
}

/*
 * change_huge_pmd - mprotect's step for a huge pmd its range covers whole
 * (change_pmd_range splits one it covers in part).  A present pmd takes the
 * VMA's new protection, keeping dirty and young: writable only where the
 * VMA is and the head is AnonExclusive (can_change_pmd_writable), so a
 * shared THP stays write-protected for COW.  A writable PMD migration
 * entry becomes a readable one, exclusive for anon, as change_pte_range
 * does for a pte's: the remap cannot know whether the new protection
 * allows writing, and a write fault after it will upgrade the entry.
 * Returns false when the pmd is no leaf any more: the caller walks the
 * ptes.  mmap_lock held for write; takes the pmd lock.
 */
bool change_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, uint64_t haddr,
		     unsigned long newflags)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl = pmd_lock(pmdp);
	pmd_t old = pmdp_get(pmdp), entry;

	if (!pmd_is_huge(old)) {
		spin_unlock(ptl);
		return false;
	}
	if (is_swap_pmd(old)) {
		swp_entry_t e = pmd_to_swp_entry(old);

		if (is_writable_migration_entry(e)) {
			struct folio *folio = pfn_swap_entry_folio(e);

			e = folio_test_anon(folio) ?
				make_readable_exclusive_migration_entry(swp_offset(e)) :
				make_readable_migration_entry(swp_offset(e));
			set_pmd_at(mm, haddr, pmdp, swp_entry_to_pmd(e));
		}
		goto unlock;
	}
	/* pmdp_invalidate_ad, then pmd_modify: only the write bit moves here */
	entry = pmdp_huge_get_and_clear(mm, haddr, pmdp);
	entry = pmd_wrprotect(entry);
	/* can_change_pmd_writable: vm_normal_page_pmd has no page for the huge zero pmd */
	if ((newflags & VM_WRITE) && !is_huge_zero_pmd(entry) &&
	    PageAnonExclusive(pfn_to_page(pmd_pfn(entry))))
		entry = pmd_mkwrite(entry);
	set_pmd_at(mm, haddr, pmdp, entry);
unlock:
	spin_unlock(ptl);
	return true;
}

/*
 * move_huge_pmd - mremap moves a huge pmd, or a PMD migration entry,
 * whole to @new_addr, whose pmd must be none over an empty table (the
 * destination was unmapped before the move); the table under the source
 * stays behind, empty, as the deposited table withdrawn there and deposited
 * at the destination would.  The folio's rmap is untouched: the new VMA's
 * offset keeps linear_page_index where it was.  False when the source is
 * no leaf any more: the caller walks the ptes.  mmap_lock held for write;
 * takes the source's pmd lock, then the destination's nested.
 */
bool move_huge_pmd(struct vm_area_struct *vma, uint64_t old_addr, uint64_t new_addr,
		   pmd_t *old_pmd)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t *new_pmd = pmd_alloc(mm, new_addr);
	spinlock_t *old_ptl, *new_ptl;
	pmd_t pmd;

	if (!new_pmd)
		return false;
	/* the destination was unmapped: free_pgtables would have freed its table */
	VM_BUG_ON(pmd_is_huge(pmdp_get_lockless(new_pmd)), INV_BUG, "mremap: mm %u pmd %#llx "
		  "is a leaf already", mm->id, (unsigned long long)new_addr);
	old_ptl = pmd_lock(old_pmd);
	if (!pmd_is_huge(pmdp_get(old_pmd))) {
		spin_unlock(old_ptl);
		return false;
	}
	new_ptl = pmd_lockptr(new_pmd);
	if (new_ptl != old_ptl)
		spin_lock_nested(new_ptl);
	if (!pmd_table_empty(new_pmd)) {
		/* ptes left at the destination: move them one by one instead */
		if (new_ptl != old_ptl)
			spin_unlock(new_ptl);
		spin_unlock(old_ptl);
		return false;
	}
	pmd = pmdp_huge_get_and_clear(mm, old_addr, old_pmd);
	set_pmd_at(mm, new_addr, new_pmd, pmd);
	if (new_ptl != old_ptl)
		spin_unlock(new_ptl);
	spin_unlock(old_ptl);
	return true;
}

/*
 * zap_huge_pmd - unmap a whole huge pmd: the pmd, the rss, the rmap, the
 * pins that named its pages here, and its reference; of a PMD migration
 * entry, the entry and the rss (it holds no mapping, no reference).  False
 * when the pmd is no leaf any more (the caller walks the ptes).  No ptl
 * held.
 */
bool zap_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, uint64_t haddr)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl = pmd_lock(pmdp);
	bool migration;
	struct folio *folio;
	pmd_t old;

	if (!pmd_is_huge(pmdp_get(pmdp))) {
		spin_unlock(ptl);
		return false;
	}
	old = pmdp_huge_get_and_clear(mm, haddr, pmdp);
	if (is_huge_zero_pmd(old)) {
		/* nothing was counted for it (zap_deposited_table is the table's) */
		spin_unlock(ptl);
		return true;
	}
	migration = is_pmd_migration_entry(old);
	folio = page_folio(pfn_to_page(migration ? swp_offset_pfn(pmd_to_swp_entry(old)) :
						   pmd_pfn(old)));
	if (!migration)
		folio_remove_rmap_pmd(folio, &folio->page, vma);
	add_mm_counter(mm, MM_ANONPAGES, -HPAGE_PMD_NR);
	if (atomic_load(&mm->has_pinned))
		for (int i = 0; i < HPAGE_PMD_NR; i++)
			gup_pin_zapped(mm, haddr + (uint64_t)i, folio);
	spin_unlock(ptl);
	if (!migration)
		folio_put(folio);
	return true;
}

/*
 * pmd_migration_entry_wait - a fault met a PMD migration entry: sleep until
 * the migration holding the folio lock is done, then retry.  mmap_lock
 * read; takes the pmd lock, dropped before sleeping.
 */
void pmd_migration_entry_wait(struct mm_struct *mm, pmd_t *pmdp)
{
	spinlock_t *ptl = pmd_lock(pmdp);
	pmd_t pmd = pmdp_get(pmdp);
	struct folio *folio;

	(void)mm;
	if (!is_pmd_migration_entry(pmd)) {
		spin_unlock(ptl);
		return;
	}
	folio = pfn_swap_entry_folio(pmd_to_swp_entry(pmd));
	spin_unlock(ptl);
	folio_wait_locked(folio);
}

/*
 * copy_huge_pmd - fork meets a huge pmd: parent and child share the folio
 * read-only, one more _entire_mapcount and reference, the head no longer
 * AnonExclusive.  A folio that may be pinned is not shared
 * (folio_try_dup_anon_rmap_pmd fails): the parent's pmd is split and
 * -EAGAIN makes the caller copy its ptes, which gives the child copies of
 * the exclusive pages and leaves the pinned ones the parent's.  -EAGAIN
 * too when the pmd is no huge leaf any more; -ENOMEM when the child's
 * table cannot be had.  Both mmap_locks held for write; takes the child's
 * pmd lock, then the parent's nested inside it, as copy_page_range takes
 * their ptls.
 */
int copy_huge_pmd(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma, uint64_t haddr)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm, *src_mm = src_vma->vm_mm;
	pmd_t *src_pmdp = pmd_offset(src_mm, haddr), *dst_pmdp, pmd;
	spinlock_t *src_ptl, *dst_ptl;
	struct folio *folio;
	int ret = -EAGAIN;

	dst_pmdp = pmd_alloc(dst_mm, haddr);
	if (!dst_pmdp)
		return -ENOMEM;
	dst_ptl = pmd_lock(dst_pmdp);
	src_ptl = pmd_lockptr(src_pmdp);
	spin_lock_nested(src_ptl);
	pmd = pmdp_get(src_pmdp);
	if (is_pmd_migration_entry(pmd)) {
		/*
		 * seed 000 one level up: a write entry would let both restore
		 * a writable pmd of one folio; both get a read entry
		 */
		swp_entry_t e = pmd_to_swp_entry(pmd);

		if (is_writable_migration_entry(e) || is_readable_exclusive_migration_entry(e)) {
			pmd = swp_entry_to_pmd(make_readable_migration_entry(swp_offset_pfn(e)));
			set_pmd_at(src_mm, haddr, src_pmdp, pmd);
		}
		add_mm_counter(dst_mm, MM_ANONPAGES, HPAGE_PMD_NR);
		set_pmd_at(dst_mm, haddr, dst_pmdp, pmd);
		ret = 0;
		goto out;
	}
	if (!pmd_trans_huge(pmd))
		goto out;
	if (is_huge_zero_pmd(pmd)) {
		/* mm_get_huge_zero_folio has nothing to count: the child maps it too */
		set_pmd_at(dst_mm, haddr, dst_pmdp, pmd_mkold(pmd_wrprotect(pmd)));
		ret = 0;
		goto out;
	}
	folio = pmd_folio(pmd);
	if (folio_try_dup_anon_rmap_pmd(folio, &folio->page, src_vma)) {
		__split_huge_pmd_locked(src_vma, src_pmdp, haddr);
		goto out;
	}
	folio_get(folio);
	add_mm_counter(dst_mm, MM_ANONPAGES, HPAGE_PMD_NR);
	pmd = pmd_wrprotect(pmd);
	set_pmd_at(src_mm, haddr, src_pmdp, pmd);
	set_pmd_at(dst_mm, haddr, dst_pmdp, pmd_mkold(pmd));
	ret = 0;
out:
	spin_unlock(src_ptl);
	spin_unlock(dst_ptl);
	return ret;
}

/*
 * do_huge_zero_wp_pmd - a write to the huge zero pmd @orig replaces it by
 * a new THP, as Linux does since 6.13 (before, the pmd was split and only
 * the written page allocated).  VM_FAULT_FALLBACK when no PMD-sized run
 * is free: the caller splits and the pte path copies the one zero page.
 * 0 to retry the access (also when the pmd changed meanwhile).  mmap_lock
 * read; takes the pmd lock.
 */
static unsigned do_huge_zero_wp_pmd(struct vm_area_struct *vma, uint64_t haddr, pmd_t *pmdp,
				    pmd_t orig)
{
	struct mm_struct *mm = vma->vm_mm;
	struct folio *folio;
	spinlock_t *ptl;

	/* the read fault that mapped it prepared the anon_vma (and fork, mremap keep it) */
	VM_BUG_ON(!vma->anon_vma, INV_BUG, "mm %u pmd %#llx: huge zero pmd in VMA [%#llx,%#llx) "
		  "without an anon_vma", mm->id, (unsigned long long)haddr,
		  (unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end);
	folio = folio_alloc_order(mm->home_node, HPAGE_PMD_ORDER);
	if (!folio)
		return VM_FAULT_FALLBACK;
	folio_set_uptodate(folio);
	ptl = pmd_lock(pmdp);
	if (pmd_val(pmdp_get(pmdp)) != pmd_val(orig)) {
		spin_unlock(ptl);
		folio_put(folio);
		return 0;
	}
	/* pmdp_huge_clear_flush, then map_anon_folio_pmd */
	pmdp_huge_get_and_clear(mm, haddr, pmdp);
	atomic_fetch_add(&the_world->mthp_fault_alloc[HPAGE_PMD_ORDER], 1);
	map_anon_folio_pmd(folio, pmdp, vma, haddr);
	add_mm_counter(mm, MM_ANONPAGES, HPAGE_PMD_NR);
	spin_unlock(ptl);
	return 0;
}

/*
 * do_huge_pmd_wp_page - a write (or an unshare) through a read-only huge
 * pmd.  The huge zero folio's is do_huge_zero_wp_pmd's, split when that
 * finds no memory.  An AnonExclusive head is reused at once; otherwise the folio lock
 * (a trylock under the pmd lock, or taken with the lock dropped and the
 * pmd rechecked) and a refcount of exactly the pmd's reference make the
 * folio ours (folio_move_anon_rmap, AnonExclusive) and reusable.  Anything
 * else (shared, a pin's or another's reference) splits the pmd and falls
 * back to COW of the one page in the pte path (VM_FAULT_FALLBACK), as the
 * kernel has since 5.8.  Returns 0 to retry the access.  mmap_lock read.
 */
unsigned do_huge_pmd_wp_page(struct vm_area_struct *vma, uint64_t addr, pmd_t *pmdp,
			     pmd_t orig, unsigned flags)
{
	uint64_t haddr = addr & HPAGE_PMD_MASK;
	bool unshare = flags & FAULT_FLAG_UNSHARE;
	spinlock_t *ptl = pmd_lock(pmdp);
	struct folio *folio;
	struct page *page;

	if (pmd_val(pmdp_get(pmdp)) != pmd_val(orig)) {
		spin_unlock(ptl);
		return 0;
	}
	if (is_huge_zero_pmd(orig)) {
		unsigned ret;

		spin_unlock(ptl);
		ret = do_huge_zero_wp_pmd(vma, haddr, pmdp, orig);
		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
		split_huge_pmd(vma, pmdp, haddr);
		return VM_FAULT_FALLBACK;
	}
	page = pfn_to_page(pmd_pfn(orig));
	folio = page_folio(page);
	if (PageAnonExclusive(page))
		goto reuse;
	if (!folio_trylock(folio)) {
		folio_get(folio);
		spin_unlock(ptl);
		folio_lock(folio);
		spin_lock(ptl);
		if (pmd_val(pmdp_get(pmdp)) != pmd_val(orig)) {
			spin_unlock(ptl);
			folio_unlock(folio);
			folio_put(folio);
			return 0;
		}
		folio_put(folio);
	}
	if (PageAnonExclusive(page)) {
		folio_unlock(folio);
		goto reuse;
	}
	if (folio_ref_count(folio) == 1 && !folio_test_swapcache(folio)) {
		folio_move_anon_rmap(folio, vma);
		SetPageAnonExclusive(page);
		folio_unlock(folio);
		goto reuse;
	}
	folio_unlock(folio);
	spin_unlock(ptl);
	split_huge_pmd(vma, pmdp, haddr);
	return VM_FAULT_FALLBACK;
reuse:
	if (!unshare)
		set_pmd_at(vma->vm_mm, haddr, pmdp,
			   pmd_mkdirty(pmd_mkyoung(vma->vm_flags & VM_WRITE ? pmd_mkwrite(orig) :
								    orig)));
	spin_unlock(ptl);
	return 0;
}

/*
 * folio_get_huge_pmd - the folio a huge pmd maps at @addr, with a
 * reference (folio_walk_start's pmd level, then folio_get), or NULL, also
 * for the huge zero pmd (no FW_ZEROPAGE: callers want anon folios).
 * mmap_lock read; takes the pmd lock.
 */
struct folio *folio_get_huge_pmd(struct vm_area_struct *vma, uint64_t addr)
{
	pmd_t *pmdp = pmd_offset(vma->vm_mm, addr);
	struct folio *folio = NULL;
	spinlock_t *ptl;

	if (!pmdp || !pmd_trans_huge(pmdp_get_lockless(pmdp)))
		return NULL;
	ptl = pmd_lock(pmdp);
	if (pmd_trans_huge(pmdp_get(pmdp)) && !is_huge_zero_pmd(pmdp_get(pmdp))) {
		folio = pmd_folio(pmdp_get(pmdp));
		folio_get(folio);
	}
	spin_unlock(ptl);
	return folio;
}

/*
 * follow_huge_pmd - the page at @addr through a huge pmd, for a pin
 * (FOLL_PIN | FOLL_WRITE): only through a writable pmd, whose head is
 * AnonExclusive (gup_must_unshare is false for it); NULL sends the pinner
 * to fault.  The pmd lock held.
 */
struct page *follow_huge_pmd(struct vm_area_struct *vma, uint64_t addr, pmd_t pmd)
{
	struct folio *folio;

	(void)vma;
	if (!pmd_trans_huge(pmd) || !pmd_write(pmd))
		return NULL;
	folio = pmd_folio(pmd);
	VM_BUG_ON(!PageAnonExclusive(&folio->page), INV_EXCLUSIVE,
		  "pmd at %#llx writable but folio pfn %u not AnonExclusive",
		  (unsigned long long)addr, folio->pfn);
	return folio_page(folio, (unsigned)(addr & (HPAGE_PMD_NR - 1)));
}
