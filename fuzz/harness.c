// SPDX-License-Identifier: MIT
/*
 * harness.c - the one fuzz target, for libFuzzer and AFL++ alike.
 *
 * Bytes are decoded into a program and run as fuzzrun.h says (the bytes'
 * own schedule, then with two tasks a few PCT schedules seeded by the
 * bytes), with every invariant checked after every op, the world torn down
 * at the end (so LEAK is checked on every input) and fuzzer-made schedules
 * taken leniently.  The world is reset between inputs by mmt_exec in
 * O(used).
 *
 * Environment:
 *   MMT_FUZZ_TASKS=N     decode up to N tasks (default 1, or
 *                        MMT_FUZZ_DEFAULT_TASKS when built with it: a
 *                        fuzzer run by ClusterFuzzLite gets no environment
 *                        of ours, so fuzz/build.sh builds mmt_fuzz_race
 *                        with 2).  With N > 1 the
 *                        bytes after the op records are scheduling decisions
 *                        (interleaving mode): the races of the bug zoo need it.
 *   MMT_INJECT=NAME,...  bug-zoo switches (inject.h).
 *   MMT_FUZZ_SWITCHES=0  no interleaving coverage (below); for measuring it.
 *   MMT_FUZZ_PCT=N       PCT runs per passing multi-task input (fuzzrun.h,
 *                        default 3; 0: the bytes' schedule only).
 *   MMT_FUZZ_ATTRIBUTE=1 report only violations the injected bugs cause: a
 *                        violation counts if the same program, with the
 *                        schedule it took, passes with the bugs off (the hunt
 *                        uses this, so a model bug is not mistaken for the
 *                        bug it is looking for).
 *
 * On a violation: one line on stderr that starts with the invariant's name
 * ("MAPCOUNT: folio pfn 3: ..."), then the program as .mmt text with the
 * schedule it actually took, then abort() so that the engine saves the input.
 *
 * Interleaving coverage (two tasks or more): every switch from one task to
 * another is hashed with where both tasks stand (exec.h on_switch: their
 * ops, the lock classes they hold and wait for), and every conflict (exec.h
 * on_conflict: a lock instance taken by one task's op after another's, one
 * of them exclusively) with both ops and the lock's class, and every
 * ordered pair of accesses to one field (a pte, a folio's flags, mapping,
 * refcount or mapcount, an anon_vma's chain, a swap_map entry, a swap cache
 * slot, a VMA: kprim.h kp_access) by two tasks' ops, one of them writing,
 * with the field's class and the locks held, into libFuzzer's
 * extra counters, or AFL++'s edge map.  Edge coverage cannot tell a run that
 * preempted the migration inside its rmap walk from one that preempted it
 * before; these counters can, so an input that gets one switch further
 * into a race is kept, and the next switch is searched from there.
 *
 * Built with -DMMT_CUSTOM_MUTATOR, it also defines LLVMFuzzerCustomMutator
 * (mutate.h: whole op records, falling back to LLVMFuzzerMutate), and tells
 * it how many decision points each input's run took.
 *
 * Built by afl-clang-fast (__AFL_COMPILER), it brings its own main: AFL++
 * persistent mode with shared-memory test cases and deferred start-up.
 * With file arguments instead, it runs each file once (replaying a crash).
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmt/check.h"
#include "mmt/decode.h"
#include "mmt/exec.h"
#include "mmt/fuzzrun.h"
#include "mmt/inject.h"
#include "mmt/program.h"
#ifdef MMT_CUSTOM_MUTATOR
#include "mmt/mutate.h"
#endif

#ifndef MMT_FUZZ_DEFAULT_TASKS
#define MMT_FUZZ_DEFAULT_TASKS	1
#endif
static struct mmt_decode_opts dopts = { .max_tasks = MMT_FUZZ_DEFAULT_TASKS };
static void note_decisions(uint64_t hash, size_t decisions);
static struct mmt_exec_opts eopts;
static bool attribute;
static bool initialized;
static int pct_runs;

#ifndef __AFL_COMPILER
/* libFuzzer reads this section as counters and clears it before each run */
#define SWITCH_COUNTERS 4096
#define CONFLICT_COUNTERS 4096
__attribute__((used, section("__libfuzzer_extra_counters")))
static uint8_t switch_counters[SWITCH_COUNTERS];
__attribute__((used, section("__libfuzzer_extra_counters")))
static uint8_t conflict_counters[CONFLICT_COUNTERS];

