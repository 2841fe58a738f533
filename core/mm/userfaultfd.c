// SPDX-License-Identifier: MIT
/*
 * userfaultfd.c - userfaultfd: missing-mode registration, the model's
 * stand-in for the handler thread, and UFFDIO_MOVE (userfaultfd.h).
 */
#include <errno.h>

#include "mmt/folio.h"
#include "mmt/gup.h"
#include "mmt/huge_mm.h"
#include "mmt/inject.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
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
		return 0;	/* a huge pmd maps it (registered after it came): retry */
	if (pte_none(ptep_get(ptep)))
		set_pte_at(mm, addr, ptep, pte_mkspecial(pfn_pte(zero_pfn(), false)));
	pte_unmap_unlock(ptl);
	return 0;
}

/* ------------------------------------------------------------ UFFDIO_MOVE */

/* double_pt_lock: two ptls of one mm, the second one nested */
static void double_pt_lock(spinlock_t *a, spinlock_t *b)
{
	spin_lock(a);
	if (b != a)
		spin_lock_nested(b);
}

static void double_pt_unlock(spinlock_t *a, spinlock_t *b)
{
	if (b != a)
		spin_unlock(b);
	spin_unlock(a);
}

/*
 * validate_move_areas - what may move: between private anonymous VMAs with
 * the same protections, from a writable one, into one registered with this
 * userfaultfd.  mmap_lock held.
 */
static int validate_move_areas(struct vm_area_struct *src_vma, struct vm_area_struct *dst_vma)
{
	const unsigned long access = VM_READ | VM_WRITE | VM_EXEC;

	if ((src_vma->vm_flags & access) != (dst_vma->vm_flags & access))
		return -EINVAL;
	/* the protections being equal, a writable source is enough */
	if (!(src_vma->vm_flags & VM_WRITE))
		return -EINVAL;
	if (!userfaultfd_missing(dst_vma))
		return -EINVAL;
	if (!vma_is_anonymous(src_vma) || !vma_is_anonymous(dst_vma))
		return -EINVAL;
	return 0;
}

/*
 * move_zeropage_pte - a zero-page pte moves as a zero-page pte.  Both ptls
 * taken here; -EAGAIN if either pte changed since it was read.
 */
static long move_zeropage_pte(struct mm_struct *mm, uint64_t dst_addr, uint64_t src_addr,
			      pte_t *dst_pte, pte_t *src_pte, pte_t orig_dst, pte_t orig_src,
			      spinlock_t *dst_ptl, spinlock_t *src_ptl)
{
	double_pt_lock(dst_ptl, src_ptl);
	if (pte_val(ptep_get(dst_pte)) != pte_val(orig_dst) ||
	    pte_val(ptep_get(src_pte)) != pte_val(orig_src)) {
		double_pt_unlock(dst_ptl, src_ptl);
		return -EAGAIN;
	}
	ptep_get_and_clear(mm, src_addr, src_pte);
	set_pte_at(mm, dst_addr, dst_pte, mk_zero_pte());
	double_pt_unlock(dst_ptl, src_ptl);
	return 1;
}

/*
 * move_present_pte - move an exclusive anon folio's pte.  The folio is
 * locked and, when it changes anon_vma tree, the old root is locked for
 * write (folio_move_anon_rmap); the ptls are taken here.
 */
static long move_present_pte(struct mm_struct *mm, struct vm_area_struct *dst_vma,
			     uint64_t dst_addr, uint64_t src_addr, pte_t *dst_pte, pte_t *src_pte,
			     pte_t orig_dst, pte_t orig_src, spinlock_t *dst_ptl,
			     spinlock_t *src_ptl, struct folio *folio)
{
	long err = 1;
	pte_t pte;

	double_pt_lock(dst_ptl, src_ptl);
	if (pte_val(ptep_get(dst_pte)) != pte_val(orig_dst) ||
	    pte_val(ptep_get(src_pte)) != pte_val(orig_src)) {
		err = -EAGAIN;
		goto out;
	}
	/*
	 * fork may have shared it since we looked; a pinned page must stay
	 * where its pinner sees it
	 */
	if (!PageAnonExclusive(folio_page(folio, 0)) || folio_maybe_dma_pinned(folio)) {
		err = -EBUSY;
		goto out;
	}
	orig_src = ptep_get_and_clear(mm, src_addr, src_pte);
	folio_move_anon_rmap(folio, dst_vma);
	folio->index = linear_page_index(dst_vma, dst_addr);
	pte = pte_mkwrite(pte_mkyoung(pfn_pte(folio->pfn, false)));
	if (pte_dirty(orig_src))
		pte = pte_mkdirty(pte);
	set_pte_at(mm, dst_addr, dst_pte, pte);
out:
	double_pt_unlock(dst_ptl, src_ptl);
	return err;
}

