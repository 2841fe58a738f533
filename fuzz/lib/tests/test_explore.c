/* SPDX-License-Identifier: MIT */
/*
 * test_explore.c - bounded systematic exploration (explore.c).
 *
 * On the race zoo's reproducers (their schedule lines ignored) the search
 * finds each bug within three preemptions and the schedule it reports
 * replays the violation exactly; without the bug it covers the bound with
 * no violation, and twice gives the same counts.  DPOR finds every race
 * sleep sets (the default) find, and in no more runs.  Both prunings are
 * checked against the search without pruning: with no bound all three reach
 * the same set of final states (the digest of explore.h on_final), on small
 * programs of our own, zoo reproducers and regression files (their schedule
 * lines ignored); with a bound a pruned search never reaches a state the
 * full one does not.
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
	"mremap-merge-rmap-order", "thp-split-no-ttu-sync",
};

START_TEST(finds_zoo_races)
{
	const char *name = races[_i];
	struct mmt_program p = load_zoo(name);
	struct mmt_explore_opts o;
	struct mmt_explore_result r, s;
	struct mmt_exec_opts eo;
	struct mmt_exec_result run;

	mmt_explore_opts_default(&o);
	ck_assert_int_eq(o.prune, MMT_PRUNE_SLEEP);
	o.prune = MMT_PRUNE_DPOR;
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

	/* sleep sets alone find it too, in no fewer runs */
	o.prune = MMT_PRUNE_SLEEP;
	ck_assert_int_eq(mmt_explore(&p, &o, &s), 0);
	ck_assert_msg(s.violation, "%s: sleep sets: no violation in %lu schedules", name, s.runs);
	ck_assert_msg(r.runs <= s.runs, "%s: dpor found it after %lu runs, sleep sets after %lu",
		      name, r.runs, s.runs);
	mmt_explore_result_free(&s);
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
	o.prune = MMT_PRUNE_DPOR;
	o.bound = 2;
	ck_assert_int_eq(mmt_explore(&p, &o, &a), 0);
	ck_assert_msg(!a.violation && a.complete, "%s: %s", name, a.run.msg);
	ck_assert_int_gt(a.explored, 1);
	ck_assert_int_gt(a.pruned, 0);
	ck_assert_int_eq(mmt_explore(&p, &o, &b), 0);
	ck_assert_int_eq(a.explored, b.explored);
	ck_assert_int_eq(a.pruned, b.pruned);
	ck_assert_int_eq(a.runs, b.runs);
	mmt_explore_result_free(&b);

	/* dpor explores and runs no more than sleep sets alone */
	o.prune = MMT_PRUNE_SLEEP;
	ck_assert_int_eq(mmt_explore(&p, &o, &b), 0);
	ck_assert(!b.violation && b.complete);
	ck_assert_msg(a.explored <= b.explored && a.runs <= b.runs,
		      "%s: dpor %lu explored in %lu runs, sleep sets %lu in %lu", name, a.explored,
		      a.runs, b.explored, b.runs);
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

