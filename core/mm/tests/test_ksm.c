// SPDX-License-Identifier: MIT
/*
 * test_ksm.c - KSM as seed 001 left it: merging through the unstable and
 * stable trees, copy on write of KSM pages, migration of KSM pages in both
 * merge_across_nodes modes (kpfn follows, misplaced nodes go to
 * migrate_nodes and come back), the knobs, unmerging, swap, exit; and
 * PTE-mapped large folios (issue 13), which ksmd scans page by page and
 * splits only to merge a page of one.
 */
#include <check.h>
#include <errno.h>

#include "mmt/check.h"
#include "mmt/gup.h"
#include "mmt/inject.h"
#include "mmt/ksm.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/pte.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/world.h"

#include "mmt_test.h"

static struct mm_struct *proc_with(uint64_t addr, uint64_t n)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_ptr_nonnull(mm);
	ck_assert_int_eq(do_mmap(mm, addr, n, RW, PRIV_ANON), 0);
	return mm;
}

static struct folio *at(struct mm_struct *mm, uint64_t addr)
{
	pte_t *p = mmt_pte_peek(mm, addr);

	ck_assert_ptr_nonnull(p);
	ck_assert(pte_present(*p));
	return pfn_folio(pte_pfn(*p));
}

static bool writable(struct mm_struct *mm, uint64_t addr)
{
	pte_t *p = mmt_pte_peek(mm, addr);

	return p && pte_present(*p) && pte_write(*p);
}

/* two full ksmd passes: checksums, then the unstable tree */
static void two_passes(void)
{
	ksmd_run(1000);
	ksmd_run(1000);
}

/* p0 and p1 each hold 0x7 at 0x10, merged into one KSM page */
static void merged_pair(struct mm_struct **a, struct mm_struct **b)
{
	*a = proc_with(0x10, 4);
	*b = proc_with(0x10, 4);
	wr(*a, 0x10, 7);
	wr(*b, 0x10, 7);
	ck_assert_int_eq(do_madvise(*a, 0x10, 4, MADV_MERGEABLE), 0);
	ck_assert_int_eq(do_madvise(*b, 0x10, 4, MADV_MERGEABLE), 0);
	two_passes();
	ck_assert_ptr_eq(at(*a, 0x10), at(*b, 0x10));
	ck_assert(folio_test_ksm(at(*a, 0x10)));
}

START_TEST(test_merge_and_cow)
{
	struct mm_struct *a, *b;
	struct folio *k;

	merged_pair(&a, &b);
	k = at(a, 0x10);
	ck_assert_ptr_nonnull(folio_stable_node(k));
	ck_assert_uint_eq(atomic_load(&folio_stable_node(k)->kpfn), k->pfn);
	ck_assert_int_eq(folio_mapcount(k), 2);
	ck_assert(!writable(a, 0x10) && !writable(b, 0x10));
	ck_assert_int_eq(w->ksm.pages_shared, 1);
	ck_assert_int_eq(w->ksm.pages_sharing, 1);
	assert_clean();
	/* a write after the merge is private */
	wr(a, 0x10, 8);
	ck_assert_ptr_ne(at(a, 0x10), k);
	ck_assert_uint_eq(rd(b, 0x10), 7);
	ck_assert_uint_eq(rd(a, 0x10), 8);
	assert_clean();
	mmput(a);
	mmput(b);
	ksmd_reap();
	assert_empty();
}
END_TEST

/*
 * folio_referenced on a KSM folio walks with try_lock, as on any other: an
 * anon_vma of a process that maps it, held for write by someone else, ends
 * the walk contended (-1, reclaim keeps the folio) instead of waiting.
 */
START_TEST(test_referenced_walk_gives_up_on_busy_anon_vma)
{
	struct mm_struct *a, *b;
	struct anon_vma *av;
	unsigned long flags;
	struct folio *k;

	merged_pair(&a, &b);
	k = at(a, 0x10);
	av = vma_lookup(b, 0x10)->anon_vma;
	ck_assert_ptr_nonnull(av);
	anon_vma_lock_write(av);
	ck_assert_int_eq(folio_referenced(k, false, &flags), -1);
	anon_vma_unlock_write(av);
	ck_assert_int_ge(folio_referenced(k, false, &flags), 0);
	ck_assert(!folio_test_locked(k));
	assert_clean();
	mmput(a);
	mmput(b);
	ksmd_reap();
	assert_empty();
}
END_TEST