static void count_switch(void *arg, uint32_t where)
{
	uint8_t *c = &switch_counters[where % SWITCH_COUNTERS];

	(void)arg;
	if (*c != UINT8_MAX)
		++*c;
}

static void count_conflict(void *arg, uint32_t what)
{
	uint8_t *c = &conflict_counters[what % CONFLICT_COUNTERS];

	(void)arg;
	if (*c != UINT8_MAX)
		++*c;
}
#else
/*
 * AFL++ has no extra counters: interleaving and conflict feedback go into
 * its edge map, hashed over the whole of it (afl-compiler-rt sizes it to the
 * edges it instrumented), where they collide with edges as edges do with
 * each other.  Without this AFL++ saw no interleaving at all.
 */
/*
 * Found at start-up (the AFL++ build links with --export-dynamic): a module
 * that declares __afl_area_ptr itself makes afl-clang-fast's instrumentation
 * pass rename its own declaration into a symbol nothing defines.
 */
static uint8_t **afl_area;
static uint32_t *afl_map_size;

static void afl_map_find(void)
{
	afl_area = dlsym(RTLD_DEFAULT, "__afl_area_ptr");
	afl_map_size = dlsym(RTLD_DEFAULT, "__afl_map_size");
}

static void count_afl(void *arg, uint32_t h)
{
	uint8_t *c;

	(void)arg;
	if (!afl_area || !*afl_area || !afl_map_size || !*afl_map_size)
		return;
	c = &(*afl_area)[h % *afl_map_size];
	if (*c != UINT8_MAX)
		++*c;
}
#define count_switch count_afl
#define count_conflict count_afl
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *s;
	char bad[64];

	(void)argc;
	(void)argv;
	if (initialized)
		return 0;
	initialized = true;
	mmt_exec_opts_default(&eopts);
	eopts.check_each_op = true;
	eopts.stop_on_violation = true;
	eopts.teardown = true;
	eopts.lenient_schedule = true;
	s = getenv("MMT_FUZZ_TASKS");
	if (s && *s) {
		int n = atoi(s);

		if (n < 1 || n > MMT_MAX_TASKS) {
			fprintf(stderr, "mmt_fuzz: MMT_FUZZ_TASKS=%s: expected 1..%d\n", s,
				MMT_MAX_TASKS);
			exit(2);
		}
		dopts.max_tasks = n;
	}
#ifdef __AFL_COMPILER
	afl_map_find();
#endif
	/* MMT_FUZZ_SWITCHES=0, MMT_FUZZ_CONFLICTS=0: without them (measuring) */
	s = getenv("MMT_FUZZ_SWITCHES");
	if (dopts.max_tasks > 1 && !(s && !strcmp(s, "0")))
		eopts.on_switch = count_switch;
	/* MMT_FUZZ_CONFLICTS=locks: lock instances only, as before fields */
	s = getenv("MMT_FUZZ_CONFLICTS");
	if (dopts.max_tasks > 1 && !(s && !strcmp(s, "0"))) {
		eopts.on_conflict = count_conflict;
		eopts.conflict_fields = !(s && !strcmp(s, "locks"));
	}
	pct_runs = mmt_fuzz_pct_runs();
	s = getenv("MMT_INJECT");
	if (s && *s && mmt_inject_parse(s, &eopts.inject, bad, sizeof(bad))) {
		fprintf(stderr, "mmt_fuzz: MMT_INJECT: unknown bug '%s'\n", bad);
		exit(2);
	}
	/* the mask is passed explicitly from here on, so it can be turned off */
	unsetenv("MMT_INJECT");
	s = getenv("MMT_FUZZ_ATTRIBUTE");
	attribute = s && *s && strcmp(s, "0") != 0;
	if (attribute && !eopts.inject) {
		fprintf(stderr, "mmt_fuzz: MMT_FUZZ_ATTRIBUTE needs MMT_INJECT\n");
		exit(2);
	}
	return 0;
}

