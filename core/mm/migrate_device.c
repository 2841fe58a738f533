// SPDX-License-Identifier: MIT
/*
 * migrate_device.c - migrate_vma: moving a range of a VMA to device-private
 * memory and back (migrate_device.h), with the empty-entry population of
 * seed 002.
 *
 * Lock order inside: mmap_lock (read, the caller's) -> folio lock -> ptl.
 * The collect step runs under each pte table's lock and may only trylock
 * folios there (two concurrent migrations must not wait on each other's
 * folio locks); a folio it cannot lock is skipped, since migrate_vma is
 * best effort.  Every collected folio holds a reference (the collect one
 * for device folios, the LRU isolation one for the others) and its lock
 * from setup to finalize, and every pte that mapped it holds a migration
 * entry, so nothing else can map, migrate or reclaim it meanwhile.
 */
#include <errno.h>
#include <string.h>

#include "mmt/folio.h"
#include "mmt/huge_mm.h"
#include "mmt/inject.h"
#include "mmt/memremap.h"
#include "mmt/migrate.h"
#include "mmt/migrate_device.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/userfaultfd.h"
#include "mmt/world.h"
#include "internal.h"

struct folio *migrate_pfn_to_folio(uint64_t mpfn)
{
	if (!(mpfn & MIGRATE_PFN_VALID))
		return NULL;
	return pfn_folio(mpfn >> MIGRATE_PFN_SHIFT);
}

/* ------------------------------------------------------------ collect */

/* empty entries: MIGRATE without a page, the driver may populate them */
static void migrate_vma_collect_hole(struct migrate_vma *migrate, uint64_t start, uint64_t end)
{
	for (uint64_t addr = start; addr < end; addr++) {
		migrate->src[migrate->npages] = MIGRATE_PFN_MIGRATE;
		migrate->dst[migrate->npages++] = 0;
		migrate->cpages++;
	}
}

/*
 * An entry the collect step will not take.  Seed 002 made holes
 * migratable, so a skip must now say so; the patch before it reported
 * both the same way.
 */
static uint64_t collect_skip_one(struct migrate_vma *migrate)
{
	if (mmt_injected(BUG_MIGRATE_VMA_SKIP_AS_HOLE)) {
		migrate->cpages++;
		return MIGRATE_PFN_MIGRATE;
	}
	return 0;
}

/*
 * migrate_vma_collect_pmd - one pte table's part of [start, end), under
 * its lock.  A present page or one of our device-private entries that can
 * be locked is taken: a reference, the lock, a migration entry recording
 * whether the pte was writable (or exclusive), the rmap of this pte
 * dropped.  Holes and the zero page are empty entries.
 */
