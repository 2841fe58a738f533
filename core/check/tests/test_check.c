// SPDX-License-Identifier: MIT
/*
 * test_check.c - the invariant checker catches what it must, and only that.
 *
 * Each invariant gets a TCase that builds a small, legitimate state through
 * the model's public API, checks that the checker is silent, corrupts one
 * field on purpose the way a model bug would, and asserts that the right
 * invariant fires.  Where it is cheap the corruption is then undone and the
 * state must be clean again: that proves the report came from the corruption
 * and not from the state around it.
 *
 * Every test runs in its own forked process (Check's default), with a fresh
 * world from the checked fixture.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/folio.h"
#include "mmt/list.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/pte.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/world.h"

#include "mmt_test.h"

#define ANON	PRIV_ANON

/* ------------------------------------------------------------ helpers */

static const char *first_text(void)
{
	static char buf[400];

	snprintf(buf, sizeof(buf), "%s %s: %s", mmt_invariant_name(mmt_report.first.inv),
		 mmt_report.first.object, mmt_report.first.msg);
	return buf;
}

/* the whole world holds every invariant */
#define assert_world_clean()								\
	do {									\
		int __n;							\
		mmt_report_reset();						\
		__n = check_world();						\
		ck_assert_msg(__n == 0 && mmt_report.count == 0,		\
			      "expected a clean world, got %d violations; first: %s", \
			      __n, first_text());				\
	} while (0)

/* check_world finds something, and @inv among it */
#define assert_fires(inv)							\
	do {									\
		int __n;							\
		mmt_report_reset();						\
		__n = check_world();						\
		ck_assert_msg(__n > 0, "expected %s, the checker found nothing",	\
			      mmt_invariant_name(inv));				\
		ck_assert_msg(mmt_report.inv_mask & (1ull << (inv)),		\
			      "expected %s, got mask %#llx; first: %s",		\
			      mmt_invariant_name(inv),				\
			      (unsigned long long)mmt_report.inv_mask, first_text()); \
	} while (0)

static struct mm_struct *spawn(void)
{
	struct mm_struct *mm = mm_alloc();

	ck_assert_ptr_nonnull(mm);
	return mm;
}

static void map(struct mm_struct *mm, uint64_t addr, uint64_t len, int prot, int flags)
{
	int err = do_mmap(mm, addr, len, prot, flags);

	ck_assert_msg(err == 0, "mmap %#llx+%llu: %d", (unsigned long long)addr,
		      (unsigned long long)len, err);
}

static void put(struct mm_struct *mm, uint64_t addr, uint64_t val)
{
	int err = mmt_access(mm, addr, true, &val);

	ck_assert_msg(err == 0, "write %#llx: %d", (unsigned long long)addr, err);
}

static uint64_t get(struct mm_struct *mm, uint64_t addr)
{
	uint64_t val = 0;
	int err = mmt_access(mm, addr, false, &val);

	ck_assert_msg(err == 0, "read %#llx: %d", (unsigned long long)addr, err);
	return val;
}

static pte_t *ptep(struct mm_struct *mm, uint64_t addr)
{
	pte_t *p = mmt_pte_peek(mm, addr);

	ck_assert_ptr_nonnull(p);
	return p;
}

static struct folio *folio_at(struct mm_struct *mm, uint64_t addr)
{
	pte_t pte = *ptep(mm, addr);
	struct folio *f;

	ck_assert_msg(pte_present(pte), "no page at %#llx", (unsigned long long)addr);
	f = pfn_folio(pte_pfn(pte));
	ck_assert_ptr_nonnull(f);
	return f;
}

static struct mm_struct *fork_mm(struct mm_struct *parent)
{
	struct mm_struct *child = NULL;

	ck_assert_int_eq(dup_mm(parent, &child), 0);
	ck_assert_ptr_nonnull(child);
	return child;
}

/* one process with four written anonymous pages at 0x10.. */
static struct mm_struct *anon_proc(void)
{
	struct mm_struct *mm = spawn();

	map(mm, 0x10, 8, RW, ANON);
	for (uint64_t a = 0x10; a < 0x14; a++)
		put(mm, a, 0x1000 + a);
	return mm;
}

/* ------------------------------------------------------------- report */

START_TEST(test_names_round_trip)
{
	for (int i = 0; i < NR_INVARIANTS; i++)
		ck_assert_int_eq(mmt_invariant_lookup(mmt_invariant_name(i)), i);
	ck_assert_int_eq(mmt_invariant_lookup("mapcount"), INV_MAPCOUNT);
	ck_assert_int_eq(mmt_invariant_lookup("no-such"), INV_NONE);
	ck_assert_int_eq(mmt_invariant_lookup(NULL), INV_NONE);
	ck_assert_str_eq(mmt_invariant_name(INV_SWAPMAP), "SWAPMAP");
	ck_assert_str_eq(mmt_invariant_name(NR_INVARIANTS), "UNKNOWN");
}
END_TEST

START_TEST(test_report_keeps_first)
{
	mmt_violation(INV_RSS, "mm 1", "first %d", 1);
	mmt_violation(INV_PROT, "mm 2", "second");
	ck_assert_uint_eq(mmt_report.count, 2);
	ck_assert_int_eq(mmt_report.first.inv, INV_RSS);
	ck_assert_str_eq(mmt_report.first.object, "mm 1");
	ck_assert_str_eq(mmt_report.first.msg, "first 1");
	ck_assert(mmt_report.inv_mask == ((1ull << INV_RSS) | (1ull << INV_PROT)));
	mmt_report_reset();
	ck_assert_uint_eq(mmt_report.count, 0);
	ck_assert(mmt_report.inv_mask == 0);
	mmt_violation(INV_LEAK, "pool vma", "again");
	ck_assert_int_eq(mmt_report.first.inv, INV_LEAK);
}
END_TEST

