/* SPDX-License-Identifier: MIT */
/*
 * mm.h - processes (mm_struct), VMAs, page tables, faults and the
 * syscall-level operations the program language drives.
 *
 * Addresses are page numbers: the model has no byte offsets, so "addr" is
 * always a virtual page number and a length is a count of pages.  Page
 * numbers run from 0 to 2^32-1 (MMT_TASK_SIZE), as in the .mmt language.
 *
 * Page tables have four levels (pgd -> pud -> pmd -> pte table), scaled
 * down at the bottom for the small worlds the fuzzers run (32 to a few
 * hundred frames): a pte table, and so what one pmd entry maps, is 32
 * pages, not x86-64's 512, so that a PMD-sized THP (HPAGE_PMD_NR, huge_mm.h)
 * fits in a world.  The upper levels keep 9 bits each and the pgd takes the
 * rest, so page numbers still span 2^32:
 *
 *   page number:  31........23  22........14  13.........5  4....0
 *                  pgd (512)     pud (512)     pmd (512)     pte (32)
 *
 *   one pte table maps  2^5  pages  (PMD_SHIFT 5:   a pmd entry's reach)
 *   one pmd table maps  2^14 pages  (PUD_SHIFT 14:  a pud entry's reach)
 *   one pud table maps  2^23 pages  (PGDIR_SHIFT 23: a pgd entry's reach)
 *
 * The upper levels are populated under mm->page_table_lock; each pte
 * table has its own split lock (ptl), so two addresses share a ptl exactly
 * when they agree above bit 5.  Tables are freed at exit.
 *
 * Return convention: 0 or a negative errno, exactly as the syscall would
 * return it on Linux for the same arguments.
 */
#ifndef MMT_MM_H
#define MMT_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/folio.h"
#include "mmt/kprim.h"
#include "mmt/list.h"
#include "mmt/pte.h"

#define MMT_TASK_SIZE		(1ull << 32)	/* first page number past the window */
#define PTRS_PER_PTE		32
#define PTRS_PER_PMD		512
#define PTRS_PER_PUD		512
#define PTRS_PER_PGD		512
#define PMD_SHIFT		5	/* log2(PTRS_PER_PTE): pages one pmd entry maps */
#define PUD_SHIFT		14	/* PMD_SHIFT + log2(PTRS_PER_PMD) */
#define PGDIR_SHIFT		23	/* PUD_SHIFT + log2(PTRS_PER_PUD) */

/* the shifts and the table sizes are one geometry: change them together */
_Static_assert(PTRS_PER_PTE == 1 << PMD_SHIFT, "a pte table maps 2^PMD_SHIFT pages");
_Static_assert(PTRS_PER_PMD << PMD_SHIFT == 1 << PUD_SHIFT, "a pmd table maps 2^PUD_SHIFT pages");
_Static_assert(PTRS_PER_PUD << PUD_SHIFT == 1 << PGDIR_SHIFT, "a pud table maps 2^PGDIR_SHIFT pages");
_Static_assert((uint64_t)PTRS_PER_PGD << PGDIR_SHIFT == MMT_TASK_SIZE,
	       "the pgd spans the whole page-number window");
_Static_assert(PTRS_PER_PMD == PTRS_PER_PUD, "directory tables share one size (pgdir pool)");

/* vm_flags */
#define VM_READ		0x00000001ul
#define VM_WRITE	0x00000002ul
#define VM_EXEC		0x00000004ul
#define VM_SHARED	0x00000008ul
#define VM_MAYREAD	0x00000010ul
#define VM_MAYWRITE	0x00000020ul
#define VM_MAYEXEC	0x00000040ul
#define VM_MAYSHARE	0x00000080ul
#define VM_DONTCOPY	0x00020000ul
#define VM_ACCOUNT	0x00100000ul	/* private writable: charged; only merges with its kind */
#define VM_WIPEONFORK	0x02000000ul
#define VM_HUGEPAGE	0x20000000ul
#define VM_NOHUGEPAGE	0x40000000ul
#define VM_MERGEABLE	0x80000000ul
#define VM_UFFD_MISSING	0x00000200ul

