// SPDX-License-Identifier: MIT
/*
 * gup.c - long-term pins: pin_user_pages(FOLL_PIN | FOLL_WRITE |
 * FOLL_LONGTERM), unpin_user_pages_dirty_lock(), and the device's access
 * through a pin (see gup.h for what a pin changes elsewhere).
 *
 * Pinning follows __get_user_pages(): under mmap_lock read, look the page
 * up under its ptl (follow_page_pte); if it is not there writable, fault
 * it in for write (handle_mm_fault with FAULT_FLAG_WRITE, which breaks COW
 * and leaves an AnonExclusive anon page) and look again.  The reference is
 * taken while the ptl still holds the pte (try_grab_folio), so the page
 * pinned is the page mapped.  MMF_HAS_PINNED is set before the first page,
 * as __gup_longterm_locked() does, so that a fork racing the pin already
 * checks for pins.
 *
 * Differences: no gup-fast; FOLL_LONGTERM's migration of pages out of
 * ZONE_MOVABLE/CMA is not modelled (the model has no movable zones); the
 * pins are recorded in the world's pin table (gup.h), whose leaf lock is
 * taken under the ptl.
 */
#include <errno.h>

#include "mmt/folio.h"
#include "mmt/gup.h"
#include "mmt/huge_mm.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/world.h"
#include "internal.h"

#define MAX_PIN_FAULTS 10000

void gup_pins_reset(struct gup_pins *pins)
{
	for (uint32_t i = 0; i < MMT_MAX_PINS; i++)
		pins->pin[i] = (struct gup_pin){ 0 };
	pins->nr = 0;
	pins->seq = 0;
}

/* a free slot for a pin, or -1; pin lock held */
static int pin_slot_alloc(struct gup_pins *pins)
{
	for (int i = 0; i < MMT_MAX_PINS; i++)
		if (!pins->pin[i].mm)
			return i;
	return -1;
}

/* @mm's newest pin named @uaddr, or -1; pin lock held */
static int pin_find(struct gup_pins *pins, struct mm_struct *mm, uint64_t uaddr)
{
	int best = -1;

	for (int i = 0; i < MMT_MAX_PINS; i++) {
		const struct gup_pin *p = &pins->pin[i];

		if (p->mm == mm && p->uaddr == uaddr && (best < 0 || p->seq > pins->pin[best].seq))
			best = i;
	}
	return best;
}

/*
 * gup_put_folio(FOLL_PIN) after the pin left the table: the bias goes,
 * and the page is dirtied as unpin_user_pages_dirty_lock() does (an anon
 * page's dirtiness lives in its ptes and swap state).  No lock held.
 */
static void unpin_folio(struct folio *folio)
{
	if (!folio_test_anon(folio))
		folio_set(folio, PG_dirty);
	if (folio_test_large(folio)) {
		VM_BUG_ON(atomic_fetch_sub(&folio->_pincount, 1) <= 0, INV_PIN,
			  "folio pfn %u unpinned with no pin", folio->pfn);
		folio_put(folio);
		return;
	}
	VM_BUG_ON(folio_ref_count(folio) < GUP_PIN_COUNTING_BIAS, INV_PIN,
		  "folio pfn %u unpinned with refcount %d", folio->pfn, folio_ref_count(folio));
	folio_put_refs(folio, GUP_PIN_COUNTING_BIAS);
}

/* try_grab_folio(FOLL_PIN) */
static void grab_folio_pin(struct folio *folio)
{
	kp_access(folio, KP_F_FOLIO_REF, true);
	if (folio_test_large(folio)) {
		atomic_fetch_add(&folio->_refcount, 1);
		atomic_fetch_add(&folio->_pincount, 1);
		return;
	}
	atomic_fetch_add(&folio->_refcount, GUP_PIN_COUNTING_BIAS);
}

/* record the pin of @page (try_grab_folio); the slot or -ENOMEM.  ptl held */
static int pin_record(struct mm_struct *mm, uint64_t addr, struct folio *folio, struct page *page)
{
	struct gup_pins *pins = &the_world->pins;
	int slot;

	spin_lock(&pins->lock);
	slot = pin_slot_alloc(pins);
	if (slot >= 0) {
		grab_folio_pin(folio);
		pins->pin[slot] = (struct gup_pin){
			.mm = mm, .uaddr = addr, .folio = folio, .page = page,
			.seq = ++pins->seq, .addr = addr, .mapped = true,
		};
		pins->nr++;
	}
	spin_unlock(&pins->lock);
	return slot >= 0 ? slot : -ENOMEM;
}