START_TEST(test_warn_names_site)
{
	int three = 3;

	VM_WARN_ON(three == 3, INV_ANONVMA, "anon_vma %d", three);
	ck_assert_uint_eq(mmt_report.count, 1);
	ck_assert_int_eq(mmt_report.first.inv, INV_ANONVMA);
	ck_assert_str_eq(mmt_report.first.object, "anon_vma 3");
	ck_assert_msg(strstr(mmt_report.first.msg, "test_check.c:") &&
		      strstr(mmt_report.first.msg, "three == 3"), "msg: %s", mmt_report.first.msg);
	VM_WARN_ON(three == 4, INV_ANONVMA, "anon_vma %d", three);
	ck_assert_uint_eq(mmt_report.count, 1);
}
END_TEST

/* two conditions of one function: one key each, and no line number in either */
static void warn_twice(int which)
{
	if (which == 0)
		VM_WARN_ON(which == 0, INV_ANONVMA, "anon_vma %d", which);
	else
		VM_WARN_ON(which != 0, INV_ANONVMA, "anon_vma %d", which);
}

START_TEST(test_key_survives_edits)
{
	char first[sizeof(mmt_report.first.key)], again[sizeof(first)];

	warn_twice(0);
	snprintf(first, sizeof(first), "%s", mmt_report.first.key);
	ck_assert_msg(strstr(first, "test_check.c:warn_twice#"), "key: %s", first);
	ck_assert_msg(!strchr(strchr(first, '#'), ':'), "key: %s", first);
	mmt_report_reset();
	warn_twice(1);
	ck_assert_str_ne(mmt_report.first.key, first);
	mmt_report_reset();
	warn_twice(0);
	snprintf(again, sizeof(again), "%s", mmt_report.first.key);
	ck_assert_str_eq(again, first);
	/* and the line-based site stays for people */
	ck_assert_msg(strstr(mmt_report.first.site, "test_check.c:"), "site: %s",
		      mmt_report.first.site);
}
END_TEST

/* outside kp_sched_run a VM_BUG_ON kills the process, having said why */
START_TEST(test_bug_aborts)
{
	VM_BUG_ON(w != NULL, INV_MAPCOUNT, "folio pfn %d", 7);
}
END_TEST

static void *violate_many(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++)
		mmt_violation(i & 1 ? INV_RSS : INV_DATA, "thread", "n %d", i);
	return NULL;
}

START_TEST(test_report_threads)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, violate_many, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(mmt_report.count, 4000);
	ck_assert_str_eq(mmt_report.first.object, "thread");
	ck_assert(mmt_report.inv_mask == ((1ull << INV_RSS) | (1ull << INV_DATA)));
}
END_TEST

/* -------------------------------------------------------------- clean */

START_TEST(test_clean_empty_world)
{
	assert_world_clean();
	ck_assert_int_eq(check_world_empty(), 0);
}
END_TEST

START_TEST(test_clean_lifecycle)
{
	struct mm_struct *p = anon_proc(), *c;

	assert_world_clean();
	/* zero page on read, shmem and the memfd */
	ck_assert_uint_eq(get(p, 0x16), 0);
	map(p, 0x40, 4, RW, MAP_SHARED | MAP_ANONYMOUS);
	put(p, 0x40, 1);
	map(p, 0x80, 4, RW, MAP_SHARED);
	put(p, 0x81, 2);
	map(p, 0xc0, 4, RW, MAP_PRIVATE);
	ck_assert_uint_eq(get(p, 0xc0), 0);
	put(p, 0xc1, 3);		/* COW of a file page into an anon one */
	assert_world_clean();

	c = fork_mm(p);
	assert_world_clean();
	put(c, 0x10, 99);		/* COW in the child */
	put(p, 0x11, 98);		/* and in the parent */
	put(c, 0x40, 97);		/* shared: no COW */
	ck_assert_uint_eq(get(p, 0x40), 97);
	assert_world_clean();

	ck_assert_int_eq(do_mprotect(p, 0x10, 8, PROT_READ), 0);
	ck_assert_int_eq(do_munmap(c, 0x12, 2), 0);
	assert_world_clean();

	mmput(c);
	assert_world_clean();
	mmput(p);
	assert_world_clean();
	ck_assert_msg(check_world_empty() == 0, "not empty: %s", first_text());
}
END_TEST

START_TEST(test_clean_swap)
{
	struct mm_struct *p = anon_proc(), *c;

	ck_assert_int_eq(sys_swapon(0, 32), 0);
	c = fork_mm(p);
	ck_assert_int_eq(do_madvise(p, 0x10, 8, MADV_PAGEOUT), 0);
	assert_world_clean();
	ck_assert_int_eq(do_madvise(c, 0x10, 8, MADV_PAGEOUT), 0);
	assert_world_clean();
	ck_assert_uint_eq(get(c, 0x12), 0x1012);
	put(p, 0x13, 5);
	assert_world_clean();
	mmput(c);
	mmput(p);
	assert_world_clean();
	/* swap still on: not empty */
	mmt_report_reset();
	ck_assert_int_gt(check_world_empty(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_LEAK));
	ck_assert_int_eq(sys_swapoff(0), 0);
	assert_world_clean();
	ck_assert_msg(check_world_empty() == 0, "not empty: %s", first_text());
}
END_TEST

