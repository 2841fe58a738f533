/* SPDX-License-Identifier: MIT */
/*
 * exec.h - the executor: runs a program against the model, checks every
 * invariant at quiescent points and every read against the reference model
 * (the DATA oracle), and says what went wrong.
 *
 * Each task (@N) of a program is a fiber under the deterministic scheduler
 * (kprim.h, KP_SCHED).  Decision points are numbered; the decision at point
 * k is taken from the program's schedule line if it has an entry k naming a
 * runnable task, else by the default policy: keep running the task that
 * reached the point if it can run, otherwise the lowest-numbered runnable
 * task.  A single-task program therefore needs no schedule.  The decisions
 * actually taken are returned, so a finding can be printed with the exact
 * schedule that replays it.
 */
#ifndef MMT_EXEC_H
#define MMT_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mmt/check.h"
#include "mmt/kprim.h"
#include "mmt/program.h"

/* what check_each_op runs after each op; the end of a program always runs check_world() */
enum mmt_check_mode {
	MMT_CHECK_INCREMENTAL = 0,	/* check_world_incremental(): same verdicts, cheaper */
	MMT_CHECK_FULL,			/* check_world(): for measuring the checker's cost */
};

/*
 * A context switch anchored to the program rather than to a decision index:
 * when task @task reaches its decision point number @k (counted from 0)
 * since it started op @op (-1: before its first op), task @to runs next.
 * Decision indices shift whenever an op is added or removed anywhere;
 * anchors move only with their own op, which is what lets the minimizer
 * delete ops and switches independently.
 */
struct mmt_switch {
	int32_t op;
	uint32_t k;
	uint8_t task, to;
};

struct mmt_exec_opts {
	uint64_t inject;		/* bug switches (inject.h), OR'ed with the env's */
	bool check_each_op;		/* check the world after every op (default on) */
	enum mmt_check_mode check_mode;	/* how (default incremental) */
	/*
	 * The cheap invariants also at every lock release and yield point,
	 * while ops run (check.h check_inflight).  Default on; off with
	 * MMT_INFLIGHT=0 in the environment (for measuring its cost).
	 */
	bool check_inflight;
	bool stop_on_violation;		/* default on */
	FILE *trace;			/* if set, one line per op with its outcome */
	struct kp_decider *decider;	/* NULL: the program's schedule, then the default */
	/*
	 * A schedule entry naming a task that cannot run falls back to the
	 * default policy instead of ending the run as EXEC_DIVERGED: for
	 * schedules that come from fuzzer bytes rather than from a recording.
	 */
	bool lenient_schedule;
	/*
	 * If set (and no decider), these switches replace the program's
	 * schedule line; every other decision takes the default policy.  A
	 * switch to a task that cannot run falls back to the default as a
	 * lenient schedule does.
	 */
	const struct mmt_switch *switches;
	size_t nr_switches;
	/*
	 * After the last op: every live process exits and every swap device is
	 * turned off, so that LEAK is checked on every run (fuzzing, hunting).
	 */
	bool teardown;
	/*
	 * Interleaving feedback: called at every decision point of the program
	 * phase where the scheduler moves from one task to another, with a
	 * hash of where both stand (the op each is in, the lock classes each
	 * holds and the one each is about to take).  A new value means the run
	 * reached a pair of states no earlier switch did; the libFuzzer harness
	 * counts them as coverage, so inputs that get one step further into a
	 * race are kept and mutated further.
	 */
	void (*on_switch)(void *arg, uint32_t where);
	void *switch_arg;
	/*
	 * Conflict feedback: called whenever a task takes a lock instance that
	 * another task took last, one of the two exclusively (an rwsem's
	 * readers do not conflict), with a hash of the lock's class, the ops
	 * both tasks were in and how each took it.  That is an ordering of two
	 * ops over one object (a page table, a folio, an anon_vma, a swap
	 * device): the reads-from and alias coverage of RFF and Krace at the
	 * granularity of the model's locks.  A new value means the run ordered
	 * two operations on an object in a way no earlier run did.  The fuzz
	 * harnesses feed it to libFuzzer's extra counters and AFL++'s map.
	 */
	void (*on_conflict)(void *arg, uint32_t what);
	void *conflict_arg;
	/*
	 * With on_conflict, also pair accesses to the fields the model reports
	 * (kprim.h kp_access: ptes, folio flags, mapping, refcount, mapcount,
	 * anon_vma chains, swap_map, swap cache, VMAs), reads included, hashed
	 * with the field's class and the lock classes the task holds: the
	 * reads-from pairs of RFF at the granularity of a field, including
	 * the reads no lock orders.
	 */
	bool conflict_fields;
	/*
	 * Step footprints: called, in the program phase, at every touch of
	 * a lock between two decision points (kprim.h kp_touch_hook: the
	 * lock, and whether the touch writes it), and, with several tasks,
	 * with the executor's own op log as a written object whenever a task
	 * begins or ends an op (the order of op boundaries is what the
	 * oracle's overlap judgement reads).  What the systematic explorer
	 * (fuzz/lib explore.h) derives its conflict relation from.
	 */
	void (*on_touch)(void *arg, const void *obj, bool write);
	void *touch_arg;
	/*
	 * With on_touch, also pass it the field accesses the model reports
	 * (kprim.h kp_access), each as an object of its own (the object's
	 * address with the field's class folded in): a footprint that sees
	 * the lockless reads and atomics a lock's footprint cannot.
	 */
	bool touch_fields;
	/*
	 * Called after every op that ran (not one skipped for want of its
	 * process), with its index in the program, its outcome (enum
	 * mmt_outcome, or -1 for an errno the language has no word for) and,
	 * for a read, the value it returned: what a differential run compares
	 * with another implementation of the same ops (fuzz/lib difftest.h).
	 */
	void (*on_op)(void *arg, long idx, int outcome, uint64_t value);
	void *op_arg;
};

void mmt_exec_opts_default(struct mmt_exec_opts *o);

enum mmt_exec_status {
	EXEC_PASS = 0,		/* every invariant and assertion held */
	EXEC_VIOLATION,		/* an invariant fired (report in .violation) */
	EXEC_ASSERT,		/* an asserted outcome or value did not match */
	EXEC_DIVERGED,		/* the schedule named a task that could not run */
	EXEC_SETUP,		/* the world could not be built from the program */
};

struct mmt_exec_result {
	enum mmt_exec_status status;
	struct mmt_violation violation;	/* EXEC_VIOLATION */
	long fail_op;			/* index of the op being run or just run, or -1 */
	char msg[512];			/* human-readable, one line */
	unsigned long ops_done;
	uint8_t *schedule;		/* decisions taken (malloc'd; free with _free) */
	size_t nr_schedule;
	/*
	 * The decisions of the program phase that the default policy would
	 * not have taken, as anchored switches (multi-task runs; malloc'd):
	 * running with exactly these as opts.switches takes the same
	 * decisions.  nr_sched_needed is the schedule prefix that matters
	 * (one past the last such decision).
	 */
	struct mmt_switch *switches;
	size_t nr_switches;
	size_t nr_sched_needed;
	/* reads that overlapped writes and were judged against their window */
	unsigned long reads_windowed;
};

int mmt_exec(const struct mmt_program *p, const struct mmt_exec_opts *o,
	     struct mmt_exec_result *r);
void mmt_exec_result_free(struct mmt_exec_result *r);
/* print the failure report: what, which object, the op trace */
void mmt_exec_report(FILE *f, const char *path, const struct mmt_program *p,
		     const struct mmt_exec_result *r);

#endif /* MMT_EXEC_H */
