// SPDX-License-Identifier: MIT
/*
 * rmap.c - anon_vma, anon_vma_chain, rmap accounting and rmap walks.
 *
 * Lock ordering in the model (enforced at run time by kprim's lock-order
 * checker; the enum kp_lock_class ranks are this tree flattened):
 *
 * ksm_thread_mutex			(ksmd, the run and merge_across_nodes knobs)
 * khugepaged_thread			(model-only: one khugepaged pass at a time)
 *   mm->mmap_lock
 *     folio_lock
 *       mapping->i_mmap_rwsem
 *         anon_vma->rwsem			(the root's; rmap_walk_ksm: each item's)
 *           mm->page_table_lock
 *             pte table lock (ptl)
 *               swap_lock			(swapon/swapoff type table)
 *                 si->lock			(swap_map, swap cache slots)
 *                   mapping->i_pages lock	(page cache)
 *                   mmlist_lock		(swap_duplicate's mm list)
 *                   ksm_mmlist_lock		(KSM's mm_slot list)
 *                   khugepaged_mm_lock		(khugepaged's mm_slot list)
 *                   lruvec->lru_lock		(isolation, putback)
 *                   ds_queue->split_queue_lock	(deferred split queue: rmap, free, split)
 *                     node free-list lock, device free list (memremap.c)
 *                       object pools
 *                         gup pin table			(gup.c: the pinners' records)
 *
 * Two locks of one class nest only where the kernel nests them, marked
 * _nested: fork takes the child's mmap_lock inside the parent's and the
 * parent's ptl (or pmd lock) inside the child's, as copy_pte_range does;
 * migration takes the new folio's lock
 * with a trylock while holding the old one.
 *
 * Anon rmap structure, as since 2.6.34: each anon_vma is linked to every VMA
 * that may map its folios by an anon_vma_chain; a forked child's VMA chains
 * to all of its parent's anon_vmas plus a new one of its own, whose root is
 * the root of the tree (all share the root's rwsem).  A new anon folio points
 * at the anon_vma of the VMA it was faulted in (folio->mapping with
 * PAGE_MAPPING_ANON), and folio->index is its page offset there, so the rmap
 * can find its address in any VMA of the chain with vma_address().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/folio.h"
#include "mmt/gup.h"
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

/* --------------------------------------------------- anon_vma lifetime */

/*
 * anon_vma_alloc - a new anon_vma that is its own root.  The pool is
 * SLAB_TYPESAFE_BY_RCU as anon_vma_cachep is: the rwsem is initialised
 * once, when the object is first handed out (anon_vma_ctor), and survives
 * every free and reuse, because a reader that followed a stale
 * folio->mapping may be taking it (folio_lock_anon_vma_read).
 */
static struct anon_vma *anon_vma_alloc(void)
{
	bool fresh;
	struct anon_vma *av = pool_alloc_typesafe(&the_world->anon_vma_pool, &fresh);

	if (!av)
		return NULL;
	if (fresh)
		init_rwsem(&av->rwsem, LC_ANON_VMA);
	av->id = pool_index(&the_world->anon_vma_pool, av);
	av->num_children = 0;
	av->num_active_vmas = 0;
	/* a stale reader may be reading root right now (folio_lock_anon_vma_read) */
	__atomic_store_n(&av->root, av, __ATOMIC_RELAXED);
	av->parent = av;
	INIT_LIST_HEAD(&av->head);
	atomic_store(&av->refcount, 1);
	return av;
}

/*
 * anon_vma_free - the last reference is gone.  A folio_lock_anon_vma_read()
 * that found the folio still mapped holds the root's rwsem for read and no
 * reference, trusting that an anon_vma of a mapped folio is not freed under
 * the lock: wait for it, as the kernel does, before the object is reused.
 */
static void anon_vma_free(struct anon_vma *av)
{
	VM_BUG_ON(!list_empty(&av->head), INV_ANONVMA, "anon_vma %u freed with chains", av->id);
	if (rwsem_is_locked(&av->root->rwsem)) {
		anon_vma_lock_write(av);
		anon_vma_unlock_write(av);
	}
	pool_free(&the_world->anon_vma_pool, av);
}

/*
 * folio_get_anon_vma - a reference on the anon_vma of a mapped folio, or
 * NULL.  folio->mapping may be stale: the typesafe pool makes the object an
 * anon_vma still, atomic_inc_not_zero refuses a freed one, and a folio
 * still mapped after we hold the reference proves it was not freed and
 * reused under us.  Callers that must know the folio stays in that
 * anon_vma hold the folio lock.
 */
struct anon_vma *folio_get_anon_vma(struct folio *folio)
{
	uintptr_t m = atomic_load(&folio->mapping);
	struct anon_vma *av;
	int ref;

	if ((m & PAGE_MAPPING_FLAGS) != PAGE_MAPPING_ANON || !folio_mapped(folio))
		return NULL;
	av = (struct anon_vma *)(m - PAGE_MAPPING_ANON);
	ref = atomic_load(&av->refcount);
	do {
		if (ref <= 0)
			return NULL;
	} while (!atomic_compare_exchange_weak(&av->refcount, &ref, ref + 1));
	if (!folio_mapped(folio)) {
		put_anon_vma(av);
		return NULL;
	}
	return av;
}

void get_anon_vma(struct anon_vma *av)
{
	atomic_fetch_add(&av->refcount, 1);
}

void put_anon_vma(struct anon_vma *av)
{
	struct anon_vma *root;
	int old = atomic_fetch_sub(&av->refcount, 1);

	VM_BUG_ON(old <= 0, INV_ANONVMA, "anon_vma %u refcount underflow", av->id);
	if (old != 1)
		return;
	/*
	 * __put_anon_vma: ->root is read only by the last holder.  Read
	 * before the drop, it races with anon_vma_fork writing the root of
	 * this object reused (folio_get_anon_vma's speculative reference
	 * may land on an anon_vma freed and allocated again, as
	 * SLAB_TYPESAFE_BY_RCU allows); TSan saw it in stress.
	 */
	root = av->root;
	anon_vma_free(av);
	/* every non-root anon_vma holds a reference on its root */
	if (root != av)
		put_anon_vma(root);
}

void anon_vma_lock_write(struct anon_vma *av) { down_write(&av->root->rwsem); }
void anon_vma_unlock_write(struct anon_vma *av) { up_write(&av->root->rwsem); }
void anon_vma_lock_read(struct anon_vma *av) { down_read(&av->root->rwsem); }
bool anon_vma_trylock_write(struct anon_vma *av) { return down_write_trylock(&av->root->rwsem); }
bool anon_vma_trylock_read(struct anon_vma *av) { return down_read_trylock(&av->root->rwsem); }
void anon_vma_unlock_read(struct anon_vma *av) { up_read(&av->root->rwsem); }

static struct anon_vma_chain *avc_alloc(void)
{
	struct anon_vma_chain *avc = pool_alloc(&the_world->avc_pool);

	if (avc) {
		avc->id = pool_index(&the_world->avc_pool, avc);
		INIT_LIST_HEAD(&avc->same_vma);
		INIT_LIST_HEAD(&avc->same_anon_vma);
	}
	return avc;
}

/*
 * anon_vma_interval_tree_insert - put @avc on its anon_vma's list in the
 * order the kernel's interval tree walks it: by the first page offset of
 * the VMA (vm_pgoff), and after every avc already there at an equal offset,
 * because the tree sends equal keys right.  A list kept in that order visits
 * the VMAs exactly as anon_vma_interval_tree_foreach does (vma_address then
 * drops the ones the folio's index is not in).  Two rules hang on this
 * order: a child forked while a walk runs is visited after its parent (seed
 * 000), and mremap may move ptes without the rmap locks when the new VMA
 * comes after the old one (need_rmap_locks, copy_vma).
 *
 * @before_equal files it ahead of the equal offsets instead: anon-vma-head-
 * insert, the list_add at the head of same_anon_vma that seed 000 fixed.
 * Caller holds the root's rwsem for write (or the anon_vma is unreachable).
 */
