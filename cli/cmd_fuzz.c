// SPDX-License-Identifier: MIT
/*
 * cmd_fuzz.c - mmtorture fuzz: a fuzzing campaign, and the fuzzer engines
 * of mmtorture hunt.
 *
 *   fuzz [--engine libfuzzer|afl|both|naive|auto] [--budget SECONDS] [--jobs N]
 *        [--out DIR] [--tasks N] [--inject NAME] [--seed N] [--no-custom-mutator]
 *        [--runs N] [--corpus DIR]
 *
 * libFuzzer runs with -fork=N (crashes, ooms and timeouts do not stop it)
 * and -artifact_prefix=DIR/crashes/libfuzzer/; AFL++ runs one -M main and
 * N-1 -S instances on the shared sync dir DIR/afl, the way a campaign is
 * spread over machines (copy or mount DIR/afl elsewhere and add -S
 * instances there).  Both read the seeds converted at build time and reuse
 * their corpus in DIR when it exists (a campaign resumes from DIR).
 *
 * Every crash input is processed as soon as it appears: converted to .mmt
 * with the schedule it took, deduplicated by signature (minimize.h),
 * minimized, and written atomically to DIR/findings/SIGNATURE.mmt.
 * SIGINT/SIGTERM stop the engines, then every crash input left is still
 * processed before the summary, so no finding is lost.  DIR/processed lists
 * the crash inputs already handled, so a resumed campaign skips them.
 *
 * Progress: one updating line on a TTY, a plain line every 10 s otherwise;
 * a final summary; DIR/summary.json.  --runs N (tests) runs libFuzzer
 * without fork mode for exactly N inputs.  --corpus DIR adds an input dir.
 *
 * Exit: 0 nothing found, 1 a finding written, 2 usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mmt/check.h"
#include "mmt/exec.h"
#include "mmt/inject.h"
#include "mmt/minimize.h"

int write_finding(const char *path, const char *header, const struct mmt_program *p);
int hunt_default_tasks(uint64_t mask);

#define MAX_PROCS	32
#define MAX_SIGS	256
#define MAX_SEEN	65536

struct eproc {
	pid_t pid;
	char name[32];
	int fd;			/* its stderr (libFuzzer), or -1 */
	FILE *log;
	char line[8192];
	size_t nline;
	bool exited;
	int status;
};

struct finding {
	char sig[MMT_SIG_MAX];
	char path[PATH_MAX];
	char engine[16];
	double t;
};

struct campaign {
	/* configuration */
	bool lf, afl, custom, hunt, quiet;
	int jobs, tasks;
	double budget;
	uint64_t seed, inject;
	const char *inject_name;
	char dir[PATH_MAX];
	long runs;
	const char *extra_corpus;
	char lf_bin[PATH_MAX], afl_bin[PATH_MAX], mutator[PATH_MAX], seeds[PATH_MAX],
	     dict[PATH_MAX];

	struct eproc procs[MAX_PROCS];
	int nprocs;
	double t0;

	/* statistics */
	unsigned long long lf_execs, afl_execs;
	unsigned lf_cov, afl_edges;
	double afl_eps;
	unsigned crashes, dups, unrepro, unattributed;

	/* findings */
	struct finding found[MAX_SIGS];
	int nfound, nnew;
	char (*seen)[256];	/* crash inputs processed */
	size_t nseen;
	bool hunt_found;
	double hunt_t;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

static double elapsed(const struct campaign *c)
{
	return now() - c->t0;
}

/* ------------------------------------------------------------ engines */

static int open_log(struct campaign *c, struct eproc *e)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/logs", c->dir);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/logs/%s.log", c->dir, e->name);
	e->log = fopen(path, "a");
	return e->log ? 0 : -1;
}

