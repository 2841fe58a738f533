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
 *   2. turns its schedule into anchored switches (exec.h struct mmt_switch:
 *      "when task S reaches its k-th decision in op i, T runs"), which
 *      stay with their op when other ops go, where a schedule line's
 *      decision indices would all shift and lose the race;
 *   3. in rounds until nothing moves: delta debugging (ddmin) over the ops,
 *      then over the switches (the fewest context switches that keep the
 *      signature), each ending with one-at-a-time removal; in the first
 *      round whole processes; then arguments: tasks (toward task 0),
 *      lengths, values, prots, flags, reclaim counts, swap sizes, asserted
 *      outcomes, addresses shifted down;
 *   4. the world: fewer frames, one node, a smaller swap device;
 *   5. prints the interleaving back as a schedule line: the decisions the
 *      switches take, up to the last one the default policy would not take.
 * The result is 1-minimal: removing any single op or switch loses the
 * signature.  Every candidate must print and parse (the reader's static
 * rules) and fail with the same signature; the result is checked with a
 * strict replay of its schedule line.
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
	size_t sched_before, sched_after;	/* schedule entries */
	unsigned switches_before, switches_after;	/* context switches in them */
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

/* context switches in @p's schedule line (runs - 1) */
unsigned mmt_schedule_switches(const struct mmt_program *p);

/* replace @p's schedule with @n decisions from @s (n = 0: none); 0 or -ENOMEM */
int mmt_set_schedule(struct mmt_program *p, const uint8_t *s, size_t n);

#endif /* MMT_MINIMIZE_H */
