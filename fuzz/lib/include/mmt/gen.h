/* SPDX-License-Identifier: MIT */
/*
 * gen.h - random program generator: the naive baseline of the hunt and a
 * source of long random mixes for regression tests.
 *
 * A generated program is always valid (it parses after printing, and its
 * process names obey the parser's static liveness rules), works in a small
 * world so that ops collide often, and ends with every process exited and
 * swap off so that LEAK is checked.  The same seed and options give the same
 * program, on every machine.
 */
#ifndef MMT_GEN_H
#define MMT_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "mmt/program.h"

struct mmt_gen_opts {
	unsigned nr_ops;	/* ops between the prologue and the epilogue (default 32) */
	unsigned nr_tasks;	/* 1..MMT_MAX_TASKS (default 1) */
	unsigned max_procs;	/* 1..4 live processes, named p0..p3 (default 4) */
	bool swap_ops;		/* swapon/swapoff of device 1 mid-program (default on) */
	/*
	 * uffd_register (default on).  Off for difftest: the host runs no
	 * userfaultfd, so the VMA split a registration makes would show in
	 * a later mremap's errno on one side only.
	 */
	bool uffd_ops;
	/*
	 * pin, unpin, pin_write, pin_read (default on).  Off for difftest:
	 * the host does not pin, and a pin_write's value is the model's alone.
	 */
	bool pin_ops;
	/* a world with anon mTHP orders 1 and 2 enabled (thp=0x6) (default on) */
	bool thp_ops;
};

void mmt_gen_opts_default(struct mmt_gen_opts *o);

/*
 * Fill @p (initialised, empty) with a random program.  Returns 0, or
 * -ENOMEM.  The world line is "world nodes=2 frames=64 swap=128".
 */
int mmt_gen_random(struct mmt_program *p, uint64_t seed, const struct mmt_gen_opts *o);

/*
 * A race template: the shape in which migration races live (seed 000), with
 * every detail left to the seed.  Task 0 builds one process p0 with a few
 * written private anonymous pages (sometimes forking p1 first and writing
 * again, so that p0's pages are its own and p0's anon_vma has a child), then
 * migrates them back and forth between the nodes.  The other tasks run short
 * random mixes of what meets a migration entry in the same processes: fork,
 * mprotect, writes and reads, munmap, a child's exit.  No schedule: the
 * search (PCT, random walk) has to find the interleaving.
 *
 * @nr_tasks is clamped to 2..MMT_MAX_TASKS; @nr_ops (per racing task) to 1..16.
 */
int mmt_gen_race(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops);

/*
 * The device race template: task 0 migrates p0's pages (some written, some
 * holes, maybe COW-shared with a child) to the device and back with
 * migrate_vma, while the other tasks read and write them (migration and
 * device-private entries, migrate_to_ram), fork, MADV_DONTNEED or PAGEOUT
 * them, move_pages, reclaim, mprotect, unmap.  Same conventions as
 * mmt_gen_race.
 */
int mmt_gen_race_device(struct mmt_program *p, uint64_t seed, unsigned nr_tasks,
			unsigned nr_ops);

/*
 * The KSM race template (seed 001): p0's equal pages (some moved to node 1,
 * merge_across_nodes 0 now and then) merged by ksmd, then migrated by task 0
 * while the other tasks run ksmd passes, copy on write, unmerge, fork, munmap
 * and exits.  Clamped as mmt_gen_race.
 */
int mmt_gen_race_ksm(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops);

/*
 * The UFFDIO_MOVE race template (seed 003): p0's pages (made active first
 * now and then, through a forked child's reads and a reclaim pass) moved
 * one by one into a registered VMA by task 0 while task 1 reclaims
 * (folio_referenced without the folio lock, try_to_unmap to swap) and the
 * others fork, write, read and page out.  Clamped as mmt_gen_race.
 */
int mmt_gen_race_uffd(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops);

/*
 * The mremap race template (need_rmap_locks and the rmap walk order): p0's
 * pages, a piece of them moved away first, migrated and paged out by task 0
 * while the racers move pieces back next to their origin (where copy_vma
 * merges them) or further, split VMAs with mprotect, fork, write and read;
 * now and then on the memfd, with remap_file_pages among the racers.
 * Clamped as mmt_gen_race.
 */
int mmt_gen_race_mremap(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops);

/*
 * The split race template (issue 13): p0's 4-page mTHP, maybe COW-shared
 * with a child that keeps only its last pages, split by task 0 (MADV_PAGEOUT
 * or reclaim's deferred-split scan) while the other tasks write (COW), zap,
 * read, unmap and exit.  Clamped as mmt_gen_race.
 */
int mmt_gen_race_split(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops);

/*
 * The khugepaged race template (issue 13 item 3): p0's order-0 pages of a
 * 4-page range madvised hugepage, collapsed by task 0's khugepaged pass
 * while the other tasks unmap, mprotect, remap, write, read, zap, pin and
 * page out the range.  Clamped as mmt_gen_race.
 */
int mmt_gen_race_khugepaged(struct mmt_program *p, uint64_t seed, unsigned nr_tasks,
			    unsigned nr_ops);

/*
 * The PMD THP template (issue 13): p0's 32-page range mapped by a huge pmd
 * (world thp=0x20), then @nr_ops (1..64, else 10) ops per task that share,
 * split, zap, pin, migrate, reclaim and COW it; forks are task 0's (any
 * time with one task).  @nr_tasks 1..MMT_MAX_TASKS.
 */
int mmt_gen_thp(struct mmt_program *p, uint64_t seed, unsigned nr_tasks, unsigned nr_ops);

/*
 * The fork-tree template (the anon_vma lifecycle): one task; p0's two
 * written anonymous pages, then @nr_ops (1..64, else 16) forks, exits,
 * one-page mprotects that split or merge, and writes, over up to four
 * live processes.
 */
int mmt_gen_forks(struct mmt_program *p, uint64_t seed, unsigned nr_ops);

#endif /* MMT_GEN_H */
