// SPDX-License-Identifier: MIT
/*
 * world.c - the simulated machine: frames on nodes, folio lifetime, the LRU,
 * object pools, and building/resetting/destroying a world.
 *
 * Everything is preallocated when the world is built.  Pools and node free
 * lists hand out never-used objects from a bump pointer before recycling
 * freed ones, so that world_reset() only has to rewind what was touched:
 * a fuzzer resets between inputs in time proportional to the last input.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/folio.h"
#include "mmt/huge_mm.h"
#include "mmt/inject.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/world.h"
#include "internal.h"

struct world *the_world;

void world_config_default(struct world_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nodes = WORLD_DEFAULT_NODES;
	cfg->frames = WORLD_DEFAULT_FRAMES;
	cfg->swap = WORLD_DEFAULT_SWAP;
	cfg->max_mms = 64;
	cfg->max_vmas = 1024;
	cfg->max_pgtables = 4096;
	cfg->device = WORLD_DEFAULT_DEVICE;
}

/* ------------------------------------------------------------ pools */

/* the pgdir pool's capacity: see world_config.max_pgtables */
static uint32_t world_max_pgdirs(const struct world_config *cfg)
{
	return cfg->max_pgtables / 8 > 2 ? cfg->max_pgtables / 8 : 2;
}

/*
 * Each pool keeps a byte per object saying whether it is allocated: the
 * ANONVMA and LEAK checks need "is this pointer a live object", and a reset
 * clears only the bytes of objects ever handed out.
 */
static int pool_init(struct pool *p, const char *name, uint32_t objsize, uint32_t cap)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->objsize = (objsize + 15) & ~15u;
	p->cap = cap;
	p->base = calloc(cap, p->objsize);
	if (!p->base)
		return -ENOMEM;
	p->used = calloc(cap, 1);
	if (!p->used)
		return -ENOMEM;
	spin_lock_init(&p->lock, LC_POOL);
	return 0;
}

/* An object off @p's free list or fresh, or NULL when full; the pool's lock held. */
static char *pool_take(struct pool *p, bool *fresh)
{
	char *obj = NULL;

	*fresh = false;
	if (p->free_list) {
		obj = p->free_list;
		p->free_list = *(void **)(obj + p->link_off);
	} else if (p->next_fresh < p->cap) {
		obj = p->base + (size_t)p->next_fresh++ * p->objsize;
		*fresh = true;
	}
	if (obj) {
		p->nr_used++;
		p->used[pool_index(p, obj)] = 1;
	}
	return obj;
}

/* @obj back on @p's free list; the pool's lock held. */
static void pool_put(struct pool *p, void *obj)
{
	p->used[pool_index(p, obj)] = 0;
	*(void **)((char *)obj + p->link_off) = p->free_list;
	p->free_list = obj;
	p->nr_used--;
}

static void *__pool_alloc(struct pool *p, bool *fresh)
{
	char *obj;

	spin_lock(&p->lock);
	obj = pool_take(p, fresh);
	spin_unlock(&p->lock);
	return obj;
}

void *pool_alloc(struct pool *p)
{
	bool fresh;
	char *obj = __pool_alloc(p, &fresh);

	if (obj)
		memset(obj, 0, p->objsize);
	return obj;
}

void *pool_alloc_typesafe(struct pool *p, bool *fresh)
{
	VM_BUG_ON(!p->typesafe, INV_BUG, "%s pool is not typesafe", p->name);
	return __pool_alloc(p, fresh);
}

/* VM_BUG_ON for freeing what is not allocated; then poison it */
static void pool_poison(struct pool *p, void *obj)
{
	uint32_t idx = pool_index(p, obj);

	VM_BUG_ON(!p->used[idx], INV_LEAK, "%s object %u", p->name, idx);
	if (!p->typesafe)
		memset(obj, 0x6b, p->objsize);	/* POISON_FREE: use-after-free shows */
}

void pool_free(struct pool *p, void *obj)
{
	pool_poison(p, obj);
	spin_lock(&p->lock);
	pool_put(p, obj);
	spin_unlock(&p->lock);
}

