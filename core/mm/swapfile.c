// SPDX-License-Identifier: MIT
/*
 * swapfile.c - swap devices (swapon/swapoff), swap_map counting and the swap
 * cache.
 *
 * swap_map[offset] = number of swap ptes referring to the slot, plus
 * SWAP_HAS_CACHE while a folio for it sits in the swap cache; a count past
 * SWAP_MAP_MAX goes on in count continuation pages (swap.h draws the byte
 * and the digits).  A slot is free when its map byte is 0.  The swap cache entry and SWAP_HAS_CACHE are
 * set and cleared together under si->lock, so "HAS_CACHE iff cached" holds
 * at every moment, not only at quiescence.
 *
 * Types at and above MAX_SWAPFILES are reserved for migration, device and
 * marker entries: swapon must never hand one out (seed 000's range check).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/folio.h"
#include "mmt/inject.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/world.h"
#include "internal.h"

struct swap_info_struct *swap_type_to_info(int type)
{
	struct swap_info_struct *si;

	if (type < 0 || type >= (1 << MAX_SWAPFILES_SHIFT))
		return NULL;
	si = &the_world->swap_info[type];
	return (si->flags & SWP_USED) ? si : NULL;
}

/*
 * Look a swap entry's device up.  Every reserved type fails here, unless a
 * device was wrongly given that type (swapon-type-overlap): then this
 * happily returns it, which is exactly the corruption the bug caused.
 */
struct swap_info_struct *swap_info_get(swp_entry_t entry)
{
	struct swap_info_struct *si = swap_type_to_info((int)swp_type(entry));

	if (!si || swp_offset(entry) >= si->max || !si->swap_map)
		return NULL;
	return si;
}

struct swap_info_struct *get_swap_device(swp_entry_t entry)
{
	struct swap_info_struct *si = swap_type_to_info((int)swp_type(entry));
	bool ok;

	if (!si || !down_read_trylock(&si->users))
		return NULL;
	spin_lock(&si->lock);
	ok = (si->flags & SWP_USED) && !(si->flags & SWP_DYING) && si->swap_map &&
	     swp_offset(entry) < si->max;
	spin_unlock(&si->lock);
	if (!ok) {
		up_read(&si->users);
		return NULL;
	}
	return si;
}

void put_swap_device(struct swap_info_struct *si)
{
	up_read(&si->users);
}

/* ------------------------------------------------------ swapon/off */

int sys_swapon(int id, uint64_t slots)
{
	struct world *w = the_world;
	struct swap_info_struct *si = NULL;
	uint8_t *map;
	struct folio **cache;
	uint64_t *val;
	int type, limit, err = 0;

	if (slots < 2 || slots > (1ull << 24))
		return -EINVAL;
	map = calloc(slots, 1);
	cache = calloc(slots, sizeof(*cache));
	val = calloc(slots, sizeof(*val));
	if (!map || !cache || !val) {
		err = -ENOMEM;
		goto out_free;
	}

	/*
	 * The fixed check is "type >= MAX_SWAPFILES".  The bug compared
	 * against the largest type a swap pte can encode, which is past the
	 * types reserved for migration entries.
	 */
	limit = mmt_injected(BUG_SWAPON_TYPE_OVERLAP) ? (1 << MAX_SWAPFILES_SHIFT) : MAX_SWAPFILES;
	spin_lock(&w->swap_lock);
	for (type = 0; type < (1 << MAX_SWAPFILES_SHIFT); type++) {
		struct swap_info_struct *s = &w->swap_info[type];

		if ((s->flags & SWP_USED) && s->id == id) {
			err = -EBUSY;
			goto out_unlock;
		}
	}
	for (type = 0; type < w->nr_swapfiles; type++)
		if (!(w->swap_info[type].flags & SWP_USED))
			break;
	if (type >= limit) {
		err = -EPERM;
		goto out_unlock;
	}
	si = &w->swap_info[type];
	if (type >= w->nr_swapfiles)
		w->nr_swapfiles = type + 1;
	spin_lock(&si->lock);
	si->flags = SWP_USED | SWP_WRITEOK;
	si->id = id;
	si->max = slots;
	si->inuse_pages = 0;
	si->cluster_next = 1;
	si->highest_alloc = 0;
	si->swap_map = map;
	si->cache = cache;
	si->slot_value = val;
	si->swap_map[0] = SWAP_MAP_BAD;	/* the header page */
	spin_unlock(&si->lock);
	map = NULL;
	cache = NULL;
	val = NULL;
out_unlock:
	spin_unlock(&w->swap_lock);
out_free:
	free(map);
	free(cache);
	free(val);
	return err;
}

