/* SPDX-License-Identifier: MIT */
/*
 * export.h - a .mmt program as a standalone C program of real system calls,
 * the way syzkaller's prog2c turns a program into C: a finding taken back to
 * a real kernel, with its asserted outcomes checked there.
 *
 * The C file needs only libc and the Linux headers:
 *
 *   cc -O0 -std=gnu11 prog.c -o prog -lpthread && ./prog
 *
 * Every pN is a real process (forked by a zygote for `spawn`, by pX itself
 * for `fork pX pN`), and every op the real call in it: mmap with MAP_FIXED
 * (a memfd behind the non-anonymous mappings), munmap, mprotect, mremap
 * with MREMAP_MAYMOVE|MREMAP_FIXED, madvise, move_pages, fork, _exit, and
 * reads and writes as loads and stores under a SIGSEGV/SIGBUS handler.  A
 * coordinator runs the ops one at a time in program order; the tasks of a
 * program with several are threads of the coordinator, whose interleaving
 * the kernel chooses after a setup run alone (the schedule line is not
 * reproduced).  The model's swap devices and kcompactd are notes, unless
 * the program runs as root with --system: then swap files and compaction
 * of the node; check is a note, and reclaim and kswapd are MADV_PAGEOUT of
 * every process's window.  The assertions of what is not reproduced are
 * skipped.  The program prints one line per op and PASS or FAIL: exit 0
 * every assertion held, 1 one failed, 2 the harness broke.  The header
 * comment of the file says all this for the program.
 */
#ifndef MMT_EXPORT_H
#define MMT_EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "mmt/program.h"

struct mmt_export_opts {
	const char *name;	/* where the program came from (NULL: nowhere) */
	const char *source;	/* its text as written, for the header comment
				 * (NULL: the canonical text) */
	size_t source_len;
};

void mmt_export_opts_default(struct mmt_export_opts *o);

/*
 * Write @p as one C11 file to @out (@o may be NULL).  0; or -1 with errno
 * EINVAL when the program has no text form (mmt_print refuses it) or holds
 * an op this exporter does not know, EIO when @out failed.  Nothing is
 * half-written on EINVAL: the program is checked before the first byte.
 */
int mmt_export_c(const struct mmt_program *p, FILE *out, const struct mmt_export_opts *o);

#endif /* MMT_EXPORT_H */
