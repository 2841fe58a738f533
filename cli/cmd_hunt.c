// SPDX-License-Identifier: MIT
/*
 * cmd_hunt.c - mmtorture hunt
 *
 *   hunt [--inject NAME] [--engine naive|sched-random|pct|random-bytes|libfuzzer|afl]
 *        [--budget S] [--seed N] [--ops N] [--tasks N] [--jobs N] [--out DIR]
 *        [--depth D] [--gen random|race|mix] [--check incremental|full] [--runs N]
 *        [--no-custom-mutator] [--quiet]
 *
 * With --inject: run until the named zoo bug is found, print the time to
 * detect it and write the minimized reproducer to DIR (default findings/);
 * exit 0 if it was found within the budget, 1 if not.  A finding counts only
 * if the same program, with the schedule it took, passes without the bug.
 * Without --inject: random programs for the whole budget, every violation
 * written to DIR; exit 1 if anything was found.
 *
 * Engines:
 *   naive         uniform random programs (gen.h), one task unless --tasks.
 *                 mmt_gen_random's world has two swap devices at most, so
 *                 naive cannot reach swapon-type-overlap, and with one task
 *                 none of the races: it measures throughput, and is no
 *                 baseline for time to detect
 *   sched-random  generated programs with --tasks tasks (default 2) under the
 *                 random-walk decider (sched.h)
 *   pct           the same under PCT, the change points drawn over the run's
 *                 length as measured by a first run.  Depth cycles with the
 *                 program seed s, 2 + s % 3 (2, 3, 4), unless --depth D fixes
 *                 it: fork-migration-write-flag and mprotect-keeps-write-
 *                 migration need one ordering (depth 2), anon-vma-head-insert
 *                 three switches, none forced by blocking (depth 4).  The
 *                 run is still a function of --seed alone.
 *   random-bytes  the baseline for the fuzzers' time to detect: their own
 *                 input space with the feedback taken away.  Every exec is a
 *                 fresh byte string of uniformly random length 0..514 (the
 *                 -max_len of the libFuzzer runs, cmd_fuzz.c) and uniformly
 *                 random bytes, from one splitmix64 stream seeded by --seed,
 *                 decoded by mmt_decode with the fuzzers' task count (--tasks,
 *                 else 2 for the zoo's races and 1 otherwise) and run as
 *                 fuzz/harness.c runs it (mmt_fuzz_run, fuzzrun.h: every op
 *                 checked, stopped at the first violation, torn down, the
 *                 bytes' schedule taken leniently, then MMT_FUZZ_PCT PCT
 *                 schedules).  The ratio of its time to detect to a fuzzer's
 *                 is what coverage feedback and mutation buy.
 * Programs: naive runs mmt_gen_random's uniform programs; sched-random and pct
 * (with 2 or more tasks) default to --gen mix, every other program a race
 * template (mmt_gen_race: one process migrating its pages while the other
 * tasks fork, mprotect, write, unmap, exit; 3 ops per racing task), the rest
 * uniform.  The choice never depends on --inject.  random-bytes ignores --ops,
 * --gen and --depth: the bytes decide the program and its schedule.
 * In-process engines only: --check full checks with check_world() after every
 * op instead of the incremental checker (same verdicts; for measuring the
 * checker's cost), and --runs N stops after N programs (for the bench's
 * memory measurement).
 *   libfuzzer     the libFuzzer harness (mmt_fuzz next to this binary)
 *   afl           the AFL++ harness (mmt_fuzz_afl)
 * For the fuzzers (and random-bytes), --tasks defaults to 2 for the zoo's races
 * and 1 otherwise;
 * --no-custom-mutator runs libFuzzer without the structure-aware mutator
 * (mmt_fuzz-stock) and AFL++ without the custom mutator library.
 * A last line "hunt-result: {json}" on stdout gives the outcome for scripts (the
 * bench); the in-process engines print it without --inject too ("found": any
 * violation), so that a clean run can be told from one that did not start.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mmt/check.h"
#include "mmt/decode.h"
#include "mmt/exec.h"
#include "mmt/fuzzrun.h"
#include "mmt/gen.h"
#include "mmt/inject.h"
#include "mmt/minimize.h"
#include "mmt/prng.h"
#include "mmt/sched.h"

int write_finding(const char *path, const char *header, const struct mmt_program *p);

/* the zoo entries that are races between two tasks */
static bool bug_is_race(uint64_t mask)
{
	return mask & ((1ull << BUG_ANON_VMA_HEAD_INSERT) | (1ull << BUG_FORK_MIGRATION_WRITE_FLAG) |
		       (1ull << BUG_MPROTECT_KEEPS_WRITE_MIGRATION));
}

