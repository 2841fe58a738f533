// SPDX-License-Identifier: MIT
/*
 * migrate.c - page migration: move_pages(2), migrating one folio, and the
 * migration-entry side of faults.
 *
 * Migrating a folio (migrate_pages_batch -> migrate_folio_unmap ->
 * migrate_folio_move in today's kernel):
 *
 *  1. the caller isolated it from the LRU: that reference is what keeps it
 *     alive while no pte maps it;
 *  2. lock it, pin its anon_vma (the VMAs may all go while we work), lock
 *     the new folio (a trylock: nobody else can know it);
 *  3. try_to_migrate(): every pte becomes a migration entry;
 *  4. if still mapped or someone else holds a reference: undo and retry;
 *     else move the mapping (swap cache or page cache slot, or the anon_vma),
 *     the contents and the flags to the new folio;
 *  5. remove_migration_ptes(): an rmap walk over the new folio turns every
 *     migration entry for the old pfn into a pte for the new one;
 *  6. unlock both, put the new folio on the LRU, free the old one.
 *
 * Steps 3 and 5 are rmap walks that yield between VMAs.  Any migration
 * entry the step-5 walk does not find is an orphan: it points at a folio
 * that is about to be freed and unlocked, and the next fault on it or zap of
 * it oopses in pfn_swap_entry_folio().  Seed 000 is the story of one.
 */
#include <errno.h>
#include <string.h>

#include "mmt/folio.h"
#include "mmt/huge_mm.h"
#include "mmt/inject.h"
#include "mmt/ksm.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/world.h"
#include "internal.h"

#define NR_MIGRATE_RETRY 10

struct folio *pfn_swap_entry_folio(swp_entry_t entry)
{
	struct folio *folio = pfn_folio(swp_offset_pfn(entry));

	VM_BUG_ON(!folio, INV_MIGRATION, "migration entry to pfn %llu: no such frame",
		  (unsigned long long)swp_offset(entry));
	/* a page of a large folio being split: its folio, as page_folio() finds it */
	folio = page_folio(&folio->page);
	/* a migration entry may only exist while its folio is locked */
	VM_BUG_ON(is_migration_entry(entry) && !folio_test_locked(folio), INV_MIGRATION,
		  "folio pfn %u: migration entry but the folio is not locked (orphan)",
		  folio->pfn);
	return folio;
}

/*
 * migration_entry_wait - a fault found a migration entry: sleep until the
 * migration holding the folio lock is done, then let the fault retry.
 * mmap_lock read held; the ptl is dropped before sleeping.
 */
void migration_entry_wait(struct mm_struct *mm, uint64_t addr)
{
	spinlock_t *ptl;
	pte_t *ptep, pte;
	struct folio *folio;

	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep)
		return;
	pte = ptep_get(ptep);
	if (!is_swap_pte(pte) || !is_migration_entry(pte_to_swp_entry(pte))) {
		pte_unmap_unlock(ptl);
		return;
	}
	folio = pfn_swap_entry_folio(pte_to_swp_entry(pte));
	pte_unmap_unlock(ptl);
	folio_wait_locked(folio);
}

/*
 * remove_migration_pmd - a PMD migration entry of @vma at @haddr that names
 * @old's head maps @folio (the new one, or @old itself when the migration
 * failed) by a huge pmd again: writable and AnonExclusive as the entry
 * recorded, one more PMD mapping and its reference.  New folio locked;
 * takes the pmd lock.
 */
static void remove_migration_pmd(struct folio *folio, struct vm_area_struct *vma,
				 uint64_t haddr, struct folio *old)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t *pmdp = pmd_offset(mm, haddr), pmd, pmde;
	spinlock_t *ptl;
	swp_entry_t e;

	if (!pmdp)
		return;
	ptl = pmd_lock(pmdp);
	pmd = pmdp_get(pmdp);
	if (!is_pmd_migration_entry(pmd) || swp_offset_pfn(pmd_to_swp_entry(pmd)) != old->pfn)
		goto out;
	e = pmd_to_swp_entry(pmd);
	folio_get(folio);
	pmde = pmd_mkold(pfn_pmd(folio->pfn, false));
	if (is_writable_migration_entry(e)) {
		pmde = pmd_mkwrite(pmde);
		if (folio_test_dirty(folio))
			pmde = pmd_mkdirty(pmde);
	}
	folio_add_anon_rmap_pmd(folio, &folio->page, vma, haddr,
				is_writable_migration_entry(e) ||
				is_readable_exclusive_migration_entry(e) ? RMAP_EXCLUSIVE : RMAP_NONE);
	set_pmd_at(mm, haddr, pmdp, pmde);
