/* SPDX-License-Identifier: MIT */
/*
 * swap.h - swap devices, swap_map counts, the swap cache and reclaim.
 *
 * A swap device is a type 0..MAX_SWAPFILES-1 (pte.h); the types above are
 * reserved for migration, device-private and marker entries and never index
 * swap_info[] (the SWAPMAP invariant).  Each slot has a count in swap_map:
 * the number of swap ptes that reference it, plus SWAP_HAS_CACHE while a
 * folio for it sits in the swap cache.  The swap cache holds one reference
 * on its folio and is indexed per device by offset.
 *
 * In the .mmt language a device is named by a small integer id chosen by the
 * program ("swapon 0 128"); its type is assigned by swapon as the lowest free
 * one, exactly as sys_swapon does.  Slot 0 of every device is the header
 * and is never handed out.
 */
#ifndef MMT_SWAP_H
#define MMT_SWAP_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/folio.h"
#include "mmt/kprim.h"
#include "mmt/pte.h"

/*
 * A swap_map byte:
 *
 *     7         6          5..0
 *   +---------+----------+-----------------+
 *   | CONT'D  | HAS_CACHE| count 0..0x3e   |   0x3f: SWAP_MAP_BAD (header)
 *   +---------+----------+-----------------+
 *
 * A count past SWAP_MAP_MAX goes on in count continuation pages
 * (add_swap_count_continuation): one byte per slot per page, a digit of
 * 0..SWAP_CONT_MAX with its own COUNT_CONTINUED bit when the next page
 * holds more.  The swap_map digit counts in units of one, the first
 * page's in units of SWAP_MAP_MAX + 1, the next in units of
 * (SWAP_MAP_MAX + 1) * (SWAP_CONT_MAX + 1), and so on (swap_map_count).
 */
#define SWAP_HAS_CACHE	0x40	/* a folio for this slot is in the swap cache */
#define COUNT_CONTINUED	0x80	/* the count goes on in a continuation page */
#define SWAP_MAP_MAX	0x3e	/* largest count without continuation */
#define SWAP_MAP_BAD	0x3f
#define SWAP_COUNT_MASK	0x3f
#define SWAP_CONT_MAX	0x7f	/* largest digit of a continuation page */
/*
 * Continuation pages a device may chain: the kernel chains as many as it
 * can allocate; 4 pages count past 16 billion references, far beyond any
 * world's ptes, so reaching the cap would be a model bug (-ENOMEM).
 */
#define SWAP_CONT_PAGES	4
_Static_assert((SWAP_HAS_CACHE | COUNT_CONTINUED | SWAP_COUNT_MASK) == 0xff &&
	       !(SWAP_HAS_CACHE & (COUNT_CONTINUED | SWAP_COUNT_MASK)) &&
	       !(COUNT_CONTINUED & SWAP_COUNT_MASK), "swap_map byte fields overlap");
_Static_assert(!(SWAP_CONT_MAX & COUNT_CONTINUED), "continuation digit overlaps its flag");

#define SWP_USED	0x01
#define SWP_WRITEOK	0x02
#define SWP_DYING	0x04	/* swapoff is waiting for the last user */

struct swap_info_struct {
	unsigned long flags;
	int type;
	int id;				/* the program's name for it */
	spinlock_t lock;		/* LC_SWAP_INFO: swap_map, cache slots */
	uint64_t max;			/* slots, including the header slot 0 */
	uint64_t inuse_pages;
	uint8_t *swap_map;
	struct folio **cache;		/* swap cache: offset -> folio */
	uint64_t *slot_value;		/* the "disk": what pageout wrote to each slot */
	uint64_t cluster_next;		/* where the slot scan starts */
	/*
	 * The highest slot handed out since swapon: slots above it were never
	 * used, so the checker's bounded pass stops there (the full pass
	 * checks that they are indeed untouched).
	 */
	uint64_t highest_alloc;
	/*
	 * Count continuation pages, lowest digit first, allocated by
	 * add_swap_count_continuation and freed at swapoff.  The kernel
	 * chains them per page of swap_map (4096 slots); the model's one
	 * chain serves the whole map, which is the same for devices of up
	 * to 4096 slots.  Under si->lock.
	 */
	uint8_t *cont[SWAP_CONT_PAGES];
	int nr_cont;
	/*
	 * get_swap_device() holds it for read (a trylock: never waits, so it
	 * can be taken under a ptl); swapoff takes it for write to wait for
	 * the last user to go, sleeping rather than spinning.
	 */
	struct rw_semaphore users;
};

