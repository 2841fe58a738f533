// SPDX-License-Identifier: MIT
/*
 * cmd_fuzz.c - mmtorture fuzz: a fuzzing campaign.
 *
 *   fuzz [--engine libfuzzer|afl|both|naive|auto] [--budget SECONDS] [--jobs N]
 *        [--out DIR] [--tasks N] [--afl-tasks N] [--inject NAME] [--seed N] [--no-custom-mutator]
 *        [--runs N] [--corpus DIR] [--afl-sync DIR] [--afl-name NAME] [--quiet]
 *
 * The campaign is fuzz/lib's (campaign.h: the engines, the triage of their
 * crash inputs into DIR/findings, resuming from DIR, the progress line and
 * DIR/summary.json).  auto, with two jobs or more, no --tasks and both
 * engines built, is both: libFuzzer with two tasks and AFL++ with one;
 * else libFuzzer if it was built, else AFL++ if it was built and afl-fuzz
 * is in PATH, else naive: the naive random hunt (hunt.h) for the budget,
 * its findings in DIR/findings.  --runs N (tests)
 * runs libFuzzer without fork mode for exactly N inputs.  --corpus DIR adds
 * an input dir.  --tasks defaults to 2 for the zoo's races and 1 otherwise.
 *
 * Exit: 0 nothing found, 1 a finding written, 2 usage error.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mmt/campaign.h"
#include "mmt/fsutil.h"
#include "mmt/hunt.h"

static const char fuzz_help[] =
	"usage: mmtorture fuzz [--engine libfuzzer|afl|both|naive|auto] [--budget SECONDS]\n"
	"                      [--jobs N] [--out DIR] [--tasks N] [--afl-tasks N] [--inject NAME]\n"
	"                      [--seed N] [--no-custom-mutator] [--runs N] [--corpus DIR] [--quiet]\n"
	"                      [--afl-sync DIR] [--afl-name NAME]\n"
	"\n"
	"A fuzzing campaign.  Every crash input an engine saves is replayed, deduplicated\n"
	"by signature, minimized and written to DIR/findings/SIGNATURE.mmt; DIR/summary.json\n"
	"holds the totals.  Run it again on the same DIR to resume (also after kill -9).\n"
	"\n"
	"  --engine E      libfuzzer (-fork=N), afl (one -M and N-1 -S instances), both,\n"
	"                  naive (the random hunt), auto (default): with 2 jobs or more and\n"
	"                  no --tasks, both, libFuzzer on 2 tasks (races) and AFL++ on 1;\n"
	"                  else the first one built\n"
	"  --budget S      seconds (default 60)\n"
	"  --jobs N        libFuzzer jobs or AFL++ instances, split for both (default: cores)\n"
	"  --out DIR       where everything goes (default fuzz-out)\n"
	"  --tasks N       tasks per input, every engine (default 2 for the zoo's races,\n"
	"                  else 1; auto spreads them as above)\n"
	"  --afl-tasks N   AFL++'s tasks per input when they differ from --tasks\n"
	"  --inject NAME   bug-zoo entries to switch on (mmtorture inject --list)\n"
	"  --seed N        the engines' seed (default: from the clock)\n"
	"  --no-custom-mutator  the engines' stock mutators only\n"
	"  --runs N        libFuzzer alone, no fork mode, exactly N inputs (tests)\n"
	"  --corpus DIR    another input directory\n"
	"  --afl-sync DIR  the AFL++ sync dir, shared with other machines (default DIR/afl)\n"
	"  --afl-name NAME this machine's AFL++ instances are all secondaries, -S NAME,\n"
	"                  -S NAME-s1, ... (another machine runs -M main); only they are\n"
	"                  triaged here (mmtorture merge gathers the machines' findings)\n"
	"  --quiet         only warnings and errors\n"
	"\n"
	"exit status: 0 nothing found, 1 a finding written, 2 usage error or no such engine\n";

/* the options that take a value */
static bool takes_value(const char *a)
{
	static const char *const opts[] = {
		"--engine", "--budget", "--jobs", "--out", "--tasks", "--afl-tasks", "--inject", "--seed",
		"--runs", "--corpus", "--afl-sync", "--afl-name",
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strcmp(a, opts[i]))
			return true;
	return false;
}