static void migrate_vma_collect_pmd(struct migrate_vma *migrate, uint64_t start, uint64_t end)
{
	struct vm_area_struct *vma = migrate->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct folio *huge;
	spinlock_t *ptl;
	pte_t *ptep;

again:
	/*
	 * A PMD-mapped THP is split to order-0 folios first (trylock and
	 * split_folio, whose unmap splits the pmd), as the kernel's collect
	 * step does; a folio it cannot lock or split skips the range.
	 */
	huge = folio_get_huge_pmd(vma, start);
	if (huge) {
		int err = -EBUSY;

		if (folio_trylock(huge)) {
			err = split_folio(huge);
			folio_unlock(huge);
		}
		folio_put(huge);
		if (err) {
			for (uint64_t addr = start; addr < end; addr++) {
				migrate->src[migrate->npages] = collect_skip_one(migrate);
				migrate->dst[migrate->npages++] = 0;
			}
			return;
		}
	}
	ptep = pte_offset_map_lock(mm, start, &ptl);
	if (!ptep) {
		pmd_t *pmdp = pmd_offset(mm, start);

		pmd_t pmd = pmdp ? pmdp_get_lockless(pmdp) : __pmd(0);

		if (is_huge_zero_pmd(pmd)) {
			/* the huge zero pmd is split: its zero ptes are empty entries */
			split_huge_pmd(vma, pmdp, start);
			goto again;
		}
		if (pmd_trans_huge(pmd))
			goto again;	/* a fault mapped a huge pmd meanwhile */
		if (pmd_is_huge(pmd)) {
			/* a PMD migration entry: that folio is someone else's now */
			for (uint64_t addr = start; addr < end; addr++) {
				migrate->src[migrate->npages] = collect_skip_one(migrate);
				migrate->dst[migrate->npages++] = 0;
			}
			return;
		}
		migrate_vma_collect_hole(migrate, start, end);
		return;
	}
	for (uint64_t addr = start; addr < end; addr++, ptep++) {
		pte_t pte = ptep_get(ptep);
		struct folio *folio;
		struct page *page;
		uint64_t mpfn = 0;
		bool anon_exclusive;
		swp_entry_t entry;

		if (pte_none(pte)) {
			mpfn = MIGRATE_PFN_MIGRATE;
			migrate->cpages++;
			goto next;
		}
		if (!pte_present(pte)) {
			/*
			 * Only a device-private page of the caller's device can
			 * migrate; swap and migration entries are skipped.
			 */
			entry = pte_to_swp_entry(pte);
			if (!is_device_private_entry(entry)) {
				mpfn = collect_skip_one(migrate);
				goto next;
			}
			folio = pfn_swap_entry_folio(entry);
			if (!(migrate->flags & MIGRATE_VMA_SELECT_DEVICE_PRIVATE) ||
			    device_pagemap()->owner != migrate->pgmap_owner) {
				mpfn = collect_skip_one(migrate);
				goto next;
			}
			mpfn = migrate_pfn(folio->pfn) | MIGRATE_PFN_MIGRATE;
			if (is_writable_device_private_entry(entry))
				mpfn |= MIGRATE_PFN_WRITE;
		} else {
			if (!(migrate->flags & MIGRATE_VMA_SELECT_SYSTEM)) {
				mpfn = collect_skip_one(migrate);
				goto next;
			}
			if (pte_pfn(pte) == zero_pfn()) {
				/* seed 002: the zero page is an empty entry too */
				mpfn = MIGRATE_PFN_MIGRATE;
				migrate->cpages++;
				goto next;
			}
			folio = vm_normal_folio(vma, addr, pte);
			/*
			 * A KSM folio stays in system memory: the model's device
			 * folios are plain anon (the DEVICE invariant, 11.4) and no
			 * stable node may name a device pfn.  A model choice where
			 * two mechanisms meet, docs/model.md "KSM meets the device".
			 */
			/* nor does a large folio (the kernel splits it: not modelled) */
			if (!folio || folio_test_ksm(folio) || folio_test_large(folio)) {
				mpfn = collect_skip_one(migrate);
				goto next;
			}
			mpfn = migrate_pfn(folio->pfn) | MIGRATE_PFN_MIGRATE;
			if (pte_write(pte))
				mpfn |= MIGRATE_PFN_WRITE;
		}
		page = folio_page(folio, 0);

		/* the reference pins the folio and freezes the pte */
		folio_get(folio);
		if (folio != migrate->fault_page && !folio_trylock(folio)) {
			/* best effort: whoever holds it may be migrating it too */
			folio_put(folio);
			mpfn = collect_skip_one(migrate);
			goto next;
		}
		anon_exclusive = folio_test_anon(folio) && PageAnonExclusive(page);
		pte = ptep_get_and_clear(mm, addr, ptep);
		/* a possibly pinned page stays in system memory, mapped */
		if (anon_exclusive && folio_try_share_anon_rmap_pte(folio, page)) {
			set_pte_at(mm, addr, ptep, pte);
			if (folio != migrate->fault_page)
				folio_unlock(folio);
			folio_put(folio);
			mpfn = 0;
			goto next;
		}
		migrate->cpages++;
		/*
		 * The pte is gone: its dirty bit must live on in the folio, or a
		 * swap-cache folio whose migration fails is later reclaimed as
		 * clean and its data lost (fd35ca3d12cc).
		 */
		if (pte_present(pte) && pte_dirty(pte) &&
		    !mmt_injected(BUG_MIGRATE_DEVICE_COPY_PTE_DIRTY))
			folio_set(folio, PG_dirty);
		if (mpfn & MIGRATE_PFN_WRITE)
			entry = make_writable_migration_entry(folio->pfn);
		else if (anon_exclusive)
			entry = make_readable_exclusive_migration_entry(folio->pfn);
		else
			entry = make_readable_migration_entry(folio->pfn);
		if (!folio_test_migrating(folio)) {
			folio_set_migrating(folio);
			folio->migrate_dst = 0;
		}
		set_pte_at(mm, addr, ptep, swp_entry_to_pte(entry));
		/* like an unmap: the pte's reference goes, ours keeps the folio */
		folio_remove_rmap_pte(folio, page, vma);
		folio_put(folio);
next:
		migrate->dst[migrate->npages] = 0;
		migrate->src[migrate->npages++] = mpfn;
	}
	pte_unmap_unlock(ptl);
}

