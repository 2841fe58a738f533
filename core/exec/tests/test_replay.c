// SPDX-License-Identifier: MIT
/*
 * test_replay.c - the record/replay guarantee.
 *
 * A multi-task run is fully determined by the program and its decisions:
 * replaying a recorded schedule gives the same outcome (status, invariant,
 * message, failing op) and takes the same decisions, every time.  Checked
 * 100 times over for
 *   - every zoo reproducer that carries a schedule, with its bug on (the
 *     same violation) and off (the same pass);
 *   - generated multi-task programs (3 and 4 tasks, 32 ops) whose schedules
 *     were recorded under PCT and random-walk deciders;
 *   - race-template programs recorded with a bug on.
 * The world is reused between runs (reset, or rebuilt after an aborted run),
 * so this also shows that no state leaks from one run into the next.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/exec.h"
#include "mmt/gen.h"
#include "mmt/inject.h"
#include "mmt/program.h"
#include "mmt/sched.h"

#define REPEATS 100

/* corpus/zoo of the source tree (MMT_SOURCE_DIR: cmake/layers.cmake) */
static void zoo_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/corpus/zoo/%s.mmt", MMT_SOURCE_DIR, name);
}

/* program with @r's decisions as its schedule line */
static void with_schedule(struct mmt_program *dst, const struct mmt_program *src,
			  const struct mmt_exec_result *r)
{
	ck_assert_int_eq(mmt_program_copy(dst, src), 0);
	free(dst->schedule);
	dst->schedule = malloc(r->nr_schedule ? r->nr_schedule : 1);
	ck_assert_ptr_nonnull(dst->schedule);
	memcpy(dst->schedule, r->schedule, r->nr_schedule);
	dst->nr_schedule = r->nr_schedule;
	dst->has_schedule = true;
}

/*
 * Replay @p (which has a schedule) REPEATS times; each run must equal the
 * first, and the first must take exactly the program's schedule when
 * @exact_schedule.  Returns the status.
 */
static enum mmt_exec_status replay_same(const struct mmt_program *p, uint64_t inject,
					bool exact_schedule, const char *what)
{
	struct mmt_exec_result first, r;
	struct mmt_exec_opts o;

	mmt_exec_opts_default(&o);
	o.inject = inject;
	mmt_exec(p, &o, &first);
	ck_assert_msg(first.status != EXEC_DIVERGED && first.status != EXEC_SETUP, "%s: %s",
		      what, first.msg);
	if (exact_schedule) {
		ck_assert_uint_eq(first.nr_schedule, p->nr_schedule);
		ck_assert_mem_eq(first.schedule, p->schedule, p->nr_schedule);
	}
	for (int i = 1; i < REPEATS; i++) {
		mmt_exec(p, &o, &r);
		ck_assert_msg(r.status == first.status, "%s: run %d: status %d, first %d (%s)",
			      what, i, r.status, first.status, r.msg);
		ck_assert_str_eq(r.msg, first.msg);
		ck_assert_int_eq(r.fail_op, first.fail_op);
		ck_assert_uint_eq(r.ops_done, first.ops_done);
		if (r.status == EXEC_VIOLATION) {
			ck_assert_int_eq(r.violation.inv, first.violation.inv);
			ck_assert_str_eq(r.violation.object, first.violation.object);
		}
		ck_assert_uint_eq(r.nr_schedule, first.nr_schedule);
		ck_assert_mem_eq(r.schedule, first.schedule, r.nr_schedule);
		mmt_exec_result_free(&r);
	}
	mmt_exec_result_free(&first);
	return first.status;
}

static const char *const race_zoo[] = {
	"anon-vma-head-insert",
	"fork-migration-write-flag",
	"mprotect-keeps-write-migration",
};

START_TEST(zoo_replays_exactly)
{
	const char *name = race_zoo[_i];
	struct mmt_parse_error err;
	struct mmt_program p;
	char path[4096];
	int bug = mmt_bug_lookup(name);

	ck_assert_int_ge(bug, 0);
	zoo_path(path, sizeof(path), name);
	mmt_program_init(&p);
	ck_assert_msg(mmt_parse_file(path, &p, &err) == 0, "%s:%u:%u: %s", path, err.line,
		      err.col, err.msg);
	ck_assert(p.has_schedule);
	ck_assert_int_eq(replay_same(&p, 1ull << bug, false, name), EXEC_VIOLATION);
	ck_assert_int_eq(replay_same(&p, 0, false, name), EXEC_PASS);
	/* and alternating, so a failed run's world never leaks into a pass */
	for (int i = 0; i < 20; i++) {
		struct mmt_exec_opts o;
		struct mmt_exec_result r;

		mmt_exec_opts_default(&o);
		o.inject = (i & 1) ? 1ull << bug : 0;
		mmt_exec(&p, &o, &r);
		ck_assert_int_eq(r.status, (i & 1) ? EXEC_VIOLATION : EXEC_PASS);
		mmt_exec_result_free(&r);
	}
	mmt_program_free(&p);
}
END_TEST