void *pool_alloc_pair(struct pool *p, struct pool *q, void **second)
{
	bool fresh;
	char *obj, *obj2 = NULL;

	spin_lock(&p->lock);
	obj = pool_take(p, &fresh);
	if (obj) {
		obj2 = pool_take(q, &fresh);
		if (!obj2) {
			pool_put(p, obj);
			obj = NULL;
		}
	}
	spin_unlock(&p->lock);
	if (obj) {
		memset(obj, 0, p->objsize);
		memset(obj2, 0, q->objsize);
	}
	*second = obj2;
	return obj;
}

void pool_free_pair(struct pool *p, void *obj, struct pool *q, void *second)
{
	pool_poison(p, obj);
	pool_poison(q, second);
	spin_lock(&p->lock);
	pool_put(q, second);
	pool_put(p, obj);
	spin_unlock(&p->lock);
}

uint32_t pool_index(const struct pool *p, const void *obj)
{
	return (uint32_t)(((const char *)obj - p->base) / p->objsize);
}

bool pool_owns(const struct pool *p, const void *obj)
{
	const char *o = obj;

	if (o < p->base || o >= p->base + (size_t)p->cap * p->objsize)
		return false;
	if ((size_t)(o - p->base) % p->objsize)
		return false;
	return p->used[pool_index(p, obj)] != 0;
}

void pool_for_each_used(struct pool *p, void (*fn)(void *obj, void *arg), void *arg)
{
	uint8_t *used = p->used;

	for (uint32_t i = 0; i < p->next_fresh; i++)
		if (used[i])
			fn(p->base + (size_t)i * p->objsize, arg);
}

static void pool_reset(struct pool *p)
{
	memset(p->used, 0, p->next_fresh);
	p->next_fresh = 0;
	p->nr_used = 0;
	p->free_list = NULL;
}

static void pool_destroy(struct pool *p)
{
	free(p->used);
	p->used = NULL;
	spin_lock_destroy(&p->lock);
	free(p->base);
	p->base = NULL;
}

/* ------------------------------------------------------------ frames */

struct folio *pfn_folio(uint64_t pfn)
{
	struct world *w = the_world;

	if (pfn > (uint64_t)w->nr_frames + w->nr_device &&
	    (pfn < w->huge_zero_pfn || pfn >= (uint64_t)w->huge_zero_pfn + HPAGE_PMD_NR))
		return NULL;
	return &w->folios[pfn];
}

uint64_t folio_pfn(const struct folio *f) { return f->pfn; }
uint32_t nr_frames_total(void) { return the_world->nr_frames; }
struct folio *zero_folio(void) { return &the_world->folios[the_world->nr_frames]; }
uint64_t zero_pfn(void) { return the_world->nr_frames; }
struct folio *huge_zero_folio(void) { return &the_world->folios[the_world->huge_zero_pfn]; }
uint64_t huge_zero_pfn(void) { return the_world->huge_zero_pfn; }

void page_anon_exclusive_bug(const struct page *p)
{
	struct folio *f = page_folio(p);

	VM_BUG_ON(!folio_test_anon(f), INV_BUG, "PageAnonExclusive(pfn %u) of %s %u",
		  page_frame(p)->pfn, is_huge_zero_folio(f) ? "the huge zero folio" :
		  is_zero_folio(f) ? "the zero page" : "non-anon folio", f->pfn);
}

void folio_init_fresh(struct folio *f)
{
	atomic_store(&f->flags, 0);
	atomic_store(&f->_refcount, 1);
	atomic_store(&f->page._mapcount, -1);
	atomic_store(&f->page.flags, 0);
	atomic_store(&f->_entire_mapcount, -1);
	atomic_store(&f->_large_mapcount, -1);
	atomic_store(&f->_nr_pages_mapped, 0);
	atomic_store(&f->_pincount, 0);
	f->order = 0;
	f->tail_off = 0;
	f->mapping = 0;
	f->index = 0;
	f->private = 0;
	atomic_store(&f->value, 0);
	f->lru_seq = 0;
	f->migrate_dst = 0;
	f->populated_seq = 0;
	f->migrated_partial = false;
	INIT_LIST_HEAD(&f->lru);
	INIT_LIST_HEAD(&f->_deferred_list);
	atomic_store(&f->lockinfo.owner, NULL);
	atomic_store(&f->lockinfo.readers, 0);
}

