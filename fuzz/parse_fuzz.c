// SPDX-License-Identifier: MIT
/*
 * parse_fuzz.c - libFuzzer target over the .mmt reader: any bytes either
 * fail to parse (with a position) or parse into a program whose canonical
 * text parses back to the same text.  Run under ASan+UBSan by CTest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/program.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mmt_program p, q;
	struct mmt_parse_error err;
	char *t1, *t2;

	if (mmt_parse((const char *)data, size, &p, &err)) {
		if (err.line < 1 || err.col < 1 || !err.msg[0]) {
			fprintf(stderr, "parse error without a position or message\n");
			abort();
		}
		return 0;
	}
	t1 = mmt_print_string(&p);
	if (!t1) {
		fprintf(stderr, "a parsed program has no text form\n");
		abort();
	}
	if (mmt_parse(t1, strlen(t1), &q, &err)) {
		fprintf(stderr, "canonical text does not parse: %u:%u: %s\n%s", err.line, err.col,
			err.msg, t1);
		abort();
	}
	t2 = mmt_print_string(&q);
	if (!t2 || strcmp(t1, t2)) {
		fprintf(stderr, "print(parse(print(p))) != print(p):\n%s---\n%s", t1, t2 ? t2 : "");
		abort();
	}
	free(t1);
	free(t2);
	mmt_program_free(&q);
	mmt_program_free(&p);
	return 0;
}
