// SPDX-License-Identifier: MIT
/*
 * pgtable.c - four-level page tables: allocation, walks, the split pte lock.
 *
 *   page number:  31..23  22..14  13..5  4..0
 *                  pgd     pud     pmd    pte
 *
 * (mm.h draws the scaled geometry: a pte table maps 32 pages.)
 *
 * Upper levels are populated under mm->page_table_lock and never freed
 * before exit, so a walker that found a pte table may drop every lock and
 * come back to it; each pte table carries its own lock (the kernel's split
 * ptlock), which is what serialises changes to its entries.
 */
#include <stddef.h>

#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/world.h"
#include "internal.h"

static inline unsigned pgd_index(uint64_t a) { return (unsigned)(a >> PGDIR_SHIFT) & (PTRS_PER_PGD - 1); }
static inline unsigned pud_index(uint64_t a) { return (unsigned)(a >> PUD_SHIFT) & (PTRS_PER_PUD - 1); }
static inline unsigned pmd_index(uint64_t a) { return (unsigned)(a >> PMD_SHIFT) & (PTRS_PER_PMD - 1); }
static inline unsigned pte_index(uint64_t a) { return (unsigned)a & (PTRS_PER_PTE - 1); }

/*
 * A zeroed table of @level; a pud or pmd table (level 3, 2) comes with its
 * slot array from the pgdir pool, in the same pool-lock section.  NULL when
 * a pool is exhausted: the caller's -ENOMEM, as a failed __pte_alloc.  No
 * locks needed (the pool takes its own).
 */
static struct pgtable *pgtable_alloc(int level)
{
	struct world *w = the_world;
	struct pgtable *t;
	void *dir = NULL;

	if (level == 1)
		t = pool_alloc(&w->pgtable_pool);
	else
		t = pool_alloc_pair(&w->pgtable_pool, &w->pgdir_pool, &dir);
	if (!t)
		return NULL;
	t->id = pool_index(&w->pgtable_pool, t);
	t->level = (uint8_t)level;
	if (level == 1)
		spin_lock_init(&t->ptl, LC_PTL);
	else
		t->dir = dir;
	return t;
}

/* Free an unpublished or dead table (and its slot array); no locks needed. */
static void pgtable_free(struct pgtable *t)
{
	struct world *w = the_world;

	if (t->level == 1) {
		spin_lock_destroy(&t->ptl);
		pool_free(&w->pgtable_pool, t);
	} else {
		pool_free_pair(&w->pgtable_pool, t, &w->pgdir_pool, t->dir);
	}
}

/*
 * Find (and with @alloc, create) the pte table covering @addr.  Populating
 * an upper level takes mm->page_table_lock; the lockless read that finds a
 * level already there is safe because levels are only freed at exit.
 */
static struct pgtable *pte_table(struct mm_struct *mm, uint64_t addr, bool alloc)
{
	struct pgtable **slot = &mm->pgd[pgd_index(addr)], *parent = NULL;
	unsigned idx[2] = { pud_index(addr), pmd_index(addr) };

	if (addr >= MMT_TASK_SIZE)
		return NULL;
	for (int level = 3; level >= 1; level--) {
		struct pgtable *t = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

		if (!t) {
			struct pgtable *n;

			if (!alloc)
				return NULL;
			n = pgtable_alloc(level);
			if (!n)
				return NULL;
			if (level == 1) {
				n->pt_mm = mm;
				n->pt_base = addr & ~(uint64_t)(PTRS_PER_PTE - 1);
			}
			spin_lock(&mm->page_table_lock);
			t = *slot;
			if (!t) {
				__atomic_store_n(slot, n, __ATOMIC_RELEASE);
				t = n;
				n = NULL;
				if (parent)
					parent->nr_used++;
			}
			spin_unlock(&mm->page_table_lock);
			if (n)
				pgtable_free(n);
		}
		if (level == 1)
			return t;
		parent = t;
		slot = &t->dir[idx[3 - level]];
	}
	return NULL;
}

/*
 * The pte slot with the ptl held, or NULL when a huge pmd (or a PMD
 * migration entry) maps the range: the leaf is read under the same lock
 * that installs it (pmd_lock), so the answer holds until the caller unlocks.
 */
static pte_t *pte_map_lock(struct pgtable *t, uint64_t addr, spinlock_t **ptlp)
{
	spin_lock(&t->ptl);
	if (pmd_is_huge(pmdp_get(&t->pmd))) {
		spin_unlock(&t->ptl);
		return NULL;
	}
	*ptlp = &t->ptl;
	return &t->pte[pte_index(addr)];
}

pte_t *pte_offset_map_lock(struct mm_struct *mm, uint64_t addr, spinlock_t **ptlp)
{
	struct pgtable *t = pte_table(mm, addr, false);

	return t ? pte_map_lock(t, addr, ptlp) : NULL;
}

