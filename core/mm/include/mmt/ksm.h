/* SPDX-License-Identifier: MIT */
/*
 * ksm.h - Kernel Samepage Merging: madvise(MADV_MERGEABLE) registers an mm
 * (an mm_slot) and ksmd scans its mergeable anonymous pages in passes.  A
 * page that stayed the same for a pass (checksum) goes into the unstable
 * tree; an equal page found there is merged with it into one write-protected
 * KSM folio, which gets a stable_node in the stable tree; later equal pages
 * merge onto that.  A KSM folio's folio->mapping is its stable_node with
 * PAGE_MAPPING_KSM, and stable_node->kpfn is its pfn; the rmap_items on the
 * node's hlist are the (mm, address, anon_vma) places it was merged at, which
 * is what rmap_walk_ksm walks.
 *
 * As in mm/ksm.c since the 2013 series of seed 001: KSM folios migrate like
 * any other (ksm_migrate_page moves kpfn under the folio lock; get_ksm_page
 * tells a stale node from a migrating one), and with merge_across_nodes = 0
 * there is a stable and an unstable tree per NUMA node.  A KSM folio that
 * migration moved to another node is "misplaced": ksmd or a stable-tree
 * search moves its node to migrate_nodes, from where it is slotted into the
 * right tree, or its mappings are merged one by one onto the colliding
 * node's page.  Stale migrate_nodes are pruned once per full scan.
 *
 * ksmd scans pages: a page of a PTE-mapped large folio is compared like
 * any other, and its folio is split (split_huge_page, under the folio
 * trylock) only when that page is merged; a KSM folio is always order 0.
 *
 * Locks (see the order atop core/mm/rmap.c): ksm_thread_mutex (LC_KSM_THREAD,
 * outermost: ksmd takes mmap_lock inside it) serialises the trees, the scan
 * cursor and the knobs; ksm_mmlist_lock (LC_KSM_MMLIST) the mm_slot list;
 * a stable node's hlist of rmap_items changes only under its KSM folio's
 * lock, which is what lets rmap_walk_ksm walk it with just that lock.
 */
#ifndef MMT_KSM_H
#define MMT_KSM_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/folio.h"
#include "mmt/kprim.h"
#include "mmt/list.h"

struct mm_struct;
struct vm_area_struct;
struct anon_vma;
struct rmap_walk_control;

#define KSM_RUN_STOP	0
#define KSM_RUN_MERGE	1
#define KSM_RUN_UNMERGE	2

/* An unbalanced binary search tree: the rbtree's shape without its colours. */
struct ksm_tree_node {
	struct ksm_tree_node *left, *right, *parent;
};
struct ksm_tree_root {
	struct ksm_tree_node *node;
};

struct ksm_stable_node {
	struct ksm_tree_node node;	/* in root_stable_tree[nid] while head == NULL */
	/*
	 * &ksm.migrate_nodes while the node sits on that list (the kernel
	 * uses the list's address as the same magic), NULL while in a tree.
	 */
	struct list_head *head;
	struct list_head list;		/* on migrate_nodes */
	struct list_head hlist;		/* rmap_items merged onto it, newest first */
	_Atomic uint32_t kpfn;		/* the KSM folio; read locklessly by get_ksm_page */
	int nid;			/* the tree it is (or was last) in */
	uint32_t id;
};

#define KSM_UNSTABLE_FLAG	0x1
#define KSM_STABLE_FLAG		0x2

struct ksm_rmap_item {
	struct ksm_rmap_item *rmap_list;	/* next of its mm_slot, by address */
	struct anon_vma *anon_vma;	/* when stable: a reference, for rmap_walk_ksm */
	int nid;			/* when unstable: the tree it is in */
	struct mm_struct *mm;
	uint64_t address;		/* page number */
	unsigned flags;			/* KSM_UNSTABLE_FLAG / KSM_STABLE_FLAG */
	uint8_t seqnr;			/* pass that put it in the unstable tree */
	uint32_t oldchecksum;
	struct ksm_tree_node node;	/* unstable tree */
	struct ksm_stable_node *head;	/* when stable */
	struct list_head hlist;		/* on head->hlist */
	/*
	 * Model-only, for the checker: the nodes of the page and of the KSM
	 * page when it was merged, and whether merge_across_nodes was 0 then.
	 */
	int8_t page_nid, kpage_nid;
	bool merged_per_node;
	uint64_t stable_stamp;		/* ksm.stamp when it went stable (10.9) */
	uint32_t id;
};

struct ksm_mm_slot {
	struct list_head mm_list;	/* ksm.mm_head.mm_list */
	struct ksm_rmap_item *rmap_list;
	struct mm_struct *mm;		/* holds an mm_count reference */
	uint32_t id;
};