static void anon_vma_interval_tree_insert(struct anon_vma_chain *avc, struct anon_vma *av,
					  bool before_equal)
{
	uint64_t key = avc->vma->vm_pgoff;
	struct anon_vma_chain *pos;

	list_for_each_entry(pos, &av->head, same_anon_vma) {
		uint64_t k = pos->vma->vm_pgoff;

		if (k > key || (before_equal && k == key)) {
			list_add_tail(&avc->same_anon_vma, &pos->same_anon_vma);
			return;
		}
	}
	list_add_tail(&avc->same_anon_vma, &av->head);
}

/*
 * anon_vma_chain_link - link @vma to @av.  Caller holds the root's rwsem for
 * write (or @av is new and unreachable).
 */
static void anon_vma_chain_link(struct vm_area_struct *vma, struct anon_vma_chain *avc,
				struct anon_vma *av, bool at_head)
{
	avc->vma = vma;
	avc->anon_vma = av;
	kp_access(av, KP_F_ANON_VMA, true);
	list_add(&avc->same_vma, &vma->anon_vma_chain);
	anon_vma_interval_tree_insert(avc, av, at_head);
}

/*
 * anon_vma_interval_tree_update - @vma's vm_pgoff has just changed (a split
 * that keeps the upper part): take each of its avcs out and put it back at
 * its new place, as vma_prepare/vma_complete's pre_update and post_update
 * do.  Caller holds the root's rwsem for write.
 */
void anon_vma_interval_tree_update(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma) {
		VM_BUG_ON(!rwsem_is_write_locked(&avc->anon_vma->root->rwsem), INV_BUG,
			  "vma [%#llx,%#llx): anon_vma %u re-sorted without its root locked",
			  (unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end,
			  avc->anon_vma->id);
		kp_access(avc->anon_vma, KP_F_ANON_VMA, true);
		list_del_init(&avc->same_anon_vma);
		anon_vma_interval_tree_insert(avc, avc->anon_vma, false);
	}
}

/*
 * lock_anon_vma_root - every anon_vma on one VMA's chain is in one tree, so
 * one root rwsem covers a whole chain: take it once, at the first anon_vma,
 * as clone and unlink do.  @root is what the caller holds (NULL: nothing).
 */
static struct anon_vma *lock_anon_vma_root(struct anon_vma *root, struct anon_vma *av)
{
	struct anon_vma *new_root = av->root;

	if (new_root != root) {
		VM_WARN_ON(root != NULL, INV_ANONVMA,
			   "anon_vma %u: one chain spans the trees of roots %u and %u",
			   av->id, root->id, new_root->id);
		if (root)
			up_write(&root->rwsem);
		root = new_root;
		down_write(&root->rwsem);
	}
	return root;
}

static void unlock_anon_vma_root(struct anon_vma *root)
{
	if (root)
		up_write(&root->rwsem);
}

/*
 * anon_vma_compatible - could @a and @b (a directly below b) ever merge,
 * mprotect aside?  Flags may differ in the access bits only: the point of
 * sharing an anon_vma is that a later mprotect can merge the two again.
 */
static bool anon_vma_compatible(struct vm_area_struct *a, struct vm_area_struct *b)
{
	const unsigned long access = VM_READ | VM_WRITE | VM_EXEC;

	return a->vm_end == b->vm_start && a->vm_file == b->vm_file &&
	       !((a->vm_flags ^ b->vm_flags) & ~access) &&
	       b->vm_pgoff == a->vm_pgoff + (b->vm_start - a->vm_start);
}

/*
 * reusable_anon_vma - @old's anon_vma, if @a and @b are compatible and
 * @old's chain is that one anon_vma alone: a VMA that takes it then has
 * the same chain as @old, so "same anon_vma" keeps meaning "same chain",
 * which is_mergeable_anon_vma and the merge rely on.
 *
 * @old may be in a concurrent anon_vma_prepare (mmap_lock is only held for
 * read): that one publishes old->anon_vma after linking its chain, so the
 * chain is read only once the anon_vma is seen.  Anything else that
 * changes @old needs mmap_lock for write.
 */
static struct anon_vma *reusable_anon_vma(struct vm_area_struct *old, struct vm_area_struct *a,
					  struct vm_area_struct *b)
{
	struct anon_vma *av;

	if (!anon_vma_compatible(a, b))
		return NULL;
	av = atomic_load(&old->anon_vma);
	if (av && list_is_singular(&old->anon_vma_chain))
		return av;
	return NULL;
}

/*
 * find_mergeable_anon_vma - an anon_vma a neighbour of @vma could share
 * (the next VMA first, then the previous), or NULL.  Only touching
 * neighbours are looked at: this is for mprotect remerging, not for saving
 * anon_vmas.  Needs mmap_lock (read).
 */
static struct anon_vma *find_mergeable_anon_vma(struct vm_area_struct *vma)
{
	struct vm_area_struct *next = vma_next(vma), *prev;
	struct anon_vma *av = NULL;

	if (next)
		av = reusable_anon_vma(next, vma, next);
	if (av)
		return av;
	prev = vma_prev(vma);
	if (prev)
		av = reusable_anon_vma(prev, prev, vma);
	return av;
}

/*
 * anon_vma_prepare - give @vma an anon_vma before its first anon folio: a
 * neighbour's (find_mergeable_anon_vma), or a new root, whose num_children
 * counts its link to itself (a root is its own parent).
 * Needs mmap_lock (read is enough: page_table_lock serialises two faults).
 */
int anon_vma_prepare(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	struct anon_vma *av, *allocated = NULL;
	struct anon_vma_chain *avc;

	if (atomic_load(&vma->anon_vma))
		return 0;
	avc = avc_alloc();
	if (!avc)
		return -ENOMEM;
	av = find_mergeable_anon_vma(vma);
	if (!av) {
		av = anon_vma_alloc();
		if (!av) {
			pool_free(&the_world->avc_pool, avc);
			return -ENOMEM;
		}
		av->num_children++;	/* self-parent link of a new root */
		allocated = av;
	}
	anon_vma_lock_write(av);
	spin_lock(&mm->page_table_lock);
	if (!vma->anon_vma) {
		anon_vma_chain_link(vma, avc, av, false);
		av->num_active_vmas++;
		/* after the chain: reusable_anon_vma reads it without a lock */
		atomic_store(&vma->anon_vma, av);
		avc = NULL;
		allocated = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	anon_vma_unlock_write(av);
	/* someone else won the race; a new one was never visible */
	if (allocated)
		put_anon_vma(allocated);
	if (avc)
		pool_free(&the_world->avc_pool, avc);
	return 0;
}

/*
 * anon_vma_reusable - may a forked VMA (src's child) take @av, an anon_vma
 * on src's chain, as its own instead of a new one?  Linux since
 * 2555283eb40d: when no VMA has it as anon_vma (num_active_vmas == 0) and
 * at most one anon_vma is its child (num_children < 2).  Then no VMA can
 * have it with another chain, and rmap walks of the child's folios still
 * need not scan a whole fan of siblings.  The root never qualifies: it
 * counts itself and, with no VMA of its own, a child.  Root's rwsem held.
 *
 * anon-vma-degree-reuse: the single counter of Linux 3.19 to 6.0, 'degree'
 * = num_children + num_active_vmas, and reuse when degree < 2 and @av is
 * not src's own.  That assumed an anon_vma on src's chain that is not
 * src's has a child, so degree 1 meant "no VMA".  But reuse itself
 * abandons a leaf (the child takes an ancestor, and makes no child of the
 * leaf), so degree 1 can be one VMA with no child: the anon_vma is reused
 * while still in use, by a VMA whose chain may differ from that user's,
 * and the merge that "same anon_vma" allows then leaves folios whose
 * anon_vma the merged VMA is not linked to (CVE-2022-42703).
 */
static bool anon_vma_reusable(struct anon_vma *av, struct vm_area_struct *src)
{
	if (mmt_injected(BUG_ANON_VMA_DEGREE_REUSE))
		return av != src->anon_vma && av->num_children + av->num_active_vmas < 2;
	return av->num_children < 2 && av->num_active_vmas == 0;
}

/*
 * anon_vma_clone - link @dst to every anon_vma of @src (VMA split, mremap
 * copy, merge, and the first half of fork).  Needs mmap_lock for write on
 * @dst's mm; takes the tree's root rwsem once for the whole chain.  Walks
 * @src's chain oldest-last, so @dst's chain keeps the same order.  A @dst
 * without an anon_vma (fork) may take one of these (anon_vma_reusable).
 */
int anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	struct anon_vma_chain *pavc;
	struct anon_vma *root = NULL;

	list_for_each_entry_reverse(pavc, &src->anon_vma_chain, same_vma) {
		struct anon_vma_chain *avc = avc_alloc();
		struct anon_vma *av = pavc->anon_vma;

		if (!avc)
			goto enomem;
		root = lock_anon_vma_root(root, av);
		anon_vma_chain_link(dst, avc, av,
				    mmt_injected(BUG_ANON_VMA_HEAD_INSERT) && dst->vm_mm != src->vm_mm);
		if (!dst->anon_vma && src->anon_vma && anon_vma_reusable(av, src))
			dst->anon_vma = av;
	}
	if (dst->anon_vma)
		dst->anon_vma->num_active_vmas++;
	unlock_anon_vma_root(root);
	return 0;

enomem:
	unlock_anon_vma_root(root);
	/* not counted yet: unlink_anon_vmas must not drop num_active_vmas */
	dst->anon_vma = NULL;
	unlink_anon_vmas(dst);
	return -ENOMEM;
}

