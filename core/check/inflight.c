// SPDX-License-Identifier: MIT
/*
 * inflight.c - the cheap invariants, checked while operations are running.
 *
 * The census (check_world) needs quiescence: no task inside an operation.
 * A race's broken state can be short-lived, though: an orphan migration
 * entry lives from the end of the migration that left it until the next
 * fault or zap, and another task may repair or hide it before anyone is
 * quiescent.  The clauses here hold at every moment a lock is dropped in the
 * kernel too, so they are checked right then (kprim's in-flight hook, under
 * the deterministic scheduler only), over the object the lock protects:
 *
 *  3.4 a migration entry in a page table whose lock is being released
 *      names an existing frame that is locked and under migration
 *      (PG_migrating: the migration that made the entry still runs);
 *  3.5 a folio being unlocked is named by no migration entry unless it is
 *      still under migration: the end of a migration leaves no entry;
 *  2.6 a present pte in that table maps a frame with a reference and a
 *      mapping (never a free frame);
 *  4.7 a swap pte of a real type names a live device and a slot in use;
 *  7.5 a writable pte of an anon folio is AnonExclusive;
 *  5.8 an exclusive swap pte whose slot still has an anon folio in the swap cache lies
 *      where that folio's anon_vma and index place it, as do_swap_page
 *      will assume when it maps the folio there (checked while some task
 *      holds the mm's mmap_lock for read, so that no VMA is mid-change);
 * 11.5 a device-private entry names an allocated, mapped device folio.
 *
 * At a yield point (cond_resched) the same clauses run again over the last
 * few tables and folios the yielding task released, since other tasks run
 * next and may be the ones that change what it left.
 *
 * Nothing here takes a lock or calls model code that could: under the
 * scheduler only the running fiber touches the world, so plain reads are
 * safe, and the hook is never installed on real threads.
 */
#include "internal.h"

/* the objects a task released lately, for its yield points */
#define INFLIGHT_RECENT	4

static struct {
	const void *obj[INFLIGHT_RECENT];
	uint8_t cls[INFLIGHT_RECENT];
	unsigned next;
} recent[KP_MAX_TASKS];

/* does @vma's chain (bounded: it may be anything) reach @av? */
static bool inflight_chain_has(const struct vm_area_struct *vma, const struct anon_vma *av)
{
	const struct list_head *e = vma->anon_vma_chain.next;

	for (unsigned n = 0; e && e != &vma->anon_vma_chain && n < 4096; e = e->next, n++)
		if (container_of(e, struct anon_vma_chain, same_vma)->anon_vma == av)
			return true;
	return false;
}

