// SPDX-License-Identifier: MIT
/*
 * cmd_minimize.c - mmtorture minimize FILE [--inject NAME] [-o OUT] [--max-runs N]
 *
 * FILE is a .mmt program, or fuzzer bytes (anything not ending in .mmt,
 * decoded with --tasks N or $MMT_FUZZ_TASKS tasks).  It must fail with a
 * violation; the result fails with the same signature (minimize.h) and is
 * written to OUT (default FILE.min.mmt; "-" for standard output).
 * Exit: 0 minimized, 1 FILE does not fail, 2 usage or malformed FILE.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mmt/fsutil.h"
#include "mmt/fuzzrun.h"
#include "mmt/inject.h"
#include "mmt/minimize.h"
#include "mmt/triage.h"

static bool is_mmt(const char *s)
{
	size_t n = strlen(s);

	return n >= 4 && !strcmp(s + n - 4, ".mmt");
}

/* "mmt 1", the header, the program: atomically, or to stdout for "-" */
static int put(const char *path, const char *header, const struct mmt_program *p)
{
	char *text;
	int ret;

	if (strcmp(path, "-"))
		return mmt_write_finding(path, header, p);
	text = mmt_finding_text(header, p);
	if (!text)
		return -1;
	ret = fputs(text, stdout) < 0 ? -1 : 0;
	free(text);
	return ret;
}

static const char minimize_help[] =
	"usage: mmtorture minimize FILE [--inject NAME] [-o OUT] [--tasks N] [--max-runs N] [-v]\n"
	"\n"
	"Shrink a failing program, keeping its signature: delta debugging over the ops and\n"
	"the schedule's switches down to 1-minimal, then the arguments and the world.\n"
	"FILE is a .mmt program, or fuzzer bytes (anything else, decoded with --tasks N,\n"
	"default $MMT_FUZZ_TASKS or 1).\n"
	"\n"
	"  --inject NAME   the bug-zoo entries it fails with (default $MMT_INJECT)\n"
	"  -o, --out OUT   where the result goes (default FILE.min.mmt; - for stdout)\n"
	"  --max-runs N    give up after N runs\n"
	"  -v              log every step on stderr\n"
	"\n"
	"exit status: 0 minimized, 1 FILE does not fail, 2 usage error or a malformed FILE\n";

int cmd_minimize(int argc, char **argv)
{
	const char *file = NULL, *out = NULL, *inject_name = NULL;
	struct mmt_min_opts mo = { 0 };
	struct mmt_min_result res;
	struct mmt_program p, m;
	char outbuf[PATH_MAX], header[2048];
	uint64_t v;
	int tasks = env_tasks(1), ret;

	if (wants_help(argc, argv))
		return print_help(minimize_help);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--inject")) {
			if (!val)
				return usage_error("%s needs a bug name", a);
			if (parse_inject(val, &mo.inject))
				return EXIT_USAGE;
			inject_name = val;
			i++;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--out")) {
			if (!val)
				return usage_error("%s needs a file", a);
			out = val;
			i++;
		} else if (!strcmp(a, "--tasks")) {
			if (parse_u64(val, &v) || !v || v > MMT_MAX_TASKS)
				return usage_error("minimize: --tasks: bad count '%s' (1..8)",
						   val ? val : "");
			tasks = (int)v;
			i++;
		} else if (!strcmp(a, "--max-runs")) {
			if (parse_u64(val, &v) || !v || v > 10000000)
				return usage_error("minimize: --max-runs: bad count '%s'",
						   val ? val : "");
			mo.max_runs = (unsigned)v;
			i++;
		} else if (!strcmp(a, "-v")) {
			mo.log = stderr;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("minimize: unknown option '%s'", a);
		} else if (!file) {
			file = a;
		} else {
			return usage_error("minimize: one FILE only ('%s' is a second)", a);
		}
	}
	if (!file)
		return usage_error("%s: usage: mmtorture minimize FILE [--inject NAME] [-o OUT]",
				   "minimize");
	if (!inject_name)
		inject_name = getenv("MMT_INJECT");
	if (is_mmt(file)) {
		if (load(file, &p))
			return EXIT_USAGE;
	} else {
		struct mmt_exec_result r;
		uint8_t *data;
		size_t size;

		if (mmt_read_file(file, &data, &size)) {
			fprintf(stderr, "mmtorture: minimize: %s: %s\n", file, strerror(errno));
			return EXIT_USAGE;
		}
		ret = mmt_fuzz_reproduce(data, size, tasks, mo.inject, &p, &r);
		free(data);
		if (ret)
			return EXIT_FAILED;
		mmt_exec_result_free(&r);
	}
	if (!out) {
		snprintf(outbuf, sizeof(outbuf), "%.*s.min.mmt",
			 (int)(strlen(file) - (is_mmt(file) ? 4 : 0)), file);
		out = outbuf;
	}
	ret = mmt_minimize(&p, &mo, &m, &res);
	mmt_program_free(&p);
	if (ret == -1) {
		fprintf(stderr, "mmtorture: minimize: %s does not fail%s%s: nothing to minimize\n",
			file, inject_name ? " with " : "", inject_name ? inject_name : "");
		return EXIT_FAILED;
	}
	if (ret) {
		fprintf(stderr, "mmtorture: minimize: out of memory\n");
		return EXIT_FAILED;
	}
	snprintf(header, sizeof(header),
		 "# minimized from %s by mmtorture minimize%s%s\n"
		 "# signature %s: %zu -> %zu ops, %u -> %u context switches, %u runs\n"
		 "# replay: mmtorture replay%s%s FILE\n",
		 file, inject_name ? " --inject " : "", inject_name ? inject_name : "", res.sig,
		 res.ops_before, res.ops_after, res.switches_before, res.switches_after, res.runs,
		 inject_name ? " --inject " : "", inject_name ? inject_name : "");
	if (put(out, header, &m)) {
		fprintf(stderr, "mmtorture: minimize: %s: %s\n", out, strerror(errno));
		mmt_program_free(&m);
		return EXIT_FAILED;
	}
	fprintf(stderr, "minimize: %s: %s, %zu -> %zu ops, %u -> %u switches, %u runs -> %s\n",
		file, res.sig, res.ops_before, res.ops_after, res.switches_before,
		res.switches_after, res.runs, out);
	if (!res.strict_ok)
		fprintf(stderr, "minimize: warning: the result does not fail under a strict "
			"replay of its schedule\n");
	mmt_program_free(&m);
	return EXIT_HELD;
}