int hunt_default_tasks(uint64_t mask);
int hunt_default_tasks(uint64_t mask)
{
	return bug_is_race(mask) ? 2 : 1;
}

enum engine { ENG_NAIVE, ENG_RANDOM, ENG_PCT, ENG_BYTES, ENG_LIBFUZZER, ENG_AFL };

static const char *const engine_names[] = {
	[ENG_NAIVE] = "naive", [ENG_RANDOM] = "sched-random", [ENG_PCT] = "pct",
	[ENG_BYTES] = "random-bytes", [ENG_LIBFUZZER] = "libfuzzer", [ENG_AFL] = "afl",
};

/*
 * The longest input random-bytes draws: the -max_len cmd_fuzz.c gives
 * libFuzzer (header, every op record, 256 schedule bytes), so that the
 * baseline and the fuzzers search the same space.
 */
#define HUNT_BYTES_MAX	(2 + MMT_DECODE_RECORD * MMT_DECODE_MAX_OPS + 256)

/* one fresh input: a uniform length, then uniform bytes; returns the length */
static size_t random_input(uint64_t *state, uint8_t *buf)
{
	size_t n = (size_t)(mmt_splitmix64(state) % (HUNT_BYTES_MAX + 1));

	for (size_t i = 0; i < n; i += 8) {
		uint64_t x = mmt_splitmix64(state);

		for (size_t j = i; j < n && j < i + 8; j++, x >>= 8)
			buf[j] = (uint8_t)x;
	}
	return n;
}

/* does @p with the schedule @r took pass with the bugs off? */
static bool passes_without(const struct mmt_program *p, const struct mmt_exec_result *r,
			   const struct mmt_exec_opts *o)
{
	struct mmt_exec_opts clean = *o;
	struct mmt_exec_result c;
	struct mmt_program q;
	bool ok;

	if (mmt_program_copy(&q, p))
		return false;
	if (r->nr_schedule)
		mmt_set_schedule(&q, r->schedule, r->nr_schedule);
	clean.inject = 0;
	clean.decider = NULL;
	clean.lenient_schedule = true;
	ok = mmt_exec(&q, &clean, &c) == EXEC_PASS;
	mmt_exec_result_free(&c);
	mmt_program_free(&q);
	return ok;
}

static void sanitize_sig(const char *sig, char *out, size_t len)
{
	size_t i;

	for (i = 0; sig[i] && i + 1 < len; i++)
		out[i] = (sig[i] == '/' || sig[i] == ' ') ? '-' : sig[i];
	out[i] = 0;
}