/* 5.8 for the swap pte in slot @i of @t whose slot's cache holds @f */
static void inflight_swapcache_rmap(const struct pgtable *t, unsigned i, const struct folio *f)
{
	struct mm_struct *mm = t->pt_mm;
	uint64_t addr = t->pt_base + i;
	const struct vm_area_struct *vma = NULL;
	const struct list_head *e;
	struct anon_vma *av;
	unsigned n = 0;
	char obj[64];

	if (!f || !folio_test_anon(f) || folio_test_ksm(f) || !pool_owns(&the_world->mm_pool, mm) ||
	    atomic_load(&mm->mmap_lock.li.owner) || atomic_load(&mm->mmap_lock.li.readers) <= 0)
		return;
	av = folio_anon_vma(f);
	for (e = mm->mmap.next; e && e != &mm->mmap && n < 4096; e = e->next, n++) {
		const struct vm_area_struct *v = container_of(e, struct vm_area_struct, vm_list);

		if (v->vm_start <= addr && addr < v->vm_end) {
			vma = v;
			break;
		}
	}
	if (!vma || !av)
		return;
	if (inflight_chain_has(vma, av) && linear_page_index(vma, addr) == f->index)
		return;
	snprintf(obj, sizeof(obj), "folio pfn %u", f->pfn);
	mmt_violation(INV_RMAP, obj, "in the swap cache for the swap pte at mm %u addr %#llx "
		      "(table %u slot %u), but its rmap says anon_vma %u index %#llx while that "
		      "pte's VMA [%#llx,%#llx) %s at index %#llx: a swap-in there maps it where "
		      "the rmap cannot find it (in flight, clause 5.8)", mm->id,
		      (unsigned long long)addr, t->id, i, av->id, (unsigned long long)f->index,
		      (unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end,
		      inflight_chain_has(vma, av) ? "is linked to it" : "is not linked to it",
		      (unsigned long long)linear_page_index(vma, addr));
}

/* 3.4, 2.6, 4.7, 7.5, 5.8 over one pte table */
static void inflight_pgtable(const struct pgtable *t)
{
	unsigned seen = 0;

	for (unsigned i = 0; i < PTRS_PER_PTE && seen < t->nr_used; i++) {
		pte_t pte = t->pte[i];
		struct page *pg = NULL;
		struct folio *f;

		if (pte_none(pte))
			continue;
		seen++;
		if (pte_present(pte)) {
			if (pte_special(pte))
				continue;
			f = pfn_folio(pte_pfn(pte));
			if (f)
				pg = &f->page;
			if (f)
				f = page_folio(pg);	/* a large folio's page: its folio */
			if (!f) {
				mmt_violation(INV_MAPCOUNT, "pte table", "table %u slot %u: pte maps pfn "
					      "%llu, no such frame (in flight)", t->id, i,
					      (unsigned long long)pte_pfn(pte));
				return;
			}
			if (folio_ref_count(f) < 1 || folio_mapcount(f) < 1) {
				char obj[64];

				snprintf(obj, sizeof(obj), "folio pfn %u", f->pfn);
				mmt_violation(INV_REFCOUNT, obj, "mapped by table %u slot %u with "
					      "refcount %d, mapcount %d (in flight, clause 2.6)", t->id,
					      i, folio_ref_count(f), folio_mapcount(f));
				return;
			}
			if (pte_write(pte) && folio_test_anon(f) && !test_page_anon_exclusive(pg)) {
				char obj[64];

				snprintf(obj, sizeof(obj), "folio pfn %u", f->pfn);
				mmt_violation(INV_EXCLUSIVE, obj, "writable in table %u slot %u but not "
					      "AnonExclusive (in flight, clause 7.5)", t->id, i);
				return;
			}
			continue;
		}
		{
			swp_entry_t e = pte_to_swp_entry(pte);

			if (is_migration_entry(e)) {
				f = pfn_folio(swp_offset_pfn(e));
				/* a page of a large folio being split: its folio's state */
				if (f)
					f = page_folio(&f->page);
				if (!f) {
					mmt_violation(INV_MIGRATION, "pte table", "table %u slot %u: "
						      "migration entry to pfn %llu, no such frame "
						      "(in flight)", t->id, i,
						      (unsigned long long)swp_offset_pfn(e));
					return;
				}
				if (!folio_test_locked(f) || !folio_test_migrating(f)) {
					char obj[64];

					snprintf(obj, sizeof(obj), "folio pfn %u", f->pfn);
					mmt_violation(INV_MIGRATION, obj, "migration entry in table %u "
						      "slot %u but the folio is %s (orphan; in flight, "
						      "clause 3.4)", t->id, i,
						      !folio_test_locked(f) ? "not locked" :
						      "not under migration");
					return;
				}
			} else if (is_device_private_entry(e)) {
				f = pfn_folio(swp_offset_pfn(e));
				if (!f || !folio_is_device_private(f) || folio_ref_count(f) < 1 ||
				    folio_mapcount(f) < 1) {
					char obj[64];

					snprintf(obj, sizeof(obj), "pte table %u", t->id);
					mmt_violation(INV_DEVICE, obj, "slot %u: device-private entry "
						      "to pfn %llu, %s (in flight, clause 11.5)", i,
						      (unsigned long long)swp_offset_pfn(e),
						      !f || !folio_is_device_private(f) ?
						      "not a device frame" : "a free or unmapped folio");
					return;
				}
			} else if (!non_swap_entry(e)) {
				struct swap_info_struct *si = swap_type_to_info((int)swp_type(e));
				uint64_t off = swp_offset(e);

				if (!si || !si->swap_map || off >= si->max ||
				    !(si->swap_map[off] & (SWAP_COUNT_MASK | COUNT_CONTINUED))) {
					char obj[64];

					snprintf(obj, sizeof(obj), "swap type %u slot %llu", swp_type(e),
						 (unsigned long long)off);
					mmt_violation(INV_SWAPMAP, obj, "named by table %u slot %u but %s "
						      "(in flight, clause 4.7)", t->id, i,
						      !si || !si->swap_map ? "the device is gone" :
						      off >= si->max ? "past the device's end" :
						      "the slot is free");
					return;
				}
				/* a shared slot may be KSM's, whose copy do_swap_page makes */
				if (si->cache && pte_swp_exclusive(pte))
					inflight_swapcache_rmap(t, i, si->cache[off]);
			}
		}
	}
}

/*
 * The folio a frame belongs to now.  A frame this task unlocked a while ago
 * (the yield-point recheck) may have been freed and reused since as a tail
 * page of a large folio: the head's lock and PG_migrating then answer for
 * the migration entries that name it (a split under way, say).
 */
static const struct folio *frame_folio(const struct folio *f)
{
	return atomic_load(&((struct folio *)f)->tail_off) ? page_folio(&f->page) : f;
}

/* 3.5 for a folio that was just unlocked */
static void inflight_folio(const struct folio *f)
{
	int n = atomic_load_explicit(&((struct folio *)f)->nr_migration_entries,
				     memory_order_relaxed);
	const struct folio *head = frame_folio(f);

	if (n > 0 && (!folio_test_locked(head) || !folio_test_migrating(head))) {
		char obj[64];

		snprintf(obj, sizeof(obj), "folio pfn %u", f->pfn);
		mmt_violation(INV_MIGRATION, obj, "%d migration entr%s still name%s it after its "
			      "migration ended (orphan; in flight, clause 3.5)", n,
			      n == 1 ? "y" : "ies", n == 1 ? "s" : "");
	}
}

static const struct pgtable *ptl_table(const struct kp_lockinfo *li)
{
	const spinlock_t *l = container_of(li, spinlock_t, li);
	const struct pgtable *t = container_of(l, struct pgtable, ptl);

	/* freed tables are poisoned: only a live pte-level table is read */
	if (!pool_owns(&the_world->pgtable_pool, t) || t->level != 1)
		return NULL;
	return t;
}

static const struct folio *lock_folio(const struct kp_lockinfo *li)
{
	const struct folio *f = container_of(li, struct folio, lockinfo);

	return pfn_folio(f->pfn) == f ? f : NULL;
}

static void inflight_one(const void *obj, uint8_t cls)
{
	if (cls == LC_PTL)
		inflight_pgtable(obj);
	else
		inflight_folio(obj);
}

void check_inflight(const struct kp_lockinfo *li)
{
	int id = kp_current_id();
	const void *obj = NULL;

	if (!the_world || id < 0 || id >= KP_MAX_TASKS)
		return;
	if (!li) {
		/*
		 * A yield point: what this task left lately, again, unless
		 * someone holds its lock now (then it may be half way through
		 * a change, and is checked when that lock is dropped).
		 */
		for (unsigned i = 0; i < INFLIGHT_RECENT; i++) {
			const void *o = recent[id].obj[i];

			if (!o)
				continue;
			if (recent[id].cls[i] == LC_PTL) {
				const struct pgtable *t = o;

				if (!pool_owns(&the_world->pgtable_pool, t) || t->level != 1 ||
				    spin_is_locked(&t->ptl))
					continue;
			} else if (folio_test_locked(frame_folio(o))) {
				continue;
			}
			inflight_one(o, recent[id].cls[i]);
		}
		return;
	}
	if (li->cls == LC_PTL)
		obj = ptl_table(li);
	else if (li->cls == LC_FOLIO_LOCK)
		obj = lock_folio(li);
	if (!obj)
		return;
	inflight_one(obj, li->cls);
	recent[id].obj[recent[id].next] = obj;
	recent[id].cls[recent[id].next] = li->cls;
	recent[id].next = (recent[id].next + 1) % INFLIGHT_RECENT;
}

void check_inflight_reset(void)
{
	memset(recent, 0, sizeof(recent));
}
