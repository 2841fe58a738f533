/* SPDX-License-Identifier: MIT */
/*
 * workshare.h - how much of a program does something.
 *
 * An op "works" when it returns data or changes the state the model
 * exposes: a read that returns a value, a write that stores one, a spawn,
 * fork, exit, swapon or swapoff that succeeds, and any other op after which
 * the processes' mappings, page tables or page contents differ from before
 * it (a digest of them, taken after every op).  An munmap of a hole, an
 * mprotect that fails with ENOMEM, a migrate of pages that are not there,
 * a reclaim with nothing to reclaim: none of them works.  Check ops are not
 * counted at all.
 *
 * The programs run on one task with the checker off, so the digest between
 * two ops is the state between them; this is a benchmark measure of the
 * generators and the decoder (tools/bench.py --workshare), not a test
 * oracle.  It also counts the programs in which some pte mapped a page
 * of a large folio at some point (what the mTHP mechanisms need to get
 * anywhere).
 */
#ifndef MMT_WORKSHARE_H
#define MMT_WORKSHARE_H

#include <stdint.h>

#include "mmt/program.h"

struct mmt_work_stats {
	unsigned long programs;
	unsigned long ops[NR_MMT_OPCODES];	/* ops in the programs (check ops aside) */
	unsigned long worked[NR_MMT_OPCODES];	/* of those, the ones that worked */
	unsigned long large;			/* programs that mapped a large folio */
};

/* Run @p (its tasks folded onto one) and add its ops to @st.  0, or -errno. */
int mmt_work_measure(const struct mmt_program *p, struct mmt_work_stats *st);

#endif /* MMT_WORKSHARE_H */