out:
	spin_unlock(ptl);
}

/*
 * remove_migration_pte - one VMA's part of remove_migration_ptes: every pte
 * of the VMA that is a migration entry for a page of @arg (the old folio)
 * maps the page of @folio (the new one) at the same index, writable and
 * exclusive exactly as the entry recorded.  Old and new have one order: a
 * migrated folio of any order, a large folio whose split failed (old == new),
 * or one order-0 folio split out of a large one (old == new, its entries
 * naming its own pfn).  New folio locked.
 */
static bool remove_migration_pte(struct folio *folio, struct vm_area_struct *vma,
				 uint64_t addr, void *arg)
{
	struct folio *old = arg;
	struct mm_struct *mm = vma->vm_mm;
	unsigned first, n = folio_vma_pages(folio, vma, addr, &first);

	/* the pmd step: a PMD-sized folio whole in the VMA at an aligned address */
	if (folio->order == HPAGE_PMD_ORDER && folio_test_anon(folio) && !first &&
	    n == HPAGE_PMD_NR && !(addr & (HPAGE_PMD_NR - 1)))
		remove_migration_pmd(folio, vma, addr, old);

	for (unsigned k = 0; k < n; k++) {
		uint64_t a = addr + k, old_pfn = old->pfn + first + k;
		struct page *page = folio_page(folio, first + k);
		spinlock_t *ptl;
		pte_t *ptep, pte;
		swp_entry_t entry;
		int rmap_flags = RMAP_NONE;

		ptep = pte_offset_map_lock(mm, a, &ptl);
		if (!ptep)
			continue;
		pte = ptep_get(ptep);
		if (!is_swap_pte(pte)) {
			/* a zapped pte: nothing to restore, unless the recheck is gone */
			if (!pte_none(pte) || !mmt_injected(BUG_REMOVE_MIGRATION_PTE_NO_RECHECK))
				goto next;
			entry = make_writable_migration_entry(old_pfn);
		} else {
			entry = pte_to_swp_entry(pte);
			if (!is_migration_entry(entry) || swp_offset_pfn(entry) != old_pfn)
				goto next;
		}

		folio_get(folio);
		if (folio_is_device_private(folio)) {
			/* the CPU cannot map it: a device-private entry takes its place */
			if (is_writable_migration_entry(entry))
				pte = swp_entry_to_pte(make_writable_device_private_entry(folio->pfn));
			else
				pte = swp_entry_to_pte(make_readable_device_private_entry(folio->pfn));
		} else {
			pte = pte_mkold(pfn_pte(page_to_pfn(page), false));
			/*
			 * Dirty only if the folio is: the kernel (since 6.1)
			 * restores the dirty bit where the entry recorded one
			 * and the folio is dirty.  The model's entries record no
			 * dirty bit, a writable one stands for it; whoever
			 * replaced a dirty pte by the entry must have moved the
			 * bit to the folio (fd35ca3d12cc).
			 */
			if (is_writable_migration_entry(entry)) {
				pte = pte_mkwrite(pte);
				if (folio_test_dirty(folio))
					pte = pte_mkdirty(pte);
			}
		}
		if (folio_test_anon(folio)) {
			if (is_writable_migration_entry(entry) ||
			    is_readable_exclusive_migration_entry(entry))
				rmap_flags |= RMAP_EXCLUSIVE;
			folio_add_anon_rmap_pte(folio, page, vma, a, rmap_flags);
		} else {
			folio_add_file_rmap_pte(folio, page, vma);
		}
		set_pte_at(mm, a, ptep, pte);
next:
		pte_unmap_unlock(ptl);
	}
	return true;
}

