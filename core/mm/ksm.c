// SPDX-License-Identifier: MIT
/*
 * ksm.c - Kernel Samepage Merging, as mm/ksm.c has had it since the 2013
 * series of seed 001 (KSM page migration, merge_across_nodes, migrate_nodes).
 * The overview and the lock rules are in include/mmt/ksm.h.
 *
 * A page's contents are one 64-bit word, so memcmp_pages compares words and
 * the checksum hashes one.  The trees are binary search trees on that word
 * without the rbtree's balancing: the shape of a descent, the places where
 * it can meet a stale or migrating node and the places where it gives up
 * are the kernel's; only the depth differs.
 *
 * Where this follows a version of mm/ksm.c: the scan, the trees, get_ksm_page
 * and the migrate_nodes handling are 3.9's (the seed); write_protect_page
 * also shares an AnonExclusive page, as today's does, since the model has
 * AnonExclusive; break_ksm unshares (FAULT_FLAG_UNSHARE) as today's does.
 *
 * Large folios (issue 13) as Linux has had them since 4.5 (split under the
 * page lock; 77da2ba0648a in 4.17), in 6.x's folio form: ksmd scans pages, not
 * folios.  The scan and get_mergeable_page hand out a subpage of a PTE-mapped
 * mTHP with a reference on its folio; the trees compare pages; only when a
 * page is about to be merged does try_to_merge_one_page split its folio,
 * under the folio trylock (split_huge_page, which keeps page_folio(page)
 * locked and referenced).  A split that fails (a pin, another reference,
 * the other page of the pair in the same folio) fails the merge for this
 * round; cmp_and_merge_page retries the split itself when both pages of a
 * pair were in one folio (77da2ba0648a).  A KSM folio is always order 0.
 */
#include <errno.h>
#include <string.h>

#include "mmt/folio.h"
#include "mmt/huge_mm.h"
#include "mmt/inject.h"
#include "mmt/ksm.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/mmdebug.h"
#include "mmt/rmap.h"
#include "mmt/swap.h"
#include "mmt/world.h"
#include "internal.h"

#define ksm (the_world->ksm)
#define SEQNR_MASK	0xff

/* ------------------------------------------------------------- trees */

static struct ksm_tree_node **tree_link_of(struct ksm_tree_root *root, struct ksm_tree_node *n)
{
	if (!n->parent)
		return &root->node;
	return n->parent->left == n ? &n->parent->left : &n->parent->right;
}

static void tree_link_node(struct ksm_tree_node *n, struct ksm_tree_node *parent,
			   struct ksm_tree_node **link)
{
	n->left = n->right = NULL;
	n->parent = parent;
	*link = n;
}

static void tree_erase(struct ksm_tree_node *n, struct ksm_tree_root *root)
{
	struct ksm_tree_node **link = tree_link_of(root, n);

	if (!n->left || !n->right) {
		struct ksm_tree_node *child = n->left ? n->left : n->right;

		*link = child;
		if (child)
			child->parent = n->parent;
	} else {
		struct ksm_tree_node *succ = n->right;

		while (succ->left)
			succ = succ->left;
		if (succ != n->right) {
			/* succ is a left child with no left child of its own */
			succ->parent->left = succ->right;
			if (succ->right)
				succ->right->parent = succ->parent;
			succ->right = n->right;
			n->right->parent = succ;
		}
		succ->left = n->left;
		n->left->parent = succ;
		succ->parent = n->parent;
		*link = succ;
	}
	n->left = n->right = n->parent = NULL;
}

static void tree_replace_node(struct ksm_tree_node *old, struct ksm_tree_node *new,
			      struct ksm_tree_root *root)
{
	*tree_link_of(root, old) = new;
	*new = *old;
	if (new->left)
		new->left->parent = new;
	if (new->right)
		new->right->parent = new;
	old->left = old->right = old->parent = NULL;
}

#define stable_of(n)	container_of(n, struct ksm_stable_node, node)
#define item_of(n)	container_of(n, struct ksm_rmap_item, node)

/* ---------------------------------------------------------- helpers */

/* pages, not folios: a page of a large folio has its own contents */
static int memcmp_pages(struct page *a, struct page *b)
{
	uint64_t x = atomic_load(page_value(a)), y = atomic_load(page_value(b));

	return x < y ? -1 : x > y;
}

static bool pages_identical(struct page *a, struct page *b)
{
	return memcmp_pages(a, b) == 0;
}

static uint32_t calc_checksum(struct page *page)
{
	uint64_t v = atomic_load(page_value(page)) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(v >> 32) ^ (uint32_t)v;
}

static int get_kpfn_nid(uint32_t kpfn)
{
	return ksm.merge_across_nodes ? 0 : pfn_folio(kpfn)->nid;
}

static bool ksm_test_exit(struct mm_struct *mm)
{
	return atomic_load(&mm->mm_users) == 0;
}

/* the checker's clock (model-only): see ksm.h */
static uint64_t ksm_next_stamp(void)
{
	return atomic_fetch_add(&ksm.stamp, 1) + 1;
}

static void set_page_stable_node(struct folio *folio, struct ksm_stable_node *node)
{
	if (!folio_test_ksm(folio)) {
		folio->ksm_stamp = ksm_next_stamp();
		folio->ksm_unmerge_raced = false;
	}
	kp_access(folio, KP_F_FOLIO_MAPPING, true);
	folio->mapping = (uintptr_t)node | PAGE_MAPPING_KSM;
}

/* a KSM folio's node, asserting it was not freed under the folio */
static struct ksm_stable_node *page_stable_node(struct folio *folio)
{
	struct ksm_stable_node *node = folio_stable_node(folio);

	VM_BUG_ON(node && !pool_owns(&the_world->stable_node_pool, node), INV_KSM,
		  "KSM folio pfn %u names a freed stable_node", folio->pfn);
	return node;
}

static struct ksm_rmap_item *alloc_rmap_item(void)
{
	struct ksm_rmap_item *item = pool_alloc(&the_world->rmap_item_pool);

	if (item) {
		item->id = pool_index(&the_world->rmap_item_pool, item);
		INIT_LIST_HEAD(&item->hlist);
	}
	return item;
}

static void free_rmap_item(struct ksm_rmap_item *item)
{
	item->mm = NULL;
	pool_free(&the_world->rmap_item_pool, item);
}

static struct ksm_stable_node *alloc_stable_node(void)
{
	struct ksm_stable_node *node = pool_alloc(&the_world->stable_node_pool);

	if (node) {
		node->id = pool_index(&the_world->stable_node_pool, node);
		INIT_LIST_HEAD(&node->hlist);
		INIT_LIST_HEAD(&node->list);
	}
	return node;
}

static void free_stable_node(struct ksm_stable_node *node)
{
	pool_free(&the_world->stable_node_pool, node);
}

/*
 * follow_page(FOLL_GET) (folio_walk_start + folio_get since 6.12): the page
 * a present pte maps at @addr, with a reference on its folio, which may be
 * a large one (through a huge pmd too: try_to_merge_one_page splits it,
 * and the split's unmap splits the pmd); NULL for none, the zero page,
 * swap and migration entries.  Whoever drops the reference puts
 * page_folio(page) as it is then: a split in between moves the reference
 * to the page's own new folio.  Takes the ptl; mmap_lock held.
 */
static struct page *follow_page(struct vm_area_struct *vma, uint64_t addr)
{
	struct folio *huge;
	struct page *page;
	spinlock_t *ptl;
	pte_t *ptep;

