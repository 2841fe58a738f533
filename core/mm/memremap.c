// SPDX-License-Identifier: MIT
/*
 * memremap.c - the device-private pagemap: ZONE_DEVICE frames of type
 * MEMORY_DEVICE_PRIVATE, their allocation by the driver and their return
 * to it when the last reference goes (memremap.h).
 *
 * The kernel gives such a page back through pgmap->ops->page_free when its
 * refcount drops to zero (free_zone_device_folio); test_hmm's
 * dmirror_devmem_free puts it on the device's free list.  The model does
 * the same with the world's one pagemap.
 */
#include <string.h>

#include "mmt/folio.h"
#include "mmt/hmm.h"
#include "mmt/memremap.h"
#include "mmt/mmdebug.h"
#include "mmt/world.h"
#include "internal.h"


struct dev_pagemap *device_pagemap(void)
{
	return the_world->nr_device ? &the_world->devmem : NULL;
}

static void device_frame_init(struct world *w, uint32_t pfn)
{
	struct folio *f = &w->folios[pfn];

	memset(f, 0, sizeof(*f));
	f->pfn = pfn;
	f->nid = 0;
	f->zone_device = true;
	atomic_store(&f->page._mapcount, -1);
	atomic_store(&f->_entire_mapcount, -1);
	f->lockinfo.cls = LC_FOLIO_LOCK;
	INIT_LIST_HEAD(&f->lru);
}

void devmem_init(struct world *w)
{
	struct dev_pagemap *pgmap = &w->devmem;

	pgmap->first_pfn = w->nr_frames + 1;
	pgmap->nr_pages = w->nr_device;
	pgmap->owner = dmirror_owner;
	for (uint32_t i = 0; i < w->nr_device; i++)
		device_frame_init(w, pgmap->first_pfn + i);
	devmem_reset(w);
}

/* the world is quiescent: only the frames ever handed out need rewinding */
void devmem_reset(struct world *w)
{
	struct dev_pagemap *pgmap = &w->devmem;

	for (uint32_t i = 0; i < pgmap->next_fresh; i++)
		device_frame_init(w, pgmap->first_pfn + i);
	pgmap->next_fresh = 0;
	pgmap->nr_free = pgmap->nr_pages;
	INIT_LIST_HEAD(&pgmap->free_list);
	atomic_store(&pgmap->calloc, 0);
	atomic_store(&pgmap->cfree, 0);
}

struct folio *device_folio_alloc(void)
{
	struct dev_pagemap *pgmap = device_pagemap();
	struct folio *f = NULL;

	if (!pgmap)
		return NULL;
	spin_lock(&pgmap->lock);
	if (!list_empty(&pgmap->free_list)) {
		f = list_first_entry(&pgmap->free_list, struct folio, lru);
		list_del_init(&f->lru);
	} else if (pgmap->next_fresh < pgmap->nr_pages) {
		f = &the_world->folios[pgmap->first_pfn + pgmap->next_fresh++];
	}
	if (f)
		pgmap->nr_free--;
	spin_unlock(&pgmap->lock);
	if (!f)
		return NULL;
	folio_init_fresh(f);
	/* zone_device_folio_init: referenced and locked for the migration */
	if (!folio_trylock(f))
		mmt_bug(INV_DEVICE, __FILE__, __LINE__, "folio_trylock",
			"free device folio pfn %u is locked", f->pfn);
	atomic_fetch_add(&pgmap->calloc, 1);
	return f;
}

void free_zone_device_folio(struct folio *f)
{
	struct dev_pagemap *pgmap = &the_world->devmem;

	VM_BUG_ON(folio_mapped(f), INV_MAPCOUNT, "device folio pfn %u freed while mapped %d times",
		  f->pfn, folio_mapcount(f));
	VM_BUG_ON(folio_test_locked(f), INV_REFCOUNT, "device folio pfn %u freed while locked",
		  f->pfn);
	VM_BUG_ON(folio_test_lru(f) || folio_test_swapcache(f), INV_DEVICE,
		  "device folio pfn %u freed on an LRU or in the swap cache", f->pfn);
	atomic_store(&f->flags, 0);
	atomic_store(&f->page.flags, 0);
	kp_access(f, KP_F_FOLIO_MAPPING, true);
	f->mapping = 0;
	f->private = 0;
	f->populated_seq = 0;
	atomic_store(&f->value, 0);
	spin_lock(&pgmap->lock);
	list_add(&f->lru, &pgmap->free_list);
	pgmap->nr_free++;
	spin_unlock(&pgmap->lock);
	atomic_fetch_add(&pgmap->cfree, 1);
}