struct ksm_state {
	struct mutex ksm_thread_mutex;		/* LC_KSM_THREAD */
	spinlock_t ksm_mmlist_lock;		/* LC_KSM_MMLIST */
	struct ksm_mm_slot mm_head;		/* list head; mm NULL */
	struct {
		struct ksm_mm_slot *mm_slot;	/* &mm_head: between passes */
		uint64_t address;
		struct ksm_rmap_item **rmap_list;
		_Atomic uint64_t seqnr;		/* completed full passes */
	} scan;
	struct ksm_tree_root root_stable_tree[MMT_MAX_NODES];
	struct ksm_tree_root root_unstable_tree[MMT_MAX_NODES];
	struct list_head migrate_nodes;
	_Atomic int run;			/* KSM_RUN_*; read locklessly by faults and madvise */
	bool merge_across_nodes;
	long pages_shared, pages_sharing, pages_unshared;
	/*
	 * Model-only, for the checker: a clock that stamps each free of a KSM
	 * folio (folio->ksm_freed_stamp) and each start of migrate_nodes
	 * pruning (pruned_stamp), so that a stale node that sat on
	 * migrate_nodes through a prune can be told from one that went stale
	 * since; and when a folio becomes KSM (folio->ksm_stamp), an
	 * rmap_item goes stable (stable_stamp) and a VMA of an mm becomes
	 * mergeable (mm->ksm_mergeable_stamp), which order the states 10.9
	 * may judge.
	 */
	_Atomic uint64_t stamp;
	uint64_t pruned_stamp;
	/*
	 * Model-only, for the checker: run = 2 finished unmerging, run has
	 * not changed since and no VMA became mergeable since, so no
	 * mergeable VMA of a live registered mm maps a KSM page.  (A VMA that
	 * was not mergeable keeps the KSM pages it maps: a page COW-shared
	 * with a forked child becomes KSM when ksmd merges the child's
	 * mapping, whatever the parent's VMA says, and the unmerge walks
	 * mergeable VMAs only.  Making such a VMA mergeable again is fine.)
	 */
	_Atomic bool unmerged_all;
	/*
	 * Model-only: ksm.stamp when run last became 2 (the unmerge's start),
	 * so that a swap-in which decided not to copy before it and mapped
	 * the KSM page after can be told apart (folio->ksm_unmerge_raced).
	 */
	_Atomic uint64_t unmerge_stamp;
	/*
	 * Statistics (stress and bench report them): rmap_items made stable,
	 * i.e. pages merged, and of those the ones merged onto a page that
	 * stable_tree_search found already in a stable tree.
	 */
	_Atomic unsigned long stat_merged, stat_stable_hits;
};

/* PAGE_MAPPING_KSM folios */
static inline bool folio_test_ksm(const struct folio *f)
{
	return (f->mapping & PAGE_MAPPING_FLAGS) == PAGE_MAPPING_KSM;
}
static inline struct ksm_stable_node *folio_stable_node(const struct folio *f)
{
	if (!folio_test_ksm(f))
		return NULL;
	return (struct ksm_stable_node *)(f->mapping & ~(uintptr_t)PAGE_MAPPING_FLAGS);
}

/* world lifetime (world.c) */
void ksm_init(struct ksm_state *k);
void ksm_reset(struct ksm_state *k);
void ksm_destroy(struct ksm_state *k);

/*
 * madvise(MADV_MERGEABLE / MADV_UNMERGEABLE) on [start, end) of @vma;
 * updates *@vm_flags.  mmap_lock held for write.
 */
int ksm_madvise(struct vm_area_struct *vma, uint64_t start, uint64_t end, int advice,
		unsigned long *vm_flags);
/* Break every KSM page of [start, end) of @vma (mremap's move).  mmap_lock held. */
int unmerge_ksm_pages(struct vm_area_struct *vma, uint64_t start, uint64_t end);
/* fork: the child of a registered mm is registered too.  oldmm's mmap_lock held. */
int ksm_fork(struct mm_struct *mm, struct mm_struct *oldmm);
/* mmput, before exit_mmap: no lock held */
void ksm_exit(struct mm_struct *mm);

/*
 * ksmd's work: one wakeup of ksm_scan_thread scanning @pages pages, under
 * ksm_thread_mutex, if run is KSM_RUN_MERGE.  Returns pages scanned.
 */
unsigned long ksmd_run(unsigned long pages);
/* /sys/kernel/mm/ksm/run: 0 stop, 1 merge, 2 unmerge everything.  0 or -errno. */
int ksm_set_run(int run);
/* /sys/kernel/mm/ksm/merge_across_nodes: -EBUSY while anything is shared */
int ksm_set_merge_across_nodes(int knob);
/*
 * ksmd after every process has gone: full passes until its mm list is
 * empty, so that every rmap_item and mm_slot is freed (the executor's
 * teardown, before the LEAK check).
 */
void ksmd_reap(void);

/* rmap_walk for a KSM folio (folio locked). */
void rmap_walk_ksm(struct folio *folio, struct rmap_walk_control *rwc);
/* migration: @newfolio took @folio's place; both locked */
void ksm_migrate_page(struct folio *newfolio, struct folio *folio);
/*
 * Swap-in of @folio (locked, in the swap cache) at @addr of @vma: the
 * folio itself, or a new locked copy when it cannot be mapped there (a KSM
 * page during unmerge or without a stable node, or an anon page that came
 * back in another anon_vma), or NULL when that copy cannot be allocated.
 */
struct folio *ksm_might_need_to_copy(struct folio *folio, struct vm_area_struct *vma,
				     uint64_t addr);
/* free_frame of a KSM folio, refcount already 0: stamp it (model-only) */
void ksm_note_folio_freed(struct folio *folio);
/*
 * do_swap_page maps @folio, a KSM page ksm_might_need_to_copy let through,
 * under the ptl: note whether run = 2 began in between (model-only, 10.8).
 */
void ksm_note_swapin_mapped(struct folio *folio);

#endif /* MMT_KSM_H */
