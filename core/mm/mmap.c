// SPDX-License-Identifier: MIT
/*
 * mmap.c - process address spaces: spawn, fork (dup_mmap), exit, and the
 * VMA-level syscalls mmap, munmap, mprotect, mremap and madvise, with the
 * VMA splitting and merging that make their results match Linux's.
 *
 * Every syscall here takes mmap_lock for write, except madvise's
 * MADV_DONTNEED/COLD/PAGEOUT which, like the kernel, only read it.
 *
 * Merging matters for more than tidiness: mremap requires the old range to
 * lie inside one VMA, so two adjacent compatible mappings must have become
 * one VMA for the same call to succeed here as it does on Linux.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/folio.h"
#include "mmt/gup.h"
#include "mmt/huge_mm.h"
#include "mmt/inject.h"
#include "mmt/khugepaged.h"
#include "mmt/ksm.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/world.h"
#include "internal.h"

/* ------------------------------------------------------------ VMA list */

struct vm_area_struct *find_vma(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *vma;

	kp_access(mm, KP_F_VMA, false);
	list_for_each_entry(vma, &mm->mmap, vm_list)
		if (vma->vm_end > addr)
			return vma;
	return NULL;
}

struct vm_area_struct *vma_lookup(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	return (vma && vma->vm_start <= addr) ? vma : NULL;
}

struct vm_area_struct *vma_next(struct vm_area_struct *vma)
{
	if (vma->vm_list.next == &vma->vm_mm->mmap)
		return NULL;
	return list_entry(vma->vm_list.next, struct vm_area_struct, vm_list);
}

struct vm_area_struct *vma_prev(struct vm_area_struct *vma)
{
	if (vma->vm_list.prev == &vma->vm_mm->mmap)
		return NULL;
	return list_entry(vma->vm_list.prev, struct vm_area_struct, vm_list);
}

static struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = pool_alloc(&the_world->vma_pool);

	if (!vma)
		return NULL;
	vma->id = pool_index(&the_world->vma_pool, vma);
	vma->vm_mm = mm;
	INIT_LIST_HEAD(&vma->vm_list);
	INIT_LIST_HEAD(&vma->anon_vma_chain);
	INIT_LIST_HEAD(&vma->shared);
	return vma;
}

/* a copy of @orig's attributes, not yet linked anywhere */
static struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig)
{
	struct vm_area_struct *vma = vm_area_alloc(orig->vm_mm);

	if (!vma)
		return NULL;
	vma->vm_start = orig->vm_start;
	vma->vm_end = orig->vm_end;
	vma->vm_pgoff = orig->vm_pgoff;
	vma->vm_flags = orig->vm_flags;
	vma->vm_uffd_seq = orig->vm_uffd_seq;
	vma->anon_vma = orig->anon_vma;
	vma->vm_file = orig->vm_file;
	return vma;
}

static void vma_link_list(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *pos;

	kp_access(mm, KP_F_VMA, true);
	list_for_each_entry(pos, &mm->mmap, vm_list) {
		if (pos->vm_start > vma->vm_start) {
			list_add_tail(&vma->vm_list, &pos->vm_list);
			mm->map_count++;
			return;
		}
	}
	list_add_tail(&vma->vm_list, &mm->mmap);
	mm->map_count++;
}

/* detach and free a VMA whose ptes are already gone */
static void remove_vma(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;

	kp_access(mm, KP_F_VMA, true);
	kp_access(vma, KP_F_VMA, true);
	list_del_init(&vma->vm_list);
	mm->map_count--;
	unlink_anon_vmas(vma);
	if (vma->vm_file) {
		vma_unlink_file(vma);
		mapping_put(vma->vm_file);
	}
	pool_free(&the_world->vma_pool, vma);
}

/*
 * __split_vma - cut @vma at @addr; the new VMA takes the part below @addr if
 * @new_below, else the part above.  mmap_lock held for write.
 */
static int __split_vma(struct vm_area_struct *vma, uint64_t addr, bool new_below)
{
	struct vm_area_struct *new;
	int err;

	VM_BUG_ON(addr <= vma->vm_start || addr >= vma->vm_end, INV_BUG,
		  "split of vma [%#llx,%#llx) at %#llx", (unsigned long long)vma->vm_start,
		  (unsigned long long)vma->vm_end, (unsigned long long)addr);
	kp_access(vma, KP_F_VMA, true);
	new = vm_area_dup(vma);
	if (!new)
		return -ENOMEM;
	/* no huge pmd may straddle the new boundary */
	vma_adjust_trans_huge(vma, addr);
	if (new_below) {
		new->vm_end = addr;
	} else {
		new->vm_start = addr;
		new->vm_pgoff += addr - vma->vm_start;
	}
	err = anon_vma_clone(new, vma);
	if (err) {
		pool_free(&the_world->vma_pool, new);
		return err;
	}
	if (new->vm_file) {
		mapping_get(new->vm_file);
		vma_link_file(new, NULL);
	}
	/*
	 * The rmap locks keep walkers from seeing the two halves overlap, and
	 * from reading the bounds while they change: both of them, as
	 * vma_prepare() takes them (file rmap walks hold only i_mmap_rwsem).
	 */
	if (vma->vm_file)
		down_write(&vma->vm_file->i_mmap_rwsem);
	if (vma->anon_vma)
		anon_vma_lock_write(vma->anon_vma);
	if (new_below) {
		vma->vm_pgoff += addr - vma->vm_start;
		vma->vm_start = addr;
		/* the upper part keeps @vma: its offset grew, its place moves */
		if (vma->anon_vma)
			anon_vma_interval_tree_update(vma);
		if (vma->vm_file)
			vma_interval_tree_update(vma);
	} else {
		vma->vm_end = addr;
	}
	if (vma->anon_vma)
		anon_vma_unlock_write(vma->anon_vma);
	if (vma->vm_file)
		up_write(&vma->vm_file->i_mmap_rwsem);
	vma_link_list(vma->vm_mm, new);
	return 0;
}