static void final_states_fields(const struct mmt_program *p, int bound,
				enum mmt_explore_prune prune, bool fields,
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

/* zoo reproducers and regression files the search without pruning ends on */
static const char *const files[] = {
	"zoo/mprotect-keeps-write-migration", "regress/remap-populate-vs-madvise",
	"regress/exit-vs-fork-same-name",
};

static struct mmt_program load_file(const char *name)
{
	char path[512];
	struct mmt_parse_error err;
	struct mmt_program p;

	snprintf(path, sizeof(path), "%s/corpus/%s.mmt", MMT_SOURCE_DIR, name);
	ck_assert_msg(mmt_parse_file(path, &p, &err) == 0, "%s:%u:%u: %s", path, err.line,
		      err.col, err.msg);
	return p;
}

/*
 * Without a bound, sleep sets and dpor reach every final state of the full
 * search (and only those); with one, a pruned search may lose states but
 * never invents one.  @fields: the default footprints, or locks only.
 */
static void check_final_states(const char *what, const struct mmt_program *p, bool fields,
			       int max_bound)
{
	static const enum mmt_explore_prune prunes[] = { MMT_PRUNE_SLEEP, MMT_PRUNE_DPOR };
	struct digests full = { 0 }, pruned = { 0 };
	struct mmt_explore_result a, b;

	final_states_fields(p, -1, MMT_PRUNE_NONE, fields, &full, &a);
	ck_assert_int_gt(full.n, 1);
	for (int i = 0; i < 2; i++) {
		memset(&pruned, 0, sizeof(pruned));
		final_states_fields(p, -1, prunes[i], fields, &pruned, &b);
		ck_assert_int_lt(b.explored, a.explored);
		ck_assert_msg(full.n == pruned.n && subset(&full, &pruned),
			      "%s: %zu final states without pruning (%lu schedules), %zu with %s "
			      "(%lu)", what, full.n, a.explored, pruned.n,
			      i ? "dpor" : "sleep sets", b.explored);
		mmt_explore_result_free(&b);
		free(pruned.d);
	}
	mmt_explore_result_free(&a);
	free(full.d);

	for (int k = 0; k <= max_bound; k++) {
		memset(&full, 0, sizeof(full));
		final_states_fields(p, k, MMT_PRUNE_NONE, fields, &full, &a);
		for (int i = 0; i < 2; i++) {
			memset(&pruned, 0, sizeof(pruned));
			final_states_fields(p, k, prunes[i], fields, &pruned, &b);
			ck_assert_msg(subset(&pruned, &full), "%s: bound %d: %s reached a state the "
				      "full search does not", what, k, i ? "dpor" : "sleep sets");
			mmt_explore_result_free(&b);
			free(pruned.d);
		}
		mmt_explore_result_free(&a);
		free(full.d);
	}
}

START_TEST(pruning_keeps_final_states)
{
	struct mmt_program p = parse_or_fail(small[_i]);

	check_final_states(small[_i], &p, false, 2);
	check_final_states(small[_i], &p, true, 2);
	mmt_program_free(&p);
}
END_TEST

/*
 * Where the full search is out of reach without a bound: dpor against
 * sleep sets alone (checked against the full search above), both without a
 * bound, on anon-vma-head-insert's reproducer (4,193 traces): the same
 * traces, so the same final states, in far fewer runs.
 */
START_TEST(dpor_matches_sleep_sets_unbounded)
{
	struct mmt_program p = load_zoo("anon-vma-head-insert");
	struct digests sleep = { 0 }, dpor = { 0 };
	struct mmt_explore_result a, b;

	final_states_fields(&p, -1, MMT_PRUNE_SLEEP, true, &sleep, &a);
	final_states_fields(&p, -1, MMT_PRUNE_DPOR, true, &dpor, &b);
	ck_assert_msg(sleep.n == dpor.n && subset(&sleep, &dpor),
		      "%zu final states with sleep sets (%lu schedules), %zu with dpor (%lu)",
		      sleep.n, a.explored, dpor.n, b.explored);
	ck_assert_int_eq(a.explored, b.explored);
	ck_assert_int_lt(b.runs, a.runs);
	mmt_explore_result_free(&a);
	mmt_explore_result_free(&b);
	free(sleep.d);
	free(dpor.d);
	mmt_program_free(&p);
}
END_TEST

START_TEST(pruning_keeps_final_states_files)
{
	struct mmt_program p = load_file(files[_i]);

	check_final_states(files[_i], &p, true, 1);
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

	final_states_fields(&p, -1, MMT_PRUNE_NONE, false, &full, &a);
	final_states_fields(&p, -1, MMT_PRUNE_SLEEP, false, &locks, &b);
	final_states_fields(&p, -1, MMT_PRUNE_SLEEP, true, &fields, &c);
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
	tcase_add_loop_test(tc, pruning_keeps_final_states_files, 0,
			    (int)(sizeof(files) / sizeof(files[0])));
	tcase_add_test(tc, dpor_matches_sleep_sets_unbounded);
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
