// SPDX-License-Identifier: MIT
/*
 * main.c - the mmtorture command.
 *
 *   mmtorture replay [--inject NAME[,NAME]] [--trace] [--no-check-each-op] FILE...
 *   mmtorture print FILE
 *   mmtorture inject --list
 *   mmtorture hunt ...       (cmd_hunt.c)
 *   mmtorture fuzz ...       (cmd_fuzz.c)
 *   mmtorture minimize ...   (cmd_minimize.c)
 *   mmtorture convert ...    (cmd_convert.c)
 *   mmtorture stress ...     (stress/, through cmd_stress.c)
 *   mmtorture gen ...
 *   mmtorture difftest ...       (cmd_difftest.c)
 *   mmtorture host-replay ...    (cmd_difftest.c)
 *   mmtorture export ...     (cmd_export.c)
 *   mmtorture workshare ...  (cmd_workshare.c)
 *   mmtorture report ...     (cmd_report.c)
 *   mmtorture corpus ...     (cmd_corpus.c)
 *   mmtorture merge ...      (cmd_corpus.c)
 *   mmtorture explore ...    (cmd_explore.c)
 *
 * Every command answers --help (or -h) with its usage on stdout, exit 0.
 *
 * Exit status everywhere: 0 all held, 1 a violation or failed assertion
 * (or, for hunt --inject, the bug was not found), 2 malformed input or
 * command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mmt/check.h"
#include "mmt/exec.h"
#include "mmt/gen.h"
#include "mmt/inject.h"
#include "mmt/kprim.h"
#include "mmt/program.h"


static const char usage_text[] =
	"usage: mmtorture COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  replay [--inject NAME[,NAME]] [--trace] [--no-check-each-op] FILE...\n"
	"                  run .mmt programs against the model and check every invariant\n"
	"  print FILE      parse a program and print it in canonical form\n"
	"  inject --list   list the bug-zoo switches (--inject NAME, or $MMT_INJECT)\n"
	"  fuzz [--engine libfuzzer|afl|both|naive] [--budget SECONDS] [--jobs N] [--out DIR]\n"
	"       [--tasks N] [--inject NAME] [--seed N] [--no-custom-mutator]\n"
	"                  a fuzzing campaign: findings are converted to .mmt, deduplicated,\n"
	"                  minimized and written to DIR/findings (default DIR: fuzz-out)\n"
	"  hunt [--inject NAME] [--engine naive|sched-random|pct|random-bytes|libfuzzer|afl]\n"
	"       [--budget S] [--seed N] [--ops N] [--tasks N] [--depth D]\n"
	"       [--check incremental|full] [--gen random|race|mix|device|ksm|uffd|forks|mremap|split|khugepaged|thp|pairs] [--runs N] [--out DIR]\n"
	"                  run until the named zoo bug is found (time-to-detect and a minimized\n"
	"                  reproducer); without --inject, random programs for the budget\n"
	"  minimize FILE [--inject NAME] [-o OUT] [--tasks N]\n"
	"                  shrink a failing program (or fuzzer input), keeping its signature\n"
	"  convert IN OUT [--to mmt|bytes] [--tasks N] [--inject NAME]\n"
	"                  .mmt -> fuzzer bytes, or fuzzer bytes (a crash) -> .mmt\n"
	"  stress [--threads N] [--time S] [--seed N] [--inject NAME] ...\n"
	"                  the model on real threads with kswapd, kcompactd and the device driver\n"
	"  gen [--seed N] [--ops N] [--tasks N]\n"
	"                  print the random program hunt runs for a seed\n"
	"  difftest [--seed N] [--count N] [--budget S] [--ops N] [--out DIR] [--quiet]\n"
	"                  the model against this machine's kernel, op by op: every\n"
	"                  disagreement minimized to DIR/disagreements with the kernel's outcomes\n"
	"  host-replay [--quiet] [--host-ksm] FILE...\n"
	"                  run .mmt programs on this machine's kernel and check their assertions\n"
	"  export FILE [-o OUT.c]\n"
	"                  the program as a standalone C program of real system calls\n"
	"  workshare [--from gen|bytes] [--count N] [--seed S] [--json]\n"
	"                  the share of generated ops that return data or change state\n"
	"  report DIR      a campaign as an HTML page with plots (DIR/report.html)\n"
	"  corpus minimize|check DIR\n"
	"                  shrink a campaign's corpus; replay corpus and findings (CI)\n"
	"  merge DIR OTHER...\n"
	"                  add other campaigns' new findings (by signature) and corpus to DIR\n"
	"  explore FILE [--bound K] [--max-schedules N] [--inject NAME] [--no-prune] [--fields] [-o OUT]\n"
	"                  every schedule of a multi-task program up to K preemptions\n"
	"\n"
	"mmtorture COMMAND --help tells more about each.\n"
	"exit status: 0 all held, 1 a violation or failed assertion, 2 bad input or usage\n";

/* ------------------------------------------------------------- replay */

