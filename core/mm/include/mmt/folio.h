/* SPDX-License-Identifier: MIT */
/*
 * folio.h - physical memory: NUMA nodes, page frames, folios.
 *
 * Every frame of the world is a struct folio in one array indexed by pfn
 * (order-0 only for now: a folio has exactly one struct page, but the fields
 * for large folios are in place so that PTE- and PMD-mapped THPs can come
 * without a layout change).  One extra folio past the last frame is the zero
 * page: reserved, never freed, never counted in mapcount or refcount.
 *
 * Counting rules (the REFCOUNT invariant, see check.h):
 *   refcount = mapcount            one per PTE that maps it
 *            + swapcache ? 1 : 0   the swap cache's reference
 *            + pagecache ? 1 : 0   the page cache's reference
 *            + isolated ? 1 : 0    taken off the LRU by migration/reclaim
 *            + transient refs      held by an operation in progress
 * A migration entry holds no reference: the migrating task's isolation
 * reference is what keeps the folio alive, as in the kernel.
 * mapcount is kept -1 based in page->_mapcount like the kernel's.
 *
 * Large folios (issue 13): an anonymous folio of order > 0 is 2^order
 * consecutive frames of one node, naturally aligned, mapped by PTEs only
 * (mTHP; no PMD mapping yet).  The first frame is the folio: refcount,
 * flags, mapping, index, LRU, lock.  Every frame keeps its own struct page
 * (_mapcount, PG_anon_exclusive) and its own contents (value); a tail
 * frame has tail_off = its index in the folio and nothing else.  Mapcounts
 * follow Linux 6.11/6.12 (CONFIG_PAGE_MAPCOUNT): each page's _mapcount
 * counts the PTEs mapping it, the folio's _large_mapcount all of its PTE
 * mappings, _nr_pages_mapped the pages mapped at least once,
 * _entire_mapcount the PMD mappings (always none here).  The refcount has
 * one reference per PTE, as folio_ref_add(folio, nr) takes them, and a pin
 * on a large folio is one reference plus _pincount (gup.h).
 */
#ifndef MMT_FOLIO_H
#define MMT_FOLIO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mmt/kprim.h"
#include "mmt/list.h"
#include "mmt/pte.h"

/* folio->flags bits */
enum pageflags {
	PG_locked = 0,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_active,
	PG_swapbacked,	/* anon or shmem: backed by swap, not by a file */
	PG_swapcache,	/* folio->private holds its swp_entry_t */
	PG_reserved,	/* the zero page */
	PG_isolated,	/* model-only: isolated from the LRU by migration/reclaim */
	PG_migrating,	/* model-only: source folio of a migration in progress */
	PG_reclaim,
	PG_partially_mapped,	/* large, on the deferred split queue (deferred_split_folio) */
	PG_idle,	/* page_idle: not accessed since the tracker marked it */
	PG_young,	/* page_idle cleared a young pte: folio_referenced counts it */
	NR_PAGEFLAGS
};

/* page->flags bits (per page, not per folio) */
enum page_pageflags {
	PG_anon_exclusive = 0,
};

/*
 * folio->mapping low bits: ANON alone, the rest is a struct anon_vma *;
 * ANON|MOVABLE (= KSM), the rest is a struct ksm_stable_node * (or NULL).
 */
#define PAGE_MAPPING_ANON	0x1ul
#define PAGE_MAPPING_MOVABLE	0x2ul
#define PAGE_MAPPING_KSM	(PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE)
#define PAGE_MAPPING_FLAGS	(PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE)

struct page {
	atomic_int _mapcount;		/* -1 when unmapped */
	_Atomic unsigned long flags;	/* PG_anon_exclusive */
};

struct anon_vma;
struct address_space;

