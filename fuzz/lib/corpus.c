// SPDX-License-Identifier: MIT
/*
 * corpus.c - minimizing, checking and merging campaign directories
 * (corpus.h).  No locks: a campaign directory is changed here only by
 * atomic renames, never while a campaign runs in it (the commands say so).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmt/campaign.h"
#include "mmt/corpus.h"
#include "mmt/exec.h"
#include "mmt/fsutil.h"
#include "mmt/fuzzrun.h"
#include "mmt/inject.h"
#include "mmt/mmdebug.h"
#include "mmt/triage.h"

#define say(log, ...)	do { if (log) fprintf(log, __VA_ARGS__); } while (0)

/* ------------------------------------------------------------ settings */

void mmt_campaign_settings_read(const char *dir, struct mmt_campaign_settings *s)
{
	char path[PATH_MAX + 32], *p;
	uint8_t *data;
	size_t len;
	char bad[64];

	memset(s, 0, sizeof(*s));
	s->tasks = 1;
	s->afl_tasks = 1;
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	if (mmt_read_file(path, &data, &len))
		return;
	p = realloc(data, len + 1);
	if (!p) {
		free(data);
		return;
	}
	p[len] = 0;
	{
		char *t = strstr(p, "\"tasks\": "), *i = strstr(p, "\"inject\": \"");
		char *at = strstr(p, "\"afl_tasks\": ");

		if (t) {
			int n = atoi(t + 9);

			s->tasks = n >= 1 && n <= MMT_MAX_TASKS ? n : 1;
		}
		s->afl_tasks = s->tasks;
		if (at) {
			int n = atoi(at + 13);

			if (n >= 1 && n <= MMT_MAX_TASKS)
				s->afl_tasks = n;
		}
		if (i)
			snprintf(s->inject, sizeof(s->inject), "%.*s", (int)strcspn(i + 11, "\""),
				 i + 11);
	}
	free(p);
	if (s->inject[0] && mmt_inject_parse(s->inject, &s->inject_mask, bad, sizeof(bad)))
		s->inject[0] = 0, s->inject_mask = 0;
}

/* --------------------------------------------------------------- files */

static bool plain_name(const char *name)
{
	return name[0] != '.' && !strstr(name, ".tmp.");
}

static unsigned count_files(const char *dir)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	struct stat st;
	unsigned n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (plain_name(de->d_name) && !stat(path, &st) && S_ISREG(st.st_mode))
			n++;
	}
	closedir(d);
	return n;
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static int copy_file(const char *from, const char *to)
{
	uint8_t *data;
	size_t len;
	int ret;

	if (mmt_read_file(from, &data, &len))
		return -1;
	ret = mmt_write_atomic(to, data, len);
	free(data);
	return ret;
}

/*
 * Run @argv with the harness environment of @s, output appended to
 * @logpath.  The exit status, or -1 if it could not run.
 */
