// SPDX-License-Identifier: MIT
/*
 * util.c - helpers shared by the mmtorture commands (cli.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mmt/hunt.h"
#include "mmt/inject.h"

int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mmtorture: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see mmtorture --help)\n");
	return EXIT_USAGE;
}

bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

int print_help(const char *text)
{
	fputs(text, stdout);
	return EXIT_HELD;
}

int parse_inject(const char *list, uint64_t *mask)
{
	char bad[64];

	if (mmt_inject_parse(list, mask, bad, sizeof(bad))) {
		fprintf(stderr, "mmtorture: unknown bug '%s' (see mmtorture inject --list)\n", bad);
		return -1;
	}
	return 0;
}

int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

int parse_seconds(const char *s, double *v)
{
	char *end;

	if (!s || !*s)
		return -1;
	*v = strtod(s, &end);
	return *end || !(*v > 0) ? -1 : 0;
}

int load(const char *path, struct mmt_program *p)
{
	struct mmt_parse_error err;

	mmt_program_init(p);
	if (mmt_parse_file(path, p, &err)) {
		fprintf(stderr, "%s:%u:%u: %s\n", path, err.line, err.col, err.msg);
		mmt_program_free(p);
		return -1;
	}
	return 0;
}

int env_tasks(int def)
{
	const char *s = getenv("MMT_FUZZ_TASKS");
	int n = s && *s ? atoi(s) : 0;

	return n >= 1 && n <= MMT_MAX_TASKS ? n : def;
}

int hunt_finish(const struct mmt_hunt_opts *o, int err, const struct mmt_hunt_result *res)
{
	if (err == -ENOMEM)
		return EXIT_FAILED;
	if (err)
		return EXIT_USAGE;
	mmt_hunt_print_result(stdout, o, res);
	if (o->inject)
		return res->found ? EXIT_HELD : EXIT_FAILED;
	return res->found ? EXIT_FAILED : EXIT_HELD;
}