/*
 * Allocate a free slot on the first writable device and put @folio in the
 * swap cache there, in one critical section: SWAP_HAS_CACHE without a cached
 * folio would look like a leak to a concurrent swapoff.
 */
static swp_entry_t get_swap_page(struct folio *folio)
{
	struct world *w = the_world;

	for (int type = 0; type < w->nr_swapfiles; type++) {
		struct swap_info_struct *si = &w->swap_info[type];

		spin_lock(&si->lock);	/* flags change under it (swapon, swapoff) */
		for (uint64_t n = 0; (si->flags & SWP_WRITEOK) && n < si->max; n++) {
			uint64_t off = (si->cluster_next + n) % si->max;
			swp_entry_t entry;

			if (off == 0 || si->swap_map[off])
				continue;
			entry = swp_entry((unsigned)type, off);
			kp_access(&si->swap_map[off], KP_F_SWAP_MAP, true);
			kp_access(&si->cache[off], KP_F_SWAP_CACHE, true);
			si->swap_map[off] = SWAP_HAS_CACHE;
			si->inuse_pages++;
			si->cluster_next = off + 1;
			if (off > si->highest_alloc)
				si->highest_alloc = off;
			si->cache[off] = folio;
			folio_get(folio);
			folio->private = entry.val;
			folio_set_swapcache(folio);
			spin_unlock(&si->lock);
			return entry;
		}
		spin_unlock(&si->lock);
	}
	return (swp_entry_t){ 0 };
}

/*
 * swap_count_continued - carry a count into, or borrow it from, the
 * continuation pages of slot @off, as one adds 1 to 999 or takes 1 from
 * 1000.  @count is the swap_map byte without SWAP_HAS_CACHE: SWAP_MAP_MAX
 * (the first carry), SWAP_MAP_MAX | COUNT_CONTINUED (a carry) or
 * COUNT_CONTINUED (a borrow).  A carry returns false when it needs a page
 * the device does not have (the caller's -ENOMEM); a borrow returns
 * whether the count still continues.  si->lock held.
 */
static bool swap_count_continued(struct swap_info_struct *si, uint64_t off, uint8_t count)
{
	uint8_t *map;
	int k = 0;

	if (!si->nr_cont) {
		VM_BUG_ON(count & COUNT_CONTINUED, INV_SWAPMAP, "swap type %d slot %llu: count "
			  "continued with no continuation page", si->type, (unsigned long long)off);
		return false;
	}
	map = &si->cont[0][off];
	kp_access(map, KP_F_SWAP_MAP, true);
	if (count == SWAP_MAP_MAX)	/* the first carry: the page's byte is stale */
		goto init_map;
	if (count == (SWAP_MAP_MAX | COUNT_CONTINUED)) {
		while (*map == (SWAP_CONT_MAX | COUNT_CONTINUED)) {
			VM_BUG_ON(k + 1 >= si->nr_cont, INV_SWAPMAP, "swap type %d slot %llu: "
				  "continued past the last page", si->type, (unsigned long long)off);
			map = &si->cont[++k][off];
			kp_access(map, KP_F_SWAP_MAP, true);
		}
		if (*map == SWAP_CONT_MAX) {
			if (k + 1 >= si->nr_cont)
				return false;	/* add_swap_count_continuation, then again */
			map = &si->cont[++k][off];
			kp_access(map, KP_F_SWAP_MAP, true);
init_map:
			*map = 0;
		}
		*map += 1;
		/* the digits below wrap to 0, each still continued */
		while (k-- > 0)
			si->cont[k][off] = COUNT_CONTINUED;
		return true;
	}
	VM_BUG_ON(count != COUNT_CONTINUED, INV_SWAPMAP, "swap type %d slot %llu: borrow from "
		  "count %#x", si->type, (unsigned long long)off, count);
	while (*map == COUNT_CONTINUED) {
		VM_BUG_ON(k + 1 >= si->nr_cont, INV_SWAPMAP, "swap type %d slot %llu: continued "
			  "past the last page", si->type, (unsigned long long)off);
		map = &si->cont[++k][off];
		kp_access(map, KP_F_SWAP_MAP, true);
	}
	VM_BUG_ON(*map == 0, INV_SWAPMAP, "swap type %d slot %llu: continuation digit "
		  "underflow", si->type, (unsigned long long)off);
	*map -= 1;
	count = *map ? COUNT_CONTINUED : 0;
	/* the digits below wrap to their maximum */
	while (k-- > 0) {
		si->cont[k][off] = SWAP_CONT_MAX | count;
		count = COUNT_CONTINUED;
	}
	return count == COUNT_CONTINUED;
}

