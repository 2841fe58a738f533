/* SPDX-License-Identifier: MIT */
/*
 * campaign.h - a fuzzing campaign: the engines, their crash inputs, the
 * findings.
 *
 * libFuzzer runs with -fork=N (crashes, ooms and timeouts do not stop it)
 * and -artifact_prefix=DIR/crashes/libfuzzer/; AFL++ runs one -M main and
 * N-1 -S instances on the shared sync dir DIR/afl, the way a campaign is
 * spread over machines (copy or mount DIR/afl elsewhere and add -S
 * instances there).  Both read the seeds converted at build time and reuse
 * their corpus in DIR when it exists, so a campaign resumes from DIR.
 * Each engine's output goes to DIR/logs/NAME.log.
 *
 * Every crash input is triaged (triage.h) as soon as it appears.  The seed
 * and extra corpus inputs that fail already are triaged first: libFuzzer's
 * fork mode drops them from its corpus without a word.  SIGINT and SIGTERM
 * (handled for the duration of mmt_campaign_run) stop the engines, and then
 * every crash input left is still triaged before the summary, so no finding
 * is lost.  At the end DIR/summary.json holds the totals.
 *
 * Engines die with the campaign, however it dies.  Each engine runs under
 * a guard: a forked copy of the campaign that leads the engine's process
 * group, is a child subreaper (PR_SET_CHILD_SUBREAPER) and the engine's
 * parent, and holds the read end of a lifeline pipe whose write end only
 * the campaign holds (close-on-exec for the engines, closed by hand in the
 * other guards).  When the campaign exits or is killed, SIGKILL included,
 * the kernel closes that end, the guard reads EOF and SIGKILLs every
 * process below it, found through /proc, until none is left; an orphan
 * anywhere in the tree is reparented to the guard, so a descendant that
 * left the group or the session (afl-fuzz's fork server calls setsid) is
 * still found.  The engine also has PR_SET_PDEATHSIG(SIGKILL) in case the
 * guard itself is killed.  No single mechanism would do: PDEATHSIG covers
 * a direct child only, and libFuzzer's -fork workers are its grandchildren
 * (through sh -c); killing the process group misses what setsid() left; a
 * subreaper alone dies with the campaign.  When the campaign stops the
 * engines itself, it sends SIGTERM to each group (the guards ignore it) so
 * that they end cleanly, and after 10 s closes the lifelines.
 *
 * Killed at any moment and resumed from DIR, a campaign has lost no finding
 * it reported: a finding is printed only after triage has written it
 * (atomically, then fsynced with its directory), and a crash input is
 * marked in DIR/processed only after its finding is written, so an input
 * half triaged is triaged again (a finding already written comes back as
 * a duplicate of itself, not a second file).  At start the campaign clears
 * what a kill leaves half done: temporary files of atomic writes, a last
 * line of DIR/processed without its newline, libFuzzer's scratch space.
 *
 * The time series.  At each tick (every second for the first minute, then
 * every 5 s, and once at the end) one line per engine is appended to
 * DIR/timeseries.csv (MMT_TIMESERIES_HEADER): the wall-clock time, the
 * seconds into this run, the engine, its executions, executions per
 * second over the last tick, coverage (libFuzzer's cov, AFL++'s edges),
 * the findings it made in this run, all findings known, crash inputs.
 * Each line goes out in one write(2) on an O_APPEND descriptor; a line cut
 * short by a crash is removed when the campaign resumes, and readers skip
 * a last line without its newline.  A resumed campaign appends, so the
 * wall clock, not the seconds column, orders a campaign's whole history
 * (report.h).
 *
 * Executions are counted as the engines run: libFuzzer's fork mode reports
 * them only as each job ends (jobs run up to 300 s), so the running jobs'
 * logs are read too (fork mode works in DIR/tmp, through TMPDIR); AFL++
 * rewrites fuzzer_stats once a minute, so each instance also sends its
 * statsd metrics (AFL_STATSD) to a UDP socket of the campaign on 127.0.0.1.
 */
#ifndef MMT_CAMPAIGN_H
#define MMT_CAMPAIGN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mmt/decode.h"
#include "mmt/triage.h"

/*
 * The longest input an engine is given (-max_len): the header, every op
 * record and 256 bytes of schedule records.  The random-bytes hunt draws
 * from the same space.
 */