	ptep = pte_offset_map_lock(vma->vm_mm, addr, &ptl);
	if (!ptep) {
		huge = folio_get_huge_pmd(vma, addr);	/* folio_walk's pmd level */
		return huge ? folio_page(huge, (unsigned)(addr & (HPAGE_PMD_NR - 1))) : NULL;
	}
	page = vm_normal_page(vma, addr, ptep_get(ptep));
	if (page && folio_is_zone_device(page_folio(page)))
		page = NULL;
	if (page)
		folio_get(page_folio(page));
	pte_unmap_unlock(ptl);
	return page;
}

/* drop follow_page's reference: on the folio the page belongs to now */
static void put_page(struct page *page)
{
	folio_put(page_folio(page));
}

/* the VMA at @addr if it is still one ksmd may work on; mmap_lock held */
static struct vm_area_struct *find_mergeable_vma(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *vma;

	if (ksm_test_exit(mm))
		return NULL;
	vma = vma_lookup(mm, addr);
	if (!vma || !(vma->vm_flags & VM_MERGEABLE) || !vma->anon_vma)
		return NULL;
	return vma;
}

/* --------------------------------------------------- the stable tree */

/*
 * remove_node_from_stable_tree - a stale node goes, and with it the
 * rmap_items that were merged onto its (gone) page: they become plain
 * items again and drop their anon_vma references.  ksm_thread_mutex held.
 */
static void remove_node_from_stable_tree(struct ksm_stable_node *node)
{
	struct ksm_rmap_item *item, *next;

	list_for_each_entry_safe(item, next, &node->hlist, hlist) {
		if (item->hlist.next != &node->hlist)
			ksm.pages_sharing--;
		else
			ksm.pages_shared--;
		put_anon_vma(item->anon_vma);
		item->anon_vma = NULL;
		list_del_init(&item->hlist);
		item->flags &= ~KSM_STABLE_FLAG;
		item->head = NULL;
		cond_resched();
	}
	if (node->head == &ksm.migrate_nodes)
		list_del_init(&node->list);
	else
		tree_erase(&node->node, &ksm.root_stable_tree[node->nid]);
	free_stable_node(node);
}

/*
 * get_ksm_page - the KSM folio of @node with a reference (and locked if
 * @lock_it), or NULL when the node is stale, in which case it is removed.
 *
 * The folio at kpfn must still point back at the node.  It may not: it
 * was freed (and perhaps reused), or it was migrated and kpfn is about to
 * move, or just moved.  ksm_migrate_page sets the new kpfn before the old
 * folio stops pointing at the node, so a kpfn that changed while we looked
 * means "migrated, look again", and an unchanged one means stale.  A
 * refcount of 0 is a folio being freed, unless it is in the swap cache,
 * where reclaim may hold it frozen for a moment.  ksm_thread_mutex held.
 */
static struct folio *get_ksm_page(struct ksm_stable_node *node, bool lock_it)
{
	uintptr_t expected = (uintptr_t)node | PAGE_MAPPING_KSM;
	struct folio *folio;
	uint32_t kpfn;

again:
	kpfn = atomic_load(&node->kpfn);
	folio = pfn_folio(kpfn);
	if (folio->mapping != expected)
		goto stale;
	/*
	 * A refcount of 0 is a folio being freed, or one frozen: by the
	 * migration of a swap-cache folio (swap_cache_replace_folio, under
	 * the cache's lock), which may well be our page and whose node must
	 * live on.  The kernel spins here; every freezer holds the folio
	 * lock, so the model sleeps until it is let go (a spin would never
	 * end under a PCT schedule that keeps ksmd ahead), then looks again.
	 * Reclaim's __remove_mapping freezes too: it clears swapcache before
	 * it lets the lock go, and then the node is stale indeed.
	 */
	while (!folio_try_get(folio)) {
		if (!folio_test_swapcache(folio) ||
		    mmt_injected(BUG_KSM_FROZEN_SWAPCACHE_STALE))
			goto stale;
		folio_wait_locked(folio);
	}
	if (folio->mapping != expected) {
		folio_put(folio);
		goto stale;
	}
	if (lock_it) {
		folio_lock(folio);
		if (folio->mapping != expected) {
			folio_unlock(folio);
			folio_put(folio);
			goto stale;
		}
	}
	return folio;

stale:
	if (atomic_load(&node->kpfn) != kpfn)
		goto again;
	remove_node_from_stable_tree(node);
	return NULL;
}

/*
 * remove_rmap_item_from_tree - take @item out of whichever tree it is in.
 * A stable item leaves its node's hlist under the KSM folio's lock; an
 * unstable one is erased only if this pass inserted it (the unstable trees
 * were emptied at the start of the pass).  ksm_thread_mutex held.
 */
static void remove_rmap_item_from_tree(struct ksm_rmap_item *item)
{
	if (item->flags & KSM_STABLE_FLAG) {
		struct ksm_stable_node *node = item->head;
		struct folio *folio = get_ksm_page(node, true);

		if (!folio)
			goto out;	/* the node went, and took the item along */
		list_del_init(&item->hlist);
		folio_unlock(folio);
		folio_put(folio);
		if (!list_empty(&node->hlist))
			ksm.pages_sharing--;
		else
			ksm.pages_shared--;
		put_anon_vma(item->anon_vma);
		item->anon_vma = NULL;
		item->head = NULL;
		item->flags &= ~KSM_STABLE_FLAG;
	} else if (item->flags & KSM_UNSTABLE_FLAG) {
		uint8_t age = (uint8_t)(atomic_load(&ksm.scan.seqnr) - item->seqnr);

		VM_BUG_ON(age > 1, INV_KSM, "rmap_item %u: unstable for %u passes", item->id, age);
		if (!age)
			tree_erase(&item->node, &ksm.root_unstable_tree[item->nid]);
		ksm.pages_unshared--;
		item->flags &= ~KSM_UNSTABLE_FLAG;
	}
out:
	cond_resched();
}

static void remove_trailing_rmap_items(struct ksm_rmap_item **rmap_list)
{
	while (*rmap_list) {
		struct ksm_rmap_item *item = *rmap_list;

		*rmap_list = item->rmap_list;
		remove_rmap_item_from_tree(item);
		free_rmap_item(item);
	}
}

/*
 * stable_tree_search - find a KSM page equal to @page in the stable tree
 * of its node; return it with a reference, or NULL.  @page may be a page
 * of a large folio (never a KSM one).  If its folio is itself a
 * KSM page on migrate_nodes (misplaced by migration), its node is slotted
 * into the tree here when nothing equal is there (returns @folio), or the
 * colliding node's page is returned so that its mappings merge onto it.
 * A matching node whose page migration moved to another node is taken out
 * to migrate_nodes itself: nothing may merge onto a misplaced page.
 * ksm_thread_mutex held.
 */
static struct folio *stable_tree_search(struct page *page)
{
	struct folio *folio = page_folio(page);
	struct ksm_stable_node *page_node, *node;
	struct ksm_tree_node **new, *parent;
	struct ksm_tree_root *root;
	int nid;

	page_node = page_stable_node(folio);
	if (page_node && page_node->head != &ksm.migrate_nodes) {
		/* a KSM page forked, or scanned again */
		folio_get(folio);
		return folio;
	}

