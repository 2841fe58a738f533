// SPDX-License-Identifier: MIT
/*
 * cmd_report.c - mmtorture report DIR: a campaign directory as an HTML page
 * with SVG plots (fuzz/lib report.h).
 *
 * Exit: 0 written, 1 a file could not be written, 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "mmt/report.h"

static const char report_help[] =
	"usage: mmtorture report DIR\n"
	"\n"
	"Writes DIR/report.html, one self-contained page about the campaign in DIR\n"
	"(mmtorture fuzz --out DIR): executions, executions/s, coverage and findings\n"
	"over time per engine (also as DIR/plots/*.svg), a table of the findings\n"
	"(signature, kind, when first found, engine, reproducer size, a link to the\n"
	".mmt) and the summary.  Works on a running, killed, resumed or merged\n"
	"campaign: it reads DIR/timeseries.csv, DIR/findings and DIR/summary.json.\n"
	"\n"
	"exit status: 0 written, 1 cannot write, 2 usage error (DIR is not a directory)\n";

int cmd_report(int argc, char **argv)
{
	struct stat st;

	if (wants_help(argc, argv))
		return print_help(report_help);
	if (argc != 1)
		return usage_error("report: expected one campaign directory%s", "");
	if (stat(argv[0], &st) || !S_ISDIR(st.st_mode))
		return usage_error("report: '%s' is not a directory", argv[0]);
	if (mmt_report_write(argv[0], stderr)) {
		fprintf(stderr, "mmtorture: report: %s: %s\n", argv[0], strerror(errno));
		return EXIT_FAILED;
	}
	return EXIT_HELD;
}
