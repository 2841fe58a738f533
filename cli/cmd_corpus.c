// SPDX-License-Identifier: MIT
/*
 * cmd_corpus.c - a campaign directory between runs (fuzz/lib corpus.h):
 *
 *   corpus minimize DIR [--tasks N] [--inject NAME]
 *   corpus check DIR... [--tasks N]
 *   merge DIR OTHER... [--no-corpus]
 *
 * Never while a campaign runs in DIR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "mmt/campaign.h"
#include "mmt/corpus.h"
#include "mmt/fsutil.h"

static const char corpus_help[] =
	"usage: mmtorture corpus minimize DIR [--tasks N] [--inject NAME]\n"
	"       mmtorture corpus check DIR... [--tasks N]\n"
	"\n"
	"A campaign's corpus (mmtorture fuzz --out DIR), between runs.\n"
	"\n"
	"  minimize  DIR/corpus/libfuzzer shrunk with libFuzzer's -merge=1 (swapped in by\n"
	"            renames: a kill leaves the old corpus), and the AFL++ queues in DIR/afl\n"
	"            reduced with afl-cmin to DIR/corpus/afl (for fuzz --corpus)\n"
	"  check     the regression check for CI: every corpus input (DIR/corpus/*, the\n"
	"            AFL++ queues) replayed with no bug injected must pass; every finding\n"
	"            must still fail with its bug and pass without; a clean-model finding\n"
	"            that still fails is a model bug (one that passes is reported fixed)\n"
	"\n"
	"  --tasks N     tasks per input (default: DIR/summary.json's, else 1)\n"
	"  --inject NAME the bugs on while minimizing (default: DIR/summary.json's)\n"
	"\n"
	"exit status: 0 done / all held, 1 a tool failed / something failed the check,\n"
	"2 usage error\n";

static const char merge_help[] =
	"usage: mmtorture merge DIR OTHER... [--no-corpus]\n"
	"\n"
	"Adds to campaign DIR what campaigns OTHER... (other machines') found: each\n"
	"finding whose root-cause signature DIR does not know, verified to replay here\n"
	"and written atomically under its own name, with its examples; known signatures\n"
	"are skipped, so merging again adds nothing.  Their libFuzzer corpora are merged\n"
	"into DIR/corpus/libfuzzer with -merge=1 (only inputs with new coverage), unless\n"
	"--no-corpus.\n"
	"\n"
	"exit status: 0 merged, 1 DIR cannot be written, 2 usage error\n";

static bool is_dir(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

int cmd_corpus(int argc, char **argv)
{
	const char *dirs[64];
	const char *inject = NULL;
	int ndirs = 0, tasks = 0, ret = EXIT_HELD;
	bool check;
	uint64_t v;

	if (wants_help(argc, argv))
		return print_help(corpus_help);
	if (argc < 2 || (strcmp(argv[0], "minimize") && strcmp(argv[0], "check")))
		return usage_error("corpus: expected 'minimize DIR' or 'check DIR...'%s", "");
	check = !strcmp(argv[0], "check");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tasks") && i + 1 < argc) {
			if (parse_u64(argv[++i], &v) || !v || v > MMT_MAX_TASKS)
				return usage_error("--tasks: bad count '%s' (1..8)", argv[i]);
			tasks = (int)v;
		} else if (!strcmp(argv[i], "--inject") && i + 1 < argc && !check) {
			uint64_t mask;

			if (parse_inject(argv[++i], &mask))
				return EXIT_USAGE;
			inject = argv[i];
		} else if (argv[i][0] == '-') {
			return usage_error("corpus: unknown option '%s'", argv[i]);
		} else if (ndirs < 64) {
			if (!is_dir(argv[i]))
				return usage_error("corpus: '%s' is not a directory", argv[i]);
			dirs[ndirs++] = argv[i];
		}
	}
	if (!ndirs || (!check && ndirs != 1))
		return usage_error("corpus: expected %s", check ? "campaign directories" :
				   "one campaign directory");
	for (int i = 0; i < ndirs; i++) {
		struct mmt_campaign_settings s;

		mmt_campaign_settings_read(dirs[i], &s);
		if (tasks)
			s.tasks = s.afl_tasks = tasks;
		if (inject) {
			snprintf(s.inject, sizeof(s.inject), "%s", inject);
			parse_inject(inject, &s.inject_mask);
		}
		if (check) {
			struct mmt_corpus_check_result res;

			if (mmt_corpus_check(dirs[i], &s, stdout, &res))
				ret = EXIT_FAILED;
		} else {
			struct mmt_campaign_frontends fe;
			struct mmt_corpus_min_result res;

			mmt_campaign_locate(&fe);
			if (!fe.libfuzzer[0])
				fprintf(stderr, "corpus: no mmt_fuzz next to %s: libFuzzer's corpus "
					"left as it is\n", mmt_self_dir());
			if (mmt_corpus_minimize(dirs[i], fe.libfuzzer,
						fe.afl[0] && mmt_campaign_have_afl_fuzz() ? fe.afl : "",
						&s, stdout, &res))
				ret = EXIT_FAILED;
		}
	}
	return ret;
}

int cmd_merge(int argc, char **argv)
{
	struct mmt_campaign_frontends fe;
	struct mmt_campaign_settings s;
	const char *into = NULL;
	bool corpus = true;
	int ret = EXIT_HELD, nother = 0;

	if (wants_help(argc, argv))
		return print_help(merge_help);
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--no-corpus"))
			corpus = false;
		else if (argv[i][0] == '-')
			return usage_error("merge: unknown option '%s'", argv[i]);
		else if (!into)
			into = argv[i];
		else if (!is_dir(argv[i]))
			return usage_error("merge: '%s' is not a directory", argv[i]);
		else
			nother++;
	}
	if (!into || !nother)
		return usage_error("merge: expected DIR and at least one OTHER campaign dir%s", "");
	mmt_campaign_locate(&fe);
	mmt_campaign_settings_read(into, &s);
	for (int i = 0; i < argc; i++) {
		struct mmt_merge_result res;

		if (argv[i][0] == '-' || argv[i] == into)
			continue;
		if (mmt_campaign_merge(into, argv[i], corpus ? fe.libfuzzer : NULL, &s, stdout,
				       &res))
			ret = EXIT_FAILED;
	}
	return ret;
}