/*
 * move_swap_pte - move an exclusive swap pte.  A folio still in the swap
 * cache for it (reclaim between try_to_unmap and the cache's release, or a
 * swap-in not yet mapped) is locked by the caller and moves with it, or a
 * later swap-in at the destination would map a folio whose anon_vma and
 * index still say "source" (c50f8e6053b0).  Without one, a folio that came
 * into the cache meanwhile sends us round again.
 */
static long move_swap_pte(struct mm_struct *mm, struct vm_area_struct *dst_vma,
			  uint64_t dst_addr, uint64_t src_addr, pte_t *dst_pte, pte_t *src_pte,
			  pte_t orig_dst, pte_t orig_src, spinlock_t *dst_ptl, spinlock_t *src_ptl,
			  struct folio *folio, struct swap_info_struct *si, swp_entry_t entry)
{
	double_pt_lock(dst_ptl, src_ptl);
	if (pte_val(ptep_get(dst_pte)) != pte_val(orig_dst) ||
	    pte_val(ptep_get(src_pte)) != pte_val(orig_src))
		goto again;
	if (folio) {
		/* the slot may have been freed and reused since the lookup */
		if (!folio_test_swapcache(folio) || folio->private != entry.val)
			goto again;
		folio_move_anon_rmap(folio, dst_vma);
		folio->index = linear_page_index(dst_vma, dst_addr);
	} else if (!mmt_injected(BUG_UFFD_MOVE_SWAPCACHE_INDEX)) {
		bool cached;

		spin_lock(&si->lock);
		kp_access(&si->swap_map[swp_offset(entry)], KP_F_SWAP_MAP, false);
		cached = si->swap_map[swp_offset(entry)] & SWAP_HAS_CACHE;
		spin_unlock(&si->lock);
		if (cached)
			goto again;
	}
	orig_src = ptep_get_and_clear(mm, src_addr, src_pte);
	set_pte_at(mm, dst_addr, dst_pte, orig_src);
	double_pt_unlock(dst_ptl, src_ptl);
	return 1;
again:
	double_pt_unlock(dst_ptl, src_ptl);
	return -EAGAIN;
}

/*
 * move_pages_pte - move the one page at @src_addr to @dst_addr, as
 * mm/userfaultfd.c's move_pages_pte does: read both ptes under their locks
 * and let go; a hole is ENOENT (or done, with ALLOW_SRC_HOLES), an occupied
 * destination EEXIST; a present page must be an exclusive anon folio
 * (EBUSY otherwise: COW-shared, KSM, pinned; a large one is split first).  The folio lock, then the source
 * anon_vma's root for write, are taken with no ptl held (sleeping locks):
 * a trylock under the ptl, else drop everything, sleep on it and start
 * over.  Returns pages moved (1), or -errno; -EAGAIN means "again".
 * mmap_lock read held.
 */