/*
 * Unlocked: its one caller (mremap's destination) holds mmap_lock for
 * write, so no fault can install a huge pmd behind the check.
 */
pte_t *pte_alloc_map_nolock(struct mm_struct *mm, uint64_t addr, spinlock_t **ptlp)
{
	struct pgtable *t = pte_table(mm, addr, true);

	if (!t || pmd_is_huge(pmdp_get_lockless(&t->pmd)))
		return NULL;
	*ptlp = &t->ptl;
	return &t->pte[pte_index(addr)];
}

pte_t *pte_alloc_map_lock(struct mm_struct *mm, uint64_t addr, spinlock_t **ptlp)
{
	struct pgtable *t = pte_table(mm, addr, true);

	return t ? pte_map_lock(t, addr, ptlp) : NULL;
}

/* mmt_set_pte's and set_pmd_at's part of folio->nr_migration_entries */
static void count_migration_entry(pte_t pte, int delta)
{
	swp_entry_t entry;
	struct folio *f;

	if (!is_swap_pte(pte))
		return;
	entry = pte_to_swp_entry(pte);
	if (!is_migration_entry(entry))
		return;
	f = pfn_folio(swp_offset_pfn(entry));
	if (f)
		atomic_fetch_add_explicit(&f->nr_migration_entries, delta, memory_order_relaxed);
}

/* ------------------------------------------------------------ the pmd level */

static struct pgtable *pmd_owner(pmd_t *pmdp)
{
	return container_of(pmdp, struct pgtable, pmd);
}

pte_t *pte_offset_map_lock_pmd(pmd_t *pmdp, uint64_t addr, spinlock_t **ptlp)
{
	return pte_map_lock(pmd_owner(pmdp), addr, ptlp);
}

pmd_t *pmd_offset(struct mm_struct *mm, uint64_t addr)
{
	struct pgtable *t = pte_table(mm, addr, false);

	return t ? &t->pmd : NULL;
}

pmd_t *pmd_alloc(struct mm_struct *mm, uint64_t addr)
{
	struct pgtable *t = pte_table(mm, addr, true);

	return t ? &t->pmd : NULL;
}

spinlock_t *pmd_lockptr(pmd_t *pmdp)
{
	return &pmd_owner(pmdp)->ptl;
}

pte_t *pmd_pgtable(pmd_t *pmdp)
{
	return pmd_owner(pmdp)->pte;
}

bool pmd_table_empty(pmd_t *pmdp)
{
	return pmd_owner(pmdp)->nr_used == 0;
}

void set_pmd_at(struct mm_struct *mm, uint64_t haddr, pmd_t *pmdp, pmd_t pmd)
{
	struct pgtable *t = pmd_owner(pmdp);

	VM_BUG_ON(!spin_is_locked(&t->ptl), INV_BUG, "mm %u pmd %#llx set without its lock",
		  mm->id, (unsigned long long)haddr);
	VM_BUG_ON(!pmd_none(pmd) && t->nr_used, INV_BUG,
		  "mm %u: huge pmd %#llx installed over a table with %u ptes", mm->id,
		  (unsigned long long)haddr, t->nr_used);
	kp_access(pmdp, KP_F_PTE, true);
	/* a PMD migration entry is one entry naming the head's pfn */
	count_migration_entry(__pte(pmd_val(*pmdp)), -1);
	count_migration_entry(__pte(pmd_val(pmd)), 1);
	__atomic_store_n(&pmdp->pmd, pmd.pmd, __ATOMIC_RELAXED);	/* WRITE_ONCE */
}

/*
 * The table @ptep lies in: the pte array is the first member of struct
 * pgtable, and every table is an object of the pgtable pool.
 */
static struct pgtable *pte_owner(const pte_t *ptep)
{
	const struct pool *p = &the_world->pgtable_pool;
	const char *a = (const char *)ptep;

	if (a < p->base || a >= p->base + (size_t)p->cap * p->objsize)
		return NULL;
	return (struct pgtable *)(p->base + (size_t)(a - p->base) / p->objsize * p->objsize);
}

void mmt_set_pte(pte_t *ptep, pte_t pte)
{
	struct pgtable *t = pte_owner(ptep);

	kp_access(ptep, KP_F_PTE, true);
	count_migration_entry(*ptep, -1);
	count_migration_entry(pte, 1);

	if (t && pte_none(*ptep) != pte_none(pte)) {
		if (pte_none(pte))
			t->nr_used--;
		else
			t->nr_used++;
	}
	/* WRITE_ONCE: a walk without PVMW_SYNC reads ptes without the ptl */
	__atomic_store_n(&ptep->pte, pte.pte, __ATOMIC_RELAXED);
}

