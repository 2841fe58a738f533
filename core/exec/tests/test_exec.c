// SPDX-License-Identifier: MIT
/*
 * test_exec.c - the executor, the DATA oracle and the random generator.
 *
 * Small programs with a known verdict, then the key regression test: long
 * random mixes from the generator must round-trip through the printer and
 * the parser and pass on the correct model.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/exec.h"
#include "mmt/gen.h"
#include "mmt/program.h"
#include "mmt/sched.h"

static void parse_or_fail(const char *text, struct mmt_program *p)
{
	struct mmt_parse_error err;

	mmt_program_init(p);
	if (mmt_parse(text, strlen(text), p, &err))
		ck_abort_msg("parse error %u:%u: %s", err.line, err.col, err.msg);
}

/* run @text; return the status, with the report on stderr when it is not @want */
static enum mmt_exec_status run_text(const char *text, enum mmt_exec_status want,
				     struct mmt_exec_result *out)
{
	struct mmt_exec_opts opts;
	struct mmt_exec_result r;
	struct mmt_program p;
	enum mmt_exec_status st;

	parse_or_fail(text, &p);
	mmt_exec_opts_default(&opts);
	st = mmt_exec(&p, &opts, &r);
	if (st != want)
		mmt_exec_report(stderr, "test", &p, &r);
	if (out)
		*out = r;
	else
		mmt_exec_result_free(&r);
	mmt_program_free(&p);
	return st;
}

START_TEST(cow_after_fork)
{
	static const char prog[] =
		"mmt 1\n"
		"spawn p0\n"
		"mmap p0 0x10 4 rw private|anon\n"
		"write p0 0x10 0x11\n"
		"write p0 0x11 0x22\n"
		"fork p0 p1\n"
		"read p1 0x10 = 0x11\n"
		"write p1 0x10 0x99\n"
		"write p0 0x11 0x77\n"
		"read p0 0x10 = 0x11\n"
		"read p1 0x10 = 0x99\n"
		"read p0 0x11 = 0x77\n"
		"read p1 0x11 = 0x22\n"
		"read p1 0x12 = 0\n"
		"exit p0\n"
		"read p1 0x10 = 0x99\n"
		"exit p1\n";

	ck_assert_int_eq(run_text(prog, EXEC_PASS, NULL), EXEC_PASS);
}
END_TEST

START_TEST(readonly_write_segv)
{
	static const char prog[] =
		"mmt 1\n"
		"spawn p0\n"
		"mmap p0 0x10 2 r private|anon\n"
		"write p0 0x10 1 -> SEGV\n"
		"read p0 0x10 = 0\n"
		"mprotect p0 0x10 2 rw\n"
		"write p0 0x10 5 -> ok\n"
		"mprotect p0 0x10 1 none\n"
		"read p0 0x10 -> SEGV\n"
		"read p0 0x11 = 0\n"
		"write p0 0x40 1 -> SEGV\n"
		"exit p0\n";

	ck_assert_int_eq(run_text(prog, EXEC_PASS, NULL), EXEC_PASS);
}
END_TEST

START_TEST(outcome_mismatch_asserts)
{
	static const char prog[] =
		"mmt 1\n"
		"spawn p0\n"
		"mmap p0 0x10 2 rw private|anon\n"
		"write p0 0x10 1 -> SEGV\n"
		"exit p0\n";
	struct mmt_exec_result r;

	ck_assert_int_eq(run_text(prog, EXEC_ASSERT, &r), EXEC_ASSERT);
	ck_assert_int_eq(r.fail_op, 2);
	ck_assert_msg(strstr(r.msg, "line 4") && strstr(r.msg, "expected SEGV, got ok"),
		      "msg: %s", r.msg);
	mmt_exec_result_free(&r);
}
END_TEST

START_TEST(value_mismatch_asserts)
{
	static const char prog[] =
		"mmt 1\n"
		"spawn p0\n"
		"mmap p0 0x10 2 rw private|anon\n"
		"write p0 0x10 7\n"
		"read p0 0x10 = 8\n"
		"exit p0\n";

	ck_assert_int_eq(run_text(prog, EXEC_ASSERT, NULL), EXEC_ASSERT);
}
END_TEST

