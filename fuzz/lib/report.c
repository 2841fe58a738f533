// SPDX-License-Identifier: MIT
/*
 * report.c - a campaign directory as an HTML page with SVG plots
 * (report.h).  No locks: it reads files a running campaign only appends
 * to or replaces atomically.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mmt/campaign.h"
#include "mmt/fsutil.h"
#include "mmt/program.h"
#include "mmt/report.h"

/* ------------------------------------------------------------ strings */

struct sbuf {
	char *s;
	size_t n, cap;
	bool oom;
};

static void sb_printf(struct sbuf *b, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *f, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->n;

		va_start(ap, f);
		n = vsnprintf(b->s ? b->s + b->n : NULL, room, f, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->n += (size_t)n;
			return;
		}
		{
			size_t cap = b->cap ? b->cap * 2 : 65536;
			char *s;

			while (cap < b->n + (size_t)n + 1)
				cap *= 2;
			s = realloc(b->s, cap);
			if (!s) {
				b->oom = true;
				return;
			}
			b->s = s;
			b->cap = cap;
		}
	}
}

/* @s with &, <, >, " escaped */
static void sb_esc(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sb_printf(b, "&amp;"); break;
		case '<': sb_printf(b, "&lt;"); break;
		case '>': sb_printf(b, "&gt;"); break;
		case '"': sb_printf(b, "&quot;"); break;
		default: sb_printf(b, "%c", *s); break;
		}
	}
}

/* a path component in a URL: everything but [A-Za-z0-9._-] percent-encoded */
static void sb_url(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-')
			sb_printf(b, "%c", ch);
		else
			sb_printf(b, "%%%02X", ch);
	}
}

/* 75 s -> "1m15s", 7300 s -> "2h01m" */
static void fmt_duration(char *out, size_t len, double s)
{
	long t = s < 0 ? 0 : (long)(s + 0.5);

	if (t < 60)
		snprintf(out, len, "%.1fs", s < 0 ? 0 : s);
	else if (t < 3600)
		snprintf(out, len, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(out, len, "%ldh%02ldm", t / 3600, t % 3600 / 60);
}

/* 1234567 -> "1.23M" */
static void fmt_count(char *out, size_t len, double v)
{
	if (fabs(v) >= 1e9)
		snprintf(out, len, "%.3gG", v / 1e9);
	else if (fabs(v) >= 1e6)
		snprintf(out, len, "%.3gM", v / 1e6);
	else if (fabs(v) >= 1e4)
		snprintf(out, len, "%.3gk", v / 1e3);
	else
		snprintf(out, len, "%.4g", v);
}

/* -------------------------------------------------------- time series */

enum { COL_EXECS, COL_EPS, COL_COV, COL_FINDINGS, COL_ALL, NCOLS };

struct series {
	char engine[16];
	size_t n, cap;
	double *x;		/* wall clock */
	double *y[NCOLS];
	/* a resumed run starts its counters again: what the earlier runs reached */
	double last_elapsed, base_execs, base_findings, prev_execs, prev_findings;
};

#define MAX_SERIES	8

struct timeseries {
	struct series s[MAX_SERIES];
	int ns;
	double wall0;		/* the first line's */
	double all_findings;	/* the last line's all_findings */
	unsigned bad;		/* lines that do not parse */
};

static struct series *series_of(struct timeseries *ts, const char *engine)
{
	struct series *s;

	for (int i = 0; i < ts->ns; i++)
		if (!strcmp(ts->s[i].engine, engine))
			return &ts->s[i];
	if (ts->ns == MAX_SERIES)
		return NULL;
	s = &ts->s[ts->ns++];
	snprintf(s->engine, sizeof(s->engine), "%s", engine);
	return s;
}

static int series_add(struct series *s, double x, const double y[NCOLS])
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		double *nx = realloc(s->x, cap * sizeof(double));

		if (!nx)
			return -1;
		s->x = nx;
		for (int c = 0; c < NCOLS; c++) {
			double *ny = realloc(s->y[c], cap * sizeof(double));

			if (!ny)
				return -1;
			s->y[c] = ny;
		}
		s->cap = cap;
	}
	s->x[s->n] = x;
	for (int c = 0; c < NCOLS; c++)
		s->y[c][s->n] = y[c];
	s->n++;
	return 0;
}

