/* SPDX-License-Identifier: MIT */
/*
 * mmt_test.h - what the model's unit tests share: a small world built before
 * each test and destroyed after it, user accesses that must succeed, and the
 * "every invariant holds" assertions that end most tests.
 */
#ifndef MMT_TEST_H
#define MMT_TEST_H

#include <check.h>
#include <stdint.h>

#include "mmt/check.h"
#include "mmt/gup.h"
#include "mmt/mm.h"
#include "mmt/world.h"

#define RW		(PROT_READ | PROT_WRITE)
#define PRIV_ANON	(MAP_PRIVATE | MAP_ANONYMOUS)

static struct world *w;

/* two nodes, 64 frames, no swap: small enough for every test to fill */
static void setup(void)
{
	struct world_config cfg;

	world_config_default(&cfg);
	cfg.nodes = 2;
	cfg.frames = 64;
	w = world_create(&cfg);
	ck_assert_ptr_nonnull(w);
	mmt_report_reset();
}

static void teardown(void)
{
	world_destroy(w);
	w = NULL;
}

static inline uint64_t rd(struct mm_struct *mm, uint64_t addr)
{
	uint64_t v = 0xdeadbeef;

	ck_assert_int_eq(mmt_access(mm, addr, false, &v), 0);
	return v;
}

static inline void wr(struct mm_struct *mm, uint64_t addr, uint64_t v)
{
	ck_assert_int_eq(mmt_access(mm, addr, true, &v), 0);
}

static inline void assert_clean(void)
{
	ck_assert_int_eq(check_world(), 0);
	ck_assert_uint_eq(mmt_report.count, 0);
}

/*
 * the world again: @nodes nodes, @frames frames in all, anon THP orders
 * @orders (bit k: order k; 5 is the PMD-sized THP) set to "madvise"
 */
static inline void world_again(int nodes, uint32_t frames, uint32_t orders)
{
	struct world_config cfg;

	world_destroy(w);
	world_config_default(&cfg);
	cfg.nodes = nodes;
	cfg.frames = frames;
	cfg.thp_orders = orders;
	w = world_create(&cfg);
	ck_assert_ptr_nonnull(w);
}

/* the world again, with anon mTHP orders @orders (bit k: order k) set to "madvise" */
static inline void thp_world(uint32_t orders)
{
	world_again(2, 64, orders);
}

/* the page a present pte of @mm maps at @a */
static inline struct page *page_at(struct mm_struct *mm, uint64_t a)
{
	pte_t *pte = mmt_pte_peek(mm, a);

	ck_assert_ptr_nonnull(pte);
	ck_assert(pte_present(*pte));
	return pfn_to_page(pte_pfn(*pte));
}

/* the device's access through @mm's pin at @a (gup_pin_access), which must exist */
static inline uint64_t dma_read(struct mm_struct *mm, uint64_t a)
{
	uint64_t v = 0;

	ck_assert_int_eq(gup_pin_access(mm, a, false, &v), 0);
	return v;
}

static inline void dma_write(struct mm_struct *mm, uint64_t a, uint64_t v)
{
	ck_assert_int_eq(gup_pin_access(mm, a, true, &v), 0);
}

static inline void assert_empty(void)
{
	ck_assert_int_eq(check_world_empty(), 0);
	ck_assert_uint_eq(mmt_report.count, 0);
}

#endif /* MMT_TEST_H */