START_TEST(errno_semantics)
{
	static const char prog[] =
		"mmt 1\n"
		"spawn p0\n"
		"munmap p0 0x10 0 -> EINVAL\n"
		"mmap p0 0x10 0 rw private|anon -> EINVAL\n"
		"mmap p0 0x10 2 rw private|anon\n"
		"mmap p0 0x14 2 rw private|anon\n"
		"mprotect p0 0x10 0 r -> ok\n"
		"mprotect p0 0x12 2 r -> ENOMEM\n"
		"mprotect p0 0x10 6 r -> ENOMEM\n"
		"write p0 0x11 1 -> SEGV\n"
		"write p0 0x14 1 -> ok\n"	/* past the hole: untouched */
		"madvise p0 0x10 6 dontneed -> ENOMEM\n"
		"mremap p0 0x10 2 0x11 2 -> EINVAL\n"
		"mremap p0 0x30 2 0x40 2 -> EFAULT\n"
		"mremap p0 0x10 2 0x40 0 -> EINVAL\n"
		"mremap p0 0x10 0 0x40 2 -> EINVAL\n"
		"madvise p0 0x10 2 wipeonfork\n"
		"exit p0\n";

	ck_assert_int_eq(run_text(prog, EXEC_PASS, NULL), EXEC_PASS);
}
END_TEST

START_TEST(shared_and_file_views)
{
	static const char prog[] =
		"mmt 1\n"
		"spawn p0\n"
		"mmap p0 0x10 2 rw shared|anon\n"
		"mmap p0 0x20 2 rw shared\n"
		"mmap p0 0x30 2 rw private\n"
		"fork p0 p1\n"
		"write p1 0x10 5\n"
		"read p0 0x10 = 5\n"
		"write p0 0x20 6\n"
		"read p1 0x20 = 6\n"
		"spawn p2\n"
		"mmap p2 0x20 2 r private\n"
		"read p2 0x20 = 6\n"
		"mmap p2 0x10 2 rw shared\n"
		"write p2 0x10 0x10\n"
		"read p0 0x10 = 5\n"
		"exit p0\n"
		"exit p1\n"
		"exit p2\n";

	ck_assert_int_eq(run_text(prog, EXEC_PASS, NULL), EXEC_PASS);
}
END_TEST

START_TEST(dontfork_and_wipeonfork)
{
	static const char prog[] =
		"mmt 1\n"
		"spawn p0\n"
		"mmap p0 0x10 4 rw private|anon\n"
		"write p0 0x10 1\n"
		"write p0 0x12 2\n"
		"madvise p0 0x10 1 dontfork\n"
		"madvise p0 0x12 1 wipeonfork\n"
		"fork p0 p1\n"
		"read p1 0x10 -> SEGV\n"
		"read p1 0x12 = 0\n"
		"read p0 0x12 = 2\n"
		"exit p0\n"
		"exit p1\n";

	ck_assert_int_eq(run_text(prog, EXEC_PASS, NULL), EXEC_PASS);
}
END_TEST

START_TEST(empty_world_passes_leak)
{
	static const char prog[] =
		"mmt 1\n"
		"world nodes=2 frames=64 swap=128\n"
		"spawn p0\n"
		"mmap p0 0x10 8 rw private|anon\n"
		"write p0 0x10 1\n"
		"write p0 0x13 3\n"
		"fork p0 p1\n"
		"write p1 0x13 4\n"
		"madvise p0 0x10 8 pageout\n"
		"reclaim 32\n"
		"migrate p1 0x10 8 1\n"
		"read p0 0x13 = 3\n"
		"read p1 0x13 = 4\n"
		"exit p0\n"
		"exit p1\n"
		"swapoff 0\n"
		"check\n";

	ck_assert_int_eq(run_text(prog, EXEC_PASS, NULL), EXEC_PASS);
}
END_TEST

START_TEST(multi_task_schedule)
{
	static const char prog[] =
		"mmt 1\n"
		"spawn p0\n"
		"mmap p0 0x10 4 rw private|anon\n"
		"write p0 0x10 1\n"
		"@1 migrate p0 0x10 4 1\n"
		"fork p0 p1\n"
		"read p1 0x10 = 1\n"
		"exit p1\n"
		"@1 read p0 0x10\n"
		"exit p0\n";
	struct mmt_exec_result r;

	ck_assert_int_eq(run_text(prog, EXEC_PASS, &r), EXEC_PASS);
	ck_assert_uint_gt(r.nr_schedule, 0);
	mmt_exec_result_free(&r);
}
END_TEST

struct switches {
	uint32_t where[4096];
	size_t n;
};

static void note_switch(void *arg, uint32_t where)
{
	struct switches *s = arg;

	if (s->n < sizeof(s->where) / sizeof(s->where[0]))
		s->where[s->n] = where;
	s->n++;
}

