// SPDX-License-Identifier: MIT
/*
 * folio.c - the per-frame clauses: MAPCOUNT 1.1 and 1.2, REFCOUNT 2.1-2.4,
 * MIGRATION 3.2, SWAPMAP 4.6, RMAP 5.7, ANONVMA 6.6, EXCLUSIVE 7.2 and
 * 7.3, PROT 8.2; check_folio.
 *
 * Each compares one frame with what the census counted pointing at it, so
 * they run once per frame after the census rather than once per pte: "mapped
 * once" is a count no single pte can see.  The loop over the frames lives
 * here too, so that the free-frame filter and folio_check inline together.
 */
#include <inttypes.h>

#include "mmt/gup.h"
#include "mmt/huge_mm.h"
#include "internal.h"

static int huge_zero_check(struct folio *f);

#define OBJ	chk_objname("folio pfn %u", pfn)

/*
 * The per-page clauses of one page (a frame) that maps @pmaps times:
 * 1.1 its own _mapcount, 7.3 and 8.2 per page (AnonExclusive, writable
 * means mapped once), on an anon folio @anon.
 */
static int page_check(struct folio *pg, const struct frame_census *fc, uint32_t pfn, bool anon,
		      bool large, const struct frame_census *hc)
{
	uint32_t pmaps = fc->ptes + fc->dev + hc->pmds, all = pmaps + fc->migr;
	uint32_t writers = fc->writers + hc->pmd_writers;
	int mc = page_mapcount(&pg->page), v = 0;

	/* 1.1, per page of a large folio (an order-0 folio's is its folio's) */
	if (large && (mc < 0 || (uint32_t)mc != pmaps))
		v += chk_viol(INV_MAPCOUNT, OBJ, "page mapcount %d but %u ptes map it "
			      "(+%u device entries, +%u huge pmds)", mc, fc->ptes, fc->dev,
			      hc->pmds);
	/* 7.2, 7.3, 8.2 */
	if (anon) {
		if (test_page_anon_exclusive(&pg->page) && all > 1)
			v += chk_viol(INV_EXCLUSIVE, OBJ, "AnonExclusive but mapped %u times", all);
		else if (fc->excl && all > 1)
			v += chk_viol(INV_EXCLUSIVE, OBJ,
				      "exclusive migration entry but mapped %u times", all);
		else if (writers && all > 1)
			v += chk_viol(INV_EXCLUSIVE, OBJ, "writable %s but mapped %u times",
				      fc->writers ? chk_objname("at mm %u addr %#" PRIx64, fc->wr_mm,
								fc->wr_addr) : "by a huge pmd", all);
		if (writers && all > 1)
			v += chk_viol(INV_PROT, OBJ,
				      "COW-shared page writable: mapped %u times, %u of them writable",
				      all, writers);
	} else if (test_page_anon_exclusive(&pg->page)) {
		v += chk_viol(INV_EXCLUSIVE, OBJ, "AnonExclusive on a folio that is not anonymous");
	}
	return v;
}

/*
 * A tail frame of a large folio: it belongs to a live large folio that
 * covers it, holds no reference, flag or mapping of its own, and its page
 * obeys the per-page clauses (1.1, 7.x, 8.2).
 */
static int tail_check(struct folio *f, struct census *c, uint32_t pfn)
{
	struct folio *head = chk_page_folio(c, f);
	int v = 0;

	if (head == f)
		return chk_viol(INV_BUG, OBJ, "tail_off %u names no large folio covering it",
				f->tail_off);
	if (folio_ref_count(head) <= 0)
		v += chk_viol(INV_REFCOUNT, OBJ, "tail page of folio pfn %u, which is free",
			      head->pfn);
	if (folio_ref_count(f) || atomic_load(&f->flags) || f->mapping)
		v += chk_viol(INV_REFCOUNT, OBJ, "tail page keeps refcount %d, flags %#lx, "
			      "mapping %#lx of its own", folio_ref_count(f),
			      (unsigned long)atomic_load(&f->flags), (unsigned long)f->mapping);
	if (fc_get(c, pfn)->state & FS_ON_FREE)
		v += chk_viol(INV_REFCOUNT, OBJ, "tail page of folio pfn %u on a free list",
			      head->pfn);
	if (fc_get(c, pfn)->state & FS_ON_SPLITQ)
		v += chk_viol(INV_MAPCOUNT, OBJ, "tail page of folio pfn %u on the deferred "
			      "split queue", head->pfn);
	return v + page_check(f, fc_get(c, pfn), pfn, folio_test_anon(head), true,
			      fc_get(c, head->pfn));
}

