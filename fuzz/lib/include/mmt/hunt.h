/* SPDX-License-Identifier: MIT */
/*
 * hunt.h - search until a zoo bug shows up, and say how long it took.
 *
 * A hunt switches one bug of the zoo on (inject.h) and runs an engine
 * until a violation appears that the same program, with the schedule it
 * took, does not show with the bug off; it reports the time to detect and
 * writes the minimized reproducer.  Without a bug, the in-process engines
 * run for the whole budget and write every violation they meet.
 *
 * Engines:
 *   naive         uniform random programs (gen.h), one task unless asked.
 *                 mmt_gen_random's world has two swap devices at most, so
 *                 naive cannot reach swapon-type-overlap, and with one task
 *                 none of the races: it measures throughput, and is no
 *                 baseline for time to detect
 *   sched-random  generated programs with two tasks (by default) under the
 *                 random-walk decider (sched.h)
 *   pct           the same under PCT, the change points drawn over the run's
 *                 length as measured by a first run.  Depth cycles with the
 *                 program seed s, 2 + s % 3 (2, 3, 4), unless .depth fixes
 *                 it: fork-migration-write-flag and mprotect-keeps-write-
 *                 migration need one ordering (depth 2), anon-vma-head-insert
 *                 three switches, none forced by blocking (depth 4).  The
 *                 run is still a function of the seed alone.
 *   random-bytes  the baseline for the fuzzers' time to detect: their own
 *                 input space with the feedback taken away.  Every exec is a
 *                 fresh byte string of uniformly random length
 *                 0..MMT_CAMPAIGN_MAX_LEN (the fuzzers' -max_len) and
 *                 uniformly random bytes, from one splitmix64 stream seeded
 *                 by the seed, run as the harness runs it (mmt_fuzz_run,
 *                 fuzzrun.h: every op checked, stopped at the first
 *                 violation, torn down, the bytes' schedule taken leniently,
 *                 then MMT_FUZZ_PCT PCT schedules).  The ratio of its time
 *                 to detect to a fuzzer's is what coverage feedback and
 *                 mutation buy.
 *   libfuzzer     a campaign (campaign.h) of the libFuzzer harness
 *                 (mmt_fuzz-custom or mmt_fuzz-stock next to this binary,
 *                 else mmt_fuzz), ended by its first finding
 *   afl           the same with the AFL++ harness (mmt_fuzz_afl)
 *   explore       every program (by default a generic race around a pair of
 *                 ops, --gen pairs: pairs.h) searched systematically
 *                 (explore.h) up to .depth preemptions (default 2), at most
 *                 MMT_HUNT_EXPLORE_MAX schedules each; execs counts
 *                 schedules, not programs
 * Programs: naive runs mmt_gen_random's uniform programs; sched-random and
 * pct (with 2 or more tasks) default to MMT_HUNT_GEN_MIX, every other
 * program a race template (mmt_gen_race: one process migrating its pages
 * while the other tasks fork, mprotect, write, unmap, exit; 3 ops per racing
 * task), one in eight of those the device race template instead
 * (mmt_gen_race_device: migrate_vma to the device and back against faults,
 * fork, zap, reclaim), the rest uniform.  The choice never depends on the
 * bug.  --gen pairs (the explore engine's default, and open to sched-random
 * and pct) makes generic races instead: the ops of a sequential run paired
 * by the locks they touch, the long one with yield points as task 0.
 * random-bytes ignores the ops, the generator and the depth: the bytes
 * decide the program and its schedule.
 */
#ifndef MMT_HUNT_H
#define MMT_HUNT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mmt/check.h"
#include "mmt/minimize.h"

enum mmt_hunt_engine {
	MMT_HUNT_NAIVE,
	MMT_HUNT_SCHED_RANDOM,
	MMT_HUNT_PCT,
	MMT_HUNT_RANDOM_BYTES,
	MMT_HUNT_LIBFUZZER,
	MMT_HUNT_AFL,
	MMT_HUNT_EXPLORE,
	NR_MMT_HUNT_ENGINES
};

/* "naive", "sched-random", "pct", "random-bytes", "libfuzzer", "afl", "explore" */
const char *mmt_hunt_engine_name(enum mmt_hunt_engine e);
/* the engine called @name; 0, or -1 if there is none */
int mmt_hunt_engine_parse(const char *name, enum mmt_hunt_engine *e);

