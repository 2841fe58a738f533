/* SPDX-License-Identifier: MIT */
/*
 * mutate.h - structure-aware mutation of fuzzer inputs (decode.h layout).
 *
 * The input is a world byte, a count byte, 4-byte op records and a tail of
 * 2-byte schedule switch records.  A generic byte mutator shifts records out of
 * alignment when it inserts or deletes a byte, which changes every op after
 * it; this one works on whole records: insert a fresh record, delete one,
 * duplicate one (up to 32 times: 27 swapons is what swapon-type-overlap
 * takes), swap two, splice records from another input, tweak one argument
 * field (kind, task, process, page, length, prot/flags, value), and edit
 * the schedule's switch records: half the time a fresh PCT draw (one to
 * three change points over the run, each to another task: races of depth
 * 3 or 4 need their switches together, one edit at a time is too slow),
 * else insert a switch to another task, insert a preemption, delete one,
 * move one by a few decision points or anywhere, retask one, or cut the
 * tail; each of these moves one switch (two for a preemption) and leaves
 * the others where they are.
 * The count byte is kept equal to the number of records.  A share of the
 * calls goes to the fallback (libFuzzer's LLVMFuzzerMutate, or a byte
 * flipper for AFL++).
 *
 * Used by fuzz/harness.c (LLVMFuzzerCustomMutator, LLVMFuzzerCustomCrossOver)
 * and fuzz/afl_mutator.c (afl_custom_fuzz), built when MMT_CUSTOM_MUTATOR is
 * on.  Deterministic for a given seed and call sequence.
 */
#ifndef MMT_MUTATE_H
#define MMT_MUTATE_H

#include <stddef.h>
#include <stdint.h>

/* mutate @data in place (@size bytes, room for @max_size); new size */
typedef size_t (*mmt_mutate_fallback)(uint8_t *data, size_t size, size_t max_size, void *arg);

struct mmt_mutator {
	uint64_t state;
	mmt_mutate_fallback fallback;	/* may be NULL */
	void *arg;
	unsigned fallback_pct;		/* share of calls given to the fallback (default 15) */
	unsigned schedule_pct;		/* share of the others that edit the schedule of a
					 * multi-task input (default 40) */
	/*
	 * Decision points the run of the input being mutated took, or 0 when
	 * unknown; set by the caller before mmt_mutate.  New switches are drawn
	 * over that range (PCT draws its change points over the run's length).
	 */
	unsigned long horizon;
};

void mmt_mutator_init(struct mmt_mutator *m, uint64_t seed, mmt_mutate_fallback fb, void *arg);
void mmt_mutator_reseed(struct mmt_mutator *m, uint64_t seed);

/*
 * Mutate @data (@size bytes, capacity @max_size) in place and return the
 * new size (<= @max_size).  @max_tasks > 1 enables schedule-tail edits.
 * @other (may be NULL) is another corpus input to splice records from.
 */
size_t mmt_mutate(struct mmt_mutator *m, uint8_t *data, size_t size, size_t max_size,
		  int max_tasks, const uint8_t *other, size_t other_size);

/* records from @a and @b interleaved into @out (capacity @max_out); size */
size_t mmt_crossover(struct mmt_mutator *m, const uint8_t *a, size_t na, const uint8_t *b,
		     size_t nb, uint8_t *out, size_t max_out);

#endif /* MMT_MUTATE_H */