static struct folio *node_alloc(struct pglist_data *pgdat)
{
	struct folio *f = NULL;

	spin_lock(&pgdat->lock);
	if (!list_empty(&pgdat->free_list)) {
		f = list_first_entry(&pgdat->free_list, struct folio, lru);
		list_del_init(&f->lru);
		f->buddy = false;
	} else if (pgdat->next_fresh < pgdat->nr_frames) {
		f = &the_world->folios[pgdat->first_pfn + pgdat->next_fresh++];
	}
	if (f)
		pgdat->nr_free--;
	spin_unlock(&pgdat->lock);
	if (f)
		folio_init_fresh(f);
	return f;
}

struct folio *folio_alloc(int nid, bool exact)
{
	struct world *w = the_world;
	struct folio *f;

	if (nid < 0 || nid >= w->nr_nodes)
		nid = 0;
	f = node_alloc(&w->node[nid]);
	if (f || exact)
		return f;
	for (int i = 1; i < w->nr_nodes && !f; i++)
		f = node_alloc(&w->node[(nid + i) % w->nr_nodes]);
	return f;
}

/*
 * folio_alloc_order - first fit over @nid's naturally aligned runs of
 * 2^@order frames that are all free (on the free list, or never handed out).
 * Frames the bump pointer skips on the way go to the free list.  Takes the
 * node's LC_ZONE lock.
 */
struct folio *folio_alloc_order(int nid, unsigned order)
{
	struct world *w = the_world;
	struct pglist_data *pgdat;
	uint32_t nr = 1u << order, base, i;
	struct folio *head = NULL;

	if (!order)
		return folio_alloc(nid, true);
	if (nid < 0 || nid >= w->nr_nodes)
		nid = 0;
	pgdat = &w->node[nid];
	spin_lock(&pgdat->lock);
	for (base = (pgdat->first_pfn + nr - 1) & ~(nr - 1);
	     base + nr <= pgdat->first_pfn + pgdat->nr_frames; base += nr) {
		uint32_t idx = base - pgdat->first_pfn;

		for (i = 0; i < nr; i++)
			if (idx + i < pgdat->next_fresh && !w->folios[base + i].buddy)
				break;
		if (i < nr)
			continue;
		for (i = 0; i < nr; i++) {
			struct folio *f = &w->folios[base + i];

			if (idx + i < pgdat->next_fresh) {
				list_del_init(&f->lru);
				f->buddy = false;
			}
		}
		while (pgdat->next_fresh < idx) {
			struct folio *f = &w->folios[pgdat->first_pfn + pgdat->next_fresh++];

			f->buddy = true;
			list_add(&f->lru, &pgdat->free_list);
		}
		if (pgdat->next_fresh < idx + nr)
			pgdat->next_fresh = idx + nr;
		pgdat->nr_free -= nr;
		head = &w->folios[base];
		break;
	}
	spin_unlock(&pgdat->lock);
	if (!head)
		return NULL;
	folio_init_fresh(head);
	head->order = (uint8_t)order;
	for (i = 1; i < nr; i++) {
		struct folio *t = head + i;

		folio_init_fresh(t);
		atomic_store(&t->_refcount, 0);
		t->tail_off = (uint16_t)i;
	}
	return head;
}

/*
 * folio_unqueue_deferred_split - take a large folio off its node's deferred
 * split queue.  Only safe once its refcount is zero (freeing) or frozen
 * (split): with a reference, the folio may sit on deferred_split_scan's
 * private list, which split_queue_lock does not protect (f8f931bba0f9).
 * Takes the node's split_queue_lock.
 */