/* the fuzzers' task count for @inject: 2 for the zoo's races, else 1 */
int mmt_hunt_default_tasks(uint64_t inject);

enum mmt_hunt_gen {
	MMT_HUNT_GEN_DEFAULT = -1,	/* naive: random; sched-random, pct: mix */
	MMT_HUNT_GEN_RANDOM,
	MMT_HUNT_GEN_RACE,
	MMT_HUNT_GEN_MIX,
	MMT_HUNT_GEN_DEVICE,	/* the device race template (mmt_gen_race_device) */
	MMT_HUNT_GEN_KSM,		/* the KSM race template only (mmt_gen_race_ksm) */
	MMT_HUNT_GEN_PAIRS,		/* generic races around op pairs (pairs.h) */
	MMT_HUNT_GEN_UFFD,	/* the UFFDIO_MOVE race template only (mmt_gen_race_uffd) */
	MMT_HUNT_GEN_FORKS,	/* the fork-tree template, one task (mmt_gen_forks) */
	MMT_HUNT_GEN_MREMAP,	/* the mremap race template only (mmt_gen_race_mremap) */
	MMT_HUNT_GEN_SPLIT,	/* the split race template only (mmt_gen_race_split) */
	MMT_HUNT_GEN_KHUGEPAGED,	/* the khugepaged race template (mmt_gen_race_khugepaged) */
	MMT_HUNT_GEN_THP,	/* the PMD THP template, any task count (mmt_gen_thp) */
};

struct mmt_hunt_opts {
	enum mmt_hunt_engine engine;
	double budget;			/* seconds */
	/*
	 * The whole hunt is a function of it.  The in-process engines run
	 * program k from the program seed splitmix64(seed + (k+1) * gamma),
	 * the k-th output of the splitmix64 stream seeded with it (prng.h):
	 * hunts with nearby seeds run unrelated programs.
	 */
	uint64_t seed;
	uint64_t inject;		/* the bug to find; 0: none (in-process engines only) */
	const char *inject_name;	/* its name: file names, headers, messages */
	unsigned nr_tasks;		/* 0: 2 for sched-random and pct, 1 for naive,
					   mmt_hunt_default_tasks(inject) for the rest */
	unsigned nr_ops;		/* generated programs; 0: gen.h's default */
	const char *out_dir;		/* reproducers go here */
	/* in-process engines */
	int depth;			/* PCT depth; 0: 2 + seed % 3; explore: the
					   preemption bound (0: 2) */
	enum mmt_hunt_gen gen;
	enum mmt_check_mode check;	/* after every op (full: for measuring the checker) */
	uint64_t runs;			/* stop after this many programs; 0: the budget */
	/* fuzzer engines */
	int jobs;
	bool custom_mutator;		/* the structure-aware mutators (mutate.h) */
	/*
	 * Where the hunt's lines go (start, progress, findings, the end); NULL:
	 * nowhere.  @quiet keeps only the end and errors.
	 */
	FILE *log;
	bool quiet;
};

void mmt_hunt_opts_default(struct mmt_hunt_opts *o);

/* schedules the explore engine runs per program at most */
#define MMT_HUNT_EXPLORE_MAX 2000

struct mmt_hunt_result {
	/* with a bug: found within the budget; without: any violation met */
	bool found;
	/* to detection (without a bug: to the first violation), else the whole hunt */
	double seconds;
	unsigned long long execs;	/* programs run (in process), or fuzzer execs */
	unsigned long long ops;		/* ops run (in process) */
	char finding[PATH_MAX];		/* the (first) reproducer written, or "" */
	char sig[MMT_SIG_MAX];		/* its signature, or "" */
};

/*
 * Run a hunt.  0 (whether or not it found anything: see @res), -EINVAL
 * (a fuzzer engine without a bug), -ENOENT (the engine cannot run here: no
 * front end built, or no work dir), -ENOMEM.
 */
int mmt_hunt(const struct mmt_hunt_opts *o, struct mmt_hunt_result *res);

/*
 * The line scripts read (tools/bench.py): "hunt-result: {json}" with the
 * engine, the bug, found, seconds, execs, finding and signature.
 */
void mmt_hunt_print_result(FILE *f, const struct mmt_hunt_opts *o,
			   const struct mmt_hunt_result *res);

#endif /* MMT_HUNT_H */