/*
 * anon_vma_fork - the child's VMA gets every anon_vma of the parent's VMA,
 * and as its own either one of them (anon_vma_clone's reuse) or a new
 * anon_vma, a child of the parent's in the same tree.
 * Needs the parent's mmap_lock for write and the child's, nested.
 */
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	struct anon_vma *av;
	struct anon_vma_chain *avc;
	int err;

	if (!pvma->anon_vma)
		return 0;
	/* drop the inherited anon_vma: clone reuses one or we allocate */
	vma->anon_vma = NULL;
	err = anon_vma_clone(vma, pvma);
	if (err)
		return err;
	if (vma->anon_vma)
		return 0;

	avc = avc_alloc();
	if (!avc)
		goto out_error;
	av = anon_vma_alloc();
	if (!av) {
		pool_free(&the_world->avc_pool, avc);
		goto out_error;
	}
	av->num_active_vmas = 1;
	__atomic_store_n(&av->root, pvma->anon_vma->root, __ATOMIC_RELAXED);
	av->parent = pvma->anon_vma;
	/* the lock lives in the root: pin it for as long as this one lives */
	get_anon_vma(av->root);
	vma->anon_vma = av;
	anon_vma_lock_write(av);
	anon_vma_chain_link(vma, avc, av, false);
	av->parent->num_children++;
	anon_vma_unlock_write(av);
	return 0;
out_error:
	unlink_anon_vmas(vma);
	return -ENOMEM;
}

/*
 * unlink_anon_vmas - drop every chain of @vma (munmap, exit, failed fork or
 * clone).  Two passes, as in the kernel: under the root's rwsem, unlink
 * each avc from its anon_vma's list and the counters with it (an anon_vma
 * whose list empties is no longer its parent's child, and @vma no longer
 * uses its own); then, with the rwsem dropped, put the emptied anon_vmas,
 * since freeing one may take that rwsem (anon_vma_free) and put its root.
 * The chain is newest first, so children go before their parents and the
 * root last.  Needs mmap_lock for write (or the mm is dying).
 */
void unlink_anon_vmas(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc, *next;
	struct anon_vma *root = NULL;

	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *av = avc->anon_vma;

		root = lock_anon_vma_root(root, av);
		kp_access(av, KP_F_ANON_VMA, true);
		list_del_init(&avc->same_anon_vma);
		if (list_empty(&av->head)) {
			/* left on the chain for the second pass */
			av->parent->num_children--;
			continue;
		}
		list_del_init(&avc->same_vma);
		pool_free(&the_world->avc_pool, avc);
	}
	if (vma->anon_vma) {
		vma->anon_vma->num_active_vmas--;
		vma->anon_vma = NULL;
	}
	unlock_anon_vma_root(root);

	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *av = avc->anon_vma;

		VM_WARN_ON(av->num_children || av->num_active_vmas, INV_ANONVMA,
			   "anon_vma %u emptied with num_children %lu, num_active_vmas %lu",
			   av->id, av->num_children, av->num_active_vmas);
		list_del_init(&avc->same_vma);
		pool_free(&the_world->avc_pool, avc);
		put_anon_vma(av);
	}
}

/*
 * folio_lock_anon_vma_read - lock the anon_vma of a mapped folio for an rmap
 * walk that may not hold the folio lock (folio_referenced from reclaim).
 * folio->mapping may change under us: the folio can be unmapped and its
 * anon_vma freed (the typesafe pool keeps the object an anon_vma), or
 * UFFDIO_MOVE can move it into another anon_vma tree, holding the folio
 * lock and the old root's rwsem for write.  So once the root is locked,
 * folio->mapping is read again and the lookup retried if it changed: only
 * the lock of the tree the folio is in keeps its mappings still.
 *
 * Fast path: a trylock, and no reference (a mapped folio's anon_vma cannot
 * be freed while its root is held, see anon_vma_free).  Slow path (not for
 * rwc->try_lock walks, which give up and say so): pin, sleep on the lock,
 * unpin under it.
 */
struct anon_vma *folio_lock_anon_vma_read(struct folio *folio, struct rmap_walk_control *rwc)
{
	struct anon_vma *av, *root;
	uintptr_t m;
	int ref;

retry:
	m = atomic_load(&folio->mapping);
	if ((m & PAGE_MAPPING_FLAGS) != PAGE_MAPPING_ANON || !folio_mapped(folio))
		return NULL;
	av = (struct anon_vma *)(m - PAGE_MAPPING_ANON);
	root = __atomic_load_n(&av->root, __ATOMIC_RELAXED);	/* READ_ONCE: maybe freed, reused */
	if (down_read_trylock(&root->rwsem)) {
		if (!mmt_injected(BUG_ANON_VMA_READ_NO_RECHECK) &&
		    atomic_load(&folio->mapping) != m) {
			up_read(&root->rwsem);
			goto retry;
		}
		if (!folio_mapped(folio)) {
			up_read(&root->rwsem);
			return NULL;
		}
		return av;
	}
	if (rwc && rwc->try_lock) {
		rwc->contended = true;
		return NULL;
	}

	/* atomic_inc_not_zero: a freed anon_vma has no count to take */
	ref = atomic_load(&av->refcount);
	do {
		if (ref <= 0)
			return NULL;
	} while (!atomic_compare_exchange_weak(&av->refcount, &ref, ref + 1));
	if (!folio_mapped(folio)) {
		put_anon_vma(av);
		return NULL;
	}
	anon_vma_lock_read(av);
	if (!mmt_injected(BUG_ANON_VMA_READ_NO_RECHECK) && atomic_load(&folio->mapping) != m) {
		anon_vma_unlock_read(av);
		put_anon_vma(av);
		goto retry;
	}
	if (atomic_fetch_sub(&av->refcount, 1) == 1) {
		/* we held the last reference: put_anon_vma would take the lock we hold */
		root = av->root;
		anon_vma_unlock_read(av);
		anon_vma_free(av);
		if (root != av)
			put_anon_vma(root);
		return NULL;
	}
	return av;
}

/* ------------------------------------------------------ rmap accounting */

uint64_t vma_address(const struct vm_area_struct *vma, uint64_t pgoff)
{
	if (pgoff < vma->vm_pgoff || pgoff - vma->vm_pgoff >= vma->vm_end - vma->vm_start)
		return -1ull;
	return vma->vm_start + (pgoff - vma->vm_pgoff);
}

