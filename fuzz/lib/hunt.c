// SPDX-License-Identifier: MIT
/*
 * hunt.c - time to detect a zoo bug, per engine (see hunt.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmt/campaign.h"
#include "mmt/check.h"
#include "mmt/exec.h"
#include "mmt/explore.h"
#include "mmt/fsutil.h"
#include "mmt/fuzzrun.h"
#include "mmt/gen.h"
#include "mmt/hunt.h"
#include "mmt/inject.h"
#include "mmt/minimize.h"
#include "mmt/pairs.h"
#include "mmt/prng.h"
#include "mmt/sched.h"
#include "mmt/triage.h"

static const char *const engine_names[NR_MMT_HUNT_ENGINES] = {
	[MMT_HUNT_NAIVE] = "naive", [MMT_HUNT_SCHED_RANDOM] = "sched-random",
	[MMT_HUNT_PCT] = "pct", [MMT_HUNT_RANDOM_BYTES] = "random-bytes",
	[MMT_HUNT_LIBFUZZER] = "libfuzzer", [MMT_HUNT_AFL] = "afl",
	[MMT_HUNT_EXPLORE] = "explore",
};

const char *mmt_hunt_engine_name(enum mmt_hunt_engine e)
{
	return (unsigned)e < NR_MMT_HUNT_ENGINES ? engine_names[e] : "?";
}

int mmt_hunt_engine_parse(const char *name, enum mmt_hunt_engine *e)
{
	for (int i = 0; i < NR_MMT_HUNT_ENGINES; i++) {
		if (!strcmp(name, engine_names[i])) {
			*e = (enum mmt_hunt_engine)i;
			return 0;
		}
	}
	return -1;
}

/* the zoo entries that are races between two tasks */
static bool bug_is_race(uint64_t mask)
{
	return mask & ((1ull << BUG_ANON_VMA_HEAD_INSERT) | (1ull << BUG_FORK_MIGRATION_WRITE_FLAG) |
		       (1ull << BUG_MPROTECT_KEEPS_WRITE_MIGRATION) |
		       (1ull << BUG_REMOVE_MIGRATION_PTE_NO_RECHECK) |
		       (1ull << BUG_SWAP_FAULT_NO_PTE_RECHECK) |
		       (1ull << BUG_MREMAP_MERGE_RMAP_ORDER) |
		       (1ull << BUG_THP_SPLIT_NO_TTU_SYNC) |
		       (1ull << BUG_KSM_FROZEN_SWAPCACHE_STALE) |
		       (1ull << BUG_KHUGEPAGED_NO_REVALIDATE));
}

int mmt_hunt_default_tasks(uint64_t inject)
{
	return bug_is_race(inject) ? 2 : 1;
}

void mmt_hunt_opts_default(struct mmt_hunt_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->engine = MMT_HUNT_NAIVE;
	o->budget = 10;
	o->out_dir = "findings";
	o->gen = MMT_HUNT_GEN_DEFAULT;
	o->check = MMT_CHECK_INCREMENTAL;
	o->jobs = 1;
	o->custom_mutator = true;
}

static void say(const struct mmt_hunt_opts *o, const char *f, ...)
	__attribute__((format(printf, 2, 3)));
static void say(const struct mmt_hunt_opts *o, const char *f, ...)
{
	va_list ap;

	if (!o->log)
		return;
	va_start(ap, f);
	vfprintf(o->log, f, ap);
	va_end(ap);
}

static bool is_fuzzer(enum mmt_hunt_engine e)
{
	return e == MMT_HUNT_LIBFUZZER || e == MMT_HUNT_AFL;
}

static unsigned engine_tasks(const struct mmt_hunt_opts *o)
{
	if (o->nr_tasks)
		return o->nr_tasks;
	if (o->engine == MMT_HUNT_SCHED_RANDOM || o->engine == MMT_HUNT_PCT ||
	    o->engine == MMT_HUNT_EXPLORE)
		return 2;
	if (o->engine == MMT_HUNT_RANDOM_BYTES || is_fuzzer(o->engine))
		return (unsigned)mmt_hunt_default_tasks(o->inject);
	return 1;
}