static void timeseries_free(struct timeseries *ts)
{
	for (int i = 0; i < ts->ns; i++) {
		free(ts->s[i].x);
		for (int c = 0; c < NCOLS; c++)
			free(ts->s[i].y[c]);
	}
}

/*
 * DIR/timeseries.csv (campaign.h): lines in the order written, a header
 * first; a last line without its newline is being written, or was cut.
 */
static int timeseries_read(const char *dir, struct timeseries *ts)
{
	char path[PATH_MAX + 32], *text, *line, *next;
	uint8_t *data;
	size_t len;

	memset(ts, 0, sizeof(*ts));
	snprintf(path, sizeof(path), "%s/timeseries.csv", dir);
	if (mmt_read_file(path, &data, &len))
		return errno == ENOENT ? 0 : -1;
	text = (char *)data;
	for (line = text; line < text + len; line = next) {
		char engine[32];
		double wall, el, eps, y[NCOLS];
		unsigned long long execs;
		unsigned cov, crashes;
		int fnd, all, used = 0;
		char *nl = memchr(line, '\n', (size_t)(text + len - line));
		struct series *s;

		if (!nl)
			break;
		*nl = 0;
		next = nl + 1;
		if (!strncmp(line, "wall,", 5))
			continue;
		if (sscanf(line, "%lf,%lf,%31[^,],%llu,%lf,%u,%d,%d,%u%n", &wall, &el, engine,
			   &execs, &eps, &cov, &fnd, &all, &crashes, &used) != 9 || line[used]) {
			ts->bad++;
			continue;
		}
		if (!ts->wall0)
			ts->wall0 = wall;
		s = series_of(ts, engine);
		if (!s)
			continue;
		if (s->n && el < s->last_elapsed) {
			/* a new run of the campaign: its counters start from 0 */
			s->base_execs += s->prev_execs;
			s->base_findings += s->prev_findings;
		}
		s->last_elapsed = el;
		s->prev_execs = (double)execs;
		s->prev_findings = fnd;
		y[COL_EXECS] = s->base_execs + (double)execs;
		y[COL_EPS] = eps;
		/* 0 is "not reported yet" (a run that just started), not a loss */
		y[COL_COV] = cov || !s->n ? cov : s->y[COL_COV][s->n - 1];
		y[COL_FINDINGS] = s->base_findings + fnd;
		y[COL_ALL] = all;
		ts->all_findings = all;
		if (series_add(s, wall, y)) {
			free(data);
			errno = ENOMEM;
			return -1;
		}
	}
	free(data);
	return 0;
}

/* --------------------------------------------------------------- plots */

#define PW	640	/* the plot's size in px, margins included */
#define PH	260
#define ML	70	/* margins: left (y labels), right, top, bottom (x labels) */
#define MR	110
#define MT	30
#define MB	40
#define MAX_POINTS	1500	/* per line: longer series are thinned */

static const char *const colors[MAX_SERIES] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f",
};

