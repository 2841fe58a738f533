// SPDX-License-Identifier: MIT
/*
 * fuzzrun.c - one fuzzer input, decoded and run (see fuzzrun.h).
 */
#include <stdlib.h>
#include <string.h>

#include "mmt/decode.h"
#include "mmt/fuzzrun.h"
#include "mmt/minimize.h"
#include "mmt/sched.h"

int mmt_fuzz_pct_runs(void)
{
	const char *s = getenv("MMT_FUZZ_PCT");
	char *end;
	long n;

	if (!s || !*s)
		return MMT_FUZZ_PCT_RUNS;
	n = strtol(s, &end, 10);
	if (*end || n < 0 || n > 64)
		return MMT_FUZZ_PCT_RUNS;
	return (int)n;
}

/* FNV-1a: the PCT seeds must follow the bytes and nothing else */
uint64_t mmt_fuzz_hash(const uint8_t *data, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	return h;
}

int mmt_fuzz_run(const uint8_t *data, size_t size, struct mmt_fuzz_run *fr,
		 struct mmt_program *p, struct mmt_exec_result *r)
{
	struct mmt_decode_opts d = { .max_tasks = fr->max_tasks };
	struct mmt_exec_opts o;

	if (mmt_decode(data, size, p, &d)) {
		mmt_program_free(p);
		return -1;
	}
	if (fr->exec) {
		o = *fr->exec;
	} else {
		mmt_exec_opts_default(&o);
		o.teardown = true;
	}
	/* a fuzzer's switch records are wishes, not a recording */
	o.lenient_schedule = true;
	o.decider = NULL;
	fr->run = 0;
	fr->hash = mmt_fuzz_hash(data, size);
	mmt_exec(p, &o, r);
	fr->decisions = r->nr_schedule;

	if (fr->max_tasks > 1 && r->status == EXEC_PASS && fr->pct_runs > 0 && r->nr_schedule) {
		for (int j = 1; j <= fr->pct_runs && r->status == EXEC_PASS; j++) {
			uint64_t seed = fr->hash + (uint64_t)j * 0x9e3779b97f4a7c15ull;
			struct mmt_decider_pct dp;

			mmt_exec_result_free(r);
			mmt_decider_pct_init(&dp, seed, fr->max_tasks, 2 + (int)(seed % 3),
					     fr->decisions);
			o.decider = &dp.d;
			mmt_exec(p, &o, r);
			fr->run = j;
		}
	}
	/* the program as it ran: its schedule is the one the reported run took */
	if (mmt_set_schedule(p, fr->max_tasks > 1 ? r->schedule : NULL,
			     fr->max_tasks > 1 ? r->nr_schedule : 0)) {
		mmt_exec_result_free(r);
		mmt_program_free(p);
		return -1;
	}
	return 0;
}

int mmt_fuzz_reproduce(const uint8_t *data, size_t size, int tasks, uint64_t inject,
		       struct mmt_program *p, struct mmt_exec_result *r)
{
	struct mmt_fuzz_run fr = { .max_tasks = tasks, .pct_runs = mmt_fuzz_pct_runs() };
	struct mmt_exec_opts o;

	mmt_exec_opts_default(&o);
	o.inject = inject;
	o.teardown = true;
	fr.exec = &o;
	return mmt_fuzz_run(data, size, &fr, p, r);
}
