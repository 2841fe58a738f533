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

void mmt_signature(const struct mmt_program *p, const struct mmt_exec_result *r,
		   char *buf, size_t len)
{
	const char *op = "end";
	char obj[32];
	size_t i;

	if (r->fail_op >= 0 && (size_t)r->fail_op < p->nr_ops)
		op = mmt_opcode_name(p->ops[r->fail_op].code);
	/* the object's kind: its first word ("folio pfn 3" -> "folio") */
	for (i = 0; i + 1 < sizeof(obj) && r->violation.object[i] &&
		    r->violation.object[i] != ' '; i++)
		obj[i] = r->violation.object[i];
	obj[i] = 0;
	snprintf(buf, len, "%s/%s/%s", mmt_invariant_name(r->violation.inv), op,
		 obj[0] ? obj : "-");
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
	       op->code != OP_CHECK;
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

struct ctx {
	const struct mmt_min_opts *o;
	struct mmt_exec_opts eo;
	char sig[MMT_SIG_MAX];
	unsigned runs, max_runs;
	bool multi;
	int err;
};

static bool valid(const struct mmt_program *p)
{
	struct mmt_program q;
	char *text = mmt_print_string(p);
	bool ok;

	if (!text)
		return false;
	ok = mmt_parse(text, strlen(text), &q, NULL) == 0;
	mmt_program_free(&q);
	free(text);
	return ok;
}

static int nr_tasks(const struct mmt_program *p)
{
	int n = 1;

	for (size_t i = 0; i < p->nr_ops; i++)
		if (p->ops[i].task + 1 > n)
			n = p->ops[i].task + 1;
	return n;
}

/*
 * Does @cand still fail the same way?  If so (and @rerecord), its schedule
 * becomes the one actually taken.
 */
static bool fails(struct ctx *c, struct mmt_program *cand, bool rerecord)
{
	struct mmt_exec_result r;
	char sig[MMT_SIG_MAX];
	bool same = false;

	if (c->runs >= c->max_runs || c->err || !valid(cand))
		return false;
	c->runs++;
	if (mmt_exec(cand, &c->eo, &r) == EXEC_VIOLATION) {
		mmt_signature(cand, &r, sig, sizeof(sig));
		same = !strcmp(sig, c->sig);
		if (same && rerecord && nr_tasks(cand) > 1 &&
		    mmt_set_schedule(cand, r.schedule, r.nr_schedule))
			c->err = -ENOMEM;
	}
	mmt_exec_result_free(&r);
	return same;
}

/* @p without the ops whose keep[] is false */
static int subset(const struct mmt_program *p, const bool *keep, struct mmt_program *out)
{
	int err = mmt_program_copy(out, p);

	if (err)
		return err;
	out->nr_ops = 0;
	for (size_t i = 0; i < p->nr_ops; i++)
		if (keep[i])
			out->ops[out->nr_ops++] = p->ops[i];
	return 0;
}

/* replace *cur with *cand (consumed) */
static void take(struct mmt_program *cur, struct mmt_program *cand)
{
	mmt_program_free(cur);
	*cur = *cand;
	mmt_program_init(cand);
}

static int ddmin_ops(struct ctx *c, struct mmt_program *cur)
{
	size_t n = 2;
	bool *keep;

	while (cur->nr_ops >= 2 && c->runs < c->max_runs && !c->err) {
		size_t size = cur->nr_ops, chunk = (size + n - 1) / n;
		bool reduced = false;

		keep = malloc(size);
		if (!keep)
			return -ENOMEM;
		for (size_t start = 0; start < size && !reduced; start += chunk) {
			struct mmt_program cand;

			for (size_t i = 0; i < size; i++)
				keep[i] = i < start || i >= start + chunk;
			if (subset(cur, keep, &cand)) {
				free(keep);
				return -ENOMEM;
			}
			if (fails(c, &cand, c->multi)) {
				take(cur, &cand);
				reduced = true;
			}
			mmt_program_free(&cand);
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
	/* one at a time, from the end, until no single op can go */
	for (bool again = true; again && c->runs < c->max_runs && !c->err;) {
		again = false;
		for (size_t k = cur->nr_ops; k-- > 0;) {
			struct mmt_program cand;

			keep = malloc(cur->nr_ops);
			if (!keep)
				return -ENOMEM;
			for (size_t i = 0; i < cur->nr_ops; i++)
				keep[i] = i != k;
			if (subset(cur, keep, &cand)) {
				free(keep);
				return -ENOMEM;
			}
			free(keep);
			if (fails(c, &cand, c->multi)) {
				take(cur, &cand);
				again = true;
			}
			mmt_program_free(&cand);
		}
	}
	return c->err;
}

/* ----------------------------------------------------- argument shrinking */

/* try one edit of op @k; keep it if the program still fails */
static bool try_edit(struct ctx *c, struct mmt_program *cur, size_t k, const struct mmt_op *edit)
{
	struct mmt_program cand;
	bool ok;

	if (!memcmp(edit, &cur->ops[k], sizeof(*edit)))
		return false;
	if (mmt_program_copy(&cand, cur)) {
		c->err = -ENOMEM;
		return false;
	}
	cand.ops[k] = *edit;
	ok = fails(c, &cand, c->multi);
	if (ok)
		take(cur, &cand);
	mmt_program_free(&cand);
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
		return true;
	default:
		return false;
	}
}

static bool shrink_op(struct ctx *c, struct mmt_program *cur, size_t k)
{
	struct mmt_op e;
	bool changed = false;

#define TRY(field, v)						\
	do {							\
		e = cur->ops[k];				\
		e.field = (v);					\
		if (try_edit(c, cur, k, &e))			\
			changed = true;				\
	} while (0)

	if (cur->ops[k].task)
		TRY(task, 0);
	if (has_range(&cur->ops[k])) {
		if (cur->ops[k].len > 1)
			TRY(len, 1);
		if (cur->ops[k].len > 2)
			TRY(len, cur->ops[k].len / 2);
		if (cur->ops[k].len > 1)
			TRY(len, cur->ops[k].len - 1);
	}
	switch (cur->ops[k].code) {
	case OP_WRITE:
		if (cur->ops[k].value > 1)
			TRY(value, 1);
		break;
	case OP_READ:
		break;
	case OP_MMAP:
		if (cur->ops[k].prot != MPROT_RW)
			TRY(prot, MPROT_RW);
		if (cur->ops[k].mflags != (MFL_PRIVATE | MFL_ANON))
			TRY(mflags, MFL_PRIVATE | MFL_ANON);
		break;
	case OP_MREMAP:
		if (cur->ops[k].len2 != cur->ops[k].len)
			TRY(len2, cur->ops[k].len);
		break;
	case OP_MIGRATE:
		if (cur->ops[k].all)
			TRY(all, false);
		break;
	case OP_SWAPON:
		if (cur->ops[k].len > 4)
			TRY(len, 4);
		break;
	case OP_RECLAIM:
		if (cur->ops[k].addr > 1)
			TRY(addr, 1);
		if (cur->ops[k].addr > 2)
			TRY(addr, cur->ops[k].addr / 2);
		break;
	}
#undef TRY
	return changed;
}

/* move every address down by @delta pages (keeps the ops' relations) */
static bool shift_addresses(struct ctx *c, struct mmt_program *cur, uint64_t delta)
{
	struct mmt_program cand;
	bool ok;

	if (mmt_program_copy(&cand, cur)) {
		c->err = -ENOMEM;
		return false;
	}
	for (size_t i = 0; i < cand.nr_ops; i++) {
		struct mmt_op *op = &cand.ops[i];

		if (!op_has_proc(op) || op->code == OP_SPAWN || op->code == OP_FORK ||
		    op->code == OP_EXIT)
			continue;
		op->addr -= delta;
		if (op->code == OP_MREMAP)
			op->addr2 -= delta;
	}
	ok = fails(c, &cand, c->multi);
	if (ok)
		take(cur, &cand);
	mmt_program_free(&cand);
	return ok;
}

static void shrink_world(struct ctx *c, struct mmt_program *cur)
{
	static const uint32_t frames[] = { 16, 32, 64 };
	struct mmt_program cand;

	if (!cur->world.present)
		return;
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		if (frames[i] >= cur->world.frames)
			break;
		if (mmt_program_copy(&cand, cur)) {
			c->err = -ENOMEM;
			return;
		}
		cand.world.frames = frames[i];
		if (fails(c, &cand, c->multi)) {
			take(cur, &cand);
			mmt_program_free(&cand);
			break;
		}
		mmt_program_free(&cand);
	}
}

static void shrink_args(struct ctx *c, struct mmt_program *cur)
{
	uint64_t lo = UINT64_MAX;

	for (int round = 0; round < 3 && !c->err; round++) {
		bool changed = false;

		for (size_t k = 0; k < cur->nr_ops && !c->err; k++)
			changed |= shrink_op(c, cur, k);
		if (!changed)
			break;
	}
	/* lowest address used: try to start the program at page 0x10 */
	for (size_t i = 0; i < cur->nr_ops; i++) {
		const struct mmt_op *op = &cur->ops[i];

		if (op_has_proc(op) && op->code != OP_SPAWN && op->code != OP_FORK &&
		    op->code != OP_EXIT) {
			if (op->addr < lo)
				lo = op->addr;
			if (op->code == OP_MREMAP && op->addr2 < lo)
				lo = op->addr2;
		}
	}
	if (lo != UINT64_MAX && lo > 0x10)
		shift_addresses(c, cur, lo - 0x10);
	shrink_world(c, cur);
}

/* the shortest schedule prefix that still fails (no re-recording here) */
static void shrink_schedule(struct ctx *c, struct mmt_program *cur)
{
	size_t lo = 0, hi = cur->nr_schedule;

	if (!cur->has_schedule)
		return;
	/* bisection: assumes a longer prefix of a failing schedule fails too */
	while (lo < hi && !c->err && c->runs < c->max_runs) {
		size_t mid = lo + (hi - lo) / 2;
		struct mmt_program cand;

		if (mmt_program_copy(&cand, cur)) {
			c->err = -ENOMEM;
			return;
		}
		cand.nr_schedule = mid;
		cand.has_schedule = mid > 0;
		if (fails(c, &cand, false))
			hi = mid;
		else
			lo = mid + 1;
		mmt_program_free(&cand);
	}
	if (hi < cur->nr_schedule) {
		struct mmt_program cand;

		if (mmt_program_copy(&cand, cur)) {
			c->err = -ENOMEM;
			return;
		}
		cand.nr_schedule = hi;
		cand.has_schedule = hi > 0;
		if (fails(c, &cand, false))
			take(cur, &cand);
		mmt_program_free(&cand);
	}
}

int mmt_minimize(const struct mmt_program *in, const struct mmt_min_opts *o,
		 struct mmt_program *out, struct mmt_min_result *res)
{
	struct ctx c = { .o = o };
	struct mmt_exec_result r;
	struct mmt_program cur;
	bool strict_ok = false;

	memset(res, 0, sizeof(*res));
	mmt_program_init(out);
	mmt_exec_opts_default(&c.eo);
	c.eo.inject = o->inject;
	c.eo.lenient_schedule = true;
	c.max_runs = o->max_runs ? o->max_runs : 20000;
	res->ops_before = in->nr_ops;
	res->sched_before = in->nr_schedule;

	if (mmt_program_copy(&cur, in))
		return -ENOMEM;
	/* does the plain program fail?  if not, with an explicit teardown? */
	c.runs++;
	if (mmt_exec(&cur, &c.eo, &r) != EXEC_VIOLATION) {
		mmt_exec_result_free(&r);
		if (mmt_append_teardown(&cur)) {
			mmt_program_free(&cur);
			return -ENOMEM;
		}
		c.runs++;
		if (mmt_exec(&cur, &c.eo, &r) != EXEC_VIOLATION) {
			mmt_exec_result_free(&r);
			mmt_program_free(&cur);
			return -1;
		}
	}
	mmt_signature(&cur, &r, c.sig, sizeof(c.sig));
	c.multi = nr_tasks(&cur) > 1;
	if (c.multi && mmt_set_schedule(&cur, r.schedule, r.nr_schedule)) {
		mmt_exec_result_free(&r);
		mmt_program_free(&cur);
		return -ENOMEM;
	}
	mmt_exec_result_free(&r);
	if (o->log)
		fprintf(o->log, "minimize: %s, %zu ops, schedule %zu\n", c.sig, cur.nr_ops,
			cur.nr_schedule);

	if (ddmin_ops(&c, &cur) == 0 && o->log)
		fprintf(o->log, "minimize: ops: %zu left (%u runs)\n", cur.nr_ops, c.runs);
	if (!c.err)
		shrink_args(&c, &cur);
	if (!c.err && c.multi && nr_tasks(&cur) == 1) {
		/* everything ended up on task 0: no schedule needed */
		struct mmt_program cand;

		if (!mmt_program_copy(&cand, &cur)) {
			mmt_set_schedule(&cand, NULL, 0);
			if (fails(&c, &cand, false))
				take(&cur, &cand);
			mmt_program_free(&cand);
		}
	}
	if (!c.err)
		shrink_schedule(&c, &cur);
	if (c.err) {
		mmt_program_free(&cur);
		return c.err;
	}

	/* the result must replay with its schedule taken strictly */
	{
		struct mmt_exec_opts strict = c.eo;

		strict.lenient_schedule = false;
		c.runs++;
		if (mmt_exec(&cur, &strict, &res->last) == EXEC_VIOLATION) {
			char sig[MMT_SIG_MAX];

			mmt_signature(&cur, &res->last, sig, sizeof(sig));
			strict_ok = !strcmp(sig, c.sig);
		}
		mmt_exec_result_free(&res->last);
	}
	res->strict_ok = strict_ok;
	res->runs = c.runs;
	res->ops_after = cur.nr_ops;
	res->sched_after = cur.nr_schedule;
	snprintf(res->sig, sizeof(res->sig), "%s", c.sig);
	if (o->log)
		fprintf(o->log, "minimize: %zu -> %zu ops, schedule %zu -> %zu, %u runs%s\n",
			res->ops_before, res->ops_after, res->sched_before, res->sched_after,
			res->runs, strict_ok ? "" : " (does not fail under a strict replay!)");
	*out = cur;
	return 0;
}
