/* SPDX-License-Identifier: MIT */
/*
 * report.h - a campaign directory as a page a person reads: what ran, how
 * fast, how far it got, what it found.
 *
 * Everything comes from what the campaign leaves in DIR (campaign.h):
 * DIR/timeseries.csv for the curves, DIR/findings/NAME.mmt and their header
 * lines for the table, DIR/summary.json for the totals.  A campaign still
 * running, killed, resumed or merged from several machines (corpus.h) is
 * read the same way: a resumed run restarts its seconds and its counters,
 * so each engine's executions and findings are summed over the runs it
 * made, and time is the wall clock since the first line.
 *
 * The page, DIR/report.html, is one file with nothing to fetch: the plots
 * are inline SVG, also written one by one to DIR/plots/NAME.svg (execs,
 * execs_per_s, coverage, findings: one line per engine, as afl-plot draws
 * them).  The findings table links each reproducer by its path relative
 * to DIR, so the page works where DIR is copied to.
 */
#ifndef MMT_REPORT_H
#define MMT_REPORT_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include "mmt/minimize.h"

/* one finding as its file describes it (triage.h's header lines) */
struct mmt_report_finding {
	char sig[MMT_SIG_MAX];
	char kind[16];		/* "injected", "clean-model" */
	char name[256];		/* NAME.mmt in DIR/findings */
	char engine[32];	/* "" if the header does not say */
	char what[256];		/* the first line: INVARIANT: object: message */
	double found_at;	/* wall clock when its input was saved; 0: unknown */
	double after;		/* seconds into its run; -1: unknown */
	size_t ops, bytes;	/* the reproducer: ops (0: does not parse), file size */
	unsigned examples;	/* files in NAME.examples/ */
};

/*
 * The findings in @dir/findings, oldest first (unknown times last).
 * *@out is malloc'd (free it); 0, or -1 with errno (no findings dir is 0
 * findings).
 */
int mmt_report_findings(const char *dir, struct mmt_report_finding **out, int *n);

/*
 * Write @dir/report.html and @dir/plots/{execs,execs_per_s,coverage,
 * findings}.svg, each atomically (fsutil.h).  @log: a line saying where,
 * and warnings (no time series yet, a line that does not parse); NULL:
 * silent.  0, or -1 with errno if a file cannot be written.
 */
int mmt_report_write(const char *dir, FILE *log);

#endif /* MMT_REPORT_H */
