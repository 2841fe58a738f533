// SPDX-License-Identifier: MIT
/*
 * campaign.c - a fuzzing campaign (see campaign.h): spawning the engines
 * under their guards, reading their progress, triaging their crash inputs,
 * the summary.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* pipe2 */
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmt/campaign.h"
#include "mmt/exec.h"
#include "mmt/fsutil.h"
#include "mmt/fuzzrun.h"
#include "mmt/prng.h"
#include "mmt/triage.h"

#define MAX_PROCS	32
#define ARENA_SIZE	(128 * 1024)
#define LF_JOBS		16	/* libFuzzer fork-mode jobs followed at once */

struct eproc {
	pid_t pid;		/* its guard, the leader of the engine's process group */
	char name[32];
	int fd;			/* its stderr (libFuzzer), or -1 */
	int life;		/* the write end of the guard's lifeline, or -1 */
	FILE *log;
	char line[8192];
	size_t nline;
	bool exited;
	int status;
	/* AFL++: the instance ("main", "s1") and what its statsd metrics say */
	char afl_id[16];
	int statsd;		/* UDP socket on 127.0.0.1, or -1 */
	unsigned long long statsd_execs;
	unsigned statsd_edges;
	double statsd_eps;
};

/* a libFuzzer fork-mode job, followed through its log in DIR/tmp */
struct lf_job {
	unsigned id;		/* 0: slot free */
	unsigned long long execs;
	off_t off;		/* how far its log has been read */
	bool seen;		/* its log was there at the last look */
};

struct campaign {
	struct mmt_campaign_opts o;
	char dir[PATH_MAX];
	char afl_dir[PATH_MAX];		/* the AFL++ sync dir */
	char afl_name[16];		/* our secondaries' name; "": -M main, -S sN */

	/* DIR/timeseries.csv (campaign.h) */
	int ts_fd;
	double ts_last;
	unsigned long long ts_execs[2];	/* libFuzzer's, AFL++'s at the last tick */
	double ts_t[2];

	struct eproc procs[MAX_PROCS];
	int nprocs;
	double t0;

	/* statistics */
	unsigned long long lf_execs, afl_execs;
	unsigned lf_cov, afl_edges;
	double afl_eps;
	/*
	 * libFuzzer's fork mode reports executions only as its jobs end, and
	 * a job runs for up to 300 s; the jobs' own logs say how far the
	 * running ones are.
	 */
	unsigned long long lf_reported;	/* the parent's last "#N:" (plus lf_base) */
	/*
	 * One libFuzzer job (the default campaign on two cores): no fork mode,
	 * which finds the zoo's bugs far later (README Benchmarks, "The
	 * default campaign"), but a libFuzzer that stops at its first crash,
	 * so it is started again, on its corpus, for the time that is left.
	 */
	bool lf_restart;
	unsigned lf_restarts;
	unsigned long long lf_base;	/* executions of the libFuzzers that ended */
	/*
	 * Restart mode: the seed and --corpus inputs that do not fail, copied
	 * to DIR/lf-seeds.  Without fork mode libFuzzer stops on a failing
	 * input while loading its corpus, and restarted it would stop there
	 * again every time; those inputs were triaged before it started.
	 */
	char lf_seeds[PATH_MAX + 16];
	unsigned lf_merged[LF_JOBS];	/* jobs the parent has counted in it */
	unsigned nlf_merged;
	struct lf_job lf_jobs[LF_JOBS];
	double lf_jobs_read;

	struct mmt_triage tr;
	bool engines_gone;		/* nothing writes crash inputs any more */
	bool hunt_found;
	double hunt_t;

	/* the progress line */
	bool tty, line_shown;
	double last_progress;

	/*
	 * Strings for the engines' command lines and environments: they live
	 * as long as the campaign and go with it, so nothing is left over for
	 * LeakSanitizer, whatever the engines' fate.
	 */
	char arena[ARENA_SIZE];
	size_t arena_used;
	bool arena_full;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

static double elapsed(const struct campaign *c)
{
	return mmt_now() - c->t0;
}

static void say(struct campaign *c, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void say(struct campaign *c, const char *f, ...)
{
	va_list ap;

	if (!c->o.log)
		return;
	va_start(ap, f);
	vfprintf(c->o.log, f, ap);
	va_end(ap);
}

static char *fmt(struct campaign *c, const char *f, ...) __attribute__((format(printf, 2, 3)));
static char *fmt(struct campaign *c, const char *f, ...)
{
	size_t room = sizeof(c->arena) - c->arena_used;
	va_list ap;
	char *s;
	int n;

	va_start(ap, f);
	n = vsnprintf(c->arena + c->arena_used, room, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 1 > room) {
		/* the engine that asked will not be started */
		c->arena_full = true;
		return c->arena + sizeof(c->arena) - 1;
	}
	s = c->arena + c->arena_used;
	c->arena_used += (size_t)n + 1;
	return s;
}

/* ------------------------------------------------------------ engines */

static int open_log(struct campaign *c, struct eproc *e)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/logs", c->dir);
	mmt_mkdirs(path);
	snprintf(path, sizeof(path), "%s/logs/%s.log", c->dir, e->name);
	e->log = fopen(path, "a");
	return e->log ? 0 : -1;
}

/* ------------------------------------------------------------- guards */

/* @pid's parent and state from /proc/PID/stat; 0, or -1 if it is gone */
static int proc_parent(pid_t pid, pid_t *ppid, char *state)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd, pp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* "pid (comm) S ppid ...": comm may hold spaces and parentheses */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d", state, &pp) != 2)
		return -1;
	*ppid = pp;
	return 0;
}

/*
 * SIGKILL every process below @root, which is a child subreaper: whatever
 * an engine forked, however it detached (setsid, double fork), is still a
 * descendant, or reparented to @root when its parent died.  Repeated until
 * nothing is left, since a process may fork while its tree is being
 * killed; bounded, so that an unkillable process (D state) cannot keep the
 * guard forever.
 */
