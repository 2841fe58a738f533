// SPDX-License-Identifier: MIT
/*
 * test_campaign.c - the campaign's triage, dedup and resume, and the
 * in-process hunt, driven through fuzz/lib's API (triage.h, campaign.h,
 * hunt.h, fsutil.h) without the CLI and without spawning a fuzzer.
 *
 * The crash input is the zoo's fork-migration-write-flag reproducer as
 * fuzzer bytes, which fails with that bug on and passes with it off: what
 * an engine would save.  Triage must turn it into one finding named after
 * its signature, written whole (no temporary file left, the header a
 * resumed campaign reads), which replays with the bug and passes without;
 * the same signature again is a duplicate; a second triage over the same
 * directory knows both the inputs processed and the findings.  Everything
 * is seeded: no timing is asserted.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_test.h"
#include "mmt/campaign.h"
#include "mmt/decode.h"
#include "mmt/exec.h"
#include "mmt/fsutil.h"
#include "mmt/hunt.h"
#include "mmt/inject.h"
#include "mmt/minimize.h"
#include "mmt/program.h"
#include "mmt/triage.h"

#define BUG_NAME	"fork-migration-write-flag"
#define BUG_MASK	(1ull << BUG_FORK_MIGRATION_WRITE_FLAG)

static char dir[PATH_MAX];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/test_campaign.XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	mmt_remove_tree(dir);
}

static void path_in(char *buf, size_t len, const char *name)
{
	ck_assert_int_lt(snprintf(buf, len, "%s/%s", dir, name), (int)len);
}

/* the zoo reproducer as the bytes a fuzzer would have saved, in DIR/@name */
static void write_crash_input(const char *name)
{
	struct mmt_parse_error err;
	struct mmt_program p;
	char path[PATH_MAX + 64], why[256];
	uint8_t *bytes;
	size_t len;

	ck_assert_int_eq(mmt_parse_file(MMT_SOURCE_DIR "/corpus/zoo/" BUG_NAME ".mmt", &p, &err),
			 0);
	ck_assert_int_eq(mmt_encode(&p, &bytes, &len, why, sizeof(why)), 0);
	path_in(path, sizeof(path), name);
	ck_assert_int_eq(mmt_write_atomic(path, bytes, len), 0);
	free(bytes);
	mmt_program_free(&p);
}

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

/* how many names in @d end with @suffix, and how many hold ".tmp." */
static void count_files(const char *d, const char *suffix, int *n, int *tmp)
{
	struct dirent *de;
	DIR *dp = opendir(d);

	*n = *tmp = 0;
	ck_assert_ptr_nonnull(dp);
	while ((de = readdir(dp))) {
		size_t l = strlen(de->d_name), m = strlen(suffix);

		if (strstr(de->d_name, ".tmp."))
			(*tmp)++;
		else if (l >= m && !strcmp(de->d_name + l - m, suffix))
			(*n)++;
	}
	closedir(dp);
}

static struct mmt_triage_opts triage_opts(const char *d)
{
	struct mmt_triage_opts o = {
		.dir = d, .tasks = 2, .inject = BUG_MASK, .inject_name = BUG_NAME,
	};

	return o;
}

/* the finding at @path fails with the bug, with signature @sig, and passes without */
static void assert_replays(const char *path, const char *sig)
{
	assert_finding_replays(path, BUG_MASK, 0, true, sig);
}

