/* SPDX-License-Identifier: MIT */
/*
 * rmap.h - reverse mapping: anon_vma / anon_vma_chain for anonymous memory,
 * address_space->i_mmap for file memory, and the rmap walks that
 * try_to_unmap, try_to_migrate and remove_migration_ptes are built on.
 *
 * The lock order is drawn at the top of core/mm/rmap.c.
 *
 * Walk order (documented because races depend on it): an anon rmap walk
 * visits the anon_vma_chains of folio_anon_vma(folio) in list order; fork
 * appends the child's chain at the tail (anon_vma_fork -> anon_vma_chain_link
 * -> list_add_tail), so a parent is always visited before the children it had
 * when the walk reached it.  A file walk visits mapping->i_mmap in insertion
 * order, which has the same property because a child VMA is inserted right
 * after its parent's (vma_interval_tree_insert_after).
 *
 * A walk holds the anon_vma root's rwsem (or i_mmap_rwsem) for read from
 * start to end, as the kernel does, and yields between two VMAs with it
 * held: other tasks can then fault, zap or copy page tables, but nobody can
 * link, unlink, split or merge a VMA the walk may visit.
 */
#ifndef MMT_RMAP_H
#define MMT_RMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/folio.h"
#include "mmt/kprim.h"
#include "mmt/list.h"
#include "mmt/mm.h"

struct anon_vma {
	struct anon_vma *root;		/* root of this anon_vma tree */
	struct rw_semaphore rwsem;	/* LC_ANON_VMA; only the root's is used */
	atomic_int refcount;		/* chains keep it alive via num_active_vmas etc. */
	/*
	 * Both under the root's rwsem.  num_children: anon_vmas on some VMA's
	 * chain whose parent this is, a root counting itself (fork's reuse
	 * takes an anon_vma only below 2); num_active_vmas: VMAs whose
	 * vma->anon_vma this is (reuse needs 0).
	 */
	unsigned long num_children;
	unsigned long num_active_vmas;
	struct anon_vma *parent;
	struct list_head head;		/* anon_vma_chain.same_anon_vma, walk order */
	uint32_t id;
	/*
	 * The pool's free-list link (the slab's freelist pointer): the pool is
	 * SLAB_TYPESAFE_BY_RCU, so a freed anon_vma keeps its root and rwsem
	 * for a reader that followed a stale folio->mapping.
	 */
	void *slab_link;
};

struct anon_vma_chain {
	struct vm_area_struct *vma;
	struct anon_vma *anon_vma;
	struct list_head same_vma;	/* vma->anon_vma_chain */
	struct list_head same_anon_vma;	/* anon_vma->head */
	uint32_t id;
};

/*
 * A file (the run's memfd, shared by every non-anonymous mapping at offset
 * = page number, as realkernel.py maps it) or a shmem object (one per
 * MAP_SHARED|MAP_ANONYMOUS mmap, shared with forked children).
 */
struct address_space {
	struct rw_semaphore i_mmap_rwsem;	/* LC_I_MMAP */
	struct list_head i_mmap;		/* vma->shared, insertion order */
	uint32_t nrpages;			/* folios in the page cache */
	atomic_int refcount;			/* VMAs mapping it (+1 for the memfd) */
	/*
	 * The inode's i_size, in pages: a fault at an index at or past it is
	 * SIGBUS (shmem_get_folio_gfp).  It only grows (no truncate), and is
	 * read without a lock, as i_size_read() is.
	 */
	_Atomic uint64_t i_size;
	bool shmem;
	uint32_t id;
};

/* ------------------------------------------------------ anon_vma life */

/* Make sure @vma has an anon_vma.  Needs mmap_lock (read is enough). */
int anon_vma_prepare(struct vm_area_struct *vma);
/*
 * For a VMA split/copy/merge: link @dst to every anon_vma @src is linked to;
 * a @dst without an anon_vma (fork) may take one of them as its own.
 */
int anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src);
/* For fork: clone the parent's chains, then reuse one or give the child its own anon_vma. */
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma);
/* Unlink every chain of @vma; frees anon_vmas that become unused. */
void unlink_anon_vmas(struct vm_area_struct *vma);
void put_anon_vma(struct anon_vma *anon_vma);

void anon_vma_lock_write(struct anon_vma *av);
void anon_vma_unlock_write(struct anon_vma *av);
void anon_vma_lock_read(struct anon_vma *av);
void anon_vma_unlock_read(struct anon_vma *av);
bool anon_vma_trylock_write(struct anon_vma *av);
bool anon_vma_trylock_read(struct anon_vma *av);

struct rmap_walk_control;
/*
 * folio_lock_anon_vma_read - stabilise folio->mapping for an rmap walk on a
 * folio that may be unlocked: read the anon_vma, lock its root for read (a
 * trylock first; with @rwc->try_lock only that, setting @rwc->contended when
 * it fails), then recheck that folio->mapping still names it, retrying when
 * UFFDIO_MOVE moved the folio meanwhile.  Returns the anon_vma locked, with
 * no reference (a mapped folio keeps it alive), or NULL if the folio is no
 * longer anonymous or mapped.  rcu_read_lock is what the typesafe pool gives.
 */
struct anon_vma *folio_lock_anon_vma_read(struct folio *folio,
					  struct rmap_walk_control *rwc);
/*
 * A reference on the anon_vma of a folio that is mapped right now, or NULL;
 * the way to reach an anon_vma from a folio without holding a VMA's lock.
 */
struct anon_vma *folio_get_anon_vma(struct folio *folio);

/* ------------------------------------------------- rmap accounting */

#define RMAP_NONE	0x0
#define RMAP_EXCLUSIVE	0x1

/* Need the pte lock of the pte being set; the folio is locked or new. */
void folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma,
			     uint64_t addr, int flags);
void folio_add_anon_rmap_ptes(struct folio *folio, struct page *page, int nr,
			      struct vm_area_struct *vma, uint64_t addr, int flags);
void folio_add_anon_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma, uint64_t addr, int flags);
void folio_add_file_rmap_pte(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma);
void folio_remove_rmap_ptes(struct folio *folio, struct page *page, int nr,
			    struct vm_area_struct *vma);
void folio_remove_rmap_pte(struct folio *folio, struct page *page,
			   struct vm_area_struct *vma);
/* fork: duplicate a mapping; clears AnonExclusive; -EBUSY if it may be pinned */
int folio_try_dup_anon_rmap_ptes(struct folio *folio, struct page *page, int nr,
				 struct vm_area_struct *src_vma);
int folio_try_dup_anon_rmap_pte(struct folio *folio, struct page *page,
				struct vm_area_struct *src_vma);
/* unmap/migrate/KSM: an exclusive page may become shared; -EBUSY if it may be pinned */
int folio_try_share_anon_rmap_pte(struct folio *folio, struct page *page);
/* fork/KSM: share an exclusive page read-only */
void folio_dup_file_rmap_pte(struct folio *folio, struct page *page);
/* the PMD level (huge_memory.c's callers): pmd lock held */
void folio_add_new_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
				 uint64_t haddr, int flags);
void folio_add_anon_rmap_pmd(struct folio *folio, struct page *page,
			     struct vm_area_struct *vma, uint64_t haddr, int flags);
void folio_remove_rmap_pmd(struct folio *folio, struct page *page, struct vm_area_struct *vma);
int folio_try_share_anon_rmap_pmd(struct folio *folio, struct page *page);
int folio_try_dup_anon_rmap_pmd(struct folio *folio, struct page *page,
				struct vm_area_struct *src_vma);
/* COW reuse: make @vma's anon_vma the folio's anon_vma */
void folio_move_anon_rmap(struct folio *folio, struct vm_area_struct *vma);

/* --------------------------------------------------------- walks */

/* the address at which @vma maps page @pgoff, or -1ull if it does not */
uint64_t vma_address(const struct vm_area_struct *vma, uint64_t pgoff);

