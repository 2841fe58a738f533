/* SPDX-License-Identifier: MIT */
/*
 * userfaultfd.h - a minimal userfaultfd: registration of a range in
 * missing mode (UFFDIO_REGISTER_MODE_MISSING), and what a missing fault
 * in such a range does in the model.
 *
 * Registration sets VM_UFFD_MISSING on every VMA of the range, splitting
 * the VMAs at the range's ends as userfaultfd_register() does.  A fork
 * child does not inherit it (no UFFD_FEATURE_EVENT_FORK), nor does the
 * target of an mremap (no UFFD_FEATURE_EVENT_REMAP).
 *
 * The model has no handler thread.  A missing fault in an anonymous
 * uffd-missing VMA is resolved as if the handler answered UFFDIO_ZEROPAGE:
 * the zero page is mapped and the access retried (a write then breaks COW
 * on it as usual), so what a process reads is what it would read without
 * uffd.  A missing fault in a shmem VMA is filled as shmem_fault fills it,
 * which is what UFFDIO_ZEROPAGE on shmem does as well.
 */
#ifndef MMT_USERFAULTFD_H
#define MMT_USERFAULTFD_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/mm.h"

static inline bool userfaultfd_missing(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & VM_UFFD_MISSING) != 0;
}

/*
 * UFFDIO_REGISTER with UFFDIO_REGISTER_MODE_MISSING over [start, start+len)
 * of @mm.  Takes mmap_lock for write.  0, or -EINVAL (empty or bad range,
 * no VMA in it).
 */
int userfaultfd_register(struct mm_struct *mm, uint64_t start, uint64_t len);

/*
 * A missing fault at @addr of an anonymous uffd-missing VMA, ptl not held:
 * the model's handler answers UFFDIO_ZEROPAGE.  Returns 0 (retry the
 * access).  mmap_lock read held.
 */
unsigned handle_userfault_missing(struct vm_area_struct *vma, uint64_t addr);

#endif /* MMT_USERFAULTFD_H */