START_TEST(test_clean_migration)
{
	struct mm_struct *p = anon_proc(), *c;
	int status[8];
	long ret;

	map(p, 0x40, 2, RW, MAP_SHARED);
	put(p, 0x40, 5);
	map(p, 0x50, 2, RW, MAP_SHARED | MAP_ANONYMOUS);
	put(p, 0x50, 6);
	c = fork_mm(p);
	ret = do_move_pages(p, 0x10, 4, 1, true, status);
	ck_assert_msg(ret >= 0, "move_pages: %ld", ret);
	assert_world_clean();
	ck_assert_int_eq(folio_at(c, 0x11)->nid, 1);
	ret = do_move_pages(p, 0x40, 1, 1, true, status);
	ck_assert_msg(ret >= 0, "move_pages file: %ld", ret);
	ret = do_move_pages(c, 0x50, 1, 1, true, status);
	ck_assert_msg(ret >= 0, "move_pages shmem: %ld", ret);
	assert_world_clean();
	put(c, 0x12, 7);
	ck_assert_uint_eq(get(p, 0x12), 0x1012);
	ck_assert_uint_eq(get(c, 0x40), 5);
	assert_world_clean();
	mmput(p);
	mmput(c);
	ck_assert_msg(check_world_empty() == 0, "not empty: %s", first_text());
}
END_TEST

/* ----------------------------------------------------------- MAPCOUNT */

START_TEST(test_mapcount_bumped)
{
	struct mm_struct *mm = anon_proc();
	struct folio *f = folio_at(mm, 0x11);

	assert_world_clean();
	atomic_fetch_add(&f->page._mapcount, 1);
	assert_fires(INV_MAPCOUNT);
	mmt_report_reset();
	ck_assert_int_gt(check_folio(f), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_MAPCOUNT));
	atomic_fetch_sub(&f->page._mapcount, 1);
	assert_world_clean();
	ck_assert_int_eq(check_folio(f), 0);
}
END_TEST

START_TEST(test_mapcount_pte_to_other_frame)
{
	struct mm_struct *mm = anon_proc();
	pte_t *p = ptep(mm, 0x10), old = *p;

	/* a pte silently repointed: one frame over-mapped, one under-mapped */
	*p = pfn_pte(pte_pfn(*ptep(mm, 0x11)), true);
	assert_fires(INV_MAPCOUNT);
	*p = old;
	assert_world_clean();
}
END_TEST

START_TEST(test_mapcount_bad_pfn)
{
	struct mm_struct *mm = anon_proc();
	pte_t *p = ptep(mm, 0x10), old = *p;

	*p = pfn_pte(w->nr_frames + 5, false);
	assert_fires(INV_MAPCOUNT);
	*p = old;
	assert_world_clean();
}
END_TEST

/* ----------------------------------------------------------- REFCOUNT */

START_TEST(test_refcount_leaked_ref)
{
	struct mm_struct *mm = anon_proc();
	struct folio *f = folio_at(mm, 0x12);

	folio_get(f);
	assert_fires(INV_REFCOUNT);
	folio_put(f);
	assert_world_clean();
}
END_TEST

START_TEST(test_refcount_leaked_frame)
{
	struct folio *f = folio_alloc(0, false);

	ck_assert_ptr_nonnull(f);
	assert_fires(INV_REFCOUNT);
	mmt_report_reset();
	ck_assert_int_gt(check_world_empty(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_LEAK));
	folio_put(f);
	assert_world_clean();
	ck_assert_int_eq(check_world_empty(), 0);
}
END_TEST

START_TEST(test_refcount_mapped_free_frame)
{
	struct mm_struct *mm = anon_proc();
	struct folio *f = folio_alloc(1, true);
	pte_t *p = ptep(mm, 0x17);

	/* a pte pointing at a frame that then went back to the free list */
	ck_assert_ptr_nonnull(f);
	folio_put(f);
	*p = pfn_pte(f->pfn, false);
	assert_fires(INV_REFCOUNT);
	*p = __pte(0);
	assert_world_clean();
}
END_TEST

START_TEST(test_refcount_free_list_of_used_frame)
{
	struct mm_struct *mm = anon_proc();
	struct folio *f = folio_at(mm, 0x10);
	struct pglist_data *nd = &w->node[f->nid];
	struct list_head saved = f->lru;
	bool on_lru = folio_test_lru(f);

	/* a mapped frame also put on the free list: a double free */
	if (on_lru)
		folio_del_lru(f);
	list_add(&f->lru, &nd->free_list);
	nd->nr_free++;
	assert_fires(INV_REFCOUNT);
	list_del_init(&f->lru);
	nd->nr_free--;
	(void)saved;
	if (on_lru)
		folio_add_lru(f);
	assert_world_clean();
}
END_TEST

/* ---------------------------------------------------------- MIGRATION */

START_TEST(test_migration_entry_left)
{
	struct mm_struct *mm = anon_proc();
	pte_t *p = ptep(mm, 0x13), old = *p;
	struct folio *f = folio_at(mm, 0x13);

	/* what try_to_migrate leaves, minus the mapcount it drops */
	*p = swp_entry_to_pte(make_readable_migration_entry(f->pfn));
	atomic_fetch_sub(&f->page._mapcount, 1);
	assert_fires(INV_MIGRATION);
	mmt_report_reset();
	ck_assert_int_gt(check_mm(mm), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_MIGRATION));
	atomic_fetch_add(&f->page._mapcount, 1);
	*p = old;
	assert_world_clean();
}
END_TEST

