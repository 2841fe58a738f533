// SPDX-License-Identifier: MIT
/*
 * pgtable.c - one mm: its VMAs, its page tables and every pte in them,
 * each pte judged against its VMA and the rmap.  MAPCOUNT 1.3, RMAP
 * 5.1-5.3, EXCLUSIVE 7.1, PROT 8.1 and 8.3, RSS 9.1, SWAPMAP 4.5 (the
 * mmlist), LEAK 13.2 for the mm itself, BUG 16.1 (VMA order and overlap,
 * map_count, table levels and nr_used); check_mm and check_vma.
 *
 * The pte walk is the checker's hot loop, every pte of every mm after
 * every operation, so it stays whole in this file where the compiler
 * inlines it into chk_mm.  Swap ptes go to swap.c and migration entries
 * to migration.c, whose clauses they are; a VMA's file and anon_vma sides
 * go to mapping.c and anon_vma.c.
 */
#include "mmt/huge_mm.h"
#include "internal.h"

/* ------------------------------------------------------------- the mms */

static const char *const rss_names[NR_MM_COUNTERS] = {
	[MM_FILEPAGES]	= "MM_FILEPAGES",
	[MM_ANONPAGES]	= "MM_ANONPAGES",
	[MM_SWAPENTS]	= "MM_SWAPENTS",
	[MM_SHMEMPAGES]	= "MM_SHMEMPAGES",
};

