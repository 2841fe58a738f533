/* SPDX-License-Identifier: MIT */
/*
 * userfaultfd.h - userfaultfd: registration of a range in missing mode
 * (UFFDIO_REGISTER_MODE_MISSING), what a missing fault in such a range
 * does in the model, and UFFDIO_MOVE.  A process has one userfaultfd, made
 * by its first registration; a move's destination must be registered.
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

/* uffdio_move.mode */
#define UFFDIO_MOVE_MODE_DONTWAKE		0x1
#define UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES	0x2

/*
 * move_pages - UFFDIO_MOVE's work: move [src, src+len) of @mm's private
 * anonymous memory to [dst, dst+len) of a VMA registered with @mm's
 * userfaultfd, page by page (move_pages_pte), without copying.  Takes
 * mmap_lock for read.  Returns the pages moved, or -errno if none was:
 * ENOENT (no VMA at dst or src, a source hole without ALLOW_SRC_HOLES),
 * EINVAL (a range leaves its VMA, a shared, file, unregistered or
 * read-only VMA, access flags that differ), EEXIST (a destination pte is
 * not none), EBUSY (a page is not exclusive to this mm: COW-shared, KSM,
 * or a non-exclusive swap entry), EFAULT (a device-private entry).
 */
long move_pages(struct mm_struct *mm, uint64_t dst, uint64_t src, uint64_t len, unsigned mode);
/*
 * The UFFDIO_MOVE ioctl: validate_range on both ranges and the mode, then
 * move_pages.  0 when every page moved, -EAGAIN when only some did, or
 * move_pages' -errno; -ESRCH if the mm is gone.  *@moved gets what
 * uffdio_move.move tells userspace: the pages moved (0 on an error).
 */
int userfaultfd_move(struct mm_struct *mm, uint64_t dst, uint64_t src, uint64_t len,
		     unsigned mode, uint64_t *moved);

#endif /* MMT_USERFAULTFD_H */
