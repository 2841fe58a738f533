/* SPDX-License-Identifier: MIT */
/*
 * oracle.h - the DATA reference model, which the executor consults.
 *
 * An independent, deliberately naive model of what every process of a
 * program must see: its VMAs (range, protection, private/shared, the object
 * a file or shmem mapping views, madvise flags) and the contents of each
 * page.  It shares no code and no data structure with the model, so a bug
 * in the model cannot hide itself by also being in the oracle.
 *
 * Processes are the program's name indexes (program.h names[]).  The memfd
 * every non-anonymous mapping views is object 0, at file offset = page
 * number; each "mmap ... shared|anon" creates a new shmem object.  Objects
 * have sizes, by the language's rule: a shmem object has its mmap's length,
 * and every file mmap (whatever it returns) grows the memfd to cover its
 * range; an access at or past the size is SIGBUS (BUS).
 *
 * The executor asks before an op what outcomes are acceptable
 * (oracle_expect / oracle_access), runs the op on the model, then tells the
 * oracle what really happened (oracle_apply).  When the oracle has no
 * opinion it follows the model's outcome.
 *
 * A process can be made "uncertain" (oracle_taint): when two operations of
 * different tasks raced in a way that leaves several answers correct, the
 * oracle stops judging that process (and the shared objects it maps) for
 * the rest of the run instead of guessing.
 */
#ifndef MMT_ORACLE_H
#define MMT_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/program.h"

struct oracle;

/* a bit per enum mmt_outcome */
#define ORACLE_OUT(o)	(1u << (o))
#define ORACLE_ANY	(~0u)

enum oracle_verdict {
	ORC_OK,		/* the access must succeed (*val: a read's value) */
	ORC_SEGV,	/* it must fault with SIGSEGV */
	ORC_BUS,	/* it must fault with SIGBUS: past the end of its object */
	ORC_UNKNOWN,	/* no opinion */
};

struct oracle *oracle_create(void);
void oracle_destroy(struct oracle *o);
/* forget everything; @swap_id >= 0 names a swap device active at start */
void oracle_reset(struct oracle *o, int64_t swap_id);

/* acceptable outcomes of @op (not read/write) in the current state */
uint32_t oracle_expect(const struct oracle *o, const struct mmt_op *op);
/* what a read or write of @addr in @proc must do; reads fill *val */
enum oracle_verdict oracle_access(const struct oracle *o, int proc, uint64_t addr,
				  bool write, uint64_t *val);
/*
 * the device's read through @proc's pin named @uaddr: ORC_OK with *val,
 * ORC_SEGV when there is no such pin (ENOENT), ORC_UNKNOWN
 */
enum oracle_verdict oracle_pin_read(const struct oracle *o, int proc, uint64_t uaddr,
				    uint64_t *val);
/* why an access must do what oracle_access said, for reports */
const char *oracle_describe(const struct oracle *o, int proc, uint64_t addr);
/* update from what the model did: @out is the op's outcome, @val a read's value */
void oracle_apply(struct oracle *o, const struct mmt_op *op, int out, uint64_t val);

/* stop judging @proc and the shared objects it maps */
void oracle_taint(struct oracle *o, int proc);
bool oracle_certain(const struct oracle *o, int proc);
/* is @addr of @proc a private page (no other process can change it)? */
bool oracle_private_page(const struct oracle *o, int proc, uint64_t addr);
bool oracle_live(const struct oracle *o, int proc);

/* every readable page of @proc whose value the oracle knows and cares about */
void oracle_for_each_page(const struct oracle *o, int proc,
			  void (*fn)(uint64_t addr, uint64_t val, void *arg), void *arg);

/* every process that ever lived has exited and no swap device is on */
bool oracle_ended_empty(const struct oracle *o);

#endif /* MMT_ORACLE_H */