/* minimize @p (failing with @mask) and write DIR/NAME; 0 or -1 */
static int save_minimized(const char *dir, const char *stem, const struct mmt_program *p,
			  const struct mmt_exec_result *r, uint64_t mask, const char *inject,
			  const char *how, char *path, size_t pathlen, char *sigout, size_t siglen)
{
	struct mmt_min_opts mo = { .inject = mask };
	struct mmt_min_result res;
	struct mmt_program q, m;
	char header[2048], sig[MMT_SIG_MAX];
	int ret;

	if (mmt_program_copy(&q, p))
		return -1;
	if (r->nr_schedule)
		mmt_set_schedule(&q, r->schedule, r->nr_schedule);
	ret = mmt_minimize(&q, &mo, &m, &res);
	if (ret) {
		/* it did not fail on a plain replay: keep it as it was */
		mmt_program_copy(&m, &q);
		mmt_signature(p, r, res.sig, sizeof(res.sig));
	}
	mmt_program_free(&q);
	sanitize_sig(res.sig, sig, sizeof(sig));
	if (mkdirs(dir)) {
		mmt_program_free(&m);
		return -1;
	}
	snprintf(path, pathlen, "%s/%s%s%s.mmt", dir, stem, *stem ? "-" : "", sig);
	snprintf(header, sizeof(header),
		 "# %s: %s: %s\n# signature %s; %s\n# minimized: %zu -> %zu ops, schedule %zu -> %zu\n"
		 "# replay: mmtorture replay%s%s FILE\n",
		 mmt_invariant_name(r->violation.inv), r->violation.object, r->violation.msg,
		 res.sig, how, res.ops_before, res.ops_after, res.sched_before, res.sched_after,
		 inject ? " --inject " : "", inject ? inject : "");
	ret = write_finding(path, header, &m);
	mmt_program_free(&m);
	if (sigout)
		snprintf(sigout, siglen, "%s", res.sig);
	return ret;
}

static void result_line(const char *engine, const char *inject, bool found, double secs,
			uint64_t execs, const char *path, const char *sig)
{
	printf("hunt-result: {\"engine\": \"%s\", \"inject\": \"%s\", \"found\": %s, "
	       "\"seconds\": %.3f, \"execs\": %" PRIu64 ", \"finding\": \"%s\", "
	       "\"signature\": \"%s\"}\n", engine, inject ? inject : "", found ? "true" : "false",
	       secs, execs, path ? path : "", sig ? sig : "");
	fflush(stdout);
}

/* naive, sched-random, pct, random-bytes: programs run in this process */
struct inproc_opts {
	int depth;			/* PCT depth; 0: 2 + seed % 3 */
	enum mmt_check_mode check;
	uint64_t runs;			/* stop after this many programs; 0: the budget */
	int gen;			/* 0 random, 1 race templates, 2 mix, -1 the engine's */
};