/* walk [start, end) one pte table at a time, yielding between tables; mmap_lock read */
static void migrate_vma_collect(struct migrate_vma *migrate)
{
	uint64_t addr = migrate->start;

	while (addr < migrate->end) {
		uint64_t next = (addr | (PTRS_PER_PTE - 1)) + 1;

		if (next > migrate->end)
			next = migrate->end;
		migrate_vma_collect_pmd(migrate, addr, next);
		addr = next;
		if (addr < migrate->end)
			cond_resched();
	}
}

/*
 * migrate_vma_check_folio - can a collected, unmapped folio migrate?  Only
 * if nobody but us holds a reference: the isolation (or, for a device
 * folio, the collect) reference, the fault's if it is the fault page, the
 * swap cache's or page cache's.
 */
static bool migrate_vma_check_folio(struct folio *folio, struct folio *fault_folio)
{
	int extra = 1 + (folio == fault_folio);

	if (folio_test_swapcache(folio) || folio_mapping(folio))
		extra++;
	return folio_ref_count(folio) - extra <= folio_mapcount(folio);
}

/*
 * migrate_vma_unmap - isolate every collected system folio from the LRU,
 * unmap the folio from every other mm (try_to_migrate), and give back the
 * ones that cannot migrate: their migration entries are restored at once
 * and their src entry cleared.  Caller's mmap_lock read; every collected
 * folio locked (takes the LRU lock, and the rmap locks in the walks).
 */