static int folio_check(struct folio *f, struct census *c)
{
	uint32_t pfn;
	const struct frame_census *fc;
	int ref = folio_ref_count(f), mc = folio_mapcount(f), v = 0;
	unsigned long flags = atomic_load(&f->flags);
	bool anon = folio_test_anon(f), on_free, fresh;
	uint32_t maps, exp, pins;

	if (f == &the_world->folios[the_world->nr_frames]) {
		/* the zero page: reserved, never counted, never freed, zero */
		if (!folio_test_reserved(f))
			return chk_viol(INV_REFCOUNT, "zero page", "PG_reserved is clear");
		if (atomic_load(&f->value))
			return chk_viol(INV_DATA, "zero page", "holds %#" PRIx64 ", not zero",
					(uint64_t)atomic_load(&f->value));
		return 0;
	}
	if (f == &the_world->folios[c->huge_zero_pfn])
		return huge_zero_check(f);
	if (f > the_world->folios + c->zero_pfn && f < the_world->folios + c->nr_pfns)
		return chk_device_folio(f, c);
	if (!folio_in_range(c, f, &pfn))
		return chk_viol(INV_BUG, "folio", "%p is not a frame of the world", (void *)f);
	if (f->tail_off)
		return tail_check(f, c, pfn);
	fc = fc_get(c, pfn);
	on_free = fc->state & FS_ON_FREE;
	fresh = frame_fresh(pfn);
	maps = fc->ptes + fc->dev;
	pins = fc->pins * GUP_PIN_COUNTING_BIAS;
	if (folio_test_large(f) && ref > 0) {
		/* the folio's counts are its pages' sums; a pin is one reference */
		uint32_t mapped = 0, nr = 1u << f->order;

		int npm = atomic_load(&f->_nr_pages_mapped);

		maps = fc->pmds;	/* one mapcount, one reference per huge pmd */
		pins = 0;
		for (uint32_t i = 0; i < nr && pfn + i < c->nr_frames; i++) {
			const struct frame_census *pc = fc_get(c, pfn + i);

			maps += pc->ptes + pc->dev;
			pins += pc->pins;
			mapped += pc->ptes + pc->dev > 0;
		}
		if ((npm & FOLIO_PAGES_MAPPED) != (int)mapped || npm < 0)
			v += chk_viol(INV_MAPCOUNT, OBJ, "_nr_pages_mapped %#x but %u of its %u "
				      "pages are mapped by ptes", npm, mapped, nr);
		if (!(npm & ENTIRELY_MAPPED) != !fc->pmds)
			v += chk_viol(INV_MAPCOUNT, OBJ, "_nr_pages_mapped %#x %s ENTIRELY_MAPPED "
				      "but %u huge pmds map it", npm,
				      npm & ENTIRELY_MAPPED ? "has" : "lacks", fc->pmds);
		if (atomic_load(&f->_entire_mapcount) + 1 != (int)fc->pmds)
			v += chk_viol(INV_MAPCOUNT, OBJ, "_entire_mapcount %d, but %u huge pmds map it",
				      atomic_load(&f->_entire_mapcount) + 1, fc->pmds);
		if (atomic_load(&f->_pincount) != (int)pins)
			v += chk_viol(INV_PIN, OBJ, "_pincount %d but %u pins",
				      atomic_load(&f->_pincount), pins);
		/*
		 * 1.5, deferred_split_folio: an anon folio of order 2 or more
		 * partly unmapped is PG_partially_mapped and queued until it
		 * is split or freed; the flag and the queue go together; an
		 * order-1 folio has no room for the list and is never queued.
		 * (A fully mapped folio may stay queued: a split that failed
		 * after unmap_folio queued it, as in the kernel.)  One that
		 * migration made partially mapped is left off the queue, as
		 * Linux leaves it, when a zap took some of its source's
		 * migration entries meanwhile or when its source, queued,
		 * could not be split first (migrated_partial); a queued
		 * source moved whole unsplit is 7262f208ca68's bug.
		 */
		bool queued = fc->state & FS_ON_SPLITQ;

		if (f->order == 1 ? folio_test_partially_mapped(f) || queued :
		    anon && mapped && mapped < nr && !fc->pmds && !folio_test_partially_mapped(f) &&
		    !f->migrated_partial)
			v += chk_viol(INV_MAPCOUNT, OBJ, "%u of %u pages mapped but %s the "
				      "deferred split queue", mapped, nr,
				      f->order == 1 ? "order 1 and on" : "not on");
		if (f->order > 1 && folio_test_partially_mapped(f) != queued)
			v += chk_viol(INV_MAPCOUNT, OBJ, "PG_partially_mapped %s but %s the "
				      "deferred split queue",
				      folio_test_partially_mapped(f) ? "set" : "clear",
				      queued ? "on" : "not on");
		if (queued && !anon)
			v += chk_viol(INV_MAPCOUNT, OBJ, "on the deferred split queue but not anon");
		v += page_check(f, fc, pfn, anon, true, fc);
	}

	/* 1.1 */
	if (mc < 0)
		v += chk_viol(INV_MAPCOUNT, OBJ, "mapcount %d is negative", mc);
	else if ((uint32_t)mc != maps)
		v += chk_viol(INV_MAPCOUNT, OBJ,
			      "mapcount %d but %u ptes map it (+%u device entries, +%u huge pmds)",
			      mc, fc->ptes, fc->dev, fc->pmds);

	/* 1.5: only a live large folio's first frame sits on a split queue */
	if ((fc->state & FS_ON_SPLITQ) && (ref <= 0 || f->order < 2))
		v += chk_viol(INV_MAPCOUNT, OBJ, "on the deferred split queue but %s",
			      ref <= 0 ? "free" : "not of order 2 or more");
	if (!folio_test_large(f) && folio_test_partially_mapped(f))
		v += chk_viol(INV_MAPCOUNT, OBJ, "PG_partially_mapped on an order-0 folio");

	if (ref == 0) {
		/* 2.2, 2.3: a free frame */
		if (!on_free && !fresh)
			v += chk_viol(INV_REFCOUNT, OBJ,
				      "refcount 0 but not on node %d's free list",
				      node_of_pfn(pfn));
		if (fc->ptes || fc->migr || fc->dev || fc->pmds)
			v += chk_viol(INV_REFCOUNT, OBJ,
				      "free frame is still referenced by %u ptes, "
				      "%u migration entries, %u device entries, %u huge pmds",
				      fc->ptes, fc->migr, fc->dev, fc->pmds);
		if (flags || atomic_load(&f->page.flags))
			v += chk_viol(INV_REFCOUNT, OBJ,
				      "free frame keeps flags %#lx (page flags %#lx)",
				      flags, (unsigned long)atomic_load(&f->page.flags));
		if (f->mapping)
			v += chk_viol(INV_REFCOUNT, OBJ, "free frame keeps mapping %#lx",
				      (unsigned long)f->mapping);
		if (fc->pc_slots)
			v += chk_viol(INV_REFCOUNT, OBJ,
				      "free frame is in the page cache of mapping %u",
				      fc->pc->id);
		return v;
	}

	if (ref < 0)
		v += chk_viol(INV_REFCOUNT, OBJ, "refcount %d is negative", ref);
	if (on_free)
		v += chk_viol(INV_REFCOUNT, OBJ, "refcount %d but on node %d's free list",
			      ref, node_of_pfn(pfn));
	if (folio_test_reserved(f))
		v += chk_viol(INV_REFCOUNT, OBJ,
			      "PG_reserved on a frame that is not the zero page");

	/* 3.2: nobody is inside an operation */
	if (folio_test_locked(f))
		v += chk_viol(INV_MIGRATION, OBJ, "PG_locked at a quiescent point");
	if (folio_test_migrating(f))
		v += chk_viol(INV_MIGRATION, OBJ,
			      "PG_migrating at a quiescent point (destination pfn %u)",
			      f->migrate_dst);
	if (folio_test_isolated(f))
		v += chk_viol(INV_MIGRATION, OBJ, "PG_isolated at a quiescent point");

	/* 2.1 */
	exp = maps + (folio_test_swapcache(f) ? 1 : 0) + (!anon && f->mapping ? 1 : 0) +
	      (folio_test_isolated(f) ? 1 : 0) + pins;
	if (ref > 0 && (uint32_t)ref != exp)
		v += chk_viol(INV_REFCOUNT, OBJ,
			      "refcount %d but %u expected (%u ptes, %u device entries, %u huge "
			      "pmds%s%s%s, %u pins): %s",
			      ref, exp, fc->ptes, fc->dev, fc->pmds,
			      folio_test_swapcache(f) ? ", swap cache" : "",
			      !anon && f->mapping ? ", page cache" : "",
			      folio_test_isolated(f) ? ", isolated" : "", fc->pins,
			      (uint32_t)ref > exp ? "a reference leaked" :
						    "a reference is missing");

	/* 4.6 */
	if (folio_test_swapcache(f)) {
		swp_entry_t e = folio_swap_entry(f);
		unsigned t = swp_type(e);
		uint64_t off = swp_offset(e);
		const struct swap_info_struct *si = &the_world->swap_info[t];

		if (t >= MAX_SWAPFILES || !(si->flags & SWP_USED) || !si->cache ||
		    off == 0 || off >= si->max)
			v += chk_viol(INV_SWAPMAP, OBJ, "PG_swapcache names type %u slot %" PRIu64
				      ", which is no slot of a swap device", t, off);
		else if (si->cache[off] != f)
			v += chk_viol(INV_SWAPMAP, OBJ, "PG_swapcache names type %u slot %" PRIu64
				      ", but that cache slot holds %p", t, off,
				      (void *)si->cache[off]);
	}

	/* 10.x: the KSM folio's stable node */
	if (folio_test_ksm(f))
		v += chk_ksm_folio(f, fc, c);

	/* 5.7, 6.6 */
	if (anon && folio_test_ksm(f)) {
		if (fc->pc_slots)
			v += chk_viol(INV_RMAP, OBJ,
				      "KSM folio sits in the page cache of mapping %u", fc->pc->id);
	} else if (anon) {
		struct anon_vma *av = folio_anon_vma(f);

		/*
		 * Only a mapped folio pins its anon_vma: an unmapped one in the
		 * swap cache may point at a freed one, as in the kernel, where
		 * folio_get_anon_vma() checks folio_mapped() for that reason.
		 */
		if ((maps || fc->migr) && !pm_live(&c->av, av, NULL))
			v += chk_viol(INV_ANONVMA, OBJ,
				      "mapped anon folio points at freed anon_vma %p",
				      (void *)av);
		if (fc->pc_slots)
			v += chk_viol(INV_RMAP, OBJ,
				      "anonymous folio sits in the page cache of mapping %u",
				      fc->pc->id);
	} else if (f->mapping) {
		struct address_space *m = folio_mapping(f);

		if (!pm_live(&c->map, m, NULL))
			v += chk_viol(INV_RMAP, OBJ, "folio->mapping %p is not a live mapping",
				      (void *)m);
		else if (fc->pc != m || fc->pc_index != f->index)
			v += chk_viol(INV_RMAP, OBJ,
				      "claims index %#" PRIx64 " of mapping %u but is not "
				      "in its page cache there", f->index, m->id);
		if (fc->pc_slots > 1)
			v += chk_viol(INV_RMAP, OBJ, "in %u page-cache slots", fc->pc_slots);
	} else if (fc->pc_slots) {
		v += chk_viol(INV_RMAP, OBJ,
			      "in the page cache of mapping %u with no folio->mapping",
			      fc->pc->id);
	}

	/* 7.2, 7.3, 8.2 (a large folio's first page was checked above) */
	if (!folio_test_large(f) || ref <= 0)
		v += page_check(f, fc, pfn, anon, false, fc);
	return v;
}
#undef OBJ

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
	       !fc->ptes && !fc->migr && !fc->dev && !fc->pmds && !fc->pc_slots &&
	       !(fc->state & FS_ON_SPLITQ) &&
	       ((fc->state & FS_ON_FREE) || frame_fresh(pfn));
}

