// SPDX-License-Identifier: MIT
/*
 * pin.c - the PIN invariant (17.x) over the world's long-term GUP pins
 * (gup.h), the pins' share of REFCOUNT (2.1 counts them, census), and
 * their LEAK clause.
 *
 * What a pin promises its pinner (the device and the process see one
 * page): while the pinner has not unmapped the page itself, its pte at
 * the pinned address maps the pinned frame, so nothing -- a COW fault
 * after fork, reclaim, migration, KSM -- replaced the page under the pin;
 * and an anonymous pinned page the pinner maps is exclusive to it, since
 * anything else would let a COW fault move one side away from the other.
 */
#include <inttypes.h>

#include "mmt/gup.h"
#include "mmt/huge_mm.h"
#include "internal.h"

/* the frame a pin names, or UINT32_MAX if it names none of the world's */
static uint32_t pin_pfn(const struct gup_pin *p)
{
	const struct world *w = the_world;
	uintptr_t frame = (uintptr_t)p->page - offsetof(struct folio, page);
	uintptr_t off = frame - (uintptr_t)w->folios;
	uint32_t pfn;

	if (frame < (uintptr_t)w->folios || off % sizeof(struct folio) ||
	    off / sizeof(struct folio) >= w->nr_frames)
		return UINT32_MAX;
	pfn = (uint32_t)(off / sizeof(struct folio));
	/* the pin's folio is the page's */
	if (&w->folios[pfn] - w->folios[pfn].tail_off != p->folio)
		return UINT32_MAX;
	return pfn;
}

/* census: each pin's frame, for 2.1 (census.c calls it before the mm walk) */
int chk_pins_census(struct census *c)
{
	const struct gup_pins *pins = &the_world->pins;
	uint32_t used = 0;
	int v = 0;

	for (int i = 0; i < MMT_MAX_PINS; i++) {
		const struct gup_pin *p = &pins->pin[i];
		uint32_t pfn;

		if (!p->mm)
			continue;
		used++;
		pfn = pin_pfn(p);
		/* 17.1 */
		if (pfn == UINT32_MAX) {
			v += chk_viol(INV_PIN, chk_objname("pin %d", i),
				      "names page %p of folio %p, which is no page of the world "
				      "in that folio", (void *)p->page, (void *)p->folio);
			continue;
		}
		fc_at(c, pfn)->pins++;
	}
	/* 17.1 */
	if (used != pins->nr)
		v += chk_viol(INV_PIN, "pin table", "%u pins counted but %u slots in use",
			      pins->nr, used);
	return v;
}

int chk_pins(struct census *c)
{
	const struct gup_pins *pins = &the_world->pins;
	int v = 0;

	for (int i = 0; i < MMT_MAX_PINS; i++) {
		const struct gup_pin *p = &pins->pin[i];
		const struct frame_census *fc, *hc = NULL;
		struct folio *f;
		uint32_t pfn;
		pmd_t *pmdp;
		pte_t *ptep;
		pte_t pte;

#define OBJ chk_objname("pin of mm %u at %#" PRIx64 " (pfn %u)", p->mm->id, p->uaddr, pfn)
		if (!p->mm)
			continue;
		pfn = pin_pfn(p);
		if (pfn == UINT32_MAX)
			continue;	/* reported by the census */
		/* 17.1 */
		if (!pm_live(&c->mm, p->mm, NULL)) {
			v += chk_viol(INV_PIN, chk_objname("pin %d", i),
				      "its pinner %p is no live mm", (void *)p->mm);
			continue;
		}
		f = &the_world->folios[pfn];	/* the page's frame; p->folio its folio */
		fc = fc_get(c, pfn);
		if (!atomic_load(&p->mm->has_pinned))
			v += chk_viol(INV_PIN, OBJ, "the pinner lacks MMF_HAS_PINNED: fork would "
				      "not look for pins");
		if (!folio_test_large(p->folio) &&
		    folio_ref_count(f) < (int)fc->pins * GUP_PIN_COUNTING_BIAS)
			v += chk_viol(INV_PIN, OBJ, "refcount %d below %u pins' bias",
				      folio_ref_count(f), fc->pins);
		if (folio_test_large(p->folio) && atomic_load(&p->folio->_pincount) <= 0)
			v += chk_viol(INV_PIN, OBJ, "large folio pinned with _pincount %d",
				      atomic_load(&p->folio->_pincount));
		if (p->mm->dead || !p->mapped)
			continue;
		/* 17.2 */
		ptep = mmt_pte_peek(p->mm, p->addr);
		pte = ptep ? *ptep : (pte_t){ 0 };
		pmdp = pmd_offset(p->mm, p->addr);
		if (pte_none(pte) && pmdp && pmd_trans_huge(*pmdp)) {
			/* through a huge pmd: the page of the folio at that offset */
			pte = pfn_pte(pmd_pfn(*pmdp) + (p->addr & (HPAGE_PMD_NR - 1)), pmd_write(*pmdp));
			hc = fc_get(c, (uint32_t)pmd_pfn(*pmdp));
		}
		if (!pte_present(pte) || pte_special(pte) || pte_pfn(pte) != pfn) {
			v += chk_viol(INV_PIN, OBJ, "the pinner, which never unmapped it, maps %s "
				      "at %#" PRIx64 ": the page was replaced under the pin",
				      pte_none(pte) ? "nothing" :
				      !pte_present(pte) ? "a swap or migration entry" :
				      "another page", p->addr);
			continue;
		}
		/* 17.3 */
		if (folio_test_anon(p->folio) && !folio_test_ksm(p->folio) &&
		    (!test_page_anon_exclusive(hc ? &p->folio->page : &f->page) ||
		     fc->ptes + fc->dev + (hc ? hc->pmds : 0) != 1))
			v += chk_viol(INV_PIN, OBJ, "pinned anon page is %s and mapped %u times: "
				      "a COW fault can move its pinner away from it",
				      test_page_anon_exclusive(hc ? &p->folio->page : &f->page) ? "exclusive" :
				      "not AnonExclusive", fc->ptes + fc->dev + (hc ? hc->pmds : 0));
#undef OBJ
	}
	return v;
}

/* 13.4 with pins: nothing stays pinned once every process has gone */
int chk_pins_empty(void)
{
	const struct gup_pins *pins = &the_world->pins;

	if (!pins->nr)
		return 0;
	return chk_viol(INV_LEAK, "pin table", "%u pins left with no process", pins->nr);
}
