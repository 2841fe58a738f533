// SPDX-License-Identifier: MIT
/*
 * gen.c - random programs (see gen.h).
 *
 * Random ops with no feedback: the baseline every smarter engine is
 * measured against.  The window is small (32 pages, 64 frames, 4
 * processes) so that mappings overlap, COW chains form, memory runs out
 * and reclaim and migration find something to do.
 *
 * Resource-aware, as syzkaller's generator is: a shadow of each process's
 * window (shadow.h) says which pages are mapped, writable and written, so
 * most accesses land on mapped pages, most VMA ops start on a mapping, and
 * most migrations and pageouts start on a page that exists and move it to
 * the node it is not on.  A fixed share (AIM_PCT's complement) still picks
 * uniformly, so holes, SEGVs and ENOMEMs keep their place in the mix.
 *
 * The PRNG is splitmix64 (prng.h), not the C library's: the programs must
 * not change with it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mmt/gen.h"
#include "mmt/prng.h"
#include "shadow.h"

#define WIN_START	0x10
#define WIN_PAGES	32
#define GEN_MAX_PROCS	4
#define AIM_PCT		85	/* ops aimed at what the shadow says exists */

_Static_assert(WIN_START == SHADOW_BASE && WIN_PAGES == SHADOW_PAGES &&
	       GEN_MAX_PROCS <= SHADOW_PROCS, "gen's window is the shadow's");

