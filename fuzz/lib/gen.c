// SPDX-License-Identifier: MIT
/*
 * gen.c - random programs (see gen.h).
 *
 * Uniform-ish random ops with no feedback: the baseline every smarter
 * engine is measured against.  The window is small (32 pages, 64 frames,
 * 4 processes) so that mappings overlap, COW chains form, memory runs out
 * and reclaim and migration find something to do.
 *
 * The PRNG is splitmix64 (prng.h), not the C library's: the programs must
 * not change with it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mmt/gen.h"
#include "mmt/prng.h"

#define WIN_START	0x10
#define WIN_PAGES	32
#define GEN_MAX_PROCS	4

struct gen {
	uint64_t s;
	struct mmt_program *p;
	const struct mmt_gen_opts *o;
	bool live[GEN_MAX_PROCS];
	int nr_live;
	bool swap1;
	int err;
	int16_t pidx[16];	/* name index of p0..p15 + 1 (0: not interned yet) */
};

/* uniform in [0, n) (n small: the modulo bias is irrelevant here) */
static unsigned rnd(struct gen *g, unsigned n)
{
	return n ? (unsigned)(mmt_splitmix64(&g->s) % n) : 0;
}

static bool chance(struct gen *g, unsigned pct)
{
	return rnd(g, 100) < pct;
}

void mmt_gen_opts_default(struct mmt_gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->nr_ops = 32;
	o->nr_tasks = 1;
	o->max_procs = GEN_MAX_PROCS;
	o->swap_ops = true;
}

/* name index of "p<i>", interned once per program: formatting it per op was a tenth of the engine */
static int proc_index(struct gen *g, int i)
{
	char name[8];
	int idx;

	if (i >= 0 && i < 16 && g->pidx[i])
		return g->pidx[i] - 1;
	snprintf(name, sizeof(name), "p%d", i);
	idx = mmt_program_name(g->p, name);
	if (i >= 0 && i < 16 && idx >= 0)
		g->pidx[i] = (int16_t)(idx + 1);
	return idx;
}

static void emit(struct gen *g, struct mmt_op *op, unsigned task)
{
	op->task = (uint8_t)task;
	if (!g->err && mmt_program_add(g->p, op))
		g->err = -ENOMEM;
}

static void op_init(struct mmt_op *op, int code)
{
	memset(op, 0, sizeof(*op));
	op->code = (uint8_t)code;
	op->expect = -1;
}

static int pick_live(struct gen *g)
{
	int k = (int)rnd(g, (unsigned)g->nr_live), i;

	for (i = 0; i < GEN_MAX_PROCS; i++)
		if (g->live[i] && k-- == 0)
			return i;
	return -1;
}

static int pick_free(struct gen *g, int max)
{
	int i, n = 0, k;

	for (i = 0; i < max; i++)
		n += !g->live[i];
	if (!n)
		return -1;
	k = (int)rnd(g, (unsigned)n);
	for (i = 0; i < max; i++)
		if (!g->live[i] && k-- == 0)
			return i;
	return -1;
}

static uint64_t win_addr(struct gen *g)
{
	return WIN_START + rnd(g, WIN_PAGES);
}

/* a length of 1..8 pages that stays inside the window */
static uint64_t win_len(struct gen *g, uint64_t addr)
{
	uint64_t n = 1 + rnd(g, 8), room = WIN_START + WIN_PAGES - addr;

	return n < room ? n : room;
}

static uint64_t value(struct gen *g)
{
	/*
	 * small values read well in reports; now and then a wide one, and
	 * often one of a few, so that KSM finds equal pages to merge
	 */
	if (chance(g, 10))
		return mmt_splitmix64(&g->s);
	if (chance(g, 20))
		return 1 + rnd(g, 4);
	return 1 + rnd(g, 0xffff);
}

