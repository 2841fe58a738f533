/* SPDX-License-Identifier: MIT */
/*
 * minimize.h - shrinking a failing program while it keeps failing the same
 * way, and the signature that says what "the same way" is.
 *
 * A signature is "INVARIANT/opcode/object-kind": the invariant that fired,
 * the kind of op that was running or had just run, and the kind of object
 * the report names (folio, mm, swap, anon_vma, ...).  Findings are
 * deduplicated by it and the minimizer keeps it.
 *
 * mmt_minimize:
 *   1. completes the program so that it fails under a plain replay: a
 *      finding made with teardown (the fuzzers) gets explicit exits and
 *      swapoffs appended when the plain program does not fail;
 *   2. delta debugging (ddmin) over the ops, then one op at a time until no
 *      single op can go;
 *   3. simplifies arguments: lengths, addresses, values, prots, flags,
 *      reclaim counts, swap sizes, tasks (toward task 0), the world;
 *   4. shortens the schedule to the shortest prefix that still fails (the
 *      executor's default policy takes over after it).
 * Every candidate must print and parse (the reader's static rules) and
 * fail with the same signature.  Multi-task programs are run with lenient
 * schedules while minimizing, and after every accepted step the schedule
 * actually taken is recorded into the program, so the schedule stays
 * consistent with the ops; the result is checked with a strict replay.
 */
#ifndef MMT_MINIMIZE_H
#define MMT_MINIMIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmt/exec.h"
#include "mmt/program.h"

#define MMT_SIG_MAX 96

/* "MAPCOUNT/migrate/folio"; @r must be a violation */
void mmt_signature(const struct mmt_program *p, const struct mmt_exec_result *r,
		   char *buf, size_t len);

struct mmt_min_opts {
	uint64_t inject;	/* the bugs on while it fails */
	unsigned max_runs;	/* executions allowed (0: 20000) */
	FILE *log;		/* progress lines, or NULL */
};

struct mmt_min_result {
	unsigned runs;
	size_t ops_before, ops_after;
	size_t sched_before, sched_after;
	bool strict_ok;		/* the result fails under a strict replay too */
	char sig[MMT_SIG_MAX];
	struct mmt_exec_result last;	/* the result's own run (schedule freed) */
};

/*
 * 0: @out (initialised here) holds the minimized program; -1: @in does not
 * fail with a violation (then @out is an empty program); -ENOMEM.
 */
int mmt_minimize(const struct mmt_program *in, const struct mmt_min_opts *o,
		 struct mmt_program *out, struct mmt_min_result *res);

/*
 * Append exits for the processes alive at the end (statically, in program
 * order) and swapoffs for the devices still on, so that a plain replay
 * tears the world down as the fuzzers' teardown does.  0 or -ENOMEM.
 */
int mmt_append_teardown(struct mmt_program *p);

/* replace @p's schedule with @n decisions from @s (n = 0: none); 0 or -ENOMEM */
int mmt_set_schedule(struct mmt_program *p, const uint8_t *s, size_t n);

#endif /* MMT_MINIMIZE_H */
