// SPDX-License-Identifier: MIT
/*
 * test_search.c - the race-zoo bugs found from scratch by a seeded search.
 *
 * For each of the schedule-dependent seed-000 bugs, the search generates
 * race-template programs (mmt_gen_race: task 0 migrates p0's pages while
 * task 1 forks, mprotects, writes and reads the same processes; no schedule)
 * and runs each under a seeded decider, PCT or random walk, with the bug
 * switched on, until the expected invariant fires.  Nobody hands it the
 * interleaving: the program and the decisions both come from the seed.
 *
 * Then:
 *   - the same programs under the same seeds, bug off, all pass (so the
 *     search finds the bug, not noise);
 *   - the finding, printed as .mmt with the schedule it took, parses back
 *     and replays the same violation 100 times out of 100 without any
 *     decider (the schedule line alone).
 *
 * Seeds and bounds are fixed, so this test is deterministic; the bounds are
 * generous multiples of where each search first succeeds today.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/exec.h"
#include "mmt/gen.h"
#include "mmt/inject.h"
#include "mmt/program.h"
#include "mmt/sched.h"

enum engine { E_PCT, E_RANDOM, E_NONE };	/* E_NONE: as written, no decider */

struct target {
	enum mmt_bug bug;
	uint64_t invs;		/* a bit per acceptable invariant */
	unsigned limit[2];	/* seeds to try, per engine */
	int depth;		/* PCT's bug depth: switches the race needs, plus one */
};

#define INV(x) (1ull << (x))

static const struct target targets[] = {
	/*
	 * The remove_migration_ptes walk holds the anon_vma lock throughout, so
	 * fork must link before it starts and copy after it has passed the
	 * child: three switches (0 -> 1 -> 0 -> 1), none of them forced by a
	 * task blocking, so PCT needs a change point for each: depth 4.
	 */
	{ BUG_ANON_VMA_HEAD_INSERT, INV(INV_MIGRATION), { 5000, 12000 }, 4 },
	{ BUG_FORK_MIGRATION_WRITE_FLAG, INV(INV_EXCLUSIVE) | INV(INV_PROT) | INV(INV_DATA),
	  { 3000, 12000 }, 2 },
	{ BUG_MPROTECT_KEEPS_WRITE_MIGRATION, INV(INV_PROT), { 6000, 20000 }, 2 },
};

union decider {
	struct mmt_decider_pct pct;
	struct mmt_decider_random rnd;
};

/* decision points of the program's default run: PCT's estimate of k */
static unsigned long steps_of(const struct mmt_program *p)
{
	struct mmt_exec_opts o;
	struct mmt_exec_result r;
	unsigned long n;

	mmt_exec_opts_default(&o);
	mmt_exec(p, &o, &r);
	n = r.nr_schedule ? r.nr_schedule : 1;
	mmt_exec_result_free(&r);
	return n;
}

static struct kp_decider *decider_for(union decider *u, enum engine e, uint64_t seed,
				      const struct mmt_program *p, int depth)
{
	if (e == E_PCT) {
		mmt_decider_pct_init(&u->pct, seed, 2, depth, steps_of(p));
		return &u->pct.d;
	}
	mmt_decider_random_init(&u->rnd, seed);
	return &u->rnd.d;
}

static void search(const struct target *tg, enum engine e)
{
	const char *bug = mmt_bugs[tg->bug].name;
	const char *eng = e == E_PCT ? "pct" : "random";
	struct mmt_program finding, q;
	struct mmt_exec_result first;
	struct mmt_parse_error err;
	long found = -1;
	char *text;

	mmt_program_init(&finding);
	for (unsigned s = 0; s < tg->limit[e] && found < 0; s++) {
		struct mmt_program p;
		struct mmt_exec_opts o;
		struct mmt_exec_result r;
		union decider u;

		mmt_program_init(&p);
		ck_assert_int_eq(mmt_gen_race(&p, s, 2, 3), 0);
		mmt_exec_opts_default(&o);

		/* the bug off: the same program and decisions must pass */
		o.decider = decider_for(&u, e, s, &p, tg->depth);
		mmt_exec(&p, &o, &r);
		if (r.status != EXEC_PASS)
			mmt_exec_report(stderr, "search (no bug)", &p, &r);
		ck_assert_msg(r.status == EXEC_PASS, "%s/%s seed %u fails without the bug: %s",
			      bug, eng, s, r.msg);
		mmt_exec_result_free(&r);

		/* the bug on */
		o.decider = decider_for(&u, e, s, &p, tg->depth);
		o.inject = 1ull << tg->bug;
		mmt_exec(&p, &o, &r);
		if (r.status == EXEC_VIOLATION && (tg->invs & INV(r.violation.inv))) {
			found = s;
			ck_assert_int_eq(mmt_program_copy(&finding, &p), 0);
			free(finding.schedule);
			finding.schedule = malloc(r.nr_schedule);
			ck_assert_ptr_nonnull(finding.schedule);
			memcpy(finding.schedule, r.schedule, r.nr_schedule);
			finding.nr_schedule = r.nr_schedule;
			finding.has_schedule = true;
		} else {
			ck_assert_msg(r.status == EXEC_PASS || r.status == EXEC_VIOLATION,
				      "%s/%s seed %u: %s", bug, eng, s, r.msg);
		}
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
	}
	ck_assert_msg(found >= 0, "%s not found by %s within %u seeds", bug, eng, tg->limit[e]);

	/* the finding as text, with its schedule line */
	text = mmt_print_string(&finding);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "\nschedule "));
	printf("# %s found by %s at seed %ld:\n%s", bug, eng, found, text);
	mmt_program_init(&q);
	ck_assert_msg(mmt_parse(text, strlen(text), &q, &err) == 0, "%u:%u: %s", err.line,
		      err.col, err.msg);

	/* replays 100/100: same violation, same decisions */
	memset(&first, 0, sizeof(first));
	for (int i = 0; i < 100; i++) {
		struct mmt_exec_opts o;
		struct mmt_exec_result r;

		mmt_exec_opts_default(&o);
		o.inject = 1ull << tg->bug;
		mmt_exec(&q, &o, &r);
		ck_assert_msg(r.status == EXEC_VIOLATION && (tg->invs & INV(r.violation.inv)),
			      "%s/%s replay %d: %s", bug, eng, i, r.msg);
		if (!i) {
			first = r;
			ck_assert_uint_eq(first.nr_schedule, q.nr_schedule);
			ck_assert_mem_eq(first.schedule, q.schedule, q.nr_schedule);
			continue;
		}
		ck_assert_str_eq(r.msg, first.msg);
		ck_assert_int_eq(r.fail_op, first.fail_op);
		ck_assert_uint_eq(r.nr_schedule, first.nr_schedule);
		ck_assert_mem_eq(r.schedule, first.schedule, r.nr_schedule);
		mmt_exec_result_free(&r);
	}
	mmt_exec_result_free(&first);
	free(text);
	mmt_program_free(&q);
	mmt_program_free(&finding);
}