/* one fresh input: a uniform length, then uniform bytes; returns the length */
static size_t random_input(uint64_t *state, uint8_t *buf)
{
	size_t n = (size_t)(mmt_splitmix64(state) % (MMT_CAMPAIGN_MAX_LEN + 1));

	for (size_t i = 0; i < n; i += 8) {
		uint64_t x = mmt_splitmix64(state);

		for (size_t j = i; j < n && j < i + 8; j++, x >>= 8)
			buf[j] = (uint8_t)x;
	}
	return n;
}

/* does @p with the schedule @r took pass with the bugs off? */
static bool passes_without(const struct mmt_program *p, const struct mmt_exec_result *r,
			   const struct mmt_exec_opts *o)
{
	struct mmt_exec_opts clean = *o;
	struct mmt_exec_result c;
	struct mmt_program q;
	bool ok;

	if (mmt_program_copy(&q, p))
		return false;
	if (r->nr_schedule)
		mmt_set_schedule(&q, r->schedule, r->nr_schedule);
	clean.inject = 0;
	clean.decider = NULL;
	clean.lenient_schedule = true;
	ok = mmt_exec(&q, &clean, &c) == EXEC_PASS;
	mmt_exec_result_free(&c);
	mmt_program_free(&q);
	return ok;
}

static void sanitize_sig(const char *sig, char *out, size_t len)
{
	size_t i;

	for (i = 0; sig[i] && i + 1 < len; i++)
		out[i] = (sig[i] == '/' || sig[i] == ' ') ? '-' : sig[i];
	out[i] = 0;
}

/*
 * minimize @p (failing with @mask) and write DIR/STEM-SIG.mmt; 0, -1, or 1
 * if, as written, it fails without the bugs in @mask too (triage.h: then
 * it is not theirs, and nothing is written)
 */
static int save_minimized(const char *dir, const char *stem, const struct mmt_program *p,
			  const struct mmt_exec_result *r, uint64_t mask, const char *inject,
			  const char *how, char *path, size_t pathlen, char *sigout, size_t siglen)
{
	struct mmt_min_opts mo = { 0 };
	struct mmt_attribution a;
	struct mmt_program q;
	char header[2048], sig[MMT_SIG_MAX];
	int ret;

	if (mmt_program_copy(&q, p))
		return -1;
	if (r->nr_schedule)
		mmt_set_schedule(&q, r->schedule, r->nr_schedule);
	/* the caller saw it pass without the bugs: the same rule as the campaign's */
	ret = mmt_attribute(&q, mask, true, &mo, &a);
	mmt_program_free(&q);
	if (ret)
		return -1;
	if (mask && a.kind != MMT_FINDING_INJECTED) {
		mmt_attribution_free(&a);
		return 1;
	}
	sanitize_sig(a.sig, sig, sizeof(sig));
	if (mmt_mkdirs(dir)) {
		mmt_attribution_free(&a);
		return -1;
	}
	snprintf(path, pathlen, "%s/%s%s%s.mmt", dir, stem, *stem ? "-" : "", sig);
	snprintf(header, sizeof(header),
		 "# %s: %s: %s\n# signature %s; %s\n"
		 "# minimized: %zu -> %zu ops, %u -> %u switches%s%s\n"
		 "# replay: mmtorture replay%s%s FILE\n",
		 mmt_invariant_name(a.violation.inv), a.violation.object, a.violation.msg,
		 a.sig, how, a.ops_before, a.ops_after, a.switches_before, a.switches_after,
		 a.minimized ? "" : "; kept as it ran: ", a.note,
		 inject ? " --inject " : "", inject ? inject : "");
	ret = mmt_write_finding(path, header, &a.prog);
	if (sigout)
		snprintf(sigout, siglen, "%s", a.sig);
	mmt_attribution_free(&a);
	return ret;
}

