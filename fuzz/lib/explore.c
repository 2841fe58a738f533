// SPDX-License-Identifier: MIT
/*
 * explore.c - bounded systematic exploration with sleep sets (explore.h).
 *
 * The search keeps the current path as an array of nodes, one per decision
 * point of the program phase.  A node knows which tasks could run there,
 * which task reached it, how many preemptions the path took before it, the
 * tasks already explored from it (done), the tasks asleep in it, and the
 * footprint of each explored or sleeping task's step from it.  A run
 * replays the picks of the nodes it keeps and, past them, builds new nodes
 * as the run reaches them: the default pick (the running task) unless it
 * sleeps, and the sleep set of each new node is inherited from its parent,
 * keeping the tasks whose step commutes with the step just taken.  Then the
 * deepest node with a task still to try within the bound is the next
 * branch point.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/explore.h"
#include "mmt/fsutil.h"
#include "mmt/minimize.h"
#include "mmt/mm.h"
#include "mmt/prng.h"
#include "mmt/pte.h"
#include "mmt/folio.h"
#include "mmt/list.h"
#include "mmt/world.h"

#define FP_MAX 64	/* objects a step's footprint lists; past that it is "everything" */

struct footprint {
	uint8_t n;
	bool all;			/* overflowed: conflicts with every step */
	uint8_t wr[FP_MAX];
	const void *obj[FP_MAX];
};

struct node {
	uint16_t enabled, done, sleep;
	int8_t cur, pick;
	int16_t preempt;		/* preemptions on the path before this node */
	struct footprint fp[MMT_MAX_TASKS];
};

struct explorer {
	struct kp_decider d;
	const struct mmt_explore_opts *o;
	struct node *nodes;
	size_t nr, cap;
	size_t replay;			/* nodes[0..replay) are replayed */
	size_t j;			/* decision index of the run */
	bool blocked;			/* every task the bound allows sleeps: no new nodes */
	bool diverged;
	bool oom;
	size_t setup_left;		/* setup ops still to end */
	struct footprint step;		/* what the step under way has touched */
	/* the run's digest (on_op) */
	uint64_t *op_digest;
	size_t nr_ops;
};

void mmt_explore_opts_default(struct mmt_explore_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->bound = 2;
	o->prune = true;
	o->stop_on_violation = true;
}

static void fp_add(struct footprint *f, const void *obj, bool write)
{
	if (f->all)
		return;
	for (unsigned i = 0; i < f->n; i++) {
		if (f->obj[i] == obj) {
			f->wr[i] |= write;
			return;
		}
	}
	if (f->n == FP_MAX) {
		f->all = true;
		return;
	}
	f->obj[f->n] = obj;
	f->wr[f->n++] = write;
}

/* do two steps of different tasks fail to commute? */
static bool fp_conflict(const struct footprint *a, const struct footprint *b)
{
	if (a->all || b->all)
		return true;
	for (unsigned i = 0; i < a->n; i++)
		for (unsigned k = 0; k < b->n; k++)
			if (a->obj[i] == b->obj[k] && (a->wr[i] || b->wr[k]))
				return true;
	return false;
}

static void on_touch(void *arg, const void *obj, bool write)
{
	struct explorer *x = arg;

	fp_add(&x->step, obj, write);
}

static int lowest(unsigned mask)
{
	return mask ? __builtin_ctz(mask) : -1;
}

/* does picking @u at @n take the CPU from a task that could go on? */
static int cost(const struct node *n, int u)
{
	return n->cur >= 0 && (n->enabled >> n->cur & 1) && u != n->cur;
}

static bool within(const struct explorer *x, const struct node *n, int u)
{
	return x->o->bound < 0 || n->preempt + cost(n, u) <= x->o->bound;
}

/* the step of the last decision is over: remember its footprint there */
static void end_step(struct explorer *x)
{
	if (x->j > 0 && x->j - 1 < x->nr && !x->blocked) {
		struct node *n = &x->nodes[x->j - 1];

		n->fp[n->pick] = x->step;
	}
	memset(&x->step, 0, offsetof(struct footprint, obj));
}