/*
 * Can @b be folded into @a (a directly below b)?  Same flags and object,
 * contiguous offsets, and compatible anon_vmas: equal, or one side without
 * one while the other's chain is a single link (is_mergeable_anon_vma).
 */
static bool can_merge(struct vm_area_struct *a, struct vm_area_struct *b)
{
	if (a->vm_end != b->vm_start || a->vm_flags != b->vm_flags || a->vm_file != b->vm_file)
		return false;
	if (a->vm_pgoff + (a->vm_end - a->vm_start) != b->vm_pgoff)
		return false;
	if (a->anon_vma == b->anon_vma)
		return true;
	if (!a->anon_vma)
		return list_is_singular(&b->anon_vma_chain);
	if (!b->anon_vma)
		return list_is_singular(&a->anon_vma_chain);
	return false;
}

/* fold @b into @a.  mmap_lock held for write. */
static int vma_merge_pair(struct vm_area_struct *a, struct vm_area_struct *b)
{
	/*
	 * dup_anon_vma: @a takes @b's anon_vma and chain (one link, see
	 * can_merge); anon_vma_clone counts it in num_active_vmas.
	 */
	kp_access(a, KP_F_VMA, true);
	if (!a->anon_vma && b->anon_vma) {
		int err;

		a->anon_vma = b->anon_vma;
		err = anon_vma_clone(a, b);
		if (err)
			return err;
	}
	if (a->vm_file)
		down_write(&a->vm_file->i_mmap_rwsem);
	if (a->anon_vma)
		anon_vma_lock_write(a->anon_vma);
	a->vm_end = b->vm_end;
	if (b->vm_uffd_seq > a->vm_uffd_seq)
		a->vm_uffd_seq = b->vm_uffd_seq;
	b->vm_start = b->vm_end;	/* empty: no walker can find a page in it */
	if (a->anon_vma)
		anon_vma_unlock_write(a->anon_vma);
	if (a->vm_file)
		up_write(&a->vm_file->i_mmap_rwsem);
	remove_vma(b);
	return 0;
}

/* merge @vma with its neighbours where compatible; returns the survivor */
static struct vm_area_struct *vma_try_merge(struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = vma_prev(vma), *next = vma_next(vma);
	bool left = prev && can_merge(prev, vma), right = next && can_merge(vma, next);

	/*
	 * Both neighbours fit but not each other (two anon_vmas): the
	 * kernel's vma_merge_existing_range merges to the left only.
	 */
	if (left && right && prev->anon_vma && next->anon_vma && prev->anon_vma != next->anon_vma)
		right = false;
	if (right)
		vma_merge_pair(vma, next);
	if (left && vma_merge_pair(prev, vma) == 0)
		vma = prev;
	return vma;
}

/* ----------------------------------------------------------- mm life */

struct mm_struct *mm_alloc(void)
{
	struct mm_struct *mm = pool_alloc(&the_world->mm_pool);

	if (!mm)
		return NULL;
	mm->id = pool_index(&the_world->mm_pool, mm);
	init_rwsem(&mm->mmap_lock, LC_MMAP_LOCK);
	spin_lock_init(&mm->page_table_lock, LC_PAGE_TABLE_LOCK);
	INIT_LIST_HEAD(&mm->mmap);
	INIT_LIST_HEAD(&mm->mmlist);
	atomic_store(&mm->mm_users, 1);
	atomic_store(&mm->mm_count, 1);
	mm->home_node = 0;
	return mm;
}

/* tear down every mapping; mmap_lock held for write or mm unreachable */
static void exit_mmap(struct mm_struct *mm)
{
	struct vm_area_struct *vma, *next;

	list_for_each_entry(vma, &mm->mmap, vm_list)
		zap_page_range(vma, vma->vm_start, vma->vm_end);
	list_for_each_entry_safe(vma, next, &mm->mmap, vm_list)
		remove_vma(vma);
	free_pgtables(mm);
	spin_lock(&the_world->mmlist_lock);
	list_del_init(&mm->mmlist);
	spin_unlock(&the_world->mmlist_lock);
	mm->dead = true;
}

bool mmget_not_zero(struct mm_struct *mm)
{
	int users = atomic_load(&mm->mm_users);

	while (users > 0)
		if (atomic_compare_exchange_weak(&mm->mm_users, &users, users + 1))
			return true;
	return false;
}

void mmgrab(struct mm_struct *mm)
{
	atomic_fetch_add(&mm->mm_count, 1);
}

void mmdrop(struct mm_struct *mm)
{
	int old = atomic_fetch_sub(&mm->mm_count, 1);

	VM_BUG_ON(old <= 0, INV_LEAK, "mm %u: mm_count underflow", mm->id);
	if (old != 1)
		return;
	destroy_rwsem(&mm->mmap_lock);
	spin_lock_destroy(&mm->page_table_lock);
	pool_free(&the_world->mm_pool, mm);
}