/*
 * vma_address_folio - the first address at which @vma may map a page of
 * @folio (pages @folio->index .. + nr - 1), or -1ull if none of its pages
 * lies in @vma.  For a large folio the VMA may begin or end inside it
 * (partial munmap, mprotect, mremap of part of it): then the walk starts
 * at vm_start, with the page that lies there.  The kernel has looked for
 * the whole range of a PTE-mapped THP since a8fa41ad2f6f ("mm, rmap: check
 * all VMAs that PTE-mapped THP can be part of"), and compared page offsets
 * rather than addresses since 494334e43c16 (no wrap below zero); with
 * thp-rmap-first-subpage injected only the first page's offset is looked
 * for, and a VMA whose first pages were unmapped is skipped.
 */
uint64_t vma_address_folio(const struct vm_area_struct *vma, const struct folio *folio)
{
	uint64_t nr = (uint64_t)folio_nr_pages(folio);

	if (nr == 1)
		return vma_address(vma, folio->index);
	if (mmt_injected(BUG_THP_RMAP_FIRST_SUBPAGE))
		/* before a8fa41ad2f6f: the interval tree asked for the head's pgoff */
		return vma_address(vma, folio->index);
	if (folio->index + nr <= vma->vm_pgoff)
		return -1ull;
	if (folio->index >= vma->vm_pgoff + (vma->vm_end - vma->vm_start))
		return -1ull;
	if (folio->index <= vma->vm_pgoff)
		return vma->vm_start;
	return vma->vm_start + (folio->index - vma->vm_pgoff);
}

/*
 * The PTE mapcount bookkeeping of __folio_add_rmap / __folio_remove_rmap
 * (Linux 6.11/6.12, CONFIG_PAGE_MAPCOUNT): each page's _mapcount, and for a
 * large folio _large_mapcount and _nr_pages_mapped.  Returns the pages that
 * went from unmapped to mapped (or back).
 */
static int folio_add_ptes_mapcount(struct folio *folio, struct page *page, int nr)
{
	int first = 0;

	kp_access(folio, KP_F_MAPCOUNT, true);
	for (int i = 0; i < nr; i++)
		first += atomic_fetch_add(&page_frame(page)[i].page._mapcount, 1) == -1;
	if (folio_test_large(folio)) {
		atomic_fetch_add(&folio->_large_mapcount, nr);
		atomic_fetch_add(&folio->_nr_pages_mapped, first);
	}
	return first;
}

/*
 * folio_add_new_anon_rmap - map a folio nobody else can see yet, at the
 * largest granularity it can be (here: every page by a PTE, from @addr).
 * An exclusive folio points at the VMA's own anon_vma; a shared one (KSM,
 * swap-in of a non-exclusive page) at the root, which every VMA of the tree
 * reaches.  The caller maps the PTEs.
 */
void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			     uint64_t addr, int flags)
{
	struct anon_vma *av = vma->anon_vma;
	int nr = (int)folio_nr_pages(folio);

	VM_BUG_ON(!av, INV_RMAP, "vma [%#llx,%#llx) has no anon_vma",
		  (unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end);
	VM_BUG_ON(folio_mapped(folio), INV_MAPCOUNT, "folio pfn %u new but mapped", folio->pfn);
	if (!(flags & RMAP_EXCLUSIVE))
		av = av->root;
	kp_access(folio, KP_F_FOLIO_MAPPING, true);
	folio->mapping = (uintptr_t)av | PAGE_MAPPING_ANON;
	folio->index = linear_page_index(vma, addr);
	folio_set_swapbacked(folio);
	folio_add_ptes_mapcount(folio, &folio->page, nr);
	if (flags & RMAP_EXCLUSIVE)
		for (int i = 0; i < nr; i++)
			SetPageAnonExclusive(folio_page(folio, i));
}

/*
 * folio_add_anon_rmap_ptes - @nr PTEs now map the pages from @page on, at
 * @addr on (swap-in, remove_migration_pte, KSM).  Folio locked.
 */
void folio_add_anon_rmap_ptes(struct folio *folio, struct page *page, int nr,
			      struct vm_area_struct *vma, uint64_t addr, int flags)
{
	uint64_t idx = folio->index + folio_page_idx(folio, page);

	VM_BUG_ON(!folio_test_anon(folio), INV_RMAP, "folio pfn %u is not anon", folio->pfn);
	/* a KSM folio is found through its rmap_items, not by index */
	VM_BUG_ON(!folio_test_ksm(folio) && idx != linear_page_index(vma, addr), INV_RMAP,
		  "folio pfn %u page index %#llx mapped at %#llx (expects %#llx)", folio->pfn,
		  (unsigned long long)idx, (unsigned long long)addr,
		  (unsigned long long)linear_page_index(vma, addr));
	folio_add_ptes_mapcount(folio, page, nr);
	if (flags & RMAP_EXCLUSIVE)
		for (int i = 0; i < nr; i++)
			SetPageAnonExclusive(&page_frame(page)[i].page);
}

void folio_add_anon_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma, uint64_t addr, int flags)
{
	folio_add_anon_rmap_ptes(folio, page, 1, vma, addr, flags);
}

void folio_add_file_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma)
{
	VM_BUG_ON(folio_test_anon(folio), INV_RMAP, "folio pfn %u is anon", folio->pfn);
	(void)vma;
	folio_add_ptes_mapcount(folio, page, 1);
}

/*
 * deferred_split_folio - a large anon folio lost some of its mappings but
 * not all: mark it PG_partially_mapped and queue it on its node's deferred
 * split queue, so that the deferred-split shrinker (deferred_split_scan,
 * run by reclaim) can split it and free the pages nobody maps.  As in
 * 6.12: an order-1 folio has no room for the list and is never queued, a
 * folio in the swap cache is reclaim's already.  Called under the ptl of
 * the pte just zapped; takes the node's split_queue_lock.
 */
static void deferred_split_folio(struct folio *folio)
{
	struct pglist_data *pgdat = &the_world->node[folio->nid];

	if (!folio_has_deferred_list(folio) || folio_test_swapcache(folio))
		return;
	if (folio_test_partially_mapped(folio))
		return;		/* queued already (the flag is set under the lock) */
	spin_lock(&pgdat->split_queue_lock);
	if (!folio_test_partially_mapped(folio))
		folio_set(folio, PG_partially_mapped);
	if (list_empty(&folio->_deferred_list)) {
		list_add_tail(&folio->_deferred_list, &pgdat->split_queue);
		__atomic_fetch_add(&pgdat->split_queue_len, 1, __ATOMIC_RELAXED);	/* WRITE_ONCE */
	}
	spin_unlock(&pgdat->split_queue_lock);
}

/*
 * folio_remove_rmap_ptes - @nr PTEs mapping the pages from @page on are
 * gone.  A large anon folio left partly mapped goes on the deferred split
 * queue.  The ptl of those PTEs held.
 */
void folio_remove_rmap_ptes(struct folio *folio, struct page *page, int nr,
			    struct vm_area_struct *vma)
{
	int last = 0;

	(void)vma;
	kp_access(folio, KP_F_MAPCOUNT, true);
	for (int i = 0; i < nr; i++) {
		int old = atomic_fetch_sub(&page_frame(page)[i].page._mapcount, 1);

		VM_BUG_ON(old < 0, INV_MAPCOUNT, "folio pfn %u page %u: mapcount underflow",
			  folio->pfn, folio_page_idx(folio, page) + i);
		last += old == 0;
	}
	if (!folio_test_large(folio))
		return;
	VM_BUG_ON(atomic_fetch_sub(&folio->_large_mapcount, nr) < nr - 1, INV_MAPCOUNT,
		  "folio pfn %u: large mapcount underflow", folio->pfn);
	/* pages a PMD still maps whole did not become unmapped: not partial */
	if (atomic_fetch_sub(&folio->_nr_pages_mapped, last) - last >= ENTIRELY_MAPPED)
		return;
	if (last && folio_test_anon(folio) && folio_mapped(folio))
		deferred_split_folio(folio);
}

