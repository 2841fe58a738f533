// SPDX-License-Identifier: MIT
/*
 * explore.c - bounded systematic exploration with sleep sets and DPOR
 * (explore.h).
 *
 * The search keeps the current path as an array of nodes, one per decision
 * point of the program phase.  A node knows which tasks could run there,
 * which task reached it, how many preemptions the path took before it, the
 * tasks already explored from it (done), the tasks asleep in it, and the
 * footprint of each explored or sleeping task's step from it.  A run
 * replays the picks of the nodes it keeps and, past them, builds new nodes
 * as the run reaches them: the default pick (the running task) unless it
 * sleeps, and the sleep set of each new node is inherited from its parent,
 * keeping the tasks whose step commutes with the step just taken.  With
 * dpor, the run's new steps then get their vector clocks and their races
 * fill the backtrack sets of nodes on the path (dpor_races).  Then the
 * deepest node with a task still to try within the bound (awake, and with
 * dpor in its backtrack set) is the next branch point.
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
#include "mmt/kprim.h"
#include "mmt/list.h"
#include "mmt/world.h"

#define FP_MAX 64	/* objects a step's footprint lists; past that it is "everything" */

struct footprint {
	uint8_t n;
	bool all;			/* overflowed: conflicts with every step */
	/* one bit per object (hashed), and per written object: a quick "no" */
	uint64_t mask, wmask;
	uint8_t wr[FP_MAX];
	const void *obj[FP_MAX];
};

struct node {
	uint16_t enabled, done, sleep;
	uint16_t backtrack;		/* dpor: the tasks to explore from here */
	int8_t cur, pick;
	int16_t preempt;		/* preemptions on the path before this node */
	bool acq_wr;			/* acq is an exclusive acquisition */
	const void *acq;		/* the lock pick's step begins by waiting for */
	struct footprint fp[MMT_MAX_TASKS];
};

/*
 * dpor: for one lock, each task's last blocking acquisition of it in the
 * run so far, and its last exclusive one (1 + the step's index; 0: none).
 */
struct lock_acqs {
	const void *lock;
	int32_t any[MMT_MAX_TASKS], excl[MMT_MAX_TASKS];
};

#define ACQ_SLOTS 1024	/* locks a run acquires; past that the last ones are not seen */

struct explorer {
	struct kp_decider d;
	const struct mmt_explore_opts *o;
	struct node *nodes;
	size_t nr, cap;
	size_t replay;			/* nodes[0..replay) are replayed */
	size_t j;			/* decision index of the run */
	bool blocked;			/* every task the bound allows sleeps: no new nodes */
	size_t blocked_at;		/* the node index where it did */
	/* there, the lock each blocked task waits for (kp_task_wait_obj) */
	const void *pend[MMT_MAX_TASKS];
	unsigned pend_wr;
	bool diverged;
	bool oom;
	size_t setup_left;		/* setup ops still to end */
	struct footprint step;		/* what the step under way has touched */
	/*
	 * dpor, by step (node index), kept apart from the nodes so that the
	 * scans over a run stay in cache: the vector clock of the step taken
	 * there (for each task, 1 + the index of its last step that happens
	 * before this one, 0 for none, this step included; kept across runs
	 * for the replayed prefix), and rebuilt for each run, the task of each
	 * step and each task's steps in order.
	 */
	int32_t (*clk)[MMT_MAX_TASKS];
	int8_t *tk;
	struct lock_acqs *acqs;		/* ACQ_SLOTS of them, rebuilt for each run */
	int32_t *ts[MMT_MAX_TASKS];
	size_t nr_ts[MMT_MAX_TASKS];
	size_t dcap;
	/* the run's digest (on_op) */
	uint64_t *op_digest;
	size_t nr_ops;
};

void mmt_explore_opts_default(struct mmt_explore_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->bound = 2;
	/* a bounded "no violation" covers what sleep sets cover (explore.h) */
	o->prune = MMT_PRUNE_SLEEP;
	/* sound for lockless reads (thp-split-no-ttu-sync needs it), and cheap */
	o->fields = true;
	o->stop_on_violation = true;
}

static uint64_t fp_bit(const void *obj)
{
	return 1ull << ((uint64_t)(uintptr_t)obj * 0x9e3779b97f4a7c15ull >> 58);
}

