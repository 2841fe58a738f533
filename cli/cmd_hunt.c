// SPDX-License-Identifier: MIT
/*
 * cmd_hunt.c - mmtorture hunt
 *
 *   hunt [--inject NAME] [--engine naive|sched-random|pct|random-bytes|libfuzzer|afl|explore]
 *        [--budget S] [--seed N] [--ops N] [--tasks N] [--jobs N] [--out DIR]
 *        [--depth D] [--gen random|race|mix|device|ksm|uffd|forks|mremap|split|khugepaged|thp|pairs]
 *        [--check incremental|full] [--runs N]
 *        [--no-custom-mutator] [--quiet]
 *
 * With --inject: run until the named zoo bug is found, print the time to
 * detect it and write the minimized reproducer to DIR (default findings/);
 * exit 0 if it was found within the budget, 1 if not.  A finding counts only
 * if the same program, with the schedule it took, passes without the bug.
 * Without --inject: random programs for the whole budget, every violation
 * written to DIR; exit 1 if anything was found.
 *
 * The engines are fuzz/lib's (hunt.h, which says what each one does).
 * --tasks defaults to 2 for sched-random and pct, to 2 for the zoo's races
 * and 1 otherwise for random-bytes and the fuzzers, and to 1 for naive.
 * In-process engines only: --check full checks with check_world() after
 * every op instead of the incremental checker (same verdicts; for measuring
 * the checker's cost), and --runs N stops after N programs (for the bench's
 * memory measurement).  --no-custom-mutator runs libFuzzer without the
 * structure-aware mutator (mmt_fuzz-stock) and AFL++ without the custom
 * mutator library.
 * A last line "hunt-result: {json}" on stdout gives the outcome for scripts (the
 * bench); the in-process engines print it without --inject too ("found": any
 * violation), so that a clean run can be told from one that did not start.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "mmt/hunt.h"

static const char hunt_help[] =
	"usage: mmtorture hunt [--inject NAME] [--engine naive|sched-random|pct|random-bytes|\n"
	"                      libfuzzer|afl|explore] [--budget S] [--seed N] [--ops N] [--tasks N]\n"
	"                      [--jobs N] [--out DIR] [--depth D]\n"
	"                      [--gen random|race|mix|device|ksm|uffd|forks|mremap|split|khugepaged|thp|pairs]\n"
	"                      [--check incremental|full] [--runs N] [--no-custom-mutator]\n"
	"                      [--quiet]\n"
	"\n"
	"With --inject: run until the named zoo bug is found, print the time to detect it\n"
	"and write its minimized reproducer to DIR.  A finding counts only if the same\n"
	"program, with the schedule it took, passes without the bug.  Without --inject:\n"
	"random programs for the whole budget, every violation written to DIR, and the\n"
	"time of the first one reported.  The last line, \"hunt-result: {json}\" on stdout,\n"
	"is for scripts.  The whole hunt is a function of --seed.\n"
	"\n"
	"  --engine E      naive (default; uniform programs, one task), sched-random, pct\n"
	"                  (two tasks, race templates mixed in), random-bytes (the fuzzers'\n"
	"                  input space without feedback), libfuzzer, afl (need --inject),\n"
	"                  explore (generic pair races, every schedule up to --depth\n"
	"                  preemptions, default 2, pruned by DPOR (explore --prune=dpor);\n"
	"                  at most 2000 schedules a program)\n"
	"  --budget S      seconds (default 10)\n"
	"  --seed N        default: from the clock\n"
	"  --ops N         ops per generated program\n"
	"  --tasks N       tasks (default: 2 for sched-random and pct, for the fuzzers and\n"
	"                  random-bytes 2 for the zoo's races, else 1)\n"
	"  --jobs N        fuzzer jobs (default 1)\n"
	"  --out DIR       where reproducers go (default findings)\n"
	"  --depth D       PCT depth (default 2 + program seed % 3); explore: the bound\n"
	"  --gen G         random, race, mix, device (the device race template),\n"
	"                  ksm (the KSM race template), uffd (the UFFDIO_MOVE race\n"
	"                  template), forks (the fork-tree template: forks, exits,\n"
	"                  splitting and merging mprotects, one task), split (the\n"
	"                  split_folio race template), khugepaged (the khugepaged\n"
	"                  race template), thp (PMD-mapped THP: fork, pins, splits,\n"
	"                  zaps, migration, reclaim of a huge pmd; any task count)\n"
	"                  or pairs\n"
	"                  (generic races around ops that touch\n"
	"                  the same locks in a sequential run); sched-random and pct\n"
	"                  default: mix; explore: pairs\n"
	"  --check C       incremental (default) or full, after every op\n"
	"  --runs N        stop after N programs (in-process engines)\n"
	"  --no-custom-mutator  the fuzzers' stock mutators\n"
	"  --quiet         only the end and errors\n"
	"\n"
	"exit status: with --inject 0 found, 1 not found; without, 0 nothing found,\n"
	"1 a violation; 2 usage error or the engine cannot run here\n";

/* the options that take a value */
static bool takes_value(const char *a)
{
	static const char *const opts[] = {
		"--budget", "--seed", "--inject", "--engine", "--ops", "--tasks", "--jobs",
		"--depth", "--gen", "--check", "--runs", "--out",
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strcmp(a, opts[i]))
			return true;
	return false;
}

