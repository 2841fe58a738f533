/* SPDX-License-Identifier: MIT */
/*
 * pte.h - page-table entry and swap-entry encoding.
 *
 * This is the only place that knows the bit layout.  Everything else asks
 * these inline helpers, so a reader can hold it beside include/linux/swapops.h.
 *
 * A pte_t is 64 bits.  Bit 0 says which of the two layouts applies.
 *
 * Present PTE (PTE_PRESENT set):
 *
 *   63        52 51                                   12 11  10  9  8  7  6  5  4..2  1  0
 *  +------------+---------------------------------------+---+---+--+--+--+--+--+-----+--+--+
 *  |     0      |                  pfn                  | 0 | 0 |SP| 0| 0| D| A|  0  | W| P|
 *  +------------+---------------------------------------+---+---+--+--+--+--+--+-----+--+--+
 *     P = present, W = writable, A = accessed (young), D = dirty,
 *     SP = special (no struct folio behind it: the zero page).
 *
 * Non-present, non-none PTE (PTE_PRESENT clear, value != 0): a swap PTE.
 *
 *   63 62                                       12 11    7  6   5        1  0
 *  +--+-------------------------------------------+-------+---+----------+--+
 *  |0 |                   offset                  |   0   | X |   type   | 0|
 *  +--+-------------------------------------------+-------+---+----------+--+
 *     type (5 bits) selects a swap device, or one of the reserved types at
 *     the top of the range; X = swp_exclusive (the page was AnonExclusive
 *     when it was unmapped).  For migration and device-private entries the
 *     offset is a pfn.
 *
 * swp_entry_t is the architecture-independent (type, offset) pair.  The
 * reserved types are carved from the top of the 5-bit type space, as the
 * 2006 "swapless migration" change did for SWP_MIGRATION_READ/WRITE:
 *
 *   0 .. MAX_SWAPFILES-1        real swap devices (26 of them)
 *   SWP_MIGRATION_READ          migration, map read-only afterwards
 *   SWP_MIGRATION_READ_EXCL     migration, read-only but AnonExclusive
 *   SWP_MIGRATION_WRITE         migration, map writable afterwards
 *   SWP_DEVICE_WRITE/READ       device-private memory (migrate_vma)
 *   SWP_PTE_MARKER              marker with no page behind it (uffd-wp, ...)
 *
 * The migration types come first after the last real type, as they did in
 * 2006 and do now (after hwpoison, which the model leaves out): an off-by-
 * range check in swapon hands out SWP_MIGRATION_READ first.
 *
 * A pmd_t is a pte_t one level up.  A pmd entry either points at a pte
 * table (the model keeps that link in the page-table structure, mm.h, and
 * the pmd_t itself is then none) or is a leaf mapping a PMD-sized folio
 * whole (HPAGE_PMD_NR pages, huge_mm.h), with the present layout above
 * plus x86's page-size bit:
 *
 *   63        52 51                                   12 11  10  9  8  7  6  5  4..2  1  0
 *  +------------+---------------------------------------+---+---+--+--+--+--+--+-----+--+--+
 *  |     0      |            pfn of the head            | 0 | 0 | 0| 0|PS| D| A|  0  | W| P|
 *  +------------+---------------------------------------+---+---+--+--+--+--+--+-----+--+--+
 *     PS = page size: this pmd maps a huge page, not a table.
 *
 * A non-present, non-none pmd_t is a PMD migration entry: a swap pmd
 * with the swap pte's layout, of a migration type, naming the head's pfn
 * (set_pmd_migration_entry).  There are no PMD-level swap entries proper
 * (a PMD-mapped THP is split before it is swapped, docs/model.md).
 */
#ifndef MMT_PTE_H
#define MMT_PTE_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct { uint64_t pte; } pte_t;
typedef struct { uint64_t pmd; } pmd_t;
typedef struct { uint64_t val; } swp_entry_t;

#define PTE_PRESENT	(1ull << 0)
#define PTE_WRITE	(1ull << 1)
#define PTE_YOUNG	(1ull << 5)
#define PTE_DIRTY	(1ull << 6)
#define PTE_SPECIAL	(1ull << 9)
#define PMD_HUGE	(1ull << 7)	/* _PAGE_PSE */
#define PTE_PFN_SHIFT	12
#define PTE_PFN_BITS	40
#define PTE_PFN_MASK	(((1ull << PTE_PFN_BITS) - 1) << PTE_PFN_SHIFT)