/* mmap prot and flags, Linux values */
#define PROT_NONE	0
#define PROT_READ	1
#define PROT_WRITE	2
#define PROT_EXEC	4
#define MAP_SHARED	0x01
#define MAP_PRIVATE	0x02
#define MAP_ANONYMOUS	0x20

/* madvise advice, Linux values */
#define MADV_NORMAL	0
#define MADV_WILLNEED	3
#define MADV_DONTNEED	4
#define MADV_DONTFORK	10
#define MADV_DOFORK	11
#define MADV_MERGEABLE	12
#define MADV_UNMERGEABLE 13
#define MADV_HUGEPAGE	14
#define MADV_NOHUGEPAGE	15
#define MADV_WIPEONFORK	18
#define MADV_KEEPONFORK	19
#define MADV_COLD	20
#define MADV_PAGEOUT	21

enum mm_counter {
	MM_FILEPAGES,	/* file-backed pages, mapped */
	MM_ANONPAGES,	/* anon pages, mapped or under migration */
	MM_SWAPENTS,	/* swap PTEs */
	MM_SHMEMPAGES,	/* shmem (shared anonymous) pages */
	NR_MM_COUNTERS
};

struct anon_vma;
struct address_space;
struct ksm_mm_slot;
struct khugepaged_mm_slot;

/*
 * One page table of any level below the pgd (which is mm->pgd[]).  A pte
 * table holds its PTRS_PER_PTE entries in place; a pud or pmd table's
 * PTRS_PER_PMD slots are 16 times that many bytes, so they live in an
 * object of the world's pgdir pool that @dir points at, set before the
 * table is published and kept until it is freed: pte tables, the many,
 * stay small.
 */
struct pgtable {
	union {
		struct pgtable **dir;		/* pud/pmd: PTRS_PER_PMD slots, pgdir pool */
		pte_t pte[PTRS_PER_PTE];	/* last level */
	};
	spinlock_t ptl;		/* LC_PTL, last level only */
	/*
	 * Last level only: the pmd entry above this table when it is a leaf
	 * (a PMD-mapped THP, pte.h), else none.  While it is a leaf every pte
	 * is none and the table is the one the kernel deposits beside a huge
	 * pmd (pgtable_trans_huge_deposit) for the split to withdraw.  Written
	 * under the ptl, which is this pmd entry's lock (pmd_lock).
	 */
	pmd_t pmd;
	uint32_t id;
	/*
	 * Entries in use: non-NULL dir[] slots, or non-none ptes.  Kept exact
	 * by pte_table() (under page_table_lock) and set_pte_at() (under the
	 * ptl), so that the checker can stop scanning a table once it has
	 * seen them all; the full check recounts and reports a mismatch.
	 */
	uint16_t nr_used;
	uint8_t level;		/* 3 = pud, 2 = pmd, 1 = pte table */
	/*
	 * Model-only, pte tables: the mm and the first page they map, so that
	 * the checker's in-flight clauses can find a pte's VMA (the kernel's
	 * ptdesc keeps pt_mm only for some levels of some architectures).
	 */
	struct mm_struct *pt_mm;
	uint64_t pt_base;
};

struct vm_area_struct {
	uint64_t vm_start, vm_end;	/* [vm_start, vm_end) in pages */
	uint64_t vm_pgoff;		/* page offset of vm_start in anon_vma/file */
	unsigned long vm_flags;
	struct mm_struct *vm_mm;
	struct list_head vm_list;	/* mm->mmap, sorted by address */
	/*
	 * Set once under page_table_lock (anon_vma_prepare) and read without it
	 * by faults that find it already there: atomic, as READ_ONCE.
	 */
	struct anon_vma *_Atomic anon_vma;
	struct list_head anon_vma_chain;/* avc.same_vma, oldest anon_vma last */
	struct address_space *vm_file;	/* file or shmem object; NULL for anon */
	/*
	 * Model-only: the world's uffd/populate clock when VM_UFFD_MISSING was
	 * set on this range (userfaultfd.c), for the DEVICE invariant.
	 */
	uint64_t vm_uffd_seq;
	struct list_head shared;	/* mapping->i_mmap, insertion order */
	uint32_t id;
};