enum gkind {
	G_READ, G_WRITE, G_MMAP, G_MUNMAP, G_MPROTECT, G_MREMAP, G_MADVISE, G_MIGRATE,
	G_FORK, G_EXIT, G_SPAWN, G_RECLAIM, G_SWAP, G_CHECK, G_KSM, NR_GKIND
};

static const unsigned gweight[NR_GKIND] = {
	[G_READ] = 22, [G_WRITE] = 22, [G_MMAP] = 10, [G_MUNMAP] = 3, [G_MPROTECT] = 5,
	[G_MREMAP] = 3, [G_MADVISE] = 6, [G_MIGRATE] = 8, [G_FORK] = 4, [G_EXIT] = 2,
	[G_SPAWN] = 1, [G_RECLAIM] = 5, [G_SWAP] = 2, [G_CHECK] = 1, [G_KSM] = 5,
};

static int prot_rand(struct gen *g, bool for_mmap)
{
	unsigned r = rnd(g, 100);

	if (r < (for_mmap ? 60u : 45u))
		return MPROT_RW;
	if (r < (for_mmap ? 80u : 80u))
		return MPROT_R;
	if (r < 90)
		return MPROT_W;
	return MPROT_NONE;
}

/* one random op; false if the kind does not apply now */
static bool gen_one(struct gen *g, enum gkind k, unsigned task)
{
	unsigned max = g->o->max_procs;
	struct mmt_op op;
	int pr = g->nr_live ? pick_live(g) : -1;

	switch (k) {
	case G_SPAWN: {
		int q = pick_free(g, (int)max);

		if (q < 0)
			return false;
		op_init(&op, OP_SPAWN);
		op.proc = (uint8_t)proc_index(g, q);
		g->live[q] = true;
		g->nr_live++;
		break;
	}
	case G_FORK: {
		int q = pick_free(g, (int)max);

		if (q < 0 || pr < 0)
			return false;
		op_init(&op, OP_FORK);
		op.proc = (uint8_t)proc_index(g, pr);
		op.proc2 = (uint8_t)proc_index(g, q);
		g->live[q] = true;
		g->nr_live++;
		break;
	}
	case G_EXIT:
		if (g->nr_live < 2)
			return false;
		op_init(&op, OP_EXIT);
		op.proc = (uint8_t)proc_index(g, pr);
		g->live[pr] = false;
		g->nr_live--;
		break;
	case G_READ:
	case G_WRITE:
		if (pr < 0)
			return false;
		op_init(&op, k == G_READ ? OP_READ : OP_WRITE);
		op.proc = (uint8_t)proc_index(g, pr);
		op.addr = win_addr(g);
		if (k == G_WRITE)
			op.value = value(g);
		break;
	case G_MMAP: {
		unsigned f = rnd(g, 100);

		if (pr < 0)
			return false;
		op_init(&op, OP_MMAP);
		op.proc = (uint8_t)proc_index(g, pr);
		op.addr = win_addr(g);
		op.len = win_len(g, op.addr);
		op.prot = (uint8_t)prot_rand(g, true);
		op.mflags = f < 60 ? MFL_PRIVATE | MFL_ANON :
			    f < 75 ? MFL_SHARED | MFL_ANON :
			    f < 90 ? MFL_PRIVATE : MFL_SHARED;
		break;
	}
	case G_MUNMAP:
		if (pr < 0)
			return false;
		op_init(&op, OP_MUNMAP);
		op.proc = (uint8_t)proc_index(g, pr);
		op.addr = win_addr(g);
		op.len = chance(g, 5) ? 0 : win_len(g, op.addr);
		break;
	case G_MPROTECT:
		if (pr < 0)
			return false;
		op_init(&op, OP_MPROTECT);
		op.proc = (uint8_t)proc_index(g, pr);
		op.addr = win_addr(g);
		op.len = win_len(g, op.addr);
		op.prot = (uint8_t)prot_rand(g, false);
		break;
	case G_MREMAP:
		if (pr < 0)
			return false;
		op_init(&op, OP_MREMAP);
		op.proc = (uint8_t)proc_index(g, pr);
		op.addr = win_addr(g);
		op.len = chance(g, 5) ? 0 : win_len(g, op.addr);
		op.addr2 = win_addr(g);
		op.len2 = win_len(g, op.addr2);
		break;
	case G_MADVISE: {
		static const uint8_t adv[] = {
			ADV_DONTNEED, ADV_DONTNEED, ADV_PAGEOUT, ADV_PAGEOUT, ADV_COLD,
			ADV_DONTFORK, ADV_DOFORK, ADV_MERGEABLE, ADV_MERGEABLE, ADV_UNMERGEABLE,
		};

		if (pr < 0)
			return false;
		op_init(&op, OP_MADVISE);
		op.proc = (uint8_t)proc_index(g, pr);
		op.addr = win_addr(g);
		op.len = win_len(g, op.addr);
		op.advice = adv[rnd(g, sizeof(adv))];
		break;
	}
	case G_MIGRATE:
		if (pr < 0)
			return false;
		op_init(&op, OP_MIGRATE);
		op.proc = (uint8_t)proc_index(g, pr);
		op.addr = win_addr(g);
		op.len = win_len(g, op.addr);
		op.node = (int32_t)rnd(g, 2);
		op.all = chance(g, 25);
		break;
	case G_RECLAIM:
		op_init(&op, OP_RECLAIM);
		op.addr = 1 + rnd(g, 32);
		break;
	case G_SWAP:
		if (!g->o->swap_ops)
			return false;
		op_init(&op, g->swap1 ? OP_SWAPOFF : OP_SWAPON);
		op.addr = 1;
		if (!g->swap1)
			op.len = 32 + rnd(g, 97);
		g->swap1 = !g->swap1;
		break;
	case G_CHECK:
		op_init(&op, OP_CHECK);
		break;
	case G_KSM: {
		/* mostly ksmd passes (a merge takes two); the knobs now and then */
		unsigned r = rnd(g, 100);

		if (r < 80) {
			op_init(&op, OP_KSMD);
			op.addr = 1 + rnd(g, 64);
		} else if (r < 90) {
			op_init(&op, OP_KSM_RUN);
			op.addr = rnd(g, 3);
		} else {
			op_init(&op, OP_KSM_MERGE_ACROSS_NODES);
			op.addr = rnd(g, 2);
		}
		break;
	}
	default:
		return false;
	}
	emit(g, &op, task);
	return true;
}

