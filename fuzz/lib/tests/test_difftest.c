// SPDX-License-Identifier: MIT
/*
 * test_difftest.c - the differential mode, through fuzz/lib's API.
 *
 *   - on programs clear of the model's known gaps (no mremap), the model
 *     and this kernel agree on every op, and the run compared something:
 *     outcomes, read values, ops skipped as model-only;
 *   - with the host's writes corrupted (host.h corrupt_writes), every
 *     program that reads what it wrote disagrees: the disagreement is
 *     minimized (spawn, mmap, write, read), written with the kernel's
 *     outcomes asserted, fails under `replay` on the model and passes on
 *     the (corrupted) host, and is counted once however many programs
 *     show it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmt/difftest.h"
#include "mmt/exec.h"
#include "mmt/fsutil.h"
#include "mmt/program.h"

static void tmpdir(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "%s/mmt-difftest-%s-%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 what, (long)getpid());
	mmt_remove_tree(buf);
}

START_TEST(agrees_without_mremap)
{
	struct mmt_difftest_opts o;
	struct mmt_difftest_result *r = malloc(sizeof(*r));
	char dir[512], path[600];

	ck_assert_ptr_nonnull(r);
	tmpdir(dir, sizeof(dir), "agree");
	mmt_difftest_opts_default(&o);
	o.seed = 11;
	o.count = 60;
	o.mremap = false;
	o.out = dir;
	ck_assert_int_eq(mmt_difftest(&o, r), 0);
	ck_assert_uint_eq(r->programs, 60);
	ck_assert_msg(r->disagreeing == 0, "%lu disagreements, first %s", r->disagreeing,
		      r->nr_sigs ? r->sigs[0].path : "-");
	ck_assert_uint_eq(r->violations, 0);
	ck_assert_uint_eq(r->host_errors, 0);
	ck_assert_uint_gt(r->compared, 60 * 20);
	ck_assert_uint_gt(r->reads_compared, 60);
	ck_assert_uint_gt(r->skipped[HOST_SKIP_MODEL_ONLY], 0);
	/* the dense prologue: most compared ops do something on both sides */
	ck_assert_uint_gt(r->ok_both * 2, r->compared);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	ck_assert_int_eq(access(path, R_OK), 0);
	mmt_remove_tree(dir);
	free(r);
}
END_TEST

START_TEST(finds_minimizes_and_writes)
{
	struct mmt_difftest_opts o;
	struct mmt_difftest_result *r = malloc(sizeof(*r));
	struct mmt_host_opts ho;
	struct mmt_exec_result er;
	struct mmt_parse_error err;
	struct mmt_program p;
	unsigned held, failed, skipped;
	char dir[512], why[300];
	size_t i;

	ck_assert_ptr_nonnull(r);
	tmpdir(dir, sizeof(dir), "corrupt");
	mmt_difftest_opts_default(&o);
	o.seed = 5;
	o.count = 20;
	o.mremap = false;
	o.corrupt_writes = true;
	o.out = dir;
	ck_assert_int_eq(mmt_difftest(&o, r), 0);
	ck_assert_uint_gt(r->disagreeing, 1);
	ck_assert_uint_ge(r->nr_sigs, 1);
	ck_assert_uint_lt(r->nr_sigs, r->disagreeing);	/* one gap, one file */
	ck_assert_ptr_nonnull(strstr(r->sigs[0].sig, "read-value@"));

	ck_assert_msg(mmt_parse_file(r->sigs[0].path, &p, &err) == 0, "%s:%u:%u: %s",
		      r->sigs[0].path, err.line, err.col, err.msg);
	/* 1-minimal: spawn, a mapping, the write, the read (and maybe a fork) */
	ck_assert_uint_le(p.nr_ops, 5);
	for (i = 0; i < p.nr_ops; i++)
		if (p.ops[i].code == OP_READ)
			break;
	ck_assert_uint_lt(i, p.nr_ops);
	ck_assert(p.ops[i].has_expect_value);

	/* the model fails on it, the host it came from passes it */
	ck_assert_int_eq(mmt_exec(&p, NULL, &er), EXEC_ASSERT);
	mmt_exec_result_free(&er);
	mmt_host_opts_default(&ho);
	ho.corrupt_writes = true;
	ck_assert_int_eq(mmt_host_replay(&p, &ho, "f", NULL, true, &held, &failed, &skipped,
					 why, sizeof(why)), 0);
	ck_assert_uint_eq(failed, 0);
	ck_assert_uint_ge(held, 4);
	/* and an honest host does not */
	ho.corrupt_writes = false;
	ck_assert_int_eq(mmt_host_replay(&p, &ho, "f", NULL, true, &held, &failed, &skipped,
					 why, sizeof(why)), 0);
	ck_assert_uint_eq(failed, 1);
	ck_assert_int_eq(mmt_difftest_program(&p, &ho, NULL, 0, why, sizeof(why)), -1);
	mmt_program_free(&p);
	mmt_remove_tree(dir);
	free(r);
}
END_TEST

START_TEST(one_program)
{
	static const char text[] =
		"mmt 1\n"
		"world nodes=2 frames=64 swap=16\n"
		"spawn p0\n"
		"mmap p0 0x10 2 rw private|anon\n"
		"write p0 0x10 5\n"
		"swapon 1 8\n"
		"reclaim 8\n"
		"migrate p0 0x10 2 1\n"
		"fork p0 p1\n"
		"write p1 0x10 6\n"
		"read p0 0x10\n"
		"read p1 0x10\n"
		"munmap p0 0x10 0\n"
		"mprotect p0 0x11 4 r\n"
		"exit p1\n"
		"read p0 0x10\n";
	struct mmt_host_opts ho;
	struct mmt_program p;
	char what[200], why[300];

	mmt_program_init(&p);
	ck_assert_int_eq(mmt_parse(text, strlen(text), &p, NULL), 0);
	mmt_host_opts_default(&ho);
	ck_assert_int_eq(mmt_difftest_program(&p, &ho, what, sizeof(what), why, sizeof(why)),
			 -1);
	ho.corrupt_writes = true;
	ck_assert_int_eq(mmt_difftest_program(&p, &ho, what, sizeof(what), why, sizeof(why)),
			 8);
	ck_assert_ptr_nonnull(strstr(what, "model ok = 0x5, kernel ok = 0x6"));
	mmt_program_free(&p);
}
END_TEST

static Suite *difftest_suite(void)
{
	Suite *s = suite_create("difftest");
	TCase *tc = tcase_create("difftest");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, agrees_without_mremap);
	tcase_add_test(tc, finds_minimizes_and_writes);
	tcase_add_test(tc, one_program);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(difftest_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
