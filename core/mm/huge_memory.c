// SPDX-License-Identifier: MIT
/*
 * huge_memory.c - split_folio for PTE-mapped anonymous large folios, and the
 * deferred split queue's shrinker (mm/huge_memory.c of Linux 6.12, the
 * PTE-mapped anon part: no PMD mappings, no page cache, no swap cache, no
 * split to a non-zero order).  See huge_mm.h for the steps and errnos.
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
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
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
	unsigned flags = TTU_RMAP_LOCKED | TTU_SYNC;

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
		if (!ptep)
			continue;
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