static long move_pages_pte(struct mm_struct *mm, struct vm_area_struct *dst_vma,
			   struct vm_area_struct *src_vma, uint64_t dst_addr,
			   uint64_t src_addr, unsigned mode, bool *user_again)
{
	struct swap_info_struct *si = NULL;
	struct anon_vma *src_anon_vma = NULL;
	struct folio *src_folio = NULL;
	pte_t src_folio_pte = __pte(0);
	spinlock_t *dst_ptl, *src_ptl;
	pte_t *dst_pte, *src_pte, orig_dst, orig_src;
	long err;

retry:
	dst_pte = pte_alloc_map_lock(mm, dst_addr, &dst_ptl);
	if (!dst_pte) {
		/* a huge pmd at the destination is not none: -EEXIST, as move_pages says */
		pmd_t *dst_pmdp = pmd_offset(mm, dst_addr);

		err = dst_pmdp && pmd_is_huge(pmdp_get_lockless(dst_pmdp)) ? -EEXIST : -ENOMEM;
		goto out;
	}
	orig_dst = ptep_get(dst_pte);
	pte_unmap_unlock(dst_ptl);
	if (!pte_none(orig_dst)) {
		err = -EEXIST;
		goto out;
	}
	/*
	 * move_split_huge_pmd split a huge source pmd; one khugepaged
	 * collapsed again since is split here
	 */
	src_pte = pte_offset_map_lock_split(src_vma, src_addr, &src_ptl);
	if (!src_pte) {
		err = mode & UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES ? 1 : -ENOENT;
		goto out;
	}
	orig_src = ptep_get(src_pte);
	pte_unmap_unlock(src_ptl);
	if (pte_none(orig_src)) {
		err = mode & UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES ? 1 : -ENOENT;
		goto out;
	}
	/* the folio we locked is no longer what the pte maps: start over */
	if (src_folio && pte_val(src_folio_pte) != pte_val(orig_src)) {
		err = -EAGAIN;
		goto out;
	}

	if (pte_present(orig_src)) {
		if (pte_special(orig_src) && pte_pfn(orig_src) == zero_pfn()) {
			err = move_zeropage_pte(mm, dst_addr, src_addr, dst_pte, src_pte,
						orig_dst, orig_src, dst_ptl, src_ptl);
			goto out;
		}
		if (!src_folio) {
			struct folio *folio;
			bool locked;

			spin_lock(src_ptl);
			if (pte_val(ptep_get(src_pte)) != pte_val(orig_src)) {
				spin_unlock(src_ptl);
				err = -EAGAIN;
				goto out;
			}
			folio = vm_normal_folio(src_vma, src_addr, orig_src);
			if (!folio || !PageAnonExclusive(folio_page(folio, 0))) {
				spin_unlock(src_ptl);
				err = -EBUSY;
				goto out;
			}
			locked = folio_trylock(folio);
			/*
			 * No sleeping on a large folio's lock with a reference
			 * raised: the reference would make the holder's split
			 * fail, and two movers could livelock.
			 */
			if (!locked && folio_test_large(folio)) {
				spin_unlock(src_ptl);
				/*
				 * The kernel retries at once, another CPU meanwhile
				 * finishing with the lock; the model's schedulers may
				 * keep this task running, so it waits for the lock bit
				 * to clear first, still holding no reference.
				 */
				folio_wait_locked(folio);
				err = -EAGAIN;
				goto out;
			}
			folio_get(folio);
			src_folio = folio;
			src_folio_pte = orig_src;
			spin_unlock(src_ptl);
			if (!locked) {
				folio_lock(src_folio);	/* now we may sleep */
				goto retry;
			}
			if (!folio_test_anon(src_folio)) {
				err = -EBUSY;
				goto out;
			}
		}
		/*
		 * A large folio is split first (split_folio sleeps: no ptl is
		 * held here), and the page looked up again.  A pinned one
		 * cannot be split, and would be refused by move_present_pte
		 * anyway: EBUSY rather than EAGAIN, which would retry forever.
		 */
		if (folio_test_large(src_folio)) {
			err = split_folio(src_folio);
			if (err == -EAGAIN && folio_maybe_dma_pinned(src_folio))
				err = -EBUSY;
			/*
			 * Someone else holds a reference for now (an isolation,
			 * the deferred split scan, a lookup): the kernel retries
			 * in its loop; the model ends the ioctl with EAGAIN, as
			 * a short move does, and userspace retries, because its
			 * schedulers could keep this task spinning while the
			 * holder waits for the folio lock it retakes each time.
			 */
			if (err == -EAGAIN)
				*user_again = true;
			if (err)
				goto out;
			folio_unlock(src_folio);
			folio_put(src_folio);
			src_folio = NULL;
			goto retry;
		}
		/*
		 * folio_referenced walks the anon_vma without the folio lock:
		 * only the anon_vma's own lock keeps it from seeing the folio
		 * change trees under it.
		 */
		if (!src_anon_vma) {
			src_anon_vma = folio_get_anon_vma(src_folio);
			if (!src_anon_vma) {
				err = -EAGAIN;	/* unmapped under us */
				goto out;
			}
			if (!anon_vma_trylock_write(src_anon_vma)) {
				anon_vma_lock_write(src_anon_vma);
				goto retry;
			}
		}
		err = move_present_pte(mm, dst_vma, dst_addr, src_addr, dst_pte, src_pte,
				       orig_dst, orig_src, dst_ptl, src_ptl, src_folio);
	} else {
		swp_entry_t entry = pte_to_swp_entry(orig_src);

		if (non_swap_entry(entry)) {
			if (is_migration_entry(entry)) {
				migration_entry_wait(mm, src_addr);
				err = -EAGAIN;
			} else {
				err = -EFAULT;
			}
			goto out;
		}
		if (!pte_swp_exclusive(orig_src)) {
			err = -EBUSY;
			goto out;
		}
		si = get_swap_device(entry);
		if (!si) {
			err = -EAGAIN;
			goto out;
		}
		if (!src_folio && !mmt_injected(BUG_UFFD_MOVE_SWAPCACHE_INDEX)) {
			struct folio *folio = swap_cache_get_folio(entry);

			if (folio) {
				src_folio = folio;
				src_folio_pte = orig_src;
				if (!folio_trylock(folio)) {
					put_swap_device(si);
					si = NULL;
					folio_lock(folio);	/* now we may sleep */
					goto retry;
				}
			}
		}
		err = move_swap_pte(mm, dst_vma, dst_addr, src_addr, dst_pte, src_pte, orig_dst,
				    orig_src, dst_ptl, src_ptl, src_folio, si, entry);
	}
out:
	if (src_anon_vma) {
		anon_vma_unlock_write(src_anon_vma);
		put_anon_vma(src_anon_vma);
	}
	if (src_folio) {
		folio_unlock(src_folio);
		folio_put(src_folio);
	}
	if (si)
		put_swap_device(si);
	return err;
}

