/* SPDX-License-Identifier: MIT */
/*
 * inject.h - the bug zoo's run-time switches.
 *
 * Each switch puts one historical kernel bug back into the model, at the
 * place where the kernel had it.  A switch is off unless --inject NAME or
 * MMT_INJECT=NAME[,NAME...] turns it on.
 */
#ifndef MMT_INJECT_H
#define MMT_INJECT_H

#include <stdbool.h>
#include <stdint.h>

enum mmt_bug {
	BUG_ANON_VMA_HEAD_INSERT,
	BUG_FORK_MIGRATION_WRITE_FLAG,
	BUG_MPROTECT_KEEPS_WRITE_MIGRATION,
	BUG_SWAPON_TYPE_OVERLAP,
	/* migrate_vma and device-private memory (seed 002, issue 15) */
	BUG_MIGRATE_VMA_SKIP_AS_HOLE,
	BUG_MIGRATE_VMA_POPULATE_FILE,
	BUG_MIGRATE_DEVICE_COPY_PTE_DIRTY,
	/* KSM (seed 001) */
	BUG_KSM_MIGRATE_STALE_KPFN,
	BUG_KSM_MERGE_MISPLACED,
	BUG_KSM_MIGRATE_NODES_UNPRUNED,
	/* races no template pairs (issue 12 item 5) */
	BUG_REMOVE_MIGRATION_PTE_NO_RECHECK,
	BUG_SWAP_FAULT_NO_PTE_RECHECK,
	/* KSM: "ksm: remove old stable nodes more thoroughly" (seed 001) */
	BUG_KSM_REMOVE_ALL_STABLE_NODES,
	BUG_KSM_UNMERGE_SWAPIN_COPY,
	BUG_KSM_ENTER_UNMERGE_TAIL,
	/* UFFDIO_MOVE and the anon_vma lifecycle (seeds 003, 004; issue 16) */
	BUG_ANON_VMA_READ_NO_RECHECK,
	BUG_UFFD_MOVE_SWAPCACHE_INDEX,
	/* GUP pins and large folios (seed 003, issue 13) */
	BUG_FORK_PINNED_EARLY_COW,
	BUG_LARGE_FOLIO_PARTIAL_UNMAP,
	/* the anon_vma lifecycle (issue 16 item 3) */
	BUG_ANON_VMA_DEGREE_REUSE,
	/* split_folio: the rmap walk of unmap_folio (a8fa41ad2f6f) */
	BUG_THP_RMAP_FIRST_SUBPAGE,
	/* object rmap of nonlinear file pages (seed 004, issue 16 item 4) */
	BUG_OBJRMAP_NONLINEAR,
	/* mremap's need_rmap_locks and the rmap walk order (issue 16 item 3) */
	BUG_MREMAP_MERGE_RMAP_ORDER,
	/* split_folio: unmap_folio's walk without TTU_SYNC (732ed55823fc, issue 13 item 6) */
	BUG_THP_SPLIT_NO_TTU_SYNC,
	/* get_ksm_page: a frozen swap-cache KSM page taken for a freed one (seed 001) */
	BUG_KSM_FROZEN_SWAPCACHE_STALE,
	/* migration of a large folio on the deferred split queue (7262f208ca68, issue 13) */
	BUG_MIGRATE_PARTIAL_NO_SPLIT,
	/* khugepaged: is_refcount_suitable dropped, a pinned page collapsed (issue 13 item 3) */
	BUG_KHUGEPAGED_COLLAPSE_PINNED,
	/* khugepaged: no hugepage_vma_revalidate under the write lock (issue 13 item 3) */
	BUG_KHUGEPAGED_NO_REVALIDATE,
	/* copy_huge_pmd shares a pinned THP with the child (d042035eaf5f, issue 13) */
	BUG_THP_FORK_PINNED_PMD,
	/* a PMD migration entry split with pmd_write() of the swap pmd (2e83ee1d8694, issue 13) */
	BUG_THP_SPLIT_PMD_MIGRATION_FLAGS,
	/* UFFDIO_MOVE takes the huge zero pmd for an anon THP's (5d4747a6cc8e, issue 13) */
	BUG_UFFD_MOVE_HUGE_ZERO,
	/* UFFDIO_MOVE reads a folio from a PMD migration entry (7f1101a0a181, issue 13) */
	BUG_UFFD_MOVE_PMD_MIGRATION,
	NR_MMT_BUGS
};

struct mmt_bug_info {
	const char *name;	/* --inject NAME */
	const char *seed;	/* ../shared/seeds file it comes from, or the fixing commit */
	const char *caught_by;	/* the invariants expected to fire */
	const char *what;	/* one line */
};

extern const struct mmt_bug_info mmt_bugs[NR_MMT_BUGS];

/* the switches in force (a bit per enum mmt_bug) */
extern _Atomic uint64_t mmt_injected_mask;

static inline bool mmt_injected(enum mmt_bug b)
{
	return (mmt_injected_mask >> b) & 1;
}

/* NAME -> enum, or -1 */
int mmt_bug_lookup(const char *name);
/* parse "a,b,c"; returns 0, or -1 with the bad name copied to @bad */
int mmt_inject_parse(const char *list, uint64_t *mask, char *bad, unsigned badlen);
/* apply $MMT_INJECT on top of the current mask; -1 on a bad name */
int mmt_inject_from_env(void);

#endif /* MMT_INJECT_H */
