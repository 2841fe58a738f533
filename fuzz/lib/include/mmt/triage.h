/* SPDX-License-Identifier: MIT */
/*
 * triage.h - from a crash input to a finding: what the campaign does with
 * every file an engine saves.
 *
 * A crash input (fuzzer bytes) is run again here the way the harness ran it
 * (mmt_fuzz_reproduce), so that what an engine saw is confirmed by the
 * model and not taken on trust; a violation gets its signature
 * (minimize.h), a signature already known is a duplicate, and a new one is
 * minimized and written atomically to DIR/findings/SIGNATURE.mmt with a
 * header that says what fired, how it was found and how to replay it.
 *
 * The state lives in DIR so that a campaign can stop at any point and
 * resume: DIR/processed lists the crash inputs handled (one key a line,
 * appended and fsynced as each is done), and every finding carries its
 * signature in a "# campaign signature SIG" header line, read back by
 * mmt_triage_open.
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

struct mmt_finding {
	char sig[MMT_SIG_MAX];
	char path[PATH_MAX];
	char engine[16];	/* what found it; "earlier" for one loaded from DIR */
	double t;		/* seconds into the campaign; -1 for an earlier one */
};

struct mmt_triage_opts {
	const char *dir;		/* the campaign's directory */
	int tasks;			/* crash inputs decode with up to this many tasks */
	uint64_t inject;		/* the bugs on in the engines */
	const char *inject_name;	/* their names, for the headers; NULL: none */
	/*
	 * Drop a crash that fails with the bugs off too: a hunt wants the bug
	 * it injected, not a model bug that happens to fire first.
	 */
	bool attribute;
};

struct mmt_triage {
	struct mmt_triage_opts o;
	char dir[PATH_MAX];
	/* the findings known: loaded from DIR first, then the new ones */
	struct mmt_finding found[MMT_TRIAGE_MAX_FINDINGS];
	int nfound;
	int nnew;
	/* the crash inputs processed (keys), as in DIR/processed */
	char (*seen)[MMT_TRIAGE_KEY_MAX];
	size_t nseen;
	/* counts over mmt_triage_crash calls */
	unsigned crashes, dups, unrepro, unattributed;
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
/* is there a finding with signature @sig? */
bool mmt_triage_known(const struct mmt_triage *t, const char *sig);

enum mmt_triage_verdict {
	MMT_TRIAGE_NEW,			/* a new finding: minimized and written */
	MMT_TRIAGE_DUPLICATE,		/* its signature is known */
	MMT_TRIAGE_UNREPRODUCIBLE,	/* it does not fail here (report.why says how it ran) */
	MMT_TRIAGE_UNATTRIBUTED,	/* fails with the bugs off too (dropped: attribute) */
	MMT_TRIAGE_UNREADABLE,		/* the file cannot be read */
	MMT_TRIAGE_WRITE_ERROR,		/* report.path cannot be written (report.why) */
	MMT_TRIAGE_NOMEM,		/* out of memory; not marked processed */
};

struct mmt_triage_report {
	enum mmt_triage_verdict verdict;
	char sig[MMT_SIG_MAX];		/* the violation's signature, when there was one */
	char path[PATH_MAX + 160];	/* the finding (NEW, WRITE_ERROR) */
	char why[512];
};

/*
 * Triage the crash input in file @path, known as @key ("ENGINE/NAME", what
 * DIR/processed records), found by @engine @t seconds into the campaign.
 * Every verdict but NOMEM marks @key processed.  A violation that fails
 * without the bugs too counts in ->unattributed and, unless o.attribute,
 * goes on to be a finding like any other.
 */
enum mmt_triage_verdict mmt_triage_crash(struct mmt_triage *t, const char *path,
					 const char *key, const char *engine, double t_found,
					 struct mmt_triage_report *rep);

/*
 * A finding's text: "mmt 1", then @header (comment lines, each ending in a
 * newline), then @p as mmt_print writes it.  malloc'd, or NULL.
 */
char *mmt_finding_text(const char *header, const struct mmt_program *p);

/* mmt_finding_text written with mmt_write_atomic; 0, or -1 with errno */
int mmt_write_finding(const char *path, const char *header, const struct mmt_program *p);

#endif /* MMT_TRIAGE_H */
