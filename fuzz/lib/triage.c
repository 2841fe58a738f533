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

const char *mmt_finding_kind_name(enum mmt_finding_kind kind)
{
	return kind == MMT_FINDING_CLEAN ? "clean-model" : "injected";
}

bool mmt_triage_known(const struct mmt_triage *t, const char *sig)
{
	for (int i = 0; i < t->nfound; i++)
		if (!strcmp(t->found[i].sig, sig))
			return true;
	return false;
}

static int find(const struct mmt_triage *t, const char *sig, enum mmt_finding_kind kind)
{
	for (int i = 0; i < t->nfound; i++)
		if (t->found[i].kind == kind && !strcmp(t->found[i].sig, sig))
			return i;
	return -1;
}

static int find_observed(const struct mmt_triage *t, const char *obs, bool clean)
{
	for (size_t i = 0; i < t->nobs; i++)
		if (t->obs[i].clean == clean && !strcmp(t->obs[i].sig, obs))
			return t->obs[i].finding;
	return -1;
}

static void add_observed(struct mmt_triage *t, const char *obs, bool clean, int finding)
{
	struct mmt_observed *o;

	if (!obs[0] || t->nobs >= MMT_TRIAGE_MAX_OBSERVED || find_observed(t, obs, clean) >= 0)
		return;
	o = &t->obs[t->nobs++];
	snprintf(o->sig, sizeof(o->sig), "%s", obs);
	o->clean = clean;
	o->finding = finding;
}

/* "EXCLUSIVE/check/folio.c:161/fork+migrate" -> "EXCLUSIVE-check-folio.c:161-fork+migrate" */
static void sig_to_name(const char *sig, char *out, size_t len)
{
	snprintf(out, len, "%s", sig);
	for (char *s = out; *s; s++)
		if (*s == '/' || *s == ' ')
			*s = '-';
}

/* the campaign's header lines of a finding or an example, as written */
struct header_info {
	char sig[MMT_SIG_MAX], obs[MMT_SIG_MAX], example_of[MMT_SIG_MAX];
	int kind;		/* -1: no kind line (written before there were kinds) */
};

static bool read_header(const char *path, struct header_info *h)
{
	char line[512], kind[32];
	FILE *f = fopen(path, "r");

	memset(h, 0, sizeof(*h));
	h->kind = -1;
	if (!f)
		return false;
	/* the header is the comment block at the top */
	while (fgets(line, sizeof(line), f) && (line[0] == '#' || !strncmp(line, "mmt ", 4))) {
		if (sscanf(line, "# campaign signature %127s", h->sig) == 1)
			continue;
		if (sscanf(line, "# campaign observed %127s", h->obs) == 1)
			continue;
		if (sscanf(line, "# campaign example of %127s", h->example_of) == 1)
			continue;
		if (sscanf(line, "# campaign kind %31s", kind) == 1)
			h->kind = strcmp(kind, "clean-model") ? MMT_FINDING_INJECTED :
								MMT_FINDING_CLEAN;
	}
	fclose(f);
	return true;
}

static bool is_mmt_name(const char *name)
{
	size_t n = strlen(name);

	/* a .tmp. file is a write that never finished */
	return n >= 5 && !strcmp(name + n - 4, ".mmt") && !strstr(name, ".tmp.");
}

/* the examples of finding @i on disk (DIR/findings/NAME.examples/) */
static void load_examples(struct mmt_triage *t, int i)
{
	char path[PATH_MAX + 300];
	const char *base = strrchr(t->found[i].path, '/');
	struct dirent *de;
	DIR *d;

	base = base ? base + 1 : t->found[i].path;
	snprintf(path, sizeof(path), "%s/findings/%.*s.examples", t->dir,
		 (int)(strlen(base) - 4), base);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char file[PATH_MAX + 600];
		struct header_info h;

		if (!is_mmt_name(de->d_name))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		if (!read_header(file, &h) || strcmp(h.example_of, t->found[i].sig))
			continue;
		t->found[i].examples++;
		add_observed(t, h.obs, t->found[i].kind == MMT_FINDING_CLEAN, i);
	}
	closedir(d);
}