struct rmap_walk_control {
	void *arg;
	/* return false to stop the walk */
	bool (*rmap_one)(struct folio *folio, struct vm_area_struct *vma,
			 uint64_t addr, void *arg);
	/* return true to stop before starting (nothing left to do) */
	bool (*done)(struct folio *folio);
	/* skip VMAs for which this returns true */
	bool (*invalid_vma)(struct vm_area_struct *vma, void *arg);
	/* the walk already holds the anon_vma/i_mmap lock (rmap_walk_locked) */
	bool locked;
	/*
	 * the caller holds a reference on the folio's anon_vma (migration,
	 * walking a folio that no pte maps any more); otherwise the walk takes
	 * one only if the folio is still mapped
	 */
	bool anon_vma_pinned;
	/*
	 * Walks of a folio that may be unlocked (folio_referenced): lock the
	 * anon_vma with this (folio_lock_anon_vma_read) instead; with try_lock
	 * a busy anon_vma or i_mmap_rwsem ends the walk with contended set.
	 */
	struct anon_vma *(*anon_lock)(struct folio *folio, struct rmap_walk_control *rwc);
	bool try_lock;
	bool contended;
};

/*
 * Walk every VMA that may map @folio, anon or file.  Needs the folio lock
 * (except where documented otherwise).  Yields between VMAs.
 */
void rmap_walk(struct folio *folio, struct rmap_walk_control *rwc);

/*
 * folio_referenced - test and clear the young bits of every pte mapping
 * @folio; the number of ptes that were young, or -1 when the walk met a
 * contended rmap lock (try-lock semantics, as reclaim asks).  @is_locked:
 * the caller holds the folio lock; if not, an anon folio is walked without
 * it (folio_lock_anon_vma_read), anything else is trylocked (1 if busy).
 * *@vm_flags gets the flags of the VMAs that had a young pte.
 */
int folio_referenced(struct folio *folio, bool is_locked, unsigned long *vm_flags);

/* try_to_unmap flags */
#define TTU_IGNORE_MLOCK	0x1
/* the caller holds the anon_vma lock (for write) and a reference on it */
#define TTU_RMAP_LOCKED		0x2
/*
 * take the ptl of every pte the walk looks at (PVMW_SYNC): without it
 * try_to_migrate passes over a pte it sees none without locking, and may
 * return while a zap or COW that cleared the pte has not yet dropped the
 * page's mapcount
 */
#define TTU_SYNC		0x10
/*
 * a huge pmd mapping the folio is split into ptes (split_folio's
 * unmap_folio); without it try_to_migrate leaves a PMD migration entry
 */
#define TTU_SPLIT_HUGE_PMD	0x4

/*
 * Unmap every pte mapping @folio: anon folios in the swap cache become swap
 * entries, file folios just go.  Folio locked.
 */
void try_to_unmap(struct folio *folio, unsigned flags);
/* Replace every pte mapping @folio with a migration entry.  Folio locked. */
void try_to_migrate(struct folio *folio, unsigned flags);

/* ------------------------------------------------- address spaces */

struct address_space *mapping_alloc(bool shmem);
void mapping_get(struct address_space *m);
void mapping_put(struct address_space *m);	/* last put truncates and frees */
uint64_t i_size_read(const struct address_space *m);
/* i_size = max(i_size, @size): an ftruncate() that only extends */
void i_size_extend(struct address_space *m, uint64_t size);
struct folio *filemap_get_folio(struct address_space *m, uint64_t index);
int filemap_add_folio(struct address_space *m, struct folio *f, uint64_t index);
void filemap_remove_folio(struct folio *f);
/* replace @old by @new in the page cache slot (migration), as swap_cache_replace_folio */
int filemap_replace_folio(struct folio *old, struct folio *new, int refs);
/* visit every folio of the page cache */
void mapping_for_each_folio(struct address_space *m,
			    void (*fn)(struct folio *f, void *arg), void *arg);
/* the run's memfd; every non-anonymous mmap maps it */
struct address_space *world_memfd(void);

#endif /* MMT_RMAP_H */
