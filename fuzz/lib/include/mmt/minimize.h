/* SPDX-License-Identifier: MIT */
/*
 * minimize.h - shrinking a failing program while it keeps failing the same
 * way, and the signature that says what "the same way" is.
 *
 * One bug shows itself to whatever op happens to run next: a fork, a read,
 * an mmap.  Findings are told apart by root cause instead, as syzkaller
 * tells crashes apart by title, and the signature of a finding is
 *
 *   INVARIANT/PLACE[/BREAKER]
 *
 *   - PLACE is where the violation was reported (mmdebug.h, struct
 *     mmt_violation's site): the checker clause, "check/folio.c:112", or
 *     the model's VM_BUG_ON, "mm/memory.c:365".  DATA has no place ("-"):
 *     the reference model judges it wherever it is read.
 *   - BREAKER is the kind of op that broke the state, for reports of the
 *     checker and the executor: the checker runs after every op, so in a
 *     minimized one-task program the op after which it first failed is the
 *     op that broke it; with several tasks the checker waits until all of
 *     them are between ops, and the breaker is the last op of each task
 *     (the ops that raced), sorted and joined: "fork+migrate".  A
 *     VM_BUG_ON has none: the model asserted at the place that broke, and
 *     a fault that reaches it from a read or a write is the same bug.
 *
 * The minimizer keeps INVARIANT/PLACE (mmt_signature_clause) and drops
 * every op that merely observed the broken state, so the breaker of its
 * result is the root cause; a signature of a program that was not
 * minimized names whatever ran last.  mmt_signature_observed is what an
 * engine saw, with the op that was running when it showed.
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
 *      clause), each ending with one-at-a-time removal; in the first
 *      round whole processes; then arguments: tasks (toward task 0),
 *      lengths, values, prots, flags, reclaim counts, swap sizes, asserted
 *      outcomes, addresses shifted down;
 *   4. the world: fewer frames, one node, a smaller swap device;
 *   5. prints the interleaving back as a schedule line: the decisions the
 *      switches take, up to the last one the default policy would not take.
 * The result is 1-minimal: removing any single op or switch loses the
 * clause (INVARIANT/PLACE).  Every candidate must print and parse (the
 * reader's static rules) and fail with the same clause; the result is
 * checked with a strict replay of its schedule line.
 */
#ifndef MMT_MINIMIZE_H
#define MMT_MINIMIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmt/exec.h"
#include "mmt/program.h"

#define MMT_SIG_MAX 128

/*
 * "EXCLUSIVE/check/folio.c:check_anon_exclusive#1c2d/fork+migrate"; @r must be
 * a violation of @p.  The place is the violation's key (mmdebug.h).
 */
void mmt_signature(const struct mmt_program *p, const struct mmt_exec_result *r,
		   char *buf, size_t len);
/* "EXCLUSIVE/check/folio.c:check_anon_exclusive#1c2d": what minimizing keeps */
void mmt_signature_clause(const struct mmt_exec_result *r, char *buf, size_t len);
/* "EXCLUSIVE/check/folio.c:check_anon_exclusive#1c2d/write": place, op seen in */
void mmt_signature_observed(const struct mmt_program *p, const struct mmt_exec_result *r,
			    char *buf, size_t len);

struct mmt_min_opts {
	uint64_t inject;	/* the bugs on while it fails */
	/*
	 * Every step must also pass with the bugs off (the same switches):
	 * shrinking an injected bug's finding must not end on a bug of the
	 * model that happens to fire at the same place.
	 */
	bool attribute;
	unsigned max_runs;	/* executions allowed (0: 20000) */
	FILE *log;		/* progress lines, or NULL */
};

struct mmt_min_result {
	unsigned runs;
	size_t ops_before, ops_after;
	size_t sched_before, sched_after;	/* schedule entries */
	unsigned switches_before, switches_after;	/* context switches in them */
	bool strict_ok;		/* the result fails under a strict replay too */
	char sig[MMT_SIG_MAX];	/* the result's (mmt_signature) */
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

/*
 * Delta debugging over @p's ops alone, for a property other than failing
 * the same way (difftest keeps "still disagrees with the kernel"): ddmin,
 * then one op at a time until none can go, at most @max_runs calls of
 * @still (0: 20000).  @p is replaced by the result.  0 or -ENOMEM.
 */
int mmt_ddmin_ops(struct mmt_program *p, bool (*still)(void *arg, const struct mmt_program *cand),
		  void *arg, unsigned max_runs);

/* context switches in @p's schedule line (runs - 1) */
unsigned mmt_schedule_switches(const struct mmt_program *p);

/* replace @p's schedule with @n decisions from @s (n = 0: none); 0 or -ENOMEM */
int mmt_set_schedule(struct mmt_program *p, const uint8_t *s, size_t n);

#endif /* MMT_MINIMIZE_H */