int mmt_gen_random(struct mmt_program *p, uint64_t seed, const struct mmt_gen_opts *o)
{
	struct mmt_gen_opts oc;
	struct gen g;
	struct mmt_op op;
	unsigned total = 0, i, k, tasks;

	/* a private copy, clamped */
	if (o)
		oc = *o;
	else
		mmt_gen_opts_default(&oc);
	if (!oc.max_procs || oc.max_procs > GEN_MAX_PROCS)
		oc.max_procs = GEN_MAX_PROCS;
	if (!oc.nr_ops)
		oc.nr_ops = 32;
	o = &oc;
	tasks = o->nr_tasks ? o->nr_tasks : 1;
	if (tasks > MMT_MAX_TASKS)
		tasks = MMT_MAX_TASKS;
	memset(&g, 0, sizeof(g));
	g.s = seed ^ 0x6d6d74u;	/* "mmt": seed 0 is a fine seed too */
	g.p = p;
	g.o = o;

	p->world.present = true;
	p->world.nodes = 2;
	p->world.frames = 64;
	p->world.swap = 128;

	op_init(&op, OP_SPAWN);
	op.proc = (uint8_t)proc_index(&g, 0);
	g.live[0] = true;
	g.nr_live = 1;
	emit(&g, &op, 0);

	for (k = 0; k < NR_GKIND; k++)
		total += gweight[k];
	for (i = 0; i < o->nr_ops && !g.err; i++) {
		unsigned task = rnd(&g, tasks);

		for (;;) {
			unsigned r = rnd(&g, total);

			for (k = 0; k < NR_GKIND; k++) {
				if (r < gweight[k])
					break;
				r -= gweight[k];
			}
			if (gen_one(&g, (enum gkind)k, task))
				break;
		}
	}

	/* leave the world empty so that LEAK is checked */
	if (g.swap1) {
		op_init(&op, OP_SWAPOFF);
		op.addr = 1;
		emit(&g, &op, 0);
	}
	for (k = 0; k < GEN_MAX_PROCS; k++) {
		if (!g.live[k])
			continue;
		op_init(&op, OP_EXIT);
		op.proc = (uint8_t)proc_index(&g, (int)k);
		emit(&g, &op, 0);
	}
	op_init(&op, OP_SWAPOFF);
	op.addr = 0;
	emit(&g, &op, 0);
	return g.err;
}

