// SPDX-License-Identifier: MIT
/*
 * cmd_export.c - mmtorture export FILE.mmt [-o OUT.c]
 *
 * The program as a standalone C program of real system calls (export.h),
 * on stdout or written atomically to OUT.  The header comment of the C
 * holds the file as written, comments included.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mmt/export.h"
#include "mmt/fsutil.h"

static const char export_help[] =
	"usage: mmtorture export FILE.mmt [-o OUT.c]\n"
	"\n"
	"Write the program as a standalone C program of real system calls (stdout, or OUT.c),\n"
	"the way syzkaller's prog2c does: each pN a real process, each op the real call\n"
	"(mmap, munmap, mprotect, mremap, madvise, move_pages, fork, _exit), reads and writes\n"
	"real loads and stores, every asserted outcome checked on the kernel it runs on:\n"
	"\n"
	"  cc -O0 -std=gnu11 OUT.c -o prog -lpthread && ./prog\n"
	"\n"
	"prints one line per op and PASS or FAIL (exit 0 all held, 1 one failed, 2 the\n"
	"harness broke).  Tasks (@N) become threads whose interleaving the kernel chooses;\n"
	"swap devices, check, kcompactd and khugepaged are not reproduced, reclaim and\n"
	"kswapd are MADV_PAGEOUT; the file's header comment lists what its program\n"
	"loses.\n"
	"\n"
	"  -o OUT.c    write there (atomically) instead of stdout\n"
	"\n"
	"exit status: 0 written, 1 it could not be written, 2 a malformed file or command line\n";

int cmd_export(int argc, char **argv)
{
	struct mmt_export_opts eo;
	struct mmt_program p;
	const char *in = NULL, *out = NULL;
	uint8_t *text = NULL;
	size_t text_len = 0, len = 0;
	char *buf = NULL;
	FILE *f;
	int i, ret = EXIT_HELD;

	if (wants_help(argc, argv))
		return print_help(export_help);
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-o")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a file", "export: -o");
			out = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error("export: unknown option '%s'", argv[i]);
		} else if (in) {
			return usage_error("export: '%s': only one FILE", argv[i]);
		} else {
			in = argv[i];
		}
	}
	if (!in)
		return usage_error("%s: needs a FILE.mmt", "export");
	if (load(in, &p))
		return EXIT_USAGE;
	mmt_export_opts_default(&eo);
	eo.name = in;
	/* the file as written, for its comments; the canonical text otherwise */
	if (!mmt_read_file(in, &text, &text_len)) {
		eo.source = (const char *)text;
		eo.source_len = text_len;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		perror("mmtorture: export");
		ret = EXIT_FAILED;
		goto out;
	}
	if (mmt_export_c(&p, f, &eo)) {
		fprintf(stderr, "mmtorture: export: %s: %s\n", in,
			errno == EINVAL ? "this program has no C form" : strerror(errno));
		ret = EXIT_FAILED;
	}
	if (fclose(f) && ret == EXIT_HELD)
		ret = EXIT_FAILED;
	if (ret != EXIT_HELD)
		goto out;
	if (!out || !strcmp(out, "-")) {
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout))
			ret = EXIT_FAILED;
	} else if (mmt_write_atomic(out, buf, len)) {
		fprintf(stderr, "mmtorture: export: %s: %s\n", out, strerror(errno));
		ret = EXIT_FAILED;
	}
out:
	free(buf);
	free(text);
	mmt_program_free(&p);
	return ret;
}