/*
 * The huge zero folio (2.4; DATA for its contents): reserved and of PMD
 * order, its tails only tails, nothing counted on any of its pages, and
 * every page zero.
 */
static int huge_zero_check(struct folio *f)
{
	int v = 0;

	if (!folio_test_reserved(f) || f->order != HPAGE_PMD_ORDER)
		v += chk_viol(INV_REFCOUNT, "huge zero folio", "PG_reserved %d, order %u: no "
			      "longer the reserved PMD-sized folio", folio_test_reserved(f), f->order);
	if (atomic_load(&f->_entire_mapcount) != -1 || atomic_load(&f->_large_mapcount) != -1)
		v += chk_viol(INV_MAPCOUNT, "huge zero folio", "mapcounts entire %d, large %d: a "
			      "huge zero pmd was counted like a THP's",
			      atomic_load(&f->_entire_mapcount) + 1,
			      atomic_load(&f->_large_mapcount) + 1);
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
		struct folio *t = f + i;

		if (atomic_load(&t->value))
			v += chk_viol(INV_DATA, chk_objname("huge zero folio page %u", i),
				      "holds %#" PRIx64 ", not zero", (uint64_t)atomic_load(&t->value));
		if (atomic_load(&t->page._mapcount) != -1 || test_page_anon_exclusive(&t->page))
			v += chk_viol(INV_MAPCOUNT, chk_objname("huge zero folio page %u", i),
				      "mapcount %d%s", atomic_load(&t->page._mapcount) + 1,
				      test_page_anon_exclusive(&t->page) ? ", AnonExclusive" : "");
		if (i && atomic_load(&t->tail_off) != i)
			v += chk_viol(INV_BUG, chk_objname("huge zero folio page %u", i),
				      "tail_off %u", atomic_load(&t->tail_off));
	}
	return v;
}

/* every frame that can hold anything, then the zero page and the huge zero folio */
int chk_frames(struct census *c)
{
	struct world *w = the_world;
	int v = 0;

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
	v += folio_check(&w->folios[w->huge_zero_pfn], c);
	return v;
}

int check_folio(struct folio *folio)
{
	int v;

	if (!the_world || !folio)
		return 0;
	chk_begin();
	v = folio_check(folio, chk_census_quiet(true));
	chk_end();
	return v;
}
