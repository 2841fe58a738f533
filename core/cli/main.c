// SPDX-License-Identifier: MIT
/*
 * main.c - the mmtorture command.
 *
 *   mmtorture replay [--inject NAME[,NAME]] [--trace] [--no-check-each-op] FILE...
 *   mmtorture print FILE
 *   mmtorture inject --list
 *   mmtorture hunt [--budget S] [--seed N] [--inject NAME] [--ops N] [--tasks N] [--out DIR]
 *
 * Exit status everywhere: 0 all held, 1 a violation or failed assertion
 * (or, for hunt --inject, the bug was not found), 2 malformed input or
 * command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mmt/check.h"
#include "mmt/exec.h"
#include "mmt/gen.h"
#include "mmt/inject.h"
#include "mmt/kprim.h"
#include "mmt/program.h"

#define EXIT_HELD	0
#define EXIT_FAILED	1
#define EXIT_USAGE	2

static const char usage_text[] =
	"usage: mmtorture COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  replay [--inject NAME[,NAME]] [--trace] [--no-check-each-op] FILE...\n"
	"                  run .mmt programs against the model and check every invariant\n"
	"  print FILE      parse a program and print it in canonical form\n"
	"  inject --list   list the bug-zoo switches (--inject NAME, or $MMT_INJECT)\n"
	"  hunt [--budget SECONDS] [--seed N] [--inject NAME] [--ops N] [--tasks N] [--out DIR]\n"
	"                  random programs until the budget is spent (default 10 s);\n"
	"                  findings are written to DIR (default findings/)\n"
	"  gen [--seed N] [--ops N] [--tasks N]\n"
	"                  print the random program hunt runs for a seed\n"
	"\n"
	"exit status: 0 all held, 1 a violation or failed assertion, 2 bad input or usage\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mmtorture: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see mmtorture --help)\n");
	return EXIT_USAGE;
}

static int parse_inject(const char *list, uint64_t *mask)
{
	char bad[64];

	if (mmt_inject_parse(list, mask, bad, sizeof(bad))) {
		fprintf(stderr, "mmtorture: unknown bug '%s' (see mmtorture inject --list)\n", bad);
		return -1;
	}
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int load(const char *path, struct mmt_program *p)
{
	struct mmt_parse_error err;

	mmt_program_init(p);
	if (mmt_parse_file(path, p, &err)) {
		fprintf(stderr, "%s:%u:%u: %s\n", path, err.line, err.col, err.msg);
		mmt_program_free(p);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- replay */

static int cmd_replay(int argc, char **argv)
{
	struct mmt_exec_opts opts;
	int i, status = EXIT_HELD, nfiles = 0;

	mmt_exec_opts_default(&opts);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "--inject")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a bug name", a);
			if (parse_inject(argv[++i], &opts.inject))
				return EXIT_USAGE;
		} else if (!strncmp(a, "--inject=", 9)) {
			if (parse_inject(a + 9, &opts.inject))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--trace")) {
			opts.trace = stdout;
		} else if (!strcmp(a, "--no-check-each-op")) {
			opts.check_each_op = false;
		} else {
			return usage_error("replay: unknown option '%s'", a);
		}
	}
	for (; i < argc; i++) {
		struct mmt_program p;
		struct mmt_exec_result r;

		nfiles++;
		if (load(argv[i], &p)) {
			status = EXIT_USAGE;
			continue;
		}
		mmt_exec(&p, &opts, &r);
		if (r.status == EXEC_PASS) {
			printf("%s: ok (%zu ops)\n", argv[i], p.nr_ops);
		} else {
			fflush(stdout);
			mmt_exec_report(stderr, argv[i], &p, &r);
			if (r.status == EXEC_SETUP) {
				if (status < EXIT_USAGE)
					status = EXIT_USAGE;
			} else if (status < EXIT_FAILED) {
				status = EXIT_FAILED;
			}
		}
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
	}
	if (!nfiles)
		return usage_error("%s: no files to replay", "replay");
	return status;
}

/* -------------------------------------------------------------- print */