static int explore_pick(struct kp_decider *d, const int *ids, int nr, int cur)
{
	struct explorer *x = (struct explorer *)d;
	unsigned enabled = 0;
	int dflt;
	struct node *n;

	for (int i = 0; i < nr; i++)
		enabled |= 1u << ids[i];
	end_step(x);
	dflt = cur >= 0 && (enabled >> cur & 1) ? cur : ids[0];
	if (x->setup_left)
		return enabled & 1 ? 0 : dflt;	/* not a node: the setup runs alone */
	if (x->blocked || x->diverged || x->oom)
		goto out;
	if (x->j < x->replay) {
		n = &x->nodes[x->j];
		if (n->enabled != enabled || n->cur != cur) {
			x->diverged = true;
			goto out;
		}
		x->j++;
		return n->pick;
	}
	if (x->nr == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 256;
		struct node *nn = realloc(x->nodes, cap * sizeof(*nn));

		if (!nn) {
			x->oom = true;
			goto out;
		}
		x->nodes = nn;
		x->cap = cap;
	}
	n = &x->nodes[x->nr];
	memset(n, 0, offsetof(struct node, fp));
	n->enabled = (uint16_t)enabled;
	n->cur = (int8_t)cur;
	if (x->nr) {
		const struct node *pa = &x->nodes[x->nr - 1];
		unsigned cand = (pa->sleep | pa->done) & ~(1u << pa->pick);

		n->preempt = (int16_t)(pa->preempt + cost(pa, pa->pick));
		for (int v = 0; x->o->prune && v < MMT_MAX_TASKS; v++) {
			if (!(cand >> v & 1) || !(enabled >> v & 1))
				continue;
			if (fp_conflict(&pa->fp[v], &pa->fp[pa->pick]))
				continue;
			n->sleep |= (uint16_t)(1u << v);
			n->fp[v] = pa->fp[v];
		}
	}
	if (n->sleep >> dflt & 1) {
		unsigned awake = enabled & ~n->sleep;

		dflt = -1;
		for (int u = lowest(awake); u >= 0; awake &= awake - 1, u = lowest(awake)) {
			if (within(x, n, u)) {
				dflt = u;
				break;
			}
		}
		if (dflt < 0) {
			/* every continuation here is one already covered */
			x->blocked = true;
			dflt = cur >= 0 && (enabled >> cur & 1) ? cur : ids[0];
			goto out;
		}
	}
	n->pick = (int8_t)dflt;
	n->done = (uint16_t)(1u << dflt);
	x->nr++;
	x->j++;
	return dflt;
out:
	x->j++;
	return dflt;
}

/*
 * Pop exhausted nodes and set up the next branch; false when the tree is
 * done.  Tasks that only sleep kept out of a node count as pruned.
 */
static bool backtrack(struct explorer *x, unsigned long *pruned)
{
	while (x->nr) {
		struct node *n = &x->nodes[x->nr - 1];
		unsigned avail = n->enabled & ~n->done;

		for (unsigned m = avail; m; m &= m - 1) {
			int u = lowest(m);

			if (!within(x, n, u) || (n->sleep >> u & 1))
				continue;
			n->done |= (uint16_t)(1u << u);
			n->pick = (int8_t)u;
			x->replay = x->nr;
			return true;
		}
		for (unsigned m = avail & n->sleep; m; m &= m - 1)
			if (within(x, n, lowest(m)))
				(*pruned)++;
		x->nr--;
	}
	return false;
}

/* --------------------------------------------------------- final digest */

static uint64_t mix(uint64_t h, uint64_t v)
{
	uint64_t s = h ^ v;

	return mmt_splitmix64(&s);
}

/* a pte as what it means, not which frame or slot it names */
static void pte_digest(struct mm_struct *mm, uint64_t addr, pte_t *ptep, void *arg)
{
	uint64_t *h = arg, kind;
	pte_t pte = *ptep;

	(void)mm;
	if (pte_present(pte)) {
		struct folio *folio = pfn_folio(pte_pfn(pte));

		kind = 1 | (uint64_t)pte_write(pte) << 1;
		if (folio)
			*h = mix(*h, folio->value);
	} else {
		swp_entry_t e = pte_to_swp_entry(pte);

		kind = 4 | (uint64_t)pte_swp_exclusive(pte) << 3 |
		       (uint64_t)(non_swap_entry(e) ? swp_type(e) : 0) << 8;
	}
	*h = mix(mix(*h, addr), kind);
}

static void mm_digest(struct mm_struct *mm, void *arg)
{
	struct vm_area_struct *vma;
	uint64_t *sum = arg, h = 0;

	list_for_each_entry(vma, &mm->mmap, vm_list) {
		h = mix(h, vma->vm_start);
		h = mix(h, vma->vm_end);
		h = mix(h, vma->vm_flags);
	}
	mmt_for_each_pte(mm, pte_digest, &h);
	*sum += h;	/* processes in any order */
}