START_TEST(test_migration_folio_left_locked)
{
	struct mm_struct *mm = anon_proc();
	struct folio *f = folio_at(mm, 0x10);

	folio_set(f, PG_locked);
	assert_fires(INV_MIGRATION);
	folio_clear(f, PG_locked);
	folio_set(f, PG_migrating);
	assert_fires(INV_MIGRATION);
	folio_clear(f, PG_migrating);
	assert_world_clean();
}
END_TEST

/* ------------------------------------------------------------ SWAPMAP */

START_TEST(test_swapmap_count)
{
	struct mm_struct *mm = anon_proc();
	struct swap_info_struct *si;

	ck_assert_int_eq(sys_swapon(0, 32), 0);
	ck_assert_int_eq(do_madvise(mm, 0x10, 4, MADV_PAGEOUT), 0);
	ck_assert(is_swap_pte(*ptep(mm, 0x10)));
	assert_world_clean();
	si = swap_info_get(pte_to_swp_entry(*ptep(mm, 0x10)));
	ck_assert_ptr_nonnull(si);
	si->swap_map[swp_offset(pte_to_swp_entry(*ptep(mm, 0x10)))]++;
	assert_fires(INV_SWAPMAP);
	mmt_report_reset();
	ck_assert_int_gt(check_swap_info(si), 0);
	si->swap_map[swp_offset(pte_to_swp_entry(*ptep(mm, 0x10)))]--;
	assert_world_clean();
	ck_assert_int_eq(check_swap_info(si), 0);
}
END_TEST

START_TEST(test_swapmap_unused_slot)
{
	struct swap_info_struct *si;

	ck_assert_int_eq(sys_swapon(0, 32), 0);
	si = swap_type_to_info(0);
	ck_assert_ptr_nonnull(si);
	si->swap_map[5] = 1;		/* a count nobody holds */
	assert_fires(INV_SWAPMAP);
	si->swap_map[5] = 0;
	assert_world_clean();
}
END_TEST

START_TEST(test_swapmap_pte_without_device)
{
	struct mm_struct *mm = anon_proc();
	pte_t *p;

	ck_assert_int_eq(sys_swapon(0, 32), 0);
	ck_assert_int_eq(do_madvise(mm, 0x10, 1, MADV_PAGEOUT), 0);
	p = ptep(mm, 0x10);
	ck_assert(is_swap_pte(*p));
	/* same slot, type 3: no such device (and type 0's count is now short) */
	*p = swp_entry_to_pte(swp_entry(3, swp_offset(pte_to_swp_entry(*p))));
	assert_fires(INV_SWAPMAP);
}
END_TEST

START_TEST(test_swapmap_reserved_type)
{
	struct swap_info_struct *si = &w->swap_info[SWP_MIGRATION_READ];

	/* what swapon-type-overlap does */
	si->flags |= SWP_USED;
	assert_fires(INV_SWAPMAP);
	ck_assert(mmt_report.inv_mask & (1ull << INV_MIGRATION));
	si->flags = 0;
	assert_world_clean();
}
END_TEST

START_TEST(test_swapmap_cache_flag)
{
	struct mm_struct *mm = anon_proc();
	struct swap_info_struct *si;
	swp_entry_t e;

	ck_assert_int_eq(sys_swapon(0, 32), 0);
	ck_assert_int_eq(do_madvise(mm, 0x10, 1, MADV_PAGEOUT), 0);
	e = pte_to_swp_entry(*ptep(mm, 0x10));
	si = swap_info_get(e);
	ck_assert_ptr_nonnull(si);
	si->swap_map[swp_offset(e)] ^= SWAP_HAS_CACHE;
	assert_fires(INV_SWAPMAP);
	si->swap_map[swp_offset(e)] ^= SWAP_HAS_CACHE;
	assert_world_clean();
}
END_TEST

/* --------------------------------------------------------------- RMAP */

START_TEST(test_rmap_index)
{
	struct mm_struct *mm = anon_proc();
	struct folio *f = folio_at(mm, 0x12);

	f->index++;
	assert_fires(INV_RMAP);
	f->index--;
	assert_world_clean();
}
END_TEST

START_TEST(test_rmap_wrong_anon_vma)
{
	struct mm_struct *a = anon_proc(), *b = anon_proc();
	struct folio *f = folio_at(a, 0x10), *g = folio_at(b, 0x10);
	uintptr_t saved = f->mapping;

	/* the folio claims an anon_vma that a's VMA is not linked to */
	f->mapping = g->mapping;
	assert_fires(INV_RMAP);
	f->mapping = saved;
	assert_world_clean();
}
END_TEST

START_TEST(test_rmap_off_i_mmap)
{
	struct mm_struct *mm = spawn();
	struct vm_area_struct *vma;
	struct address_space *m;

	map(mm, 0x20, 4, RW, MAP_SHARED);
	put(mm, 0x21, 7);
	assert_world_clean();
	vma = vma_lookup(mm, 0x20);
	ck_assert_ptr_nonnull(vma);
	m = vma->vm_file;
	ck_assert_ptr_eq(m, world_memfd());
	list_del_init(&vma->shared);
	assert_fires(INV_RMAP);
	mmt_report_reset();
	ck_assert_int_gt(check_vma(vma), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_RMAP));
	list_add_tail(&vma->shared, &m->i_mmap);
	assert_world_clean();
	ck_assert_int_eq(check_vma(vma), 0);
	ck_assert_int_eq(check_mapping(m), 0);
}
END_TEST

