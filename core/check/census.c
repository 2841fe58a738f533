// SPDX-License-Identifier: MIT
/*
 * census.c - the census: one pass that counts, for every frame, swap slot
 * and object, what points at it.
 *
 * The family files judge each object against these counts, so the census
 * comes first, once per check.  Reading the lists it counts already proves
 * some clauses, which it reports on the way: REFCOUNT 2.2 (the node free
 * lists), LEAK 13.1 (pools against their free lists and used maps), RMAP
 * 5.4 and 5.6 (i_mmap and page-cache structure), ANONVMA 6.2 (anon_vma
 * list structure) and BUG 16.1 (the page-cache bitmap).  It ends by walking
 * every mm (pgtable.c), which fills the per-frame and per-slot counts.
 */
#include <stdlib.h>

#include "internal.h"

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
	SB_PGT_SEEN, SB_LIVE_PGDIR, SB_PGDIR_SEEN,
	SB_LIVE_KSM_ITEM, SB_LIVE_KSM_NODE, SB_LIVE_KSM_SLOT,
	SB_AV_KSM, SB_ITEM_SLOT, SB_NODE_SEEN, SB_NODE_TREE, SB_SLOT_SEEN,
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

struct census the_census;

/* 13.1: which objects of @p are allocated, from its bump pointer and free list */
#define OBJ	chk_objname("pool %s", label)
static int census_pool(struct pool_map *m, struct pool *p, const char *label, int sb)
{
	uint32_t n = 0, i, fresh = pool_fresh(p);
	void *o;
	int v = 0;

	m->p = p;
	m->nr_live = 0;
	if (p->next_fresh > p->cap)
		v += chk_viol(INV_LEAK, OBJ,
			      "next_fresh %u beyond capacity %u", p->next_fresh, p->cap);
	if (the_checker.bounded && p->used) {
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
	for (o = p->free_list; o; o = *(void **)((char *)o + p->link_off)) {
		if (!pool_idx(p, o, &i)) {
			v += chk_viol(INV_LEAK, OBJ,
				      "free list holds %p, not an object handed out", o);
			break;
		}
		if (!m->live[i]) {
			v += chk_viol(INV_LEAK, OBJ,
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
			v += chk_viol(INV_LEAK, OBJ,
				      "object %u is %s by the free list but %s by the used map",
				      i, m->live[i] ? "allocated" : "free",
				      p->used[i] ? "allocated" : "free");
			break;
		}
	}
	if (m->nr_live != p->nr_used)
		v += chk_viol(INV_LEAK, OBJ,
			      "nr_used %u but %u objects are handed out and not free",
			      p->nr_used, m->nr_live);
	return v;
}
#undef OBJ

/* 2.2: node free lists */
#define OBJ	chk_objname("node %d", n)
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
				v += chk_viol(INV_REFCOUNT, OBJ, "free list holds %p, not a frame",
					      (void *)f);
				break;
			}
			if (fc_get(c, pfn)->state & FS_ON_FREE) {
				v += chk_viol(INV_REFCOUNT, OBJ,
					      "pfn %u is on the free list twice (or it loops)",
					      pfn);
				break;
			}
			if (node_of_pfn(pfn) != n)
				v += chk_viol(INV_REFCOUNT, OBJ,
					      "free list holds pfn %u of node %d",
					      pfn, node_of_pfn(pfn));
			fc_at(c, pfn)->state |= FS_ON_FREE;
			if (++cnt > nd->nr_frames + 1)
				break;
		}
		if (!e)
			v += chk_viol(INV_REFCOUNT, OBJ, "free list is broken (NULL link)");
		else if (nd->next_fresh > nd->nr_frames)
			v += chk_viol(INV_REFCOUNT, OBJ, "next_fresh %u beyond its %u frames",
				      nd->next_fresh, nd->nr_frames);
		else if (nd->nr_free != cnt + (nd->nr_frames - nd->next_fresh))
			v += chk_viol(INV_REFCOUNT, OBJ,
				      "nr_free %u but %u frames on the free list + %u "
				      "never handed out",
				      nd->nr_free, cnt, nd->nr_frames - nd->next_fresh);
	}
	return v;
}
#undef OBJ

/*
 * 1.5: the deferred split queues.  Each node's queue is a well-linked list
 * of the first frames of folios of that node, each once, as many as
 * split_queue_len says; folio_check then holds each member (and each
 * partially mapped large folio) to the queue's rules.
 */