/* a round step that cuts [0, max] into about @n parts */
static double nice_step(double max, int n)
{
	double raw = max / n, mag = pow(10, floor(log10(raw))), f = raw / mag;

	return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/*
 * One plot as an SVG document: column @col of every series against the
 * seconds since @wall0.  @step: a staircase (counts that jump), else a
 * polyline.
 */
static void svg_plot(struct sbuf *b, const struct timeseries *ts, int col, const char *title,
		     const char *ylabel, bool step)
{
	double xmax = 1, ymax = 0, xs, ys, tick;
	const double w = PW - ML - MR, h = PH - MT - MB;
	char lbl[32];

	for (int i = 0; i < ts->ns; i++)
		for (size_t k = 0; k < ts->s[i].n; k++) {
			double x = ts->s[i].x[k] - ts->wall0, y = ts->s[i].y[col][k];

			xmax = x > xmax ? x : xmax;
			ymax = y > ymax ? y : ymax;
			if (col == COL_FINDINGS && ts->s[i].y[COL_ALL][k] > ymax)
				ymax = ts->s[i].y[COL_ALL][k];
		}
	if (ymax <= 0)
		ymax = 1;
	tick = nice_step(ymax, 4);
	if (step && tick < 1)
		tick = 1;	/* counts */
	ymax = ceil(ymax / tick) * tick;
	xs = w / xmax;
	ys = h / ymax;
	sb_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		  "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n",
		  PW, PH, PW, PH);
	sb_printf(b, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", PW, PH);
	sb_printf(b, "<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", ML);
	sb_esc(b, title);
	sb_printf(b, "</text>\n");
	/* y grid and labels */
	for (double y = 0; y <= ymax + tick / 2; y += tick) {
		double py = MT + h - y * ys;

		fmt_count(lbl, sizeof(lbl), y);
		sb_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
			  "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			  ML, py, ML + w, py, ML - 6, py + 4, lbl);
	}
	/* x grid and labels */
	tick = nice_step(xmax, 6);
	for (double x = 0; x <= xmax + 1e-9; x += tick) {
		double px = ML + x * xs;

		fmt_duration(lbl, sizeof(lbl), x);
		sb_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
			  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
			  px, MT, px, MT + h, px, MT + h + 16, lbl);
	}
	sb_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
		  "stroke=\"#333\"/>\n", ML, MT, w, h);
	sb_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">time since the campaign "
		  "started</text>\n", ML + w / 2, PH - 4);
	sb_printf(b, "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\">",
		  MT + h / 2);
	sb_esc(b, ylabel);
	sb_printf(b, "</text>\n");
	/* the findings plot has one more line: all findings, the seeds' and earlier runs' too */
	for (int i = 0; i < ts->ns + (col == COL_FINDINGS && ts->ns); i++) {
		const struct series *s = &ts->s[i < ts->ns ? i : 0];
		const char *name = i < ts->ns ? s->engine : "all";
		const char *color = i < ts->ns ? colors[i] : "#000";
		size_t every = s->n / MAX_POINTS + 1;
		double py = MT + h;

		if (i == ts->ns)
			col = COL_ALL;
		sb_printf(b, "<polyline class=\"series\" data-engine=\"%s\" fill=\"none\" "
			  "stroke=\"%s\" stroke-width=\"1.8\"%s points=\"", name, color,
			  i < ts->ns ? "" : " stroke-dasharray=\"5 3\"");
		for (size_t k = 0; k < s->n; k++) {
			double px = ML + (s->x[k] - ts->wall0) * xs;

			/* thinned, but the last point and every jump of a staircase stay */
			if (k % every && k + 1 != s->n &&
			    !(step && k && s->y[col][k] != s->y[col][k - 1]))
				continue;
			if (step && k)
				sb_printf(b, "%.1f,%.1f ", px, py);
			py = MT + h - s->y[col][k] * ys;
			sb_printf(b, "%.1f,%.1f ", px, py);
		}
		sb_printf(b, "\"/>\n");
		sb_printf(b, "<line x1=\"%.0f\" y1=\"%d\" x2=\"%.0f\" y2=\"%d\" stroke=\"%s\" "
			  "stroke-width=\"3\"/><text x=\"%.0f\" y=\"%d\">%s</text>\n",
			  ML + w + 10, MT + 10 + 16 * i, ML + w + 28, MT + 10 + 16 * i, color,
			  ML + w + 32, MT + 14 + 16 * i, name);
	}
	if (!ts->ns)
		sb_printf(b, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"#888\">"
			  "no time series in this directory</text>\n", ML + w / 2, MT + h / 2);
	sb_printf(b, "</svg>\n");
}

/* ------------------------------------------------------------ findings */