START_TEST(test_rmap_pte_outside_vma)
{
	struct mm_struct *mm = anon_proc();
	/* 0x1c: past the VMA [0x10, 0x18) but in 0x10's 32-page pte table */
	pte_t *p = ptep(mm, 0x10), *q = ptep(mm, 0x1c);
	struct folio *f = folio_at(mm, 0x10);

	/* munmap forgot a pte: move 0x10's pte to 0x1c, where no VMA is */
	*q = *p;
	*p = __pte(0);
	assert_fires(INV_RMAP);
	*p = *q;
	*q = __pte(0);
	(void)f;
	assert_world_clean();
}
END_TEST

/*
 * Two pmd tables pointing at one slot array, the other's array leaked: the
 * counts of tables and arrays alone still agree; LEAK 13.2 finds the array
 * no table owns.
 */
START_TEST(test_pgdir_slot_array_shared)
{
	struct mm_struct *mm = anon_proc();
	/* 0x4010: pud slot 1 (a pmd table maps 512 * 32 pages), its own pmd table */
	struct pgtable *pud, *pmd0, *pmd1;
	struct pgtable **saved;

	map(mm, 0x4010, 1, RW, ANON);
	put(mm, 0x4010, 7);
	pud = mm->pgd[0];
	ck_assert_ptr_nonnull(pud);
	pmd0 = pud->dir[0];
	pmd1 = pud->dir[1];
	ck_assert_ptr_nonnull(pmd0);
	ck_assert_ptr_nonnull(pmd1);
	assert_world_clean();
	saved = pmd1->dir;
	pmd1->dir = pmd0->dir;
	/* the shared array's tables are reached twice (BUG); pmd1's own array leaks */
	assert_fires(INV_BUG);
	assert_fires(INV_LEAK);
	pmd1->dir = saved;
	assert_world_clean();
}
END_TEST

/* ------------------------------------------------------------ ANONVMA */

START_TEST(test_anonvma_avc_unlinked)
{
	struct mm_struct *p = anon_proc(), *c = fork_mm(p);
	struct vm_area_struct *vma = vma_lookup(c, 0x10);
	struct anon_vma_chain *avc;
	struct anon_vma *av;

	assert_world_clean();
	ck_assert_ptr_nonnull(vma);
	/* the child's link to the parent's anon_vma (the oldest, last) */
	avc = list_last_entry(&vma->anon_vma_chain, struct anon_vma_chain, same_vma);
	av = avc->anon_vma;
	ck_assert_ptr_ne(av, vma->anon_vma);
	list_del_init(&avc->same_anon_vma);
	assert_fires(INV_ANONVMA);
	mmt_report_reset();
	ck_assert_int_gt(check_anon_vma(av) + check_vma(vma), 0);
	list_add_tail(&avc->same_anon_vma, &av->head);
	assert_world_clean();
	ck_assert_int_eq(check_anon_vma(av), 0);
}
END_TEST

START_TEST(test_anonvma_degrees)
{
	struct mm_struct *p = anon_proc(), *c = fork_mm(p);
	struct anon_vma *av = vma_lookup(p, 0x10)->anon_vma;

	(void)c;
	assert_world_clean();
	av->num_active_vmas++;
	assert_fires(INV_ANONVMA);
	av->num_active_vmas--;
	av->num_children++;
	assert_fires(INV_ANONVMA);
	av->num_children--;
	atomic_fetch_add(&av->refcount, 1);
	assert_fires(INV_ANONVMA);
	atomic_fetch_sub(&av->refcount, 1);
	assert_world_clean();
}
END_TEST

START_TEST(test_anonvma_freed_reachable)
{
	struct mm_struct *mm = anon_proc();
	struct vm_area_struct *vma = vma_lookup(mm, 0x10);
	struct anon_vma *av = vma->anon_vma;
	struct folio *f = folio_at(mm, 0x10);
	char *dead = w->anon_vma_pool.base;

	/* point the folio at an anon_vma slot that is not allocated */
	for (uint32_t i = 0; i < w->anon_vma_pool.cap; i++) {
		void *o = dead + (size_t)i * w->anon_vma_pool.objsize;

		if (!pool_owns(&w->anon_vma_pool, o)) {
			f->mapping = (uintptr_t)o | PAGE_MAPPING_ANON;
			break;
		}
	}
	assert_fires(INV_ANONVMA);
	f->mapping = (uintptr_t)av | PAGE_MAPPING_ANON;
	assert_world_clean();
}
END_TEST

/*
 * 6.1: while an anon_vma is on a VMA its parent must be live (the VMA's
 * chain reaches the parent); corrupt the child's parent pointer to a free
 * slot and the clause fires.  (With no chain left it may outlive its
 * parent: corpus/regress/ksm-anon-vma-outlives-parent.mmt.)
 */
START_TEST(test_anonvma_parent_freed)
{
	struct mm_struct *p = anon_proc(), *c = fork_mm(p);
	struct anon_vma *av = vma_lookup(c, 0x10)->anon_vma, *parent = av->parent;
	char *dead = w->anon_vma_pool.base;

	assert_world_clean();
	ck_assert_ptr_ne(parent, av);
	for (uint32_t i = 0; i < w->anon_vma_pool.cap; i++) {
		void *o = dead + (size_t)i * w->anon_vma_pool.objsize;

		if (!pool_owns(&w->anon_vma_pool, o)) {
			av->parent = o;
			break;
		}
	}
	ck_assert_ptr_ne(av->parent, parent);
	mmt_report_reset();
	ck_assert_int_gt(check_anon_vma(av), 0);
	ck_assert_int_eq(mmt_report.first.inv, INV_ANONVMA);
	av->parent = parent;
	mmt_report_reset();
	ck_assert_int_eq(check_anon_vma(av), 0);
	assert_world_clean();
}
END_TEST