#define SWP_TYPE_SHIFT		1
#define SWP_TYPE_BITS		5	/* MAX_SWAPFILES_SHIFT */
#define SWP_TYPE_MASK		(((1ull << SWP_TYPE_BITS) - 1) << SWP_TYPE_SHIFT)
#define SWP_EXCLUSIVE_BIT	(1ull << 6)
#define SWP_OFFSET_SHIFT	12
#define SWP_OFFSET_BITS		50
#define SWP_OFFSET_MASK		(((1ull << SWP_OFFSET_BITS) - 1) << SWP_OFFSET_SHIFT)

#define MAX_SWAPFILES_SHIFT	SWP_TYPE_BITS
#define SWP_DEVICE_NUM		2
#define SWP_MIGRATION_NUM	3
#define SWP_PTE_MARKER_NUM	1
#define MAX_SWAPFILES \
	((1 << MAX_SWAPFILES_SHIFT) - SWP_DEVICE_NUM - SWP_MIGRATION_NUM - SWP_PTE_MARKER_NUM)

#define SWP_MIGRATION_READ	(MAX_SWAPFILES)
#define SWP_MIGRATION_READ_EXCL	(MAX_SWAPFILES + 1)
#define SWP_MIGRATION_WRITE	(MAX_SWAPFILES + 2)
#define SWP_DEVICE_WRITE	(MAX_SWAPFILES + SWP_MIGRATION_NUM)
#define SWP_DEVICE_READ		(MAX_SWAPFILES + SWP_MIGRATION_NUM + 1)
#define SWP_PTE_MARKER		(MAX_SWAPFILES + SWP_MIGRATION_NUM + SWP_DEVICE_NUM)

/* Build-time checks on the layout: the fields must not overlap. */
static_assert((PTE_PFN_MASK & (PTE_PRESENT | PTE_WRITE | PTE_YOUNG | PTE_DIRTY |
			       PTE_SPECIAL)) == 0, "pfn overlaps pte flags");
static_assert((SWP_TYPE_MASK & (SWP_EXCLUSIVE_BIT | SWP_OFFSET_MASK | PTE_PRESENT)) == 0,
	      "swap type overlaps another swap pte field");
static_assert((SWP_OFFSET_MASK & SWP_EXCLUSIVE_BIT) == 0, "offset overlaps swp_exclusive");
static_assert(SWP_OFFSET_SHIFT + SWP_OFFSET_BITS <= 63, "swap offset too wide");
static_assert(SWP_PTE_MARKER == (1 << MAX_SWAPFILES_SHIFT) - 1,
	      "reserved swap types must fill the top of the type space exactly");
static_assert(MAX_SWAPFILES > 0, "no room left for swap devices");
static_assert((PMD_HUGE & (PTE_PFN_MASK | PTE_PRESENT | PTE_WRITE | PTE_YOUNG | PTE_DIRTY |
			   PTE_SPECIAL)) == 0, "the page-size bit overlaps another pmd field");

/* ---------------------------------------------------------------- ptes */

static inline pte_t __pte(uint64_t v) { return (pte_t){ v }; }
static inline uint64_t pte_val(pte_t p) { return p.pte; }
static inline bool pte_none(pte_t p) { return p.pte == 0; }
static inline bool pte_present(pte_t p) { return (p.pte & PTE_PRESENT) != 0; }
static inline bool pte_write(pte_t p) { return pte_present(p) && (p.pte & PTE_WRITE); }
static inline bool pte_dirty(pte_t p) { return pte_present(p) && (p.pte & PTE_DIRTY); }
static inline bool pte_young(pte_t p) { return pte_present(p) && (p.pte & PTE_YOUNG); }
static inline bool pte_special(pte_t p) { return pte_present(p) && (p.pte & PTE_SPECIAL); }
static inline uint64_t pte_pfn(pte_t p) { return (p.pte & PTE_PFN_MASK) >> PTE_PFN_SHIFT; }