static int hunt_inprocess(enum engine eng, double budget, uint64_t seed, uint64_t mask,
			  const char *inject, struct mmt_gen_opts *gopts, const char *out_dir,
			  bool quiet, const struct inproc_opts *io)
{
	double t0 = now(), last = 0, t;
	uint64_t programs = 0, ops_total = 0;
	struct mmt_exec_opts opts;
	bool tty = isatty(2) && !quiet, detected = false;
	unsigned nr_found = 0, nr_saved = 0;
	char path[PATH_MAX] = "", sig[MMT_SIG_MAX] = "";
	double ttd = 0;
	int gen;
	/* random-bytes: one stream for the whole run, so seeds do not overlap */
	uint64_t stream = seed;
	static uint8_t input[HUNT_BYTES_MAX];
	size_t input_len = 0;
	const int pct_runs = mmt_fuzz_pct_runs();

	mmt_exec_opts_default(&opts);
	opts.inject = mask;
	opts.lenient_schedule = true;
	opts.check_mode = io->check;
	if (eng == ENG_BYTES) {
		/* as fuzz/harness.c: decoded programs end anywhere, so tear down */
		opts.check_each_op = true;
		opts.stop_on_violation = true;
		opts.teardown = true;
	}
	gen = io->gen >= 0 ? io->gen : eng == ENG_NAIVE ? 0 : 2;
	for (uint64_t k = 0;; k++) {
		/* a program seed, or for random-bytes the input's number */
		uint64_t s = eng == ENG_BYTES ? k : seed + k;
		struct mmt_decider_random dr;
		struct mmt_decider_pct dp;
		struct mmt_exec_result r;
		struct mmt_program p;
		bool ran = false;
		int err;

		t = now() - t0;
		if (t >= budget || (io->runs && programs >= io->runs))
			break;
		if (!quiet && t - last >= (tty ? 0.5 : 5.0)) {
			last = t;
			fprintf(stderr, "%shunt: %.1fs  programs %" PRIu64 "  ops %" PRIu64
				"  ops/s %.0f  findings %u%s", tty ? "\r" : "", t, programs,
				ops_total, t > 0 ? ops_total / t : 0.0, nr_found, tty ? "" : "\n");
		}
		if (eng == ENG_BYTES) {
			/* run exactly as the harness runs an input (fuzzrun.h) */
			struct mmt_fuzz_run fr = { .max_tasks = (int)gopts->nr_tasks,
						   .pct_runs = pct_runs, .exec = &opts };

			input_len = random_input(&stream, input);
			err = mmt_fuzz_run(input, input_len, &fr, &p, &r);
			if (err)
				mmt_program_init(&p);
			ran = !err;
		} else {
			mmt_program_init(&p);
			err = (gen == 1 || (gen == 2 && (k & 1))) && gopts->nr_tasks > 1 ?
			      mmt_gen_race(&p, s, gopts->nr_tasks, 3) : mmt_gen_random(&p, s, gopts);
		}
		if (err) {
			fprintf(stderr, "\nhunt: out of memory\n");
			mmt_program_free(&p);
			return EXIT_FAILED;
		}
		opts.decider = NULL;
		if (eng == ENG_RANDOM && gopts->nr_tasks > 1) {
			mmt_decider_random_init(&dr, s * 0x2545f4914f6cdd1dull + 1);
			opts.decider = &dr.d;
		} else if (eng == ENG_PCT && gopts->nr_tasks > 1) {
			/* a first run with the default policy gives the run's length */
			struct mmt_exec_opts probe = opts;
			unsigned long steps;
			int depth = io->depth ? io->depth : 2 + (int)(s % 3);

			probe.inject = 0;
			mmt_exec(&p, &probe, &r);
			steps = r.nr_schedule > 8 ? r.nr_schedule : 8;
			mmt_exec_result_free(&r);
			mmt_decider_pct_init(&dp, s * 0x2545f4914f6cdd1dull + 1, (int)gopts->nr_tasks,
					     depth, steps);
			opts.decider = &dp.d;
		}
		if (!ran)
			mmt_exec(&p, &opts, &r);
		programs++;
		ops_total += r.ops_done;
		if (r.status == EXEC_VIOLATION) {
			char how[256];

			if (mask && !passes_without(&p, &r, &opts)) {
				if (!quiet)
					fprintf(stderr, "%shunt: %s %" PRIu64 " fails without the bug "
						"too (%s): a model bug, not %s\n", tty ? "\n" : "",
						eng == ENG_BYTES ? "input" : "seed", s,
						mmt_invariant_name(r.violation.inv), inject);
				nr_found++;
				if (!mask)
					goto next;
				goto next;
			}
			nr_found++;
			ttd = now() - t0;
			if (eng == ENG_BYTES)
				snprintf(how, sizeof(how), "found by mmtorture hunt --engine %s --seed %"
					 PRIu64 " (input %" PRIu64 ", %zu random bytes decoded with "
					 "up to %u tasks) after %.3fs", engine_names[eng], seed, s,
					 input_len, gopts->nr_tasks, ttd);
			else
				snprintf(how, sizeof(how), "found by mmtorture hunt --engine %s --seed %"
					 PRIu64 " (program seed %" PRIu64 ", %s, %u tasks) after %.3fs",
					 engine_names[eng], seed, s,
					 (gen == 1 || (gen == 2 && (k & 1))) && gopts->nr_tasks > 1 ?
					 "race template" : "uniform", gopts->nr_tasks, ttd);
			if (tty)
				fputc('\n', stderr);
			if (nr_saved < 20 &&
			    !save_minimized(out_dir, inject ? inject : "hunt", &p, &r, mask, inject,
					    how, path, sizeof(path), sig, sizeof(sig)))
				nr_saved++;
			if (!quiet)
				fprintf(stderr, "hunt: %s %" PRIu64 ": %s: %s %s -> %s\n",
					eng == ENG_BYTES ? "input" : "seed", s,
					mmt_invariant_name(r.violation.inv), r.violation.object,
					r.violation.msg, path);
			if (mask) {
				detected = true;
				mmt_exec_result_free(&r);
				mmt_program_free(&p);
				break;
			}
		}
next:
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
	}
	t = now() - t0;
	if (tty)
		fputc('\n', stderr);
	fprintf(stderr, "hunt: %s, %.1fs, %" PRIu64 " programs, %" PRIu64 " ops, %.0f ops/s, "
		"%u finding%s\n", engine_names[eng], t, programs, ops_total,
		t > 0 ? ops_total / t : 0.0, nr_found, nr_found == 1 ? "" : "s");
	if (mask) {
		if (detected)
			fprintf(stderr, "hunt: %s found after %.3fs (%" PRIu64 " programs): %s\n",
				inject, ttd, programs, path);
		else
			fprintf(stderr, "hunt: %s not found within %.1fs\n", inject, budget);
		result_line(engine_names[eng], inject, detected, detected ? ttd : t, programs,
			    path, sig);
		return detected ? EXIT_HELD : EXIT_FAILED;
	}
	result_line(engine_names[eng], NULL, nr_found > 0, t, programs, nr_saved ? path : NULL,
		    nr_saved ? sig : NULL);
	return nr_found ? EXIT_FAILED : EXIT_HELD;
}

