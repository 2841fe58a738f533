// SPDX-License-Identifier: MIT
/*
 * test_hmm.c - the in-model device driver (hmm.h), in the spirit of the
 * kernel's lib/test_hmm.c: ranges migrate to its device-private memory and
 * back through migrate_vma, in the driver's three steps, and a CPU fault on
 * one of its pages migrates that page back (dmirror_devmem_fault).
 *
 * Locks: mmap_lock for read across each migrate_vma round, as the
 * dmirror ioctls hold it; the device frames' free list (memremap.c) inside.
 * Between the steps the driver yields, where the real one allocates and
 * copies and may sleep.
 */
#include <errno.h>

#include "mmt/folio.h"
#include "mmt/hmm.h"
#include "mmt/memremap.h"
#include "mmt/migrate_device.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/world.h"
#include "internal.h"

const char dmirror_owner[] = "dmirror";

/*
 * dmirror_migrate_alloc_and_copy - a device frame for every entry that may
 * migrate, holding a copy of the page (zeroes for an empty entry).  A full
 * device leaves the entry without a destination: it stays where it is.
 */
static void dmirror_migrate_alloc_and_copy(struct migrate_vma *args)
{
	for (uint64_t i = 0; i < args->npages; i++) {
		struct folio *spage = migrate_pfn_to_folio(args->src[i]);
		struct folio *dpage;

		if (!(args->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		/* a page already on the device is never selected (SELECT_SYSTEM) */
		VM_BUG_ON(spage && folio_is_zone_device(spage), INV_DEVICE,
			  "device folio pfn %u collected for migration to the device", spage->pfn);
		dpage = device_folio_alloc();
		if (!dpage)
			continue;
		atomic_store(&dpage->value, spage ? atomic_load(&spage->value) : 0);
		args->dst[i] = migrate_pfn(dpage->pfn);
		if ((args->src[i] & MIGRATE_PFN_WRITE) ||
		    (!spage && (args->vma->vm_flags & VM_WRITE)))
			args->dst[i] |= MIGRATE_PFN_WRITE;
	}
}

/*
 * dmirror_devmem_fault_alloc_and_copy - a system page for each device page
 * that may come back, holding the device's copy.  VM_FAULT_OOM if memory
 * ran out (the entries without a destination stay on the device).
 */
static unsigned dmirror_devmem_fault_alloc_and_copy(struct migrate_vma *args)
{
	struct mm_struct *mm = args->vma->vm_mm;
	unsigned ret = 0;

	for (uint64_t i = 0; i < args->npages; i++) {
		struct folio *spage = migrate_pfn_to_folio(args->src[i]);
		struct folio *dpage;

		if (!spage || !(args->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		dpage = folio_alloc(mm->home_node, false);
		if (!dpage) {
			ret = VM_FAULT_OOM;
			continue;
		}
		if (!folio_trylock(dpage))
			mmt_bug(INV_BUG, __FILE__, __LINE__, "folio_trylock(dpage)",
				"new folio pfn %u already locked", dpage->pfn);
		atomic_store(&dpage->value, atomic_load(&spage->value));
		args->dst[i] = migrate_pfn(dpage->pfn) | (args->src[i] & MIGRATE_PFN_WRITE);
	}
	return ret;
}

/* the VMA of [addr, ...) and the end of this round; NULL if not readable */
static struct vm_area_struct *dmirror_round(struct mm_struct *mm, uint64_t addr, uint64_t end,
					    uint64_t *next)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);

	if (!vma || !(vma->vm_flags & VM_READ))
		return NULL;
	*next = addr + MIGRATE_VMA_MAX_PAGES < end ? addr + MIGRATE_VMA_MAX_PAGES : end;
	if (*next > vma->vm_end)
		*next = vma->vm_end;
	return vma;
}

static int dmirror_migrate(struct mm_struct *mm, uint64_t start, uint64_t npages, bool to_dev)
{
	uint64_t src[MIGRATE_VMA_MAX_PAGES], dst[MIGRATE_VMA_MAX_PAGES];
	uint64_t end = start + npages, next;
	int ret = 0;

	if (npages == 0 || start >= MMT_TASK_SIZE || npages > MMT_TASK_SIZE - start)
		return -EINVAL;
	down_read(&mm->mmap_lock);
	for (uint64_t addr = start; addr < end; addr = next) {
		struct migrate_vma args = {
			.src = src, .dst = dst,
			.pgmap_owner = dmirror_owner,
			.flags = to_dev ? MIGRATE_VMA_SELECT_SYSTEM :
					  MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		};

		args.vma = dmirror_round(mm, addr, end, &next);
		if (!args.vma) {
			ret = -EINVAL;
			break;
		}
		args.start = addr;
		args.end = next;
		ret = migrate_vma_setup(&args);
		if (ret)
			break;
		cond_resched();
		if (to_dev) {
			dmirror_migrate_alloc_and_copy(&args);
		} else if (dmirror_devmem_fault_alloc_and_copy(&args)) {
			ret = -ENOMEM;
		}
		migrate_vma_pages(&args);
		cond_resched();
		migrate_vma_finalize(&args);
		if (ret)
			break;
		cond_resched();
	}
	up_read(&mm->mmap_lock);
	return ret;
}

int dmirror_migrate_to_device(struct mm_struct *mm, uint64_t start, uint64_t npages)
{
	return dmirror_migrate(mm, start, npages, true);
}

int dmirror_migrate_to_system(struct mm_struct *mm, uint64_t start, uint64_t npages)
{
	return dmirror_migrate(mm, start, npages, false);
}

unsigned dmirror_devmem_fault(struct vm_area_struct *vma, uint64_t addr, struct folio *page)
{
	uint64_t src[1], dst[1];
	struct migrate_vma args = {
		.vma = vma, .src = src, .dst = dst,
		.start = addr, .end = addr + 1,
		.pgmap_owner = dmirror_owner,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page = page,
	};
	unsigned ret;

	if (migrate_vma_setup(&args))
		return VM_FAULT_SIGBUS;
	cond_resched();
	ret = dmirror_devmem_fault_alloc_and_copy(&args);
	migrate_vma_pages(&args);
	cond_resched();
	migrate_vma_finalize(&args);
	return ret;
}
