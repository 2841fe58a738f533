// SPDX-License-Identifier: MIT
/*
 * sched.c - seeded decision sources for the deterministic scheduler (sched.h).
 *
 * Both deciders use splitmix64 (prng.h), so a seed gives the same
 * interleaving on every machine and C library.
 *
 * PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010), adapted to
 * the scheduler's decision points:
 *
 *   - each of the n tasks gets a distinct initial priority, a random
 *     permutation of d .. d+n-1 (all above any priority a change point
 *     hands out);
 *   - d-1 change points are drawn uniformly from [0, est_steps), where a
 *     step is one call of pick();
 *   - at every step, if the step is a change point, the task that reached
 *     the decision point (the running task; if it just finished, the task
 *     that would run next) gets a priority lower than every priority so
 *     far: d-1, then d-2, ... (the paper hands out 1, 2, ...; either way a
 *     preempted task stays below the tasks that were never preempted, and
 *     the brief asks for "lowest so far");
 *   - the highest-priority runnable task runs.
 *
 * A bug of depth d (d ordering constraints) among n tasks and k steps is
 * then hit with probability at least 1/(n k^(d-1)) per run.
 */
#include <string.h>

#include "mmt/sched.h"
#include "mmt/prng.h"

/* uniform in [0, n), n > 0 (the bias of a 64-bit modulo is negligible here) */
static uint64_t below(uint64_t *s, uint64_t n)
{
	return n ? mmt_splitmix64(s) % n : 0;
}

/* ---------------------------------------------------------- random walk */

static int random_pick(struct kp_decider *d, const int *ids, int nr, int cur)
{
	struct mmt_decider_random *r = (struct mmt_decider_random *)d;

	(void)cur;
	return ids[below(&r->state, (uint64_t)nr)];
}

void mmt_decider_random_init(struct mmt_decider_random *r, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	r->d.pick = random_pick;
	r->state = seed ^ 0x72616e64ull;	/* "rand" */
}

/* ------------------------------------------------------------------ PCT */

static int pct_best(const struct mmt_decider_pct *p, const int *ids, int nr)
{
	int best = ids[0];

	for (int i = 1; i < nr; i++)
		if (p->prio[ids[i]] > p->prio[best])
			best = ids[i];
	return best;
}

static int pct_pick(struct kp_decider *d, const int *ids, int nr, int cur)
{
	struct mmt_decider_pct *p = (struct mmt_decider_pct *)d;
	unsigned long step = p->step++;

	for (int i = 0; i < p->nr_changes; i++) {
		int victim;

		if (p->change_at[i] != step)
			continue;
		victim = cur >= 0 && cur < KP_MAX_TASKS ? cur : pct_best(p, ids, nr);
		p->prio[victim] = p->next_low--;
	}
	return pct_best(p, ids, nr);
}

void mmt_decider_pct_init(struct mmt_decider_pct *p, uint64_t seed, int ntasks, int depth,
			  unsigned long est_steps)
{
	int perm[KP_MAX_TASKS];

	memset(p, 0, sizeof(*p));
	p->d.pick = pct_pick;
	p->state = seed ^ 0x706374ull;		/* "pct" */
	if (ntasks < 1)
		ntasks = 1;
	if (ntasks > KP_MAX_TASKS)
		ntasks = KP_MAX_TASKS;
	if (depth < 1)
		depth = 1;
	if (depth > MMT_PCT_MAX_DEPTH)
		depth = MMT_PCT_MAX_DEPTH;
	if (!est_steps)
		est_steps = 1;

	/* Fisher-Yates: a random permutation of d .. d+n-1 */
	for (int i = 0; i < ntasks; i++)
		perm[i] = depth + i;
	for (int i = ntasks - 1; i > 0; i--) {
		int j = (int)below(&p->state, (uint64_t)i + 1), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (int i = 0; i < KP_MAX_TASKS; i++)
		p->prio[i] = i < ntasks ? perm[i] : -1000 - i;	/* tasks past n: never first */

	p->nr_changes = depth - 1;
	for (int i = 0; i < p->nr_changes; i++)
		p->change_at[i] = (unsigned long)below(&p->state, est_steps);
	p->next_low = depth - 1;
}
