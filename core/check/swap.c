// SPDX-License-Identifier: MIT
/*
 * swap.c - SWAPMAP 4.1-4.5 and EXCLUSIVE 7.4: swap ptes against swap_map
 * and the swap cache, and the swap devices themselves; RMAP 5.5 for the
 * VMA a swap pte sits in; check_swap_info.
 *
 * The pte walk hands every non-present pte here first, because a swap pte
 * is counted against its slot on any used device, even one on a reserved
 * type (4.4 then reports the device); the walk takes back migration and
 * device-private entries.  check_swap_info compares each slot with those
 * counts.
 */
#include <inttypes.h>

#include "internal.h"

/*
 * A non-present pte: count it against its slot; false unless it is a
 * swap entry of a real type (4.3, 4.5, 5.5).
 */
bool chk_swap_pte(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr, pte_t pte)
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

	if (t >= MAX_SWAPFILES)
		return false;	/* a migration or device-private entry, or a marker */
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
	return true;
}

/* named only when something is wrong (a snprintf per check added up) */
#define OBJ	chk_objname("swap type %d", (int)t)
#define SOBJ	chk_objname("swap type %d slot %" PRIu64, (int)t, off)
int chk_swap(struct swap_info_struct *si, struct census *c)
{
	struct world *w = the_world;
	ptrdiff_t t = si - w->swap_info;
	uint64_t inuse = 0;
	int v = 0;

	if (t < 0 || t >= (1 << MAX_SWAPFILES_SHIFT))
		return chk_viol(INV_BUG, "swap device", "%p is not in swap_info[]", (void *)si);
	if (!(si->flags & SWP_USED))
		return 0;
	/* 4.4, 3.3 */
	if (si->type != t)
		v += chk_viol(INV_SWAPMAP, OBJ, "sits at swap_info[%d] but its type is %d", (int)t,
			      si->type);
	if (t >= MAX_SWAPFILES) {
		v += chk_viol(INV_SWAPMAP, OBJ, "reserved type %d indexes a swap device "
			      "(MAX_SWAPFILES is %d)", (int)t, MAX_SWAPFILES);
		v += chk_migration_swap_type((int)t);
	}
	if (t >= w->nr_swapfiles)
		v += chk_viol(INV_SWAPMAP, OBJ, "type %d at or beyond nr_swapfiles %d", (int)t,
			      w->nr_swapfiles);
	v += check_lock(&si->lock.li, OBJ, "si->lock");
	if (!si->max)
		return v;
	if (!si->swap_map || !si->cache)
		return v + chk_viol(INV_SWAPMAP, OBJ,
				    "used, %" PRIu64 " slots, but no swap_map/cache",
				    si->max);

	/* 4.3: slot 0 is the header */
	if ((si->swap_map[0] & SWAP_COUNT_MASK) != 0 && si->swap_map[0] != SWAP_MAP_BAD)
		v += chk_viol(INV_SWAPMAP, OBJ, "header slot 0 has count %#x", si->swap_map[0]);
	if ((si->swap_map[0] & SWAP_HAS_CACHE) || si->cache[0])
		v += chk_viol(INV_SWAPMAP, OBJ, "header slot 0 is in the swap cache");

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
			v += chk_viol(INV_SWAPMAP, SOBJ, "in use (map %#x%s) above highest_alloc %"
				      PRIu64, m, f ? ", cached" : "", si->highest_alloc);
		if (!(m & COUNT_CONTINUED) && (m & SWAP_COUNT_MASK) == n &&
		    !!(m & SWAP_HAS_CACHE) == !!f && !((c->swc[t][off] & SWC_EXCL) && n > 1) && !f)
			continue;	/* the common case, nothing to look at */
		/* 4.8: the digits of a continued count */
		if (m & COUNT_CONTINUED) {
			uint8_t d = m;
			int k = 0;

			for (; (d & COUNT_CONTINUED) && k < si->nr_cont; k++)
				d = si->cont[k][off];
			if (d & COUNT_CONTINUED)
				v += chk_viol(INV_SWAPMAP, SOBJ, "count continued past the %d "
					      "continuation pages", si->nr_cont);
			else if (k && !(d & SWAP_CONT_MAX))
				v += chk_viol(INV_SWAPMAP, SOBJ, "count continued into a top "
					      "digit of 0 (page %d)", k - 1);
		}
		/* 4.1 */
		if (swap_map_count(si, off) != n)
			v += chk_viol(INV_SWAPMAP, SOBJ, "count %" PRIu64 " (map %#x) but %u swap "
				      "ptes reference it", swap_map_count(si, off), m, n);
		/* 4.2 */
		if ((m & SWAP_HAS_CACHE) && !f)
			v += chk_viol(INV_SWAPMAP, SOBJ,
				      "SWAP_HAS_CACHE but no folio in the swap cache");
		if (!(m & SWAP_HAS_CACHE) && f)
			v += chk_viol(INV_SWAPMAP, SOBJ,
				      "folio in the swap cache but no SWAP_HAS_CACHE");
		if (f) {
			uint32_t pfn;

			if (!folio_in_range(c, f, &pfn))
				v += chk_viol(INV_SWAPMAP, SOBJ, "swap cache holds %p, not a frame",
					      (void *)f);
			else if (!folio_test_swapcache(f))
				v += chk_viol(INV_SWAPMAP, SOBJ,
					      "cached pfn %u is not PG_swapcache",
					      pfn);
			else if (f->private != swp_entry((unsigned)t, off).val)
				v += chk_viol(INV_SWAPMAP, SOBJ,
					      "cached pfn %u names type %u slot %" PRIu64,
					      pfn, swp_type(folio_swap_entry(f)),
					      swp_offset(folio_swap_entry(f)));
		}
		/* 7.4 */
		if ((c->swc[t][off] & SWC_EXCL) && n > 1)
			v += chk_viol(INV_EXCLUSIVE, SOBJ,
				      "a swap pte is marked exclusive but %u ptes "
				      "reference the slot", n);
	}
	if (inuse != si->inuse_pages)
		v += chk_viol(INV_SWAPMAP, OBJ,
			      "inuse_pages %" PRIu64 " but %" PRIu64 " slots in use",
			      si->inuse_pages, inuse);
	return v;
}
#undef OBJ
#undef SOBJ

int check_swap_info(struct swap_info_struct *si)
{
	int v;

	if (!the_world || !si)
		return 0;
	chk_begin();
	v = chk_swap(si, chk_census_quiet(true));
	chk_end();
	return v;
}
