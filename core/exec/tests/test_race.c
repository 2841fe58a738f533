// SPDX-License-Identifier: MIT
/*
 * test_race.c - every two-task interleaving of a migration (or a reclaim)
 * against the operations that meet its migration entries: fork, mprotect,
 * munmap, exit, faults, swap-in, swapoff, a second migration.
 *
 * For each program the sweep runs every schedule of the form "task 0 until
 * decision point i, then task 1 until point j, then task 0 again" (task 1
 * preempted back at every possible point).  On the correct model each run
 * must end with every invariant and every DATA check holding; the
 * divergences (a schedule naming a task that already finished) are counted
 * but fine.  With each seed-000 bug switched on, the matching sweep must find
 * at least one violation of the expected invariant: the sweep is a search,
 * not a hand-picked schedule.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/exec.h"
#include "mmt/inject.h"
#include "mmt/program.h"

struct sweep {
	unsigned long runs, pass, diverged, violations;
	uint64_t inv_mask;
	char first[600];
};

static void run_one(const struct mmt_program *base, const struct mmt_exec_opts *o,
		    const uint8_t *sched, size_t n, struct sweep *s, const char *where)
{
	struct mmt_program p;
	struct mmt_exec_result r;

	ck_assert_int_eq(mmt_program_copy(&p, base), 0);
	free(p.schedule);
	p.schedule = malloc(n);
	memcpy(p.schedule, sched, n);
	p.nr_schedule = n;
	p.has_schedule = true;
	mmt_exec(&p, o, &r);
	s->runs++;
	if (r.status == EXEC_PASS) {
		s->pass++;
	} else if (r.status == EXEC_DIVERGED) {
		s->diverged++;
	} else {
		s->violations++;
		if (r.status == EXEC_VIOLATION)
			s->inv_mask |= 1ull << r.violation.inv;
		if (!s->first[0])
			snprintf(s->first, sizeof(s->first), "%s status %d: %s %s: %s", where,
				 r.status, mmt_invariant_name(r.violation.inv), r.violation.object,
				 r.status == EXEC_VIOLATION ? r.violation.msg : r.msg);
	}
	mmt_exec_result_free(&r);
	mmt_program_free(&p);
}

/*
 * Three switches: task 0 until point i, task 1 until j, task 0 until k,
 * then task 1 (to its end, then task 0).  Task 1's first burst is kept
 * short (@burst points): it only needs to reach a point inside its op.
 */
static void sweep3(const char *text, uint64_t inject, int max, int burst, struct sweep *s)
{
	struct mmt_program base;
	struct mmt_parse_error err;
	struct mmt_exec_opts o;
	uint8_t sched[256];

	memset(s, 0, sizeof(*s));
	ck_assert_msg(mmt_parse(text, strlen(text), &base, &err) == 0, "parse: %u:%u: %s",
		      err.line, err.col, err.msg);
	mmt_exec_opts_default(&o);
	o.inject = inject;
	for (int i = 0; i < max; i++)
		for (int j = i + 1; j <= i + burst && j < max; j++)
			for (int k = j + 1; k < max; k++) {
				char where[48];

				memset(sched, 0, sizeof(sched));
				memset(sched + i, 1, (size_t)(j - i));
				sched[k] = 1;
				snprintf(where, sizeof(where), "i=%d j=%d k=%d", i, j, k);
				run_one(&base, &o, sched, (size_t)k + 1, s, where);
			}
	mmt_program_free(&base);
}

/* Run @text under every 1- and 2-switch schedule up to @max decision points. */
static void sweep(const char *text, uint64_t inject, int max, struct sweep *s)
{
	struct mmt_program base;
	struct mmt_parse_error err;
	struct mmt_exec_opts o;

	memset(s, 0, sizeof(*s));
	ck_assert_msg(mmt_parse(text, strlen(text), &base, &err) == 0, "parse: %u:%u: %s",
		      err.line, err.col, err.msg);
	mmt_exec_opts_default(&o);
	o.inject = inject;
	for (int i = 0; i < max; i++) {
		for (int j = i; j <= max; j++) {
			/* j == i: switch once and let task 1 run to its end */
			size_t n = (size_t)(j == i ? i + 1 : j + 1);
			uint8_t *sched = calloc(n, 1);
			char where[32];

			for (int k = i; k < (j == i ? i + 1 : j); k++)
				sched[k] = 1;
			snprintf(where, sizeof(where), "i=%d j=%d", i, j);
			run_one(&base, &o, sched, n, s, where);
			free(sched);
		}
	}
	mmt_program_free(&base);
}

#define HDR "mmt 1\nworld nodes=2 frames=32 swap=32\n"