void remove_migration_ptes(struct folio *src, struct folio *dst)
{
	struct rmap_walk_control rwc = {
		.rmap_one = remove_migration_pte,
		.arg = src,
		.anon_vma_pinned = true,	/* migrate_one's reference */
	};

	VM_BUG_ON(!folio_test_locked(dst), INV_MIGRATION, "folio pfn %u not locked", dst->pfn);
	rmap_walk(dst, &rwc);
}

/*
 * remove_migration_ptes_locked - the same for a caller that holds the
 * anon_vma lock for write and a reference on it (split_folio's remap_page,
 * RMP_LOCKED).
 */
void remove_migration_ptes_locked(struct folio *src, struct folio *dst)
{
	struct rmap_walk_control rwc = {
		.rmap_one = remove_migration_pte,
		.arg = src,
		.anon_vma_pinned = true,
		.locked = true,
	};

	VM_BUG_ON(!folio_test_locked(dst), INV_MIGRATION, "folio pfn %u not locked", dst->pfn);
	rmap_walk(dst, &rwc);
}

/* the references a folio with no pte may have besides ours (folio_expected_refs) */
static int folio_expected_refs(struct folio *folio)
{
	int refs = 1;	/* the isolation */

	if (folio_test_swapcache(folio) || (!folio_test_anon(folio) && folio->mapping))
		refs++;
	return refs;
}

/*
 * folio_migrate_mapping - move the mapping, contents and state of @src to
 * @dst; both locked, @src unmapped.  0, or -EAGAIN when someone else holds
 * a reference (nothing changed then).
 *
 * A folio in the swap cache or a page cache can be looked up, and a
 * reference taken, until it is replaced there: the replacement freezes its
 * refcount under the cache's lock, as the kernel does under xa_lock, and
 * hands the cache's reference to @dst.  A KSM folio frozen so is still its
 * stable node's page: get_ksm_page waits for it (seed 001).  An anon folio
 * in no cache is found only through its ptes, all migration entries now:
 * its count is checked, not frozen.
 */