/*
 * The last user: KSM and khugepaged let go of the address space first (ksmd
 * or khugepaged may still hold the struct through its mm_slot, hence
 * mmdrop), then it is torn down.
 */
void mmput(struct mm_struct *mm)
{
	if (atomic_fetch_sub(&mm->mm_users, 1) != 1)
		return;
	ksm_exit(mm);
	khugepaged_exit(mm);
	down_write(&mm->mmap_lock);
	exit_mmap(mm);
	up_write(&mm->mmap_lock);
	gup_unpin_all(mm);	/* the pinner's files go after its mm */
	mmdrop(mm);
}

/*
 * dup_mmap - fork.  For each VMA not marked VM_DONTCOPY: a copy linked into
 * the same anon_vma tree (anon_vma_fork) and right after its parent in
 * i_mmap, then its page tables copied if it has anon pages to share.
 */
int dup_mm(struct mm_struct *oldmm, struct mm_struct **newmm)
{
	struct mm_struct *mm = mm_alloc();
	struct vm_area_struct *mpnt;
	int err = 0;

	*newmm = NULL;
	if (!mm)
		return -ENOMEM;
	mm->home_node = oldmm->home_node;
	down_write(&oldmm->mmap_lock);
	down_write_nested(&mm->mmap_lock);
	err = ksm_fork(mm, oldmm);
	khugepaged_fork(mm, oldmm);
	list_for_each_entry(mpnt, &oldmm->mmap, vm_list) {
		if (err)
			break;
		struct vm_area_struct *tmp;

		if (mpnt->vm_flags & VM_DONTCOPY)
			continue;
		tmp = vm_area_dup(mpnt);
		if (!tmp) {
			err = -ENOMEM;
			break;
		}
		tmp->vm_mm = mm;
		tmp->anon_vma = NULL;
		/* dup_userfaultfd without UFFD_FEATURE_EVENT_FORK: not inherited */
		tmp->vm_flags &= ~VM_UFFD_MISSING;
		tmp->vm_uffd_seq = 0;
		if (!(tmp->vm_flags & VM_WIPEONFORK)) {
			err = anon_vma_fork(tmp, mpnt);
			if (err) {
				pool_free(&the_world->vma_pool, tmp);
				break;
			}
		}
		if (tmp->vm_file) {
			mapping_get(tmp->vm_file);
			vma_link_file(tmp, mpnt);
		}
		vma_link_list(mm, tmp);
		/* vma_needs_copy: file pages without anon ones refault in the child */
		if (!(tmp->vm_flags & VM_WIPEONFORK) && mpnt->anon_vma) {
			err = copy_page_range(tmp, mpnt);
			if (err)
				break;
		}
	}
	if (err) {
		/*
		 * The child may be on the mmlist already (copy_page_range put it
		 * there with its first swap pte), so swapoff may hold a reference:
		 * drop ours like any other user, as dup_mm() does.
		 */
		up_write(&mm->mmap_lock);
		up_write(&oldmm->mmap_lock);
		mmput(mm);
		return err;
	}
	up_write(&mm->mmap_lock);
	up_write(&oldmm->mmap_lock);
	*newmm = mm;
	return 0;
}

/* ---------------------------------------------------------- munmap */

/*
 * Unmap [start, end): split the VMAs straddling the edges, zap and free
 * everything inside.  mmap_lock held for write.
 */
static int do_vmi_munmap(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	struct vm_area_struct *vma, *next;
	int err;

	vma = find_vma(mm, start);
	if (!vma || vma->vm_start >= end)
		return 0;
	if (vma->vm_start < start) {
		err = __split_vma(vma, start, true);
		if (err)
			return err;
	}
	vma = find_vma(mm, end - 1);
	if (vma && vma->vm_start < end && vma->vm_end > end) {
		err = __split_vma(vma, end, false);
		if (err)
			return err;
	}
	for (vma = find_vma(mm, start); vma && vma->vm_start < end; vma = next) {
		next = vma_next(vma);
		zap_page_range(vma, vma->vm_start, vma->vm_end);
		remove_vma(vma);
	}
	return 0;
}

int do_munmap(struct mm_struct *mm, uint64_t addr, uint64_t len)
{
	int err;

	if (len == 0 || addr >= MMT_TASK_SIZE || len > MMT_TASK_SIZE - addr)
		return -EINVAL;
	down_write(&mm->mmap_lock);
	err = do_vmi_munmap(mm, addr, addr + len);
	up_write(&mm->mmap_lock);
	return err;
}

/* ------------------------------------------------------------ mmap */

static unsigned long calc_vm_flags(int prot)
{
	unsigned long f = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;

	if (prot & PROT_READ)
		f |= VM_READ;
	if (prot & PROT_WRITE)
		f |= VM_WRITE | VM_READ;	/* x86: write implies read */
	if (prot & PROT_EXEC)
		f |= VM_EXEC;
	return f;
}

/*
 * mmap_region - map [addr, addr + len) of @file (NULL: anonymous) at @pgoff
 * with @vm_flags, MAP_FIXED: whatever was there goes first.  A new object
 * of a shared anonymous mapping is created here (shmem_zero_setup); a file
 * gets the new VMA's reference.  mmap_lock held for write.
 */