START_TEST(pct_finds)
{
	search(&targets[_i], E_PCT);
}
END_TEST

START_TEST(random_walk_finds)
{
	search(&targets[_i], E_RANDOM);
}
END_TEST

/*
 * The first of @limit programs of a template (@gen, seed by seed) that
 * breaks invariant @inv with @bug on, run as @engine (E_PCT, depth 3) or
 * as written (E_NONE); every program before it must pass without the bug
 * under the same decisions.  -1 when none does.
 */
static long template_search(const char *what, int (*gen)(struct mmt_program *p, unsigned s),
			    unsigned limit, enum engine engine, enum mmt_bug bug, int inv)
{
	for (unsigned s = 0; s < limit; s++) {
		struct mmt_program p;
		struct mmt_exec_opts o;
		struct mmt_exec_result r;
		union decider u;
		bool hit;

		mmt_program_init(&p);
		ck_assert_int_eq(gen(&p, s), 0);
		/* without the bug, then with it, under the same decisions */
		for (int with_bug = 0; with_bug < 2; with_bug++) {
			mmt_exec_opts_default(&o);
			if (engine != E_NONE)
				o.decider = decider_for(&u, engine, s, &p, 3);
			o.inject = with_bug ? 1ull << bug : 0;
			mmt_exec(&p, &o, &r);
			if (!with_bug && r.status != EXEC_PASS)
				mmt_exec_report(stderr, what, &p, &r);
			ck_assert_msg(with_bug || r.status == EXEC_PASS,
				      "%s seed %u fails without the bug: %s", what, s, r.msg);
			hit = with_bug && r.status == EXEC_VIOLATION;
			if (hit)
				ck_assert_int_eq(r.violation.inv, inv);
			mmt_exec_result_free(&r);
		}
		mmt_program_free(&p);
		if (hit)
			return s;
	}
	return -1;
}

static int gen_forks32(struct mmt_program *p, unsigned s)
{
	return mmt_gen_forks(p, s, 32);
}

static int gen_split_race(struct mmt_program *p, unsigned s)
{
	return mmt_gen_race_split(p, s, 2, 3);
}

/*
 * The fork-tree template (mmt_gen_forks, one task, no schedule) finds the
 * anon_vma degree double-reuse (CVE-2022-42703) from scratch: every
 * program passes without the bug, and one of the first few hundred breaks
 * ANONVMA with it.
 */
START_TEST(forks_template_finds_degree_reuse)
{
	long found = template_search("forks", gen_forks32, 2000, E_NONE,
				     BUG_ANON_VMA_DEGREE_REUSE, INV_ANONVMA);

	ck_assert_msg(found >= 0, "anon-vma-degree-reuse not found in 2000 fork-tree programs");
	printf("# anon-vma-degree-reuse found by the fork-tree template at seed %ld\n", found);
}
END_TEST

/*
 * The split race template (mmt_gen_race_split) under PCT finds split's
 * unmap_folio walking without TTU_SYNC (732ed55823fc): every program passes
 * without the bug under the same decisions, and one breaks MAPCOUNT
 * (split's assertion) with it: seed 14695 today, a narrow window for PCT's
 * change points, hence the bound of 60000.  Two switches: into
 * the COW while the split's walk is under way, and back while the COW holds
 * the ptl of the pte it cleared: PCT depth 3.
 */
START_TEST(split_template_finds_no_ttu_sync)
{
	long found = template_search("split", gen_split_race, 60000, E_PCT,
				     BUG_THP_SPLIT_NO_TTU_SYNC, INV_MAPCOUNT);

	ck_assert_msg(found >= 0, "thp-split-no-ttu-sync not found in 60000 split programs");
	printf("# thp-split-no-ttu-sync found by the split template at seed %ld\n", found);
}
END_TEST

static Suite *search_suite(void)
{
	Suite *s = suite_create("search");
	TCase *tc = tcase_create("search");
	int n = (int)(sizeof(targets) / sizeof(targets[0]));

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, pct_finds, 0, n);
	tcase_add_loop_test(tc, random_walk_finds, 0, n);
	tcase_add_test(tc, forks_template_finds_degree_reuse);
	tcase_add_test(tc, split_template_finds_no_ttu_sync);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(search_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