bool folio_unqueue_deferred_split(struct folio *f)
{
	struct pglist_data *pgdat = &the_world->node[f->nid];
	bool unqueued = false;

	if (!folio_has_deferred_list(f))
		return false;
	VM_BUG_ON(folio_ref_count(f), INV_REFCOUNT, "folio pfn %u unqueued from the deferred "
		  "split queue with refcount %d", f->pfn, folio_ref_count(f));
	/*
	 * The kernel peeks at list_empty() without the lock first (a
	 * data_race()); the model always locks, so that a racing scan's
	 * list_del_init of a folio it lost to this free is no data race.
	 */
	spin_lock(&pgdat->split_queue_lock);
	if (!list_empty(&f->_deferred_list)) {
		__atomic_fetch_sub(&pgdat->split_queue_len, 1, __ATOMIC_RELAXED);	/* WRITE_ONCE */
		list_del_init(&f->_deferred_list);
		unqueued = true;
	}
	spin_unlock(&pgdat->split_queue_lock);
	return unqueued;
}

static void free_frame(struct folio *f)
{
	struct pglist_data *pgdat = &the_world->node[f->nid];
	uint32_t nr = 1u << f->order;

	VM_BUG_ON(folio_mapped(f), INV_MAPCOUNT,
		  "folio pfn %u freed while mapped %d times", f->pfn, folio_mapcount(f));
	VM_BUG_ON(folio_test_swapcache(f), INV_SWAPMAP,
		  "folio pfn %u freed while in the swap cache", f->pfn);
	VM_BUG_ON(folio_test_locked(f), INV_REFCOUNT, "folio pfn %u freed while locked", f->pfn);
	if (folio_test_lru(f))
		folio_del_lru(f);
	/* refcount 0: no deferred_split_scan can hold it on its private list */
	folio_unqueue_deferred_split(f);
	if (folio_test_ksm(f))
		ksm_note_folio_freed(f);
	atomic_store(&f->flags, 0);
	f->mapping = 0;
	f->private = 0;
	f->order = 0;
	spin_lock(&pgdat->lock);
	for (uint32_t i = 0; i < nr; i++) {
		struct folio *t = f + i;

		VM_BUG_ON(page_mapcount(&t->page), INV_MAPCOUNT,
			  "folio pfn %u freed while page %u is mapped", f->pfn, i);
		atomic_store(&t->page.flags, 0);
		t->tail_off = 0;
		t->buddy = true;
		list_add(&t->lru, &pgdat->free_list);
	}
	pgdat->nr_free += nr;
	spin_unlock(&pgdat->lock);
}

void folio_get(struct folio *f)
{
	int old;

	if (folio_test_reserved(f))	/* either zero folio */
		return;
	kp_access(f, KP_F_FOLIO_REF, true);
	old = atomic_fetch_add(&f->_refcount, 1);
	VM_BUG_ON(old <= 0, INV_REFCOUNT, "folio pfn %u: get on a free folio", f->pfn);
}

bool folio_try_get(struct folio *f)
{
	int old = atomic_load(&f->_refcount);

	kp_access(f, KP_F_FOLIO_REF, true);
	while (old > 0)
		if (atomic_compare_exchange_weak(&f->_refcount, &old, old + 1))
			return true;
	return false;
}

void folio_put_refs(struct folio *f, int nr)
{
	int old;

	if (folio_test_reserved(f))	/* either zero folio */
		return;
	kp_access(f, KP_F_FOLIO_REF, true);
	old = atomic_fetch_sub(&f->_refcount, nr);
	VM_BUG_ON(old < nr, INV_REFCOUNT, "folio pfn %u: refcount underflow (%d - %d)",
		  f->pfn, old, nr);
	if (old == nr) {
		if (folio_is_zone_device(f))
			free_zone_device_folio(f);
		else
			free_frame(f);
	}
}

void folio_put(struct folio *f) { folio_put_refs(f, 1); }

void free_frozen_folio(struct folio *f)
{
	VM_BUG_ON(atomic_load(&f->_refcount) != 0, INV_REFCOUNT,
		  "folio pfn %u: freed as frozen with refcount %d", f->pfn,
		  atomic_load(&f->_refcount));
	free_frame(f);
}

void folio_lock(struct folio *f)
{
	kp_bit_lock(&f->flags, PG_locked, &f->lockinfo);
}