/* start @argv with @env added; stderr to a pipe (@pipe_err) or to its log */
static int spawn(struct campaign *c, const char *name, char *const argv[], char *const env[],
		 bool pipe_err)
{
	struct eproc *e;
	int pfd[2] = { -1, -1 };
	pid_t pid;

	if (c->nprocs >= MAX_PROCS)
		return -1;
	e = &c->procs[c->nprocs];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->fd = -1;
	if (open_log(c, e))
		return -1;
	fprintf(e->log, "# %s:", name);
	for (int i = 0; argv[i]; i++)
		fprintf(e->log, " %s", argv[i]);
	fprintf(e->log, "\n");
	fflush(e->log);
	if (pipe_err && pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		setpgid(0, 0);	/* its own group: a ^C reaches only mmtorture */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		for (int i = 0; env[i]; i++)
			putenv(env[i]);
		dup2(devnull, 0);
		if (pipe_err) {
			dup2(pfd[1], 2);
			dup2(pfd[1], 1);
			close(pfd[0]);
			close(pfd[1]);
		} else {
			dup2(fileno(e->log), 1);
			dup2(fileno(e->log), 2);
		}
		execv(argv[0], argv);
		fprintf(stderr, "mmtorture: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	e->pid = pid;
	if (pipe_err) {
		close(pfd[1]);
		e->fd = pfd[0];
		fcntl(e->fd, F_SETFL, O_NONBLOCK);
	}
	c->nprocs++;
	return 0;
}

/*
 * Strings for the engines' command lines and environments: from a static
 * arena, so nothing is left for LeakSanitizer when the campaign ends.
 */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	static char arena[128 * 1024];
	static size_t used;
	va_list ap;
	char *s;
	int n;

	va_start(ap, f);
	n = vsnprintf(arena + used, sizeof(arena) - used, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 1 > sizeof(arena) - used) {
		fprintf(stderr, "mmtorture: fuzz: too many arguments\n");
		exit(EXIT_FAILED);
	}
	s = arena + used;
	used += (size_t)n + 1;
	return s;
}

static void common_env(struct campaign *c, char **env, int *n)
{
	env[(*n)++] = fmt("MMT_FUZZ_TASKS=%d", c->tasks);
	if (c->inject_name)
		env[(*n)++] = fmt("MMT_INJECT=%s", c->inject_name);
	else
		env[(*n)++] = fmt("MMT_INJECT=");
	env[(*n)++] = fmt("MMT_FUZZ_ATTRIBUTE=%d", c->hunt ? 1 : 0);
}

static int start_libfuzzer(struct campaign *c, int jobs)
{
	char *argv[32], *env[8];
	int a = 0, n = 0;

	mkdirs(fmt("%s/crashes/libfuzzer", c->dir));
	mkdirs(fmt("%s/corpus/libfuzzer", c->dir));
	argv[a++] = c->lf_bin;
	if (c->runs > 0) {
		argv[a++] = fmt("-runs=%ld", c->runs);
	} else {
		argv[a++] = fmt("-max_total_time=%d", (int)(c->budget + 0.999));
		if (!c->hunt || jobs > 1) {
			argv[a++] = fmt("-fork=%d", jobs);
			argv[a++] = fmt("-ignore_crashes=1");
			argv[a++] = fmt("-ignore_ooms=1");
			argv[a++] = fmt("-ignore_timeouts=1");
		}
	}
	argv[a++] = fmt("-seed=%" PRIu64, (c->seed % 4000000000u) + 1);
	argv[a++] = fmt("-artifact_prefix=%s/crashes/libfuzzer/", c->dir);
	argv[a++] = fmt("-max_len=%d", 2 + 4 * 64 + 256);
	argv[a++] = fmt("-timeout=10");
	/*
	 * Interleaving campaigns keep edges and interleaving counters as
	 * features, not their hit counts: lock and loop counts vary with every
	 * schedule, and with them the corpus fills with inputs that differ
	 * only there, burying the few race-shaped ones.  Measured (10 hunts
	 * of 60 s each, README Benchmarks): anon-vma-head-insert found 6/10
	 * this way against 3/10, the other two races 10/10 against 10/10
	 * and 9/10.
	 */
	if (c->tasks > 1)
		argv[a++] = fmt("-use_counters=0");
	argv[a++] = fmt("-print_final_stats=1");
	if (c->dict[0])
		argv[a++] = fmt("-dict=%s", c->dict);
	argv[a++] = fmt("%s/corpus/libfuzzer", c->dir);
	if (c->seeds[0])
		argv[a++] = c->seeds;
	if (c->extra_corpus)
		argv[a++] = (char *)c->extra_corpus;
	argv[a] = NULL;
	common_env(c, env, &n);
	env[n] = NULL;
	return spawn(c, "libfuzzer", argv, env, true);
}

static int start_afl(struct campaign *c, int instances)
{
	for (int i = 0; i < instances; i++) {
		char *argv[32], *env[16], name[32];
		int a = 0, n = 0;

		snprintf(name, sizeof(name), i ? "afl-s%d" : "afl-main", i);
		argv[a++] = "/usr/bin/env";	/* afl-fuzz from PATH */
		argv[a++] = "afl-fuzz";
		argv[a++] = i ? fmt("-S") : fmt("-M");
		argv[a++] = i ? fmt("s%d", i) : fmt("main");
		argv[a++] = fmt("-i");
		argv[a++] = c->extra_corpus ? (char *)c->extra_corpus : c->seeds;
		argv[a++] = fmt("-o");
		argv[a++] = fmt("%s/afl", c->dir);
		argv[a++] = fmt("-s");
		argv[a++] = fmt("%" PRIu64, (c->seed + (uint64_t)i) % 4000000000u + 1);
		argv[a++] = fmt("-V");
		argv[a++] = fmt("%d", (int)(c->budget + 0.999));
		if (c->dict[0]) {
			argv[a++] = fmt("-x");
			argv[a++] = c->dict;
		}
		argv[a++] = fmt("--");
		argv[a++] = c->afl_bin;
		argv[a] = NULL;
		common_env(c, env, &n);
		env[n++] = fmt("AFL_NO_UI=1");
		env[n++] = fmt("AFL_SKIP_CPUFREQ=1");
		env[n++] = fmt("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1");
		env[n++] = fmt("AFL_NO_AFFINITY=1");
		env[n++] = fmt("AFL_AUTORESUME=1");
		env[n++] = fmt("AFL_SKIP_CRASHES=1");
		if (c->hunt)
			env[n++] = fmt("AFL_BENCH_UNTIL_CRASH=1");
		if (c->custom && c->mutator[0])
			env[n++] = fmt("AFL_CUSTOM_MUTATOR_LIBRARY=%s", c->mutator);
		env[n] = NULL;
		if (spawn(c, name, argv, env, false))
			return -1;
	}
	return 0;
}

/* libFuzzer status: "#123 ... cov: 45 ... exec/s: 678" (fork mode: "#123: cov: ...") */
static void parse_lf_line(struct campaign *c, const char *l)
{
	const char *p;

	if (!strncmp(l, "stat::number_of_executed_units:", 31)) {
		c->lf_execs = strtoull(l + 31, NULL, 10);
		return;
	}
	if (l[0] != '#' || l[1] < '0' || l[1] > '9')
		return;
	c->lf_execs = strtoull(l + 1, NULL, 10);
	p = strstr(l, "cov: ");
	if (p)
		c->lf_cov = (unsigned)strtoul(p + 5, NULL, 10);
}

static void read_pipes(struct campaign *c, int timeout_ms)
{
	struct pollfd pfd[MAX_PROCS];
	int n = 0;

	for (int i = 0; i < c->nprocs; i++) {
		if (c->procs[i].fd >= 0) {
			pfd[n].fd = c->procs[i].fd;
			pfd[n].events = POLLIN;
			n++;
		}
	}
	if (!n) {
		usleep((useconds_t)timeout_ms * 1000);
		return;
	}
	if (poll(pfd, (nfds_t)n, timeout_ms) <= 0)
		return;
	for (int i = 0; i < c->nprocs; i++) {
		struct eproc *e = &c->procs[i];
		char buf[8192];
		ssize_t got;

		if (e->fd < 0)
			continue;
		while ((got = read(e->fd, buf, sizeof(buf))) > 0) {
			fwrite(buf, 1, (size_t)got, e->log);
			for (ssize_t k = 0; k < got; k++) {
				if (buf[k] == '\n' || buf[k] == '\r') {
					e->line[e->nline] = 0;
					parse_lf_line(c, e->line);
					e->nline = 0;
				} else if (e->nline + 1 < sizeof(e->line)) {
					e->line[e->nline++] = buf[k];
				}
			}
		}
		fflush(e->log);
		if (got == 0) {
			close(e->fd);
			e->fd = -1;
		}
	}
}

static void read_afl_stats(struct campaign *c)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	unsigned long long execs = 0;
	double eps = 0;
	unsigned edges = 0;

	snprintf(path, sizeof(path), "%s/afl", c->dir);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char line[256];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/afl/%s/fuzzer_stats", c->dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');

			if (!colon)
				continue;
			if (!strncmp(line, "execs_done", 10))
				execs += strtoull(colon + 1, NULL, 10);
			else if (!strncmp(line, "execs_per_sec", 13))
				eps += strtod(colon + 1, NULL);
			else if (!strncmp(line, "edges_found", 11)) {
				unsigned e = (unsigned)strtoul(colon + 1, NULL, 10);

				if (e > edges)
					edges = e;
			}
		}
		fclose(f);
	}
	closedir(d);
	c->afl_execs = execs;
	c->afl_eps = eps;
	c->afl_edges = edges;
}