START_TEST(test_changing_page_not_merged)
{
	struct mm_struct *a = proc_with(0x10, 2), *b = proc_with(0x10, 2);

	wr(a, 0x10, 7);
	wr(b, 0x10, 7);
	do_madvise(a, 0x10, 2, MADV_MERGEABLE);
	do_madvise(b, 0x10, 2, MADV_MERGEABLE);
	ksmd_run(1000);
	wr(a, 0x10, 3);		/* the checksum moved: not in the tree this pass */
	wr(b, 0x10, 3);
	ksmd_run(1000);
	ck_assert_ptr_ne(at(a, 0x10), at(b, 0x10));
	ksmd_run(1000);
	ck_assert_ptr_eq(at(a, 0x10), at(b, 0x10));
	assert_clean();
}
END_TEST

START_TEST(test_fork_shares_ksm_page)
{
	struct mm_struct *a, *b, *c = NULL;
	struct folio *k;

	merged_pair(&a, &b);
	k = at(a, 0x10);
	ck_assert_int_eq(dup_mm(a, &c), 0);
	ck_assert_ptr_eq(at(c, 0x10), k);
	ck_assert_ptr_nonnull(c->ksm_slot);	/* ksm_fork registered the child */
	assert_clean();
	/* the child's mapping is found by rmap_walk_ksm's search_new_forks */
	ck_assert_int_eq(do_move_pages(a, 0x10, 1, 1, true, NULL), 0);
	k = at(a, 0x10);
	ck_assert_int_eq(k->nid, 1);
	ck_assert_ptr_eq(at(c, 0x10), k);
	ck_assert_ptr_eq(at(b, 0x10), k);
	assert_clean();
}
END_TEST

START_TEST(test_migrate_moves_kpfn)
{
	struct mm_struct *a, *b;
	struct folio *old, *new;
	int status = -1;

	merged_pair(&a, &b);
	old = at(a, 0x10);
	ck_assert_int_eq(do_move_pages(a, 0x10, 1, 1, true, &status), 0);
	ck_assert_int_eq(status, 1);
	new = at(a, 0x10);
	ck_assert_ptr_ne(new, old);
	ck_assert_ptr_eq(at(b, 0x10), new);
	ck_assert(folio_test_ksm(new));
	ck_assert_uint_eq(atomic_load(&folio_stable_node(new)->kpfn), new->pfn);
	assert_clean();
	/* and ksmd still merges onto it */
	wr(a, 0x11, 7);
	two_passes();
	ck_assert_ptr_eq(at(a, 0x11), new);
	assert_clean();
}
END_TEST

START_TEST(test_migrate_without_all_refused)
{
	struct mm_struct *a, *b;
	int status = 0;

	merged_pair(&a, &b);
	ck_assert_int_eq(do_move_pages(a, 0x10, 1, 1, false, &status), 0);
	ck_assert_int_eq(status, -EACCES);	/* mapped twice: MPOL_MF_MOVE_ALL only */
}
END_TEST