static void kill_tree(pid_t root)
{
	double t0 = mmt_now();
	pid_t *pid = NULL, *ppid = NULL;
	size_t cap = 0;

	while (mmt_now() - t0 < 5) {
		bool *below = NULL;
		struct dirent *de;
		size_t n = 0, alive = 0;
		bool grew = true;
		DIR *d;
		int st;

		while (waitpid(-1, &st, WNOHANG) > 0)
			;
		d = opendir("/proc");
		if (!d)
			break;
		while ((de = readdir(d))) {
			char state;
			pid_t p, pp;

			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			p = (pid_t)atoi(de->d_name);
			if (proc_parent(p, &pp, &state) || state == 'Z')
				continue;
			if (n == cap) {
				size_t ncap = cap ? 2 * cap : 1024;
				pid_t *a = realloc(pid, ncap * sizeof(*a));
				pid_t *b = a ? realloc(ppid, ncap * sizeof(*b)) : NULL;

				if (a)
					pid = a;
				if (!b)
					break;
				ppid = b;
				cap = ncap;
			}
			pid[n] = p;
			ppid[n++] = pp;
		}
		closedir(d);
		below = calloc(n ? n : 1, sizeof(*below));
		if (!below)
			break;
		/* the descendants of @root: a fixpoint over the parent links */
		while (grew) {
			grew = false;
			for (size_t i = 0; i < n; i++) {
				if (below[i])
					continue;
				if (ppid[i] == root) {
					below[i] = grew = true;
					continue;
				}
				for (size_t j = 0; j < n; j++) {
					if (below[j] && pid[j] == ppid[i]) {
						below[i] = grew = true;
						break;
					}
				}
			}
		}
		for (size_t i = 0; i < n; i++) {
			if (below[i] && pid[i] != root) {
				kill(pid[i], SIGKILL);
				alive++;
			}
		}
		free(below);
		if (!alive)
			break;
		usleep(10 * 1000);
	}
	free(pid);
	free(ppid);
}

/*
 * The guard: the campaign's child, leader of the engine's process group,
 * a child subreaper, the engine's parent.  It runs the engine and then
 * waits for one of two things.  The engine exits: the guard kills what
 * the engine left behind and exits with its status.  Its lifeline reads
 * EOF: the campaign closed it or died, however it died, since only the
 * campaign ever holds the write end; the guard kills the engine and every
 * descendant and exits.  SIGTERM and SIGINT are for the engine: the guard
 * ignores them so that it outlives the engine's shutdown.
 */
static _Noreturn void guard(int life, char *const argv[], char *const env[], int out)
{
	pid_t self = getpid(), engine;
	int status = 0, devnull;

	setpgid(0, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	engine = fork();
	if (engine < 0)
		_exit(127);
	if (engine == 0) {
		/* killed with its guard, should anything kill the guard first */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != self)
			_exit(127);
		close(life);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		for (int i = 0; env[i]; i++)
			putenv(env[i]);
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(out, 1);
		dup2(out, 2);
		execv(argv[0], argv);
		fprintf(stderr, "mmtorture: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	/* the engine alone holds its output now: EOF on the pipe means it is done */
	close(out);
	for (;;) {
		struct pollfd p = { .fd = life, .events = POLLIN };
		bool done = false;
		pid_t w;
		int st;

		while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
			if (w == engine) {
				status = st;
				done = true;
			}
		}
		if (done)
			break;
		if (poll(&p, 1, 100) > 0) {
			status = 128 + SIGKILL;
			break;
		}
	}
	kill_tree(self);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) :
	      WIFSIGNALED(status) ? 128 + WTERMSIG(status) : status);
}

/* the next engine's slot, cleared; NULL if there is none */
static struct eproc *next_proc(struct campaign *c)
{
	struct eproc *e;

	if (c->nprocs >= MAX_PROCS)
		return NULL;
	e = &c->procs[c->nprocs];
	memset(e, 0, sizeof(*e));
	e->fd = e->life = e->statsd = -1;
	return e;
}

/*
 * Start @argv with @env added under a guard of its own, in the slot
 * next_proc() gave; its stdout and
 * stderr to a pipe (@pipe_err) or to its log.
 */
static int spawn(struct campaign *c, const char *name, char *const argv[], char *const env[],
		 bool pipe_err)
{
	struct eproc *e;
	int pfd[2] = { -1, -1 }, lfd[2] = { -1, -1 };
	pid_t pid, self;

	if (c->nprocs >= MAX_PROCS || c->arena_full)
		return -1;
	e = &c->procs[c->nprocs];
	snprintf(e->name, sizeof(e->name), "%s", name);
	if (open_log(c, e))
		return -1;
	fprintf(e->log, "# %s:", name);
	for (int i = 0; argv[i]; i++)
		fprintf(e->log, " %s", argv[i]);
	fprintf(e->log, "\n");
	fflush(e->log);
	/* close-on-exec: no engine may hold another's lifeline or output */
	if (pipe2(lfd, O_CLOEXEC))
		goto fail;
	if (pipe_err && pipe2(pfd, O_CLOEXEC))
		goto fail;
	self = getpid();
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		int out = pipe_err ? pfd[1] : fileno(e->log);

		/*
		 * Nothing inherited may keep a lifeline open: the guards are
		 * not exec'd, so close-on-exec does not help them.
		 */
		close(lfd[1]);
		/* the campaign died before that close: nobody would close the lifeline */
		if (getppid() != self)
			_exit(127);
		for (int i = 0; i < c->nprocs; i++) {
			if (c->procs[i].life >= 0)
				close(c->procs[i].life);
			if (c->procs[i].fd >= 0)
				close(c->procs[i].fd);
			if (c->procs[i].statsd >= 0)
				close(c->procs[i].statsd);
		}
		if (e->statsd >= 0)
			close(e->statsd);
		if (pipe_err)
			close(pfd[0]);
		guard(lfd[0], argv, env, out);
	}
	close(lfd[0]);
	setpgid(pid, pid);
	e->pid = pid;
	e->life = lfd[1];
	if (pipe_err) {
		close(pfd[1]);
		e->fd = pfd[0];
		fcntl(e->fd, F_SETFL, O_NONBLOCK);
	}
	c->nprocs++;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (pfd[i] >= 0)
			close(pfd[i]);
		if (lfd[i] >= 0)
			close(lfd[i]);
	}
	fclose(e->log);
	e->log = NULL;
	return -1;
}

/* the tasks each engine's inputs decode with */
static int lf_tasks(const struct campaign *c)
{
	return c->o.tasks;
}

static int afl_tasks(const struct campaign *c)
{
	return c->o.afl_tasks > 0 ? c->o.afl_tasks : c->o.tasks;
}

static void common_env(struct campaign *c, char **env, int *n, int tasks)
{
	env[(*n)++] = fmt(c, "MMT_FUZZ_TASKS=%d", tasks);
	if (c->o.inject_name)
		env[(*n)++] = fmt(c, "MMT_INJECT=%s", c->o.inject_name);
	else
		env[(*n)++] = fmt(c, "MMT_INJECT=");
	env[(*n)++] = fmt(c, "MMT_FUZZ_ATTRIBUTE=%d", c->o.hunt ? 1 : 0);
}

