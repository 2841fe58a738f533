/* SPDX-License-Identifier: MIT */
/*
 * migrate.h - page migration (move_pages and migrate_pages).
 *
 * A migration locks the source folio, replaces every pte mapping it by a
 * migration entry (try_to_migrate), moves its mapping, contents and state to
 * a new folio on the target node, then restores the ptes to point at the new
 * folio with an rmap walk (remove_migration_ptes), unlocks and frees the old
 * one.  Between the VMAs of each walk it yields, so other tasks can run
 * (fork, mprotect, munmap, faults).  A task that faults on a migration entry
 * waits for the folio lock and retries (migration_entry_wait).
 */
#ifndef MMT_MIGRATE_H
#define MMT_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/folio.h"
#include "mmt/mm.h"

/* migrate_folio result */
#define MIGRATEPAGE_SUCCESS 0

/*
 * move_pages(2) for @nr pages from @addr of @mm to @node.  Per-page status
 * goes to @status (node id, or -errno: -EFAULT not mapped, -ENOENT zero page
 * or none, -EACCES shared without @move_all, -ENOMEM target full, -EBUSY ...).
 * Returns 0, the number of pages not migrated, or -errno for the whole call
 * (-ENODEV for a node that does not exist).
 */
long do_move_pages(struct mm_struct *mm, uint64_t addr, uint64_t nr, int node,
		   bool move_all, int *status);

/* Migrate one isolated, unlocked folio to @node. 0 or -errno. */
int migrate_folio_to_node(struct folio *folio, int node);

/* Restore migration entries for @src to @dst (dst == src on failure). */
void remove_migration_ptes(struct folio *src, struct folio *dst);
/* the same, the anon_vma already locked for write by the caller (RMP_LOCKED) */
void remove_migration_ptes_locked(struct folio *src, struct folio *dst);

/* A fault saw a migration entry: wait for the folio lock, then retry. */
void migration_entry_wait(struct mm_struct *mm, uint64_t addr);

/* the folio a migration entry points to (asserts it is locked) */
struct folio *pfn_swap_entry_folio(swp_entry_t entry);

#endif /* MMT_MIGRATE_H */