struct folio {
	_Atomic unsigned long flags;
	atomic_int _refcount;
	struct page page;		/* this frame's page; page 0 of a folio */
	atomic_int _entire_mapcount;	/* PMD mappings, -1 based (unused at order 0) */
	atomic_int _large_mapcount;	/* large: PTE mappings of all pages, -1 based */
	atomic_int _nr_pages_mapped;	/* large: pages with a PTE mapping */
	atomic_int _pincount;		/* large: FOLL_PIN pins (gup.h) */
	uint8_t order;
	/*
	 * A tail frame of a large folio: its index in the folio (the folio is
	 * this frame - tail_off); 0 for a folio's first frame.  Written under
	 * the node's free-list lock when the folio is allocated or freed, and
	 * by a split, which page_folio() may be reading without a lock (a zap
	 * of a migration entry of a folio under split): the kernel's
	 * compound_head is READ_ONCE/WRITE_ONCE for the same reason, so atomic.
	 */
	_Atomic uint16_t tail_off;
	bool buddy;			/* on its node's free list (under its lock) */
	uint8_t nid;
	/*
	 * A ZONE_DEVICE frame of the device-private pagemap (memremap.h):
	 * set when the world is built, never changed.  Its folio is never on
	 * an LRU or in the swap cache and is mapped only through
	 * device-private swap entries.
	 */
	bool zone_device;
	uint32_t pfn;
	/*
	 * anon_vma | PAGE_MAPPING_ANON, or address_space *.  Written under the
	 * folio lock, but read locklessly in many places (as with READ_ONCE in
	 * the kernel), hence atomic.
	 */
	_Atomic uintptr_t mapping;
	uint64_t index;			/* page offset in the anon_vma / file */
	uint64_t private;		/* swp_entry_t.val while PG_swapcache */
	_Atomic uint64_t value;		/* the page's contents: one 64-bit word */
	struct list_head lru;		/* on node LRU or node free list */
	/*
	 * A large anon folio's link on its node's deferred split queue (or on
	 * deferred_split_scan's private list while the scan works on it),
	 * under the node's split_queue_lock; empty when not queued.  Orders
	 * 2 and up only, as in the kernel (an order-1 folio has no room).
	 */
	struct list_head _deferred_list;
	uint64_t lru_seq;		/* LRU age: lower is older */
	uint32_t migrate_dst;		/* while PG_migrating: pfn of the destination */
	/*
	 * Migration entries that name this pfn, kept by mmt_set_pte() for the
	 * checker (the kernel has no such count): it is what lets a migration's
	 * end be checked for orphans on the spot, not at the next quiescence.
	 * Never reset while the world lives, so it stays exact across reuse.
	 */
	atomic_int nr_migration_entries;
	/*
	 * Model-only, for the DEVICE invariant: the value of the world's
	 * uffd/populate clock when migrate_vma_insert_page() installed this
	 * folio in an empty entry (0: it was never populated that way).  The
	 * kernel keeps nothing like it; the checker compares it with the
	 * registration time of a uffd-missing VMA mapping it.
	 */
	uint64_t populated_seq;
	/*
	 * Model-only, for the KSM checker: when this frame, as a KSM folio,
	 * was last freed (ksm.stamp); 0 never.  Kept across reuse.
	 */
	uint64_t ksm_freed_stamp;
	/* model-only: when it became KSM (ksm.stamp; kept by migration) */
	uint64_t ksm_stamp;
	/*
	 * Model-only, for KSM 10.8, under the folio lock: when a swap-in last
	 * decided to map this KSM page rather than copy it, and whether one
	 * mapped it after run = 2 had begun since that decision (the window
	 * Linux leaves open: remove_stable_node's WARN_ON_ONCE).
	 */
	uint64_t ksm_nocopy_stamp;
	bool ksm_unmerge_raced;
	/*
	 * Model-only, for 1.5: a large folio that migration made partially
	 * mapped without the deferred split queue knowing, the way Linux
	 * leaves one (remove_migration_ptes queues nothing): a zap took some
	 * of the source's migration entries while it moved, or the split that
	 * migrate_pages_batch tries on a queued source failed and it moved
	 * whole.  Cleared when the folio is queued, split or freed.
	 */
	bool migrated_partial;
	struct kp_lockinfo lockinfo;	/* for PG_locked */
};

#define MMT_MAX_NODES 8

struct pglist_data {
	int node_id;
	spinlock_t lock;		/* LC_ZONE: free list */
	struct list_head free_list;
	uint32_t first_pfn, nr_frames, nr_free;
	uint32_t next_fresh;		/* frames never handed out: O(used) reset */
	spinlock_t lru_lock;		/* LC_LRU */
	struct list_head lru;		/* oldest first */
	/*
	 * The node's deferred split queue (pgdat->deferred_split_queue; no
	 * memcg): large anon folios partly unmapped, waiting for the
	 * deferred_split_scan shrinker to split them.
	 */
	spinlock_t split_queue_lock;	/* LC_SPLIT_QUEUE */
	struct list_head split_queue;
	unsigned long split_queue_len;
};