static inline pte_t pfn_pte(uint64_t pfn, bool write)
{
	assert(pfn < (1ull << PTE_PFN_BITS));
	return __pte((pfn << PTE_PFN_SHIFT) | PTE_PRESENT | (write ? PTE_WRITE : 0));
}
static inline pte_t pte_mkwrite(pte_t p) { return __pte(p.pte | PTE_WRITE); }
static inline pte_t pte_wrprotect(pte_t p) { return __pte(p.pte & ~PTE_WRITE); }
static inline pte_t pte_mkdirty(pte_t p) { return __pte(p.pte | PTE_DIRTY); }
static inline pte_t pte_mkclean(pte_t p) { return __pte(p.pte & ~PTE_DIRTY); }
static inline pte_t pte_mkyoung(pte_t p) { return __pte(p.pte | PTE_YOUNG); }
static inline pte_t pte_mkold(pte_t p) { return __pte(p.pte & ~PTE_YOUNG); }
static inline pte_t pte_mkspecial(pte_t p) { return __pte(p.pte | PTE_SPECIAL); }

/* ---------------------------------------------------------------- pmds */

static inline pmd_t __pmd(uint64_t v) { return (pmd_t){ v }; }
static inline uint64_t pmd_val(pmd_t p) { return p.pmd; }
static inline bool pmd_none(pmd_t p) { return p.pmd == 0; }
static inline bool pmd_present(pmd_t p) { return (p.pmd & PTE_PRESENT) != 0; }
/* a present leaf: what pmd_trans_huge() says of an anonymous THP */
static inline bool pmd_trans_huge(pmd_t p)
{
	return (p.pmd & (PTE_PRESENT | PMD_HUGE)) == (PTE_PRESENT | PMD_HUGE);
}
static inline bool pmd_write(pmd_t p) { return pmd_present(p) && (p.pmd & PTE_WRITE); }
static inline bool pmd_dirty(pmd_t p) { return pmd_present(p) && (p.pmd & PTE_DIRTY); }
static inline bool pmd_young(pmd_t p) { return pmd_present(p) && (p.pmd & PTE_YOUNG); }
static inline uint64_t pmd_pfn(pmd_t p) { return (p.pmd & PTE_PFN_MASK) >> PTE_PFN_SHIFT; }
static inline pmd_t pfn_pmd(uint64_t pfn, bool write)
{
	assert(pfn < (1ull << PTE_PFN_BITS));
	return __pmd((pfn << PTE_PFN_SHIFT) | PTE_PRESENT | PMD_HUGE | (write ? PTE_WRITE : 0));
}
static inline pmd_t pmd_mkwrite(pmd_t p) { return __pmd(p.pmd | PTE_WRITE); }
static inline pmd_t pmd_wrprotect(pmd_t p) { return __pmd(p.pmd & ~PTE_WRITE); }
static inline pmd_t pmd_mkdirty(pmd_t p) { return __pmd(p.pmd | PTE_DIRTY); }
static inline pmd_t pmd_mkyoung(pmd_t p) { return __pmd(p.pmd | PTE_YOUNG); }
static inline pmd_t pmd_mkold(pmd_t p) { return __pmd(p.pmd & ~PTE_YOUNG); }
/* a pmd no struct page stands behind for vm_normal_page_pmd: the huge zero folio's */
static inline bool pmd_special(pmd_t p) { return pmd_present(p) && (p.pmd & PTE_SPECIAL); }
static inline pmd_t pmd_mkspecial(pmd_t p) { return __pmd(p.pmd | PTE_SPECIAL); }
/* a leaf of either kind: a huge page, or the swap pmd standing for one */
static inline bool pmd_is_huge(pmd_t p) { return !pmd_none(p); }
static inline bool is_swap_pmd(pmd_t p) { return !pmd_none(p) && !pmd_present(p); }

/* ------------------------------------------------------- swap entries */

static inline swp_entry_t swp_entry(unsigned type, uint64_t offset)
{
	assert(type < (1u << SWP_TYPE_BITS));
	assert(offset < (1ull << SWP_OFFSET_BITS));
	return (swp_entry_t){ ((uint64_t)type << 56) | offset };
}
static inline unsigned swp_type(swp_entry_t e) { return (unsigned)(e.val >> 56); }
static inline uint64_t swp_offset(swp_entry_t e) { return e.val & ((1ull << 56) - 1); }

