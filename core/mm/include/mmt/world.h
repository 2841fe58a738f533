/* SPDX-License-Identifier: MIT */
/*
 * world.h - the whole simulated machine: nodes and frames, object pools,
 * swap devices, the memfd, the bug switches.
 *
 * A world is built once with its sizes and then reset between programs in
 * time proportional to what the last program used: every pool hands out
 * fresh objects from a bump pointer and recycles freed ones, so a reset only
 * rewinds the pointers (and the frames that were touched).  Pool counts are
 * what the LEAK invariant reads.
 *
 * There is one world at a time: the_world.  The kernel's own code reaches its
 * global state (node_data, swap_info, ...) the same way.
 */
#ifndef MMT_WORLD_H
#define MMT_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/folio.h"
#include "mmt/gup.h"
#include "mmt/kprim.h"
#include "mmt/memremap.h"
#include "mmt/khugepaged.h"
#include "mmt/ksm.h"
#include "mmt/mm.h"
#include "mmt/pte.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"

struct world_config {
	int nodes;		/* NUMA nodes, 1..MMT_MAX_NODES (default 2) */
	uint32_t frames;	/* total page frames, split evenly (default 256) */
	uint64_t swap;		/* slots of swap device id 0 at start; 0 = none */
	uint32_t max_mms;	/* processes alive at once (default 64) */
	uint32_t max_vmas;	/* default 1024 */
	/*
	 * Page tables of every level (pud, pmd, pte), default 4096: a pte
	 * table maps 32 pages (mm.h), so a world whose mms map many pages
	 * needs many; the 4 KiB slot arrays of the pud and pmd tables come
	 * from a pool of max_pgtables / 8 (at least 2), as an mm with its
	 * pages in one 2^14-page pmd range needs one of each.
	 */
	uint32_t max_pgtables;
	uint32_t device;	/* device-private frames of the HMM device (default 16) */
	/*
	 * Anonymous mTHP orders enabled, bit k for order k (1..4): the
	 * sysfs hugepages-<size>kB/enabled knobs set to "madvise".  0 (the
	 * default) allocates order 0 only.
	 */
	uint32_t thp_orders;
	/*
	 * mm_forbids_zeropage(): a read fault of anonymous memory allocates a
	 * zeroed page of its own instead of mapping the shared zero page (as
	 * s390 KVM guests, and this project's hosts booted with
	 * pvm_no_zero_page=1, do).  false (the default) is mainline's.
	 */
	bool no_zeropage;
	/*
	 * transparent_hugepage/use_zero_page=0: a read fault of a range that
	 * gets a PMD-sized THP allocates it instead of mapping the huge zero
	 * folio.  false (the default) is mainline's use_zero_page=1.
	 */
	bool no_huge_zeropage;
	/*
	 * The orders of thp_orders are set to "always" rather than
	 * "madvise": every anonymous private VMA gets them without
	 * MADV_HUGEPAGE (VM_NOHUGEPAGE still refuses), and khugepaged takes
	 * an mm at its first such mmap or fault.
	 */
	bool thp_always;
};

#define WORLD_DEFAULT_NODES	2
#define WORLD_DEFAULT_FRAMES	256
#define WORLD_DEFAULT_SWAP	0
#define WORLD_DEFAULT_DEVICE	16

void world_config_default(struct world_config *cfg);

/* A fixed-capacity pool of one object type. */
struct pool {
	const char *name;
	char *base;
	uint32_t objsize, cap;
	uint32_t next_fresh;	/* objects [0, next_fresh) have been handed out */
	uint32_t nr_used;
	void *free_list;	/* freed objects, linked through their first word */
	uint8_t *used;		/* a byte per object: allocated now? */
	spinlock_t lock;	/* LC_POOL */
	/*
	 * SLAB_TYPESAFE_BY_RCU: a freed object stays an object of its type
	 * (neither poisoned nor zeroed when handed out again, its lock
	 * initialised once), so a stale pointer may still be followed and
	 * its lock taken; the free list is linked through the word at
	 * link_off, which no such reader follows.
	 */
	bool typesafe;
	uint32_t link_off;
};

void *pool_alloc(struct pool *p);	/* zeroed object, or NULL when full */
void pool_free(struct pool *p, void *obj);
/* a typesafe pool's object, not zeroed; *fresh when never handed out since the reset */
void *pool_alloc_typesafe(struct pool *p, bool *fresh);
/*
 * An object of @p and one of @q together (*@second), both zeroed, or NULL
 * and neither when either pool is full; and their free.  @q is guarded by
 * @p's lock and must be used through these two calls only: one lock
 * acquisition (one scheduling decision point) as for a single object.
 */
