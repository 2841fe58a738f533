// SPDX-License-Identifier: MIT
/*
 * device.c - DEVICE (11) and the device-private frames' share of the
 * per-frame clauses.
 *
 *  11.1 a device-private entry names a frame of the device's pagemap
 *       whose folio is allocated (refcount > 0) ......... chk_device_pte
 *  11.2 migrate_vma populates only anonymous VMAs without uffd missing
 *       mode: a folio that migrate_vma_insert_page populated
 *       (folio->populated_seq) lies neither in a file or shmem VMA nor in
 *       a uffd-missing VMA registered before the population
 *       (vm_uffd_seq).  (A device folio that migrated from an anon COW
 *       page of a private file mapping may lie in that VMA.) chk_device_pte
 *  11.3 a device folio is never on an LRU, in the swap cache or in a page
 *       cache ........................................... chk_device_folio
 *  11.4 a mapped device folio is anonymous and its anon_vma is live
 *                                                        chk_device_folio
 *  and for device frames as for any frame: MAPCOUNT 1.1 (mapcount ==
 *  device-private entries), REFCOUNT 2.1 (refcount == entries at
 *  quiescence: no swap cache, page cache or isolation can add one), 2.2
 *  and 2.3 (a free device frame is on the pagemap's free list or never
 *  handed out, and nothing names it), MIGRATION 3.2, EXCLUSIVE 7.2/7.3,
 *  PROT 8.2, and LEAK 13.4 (all device frames free at the end).
 *
 * The DATA clause for device memory is the executor's: every read after a
 * migration to the device and back is judged like any other read.
 */
#include <inttypes.h>

#include "internal.h"

/* 2.2: the pagemap's free list, marked FS_ON_FREE, counted against nr_free */
#define OBJ	"device pagemap"
int chk_device_free_list(struct census *c)
{
	const struct dev_pagemap *pgmap = &the_world->devmem;
	const struct list_head *e;
	uint32_t cnt = 0;
	int v = 0;

	if (!c->nr_device)
		return 0;
	for (e = pgmap->free_list.next; e && e != &pgmap->free_list; e = e->next) {
		struct folio *f = container_of(e, struct folio, lru);
		uint32_t pfn = (uint32_t)(f - the_world->folios);

		if (f < the_world->folios || !chk_device_pfn(c, pfn)) {
			v += chk_viol(INV_DEVICE, OBJ, "free list holds %p, not a device frame",
				      (void *)f);
			break;
		}
		if (fc_at(c, pfn)->state & FS_ON_FREE) {
			v += chk_viol(INV_REFCOUNT, OBJ, "device pfn %u twice on the free list", pfn);
			break;
		}
		fc_at(c, pfn)->state |= FS_ON_FREE;
		if (++cnt > c->nr_device)
			break;
	}
	if (pgmap->next_fresh > pgmap->nr_pages)
		v += chk_viol(INV_REFCOUNT, OBJ, "next_fresh %u beyond its %u frames",
			      pgmap->next_fresh, pgmap->nr_pages);
	else if (pgmap->nr_free != cnt + (pgmap->nr_pages - pgmap->next_fresh))
		v += chk_viol(INV_REFCOUNT, OBJ, "nr_free %u but %u on the free list + %u never "
			      "handed out", pgmap->nr_free, cnt, pgmap->nr_pages - pgmap->next_fresh);
	return v;
}
#undef OBJ

/* 11.1, 11.2 and the counts of one device-private entry, for the pte walk */
void chk_device_pte(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr, swp_entry_t e)
{
	struct census *c = x->c;
	uint64_t pfn = swp_offset(e);
	bool w = is_writable_device_private_entry(e);
	struct frame_census *fc;
	struct folio *f;

	x->rss[MM_ANONPAGES]++;
	if (!chk_device_pfn(c, pfn)) {
		PTE_VIOL(x, addr, INV_DEVICE,
			 "device-private entry names pfn %" PRIu64 ", which is no device frame", pfn);
		return;
	}
	f = &the_world->folios[pfn];
	fc = fc_at(c, (uint32_t)pfn);
	fc->dev++;
	if (w)
		note_writer(fc, x, addr);
	if (folio_ref_count(f) <= 0)
		PTE_VIOL(x, addr, INV_DEVICE,
			 "device-private entry names free device pfn %" PRIu64, pfn);
	if (!vma) {
		PTE_VIOL(x, addr, INV_RMAP, "device-private entry outside any VMA");
		return;
	}
	if (w && !(vma->vm_flags & VM_WRITE))
		PTE_VIOL(x, addr, INV_PROT,
			 "writable device-private entry in VMA [%#" PRIx64 ",%#" PRIx64
			 ") without VM_WRITE", vma->vm_start, vma->vm_end);
	/* an anon COW page of a private file mapping may migrate; a hole may not fill */
	if (!vma_is_anonymous(vma) && f->populated_seq)
		PTE_VIOL(x, addr, INV_DEVICE,
			 "migrate_vma populated pfn %" PRIu64 " in %s VMA [%#" PRIx64 ",%#" PRIx64
			 "): only anonymous VMAs may be populated", pfn,
			 vma->vm_file && vma->vm_file->shmem ? "a shmem" : "a file-backed",
			 vma->vm_start, vma->vm_end);
	else if ((vma->vm_flags & VM_UFFD_MISSING) && f->populated_seq &&
		 f->populated_seq > vma->vm_uffd_seq)
		PTE_VIOL(x, addr, INV_DEVICE,
			 "migrate_vma populated pfn %" PRIu64 " (at %" PRIu64 ") in VMA [%#" PRIx64
			 ",%#" PRIx64 ") registered for uffd missing faults (at %" PRIu64 ")",
			 pfn, f->populated_seq, vma->vm_start, vma->vm_end, vma->vm_uffd_seq);
	if (folio_test_anon(f))
		chk_rmap(x, vma, addr, f, "device-private entry");
}

