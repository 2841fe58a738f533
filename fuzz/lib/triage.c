// SPDX-License-Identifier: MIT
/*
 * triage.c - crash inputs -> deduplicated, minimized findings (see triage.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmt/check.h"
#include "mmt/exec.h"
#include "mmt/fsutil.h"
#include "mmt/fuzzrun.h"
#include "mmt/minimize.h"
#include "mmt/triage.h"

char *mmt_finding_text(const char *header, const struct mmt_program *p)
{
	char *text = mmt_print_string(p), *full;
	size_t n;

	if (!text)
		return NULL;
	n = strlen(header) + strlen(text) + 8;
	full = malloc(n);
	if (full)	/* "mmt 1" first, then the header comment, then the ops */
		snprintf(full, n, "mmt 1\n%s%s", header,
			 strncmp(text, "mmt 1\n", 6) ? text : text + 6);
	free(text);
	return full;
}

int mmt_write_finding(const char *path, const char *header, const struct mmt_program *p)
{
	char *full = mmt_finding_text(header, p);
	int ret;

	if (!full) {
		errno = ENOMEM;
		return -1;
	}
	ret = mmt_write_atomic(path, full, strlen(full));
	free(full);
	return ret;
}

bool mmt_triage_seen(const struct mmt_triage *t, const char *key)
{
	for (size_t i = 0; i < t->nseen; i++)
		if (!strcmp(t->seen[i], key))
			return true;
	return false;
}

void mmt_triage_mark_seen(struct mmt_triage *t, const char *key)
{
	char path[PATH_MAX + 32];
	FILE *f;

	if (t->nseen < MMT_TRIAGE_MAX_SEEN)
		snprintf(t->seen[t->nseen++], sizeof(t->seen[0]), "%s", key);
	/* on disk at once: a campaign killed now must not redo this input */
	snprintf(path, sizeof(path), "%s/processed", t->dir);
	f = fopen(path, "a");
	if (f) {
		fprintf(f, "%s\n", key);
		fflush(f);
		fsync(fileno(f));
		fclose(f);
	}
}

static void load_seen(struct mmt_triage *t)
{
	char path[PATH_MAX + 32], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/processed", t->dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && t->nseen < MMT_TRIAGE_MAX_SEEN) {
		line[strcspn(line, "\n")] = 0;
		if (line[0])
			snprintf(t->seen[t->nseen++], sizeof(t->seen[0]), "%s", line);
	}
	fclose(f);
}

bool mmt_triage_known(const struct mmt_triage *t, const char *sig)
{
	for (int i = 0; i < t->nfound; i++)
		if (!strcmp(t->found[i].sig, sig))
			return true;
	return false;
}

/* signatures of the findings already in DIR/findings (a resumed campaign) */
static void load_findings(struct mmt_triage *t)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/findings", t->dir);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && t->nfound < MMT_TRIAGE_MAX_FINDINGS) {
		char line[512];
		FILE *f;
		size_t n = strlen(de->d_name);

		/* a .tmp. file is a write that never finished */
		if (n < 5 || strcmp(de->d_name + n - 4, ".mmt") || strstr(de->d_name, ".tmp."))
			continue;
		snprintf(path, sizeof(path), "%s/findings/%s", t->dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char sig[MMT_SIG_MAX];

			if (sscanf(line, "# campaign signature %95s", sig) == 1 &&
			    !mmt_triage_known(t, sig)) {
				struct mmt_finding *fd = &t->found[t->nfound++];

				snprintf(fd->sig, sizeof(fd->sig), "%s", sig);
				snprintf(fd->path, sizeof(fd->path), "%s", path);
				snprintf(fd->engine, sizeof(fd->engine), "earlier");
				fd->t = -1;
				break;
			}
		}
		fclose(f);
	}
	closedir(d);
}

int mmt_triage_open(struct mmt_triage *t, const struct mmt_triage_opts *o)
{
	memset(t, 0, sizeof(*t));
	t->o = *o;
	snprintf(t->dir, sizeof(t->dir), "%s", o->dir);
	t->o.dir = t->dir;
	t->seen = calloc(MMT_TRIAGE_MAX_SEEN, sizeof(*t->seen));
	if (!t->seen)
		return -1;
	load_seen(t);
	load_findings(t);
	return 0;
}

void mmt_triage_close(struct mmt_triage *t)
{
	free(t->seen);
	t->seen = NULL;
	t->nseen = 0;
}

/* does @p pass with the bugs off?  (the hunt needs it to) */
static bool passes_clean(const struct mmt_program *p)
{
	struct mmt_exec_opts clean;
	struct mmt_exec_result cr;
	bool ok;

	mmt_exec_opts_default(&clean);
	clean.teardown = true;
	clean.lenient_schedule = true;
	mmt_exec(p, &clean, &cr);
	ok = cr.status == EXEC_PASS;
	mmt_exec_result_free(&cr);
	return ok;
}