struct mm_struct {
	struct rw_semaphore mmap_lock;	/* LC_MMAP_LOCK */
	spinlock_t page_table_lock;	/* LC_PAGE_TABLE_LOCK: upper levels, vma->anon_vma */
	struct list_head mmap;		/* VMAs by address */
	int map_count;
	struct pgtable *pgd[PTRS_PER_PGD];
	atomic_long rss_stat[NR_MM_COUNTERS];
	struct list_head mmlist;	/* on the world's mmlist once it has swap ptes */
	atomic_int mm_users;		/* the process, plus swapoff while it visits */
	int home_node;			/* faults allocate here first */
	/*
	 * mm_count: the struct itself, as distinct from mm_users, the
	 * address space; a KSM mm_slot holds one until ksmd lets go.
	 */
	atomic_int mm_count;
	struct ksm_mm_slot *ksm_slot;	/* under ksm_mmlist_lock (the kernel's hash) */
	atomic_bool ksm_mergeable;	/* MMF_VM_MERGEABLE, a bit op in the kernel */
	/* model-only, for KSM 10.9: ksm.stamp when a VMA last became mergeable */
	uint64_t ksm_mergeable_stamp;
	atomic_bool has_pinned;		/* MMF_HAS_PINNED: set at the first pin, sticky */
	/* khugepaged's mm_slot (the kernel's hash), under khugepaged_mm_lock */
	struct khugepaged_mm_slot *khugepaged_slot;
	atomic_bool vm_hugepage;	/* MMF_VM_HUGEPAGE: registered with khugepaged */
	uint32_t id;
	bool dead;			/* exit_mmap has run */
};

static inline bool is_cow_mapping(unsigned long flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}
static inline bool vma_is_anonymous(const struct vm_area_struct *vma)
{
	return vma->vm_file == 0;
}
static inline uint64_t linear_page_index(const struct vm_area_struct *vma, uint64_t addr)
{
	return vma->vm_pgoff + (addr - vma->vm_start);
}
static inline long get_mm_counter(struct mm_struct *mm, int member)
{
	return atomic_load(&mm->rss_stat[member]);
}
static inline void add_mm_counter(struct mm_struct *mm, int member, long v)
{
	atomic_fetch_add(&mm->rss_stat[member], v);
}
static inline void inc_mm_counter(struct mm_struct *mm, int member) { add_mm_counter(mm, member, 1); }
static inline void dec_mm_counter(struct mm_struct *mm, int member) { add_mm_counter(mm, member, -1); }
/* which counter a mapped folio counts in */
int mm_counter(const struct folio *folio);

/* ------------------------------------------------------------ VMAs */

/* first VMA with vm_end > addr, or NULL.  Needs mmap_lock. */
struct vm_area_struct *find_vma(struct mm_struct *mm, uint64_t addr);
/* the VMA containing addr, or NULL */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, uint64_t addr);
struct vm_area_struct *vma_next(struct vm_area_struct *vma);	/* NULL at the end */
struct vm_area_struct *vma_prev(struct vm_area_struct *vma);	/* NULL at the start */

/* ------------------------------------------------------ page tables */

/*
 * Return the pte slot for @addr with its table's ptl held, or NULL if no pte
 * table covers @addr (pte_offset_map_lock) / it could not be allocated
 * (pte_alloc_map_lock), or if the pmd above is a huge leaf: as in the
 * kernel since 6.5, every caller handles NULL (a huge pmd may appear
 * under a walker holding mmap_lock for read).  Release with
 * pte_unmap_unlock(ptl).
 */