/* the map byte of a slot after dropping one count; frees the slot at 0 */
static void swap_entry_put_locked(struct swap_info_struct *si, uint64_t off, uint8_t usage)
{
	uint8_t map = si->swap_map[off];
	uint8_t has_cache = map & SWAP_HAS_CACHE, count = map & (uint8_t)~SWAP_HAS_CACHE;

	kp_access(&si->swap_map[off], KP_F_SWAP_MAP, true);
	if (usage == SWAP_HAS_CACHE) {
		VM_BUG_ON(!has_cache, INV_SWAPMAP, "swap type %d slot %llu: no cache to drop",
			  si->type, (unsigned long long)off);
		has_cache = 0;
	} else if (count == COUNT_CONTINUED) {
		/* 0 here, borrow from the continuation: 1000 - 1 */
		count = swap_count_continued(si, off, count) ? SWAP_MAP_MAX | COUNT_CONTINUED :
							       SWAP_MAP_MAX;
	} else {
		VM_BUG_ON(!(count & SWAP_COUNT_MASK), INV_SWAPMAP,
			  "swap type %d slot %llu: count underflow", si->type,
			  (unsigned long long)off);
		count--;
	}
	map = count | has_cache;
	si->swap_map[off] = map;
	if (!map)
		si->inuse_pages--;
}

/*
 * The callers below hold the pte (ptl) or the swap-cache folio that keeps
 * the slot in use, so swapoff cannot finish under them; the device
 * reference is what lets them touch swap_map safely while it tries.
 */
int swap_duplicate(swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(entry);
	uint64_t off = swp_offset(entry);
	int err = 0;

	VM_BUG_ON(!si, INV_SWAPMAP, "swap entry type %u offset %llu names no device",
		  swp_type(entry), (unsigned long long)off);
	spin_lock(&si->lock);
	kp_access(&si->swap_map[off], KP_F_SWAP_MAP, true);
	if (!si->swap_map[off] || si->swap_map[off] == SWAP_MAP_BAD) {
		spin_unlock(&si->lock);
		VM_BUG_ON(1, INV_SWAPMAP, "swap type %d slot %llu: duplicate of a free slot",
			  si->type, (unsigned long long)off);
	}
	if ((si->swap_map[off] & SWAP_COUNT_MASK) < SWAP_MAP_MAX)
		si->swap_map[off]++;
	else if (swap_count_continued(si, off, si->swap_map[off] & (uint8_t)~SWAP_HAS_CACHE))
		si->swap_map[off] = COUNT_CONTINUED | (si->swap_map[off] & SWAP_HAS_CACHE);
	else
		err = -ENOMEM;	/* no page for the carry: add_swap_count_continuation */
	spin_unlock(&si->lock);
	put_swap_device(si);
	return err;
}