	nid = get_kpfn_nid((uint32_t)page_to_pfn(page));
	root = &ksm.root_stable_tree[nid];
again:
	new = &root->node;
	parent = NULL;
	while (*new) {
		struct folio *tree_folio;
		int ret;

		cond_resched();
		node = stable_of(*new);
		tree_folio = get_ksm_page(node, false);
		if (!tree_folio)
			return NULL;
		ret = memcmp_pages(page, &tree_folio->page);
		folio_put(tree_folio);

		parent = *new;
		if (ret < 0) {
			new = &parent->left;
		} else if (ret > 0) {
			new = &parent->right;
		} else {
			/*
			 * Lock and unlock the node's page (it may have been
			 * migrated meanwhile), so that a migration is sure to
			 * see our raised count from now on.
			 */
			tree_folio = get_ksm_page(node, true);
			if (tree_folio) {
				folio_unlock(tree_folio);
				if (get_kpfn_nid(atomic_load(&node->kpfn)) != node->nid &&
				    !mmt_injected(BUG_KSM_MERGE_MISPLACED)) {
					folio_put(tree_folio);
					goto replace;
				}
				return tree_folio;
			}
			/* the node was stale and is gone: there is room now */
			if (page_node)
				goto again;
			return NULL;
		}
	}

	if (!page_node)
		return NULL;

	list_del_init(&page_node->list);
	page_node->head = NULL;
	page_node->nid = nid;
	tree_link_node(&page_node->node, parent, new);
	folio_get(folio);
	return folio;

replace:
	if (page_node) {
		list_del_init(&page_node->list);
		page_node->head = NULL;
		page_node->nid = nid;
		tree_replace_node(&node->node, &page_node->node, root);
		folio_get(folio);
	} else {
		tree_erase(&node->node, root);
		folio = NULL;
	}
	node->head = &ksm.migrate_nodes;
	list_add(&node->list, node->head);
	return folio;
}

/*
 * stable_tree_insert - give the new KSM page @kfolio a node in the tree of
 * its NUMA node.  NULL if an equal page is already there (ours was not yet
 * write-protected when stable_tree_search missed it) or no memory.
 * ksm_thread_mutex and the folio lock held.
 */
static struct ksm_stable_node *stable_tree_insert(struct folio *kfolio)
{
	uint32_t kpfn = kfolio->pfn;
	int nid = get_kpfn_nid(kpfn);
	struct ksm_tree_root *root = &ksm.root_stable_tree[nid];
	struct ksm_tree_node **new = &root->node, *parent = NULL;
	struct ksm_stable_node *node;

	VM_BUG_ON(folio_test_large(kfolio), INV_KSM, "KSM folio pfn %u is of order %u",
		  kfolio->pfn, kfolio->order);
	while (*new) {
		struct folio *tree_folio;
		int ret;

		cond_resched();
		node = stable_of(*new);
		tree_folio = get_ksm_page(node, false);
		if (!tree_folio)
			return NULL;
		ret = memcmp_pages(&kfolio->page, &tree_folio->page);
		folio_put(tree_folio);
		parent = *new;
		if (ret < 0)
			new = &parent->left;
		else if (ret > 0)
			new = &parent->right;
		else
			return NULL;
	}

	node = alloc_stable_node();
	if (!node)
		return NULL;
	atomic_store(&node->kpfn, kpfn);
	node->nid = nid;
	node->head = NULL;
	set_page_stable_node(kfolio, node);
	tree_link_node(&node->node, parent, new);
	return node;
}

/* add @item to @node's hlist; the KSM folio locked, ksm_thread_mutex held */
static void stable_tree_append(struct ksm_rmap_item *item, struct ksm_stable_node *node)
{
	item->head = node;
	item->flags |= KSM_STABLE_FLAG;
	item->stable_stamp = ksm_next_stamp();
	list_add(&item->hlist, &node->hlist);
	atomic_fetch_add_explicit(&ksm.stat_merged, 1, memory_order_relaxed);
	if (item->hlist.next != &node->hlist)
		ksm.pages_sharing++;
	else
		ksm.pages_shared++;
}

/* ------------------------------------------------- the unstable tree */

/*
 * get_mergeable_page - the anon page an unstable-tree item points at (a
 * page of a large folio, perhaps), with a reference on its folio, if its
 * VMA is still mergeable.  Takes the item's mmap_lock.
 */
static struct page *get_mergeable_page(struct ksm_rmap_item *item)
{
	struct mm_struct *mm = item->mm;
	struct vm_area_struct *vma;
	struct page *page = NULL;

	down_read(&mm->mmap_lock);
	vma = find_mergeable_vma(mm, item->address);
	if (vma) {
		page = follow_page(vma, item->address);
		if (page && !folio_test_anon(page_folio(page))) {
			put_page(page);
			page = NULL;
		}
	}
	up_read(&mm->mmap_lock);
	return page;
}

/*
 * unstable_tree_search_insert - find an item whose page equals @page in the
 * unstable tree of @page's node and return it, its page in *@tree_pagep
 * with a reference (on its folio); or insert @item and return NULL.  Two
 * pages of one large folio may be the pair found.  The tree's pages can
 * change under it (nothing write-protects them), which only makes searches
 * miss.  With merge_across_nodes 0 a tree page that migration moved away
 * is not merged with: it goes into the right tree at the next pass.
 * ksm_thread_mutex held.
 */
static struct ksm_rmap_item *unstable_tree_search_insert(struct ksm_rmap_item *item,
							  struct page *page,
							  struct page **tree_pagep)
{
	int nid = get_kpfn_nid((uint32_t)page_to_pfn(page));
	struct ksm_tree_root *root = &ksm.root_unstable_tree[nid];
	struct ksm_tree_node **new = &root->node, *parent = NULL;

	while (*new) {
		struct ksm_rmap_item *tree_item;
		struct page *tree_page;
		int ret;

		cond_resched();
		tree_item = item_of(*new);
		tree_page = get_mergeable_page(tree_item);
		if (!tree_page)
			return NULL;
		/* never put a KSM page in place of a forked one */
		if (tree_page == page) {
			put_page(tree_page);
			return NULL;
		}
		ret = memcmp_pages(page, tree_page);
		parent = *new;
		if (ret < 0) {
			put_page(tree_page);
			new = &parent->left;
		} else if (ret > 0) {
			put_page(tree_page);
			new = &parent->right;
		} else if (!ksm.merge_across_nodes && page_folio(tree_page)->nid != nid) {
			put_page(tree_page);
			return NULL;
		} else {
			*tree_pagep = tree_page;
			return tree_item;
		}
	}

	item->flags |= KSM_UNSTABLE_FLAG;
	item->seqnr = (uint8_t)(atomic_load(&ksm.scan.seqnr) & SEQNR_MASK);
	item->nid = nid;
	tree_link_node(&item->node, parent, new);
	ksm.pages_unshared++;
	return NULL;
}

/* ---------------------------------------------------------- merging */

/*
 * write_protect_page - make the pte at @addr that maps @folio read-only and
 * clean, and share the page if it was AnonExclusive, so that nobody can
 * write it behind our back from here on; its value in *@orig_pte.  Refused
 * if anyone but the ptes, the swap cache and our own reference holds the
 * folio (a migration's or reclaim's isolation, an I/O).  An order-0 folio
 * only (6.12's works on &folio->page and its refcount whole):
 * try_to_merge_one_page has split it.  Folio locked; takes the ptl.
 */