/* does the program, with the schedule it took, pass with the bugs off? */
static bool passes_without_bugs(struct mmt_program *p)
{
	struct mmt_exec_opts clean = eopts;
	struct mmt_exec_result r;
	bool ok;

	clean.inject = 0;
	clean.on_switch = NULL;
	clean.on_conflict = NULL;
	ok = mmt_exec(p, &clean, &r) == EXEC_PASS;
	mmt_exec_result_free(&r);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mmt_fuzz_run fr;
	struct mmt_exec_result r;
	struct mmt_program p;

	if (!initialized)
		LLVMFuzzerInitialize(NULL, NULL);
	fr.max_tasks = dopts.max_tasks;
	fr.pct_runs = pct_runs;
	fr.exec = &eopts;
	if (mmt_fuzz_run(data, size, &fr, &p, &r))
		return 0;
	if (dopts.max_tasks > 1)
		note_decisions(fr.hash, fr.decisions);
	if (r.status == EXEC_VIOLATION) {
		if (attribute && !passes_without_bugs(&p)) {
			/* a violation without the bug too: not the one being hunted */
			mmt_exec_result_free(&r);
			mmt_program_free(&p);
			return 0;
		}
		fprintf(stderr, "%s: %s: %s\n", mmt_invariant_name(r.violation.inv),
			r.violation.object, r.violation.msg);
		fprintf(stderr, "# mmt_fuzz: %s (op %ld)\n", r.msg, r.fail_op);
		if (mmt_print(stderr, &p) < 0)
			fprintf(stderr, "# (this program has no text form)\n");
		fflush(stderr);
		abort();
	}
	mmt_exec_result_free(&r);
	mmt_program_free(&p);
	return 0;
}

/* ----------------------------------------------------- custom mutator */

/*
 * How many decision points the run of each recent input took, by a hash of
 * its bytes: the mutator draws new switches over that range, as PCT does
 * over the run's length.  The inputs libFuzzer mutates are corpus units,
 * which it ran when it added them (a direct-mapped table, collisions just
 * lose a hint).
 */
#define HINTS (1u << 16)

static struct {
	uint64_t hash;
	uint32_t decisions;
} hints[HINTS];

/* keyed by the hash mmt_fuzz_run computes anyway; 0 is an empty slot */
static void note_decisions(uint64_t hash, size_t decisions)
{
	uint64_t h = hash | 1;

	hints[h % HINTS].hash = h;
	hints[h % HINTS].decisions = decisions > UINT32_MAX ? UINT32_MAX : (uint32_t)decisions;
}

#ifdef MMT_CUSTOM_MUTATOR
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
				 uint8_t *out, size_t max_out, unsigned int seed);

static size_t fallback(uint8_t *data, size_t size, size_t max_size, void *arg)
{
	(void)arg;
	return LLVMFuzzerMutate(data, size, max_size);
}

static struct mmt_mutator mutator;
static bool mutator_ready;

static void mutator_setup(unsigned int seed)
{
	if (!mutator_ready) {
		if (!initialized)
			LLVMFuzzerInitialize(NULL, NULL);
		mmt_mutator_init(&mutator, seed, fallback, NULL);
		mutator_ready = true;
	}
	mmt_mutator_reseed(&mutator, seed);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	uint64_t h = mmt_fuzz_hash(data, size) | 1;

	mutator_setup(seed);
	/*
	 * Not found: a unit made by the mutation before this one (libFuzzer
	 * stacks a few); the hint of the unit it came from still holds.
	 */
	if (hints[h % HINTS].hash == h)
		mutator.horizon = hints[h % HINTS].decisions;
	return mmt_mutate(&mutator, data, size, max_size, dopts.max_tasks, NULL, 0);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
				 uint8_t *out, size_t max_out, unsigned int seed)
{
	mutator_setup(seed);
	return mmt_crossover(&mutator, d1, s1, d2, s2, out, max_out);
}
#endif

/* ------------------------------------------------------- AFL++ main */

#ifdef __AFL_COMPILER
__AFL_FUZZ_INIT();

static int run_file(const char *path)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return 2;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char *buf;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		int ret = 0;

		for (int i = 1; i < argc; i++)
			ret |= run_file(argv[i]);
		return ret;
	}
	/* warm up (the world, the oracle) before the fork server starts */
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	__AFL_INIT();
	buf = __AFL_FUZZ_TESTCASE_BUF;
	while (__AFL_LOOP(100000)) {
		int len = __AFL_FUZZ_TESTCASE_LEN;

		LLVMFuzzerTestOneInput(buf, (size_t)len);
	}
	return 0;
}
#endif
