// SPDX-License-Identifier: MIT
/*
 * ksm.c - KSM 10.1-10.9 and the KSM part of LEAK 13.2/13.4: the stable and
 * unstable trees, migrate_nodes, the mm_slots and rmap_items, and each KSM
 * folio against its stable node.
 *
 * The census (chk_ksm_census) walks everything ksmd can reach, bounded by
 * the pools' capacities and validating every pointer, and records for each
 * object where it was found; the clauses then compare.  A stale node (its
 * kpfn's folio no longer names it) is legal anywhere a search or the
 * per-scan prune will find it: that is how the kernel lets nodes go.
 */
#include <inttypes.h>

#include "internal.h"

#define K (the_world->ksm)

static bool node_is_live(const struct census *c, const struct ksm_stable_node *node)
{
	uint32_t kpfn = atomic_load(&((struct ksm_stable_node *)node)->kpfn);
	const struct folio *f;

	if (kpfn >= c->nr_frames)
		return false;
	f = &the_world->folios[kpfn];
	return f->mapping == ((uintptr_t)node | PAGE_MAPPING_KSM);
}

/* one stable tree, depth first; a bad pointer or a cycle stops the walk */
static int census_tree(struct census *c, struct ksm_tree_node *n, struct ksm_tree_node *parent,
		       int nid, uint32_t depth)
{
	struct ksm_stable_node *node;
	uint32_t ni;

	if (!n)
		return 0;
	node = container_of(n, struct ksm_stable_node, node);
	if (!pm_live(&c->ksm_node, node, &ni))
		return chk_viol(INV_KSM, chk_objname("stable tree %d", nid),
				"holds %p, not a live stable node", (void *)node);
	if (c->node_seen[ni]++ || depth > c->ksm_node.p->cap)
		return chk_viol(INV_KSM, chk_objname("stable_node %u", node->id),
				"reached twice from the stable trees (or a tree loops)");
	c->node_tree[ni] = (int8_t)nid;
	if (n->parent != parent)
		return chk_viol(INV_KSM, chk_objname("stable_node %u", node->id),
				"its parent link does not name its parent in tree %d", nid);
	return census_tree(c, n->left, n, nid, depth + 1) +
	       census_tree(c, n->right, n, nid, depth + 1);
}

int chk_ksm_census(struct census *c)
{
	struct list_head *e;
	uint32_t si, ii, ni, n = 0;
	int v = 0;

	if (!K.mm_head.mm_list.next)
		return 0;
	/* the mm_slot list and each slot's rmap_items */
	for (e = K.mm_head.mm_list.next; e != &K.mm_head.mm_list; e = e->next) {
		struct ksm_mm_slot *slot = entry_or_null(e, struct ksm_mm_slot, mm_list);
		struct ksm_rmap_item *item;
		uint32_t m = 0;

		if (!pm_live(&c->ksm_slot, slot, &si)) {
			v += chk_viol(INV_KSM, "ksm mm list", "holds %p, not a live mm_slot",
				      (void *)slot);
			break;
		}
		if (c->slot_seen[si]++ || ++n > c->ksm_slot.p->cap) {
			v += chk_viol(INV_KSM, "ksm mm list", "loops");
			break;
		}
		for (item = slot->rmap_list; item; item = item->rmap_list) {
			if (!pm_live(&c->ksm_item, item, &ii)) {
				v += chk_viol(INV_KSM, chk_objname("mm_slot %u", slot->id),
					      "rmap_list holds %p, not a live rmap_item", (void *)item);
				break;
			}
			if (c->item_slot[ii] || ++m > c->ksm_item.p->cap) {
				v += chk_viol(INV_KSM, chk_objname("mm_slot %u", slot->id),
					      "rmap_item %u reached twice", item->id);
				break;
			}
			c->item_slot[ii] = slot;
			if ((item->flags & KSM_STABLE_FLAG) && pm_live(&c->av, item->anon_vma, &ni))
				c->av_ksm[ni]++;
		}
	}
	for (int nid = 0; nid < MMT_MAX_NODES; nid++)
		v += census_tree(c, K.root_stable_tree[nid].node, NULL, nid, 0);
	n = 0;
	for (e = K.migrate_nodes.next; e != &K.migrate_nodes; e = e->next) {
		struct ksm_stable_node *node = entry_or_null(e, struct ksm_stable_node, list);

		if (!pm_live(&c->ksm_node, node, &ni)) {
			v += chk_viol(INV_KSM, "migrate_nodes", "holds %p, not a live stable node",
				      (void *)node);
			break;
		}
		if (++n > c->ksm_node.p->cap || c->node_seen[ni]++) {
			v += chk_viol(INV_KSM, chk_objname("stable_node %u", node->id),
				      "on migrate_nodes and also elsewhere (or the list loops)");
			break;
		}
		c->node_tree[ni] = -1;
	}
	return v;
}

