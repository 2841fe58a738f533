/* SPDX-License-Identifier: MIT */
/*
 * fuzzrun.h - what one fuzzer input means when it runs.
 *
 * Every front end that runs fuzzer bytes (the libFuzzer/AFL++ harness, the
 * random-bytes baseline, and convert, minimize and the campaign's triage,
 * which must reproduce what the harness saw) runs them through here, so
 * that an input means the same thing everywhere:
 *
 *   1. the program decoded from the bytes (decode.h), under the schedule
 *      the bytes encode;
 *   2. with two tasks or more, if that run passed, the same program under
 *      @pct_runs PCT schedules (sched.h) whose seeds are a hash of the
 *      bytes, depth 2 + (seed % 3), change points drawn over the number of
 *      decision points the first run took.
 *
 * The first run lets the fuzzer steer the interleaving; the PCT runs give
 * every program it keeps a few random interleavings of the depths the
 * zoo's races have, which single-byte mutation of switch points reaches
 * only rarely (PCT's bound: a depth-d bug in 1 of n k^(d-1) runs).  All of
 * it is a function of the bytes, so an input replays exactly, and the
 * program handed back carries the schedule its reported run took.
 */
#ifndef MMT_FUZZRUN_H
#define MMT_FUZZRUN_H

#include <stddef.h>
#include <stdint.h>

#include "mmt/exec.h"
#include "mmt/program.h"

/* PCT runs per multi-task input unless MMT_FUZZ_PCT says otherwise */
#define MMT_FUZZ_PCT_RUNS 3

/*
 * MMT_FUZZ_PCT=N from the environment (0..64), else MMT_FUZZ_PCT_RUNS: the
 * harness and the tools that reproduce its findings must agree on it, and
 * the campaign passes its environment to the engines.
 */
int mmt_fuzz_pct_runs(void);

struct mmt_fuzz_run {
	int max_tasks;			/* as mmt_decode_opts.max_tasks */
	int pct_runs;			/* extra PCT runs after a passing run */
	const struct mmt_exec_opts *exec;	/* NULL: defaults + teardown + lenient */
	/* out */
	uint64_t hash;			/* mmt_fuzz_hash of the bytes */
	unsigned long decisions;	/* decision points of the first run */
	int run;			/* the run reported: 0 = the bytes' own schedule */
};

/* the hash the PCT seeds come from (FNV-1a); front ends may key on it too */
uint64_t mmt_fuzz_hash(const uint8_t *data, size_t size);

/*
 * Decode and run @data as above.  Returns 0 with *p (with the schedule of
 * the reported run, none for one task) and *r filled (free both), or -1
 * when the bytes cannot be decoded (out of memory; *p and *r then need no
 * freeing).  *r is the first violating run, else the last one.
 */
int mmt_fuzz_run(const uint8_t *data, size_t size, struct mmt_fuzz_run *fr,
		 struct mmt_program *p, struct mmt_exec_result *r);

/*
 * Bytes from a fuzzer -> a program that replays the way the fuzzer ran it:
 * mmt_fuzz_run as the harness calls it (up to @tasks tasks, teardown on,
 * lenient schedule, bugs @inject, mmt_fuzz_pct_runs() PCT runs), so that
 * what an engine found reproduces in convert, minimize and the campaign's
 * triage.  Returns as mmt_fuzz_run.
 */
int mmt_fuzz_reproduce(const uint8_t *data, size_t size, int tasks, uint64_t inject,
		       struct mmt_program *p, struct mmt_exec_result *r);

#endif /* MMT_FUZZRUN_H */
