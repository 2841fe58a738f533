// SPDX-License-Identifier: MIT
/*
 * test_daemon.c - the kernel daemons' passes (daemon.h): kcompactd moves
 * folios within their node and keeps every mapping and value; kswapd frees
 * folios to swap in batches; and both, run as a daemon task among generated
 * multi-task programs under PCT and random interleavings, break no invariant
 * and no DATA check.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/daemon.h"
#include "mmt/exec.h"
#include "mmt/folio.h"
#include "mmt/gen.h"
#include "mmt/mm.h"
#include "mmt/page_idle.h"
#include "mmt/rmap.h"
#include "mmt/sched.h"
#include "mmt/swap.h"
#include "mmt/world.h"

#include "mmt_test.h"

START_TEST(kcompactd_moves_within_node)
{
	struct mm_struct *a = mm_alloc(), *b = NULL;
	uint64_t pfn[8];
	int moved = 0;
	long n;

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(do_mmap(a, 0x10, 8, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_mmap(a, 0x20, 2, RW, MAP_SHARED), 0);	/* memfd pages */
	for (int i = 0; i < 8; i++)
		wr(a, 0x10 + i, 100 + i);
	wr(a, 0x20, 7);
	ck_assert_int_eq(dup_mm(a, &b), 0);			/* COW-shared now */
	for (int i = 0; i < 8; i++) {
		pte_t pte = *mmt_pte_peek(a, 0x10 + i);

		ck_assert(pte_present(pte));
		pfn[i] = pte_pfn(pte);
	}
	n = kcompactd_run(0, 1000);
	ck_assert_int_gt(n, 0);
	assert_clean();
	for (int i = 0; i < 8; i++) {
		pte_t pa = *mmt_pte_peek(a, 0x10 + i), pb = *mmt_pte_peek(b, 0x10 + i);

		ck_assert(pte_present(pa));
		ck_assert_uint_eq(pte_pfn(pa), pte_pfn(pb));	/* still one folio */
		ck_assert_int_eq(pfn_folio(pte_pfn(pa))->nid, pfn_folio(pfn[i])->nid);
		moved += pte_pfn(pa) != pfn[i];
		ck_assert_uint_eq(rd(a, 0x10 + i), 100 + i);
		ck_assert_uint_eq(rd(b, 0x10 + i), 100 + i);
	}
	ck_assert_int_gt(moved, 0);
	ck_assert_uint_eq(rd(b, 0x20), 7);
	ck_assert_int_eq(kcompactd_run(2, 1), -ENODEV);
	ck_assert_int_eq(kcompactd_run(-1, 1), -ENODEV);
	ck_assert_int_ge(kcompactd_run(1, 1), 0);		/* nothing there: fine */
	assert_clean();
	mmput(b);
	mmput(a);
	ck_assert_int_eq(check_world_empty(), 0);
}
END_TEST

START_TEST(kswapd_reclaims_in_batches)
{
	struct mm_struct *a = mm_alloc();
	unsigned long freed;
	int swapped = 0;

	ck_assert_int_eq(sys_swapon(0, 64), 0);
	ck_assert_int_eq(do_mmap(a, 0x10, 40, RW, PRIV_ANON), 0);
	for (int i = 0; i < 40; i++)
		wr(a, 0x10 + i, 1000 + i);
	/* each pte is young from its fault: the first look only rotates it */
	freed = kswapd_run(80);
	ck_assert_uint_ge(freed, 33);	/* more than one batch of 32 */
	assert_clean();
	for (int i = 0; i < 40; i++)
		swapped += is_swap_pte(*mmt_pte_peek(a, 0x10 + i));
	ck_assert_int_eq(swapped, (int)freed);
	for (int i = 0; i < 40; i++)
		ck_assert_uint_eq(rd(a, 0x10 + i), 1000 + i);
	/* a pass of N looks at no more than N folios */
	ck_assert_uint_le(kswapd_run(1), 1);
	assert_clean();
	mmput(a);
	ck_assert_int_eq(sys_swapoff(0), 0);
	ck_assert_int_eq(check_world_empty(), 0);
}
END_TEST

/* a generated 3-task program plus daemon task 3 */
/*
 * The idle page tracker (page_idle.h): a first pass takes the accessed bits
 * the writes left and marks every page idle; a second finds them all still
 * idle; a write makes its page not idle at the next pass; and the access a
 * pass took from a pte still counts for reclaim's folio_referenced, through
 * PG_young.  Anon pages (walked without the folio lock) and memfd pages
 * (trylocked) alike.
 */