static int run_tool(char *const argv[], const struct mmt_campaign_settings *s,
		    const char *logpath)
{
	char tasks[16];
	pid_t pid;
	int st;

	snprintf(tasks, sizeof(tasks), "%d", s->tasks);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("MMT_FUZZ_TASKS", tasks, 1);
		setenv("MMT_INJECT", s->inject, 1);
		unsetenv("MMT_FUZZ_ATTRIBUTE");
		setenv("AFL_NO_UI", "1", 1);
		setenv("AFL_SKIP_CPUFREQ", "1", 1);
		setenv("AFL_QUIET", "1", 1);
		/*
		 * afl-cmin refuses dirs under /tmp (other users' symlinks); its
		 * dirs here are the campaign's, made fresh by this process
		 */
		setenv("AFL_ALLOW_TMP", "1", 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ----------------------------------------------------------- minimize */

/*
 * Replace directory @cur by @min: @cur -> @old, @min -> @cur, remove @old.
 * Killed between the renames, @old is there and @cur is not; restore_swap
 * puts it back.
 */
static int swap_in(const char *cur, const char *min, const char *old)
{
	if (rename(cur, old))
		return -1;
	if (rename(min, cur)) {
		rename(old, cur);
		return -1;
	}
	mmt_remove_tree(old);
	return 0;
}

static void restore_swap(const char *cur, const char *min, const char *old)
{
	if (!exists(cur) && exists(old))
		rename(old, cur);
	mmt_remove_tree(old);
	mmt_remove_tree(min);
}

static int minimize_libfuzzer(const char *dir, const char *libfuzzer,
			      const struct mmt_campaign_settings *s, const char *logpath,
			      FILE *log, struct mmt_corpus_min_result *res)
{
	char cur[PATH_MAX + 32], min[PATH_MAX + 48], old[PATH_MAX + 48], lenarg[32];
	char *argv[8];
	int rc;

	snprintf(cur, sizeof(cur), "%s/corpus/libfuzzer", dir);
	snprintf(min, sizeof(min), "%s.min", cur);
	snprintf(old, sizeof(old), "%s.old", cur);
	restore_swap(cur, min, old);
	res->lf_before = count_files(cur);
	if (!res->lf_before)
		return 0;
	if (mmt_mkdirs(min))
		return -1;
	snprintf(lenarg, sizeof(lenarg), "-max_len=%d", MMT_CAMPAIGN_MAX_LEN);
	argv[0] = (char *)libfuzzer;
	argv[1] = "-merge=1";
	argv[2] = lenarg;
	argv[3] = min;
	argv[4] = cur;
	argv[5] = NULL;
	rc = run_tool(argv, s, logpath);
	if (rc) {
		say(log, "corpus: %s -merge=1 exited %d (see %s)\n", libfuzzer, rc, logpath);
		mmt_remove_tree(min);
		return -1;
	}
	res->lf_after = count_files(min);
	if (swap_in(cur, min, old))
		return -1;
	say(log, "corpus: %s: %u -> %u inputs (libFuzzer -merge=1)\n", cur, res->lf_before,
	    res->lf_after);
	return 0;
}

/* every instance's queue in DIR/afl, copied flat into @to; the number of files */
static unsigned gather_queues(const char *dir, const char *to)
{
	char path[PATH_MAX + 300], q[PATH_MAX + 600], f[PATH_MAX + 900], g[PATH_MAX + 900];
	struct dirent *de, *qe;
	unsigned n = 0;
	DIR *d, *qd;

	snprintf(path, sizeof(path), "%s/afl", dir);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(q, sizeof(q), "%s/%s/queue", path, de->d_name);
		qd = opendir(q);
		if (!qd)
			continue;
		while ((qe = readdir(qd))) {
			struct stat st;

			snprintf(f, sizeof(f), "%s/%s", q, qe->d_name);
			if (!plain_name(qe->d_name) || stat(f, &st) || !S_ISREG(st.st_mode))
				continue;
			snprintf(g, sizeof(g), "%s/%s_%u", to, de->d_name, n);
			if (!copy_file(f, g))
				n++;
		}
		closedir(qd);
	}
	closedir(d);
	return n;
}

static int minimize_afl(const char *dir, const char *afl, const struct mmt_campaign_settings *s,
			const char *logpath, FILE *log, struct mmt_corpus_min_result *res)
{
	char cur[PATH_MAX + 32], min[PATH_MAX + 48], old[PATH_MAX + 48], in[PATH_MAX + 48];
	struct mmt_campaign_settings afl_s;
	char *argv[10];
	int rc;

	snprintf(cur, sizeof(cur), "%s/corpus/afl", dir);
	snprintf(min, sizeof(min), "%s.min", cur);
	snprintf(old, sizeof(old), "%s.old", cur);
	snprintf(in, sizeof(in), "%s.in", cur);
	restore_swap(cur, min, old);
	mmt_remove_tree(in);
	if (mmt_mkdirs(in))
		return -1;
	res->afl_before = gather_queues(dir, in);
	if (!res->afl_before) {
		mmt_remove_tree(in);
		return 0;
	}
	argv[0] = "afl-cmin";
	argv[1] = "-i";
	argv[2] = in;
	argv[3] = "-o";
	argv[4] = min;
	argv[5] = "--";
	argv[6] = (char *)afl;
	argv[7] = NULL;
	afl_s = *s;
	afl_s.tasks = s->afl_tasks;	/* the queues decode as AFL++'s harness ran them */
	rc = run_tool(argv, &afl_s, logpath);
	mmt_remove_tree(in);
	if (rc || !exists(min)) {
		say(log, "corpus: afl-cmin exited %d (see %s)\n", rc, logpath);
		mmt_remove_tree(min);
		return -1;
	}
	res->afl_after = count_files(min);
	if (exists(cur) ? swap_in(cur, min, old) : rename(min, cur))
		return -1;
	say(log, "corpus: %s: %u queue entries -> %u inputs (afl-cmin)\n", cur, res->afl_before,
	    res->afl_after);
	return 0;
}

int mmt_corpus_minimize(const char *dir, const char *libfuzzer, const char *afl,
			const struct mmt_campaign_settings *s, FILE *log,
			struct mmt_corpus_min_result *res)
{
	char logpath[PATH_MAX + 48];
	int ret = 0;

	memset(res, 0, sizeof(*res));
	snprintf(logpath, sizeof(logpath), "%s/logs", dir);
	mmt_mkdirs(logpath);
	snprintf(logpath, sizeof(logpath), "%s/logs/corpus-minimize.log", dir);
	if (libfuzzer && *libfuzzer && minimize_libfuzzer(dir, libfuzzer, s, logpath, log, res))
		ret = -1;
	if (afl && *afl && minimize_afl(dir, afl, s, logpath, log, res))
		ret = -1;
	return ret;
}

/* -------------------------------------------------------------- check */

/* a finding's header lines (triage.h): signature, kind, the bugs its replay line names */
struct finding_meta {
	char sig[MMT_SIG_MAX];
	bool clean;
	char inject[256];
};

static bool read_meta(const char *path, struct finding_meta *m)
{
	char line[1024], kind[32];
	FILE *f = fopen(path, "r");

	memset(m, 0, sizeof(*m));
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f) && (line[0] == '#' || !strncmp(line, "mmt ", 4))) {
		if (sscanf(line, "# campaign signature %127s", m->sig) == 1)
			continue;
		if (sscanf(line, "# campaign kind %31s", kind) == 1)
			m->clean = !strcmp(kind, "clean-model");
		else
			sscanf(line, "# replay: mmtorture replay --inject %255s", m->inject);
	}
	fclose(f);
	/* a finding written without bugs injected is the model's own */
	if (!m->inject[0])
		m->clean = true;
	return m->sig[0] != 0;
}

