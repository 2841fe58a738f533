/* SPDX-License-Identifier: MIT */
/*
 * fsutil.h - files, directories and the clock, for the campaign, the triage
 * and the hunt (and the commands over them).
 *
 * Findings must survive a crash of the machine halfway through a campaign
 * and must never be seen half written by a resumed one, hence
 * mmt_write_atomic.  The fuzzer front ends are built next to the mmtorture
 * binary, hence mmt_find_next_to_self.
 */
#ifndef MMT_FSUTIL_H
#define MMT_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the whole file in a malloc'd buffer (at most 64 MiB); 0, or -1 with errno */
int mmt_read_file(const char *path, uint8_t **data, size_t *len);

/*
 * @len bytes to @path, atomically: a temporary file PATH.tmp.XXXXXX in the
 * same directory, fsync, rename over @path, fsync of the directory.  On
 * failure nothing is left behind.  0, or -1 with errno.
 */
int mmt_write_atomic(const char *path, const void *data, size_t len);

/* mkdir -p; 0, or -1 with errno */
int mmt_mkdirs(const char *path);

/* rm -rf (not following symlinks); 0, or -1 if something could not go */
int mmt_remove_tree(const char *path);

/* the directory of the running binary ("." if /proc/self/exe is unreadable) */
const char *mmt_self_dir(void);

/* SELF_DIR/@name into @out; true if it is there and executable (@exec) or readable */
bool mmt_find_next_to_self(const char *name, bool exec, char *out, size_t len);

/* seconds on the monotonic clock */
double mmt_now(void);

#endif /* MMT_FSUTIL_H */
