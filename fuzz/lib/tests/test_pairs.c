/* SPDX-License-Identifier: MIT */
/*
 * test_pairs.c - generic race generation (pairs.c).
 *
 * Over fixed seeds: every program is a race of the asked task count whose
 * task 0 op reached a yield point in the sequential run, it parses back
 * after printing, its setup is task 0's, the same seed gives the same
 * program, and across seeds the long ops are not one op: what is long is
 * read off the runs, and several kinds show up.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/pairs.h"
#include "mmt/program.h"

START_TEST(pairs_are_races)
{
	unsigned tasks = (unsigned)_i;
	unsigned made = 0, kinds = 0;
	bool seen[256] = { false };

	for (uint64_t seed = 1; seed <= 60; seed++) {
		struct mmt_program p, q;
		struct mmt_pair_info info;
		char *a, *b;
		int err;

		mmt_program_init(&p);
		err = mmt_gen_pair_race(&p, seed, tasks, &info);
		if (err == -EAGAIN) {
			mmt_program_free(&p);
			continue;
		}
		ck_assert_int_eq(err, 0);
		made++;
		ck_assert_int_eq(mmt_program_nr_tasks(&p), (int)tasks);
		ck_assert_int_gt(info.yields, 0);
		ck_assert(mmt_program_reparses(&p));
		ck_assert_uint_eq(p.nr_ops, info.setup_ops + tasks);
		for (size_t i = 0; i < info.setup_ops; i++)
			ck_assert_int_eq(p.ops[i].task, 0);
		ck_assert_int_eq(p.ops[info.setup_ops].code, info.long_op);
		if (!seen[info.long_op & 255]) {
			seen[info.long_op & 255] = true;
			kinds++;
		}
		/* deterministic */
		mmt_program_init(&q);
		ck_assert_int_eq(mmt_gen_pair_race(&q, seed, tasks, NULL), 0);
		a = mmt_print_string(&p);
		b = mmt_print_string(&q);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_str_eq(a, b);
		free(a);
		free(b);
		mmt_program_free(&p);
		mmt_program_free(&q);
	}
	ck_assert_uint_ge(made, 30);
	ck_assert_uint_ge(kinds, 3);
}
END_TEST

/*
 * A new op takes part with no registration: the split op (debugfs
 * split_huge_pages) yields between the pages it walks and in its split's
 * rmap walk, so the runs make it the long op of some pair.
 */
START_TEST(split_is_a_long_op)
{
	bool found = false;

	for (uint64_t seed = 1; seed <= 400 && !found; seed++) {
		struct mmt_program p;
		struct mmt_pair_info info;

		mmt_program_init(&p);
		if (mmt_gen_pair_race(&p, seed, 2, &info) == 0)
			found = info.long_op == OP_SPLIT;
		mmt_program_free(&p);
	}
	ck_assert(found);
}
END_TEST

static Suite *pairs_suite(void)
{
	Suite *s = suite_create("pairs");
	TCase *tc = tcase_create("pairs");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, pairs_are_races, 2, 4);
	tcase_add_test(tc, split_is_a_long_op);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pairs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
