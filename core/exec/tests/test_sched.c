// SPDX-License-Identifier: MIT
/*
 * test_sched.c - the seeded deciders of sched.h: random walk and PCT.
 *
 * The deciders are tested both directly (calling pick() with made-up
 * runnable sets, so the assertions are exact) and under kp_sched_run() with
 * tasks that take locks and yield, for determinism end to end.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/kprim.h"
#include "mmt/sched.h"

static const int all4[4] = { 0, 1, 2, 3 };

/* ----------------------------------------------------------- random walk */

START_TEST(random_deterministic)
{
	struct mmt_decider_random a, b, c;
	int same_c = 0;

	mmt_decider_random_init(&a, 42);
	mmt_decider_random_init(&b, 42);
	mmt_decider_random_init(&c, 43);
	for (int i = 0; i < 1000; i++) {
		int x = a.d.pick(&a.d, all4, 4, i % 4);
		int y = b.d.pick(&b.d, all4, 4, i % 4);
		int z = c.d.pick(&c.d, all4, 4, i % 4);

		ck_assert_int_eq(x, y);
		same_c += x == z;
	}
	ck_assert_int_lt(same_c, 1000);	/* another seed, another walk */
}
END_TEST

START_TEST(random_covers_all_tasks)
{
	struct mmt_decider_random r;
	int count[4] = { 0 }, sub[2] = { 1, 3 };

	mmt_decider_random_init(&r, 7);
	for (int i = 0; i < 4000; i++)
		count[r.d.pick(&r.d, all4, 4, 0)]++;
	for (int i = 0; i < 4; i++) {
		/* uniform: 1000 expected each; far outside this is a bug */
		ck_assert_int_gt(count[i], 800);
		ck_assert_int_lt(count[i], 1200);
	}
	/* only ever one of the runnable ones */
	for (int i = 0; i < 1000; i++) {
		int x = r.d.pick(&r.d, sub, 2, 1);

		ck_assert(x == 1 || x == 3);
	}
}
END_TEST

/* --------------------------------------------------------------------- PCT */

START_TEST(pct_distinct_priorities)
{
	for (uint64_t seed = 0; seed < 200; seed++) {
		struct mmt_decider_pct p;
		int seen[32] = { 0 };

		mmt_decider_pct_init(&p, seed, 5, 3, 100);
		for (int i = 0; i < 5; i++) {
			ck_assert_int_ge(p.prio[i], 3);	/* d .. d+n-1 */
			ck_assert_int_le(p.prio[i], 3 + 4);
			ck_assert_int_eq(seen[p.prio[i]]++, 0);
		}
		ck_assert_int_eq(p.nr_changes, 2);
		for (int i = 0; i < p.nr_changes; i++)
			ck_assert_uint_lt(p.change_at[i], 100);
	}
}
END_TEST

START_TEST(pct_runs_highest_priority)
{
	for (uint64_t seed = 0; seed < 100; seed++) {
		struct mmt_decider_pct p;
		int top = 0, sub[3] = { 0, 2, 3 }, subtop = 0;

		/* depth 1: no change points, so priorities never move */
		mmt_decider_pct_init(&p, seed, 4, 1, 50);
		for (int i = 1; i < 4; i++)
			if (p.prio[i] > p.prio[top])
				top = i;
		for (int i = 1; i < 3; i++)
			if (p.prio[sub[i]] > p.prio[subtop])
				subtop = sub[i];
		for (int k = 0; k < 50; k++) {
			ck_assert_int_eq(p.d.pick(&p.d, all4, 4, k % 4), top);
			ck_assert_int_eq(p.d.pick(&p.d, sub, 3, -1), subtop);
		}
	}
}
END_TEST

START_TEST(pct_change_points)
{
	struct mmt_decider_pct p;
	int first, second;

	mmt_decider_pct_init(&p, 99, 3, 3, 10);
	/* place the change points by hand: steps 2 and 5 */
	p.change_at[0] = 2;
	p.change_at[1] = 5;
	first = 0;
	for (int i = 1; i < 3; i++)
		if (p.prio[i] > p.prio[first])
			first = i;
	/* steps 0, 1: the top task runs */
	ck_assert_int_eq(p.d.pick(&p.d, all4, 3, first), first);
	ck_assert_int_eq(p.d.pick(&p.d, all4, 3, first), first);
	/* step 2: it is demoted below everyone, so another task runs */
	second = p.d.pick(&p.d, all4, 3, first);
	ck_assert_int_ne(second, first);
	ck_assert_int_lt(p.prio[first], p.prio[(first + 1) % 3]);
	ck_assert_int_lt(p.prio[first], p.prio[(first + 2) % 3]);
	ck_assert_int_eq(p.prio[first], 2);	/* d-1: lowest so far */
	/* steps 3, 4: second keeps running; if it blocks, the remaining one runs */
	ck_assert_int_eq(p.d.pick(&p.d, all4, 3, second), second);
	{
		int rest[2], n = 0, third = -1;

		for (int i = 0; i < 3; i++)
			if (i != second)
				rest[n++] = i;
		third = rest[0] == first ? rest[1] : rest[0];
		ck_assert_int_eq(p.d.pick(&p.d, rest, 2, second), third);
	}
	/* step 5: the running task (second) drops to 1, below first's 2 */
	(void)p.d.pick(&p.d, all4, 3, second);
	ck_assert_int_eq(p.prio[second], 1);
	ck_assert_int_gt(p.prio[first], p.prio[second]);
	/* from now on: third, then first, then second */
	{
		int only[2] = { first < second ? first : second, first < second ? second : first };

		ck_assert_int_eq(p.d.pick(&p.d, only, 2, -1), first);
	}
}
END_TEST