/* no fuzzer built here: uniform random programs (the hunt's baseline) */
static int naive_hunt(const struct mmt_campaign_opts *c, const char *out)
{
	struct mmt_hunt_opts o;
	struct mmt_hunt_result res;
	char dir[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/findings", out);
	mmt_hunt_opts_default(&o);
	o.engine = MMT_HUNT_NAIVE;
	o.budget = c->budget;
	o.seed = c->seed;
	o.nr_tasks = (unsigned)c->tasks;
	o.inject = c->inject;
	o.inject_name = c->inject_name;
	o.out_dir = dir;
	o.log = stderr;
	if (!c->quiet)
		fprintf(stderr, "fuzz: no fuzzer front end here: the naive random hunt\n");
	return hunt_finish(&o, mmt_hunt(&o, &res), &res);
}

int cmd_fuzz(int argc, char **argv)
{
	struct mmt_campaign_opts c = {
		.budget = 60, .jobs = 1, .tasks = 1, .custom_mutator = true, .log = stderr,
	};
	struct mmt_campaign_result res;
	const char *engine = "auto", *out = "fuzz-out";
	bool tasks_given = false, seed_given = false;
	uint64_t v;
	long n;

	if (wants_help(argc, argv))
		return print_help(fuzz_help);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	c.jobs = n > 0 ? (int)n : 1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-custom-mutator")) {
			c.custom_mutator = false;
			continue;
		}
		if (!strcmp(a, "--quiet")) {
			c.quiet = true;
			continue;
		}
		if (!takes_value(a))
			return usage_error("fuzz: unknown option '%s'", a);
		if (!val)
			return usage_error("fuzz: %s needs a value", a);
		if (!strcmp(a, "--engine")) {
			if (strcmp(val, "libfuzzer") && strcmp(val, "afl") && strcmp(val, "both") &&
			    strcmp(val, "naive") && strcmp(val, "auto"))
				return usage_error("fuzz: --engine takes libfuzzer, afl, both, naive "
						   "or auto, not '%s'", val);
			engine = val;
		} else if (!strcmp(a, "--budget")) {
			if (parse_seconds(val, &c.budget))
				return usage_error("--budget: bad number of seconds '%s'", val);
		} else if (!strcmp(a, "--jobs")) {
			if (parse_u64(val, &v) || !v || v > 64)
				return usage_error("--jobs: bad count '%s' (1..64)", val);
			c.jobs = (int)v;
		} else if (!strcmp(a, "--out")) {
			if (!*val)
				return usage_error("%s needs a directory", a);
			out = val;
		} else if (!strcmp(a, "--tasks")) {
			if (parse_u64(val, &v) || !v || v > MMT_MAX_TASKS)
				return usage_error("--tasks: bad count '%s' (1..8)", val);
			c.tasks = (int)v;
			tasks_given = true;
		} else if (!strcmp(a, "--afl-tasks")) {
			if (parse_u64(val, &v) || !v || v > MMT_MAX_TASKS)
				return usage_error("--afl-tasks: bad count '%s' (1..8)", val);
			c.afl_tasks = (int)v;
		} else if (!strcmp(a, "--inject")) {
			if (parse_inject(val, &c.inject))
				return EXIT_USAGE;
			c.inject_name = val;
		} else if (!strcmp(a, "--seed")) {
			if (parse_u64(val, &c.seed))
				return usage_error("--seed: bad number '%s'", val);
			seed_given = true;
		} else if (!strcmp(a, "--runs")) {
			if (parse_u64(val, &v) || !v || v > 1000000000)
				return usage_error("--runs: bad count '%s'", val);
			c.runs = (long)v;
		} else if (!strcmp(a, "--corpus")) {
			c.extra_corpus = val;
		} else if (!strcmp(a, "--afl-sync")) {
			c.afl_sync = val;
		} else if (!strcmp(a, "--afl-name")) {
			if (!*val || strlen(val) > 10 || strspn(val, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(val) ||
			    !strcmp(val, "main"))
				return usage_error("--afl-name: '%s': 1..10 letters, digits or _, "
						   "not main", val);
			c.afl_name = val;
		} else {
			return usage_error("fuzz: unknown option '%s'", a);
		}
		i++;
	}
	if (!tasks_given && c.inject)
		c.tasks = mmt_hunt_default_tasks(c.inject);
	if (!seed_given) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		c.seed = ((uint64_t)ts.tv_sec ^ (uint64_t)ts.tv_nsec) % 1000000000ull;
	}
	c.dir = out;
	mmt_campaign_locate(&c.fe);
	if (!strcmp(engine, "auto") && !tasks_given && !c.afl_tasks && c.jobs >= 2 && !c.runs &&
	    !c.afl_sync &&
	    c.fe.libfuzzer[0] && c.fe.afl[0] && mmt_campaign_have_afl_fuzz()) {
		/*
		 * Spread over task counts and engines: libFuzzer with two tasks
		 * finds the races, AFL++ with one the bugs that need no
		 * interleaving, which a two-task harness finds far later
		 * (README Benchmarks, "The default campaign").
		 */
		engine = "both";
		c.tasks = 2;
		c.afl_tasks = 1;
	}
	if (!strcmp(engine, "auto"))
		engine = c.fe.libfuzzer[0] ? "libfuzzer" :
			 c.fe.afl[0] && mmt_campaign_have_afl_fuzz() ? "afl" : "naive";
	if (!strcmp(engine, "naive"))
		return naive_hunt(&c, out);
	c.libfuzzer = !strcmp(engine, "libfuzzer") || !strcmp(engine, "both");
	c.afl = !strcmp(engine, "afl") || !strcmp(engine, "both");
	if (c.libfuzzer && !c.fe.libfuzzer[0]) {
		fprintf(stderr, "mmtorture: fuzz: no libFuzzer front end (mmt_fuzz) next to %s; "
			"this build has none (clang with libFuzzer is needed)\n", mmt_self_dir());
		return EXIT_USAGE;
	}
	if (c.afl && (!c.fe.afl[0] || !mmt_campaign_have_afl_fuzz())) {
		fprintf(stderr, "mmtorture: fuzz: no AFL++ front end (mmt_fuzz_afl next to %s, "
			"afl-fuzz in PATH); install afl++ and rebuild\n", mmt_self_dir());
		return EXIT_USAGE;
	}
	if (c.afl && c.runs > 0) {
		fprintf(stderr, "mmtorture: fuzz: --runs is for libFuzzer only\n");
		return EXIT_USAGE;
	}
	return mmt_campaign_run(&c, &res);
}