static void reap(struct campaign *c)
{
	for (int i = 0; i < c->nprocs; i++) {
		struct eproc *e = &c->procs[i];
		int st;

		if (!e->exited && waitpid(e->pid, &st, WNOHANG) == e->pid) {
			e->exited = true;
			e->status = st;
		}
	}
}

static bool all_exited(const struct campaign *c)
{
	for (int i = 0; i < c->nprocs; i++)
		if (!c->procs[i].exited || c->procs[i].fd >= 0)
			return false;
	return true;
}

static void stop_engines(struct campaign *c)
{
	double t;

	for (int i = 0; i < c->nprocs; i++)
		if (!c->procs[i].exited)
			kill(-c->procs[i].pid, SIGTERM);
	t = now();
	while (now() - t < 10) {
		read_pipes(c, 50);
		reap(c);
		if (all_exited(c))
			break;
	}
	for (int i = 0; i < c->nprocs; i++) {
		if (!c->procs[i].exited) {
			kill(-c->procs[i].pid, SIGKILL);
			waitpid(c->procs[i].pid, &c->procs[i].status, 0);
			c->procs[i].exited = true;
		}
		if (c->procs[i].fd >= 0) {
			close(c->procs[i].fd);
			c->procs[i].fd = -1;
		}
	}
}

/* ----------------------------------------------------------- findings */

static bool seen_before(struct campaign *c, const char *name)
{
	for (size_t i = 0; i < c->nseen; i++)
		if (!strcmp(c->seen[i], name))
			return true;
	return false;
}

