// SPDX-License-Identifier: MIT
/*
 * vmscan.c - reclaim of anonymous memory to swap: global reclaim by LRU age
 * ("reclaim N"), and MADV_COLD / MADV_PAGEOUT on a range.
 *
 * Reclaiming one folio follows shrink_folio_list(): isolate it from the LRU
 * (a reference), lock it (trylock: reclaim never waits on a busy page), give
 * an anon folio a swap slot (add_to_swap), unmap every pte with
 * try_to_unmap() so they become swap entries, write it out, and finally
 * remove it from the swap cache only if nobody but the cache and us holds a
 * reference (__remove_mapping's refcount freeze, which lasts until the frame
 * is freed).  Anything that fails puts the folio back.
 *
 * Aging follows the kernel's two lists, kept as one list per node in age
 * order with PG_active telling them apart.  An inactive folio is reclaimed
 * only if folio_check_references() finds no young pte: a first young pte
 * marks it PG_referenced and rotates it, a second look that finds it young
 * again (or two young ptes at once) activates it.  An active folio met by
 * the scan is deactivated, its young bits cleared by folio_referenced()
 * without the folio lock (shrink_active_list): the walk that locks the
 * anon_vma with folio_lock_anon_vma_read and may race UFFDIO_MOVE.  Both
 * walks use try-lock semantics (a contended rmap lock keeps the folio).
 * MADV_PAGEOUT ignores references, as reclaim_pages() does.  File and shmem
 * pages are not reclaimed (tmpfs pages would need shmem's own swap path,
 * which the model does not have yet).
 */
#include <errno.h>

#include "mmt/folio.h"
#include "mmt/huge_mm.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/world.h"
#include "internal.h"

enum folio_references {
	FOLIOREF_RECLAIM,
	FOLIOREF_KEEP,
	FOLIOREF_ACTIVATE,
};

/* folio locked: the second chance of shrink_folio_list */
static enum folio_references folio_check_references(struct folio *folio)
{
	unsigned long vm_flags;
	int referenced_ptes = folio_referenced(folio, true, &vm_flags);
	bool referenced_folio = (atomic_fetch_and(&folio->flags, ~(1ul << PG_referenced)) >>
				 PG_referenced) & 1;

	if (referenced_ptes == -1)
		return FOLIOREF_KEEP;	/* rmap lock contention: rotate */
	if (referenced_ptes) {
		/*
		 * Every mapped folio starts with the young pte of the fault
		 * that made it: it takes a second look to call it used.
		 */
		folio_set_referenced(folio);
		if (referenced_folio || referenced_ptes > 1)
			return FOLIOREF_ACTIVATE;
		return FOLIOREF_KEEP;
	}
	return FOLIOREF_RECLAIM;
}

/*
 * Reclaim one isolated inactive folio.  Caller holds the isolation ref.
 * SHRINK_KEEP (put it back), SHRINK_ACTIVATE (back, on the active list) or
 * SHRINK_FREED (its refcount frozen at 0, for shrink_folio_finish to free).
 */
enum shrink_result shrink_folio(struct folio *folio, bool ignore_references)
{
	enum shrink_result ret = SHRINK_KEEP;

	if (!folio_test_anon(folio) || !folio_trylock(folio))
		return SHRINK_KEEP;
	/*
	 * No large swap entries in the model: a large anon folio is split
	 * before add_to_swap, as shrink_folio_list does when it cannot swap
	 * it whole (split_folio_to_list).  The new folios come back isolated
	 * and are put back on the LRU for a later pass; reclaim goes on with
	 * the head.  A split that fails (pinned, or referenced elsewhere)
	 * keeps the folio, as the kernel's activate_locked does.
	 */
	if (folio_test_large(folio)) {
		LIST_HEAD(split_list);
		struct folio *t, *next;

		if (split_folio_to_list(folio, &split_list))
			goto out;
		list_for_each_entry_safe(t, next, &split_list, lru) {
			list_del_init(&t->lru);
			folio_putback_lru(t);
		}
		if (!folio_mapped(folio) && folio_ref_freeze(folio, 1)) {
			/* the head itself was not mapped any more: nothing to swap */
			ret = SHRINK_FREED;
			goto out;
		}
	}
	if (!ignore_references) {
		switch (folio_check_references(folio)) {
		case FOLIOREF_ACTIVATE:
			ret = SHRINK_ACTIVATE;
			goto out;
		case FOLIOREF_KEEP:
			goto out;
		case FOLIOREF_RECLAIM:
			break;
		}
	}
	if (!folio_test_swapcache(folio) && add_to_swap(folio))
		goto out;		/* no swap space */
	if (folio_mapped(folio)) {
		try_to_unmap(folio, 0);
		if (folio_mapped(folio))
			goto out;
	}
	if (folio_test(folio, PG_dirty))
		swap_writepage(folio);
	/*
	 * __remove_mapping: only the swap cache and our isolation may hold it,
	 * and nobody may take a new reference once we decide: the refcount is
	 * frozen under the cache's lock and stays 0 until the frame is freed.
	 */
	if (!swap_cache_remove_frozen(folio, 2))
		goto out;
	ret = SHRINK_FREED;
out:
	folio_unlock(folio);
	return ret;
}