#define MMT_CAMPAIGN_MAX_LEN	(2 + MMT_DECODE_RECORD * MMT_DECODE_MAX_OPS + 256)

#define MMT_TIMESERIES_HEADER \
	"wall,elapsed,engine,execs,execs_per_s,coverage,findings,all_findings,crashes"

/* what the build puts next to mmtorture; "" for what is not there */
struct mmt_campaign_frontends {
	char libfuzzer[PATH_MAX];	/* mmt_fuzz */
	char afl[PATH_MAX];		/* mmt_fuzz_afl */
	char afl_mutator[PATH_MAX];	/* libmmt_afl_mutator.so */
	char seeds[PATH_MAX];		/* fuzz/seeds: the seed corpus as bytes */
	char dict[PATH_MAX];		/* fuzz/mmt.dict */
};

/* fill @fe from the directory of the running binary */
void mmt_campaign_locate(struct mmt_campaign_frontends *fe);

/* is afl-fuzz in PATH?  (the AFL++ harness alone is not enough) */
bool mmt_campaign_have_afl_fuzz(void);

struct mmt_campaign_opts {
	/* the engines; with neither, only the seed and extra corpus inputs are triaged */
	bool libfuzzer, afl;
	struct mmt_campaign_frontends fe;
	bool custom_mutator;		/* AFL++: load fe.afl_mutator */
	/*
	 * A hunt: the harness aborts only on violations that go away with the
	 * bugs off (MMT_FUZZ_ATTRIBUTE=1), triage drops the others, and the
	 * campaign ends at its first finding.
	 */
	bool hunt;
	int jobs;			/* libFuzzer -fork=N, or AFL++ instances; split for both */
	int tasks;			/* MMT_FUZZ_TASKS for the harness, and triage's */
	/*
	 * AFL++'s tasks when they differ from libFuzzer's (0: @tasks).  A
	 * campaign of both engines can so spread over task counts: races need
	 * two tasks, while one-task bugs are found much sooner by inputs that
	 * never carry a schedule (README Benchmarks, "The default campaign").
	 */
	int afl_tasks;
	double budget;			/* seconds */
	long runs;			/* > 0: libFuzzer alone, no fork mode, exactly this many inputs */
	uint64_t seed;
	uint64_t inject;		/* the zoo bugs on (MMT_INJECT) */
	const char *inject_name;	/* their names; NULL: none */
	const char *dir;		/* everything goes here */
	const char *extra_corpus;	/* another input dir; NULL: none */
	/*
	 * Several machines, one AFL++ campaign: @afl_sync is the sync dir
	 * (NULL: DIR/afl), shared with the other machines (NFS, or rsync in
	 * both directions); with @afl_name every instance of this campaign is
	 * a secondary, -S NAME, -S NAME-s1, ..., and only they are triaged
	 * here.  Without it this campaign runs -M main and -S sN.
	 */
	const char *afl_sync;
	const char *afl_name;
	/*
	 * Where the campaign's lines go: the start line, the progress line
	 * (updated in place if @log is a TTY, else a line every 10 s), each
	 * finding, the summary, warnings.  NULL: nowhere.  @quiet keeps only
	 * warnings and errors.
	 */
	FILE *log;
	bool quiet;
};

struct mmt_campaign_result {
	double elapsed;			/* seconds */
	unsigned long long execs;	/* done by the engines (campaign.h says how counted) */
	unsigned crashes, duplicates, unreproducible, unattributed;
	int new_findings;
	bool interrupted;		/* SIGINT or SIGTERM */
	bool hunt_found;		/* a hunt: it found what it was after... */
	double hunt_seconds;		/* ...this many seconds in */
	struct mmt_finding last;	/* the newest finding (sig "" if none) */
};

/*
 * Run a campaign until the budget is spent, the engines stop, a signal, or
 * (a hunt) the first finding.  Returns the exit status the commands give:
 * 0 nothing new found, 1 a new finding written (or no engine could be
 * started), 2 DIR cannot be made.  @res is filled in every case.
 */
int mmt_campaign_run(const struct mmt_campaign_opts *o, struct mmt_campaign_result *res);

#endif /* MMT_CAMPAIGN_H */