int cmd_hunt(int argc, char **argv)
{
	double budget = 10;
	uint64_t seed = 0, mask = 0, v;
	const char *out_dir = "findings", *inject = NULL;
	struct mmt_gen_opts gopts;
	enum engine eng = ENG_NAIVE;
	bool seed_given = false, tasks_given = false, custom = true, quiet = false;
	int jobs = 1;
	struct inproc_opts io = { .depth = 0, .check = MMT_CHECK_INCREMENTAL, .runs = 0, .gen = -1 };

	mmt_gen_opts_default(&gopts);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-custom-mutator")) {
			custom = false;
			continue;
		}
		if (!strcmp(a, "--quiet")) {
			quiet = true;
			continue;
		}
		if (!val)
			return usage_error("hunt: %s needs a value", a);
		if (!strcmp(a, "--budget")) {
			if (parse_seconds(val, &budget))
				return usage_error("--budget: bad number of seconds '%s'", val);
		} else if (!strcmp(a, "--seed")) {
			if (parse_u64(val, &seed))
				return usage_error("--seed: bad number '%s'", val);
			seed_given = true;
		} else if (!strcmp(a, "--inject")) {
			if (parse_inject(val, &mask))
				return EXIT_USAGE;
			inject = val;
		} else if (!strcmp(a, "--engine")) {
			int e;

			for (e = 0; e <= ENG_AFL; e++)
				if (!strcmp(val, engine_names[e]))
					break;
			if (e > ENG_AFL)
				return usage_error("hunt: --engine takes naive, sched-random, pct, "
						   "random-bytes, libfuzzer or afl, not '%s'", val);
			eng = (enum engine)e;
		} else if (!strcmp(a, "--ops")) {
			if (parse_u64(val, &v) || !v || v > 100000)
				return usage_error("--ops: bad count '%s' (1..100000)", val);
			gopts.nr_ops = (unsigned)v;
		} else if (!strcmp(a, "--tasks")) {
			if (parse_u64(val, &v) || !v || v > MMT_MAX_TASKS)
				return usage_error("--tasks: bad count '%s' (1..8)", val);
			gopts.nr_tasks = (unsigned)v;
			tasks_given = true;
		} else if (!strcmp(a, "--jobs")) {
			if (parse_u64(val, &v) || !v || v > 64)
				return usage_error("--jobs: bad count '%s' (1..64)", val);
			jobs = (int)v;
		} else if (!strcmp(a, "--depth")) {
			if (parse_u64(val, &v) || v < 1 || v > 16)
				return usage_error("--depth: bad PCT depth '%s' (1..16)", val);
			io.depth = (int)v;
		} else if (!strcmp(a, "--gen")) {
			if (!strcmp(val, "random"))
				io.gen = 0;
			else if (!strcmp(val, "race"))
				io.gen = 1;
			else if (!strcmp(val, "mix"))
				io.gen = 2;
			else
				return usage_error("--gen takes random, race or mix, not '%s'", val);
		} else if (!strcmp(a, "--check")) {
			if (!strcmp(val, "full"))
				io.check = MMT_CHECK_FULL;
			else if (!strcmp(val, "incremental"))
				io.check = MMT_CHECK_INCREMENTAL;
			else
				return usage_error("--check takes incremental or full, not '%s'", val);
		} else if (!strcmp(a, "--runs")) {
			if (parse_u64(val, &v) || !v)
				return usage_error("--runs: bad count '%s'", val);
			io.runs = v;
		} else if (!strcmp(a, "--out")) {
			if (!*val)
				return usage_error("%s needs a directory", a);
			out_dir = val;
		} else {
			return usage_error("hunt: unknown option '%s'", a);
		}
		i++;
	}
	if (!seed_given) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec) % 1000000000000ull;
	}
	if (!tasks_given) {
		if (eng == ENG_RANDOM || eng == ENG_PCT)
			gopts.nr_tasks = 2;
		else if (eng == ENG_BYTES || eng == ENG_LIBFUZZER || eng == ENG_AFL)
			gopts.nr_tasks = (unsigned)hunt_default_tasks(mask);
	}
	if ((eng == ENG_LIBFUZZER || eng == ENG_AFL) && !mask)
		return usage_error("hunt: --engine %s needs --inject NAME (for a campaign without "
				   "one, use mmtorture fuzz)", engine_names[eng]);
	if (!quiet)
		fprintf(stderr, "hunt: engine %s, seed %" PRIu64 ", budget %.1fs, %u task%s%s%s\n",
			engine_names[eng], seed, budget, gopts.nr_tasks,
			gopts.nr_tasks > 1 ? "s" : "", inject ? ", inject " : "", inject ? inject : "");

	if (eng == ENG_LIBFUZZER || eng == ENG_AFL) {
		struct hunt_req req = {
			.engine = engine_names[eng], .inject_name = inject, .inject = mask,
			.budget = budget, .seed = seed, .tasks = (int)gopts.nr_tasks, .jobs = jobs,
			.out_dir = out_dir, .custom_mutator = custom, .quiet = quiet,
		};
		struct hunt_res res;
		char bin[4096];
		int ret;

		/* libFuzzer: the build's two variants, with and without the mutator */
		if (eng == ENG_LIBFUZZER &&
		    find_next_to_self(custom ? "mmt_fuzz-custom" : "mmt_fuzz-stock", true, bin,
				      sizeof(bin)))
			req.fuzzer = bin;
		ret = fuzz_hunt(&req, &res);

		if (ret == EXIT_USAGE)
			return ret;
		if (res.found)
			fprintf(stderr, "hunt: %s found after %.3fs (%llu execs): %s\n", inject,
				res.seconds, res.execs, res.finding);
		else
			fprintf(stderr, "hunt: %s not found within %.1fs\n", inject, budget);
		result_line(engine_names[eng], inject, res.found, res.seconds, res.execs,
			    res.finding, res.sig);
		return res.found ? EXIT_HELD : EXIT_FAILED;
	}
	return hunt_inprocess(eng, budget, seed, mask, inject, &gopts, out_dir, quiet, &io);
}