/*
 * follow_pmd_mask's huge pmd: the page through a writable huge pmd is
 * pinned without splitting it.  1 with *@slotp set, 0 to go on to the
 * ptes or fault.  mmap_lock read held.
 */
static int pin_huge_pmd(struct vm_area_struct *vma, uint64_t addr, int *slotp)
{
	pmd_t *pmdp = pmd_offset(vma->vm_mm, addr);
	struct page *page;
	spinlock_t *ptl;

	if (!pmdp || !pmd_trans_huge(pmdp_get_lockless(pmdp)))
		return 0;
	ptl = pmd_lock(pmdp);
	page = follow_huge_pmd(vma, addr, pmdp_get(pmdp));
	if (page)
		*slotp = pin_record(vma->vm_mm, addr, page_folio(page), page);
	spin_unlock(ptl);
	return page != NULL;
}

/*
 * pin_one_page - follow_page_pte, then fault and retry.  Returns the pin
 * slot, or -errno.  mmap_lock read held.
 */
static int pin_one_page(struct mm_struct *mm, uint64_t addr)
{
	for (int tries = 0; tries < MAX_PIN_FAULTS; tries++) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);
		spinlock_t *ptl;
		pte_t *ptep;
		unsigned ret;
		int slot;

		/* check_vma_flags: FOLL_WRITE wants a writable VMA */
		if (!vma || !(vma->vm_flags & VM_WRITE))
			return -EFAULT;
		if (pin_huge_pmd(vma, addr, &slot))
			return slot;
		ptep = pte_offset_map_lock(mm, addr, &ptl);
		if (ptep) {
			pte_t pte = ptep_get(ptep);

			if (pte_present(pte) && pte_write(pte)) {
				struct folio *folio = vm_normal_folio(vma, addr, pte);
				struct page *page = pfn_to_page(pte_pfn(pte));

				VM_BUG_ON(!folio, INV_PIN, "mm %u addr %#llx: writable special pte",
					  mm->id, (unsigned long long)addr);
				/* gup_must_unshare: a writable anon pte is exclusive */
				VM_BUG_ON(folio_test_anon(folio) && !PageAnonExclusive(page),
					  INV_EXCLUSIVE,
					  "mm %u addr %#llx: writable pte of a shared anon page pfn %u",
					  mm->id, (unsigned long long)addr, folio->pfn);
				slot = pin_record(mm, addr, folio, page);
				pte_unmap_unlock(ptl);
				return slot;
			}
			pte_unmap_unlock(ptl);
		}
		ret = handle_mm_fault(vma, addr, FAULT_FLAG_WRITE);
		if (ret & VM_FAULT_OOM)
			return -ENOMEM;
		if (ret & (VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV))
			return -EFAULT;
		cond_resched();
	}
	mmt_bug(INV_BUG, __FILE__, __LINE__, "pin fault retried forever", "mm %u addr %#llx",
		mm->id, (unsigned long long)addr);
}

/* release one slot; returns its folio for unpin_folio().  Pin lock held. */
static struct folio *pin_slot_free(struct gup_pins *pins, int slot)
{
	struct folio *folio = pins->pin[slot].folio;

	pins->pin[slot] = (struct gup_pin){ 0 };
	pins->nr--;
	return folio;
}