START_TEST(test_per_node_trees)
{
	struct mm_struct *a = proc_with(0x10, 4);
	struct ksm_stable_node *n0, *n1;

	ck_assert_int_eq(ksm_set_merge_across_nodes(0), 0);
	for (uint64_t x = 0x10; x < 0x14; x++)
		wr(a, x, 7);
	ck_assert_int_eq(do_move_pages(a, 0x12, 2, 1, false, NULL), 0);
	do_madvise(a, 0x10, 4, MADV_MERGEABLE);
	two_passes();
	/* equal pages, but two KSM pages: one per node, each in its node's tree */
	ck_assert_ptr_eq(at(a, 0x10), at(a, 0x11));
	ck_assert_ptr_eq(at(a, 0x12), at(a, 0x13));
	ck_assert_ptr_ne(at(a, 0x10), at(a, 0x12));
	n0 = folio_stable_node(at(a, 0x10));
	n1 = folio_stable_node(at(a, 0x12));
	ck_assert_int_eq(n0->nid, 0);
	ck_assert_int_eq(n1->nid, 1);
	ck_assert_ptr_eq(w->ksm.root_stable_tree[0].node, &n0->node);
	ck_assert_ptr_eq(w->ksm.root_stable_tree[1].node, &n1->node);
	assert_clean();
	/* the knob stays while anything is shared */
	ck_assert_int_eq(ksm_set_merge_across_nodes(1), -EBUSY);
	ck_assert_int_eq(ksm_set_run(KSM_RUN_UNMERGE), 0);
	ck_assert(!folio_test_ksm(at(a, 0x10)) && !folio_test_ksm(at(a, 0x12)));
	ck_assert_int_eq(ksm_set_merge_across_nodes(1), 0);
	ck_assert_ptr_null(w->ksm.root_stable_tree[0].node);
	ck_assert_ptr_null(w->ksm.root_stable_tree[1].node);
	assert_clean();
	ck_assert_int_eq(ksm_set_run(KSM_RUN_MERGE), 0);
	two_passes();
	ck_assert_ptr_eq(at(a, 0x10), at(a, 0x13));	/* one tree now */
	assert_clean();
}
END_TEST

START_TEST(test_misplaced_node_moves_to_its_tree)
{
	struct mm_struct *a = proc_with(0x10, 4);
	struct ksm_stable_node *node;
	struct folio *k;

	ck_assert_int_eq(ksm_set_merge_across_nodes(0), 0);
	wr(a, 0x10, 7);
	wr(a, 0x11, 7);
	do_madvise(a, 0x10, 4, MADV_MERGEABLE);
	two_passes();
	k = at(a, 0x10);
	node = folio_stable_node(k);
	ck_assert_int_eq(node->nid, 0);
	ck_assert_int_eq(do_move_pages(a, 0x10, 1, 1, true, NULL), 0);
	/* misplaced: still in tree 0, its page on node 1; legal until ksmd comes */
	ck_assert_int_eq(node->nid, 0);
	ck_assert_int_eq(at(a, 0x10)->nid, 1);
	assert_clean();
	ksmd_run(1);	/* its first rmap_item: off to migrate_nodes, then into tree 1 */
	ck_assert_int_eq(node->nid, 1);
	ck_assert_ptr_null(node->head);
	ck_assert_ptr_eq(w->ksm.root_stable_tree[1].node, &node->node);
	ck_assert_ptr_null(w->ksm.root_stable_tree[0].node);
	assert_clean();
}
END_TEST

START_TEST(test_misplaced_merges_onto_colliding_node)
{
	struct mm_struct *a = proc_with(0x10, 4);
	struct folio *ka, *kb;

	ck_assert_int_eq(ksm_set_merge_across_nodes(0), 0);
	for (uint64_t x = 0x10; x < 0x14; x++)
		wr(a, x, 7);
	ck_assert_int_eq(do_move_pages(a, 0x12, 2, 1, false, NULL), 0);
	do_madvise(a, 0x10, 4, MADV_MERGEABLE);
	two_passes();
	ka = at(a, 0x10);
	kb = at(a, 0x12);
	ck_assert_int_eq(do_move_pages(a, 0x10, 1, 1, true, NULL), 0);
	ksmd_run(1000);
	/* A's mappings went one by one onto B's page, the colliding node */
	ck_assert_ptr_eq(at(a, 0x10), kb);
	ck_assert_ptr_eq(at(a, 0x11), kb);
	ck_assert_int_eq(w->ksm.pages_shared, 1);
	ck_assert_int_eq(w->ksm.pages_sharing, 3);
	assert_clean();
	/* A's node is stale on migrate_nodes: the next full scan prunes it */
	ck_assert(!list_empty(&w->ksm.migrate_nodes));
	ksmd_run(1000);
	ck_assert(list_empty(&w->ksm.migrate_nodes));
	(void)ka;
	assert_clean();
}
END_TEST