/*
 * shrink_active_folio - deactivate one isolated active folio, as
 * shrink_active_list does: its young bits are cleared by a walk that does
 * not take the folio lock, and an anon folio goes inactive whatever the
 * walk found (only executable file folios get another round).
 */
void shrink_active_folio(struct folio *folio)
{
	unsigned long vm_flags;

	folio_referenced(folio, false, &vm_flags);
	folio_clear_active(folio);
	folio_putback_lru(folio);
}

/* put back what shrink_folio kept; the isolation ref goes with it */
void shrink_folio_finish(struct folio *folio, enum shrink_result r)
{
	if (r == SHRINK_FREED) {
		folio_clear_isolated(folio);
		free_frozen_folio(folio);	/* the isolation ref went in the freeze */
		return;
	}
	if (r == SHRINK_ACTIVATE)
		folio_set_active(folio);
	folio_putback_lru(folio);
}

/* the node whose LRU head is oldest, or -1 if every LRU is empty */
static struct folio *oldest_lru_folio(void)
{
	struct world *w = the_world;
	struct folio *best = NULL;

	uint64_t best_seq = 0;

	for (int n = 0; n < w->nr_nodes; n++) {
		struct pglist_data *pgdat = &w->node[n];
		struct folio *f;

		/* lru_seq only under its node's lru_lock: remember the value */
		spin_lock(&pgdat->lru_lock);
		if (!list_empty(&pgdat->lru)) {
			f = list_first_entry(&pgdat->lru, struct folio, lru);
			if (!best || f->lru_seq < best_seq) {
				best = f;
				best_seq = f->lru_seq;
			}
		}
		spin_unlock(&pgdat->lru_lock);
	}
	return best;
}

static unsigned long lru_size(void)
{
	struct world *w = the_world;
	unsigned long n = 0;
	struct folio *f;

	for (int nid = 0; nid < w->nr_nodes; nid++) {
		spin_lock(&w->node[nid].lru_lock);
		list_for_each_entry(f, &w->node[nid].lru, lru)
			n++;
		spin_unlock(&w->node[nid].lru_lock);
	}
	return n;
}

/*
 * reclaim_pages_global - free up to @nr folios, oldest first, as a
 * memory.reclaim write does: the scan goes round the LRU at most four
 * times (the priorities' passes), so a folio rotated for a young pte is met
 * again within the same call and an active one is deactivated on the way.
 */
unsigned long reclaim_pages_global(unsigned long nr)
{
	unsigned long freed = 0, budget;

	/* shrink_node's shrink_slab: the deferred split shrinker comes first */
	deferred_split_scan(0);
	budget = nr + 4 * lru_size();

	for (unsigned long scanned = 0; freed < nr && scanned < budget; scanned++) {
		struct folio *folio = oldest_lru_folio();
		enum shrink_result r;

		if (!folio)
			break;
		if (!folio_isolate_lru(folio))
			continue;	/* someone took it first */
		if (folio_test_active(folio)) {
			shrink_active_folio(folio);
			cond_resched();
			continue;
		}
		r = shrink_folio(folio, false);
		freed += r == SHRINK_FREED;
		shrink_folio_finish(folio, r);
		cond_resched();
	}
	return freed;
}

/* MADV_COLD: make the folio the oldest on its LRU */
static void folio_deactivate(struct folio *folio)
{
	struct pglist_data *pgdat = &the_world->node[folio->nid];

	spin_lock(&pgdat->lru_lock);
	if (folio_test_lru(folio)) {
		list_del_init(&folio->lru);
		folio->lru_seq = 0;
		list_add(&folio->lru, &pgdat->lru);
	}
	spin_unlock(&pgdat->lru_lock);
}

/*
 * The huge pmd step of madvise_cold_or_pageout_pte_range: a folio likely
 * shared is left alone; one the range covers only in part is split
 * (split_folio, whose unmap splits the pmd) and the ptes are walked again;
 * a whole one is deactivated (made old for MADV_COLD), or isolated and
 * reclaimed (shrink_folio splits it for swap).  0: this pmd is done (a
 * split that failed skips it); 1: look again at the ptes.  mmap_lock read.
 */