/*
 * move_huge_zero_pmd - move_pages_huge_pmd's step for the huge zero pmd
 * (since 6.9, eb1521dad8f3): no folio to lock or rebind, the pmd itself
 * moves, read-only as it was.  Returns HPAGE_PMD_NR, 0 for the pte path
 * (ptes at the destination: the source is split and its zero ptes move
 * one by one), -EAGAIN if either pmd changed.  mmap_lock read held; takes
 * both pmd locks.
 */
static long move_huge_zero_pmd(struct mm_struct *mm, uint64_t dst_addr, uint64_t src_addr,
			       pmd_t *src_pmd, pmd_t *dst_pmd, pmd_t src_pmdval)
{
	spinlock_t *src_ptl = pmd_lockptr(src_pmd), *dst_ptl = pmd_lockptr(dst_pmd);
	long err = HPAGE_PMD_NR;

	double_pt_lock(dst_ptl, src_ptl);
	if (pmd_val(pmdp_get(src_pmd)) != pmd_val(src_pmdval) || pmd_is_huge(pmdp_get(dst_pmd))) {
		err = -EAGAIN;
		goto out;
	}
	if (!pmd_table_empty(dst_pmd)) {
		err = 0;
		goto out;
	}
	/* the deposited table stays at the source, empty (pgtable withdraw/deposit) */
	set_pmd_at(mm, dst_addr, dst_pmd, pmdp_huge_get_and_clear(mm, src_addr, src_pmd));
out:
	double_pt_unlock(dst_ptl, src_ptl);
	return err;
}

/*
 * move_pages_huge_pmd - move a whole PMD-mapped THP: the step move_pages
 * takes when the source is a huge pmd (or PMD migration entry) and the
 * source, the destination and what is left of the length are PMD-aligned
 * (!move_splits_huge_pmd).  The folio must be exclusive and unpinned; it is
 * locked, its anon_vma locked for write (split_folio and folio_referenced
 * walk it without the folio lock), both pmd locks taken and the pmds
 * rechecked; then the pmd moves, the folio's anon_vma and index become the
 * destination's (folio_move_anon_rmap), and the moved pmd is writable and
 * dirty, as after mremap.  Returns HPAGE_PMD_NR moved; 0 when the pte path
 * must do it (no huge pmd here now, or the destination holds a pte table
 * in use, the kernel's !pmd_none(dst_pmdval): move_split_huge_pmd splits
 * the source);
 * -EAGAIN to look again; -EBUSY (shared or pinned), -EEXIST (a huge pmd
 * at the destination), -ENOMEM.  mmap_lock read held.
 */