/*
 * 6.5 with the kernel's meaning: a root counts its self-parent link in
 * num_children, and each count is made from the lists and VMAs.
 */
START_TEST(test_anonvma_root_counts_itself)
{
	struct mm_struct *p = anon_proc();
	struct anon_vma *r = vma_lookup(p, 0x10)->anon_vma;

	ck_assert_ptr_eq(r->root, r);
	ck_assert_uint_eq(r->num_children, 1);
	assert_world_clean();
	r->num_children = 0;		/* the model before: no self link */
	assert_fires(INV_ANONVMA);
	ck_assert_ptr_nonnull(strstr(mmt_report.first.msg, "num_children"));
	r->num_children = 1;
	assert_world_clean();
}
END_TEST

/*
 * 6.8: an anon_vma's list is in vm_pgoff order.  mprotect splits the VMA
 * into [0x10,0x14) and [0x14,0x18), both on the one anon_vma; swapping
 * their avcs on its list fires the clause, and the model's own split keeps
 * the order (the upper part re-sorted after its pgoff grew).
 */
START_TEST(test_anonvma_pgoff_order)
{
	struct mm_struct *mm = anon_proc();
	struct vm_area_struct *lo, *hi;
	struct anon_vma_chain *first, *second;
	struct anon_vma *av;

	ck_assert_int_eq(do_mprotect(mm, 0x10, 4, PROT_READ), 0);	/* new below */
	lo = vma_lookup(mm, 0x10);
	hi = vma_lookup(mm, 0x14);
	ck_assert_ptr_ne(lo, hi);
	av = lo->anon_vma;
	ck_assert_ptr_eq(av, hi->anon_vma);
	assert_world_clean();
	first = list_first_entry(&av->head, struct anon_vma_chain, same_anon_vma);
	second = list_entry(first->same_anon_vma.next, struct anon_vma_chain, same_anon_vma);
	ck_assert_ptr_eq(first->vma, lo);
	ck_assert_ptr_eq(second->vma, hi);
	list_move(&second->same_anon_vma, &av->head);	/* [hi, lo] */
	mmt_report_reset();
	ck_assert_int_gt(check_anon_vma(av), 0);
	ck_assert_int_eq(mmt_report.first.inv, INV_ANONVMA);
	ck_assert_ptr_nonnull(strstr(mmt_report.first.msg, "vm_pgoff order"));
	list_move(&first->same_anon_vma, &av->head);	/* [lo, hi] */
	assert_world_clean();
}
END_TEST

/* 5.6: i_mmap in vm_pgoff order, the same way */
START_TEST(test_rmap_i_mmap_pgoff_order)
{
	struct mm_struct *mm = spawn();
	struct vm_area_struct *lo, *hi;
	struct address_space *m;

	map(mm, 0x20, 4, RW, MAP_SHARED);
	put(mm, 0x21, 7);
	ck_assert_int_eq(do_mprotect(mm, 0x20, 2, PROT_READ), 0);
	lo = vma_lookup(mm, 0x20);
	hi = vma_lookup(mm, 0x22);
	ck_assert_ptr_ne(lo, hi);
	m = lo->vm_file;
	assert_world_clean();
	ck_assert_ptr_eq(m->i_mmap.next, &lo->shared);
	list_move(&hi->shared, &m->i_mmap);
	mmt_report_reset();
	ck_assert_int_gt(check_mapping(m), 0);
	ck_assert_int_eq(mmt_report.first.inv, INV_RMAP);
	ck_assert_ptr_nonnull(strstr(mmt_report.first.msg, "vm_pgoff order"));
	list_move(&lo->shared, &m->i_mmap);
	assert_world_clean();
}
END_TEST

/*
 * 6.7: two VMAs with one anon_vma link the same anon_vmas.  The child's
 * VMA is split (both halves have its anon_vma and chain {child's, root});
 * take the root's link off the upper half, from both of its lists so that
 * every other clause still holds, and only the shared-chain clause fires.
 */
START_TEST(test_anonvma_shared_chain)
{
	struct mm_struct *p = anon_proc(), *c = fork_mm(p);
	struct vm_area_struct *lo, *hi;
	struct anon_vma_chain *avc;

	ck_assert_int_eq(do_mprotect(c, 0x14, 4, PROT_READ), 0);
	lo = vma_lookup(c, 0x10);
	hi = vma_lookup(c, 0x14);
	ck_assert_ptr_ne(lo, hi);
	ck_assert_ptr_eq(lo->anon_vma, hi->anon_vma);
	assert_world_clean();
	avc = list_last_entry(&hi->anon_vma_chain, struct anon_vma_chain, same_vma);
	ck_assert_ptr_ne(avc->anon_vma, hi->anon_vma);	/* the root's link */
	list_del_init(&avc->same_vma);
	list_del_init(&avc->same_anon_vma);
	mmt_report_reset();
	ck_assert_int_gt(check_world(), 0);
	ck_assert_int_eq(mmt_report.first.inv, INV_ANONVMA);
	ck_assert_ptr_nonnull(strstr(mmt_report.first.msg, "of another chain"));
	mmt_report_reset();
	ck_assert_int_gt(check_vma(lo) + check_vma(hi), 0);
	list_add_tail(&avc->same_vma, &hi->anon_vma_chain);
	list_add_tail(&avc->same_anon_vma, &avc->anon_vma->head);
	assert_world_clean();
}
END_TEST

/* ---------------------------------------------------------- EXCLUSIVE */