/*
 * add_swap_count_continuation - the page a carry in @entry's count needs:
 * allocated before si->lock (the kernel's GFP_KERNEL page), chained unless
 * a racing free made it unneeded or a racing call chained one first.  The
 * model never fails the allocation short of SWAP_CONT_PAGES, which no
 * world reaches.  No ptl held.
 */
int add_swap_count_continuation(swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(entry);
	uint64_t off = swp_offset(entry);
	uint8_t *page, count;
	int err = 0;

	if (!si)
		return 0;	/* swapoff took it away: the caller's pte is stale */
	page = calloc(si->max, 1);
	if (!page) {
		err = -ENOMEM;
		goto out;
	}
	spin_lock(&si->lock);
	count = si->swap_map[off] & (uint8_t)~SWAP_HAS_CACHE;
	/* a racing free brought the count down: no carry needed now */
	if ((count & SWAP_COUNT_MASK) != SWAP_MAP_MAX)
		goto out_unlock;
	/* a page whose digit has room takes the carry */
	for (int k = 0; k < si->nr_cont; k++) {
		if (!(count & COUNT_CONTINUED))
			goto out_unlock;
		kp_access(&si->cont[k][off], KP_F_SWAP_MAP, false);
		count = si->cont[k][off];
		if ((count & SWAP_CONT_MAX) != SWAP_CONT_MAX)
			goto out_unlock;
	}
	if (si->nr_cont == SWAP_CONT_PAGES) {
		err = -ENOMEM;
		goto out_unlock;
	}
	si->cont[si->nr_cont++] = page;
	page = NULL;
out_unlock:
	spin_unlock(&si->lock);
	free(page);
out:
	put_swap_device(si);
	return err;
}

void swap_free(swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(entry);

	VM_BUG_ON(!si, INV_SWAPMAP, "swap_free: type %u offset %llu names no device",
		  swp_type(entry), (unsigned long long)swp_offset(entry));
	spin_lock(&si->lock);
	swap_entry_put_locked(si, swp_offset(entry), 1);
	spin_unlock(&si->lock);
	put_swap_device(si);
}

int swap_count(swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(entry);
	int n;

	if (!si)
		return 0;
	spin_lock(&si->lock);
	kp_access(&si->swap_map[swp_offset(entry)], KP_F_SWAP_MAP, false);
	n = (int)swap_map_count(si, swp_offset(entry));
	spin_unlock(&si->lock);
	put_swap_device(si);
	return n;
}

int swp_swapcount(swp_entry_t entry) { return swap_count(entry); }

/* ------------------------------------------------------- swap cache */

struct folio *swap_cache_get_folio(swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(entry);
	struct folio *f;

	if (!si)
		return NULL;
	spin_lock(&si->lock);
	kp_access(&si->cache[swp_offset(entry)], KP_F_SWAP_CACHE, false);
	f = si->cache[swp_offset(entry)];
	if (f)
		folio_get(f);
	spin_unlock(&si->lock);
	put_swap_device(si);
	return f;
}

int swap_cache_add_new(struct folio *folio, swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(entry);
	uint64_t off = swp_offset(entry);
	int err = 0;

	if (!si)
		return -ENOENT;
	spin_lock(&si->lock);
	kp_access(&si->swap_map[off], KP_F_SWAP_MAP, true);
	kp_access(&si->cache[off], KP_F_SWAP_CACHE, true);
	if (!(si->swap_map[off] & (SWAP_COUNT_MASK | COUNT_CONTINUED))) {
		err = -ENOENT;		/* freed while we allocated */
	} else if (si->swap_map[off] & SWAP_HAS_CACHE) {
		err = -EEXIST;		/* another task is reading it in */
	} else {
		si->swap_map[off] |= SWAP_HAS_CACHE;
		si->cache[off] = folio;
		folio_get(folio);
		folio->private = entry.val;
		folio_set_swapcache(folio);
		folio_set_swapbacked(folio);
		folio_set_uptodate(folio);
		atomic_store(&folio->value, si->slot_value[off]);
	}
	spin_unlock(&si->lock);
	put_swap_device(si);
	return err;
}

