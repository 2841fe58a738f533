/* SPDX-License-Identifier: MIT */
/*
 * decode.h - fuzzer bytes <-> programs.
 *
 * Every byte string decodes to a valid program (total, deterministic), over
 * a deliberately small world so that operations collide: four processes
 * p0..p3, a 32-page window 0x10..0x2f (0x20..0x3f in a PMD world), a few
 * dozen frames.  Ops are
 * fixed-size records, so a mutated byte changes one op (or one argument of
 * it), not the whole program; later aimed ops may land on other pages when
 * the changed op mapped or unmapped some.  Layout:
 *
 *   byte 0    world: bit 0 nodes-1, bits 1-2 frames {16,32,64,256} (256: the default world),
 *             bits 3-4 swap slots {0,16,64,128}, bits 5-7 tasks-1 (capped
 *             by the caller's max_tasks; 1 in single-task mode); every
 *             decoded world has anon mTHP orders 1 and 2 enabled (thp=0x6)
 *   byte 1    bits 0-6 number of op records (capped by the bytes
 *             present); bit 7 the device's frames: clear 16 (the default),
 *             set none (every migration to it fails).  A count past
 *             MMT_DECODE_MAX_OPS (65..127) is a PMD world of count - 64
 *             records: thp=0x26 thpalways=1 (the PMD-sized THP too, and
 *             every order "always", so no madvise is needed), the window
 *             moved to the aligned 0x20..0x3f one pmd maps, an aimed op of a
 *             process with nothing mapped mapping the whole window, the
 *             lengths of mmap,
 *             munmap, mprotect, madvise and mremap (both) taken from
 *             {1, 2, 4, 8, 12, 16, 24, 32} by the same 3 bits and fitted
 *             to the run they are aimed at (the longest not past it), and
 *             an aimed hugepage madvise or uffd_register covering its
 *             page's whole mapped run (uffd_register's length is a VMA
 *             op's too); random bytes then map PMD THPs and their huge
 *             zero pmds.  The aligned pmd after the window (0x40..0x5f)
 *             is its twin: an mremap record with byte 2 bit 6 set
 *             moves the window's whole pmd there (byte 3 bit 0 clear) or
 *             back (set), and a uffd_move record with byte 3 bit 3 set
 *             moves it back into the window (byte 2 bit 0 clear) or there
 *             (set), whole, as move_huge_pmd and move_pages_huge_pmd do
 *   records   4 bytes each: [kind|task] [proc|addr] [len|prot|flags] [value]
 *             (kind = low 5 bits, task = high 3 bits mod tasks; proc = low
 *             2 bits of byte 1, page = window + bits 2-6; len = 1 + bits 0-2
 *             of byte 2).  Swap records: byte 2 bit 7 swapoff, else swapon;
 *             byte 3 bits 0-4 the wanted id (0..31; swapon takes the first
 *             id from there that is not on, swapoff the first that is),
 *             bit 5 the slots (16 or 64).  Device records (one kind):
 *             byte 3 bits 0-1 pick device_migrate (0, 1), device_release
 *             (2) or the uffd slot (3): uffd_register, or with byte 1
 *             bit 7 set uffd_move (source page = window + byte 2 bits
 *             3-7, byte 3 bit 2 "holes"; aimed, the destination is a
 *             mapped page never written and the source a written one).
 *             The mremap kind with byte 1 bit 7 set is remap_file_pages:
 *             PGOFF = ADDR + (byte 2 bits 3-5) - 4, or with byte 2 bit 6
 *             set PGOFF = bits 3-5 (a shmem object's own offsets);
 *             aimed, it goes to a page mapped shared, or stands in as a
 *             shared mmap (bit 6: shmem) when the process has none.
 *             The reclaim kind (N = 1 + byte 3 bits 0-4) with byte 2 bit 7
 *             set is page_idle N, the idle page tracker; with bit 6 set
 *             (and not 7) khugepaged 16 * N, a khugepaged pass.
 *             The madvise kind whose advice bits (byte 3 bits 0-3) are
 *             15 is split (debugfs split_huge_pages, new order 0),
 *             aimed at written pages as migrate is.
 *             Aiming (resource-aware, as syzkaller's arguments are): a
 *             record's address is the page it names only when its mode
 *             bits are all set (byte 2 bits 5-7 for read and write, byte 3
 *             bits 5-7 for mmap, munmap, mprotect, mremap, madvise,
 *             split, migrate and the device records): the encoder writes that form.  Otherwise (7 records
 *             in 8 of random bytes) the address bits pick among the pages
 *             the decoder believes the process has (fuzz/lib/shadow.h):
 *             readable pages for a read, writable for a write, holes for
 *             an mmap, mapped pages for the VMA ops, written pages for
 *             migrate, split, device_migrate and the madvise advice that
 *             drop or page out,
 *             with the length clipped to the run it starts; migrate goes to
 *             the node the page is not on unless byte 3 bit 4 is set.  An
 *             aimed op of a process with nothing mapped becomes an mmap of
 *             its page (rw, flags from byte 3).  With nothing to aim at, the
 *             address stays as written.
 *   the rest  the schedule (only with more than one task): 2-byte switch
 *             records [task|at] [at].  Task = bits 0-2 of byte 0 (mod
 *             tasks).  Byte 0 bit 3 clear: the record is at decision point
 *             byte 1 (0..255); set: at 256 + (bits 4-7 of byte 0) * 256 +
 *             byte 1 (256..4351).  Half of all random records thus land in
 *             the first 256 decision points, where the small programs of
 *             this world switch.  The records are sorted by decision point
 *             (of two at the same point the later one in the tail wins),
 *             and the task of each is wanted at every decision from its
 *             point up to the next record's; task 0 before the first.  The
 *             schedule ends at the latest record (the scheduler then keeps
 *             the running task).  Where a record sits in the tail does not
 *             matter, so a mutated record moves one switch and leaves the
 *             others at their absolute positions, as PCT's change points;
 *             lenient schedules give PCT's priority semantics (the wanted
 *             task runs whenever it can).  A trailing odd byte and records
 *             past MMT_DECODE_MAX_SWITCHES are ignored.
 *
 * An op whose process is not alive is redirected to the next live one, or
 * becomes a spawn when none is; a spawn or fork with no free name becomes a
 * read.  So the decoded program always passes the reader's static checks,
 * and printing it gives a .mmt file that replays the same way.
 *
 * mmt_encode is the inverse for programs inside that world (the seed
 * corpus is written as .mmt and encoded at build time): a record where
 * each run of the schedule starts, one at its last entry, and a reason
 * instead when the schedule is longer than the records reach.
 */