bool folio_trylock(struct folio *f)
{
	return kp_bit_trylock(&f->flags, PG_locked, &f->lockinfo);
}

void folio_unlock(struct folio *f)
{
	VM_BUG_ON(!folio_test_locked(f), INV_BUG, "folio pfn %u unlocked twice", f->pfn);
	kp_bit_unlock(&f->flags, PG_locked, &f->lockinfo);
}

void folio_wait_locked(struct folio *f)
{
	kp_bit_wait(&f->flags, PG_locked);
}

/* ---------------------------------------------------------------- LRU */

void folio_add_lru(struct folio *f)
{
	struct pglist_data *pgdat = &the_world->node[f->nid];

	spin_lock(&pgdat->lru_lock);
	VM_BUG_ON(folio_test_lru(f), INV_BUG, "folio pfn %u already on the LRU", f->pfn);
	f->lru_seq = atomic_fetch_add(&the_world->lru_clock, 1) + 1;
	folio_set_lru(f);
	list_add_tail(&f->lru, &pgdat->lru);
	spin_unlock(&pgdat->lru_lock);
}

bool folio_isolate_lru(struct folio *f)
{
	struct pglist_data *pgdat = &the_world->node[f->nid];
	bool ret = false;

	spin_lock(&pgdat->lru_lock);
	/*
	 * Reclaim finds folios through the LRU without holding a reference, so
	 * the last reference may be on its way out: only a folio that is still
	 * referenced can be isolated (the kernel's folio_try_get in
	 * isolate_lru_folios).
	 */
	if (folio_test_lru(f) && folio_try_get(f)) {
		folio_clear_lru(f);
		list_del_init(&f->lru);
		folio_set_isolated(f);
		ret = true;
	}
	spin_unlock(&pgdat->lru_lock);
	return ret;
}

void folio_putback_lru(struct folio *f)
{
	folio_clear_isolated(f);
	folio_add_lru(f);
	folio_put(f);
}

void folio_del_lru(struct folio *f)
{
	struct pglist_data *pgdat = &the_world->node[f->nid];

	spin_lock(&pgdat->lru_lock);
	if (folio_test_lru(f)) {
		folio_clear_lru(f);
		list_del_init(&f->lru);
	}
	spin_unlock(&pgdat->lru_lock);
}

void folio_mark_accessed(struct folio *f)
{
	folio_set(f, PG_referenced);
}

int mm_counter(const struct folio *folio)
{
	struct address_space *m;

	if (folio_test_anon(folio))
		return MM_ANONPAGES;
	m = folio_mapping(folio);
	if (m && m->shmem)
		return MM_SHMEMPAGES;
	return MM_FILEPAGES;
}

/* ------------------------------------------------------ world lifetime */

static void init_frames(struct world *w)
{
	uint32_t per = w->nr_frames / (uint32_t)w->nr_nodes;
	uint32_t pfn = 0;

	for (int n = 0; n < w->nr_nodes; n++) {
		struct pglist_data *pgdat = &w->node[n];

		pgdat->node_id = n;
		pgdat->first_pfn = pfn;
		pgdat->nr_frames = (n == w->nr_nodes - 1) ? w->nr_frames - pfn : per;
		pgdat->nr_free = pgdat->nr_frames;
		pgdat->next_fresh = 0;
		INIT_LIST_HEAD(&pgdat->free_list);
		INIT_LIST_HEAD(&pgdat->lru);
		INIT_LIST_HEAD(&pgdat->split_queue);
		pgdat->split_queue_len = 0;
		for (uint32_t i = 0; i < pgdat->nr_frames; i++) {
			struct folio *f = &w->folios[pfn + i];

			memset(f, 0, sizeof(*f));
			f->pfn = pfn + i;
			f->nid = (uint8_t)n;
			atomic_store(&f->page._mapcount, -1);
			atomic_store(&f->_entire_mapcount, -1);
			f->lockinfo.cls = LC_FOLIO_LOCK;
			INIT_LIST_HEAD(&f->lru);
			INIT_LIST_HEAD(&f->_deferred_list);
		}
		pfn += pgdat->nr_frames;
	}
}