/* on_switch: once per change of task between two live tasks, the same values on a replay */
START_TEST(switch_feedback)
{
	static const char prog[] =
		"mmt 1\n"
		"spawn p0\n"
		"mmap p0 0x10 4 rw private|anon\n"
		"write p0 0x10 1\n"
		"fork p0 p1\n"
		"@0 migrate p0 0x10 4 1\n"
		"@0 write p0 0x11 2\n"
		"@1 fork p0 p2\n"
		"@1 mprotect p0 0x10 4 r\n"
		"@1 read p2 0x10\n";
	static struct switches a, b;
	struct mmt_decider_random dr;
	struct mmt_exec_opts opts;
	struct mmt_exec_result r;
	struct mmt_program p;
	size_t changes = 0;

	parse_or_fail(prog, &p);
	mmt_exec_opts_default(&opts);
	opts.teardown = true;
	opts.decider = &dr.d;
	opts.on_switch = note_switch;
	opts.switch_arg = &a;
	mmt_decider_random_init(&dr, 7);
	ck_assert_int_eq(mmt_exec(&p, &opts, &r), EXEC_PASS);
	for (size_t k = 1; k < r.nr_schedule; k++)
		changes += r.schedule[k] != r.schedule[k - 1];
	ck_assert_uint_gt(a.n, 0);
	ck_assert_uint_le(a.n, changes);
	mmt_exec_result_free(&r);

	opts.switch_arg = &b;
	mmt_decider_random_init(&dr, 7);
	ck_assert_int_eq(mmt_exec(&p, &opts, &r), EXEC_PASS);
	ck_assert_uint_eq(a.n, b.n);
	ck_assert(!memcmp(a.where, b.where, a.n * sizeof(a.where[0])));
	mmt_exec_result_free(&r);
	mmt_program_free(&p);
}
END_TEST

/*
 * on_conflict: two tasks' ops over the same page table and folios are
 * ordered by their locks, so a two-task run reports conflicts, the same
 * ones on a replay; schedules that order the ops differently report
 * different ones; a one-task run reports none.
 */
START_TEST(conflict_feedback)
{
	static const char prog[] =
		"mmt 1\n"
		"spawn p0\n"
		"mmap p0 0x10 4 rw private|anon\n"
		"write p0 0x10 1\n"
		"fork p0 p1\n"
		"@0 migrate p0 0x10 4 1\n"
		"@0 write p0 0x11 2\n"
		"@1 fork p0 p2\n"
		"@1 mprotect p0 0x10 4 r\n"
		"@1 read p2 0x10\n";
	static struct switches a, b, c;
	struct mmt_decider_random dr;
	struct mmt_exec_opts opts;
	struct mmt_exec_result r;
	struct mmt_program p, one;
	uint64_t seed, first = 0;
	bool differ = false;

	parse_or_fail(prog, &p);
	mmt_exec_opts_default(&opts);
	opts.teardown = true;
	opts.decider = &dr.d;
	opts.on_conflict = note_switch;
	/*
	 * a schedule that runs task 1 before task 0 has made p0 skips task 1's
	 * ops: no conflict; look for the first one that interleaves them
	 */
	for (seed = 1; seed < 64 && !first; seed++) {
		memset(&a, 0, sizeof(a));
		opts.conflict_arg = &a;
		mmt_decider_random_init(&dr, seed);
		ck_assert_int_eq(mmt_exec(&p, &opts, &r), EXEC_PASS);
		if (a.n)
			first = seed;
		mmt_exec_result_free(&r);
	}
	ck_assert_msg(first, "no schedule of 63 reported a conflict");

	/* the same schedule, the same conflicts */
	memset(&b, 0, sizeof(b));
	opts.conflict_arg = &b;
	mmt_decider_random_init(&dr, first);
	ck_assert_int_eq(mmt_exec(&p, &opts, &r), EXEC_PASS);
	ck_assert_uint_eq(a.n, b.n);
	ck_assert(!memcmp(a.where, b.where, a.n * sizeof(a.where[0])));
	mmt_exec_result_free(&r);

	/* another order of the same ops, other conflicts */
	for (seed = first + 1; seed < first + 64 && !differ; seed++) {
		memset(&c, 0, sizeof(c));
		opts.conflict_arg = &c;
		mmt_decider_random_init(&dr, seed);
		ck_assert_int_eq(mmt_exec(&p, &opts, &r), EXEC_PASS);
		differ = c.n && (c.n != a.n || memcmp(a.where, c.where, a.n * sizeof(a.where[0])));
		mmt_exec_result_free(&r);
	}
	ck_assert_msg(differ, "no schedule ordered the ops differently");

	/* the same ops on one task: nothing to pair */
	ck_assert_int_eq(mmt_program_copy(&one, &p), 0);
	for (size_t i = 0; i < one.nr_ops; i++)
		one.ops[i].task = 0;
	memset(&c, 0, sizeof(c));
	opts.conflict_arg = &c;
	opts.decider = NULL;
	ck_assert_int_eq(mmt_exec(&one, &opts, &r), EXEC_PASS);
	ck_assert_uint_eq(c.n, 0);
	mmt_exec_result_free(&r);
	mmt_program_free(&one);
	mmt_program_free(&p);
}
END_TEST