START_TEST(page_idle_tracks_accesses)
{
	struct mm_struct *a = mm_alloc();
	unsigned long vm_flags;
	struct folio *f;

	ck_assert_int_eq(do_mmap(a, 0x10, 4, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_mmap(a, 0x20, 2, RW, MAP_SHARED), 0);
	for (int i = 0; i < 4; i++)
		wr(a, 0x10 + i, 100 + i);
	wr(a, 0x20, 7);
	wr(a, 0x21, 8);
	f = pfn_folio(pte_pfn(*mmt_pte_peek(a, 0x11)));
	ck_assert(pte_young(*mmt_pte_peek(a, 0x11)));
	/* pass 1: nothing was idle; the young ptes are made old, folios young */
	ck_assert_uint_eq(page_idle_scan(nr_frames_total()), 0);
	ck_assert(!pte_young(*mmt_pte_peek(a, 0x11)));
	ck_assert(folio_test_idle(f));
	ck_assert(folio_test_young(f));
	assert_clean();
	/* pass 2: no access since: all six idle */
	ck_assert_uint_eq(page_idle_scan(nr_frames_total()), 6);
	/* a write (a young pte again) ends one page's idleness */
	wr(a, 0x11, 55);
	ck_assert_uint_eq(page_idle_scan(nr_frames_total()), 5);
	ck_assert(!folio_test_idle(f) || !pte_young(*mmt_pte_peek(a, 0x11)));
	/* reclaim still sees the access the tracker took (PG_young) */
	ck_assert(folio_test_young(f));
	ck_assert_int_gt(folio_referenced(f, false, &vm_flags), 0);
	ck_assert(!folio_test_young(f));
	ck_assert_int_eq(folio_referenced(f, false, &vm_flags), 0);
	ck_assert_uint_eq(rd(a, 0x11), 55);
	assert_clean();
	mmput(a);
	ck_assert_int_eq(check_world_empty(), 0);
}
END_TEST

static void daemon_program(struct mmt_program *p, uint64_t seed)
{
	struct mmt_gen_opts g;
	struct mmt_op op;

	mmt_gen_opts_default(&g);
	g.nr_tasks = 3;
	g.nr_ops = 24;
	mmt_program_init(p);
	ck_assert_int_eq(mmt_gen_random(p, seed, &g), 0);
	memset(&op, 0, sizeof(op));
	op.expect = -1;
	op.task = 3;
	for (int k = 0; k < 6; k++) {
		/* and the idle page tracker, whose anon walks start unlocked */
		op.code = k >= 4 ? OP_PAGE_IDLE : k & 1 ? OP_KCOMPACTD : OP_KSWAPD;
		op.addr = 8 + 4 * (uint64_t)k;
		op.node = (k / 2) % 2;
		ck_assert_int_eq(mmt_program_add(p, &op), 0);
	}
}

START_TEST(daemons_among_tasks)
{
	int seeds = 150;

	for (int s = 0; s < seeds; s++) {
		struct mmt_program p;
		struct mmt_exec_opts o;
		struct mmt_exec_result r;
		struct mmt_decider_pct pct;
		struct mmt_decider_random rw;

		daemon_program(&p, (uint64_t)s);
		mmt_exec_opts_default(&o);
		o.teardown = true;
		if (s & 1) {
			mmt_decider_pct_init(&pct, (uint64_t)s, 4, 3, 2000);
			o.decider = &pct.d;
		} else {
			mmt_decider_random_init(&rw, (uint64_t)s);
			o.decider = &rw.d;
		}
		mmt_exec(&p, &o, &r);
		if (r.status != EXEC_PASS)
			mmt_exec_report(stderr, "daemons_among_tasks", &p, &r);
		ck_assert_msg(r.status == EXEC_PASS, "seed %d: %s", s, r.msg);
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
	}
}
END_TEST

static Suite *daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("model");
	TCase *tx = tcase_create("exec");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, kcompactd_moves_within_node);
	tcase_add_test(tc, kswapd_reclaims_in_batches);
	tcase_add_test(tc, page_idle_tracks_accesses);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tx, 120);
	tcase_add_test(tx, daemons_among_tasks);
	suite_add_tcase(s, tx);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(daemon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