static void init_zero_folio(struct world *w)
{
	struct folio *z = &w->folios[w->nr_frames];

	memset(z, 0, sizeof(*z));
	z->pfn = w->nr_frames;
	atomic_store(&z->_refcount, 1);
	atomic_store(&z->page._mapcount, -1);
	atomic_store(&z->_entire_mapcount, -1);
	atomic_store(&z->flags, (1ul << PG_reserved) | (1ul << PG_uptodate));
	z->lockinfo.cls = LC_FOLIO_LOCK;
	INIT_LIST_HEAD(&z->lru);

	/*
	 * The huge zero folio: HPAGE_PMD_NR zeroed frames past the device's,
	 * at an aligned pfn (a huge pmd maps an aligned run), made once, like
	 * the persistent one (CONFIG_PERSISTENT_HUGE_ZERO_FOLIO): reserved, so
	 * that no reference or mapcount is ever taken on it.
	 */
	z = &w->folios[w->huge_zero_pfn];
	for (uint32_t i = 0; i < HPAGE_PMD_NR; i++) {
		struct folio *t = z + i;

		memset(t, 0, sizeof(*t));
		t->pfn = w->huge_zero_pfn + i;
		atomic_store(&t->tail_off, (uint16_t)i);
		atomic_store(&t->page._mapcount, -1);
		atomic_store(&t->_entire_mapcount, -1);
		t->lockinfo.cls = LC_FOLIO_LOCK;
		INIT_LIST_HEAD(&t->lru);
		INIT_LIST_HEAD(&t->_deferred_list);
	}
	z->order = HPAGE_PMD_ORDER;
	atomic_store(&z->_refcount, 1);
	atomic_store(&z->_large_mapcount, -1);
	atomic_store(&z->flags, (1ul << PG_reserved) | (1ul << PG_uptodate));
}

struct world *world_create(const struct world_config *cfg_in)
{
	struct world_config cfg;
	struct world *w;

	if (cfg_in)
		cfg = *cfg_in;
	else
		world_config_default(&cfg);
	if (cfg.nodes < 1 || cfg.nodes > MMT_MAX_NODES || cfg.frames < (uint32_t)cfg.nodes ||
	    cfg.frames > (1u << 24) || cfg.device > (1u << 20) || !cfg.max_mms || !cfg.max_vmas || !cfg.max_pgtables)
		return NULL;

	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->cfg = cfg;
	w->nr_nodes = cfg.nodes;
	w->nr_frames = cfg.frames;
	w->nr_device = cfg.device;
	w->huge_zero_pfn = (cfg.frames + 1 + cfg.device + HPAGE_PMD_NR - 1) & ~(uint32_t)(HPAGE_PMD_NR - 1);
	w->folios = calloc((size_t)w->huge_zero_pfn + HPAGE_PMD_NR, sizeof(struct folio));
	if (!w->folios)
		goto fail;
	for (int n = 0; n < MMT_MAX_NODES; n++) {
		spin_lock_init(&w->node[n].lock, LC_ZONE);
		spin_lock_init(&w->node[n].lru_lock, LC_LRU);
		spin_lock_init(&w->node[n].split_queue_lock, LC_SPLIT_QUEUE);
	}
	init_frames(w);
	init_zero_folio(w);
	spin_lock_init(&w->devmem.lock, LC_ZONE);
	devmem_init(w);