void *pool_alloc_pair(struct pool *p, struct pool *q, void **second);
void pool_free_pair(struct pool *p, void *obj, struct pool *q, void *second);
uint32_t pool_index(const struct pool *p, const void *obj);
/* is @obj a currently allocated object of @p (ANONVMA: nothing freed is reachable) */
bool pool_owns(const struct pool *p, const void *obj);
/* visit every object currently allocated (checker); slow, fine at quiescence */
void pool_for_each_used(struct pool *p, void (*fn)(void *obj, void *arg), void *arg);

struct world {
	struct world_config cfg;
	struct pglist_data node[MMT_MAX_NODES];
	int nr_nodes;
	/*
	 * [0, nr_frames) frames on nodes, [nr_frames] the zero page,
	 * (nr_frames, nr_frames + nr_device] the device-private frames, then
	 * (aligned) the HPAGE_PMD_NR frames of the huge zero folio.
	 */
	struct folio *folios;
	uint32_t nr_frames;
	uint32_t nr_device;
	/* the huge zero folio's first frame: HPAGE_PMD_NR aligned, past the device's */
	uint32_t huge_zero_pfn;
	struct dev_pagemap devmem;	/* the device-private frames (memremap.h) */
	/*
	 * Model-only clock for the DEVICE invariant: ticks at every uffd
	 * registration and every migrate_vma population (vm_uffd_seq,
	 * folio->populated_seq).
	 */
	_Atomic uint64_t uffd_clock;
	_Atomic uint64_t lru_clock;
	_Atomic uint32_t page_idle_cursor;	/* the next pfn page_idle_scan reads */
	/*
	 * Large folios a fault allocated, by order: the per-size
	 * hugepages-*kB/stats/anon_fault_alloc counters (count_mthp_stat).
	 */
	_Atomic uint64_t mthp_fault_alloc[8];

	struct pool mm_pool, vma_pool, anon_vma_pool, avc_pool, pgtable_pool,
		    mapping_pool;
	/*
	 * The pud and pmd tables' slot arrays (struct pgtable's dir, mm.h),
	 * allocated and freed with their table under pgtable_pool's lock
	 * (pool_alloc_pair), so that a directory costs the scheduler the same
	 * single pool-lock decision point as a pte table.
	 */
	struct pool pgdir_pool;
	/* KSM: rmap_items, stable nodes, mm_slots, and the trees and scan state */
	struct pool rmap_item_pool, stable_node_pool, mm_slot_pool;
	struct ksm_state ksm;
	/* khugepaged: its mm_slots, its list and cursor */
	struct pool khugepaged_slot_pool;
	struct khugepaged_state khugepaged;

	spinlock_t swap_lock;		/* LC_SWAP_LOCK */
	struct swap_info_struct swap_info[1 << MAX_SWAPFILES_SHIFT];
	int nr_swapfiles;		/* highest type ever used + 1 */
	spinlock_t mmlist_lock;		/* LC_MMLIST */
	struct list_head mmlist;

	struct address_space *memfd;
	/*
	 * The page cache of every address_space: one open-addressing table
	 * keyed by (mapping id, index), big enough for every frame to be
	 * cached at once.  LC_SWAP_CACHE-class lock.
	 */
	spinlock_t i_pages_lock;
	uint64_t *pc_key;		/* (id << 32 | index) + 1; 0 = empty */
	struct folio **pc_folio;
	uint32_t pc_cap;
	/*
	 * One bit per slot, set iff pc_key[slot] != 0: reset and the
	 * checker's bounded pass visit the entries, not the table.
	 */
	uint64_t *pc_used;
	_Atomic uint32_t next_id;	/* ids for reports */
	struct gup_pins pins;		/* long-term GUP pins (gup.h) */
};

extern struct world *the_world;

/* Build a world (and make it the_world).  NULL on bad config / no memory. */
struct world *world_create(const struct world_config *cfg);
/* Return to the freshly created state; the world must be quiescent. */
void world_reset(struct world *w);
void world_destroy(struct world *w);

/* mm lifetime bookkeeping used by the checker */
void world_for_each_mm(void (*fn)(struct mm_struct *mm, void *arg), void *arg);

#endif /* MMT_WORLD_H */
