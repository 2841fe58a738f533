/* SPDX-License-Identifier: MIT */
/*
 * sched.h - decision sources for the deterministic scheduler (kprim.h).
 *
 * The executor asks a struct kp_decider which runnable task goes next at
 * every decision point.  Besides a recorded schedule (the program's schedule
 * line) and fuzzer bytes (decode.h), these make interleavings from a seed:
 *
 *   random walk   a uniformly random runnable task at every point;
 *   PCT           Probabilistic Concurrency Testing (Burckhardt et al.,
 *                 ASPLOS 2010): random distinct priorities per task, the
 *                 highest-priority runnable task always runs, and at d-1
 *                 random decision points the running task's priority drops
 *                 below all others.  Finds any bug of depth d with
 *                 probability >= 1/(n k^(d-1)) for n tasks and k steps.
 *
 * Same seed, same program: same interleaving, byte for byte.
 */
#ifndef MMT_SCHED_H
#define MMT_SCHED_H

#include <stdint.h>

#include "mmt/kprim.h"

struct mmt_decider_random {
	struct kp_decider d;
	uint64_t state;
};

void mmt_decider_random_init(struct mmt_decider_random *r, uint64_t seed);

#define MMT_PCT_MAX_DEPTH 8

struct mmt_decider_pct {
	struct kp_decider d;
	uint64_t state;
	int prio[KP_MAX_TASKS];		/* higher runs first */
	unsigned long change_at[MMT_PCT_MAX_DEPTH];	/* decision indices */
	int nr_changes;
	int next_low;			/* next priority handed out at a change point */
	unsigned long step;
};

/*
 * @ntasks tasks, bug depth @depth (1..MMT_PCT_MAX_DEPTH), @est_steps an
 * estimate of the decision points a run takes (change points are drawn
 * uniformly from [0, est_steps)).
 */
void mmt_decider_pct_init(struct mmt_decider_pct *p, uint64_t seed, int ntasks, int depth,
			  unsigned long est_steps);

#endif /* MMT_SCHED_H */