static int cmd_print(int argc, char **argv)
{
	struct mmt_program p;
	int ret;

	if (argc != 1)
		return usage_error("%s: takes exactly one FILE", "print");
	if (load(argv[0], &p))
		return EXIT_USAGE;
	ret = mmt_print(stdout, &p) < 0 ? EXIT_FAILED : EXIT_HELD;
	if (ret)
		fprintf(stderr, "mmtorture: %s: cannot print this program\n", argv[0]);
	mmt_program_free(&p);
	return ret;
}

/* ------------------------------------------------------------- inject */

static int cmd_inject(int argc, char **argv)
{
	int i;

	if (argc != 1 || strcmp(argv[0], "--list"))
		return usage_error("%s: the only form is 'mmtorture inject --list'", "inject");
	for (i = 0; i < NR_MMT_BUGS; i++)
		printf("%-36s %s\n", mmt_bugs[i].name, mmt_bugs[i].what);
	return EXIT_HELD;
}

/* --------------------------------------------------------------- hunt */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A random walk over interleavings: mostly keep running the task that is
 * on the CPU (races need an op to get somewhere first), sometimes switch.
 */
struct walk {
	struct kp_decider d;
	uint64_t s;
};

static uint64_t walk_next(struct walk *w)
{
	uint64_t z = (w->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int walk_pick(struct kp_decider *d, const int *ids, int nr, int cur)
{
	struct walk *w = (struct walk *)d;
	int i;

	if (cur >= 0 && walk_next(w) % 100 < 80)
		for (i = 0; i < nr; i++)
			if (ids[i] == cur)
				return cur;
	return ids[walk_next(w) % (uint64_t)nr];
}

/* write @p (with @r's schedule) as DIR/<INV>-<seed>.mmt, atomically */
static int save_finding(const char *dir, const struct mmt_program *p,
			const struct mmt_exec_result *r, uint64_t seed, const char *inject,
			unsigned ops, unsigned tasks, char *out, size_t outlen)
{
	struct mmt_program q;
	char tmp[PATH_MAX];
	char *text = NULL;
	FILE *f = NULL;
	int fd = -1, ret = -1;

	mmt_program_init(&q);
	if (mmt_program_copy(&q, p))
		goto out;
	if (tasks > 1 && r->nr_schedule) {
		size_t n = r->nr_schedule < MMT_MAX_SCHEDULE ? r->nr_schedule : MMT_MAX_SCHEDULE;

		free(q.schedule);
		q.schedule = malloc(n);
		if (!q.schedule)
			goto out;
		memcpy(q.schedule, r->schedule, n);
		q.nr_schedule = n;
		q.has_schedule = true;
	}
	text = mmt_print_string(&q);
	if (!text)
		goto out;
	if (mkdir(dir, 0777) && errno != EEXIST)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s/.tmp.XXXXXX", dir);
	fd = mkstemp(tmp);
	if (fd < 0)
		goto out;
	f = fdopen(fd, "w");
	if (!f)
		goto out;
	fprintf(f, "# mmtorture hunt --seed %" PRIu64 " --ops %u --tasks %u%s%s: %s\n",
		seed, ops, tasks, inject ? " --inject " : "", inject ? inject : "", r->msg);
	fputs(text, f);
	if (fflush(f) || fsync(fd))
		goto out_unlink;
	snprintf(out, outlen, "%s/%s-%" PRIu64 ".mmt", dir,
		 mmt_invariant_name(r->violation.inv), seed);
	if (rename(tmp, out))
		goto out_unlink;
	ret = 0;
	goto out;
out_unlink:
	unlink(tmp);
out:
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	free(text);
	mmt_program_free(&q);
	return ret;
}

#define MAX_SAVED 20

/*
 * With --inject, a finding only counts if the same program and interleaving
 * pass without the bug: a model bug that fires either way says nothing
 * about how fast the injected one is found.
 */
static bool attributable(const struct mmt_program *p, const struct mmt_exec_opts *o,
			 uint64_t seed)
{
	struct walk w = { .d.pick = walk_pick, .s = seed * 0x2545f4914f6cdd1dull };
	struct mmt_exec_opts clean = *o;
	struct mmt_exec_result r;
	bool ok;

	clean.inject = 0;
	if (o->decider)
		clean.decider = &w.d;
	ok = mmt_exec(p, &clean, &r) == EXEC_PASS;
	mmt_exec_result_free(&r);
	return ok;
}

static int cmd_hunt(int argc, char **argv)
{
	double budget = 10, t0, last = 0, t;
	uint64_t seed, mask = 0, v, programs = 0, ops_total = 0, checks = 0;
	const char *out_dir = "findings", *inject = NULL;
	struct mmt_gen_opts gopts;
	struct mmt_exec_opts opts;
	bool seed_given = false, tty = isatty(2), detected = false;
	unsigned nr_found = 0, nr_saved = 0;
	char saved[MAX_SAVED][PATH_MAX];
	int i, ret;

	mmt_gen_opts_default(&gopts);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--budget")) {
			char *end;

			if (!val)
				return usage_error("%s needs a value", a);
			budget = strtod(val, &end);
			if (*end || !(budget > 0))
				return usage_error("--budget: bad number of seconds '%s'", val);
		} else if (!strcmp(a, "--seed")) {
			if (parse_u64(val, &seed))
				return usage_error("--seed: bad number '%s'", val ? val : "");
			seed_given = true;
		} else if (!strcmp(a, "--inject")) {
			if (!val)
				return usage_error("%s needs a bug name", a);
			if (parse_inject(val, &mask))
				return EXIT_USAGE;
			inject = val;
		} else if (!strcmp(a, "--ops")) {
			if (parse_u64(val, &v) || !v || v > 100000)
				return usage_error("--ops: bad count '%s' (1..100000)", val ? val : "");
			gopts.nr_ops = (unsigned)v;
		} else if (!strcmp(a, "--tasks")) {
			if (parse_u64(val, &v) || !v || v > MMT_MAX_TASKS)
				return usage_error("--tasks: bad count '%s' (1..8)", val ? val : "");
			gopts.nr_tasks = (unsigned)v;
		} else if (!strcmp(a, "--out")) {
			if (!val || !*val)
				return usage_error("%s needs a directory", a);
			out_dir = val;
		} else {
			return usage_error("hunt: unknown option '%s'", a);
		}
		i++;
	}
	if (!seed_given) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec;
		seed %= 1000000000000ull;
	}
	fprintf(stderr, "hunt: seed %" PRIu64 ", budget %.1fs, %u ops, %u task%s%s%s\n", seed,
		budget, gopts.nr_ops, gopts.nr_tasks, gopts.nr_tasks > 1 ? "s" : "",
		inject ? ", inject " : "", inject ? inject : "");

	mmt_exec_opts_default(&opts);
	opts.inject = mask;
	t0 = now();
	for (uint64_t k = 0;; k++) {
		uint64_t s = seed + k;
		struct mmt_program p;
		struct mmt_exec_result r;
		struct walk w = { .d.pick = walk_pick, .s = s * 0x2545f4914f6cdd1dull };

		t = now() - t0;
		if (t >= budget)
			break;
		if (t - last >= (tty ? 0.5 : 2.0)) {
			last = t;
			fprintf(stderr, "%selapsed %.1fs  programs %" PRIu64 "  ops %" PRIu64
				"  ops/s %.0f  findings %u%s", tty ? "\r" : "", t, programs,
				ops_total, t > 0 ? ops_total / t : 0.0, nr_found, tty ? "" : "\n");
		}
		mmt_program_init(&p);
		if (mmt_gen_random(&p, s, &gopts)) {
			fprintf(stderr, "\nhunt: out of memory\n");
			mmt_program_free(&p);
			return EXIT_FAILED;
		}
		opts.decider = gopts.nr_tasks > 1 ? &w.d : NULL;
		mmt_exec(&p, &opts, &r);
		programs++;
		ops_total += r.ops_done;
		checks += r.ops_done + 1;
		if (r.status == EXEC_VIOLATION || r.status == EXEC_SETUP ||
		    r.status == EXEC_ASSERT) {
			char path[PATH_MAX] = "";

			nr_found++;
			if (tty)
				fputc('\n', stderr);
			if (r.status == EXEC_VIOLATION && nr_saved < MAX_SAVED &&
			    !save_finding(out_dir, &p, &r, s, inject, gopts.nr_ops, gopts.nr_tasks,
					  path, sizeof(path)))
				snprintf(saved[nr_saved++], PATH_MAX, "%s", path);
			fprintf(stderr, "hunt: seed %" PRIu64 ": %s %s%s%s\n", s,
				r.status == EXEC_VIOLATION ? mmt_invariant_name(r.violation.inv) :
				r.status == EXEC_SETUP ? "SETUP" : "ASSERT", r.msg,
				*path ? " -> " : "", path);
			if (inject && !attributable(&p, &opts, s)) {
				fprintf(stderr, "hunt: seed %" PRIu64 " fails without --inject too: "
					"a model bug, not %s\n", s, inject);
			} else if (inject) {
				detected = true;
				fprintf(stderr, "hunt: %s found after %.3fs (%" PRIu64 " programs)\n",
					inject, now() - t0, programs);
				mmt_exec_result_free(&r);
				mmt_program_free(&p);
				break;
			}
		}
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
	}
	t = now() - t0;
	if (tty)
		fputc('\n', stderr);
	fprintf(stderr, "hunt: %.1fs, %" PRIu64 " programs, %" PRIu64 " ops, %.0f ops/s, %"
		PRIu64 " checks, %u finding%s\n", t, programs, ops_total,
		t > 0 ? ops_total / t : 0.0, checks, nr_found, nr_found == 1 ? "" : "s");
	for (i = 0; i < (int)nr_saved; i++)
		fprintf(stderr, "  %s\n", saved[i]);
	if (inject)
		ret = detected ? EXIT_HELD : EXIT_FAILED;
	else
		ret = nr_found ? EXIT_FAILED : EXIT_HELD;
	if (inject && !detected)
		fprintf(stderr, "hunt: %s not found within %.1fs\n", inject, budget);
	return ret;
}

