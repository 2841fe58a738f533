/* SPDX-License-Identifier: MIT */
/*
 * shadow.h - what the generator and the byte decoder believe about each
 * process's window, so that most ops land where there is something to do
 * (internal to fuzz/lib; gen.c and decode.c share it).
 *
 * syzkaller's programs are resource-aware: a call's arguments come from
 * what earlier calls created.  Here the resources are pages of the 32-page
 * window 0x10..0x2f: which ones a process has mapped, with what
 * protection, and which ones it has written.  The shadow is updated from
 * the ops alone, in program order, without running anything, so it is an
 * approximation: it does not know VMA boundaries, object sizes or what
 * another task's interleaved op did.  That is fine: it only biases choices,
 * and a wrong guess is an op that hits a hole, which programs should do now
 * and then anyway.  Decoding stays total and deterministic because the
 * shadow is a pure function of the ops decoded so far.
 */
#ifndef MMT_FUZZ_SHADOW_H
#define MMT_FUZZ_SHADOW_H

#include <stdint.h>

#include "mmt/program.h"

#define SHADOW_BASE	0x10
#define SHADOW_PAGES	32
#define SHADOW_PROCS	4

struct shadow_proc {
	uint32_t mapped;	/* bit i: page SHADOW_BASE + i is mapped */
	uint32_t writable;	/* mapped with PROT_WRITE */
	uint32_t readable;	/* mapped with PROT_READ (x86: write implies read) */
	uint32_t populated;	/* written since mapped: a page migrate or pageout can move */
	uint32_t dontfork;	/* MADV_DONTFORK: fork leaves these out of the child */
	uint32_t node1;		/* populated pages migrate moved to node 1 (else: home node 0) */
	uint32_t pinned;	/* pages named by a pin of this process (pin ADDR N) */
	uint32_t shared;	/* mapped MAP_SHARED (file or shmem): remap_file_pages works there */
};

struct shadow {
	struct shadow_proc p[SHADOW_PROCS];
};

/*
 * Apply @op, whose processes are window slots @slot and @slot2 (fork's
 * child; -1 when the op has none), to the shadow.  Unknown ops change
 * nothing: a new op only needs a case here if it maps or unmaps.
 */
void shadow_apply(struct shadow *s, const struct mmt_op *op, int slot, int slot2);

/*
 * The page number (window-absolute, SHADOW_BASE-based) of the
 * (@v mod popcount(@set))-th set bit of @set, or 0 when @set is empty.
 */
uint64_t shadow_pick(uint32_t set, unsigned v);

/* how many pages from @page on are in @set, capped at @max (>= 1 if @page is) */
uint64_t shadow_run(uint32_t set, uint64_t page, uint64_t max);

#endif /* MMT_FUZZ_SHADOW_H */
