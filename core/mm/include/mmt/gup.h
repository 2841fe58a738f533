/* SPDX-License-Identifier: MIT */
/*
 * gup.h - long-term GUP pins, after mm/gup.c: pin_user_pages() with
 * FOLL_PIN | FOLL_WRITE | FOLL_LONGTERM, as io_uring's registered buffers
 * and RDMA memory registration take them, and their unpinning.
 *
 * A pin is a reference that says "a device may read or write this page
 * at any time, without the page tables": on an order-0 folio it adds
 * GUP_PIN_COUNTING_BIAS to the refcount (try_grab_folio), so that
 * folio_maybe_dma_pinned() can tell from the refcount alone.  Whoever
 * would replace, share or move a page asks that question:
 *
 *   fork           folio_try_dup_anon_rmap_pte() fails on a pinned
 *                  AnonExclusive page, and copy_present_page() gives the
 *                  child its own copy: the parent keeps the pinned page,
 *                  mapped as before (70e806e4e645).
 *   try_to_unmap,  folio_try_share_anon_rmap_pte() fails: the pte is put
 *   try_to_migrate back and the walk stops, so reclaim and migration leave
 *                  a pinned exclusive page mapped.
 *   migration      the refcount never matches folio_expected_refs().
 *   do_wp_page     reuses an exclusive page (the pinned one) and never
 *                  reuses a shared page with extra references.
 *   KSM            write_protect_page's refcount check and the same
 *                  try_share refuse a pinned page.
 *
 * The pins themselves live in a table that stands for the pinners' own
 * records (io_uring's buffer table): the pinning mm, the address it
 * pinned, the folio.  The kernel keeps no list of pins; the table is what
 * the language's pin_write / pin_read (the device's DMA) go through, and
 * what the PIN invariant reads (check.h).  Pins are not inherited by a
 * fork child and are dropped when their mm exits, as a ring's buffers are
 * when its last file reference goes.
 *
 * On a large folio a pin is one reference plus one in _pincount, and
 * folio_maybe_dma_pinned reads _pincount, as in the kernel.
 */
#ifndef MMT_GUP_H
#define MMT_GUP_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/folio.h"
#include "mmt/kprim.h"
#include "mmt/mm.h"

#define GUP_PIN_COUNTING_BIAS	1024
#define MMT_MAX_PINS		64	/* pins alive at once in a world */

struct gup_pin {
	struct mm_struct *mm;	/* the pinner; NULL: a free slot */
	uint64_t uaddr;		/* the address it was pinned at: its name */
	struct folio *folio;
	struct page *page;	/* the page of @folio pinned (its contents, its pfn) */
	uint64_t seq;		/* pin order: the newest pin of (mm, uaddr) is used */
	/*
	 * Model-only, for the PIN invariant: where the pinner maps the page
	 * now (mremap moves it), and whether the pinner has unmapped it
	 * (munmap, MADV_DONTNEED, a MAP_FIXED over it, exit).  Updated by
	 * zap_one_pte() and move_page_tables() of the pinning mm.
	 */
	uint64_t addr;
	bool mapped;
};

struct gup_pins {
	spinlock_t lock;		/* LC_GUP_PINS */
	struct gup_pin pin[MMT_MAX_PINS];
	uint32_t nr;			/* slots in use */
	uint64_t seq;
};

/*
 * folio_maybe_dma_pinned - may a device hold this folio?  Order 0: the
 * refcount says so once it reaches the bias, which many plain references
 * can also reach: a false positive only makes the callers more careful.
 */
static inline bool folio_maybe_dma_pinned(const struct folio *folio)
{
	if (folio_test_large(folio))
		return atomic_load(&((struct folio *)folio)->_pincount) > 0;
	return folio_ref_count(folio) >= GUP_PIN_COUNTING_BIAS;
}

/* the mm has ever pinned (MMF_HAS_PINNED, sticky) and the folio may be pinned */
static inline bool folio_needs_cow_for_dma(const struct vm_area_struct *vma,
					   const struct folio *folio)
{
	if (!atomic_load(&vma->vm_mm->has_pinned))
		return false;
	return folio_maybe_dma_pinned(folio);
}

/*
 * pin_user_pages_range - pin [addr, addr + nr) of @mm for writing, long
 * term, all or nothing (io_uring_register's buffer registration): each
 * page is faulted in for write first, so that the pinner holds a writable
 * page, exclusive when anonymous.  0, -EINVAL (nr 0), -EFAULT (a page
 * outside a writable VMA, or a fault that failed), -ENOMEM (out of memory
 * or of pin slots).  Takes mmap_lock for read.
 */
int pin_user_pages_range(struct mm_struct *mm, uint64_t addr, uint64_t nr);
/*
 * unpin_user_pages_range - drop @mm's newest pin of each page of the range
 * (unpin_user_pages_dirty_lock: a file page is dirtied).  -ENOENT if some
 * page had no pin (the others are still unpinned).
 */
int unpin_user_pages_range(struct mm_struct *mm, uint64_t addr, uint64_t nr);
/*
 * gup_pin_access - the device reads or writes the page @mm pinned at
 * @addr, through its pin, whatever the page tables say now.  -ENOENT
 * without such a pin.
 */
int gup_pin_access(struct mm_struct *mm, uint64_t addr, bool write, uint64_t *val);
/* exit: drop every pin of @mm (the ring's buffers go with its files) */
void gup_unpin_all(struct mm_struct *mm);

/* model-only bookkeeping for the PIN invariant, see struct gup_pin */
void gup_pin_zapped(struct mm_struct *mm, uint64_t addr, const struct folio *folio);
void gup_pins_moved(struct mm_struct *mm, uint64_t old_addr, uint64_t new_addr,
		    uint64_t len);

void gup_pins_reset(struct gup_pins *pins);

#endif /* MMT_GUP_H */
