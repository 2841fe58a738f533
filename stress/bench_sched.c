// SPDX-License-Identifier: MIT
/*
 * bench_sched.c - mmtorture-bench-sched: the concurrency numbers (not a test).
 *
 *   sched execs/s     4 tasks x 16 ops (generated), under PCT, per second
 *   time-to-detect    per race-zoo bug: PCT and random walk over race
 *                     templates, and a naive baseline (uniform random
 *                     2-task programs from mmt_gen_random under a random
 *                     walk); median seconds over trials, success rate
 *
 * Prints one JSON object on stdout.  tools/bench-sched.sh adds stress ops/s
 * (1 and 2 threads), the TSan slowdown and writes bench/sched-results.json.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmt/exec.h"
#include "mmt/gen.h"
#include "mmt/inject.h"
#include "mmt/sched.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

enum engine { PCT, WALK, NAIVE };

static const char *const engine_name[] = { "pct", "random_walk", "naive" };

static int run(const struct mmt_program *p, enum engine e, uint64_t s, unsigned long est,
	       uint64_t inject)
{
	struct mmt_exec_opts o;
	struct mmt_exec_result r;
	struct mmt_decider_pct pct;
	struct mmt_decider_random rw;
	int st;

	mmt_exec_opts_default(&o);
	if (e == PCT) {
		/* depth 2 + s % 3: anon-vma-head-insert needs 4 (three switches) */
		mmt_decider_pct_init(&pct, s, 2, 2 + (int)(s % 3), est);
		o.decider = &pct.d;
	} else {
		mmt_decider_random_init(&rw, s);
		o.decider = &rw.d;
	}
	o.inject = inject;
	st = mmt_exec(p, &o, &r);
	mmt_exec_result_free(&r);
	return st;
}

/*
 * one trial: seconds until @bug's violation, or -1 within @budget.  A hit
 * counts only if the same program and decisions pass without the bug.
 */
static double detect(enum mmt_bug bug, enum engine e, uint64_t trial, double budget,
		     unsigned long *execs)
{
	double t0 = now();
	uint64_t base = trial * 1000003ull;

	for (uint64_t s = base;; s++) {
		struct mmt_program p;
		unsigned long est = 1;
		bool hit;

		if (now() - t0 > budget)
			return -1;
		mmt_program_init(&p);
		if (e == NAIVE) {
			struct mmt_gen_opts g;

			mmt_gen_opts_default(&g);
			g.nr_tasks = 2;
			g.nr_ops = 16;
			mmt_gen_random(&p, s, &g);
		} else {
			mmt_gen_race(&p, s, 2, 3);
		}
		if (e == PCT) {
			struct mmt_exec_result r;

			mmt_exec(&p, NULL, &r);
			(*execs)++;
			est = r.nr_schedule ? r.nr_schedule : 1;
			mmt_exec_result_free(&r);
		}
		hit = run(&p, e, s, est, 1ull << bug) == EXEC_VIOLATION;
		(*execs)++;
		if (hit) {
			hit = run(&p, e, s, est, 0) == EXEC_PASS;
			(*execs)++;
		}
		mmt_program_free(&p);
		if (hit)
			return now() - t0;
	}
}

int main(int argc, char **argv)
{
	static const enum mmt_bug bugs[] = {
		BUG_ANON_VMA_HEAD_INSERT, BUG_FORK_MIGRATION_WRITE_FLAG,
		BUG_MPROTECT_KEEPS_WRITE_MIGRATION,
	};
	int trials = argc > 1 ? atoi(argv[1]) : 5;
	double budget = argc > 2 ? atof(argv[2]) : 10;
	unsigned long n = 0;
	double t0, dt;

	printf("{\n");
	/* sched execs/s: 4 tasks x 16 ops */
	t0 = now();
	for (uint64_t s = 0; now() - t0 < 3.0; s++) {
		struct mmt_program p;
		struct mmt_gen_opts g;
		struct mmt_exec_opts o;
		struct mmt_exec_result r;
		struct mmt_decider_pct pct;

		mmt_gen_opts_default(&g);
		g.nr_tasks = 4;
		g.nr_ops = 64;
		mmt_program_init(&p);
		mmt_gen_random(&p, s % 256, &g);
		mmt_exec_opts_default(&o);
		mmt_decider_pct_init(&pct, s, 4, 3, 400);
		o.decider = &pct.d;
		mmt_exec(&p, &o, &r);
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
		n++;
	}
	dt = now() - t0;
	printf("  \"sched_execs_per_s_4x16\": %.0f,\n", n / dt);

	printf("  \"time_to_detect\": {\n");
	for (unsigned b = 0; b < 3; b++) {
		printf("    \"%s\": {", mmt_bugs[bugs[b]].name);
		for (int e = 0; e < 3; e++) {
			double t[64];
			int ok = 0;
			unsigned long execs = 0;

			for (int k = 0; k < trials && k < 64; k++) {
				double s = detect(bugs[b], (enum engine)e, (uint64_t)k + 1, budget, &execs);

				t[k] = s < 0 ? 1e9 : s;
				ok += s >= 0;
			}
			qsort(t, (size_t)trials, sizeof(double), cmpd);
			if (t[trials / 2] >= 1e9)
				printf("%s\"%s\": {\"median_s\": null, ", e ? ", " : " ", engine_name[e]);
			else
				printf("%s\"%s\": {\"median_s\": %.4f, ", e ? ", " : " ", engine_name[e],
				       t[trials / 2]);
			printf("\"success\": \"%d/%d\", \"budget_s\": %.0f, \"execs\": %lu}", ok,
			       trials, budget, execs);
			fflush(stdout);
		}
		printf(" }%s\n", b < 2 ? "," : "");
	}
	printf("  }\n");
	printf("}\n");
	return 0;
}
