/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the checker's files share: the census, the report
 * plumbing, and the small helpers the hot loops call.
 *
 * Every family file judges its objects against one census (census.c), so
 * the census and its per-frame and per-object counts are declared here.
 * The helpers the per-pte and per-frame loops call for every entry are
 * static inline rather than in a file of their own: splitting the checker
 * by invariant family must not cost it the inlining it had as one file.
 * Functions shared between files are named chk_*: the whole stack is also
 * linked as one program, and Check owns ck_*.
 */
#ifndef MMT_CHECK_INTERNAL_H
#define MMT_CHECK_INTERNAL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/folio.h"
#include "mmt/kprim.h"
#include "mmt/list.h"
#include "mmt/mm.h"
#include "mmt/pte.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/world.h"

/* ====================================================== checker plumbing */

/* check.c: one checker runs at a time */
struct chk_state {
	int depth;		/* nesting of public entry points */
	bool quiet;		/* building a census for a single-object check */
	bool bounded;		/* check_world_incremental: census.bounded */
	unsigned found[NR_INVARIANTS];
};

extern struct chk_state the_checker;

void chk_begin(void);
void chk_end(void);
/*
 * Report one violation; returns how many it counts for (0 while quiet).
 * The caller's line is the clause's site (mmdebug.h struct mmt_violation).
 */