/* add_to_swap - give a locked anon folio a slot and put it in the swap cache */
int add_to_swap(struct folio *folio)
{
	VM_BUG_ON(!folio_test_locked(folio), INV_BUG, "folio pfn %u not locked", folio->pfn);
	VM_BUG_ON(folio_test_swapcache(folio), INV_SWAPMAP, "folio pfn %u already in swap cache",
		  folio->pfn);
	if (!get_swap_page(folio).val)
		return -ENOMEM;
	folio_set(folio, PG_dirty);	/* must be written before it can go */
	return 0;
}

/* the folio's swap device, asserting that it sits in the slot it names */
static struct swap_info_struct *swap_cache_slot(struct folio *folio, uint64_t *off)
{
	swp_entry_t entry = folio_swap_entry(folio);
	struct swap_info_struct *si = swap_info_get(entry);

	*off = swp_offset(entry);
	VM_BUG_ON(!folio_test_locked(folio), INV_BUG, "folio pfn %u not locked", folio->pfn);
	VM_BUG_ON(!si || si->cache[*off] != folio, INV_SWAPMAP,
		  "folio pfn %u not in the swap cache slot it names", folio->pfn);
	return si;
}

/* si->lock held: empty @off's cache slot and drop its SWAP_HAS_CACHE */
static void __delete_from_swap_cache(struct swap_info_struct *si, uint64_t off,
				     struct folio *folio)
{
	kp_access(&si->cache[off], KP_F_SWAP_CACHE, true);
	si->cache[off] = NULL;
	swap_entry_put_locked(si, off, SWAP_HAS_CACHE);
	folio_clear_swapcache(folio);
	folio->private = 0;
}

void delete_from_swap_cache(struct folio *folio)
{
	uint64_t off;
	struct swap_info_struct *si = swap_cache_slot(folio, &off);

	spin_lock(&si->lock);
	__delete_from_swap_cache(si, off, folio);
	spin_unlock(&si->lock);
	folio_put(folio);
}

bool swap_cache_remove_frozen(struct folio *folio, int refs)
{
	uint64_t off;
	struct swap_info_struct *si = swap_cache_slot(folio, &off);

	spin_lock(&si->lock);
	/* lookups take their reference under this lock: none can come now */
	if (!folio_ref_freeze(folio, refs)) {
		spin_unlock(&si->lock);
		return false;
	}
	/* still in the cache at refcount 0: get_ksm_page must not call it stale */
	kp_other_cpus();
	__delete_from_swap_cache(si, off, folio);
	spin_unlock(&si->lock);
	return true;
}

/*
 * folio_free_swap - drop the folio's swap slot if no swap pte needs it any
 * more; the folio stays (dirty, since its only copy is now in memory).
 */
bool folio_free_swap(struct folio *folio)
{
	VM_BUG_ON(!folio_test_locked(folio), INV_BUG, "folio pfn %u not locked", folio->pfn);
	if (!folio_test_swapcache(folio))
		return false;
	if (swap_count(folio_swap_entry(folio)))
		return false;
	delete_from_swap_cache(folio);
	folio_set(folio, PG_dirty);
	return true;
}

/*
 * free_swap_and_cache - a swap pte is being zapped.  Drop its count and, if
 * that was the last one, try to free the cached folio too (only a trylock:
 * the caller holds a ptl).
 */
void free_swap_and_cache(swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(entry);
	uint64_t off = swp_offset(entry);
	struct folio *folio = NULL;

	VM_BUG_ON(!si, INV_SWAPMAP, "free_swap_and_cache: type %u offset %llu names no device",
		  swp_type(entry), (unsigned long long)off);
	spin_lock(&si->lock);
	swap_entry_put_locked(si, off, 1);
	if (si->swap_map[off] == SWAP_HAS_CACHE) {
		kp_access(&si->cache[off], KP_F_SWAP_CACHE, false);
		folio = si->cache[off];
		folio_get(folio);
	}
	spin_unlock(&si->lock);
	put_swap_device(si);
	if (!folio)
		return;
	if (folio_trylock(folio)) {
		if (folio_test_swapcache(folio) && folio->private == entry.val)
			folio_free_swap(folio);
		folio_unlock(folio);
	}
	folio_put(folio);
}