START_TEST(test_unmergeable_unshares)
{
	struct mm_struct *a, *b;
	struct folio *k;

	merged_pair(&a, &b);
	k = at(a, 0x10);
	ck_assert_int_eq(do_madvise(a, 0x10, 4, MADV_UNMERGEABLE), 0);
	ck_assert_ptr_ne(at(a, 0x10), k);
	ck_assert(!folio_test_ksm(at(a, 0x10)));
	ck_assert(!writable(a, 0x10));		/* unshared, not written */
	ck_assert_uint_eq(rd(a, 0x10), 7);
	assert_clean();
	ksmd_run(1000);		/* the node loses a's rmap_item */
	assert_clean();
}
END_TEST

START_TEST(test_mremap_unmerges)
{
	struct mm_struct *a, *b;

	merged_pair(&a, &b);
	ck_assert_int_eq(do_mremap(a, 0x10, 4, 0x20, 4), 0);
	ck_assert(!folio_test_ksm(at(a, 0x20)));
	ck_assert_uint_eq(rd(a, 0x20), 7);
	assert_clean();
	two_passes();
	assert_clean();
}
END_TEST

START_TEST(test_swap_out_and_in)
{
	struct mm_struct *a, *b;
	struct folio *k;

	ck_assert_int_eq(sys_swapon(1, 32), 0);
	merged_pair(&a, &b);
	k = at(a, 0x10);
	/*
	 * Reclaim unmaps it through rmap_walk_ksm and swaps it, but
	 * __remove_mapping frees it only if the cache and the isolation are
	 * its only references: with one more it stays in the swap cache.
	 */
	folio_get(k);
	reclaim_pages_global(64);
	ck_assert(!folio_mapped(k));
	ck_assert(folio_test_swapcache(k) && folio_test_ksm(k));
	ck_assert_int_eq(folio_ref_count(k), 2);	/* the cache's and ours */
	folio_put(k);
	/* then frozen at 0 under the cache's lock, and freed */
	reclaim_pages_global(64);
	ck_assert_int_eq(folio_ref_count(k), 0);
	ck_assert(!folio_test_swapcache(k) && !folio_test_ksm(k));
	ck_assert(!pte_present(*mmt_pte_peek(a, 0x10)));
	ck_assert(!pte_present(*mmt_pte_peek(b, 0x10)));
	assert_clean();
	/* the page came back as a plain anon page in a's anon_vma; b's copy */
	ck_assert_uint_eq(rd(a, 0x10), 7);
	ck_assert_uint_eq(rd(b, 0x10), 7);
	ck_assert_ptr_ne(at(a, 0x10), at(b, 0x10));
	assert_clean();
}
END_TEST

START_TEST(test_swapcache_ksm_page_back)
{
	struct mm_struct *a, *b;
	struct folio *k;

	ck_assert_int_eq(sys_swapon(1, 32), 0);
	merged_pair(&a, &b);
	k = at(a, 0x10);
	/* in the swap cache, unmapped, still KSM: swap-in maps it back shared */
	folio_lock(k);
	ck_assert_int_eq(add_to_swap(k), 0);
	try_to_unmap(k, 0);
	folio_unlock(k);
	ck_assert(!folio_mapped(k));
	assert_clean();
	ck_assert_uint_eq(rd(a, 0x10), 7);
	ck_assert_ptr_eq(at(a, 0x10), k);
	ck_assert(folio_test_ksm(k));
	/* while run 2 unmerges, a fault copies instead */
	ck_assert_int_eq(ksm_set_run(KSM_RUN_UNMERGE), 0);
	ck_assert_uint_eq(rd(b, 0x10), 7);
	ck_assert_ptr_ne(at(b, 0x10), k);
	assert_clean();
}
END_TEST

