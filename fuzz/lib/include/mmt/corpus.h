/* SPDX-License-Identifier: MIT */
/*
 * corpus.h - a campaign's corpus and findings between runs: shrinking the
 * corpus, replaying all of it as a regression check, and merging the
 * campaigns of several machines into one.
 *
 * A campaign directory (campaign.h) holds DIR/corpus/libfuzzer (libFuzzer's
 * corpus), DIR/afl/NAME/queue (each AFL++ instance's), DIR/findings (one
 * file per root cause, named by its signature) and DIR/summary.json, whose
 * "tasks" and "inject" say how the inputs decode and run.
 *
 * Minimizing.  libFuzzer's corpus only grows; `-merge=1` keeps the inputs
 * that together reach every feature the whole corpus reaches.  It is run
 * into DIR/corpus/libfuzzer.min, then swapped in by two renames (the old
 * set goes to libfuzzer.old and is removed); a minimization killed half
 * way leaves the old corpus in place, or libfuzzer.old and no corpus, and
 * the next minimization puts that back first.  An AFL++ instance's queue
 * belongs to afl-fuzz, so afl-cmin writes the smallest set covering all
 * its instances' queues to DIR/corpus/afl, which a later campaign takes
 * with --corpus DIR/corpus/afl.
 *
 * Checking.  Every corpus input (DIR/corpus/ and the AFL++ queues) is
 * replayed the way the harness runs it, with no bug injected: a violation
 * is a bug of the model, the corpus input its reproducer.  Every finding
 * is replayed from its file: an injected-bug finding must still fail with
 * its bug (named in its "# replay:" line) and pass without it; a
 * clean-model finding failing still is a model bug not yet fixed, and one
 * that passes is reported as fixed.  A signature that changed (the PLACE
 * of INVARIANT/PLACE is a line number) is reported, not counted as a
 * failure.
 *
 * Merging.  Findings from another campaign's DIR/findings whose signature
 * DIR does not know are verified here (they must replay as their kind
 * says, mmt_check_finding) and written atomically under their own name
 * (the name is the signature), with their examples; known signatures are
 * skipped, so merging twice, or merging campaigns that found the same bug,
 * adds nothing.  The other campaign's libFuzzer corpus is merged with
 * `-merge=1` (only inputs with new features are added).
 */
#ifndef MMT_CORPUS_H
#define MMT_CORPUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* how a campaign's inputs run, from DIR/summary.json (tasks 1, no bugs if absent) */
struct mmt_campaign_settings {
	int tasks;
	int afl_tasks;		/* AFL++'s inputs ("afl_tasks"; tasks if absent) */
	char inject[256];	/* "": none */
	uint64_t inject_mask;
};

void mmt_campaign_settings_read(const char *dir, struct mmt_campaign_settings *s);

struct mmt_corpus_min_result {
	unsigned lf_before, lf_after;		/* files in DIR/corpus/libfuzzer */
	unsigned afl_before, afl_after;		/* files in the queues, in DIR/corpus/afl */
};

/*
 * Minimize DIR's corpora with @libfuzzer (mmt_fuzz) and @afl (mmt_fuzz_afl,
 * through afl-cmin; NULL or "": skipped), each running as @s says.  Their
 * output goes to DIR/logs/corpus-minimize.log.  0, or -1 if a tool failed
 * (the corpus is then left as it was).
 */
int mmt_corpus_minimize(const char *dir, const char *libfuzzer, const char *afl,
			const struct mmt_campaign_settings *s, FILE *log,
			struct mmt_corpus_min_result *res);

struct mmt_corpus_check_result {
	unsigned inputs, input_violations;
	unsigned findings, findings_ok, findings_lost;	/* lost: no longer reproduce */
	unsigned clean_failing, clean_fixed;		/* clean-model findings */
	unsigned sig_changed;
};

/*
 * The regression check above over DIR, each input decoded with @s->tasks
 * tasks.  One line per problem on @log (and one per fixed finding).
 * Returns 0 if nothing failed, 1 if anything did, -1 if DIR cannot be read.
 */
int mmt_corpus_check(const char *dir, const struct mmt_campaign_settings *s, FILE *log,
		     struct mmt_corpus_check_result *res);

struct mmt_merge_result {
	unsigned added, known, rejected;	/* findings; rejected: do not replay here */
	unsigned examples;			/* example files added */
	unsigned lf_before, lf_after;		/* DIR/corpus/libfuzzer */
};

/*
 * Merge campaign @from into campaign @into as above; @libfuzzer: mmt_fuzz
 * for the corpus (NULL or "": findings only).  0, or -1 if @into cannot
 * be written.
 */
int mmt_campaign_merge(const char *into, const char *from, const char *libfuzzer,
		       const struct mmt_campaign_settings *s, FILE *log,
		       struct mmt_merge_result *res);

#endif /* MMT_CORPUS_H */