static int madvise_pageout_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, uint64_t addr,
				    uint64_t end, bool pageout)
{
	uint64_t haddr = addr & HPAGE_PMD_MASK;
	spinlock_t *ptl = pmd_lock(pmdp);
	pmd_t pmd = pmdp_get(pmdp);
	struct folio *folio;
	int err;

	if (!pmd_trans_huge(pmd)) {
		spin_unlock(ptl);
		return is_swap_pmd(pmd) ? 0 : 1;	/* a PMD migration entry: skipped */
	}
	if (is_huge_zero_pmd(pmd)) {
		spin_unlock(ptl);
		return 0;	/* nothing to reclaim or age */
	}
	folio = pmd_folio(pmd);
	if (folio_likely_mapped_shared(folio)) {
		spin_unlock(ptl);
		return 0;
	}
	if (addr != haddr || end - haddr < HPAGE_PMD_NR) {
		folio_get(folio);
		spin_unlock(ptl);
		folio_lock(folio);
		err = split_folio(folio);
		folio_unlock(folio);
		folio_put(folio);
		return err ? 0 : 1;	/* a failed split skips this pmd, as 6.12 does */
	}
	if (!pageout)
		set_pmd_at(vma->vm_mm, haddr, pmdp, pmd_mkold(pmd));
	folio_clear_referenced(folio);
	folio_test_clear_young(folio);
	if (!pageout) {
		spin_unlock(ptl);
		folio_deactivate(folio);
		return 0;
	}
	if (!folio_isolate_lru(folio)) {
		spin_unlock(ptl);
		return 0;
	}
	spin_unlock(ptl);
	shrink_folio_finish(folio, shrink_folio(folio, true));
	return 0;
}

/*
 * madvise_pageout_range - MADV_COLD / MADV_PAGEOUT over [start, end) of @vma.
 * Folios mapped by more than one pte are skipped, as Linux skips shared
 * folios here; ptes are made old either way; a large anon folio is split
 * first.  mmap_lock held for read.
 */
int madvise_pageout_range(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			  bool pageout)
{
	struct mm_struct *mm = vma->vm_mm;

	for (uint64_t addr = start; addr < end; addr++) {
		struct folio *folio;
		spinlock_t *ptl;
		pmd_t *pmdp;
		pte_t *ptep, pte;

		if (!mmt_pte_peek(mm, addr)) {
			addr |= PTRS_PER_PTE - 1;
			continue;
		}
		pmdp = pmd_offset(mm, addr);
		if (pmd_is_huge(pmdp_get_lockless(pmdp))) {
			int r = madvise_pageout_huge_pmd(vma, pmdp, addr, end, pageout);

			if (r == 0)
				addr |= PTRS_PER_PTE - 1;
			else
				addr--;
			cond_resched();
			continue;
		}
		ptep = pte_offset_map_lock(mm, addr, &ptl);
		if (!ptep) {
			addr--;		/* a huge pmd appeared: the step above */
			continue;
		}
		pte = ptep_get(ptep);
		folio = vm_normal_folio(vma, addr, pte);
		/*
		 * A large anon folio not (likely) shared is split first, as
		 * madvise_cold_or_pageout_pte_range does, with the ptl dropped
		 * (split_folio sleeps), and the address looked at again; a
		 * busy or unsplittable one ends the walk, as in the kernel.
		 */
		if (folio && folio_test_anon(folio) && folio_test_large(folio) &&
		    !folio_likely_mapped_shared(folio)) {
			int err;

			if (!folio_trylock(folio)) {
				pte_unmap_unlock(ptl);
				break;
			}
			folio_get(folio);
			pte_unmap_unlock(ptl);
			err = split_folio(folio);
			folio_unlock(folio);
			folio_put(folio);
			if (err)
				break;
			addr--;
			continue;
		}
		if (!folio || !folio_test_anon(folio) || folio_mapcount(folio) != 1) {
			pte_unmap_unlock(ptl);
			continue;
		}
		set_pte_at(mm, addr, ptep, pte_mkold(pte));
		if (!pageout) {
			pte_unmap_unlock(ptl);
			folio_deactivate(folio);
			continue;
		}
		if (!folio_isolate_lru(folio)) {
			pte_unmap_unlock(ptl);
			continue;
		}
		pte_unmap_unlock(ptl);
		/* reclaim_pages(): the caller asked, references do not matter */
		shrink_folio_finish(folio, shrink_folio(folio, true));
		cond_resched();
	}
	return 0;
}
