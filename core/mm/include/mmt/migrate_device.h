/* SPDX-License-Identifier: MIT */
/*
 * migrate_device.h - migrate_vma: migrating a range of one VMA to device
 * memory and back, in the three steps a device driver drives.
 *
 *   migrate_vma_setup     collect: walk the range under each pte table's
 *                         lock; a page that can be locked is isolated and
 *                         its pte replaced by a migration entry; holes and
 *                         the zero page are reported as empty entries that
 *                         may be populated (seed 002); then unmap the
 *                         collected pages from every other mapping and drop
 *                         those that cannot migrate (extra references).
 *   (driver)              allocates a destination for each entry it wants
 *                         and copies the data (alloc_and_copy).
 *   migrate_vma_pages     moves the mapping of every collected page to its
 *                         destination, or inserts the new page in an empty
 *                         entry (migrate_vma_insert_page: anonymous VMAs
 *                         only, never with uffd missing mode armed, the
 *                         entry rechecked under the ptl).
 *   (driver)              maps what migrated in its own page table.
 *   migrate_vma_finalize  replaces the migration entries by the new pages,
 *                         or restores the old ones where migration failed,
 *                         unlocks and releases everything.
 *
 * The caller holds mmap_lock for read from setup to finalize; between the
 * steps it yields (cond_resched), so faults, reclaim, move_pages and CPU
 * faults on device entries of other tasks interleave there.
 *
 * src[] and dst[] hold one migrate_pfn() word per page, as in the kernel.
 */
#ifndef MMT_MIGRATE_DEVICE_H
#define MMT_MIGRATE_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/folio.h"
#include "mmt/mm.h"

#define MIGRATE_PFN_VALID	(1ull << 0)
#define MIGRATE_PFN_MIGRATE	(1ull << 1)
#define MIGRATE_PFN_WRITE	(1ull << 3)
#define MIGRATE_PFN_SHIFT	6

static inline uint64_t migrate_pfn(uint64_t pfn)
{
	return (pfn << MIGRATE_PFN_SHIFT) | MIGRATE_PFN_VALID;
}
/* the folio a src/dst word names, or NULL for an empty or skipped entry */
struct folio *migrate_pfn_to_folio(uint64_t mpfn);

/* migrate_vma.flags: which pages the collect step takes */
#define MIGRATE_VMA_SELECT_SYSTEM		0x1
#define MIGRATE_VMA_SELECT_DEVICE_PRIVATE	0x2

#define MIGRATE_VMA_MAX_PAGES	64	/* test_hmm's batch: 64 src/dst words */

struct migrate_vma {
	struct vm_area_struct *vma;
	uint64_t *dst, *src;
	uint64_t cpages;	/* collected: entries with MIGRATE_PFN_MIGRATE */
	uint64_t npages;
	uint64_t start, end;	/* pages, [start, end) inside vma */
	const void *pgmap_owner;	/* device pages of this owner are selected */
	unsigned flags;		/* MIGRATE_VMA_SELECT_* */
	/* a CPU fault's locked, referenced device folio (migrate_to_ram) */
	struct folio *fault_page;
};

/* mmap_lock read held.  0, or -EINVAL for a bad range. */
int migrate_vma_setup(struct migrate_vma *args);
void migrate_vma_pages(struct migrate_vma *migrate);
void migrate_vma_finalize(struct migrate_vma *migrate);

#endif /* MMT_MIGRATE_DEVICE_H */