static int write_protect_page(struct vm_area_struct *vma, struct folio *folio,
			      uint64_t addr, pte_t *orig_pte)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page = folio_page(folio, 0);
	spinlock_t *ptl;
	pte_t *ptep, pte;
	int err = -EFAULT;

	VM_BUG_ON(folio_test_large(folio), INV_KSM,
		  "write_protect_page of large folio pfn %u (order %u): not split", folio->pfn,
		  folio->order);
	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep)
		return err;
	pte = ptep_get(ptep);
	if (!pte_present(pte) || pte_special(pte) || pte_pfn(pte) != folio->pfn)
		goto out_unlock;
	if (pte_write(pte) || pte_dirty(pte) || PageAnonExclusive(page)) {
		int swapped = folio_test_swapcache(folio);
		pte_t entry = ptep_get_and_clear(mm, addr, ptep);

		if (folio_mapcount(folio) + 1 + swapped != folio_ref_count(folio)) {
			set_pte_at(mm, addr, ptep, entry);
			goto out_unlock;
		}
		/* the refcount check above already refused a pinned page */
		if (PageAnonExclusive(page) && folio_try_share_anon_rmap_pte(folio, page)) {
			set_pte_at(mm, addr, ptep, entry);
			goto out_unlock;
		}
		if (pte_dirty(entry))
			folio_set(folio, PG_dirty);
		set_pte_at(mm, addr, ptep, pte_mkclean(pte_wrprotect(entry)));
	}
	*orig_pte = ptep_get(ptep);
	err = 0;
out_unlock:
	pte_unmap_unlock(ptl);
	return err;
}

/*
 * replace_page - map the KSM page @kfolio read-only at @addr instead of
 * @folio, if the pte is still what write_protect_page left.  @folio locked.
 */
static int replace_page(struct vm_area_struct *vma, struct folio *folio, uint64_t addr,
			struct folio *kfolio, pte_t orig_pte)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep;

	ptep = pte_offset_map_lock(mm, addr, &ptl);
	if (!ptep)
		return -EFAULT;
	if (pte_val(ptep_get(ptep)) != pte_val(orig_pte)) {
		pte_unmap_unlock(ptl);
		return -EFAULT;
	}
	folio_get(kfolio);
	folio_add_anon_rmap_pte(kfolio, folio_page(kfolio, 0), vma, addr, RMAP_NONE);
	ptep_get_and_clear(mm, addr, ptep);
	set_pte_at(mm, addr, ptep, mk_pte(kfolio, vma, false));
	folio_remove_rmap_pte(folio, folio_page(folio, 0), vma);
	if (!folio_mapped(folio))
		folio_free_swap(folio);
	folio_put(folio);
	pte_unmap_unlock(ptl);
	return 0;
}

/*
 * try_to_merge_one_page - merge @page at @addr of @vma onto @kfolio; or,
 * with @kfolio NULL, write-protect @page and make it a KSM page (with no
 * stable node yet: stable_tree_insert gives it one).  A trylock: ksmd would
 * rather scan on than wait for a busy page.  A page of a large folio has
 * its folio split first, under that lock (split_huge_page keeps the folio
 * of @page locked and referenced, so from then on that small folio is the
 * one to unlock); a split that fails fails this merge, to be tried again
 * at the next pass.  The caller holds a reference on @page's folio and
 * mmap_lock; the split takes the anon_vma lock and walks the rmap.
 */
static int try_to_merge_one_page(struct vm_area_struct *vma, struct page *page,
				 uint64_t addr, struct folio *kfolio)
{
	struct folio *folio = page_folio(page);
	pte_t orig_pte = __pte(0);
	int err = -EFAULT;

	if (kfolio && &kfolio->page == page)	/* ksm page forked */
		return 0;
	if (!folio_test_anon(folio))
		goto out;
	if (!folio_trylock(folio))
		goto out;
	if (folio_test_large(folio)) {
		if (split_huge_page(page))
			goto out_unlock;
		folio = page_folio(page);
	}
	if (write_protect_page(vma, folio, addr, &orig_pte) == 0) {
		if (!kfolio) {
			set_page_stable_node(folio, NULL);
			folio_mark_accessed(folio);
			err = 0;
		} else if (pages_identical(page, &kfolio->page)) {
			err = replace_page(vma, folio, addr, kfolio, orig_pte);
		}
	}
out_unlock:
	folio_unlock(folio);
out:
	return err;
}

/*
 * try_to_merge_with_ksm_page - merge @item's page @page onto @kfolio (or
 * make it a KSM page, @kfolio NULL), and let the item hold its VMA's
 * anon_vma for rmap_walk_ksm.  Takes the item's mmap_lock for read.
 */
static int try_to_merge_with_ksm_page(struct ksm_rmap_item *item, struct page *page,
				      struct folio *kfolio)
{
	struct mm_struct *mm = item->mm;
	struct vm_area_struct *vma;
	int err = -EFAULT;

	down_read(&mm->mmap_lock);
	vma = find_mergeable_vma(mm, item->address);
	if (!vma)
		goto out;
	err = try_to_merge_one_page(vma, page, item->address, kfolio);
	if (err)
		goto out;
	/* an unstable item's tree link is unused from now on: take it out first */
	remove_rmap_item_from_tree(item);
	item->anon_vma = vma->anon_vma;
	get_anon_vma(vma->anon_vma);
	item->page_nid = (int8_t)page_folio(page)->nid;
	item->kpage_nid = (int8_t)(kfolio ? kfolio->nid : page_folio(page)->nid);
	item->merged_per_node = !ksm.merge_across_nodes;
out:
	up_read(&mm->mmap_lock);
	return err;
}

/*
 * break_ksm - unshare the KSM page at @addr, if there is one, by faulting
 * it private (FAULT_FLAG_UNSHARE: a copy, read-only unless written).  A
 * migration entry is waited out first, so that a KSM page under migration
 * is not missed (FOLL_MIGRATION).  mmap_lock held.
 */
#define BREAK_KSM_TRIES	10000

static int break_ksm(struct vm_area_struct *vma, uint64_t addr)
{
	struct mm_struct *mm = vma->vm_mm;

	for (int tries = 0;; tries++) {
		struct folio *folio;
		spinlock_t *ptl;
		pte_t *ptep, pte;
		unsigned ret;
		bool is_ksm;

		cond_resched();
		ptep = pte_offset_map_lock(mm, addr, &ptl);
		if (!ptep)
			return 0;
		pte = ptep_get(ptep);
		if (is_swap_pte(pte) && is_migration_entry(pte_to_swp_entry(pte))) {
			pte_unmap_unlock(ptl);
			migration_entry_wait(mm, addr);
			continue;
		}
		folio = vm_normal_folio(vma, addr, pte);
		is_ksm = folio && folio_test_ksm(folio);
		pte_unmap_unlock(ptl);
		if (!is_ksm)
			return 0;
		/*
		 * Each unshare fault copies the page unless the pte changed
		 * under it; one that never goes is a KSM page mapped writable
		 * (10.1), which no fault would copy: report it, do not spin.
		 */
		VM_BUG_ON(tries >= BREAK_KSM_TRIES, INV_KSM,
			  "mm %u addr %#llx: KSM page pfn %u never unshared", mm->id,
			  (unsigned long long)addr, folio->pfn);
		ret = handle_mm_fault(vma, addr, FAULT_FLAG_UNSHARE);
		if (ret & VM_FAULT_OOM)
			return -ENOMEM;
		if (ret & VM_FAULT_ERROR)
			return 0;
	}
}

