/* SPDX-License-Identifier: MIT */
/*
 * difftest.h - the model against the running kernel, op by op.
 *
 * mmt_difftest() generates one-task programs (gen.c, with a prologue that
 * maps most of p0's window so that accesses and VMA ops land on something),
 * runs each on the model (mmt_exec, every invariant checked) and on this
 * machine's kernel (host.h: real processes, real syscalls, real loads and
 * stores), and compares every op's outcome and every value a read returned
 * on both sides.  Ops only the model can do (swapon, swapoff, reclaim,
 * check, the daemons) and migrations to nodes the host lacks do nothing on
 * the host: they are not compared themselves, but every later read is, so
 * the data must survive them on both sides.  That is what makes the mode
 * useful on a machine with one node and no swap.
 *
 * A program that disagrees is minimized (ddmin over its ops, then one at a
 * time: the same op kind must keep disagreeing the same way), and written
 * atomically as DIR/disagreements/SIGNATURE.mmt with the kernel's outcomes
 * asserted (`->`, `= V`), so that `mmtorture replay` on it fails where the
 * model is wrong and `mmtorture host-replay` (or tools/realkernel.py)
 * passes.  The signature is the disagreeing op, the two outcomes (model
 * first) or "value", and the op kinds of the minimized program:
 * "read-SEGV-vs-ok@fork+mmap+mremap+read", "read-value@mmap+write".  One
 * signature, one file; later programs that disagree the same way are
 * counted against it.
 *
 * A model violation (an invariant) on the way is a finding of its own:
 * the program is written to DIR/violations/N.mmt.
 */
#ifndef MMT_DIFFTEST_H
#define MMT_DIFFTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mmt/host.h"
#include "mmt/program.h"

struct mmt_difftest_opts {
	uint64_t seed;		/* program k's seed is the k-th splitmix64 output from it */
	unsigned long count;	/* programs (0: until the budget) */
	double budget;		/* seconds (0: until the count) */
	unsigned nr_ops;	/* ops per program, besides the prologue (default 32) */
	const char *out;	/* output directory (default difftest-out) */
	bool dense;		/* map p0's window first (default on) */
	/*
	 * Generate mremap.  Off steers clear of the model's known gaps
	 * (issue 11): a same-length move over a source with holes (6.17's
	 * remap_move()), and shared objects past their size after a growing
	 * mremap (SIGBUS on Linux).
	 */
	bool mremap;
	double timeout;		/* seconds per host op (0: host.h's default) */
	bool corrupt_writes;	/* tests only: host.h's corrupt_writes */
	bool host_ksm;		/* --host-ksm: host.h's ksm (root; the host's ksmd runs) */
	/*
	 * --gen ksm: programs of the KSM race template (gen.h), its racer's
	 * ops run by the one task after the setup, instead of uniform ones:
	 * equal pages made mergeable and merged, then COW of KSM pages,
	 * forks, unmerges and exits, where a uniform program rarely merges.
	 */
	bool ksm_programs;
	/*
	 * --gen thp: programs of the PMD THP template (gen.h), one task, its
	 * pins left out (the host has none), in a world with the PMD-sized
	 * THP: the model maps 32-page THPs where the host maps 2 MiB ones,
	 * and what processes read must agree all the same.
	 */
	bool thp_programs;
	bool quiet;		/* no progress, only the summary */
	FILE *log;		/* progress and findings (NULL: none) */
};

void mmt_difftest_opts_default(struct mmt_difftest_opts *o);

struct mmt_difftest_sig {
	char sig[128];
	char path[4200];
	unsigned long programs;		/* programs that disagreed this way */
	size_t ops;			/* ops of the minimized program */
};

#define MMT_DIFFTEST_MAX_SIGS 64

struct mmt_difftest_result {
	double elapsed;
	unsigned long programs;
	unsigned long ops;		/* ops run on the model */
	unsigned long compared;		/* ops whose outcomes were compared */
	unsigned long reads_compared;	/* reads that returned a value on both sides */
	unsigned long ok_both;		/* compared ops that succeeded on both sides */
	unsigned long skipped[NR_HOST_SKIP];	/* by reason (HOST_RAN unused) */
	unsigned long disagreeing;	/* programs with a disagreement */
	unsigned long violations;	/* programs the model itself failed */
	unsigned long host_errors;	/* programs the host harness could not finish */
	bool interrupted;		/* SIGINT or SIGTERM stopped it (summary still written) */
	unsigned long ksmd_ran;		/* --host-ksm: ksmd ops compared (they ran on the host) */
	unsigned long ksm_reads;	/* --host-ksm: reads that found a KSM page on the host */
	char host_error[256];		/* the first one */
	unsigned nr_sigs;
	struct mmt_difftest_sig sigs[MMT_DIFFTEST_MAX_SIGS];
};

/*
 * Run the campaign; DIR/summary.json at the end, also after SIGINT or
 * SIGTERM (caught while it runs: the program in hand is finished, a
 * minimization in progress stops where it is).  0: ran (the result says
 * what it found); -1: could not start (the host cannot run programs, the
 * directory cannot be made: the message is on o->log).
 */
int mmt_difftest(const struct mmt_difftest_opts *o, struct mmt_difftest_result *res);

/*
 * Compare one program: run it on the model and on the host.  Returns the
 * index of the first op where they disagree, -1 if none, or -2 when it
 * could not be compared (@why says why: a host error, a model violation).
 * @what, if not NULL, describes the disagreement.
 */
long mmt_difftest_program(const struct mmt_program *p, const struct mmt_host_opts *ho,
			  char *what, size_t len, char *why, size_t wlen);

/*
 * host-replay: run @p on the host and check its assertions (`->`, `=`),
 * one line per op on @out (only failures if @quiet).  Counts what held,
 * failed and could not be checked here (skipped ops).  0, or -1 when it
 * could not run (@why).
 */
int mmt_host_replay(const struct mmt_program *p, const struct mmt_host_opts *ho,
		    const char *name, FILE *out, bool quiet, unsigned *held,
		    unsigned *failed, unsigned *skipped, char *why, size_t wlen);

#endif /* MMT_DIFFTEST_H */
