// SPDX-License-Identifier: MIT
/*
 * test_thp.c - PTE-mapped large anonymous folios (mTHP): allocation on a
 * write fault in a VM_HUGEPAGE VMA with the order enabled and its fallbacks,
 * the 6.12 mapcounts (per page, _large_mapcount, _nr_pages_mapped), fork,
 * COW per page with per-page AnonExclusive, partial munmap and the deferred
 * split queue, mprotect, mremap, pins, split_folio (the deferred split
 * shrinker, reclaim, UFFDIO_MOVE, move_pages, the split op).  Every test ends with a clean check_world() and
 * an empty world.
 */
#include <check.h>
#include <errno.h>

#include "mmt/check.h"
#include "mmt/daemon.h"
#include "mmt/folio.h"
#include "mmt/gup.h"
#include "mmt/huge_mm.h"
#include "mmt/userfaultfd.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/swap.h"
#include "mmt/world.h"

#include "mmt_test.h"

static struct mm_struct *thp_proc(uint64_t len)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_int_eq(do_mmap(mm, 0x10, len, RW, PRIV_ANON), 0);
	ck_assert_int_eq(do_madvise(mm, 0x10, len, MADV_HUGEPAGE), 0);
	return mm;
}

START_TEST(fault_allocates_largest_enabled_order)
{
	struct mm_struct *mm;
	struct folio *f;

	thp_world(0x1e);
	mm = thp_proc(16);
	wr(mm, 0x13, 1);
	f = page_folio(page_at(mm, 0x13));
	ck_assert_int_eq(f->order, 4);
	ck_assert_uint_eq(f->pfn % 16, 0);
	ck_assert_ptr_eq(page_folio(page_at(mm, 0x1f)), f);
	ck_assert_int_eq(folio_mapcount(f), 16);
	ck_assert_int_eq(atomic_load(&f->_nr_pages_mapped), 16);
	ck_assert_int_eq(folio_ref_count(f), 16);
	ck_assert_int_eq(get_mm_counter(mm, MM_ANONPAGES), 16);
	ck_assert(!folio_likely_mapped_shared(f));
	ck_assert(PageAnonExclusive(folio_page(f, 7)));
	ck_assert_uint_eq(rd(mm, 0x13), 1);
	ck_assert_uint_eq(rd(mm, 0x10), 0);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(fallback_orders)
{
	struct mm_struct *mm;

	thp_world(0x06);			/* orders 1 and 2 */
	mm = thp_proc(6);			/* [0x10, 0x16) */
	wr(mm, 0x15, 1);			/* order 2 at 0x14 would pass the end */
	ck_assert_int_eq(page_folio(page_at(mm, 0x15))->order, 1);
	wr(mm, 0x11, 2);
	ck_assert_int_eq(page_folio(page_at(mm, 0x11))->order, 2);
	ck_assert_int_eq(do_madvise(mm, 0x10, 6, MADV_NOHUGEPAGE), 0);
	ck_assert_int_eq(do_munmap(mm, 0x10, 4), 0);
	{
		uint64_t v = 3;

		ck_assert_int_eq(mmt_access(mm, 0x10, true, &v), -EFAULT);	/* a hole now */
	}
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(fork_cow_per_page)
{
	struct mm_struct *p, *c = NULL;
	struct folio *f;

	thp_world(0x04);			/* order 2 */
	p = thp_proc(4);
	wr(p, 0x10, 1);
	wr(p, 0x11, 2);
	f = page_folio(page_at(p, 0x10));
	ck_assert_int_eq(f->order, 2);
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_int_eq(folio_mapcount(f), 8);
	ck_assert_int_eq(page_mapcount(folio_page(f, 1)), 2);
	ck_assert(folio_likely_mapped_shared(f));
	ck_assert(!PageAnonExclusive(folio_page(f, 1)));
	wr(c, 0x11, 3);				/* one page copied, order 0 */
	ck_assert_int_eq(page_folio(page_at(c, 0x11))->order, 0);
	ck_assert_int_eq(page_mapcount(folio_page(f, 1)), 1);
	ck_assert_int_eq(folio_mapcount(f), 7);
	ck_assert(!folio_test_partially_mapped(f));	/* every page still mapped */
	wr(p, 0x11, 4);				/* not exclusive, large: copied too */
	ck_assert_ptr_ne(page_at(p, 0x11), folio_page(f, 1));
	ck_assert(folio_test_partially_mapped(f));	/* page 1 unmapped everywhere */
	ck_assert_int_eq(atomic_load(&f->_nr_pages_mapped), 3);
	ck_assert_uint_eq(rd(p, 0x10), 1);
	ck_assert_uint_eq(rd(c, 0x10), 1);
	ck_assert_uint_eq(rd(c, 0x11), 3);
	ck_assert_uint_eq(rd(p, 0x11), 4);
	assert_clean();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

START_TEST(partial_unmap_mprotect_mremap)
{
	struct mm_struct *mm;
	struct folio *f;
	int st[1];

	thp_world(0x08);			/* order 3 */
	mm = thp_proc(8);
	wr(mm, 0x17, 7);
	f = page_folio(page_at(mm, 0x10));
	ck_assert_int_eq(f->order, 3);
	ck_assert_int_eq(do_munmap(mm, 0x12, 2), 0);
	ck_assert(folio_test_partially_mapped(f));
	ck_assert_int_eq(folio_mapcount(f), 6);
	ck_assert_int_eq(folio_ref_count(f), 6);
	ck_assert_int_eq(do_mprotect(mm, 0x14, 4, PROT_READ), 0);
	ck_assert_int_eq(do_mremap(mm, 0x14, 4, 0x40, 4), 0);
	ck_assert_ptr_eq(page_folio(page_at(mm, 0x43)), f);
	ck_assert_uint_eq(rd(mm, 0x43), 7);
	ck_assert_int_eq(do_mprotect(mm, 0x40, 4, RW), 0);
	wr(mm, 0x43, 8);			/* exclusive page: reused in place */
	ck_assert_ptr_eq(page_folio(page_at(mm, 0x43)), f);
	/*
	 * Partially mapped and queued: move_pages splits it first (not to
	 * copy the pages nobody maps: 7262f208ca68), and migrate_pages moves
	 * every piece, not only the page asked for.
	 */
	ck_assert_int_eq(do_move_pages(mm, 0x40, 1, 1, false, st), 0);
	ck_assert_int_eq(st[0], 1);
	ck_assert_int_eq(f->order, 0);
	ck_assert_int_eq(page_folio(page_at(mm, 0x40))->nid, 1);
	ck_assert_int_eq(page_folio(page_at(mm, 0x10))->nid, 1);
	ck_assert_uint_eq(rd(mm, 0x43), 8);
	ck_assert_int_eq(page_folio(page_at(mm, 0x11))->nid, 1);
	ck_assert_int_eq(page_folio(page_at(mm, 0x42))->nid, 1);
	ck_assert_uint_eq(rd(mm, 0x11), 0);
	ck_assert_uint_eq(w->node[0].split_queue_len, 0);
	assert_clean();
	f = page_folio(page_at(mm, 0x10));
	ck_assert_int_eq(do_madvise(mm, 0x10, 2, MADV_PAGEOUT), 0);
	ck_assert_ptr_eq(page_folio(page_at(mm, 0x10)), f);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(pin_large_folio)
{
	struct mm_struct *p, *c = NULL;
	struct folio *f;

	thp_world(0x04);
	p = thp_proc(4);
	wr(p, 0x12, 1);
	f = page_folio(page_at(p, 0x12));
	ck_assert_int_eq(pin_user_pages_range(p, 0x12, 1), 0);
	ck_assert_int_eq(atomic_load(&f->_pincount), 1);
	ck_assert_int_eq(folio_ref_count(f), 5);
	ck_assert(folio_maybe_dma_pinned(f));
	ck_assert_int_eq(dup_mm(p, &c), 0);	/* every exclusive page copied */
	ck_assert_ptr_ne(page_folio(page_at(c, 0x12)), f);
	ck_assert_int_eq(folio_mapcount(f), 4);
	assert_clean();
	ck_assert_int_eq(unpin_user_pages_range(p, 0x12, 1), 0);
	ck_assert_int_eq(atomic_load(&f->_pincount), 0);
	assert_clean();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

/*
 * move_pages moves a fully mapped mTHP whole: a folio of its order on the
 * other node, every page's contents, AnonExclusive and mapcount carried
 * over; a fork-shared one only with MPOL_MF_MOVE_ALL; a pinned one not at
 * all; and with no aligned run free on the target node it is split and
 * moved page by page (migrate_pages' -ENOMEM fallback).
 */
START_TEST(migrate_large_folio_whole)
{
	struct mm_struct *mm, *c = NULL, *fill;
	struct folio *f, *g;
	int st[4];

	thp_world(0x04);
	mm = thp_proc(8);
	for (uint64_t a = 0; a < 8; a++)
		wr(mm, 0x10 + a, 10 + a);
	f = page_folio(page_at(mm, 0x10));
	ck_assert_int_eq(f->order, 2);
	ck_assert_int_eq(f->nid, 0);
	ck_assert_int_eq(do_move_pages(mm, 0x10, 2, 1, false, st), 0);
	ck_assert_int_eq(st[0], 1);
	ck_assert_int_eq(st[1], 1);
	g = page_folio(page_at(mm, 0x13));
	ck_assert_ptr_ne(g, f);
	ck_assert_ptr_eq(page_folio(page_at(mm, 0x10)), g);
	ck_assert_int_eq(g->order, 2);
	ck_assert_int_eq(g->nid, 1);
	ck_assert_uint_eq(g->pfn % 4, 0);
	ck_assert_int_eq(folio_mapcount(g), 4);
	ck_assert_int_eq(folio_ref_count(g), 4);
	ck_assert(PageAnonExclusive(folio_page(g, 3)));
	for (uint64_t a = 0; a < 4; a++)
		ck_assert_uint_eq(rd(mm, 0x10 + a), 10 + a);
	assert_clean();

	/* pinned: not migrated, still the page the pinner sees */
	g = page_folio(page_at(mm, 0x14));
	ck_assert_int_eq(pin_user_pages_range(mm, 0x15, 1), 0);
	ck_assert_int_eq(do_move_pages(mm, 0x14, 1, 1, false, st), 1);
	ck_assert_int_eq(st[0], -EBUSY);
	ck_assert_ptr_eq(page_folio(page_at(mm, 0x15)), g);
	ck_assert_int_eq(g->order, 2);
	assert_clean();
	ck_assert_int_eq(unpin_user_pages_range(mm, 0x15, 1), 0);

	/* shared with a child: -EACCES without MOVE_ALL, whole with it */
	ck_assert_int_eq(dup_mm(mm, &c), 0);
	ck_assert_int_eq(do_move_pages(mm, 0x10, 1, 0, false, st), 0);
	ck_assert_int_eq(st[0], -EACCES);
	ck_assert_int_eq(do_move_pages(mm, 0x10, 1, 0, true, st), 0);
	f = page_folio(page_at(mm, 0x10));
	ck_assert_int_eq(f->nid, 0);
	ck_assert_int_eq(f->order, 2);
	ck_assert_ptr_eq(page_folio(page_at(c, 0x12)), f);
	ck_assert_int_eq(folio_mapcount(f), 8);
	ck_assert(!PageAnonExclusive(folio_page(f, 1)));
	assert_clean();
	mmput(c);

	/* node 1 with no aligned run of 4 free: split, each page moves */
	fill = mm_alloc();
	fill->home_node = 1;			/* every frame of node 1, then half freed */
	ck_assert_int_eq(do_mmap(fill, 0x100, 32, RW, PRIV_ANON), 0);
	for (uint64_t a = 0; a < 32; a++)
		wr(fill, 0x100 + a, 1);
	for (uint64_t a = 1; a < 32; a += 2)
		ck_assert_int_eq(do_munmap(fill, 0x100 + a, 1), 0);
	ck_assert_ptr_null(folio_alloc_order(1, 2));
	ck_assert_int_eq(do_move_pages(mm, 0x14, 1, 1, false, st), 0);
	ck_assert_int_eq(st[0], 1);
	ck_assert_int_eq(page_folio(page_at(mm, 0x16))->order, 0);
	for (uint64_t a = 0; a < 4; a++) {
		ck_assert_int_eq(page_folio(page_at(mm, 0x14 + a))->nid, 1);
		ck_assert_uint_eq(rd(mm, 0x14 + a), 14 + a);
	}
	assert_clean();
	mmput(fill);
	mmput(mm);
	assert_empty();
}
END_TEST

/* kcompactd isolates an mTHP by its head and moves it whole on its node */
START_TEST(kcompactd_moves_large_folio)
{
	struct mm_struct *mm, *hole;
	struct folio *f, *g;

	thp_world(0x04);
	hole = mm_alloc();
	ck_assert_int_eq(do_mmap(hole, 0x100, 4, RW, PRIV_ANON), 0);
	for (uint64_t a = 0; a < 4; a++)
		wr(hole, 0x100 + a, 1);		/* frames 0-3, freed below */
	mm = thp_proc(4);
	for (uint64_t a = 0; a < 4; a++)
		wr(mm, 0x10 + a, 20 + a);
	f = page_folio(page_at(mm, 0x10));
	ck_assert_int_eq(f->order, 2);
	mmput(hole);
	ck_assert_int_ge(kcompactd_run(0, 64), 1);
	g = page_folio(page_at(mm, 0x12));
	ck_assert_ptr_ne(g, f);
	ck_assert_int_eq(g->order, 2);
	ck_assert_int_eq(g->nid, 0);
	ck_assert_ptr_eq(page_folio(page_at(mm, 0x10)), g);
	for (uint64_t a = 0; a < 4; a++)
		ck_assert_uint_eq(rd(mm, 0x10 + a), 20 + a);
	assert_clean();
	mmput(mm);
	assert_empty();
}
END_TEST

START_TEST(no_run_falls_back_to_order0)
{
	struct mm_struct *mm, *fill;

	thp_world(0x10);			/* order 4 only */
	fill = mm_alloc();
	ck_assert_int_eq(do_mmap(fill, 0x100, 64, RW, PRIV_ANON), 0);
	/* node 0 (32 frames) hands out frames 0..16: both runs of 16 broken */
	for (uint64_t a = 0; a < 17; a++)
		wr(fill, 0x100 + a, 1);
	mm = thp_proc(16);
	wr(mm, 0x10, 1);
	ck_assert_int_eq(page_folio(page_at(mm, 0x10))->order, 0);
	assert_clean();
	mmput(mm);
	mmput(fill);
	assert_empty();
}
END_TEST

/*
 * split_folio through the deferred split queue: a partly unmapped order-2
 * folio is queued; a pin makes the shrinker's split fail (EAGAIN, still
 * queued); unpinned, the shrinker splits it into order-0 folios that keep
 * their pages' contents, index and exclusivity, and frees the page nobody
 * maps.
 */
START_TEST(split_deferred_queue)
{
	struct mm_struct *p;
	struct pglist_data *nd;
	struct folio *f, *t;

	thp_world(0x04);
	p = thp_proc(4);
	wr(p, 0x10, 1);
	wr(p, 0x13, 3);
	f = page_folio(page_at(p, 0x10));
	ck_assert_int_eq(f->order, 2);
	nd = &w->node[f->nid];
	ck_assert_int_eq(do_munmap(p, 0x11, 1), 0);
	ck_assert(folio_test_partially_mapped(f));
	ck_assert(!list_empty(&f->_deferred_list));
	ck_assert_uint_eq(nd->split_queue_len, 1);
	assert_clean();
	ck_assert_int_eq(pin_user_pages_range(p, 0x12, 1), 0);
	ck_assert_uint_eq(deferred_split_scan(0), 0);	/* pinned: EAGAIN */
	ck_assert_int_eq(f->order, 2);
	ck_assert_uint_eq(nd->split_queue_len, 1);
	assert_clean();
	ck_assert_int_eq(unpin_user_pages_range(p, 0x12, 1), 0);
	ck_assert_uint_eq(deferred_split_scan(0), 1);
	ck_assert_uint_eq(nd->split_queue_len, 0);
	ck_assert_int_eq(f->order, 0);
	ck_assert(!folio_test_partially_mapped(f));
	ck_assert_int_eq(folio_ref_count(f + 1), 0);	/* the unmapped page: freed */
	t = page_folio(page_at(p, 0x13));
	ck_assert_ptr_eq(t, f + 3);
	ck_assert_int_eq(t->order, 0);
	ck_assert_uint_eq(t->index, 0x13);
	ck_assert_int_eq(folio_ref_count(t), 1);
	ck_assert_int_eq(folio_mapcount(t), 1);
	ck_assert(PageAnonExclusive(&t->page));
	ck_assert(folio_test_lru(t));
	ck_assert_uint_eq(rd(p, 0x10), 1);
	ck_assert_uint_eq(rd(p, 0x13), 3);
	wr(p, 0x12, 2);				/* exclusive: reused in place */
	ck_assert_ptr_eq(page_folio(page_at(p, 0x12)), f + 2);
	assert_clean();
	mmput(p);
	assert_empty();
}
END_TEST

/*
 * split_huge_page of a tail page (as KSM's try_to_merge_one_page does it):
 * the caller locked the folio and holds a reference on it; afterwards its
 * lock and reference are those of the tail page's new folio, and every
 * other new folio, the old head too, is unlocked and holds only its
 * mapping's reference (the head, mapped nowhere, is freed).  A pinned
 * folio is not split and stays locked as it was.
 */
START_TEST(split_tail_page_keeps_its_folio)
{
	struct mm_struct *p;
	struct folio *f, *t;

	thp_world(0x04);
	p = thp_proc(4);
	for (uint64_t a = 0; a < 4; a++)
		wr(p, 0x10 + a, 20 + a);
	f = page_folio(page_at(p, 0x10));
	ck_assert_int_eq(f->order, 2);
	/* pinned: -EAGAIN, the folio whole and still the caller's, locked */
	ck_assert_int_eq(pin_user_pages_range(p, 0x11, 1), 0);
	folio_get(f);
	ck_assert(folio_trylock(f));
	ck_assert_int_eq(split_huge_page(folio_page(f, 2)), -EAGAIN);
	ck_assert_int_eq(f->order, 2);
	ck_assert(folio_test_locked(f));
	folio_unlock(f);
	folio_put(f);
	ck_assert_int_eq(unpin_user_pages_range(p, 0x11, 1), 0);
	assert_clean();
	ck_assert_int_eq(do_munmap(p, 0x10, 1), 0);
	folio_get(f);
	ck_assert(folio_trylock(f));
	ck_assert_int_eq(split_huge_page(folio_page(f, 2)), 0);
	t = page_folio(folio_page(f, 2));
	ck_assert_ptr_eq(t, f + 2);
	ck_assert_int_eq(t->order, 0);
	ck_assert(folio_test_locked(t));
	ck_assert_int_eq(folio_ref_count(t), 2);	/* its pte and ours */
	ck_assert(!folio_test_locked(f + 1) && !folio_test_locked(f + 3));
	ck_assert_int_eq(folio_ref_count(f + 1), 1);
	ck_assert_int_eq(folio_ref_count(f), 0);	/* the head: unmapped, freed */
	ck_assert_int_eq(folio_ref_count(f + 3), 1);
	folio_unlock(t);
	folio_put(t);
	for (uint64_t a = 1; a < 4; a++) {
		ck_assert_int_eq(page_folio(page_at(p, 0x10 + a))->order, 0);
		ck_assert_uint_eq(rd(p, 0x10 + a), 20 + a);
	}
	assert_clean();
	mmput(p);
	assert_empty();
}
END_TEST

/* reclaim splits a large anon folio before add_to_swap; UFFDIO_MOVE splits too */
START_TEST(split_reclaim_and_uffd_move)
{
	struct mm_struct *p;
	struct folio *f;
	uint64_t moved;

	thp_world(0x04);
	ck_assert_int_eq(sys_swapon(0, 16), 0);
	p = thp_proc(4);
	ck_assert_int_eq(do_mmap(p, 0x40, 4, RW, PRIV_ANON), 0);
	for (uint64_t a = 0; a < 4; a++)
		wr(p, 0x10 + a, 10 + a);
	f = page_folio(page_at(p, 0x10));
	ck_assert_int_eq(f->order, 2);
	ck_assert_int_eq(userfaultfd_register(p, 0x40, 4), 0);
	ck_assert_int_eq(userfaultfd_move(p, 0x41, 0x11, 1, 0, &moved), 0);
	ck_assert_uint_eq(moved, 1);
	ck_assert_int_eq(f->order, 0);
	ck_assert_ptr_eq(page_folio(page_at(p, 0x41)), f + 1);
	assert_clean();
	reclaim_pages_global(16);
	assert_clean();
	for (uint64_t a = 0; a < 4; a++)
		ck_assert_uint_eq(rd(p, a == 1 ? 0x41 : 0x10 + a), 10 + a);
	assert_clean();
	mmput(p);
	ck_assert_int_eq(sys_swapoff(0), 0);
	assert_empty();
}
END_TEST

/*
 * split_huge_pages_pid, the split op (debugfs split_huge_pages): every
 * large folio mapped in the range is split to order 0 in place, contents,
 * index and exclusivity kept; an order-0 page, a hole, the zero page and
 * a pinned folio (can_split_folio) are passed over; a locked folio is
 * skipped (trylock); the walk stops at the first page with no VMA.
 */
START_TEST(split_huge_pages_range)
{
	struct mm_struct *p, *c;
	struct folio *f, *g, *h;

	thp_world(0x04);
	p = thp_proc(12);
	for (uint64_t a = 0x10; a < 0x1c; a += 4)
		wr(p, a, a);
	f = page_folio(page_at(p, 0x10));
	g = page_folio(page_at(p, 0x14));
	h = page_folio(page_at(p, 0x18));
	ck_assert_int_eq(f->order, 2);
	ck_assert_int_eq(g->order, 2);
	ck_assert_int_eq(h->order, 2);
	ck_assert_int_eq(pin_user_pages_range(p, 0x15, 1), 0);
	folio_lock(h);
	/* a range that runs into a hole: the walk stops there, no error */
	ck_assert_uint_eq(split_huge_pages_pid(p, 0x11, 0x100), 1);
	folio_unlock(h);
	ck_assert_int_eq(f->order, 0);
	ck_assert_int_eq(g->order, 2);		/* pinned: skipped */
	ck_assert_int_eq(h->order, 2);		/* locked: skipped */
	ck_assert_ptr_eq(page_folio(page_at(p, 0x13)), f + 3);
	ck_assert_uint_eq((f + 3)->index, 0x13);
	ck_assert(PageAnonExclusive(&(f + 3)->page));
	ck_assert(folio_test_lru(f + 3));
	ck_assert_int_eq(folio_ref_count(f + 3), 1);
	assert_clean();
	ck_assert_int_eq(unpin_user_pages_range(p, 0x15, 1), 0);
	/* a fork: a shared large folio splits too, each page keeps both ptes */
	ck_assert_int_eq(dup_mm(p, &c), 0);
	ck_assert_uint_eq(split_huge_pages_pid(c, 0x10, 12), 2);
	ck_assert_int_eq(g->order, 0);
	ck_assert_int_eq(h->order, 0);
	ck_assert_int_eq(folio_mapcount(h + 1), 2);
	ck_assert_int_eq(folio_ref_count(h + 1), 2);
	/* nothing large left: nothing to split */
	ck_assert_uint_eq(split_huge_pages_pid(p, 0x10, 12), 0);
	for (uint64_t a = 0x10; a < 0x1c; a++) {
		ck_assert_uint_eq(rd(p, a), a % 4 ? 0 : a);
		ck_assert_uint_eq(rd(c, a), a % 4 ? 0 : a);
	}
	assert_clean();
	mmput(c);
	mmput(p);
	assert_empty();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("thp");
	TCase *tc = tcase_create("thp");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fault_allocates_largest_enabled_order);
	tcase_add_test(tc, fallback_orders);
	tcase_add_test(tc, fork_cow_per_page);
	tcase_add_test(tc, partial_unmap_mprotect_mremap);
	tcase_add_test(tc, pin_large_folio);
	tcase_add_test(tc, migrate_large_folio_whole);
	tcase_add_test(tc, kcompactd_moves_large_folio);
	tcase_add_test(tc, no_run_falls_back_to_order0);
	tcase_add_test(tc, split_deferred_queue);
	tcase_add_test(tc, split_reclaim_and_uffd_move);
	tcase_add_test(tc, split_huge_pages_range);
	tcase_add_test(tc, split_tail_page_keeps_its_folio);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