START_TEST(pct_deterministic)
{
	for (uint64_t seed = 0; seed < 50; seed++) {
		struct mmt_decider_pct a, b;

		mmt_decider_pct_init(&a, seed, 4, 3, 40);
		mmt_decider_pct_init(&b, seed, 4, 3, 40);
		ck_assert_mem_eq(&a, &b, sizeof(a));
		for (int k = 0; k < 60; k++)
			ck_assert_int_eq(a.d.pick(&a.d, all4, 4, k % 4),
					 b.d.pick(&b.d, all4, 4, k % 4));
	}
}
END_TEST

/* PCT's guarantee, empirically: each ordering of a depth-2 race is found */
START_TEST(pct_finds_each_order)
{
	int found_first[2] = { 0, 0 };

	for (uint64_t seed = 0; seed < 64; seed++) {
		struct mmt_decider_pct p;
		int steps = 0, owner = -1;
		int ids[2] = { 0, 1 };

		mmt_decider_pct_init(&p, seed, 2, 2, 4);
		/* 2 tasks of 2 steps; who runs at step 0 and keeps going? */
		for (; steps < 4; steps++) {
			int x = p.d.pick(&p.d, ids, 2, owner);

			if (steps == 0)
				found_first[x]++;
			owner = x;
		}
	}
	ck_assert_int_gt(found_first[0], 0);
	ck_assert_int_gt(found_first[1], 0);
}
END_TEST

/* ---------------------------------------------- end to end under kprim */

struct e2e {
	spinlock_t lock;
	int log[4096];
	int n;
};

static struct e2e E;

static void e2e_task(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (int i = 0; i < 20; i++) {
		spin_lock(&E.lock);
		if (E.n < 4096)
			E.log[E.n++] = id;
		spin_unlock(&E.lock);
		cond_resched();
	}
}

static unsigned long e2e_run(struct kp_decider *d, int *log)
{
	kp_task_fn fns[4] = { e2e_task, e2e_task, e2e_task, e2e_task };
	void *args[4] = { (void *)0, (void *)1, (void *)2, (void *)3 };
	unsigned long nd = 0;

	memset(&E, 0, sizeof(E));
	spin_lock_init(&E.lock, LC_POOL);
	ck_assert_int_eq(kp_sched_run(4, fns, args, d, &nd), KP_SCHED_DONE);
	ck_assert_int_eq(E.n, 80);
	memcpy(log, E.log, sizeof(int) * 80);
	spin_lock_destroy(&E.lock);
	return nd;
}

START_TEST(e2e_deterministic)
{
	int a[80], b[80], c[80], differ = 0;

	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct mmt_decider_random r1, r2;
		struct mmt_decider_pct p1, p2, p3;

		mmt_decider_random_init(&r1, seed);
		mmt_decider_random_init(&r2, seed);
		ck_assert_uint_eq(e2e_run(&r1.d, a), e2e_run(&r2.d, b));
		ck_assert_mem_eq(a, b, sizeof(a));

		mmt_decider_pct_init(&p1, seed, 4, 3, 160);
		mmt_decider_pct_init(&p2, seed, 4, 3, 160);
		ck_assert_uint_eq(e2e_run(&p1.d, a), e2e_run(&p2.d, b));
		ck_assert_mem_eq(a, b, sizeof(a));
		mmt_decider_pct_init(&p3, seed + 1000, 4, 3, 160);
		e2e_run(&p3.d, c);
		differ += memcmp(a, c, sizeof(a)) != 0;
	}
	ck_assert_int_gt(differ, 0);
}
END_TEST

/* PCT with depth 1 never preempts: tasks run one after another, whole */
START_TEST(e2e_pct_depth1_serial)
{
	int log[80];
	struct mmt_decider_pct p;

	mmt_decider_pct_init(&p, 5, 4, 1, 160);
	e2e_run(&p.d, log);
	for (int t = 0; t < 4; t++)
		for (int i = 1; i < 20; i++)
			ck_assert_int_eq(log[t * 20 + i], log[t * 20]);
}
END_TEST

START_TEST(e2e_random_interleaves_all)
{
	int log[80], seen[4] = { 0 }, switches = 0;
	struct mmt_decider_random r;

	mmt_decider_random_init(&r, 11);
	e2e_run(&r.d, log);
	for (int i = 0; i < 80; i++) {
		seen[log[i]]++;
		switches += i && log[i] != log[i - 1];
	}
	for (int t = 0; t < 4; t++)
		ck_assert_int_eq(seen[t], 20);
	ck_assert_int_gt(switches, 20);
}
END_TEST

static Suite *sched_suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("sched");

	tcase_add_test(tc, random_deterministic);
	tcase_add_test(tc, random_covers_all_tasks);
	tcase_add_test(tc, pct_distinct_priorities);
	tcase_add_test(tc, pct_runs_highest_priority);
	tcase_add_test(tc, pct_change_points);
	tcase_add_test(tc, pct_deterministic);
	tcase_add_test(tc, pct_finds_each_order);
	tcase_add_test(tc, e2e_deterministic);
	tcase_add_test(tc, e2e_pct_depth1_serial);
	tcase_add_test(tc, e2e_random_interleaves_all);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sched_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