void pte_unmap_unlock(spinlock_t *ptl)
{
	spin_unlock(ptl);
}

pte_t *mmt_pte_peek(struct mm_struct *mm, uint64_t addr)
{
	struct pgtable *t = pte_table(mm, addr, false);

	return t ? &t->pte[pte_index(addr)] : NULL;
}

/* every pte table of @mm, in address order, with the first page it maps */
static void for_each_pte_table(struct mm_struct *mm,
			       void (*fn)(struct mm_struct *mm, struct pgtable *pt, uint64_t base,
					  void *arg),
			       void *arg)
{
	for (unsigned g = 0; g < PTRS_PER_PGD; g++) {
		struct pgtable *pud = mm->pgd[g];

		if (!pud)
			continue;
		for (unsigned u = 0; u < PTRS_PER_PUD; u++) {
			struct pgtable *pmd = pud->dir[u];

			if (!pmd)
				continue;
			for (unsigned d = 0; d < PTRS_PER_PMD; d++)
				if (pmd->dir[d])
					fn(mm, pmd->dir[d], ((uint64_t)g << PGDIR_SHIFT) |
					   ((uint64_t)u << PUD_SHIFT) | ((uint64_t)d << PMD_SHIFT), arg);
		}
	}
}

struct pte_visit {
	void (*pte)(struct mm_struct *mm, uint64_t addr, pte_t *pte, void *arg);
	void (*pmd)(struct mm_struct *mm, uint64_t haddr, pmd_t *pmd, void *arg);
	void *arg;
};

static void visit_ptes(struct mm_struct *mm, struct pgtable *pt, uint64_t base, void *arg)
{
	struct pte_visit *v = arg;

	for (unsigned i = 0; i < PTRS_PER_PTE; i++)
		if (!pte_none(pt->pte[i]))
			v->pte(mm, base + i, &pt->pte[i], v->arg);
}

static void visit_pmd(struct mm_struct *mm, struct pgtable *pt, uint64_t base, void *arg)
{
	struct pte_visit *v = arg;

	if (!pmd_none(pt->pmd))
		v->pmd(mm, base, &pt->pmd, v->arg);
}

void mmt_for_each_pte(struct mm_struct *mm,
		      void (*fn)(struct mm_struct *mm, uint64_t addr, pte_t *pte, void *arg),
		      void *arg)
{
	struct pte_visit v = { .pte = fn, .arg = arg };

	for_each_pte_table(mm, visit_ptes, &v);
}

void mmt_for_each_pmd_leaf(struct mm_struct *mm,
			   void (*fn)(struct mm_struct *mm, uint64_t haddr, pmd_t *pmd, void *arg),
			   void *arg)
{
	struct pte_visit v = { .pmd = fn, .arg = arg };

	for_each_pte_table(mm, visit_pmd, &v);
}

/*
 * free_pgtables - release every table of a dead mm.  Every pte must already
 * be none (exit_mmap zapped them): a leftover entry is a leaked reference.
 */
void free_pgtables(struct mm_struct *mm)
{
	for (unsigned g = 0; g < PTRS_PER_PGD; g++) {
		struct pgtable *pud = mm->pgd[g];

		if (!pud)
			continue;
		/*
		 * nr_used bounds the directory scans: a table it missed would
		 * stay allocated, and the LEAK check counts the pool.
		 */
		for (unsigned u = 0, nu = 0; u < PTRS_PER_PUD && nu < pud->nr_used; u++) {
			struct pgtable *pmd = pud->dir[u];

			if (!pmd)
				continue;
			nu++;
			for (unsigned d = 0, nd = 0; d < PTRS_PER_PMD && nd < pmd->nr_used; d++) {
				struct pgtable *pt = pmd->dir[d];

				if (!pt)
					continue;
				nd++;
				VM_BUG_ON(!pmd_none(pt->pmd), INV_LEAK, "mm %u: huge pmd %#llx left at exit",
					  mm->id, (unsigned long long)pmd_val(pt->pmd));
				/* every entry, not nr_used: a leftover is a leaked reference */
				for (unsigned i = 0; i < PTRS_PER_PTE; i += 8) {
					uint64_t any = 0;

					for (unsigned k = 0; k < 8; k++)
						any |= pte_val(pt->pte[i + k]);
					if (!any)
						continue;
					for (unsigned k = 0; k < 8; k++)
						VM_BUG_ON(!pte_none(pt->pte[i + k]), INV_LEAK,
							  "mm %u: pte %#llx left at exit", mm->id,
							  (unsigned long long)pte_val(pt->pte[i + k]));
				}
				pgtable_free(pt);
			}
			pgtable_free(pmd);
		}
		pgtable_free(pud);
		mm->pgd[g] = NULL;
	}
}