static void mark_seen(struct campaign *c, const char *name)
{
	char path[PATH_MAX + 32];
	FILE *f;

	if (c->nseen < MAX_SEEN)
		snprintf(c->seen[c->nseen++], sizeof(c->seen[0]), "%s", name);
	snprintf(path, sizeof(path), "%s/processed", c->dir);
	f = fopen(path, "a");
	if (f) {
		fprintf(f, "%s\n", name);
		fflush(f);
		fsync(fileno(f));
		fclose(f);
	}
}

static void load_seen(struct campaign *c)
{
	char path[PATH_MAX + 32], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/processed", c->dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && c->nseen < MAX_SEEN) {
		line[strcspn(line, "\n")] = 0;
		if (line[0])
			snprintf(c->seen[c->nseen++], sizeof(c->seen[0]), "%s", line);
	}
	fclose(f);
}

static bool have_sig(const struct campaign *c, const char *sig)
{
	for (int i = 0; i < c->nfound; i++)
		if (!strcmp(c->found[i].sig, sig))
			return true;
	return false;
}

/* signatures of findings already in DIR/findings (a resumed campaign) */
static void load_findings(struct campaign *c)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/findings", c->dir);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && c->nfound < MAX_SIGS) {
		char line[512];
		FILE *f;
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 4, ".mmt") || strstr(de->d_name, ".tmp."))
			continue;
		snprintf(path, sizeof(path), "%s/findings/%s", c->dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char sig[MMT_SIG_MAX];

			if (sscanf(line, "# campaign signature %95s", sig) == 1 && !have_sig(c, sig)) {
				struct finding *fd = &c->found[c->nfound++];

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

static void progress_clear(struct campaign *c);

static void process_crash(struct campaign *c, const char *path, const char *name,
			  const char *engine)
{
	struct mmt_exec_result r;
	struct mmt_program p, m, q;
	struct mmt_min_opts mo = { .inject = c->inject };
	struct mmt_min_result res;
	char sig[MMT_SIG_MAX], fsig[MMT_SIG_MAX], out[PATH_MAX + 400], header[4096];
	uint8_t *data;
	size_t size;
	double t = elapsed(c);

	c->crashes++;
	if (read_file(path, &data, &size)) {
		mark_seen(c, name);
		return;
	}
	if (bytes_to_program(data, size, c->tasks, c->inject, &p, &r)) {
		free(data);
		return;
	}
	free(data);
	if (r.status != EXEC_VIOLATION) {
		c->unrepro++;
		progress_clear(c);
		fprintf(stderr, "fuzz: %s: %s does not reproduce (%s)\n", engine, name,
			r.status == EXEC_PASS ? "it passes" : r.msg);
		goto out;
	}
	mmt_signature(&p, &r, sig, sizeof(sig));
	if (c->inject) {
		/* with the bugs off, does it pass?  (the hunt needs it to) */
		struct mmt_exec_opts clean;
		struct mmt_exec_result cr;

		mmt_exec_opts_default(&clean);
		clean.teardown = true;
		clean.lenient_schedule = true;
		mmt_exec(&p, &clean, &cr);
		if (cr.status != EXEC_PASS) {
			c->unattributed++;
			if (c->hunt) {
				mmt_exec_result_free(&cr);
				goto out;
			}
		}
		mmt_exec_result_free(&cr);
	}
	if (have_sig(c, sig)) {
		c->dups++;
		goto out;
	}
	/* minimize a copy; keep the unminimized program if that fails */
	if (mmt_program_copy(&q, &p))
		goto out;
	if (mmt_minimize(&q, &mo, &m, &res)) {
		mmt_program_copy(&m, &q);
		snprintf(res.sig, sizeof(res.sig), "%s", sig);
		res.ops_before = res.ops_after = q.nr_ops;
		res.sched_before = res.sched_after = q.nr_schedule;
	}
	mmt_program_free(&q);
	snprintf(fsig, sizeof(fsig), "%s", sig);
	for (char *s = fsig; *s; s++)
		if (*s == '/' || *s == ' ')
			*s = '-';
	mkdirs(fmt("%s/findings", c->dir));
	snprintf(out, sizeof(out), "%s/findings/%s.mmt", c->dir, fsig);
	snprintf(header, sizeof(header),
		 "# %s: %s: %s\n"
		 "# campaign signature %s\n"
		 "# found by %s after %.1fs (%s, %d task%s%s%s); minimized %zu -> %zu ops, "
		 "schedule %zu -> %zu\n"
		 "# replay: mmtorture replay%s%s FILE\n",
		 mmt_invariant_name(r.violation.inv), r.violation.object, r.violation.msg, sig,
		 engine, t, name, c->tasks, c->tasks == 1 ? "" : "s",
		 c->inject_name ? ", inject " : "", c->inject_name ? c->inject_name : "",
		 res.ops_before, res.ops_after, res.sched_before, res.sched_after,
		 c->inject_name ? " --inject " : "", c->inject_name ? c->inject_name : "");
	if (write_finding(out, header, &m)) {
		fprintf(stderr, "fuzz: cannot write %s: %s\n", out, strerror(errno));
		mmt_program_free(&m);
		goto out;	/* not marked: a resumed campaign tries again */
	}
	mmt_program_free(&m);
	if (c->nfound < MAX_SIGS) {
		struct finding *fd = &c->found[c->nfound++];

		snprintf(fd->sig, sizeof(fd->sig), "%s", sig);
		snprintf(fd->path, sizeof(fd->path), "%s", out);
		snprintf(fd->engine, sizeof(fd->engine), "%s", engine);
		fd->t = t;
	}
	c->nnew++;
	if (c->hunt && !c->hunt_found) {
		c->hunt_found = true;
		c->hunt_t = t;
	}
	progress_clear(c);
	if (!c->quiet)
		fprintf(stderr, "fuzz: finding %s (%s, %.1fs) -> %s\n", sig, engine, t, out);
out:
	mark_seen(c, name);
	mmt_exec_result_free(&r);
	mmt_program_free(&p);
}

static void scan_dir(struct campaign *c, const char *dir, const char *prefix, const char *engine)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX + 300], key[300];

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(key, sizeof(key), "%s/%s", engine, de->d_name);
		if (seen_before(c, key))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		process_crash(c, path, key, engine);
		if (c->hunt && c->hunt_found)
			break;
	}
	closedir(d);
}