/* undo a half-made merge: drop the item's anon_vma and unshare its page */
static void break_cow(struct ksm_rmap_item *item)
{
	struct mm_struct *mm = item->mm;
	struct vm_area_struct *vma;

	put_anon_vma(item->anon_vma);
	item->anon_vma = NULL;
	down_read(&mm->mmap_lock);
	vma = find_mergeable_vma(mm, item->address);
	if (vma)
		break_ksm(vma, item->address);
	up_read(&mm->mmap_lock);
}

/*
 * try_to_merge_two_pages - two equal unstable pages: the first becomes a
 * KSM page, the second is merged onto it.  Returns the KSM folio (the
 * first page's, split off its large folio if it was in one), or NULL (then
 * the first is unshared again if it had been made KSM).
 */
static struct folio *try_to_merge_two_pages(struct ksm_rmap_item *item, struct page *page,
					    struct ksm_rmap_item *tree_item,
					    struct page *tree_page)
{
	int err = try_to_merge_with_ksm_page(item, page, NULL);

	if (!err) {
		err = try_to_merge_with_ksm_page(tree_item, tree_page, page_folio(page));
		if (err)
			break_cow(item);
	}
	return err ? NULL : page_folio(page);
}

/*
 * cmp_and_merge_page - ksmd's decision for one scanned page (a reference
 * held on its folio).  A page in a stable tree is looked at too: with
 * merge_across_nodes 0 it may have been migrated to another node and must
 * leave its tree for migrate_nodes.  ksm_thread_mutex held.
 */
static void cmp_and_merge_page(struct page *page, struct ksm_rmap_item *item)
{
	struct ksm_rmap_item *tree_item;
	struct page *tree_page = NULL;
	struct ksm_stable_node *node;
	struct folio *kfolio;
	uint32_t checksum;
	int err;

	node = page_stable_node(page_folio(page));
	if (node) {
		if (node->head != &ksm.migrate_nodes &&
		    get_kpfn_nid(atomic_load(&node->kpfn)) != node->nid) {
			tree_erase(&node->node, &ksm.root_stable_tree[node->nid]);
			node->head = &ksm.migrate_nodes;
			list_add(&node->list, node->head);
		}
		if (node->head != &ksm.migrate_nodes && item->head == node)
			return;
	}

	kfolio = stable_tree_search(page);
	if (kfolio && &kfolio->page == page && item->head == node) {
		folio_put(kfolio);
		return;
	}

	remove_rmap_item_from_tree(item);

	if (kfolio) {
		err = try_to_merge_with_ksm_page(item, page, kfolio);
		if (!err) {
			folio_lock(kfolio);
			stable_tree_append(item, page_stable_node(kfolio));
			folio_unlock(kfolio);
			atomic_fetch_add_explicit(&ksm.stat_stable_hits, 1, memory_order_relaxed);
		}
		folio_put(kfolio);
		return;
	}

	/* a page that changed since the last pass is not worth a tree slot */
	checksum = calc_checksum(page);
	if (item->oldchecksum != checksum) {
		item->oldchecksum = checksum;
		return;
	}

	tree_item = unstable_tree_search_insert(item, page, &tree_page);
	if (tree_item) {
		bool split;

		kfolio = try_to_merge_two_pages(item, page, tree_item, tree_page);
		/*
		 * Both pages in one large folio: each holds a reference on
		 * it, so the split in try_to_merge_one_page found one too
		 * many and failed.  With tree_page's reference dropped the
		 * split can succeed: do it now, merge at the next pass
		 * (77da2ba0648a; before it the two never merged).
		 */
		split = folio_test_large(page_folio(page)) &&
			page_folio(page) == page_folio(tree_page);
		put_page(tree_page);
		if (kfolio) {
			folio_lock(kfolio);
			node = stable_tree_insert(kfolio);
			if (node) {
				stable_tree_append(tree_item, node);
				stable_tree_append(item, node);
			}
			folio_unlock(kfolio);
			/* no node: two ptes map a KSM page no tree knows, undo both */
			if (!node) {
				break_cow(tree_item);
				break_cow(item);
			}
		} else if (split) {
			struct folio *folio = page_folio(page);

			/* not worth waiting for: a busy folio is tried again later */
			if (!folio_trylock(folio))
				return;
			split_huge_page(page);
			folio_unlock(page_folio(page));
		}
	}
}

/* ------------------------------------------------------------- scan */

static struct ksm_rmap_item *get_next_rmap_item(struct ksm_mm_slot *slot,
						struct ksm_rmap_item **rmap_list,
						uint64_t addr)
{
	struct ksm_rmap_item *item;

	while (*rmap_list) {
		item = *rmap_list;
		if (item->address == addr)
			return item;
		if (item->address > addr)
			break;
		*rmap_list = item->rmap_list;
		remove_rmap_item_from_tree(item);
		free_rmap_item(item);
	}
	item = alloc_rmap_item();
	if (item) {
		item->mm = slot->mm;
		item->address = addr;
		item->rmap_list = *rmap_list;
		*rmap_list = item;
	}
	return item;
}

/*
 * Is the mm_slot list empty?  ksmd_should_run() peeks at it unlocked; here
 * the peek takes ksm_mmlist_lock, which __ksm_enter and ksm_exit change the
 * list under, so that the threaded stress is not a data race.
 */
static bool ksm_mm_list_empty(void)
{
	bool empty;

	spin_lock(&ksm.ksm_mmlist_lock);
	empty = list_empty(&ksm.mm_head.mm_list);
	spin_unlock(&ksm.ksm_mmlist_lock);
	return empty;
}

/* free an mm_slot whose mm has no mergeable VMA left; ksm_mmlist_lock dropped */
static void free_mm_slot(struct ksm_mm_slot *slot)
{
	pool_free(&the_world->mm_slot_pool, slot);
}

/*
 * prune_migrate_nodes - once before each full scan: stale nodes in a tree
 * are pruned by the searches that brush past them, but nothing searches
 * migrate_nodes, so its stale entries would pile up.  ksm_thread_mutex held.
 */
static void prune_migrate_nodes(void)
{
	struct ksm_stable_node *node, *next;

	ksm.pruned_stamp = ksm_next_stamp();
	if (mmt_injected(BUG_KSM_MIGRATE_NODES_UNPRUNED))
		return;
	list_for_each_entry_safe(node, next, &ksm.migrate_nodes, list) {
		struct folio *folio = get_ksm_page(node, false);

		if (folio)
			folio_put(folio);
		cond_resched();
	}
}

/*
 * scan_get_next_rmap_item - ksmd's cursor: the next anonymous page of a
 * mergeable VMA (of a large folio, perhaps: one page at a time), with a
 * reference on its folio, and its rmap_item.  At the start of each
 * full scan the unstable trees are emptied; an mm that has exited or has
 * no mergeable VMA left is dropped at the end of its turn.
 * ksm_thread_mutex held; takes each mm's mmap_lock for read.
 */
static struct ksm_rmap_item *scan_get_next_rmap_item(struct page **pagep)
{
	struct ksm_mm_slot *slot;
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	struct ksm_rmap_item *item;

	if (ksm_mm_list_empty())
		return NULL;