static int mmap_region(struct mm_struct *mm, uint64_t addr, uint64_t len,
		       unsigned long vm_flags, struct address_space *file, uint64_t pgoff)
{
	struct vm_area_struct *vma;
	int err;

	err = do_vmi_munmap(mm, addr, addr + len);
	if (err)
		return err;
	vma = vm_area_alloc(mm);
	if (!vma)
		return -ENOMEM;
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = vm_flags;
	vma->vm_pgoff = pgoff;
	if (file) {
		mapping_get(file);
	} else if (vm_flags & VM_SHARED) {
		file = mapping_alloc(true);	/* shmem_zero_setup */
		if (!file) {
			pool_free(&the_world->vma_pool, vma);
			return -ENOMEM;
		}
		/* of the mmap's length for good: mremap never resizes it */
		i_size_extend(file, len);
		vma->vm_pgoff = 0;
	}
	vma->vm_file = file;
	if (file)
		vma_link_file(vma, NULL);
	vma_link_list(mm, vma);
	vma_try_merge(vma);
	return 0;
}

int do_mmap(struct mm_struct *mm, uint64_t addr, uint64_t len, int prot, int flags)
{
	struct address_space *file = NULL;
	unsigned long vm_flags;
	int type = flags & (MAP_SHARED | MAP_PRIVATE);
	int err;

	/*
	 * The language's rule, not mmap's: the memfd grows to cover every
	 * range mapped from it, whatever this mmap then returns, because
	 * realkernel.py ftruncates its memfd up to ADDR + N before the call.
	 */
	if (!(flags & MAP_ANONYMOUS) && addr <= MMT_TASK_SIZE && len <= MMT_TASK_SIZE - addr)
		i_size_extend(world_memfd(), addr + len);
	if (len == 0 || (type != MAP_SHARED && type != MAP_PRIVATE))
		return -EINVAL;
	if (addr >= MMT_TASK_SIZE || len > MMT_TASK_SIZE - addr)
		return -ENOMEM;

	vm_flags = calc_vm_flags(prot);
	if (type == MAP_SHARED)
		vm_flags |= VM_SHARED | VM_MAYSHARE;
	else if (vm_flags & VM_WRITE)
		vm_flags |= VM_ACCOUNT;	/* accountable_mapping() */
	if (!(flags & MAP_ANONYMOUS))
		file = world_memfd();	/* file offset = page number */
	down_write(&mm->mmap_lock);
	err = mmap_region(mm, addr, len, vm_flags, file, addr);
	if (!err) {
		/* __mmap_region's khugepaged_enter_vma: only "always" takes a new VMA */
		struct vm_area_struct *vma = vma_lookup(mm, addr);

		if (vma)
			khugepaged_enter_vma(vma, vma->vm_flags);
	}
	up_write(&mm->mmap_lock);
	return err;
}

/* ------------------------------------------------- remap_file_pages */

/*
 * mm_populate - fault in [start, start + len) as MAP_POPULATE does after
 * the mmap (__mm_populate): read faults on a shared mapping (GUP asks for
 * write only to break COW of a private writable one), none in a PROT_NONE
 * VMA; the first page a VMA cannot have (past its object's end, OOM) ends
 * that VMA's part, and errors are ignored.  mmap_lock held (the faults
 * need it for read; the caller holds it for write, see below).
 */
static void mm_populate(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	uint64_t addr = start, end = start + len;

	while (addr < end) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		bool write;

		if (!vma || vma->vm_start >= end)
			break;
		if (addr < vma->vm_start)
			addr = vma->vm_start;
		write = (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE;
		if (!(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC))) {
			addr = vma->vm_end;
			continue;
		}
		for (; addr < end && addr < vma->vm_end; addr++) {
			unsigned ret = 0;
			int tries = 0;

			for (;;) {
				spinlock_t *ptl;
				pte_t *ptep = pte_offset_map_lock(mm, addr, &ptl);
				bool done = false;

				/* follow_page_pte: a present pte (writable if asked) is done */
				if (ptep) {
					pte_t pte = ptep_get(ptep);

					done = pte_present(pte) && (!write || pte_write(pte));
					pte_unmap_unlock(ptl);
				} else {
					/* follow_huge_pmd, likewise */
					pmd_t *pmdp = pmd_offset(mm, addr);
					pmd_t pmd = pmdp ? pmdp_get_lockless(pmdp) : __pmd(0);

					done = pmd_trans_huge(pmd) && (!write || pmd_write(pmd));
				}
				if (done)
					break;
				ret = handle_mm_fault(vma, addr, write ? FAULT_FLAG_WRITE : 0);
				if ((ret & VM_FAULT_ERROR) || ++tries > 100)
					break;
			}
			if (ret & VM_FAULT_ERROR)
				break;
		}
		addr = vma->vm_end;
	}
}

/*
 * The bug behind objrmap-nonlinear (seed 004): remap_file_pages as 2.6
 * did it in a VM_NONLINEAR VMA, without the page_convert_anon() the seed
 * adds.  Each page pgoff + i of the object is installed at start + i in
 * the existing VMA (install_page): the pte's address is not the one
 * vma_address() computes from folio->index and the VMA's vm_pgoff, so
 * every object rmap walk (try_to_unmap, try_to_migrate, folio_referenced)
 * misses it.  mmap_lock held for write.
 */