static void fp_add(struct footprint *f, const void *obj, bool write)
{
	if (f->all)
		return;
	f->mask |= fp_bit(obj);
	if (write)
		f->wmask |= fp_bit(obj);
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
	if (!(a->wmask & b->mask) && !(a->mask & b->wmask))
		return false;
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
		n->acq = kp_task_wait_obj(n->pick, &n->acq_wr);
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
		for (int v = 0; x->o->prune != MMT_PRUNE_NONE && v < MMT_MAX_TASKS; v++) {
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
			x->blocked_at = x->nr;
			for (int q = 0; q < MMT_MAX_TASKS; q++) {
				bool wr = false;

				if (!(enabled >> q & 1) && (x->pend[q] = kp_task_wait_obj(q, &wr)))
					x->pend_wr |= (unsigned)wr << q;
			}
			dflt = cur >= 0 && (enabled >> cur & 1) ? cur : ids[0];
			goto out;
		}
	}
	n->pick = (int8_t)dflt;
	n->done = n->backtrack = (uint16_t)(1u << dflt);
	n->acq = kp_task_wait_obj(dflt, &n->acq_wr);
	x->nr++;
	x->j++;
	return dflt;
out:
	x->j++;
	return dflt;
}

/*
 * Pop exhausted nodes and set up the next branch; false when the tree is
 * done.  A node's candidates are its enabled tasks not yet explored from it,
 * within the bound, awake, and, with dpor, in its backtrack set; the tasks
 * the pruning keeps out of a node (asleep, or with dpor not in the
 * backtrack set) count as pruned.
 */
static bool backtrack(struct explorer *x, unsigned long *pruned)
{
	while (x->nr) {
		struct node *n = &x->nodes[x->nr - 1];
		unsigned avail = n->enabled & ~n->done, want = avail & ~n->sleep;

		if (x->o->prune == MMT_PRUNE_DPOR)
			want &= n->backtrack;
		for (unsigned m = want; m; m &= m - 1) {
			int u = lowest(m);

			if (!within(x, n, u))
				continue;
			n->done |= (uint16_t)(1u << u);
			n->pick = (int8_t)u;
			x->replay = x->nr;
			return true;
		}
		for (unsigned m = avail & ~want; m; m &= m - 1)
			if (within(x, n, lowest(m)))
				(*pruned)++;
		x->nr--;
	}
	return false;
}

/* ------------------------------------------------------------------ dpor */

/* does step @i (of the run's nodes) happen before step @k? */
static bool hb(const struct explorer *x, size_t i, size_t k)
{
	return (int32_t)i < x->clk[k][x->tk[i]];
}

/*
 * The tasks that can start notdep(@i).@k (Abdulla et al., "Source sets",
 * POPL 2014): of the steps after @i that do not happen after it, followed
 * by @k, each task whose first step there has no earlier one of them
 * happening before it.  A task's steps that happen after @i are a suffix
 * of its steps, so its steps among them are a run from its first step
 * after @i (first[t]), and one of them happens before @m iff that first
 * one does.
 */
static unsigned initials(const struct explorer *x, size_t i, size_t k)
{
	int32_t first[MMT_MAX_TASKS];
	unsigned seen = 0, init = 0;

	for (size_t m = i + 1; m <= k; m++) {
		int q = x->tk[m];
		bool ok = true;

		if (m < k && hb(x, i, m))
			continue;		/* not in notdep(i) */
		if (seen >> q & 1)
			continue;
		for (unsigned o = seen; o && ok; o &= o - 1)
			if (first[lowest(o)] < x->clk[m][lowest(o)])
				ok = false;
		seen |= 1u << q;
		first[q] = (int32_t)m;
		if (ok)
			init |= 1u << q;
	}
	return init;
}

/*
 * Ask for @u (one task or more) at node @at.  With a bound, also where
 * the bound lets the switch happen (after Coons, Musuvathi and McKinley,
 * OOPSLA 2013, whose point is that a bound adds dependences the conflict
 * relation does not see): a task the bound forbids at @at is asked for at
 * the latest earlier node that allows it, and @u at the node where the
 * block of steps holding @at began, where a switch costs no preemption the
 * path did not already take.  Neither makes bounded dpor complete
 * (explore.h).
 */
static void want(struct explorer *x, size_t at, unsigned u)
{
	struct node *n = &x->nodes[at];
	size_t b = at;

	n->backtrack |= (uint16_t)(u & n->enabled);
	if (x->o->bound < 0)
		return;
	for (unsigned m = u; m; m &= m - 1) {
		int v = lowest(m);

		if (!(n->enabled >> v & 1) || within(x, n, v))
			continue;
		for (size_t e = at; e-- > 0;) {
			struct node *ne = &x->nodes[e];

			if ((ne->enabled >> v & 1) && within(x, ne, v)) {
				if (!((ne->backtrack | ne->sleep) >> v & 1))
					ne->backtrack |= (uint16_t)(1u << v);
				break;
			}
		}
	}
	while (b > 0 && x->nodes[b - 1].pick == n->pick)
		b--;
	if (b == at)
		return;
	n = &x->nodes[b];
	if (!((n->backtrack | n->sleep) & u))
		n->backtrack |= (uint16_t)(u & n->enabled);
}

