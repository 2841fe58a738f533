/* SPDX-License-Identifier: MIT */
/*
 * hmm.h - the in-model HMM device driver, after lib/test_hmm.c's dmirror:
 * it migrates ranges of a process to its device-private memory and back
 * with migrate_vma, and it owns the device's pagemap, so a CPU fault on one
 * of its device-private entries comes to its migrate_to_ram.
 *
 * The device's copy of a page's data is the device folio's value: the
 * driver copies into it when a page moves to the device (a hole or the zero
 * page gives zeroes) and out of it when the page comes back.
 */
#ifndef MMT_HMM_H
#define MMT_HMM_H

#include <stdint.h>

#include "mmt/folio.h"
#include "mmt/mm.h"

/* pgmap->owner of the driver's device memory */
extern const char dmirror_owner[];

/*
 * HMM_DMIRROR_MIGRATE_TO_DEV: migrate [start, start+npages) of @mm to the
 * device, 64 pages per migrate_vma round, holes and zero pages populated
 * in anonymous VMAs.  Takes mmap_lock for read.  0, -EINVAL for an empty
 * range or one that is not all mapped readable.  Pages left behind (device
 * memory full, pages busy) are no error: migrate_vma is best effort.
 */
int dmirror_migrate_to_device(struct mm_struct *mm, uint64_t start, uint64_t npages);
/*
 * HMM_DMIRROR_MIGRATE_TO_SYS: bring the device's pages of the range back
 * to system memory.  Same locking and errors; -ENOMEM when no system page
 * could be had.
 */
int dmirror_migrate_to_system(struct mm_struct *mm, uint64_t start, uint64_t npages);
/*
 * pgmap->ops->migrate_to_ram (dmirror_devmem_fault): a CPU fault at @addr
 * found a device-private entry for @page, which the fault has locked and
 * referenced.  mmap_lock read held.  0 or a VM_FAULT_ code.
 */
unsigned dmirror_devmem_fault(struct vm_area_struct *vma, uint64_t addr, struct folio *page);

#endif /* MMT_HMM_H */