/* 10.1, 10.2: one KSM folio against its node; from folio_check */
#define OBJ	chk_objname("KSM folio pfn %u", f->pfn)
int chk_ksm_folio(struct folio *f, const struct frame_census *fc, struct census *c)
{
	struct ksm_stable_node *node = folio_stable_node(f);
	uint32_t ni;
	int v = 0;

	/* 10.1: never writable: a write must fault and copy */
	if (fc->writers)
		v += chk_viol(INV_KSM, OBJ, "mapped writable at mm %u addr %#" PRIx64,
			      fc->wr_mm, fc->wr_addr);
	if (test_page_anon_exclusive(&f->page))
		v += chk_viol(INV_KSM, OBJ, "AnonExclusive: a KSM page is shared by definition");
	/*
	 * 10.10: order 0.  ksmd splits a large folio before it write-protects
	 * one of its pages (try_to_merge_one_page), and neither the split
	 * nor anything else makes a large folio of a KSM page.
	 */
	if (folio_test_large(f))
		v += chk_viol(INV_KSM, OBJ, "is a large folio of order %u: KSM folios are "
			      "order 0 (the page's folio was not split before the merge)",
			      f->order);
	if (folio_ref_count(f) == 0)
		return v;
	/*
	 * 10.2.  A KSM page with no stable node is legal, mapped or not:
	 * remove_stable_node leaves an unmapped one so, and a fork (or a
	 * forked COW sharer) can keep one that try_to_merge_two_pages made
	 * and then had to break again in its own mm only, exactly as in the
	 * kernel.  Nothing can merge onto it, rmap cannot reach it (so it is
	 * never migrated or reclaimed), and a write copies it.
	 */
	if (!node)
		return v;
	if (!pm_live(&c->ksm_node, node, &ni))
		return v + chk_viol(INV_KSM, OBJ, "names stable node %p, which is freed",
				    (void *)node);
	if (atomic_load(&node->kpfn) != f->pfn)
		v += chk_viol(INV_KSM, OBJ,
			      "stable_node %u points at pfn %u, not back at this folio: "
			      "get_ksm_page will find the node stale and free it under us",
			      node->id, atomic_load(&node->kpfn));
	if (!c->node_seen[ni])
		v += chk_viol(INV_KSM, OBJ, "stable_node %u is in no stable tree and not on "
			      "migrate_nodes", node->id);
	return v;
}
#undef OBJ

/*
 * 10.8: once run = 2 has unmerged everything (and run has not changed
 * since), no mergeable VMA of a live registered mm maps a KSM page: the
 * unmerge broke each one, and a fault from the swap cache copies one while
 * run is 2.  An exited mm is left to exit_mmap, as the unmerge leaves it.
 */
static int chk_ksm_unmerged(struct mm_struct *mm, struct census *c)
{
	struct list_head *e;
	int v = 0;

	if (mm->dead || atomic_load(&mm->mm_users) == 0)
		return 0;
	for (e = mm->mmap.next; e != &mm->mmap; e = e->next) {
		struct vm_area_struct *vma = entry_or_null(e, struct vm_area_struct, vm_list);

		if (!pm_live(&c->vma, vma, NULL))
			break;		/* chk_mm reports the list */
		if (!(vma->vm_flags & VM_MERGEABLE))
			continue;
		for (uint64_t addr = vma->vm_start; addr < vma->vm_end; addr++) {
			pte_t *ptep = mmt_pte_peek(mm, addr);
			uint32_t pfn;

			if (!ptep || !pte_present(*ptep) || pte_special(*ptep))
				continue;
			pfn = (uint32_t)pte_pfn(*ptep);
			if (pfn >= c->nr_frames || !folio_test_ksm(&the_world->folios[pfn]) ||
			    the_world->folios[pfn].ksm_unmerge_raced)
				continue;
			v += chk_viol(INV_KSM, chk_objname("mm %u addr %#" PRIx64, mm->id, addr),
				      "maps KSM page pfn %u after run = 2 unmerged everything",
				      pfn);
		}
	}
	return v;
}

/*
 * 10.9: a stable rmap_item's address maps its node's KSM page, unless the
 * mapping there changed since the item went stable, which the kernel lets
 * stand until ksmd comes back to the item: a COW, an unmap, a swap-out or a
 * migration entry leave no KSM page there (nothing to judge), a page
 * COW-shared with a fork child that became KSM from the child's side later
 * (its ksm_stamp is newer), and a KSM page that an mremap of an unmergeable
 * VMA brought to the address (the VMA is not mergeable, or became mergeable
 * after the item went stable: mm->ksm_mergeable_stamp).  What remains is a
 * KSM page that was KSM already and reached the address with the item
 * pointing elsewhere: rmap_walk_ksm, looking for the node's page there, finds
 * another one.
 */
