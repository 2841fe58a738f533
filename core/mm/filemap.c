// SPDX-License-Identifier: MIT
/*
 * filemap.c - address_space objects and their page cache.
 *
 * Two kinds of object are mapped by non-anonymous VMAs: the run's memfd
 * (every MAP_SHARED or MAP_PRIVATE file mapping, at file offset = the page
 * number it was mapped at, as realkernel.py maps its memfd) and shmem
 * objects (one per MAP_SHARED|MAP_ANONYMOUS mmap, shared across fork).  Both
 * are tmpfs-like: a page exists once touched and stays until truncated.
 * Both have a size (i_size): a shmem object is born with its mmap's length
 * and keeps it; the memfd starts empty and each file mmap extends it to
 * cover the range it maps, as realkernel.py ftruncates its memfd before
 * each mmap (the language's rule).  A fault past i_size is SIGBUS.
 *
 * All page caches share one hash table (linear probing, deletion by
 * backward shift) sized for every frame of the world.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/folio.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/world.h"
#include "internal.h"

static uint64_t pc_key(const struct address_space *m, uint64_t index)
{
	return (((uint64_t)m->id << 32) | (index & 0xffffffffull)) + 1;
}

static uint32_t pc_hash(const struct world *w, uint64_t key)
{
	key ^= key >> 31;
	key *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(key >> 32) & (w->pc_cap - 1);
}

int mapping_pcache_init(struct world *w)
{
	uint32_t cap = 16;

	while (cap < 2 * w->nr_frames)
		cap <<= 1;
	w->pc_cap = cap;
	w->pc_key = calloc(cap, sizeof(*w->pc_key));
	w->pc_folio = calloc(cap, sizeof(*w->pc_folio));
	w->pc_used = calloc(cap / 64 + 1, sizeof(*w->pc_used));
	spin_lock_init(&w->i_pages_lock, LC_SWAP_CACHE);
	return (w->pc_key && w->pc_folio && w->pc_used) ? 0 : -ENOMEM;
}

static void pc_set(struct world *w, uint32_t i, uint64_t key, struct folio *f)
{
	w->pc_key[i] = key;
	w->pc_folio[i] = f;
	if (key)
		w->pc_used[i / 64] |= 1ull << (i % 64);
	else
		w->pc_used[i / 64] &= ~(1ull << (i % 64));
}

/* O(entries): the table is sized for every frame, a program uses a few */
void mapping_pcache_reset(struct world *w)
{
	for (uint32_t wd = 0; wd <= w->pc_cap / 64; wd++)
		while (w->pc_used[wd]) {
			uint32_t i = wd * 64 + (uint32_t)__builtin_ctzll(w->pc_used[wd]);

			pc_set(w, i, 0, NULL);
		}
	atomic_store(&w->i_pages_lock.li.owner, NULL);
}

void mapping_pcache_free(struct world *w)
{
	free(w->pc_key);
	free(w->pc_folio);
	free(w->pc_used);
	w->pc_key = NULL;
	w->pc_folio = NULL;
	w->pc_used = NULL;
}

/* slot of @key, or of the empty slot where it would go; needs i_pages_lock */
static uint32_t pc_slot(struct world *w, uint64_t key)
{
	uint32_t i = pc_hash(w, key);

	while (w->pc_key[i] && w->pc_key[i] != key)
		i = (i + 1) & (w->pc_cap - 1);
	return i;
}

struct address_space *mapping_alloc(bool shmem)
{
	struct address_space *m = pool_alloc(&the_world->mapping_pool);

	if (!m)
		return NULL;
	m->id = pool_index(&the_world->mapping_pool, m);
	init_rwsem(&m->i_mmap_rwsem, LC_I_MMAP);
	INIT_LIST_HEAD(&m->i_mmap);
	atomic_store(&m->refcount, 1);
	atomic_store(&m->i_size, 0);	/* the pool hands back used objects */
	m->shmem = shmem;
	return m;
}

uint64_t i_size_read(const struct address_space *m)
{
	return atomic_load(&m->i_size);
}

void i_size_extend(struct address_space *m, uint64_t size)
{
	uint64_t old = atomic_load(&m->i_size);

	/* two tasks may map the memfd at once: never let the smaller size win */
	while (old < size && !atomic_compare_exchange_weak(&m->i_size, &old, size))
		;
}

void mapping_get(struct address_space *m)
{
	atomic_fetch_add(&m->refcount, 1);
}

static void truncate_one(struct folio *f, void *arg)
{
	struct address_space *m = arg;

	folio_lock(f);		/* mapping_for_each_folio holds a reference */
	/*
	 * While we slept on the lock, migration may have replaced this folio
	 * in the page cache: leave it, the next pass finds its successor.
	 */
	if (folio_mapping(f) == m) {
		/* nothing maps it any more: the last VMA is gone */
		VM_BUG_ON(folio_mapped(f), INV_MAPCOUNT, "folio pfn %u truncated while mapped",
			  f->pfn);
		filemap_remove_folio(f);
	}
	folio_unlock(f);
}