static struct lock_acqs *acq_slot(struct explorer *x, const void *lock)
{
	uint32_t h = (uint32_t)((uint64_t)(uintptr_t)lock * 0x9e3779b97f4a7c15ull >> 40);

	for (uint32_t probe = 0; probe < 16; probe++) {
		struct lock_acqs *a = &x->acqs[(h + probe) & (ACQ_SLOTS - 1)];

		if (a->lock == lock)
			return a;
		if (!a->lock) {
			a->lock = lock;
			return a;
		}
	}
	return NULL;
}

static void acq_note(struct explorer *x, size_t k)
{
	const struct node *n = &x->nodes[k];
	struct lock_acqs *a;

	if (!n->acq || !(a = acq_slot(x, n->acq)))
		return;
	a->any[n->pick] = (int32_t)k + 1;
	if (n->acq_wr)
		a->excl[n->pick] = (int32_t)k + 1;
}

/*
 * The races of step @k (task @p, footprint @fp, clock @clock built here;
 * @k == x->nr for a blocked task's pending acquisition, which no run
 * reached): each earlier step @i of another task that conflicts with it,
 * no step between them ordering the two, is a race, and a task that
 * starts the reversed race joins @i's backtrack set, unless one of them
 * is there or asleep.  A race whose reversal no task enabled at @i can
 * start (@k waits for what @i did) is not one.  A blocking acquisition of
 * a lock also races with the last acquisition of that lock by another
 * task, although that task's release orders the two: swapping them is
 * @p taking the lock first, which FG's next-transition check sees and the
 * clocks of a finished run do not.
 */
static void step_races(struct explorer *x, size_t k, int p, const struct footprint *fp,
		       const void *acq, bool acq_wr, const size_t *cnt)
{
	int32_t *clock = x->clk[k], at[MMT_MAX_TASKS], last = 0;
	struct lock_acqs *la;
	size_t race[MMT_MAX_TASKS];
	int nr_race = 0;

	if (cnt[p])
		memcpy(clock, x->clk[x->ts[p][cnt[p] - 1]], sizeof(x->clk[0]));
	else
		memset(clock, 0, sizeof(x->clk[0]));
	clock[p] = (int32_t)k + 1;
	/*
	 * The steps of the other tasks, latest first (a race's clock orders
	 * what came before it), skipping those that happen before @k: per
	 * task, they end where its clock entry says.
	 */
	for (int t = 0; t < MMT_MAX_TASKS; t++)
		at[t] = t == p ? -1 : (int32_t)cnt[t] - 1;
	for (;;) {
		int32_t i = -1;
		int t = -1;

		for (int v = 0; v < MMT_MAX_TASKS; v++) {
			if (at[v] < 0)
				continue;
			if (x->ts[v][at[v]] < clock[v]) {
				at[v] = -1;	/* this and its earlier steps are ordered */
				continue;
			}
			if (x->ts[v][at[v]] > i) {
				i = x->ts[v][at[v]];
				t = v;
			}
		}
		if (t < 0)
			break;
		at[t]--;
		if (!fp_conflict(&x->nodes[i].fp[t], fp))
			continue;
		race[nr_race++] = (size_t)i;
		for (int v = 0; v < MMT_MAX_TASKS; v++)
			if (x->clk[i][v] > clock[v])
				clock[v] = x->clk[i][v];
	}
	for (int r = 0; r < nr_race; r++) {
		size_t i = race[r];
		struct node *ni = &x->nodes[i];
		unsigned init, u;

		/* a pending step is not in the run: only @p can start the race */
		init = (k < x->nr ? initials(x, i, k) : 1u << p) & ni->enabled;
		if (!init || ((ni->backtrack | ni->sleep) & init))
			continue;
		/* the cheapest: the task that was running, if it is one */
		u = ni->cur >= 0 && (init >> ni->cur & 1) ? 1u << ni->cur : init & -init;
		for (unsigned m = init; m; m &= m - 1)
			if (within(x, ni, lowest(m)) && !within(x, ni, lowest(u)))
				u = m & -m;
		want(x, i, u);
	}
	if (!acq || !(la = acq_slot(x, acq)))
		return;
	for (int t = 0; t < MMT_MAX_TASKS; t++) {
		int32_t e = acq_wr ? la->any[t] : la->excl[t];

		if (t != p && e > last)
			last = e;
	}
	if (last) {
		struct node *ni = &x->nodes[last - 1];

		/* @p there if it could run, else whoever could (Flanagan-Godefroid) */
		if (ni->enabled >> p & 1) {
			if (!((ni->backtrack | ni->sleep) >> p & 1))
				want(x, (size_t)last - 1, 1u << p);
		} else {
			want(x, (size_t)last - 1, ni->enabled & ~ni->sleep);
		}
	}
}