/* flags */
static inline bool folio_test(const struct folio *f, int bit)
{
	kp_access(f, KP_F_FOLIO_FLAGS, false);
	return (atomic_load(&((struct folio *)f)->flags) >> bit) & 1;
}
static inline void folio_set(struct folio *f, int bit)
{
	kp_access(f, KP_F_FOLIO_FLAGS, true);
	atomic_fetch_or(&f->flags, 1ul << bit);
}
static inline void folio_clear(struct folio *f, int bit)
{
	kp_access(f, KP_F_FOLIO_FLAGS, true);
	atomic_fetch_and(&f->flags, ~(1ul << bit));
}

#define FOLIO_FLAG_FUNCS(name, bit)							\
	static inline bool folio_test_##name(const struct folio *f) { return folio_test(f, bit); } \
	static inline void folio_set_##name(struct folio *f) { folio_set(f, bit); }		\
	static inline void folio_clear_##name(struct folio *f) { folio_clear(f, bit); }
FOLIO_FLAG_FUNCS(locked, PG_locked)
FOLIO_FLAG_FUNCS(referenced, PG_referenced)
FOLIO_FLAG_FUNCS(uptodate, PG_uptodate)
FOLIO_FLAG_FUNCS(dirty, PG_dirty)
FOLIO_FLAG_FUNCS(lru, PG_lru)
FOLIO_FLAG_FUNCS(active, PG_active)
FOLIO_FLAG_FUNCS(swapbacked, PG_swapbacked)
FOLIO_FLAG_FUNCS(swapcache, PG_swapcache)
FOLIO_FLAG_FUNCS(reserved, PG_reserved)
FOLIO_FLAG_FUNCS(isolated, PG_isolated)
FOLIO_FLAG_FUNCS(migrating, PG_migrating)
FOLIO_FLAG_FUNCS(idle, PG_idle)
FOLIO_FLAG_FUNCS(young, PG_young)
#undef FOLIO_FLAG_FUNCS
static inline bool folio_test_clear_young(struct folio *f)
{
	kp_access(f, KP_F_FOLIO_FLAGS, true);
	return (atomic_fetch_and(&f->flags, ~(1ul << PG_young)) >> PG_young) & 1;
}

/*
 * The bit alone, with no precondition: for the checker, which looks at
 * every page and reports the bit where it must not be.
 */
static inline bool test_page_anon_exclusive(const struct page *p)
{
	return (atomic_load(&((struct page *)p)->flags) >> PG_anon_exclusive) & 1;
}
static inline void SetPageAnonExclusive(struct page *p)
{
	kp_access(p, KP_F_FOLIO_FLAGS, true);
	atomic_fetch_or(&p->flags, 1ul << PG_anon_exclusive);
}
static inline void ClearPageAnonExclusive(struct page *p)
{
	kp_access(p, KP_F_FOLIO_FLAGS, true);
	atomic_fetch_and(&p->flags, ~(1ul << PG_anon_exclusive));
}

static inline bool folio_test_anon(const struct folio *f)
{
	kp_access(f, KP_F_FOLIO_MAPPING, false);
	return (f->mapping & PAGE_MAPPING_ANON) != 0;
}
/* NULL for a KSM folio: its mapping is a stable node (ksm.h) */
static inline struct anon_vma *folio_anon_vma(const struct folio *f)
{
	kp_access(f, KP_F_FOLIO_MAPPING, false);
	if ((f->mapping & PAGE_MAPPING_FLAGS) != PAGE_MAPPING_ANON)
		return 0;
	return (struct anon_vma *)(f->mapping - PAGE_MAPPING_ANON);
}
static inline struct address_space *folio_mapping(const struct folio *f)
{
	if (folio_test_anon(f))
		return 0;
	return (struct address_space *)f->mapping;
}
/* the frames of a folio are consecutive in the world's frame array */
static inline struct page *folio_page(struct folio *f, unsigned i) { return &(f + i)->page; }
/* the frame a page is (its contents, its pfn) */
static inline struct folio *page_frame(const struct page *p)
{
	return container_of((struct page *)p, struct folio, page);
}
static inline struct folio *page_folio(const struct page *p)
{
	struct folio *frame = page_frame(p);

	return frame - frame->tail_off;
}