#define OBJ	chk_objname("node %d deferred split queue", n)
static int census_split_queues(struct census *c)
{
	int v = 0;

	for (int n = 0; n < the_world->nr_nodes; n++) {
		struct pglist_data *nd = &the_world->node[n];
		struct list_head *e, *prev = &nd->split_queue;
		unsigned long cnt = 0;
		uint32_t pfn;

		for (e = nd->split_queue.next; e && e != &nd->split_queue; prev = e, e = e->next) {
			struct folio *f = container_of(e, struct folio, _deferred_list);

			if (!folio_in_range(c, f, &pfn)) {
				v += chk_viol(INV_MAPCOUNT, OBJ, "holds %p, not a frame", (void *)f);
				break;
			}
			if (e->prev != prev) {
				v += chk_viol(INV_MAPCOUNT, OBJ, "pfn %u's prev link does not name "
					      "the entry before it (list corruption)", pfn);
				break;
			}
			if (fc_get(c, pfn)->state & FS_ON_SPLITQ) {
				v += chk_viol(INV_MAPCOUNT, OBJ, "pfn %u is on it twice (or it loops)",
					      pfn);
				break;
			}
			if (node_of_pfn(pfn) != n)
				v += chk_viol(INV_MAPCOUNT, OBJ, "holds pfn %u of node %d", pfn,
					      node_of_pfn(pfn));
			fc_at(c, pfn)->state |= FS_ON_SPLITQ;
			if (++cnt > nd->nr_frames)
				break;
		}
		if (!e)
			v += chk_viol(INV_MAPCOUNT, OBJ, "is broken (NULL link)");
		else if (e == &nd->split_queue && nd->split_queue.prev != prev)
			v += chk_viol(INV_MAPCOUNT, OBJ, "its head's prev link does not name its "
				      "last entry (list corruption)");
		else if (e == &nd->split_queue && cnt != nd->split_queue_len)
			v += chk_viol(INV_MAPCOUNT, OBJ, "split_queue_len %lu but %lu folios on it",
				      nd->split_queue_len, cnt);
	}
	return v;
}
#undef OBJ