START_TEST(test_exclusive_cleared)
{
	struct mm_struct *mm = anon_proc();
	struct folio *f = folio_at(mm, 0x10);

	ck_assert(pte_write(*ptep(mm, 0x10)));
	ck_assert(PageAnonExclusive(&f->page));
	ClearPageAnonExclusive(&f->page);
	assert_fires(INV_EXCLUSIVE);
	SetPageAnonExclusive(&f->page);
	assert_world_clean();
}
END_TEST

START_TEST(test_exclusive_shared_but_marked)
{
	struct mm_struct *p = anon_proc(), *c = fork_mm(p);
	struct folio *f = folio_at(p, 0x12);

	ck_assert_ptr_eq(f, folio_at(c, 0x12));
	ck_assert(!PageAnonExclusive(&f->page));
	SetPageAnonExclusive(&f->page);
	assert_fires(INV_EXCLUSIVE);
	ClearPageAnonExclusive(&f->page);
	assert_world_clean();
}
END_TEST

/* --------------------------------------------------------------- PROT */

START_TEST(test_prot_writable_in_readonly_vma)
{
	struct mm_struct *mm = anon_proc();
	pte_t *p;

	ck_assert_int_eq(do_mprotect(mm, 0x10, 8, PROT_READ), 0);
	assert_world_clean();
	p = ptep(mm, 0x11);
	ck_assert(pte_present(*p) && !pte_write(*p));
	*p = pte_mkwrite(*p);
	assert_fires(INV_PROT);
	*p = pte_wrprotect(*p);
	assert_world_clean();
}
END_TEST

START_TEST(test_prot_cow_shared_writable)
{
	struct mm_struct *p = anon_proc(), *c = fork_mm(p);
	pte_t *pp = ptep(p, 0x13);

	(void)c;
	ck_assert(!pte_write(*pp));
	/* what fork-migration-write-flag ends in */
	*pp = pte_mkwrite(*pp);
	assert_fires(INV_PROT);
	ck_assert(mmt_report.inv_mask & (1ull << INV_EXCLUSIVE));
	mmt_report_reset();
	ck_assert_int_gt(check_mm(p), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_PROT));
	*pp = pte_wrprotect(*pp);
	assert_world_clean();
}
END_TEST

START_TEST(test_prot_write_migration_entry)
{
	struct mm_struct *mm = anon_proc();
	struct folio *f = folio_at(mm, 0x10);
	pte_t *p = ptep(mm, 0x10), old = *p;

	ck_assert_int_eq(do_mprotect(mm, 0x10, 8, PROT_READ), 0);
	old = *p;
	/* mprotect-keeps-write-migration */
	*p = swp_entry_to_pte(make_writable_migration_entry(f->pfn));
	atomic_fetch_sub(&f->page._mapcount, 1);
	assert_fires(INV_PROT);
	ck_assert(mmt_report.inv_mask & (1ull << INV_MIGRATION));
	atomic_fetch_add(&f->page._mapcount, 1);
	*p = old;
	assert_world_clean();
}
END_TEST

START_TEST(test_prot_zero_page_writable)
{
	struct mm_struct *mm = spawn();
	pte_t *p;

	map(mm, 0x10, 2, RW, ANON);
	ck_assert_uint_eq(get(mm, 0x10), 0);
	p = ptep(mm, 0x10);
	ck_assert(pte_present(*p) && pte_pfn(*p) == zero_pfn());
	assert_world_clean();
	*p = pte_mkwrite(*p);
	assert_fires(INV_PROT);
	*p = pte_wrprotect(*p);
	assert_world_clean();
}
END_TEST

/* ---------------------------------------------------------------- RSS */

START_TEST(test_rss_counters)
{
	struct mm_struct *mm = anon_proc();

	for (int i = 0; i < NR_MM_COUNTERS; i++) {
		add_mm_counter(mm, i, 1);
		assert_fires(INV_RSS);
		mmt_report_reset();
		ck_assert_int_gt(check_mm(mm), 0);
		add_mm_counter(mm, i, -1);
		assert_world_clean();
	}
}
END_TEST

START_TEST(test_rss_swap_entries)
{
	struct mm_struct *mm = anon_proc();

	ck_assert_int_eq(sys_swapon(0, 32), 0);
	ck_assert_int_eq(do_madvise(mm, 0x10, 4, MADV_PAGEOUT), 0);
	ck_assert_int_eq(get_mm_counter(mm, MM_SWAPENTS), 4);
	assert_world_clean();
	dec_mm_counter(mm, MM_SWAPENTS);
	assert_fires(INV_RSS);
	inc_mm_counter(mm, MM_SWAPENTS);
	assert_world_clean();
}
END_TEST

/* --------------------------------------------------------------- LEAK */

START_TEST(test_leak_process_left)
{
	struct mm_struct *mm = anon_proc();

	mmt_report_reset();
	ck_assert_int_gt(check_world_empty(), 0);
	ck_assert(mmt_report.inv_mask & (1ull << INV_LEAK));
	mmput(mm);
	ck_assert_int_eq(check_world_empty(), 0);
}
END_TEST

START_TEST(test_leak_memfd_pages_allowed)
{
	struct mm_struct *mm = spawn();

	map(mm, 0x20, 4, RW, MAP_SHARED);
	put(mm, 0x20, 1);
	put(mm, 0x23, 2);
	mmput(mm);
	/* the memfd keeps its pages, as a real one would */
	ck_assert_uint_eq(world_memfd()->nrpages, 2);
	assert_world_clean();
	ck_assert_msg(check_world_empty() == 0, "not empty: %s", first_text());
}
END_TEST

START_TEST(test_leak_unreachable_vma)
{
	struct mm_struct *mm = anon_proc();
	struct vm_area_struct *vma = vma_lookup(mm, 0x10);

	/* a VMA dropped from its mm's list but never freed */
	list_del_init(&vma->vm_list);
	mm->map_count--;
	assert_fires(INV_LEAK);
}
END_TEST