static unsigned count_examples(const char *dir, const char *name)
{
	char path[PATH_MAX + 600];
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/findings/%.*s.examples", dir, (int)(strlen(name) - 4),
		 name);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".mmt") && !strstr(de->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

/* the header lines triage.c writes (triage.h) */
static void read_finding(const char *dir, const char *name, struct mmt_report_finding *f)
{
	char path[PATH_MAX + 300], line[1024];
	struct mmt_parse_error err;
	struct mmt_program p;
	struct stat st;
	FILE *in;

	memset(f, 0, sizeof(*f));
	f->after = -1;
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(path, sizeof(path), "%s/findings/%s", dir, name);
	if (!stat(path, &st))
		f->bytes = (size_t)st.st_size;
	in = fopen(path, "r");
	if (in) {
		while (fgets(line, sizeof(line), in) && (line[0] == '#' || !strncmp(line, "mmt ", 4))) {
			char eng[32];
			double t;

			line[strcspn(line, "\n")] = 0;
			if (sscanf(line, "# campaign signature %127s", f->sig) == 1 ||
			    sscanf(line, "# campaign kind %15s", f->kind) == 1 ||
			    sscanf(line, "# campaign found-at %lf", &f->found_at) == 1)
				continue;
			if (sscanf(line, "# found by %31s after %lfs", eng, &t) == 2) {
				snprintf(f->engine, sizeof(f->engine), "%s", eng);
				f->after = t;
			} else if (!f->what[0] && line[0] == '#' && strncmp(line, "# campaign", 10)) {
				snprintf(f->what, sizeof(f->what), "%s", line + 2);
			}
		}
		fclose(in);
	}
	mmt_program_init(&p);
	if (!mmt_parse_file(path, &p, &err))
		f->ops = p.nr_ops;
	mmt_program_free(&p);
	f->examples = count_examples(dir, name);
}

static int by_time(const void *a, const void *b)
{
	const struct mmt_report_finding *x = a, *y = b;

	if ((x->found_at > 0) != (y->found_at > 0))
		return x->found_at > 0 ? -1 : 1;
	if (x->found_at != y->found_at)
		return x->found_at < y->found_at ? -1 : 1;
	if (x->after != y->after)
		return x->after < y->after ? -1 : 1;
	return strcmp(x->name, y->name);
}

int mmt_report_findings(const char *dir, struct mmt_report_finding **out, int *n)
{
	char path[PATH_MAX + 32];
	struct mmt_report_finding *v = NULL;
	struct dirent *de;
	int cnt = 0, cap = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/findings", dir);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 4, ".mmt") || strstr(de->d_name, ".tmp.") ||
		    len >= sizeof(v->name))
			continue;
		if (cnt == cap) {
			struct mmt_report_finding *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, (size_t)cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				errno = ENOMEM;
				return -1;
			}
			v = nv;
		}
		read_finding(dir, de->d_name, &v[cnt++]);
	}
	closedir(d);
	qsort(v, (size_t)cnt, sizeof(*v), by_time);
	*out = v;
	*n = cnt;
	return 0;
}

/* ------------------------------------------------------------- summary */

/* the value of "@key" in summary.json as text (a number, true, a string's contents) */
static bool json_value(const char *json, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = json ? strstr(json, pat) : NULL;
	if (!p)
		return false;
	p += strlen(pat);
	if (*p == '"') {
		p++;
		n = strcspn(p, "\"");
	} else if (*p == '[') {
		n = strcspn(p, "]") + 1;
	} else {
		n = strcspn(p, ",\n}");
	}
	snprintf(out, len, "%.*s", (int)n, p);
	return true;
}

