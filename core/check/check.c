// SPDX-License-Identifier: MIT
/*
 * check.c - the invariant checker (the oracle): its catalogue, the report
 * plumbing every file of this folder reports through, and check_world.
 *
 * The checker reads the world without taking a lock, so it may only run at
 * quiescent points: no task inside an operation, no lock held.  It must not
 * trust the model either: it never calls model code that could take a lock
 * or change a count, validates every pointer it follows against the pool or
 * frame array it must belong to, and bounds every list walk, so that a
 * corrupted world yields reports rather than a crash or a hang.
 *
 * Invariants and the clauses that enforce them.  Numbers are the
 * enum mmt_invariant values (check.h, DESIGN.md section 3).  "mappings" of a
 * frame = present ptes + migration entries + device-private entries found in
 * every live mm; "quiescent" clauses hold only between operations.  Each
 * clause names the public check_* that reports it and, in parentheses, the
 * file of this folder that holds its code.
 *
 *  1 MAPCOUNT
 *    1.1 folio_mapcount == present ptes mapping the frame + device-private
 *        entries pointing at it (zero page excluded) ...... check_folio (folio.c)
 *    1.2 a mapcount is never negative ..................... check_folio (folio.c)
 *    1.3 a present pte maps an existing frame; a special pte maps only
 *        the zero page ..................................... check_mm (pgtable.c)
 *    1.5 the deferred split queue: each node's is a well-linked list of
 *        live anon folios of order >= 2 of that node, split_queue_len
 *        long; PG_partially_mapped <=> queued; a partly mapped anon
 *        folio of order >= 2 is queued; order 1 never .... census.c, folio.c
 *  2 REFCOUNT
 *    2.1 refcount == mappings (ptes + device entries) + swap cache (1) +
 *        page cache (1, !anon && mapping) + isolated (1) +
 *        GUP_PIN_COUNTING_BIAS per long-term pin (gup.h); equality, since
 *        at quiescence no transient pin may remain ........ check_folio (folio.c)
 *        (checked against the mappings found, not against _mapcount, so a
 *        wrong _mapcount is reported once, as MAPCOUNT)
 *    2.2 refcount 0 <=> the frame is free: on its node's free list or never
 *        handed out (past the node's next_fresh); a free frame is on no list
 *        twice, on its own node's list only; nr_free == free list + never
 *        handed out ............... check_folio (folio.c), check_world (census.c)
 *    2.3 a free frame has mapcount 0, no flags (folio or page), no mapping,
 *        and no pte, migration or device entry points at it
 *                                                           check_folio (folio.c)
 *    2.4 only the zero page and the huge zero folio are PG_reserved; the
 *        huge zero folio stays of PMD order with no mapcount check_folio (folio.c)
 *    2.5 a page-cache folio has refcount >= 1 + mapcount  check_mapping (mapping.c)
 *    2.6 in flight: when a pte table's lock is dropped, each present pte in
 *        it maps a frame with a reference and a mapping ... check_inflight (inflight.c)
 *  3 MIGRATION
 *    3.1 no migration entry exists at quiescence (each one is reported
 *        with its mm, address, pfn and the folio's state)  check_mm (migration.c)
 *    3.2 no folio is PG_locked, PG_migrating or PG_isolated at
 *        quiescence ....................................... check_folio (folio.c)
 *    3.3 a swap device never takes a migration type, whose entries would
 *        then be read as migration entries ........ check_swap_info (migration.c)
 *    3.4 in flight: when a pte table's lock is dropped, each migration entry
 *        in it names a frame that is locked and under migration (the
 *        migration that made it still runs) ....... check_inflight (inflight.c)
 *    3.5 in flight: a folio being unlocked is named by no migration entry
 *        unless it is still under migration (the end of a migration leaves
 *        no orphan) ............................... check_inflight (inflight.c)
 *  4 SWAPMAP
 *    4.1 the count of swap_map[off] and its continuation digits
 *        (swap_map_count) == swap ptes naming (type, off)
 *                                                        check_swap_info (swap.c)
 *    4.2 SWAP_HAS_CACHE iff cache[off]; the cached folio is PG_swapcache
 *        and its private names (type, off) ............. check_swap_info (swap.c)
 *    4.3 inuse_pages == slots with a nonzero map; slot 0 (the header) is
 *        never used, cached or referenced; no slot above highest_alloc
 *        is used, cached or named by a swap pte
 *                                              check_swap_info, check_mm (swap.c)
 *    4.4 a reserved type (>= MAX_SWAPFILES) never indexes a device, a device
 *        sits at its own index, below nr_swapfiles ..... check_swap_info (swap.c)
 *    4.5 a swap pte of a real type names a used device and a slot inside
 *        it; an mm with swap ptes is on the mmlist ... check_mm (swap.c, pgtable.c)
 *    4.6 a PG_swapcache folio sits in the cache slot it names  check_folio (folio.c)
 *    4.7 in flight: when a pte table's lock is dropped, each swap pte of a
 *        real type in it names a live device and a slot in use
 *                                                check_inflight (inflight.c)
 *    4.8 a count with COUNT_CONTINUED goes on in the device's continuation
 *        pages and ends in a nonzero digit ........... check_swap_info (swap.c)
 *  5 RMAP
 *    5.1 every pte / migration entry lies inside a VMA ..... check_mm (pgtable.c)
 *    5.2 anon folio: the VMA's chain reaches folio_anon_vma and
 *        linear_page_index(vma, addr) == folio->index ...... check_mm (pgtable.c)
 *    5.3 file folio: vma->vm_file == folio_mapping and the index agrees;
 *        a mapped folio is anon or in a page cache ......... check_mm (pgtable.c)
 *    5.4 a file VMA is on its mapping's i_mmap (once), an anonymous one on
 *        none; a shared VMA has a file or shmem object
 *                                   check_vma (mapping.c), check_world (census.c)
 *    5.5 swap ptes only in private VMAs that have an anon_vma .. check_mm (swap.c)
 *    5.6 a page-cache entry (one world table, key = mapping id + index)
 *        holds a frame whose mapping and index are the key's; nrpages
 *        agrees; i_mmap holds VMAs of this mapping, in vm_pgoff order
 *                                                     check_mapping (mapping.c)
 *    5.7 a file folio is in the page cache of its mapping; an anon folio
 *        is in none; a folio's mapping is live ............ check_folio (folio.c)
 *    5.8 in flight: an exclusive swap pte whose slot still has an anon
 *        folio in the swap cache lies where that folio's anon_vma and index
 *        place it (do_swap_page will map the folio there; c50f8e6053b0)
 *                                                check_inflight (inflight.c)
 *  6 ANONVMA
 *    6.1 root->root == root; while on a VMA, parent is live and in the
 *        same tree (an anon_vma with no chain left may outlive its parent)
 *                                                     check_anon_vma (anon_vma.c)
 *    6.2 every avc on av->head points at av and at a VMA whose chain holds
 *        it ................. check_anon_vma (anon_vma.c), check_world (census.c)
 *    6.3 every avc on a VMA's chain points at that VMA and is on its
 *        anon_vma's list; all of them are in one tree .... check_vma (anon_vma.c)
 *    6.4 vma->anon_vma is live and on the VMA's chain; the chain is empty
 *        iff vma->anon_vma is NULL ....................... check_vma (anon_vma.c)
 *    6.5 num_active_vmas == VMAs whose anon_vma it is; num_children ==
 *        live anon_vmas on some VMA whose parent it is, a root counting
 *        itself (its self-parent link, as in the kernel); refcount == 1
 *        while on a VMA + 1 per live anon_vma rooted at it (each holds its
 *        root), so never < 1 while live ............. check_anon_vma (anon_vma.c)
 *    6.6 a mapped anon folio's anon_vma is live (never freed)  check_folio (folio.c)
 *    6.7 VMAs with the same anon_vma link the same anon_vmas (what lets
 *        a merge keep one chain; CVE-2022-42703) ....... check_vma (anon_vma.c)
 *    6.8 an anon_vma's avcs are in vm_pgoff order, the interval tree's
 *        walking order (need_rmap_locks relies on it) check_anon_vma (anon_vma.c)
 *  7 EXCLUSIVE
 *    7.1 a writable pte of an anon folio => PageAnonExclusive  check_mm (pgtable.c)
 *    7.2 ... and the folio is mapped exactly once .......... check_folio (folio.c)
 *        (check_mm (pgtable.c) alone, against _mapcount, when no world census
 *        runs)
 *    7.3 PageAnonExclusive, or an exclusive migration entry => mapped at
 *        most once; AnonExclusive only on anon folios ..... check_folio (folio.c)
 *    7.4 a swap pte marked exclusive is the slot's only reference
 *                                                        check_swap_info (swap.c)
 *    7.5 in flight: when a pte table's lock is dropped, a writable pte of an
 *        anon folio in it is AnonExclusive ........ check_inflight (inflight.c)
 *  8 PROT
 *    8.1 a writable pte, write migration entry or writable device entry
 *        lies in a VM_WRITE VMA; VM_WRITE implies VM_MAYWRITE
 *                                    check_mm, check_vma (pgtable.c, migration.c)
 *    8.2 a COW-shared anon page (mapped more than once) is writable
 *        nowhere .......................................... check_folio (folio.c)
 *    8.3 a page-cache folio is never writable in a private mapping, the
 *        zero page and the huge zero folio never writable anywhere; a huge
 *        zero pmd is special and lies in an anonymous VMA  check_mm (pgtable.c)
 *  9 RSS
 *    9.1 MM_ANONPAGES == ptes + migration entries of anon folios + device
 *        entries; MM_FILEPAGES / MM_SHMEMPAGES likewise for file / shmem
 *        folios; MM_SWAPENTS == swap ptes of real types; zero-page ptes
 *        count nowhere ..................................... check_mm (pgtable.c)
 * 10 KSM
 *    10.1 a KSM folio is never mapped writable, never AnonExclusive
 *                                                  chk_ksm_folio (ksm.c)
 *    10.2 a KSM folio's stable node is live, reachable, and its kpfn is the
 *         folio's pfn (a node whose kpfn's folio no longer names it is
 *         stale, which get_ksm_page detects; a KSM folio with no node is
 *         legal, see docs/model.md) ........... chk_ksm_folio (ksm.c)
 *    10.3 a stable node in stable tree n has nid n and no head; with
 *         merge_across_nodes 1 only tree 0 is used; one on migrate_nodes
 *         has head == &migrate_nodes; trees are well linked, no node is
 *         reached twice ................ chk_ksm_census, chk_ksm (ksm.c)
 *    10.4 every rmap_item on a node's hlist is stable on that node and
 *         holds a live anon_vma; stable items == items on hlists; every
 *         item is on its mm_slot's rmap_list and names its mm; an item is
 *         never both stable and unstable ............. chk_ksm (ksm.c)
 *    10.5 with merge_across_nodes 0, a page was merged only onto a KSM
 *         page of its own node ......................... chk_ksm (ksm.c)
 *    10.6 a stale node on migrate_nodes does not outlive the prune at the
 *         start of the next full scan (its page's free is stamped, and so
 *         is each prune) ............................... chk_ksm (ksm.c)
 *    10.7 pages_shared == nodes with rmap_items, pages_sharing == the
 *         other items on them; an mm_slot is on the list, holds a live mm
 *         that points back ............................. chk_ksm (ksm.c)
 *    10.8 once run = 2 finished unmerging (run unchanged since), no
 *         mergeable VMA of a live registered mm maps a KSM page, but one
 *         a swap-in decided to map before run = 2 began and mapped after
 *         (Linux's window: remove_stable_node's WARN_ON_ONCE)
 *                                                         chk_ksm (ksm.c)
 *    10.9 a stable rmap_item's address, in a mergeable VMA, maps its
 *         node's KSM page or no page that was KSM before the item went
 *         stable (a later COW, unmap, swap-out or fork-side merge is legal
 *         until ksmd returns; an mm made mergeable since is not judged)
 *                                        chk_ksm_item_maps (ksm.c)
 *    10.10 a KSM folio is order 0: ksmd splits a large folio before it
 *         merges a page of it ........................ chk_ksm_folio (ksm.c)
 *    (5.2 for a KSM folio: its VMA is private with an anon_vma, pgtable.c;
 *     6.5's refcount counts the stable rmap_items holding an anon_vma.)
 * 11 DEVICE
 *    11.1 a device-private entry names a frame of the device's pagemap
 *         whose folio is allocated .................... check_mm (device.c)
 *    11.2 migrate_vma populates only anonymous VMAs without uffd missing
 *         mode: a populated folio (folio->populated_seq) lies in no file
 *         or shmem VMA and in no uffd-missing VMA registered before it was
 *         populated (vm_uffd_seq) ......................... check_mm (device.c)
 *    11.3 a device folio is never on an LRU, isolated, in the swap cache
 *         or in a page cache ............................ check_folio (device.c)
 *    11.4 a mapped device folio is anonymous (its anon_vma live, 6.6)
 *                                                      check_folio (device.c)
 *    11.5 in flight: when a pte table's lock is dropped, each device-private
 *         entry in it names an allocated device folio with a mapcount
 *                                                 check_inflight (inflight.c)
 *    Device frames also answer 1.1, 2.1-2.3 (against the pagemap's free
 *    list), 3.2, 7.2/7.3, 8.2 and 13.4, in device.c; DATA through a
 *    migration to the device and back is the executor's, as for any read.
 * 13 LEAK
 *    13.1 every pool's nr_used == objects handed out - free list == its
 *         used map, the free list stays inside the pool  check_world (census.c)
 *    13.2 every live vma is on an mm, every live avc on a VMA chain, every
 *         live page table reachable from an mm, every live anon_vma on a VMA
 *         or the root of a live tree, no page-cache entry of a freed mapping;
 *         a live mm has mm_users == 1 and has not exited
 *                  check_world (leak.c, census.c), check_anon_vma (anon_vma.c),
 *                  check_mm (pgtable.c)
 *    13.3 a mapping's refcount == VMAs on its i_mmap (+1 for the memfd)
 *                                                       check_mapping (mapping.c)
 *    13.4 with no process left and swap off: pools empty but for the memfd,
 *         every frame free but the memfd's page cache (refcount 1, unmapped)
 *         and the zero page, mmlist empty, every device frame back with
 *         its driver ............................ check_world_empty (leak.c, device.c)
 *         and, once ksmd has let go of the exited mms, no rmap_item or
 *         mm_slot left, every stable node left stale .. chk_ksm_empty (ksm.c)
 *         and, once khugepaged has, no khugepaged mm_slot  check_world_empty
 *                                                             (leak.c)
 *    (13.2 for KSM: every live rmap_item on an mm_slot, every mm_slot on
 *     the list, every stable node in a tree or on migrate_nodes, chk_ksm;
 *     an exited mm is allocated only while its KSM or khugepaged mm_slot
 *     holds it, pgtable.c)
 * 14 LOCKORDER
 *    14.1 no lock is held at quiescence (mm, anon_vma, mapping, swap,
 *         node, world locks) ........... check_mm, check_anon_vma, check_mapping,
 *                                  check_swap_info (each in its own file),
 *                                  check_world (lockorder.c)
 * 16 BUG
 *    16.1 structural faults no specific invariant names: VMA range, order
 *         and overlap, map_count, vm_mm, page-table levels and sharing
 *                  check_mm, check_vma (pgtable.c), check_world (census.c, leak.c)
 * 17 PIN
 *    17.1 every long-term GUP pin (gup.h) names a frame of the world with
 *         refcount >= the bias of its pins, and a live pinner that has
 *         MMF_HAS_PINNED; the table's count agrees ....... check_world (pin.c)
 *    17.2 until its pinner unmaps it (munmap, MADV_DONTNEED, MAP_FIXED,
 *         exit), the pinner's pte at the pinned address (which mremap
 *         moves) is present and maps the pinned frame: never COW-replaced,
 *         reclaimed, migrated or merged under the pin ... check_world (pin.c)
 *    17.3 a pinned anon page its pinner maps is AnonExclusive and mapped
 *         exactly once (fork copies it: 70e806e4e645) ... check_world (pin.c)
 *    (REFCOUNT 2.1 counts each pin; LEAK 13.4: no pin is left when every
 *    process has gone, check_world_empty (pin.c))
 *
 * DATA (12) is the
 * executor's: it checks every read against the reference model in data.c.
 *
 * How check_world works: one census pass (census.c) builds per-frame,
 * per-slot and per-object counts from every live mm's VMAs and ptes (while
 * checking each pte against its VMA, pgtable.c), then every frame, swap
 * device, anon_vma and mapping is checked against the counts, each by the
 * file of its family.  The public check_folio/check_anon_vma/
 * check_swap_info/check_mapping build the same census silently first, so a
 * unit test gets the full check of one object.  The census lives in static
 * scratch buffers that only grow: one checker runs at a time.
 *
 * Reports: each top-level call reports at most CHECK_BUDGET violations per
 * invariant (the rest are counted in the return value but not recorded) so
 * that one broken counter does not bury the report.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* ====================================================== checker plumbing */