void swap_writepage(struct folio *folio)
{
	swp_entry_t entry = folio_swap_entry(folio);
	struct swap_info_struct *si = swap_info_get(entry);

	spin_lock(&si->lock);
	si->slot_value[swp_offset(entry)] = atomic_load(&folio->value);
	spin_unlock(&si->lock);
	folio_clear(folio, PG_dirty);
}

/* Migration: @new takes @old's swap-cache slot and reference; both locked. */
int swap_cache_replace_folio(struct folio *old, struct folio *new, int refs)
{
	swp_entry_t entry = folio_swap_entry(old);
	struct swap_info_struct *si = swap_info_get(entry);
	uint64_t off = swp_offset(entry);

	spin_lock(&si->lock);
	VM_BUG_ON(si->cache[off] != old, INV_SWAPMAP,
		  "folio pfn %u not in the swap cache slot it names", old->pfn);
	/* lookups take their reference under this lock: none while frozen */
	if (!folio_ref_freeze(old, refs)) {
		spin_unlock(&si->lock);
		return -EAGAIN;
	}
	/* frozen and still in the cache: a KSM page's node must outlive this */
	kp_other_cpus();
	kp_access(&si->cache[off], KP_F_SWAP_CACHE, true);
	si->cache[off] = new;
	folio_get(new);
	new->private = entry.val;
	folio_set_swapcache(new);
	folio_clear_swapcache(old);
	old->private = 0;
	/* the cache's reference went to @new */
	folio_ref_unfreeze(old, refs - 1);
	spin_unlock(&si->lock);
	return 0;
}

/* ---------------------------------------------------------- swapoff */

/* Read back every swap pte of @type in @mm.  Takes mmap_lock for read. */
static int unuse_mm(struct mm_struct *mm, int type)
{
	struct vm_area_struct *vma;
	int err = 0;

	down_read(&mm->mmap_lock);
	list_for_each_entry(vma, &mm->mmap, vm_list) {
		for (uint64_t addr = vma->vm_start; addr < vma->vm_end && !err; addr++) {
			spinlock_t *ptl;
			pte_t *ptep, pte;
			unsigned ret;

			if (!mmt_pte_peek(mm, addr)) {
				addr |= PTRS_PER_PTE - 1;
				continue;
			}
			ptep = pte_offset_map_lock(mm, addr, &ptl);
			if (!ptep) {
				/* a huge pmd: no swap entry under it */
				addr |= PTRS_PER_PTE - 1;
				continue;
			}
			pte = ptep_get(ptep);
			pte_unmap_unlock(ptl);
			if (!is_swap_pte(pte) || swp_type(pte_to_swp_entry(pte)) != (unsigned)type ||
			    non_swap_entry(pte_to_swp_entry(pte)))
				continue;
			ret = do_swap_page(vma, addr, pte, 0);
			if (ret & VM_FAULT_OOM)
				err = -ENOMEM;
		}
		if (err)
			break;
	}
	up_read(&mm->mmap_lock);
	return err;
}

/* drop swap-cache folios whose slot nobody references any more */
static void unuse_cache(struct swap_info_struct *si)
{
	for (uint64_t off = 1; off < si->max; off++) {
		struct folio *folio;

		spin_lock(&si->lock);
		folio = si->cache[off];
		if (folio)
			folio_get(folio);
		spin_unlock(&si->lock);
		if (!folio)
			continue;
		folio_lock(folio);
		if (folio_test_swapcache(folio) && swp_offset(folio_swap_entry(folio)) == off)
			folio_free_swap(folio);
		folio_unlock(folio);
		folio_put(folio);
	}
}

static uint64_t swap_inuse(struct swap_info_struct *si)
{
	uint64_t n;

	spin_lock(&si->lock);
	n = si->inuse_pages;
	spin_unlock(&si->lock);
	return n;
}