static int start_libfuzzer(struct campaign *c, int jobs, double seconds)
{
	const struct mmt_campaign_opts *o = &c->o;
	char *argv[32], *env[8];
	int a = 0, n = 0;

	mmt_mkdirs(fmt(c, "%s/crashes/libfuzzer", c->dir));
	mmt_mkdirs(fmt(c, "%s/corpus/libfuzzer", c->dir));
	argv[a++] = c->o.fe.libfuzzer;
	if (o->runs > 0) {
		argv[a++] = fmt(c, "-runs=%ld", o->runs);
	} else {
		argv[a++] = fmt(c, "-max_total_time=%d", (int)(seconds + 0.999));
		c->lf_restart = jobs == 1 && !o->hunt;
		if (jobs > 1) {
			argv[a++] = fmt(c, "-fork=%d", jobs);
			argv[a++] = fmt(c, "-ignore_crashes=1");
			argv[a++] = fmt(c, "-ignore_ooms=1");
			argv[a++] = fmt(c, "-ignore_timeouts=1");
		}
	}
	argv[a++] = fmt(c, "-seed=%" PRIu64, ((o->seed + 7919u * c->lf_restarts) % 4000000000u) + 1);
	argv[a++] = fmt(c, "-artifact_prefix=%s/crashes/libfuzzer/", c->dir);
	argv[a++] = fmt(c, "-max_len=%d", MMT_CAMPAIGN_MAX_LEN);
	argv[a++] = fmt(c, "-timeout=10");
	/*
	 * Interleaving campaigns keep edges and interleaving counters as
	 * features, not their hit counts: lock and loop counts vary with every
	 * schedule, and with them the corpus fills with inputs that differ
	 * only there, burying the few race-shaped ones.  Measured (10 hunts
	 * of 60 s each, README Benchmarks): anon-vma-head-insert found 6/10
	 * this way against 3/10, the other two races 10/10 against 10/10
	 * and 9/10.
	 */
	if (lf_tasks(c) > 1)
		argv[a++] = fmt(c, "-use_counters=0");
	argv[a++] = fmt(c, "-print_final_stats=1");
	if (o->fe.dict[0])
		argv[a++] = fmt(c, "-dict=%s", o->fe.dict);
	argv[a++] = fmt(c, "%s/corpus/libfuzzer", c->dir);
	if (c->lf_seeds[0]) {
		argv[a++] = c->lf_seeds;
	} else {
		if (o->fe.seeds[0])
			argv[a++] = c->o.fe.seeds;
		if (o->extra_corpus)
			argv[a++] = (char *)o->extra_corpus;
	}
	argv[a] = NULL;
	common_env(c, env, &n, lf_tasks(c));
	/*
	 * Fork mode keeps its jobs' corpora and logs in TMPDIR: in DIR, they
	 * are cleared with the campaign even when SIGKILL left them, and the
	 * jobs' logs say how many executions the running jobs have done.
	 */
	env[n++] = fmt(c, "TMPDIR=%s/tmp", c->dir);
	env[n] = NULL;
	if (!next_proc(c))
		return -1;
	return spawn(c, "libfuzzer", argv, env, true);
}

/*
 * A UDP socket on 127.0.0.1 for an AFL++ instance's statsd metrics: with
 * AFL_NO_UI, afl-fuzz rewrites fuzzer_stats once a minute, but sends its
 * metrics every second.  Returns its port, or 0 (no live execs then).
 */
static int open_statsd(struct eproc *e)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	e->statsd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (e->statsd < 0)
		return 0;
	if (bind(e->statsd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(e->statsd, (struct sockaddr *)&sa, &len)) {
		close(e->statsd);
		e->statsd = -1;
		return 0;
	}
	return ntohs(sa.sin_port);
}

static int start_afl(struct campaign *c, int instances)
{
	const struct mmt_campaign_opts *o = &c->o;

	for (int i = 0; i < instances; i++) {
		char *argv[32], *env[20], name[32];
		uint64_t seed = o->seed + (uint64_t)i * 0x9e3779b97f4a7c15ull;
		struct eproc *e = next_proc(c);
		int a = 0, n = 0, port;

		if (!e)
			return -1;
		if (c->afl_name[0] && i)
			snprintf(e->afl_id, sizeof(e->afl_id), "%s-s%d", c->afl_name, i);
		else if (c->afl_name[0])
			snprintf(e->afl_id, sizeof(e->afl_id), "%s", c->afl_name);
		else
			snprintf(e->afl_id, sizeof(e->afl_id), i ? "s%d" : "main", i);
		snprintf(name, sizeof(name), "afl-%s", e->afl_id);
		argv[a++] = "/usr/bin/env";	/* afl-fuzz from PATH */
		argv[a++] = "afl-fuzz";
		argv[a++] = i || c->afl_name[0] ? fmt(c, "-S") : fmt(c, "-M");
		argv[a++] = fmt(c, "%s", e->afl_id);
		argv[a++] = fmt(c, "-i");
		argv[a++] = o->extra_corpus ? (char *)o->extra_corpus : c->o.fe.seeds;
		argv[a++] = fmt(c, "-o");
		argv[a++] = c->afl_dir;
		argv[a++] = fmt(c, "-s");
		/* hashed: campaigns with nearby seeds share no instance's seed */
		argv[a++] = fmt(c, "%" PRIu64, mmt_splitmix64(&seed) % 4000000000u + 1);
		argv[a++] = fmt(c, "-V");
		argv[a++] = fmt(c, "%d", (int)(o->budget + 0.999));
		if (o->fe.dict[0]) {
			argv[a++] = fmt(c, "-x");
			argv[a++] = c->o.fe.dict;
		}
		argv[a++] = fmt(c, "--");
		argv[a++] = c->o.fe.afl;
		argv[a] = NULL;
		common_env(c, env, &n, afl_tasks(c));
		env[n++] = fmt(c, "AFL_NO_UI=1");
		env[n++] = fmt(c, "AFL_SKIP_CPUFREQ=1");
		env[n++] = fmt(c, "AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1");
		env[n++] = fmt(c, "AFL_NO_AFFINITY=1");
		env[n++] = fmt(c, "AFL_AUTORESUME=1");
		env[n++] = fmt(c, "AFL_SKIP_CRASHES=1");
		if (o->hunt)
			env[n++] = fmt(c, "AFL_BENCH_UNTIL_CRASH=1");
		/* joining a shared sync dir: start from what the others have found */
		if (c->afl_name[0])
			env[n++] = fmt(c, "AFL_IMPORT_FIRST=1");
		if (o->custom_mutator && o->fe.afl_mutator[0])
			env[n++] = fmt(c, "AFL_CUSTOM_MUTATOR_LIBRARY=%s", o->fe.afl_mutator);
		port = open_statsd(e);
		if (port) {
			env[n++] = fmt(c, "AFL_STATSD=1");
			env[n++] = fmt(c, "AFL_STATSD_HOST=127.0.0.1");
			env[n++] = fmt(c, "AFL_STATSD_PORT=%d", port);
		}
		env[n] = NULL;
		if (spawn(c, name, argv, env, false)) {
			if (e->statsd >= 0)
				close(e->statsd);
			return -1;
		}
	}
	return 0;
}

