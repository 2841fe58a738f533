/* SPDX-License-Identifier: MIT */
/*
 * memremap.h - device memory: one ZONE_DEVICE pagemap of type
 * MEMORY_DEVICE_PRIVATE, the memory of the in-model HMM device (hmm.h).
 *
 * Device-private frames have struct folios like any frame (pfns right after
 * the zero page), but the CPU cannot address them: a pte never maps one.
 * A process reaches one only through a device-private swap entry
 * (SWP_DEVICE_READ/WRITE, pte.h), and a CPU access to such an entry faults
 * and asks the driver to migrate the page back (migrate_to_ram).
 *
 * Counting rules (REFCOUNT and MAPCOUNT for device folios):
 *   refcount = mapcount                one per device-private entry
 *            + transient refs          migrate_vma's collect reference,
 *                                      the driver's allocation reference,
 *                                      a CPU fault's reference
 * A device folio is never on an LRU, never in the swap cache or page cache
 * and is always anonymous while mapped.  When its last reference goes it
 * is not returned to a node: the pagemap's page_free hands it back to the
 * driver's free list (free_zone_device_folio).
 */
#ifndef MMT_MEMREMAP_H
#define MMT_MEMREMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/folio.h"
#include "mmt/kprim.h"
#include "mmt/list.h"

struct dev_pagemap {
	/*
	 * The driver's free list of device frames (dmirror's mdevice->lock):
	 * a leaf lock, taken from folio_put() under a ptl, so it shares the
	 * node free-list lock's class (LC_ZONE).
	 */
	spinlock_t lock;
	struct list_head free_list;
	uint32_t first_pfn, nr_pages, nr_free;
	uint32_t next_fresh;		/* never handed out: O(used) reset */
	const void *owner;		/* pgmap->owner: which driver may migrate them */
	/* counters the driver keeps, as test_hmm's dmirror does */
	_Atomic uint64_t calloc, cfree;
};

/* the device's pagemap, or NULL if the world has no device frames */
struct dev_pagemap *device_pagemap(void);

/*
 * Allocate a free device frame for the driver: refcount 1, locked (the
 * driver's alloc_and_copy locks every destination, as
 * dmirror_devmem_alloc_page does with zone_device_page_init).  NULL when
 * device memory is exhausted.  Takes the pagemap lock.
 */
struct folio *device_folio_alloc(void);
/*
 * The last reference to a device folio went (folio_put): give the frame
 * back to the driver (pgmap->ops->page_free).  Takes the pagemap lock.
 */
void free_zone_device_folio(struct folio *folio);

#endif /* MMT_MEMREMAP_H */