static long move_pages_huge_pmd(struct mm_struct *mm, struct vm_area_struct *dst_vma,
				uint64_t dst_addr, uint64_t src_addr)
{
	pmd_t *src_pmd = pmd_offset(mm, src_addr), *dst_pmd, src_pmdval;
	struct anon_vma *src_anon_vma;
	spinlock_t *src_ptl, *dst_ptl;
	struct folio *src_folio;
	long err = HPAGE_PMD_NR;

	if (!src_pmd || !pmd_is_huge(pmdp_get_lockless(src_pmd)))
		return 0;
	dst_pmd = pmd_alloc(mm, dst_addr);
	if (!dst_pmd)
		return -ENOMEM;
	/* a THP at the destination is not overridden */
	if (pmd_is_huge(pmdp_get_lockless(dst_pmd)))
		return -EEXIST;
	src_ptl = pmd_lock(src_pmd);
	src_pmdval = pmdp_get(src_pmd);
	if (!pmd_is_huge(src_pmdval)) {
		spin_unlock(src_ptl);
		return 0;
	}
	if (is_pmd_migration_entry(src_pmdval)) {
		spin_unlock(src_ptl);
		pmd_migration_entry_wait(mm, src_pmd);
		return -EAGAIN;
	}
	/* before 5d4747a6cc8e nothing looked for it: PageAnonExclusive below asserts */
	if (is_huge_zero_pmd(src_pmdval) && !mmt_injected(BUG_UFFD_MOVE_HUGE_ZERO)) {
		spin_unlock(src_ptl);
		return move_huge_zero_pmd(mm, dst_addr, src_addr, src_pmd, dst_pmd, src_pmdval);
	}
	src_folio = pmd_folio(src_pmdval);
	if (!PageAnonExclusive(&src_folio->page)) {
		spin_unlock(src_ptl);
		return -EBUSY;
	}
	folio_get(src_folio);
	spin_unlock(src_ptl);

	folio_lock(src_folio);
	src_anon_vma = folio_get_anon_vma(src_folio);
	if (!src_anon_vma) {
		err = -EAGAIN;	/* unmapped under us */
		goto unlock_folio;
	}
	anon_vma_lock_write(src_anon_vma);
	dst_ptl = pmd_lockptr(dst_pmd);
	double_pt_lock(dst_ptl, src_ptl);
	if (pmd_val(pmdp_get(src_pmd)) != pmd_val(src_pmdval) ||
	    pmd_is_huge(pmdp_get(dst_pmd))) {
		err = -EAGAIN;
		goto unlock_ptls;
	}
	if (!pmd_table_empty(dst_pmd)) {
		err = 0;	/* ptes at the destination: the pte path, which splits */
		goto unlock_ptls;
	}
	/* fork may have shared it, or a pin come, since we looked */
	if (folio_maybe_dma_pinned(src_folio) || !PageAnonExclusive(&src_folio->page)) {
		err = -EBUSY;
		goto unlock_ptls;
	}
	src_pmdval = pmdp_huge_get_and_clear(mm, src_addr, src_pmd);
	folio_move_anon_rmap(src_folio, dst_vma);
	src_folio->index = linear_page_index(dst_vma, dst_addr);
	/* the deposited table stays at the source, empty (pgtable withdraw/deposit) */
	set_pmd_at(mm, dst_addr, dst_pmd,
		   pmd_mkwrite(pmd_mkdirty(pmd_mkyoung(pfn_pmd(src_folio->pfn, false)))));
unlock_ptls:
	double_pt_unlock(dst_ptl, src_ptl);
	anon_vma_unlock_write(src_anon_vma);
	put_anon_vma(src_anon_vma);
unlock_folio:
	folio_unlock(src_folio);
	folio_put(src_folio);
	return err;
}

/*
 * move_split_huge_pmd - move_pages' step over a huge source pmd that
 * cannot move whole (unaligned, shorter than a pmd, or a table in use at
 * the destination): a THP not exclusive to this mm is refused before
 * anything is split (-EBUSY); the huge zero pmd, an exclusive THP or a PMD
 * migration entry is split, and move_pages_pte then moves (or waits on)
 * its ptes.  Only a present pmd names a folio: a migration entry's bits
 * are the swap entry's (7f1101a0a181).  A huge pmd at the destination is
 * left to move_pages_pte's -EEXIST, which the kernel checks first.  0 to
 * go on.  mmap_lock read held; takes the source's pmd lock.
 */
