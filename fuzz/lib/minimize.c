// SPDX-License-Identifier: MIT
/*
 * minimize.c - delta debugging over programs (see minimize.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/decode.h"
#include "mmt/exec.h"
#include "mmt/minimize.h"
#include "mmt/program.h"

/*
 * The place a violation names: the checker clause or the VM_BUG_ON site,
 * by its key (function and condition, mmdebug.h) rather than its line, so
 * that a signature means the same thing in every build.  DATA is judged in
 * one place (the executor, against the reference model) whether a read or
 * the final dump saw it, so its place says nothing and the op that broke
 * the data tells DATA findings apart.
 */
static const char *place(const struct mmt_violation *v)
{
	if (v->inv == INV_DATA || !v->site[0])
		return "-";
	return v->key[0] ? v->key : v->site;
}

/* a VM_BUG_ON or VM_WARN_ON of the model: the place is where it broke */
static bool model_site(const struct mmt_violation *v)
{
	return v->inv != INV_DATA && !strncmp(place(v), "mm/", 3);
}

static const char *op_name(const struct mmt_program *p, long i)
{
	if (i < 0 || (size_t)i >= p->nr_ops)
		return "end";
	return mmt_opcode_name(p->ops[i].code);
}

/*
 * The op that broke the state.  One task: the op after which the run
 * failed (the checker runs after every op, so that is the op that broke
 * it, once the minimizer has dropped what merely observed it).  Several
 * tasks: the checker waits for the tasks to be between ops, so no single
 * op is to blame; the last op of each task, which in a minimized program
 * are the ops that raced, sorted and joined with '+'.
 */
static void breaker(const struct mmt_program *p, const struct mmt_exec_result *r,
		    char *buf, size_t len)
{
	long last[MMT_MAX_TASKS];
	const char *names[MMT_MAX_TASKS];
	int n = 0, tasks = 0;
	size_t k = 0;

	for (int t = 0; t < MMT_MAX_TASKS; t++)
		last[t] = -1;
	for (size_t i = 0; i < p->nr_ops; i++)
		last[p->ops[i].task % MMT_MAX_TASKS] = (long)i;
	for (int t = 0; t < MMT_MAX_TASKS; t++)
		tasks += last[t] >= 0;
	if (tasks <= 1) {
		snprintf(buf, len, "%s", op_name(p, r->fail_op >= 0 ? r->fail_op :
						  (long)p->nr_ops - 1));
		return;
	}
	for (int t = 0; t < MMT_MAX_TASKS; t++) {
		const char *s;
		int j;

		if (last[t] < 0)
			continue;
		s = op_name(p, last[t]);
		/* insertion, dropping repeats: the same race read from either side */
		for (j = n; j > 0 && strcmp(names[j - 1], s) > 0; j--)
			;
		if (j > 0 && !strcmp(names[j - 1], s))
			continue;
		memmove(&names[j + 1], &names[j], (size_t)(n - j) * sizeof(names[0]));
		names[j] = s;
		n++;
	}
	buf[0] = 0;
	for (int i = 0; i < n && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? "+" : "", names[i]);
}

void mmt_signature(const struct mmt_program *p, const struct mmt_exec_result *r,
		   char *buf, size_t len)
{
	const struct mmt_violation *v = &r->violation;
	char b[64];

	if (model_site(v)) {
		snprintf(buf, len, "%s/%s", mmt_invariant_name(v->inv), place(v));
		return;
	}
	breaker(p, r, b, sizeof(b));
	snprintf(buf, len, "%s/%s/%s", mmt_invariant_name(v->inv), place(v), b);
}

void mmt_signature_clause(const struct mmt_exec_result *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", mmt_invariant_name(r->violation.inv), place(&r->violation));
}

void mmt_signature_observed(const struct mmt_program *p, const struct mmt_exec_result *r,
			    char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s", mmt_invariant_name(r->violation.inv),
		 place(&r->violation), op_name(p, r->fail_op));
}

int mmt_set_schedule(struct mmt_program *p, const uint8_t *s, size_t n)
{
	uint8_t *c = NULL;

	if (n > MMT_MAX_SCHEDULE)
		n = MMT_MAX_SCHEDULE;
	if (n) {
		c = malloc(n);
		if (!c)
			return -ENOMEM;
		memcpy(c, s, n);
	}
	free(p->schedule);
	p->schedule = c;
	p->nr_schedule = n;
	p->has_schedule = n > 0;
	return 0;
}

