// SPDX-License-Identifier: MIT
/*
 * cmd_difftest.c - mmtorture difftest and mmtorture host-replay
 *
 *   difftest [--seed N] [--count N] [--budget S] [--ops N] [--out DIR]
 *            [--no-dense] [--no-mremap] [--timeout S] [--host-ksm] [--gen ksm|thp]
 *            [--quiet]
 *   host-replay [--quiet] [--timeout S] [--host-ksm] FILE...
 *
 * The work is in fuzz/lib/difftest.c and core/host/host.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "mmt/difftest.h"
#include "mmt/host.h"

static const char difftest_help[] =
	"usage: mmtorture difftest [--seed N] [--count N] [--budget S] [--ops N] [--out DIR]\n"
	"                          [--no-dense] [--no-mremap] [--timeout S] [--host-ksm]\n"
	"                          [--gen ksm|thp] [--quiet]\n"
	"\n"
	"Generate one-task programs and run each on the model and on this machine's\n"
	"kernel (every pN a real process, every op the real system call, every read and\n"
	"write a real load or store), and compare every op's outcome and every value\n"
	"read.  Each disagreement is minimized and written to DIR/disagreements/SIG.mmt\n"
	"with the kernel's outcomes asserted: `mmtorture replay` fails on it while the\n"
	"model is wrong, `mmtorture host-replay` passes.  Swap, reclaim and check ops,\n"
	"and migrations to nodes this machine lacks, do nothing on the host (the summary\n"
	"says how many were skipped and why), but every later read is compared: the\n"
	"data must survive them on both sides.  No root needed (migrate all is skipped\n"
	"without CAP_SYS_NICE; --host-ksm needs root).  Summary on stderr and in\n"
	"DIR/summary.json.\n"
	"\n"
	"  --seed N      program k's seed is the k-th splitmix64 output (default: clock)\n"
	"  --count N     programs (default 200; 0: until the budget)\n"
	"  --budget S    stop after S seconds (default: none)\n"
	"  --ops N       random ops per program (default 32)\n"
	"  --out DIR     default difftest-out\n"
	"  --no-dense    do not map p0's window first (most accesses then fault)\n"
	"  --no-mremap   generate no mremap (to look for differences elsewhere)\n"
	"  --timeout S   seconds a host op may take (default 10)\n"
	"  --host-ksm    run ksmd, ksm_run and ksm_merge_across_nodes on the host's KSM\n"
	"                (root: see host-replay --help)\n"
	"  --gen ksm     programs of the KSM race template (hunt --gen ksm), its racer's\n"
	"                ops run after the setup by the one task: equal pages merged,\n"
	"                then COW of KSM pages, forks, unmerges, exits (with --host-ksm)\n"
	"  --gen thp     programs of the PMD THP template (hunt --gen thp) without its\n"
	"                pins, world thp=0x20: the model's 32-page PMD THPs against the\n"
	"                host's 2 MiB ones\n"
	"  --quiet       only the summary\n"
	"\n"
	"exit status: 0 no disagreement, 1 a disagreement (or a model violation or a\n"
	"host harness error), 2 usage error or the host cannot run programs\n";

#define EXIT_NO_HOST_KSM	4

static const char host_replay_help[] =
	"usage: mmtorture host-replay [--quiet] [--timeout S] [--host-ksm] FILE...\n"
	"\n"
	"Run each one-task .mmt program on this machine's kernel, as difftest does, and\n"
	"check its asserted outcomes (-> OUTCOME) and values (= V), one line per op.\n"
	"Model-only ops (swapon, swapoff, reclaim, check, kswapd, kcompactd, khugepaged,\n"
	"and the KSM ops without --host-ksm) do nothing; assertions on ops that cannot\n"
	"run here are counted as skipped.\n"
	"\n"
	"  --quiet       only failed assertions and the totals\n"
	"  --timeout S   seconds a host op may take (default 10)\n"
	"  --host-ksm    as root, drive the host's ksmd through /sys/kernel/mm/ksm: `ksmd N`\n"
	"                is one full pass (run is 1 only then), ksm_run and\n"
	"                ksm_merge_across_nodes write their knob; every knob is put back\n"
	"                afterwards (SIGINT and SIGTERM too), and such runs take turns (a\n"
	"                lock file).  Reads say when they found a KSM page, ksmd ops how\n"
	"                many pages are merged\n"
	"\n"
	"exit status: 0 every assertion held, 1 one failed, 2 a malformed file or command\n"
	"line, 3 the program cannot run here or the harness broke, 4 --host-ksm cannot\n"
	"work here (not root, or no KSM)\n";

int cmd_difftest(int argc, char **argv)
{
	struct mmt_difftest_opts o;
	struct mmt_difftest_result *res;
	bool seed_given = false;
	uint64_t v;
	int ret;

	if (wants_help(argc, argv))
		return print_help(difftest_help);
	mmt_difftest_opts_default(&o);
	o.log = stderr;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--quiet")) {
			o.quiet = true;
			continue;
		}
		if (!strcmp(a, "--no-dense")) {
			o.dense = false;
			continue;
		}
		if (!strcmp(a, "--no-mremap")) {
			o.mremap = false;
			continue;
		}
		if (!strcmp(a, "--host-ksm")) {
			o.host_ksm = true;
			continue;
		}
		if (strcmp(a, "--seed") && strcmp(a, "--count") && strcmp(a, "--budget") &&
		    strcmp(a, "--ops") && strcmp(a, "--out") && strcmp(a, "--timeout") &&
		    strcmp(a, "--gen"))
			return usage_error("difftest: unknown option '%s'", a);
		if (!val)
			return usage_error("difftest: %s needs a value", a);
		i++;
		if (!strcmp(a, "--gen")) {
			if (strcmp(val, "ksm") && strcmp(val, "thp"))
				return usage_error("difftest: --gen takes ksm or thp, got '%s'", val);
			o.ksm_programs = !strcmp(val, "ksm");
			o.thp_programs = !strcmp(val, "thp");
		} else if (!strcmp(a, "--seed")) {
			if (parse_u64(val, &o.seed))
				return usage_error("--seed: bad number '%s'", val);
			seed_given = true;
		} else if (!strcmp(a, "--count")) {
			if (parse_u64(val, &v))
				return usage_error("--count: bad number '%s'", val);
			o.count = (unsigned long)v;
		} else if (!strcmp(a, "--budget")) {
			if (parse_seconds(val, &o.budget))
				return usage_error("--budget: bad number of seconds '%s'", val);
		} else if (!strcmp(a, "--timeout")) {
			if (parse_seconds(val, &o.timeout) || o.timeout <= 0)
				return usage_error("--timeout: bad number of seconds '%s'", val);
		} else if (!strcmp(a, "--ops")) {
			if (parse_u64(val, &v) || !v || v > 10000)
				return usage_error("--ops: want 1..10000, got '%s'", val);
			o.nr_ops = (unsigned)v;
		} else {
			o.out = val;
		}
	}
	if (!o.count && o.budget <= 0)
		return usage_error("difftest: %s", "--count 0 needs a --budget");
	if (!seed_given)
		o.seed = (uint64_t)time(NULL);
	res = malloc(sizeof(*res));
	if (!res)
		return EXIT_FAILED;
	ret = mmt_difftest(&o, res);
	if (ret == 0)
		ret = res->disagreeing || res->violations || res->host_errors ? EXIT_FAILED :
		      EXIT_HELD;
	else
		ret = ret == -1 ? EXIT_USAGE : EXIT_FAILED;
	free(res);
	return ret;
}

int cmd_host_replay(int argc, char **argv)
{
	struct mmt_host_opts ho;
	unsigned th = 0, tf = 0, ts = 0;
	bool quiet = false;
	int i, status = EXIT_HELD, nfiles = 0;

	if (wants_help(argc, argv))
		return print_help(host_replay_help);
	mmt_host_opts_default(&ho);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = true;
		} else if (!strcmp(a, "--timeout")) {
			if (i + 1 >= argc || parse_seconds(argv[++i], &ho.timeout) || ho.timeout <= 0)
				return usage_error("host-replay: %s needs a number of seconds", a);
		} else if (!strcmp(a, "--host-ksm")) {
			ho.ksm = true;
		} else {
			return usage_error("host-replay: unknown option '%s'", a);
		}
	}
	if (ho.ksm) {
		struct mmt_host_info info;

		/* its own exit status: a test can tell "not here" from "broke" */
		mmt_host_info(&info);
		if (!info.ksm_control) {
			fprintf(stderr, "mmtorture: host-replay: --host-ksm needs root and a writable "
				"/sys/kernel/mm/ksm/run (a kernel with CONFIG_KSM)\n");
			return EXIT_NO_HOST_KSM;
		}
	}
	for (; i < argc; i++) {
		struct mmt_host_info info;
		struct mmt_program p;
		unsigned held, failed, skipped;
		char why[300];

		nfiles++;
		if (load(argv[i], &p)) {
			status = EXIT_USAGE;
			continue;
		}
		mmt_host_info(&info);
		printf("== %s (Linux %s %s, page %ld)\n", argv[i], info.release, info.machine,
		       info.page_size);
		if (mmt_host_replay(&p, &ho, argv[i], stdout, quiet, &held, &failed, &skipped,
				    why, sizeof(why))) {
			fflush(stdout);
			fprintf(stderr, "mmtorture: host-replay: %s: %s\n", argv[i], why);
			status = 3;
			mmt_program_free(&p);
			continue;
		}
		printf("-- %s: %u held, %u failed%s", argv[i], held, failed,
		       skipped ? "" : "\n");
		if (skipped)
			printf(", %u skipped (not checkable here)\n", skipped);
		th += held;
		tf += failed;
		ts += skipped;
		if (failed && status == EXIT_HELD)
			status = EXIT_FAILED;
		mmt_program_free(&p);
	}
	if (!nfiles)
		return usage_error("%s: no files to replay", "host-replay");
	printf("%u assertions held, %u failed%s\n", th, tf, ts ? " (some skipped)" : "");
	return status;
}