static void install_nonlinear_ptes(struct mm_struct *mm, uint64_t start, uint64_t size,
				   uint64_t pgoff)
{
	for (uint64_t i = 0; i < size; i++) {
		uint64_t addr = start + i;
		struct vm_area_struct *vma = vma_lookup(mm, addr);
		struct folio *folio;
		spinlock_t *ptl;
		pte_t *ptep;
		bool write, installed;

		if (!vma || !vma->vm_file)
			continue;
		if (shmem_get_folio(vma->vm_file, pgoff + i, mm, &folio))
			continue;	/* past the object's end: nothing to install */
		zap_page_range(vma, addr, addr + 1);
		write = (vma->vm_flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE);
		ptep = pte_alloc_map_lock(mm, addr, &ptl);
		installed = ptep && pte_none(ptep_get(ptep));
		if (installed) {
			/* no page_convert_anon(): nothing records where this pte is */
			inc_mm_counter(mm, mm_counter(folio));
			folio_add_file_rmap_pte(folio, folio_page(folio, 0), vma);
			set_pte_at(mm, addr, ptep, mk_pte(folio, vma, write));
		}
		if (ptep)
			pte_unmap_unlock(ptl);
		folio_unlock(folio);
		if (!installed)
			folio_put(folio);	/* else the pte keeps the reference */
	}
}

/*
 * sys_remap_file_pages - Linux 6.18's emulation of the deprecated syscall
 * (mm/mmap.c), with prot 0 and flags 0: no nonlinear VMAs any more, but a
 * new VMA of the same object at @pgoff over [start, start + size), mapped
 * MAP_SHARED|MAP_FIXED|MAP_POPULATE with the old VMA's protection.  A
 * folio mapped there is at the address vma_address() computes from its
 * index, so every object rmap walk finds it: this is the "conversion" seed
 * 004 needs for a nonlinear page, done by the VMA instead of the page.
 *
 * Checks, as Linux makes them: size 0 (or a wrap) is EINVAL; so is no VMA
 * at @start, or one that is not VM_SHARED.  The VMA is looked up under
 * mmap_lock for read, the lock dropped (the kernel calls the LSM hook
 * there) and retaken for write; a VMA that changed its flags or object
 * meanwhile is EINVAL, and so is a range that runs past it into a hole, a
 * VMA of another object or one with other flags.  Then do_mmap, which
 * cannot fail here but for lack of memory.  The new VMA inherits none of
 * the old one's madvise flags (do_mmap computes them afresh), nor its
 * userfaultfd registration.
 *
 * Locks: mmap_lock for read, then for write (mmap_region takes the
 * object's i_mmap_rwsem to link the VMA), held through mm_populate, whose
 * faults take folio locks and ptls under it.
 */