int cmd_hunt(int argc, char **argv)
{
	struct mmt_hunt_opts o;
	struct mmt_hunt_result res;
	bool seed_given = false;
	uint64_t v;

	if (wants_help(argc, argv))
		return print_help(hunt_help);
	mmt_hunt_opts_default(&o);
	o.log = stderr;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-custom-mutator")) {
			o.custom_mutator = false;
			continue;
		}
		if (!strcmp(a, "--quiet")) {
			o.quiet = true;
			continue;
		}
		if (!takes_value(a))
			return usage_error("hunt: unknown option '%s'", a);
		if (!val)
			return usage_error("hunt: %s needs a value", a);
		if (!strcmp(a, "--budget")) {
			if (parse_seconds(val, &o.budget))
				return usage_error("--budget: bad number of seconds '%s'", val);
		} else if (!strcmp(a, "--seed")) {
			if (parse_u64(val, &o.seed))
				return usage_error("--seed: bad number '%s'", val);
			seed_given = true;
		} else if (!strcmp(a, "--inject")) {
			if (parse_inject(val, &o.inject))
				return EXIT_USAGE;
			o.inject_name = val;
		} else if (!strcmp(a, "--engine")) {
			if (mmt_hunt_engine_parse(val, &o.engine))
				return usage_error("hunt: --engine takes naive, sched-random, pct, "
						   "random-bytes, libfuzzer, afl or explore, not '%s'", val);
		} else if (!strcmp(a, "--ops")) {
			if (parse_u64(val, &v) || !v || v > 100000)
				return usage_error("--ops: bad count '%s' (1..100000)", val);
			o.nr_ops = (unsigned)v;
		} else if (!strcmp(a, "--tasks")) {
			if (parse_u64(val, &v) || !v || v > MMT_MAX_TASKS)
				return usage_error("--tasks: bad count '%s' (1..8)", val);
			o.nr_tasks = (unsigned)v;
		} else if (!strcmp(a, "--jobs")) {
			if (parse_u64(val, &v) || !v || v > 64)
				return usage_error("--jobs: bad count '%s' (1..64)", val);
			o.jobs = (int)v;
		} else if (!strcmp(a, "--depth")) {
			if (parse_u64(val, &v) || v < 1 || v > 16)
				return usage_error("--depth: bad PCT depth '%s' (1..16)", val);
			o.depth = (int)v;
		} else if (!strcmp(a, "--gen")) {
			if (!strcmp(val, "random"))
				o.gen = MMT_HUNT_GEN_RANDOM;
			else if (!strcmp(val, "race"))
				o.gen = MMT_HUNT_GEN_RACE;
			else if (!strcmp(val, "mix"))
				o.gen = MMT_HUNT_GEN_MIX;
			else if (!strcmp(val, "device"))
				o.gen = MMT_HUNT_GEN_DEVICE;
			else if (!strcmp(val, "ksm"))
				o.gen = MMT_HUNT_GEN_KSM;
			else if (!strcmp(val, "pairs"))
				o.gen = MMT_HUNT_GEN_PAIRS;
			else if (!strcmp(val, "uffd"))
				o.gen = MMT_HUNT_GEN_UFFD;
			else if (!strcmp(val, "forks"))
				o.gen = MMT_HUNT_GEN_FORKS;
			else if (!strcmp(val, "mremap"))
				o.gen = MMT_HUNT_GEN_MREMAP;
			else if (!strcmp(val, "split"))
				o.gen = MMT_HUNT_GEN_SPLIT;
			else if (!strcmp(val, "khugepaged"))
				o.gen = MMT_HUNT_GEN_KHUGEPAGED;
			else if (!strcmp(val, "thp"))
				o.gen = MMT_HUNT_GEN_THP;
			else
				return usage_error("--gen takes random, race, mix, device, ksm, uffd, forks, "
						   "mremap, split, khugepaged, thp or pairs, not '%s'", val);
		} else if (!strcmp(a, "--check")) {
			if (!strcmp(val, "full"))
				o.check = MMT_CHECK_FULL;
			else if (!strcmp(val, "incremental"))
				o.check = MMT_CHECK_INCREMENTAL;
			else
				return usage_error("--check takes incremental or full, not '%s'", val);
		} else if (!strcmp(a, "--runs")) {
			if (parse_u64(val, &v) || !v)
				return usage_error("--runs: bad count '%s'", val);
			o.runs = v;
		} else if (!strcmp(a, "--out")) {
			if (!*val)
				return usage_error("%s needs a directory", a);
			o.out_dir = val;
		} else {
			return usage_error("hunt: unknown option '%s'", a);
		}
		i++;
	}
	if (!seed_given) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		o.seed = ((uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec) %
			 1000000000000ull;
	}
	if ((o.engine == MMT_HUNT_LIBFUZZER || o.engine == MMT_HUNT_AFL) && !o.inject)
		return usage_error("hunt: --engine %s needs --inject NAME (for a campaign without "
				   "one, use mmtorture fuzz)", mmt_hunt_engine_name(o.engine));
	return hunt_finish(&o, mmt_hunt(&o, &res), &res);
}