#ifndef MMT_DECODE_H
#define MMT_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "mmt/program.h"

#define MMT_DECODE_MAX_OPS	64
#define MMT_DECODE_PROCS	4
#define MMT_DECODE_BASE		0x10
#define MMT_DECODE_WINDOW	32
#define MMT_DECODE_PMD_BASE	0x20	/* a PMD world's window: one aligned pmd's pages */
#define MMT_DECODE_RECORD	4
#define MMT_DECODE_SWAP_IDS	32
#define MMT_DECODE_SWITCH	2	/* bytes per schedule switch record */
#define MMT_DECODE_NEAR		256	/* decision points byte 1 alone reaches */
#define MMT_DECODE_MAX_AT	(MMT_DECODE_NEAR + 16 * 256 - 1)
#define MMT_DECODE_MAX_SWITCHES	256

struct mmt_decode_opts {
	int max_tasks;		/* 1: single-task programs, no schedule */
};

/* 0, or -ENOMEM.  @p is initialised here; free it with mmt_program_free. */
int mmt_decode(const uint8_t *data, size_t size, struct mmt_program *p,
	       const struct mmt_decode_opts *o);

/*
 * A switch record's decision point and task, and the record for them.
 * Inline: the AFL++ custom mutator library (mutate.c alone) uses them too.
 */
static inline unsigned mmt_switch_at(const uint8_t r[MMT_DECODE_SWITCH])
{
	if (!(r[0] & 8))
		return r[1];
	return MMT_DECODE_NEAR + ((unsigned)(r[0] >> 4) << 8 | r[1]);
}

static inline int mmt_switch_task(const uint8_t r[MMT_DECODE_SWITCH], int ntasks)
{
	return (r[0] & 7) % (ntasks > 0 ? ntasks : 1);
}

static inline void mmt_switch_make(uint8_t r[MMT_DECODE_SWITCH], int task, unsigned at)
{
	if (at > MMT_DECODE_MAX_AT)
		at = MMT_DECODE_MAX_AT;
	if (at < MMT_DECODE_NEAR) {
		r[0] = (uint8_t)(task & 7);
		r[1] = (uint8_t)at;
	} else {
		at -= MMT_DECODE_NEAR;
		r[0] = (uint8_t)((task & 7) | 8 | (at >> 8) << 4);
		r[1] = (uint8_t)at;
	}
}

/*
 * Bytes that decode back to @p, or -1 (with a reason in @why) when @p does
 * not fit the fuzzing world.  *out is malloc'd.
 */
int mmt_encode(const struct mmt_program *p, uint8_t **out, size_t *len,
	       char *why, size_t whylen);

#endif /* MMT_DECODE_H */