pte_t *pte_offset_map_lock(struct mm_struct *mm, uint64_t addr, spinlock_t **ptlp);
pte_t *pte_alloc_map_lock(struct mm_struct *mm, uint64_t addr, spinlock_t **ptlp);
/*
 * pte_alloc + pte_offset_map_nolock: the slot and, in *@ptlp, its table's
 * ptl, not taken (mremap's destination, locked nested inside the source's)
 */
pte_t *pte_alloc_map_nolock(struct mm_struct *mm, uint64_t addr, spinlock_t **ptlp);
void pte_unmap_unlock(spinlock_t *ptl);
/* lockless peek for the invariant checker at quiescent points */
pte_t *mmt_pte_peek(struct mm_struct *mm, uint64_t addr);
/* visit every non-none pte of @mm in address order (checker, dumps) */
void mmt_for_each_pte(struct mm_struct *mm,
		      void (*fn)(struct mm_struct *mm, uint64_t addr, pte_t *pte, void *arg),
		      void *arg);

/*
 * The pmd level.  A pmd entry and the pte table under it are one struct
 * pgtable here: pmd_offset() is that table's pmd field, NULL when no table
 * covers @addr; pmd_alloc() creates the table (it becomes the deposited
 * table of a huge pmd installed there).  A pte table whose ptes are all
 * none counts as pmd_none for a huge fault (pmd_none_or_empty): the
 * kernel frees such tables (free_pgtables at munmap, the pt_reclaim of
 * 6.14 after MADV_DONTNEED), the model keeps them until exit.
 *
 * pmd_lock() is the ptl of that table: one lock for the pmd entry and its
 * ptes, finer than the kernel's split pmd lock (one per pmd table) and
 * standing in for its pmd_same() recheck after pte_offset_map_lock, which
 * here returns NULL once a leaf is there.
 */
pmd_t *pmd_offset(struct mm_struct *mm, uint64_t addr);
pmd_t *pmd_alloc(struct mm_struct *mm, uint64_t addr);
spinlock_t *pmd_lockptr(pmd_t *pmdp);
/*
 * pte_offset_map_lock of the table under a pmd already found, as the
 * kernel's takes the pmd: the hot paths (fault, access) walk once
 */
pte_t *pte_offset_map_lock_pmd(pmd_t *pmdp, uint64_t addr, spinlock_t **ptlp);
static inline spinlock_t *pmd_lock(pmd_t *pmdp)
{
	spinlock_t *ptl = pmd_lockptr(pmdp);

	spin_lock(ptl);
	return ptl;
}
static inline pmd_t pmdp_get(pmd_t *pmdp)
{
	kp_access(pmdp, KP_F_PTE, false);
	return *pmdp;
}
static inline pmd_t pmdp_get_lockless(pmd_t *pmdp)
{
	kp_access(pmdp, KP_F_PTE, false);
	return (pmd_t){ __atomic_load_n(&pmdp->pmd, __ATOMIC_RELAXED) };
}
/*
 * the table deposited under a huge pmd, its first pte (the kernel's
 * pgtable_trans_huge_withdraw, minus the withdrawal: it stays in place)
 */
pte_t *pmd_pgtable(pmd_t *pmdp);
/* the pmd's ptes are all none (a leaf may be installed); pmd lock held */
bool pmd_table_empty(pmd_t *pmdp);
/* store a pmd entry; the pmd lock held, and a leaf only over an empty table */
void set_pmd_at(struct mm_struct *mm, uint64_t haddr, pmd_t *pmdp, pmd_t pmd);
static inline pmd_t pmdp_huge_get_and_clear(struct mm_struct *mm, uint64_t haddr, pmd_t *pmdp)
{
	pmd_t old = pmdp_get(pmdp);

	set_pmd_at(mm, haddr, pmdp, __pmd(0));
	return old;
}
/* visit every huge pmd of @mm in address order (checker, dumps) */
void mmt_for_each_pmd_leaf(struct mm_struct *mm,
			   void (*fn)(struct mm_struct *mm, uint64_t haddr, pmd_t *pmd, void *arg),
			   void *arg);