void page_anon_exclusive_bug(const struct page *p);	/* world.c */
/*
 * PageAnonExclusive - only of a page of an anonymous folio: the kernel's
 * VM_BUG_ON_PGFLAGS(!PageAnon(page)), here always on, is what the huge
 * zero folio met in UFFDIO_MOVE before 5d4747a6cc8e (syzbot).
 */
static inline bool PageAnonExclusive(const struct page *p)
{
	kp_access(p, KP_F_FOLIO_FLAGS, false);
	if (__builtin_expect(!(atomic_load(&page_folio(p)->mapping) & PAGE_MAPPING_ANON), 0))
		page_anon_exclusive_bug(p);
	return test_page_anon_exclusive(p);
}
static inline unsigned folio_page_idx(const struct folio *f, const struct page *p)
{
	return (unsigned)(page_frame(p) - f);
}
static inline bool folio_test_large(const struct folio *f) { return f->order > 0; }
/*
 * _nr_pages_mapped: the pages mapped by a pte (FOLIO_PAGES_MAPPED), plus
 * ENTIRELY_MAPPED while a PMD maps the folio (6.12's encoding)
 */
#define ENTIRELY_MAPPED		0x800000
#define FOLIO_PAGES_MAPPED	(ENTIRELY_MAPPED - 1)
static inline long folio_nr_pages(const struct folio *f) { return 1l << f->order; }
static inline uint64_t page_to_pfn(const struct page *p) { return page_frame(p)->pfn; }
/* the contents of one page: every frame holds its own */
static inline _Atomic uint64_t *page_value(struct page *p) { return &page_frame(p)->value; }
/* the pte mappings of the page, plus the PMD mappings of its folio */
static inline int page_mapcount(const struct page *p)
{
	struct folio *folio = page_folio(p);
	int mc;

	kp_access(folio, KP_F_MAPCOUNT, false);
	mc = atomic_load(&((struct page *)p)->_mapcount) + 1;
	if (folio->order)
		mc += atomic_load(&folio->_entire_mapcount) + 1;
	return mc;
}
static inline bool folio_test_partially_mapped(const struct folio *f)
{
	return folio_test(f, PG_partially_mapped);
}
/* a large folio that may sit on a deferred split queue (order > 1) */
static inline bool folio_has_deferred_list(const struct folio *f) { return f->order > 1; }

static inline int folio_ref_count(const struct folio *f)
{
	kp_access(f, KP_F_FOLIO_REF, false);
	return atomic_load(&((struct folio *)f)->_refcount);
}
static inline int folio_mapcount(const struct folio *f)
{
	kp_access(f, KP_F_MAPCOUNT, false);
	if (folio_test_large(f))
		return atomic_load(&((struct folio *)f)->_large_mapcount) + 1;
	return atomic_load(&((struct folio *)f)->page._mapcount) + 1;
}
static inline bool folio_mapped(const struct folio *f) { return folio_mapcount(f) > 0; }
/*
 * folio_likely_mapped_shared - the estimate of 6.11-6.13: a small folio
 * mapped more than once; a large one mapped more than once in all with
 * some page mapped twice for sure (a PMD mapping and another, or more
 * mappings than pages), else as its first page is (a large folio shared by
 * fork has its first page shared unless that page was COWed or unmapped).
 */
static inline bool folio_likely_mapped_shared(const struct folio *f)
{
	int mapcount = folio_mapcount(f);

	if (!folio_test_large(f))
		return mapcount > 1;
	if (mapcount <= 1)
		return false;
	if (atomic_load(&((struct folio *)f)->_entire_mapcount) >= 0 ||
	    mapcount > folio_nr_pages(f))
		return true;
	return page_mapcount(&f->page) > 1;
}
static inline swp_entry_t folio_swap_entry(const struct folio *f)
{
	return (swp_entry_t){ f->private };
}
/*
 * The two zero folios are the reserved ones: the order-0 zero page and the
 * PMD-sized huge zero folio (world.c).  Neither is refcounted (folio_get
 * and folio_put pass them by): the huge one is the persistent huge zero
 * folio of CONFIG_PERSISTENT_HUGE_ZERO_FOLIO, never freed, so
 * mm_get_huge_zero_folio has nothing to count.
 */
