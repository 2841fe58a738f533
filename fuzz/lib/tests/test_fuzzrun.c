// SPDX-License-Identifier: MIT
/*
 * test_fuzzrun.c - one fuzzer input means one thing (fuzzrun.h).
 *
 * The same bytes give the same runs, the same report and the same
 * schedule every time; with no PCT runs an input is its decoded program
 * under its own schedule; a violation found in a PCT run comes back as a
 * program whose recorded schedule replays it, with the bug and only with
 * the bug.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/decode.h"
#include "mmt/exec.h"
#include "mmt/fuzzrun.h"
#include "mmt/inject.h"
#include "mmt/prng.h"
#include "mmt/program.h"

static size_t random_bytes(uint64_t *s, uint8_t *buf, size_t max)
{
	size_t n = 2 + mmt_splitmix64(s) % (max - 2);

	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)mmt_splitmix64(s);
	buf[0] |= 0x20;		/* two tasks */
	return n;
}

static void run(const uint8_t *b, size_t n, int pct, uint64_t inject, struct mmt_fuzz_run *fr,
		struct mmt_program *p, struct mmt_exec_result *r)
{
	static struct mmt_exec_opts o;

	mmt_exec_opts_default(&o);
	o.teardown = true;
	o.inject = inject;
	memset(fr, 0, sizeof(*fr));
	fr->max_tasks = 2;
	fr->pct_runs = pct;
	fr->exec = &o;
	ck_assert_int_eq(mmt_fuzz_run(b, n, fr, p, r), 0);
}

START_TEST(same_bytes_same_runs)
{
	uint64_t s = 42;
	uint8_t buf[300];

	for (int i = 0; i < 300; i++) {
		size_t n = random_bytes(&s, buf, sizeof(buf));
		struct mmt_fuzz_run fa, fb;
		struct mmt_exec_result ra, rb;
		struct mmt_program pa, pb;

		run(buf, n, MMT_FUZZ_PCT_RUNS, 0, &fa, &pa, &ra);
		run(buf, n, MMT_FUZZ_PCT_RUNS, 0, &fb, &pb, &rb);
		ck_assert_int_eq(ra.status, rb.status);
		ck_assert_int_eq(fa.run, fb.run);
		ck_assert_uint_eq(fa.hash, mmt_fuzz_hash(buf, n));
		ck_assert_uint_eq(fa.decisions, fb.decisions);
		ck_assert_uint_eq(pa.nr_schedule, pb.nr_schedule);
		ck_assert(!pa.nr_schedule || !memcmp(pa.schedule, pb.schedule, pa.nr_schedule));
		/* a passing input ran every PCT run (when it had a schedule to draw over) */
		if (ra.status == EXEC_PASS && fa.decisions)
			ck_assert_int_eq(fa.run, MMT_FUZZ_PCT_RUNS);
		mmt_exec_result_free(&ra);
		mmt_exec_result_free(&rb);
		mmt_program_free(&pa);
		mmt_program_free(&pb);
	}
}
END_TEST

/* pct_runs 0: the decoded program under its own schedule, nothing more */
START_TEST(no_pct_is_the_plain_run)
{
	uint64_t s = 7;
	uint8_t buf[300];

	for (int i = 0; i < 200; i++) {
		size_t n = random_bytes(&s, buf, sizeof(buf));
		struct mmt_decode_opts d = { .max_tasks = 2 };
		struct mmt_exec_opts o;
		struct mmt_fuzz_run fr;
		struct mmt_exec_result ra, rb;
		struct mmt_program pa, pb;

		run(buf, n, 0, 0, &fr, &pa, &ra);
		ck_assert_int_eq(fr.run, 0);
		ck_assert_int_eq(mmt_decode(buf, n, &pb, &d), 0);
		mmt_exec_opts_default(&o);
		o.teardown = true;
		o.lenient_schedule = true;
		mmt_exec(&pb, &o, &rb);
		ck_assert_int_eq(ra.status, rb.status);
		ck_assert_uint_eq(ra.nr_schedule, rb.nr_schedule);
		ck_assert(!ra.nr_schedule || !memcmp(ra.schedule, rb.schedule, ra.nr_schedule));
		mmt_exec_result_free(&ra);
		mmt_exec_result_free(&rb);
		mmt_program_free(&pa);
		mmt_program_free(&pb);
	}
}
END_TEST

/*
 * Migration against fork, no schedule in the bytes: with a race of the zoo
 * injected, some PCT run of some variant (a few switch records appended)
 * hits it, and the program handed back replays the violation by itself.
 */
START_TEST(pct_finding_replays)
{
	static const char text[] =
		"mmt 1\n"
		"world nodes=2 frames=32 swap=0\n"
		"spawn p0\n"
		"mmap p0 0x10 2 rw private|anon\n"
		"write p0 0x10 0x1\n"
		"fork p0 p1\n"
		"write p0 0x10 0x3\n"
		"@0 migrate p0 0x10 2 1\n"
		"@1 fork p0 p2\n"
		"@1 write p2 0x10 0x4\n"
		"@1 read p0 0x10\n";
	uint64_t bug = 1ull << BUG_FORK_MIGRATION_WRITE_FLAG;
	struct mmt_parse_error err;
	struct mmt_program prog;
	uint8_t *enc, buf[512];
	size_t len;
	char why[128];
	uint64_t s = 99;
	bool found = false;

	mmt_program_init(&prog);
	ck_assert_int_eq(mmt_parse(text, strlen(text), &prog, &err), 0);
	ck_assert_msg(mmt_encode(&prog, &enc, &len, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_lt(len + 16, sizeof(buf));
	for (int i = 0; i < 5000 && !found; i++) {
		struct mmt_fuzz_run fr;
		struct mmt_exec_result r, again;
		struct mmt_exec_opts o;
		struct mmt_program p;
		size_t n = len;

		memcpy(buf, enc, len);
		/* zero to three switch records, so each try is another input */
		for (int k = (int)(mmt_splitmix64(&s) % 4) * 2; k > 0; k--)
			buf[n++] = (uint8_t)mmt_splitmix64(&s);
		run(buf, n, MMT_FUZZ_PCT_RUNS, bug, &fr, &p, &r);
		if (r.status == EXEC_VIOLATION && fr.run > 0) {
			found = true;
			ck_assert(p.has_schedule);
			/* the recorded schedule alone, taken strictly */
			mmt_exec_opts_default(&o);
			o.teardown = true;
			o.inject = bug;
			ck_assert_int_eq(mmt_exec(&p, &o, &again), EXEC_VIOLATION);
			ck_assert_int_eq(again.violation.inv, r.violation.inv);
			mmt_exec_result_free(&again);
			o.inject = 0;
			ck_assert_int_eq(mmt_exec(&p, &o, &again), EXEC_PASS);
			mmt_exec_result_free(&again);
		}
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
	}
	ck_assert_msg(found, "no PCT run hit fork-migration-write-flag");
	free(enc);
	mmt_program_free(&prog);
}
END_TEST

static Suite *fuzzrun_suite(void)
{
	Suite *s = suite_create("fuzzrun");
	TCase *tc = tcase_create("fuzzrun");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, same_bytes_same_runs);
	tcase_add_test(tc, no_pct_is_the_plain_run);
	tcase_add_test(tc, pct_finding_replays);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fuzzrun_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
