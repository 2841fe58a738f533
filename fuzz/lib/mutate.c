// SPDX-License-Identifier: MIT
/*
 * mutate.c - structure-aware mutation of fuzzer inputs (see mutate.h).
 *
 * An input is split into its parts (world byte, records, schedule tail),
 * one structural edit is made, and the parts are put back together within
 * the size limit (the tail is cut first, then records from the end).
 */
#include <string.h>

#include "mmt/decode.h"
#include "mmt/mutate.h"
#include "mmt/prng.h"

#define MAX_TAIL 4096

struct input {
	uint8_t world;
	uint8_t small_device;	/* bit 7 of byte 1 (decode.h) */
	bool pmd;		/* a PMD world: byte 1's count past MMT_DECODE_MAX_OPS */
	int nrec;
	uint8_t rec[MMT_DECODE_MAX_OPS][MMT_DECODE_RECORD];
	size_t ntail;
	uint8_t tail[MAX_TAIL];
};

static uint64_t next(struct mmt_mutator *m)
{
	return mmt_splitmix64(&m->state);
}

static unsigned rnd(struct mmt_mutator *m, unsigned n)
{
	return n ? (unsigned)(next(m) % n) : 0;
}

void mmt_mutator_init(struct mmt_mutator *m, uint64_t seed, mmt_mutate_fallback fb, void *arg)
{
	memset(m, 0, sizeof(*m));
	m->state = seed;
	m->fallback = fb;
	m->arg = arg;
	m->fallback_pct = 15;
	m->schedule_pct = 40;
}

void mmt_mutator_reseed(struct mmt_mutator *m, uint64_t seed)
{
	m->state ^= seed * 0x2545f4914f6cdd1dull;
}

static void split(const uint8_t *data, size_t size, struct input *in)
{
	size_t pos = 2, nops;

	in->world = size > 0 ? data[0] : 0;
	nops = size > 1 ? data[1] & 0x7f : 0;
	in->small_device = size > 1 ? data[1] & 0x80 : 0;
	in->pmd = nops > MMT_DECODE_MAX_OPS;
	if (in->pmd)
		nops -= MMT_DECODE_MAX_OPS;
	in->nrec = 0;
	while ((size_t)in->nrec < nops && in->nrec < MMT_DECODE_MAX_OPS &&
	       pos + MMT_DECODE_RECORD <= size) {
		memcpy(in->rec[in->nrec++], data + pos, MMT_DECODE_RECORD);
		pos += MMT_DECODE_RECORD;
	}
	in->ntail = size > pos ? size - pos : 0;
	if (in->ntail > MAX_TAIL)
		in->ntail = MAX_TAIL;
	if (in->ntail)
		memcpy(in->tail, data + pos, in->ntail);
}

static size_t join(const struct input *in, uint8_t *out, size_t max)
{
	int nrec = in->nrec;
	size_t ntail = in->ntail, n = 0;

	if (max < 2)
		return 0;
	if (in->pmd && nrec > MMT_DECODE_MAX_OPS - 1)
		nrec = MMT_DECODE_MAX_OPS - 1;	/* a PMD world's count says 1..63 */
	while (nrec > 0 && 2 + (size_t)nrec * MMT_DECODE_RECORD > max)
		nrec--;
	if (2 + (size_t)nrec * MMT_DECODE_RECORD + ntail > max) {
		ntail = max - 2 - (size_t)nrec * MMT_DECODE_RECORD;
		ntail -= ntail % MMT_DECODE_SWITCH;	/* no half switch record */
	}
	out[n++] = in->world;
	/* a PMD world with no record claims one (a lone switch is too short to read as one) */
	out[n++] = (uint8_t)(in->pmd ? MMT_DECODE_MAX_OPS + (nrec ? nrec : 1) : nrec) |
		   in->small_device;
	memcpy(out + n, in->rec, (size_t)nrec * MMT_DECODE_RECORD);
	n += (size_t)nrec * MMT_DECODE_RECORD;
	memcpy(out + n, in->tail, ntail);
	return n + ntail;
}

static void random_record(struct mmt_mutator *m, uint8_t r[4])
{
	uint64_t v = next(m);

	memcpy(r, &v, 4);
	/* small values and low pages are where the interesting collisions are */
	if (rnd(m, 2))
		r[1] &= 0x1f;
	if (rnd(m, 2))
		r[2] &= 0x07;
}

static void insert_records(struct input *in, int at, const uint8_t (*src)[4], int n)
{
	if (in->nrec + n > MMT_DECODE_MAX_OPS)
		n = MMT_DECODE_MAX_OPS - in->nrec;
	if (n <= 0)
		return;
	memmove(in->rec[at + n], in->rec[at], (size_t)(in->nrec - at) * MMT_DECODE_RECORD);
	memmove(in->rec[at], src, (size_t)n * MMT_DECODE_RECORD);
	in->nrec += n;
}

