/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the model's source files share and nobody else sees.
 */
#ifndef MMT_INTERNAL_H
#define MMT_INTERNAL_H

#include "mmt/folio.h"
#include "mmt/mm.h"
#include "mmt/rmap.h"
#include "mmt/world.h"

/* filemap.c: page-cache tables for every address_space of the pool */
int mapping_pcache_init(struct world *w);
void mapping_pcache_reset(struct world *w);
void mapping_pcache_free(struct world *w);

/* memremap.c: the device-private frames, built and reset with the world */
void devmem_init(struct world *w);
void devmem_reset(struct world *w);
/* world.c: a fresh folio's fields, for any allocator of frames */
void folio_init_fresh(struct folio *f);
/* rmap.c: i_mmap linkage (walk cursors are kept right) */
void vma_link_file(struct vm_area_struct *vma, struct vm_area_struct *after);
void vma_unlink_file(struct vm_area_struct *vma);
/* rmap.c: @vma's vm_pgoff changed; rmap locks held for write */
void vma_interval_tree_update(struct vm_area_struct *vma);
void anon_vma_interval_tree_update(struct vm_area_struct *vma);

/* rmap.c */
void get_anon_vma(struct anon_vma *av);
/*
 * One step of page_vma_mapped_walk(PVMW_SYNC): the pte at @addr of @mm,
 * locked, if it maps page @idx of @folio; NULL (nothing locked) otherwise.
 */
pte_t *page_vma_mapped_idx(struct folio *folio, unsigned idx, struct mm_struct *mm,
			   uint64_t addr, spinlock_t **ptlp);
/* the first address of @vma that may map a page of @folio, or -1ull */
uint64_t vma_address_folio(const struct vm_area_struct *vma, const struct folio *folio);
/*
 * page_vma_mapped_walk's pmd step (rmap.c): the huge pmd of @vma at @addr
 * if it maps @folio, locked in *@ptlp, or NULL with nothing locked
 */
pmd_t *page_vma_mapped_pmd(struct folio *folio, struct vm_area_struct *vma, uint64_t addr,
			   spinlock_t **ptlp);

/*
 * The pages of @folio that @vma may map from @addr on (an rmap walk's
 * address, vma_address_folio): how many, and the first one's index in the
 * folio in *@first.  An order-0 folio's one page at its address.
 */
static inline unsigned folio_vma_pages(const struct folio *folio,
				       const struct vm_area_struct *vma, uint64_t addr,
				       unsigned *first)
{
	uint64_t idx, n;

	if (!folio_test_large(folio)) {
		/* a KSM folio's index says nothing: its rmap_items give @addr */
		*first = 0;
		return 1;
	}
	idx = linear_page_index(vma, addr) - folio->index;
	n = (uint64_t)folio_nr_pages(folio) - idx;

	if (n > vma->vm_end - addr)
		n = vma->vm_end - addr;
	*first = (unsigned)idx;
	return (unsigned)n;
}
/* world.c: off the deferred split queue; refcount zero or frozen */
bool folio_unqueue_deferred_split(struct folio *f);
/* put @mm on the mmlist that swapoff walks, once it has a swap pte */
void mm_add_to_mmlist(struct mm_struct *mm);

/* mmap.c: give [start, end) of @vma @newflags (split, change, merge); mmap_lock write */
int vma_modify_flags(struct vm_area_struct *vma, uint64_t start, uint64_t end,
		     unsigned long newflags, bool change_ptes);
/* pgtable.c */
void free_pgtables(struct mm_struct *mm);

/* memory.c */
int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma);
/* move ptes of [old, old+len) to new_addr (mremap); both ranges mapped */
void move_page_tables(struct vm_area_struct *vma, uint64_t old_addr,
		      struct vm_area_struct *new_vma, uint64_t new_addr, uint64_t len,
		      bool need_rmap_locks);
void change_protection(struct vm_area_struct *vma, uint64_t start, uint64_t end,
		       unsigned long newflags);
/* a pte value for @folio in @vma, writable or not */
pte_t mk_pte(struct folio *folio, struct vm_area_struct *vma, bool write);

/*
 * memory.c: the page-cache folio of @m at @index, found or created, locked
 * and with a reference in *@foliop; VM_FAULT_SIGBUS at or past i_size,
 * VM_FAULT_OOM.  What shmem_fault does for a VMA's linear index.
 */
unsigned shmem_get_folio(struct address_space *m, uint64_t index, struct mm_struct *mm,
			 struct folio **foliop);

/* swap in the page behind a swap pte (memory.c do_swap_page) */
unsigned do_swap_page(struct vm_area_struct *vma, uint64_t addr, pte_t orig_pte,
		      unsigned flags);

/* vmscan.c / madvise.c */
int madvise_pageout_range(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			  bool pageout);
/* reclaim one isolated folio; true if freed.  Caller holds the isolation ref. */
enum shrink_result { SHRINK_KEEP, SHRINK_ACTIVATE, SHRINK_FREED };
/* vmscan.c: one isolated folio of shrink_folio_list / shrink_active_list */
enum shrink_result shrink_folio(struct folio *folio, bool ignore_references);
void shrink_folio_finish(struct folio *folio, enum shrink_result r);
void shrink_active_folio(struct folio *folio);

/* swapfile.c */
/*
 * swapcache_prepare + add: claim the slot's SWAP_HAS_CACHE for a new locked
 * folio and read the slot's contents into it.  -EEXIST if another folio got
 * there first, -ENOENT if the slot is no longer in use.
 */
int swap_cache_add_new(struct folio *folio, swp_entry_t entry);
/* write a swap-cache folio's contents to its slot (pageout) */
void swap_writepage(struct folio *folio);

#endif /* MMT_INTERNAL_H */
