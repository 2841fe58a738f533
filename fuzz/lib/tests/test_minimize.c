// SPDX-License-Identifier: MIT
/*
 * test_minimize.c - the minimizer's result is 1-minimal and replays.
 *
 * Each zoo reproducer, padded with noise in every task (ops on a process of
 * its own, before and after the racing ops), is minimized with its bug on.
 * The result must
 *   - keep the signature, fail with the bug under a strict replay of its
 *     schedule line, and pass without the bug;
 *   - have lost the noise, and have no more ops and no more context switches
 *     than the hand-written zoo file;
 *   - be 1-minimal: with any single op removed, or any single one of its
 *     switches (the non-default decisions of its run, anchored to ops as
 *     the minimizer keeps them) dropped, the signature is gone.
 * A single-task minimization must leave no schedule line at all.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/exec.h"
#include "mmt/inject.h"
#include "mmt/minimize.h"
#include "mmt/program.h"

static void zoo_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/corpus/zoo/%s.mmt", MMT_SOURCE_DIR, name);
}

static void load(const char *name, struct mmt_program *p)
{
	struct mmt_parse_error err;
	char path[4096];

	zoo_path(path, sizeof(path), name);
	mmt_program_init(p);
	ck_assert_msg(mmt_parse_file(path, p, &err) == 0, "%s:%u:%u: %s", path, err.line,
		      err.col, err.msg);
}

/* noise: a process of its own in task @task, doing harmless work */
static void add_noise(struct mmt_program *p, uint8_t task, const char *name)
{
	struct mmt_op op;
	int proc = p->nr_names++;

	snprintf(p->names[proc], sizeof(p->names[proc]), "%s", name);
	memset(&op, 0, sizeof(op));
	op.task = task;
	op.expect = -1;
	op.proc = (uint8_t)proc;
	op.code = OP_SPAWN;
	ck_assert_int_eq(mmt_program_add(p, &op), 0);
	op.code = OP_MMAP;
	op.addr = 0x40;
	op.len = 2;
	op.prot = MPROT_RW;
	op.mflags = MFL_PRIVATE | MFL_ANON;
	ck_assert_int_eq(mmt_program_add(p, &op), 0);
	op.code = OP_WRITE;
	op.addr = 0x41;
	op.value = 0x77;
	ck_assert_int_eq(mmt_program_add(p, &op), 0);
	op.code = OP_READ;
	ck_assert_int_eq(mmt_program_add(p, &op), 0);
	op.code = OP_EXIT;
	ck_assert_int_eq(mmt_program_add(p, &op), 0);
}

static bool same_sig(const struct mmt_program *p, const struct mmt_exec_opts *o,
		     const char *sig)
{
	struct mmt_exec_result r;
	char s[MMT_SIG_MAX] = "";
	bool same;

	if (mmt_exec(p, o, &r) == EXEC_VIOLATION)
		mmt_signature(p, &r, s, sizeof(s));
	same = !strcmp(s, sig);
	mmt_exec_result_free(&r);
	return same;
}

static void assert_one_minimal(const struct mmt_program *m, uint64_t inject, const char *sig)
{
	struct mmt_exec_opts o, a;
	struct mmt_exec_result r;
	struct mmt_program q;

	mmt_exec_opts_default(&o);
	o.inject = inject;
	ck_assert_int_eq(mmt_exec(m, &o, &r), EXEC_VIOLATION);
	ck_assert_int_eq(mmt_program_copy(&q, m), 0);
	mmt_set_schedule(&q, NULL, 0);
	a = o;
	a.lenient_schedule = true;

	/* every op */
	for (size_t k = 0; k < m->nr_ops; k++) {
		struct mmt_switch sw[64];
		size_t n = 0;

		q.nr_ops = 0;
		for (size_t i = 0; i < m->nr_ops; i++)
			if (i != k)
				q.ops[q.nr_ops++] = m->ops[i];
		for (size_t i = 0; i < r.nr_switches && n < 64; i++) {
			struct mmt_switch s = r.switches[i];

			if (s.op == (int32_t)k)
				continue;
			if (s.op > (int32_t)k)
				s.op--;
			sw[n++] = s;
		}
		a.switches = sw;
		a.nr_switches = n;
		ck_assert_msg(!same_sig(&q, &a, sig), "%s: op %zu (line %u) can go", sig, k,
			      m->ops[k].line);
	}
	/* every switch */
	memcpy(q.ops, m->ops, m->nr_ops * sizeof(*m->ops));
	q.nr_ops = m->nr_ops;
	for (size_t k = 0; k < r.nr_switches; k++) {
		struct mmt_switch sw[64];
		size_t n = 0;

		for (size_t i = 0; i < r.nr_switches && n < 64; i++)
			if (i != k)
				sw[n++] = r.switches[i];
		a.switches = sw;
		a.nr_switches = n;
		ck_assert_msg(!same_sig(&q, &a, sig), "%s: switch %zu can go", sig, k);
	}
	mmt_program_free(&q);
	mmt_exec_result_free(&r);
}