	slot = ksm.scan.mm_slot;
	if (slot == &ksm.mm_head) {
		if (!ksm.merge_across_nodes)
			prune_migrate_nodes();
		for (int nid = 0; nid < MMT_MAX_NODES; nid++)
			ksm.root_unstable_tree[nid].node = NULL;

		spin_lock(&ksm.ksm_mmlist_lock);
		slot = list_entry(slot->mm_list.next, struct ksm_mm_slot, mm_list);
		ksm.scan.mm_slot = slot;
		spin_unlock(&ksm.ksm_mmlist_lock);
		/* the last mm may have gone since the list_empty() test */
		if (slot == &ksm.mm_head)
			return NULL;
next_mm:
		ksm.scan.address = 0;
		ksm.scan.rmap_list = &slot->rmap_list;
	}

	mm = slot->mm;
	down_read(&mm->mmap_lock);
	vma = ksm_test_exit(mm) ? NULL : find_vma(mm, ksm.scan.address);
	for (; vma; vma = vma_next(vma)) {
		if (!(vma->vm_flags & VM_MERGEABLE))
			continue;
		if (ksm.scan.address < vma->vm_start)
			ksm.scan.address = vma->vm_start;
		if (!vma->anon_vma)
			ksm.scan.address = vma->vm_end;

		while (ksm.scan.address < vma->vm_end) {
			struct page *page;

			if (ksm_test_exit(mm))
				break;
			page = follow_page(vma, ksm.scan.address);
			if (!page) {
				ksm.scan.address++;
				cond_resched();
				continue;
			}
			if (folio_test_anon(page_folio(page))) {
				item = get_next_rmap_item(slot, ksm.scan.rmap_list,
							  ksm.scan.address);
				if (item) {
					ksm.scan.rmap_list = &item->rmap_list;
					ksm.scan.address++;
					*pagep = page;
				} else {
					put_page(page);
				}
				up_read(&mm->mmap_lock);
				return item;
			}
			put_page(page);
			ksm.scan.address++;
			cond_resched();
		}
	}

	if (ksm_test_exit(mm)) {
		ksm.scan.address = 0;
		ksm.scan.rmap_list = &slot->rmap_list;
	}
	/* no mergeable VMA covers the items past the cursor any more */
	remove_trailing_rmap_items(ksm.scan.rmap_list);

	spin_lock(&ksm.ksm_mmlist_lock);
	ksm.scan.mm_slot = list_entry(slot->mm_list.next, struct ksm_mm_slot, mm_list);
	if (ksm.scan.address == 0) {
		/*
		 * A whole pass over this mm, mmap_lock held throughout, found
		 * nothing mergeable (or the mm exited): drop it as ksm_exit
		 * would.
		 */
		list_del_init(&slot->mm_list);
		mm->ksm_slot = NULL;
		spin_unlock(&ksm.ksm_mmlist_lock);
		free_mm_slot(slot);
		mm->ksm_mergeable = false;
		up_read(&mm->mmap_lock);
		mmdrop(mm);
	} else {
		spin_unlock(&ksm.ksm_mmlist_lock);
		up_read(&mm->mmap_lock);
	}

	slot = ksm.scan.mm_slot;
	if (slot != &ksm.mm_head)
		goto next_mm;

	atomic_fetch_add(&ksm.scan.seqnr, 1);
	return NULL;
}

/* ksm_do_scan - scan up to @pages pages; ksm_thread_mutex held.  Pages scanned. */
static unsigned long ksm_do_scan(unsigned long pages)
{
	unsigned long done = 0;

	while (done < pages) {
		struct ksm_rmap_item *item;
		struct page *page = NULL;

		cond_resched();
		item = scan_get_next_rmap_item(&page);
		if (!item)
			break;
		cmp_and_merge_page(page, item);
		put_page(page);		/* page_folio(page): a split may have moved it */
		done++;
	}
	return done;
}

unsigned long ksmd_run(unsigned long pages)
{
	unsigned long done = 0;

	mutex_lock(&ksm.ksm_thread_mutex);
	if ((ksm.run & KSM_RUN_MERGE) && !ksm_mm_list_empty())
		done = ksm_do_scan(pages);
	mutex_unlock(&ksm.ksm_thread_mutex);
	return done;
}

void ksmd_reap(void)
{
	mutex_lock(&ksm.ksm_thread_mutex);
	for (int pass = 0; pass < 4 && !ksm_mm_list_empty(); pass++) {
		struct page *page = NULL;
		struct ksm_rmap_item *item;

		/* every mm has exited: a pass finds no page and drops them all */
		while ((item = scan_get_next_rmap_item(&page)) != NULL) {
			VM_BUG_ON(1, INV_KSM, "ksmd found page pfn %u of a live mm at teardown",
				  (uint32_t)page_to_pfn(page));
		}
	}
	mutex_unlock(&ksm.ksm_thread_mutex);
}

/* ---------------------------------------------------------- unmerge */

int unmerge_ksm_pages(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	int err = 0;

	for (uint64_t addr = start; addr < end && !err; addr++) {
		if (ksm_test_exit(vma->vm_mm))
			break;
		if (!mmt_pte_peek(vma->vm_mm, addr)) {
			addr |= PTRS_PER_PTE - 1;
			continue;
		}
		err = break_ksm(vma, addr);
	}
	return err;
}

/*
 * remove_stable_node - forcibly drop a node (run = 2, or switching
 * merge_across_nodes).  A stale one goes by itself; a live one whose page
 * is still mapped refuses (-EBUSY: it should not happen once everything was
 * unmerged); an unmapped one (in the swap cache, or on its way to be freed)
 * is unhooked from its page, which from then on is a KSM page with no node
 * and is copied if it is ever faulted back in.  ksm_thread_mutex held.
 */
static int remove_stable_node(struct ksm_stable_node *node)
{
	struct folio *folio = get_ksm_page(node, true);
	int err = 0;

	if (!folio)
		return 0;
	if (folio_mapped(folio)) {
		err = -EBUSY;
	} else {
		set_page_stable_node(folio, NULL);
		remove_node_from_stable_tree(node);
	}
	folio_unlock(folio);
	folio_put(folio);
	return err;
}

/*
 * remove_all_stable_nodes - every node of every stable tree and of
 * migrate_nodes.  A stale node would otherwise wait for a search to brush
 * past it, and after merge_across_nodes switches no search looks in the
 * tree it sits in again.  ksm_thread_mutex held.
 */
static int remove_all_stable_nodes(void)
{
	struct ksm_stable_node *node, *next;
	int err = 0;

	/* before seed 001's fix, neither run = 2 nor the switch made this pass */
	if (mmt_injected(BUG_KSM_REMOVE_ALL_STABLE_NODES))
		return 0;
	for (int nid = 0; nid < MMT_MAX_NODES; nid++) {
		while (ksm.root_stable_tree[nid].node) {
			node = stable_of(ksm.root_stable_tree[nid].node);
			if (remove_stable_node(node)) {
				err = -EBUSY;
				break;	/* on to the next tree */
			}
			cond_resched();
		}
	}
	list_for_each_entry_safe(node, next, &ksm.migrate_nodes, list) {
		if (remove_stable_node(node))
			err = -EBUSY;
		cond_resched();
	}
	return err;
}

/*
 * unmerge_and_remove_all_rmap_items - run = 2: unshare every KSM page of
 * every registered mm, free every rmap_item, drop exited mms, then tear
 * down the stable trees.  ksm_thread_mutex held.
 */