static void check_inputs(const char *dir, const struct mmt_campaign_settings *s, FILE *log,
			 struct mmt_corpus_check_result *res)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX + 300];
		struct mmt_exec_result r;
		struct mmt_program p;
		struct stat st;
		uint8_t *data;
		size_t size;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!plain_name(de->d_name) || stat(path, &st) || !S_ISREG(st.st_mode) ||
		    mmt_read_file(path, &data, &size))
			continue;
		res->inputs++;
		if (mmt_fuzz_reproduce(data, size, s->tasks, 0, &p, &r)) {
			free(data);
			continue;
		}
		free(data);
		if (r.status == EXEC_VIOLATION) {
			res->input_violations++;
			say(log, "corpus: VIOLATION on the clean model: %s: %s: %s: %s\n", path,
			    mmt_invariant_name(r.violation.inv), r.violation.object, r.violation.msg);
		}
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
	}
	closedir(d);
}

static void check_findings(const char *dir, FILE *log, struct mmt_corpus_check_result *res)
{
	char fdir[PATH_MAX + 32];
	struct dirent *de;
	DIR *d;

	snprintf(fdir, sizeof(fdir), "%s/findings", dir);
	d = opendir(fdir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX + 300], sig[MMT_SIG_MAX], why[256], bad[64];
		struct finding_meta m;
		uint64_t mask = 0;
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 4, ".mmt") || !plain_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", fdir, de->d_name);
		if (!read_meta(path, &m))
			continue;
		res->findings++;
		if (!m.clean && mmt_inject_parse(m.inject, &mask, bad, sizeof(bad))) {
			res->findings_lost++;
			say(log, "corpus: LOST %s: its bug '%s' is no longer in the zoo\n", path, bad);
			continue;
		}
		if (m.clean) {
			/* a model bug: it should have been fixed */
			if (!mmt_check_finding(path, 0, MMT_FINDING_CLEAN, sig, sizeof(sig), why,
					       sizeof(why))) {
				res->clean_failing++;
				say(log, "corpus: MODEL BUG %s still fails with no bug injected (%s)\n",
				    path, sig);
			} else {
				res->clean_fixed++;
				say(log, "corpus: fixed: %s passes now\n", path);
			}
			continue;
		}
		if (mmt_check_finding(path, mask, MMT_FINDING_INJECTED, sig, sizeof(sig), why,
				      sizeof(why))) {
			res->findings_lost++;
			say(log, "corpus: LOST %s (--inject %s): %s\n", path, m.inject, why);
			continue;
		}
		res->findings_ok++;
		if (strcmp(sig, m.sig)) {
			res->sig_changed++;
			say(log, "corpus: note: %s now signs %s (was %s)\n", path, sig, m.sig);
		}
	}
	closedir(d);
}