START_TEST(write_atomic_replaces_whole)
{
	char path[PATH_MAX + 64], bad[PATH_MAX + 64];
	struct stat st;
	char *s;
	int n, tmp;

	path_in(path, sizeof(path), "f");
	ck_assert_int_eq(mmt_write_atomic(path, "first version\n", 14), 0);
	ck_assert_int_eq(mmt_write_atomic(path, "second\n", 7), 0);
	s = slurp(path);
	ck_assert_str_eq(s, "second\n");
	free(s);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	count_files(dir, "f", &n, &tmp);
	ck_assert_int_eq(tmp, 0);
	/* a failed write leaves nothing behind */
	path_in(bad, sizeof(bad), "no/such/dir/f");
	ck_assert_int_eq(mmt_write_atomic(bad, "x", 1), -1);
	ck_assert_int_eq(errno, ENOENT);
	path_in(bad, sizeof(bad), "a/b/c");
	ck_assert_int_eq(mmt_mkdirs(bad), 0);
	ck_assert_int_eq(mmt_mkdirs(bad), 0);
	ck_assert_int_eq(stat(bad, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
}
END_TEST

START_TEST(triage_dedup_resume)
{
	struct mmt_triage_opts to = triage_opts(dir);
	struct mmt_triage_report rep, rep2;
	struct mmt_triage *t = malloc(sizeof(*t));
	char crash[PATH_MAX + 64], pass[PATH_MAX + 64], findings[PATH_MAX + 64],
	     junk[PATH_MAX + 128], expect[PATH_MAX + 640], want[512];
	static const uint8_t passing[] = { 0x00, 0x00 };	/* no ops at all */
	char *text;
	int n, tmp;

	ck_assert_ptr_nonnull(t);
	write_crash_input("crash-1");
	path_in(crash, sizeof(crash), "crash-1");
	path_in(pass, sizeof(pass), "crash-pass");
	ck_assert_int_eq(mmt_write_atomic(pass, passing, sizeof(passing)), 0);
	path_in(findings, sizeof(findings), "findings");

	ck_assert_int_eq(mmt_triage_open(t, &to), 0);
	ck_assert_int_eq(t->nseen, 0);
	ck_assert_int_eq(t->nfound, 0);

	/* a new finding, named after its signature */
	ck_assert_int_eq(mmt_triage_crash(t, crash, "libfuzzer/crash-1", "libfuzzer", 1.5, &rep),
			 MMT_TRIAGE_NEW);
	ck_assert_int_eq(rep.verdict, MMT_TRIAGE_NEW);
	ck_assert(rep.sig[0]);
	snprintf(want, sizeof(want), "%s", rep.sig);
	for (char *s = want; *s; s++)
		if (*s == '/')
			*s = '-';
	snprintf(expect, sizeof(expect), "%s/%s.mmt", findings, want);
	ck_assert_str_eq(rep.path, expect);
	ck_assert_int_eq(t->nnew, 1);
	ck_assert_int_eq(t->nfound, 1);
	ck_assert_int_eq(t->crashes, 1);
	ck_assert_str_eq(t->found[0].engine, "libfuzzer");
	ck_assert(mmt_triage_seen(t, "libfuzzer/crash-1"));
	ck_assert(mmt_triage_known(t, rep.sig));

	/* written whole, with the header a resumed campaign reads */
	count_files(findings, ".mmt", &n, &tmp);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(tmp, 0);
	text = slurp(rep.path);
	ck_assert_msg(!strncmp(text, "mmt 1\n# ", 8), "%s", text);
	snprintf(want, sizeof(want), "\n# campaign signature %s\n", rep.sig);
	ck_assert_msg(strstr(text, want), "%s", text);
	ck_assert_msg(strstr(text, "\n# found by libfuzzer after 1.5s (libfuzzer/crash-1, 2 tasks, "
				   "inject " BUG_NAME "); minimized "), "%s", text);
	ck_assert_msg(strstr(text, "\n# replay: mmtorture replay --inject " BUG_NAME " FILE\n"),
		      "%s", text);
	free(text);
	assert_replays(rep.path, rep.sig);

	/* the same signature again: a duplicate, nothing written */
	ck_assert_int_eq(mmt_triage_crash(t, crash, "afl-main/id:000001", "afl-main", 2.0, &rep2),
			 MMT_TRIAGE_DUPLICATE);
	ck_assert_str_eq(rep2.sig, rep.sig);
	ck_assert_int_eq(t->dups, 1);
	ck_assert_int_eq(t->nnew, 1);
	ck_assert_int_eq(t->nfound, 1);
	count_files(findings, ".mmt", &n, &tmp);
	ck_assert_int_eq(n, 1);

	/* what does not fail here, or cannot be read, is no finding but is processed */
	ck_assert_int_eq(mmt_triage_crash(t, pass, "libfuzzer/crash-pass", "libfuzzer", 3, &rep2),
			 MMT_TRIAGE_UNREPRODUCIBLE);
	ck_assert_str_eq(rep2.why, "it passes");
	ck_assert_int_eq(t->unrepro, 1);
	path_in(junk, sizeof(junk), "gone");
	ck_assert_int_eq(mmt_triage_crash(t, junk, "libfuzzer/gone", "libfuzzer", 3, &rep2),
			 MMT_TRIAGE_UNREADABLE);
	ck_assert_int_eq(t->crashes, 4);
	ck_assert_int_eq(t->nseen, 4);
	mmt_triage_close(t);

	/* a write that never finished is not a finding */
	snprintf(junk, sizeof(junk), "%s/X.tmp.123456.mmt", findings);
	ck_assert_int_eq(mmt_write_atomic(junk, "mmt 1\n# campaign signature X/y/z\n", 33), 0);

	/* resume: the inputs processed and the findings' signatures come back */
	ck_assert_int_eq(mmt_triage_open(t, &to), 0);
	ck_assert_int_eq(t->nseen, 4);
	ck_assert(mmt_triage_seen(t, "libfuzzer/crash-1"));
	ck_assert(mmt_triage_seen(t, "afl-main/id:000001"));
	ck_assert(mmt_triage_seen(t, "libfuzzer/crash-pass"));
	ck_assert(mmt_triage_seen(t, "libfuzzer/gone"));
	ck_assert(!mmt_triage_seen(t, "libfuzzer/crash-2"));
	ck_assert_int_eq(t->nfound, 1);
	ck_assert_int_eq(t->nnew, 0);
	ck_assert_str_eq(t->found[0].sig, rep.sig);
	ck_assert_str_eq(t->found[0].path, rep.path);
	ck_assert_str_eq(t->found[0].engine, "earlier");
	ck_assert(t->found[0].t < 0);
	ck_assert(!mmt_triage_known(t, "X/y/z"));
	ck_assert_int_eq(mmt_triage_crash(t, crash, "libfuzzer/crash-2", "libfuzzer", 0, &rep2),
			 MMT_TRIAGE_DUPLICATE);
	ck_assert_int_eq(t->nnew, 0);
	mmt_triage_close(t);
	free(t);
}
END_TEST

static char *summary(const char *d)
{
	char path[PATH_MAX + 128];

	snprintf(path, sizeof(path), "%s/summary.json", d);
	return slurp(path);
}

/*
 * A campaign with no engine triages the inputs that fail already (the
 * ones libFuzzer's fork mode would drop): the whole campaign path but the
 * spawning, twice over the same directory.
 */
START_TEST(campaign_triage_only_resumes)
{
	struct mmt_campaign_opts o = {
		.jobs = 1, .tasks = 2, .budget = 1, .seed = 1, .inject = BUG_MASK,
		.inject_name = BUG_NAME,
	};
	struct mmt_campaign_result res;
	char in[PATH_MAX + 64], out[PATH_MAX + 64], empty[PATH_MAX + 64], logbuf[4096];
	char *s;
	FILE *log;
	size_t n;

	path_in(in, sizeof(in), "in");
	path_in(out, sizeof(out), "out");
	ck_assert_int_eq(mmt_mkdirs(in), 0);
	write_crash_input("in/zoo.bin");
	path_in(empty, sizeof(empty), "in/empty");	/* decodes to a program that passes */
	ck_assert_int_eq(mmt_write_atomic(empty, "", 0), 0);
	o.dir = out;
	o.extra_corpus = in;
	log = tmpfile();
	ck_assert_ptr_nonnull(log);
	o.log = log;

	ck_assert_int_eq(mmt_campaign_run(&o, &res), 1);
	ck_assert_int_eq(res.new_findings, 1);
	ck_assert_int_eq(res.crashes, 1);
	ck_assert_int_eq(res.duplicates, 0);
	ck_assert(!res.interrupted);
	ck_assert(res.last.sig[0]);
	ck_assert_str_eq(res.last.engine, "corpus");
	assert_replays(res.last.path, res.last.sig);
	s = summary(out);
	ck_assert_msg(strstr(s, "\"new_findings\": 1,") && strstr(s, "\"exit\": 1,"), "%s", s);
	ck_assert_msg(strstr(s, res.last.sig), "%s", s);
	free(s);
	rewind(log);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, log);
	logbuf[n] = 0;
	ck_assert_msg(strstr(logbuf, "fuzz: finding "), "%s", logbuf);
	ck_assert_msg(strstr(logbuf, "fuzz: summary: "), "%s", logbuf);
	fclose(log);

	/* again over the same directory: nothing new, and nothing printed */
	o.log = NULL;
	ck_assert_int_eq(mmt_campaign_run(&o, &res), 0);
	ck_assert_int_eq(res.new_findings, 0);
	ck_assert_int_eq(res.crashes, 0);
	s = summary(out);
	ck_assert_msg(strstr(s, "\"new_findings\": 0,") && strstr(s, "\"engine\": \"earlier\""),
		      "%s", s);
	free(s);
}
END_TEST

/* a hunt is a function of its seed: PCT finds the race and writes a reproducer */
START_TEST(hunt_pct_finds)
{
	struct mmt_hunt_opts o;
	struct mmt_hunt_result res;
	char out[PATH_MAX + 64];

	path_in(out, sizeof(out), "hunt");
	mmt_hunt_opts_default(&o);
	o.engine = MMT_HUNT_PCT;
	o.seed = 1;
	o.budget = 600;
	o.runs = 5000;
	o.inject = BUG_MASK;
	o.inject_name = BUG_NAME;
	o.out_dir = out;
	ck_assert_int_eq(mmt_hunt(&o, &res), 0);
	ck_assert(res.found);
	ck_assert_uint_gt(res.execs, 0);
	ck_assert_msg(!strncmp(res.finding, out, strlen(out)), "%s", res.finding);
	assert_replays(res.finding, res.sig);

	/* the fuzzer engines want a bug to hunt */
	o.engine = MMT_HUNT_LIBFUZZER;
	o.inject = 0;
	ck_assert_int_eq(mmt_hunt(&o, &res), -EINVAL);
}
END_TEST

static Suite *campaign_suite(void)
{
	Suite *s = suite_create("campaign");
	TCase *tc = tcase_create("campaign");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, write_atomic_replaces_whole);
	tcase_add_test(tc, triage_dedup_resume);
	tcase_add_test(tc, campaign_triage_only_resumes);
	tcase_add_test(tc, hunt_pct_finds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(campaign_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
