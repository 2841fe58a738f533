// SPDX-License-Identifier: MIT
/*
 * test_triage.c - one bug, one finding; and a finding is the injected
 * bug's only if it is, as written.  Driven through triage.h and campaign.h
 * without the CLI and without spawning a fuzzer.
 *
 * Two zoo bugs are on at once: fork-migration-write-flag (EXCLUSIVE) and
 * mprotect-keeps-write-migration (PROT).  The crash inputs are their zoo
 * reproducers as fuzzer bytes, plus variants whose later ops observe the
 * broken state instead (a read, an mmap after the race), as an engine
 * saves one input per op that happens to see it.  By the op that saw
 * them they are several; by root cause they are two findings, and every
 * other input is an example of one of them.
 *
 * A bug of the model itself is simulated by switching a zoo bug on through
 * $MMT_INJECT, which every run sees, including the ones "without the bugs":
 * an input that shows it, triaged under another injected bug, must become
 * a clean-model finding (clean-NAME.mmt, a header that says so, replayed
 * without --inject), or be dropped by a hunt, and never be attributed.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_test.h"
#include "mmt/campaign.h"
#include "mmt/decode.h"
#include "mmt/exec.h"
#include "mmt/fsutil.h"
#include "mmt/inject.h"
#include "mmt/minimize.h"
#include "mmt/program.h"
#include "mmt/triage.h"

#define FMW		"fork-migration-write-flag"
#define MKW		"mprotect-keeps-write-migration"
#define FMW_MASK	(1ull << BUG_FORK_MIGRATION_WRITE_FLAG)
#define MKW_MASK	(1ull << BUG_MPROTECT_KEEPS_WRITE_MIGRATION)

static char dir[PATH_MAX];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/test_triage.XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	unsetenv("MMT_INJECT");
}

static void teardown(void)
{
	unsetenv("MMT_INJECT");
	mmt_remove_tree(dir);
}

static void path_in(char *buf, size_t len, const char *name)
{
	ck_assert_int_lt(snprintf(buf, len, "%s/%s", dir, name), (int)len);
}

/*
 * A variant of corpus/zoo/@bug.mmt: its op line @from replaced by @to (""
 * drops it, NULL changes nothing), the line @drop dropped, and @add
 * appended after the last op.
 */
struct variant {
	const char *bug, *name, *from, *to, *drop, *add;
};

static const struct variant inputs[] = {
	/* the zoo file: task 1's write into the child observes it */
	{ FMW, "fmw-zoo", NULL, NULL, NULL, NULL },
	/* no op after the race: the end of the migration or the fork observes it */
	{ FMW, "fmw-race-only", "@1 write p1 0x10 0x2", "", "@1 read p0 0x10", NULL },
	/* the parent's read after the fork */
	{ FMW, "fmw-read", "@1 write p1 0x10 0x2", "", NULL, NULL },
	/* an mmap in the child, then the parent's read */
	{ FMW, "fmw-mmap", "@1 write p1 0x10 0x2", "@1 mmap p1 0x20 1 rw private|anon", NULL,
	  NULL },
	/* the zoo file: the end of the migration observes it */
	{ MKW, "mkw-zoo", NULL, NULL, NULL, NULL },
	/* a read after the mprotect waits for the migration and observes it */
	{ MKW, "mkw-read", NULL, NULL, NULL, "@1 read p0 0x10" },
	/* an mmap after the mprotect */
	{ MKW, "mkw-mmap", NULL, NULL, NULL, "@1 mmap p0 0x20 1 rw private|anon" },
};

#define NR_INPUTS (sizeof(inputs) / sizeof(inputs[0]))

static char *slurp(const char *path)
{
	uint8_t *data, *s;
	size_t len;

	ck_assert_int_eq(mmt_read_file(path, &data, &len), 0);
	s = realloc(data, len + 1);
	ck_assert_ptr_nonnull(s);
	s[len] = 0;
	return (char *)s;
}