static const char replay_help[] =
	"usage: mmtorture replay [--inject NAME[,NAME]] [--trace] [--no-check-each-op] FILE...\n"
	"\n"
	"Run each .mmt program against the model, every invariant checked after every op,\n"
	"and print \"FILE: ok\" or the report (on stderr).\n"
	"\n"
	"  --inject NAME[,NAME]  switch bug-zoo entries on (mmtorture inject --list);\n"
	"                        $MMT_INJECT adds to them\n"
	"  --trace               every op as it runs, with its outcome, on stdout\n"
	"  --no-check-each-op    check the invariants only at the end\n"
	"\n"
	"exit status: 0 every invariant and assertion held, 1 a violation or a failed\n"
	"assertion, 2 a malformed file or command line\n";

static int cmd_replay(int argc, char **argv)
{
	struct mmt_exec_opts opts;
	int i, status = EXIT_HELD, nfiles = 0;

	if (wants_help(argc, argv))
		return print_help(replay_help);
	mmt_exec_opts_default(&opts);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "--inject")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a bug name", a);
			if (parse_inject(argv[++i], &opts.inject))
				return EXIT_USAGE;
		} else if (!strncmp(a, "--inject=", 9)) {
			if (parse_inject(a + 9, &opts.inject))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--trace")) {
			opts.trace = stdout;
		} else if (!strcmp(a, "--no-check-each-op")) {
			opts.check_each_op = false;
		} else {
			return usage_error("replay: unknown option '%s'", a);
		}
	}
	for (; i < argc; i++) {
		struct mmt_program p;
		struct mmt_exec_result r;

		nfiles++;
		if (load(argv[i], &p)) {
			status = EXIT_USAGE;
			continue;
		}
		mmt_exec(&p, &opts, &r);
		if (r.status == EXEC_PASS) {
			printf("%s: ok (%zu ops)\n", argv[i], p.nr_ops);
		} else {
			fflush(stdout);
			mmt_exec_report(stderr, argv[i], &p, &r);
			if (r.status == EXEC_SETUP) {
				if (status < EXIT_USAGE)
					status = EXIT_USAGE;
			} else if (status < EXIT_FAILED) {
				status = EXIT_FAILED;
			}
		}
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
	}
	if (!nfiles)
		return usage_error("%s: no files to replay", "replay");
	return status;
}

/* -------------------------------------------------------------- print */

static const char print_help_text[] =
	"usage: mmtorture print FILE\n"
	"\n"
	"Parse a .mmt program and print it in canonical form on stdout.\n"
	"\n"
	"exit status: 0 printed, 1 it has no text form, 2 a malformed file or command line\n";

static int cmd_print(int argc, char **argv)
{
	struct mmt_program p;
	int ret;

	if (wants_help(argc, argv))
		return print_help(print_help_text);
	if (argc != 1)
		return usage_error("%s: takes exactly one FILE", "print");
	if (load(argv[0], &p))
		return EXIT_USAGE;
	ret = mmt_print(stdout, &p) < 0 ? EXIT_FAILED : EXIT_HELD;
	if (ret)
		fprintf(stderr, "mmtorture: %s: cannot print this program\n", argv[0]);
	mmt_program_free(&p);
	return ret;
}

/* ------------------------------------------------------------- inject */

static const char inject_help[] =
	"usage: mmtorture inject --list\n"
	"\n"
	"List the bug-zoo entries: historical kernel bugs put back into the model, each\n"
	"switched on by name with --inject NAME or $MMT_INJECT.\n";