/*
 * Linux's try_to_unuse() retries for as long as slots stay in use and only a
 * signal ends it (-EINTR): reclaim can write a page it just read back out to
 * its old slot again, and an exiting mm frees its swap at its own pace.  The
 * model cannot wait for a signal, so it takes this many passes in a row that
 * free no slot as one.
 */
#define SWAPOFF_STALLED_PASSES	64

/*
 * try_to_unuse - bring every page of @si back into memory.  Walks the mmlist
 * (every mm that ever had a swap pte is on it), then the swap cache, and
 * retries until the device is empty.  Holds a reference on the mm it is at
 * until it has stepped past it, as the kernel does, so that the mmlist node
 * it continues from cannot be freed while the lock is dropped.  No locks held
 * on entry.  0, -ENOMEM (no memory to read a page back) or -EINTR.
 */
static int try_to_unuse(struct swap_info_struct *si)
{
	struct world *w = the_world;
	uint64_t inuse, last = (uint64_t)-1;
	int stalled = 0;

	while ((inuse = swap_inuse(si))) {
		struct mm_struct *mm, *prev_mm = NULL;
		struct list_head *p = &w->mmlist;
		int err = 0;

		if (inuse < last) {
			stalled = 0;
		} else if (++stalled >= SWAPOFF_STALLED_PASSES) {
			return -EINTR;
		}
		last = inuse;

		spin_lock(&w->mmlist_lock);
		while ((p = p->next) != &w->mmlist) {
			mm = list_entry(p, struct mm_struct, mmlist);
			if (!mmget_not_zero(mm))
				continue;
			spin_unlock(&w->mmlist_lock);
			if (prev_mm)
				mmput(prev_mm);
			prev_mm = mm;
			err = unuse_mm(mm, si->type);
			if (err)
				goto out_put;
			cond_resched();
			spin_lock(&w->mmlist_lock);
		}
		spin_unlock(&w->mmlist_lock);
out_put:
		if (prev_mm)
			mmput(prev_mm);
		if (err)
			return err;
		unuse_cache(si);
		cond_resched();
	}
	return 0;
}

int sys_swapoff(int id)
{
	struct world *w = the_world;
	struct swap_info_struct *si = NULL;
	uint8_t *map;
	struct folio **cache;
	uint64_t *val;
	int err;

	spin_lock(&w->swap_lock);
	for (int type = 0; type < (1 << MAX_SWAPFILES_SHIFT); type++) {
		struct swap_info_struct *s = &w->swap_info[type];

		if ((s->flags & SWP_WRITEOK) && s->id == id) {
			si = s;
			break;
		}
	}
	if (!si) {
		spin_unlock(&w->swap_lock);
		return -EINVAL;
	}
	spin_lock(&si->lock);
	si->flags &= ~SWP_WRITEOK;	/* no new slots from here on */
	spin_unlock(&si->lock);
	spin_unlock(&w->swap_lock);

	err = try_to_unuse(si);
	if (err) {
		spin_lock(&si->lock);
		si->flags |= SWP_WRITEOK;
		spin_unlock(&si->lock);
		return err;
	}

	/* no new users; wait for the ones that looked the device up already */
	spin_lock(&si->lock);
	si->flags |= SWP_DYING;
	spin_unlock(&si->lock);
	down_write(&si->users);
	up_write(&si->users);

	spin_lock(&w->swap_lock);
	spin_lock(&si->lock);
	VM_BUG_ON(si->inuse_pages, INV_SWAPMAP, "swap type %d: %llu slots in use after swapoff",
		  si->type, (unsigned long long)si->inuse_pages);
	map = si->swap_map;
	cache = si->cache;
	val = si->slot_value;
	/* free_swap_count_continuations */
	for (int k = 0; k < si->nr_cont; k++) {
		free(si->cont[k]);
		si->cont[k] = NULL;
	}
	si->nr_cont = 0;
	si->swap_map = NULL;
	si->cache = NULL;
	si->slot_value = NULL;
	si->max = 0;
	si->flags = 0;
	si->id = 0;
	spin_unlock(&si->lock);
	spin_unlock(&w->swap_lock);
	free(map);
	free(cache);
	free(val);
	return 0;
}