static const struct race {
	const char *name;
	const char *text;
} races[] = {
	{ "fork", HDR
	  "spawn p0\nmmap p0 0x10 2 rw private|anon\nwrite p0 0x10 1\nwrite p0 0x11 2\n"
	  "fork p0 p1\nwrite p0 0x10 3\n"
	  "@0 migrate p0 0x10 2 1\n@1 fork p0 p2\n@1 write p2 0x10 4\n@1 read p0 0x10\n"
	  "@1 read p1 0x11\n" },
	{ "mprotect", HDR
	  "spawn p0\nmmap p0 0x10 2 rw private|anon\nwrite p0 0x10 1\n"
	  "@0 migrate p0 0x10 1 1\n@1 mprotect p0 0x10 2 r\n@1 write p0 0x10 2\n"
	  "@1 mprotect p0 0x10 1 rw\n" },
	{ "munmap", HDR
	  "spawn p0\nmmap p0 0x10 2 rw private|anon\nwrite p0 0x10 1\nfork p0 p1\n"
	  "@0 migrate p0 0x10 1 1 all\n@1 munmap p0 0x10 2\n@1 read p1 0x10\n" },
	{ "exit", HDR
	  "spawn p0\nmmap p0 0x10 1 rw private|anon\nwrite p0 0x10 1\nfork p0 p1\n"
	  "@0 migrate p1 0x10 1 1 all\n@1 exit p0\n@1 write p1 0x10 5\n" },
	{ "fault", HDR
	  "spawn p0\nmmap p0 0x10 1 rw private|anon\nwrite p0 0x10 1\n"
	  "@0 migrate p0 0x10 1 1\n@1 write p0 0x10 2\n@1 read p0 0x10\n" },
	{ "swapcache", HDR
	  "spawn p0\nmmap p0 0x10 2 rw private|anon\nwrite p0 0x10 1\nwrite p0 0x11 2\n"
	  "madvise p0 0x10 2 pageout\nread p0 0x10\n"
	  "@0 migrate p0 0x10 1 1\n@1 read p0 0x11\n@1 swapoff 0\n@1 write p0 0x10 3\n" },
	{ "reclaim", HDR
	  "spawn p0\nmmap p0 0x10 2 rw private|anon\nwrite p0 0x10 1\nwrite p0 0x11 2\n"
	  "fork p0 p1\n"
	  "@0 reclaim 8\n@1 migrate p0 0x10 2 1 all\n@1 write p1 0x11 7\n" },
	{ "migrate2", HDR
	  "spawn p0\nmmap p0 0x10 1 rw private|anon\nwrite p0 0x10 1\nfork p0 p1\n"
	  "@0 migrate p0 0x10 1 1 all\n@1 migrate p1 0x10 1 0 all\n@1 read p1 0x10\n" },
	{ "shared-file", HDR
	  "spawn p0\nmmap p0 0x10 1 rw shared\nwrite p0 0x10 1\nfork p0 p1\n"
	  "@0 migrate p0 0x10 1 1 all\n@1 munmap p0 0x10 1\n@1 write p1 0x10 2\n" },
};

START_TEST(correct_model_survives_every_interleaving)
{
	const struct race *rc = &races[_i];
	struct sweep s;

	sweep(rc->text, 0, 80, &s);
	ck_assert_msg(s.violations == 0, "%s: %lu of %lu runs failed; first: %s", rc->name,
		      s.violations, s.runs, s.first);
	/* the sweep must really interleave: some runs complete both tasks */
	ck_assert_msg(s.pass > 20, "%s: only %lu runs passed", rc->name, s.pass);
}
END_TEST

static void expect_found(const char *text, enum mmt_bug bug, enum mmt_invariant inv)
{
	struct sweep s;

	sweep(text, 1ull << bug, 90, &s);
	ck_assert_msg(s.inv_mask & (1ull << inv), "%s: no %s violation in %lu runs (mask %#llx)",
		      mmt_bugs[bug].name, mmt_invariant_name(inv), s.runs,
		      (unsigned long long)s.inv_mask);
}

START_TEST(sweep_finds_fork_migration_write_flag)
{
	expect_found(HDR "spawn p0\nmmap p0 0x10 1 rw private|anon\nwrite p0 0x10 1\n"
		     "@0 migrate p0 0x10 1 1\n@1 fork p0 p1\n@1 write p1 0x10 2\n",
		     BUG_FORK_MIGRATION_WRITE_FLAG, INV_EXCLUSIVE);
}
END_TEST

START_TEST(sweep_finds_mprotect_keeps_write_migration)
{
	expect_found(HDR "spawn p0\nmmap p0 0x10 1 rw private|anon\nwrite p0 0x10 1\n"
		     "@0 migrate p0 0x10 1 1\n@1 mprotect p0 0x10 1 r\n",
		     BUG_MPROTECT_KEEPS_WRITE_MIGRATION, INV_PROT);
}
END_TEST

/*
 * The 2006 race needs three switches: fork links the child (at the head,
 * with the bug) before remove_migration_ptes starts, the walk visits the
 * child while its page table is still empty, and only then does fork copy
 * the parent's migration entry.  The walk holds the anon_vma lock from
 * start to end, so no two-switch schedule can do it.
 */
#define AVH_TEXT HDR "spawn p0\nmmap p0 0x10 1 rw private|anon\nwrite p0 0x10 1\n" \
	"fork p0 p1\nwrite p0 0x10 2\n" \
	"@0 migrate p0 0x10 1 1\n@1 fork p0 p2\n@1 read p2 0x10\n"

START_TEST(sweep_finds_anon_vma_head_insert)
{
	struct sweep s;

	sweep3(AVH_TEXT, 1ull << BUG_ANON_VMA_HEAD_INSERT, 80, 16, &s);
	ck_assert_msg(s.inv_mask & (1ull << INV_MIGRATION), "no MIGRATION violation in %lu runs",
		      s.runs);
	sweep3(AVH_TEXT, 0, 80, 16, &s);
	ck_assert_msg(s.violations == 0, "%lu of %lu runs failed without the bug; first: %s",
		      s.violations, s.runs, s.first);
}
END_TEST

static Suite *race_suite(void)
{
	Suite *s = suite_create("race");
	TCase *tc = tcase_create("sweep");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, correct_model_survives_every_interleaving, 0,
			    (int)(sizeof(races) / sizeof(races[0])));
	tcase_add_test(tc, sweep_finds_fork_migration_write_flag);
	tcase_add_test(tc, sweep_finds_mprotect_keeps_write_migration);
	tcase_add_test(tc, sweep_finds_anon_vma_head_insert);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(race_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
