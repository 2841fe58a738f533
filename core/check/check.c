// SPDX-License-Identifier: MIT
/*
 * check.c - the invariant checker (the oracle).
 *
 * The checker reads the world without taking a lock, so it may only run at
 * quiescent points: no task inside an operation, no lock held.  It must not
 * trust the model either: it never calls model code that could take a lock
 * or change a count, validates every pointer it follows against the pool or
 * frame array it must belong to, and bounds every list walk, so that a
 * corrupted world yields reports rather than a crash or a hang.
 *
 * Invariants and the clauses that enforce them.  Numbers are the
 * enum mmt_invariant values (check.h, DESIGN.md section 3).  "mappings" of a
 * frame = present ptes + migration entries + device-private entries found in
 * every live mm; "quiescent" clauses hold only between operations.
 *
 *  1 MAPCOUNT
 *    1.1 folio_mapcount == present ptes mapping the frame + device-private
 *        entries pointing at it (zero page excluded) ............ check_folio
 *    1.2 a mapcount is never negative ............................ check_folio
 *    1.3 a present pte maps an existing frame; a special pte maps only
 *        the zero page ........................................... check_mm
 *  2 REFCOUNT
 *    2.1 refcount == mappings (ptes + device entries) + swap cache (1) +
 *        page cache (1, !anon && mapping) + isolated (1); equality, since
 *        at quiescence no transient pin may remain ............... check_folio
 *        (checked against the mappings found, not against _mapcount, so a
 *        wrong _mapcount is reported once, as MAPCOUNT)
 *    2.2 refcount 0 <=> the frame is free: on its node's free list or never
 *        handed out (past the node's next_fresh); a free frame is on no list
 *        twice, on its own node's list only; nr_free == free list + never
 *        handed out ..................................... check_folio, check_world
 *    2.3 a free frame has mapcount 0, no flags (folio or page), no mapping,
 *        and no pte, migration or device entry points at it ..... check_folio
 *    2.4 only the zero page is PG_reserved ....................... check_folio
 *    2.5 a page-cache folio has refcount >= 1 + mapcount ......... check_mapping
 *  3 MIGRATION
 *    3.1 no migration entry exists at quiescence (each one is reported
 *        with its mm, address, pfn and the folio's state) ........ check_mm
 *    3.2 no folio is PG_locked, PG_migrating or PG_isolated at
 *        quiescence ............................................... check_folio
 *    3.3 a swap device never takes a migration type, whose entries would
 *        then be read as migration entries ....................... check_swap_info
 *  4 SWAPMAP
 *    4.1 swap_map[off] & SWAP_COUNT_MASK == swap ptes naming (type, off)
 *                                                              check_swap_info
 *    4.2 SWAP_HAS_CACHE iff cache[off]; the cached folio is PG_swapcache
 *        and its private names (type, off) ....................... check_swap_info
 *    4.3 inuse_pages == slots with a nonzero map; slot 0 (the header) is
 *        never used, cached or referenced; no slot above highest_alloc
 *        is used, cached or named by a swap pte ......... check_swap_info, check_mm
 *    4.4 a reserved type (>= MAX_SWAPFILES) never indexes a device, a device
 *        sits at its own index, below nr_swapfiles ............... check_swap_info
 *    4.5 a swap pte of a real type names a used device and a slot inside
 *        it; an mm with swap ptes is on the mmlist ............... check_mm
 *    4.6 a PG_swapcache folio sits in the cache slot it names ..... check_folio
 *  5 RMAP
 *    5.1 every pte / migration entry lies inside a VMA ............ check_mm
 *    5.2 anon folio: the VMA's chain reaches folio_anon_vma and
 *        linear_page_index(vma, addr) == folio->index ............ check_mm
 *    5.3 file folio: vma->vm_file == folio_mapping and the index agrees;
 *        a mapped folio is anon or in a page cache ............... check_mm
 *    5.4 a file VMA is on its mapping's i_mmap (once), an anonymous one on
 *        none; a shared VMA has a file or shmem object ........... check_vma
 *    5.5 swap ptes only in private VMAs that have an anon_vma ..... check_mm
 *    5.6 a page-cache entry (one world table, key = mapping id + index)
 *        holds a frame whose mapping and index are the key's; nrpages
 *        agrees; i_mmap holds VMAs of this mapping ............... check_mapping
 *    5.7 a file folio is in the page cache of its mapping; an anon folio
 *        is in none; a folio's mapping is live ................... check_folio
 *  6 ANONVMA
 *    6.1 root->root == root; parent is live and in the same tree .. check_anon_vma
 *    6.2 every avc on av->head points at av and at a VMA whose chain holds
 *        it ....................................................... check_anon_vma
 *    6.3 every avc on a VMA's chain points at that VMA and is on its
 *        anon_vma's list; all of them are in one tree ............ check_vma
 *    6.4 vma->anon_vma is live and on the VMA's chain; the chain is empty
 *        iff vma->anon_vma is NULL ................................ check_vma
 *    6.5 num_active_vmas == VMAs whose anon_vma it is; num_children ==
 *        other live anon_vmas on some VMA whose parent it is (the model,
 *        unlike the kernel since 4.10, does not count a root's self-parent
 *        link); refcount == 1 while on a VMA + 1 per live anon_vma rooted
 *        at it (each holds its root), so never < 1 while live .. check_anon_vma
 *    6.6 a mapped anon folio's anon_vma is live (never freed) ..... check_folio
 *  7 EXCLUSIVE
 *    7.1 a writable pte of an anon folio => PageAnonExclusive .... check_mm
 *    7.2 ... and the folio is mapped exactly once ........ check_folio (check_mm
 *        alone, against _mapcount, when no world census runs)
 *    7.3 PageAnonExclusive, or an exclusive migration entry => mapped at
 *        most once; AnonExclusive only on anon folios ............ check_folio
 *    7.4 a swap pte marked exclusive is the slot's only reference  check_swap_info
 *  8 PROT
 *    8.1 a writable pte, write migration entry or writable device entry
 *        lies in a VM_WRITE VMA; VM_WRITE implies VM_MAYWRITE . check_mm, check_vma
 *    8.2 a COW-shared anon page (mapped more than once) is writable
 *        nowhere ................................................. check_folio
 *    8.3 a page-cache folio is never writable in a private mapping, the
 *        zero page never writable anywhere ....................... check_mm
 *  9 RSS
 *    9.1 MM_ANONPAGES == ptes + migration entries of anon folios + device
 *        entries; MM_FILEPAGES / MM_SHMEMPAGES likewise for file / shmem
 *        folios; MM_SWAPENTS == swap ptes of real types; zero-page ptes
 *        count nowhere ........................................... check_mm
 * 13 LEAK
 *    13.1 every pool's nr_used == objects handed out - free list == its
 *         used map, the free list stays inside the pool ......... check_world
 *    13.2 every live vma is on an mm, every live avc on a VMA chain, every
 *         live page table reachable from an mm, every live anon_vma on a VMA
 *         or the root of a live tree, no page-cache entry of a freed mapping;
 *         a live mm has mm_users == 1 and has not exited
 *                                      check_world, check_anon_vma, check_mm
 *    13.3 a mapping's refcount == VMAs on its i_mmap (+1 for the memfd)
 *                                                              check_mapping
 *    13.4 with no process left and swap off: pools empty but for the memfd,
 *         every frame free but the memfd's page cache (refcount 1, unmapped)
 *         and the zero page, mmlist empty ................... check_world_empty
 * 14 LOCKORDER
 *    14.1 no lock is held at quiescence (mm, anon_vma, mapping, swap,
 *         node, world locks) ..... check_mm, check_anon_vma, check_mapping,
 *                                  check_swap_info, check_world
 * 16 BUG
 *    16.1 structural faults no specific invariant names: VMA range, order
 *         and overlap, map_count, vm_mm, page-table levels and sharing
 *                                                   check_mm, check_vma, check_world
 *
 * KSM (10), DEVICE (11), DATA (12) are checked elsewhere or later; DATA is
 * the executor's reference model.
 *
 * How check_world works: one census pass builds per-frame, per-slot and
 * per-object counts from every live mm's VMAs and ptes (while checking each
 * pte against its VMA), then every frame, swap device, anon_vma and mapping
 * is checked against the counts.  The public check_folio/check_anon_vma/
 * check_swap_info/check_mapping build the same census silently first, so a
 * unit test gets the full check of one object.  The census lives in static
 * scratch buffers that only grow: one checker runs at a time.
 *
 * Reports: each top-level call reports at most CHECK_BUDGET violations per
 * invariant (the rest are counted in the return value but not recorded) so
 * that one broken counter does not bury the report.
 */
#include "mmt/check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mmt/folio.h"
#include "mmt/kprim.h"
#include "mmt/list.h"
#include "mmt/mm.h"
#include "mmt/pte.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/world.h"

/* ====================================================== checker plumbing */

#define CHECK_BUDGET	16

static struct {
	int depth;		/* nesting of public entry points */
	bool quiet;		/* building a census for a single-object check */
	bool bounded;		/* check_world_incremental: census.bounded */
	unsigned found[NR_INVARIANTS];
} ck;

static void ck_begin(void)
{
	if (ck.depth++ == 0)
		memset(ck.found, 0, sizeof(ck.found));
}

static void ck_end(void)
{
	ck.depth--;
}

/* Report one violation; returns how many it counts for (0 while quiet). */
__attribute__((format(printf, 3, 4)))
static int viol(enum mmt_invariant inv, const char *obj, const char *fmt, ...)
{
	char msg[sizeof(mmt_report.first.msg)];
	va_list ap;

	if (ck.quiet)
		return 0;
	if (ck.found[inv]++ >= CHECK_BUDGET)
		return 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mmt_violation(inv, obj, "%s", msg);
	return 1;
}

/*
 * Object names are built only as an argument of a viol() call, that is only
 * when something is wrong: naming every frame and VMA up front cost more
 * than the checks themselves.  A function that names one object defines OBJ
 * as its objname() call, and viol(..., OBJ, ...) formats it on the spot.
 * A few rotating buffers: the checker is single-threaded and a message may
 * name two objects.
 */
__attribute__((format(printf, 1, 2)))
static const char *objname(const char *fmt, ...)
{
	static char buf[4][64];
	static unsigned next;
	char *b = buf[next++ & 3];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return b;
}

/* ------------------------------------------------------ scratch buffers */

/*
 * Grow-only scratch, kept in statics so LSan sees it reachable between
 * runs, and freed by a destructor so valgrind sees nothing left either.
 */
enum {
	SB_FRAMES, SB_STRAY,
	SB_LIVE_MM, SB_LIVE_VMA, SB_LIVE_AV, SB_LIVE_AVC, SB_LIVE_MAP, SB_LIVE_PGT,
	SB_AV_ACTIVE, SB_AV_CHILDREN, SB_AV_DESC,
	SB_VMA_SEEN, SB_VMA_IMMAP, SB_AVC_VMA, SB_AVC_HEAD, SB_MAP_VMAS, SB_MAP_PAGES,
	SB_PGT_SEEN,
	SB_SWAP0,
	SB_NR = SB_SWAP0 + (1 << MAX_SWAPFILES_SHIFT)
};