static const char *const zoo[] = {
	"anon-vma-head-insert",
	"fork-migration-write-flag",
	"mprotect-keeps-write-migration",
	"swapon-type-overlap",
	"mremap-merge-rmap-order",
};

START_TEST(zoo_minimizes_to_one_minimal)
{
	const char *name = zoo[_i];
	int bug = mmt_bug_lookup(name);
	struct mmt_program z, padded, m;
	struct mmt_min_opts mo = { .inject = 1ull << bug };
	struct mmt_min_result res;
	struct mmt_exec_opts o;
	struct mmt_exec_result r;
	int tasks = 1;

	ck_assert_int_ge(bug, 0);
	load(name, &z);
	for (size_t i = 0; i < z.nr_ops; i++)
		if (z.ops[i].task + 1 > tasks)
			tasks = z.ops[i].task + 1;
	ck_assert_int_eq(mmt_program_copy(&padded, &z), 0);
	for (int t = 0; t < tasks; t++) {
		char nm[16];

		snprintf(nm, sizeof(nm), "noise%d", t);
		add_noise(&padded, (uint8_t)t, nm);
	}
	ck_assert_int_eq(mmt_minimize(&padded, &mo, &m, &res), 0);
	ck_assert_msg(res.strict_ok, "%s: the result does not replay strictly", name);
	ck_assert_uint_le(res.ops_after, z.nr_ops);
	ck_assert_uint_le(res.switches_after, mmt_schedule_switches(&z));
	ck_assert_uint_eq(res.switches_after, mmt_schedule_switches(&m));
	for (int i = 0; i < m.nr_names; i++)
		ck_assert_msg(strncmp(m.names[i], "noise", 5), "%s: the noise stayed", name);
	if (tasks == 1)
		ck_assert(!m.has_schedule);

	mmt_exec_opts_default(&o);
	o.inject = 1ull << bug;
	ck_assert_int_eq(mmt_exec(&m, &o, &r), EXEC_VIOLATION);
	mmt_exec_result_free(&r);
	o.inject = 0;
	ck_assert_int_eq(mmt_exec(&m, &o, &r), EXEC_PASS);
	mmt_exec_result_free(&r);
	assert_one_minimal(&m, 1ull << bug, res.sig);

	mmt_program_free(&m);
	mmt_program_free(&padded);
	mmt_program_free(&z);
}
END_TEST

/*
 * A missing lock's reproducer whose minimized schedule names, on the fixed
 * model, a task waiting for that lock (corpus/regress/mremap-back-
 * lenient.mmt): the minimizer marks the schedule lenient, so that the
 * result passes without the bug, and it still fails with it.
 */
START_TEST(missing_lock_minimizes_lenient)
{
	int bug = mmt_bug_lookup("mremap-merge-rmap-order");
	struct mmt_min_opts mo = { .inject = 1ull << bug };
	struct mmt_min_result res;
	struct mmt_program p, m;
	struct mmt_exec_opts o;
	struct mmt_exec_result r;
	char path[4096];

	snprintf(path, sizeof(path), "%s/corpus/regress/mremap-back-lenient.mmt", MMT_SOURCE_DIR);
	ck_assert_int_eq(mmt_parse_file(path, &p, NULL), 0);
	ck_assert_int_eq(mmt_minimize(&p, &mo, &m, &res), 0);
	ck_assert(res.strict_ok);
	ck_assert(m.schedule_lenient);
	mmt_exec_opts_default(&o);
	ck_assert_int_eq(mmt_exec(&m, &o, &r), EXEC_PASS);
	mmt_exec_result_free(&r);
	m.schedule_lenient = false;
	ck_assert_int_eq(mmt_exec(&m, &o, &r), EXEC_DIVERGED);
	mmt_exec_result_free(&r);
	o.inject = 1ull << bug;
	ck_assert_int_eq(mmt_exec(&m, &o, &r), EXEC_VIOLATION);
	mmt_exec_result_free(&r);
	mmt_program_free(&m);
	mmt_program_free(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("minimize");
	TCase *tc = tcase_create("minimize");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, zoo_minimizes_to_one_minimal, 0,
			    (int)(sizeof(zoo) / sizeof(zoo[0])));
	tcase_add_test(tc, missing_lock_minimizes_lenient);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
