// SPDX-License-Identifier: MIT
/*
 * anon_vma.c - ANONVMA 6.1-6.5, 6.7 and 6.8: the anon_vma trees, each anon_vma's list
 * of avcs and each VMA's chain of them, which must mirror each other, and
 * LEAK 13.2 for an anon_vma nothing uses; check_anon_vma.
 *
 * An avc is checked from both ends against the other end as the census
 * recorded it: from its VMA's chain here, called from vma_check, and from
 * its anon_vma's list in check_anon_vma.
 */
#include "internal.h"

/* does @vma's chain link @av?  (bounded: a looping chain is reported elsewhere) */
static bool chain_links(struct vm_area_struct *vma, struct anon_vma *av, uint32_t cap)
{
	struct list_head *e;
	uint32_t n = 0;

	for (e = vma->anon_vma_chain.next; e != &vma->anon_vma_chain && n++ < cap; e = e->next)
		if (entry_or_null(e, struct anon_vma_chain, same_vma)->anon_vma == av)
			return true;
	return false;
}

static uint32_t chain_len(struct vm_area_struct *vma, uint32_t cap)
{
	struct list_head *e;
	uint32_t n = 0;

	for (e = vma->anon_vma_chain.next; e != &vma->anon_vma_chain && n < cap; e = e->next)
		n++;
	return n;
}

/*
 * 6.7: VMAs with one anon_vma have one chain (the same set of anon_vmas).
 * is_mergeable_anon_vma lets two VMAs with the same anon_vma merge and the
 * merged VMA keeps one chain, so this is what keeps a merge from leaving a
 * folio whose anon_vma the merged VMA is not linked to.  Fork's reuse
 * keeps it by taking only an anon_vma no VMA has (num_active_vmas == 0),
 * anon_vma_prepare by taking a neighbour's only if its chain is that one
 * link; the degree double-reuse (CVE-2022-42703) broke it.  Compared with
 * the first other VMA on the anon_vma's list that has it as anon_vma.
 */
static int chk_vma_anon_chain(struct vm_area_struct *vma, struct anon_vma *av, struct census *c)
{
	uint32_t cap = c->avc.p->cap, n = 0;
	struct vm_area_struct *other = NULL;
	struct list_head *e;

	for (e = av->head.next; e != &av->head && n++ < cap; e = e->next) {
		struct anon_vma_chain *avc = entry_or_null(e, struct anon_vma_chain, same_anon_vma);

		if (!pm_live(&c->avc, avc, NULL) || !pm_live(&c->vma, avc->vma, NULL))
			return 0;	/* reported by 6.2 */
		if (avc->vma != vma && avc->vma->anon_vma == av) {
			other = avc->vma;
			break;
		}
	}
	if (!other)
		return 0;
	for (e = vma->anon_vma_chain.next; e != &vma->anon_vma_chain; e = e->next) {
		struct anon_vma *a = entry_or_null(e, struct anon_vma_chain, same_vma)->anon_vma;

		if (!chain_links(other, a, cap))
			return chk_viol(INV_ANONVMA, chk_vma_name(c, vma),
					"shares anon_vma %u with VMA %u [%#llx,%#llx) of another "
					"chain: links anon_vma %u, which that one does not",
					av->id, other->id, (unsigned long long)other->vm_start,
					(unsigned long long)other->vm_end, a->id);
	}
	if (chain_len(other, cap) != chain_len(vma, cap))
		return chk_viol(INV_ANONVMA, chk_vma_name(c, vma),
				"shares anon_vma %u with VMA %u [%#llx,%#llx) of another chain: "
				"that one links %u anon_vmas, this one %u",
				av->id, other->id, (unsigned long long)other->vm_start,
				(unsigned long long)other->vm_end, chain_len(other, cap),
				chain_len(vma, cap));
	return 0;
}