/* libFuzzer status: "#123 ... cov: 45 ... exec/s: 678" (fork mode: "#123: cov: ... job: 7") */
static void parse_lf_line(struct campaign *c, const char *l)
{
	const char *p;

	if (!strncmp(l, "stat::number_of_executed_units:", 31)) {
		c->lf_reported = c->lf_base + strtoull(l + 31, NULL, 10);
		return;
	}
	if (l[0] != '#' || l[1] < '0' || l[1] > '9')
		return;
	c->lf_reported = c->lf_base + strtoull(l + 1, NULL, 10);
	p = strstr(l, "cov: ");
	if (p)
		c->lf_cov = (unsigned)strtoul(p + 5, NULL, 10);
	/* fork mode: the job just counted in; its log may linger a moment */
	p = strstr(l, " job: ");
	if (p) {
		c->lf_merged[c->nlf_merged % LF_JOBS] = (unsigned)strtoul(p + 6, NULL, 10);
		c->nlf_merged++;
	}
}

static bool lf_merged(const struct campaign *c, unsigned id)
{
	unsigned n = c->nlf_merged < LF_JOBS ? c->nlf_merged : LF_JOBS;

	for (unsigned i = 0; i < n; i++)
		if (c->lf_merged[i] == id)
			return true;
	return false;
}

/* the new lines of fork-mode job @j's log @path: its "#N" lines and final stats */
static void read_lf_job(struct lf_job *j, const char *path)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	while ((n = pread(fd, buf, sizeof(buf) - 1, j->off)) > 0) {
		char *end = memrchr(buf, '\n', (size_t)n), *l = buf;

		if (!end)
			break;	/* half a line: the rest next time */
		*end = 0;
		j->off += end + 1 - buf;
		while (l) {
			char *nl = strchr(l, '\n');
			unsigned long long v = 0;

			if (nl)
				*nl = 0;
			if (l[0] == '#' && l[1] >= '0' && l[1] <= '9')
				v = strtoull(l + 1, NULL, 10);
			else if (!strncmp(l, "stat::number_of_executed_units:", 31))
				v = strtoull(l + 31, NULL, 10);
			if (v > j->execs)
				j->execs = v;
			l = nl ? nl + 1 : NULL;
		}
	}
	close(fd);
}

/*
 * libFuzzer's fork mode: what the parent reported, plus what the jobs it
 * has not counted yet did so far (their logs, DIR/tmp/libFuzzerTemp.*.dir/
 * JOB.log, go when the parent counts them).  Never goes back: a job that
 * ends without news is counted by the parent only at its next line.
 */
static void read_lf_jobs(struct campaign *c)
{
	char path[PATH_MAX + 600];
	unsigned long long running = 0;
	struct dirent *de, *je;
	DIR *d, *jd;

	if (mmt_now() - c->lf_jobs_read < 1.0)
		return;
	c->lf_jobs_read = mmt_now();
	for (int i = 0; i < LF_JOBS; i++)
		c->lf_jobs[i].seen = false;
	snprintf(path, sizeof(path), "%s/tmp", c->dir);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "libFuzzerTemp.FuzzWithFork", 26))
			continue;
		snprintf(path, sizeof(path), "%s/tmp/%s", c->dir, de->d_name);
		jd = opendir(path);
		if (!jd)
			continue;
		while ((je = readdir(jd))) {
			char *end;
			unsigned long id = strtoul(je->d_name, &end, 10);
			struct lf_job *j = NULL, *free_slot = NULL;

			if (!id || strcmp(end, ".log") || lf_merged(c, (unsigned)id))
				continue;
			for (int i = 0; i < LF_JOBS && !j; i++) {
				if (c->lf_jobs[i].id == id)
					j = &c->lf_jobs[i];
				else if (!free_slot && (!c->lf_jobs[i].id ||
							lf_merged(c, c->lf_jobs[i].id)))
					free_slot = &c->lf_jobs[i];
			}
			if (!j && free_slot) {
				j = free_slot;
				memset(j, 0, sizeof(*j));
				j->id = (unsigned)id;
			}
			if (!j)
				continue;
			snprintf(path, sizeof(path), "%s/tmp/%s/%s", c->dir, de->d_name,
				 je->d_name);
			read_lf_job(j, path);
			j->seen = true;
		}
		closedir(jd);
	}
	closedir(d);
	for (int i = 0; i < LF_JOBS; i++) {
		if (!c->lf_jobs[i].seen)
			c->lf_jobs[i].id = 0;	/* its log is gone: counted, or soon */
		else
			running += c->lf_jobs[i].execs;
	}
	if (c->lf_reported + running > c->lf_execs)
		c->lf_execs = c->lf_reported + running;
}

