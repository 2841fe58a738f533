// SPDX-License-Identifier: MIT
/*
 * leak.c - LEAK 13.2 (nothing allocated that no walk reaches) and 13.4
 * (an empty world once every process has exited); BUG 16.1 for a page
 * table reached twice; check_world_empty.
 *
 * 13.2 is judged only after every walk of the census has marked what it
 * reached, so it runs last in check_world.  13.1 (the pools) is part of
 * building the census, whose pool maps every other clause relies on.
 */
#include <inttypes.h>

#include "internal.h"

/* 13.2: nothing allocated that no walk can reach */
int chk_leaks(struct census *c)
{
	uint32_t dirs = 0;
	int v = 0, shared = 0;

	pm_for_each_live(&c->vma, i) {
		struct vm_area_struct *vma = pm_obj(&c->vma, i);

		if (!c->vma_seen[i])
			v += chk_viol(INV_LEAK, chk_vma_name(c, vma),
				      "allocated but on no live mm's VMA list");
	}
	pm_for_each_live(&c->avc, i) {
		struct anon_vma_chain *avc = pm_obj(&c->avc, i);

		if (!c->avc_vma[i] && !c->avc_head[i])
			v += chk_viol(INV_LEAK, chk_objname("avc %u", avc->id),
				      "allocated but on no VMA chain and no anon_vma list");
		else if (!c->avc_vma[i])
			v += chk_viol(INV_ANONVMA, chk_objname("avc %u", avc->id),
				      "on anon_vma %u's list but on no live VMA's chain",
				      c->avc_head[i]->id);
	}
	if (c->pgt_reached != c->pgt.nr_live)
		v += chk_viol(INV_LEAK, "pool pgtable", "%u page tables allocated but %" PRIu64
			      " reachable from live mms", c->pgt.nr_live, c->pgt_reached);
	/* 16.1: no table reached twice; each pud and pmd table owns one slot array */
	pm_for_each_live(&c->pgt, i) {
		struct pgtable *t = pm_obj(&c->pgt, i);
		uint32_t di;

		if (c->pgt_seen[i] > 1)
			v += chk_viol(INV_BUG, "pool pgtable", "page table %u is reachable %u times",
				      t->id, c->pgt_seen[i]);
		if (t->level <= 1)
			continue;
		dirs++;
		if (!pm_live(&c->pgdir, t->dir, &di))
			v += chk_viol(INV_LEAK, "pool pgdir", "level-%u table %u has no live slot array",
				      t->level, t->id);
		else if (++c->pgdir_seen[di] > 1)
			shared += chk_viol(INV_BUG, "pool pgdir",
					   "slot array %u is shared: table %u is its owner number %u",
					   di, t->id, c->pgdir_seen[di]);
	}
	v += shared;
	if (dirs != c->pgdir.nr_live)
		v += chk_viol(INV_LEAK, "pool pgdir", "%u slot arrays allocated for %u pud and pmd tables",
			      c->pgdir.nr_live, dirs);
	/*
	 * Distinct owners as many as the arrays leave none unowned; but the
	 * counts still agree when two tables share one array and another leaks
	 */
	if (shared) {
		pm_for_each_live(&c->pgdir, i) {
			if (!c->pgdir_seen[i])
				v += chk_viol(INV_LEAK, "pool pgdir",
					      "slot array %u is allocated but no table owns it", i);
		}
	}
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
		{ &w->pgdir_pool,	"pgdir",		0 },
		{ &w->mapping_pool,	"mapping",		w->memfd ? 1 : 0 },
		/* stale stable nodes stay until a search or a teardown finds them */
		{ &w->stable_node_pool,	"ksm_stable_node",	w->stable_node_pool.nr_used },
		/* khugepaged_reap has collected every exited mm's slot */
		{ &w->khugepaged_slot_pool, "khugepaged_mm_slot", 0 },
	};
	char obj[48];
	int v = 0;

	if (!w)
		return 0;
	chk_begin();
	c = chk_census_quiet(false);

	/* 13.4 */
	v += chk_ksm_empty(c);
	v += chk_pins_empty();
	for (unsigned i = 0; i < sizeof(pools) / sizeof(pools[0]); i++) {
		if (pools[i].p->nr_used == pools[i].allowed)
			continue;
		snprintf(obj, sizeof(obj), "pool %s", pools[i].name);
		v += chk_viol(INV_LEAK, obj,
			      "%u objects left after every process exited (%u expected)",
			      pools[i].p->nr_used, pools[i].allowed);
	}
	if (w->memfd && !pm_live(&c->map, w->memfd, NULL))
		v += chk_viol(INV_LEAK, "memfd", "the memfd is not a live mapping");
	for (int t = 0; t < (1 << MAX_SWAPFILES_SHIFT); t++) {
		const struct swap_info_struct *si = &w->swap_info[t];

		if (!(si->flags & SWP_USED))
			continue;
		snprintf(obj, sizeof(obj), "swap type %d", t);
		v += chk_viol(INV_LEAK, obj, "still on (inuse_pages %" PRIu64 ")", si->inuse_pages);
	}
	if (w->mmlist.next && !list_empty(&w->mmlist))
		v += chk_viol(INV_LEAK, "world", "mmlist is not empty");

	for (uint32_t pfn = 0; pfn < c->nr_frames; pfn++) {
		struct folio *f = &w->folios[pfn];
		int ref = folio_ref_count(f);

		if (ref == 0)
			continue;
		snprintf(obj, sizeof(obj), "folio pfn %u", pfn);
		if (w->memfd && f->mapping == (uintptr_t)w->memfd && fc_get(c, pfn)->pc == w->memfd) {
			/* the memfd outlives every process, as a real one would */
			if (ref != 1 || folio_mapcount(f) != 0)
				v += chk_viol(INV_LEAK, obj,
					      "memfd page (index %#" PRIx64 ") has refcount %d "
					      "mapcount %d with nothing mapping it", f->index, ref,
					      folio_mapcount(f));
			continue;
		}
		v += chk_viol(INV_LEAK, obj, "still allocated: refcount %d mapcount %d flags %#lx "
			      "mapping %#lx",
			      ref, folio_mapcount(f), (unsigned long)atomic_load(&f->flags),
			      (unsigned long)f->mapping);
	}
	v += chk_device_leaks(c);
	chk_end();
	return v;
}
