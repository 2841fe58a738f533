// SPDX-License-Identifier: MIT
/*
 * userfaultfd.c - minimal userfaultfd: missing-mode registration and the
 * model's stand-in for the handler thread (userfaultfd.h).  A later
 * UFFDIO_MOVE extends this file.
 */
#include <errno.h>

#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/userfaultfd.h"
#include "mmt/world.h"
#include "internal.h"

int userfaultfd_register(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	uint64_t end = start + len, e = start, seq;
	struct vm_area_struct *vma;
	int err = 0;

	if (len == 0 || start >= MMT_TASK_SIZE || len > MMT_TASK_SIZE - start)
		return -EINVAL;
	down_write(&mm->mmap_lock);
	vma = find_vma(mm, start);
	/* at least one VMA must lie in the range */
	if (!vma || vma->vm_start >= end) {
		err = -EINVAL;
		goto out;
	}
	seq = atomic_fetch_add(&the_world->uffd_clock, 1) + 1;
	/* by address: a merge may free the next VMA under us */
	for (; vma && vma->vm_start < end; vma = find_vma(mm, e)) {
		uint64_t s = vma->vm_start > start ? vma->vm_start : start;

		e = vma->vm_end < end ? vma->vm_end : end;
		err = vma_modify_flags(vma, s, e, vma->vm_flags | VM_UFFD_MISSING, false);
		if (err || e >= end)
			break;
	}
	/* stamp the registered range, merged neighbours included (the later time wins) */
	for (vma = find_vma(mm, start); vma && vma->vm_start < end; vma = vma_next(vma))
		if (vma->vm_flags & VM_UFFD_MISSING)
			vma->vm_uffd_seq = seq;
out:
	up_write(&mm->mmap_lock);
	return err;
}

unsigned handle_userfault_missing(struct vm_area_struct *vma, uint64_t addr)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep;

	/* UFFDIO_ZEROPAGE (mfill_atomic_pte_zeropage): only into a none pte */
	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep)
		return VM_FAULT_OOM;
	if (pte_none(ptep_get(ptep)))
		set_pte_at(mm, addr, ptep, pte_mkspecial(pfn_pte(zero_pfn(), false)));
	pte_unmap_unlock(ptl);
	return 0;
}