/*
 * type -> device, or NULL (also NULL for every reserved type).  Lockless:
 * the caller must keep the device alive, with a get_swap_device()
 * reference or by holding the folio lock of a folio in its swap cache.
 */
struct swap_info_struct *swap_info_get(swp_entry_t entry);
/*
 * Pin the device of @entry against swapoff (the kernel's percpu_ref on
 * si->users): NULL if it is gone or going, which for an entry read from a
 * pte without its lock just means the pte is stale.
 */
struct swap_info_struct *get_swap_device(swp_entry_t entry);
void put_swap_device(struct swap_info_struct *si);
struct swap_info_struct *swap_type_to_info(int type);

int sys_swapon(int id, uint64_t slots);
int sys_swapoff(int id);

/*
 * The number of swap ptes that name slot @off of @si, continuation pages
 * included (the kernel's swp_swapcount).  si->lock held, or a stopped
 * world (the checker).
 */
static inline uint64_t swap_map_count(const struct swap_info_struct *si, uint64_t off)
{
	uint8_t m = si->swap_map[off];
	uint64_t n = m & SWAP_COUNT_MASK, unit = SWAP_MAP_MAX + 1;

	if (m == SWAP_MAP_BAD)
		return 0;
	for (int k = 0; (m & COUNT_CONTINUED) && k < si->nr_cont; k++) {
		m = si->cont[k][off];
		n += (uint64_t)(m & SWAP_CONT_MAX) * unit;
		unit *= SWAP_CONT_MAX + 1;
	}
	return n;
}

/* swap_map manipulation: LC_SWAP_INFO inside */
/*
 * +1 count; 0, or -ENOMEM when the count needs a continuation page the
 * device does not have yet: the caller drops its locks, calls
 * add_swap_count_continuation and tries again (fork), or gives up
 * (try_to_unmap)
 */
int swap_duplicate(swp_entry_t entry);
/* chain one more continuation page if @entry's count needs it; 0 or -ENOMEM */
int add_swap_count_continuation(swp_entry_t entry);
void swap_free(swp_entry_t entry);		/* -1 count */
void free_swap_and_cache(swp_entry_t entry);	/* unmap: drop count, reclaim cache if last */
int swap_count(swp_entry_t entry);		/* count without SWAP_HAS_CACHE, continuations in */
int swp_swapcount(swp_entry_t entry);

/* the swap cache */
struct folio *swap_cache_get_folio(swp_entry_t entry);	/* with a reference, or NULL */
int add_to_swap(struct folio *folio);			/* alloc slot + insert; folio locked */
void delete_from_swap_cache(struct folio *folio);	/* folio locked; drops the cache ref */
/*
 * reclaim (__remove_mapping): take @folio out of the swap cache only if its
 * refcount is exactly @refs (the cache's and the caller's), freezing it at 0
 * under the cache's lock; false, untouched, otherwise.  On true the folio
 * stays frozen for the caller to free (free_frozen_folio).  Folio locked.
 */
bool swap_cache_remove_frozen(struct folio *folio, int refs);
bool folio_free_swap(struct folio *folio);		/* free the slot if nobody needs it */
/*
 * migration: move the swap-cache slot from @old to @new (both locked), the
 * cache's reference with it, with @old's refcount frozen at @refs under the
 * cache's lock; -EAGAIN (nothing moved) when @old has other references
 */
int swap_cache_replace_folio(struct folio *old, struct folio *new, int refs);

/*
 * Global reclaim by LRU age: scan up to @nr folios from the oldest end of
 * every node's LRU and reclaim what may be reclaimed (anonymous memory to
 * swap).  Returns the number of folios freed.
 */
unsigned long reclaim_pages_global(unsigned long nr);

#endif /* MMT_SWAP_H */