int mmt_corpus_check(const char *dir, const struct mmt_campaign_settings *s, FILE *log,
		     struct mmt_corpus_check_result *res)
{
	struct mmt_campaign_settings afl_s;
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	memset(res, 0, sizeof(*res));
	if (!exists(dir))
		return -1;
	/* DIR/corpus/ * and the AFL++ queues */
	afl_s = *s;
	afl_s.tasks = s->afl_tasks;
	snprintf(path, sizeof(path), "%s/corpus", dir);
	d = opendir(path);
	if (d) {
		while ((de = readdir(d))) {
			char sub[PATH_MAX + 600];

			if (!plain_name(de->d_name))
				continue;
			snprintf(sub, sizeof(sub), "%s/corpus/%s", dir, de->d_name);
			/* corpus/afl is afl-cmin's: AFL++'s inputs */
			check_inputs(sub, strcmp(de->d_name, "afl") ? s : &afl_s, log, res);
		}
		closedir(d);
	}
	snprintf(path, sizeof(path), "%s/afl", dir);
	d = opendir(path);
	if (d) {
		while ((de = readdir(d))) {
			char q[PATH_MAX + 600];

			if (de->d_name[0] == '.')
				continue;
			snprintf(q, sizeof(q), "%s/afl/%s/queue", dir, de->d_name);
			check_inputs(q, &afl_s, log, res);
		}
		closedir(d);
	}
	check_findings(dir, log, res);
	say(log, "corpus: %u inputs replayed, %u violation%s; %u findings: %u reproduce, "
	    "%u lost, %u clean-model still failing, %u fixed\n", res->inputs,
	    res->input_violations, res->input_violations == 1 ? "" : "s", res->findings,
	    res->findings_ok, res->findings_lost, res->clean_failing, res->clean_fixed);
	return res->input_violations || res->findings_lost || res->clean_failing ? 1 : 0;
}

/* -------------------------------------------------------------- merge */

/* the examples of finding NAME.mmt: those @into lacks, copied from @from */
static unsigned merge_examples(const char *into, const char *from, const char *name)
{
	char src[PATH_MAX + 300], dst[PATH_MAX + 300];
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	snprintf(src, sizeof(src), "%s/findings/%.*s.examples", from, (int)(strlen(name) - 4),
		 name);
	snprintf(dst, sizeof(dst), "%s/findings/%.*s.examples", into, (int)(strlen(name) - 4),
		 name);
	d = opendir(src);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char f[PATH_MAX + 600], g[PATH_MAX + 600];

		if (!plain_name(de->d_name))
			continue;
		snprintf(f, sizeof(f), "%s/%s", src, de->d_name);
		snprintf(g, sizeof(g), "%s/%s", dst, de->d_name);
		if (exists(g) || mmt_mkdirs(dst))
			continue;
		if (!copy_file(f, g))
			n++;
	}
	closedir(d);
	return n;
}

static int merge_findings(const char *into, const char *from, FILE *log,
			  struct mmt_merge_result *res)
{
	char fdir[PATH_MAX + 32], idir[PATH_MAX + 32];
	struct mmt_triage_opts to = { .dir = into, .tasks = 1 };
	struct mmt_triage *t;
	struct dirent *de;
	int ret = 0;
	DIR *d;

