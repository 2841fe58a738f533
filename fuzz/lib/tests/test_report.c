// SPDX-License-Identifier: MIT
/*
 * test_report.c - report.h and corpus.h through their API, on campaign
 * directories made by hand: the time series of a resumed campaign with a
 * cut line, the findings table, merging by signature, the regression check.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmt/corpus.h"
#include "mmt/fsutil.h"
#include "mmt/inject.h"
#include "mmt/report.h"

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(mmt_write_atomic(path, text, strlen(text)), 0);
}

static char *slurp(const char *dir, const char *name)
{
	char path[512];
	uint8_t *d;
	size_t n;
	char *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_msg(mmt_read_file(path, &d, &n) == 0, "%s", path);
	s = realloc(d, n + 1);
	ck_assert_ptr_nonnull(s);
	s[n] = 0;
	return s;
}

static bool present(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !stat(path, &st);
}

/* corpus/zoo/BUG.mmt as a campaign finding of signature @sig (triage.h's header) */
static void put_finding(const char *dir, const char *name, const char *sig, const char *bug,
			double found_at)
{
	char path[512], head[1024], *zoo, *text;
	uint8_t *d;
	size_t n;

	snprintf(path, sizeof(path), "%s/corpus/zoo/%s.mmt", MMT_SOURCE_DIR, bug);
	ck_assert_int_eq(mmt_read_file(path, &d, &n), 0);
	zoo = realloc(d, n + 1);
	ck_assert_ptr_nonnull(zoo);
	zoo[n] = 0;
	ck_assert(!strncmp(zoo, "mmt 1\n", 6));
	snprintf(head, sizeof(head),
		 "mmt 1\n# EXCLUSIVE: folio pfn 8: made by hand\n# campaign signature %s\n"
		 "# campaign kind injected\n# campaign observed %s\n# campaign found-at %.3f\n"
		 "# found by libfuzzer after 2.5s (libfuzzer/crash-1, 2 tasks)\n"
		 "# replay: mmtorture replay --inject %s FILE\n", sig, sig, found_at, bug);
	text = malloc(strlen(head) + n);
	ck_assert_ptr_nonnull(text);
	strcpy(text, head);
	strcat(text, zoo + 6);
	snprintf(path, sizeof(path), "%s/findings", dir);
	ck_assert_int_eq(mmt_mkdirs(path), 0);
	put(path, name, text);
	free(text);
	free(zoo);
}