int sys_remap_file_pages(struct mm_struct *mm, uint64_t start, uint64_t size, uint64_t pgoff)
{
	struct vm_area_struct *vma, *next, *prev;
	struct address_space *file;
	unsigned long vm_flags, new_flags;
	bool nonlinear = mmt_injected(BUG_OBJRMAP_NONLINEAR);
	int err = -EINVAL;

	if (size == 0 || start >= MMT_TASK_SIZE || size > MMT_TASK_SIZE - start)
		return -EINVAL;
	if (pgoff + size < pgoff)
		return -EINVAL;

	down_read(&mm->mmap_lock);
	vma = vma_lookup(mm, start);
	if (!vma || !(vma->vm_flags & VM_SHARED)) {
		up_read(&mm->mmap_lock);
		return -EINVAL;
	}
	vm_flags = vma->vm_flags;
	file = vma->vm_file;
	VM_BUG_ON(!file, INV_RMAP, "mm %u: shared VMA [%#llx,%#llx) has no object", mm->id,
		  (unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end);
	mapping_get(file);	/* get_file(): the object outlives the unlocked window */
	up_read(&mm->mmap_lock);

	down_write(&mm->mmap_lock);
	vma = vma_lookup(mm, start);
	/* make sure things did not change under us */
	if (!vma || vma->vm_flags != vm_flags || vma->vm_file != file)
		goto out;
	for (prev = vma; start + size > prev->vm_end; prev = next) {
		next = vma_next(prev);
		if (!next || next->vm_start != prev->vm_end || next->vm_file != file ||
		    next->vm_flags != vm_flags)
			goto out;
	}
	if (nonlinear) {
		install_nonlinear_ptes(mm, start, size, pgoff);
		err = 0;
		goto out;
	}
	/* prot from the VMA's flags; MAP_SHARED gives VM_SHARED | VM_MAYSHARE */
	new_flags = (vm_flags & (VM_READ | VM_WRITE | VM_EXEC)) |
		    VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_SHARED | VM_MAYSHARE;
	err = mmap_region(mm, start, size, new_flags, file, pgoff);
	/*
	 * Linux populates after mmap_write_unlock(), where an munmap or a
	 * madvise of another thread may come between the new VMA and its
	 * faults.  Here the faults run before the lock goes, so that the
	 * call is one step for the DATA oracle (which orders ops by their
	 * end); what populate does is invisible to reads either way.
	 */
	if (!err)
		mm_populate(mm, start, size);
out:
	up_write(&mm->mmap_lock);
	mapping_put(file);
	return err;
}

/* -------------------------------------------------------- mprotect */

/*
 * Give [start, end) of @vma the flags @newflags: split off the parts outside
 * the range, change the ptes, merge back with neighbours.
 */
int vma_modify_flags(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			    unsigned long newflags, bool change_ptes)
{
	int err;

	if (newflags == vma->vm_flags)
		return 0;
	if (start > vma->vm_start) {
		err = __split_vma(vma, start, true);
		if (err)
			return err;
	}
	if (end < vma->vm_end) {
		err = __split_vma(vma, end, false);
		if (err)
			return err;
	}
	/*
	 * WRITE_ONCE: rmap walkers (folio_referenced_one) read vm_flags under
	 * the anon_vma lock alone, without mmap_lock
	 */
	kp_access(vma, KP_F_VMA, true);
	__atomic_store_n(&vma->vm_flags, newflags, __ATOMIC_RELAXED);
	if (change_ptes)
		change_protection(vma, vma->vm_start, vma->vm_end, newflags);
	vma_try_merge(vma);
	return 0;
}

int do_mprotect(struct mm_struct *mm, uint64_t start, uint64_t len, int prot)
{
	struct vm_area_struct *vma, *next;
	uint64_t end, tmp;
	int err = 0;

	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (start >= MMT_TASK_SIZE || len > MMT_TASK_SIZE - start)
		return -ENOMEM;
	if (len == 0)
		return 0;
	end = start + len;

	down_write(&mm->mmap_lock);
	vma = find_vma(mm, start);
	if (!vma || vma->vm_start > start) {
		err = -ENOMEM;
		goto out;
	}
	for (tmp = start; tmp < end && vma && vma->vm_start < end; vma = next) {
		unsigned long newflags;
		uint64_t s, e;

		if (vma->vm_start > tmp) {
			err = -ENOMEM;	/* a hole: what came before stays changed */
			goto out;
		}
		newflags = (vma->vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC)) |
			   (calc_vm_flags(prot) & (VM_READ | VM_WRITE | VM_EXEC));
		if ((newflags & ~(newflags >> 4)) & (VM_READ | VM_WRITE | VM_EXEC)) {
			err = -EACCES;
			goto out;
		}
		/*
		 * Write on a private mapping charges it (mprotect_fixup); taking
		 * write away does not uncharge it, so VM_ACCOUNT stays and keeps
		 * it from merging with a never-writable neighbour ...
		 */
		if ((newflags & VM_WRITE) && !(vma->vm_flags & (VM_ACCOUNT | VM_WRITE | VM_SHARED)))
			newflags |= VM_ACCOUNT;
		/* ... except an anonymous one that never faulted: nothing to keep */
		else if (!(newflags & VM_WRITE) && (vma->vm_flags & VM_ACCOUNT) &&
			 vma_is_anonymous(vma) && !vma->anon_vma)
			newflags &= ~VM_ACCOUNT;
		s = vma->vm_start > start ? vma->vm_start : start;
		e = vma->vm_end < end ? vma->vm_end : end;
		tmp = e;
		next = vma_next(vma);
		err = vma_modify_flags(vma, s, e, newflags, true);
		if (err)
			goto out;
		/* splits and merges may have changed our neighbours */
		next = find_vma(mm, tmp);
	}
	if (tmp < end)
		err = -ENOMEM;
out:
	up_write(&mm->mmap_lock);
	return err;
}

/* ---------------------------------------------------------- mremap */

/*
 * copy_vma - the VMA that will hold [new_addr, new_addr+new_len) once @vma's
 * part from @addr has moved there: a copy of @vma (same anon_vma chains,
 * pgoff kept so folio->index stays valid), or, as vma_merge_new_range
 * finds it, a neighbour at the destination the copy merges into.
 * mmap_lock held for write.
 *
 * *@need_rmap_locks says whether move_page_tables must hold the rmap locks.
 * An rmap walk visits VMAs in vm_pgoff order, later insertions after earlier
 * ones (anon_vma_interval_tree_insert).  A fresh copy comes after @vma, so a
 * walk racing the move finds each pte either at its old place or, later, at
 * its new one: no locks needed.  A merged neighbour at an offset no higher
 * than @vma's may be visited first; a walk could then pass the destination
 * before a pte arrives and the source after it left, so the move takes the
 * locks.  mremap-merge-rmap-order drops that rule, bringing back what Andrea
 * Arcangeli's "mremap: enforce rmap src/dst vma ordering in case of
 * vma_merge() succeeding in copy_vma()" fixed in 2012 (the rule itself is
 * from 38a76013ad80): remove_migration_ptes misses the moved entry.
 *
 * An anonymous VMA that never faulted has no anon_vma and no folio whose
 * index must stay valid: its copy starts its offsets afresh at the new
 * address so that it can merge with neighbours there (a later resize over
 * both then succeeds, as on Linux); that merge waits until the source is
 * unmapped (move_vma), since the copy could merge with @vma itself.  A
 * uffd-registered copy never merges (see move_vma).
 */
