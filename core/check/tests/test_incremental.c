// SPDX-License-Identifier: MIT
/*
 * test_incremental.c - check_world_incremental() says what check_world()
 * says.
 *
 * The incremental check trusts the model's own high-water marks to stop
 * early: each page table's nr_used (kept by set_pte_at and pte_table), each
 * node's bump pointer (frames never handed out), each swap device's
 * highest_alloc, the pools' used maps and the page cache's occupancy
 * bitmap; everything else is the full check.  So on every state the model
 * itself builds, clean or broken by an injected bug, both must report the
 * same violations.  Here both run
 * on the state after every prefix of many random programs (gen.c, fixed
 * seeds), with and without each bug of the zoo, and on the zoo reproducers;
 * after each clean prefix the world is also broken on purpose (a refcount,
 * a swap count, a pte stored through set_pte_at) and compared again; and
 * the full check is shown to catch a count that a pte written behind
 * set_pte_at's back made stale, and stores past the other marks.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/exec.h"
#include "mmt/gen.h"
#include "mmt/inject.h"
#include "mmt/mm.h"
#include "mmt/program.h"
#include "mmt/swap.h"
#include "mmt/world.h"

struct verdict {
	int n;
	unsigned long count;
	uint64_t mask;
	struct mmt_violation first;
};

static void run_check(int (*fn)(void), struct verdict *v)
{
	mmt_report_reset();
	v->n = fn();
	v->count = mmt_report.count;
	v->mask = mmt_report.inv_mask;
	v->first = mmt_report.first;
}

/* both checkers on the world as it is now; returns violations found */
static int compare_now(const char *what)
{
	struct verdict full, inc;

	run_check(check_world, &full);
	run_check(check_world_incremental, &inc);
	ck_assert_msg(full.n == inc.n && full.count == inc.count && full.mask == inc.mask,
		      "%s: full check %d violations (mask %#llx), incremental %d (mask %#llx)",
		      what, full.n, (unsigned long long)full.mask, inc.n,
		      (unsigned long long)inc.mask);
	ck_assert_msg(!full.count || (full.first.inv == inc.first.inv &&
				      !strcmp(full.first.object, inc.first.object) &&
				      !strcmp(full.first.msg, inc.first.msg)),
		      "%s: first violations differ: full %s %s: %s, incremental %s %s: %s", what,
		      mmt_invariant_name(full.first.inv), full.first.object, full.first.msg,
		      mmt_invariant_name(inc.first.inv), inc.first.object, inc.first.msg);
	return full.n;
}

/* a frame the allocator has handed out (to something or back to free) */
static uint32_t handed_out_pfn(uint64_t r)
{
	struct world *w = the_world;
	uint32_t n = 0;

	for (int i = 0; i < w->nr_nodes; i++)
		n += w->node[i].next_fresh;
	if (!n)
		return UINT32_MAX;
	n = (uint32_t)(r % n);
	for (int i = 0; i < w->nr_nodes; i++) {
		if (n < w->node[i].next_fresh)
			return w->node[i].first_pfn + n;
		n -= w->node[i].next_fresh;
	}
	return UINT32_MAX;
}

/*
 * Break the world the way a model bug would, through the model's own
 * stores, inside what the model has used (so every mark stays exact): a
 * refcount of a frame that was handed out, a swap count of a slot that
 * was, a pte.
 */
static void corrupt(uint64_t seed)
{
	struct world *w = the_world;
	uint64_t r = seed * 0x9e3779b97f4a7c15ull;
	struct swap_info_struct *si = &w->swap_info[0];

	switch (r % 3) {
	case 0:
		if (handed_out_pfn(r >> 8) != UINT32_MAX) {
			atomic_fetch_add(&w->folios[handed_out_pfn(r >> 8)]._refcount, 1);
			break;
		}
		/* fall through: no frame used yet */
	case 1:
		if ((si->flags & SWP_USED) && si->highest_alloc >= 1) {
			si->swap_map[1 + (r >> 8) % si->highest_alloc] ^= 1;
			break;
		}
		/* fall through: no swap slot used */
	case 2:
		for (uint32_t i = 0; i < w->mm_pool.next_fresh; i++) {
			struct mm_struct *mm = (struct mm_struct *)(w->mm_pool.base +
								    (size_t)i * w->mm_pool.objsize);
			uint64_t addr = 0x10 + (r >> 8) % 32;
			pte_t *p;

			if (!w->mm_pool.used[i] || !(p = mmt_pte_peek(mm, addr)))
				continue;
			set_pte_at(mm, addr, p, (r >> 16) & 1 ?
				   pfn_pte((r >> 20) % w->nr_frames, (r >> 17) & 1) :
				   swp_entry_to_pte(swp_entry(0, 1 + (r >> 20) % 8)));
			break;
		}
		break;
	}
}