/* naive, sched-random, pct, random-bytes: programs run in this process */
static int hunt_inprocess(const struct mmt_hunt_opts *ho, struct mmt_hunt_result *res)
{
	const enum mmt_hunt_engine eng = ho->engine;
	const uint64_t mask = ho->inject, seed = ho->seed;
	const char *inject = ho->inject_name;
	const bool quiet = ho->quiet;
	double t0 = mmt_now(), last = 0, t;
	uint64_t programs = 0, ops_total = 0;
	struct mmt_gen_opts gopts;
	struct mmt_exec_opts opts;
	bool tty = ho->log && isatty(fileno(ho->log)) && !quiet, detected = false;
	unsigned nr_found = 0, nr_saved = 0;
	/* each reproducer as it is written; the result names the first */
	char path[sizeof(res->finding)], sig[sizeof(res->sig)];
	double ttd = 0, t_first = 0;
	int gen;
	/* random-bytes: one stream for the whole run, so seeds do not overlap */
	uint64_t stream = seed;
	uint8_t input[MMT_CAMPAIGN_MAX_LEN];
	size_t input_len = 0;
	const int pct_runs = mmt_fuzz_pct_runs();

	path[0] = sig[0] = 0;
	mmt_gen_opts_default(&gopts);
	gopts.nr_tasks = engine_tasks(ho);
	if (ho->nr_ops)
		gopts.nr_ops = ho->nr_ops;
	mmt_exec_opts_default(&opts);
	opts.inject = mask;
	opts.lenient_schedule = true;
	opts.check_mode = ho->check;
	if (eng == MMT_HUNT_RANDOM_BYTES) {
		/* as fuzz/harness.c: decoded programs end anywhere, so tear down */
		opts.check_each_op = true;
		opts.stop_on_violation = true;
		opts.teardown = true;
	}
	gen = ho->gen >= 0 ? (int)ho->gen : eng == MMT_HUNT_NAIVE ? MMT_HUNT_GEN_RANDOM :
					    eng == MMT_HUNT_EXPLORE ? MMT_HUNT_GEN_PAIRS :
								      MMT_HUNT_GEN_MIX;
	for (uint64_t k = 0;; k++) {
		/*
		 * A program seed, hashed from the hunt's seed and k so that
		 * hunts with nearby seeds share no programs (seed + k made
		 * --seed 3 the programs of --seed 1 shifted by two); for
		 * random-bytes, the input's number.
		 */
		uint64_t st = seed + k * 0x9e3779b97f4a7c15ull;
		uint64_t s = eng == MMT_HUNT_RANDOM_BYTES ? k : mmt_splitmix64(&st);
		bool race = (gen == MMT_HUNT_GEN_RACE || (gen == MMT_HUNT_GEN_MIX && (k & 1))) &&
			    gopts.nr_tasks > 1;
		bool device = (gen == MMT_HUNT_GEN_DEVICE || (gen == MMT_HUNT_GEN_MIX && k % 8 == 7)) &&
			      gopts.nr_tasks > 1;
		bool pairs = gen == MMT_HUNT_GEN_PAIRS && gopts.nr_tasks > 1;
		struct mmt_pair_info pinfo = { 0 };
		struct mmt_decider_random dr;
		struct mmt_decider_pct dp;
		struct mmt_exec_result r;
		struct mmt_program p;
		bool ran = false;
		int err;

		t = mmt_now() - t0;
		if (t >= ho->budget || (ho->runs && programs >= ho->runs))
			break;
		if (!quiet && t - last >= (tty ? 0.5 : 5.0)) {
			last = t;
			say(ho, "%shunt: %.1fs  programs %" PRIu64 "  ops %" PRIu64
			    "  ops/s %.0f  findings %u%s", tty ? "\r" : "", t, programs,
			    ops_total, t > 0 ? ops_total / t : 0.0, nr_found, tty ? "" : "\n");
		}
		if (eng == MMT_HUNT_RANDOM_BYTES) {
			/* run exactly as the harness runs an input (fuzzrun.h) */
			struct mmt_fuzz_run fr = { .max_tasks = (int)gopts.nr_tasks,
						   .pct_runs = pct_runs, .exec = &opts };

			input_len = random_input(&stream, input);
			err = mmt_fuzz_run(input, input_len, &fr, &p, &r);
			if (err)
				mmt_program_init(&p);
			ran = !err;
		} else {
			mmt_program_init(&p);
			err = pairs ? mmt_gen_pair_race(&p, s, gopts.nr_tasks, &pinfo) :
			      gen == MMT_HUNT_GEN_KSM && gopts.nr_tasks > 1 ?
				      mmt_gen_race_ksm(&p, s, gopts.nr_tasks, 3) :
			      gen == MMT_HUNT_GEN_UFFD && gopts.nr_tasks > 1 ?
				      mmt_gen_race_uffd(&p, s, gopts.nr_tasks, 3) :
			      gen == MMT_HUNT_GEN_SPLIT && gopts.nr_tasks > 1 ?
				      mmt_gen_race_split(&p, s, gopts.nr_tasks, 3) :
			      gen == MMT_HUNT_GEN_KHUGEPAGED && gopts.nr_tasks > 1 ?
				      mmt_gen_race_khugepaged(&p, s, gopts.nr_tasks, 3) :
			      gen == MMT_HUNT_GEN_FORKS ? mmt_gen_forks(&p, s, gopts.nr_ops) :
			      gen == MMT_HUNT_GEN_THP ?
				      mmt_gen_thp(&p, s, gopts.nr_tasks,
						  gopts.nr_tasks > 1 ? 4 : 10) :
			      gen == MMT_HUNT_GEN_MREMAP && gopts.nr_tasks > 1 ?
				      mmt_gen_race_mremap(&p, s, gopts.nr_tasks, 3) :
			      device ? mmt_gen_race_device(&p, s, gopts.nr_tasks, 3) :
			      race ? mmt_gen_race(&p, s, gopts.nr_tasks, 3) :
				     mmt_gen_random(&p, s, &gopts);
		}
		if (err == -EAGAIN) {
			/* no pair in this seed's sequential programs */
			mmt_program_free(&p);
			continue;
		}
		if (err) {
			say(ho, "\nhunt: out of memory\n");
			mmt_program_free(&p);
			return -ENOMEM;
		}
		opts.decider = NULL;
		if (eng == MMT_HUNT_SCHED_RANDOM && gopts.nr_tasks > 1) {
			mmt_decider_random_init(&dr, s * 0x2545f4914f6cdd1dull + 1);
			opts.decider = &dr.d;
		} else if (eng == MMT_HUNT_PCT && gopts.nr_tasks > 1) {
			/* a first run with the default policy gives the run's length */
			struct mmt_exec_opts probe = opts;
			unsigned long steps;
			int depth = ho->depth ? ho->depth : 2 + (int)(s % 3);

			probe.inject = 0;
			mmt_exec(&p, &probe, &r);
			steps = r.nr_schedule > 8 ? r.nr_schedule : 8;
			mmt_exec_result_free(&r);
			mmt_decider_pct_init(&dp, s * 0x2545f4914f6cdd1dull + 1, (int)gopts.nr_tasks,
					     depth, steps);
			opts.decider = &dp.d;
		}
		if (eng == MMT_HUNT_EXPLORE && gopts.nr_tasks > 1) {
			/* every schedule within the bound, up to a cap, pruned by DPOR: a
			 * hunt wants bugs soon and claims nothing (explore.h) */
			struct mmt_explore_opts xo;
			struct mmt_explore_result xr;

			mmt_explore_opts_default(&xo);
			xo.bound = ho->depth ? ho->depth : 2;
			xo.prune = MMT_PRUNE_DPOR;
			xo.max_schedules = MMT_HUNT_EXPLORE_MAX;
			xo.inject = mask;
			xo.setup_ops = pinfo.setup_ops;
			if (ho->budget > t)
				xo.budget = ho->budget - t;
			err = mmt_explore(&p, &xo, &xr);
			if (err == -ENOMEM) {
				say(ho, "\nhunt: out of memory\n");
				mmt_program_free(&p);
				return -ENOMEM;
			}
			programs += xr.runs;
			ops_total += xr.runs * p.nr_ops;
			if (xr.violation) {
				mmt_program_free(&p);
				p = xr.prog;	/* with the schedule that failed */
				r = xr.run;
			} else {
				memset(&r, 0, sizeof(r));
				mmt_explore_result_free(&xr);
			}
			goto judge;
		}
		if (!ran)
			mmt_exec(&p, &opts, &r);
		programs++;
		ops_total += r.ops_done;
judge:
		if (r.status == EXEC_VIOLATION) {
			char how[256];
			int saved;

			if (!nr_found++)
				t_first = mmt_now() - t0;
			if (mask && !passes_without(&p, &r, &opts)) {
				if (!quiet)
					say(ho, "%shunt: %s %" PRIu64 " fails without the bug "
					    "too (%s): a model bug, not %s\n", tty ? "\n" : "",
					    eng == MMT_HUNT_RANDOM_BYTES ? "input" : "seed", s,
					    mmt_invariant_name(r.violation.inv), inject);
				goto next;
			}
			ttd = mmt_now() - t0;
			if (eng == MMT_HUNT_RANDOM_BYTES)
				snprintf(how, sizeof(how), "found by mmtorture hunt --engine %s --seed %"
					 PRIu64 " (input %" PRIu64 ", %zu random bytes decoded with "
					 "up to %u tasks) after %.3fs", engine_names[eng], seed, s,
					 input_len, gopts.nr_tasks, ttd);
			else
				snprintf(how, sizeof(how), "found by mmtorture hunt --engine %s --seed %"
					 PRIu64 " (program seed %" PRIu64 ", %s, %u tasks) after %.3fs",
					 engine_names[eng], seed, s,
					 pairs ? "generic pair race" :
					 gen == MMT_HUNT_GEN_KSM && gopts.nr_tasks > 1 ?
					 "KSM race template" :
					 gen == MMT_HUNT_GEN_UFFD && gopts.nr_tasks > 1 ?
					 "UFFDIO_MOVE race template" :
					 gen == MMT_HUNT_GEN_SPLIT && gopts.nr_tasks > 1 ?
					 "split race template" :
					 gen == MMT_HUNT_GEN_KHUGEPAGED && gopts.nr_tasks > 1 ?
					 "khugepaged race template" :
					 gen == MMT_HUNT_GEN_FORKS ? "fork-tree template" :
					 gen == MMT_HUNT_GEN_THP ? "PMD THP template" :
					 gen == MMT_HUNT_GEN_MREMAP && gopts.nr_tasks > 1 ?
					 "mremap race template" :
					 device ? "device race template" : race ? "race template" :
					 "uniform", gopts.nr_tasks, ttd);
			if (tty)
				say(ho, "\n");
			saved = nr_saved < 20 ?
				save_minimized(ho->out_dir, inject ? inject : "hunt", &p, &r, mask,
					       inject, how, path, sizeof(path), sig,
					       sizeof(sig)) : -1;
			if (saved == 1) {
				if (!quiet)
					say(ho, "hunt: %s %" PRIu64 " fails without the bug "
					    "too once written down: a model bug, not %s\n",
					    eng == MMT_HUNT_RANDOM_BYTES ? "input" : "seed", s,
					    inject);
				goto next;
			}
			if (!saved && !nr_saved++) {
				snprintf(res->finding, sizeof(res->finding), "%s", path);
				snprintf(res->sig, sizeof(res->sig), "%s", sig);
			}
			if (!quiet)
				say(ho, "hunt: %s %" PRIu64 ": %s: %s %s -> %s\n",
				    eng == MMT_HUNT_RANDOM_BYTES ? "input" : "seed", s,
				    mmt_invariant_name(r.violation.inv), r.violation.object,
				    r.violation.msg, path);
			if (mask) {
				detected = true;
				mmt_exec_result_free(&r);
				mmt_program_free(&p);
				break;
			}
		}
next:
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
	}
	t = mmt_now() - t0;
	if (tty)
		say(ho, "\n");
	say(ho, "hunt: %s, %.1fs, %" PRIu64 " programs, %" PRIu64 " ops, %.0f ops/s, "
	    "%u finding%s", engine_names[eng], t, programs, ops_total,
	    t > 0 ? ops_total / t : 0.0, nr_found, nr_found == 1 ? "" : "s");
	if (nr_found && !mask)
		say(ho, ", the first after %.3fs", t_first);
	say(ho, "\n");
	res->execs = programs;
	res->ops = ops_total;
	if (mask) {
		if (detected)
			say(ho, "hunt: %s found after %.3fs (%" PRIu64 " programs): %s\n",
			    inject, ttd, programs, res->finding);
		else
			say(ho, "hunt: %s not found within %.1fs\n", inject, ho->budget);
		res->found = detected;
		res->seconds = detected ? ttd : t;
		return 0;
	}
	/* the time to the first finding, as with a bug to find; else the whole hunt */
	res->found = nr_found > 0;
	res->seconds = nr_found ? t_first : t;
	return 0;
}