static int unmerge_and_remove_all_rmap_items(void)
{
	struct ksm_mm_slot *slot;
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	int err = 0;

	spin_lock(&ksm.ksm_mmlist_lock);
	ksm.scan.mm_slot = list_entry(ksm.mm_head.mm_list.next, struct ksm_mm_slot, mm_list);
	spin_unlock(&ksm.ksm_mmlist_lock);

	for (slot = ksm.scan.mm_slot; slot != &ksm.mm_head; slot = ksm.scan.mm_slot) {
		mm = slot->mm;
		down_read(&mm->mmap_lock);
		list_for_each_entry(vma, &mm->mmap, vm_list) {
			if (ksm_test_exit(mm))
				break;
			if (!(vma->vm_flags & VM_MERGEABLE) || !vma->anon_vma)
				continue;
			err = unmerge_ksm_pages(vma, vma->vm_start, vma->vm_end);
			if (err)
				goto error;
		}
		remove_trailing_rmap_items(&slot->rmap_list);

		spin_lock(&ksm.ksm_mmlist_lock);
		ksm.scan.mm_slot = list_entry(slot->mm_list.next, struct ksm_mm_slot, mm_list);
		if (ksm_test_exit(mm)) {
			list_del_init(&slot->mm_list);
			mm->ksm_slot = NULL;
			spin_unlock(&ksm.ksm_mmlist_lock);
			free_mm_slot(slot);
			mm->ksm_mergeable = false;
			up_read(&mm->mmap_lock);
			mmdrop(mm);
		} else {
			spin_unlock(&ksm.ksm_mmlist_lock);
			up_read(&mm->mmap_lock);
		}
	}

	/* what is still busy is left for later */
	remove_all_stable_nodes();
	atomic_store(&ksm.scan.seqnr, 0);
	atomic_store(&ksm.unmerged_all, true);
	return 0;

error:
	up_read(&mm->mmap_lock);
	spin_lock(&ksm.ksm_mmlist_lock);
	ksm.scan.mm_slot = &ksm.mm_head;
	spin_unlock(&ksm.ksm_mmlist_lock);
	return err;
}

int ksm_set_run(int run)
{
	int err = 0;

	if (run < KSM_RUN_STOP || run > KSM_RUN_UNMERGE)
		return -EINVAL;
	mutex_lock(&ksm.ksm_thread_mutex);
	if (ksm.run != run) {
		ksm.run = run;
		atomic_store(&ksm.unmerged_all, false);
		if (run & KSM_RUN_UNMERGE) {
			atomic_store(&ksm.unmerge_stamp, ksm_next_stamp());
			err = unmerge_and_remove_all_rmap_items();
			if (err)
				ksm.run = KSM_RUN_STOP;
		}
	}
	mutex_unlock(&ksm.ksm_thread_mutex);
	return err;
}

int ksm_set_merge_across_nodes(int knob)
{
	int err = 0;

	if (knob != 0 && knob != 1)
		return -EINVAL;
	mutex_lock(&ksm.ksm_thread_mutex);
	if (ksm.merge_across_nodes != (bool)knob) {
		if (ksm.pages_shared || remove_all_stable_nodes())
			err = -EBUSY;
		else
			ksm.merge_across_nodes = knob;
	}
	mutex_unlock(&ksm.ksm_thread_mutex);
	return err;
}

/* ------------------------------------------------- mm registration */

/*
 * __ksm_enter - register @mm.  While merging, the new slot goes just
 * behind the cursor (a full pass to settle before ksmd looks); while
 * unmerging, at the end, where the unmerge cursor is sure to reach it.
 * mmap_lock held for write.
 */
static int __ksm_enter(struct mm_struct *mm)
{
	struct ksm_mm_slot *slot = pool_alloc(&the_world->mm_slot_pool);

	if (!slot)
		return -ENOMEM;
	slot->id = pool_index(&the_world->mm_slot_pool, slot);
	slot->mm = mm;
	slot->rmap_list = NULL;
	spin_lock(&ksm.ksm_mmlist_lock);
	mm->ksm_slot = slot;
	if ((ksm.run & KSM_RUN_UNMERGE) && !mmt_injected(BUG_KSM_ENTER_UNMERGE_TAIL))
		list_add_tail(&slot->mm_list, &ksm.mm_head.mm_list);
	else
		list_add_tail(&slot->mm_list, &ksm.scan.mm_slot->mm_list);
	spin_unlock(&ksm.ksm_mmlist_lock);
	mm->ksm_mergeable = true;
	mmgrab(mm);
	return 0;
}

int ksm_fork(struct mm_struct *mm, struct mm_struct *oldmm)
{
	if (oldmm->ksm_mergeable)
		return __ksm_enter(mm);
	return 0;
}

/*
 * ksm_exit - the mm is going.  A slot with no rmap_items that ksmd is not
 * at is freed now; otherwise ksmd frees it when it next comes by (it sees
 * mm_users 0), and the slot moves to just behind the cursor so that it
 * comes by soon.  Taking mmap_lock for write once waits out a ksmd that is
 * working on the mm right now.
 */
void ksm_exit(struct mm_struct *mm)
{
	struct ksm_mm_slot *slot;
	bool easy_to_free = false;

	spin_lock(&ksm.ksm_mmlist_lock);
	slot = mm->ksm_slot;
	if (slot && ksm.scan.mm_slot != slot) {
		if (!slot->rmap_list) {
			list_del_init(&slot->mm_list);
			mm->ksm_slot = NULL;
			easy_to_free = true;
		} else {
			list_del_init(&slot->mm_list);
			list_add(&slot->mm_list, &ksm.scan.mm_slot->mm_list);
		}
	}
	spin_unlock(&ksm.ksm_mmlist_lock);

	if (easy_to_free) {
		free_mm_slot(slot);
		mm->ksm_mergeable = false;
		mmdrop(mm);
	} else if (slot) {
		down_write(&mm->mmap_lock);
		up_write(&mm->mmap_lock);
	}
}

int ksm_madvise(struct vm_area_struct *vma, uint64_t start, uint64_t end, int advice,
		unsigned long *vm_flags)
{
	struct mm_struct *mm = vma->vm_mm;
	int err;

	switch (advice) {
	case MADV_MERGEABLE:
		/* shared mappings: silently left alone */
		if (*vm_flags & (VM_MERGEABLE | VM_SHARED | VM_MAYSHARE))
			return 0;
		if (!mm->ksm_mergeable) {
			err = __ksm_enter(mm);
			if (err)
				return err;
		}
		*vm_flags |= VM_MERGEABLE;
		/* it may map KSM pages the run = 2 unmerge never saw (ksm.h) */
		atomic_store(&ksm.unmerged_all, false);
		/* ... and any KSM page at any old rmap_item's address (10.9) */
		mm->ksm_mergeable_stamp = ksm_next_stamp();
		break;
	case MADV_UNMERGEABLE:
		if (!(*vm_flags & VM_MERGEABLE))
			return 0;
		if (vma->anon_vma) {
			err = unmerge_ksm_pages(vma, start, end);
			if (err)
				return err;
		}
		*vm_flags &= ~VM_MERGEABLE;
		break;
	}
	return 0;
}

/* ------------------------------------------------ rmap and migration */

/*
 * rmap_walk_ksm - visit every place the KSM folio may be mapped: each
 * rmap_item's address in the VMAs of its anon_vma, first those of the
 * item's own mm, then (search_new_forks) those of other mms, which is
 * where a child forked since the merge maps it.  Folio locked, so the
 * node's hlist cannot change.  Each anon_vma's rwsem is held for read
 * while its VMAs are visited, with a yield between two VMAs.
 */