	if (pool_init(&w->mm_pool, "mm", sizeof(struct mm_struct), cfg.max_mms) ||
	    pool_init(&w->vma_pool, "vma", sizeof(struct vm_area_struct), cfg.max_vmas) ||
	    pool_init(&w->anon_vma_pool, "anon_vma", sizeof(struct anon_vma), cfg.max_vmas) ||
	    pool_init(&w->avc_pool, "anon_vma_chain", sizeof(struct anon_vma_chain),
		      cfg.max_vmas * 4) ||
	    pool_init(&w->pgtable_pool, "pgtable", sizeof(struct pgtable), cfg.max_pgtables) ||
	    pool_init(&w->pgdir_pool, "pgdir", PTRS_PER_PMD * sizeof(struct pgtable *),
		      world_max_pgdirs(&cfg)) ||
	    pool_init(&w->mapping_pool, "address_space", sizeof(struct address_space),
		      cfg.max_mms + 1) ||
	    pool_init(&w->rmap_item_pool, "ksm_rmap_item", sizeof(struct ksm_rmap_item),
		      cfg.frames * 2) ||
	    pool_init(&w->stable_node_pool, "ksm_stable_node", sizeof(struct ksm_stable_node),
		      cfg.frames) ||
	    pool_init(&w->mm_slot_pool, "ksm_mm_slot", sizeof(struct ksm_mm_slot), cfg.max_mms) ||
	    pool_init(&w->khugepaged_slot_pool, "khugepaged_mm_slot",
		      sizeof(struct khugepaged_mm_slot), cfg.max_mms))
		goto fail;
	/* anon_vma_cachep is SLAB_TYPESAFE_BY_RCU (rmap.c anon_vma_free) */
	w->anon_vma_pool.typesafe = true;
	w->anon_vma_pool.link_off = offsetof(struct anon_vma, slab_link);
	ksm_init(&w->ksm);
	khugepaged_init(&w->khugepaged);

	spin_lock_init(&w->swap_lock, LC_SWAP_LOCK);
	for (int t = 0; t < (1 << MAX_SWAPFILES_SHIFT); t++) {
		w->swap_info[t].type = t;
		spin_lock_init(&w->swap_info[t].lock, LC_SWAP_INFO);
		/* a reference count in the kernel (percpu_ref), not a lock: no lock class */
		init_rwsem(&w->swap_info[t].users, LC_NONE);
	}
	spin_lock_init(&w->mmlist_lock, LC_MMLIST);
	spin_lock_init(&w->pins.lock, LC_GUP_PINS);
	INIT_LIST_HEAD(&w->mmlist);

	the_world = w;
	if (mapping_pcache_init(w))
		goto fail;
	w->memfd = mapping_alloc(false);
	if (!w->memfd)
		goto fail;
	return w;
fail:
	world_destroy(w);
	return NULL;
}

/* drop every swap device without looking at ptes (the world is being reset) */
static void swap_forget_all(struct world *w)
{
	for (int t = 0; t < (1 << MAX_SWAPFILES_SHIFT); t++) {
		struct swap_info_struct *si = &w->swap_info[t];

		free(si->swap_map);
		free(si->cache);
		free(si->slot_value);
		for (int k = 0; k < si->nr_cont; k++) {
			free(si->cont[k]);
			si->cont[k] = NULL;
		}
		si->nr_cont = 0;
		si->swap_map = NULL;
		si->cache = NULL;
		si->slot_value = NULL;
		si->flags = 0;
		si->max = 0;
		si->inuse_pages = 0;
		si->id = 0;
		si->cluster_next = 0;
	}
	w->nr_swapfiles = 0;
}

static void reinit_locks(struct world *w)
{
	/*
	 * After an aborted run, locks may be marked held by tasks that no longer
	 * exist.  The pthread objects were never touched in sched mode, so only
	 * the bookkeeping needs clearing.
	 */
	for (int t = 0; t < (1 << MAX_SWAPFILES_SHIFT); t++) {
		atomic_store(&w->swap_info[t].lock.li.owner, NULL);
		atomic_store(&w->swap_info[t].users.li.owner, NULL);
		atomic_store(&w->swap_info[t].users.li.readers, 0);
	}
	atomic_store(&w->swap_lock.li.owner, NULL);
	atomic_store(&w->mmlist_lock.li.owner, NULL);
	atomic_store(&w->devmem.lock.li.owner, NULL);
	atomic_store(&w->pins.lock.li.owner, NULL);
	for (int n = 0; n < MMT_MAX_NODES; n++) {
		atomic_store(&w->node[n].lock.li.owner, NULL);
		atomic_store(&w->node[n].lru_lock.li.owner, NULL);
		atomic_store(&w->node[n].split_queue_lock.li.owner, NULL);
	}
}