static struct vm_area_struct *copy_vma(struct vm_area_struct *vma, uint64_t addr,
				       uint64_t new_addr, uint64_t new_len, bool *need_rmap_locks)
{
	struct vm_area_struct *new_vma, *merged;
	bool faulted = !vma_is_anonymous(vma) || vma->anon_vma;

	*need_rmap_locks = false;
	new_vma = vm_area_dup(vma);
	if (!new_vma)
		return NULL;
	new_vma->vm_start = new_addr;
	new_vma->vm_end = new_addr + new_len;
	new_vma->vm_pgoff = faulted ? vma->vm_pgoff + (addr - vma->vm_start) : new_addr;
	if (anon_vma_clone(new_vma, vma)) {
		pool_free(&the_world->vma_pool, new_vma);
		return NULL;
	}
	if (new_vma->vm_file) {
		mapping_get(new_vma->vm_file);
		vma_link_file(new_vma, NULL);
	}
	vma_link_list(vma->vm_mm, new_vma);
	if (!faulted || (new_vma->vm_flags & VM_UFFD_MISSING))
		return new_vma;
	merged = vma_try_merge(new_vma);
	if (merged != new_vma || merged->vm_end != new_addr + new_len)
		*need_rmap_locks = merged->vm_pgoff <= vma->vm_pgoff &&
				   !mmt_injected(BUG_MREMAP_MERGE_RMAP_ORDER);
	return merged;
}

/*
 * move_vma - move [addr, addr+old_len) of @vma, which lies inside it, to
 * [new_addr, new_addr+new_len): copy_vma, move the ptes, unmap the source.
 * With @old_len 0 (shared mappings only) the source stays: a second mapping.
 */
static int move_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr,
		    uint64_t old_len, uint64_t new_addr, uint64_t new_len)
{
	struct vm_area_struct *new_vma;
	bool need_rmap_locks;
	int err;

	/*
	 * KSM pages are found through their rmap_items' addresses, which a
	 * move would leave behind: unmerge them first, the heavy hammer
	 * Linux's move_vma uses too.
	 */
	if (vma->vm_flags & VM_MERGEABLE) {
		err = unmerge_ksm_pages(vma, addr, addr + old_len);
		if (err)
			return err;
	}
	new_vma = copy_vma(vma, addr, new_addr, new_len, &need_rmap_locks);
	if (!new_vma)
		return -ENOMEM;
	if (old_len) {
		move_page_tables(vma, addr, new_vma, new_addr, old_len, need_rmap_locks);
		err = do_vmi_munmap(mm, addr, addr + old_len);
	}
	/*
	 * copy_vma() tries the merge while the new VMA is still registered,
	 * and only then does mremap_userfaultfd_prep (without
	 * UFFD_FEATURE_EVENT_REMAP) unregister it, with no second merge: a
	 * moved registered piece stays a VMA of its own, and a later resize
	 * across it fails as on Linux.  (A registered neighbour it could
	 * merge with is not modelled: the model has one uffd context.)
	 */
	if (new_vma->vm_flags & VM_UFFD_MISSING) {
		new_vma->vm_flags &= ~VM_UFFD_MISSING;
		new_vma->vm_uffd_seq = 0;
	} else {
		vma_try_merge(new_vma);
	}
	return err;
}

/*
 * do_mremap - MREMAP_MAYMOVE|MREMAP_FIXED, as Linux 6.18 does it (checked
 * against the real kernel with realkernel.py): every argument and the source
 * are validated before anything is unmapped.  The source must start inside
 * a VMA.  When the length does not change, the range may span several VMAs
 * and holes, and each VMA's part moves by the same offset (the 6.17 change
 * permitting moves of multiple VMAs); otherwise the part kept must lie in
 * one VMA.  A resize unmaps the whole destination, cuts a shrinking source's
 * tail and moves the rest.  A same-length move unmaps, piece by piece, only
 * the part of the destination a source VMA lands on, as remap_move() does:
 * a destination page facing a hole in the source keeps its mapping.  A
 * uffd-armed VMA may only be moved alone (vma_multi_allowed).
 */
int do_mremap(struct mm_struct *mm, uint64_t addr, uint64_t old_len,
	      uint64_t new_addr, uint64_t new_len)
{
	struct vm_area_struct *vma;
	bool multi;
	int err = 0;

	if (new_len == 0 || addr >= MMT_TASK_SIZE)
		return -EINVAL;
	if (new_addr >= MMT_TASK_SIZE || new_len > MMT_TASK_SIZE - new_addr)
		return -EINVAL;
	if (old_len > MMT_TASK_SIZE - addr)
		return -EINVAL;
	/* overlapping source and destination */
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return -EINVAL;

	down_write(&mm->mmap_lock);
	vma = vma_lookup(mm, addr);
	if (!vma) {
		err = -EFAULT;
		goto out;
	}
	if (old_len == 0 && !(vma->vm_flags & VM_SHARED)) {
		err = -EINVAL;
		goto out;
	}
	multi = old_len == new_len;
	if (!multi && (old_len < new_len ? old_len : new_len) > vma->vm_end - addr) {
		err = -EFAULT;
		goto out;
	}
	if (!multi) {
		err = do_vmi_munmap(mm, new_addr, new_addr + new_len);
		if (err)
			goto out;
		if (old_len > new_len) {
			err = do_vmi_munmap(mm, addr + new_len, addr + old_len);
			if (err)
				goto out;
			old_len = new_len;
		}
		/* unmapping the destination may have taken the source (old_len 0) */
		vma = vma_lookup(mm, addr);
		if (!vma) {
			err = -EFAULT;
			goto out;
		}
		err = move_vma(mm, vma, addr, old_len, new_addr, new_len);
		goto out;
	}
	for (uint64_t cur = addr; cur < addr + old_len && !err; ) {
		uint64_t s, e;

		vma = find_vma(mm, cur);
		if (!vma || vma->vm_start >= addr + old_len)
			break;
		/*
		 * vma_multi_allowed: a uffd-armed VMA moves only alone, since
		 * its notification would drop mmap_lock mid-batch.  One met
		 * after others moved ends the move there (EFAULT, the others
		 * stay moved); met first, with more of the range to go, it
		 * ends it before anything moved.
		 */
		if ((vma->vm_flags & VM_UFFD_MISSING) &&
		    (cur != addr || vma->vm_end < addr + old_len)) {
			err = -EFAULT;
			break;
		}
		s = vma->vm_start > cur ? vma->vm_start : cur;
		e = vma->vm_end < addr + old_len ? vma->vm_end : addr + old_len;
		err = do_vmi_munmap(mm, new_addr + (s - addr), new_addr + (e - addr));
		if (err)
			break;
		/*
		 * The unmap may have split this VMA, at the destination's edges:
		 * outside [s, e), so the VMA holding s still holds all of it.
		 */
		vma = find_vma(mm, s);
		err = move_vma(mm, vma, s, e - s, new_addr + (s - addr), e - s);
		cur = e;
	}
out:
	up_write(&mm->mmap_lock);
	return err;
}

