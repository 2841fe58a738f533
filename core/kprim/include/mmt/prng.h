/* SPDX-License-Identifier: MIT */
/*
 * prng.h - the one pseudo-random generator every seeded part of mmtorture
 * uses (program generator, scheduler deciders, mutator, stress): splitmix64,
 * so that a seed means the same stream everywhere and results replay.
 */
#ifndef MMT_PRNG_H
#define MMT_PRNG_H

#include <stdint.h>

static inline uint64_t mmt_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif /* MMT_PRNG_H */