/*
 * Run @p's first @nr ops with no checking, leaving the world as the model
 * made it, then compare the two checkers on it.
 */
static void compare_prefix(struct mmt_program *p, size_t nr, uint64_t inject, const char *what,
			   unsigned long *clean, unsigned long *broken)
{
	struct mmt_exec_opts o;
	struct mmt_exec_result r;
	size_t all = p->nr_ops;
	int n;

	mmt_exec_opts_default(&o);
	o.check_each_op = false;
	o.stop_on_violation = false;
	o.inject = inject;
	p->nr_ops = nr;
	mmt_exec(p, &o, &r);
	p->nr_ops = all;
	mmt_exec_result_free(&r);
	n = compare_now(what);
	++*(n ? broken : clean);
	if (inject == 0 && n == 0) {
		corrupt(nr * 131 + p->nr_ops);
		++*(compare_now(what) ? broken : clean);
	}
}

#define NR_SEEDS	60

/* every prefix of random programs, clean and with each zoo bug */
START_TEST(test_random_prefixes)
{
	unsigned tasks = (unsigned)_i + 1;
	unsigned long clean = 0, broken = 0;

	for (uint64_t seed = 1; seed <= NR_SEEDS; seed++) {
		struct mmt_gen_opts g;
		struct mmt_program p;

		mmt_gen_opts_default(&g);
		g.nr_tasks = tasks;
		mmt_program_init(&p);
		ck_assert_int_eq(mmt_gen_random(&p, seed, &g), 0);
		for (int bug = -1; bug < NR_MMT_BUGS; bug++) {
			uint64_t inject = bug < 0 ? 0 : 1ull << bug;

			for (size_t k = 1; k <= p.nr_ops; k++) {
				char what[96];

				snprintf(what, sizeof(what), "seed %llu tasks %u inject %s ops %zu",
					 (unsigned long long)seed, tasks,
					 bug < 0 ? "none" : mmt_bugs[bug].name, k);
				compare_prefix(&p, k, inject, what, &clean, &broken);
			}
		}
		mmt_program_free(&p);
	}
	/* both kinds of state were compared */
	ck_assert_uint_gt(clean, 0);
	ck_assert_uint_gt(broken, 0);
}
END_TEST

/* a whole run gives the same result whichever checker runs after each op */
START_TEST(test_exec_modes_agree)
{
	for (uint64_t seed = 1; seed <= 4 * NR_SEEDS; seed++) {
		for (int bug = -1; bug < NR_MMT_BUGS; bug++) {
			struct mmt_exec_result r[2];
			struct mmt_exec_opts o;
			struct mmt_gen_opts g;
			struct mmt_program p;

			mmt_gen_opts_default(&g);
			g.nr_tasks = 1 + (unsigned)(seed & 1);
			mmt_program_init(&p);
			ck_assert_int_eq(mmt_gen_random(&p, seed, &g), 0);
			mmt_exec_opts_default(&o);
			o.teardown = true;
			o.inject = bug < 0 ? 0 : 1ull << bug;
			for (int m = 0; m < 2; m++) {
				o.check_mode = m ? MMT_CHECK_FULL : MMT_CHECK_INCREMENTAL;
				mmt_exec(&p, &o, &r[m]);
			}
			ck_assert_msg(r[0].status == r[1].status && r[0].fail_op == r[1].fail_op &&
				      !strcmp(r[0].msg, r[1].msg),
				      "seed %llu inject %s: incremental %d at op %ld (%s), "
				      "full %d at op %ld (%s)", (unsigned long long)seed,
				      bug < 0 ? "none" : mmt_bugs[bug].name, r[0].status,
				      r[0].fail_op, r[0].msg, r[1].status, r[1].fail_op, r[1].msg);
			mmt_exec_result_free(&r[0]);
			mmt_exec_result_free(&r[1]);
			mmt_program_free(&p);
		}
	}
}
END_TEST

