// SPDX-License-Identifier: MIT
/*
 * test_lockorder.c - LOCKORDER, the lockdep-lite checker of kprim.c.
 *
 *   - it learns the order of core/mm/rmap.c's header from what the model
 *     does (fork, faults, migration, reclaim, swap-in), every pair it sees
 *     goes down the documented ranking, and a run of the model reports no
 *     inversion;
 *   - a deliberately inverted order on a test-only path (the ptl, then a
 *     folio lock) fires LOCKORDER through the executor's reporter, and the
 *     report names both lock classes, the op that broke the order and the
 *     op that established it first.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/exec.h"
#include "mmt/kprim.h"
#include "mmt/program.h"

static const char learn_prog[] =
	"mmt 1\n"
	"world nodes=2 frames=32 swap=64\n"
	"spawn p0\n"
	"mmap p0 0x10 4 rw private|anon\n"
	"mmap p0 0x20 2 rw shared\n"
	"write p0 0x10 0x1\n"
	"write p0 0x11 0x2\n"
	"write p0 0x20 0x3\n"
	"fork p0 p1\n"
	"migrate p0 0x10 2 1 all\n"
	"migrate p0 0x20 1 1 all\n"
	"madvise p1 0x11 1 pageout\n"
	"reclaim 8\n"
	"read p1 0x10 = 0x1\n"
	"read p1 0x11 = 0x2\n"
	"kswapd 8\n"
	"kcompactd 1 8\n"
	"exit p1\n"
	"exit p0\n";

static void run_learn(void)
{
	struct mmt_program p;
	struct mmt_exec_result r;

	ck_assert_int_eq(mmt_parse(learn_prog, strlen(learn_prog), &p, NULL), 0);
	mmt_exec(&p, NULL, &r);
	ck_assert_msg(r.status == EXEC_PASS, "%s", r.msg);
	mmt_exec_result_free(&r);
	mmt_program_free(&p);
}

START_TEST(learns_documented_order)
{
	int pairs = 0;
	const char *s;

	run_learn();
	/* only ever down the ranking: a -> b is learnt only for a < b */
	for (int a = 0; a < LC_NR; a++)
		for (int b = 0; b <= a; b++)
			ck_assert_ptr_null(kp_lockorder_first(a, b));
	for (int a = 1; a < LC_NR; a++)
		for (int b = a + 1; b < LC_NR; b++)
			pairs += kp_lockorder_first(a, b) != NULL;
	ck_assert_int_ge(pairs, 8);
	/* the edges of rmap.c's tree that these ops walk, and who showed them */
	s = kp_lockorder_first(LC_MMAP_LOCK, LC_PTL);
	ck_assert_ptr_nonnull(s);
	s = kp_lockorder_first(LC_FOLIO_LOCK, LC_ANON_VMA);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strstr(s, "migrate") || strstr(s, "madvise") || strstr(s, "reclaim") ||
		      strstr(s, "kswapd"), "folio_lock -> anon_vma first in '%s'", s);
	ck_assert_ptr_nonnull(strstr(s, "line "));
	ck_assert_ptr_nonnull(kp_lockorder_first(LC_FOLIO_LOCK, LC_PTL));
	ck_assert_ptr_nonnull(kp_lockorder_first(LC_ANON_VMA, LC_PTL));
	ck_assert_ptr_nonnull(kp_lockorder_first(LC_FOLIO_LOCK, LC_I_MMAP));
	ck_assert_ptr_nonnull(kp_lockorder_first(LC_PTL, LC_SWAP_INFO));
	ck_assert_ptr_nonnull(kp_lockorder_first(LC_MMAP_LOCK, LC_ANON_VMA));
}
END_TEST

/* the test-only inverted path */
static spinlock_t ptl;
static struct mutex folio_lock_like;

static void inverted_ctx(char *buf, unsigned long len, const void *arg)
{
	(void)arg;
	snprintf(buf, len, "test: inverted ptl -> folio_lock");
}

static void inverted_task(void *arg)
{
	(void)arg;
	kp_set_context(inverted_ctx, NULL);
	spin_lock(&ptl);
	mutex_lock(&folio_lock_like);	/* folio_lock ranks above the ptl */
	mutex_unlock(&folio_lock_like);
	spin_unlock(&ptl);
	kp_set_context(NULL, NULL);
}

START_TEST(inversion_fires_with_both_ops)
{
	kp_task_fn fn = inverted_task;
	const char *msg, *first;

	run_learn();		/* installs the executor's reporter, learns the order */
	first = kp_lockorder_first(LC_FOLIO_LOCK, LC_PTL);
	ck_assert_ptr_nonnull(first);
	mmt_report_reset();
	spin_lock_init(&ptl, LC_PTL);
	mutex_init(&folio_lock_like, LC_FOLIO_LOCK);
	ck_assert_int_eq(kp_sched_run(1, &fn, NULL, NULL, NULL), KP_SCHED_DONE);
	ck_assert_uint_eq(mmt_report.count, 1);
	ck_assert_int_eq(mmt_report.first.inv, INV_LOCKORDER);
	msg = mmt_report.first.msg;
	ck_assert_msg(strstr(msg, "took folio_lock while holding ptl"), "%s", msg);
	ck_assert_msg(strstr(msg, "in 'test: inverted ptl -> folio_lock'"), "%s", msg);
	ck_assert_msg(strstr(msg, "first seen in 'line "), "%s", msg);
	ck_assert_msg(strstr(msg, first), "%s (first: %s)", msg, first);
	/* the same order, the right way round, is silent */
	mmt_report_reset();
	mutex_lock(&folio_lock_like);
	spin_lock(&ptl);
	spin_unlock(&ptl);
	mutex_unlock(&folio_lock_like);
	ck_assert_uint_eq(mmt_report.count, 0);
	spin_lock_destroy(&ptl);
	mutex_destroy(&folio_lock_like);
}
END_TEST

/* an inversion with no earlier example says where the order comes from */
START_TEST(inversion_never_seen)
{
	static spinlock_t a, b;

	run_learn();
	mmt_report_reset();
	spin_lock_init(&a, LC_MMLIST);
	spin_lock_init(&b, LC_SWAP_LOCK);
	if (!kp_lockorder_first(LC_SWAP_LOCK, LC_MMLIST)) {
		spin_lock(&a);
		spin_lock(&b);
		spin_unlock(&b);
		spin_unlock(&a);
		ck_assert_uint_eq(mmt_report.count, 1);
		ck_assert_msg(strstr(mmt_report.first.msg, "documented in rmap.c"), "%s",
			      mmt_report.first.msg);
		ck_assert_msg(strstr(mmt_report.first.msg, "in '?'"), "%s", mmt_report.first.msg);
	}
	spin_lock_destroy(&a);
	spin_lock_destroy(&b);
}
END_TEST

static Suite *lockorder_suite(void)
{
	Suite *s = suite_create("lockorder");
	TCase *tc = tcase_create("lockorder");

	tcase_add_test(tc, learns_documented_order);
	tcase_add_test(tc, inversion_fires_with_both_ops);
	tcase_add_test(tc, inversion_never_seen);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lockorder_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