static void delete_records(struct input *in, int at, int n)
{
	if (at + n > in->nrec)
		n = in->nrec - at;
	memmove(in->rec[at], in->rec[at + n], (size_t)(in->nrec - at - n) * MMT_DECODE_RECORD);
	in->nrec -= n;
}

/* change one argument field of record @r */
static void tweak(struct mmt_mutator *m, uint8_t r[4])
{
	switch (rnd(m, 10)) {
	case 0:			/* op kind */
		r[0] = (uint8_t)((r[0] & 0xe0) | rnd(m, 32));
		break;
	case 1:			/* task */
		r[0] = (uint8_t)((r[0] & 0x1f) | (rnd(m, 8) << 5));
		break;
	case 2:			/* process */
		r[1] = (uint8_t)((r[1] & ~3u) | rnd(m, 4));
		break;
	case 3:			/* page: random, or a neighbour */
		if (rnd(m, 2))
			r[1] = (uint8_t)((r[1] & 0x83) | (rnd(m, 32) << 2));
		else
			r[1] = (uint8_t)((r[1] & 0x83) | ((((r[1] >> 2) + (rnd(m, 2) ? 1 : 31)) & 31) << 2));
		break;
	case 4:			/* migrate's 'all' bit / mremap or remap_file_pages */
		r[1] ^= 0x80;
		break;
	case 5:			/* length */
		r[2] = (uint8_t)((r[2] & ~7u) | rnd(m, 8));
		break;
	case 6:			/* prot / mremap length / remap_file_pages offset */
		r[2] = (uint8_t)((r[2] & ~0x18u) | (rnd(m, 4) << 3));
		break;
	case 7:			/* mmap flags / swapoff bit / remap_file_pages' offset mode */
		r[2] = (uint8_t)((r[2] & 0x1f) | (rnd(m, 8) << 5));
		break;
	case 8:			/* value: small, +-1, or random */
		switch (rnd(m, 3)) {
		case 0: r[3] = (uint8_t)rnd(m, 4); break;
		case 1: r[3] = (uint8_t)(r[3] + (rnd(m, 2) ? 1 : 255)); break;
		default: r[3] = (uint8_t)next(m); break;
		}
		break;
	default:		/* a bit anywhere */
		r[rnd(m, 4)] ^= (uint8_t)(1u << rnd(m, 8));
		break;
	}
}

/*
 * The tail is switch records (decode.h), sorted by decision point when
 * decoded: editing one record moves, adds or removes one switch and leaves
 * the others where they are.
 */
static unsigned nswitch(const struct input *in)
{
	return (unsigned)(in->ntail / MMT_DECODE_SWITCH);
}

static uint8_t *switch_rec(struct input *in, unsigned i)
{
	return in->tail + (size_t)i * MMT_DECODE_SWITCH;
}

/* the task the records want at decision point @at (0 before the first) */
static int task_at(struct input *in, unsigned at, int ntasks)
{
	unsigned best = 0;
	int task = 0;
	bool found = false;

	for (unsigned i = 0; i < nswitch(in); i++) {
		unsigned a = mmt_switch_at(switch_rec(in, i));

		/* ties: the later record wins, as in the decoder */
		if (a <= at && (!found || a >= best)) {
			best = a;
			task = mmt_switch_task(switch_rec(in, i), ntasks);
			found = true;
		}
	}
	return task;
}

static int other_task(struct mmt_mutator *m, int task, int ntasks)
{
	return (task + 1 + (int)rnd(m, (unsigned)ntasks - 1)) % ntasks;
}

static unsigned clamp_at(long at)
{
	return at < 0 ? 0 : at > MMT_DECODE_MAX_AT ? MMT_DECODE_MAX_AT : (unsigned)at;
}

/* a small step either way: the race windows are a few decisions wide */
static long step(struct mmt_mutator *m)
{
	long d = 1 + (long)rnd(m, rnd(m, 2) ? 4 : 32);

	return rnd(m, 2) ? d : -d;
}

/*
 * Where a new switch goes.  When the caller knows how many decision points
 * the input's run took, uniformly over them (and a little past), as PCT
 * draws its change points: the races' windows are a decision or two wide,
 * so every point past the end of the run is a wasted draw.  Otherwise
 * mostly in the first 256 (the runs of this world's programs are a few
 * hundred long).  Sometimes next to an existing switch, sometimes anywhere.
 */