static void migrate_vma_unmap(struct migrate_vma *migrate)
{
	struct folio *fault_folio = migrate->fault_page;
	uint64_t restore = 0;

	for (uint64_t i = 0; i < migrate->npages; i++) {
		struct folio *folio = migrate_pfn_to_folio(migrate->src[i]);

		if (!folio)
			continue;
		if (!folio_is_zone_device(folio)) {
			if (!folio_isolate_lru(folio)) {
				migrate->src[i] &= ~MIGRATE_PFN_MIGRATE;
				restore++;
				continue;
			}
			/* the isolation reference replaces the collect one */
			folio_put(folio);
		}
		if (folio_mapped(folio))
			try_to_migrate(folio, 0);
		if (folio_mapped(folio) || !migrate_vma_check_folio(folio, fault_folio)) {
			if (!folio_is_zone_device(folio)) {
				folio_get(folio);
				folio_putback_lru(folio);
			}
			migrate->src[i] &= ~MIGRATE_PFN_MIGRATE;
			restore++;
			continue;
		}
	}

	for (uint64_t i = 0; i < migrate->npages && restore; i++) {
		struct folio *folio = migrate_pfn_to_folio(migrate->src[i]);

		if (!folio || (migrate->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		remove_migration_ptes(folio, folio);
		migrate->src[i] = 0;
		folio_clear_migrating(folio);
		if (folio != fault_folio)
			folio_unlock(folio);
		folio_put(folio);
		restore--;
	}
}

int migrate_vma_setup(struct migrate_vma *args)
{
	struct vm_area_struct *vma = args->vma;
	uint64_t nr_pages = args->end - args->start;

	if (!vma || args->start >= args->end || args->start < vma->vm_start ||
	    args->start >= vma->vm_end || args->end > vma->vm_end)
		return -EINVAL;
	if (!args->src || !args->dst)
		return -EINVAL;
	if (args->fault_page && !folio_is_device_private(args->fault_page))
		return -EINVAL;
	memset(args->src, 0, nr_pages * sizeof(*args->src));
	args->cpages = 0;
	args->npages = 0;

	migrate_vma_collect(args);
	if (args->cpages)
		migrate_vma_unmap(args);
	/* the driver now allocates and copies; it may only read src */
	return 0;
}

/* ------------------------------------------------------------- pages */

/*
 * migrate_vma_insert_page - populate an empty entry with the driver's new
 * folio (seed 002).  Only in an anonymous VMA; never when userfaultfd
 * missing mode is armed there (its handler, not us, decides what appears);
 * and only if, under the ptl, the entry is still empty: none, or the zero
 * page.  On failure the entry's MIGRATE bit is cleared, and finalize
 * releases the folio.  mmap_lock read held; the folio is locked and new.
 */
static void migrate_vma_insert_page(struct migrate_vma *migrate, uint64_t addr,
				    struct folio *folio, uint64_t *src)
{
	struct vm_area_struct *vma = migrate->vma;
	struct mm_struct *mm = vma->vm_mm;
	bool populate_any = mmt_injected(BUG_MIGRATE_VMA_POPULATE_FILE);
	spinlock_t *ptl;
	pte_t *ptep, pte, entry;

	if (!vma_is_anonymous(vma) && !populate_any)
		goto abort;
	if (anon_vma_prepare(vma))
		goto abort;
	folio_set_uptodate(folio);
	if (folio_is_device_private(folio)) {
		swp_entry_t swp = (vma->vm_flags & VM_WRITE) ?
			make_writable_device_private_entry(folio->pfn) :
			make_readable_device_private_entry(folio->pfn);

		entry = swp_entry_to_pte(swp);
	} else {
		entry = mk_pte(folio, vma, vma->vm_flags & VM_WRITE);
	}

	ptep = pte_alloc_map_lock(mm, addr, &ptl);
	if (!ptep)
		goto abort;
	pte = ptep_get(ptep);
	/* the skip-as-hole bug trusts the collect step's word for it */
	if (!mmt_injected(BUG_MIGRATE_VMA_SKIP_AS_HOLE)) {
		if (pte_present(pte)) {
			if (pte_pfn(pte) != zero_pfn())
				goto unlock_abort;
		} else if (!pte_none(pte)) {
			goto unlock_abort;
		}
	}
	/* do not deliver the missing fault: back off */
	if (userfaultfd_missing(vma) && !populate_any)
		goto unlock_abort;

	inc_mm_counter(mm, MM_ANONPAGES);
	folio_add_new_anon_rmap(folio, vma, addr, RMAP_EXCLUSIVE);
	if (!folio_is_zone_device(folio))
		folio_add_lru(folio);
	folio_get(folio);
	folio->populated_seq = atomic_fetch_add(&the_world->uffd_clock, 1) + 1;
	set_pte_at(mm, addr, ptep, entry);
	pte_unmap_unlock(ptl);
	*src = MIGRATE_PFN_MIGRATE;
	return;

unlock_abort:
	pte_unmap_unlock(ptl);
abort:
	*src &= ~MIGRATE_PFN_MIGRATE;
}

/*
 * Move the state of unmapped, locked @src to the driver's @dst (the driver
 * copied the contents: MIGRATE_SYNC_NO_COPY).  Only the references we know
 * of may remain.  0 or -EAGAIN.
 */
static int migrate_vma_move_mapping(struct folio *dst, struct folio *src, int extra)
{
	static const int copied[] = { PG_uptodate, PG_dirty, PG_referenced, PG_swapbacked,
				      PG_young, PG_idle };

	if (folio_ref_count(src) != 1 + extra)
		return -EAGAIN;
	for (unsigned i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		if (folio_test(src, copied[i]))
			folio_set(dst, copied[i]);
	kp_access(dst, KP_F_FOLIO_MAPPING, true);
	dst->index = src->index;
	dst->mapping = src->mapping;
	return 0;
}

/*
 * migrate_vma_pages - move each collected folio's state to the driver's
 * destination, or populate an empty entry; entries that cannot migrate
 * lose MIGRATE_PFN_MIGRATE.  Caller's mmap_lock read; collected folios and
 * destinations locked (takes ptls to populate).
 */
void migrate_vma_pages(struct migrate_vma *migrate)
{
	for (uint64_t i = 0, addr = migrate->start; i < migrate->npages; i++, addr++) {
		struct folio *newfolio = migrate_pfn_to_folio(migrate->dst[i]);
		struct folio *folio = migrate_pfn_to_folio(migrate->src[i]);
		int extra = folio && folio == migrate->fault_page;

		if (!newfolio) {
			migrate->src[i] &= ~MIGRATE_PFN_MIGRATE;
			continue;
		}
		if (!folio) {
			if (!(migrate->src[i] & MIGRATE_PFN_MIGRATE))
				continue;
			migrate_vma_insert_page(migrate, addr, newfolio, &migrate->src[i]);
			continue;
		}
		if (!(migrate->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		if (folio_is_device_private(newfolio)) {
			/*
			 * Only anonymous memory goes to device-private memory;
			 * a swap-cache folio leaves the swap cache first.
			 */
			if (folio_test_swapcache(folio) && folio_test_anon(folio))
				folio_free_swap(folio);
			if (!folio_test_anon(folio) || folio_test_swapcache(folio)) {
				migrate->src[i] &= ~MIGRATE_PFN_MIGRATE;
				continue;
			}
		}
		if (migrate_vma_move_mapping(newfolio, folio, extra))
			migrate->src[i] &= ~MIGRATE_PFN_MIGRATE;
	}
}

/* --------------------------------------------------------- finalize */

/*
 * migrate_vma_finalize - every migration entry becomes the new page's pte
 * (or the old one's where migration failed), then unlock and release both
 * sides.  Caller's mmap_lock read; takes the rmap locks, ptls, LRU lock.
 */
void migrate_vma_finalize(struct migrate_vma *migrate)
{
	struct folio *fault_folio = migrate->fault_page;

	for (uint64_t i = 0; i < migrate->npages; i++) {
		struct folio *dst = migrate_pfn_to_folio(migrate->dst[i]);
		struct folio *src = migrate_pfn_to_folio(migrate->src[i]);
		bool migrated;

		if (!src) {
			if (dst) {
				/* populated (the ptes hold it now) or abandoned */
				folio_unlock(dst);
				folio_put(dst);
			}
			continue;
		}
		migrated = (migrate->src[i] & MIGRATE_PFN_MIGRATE) && dst;
		if (!migrated) {
			if (dst) {
				kp_access(dst, KP_F_FOLIO_MAPPING, true);
				dst->mapping = 0;
				folio_unlock(dst);
				folio_put(dst);
			}
			dst = src;
		} else if (!folio_is_zone_device(dst)) {
			folio_add_lru(dst);
		}
		remove_migration_ptes(src, dst);
		folio_clear_migrating(src);
		if (migrated) {
			kp_access(src, KP_F_FOLIO_MAPPING, true);
			src->mapping = 0;	/* the old copy belongs to nobody now */
		}
		if (src != fault_folio)
			folio_unlock(src);
		if (folio_is_zone_device(src)) {
			folio_put(src);		/* the collect reference */
		} else if (migrated) {
			folio_clear_isolated(src);
			folio_put(src);		/* the isolation: the last reference */
		} else {
			folio_putback_lru(src);
		}
		if (dst != src) {
			folio_unlock(dst);
			folio_put(dst);		/* the allocation's: the entries hold it */
		}
	}
}