/*
 * A generated 3- or 4-task program (by @seed's parity) and @o set to record
 * it under PCT or a random walk (by @seed's second bit).
 */
union recorder {
	struct mmt_decider_pct pct;
	struct mmt_decider_random rw;
};

static void generated_under_decider(uint64_t seed, uint64_t gen_seed, struct mmt_program *p,
				    struct mmt_exec_opts *o, union recorder *d)
{
	struct mmt_gen_opts g;

	mmt_gen_opts_default(&g);
	g.nr_tasks = 3 + (unsigned)(seed & 1);
	g.nr_ops = 32;
	mmt_program_init(p);
	ck_assert_int_eq(mmt_gen_random(p, gen_seed, &g), 0);
	mmt_exec_opts_default(o);
	if (seed & 2) {
		mmt_decider_pct_init(&d->pct, seed, (int)g.nr_tasks, 3, 800);
		o->decider = &d->pct.d;
	} else {
		mmt_decider_random_init(&d->rw, seed);
		o->decider = &d->rw.d;
	}
}

/* generated programs: record under a seeded decider, then replay the line */
START_TEST(generated_replays_exactly)
{
	int nreplayed = 0;

	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct mmt_program p, q;
		struct mmt_exec_opts o;
		struct mmt_exec_result r;
		union recorder d;
		char *text;

		generated_under_decider(seed, seed * 7919, &p, &o, &d);
		mmt_exec(&p, &o, &r);
		ck_assert_uint_gt(r.nr_schedule, 0);
		with_schedule(&q, &p, &r);
		/* through the text form, as a user would get it */
		text = mmt_print_string(&q);
		ck_assert_ptr_nonnull(text);
		mmt_program_free(&q);
		ck_assert_int_eq(mmt_parse(text, strlen(text), &q, NULL), 0);
		free(text);
		ck_assert_int_eq(replay_same(&q, 0, true, "generated"), r.status);
		nreplayed++;
		mmt_exec_result_free(&r);
		mmt_program_free(&q);
		mmt_program_free(&p);
	}
	ck_assert_int_eq(nreplayed, 6);
}
END_TEST

/* race templates with a bug on: the violation itself replays exactly */
START_TEST(race_findings_replay_exactly)
{
	int violations = 0;

	for (uint64_t seed = 0; seed < 400 && violations < 3; seed++) {
		struct mmt_program p, q;
		struct mmt_exec_opts o;
		struct mmt_exec_result r;
		struct mmt_decider_pct pct;
		uint64_t inject = 1ull << BUG_ANON_VMA_HEAD_INSERT |
				  1ull << BUG_FORK_MIGRATION_WRITE_FLAG |
				  1ull << BUG_MPROTECT_KEEPS_WRITE_MIGRATION;

		mmt_program_init(&p);
		ck_assert_int_eq(mmt_gen_race(&p, seed, 3, 4), 0);
		mmt_exec_opts_default(&o);
		mmt_decider_pct_init(&pct, seed, 3, 2, 150);
		o.decider = &pct.d;
		o.inject = inject;
		mmt_exec(&p, &o, &r);
		if (r.status == EXEC_VIOLATION) {
			violations++;
			with_schedule(&q, &p, &r);
			ck_assert_int_eq(replay_same(&q, inject, true, "race"), EXEC_VIOLATION);
			mmt_program_free(&q);
		}
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
	}
	ck_assert_int_eq(violations, 3);
}
END_TEST

/*
 * Anchored switches (exec.h struct mmt_switch): a run's non-default
 * decisions, given back as opts.switches with no schedule, take the same
 * decisions and give the same verdict; the schedule prefix they need ends
 * at the last of them.  Over the zoo's races (bug on and off) and over
 * generated 3- and 4-task programs recorded under PCT and random walk.
 */
