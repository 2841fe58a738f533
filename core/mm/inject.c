// SPDX-License-Identifier: MIT
/*
 * inject.c - the bug zoo's switches: names, descriptions, parsing.
 * The bugs themselves live where the kernel had them, behind mmt_injected().
 */
#include <stdlib.h>
#include <string.h>

#include "mmt/inject.h"

_Atomic uint64_t mmt_injected_mask;

const struct mmt_bug_info mmt_bugs[NR_MMT_BUGS] = {
	[BUG_ANON_VMA_HEAD_INSERT] = {
		"anon-vma-head-insert", "000", "MIGRATION",
		"fork links the child VMA at the head of the anon_vma list, so a "
		"remove_migration_ptes walk already past it leaves the child an orphan "
		"migration entry",
	},
	[BUG_FORK_MIGRATION_WRITE_FLAG] = {
		"fork-migration-write-flag", "000", "EXCLUSIVE, PROT, DATA",
		"copy_one_pte passes the migration entry's type as the boolean 'write': "
		"parent and child of a COW mapping both get write migration entries",
	},
	[BUG_MPROTECT_KEEPS_WRITE_MIGRATION] = {
		"mprotect-keeps-write-migration", "000", "PROT",
		"change_pte_range leaves write migration entries alone, so migration "
		"restores a writable pte in a read-only VMA",
	},
	[BUG_SWAPON_TYPE_OVERLAP] = {
		"swapon-type-overlap", "000", "SWAPMAP, MIGRATION",
		"swapon's range check lets a swap device take a type reserved for "
		"migration entries",
	},
	[BUG_MIGRATE_VMA_SKIP_AS_HOLE] = {
		"migrate-vma-skip-as-hole", "002", "MAPCOUNT, RSS, DATA",
		"migrate_vma_collect reports an entry it could not collect as an empty "
		"one (the patch before it told skips from holes), and "
		"migrate_vma_insert_page populates it over what is there",
	},
	[BUG_MIGRATE_VMA_POPULATE_FILE] = {
		"migrate-vma-populate-file", "002", "DEVICE",
		"migrate_vma_insert_page populates an empty entry of a file-backed or "
		"shared VMA, or of one with userfaultfd missing mode armed",
	},
	[BUG_MIGRATE_DEVICE_COPY_PTE_DIRTY] = {
		"migrate-device-copy-pte-dirty", "fd35ca3d12cc", "DATA",
		"migrate_vma_collect_pmd drops a dirty pte without marking the folio "
		"dirty; if the migration then fails, reclaim discards the swap-cache "
		"folio unwritten (fixed by fd35ca3d12cc, mm/migrate_device.c: copy pte "
		"dirty bit to page)",
	},
	[BUG_KSM_MIGRATE_STALE_KPFN] = {
		"ksm-migrate-stale-kpfn", "001", "KSM",
		"KSM page migration does not update stable_node->kpfn: the node looks "
		"stale, is freed, and the migrated KSM page is left naming it",
	},
	[BUG_KSM_MERGE_MISPLACED] = {
		"ksm-merge-misplaced", "001", "KSM",
		"with merge_across_nodes 0, stable_tree_search merges onto a KSM page "
		"that migration moved to another node, instead of moving its node to "
		"migrate_nodes",
	},
	[BUG_KSM_MIGRATE_NODES_UNPRUNED] = {
		"ksm-migrate-nodes-unpruned", "001", "KSM",
		"stale stable nodes on migrate_nodes are never pruned: nothing searches "
		"that list, so they pile up",
	},
	[BUG_REMOVE_MIGRATION_PTE_NO_RECHECK] = {
		"remove-migration-pte-no-recheck", "000", "RSS, DATA",
		"remove_migration_pte restores a mapping of the new folio at an address "
		"whose pte no longer holds this migration entry: one that "
		"madvise(DONTNEED) zapped while the migration ran is refilled with the "
		"old contents",
	},
	[BUG_SWAP_FAULT_NO_PTE_RECHECK] = {
		"swap-fault-no-pte-recheck", "000", "MAPCOUNT, SWAPMAP, RSS",
		"do_swap_page does not recheck under the ptl that the pte still holds "
		"the swap entry it read unlocked: a fault racing swapoff's unuse (or "
		"another fault, or a zap) maps the folio a second time and frees the "
		"slot twice",
	},
	[BUG_KSM_REMOVE_ALL_STABLE_NODES] = {
		"ksm-remove-all-stable-nodes", "001", "KSM",
		"run = 2 and switching merge_across_nodes leave the old stable trees "
		"as they are (no remove_all_stable_nodes pass): a stale node of a "
		"per-node tree lingers there after merge_across_nodes goes back to 1",
	},
	[BUG_KSM_UNMERGE_SWAPIN_COPY] = {
		"ksm-unmerge-swapin-copy", "001", "KSM",
		"ksm_might_need_to_copy does not copy a KSM page faulted back from "
		"the swap cache while run = 2 unmerges: one faulted in behind the "
		"unmerge cursor stays a mapped KSM page after everything was unmerged",
	},
	[BUG_KSM_ENTER_UNMERGE_TAIL] = {
		"ksm-enter-unmerge-tail", "001", "KSM",
		"__ksm_enter puts a new mm just behind the cursor even while run = 2 "
		"unmerges: a child forked then lands behind the unmerge cursor and "
		"keeps the KSM pages it inherited",
	},
	[BUG_ANON_VMA_READ_NO_RECHECK] = {
		"anon-vma-read-no-recheck", "003", "RMAP",
		"folio_lock_anon_vma_read does not recheck folio->mapping after taking "
		"the anon_vma lock: a UFFDIO_MOVE that moved the folio to another "
		"anon_vma tree meanwhile leaves folio_referenced walking the old one",
	},
	[BUG_UFFD_MOVE_SWAPCACHE_INDEX] = {
		"uffd-move-swapcache-index", "c50f8e6053b0", "RMAP",
		"UFFDIO_MOVE moves a swap pte without looking in the swap cache: a "
		"folio still there (reclaim between try_to_unmap and the cache's "
		"release) keeps the source anon_vma and index (fixed by c50f8e6053b0, "
		"mm: fix kernel BUG when userfaultfd_move encounters swapcache)",
	},
	[BUG_FORK_PINNED_EARLY_COW] = {
		"fork-pinned-early-cow", "70e806e4e645 (CVE-2020-29374 class)", "PIN, DATA",
		"fork shares a pinned AnonExclusive page with the child instead of copying "
		"it (folio_try_dup_anon_rmap_pte ignores pins): the parent's next write "
		"COWs away from its pin, and the device's writes land in the child",
	},
	[BUG_LARGE_FOLIO_PARTIAL_UNMAP] = {
		"large-folio-partial-unmap", "003", "MAPCOUNT, REFCOUNT (2.6 in flight)",
		"zap_present_ptes batches the rmap removal over the rest of the folio "
		"instead of the range: a partial munmap of a PTE-mapped large folio "
		"drops the mapcounts of pages that stay mapped",
	},
	[BUG_ANON_VMA_DEGREE_REUSE] = {
		"anon-vma-degree-reuse", "2555283eb40d (CVE-2022-42703)", "ANONVMA, RMAP",
		"anon_vma_clone decides fork's anon_vma reuse on the one 'degree' counter "
		"(children + VMAs): an abandoned leaf still used by one VMA looks unused, "
		"so two VMAs with different chains share it, merge, and leave folios "
		"whose anon_vma the merged VMA is not linked to (later freed under them)",
	},
	[BUG_THP_RMAP_FIRST_SUBPAGE] = {
		"thp-rmap-first-subpage", "a8fa41ad2f6f", "MAPCOUNT (split's unmap_folio)",
		"an rmap walk looks for a PTE-mapped large folio only where its first "
		"page would be: a VMA that maps only later pages (the first one was "
		"unmapped from it) is skipped, and split's unmap_folio leaves them mapped",
	},
	[BUG_OBJRMAP_NONLINEAR] = {
		"objrmap-nonlinear", "004", "RMAP, DATA",
		"remap_file_pages installs the object's pages at the new offset in the "
		"existing VMA (a nonlinear pte, as 2.6's install_page without "
		"page_convert_anon) instead of mapping a new VMA at that offset: the "
		"object rmap walk, which computes the address from folio->index and "
		"vm_pgoff, misses the pte",
	},
	[BUG_MREMAP_MERGE_RMAP_ORDER] = {
		"mremap-merge-rmap-order", "2012: mremap: enforce rmap src/dst vma ordering "
		"in case of vma_merge() succeeding in copy_vma()", "MIGRATION",
		"mremap moves ptes without the rmap locks even when copy_vma merged the "
		"destination into a VMA that rmap walks visit before the source "
		"(need_rmap_locks ignored): remove_migration_ptes passes the destination "
		"before the migration entry arrives and the source after it left, and "
		"the entry is orphaned",
	},
	[BUG_THP_SPLIT_NO_TTU_SYNC] = {
		"thp-split-no-ttu-sync", "732ed55823fc", "MAPCOUNT (split's unmap_folio)",
		"split's unmap_folio walks without TTU_SYNC: a pte that a racing COW or "
		"zap has cleared, under a ptl it still holds, is passed over unlocked "
		"before that task drops the page's mapcount, and the split finds the "
		"folio still mapped with no pte left to explain it (fixed by "
		"732ed55823fc, mm/thp: try_to_unmap() use TTU_SYNC for safe splitting)",
	},
	[BUG_KSM_FROZEN_SWAPCACHE_STALE] = {
		"ksm-frozen-swapcache-stale", "001", "KSM",
		"get_ksm_page takes any refcount of 0 for a freed page, as it did "
		"before KSM pages could migrate: a KSM page in the swap cache whose "
		"refcount migration has frozen is still the node's page, and the "
		"node it frees is the one the migrated page is about to take over "
		"(seed 001, \"ksm: make KSM page migration possible\")",
	},
	[BUG_MIGRATE_PARTIAL_NO_SPLIT] = {
		"migrate-partial-no-split", "7262f208ca68", "MAPCOUNT (1.5, the deferred split queue)",
		"migrate_pages moves a partially mapped large folio on the deferred "
		"split queue whole instead of splitting it first: the new folio is "
		"mapped only where the old one was, is neither PG_partially_mapped "
		"nor queued, and its unmapped pages are never freed (fixed by "
		"7262f208ca68, mm/migrate: split source folio if it is on deferred "
		"split list)",
	},
	[BUG_KHUGEPAGED_COLLAPSE_PINNED] = {
		"khugepaged-collapse-pinned", "9445689f3b61", "PIN",
		"khugepaged collapses a range without is_refcount_suitable, the check "
		"that every reference is a mapping or the swap cache's: a GUP-pinned "
		"page is copied into the new folio and unmapped, and the pinner keeps "
		"a page the process no longer maps (9445689f3b61, \"khugepaged: allow "
		"to collapse a page shared across fork\", made the old page_count == 1 "
		"test this mapcount-based one and named the pins it keeps out; "
		"70cbc3cc78a9 closed the GUP-fast side)",
	},
	[BUG_KHUGEPAGED_NO_REVALIDATE] = {
		"khugepaged-no-revalidate", "594cced14ad3", "RMAP",
		"collapse_huge_page retakes mmap_lock for write after allocating and "
		"looks the VMA up again without hugepage_vma_revalidate: a VMA that was "
		"shrunk, split or replaced while the lock was dropped is collapsed "
		"anyway, its new ptes running past its end (an anon_vma-less one, "
		"the kernel's NULL dereference, fixed by 594cced14ad3, \"khugepaged: "
		"fix null-pointer dereference due to race\", which added the anon_vma "
		"check to the revalidation that runs after every mmap_lock drop)",
	},
	[BUG_THP_FORK_PINNED_PMD] = {
		"thp-fork-pinned-pmd", "d042035eaf5f", "PIN, DATA",
		"fork's copy_huge_pmd shares a PMD-mapped THP that a device may have "
		"pinned, write-protecting the parent's pmd: the parent's next write "
		"splits the pmd and COWs its page away from the pinned one, so the "
		"device's writes land in a page only the child sees (fixed by "
		"d042035eaf5f, mm/thp: Split huge pmds/puds if they're pinned when fork())",
	},
	[BUG_THP_SPLIT_PMD_MIGRATION_FLAGS] = {
		"thp-split-pmd-migration-flags", "2e83ee1d8694", "MIGRATION, PROT",
		"__split_huge_pmd_locked turns a PMD migration entry into pte migration "
		"entries whose write permission it reads with pmd_write(), the present "
		"layout's write bit, which in a swap pmd is a bit of the entry's type: "
		"a read-only exclusive entry (an mprotected THP under migration) comes "
		"out writable, and the migration maps writable ptes in a read-only VMA "
		"(fixed by 2e83ee1d8694, \"mm: thp: fix flags for pmd migration when "
		"split\", which takes write from is_write_migration_entry)",
	},
	[BUG_UFFD_MOVE_HUGE_ZERO] = {
		"uffd-move-huge-zeropage", "5d4747a6cc8e", "BUG",
		"UFFDIO_MOVE of a whole aligned huge pmd takes the huge zero folio a "
		"read fault mapped for an anonymous THP and asks PageAnonExclusive of "
		"its head, which is no anon page: the VM_BUG_ON_PGFLAGS syzbot hit "
		"(fixed by 5d4747a6cc8e, \"userfaultfd: avoid huge_zero_page in "
		"UFFDIO_MOVE\"; since 6.9 the huge zero pmd itself moves)",
	},
	[BUG_UFFD_MOVE_PMD_MIGRATION] = {
		"uffd-move-pmd-migration", "7f1101a0a181", "BUG",
		"UFFDIO_MOVE that must split a huge source pmd (unaligned, short, or "
		"a table at the destination) reads the folio of a PMD migration entry "
		"as if the pmd were present, to refuse a shared THP: the swap entry's "
		"bits are no pfn, and syzbot's crash followed (fixed by 7f1101a0a181, "
		"\"userfaultfd: fix a crash in UFFDIO_MOVE when PMD is a migration "
		"entry\": only a present pmd is looked at, split_huge_pmd handles the "
		"entry)",
	},
};

int mmt_bug_lookup(const char *name)
{
	for (int i = 0; i < NR_MMT_BUGS; i++)
		if (mmt_bugs[i].name && strcmp(mmt_bugs[i].name, name) == 0)
			return i;
	return -1;
}

int mmt_inject_parse(const char *list, uint64_t *mask, char *bad, unsigned badlen)
{
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char name[64];
		int b;

		if (n == 0 || n >= sizeof(name)) {
			if (bad && badlen) {
				size_t k = n < badlen - 1 ? n : badlen - 1;

				memcpy(bad, p, k);
				bad[k] = 0;
			}
			return -1;
		}
		memcpy(name, p, n);
		name[n] = 0;
		b = mmt_bug_lookup(name);
		if (b < 0) {
			if (bad && badlen) {
				strncpy(bad, name, badlen - 1);
				bad[badlen - 1] = 0;
			}
			return -1;
		}
		*mask |= 1ull << b;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int mmt_inject_from_env(void)
{
	const char *env = getenv("MMT_INJECT");
	uint64_t mask = 0;

	if (!env || !*env)
		return 0;
	if (mmt_inject_parse(env, &mask, NULL, 0))
		return -1;
	mmt_injected_mask |= mask;
	return 0;
}