static int folio_migrate_mapping(struct folio *dst, struct folio *src)
{
	/* folio_migrate_flags: with page_idle's young and idle */
	static const int copied[] = { PG_uptodate, PG_dirty, PG_referenced, PG_swapbacked,
				      PG_active, PG_young, PG_idle };
	int expected = folio_expected_refs(src);

	if (folio_test_swapcache(src)) {
		kp_access(dst, KP_F_FOLIO_MAPPING, true);
		dst->mapping = src->mapping;
		dst->index = src->index;
		if (swap_cache_replace_folio(src, dst, expected))
			return -EAGAIN;
	} else if (folio_test_anon(src)) {
		if (folio_ref_count(src) != expected)
			return -EAGAIN;
		kp_access(dst, KP_F_FOLIO_MAPPING, true);
		dst->mapping = src->mapping;
		dst->index = src->index;
	} else if (src->mapping) {
		if (filemap_replace_folio(src, dst, expected))
			return -EAGAIN;
	} else if (folio_ref_count(src) != expected) {
		return -EAGAIN;
	}
	for (unsigned i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		if (folio_test(src, copied[i]))
			folio_set(dst, copied[i]);
	/* folio_copy: every page of a large folio has its own contents */
	for (long i = 0; i < folio_nr_pages(src); i++)
		atomic_store(&dst[i].value, atomic_load(&src[i].value));
	/* folio_migrate_flags: a KSM page's stable node follows it */
	if (folio_test_ksm(dst))
		ksm_migrate_page(dst, src);
	return 0;
}

/*
 * migrate_one - one attempt at moving isolated @src into @dst, of the same
 * order.  0 on success (src is then unlocked, unmapped, ready to free),
 * -EAGAIN to retry.  @may_stay_partial: a large @dst that comes out
 * partially mapped is one Linux leaves off the deferred split queue too
 * (see struct folio's migrated_partial); false when the source was queued
 * and should have been split instead.
 */
static int migrate_one(struct folio *src, struct folio *dst, bool may_stay_partial)
{
	struct anon_vma *anon_vma = NULL;
	bool was_mapped;
	int rc;

	folio_lock(src);
	/*
	 * Only a folio mapped now has a live anon_vma to walk afterwards: an
	 * unmapped anon folio's mapping may point at one already freed (the
	 * kernel's page_was_mapped).  While locked and unmapped nobody can map
	 * it, so this cannot change under us.
	 */
	if (folio_test_anon(src) && !folio_test_ksm(src)) {
		anon_vma = folio_get_anon_vma(src);
		was_mapped = anon_vma != NULL;
	} else {
		/*
		 * A file folio, or a KSM one: its stable node (kept by the
		 * folio lock) is what the walks below go through.
		 */
		was_mapped = folio_mapped(src);
	}
	if (!folio_trylock(dst))
		mmt_bug(INV_MIGRATION, __FILE__, __LINE__, "folio_trylock(dst)",
			"new folio pfn %u already locked", dst->pfn);
	folio_set_migrating(src);
	src->migrate_dst = dst->pfn;

	if (was_mapped)
		try_to_migrate(src, 0);
	rc = -EAGAIN;
	if (!folio_mapped(src))
		rc = folio_migrate_mapping(dst, src);
	if (rc == 0) {
		if (was_mapped)
			remove_migration_ptes(src, dst);
		/*
		 * remove_migration_pte maps only the pages whose entries are
		 * still there, and queues nothing: a zap that took some of
		 * them meanwhile leaves the new folio partially mapped and
		 * off the queue, in Linux as here.
		 */
		if (folio_test_large(dst) && folio_mapped(dst) &&
		    atomic_load(&dst->_nr_pages_mapped) < folio_nr_pages(dst))
			dst->migrated_partial = may_stay_partial;
		kp_access(src, KP_F_FOLIO_MAPPING, true);
		src->mapping = 0;
	} else {
		if (was_mapped)
			remove_migration_ptes(src, src);
		/* dst never became visible: clear what we set on it */
		kp_access(dst, KP_F_FOLIO_MAPPING, true);
		dst->mapping = 0;
		atomic_store(&dst->flags, 1ul << PG_locked);
	}
	folio_clear_migrating(src);
	src->migrate_dst = 0;
	folio_unlock(dst);
	folio_unlock(src);
	if (anon_vma)
		put_anon_vma(anon_vma);
	return rc;
}

/*
 * try_split_folio - split an isolated large folio that is about to
 * migrate; the pieces, each isolated with its own reference, go on
 * @split, the head first.  As MIGRATE_SYNC does, it sleeps on the folio
 * lock.  0, or the split's -EBUSY/-EAGAIN (the folio stays whole).
 */
static int try_split_folio(struct folio *folio, struct list_head *split)
{
	int rc;

	folio_lock(folio);
	rc = split_folio_to_list(folio, split);
	folio_unlock(folio);
	if (!rc)
		list_add(&folio->lru, split);
	return rc;
}

/* the pieces of a split folio, migrated in turn as migrate_pages does */
static int migrate_split_folios(struct list_head *split, int node)
{
	struct folio *f, *next;
	int rc = 0;

	list_for_each_entry_safe(f, next, split, lru) {
		list_del_init(&f->lru);
		if (migrate_folio_to_node(f, node) && !rc)
			rc = -EBUSY;
	}
	return rc;
}

/*
 * migrate_folio_to_node - migrate an isolated (unlocked) folio to @node.
 * Consumes the isolation: on success the old folio is freed, on failure it
 * goes back to the LRU.
 *
 * A large folio moves whole, into a folio of its order on @node
 * (alloc_migration_target), as Linux migrates an mTHP.  Two cases split it
 * first and move the pieces, as migrate_pages_batch does: a folio of order
 * 2 or more on the deferred split queue and partially mapped (its unmapped
 * pages are better freed than copied: 7262f208ca68), and a destination
 * that cannot be allocated (-ENOMEM).  A split that fails leaves the first
 * case to move whole, and the second to fail.
 */
int migrate_folio_to_node(struct folio *src, int node)
{
	LIST_HEAD(split);
	struct folio *dst;
	bool split_tried = false, queued_partial;
	int rc = -EAGAIN;

	/*
	 * migrate_folio_unmap: only the isolation holds it, every pte and
	 * cache let go of it meanwhile: freed from under us, done.
	 */
	if (folio_ref_count(src) == 1) {
		folio_clear_isolated(src);
		folio_put(src);
		return 0;
	}
	if (folio_test_large(src)) {
		queued_partial = folio_nr_pages(src) > 2 &&
				 !list_empty(&src->_deferred_list) &&
				 folio_test_partially_mapped(src);
		if (queued_partial && !mmt_injected(BUG_MIGRATE_PARTIAL_NO_SPLIT)) {
			split_tried = true;
			if (!try_split_folio(src, &split))
				return migrate_split_folios(&split, node);
		}
		dst = folio_alloc_order(node, src->order);
		if (!dst) {
			if (!try_split_folio(src, &split))
				return migrate_split_folios(&split, node);
			folio_putback_lru(src);
			return -ENOMEM;
		}
	} else {
		queued_partial = false;
		dst = folio_alloc(node, true);
		if (!dst) {
			folio_putback_lru(src);
			return -ENOMEM;
		}
	}
	for (int pass = 0; pass < NR_MIGRATE_RETRY && rc == -EAGAIN; pass++) {
		rc = migrate_one(src, dst, !queued_partial || split_tried);
		if (rc == -EAGAIN)
			cond_resched();
	}
	if (rc) {
		folio_put(dst);
		folio_putback_lru(src);
		return rc == -EAGAIN ? -EBUSY : rc;
	}
	folio_add_lru(dst);
	folio_put(dst);			/* the ptes and caches hold it now */
	folio_clear_isolated(src);
	folio_put(src);			/* the isolation: the last reference */
	return 0;
}

/*
 * do_move_pages - move_pages(2) with MPOL_MF_MOVE (or _ALL): each page is
 * looked up under mmap_lock, isolated, and migrated with the lock dropped,
 * as do_pages_move() does.
 */
long do_move_pages(struct mm_struct *mm, uint64_t addr, uint64_t nr, int node,
		   bool move_all, int *status)
{
	long not_migrated = 0;

	if (node < 0 || node >= the_world->nr_nodes)
		return -ENODEV;
	for (uint64_t i = 0; i < nr; i++) {
		struct vm_area_struct *vma;
		struct folio *folio = NULL;
		spinlock_t *ptl;
		pte_t *ptep;
		int st;

		down_read(&mm->mmap_lock);
		vma = vma_lookup(mm, addr + i);
		if (!vma) {
			st = -EFAULT;
			goto next_unlock;
		}
		/*
		 * folio_walk_start(FW_ZEROPAGE): a zero page is found, and is
		 * -EFAULT, as FOLL_DUMP made it before 6.12; a hole, a swap,
		 * migration or device entry is -ENOENT.
		 */
		st = -ENOENT;
		ptep = pte_offset_map_lock(mm, addr + i, &ptl);
		if (ptep) {
			pte_t pte = ptep_get(ptep);

			folio = vm_normal_folio(vma, addr + i, pte);
			if (folio)
				folio_get(folio);
			else if (pte_present(pte) && pte_pfn(pte) == zero_pfn())
				st = -EFAULT;
			pte_unmap_unlock(ptl);
		} else {
			pmd_t *pmdp = pmd_offset(mm, addr + i);

			folio = folio_get_huge_pmd(vma, addr + i);	/* follow_huge_pmd */
			if (!folio && pmdp && is_huge_zero_pmd(pmdp_get_lockless(pmdp)))
				st = -EFAULT;
		}
		if (!folio)
			goto next_unlock;
		if (folio->nid == node) {
			st = node;
		} else if (folio_likely_mapped_shared(folio) && !move_all) {
			st = -EACCES;
		} else if (!folio_isolate_lru(folio)) {
			st = -EBUSY;
		} else {
			folio_put(folio);
			up_read(&mm->mmap_lock);
			st = migrate_folio_to_node(folio, node);
			if (st == 0)
				st = node;
			else if (st == -EBUSY || st == -EAGAIN)
				not_migrated++;
			goto next;
		}
		folio_put(folio);
next_unlock:
		up_read(&mm->mmap_lock);
next:
		if (status)
			status[i] = st;
	}
	return not_migrated;
}