int pin_user_pages_range(struct mm_struct *mm, uint64_t addr, uint64_t nr)
{
	struct gup_pins *pins = &the_world->pins;
	int slots[MMT_MAX_PINS];
	uint64_t seqs[MMT_MAX_PINS], i;
	int err = 0;

	if (!nr)
		return -EINVAL;
	if (nr > MMT_MAX_PINS)
		return -ENOMEM;		/* RLIMIT_MEMLOCK, as io_uring accounts it */
	atomic_store(&mm->has_pinned, true);	/* mm_set_has_pinned_flag */
	down_read(&mm->mmap_lock);
	for (i = 0; i < nr; i++) {
		int slot = pin_one_page(mm, addr + i);

		if (slot < 0) {
			err = slot;
			break;
		}
		slots[i] = slot;
		spin_lock(&pins->lock);
		seqs[i] = pins->pin[slot].seq;
		spin_unlock(&pins->lock);
	}
	up_read(&mm->mmap_lock);
	if (!err)
		return 0;
	/*
	 * io_pin_pages: a partial pin is undone.  Another task may have let
	 * go of a pin of ours meanwhile (an unpin of the page, the exit's
	 * gup_unpin_all), and the slot may hold someone else's pin now: only
	 * the pin still recorded there is undone.
	 */
	while (i--) {
		struct folio *folio = NULL;

		spin_lock(&pins->lock);
		if (pins->pin[slots[i]].mm == mm && pins->pin[slots[i]].seq == seqs[i])
			folio = pin_slot_free(pins, slots[i]);
		spin_unlock(&pins->lock);
		if (folio)
			unpin_folio(folio);
	}
	return err;
}

int unpin_user_pages_range(struct mm_struct *mm, uint64_t addr, uint64_t nr)
{
	struct gup_pins *pins = &the_world->pins;
	int err = 0;

	for (uint64_t i = 0; i < nr; i++) {
		struct folio *folio = NULL;
		int slot;

		spin_lock(&pins->lock);
		slot = pin_find(pins, mm, addr + i);
		if (slot >= 0)
			folio = pin_slot_free(pins, slot);
		spin_unlock(&pins->lock);
		if (folio)
			unpin_folio(folio);
		else
			err = -ENOENT;
		cond_resched();
	}
	return err;
}

/*
 * The device's DMA: no page table, no fault, no lock but the pinner's
 * record, which keeps the folio pinned while we touch it.
 */
int gup_pin_access(struct mm_struct *mm, uint64_t addr, bool write, uint64_t *val)
{
	struct gup_pins *pins = &the_world->pins;
	int slot;

	spin_lock(&pins->lock);
	slot = pin_find(pins, mm, addr);
	if (slot >= 0) {
		struct folio *folio = pins->pin[slot].folio;
		_Atomic uint64_t *value = page_value(pins->pin[slot].page);

		if (write) {
			atomic_store(value, *val);
			if (!folio_test_anon(folio))
				folio_set(folio, PG_dirty);
		} else {
			*val = atomic_load(value);
		}
	}
	spin_unlock(&pins->lock);
	return slot >= 0 ? 0 : -ENOENT;
}

void gup_unpin_all(struct mm_struct *mm)
{
	struct gup_pins *pins = &the_world->pins;

	if (!atomic_load(&mm->has_pinned))
		return;
	for (int i = 0; i < MMT_MAX_PINS; i++) {
		struct folio *folio = NULL;

		spin_lock(&pins->lock);
		if (pins->pin[i].mm == mm)
			folio = pin_slot_free(pins, i);
		spin_unlock(&pins->lock);
		if (folio)
			unpin_folio(folio);
	}
}

/* zap_one_pte of @mm took @folio off @addr: its pins there are unmapped now */
void gup_pin_zapped(struct mm_struct *mm, uint64_t addr, const struct folio *folio)
{
	struct gup_pins *pins = &the_world->pins;

	spin_lock(&pins->lock);
	for (int i = 0; i < MMT_MAX_PINS; i++) {
		struct gup_pin *p = &pins->pin[i];

		if (p->mm == mm && p->mapped && p->addr == addr && p->folio == folio)
			p->mapped = false;
	}
	spin_unlock(&pins->lock);
}

/* move_page_tables of @mm moved [old, old + len) to new */
void gup_pins_moved(struct mm_struct *mm, uint64_t old_addr, uint64_t new_addr, uint64_t len)
{
	struct gup_pins *pins = &the_world->pins;

	spin_lock(&pins->lock);
	for (int i = 0; i < MMT_MAX_PINS; i++) {
		struct gup_pin *p = &pins->pin[i];

		if (p->mm == mm && p->mapped && p->addr >= old_addr && p->addr - old_addr < len)
			p->addr = p->addr - old_addr + new_addr;
	}
	spin_unlock(&pins->lock);
}