/* the findings already in DIR/findings and their examples (a resumed campaign) */
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
		struct mmt_finding *fd;
		struct header_info h;
		enum mmt_finding_kind kind;

		if (!is_mmt_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/findings/%s", t->dir, de->d_name);
		if (!read_header(path, &h) || !h.sig[0])
			continue;
		kind = h.kind >= 0 ? (enum mmt_finding_kind)h.kind :
		       t->o.inject ? MMT_FINDING_INJECTED : MMT_FINDING_CLEAN;
		if (find(t, h.sig, kind) >= 0)
			continue;
		fd = &t->found[t->nfound++];
		snprintf(fd->sig, sizeof(fd->sig), "%s", h.sig);
		snprintf(fd->path, sizeof(fd->path), "%s", path);
		snprintf(fd->engine, sizeof(fd->engine), "earlier");
		fd->t = -1;
		fd->kind = kind;
		add_observed(t, h.obs, kind == MMT_FINDING_CLEAN, t->nfound - 1);
	}
	closedir(d);
	for (int i = 0; i < t->nfound; i++)
		load_examples(t, i);
}

int mmt_triage_open(struct mmt_triage *t, const struct mmt_triage_opts *o)
{
	memset(t, 0, sizeof(*t));
	t->o = *o;
	snprintf(t->dir, sizeof(t->dir), "%s", o->dir);
	t->o.dir = t->dir;
	t->seen = calloc(MMT_TRIAGE_MAX_SEEN, sizeof(*t->seen));
	t->obs = calloc(MMT_TRIAGE_MAX_OBSERVED, sizeof(*t->obs));
	if (!t->seen || !t->obs) {
		mmt_triage_close(t);
		return -1;
	}
	load_seen(t);
	load_findings(t);
	return 0;
}

void mmt_triage_close(struct mmt_triage *t)
{
	free(t->seen);
	t->seen = NULL;
	t->nseen = 0;
	free(t->obs);
	t->obs = NULL;
	t->nobs = 0;
}

/* ------------------------------------------------------------ attribution */

/* does @p, as the engines run it (teardown, lenient), pass with the bugs off? */
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

/* a plain, strict replay of @p with @inject: what `mmtorture replay` does */
static enum mmt_exec_status replay(const struct mmt_program *p, uint64_t inject,
				   char *sig, size_t siglen, struct mmt_violation *v)
{
	struct mmt_exec_opts o;
	struct mmt_exec_result r;
	enum mmt_exec_status st;

	mmt_exec_opts_default(&o);
	o.inject = inject;
	st = mmt_exec(p, &o, &r);
	if (st == EXEC_VIOLATION) {
		if (sig)
			mmt_signature(p, &r, sig, siglen);
		if (v)
			*v = r.violation;
	}
	mmt_exec_result_free(&r);
	return st;
}

enum form_check {
	FORM_OK,		/* fails as its kind must */
	FORM_FAILS_CLEAN,	/* an injected form that fails with no bug on */
	FORM_NO_FAIL,		/* does not fail (with the bugs on, for an injected form) */
	FORM_NOMEM,
};

/*
 * Check @p as it will be written: printed, parsed back and replayed
 * strictly.  INJECTED: fails with @inject, passes without; CLEAN: fails
 * with no bug.  The failing run's signature and violation go to @a.
 */
static enum form_check check_form(const struct mmt_program *p, uint64_t inject,
				  enum mmt_finding_kind kind, struct mmt_attribution *a)
{
	struct mmt_program q;
	char *text = mmt_print_string(p);
	enum form_check ret;

	if (!text)
		return FORM_NOMEM;
	if (mmt_parse(text, strlen(text), &q, NULL)) {
		mmt_program_free(&q);
		free(text);
		return FORM_NO_FAIL;
	}
	free(text);
	if (kind == MMT_FINDING_CLEAN) {
		ret = replay(&q, 0, a->sig, sizeof(a->sig), &a->violation) == EXEC_VIOLATION ?
		      FORM_OK : FORM_NO_FAIL;
	} else if (replay(&q, inject, a->sig, sizeof(a->sig), &a->violation) != EXEC_VIOLATION) {
		ret = FORM_NO_FAIL;
	} else {
		ret = replay(&q, 0, NULL, 0, NULL) == EXEC_VIOLATION ? FORM_FAILS_CLEAN : FORM_OK;
	}
	mmt_program_free(&q);
	return ret;
}

/*
 * @p as it ran, in a form that fails on a plain replay: the engines tear
 * the world down after the last op, so if @p does not fail without that,
 * the exits and swapoffs are written out.
 */
