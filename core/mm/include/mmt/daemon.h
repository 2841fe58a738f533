/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - the kernel daemons' work, as ops any task can run: a task of a
 * program (or a stress thread) that runs them plays the daemon.  They belong
 * to no process: they find their folios through the LRU and the frame
 * array, and reach the ptes through the rmap, as the kernel's daemons do.
 *
 *   kswapd     balance_pgdat() -> shrink_node(): per node, isolate a batch
 *              of the oldest LRU folios under the lru_lock
 *              (isolate_lru_folios), then shrink_folio_list() on the batch
 *              with the lock dropped, putting back what was not freed.
 *   kcompactd  compact_zone(): the migration scanner walks the node's frames
 *              from the lowest pfn, isolates LRU folios in clusters of
 *              COMPACT_CLUSTER_MAX (isolate_migratepages), and migrates each
 *              to a free frame of the same node (migrate_pages with the
 *              compaction free scanner's target).  Compaction never changes
 *              a folio's node.
 *   ksmd       not yet: KSM is a later issue.  It will be one more op of the
 *              same shape ("ksmd N": scan N pages of the mm_slot list), run
 *              by a daemon task like these.
 *
 * Neither changes what any process reads, so the DATA oracle treats them
 * like reclaim and migrate: no effect on data.
 */
#ifndef MMT_DAEMON_H
#define MMT_DAEMON_H

#define COMPACT_CLUSTER_MAX	32	/* = SWAP_CLUSTER_MAX */

/* Scan up to @nr LRU folios for reclaim; returns the number freed. */
unsigned long kswapd_run(unsigned long nr);

/*
 * Compact node @nid: migrate up to @nr of its LRU folios to other frames of
 * the same node.  Returns the number migrated, or -ENODEV for a node that
 * does not exist.
 */
long kcompactd_run(int nid, unsigned long nr);

#endif /* MMT_DAEMON_H */