void mapping_put(struct address_space *m)
{
	int old = atomic_fetch_sub(&m->refcount, 1);

	VM_BUG_ON(old <= 0, INV_LEAK, "address_space %u refcount underflow", m->id);
	if (old != 1)
		return;
	VM_BUG_ON(!list_empty(&m->i_mmap), INV_RMAP, "address_space %u freed while mapped", m->id);
	/* a pass can miss an entry shifted back across the table's end */
	while (m->nrpages)
		mapping_for_each_folio(m, truncate_one, m);
	destroy_rwsem(&m->i_mmap_rwsem);
	pool_free(&the_world->mapping_pool, m);
}

struct folio *filemap_get_folio(struct address_space *m, uint64_t index)
{
	struct world *w = the_world;
	struct folio *f;
	uint32_t i;

	spin_lock(&w->i_pages_lock);
	i = pc_slot(w, pc_key(m, index));
	f = w->pc_folio[i];
	if (f)
		folio_get(f);
	spin_unlock(&w->i_pages_lock);
	return f;
}

/* The page cache takes its own reference.  -EEXIST if the slot is taken. */
int filemap_add_folio(struct address_space *m, struct folio *f, uint64_t index)
{
	struct world *w = the_world;
	uint64_t key = pc_key(m, index);
	uint32_t i;
	int err = 0;

	spin_lock(&w->i_pages_lock);
	i = pc_slot(w, key);
	if (w->pc_key[i]) {
		err = -EEXIST;
		goto out;
	}
	pc_set(w, i, key, f);
	folio_get(f);
	kp_access(f, KP_F_FOLIO_MAPPING, true);
	f->mapping = (uintptr_t)m;
	f->index = index;
	if (m->shmem)
		folio_set_swapbacked(f);
	folio_set_uptodate(f);
	m->nrpages++;
out:
	spin_unlock(&w->i_pages_lock);
	return err;
}

/* backward-shift deletion keeps probe chains intact without tombstones */
static void pc_delete(struct world *w, uint32_t i)
{
	uint32_t mask = w->pc_cap - 1, j = i;

	pc_set(w, i, 0, NULL);
	for (;;) {
		uint32_t home;

		j = (j + 1) & mask;
		if (!w->pc_key[j])
			return;
		home = pc_hash(w, w->pc_key[j]);
		/* can the entry at j move to the hole at i? */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			pc_set(w, i, w->pc_key[j], w->pc_folio[j]);
			pc_set(w, j, 0, NULL);
			i = j;
		}
	}
}

/* Folio locked; drops the page cache's reference. */
void filemap_remove_folio(struct folio *f)
{
	struct world *w = the_world;
	struct address_space *m = folio_mapping(f);
	uint32_t i;

	VM_BUG_ON(!m, INV_BUG, "folio pfn %u has no mapping", f->pfn);
	spin_lock(&w->i_pages_lock);
	i = pc_slot(w, pc_key(m, f->index));
	VM_BUG_ON(w->pc_folio[i] != f, INV_RMAP, "folio pfn %u not in its page cache", f->pfn);
	pc_delete(w, i);
	m->nrpages--;
	kp_access(f, KP_F_FOLIO_MAPPING, true);
	f->mapping = 0;
	spin_unlock(&w->i_pages_lock);
	folio_put(f);
}

/* Migration: @new takes @old's slot and reference; both locked. */
int filemap_replace_folio(struct folio *old, struct folio *new, int refs)
{
	struct world *w = the_world;
	struct address_space *m = folio_mapping(old);
	uint32_t i;

	spin_lock(&w->i_pages_lock);
	i = pc_slot(w, pc_key(m, old->index));
	VM_BUG_ON(w->pc_folio[i] != old, INV_RMAP, "folio pfn %u not in its page cache", old->pfn);
	/* lookups take their reference under this lock: none while frozen */
	if (!folio_ref_freeze(old, refs)) {
		spin_unlock(&w->i_pages_lock);
		return -EAGAIN;
	}
	kp_other_cpus();	/* page_idle's and compaction's folio_try_get fail here */
	w->pc_folio[i] = new;
	folio_get(new);
	kp_access(new, KP_F_FOLIO_MAPPING, true);
	new->mapping = old->mapping;
	new->index = old->index;
	/* the cache's reference went to @new */
	folio_ref_unfreeze(old, refs - 1);
	spin_unlock(&w->i_pages_lock);
	return 0;
}

/*
 * Visit the folios of @m's page cache, each with a reference held across
 * @fn.  The table is read under i_pages_lock, a batch at a time; @fn runs
 * without it (it may sleep on a folio lock, or remove the folio).  An entry
 * that a concurrent deletion shifts back across the scan position can be
 * missed: a caller that must see every folio loops until the cache is empty.
 */
void mapping_for_each_folio(struct address_space *m,
			    void (*fn)(struct folio *f, void *arg), void *arg)
{
	struct world *w = the_world;

	for (uint32_t i = 0; i < w->pc_cap;) {
		struct folio *batch[16];
		int n = 0;

		spin_lock(&w->i_pages_lock);
		for (; i < w->pc_cap && n < 16; i++) {
			if (w->pc_key[i] && (uint32_t)((w->pc_key[i] - 1) >> 32) == m->id) {
				batch[n] = w->pc_folio[i];
				folio_get(batch[n++]);	/* the cache's ref keeps it till here */
			}
		}
		spin_unlock(&w->i_pages_lock);
		for (int k = 0; k < n; k++) {
			fn(batch[k], arg);
			folio_put(batch[k]);
		}
	}
}

struct address_space *world_memfd(void)
{
	return the_world->memfd;
}