/* 5.4 (who is on which i_mmap) */
#define OBJ	chk_map_name(m)
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
				v += chk_viol(INV_RMAP, OBJ, "i_mmap holds %p, not a live VMA",
					      (void *)vma);
				break;
			}
			if (c->vma_immap[vi]) {
				v += chk_viol(INV_RMAP, OBJ,
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

/* 5.6 for slot @i: which cache holds the frame, how many entries each mapping has */
static int census_pc_slot(struct census *c, uint32_t i)
{
	struct world *w = the_world;
	struct frame_census *fc;
	struct address_space *m;
	struct folio *f = w->pc_folio[i];
	uint64_t index;
	uint32_t pfn, mi = 0;
	char obj[48];

	if (!pc_decode(c, i, &m, &index)) {
		if (f)
			return chk_viol(INV_RMAP, "page cache", "empty slot %u holds pfn %u", i,
					folio_in_range(c, f, &pfn) ? pfn : ~0u);
		return 0;
	}
	if (!m) {
		snprintf(obj, sizeof(obj), "page cache slot %u", i);
		return chk_viol(INV_LEAK, obj,
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
		return w->pc_cap ? chk_viol(INV_RMAP, "page cache", "pc_cap %u but no table",
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
			v += chk_viol(INV_BUG, "page cache", "slot %u is %s but its bit says %s", i,
				      w->pc_key[i] ? "taken" : "empty", used ? "taken" : "empty");
		v += census_pc_slot(c, i);
	}
	return v;
}

/* 6.2 (structure): which avc is on which anon_vma's list; tree degrees */
#define OBJ	chk_objname("anon_vma %u", av->id)
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
				v += chk_viol(INV_ANONVMA, OBJ, "list holds %p, not a live avc",
					      (void *)avc);
				break;
			}
			if (c->avc_head[ci]) {
				v += chk_viol(INV_ANONVMA, OBJ,
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
		/* a root is its own parent: its num_children counts itself */
		if (!list_empty(&av->head) && pm_live(&c->av, av->parent, &pi))
			c->av_children[pi]++;
	}
	return v;
}
#undef OBJ

/* ------------------------------------------------------- census driver */

static void census_mm_cb(struct mm_struct *mm, void *arg)
{
	struct { struct census *c; bool defer; int v; } *a = arg;

	a->v += chk_mm(mm, a->c, a->defer);
}

/*
 * Build the census: pools, free lists, i_mmap and anon_vma lists, and (if
 * @walk_mms) every mm with its checks.  Returns violations found on the way.
 */
int chk_census_build(bool walk_mms, bool defer)
{
	struct census *c = &the_census;
	struct world *w = the_world;
	int v = 0;

	c->nr_frames = w->nr_frames;
	c->zero_pfn = w->nr_frames;
	c->huge_zero_pfn = w->huge_zero_pfn;
	c->dev_first = w->nr_frames + 1;
	c->nr_device = w->nr_device;
	c->nr_pfns = w->nr_frames + 1 + w->nr_device;
	c->fc = scratch_keep(SB_FRAMES, c->nr_pfns, sizeof(*c->fc));
	if (++c->gen == 0) {
		/* wrapped: an entry stamped 2^32 censuses ago must not look current */
		memset(c->fc, 0, (size_t)c->nr_pfns * sizeof(*c->fc));
		c->gen = 1;
	}
	c->stray = scratch_keep(SB_STRAY, c->nr_pfns, sizeof(*c->stray));
	c->nr_stray = 0;
	for (int t = 0; t < (1 << MAX_SWAPFILES_SHIFT); t++) {
		const struct swap_info_struct *si = &w->swap_info[t];

		/* bounded: no device sits at or above nr_swapfiles (4.4, full pass) */
		if (the_checker.bounded && t >= w->nr_swapfiles) {
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
		if (the_checker.bounded && si->highest_alloc + 1 < c->swc_len[t])
			c->swc_len[t] = si->highest_alloc + 1;
		c->swc[t] = scratch(SB_SWAP0 + t, c->swc_len[t], sizeof(uint32_t));
	}
	v += census_pool(&c->mm, &w->mm_pool, "mm", SB_LIVE_MM);
	v += census_pool(&c->vma, &w->vma_pool, "vma", SB_LIVE_VMA);
	v += census_pool(&c->av, &w->anon_vma_pool, "anon_vma", SB_LIVE_AV);
	v += census_pool(&c->avc, &w->avc_pool, "anon_vma_chain", SB_LIVE_AVC);
	v += census_pool(&c->map, &w->mapping_pool, "mapping", SB_LIVE_MAP);
	v += census_pool(&c->pgt, &w->pgtable_pool, "pgtable", SB_LIVE_PGT);
	v += census_pool(&c->pgdir, &w->pgdir_pool, "pgdir", SB_LIVE_PGDIR);
	v += census_pool(&c->ksm_item, &w->rmap_item_pool, "ksm_rmap_item", SB_LIVE_KSM_ITEM);
	v += census_pool(&c->ksm_node, &w->stable_node_pool, "ksm_stable_node", SB_LIVE_KSM_NODE);
	v += census_pool(&c->ksm_slot, &w->mm_slot_pool, "ksm_mm_slot", SB_LIVE_KSM_SLOT);
	c->av_ksm = scratch(SB_AV_KSM, pool_fresh(&w->anon_vma_pool), sizeof(uint32_t));
	c->item_slot = scratch(SB_ITEM_SLOT, pool_fresh(&w->rmap_item_pool), sizeof(*c->item_slot));
	c->node_seen = scratch(SB_NODE_SEEN, pool_fresh(&w->stable_node_pool), 1);
	c->node_tree = scratch(SB_NODE_TREE, pool_fresh(&w->stable_node_pool), 1);
	c->slot_seen = scratch(SB_SLOT_SEEN, pool_fresh(&w->mm_slot_pool), 1);
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
	c->pgdir_seen = scratch(SB_PGDIR_SEEN, pool_fresh(&w->pgdir_pool), 1);
	c->pgt_reached = 0;
	c->mms_walked = false;
	c->bounded = the_checker.bounded;

	v += census_free_lists(c);
	v += census_split_queues(c);
	v += chk_device_free_list(c);
	v += census_mappings(c);
	v += census_page_cache(c);
	v += census_anon_vmas(c);
	v += chk_ksm_census(c);
	v += chk_pins_census(c);
	if (walk_mms) {
		struct { struct census *c; bool defer; int v; } a = { c, defer, 0 };

		world_for_each_mm(census_mm_cb, &a);
		v += a.v;
		c->mms_walked = true;
	}
	return v;
}

/* a full census built without reporting, for a single-object check */
struct census *chk_census_quiet(bool walk_mms)
{
	bool was = the_checker.quiet;

	the_checker.quiet = true;
	chk_census_build(walk_mms, true);
	the_checker.quiet = was;
	return &the_census;
}
