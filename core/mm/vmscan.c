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
 * reference (__remove_mapping's refcount freeze).  Anything that fails puts
 * the folio back.
 *
 * The model reclaims by pure LRU age, without the referenced/active second
 * chance; file and shmem pages are not reclaimed (tmpfs pages would need
 * shmem's own swap path, which the model does not have yet).
 */
#include <errno.h>

#include "mmt/folio.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/world.h"
#include "internal.h"

/* Reclaim one isolated folio; true if it was freed.  Caller holds the isolation ref. */
bool shrink_folio(struct folio *folio)
{
	bool freed = false;

	/* a large folio would be split first (split_folio_to_list): not modelled yet */
	if (!folio_test_anon(folio) || folio_test_large(folio) || !folio_trylock(folio))
		return false;
	if (!folio_test_swapcache(folio) && add_to_swap(folio))
		goto out;		/* no swap space */
	if (folio_mapped(folio)) {
		try_to_unmap(folio, 0);
		if (folio_mapped(folio))
			goto out;
	}
	if (folio_test(folio, PG_dirty))
		swap_writepage(folio);
	/* __remove_mapping: only the swap cache and our isolation may hold it */
	if (folio_ref_count(folio) != 2)
		goto out;
	delete_from_swap_cache(folio);
	freed = true;
out:
	folio_unlock(folio);
	return freed;
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

unsigned long reclaim_pages_global(unsigned long nr)
{
	unsigned long freed = 0;

	for (unsigned long scanned = 0; scanned < nr; scanned++) {
		struct folio *folio = oldest_lru_folio();

		if (!folio)
			break;
		if (!folio_isolate_lru(folio))
			continue;	/* someone took it first */
		if (shrink_folio(folio)) {
			folio_clear_isolated(folio);
			folio_put(folio);	/* the isolation ref: frees it */
			freed++;
		} else {
			folio_putback_lru(folio);
		}
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
 * madvise_pageout_range - MADV_COLD / MADV_PAGEOUT over [start, end) of @vma.
 * Folios mapped by more than one pte are skipped, as Linux skips shared
 * folios here; ptes are made old either way.  mmap_lock held for read.
 */
int madvise_pageout_range(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			  bool pageout)
{
	struct mm_struct *mm = vma->vm_mm;

	for (uint64_t addr = start; addr < end; addr++) {
		struct folio *folio;
		spinlock_t *ptl;
		pte_t *ptep, pte;

		if (!mmt_pte_peek(mm, addr)) {
			addr |= PTRS_PER_PTE - 1;
			continue;
		}
		ptep = pte_offset_map_lock(mm, addr, &ptl);
		pte = ptep_get(ptep);
		folio = vm_normal_folio(vma, addr, pte);
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
		if (shrink_folio(folio)) {
			folio_clear_isolated(folio);
			folio_put(folio);
		} else {
			folio_putback_lru(folio);
		}
		cond_resched();
	}
	return 0;
}