static inline bool is_swap_pte(pte_t p) { return !pte_none(p) && !pte_present(p); }

static inline pte_t swp_entry_to_pte(swp_entry_t e)
{
	return __pte(((uint64_t)swp_type(e) << SWP_TYPE_SHIFT) |
		     (swp_offset(e) << SWP_OFFSET_SHIFT));
}
static inline swp_entry_t pte_to_swp_entry(pte_t p)
{
	assert(is_swap_pte(p));
	return swp_entry((unsigned)((p.pte & SWP_TYPE_MASK) >> SWP_TYPE_SHIFT),
			 (p.pte & SWP_OFFSET_MASK) >> SWP_OFFSET_SHIFT);
}
static inline bool pte_swp_exclusive(pte_t p) { return (p.pte & SWP_EXCLUSIVE_BIT) != 0; }
static inline pte_t pte_swp_mkexclusive(pte_t p) { return __pte(p.pte | SWP_EXCLUSIVE_BIT); }
static inline pte_t pte_swp_clear_exclusive(pte_t p) { return __pte(p.pte & ~SWP_EXCLUSIVE_BIT); }

static inline bool non_swap_entry(swp_entry_t e) { return swp_type(e) >= MAX_SWAPFILES; }

static inline bool is_migration_entry(swp_entry_t e)
{
	unsigned t = swp_type(e);
	return t == SWP_MIGRATION_READ || t == SWP_MIGRATION_READ_EXCL ||
	       t == SWP_MIGRATION_WRITE;
}
static inline bool is_writable_migration_entry(swp_entry_t e)
{
	return swp_type(e) == SWP_MIGRATION_WRITE;
}
static inline bool is_readable_exclusive_migration_entry(swp_entry_t e)
{
	return swp_type(e) == SWP_MIGRATION_READ_EXCL;
}
static inline swp_entry_t make_readable_migration_entry(uint64_t pfn)
{
	return swp_entry(SWP_MIGRATION_READ, pfn);
}
static inline swp_entry_t make_readable_exclusive_migration_entry(uint64_t pfn)
{
	return swp_entry(SWP_MIGRATION_READ_EXCL, pfn);
}
static inline swp_entry_t make_writable_migration_entry(uint64_t pfn)
{
	return swp_entry(SWP_MIGRATION_WRITE, pfn);
}

static inline bool is_device_private_entry(swp_entry_t e)
{
	return swp_type(e) == SWP_DEVICE_READ || swp_type(e) == SWP_DEVICE_WRITE;
}
static inline bool is_writable_device_private_entry(swp_entry_t e)
{
	return swp_type(e) == SWP_DEVICE_WRITE;
}
static inline swp_entry_t make_readable_device_private_entry(uint64_t pfn)
{
	return swp_entry(SWP_DEVICE_READ, pfn);
}
static inline swp_entry_t make_writable_device_private_entry(uint64_t pfn)
{
	return swp_entry(SWP_DEVICE_WRITE, pfn);
}
static inline bool is_pte_marker_entry(swp_entry_t e) { return swp_type(e) == SWP_PTE_MARKER; }

static inline pmd_t swp_entry_to_pmd(swp_entry_t e)
{
	return __pmd(pte_val(swp_entry_to_pte(e)));
}
static inline swp_entry_t pmd_to_swp_entry(pmd_t p)
{
	return pte_to_swp_entry(__pte(pmd_val(p)));
}
static inline bool is_pmd_migration_entry(pmd_t p)
{
	return is_swap_pmd(p) && is_migration_entry(pmd_to_swp_entry(p));
}

/* Entries whose offset is a pfn rather than a swap slot. */
static inline bool is_pfn_swap_entry(swp_entry_t e)
{
	return is_migration_entry(e) || is_device_private_entry(e);
}
static inline uint64_t swp_offset_pfn(swp_entry_t e)
{
	assert(is_pfn_swap_entry(e));
	return swp_offset(e);
}

#endif /* MMT_PTE_H */