static int cmd_inject(int argc, char **argv)
{
	int i;

	if (wants_help(argc, argv))
		return print_help(inject_help);
	if (argc != 1 || strcmp(argv[0], "--list"))
		return usage_error("%s: the only form is 'mmtorture inject --list'", "inject");
	for (i = 0; i < NR_MMT_BUGS; i++)
		printf("%-36s %s [caught by %s]\n", mmt_bugs[i].name, mmt_bugs[i].what,
		       mmt_bugs[i].caught_by);
	return EXIT_HELD;
}

/* ---------------------------------------------------------------- gen */

static const char gen_help[] =
	"usage: mmtorture gen [--seed N] [--ops N] [--tasks N] [--gen random|thp]\n"
	"\n"
	"Print the uniform random program of a program seed (the \"program seed\" a hunt's\n"
	"finding names; debugging the generator), or with --gen thp the PMD THP\n"
	"template's (hunt --gen thp, which asks for 10 ops with one task, 4 with more).\n";

/* print the program hunt would run for a seed (debugging the generator) */
static int cmd_gen(int argc, char **argv)
{
	struct mmt_gen_opts gopts;
	struct mmt_program p;
	uint64_t seed = 0, v;
	bool thp = false;
	int i, ret;

	if (wants_help(argc, argv))
		return print_help(gen_help);
	mmt_gen_opts_default(&gopts);
	for (i = 0; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--gen")) {
			if (strcmp(argv[i + 1], "random") && strcmp(argv[i + 1], "thp"))
				return usage_error("gen: --gen takes random or thp, not '%s'",
						   argv[i + 1]);
			thp = !strcmp(argv[i + 1], "thp");
			continue;
		}
		if (parse_u64(argv[i + 1], &v))
			return usage_error("gen: bad number '%s'", argv[i + 1]);
		if (!strcmp(argv[i], "--seed"))
			seed = v;
		else if (!strcmp(argv[i], "--ops") && v && v <= 100000)
			gopts.nr_ops = (unsigned)v;
		else if (!strcmp(argv[i], "--tasks") && v && v <= MMT_MAX_TASKS)
			gopts.nr_tasks = (unsigned)v;
		else
			return usage_error("gen: bad option '%s'", argv[i]);
	}
	if (i != argc)
		return usage_error("gen: '%s' needs a value", argv[i]);
	mmt_program_init(&p);
	ret = (thp ? mmt_gen_thp(&p, seed, gopts.nr_tasks,
				 gopts.nr_tasks > 1 ? 4 : 10) :
		     mmt_gen_random(&p, seed, &gopts)) || mmt_print(stdout, &p) < 0;
	mmt_program_free(&p);
	return ret ? EXIT_FAILED : EXIT_HELD;
}

/* --------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return EXIT_HELD;
	}
	if (!strcmp(cmd, "replay"))
		return cmd_replay(argc - 2, argv + 2);
	if (!strcmp(cmd, "print"))
		return cmd_print(argc - 2, argv + 2);
	if (!strcmp(cmd, "inject"))
		return cmd_inject(argc - 2, argv + 2);
	if (!strcmp(cmd, "hunt"))
		return cmd_hunt(argc - 2, argv + 2);
	if (!strcmp(cmd, "explore"))
		return cmd_explore(argc - 2, argv + 2);
	if (!strcmp(cmd, "fuzz"))
		return cmd_fuzz(argc - 2, argv + 2);
	if (!strcmp(cmd, "stress"))
		return cmd_stress(argc - 2, argv + 2);
	if (!strcmp(cmd, "minimize"))
		return cmd_minimize(argc - 2, argv + 2);
	if (!strcmp(cmd, "convert"))
		return cmd_convert(argc - 2, argv + 2);
	if (!strcmp(cmd, "gen"))
		return cmd_gen(argc - 2, argv + 2);
	if (!strcmp(cmd, "difftest"))
		return cmd_difftest(argc - 2, argv + 2);
	if (!strcmp(cmd, "host-replay"))
		return cmd_host_replay(argc - 2, argv + 2);
	if (!strcmp(cmd, "export"))
		return cmd_export(argc - 2, argv + 2);
	if (!strcmp(cmd, "workshare"))
		return cmd_workshare(argc - 2, argv + 2);
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 2, argv + 2);
	if (!strcmp(cmd, "corpus"))
		return cmd_corpus(argc - 2, argv + 2);
	if (!strcmp(cmd, "merge"))
		return cmd_merge(argc - 2, argv + 2);
	return usage_error("unknown command '%s'", cmd);
}