/* the corpus inputs that fail on their own (no engine needed to find them) */
static void scan_inputs(struct campaign *c, const char *dir, const char *engine)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX + 300], key[300];
		struct mmt_exec_result r;
		struct mmt_program p;
		uint8_t *data;
		size_t size;
		bool fails;

		if (de->d_name[0] == '.')
			continue;
		snprintf(key, sizeof(key), "%s/%s", engine, de->d_name);
		if (seen_before(c, key))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (read_file(path, &data, &size))
			continue;
		if (bytes_to_program(data, size, c->tasks, c->inject, &p, &r)) {
			free(data);
			continue;
		}
		free(data);
		fails = r.status == EXEC_VIOLATION;
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
		if (fails)
			process_crash(c, path, key, engine);
		if (c->hunt && c->hunt_found)
			break;
	}
	closedir(d);
}

static void scan_crashes(struct campaign *c)
{
	char path[PATH_MAX + 300];

	if (c->lf) {
		snprintf(path, sizeof(path), "%s/crashes/libfuzzer", c->dir);
		scan_dir(c, path, "crash-", "libfuzzer");
	}
	if (c->afl) {
		struct dirent *de;
		DIR *d;

		snprintf(path, sizeof(path), "%s/afl", c->dir);
		d = opendir(path);
		if (!d)
			return;
		while ((de = readdir(d))) {
			char eng[64];

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/afl/%s/crashes", c->dir, de->d_name);
			snprintf(eng, sizeof(eng), "afl-%s", de->d_name);
			scan_dir(c, path, "id:", eng);
		}
		closedir(d);
	}
}

/* ----------------------------------------------------------- progress */

static bool tty;
static bool line_shown;

static void progress_clear(struct campaign *c)
{
	(void)c;
	if (tty && line_shown) {
		fputs("\r\033[K", stderr);
		line_shown = false;
	}
}

static void progress(struct campaign *c, bool force)
{
	static double last;
	double t = elapsed(c), eps;
	unsigned long long execs = c->lf_execs + c->afl_execs;

	if (c->quiet)
		return;
	if (!force && t - last < (tty ? 0.5 : 10.0))
		return;
	last = t;
	eps = t > 0 ? execs / t : 0;
	fprintf(stderr, "%sfuzz: %5.1fs  execs %llu  %.0f/s  ", tty ? "\r\033[K" : "", t, execs,
		eps);
	if (c->lf)
		fprintf(stderr, "cov %u  ", c->lf_cov);
	if (c->afl)
		fprintf(stderr, "edges %u  ", c->afl_edges);
	fprintf(stderr, "findings %d  crashes %u%s", c->nnew, c->crashes, tty ? "" : "\n");
	line_shown = tty;
}