const char *chk_vma_name(const struct census *c, const struct vm_area_struct *vma)
{
	if (pm_live(&c->mm, vma->vm_mm, NULL))
		return chk_objname("mm %u vma [%#" PRIx64 ",%#" PRIx64 ")",
				   vma->vm_mm->id, vma->vm_start, vma->vm_end);
	return chk_objname("vma %u [%#" PRIx64 ",%#" PRIx64 ")", vma->id, vma->vm_start,
			   vma->vm_end);
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
void chk_rmap(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr,
	      struct folio *f, const char *what)
{
	chk_rmap_page(x, vma, addr, f, 0, what);
}

/* the same for page @pg_idx of folio @f (a large folio's page at @addr) */
void chk_rmap_page(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr,
		   struct folio *f, uint32_t pg_idx, const char *what)
{
	struct census *c = x->c;
	uint64_t idx = linear_page_index(vma, addr) - pg_idx;
	uint32_t ai, mi;

	if (folio_test_ksm(f)) {
		/*
		 * A KSM folio is found through its stable node's rmap_items,
		 * whose anon_vmas reach this VMA when it is the item's or was
		 * forked from it.  The kernel's walk is knowingly not exact
		 * (a COW-shared page merged from the child's side is missed
		 * in the parent until ksmd scans the parent's item), and
		 * migration and reclaim only trust folio_mapped() after it:
		 * what must hold is that the VMA is private (anonymous, or a
		 * file's COWed anon pages) with an anon_vma (KSM 10.2 checks
		 * the node).
		 */
		if ((vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) || !vma->anon_vma)
			PTE_VIOL(x, addr, INV_KSM,
				 "%s maps KSM pfn %u in a VMA that is shared or has no "
				 "anon_vma", what, f->pfn);
	} else if (folio_test_anon(f)) {
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
	struct folio *f, *pg;

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
	pg = &the_world->folios[pfn];		/* the page's frame */
	f = chk_page_folio(c, pg);		/* its folio */
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
	chk_rmap_page(x, vma, addr, f, (uint32_t)(pg - f), "pte");

	if (folio_test_anon(f) && w) {
		if (!test_page_anon_exclusive(&pg->page))
			PTE_VIOL(x, addr, INV_EXCLUSIVE,
				 "writable pte maps anon pfn %" PRIu64 ", not AnonExclusive",
				 pfn);
		/* 7.2/8.2 against the census in check_folio when there is one */
		if (!x->defer && page_mapcount(&pg->page) > 1) {
			PTE_VIOL(x, addr, INV_EXCLUSIVE,
				 "writable pte maps anon pfn %" PRIu64 " with mapcount %d", pfn,
				 page_mapcount(&pg->page));
			PTE_VIOL(x, addr, INV_PROT,
				 "COW-shared page writable: anon pfn %" PRIu64 " mapcount %d", pfn,
				 page_mapcount(&pg->page));
		}
	} else if (!folio_test_anon(f) && f->mapping && w && !(vma->vm_flags & VM_SHARED)) {
		/* 8.3: writing it would write through to the file: COW first */
		PTE_VIOL(x, addr, INV_PROT,
			 "page-cache pfn %" PRIu64 " is writable in a private mapping", pfn);
	}
}

/*
 * Not present: a swap entry (swap.c), a migration entry (migration.c), a
 * device-private entry (device.c) or a pte marker.
 */
static void nonpresent_pte(struct mm_ctx *x, struct vm_area_struct *vma, uint64_t addr, pte_t pte)
{
	swp_entry_t e = pte_to_swp_entry(pte);

	if (chk_swap_pte(x, vma, addr, pte))
		return;
	if (is_migration_entry(e)) {
		chk_migration_pte(x, vma, addr, e);
		return;
	}
	if (is_device_private_entry(e)) {
		chk_device_pte(x, vma, addr, e);
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
		nonpresent_pte(x, vma, addr, pte);
}

/*
 * A PMD migration entry exists only inside a migration (MIGRATION 3.1).
 * The huge zero pmd is read-only and special, in an anonymous VMA, and
 * counted nowhere (8.3, 1.3).
 * A huge pmd (mapping a PMD-sized folio whole): the folio is a live head of
 * HPAGE_PMD_ORDER (1.3), the VMA covers the whole range (5.1) and its rmap
 * reaches it (5.2, 5.3), writable only in a writable VMA (8.1) and then
 * over an AnonExclusive head (7.1); the table under it holds no pte
 * (16.1); the rss counts its 32 pages (9.1).  The census counts it on the
 * head frame, for 1.1, 2.1 and 7.2 in check_folio.
 */
static void huge_pmd(struct mm_ctx *x, struct pgtable *pt, uint64_t haddr)
{
	struct census *c = x->c;
	pmd_t pmd = pt->pmd;
	uint64_t pfn = pmd_pfn(pmd);
	struct vm_area_struct *vma;
	struct frame_census *fc;
	struct folio *f;

	if (is_pmd_migration_entry(pmd)) {
		/* 3.1 one level up: the head's one entry, its 32 pages in the rss */
		uint64_t off = swp_offset(pmd_to_swp_entry(pmd));

		PTE_VIOL(x, haddr, INV_MIGRATION, "PMD migration entry for pfn %" PRIu64
			 " at a quiescent point", off);
		if (off < c->nr_frames) {
			fc_at(c, (uint32_t)off)->migr++;
			x->rss[rss_class(c, &the_world->folios[off])] += HPAGE_PMD_NR;
		}
		return;
	}
	if (!pmd_trans_huge(pmd)) {
		PTE_VIOL(x, haddr, INV_BUG, "pmd %#" PRIx64 " is neither none nor a huge leaf",
			 pmd_val(pmd));
		return;
	}
	if (pt->nr_used)
		PTE_VIOL(x, haddr, INV_BUG, "huge pmd over a pte table with %u ptes in use",
			 pt->nr_used);
	if (pfn == c->huge_zero_pfn) {
		/* 8.3, 1.3 one level up: read-only, special, in an anon VMA; counted nowhere */
		vma = ctx_vma(x, haddr);
		if (pmd_write(pmd))
			PTE_VIOL(x, haddr, INV_PROT, "the huge zero folio is mapped writable");
		if (!pmd_special(pmd))
			PTE_VIOL(x, haddr, INV_MAPCOUNT, "huge zero pmd without the special bit "
				 "(vm_normal_page_pmd would take it for a THP)");
		if (!vma || vma->vm_end < haddr + HPAGE_PMD_NR || !vma_is_anonymous(vma))
			PTE_VIOL(x, haddr, INV_RMAP, "huge zero pmd %s", !vma ? "outside any VMA" :
				 vma->vm_end < haddr + HPAGE_PMD_NR ? "across the end of its VMA" :
				 "in a VMA that is not anonymous");
		return;
	}
	if (pmd_special(pmd)) {
		PTE_VIOL(x, haddr, INV_MAPCOUNT, "special huge pmd maps pfn %" PRIu64 ", which is "
			 "not the huge zero folio (pfn %" PRIu64 ")", pfn, c->huge_zero_pfn);
		return;
	}
	if (pfn >= c->nr_frames || (pfn & (HPAGE_PMD_NR - 1))) {
		PTE_VIOL(x, haddr, INV_MAPCOUNT, "huge pmd maps pfn %" PRIu64 ", no aligned frame "
			 "run of the world", pfn);
		return;
	}
	f = &the_world->folios[pfn];
	if (f->tail_off || f->order != HPAGE_PMD_ORDER || folio_ref_count(f) <= 0) {
		PTE_VIOL(x, haddr, INV_MAPCOUNT, "huge pmd maps pfn %" PRIu64 ", which is no live "
			 "folio of order %d (order %u, refcount %d)", pfn, HPAGE_PMD_ORDER,
			 f->order, folio_ref_count(f));
		return;
	}
	fc = fc_at(c, (uint32_t)pfn);
	fc->pmds++;
	if (pmd_write(pmd))
		fc->pmd_writers++;
	x->rss[rss_class(c, f)] += HPAGE_PMD_NR;

	vma = ctx_vma(x, haddr);
	if (!vma || vma->vm_end < haddr + HPAGE_PMD_NR) {
		PTE_VIOL(x, haddr, INV_RMAP, "huge pmd maps pfn %" PRIu64 " across %s", pfn,
			 vma ? "the end of its VMA" : "no VMA");
		return;
	}
	if (pmd_write(pmd) && !(vma->vm_flags & VM_WRITE))
		PTE_VIOL(x, haddr, INV_PROT, "writable huge pmd (pfn %" PRIu64 ") in VMA [%#" PRIx64
			 ",%#" PRIx64 ") without VM_WRITE", pfn, vma->vm_start, vma->vm_end);
	chk_rmap_page(x, vma, haddr, f, 0, "huge pmd");
	if (!folio_test_anon(f))
		PTE_VIOL(x, haddr, INV_RMAP, "huge pmd maps pfn %" PRIu64 ", not anonymous", pfn);
	else if (pmd_write(pmd) && !test_page_anon_exclusive(&f->page))
		PTE_VIOL(x, haddr, INV_EXCLUSIVE, "writable huge pmd maps anon pfn %" PRIu64
			 ", whose head is not AnonExclusive", pfn);
}

/* 16.1: a table's nr_used is what the full scan counted */
#define nr_used_check(x, t, seen, what)						\
	((seen) != (t)->nr_used ?						\
	 chk_viol(INV_BUG, chk_objname("mm %u", (x)->mm->id),			\
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
 * The first non-NULL slot of directory @dir (the pgd, or a pud or pmd
 * table's slots) at or after @j, or PTRS_PER_PUD: eight slots (a cache
 * line) per OR while they are empty.
 */
static int dir_next(struct pgtable *const *dir, int j)
{
	static_assert(PTRS_PER_PGD == PTRS_PER_PUD && PTRS_PER_PUD == PTRS_PER_PMD &&
		      PTRS_PER_PUD % 8 == 0, "directories are scanned 8 slots at a time");
	while (j < PTRS_PER_PUD) {
		if (!(j & 7)) {
			uintptr_t any = 0;

			for (int k = 0; k < 8; k++)
				any |= (uintptr_t)dir[j + k];
			if (!any) {
				j += 8;
				continue;
			}
		}
		if (dir[j])
			return j;
		j++;
	}
	return PTRS_PER_PUD;
}

/* a pud or pmd table's slot array must be a live object of the pgdir pool */
static bool dir_ok(const struct pgtable *t)
{
	return pool_owns(&the_world->pgdir_pool, t->dir);
}

/*
 * BUG: walk the page tables of @mm, checking levels, counting every table
 * reached (13.2) and feeding every non-none pte to pte_one in address order.
 */
#define OBJ	chk_objname("mm %u", mm->id)
static void mm_walk(struct mm_ctx *x)
{
	struct census *c = x->c;
	struct mm_struct *mm = x->mm;
	bool bounded = c->bounded;
	uint32_t ti;

	for (int i = 0; (i = dir_next(mm->pgd, i)) < PTRS_PER_PGD; i++) {
		struct pgtable *pud = mm->pgd[i];
		unsigned nu = 0;

		if (!pm_live(&c->pgt, pud, &ti) || pud->level != 3 || !dir_ok(pud)) {
			x->v += chk_viol(INV_BUG, OBJ,
					 "pgd[%d] is not a live pud table with its slot array", i);
			continue;
		}
		c->pgt_seen[ti]++;
		c->pgt_reached++;
		/* bounded: stop once nr_used entries were seen, before scanning on */
		for (int j = 0; !(bounded && nu >= pud->nr_used) &&
		     (j = dir_next(pud->dir, j)) < PTRS_PER_PUD; j++) {
			struct pgtable *pmd = pud->dir[j];
			unsigned nd = 0;

			nu++;
			if (!pm_live(&c->pgt, pmd, &ti) || pmd->level != 2 || !dir_ok(pmd)) {
				x->v += chk_viol(INV_BUG, OBJ,
						 "pud[%d][%d] is not a live pmd table with its slot array",
						 i, j);
				continue;
			}
			c->pgt_seen[ti]++;
			c->pgt_reached++;
			for (int k = 0; !(bounded && nd >= pmd->nr_used) &&
			     (k = dir_next(pmd->dir, k)) < PTRS_PER_PMD; k++) {
				struct pgtable *pt = pmd->dir[k];

				nd++;
				if (!pm_live(&c->pgt, pt, &ti) || pt->level != 1) {
					x->v += chk_viol(INV_BUG, OBJ,
							 "pmd[%d][%d][%d] is not a live pte table",
							 i, j, k);
					continue;
				}
				c->pgt_seen[ti]++;
				c->pgt_reached++;
				x->v += check_lock(&pt->ptl.li, OBJ, "a pte table lock");
				if (!pmd_none(pt->pmd))
					huge_pmd(x, pt, ((uint64_t)i << PGDIR_SHIFT) |
						 ((uint64_t)j << PUD_SHIFT) | ((uint64_t)k << PMD_SHIFT));
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
#define OBJ	chk_objname("mm %u", mm->id)
#define VOBJ	chk_vma_name(c, vma)
int chk_mm(struct mm_struct *mm, struct census *c, bool defer)
{
	struct mm_ctx x = { .c = c, .mm = mm, .defer = defer, .vmas_ok = true };
	struct list_head *e;
	uint64_t prev_end = 0;
	int count = 0;
	uint32_t vi;

	if (!pm_live(&c->mm, mm, NULL))
		x.v += chk_viol(INV_BUG, OBJ, "the mm is not a live object of the mm pool");

	for (e = mm->mmap.next; e != &mm->mmap; e = e->next) {
		struct vm_area_struct *vma = entry_or_null(e, struct vm_area_struct, vm_list);

		if (!pm_live(&c->vma, vma, &vi)) {
			x.v += chk_viol(INV_BUG, OBJ,
					"VMA list holds %p, not a live VMA", (void *)vma);
			x.vmas_ok = false;
			break;
		}
		if (c->vma_seen[vi]++) {
			x.v += chk_viol(INV_BUG, OBJ,
					"VMA %u is on an mm list twice (or the list loops)",
					vma->id);
			x.vmas_ok = false;
			break;
		}
		count++;
		if (vma->vm_mm != mm)
			x.v += chk_viol(INV_BUG, VOBJ, "on mm %u's list but vm_mm is %p", mm->id,
					(void *)vma->vm_mm);
		if (vma->vm_start < prev_end) {
			x.v += chk_viol(INV_BUG, VOBJ,
					"overlaps or precedes the VMA before it (ending %#"
					PRIx64 ")", prev_end);
			x.vmas_ok = false;	/* the pte cursor relies on the order */
		}
		if (vma->vm_end > prev_end)
			prev_end = vma->vm_end;
		x.v += vma_check(vma, c);
	}
	if (x.vmas_ok && count != mm->map_count)
		x.v += chk_viol(INV_BUG, OBJ, "map_count %d but %d VMAs on the list",
				mm->map_count, count);

	mm_walk(&x);

	/* 9.1 */
	for (int i = 0; i < NR_MM_COUNTERS; i++) {
		long have = get_mm_counter(mm, i);

		if (have != x.rss[i])
			x.v += chk_viol(INV_RSS, OBJ,
					"%s is %ld but %ld of its entries count in it",
					rss_names[i], have, x.rss[i]);
	}
	/* 4.5: swapoff finds the ptes it must bring back through the mmlist */
	if (x.rss[MM_SWAPENTS] && !on_mmlist(mm))
		x.v += chk_viol(INV_SWAPMAP, OBJ, "%ld swap ptes but the mm is not on the mmlist",
				x.rss[MM_SWAPENTS]);

	/*
	 * 13.2: the process is the only user between operations; an exited
	 * mm lives on only while a KSM or khugepaged mm_slot holds it
	 * (mm_count) for ksmd or khugepaged to let go of
	 */
	if (mm->dead) {
		if ((!mm->ksm_slot && !mm->khugepaged_slot) || atomic_load(&mm->mm_users) != 0)
			x.v += chk_viol(INV_LEAK, OBJ, "exit_mmap has run but the mm is still "
					"allocated (mm_users %d, %s KSM mm_slot, %s khugepaged "
					"mm_slot)", atomic_load(&mm->mm_users),
					mm->ksm_slot ? "a" : "no", mm->khugepaged_slot ? "a" : "no");
	} else if (atomic_load(&mm->mm_users) != 1) {
		x.v += chk_viol(INV_LEAK, OBJ,
				"mm_users %d at a quiescent point (the process is the "
				"only user)", atomic_load(&mm->mm_users));
	}

	x.v += check_lock(&mm->mmap_lock.li, OBJ, "mmap_lock");
	x.v += check_lock(&mm->page_table_lock.li, OBJ, "page_table_lock");
	return x.v;
}
#undef OBJ
#undef VOBJ

/* 5.4, 6.3, 6.4, 8.1, BUG range: one VMA.  Marks the census. */
#define OBJ	chk_vma_name(c, vma)
static int vma_check(struct vm_area_struct *vma, struct census *c)
{
	uint32_t vi = 0;
	int v = 0;

	pool_idx(c->vma.p, vma, &vi);

	if (!(vma->vm_start < vma->vm_end && vma->vm_end <= MMT_TASK_SIZE))
		v += chk_viol(INV_BUG, OBJ, "bad range: need vm_start < vm_end <= %#llx",
			      (unsigned long long)MMT_TASK_SIZE);
	if ((vma->vm_flags & VM_WRITE) && !(vma->vm_flags & VM_MAYWRITE))
		v += chk_viol(INV_PROT, OBJ, "VM_WRITE without VM_MAYWRITE (flags %#lx)",
			      vma->vm_flags);

	v += chk_vma_file(vma, c, vi);
	v += chk_vma_anon(vma, c);
	return v;
}
#undef OBJ

int check_mm(struct mm_struct *mm)
{
	int v;

	if (!the_world || !mm)
		return 0;
	chk_begin();
	/* no per-frame pass follows: check "mapped once" against _mapcount */
	v = chk_mm(mm, chk_census_quiet(false), false);
	chk_end();
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
	chk_begin();
	c = chk_census_quiet(false);
	if (!pm_live(&c->vma, vma, NULL)) {
		v = chk_viol(INV_BUG, "vma", "%p is not a live VMA", (void *)vma);
		goto out;
	}
	v = vma_check(vma, c);
	if (!pm_live(&c->mm, vma->vm_mm, NULL)) {
		v += chk_viol(INV_BUG, chk_vma_name(c, vma), "vm_mm %p is not a live mm",
			      (void *)vma->vm_mm);
		goto out;
	}
	for (e = vma->vm_mm->mmap.next; e && e != &vma->vm_mm->mmap && n++ <= c->vma.p->cap;
	     e = e->next)
		if (e == &vma->vm_list)
			found = true;
	if (!found)
		v += chk_viol(INV_BUG, chk_vma_name(c, vma), "not on its mm's VMA list");
out:
	chk_end();
	return v;
}