/* ---------------------------------------------------------------- gen */

/* print the program hunt would run for a seed (debugging the generator) */
static int cmd_gen(int argc, char **argv)
{
	struct mmt_gen_opts gopts;
	struct mmt_program p;
	uint64_t seed = 0, v;
	int i, ret;

	mmt_gen_opts_default(&gopts);
	for (i = 0; i + 1 < argc; i += 2) {
		if (parse_u64(argv[i + 1], &v))
			return usage_error("gen: bad number '%s'", argv[i + 1]);
		if (!strcmp(argv[i], "--seed"))
			seed = v;
		else if (!strcmp(argv[i], "--ops") && v && v <= 100000)
			gopts.nr_ops = (unsigned)v;
		else if (!strcmp(argv[i], "--tasks") && v && v <= MMT_MAX_TASKS)
			gopts.nr_tasks = (unsigned)v;
		else
			return usage_error("gen: bad option '%s'", argv[i]);
	}
	if (i != argc)
		return usage_error("gen: '%s' needs a value", argv[i]);
	mmt_program_init(&p);
	ret = mmt_gen_random(&p, seed, &gopts) || mmt_print(stdout, &p) < 0;
	mmt_program_free(&p);
	return ret ? EXIT_FAILED : EXIT_HELD;
}

/* --------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return EXIT_HELD;
	}
	if (!strcmp(cmd, "replay"))
		return cmd_replay(argc - 2, argv + 2);
	if (!strcmp(cmd, "print"))
		return cmd_print(argc - 2, argv + 2);
	if (!strcmp(cmd, "inject"))
		return cmd_inject(argc - 2, argv + 2);
	if (!strcmp(cmd, "hunt"))
		return cmd_hunt(argc - 2, argv + 2);
	if (!strcmp(cmd, "gen"))
		return cmd_gen(argc - 2, argv + 2);
	return usage_error("unknown command '%s'", cmd);
}
