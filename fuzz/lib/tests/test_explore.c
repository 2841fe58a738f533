/* SPDX-License-Identifier: MIT */
/*
 * test_explore.c - bounded systematic exploration (explore.c).
 *
 * On the race zoo's reproducers (their schedule lines ignored) the search
 * finds each bug within three preemptions and the schedule it reports
 * replays the violation exactly; without the bug it covers the bound with
 * no violation, and twice gives the same counts.  Sleep sets are checked
 * against the search without them: with no bound both reach the same set
 * of final states (the digest of explore.h on_final), and with a bound the
 * pruned search never reaches a state the full one does not.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/exec.h"
#include "mmt/explore.h"
#include "mmt/inject.h"
#include "mmt/program.h"

#ifndef MMT_SOURCE_DIR
#define MMT_SOURCE_DIR "."
#endif

static struct mmt_program parse_or_fail(const char *text)
{
	struct mmt_parse_error err;
	struct mmt_program p;

	ck_assert_msg(mmt_parse(text, strlen(text), &p, &err) == 0, "%u:%u: %s", err.line, err.col,
		      err.msg);
	return p;
}

static struct mmt_program load_zoo(const char *name)
{
	char path[512];
	struct mmt_parse_error err;
	struct mmt_program p;

	snprintf(path, sizeof(path), "%s/corpus/zoo/%s.mmt", MMT_SOURCE_DIR, name);
	ck_assert_msg(mmt_parse_file(path, &p, &err) == 0, "%s:%u:%u: %s", path, err.line,
		      err.col, err.msg);
	return p;
}

static uint64_t bug(const char *name)
{
	for (int i = 0; i < NR_MMT_BUGS; i++)
		if (!strcmp(mmt_bugs[i].name, name))
			return 1ull << i;
	ck_abort_msg("no bug %s", name);
	return 0;
}

static const char *const races[] = {
	"fork-migration-write-flag", "mprotect-keeps-write-migration", "anon-vma-head-insert",
};

START_TEST(finds_zoo_races)
{
	const char *name = races[_i];
	struct mmt_program p = load_zoo(name);
	struct mmt_explore_opts o;
	struct mmt_explore_result r;
	struct mmt_exec_opts eo;
	struct mmt_exec_result run;

	mmt_explore_opts_default(&o);
	o.bound = 3;
	o.inject = bug(name);
	ck_assert_int_eq(mmt_explore(&p, &o, &r), 0);
	ck_assert_msg(r.violation, "%s: no violation in %lu schedules", name, r.runs);
	ck_assert_int_le(r.preemptions, 3);
	ck_assert(r.prog.has_schedule);

	/* the schedule it reports replays the same violation, strictly */
	mmt_exec_opts_default(&eo);
	eo.inject = o.inject;
	ck_assert_int_eq(mmt_exec(&r.prog, &eo, &run), r.run.status);
	ck_assert_int_eq(run.status, EXEC_VIOLATION);
	ck_assert_int_eq(run.violation.inv, r.run.violation.inv);
	mmt_exec_result_free(&run);
	mmt_explore_result_free(&r);
	mmt_program_free(&p);
}
END_TEST

START_TEST(clean_zoo_races_covered)
{
	const char *name = races[_i];
	struct mmt_program p = load_zoo(name);
	struct mmt_explore_opts o;
	struct mmt_explore_result a, b;

	mmt_explore_opts_default(&o);
	o.bound = 2;
	ck_assert_int_eq(mmt_explore(&p, &o, &a), 0);
	ck_assert_msg(!a.violation && a.complete, "%s: %s", name, a.run.msg);
	ck_assert_int_gt(a.explored, 1);
	ck_assert_int_gt(a.pruned, 0);
	ck_assert_int_eq(mmt_explore(&p, &o, &b), 0);
	ck_assert_int_eq(a.explored, b.explored);
	ck_assert_int_eq(a.pruned, b.pruned);
	ck_assert_int_eq(a.runs, b.runs);
	mmt_explore_result_free(&a);
	mmt_explore_result_free(&b);
	mmt_program_free(&p);
}
END_TEST

/* ------------------------------------------------ soundness of pruning */

struct digests {
	uint64_t *d;
	size_t n, cap;
};

static void collect(void *arg, uint64_t digest)
{
	struct digests *s = arg;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->d = realloc(s->d, s->cap * sizeof(*s->d));
		ck_assert_ptr_nonnull(s->d);
	}
	s->d[s->n++] = digest;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* sort and drop duplicates: the set of final states */
static void to_set(struct digests *s)
{
	size_t k = 0;

	qsort(s->d, s->n, sizeof(*s->d), cmp_u64);
	for (size_t i = 0; i < s->n; i++)
		if (!k || s->d[k - 1] != s->d[i])
			s->d[k++] = s->d[i];
	s->n = k;
}

static bool subset(const struct digests *a, const struct digests *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (!bsearch(&a->d[i], b->d, b->n, sizeof(*b->d), cmp_u64))
			return false;
	return true;
}