#define OBJ	chk_objname("device folio pfn %u", pfn)
int chk_device_folio(struct folio *f, struct census *c)
{
	uint32_t pfn = (uint32_t)(f - the_world->folios);
	const struct frame_census *fc = fc_get(c, pfn);
	int ref = folio_ref_count(f), mc = folio_mapcount(f), v = 0;
	unsigned long flags = atomic_load(&f->flags);
	bool anon = folio_test_anon(f);
	uint32_t all = fc->dev + fc->migr;

	/* 1.1 */
	if (mc < 0)
		v += chk_viol(INV_MAPCOUNT, OBJ, "mapcount %d is negative", mc);
	else if ((uint32_t)mc != fc->dev)
		v += chk_viol(INV_MAPCOUNT, OBJ, "mapcount %d but %u device-private entries",
			      mc, fc->dev);
	if (ref == 0) {
		/* 2.2, 2.3 */
		if (!(fc->state & FS_ON_FREE) && pfn - c->dev_first < the_world->devmem.next_fresh)
			v += chk_viol(INV_REFCOUNT, OBJ,
				      "refcount 0 but not on the device's free list");
		if (fc->dev || fc->migr)
			v += chk_viol(INV_REFCOUNT, OBJ, "free device frame is still named by %u "
				      "device entries, %u migration entries", fc->dev, fc->migr);
		if (flags || atomic_load(&f->page.flags) || f->mapping)
			v += chk_viol(INV_REFCOUNT, OBJ, "free device frame keeps flags %#lx "
				      "mapping %#lx", flags, (unsigned long)f->mapping);
		return v;
	}
	if (ref < 0)
		return v + chk_viol(INV_REFCOUNT, OBJ, "refcount %d is negative", ref);
	if (fc->state & FS_ON_FREE)
		v += chk_viol(INV_REFCOUNT, OBJ, "refcount %d but on the device's free list", ref);
	/* 3.2 */
	if (folio_test_locked(f))
		v += chk_viol(INV_MIGRATION, OBJ, "PG_locked at a quiescent point");
	if (folio_test_migrating(f))
		v += chk_viol(INV_MIGRATION, OBJ, "PG_migrating at a quiescent point");
	/* 11.3 */
	if (folio_test_lru(f) || folio_test_isolated(f))
		v += chk_viol(INV_DEVICE, OBJ, "device folio on an LRU (or isolated from one)");
	if (folio_test_swapcache(f))
		v += chk_viol(INV_DEVICE, OBJ, "device folio in the swap cache");
	if (fc->pc_slots || (!anon && f->mapping))
		v += chk_viol(INV_DEVICE, OBJ, "device folio in a page cache");
	/* 2.1 */
	if ((uint32_t)ref != fc->dev)
		v += chk_viol(INV_REFCOUNT, OBJ, "refcount %d but %u device-private entries: %s",
			      ref, fc->dev, (uint32_t)ref > fc->dev ? "a reference leaked" :
			      "a reference is missing");
	/* 11.4, 6.6 */
	if (all && !anon)
		v += chk_viol(INV_DEVICE, OBJ, "mapped device folio is not anonymous");
	else if (all && !pm_live(&c->av, folio_anon_vma(f), NULL))
		v += chk_viol(INV_ANONVMA, OBJ, "mapped device folio points at freed anon_vma %p",
			      (void *)folio_anon_vma(f));
	/* 7.2, 7.3, 8.2 */
	if (test_page_anon_exclusive(&f->page) && all > 1)
		v += chk_viol(INV_EXCLUSIVE, OBJ, "AnonExclusive but mapped %u times", all);
	else if (fc->writers && all > 1)
		v += chk_viol(INV_EXCLUSIVE, OBJ, "writable at mm %u addr %#" PRIx64
			      " but mapped %u times", fc->wr_mm, fc->wr_addr, all);
	if (fc->writers && all > 1)
		v += chk_viol(INV_PROT, OBJ, "COW-shared device page writable: mapped %u times",
			      all);
	return v;
}
#undef OBJ

int chk_device_frames(struct census *c)
{
	uint32_t n = c->bounded ? the_world->devmem.next_fresh : c->nr_device;
	int v = 0;

	if (n > c->nr_device)
		n = c->nr_device;
	for (uint32_t i = 0; i < n; i++)
		v += chk_device_folio(&the_world->folios[c->dev_first + i], c);
	return v;
}

/* 13.4: with every process gone, every device frame is back with the driver */
int chk_device_leaks(struct census *c)
{
	int v = 0;

	for (uint32_t i = 0; i < c->nr_device; i++) {
		const struct folio *f = &the_world->folios[c->dev_first + i];
		int ref = folio_ref_count(f);

		if (ref)
			v += chk_viol(INV_LEAK, chk_objname("device folio pfn %u", f->pfn),
				      "still allocated: refcount %d mapcount %d", ref,
				      folio_mapcount(f));
	}
	return v;
}