/* libfuzzer, afl: a campaign in a fresh work dir, ended by its first finding */
static int hunt_fuzzer(const struct mmt_hunt_opts *ho, struct mmt_hunt_result *res)
{
	struct mmt_campaign_opts co = {
		.libfuzzer = ho->engine == MMT_HUNT_LIBFUZZER, .afl = ho->engine == MMT_HUNT_AFL,
		.custom_mutator = ho->custom_mutator, .hunt = true, .jobs = ho->jobs,
		.tasks = (int)engine_tasks(ho), .budget = ho->budget, .seed = ho->seed,
		.inject = ho->inject, .inject_name = ho->inject_name, .log = ho->log,
		.quiet = ho->quiet,
	};
	struct mmt_campaign_result cr;
	const char *name = engine_names[ho->engine];
	char work[PATH_MAX], bin[PATH_MAX];
	int ret;

	mmt_campaign_locate(&co.fe);
	/* libFuzzer: the build's two variants, with and without the mutator */
	if (co.libfuzzer &&
	    mmt_find_next_to_self(ho->custom_mutator ? "mmt_fuzz-custom" : "mmt_fuzz-stock", true,
				  bin, sizeof(bin)))
		snprintf(co.fe.libfuzzer, sizeof(co.fe.libfuzzer), "%s", bin);
	if ((co.libfuzzer && !co.fe.libfuzzer[0]) ||
	    (co.afl && (!co.fe.afl[0] || !mmt_campaign_have_afl_fuzz()))) {
		say(ho, "mmtorture: hunt: no %s front end next to %s (not built here?)\n", name,
		    mmt_self_dir());
		return -ENOENT;
	}
	/* a fresh work dir for each hunt: time-to-detect starts from the seeds */
	snprintf(work, sizeof(work), "%s/.hunt-%s-%d", ho->out_dir, name, (int)getpid());
	mmt_remove_tree(work);
	co.dir = work;
	ret = mmt_campaign_run(&co, &cr);
	res->found = cr.hunt_found;
	res->seconds = cr.hunt_found ? cr.hunt_seconds : cr.elapsed;
	res->execs = cr.execs;
	if (cr.hunt_found && cr.last.sig[0]) {
		char dst[PATH_MAX + 128], fsig[MMT_SIG_MAX];

		snprintf(fsig, sizeof(fsig), "%s", cr.last.sig);
		for (char *s = fsig; *s; s++)
			if (*s == '/')
				*s = '-';
		snprintf(dst, sizeof(dst), "%s/%s-%s.mmt", ho->out_dir, ho->inject_name, fsig);
		if (rename(cr.last.path, dst) == 0)
			snprintf(res->finding, sizeof(res->finding), "%s", dst);
		else
			snprintf(res->finding, sizeof(res->finding), "%s", cr.last.path);
		snprintf(res->sig, sizeof(res->sig), "%s", cr.last.sig);
	}
	if (!getenv("MMT_KEEP_WORK"))
		mmt_remove_tree(work);
	if (ret == 2)
		return -ENOENT;
	if (res->found)
		say(ho, "hunt: %s found after %.3fs (%llu execs): %s\n", ho->inject_name,
		    res->seconds, res->execs, res->finding);
	else
		say(ho, "hunt: %s not found within %.1fs\n", ho->inject_name, ho->budget);
	return 0;
}