/* the variant's text, parsed */
static void variant_program(const struct variant *v, struct mmt_program *p)
{
	char path[PATH_MAX], *zoo, *line, *save, *text;
	struct mmt_parse_error err;
	size_t n = 0, cap;
	bool replaced = !v->from;

	snprintf(path, sizeof(path), "%s/corpus/zoo/%s.mmt", MMT_SOURCE_DIR, v->bug);
	zoo = slurp(path);
	cap = strlen(zoo) + 256;
	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	text[0] = 0;
	for (line = strtok_r(zoo, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (!strncmp(line, "schedule", 8) && v->add)
			n += (size_t)snprintf(text + n, cap - n, "%s\n", v->add);
		if (v->drop && !strcmp(line, v->drop))
			continue;
		if (v->from && !strcmp(line, v->from)) {
			replaced = true;
			if (v->to[0])
				n += (size_t)snprintf(text + n, cap - n, "%s\n", v->to);
			continue;
		}
		n += (size_t)snprintf(text + n, cap - n, "%s\n", line);
	}
	ck_assert_msg(replaced, "%s: no line '%s' in the zoo file", v->name, v->from);
	ck_assert_msg(mmt_parse(text, strlen(text), p, &err) == 0, "%s: %u:%u: %s\n%s", v->name,
		      err.line, err.col, err.msg, text);
	free(text);
	free(zoo);
}

/* the variant as the bytes an engine would have saved, in DIR/@sub/NAME */
static void write_input(const struct variant *v, const char *sub, char *path, size_t len)
{
	struct mmt_program p;
	char why[256], d[PATH_MAX + 64];
	uint8_t *bytes;
	size_t n;

	variant_program(v, &p);
	ck_assert_msg(mmt_encode(&p, &bytes, &n, why, sizeof(why)) == 0, "%s: %s", v->name, why);
	path_in(d, sizeof(d), sub);
	ck_assert_int_eq(mmt_mkdirs(d), 0);
	ck_assert_int_lt(snprintf(path, len, "%s/%s", d, v->name), (int)len);
	ck_assert_int_eq(mmt_write_atomic(path, bytes, n), 0);
	free(bytes);
	mmt_program_free(&p);
}

/* entries of @d whose names end in @suffix (and hold no ".tmp.") */
static int count_files(const char *d, const char *suffix)
{
	struct dirent *de;
	DIR *dp = opendir(d);
	int n = 0;

	if (!dp)
		return 0;
	while ((de = readdir(dp))) {
		size_t l = strlen(de->d_name), m = strlen(suffix);

		if (!strstr(de->d_name, ".tmp.") && l >= m && !strcmp(de->d_name + l - m, suffix))
			n++;
	}
	closedir(dp);
	return n;
}

/* example files under every DIR/findings/NAME.examples */
static int count_examples(const char *findings)
{
	struct dirent *de;
	DIR *dp = opendir(findings);
	int n = 0;

	ck_assert_ptr_nonnull(dp);
	while ((de = readdir(dp))) {
		char sub[PATH_MAX + 300];

		if (!strstr(de->d_name, ".examples"))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", findings, de->d_name);
		n += count_files(sub, ".mmt");
	}
	closedir(dp);
	return n;
}

static int distinct(char (*s)[MMT_SIG_MAX], int n)
{
	int d = 0;

	for (int i = 0; i < n; i++) {
		int j;

		for (j = 0; j < i && strcmp(s[i], s[j]); j++)
			;
		d += j == i;
	}
	return d;
}

START_TEST(two_bugs_two_findings)
{
	struct mmt_triage_opts to = {
		.dir = dir, .tasks = 2, .inject = FMW_MASK | MKW_MASK, .inject_name = FMW "," MKW,
	};
	struct mmt_triage *t = malloc(sizeof(*t));
	char observed[NR_INPUTS][MMT_SIG_MAX], sig[NR_INPUTS][MMT_SIG_MAX];
	char findings[PATH_MAX + 64], fmw_sig[MMT_SIG_MAX] = "", mkw_sig[MMT_SIG_MAX] = "";
	int nnew = 0, ndup = 0, examples = 0;

	ck_assert_ptr_nonnull(t);
	path_in(findings, sizeof(findings), "findings");
	ck_assert_int_eq(mmt_triage_open(t, &to), 0);
	for (size_t i = 0; i < NR_INPUTS; i++) {
		const struct variant *v = &inputs[i];
		struct mmt_triage_report rep;
		char path[PATH_MAX + 128], key[64];
		enum mmt_triage_verdict vd;

		write_input(v, "crashes", path, sizeof(path));
		snprintf(key, sizeof(key), "libfuzzer/%s", v->name);
		vd = mmt_triage_crash(t, path, key, "libfuzzer", (double)i, &rep);
		ck_assert_msg(vd == MMT_TRIAGE_NEW || vd == MMT_TRIAGE_DUPLICATE,
			      "%s: verdict %d (%s)", v->name, vd, rep.why);
		ck_assert_msg(rep.kind == MMT_FINDING_INJECTED, "%s: not attributed", v->name);
		nnew += vd == MMT_TRIAGE_NEW;
		ndup += vd == MMT_TRIAGE_DUPLICATE;
		snprintf(observed[i], sizeof(observed[i]), "%s", rep.observed);
		snprintf(sig[i], sizeof(sig[i]), "%s", rep.sig);
		/* every input of one bug has that bug's root cause */
		if (!strcmp(v->bug, FMW)) {
			ck_assert_msg(!strncmp(rep.sig, "EXCLUSIVE/", 10), "%s: %s", v->name,
				      rep.sig);
			if (!fmw_sig[0])
				snprintf(fmw_sig, sizeof(fmw_sig), "%s", rep.sig);
			ck_assert_str_eq(rep.sig, fmw_sig);
		} else {
			ck_assert_msg(!strncmp(rep.sig, "PROT/", 5), "%s: %s", v->name, rep.sig);
			if (!mkw_sig[0])
				snprintf(mkw_sig, sizeof(mkw_sig), "%s", rep.sig);
			ck_assert_str_eq(rep.sig, mkw_sig);
		}
		if (vd == MMT_TRIAGE_NEW)
			assert_finding_replays(rep.path, FMW_MASK | MKW_MASK, 0, true, rep.sig);
	}
	/* seen by the op that was running, they would have been more findings than two */
	ck_assert_msg(distinct(observed, NR_INPUTS) >= 4, "observations: %d distinct",
		      distinct(observed, NR_INPUTS));
	ck_assert_int_eq(distinct(sig, NR_INPUTS), 2);
	ck_assert_int_eq(nnew, 2);
	ck_assert_int_eq(ndup, (int)NR_INPUTS - 2);
	ck_assert_int_eq(t->nfound, 2);
	ck_assert_int_eq(t->nnew, 2);
	ck_assert_int_eq(t->nnew_clean, 0);
	ck_assert_int_eq(t->dups, NR_INPUTS - 2);
	ck_assert_int_eq(t->unattributed, 0);
	for (int i = 0; i < t->nfound; i++) {
		ck_assert_int_eq(t->found[i].kind, MMT_FINDING_INJECTED);
		examples += (int)t->found[i].examples;
	}
	ck_assert_int_eq(examples, (int)NR_INPUTS - 2);
	/* one file per finding; one example file per further observation */
	ck_assert_int_eq(count_files(findings, ".mmt"), 2);
	ck_assert_int_eq(count_examples(findings), distinct(observed, NR_INPUTS) - 2);
	mmt_triage_close(t);

	/* resumed: the findings, and the observations their examples stand for */
	ck_assert_int_eq(mmt_triage_open(t, &to), 0);
	ck_assert_int_eq(t->nfound, 2);
	ck_assert_uint_eq(t->nobs, (size_t)distinct(observed, NR_INPUTS));
	examples = 0;
	for (int i = 0; i < t->nfound; i++)
		examples += (int)t->found[i].examples;
	ck_assert_int_eq(examples, distinct(observed, NR_INPUTS) - 2);
	{
		struct mmt_triage_report rep;
		char path[PATH_MAX + 128];

		write_input(&inputs[NR_INPUTS - 1], "crashes", path, sizeof(path));
		ck_assert_int_eq(mmt_triage_crash(t, path, "afl-main/id:000009", "afl-main", 9,
						  &rep), MMT_TRIAGE_DUPLICATE);
		ck_assert_str_eq(rep.sig, mkw_sig);
		ck_assert_int_eq(t->nnew, 0);
	}
	mmt_triage_close(t);
	free(t);
}
END_TEST

/* the same through a campaign with no engine: summary.json counts both kinds */
START_TEST(campaign_summary_kinds)
{
	struct mmt_campaign_opts o = {
		.jobs = 1, .tasks = 2, .budget = 1, .seed = 1, .inject = FMW_MASK | MKW_MASK,
		.inject_name = FMW "," MKW,
	};
	struct mmt_campaign_result res;
	char in[PATH_MAX + 64], out[PATH_MAX + 64], path[PATH_MAX + 128];
	char *s, *p;
	int examples = 0;

	path_in(in, sizeof(in), "in");
	path_in(out, sizeof(out), "out");
	for (size_t i = 0; i < NR_INPUTS; i++)
		write_input(&inputs[i], "in", path, sizeof(path));
	o.dir = out;
	o.extra_corpus = in;
	ck_assert_int_eq(mmt_campaign_run(&o, &res), 1);
	ck_assert_int_eq(res.new_findings, 2);
	ck_assert_int_eq(res.crashes, NR_INPUTS);
	ck_assert_int_eq(res.duplicates, NR_INPUTS - 2);
	snprintf(path, sizeof(path), "%s/summary.json", out);
	s = slurp(path);
	ck_assert_msg(strstr(s, "\"injected_findings\": 2,"), "%s", s);
	ck_assert_msg(strstr(s, "\"clean_model_findings\": 0,"), "%s", s);
	ck_assert_msg(strstr(s, "\"kind\": \"injected\""), "%s", s);
	for (p = s; (p = strstr(p, "\"examples\": ")); p++)
		examples += atoi(p + 12);
	ck_assert_int_eq(examples, (int)NR_INPUTS - 2);
	free(s);
}
END_TEST

/*
 * A crash input that fails without the injected bug: with MKW in the
 * model's source ($MMT_INJECT), inputs that show it are the model's own
 * under --inject FMW.  A FMW input in the same campaign stays FMW's.
 */
START_TEST(clean_model_finding)
{
	struct mmt_triage_opts to = {
		.dir = dir, .tasks = 2, .inject = FMW_MASK, .inject_name = FMW,
	};
	struct mmt_triage *t = malloc(sizeof(*t));
	struct mmt_triage_report rep, rep2;
	char mkw[PATH_MAX + 128], mkw2[PATH_MAX + 128], fmw[PATH_MAX + 128],
	     findings[PATH_MAX + 64], sig[MMT_SIG_MAX], why[256], *text;
	const char *base;

	ck_assert_ptr_nonnull(t);
	path_in(findings, sizeof(findings), "findings");
	write_input(&inputs[4], "crashes", mkw, sizeof(mkw));	/* mkw-zoo */
	write_input(&inputs[5], "crashes", mkw2, sizeof(mkw2));	/* mkw-read */
	write_input(&inputs[0], "crashes", fmw, sizeof(fmw));	/* fmw-zoo */
	ck_assert_int_eq(setenv("MMT_INJECT", MKW, 1), 0);

	/* a hunt drops it: it is not the bug it hunts */
	to.attribute = true;
	ck_assert_int_eq(mmt_triage_open(t, &to), 0);
	ck_assert_int_eq(mmt_triage_crash(t, mkw, "libfuzzer/mkw", "libfuzzer", 1, &rep),
			 MMT_TRIAGE_UNATTRIBUTED);
	ck_assert_int_eq(t->unattributed, 1);
	ck_assert_int_eq(t->nfound, 0);
	ck_assert_int_eq(count_files(findings, ".mmt"), 0);
	mmt_triage_close(t);
	mmt_remove_tree(findings);
	{
		char processed[PATH_MAX + 64];

		path_in(processed, sizeof(processed), "processed");
		unlink(processed);
	}

	/* a campaign keeps it, as the model's */
	to.attribute = false;
	ck_assert_int_eq(mmt_triage_open(t, &to), 0);
	ck_assert_int_eq(mmt_triage_crash(t, mkw, "libfuzzer/mkw", "libfuzzer", 1, &rep),
			 MMT_TRIAGE_NEW);
	ck_assert_int_eq(rep.kind, MMT_FINDING_CLEAN);
	ck_assert_int_eq(t->unattributed, 1);
	ck_assert_int_eq(t->nnew_clean, 1);
	ck_assert_int_eq(t->found[0].kind, MMT_FINDING_CLEAN);
	base = strrchr(rep.path, '/');
	ck_assert_ptr_nonnull(base);
	ck_assert_msg(!strncmp(base + 1, "clean-PROT-", 11), "%s", rep.path);
	text = slurp(rep.path);
	ck_assert_msg(strstr(text, "\n# campaign kind clean-model\n"), "%s", text);
	ck_assert_msg(strstr(text, "\n# fails without any bug injected: a bug of the model itself, "
				   "not of " FMW), "%s", text);
	ck_assert_msg(strstr(text, "\n# replay: mmtorture replay FILE\n"), "%s", text);
	ck_assert_msg(!strstr(text, "--inject"), "%s", text);
	free(text);
	/* as written it fails with no bug injected (but the model's own) */
	ck_assert_int_eq(mmt_check_finding(rep.path, FMW_MASK, MMT_FINDING_CLEAN, sig, sizeof(sig),
					   why, sizeof(why)), 0);
	ck_assert_str_eq(sig, rep.sig);
	ck_assert_int_eq(mmt_check_finding(rep.path, FMW_MASK, MMT_FINDING_INJECTED, sig,
					   sizeof(sig), why, sizeof(why)), -1);
	assert_finding_replays(rep.path, 0, 0, false, rep.sig);

	/* another observation of it: an example of the clean-model finding */
	ck_assert_int_eq(mmt_triage_crash(t, mkw2, "libfuzzer/mkw2", "libfuzzer", 2, &rep2),
			 MMT_TRIAGE_DUPLICATE);
	ck_assert_int_eq(rep2.kind, MMT_FINDING_CLEAN);
	ck_assert_str_eq(rep2.sig, rep.sig);
	ck_assert_int_eq(t->unattributed, 2);

	/* the injected bug's own input is still its finding */
	ck_assert_int_eq(mmt_triage_crash(t, fmw, "libfuzzer/fmw", "libfuzzer", 3, &rep2),
			 MMT_TRIAGE_NEW);
	ck_assert_int_eq(rep2.kind, MMT_FINDING_INJECTED);
	ck_assert_str_ne(rep2.sig, rep.sig);
	base = strrchr(rep2.path, '/');
	ck_assert_msg(!strncmp(base + 1, "EXCLUSIVE-", 10), "%s", rep2.path);
	ck_assert_int_eq(mmt_check_finding(rep2.path, FMW_MASK, MMT_FINDING_INJECTED, sig,
					   sizeof(sig), why, sizeof(why)), 0);
	ck_assert_int_eq(t->nnew, 2);
	ck_assert_int_eq(t->nnew_clean, 1);
	mmt_triage_close(t);

	/* resumed, the kinds come back from the headers */
	ck_assert_int_eq(mmt_triage_open(t, &to), 0);
	ck_assert_int_eq(t->nfound, 2);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(t->found[i].kind, strstr(t->found[i].path, "/clean-") ?
				 MMT_FINDING_CLEAN : MMT_FINDING_INJECTED);
	mmt_triage_close(t);
	free(t);
}
END_TEST

/* mmt_attribute: the form is checked as it will be written, both ways */
START_TEST(attribute_checks_written_form)
{
	struct mmt_min_opts mo = { 0 };
	struct mmt_attribution a;
	struct mmt_program p;

	variant_program(&inputs[0], &p);
	ck_assert_int_eq(mmt_attribute(&p, FMW_MASK, true, &mo, &a), 0);
	ck_assert_int_eq(a.kind, MMT_FINDING_INJECTED);
	ck_assert(a.minimized);
	ck_assert_uint_le(a.ops_after, p.nr_ops);
	ck_assert_int_eq(a.violation.inv, INV_EXCLUSIVE);
	ck_assert_msg(strstr(a.sig, "/fork+migrate"), "%s", a.sig);
	mmt_attribution_free(&a);

	/* the engine saw it fail without the bugs: the model's, minimized with none on */
	ck_assert_int_eq(setenv("MMT_INJECT", FMW, 1), 0);
	ck_assert_int_eq(mmt_attribute(&p, FMW_MASK, false, &mo, &a), 0);
	ck_assert_int_eq(a.kind, MMT_FINDING_CLEAN);
	mmt_attribution_free(&a);
	ck_assert_int_eq(unsetenv("MMT_INJECT"), 0);

	/* nothing fails without the bug, and nothing was injected: no form fails */
	ck_assert_int_eq(mmt_attribute(&p, 0, false, &mo, &a), -1);
	mmt_attribution_free(&a);
	mmt_program_free(&p);
}
END_TEST

static Suite *triage_suite(void)
{
	Suite *s = suite_create("triage");
	TCase *tc = tcase_create("triage");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, two_bugs_two_findings);
	tcase_add_test(tc, campaign_summary_kinds);
	tcase_add_test(tc, clean_model_finding);
	tcase_add_test(tc, attribute_checks_written_form);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(triage_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
