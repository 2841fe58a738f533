// SPDX-License-Identifier: MIT
/*
 * page_idle.c - idle page tracking, as mm/page_idle.c does it: the bitmap's
 * read and write, a folio at a time, and the rmap walk that folds the
 * ptes' accessed bits into the folio.  See mmt/page_idle.h.
 *
 * Locks: page_idle_clear_pte_refs holds a reference on the folio and, for
 * anything but an ordinary anon folio, the folio lock (trylock); the walk
 * takes the anon_vma (folio_lock_anon_vma_read, which re-checks
 * folio->mapping under it) or i_mmap_rwsem for read, and each pte's ptl.
 */
#include "mmt/folio.h"
#include "mmt/huge_mm.h"
#include "mmt/ksm.h"
#include "mmt/page_idle.h"
#include "mmt/rmap.h"
#include "mmt/world.h"
#include "internal.h"

/*
 * page_idle_clear_pte_refs_one - clear the accessed bit of each pte of
 * @vma that maps a page of @folio from @addr on.  Takes each ptl.
 */
static bool page_idle_clear_pte_refs_one(struct folio *folio, struct vm_area_struct *vma,
					 uint64_t addr, void *arg)
{
	unsigned first, n = folio_vma_pages(folio, vma, addr, &first);
	bool referenced = false;

	(void)arg;
	{
		/* pmdp_clear_young_notify */
		spinlock_t *ptl;
		pmd_t *pmdp = page_vma_mapped_pmd(folio, vma, addr, &ptl);

		if (pmdp) {
			pmd_t pmd = pmdp_get(pmdp);

			if (pmd_young(pmd)) {
				set_pmd_at(vma->vm_mm, addr & HPAGE_PMD_MASK, pmdp,
					   pmd_mkold(pmd));
				referenced = true;
			}
			spin_unlock(ptl);
			n = 0;
		}
	}
	for (unsigned k = 0; k < n; k++) {
		spinlock_t *ptl;
		pte_t *ptep = page_vma_mapped_idx(folio, first + k, vma->vm_mm, addr + k, &ptl);
		pte_t pte;

		if (!ptep)
			continue;
		pte = ptep_get(ptep);
		if (pte_present(pte) && pte_young(pte)) {
			set_pte_at(vma->vm_mm, addr + k, ptep, pte_mkold(pte));
			referenced = true;
		}
		pte_unmap_unlock(ptl);
	}
	if (referenced) {
		folio_clear_idle(folio);
		/* reclaim's folio_referenced must still see this access */
		folio_set_young(folio);
	}
	return true;
}

void page_idle_clear_pte_refs(struct folio *folio)
{
	struct rmap_walk_control rwc = {
		.rmap_one = page_idle_clear_pte_refs_one,
		.anon_lock = folio_lock_anon_vma_read,
	};
	bool need_lock;

	if (!folio_mapped(folio) || !atomic_load(&folio->mapping))
		return;
	/*
	 * An anon folio's anon_vma is stabilised by folio_lock_anon_vma_read;
	 * a file folio's mapping, and a KSM folio's stable node, need the lock.
	 */
	need_lock = !folio_test_anon(folio) || folio_test_ksm(folio);
	if (need_lock && !folio_trylock(folio))
		return;
	rmap_walk(folio, &rwc);
	if (need_lock)
		folio_unlock(folio);
}

/*
 * page_idle_get_folio - the folio of frame @pfn with a reference, if it is
 * on an LRU (only user memory is tracked); NULL otherwise.  The kernel goes
 * from a tail page to its head (page_folio, a READ_ONCE of compound_head)
 * and so reads a large folio once per page; the model's frames name their
 * head in a plain field that allocation and split rewrite, so the tracker
 * looks at each frame as itself: only a head is ever on an LRU, and a large
 * folio is read at its head's pfn alone.  The LRU test is repeated once
 * the reference holds the folio, as the kernel repeats it.
 */
static struct folio *page_idle_get_folio(uint64_t pfn)
{
	struct folio *folio = pfn_folio(pfn);

	if (!folio || !folio_test_lru(folio) || !folio_try_get(folio))
		return NULL;
	if (!folio_test_lru(folio)) {
		folio_put(folio);
		return NULL;
	}
	return folio;
}

unsigned long page_idle_scan(unsigned long nr)
{
	struct world *w = the_world;
	uint32_t frames = w->nr_frames;
	unsigned long idle = 0;

	if (!frames)
		return 0;
	for (unsigned long i = 0; i < nr; i++) {
		uint32_t pfn = atomic_fetch_add(&w->page_idle_cursor, 1) % frames;
		struct folio *folio = page_idle_get_folio(pfn);

		if (!folio)
			continue;
		/*
		 * The bitmap read folds the accessed bits in before it looks,
		 * and the write clears them before it marks the folio idle:
		 * back to back, one walk does for both.
		 */
		page_idle_clear_pte_refs(folio);
		if (folio_test_idle(folio))
			idle++;
		folio_set_idle(folio);
		folio_put(folio);
		cond_resched();
	}
	return idle;
}