static void write_summary(struct campaign *c, int exit_code)
{
	char *buf;
	size_t cap = 8192 + (size_t)c->nfound * (PATH_MAX + 256), n = 0;
	double t = elapsed(c);
	unsigned long long execs = c->lf_execs + c->afl_execs;

	buf = malloc(cap);
	if (!buf)
		return;
#define J(...) (n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__))
	J("{\n  \"engines\": [%s%s%s],\n", c->lf ? "\"libfuzzer\"" : "",
	  c->lf && c->afl ? ", " : "", c->afl ? "\"afl\"" : "");
	J("  \"budget_s\": %.1f,\n  \"elapsed_s\": %.1f,\n  \"jobs\": %d,\n  \"tasks\": %d,\n",
	  c->budget, t, c->jobs, c->tasks);
	J("  \"inject\": \"%s\",\n  \"seed\": %" PRIu64 ",\n  \"custom_mutator\": %s,\n",
	  c->inject_name ? c->inject_name : "", c->seed, c->custom ? "true" : "false");
	J("  \"execs\": %llu,\n  \"execs_per_s\": %.0f,\n", execs, t > 0 ? execs / t : 0.0);
	J("  \"libfuzzer\": {\"execs\": %llu, \"cov\": %u},\n", c->lf_execs, c->lf_cov);
	J("  \"afl\": {\"execs\": %llu, \"execs_per_s\": %.0f, \"edges\": %u},\n", c->afl_execs,
	  c->afl_eps, c->afl_edges);
	J("  \"crash_inputs\": %u,\n  \"duplicates\": %u,\n  \"unreproducible\": %u,\n",
	  c->crashes, c->dups, c->unrepro);
	J("  \"fail_without_inject\": %u,\n  \"new_findings\": %d,\n  \"interrupted\": %s,\n",
	  c->unattributed, c->nnew, stop_requested ? "true" : "false");
	J("  \"exit\": %d,\n  \"findings\": [", exit_code);
	for (int i = 0; i < c->nfound; i++)
		J("%s\n    {\"signature\": \"%s\", \"file\": \"%s\", \"engine\": \"%s\", "
		  "\"seconds\": %.1f}", i ? "," : "", c->found[i].sig, c->found[i].path,
		  c->found[i].engine, c->found[i].t);
	J("%s]\n}\n", c->nfound ? "\n  " : "");
#undef J
	write_atomic(fmt("%s/summary.json", c->dir), buf, n);
	free(buf);
}

/* ---------------------------------------------------------- a campaign */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void locate(struct campaign *c)
{
	if (!c->lf_bin[0] && !find_next_to_self("mmt_fuzz", true, c->lf_bin, sizeof(c->lf_bin)))
		c->lf_bin[0] = 0;
	if (!find_next_to_self("mmt_fuzz_afl", true, c->afl_bin, sizeof(c->afl_bin)))
		c->afl_bin[0] = 0;
	if (!find_next_to_self("libmmt_afl_mutator.so", false, c->mutator, sizeof(c->mutator)))
		c->mutator[0] = 0;
	if (!find_next_to_self("fuzz/seeds", false, c->seeds, sizeof(c->seeds)))
		c->seeds[0] = 0;
	if (!find_next_to_self("fuzz/mmt.dict", false, c->dict, sizeof(c->dict)))
		c->dict[0] = 0;
}

static bool afl_fuzz_in_path(void)
{
	return system("command -v afl-fuzz >/dev/null 2>&1") == 0;
}

/* run @c until the budget is spent, an engine stops, or a signal */
static int run_campaign(struct campaign *c)
{
	struct sigaction sa;
	int exit_code, lf_jobs = c->jobs, afl_jobs = c->jobs;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	tty = isatty(2);
	if (mkdirs(c->dir)) {
		fprintf(stderr, "mmtorture: fuzz: %s: %s\n", c->dir, strerror(errno));
		return EXIT_USAGE;
	}
	c->seen = calloc(MAX_SEEN, sizeof(*c->seen));
	if (!c->seen)
		return EXIT_FAILED;
	load_seen(c);
	load_findings(c);
	if (c->lf && c->afl) {
		lf_jobs = c->jobs / 2 > 0 ? c->jobs / 2 : 1;
		afl_jobs = c->jobs - c->jobs / 2 > 0 ? c->jobs - c->jobs / 2 : 1;
	}
	if (!c->quiet)
		fprintf(stderr, "fuzz: %s%s%s, budget %.0fs, %d job%s, %d task%s%s%s, out %s%s\n",
			c->lf ? "libFuzzer" : "", c->lf && c->afl ? " + " : "",
			c->afl ? "AFL++" : "", c->budget, c->jobs, c->jobs == 1 ? "" : "s", c->tasks,
			c->tasks == 1 ? "" : "s", c->inject_name ? ", inject " : "",
			c->inject_name ? c->inject_name : "", c->dir,
			c->nseen ? " (resuming)" : "");
	c->t0 = now();
	/*
	 * Inputs that crash already: libFuzzer's fork mode drops them from its
	 * corpus silently, so they are processed here first.
	 */
	if (c->seeds[0])
		scan_inputs(c, c->seeds, "seed");
	if (c->extra_corpus)
		scan_inputs(c, c->extra_corpus, "corpus");
	if (c->hunt && c->hunt_found) {
		write_summary(c, EXIT_FAILED);
		free(c->seen);
		return EXIT_FAILED;
	}
	if (c->lf && start_libfuzzer(c, lf_jobs))
		fprintf(stderr, "mmtorture: fuzz: cannot start libFuzzer\n");
	if (c->afl && start_afl(c, afl_jobs))
		fprintf(stderr, "mmtorture: fuzz: cannot start afl-fuzz\n");
	if (!c->nprocs) {
		free(c->seen);
		return EXIT_FAILED;
	}
	while (!stop_requested) {
		read_pipes(c, c->hunt ? 20 : 100);
		reap(c);
		if (c->afl)
			read_afl_stats(c);
		scan_crashes(c);
		if (c->hunt && c->hunt_found)
			break;
		progress(c, false);
		if (all_exited(c))
			break;
		if (c->runs <= 0 && elapsed(c) > c->budget + 15)
			break;	/* the engines' own limits should have ended them */
	}
	if (stop_requested && !c->quiet) {
		progress_clear(c);
		fprintf(stderr, "fuzz: %s: stopping the engines, then processing what they left\n",
			strsignal(stop_requested));
	}
	stop_engines(c);
	if (c->afl)
		read_afl_stats(c);
	if (!(c->hunt && c->hunt_found))
		scan_crashes(c);
	progress(c, true);
	progress_clear(c);
	if (!c->quiet && !tty)
		fputc('\n', stderr);
	for (int i = 0; i < c->nprocs; i++)
		if (c->procs[i].log)
			fclose(c->procs[i].log);
	exit_code = c->nnew ? EXIT_FAILED : EXIT_HELD;
	write_summary(c, exit_code);
	if (!c->quiet) {
		double t = elapsed(c);
		unsigned long long execs = c->lf_execs + c->afl_execs;

		fprintf(stderr, "fuzz: summary: %.1fs, %llu execs (%.0f/s), coverage %u%s, "
			"%u crash input%s, %d new finding%s, %u duplicate%s, %u unreproducible\n",
			t, execs, t > 0 ? execs / t : 0.0, c->lf ? c->lf_cov : c->afl_edges,
			c->lf ? " (libFuzzer cov)" : " (AFL++ edges)", c->crashes,
			c->crashes == 1 ? "" : "s", c->nnew, c->nnew == 1 ? "" : "s", c->dups,
			c->dups == 1 ? "" : "s", c->unrepro);
		for (int i = 0; i < c->nfound; i++)
			fprintf(stderr, "  %-40s %s\n", c->found[i].sig, c->found[i].path);
		fprintf(stderr, "fuzz: summary in %s/summary.json\n", c->dir);
	}
	free(c->seen);
	return exit_code;
}