static void final_states_fields(const struct mmt_program *p, int bound, bool prune, bool fields,
				struct digests *s, struct mmt_explore_result *r)
{
	struct mmt_explore_opts o;

	mmt_explore_opts_default(&o);
	o.bound = bound;
	o.prune = prune;
	o.fields = fields;
	o.stop_on_violation = false;
	o.on_final = collect;
	o.final_arg = s;
	ck_assert_int_eq(mmt_explore(p, &o, r), 0);
	ck_assert(r->complete);
	to_set(s);
}

static void final_states(const struct mmt_program *p, int bound, bool prune, struct digests *s,
			 struct mmt_explore_result *r)
{
	final_states_fields(p, bound, prune, false, s, r);
}

/* small enough that the search without pruning ends without a bound */
static const char *const small[] = {
	/* a migration against mprotect: the write migration entry */
	"mmt 1\nworld nodes=2 frames=32 swap=0\nspawn p0\n"
	"mmap p0 0x10 1 rw private|anon\nwrite p0 0x10 0x1\n"
	"@0 migrate p0 0x10 1 1\n@1 mprotect p0 0x10 1 r\n",
	/* fork against munmap of the page it copies */
	"mmt 1\nworld nodes=2 frames=32 swap=0\nspawn p0\n"
	"mmap p0 0x10 1 rw private|anon\nwrite p0 0x10 0x1\n"
	"@0 fork p0 p1\n@1 munmap p0 0x10 1\n",
};

START_TEST(pruning_keeps_final_states)
{
	struct mmt_program p = parse_or_fail(small[_i]);
	struct digests full = { 0 }, pruned = { 0 };
	struct mmt_explore_result a, b;

	final_states(&p, -1, false, &full, &a);
	final_states(&p, -1, true, &pruned, &b);
	ck_assert_int_lt(b.explored, a.explored);
	ck_assert_int_gt(full.n, 1);
	ck_assert_msg(full.n == pruned.n && subset(&full, &pruned),
		      "%zu final states without pruning (%lu schedules), %zu with (%lu)", full.n,
		      a.explored, pruned.n, b.explored);
	mmt_explore_result_free(&a);
	mmt_explore_result_free(&b);
	free(full.d);
	free(pruned.d);

	/* with a bound, pruning may only lose states, never invent them */
	for (int k = 0; k <= 2; k++) {
		memset(&full, 0, sizeof(full));
		memset(&pruned, 0, sizeof(pruned));
		final_states(&p, k, false, &full, &a);
		final_states(&p, k, true, &pruned, &b);
		ck_assert(subset(&pruned, &full));
		mmt_explore_result_free(&a);
		mmt_explore_result_free(&b);
		free(full.d);
		free(pruned.d);
	}
	mmt_program_free(&p);
}
END_TEST

/*
 * --fields: a footprint that adds the fields the model reports can only
 * make more steps conflict, so sleep sets keep fewer tasks asleep and at
 * least the schedules the locks' footprints explore are explored, and
 * every final state of the full search is still reached.
 */
START_TEST(fields_prune_less_keep_final_states)
{
	struct mmt_program p = parse_or_fail(small[_i]);
	struct digests full = { 0 }, locks = { 0 }, fields = { 0 };
	struct mmt_explore_result a, b, c;

	final_states_fields(&p, -1, false, false, &full, &a);
	final_states_fields(&p, -1, true, false, &locks, &b);
	final_states_fields(&p, -1, true, true, &fields, &c);
	ck_assert_msg(c.explored >= b.explored, "fields explored %lu, locks alone %lu",
		      c.explored, b.explored);
	ck_assert_int_le(c.explored, a.explored);
	ck_assert_msg(full.n == fields.n && subset(&full, &fields),
		      "%zu final states without pruning, %zu with fields", full.n, fields.n);
	mmt_explore_result_free(&a);
	mmt_explore_result_free(&b);
	mmt_explore_result_free(&c);
	free(full.d);
	free(locks.d);
	free(fields.d);
	mmt_program_free(&p);
}
END_TEST

START_TEST(one_task_refused)
{
	struct mmt_program p = parse_or_fail("mmt 1\nspawn p0\nmmap p0 0x10 1 rw private|anon\n");
	struct mmt_explore_result r;

	ck_assert_int_eq(mmt_explore(&p, NULL, &r), -EINVAL);
	mmt_explore_result_free(&r);
	mmt_program_free(&p);
}
END_TEST

static Suite *explore_suite(void)
{
	Suite *s = suite_create("explore");
	TCase *tc = tcase_create("explore");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, finds_zoo_races, 0, (int)(sizeof(races) / sizeof(races[0])));
	tcase_add_loop_test(tc, clean_zoo_races_covered, 0, (int)(sizeof(races) / sizeof(races[0])));
	tcase_add_loop_test(tc, pruning_keeps_final_states, 0, (int)(sizeof(small) / sizeof(small[0])));
	tcase_add_loop_test(tc, fields_prune_less_keep_final_states, 0,
			    (int)(sizeof(small) / sizeof(small[0])));
	tcase_add_test(tc, one_task_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(explore_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