/* 6.3, 6.4, 6.7: the anon_vma side of one VMA, for vma_check */
#define OBJ	chk_vma_name(c, vma)
int chk_vma_anon(struct vm_area_struct *vma, struct census *c)
{
	struct anon_vma *av = vma->anon_vma;
	struct list_head *e;
	bool av_ok = false, found_own = false;
	uint32_t ai, ci, n = 0;
	int v = 0;

	if (av) {
		if (!pm_live(&c->av, av, &ai)) {
			v += chk_viol(INV_ANONVMA, OBJ, "vma->anon_vma %p is freed", (void *)av);
		} else {
			av_ok = true;
			c->av_active[ai]++;
		}
	}
	for (e = vma->anon_vma_chain.next; e != &vma->anon_vma_chain; e = e->next) {
		struct anon_vma_chain *avc = entry_or_null(e, struct anon_vma_chain, same_vma);

		if (!pm_live(&c->avc, avc, &ci)) {
			v += chk_viol(INV_ANONVMA, OBJ, "anon_vma_chain holds %p, not a live avc",
				      (void *)avc);
			break;
		}
		if (c->avc_vma[ci]) {
			v += chk_viol(INV_ANONVMA, OBJ,
				      "avc %u is on a VMA chain twice (or the chain loops)",
				      avc->id);
			break;
		}
		c->avc_vma[ci] = vma;
		n++;
		if (avc->vma != vma)
			v += chk_viol(INV_ANONVMA, OBJ,
				      "avc %u on this VMA's chain points at VMA %p",
				      avc->id, (void *)avc->vma);
		if (!pm_live(&c->av, avc->anon_vma, NULL)) {
			v += chk_viol(INV_ANONVMA, OBJ,
				      "avc %u points at freed anon_vma %p", avc->id,
				      (void *)avc->anon_vma);
			continue;
		}
		if (c->avc_head[ci] != avc->anon_vma)
			v += chk_viol(INV_ANONVMA, OBJ,
				      "avc %u (anon_vma %u) is not on that anon_vma's list: "
				      "rmap walks miss this VMA", avc->id, avc->anon_vma->id);
		if (avc->anon_vma == av)
			found_own = true;
		if (av_ok && avc->anon_vma->root != av->root)
			v += chk_viol(INV_ANONVMA, OBJ, "avc %u links anon_vma %u of another tree",
				      avc->id, avc->anon_vma->id);
	}
	if (av_ok && !found_own)
		v += chk_viol(INV_ANONVMA, OBJ,
			      "vma->anon_vma %u is not on the VMA's chain", av->id);
	if (!av && n)
		v += chk_viol(INV_ANONVMA, OBJ,
			      "%u avcs on the chain but vma->anon_vma is NULL", n);
	if (av_ok && found_own && !v)
		v += chk_vma_anon_chain(vma, av, c);
	return v;
}
#undef OBJ

