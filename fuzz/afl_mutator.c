// SPDX-License-Identifier: MIT
/*
 * afl_mutator.c - the structure-aware mutator (mutate.h) as an AFL++ custom
 * mutator library: AFL_CUSTOM_MUTATOR_LIBRARY=.../libmmt_afl_mutator.so.
 *
 * Debian's afl++ ships no custom-mutator header, so the afl_state_t pointer
 * handed to afl_custom_init is kept opaque and never dereferenced; only the
 * documented entry points are defined.  MMT_FUZZ_TASKS gives the number of
 * tasks, as for the harness.  AFL++ keeps running its own havoc stage too
 * (unless AFL_CUSTOM_MUTATOR_ONLY is set); the fallback here is a plain
 * bit flip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/mutate.h"

struct mmt_afl {
	void *afl;		/* afl_state_t *, opaque */
	struct mmt_mutator m;
	int max_tasks;
	uint8_t *buf;
	size_t cap;
};

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

static size_t flip(uint8_t *data, size_t size, size_t max_size, void *arg)
{
	struct mmt_afl *a = arg;

	(void)max_size;
	if (size) {
		uint64_t r = a->m.state * 0x9e3779b97f4a7c15ull + size;

		data[(r >> 8) % size] ^= (uint8_t)(1u << (r & 7));
	}
	return size;
}

void *afl_custom_init(void *afl, unsigned int seed)
{
	struct mmt_afl *a = calloc(1, sizeof(*a));
	const char *s = getenv("MMT_FUZZ_TASKS");

	if (!a)
		return NULL;
	a->afl = afl;
	a->max_tasks = s && atoi(s) > 0 ? atoi(s) : 1;
	mmt_mutator_init(&a->m, seed, flip, a);
	return a;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
	struct mmt_afl *a = data;

	if (a->cap < max_size) {
		uint8_t *b = realloc(a->buf, max_size);

		if (!b) {
			*out_buf = buf;
			return buf_size;
		}
		a->buf = b;
		a->cap = max_size;
	}
	if (buf_size > max_size)
		buf_size = max_size;
	memcpy(a->buf, buf, buf_size);
	*out_buf = a->buf;
	return mmt_mutate(&a->m, a->buf, buf_size, max_size, a->max_tasks, add_buf, add_buf_size);
}

void afl_custom_deinit(void *data)
{
	struct mmt_afl *a = data;

	if (a) {
		free(a->buf);
		free(a);
	}
}
