/* SPDX-License-Identifier: MIT */
/*
 * pairs.h - generic race generation: races around pairs of ops that a
 * sequential run shows touching the same objects, with no template.
 *
 * Snowboard (Gong et al., SOSP 2021) pairs a writer and a reader of the same
 * memory seen in sequential runs; this does the same at the granularity the
 * model exposes.  A uniform one-task program (gen.h) is run once with every
 * lock touch (exec.h on_touch) and every decision point recorded per op.
 * An op that reached a yield point of its own (a decision point at which it
 * waits for no lock: cond_resched between the VMAs of an rmap walk, the
 * pages of a scan, a trylock retry) is a long operation; which ops those
 * are is read off the run, not off a list, so every op the language has or
 * gets, and every daemon, takes part.  A long op and a partner that touched
 * a lock the long op touched, one of them writing, make a pair; the race
 * program runs the ops that came before them as task 0's setup, then the
 * long op as task 0 and the partner as task 1 (with three tasks, a second
 * partner as task 2).  Where the switches go is left to the search: the
 * systematic explorer (explore.h) tries each of the long op's yield points.
 */
#ifndef MMT_PAIRS_H
#define MMT_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "mmt/program.h"

struct mmt_pair_info {
	size_t setup_ops;	/* the program's first setup_ops ops are task 0's setup */
	int long_op, partner;	/* opcodes of the pair (enum mmt_opcode) */
	unsigned yields;	/* yield points the long op reached in the sequential run */
};

/*
 * Fill @p (initialised, empty) with a race of @nr_tasks (2 or 3) tasks
 * around a pair found in the sequential programs of @seed.  0, -EAGAIN (no
 * pair in the few sequential programs tried), or -ENOMEM.  @info may be
 * NULL.  Deterministic: the same seed gives the same program.
 */
int mmt_gen_pair_race(struct mmt_program *p, uint64_t seed, unsigned nr_tasks,
		      struct mmt_pair_info *info);

#endif /* MMT_PAIRS_H */
