/* SPDX-License-Identifier: MIT */
/*
 * stress.h - threaded stress of the model on real pthreads (KP_PTHREAD).
 *
 * N worker threads run random syscall-like ops against a shared set of
 * processes; two daemon threads run kswapd and kcompactd passes.  Every
 * check period the main thread stops the world (every thread parks between
 * ops, holding no lock) and runs check_world().  The DATA oracle is not used
 * (values are racy by design); the invariants are, and LOCKORDER is
 * checked on every acquisition.
 *
 * A VM_BUG_ON on a stress thread records its violation and parks that
 * thread for good, holding its locks, as an oops leaves a kernel task (see
 * kp_set_abort_hook); the main thread notices the report and stops.
 *
 * On a violation the threads' recent ops (a ring buffer per thread) are
 * written out, turned into a multi-task .mmt program (one task per thread,
 * ops in the order they started), and run under the deterministic
 * scheduler with PCT deciders seeded from the logs, a bounded number of
 * times, until the same invariant fires; that program is saved with the
 * schedule that reproduced it.
 */
#ifndef MMT_STRESS_H
#define MMT_STRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mmt/check.h"

#define STRESS_MAX_WORKERS	6	/* + 2 daemons = 8 .mmt tasks */

struct stress_opts {
	int threads;		/* worker threads, 1..STRESS_MAX_WORKERS (default 2) */
	double seconds;		/* run time (default 10) */
	uint64_t seed;
	bool daemons;		/* kswapd + kcompactd threads (default on) */
	uint64_t inject;	/* bug switches */
	double check_every;	/* seconds between stop-the-world checks; 0: seconds/10 */
	unsigned trials;	/* sched reproduction budget, in runs (default 3000) */
	const char *out_dir;	/* logs and reproducers (default "findings") */
	FILE *out;		/* progress and summary (default stderr) */
	bool progress;		/* a progress line every second (default on) */
};

void stress_opts_default(struct stress_opts *o);

struct stress_result {
	double seconds;
	unsigned long long ops[STRESS_MAX_WORKERS + 2];	/* per thread */
	unsigned long long ops_total;
	int nr_threads;
	unsigned long checks;
	unsigned long violations;
	/* ksmd's work: pages merged, and of those onto pages in a stable tree */
	unsigned long ksm_merged, ksm_stable_hits;
	unsigned long mthp_alloc[6];	/* large folios faulted in, orders 1, 2 and 5 (PMD) */
	unsigned long khugepaged_collapsed;	/* ranges khugepaged collapsed */
	struct mmt_violation first;
	bool reproduced;
	char log_path[4096];
	char repro_path[4096];
};

/* 0: every check held; 1: a violation (see @r). */
int stress_run(const struct stress_opts *o, struct stress_result *r);

/* the command line: mmtorture stress ... ; exit 0 clean, 1 violation, 2 usage */
int stress_main(int argc, char **argv);

#endif /* MMT_STRESS_H */