static void sig_to_name(const char *sig, char *out, size_t len)
{
	snprintf(out, len, "%s", sig);
	for (char *s = out; *s; s++)
		if (*s == '/' || *s == ' ')
			*s = '-';
}

enum mmt_triage_verdict mmt_triage_crash(struct mmt_triage *t, const char *path,
					 const char *key, const char *engine, double t_found,
					 struct mmt_triage_report *rep)
{
	const struct mmt_triage_opts *o = &t->o;
	struct mmt_exec_result r;
	struct mmt_program p, m, q;
	struct mmt_min_opts mo = { .inject = o->inject };
	struct mmt_min_result res;
	char fsig[MMT_SIG_MAX], dir[PATH_MAX + 32], header[4096];
	enum mmt_triage_verdict v;
	uint8_t *data;
	size_t size;

	memset(rep, 0, sizeof(*rep));
	t->crashes++;
	if (mmt_read_file(path, &data, &size)) {
		snprintf(rep->why, sizeof(rep->why), "%s", strerror(errno));
		mmt_triage_mark_seen(t, key);
		return rep->verdict = MMT_TRIAGE_UNREADABLE;
	}
	if (mmt_fuzz_reproduce(data, size, o->tasks, o->inject, &p, &r)) {
		free(data);
		return rep->verdict = MMT_TRIAGE_NOMEM;
	}
	free(data);
	if (r.status != EXEC_VIOLATION) {
		t->unrepro++;
		snprintf(rep->why, sizeof(rep->why), "%s",
			 r.status == EXEC_PASS ? "it passes" : r.msg);
		v = MMT_TRIAGE_UNREPRODUCIBLE;
		goto out;
	}
	mmt_signature(&p, &r, rep->sig, sizeof(rep->sig));
	if (o->inject && !passes_clean(&p)) {
		t->unattributed++;
		if (o->attribute) {
			v = MMT_TRIAGE_UNATTRIBUTED;
			goto out;
		}
	}
	if (mmt_triage_known(t, rep->sig)) {
		t->dups++;
		v = MMT_TRIAGE_DUPLICATE;
		goto out;
	}
	/* minimize a copy; keep the unminimized program if that fails */
	if (mmt_program_copy(&q, &p)) {
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
		return rep->verdict = MMT_TRIAGE_NOMEM;
	}
	if (mmt_minimize(&q, &mo, &m, &res)) {
		mmt_program_copy(&m, &q);
		snprintf(res.sig, sizeof(res.sig), "%s", rep->sig);
		res.ops_before = res.ops_after = q.nr_ops;
		res.sched_before = res.sched_after = q.nr_schedule;
		res.switches_before = res.switches_after = mmt_schedule_switches(&q);
	}
	mmt_program_free(&q);
	sig_to_name(rep->sig, fsig, sizeof(fsig));
	snprintf(dir, sizeof(dir), "%s/findings", t->dir);
	mmt_mkdirs(dir);
	snprintf(rep->path, sizeof(rep->path), "%s/%s.mmt", dir, fsig);
	snprintf(header, sizeof(header),
		 "# %s: %s: %s\n"
		 "# campaign signature %s\n"
		 "# found by %s after %.1fs (%s, %d task%s%s%s); minimized %zu -> %zu ops, "
		 "%u -> %u switches\n"
		 "# replay: mmtorture replay%s%s FILE\n",
		 mmt_invariant_name(r.violation.inv), r.violation.object, r.violation.msg,
		 rep->sig, engine, t_found, key, o->tasks, o->tasks == 1 ? "" : "s",
		 o->inject_name ? ", inject " : "", o->inject_name ? o->inject_name : "",
		 res.ops_before, res.ops_after, res.switches_before, res.switches_after,
		 o->inject_name ? " --inject " : "", o->inject_name ? o->inject_name : "");
	if (mmt_write_finding(rep->path, header, &m)) {
		snprintf(rep->why, sizeof(rep->why), "%s", strerror(errno));
		mmt_program_free(&m);
		v = MMT_TRIAGE_WRITE_ERROR;
		goto out;
	}
	mmt_program_free(&m);
	if (t->nfound < MMT_TRIAGE_MAX_FINDINGS) {
		struct mmt_finding *fd = &t->found[t->nfound++];

		snprintf(fd->sig, sizeof(fd->sig), "%s", rep->sig);
		snprintf(fd->path, sizeof(fd->path), "%s", rep->path);
		snprintf(fd->engine, sizeof(fd->engine), "%s", engine);
		fd->t = t_found;
	}
	t->nnew++;
	v = MMT_TRIAGE_NEW;
out:
	mmt_triage_mark_seen(t, key);
	mmt_exec_result_free(&r);
	mmt_program_free(&p);
	return rep->verdict = v;
}