int fuzz_hunt(const struct hunt_req *req, struct hunt_res *res)
{
	struct campaign *c = calloc(1, sizeof(*c));
	char work[PATH_MAX];
	int ret;

	memset(res, 0, sizeof(*res));
	if (!c)
		return EXIT_FAILED;
	locate(c);
	if (req->fuzzer)
		snprintf(c->lf_bin, sizeof(c->lf_bin), "%s", req->fuzzer);
	c->lf = !strcmp(req->engine, "libfuzzer");
	c->afl = !strcmp(req->engine, "afl");
	if ((c->lf && !c->lf_bin[0]) || (c->afl && (!c->afl_bin[0] || !afl_fuzz_in_path()))) {
		fprintf(stderr, "mmtorture: hunt: no %s front end next to %s (not built here?)\n",
			req->engine, self_dir());
		free(c);
		return EXIT_USAGE;
	}
	c->hunt = true;
	c->quiet = req->quiet;
	c->custom = req->custom_mutator;
	c->jobs = req->jobs;
	c->tasks = req->tasks;
	c->budget = req->budget;
	c->seed = req->seed;
	c->inject = req->inject;
	c->inject_name = req->inject_name;
	/* a fresh work dir for each hunt: time-to-detect starts from the seeds */
	snprintf(work, sizeof(work), "%s/.hunt-%s-%d", req->out_dir, req->engine, (int)getpid());
	nftw(work, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(c->dir, sizeof(c->dir), "%s", work);
	ret = run_campaign(c);
	res->found = c->hunt_found;
	res->seconds = c->hunt_found ? c->hunt_t : elapsed(c);
	res->execs = c->lf_execs + c->afl_execs;
	if (c->hunt_found && c->nfound) {
		struct finding *f = &c->found[c->nfound - 1];
		char dst[PATH_MAX + 128], fsig[MMT_SIG_MAX];

		snprintf(fsig, sizeof(fsig), "%s", f->sig);
		for (char *s = fsig; *s; s++)
			if (*s == '/')
				*s = '-';
		snprintf(dst, sizeof(dst), "%s/%s-%s.mmt", req->out_dir, req->inject_name, fsig);
		if (rename(f->path, dst) == 0)
			snprintf(res->finding, sizeof(res->finding), "%s", dst);
		else
			snprintf(res->finding, sizeof(res->finding), "%s", f->path);
		snprintf(res->sig, sizeof(res->sig), "%s", f->sig);
	}
	if (!getenv("MMT_KEEP_WORK"))
		nftw(work, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(c);
	return ret == EXIT_USAGE ? EXIT_USAGE : EXIT_HELD;
}

int cmd_fuzz(int argc, char **argv)
{
	struct campaign *c;
	const char *engine = "auto", *out = "fuzz-out";
	bool tasks_given = false, seed_given = false;
	uint64_t v;
	int ret;
	long n;

	c = calloc(1, sizeof(*c));
	if (!c)
		return EXIT_FAILED;
	c->budget = 60;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	c->jobs = n > 0 ? (int)n : 1;
	c->tasks = 1;
	c->custom = true;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-custom-mutator")) {
			c->custom = false;
			continue;
		}
		if (!strcmp(a, "--quiet")) {
			c->quiet = true;
			continue;
		}
		if (!val) {
			free(c);
			return usage_error("fuzz: %s needs a value", a);
		}
		if (!strcmp(a, "--engine")) {
			if (strcmp(val, "libfuzzer") && strcmp(val, "afl") && strcmp(val, "both") &&
			    strcmp(val, "naive") && strcmp(val, "auto")) {
				free(c);
				return usage_error("fuzz: --engine takes libfuzzer, afl, both, naive "
						   "or auto, not '%s'", val);
			}
			engine = val;
		} else if (!strcmp(a, "--budget")) {
			if (parse_seconds(val, &c->budget)) {
				free(c);
				return usage_error("--budget: bad number of seconds '%s'", val);
			}
		} else if (!strcmp(a, "--jobs")) {
			if (parse_u64(val, &v) || !v || v > 64) {
				free(c);
				return usage_error("--jobs: bad count '%s' (1..64)", val);
			}
			c->jobs = (int)v;
		} else if (!strcmp(a, "--out")) {
			if (!*val) {
				free(c);
				return usage_error("%s needs a directory", a);
			}
			out = val;
		} else if (!strcmp(a, "--tasks")) {
			if (parse_u64(val, &v) || !v || v > MMT_MAX_TASKS) {
				free(c);
				return usage_error("--tasks: bad count '%s' (1..8)", val);
			}
			c->tasks = (int)v;
			tasks_given = true;
		} else if (!strcmp(a, "--inject")) {
			if (parse_inject(val, &c->inject)) {
				free(c);
				return EXIT_USAGE;
			}
			c->inject_name = val;
		} else if (!strcmp(a, "--seed")) {
			if (parse_u64(val, &c->seed)) {
				free(c);
				return usage_error("--seed: bad number '%s'", val);
			}
			seed_given = true;
		} else if (!strcmp(a, "--runs")) {
			if (parse_u64(val, &v) || !v || v > 1000000000) {
				free(c);
				return usage_error("--runs: bad count '%s'", val);
			}
			c->runs = (long)v;
		} else if (!strcmp(a, "--corpus")) {
			c->extra_corpus = val;
		} else {
			free(c);
			return usage_error("fuzz: unknown option '%s'", a);
		}
		i++;
	}
	if (!tasks_given && c->inject)
		c->tasks = hunt_default_tasks(c->inject);
	if (!seed_given) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		c->seed = ((uint64_t)ts.tv_sec ^ (uint64_t)ts.tv_nsec) % 1000000000ull;
	}
	snprintf(c->dir, sizeof(c->dir), "%s", out);
	locate(c);
	if (!strcmp(engine, "auto"))
		engine = c->lf_bin[0] ? "libfuzzer" :
			 c->afl_bin[0] && afl_fuzz_in_path() ? "afl" : "naive";
	if (!strcmp(engine, "naive")) {
		/* no fuzzer built here: uniform random programs (the hunt's baseline) */
		char *hargv[16];
		int h = 0;

		hargv[h++] = "--engine";
		hargv[h++] = "naive";
		hargv[h++] = "--budget";
		hargv[h++] = fmt("%g", c->budget);
		hargv[h++] = "--out";
		hargv[h++] = fmt("%s/findings", out);
		hargv[h++] = "--seed";
		hargv[h++] = fmt("%" PRIu64, c->seed);
		hargv[h++] = "--tasks";
		hargv[h++] = fmt("%d", c->tasks);
		if (c->inject_name) {
			hargv[h++] = "--inject";
			hargv[h++] = (char *)c->inject_name;
		}
		hargv[h] = NULL;
		if (!c->quiet)
			fprintf(stderr, "fuzz: no fuzzer front end here: the naive random hunt\n");
		free(c);
		return cmd_hunt(h, hargv);
	}
	c->lf = !strcmp(engine, "libfuzzer") || !strcmp(engine, "both");
	c->afl = !strcmp(engine, "afl") || !strcmp(engine, "both");
	if (c->lf && !c->lf_bin[0]) {
		fprintf(stderr, "mmtorture: fuzz: no libFuzzer front end (mmt_fuzz) next to %s; "
			"this build has none (clang with libFuzzer is needed)\n", self_dir());
		free(c);
		return EXIT_USAGE;
	}
	if (c->afl && (!c->afl_bin[0] || !afl_fuzz_in_path())) {
		fprintf(stderr, "mmtorture: fuzz: no AFL++ front end (mmt_fuzz_afl next to %s, "
			"afl-fuzz in PATH); install afl++ and rebuild\n", self_dir());
		free(c);
		return EXIT_USAGE;
	}
	if (c->afl && c->runs > 0) {
		fprintf(stderr, "mmtorture: fuzz: --runs is for libFuzzer only\n");
		free(c);
		return EXIT_USAGE;
	}
	ret = run_campaign(c);
	free(c);
	return ret;
}