static void summary_table(struct sbuf *b, const char *json)
{
	static const char *const keys[][2] = {
		{ "engines", "engines" }, { "elapsed_s", "elapsed (s), last run" },
		{ "budget_s", "budget (s)" }, { "jobs", "jobs" }, { "tasks", "tasks" },
		{ "inject", "bugs injected" }, { "seed", "seed" },
		{ "execs", "executions, last run" }, { "execs_per_s", "executions/s" },
		{ "crash_inputs", "crash inputs" }, { "new_findings", "new findings" },
		{ "injected_findings", "injected-bug findings" },
		{ "clean_model_findings", "clean-model findings" },
		{ "duplicates", "duplicates" }, { "unreproducible", "unreproducible" },
		{ "interrupted", "interrupted" }, { "exit", "exit status" },
	};
	char v[256];

	if (!json) {
		sb_printf(b, "<p class=\"warn\">No summary.json: the campaign is still running, or "
			  "was killed before it ended.</p>\n");
		return;
	}
	sb_printf(b, "<table class=\"summary\">\n");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!json_value(json, keys[i][0], v, sizeof(v)))
			continue;
		sb_printf(b, "<tr><th>%s</th><td>", keys[i][1]);
		sb_esc(b, v[0] ? v : "-");
		sb_printf(b, "</td></tr>\n");
	}
	sb_printf(b, "</table>\n");
}

/* ---------------------------------------------------------------- page */

static const char style[] =
	"body{font-family:sans-serif;margin:24px;color:#222;max-width:1500px}"
	"h1{font-size:22px}h2{font-size:17px;margin-top:28px}"
	"table{border-collapse:collapse;font-size:13px}"
	"th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
	"table.summary th{background:#f4f4f4;font-weight:normal}"
	"table.findings th{background:#e8eef7}"
	".plots{display:flex;flex-wrap:wrap;gap:12px}.plots svg{border:1px solid #ddd}figure{margin:0}"
	"code{font-size:12px}.warn{color:#a33}pre{background:#f8f8f8;padding:8px;font-size:12px}";

static void findings_table(struct sbuf *b, const struct mmt_report_finding *f, int n,
			   double wall0)
{
	char t[32];

	if (!n) {
		sb_printf(b, "<p>No findings.</p>\n");
		return;
	}
	sb_printf(b, "<table class=\"findings\">\n<tr><th>#</th><th>signature</th><th>kind</th>"
		  "<th>first found</th><th>engine</th><th>reproducer</th><th>examples</th>"
		  "<th>violation</th></tr>\n");
	for (int i = 0; i < n; i++) {
		if (f[i].found_at > 0 && wall0 > 0 && f[i].found_at < wall0)
			snprintf(t, sizeof(t), "before this campaign (merged)");
		else if (f[i].found_at > 0 && wall0 > 0)
			fmt_duration(t, sizeof(t), f[i].found_at - wall0);
		else if (f[i].after >= 0)
			snprintf(t, sizeof(t), "%.1fs into its run", f[i].after);
		else
			snprintf(t, sizeof(t), "-");
		sb_printf(b, "<tr class=\"finding\"><td>%d</td><td><code>", i + 1);
		sb_esc(b, f[i].sig[0] ? f[i].sig : "?");
		sb_printf(b, "</code></td><td>");
		sb_esc(b, f[i].kind[0] ? f[i].kind : "?");
		sb_printf(b, "</td><td>%s</td><td>", t);
		sb_esc(b, f[i].engine[0] ? f[i].engine : "-");
		sb_printf(b, "</td><td><a href=\"findings/");
		sb_url(b, f[i].name);
		sb_printf(b, "\">");
		sb_esc(b, f[i].name);
		sb_printf(b, "</a><br>%zu ops, %zu bytes</td><td>%u</td><td>", f[i].ops, f[i].bytes,
			  f[i].examples);
		sb_esc(b, f[i].what);
		sb_printf(b, "</td></tr>\n");
	}
	sb_printf(b, "</table>\n");
}

static const struct {
	const char *name, *title, *ylabel;
	int col;
	bool step;
} plots[] = {
	{ "execs", "Executions", "executions (total)", COL_EXECS, false },
	{ "execs_per_s", "Executions per second", "executions/s", COL_EPS, false },
	{ "coverage", "Coverage", "libFuzzer cov / AFL++ edges", COL_COV, false },
	{ "findings", "Findings", "findings (by engine)", COL_FINDINGS, true },
};