START_TEST(test_exit_reaped)
{
	struct mm_struct *a, *b;

	merged_pair(&a, &b);
	mmput(a);
	assert_clean();		/* a's mm lives on in its mm_slot until ksmd comes */
	ksmd_run(1000);
	ksmd_run(1000);
	assert_clean();
	mmput(b);
	ksmd_reap();
	ck_assert_uint_eq(w->rmap_item_pool.nr_used, 0);
	ck_assert_uint_eq(w->mm_slot_pool.nr_used, 0);
	ck_assert_uint_eq(w->mm_pool.nr_used, 0);
	assert_empty();
}
END_TEST

START_TEST(test_stopped_ksmd_does_nothing)
{
	struct mm_struct *a = proc_with(0x10, 2), *b = proc_with(0x10, 2);

	ck_assert_int_eq(ksm_set_run(KSM_RUN_STOP), 0);
	wr(a, 0x10, 7);
	wr(b, 0x10, 7);
	do_madvise(a, 0x10, 2, MADV_MERGEABLE);
	do_madvise(b, 0x10, 2, MADV_MERGEABLE);
	ck_assert_uint_eq(ksmd_run(1000), 0);
	ck_assert_int_eq(ksm_set_run(3), -EINVAL);
	ck_assert_int_eq(ksm_set_merge_across_nodes(2), -EINVAL);
}
END_TEST

/*
 * seed 001, cause 1: p0's equal pages on node 1 merge in stable tree 1, p0
 * forks (the child maps the KSM page, with no rmap_item), run = 2: the
 * page is freed only when the child is unmerged, after p0's items went, so
 * no get_ksm_page notices its node going stale.  remove_all_stable_nodes
 * must take it, or it stays in tree 1 after merge_across_nodes goes to 1.
 */
static void stale_node_after_unmerge(bool bug)
{
	struct mm_struct *a = proc_with(0x10, 2), *c = NULL;

	ck_assert_int_eq(ksm_set_merge_across_nodes(0), 0);
	wr(a, 0x10, 7);
	wr(a, 0x11, 7);
	ck_assert_int_eq(do_move_pages(a, 0x10, 2, 1, false, NULL), 0);
	ck_assert_int_eq(do_madvise(a, 0x10, 2, MADV_MERGEABLE), 0);
	two_passes();
	ck_assert(folio_test_ksm(at(a, 0x10)));
	ck_assert_ptr_nonnull(w->ksm.root_stable_tree[1].node);
	ck_assert_int_eq(dup_mm(a, &c), 0);
	if (bug)
		mmt_injected_mask |= 1ull << BUG_KSM_REMOVE_ALL_STABLE_NODES;
	ck_assert_int_eq(ksm_set_run(KSM_RUN_UNMERGE), 0);
	ck_assert(!folio_test_ksm(at(a, 0x10)) && !folio_test_ksm(at(c, 0x10)));
	ck_assert_int_eq(ksm_set_merge_across_nodes(1), 0);
	mmt_injected_mask = 0;
	ck_assert_uint_eq(w->stable_node_pool.nr_used, bug ? 1 : 0);
	ck_assert(!w->ksm.root_stable_tree[1].node == !bug);
}

START_TEST(test_unmerge_removes_stale_nodes)
{
	stale_node_after_unmerge(false);
	assert_clean();
}
END_TEST

START_TEST(test_unmerge_stale_nodes_bug)
{
	stale_node_after_unmerge(true);
	ck_assert_int_gt(check_world(), 0);	/* 10.3: tree 1 with merge_across_nodes 1 */
	mmt_report_reset();
}
END_TEST

/*
 * seed 001, cause 3: a KSM page in the swap cache, its ptes swap entries,
 * faulted in while run = 2 unmerges (here the run is set by hand, standing
 * for an unmerge that already walked past these swap ptes): the fault must
 * copy it, or the mm maps a KSM page the unmerge will not come back for.
 */
static struct folio *swapin_during_unmerge(bool bug, struct mm_struct **ap)
{
	struct mm_struct *a, *b;
	struct folio *k;

