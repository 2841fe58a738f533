// SPDX-License-Identifier: MIT
/*
 * cmd_explore.c - mmtorture explore FILE [--bound K] [--max-schedules N] ...
 *
 * Every schedule of FILE's tasks up to K preemptions (explore.h).  Exit as
 * replay: 0 no violation (within the bound, or in the schedules a limit
 * allowed: then the line says "incomplete"), 1 a violation (its schedule is
 * printed and, with -o, written as a .mmt that replay replays), 2 usage,
 * a malformed FILE, or a program that cannot be explored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mmt/explore.h"
#include "mmt/triage.h"

static const char explore_help[] =
	"usage: mmtorture explore FILE [--bound K] [--max-schedules N] [--budget S]\n"
	"                         [--inject NAME[,NAME]] [--setup N]\n"
	"                         [--prune=dpor|sleep|none] [--no-prune] [--locks-only]\n"
	"                         [-o OUT]\n"
	"\n"
	"Run every schedule of FILE's tasks with at most K preemptions (a switch away\n"
	"from a task that could go on; default 2, -1 for no bound), pruning interleavings\n"
	"that only reorder steps touching no common lock or field (sleep sets; or\n"
	"dynamic partial-order reduction, which reverses only the races a run shows).\n"
	"FILE's own schedule line is ignored. Ends with \"no violation within bound K, N schedules\n"
	"explored, M pruned (PRUNING; R runs)\" or with the first violation and the\n"
	"schedule that replays it.\n"
	"\n"
	"  --bound K            preemptions per schedule (default 2; -1: no bound)\n"
	"  --max-schedules N    stop after N runs (then the bound is not covered)\n"
	"  --budget S           stop after S seconds (likewise)\n"
	"  --inject NAME        switch bug-zoo entries on (mmtorture inject --list)\n"
	"  --setup N            the first N ops (task 0's) run alone, uninterleaved\n"
	"  --prune=sleep        sleep sets (the default): every awake task is tried at\n"
	"                       each point\n"
	"  --prune=dpor         source-set DPOR with sleep sets: about half the runs,\n"
	"                       but with a bound it can lose interleavings sleep sets\n"
	"                       keep (hunt's explore engine uses it)\n"
	"  --no-prune           (--prune=none) every schedule within the bound\n"
	"  --locks-only         steps conflict only through a common lock, not when\n"
	"                       they touch one field (a pte, a folio's mapping, a\n"
	"                       swap_map entry...): prunes more, but unsound for\n"
	"                       lockless reads (the default counts fields; --fields\n"
	"                       is accepted and changes nothing)\n"
	"  -o OUT               write the failing program with its schedule to OUT\n"
	"\n"
	"exit status: 0 no violation (within the bound; or, said as \"incomplete\", in the\n"
	"schedules --max-schedules or --budget allowed), 1 a violation, 2 a malformed file\n"
	"or command line, or a program with one task\n";

static const char *const prune_name[] = {
	[MMT_PRUNE_NONE] = "no pruning",
	[MMT_PRUNE_SLEEP] = "sleep sets",
	[MMT_PRUNE_DPOR] = "dpor",
};

int cmd_explore(int argc, char **argv)
{
	struct mmt_explore_opts o;
	struct mmt_explore_result r;
	struct mmt_program p;
	const char *file = NULL, *out = NULL;
	uint64_t v;
	int ret;

	if (wants_help(argc, argv))
		return print_help(explore_help);
	mmt_explore_opts_default(&o);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--bound")) {
			if (val && !strcmp(val, "-1"))
				o.bound = -1;
			else if (!parse_u64(val, &v) && v <= 64)
				o.bound = (int)v;
			else
				return usage_error("explore: bad bound '%s'", val ? val : "");
			i++;
		} else if (!strcmp(a, "--max-schedules")) {
			if (parse_u64(val, &v))
				return usage_error("explore: bad count '%s'", val ? val : "");
			o.max_schedules = (unsigned long)v;
			i++;
		} else if (!strcmp(a, "--budget")) {
			if (parse_seconds(val, &o.budget))
				return usage_error("explore: bad budget '%s'", val ? val : "");
			i++;
		} else if (!strcmp(a, "--inject")) {
			if (!val)
				return usage_error("%s needs a bug name", a);
			if (parse_inject(val, &o.inject))
				return EXIT_USAGE;
			i++;
		} else if (!strcmp(a, "--setup")) {
			if (parse_u64(val, &v))
				return usage_error("explore: bad op count '%s'", val ? val : "");
			o.setup_ops = (size_t)v;
			i++;
		} else if (!strcmp(a, "--no-prune") || !strcmp(a, "--prune=none")) {
			o.prune = MMT_PRUNE_NONE;
		} else if (!strcmp(a, "--prune=sleep")) {
			o.prune = MMT_PRUNE_SLEEP;
		} else if (!strcmp(a, "--prune=dpor")) {
			o.prune = MMT_PRUNE_DPOR;
		} else if (!strncmp(a, "--prune", 7)) {
			return usage_error("explore: --prune=dpor, --prune=sleep or --prune=none, not '%s'", a);
		} else if (!strcmp(a, "--fields")) {
			o.fields = true;
		} else if (!strcmp(a, "--locks-only")) {
			o.fields = false;
		} else if (!strcmp(a, "-o")) {
			if (!val)
				return usage_error("%s needs a file name", a);
			out = val;
			i++;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("explore: unknown option '%s'", a);
		} else if (!file) {
			file = a;
		} else {
			return usage_error("explore: one FILE only, not also '%s'", a);
		}
	}
	if (!file)
		return usage_error("%s: no FILE to explore", "explore");
	if (load(file, &p))
		return EXIT_USAGE;
	for (size_t k = 0; k < o.setup_ops; k++) {
		if (k >= p.nr_ops || p.ops[k].task) {
			mmt_program_free(&p);
			return usage_error("explore: --setup: the first N ops must all be task 0's%s", "");
		}
	}
	ret = mmt_explore(&p, &o, &r);
	if (ret) {
		fprintf(stderr, "mmtorture: explore: %s: %s\n", file,
			ret == -ENOMEM ? "out of memory" : r.msg);
		mmt_explore_result_free(&r);
		mmt_program_free(&p);
		return ret == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
	}
	if (r.violation) {
		char header[512];

		fflush(stdout);
		mmt_exec_report(stderr, file, &r.prog, &r.run);
		printf("%s: violation after %lu schedules (%lu pruned, %s), %d preemption%s:\n",
		       file, r.runs, r.pruned, prune_name[o.prune], r.preemptions,
		       r.preemptions == 1 ? "" : "s");
		snprintf(header, sizeof(header),
			 "# found by mmtorture explore --bound %d: schedule %lu, %d preemption%s\n",
			 o.bound, r.runs, r.preemptions, r.preemptions == 1 ? "" : "s");
		if (out && mmt_write_finding(out, header, &r.prog)) {
			fprintf(stderr, "mmtorture: explore: cannot write %s\n", out);
		} else {
			char *text = mmt_finding_text(header, &r.prog);

			if (text)
				fputs(text, stdout);
			free(text);
			if (out)
				printf("written to %s\n", out);
		}
		ret = EXIT_FAILED;
	} else if (!r.complete) {
		printf("%s: incomplete: no violation in %lu schedules (%lu explored, %lu pruned, %s); "
		       "the bound %d is not covered\n", file, r.runs, r.explored, r.pruned,
		       prune_name[o.prune], o.bound);
		ret = EXIT_HELD;
	} else {
		if (o.bound < 0)
			printf("%s: no violation in any schedule, ", file);
		else
			printf("%s: no violation within bound %d, ", file, o.bound);
		printf("%lu schedules explored, %lu pruned (%s; %lu runs)\n", r.explored, r.pruned,
		       prune_name[o.prune], r.runs);
		ret = EXIT_HELD;
	}
	mmt_explore_result_free(&r);
	mmt_program_free(&p);
	return ret;
}