static inline bool is_zero_folio(const struct folio *f)
{
	return folio_test_reserved(f) && !f->order;
}
static inline bool is_huge_zero_folio(const struct folio *f)
{
	return folio_test_reserved(f) && f->order;
}
static inline bool folio_is_device_private(const struct folio *f) { return f->zone_device; }
static inline bool folio_is_zone_device(const struct folio *f) { return f->zone_device; }

/* physical memory ----------------------------------------------------- */

struct folio *pfn_folio(uint64_t pfn);		/* the frame; NULL when no such frame */
/* the page of a frame (its folio is page_folio()) */
static inline struct page *pfn_to_page(uint64_t pfn)
{
	struct folio *f = pfn_folio(pfn);

	return f ? &f->page : (struct page *)0;
}
uint64_t folio_pfn(const struct folio *f);
uint32_t nr_frames_total(void);
struct folio *zero_folio(void);
uint64_t zero_pfn(void);
/* the pte a read fault (or a split of the huge zero pmd) maps the zero page by */
static inline pte_t mk_zero_pte(void)
{
	return pte_mkspecial(pte_mkyoung(pfn_pte(zero_pfn(), false)));
}
struct folio *huge_zero_folio(void);
uint64_t huge_zero_pfn(void);

/*
 * Allocate one frame on @nid, falling back to the other nodes in order when
 * @nid is full and !@exact; NULL when memory is exhausted.  The folio comes
 * back with refcount 1, mapcount 0, no flags, value 0.
 * Locks: takes the node's LC_ZONE lock.
 */
struct folio *folio_alloc(int nid, bool exact);
/*
 * An anonymous large folio of @order on @nid alone: 2^order free frames,
 * naturally aligned; NULL when there is no such run (no compaction).  The
 * folio comes back as folio_alloc's, its tails with refcount 0.
 */
struct folio *folio_alloc_order(int nid, unsigned order);

void folio_get(struct folio *f);
/* take a reference unless the count already dropped to zero */
bool folio_try_get(struct folio *f);
/*
 * folio_ref_freeze - a refcount of exactly @count becomes 0, so that no
 * folio_try_get can take one until folio_ref_unfreeze: what split and the
 * migration of a cached folio (under the cache's lock) use to own a folio
 * outright.  Every freezer holds the folio lock, which is what a waiter
 * for the freeze to end sleeps on (get_ksm_page).
 */
static inline bool folio_ref_freeze(struct folio *folio, int count)
{
	int expected = count;

	kp_access(folio, KP_F_FOLIO_REF, true);
	return atomic_compare_exchange_strong(&folio->_refcount, &expected, 0);
}
static inline void folio_ref_unfreeze(struct folio *folio, int count)
{
	kp_access(folio, KP_F_FOLIO_REF, true);
	atomic_store(&folio->_refcount, count);
}
/* drop a reference; the last one frees the frame back to its node */
void folio_put(struct folio *f);
/* free a folio whose refcount its owner froze at 0 (reclaim); unlocked */
void free_frozen_folio(struct folio *f);
/* for refs dropped in bulk, e.g. folio_put_refs(f, nr) */
void folio_put_refs(struct folio *f, int nr);

/* PG_locked.  folio_lock sleeps; callers must follow the lock order. */
void folio_lock(struct folio *f);
bool folio_trylock(struct folio *f);
void folio_unlock(struct folio *f);
void folio_wait_locked(struct folio *f);

/* LRU: a folio on the LRU has PG_lru and sits on its node's list. */
void folio_add_lru(struct folio *f);
/* take off the LRU with a reference; false if it was not on it */
bool folio_isolate_lru(struct folio *f);
void folio_putback_lru(struct folio *f);
/* unlink from the LRU (no ref change) before the frame is freed */
void folio_del_lru(struct folio *f);
void folio_mark_accessed(struct folio *f);

#endif /* MMT_FOLIO_H */