void world_reset(struct world *w)
{
	the_world = w;
	reinit_locks(w);
	for (int n = 0; n < w->nr_nodes; n++) {
		struct pglist_data *pgdat = &w->node[n];

		for (uint32_t i = 0; i < pgdat->next_fresh; i++) {
			struct folio *f = &w->folios[pgdat->first_pfn + i];

			memset(f, 0, sizeof(*f));
			f->pfn = pgdat->first_pfn + i;
			f->nid = (uint8_t)n;
			atomic_store(&f->page._mapcount, -1);
			atomic_store(&f->_entire_mapcount, -1);
			f->lockinfo.cls = LC_FOLIO_LOCK;
			INIT_LIST_HEAD(&f->lru);
			INIT_LIST_HEAD(&f->_deferred_list);
		}
		pgdat->next_fresh = 0;
		pgdat->nr_free = pgdat->nr_frames;
		INIT_LIST_HEAD(&pgdat->free_list);
		INIT_LIST_HEAD(&pgdat->lru);
		INIT_LIST_HEAD(&pgdat->split_queue);
		pgdat->split_queue_len = 0;
	}
	init_zero_folio(w);
	devmem_reset(w);
	gup_pins_reset(&w->pins);
	atomic_store(&w->lru_clock, 0);
	atomic_store(&w->uffd_clock, 0);
	atomic_store(&w->page_idle_cursor, 0);
	for (int o = 0; o < 8; o++)
		atomic_store(&w->mthp_fault_alloc[o], 0);
	swap_forget_all(w);
	INIT_LIST_HEAD(&w->mmlist);
	mapping_pcache_reset(w);
	pool_reset(&w->mm_pool);
	pool_reset(&w->vma_pool);
	pool_reset(&w->anon_vma_pool);
	pool_reset(&w->avc_pool);
	pool_reset(&w->pgtable_pool);
	pool_reset(&w->pgdir_pool);
	pool_reset(&w->mapping_pool);
	pool_reset(&w->rmap_item_pool);
	pool_reset(&w->stable_node_pool);
	pool_reset(&w->mm_slot_pool);
	ksm_reset(&w->ksm);
	pool_reset(&w->khugepaged_slot_pool);
	khugepaged_reset(&w->khugepaged);
	atomic_store(&w->next_id, 0);
	w->memfd = mapping_alloc(false);
	VM_BUG_ON(!w->memfd, INV_BUG, "world reset: memfd");
}

void world_destroy(struct world *w)
{
	if (!w)
		return;
	swap_forget_all(w);
	for (int t = 0; t < (1 << MAX_SWAPFILES_SHIFT); t++)
		destroy_rwsem(&w->swap_info[t].users);
	mapping_pcache_free(w);
	pool_destroy(&w->mm_pool);
	pool_destroy(&w->vma_pool);
	pool_destroy(&w->anon_vma_pool);
	pool_destroy(&w->avc_pool);
	pool_destroy(&w->pgtable_pool);
	pool_destroy(&w->pgdir_pool);
	pool_destroy(&w->mapping_pool);
	pool_destroy(&w->rmap_item_pool);
	pool_destroy(&w->stable_node_pool);
	pool_destroy(&w->mm_slot_pool);
	if (w->ksm.mm_head.mm_list.next)
		ksm_destroy(&w->ksm);
	pool_destroy(&w->khugepaged_slot_pool);
	if (w->khugepaged.mm_head.next)
		khugepaged_destroy(&w->khugepaged);
	free(w->folios);
	free(w);
	if (the_world == w)
		the_world = NULL;
}

static void for_each_mm_cb(void *obj, void *arg)
{
	void **a = arg;
	void (*fn)(struct mm_struct *, void *) = (void (*)(struct mm_struct *, void *))a[0];

	fn(obj, a[1]);
}

void world_for_each_mm(void (*fn)(struct mm_struct *mm, void *arg), void *arg)
{
	void *a[2] = { (void *)fn, arg };

	pool_for_each_used(&the_world->mm_pool, for_each_mm_cb, a);
}