static unsigned fresh_at(struct mmt_mutator *m, struct input *in)
{
	unsigned r = rnd(m, 8);

	if (r < 5) {
		if (m->horizon && m->horizon <= MMT_DECODE_MAX_AT)
			return rnd(m, (unsigned)(m->horizon + m->horizon / 8 + 1));
		return rnd(m, MMT_DECODE_NEAR);
	}
	if (r < 7 && nswitch(in))
		return clamp_at((long)mmt_switch_at(switch_rec(in, rnd(m, nswitch(in)))) + step(m));
	return rnd(m, 4 * MMT_DECODE_NEAR);
}

static void insert_switch(struct input *in, int task, unsigned at)
{
	size_t pos = in->ntail;

	if (nswitch(in) >= MMT_DECODE_MAX_SWITCHES || pos + MMT_DECODE_SWITCH > MAX_TAIL)
		return;
	mmt_switch_make(in->tail + pos, task, at);
	in->ntail = pos + MMT_DECODE_SWITCH;
}

/*
 * A fresh PCT schedule: one to three change points drawn over the run,
 * each handing the CPU to another task.  Races of depth d need d - 1 of
 * them at once; built one edit at a time, the in-between schedules rarely
 * look new to the fuzzer, so the whole draw is one edit.
 */
static void pct_tail(struct mmt_mutator *m, struct input *in, int ntasks)
{
	unsigned d = 1 + rnd(m, 3), at[3];
	int task = 0;

	for (unsigned i = 0; i < d; i++) {
		at[i] = m->horizon && m->horizon <= MMT_DECODE_MAX_AT ?
			rnd(m, (unsigned)(m->horizon + 1)) : rnd(m, MMT_DECODE_NEAR);
		for (unsigned j = i; j > 0 && at[j] < at[j - 1]; j--) {
			unsigned t = at[j];

			at[j] = at[j - 1];
			at[j - 1] = t;
		}
	}
	in->ntail = 0;
	for (unsigned i = 0; i < d; i++) {
		task = other_task(m, task, ntasks);
		insert_switch(in, task, at[i]);
	}
}

static void edit_tail(struct mmt_mutator *m, struct input *in, int max_tasks)
{
	unsigned n, i, at, r;

	if (rnd(m, 2)) {
		pct_tail(m, in, max_tasks);
		return;
	}
	r = rnd(m, 16);
	in->ntail -= in->ntail % MMT_DECODE_SWITCH;	/* whole records from here on */
	n = nswitch(in);
	if (!n && r >= 7)
		r = rnd(m, 7);		/* nothing to edit: insert */
	i = n ? rnd(m, n) : 0;
	if (r < 5) {			/* a switch to another task */
		at = fresh_at(m, in);
		insert_switch(in, other_task(m, task_at(in, at, max_tasks), max_tasks), at);
	} else if (r < 7) {		/* a preemption: another task for a while, then back */
		unsigned len = 1 + rnd(m, rnd(m, 2) ? 8 : 64);
		int back;

		at = fresh_at(m, in);
		back = task_at(in, clamp_at((long)at + len), max_tasks);
		insert_switch(in, other_task(m, task_at(in, at, max_tasks), max_tasks), at);
		insert_switch(in, back, clamp_at((long)at + len));
	} else if (r < 9) {		/* delete one */
		memmove(switch_rec(in, i), switch_rec(in, i + 1),
			(size_t)(n - i - 1) * MMT_DECODE_SWITCH);
		in->ntail -= MMT_DECODE_SWITCH;
	} else if (r < 13) {		/* move one: a step, or anywhere */
		uint8_t *rec = switch_rec(in, i);

		at = rnd(m, 3) ? clamp_at((long)mmt_switch_at(rec) + step(m)) : fresh_at(m, in);
		mmt_switch_make(rec, rec[0] & 7, at);
	} else if (r < 15) {		/* another task for one switch */
		uint8_t *rec = switch_rec(in, i);

		mmt_switch_make(rec, other_task(m, mmt_switch_task(rec, max_tasks), max_tasks),
				mmt_switch_at(rec));
	} else {			/* cut: fewer switches */
		in->ntail = (size_t)i * MMT_DECODE_SWITCH;
	}
}