static int chk_ksm_item_maps(const struct ksm_rmap_item *item,
			     const struct ksm_stable_node *node, struct census *c)
{
	struct mm_struct *mm = item->mm;
	struct vm_area_struct *vma = NULL;
	struct ksm_stable_node *other;
	struct list_head *e;
	struct folio *f;
	pte_t *ptep;

	if (!pm_live(&c->mm, mm, NULL) || mm->dead ||
	    item->stable_stamp < mm->ksm_mergeable_stamp)
		return 0;
	for (e = mm->mmap.next; e != &mm->mmap; e = e->next) {
		struct vm_area_struct *v = entry_or_null(e, struct vm_area_struct, vm_list);

		if (!pm_live(&c->vma, v, NULL))
			return 0;	/* chk_mm reports the list */
		if (item->address >= v->vm_start && item->address < v->vm_end) {
			vma = v;
			break;
		}
	}
	if (!vma || !(vma->vm_flags & VM_MERGEABLE))
		return 0;
	ptep = mmt_pte_peek(mm, item->address);
	if (!ptep || !pte_present(*ptep) || pte_special(*ptep) || pte_pfn(*ptep) >= c->nr_frames)
		return 0;
	f = &the_world->folios[pte_pfn(*ptep)];
	if (!folio_test_ksm(f) || f->ksm_stamp > item->stable_stamp)
		return 0;
	other = folio_stable_node(f);
	if (other == node)
		return 0;
	return chk_viol(INV_KSM, chk_objname("rmap_item %u", item->id),
			"stable on node %u, but mm %u maps at %#" PRIx64 " KSM pfn %u of %s, "
			"KSM since before the item went stable: rmap_walk_ksm looks there for "
			"node %u's page", node->id, mm->id, item->address, f->pfn,
			other ? chk_objname("stable_node %u", other->id) : "no stable node",
			node->id);
}