/* ------------------------------------------------------- race template */

static void emit_simple(struct gen *g, int code, unsigned task, int proc, uint64_t addr,
			uint64_t len)
{
	struct mmt_op op;

	op_init(&op, code);
	op.proc = (uint8_t)proc_index(g, proc);
	op.addr = addr;
	op.len = len;
	emit(g, &op, task);
}

/*
 * The KSM race template (seed 001): p0's pages hold one value, ksmd merges
 * them (with p1's, forked first, now and then, and with merge_across_nodes
 * 0 now and then), then task 0 migrates the KSM pages back and forth while
 * the racers run ksmd passes, write (copy on write of a KSM page), read,
 * fork, unmerge, munmap and exit children.
 */
static int gen_race_ksm(struct gen *g, unsigned nr_tasks, unsigned nr_ops)
{
	struct mmt_program *p = g->p;
	struct mmt_op op;
	unsigned npages, i, t;
	int next_child = 2;

	p->world.present = true;
	p->world.nodes = 2;
	p->world.frames = 32;
	p->world.swap = 0;

	npages = 2 + rnd(g, 3);
	if (chance(g, 40)) {
		op_init(&op, OP_KSM_MERGE_ACROSS_NODES);
		emit(g, &op, 0);
	}
	emit_simple(g, OP_SPAWN, 0, 0, 0, 0);
	op_init(&op, OP_MMAP);
	op.proc = (uint8_t)proc_index(g, 0);
	op.addr = WIN_START;
	op.len = npages;
	op.prot = MPROT_RW;
	op.mflags = MFL_PRIVATE | MFL_ANON;
	emit(g, &op, 0);
	for (i = 0; i < npages; i++) {
		op_init(&op, OP_WRITE);
		op.proc = (uint8_t)proc_index(g, 0);
		op.addr = WIN_START + i;
		op.value = 7;
		emit(g, &op, 0);
	}
	if (chance(g, 50)) {
		/* some pages to a node of their own: per-node trees have work */
		op_init(&op, OP_MIGRATE);
		op.proc = (uint8_t)proc_index(g, 0);
		op.addr = WIN_START + npages / 2;
		op.len = npages - npages / 2;
		op.node = 1;
		emit(g, &op, 0);
	}
	op_init(&op, OP_MADVISE);
	op.proc = (uint8_t)proc_index(g, 0);
	op.addr = WIN_START;
	op.len = npages;
	op.advice = ADV_MERGEABLE;
	emit(g, &op, 0);
	if (chance(g, 50)) {
		op_init(&op, OP_FORK);
		op.proc = (uint8_t)proc_index(g, 0);
		op.proc2 = (uint8_t)proc_index(g, 1);
		emit(g, &op, 0);
	}
	for (i = 0; i < 2; i++) {
		op_init(&op, OP_KSMD);
		op.addr = 64;
		emit(g, &op, 0);
	}
	for (i = 0, t = 1 + rnd(g, 2); i < t; i++) {
		op_init(&op, OP_MIGRATE);
		op.proc = (uint8_t)proc_index(g, 0);
		op.addr = WIN_START + rnd(g, npages);
		op.len = 1;
		op.node = (int32_t)((i + 1) % 2);
		op.all = chance(g, 80);
		emit(g, &op, 0);
	}

	for (t = 1; t < nr_tasks; t++) {
		int mine[4], nmine = 0;

		for (i = 0; i < nr_ops; i++) {
			unsigned r = rnd(g, 100);
			uint64_t addr = WIN_START + rnd(g, npages);
			int who = nmine && chance(g, 50) ? mine[rnd(g, (unsigned)nmine)] : 0;

			if (r < 30) {
				op_init(&op, OP_KSMD);
				op.addr = 1 + rnd(g, 8);
				emit(g, &op, t);
			} else if (r < 45 && next_child < 8) {
				op_init(&op, OP_FORK);
				op.proc = (uint8_t)proc_index(g, 0);
				op.proc2 = (uint8_t)proc_index(g, next_child);
				emit(g, &op, t);
				if (nmine < 4)
					mine[nmine++] = next_child;
				next_child++;
			} else if (r < 60) {
				op_init(&op, OP_WRITE);
				op.proc = (uint8_t)proc_index(g, who);
				op.addr = addr;
				op.value = chance(g, 50) ? 7 : 0x100 * t + i;
				emit(g, &op, t);
			} else if (r < 72) {
				emit_simple(g, OP_READ, t, who, addr, 0);
			} else if (r < 80) {
				op_init(&op, OP_MADVISE);
				op.proc = (uint8_t)proc_index(g, who);
				op.addr = addr;
				op.len = 1;
				op.advice = chance(g, 50) ? ADV_UNMERGEABLE : ADV_MERGEABLE;
				emit(g, &op, t);
			} else if (r < 88) {
				op_init(&op, OP_MIGRATE);
				op.proc = (uint8_t)proc_index(g, who);
				op.addr = addr;
				op.len = 1;
				op.node = (int32_t)rnd(g, 2);
				op.all = true;
				emit(g, &op, t);
			} else if (r < 94 && nmine) {
				emit_simple(g, OP_EXIT, t, mine[--nmine], 0, 0);
			} else {
				emit_simple(g, OP_MUNMAP, t, 0, addr, 1);
			}
		}
	}
	return g->err;
}

