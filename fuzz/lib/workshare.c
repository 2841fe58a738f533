// SPDX-License-Identifier: MIT
/*
 * workshare.c - the share of ops that do something (workshare.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/exec.h"
#include "mmt/folio.h"
#include "mmt/list.h"
#include "mmt/mm.h"
#include "mmt/prng.h"
#include "mmt/workshare.h"
#include "mmt/world.h"

static uint64_t mix(uint64_t h, uint64_t v)
{
	uint64_t s = h ^ v;

	return mmt_splitmix64(&s);
}

struct digest {
	uint64_t h;
	bool large;		/* a pte maps a page of a large folio */
};

static void pte_digest(struct mm_struct *mm, uint64_t addr, pte_t *ptep, void *arg)
{
	struct digest *d = arg;
	pte_t pte = *ptep;

	(void)mm;
	d->h = mix(mix(d->h, addr), pte_val(pte));
	if (pte_present(pte)) {
		struct folio *folio = pfn_folio(pte_pfn(pte));

		if (folio) {
			unsigned order = page_folio(pfn_to_page(pte_pfn(pte)))->order;

			d->h = mix(d->h, folio->value);
			/* the order of the folio the page is in: a split changes only that */
			d->h = mix(d->h, order);
			d->large |= order > 0;
		}
	}
}

/* a huge pmd, and the contents of the pages it maps (a PMD-sized folio: large) */
static void pmd_digest(struct mm_struct *mm, uint64_t haddr, pmd_t *pmdp, void *arg)
{
	struct digest *d = arg;
	struct folio *folio = pfn_folio(pmd_pfn(*pmdp));

	(void)mm;
	d->h = mix(mix(d->h, haddr), pmd_val(*pmdp));
	for (unsigned i = 0; folio && i < PTRS_PER_PTE; i++)
		d->h = mix(d->h, folio[i].value);
	d->large = true;
}

/*
 * one mm's VMAs, page tables and mapped contents, added to @arg's sum (the
 * pool's order is not the processes' order)
 */
static void mm_digest(struct mm_struct *mm, void *arg)
{
	struct vm_area_struct *vma;
	struct digest *sum = arg;
	struct digest d = { .h = mix(0, (uint64_t)(uintptr_t)mm) };

	list_for_each_entry(vma, &mm->mmap, vm_list) {
		d.h = mix(d.h, vma->vm_start);
		d.h = mix(d.h, vma->vm_end);
		d.h = mix(d.h, vma->vm_pgoff);
		d.h = mix(d.h, vma->vm_flags);
		d.h = mix(d.h, (uint64_t)(uintptr_t)vma->vm_file);
	}
	mmt_for_each_pte(mm, pte_digest, &d);
	mmt_for_each_pmd_leaf(mm, pmd_digest, &d);
	sum->h += d.h;
	sum->large |= d.large;
}

struct meter {
	const struct mmt_program *p;
	struct mmt_work_stats *st;
	uint64_t before;
	bool large;
};

static uint64_t world_digest(bool *large)
{
	struct digest sum = { 0 };

	world_for_each_mm(mm_digest, &sum);
	*large |= sum.large;
	return sum.h;
}

/* after each op, in the op's own task: single-task, so nothing else runs */
static void on_op(void *arg, long idx, int outcome, uint64_t value)
{
	struct meter *m = arg;
	const struct mmt_op *op = &m->p->ops[idx];
	uint64_t after = world_digest(&m->large);
	bool worked;

	(void)value;
	switch (op->code) {
	case OP_READ:
	case OP_WRITE:
	case OP_SPAWN:
	case OP_FORK:
	case OP_EXIT:
	case OP_SWAPON:
	case OP_SWAPOFF:
		worked = outcome == OUT_OK;
		break;
	default:
		worked = after != m->before;
		break;
	}
	if (op->code != OP_CHECK)
		m->st->worked[op->code] += worked;
	m->before = after;
}

int mmt_work_measure(const struct mmt_program *p, struct mmt_work_stats *st)
{
	struct mmt_program one;
	struct mmt_exec_opts eo;
	struct mmt_exec_result r;
	struct meter m;
	size_t i;

	if (mmt_program_copy(&one, p))
		return -ENOMEM;
	for (i = 0; i < one.nr_ops; i++) {
		one.ops[i].task = 0;
		if (one.ops[i].code != OP_CHECK)
			st->ops[one.ops[i].code]++;
	}
	free(one.schedule);
	one.schedule = NULL;
	one.nr_schedule = 0;
	one.has_schedule = false;

	m.p = &one;
	m.st = st;
	m.before = 0;	/* no process yet: the sum over no mm */
	m.large = false;
	mmt_exec_opts_default(&eo);
	eo.check_each_op = false;
	eo.check_inflight = false;
	eo.on_op = on_op;
	eo.op_arg = &m;
	mmt_exec(&one, &eo, &r);
	mmt_exec_result_free(&r);
	mmt_program_free(&one);
	st->programs++;
	st->large += m.large;
	return 0;
}
