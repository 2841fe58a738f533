/* SPDX-License-Identifier: MIT */
/*
 * triage.h - from a crash input to a finding: what the campaign does with
 * every file an engine saves.
 *
 * A crash input (fuzzer bytes) is run again here the way the harness ran it
 * (mmt_fuzz_reproduce), so that what an engine saw is confirmed by the
 * model and not taken on trust.  Then:
 *
 * One bug, one finding.  A bug shows itself to whatever op runs next, so
 * the engines save one crash input per op that happened to observe it.
 * Each is minimized (minimize.h) until only what breaks the state is left,
 * and findings are deduplicated by the signature of that minimized form,
 * the root cause (INVARIANT/PLACE/BREAKER), not by the op that observed it.
 * Inputs with the root cause of a known finding are its examples: the
 * first input of each distinct observation (mmt_signature_observed) is kept
 * in DIR/findings/NAME.examples/, and one observed again is counted without
 * minimizing it again.
 *
 * Attribution.  Under an injected bug a finding is the bug's only if it
 * fails with the bugs and passes without them in exactly the form written
 * to disk: the file is printed, parsed back and replayed both ways
 * (mmt_attribute, and again from the file once written).  If the minimized
 * form fails without the bugs the unminimized one is tried; if that fails
 * without them too, the finding is the model's own, a clean-model finding:
 * minimized with no bug on, written as DIR/findings/clean-NAME.mmt with a
 * header that says so, and never reported as the injected bug's.  A hunt
 * (attribute) drops clean-model findings instead of writing them.  Without
 * an injected bug every finding is a clean-model one, named NAME.mmt.
 *
 * The state lives in DIR so that a campaign can stop at any point and
 * resume: DIR/processed lists the crash inputs handled (one key a line,
 * appended and fsynced as each is done); every finding carries "# campaign
 * signature SIG", "# campaign kind injected|clean-model", "# campaign
 * observed OBS" (and "# campaign found-at WALL") header lines, and every example "# campaign example of
 * SIG" and "# campaign observed OBS", read back by mmt_triage_open.
 */
#ifndef MMT_TRIAGE_H
#define MMT_TRIAGE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmt/minimize.h"
#include "mmt/program.h"

#define MMT_TRIAGE_MAX_FINDINGS	256
#define MMT_TRIAGE_MAX_SEEN	65536
#define MMT_TRIAGE_KEY_MAX	256
#define MMT_TRIAGE_MAX_OBSERVED	4096

enum mmt_finding_kind {
	MMT_FINDING_INJECTED,	/* fails with the bugs injected, passes without, as written */
	MMT_FINDING_CLEAN,	/* fails with no bug injected: the model's own bug */
};

/* "injected", "clean-model" */
const char *mmt_finding_kind_name(enum mmt_finding_kind kind);

struct mmt_finding {
	char sig[MMT_SIG_MAX];	/* root cause (minimize.h) */
	char path[PATH_MAX];
	char engine[16];	/* what found it; "earlier" for one loaded from DIR */
	double t;		/* seconds into the campaign; -1 for an earlier one */
	enum mmt_finding_kind kind;
	unsigned examples;	/* other crash inputs with this root cause (DIR's and this run's) */
};

/* an observation already settled: its crash inputs are examples of finding @finding */
struct mmt_observed {
	char sig[MMT_SIG_MAX];	/* mmt_signature_observed */
	bool clean;		/* it failed with the bugs off too */
	int finding;		/* index into found[] */
};

struct mmt_triage_opts {
	const char *dir;		/* the campaign's directory */
	int tasks;			/* crash inputs decode with up to this many tasks */
	uint64_t inject;		/* the bugs on in the engines */
	const char *inject_name;	/* their names, for the headers; NULL: none */
	/*
	 * Drop a crash that fails with the bugs off too, or whose written form
	 * does: a hunt wants the bug it injected, not a model bug that happens
	 * to fire first.  Otherwise such a crash is a clean-model finding.
	 */
	bool attribute;
	unsigned max_runs;		/* per minimization (0: mmt_minimize's default) */
};

struct mmt_triage {
	struct mmt_triage_opts o;
	char dir[PATH_MAX];
	/* the findings known: loaded from DIR first, then the new ones */
	struct mmt_finding found[MMT_TRIAGE_MAX_FINDINGS];
	int nfound;
	int nnew;		/* new findings, of both kinds */
	int nnew_clean;		/* ...of which clean-model ones */
	/* observations settled (malloc'd) */
	struct mmt_observed *obs;
	size_t nobs;
	/* the crash inputs processed (keys), as in DIR/processed */
	char (*seen)[MMT_TRIAGE_KEY_MAX];
	size_t nseen;
	/*
	 * Counts over mmt_triage_crash calls: dups are examples of a known
	 * finding; unattributed failed without the bugs injected (as they ran,
	 * or as written), whether dropped (attribute) or clean-model findings.
	 */
	unsigned crashes, dups, unrepro, unattributed;
	/*
	 * The wall-clock time (s since the epoch) of t = 0, set by the
	 * campaign: a finding then carries "# campaign found-at WALL", when
	 * its engine saved its input, which orders findings across resumed
	 * runs and merged campaigns (report.h).  0: no such line.
	 */
	double wall0;
};