START_TEST(test_leak_mapping_ref)
{
	struct address_space *m = world_memfd();

	mapping_get(m);
	assert_fires(INV_LEAK);
	mmt_report_reset();
	ck_assert_int_gt(check_mapping(m), 0);
	atomic_fetch_sub(&m->refcount, 1);
	assert_world_clean();
}
END_TEST

/* ---------------------------------------------------------- LOCKORDER */

START_TEST(test_lock_left_held)
{
	struct mm_struct *mm = anon_proc();

	down_read(&mm->mmap_lock);
	assert_fires(INV_LOCKORDER);
	up_read(&mm->mmap_lock);
	assert_world_clean();
}
END_TEST

/* ------------------------------------------------------------- budget */

START_TEST(test_budget_caps_report)
{
	struct mm_struct *mm = spawn();
	int n;

	map(mm, 0x10, 40, RW, ANON);
	for (uint64_t a = 0x10; a < 0x10 + 40; a++) {
		put(mm, a, a);
		atomic_fetch_add(&folio_at(mm, a)->page._mapcount, 1);
	}
	mmt_report_reset();
	n = check_world();
	ck_assert_int_ge(n, 40);
	ck_assert_uint_le(mmt_report.count, 16 * 3);	/* a few categories, each capped */
	ck_assert_int_eq(mmt_report.first.inv, INV_MAPCOUNT);
}
END_TEST

/* --------------------------------------------------------------- main */

static TCase *tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *check_suite(void)
{
	Suite *s = suite_create("check");
	TCase *tc;

	tc = tcase(s, "report");
	tcase_add_test(tc, test_names_round_trip);
	tcase_add_test(tc, test_report_keeps_first);
	tcase_add_test(tc, test_warn_names_site);
	tcase_add_test(tc, test_key_survives_edits);
	tcase_add_test_raise_signal(tc, test_bug_aborts, SIGABRT);
	tcase_add_test(tc, test_report_threads);

	tc = tcase(s, "clean");
	tcase_add_test(tc, test_clean_empty_world);
	tcase_add_test(tc, test_clean_lifecycle);
	tcase_add_test(tc, test_clean_swap);
	tcase_add_test(tc, test_clean_migration);

	tc = tcase(s, "MAPCOUNT");
	tcase_add_test(tc, test_mapcount_bumped);
	tcase_add_test(tc, test_mapcount_pte_to_other_frame);
	tcase_add_test(tc, test_mapcount_bad_pfn);

	tc = tcase(s, "REFCOUNT");
	tcase_add_test(tc, test_refcount_leaked_ref);
	tcase_add_test(tc, test_refcount_leaked_frame);
	tcase_add_test(tc, test_refcount_mapped_free_frame);
	tcase_add_test(tc, test_refcount_free_list_of_used_frame);

	tc = tcase(s, "MIGRATION");
	tcase_add_test(tc, test_migration_entry_left);
	tcase_add_test(tc, test_migration_folio_left_locked);

	tc = tcase(s, "SWAPMAP");
	tcase_add_test(tc, test_swapmap_count);
	tcase_add_test(tc, test_swapmap_unused_slot);
	tcase_add_test(tc, test_swapmap_pte_without_device);
	tcase_add_test(tc, test_swapmap_reserved_type);
	tcase_add_test(tc, test_swapmap_cache_flag);

	tc = tcase(s, "RMAP");
	tcase_add_test(tc, test_rmap_index);
	tcase_add_test(tc, test_rmap_wrong_anon_vma);
	tcase_add_test(tc, test_rmap_off_i_mmap);
	tcase_add_test(tc, test_rmap_i_mmap_pgoff_order);
	tcase_add_test(tc, test_rmap_pte_outside_vma);
	tcase_add_test(tc, test_pgdir_slot_array_shared);

	tc = tcase(s, "ANONVMA");
	tcase_add_test(tc, test_anonvma_avc_unlinked);
	tcase_add_test(tc, test_anonvma_degrees);
	tcase_add_test(tc, test_anonvma_freed_reachable);
	tcase_add_test(tc, test_anonvma_parent_freed);
	tcase_add_test(tc, test_anonvma_root_counts_itself);
	tcase_add_test(tc, test_anonvma_shared_chain);
	tcase_add_test(tc, test_anonvma_pgoff_order);

	tc = tcase(s, "EXCLUSIVE");
	tcase_add_test(tc, test_exclusive_cleared);
	tcase_add_test(tc, test_exclusive_shared_but_marked);

	tc = tcase(s, "PROT");
	tcase_add_test(tc, test_prot_writable_in_readonly_vma);
	tcase_add_test(tc, test_prot_cow_shared_writable);
	tcase_add_test(tc, test_prot_write_migration_entry);
	tcase_add_test(tc, test_prot_zero_page_writable);

	tc = tcase(s, "RSS");
	tcase_add_test(tc, test_rss_counters);
	tcase_add_test(tc, test_rss_swap_entries);

	tc = tcase(s, "LEAK");
	tcase_add_test(tc, test_leak_process_left);
	tcase_add_test(tc, test_leak_memfd_pages_allowed);
	tcase_add_test(tc, test_leak_unreachable_vma);
	tcase_add_test(tc, test_leak_mapping_ref);

	tc = tcase(s, "LOCKORDER");
	tcase_add_test(tc, test_lock_left_held);

	tc = tcase(s, "budget");
	tcase_add_test(tc, test_budget_caps_report);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(check_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
