// SPDX-License-Identifier: MIT
/*
 * pairs.c - generic race generation (pairs.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/exec.h"
#include "mmt/gen.h"
#include "mmt/kprim.h"
#include "mmt/pairs.h"
#include "mmt/prng.h"

#define PROF_OBJS 64	/* locks an op's profile lists; past that, it touches "everything" */
#define SEQ_OPS 12	/* ops of the sequential programs (short: short setups) */
#define SEQ_TRIES 8	/* sequential programs per seed */
#define PAIR_TRIES 16	/* pairs per sequential program */

struct op_prof {
	bool ran, all;
	unsigned n, yields;
	uint8_t wr[PROF_OBJS];
	const void *obj[PROF_OBJS];
};

struct profiler {
	struct kp_decider d;
	struct op_prof *op, cur;
	size_t nr_ops;
};

static int prof_pick(struct kp_decider *d, const int *ids, int nr, int cur)
{
	struct profiler *pr = (struct profiler *)d;
	int waiting = LC_NONE;

	(void)nr;
	/* a decision point where the task waits for no lock is a yield point */
	if (cur >= 0) {
		kp_task_locks(cur, &waiting);
		if (waiting == LC_NONE)
			pr->cur.yields++;
	}
	return ids[0];
}

static void prof_touch(void *arg, const void *obj, bool write)
{
	struct profiler *pr = arg;
	struct op_prof *c = &pr->cur;

	if (c->all)
		return;
	for (unsigned i = 0; i < c->n; i++) {
		if (c->obj[i] == obj) {
			c->wr[i] |= write;
			return;
		}
	}
	if (c->n == PROF_OBJS) {
		c->all = true;
		return;
	}
	c->obj[c->n] = obj;
	c->wr[c->n++] = write;
}

static void prof_op(void *arg, long idx, int outcome, uint64_t value)
{
	struct profiler *pr = arg;

	(void)outcome;
	(void)value;
	if ((size_t)idx < pr->nr_ops) {
		pr->op[idx] = pr->cur;
		pr->op[idx].ran = true;
	}
	memset(&pr->cur, 0, offsetof(struct op_prof, wr));
}

static bool conflict(const struct op_prof *a, const struct op_prof *b)
{
	if (!a->ran || !b->ran)
		return false;
	if (a->all || b->all)
		return true;
	for (unsigned i = 0; i < a->n; i++)
		for (unsigned k = 0; k < b->n; k++)
			if (a->obj[i] == b->obj[k] && (a->wr[i] || b->wr[k]))
				return true;
	return false;
}

/* the ops before the last of @pick, in order, then @pick[t] as task t */
static int build(struct mmt_program *out, const struct mmt_program *seq, const size_t *pick,
		 unsigned nr, size_t *setup)
{
	size_t last = 0;
	struct mmt_op op;

	for (unsigned t = 0; t < nr; t++)
		if (pick[t] > last)
			last = pick[t];
	if (mmt_program_copy(out, seq))
		return -ENOMEM;
	out->nr_ops = 0;
	out->has_schedule = false;
	out->nr_schedule = 0;
	*setup = 0;
	for (size_t i = 0; i < last; i++) {
		bool racing = false;

		for (unsigned t = 0; t < nr; t++)
			racing |= pick[t] == i;
		if (racing)
			continue;
		op = seq->ops[i];
		op.task = 0;
		op.line = 0;
		if (mmt_program_add(out, &op))
			return -ENOMEM;
		(*setup)++;
	}
	for (unsigned t = 0; t < nr; t++) {
		op = seq->ops[pick[t]];
		op.task = (uint8_t)t;
		op.line = 0;
		op.expect = -1;
		if (mmt_program_add(out, &op))
			return -ENOMEM;
	}
	return 0;
}

int mmt_gen_pair_race(struct mmt_program *p, uint64_t seed, unsigned nr_tasks,
		      struct mmt_pair_info *info)
{
	uint64_t s = seed ^ 0x70616972u;	/* "pair" */
	struct mmt_gen_opts go;
	struct profiler pr;
	struct mmt_exec_opts eo;
	int ret = -EAGAIN;

	if (nr_tasks < 2)
		nr_tasks = 2;
	if (nr_tasks > 3)
		nr_tasks = 3;
	mmt_gen_opts_default(&go);
	go.nr_ops = SEQ_OPS;
	memset(&pr, 0, sizeof(pr));
	pr.d.pick = prof_pick;
	mmt_exec_opts_default(&eo);
	eo.decider = &pr.d;
	eo.on_touch = prof_touch;
	eo.touch_arg = &pr;
	eo.on_op = prof_op;
	eo.op_arg = &pr;
	eo.check_each_op = false;
	eo.check_inflight = false;

	for (int attempt = 0; attempt < SEQ_TRIES && ret == -EAGAIN; attempt++) {
		struct mmt_program seq;
		struct mmt_exec_result r;
		size_t longs[64], nl = 0;

		mmt_program_init(&seq);
		if (mmt_gen_random(&seq, mmt_splitmix64(&s), &go)) {
			mmt_program_free(&seq);
			return -ENOMEM;
		}
		free(pr.op);
		pr.nr_ops = seq.nr_ops;
		pr.op = calloc(seq.nr_ops ? seq.nr_ops : 1, sizeof(*pr.op));
		if (!pr.op) {
			mmt_program_free(&seq);
			return -ENOMEM;
		}
		memset(&pr.cur, 0, offsetof(struct op_prof, wr));
		mmt_exec(&seq, &eo, &r);
		mmt_exec_result_free(&r);
		for (size_t i = 0; i < seq.nr_ops && nl < 64; i++)
			if (pr.op[i].ran && pr.op[i].yields)
				longs[nl++] = i;
		for (int k = 0; nl && k < PAIR_TRIES && ret == -EAGAIN; k++) {
			size_t pick[3], partners[64], np = 0, setup;
			struct mmt_program q;

			pick[0] = longs[mmt_splitmix64(&s) % nl];
			for (size_t j = 0; j < seq.nr_ops && np < 64; j++)
				if (j != pick[0] && conflict(&pr.op[pick[0]], &pr.op[j]))
					partners[np++] = j;
			if (np < nr_tasks - 1)
				continue;
			pick[1] = partners[mmt_splitmix64(&s) % np];
			if (nr_tasks == 3) {
				do
					pick[2] = partners[mmt_splitmix64(&s) % np];
				while (pick[2] == pick[1]);
			}
			if (build(&q, &seq, pick, nr_tasks, &setup)) {
				mmt_program_free(&q);
				ret = -ENOMEM;
				break;
			}
			if (!mmt_program_reparses(&q)) {
				mmt_program_free(&q);
				continue;
			}
			*p = q;
			if (info) {
				info->setup_ops = setup;
				info->long_op = seq.ops[pick[0]].code;
				info->partner = seq.ops[pick[1]].code;
				info->yields = pr.op[pick[0]].yields;
			}
			ret = 0;
		}
		mmt_program_free(&seq);
	}
	free(pr.op);
	return ret;
}