/*
 * The PMD level of __folio_add_rmap and __folio_remove_rmap (6.12): one
 * _entire_mapcount per PMD mapping, counted in _large_mapcount too, and
 * ENTIRELY_MAPPED in _nr_pages_mapped while any PMD maps the folio.  A
 * PMD-mapped anon folio keeps PG_anon_exclusive on its head page only;
 * the split hands it to every page (__split_huge_pmd_locked).
 */
static void folio_add_pmd_mapcount(struct folio *folio)
{
	VM_BUG_ON(folio->order != HPAGE_PMD_ORDER, INV_MAPCOUNT,
		  "folio pfn %u of order %u mapped by a pmd", folio->pfn, folio->order);
	kp_access(folio, KP_F_MAPCOUNT, true);
	if (atomic_fetch_add(&folio->_entire_mapcount, 1) == -1)
		atomic_fetch_add(&folio->_nr_pages_mapped, ENTIRELY_MAPPED);
	atomic_fetch_add(&folio->_large_mapcount, 1);
}

/*
 * folio_add_new_anon_rmap_pmd - a new PMD-sized folio a huge pmd is about
 * to map (do_huge_pmd_anonymous_page): the kernel's folio_add_new_anon_rmap
 * takes this branch for any pmd-mappable folio; here the level is said by
 * the caller, as for the other rmap calls (do_huge_pmd_anonymous_page and
 * khugepaged's PMD collapse).  The pmd lock held.
 */