/*
 * After a run: the vector clocks of its new steps (from @from on; the
 * replayed ones kept theirs) over program order and the conflict relation,
 * and their races (step_races); when the run stopped at a node where every
 * task was asleep or blocked, the pending acquisitions of the blocked ones
 * too, since no run shows them.
 */
static int dpor_races(struct explorer *x, size_t from)
{
	size_t cnt[MMT_MAX_TASKS] = { 0 }, need = x->nr + 1;

	if (need > x->dcap) {
		size_t cap = x->cap > need ? x->cap : need;
		void *c = realloc(x->clk, cap * sizeof(*x->clk)), *t;

		if (!c)
			return -ENOMEM;
		x->clk = c;
		t = realloc(x->tk, cap);
		if (!t)
			return -ENOMEM;
		x->tk = t;
		if (!x->acqs && !(x->acqs = malloc(ACQ_SLOTS * sizeof(*x->acqs))))
			return -ENOMEM;
		for (int q = 0; q < MMT_MAX_TASKS; q++) {
			t = realloc(x->ts[q], cap * sizeof(*x->ts[q]));
			if (!t)
				return -ENOMEM;
			x->ts[q] = t;
		}
		x->dcap = cap;
	}
	for (size_t k = 0; k < x->nr; k++) {
		int t = x->nodes[k].pick;

		x->tk[k] = (int8_t)t;
		x->ts[t][x->nr_ts[t]++] = (int32_t)k;
	}
	memset(x->acqs, 0, ACQ_SLOTS * sizeof(*x->acqs));
	for (size_t k = 0; k < from && k < x->nr; k++) {
		cnt[x->tk[k]]++;
		acq_note(x, k);
	}
	for (size_t k = from; k < x->nr; k++) {
		struct node *nk = &x->nodes[k];

		step_races(x, k, nk->pick, &nk->fp[nk->pick], nk->acq, nk->acq_wr, cnt);
		cnt[nk->pick]++;
		acq_note(x, k);
	}
	if (x->blocked && x->blocked_at == x->nr) {
		for (int q = 0; q < MMT_MAX_TASKS; q++) {
			struct footprint fp;

			if (!x->pend[q])
				continue;
			memset(&fp, 0, offsetof(struct footprint, obj));
			fp_add(&fp, x->pend[q], x->pend_wr >> q & 1);
			/* its clock goes in the spare row past the run */
			step_races(x, x->nr, q, &fp, x->pend[q], x->pend_wr >> q & 1, cnt);
		}
	}
	memset(x->nr_ts, 0, sizeof(x->nr_ts));
	return 0;
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

/* a huge pmd: writable or not, and the contents of the 32 pages it maps */
static void pmd_digest(struct mm_struct *mm, uint64_t haddr, pmd_t *pmdp, void *arg)
{
	uint64_t *h = arg;
	pmd_t pmd = *pmdp;
	struct folio *folio = pfn_folio(pmd_pfn(pmd));

	(void)mm;
	*h = mix(mix(*h, haddr), 2 | (uint64_t)pmd_write(pmd) << 1);
	for (unsigned i = 0; folio && i < PTRS_PER_PTE; i++)
		*h = mix(*h, folio[i].value);
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
	mmt_for_each_pmd_leaf(mm, pmd_digest, &h);
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
		memset(x.pend, 0, sizeof(x.pend));
		x.pend_wr = 0;
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
		if (o->prune == MMT_PRUNE_DPOR && dpor_races(&x, x.replay ? x.replay - 1 : 0)) {
			ret = -ENOMEM;
			goto out;
		}
		if (!backtrack(&x, &r->pruned))
			break;
	}
	r->complete = true;
out:
	free(x.nodes);
	free(x.clk);
	free(x.tk);
	free(x.acqs);
	for (int t = 0; t < MMT_MAX_TASKS; t++)
		free(x.ts[t]);
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