static int unminimized_form(const struct mmt_program *p, uint64_t inject, struct mmt_program *out)
{
	if (mmt_program_copy(out, p))
		return -ENOMEM;
	if (replay(out, inject, NULL, 0, NULL) != EXEC_VIOLATION && mmt_append_teardown(out)) {
		mmt_program_free(out);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Try @p's minimized form, then its unminimized one, as a finding of
 * @kind.  1: @a holds a form that checks out; 0: none does, and
 * *fails_clean (if given) says whether one of them failed with no bug on
 * (a copy of it in @clean_form); -ENOMEM.
 */
static int settle_as(const struct mmt_program *p, uint64_t inject, enum mmt_finding_kind kind,
		     const struct mmt_min_opts *mo, struct mmt_attribution *a,
		     bool *fails_clean, struct mmt_program *clean_form)
{
	struct mmt_min_opts m = *mo;
	struct mmt_min_result res;
	struct mmt_program q;
	enum form_check fc;
	int ret;

	m.inject = kind == MMT_FINDING_CLEAN ? 0 : inject;
	m.attribute = kind == MMT_FINDING_INJECTED;
	ret = mmt_minimize(p, &m, &q, &res);
	if (ret == -ENOMEM)
		return ret;
	if (!ret) {
		fc = check_form(&q, inject, kind, a);
		if (fc == FORM_OK) {
			a->kind = kind;
			a->prog = q;
			a->minimized = true;
			a->ops_before = res.ops_before;
			a->ops_after = res.ops_after;
			a->switches_before = res.switches_before;
			a->switches_after = res.switches_after;
			return 1;
		}
		if (fc == FORM_FAILS_CLEAN && fails_clean && !*fails_clean) {
			*fails_clean = true;
			*clean_form = q;
			mmt_program_init(&q);
		}
		mmt_program_free(&q);
		if (fc == FORM_NOMEM)
			return -ENOMEM;
		snprintf(a->note, sizeof(a->note), "its minimized form %s",
			 fc == FORM_FAILS_CLEAN ? "fails without the bugs too" :
			 kind == MMT_FINDING_CLEAN ? "does not fail without the bugs" :
						     "does not fail as written");
	} else {
		snprintf(a->note, sizeof(a->note), "it does not fail on a plain replay%s",
			 kind == MMT_FINDING_CLEAN ? " without the bugs" : "");
	}
	if (unminimized_form(p, kind == MMT_FINDING_CLEAN ? 0 : inject, &q))
		return -ENOMEM;
	fc = check_form(&q, inject, kind, a);
	if (fc == FORM_OK) {
		a->kind = kind;
		a->prog = q;
		a->minimized = false;
		a->ops_before = a->ops_after = q.nr_ops;
		a->switches_before = a->switches_after = mmt_schedule_switches(&q);
		return 1;
	}
	if (fc == FORM_FAILS_CLEAN && fails_clean && !*fails_clean) {
		*fails_clean = true;
		*clean_form = q;
		mmt_program_init(&q);
	}
	mmt_program_free(&q);
	return fc == FORM_NOMEM ? -ENOMEM : 0;
}

int mmt_attribute(const struct mmt_program *p, uint64_t inject, bool clean_passes,
		  const struct mmt_min_opts *mo, struct mmt_attribution *a)
{
	struct mmt_program clean_form;
	const struct mmt_program *from = p;
	bool fails_clean = false;
	char note[sizeof(a->note)] = "";
	int ret;

	memset(a, 0, sizeof(*a));
	mmt_program_init(&a->prog);
	mmt_program_init(&clean_form);
	if (inject && clean_passes) {
		ret = settle_as(p, inject, MMT_FINDING_INJECTED, mo, a, &fails_clean, &clean_form);
		if (ret)
			return ret < 0 ? ret : 0;
		if (!fails_clean)
			return -1;
		/* a written form fails with no bug on: the model's, from that form */
		snprintf(note, sizeof(note), "%s", a->note);
		from = &clean_form;
	}
	ret = settle_as(from, inject, MMT_FINDING_CLEAN, mo, a, NULL, NULL);
	mmt_program_free(&clean_form);
	if (ret < 0)
		return ret;
	if (note[0])	/* why it is not the injected bug's comes first */
		snprintf(a->note, sizeof(a->note), "%s", note);
	return ret ? 0 : -1;
}

void mmt_attribution_free(struct mmt_attribution *a)
{
	mmt_program_free(&a->prog);
}

int mmt_check_finding(const char *path, uint64_t inject, enum mmt_finding_kind kind,
		      char *sig, size_t siglen, char *why, size_t whylen)
{
	struct mmt_parse_error err;
	struct mmt_program p;
	enum mmt_exec_status st;
	int ret = -1;

	if (mmt_parse_file(path, &p, &err)) {
		snprintf(why, whylen, "%s:%u:%u: %s", path, err.line, err.col, err.msg);
		mmt_program_free(&p);
		return -1;
	}
	st = replay(&p, kind == MMT_FINDING_CLEAN ? 0 : inject, sig, siglen, NULL);
	if (st != EXEC_VIOLATION)
		snprintf(why, whylen, "it does not fail%s", kind == MMT_FINDING_CLEAN ?
			 " without the bugs" : " with the bugs");
	else if (kind == MMT_FINDING_INJECTED && replay(&p, 0, NULL, 0, NULL) != EXEC_PASS)
		snprintf(why, whylen, "it does not pass without the bugs");
	else
		ret = 0;
	mmt_program_free(&p);
	return ret;
}

/* ------------------------------------------------------------ triage */

static void inject_words(const struct mmt_triage_opts *o, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", o->inject_name ? " --inject " : "",
		 o->inject_name ? o->inject_name : "");
}

/* DIR/findings/NAME.examples/OBS.mmt: @p as the engine ran it, for the record */
static void write_example(struct mmt_triage *t, int i, const struct mmt_program *p,
			  const struct mmt_exec_result *r, const char *observed,
			  const char *key, const char *engine, double t_found)
{
	const struct mmt_finding *fd = &t->found[i];
	const char *base = strrchr(fd->path, '/');
	char dir[PATH_MAX + 300], path[PATH_MAX + 500], name[MMT_SIG_MAX], inj[160],
	     header[2048];
	struct mmt_program q;

	base = base ? base + 1 : fd->path;
	snprintf(dir, sizeof(dir), "%s/findings/%.*s.examples", t->dir, (int)(strlen(base) - 4),
		 base);
	if (mmt_mkdirs(dir) ||
	    unminimized_form(p, fd->kind == MMT_FINDING_CLEAN ? 0 : t->o.inject, &q))
		return;
	sig_to_name(observed, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s.mmt", dir, name);
	inject_words(&t->o, inj, sizeof(inj));
	snprintf(header, sizeof(header),
		 "# %s: %s: %s\n"
		 "# an example of %s (%s): the same root cause, shown by another op\n"
		 "# campaign example of %s\n"
		 "# campaign observed %s\n"
		 "# found by %s after %.1fs (%s), not minimized\n"
		 "# replay: mmtorture replay%s FILE\n",
		 mmt_invariant_name(r->violation.inv), r->violation.object, r->violation.msg,
		 fd->sig, base, fd->sig, observed, engine, t_found, key,
		 fd->kind == MMT_FINDING_CLEAN ? "" : inj);
	mmt_write_finding(path, header, &q);
	mmt_program_free(&q);
}

enum mmt_triage_verdict mmt_triage_crash(struct mmt_triage *t, const char *path,
					 const char *key, const char *engine, double t_found,
					 struct mmt_triage_report *rep)
{
	const struct mmt_triage_opts *o = &t->o;
	struct mmt_exec_result r;
	struct mmt_program p;
	struct mmt_min_opts mo = { .max_runs = o->max_runs };
	struct mmt_attribution a;
	char fsig[MMT_SIG_MAX], dir[PATH_MAX + 32], inj[160], header[4096], why[256];
	enum mmt_triage_verdict v;
	bool fails_clean;
	uint8_t *data;
	size_t size;
	int i, ret;

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
	mmt_program_init(&a.prog);
	if (r.status != EXEC_VIOLATION) {
		t->unrepro++;
		snprintf(rep->why, sizeof(rep->why), "%s",
			 r.status == EXEC_PASS ? "it passes" : r.msg);
		v = MMT_TRIAGE_UNREPRODUCIBLE;
		goto out;
	}
	mmt_signature_observed(&p, &r, rep->observed, sizeof(rep->observed));
	fails_clean = !o->inject || !passes_clean(&p);
	if (o->inject && fails_clean) {
		t->unattributed++;
		if (o->attribute) {
			v = MMT_TRIAGE_UNATTRIBUTED;
			goto out;
		}
	}
	/* an observation settled before: the same root cause, no need to minimize */
	i = find_observed(t, rep->observed, fails_clean);
	if (i >= 0)
		goto example;

	ret = mmt_attribute(&p, o->inject, !fails_clean, &mo, &a);
	if (ret == -ENOMEM) {
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
		return rep->verdict = MMT_TRIAGE_NOMEM;
	}
	if (ret) {
		t->unrepro++;
		snprintf(rep->why, sizeof(rep->why), "no written form of it fails (%s)", a.note);
		v = MMT_TRIAGE_UNREPRODUCIBLE;
		goto out;
	}
	if (o->inject && a.kind == MMT_FINDING_CLEAN && !fails_clean) {
		t->unattributed++;	/* it took writing it down to see */
		if (o->attribute) {
			v = MMT_TRIAGE_UNATTRIBUTED;
			goto out;
		}
	}
	i = find(t, a.sig, a.kind);
	if (i >= 0) {
		add_observed(t, rep->observed, fails_clean, i);
		write_example(t, i, &p, &r, rep->observed, key, engine, t_found);
		goto example;
	}

	/* a new finding */
	rep->kind = a.kind;
	snprintf(rep->sig, sizeof(rep->sig), "%s", a.sig);
	sig_to_name(a.sig, fsig, sizeof(fsig));
	snprintf(dir, sizeof(dir), "%s/findings", t->dir);
	mmt_mkdirs(dir);
	/* under an injected bug a clean-model finding says so in its name */
	snprintf(rep->path, sizeof(rep->path), "%s/%s%s.mmt", dir,
		 o->inject && a.kind == MMT_FINDING_CLEAN ? "clean-" : "", fsig);
	inject_words(o, inj, sizeof(inj));
	{
		int n = snprintf(header, sizeof(header),
			 "# %s: %s: %s\n"
			 "# campaign signature %s\n"
			 "# campaign kind %s\n"
			 "# campaign observed %s\n",
			 mmt_invariant_name(a.violation.inv), a.violation.object, a.violation.msg,
			 a.sig, mmt_finding_kind_name(a.kind), rep->observed);

		if (t->wall0 > 0)
			n += snprintf(header + n, sizeof(header) - n,
				      "# campaign found-at %.3f\n", t->wall0 + t_found);
		if (a.kind == MMT_FINDING_CLEAN && o->inject)
			n += snprintf(header + n, sizeof(header) - n,
				      "# fails without any bug injected: a bug of the model "
				      "itself, not of %s%s%s\n",
				      o->inject_name ? o->inject_name : "the bugs injected",
				      a.note[0] ? "; " : "", a.note);
		else if (!a.minimized)
			n += snprintf(header + n, sizeof(header) - n,
				      "# not minimized: %s\n", a.note);
		n += snprintf(header + n, sizeof(header) - n,
			 "# found by %s after %.1fs (%s, %d task%s%s%s); minimized %zu -> %zu ops, "
			 "%u -> %u switches\n",
			 engine, t_found, key, o->tasks, o->tasks == 1 ? "" : "s",
			 o->inject_name ? ", inject " : "", o->inject_name ? o->inject_name : "",
			 a.ops_before, a.ops_after, a.switches_before, a.switches_after);
		if (a.kind == MMT_FINDING_INJECTED)
			n += snprintf(header + n, sizeof(header) - n,
				      "# fails with%s and passes without, as written here\n", inj);
		snprintf(header + n, sizeof(header) - n, "# replay: mmtorture replay%s FILE\n",
			 a.kind == MMT_FINDING_CLEAN ? "" : inj);
	}
	if (mmt_write_finding(rep->path, header, &a.prog)) {
		snprintf(rep->why, sizeof(rep->why), "%s", strerror(errno));
		v = MMT_TRIAGE_WRITE_ERROR;
		goto out;
	}
	/* what is on disk is what counts: read it back and replay it both ways */
	if (mmt_check_finding(rep->path, o->inject, a.kind, fsig, sizeof(fsig), why,
			      sizeof(why)) || strcmp(fsig, a.sig)) {
		snprintf(rep->why, sizeof(rep->why), "the file written does not replay: %s",
			 strcmp(fsig, a.sig) ? "another signature" : why);
		unlink(rep->path);
		v = MMT_TRIAGE_WRITE_ERROR;
		goto out;
	}
	if (t->nfound < MMT_TRIAGE_MAX_FINDINGS) {
		struct mmt_finding *fd = &t->found[t->nfound++];

		snprintf(fd->sig, sizeof(fd->sig), "%s", a.sig);
		snprintf(fd->path, sizeof(fd->path), "%s", rep->path);
		snprintf(fd->engine, sizeof(fd->engine), "%s", engine);
		fd->t = t_found;
		fd->kind = a.kind;
		fd->examples = 0;
		add_observed(t, rep->observed, fails_clean, t->nfound - 1);
	}
	t->nnew++;
	if (a.kind == MMT_FINDING_CLEAN)
		t->nnew_clean++;
	v = MMT_TRIAGE_NEW;
	goto out;

example:
	t->found[i].examples++;
	t->dups++;
	rep->kind = t->found[i].kind;
	snprintf(rep->sig, sizeof(rep->sig), "%s", t->found[i].sig);
	snprintf(rep->path, sizeof(rep->path), "%s", t->found[i].path);
	v = MMT_TRIAGE_DUPLICATE;
out:
	mmt_triage_mark_seen(t, key);
	mmt_attribution_free(&a);
	mmt_exec_result_free(&r);
	mmt_program_free(&p);
	return rep->verdict = v;
}