#define chk_viol(inv, obj, fmt, ...) \
	chk_viol_at(__FILE__, __func__, __LINE__, inv, obj, fmt, ##__VA_ARGS__)
__attribute__((format(printf, 6, 7)))
int chk_viol_at(const char *file, const char *func, int line, enum mmt_invariant inv,
		const char *obj, const char *fmt, ...);
/* an object's name for a report, in one of a few rotating buffers */
__attribute__((format(printf, 1, 2)))
const char *chk_objname(const char *fmt, ...);

/* ---------------------------------------------------------- the census */

struct frame_census {
	uint32_t ptes;		/* present ptes (the zero page is never counted) */
	uint32_t migr;		/* migration entries */
	uint32_t dev;		/* device-private entries */
	uint32_t writers;	/* writable ptes, write migration/device entries */
	uint32_t excl;		/* READ_EXCL and WRITE migration entries */
	uint32_t pc_slots;	/* page-cache slots holding it */
	uint32_t pins;		/* long-term GUP pins on it (gup.h) */
	uint32_t pmds;		/* a PMD-sized folio's head: huge pmds mapping the folio */
	uint32_t pmd_writers;	/* ... of them writable */
	struct address_space *pc;	/* whose page cache holds it */
	uint64_t pc_index;
	uint32_t wr_mm;		/* the first writer, for the report */
	uint64_t wr_addr;
	uint32_t gen;		/* census generation it belongs to (fc_at) */
	uint8_t state;		/* FS_* */
};

#define FS_ON_FREE	0x1	/* on its node's free list */
#define FS_ON_SPLITQ	0x2	/* on its node's deferred split queue */

#define SWC_EXCL	0x80000000u	/* some swap pte of the slot is exclusive */
#define SWC_COUNT	0x7fffffffu

struct pool_map {
	const struct pool *p;
	uint8_t *live;		/* per object: allocated right now */
	uint32_t nr_live;
};

struct census {
	uint32_t nr_frames;	/* frames on nodes: [0, nr_frames) */
	/*
	 * Every pfn with a census entry: the frames, the zero page, then the
	 * device-private frames (dev_first, dev_first + nr_device).
	 */
	uint32_t nr_pfns;
	uint32_t dev_first, nr_device;
	uint64_t zero_pfn;
	uint64_t huge_zero_pfn;	/* the huge zero folio's first frame (world.h) */
	/*
	 * Per frame, valid only where fc[pfn].gen == gen: a census does not
	 * clear the array, fc_at() clears an entry the first time it is
	 * touched, and a stale entry reads as zero (fc_get).
	 */
	struct frame_census *fc;
	uint32_t gen;
	/* never-handed-out frames the census found referenced (bounded mode) */
	uint32_t *stray;
	uint32_t nr_stray;
	uint32_t *swc[1 << MAX_SWAPFILES_SHIFT];	/* per slot: swap ptes | SWC_EXCL */
	uint64_t swc_len[1 << MAX_SWAPFILES_SHIFT];
	struct pool_map mm, vma, av, avc, map, pgt;
	uint32_t *av_active;		/* VMAs whose vma->anon_vma it is */
	uint32_t *av_children;		/* live non-empty anon_vmas whose parent it is */
	uint32_t *av_desc;		/* live anon_vmas (other than it) whose root it is */
	uint8_t *vma_seen;		/* on an mm's VMA list */
	struct address_space **vma_immap;	/* whose i_mmap holds it */
	struct vm_area_struct **avc_vma;	/* whose VMA chain holds it */
	struct anon_vma **avc_head;		/* whose anon_vma list holds it */
	uint32_t *map_vmas;		/* VMAs (on an mm) whose vm_file it is */
	uint32_t *map_pages;		/* its entries in the page cache */
	uint8_t *pgt_seen;
	uint64_t pgt_reached;
	/* pud and pmd tables' slot arrays (pgdir pool), and whose they are */
	struct pool_map pgdir;
	uint8_t *pgdir_seen;		/* live pud/pmd tables pointing at it */
	/* KSM (ksm.c): pools, and what the census found reaching each object */
	struct pool_map ksm_item, ksm_node, ksm_slot;
	uint32_t *av_ksm;		/* stable rmap_items holding the anon_vma */
	struct ksm_mm_slot **item_slot;	/* whose rmap_list holds the item */
	uint8_t *node_seen;		/* times reached from a tree or migrate_nodes */
	int8_t *node_tree;		/* the tree it was found in, -1 migrate_nodes */
	uint8_t *slot_seen;		/* on the mm_slot list */
	bool mms_walked;
	/*
	 * Trust each page table's nr_used to stop scanning it early
	 * (check_world_incremental); otherwise every entry is read and the
	 * counts themselves are checked.
	 */
	bool bounded;
};

extern struct census the_census;

/* a device-private frame of the world's pagemap (memremap.h) */
static inline bool chk_device_pfn(const struct census *c, uint64_t pfn)
{
	return pfn >= c->dev_first && pfn < (uint64_t)c->dev_first + c->nr_device;
}
/* census.c */
int chk_census_build(bool walk_mms, bool defer);
struct census *chk_census_quiet(bool walk_mms);

static inline bool pool_idx(const struct pool *p, const void *obj, uint32_t *idx)
{
	uintptr_t a = (uintptr_t)obj, b = (uintptr_t)p->base, off;

	if (!obj || !p->base || !p->objsize || a < b)
		return false;
	off = a - b;
	if (off % p->objsize)
		return false;
	off /= p->objsize;
	if (off >= p->next_fresh || off >= p->cap)
		return false;
	if (idx)
		*idx = (uint32_t)off;
	return true;
}

/* @obj is an object of @m's pool that is allocated right now */
static inline bool pm_live(const struct pool_map *m, const void *obj, uint32_t *idx)
{
	uint32_t i;

	if (!m->p || !pool_idx(m->p, obj, &i) || !m->live[i])
		return false;
	if (idx)
		*idx = i;
	return true;
}

static inline void *pm_obj(const struct pool_map *m, uint32_t i)
{
	return m->p->base + (size_t)i * m->p->objsize;
}

/* container_of for a list walk that must survive a NULL link in a corrupt list */
#define entry_or_null(e, type, member)	((e) ? container_of(e, type, member) : NULL)

#define pm_for_each_live(m, i) \
	for (uint32_t i = 0; i < (m)->p->next_fresh && i < (m)->p->cap; i++) \
		if ((m)->live[i])

/*
 * Objects ever handed out: only these can be live (pool_idx rejects the
 * rest), so every per-object scratch array is sized by it, not by the
 * pool's capacity.  A fuzzing world uses a few dozen of each.
 */
static inline uint32_t pool_fresh(const struct pool *p)
{
	return p->next_fresh < p->cap ? p->next_fresh : p->cap;
}

static inline bool folio_in_range(const struct census *c, const void *p, uint32_t *pfn)
{
	const char *base = (const char *)the_world->folios, *a = p;
	size_t off;

	if (!p || a < base)
		return false;
	off = (size_t)(a - base);
	if (off % sizeof(struct folio) || off / sizeof(struct folio) >= c->nr_frames)
		return false;
	if (pfn)
		*pfn = (uint32_t)(off / sizeof(struct folio));
	return true;
}

static inline int node_of_pfn(uint64_t pfn)
{
	for (int n = 0; n < the_world->nr_nodes; n++) {
		const struct pglist_data *nd = &the_world->node[n];

		if (pfn >= nd->first_pfn && pfn < (uint64_t)nd->first_pfn + nd->nr_frames)
			return n;
	}
	return -1;
}

/* never handed out: past the node's bump pointer (relative to first_pfn) */
static inline bool frame_fresh(uint64_t pfn)
{
	int n = node_of_pfn(pfn);

	return n >= 0 && pfn - the_world->node[n].first_pfn >= the_world->node[n].next_fresh;
}

/*
 * The census entry of frame @pfn (< nr_frames) for writing: cleared the
 * first time this census touches it, so that a census costs what it
 * finds, not what the world could hold.  A bounded census visits only
 * frames that were handed out, so a never-handed-out frame that something
 * references is remembered here and checked as well.
 */
static inline struct frame_census *fc_at(struct census *c, uint32_t pfn)
{
	struct frame_census *fc = &c->fc[pfn];

	if (fc->gen != c->gen) {
		memset(fc, 0, sizeof(*fc));
		fc->gen = c->gen;
		if (c->bounded && frame_fresh(pfn))
			c->stray[c->nr_stray++] = pfn;	/* at most nr_frames */
	}
	return fc;
}

/* ... for reading: a frame the census never touched has an all-zero entry */
static inline const struct frame_census *fc_get(const struct census *c, uint32_t pfn)
{
	static const struct frame_census none;

	return c->fc[pfn].gen == c->gen ? &c->fc[pfn] : &none;
}

/*
 * 5.6: the page cache, one open-addressing table for every address_space
 * (filemap.c): key = ((mapping id << 32) | index) + 1, 0 = empty, and the
 * mapping id is its index in the mapping pool.  Records which cache holds
 * each frame; check_mapping checks the entries of one mapping.
 */
static inline bool pc_decode(const struct census *c, uint32_t slot, struct address_space **m,
			     uint64_t *index)
{
	uint64_t key = the_world->pc_key[slot];
	uint32_t id;

	if (!key)
		return false;
	id = (uint32_t)((key - 1) >> 32);
	*index = (key - 1) & 0xffffffffull;
	*m = NULL;
	if (id < c->map.p->next_fresh && id < c->map.p->cap && c->map.live[id])
		*m = pm_obj(&c->map, id);
	return true;
}

/* ====================================================== one mm's pte walk */

struct mm_ctx {
	struct census *c;
	struct mm_struct *mm;
	struct list_head *vcur;	/* VMA cursor: ptes and VMAs both come in address order */
	bool vmas_ok;		/* the VMA list could be walked */
	bool defer;		/* per-frame checks follow (check_world) */
	long rss[NR_MM_COUNTERS];
	int v;
};

/* which RSS counter a folio counts in (mm_counter(), computed independently) */
static inline int rss_class(const struct census *c, const struct folio *f)
{
	const struct address_space *m;

	if (folio_test_anon(f))
		return MM_ANONPAGES;
	m = folio_mapping(f);
	if (pm_live(&c->map, m, NULL) ? m->shmem : folio_test_swapbacked(f))
		return MM_SHMEMPAGES;
	return MM_FILEPAGES;
}

#define PTE_VIOL(x, addr, inv, ...)						\
	do {									\
		char __o[64];							\
		snprintf(__o, sizeof(__o), "mm %u addr %#" PRIx64,		\
			 (x)->mm->id, (uint64_t)(addr));			\
		(x)->v += chk_viol(inv, __o, __VA_ARGS__);			\
	} while (0)

static inline void note_writer(struct frame_census *fc, const struct mm_ctx *x, uint64_t addr)
{
	if (fc->writers++ == 0) {
		fc->wr_mm = x->mm->id;
		fc->wr_addr = addr;
	}
}

/* pgtable.c */
int chk_mm(struct mm_struct *mm, struct census *c, bool defer);
const char *chk_vma_name(const struct census *c, const struct vm_area_struct *vma);
/* device.c: DEVICE 11.x, and the device frames' share of 1.1, 2.x, 3.2, 13.4 */
int chk_device_free_list(struct census *c);
void chk_device_pte(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr, swp_entry_t e);
int chk_device_frames(struct census *c);
int chk_device_folio(struct folio *f, struct census *c);
int chk_device_leaks(struct census *c);
void chk_rmap(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr, struct folio *f,
	      const char *what);
void chk_rmap_page(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr,
		   struct folio *f, uint32_t pg_idx, const char *what);

/* swap.c */
bool chk_swap_pte(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr, pte_t pte);
int chk_swap(struct swap_info_struct *si, struct census *c);

/* migration.c */
void chk_migration_pte(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr,
		       swp_entry_t e);
int chk_migration_swap_type(int t);

/* folio.c */
int chk_frames(struct census *c);

/* anon_vma.c */
int chk_vma_anon(struct vm_area_struct *vma, struct census *c);
int chk_anon_vma(struct anon_vma *av, struct census *c);

/* mapping.c */
const char *chk_map_name(const struct address_space *m);
int chk_vma_file(struct vm_area_struct *vma, struct census *c, uint32_t vi);
int chk_mapping(struct address_space *m, struct census *c);

/* leak.c */
int chk_leaks(struct census *c);
/* ksm.c: KSM 10.x and its LEAK clauses; chk_ksm_census fills the census */
int chk_ksm_census(struct census *c);
int chk_ksm(struct census *c);
int chk_ksm_folio(struct folio *f, const struct frame_census *fc, struct census *c);
int chk_ksm_empty(struct census *c);

/* lockorder.c */
static inline bool lock_held(const struct kp_lockinfo *li)
{
	return atomic_load(&((struct kp_lockinfo *)li)->owner) != NULL ||
	       atomic_load(&((struct kp_lockinfo *)li)->readers) != 0;
}

int chk_lock_viol(const struct kp_lockinfo *li, const char *obj, const char *what);

/* 14.1; a macro so that @obj is only named when the lock is held */
#define check_lock(li, obj, what)	(lock_held(li) ? chk_lock_viol(li, obj, what) : 0)

int chk_world_locks(void);
/*
 * The folio a frame belongs to: itself, or for a tail frame of a large
 * folio the first frame, when tail_off points inside the frames at a large
 * enough folio; otherwise the frame itself (folio_check reports the tail).
 */
static inline struct folio *chk_page_folio(const struct census *c, struct folio *frame)
{
	struct folio *head;

	if (!frame->tail_off)
		return frame;
	if ((uint32_t)(frame - the_world->folios) < frame->tail_off)
		return frame;
	head = frame - frame->tail_off;
	if (head->tail_off || frame->tail_off >= (1u << head->order) ||
	    (uint32_t)(head - the_world->folios) >= c->nr_frames)
		return frame;
	return head;
}
/* pin.c: PIN 15.x, the pins' census for 2.1, and their leak */
int chk_pins_census(struct census *c);
int chk_pins(struct census *c);
int chk_pins_empty(void);

#endif /* MMT_CHECK_INTERNAL_H */