/*
 * Start triage in @o->dir (which need not exist yet): the keys in
 * DIR/processed and the signatures of the findings in DIR/findings are
 * loaded, so a resumed campaign neither redoes an input nor reports a
 * finding again.
 * 0, or -1 out of memory.
 */
int mmt_triage_open(struct mmt_triage *t, const struct mmt_triage_opts *o);
void mmt_triage_close(struct mmt_triage *t);

/* has the crash input @key been processed (in this campaign or an earlier one)? */
bool mmt_triage_seen(const struct mmt_triage *t, const char *key);
/* record @key as processed, in memory and in DIR/processed */
void mmt_triage_mark_seen(struct mmt_triage *t, const char *key);
/* is there a finding with signature @sig (of either kind)? */
bool mmt_triage_known(const struct mmt_triage *t, const char *sig);

enum mmt_triage_verdict {
	MMT_TRIAGE_NEW,			/* a new finding (report.kind): minimized and written */
	MMT_TRIAGE_DUPLICATE,		/* its root cause is known: an example of that finding */
	MMT_TRIAGE_UNREPRODUCIBLE,	/* it does not fail here, or not as written (report.why) */
	MMT_TRIAGE_UNATTRIBUTED,	/* fails with the bugs off too (dropped: attribute) */
	MMT_TRIAGE_UNREADABLE,		/* the file cannot be read */
	MMT_TRIAGE_WRITE_ERROR,		/* report.path cannot be written (report.why) */
	MMT_TRIAGE_NOMEM,		/* out of memory; not marked processed */
};

struct mmt_triage_report {
	enum mmt_triage_verdict verdict;
	enum mmt_finding_kind kind;	/* NEW, DUPLICATE: the finding's */
	char sig[MMT_SIG_MAX];		/* the finding's root cause (NEW, DUPLICATE) */
	char observed[MMT_SIG_MAX];	/* what the run showed, when it failed */
	char path[PATH_MAX + 160];	/* the finding (NEW, DUPLICATE, WRITE_ERROR) */
	char why[512];
};

/*
 * Triage the crash input in file @path, known as @key ("ENGINE/NAME", what
 * DIR/processed records), found by @engine @t seconds into the campaign.
 * Every verdict but NOMEM marks @key processed.  A violation that fails
 * without the bugs too counts in ->unattributed and, unless o.attribute,
 * becomes or joins a clean-model finding.
 */
enum mmt_triage_verdict mmt_triage_crash(struct mmt_triage *t, const char *path,
					 const char *key, const char *engine, double t_found,
					 struct mmt_triage_report *rep);

/*
 * Settle a failing program into the form a finding is written in, and say
 * whose bug it is.  @p carries the schedule of its failing run (fuzzer
 * teardown or not: a form that needs it gets explicit exits and swapoffs).
 * @clean_passes: @p, as the engine ran it, passed with the bugs off.
 *
 * With bugs in @inject and @clean_passes, @p is minimized with them on
 * (every step passing with them off, mmt_min_opts.attribute), and the form
 * is theirs if, printed and parsed back, it fails with them under a strict
 * replay and passes without; else the unminimized form is tried the same
 * way.  Otherwise (no bugs, @p fails without them, or a written form did)
 * the finding is the model's: minimized with no bug on, and it must fail
 * with none.  @mo: max_runs and log; its inject and attribute are set here.
 * Returns 0 with @a filled (free with mmt_attribution_free), -1 if no
 * written form fails as it must, or -ENOMEM.
 */
struct mmt_attribution {
	enum mmt_finding_kind kind;
	struct mmt_program prog;	/* the form to write */
	bool minimized;			/* else the program as it ran */
	char sig[MMT_SIG_MAX];		/* prog's root cause, as it replays */
	struct mmt_violation violation;	/* what prog's replay reports */
	size_t ops_before, ops_after;
	unsigned switches_before, switches_after;
	char note[256];			/* why the minimized form was not kept; "" if it was */
};

int mmt_attribute(const struct mmt_program *p, uint64_t inject, bool clean_passes,
		  const struct mmt_min_opts *mo, struct mmt_attribution *a);
void mmt_attribution_free(struct mmt_attribution *a);

/*
 * The finding file @path as written: it parses, and replayed strictly it
 * fails with @inject and passes without (INJECTED), or fails with no bug
 * at all (CLEAN).  0 with its signature in @sig, or -1 with the reason in
 * @why.
 */
int mmt_check_finding(const char *path, uint64_t inject, enum mmt_finding_kind kind,
		      char *sig, size_t siglen, char *why, size_t whylen);

/*
 * A finding's text: "mmt 1", then @header (comment lines, each ending in a
 * newline), then @p as mmt_print writes it.  malloc'd, or NULL.
 */
char *mmt_finding_text(const char *header, const struct mmt_program *p);

/* mmt_finding_text written with mmt_write_atomic; 0, or -1 with errno */
int mmt_write_finding(const char *path, const char *header, const struct mmt_program *p);

#endif /* MMT_TRIAGE_H */