size_t mmt_mutate(struct mmt_mutator *m, uint8_t *data, size_t size, size_t max_size,
		  int max_tasks, const uint8_t *other, size_t other_size)
{
	static struct input in, o;	/* big: keep them off the stack (not reentrant) */
	int at, n, tasks;

	if (max_size < 2)
		return m->fallback ? m->fallback(data, size, max_size, m->arg) : size;
	if (m->fallback && rnd(m, 100) < m->fallback_pct)
		return m->fallback(data, size, max_size, m->arg);
	split(data, size, &in);
	if (max_tasks < 1)
		max_tasks = 1;
	/* the tasks the decoder will give this input: its schedule matters only with two */
	tasks = 1 + ((in.world >> 5) & 7);
	if (tasks > max_tasks)
		tasks = max_tasks;
	if (tasks > 1 && rnd(m, 100) < m->schedule_pct) {
		edit_tail(m, &in, tasks);
		return join(&in, data, max_size);
	}
	switch (rnd(m, 8)) {
	case 0:			/* insert a fresh record */
		if (in.nrec < MMT_DECODE_MAX_OPS) {
			uint8_t r[1][4];

			random_record(m, r[0]);
			insert_records(&in, (int)rnd(m, (unsigned)in.nrec + 1), r, 1);
			break;
		}
		/* fall through */
	case 1:			/* delete one or a few */
		if (in.nrec) {
			n = rnd(m, 4) ? 1 : 1 + (int)rnd(m, 4);
			delete_records(&in, (int)rnd(m, (unsigned)in.nrec), n);
		}
		break;
	case 2: {		/* duplicate one record, sometimes many times */
		uint8_t r[32][4];

		if (!in.nrec)
			break;
		at = (int)rnd(m, (unsigned)in.nrec);
		n = rnd(m, 3) ? 1 : 1 + (int)rnd(m, 32);
		for (int i = 0; i < n; i++)
			memcpy(r[i], in.rec[at], 4);
		insert_records(&in, at, (const uint8_t (*)[4])r, n);
		break;
	}
	case 3:			/* swap two records */
		if (in.nrec > 1) {
			uint8_t t[4];
			int a = (int)rnd(m, (unsigned)in.nrec), b = (int)rnd(m, (unsigned)in.nrec);

			memcpy(t, in.rec[a], 4);
			memcpy(in.rec[a], in.rec[b], 4);
			memcpy(in.rec[b], t, 4);
		}
		break;
	case 4:			/* splice a run of records from the other input */
		if (other && other_size > 2) {
			split(other, other_size, &o);
			if (o.nrec) {
				int from = (int)rnd(m, (unsigned)o.nrec);

				n = 1 + (int)rnd(m, (unsigned)(o.nrec - from));
				insert_records(&in, (int)rnd(m, (unsigned)in.nrec + 1),
					       (const uint8_t (*)[4])o.rec[from], n);
				break;
			}
		}
		/* fall through */
	case 5:
	case 6:			/* tweak an argument */
		if (in.nrec) {
			tweak(m, in.rec[rnd(m, (unsigned)in.nrec)]);
			break;
		}
		/* fall through */
	default:		/* the world, and the device's size */
		switch (rnd(m, 9)) {
		case 8:
			in.small_device ^= 0x80;
			break;
		case 7:
			in.pmd = !in.pmd;	/* a PMD world, or not any more */
			break;
		default:
			in.world ^= (uint8_t)(1u << rnd(m, 8));
			break;
		}
		break;
	}
	return join(&in, data, max_size);
}

size_t mmt_crossover(struct mmt_mutator *m, const uint8_t *a, size_t na, const uint8_t *b,
		     size_t nb, uint8_t *out, size_t max_out)
{
	static struct input x, y, z;
	int i = 0, j = 0;

	split(a, na, &x);
	split(b, nb, &y);
	z.world = rnd(m, 2) ? x.world : y.world;
	z.pmd = rnd(m, 2) ? x.pmd : y.pmd;
	z.small_device = rnd(m, 2) ? x.small_device : y.small_device;
	z.nrec = 0;
	/* a merge of the two op sequences, each in its own order */
	while ((i < x.nrec || j < y.nrec) && z.nrec < MMT_DECODE_MAX_OPS) {
		bool take_x = j >= y.nrec || (i < x.nrec && rnd(m, 2));

		memcpy(z.rec[z.nrec++], take_x ? x.rec[i++] : y.rec[j++], 4);
	}
	/* one input's switches, or both (the decoder sorts them) */
	switch (rnd(m, 3)) {
	case 0:
		z.ntail = x.ntail;
		memcpy(z.tail, x.tail, x.ntail);
		break;
	case 1:
		z.ntail = y.ntail;
		memcpy(z.tail, y.tail, y.ntail);
		break;
	default:
		z.ntail = x.ntail - x.ntail % MMT_DECODE_SWITCH;
		memcpy(z.tail, x.tail, z.ntail);
		for (size_t k = 0; k + MMT_DECODE_SWITCH <= y.ntail &&
		     z.ntail / MMT_DECODE_SWITCH < MMT_DECODE_MAX_SWITCHES; k += MMT_DECODE_SWITCH) {
			memcpy(z.tail + z.ntail, y.tail + k, MMT_DECODE_SWITCH);
			z.ntail += MMT_DECODE_SWITCH;
		}
		break;
	}
	return join(&z, out, max_out);
}