void rmap_walk_ksm(struct folio *folio, struct rmap_walk_control *rwc)
{
	struct ksm_stable_node *node = page_stable_node(folio);
	struct ksm_rmap_item *item;

	VM_BUG_ON(!folio_test_locked(folio), INV_KSM, "KSM folio pfn %u walked unlocked",
		  folio->pfn);
	if (!node)
		return;
	for (int search_new_forks = 0; search_new_forks < 2; search_new_forks++) {
		list_for_each_entry(item, &node->hlist, hlist) {
			struct anon_vma *av = item->anon_vma;
			struct anon_vma_chain *avc;

			/*
			 * folio_referenced's walk would rather give up than
			 * wait behind a writer of some process's anon_vma
			 */
			if (rwc->try_lock) {
				if (!anon_vma_trylock_read(av)) {
					rwc->contended = true;
					return;
				}
			} else {
				anon_vma_lock_read(av);
			}
			list_for_each_entry(avc, &av->head, same_anon_vma) {
				struct vm_area_struct *vma = avc->vma;

				if (item->address < vma->vm_start || item->address >= vma->vm_end)
					continue;
				if ((item->mm == vma->vm_mm) == (bool)search_new_forks)
					continue;
				if (rwc->invalid_vma && rwc->invalid_vma(vma, rwc->arg))
					continue;
				if (!rwc->rmap_one(folio, vma, item->address, rwc->arg) ||
				    (rwc->done && rwc->done(folio))) {
					anon_vma_unlock_read(av);
					return;
				}
				cond_resched();
			}
			anon_vma_unlock_read(av);
		}
	}
}

/*
 * ksm_migrate_page - @newfolio has taken @folio's place (mapping already
 * copied): point the stable node at it.  The new kpfn is published before
 * the old folio stops naming the node, so that get_ksm_page, seeing the
 * old one stale, finds kpfn changed and looks again.  Both folios locked.
 */
void ksm_migrate_page(struct folio *newfolio, struct folio *folio)
{
	struct ksm_stable_node *node;

	VM_BUG_ON(!folio_test_locked(folio) || !folio_test_locked(newfolio), INV_KSM,
		  "KSM migration of pfn %u to %u: not both locked", folio->pfn, newfolio->pfn);
	VM_BUG_ON(newfolio->mapping != folio->mapping, INV_KSM,
		  "KSM migration of pfn %u to %u: mapping not copied", folio->pfn, newfolio->pfn);
	newfolio->ksm_stamp = folio->ksm_stamp;
	node = page_stable_node(newfolio);
	if (!node)
		return;
	VM_BUG_ON(atomic_load(&node->kpfn) != folio->pfn, INV_KSM,
		  "stable_node %u: kpfn %u, but pfn %u is migrating", node->id,
		  atomic_load(&node->kpfn), folio->pfn);
	if (!mmt_injected(BUG_KSM_MIGRATE_STALE_KPFN))
		atomic_store(&node->kpfn, newfolio->pfn);
	set_page_stable_node(folio, NULL);
}

struct folio *ksm_might_need_to_copy(struct folio *folio, struct vm_area_struct *vma,
				     uint64_t addr)
{
	struct anon_vma *av = folio_anon_vma(folio);
	struct folio *new;

	if (folio_test_ksm(folio)) {
		/*
		 * While run = 2 unmerges, a KSM page faulted back from the
		 * swap cache behind the unmerge cursor would stay merged:
		 * copy it.  (Seed 001 moved this test in here from the
		 * caller, which could not see ksm_run.)
		 */
		if (page_stable_node(folio) &&
		    (!(ksm.run & KSM_RUN_UNMERGE) || mmt_injected(BUG_KSM_UNMERGE_SWAPIN_COPY))) {
			folio->ksm_nocopy_stamp = ksm_next_stamp();
			return folio;
		}
	} else if (!av) {
		return folio;
	} else if (pool_owns(&the_world->anon_vma_pool, av) && vma->anon_vma &&
		   av->root == vma->anon_vma->root &&
		   folio->index == linear_page_index(vma, addr)) {
		/*
		 * (The kernel reads a possibly freed anon_vma here, safe in
		 * its SLAB_TYPESAFE_BY_RCU cache; the pool test stands in.)
		 */
		return folio;
	}
	if (!folio_test_uptodate(folio))
		return folio;	/* let do_swap_page report the error */

	new = folio_alloc(vma->vm_mm->home_node, false);
	if (new) {
		atomic_store(&new->value, atomic_load(&folio->value));
		folio_set(new, PG_dirty);
		folio_set_uptodate(new);
		if (!folio_trylock(new))
			mmt_bug(INV_BUG, __FILE__, __LINE__, "folio_trylock(new)",
				"new folio pfn %u already locked", new->pfn);
	}
	return new;
}

void ksm_note_folio_freed(struct folio *folio)
{
	folio->ksm_freed_stamp = ksm_next_stamp();
	folio->ksm_unmerge_raced = false;
}

/*
 * The run check in ksm_might_need_to_copy and the pte it lets the fault set
 * are ordered by nothing run = 2's unmerge takes (it passes a swap pte by,
 * and both hold mmap_lock for read): a fault that read run 1 can map the
 * KSM page after the unmerge went past.  Seed 001 knew ("I've not seen that
 * case, it shouldn't occur") and made remove_stable_node refuse such a
 * page's node with a WARN; 10.8 lets this one page be, and only it.
 */
void ksm_note_swapin_mapped(struct folio *folio)
{
	if (folio->ksm_nocopy_stamp < atomic_load(&ksm.unmerge_stamp))
		folio->ksm_unmerge_raced = true;
}

/* ------------------------------------------------------- world life */

void ksm_init(struct ksm_state *k)
{
	mutex_init(&k->ksm_thread_mutex, LC_KSM_THREAD);
	spin_lock_init(&k->ksm_mmlist_lock, LC_KSM_MMLIST);
	ksm_reset(k);
}

void ksm_reset(struct ksm_state *k)
{
	atomic_store(&k->ksm_thread_mutex.li.owner, NULL);
	atomic_store(&k->ksm_mmlist_lock.li.owner, NULL);
	INIT_LIST_HEAD(&k->mm_head.mm_list);
	k->mm_head.mm = NULL;
	k->mm_head.rmap_list = NULL;
	k->scan.mm_slot = &k->mm_head;
	k->scan.address = 0;
	k->scan.rmap_list = NULL;
	atomic_store(&k->scan.seqnr, 0);
	memset(k->root_stable_tree, 0, sizeof(k->root_stable_tree));
	memset(k->root_unstable_tree, 0, sizeof(k->root_unstable_tree));
	INIT_LIST_HEAD(&k->migrate_nodes);
	k->run = KSM_RUN_MERGE;
	k->merge_across_nodes = true;
	k->pages_shared = k->pages_sharing = k->pages_unshared = 0;
	atomic_store(&k->stamp, 0);
	k->pruned_stamp = 0;
	atomic_store(&k->unmerged_all, false);
	atomic_store(&k->unmerge_stamp, 0);
	atomic_store(&k->stat_merged, 0);
	atomic_store(&k->stat_stable_hits, 0);
}

void ksm_destroy(struct ksm_state *k)
{
	mutex_destroy(&k->ksm_thread_mutex);
	spin_lock_destroy(&k->ksm_mmlist_lock);
}