	ck_assert_int_eq(sys_swapon(1, 32), 0);
	merged_pair(&a, &b);
	k = at(a, 0x10);
	folio_lock(k);
	ck_assert_int_eq(add_to_swap(k), 0);
	try_to_unmap(k, 0);
	folio_unlock(k);
	ck_assert(!folio_mapped(k) && folio_test_ksm(k));
	atomic_store(&w->ksm.run, KSM_RUN_UNMERGE);
	if (bug)
		mmt_injected_mask |= 1ull << BUG_KSM_UNMERGE_SWAPIN_COPY;
	ck_assert_uint_eq(rd(a, 0x10), 7);
	mmt_injected_mask = 0;
	atomic_store(&w->ksm.run, KSM_RUN_MERGE);
	*ap = a;
	return k;
}

START_TEST(test_unmerge_swapin_copies)
{
	struct mm_struct *a;
	struct folio *k = swapin_during_unmerge(false, &a);

	ck_assert_ptr_ne(at(a, 0x10), k);
	ck_assert(!folio_test_ksm(at(a, 0x10)));
	assert_clean();
}
END_TEST

START_TEST(test_unmerge_swapin_copy_bug)
{
	struct mm_struct *a;
	struct folio *k = swapin_during_unmerge(true, &a);

	ck_assert_ptr_eq(at(a, 0x10), k);
	assert_clean();		/* legal while run is 1 again */
}
END_TEST

/*
 * seed 001, cause 2: while run = 2 unmerges, with its cursor at a's slot,
 * a child of a registers at the end of the list, where the cursor will get
 * to it; the bug puts it just behind the cursor, which has passed there.
 */
static void fork_during_unmerge(bool bug)
{
	struct mm_struct *a, *b, *c = NULL;
	struct list_head *head = &w->ksm.mm_head.mm_list;

	merged_pair(&a, &b);
	atomic_store(&w->ksm.run, KSM_RUN_UNMERGE);
	w->ksm.scan.mm_slot = a->ksm_slot;	/* the unmerge is at a */
	if (bug)
		mmt_injected_mask |= 1ull << BUG_KSM_ENTER_UNMERGE_TAIL;
	ck_assert_int_eq(dup_mm(a, &c), 0);
	mmt_injected_mask = 0;
	ck_assert_ptr_nonnull(c->ksm_slot);
	if (bug)
		ck_assert_ptr_eq(c->ksm_slot->mm_list.next, &a->ksm_slot->mm_list);
	else
		ck_assert_ptr_eq(head->prev, &c->ksm_slot->mm_list);
	w->ksm.scan.mm_slot = &w->ksm.mm_head;
	atomic_store(&w->ksm.run, KSM_RUN_MERGE);
	assert_clean();
}

START_TEST(test_fork_during_unmerge_goes_last)
{
	fork_during_unmerge(false);
}
END_TEST

START_TEST(test_fork_during_unmerge_bug)
{
	fork_during_unmerge(true);
}
END_TEST

/* ---------------------------------------------------- large folios */

/* the folio (not the frame: a tail page's frame is no folio) mapped at @addr */
static struct folio *fol(struct mm_struct *mm, uint64_t addr)
{
	return page_folio(page_at(mm, addr));
}

/* a process with one order-2 mTHP at 0x10..0x13 holding @v[0..3], mergeable */
static struct mm_struct *mthp_proc(const uint64_t v[4])
{
	struct mm_struct *mm = proc_with(0x10, 4);

	ck_assert_int_eq(do_madvise(mm, 0x10, 4, MADV_HUGEPAGE), 0);
	for (uint64_t i = 0; i < 4; i++)
		wr(mm, 0x10 + i, v[i]);
	ck_assert_int_eq(fol(mm, 0x10)->order, 2);
	ck_assert_ptr_eq(fol(mm, 0x13), fol(mm, 0x10));
	ck_assert_int_eq(do_madvise(mm, 0x10, 4, MADV_MERGEABLE), 0);
	return mm;
}

/*
 * Two processes hold equal data in an mTHP each: the second pass merges
 * them page by page, each large folio split by try_to_merge_one_page (the
 * first page merged of each), and every KSM folio is order 0.  A write
 * after the merge stays private.
 */
