/* SPDX-License-Identifier: MIT */
/*
 * explore.h - bounded systematic exploration of a small multi-task program.
 *
 * Every schedule of the program's tasks over the deterministic scheduler's
 * decision points (lock operations and yield points, kprim.h) is run, up to
 * a preemption bound, as CHESS does (Musuvathi and Qadeer, PLDI 2007): a
 * preemption is a decision that takes the CPU from a task that could have
 * gone on; a switch away from a task that blocked or finished is free.  The
 * search is stateless, by re-execution: each run replays a prefix of
 * decisions and then runs the default policy (keep the running task), and
 * the tree of decision points is walked depth first.
 *
 * Equivalent interleavings are pruned with sleep sets (Godefroid 1996) over
 * a conflict relation between steps.  A step is what one task does between
 * two decision points; its footprint is every lock it touched (exec.h
 * on_touch: an exclusive acquisition or a release writes the lock, a shared
 * acquisition, a failed trylock or a wait for a bit lock reads it) and, when
 * it begins or ends an op, the executor's op log.  Two steps of different
 * tasks conflict when their footprints share an object, one of them
 * writing.  After the subtree of a task's step at a node is done, that task
 * sleeps in its siblings' subtrees until a step that conflicts with its own
 * runs; a branch into a sleeping task is pruned, and so is a run in which
 * every task the bound allows is asleep.
 *
 * What the relation sees is the model's locking: two steps that touch the
 * same data without a common lock (a lockless read of a pte that another
 * task rewrites under its lock, an atomic refcount) are taken to commute.
 * Within the kernel's own discipline such reads are rechecked under the lock,
 * which is a touch of that lock; a model path that reads unlocked and acts
 * without a recheck is exactly a bug the pruned search can miss, so
 * .fields (explore --fields) adds every field access the model reports to
 * the footprints, and .prune = false (explore --no-prune) is there for a
 * search without pruning at all.
 * With a finite bound the combination is also not complete: a pruned
 * interleaving may be equivalent only to ones that need more preemptions
 * (Coons, Musuvathi and McKinley, OOPSLA 2013).  Without a bound the pruned
 * search reaches every final state the full search reaches, which
 * test_explore checks.
 */
#ifndef MMT_EXPLORE_H
#define MMT_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/exec.h"
#include "mmt/program.h"

struct mmt_explore_opts {
	int bound;			/* preemptions per schedule; < 0: no bound */
	unsigned long max_schedules;	/* runs at most (0: no limit) */
	double budget;			/* seconds (0: no limit) */
	bool prune;			/* sleep sets (default on) */
	/*
	 * The conflict relation also sees the fields the model reports
	 * (exec.h touch_fields: ptes, folio flags, mapping, refcount,
	 * mapcount, anon_vma chains, swap_map, swap cache, VMAs), so two
	 * steps that meet on a lockless read no longer commute: the pruning
	 * stays sound for the unlocked paths below, at the price of pruning
	 * less.  Off by default.
	 */
	bool fields;
	uint64_t inject;		/* bug switches (inject.h) */
	bool stop_on_violation;		/* default on: the first violation ends it */
	/*
	 * The program's first setup_ops ops, all task 0's, run alone before
	 * any decision is explored (the other tasks wait for them): the setup
	 * of a generated race (pairs.h), where a preemption would only start
	 * a racer before its process exists.  0: every decision is explored.
	 */
	size_t setup_ops;
	/*
	 * Called after every run that was not pruned, with a digest of where
	 * it ended: every op's outcome and value read, the verdict, and each
	 * process's VMAs, ptes (kind and protection, not frame numbers) and
	 * mapped contents.  For comparing the searches with and without
	 * pruning.
	 */
	void (*on_final)(void *arg, uint64_t digest);
	void *final_arg;
};

void mmt_explore_opts_default(struct mmt_explore_opts *o);

struct mmt_explore_result {
	unsigned long explored;		/* runs to the end, not pruned */
	unsigned long pruned;		/* branches and runs cut by the sleep sets */
	unsigned long runs;		/* every run, pruned ones included */
	unsigned long decisions;	/* deepest schedule seen */
	bool complete;			/* every schedule within the bound was covered */
	bool violation;			/* a run failed (violation or asserted outcome) */
	/* the failing run: its program with the schedule it took, and the run */
	struct mmt_program prog;
	struct mmt_exec_result run;
	int preemptions;		/* in the failing schedule */
	char msg[256];			/* an error (nondeterminism, setup) */
};

/*
 * Explore @p (two tasks or more).  0 (see @r: a violation, or none within
 * the bound), -EINVAL (one task, or the run could not be set up: @r->msg),
 * -EIO (a replayed prefix took another path: the model is not
 * deterministic; @r->msg), -ENOMEM.  Free @r with mmt_explore_result_free.
 */
int mmt_explore(const struct mmt_program *p, const struct mmt_explore_opts *o,
		struct mmt_explore_result *r);
void mmt_explore_result_free(struct mmt_explore_result *r);

#endif /* MMT_EXPLORE_H */