#define OBJ	chk_objname("anon_vma %u", av->id)
int chk_anon_vma(struct anon_vma *av, struct census *c)
{
	struct anon_vma *root = av->root, *parent = av->parent;
	struct list_head *e;
	uint32_t ai, ci, vi, n = 0, want_children;
	uint64_t last_pgoff = 0;
	int want_ref, v = 0;

	if (!pm_live(&c->av, av, &ai))
		return chk_viol(INV_ANONVMA, OBJ, "%p is not a live anon_vma", (void *)av);

	/* 6.1 */
	if (!pm_live(&c->av, root, NULL))
		v += chk_viol(INV_ANONVMA, OBJ, "root %p is freed", (void *)root);
	else if (root->root != root)
		v += chk_viol(INV_ANONVMA, OBJ, "root anon_vma %u is not its own root (root %p)",
			      root->id, (void *)root->root);
	/*
	 * The parent holds no reference: it lives as long as a VMA of this
	 * anon_vma does, since that VMA's chain reaches the parent too.  Once
	 * the last chain is gone (unlink_anon_vmas has dropped the parent's
	 * num_children), a reference that keeps this anon_vma alive (a KSM
	 * rmap_item, a migration) may outlive the parent, as in the kernel.
	 */
	if (list_empty(&av->head))
		parent = NULL;
	if (parent && !pm_live(&c->av, parent, NULL))
		v += chk_viol(INV_ANONVMA, OBJ, "parent %p is freed", (void *)parent);
	else if (parent && parent->root != root)
		v += chk_viol(INV_ANONVMA, OBJ, "parent %u is in another tree", parent->id);
	if (atomic_load(&av->refcount) < 1)
		v += chk_viol(INV_ANONVMA, OBJ,
			      "live with refcount %d", atomic_load(&av->refcount));

	/* 6.2, 6.8 */
	for (e = av->head.next; e != &av->head; e = e->next) {
		struct anon_vma_chain *avc = entry_or_null(e, struct anon_vma_chain, same_anon_vma);

		if (!pm_live(&c->avc, avc, &ci) || ++n > c->avc.p->cap)
			break;		/* reported while building the census */
		if (avc->anon_vma != av)
			v += chk_viol(INV_ANONVMA, OBJ, "avc %u on its list points at anon_vma %p",
				      avc->id, (void *)avc->anon_vma);
		if (!pm_live(&c->vma, avc->vma, &vi)) {
			v += chk_viol(INV_ANONVMA, OBJ, "avc %u on its list points at freed VMA %p",
				      avc->id, (void *)avc->vma);
			continue;
		}
		if (c->mms_walked && c->avc_vma[ci] != avc->vma)
			v += chk_viol(INV_ANONVMA, OBJ,
				      "avc %u on its list is not on the chain of its VMA "
				      "%u", avc->id, avc->vma->id);
		/*
		 * 6.8: the interval tree's walking order, which mremap's
		 * need_rmap_locks and fork's walk-in-progress rule rely on
		 */
		if (n > 1 && avc->vma->vm_pgoff < last_pgoff)
			v += chk_viol(INV_ANONVMA, OBJ,
				      "avc %u (VMA %u, pgoff %#llx) comes after pgoff %#llx: "
				      "rmap walks would not visit the VMAs in vm_pgoff order",
				      avc->id, avc->vma->id,
				      (unsigned long long)avc->vma->vm_pgoff,
				      (unsigned long long)last_pgoff);
		last_pgoff = avc->vma->vm_pgoff;
	}

	/* 6.5 */
	if (c->mms_walked && av->num_active_vmas != c->av_active[ai])
		v += chk_viol(INV_ANONVMA, OBJ,
			      "num_active_vmas %lu but %u VMAs have it as anon_vma",
			      av->num_active_vmas, c->av_active[ai]);
	want_children = c->av_children[ai];
	if (av->num_children != want_children)
		v += chk_viol(INV_ANONVMA, OBJ,
			      "num_children %lu but %u live anon_vmas on some VMA have it "
			      "as parent (a root counts itself)", av->num_children,
			      want_children);
	/*
	 * its own reference while on a VMA, one per live anon_vma rooted at
	 * it, one per stable KSM rmap_item that may walk it
	 */
	want_ref = (list_empty(&av->head) ? 0 : 1) + (int)c->av_desc[ai] + (int)c->av_ksm[ai];
	if (c->mms_walked && atomic_load(&av->refcount) != want_ref)
		v += chk_viol(INV_ANONVMA, OBJ,
			      "refcount %d but %d expected (%s + %u anon_vmas rooted "
			      "here + %u KSM rmap_items)", atomic_load(&av->refcount), want_ref,
			      list_empty(&av->head) ? "no VMA" : "1 for its VMAs", c->av_desc[ai],
			      c->av_ksm[ai]);

	/* 13.2: unlink_anon_vmas frees an anon_vma whose list empties */
	if (list_empty(&av->head) && c->av_desc[ai] == 0 && c->av_ksm[ai] == 0)
		v += chk_viol(INV_LEAK, OBJ,
			      "on no VMA and the root of no live anon_vma: should have "
			      "been freed");
	v += check_lock(&av->rwsem.li, OBJ, "anon_vma rwsem");
	return v;
}
#undef OBJ

int check_anon_vma(struct anon_vma *av)
{
	int v;

	if (!the_world || !av)
		return 0;
	chk_begin();
	v = chk_anon_vma(av, chk_census_quiet(true));
	chk_end();
	return v;
}