	snprintf(fdir, sizeof(fdir), "%s/findings", from);
	snprintf(idir, sizeof(idir), "%s/findings", into);
	d = opendir(fdir);
	if (!d)
		return 0;
	t = malloc(sizeof(*t));
	if (!t || mmt_triage_open(t, &to)) {
		free(t);
		closedir(d);
		errno = ENOMEM;
		return -1;
	}
	while ((de = readdir(d))) {
		char src[PATH_MAX + 300], dst[PATH_MAX + 300], sig[MMT_SIG_MAX], why[256], bad[64];
		struct finding_meta m;
		uint64_t mask = 0;
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 4, ".mmt") || !plain_name(de->d_name))
			continue;
		snprintf(src, sizeof(src), "%s/%s", fdir, de->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", idir, de->d_name);
		if (!read_meta(src, &m))
			continue;
		if (mmt_triage_known(t, m.sig) || exists(dst)) {
			res->known++;
			res->examples += merge_examples(into, from, de->d_name);
			continue;
		}
		if ((!m.clean && mmt_inject_parse(m.inject, &mask, bad, sizeof(bad))) ||
		    mmt_check_finding(src, mask, m.clean ? MMT_FINDING_CLEAN :
				      MMT_FINDING_INJECTED, sig, sizeof(sig), why, sizeof(why))) {
			res->rejected++;
			say(log, "merge: %s not merged: it does not replay here\n", src);
			continue;
		}
		if (mmt_mkdirs(idir) || copy_file(src, dst)) {
			say(log, "merge: cannot write %s: %s\n", dst, strerror(errno));
			ret = -1;
			break;
		}
		if (t->nfound < MMT_TRIAGE_MAX_FINDINGS) {
			struct mmt_finding *fd = &t->found[t->nfound++];

			memset(fd, 0, sizeof(*fd));
			snprintf(fd->sig, sizeof(fd->sig), "%s", m.sig);
		}
		res->added++;
		res->examples += merge_examples(into, from, de->d_name);
		say(log, "merge: new finding %s -> %s\n", m.sig, dst);
	}
	closedir(d);
	mmt_triage_close(t);
	free(t);
	return ret;
}

int mmt_campaign_merge(const char *into, const char *from, const char *libfuzzer,
		       const struct mmt_campaign_settings *s, FILE *log,
		       struct mmt_merge_result *res)
{
	char cur[PATH_MAX + 32], other[PATH_MAX + 32], logpath[PATH_MAX + 32], lenarg[32];
	char *argv[8];
	int rc;

	memset(res, 0, sizeof(*res));
	if (mmt_mkdirs(into))
		return -1;
	if (merge_findings(into, from, log, res))
		return -1;
	snprintf(other, sizeof(other), "%s/corpus/libfuzzer", from);
	if (!libfuzzer || !*libfuzzer || !count_files(other))
		goto out;
	snprintf(cur, sizeof(cur), "%s/corpus/libfuzzer", into);
	snprintf(logpath, sizeof(logpath), "%s/logs", into);
	if (mmt_mkdirs(cur) || mmt_mkdirs(logpath))
		return -1;
	snprintf(logpath, sizeof(logpath), "%s/logs/merge.log", into);
	snprintf(lenarg, sizeof(lenarg), "-max_len=%d", MMT_CAMPAIGN_MAX_LEN);
	res->lf_before = count_files(cur);
	argv[0] = (char *)libfuzzer;
	argv[1] = "-merge=1";
	argv[2] = lenarg;
	argv[3] = cur;
	argv[4] = other;
	argv[5] = NULL;
	rc = run_tool(argv, s, logpath);
	res->lf_after = count_files(cur);
	if (rc)
		say(log, "merge: %s -merge=1 exited %d (see %s)\n", libfuzzer, rc, logpath);
	else
		say(log, "merge: %s: %u -> %u inputs (libFuzzer -merge=1 with %s)\n", cur,
		    res->lf_before, res->lf_after, other);
out:
	say(log, "merge: %s into %s: %u new finding%s, %u known, %u rejected, %u example%s\n",
	    from, into, res->added, res->added == 1 ? "" : "s", res->known, res->rejected,
	    res->examples, res->examples == 1 ? "" : "s");
	return 0;
}