START_TEST(test_large_folios_merge_page_by_page)
{
	static const uint64_t v[4] = { 11, 12, 13, 14 };
	struct mm_struct *a, *b;

	thp_world(0x04);
	a = mthp_proc(v);
	b = mthp_proc(v);
	ksmd_run(1000);
	/* the first pass only takes checksums: nothing split yet */
	ck_assert_int_eq(fol(a, 0x10)->order, 2);
	ck_assert_int_eq(fol(b, 0x10)->order, 2);
	assert_clean();
	ksmd_run(1000);
	for (uint64_t i = 0; i < 4; i++) {
		struct folio *k = fol(a, 0x10 + i);

		ck_assert_ptr_eq(fol(b, 0x10 + i), k);
		ck_assert(folio_test_ksm(k));
		ck_assert_int_eq(k->order, 0);
		ck_assert_int_eq(folio_mapcount(k), 2);
		ck_assert(!writable(a, 0x10 + i) && !writable(b, 0x10 + i));
		ck_assert_uint_eq(rd(a, 0x10 + i), v[i]);
		ck_assert_uint_eq(rd(b, 0x10 + i), v[i]);
	}
	ck_assert_int_eq(w->ksm.pages_shared, 4);
	ck_assert_int_eq(w->ksm.pages_sharing, 4);
	assert_clean();
	/* a write after the merge is private */
	wr(a, 0x11, 99);
	ck_assert(!folio_test_ksm(fol(a, 0x11)));
	ck_assert_uint_eq(rd(a, 0x11), 99);
	ck_assert_uint_eq(rd(b, 0x11), 12);
	ck_assert_uint_eq(rd(a, 0x12), 13);
	assert_clean();
	mmput(a);
	mmput(b);
	ksmd_reap();
	assert_empty();
}
END_TEST

/*
 * A page equal to a page of a large folio that is already KSM merges
 * through the stable tree: its folio is split under the folio trylock and
 * the one page replaced; its other pages stay where they were.
 */
START_TEST(test_large_folio_page_onto_stable_node)
{
	static const uint64_t v[4] = { 21, 22, 23, 24 };
	static const uint64_t u[4] = { 31, 22, 33, 34 };
	struct mm_struct *a, *b, *c;
	struct folio *k;

	thp_world(0x04);
	a = mthp_proc(v);
	b = mthp_proc(v);
	two_passes();
	k = fol(a, 0x11);
	ck_assert(folio_test_ksm(k));
	c = mthp_proc(u);
	two_passes();
	ck_assert_ptr_eq(fol(c, 0x11), k);
	ck_assert_int_eq(folio_mapcount(k), 3);
	for (uint64_t i = 0; i < 4; i++) {
		ck_assert_int_eq(fol(c, 0x10 + i)->order, 0);
		ck_assert_uint_eq(rd(c, 0x10 + i), u[i]);
	}
	ck_assert(!folio_test_ksm(fol(c, 0x10)));
	assert_clean();
	mmput(c);
	mmput(b);
	mmput(a);
	ksmd_reap();
	assert_empty();
}
END_TEST

/*
 * Two equal pages of one large folio: each holds a reference on the folio
 * (the scan's and the unstable tree's), so the split in try_to_merge_one_page
 * fails and the merge with it; cmp_and_merge_page then splits the folio
 * with the tree page's reference dropped (77da2ba0648a), and the next pass
 * merges the two.
 */
START_TEST(test_large_folio_equal_pages_within)
{
	static const uint64_t v[4] = { 5, 5, 6, 7 };
	struct mm_struct *a;
	struct folio *k;

	thp_world(0x04);
	a = mthp_proc(v);
	two_passes();
	/* split, not merged */
	ck_assert_int_eq(fol(a, 0x10)->order, 0);
	ck_assert_int_eq(fol(a, 0x13)->order, 0);
	ck_assert(!folio_test_ksm(fol(a, 0x10)) && !folio_test_ksm(fol(a, 0x11)));
	assert_clean();
	ksmd_run(1000);
	k = fol(a, 0x10);
	ck_assert(folio_test_ksm(k));
	ck_assert_ptr_eq(fol(a, 0x11), k);
	ck_assert_int_eq(folio_mapcount(k), 2);
	ck_assert_uint_eq(rd(a, 0x10), 5);
	ck_assert_uint_eq(rd(a, 0x11), 5);
	assert_clean();
	wr(a, 0x10, 8);
	ck_assert_uint_eq(rd(a, 0x10), 8);
	ck_assert_uint_eq(rd(a, 0x11), 5);
	assert_clean();
	mmput(a);
	ksmd_reap();
	assert_empty();
}
END_TEST