/* 10.3-10.9 and the KSM LEAK clauses */
int chk_ksm(struct census *c)
{
	long shared = 0, sharing = 0, stable_items = 0, hlist_items = 0;
	int v = 0;

	if (!K.mm_head.mm_list.next)
		return 0;
	/* 14.1 */
	v += check_lock(&K.ksm_thread_mutex.li, "ksm", "ksm_thread_mutex");
	v += check_lock(&K.ksm_mmlist_lock.li, "ksm", "ksm_mmlist_lock");
	pm_for_each_live(&c->ksm_node, ni) {
		struct ksm_stable_node *node = pm_obj(&c->ksm_node, ni);
		const char *obj = chk_objname("stable_node %u", node->id);
		bool live = node_is_live(c, node);
		uint32_t kpfn = atomic_load(&node->kpfn), n = 0;
		struct list_head *e;

		/* 13.2 */
		if (!c->node_seen[ni]) {
			v += chk_viol(INV_LEAK, obj, "allocated but in no stable tree and not on "
				      "migrate_nodes");
			continue;
		}
		/* 10.3: in the tree of its nid, or parked on migrate_nodes */
		if (c->node_tree[ni] >= 0) {
			if (node->head != NULL)
				v += chk_viol(INV_KSM, obj, "in stable tree %d but head says "
					      "migrate_nodes", c->node_tree[ni]);
			if (node->nid != c->node_tree[ni])
				v += chk_viol(INV_KSM, obj, "nid %d but in stable tree %d",
					      node->nid, c->node_tree[ni]);
			if (K.merge_across_nodes && c->node_tree[ni] != 0)
				v += chk_viol(INV_KSM, obj, "in stable tree %d with merge_across_nodes 1",
					      c->node_tree[ni]);
		} else if (node->head != &K.migrate_nodes) {
			v += chk_viol(INV_KSM, obj, "on migrate_nodes but head does not say so");
		}
		/* 10.6: a stale node on migrate_nodes does not outlive a prune */
		if (c->node_tree[ni] < 0 && !live && kpfn < c->nr_frames) {
			uint64_t freed = the_world->folios[kpfn].ksm_freed_stamp;

			if (freed && freed <= K.pruned_stamp)
				v += chk_viol(INV_KSM, obj,
					      "stale (its KSM page pfn %u was freed) and still on "
					      "migrate_nodes after the prune at the start of a full "
					      "scan", kpfn);
		}
		/* 10.4: its rmap_items */
		for (e = node->hlist.next; e != &node->hlist; e = e->next) {
			struct ksm_rmap_item *item = entry_or_null(e, struct ksm_rmap_item, hlist);
			uint32_t ii;

			if (!pm_live(&c->ksm_item, item, &ii) || ++n > c->ksm_item.p->cap) {
				v += chk_viol(INV_KSM, obj, "hlist holds %p, not a live rmap_item "
					      "(or loops)", (void *)item);
				break;
			}
			hlist_items++;
			if (!(item->flags & KSM_STABLE_FLAG) || item->head != node)
				v += chk_viol(INV_KSM, obj, "rmap_item %u on its hlist is not stable "
					      "on it", item->id);
			if (!pm_live(&c->av, item->anon_vma, NULL))
				v += chk_viol(INV_KSM, obj, "rmap_item %u holds freed anon_vma %p: "
					      "rmap_walk_ksm would lock it", item->id,
					      (void *)item->anon_vma);
			/* 10.5: with merge_across_nodes 0, pages merge within a node */
			if (item->merged_per_node && item->page_nid != item->kpage_nid)
				v += chk_viol(INV_KSM, obj,
					      "rmap_item %u (mm %u addr %#" PRIx64 "): a page of node "
					      "%d was merged onto a KSM page on node %d with "
					      "merge_across_nodes 0", item->id,
					      item->mm ? item->mm->id : ~0u, item->address,
					      item->page_nid, item->kpage_nid);
			v += chk_ksm_item_maps(item, node, c);
		}
		if (n) {
			shared++;
			sharing += n - 1;
		}
	}
	/* 10.4, 13.2: every stable item is on its node; every item on a slot */
	pm_for_each_live(&c->ksm_item, ii) {
		struct ksm_rmap_item *item = pm_obj(&c->ksm_item, ii);
		const char *obj = chk_objname("rmap_item %u", item->id);

		if (!c->item_slot[ii])
			v += chk_viol(INV_LEAK, obj, "allocated but on no mm_slot's rmap_list");
		else if (item->mm != c->item_slot[ii]->mm)
			v += chk_viol(INV_KSM, obj, "on the rmap_list of mm_slot %u but names mm %p",
				      c->item_slot[ii]->id, (void *)item->mm);
		if ((item->flags & KSM_STABLE_FLAG) && (item->flags & KSM_UNSTABLE_FLAG))
			v += chk_viol(INV_KSM, obj, "both stable and unstable");
		if (item->flags & KSM_STABLE_FLAG) {
			stable_items++;
			if (!pm_live(&c->ksm_node, item->head, NULL))
				v += chk_viol(INV_KSM, obj, "stable on freed node %p",
					      (void *)item->head);
		}
	}
	if (stable_items != hlist_items)
		v += chk_viol(INV_KSM, "ksm", "%ld rmap_items are stable but %ld sit on stable "
			      "nodes' hlists", stable_items, hlist_items);
	/* 10.7 */
	if (shared != K.pages_shared || sharing != K.pages_sharing)
		v += chk_viol(INV_KSM, "ksm", "pages_shared %ld pages_sharing %ld, but the nodes "
			      "hold %ld and %ld", K.pages_shared, K.pages_sharing, shared, sharing);
	pm_for_each_live(&c->ksm_slot, si) {
		struct ksm_mm_slot *slot = pm_obj(&c->ksm_slot, si);
		const char *obj = chk_objname("mm_slot %u", slot->id);

		if (!c->slot_seen[si])
			v += chk_viol(INV_LEAK, obj, "allocated but not on the KSM mm list");
		else if (!pm_live(&c->mm, slot->mm, NULL))
			v += chk_viol(INV_KSM, obj, "holds freed mm %p", (void *)slot->mm);
		else if (slot->mm->ksm_slot != slot)
			v += chk_viol(INV_KSM, obj, "its mm %u does not point back at it",
				      slot->mm->id);
		else if (atomic_load(&K.unmerged_all))
			v += chk_ksm_unmerged(slot->mm, c);
	}
	return v;
}

/* 13.4: after ksmd let go of every exited mm */
int chk_ksm_empty(struct census *c)
{
	int v = 0;

	pm_for_each_live(&c->ksm_node, ni) {
		struct ksm_stable_node *node = pm_obj(&c->ksm_node, ni);

		if (node_is_live(c, node))
			v += chk_viol(INV_LEAK, chk_objname("stable_node %u", node->id),
				      "its KSM page pfn %u is still allocated after every process "
				      "exited", atomic_load(&node->kpfn));
	}
	if (c->ksm_item.nr_live)
		v += chk_viol(INV_LEAK, "pool ksm_rmap_item",
			      "%u rmap_items left after ksmd let go of every exited mm",
			      c->ksm_item.nr_live);
	if (c->ksm_slot.nr_live)
		v += chk_viol(INV_LEAK, "pool ksm_mm_slot",
			      "%u mm_slots left after ksmd let go of every exited mm",
			      c->ksm_slot.nr_live);
	return v;
}