/* --------------------------------------------------------- madvise */

static bool madvise_behavior_valid(int advice)
{
	switch (advice) {
	case MADV_NORMAL: case MADV_WILLNEED: case MADV_DONTNEED:
	case MADV_DONTFORK: case MADV_DOFORK: case MADV_MERGEABLE:
	case MADV_UNMERGEABLE: case MADV_HUGEPAGE: case MADV_NOHUGEPAGE:
	case MADV_WIPEONFORK: case MADV_KEEPONFORK: case MADV_COLD:
	case MADV_PAGEOUT:
		return true;
	}
	return false;
}

static bool madvise_need_mmap_write(int advice)
{
	switch (advice) {
	case MADV_DONTNEED: case MADV_COLD: case MADV_PAGEOUT:
	case MADV_WILLNEED: case MADV_NORMAL:
		return false;
	}
	return true;
}

/* the advice for one VMA's part [start, end); mmap_lock held */
static int madvise_vma(struct vm_area_struct *vma, uint64_t start, uint64_t end, int advice)
{
	unsigned long newflags = vma->vm_flags;

	switch (advice) {
	case MADV_NORMAL:
	case MADV_WILLNEED:
		return 0;
	case MADV_DONTNEED:
		zap_page_range(vma, start, end);
		return 0;
	case MADV_COLD:
	case MADV_PAGEOUT:
		return madvise_pageout_range(vma, start, end, advice == MADV_PAGEOUT);
	case MADV_DONTFORK:
		newflags |= VM_DONTCOPY;
		break;
	case MADV_DOFORK:
		newflags &= ~VM_DONTCOPY;
		break;
	case MADV_WIPEONFORK:
		if (vma->vm_file || (vma->vm_flags & VM_SHARED))
			return -EINVAL;
		newflags |= VM_WIPEONFORK;
		break;
	case MADV_KEEPONFORK:
		newflags &= ~VM_WIPEONFORK;
		break;
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE: {
		int err = ksm_madvise(vma, start, end, advice, &newflags);

		if (err)
			return err;
		break;
	}
	case MADV_HUGEPAGE:
		newflags = (newflags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
		/* hugepage_madvise: good for khugepaged now, without waiting for a fault */
		khugepaged_enter_vma(vma, newflags);
		break;
	case MADV_NOHUGEPAGE:
		newflags = (newflags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
		break;
	}
	return vma_modify_flags(vma, start, end, newflags, false);
}

/*
 * do_madvise - apply @advice to every mapped part of the range; a hole
 * anywhere makes the call return ENOMEM after the rest has been done.
 */
int do_madvise(struct mm_struct *mm, uint64_t start, uint64_t len, int advice)
{
	struct vm_area_struct *vma;
	bool write = madvise_need_mmap_write(advice);
	uint64_t end, tmp;
	int err = 0, unmapped = 0;

	if (!madvise_behavior_valid(advice))
		return -EINVAL;
	if (start >= MMT_TASK_SIZE || len > MMT_TASK_SIZE - start)
		return -EINVAL;
	if (len == 0)
		return 0;
	end = start + len;

	if (write)
		down_write(&mm->mmap_lock);
	else
		down_read(&mm->mmap_lock);
	vma = find_vma(mm, start);
	if (vma && vma->vm_start > start)
		unmapped = -ENOMEM;
	for (tmp = start; tmp < end && vma && vma->vm_start < end; ) {
		uint64_t s = vma->vm_start > tmp ? vma->vm_start : tmp;
		uint64_t e = vma->vm_end < end ? vma->vm_end : end;

		if (vma->vm_start > tmp)
			unmapped = -ENOMEM;
		err = madvise_vma(vma, s, e, advice);
		if (err)
			break;
		tmp = e;
		vma = find_vma(mm, tmp);
	}
	if (!err && tmp < end)
		unmapped = -ENOMEM;
	if (!vma && tmp == start)
		unmapped = -ENOMEM;
	if (write)
		up_write(&mm->mmap_lock);
	else
		up_read(&mm->mmap_lock);
	return err ? err : unmapped;
}