int mmt_report_write(const char *dir, FILE *log)
{
	struct sbuf page = { 0 };
	struct timeseries ts;
	struct mmt_report_finding *f = NULL;
	char path[PATH_MAX + 64], when[64], *json = NULL;
	uint8_t *data;
	size_t len;
	time_t now = time(NULL);
	int nf = 0, ret = -1;

	if (timeseries_read(dir, &ts))
		goto out;
	if (mmt_report_findings(dir, &f, &nf))
		goto out;
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	if (!mmt_read_file(path, &data, &len)) {
		json = realloc(data, len + 1);
		if (!json) {
			free(data);
			goto out;
		}
		json[len] = 0;
	}
	if (log && !ts.ns)
		fprintf(log, "report: no time series in %s/timeseries.csv\n", dir);
	if (log && ts.bad)
		fprintf(log, "report: %s/timeseries.csv: %u line%s skipped (do not parse)\n", dir,
			ts.bad, ts.bad == 1 ? "" : "s");

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	sb_printf(&page, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		  "<title>mmtorture campaign ");
	sb_esc(&page, dir);
	sb_printf(&page, "</title><style>%s</style></head><body>\n<h1>mmtorture campaign "
		  "<code>", style);
	sb_esc(&page, dir);
	sb_printf(&page, "</code></h1>\n<p>Report written %s. ", when);
	if (ts.ns) {
		char span[32], first[64];
		time_t w0 = (time_t)ts.wall0;
		double last = 0;

		for (int i = 0; i < ts.ns; i++)
			if (ts.s[i].n && ts.s[i].x[ts.s[i].n - 1] > last)
				last = ts.s[i].x[ts.s[i].n - 1];
		strftime(first, sizeof(first), "%Y-%m-%d %H:%M:%S UTC", gmtime(&w0));
		fmt_duration(span, sizeof(span), last - ts.wall0);
		sb_printf(&page, "Campaign started %s; the time series covers %s.", first, span);
	}
	sb_printf(&page, "</p>\n<h2>Summary</h2>\n");
	summary_table(&page, json);
	sb_printf(&page, "<h2>Findings (%d)</h2>\n", nf);
	findings_table(&page, f, nf, ts.wall0);
	sb_printf(&page, "<h2>Progress</h2>\n<div class=\"plots\">\n");
	snprintf(path, sizeof(path), "%s/plots", dir);
	if (mmt_mkdirs(path))
		goto out;
	for (size_t i = 0; i < sizeof(plots) / sizeof(plots[0]); i++) {
		struct sbuf svg = { 0 };
		int err;

		svg_plot(&svg, &ts, plots[i].col, plots[i].title, plots[i].ylabel, plots[i].step);
		if (svg.oom) {
			free(svg.s);
			errno = ENOMEM;
			goto out;
		}
		snprintf(path, sizeof(path), "%s/plots/%s.svg", dir, plots[i].name);
		err = mmt_write_atomic(path, svg.s, svg.n);
		sb_printf(&page, "<figure id=\"plot-%s\">%s<figcaption><a href=\"plots/%s.svg\">"
			  "plots/%s.svg</a></figcaption></figure>\n", plots[i].name, svg.s,
			  plots[i].name, plots[i].name);
		free(svg.s);
		if (err)
			goto out;
	}
	sb_printf(&page, "</div>\n");
	if (json) {
		sb_printf(&page, "<details><summary>summary.json</summary><pre>");
		sb_esc(&page, json);
		sb_printf(&page, "</pre></details>\n");
	}
	sb_printf(&page, "</body></html>\n");
	if (page.oom) {
		errno = ENOMEM;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/report.html", dir);
	if (mmt_write_atomic(path, page.s, page.n))
		goto out;
	if (log)
		fprintf(log, "report: %s (%d finding%s, %d engine%s), plots in %s/plots/\n", path,
			nf, nf == 1 ? "" : "s", ts.ns, ts.ns == 1 ? "" : "s", dir);
	ret = 0;
out:
	free(page.s);
	free(json);
	free(f);
	timeseries_free(&ts);
	return ret;
}