static struct scratch_buf {
	void *p;
	size_t cap;
} sbuf[SB_NR];

static void *scratch(int which, size_t nmemb, size_t size)
{
	struct scratch_buf *b = &sbuf[which];
	size_t bytes = nmemb * size;

	if (bytes == 0)
		bytes = 1;	/* never hand out NULL: callers index freely */
	if (bytes > b->cap) {
		void *n = realloc(b->p, bytes);

		if (!n) {
			fprintf(stderr, "mmtorture: checker out of memory (%zu bytes)\n", bytes);
			abort();
		}
		b->p = n;
		b->cap = bytes;
	}
	memset(b->p, 0, bytes);
	return b->p;
}

/*
 * The same buffer without clearing it: for arrays whose entries carry
 * their own validity (frame_census.gen).  Zeroed only when it grows.
 */
static void *scratch_keep(int which, size_t nmemb, size_t size)
{
	struct scratch_buf *b = &sbuf[which];
	size_t bytes = nmemb * size;

	if (bytes == 0)
		bytes = 1;
	if (bytes > b->cap) {
		void *n = realloc(b->p, bytes);

		if (!n) {
			fprintf(stderr, "mmtorture: checker out of memory (%zu bytes)\n", bytes);
			abort();
		}
		memset(n, 0, bytes);
		b->p = n;
		b->cap = bytes;
	}
	return b->p;
}

__attribute__((destructor))
static void scratch_free(void)
{
	for (int i = 0; i < SB_NR; i++) {
		free(sbuf[i].p);
		sbuf[i].p = NULL;
		sbuf[i].cap = 0;
	}
}

/* ---------------------------------------------------------- the census */

struct frame_census {
	uint32_t ptes;		/* present ptes (the zero page is never counted) */
	uint32_t migr;		/* migration entries */
	uint32_t dev;		/* device-private entries */
	uint32_t writers;	/* writable ptes, write migration/device entries */
	uint32_t excl;		/* READ_EXCL and WRITE migration entries */
	uint32_t pc_slots;	/* page-cache slots holding it */
	struct address_space *pc;	/* whose page cache holds it */
	uint64_t pc_index;
	uint32_t wr_mm;		/* the first writer, for the report */
	uint64_t wr_addr;
	uint32_t gen;		/* census generation it belongs to (fc_at) */
	uint8_t state;		/* FS_* */
};

#define FS_ON_FREE	0x1	/* on its node's free list */

#define SWC_EXCL	0x80000000u	/* some swap pte of the slot is exclusive */
#define SWC_COUNT	0x7fffffffu

struct pool_map {
	const struct pool *p;
	uint8_t *live;		/* per object: allocated right now */
	uint32_t nr_live;
};

struct census {
	uint32_t nr_frames;
	uint64_t zero_pfn;
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
	bool mms_walked;
	/*
	 * Trust each page table's nr_used to stop scanning it early
	 * (check_world_incremental); otherwise every entry is read and the
	 * counts themselves are checked.
	 */
	bool bounded;
};

static struct census the_census;

static bool pool_idx(const struct pool *p, const void *obj, uint32_t *idx)
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
static bool pm_live(const struct pool_map *m, const void *obj, uint32_t *idx)
{
	uint32_t i;

	if (!m->p || !pool_idx(m->p, obj, &i) || !m->live[i])
		return false;
	if (idx)
		*idx = i;
	return true;
}

static void *pm_obj(const struct pool_map *m, uint32_t i)
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
static uint32_t pool_fresh(const struct pool *p)
{
	return p->next_fresh < p->cap ? p->next_fresh : p->cap;
}

/* 13.1: which objects of @p are allocated, from its bump pointer and free list */
#define OBJ	objname("pool %s", label)
static int census_pool(struct pool_map *m, struct pool *p, const char *label, int sb)
{
	uint32_t n = 0, i, fresh = pool_fresh(p);
	void *o;
	int v = 0;

	m->p = p;
	m->nr_live = 0;
	if (p->next_fresh > p->cap)
		v += viol(INV_LEAK, OBJ, "next_fresh %u beyond capacity %u", p->next_fresh, p->cap);
	if (ck.bounded && p->used) {
		/*
		 * pool_alloc and pool_free keep the used map and the free list
		 * in step under the pool's own assertions; the full pass below
		 * proves they agree, the bounded one takes the map as it is.
		 */
		m->live = p->used;
		m->nr_live = p->nr_used;
		return v;
	}
	m->live = scratch(sb, fresh, 1);
	memset(m->live, 1, fresh);
	for (o = p->free_list; o; o = *(void **)o) {
		if (!pool_idx(p, o, &i)) {
			v += viol(INV_LEAK, OBJ, "free list holds %p, not an object handed out", o);
			break;
		}
		if (!m->live[i]) {
			v += viol(INV_LEAK, OBJ,
				  "object %u is on the free list twice (or it loops)", i);
			break;
		}
		m->live[i] = 0;
		n++;
	}
	m->nr_live = fresh - n;
	/* the pool's own byte map (pool_owns) must say the same */
	for (i = 0; p->used && i < fresh; i++) {
		if (!!p->used[i] != m->live[i]) {
			v += viol(INV_LEAK, OBJ,
				  "object %u is %s by the free list but %s by the used map",
				  i, m->live[i] ? "allocated" : "free",
				  p->used[i] ? "allocated" : "free");
			break;
		}
	}
	if (m->nr_live != p->nr_used)
		v += viol(INV_LEAK, OBJ, "nr_used %u but %u objects are handed out and not free",
			  p->nr_used, m->nr_live);
	return v;
}
#undef OBJ

static bool folio_in_range(const struct census *c, const void *p, uint32_t *pfn)
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

static int node_of_pfn(uint64_t pfn)
{
	for (int n = 0; n < the_world->nr_nodes; n++) {
		const struct pglist_data *nd = &the_world->node[n];

		if (pfn >= nd->first_pfn && pfn < (uint64_t)nd->first_pfn + nd->nr_frames)
			return n;
	}
	return -1;
}

/* never handed out: past the node's bump pointer (relative to first_pfn) */
static bool frame_fresh(uint64_t pfn)
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
static struct frame_census *fc_at(struct census *c, uint32_t pfn)
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
static const struct frame_census *fc_get(const struct census *c, uint32_t pfn)
{
	static const struct frame_census none;

	return c->fc[pfn].gen == c->gen ? &c->fc[pfn] : &none;
}

static bool lock_held(const struct kp_lockinfo *li)
{
	return atomic_load(&((struct kp_lockinfo *)li)->owner) != NULL ||
	       atomic_load(&((struct kp_lockinfo *)li)->readers) != 0;
}

static int lock_viol(const struct kp_lockinfo *li, const char *obj, const char *what)
{
	return viol(INV_LOCKORDER, obj, "%s held at a quiescent point (%s)", what,
		    atomic_load(&((struct kp_lockinfo *)li)->readers) ? "readers" : "writer");
}

/* 14.1; a macro so that @obj is only named when the lock is held */
#define check_lock(li, obj, what)	(lock_held(li) ? lock_viol(li, obj, what) : 0)

static const char *map_name(const struct address_space *m)
{
	if (m == the_world->memfd)
		return objname("memfd (mapping %u)", m->id);
	return objname("shmem mapping %u", m->id);
}

/* 2.2: node free lists */
#define OBJ	objname("node %d", n)
static int census_free_lists(struct census *c)
{
	int v = 0;

	for (int n = 0; n < the_world->nr_nodes; n++) {
		struct pglist_data *nd = &the_world->node[n];
		struct list_head *e;
		uint32_t cnt = 0, pfn;

		for (e = nd->free_list.next; e && e != &nd->free_list; e = e->next) {
			struct folio *f = container_of(e, struct folio, lru);

			if (!folio_in_range(c, f, &pfn)) {
				v += viol(INV_REFCOUNT, OBJ, "free list holds %p, not a frame",
					  (void *)f);
				break;
			}
			if (fc_get(c, pfn)->state & FS_ON_FREE) {
				v += viol(INV_REFCOUNT, OBJ,
					  "pfn %u is on the free list twice (or it loops)",
					  pfn);
				break;
			}
			if (node_of_pfn(pfn) != n)
				v += viol(INV_REFCOUNT, OBJ, "free list holds pfn %u of node %d",
					  pfn, node_of_pfn(pfn));
			fc_at(c, pfn)->state |= FS_ON_FREE;
			if (++cnt > nd->nr_frames + 1)
				break;
		}
		if (!e)
			v += viol(INV_REFCOUNT, OBJ, "free list is broken (NULL link)");
		else if (nd->next_fresh > nd->nr_frames)
			v += viol(INV_REFCOUNT, OBJ, "next_fresh %u beyond its %u frames",
				  nd->next_fresh, nd->nr_frames);
		else if (nd->nr_free != cnt + (nd->nr_frames - nd->next_fresh))
			v += viol(INV_REFCOUNT, OBJ,
				  "nr_free %u but %u frames on the free list + %u "
				  "never handed out",
				  nd->nr_free, cnt, nd->nr_frames - nd->next_fresh);
	}
	return v;
}
#undef OBJ

/* 5.4 (who is on which i_mmap) */
#define OBJ	map_name(m)
static int census_mappings(struct census *c)
{
	int v = 0;

	pm_for_each_live(&c->map, mi) {
		struct address_space *m = pm_obj(&c->map, mi);
		struct list_head *e;
		uint32_t n = 0, vi;

		for (e = m->i_mmap.next; e != &m->i_mmap; e = e->next) {
			struct vm_area_struct *vma;

			vma = entry_or_null(e, struct vm_area_struct, shared);
			if (!pm_live(&c->vma, vma, &vi)) {
				v += viol(INV_RMAP, OBJ, "i_mmap holds %p, not a live VMA",
					  (void *)vma);
				break;
			}
			if (c->vma_immap[vi]) {
				v += viol(INV_RMAP, OBJ,
					  "VMA %u is on an i_mmap twice (or the list loops)",
					  vma->id);
				break;
			}
			c->vma_immap[vi] = m;
			if (++n > c->vma.p->cap)
				break;
		}
	}
	return v;
}
#undef OBJ

/*
 * 5.6: the page cache, one open-addressing table for every address_space
 * (filemap.c): key = ((mapping id << 32) | index) + 1, 0 = empty, and the
 * mapping id is its index in the mapping pool.  Records which cache holds
 * each frame; check_mapping checks the entries of one mapping.
 */