static void assert_switches_replay(const struct mmt_program *p, const struct mmt_exec_opts *rec,
				   const char *what)
{
	struct mmt_exec_result a, b;
	struct mmt_exec_opts o = *rec;
	struct mmt_program q;

	mmt_exec(p, rec, &a);
	ck_assert_uint_le(a.nr_sched_needed, a.nr_schedule);
	ck_assert_int_eq(mmt_program_copy(&q, p), 0);
	free(q.schedule);
	q.schedule = NULL;
	q.nr_schedule = 0;
	q.has_schedule = false;
	o.decider = NULL;
	o.switches = a.switches;
	o.nr_switches = a.nr_switches;
	o.lenient_schedule = true;
	mmt_exec(&q, &o, &b);
	ck_assert_msg(b.status == a.status, "%s: status %d, recorded %d (%s)", what, b.status,
		      a.status, b.msg);
	ck_assert_str_eq(b.msg, a.msg);
	ck_assert_uint_eq(b.nr_schedule, a.nr_schedule);
	ck_assert_mem_eq(b.schedule, a.schedule, a.nr_schedule);
	ck_assert_uint_eq(b.nr_switches, a.nr_switches);
	/* the needed prefix alone, as a schedule line, replays too */
	q.schedule = malloc(a.nr_sched_needed ? a.nr_sched_needed : 1);
	ck_assert_ptr_nonnull(q.schedule);
	memcpy(q.schedule, a.schedule, a.nr_sched_needed);
	q.nr_schedule = a.nr_sched_needed;
	q.has_schedule = true;
	o = *rec;
	o.decider = NULL;
	mmt_exec_result_free(&b);
	mmt_exec(&q, &o, &b);
	ck_assert_int_eq(b.status, a.status);
	ck_assert_mem_eq(b.schedule, a.schedule, a.nr_schedule);
	mmt_exec_result_free(&b);
	mmt_exec_result_free(&a);
	mmt_program_free(&q);
}

START_TEST(switches_replay_exactly)
{
	for (size_t z = 0; z < sizeof(race_zoo) / sizeof(race_zoo[0]); z++) {
		struct mmt_parse_error err;
		struct mmt_program p;
		struct mmt_exec_opts o;
		char path[4096];
		int bug = mmt_bug_lookup(race_zoo[z]);

		zoo_path(path, sizeof(path), race_zoo[z]);
		mmt_program_init(&p);
		ck_assert_int_eq(mmt_parse_file(path, &p, &err), 0);
		mmt_exec_opts_default(&o);
		o.inject = 1ull << bug;
		assert_switches_replay(&p, &o, race_zoo[z]);
		o.inject = 0;
		assert_switches_replay(&p, &o, race_zoo[z]);
		mmt_program_free(&p);
	}
	for (uint64_t seed = 1; seed <= 8; seed++) {
		struct mmt_program p;
		struct mmt_exec_opts o;
		union recorder d;

		generated_under_decider(seed, seed * 104729, &p, &o, &d);
		assert_switches_replay(&p, &o, "generated");
		mmt_program_free(&p);
	}
}
END_TEST

/*
 * "schedule lenient": a reproducer of a missing lock names, where the bug
 * ran on, a task that the fixed model keeps waiting for that lock.  Here
 * (mremap-merge-rmap-order with four pages, corpus/regress/mremap-back-
 * lenient.mmt) task 1's mremap waits for the anon_vma lock that
 * remove_migration_ptes holds.  Strict, the clean run diverges; lenient, it
 * falls back and passes; with the bug it fails.
 */
START_TEST(lenient_schedule_falls_back)
{
	struct mmt_parse_error err;
	struct mmt_exec_result r;
	struct mmt_exec_opts o;
	struct mmt_program p;
	char path[4096];

	snprintf(path, sizeof(path), "%s/corpus/regress/mremap-back-lenient.mmt", MMT_SOURCE_DIR);
	ck_assert_int_eq(mmt_parse_file(path, &p, &err), 0);
	ck_assert(p.schedule_lenient);
	mmt_exec_opts_default(&o);
	mmt_exec(&p, &o, &r);
	ck_assert_msg(r.status == EXEC_PASS, "lenient: %d (%s)", r.status, r.msg);
	mmt_exec_result_free(&r);
	p.schedule_lenient = false;
	mmt_exec(&p, &o, &r);
	ck_assert_int_eq(r.status, EXEC_DIVERGED);
	ck_assert_ptr_nonnull(strstr(r.msg, "names task 1 which cannot run"));
	mmt_exec_result_free(&r);
	o.inject = 1ull << mmt_bug_lookup("mremap-merge-rmap-order");
	mmt_exec(&p, &o, &r);
	ck_assert_int_eq(r.status, EXEC_VIOLATION);
	mmt_exec_result_free(&r);
	p.schedule_lenient = true;
	mmt_exec(&p, &o, &r);
	ck_assert_int_eq(r.status, EXEC_VIOLATION);
	mmt_exec_result_free(&r);
	mmt_program_free(&p);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("replay");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, zoo_replays_exactly, 0,
			    (int)(sizeof(race_zoo) / sizeof(race_zoo[0])));
	tcase_add_test(tc, generated_replays_exactly);
	tcase_add_test(tc, race_findings_replay_exactly);
	tcase_add_test(tc, switches_replay_exactly);
	tcase_add_test(tc, lenient_schedule_falls_back);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(replay_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