static void new_dir(char *dir, size_t len)
{
	snprintf(dir, len, "%s/mmt-report-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

START_TEST(report_of_a_resumed_campaign)
{
	char dir[256], *html, *execs, *findings;
	struct mmt_report_finding *f;
	int n;

	new_dir(dir, sizeof(dir));
	/* run 1 to 1000 execs, run 2 (elapsed restarts) 500 more; a bad line; a cut line */
	put(dir, "timeseries.csv",
	    "wall,elapsed,engine,execs,execs_per_s,coverage,findings,all_findings,crashes\n"
	    "1000.0,0.0,libfuzzer,0,0.0,0,0,0,0\n"
	    "1001.0,1.0,libfuzzer,400,400.0,50,0,0,0\n"
	    "1002.0,2.0,libfuzzer,1000,600.0,80,1,1,1\n"
	    "garbage line\n"
	    "1010.0,0.0,libfuzzer,0,0.0,0,0,1,0\n"
	    "1011.0,1.0,libfuzzer,500,500.0,85,0,1,0\n"
	    "1011.0,1.0,libfu");
	put(dir, "summary.json", "{\n  \"engines\": [\"libfuzzer\"],\n  \"tasks\": 2,\n"
	    "  \"inject\": \"fork-migration-write-flag\",\n  \"new_findings\": 1,\n}\n");
	put_finding(dir, "B.mmt", "EXCLUSIVE/later", "fork-migration-write-flag", 1005.0);
	put_finding(dir, "A.mmt", "EXCLUSIVE/first+one", "fork-migration-write-flag", 1002.0);

	ck_assert_int_eq(mmt_report_findings(dir, &f, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(f[0].sig, "EXCLUSIVE/first+one");	/* oldest first */
	ck_assert_str_eq(f[0].kind, "injected");
	ck_assert_str_eq(f[0].engine, "libfuzzer");
	ck_assert(f[0].after == 2.5 && f[0].found_at == 1002.0);
	ck_assert_uint_gt(f[0].ops, 3);
	ck_assert_str_eq(f[0].what, "EXCLUSIVE: folio pfn 8: made by hand");
	free(f);

	ck_assert_int_eq(mmt_report_write(dir, NULL), 0);
	html = slurp(dir, "report.html");
	ck_assert_ptr_nonnull(strstr(html, "<code>EXCLUSIVE/first+one</code>"));
	ck_assert_ptr_nonnull(strstr(html, "href=\"findings/A.mmt\""));
	ck_assert_ptr_nonnull(strstr(html, "<td>2.0s</td>"));	/* found-at - first wall */
	ck_assert_ptr_nonnull(strstr(html, "fork-migration-write-flag"));
	ck_assert(strstr(html, "first+one") < strstr(html, "EXCLUSIVE/later"));
	free(html);
	/* the second run's executions add to the first's: the axis reaches 1500 */
	execs = slurp(dir, "plots/execs.svg");
	ck_assert_ptr_nonnull(strstr(execs, ">1500</text>"));
	ck_assert_ptr_null(strstr(execs, ">2000</text>"));
	free(execs);
	findings = slurp(dir, "plots/findings.svg");
	ck_assert_ptr_nonnull(strstr(findings, "data-engine=\"all\""));
	free(findings);
	ck_assert(present(dir, "plots/coverage.svg") && present(dir, "plots/execs_per_s.svg"));
	mmt_remove_tree(dir);
}
END_TEST

START_TEST(report_of_an_empty_dir)
{
	char dir[256], *html;

	new_dir(dir, sizeof(dir));
	ck_assert_int_eq(mmt_report_write(dir, NULL), 0);
	html = slurp(dir, "report.html");
	ck_assert_ptr_nonnull(strstr(html, "No findings."));
	ck_assert_ptr_nonnull(strstr(html, "No summary.json"));
	free(html);
	mmt_remove_tree(dir);
}
END_TEST

START_TEST(merge_adds_only_new_signatures)
{
	char a[256], b[256];
	struct mmt_campaign_settings s;
	struct mmt_merge_result res;
	struct mmt_corpus_check_result cr;

	new_dir(a, sizeof(a));
	new_dir(b, sizeof(b));
	put_finding(a, "X.mmt", "EXCLUSIVE/x", "fork-migration-write-flag", 1);
	put_finding(b, "X2.mmt", "EXCLUSIVE/x", "fork-migration-write-flag", 2);	/* known */
	put_finding(b, "Y.mmt", "PROT/y", "mprotect-keeps-write-migration", 3);	/* new */
	/* claims a bug that does not make it fail: not merged */
	put_finding(b, "Z.mmt", "PROT/z", "mprotect-keeps-write-migration", 4);
	{
		char path[512], *t = NULL;

		snprintf(path, sizeof(path), "%s/findings", b);
		t = slurp(path, "Z.mmt");
		/* Z: Y's program, said to fail under X's bug */
		ck_assert_ptr_nonnull(strstr(t, "--inject mprotect-keeps-write-migration"));
		memcpy(strstr(t, "--inject ") + 9, "fork-migration-write-flag     ", 30);
		put(path, "Z.mmt", strstr(t, "mmt 1"));
		free(t);
	}
	mmt_campaign_settings_read(a, &s);
	ck_assert_int_eq(s.tasks, 1);
	ck_assert_int_eq(mmt_campaign_merge(a, b, NULL, &s, NULL, &res), 0);
	ck_assert_uint_eq(res.added, 1);
	ck_assert_uint_eq(res.known, 1);
	ck_assert_uint_eq(res.rejected, 1);
	ck_assert(present(a, "findings/Y.mmt"));
	ck_assert(!present(a, "findings/X2.mmt") && !present(a, "findings/Z.mmt"));
	ck_assert_int_eq(mmt_campaign_merge(a, b, NULL, &s, NULL, &res), 0);
	ck_assert_uint_eq(res.added, 0);
	ck_assert_uint_eq(res.known, 2);

	/* both findings of a reproduce; z, copied in by hand, is lost */
	ck_assert_int_eq(mmt_corpus_check(a, &s, NULL, &cr), 0);
	ck_assert_uint_eq(cr.findings, 2);
	ck_assert_uint_eq(cr.findings_ok, 2);
	{
		char path[512], *t;

		snprintf(path, sizeof(path), "%s/findings", b);
		t = slurp(path, "Z.mmt");
		snprintf(path, sizeof(path), "%s/findings", a);
		put(path, "Z.mmt", t);
		free(t);
	}
	ck_assert_int_eq(mmt_corpus_check(a, &s, NULL, &cr), 1);
	ck_assert_uint_eq(cr.findings_lost, 1);
	mmt_remove_tree(a);
	mmt_remove_tree(b);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, report_of_a_resumed_campaign);
	tcase_add_test(tc, report_of_an_empty_dir);
	tcase_add_test(tc, merge_adds_only_new_signatures);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