/* the statsd datagrams of AFL++ instance @e: "fuzzing.execs_done:123|g" lines */
static void read_statsd(struct eproc *e)
{
	char buf[4096];
	ssize_t n;

	if (e->statsd < 0)
		return;
	while ((n = recv(e->statsd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = 0;
		for (char *l = buf; l && *l;) {
			char *nl = strchr(l, '\n'), *colon;

			if (nl)
				*nl = 0;
			colon = strchr(l, ':');
			if (colon && strstr(l, "execs_done:") == colon - 10)
				e->statsd_execs = strtoull(colon + 1, NULL, 10);
			else if (colon && strstr(l, "execs_per_sec:") == colon - 13)
				e->statsd_eps = strtod(colon + 1, NULL);
			else if (colon && strstr(l, "edges_found:") == colon - 11)
				e->statsd_edges = (unsigned)strtoul(colon + 1, NULL, 10);
			l = nl ? nl + 1 : NULL;
		}
	}
}

static unsigned long long total_execs(const struct campaign *c)
{
	return (c->lf_execs > c->lf_reported ? c->lf_execs : c->lf_reported) + c->afl_execs;
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

/*
 * Is @name, an instance dir in the sync dir, one of this campaign's?  With
 * a shared sync dir the other machines' instances are theirs to count and
 * triage (a merge brings their findings here, without duplicates).
 */
static bool own_instance(const struct campaign *c, const char *name)
{
	size_t n = strlen(c->afl_name);

	if (name[0] == '.')
		return false;
	if (n)
		return !strncmp(name, c->afl_name, n) &&
		       (!name[n] || !strncmp(name + n, "-s", 2));
	if (!strcmp(name, "main"))
		return true;
	if (name[0] != 's' || !name[1])
		return false;
	for (const char *p = name + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/*
 * Our AFL++ instances' fuzzer_stats in the sync dir, each overtaken by its
 * statsd metrics when those are newer: fuzzer_stats is rewritten once a
 * minute and at exit.
 */
static void read_afl_stats(struct campaign *c)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	unsigned long long execs = 0;
	double eps = 0;
	unsigned edges = 0;

	for (int i = 0; i < c->nprocs; i++)
		read_statsd(&c->procs[i]);
	d = opendir(c->afl_dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned long long x = 0;
		double r = 0;
		unsigned ed = 0;
		char line[256];
		FILE *f;

		if (!own_instance(c, de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/fuzzer_stats", c->afl_dir, de->d_name);
		f = fopen(path, "r");
		if (f) {
			while (fgets(line, sizeof(line), f)) {
				char *colon = strchr(line, ':');

				if (!colon)
					continue;
				if (!strncmp(line, "execs_done", 10))
					x = strtoull(colon + 1, NULL, 10);
				else if (!strncmp(line, "execs_per_sec", 13))
					r = strtod(colon + 1, NULL);
				else if (!strncmp(line, "edges_found", 11))
					ed = (unsigned)strtoul(colon + 1, NULL, 10);
			}
			fclose(f);
		}
		for (int i = 0; i < c->nprocs; i++) {
			const struct eproc *e = &c->procs[i];

			if (strcmp(e->afl_id, de->d_name))
				continue;
			if (e->statsd_execs > x) {
				x = e->statsd_execs;
				r = e->statsd_eps;
			}
			if (e->statsd_edges > ed)
				ed = e->statsd_edges;
		}
		execs += x;
		eps += r;
		if (ed > edges)
			edges = ed;
	}
	closedir(d);
	if (execs > c->afl_execs)
		c->afl_execs = execs;
	c->afl_eps = eps;
	if (edges > c->afl_edges)
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
			if (e->life >= 0) {
				close(e->life);
				e->life = -1;
			}
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

/* wait up to @secs for every guard to exit, reading the engines' output meanwhile */
static void wait_engines(struct campaign *c, double secs)
{
	double t = mmt_now();

	while (mmt_now() - t < secs) {
		read_pipes(c, 50);
		reap(c);
		if (all_exited(c))
			break;
	}
}

/*
 * SIGTERM to each engine's group (the guards ignore it), so that the
 * engines stop as they like to; whatever has not ended 10 s later is
 * killed by its guard, tree and all, when its lifeline closes.  SIGKILL to
 * the group is the last resort, for a guard that is stuck itself.
 */
static void stop_engines(struct campaign *c)
{
	for (int i = 0; i < c->nprocs; i++)
		if (!c->procs[i].exited)
			kill(-c->procs[i].pid, SIGTERM);
	wait_engines(c, 10);
	for (int i = 0; i < c->nprocs; i++) {
		if (c->procs[i].life >= 0) {
			close(c->procs[i].life);
			c->procs[i].life = -1;
		}
	}
	wait_engines(c, 5);
	for (int i = 0; i < c->nprocs; i++) {
		struct eproc *e = &c->procs[i];

		if (!e->exited) {
			kill(-e->pid, SIGKILL);
			waitpid(e->pid, &e->status, 0);
			e->exited = true;
		}
		if (e->fd >= 0) {
			close(e->fd);
			e->fd = -1;
		}
	}
}

/* ----------------------------------------------------------- progress */

static void progress_clear(struct campaign *c)
{
	if (c->tty && c->line_shown) {
		say(c, "\r\033[K");
		c->line_shown = false;
	}
}

static void progress(struct campaign *c, bool force)
{
	double t = elapsed(c), eps;
	unsigned long long execs = total_execs(c);

	if (c->o.quiet || !c->o.log)
		return;
	if (!force && t - c->last_progress < (c->tty ? 0.5 : 10.0))
		return;
	c->last_progress = t;
	eps = t > 0 ? execs / t : 0;
	say(c, "%sfuzz: %5.1fs  execs %llu  %.0f/s  ", c->tty ? "\r\033[K" : "", t, execs, eps);
	if (c->o.libfuzzer)
		say(c, "cov %u  ", c->lf_cov);
	if (c->o.afl)
		say(c, "edges %u  ", c->afl_edges);
	say(c, "findings %d  crashes %u%s", c->tr.nnew, c->tr.crashes, c->tty ? "" : "\n");
	c->line_shown = c->tty;
}

/* -------------------------------------------------------- time series */

/* the findings of this run made by @engine ("libfuzzer", or "afl" for every instance) */
static int engine_findings(const struct campaign *c, const char *engine)
{
	const struct mmt_triage *tr = &c->tr;
	size_t n = strlen(engine);
	int k = 0;

	for (int i = 0; i < tr->nfound; i++)
		if (tr->found[i].t >= 0 && !strncmp(tr->found[i].engine, engine, n))
			k++;
	return k;
}

static void ts_row(struct campaign *c, int which, const char *engine,
		   unsigned long long execs, unsigned cov, double wall, double t)
{
	char line[256];
	double dt = t - c->ts_t[which], eps;
	int n;

	eps = dt > 0 && execs >= c->ts_execs[which] ? (execs - c->ts_execs[which]) / dt : 0;
	c->ts_execs[which] = execs;
	c->ts_t[which] = t;
	n = snprintf(line, sizeof(line), "%.3f,%.3f,%s,%llu,%.1f,%u,%d,%d,%u\n", wall, t, engine,
		     execs, eps, cov, engine_findings(c, engine), c->tr.nfound, c->tr.crashes);
	/* one write: a kill leaves whole lines, or a last one tidy_dir removes */
	if (n > 0 && (size_t)n < sizeof(line) && write(c->ts_fd, line, (size_t)n) != n)
		c->ts_fd = -1;	/* the disk is full: the campaign goes on without */
}

/* a tick of the time series (campaign.h): every 1 s, after a minute every 5 s */
static void timeseries(struct campaign *c, bool force)
{
	double t = elapsed(c), wall;
	struct timespec ts;

	if (c->ts_fd < 0 || (!force && t - c->ts_last < (t < 60 ? 1.0 : 5.0)))
		return;
	c->ts_last = t;
	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if (c->o.libfuzzer)
		ts_row(c, 0, "libfuzzer", total_execs(c) - c->afl_execs, c->lf_cov, wall, t);
	if (c->o.afl)
		ts_row(c, 1, "afl", c->afl_execs, c->afl_edges, wall, t);
}

static void timeseries_open(struct campaign *c)
{
	char path[PATH_MAX + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/timeseries.csv", c->dir);
	c->ts_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (c->ts_fd < 0)
		return;
	if (!fstat(c->ts_fd, &st) && st.st_size == 0 &&
	    write(c->ts_fd, MMT_TIMESERIES_HEADER "\n", sizeof(MMT_TIMESERIES_HEADER)) < 0) {
		close(c->ts_fd);
		c->ts_fd = -1;
	}
}

/* ----------------------------------------------------------- findings */

/* triage crash input @path, which its engine saved @t seconds into the campaign */
static void process_crash(struct campaign *c, const char *path, const char *key,
			  const char *engine, double t)
{
	struct mmt_triage_report rep;

	switch (mmt_triage_crash(&c->tr, path, key, engine, t, &rep)) {
	case MMT_TRIAGE_NEW:
		if (c->o.hunt && !c->hunt_found) {
			c->hunt_found = true;
			c->hunt_t = t;
		}
		progress_clear(c);
		if (!c->o.quiet)
			say(c, "fuzz: %sfinding %s (%s, %.1fs) -> %s\n",
			    c->o.inject && rep.kind == MMT_FINDING_CLEAN ? "clean-model " : "",
			    rep.sig, engine, t, rep.path);
		break;
	case MMT_TRIAGE_UNREPRODUCIBLE:
		progress_clear(c);
		say(c, "fuzz: %s: %s does not reproduce (%s)\n", engine, key, rep.why);
		break;
	case MMT_TRIAGE_WRITE_ERROR:
		say(c, "fuzz: cannot write %s: %s\n", rep.path, rep.why);
		break;
	default:
		break;
	}
}

/*
 * The crash inputs an engine saved in @dir.  One whose engine may still be
 * writing it waits for a later scan: read half written, it would not fail,
 * and marked processed it would be lost.  Engines write a crash input in
 * one go, so a file that has its bytes and has not changed for
 * CRASH_SETTLE seconds is whole; once the engines are gone, every file is.
 * The time of a finding is when its input was saved (its mtime), not when
 * it was triaged.
 */
#define CRASH_SETTLE	0.1

static void scan_dir(struct campaign *c, const char *dir, const char *prefix, const char *engine)
{
	struct timespec now;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	while ((de = readdir(d))) {
		char path[PATH_MAX + 300], key[300];
		struct stat st;
		double age;

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(key, sizeof(key), "%s/%s", engine, de->d_name);
		if (mmt_triage_seen(&c->tr, key))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st))
			continue;
		age = (double)(now.tv_sec - st.st_mtim.tv_sec) +
		      (double)(now.tv_nsec - st.st_mtim.tv_nsec) / 1e9;
		if (!c->engines_gone && (!st.st_size || age < CRASH_SETTLE))
			continue;
		age = age < 0 ? 0 : age > elapsed(c) ? elapsed(c) : age;
		process_crash(c, path, key, engine, elapsed(c) - age);
		if (c->o.hunt && c->hunt_found)
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
		if (mmt_triage_seen(&c->tr, key))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (mmt_read_file(path, &data, &size))
			continue;
		if (mmt_fuzz_reproduce(data, size, c->o.tasks, c->o.inject, &p, &r)) {
			free(data);
			continue;
		}
		free(data);
		fails = r.status == EXEC_VIOLATION;
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
		if (fails)
			process_crash(c, path, key, engine, elapsed(c));
		if (c->o.hunt && c->hunt_found)
			break;
	}
	closedir(d);
}

/* copy the inputs of @dir that pass (with the campaign's bugs) into @to */
static void keep_passing(struct campaign *c, const char *dir, const char *to)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX + 300], dst[PATH_MAX + 300];
		struct mmt_exec_result r;
		struct mmt_program p;
		uint8_t *data;
		size_t size;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (mmt_read_file(path, &data, &size))
			continue;
		if (!mmt_fuzz_reproduce(data, size, lf_tasks(c), c->o.inject, &p, &r)) {
			if (r.status != EXEC_VIOLATION) {
				snprintf(dst, sizeof(dst), "%s/%s", to, de->d_name);
				mmt_write_atomic(dst, data, size);
			}
			mmt_exec_result_free(&r);
			mmt_program_free(&p);
		}
		free(data);
	}
	closedir(d);
}

static void scan_crashes(struct campaign *c)
{
	char path[PATH_MAX + 300];

	/* each engine's crash inputs decode as its harness decoded them */
	if (c->o.libfuzzer) {
		snprintf(path, sizeof(path), "%s/crashes/libfuzzer", c->dir);
		c->tr.o.tasks = lf_tasks(c);
		scan_dir(c, path, "crash-", "libfuzzer");
	}
	if (c->o.afl) {
		struct dirent *de;
		DIR *d;

		c->tr.o.tasks = afl_tasks(c);
		d = opendir(c->afl_dir);
		if (!d)
			return;
		while ((de = readdir(d))) {
			char eng[64];

			if (!own_instance(c, de->d_name))
				continue;
			snprintf(path, sizeof(path), "%s/%s/crashes", c->afl_dir, de->d_name);
			snprintf(eng, sizeof(eng), "afl-%s", de->d_name);
			scan_dir(c, path, "id:", eng);
		}
		closedir(d);
	}
}

static void write_summary(struct campaign *c, int exit_code)
{
	const struct mmt_campaign_opts *o = &c->o;
	const struct mmt_triage *tr = &c->tr;
	char path[PATH_MAX + 32], *buf;
	size_t cap = 8192 + (size_t)tr->nfound * (PATH_MAX + 256), n = 0;
	double t = elapsed(c);
	unsigned long long execs = total_execs(c);

	buf = malloc(cap);
	if (!buf)
		return;
#define J(...) (n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__))
	J("{\n  \"engines\": [%s%s%s],\n", o->libfuzzer ? "\"libfuzzer\"" : "",
	  o->libfuzzer && o->afl ? ", " : "", o->afl ? "\"afl\"" : "");
	J("  \"budget_s\": %.1f,\n  \"elapsed_s\": %.1f,\n  \"jobs\": %d,\n  \"tasks\": %d,\n"
	  "  \"afl_tasks\": %d,\n", o->budget, t, o->jobs, o->tasks, afl_tasks(c));
	J("  \"inject\": \"%s\",\n  \"seed\": %" PRIu64 ",\n  \"custom_mutator\": %s,\n",
	  o->inject_name ? o->inject_name : "", o->seed, o->custom_mutator ? "true" : "false");
	J("  \"execs\": %llu,\n  \"execs_per_s\": %.0f,\n", execs, t > 0 ? execs / t : 0.0);
	J("  \"libfuzzer\": {\"execs\": %llu, \"cov\": %u},\n", execs - c->afl_execs, c->lf_cov);
	J("  \"afl\": {\"execs\": %llu, \"execs_per_s\": %.0f, \"edges\": %u},\n", c->afl_execs,
	  c->afl_eps, c->afl_edges);
	J("  \"crash_inputs\": %u,\n  \"duplicates\": %u,\n  \"unreproducible\": %u,\n",
	  tr->crashes, tr->dups, tr->unrepro);
	J("  \"fail_without_inject\": %u,\n  \"new_findings\": %d,\n  \"interrupted\": %s,\n",
	  tr->unattributed, tr->nnew, stop_requested ? "true" : "false");
	J("  \"injected_findings\": %d,\n  \"clean_model_findings\": %d,\n",
	  tr->nnew - tr->nnew_clean, tr->nnew_clean);
	J("  \"exit\": %d,\n  \"findings\": [", exit_code);
	for (int i = 0; i < tr->nfound; i++)
		J("%s\n    {\"signature\": \"%s\", \"kind\": \"%s\", \"file\": \"%s\", "
		  "\"engine\": \"%s\", \"seconds\": %.1f, \"examples\": %u}", i ? "," : "",
		  tr->found[i].sig, mmt_finding_kind_name(tr->found[i].kind), tr->found[i].path,
		  tr->found[i].engine, tr->found[i].t, tr->found[i].examples);
	J("%s]\n}\n", tr->nfound ? "\n  " : "");
#undef J
	snprintf(path, sizeof(path), "%s/summary.json", c->dir);
	mmt_write_atomic(path, buf, n);
	free(buf);
}

/* ---------------------------------------------------------- a campaign */

void mmt_campaign_locate(struct mmt_campaign_frontends *fe)
{
	if (!mmt_find_next_to_self("mmt_fuzz", true, fe->libfuzzer, sizeof(fe->libfuzzer)))
		fe->libfuzzer[0] = 0;
	if (!mmt_find_next_to_self("mmt_fuzz_afl", true, fe->afl, sizeof(fe->afl)))
		fe->afl[0] = 0;
	if (!mmt_find_next_to_self("libmmt_afl_mutator.so", false, fe->afl_mutator,
				   sizeof(fe->afl_mutator)))
		fe->afl_mutator[0] = 0;
	if (!mmt_find_next_to_self("fuzz/seeds", false, fe->seeds, sizeof(fe->seeds)))
		fe->seeds[0] = 0;
	if (!mmt_find_next_to_self("fuzz/mmt.dict", false, fe->dict, sizeof(fe->dict)))
		fe->dict[0] = 0;
}

bool mmt_campaign_have_afl_fuzz(void)
{
	return system("command -v afl-fuzz >/dev/null 2>&1") == 0;
}

static void fill_result(struct campaign *c, struct mmt_campaign_result *res)
{
	const struct mmt_triage *tr = &c->tr;

	res->elapsed = elapsed(c);
	res->execs = total_execs(c);
	res->crashes = tr->crashes;
	res->duplicates = tr->dups;
	res->unreproducible = tr->unrepro;
	res->unattributed = tr->unattributed;
	res->new_findings = tr->nnew;
	res->interrupted = stop_requested != 0;
	res->hunt_found = c->hunt_found;
	res->hunt_seconds = c->hunt_t;
	if (tr->nnew && tr->nfound)
		res->last = tr->found[tr->nfound - 1];
}

static void print_summary(struct campaign *c)
{
	const struct mmt_triage *tr = &c->tr;
	double t = elapsed(c);
	unsigned long long execs = total_execs(c);

	say(c, "fuzz: summary: %.1fs, %llu execs (%.0f/s), coverage %u%s, "
	    "%u crash input%s, %d new finding%s, %u duplicate%s, %u unreproducible\n",
	    t, execs, t > 0 ? execs / t : 0.0, c->o.libfuzzer ? c->lf_cov : c->afl_edges,
	    c->o.libfuzzer ? " (libFuzzer cov)" : " (AFL++ edges)", tr->crashes,
	    tr->crashes == 1 ? "" : "s", tr->nnew, tr->nnew == 1 ? "" : "s", tr->dups,
	    tr->dups == 1 ? "" : "s", tr->unrepro);
	if (c->o.inject)
		say(c, "fuzz: %d injected-bug finding%s, %d clean-model finding%s (fail without "
		    "any bug injected)\n", tr->nnew - tr->nnew_clean,
		    tr->nnew - tr->nnew_clean == 1 ? "" : "s", tr->nnew_clean,
		    tr->nnew_clean == 1 ? "" : "s");
	for (int i = 0; i < tr->nfound; i++)
		say(c, "  %-40s %s%s (%u example%s)\n", tr->found[i].sig,
		    c->o.inject && tr->found[i].kind == MMT_FINDING_CLEAN ? "clean-model: " : "",
		    tr->found[i].path, tr->found[i].examples,
		    tr->found[i].examples == 1 ? "" : "s");
	say(c, "fuzz: summary in %s/summary.json\n", c->dir);
}

/* remove the files in @dir whose name has ".tmp." in it */
static void remove_tmp_files(const char *dir)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strstr(de->d_name, ".tmp."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

/*
 * Put right what a campaign killed at any moment may have left half done,
 * before anything reads DIR: the temporary files of atomic writes that
 * never reached their rename (findings, the summary), a last line of
 * DIR/processed without its newline (the next key appended would be glued
 * to it), and libFuzzer's fork-mode scratch space in DIR/tmp.
 */
static void tidy_dir(struct campaign *c)
{
	char path[PATH_MAX + 32], last;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/findings", c->dir);
	remove_tmp_files(path);
	remove_tmp_files(c->dir);
	snprintf(path, sizeof(path), "%s/processed", c->dir);
	fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (fd >= 0) {
		if (!fstat(fd, &st) && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 &&
		    last != '\n' && write(fd, "\n", 1) == 1)
			fsync(fd);
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/tmp", c->dir);
	mmt_remove_tree(path);
	/* a time series line cut short: dropped, so that the next one starts a line */
	snprintf(path, sizeof(path), "%s/timeseries.csv", c->dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && !fstat(fd, &st)) {
		off_t end = st.st_size;

		while (end > 0 && pread(fd, &last, 1, end - 1) == 1 && last != '\n')
			end--;
		if (end != st.st_size && !ftruncate(fd, end))
			fsync(fd);
	}
	if (fd >= 0)
		close(fd);
}

/*
 * Restart mode: the libFuzzer that stopped at a crash (its output read to
 * the end) starts again on its corpus, with its own seed moved on so that
 * it does not walk the same path, for the rest of the budget.
 */
static void lf_maybe_restart(struct campaign *c)
{
	struct eproc *e = NULL;
	double left = c->o.budget - elapsed(c);

	for (int i = c->nprocs - 1; i >= 0 && !e; i--)
		if (!strcmp(c->procs[i].name, "libfuzzer"))
			e = &c->procs[i];
	if (!e || !e->exited || e->fd >= 0 || stop_requested || left < 2 ||
	    c->nprocs >= MAX_PROCS || c->arena_full)
		return;
	if (!WIFEXITED(e->status) || WEXITSTATUS(e->status) == 0)
		return;	/* killed, or done: its time was up */
	c->lf_base = c->lf_reported;
	c->lf_restarts++;
	if (start_libfuzzer(c, 1, left))
		say(c, "mmtorture: fuzz: cannot restart libFuzzer\n");
}

/* run @c until the budget is spent, the engines stop, or a signal */
static int run(struct campaign *c)
{
	const struct mmt_campaign_opts *o = &c->o;
	struct mmt_triage_opts to = {
		.dir = c->dir, .tasks = o->tasks, .inject = o->inject,
		.inject_name = o->inject_name, .attribute = o->hunt,
	};
	int exit_code, lf_jobs = o->jobs, afl_jobs = o->jobs;
	bool engines = o->libfuzzer || o->afl;
	char tmp[PATH_MAX + 8];

	c->tty = o->log && isatty(fileno(o->log));
	if (mmt_mkdirs(c->dir)) {
		say(c, "mmtorture: fuzz: %s: %s\n", c->dir, strerror(errno));
		return 2;
	}
	tidy_dir(c);
	if (mmt_triage_open(&c->tr, &to))
		return 1;
	timeseries_open(c);
	if (o->libfuzzer && o->afl) {
		lf_jobs = o->jobs / 2 > 0 ? o->jobs / 2 : 1;
		afl_jobs = o->jobs - o->jobs / 2 > 0 ? o->jobs - o->jobs / 2 : 1;
	}
	if (!o->quiet && o->libfuzzer && o->afl && afl_tasks(c) != lf_tasks(c))
		say(c, "fuzz: libFuzzer (%d task%s) + AFL++ (%d task%s), budget %.0fs, %d job%s%s%s, "
		    "out %s%s\n", lf_tasks(c), lf_tasks(c) == 1 ? "" : "s", afl_tasks(c),
		    afl_tasks(c) == 1 ? "" : "s", o->budget, o->jobs, o->jobs == 1 ? "" : "s",
		    o->inject_name ? ", inject " : "", o->inject_name ? o->inject_name : "",
		    c->dir, c->tr.nseen ? " (resuming)" : "");
	else if (!o->quiet)
		say(c, "fuzz: %s%s%s%s, budget %.0fs, %d job%s, %d task%s%s%s, out %s%s\n",
		    o->libfuzzer ? "libFuzzer" : "", o->libfuzzer && o->afl ? " + " : "",
		    o->afl ? "AFL++" : "", engines ? "" : "no engine (triage only)", o->budget,
		    o->jobs, o->jobs == 1 ? "" : "s", o->tasks, o->tasks == 1 ? "" : "s",
		    o->inject_name ? ", inject " : "", o->inject_name ? o->inject_name : "",
		    c->dir, c->tr.nseen ? " (resuming)" : "");
	c->t0 = mmt_now();
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		c->tr.wall0 = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	}
	timeseries(c, true);
	/*
	 * Inputs that crash already: libFuzzer's fork mode drops them from its
	 * corpus silently, so they are processed here first.
	 */
	if (o->fe.seeds[0])
		scan_inputs(c, o->fe.seeds, "seed");
	if (o->extra_corpus)
		scan_inputs(c, o->extra_corpus, "corpus");
	timeseries(c, true);
	if (o->hunt && c->hunt_found) {
		write_summary(c, 1);
		return 1;
	}
	if (o->libfuzzer) {
		snprintf(tmp, sizeof(tmp), "%s/tmp", c->dir);
		mmt_mkdirs(tmp);
	}
	if (o->libfuzzer && lf_jobs == 1 && !o->hunt && o->runs <= 0) {
		snprintf(c->lf_seeds, sizeof(c->lf_seeds), "%s/lf-seeds", c->dir);
		mmt_remove_tree(c->lf_seeds);
		mmt_mkdirs(c->lf_seeds);
		if (o->fe.seeds[0])
			keep_passing(c, o->fe.seeds, c->lf_seeds);
		if (o->extra_corpus)
			keep_passing(c, o->extra_corpus, c->lf_seeds);
	}
	if (o->libfuzzer && start_libfuzzer(c, lf_jobs, o->budget))
		say(c, "mmtorture: fuzz: cannot start libFuzzer\n");
	if (o->afl && start_afl(c, afl_jobs))
		say(c, "mmtorture: fuzz: cannot start afl-fuzz\n");
	if (engines && !c->nprocs)
		return 1;
	while (engines && !stop_requested) {
		read_pipes(c, o->hunt ? 20 : 100);
		reap(c);
		if (o->libfuzzer)
			read_lf_jobs(c);
		if (o->afl)
			read_afl_stats(c);
		c->engines_gone = all_exited(c);
		scan_crashes(c);
		if (o->hunt && c->hunt_found)
			break;
		/* after the scan: what a stopped libFuzzer saved is triaged first */
		if (c->lf_restart)
			lf_maybe_restart(c);
		progress(c, false);
		timeseries(c, false);
		if (all_exited(c))
			break;
		if (o->runs <= 0 && elapsed(c) > o->budget + 15)
			break;	/* the engines' own limits should have ended them */
	}
	if (stop_requested && !o->quiet) {
		progress_clear(c);
		say(c, "fuzz: %s: stopping the engines, then processing what they left\n",
		    strsignal(stop_requested));
	}
	stop_engines(c);
	c->engines_gone = true;
	if (o->libfuzzer) {
		snprintf(tmp, sizeof(tmp), "%s/tmp", c->dir);
		mmt_remove_tree(tmp);
	}
	if (o->afl)
		read_afl_stats(c);
	if (!(o->hunt && c->hunt_found))
		scan_crashes(c);
	progress(c, true);
	timeseries(c, true);
	progress_clear(c);
	if (!o->quiet && !c->tty)
		say(c, "\n");
	exit_code = c->tr.nnew ? 1 : 0;
	write_summary(c, exit_code);
	if (!o->quiet)
		print_summary(c);
	return exit_code;
}

int mmt_campaign_run(const struct mmt_campaign_opts *o, struct mmt_campaign_result *res)
{
	struct sigaction sa, old_int, old_term, old_pipe;
	struct campaign *c;
	int ret;

	memset(res, 0, sizeof(*res));
	c = calloc(1, sizeof(*c));
	if (!c)
		return 1;
	c->o = *o;
	snprintf(c->dir, sizeof(c->dir), "%s", o->dir);
	c->o.dir = c->dir;
	if (o->afl_sync)
		snprintf(c->afl_dir, sizeof(c->afl_dir), "%s", o->afl_sync);
	else
		snprintf(c->afl_dir, sizeof(c->afl_dir), "%s/afl", c->dir);
	snprintf(c->afl_name, sizeof(c->afl_name), "%s", o->afl_name ? o->afl_name : "");
	c->ts_fd = -1;
	c->t0 = mmt_now();
	stop_requested = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);

	ret = run(c);

	for (int i = 0; i < c->nprocs; i++) {
		struct eproc *e = &c->procs[i];

		if (e->log)
			fclose(e->log);
		if (e->statsd >= 0)
			close(e->statsd);
		if (e->life >= 0)
			close(e->life);
	}
	if (c->ts_fd >= 0)
		close(c->ts_fd);
	fill_result(c, res);
	mmt_triage_close(&c->tr);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	free(c);
	return ret;
}