static bool pc_decode(const struct census *c, uint32_t slot, struct address_space **m,
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

/* 5.6 for slot @i: which cache holds the frame, how many entries each mapping has */
static int census_pc_slot(struct census *c, uint32_t i)
{
	struct world *w = the_world;
	struct frame_census *fc;
	struct address_space *m;
	struct folio *f = w->pc_folio[i];
	uint64_t index;
	uint32_t pfn, mi;
	char obj[48];

	if (!pc_decode(c, i, &m, &index)) {
		if (f)
			return viol(INV_RMAP, "page cache", "empty slot %u holds pfn %u", i,
				    folio_in_range(c, f, &pfn) ? pfn : ~0u);
		return 0;
	}
	if (!m) {
		snprintf(obj, sizeof(obj), "page cache slot %u", i);
		return viol(INV_LEAK, obj,
			    "entry (index %#" PRIx64 ") of mapping id %u, which "
			    "is freed: truncation missed it", index,
			    (uint32_t)((w->pc_key[i] - 1) >> 32));
	}
	pool_idx(c->map.p, m, &mi);
	c->map_pages[mi]++;
	if (!folio_in_range(c, f, &pfn))
		return 0;	/* check_mapping names it */
	fc = fc_at(c, pfn);
	if (fc->pc_slots++ == 0) {
		fc->pc = m;
		fc->pc_index = index;
	}
	return 0;
}

/*
 * The bounded census visits the slots the occupancy bitmap names; the full
 * one reads every slot and checks the bitmap against the keys.
 */
static int census_page_cache(struct census *c)
{
	struct world *w = the_world;
	int v = 0;

	if (!w->pc_key || !w->pc_folio || !w->pc_used)
		return w->pc_cap ? viol(INV_RMAP, "page cache", "pc_cap %u but no table",
					w->pc_cap) : 0;
	if (c->bounded) {
		for (uint32_t wd = 0; wd <= w->pc_cap / 64; wd++)
			for (uint64_t bits = w->pc_used[wd]; bits; bits &= bits - 1)
				v += census_pc_slot(c, wd * 64 + (uint32_t)__builtin_ctzll(bits));
		return v;
	}
	for (uint32_t i = 0; i < w->pc_cap; i++) {
		bool used = w->pc_used[i / 64] & (1ull << (i % 64));

		if (used != !!w->pc_key[i])
			v += viol(INV_BUG, "page cache", "slot %u is %s but its bit says %s", i,
				  w->pc_key[i] ? "taken" : "empty", used ? "taken" : "empty");
		v += census_pc_slot(c, i);
	}
	return v;
}

/* 6.2 (structure): which avc is on which anon_vma's list; tree degrees */
#define OBJ	objname("anon_vma %u", av->id)
static int census_anon_vmas(struct census *c)
{
	int v = 0;

	pm_for_each_live(&c->av, ai) {
		struct anon_vma *av = pm_obj(&c->av, ai);
		struct list_head *e;
		uint32_t n = 0, ci, ri, pi;

		for (e = av->head.next; e != &av->head; e = e->next) {
			struct anon_vma_chain *avc;

			avc = entry_or_null(e, struct anon_vma_chain, same_anon_vma);
			if (!pm_live(&c->avc, avc, &ci)) {
				v += viol(INV_ANONVMA, OBJ, "list holds %p, not a live avc",
					  (void *)avc);
				break;
			}
			if (c->avc_head[ci]) {
				v += viol(INV_ANONVMA, OBJ,
					  "avc %u is on an anon_vma list twice (or it loops)",
					  avc->id);
				break;
			}
			c->avc_head[ci] = av;
			if (++n > c->avc.p->cap)
				break;
		}
		if (av->root != av && pm_live(&c->av, av->root, &ri))
			c->av_desc[ri]++;
		if (av->parent != av && !list_empty(&av->head) && pm_live(&c->av, av->parent, &pi))
			c->av_children[pi]++;
	}
	return v;
}
#undef OBJ

/* ------------------------------------------------------------- the mms */

static const char *const rss_names[NR_MM_COUNTERS] = {
	[MM_FILEPAGES]	= "MM_FILEPAGES",
	[MM_ANONPAGES]	= "MM_ANONPAGES",
	[MM_SWAPENTS]	= "MM_SWAPENTS",
	[MM_SHMEMPAGES]	= "MM_SHMEMPAGES",
};

struct mm_ctx {
	struct census *c;
	struct mm_struct *mm;
	struct list_head *vcur;	/* VMA cursor: ptes and VMAs both come in address order */
	bool vmas_ok;		/* the VMA list could be walked */
	bool defer;		/* per-frame checks follow (check_world) */
	long rss[NR_MM_COUNTERS];
	int v;
};

static const char *vma_name(const struct census *c, const struct vm_area_struct *vma)
{
	if (pm_live(&c->mm, vma->vm_mm, NULL))
		return objname("mm %u vma [%#" PRIx64 ",%#" PRIx64 ")",
			       vma->vm_mm->id, vma->vm_start, vma->vm_end);
	return objname("vma %u [%#" PRIx64 ",%#" PRIx64 ")", vma->id, vma->vm_start, vma->vm_end);
}

/* which RSS counter a folio counts in (mm_counter(), computed independently) */
static int rss_class(const struct census *c, const struct folio *f)
{
	const struct address_space *m;

	if (folio_test_anon(f))
		return MM_ANONPAGES;
	m = folio_mapping(f);
	if (pm_live(&c->map, m, NULL) ? m->shmem : folio_test_swapbacked(f))
		return MM_SHMEMPAGES;
	return MM_FILEPAGES;
}

/* the VMA containing @addr, or NULL; the cursor makes the walk O(ptes + VMAs) */
static struct vm_area_struct *ctx_vma(struct mm_ctx *x, uint64_t addr)
{
	struct list_head *head = &x->mm->mmap, *e = x->vcur;
	struct vm_area_struct *vma;

	if (!x->vmas_ok)
		return NULL;
	if (!e || e == head || container_of(e, struct vm_area_struct, vm_list)->vm_start > addr)
		e = head->next;
	for (; e != head; e = e->next) {
		vma = container_of(e, struct vm_area_struct, vm_list);
		if (vma->vm_end > addr)
			break;
	}
	x->vcur = e;
	if (e == head)
		return NULL;
	vma = container_of(e, struct vm_area_struct, vm_list);
	return vma->vm_start <= addr ? vma : NULL;
}

#define PTE_VIOL(x, addr, inv, ...)						\
	do {									\
		char __o[64];							\
		snprintf(__o, sizeof(__o), "mm %u addr %#" PRIx64,		\
			 (x)->mm->id, (uint64_t)(addr));			\
		(x)->v += viol(inv, __o, __VA_ARGS__);				\
	} while (0)

static void note_writer(struct frame_census *fc, const struct mm_ctx *x, uint64_t addr)
{
	if (fc->writers++ == 0) {
		fc->wr_mm = x->mm->id;
		fc->wr_addr = addr;
	}
}

static bool vma_chain_has(const struct census *c, const struct vm_area_struct *vma,
			  const struct anon_vma *av)
{
	const struct list_head *e;
	uint32_t n = 0;

	for (e = vma->anon_vma_chain.next; e && e != &vma->anon_vma_chain; e = e->next) {
		const struct anon_vma_chain *avc = container_of(e, struct anon_vma_chain, same_vma);

		if (!pm_live(&c->avc, avc, NULL) || ++n > c->avc.p->cap)
			return false;	/* broken chain: check_vma says so */
		if (avc->anon_vma == av)
			return true;
	}
	return false;
}

/* 5.2, 5.3: the rmap of @f reaches (@vma, @addr) */
static void rmap_check(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr,
		       struct folio *f, const char *what)
{
	struct census *c = x->c;
	uint64_t idx = linear_page_index(vma, addr);
	uint32_t ai, mi;

	if (folio_test_anon(f)) {
		struct anon_vma *av = folio_anon_vma(f);

		if (!pm_live(&c->av, av, &ai))
			return;		/* 6.6: check_folio reports the freed anon_vma */
		if (!vma_chain_has(c, vma, av))
			PTE_VIOL(x, addr, INV_RMAP,
				 "%s maps anon pfn %u of anon_vma %u, but VMA "
				 "[%#" PRIx64 ",%#" PRIx64 ") is not linked to that anon_vma",
				 what, f->pfn, av->id,
				 vma->vm_start, vma->vm_end);
		if (f->index != idx)
			PTE_VIOL(x, addr, INV_RMAP,
				 "%s maps anon pfn %u at page index %#" PRIx64
				 " but folio->index is %#" PRIx64 ": the rmap walk looks elsewhere",
				 what, f->pfn, idx, f->index);
	} else if (f->mapping) {
		struct address_space *m = folio_mapping(f);

		if (vma->vm_file != m) {
			PTE_VIOL(x, addr, INV_RMAP,
				 "%s maps pfn %u of mapping %u in a VMA of %s %u", what, f->pfn,
				 pm_live(&c->map, m, &mi) ? m->id : ~0u,
				 vma->vm_file ? "mapping" : "no mapping, id",
				 vma->vm_file ? vma->vm_file->id : vma->id);
		} else if (f->index != idx) {
			PTE_VIOL(x, addr, INV_RMAP,
				 "%s maps file pfn %u at file index %#" PRIx64
				 " but folio->index is %#" PRIx64, what, f->pfn, idx, f->index);
		}
	} else {
		PTE_VIOL(x, addr, INV_RMAP,
			 "%s maps pfn %u, which is neither anonymous nor in a page cache "
			 "(refcount %d): no rmap walk can find it",
			 what, f->pfn, folio_ref_count(f));
	}
}

static void present_pte(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr, pte_t pte)
{
	struct census *c = x->c;
	uint64_t pfn = pte_pfn(pte);
	bool w = pte_write(pte);
	struct frame_census *fc;
	struct folio *f;

	if (pfn == c->zero_pfn) {
		/* 8.3: the shared zero page is read-only for everybody */
		if (w)
			PTE_VIOL(x, addr, INV_PROT, "the zero page is mapped writable");
		if (!vma)
			PTE_VIOL(x, addr, INV_RMAP, "zero-page pte outside any VMA");
		return;
	}
	if (pte_special(pte)) {
		PTE_VIOL(x, addr, INV_MAPCOUNT, "special pte maps pfn %" PRIu64
			 ", which is not the zero page (pfn %" PRIu64 ")", pfn, c->zero_pfn);
		return;
	}
	if (pfn >= c->nr_frames) {
		PTE_VIOL(x, addr, INV_MAPCOUNT, "pte maps pfn %" PRIu64 ", beyond the %u frames",
			 pfn, c->nr_frames);
		return;
	}
	f = &the_world->folios[pfn];
	fc = fc_at(c, (uint32_t)pfn);
	fc->ptes++;
	if (w)
		note_writer(fc, x, addr);
	x->rss[rss_class(c, f)]++;

	if (!vma) {
		PTE_VIOL(x, addr, INV_RMAP, "pte maps pfn %" PRIu64 " outside any VMA", pfn);
		return;
	}
	if (w && !(vma->vm_flags & VM_WRITE))
		PTE_VIOL(x, addr, INV_PROT, "writable pte (pfn %" PRIu64 ") in VMA [%#" PRIx64
			 ",%#" PRIx64 ") without VM_WRITE", pfn, vma->vm_start, vma->vm_end);
	rmap_check(x, vma, addr, f, "pte");

	if (folio_test_anon(f) && w) {
		if (!PageAnonExclusive(&f->page))
			PTE_VIOL(x, addr, INV_EXCLUSIVE,
				 "writable pte maps anon pfn %" PRIu64 ", not AnonExclusive",
				 pfn);
		/* 7.2/8.2 against the census in check_folio when there is one */
		if (!x->defer && folio_mapcount(f) > 1) {
			PTE_VIOL(x, addr, INV_EXCLUSIVE,
				 "writable pte maps anon pfn %" PRIu64 " with mapcount %d", pfn,
				 folio_mapcount(f));
			PTE_VIOL(x, addr, INV_PROT,
				 "COW-shared page writable: anon pfn %" PRIu64 " mapcount %d", pfn,
				 folio_mapcount(f));
		}
	} else if (!folio_test_anon(f) && f->mapping && w && !(vma->vm_flags & VM_SHARED)) {
		/* 8.3: writing it would write through to the file: COW first */
		PTE_VIOL(x, addr, INV_PROT,
			 "page-cache pfn %" PRIu64 " is writable in a private mapping", pfn);
	}
}

static const char *migration_type_name(unsigned t)
{
	switch (t) {
	case SWP_MIGRATION_READ:	return "read";
	case SWP_MIGRATION_READ_EXCL:	return "read-exclusive";
	case SWP_MIGRATION_WRITE:	return "write";
	default:			return "?";
	}
}

static void swap_pte(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr, pte_t pte)
{
	struct census *c = x->c;
	swp_entry_t e = pte_to_swp_entry(pte);
	unsigned t = swp_type(e);
	uint64_t off = swp_offset(e);
	struct swap_info_struct *si = &the_world->swap_info[t];

	/*
	 * Counted for any used device, reserved types included (4.4 then
	 * reports it), but not past highest_alloc: such a pte is reported on
	 * its own below, by the bounded census and the full one alike.
	 */
	if ((si->flags & SWP_USED) && off < c->swc_len[t] && off <= si->highest_alloc) {
		c->swc[t][off]++;
		if (pte_swp_exclusive(pte))
			c->swc[t][off] |= SWC_EXCL;
	}

	if (t < MAX_SWAPFILES) {
		x->rss[MM_SWAPENTS]++;
		if (!(si->flags & SWP_USED))
			PTE_VIOL(x, addr, INV_SWAPMAP,
				 "swap pte names type %u slot %" PRIu64
				 ", but no swap device has type %u", t, off, t);
		else if (off == 0 || off >= si->max)
			PTE_VIOL(x, addr, INV_SWAPMAP,
				 "swap pte names slot %" PRIu64 " of type %u, outside 1..%" PRIu64,
				 off, t, si->max ? si->max - 1 : 0);
		else if (off > si->highest_alloc)
			PTE_VIOL(x, addr, INV_SWAPMAP,
				 "swap pte names slot %" PRIu64 " of type %u, which was never "
				 "handed out (highest %" PRIu64 ")", off, t, si->highest_alloc);
		if (!vma)
			PTE_VIOL(x, addr, INV_RMAP,
				 "swap pte (type %u slot %" PRIu64 ") outside any VMA",
				 t, off);
		else if (vma->vm_flags & VM_SHARED)
			PTE_VIOL(x, addr, INV_RMAP,
				 "swap pte in shared VMA [%#" PRIx64 ",%#" PRIx64 ")",
				 vma->vm_start, vma->vm_end);
		else if (!vma->anon_vma)
			PTE_VIOL(x, addr, INV_RMAP,
				 "swap pte in VMA [%#" PRIx64 ",%#" PRIx64 ") that has no anon_vma",
				 vma->vm_start, vma->vm_end);
		return;
	}

	if (is_migration_entry(e)) {
		struct folio *f;
		struct frame_census *fc;

		if (off >= c->nr_frames) {
			PTE_VIOL(x, addr, INV_MIGRATION,
				 "%s migration entry for pfn %" PRIu64 ", beyond the %u frames",
				 migration_type_name(t), off, c->nr_frames);
			return;
		}
		f = &the_world->folios[off];
		fc = fc_at(c, (uint32_t)off);
		/* 3.1 */
		PTE_VIOL(x, addr, INV_MIGRATION,
			 "%s migration entry for pfn %" PRIu64
			 " at a quiescent point (folio %s, %s)",
			 migration_type_name(t), off,
			 folio_test_locked(f) ? "locked" : "unlocked",
			 folio_test_migrating(f) ? "migrating" : "not migrating: orphan");
		fc->migr++;
		if (t == SWP_MIGRATION_READ_EXCL || t == SWP_MIGRATION_WRITE)
			fc->excl++;
		if (t == SWP_MIGRATION_WRITE)
			note_writer(fc, x, addr);
		x->rss[rss_class(c, f)]++;
		if (!vma) {
			PTE_VIOL(x, addr, INV_RMAP,
				 "migration entry for pfn %" PRIu64 " outside any VMA",
				 off);
			return;
		}
		if (t == SWP_MIGRATION_WRITE && !(vma->vm_flags & VM_WRITE))
			PTE_VIOL(x, addr, INV_PROT,
				 "write migration entry (pfn %" PRIu64 ") in VMA "
				 "[%#" PRIx64 ",%#" PRIx64 ") without VM_WRITE",
				 off, vma->vm_start, vma->vm_end);
		rmap_check(x, vma, addr, f, "migration entry");
		return;
	}

	if (is_device_private_entry(e)) {
		x->rss[MM_ANONPAGES]++;
		if (off < c->nr_frames) {
			struct frame_census *fc = fc_at(c, (uint32_t)off);

			fc->dev++;
			if (is_writable_device_private_entry(e))
				note_writer(fc, x, addr);
		}
		if (!vma)
			PTE_VIOL(x, addr, INV_RMAP, "device-private entry outside any VMA");
		else if (is_writable_device_private_entry(e) && !(vma->vm_flags & VM_WRITE))
			PTE_VIOL(x, addr, INV_PROT,
				 "writable device-private entry in VMA [%#" PRIx64 ",%#" PRIx64
				 ") without VM_WRITE", vma->vm_start, vma->vm_end);
		return;
	}
	/* a pte marker: no page behind it, nothing to count */
}

static void pte_one(struct mm_ctx *x, uint64_t addr, pte_t pte)
{
	struct vm_area_struct *vma = ctx_vma(x, addr);

	if (pte_present(pte))
		present_pte(x, vma, addr, pte);
	else
		swap_pte(x, vma, addr, pte);
}

/* 16.1: a table's nr_used is what the full scan counted */
#define nr_used_check(x, t, seen, what)						\
	((seen) != (t)->nr_used ?						\
	 viol(INV_BUG, objname("mm %u", (x)->mm->id),				\
	      "%s table %u: nr_used %u but %u entries in use", what, (t)->id,	\
	      (t)->nr_used, seen) : 0)

/*
 * The ptes of one pte table, in address order.  The full check reads every
 * entry a cache line at a time (an empty line costs one OR) and recounts
 * nr_used; the bounded walk trusts nr_used, which set_pte_at keeps, and
 * stops after the last entry in use.
 */
static void pte_table_walk(struct mm_ctx *x, struct pgtable *pt, uint64_t base)
{
	unsigned seen = 0;

	static_assert(PTRS_PER_PTE % 8 == 0, "pte tables are scanned 8 entries at a time");
	for (unsigned i = 0; i < PTRS_PER_PTE; i += 8) {
		uint64_t any = 0;

		if (x->c->bounded && seen >= pt->nr_used)
			return;
		for (unsigned k = 0; k < 8; k++)
			any |= pte_val(pt->pte[i + k]);
		if (!any)
			continue;
		for (unsigned k = 0; k < 8; k++) {
			pte_t pte = pt->pte[i + k];

			if (pte_none(pte))
				continue;
			seen++;
			pte_one(x, base + i + k, pte);
		}
	}
	x->v += nr_used_check(x, pt, seen, "pte");
}

/*
 * The first non-NULL slot of directory @t at or after @j, or PTRS_PER_PUD:
 * eight slots (a cache line) per OR while they are empty.
 */
static int dir_next(const struct pgtable *t, int j)
{
	static_assert(PTRS_PER_PUD == PTRS_PER_PMD && PTRS_PER_PUD % 8 == 0,
		      "directories are scanned 8 slots at a time");
	while (j < PTRS_PER_PUD) {
		if (!(j & 7)) {
			uintptr_t any = 0;

			for (int k = 0; k < 8; k++)
				any |= (uintptr_t)t->dir[j + k];
			if (!any) {
				j += 8;
				continue;
			}
		}
		if (t->dir[j])
			return j;
		j++;
	}
	return PTRS_PER_PUD;
}

/*
 * BUG: walk the page tables of @mm, checking levels, counting every table
 * reached (13.2) and feeding every non-none pte to pte_one in address order.
 */
#define OBJ	objname("mm %u", mm->id)
static void mm_walk(struct mm_ctx *x)
{
	struct census *c = x->c;
	struct mm_struct *mm = x->mm;
	bool bounded = c->bounded;
	uint32_t ti;

	for (int i = 0; i < PTRS_PER_PGD; i++) {
		struct pgtable *pud = mm->pgd[i];
		unsigned nu = 0;

		if (!pud)
			continue;
		if (!pm_live(&c->pgt, pud, &ti) || pud->level != 3) {
			x->v += viol(INV_BUG, OBJ, "pgd[%d] is not a live pud table", i);
			continue;
		}
		c->pgt_seen[ti]++;
		c->pgt_reached++;
		/* bounded: stop once nr_used entries were seen, before scanning on */
		for (int j = 0; !(bounded && nu >= pud->nr_used) &&
		     (j = dir_next(pud, j)) < PTRS_PER_PUD; j++) {
			struct pgtable *pmd = pud->dir[j];
			unsigned nd = 0;

			nu++;
			if (!pm_live(&c->pgt, pmd, &ti) || pmd->level != 2) {
				x->v += viol(INV_BUG, OBJ, "pud[%d][%d] is not a live pmd table",
					     i, j);
				continue;
			}
			c->pgt_seen[ti]++;
			c->pgt_reached++;
			for (int k = 0; !(bounded && nd >= pmd->nr_used) &&
			     (k = dir_next(pmd, k)) < PTRS_PER_PMD; k++) {
				struct pgtable *pt = pmd->dir[k];

				nd++;
				if (!pm_live(&c->pgt, pt, &ti) || pt->level != 1) {
					x->v += viol(INV_BUG, OBJ,
						     "pmd[%d][%d][%d] is not a live pte table",
						     i, j, k);
					continue;
				}
				c->pgt_seen[ti]++;
				c->pgt_reached++;
				x->v += check_lock(&pt->ptl.li, OBJ, "a pte table lock");
				pte_table_walk(x, pt, ((uint64_t)i << PGDIR_SHIFT) |
					       ((uint64_t)j << PUD_SHIFT) |
					       ((uint64_t)k << PMD_SHIFT));
			}
			if (!bounded)
				x->v += nr_used_check(x, pmd, nd, "pmd");
		}
		if (!bounded)
			x->v += nr_used_check(x, pud, nu, "pud");
	}
}
#undef OBJ

static int vma_check(struct vm_area_struct *vma, struct census *c);

static bool on_mmlist(const struct mm_struct *mm)
{
	/* zeroed (never initialised) or self-linked: not on the list */
	return mm->mmlist.next && mm->mmlist.next != &mm->mmlist;
}

/* check_mm proper: VMAs, page tables, ptes, RSS.  Fills the census. */
#define OBJ	objname("mm %u", mm->id)
#define VOBJ	vma_name(c, vma)
static int mm_check(struct mm_struct *mm, struct census *c, bool defer)
{
	struct mm_ctx x = { .c = c, .mm = mm, .defer = defer, .vmas_ok = true };
	struct list_head *e;
	uint64_t prev_end = 0;
	int count = 0;
	uint32_t vi;

	if (!pm_live(&c->mm, mm, NULL))
		x.v += viol(INV_BUG, OBJ, "the mm is not a live object of the mm pool");

	for (e = mm->mmap.next; e != &mm->mmap; e = e->next) {
		struct vm_area_struct *vma = entry_or_null(e, struct vm_area_struct, vm_list);

		if (!pm_live(&c->vma, vma, &vi)) {
			x.v += viol(INV_BUG, OBJ, "VMA list holds %p, not a live VMA", (void *)vma);
			x.vmas_ok = false;
			break;
		}
		if (c->vma_seen[vi]++) {
			x.v += viol(INV_BUG, OBJ,
				    "VMA %u is on an mm list twice (or the list loops)",
				    vma->id);
			x.vmas_ok = false;
			break;
		}
		count++;
		if (vma->vm_mm != mm)
			x.v += viol(INV_BUG, VOBJ, "on mm %u's list but vm_mm is %p", mm->id,
				    (void *)vma->vm_mm);
		if (vma->vm_start < prev_end) {
			x.v += viol(INV_BUG, VOBJ,
				    "overlaps or precedes the VMA before it (ending %#"
				    PRIx64 ")", prev_end);
			x.vmas_ok = false;	/* the pte cursor relies on the order */
		}
		if (vma->vm_end > prev_end)
			prev_end = vma->vm_end;
		x.v += vma_check(vma, c);
	}
	if (x.vmas_ok && count != mm->map_count)
		x.v += viol(INV_BUG, OBJ, "map_count %d but %d VMAs on the list",
			    mm->map_count, count);

	mm_walk(&x);

	/* 9.1 */
	for (int i = 0; i < NR_MM_COUNTERS; i++) {
		long have = get_mm_counter(mm, i);

		if (have != x.rss[i])
			x.v += viol(INV_RSS, OBJ, "%s is %ld but %ld of its entries count in it",
				    rss_names[i], have, x.rss[i]);
	}
	/* 4.5: swapoff finds the ptes it must bring back through the mmlist */
	if (x.rss[MM_SWAPENTS] && !on_mmlist(mm))
		x.v += viol(INV_SWAPMAP, OBJ, "%ld swap ptes but the mm is not on the mmlist",
			    x.rss[MM_SWAPENTS]);

	/* 13.2: the process is the only user between operations */
	if (atomic_load(&mm->mm_users) != 1)
		x.v += viol(INV_LEAK, OBJ, "mm_users %d at a quiescent point (the process is the "
			    "only user)", atomic_load(&mm->mm_users));
	if (mm->dead)
		x.v += viol(INV_LEAK, OBJ, "exit_mmap has run but the mm is still allocated");

	x.v += check_lock(&mm->mmap_lock.li, OBJ, "mmap_lock");
	x.v += check_lock(&mm->page_table_lock.li, OBJ, "page_table_lock");
	return x.v;
}
#undef OBJ
#undef VOBJ

/* 5.4, 6.3, 6.4, 8.1, BUG range: one VMA.  Marks the census. */
#define OBJ	vma_name(c, vma)
static int vma_check(struct vm_area_struct *vma, struct census *c)
{
	struct anon_vma *av = vma->anon_vma;
	struct list_head *e;
	bool av_ok = false, found_own = false;
	uint32_t vi = 0, ai, ci, mi, n = 0;
	int v = 0;

	pool_idx(c->vma.p, vma, &vi);

	if (!(vma->vm_start < vma->vm_end && vma->vm_end <= MMT_TASK_SIZE))
		v += viol(INV_BUG, OBJ, "bad range: need vm_start < vm_end <= %#llx",
			  (unsigned long long)MMT_TASK_SIZE);
	if ((vma->vm_flags & VM_WRITE) && !(vma->vm_flags & VM_MAYWRITE))
		v += viol(INV_PROT, OBJ, "VM_WRITE without VM_MAYWRITE (flags %#lx)",
			  vma->vm_flags);

	if (vma->vm_file) {
		if (!pm_live(&c->map, vma->vm_file, &mi)) {
			v += viol(INV_RMAP, OBJ, "vm_file %p is not a live mapping",
				  (void *)vma->vm_file);
		} else {
			c->map_vmas[mi]++;
			if (c->vma_immap[vi] != vma->vm_file)
				v += viol(INV_RMAP, OBJ,
					  "not on the i_mmap of its mapping %u: file rmap "
					  "walks miss it", vma->vm_file->id);
		}
	} else {
		if (vma->vm_flags & VM_SHARED)
			v += viol(INV_RMAP, OBJ, "shared VMA without a file or shmem object");
		if (c->vma_immap[vi])
			v += viol(INV_RMAP, OBJ, "anonymous VMA sits on the i_mmap of mapping %u",
				  c->vma_immap[vi]->id);
	}

	if (av) {
		if (!pm_live(&c->av, av, &ai)) {
			v += viol(INV_ANONVMA, OBJ, "vma->anon_vma %p is freed", (void *)av);
		} else {
			av_ok = true;
			c->av_active[ai]++;
		}
	}
	for (e = vma->anon_vma_chain.next; e != &vma->anon_vma_chain; e = e->next) {
		struct anon_vma_chain *avc = entry_or_null(e, struct anon_vma_chain, same_vma);

		if (!pm_live(&c->avc, avc, &ci)) {
			v += viol(INV_ANONVMA, OBJ, "anon_vma_chain holds %p, not a live avc",
				  (void *)avc);
			break;
		}
		if (c->avc_vma[ci]) {
			v += viol(INV_ANONVMA, OBJ,
				  "avc %u is on a VMA chain twice (or the chain loops)",
				  avc->id);
			break;
		}
		c->avc_vma[ci] = vma;
		n++;
		if (avc->vma != vma)
			v += viol(INV_ANONVMA, OBJ, "avc %u on this VMA's chain points at VMA %p",
				  avc->id, (void *)avc->vma);
		if (!pm_live(&c->av, avc->anon_vma, NULL)) {
			v += viol(INV_ANONVMA, OBJ, "avc %u points at freed anon_vma %p", avc->id,
				  (void *)avc->anon_vma);
			continue;
		}
		if (c->avc_head[ci] != avc->anon_vma)
			v += viol(INV_ANONVMA, OBJ,
				  "avc %u (anon_vma %u) is not on that anon_vma's list: "
				  "rmap walks miss this VMA", avc->id, avc->anon_vma->id);
		if (avc->anon_vma == av)
			found_own = true;
		if (av_ok && avc->anon_vma->root != av->root)
			v += viol(INV_ANONVMA, OBJ, "avc %u links anon_vma %u of another tree",
				  avc->id, avc->anon_vma->id);
	}
	if (av_ok && !found_own)
		v += viol(INV_ANONVMA, OBJ, "vma->anon_vma %u is not on the VMA's chain", av->id);
	if (!av && n)
		v += viol(INV_ANONVMA, OBJ, "%u avcs on the chain but vma->anon_vma is NULL", n);
	return v;
}
#undef OBJ

/* ------------------------------------------------------- census driver */

static void census_mm_cb(struct mm_struct *mm, void *arg)
{
	struct { struct census *c; bool defer; int v; } *a = arg;

	a->v += mm_check(mm, a->c, a->defer);
}

/*
 * Build the census: pools, free lists, i_mmap and anon_vma lists, and (if
 * @walk_mms) every mm with its checks.  Returns violations found on the way.
 */
static int census_build(bool walk_mms, bool defer)
{
	struct census *c = &the_census;
	struct world *w = the_world;
	int v = 0;

	c->nr_frames = w->nr_frames;
	c->zero_pfn = w->nr_frames;
	c->fc = scratch_keep(SB_FRAMES, c->nr_frames, sizeof(*c->fc));
	if (++c->gen == 0) {
		/* wrapped: an entry stamped 2^32 censuses ago must not look current */
		memset(c->fc, 0, (size_t)c->nr_frames * sizeof(*c->fc));
		c->gen = 1;
	}
	c->stray = scratch_keep(SB_STRAY, c->nr_frames, sizeof(*c->stray));
	c->nr_stray = 0;
	for (int t = 0; t < (1 << MAX_SWAPFILES_SHIFT); t++) {
		const struct swap_info_struct *si = &w->swap_info[t];

		/* bounded: no device sits at or above nr_swapfiles (4.4, full pass) */
		if (ck.bounded && t >= w->nr_swapfiles) {
			c->swc_len[t] = 0;
			c->swc[t] = NULL;
			continue;
		}
		/* read only for a used device, and below swc_len */
		c->swc_len[t] = (si->flags & SWP_USED) ? si->max : 0;
		c->swc[t] = NULL;
		if (!c->swc_len[t])
			continue;
		/* bounded: slots above the highest ever handed out are left alone */
		if (ck.bounded && si->highest_alloc + 1 < c->swc_len[t])
			c->swc_len[t] = si->highest_alloc + 1;
		c->swc[t] = scratch(SB_SWAP0 + t, c->swc_len[t], sizeof(uint32_t));
	}
	v += census_pool(&c->mm, &w->mm_pool, "mm", SB_LIVE_MM);
	v += census_pool(&c->vma, &w->vma_pool, "vma", SB_LIVE_VMA);
	v += census_pool(&c->av, &w->anon_vma_pool, "anon_vma", SB_LIVE_AV);
	v += census_pool(&c->avc, &w->avc_pool, "anon_vma_chain", SB_LIVE_AVC);
	v += census_pool(&c->map, &w->mapping_pool, "mapping", SB_LIVE_MAP);
	v += census_pool(&c->pgt, &w->pgtable_pool, "pgtable", SB_LIVE_PGT);
	/* indexed by pool index of a live object: [0, pool_fresh) suffices */
	c->av_active = scratch(SB_AV_ACTIVE, pool_fresh(&w->anon_vma_pool), sizeof(uint32_t));
	c->av_children = scratch(SB_AV_CHILDREN, pool_fresh(&w->anon_vma_pool), sizeof(uint32_t));
	c->av_desc = scratch(SB_AV_DESC, pool_fresh(&w->anon_vma_pool), sizeof(uint32_t));
	c->vma_seen = scratch(SB_VMA_SEEN, pool_fresh(&w->vma_pool), 1);
	c->vma_immap = scratch(SB_VMA_IMMAP, pool_fresh(&w->vma_pool), sizeof(*c->vma_immap));
	c->avc_vma = scratch(SB_AVC_VMA, pool_fresh(&w->avc_pool), sizeof(*c->avc_vma));
	c->avc_head = scratch(SB_AVC_HEAD, pool_fresh(&w->avc_pool), sizeof(*c->avc_head));
	c->map_vmas = scratch(SB_MAP_VMAS, pool_fresh(&w->mapping_pool), sizeof(uint32_t));
	c->map_pages = scratch(SB_MAP_PAGES, pool_fresh(&w->mapping_pool), sizeof(uint32_t));
	c->pgt_seen = scratch(SB_PGT_SEEN, pool_fresh(&w->pgtable_pool), 1);
	c->pgt_reached = 0;
	c->mms_walked = false;
	c->bounded = ck.bounded;

	v += census_free_lists(c);
	v += census_mappings(c);
	v += census_page_cache(c);
	v += census_anon_vmas(c);
	if (walk_mms) {
		struct { struct census *c; bool defer; int v; } a = { c, defer, 0 };

		world_for_each_mm(census_mm_cb, &a);
		v += a.v;
		c->mms_walked = true;
	}
	return v;
}

/* a full census built without reporting, for a single-object check */
static struct census *census_quiet(bool walk_mms)
{
	bool was = ck.quiet;

	ck.quiet = true;
	census_build(walk_mms, true);
	ck.quiet = was;
	return &the_census;
}

/* ============================================================ the frames */

#define OBJ	objname("folio pfn %u", pfn)
static int folio_check(struct folio *f, struct census *c)
{
	uint32_t pfn;
	const struct frame_census *fc;
	int ref = folio_ref_count(f), mc = folio_mapcount(f), v = 0;
	unsigned long flags = atomic_load(&f->flags);
	bool anon = folio_test_anon(f), on_free, fresh;
	uint32_t maps, exp;

	if (f == &the_world->folios[the_world->nr_frames]) {
		/* the zero page: reserved, never counted, never freed */
		if (!folio_test_reserved(f))
			return viol(INV_REFCOUNT, "zero page", "PG_reserved is clear");
		return 0;
	}
	if (!folio_in_range(c, f, &pfn))
		return viol(INV_BUG, "folio", "%p is not a frame of the world", (void *)f);
	fc = fc_get(c, pfn);
	on_free = fc->state & FS_ON_FREE;
	fresh = frame_fresh(pfn);
	maps = fc->ptes + fc->dev;

	/* 1.1 */
	if (mc < 0)
		v += viol(INV_MAPCOUNT, OBJ, "mapcount %d is negative", mc);
	else if ((uint32_t)mc != maps)
		v += viol(INV_MAPCOUNT, OBJ, "mapcount %d but %u ptes map it (+%u device entries)",
			  mc, fc->ptes, fc->dev);

	if (ref == 0) {
		/* 2.2, 2.3: a free frame */
		if (!on_free && !fresh)
			v += viol(INV_REFCOUNT, OBJ, "refcount 0 but not on node %d's free list",
				  node_of_pfn(pfn));
		if (fc->ptes || fc->migr || fc->dev)
			v += viol(INV_REFCOUNT, OBJ,
				  "free frame is still referenced by %u ptes, "
				  "%u migration entries, %u device entries",
				  fc->ptes, fc->migr, fc->dev);
		if (flags || atomic_load(&f->page.flags))
			v += viol(INV_REFCOUNT, OBJ,
				  "free frame keeps flags %#lx (page flags %#lx)",
				  flags, (unsigned long)atomic_load(&f->page.flags));
		if (f->mapping)
			v += viol(INV_REFCOUNT, OBJ, "free frame keeps mapping %#lx",
				  (unsigned long)f->mapping);
		if (fc->pc_slots)
			v += viol(INV_REFCOUNT, OBJ,
				  "free frame is in the page cache of mapping %u",
				  fc->pc->id);
		return v;
	}

	if (ref < 0)
		v += viol(INV_REFCOUNT, OBJ, "refcount %d is negative", ref);
	if (on_free)
		v += viol(INV_REFCOUNT, OBJ, "refcount %d but on node %d's free list",
			  ref, node_of_pfn(pfn));
	if (folio_test_reserved(f))
		v += viol(INV_REFCOUNT, OBJ, "PG_reserved on a frame that is not the zero page");

	/* 3.2: nobody is inside an operation */
	if (folio_test_locked(f))
		v += viol(INV_MIGRATION, OBJ, "PG_locked at a quiescent point");
	if (folio_test_migrating(f))
		v += viol(INV_MIGRATION, OBJ,
			  "PG_migrating at a quiescent point (destination pfn %u)",
			  f->migrate_dst);
	if (folio_test_isolated(f))
		v += viol(INV_MIGRATION, OBJ, "PG_isolated at a quiescent point");

	/* 2.1 */
	exp = maps + (folio_test_swapcache(f) ? 1 : 0) + (!anon && f->mapping ? 1 : 0) +
	      (folio_test_isolated(f) ? 1 : 0);
	if (ref > 0 && (uint32_t)ref != exp)
		v += viol(INV_REFCOUNT, OBJ,
			  "refcount %d but %u expected (%u ptes, %u device entries%s%s%s): %s",
			  ref, exp, fc->ptes, fc->dev,
			  folio_test_swapcache(f) ? ", swap cache" : "",
			  !anon && f->mapping ? ", page cache" : "",
			  folio_test_isolated(f) ? ", isolated" : "",
			  (uint32_t)ref > exp ? "a reference leaked" : "a reference is missing");

	/* 4.6 */
	if (folio_test_swapcache(f)) {
		swp_entry_t e = folio_swap_entry(f);
		unsigned t = swp_type(e);
		uint64_t off = swp_offset(e);
		const struct swap_info_struct *si = &the_world->swap_info[t];

		if (t >= MAX_SWAPFILES || !(si->flags & SWP_USED) || !si->cache ||
		    off == 0 || off >= si->max)
			v += viol(INV_SWAPMAP, OBJ, "PG_swapcache names type %u slot %" PRIu64
				  ", which is no slot of a swap device", t, off);
		else if (si->cache[off] != f)
			v += viol(INV_SWAPMAP, OBJ, "PG_swapcache names type %u slot %" PRIu64
				  ", but that cache slot holds %p", t, off, (void *)si->cache[off]);
	}

	/* 5.7, 6.6 */
	if (anon) {
		struct anon_vma *av = folio_anon_vma(f);

		/*
		 * Only a mapped folio pins its anon_vma: an unmapped one in the
		 * swap cache may point at a freed one, as in the kernel, where
		 * folio_get_anon_vma() checks folio_mapped() for that reason.
		 */
		if ((maps || fc->migr) && !pm_live(&c->av, av, NULL))
			v += viol(INV_ANONVMA, OBJ, "mapped anon folio points at freed anon_vma %p",
				  (void *)av);
		if (fc->pc_slots)
			v += viol(INV_RMAP, OBJ,
				  "anonymous folio sits in the page cache of mapping %u",
				  fc->pc->id);
	} else if (f->mapping) {
		struct address_space *m = folio_mapping(f);

		if (!pm_live(&c->map, m, NULL))
			v += viol(INV_RMAP, OBJ, "folio->mapping %p is not a live mapping",
				  (void *)m);
		else if (fc->pc != m || fc->pc_index != f->index)
			v += viol(INV_RMAP, OBJ,
				  "claims index %#" PRIx64 " of mapping %u but is not "
				  "in its page cache there", f->index, m->id);
		if (fc->pc_slots > 1)
			v += viol(INV_RMAP, OBJ, "in %u page-cache slots", fc->pc_slots);
	} else if (fc->pc_slots) {
		v += viol(INV_RMAP, OBJ, "in the page cache of mapping %u with no folio->mapping",
			  fc->pc->id);
	}

	/* 7.2, 7.3, 8.2 */
	if (anon) {
		uint32_t all = maps + fc->migr;

		if (PageAnonExclusive(&f->page) && all > 1)
			v += viol(INV_EXCLUSIVE, OBJ, "AnonExclusive but mapped %u times", all);
		else if (fc->excl && all > 1)
			v += viol(INV_EXCLUSIVE, OBJ,
				  "exclusive migration entry but mapped %u times", all);
		else if (fc->writers && all > 1)
			v += viol(INV_EXCLUSIVE, OBJ, "writable at mm %u addr %#" PRIx64
				  " but mapped %u times", fc->wr_mm, fc->wr_addr, all);
		if (fc->writers && all > 1)
			v += viol(INV_PROT, OBJ, "COW-shared page writable: mapped %u times, "
				  "writable at mm %u addr %#" PRIx64, all, fc->wr_mm, fc->wr_addr);
	} else if (PageAnonExclusive(&f->page)) {
		v += viol(INV_EXCLUSIVE, OBJ, "AnonExclusive on a folio that is not anonymous");
	}
	return v;
}
#undef OBJ

/* ====================================================== the swap devices */

/* named only when something is wrong (a snprintf per check added up) */
#define OBJ	objname("swap type %d", (int)t)
#define SOBJ	objname("swap type %d slot %" PRIu64, (int)t, off)
static int swap_check(struct swap_info_struct *si, struct census *c)
{
	struct world *w = the_world;
	ptrdiff_t t = si - w->swap_info;
	uint64_t inuse = 0;
	int v = 0;

	if (t < 0 || t >= (1 << MAX_SWAPFILES_SHIFT))
		return viol(INV_BUG, "swap device", "%p is not in swap_info[]", (void *)si);
	if (!(si->flags & SWP_USED))
		return 0;
	/* 4.4, 3.3 */
	if (si->type != t)
		v += viol(INV_SWAPMAP, OBJ, "sits at swap_info[%d] but its type is %d", (int)t,
			  si->type);
	if (t >= MAX_SWAPFILES) {
		v += viol(INV_SWAPMAP, OBJ, "reserved type %d indexes a swap device "
			  "(MAX_SWAPFILES is %d)", (int)t, MAX_SWAPFILES);
		if (t >= SWP_MIGRATION_READ && t <= SWP_MIGRATION_WRITE)
			v += viol(INV_MIGRATION, OBJ,
				  "swap device takes migration type %d: its swap "
				  "entries read as %s migration entries", (int)t,
				  migration_type_name((unsigned)t));
	}
	if (t >= w->nr_swapfiles)
		v += viol(INV_SWAPMAP, OBJ, "type %d at or beyond nr_swapfiles %d", (int)t,
			  w->nr_swapfiles);
	v += check_lock(&si->lock.li, OBJ, "si->lock");
	if (!si->max)
		return v;
	if (!si->swap_map || !si->cache)
		return v + viol(INV_SWAPMAP, OBJ, "used, %" PRIu64 " slots, but no swap_map/cache",
				si->max);

	/* 4.3: slot 0 is the header */
	if ((si->swap_map[0] & SWAP_COUNT_MASK) != 0 && si->swap_map[0] != SWAP_MAP_BAD)
		v += viol(INV_SWAPMAP, OBJ, "header slot 0 has count %#x", si->swap_map[0]);
	if ((si->swap_map[0] & SWAP_HAS_CACHE) || si->cache[0])
		v += viol(INV_SWAPMAP, OBJ, "header slot 0 is in the swap cache");

	/* c->swc_len[t] is max, or in a bounded census highest_alloc + 1 */
	for (uint64_t off = 1; off < c->swc_len[t]; off++) {
		uint8_t m;
		uint32_t n;
		struct folio *f;

		/* eight slots unused, uncached and unreferenced: nothing to check */
		if (!(off & 7) && off + 8 <= c->swc_len[t]) {
			uintptr_t any = 0;

			for (int k = 0; k < 8; k++)
				any |= si->swap_map[off + k] | c->swc[t][off + k] |
				       (uintptr_t)si->cache[off + k];
			if (!any) {
				off += 7;
				continue;
			}
		}
		m = si->swap_map[off];
		n = c->swc[t][off] & SWC_COUNT;
		f = si->cache[off];

		if (m)
			inuse++;
		/* 4.3: only get_swap_page starts using a slot, and it moves the mark */
		if ((m || f) && off > si->highest_alloc)
			v += viol(INV_SWAPMAP, SOBJ, "in use (map %#x%s) above highest_alloc %"
				  PRIu64, m, f ? ", cached" : "", si->highest_alloc);
		if ((m & SWAP_COUNT_MASK) == n && !!(m & SWAP_HAS_CACHE) == !!f &&
		    !((c->swc[t][off] & SWC_EXCL) && n > 1) && !f)
			continue;	/* the common case, nothing to look at */
		/* 4.1 */
		if ((m & SWAP_COUNT_MASK) != n)
			v += viol(INV_SWAPMAP, SOBJ, "count %u but %u swap ptes reference it",
				  m & SWAP_COUNT_MASK, n);
		/* 4.2 */
		if ((m & SWAP_HAS_CACHE) && !f)
			v += viol(INV_SWAPMAP, SOBJ,
				  "SWAP_HAS_CACHE but no folio in the swap cache");
		if (!(m & SWAP_HAS_CACHE) && f)
			v += viol(INV_SWAPMAP, SOBJ,
				  "folio in the swap cache but no SWAP_HAS_CACHE");
		if (f) {
			uint32_t pfn;

			if (!folio_in_range(c, f, &pfn))
				v += viol(INV_SWAPMAP, SOBJ, "swap cache holds %p, not a frame",
					  (void *)f);
			else if (!folio_test_swapcache(f))
				v += viol(INV_SWAPMAP, SOBJ, "cached pfn %u is not PG_swapcache",
					  pfn);
			else if (f->private != swp_entry((unsigned)t, off).val)
				v += viol(INV_SWAPMAP, SOBJ,
					  "cached pfn %u names type %u slot %" PRIu64,
					  pfn, swp_type(folio_swap_entry(f)),
					  swp_offset(folio_swap_entry(f)));
		}
		/* 7.4 */
		if ((c->swc[t][off] & SWC_EXCL) && n > 1)
			v += viol(INV_EXCLUSIVE, SOBJ, "a swap pte is marked exclusive but %u ptes "
				  "reference the slot", n);
	}
	if (inuse != si->inuse_pages)
		v += viol(INV_SWAPMAP, OBJ, "inuse_pages %" PRIu64 " but %" PRIu64 " slots in use",
			  si->inuse_pages, inuse);
	return v;
}
#undef OBJ
#undef SOBJ

/* ============================================================ anon_vmas */

#define OBJ	objname("anon_vma %u", av->id)
static int av_check(struct anon_vma *av, struct census *c)
{
	struct anon_vma *root = av->root, *parent = av->parent;
	struct list_head *e;
	uint32_t ai, ci, vi, n = 0, want_children;
	int want_ref, v = 0;

	if (!pm_live(&c->av, av, &ai))
		return viol(INV_ANONVMA, OBJ, "%p is not a live anon_vma", (void *)av);

	/* 6.1 */
	if (!pm_live(&c->av, root, NULL))
		v += viol(INV_ANONVMA, OBJ, "root %p is freed", (void *)root);
	else if (root->root != root)
		v += viol(INV_ANONVMA, OBJ, "root anon_vma %u is not its own root (root %p)",
			  root->id, (void *)root->root);
	if (parent && !pm_live(&c->av, parent, NULL))
		v += viol(INV_ANONVMA, OBJ, "parent %p is freed", (void *)parent);
	else if (parent && parent->root != root)
		v += viol(INV_ANONVMA, OBJ, "parent %u is in another tree", parent->id);
	if (atomic_load(&av->refcount) < 1)
		v += viol(INV_ANONVMA, OBJ, "live with refcount %d", atomic_load(&av->refcount));

	/* 6.2 */
	for (e = av->head.next; e != &av->head; e = e->next) {
		struct anon_vma_chain *avc = entry_or_null(e, struct anon_vma_chain, same_anon_vma);

		if (!pm_live(&c->avc, avc, &ci) || ++n > c->avc.p->cap)
			break;		/* reported while building the census */
		if (avc->anon_vma != av)
			v += viol(INV_ANONVMA, OBJ, "avc %u on its list points at anon_vma %p",
				  avc->id, (void *)avc->anon_vma);
		if (!pm_live(&c->vma, avc->vma, &vi))
			v += viol(INV_ANONVMA, OBJ, "avc %u on its list points at freed VMA %p",
				  avc->id, (void *)avc->vma);
		else if (c->mms_walked && c->avc_vma[ci] != avc->vma)
			v += viol(INV_ANONVMA, OBJ,
				  "avc %u on its list is not on the chain of its VMA "
				  "%u", avc->id, avc->vma->id);
	}

	/* 6.5 */
	if (c->mms_walked && av->num_active_vmas != c->av_active[ai])
		v += viol(INV_ANONVMA, OBJ, "num_active_vmas %lu but %u VMAs have it as anon_vma",
			  av->num_active_vmas, c->av_active[ai]);
	want_children = c->av_children[ai];
	if (av->num_children != want_children)
		v += viol(INV_ANONVMA, OBJ,
			  "num_children %lu but %u live anon_vmas with VMAs have it "
			  "as parent", av->num_children, want_children);
	/* its own reference while on a VMA, one per live anon_vma rooted at it */
	want_ref = (list_empty(&av->head) ? 0 : 1) + (int)c->av_desc[ai];
	if (c->mms_walked && atomic_load(&av->refcount) != want_ref)
		v += viol(INV_ANONVMA, OBJ, "refcount %d but %d expected (%s + %u anon_vmas rooted "
			  "here)", atomic_load(&av->refcount), want_ref,
			  list_empty(&av->head) ? "no VMA" : "1 for its VMAs", c->av_desc[ai]);

	/* 13.2: unlink_anon_vmas frees an anon_vma whose list empties */
	if (list_empty(&av->head) && c->av_desc[ai] == 0)
		v += viol(INV_LEAK, OBJ, "on no VMA and the root of no live anon_vma: should have "
			  "been freed");
	v += check_lock(&av->rwsem.li, OBJ, "anon_vma rwsem");
	return v;
}
#undef OBJ

/* ============================================================ mappings */

#define OBJ	map_name(m)
static int mapping_check(struct address_space *m, struct census *c)
{
	struct list_head *e;
	uint32_t nr = 0, nv = 0, pfn, vi, mi = 0;
	int want, v = 0;

	if (!pm_live(&c->map, m, NULL))
		return viol(INV_RMAP, "mapping", "%p is not a live mapping", (void *)m);

	/* 5.6, 2.5: this mapping's entries of the world's page-cache table */
	pool_idx(c->map.p, m, &mi);
	for (uint32_t i = 0; c->map_pages[mi] && i < the_world->pc_cap; i++) {
		struct address_space *owner;
		struct folio *f;
		uint64_t index;

		if (c->bounded && !(i % 64)) {
			/* the bitmap, as census_page_cache read it: skip empty words */
			uint64_t bits = the_world->pc_used[i / 64];

			if (!bits) {
				i += 63;
				continue;
			}
			i += (uint32_t)__builtin_ctzll(bits);
		}
		if (!pc_decode(c, i, &owner, &index) || owner != m)
			continue;
		f = the_world->pc_folio[i];
		nr++;
		if (!folio_in_range(c, f, &pfn)) {
			v += viol(INV_RMAP, OBJ, "index %#" PRIx64 " holds %p, not a frame", index,
				  (void *)f);
			continue;
		}
		if (f->mapping != (uintptr_t)m)
			v += viol(INV_RMAP, OBJ,
				  "index %#" PRIx64 " holds pfn %u whose mapping is %#lx",
				  index, pfn, (unsigned long)f->mapping);
		else if (f->index != index)
			v += viol(INV_RMAP, OBJ, "index %#" PRIx64 " holds pfn %u whose index is %#"
				  PRIx64, index, pfn, f->index);
		if (folio_ref_count(f) < 1 + folio_mapcount(f))
			v += viol(INV_REFCOUNT, OBJ,
				  "index %#" PRIx64 " holds pfn %u with refcount %d "
				  "< 1 + mapcount %d",
				  index, pfn, folio_ref_count(f), folio_mapcount(f));
	}
	if (nr != m->nrpages)
		v += viol(INV_RMAP, OBJ, "nrpages %u but %u folios in the page cache",
			  m->nrpages, nr);

	for (e = m->i_mmap.next; e != &m->i_mmap; e = e->next) {
		struct vm_area_struct *vma = entry_or_null(e, struct vm_area_struct, shared);

		if (!pm_live(&c->vma, vma, &vi) || ++nv > c->vma.p->cap)
			break;		/* reported while building the census */
		if (vma->vm_file != m)
			v += viol(INV_RMAP, OBJ, "i_mmap holds VMA %u whose vm_file is %p", vma->id,
				  (void *)vma->vm_file);
	}
	/* 13.3 */
	want = (int)nv + (m == the_world->memfd ? 1 : 0);
	if (atomic_load(&m->refcount) != want)
		v += viol(INV_LEAK, OBJ, "refcount %d but %u VMAs on its i_mmap%s",
			  atomic_load(&m->refcount), nv,
			  m == the_world->memfd ? " + the memfd" : "");
	v += check_lock(&m->i_mmap_rwsem.li, OBJ, "i_mmap_rwsem");
	return v;
}
#undef OBJ

/* ============================================================ entry points */

int check_folio(struct folio *folio)
{
	int v;

	if (!the_world || !folio)
		return 0;
	ck_begin();
	v = folio_check(folio, census_quiet(true));
	ck_end();
	return v;
}

int check_mm(struct mm_struct *mm)
{
	int v;

	if (!the_world || !mm)
		return 0;
	ck_begin();
	/* no per-frame pass follows: check "mapped once" against _mapcount */
	v = mm_check(mm, census_quiet(false), false);
	ck_end();
	return v;
}

int check_vma(struct vm_area_struct *vma)
{
	struct census *c;
	struct list_head *e;
	bool found = false;
	uint32_t n = 0;
	int v;

	if (!the_world || !vma)
		return 0;
	ck_begin();
	c = census_quiet(false);
	if (!pm_live(&c->vma, vma, NULL)) {
		v = viol(INV_BUG, "vma", "%p is not a live VMA", (void *)vma);
		goto out;
	}
	v = vma_check(vma, c);
	if (!pm_live(&c->mm, vma->vm_mm, NULL)) {
		v += viol(INV_BUG, vma_name(c, vma), "vm_mm %p is not a live mm",
			  (void *)vma->vm_mm);
		goto out;
	}
	for (e = vma->vm_mm->mmap.next; e && e != &vma->vm_mm->mmap && n++ <= c->vma.p->cap;
	     e = e->next)
		if (e == &vma->vm_list)
			found = true;
	if (!found)
		v += viol(INV_BUG, vma_name(c, vma), "not on its mm's VMA list");
out:
	ck_end();
	return v;
}

int check_anon_vma(struct anon_vma *av)
{
	int v;

	if (!the_world || !av)
		return 0;
	ck_begin();
	v = av_check(av, census_quiet(true));
	ck_end();
	return v;
}

int check_swap_info(struct swap_info_struct *si)
{
	int v;

	if (!the_world || !si)
		return 0;
	ck_begin();
	v = swap_check(si, census_quiet(true));
	ck_end();
	return v;
}

int check_mapping(struct address_space *m)
{
	int v;

	if (!the_world || !m)
		return 0;
	ck_begin();
	v = mapping_check(m, census_quiet(true));
	ck_end();
	return v;
}

/*
 * A free frame with nothing left on it and nothing pointing at it: exactly
 * the states in which folio_check finds nothing on a frame with refcount 0
 * (mapcount 0, no flags, no mapping, no census entry, on the free list or
 * never handed out).  Half the frames of a fuzzing world, skipped cheaply.
 */
static bool frame_plainly_free(const struct census *c, uint32_t pfn)
{
	const struct folio *f = &the_world->folios[pfn];
	const struct frame_census *fc = fc_get(c, pfn);

	return folio_ref_count(f) == 0 && folio_mapcount(f) == 0 &&
	       !atomic_load(&((struct folio *)f)->flags) &&
	       !atomic_load(&((struct page *)&f->page)->flags) && !f->mapping &&
	       !fc->ptes && !fc->migr && !fc->dev && !fc->pc_slots &&
	       ((fc->state & FS_ON_FREE) || frame_fresh(pfn));
}

static int world_check(void)
{
	struct world *w = the_world;
	struct census *c = &the_census;
	int v;

	v = census_build(true, true);

	if (c->bounded) {
		/*
		 * Frames past a node's bump pointer were never handed out:
		 * nothing but a stray reference (collected by fc_at) can reach
		 * them, and the full check reads every one of them.
		 */
		for (int n = 0; n < w->nr_nodes; n++) {
			const struct pglist_data *nd = &w->node[n];
			uint32_t end = nd->next_fresh < nd->nr_frames ? nd->next_fresh : nd->nr_frames;

			for (uint32_t pfn = nd->first_pfn;
			     pfn < nd->first_pfn + end && pfn < c->nr_frames; pfn++)
				if (!frame_plainly_free(c, pfn))
					v += folio_check(&w->folios[pfn], c);
		}
		for (uint32_t i = 0; i < c->nr_stray; i++)
			v += folio_check(&w->folios[c->stray[i]], c);
	} else {
		for (uint32_t pfn = 0; pfn < c->nr_frames; pfn++)
			if (!frame_plainly_free(c, pfn))
				v += folio_check(&w->folios[pfn], c);
	}
	v += folio_check(&w->folios[w->nr_frames], c);
	for (int t = 0; t < (1 << MAX_SWAPFILES_SHIFT) && (!c->bounded || t < w->nr_swapfiles); t++)
		if (w->swap_info[t].flags & SWP_USED)	/* else nothing to check */
			v += swap_check(&w->swap_info[t], c);
	pm_for_each_live(&c->av, i)
		v += av_check(pm_obj(&c->av, i), c);
	pm_for_each_live(&c->map, i)
		v += mapping_check(pm_obj(&c->map, i), c);

	/* 13.2: nothing allocated that no walk can reach */
	pm_for_each_live(&c->vma, i) {
		struct vm_area_struct *vma = pm_obj(&c->vma, i);

		if (!c->vma_seen[i])
			v += viol(INV_LEAK, vma_name(c, vma),
				  "allocated but on no live mm's VMA list");
	}
	pm_for_each_live(&c->avc, i) {
		struct anon_vma_chain *avc = pm_obj(&c->avc, i);

		if (!c->avc_vma[i] && !c->avc_head[i])
			v += viol(INV_LEAK, objname("avc %u", avc->id),
				  "allocated but on no VMA chain and no anon_vma list");
		else if (!c->avc_vma[i])
			v += viol(INV_ANONVMA, objname("avc %u", avc->id),
				  "on anon_vma %u's list but on no live VMA's chain",
				  c->avc_head[i]->id);
	}
	if (c->pgt_reached != c->pgt.nr_live)
		v += viol(INV_LEAK, "pool pgtable", "%u page tables allocated but %" PRIu64
			  " reachable from live mms", c->pgt.nr_live, c->pgt_reached);
	pm_for_each_live(&c->pgt, i)
		if (c->pgt_seen[i] > 1)
			v += viol(INV_BUG, "pool pgtable", "page table %u is reachable %u times",
				  ((struct pgtable *)pm_obj(&c->pgt, i))->id, c->pgt_seen[i]);

	/* 14.1: the global locks */
	for (int n = 0; n < w->nr_nodes; n++) {
		v += check_lock(&w->node[n].lock.li, objname("node %d", n), "free-list lock");
		v += check_lock(&w->node[n].lru_lock.li, objname("node %d", n), "lru_lock");
	}
	v += check_lock(&w->swap_lock.li, "world", "swap_lock");
	v += check_lock(&w->mmlist_lock.li, "world", "mmlist_lock");
	v += check_lock(&w->i_pages_lock.li, "world", "i_pages_lock");
	return v;
}

int check_world(void)
{
	int v;

	if (!the_world)
		return 0;
	ck_begin();
	v = world_check();
	ck_end();
	return v;
}

/*
 * Every clause of check_world, over what the model has used rather than
 * what the world could hold.  It stops at marks that only the allocators
 * move, where the full check reads on:
 *   - each page table up to its last entry in use (nr_used, kept by
 *     set_pte_at and pte_table);
 *   - the frames each node has handed out (next_fresh), plus any frame
 *     past it that the census found referenced (fc_at);
 *   - each swap device's slots up to highest_alloc (get_swap_page);
 *   - the pools' used maps, without walking their free lists;
 *   - the page-cache slots the occupancy bitmap names.
 * No census array is cleared up front either (frame_census.gen).  On a
 * world the model built this reports exactly what check_world reports
 * (test_incremental compares them after every prefix of many programs,
 * with and without each zoo bug); a store past a mark, which only a test
 * poking the world makes, can hide from it, and the full check reports
 * it.  Callers run check_world at least once per program (the executor
 * does after the last op).
 */
int check_world_incremental(void)
{
	int v;

	if (!the_world)
		return 0;
	ck_begin();
	ck.bounded = true;
	v = world_check();
	ck.bounded = false;
	ck_end();
	return v;
}

int check_world_empty(void)
{
	struct world *w = the_world;
	struct census *c;
	struct {
		struct pool *p;
		const char *name;
		uint32_t allowed;
	} pools[] = {
		{ &w->mm_pool,		"mm",			0 },
		{ &w->vma_pool,		"vma",			0 },
		{ &w->anon_vma_pool,	"anon_vma",		0 },
		{ &w->avc_pool,		"anon_vma_chain",	0 },
		{ &w->pgtable_pool,	"pgtable",		0 },
		{ &w->mapping_pool,	"mapping",		w->memfd ? 1 : 0 },
	};
	char obj[48];
	int v = 0;

	if (!w)
		return 0;
	ck_begin();
	c = census_quiet(false);

	/* 13.4 */
	for (unsigned i = 0; i < sizeof(pools) / sizeof(pools[0]); i++) {
		if (pools[i].p->nr_used == pools[i].allowed)
			continue;
		snprintf(obj, sizeof(obj), "pool %s", pools[i].name);
		v += viol(INV_LEAK, obj, "%u objects left after every process exited (%u expected)",
			  pools[i].p->nr_used, pools[i].allowed);
	}
	if (w->memfd && !pm_live(&c->map, w->memfd, NULL))
		v += viol(INV_LEAK, "memfd", "the memfd is not a live mapping");
	for (int t = 0; t < (1 << MAX_SWAPFILES_SHIFT); t++) {
		const struct swap_info_struct *si = &w->swap_info[t];

		if (!(si->flags & SWP_USED))
			continue;
		snprintf(obj, sizeof(obj), "swap type %d", t);
		v += viol(INV_LEAK, obj, "still on (inuse_pages %" PRIu64 ")", si->inuse_pages);
	}
	if (w->mmlist.next && !list_empty(&w->mmlist))
		v += viol(INV_LEAK, "world", "mmlist is not empty");

	for (uint32_t pfn = 0; pfn < c->nr_frames; pfn++) {
		struct folio *f = &w->folios[pfn];
		int ref = folio_ref_count(f);

		if (ref == 0)
			continue;
		snprintf(obj, sizeof(obj), "folio pfn %u", pfn);
		if (w->memfd && f->mapping == (uintptr_t)w->memfd && fc_get(c, pfn)->pc == w->memfd) {
			/* the memfd outlives every process, as a real one would */
			if (ref != 1 || folio_mapcount(f) != 0)
				v += viol(INV_LEAK, obj,
					  "memfd page (index %#" PRIx64 ") has refcount %d "
					  "mapcount %d with nothing mapping it", f->index, ref,
					  folio_mapcount(f));
			continue;
		}
		v += viol(INV_LEAK, obj, "still allocated: refcount %d mapcount %d flags %#lx "
			  "mapping %#lx",
			  ref, folio_mapcount(f), (unsigned long)atomic_load(&f->flags),
			  (unsigned long)f->mapping);
	}
	ck_end();
	return v;
}