#define CHECK_BUDGET	16

struct chk_state the_checker;

void chk_begin(void)
{
	if (the_checker.depth++ == 0)
		memset(the_checker.found, 0, sizeof(the_checker.found));
}

void chk_end(void)
{
	the_checker.depth--;
}

int chk_viol_at(const char *file, const char *func, int line, enum mmt_invariant inv,
		const char *obj, const char *fmt, ...)
{
	char msg[sizeof(mmt_report.first.msg)];
	va_list ap;

	if (the_checker.quiet)
		return 0;
	if (the_checker.found[inv]++ >= CHECK_BUDGET)
		return 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mmt_violation_at(file, func, line, fmt, inv, obj, "%s", msg);
	return 1;
}

/*
 * Object names are built only as an argument of a chk_viol() call, that
 * is only when something is wrong: naming every frame and VMA up front
 * cost more than the checks themselves.  A function that names one object
 * defines OBJ as its chk_objname() call, and chk_viol(..., OBJ, ...)
 * formats it on the spot.
 * A few rotating buffers: the checker is single-threaded and a message may
 * name two objects.
 */
const char *chk_objname(const char *fmt, ...)
{
	static char buf[4][64];
	static unsigned next;
	char *b = buf[next++ & 3];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return b;
}

/* ============================================================ the world */