int mmt_hunt(const struct mmt_hunt_opts *o, struct mmt_hunt_result *res)
{
	unsigned tasks = engine_tasks(o);

	memset(res, 0, sizeof(*res));
	if (is_fuzzer(o->engine) && !o->inject)
		return -EINVAL;
	if (!o->quiet)
		say(o, "hunt: engine %s, seed %" PRIu64 ", budget %.1fs, %u task%s%s%s\n",
		    engine_names[o->engine], o->seed, o->budget, tasks, tasks > 1 ? "s" : "",
		    o->inject_name ? ", inject " : "", o->inject_name ? o->inject_name : "");
	if (is_fuzzer(o->engine))
		return hunt_fuzzer(o, res);
	return hunt_inprocess(o, res);
}

void mmt_hunt_print_result(FILE *f, const struct mmt_hunt_opts *o,
			   const struct mmt_hunt_result *res)
{
	fprintf(f, "hunt-result: {\"engine\": \"%s\", \"inject\": \"%s\", \"found\": %s, "
		"\"seconds\": %.3f, \"execs\": %llu, \"finding\": \"%s\", \"signature\": \"%s\"}\n",
		mmt_hunt_engine_name(o->engine), o->inject && o->inject_name ? o->inject_name : "",
		res->found ? "true" : "false", res->seconds, res->execs, res->finding, res->sig);
	fflush(f);
}
