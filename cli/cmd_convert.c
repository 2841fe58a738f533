// SPDX-License-Identifier: MIT
/*
 * cmd_convert.c - mmtorture convert IN OUT [--to mmt|bytes] [--tasks N] [--inject NAME]
 *
 *   .mmt -> bytes  mmt_encode (decode.h); a program outside the fuzzing
 *                  world is refused with the reason and exit status 2.
 *   bytes -> .mmt  a fuzzer input (a libFuzzer crash-*, an AFL++ id:*
 *                  file) decoded with up to N tasks (default $MMT_FUZZ_TASKS
 *                  or 1, as the harness does) and run once, so the text gets
 *                  the schedule that was actually taken and replays exactly;
 *                  the header comment says what the run found.
 *
 * The direction is --to, else OUT's extension (.mmt: text), else IN's.
 * OUT "-" is standard output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mmt/check.h"
#include "mmt/decode.h"
#include "mmt/exec.h"
#include "mmt/fsutil.h"
#include "mmt/fuzzrun.h"
#include "mmt/minimize.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static int put(const char *out, const void *data, size_t len)
{
	if (!strcmp(out, "-"))
		return fwrite(data, 1, len, stdout) == len && !fflush(stdout) ? 0 : -1;
	return mmt_write_atomic(out, data, len);
}

static int to_bytes(const char *in, const char *out)
{
	struct mmt_program p;
	uint8_t *enc;
	size_t len;
	char why[256];
	int ret = EXIT_HELD;

	if (load(in, &p))
		return EXIT_USAGE;
	if (mmt_encode(&p, &enc, &len, why, sizeof(why))) {
		fprintf(stderr, "mmtorture: convert: %s: not encodable as fuzzer bytes: %s\n", in,
			why);
		mmt_program_free(&p);
		return EXIT_USAGE;
	}
	if (put(out, enc, len)) {
		fprintf(stderr, "mmtorture: convert: %s: %s\n", out, strerror(errno));
		ret = EXIT_FAILED;
	}
	free(enc);
	mmt_program_free(&p);
	return ret;
}

static int to_text(const char *in, const char *out, int tasks, uint64_t inject)
{
	struct mmt_exec_result r;
	struct mmt_program p;
	uint8_t *data;
	size_t size;
	char *text, *full;
	char head[1024];
	int ret = EXIT_HELD, n;

	if (mmt_read_file(in, &data, &size)) {
		fprintf(stderr, "mmtorture: convert: %s: %s\n", in, strerror(errno));
		return EXIT_USAGE;
	}
	if (mmt_fuzz_reproduce(data, size, tasks, inject, &p, &r)) {
		free(data);
		fprintf(stderr, "mmtorture: convert: out of memory\n");
		return EXIT_FAILED;
	}
	free(data);
	n = snprintf(head, sizeof(head), "mmt 1\n# converted from %s (%zu bytes, up to %d task%s)\n",
		     in, size, tasks, tasks == 1 ? "" : "s");
	if (r.status == EXEC_VIOLATION) {
		char sig[MMT_SIG_MAX];

		mmt_signature(&p, &r, sig, sizeof(sig));
		n += snprintf(head + n, sizeof(head) - n, "# %s: %s: %s\n# signature %s\n",
			      mmt_invariant_name(r.violation.inv), r.violation.object,
			      r.violation.msg, sig);
	} else {
		n += snprintf(head + n, sizeof(head) - n, "# the run passed%s\n",
			      inject ? " with the bugs asked for" : "");
	}
	mmt_exec_result_free(&r);
	text = mmt_print_string(&p);
	mmt_program_free(&p);
	if (!text) {
		fprintf(stderr, "mmtorture: convert: the decoded program has no text form\n");
		return EXIT_FAILED;
	}
	/* the printer's own "mmt 1" line is replaced by the header */
	full = malloc(strlen(head) + strlen(text) + 1);
	if (!full) {
		free(text);
		return EXIT_FAILED;
	}
	strcpy(full, head);
	strcat(full, strncmp(text, "mmt 1\n", 6) ? text : text + 6);
	if (put(out, full, strlen(full))) {
		fprintf(stderr, "mmtorture: convert: %s: %s\n", out, strerror(errno));
		ret = EXIT_FAILED;
	}
	free(full);
	free(text);
	return ret;
}

static const char convert_help[] =
	"usage: mmtorture convert IN OUT [--to mmt|bytes] [--tasks N] [--inject NAME]\n"
	"\n"
	"  .mmt -> bytes   the program as fuzzer input (refused, exit 2, if it does not\n"
	"                  fit the fuzzing world)\n"
	"  bytes -> .mmt   a fuzzer input (a crash-* or id:* file) decoded with up to N\n"
	"                  tasks (default $MMT_FUZZ_TASKS or 1) and run once, so that the\n"
	"                  text has the schedule it took and replays exactly\n"
	"\n"
	"The direction is --to, else OUT's extension (.mmt: text), else IN's.  OUT - is\n"
	"stdout.  --inject NAME: the bugs on for that run.\n"
	"\n"
	"exit status: 0 converted, 1 it cannot be written, 2 usage error or malformed IN\n";

int cmd_convert(int argc, char **argv)
{
	const char *files[2] = { NULL, NULL }, *to = NULL;
	uint64_t inject = 0, v;
	int tasks = env_tasks(1), nf = 0;

	if (wants_help(argc, argv))
		return print_help(convert_help);

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--to")) {
			if (!val || (strcmp(val, "mmt") && strcmp(val, "bytes")))
				return usage_error("convert: --to takes mmt or bytes, not '%s'",
						   val ? val : "");
			to = val;
			i++;
		} else if (!strcmp(a, "--tasks")) {
			if (parse_u64(val, &v) || !v || v > MMT_MAX_TASKS)
				return usage_error("convert: --tasks: bad count '%s' (1..8)",
						   val ? val : "");
			tasks = (int)v;
			i++;
		} else if (!strcmp(a, "--inject")) {
			if (!val)
				return usage_error("%s needs a bug name", a);
			if (parse_inject(val, &inject))
				return EXIT_USAGE;
			i++;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("convert: unknown option '%s'", a);
		} else if (nf < 2) {
			files[nf++] = a;
		} else {
			return usage_error("convert: one input and one output, '%s' is a third", a);
		}
	}
	if (nf != 2)
		return usage_error("%s: usage: mmtorture convert IN OUT [--to mmt|bytes] "
				   "[--tasks N] [--inject NAME]", "convert");
	if (!to)
		to = ends_with(files[1], ".mmt") ? "mmt" :
		     strcmp(files[1], "-") ? "bytes" :
		     ends_with(files[0], ".mmt") ? "bytes" : "mmt";
	if (!strcmp(to, "bytes"))
		return to_bytes(files[0], files[1]);
	if (ends_with(files[0], ".mmt"))
		return usage_error("convert: %s is .mmt text already (bytes -> .mmt wants a "
				   "fuzzer input)", files[0]);
	return to_text(files[0], files[1], tasks, inject);
}