/* is every value of @a in @b (both short: a quadratic look is fine) */
static bool all_in(const struct switches *a, const struct switches *b)
{
	for (size_t i = 0; i < a->n; i++) {
		size_t j = 0;

		while (j < b->n && b->where[j] != a->where[i])
			j++;
		if (j == b->n)
			return false;
	}
	return true;
}

/*
 * conflict_fields: the field accesses the model reports (kprim.h kp_access)
 * add pairs to the lock instances' on the same schedule, never replace
 * them: the lock-granular values all come back, with more beside them, the
 * same on a replay; the access hook is off again after the run.
 */
START_TEST(conflict_fields)
{
	static const char prog[] =
		"mmt 1\n"
		"spawn p0\n"
		"mmap p0 0x10 4 rw private|anon\n"
		"write p0 0x10 1\n"
		"fork p0 p1\n"
		"@0 migrate p0 0x10 4 1\n"
		"@0 write p0 0x11 2\n"
		"@1 fork p0 p2\n"
		"@1 mprotect p0 0x10 4 r\n"
		"@1 read p2 0x10\n";
	static struct switches locks, fields, again;
	struct mmt_decider_random dr;
	struct mmt_exec_opts opts;
	struct mmt_exec_result r;
	struct mmt_program p;
	uint64_t seed, first = 0;
	size_t most;

	parse_or_fail(prog, &p);
	mmt_exec_opts_default(&opts);
	opts.teardown = true;
	opts.decider = &dr.d;
	opts.on_conflict = note_switch;
	/* the schedule of 63 that interleaves the most */
	for (seed = 1, most = 0; seed < 64; seed++) {
		memset(&locks, 0, sizeof(locks));
		opts.conflict_arg = &locks;
		mmt_decider_random_init(&dr, seed);
		ck_assert_int_eq(mmt_exec(&p, &opts, &r), EXEC_PASS);
		if (locks.n > most) {
			most = locks.n;
			first = seed;
		}
		mmt_exec_result_free(&r);
	}
	ck_assert_msg(first, "no schedule of 63 reported a conflict");
	memset(&locks, 0, sizeof(locks));
	opts.conflict_arg = &locks;
	mmt_decider_random_init(&dr, first);
	ck_assert_int_eq(mmt_exec(&p, &opts, &r), EXEC_PASS);
	mmt_exec_result_free(&r);

	opts.conflict_fields = true;
	memset(&fields, 0, sizeof(fields));
	opts.conflict_arg = &fields;
	mmt_decider_random_init(&dr, first);
	ck_assert_int_eq(mmt_exec(&p, &opts, &r), EXEC_PASS);
	mmt_exec_result_free(&r);
	ck_assert_msg(fields.n > locks.n, "fields add nothing: %zu pairs, locks alone %zu",
		      fields.n, locks.n);
	ck_assert_msg(all_in(&locks, &fields), "a lock pair went missing with fields on");
	ck_assert_ptr_null(atomic_load(&kp__access_fn));

	memset(&again, 0, sizeof(again));
	opts.conflict_arg = &again;
	mmt_decider_random_init(&dr, first);
	ck_assert_int_eq(mmt_exec(&p, &opts, &r), EXEC_PASS);
	mmt_exec_result_free(&r);
	ck_assert_uint_eq(again.n, fields.n);
	ck_assert(!memcmp(again.where, fields.where, fields.n * sizeof(fields.where[0])));
	mmt_program_free(&p);
}
END_TEST

/* print -> parse -> print is the identity for generated programs */
static char *round_trip(const struct mmt_program *p, struct mmt_program *q)
{
	struct mmt_parse_error err;
	char *a = mmt_print_string(p), *b;

	ck_assert_msg(a != NULL, "generated program does not print");
	mmt_program_init(q);
	if (mmt_parse(a, strlen(a), q, &err))
		ck_abort_msg("generated program does not parse: %u:%u: %s\n%s", err.line,
			     err.col, err.msg, a);
	b = mmt_print_string(q);
	ck_assert_msg(b && !strcmp(a, b), "print/parse/print differs:\n%s\n---\n%s", a, b);
	free(b);
	return a;
}