/*
 * Every pte store of the model goes through here (ptep_get_and_clear too):
 * it keeps the table's nr_used exact.  The table is found from @ptep, not
 * from @mm/@addr, so a caller passing the wrong ones cannot skew the count.
 */
void mmt_set_pte(pte_t *ptep, pte_t pte);
static inline void set_pte_at(struct mm_struct *mm, uint64_t addr, pte_t *ptep, pte_t pte)
{
	(void)mm; (void)addr;
	mmt_set_pte(ptep, pte);
}
static inline pte_t ptep_get(pte_t *ptep)
{
	kp_access(ptep, KP_F_PTE, false);
	return *ptep;
}
/* READ_ONCE of a pte whose ptl is not held (pairs with mmt_set_pte's store) */
static inline pte_t ptep_get_lockless(pte_t *ptep)
{
	kp_access(ptep, KP_F_PTE, false);
	return (pte_t){ __atomic_load_n(&ptep->pte, __ATOMIC_RELAXED) };
}
static inline pte_t ptep_get_and_clear(struct mm_struct *mm, uint64_t addr, pte_t *ptep)
{
	pte_t old = *ptep;
	set_pte_at(mm, addr, ptep, __pte(0));
	return old;
}

/*
 * vm_normal_folio - the folio a present pte maps, or NULL for the zero page.
 */
struct folio *vm_normal_folio(struct vm_area_struct *vma, uint64_t addr, pte_t pte);
/* the page it maps (of a large folio, maybe), or NULL */
struct page *vm_normal_page(struct vm_area_struct *vma, uint64_t addr, pte_t pte);

/* ---------------------------------------------------------- faults */

#define FAULT_FLAG_WRITE	0x01
#define FAULT_FLAG_UNSHARE	0x02	/* break COW without making it writable (KSM unmerge) */

#define VM_FAULT_OOM		0x0001
#define VM_FAULT_SIGBUS		0x0002
#define VM_FAULT_SIGSEGV	0x0040
#define VM_FAULT_RETRY		0x0400
#define VM_FAULT_FALLBACK	0x0800	/* huge pmd: use the pte path instead */
#define VM_FAULT_ERROR		(VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)

/* Needs mmap_lock for read. */
unsigned handle_mm_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags);

/*
 * A user load or store of the 64-bit word in page @addr, done the way the
 * CPU would: walk the page table, fault if the pte does not allow it, retry.
 * Returns 0, -EFAULT for SIGSEGV (no VMA, or protection), -EIO for SIGBUS
 * (past the end of the page's file or shmem object), -ENOMEM for OOM.
 * Takes mmap_lock for read around each fault.
 */
int mmt_access(struct mm_struct *mm, uint64_t addr, bool write, uint64_t *val);

/* --------------------------------------------------- syscall level */

struct mm_struct *mm_alloc(void);			/* spawn: new empty mm */
int dup_mm(struct mm_struct *oldmm, struct mm_struct **newmm);	/* fork */
void mmput(struct mm_struct *mm);			/* exit: last user tears it down */
bool mmget_not_zero(struct mm_struct *mm);
void mmgrab(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);			/* the last one frees the struct */

int do_mmap(struct mm_struct *mm, uint64_t addr, uint64_t len, int prot, int flags);
int do_munmap(struct mm_struct *mm, uint64_t addr, uint64_t len);
int do_mprotect(struct mm_struct *mm, uint64_t addr, uint64_t len, int prot);
int do_mremap(struct mm_struct *mm, uint64_t addr, uint64_t old_len,
	      uint64_t new_addr, uint64_t new_len);
int do_madvise(struct mm_struct *mm, uint64_t addr, uint64_t len, int advice);
/* remap_file_pages(start, size, 0, pgoff, 0): a new VMA at @pgoff (Linux 6.18) */
int sys_remap_file_pages(struct mm_struct *mm, uint64_t start, uint64_t size, uint64_t pgoff);

/* helpers shared by memory.c, mmap.c, swap and migration (need ptl) */
void zap_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end);

#endif /* MMT_MM_H */