struct gen {
	uint64_t s;
	struct mmt_program *p;
	const struct mmt_gen_opts *o;
	bool live[GEN_MAX_PROCS];
	int nr_live;
	bool swap1;
	int nodes;
	struct shadow sh;
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

/*
 * A draw beside the main stream, which it leaves where it was: a variant
 * added to a template this way keeps every program the template made
 * before under the same seed (fuzz:zoo-minimal's fixed seeds find the same
 * programs).  @salt tells the side draws of one program apart.
 */
static bool side_chance(const struct gen *g, uint64_t salt, unsigned pct)
{
	uint64_t s = g->s ^ salt;

	return mmt_splitmix64(&s) % 100 < pct;
}

void mmt_gen_opts_default(struct mmt_gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->nr_ops = 32;
	o->nr_tasks = 1;
	o->max_procs = GEN_MAX_PROCS;
	o->swap_ops = true;
	o->uffd_ops = true;
	o->pin_ops = true;
	o->thp_ops = true;
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

/*
 * An address aimed at @set (a shadow mask of process @pr), or a uniform
 * one when the dice say so or @set is empty.
 */
static uint64_t aim_addr(struct gen *g, uint32_t set)
{
	if (set && chance(g, AIM_PCT))
		return shadow_pick(set, rnd(g, SHADOW_PAGES));
	return win_addr(g);
}

/* a length for a range starting at @addr: inside @set's run when aiming */
static uint64_t aim_len(struct gen *g, uint32_t set, uint64_t addr)
{
	uint64_t run = shadow_run(set, addr, 8);

	if (run && chance(g, AIM_PCT))
		return 1 + rnd(g, (unsigned)run);
	return win_len(g, addr);
}

/* the node a page is believed to be on: home node 0, or where migrate sent it */
static int32_t other_node(struct gen *g, int pr, uint64_t addr)
{
	uint32_t bit = 1u << (addr - WIN_START);

	if (g->nodes < 2 || !chance(g, AIM_PCT))
		return (int32_t)rnd(g, 2);
	return (g->sh.p[pr].node1 & bit) ? 0 : 1;
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
	G_FORK, G_EXIT, G_SPAWN, G_RECLAIM, G_SWAP, G_CHECK,
	G_DEVICE, G_UFFD,	/* migrate_vma to the device and back; uffd registration */
	G_KSM,
	G_PIN,		/* pin, unpin, and the device's access through a pin */
	G_SPLIT,	/* debugfs split_huge_pages of a range (with thp_ops) */
	NR_GKIND
};

static const unsigned gweight[NR_GKIND] = {
	[G_READ] = 22, [G_WRITE] = 22, [G_MMAP] = 10, [G_MUNMAP] = 3, [G_MPROTECT] = 5,
	[G_MREMAP] = 3, [G_MADVISE] = 6, [G_MIGRATE] = 8, [G_FORK] = 4, [G_EXIT] = 2,
	[G_SPAWN] = 1, [G_RECLAIM] = 5, [G_SWAP] = 2, [G_CHECK] = 1,
	[G_DEVICE] = 5, [G_UFFD] = 1,
	[G_KSM] = 5,
	[G_PIN] = 4,
	[G_SPLIT] = 2,
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
	int pr = g->nr_live ? pick_live(g) : -1, child = -1;
	const struct shadow_proc *sp = pr >= 0 ? &g->sh.p[pr] : NULL;

	/* a process with nothing mapped has nothing to touch: map first, mostly */
	if (sp && !sp->mapped && k != G_MMAP && k <= G_MIGRATE && chance(g, AIM_PCT))
		k = G_MMAP;

	switch (k) {
	case G_SPAWN: {
		int q = pick_free(g, (int)max);

		if (q < 0)
			return false;
		op_init(&op, OP_SPAWN);
		op.proc = (uint8_t)proc_index(g, q);
		g->live[q] = true;
		g->nr_live++;
		pr = q;
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
		child = q;
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
		op.addr = aim_addr(g, k == G_READ ? sp->readable : sp->writable);
		if (k == G_WRITE)
			op.value = value(g);
		break;
	case G_MMAP: {
		unsigned f = rnd(g, 100);
		uint32_t holes;

		if (pr < 0)
			return false;
		op_init(&op, OP_MMAP);
		op.proc = (uint8_t)proc_index(g, pr);
		/* into a hole mostly; now and then over a mapping (MAP_FIXED replaces it) */
		holes = ~sp->mapped;
		op.addr = aim_addr(g, holes);
		op.len = aim_len(g, holes, op.addr);
		op.prot = (uint8_t)prot_rand(g, true);
		op.mflags = f < 60 ? MFL_PRIVATE | MFL_ANON :
			    f < 75 ? MFL_SHARED | MFL_ANON :
			    f < 90 ? MFL_PRIVATE : MFL_SHARED;
		/*
		 * mmap then MADV_HUGEPAGE, as THP users do: only a fault in
		 * a madvised range with no pte yet makes an mTHP, and a
		 * madvise picked later mostly lands on pages already there
		 * (measured with `mmtorture workshare`: without this the
		 * split op found no large folio in 1,161 tries)
		 */
		if (g->o->thp_ops && op.mflags == (MFL_PRIVATE | MFL_ANON) && chance(g, 35)) {
			struct mmt_op adv;

			shadow_apply(&g->sh, &op, pr, child);
			emit(g, &op, task);
			op_init(&adv, OP_MADVISE);
			adv.proc = op.proc;
			adv.addr = op.addr;
			adv.len = op.len;
			adv.advice = ADV_HUGEPAGE;
			shadow_apply(&g->sh, &adv, pr, child);
			emit(g, &adv, task);
			return true;
		}
		break;
	}
	case G_MUNMAP:
		if (pr < 0)
			return false;
		op_init(&op, OP_MUNMAP);
		op.proc = (uint8_t)proc_index(g, pr);
		op.addr = aim_addr(g, sp->mapped);
		op.len = chance(g, 5) ? 0 : aim_len(g, sp->mapped, op.addr);
		break;
	case G_MPROTECT:
		if (pr < 0)
			return false;
		op_init(&op, OP_MPROTECT);
		op.proc = (uint8_t)proc_index(g, pr);
		op.addr = aim_addr(g, sp->mapped);
		op.len = aim_len(g, sp->mapped, op.addr);
		op.prot = (uint8_t)prot_rand(g, false);
		if (chance(g, AIM_PCT)) {
			/* a protection the page does not have yet: one that changes something */
			uint32_t bit = 1u << (op.addr - WIN_START);

			if (sp->writable & bit)
				op.prot = chance(g, 70) ? MPROT_R : MPROT_NONE;
			else if (sp->readable & bit)
				op.prot = chance(g, 80) ? MPROT_RW : MPROT_NONE;
			else
				op.prot = chance(g, 50) ? MPROT_R : MPROT_RW;
		}
		break;
	case G_MREMAP:
		if (pr < 0)
			return false;
		if (chance(g, 30)) {
			/*
			 * remap_file_pages: at a memfd offset near the address
			 * (the linear one is the address itself), or at a small
			 * offset of a shmem object
			 */
			op_init(&op, OP_REMAP_FILE_PAGES);
			op.proc = (uint8_t)proc_index(g, pr);
			op.addr = aim_addr(g, sp->shared ? sp->shared : sp->mapped);
			op.len = aim_len(g, sp->shared ? sp->shared : sp->mapped, op.addr);
			op.addr2 = chance(g, 60) ? op.addr + rnd(g, 8) - 4 : rnd(g, 4);
			break;
		}
		op_init(&op, OP_MREMAP);
		op.proc = (uint8_t)proc_index(g, pr);
		op.addr = aim_addr(g, sp->mapped);
		op.len = chance(g, 5) ? 0 : aim_len(g, sp->mapped, op.addr);
		/* the target: a hole mostly (it replaces whatever is there) */
		op.addr2 = aim_addr(g, ~sp->mapped);
		op.len2 = chance(g, 50) && op.len ? op.len : win_len(g, op.addr2);
		if (op.addr2 + op.len2 > WIN_START + WIN_PAGES)
			op.len2 = WIN_START + WIN_PAGES - op.addr2;
		break;
	case G_MADVISE: {
		static const uint8_t adv[] = {
			ADV_DONTNEED, ADV_DONTNEED, ADV_PAGEOUT, ADV_PAGEOUT, ADV_COLD,
			ADV_DONTFORK, ADV_DOFORK, ADV_MERGEABLE, ADV_MERGEABLE, ADV_UNMERGEABLE,
			ADV_HUGEPAGE, ADV_HUGEPAGE,
		};
		uint32_t set;

		if (pr < 0)
			return false;
		op_init(&op, OP_MADVISE);
		op.proc = (uint8_t)proc_index(g, pr);
		op.advice = adv[rnd(g, sizeof(adv))];
		/* what drops or pages out pages wants pages; the fork flags want a VMA */
		set = op.advice == ADV_DONTFORK || op.advice == ADV_DOFORK || !sp->populated ?
		      sp->mapped : sp->populated;
		/* hugepage matters only where no page is yet: the next fault there */
		if (op.advice == ADV_HUGEPAGE && (sp->mapped & ~sp->populated))
			set = sp->mapped & ~sp->populated;
		op.addr = aim_addr(g, set);
		op.len = aim_len(g, sp->mapped, op.addr);
		break;
	}
	case G_MIGRATE:
		if (pr < 0)
			return false;
		op_init(&op, OP_MIGRATE);
		op.proc = (uint8_t)proc_index(g, pr);
		op.addr = aim_addr(g, sp->populated ? sp->populated : sp->mapped);
		op.len = aim_len(g, sp->mapped, op.addr);
		op.node = other_node(g, pr, op.addr);
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
	case G_DEVICE:
	case G_UFFD:
		if (pr < 0 || (k == G_UFFD && !g->o->uffd_ops))
			return false;
		op_init(&op, k == G_UFFD ? OP_UFFD_REGISTER :
			     chance(g, 60) ? OP_DEVICE_MIGRATE : OP_DEVICE_RELEASE);
		op.proc = (uint8_t)proc_index(g, pr);
		if (k == G_UFFD && sp->populated && chance(g, 50)) {
			/* UFFDIO_MOVE: written pages into mapped, empty ones */
			op.code = OP_UFFD_MOVE;
			op.addr2 = aim_addr(g, sp->populated);
			op.addr = aim_addr(g, sp->mapped & ~sp->populated);
			op.len = 1 + rnd(g, 2);
			op.all = chance(g, 25);
			break;
		}
		/* what moves to the device is written anon memory; the rest, mappings */
		op.addr = aim_addr(g, op.code == OP_DEVICE_MIGRATE && sp->populated ?
				      sp->populated : sp->mapped);
		op.len = aim_len(g, sp->mapped, op.addr);
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
	case G_PIN: {
		/* a pin mostly on written, writable pages; the rest at what is pinned */
		unsigned r = rnd(g, 100);

		if (pr < 0 || !g->o->pin_ops)
			return false;
		op_init(&op, r < 40 || !sp->pinned ? OP_PIN : r < 55 ? OP_UNPIN :
			     r < 85 ? OP_PIN_WRITE : OP_PIN_READ);
		op.proc = (uint8_t)proc_index(g, pr);
		if (op.code == OP_PIN) {
			op.addr = aim_addr(g, sp->writable);
			op.len = 1 + rnd(g, (unsigned)shadow_run(sp->writable, op.addr, 2) + 1);
			if (op.addr + op.len > WIN_START + WIN_PAGES)
				op.len = WIN_START + WIN_PAGES - op.addr;
		} else {
			op.addr = aim_addr(g, sp->pinned);
			op.len = 1;
			op.value = op.code == OP_PIN_WRITE ? value(g) : 0;
		}
		break;
	}
	case G_SPLIT:
		if (!g->o->thp_ops)
			return false;
		/* or the other way: khugepaged collapses what is madvised hugepage */
		if (chance(g, 40)) {
			op_init(&op, OP_KHUGEPAGED);
			op.addr = 16 * (1 + rnd(g, 32));
			break;
		}
		/* where mTHPs are: written pages (in a madvised VMA, with luck) */
		if (pr < 0)
			return false;
		op_init(&op, OP_SPLIT);
		op.proc = (uint8_t)proc_index(g, pr);
		op.addr = aim_addr(g, sp->populated ? sp->populated : sp->mapped);
		op.len = aim_len(g, sp->mapped, op.addr);
		break;
	default:
		return false;
	}
	shadow_apply(&g->sh, &op, pr, child);
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
	p->world.thp = oc.thp_ops ? 0x6 : 0;	/* mTHP orders 1 and 2 for madvised VMAs */
	g.nodes = p->world.nodes;

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

/* @code on @proc's [@addr, @addr + @len) by @task (@advice for madvise) */
static void emit_range(struct gen *g, int code, unsigned task, int proc, uint64_t addr,
		       uint64_t len, int advice)
{
	struct mmt_op op;

	op_init(&op, code);
	op.proc = (uint8_t)proc_index(g, proc);
	op.addr = addr;
	op.len = len;
	op.advice = (uint8_t)advice;
	emit(g, &op, task);
}

static void emit_simple(struct gen *g, int code, unsigned task, int proc, uint64_t addr,
			uint64_t len)
{
	emit_range(g, code, task, proc, addr, len, 0);
}

static void emit_madvise(struct gen *g, unsigned task, int proc, uint64_t addr, uint64_t len,
			 int advice)
{
	emit_range(g, OP_MADVISE, task, proc, addr, len, advice);
}

/* @task maps @len read-write pages at @addr in @proc (@mflags: MFL_*) */
static void emit_mmap(struct gen *g, unsigned task, int proc, uint64_t addr, uint64_t len,
		      unsigned mflags)
{
	struct mmt_op op;

	op_init(&op, OP_MMAP);
	op.proc = (uint8_t)proc_index(g, proc);
	op.addr = addr;
	op.len = len;
	op.prot = MPROT_RW;
	op.mflags = (uint8_t)mflags;
	emit(g, &op, task);
}

/* @task writes @first + i to page @addr + i of @proc, for i < @n */
static void emit_writes(struct gen *g, unsigned task, int proc, uint64_t addr, unsigned n,
			uint64_t first)
{
	struct mmt_op op;

	for (unsigned i = 0; i < n; i++) {
		op_init(&op, OP_WRITE);
		op.proc = (uint8_t)proc_index(g, proc);
		op.addr = addr + i;
		op.value = first + i;
		emit(g, &op, task);
	}
}

/*
 * What every race template starts with: default options, a fresh generator
 * on @p seeded with @seed (the template's salt mixed in), and its task and
 * op counts clamped to 2..MMT_MAX_TASKS and 1..16.
 */
static void race_begin(struct gen *g, struct mmt_gen_opts *o, struct mmt_program *p,
		       uint64_t seed, unsigned *nr_tasks, unsigned *nr_ops)
{
	mmt_gen_opts_default(o);
	if (*nr_tasks < 2)
		*nr_tasks = 2;
	if (*nr_tasks > MMT_MAX_TASKS)
		*nr_tasks = MMT_MAX_TASKS;
	if (*nr_ops < 1)
		*nr_ops = 1;
	if (*nr_ops > 16)
		*nr_ops = 16;
	memset(g, 0, sizeof(*g));
	g->s = seed;
	g->p = p;
	g->o = o;
}

/* a template on a fresh generator: race_begin, then @tmpl */
static int race_run(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops,
		    int (*tmpl)(struct gen *g, unsigned nr_tasks, unsigned nr_ops))
{
	struct mmt_gen_opts o;
	struct gen g;

	race_begin(&g, &o, p, seed, &nr_tasks, &nr_ops);
	return tmpl(&g, nr_tasks, nr_ops);
}

/*
 * The KSM race template (seed 001): p0's pages hold one value, ksmd merges
 * them (with p1's, forked first, now and then, and with merge_across_nodes
 * 0 now and then), then task 0 migrates the KSM pages back and forth while
 * the racers run ksmd passes, write (copy on write of a KSM page), read,
 * fork, unmerge, munmap and exit children.  Now and then the world has swap:
 * the pages may then go out and come back before they merge (KSM pages in
 * the swap cache, which migration freezes), and the racers also reclaim
 * (KSM pages through rmap_walk_ksm into the swap cache) and set run = 2,
 * which unmerges everything while the others fault pages back in.  Now and
 * then p0's four pages are one order-2 mTHP (issue 13): ksmd then splits it
 * to merge its equal pages (the same folio on both sides: 77da2ba0648a's
 * retried split), and the racers pin pages, which makes a split fail.
 * The mTHP case is a side draw, so the other programs stay what they were
 * under the same seed.
 */
static int gen_race_ksm(struct gen *g, unsigned nr_tasks, unsigned nr_ops)
{
	struct mmt_program *p = g->p;
	struct mmt_op op;
	unsigned npages, i, t;
	int next_child = 2;
	bool swap = chance(g, 35);
	bool mthp = side_chance(g, 0x6d746870ull, 35);	/* "mthp" */

	p->world.present = true;
	p->world.nodes = 2;
	p->world.frames = 32;
	p->world.swap = swap ? 16 : 0;

	npages = 2 + rnd(g, 3);
	if (mthp) {
		p->world.thp = 0x4;
		npages = 4;
	}
	if (chance(g, 40)) {
		op_init(&op, OP_KSM_MERGE_ACROSS_NODES);
		emit(g, &op, 0);
	}
	emit_simple(g, OP_SPAWN, 0, 0, 0, 0);
	emit_mmap(g, 0, 0, WIN_START, npages, MFL_PRIVATE | MFL_ANON);
	if (mthp)	/* the first write fault makes the order-2 folio */
		emit_madvise(g, 0, 0, WIN_START, npages, ADV_HUGEPAGE);
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
	emit_madvise(g, 0, 0, WIN_START, npages, ADV_MERGEABLE);
	if (swap && side_chance(g, 0x73776170696eull, 50)) {	/* "swapin" */
		/*
		 * out to swap and read back in: the pages stay in the swap
		 * cache, ksmd merges them there, and migrating one freezes
		 * a KSM page's refcount under the cache's lock
		 */
		op_init(&op, OP_RECLAIM);
		op.addr = 32;
		emit(g, &op, 0);
		for (i = 0; i < npages; i++) {
			op_init(&op, OP_READ);
			op.proc = (uint8_t)proc_index(g, 0);
			op.addr = WIN_START + i;
			emit(g, &op, 0);
		}
	}
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

			if (swap && chance(g, 30)) {
				if (chance(g, 50)) {
					op_init(&op, OP_RECLAIM);
					op.addr = 8;
				} else {
					op_init(&op, OP_KSM_RUN);
					op.addr = 2;	/* unmerge everything */
				}
				emit(g, &op, t);
			} else if (r < 30) {
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
			} else if (mthp && chance(g, 50)) {
				/* a pin: the folio cannot split, the merge fails */
				emit_simple(g, OP_PIN, t, who, addr, 1);
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

	race_begin(&g, &o, p, seed ^ 0x72616365u, &nr_tasks, &nr_ops);	/* "race" */
	p->world.present = true;
	p->world.nodes = 2;
	p->world.frames = 32;
	p->world.swap = 0;

	/* task 0: the process, its pages, maybe a child that COW-shares them */
	npages = 1 + rnd(&g, 2);
	emit_simple(&g, OP_SPAWN, 0, 0, 0, 0);
	emit_mmap(&g, 0, 0, WIN_START, npages, MFL_PRIVATE | MFL_ANON);
	emit_writes(&g, 0, 0, WIN_START, npages, 1);
	if (chance(&g, 50)) {
		op_init(&op, OP_FORK);
		op.proc = (uint8_t)proc_index(&g, 0);
		op.proc2 = (uint8_t)proc_index(&g, 1);
		emit(&g, &op, 0);
		g.live[1] = true;
		emit_writes(&g, 0, 0, WIN_START, npages, 0x10);
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
			} else if (r == 97 || r == 98) {
				/* migrate_vma meets the migration: to the device, or back */
				emit_simple(&g, r == 97 ? OP_DEVICE_MIGRATE : OP_DEVICE_RELEASE, t, 0,
					    WIN_START, npages);
			} else {
				emit_simple(&g, OP_MUNMAP, t, 0, addr, 1);
			}
		}
	}
	return g.err;
}

/* ------------------------------------------------ device race template */

/*
 * The shape in which migrate_vma races live: task 0 takes p0's pages to the
 * device and back (each round three steps with yield points between them),
 * while the other tasks fault on them (migration entries, device-private
 * entries and migrate_to_ram), fork, zap them (MADV_DONTNEED runs under
 * mmap_lock read, inside migrate_vma's window), unmap them, reclaim and
 * move_pages.
 */
int mmt_gen_race_device(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops)
{
	struct mmt_gen_opts o;
	struct gen g;
	struct mmt_op op;
	unsigned npages, i, t;
	int next_child = 2;

	race_begin(&g, &o, p, seed ^ 0x686d6du, &nr_tasks, &nr_ops);	/* "hmm" */

	p->world.present = true;
	p->world.nodes = 2;
	p->world.frames = 32;
	p->world.swap = 16;

	/* task 0: the process, some pages written, some holes, maybe a COW child */
	npages = 2 + rnd(&g, 3);
	emit_simple(&g, OP_SPAWN, 0, 0, 0, 0);
	emit_mmap(&g, 0, 0, WIN_START, npages, MFL_PRIVATE | MFL_ANON);
	for (i = 0; i < npages; i++) {
		if (chance(&g, 25))
			continue;	/* a hole for migrate_vma to populate */
		op_init(&op, OP_WRITE);
		op.proc = (uint8_t)proc_index(&g, 0);
		op.addr = WIN_START + i;
		op.value = 1 + i;
		emit(&g, &op, 0);
	}
	if (chance(&g, 40)) {
		op_init(&op, OP_FORK);
		op.proc = (uint8_t)proc_index(&g, 0);
		op.proc2 = (uint8_t)proc_index(&g, 1);
		emit(&g, &op, 0);
	}
	if (chance(&g, 20))
		emit_simple(&g, OP_UFFD_REGISTER, 0, 0, WIN_START + rnd(&g, npages), 1);
	/* task 0 goes on: to the device and back */
	for (i = 0, t = 1 + rnd(&g, 3); i < t; i++)
		emit_simple(&g, i & 1 ? OP_DEVICE_RELEASE : OP_DEVICE_MIGRATE, 0, 0, WIN_START,
			    npages);

	/* the racers: what meets a collect, a copy or a finalize */
	for (t = 1; t < nr_tasks; t++) {
		for (i = 0; i < nr_ops; i++) {
			unsigned r = rnd(&g, 100);
			uint64_t addr = WIN_START + rnd(&g, npages);

			if (r < 25) {
				op_init(&op, OP_WRITE);
				op.proc = (uint8_t)proc_index(&g, 0);
				op.addr = addr;
				op.value = 0x100 * t + i;
				emit(&g, &op, t);
			} else if (r < 45) {
				emit_simple(&g, OP_READ, t, 0, addr, 0);
			} else if (r < 57 && next_child < 8) {
				op_init(&op, OP_FORK);
				op.proc = (uint8_t)proc_index(&g, 0);
				op.proc2 = (uint8_t)proc_index(&g, next_child++);
				emit(&g, &op, t);
			} else if (r < 67) {
				op_init(&op, OP_MADVISE);
				op.proc = (uint8_t)proc_index(&g, 0);
				op.addr = addr;
				op.len = 1;
				op.advice = chance(&g, 50) ? ADV_DONTNEED : ADV_PAGEOUT;
				emit(&g, &op, t);
			} else if (r < 75) {
				op_init(&op, OP_MIGRATE);
				op.proc = (uint8_t)proc_index(&g, 0);
				op.addr = addr;
				op.len = 1;
				op.node = (int32_t)rnd(&g, 2);
				op.all = true;
				emit(&g, &op, t);
			} else if (r < 83) {
				op_init(&op, OP_RECLAIM);
				op.addr = 1 + rnd(&g, 8);
				emit(&g, &op, t);
			} else if (r < 90) {
				op_init(&op, OP_MPROTECT);
				op.proc = (uint8_t)proc_index(&g, 0);
				op.addr = WIN_START;
				op.len = npages;
				op.prot = chance(&g, 60) ? MPROT_R : MPROT_RW;
				emit(&g, &op, t);
			} else if (r < 95) {
				emit_simple(&g, OP_DEVICE_RELEASE, t, 0, addr, 1);
			} else {
				emit_simple(&g, OP_MUNMAP, t, 0, addr, 1);
			}
		}
	}
	return g.err;
}

int mmt_gen_race_ksm(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops)
{
	return race_run(p, seed ^ 0x6b736du, nr_tasks, nr_ops, gen_race_ksm);	/* "ksm" */
}

/*
 * The UFFDIO_MOVE race template (seed 003): p0 writes pages in one VMA
 * (the source) and registers another (the destination) with userfaultfd.
 * Now and then the pages are first made active: a forked child reads them
 * (two young ptes), a reclaim pass activates them, the child exits and p0
 * writes them again (exclusive once more), so that reclaim's active-list
 * pass walks them with folio_referenced, unlocked.  Then task 0 moves the
 * pages one by one and reads them at their new place while task 1
 * reclaims (the referenced walk, and try_to_unmap to swap) and the other
 * tasks fork, write, read and exit.
 */
static int gen_race_uffd(struct gen *g, unsigned nr_tasks, unsigned nr_ops)
{
	struct mmt_program *p = g->p;
	const uint64_t src = WIN_START, dst = WIN_START + 0x10;
	struct mmt_op op;
	unsigned npages, i, t;
	int next_child = 2;

	p->world.present = true;
	p->world.nodes = 2;
	p->world.frames = 32;
	p->world.swap = 16;

	npages = 1 + rnd(g, 3);
	emit_simple(g, OP_SPAWN, 0, 0, 0, 0);
	for (i = 0; i < 2; i++) {
		emit_mmap(g, 0, 0, i ? dst : src, npages, MFL_PRIVATE | MFL_ANON);
	}
	emit_simple(g, OP_UFFD_REGISTER, 0, 0, dst, npages);
	emit_writes(g, 0, 0, src, npages, 1);
	if (chance(g, 60)) {
		op_init(&op, OP_FORK);
		op.proc = (uint8_t)proc_index(g, 0);
		op.proc2 = (uint8_t)proc_index(g, 1);
		emit(g, &op, 0);
		for (i = 0; i < npages; i++)
			emit_simple(g, OP_READ, 0, 1, src + i, 0);
		op_init(&op, OP_RECLAIM);
		op.addr = npages;
		emit(g, &op, 0);
		emit_simple(g, OP_EXIT, 0, 1, 0, 0);
		emit_writes(g, 0, 0, src, npages, 0x10);
	}
	/* task 0: the moves, each page read at its new place */
	for (i = 0; i < npages; i++) {
		op_init(&op, OP_UFFD_MOVE);
		op.proc = (uint8_t)proc_index(g, 0);
		op.addr = dst + i;
		op.addr2 = src + i;
		op.len = 1;
		op.all = chance(g, 20);
		emit(g, &op, 0);
		if (chance(g, 70))
			emit_simple(g, OP_READ, 0, 0, dst + i, 0);
	}
	/* the racers */
	for (t = 1; t < nr_tasks; t++) {
		for (i = 0; i < nr_ops; i++) {
			unsigned r = rnd(g, 100);
			uint64_t addr = src + rnd(g, npages);

			if (t == 1 && r < 60) {
				op_init(&op, OP_RECLAIM);
				op.addr = 1 + rnd(g, 2 * npages);
				emit(g, &op, t);
			} else if (r < 70 && next_child < 8) {
				op_init(&op, OP_FORK);
				op.proc = (uint8_t)proc_index(g, 0);
				op.proc2 = (uint8_t)proc_index(g, next_child);
				emit(g, &op, t);
				if (chance(g, 50))
					emit_simple(g, OP_EXIT, t, next_child, 0, 0);
				next_child++;
			} else if (r < 80) {
				op_init(&op, OP_WRITE);
				op.proc = (uint8_t)proc_index(g, 0);
				op.addr = chance(g, 50) ? addr : addr + (dst - src);
				op.value = 0x100 * t + i;
				emit(g, &op, t);
			} else if (r < 90) {
				emit_simple(g, OP_READ, t, 0, chance(g, 50) ? addr : addr + (dst - src), 0);
			} else {
				emit_madvise(g, t, 0, addr, 1, ADV_PAGEOUT);
			}
		}
	}
	return g->err;
}

int mmt_gen_race_uffd(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops)
{
	return race_run(p, seed ^ 0x756666u, nr_tasks, nr_ops, gen_race_uffd);	/* "uff" */
}

/* ------------------------------------------------ mremap race template */

/*
 * The mremap race template (issue 16 item 3): p0's written pages at home,
 * and, most of the time, a tail piece of them moved away first, so that
 * the anon_vma has VMAs at two offsets and a move back lands next to the
 * piece's origin, where copy_vma merges it into a VMA that rmap walks visit
 * first.  Task 0 migrates and pages out pages where they are now (rmap
 * walks with yield points); the racers move pieces back, or further on,
 * split VMAs with mprotect (re-sorting the anon_vma's list), fork, write,
 * read and run the idle page tracker.  Now and then the mapping is the
 * memfd's instead: the same moves reorder its i_mmap, and remap_file_pages
 * puts new VMAs at other offsets of the object among them.  Clamped as
 * mmt_gen_race.
 */
static int gen_race_mremap(struct gen *g, unsigned nr_tasks, unsigned nr_ops)
{
	struct mmt_program *p = g->p;
	const uint64_t home = WIN_START, away = WIN_START + 0x10, further = WIN_START + 0x18;
	struct mmt_op op;
	unsigned npages, moved = 0, i, t;
	int next_child = 2;
	bool file;

	p->world.present = true;
	p->world.nodes = 2;
	p->world.frames = 32;
	p->world.swap = chance(g, 30) ? 16 : 0;

	npages = 2 + rnd(g, 3);
	/* now and then the memfd: i_mmap's order, and remap_file_pages */
	file = chance(g, 30);
	emit_simple(g, OP_SPAWN, 0, 0, 0, 0);
	emit_mmap(g, 0, 0, home, npages, file ? MFL_SHARED : MFL_PRIVATE | MFL_ANON);
	emit_writes(g, 0, 0, home, npages, 1);
	if (chance(g, 75)) {
		moved = 1 + rnd(g, npages - 1);
		op_init(&op, OP_MREMAP);
		op.proc = (uint8_t)proc_index(g, 0);
		op.addr = home + npages - moved;
		op.len = moved;
		op.addr2 = away;
		op.len2 = moved;
		emit(g, &op, 0);
	}
	if (chance(g, 25)) {
		op_init(&op, OP_FORK);
		op.proc = (uint8_t)proc_index(g, 0);
		op.proc2 = (uint8_t)proc_index(g, 1);
		emit(g, &op, 0);
	}
	/* task 0: the long operations, on pages where they are now */
	for (i = 0, t = 1 + rnd(g, 2); i < t; i++) {
		uint64_t addr = moved && chance(g, 70) ? away + rnd(g, moved)
						       : home + rnd(g, npages - moved);

		if (p->world.swap && chance(g, 35)) {
			emit_madvise(g, 0, 0, addr, 1, ADV_PAGEOUT);
		} else {
			op_init(&op, OP_MIGRATE);
			op.proc = (uint8_t)proc_index(g, 0);
			op.addr = addr;
			op.len = 1;
			op.node = (int32_t)((i + 1) % 2);
			emit(g, &op, 0);
		}
	}
	/* the racers: what moves, splits or shares the VMAs under the walks */
	for (t = 1; t < nr_tasks; t++) {
		for (i = 0; i < nr_ops; i++) {
			unsigned r = rnd(g, 100);
			uint64_t addr = home + rnd(g, npages);

			op_init(&op, OP_MREMAP);
			op.proc = (uint8_t)proc_index(g, 0);
			if (file && r < 15) {
				/* a new VMA at another offset of the object, on the range */
				op_init(&op, OP_REMAP_FILE_PAGES);
				op.proc = (uint8_t)proc_index(g, 0);
				op.addr = moved && chance(g, 50) ? away : addr;
				op.len = 1;
				op.addr2 = chance(g, 50) ? home + rnd(g, npages) : away + rnd(g, 2);
				emit(g, &op, t);
			} else if (r < 45 && moved) {
				/* back next to its origin: copy_vma merges it */
				op.addr = away;
				op.len = moved;
				op.addr2 = home + npages - moved;
				op.len2 = moved;
				emit(g, &op, t);
			} else if (r < 60) {
				op.addr = moved && chance(g, 50) ? away : home;
				op.len = 1;
				op.addr2 = further + rnd(g, 4);
				op.len2 = 1;
				emit(g, &op, t);
			} else if (r < 72) {
				op_init(&op, OP_MPROTECT);
				op.proc = (uint8_t)proc_index(g, 0);
				op.addr = addr;
				op.len = 1;
				op.prot = chance(g, 60) ? MPROT_R : MPROT_RW;
				emit(g, &op, t);
			} else if (r < 80 && next_child < 8) {
				op_init(&op, OP_FORK);
				op.proc = (uint8_t)proc_index(g, 0);
				op.proc2 = (uint8_t)proc_index(g, next_child++);
				emit(g, &op, t);
			} else if (r < 90) {
				op_init(&op, OP_WRITE);
				op.proc = (uint8_t)proc_index(g, 0);
				op.addr = moved && chance(g, 50) ? away + rnd(g, moved) : addr;
				op.value = 0x100 * t + i;
				emit(g, &op, t);
			} else if (r < 95) {
				emit_simple(g, OP_READ, t, 0,
					    moved && chance(g, 50) ? away + rnd(g, moved) : addr, 0);
			} else {
				/* the idle page tracker: rmap walks without the folio lock */
				op_init(&op, OP_PAGE_IDLE);
				op.addr = 16;
				emit(g, &op, t);
			}
		}
	}
	return g->err;
}

int mmt_gen_race_mremap(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops)
{
	return race_run(p, seed ^ 0x6d726du, nr_tasks, nr_ops, gen_race_mremap);	/* "mrm" */
}

/* ------------------------------------------------ split race template */

/*
 * A THP race template's start: one node of @frames frames, 8 swap slots,
 * the anon THP orders @thp set to "madvise"; p0 with @npages private
 * anonymous pages at @start.
 */
static void thp_race_start_at(struct gen *g, uint64_t start, unsigned npages, uint32_t frames,
			      uint32_t thp)
{
	struct mmt_program *p = g->p;

	p->world.present = true;
	p->world.nodes = 1;
	p->world.frames = frames;
	p->world.swap = 8;
	p->world.thp = thp;

	emit_simple(g, OP_SPAWN, 0, 0, 0, 0);
	emit_mmap(g, 0, 0, start, npages, MFL_PRIVATE | MFL_ANON);
}

/* the mTHP race templates': 32 frames, order 2, @npages at WIN_START */
static void thp_race_start(struct gen *g, unsigned npages)
{
	thp_race_start_at(g, WIN_START, npages, 32, 0x4);
}

/*
 * The split race template (issue 13): a 4-page mTHP of p0, maybe COW-shared
 * with a child that keeps only some of its pages (a munmap or MADV_DONTNEED
 * of a prefix), maybe partly unmapped in p0 too.  Task 0 splits it
 * (MADV_PAGEOUT of p0's pages, the first of which p0 alone maps, the split
 * op, or a reclaim pass whose deferred-split scan meets it) while the other
 * tasks break COW in the child or in p0, zap, read, exit and split it too
 * (the split op: a trylock that fails while task 0 holds the folio, or a
 * folio already split): the ptes cleared under a ptl while split's rmap
 * walk goes by.
 */
static int gen_race_split(struct gen *g, unsigned nr_tasks, unsigned nr_ops)
{
	const unsigned npages = 4;
	struct mmt_op op;
	unsigned i, t, keep = 0, r0;
	bool child = false;

	thp_race_start(g, npages);
	emit_madvise(g, 0, 0, WIN_START, npages, ADV_HUGEPAGE);
	/* one write faults the whole mTHP in */
	op_init(&op, OP_WRITE);
	op.proc = (uint8_t)proc_index(g, 0);
	op.addr = WIN_START + rnd(g, npages);
	op.value = 1;
	emit(g, &op, 0);
	if (chance(g, 80)) {
		op_init(&op, OP_FORK);
		op.proc = (uint8_t)proc_index(g, 0);
		op.proc2 = (uint8_t)proc_index(g, 1);
		emit(g, &op, 0);
		g->live[1] = child = true;
		/*
		 * The child lets go of a prefix, mostly all but the last page:
		 * the folio's first page is then p0's alone (MADV_PAGEOUT does
		 * not take it for shared), and a COW of the child's last page
		 * holds the only ptl split's walk then needs in the child.
		 */
		keep = chance(g, 75) ? npages - 1 : rnd(g, npages);
		if (keep) {
			op_init(&op, chance(g, 50) ? OP_MUNMAP : OP_MADVISE);
			op.proc = (uint8_t)proc_index(g, 1);
			op.addr = WIN_START;
			op.len = keep;
			op.advice = ADV_DONTNEED;
			emit(g, &op, 0);
		}
	}
	if (chance(g, 25))	/* partly mapped: the deferred split queue */
		emit_simple(g, OP_MUNMAP, 0, 0, WIN_START, 1);

	/* task 0: the split (MADV_PAGEOUT, the split op, or the deferred split scan) */
	r0 = rnd(g, 100);
	if (r0 < 50) {
		emit_madvise(g, 0, 0, WIN_START + rnd(g, npages), 1, ADV_PAGEOUT);
	} else if (r0 < 75) {
		emit_simple(g, OP_SPLIT, 0, 0, WIN_START + rnd(g, npages), 1 + rnd(g, npages));
	} else {
		op_init(&op, OP_RECLAIM);
		op.addr = 1 + rnd(g, npages);
		emit(g, &op, 0);
	}

	/* the racers: COW, zaps, reads */
	for (t = 1; t < nr_tasks; t++) {
		for (i = 0; i < nr_ops; i++) {
			unsigned r = rnd(g, 100);
			int who = child && chance(g, 70) ? 1 : 0;
			uint64_t addr = WIN_START + (who ? keep + rnd(g, npages - keep) : rnd(g, npages));

			if (r < 60) {
				op_init(&op, OP_WRITE);
				op.proc = (uint8_t)proc_index(g, who);
				op.addr = addr;
				op.value = 0x100 * t + i;
				emit(g, &op, t);
			} else if (r < 72) {
				emit_madvise(g, t, who, addr, 1, ADV_DONTNEED);
			} else if (r < 84) {
				emit_simple(g, OP_READ, t, who, addr, 0);
			} else if (r < 90) {
				/*
				 * a second splitter, from a page this process maps
				 * to the folio's end (the walk stops at a hole):
				 * the folio's lock is busy, or it is split
				 */
				emit_simple(g, OP_SPLIT, t, who, addr, WIN_START + npages - addr);
			} else if (r < 95 && child) {
				emit_simple(g, OP_EXIT, t, 1, 0, 0);
				child = false;
			} else {
				emit_simple(g, OP_MUNMAP, t, who, addr, 1);
			}
		}
	}
	return g->err;
}

int mmt_gen_race_split(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops)
{
	return race_run(p, seed ^ 0x73706cu, nr_tasks, nr_ops, gen_race_split);	/* "spl" */
}

/* --------------------------------------------- khugepaged race template */

/*
 * The khugepaged race template (issue 13 item 3): p0 writes some pages of a
 * range one at a time before madvising it hugepage (order-0 pages, the mm
 * registered), maybe forks a child first; task 0 runs khugepaged passes,
 * which drop mmap_lock to allocate and take it again for write, while the
 * other tasks shrink, split or replace the VMA (munmap, mprotect,
 * MADV_NOHUGEPAGE, mremap away), write, read, zap, pin and page out the
 * range.  The range is 4 pages collapsed into an order-2 mTHP, or, one
 * time in three, the aligned 32 pages at 0x20 collapsed into a PMD-mapped
 * THP (thp=0x20, 128 frames).
 */
static int gen_race_khugepaged(struct gen *g, unsigned nr_tasks, unsigned nr_ops)
{
	const bool pmd = chance(g, 33);
	const unsigned npages = pmd ? 32 : 4;
	const uint64_t start = pmd ? 0x20 : WIN_START;
	struct mmt_op op;
	unsigned i, t;
	bool child = false;

	if (pmd)
		thp_race_start_at(g, start, npages, 128, 0x20);
	else
		thp_race_start(g, npages);
	/* order-0 pages: written before the VMA is VM_HUGEPAGE */
	for (i = 0; i < npages; i++) {
		if (i && chance(g, pmd ? 75 : 40))
			continue;
		op_init(&op, OP_WRITE);
		op.proc = (uint8_t)proc_index(g, 0);
		op.addr = start + i;
		op.value = 1 + i;
		emit(g, &op, 0);
	}
	if (chance(g, 20)) {
		op_init(&op, OP_FORK);
		op.proc = (uint8_t)proc_index(g, 0);
		op.proc2 = (uint8_t)proc_index(g, 1);
		emit(g, &op, 0);
		g->live[1] = child = true;
	}
	emit_madvise(g, 0, 0, start, npages, ADV_HUGEPAGE);

	/* task 0: khugepaged */
	op_init(&op, OP_KHUGEPAGED);
	op.addr = 64;
	emit(g, &op, 0);

	for (t = 1; t < nr_tasks; t++) {
		for (i = 0; i < nr_ops; i++) {
			unsigned r = rnd(g, 100);
			int who = child && chance(g, 30) ? 1 : 0;
			uint64_t addr = start + rnd(g, npages);

			if (r < 20) {
				emit_simple(g, OP_MUNMAP, t, who, addr, 1 + rnd(g, 2));
			} else if (r < 30) {
				op_init(&op, OP_MPROTECT);
				op.proc = (uint8_t)proc_index(g, who);
				op.addr = addr;
				op.len = 1;
				op.prot = MPROT_R;
				emit(g, &op, t);
			} else if (r < 38) {
				emit_madvise(g, t, who, addr, 1, chance(g, 50) ? ADV_NOHUGEPAGE :
								  ADV_PAGEOUT);
			} else if (r < 45) {
				op_init(&op, OP_MREMAP);
				op.proc = (uint8_t)proc_index(g, who);
				op.addr = addr;
				op.len = 1;
				op.addr2 = start + npages + 4 + rnd(g, 4);
				op.len2 = 1;
				emit(g, &op, t);
			} else if (r < 70) {
				op_init(&op, OP_WRITE);
				op.proc = (uint8_t)proc_index(g, who);
				op.addr = addr;
				op.value = 0x100 * t + i;
				emit(g, &op, t);
			} else if (r < 80) {
				emit_simple(g, OP_READ, t, who, addr, 0);
			} else if (r < 88) {
				emit_madvise(g, t, who, addr, 1, ADV_DONTNEED);
			} else if (r < 95) {
				emit_simple(g, OP_PIN, t, who, addr, 1);
			} else {
				op_init(&op, OP_KHUGEPAGED);
				op.addr = 64;
				emit(g, &op, t);
			}
		}
	}
	return g->err;
}

int mmt_gen_race_khugepaged(struct mmt_program *p, uint64_t seed, unsigned nr_tasks,
			    unsigned nr_ops)
{
	return race_run(p, seed ^ 0x6b6870u, nr_tasks, nr_ops, gen_race_khugepaged);	/* "khp" */
}

/* ------------------------------------------------- PMD THP template */

/*
 * The PMD THP template (issue 13): two nodes of 64 frames, 64 swap slots,
 * the PMD-sized THP enabled (order 5: 32 pages, what one pmd maps) and now
 * and then order 2 as well; p0 maps the aligned range 0x20..0x40 (or
 * 0x1c..0x44, ragged ends around it), madvises it hugepage and writes one
 * page: a huge pmd.  Then every task does @nr_ops things to it: writes and
 * reads (COW of a shared huge pmd splits it), pins and the device's
 * accesses through them, fork (copy_huge_pmd, or a split for a pinned
 * folio) and a child's exit, MADV_DONTNEED of part or all of it (split or
 * zap_huge_pmd), munmap, mremap and mprotect of part (split at the VMA
 * boundary), mprotect of all of it (change_huge_pmd), UFFDIO_MOVE of all of
 * it (move_pages_huge_pmd) or of a page, migration (the rmap splits the pmd, the folio moves whole),
 * MADV_PAGEOUT, the split op, reclaim, khugepaged, KSM (MADV_MERGEABLE and
 * ksmd passes, which split a PMD THP to merge a page).  Forks are task 0's, in
 * a one-task program anywhere, with more tasks before the others start.
 */
static int gen_thp(struct gen *g, unsigned nr_tasks, unsigned nr_ops)
{
	struct mmt_program *p = g->p;
	bool ragged = chance(g, 25), mthp = chance(g, 25);
	uint64_t base = ragged ? 0x1c : 0x20, len = ragged ? 40 : 32;
	unsigned pinned[GEN_MAX_PROCS] = { 0 };
	bool uffd_dst[GEN_MAX_PROCS] = { false };
	int nchild = 0;
	struct mmt_op op;

	p->world.present = true;
	p->world.nodes = 2;
	p->world.frames = 128;
	p->world.swap = 64;
	p->world.thp = mthp ? 0x24 : 0x20;

	emit_simple(g, OP_SPAWN, 0, 0, 0, 0);
	g->live[0] = true;
	emit_mmap(g, 0, 0, base, len, MFL_PRIVATE | MFL_ANON);
	emit_madvise(g, 0, 0, base, len, ADV_HUGEPAGE);
	emit_writes(g, 0, 0, 0x20 + rnd(g, 32), 1, 1);
	if (nr_tasks > 1 && chance(g, 60)) {
		op_init(&op, OP_FORK);
		op.proc = (uint8_t)proc_index(g, 0);
		op.proc2 = (uint8_t)proc_index(g, 1);
		emit(g, &op, 0);
		g->live[1] = true;
		nchild = 1;
	}

	for (unsigned t = 0; t < nr_tasks; t++) {
		for (unsigned i = 0; i < nr_ops; i++) {
			unsigned r = rnd(g, 100);
			int who = 0;
			uint64_t addr = 0x20 + rnd(g, 32), n = 1 + rnd(g, 4);

			for (int k = (int)rnd(g, GEN_MAX_PROCS); k >= 0; k--)
				if (g->live[k] && k < 4) {
					who = k;
					break;
				}
			if (r < 25) {
				emit_writes(g, t, who, addr, 1, 0x100 * (t + 1) + i);
			} else if (r < 33) {
				emit_simple(g, OP_READ, t, who, addr, 0);
			} else if (r < 40 && nr_tasks == 1 && nchild < 3) {
				op_init(&op, OP_FORK);
				op.proc = (uint8_t)proc_index(g, who);
				op.proc2 = (uint8_t)proc_index(g, ++nchild);
				emit(g, &op, t);
				g->live[nchild] = true;
			} else if (r < 48) {
				emit_simple(g, OP_PIN, t, who, addr, 1);
				pinned[who] = (unsigned)addr;
			} else if (r < 54 && pinned[who]) {
				unsigned k = rnd(g, 3);

				op_init(&op, k == 0 ? OP_PIN_WRITE : k == 1 ? OP_PIN_READ : OP_UNPIN);
				op.proc = (uint8_t)proc_index(g, who);
				op.addr = pinned[who];
				op.len = 1;
				op.value = op.code == OP_PIN_WRITE ? 0x9000 + i : 0;
				emit(g, &op, t);
			} else if (r < 62) {
				if (chance(g, 30))
					emit_madvise(g, t, who, 0x20, 32, ADV_DONTNEED);
				else
					emit_madvise(g, t, who, addr, n, ADV_DONTNEED);
			} else if (r < 67) {
				emit_simple(g, OP_MUNMAP, t, who, addr, n);
			} else if (r < 72) {
				/* of all of it: change_huge_pmd; of a part: a VMA split */
				bool whole = chance(g, 40);

				op_init(&op, OP_MPROTECT);
				op.proc = (uint8_t)proc_index(g, who);
				op.addr = whole ? 0x20 : addr;
				op.len = whole ? 32 : n;
				op.prot = chance(g, 60) ? MPROT_R : MPROT_RW;
				emit(g, &op, t);
			} else if (r < 74) {
				op_init(&op, OP_MREMAP);
				op.proc = (uint8_t)proc_index(g, who);
				op.addr = chance(g, 50) ? 0x20 : addr;
				op.len = op.addr == 0x20 ? 32 : 1;
				op.addr2 = 0x80 + rnd(g, 2) * 0x10;
				op.len2 = op.len;
				emit(g, &op, t);
			} else if (r < 75) {
				/*
				 * UFFDIO_MOVE, of the whole THP (move_pages_huge_pmd)
				 * or of one page, into 0xc0..0x100, which the mover
				 * maps and registers first: only then, so that
				 * programs without one stay as they were
				 */
				bool whole = chance(g, 50);
				uint64_t to = 0xc0 + rnd(g, 2) * 0x20;

				if (!uffd_dst[who]) {
					emit_mmap(g, t, who, 0xc0, 0x40, MFL_PRIVATE | MFL_ANON);
					emit_simple(g, OP_UFFD_REGISTER, t, who, 0xc0, 0x40);
					uffd_dst[who] = true;
				}
				op_init(&op, OP_UFFD_MOVE);
				op.proc = (uint8_t)proc_index(g, who);
				op.addr = whole ? to : to + (addr - 0x20);
				op.addr2 = whole ? 0x20 : addr;
				op.len = whole ? 32 : 1;
				emit(g, &op, t);
			} else if (r < 81) {
				op_init(&op, OP_MIGRATE);
				op.proc = (uint8_t)proc_index(g, who);
				op.addr = addr;
				op.len = chance(g, 50) ? 1 : 32;
				op.node = (uint8_t)rnd(g, 2);
				op.all = chance(g, 30);
				emit(g, &op, t);
			} else if (r < 86) {
				emit_madvise(g, t, who, chance(g, 50) ? 0x20 : addr,
					     chance(g, 50) ? 32 : n, ADV_PAGEOUT);
			} else if (r < 90) {
				emit_simple(g, OP_SPLIT, t, who, addr, n);
			} else if (r < 94) {
				op_init(&op, OP_RECLAIM);
				op.addr = 1 + rnd(g, 40);
				emit(g, &op, t);
			} else if (r < 96) {
				/* a split pmd's ptes collapse into a new THP; order 2 with mthp */
				op_init(&op, OP_KHUGEPAGED);
				op.addr = 64;
				emit(g, &op, t);
			} else if (r < 98) {
				/* KSM: ksmd splits a PMD THP to merge a page of it */
				if (chance(g, 50)) {
					emit_madvise(g, t, who, 0x20, 32, ADV_MERGEABLE);
				} else {
					op_init(&op, OP_KSMD);
					op.addr = 64;
					emit(g, &op, t);
				}
			} else if (who) {
				emit_simple(g, OP_EXIT, t, who, 0, 0);
				g->live[who] = false;
				pinned[who] = 0;
			} else {
				emit_simple(g, OP_READ, t, 0, addr, 0);
			}
		}
	}
	return g->err;
}

int mmt_gen_thp(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops)
{
	struct mmt_gen_opts o;
	struct gen g;

	mmt_gen_opts_default(&o);
	if (nr_tasks < 1)
		nr_tasks = 1;
	if (nr_tasks > MMT_MAX_TASKS)
		nr_tasks = MMT_MAX_TASKS;
	if (nr_ops < 1 || nr_ops > 64)
		nr_ops = 10;
	memset(&g, 0, sizeof(g));
	g.s = seed ^ 0x706d64u;	/* "pmd" */
	g.p = p;
	g.o = &o;
	return gen_thp(&g, nr_tasks, nr_ops);
}

/* ------------------------------------------- the anon_vma lifecycle */

/*
 * The fork-tree template (issue 16 item 3): one task, p0's small anonymous
 * mapping written once, then a process tree grown and pruned at random:
 * forks (mostly from the newest process, so that anon_vma chains grow
 * deep), exits (so that anon_vmas lose their VMAs but stay on the chains
 * of descendants, which fork may then reuse), mprotects of one page that
 * split or merge a VMA (each half one more user of its anon_vma, and
 * merges that trust "same anon_vma, same chain"), and writes that put
 * folios in the anon_vmas of the moment.  Up to four processes live.
 */
int mmt_gen_forks(struct mmt_program *p, uint64_t seed, unsigned nr_ops)
{
	enum { SLOTS = GEN_MAX_PROCS, PAGES = 2 };
	struct mmt_gen_opts o;
	struct gen g;
	bool rw[SLOTS][PAGES];
	int order[SLOTS], nord = 0;	/* live slots, oldest first */
	struct mmt_op op;

	mmt_gen_opts_default(&o);
	memset(&g, 0, sizeof(g));
	g.s = seed ^ 0x666f726bu;	/* "fork" */
	g.p = p;
	g.o = &o;
	if (nr_ops < 1 || nr_ops > 64)
		nr_ops = 16;
	p->world.present = true;
	p->world.nodes = 1;
	p->world.frames = 32;
	p->world.swap = 0;

	emit_simple(&g, OP_SPAWN, 0, 0, 0, 0);
	emit_mmap(&g, 0, 0, WIN_START, PAGES, MFL_PRIVATE | MFL_ANON);
	op_init(&op, OP_WRITE);
	op.proc = (uint8_t)proc_index(&g, 0);
	op.addr = WIN_START + rnd(&g, PAGES);
	op.value = 1;
	emit(&g, &op, 0);
	memset(rw, 1, sizeof(rw));
	order[nord++] = 0;

	for (unsigned i = 0; i < nr_ops; i++) {
		unsigned r = rnd(&g, 100);
		int pr = order[rnd(&g, (unsigned)nord)];

		if (r < 35) {
			int q = -1;

			for (int s = 0; s < SLOTS && q < 0; s++) {
				bool used = false;

				for (int k = 0; k < nord; k++)
					used |= order[k] == s;
				if (!used)
					q = s;
			}
			if (q < 0)
				continue;
			if (chance(&g, 60))
				pr = order[nord - 1];
			op_init(&op, OP_FORK);
			op.proc = (uint8_t)proc_index(&g, pr);
			op.proc2 = (uint8_t)proc_index(&g, q);
			emit(&g, &op, 0);
			memcpy(rw[q], rw[pr], sizeof(rw[q]));
			order[nord++] = q;
		} else if (r < 55) {
			int k;

			if (nord < 2)
				continue;
			k = (int)rnd(&g, (unsigned)nord);
			emit_simple(&g, OP_EXIT, 0, order[k], 0, 0);
			memmove(&order[k], &order[k + 1], (size_t)(nord - k - 1) * sizeof(order[0]));
			nord--;
		} else if (r < 85) {
			unsigned pg = PAGES - 1 - (chance(&g, 25) ? 1 : 0);

			op_init(&op, OP_MPROTECT);
			op.proc = (uint8_t)proc_index(&g, pr);
			op.addr = WIN_START + pg;
			op.len = 1;
			op.prot = rw[pr][pg] ? MPROT_R : MPROT_RW;
			rw[pr][pg] = !rw[pr][pg];
			emit(&g, &op, 0);
		} else {
			unsigned pg = rnd(&g, PAGES);

			if (!rw[pr][pg])
				pg = PAGES - 1 - pg;
			op_init(&op, OP_WRITE);
			op.proc = (uint8_t)proc_index(&g, pr);
			op.addr = WIN_START + pg;
			op.value = 2 + i;
			emit(&g, &op, 0);
		}
	}
	return g.err;
}