int mmt_gen_race(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops)
{
	struct mmt_gen_opts o;
	struct gen g;
	struct mmt_op op;
	unsigned npages, i, t;
	int next_child = 2;

	mmt_gen_opts_default(&o);
	if (nr_tasks < 2)
		nr_tasks = 2;
	if (nr_tasks > MMT_MAX_TASKS)
		nr_tasks = MMT_MAX_TASKS;
	if (nr_ops < 1)
		nr_ops = 1;
	if (nr_ops > 16)
		nr_ops = 16;
	memset(&g, 0, sizeof(g));
	g.s = seed ^ 0x72616365u;	/* "race" */
	g.p = p;
	g.o = &o;
	p->world.present = true;
	p->world.nodes = 2;
	p->world.frames = 32;
	p->world.swap = 0;

	/* task 0: the process, its pages, maybe a child that COW-shares them */
	npages = 1 + rnd(&g, 2);
	emit_simple(&g, OP_SPAWN, 0, 0, 0, 0);
	op_init(&op, OP_MMAP);
	op.proc = (uint8_t)proc_index(&g, 0);
	op.addr = WIN_START;
	op.len = npages;
	op.prot = MPROT_RW;
	op.mflags = MFL_PRIVATE | MFL_ANON;
	emit(&g, &op, 0);
	for (i = 0; i < npages; i++) {
		op_init(&op, OP_WRITE);
		op.proc = (uint8_t)proc_index(&g, 0);
		op.addr = WIN_START + i;
		op.value = 1 + i;
		emit(&g, &op, 0);
	}
	if (chance(&g, 50)) {
		op_init(&op, OP_FORK);
		op.proc = (uint8_t)proc_index(&g, 0);
		op.proc2 = (uint8_t)proc_index(&g, 1);
		emit(&g, &op, 0);
		g.live[1] = true;
		for (i = 0; i < npages; i++) {
			op_init(&op, OP_WRITE);
			op.proc = (uint8_t)proc_index(&g, 0);
			op.addr = WIN_START + i;
			op.value = 0x10 + i;
			emit(&g, &op, 0);
		}
	}
	/* task 0 goes on: migrations back and forth */
	for (i = 0, t = 1 + rnd(&g, 2); i < t; i++) {
		op_init(&op, OP_MIGRATE);
		op.proc = (uint8_t)proc_index(&g, 0);
		op.addr = WIN_START + rnd(&g, npages);
		op.len = 1 + rnd(&g, npages);
		if (op.addr + op.len > WIN_START + npages)
			op.len = WIN_START + npages - op.addr;
		op.node = (int32_t)((i + 1) % 2);
		op.all = chance(&g, 30);
		emit(&g, &op, 0);
	}

	/* the racers: what meets a migration entry */
	for (t = 1; t < nr_tasks; t++) {
		int mine[4], nmine = 0;

		for (i = 0; i < nr_ops; i++) {
			unsigned r = rnd(&g, 100);
			uint64_t addr = WIN_START + rnd(&g, npages);

			if (r < 30 && next_child < 8) {
				op_init(&op, OP_FORK);
				op.proc = (uint8_t)proc_index(&g, 0);
				op.proc2 = (uint8_t)proc_index(&g, next_child);
				emit(&g, &op, t);
				if (nmine < 4)
					mine[nmine++] = next_child;
				next_child++;
			} else if (r < 50) {
				op_init(&op, OP_MPROTECT);
				op.proc = (uint8_t)proc_index(&g, 0);
				op.addr = WIN_START;
				op.len = npages;
				op.prot = chance(&g, 70) ? MPROT_R : MPROT_RW;
				emit(&g, &op, t);
			} else if (r < 70) {
				/* a write to p0 or a child this task forked */
				int who = nmine && chance(&g, 60) ? mine[rnd(&g, (unsigned)nmine)] : 0;

				op_init(&op, OP_WRITE);
				op.proc = (uint8_t)proc_index(&g, who);
				op.addr = addr;
				op.value = 0x100 * t + i;
				emit(&g, &op, t);
			} else if (r < 88) {
				int who = nmine && chance(&g, 60) ? mine[rnd(&g, (unsigned)nmine)] : 0;

				emit_simple(&g, OP_READ, t, who, addr, 0);
			} else if (r < 94 && nmine) {
				/* a child's exit (it stays in mine[]: later ops just skip) */
				emit_simple(&g, OP_EXIT, t, mine[--nmine], 0, 0);
			} else {
				emit_simple(&g, OP_MUNMAP, t, 0, addr, 1);
			}
		}
	}
	return g.err;
}

int mmt_gen_race_ksm(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops)
{
	struct mmt_gen_opts o;
	struct gen g;

	mmt_gen_opts_default(&o);
	if (nr_tasks < 2)
		nr_tasks = 2;
	if (nr_tasks > MMT_MAX_TASKS)
		nr_tasks = MMT_MAX_TASKS;
	if (nr_ops < 1)
		nr_ops = 1;
	if (nr_ops > 16)
		nr_ops = 16;
	memset(&g, 0, sizeof(g));
	g.s = seed ^ 0x6b736du;	/* "ksm" */
	g.p = p;
	g.o = &o;
	return gen_race_ksm(&g, nr_tasks, nr_ops);
}