/* the zoo reproducers: each bug's own program, every prefix */
START_TEST(test_zoo_prefixes)
{
	char path[PATH_MAX + 64];
	unsigned long clean = 0, broken = 0;

	for (int bug = 0; bug < NR_MMT_BUGS; bug++) {
		struct mmt_parse_error err;
		struct mmt_program p;

		snprintf(path, sizeof(path), "%s/corpus/zoo/%s.mmt", MMT_SOURCE_DIR,
			 mmt_bugs[bug].name);
		mmt_program_init(&p);
		if (mmt_parse_file(path, &p, &err)) {
			mmt_program_free(&p);
			continue;	/* not every bug has a reproducer yet */
		}
		for (size_t k = 1; k <= p.nr_ops; k++) {
			char what[96];

			snprintf(what, sizeof(what), "zoo %s ops %zu", mmt_bugs[bug].name, k);
			compare_prefix(&p, k, 1ull << bug, what, &clean, &broken);
		}
		mmt_program_free(&p);
	}
	ck_assert_uint_gt(broken, 0);
}
END_TEST

/* the full check recounts every table: a pte stored behind set_pte_at shows */
START_TEST(test_stale_nr_used_reported)
{
	struct world_config cfg;
	struct world *w;
	struct mm_struct *mm;
	uint64_t val = 1;
	pte_t *p, saved;

	world_config_default(&cfg);
	cfg.frames = 64;
	w = world_create(&cfg);
	ck_assert_ptr_nonnull(w);
	mm = mm_alloc();
	ck_assert_ptr_nonnull(mm);
	ck_assert_int_eq(do_mmap(mm, 0x10, 4, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS), 0);
	ck_assert_int_eq(mmt_access(mm, 0x10, true, &val), 0);
	ck_assert_int_eq(compare_now("clean"), 0);

	p = mmt_pte_peek(mm, 0x10);
	ck_assert_ptr_nonnull(p);
	saved = *p;
	*p = __pte(0);		/* not set_pte_at: nr_used still counts it */
	mmt_report_reset();
	ck_assert_int_gt(check_world(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_BUG));
	*p = saved;
	ck_assert_int_eq(compare_now("restored"), 0);
	mmput(mm);
	ck_assert_int_eq(check_world_empty(), 0);
	world_destroy(w);
}
END_TEST

/*
 * Stores past the marks, which no model code makes (only the allocators
 * move them): the incremental check may miss them, the full check, which
 * every program ends with, must not.
 */
START_TEST(test_past_marks_reported)
{
	struct world_config cfg;
	struct world *w;
	struct swap_info_struct *si;
	struct folio *fresh;

	world_config_default(&cfg);
	cfg.frames = 64;
	w = world_create(&cfg);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(sys_swapon(0, 16), 0);
	ck_assert_int_eq(compare_now("clean"), 0);

	/* a frame past node 0's bump pointer with a reference */
	fresh = &w->folios[w->node[0].first_pfn + w->node[0].nr_frames - 1];
	ck_assert_uint_lt(w->node[0].next_fresh, w->node[0].nr_frames);
	atomic_fetch_add(&fresh->_refcount, 1);
	mmt_report_reset();
	ck_assert_int_gt(check_world(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_REFCOUNT));
	atomic_fetch_sub(&fresh->_refcount, 1);
	ck_assert_int_eq(compare_now("frame restored"), 0);

	/* a swap slot above highest_alloc in use */
	si = &w->swap_info[0];
	ck_assert(si->flags & SWP_USED);
	ck_assert_uint_gt(si->max, si->highest_alloc + 2);
	si->swap_map[si->highest_alloc + 2] = 1;
	mmt_report_reset();
	ck_assert_int_gt(check_world(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_SWAPMAP));
	si->swap_map[si->highest_alloc + 2] = 0;
	ck_assert_int_eq(compare_now("slot restored"), 0);
	ck_assert_int_eq(sys_swapoff(0), 0);
	world_destroy(w);
}
END_TEST

static Suite *incremental_suite(void)
{
	Suite *s = suite_create("incremental");
	TCase *tc = tcase_create("equivalence");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_random_prefixes, 0, 2);
	tcase_add_test(tc, test_exec_modes_agree);
	tcase_add_test(tc, test_zoo_prefixes);
	tcase_add_test(tc, test_stale_nr_used_reported);
	tcase_add_test(tc, test_past_marks_reported);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(incremental_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