static long move_split_huge_pmd(struct vm_area_struct *src_vma, uint64_t dst_addr,
				uint64_t src_addr)
{
	struct mm_struct *mm = src_vma->vm_mm;
	pmd_t *src_pmd = pmd_offset(mm, src_addr), *dst_pmd = pmd_offset(mm, dst_addr);
	spinlock_t *ptl;
	pmd_t pmdval;

	if (!src_pmd || !pmd_is_huge(pmdp_get_lockless(src_pmd)))
		return 0;
	if (dst_pmd && pmd_is_huge(pmdp_get_lockless(dst_pmd)))
		return 0;
	ptl = pmd_lock(src_pmd);
	pmdval = pmdp_get(src_pmd);
	if (!pmd_is_huge(pmdval)) {
		spin_unlock(ptl);
		return 0;
	}
	if (pmd_present(pmdval) || mmt_injected(BUG_UFFD_MOVE_PMD_MIGRATION)) {
		struct folio *folio = pmd_folio(pmdval);

		if (!is_huge_zero_folio(folio) && !PageAnonExclusive(&folio->page)) {
			spin_unlock(ptl);
			return -EBUSY;
		}
	}
	spin_unlock(ptl);
	split_huge_pmd(src_vma, src_pmd, src_addr);
	return 0;
}

long move_pages(struct mm_struct *mm, uint64_t dst_start, uint64_t src_start, uint64_t len,
		unsigned mode)
{
	struct vm_area_struct *src_vma, *dst_vma;
	uint64_t moved = 0;
	long err;

	down_read(&mm->mmap_lock);
	/* find_vma_and_prepare_anon: the destination gets its anon_vma first */
	dst_vma = vma_lookup(mm, dst_start);
	if (!dst_vma) {
		err = -ENOENT;
		goto out_unlock;
	}
	if (!(dst_vma->vm_flags & VM_SHARED) && anon_vma_prepare(dst_vma)) {
		err = -ENOMEM;
		goto out_unlock;
	}
	src_vma = vma_lookup(mm, src_start);
	if (!src_vma) {
		err = -ENOENT;
		goto out_unlock;
	}
	err = -EINVAL;
	if ((src_vma->vm_flags & VM_SHARED) || src_start + len > src_vma->vm_end ||
	    (dst_vma->vm_flags & VM_SHARED) || dst_start + len > dst_vma->vm_end)
		goto out_unlock;
	err = validate_move_areas(src_vma, dst_vma);
	if (err)
		goto out_unlock;

	while (moved < len) {
		uint64_t dst_addr = dst_start + moved, src_addr = src_start + moved;
		bool user_again = false;

		err = 0;
		if (!(src_addr & ~HPAGE_PMD_MASK) && !(dst_addr & ~HPAGE_PMD_MASK) &&
		    len - moved >= HPAGE_PMD_NR)
			err = move_pages_huge_pmd(mm, dst_vma, dst_addr, src_addr);
		if (!err)
			err = move_split_huge_pmd(src_vma, dst_addr, src_addr);
		if (!err)
			err = move_pages_pte(mm, dst_vma, src_vma, dst_addr, src_addr, mode,
					     &user_again);
		cond_resched();
		if (err == -EAGAIN && !user_again)
			continue;
		if (err < 0)
			break;
		moved += (uint64_t)err;
		err = 0;
	}
out_unlock:
	up_read(&mm->mmap_lock);
	return moved ? (long)moved : err;
}

int userfaultfd_move(struct mm_struct *mm, uint64_t dst, uint64_t src, uint64_t len,
		     unsigned mode, uint64_t *moved)
{
	long ret;

	*moved = 0;
	/* validate_range, for both ranges */
	if (len == 0 || dst >= MMT_TASK_SIZE || len > MMT_TASK_SIZE - dst ||
	    src >= MMT_TASK_SIZE || len > MMT_TASK_SIZE - src)
		return -EINVAL;
	if (mode & ~(UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES | UFFDIO_MOVE_MODE_DONTWAKE))
		return -EINVAL;
	if (!mmget_not_zero(mm))
		return -ESRCH;
	ret = move_pages(mm, dst, src, len, mode);
	mmput(mm);
	if (ret < 0)
		return (int)ret;
	*moved = (uint64_t)ret;
	/* a short move is EAGAIN; uffdio_move.move says how far it got */
	return (uint64_t)ret == len ? 0 : -EAGAIN;
}