/*
 * A pinned large folio cannot be split (can_split_folio counts the pin), so
 * none of its pages merges; the other process's page that was made KSM for
 * the pair is broken again (break_cow).  Unpinned, the next passes merge.
 */
START_TEST(test_pinned_large_folio_not_merged)
{
	static const uint64_t v[4] = { 41, 42, 43, 44 };
	struct mm_struct *a, *b;
	struct folio *f;

	thp_world(0x04);
	a = mthp_proc(v);
	b = mthp_proc(v);
	f = fol(a, 0x10);
	ck_assert_int_eq(pin_user_pages_range(a, 0x12, 1), 0);
	two_passes();
	ksmd_run(1000);
	ck_assert_ptr_eq(fol(a, 0x10), f);
	ck_assert_ptr_eq(fol(a, 0x13), f);
	ck_assert_int_eq(f->order, 2);
	ck_assert_int_eq(atomic_load(&f->_pincount), 1);
	for (uint64_t i = 0; i < 4; i++) {
		ck_assert(!folio_test_ksm(fol(b, 0x10 + i)));
		ck_assert_uint_eq(rd(a, 0x10 + i), v[i]);
		ck_assert_uint_eq(rd(b, 0x10 + i), v[i]);
	}
	ck_assert_int_eq(w->ksm.pages_shared, 0);
	assert_clean();
	ck_assert_int_eq(unpin_user_pages_range(a, 0x12, 1), 0);
	two_passes();
	for (uint64_t i = 0; i < 4; i++) {
		ck_assert(folio_test_ksm(fol(a, 0x10 + i)));
		ck_assert_ptr_eq(fol(b, 0x10 + i), fol(a, 0x10 + i));
	}
	assert_clean();
	mmput(a);
	mmput(b);
	ksmd_reap();
	assert_empty();
}
END_TEST

static Suite *ksm_suite(void)
{
	Suite *s = suite_create("ksm");
	TCase *tc = tcase_create("ksm");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_merge_and_cow);
	tcase_add_test(tc, test_changing_page_not_merged);
	tcase_add_test(tc, test_referenced_walk_gives_up_on_busy_anon_vma);
	tcase_add_test(tc, test_fork_shares_ksm_page);
	tcase_add_test(tc, test_migrate_moves_kpfn);
	tcase_add_test(tc, test_migrate_without_all_refused);
	tcase_add_test(tc, test_per_node_trees);
	tcase_add_test(tc, test_misplaced_node_moves_to_its_tree);
	tcase_add_test(tc, test_misplaced_merges_onto_colliding_node);
	tcase_add_test(tc, test_unmergeable_unshares);
	tcase_add_test(tc, test_mremap_unmerges);
	tcase_add_test(tc, test_swap_out_and_in);
	tcase_add_test(tc, test_swapcache_ksm_page_back);
	tcase_add_test(tc, test_exit_reaped);
	tcase_add_test(tc, test_stopped_ksmd_does_nothing);
	tcase_add_test(tc, test_unmerge_removes_stale_nodes);
	tcase_add_test(tc, test_unmerge_stale_nodes_bug);
	tcase_add_test(tc, test_unmerge_swapin_copies);
	tcase_add_test(tc, test_unmerge_swapin_copy_bug);
	tcase_add_test(tc, test_fork_during_unmerge_goes_last);
	tcase_add_test(tc, test_fork_during_unmerge_bug);
	tcase_add_test(tc, test_large_folios_merge_page_by_page);
	tcase_add_test(tc, test_large_folio_page_onto_stable_node);
	tcase_add_test(tc, test_large_folio_equal_pages_within);
	tcase_add_test(tc, test_pinned_large_folio_not_merged);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ksm_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