/*
 * The families in a fixed order, which is the order of the reports: the
 * census first, since every family reads its counts, and the leaks last,
 * since they need the marks of every walk.
 */
static int world_check(void)
{
	struct world *w = the_world;
	struct census *c = &the_census;
	int v;

	v = chk_census_build(true, true);
	v += chk_frames(c);
	v += chk_device_frames(c);
	for (int t = 0; t < (1 << MAX_SWAPFILES_SHIFT) && (!c->bounded || t < w->nr_swapfiles); t++)
		if (w->swap_info[t].flags & SWP_USED)	/* else nothing to check */
			v += chk_swap(&w->swap_info[t], c);
	pm_for_each_live(&c->av, i)
		v += chk_anon_vma(pm_obj(&c->av, i), c);
	pm_for_each_live(&c->map, i)
		v += chk_mapping(pm_obj(&c->map, i), c);
	v += chk_ksm(c);
	v += chk_pins(c);
	v += chk_leaks(c);
	v += chk_world_locks();
	return v;
}

int check_world(void)
{
	int v;

	if (!the_world)
		return 0;
	chk_begin();
	v = world_check();
	chk_end();
	return v;
}

/*
 * Every clause of check_world, over what the model has used rather than
 * what the world could hold.  It stops at marks that only the allocators
 * move, where the full check reads on:
 *   - each page table up to its last entry in use (nr_used, kept by
 *     set_pte_at and pte_table);
 *   - the frames each node has handed out (next_fresh), plus any frame
 *     past it that the census found referenced (fc_at);
 *   - each swap device's slots up to highest_alloc (get_swap_page);
 *   - the pools' used maps, without walking their free lists;
 *   - the page-cache slots the occupancy bitmap names.
 * No census array is cleared up front either (frame_census.gen).  On a
 * world the model built this reports exactly what check_world reports
 * (test_incremental compares them after every prefix of many programs,
 * with and without each zoo bug); a store past a mark, which only a test
 * poking the world makes, can hide from it, and the full check reports
 * it.  Callers run check_world at least once per program (the executor
 * does after the last op).
 */
int check_world_incremental(void)
{
	int v;

	if (!the_world)
		return 0;
	chk_begin();
	the_checker.bounded = true;
	v = world_check();
	the_checker.bounded = false;
	chk_end();
	return v;
}