static bool op_has_proc(const struct mmt_op *op)
{
	return op->code != OP_SWAPON && op->code != OP_SWAPOFF && op->code != OP_RECLAIM &&
	       op->code != OP_CHECK && op->code != OP_KSWAPD && op->code != OP_KCOMPACTD &&
	       op->code != OP_PAGE_IDLE && op->code != OP_KHUGEPAGED &&
	       op->code != OP_KSMD && op->code != OP_KSM_RUN &&
	       op->code != OP_KSM_MERGE_ACROSS_NODES;
}

int mmt_append_teardown(struct mmt_program *p)
{
	bool live[MMT_MAX_PROCS] = { false };
	bool swap[256] = { false };	/* ids beyond are left alone */
	uint8_t task = p->nr_ops ? p->ops[p->nr_ops - 1].task : 0;
	struct mmt_op op;
	size_t i;

	swap[0] = p->world.swap > 0;	/* the world's own device is id 0 */
	for (i = 0; i < p->nr_ops; i++) {
		const struct mmt_op *o = &p->ops[i];

		switch (o->code) {
		case OP_SPAWN:
			live[o->proc] = true;
			break;
		case OP_FORK:
			live[o->proc2] = true;
			break;
		case OP_EXIT:
			live[o->proc] = false;
			break;
		case OP_SWAPON:
			if (o->addr < sizeof(swap))
				swap[o->addr] = true;
			break;
		case OP_SWAPOFF:
			if (o->addr < sizeof(swap))
				swap[o->addr] = false;
			break;
		}
	}
	for (i = 0; i < MMT_MAX_PROCS; i++) {
		if (!live[i])
			continue;
		memset(&op, 0, sizeof(op));
		op.code = OP_EXIT;
		op.task = task;
		op.proc = (uint8_t)i;
		op.expect = -1;
		if (mmt_program_add(p, &op))
			return -ENOMEM;
	}
	for (i = 0; i < sizeof(swap); i++) {
		if (!swap[i])
			continue;
		memset(&op, 0, sizeof(op));
		op.code = OP_SWAPOFF;
		op.task = task;
		op.addr = i;
		op.expect = -1;
		if (mmt_program_add(p, &op))
			return -ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------------ ddmin */

/*
 * The state being shrunk: a program without a schedule line, and its
 * interleaving as anchored switches (exec.h), which stay put when other ops
 * are removed; a global schedule would shift under every deletion and lose
 * the race.
 */
struct cand {
	struct mmt_program p;
	struct mmt_switch *sw;
	size_t nsw;
};

struct ctx {
	const struct mmt_min_opts *o;
	struct mmt_exec_opts eo;
	char sig[MMT_SIG_MAX];
	unsigned runs, max_runs;
	bool multi;
	int err;
	/* mmt_ddmin_ops: the caller's test instead of "fails the same way" */
	bool (*still)(void *arg, const struct mmt_program *cand);
	void *still_arg;
};

static void cand_init(struct cand *c)
{
	mmt_program_init(&c->p);
	c->sw = NULL;
	c->nsw = 0;
}

static void cand_free(struct cand *c)
{
	mmt_program_free(&c->p);
	free(c->sw);
	cand_init(c);
}

static int set_switches(struct cand *c, const struct mmt_switch *sw, size_t n)
{
	struct mmt_switch *cp = NULL;

	if (n) {
		cp = malloc(n * sizeof(*cp));
		if (!cp)
			return -ENOMEM;
		memcpy(cp, sw, n * sizeof(*cp));
	}
	free(c->sw);
	c->sw = cp;
	c->nsw = n;
	return 0;
}

static int cand_copy(struct cand *dst, const struct cand *src)
{
	cand_init(dst);
	if (mmt_program_copy(&dst->p, &src->p) || set_switches(dst, src->sw, src->nsw)) {
		cand_free(dst);
		return -ENOMEM;
	}
	return 0;
}

/* replace *cur with *c (consumed) */
static void take(struct cand *cur, struct cand *c)
{
	cand_free(cur);
	*cur = *c;
	cand_init(c);
}

/*
 * With o->attribute: does @c pass with the bugs off, under the same
 * switches?  Shrinking must not wander off the injected bug into a bug of
 * the model itself, which would then be reported as the injected one's.
 */
static bool passes_without(struct ctx *x, const struct cand *c)
{
	struct mmt_exec_opts eo = x->eo;
	struct mmt_exec_result r;
	bool ok;

	x->runs++;
	eo.inject = 0;
	eo.switches = c->sw;
	eo.nr_switches = c->nsw;
	ok = mmt_exec(&c->p, &eo, &r) == EXEC_PASS;
	mmt_exec_result_free(&r);
	return ok;
}

/*
 * Does @c still fail the same way?  If so, its switches become the ones the
 * run really took, so that a switch that stopped mattering falls away and
 * the rest replay the run exactly.
 */
static bool fails(struct ctx *x, struct cand *c)
{
	struct mmt_exec_opts eo = x->eo;
	struct mmt_exec_result r;
	char sig[MMT_SIG_MAX];
	bool same = false;

	if (x->runs >= x->max_runs || x->err || !mmt_program_reparses(&c->p))
		return false;
	x->runs++;
	if (x->still)
		return x->still(x->still_arg, &c->p);
	/* the candidate has no schedule line: no switch means the default */
	eo.switches = c->sw;
	eo.nr_switches = c->nsw;
	if (mmt_exec(&c->p, &eo, &r) == EXEC_VIOLATION) {
		mmt_signature_clause(&r, sig, sizeof(sig));
		same = !strcmp(sig, x->sig);
		if (same && x->o->attribute)
			same = passes_without(x, c);
		if (same && set_switches(c, r.switches, r.nr_switches))
			x->err = -ENOMEM;
	}
	mmt_exec_result_free(&r);
	return same;
}

/*
 * @cur without the ops whose keep[] is false; switches anchored to a
 * removed op go, the others follow their op to its new index.
 */
static int subset(const struct cand *cur, const bool *keep, struct cand *out)
{
	long *newidx;
	size_t n = 0;

	if (cand_copy(out, cur))
		return -ENOMEM;
	newidx = malloc((cur->p.nr_ops + 1) * sizeof(*newidx));
	if (!newidx) {
		cand_free(out);
		return -ENOMEM;
	}
	out->p.nr_ops = 0;
	for (size_t i = 0; i < cur->p.nr_ops; i++) {
		newidx[i] = keep[i] ? (long)out->p.nr_ops : -1;
		if (keep[i])
			out->p.ops[out->p.nr_ops++] = cur->p.ops[i];
	}
	for (size_t i = 0; i < out->nsw; i++) {
		struct mmt_switch s = out->sw[i];

		if (s.op >= 0) {
			if (newidx[s.op] < 0)
				continue;
			s.op = (int32_t)newidx[s.op];
		}
		out->sw[n++] = s;
	}
	out->nsw = n;
	free(newidx);
	return 0;
}

/* @cur without the switches whose keep[] is false */
static int subset_switches(const struct cand *cur, const bool *keep, struct cand *out)
{
	size_t n = 0;

	if (cand_copy(out, cur))
		return -ENOMEM;
	for (size_t i = 0; i < cur->nsw; i++)
		if (keep[i])
			out->sw[n++] = cur->sw[i];
	out->nsw = n;
	return 0;
}

typedef int (*subset_fn)(const struct cand *cur, const bool *keep, struct cand *out);

/*
 * Zeller's ddmin over @count(cur) elements (ops or switches), then one at a
 * time from the end until no single element can go: the result is
 * 1-minimal.  True if anything went.
 */
static bool ddmin(struct ctx *x, struct cand *cur, size_t (*count)(const struct cand *),
		  subset_fn sub)
{
	size_t n = 2;
	bool any = false, again;
	bool *keep;

	while (count(cur) >= 2 && x->runs < x->max_runs && !x->err) {
		size_t size = count(cur), chunk = (size + n - 1) / n;
		bool reduced = false;

		keep = malloc(size);
		if (!keep) {
			x->err = -ENOMEM;
			return any;
		}
		for (size_t start = 0; start < size && !reduced; start += chunk) {
			struct cand c;

			for (size_t i = 0; i < size; i++)
				keep[i] = i < start || i >= start + chunk;
			if (sub(cur, keep, &c)) {
				x->err = -ENOMEM;
				break;
			}
			if (fails(x, &c)) {
				take(cur, &c);
				reduced = any = true;
			}
			cand_free(&c);
		}
		free(keep);
		if (reduced) {
			n = n > 2 ? n - 1 : 2;
		} else {
			if (n >= size)
				break;
			n = 2 * n < size ? 2 * n : size;
		}
	}
	do {
		again = false;
		for (size_t k = count(cur); k-- > 0 && x->runs < x->max_runs && !x->err;) {
			struct cand c;

			if (k >= count(cur))
				continue;	/* a re-recording shortened the list */
			keep = malloc(count(cur));
			if (!keep) {
				x->err = -ENOMEM;
				return any;
			}
			for (size_t i = 0; i < count(cur); i++)
				keep[i] = i != k;
			if (sub(cur, keep, &c)) {
				free(keep);
				x->err = -ENOMEM;
				return any;
			}
			free(keep);
			if (fails(x, &c)) {
				take(cur, &c);
				again = any = true;
			}
			cand_free(&c);
		}
	} while (again && x->runs < x->max_runs && !x->err);
	return any;
}

static size_t count_ops(const struct cand *c) { return c->p.nr_ops; }
static size_t count_switches(const struct cand *c) { return c->nsw; }

int mmt_ddmin_ops(struct mmt_program *p, bool (*still)(void *arg, const struct mmt_program *cand),
		  void *arg, unsigned max_runs)
{
	struct ctx x = { .max_runs = max_runs ? max_runs : 20000, .still = still,
			 .still_arg = arg };
	struct cand cur = { .p = *p };

	ddmin(&x, &cur, count_ops, subset);
	*p = cur.p;
	free(cur.sw);
	return x.err;
}

/* every op that names process @proc (as its own or as fork's child) goes */
static bool drop_process(struct ctx *x, struct cand *cur, int proc)
{
	bool *keep = malloc(cur->p.nr_ops + 1), ok = false, any = false;
	struct cand c;

	if (!keep) {
		x->err = -ENOMEM;
		return false;
	}
	for (size_t i = 0; i < cur->p.nr_ops; i++) {
		const struct mmt_op *op = &cur->p.ops[i];
		bool names = op_has_proc(op) &&
			     (op->proc == proc || (op->code == OP_FORK && op->proc2 == proc));

		keep[i] = !names;
		any |= names;
	}
	if (any && !subset(cur, keep, &c)) {
		ok = fails(x, &c);
		if (ok)
			take(cur, &c);
		cand_free(&c);
	}
	free(keep);
	return ok;
}

/* ----------------------------------------------------- argument shrinking */

/* try one edit of op @k; keep it if the program still fails */
static bool try_edit(struct ctx *x, struct cand *cur, size_t k, const struct mmt_op *edit)
{
	struct cand c;
	bool ok;

	if (!memcmp(edit, &cur->p.ops[k], sizeof(*edit)))
		return false;
	if (cand_copy(&c, cur)) {
		x->err = -ENOMEM;
		return false;
	}
	c.p.ops[k] = *edit;
	/* an op moved to another task takes no switch anchored in it along */
	if (edit->task != cur->p.ops[k].task) {
		size_t n = 0;

		for (size_t i = 0; i < c.nsw; i++)
			if (c.sw[i].op != (int32_t)k)
				c.sw[n++] = c.sw[i];
		c.nsw = n;
	}
	ok = fails(x, &c);
	if (ok)
		take(cur, &c);
	cand_free(&c);
	return ok;
}

static bool has_range(const struct mmt_op *op)
{
	switch (op->code) {
	case OP_MMAP:
	case OP_MUNMAP:
	case OP_MPROTECT:
	case OP_MREMAP:
	case OP_MADVISE:
	case OP_MIGRATE:
	case OP_DEVICE_MIGRATE:
	case OP_DEVICE_RELEASE:
	case OP_UFFD_REGISTER:
	case OP_UFFD_MOVE:
	case OP_PIN:
	case OP_UNPIN:
	case OP_REMAP_FILE_PAGES:
	case OP_SPLIT:
		return true;
	default:
		return false;
	}
}

static bool shrink_op(struct ctx *x, struct cand *cur, size_t k)
{
	struct mmt_op e;
	bool changed = false;

#define TRY(field, v)						\
	do {							\
		e = cur->p.ops[k];				\
		e.field = (v);					\
		if (try_edit(x, cur, k, &e))			\
			changed = true;				\
	} while (0)

	if (cur->p.ops[k].task)
		TRY(task, 0);
	if (has_range(&cur->p.ops[k])) {
		if (cur->p.ops[k].len > 1)
			TRY(len, 1);
		if (cur->p.ops[k].len > 2)
			TRY(len, cur->p.ops[k].len / 2);
		if (cur->p.ops[k].len > 1)
			TRY(len, cur->p.ops[k].len - 1);
	}
	switch (cur->p.ops[k].code) {
	case OP_WRITE:
	case OP_PIN_WRITE:
		if (cur->p.ops[k].value > 1)
			TRY(value, 1);
		break;
	case OP_MMAP:
		if (cur->p.ops[k].prot != MPROT_RW)
			TRY(prot, MPROT_RW);
		if (cur->p.ops[k].mflags != (MFL_PRIVATE | MFL_ANON))
			TRY(mflags, MFL_PRIVATE | MFL_ANON);
		break;
	case OP_MREMAP:
		if (cur->p.ops[k].len2 != cur->p.ops[k].len)
			TRY(len2, cur->p.ops[k].len);
		break;
	case OP_MIGRATE:
	case OP_UFFD_MOVE:
		if (cur->p.ops[k].all)
			TRY(all, false);
		break;
	case OP_SWAPON:
		if (cur->p.ops[k].len > 4)
			TRY(len, 4);
		break;
	case OP_RECLAIM:
	case OP_PAGE_IDLE:
	case OP_KSMD:
	case OP_KHUGEPAGED:
		if (cur->p.ops[k].addr > 1)
			TRY(addr, 1);
		if (cur->p.ops[k].addr > 2)
			TRY(addr, cur->p.ops[k].addr / 2);
		break;
	}
	/* an asserted outcome or value is the test's, not the bug's */
	if (cur->p.ops[k].expect >= 0)
		TRY(expect, -1);
	if (cur->p.ops[k].has_expect_value)
		TRY(has_expect_value, false);
#undef TRY
	return changed;
}

/* move every address down by @delta pages (keeps the ops' relations) */
static bool shift_addresses(struct ctx *x, struct cand *cur, uint64_t delta)
{
	struct cand c;
	bool ok;

	if (cand_copy(&c, cur)) {
		x->err = -ENOMEM;
		return false;
	}
	for (size_t i = 0; i < c.p.nr_ops; i++) {
		struct mmt_op *op = &c.p.ops[i];

		if (!op_has_proc(op) || op->code == OP_SPAWN || op->code == OP_FORK ||
		    op->code == OP_EXIT)
			continue;
		op->addr -= delta;
		if (op->code == OP_MREMAP || op->code == OP_UFFD_MOVE)
			op->addr2 -= delta;
	}
	ok = fails(x, &c);
	if (ok)
		take(cur, &c);
	cand_free(&c);
	return ok;
}

/* the world: fewer frames, one node, a smaller swap device */
static void shrink_world(struct ctx *x, struct cand *cur)
{
	static const uint32_t frames[] = { 16, 32, 64 };
	struct cand c;

	if (!cur->p.world.present)
		return;
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		if (frames[i] >= cur->p.world.frames)
			break;
		if (cand_copy(&c, cur)) {
			x->err = -ENOMEM;
			return;
		}
		c.p.world.frames = frames[i];
		if (fails(x, &c)) {
			take(cur, &c);
			cand_free(&c);
			break;
		}
		cand_free(&c);
	}
	if (cur->p.world.nodes > 1) {
		if (cand_copy(&c, cur)) {
			x->err = -ENOMEM;
			return;
		}
		c.p.world.nodes = 1;
		if (fails(x, &c))
			take(cur, &c);
		cand_free(&c);
	}
	for (uint64_t sz = 0; sz < cur->p.world.swap; sz = sz ? sz * 2 : 4) {
		if (cand_copy(&c, cur)) {
			x->err = -ENOMEM;
			return;
		}
		c.p.world.swap = sz;
		if (fails(x, &c)) {
			take(cur, &c);
			cand_free(&c);
			break;
		}
		cand_free(&c);
	}
}

static bool shrink_args(struct ctx *x, struct cand *cur)
{
	uint64_t lo = UINT64_MAX;
	bool any = false;

	for (int round = 0; round < 3 && !x->err; round++) {
		bool changed = false;

		for (size_t k = 0; k < cur->p.nr_ops && !x->err; k++)
			changed |= shrink_op(x, cur, k);
		any |= changed;
		if (!changed)
			break;
	}
	/* lowest address used: try to start the program at page 0x10 */
	for (size_t i = 0; i < cur->p.nr_ops; i++) {
		const struct mmt_op *op = &cur->p.ops[i];

		if (op_has_proc(op) && op->code != OP_SPAWN && op->code != OP_FORK &&
		    op->code != OP_EXIT) {
			if (op->addr < lo)
				lo = op->addr;
			if ((op->code == OP_MREMAP || op->code == OP_UFFD_MOVE) && op->addr2 < lo)
				lo = op->addr2;
		}
	}
	if (lo != UINT64_MAX && lo > 0x10)
		any |= shift_addresses(x, cur, lo - 0x10);
	return any;
}

/*
 * Processes: a whole process at a time (its spawn or fork and everything it
 * does), then renumber what is left as p0, p1, ... in order of first use.
 */
static void shrink_processes(struct ctx *x, struct cand *cur)
{
	int map[MMT_MAX_PROCS], next = 0;
	struct cand c;

	for (int proc = cur->p.nr_names; proc-- > 0 && !x->err;)
		drop_process(x, cur, proc);
	if (x->err || cand_copy(&c, cur)) {
		x->err = x->err ? x->err : -ENOMEM;
		return;
	}
	for (int i = 0; i < MMT_MAX_PROCS; i++)
		map[i] = -1;
	for (size_t i = 0; i < c.p.nr_ops; i++) {
		struct mmt_op *op = &c.p.ops[i];

		if (!op_has_proc(op))
			continue;
		if (map[op->proc] < 0)
			map[op->proc] = next++;
		op->proc = (uint8_t)map[op->proc];
		if (op->code == OP_FORK) {
			if (map[op->proc2] < 0)
				map[op->proc2] = next++;
			op->proc2 = (uint8_t)map[op->proc2];
		}
	}
	c.p.nr_names = next;
	for (int i = 0; i < next; i++)
		snprintf(c.p.names[i], sizeof(c.p.names[i]), "p%d", i);
	if (fails(x, &c))
		take(cur, &c);
	cand_free(&c);
}

static unsigned count_runs(const uint8_t *s, size_t n)
{
	unsigned runs = 0;

	for (size_t i = 0; i < n; i++)
		if (!i || s[i] != s[i - 1])
			runs++;
	return runs;
}

unsigned mmt_schedule_switches(const struct mmt_program *p)
{
	unsigned runs = p->has_schedule ? count_runs(p->schedule, p->nr_schedule) : 0;

	return runs ? runs - 1 : 0;
}

int mmt_minimize(const struct mmt_program *in, const struct mmt_min_opts *o,
		 struct mmt_program *out, struct mmt_min_result *res)
{
	struct ctx x = { .o = o };
	struct mmt_exec_result r;
	struct cand cur;
	bool strict_ok = false;

	memset(res, 0, sizeof(*res));
	mmt_program_init(out);
	mmt_exec_opts_default(&x.eo);
	x.eo.inject = o->inject;
	x.eo.lenient_schedule = true;
	x.max_runs = o->max_runs ? o->max_runs : 20000;
	res->ops_before = in->nr_ops;
	res->sched_before = in->nr_schedule;
	res->switches_before = mmt_schedule_switches(in);

	cand_init(&cur);
	if (mmt_program_copy(&cur.p, in))
		return -ENOMEM;
	/* does the plain program fail?  if not, with an explicit teardown? */
	x.runs++;
	if (mmt_exec(&cur.p, &x.eo, &r) != EXEC_VIOLATION) {
		mmt_exec_result_free(&r);
		if (mmt_append_teardown(&cur.p)) {
			cand_free(&cur);
			return -ENOMEM;
		}
		x.runs++;
		if (mmt_exec(&cur.p, &x.eo, &r) != EXEC_VIOLATION) {
			mmt_exec_result_free(&r);
			cand_free(&cur);
			return -1;
		}
	}
	mmt_signature_clause(&r, x.sig, sizeof(x.sig));
	x.multi = mmt_program_nr_tasks(&cur.p) > 1;
	/* from here on the interleaving is the run's switches, not a schedule */
	if (set_switches(&cur, r.switches, r.nr_switches) ||
	    mmt_set_schedule(&cur.p, NULL, 0)) {
		mmt_exec_result_free(&r);
		cand_free(&cur);
		return -ENOMEM;
	}
	mmt_exec_result_free(&r);
	if (o->log)
		fprintf(o->log, "minimize: %s, %zu ops, %u switches\n", x.sig, cur.p.nr_ops,
			res->switches_before);

	/*
	 * Ops, switches, processes and arguments, until none of them moves:
	 * removing one can make another removable.  Ends 1-minimal in ops and
	 * switches (the last pass of each removed nothing).
	 */
	for (int round = 0; round < 8 && !x.err && x.runs < x.max_runs; round++) {
		bool changed = false;

		changed |= ddmin(&x, &cur, count_ops, subset);
		if (x.multi)
			changed |= ddmin(&x, &cur, count_switches, subset_switches);
		if (!round)
			shrink_processes(&x, &cur);
		changed |= shrink_args(&x, &cur);
		if (!changed)
			break;
		if (o->log)
			fprintf(o->log, "minimize: round %d: %zu ops, %zu switches (%u runs)\n",
				round, cur.p.nr_ops, cur.nsw, x.runs);
	}
	if (!x.err)
		shrink_world(&x, &cur);
	if (x.err) {
		cand_free(&cur);
		return x.err;
	}

	/*
	 * Back to a schedule line: the decisions the switches take, up to the
	 * last one that is not the default (the default goes on after it), and
	 * the result must fail with it replayed strictly.
	 */
	{
		struct mmt_exec_opts eo = x.eo;

		eo.switches = cur.sw;
		eo.nr_switches = cur.nsw;
		x.runs++;
		if (mmt_exec(&cur.p, &eo, &r) == EXEC_VIOLATION && x.multi &&
		    mmt_set_schedule(&cur.p, r.schedule, r.nr_sched_needed)) {
			mmt_exec_result_free(&r);
			cand_free(&cur);
			return -ENOMEM;
		}
		mmt_exec_result_free(&r);
	}
	{
		struct mmt_exec_opts strict = x.eo;

		strict.lenient_schedule = false;
		x.runs++;
		if (mmt_exec(&cur.p, &strict, &res->last) == EXEC_VIOLATION) {
			char sig[MMT_SIG_MAX];

			mmt_signature_clause(&res->last, sig, sizeof(sig));
			strict_ok = !strcmp(sig, x.sig);
			/* the root cause, now that only what breaks it is left */
			mmt_signature(&cur.p, &res->last, res->sig, sizeof(res->sig));
		}
		mmt_exec_result_free(&res->last);
	}
	/*
	 * A missing lock's finding: on the fixed model the task its schedule
	 * names may be waiting for that very lock, and a strict replay there
	 * diverges.  Mark the schedule lenient, so that the reproducer passes
	 * without the bug; with it, the recorded schedule never diverges.
	 */
	if (strict_ok && x.multi && cur.p.has_schedule && o->inject) {
		struct mmt_exec_opts clean = x.eo;

		clean.inject = 0;
		clean.lenient_schedule = false;
		x.runs++;
		if (mmt_exec(&cur.p, &clean, &r) == EXEC_DIVERGED)
			cur.p.schedule_lenient = true;
		mmt_exec_result_free(&r);
	}
	res->strict_ok = strict_ok;
	res->runs = x.runs;
	res->ops_after = cur.p.nr_ops;
	res->sched_after = cur.p.nr_schedule;
	res->switches_after = mmt_schedule_switches(&cur.p);
	if (!strict_ok) {	/* the lenient run's, then */
		struct mmt_exec_opts eo = x.eo;

		eo.switches = cur.sw;
		eo.nr_switches = cur.nsw;
		if (mmt_exec(&cur.p, &eo, &r) == EXEC_VIOLATION)
			mmt_signature(&cur.p, &r, res->sig, sizeof(res->sig));
		else
			snprintf(res->sig, sizeof(res->sig), "%s", x.sig);
		mmt_exec_result_free(&r);
	}
	if (o->log)
		fprintf(o->log, "minimize: %zu -> %zu ops, %u -> %u switches, %u runs%s\n",
			res->ops_before, res->ops_after, res->switches_before,
			res->switches_after, res->runs,
			strict_ok ? "" : " (does not fail under a strict replay!)");
	*out = cur.p;
	free(cur.sw);
	return 0;
}