void folio_add_new_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
				 uint64_t haddr, int flags)
{
	struct anon_vma *av = vma->anon_vma;

	VM_BUG_ON(!av, INV_RMAP, "vma [%#llx,%#llx) has no anon_vma",
		  (unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end);
	VM_BUG_ON(folio_mapped(folio), INV_MAPCOUNT, "folio pfn %u new but mapped", folio->pfn);
	kp_access(folio, KP_F_FOLIO_MAPPING, true);
	folio->mapping = (uintptr_t)av | PAGE_MAPPING_ANON;
	folio->index = linear_page_index(vma, haddr);
	folio_set_swapbacked(folio);
	folio_add_pmd_mapcount(folio);
	if (flags & RMAP_EXCLUSIVE)
		SetPageAnonExclusive(&folio->page);
}

/*
 * folio_add_anon_rmap_pmd - a huge pmd maps @folio again
 * (remove_migration_pmd): one more PMD mapping, the head AnonExclusive
 * with RMAP_EXCLUSIVE.  Folio locked, the pmd lock held.
 */
void folio_add_anon_rmap_pmd(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma, uint64_t haddr, int flags)
{
	VM_BUG_ON(!folio_test_anon(folio), INV_RMAP, "folio pfn %u is not anon", folio->pfn);
	VM_BUG_ON(folio->index != linear_page_index(vma, haddr), INV_RMAP,
		  "folio pfn %u index %#llx mapped by a pmd at %#llx (expects %#llx)", folio->pfn,
		  (unsigned long long)folio->index, (unsigned long long)haddr,
		  (unsigned long long)linear_page_index(vma, haddr));
	folio_add_pmd_mapcount(folio);
	if (flags & RMAP_EXCLUSIVE)
		SetPageAnonExclusive(page);
}

/*
 * folio_remove_rmap_pmd - a PMD mapping @folio is gone.  When it was the
 * last one and some pages stay mapped by ptes (another mm split its pmd),
 * the folio is partially mapped and goes on the deferred split queue.
 * The pmd lock held.
 */
void folio_remove_rmap_pmd(struct folio *folio, struct page *page, struct vm_area_struct *vma)
{
	int left;

	(void)page; (void)vma;
	kp_access(folio, KP_F_MAPCOUNT, true);
	VM_BUG_ON(atomic_fetch_sub(&folio->_large_mapcount, 1) < 0, INV_MAPCOUNT,
		  "folio pfn %u: large mapcount underflow", folio->pfn);
	if (atomic_fetch_sub(&folio->_entire_mapcount, 1) != 0) {
		VM_BUG_ON(atomic_load(&folio->_entire_mapcount) < -1, INV_MAPCOUNT,
			  "folio pfn %u: entire mapcount underflow", folio->pfn);
		return;
	}
	left = atomic_fetch_sub(&folio->_nr_pages_mapped, ENTIRELY_MAPPED) - ENTIRELY_MAPPED;
	if (left > 0 && left < HPAGE_PMD_NR && folio_test_anon(folio))
		deferred_split_folio(folio);
}

/*
 * folio_try_dup_anon_rmap_pmd - fork's copy_huge_pmd shares the folio with
 * the child: the head's AnonExclusive goes, unless the folio may be pinned
 * (then -EBUSY, and the caller splits the pmd so that copy_present_page
 * gives the child copies of the exclusive pages, d042035eaf5f).  The src
 * pmd lock held.
 */
int folio_try_dup_anon_rmap_pmd(struct folio *folio, struct page *page,
				struct vm_area_struct *src_vma)
{
	if (PageAnonExclusive(page)) {
		if (folio_needs_cow_for_dma(src_vma, folio) &&
		    !mmt_injected(BUG_THP_FORK_PINNED_PMD))
			return -EBUSY;
		ClearPageAnonExclusive(page);
	}
	folio_add_pmd_mapcount(folio);
	return 0;
}

void folio_remove_rmap_pte(struct folio *folio, struct page *page,
			   struct vm_area_struct *vma)
{
	folio_remove_rmap_ptes(folio, page, 1, vma);
}

/*
 * folio_try_dup_anon_rmap_ptes - fork is about to map @nr pages from @page
 * in the child.  An exclusive page stops being exclusive: from now on a
 * write in either process must copy or prove it is the last user.  Unless
 * the folio may be pinned by a device (folio_needs_cow_for_dma): sharing a
 * pinned page would let the parent's next write COW away from the page the
 * device writes, so -EBUSY, nothing changes, and the caller gives the child
 * copies instead (copy_present_page).  The src ptl held.
 */
int folio_try_dup_anon_rmap_ptes(struct folio *folio, struct page *page, int nr,
				 struct vm_area_struct *src_vma)
{
	bool maybe_pinned = folio_needs_cow_for_dma(src_vma, folio) &&
			    !mmt_injected(BUG_FORK_PINNED_EARLY_COW);

	if (maybe_pinned)
		for (int i = 0; i < nr; i++)
			if (PageAnonExclusive(&page_frame(page)[i].page))
				return -EBUSY;
	for (int i = 0; i < nr; i++)
		if (PageAnonExclusive(&page_frame(page)[i].page))
			ClearPageAnonExclusive(&page_frame(page)[i].page);
	folio_add_ptes_mapcount(folio, page, nr);
	return 0;
}

int folio_try_dup_anon_rmap_pte(struct folio *folio, struct page *page,
				struct vm_area_struct *src_vma)
{
	return folio_try_dup_anon_rmap_ptes(folio, page, 1, src_vma);
}

/* the same for the head of a PMD-mapped folio (set_pmd_migration_entry) */
int folio_try_share_anon_rmap_pmd(struct folio *folio, struct page *page)
{
	VM_BUG_ON(!folio_test_anon(folio) || !PageAnonExclusive(page), INV_EXCLUSIVE,
		  "folio pfn %u: sharing a pmd that is not exclusive anon", folio->pfn);
	if (folio_maybe_dma_pinned(folio))
		return -EBUSY;
	ClearPageAnonExclusive(page);
	return 0;
}

/*
 * folio_try_share_anon_rmap_pte - an exclusive page is about to be
 * unmapped into a swap or migration entry, or write-protected for KSM,
 * after which it may be shared.  A page a device may have pinned must
 * stay exclusive and mapped: -EBUSY, and the caller puts its pte back.
 * The pte has been cleared (so GUP-fast cannot pin it now); ptl held.
 */
int folio_try_share_anon_rmap_pte(struct folio *folio, struct page *page)
{
	VM_BUG_ON(!folio_test_anon(folio) || !PageAnonExclusive(page), INV_EXCLUSIVE,
		  "folio pfn %u: sharing a page that is not exclusive anon", folio->pfn);
	if (folio_maybe_dma_pinned(folio))
		return -EBUSY;
	ClearPageAnonExclusive(page);
	return 0;
}

void folio_dup_file_rmap_pte(struct folio *folio, struct page *page)
{
	folio_add_ptes_mapcount(folio, page, 1);
}

/*
 * folio_move_anon_rmap - an exclusive folio now belongs to @vma's anon_vma
 * (COW reuse of the last reference, UFFDIO_MOVE).  Folio locked.  Moving a
 * mapped folio into another anon_vma tree also needs the old root's rwsem
 * for write: folio_referenced walks without the folio lock, holding only
 * that rwsem for read, and must not see the folio leave the tree it is
 * walking.  (An unmapped one, a swap-cache folio behind a swap pte, meets
 * no such walk: folio_referenced leaves unmapped folios alone.)  The
 * mapping is written in one store, so that no reader sees the anon_vma
 * without PAGE_MAPPING_ANON.
 */
void folio_move_anon_rmap(struct folio *folio, struct vm_area_struct *vma)
{
	struct anon_vma *old = folio_anon_vma(folio);

	VM_BUG_ON(!folio_test_locked(folio), INV_RMAP, "folio pfn %u not locked", folio->pfn);
	VM_BUG_ON(!vma->anon_vma, INV_RMAP, "vma [%#llx,%#llx) has no anon_vma",
		  (unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end);
	VM_BUG_ON(old && folio_mapped(folio) && old->root != vma->anon_vma->root &&
		  !rwsem_is_write_locked(&old->root->rwsem),
		  INV_RMAP, "folio pfn %u moved from anon_vma tree %u to %u without the old root "
		  "locked for write", folio->pfn, old->root->id, vma->anon_vma->root->id);
	kp_access(folio, KP_F_FOLIO_MAPPING, true);
	atomic_store(&folio->mapping, (uintptr_t)vma->anon_vma | PAGE_MAPPING_ANON);
}

/* ---------------------------------------------------------------- walks */

/*
 * rmap_walk_anon - visit every VMA chained to the folio's anon_vma, in list
 * order.  Folio locked, so folio->mapping cannot change.  The root's rwsem
 * is held for read across the whole walk, as the kernel holds it: nothing
 * can link, unlink, split or merge a VMA of the tree meanwhile.  Between two
 * VMAs the walk yields with the lock held; what can run then is what never
 * needs that lock, such as fork copying page tables or a fault -- exactly
 * the window in which seed 000's fork race lived.  The reference keeps the
 * anon_vma alive for walkers that do not hold the folio's last mapping.
 */
static void rmap_walk_anon(struct folio *folio, struct rmap_walk_control *rwc)
{
	struct anon_vma *av;
	struct anon_vma_chain *avc;
	bool pinned = true;

	if (rwc->anon_lock) {
		/* locked by anon_lock, no reference: the walk's lock keeps it */
		av = rwc->anon_lock(folio, rwc);
		pinned = false;
	} else if (rwc->anon_vma_pinned) {
		av = folio_anon_vma(folio);
		get_anon_vma(av);
	} else {
		av = folio_get_anon_vma(folio);	/* NULL: nothing maps it */
	}
	if (!av)
		return;
	if (!rwc->locked && pinned)
		anon_vma_lock_read(av);
	kp_access(av, KP_F_ANON_VMA, false);
	list_for_each_entry(avc, &av->head, same_anon_vma) {
		struct vm_area_struct *vma = avc->vma;
		struct anon_vma *now = folio_anon_vma(folio);
		uint64_t addr;

		kp_access(vma, KP_F_VMA, false);
		/*
		 * The tree we hold must stay the folio's: folio_move_anon_rmap
		 * into another tree needs our root for write.  (KSM may make
		 * the folio a stable node's meanwhile; the walk then just
		 * finds less.)
		 */
		VM_BUG_ON(now && __atomic_load_n(&now->root, __ATOMIC_RELAXED) != av->root, INV_RMAP,
			  "rmap walk of folio pfn %u holds anon_vma tree %u, but the folio "
			  "moved to tree %u under it (folio->mapping changed before the lock "
			  "was taken, and nobody looked again)", folio->pfn, av->root->id,
			  now->root->id);
		addr = vma_address_folio(vma, folio);
		if (addr != -1ull && !(rwc->invalid_vma && rwc->invalid_vma(vma, rwc->arg)) &&
		    !rwc->rmap_one(folio, vma, addr, rwc->arg))
			break;
		if (rwc->done && rwc->done(folio))
			break;
		cond_resched();
	}
	if (!rwc->locked)
		anon_vma_unlock_read(av);
	if (pinned)
		put_anon_vma(av);
}

/*
 * rmap_walk_file - the same over mapping->i_mmap, under i_mmap_rwsem for
 * read.  No reference on the mapping: the folio lock is what keeps it,
 * since truncation must lock every folio of the page cache before the
 * mapping can go.
 */
static void rmap_walk_file(struct folio *folio, struct rmap_walk_control *rwc)
{
	struct address_space *m = folio_mapping(folio);
	struct vm_area_struct *vma;

	if (!m)
		return;
	if (!rwc->locked && rwc->try_lock) {
		if (!down_read_trylock(&m->i_mmap_rwsem)) {
			rwc->contended = true;
			return;
		}
	} else if (!rwc->locked) {
		down_read(&m->i_mmap_rwsem);
	}
	list_for_each_entry(vma, &m->i_mmap, shared) {
		uint64_t addr = vma_address_folio(vma, folio);

		if (addr != -1ull && !(rwc->invalid_vma && rwc->invalid_vma(vma, rwc->arg)) &&
		    !rwc->rmap_one(folio, vma, addr, rwc->arg))
			break;
		if (rwc->done && rwc->done(folio))
			break;
		cond_resched();
	}
	if (!rwc->locked)
		up_read(&m->i_mmap_rwsem);
}

void rmap_walk(struct folio *folio, struct rmap_walk_control *rwc)
{
	if (rwc->done && rwc->done(folio))
		return;
	if (folio_test_ksm(folio))
		rmap_walk_ksm(folio, rwc);
	else if (folio_test_anon(folio))
		rmap_walk_anon(folio, rwc);
	else
		rmap_walk_file(folio, rwc);
}

/*
 * i_mmap maintenance: writers exclude every walk.  The kernel's i_mmap is an
 * interval tree too, walked in vm_pgoff order with equal offsets in
 * insertion order: a new VMA (mmap, split, mremap's copy_vma) goes after
 * the ones at its offset; fork's copy goes right after its parent's
 * (vma_interval_tree_insert_after), @after.
 */
static void i_mmap_insert(struct address_space *m, struct vm_area_struct *vma)
{
	struct vm_area_struct *pos;

	list_for_each_entry(pos, &m->i_mmap, shared) {
		if (pos->vm_pgoff > vma->vm_pgoff) {
			list_add_tail(&vma->shared, &pos->shared);
			return;
		}
	}
	list_add_tail(&vma->shared, &m->i_mmap);
}

void vma_link_file(struct vm_area_struct *vma, struct vm_area_struct *after)
{
	struct address_space *m = vma->vm_file;

	down_write(&m->i_mmap_rwsem);
	if (after)
		list_add(&vma->shared, &after->shared);
	else
		i_mmap_insert(m, vma);
	up_write(&m->i_mmap_rwsem);
}

/* @vma's vm_pgoff has just changed: re-sort it.  i_mmap_rwsem held for write. */
void vma_interval_tree_update(struct vm_area_struct *vma)
{
	list_del_init(&vma->shared);
	i_mmap_insert(vma->vm_file, vma);
}

void vma_unlink_file(struct vm_area_struct *vma)
{
	struct address_space *m = vma->vm_file;

	down_write(&m->i_mmap_rwsem);
	list_del_init(&vma->shared);
	up_write(&m->i_mmap_rwsem);
}

/* ------------------------------------------------ unmap and migrate */

static bool folio_not_mapped(struct folio *folio)
{
	return !folio_mapped(folio);
}

void mm_add_to_mmlist(struct mm_struct *mm)
{
	/* no unlocked peek: list_empty() reads what list_add writes */
	spin_lock(&the_world->mmlist_lock);
	if (list_empty(&mm->mmlist))
		list_add_tail(&mm->mmlist, &the_world->mmlist);
	spin_unlock(&the_world->mmlist_lock);
}

/*
 * page_vma_mapped - the pte at @addr of @mm, locked, if it is a present pte
 * mapping page @idx of @folio; NULL (and nothing locked) otherwise.  One
 * step of the kernel's page_vma_mapped_walk(), always with the ptl taken
 * before the pte is looked at (PVMW_SYNC): a walk that peeked first could
 * pass a pte that a racing zap has cleared but not yet unaccounted.
 */
pte_t *page_vma_mapped_idx(struct folio *folio, unsigned idx, struct mm_struct *mm,
			   uint64_t addr, spinlock_t **ptlp)
{
	pte_t *ptep = pte_offset_map_lock(mm, addr, ptlp);
	uint64_t pfn = folio->pfn + idx;
	pte_t pte;

	if (!ptep)
		return NULL;
	pte = ptep_get(ptep);
	if (pte_present(pte) && !pte_special(pte) && pte_pfn(pte) == pfn)
		return ptep;
	/* a device-private folio is mapped by its device-private entries */
	if (folio_is_device_private(folio) && is_swap_pte(pte) &&
	    is_device_private_entry(pte_to_swp_entry(pte)) &&
	    swp_offset_pfn(pte_to_swp_entry(pte)) == pfn)
		return ptep;
	pte_unmap_unlock(*ptlp);
	return NULL;
}

static pte_t *page_vma_mapped(struct folio *folio, struct mm_struct *mm, uint64_t addr,
			      spinlock_t **ptlp)
{
	return page_vma_mapped_idx(folio, 0, mm, addr, ptlp);
}

/*
 * The huge pmd of @vma at @addr if it maps @folio, with its lock held in
 * *@ptlp; NULL (nothing locked) otherwise: the pmd step of
 * page_vma_mapped_walk().
 */
pmd_t *page_vma_mapped_pmd(struct folio *folio, struct vm_area_struct *vma,
				  uint64_t addr, spinlock_t **ptlp)
{
	pmd_t *pmdp;

	if (folio->order != HPAGE_PMD_ORDER)
		return NULL;
	pmdp = pmd_offset(vma->vm_mm, addr);
	if (!pmdp || !pmd_trans_huge(pmdp_get_lockless(pmdp)))
		return NULL;
	*ptlp = pmd_lock(pmdp);
	if (pmd_trans_huge(pmdp_get(pmdp)) && pmd_pfn(pmdp_get(pmdp)) == folio->pfn)
		return pmdp;
	spin_unlock(*ptlp);
	return NULL;
}

/*
 * The pmd step of try_to_migrate_one.  With TTU_SPLIT_HUGE_PMD (split's
 * unmap_folio) the pmd mapping @folio becomes ptes (split_huge_pmd_locked
 * under the walk's pmd lock; freeze = false, then the pte path: the same
 * outcome as the kernel's freeze, which falls back to that when
 * folio_try_share_anon_rmap_pmd fails), which the walk then treats page by
 * page.  Without it (migration) the pmd becomes one PMD migration entry
 * (set_pmd_migration_entry): write if the pmd was writable, else
 * read-exclusive for an AnonExclusive head, else read; the PMD mapping and
 * its reference go, the rss stays.  A head that may be pinned stays
 * mapped and the walk stops (false), as for a pte.
 */
static bool try_to_migrate_huge_pmd(struct folio *folio, struct vm_area_struct *vma,
				    uint64_t addr, unsigned flags)
{
	uint64_t haddr = addr & HPAGE_PMD_MASK;
	struct mm_struct *mm = vma->vm_mm;
	bool anon_exclusive;
	swp_entry_t entry;
	spinlock_t *ptl;
	pmd_t *pmdp = page_vma_mapped_pmd(folio, vma, addr, &ptl), pmdval;

	if (!pmdp)
		return true;
	if (flags & TTU_SPLIT_HUGE_PMD) {
		__split_huge_pmd_locked(vma, pmdp, haddr);
		spin_unlock(ptl);
		return true;
	}
	pmdval = pmdp_huge_get_and_clear(mm, haddr, pmdp);	/* pmdp_invalidate */
	anon_exclusive = folio_test_anon(folio) && PageAnonExclusive(&folio->page);
	if (anon_exclusive && folio_try_share_anon_rmap_pmd(folio, &folio->page)) {
		set_pmd_at(mm, haddr, pmdp, pmdval);
		spin_unlock(ptl);
		return false;
	}
	if (pmd_dirty(pmdval))
		folio_set(folio, PG_dirty);
	if (pmd_write(pmdval))
		entry = make_writable_migration_entry(folio->pfn);
	else if (anon_exclusive)
		entry = make_readable_exclusive_migration_entry(folio->pfn);
	else
		entry = make_readable_migration_entry(folio->pfn);
	set_pmd_at(mm, haddr, pmdp, swp_entry_to_pmd(entry));
	folio_remove_rmap_pmd(folio, &folio->page, vma);
	folio_put(folio);
	spin_unlock(ptl);
	return true;
}

/*
 * try_to_unmap_one - take one pte off a folio being reclaimed.  An anon folio
 * must already be in the swap cache: its pte becomes a swap entry holding a
 * swap_map count, and remembers in its exclusive bit whether the page was
 * AnonExclusive so that swap-in can restore that.
 */
static bool try_to_unmap_one(struct folio *folio, struct vm_area_struct *vma,
			     uint64_t addr, void *arg)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page = folio_page(folio, 0);
	spinlock_t *ptl;
	pte_t *ptep, pteval;
	bool ret = true;

	(void)arg;
	ptep = page_vma_mapped(folio, mm, addr, &ptl);
	if (!ptep)
		return true;
	pteval = ptep_get(ptep);

	if (folio_test_anon(folio)) {
		swp_entry_t entry = folio_swap_entry(folio);
		bool anon_exclusive = PageAnonExclusive(page);
		pte_t swp_pte;

		VM_BUG_ON(!folio_test_swapcache(folio), INV_SWAPMAP,
			  "folio pfn %u unmapped to swap without a swap slot", folio->pfn);
		if (swap_duplicate(entry) < 0) {
			ret = false;
			goto out;
		}
		ptep_get_and_clear(mm, addr, ptep);
		/* a possibly pinned page stays mapped: reclaim gives up on it */
		if (anon_exclusive && folio_try_share_anon_rmap_pte(folio, page)) {
			swap_free(entry);
			set_pte_at(mm, addr, ptep, pteval);
			ret = false;
			goto out;
		}
		if (pte_dirty(pteval))
			folio_set(folio, PG_dirty);
		mm_add_to_mmlist(mm);
		dec_mm_counter(mm, MM_ANONPAGES);
		inc_mm_counter(mm, MM_SWAPENTS);
		swp_pte = swp_entry_to_pte(entry);
		if (anon_exclusive)
			swp_pte = pte_swp_mkexclusive(swp_pte);
		set_pte_at(mm, addr, ptep, swp_pte);
	} else {
		ptep_get_and_clear(mm, addr, ptep);
		if (pte_dirty(pteval))
			folio_set(folio, PG_dirty);
		dec_mm_counter(mm, mm_counter(folio));
	}
	folio_remove_rmap_pte(folio, page, vma);
	folio_put(folio);
out:
	pte_unmap_unlock(ptl);
	return ret;
}

void try_to_unmap(struct folio *folio, unsigned flags)
{
	struct rmap_walk_control rwc = {
		.rmap_one = try_to_unmap_one,
		.done = folio_not_mapped,
	};

	(void)flags;
	VM_BUG_ON(!folio_test_locked(folio), INV_BUG, "folio pfn %u not locked", folio->pfn);
	rmap_walk(folio, &rwc);
}

/* ------------------------------------------------- folio_referenced */

struct folio_referenced_arg {
	int mapcount;		/* mappings not yet found */
	int referenced;		/* young ptes found */
	unsigned long vm_flags;
};

/*
 * folio_referenced_one - test and clear the young bit of the pte mapping
 * @folio at @addr.  Takes the ptl, as page_vma_mapped_walk does.
 */
static bool folio_referenced_one(struct folio *folio, struct vm_area_struct *vma,
				 uint64_t addr, void *arg)
{
	struct folio_referenced_arg *pra = arg;
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pmd_t *pmdp;
	pte_t *ptep, pte;
	unsigned first;
	bool young;

	/* a large folio: the first of its pages in this VMA stands for them */
	folio_vma_pages(folio, vma, addr, &first);
	pmdp = page_vma_mapped_pmd(folio, vma, addr, &ptl);
	if (pmdp) {
		/* pmdp_clear_flush_young_notify */
		pmd_t pmd = pmdp_get(pmdp);

		pra->mapcount--;
		young = pmd_young(pmd);
		if (young)
			set_pmd_at(mm, addr & HPAGE_PMD_MASK, pmdp, pmd_mkold(pmd));
		spin_unlock(ptl);
		goto found;
	}
	ptep = page_vma_mapped_idx(folio, first, mm, addr, &ptl);
	if (!ptep)
		return true;
	pte = ptep_get(ptep);
	pra->mapcount--;
	young = pte_present(pte) && pte_young(pte);
	if (young)
		set_pte_at(mm, addr, ptep, pte_mkold(pte));
	pte_unmap_unlock(ptl);
found:
	/* an access the idle page tracker took from the pte still counts */
	if (young)
		folio_clear_idle(folio);
	if (folio_test_clear_young(folio))
		young = true;
	if (young) {
		pra->referenced++;
		/* READ_ONCE: mprotect/madvise change it under mmap_lock only */
		kp_access(vma, KP_F_VMA, false);
		pra->vm_flags |= __atomic_load_n(&vma->vm_flags, __ATOMIC_RELAXED);
	}
	return pra->mapcount > 0;	/* every mapping seen: stop */
}

int folio_referenced(struct folio *folio, bool is_locked, unsigned long *vm_flags)
{
	struct folio_referenced_arg pra = { .mapcount = folio_mapcount(folio) };
	struct rmap_walk_control rwc = {
		.rmap_one = folio_referenced_one,
		.arg = &pra,
		.anon_lock = folio_lock_anon_vma_read,
		.try_lock = true,
	};
	bool we_locked = false;

	*vm_flags = 0;
	if (!pra.mapcount || !atomic_load(&folio->mapping))
		return 0;
	/* an ordinary anon folio is walked unlocked: its anon_vma lock suffices */
	if (!is_locked && (!folio_test_anon(folio) || folio_test_ksm(folio))) {
		we_locked = folio_trylock(folio);
		if (!we_locked)
			return 1;
	}
	rmap_walk(folio, &rwc);
	*vm_flags = pra.vm_flags;
	if (we_locked)
		folio_unlock(folio);
	return rwc.contended ? -1 : pra.referenced;
}

/*
 * page_vma_mapped_idx_flags - page_vma_mapped_idx for a walk that may not
 * have asked for PVMW_SYNC: without TTU_SYNC the pte is first read with no
 * lock, as map_pte() does, and one that cannot map the page (none, or a swap
 * entry other than a device-private one) is passed over unlocked.  A zap or
 * a COW that cleared the pte under its ptl may then not yet have dropped
 * the page's mapcount: harmless to a caller that rechecks folio_mapped()
 * and backs off (migration), fatal to one that asserts on it (split, hence
 * 732ed55823fc, "mm/thp: try_to_unmap() use TTU_SYNC for safe splitting").
 * The rmap lock held (it keeps @vma and its page tables); returns the pte
 * with its ptl held, or NULL.
 */
static pte_t *page_vma_mapped_idx_flags(struct folio *folio, unsigned idx, struct mm_struct *mm,
					uint64_t addr, spinlock_t **ptlp, unsigned flags)
{
	if (!(flags & TTU_SYNC)) {
		pte_t *ptep = mmt_pte_peek(mm, addr);
		pte_t pte;

		if (!ptep)
			return NULL;
		pte = ptep_get_lockless(ptep);	/* a racing zap may have cleared it */
		if (pte_none(pte) ||
		    (is_swap_pte(pte) && !is_device_private_entry(pte_to_swp_entry(pte))))
			return NULL;
	}
	return page_vma_mapped_idx(folio, idx, mm, addr, ptlp);
}

/*
 * try_to_migrate_one - replace the ptes of one VMA that map pages of
 * @folio with migration entries, page by page (a large folio's pages each
 * get an entry naming their own pfn, as split_folio's unmap_folio needs).
 * Each entry records whether its pte was writable and, for anon pages,
 * whether its page was exclusive, so that remove_migration_pte can restore
 * exactly that.  The entry holds no reference: the migrating task's
 * reference keeps the folio, and the rss counter is left alone (the page is
 * still "there").  @arg: the TTU_ flags.
 */
static bool try_to_migrate_one(struct folio *folio, struct vm_area_struct *vma,
			       uint64_t addr, void *arg)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned first, n = folio_vma_pages(folio, vma, addr, &first);
	unsigned flags = (unsigned)(uintptr_t)arg;

	if (!try_to_migrate_huge_pmd(folio, vma, addr, flags))
		return false;
	for (unsigned k = 0; k < n; k++) {
		struct page *page = folio_page(folio, first + k);
		uint64_t a = addr + k;
		spinlock_t *ptl;
		pte_t *ptep, pteval;
		swp_entry_t entry;
		bool anon_exclusive;

		ptep = page_vma_mapped_idx_flags(folio, first + k, mm, a, &ptl, flags);
		if (!ptep)
			continue;
		pteval = ptep_get(ptep);

		anon_exclusive = folio_test_anon(folio) && PageAnonExclusive(page);
		ptep_get_and_clear(mm, a, ptep);
		/* a possibly pinned page stays mapped, and the migration fails */
		if (anon_exclusive && folio_try_share_anon_rmap_pte(folio, page)) {
			set_pte_at(mm, a, ptep, pteval);
			pte_unmap_unlock(ptl);
			return false;
		}
		if (pte_dirty(pteval))
			folio_set(folio, PG_dirty);
		if (pte_write(pteval) || (!pte_present(pteval) &&
					  is_writable_device_private_entry(pte_to_swp_entry(pteval))))
			entry = make_writable_migration_entry(page_to_pfn(page));
		else if (anon_exclusive)
			entry = make_readable_exclusive_migration_entry(page_to_pfn(page));
		else
			entry = make_readable_migration_entry(page_to_pfn(page));
		set_pte_at(mm, a, ptep, swp_entry_to_pte(entry));
		folio_remove_rmap_pte(folio, page, vma);
		folio_put(folio);
		pte_unmap_unlock(ptl);
	}
	return true;
}

void try_to_migrate(struct folio *folio, unsigned flags)
{
	struct rmap_walk_control rwc = {
		.rmap_one = try_to_migrate_one,
		.arg = (void *)(uintptr_t)flags,
		.done = folio_not_mapped,
		/* split_folio holds the anon_vma lock for write, and a reference */
		.locked = flags & TTU_RMAP_LOCKED,
		.anon_vma_pinned = flags & TTU_RMAP_LOCKED,
	};

	VM_BUG_ON(!folio_test_locked(folio), INV_MIGRATION, "folio pfn %u not locked", folio->pfn);
	rmap_walk(folio, &rwc);
}
