/* SPDX-License-Identifier: MIT */
/*
 * check.h - the invariant catalogue, VM_BUG_ON, and the checker.
 *
 * Invariants (numbered as in ../shared/DESIGN.md section 3; the checks that
 * enforce each are listed at the top of core/check/check.c):
 *
 *   1 MAPCOUNT   folio mapcount == ptes mapping it (device-private entries count)
 *   2 REFCOUNT   refcount == mapcount + cache refs + isolation at quiescence;
 *                free frames have refcount 0, mapcount 0, no pte pointing there
 *   3 MIGRATION  no migration entry at quiescence; during a migration every
 *                migration entry points at a locked folio under migration
 *   4 SWAPMAP    slot count == swap ptes; SWAP_HAS_CACHE iff in swap cache;
 *                reserved types never index a swap device
 *   5 RMAP       every pte of a folio lies in a VMA that the folio's rmap
 *                reaches, at the address folio->index gives
 *   6 ANONVMA    chains and lists agree, refcounts and degrees right,
 *                no freed anon_vma reachable
 *   7 EXCLUSIVE  writable anon pte => AnonExclusive, mapped once;
 *                AnonExclusive => mapped at most once
 *   8 PROT       writable pte / write migration entry only in VM_WRITE VMAs;
 *                COW-shared pages read-only everywhere
 *   9 RSS        mm counters == its ptes
 *  10 KSM        (later)
 *  11 DEVICE     (later)
 *  12 DATA       every read matches the reference model
 *  13 LEAK       nothing left once every process exited and swap is off
 *  14 LOCKORDER  locks taken in the documented order
 *
 * Violations found by the checker, by VM_BUG_ON in the model, or by the
 * executor's data oracle all land in one place, the report, which keeps the
 * first violation and a count.
 */
#ifndef MMT_CHECK_H
#define MMT_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/kprim.h"
#include "mmt/mmdebug.h"

struct folio;
struct mm_struct;
struct vm_area_struct;
struct anon_vma;
struct swap_info_struct;
struct address_space;

/*
 * One check_* per model object, for the checker and for unit tests.  Each
 * reports every violation it finds through mmt_violation() and returns the
 * number found.  They read the world without locks: call them only at
 * quiescent points (no task inside an operation).
 */
int check_folio(struct folio *folio);
int check_mm(struct mm_struct *mm);		/* its VMAs, ptes, RSS */
int check_vma(struct vm_area_struct *vma);
int check_anon_vma(struct anon_vma *av);
int check_swap_info(struct swap_info_struct *si);
int check_mapping(struct address_space *m);

/* Run every check over the whole world.  Returns violations found. */
int check_world(void);
/*
 * The same clauses, cheaper: reads only what the model has used, trusting
 * the marks its allocators keep (page-table nr_used, each node's bump
 * pointer, swap highest_alloc, pool used maps, the page-cache bitmap).
 * Equivalent to check_world on any state the model produced; run
 * check_world at the end (a store past a mark shows only there).
 */
int check_world_incremental(void);
/* LEAK: the world must be empty (every process gone, swap off). */
int check_world_empty(void);

/*
 * In flight (clauses 2.6, 3.4, 3.5, 4.7, 7.5): the cheap invariants over the
 * object whose lock @li the running task just dropped (a pte table or a
 * folio), or at a yield point (@li NULL) over what it dropped lately.  This
 * is a kp_inflight_hook (kprim.h): only under the deterministic scheduler.
 * Reset forgets the tasks' recent objects (call it before each run).
 */
void check_inflight(const struct kp_lockinfo *li);
void check_inflight_reset(void);

#endif /* MMT_CHECK_H */