/*
 * A read overlapping writes to its own page is judged against what some
 * order of them allows: every interleaving of one switch point of a read
 * racing two writes (and a write of another process) passes, and some of
 * them are judged that way rather than skipped.
 */
START_TEST(overlapping_reads_judged)
{
	static const char text[] =
		"mmt 1\n"
		"spawn p0\n"
		"mmap p0 0x10 1 rw private|anon\n"
		"write p0 0x10 0x1\n"
		"fork p0 p1\n"
		"@1 write p0 0x10 0x2\n"
		"@1 write p1 0x10 0x3\n"
		"@1 write p0 0x10 0x4\n"
		"@0 read p0 0x10\n"
		"@0 read p0 0x10\n"
		"@0 read p1 0x10\n";
	struct mmt_program p;
	unsigned long windowed = 0, runs = 0;

	parse_or_fail(text, &p);
	for (int at = 0; at < 200; at++) {
		for (int back = 1; back < 40; back += 3) {
			struct mmt_exec_opts o;
			struct mmt_exec_result r;
			uint8_t *s = calloc((size_t)at + back + 1, 1);

			ck_assert_ptr_nonnull(s);
			s[at] = 1;
			memset(s + at, 1, (size_t)back);
			free(p.schedule);
			p.schedule = s;
			p.nr_schedule = (size_t)at + back + 1;
			p.has_schedule = true;
			mmt_exec_opts_default(&o);
			o.lenient_schedule = true;
			mmt_exec(&p, &o, &r);
			ck_assert_msg(r.status == EXEC_PASS, "switch at %d for %d: %s", at, back, r.msg);
			windowed += r.reads_windowed;
			runs++;
			mmt_exec_result_free(&r);
		}
	}
	ck_assert_uint_gt(windowed, 0);
	mmt_program_free(&p);
}
END_TEST

START_TEST(random_programs_pass)
{
	struct mmt_gen_opts go;
	struct mmt_exec_opts opts;
	unsigned failed = 0;
	uint64_t seed;

	mmt_gen_opts_default(&go);
	mmt_exec_opts_default(&opts);
	for (seed = 1; seed <= 200; seed++) {
		struct mmt_program p, q;
		struct mmt_exec_result r;
		char *text;

		mmt_program_init(&p);
		ck_assert_int_eq(mmt_gen_random(&p, seed, &go), 0);
		text = round_trip(&p, &q);
		if (mmt_exec(&q, &opts, &r) != EXEC_PASS) {
			char name[32];

			failed++;
			snprintf(name, sizeof(name), "seed %llu", (unsigned long long)seed);
			mmt_exec_report(stderr, name, &q, &r);
		}
		mmt_exec_result_free(&r);
		free(text);
		mmt_program_free(&q);
		mmt_program_free(&p);
	}
	ck_assert_msg(!failed, "%u of 200 random programs failed (reports above)", failed);
}
END_TEST

START_TEST(generator_is_deterministic)
{
	struct mmt_program a, b;
	char *sa, *sb;

	mmt_program_init(&a);
	mmt_program_init(&b);
	ck_assert_int_eq(mmt_gen_random(&a, 42, NULL), 0);
	ck_assert_int_eq(mmt_gen_random(&b, 42, NULL), 0);
	sa = mmt_print_string(&a);
	sb = mmt_print_string(&b);
	ck_assert_str_eq(sa, sb);
	ck_assert_msg(strstr(sa, "world nodes=2 frames=64 swap=128"), "%s", sa);
	free(sa);
	free(sb);
	mmt_program_free(&a);
	mmt_program_free(&b);
}
END_TEST

static Suite *exec_suite(void)
{
	Suite *s = suite_create("exec");
	TCase *tc = tcase_create("programs");
	TCase *tr = tcase_create("random");

	tcase_add_test(tc, cow_after_fork);
	tcase_add_test(tc, readonly_write_segv);
	tcase_add_test(tc, outcome_mismatch_asserts);
	tcase_add_test(tc, value_mismatch_asserts);
	tcase_add_test(tc, errno_semantics);
	tcase_add_test(tc, shared_and_file_views);
	tcase_add_test(tc, dontfork_and_wipeonfork);
	tcase_add_test(tc, empty_world_passes_leak);
	tcase_add_test(tc, multi_task_schedule);
	tcase_add_test(tc, switch_feedback);
	tcase_add_test(tc, conflict_feedback);
	tcase_add_test(tc, conflict_fields);
	tcase_add_test(tc, overlapping_reads_judged);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tr, 120);
	tcase_add_test(tr, generator_is_deterministic);
	tcase_add_test(tr, random_programs_pass);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(exec_suite());
	int failures;

	srunner_run_all(sr, CK_NORMAL);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
