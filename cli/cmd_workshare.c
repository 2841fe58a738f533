// SPDX-License-Identifier: MIT
/*
 * cmd_workshare.c - mmtorture workshare [--from gen|bytes] [--count N] [--seed S] [--json]
 *
 * How much of what the generator and the byte decoder make does something
 * (workshare.h): the benchmark's measure of resource-aware generation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mmt/decode.h"
#include "mmt/gen.h"
#include "mmt/prng.h"
#include "mmt/workshare.h"

static const char workshare_help[] =
	"usage: mmtorture workshare [--from gen|bytes] [--count N] [--seed S] [--json]\n"
	"\n"
	"Make COUNT programs (default 1000) from SEED (default 1), either with the uniform\n"
	"generator (gen, the naive engine's and `mmtorture gen`'s) or by decoding random\n"
	"bytes as a fuzzer's first inputs are (bytes, single task), run each once with the\n"
	"checker off, and print per op the share that worked: returned data, stored it, or\n"
	"changed the processes' mappings, page tables or page contents.  --json prints\n"
	"the same as one JSON object (tools/bench.py --workshare records it).\n"
	"\n"
	"exit status: 0 measured, 1 out of memory, 2 a malformed command line\n";

#define BYTES_LEN	(2 + 4 * 48)

static int one_program(bool bytes, uint64_t seed, struct mmt_program *p)
{
	struct mmt_gen_opts go;

	if (bytes) {
		struct mmt_decode_opts dopts = { .max_tasks = 1 };
		uint8_t buf[BYTES_LEN];
		uint64_t s = seed;

		for (size_t i = 0; i < sizeof(buf); i += 8) {
			uint64_t v = mmt_splitmix64(&s);

			memcpy(buf + i, &v, sizeof(buf) - i < 8 ? sizeof(buf) - i : 8);
		}
		buf[1] = 32;	/* a program of the generator's length */
		return mmt_decode(buf, sizeof(buf), p, &dopts);
	}
	mmt_gen_opts_default(&go);
	mmt_program_init(p);
	return mmt_gen_random(p, seed, &go);
}

static double share(unsigned long a, unsigned long b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

int cmd_workshare(int argc, char **argv)
{
	struct mmt_work_stats *st;
	unsigned long tot = 0, wk = 0;
	uint64_t count = 1000, seed = 1, v;
	bool bytes = false, json = false;
	int i, ret = EXIT_HELD;

	if (wants_help(argc, argv))
		return print_help(workshare_help);
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
			continue;
		}
		if (i + 1 >= argc)
			return usage_error("workshare: '%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "--from")) {
			if (strcmp(argv[i + 1], "gen") && strcmp(argv[i + 1], "bytes"))
				return usage_error("workshare: --from gen or bytes, not '%s'", argv[i + 1]);
			bytes = !strcmp(argv[++i], "bytes");
			continue;
		}
		if (parse_u64(argv[i + 1], &v))
			return usage_error("workshare: bad number '%s'", argv[i + 1]);
		if (!strcmp(argv[i], "--count") && v && v <= 10000000)
			count = v;
		else if (!strcmp(argv[i], "--seed"))
			seed = v;
		else
			return usage_error("workshare: bad option '%s'", argv[i]);
		i++;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return EXIT_FAILED;
	for (uint64_t k = 0; k < count; k++) {
		struct mmt_program p;
		uint64_t s = seed * 1000003u + k;

		if (one_program(bytes, mmt_splitmix64(&s), &p) || mmt_work_measure(&p, st)) {
			mmt_program_free(&p);
			ret = EXIT_FAILED;
			goto out;
		}
		mmt_program_free(&p);
	}
	for (int c = 0; c < NR_MMT_OPCODES; c++) {
		tot += st->ops[c];
		wk += st->worked[c];
	}
	if (json) {
		const char *sep = "";

		printf("{\"from\": \"%s\", \"programs\": %lu, \"seed\": %llu, \"ops\": %lu, "
		       "\"worked\": %lu, \"share\": %.1f, \"access_share\": %.1f, \"per_op\": {",
		       bytes ? "bytes" : "gen", st->programs, (unsigned long long)seed, tot, wk,
		       share(wk, tot),
		       share(st->worked[OP_READ] + st->worked[OP_WRITE],
			     st->ops[OP_READ] + st->ops[OP_WRITE]));
		for (int c = 0; c < NR_MMT_OPCODES; c++) {
			if (!st->ops[c])
				continue;
			printf("%s\"%s\": [%lu, %lu]", sep, mmt_opcode_name(c), st->worked[c], st->ops[c]);
			sep = ", ";
		}
		printf("}, \"large_folio_programs\": %lu}\n", st->large);
		goto out;
	}
	printf("%lu programs from %s, seed %llu\n", st->programs, bytes ? "random bytes" : "gen",
	       (unsigned long long)seed);
	printf("%-10s %8s %8s %7s\n", "op", "ops", "worked", "share");
	for (int c = 0; c < NR_MMT_OPCODES; c++)
		if (st->ops[c])
			printf("%-10s %8lu %8lu %6.1f%%\n", mmt_opcode_name(c), st->ops[c],
			       st->worked[c], share(st->worked[c], st->ops[c]));
	printf("%-10s %8lu %8lu %6.1f%%\n", "all", tot, wk, share(wk, tot));
	printf("programs that mapped a large folio: %lu of %lu (%.1f%%)\n", st->large,
	       st->programs, share(st->large, st->programs));
out:
	free(st);
	return ret;
}