static void on_op(void *arg, long idx, int outcome, uint64_t value)
{
	struct explorer *x = arg;

	if ((size_t)idx < x->o->setup_ops && x->setup_left)
		x->setup_left--;
	if ((size_t)idx < x->nr_ops)
		x->op_digest[idx] = mix(mix((uint64_t)idx + 1, (uint64_t)(int64_t)outcome), value);
}

static uint64_t run_digest(const struct explorer *x, const struct mmt_exec_result *r)
{
	uint64_t h = mix(r->status, r->status == EXEC_VIOLATION ? r->violation.inv : 0);
	uint64_t world = 0;

	for (size_t i = 0; i < x->nr_ops; i++)
		h = mix(h, x->op_digest[i]);
	if (the_world)
		world_for_each_mm(mm_digest, &world);
	return mix(h, world);
}

/* ---------------------------------------------------------------- search */

int mmt_explore(const struct mmt_program *p, const struct mmt_explore_opts *o,
		struct mmt_explore_result *r)
{
	static struct mmt_explore_opts defaults;
	struct explorer x = { .d.pick = explore_pick };
	struct mmt_exec_opts eo;
	double t0 = mmt_now();
	int ret = 0;

	if (!o) {
		mmt_explore_opts_default(&defaults);
		o = &defaults;
	}
	memset(r, 0, sizeof(*r));
	mmt_program_init(&r->prog);
	if (mmt_program_nr_tasks(p) < 2) {
		snprintf(r->msg, sizeof(r->msg), "the program has one task: nothing to interleave");
		return -EINVAL;
	}
	x.o = o;
	x.nr_ops = p->nr_ops;
	x.op_digest = calloc(p->nr_ops ? p->nr_ops : 1, sizeof(*x.op_digest));
	if (!x.op_digest)
		return -ENOMEM;
	mmt_exec_opts_default(&eo);
	eo.inject = o->inject;
	eo.decider = &x.d;
	eo.on_touch = on_touch;
	eo.touch_arg = &x;
	eo.touch_fields = o->fields;
	eo.on_op = on_op;
	eo.op_arg = &x;

	for (;;) {
		struct mmt_exec_result run;

		if ((o->max_schedules && r->runs >= o->max_schedules) ||
		    (o->budget > 0 && mmt_now() - t0 >= o->budget))
			goto out;	/* not complete */
		x.j = 0;
		x.blocked = x.diverged = x.oom = false;
		x.setup_left = o->setup_ops;
		memset(&x.step, 0, offsetof(struct footprint, obj));
		memset(x.op_digest, 0, x.nr_ops * sizeof(*x.op_digest));
		mmt_exec(p, &eo, &run);
		end_step(&x);
		r->runs++;
		if (x.j > r->decisions)
			r->decisions = x.j;
		if (x.oom) {
			mmt_exec_result_free(&run);
			ret = -ENOMEM;
			goto out;
		}
		if (x.diverged) {
			snprintf(r->msg, sizeof(r->msg), "run %lu left the recorded path at decision "
				 "%zu: the model is not deterministic", r->runs, x.j - 1);
			mmt_exec_result_free(&run);
			ret = -EIO;
			goto out;
		}
		if (run.status == EXEC_SETUP || run.status == EXEC_DIVERGED) {
			snprintf(r->msg, sizeof(r->msg), "%s", run.msg);
			mmt_exec_result_free(&run);
			ret = -EINVAL;
			goto out;
		}
		if (x.blocked) {
			r->pruned++;
		} else {
			r->explored++;
			if (o->on_final)
				o->on_final(o->final_arg, run_digest(&x, &run));
		}
		if (run.status != EXEC_PASS && !x.blocked && !r->violation) {
			r->violation = true;
			r->preemptions = x.nr ? x.nodes[x.nr - 1].preempt +
						cost(&x.nodes[x.nr - 1], x.nodes[x.nr - 1].pick) : 0;
			if (mmt_program_copy(&r->prog, p) ||
			    mmt_set_schedule(&r->prog, run.schedule, run.nr_sched_needed)) {
				mmt_exec_result_free(&run);
				ret = -ENOMEM;
				goto out;
			}
			r->run = run;
			if (o->stop_on_violation)
				goto out;
		} else {
			mmt_exec_result_free(&run);
		}
		if (!backtrack(&x, &r->pruned))
			break;
	}
	r->complete = true;
out:
	free(x.nodes);
	free(x.op_digest);
	return ret;
}

void mmt_explore_result_free(struct mmt_explore_result *r)
{
	if (r->violation)
		mmt_exec_result_free(&r->run);
	mmt_program_free(&r->prog);
	r->violation = false;
}
