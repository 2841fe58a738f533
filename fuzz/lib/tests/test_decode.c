/* SPDX-License-Identifier: MIT */
/*
 * test_decode.c - fuzzer bytes <-> programs (fuzz/lib/decode.c) and the
 * structure-aware mutator (fuzz/lib/mutate.c).
 *
 * Every byte string decodes to a program that prints and parses back to
 * the same program; encoding a decoded program gives bytes that decode to
 * the same program again; a mutated byte changes at most one op (unless it
 * touches an op that changes which processes or swap ids exist, whose
 * effect carries to later ops by design); several tasks give schedules.
 * All inputs come from fixed seeds.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/decode.h"
#include "mmt/exec.h"
#include "mmt/mutate.h"
#include "mmt/program.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void random_bytes(uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)rnd();
}

static struct mmt_program decode_or_fail(const uint8_t *buf, size_t n, int max_tasks)
{
	struct mmt_decode_opts o = { .max_tasks = max_tasks };
	struct mmt_program p;

	ck_assert_int_eq(mmt_decode(buf, n, &p, &o), 0);
	return p;
}

/* canonical text of @p; the test fails if it has none */
static char *text_of(const struct mmt_program *p)
{
	char *t = mmt_print_string(p);

	ck_assert_msg(t != NULL, "a decoded program has no text form");
	return t;
}

/*
 * two programs are the same when their canonical texts are; a written
 * program without mTHP decodes with the decoder's (thp=0x6), which changes
 * nothing until it madvises hugepage
 */
static void assert_same(const struct mmt_program *a, const struct mmt_program *b)
{
	struct mmt_program x = *a, y = *b;
	char *ta, *tb;

	if (x.world.present && y.world.present && !x.world.thp && y.world.thp == 0x6)
		x.world.thp = 0x6;
	if (x.world.present && y.world.present && !y.world.thp && x.world.thp == 0x6)
		y.world.thp = 0x6;
	ta = text_of(&x);
	tb = text_of(&y);

	ck_assert_str_eq(ta, tb);
	ck_assert_uint_eq(a->nr_ops, b->nr_ops);
	ck_assert_uint_eq(a->nr_schedule, b->nr_schedule);
	free(ta);
	free(tb);
}

/* ops of the same program, or of two programs whose names may be numbered differently */
static const struct mmt_program *names_a, *names_b;

static bool same_name(int a, int b)
{
	if (!names_a || !names_b)
		return a == b;
	return strcmp(names_a->names[a], names_b->names[b]) == 0;
}

static bool ops_equal(const struct mmt_op *a, const struct mmt_op *b)
{
	bool procs = true;

	if (a->code != OP_SWAPON && a->code != OP_SWAPOFF && a->code != OP_RECLAIM && a->code != OP_PAGE_IDLE &&
	    a->code != OP_KHUGEPAGED &&
	    a->code != OP_CHECK && a->code != OP_KSMD && a->code != OP_KSM_RUN &&
	    a->code != OP_KSM_MERGE_ACROSS_NODES)
		procs = same_name(a->proc, b->proc) &&
			(a->code != OP_FORK || same_name(a->proc2, b->proc2));
	return a->code == b->code && a->task == b->task && procs && a->prot == b->prot && a->mflags == b->mflags &&
	       a->advice == b->advice && a->all == b->all && a->addr == b->addr &&
	       a->len == b->len && a->addr2 == b->addr2 && a->len2 == b->len2 &&
	       a->value == b->value && a->node == b->node;
}

/*
 * The same op but for where it is aimed: a later op moves only in its
 * address, length and (migrate) node when an earlier op changed what the
 * decoder believes is mapped (decode.h, "aimed").
 */
static bool ops_same_shape(const struct mmt_op *a, const struct mmt_op *b)
{
	struct mmt_op x = *a, y = *b;

	x.addr = y.addr = x.len = y.len = 0;
	x.node = y.node = 0;
	/* uffd_move's source is aimed too */
	if (x.code == OP_UFFD_MOVE && y.code == OP_UFFD_MOVE)
		x.addr2 = y.addr2 = 0;
	/* and remap_file_pages' offset goes with its address */
	if (x.code == OP_REMAP_FILE_PAGES && y.code == OP_REMAP_FILE_PAGES)
		x.addr2 = y.addr2 = 0;
	return ops_equal(&x, &y);
}

/* ops that change which processes or swap ids exist for the ops after them */
static bool changes_liveness(const struct mmt_op *op)
{
	switch (op->code) {
	case OP_SPAWN:
	case OP_FORK:
	case OP_EXIT:
	case OP_SWAPON:
	case OP_SWAPOFF:
		return true;
	default:
		return false;
	}
}

/* ------------------------------------------------------------------------ */

START_TEST(empty_and_tiny_inputs)
{
	static const uint8_t one[1] = { 0xff };
	struct mmt_program p;

	p = decode_or_fail(NULL, 0, 1);
	ck_assert_uint_eq(p.nr_ops, 0);
	ck_assert(!p.has_schedule);
	free(text_of(&p));
	mmt_program_free(&p);

	p = decode_or_fail(one, 1, 8);
	ck_assert_uint_eq(p.nr_ops, 0);
	ck_assert_int_eq(p.world.nodes, 2);
	mmt_program_free(&p);
}
END_TEST

/*
 * @in decodes (one task) to @text, and the encoder's bytes for it decode to
 * the same program; their length, and with @enc the bytes themselves
 */
static size_t decodes_to_and_back(const uint8_t *in, size_t n, const char *text, uint8_t **enc)
{
	struct mmt_program p = decode_or_fail(in, n, 1), q;
	uint8_t *bytes;
	size_t len;
	char *t = text_of(&p), why[200];

	ck_assert_str_eq(t, text);
	free(t);
	ck_assert_msg(mmt_encode(&p, &bytes, &len, why, sizeof(why)) == 0, "%s", why);
	q = decode_or_fail(bytes, len, 1);
	assert_same(&p, &q);
	mmt_program_free(&q);
	mmt_program_free(&p);
	if (enc)
		*enc = bytes;
	else
		free(bytes);
	return len;
}

/*
 * A count past MMT_DECODE_MAX_OPS is a PMD world: thp=0x26, the window at
 * 0x20..0x3f, VMA lengths from 1..32; an aimed hugepage madvise covers its
 * page's whole mapped run, so one mmap, one madvise and a write map a PMD
 * THP.  A count up to 64 decodes as before.
 */
START_TEST(pmd_world)
{
	static const uint8_t in[] = {
		0x04, 64 + 4,
		27, 0x00, 0x00, 0x00,		/* spawn p0 */
		13, 0x00, 0x17, 0x00,		/* mmap, aimed at the first hole, 32 pages rw */
		21, 0x00, 0x00, 11,		/* madvise hugepage, aimed */
		7, 5 << 2, 0x00, 0x55,		/* write the sixth writable page */
	};
	uint8_t plain[sizeof(in)], *enc;
	struct mmt_program p;
	size_t len;
	char why[200];

	/* the canonical form is as long, and says PMD world the same way */
	ck_assert_uint_eq(decodes_to_and_back(in, sizeof(in),
		"mmt 1\nworld nodes=1 frames=64 swap=0 thp=0x26 thpalways=1\nspawn p0\n"
		"mmap p0 0x20 32 rw private|anon\nmadvise p0 0x20 32 hugepage\n"
		"write p0 0x25 0x55\n", &enc), sizeof(in));
	ck_assert_uint_eq(enc[1], 64 + 4);
	free(enc);

	memcpy(plain, in, sizeof(in));
	plain[1] = 4;
	p = decode_or_fail(plain, sizeof(plain), 1);
	ck_assert_uint_eq(p.world.thp, 0x6);
	ck_assert_uint_eq(p.ops[1].addr, MMT_DECODE_BASE);
	ck_assert_uint_eq(p.ops[1].len, 8);
	mmt_program_free(&p);

	/* lengths a PMD world cannot say are refused */
	p = decode_or_fail(in, sizeof(in), 1);
	p.ops[1].len = 7;
	ck_assert_int_ne(mmt_encode(&p, &enc, &len, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "a PMD world's are"));
	mmt_program_free(&p);
}
END_TEST

/*
 * A PMD world's twin: an mremap record moves the window's whole pmd to the
 * aligned pmd after it, and a uffd_move record brings it back into the
 * window mapped and registered again (a uffd_register covers the mapped
 * run): the whole-pmd moves uffd-move-huge-zeropage needs
 */
START_TEST(pmd_twin_moves)
{
	static const uint8_t in[] = {
		0x07, 64 + 8,
		0x00, 0x14, 0x00, 0x00,		/* spawn p0 */
		0x00, 0x14, 0x00, 0x00,		/* aimed, nothing mapped: the window */
		0x00, 0x14, 0x00, 0x00,		/* read, aimed */
		0x14, 0x00, 0x40, 0x00,		/* mremap, the twin: the window there */
		0x00, 0x14, 0x00, 0x00,		/* aimed, nothing mapped: the window */
		0x05, 0x14, 0x07, 0x03,		/* uffd_register, aimed: the mapped run */
		0x05, 0x80, 0x00, 0x0f,		/* uffd_move, the twin, holes: back */
		0x14, 0x00, 0x40, 0x01,		/* mremap, the twin, from the twin */
	};
	struct mmt_program p;
	uint8_t *enc;
	size_t len;
	char why[200];

	decodes_to_and_back(in, sizeof(in),
		"mmt 1\nworld nodes=2 frames=256 swap=0 thp=0x26 thpalways=1\n"
		"spawn p0\nmmap p0 0x20 32 rw private|anon\nread p0 0x25\n"
		"mremap p0 0x20 32 0x40 32\nmmap p0 0x20 32 rw private|anon\n"
		"uffd_register p0 0x20 32\nuffd_move p0 0x20 0x40 32 holes\n"
		"mremap p0 0x40 32 0x20 32\n", NULL);

	/* a whole-pmd move anywhere else has no record */
	p = decode_or_fail(in, sizeof(in), 1);
	p.ops[3].addr2 = 0x60;
	ck_assert_int_ne(mmt_encode(&p, &enc, &len, why, sizeof(why)), 0);
	mmt_program_free(&p);
}
END_TEST

/* random bytes: decode, print, parse, print again: the same program */
START_TEST(random_bytes_print_and_parse)
{
	uint8_t buf[600];

	rng_state = 0x9e3779b97f4a7c15ull + (uint64_t)_i;
	for (int iter = 0; iter < 2000; iter++) {
		size_t n = rnd() % sizeof(buf);
		int max_tasks = 1 + (int)(rnd() % 4);
		struct mmt_program p, q;
		struct mmt_parse_error err;
		char *text;

		random_bytes(buf, n);
		if (n > 1 && rnd() % 2)
			buf[1] = (uint8_t)(rnd() % 80);	/* all records present */
		p = decode_or_fail(buf, n, max_tasks);
		ck_assert_uint_le(p.nr_ops, MMT_DECODE_MAX_OPS);
		text = text_of(&p);
		mmt_program_init(&q);
		ck_assert_msg(mmt_parse(text, strlen(text), &q, &err) == 0,
			      "decoded program does not parse: %u:%u: %s\n%s", err.line, err.col,
			      err.msg, text);
		assert_same(&p, &q);
		names_a = &p;
		names_b = &q;
		for (size_t i = 0; i < p.nr_ops; i++)
			ck_assert_msg(ops_equal(&p.ops[i], &q.ops[i]),
				      "op %zu (%s) differs after print and parse: %d/%d %d/%d %d/%d %d/%d %d/%d %d/%d %d/%d "
				      "%llu/%llu %llu/%llu %llu/%llu %llu/%llu %llu/%llu %d/%d", i,
				      mmt_opcode_name(p.ops[i].code), p.ops[i].code, q.ops[i].code,
				      p.ops[i].task, q.ops[i].task, p.ops[i].proc, q.ops[i].proc,
				      p.ops[i].proc2, q.ops[i].proc2, p.ops[i].prot, q.ops[i].prot,
				      p.ops[i].mflags, q.ops[i].mflags, p.ops[i].advice, q.ops[i].advice,
				      (unsigned long long)p.ops[i].addr, (unsigned long long)q.ops[i].addr,
				      (unsigned long long)p.ops[i].len, (unsigned long long)q.ops[i].len,
				      (unsigned long long)p.ops[i].addr2, (unsigned long long)q.ops[i].addr2,
				      (unsigned long long)p.ops[i].len2, (unsigned long long)q.ops[i].len2,
				      (unsigned long long)p.ops[i].value, (unsigned long long)q.ops[i].value,
				      p.ops[i].node, q.ops[i].node);
		names_a = names_b = NULL;
		free(text);
		mmt_program_free(&q);
		mmt_program_free(&p);
	}
}
END_TEST

/* encode(decode(x)) decodes to the same program */
START_TEST(encode_inverts_decode)
{
	uint8_t buf[400];

	rng_state = 0x2545f4914f6cdd1dull + (uint64_t)_i;
	for (int iter = 0; iter < 2000; iter++) {
		size_t n = rnd() % sizeof(buf), len;
		int max_tasks = 1 + (int)(rnd() % 3);
		struct mmt_program p, q;
		uint8_t *enc;
		char why[200];

		random_bytes(buf, n);
		p = decode_or_fail(buf, n, max_tasks);
		ck_assert_msg(mmt_encode(&p, &enc, &len, why, sizeof(why)) == 0,
			      "a decoded program is not encodable: %s", why);
		q = decode_or_fail(enc, len, max_tasks);
		assert_same(&p, &q);
		free(enc);
		mmt_program_free(&q);
		mmt_program_free(&p);
	}
}
END_TEST

/* a program outside the fuzzing world is refused with a reason */
START_TEST(encode_refuses_outside_the_window)
{
	static const char *const progs[] = {
		"mmt 1\nspawn p0\nmmap p0 0x40 1 rw private|anon\n",
		"mmt 1\nspawn bob\n",
		"mmt 1\nworld nodes=2 frames=128 swap=0\nspawn p0\n",
		"mmt 1\nspawn p0\nmmap p0 0x10 1 rw private|anon\nwrite p0 0x10 0x1234\n",
	};
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct mmt_program p;
		uint8_t *enc = NULL;
		size_t len;
		char why[200] = "";

		mmt_program_init(&p);
		ck_assert_int_eq(mmt_parse(progs[i], strlen(progs[i]), &p, NULL), 0);
		ck_assert_int_eq(mmt_encode(&p, &enc, &len, why, sizeof(why)), -1);
		ck_assert_msg(why[0], "no reason given");
		mmt_program_free(&p);
	}
}
END_TEST

/* a program inside the window encodes and comes back, schedule included */
START_TEST(encode_a_written_program)
{
	static const char prog[] =
		"mmt 1\n"
		"world nodes=2 frames=64 swap=16\n"
		"spawn p0\n"
		"mmap p0 0x10 4 rw private|anon\n"
		"write p0 0x11 0x2a\n"
		"@1 fork p0 p1\n"
		"@0 migrate p0 0x10 4 1 all\n"
		"madvise p1 0x10 4 pageout\n"
		"swapon 3 64\n"
		"swapoff 3\n"
		"reclaim 8\n"
		"mremap p0 0x10 2 0x20 2\n"
		"remap_file_pages p0 0x20 2 0x1e\n"
		"remap_file_pages p0 0x21 1 0x3\n"
		"mprotect p1 0x10 1 r\n"
		"munmap p1 0x12 1\n"
		"split p0 0x20 2\n"
		"split p1 0x10 8\n"
		"read p0 0x20\n"
		"exit p1\n"
		"schedule 0 0 1 0 1\n";
	struct mmt_program p, q;
	uint8_t *enc;
	size_t len;
	char why[200] = "";

	mmt_program_init(&p);
	ck_assert_int_eq(mmt_parse(prog, strlen(prog), &p, NULL), 0);
	ck_assert_msg(mmt_encode(&p, &enc, &len, why, sizeof(why)) == 0, "%s", why);
	/* "schedule 0 0 1 0 1": switches 1@2, 0@3, 1@4 (task 0 is the default at 0) */
	ck_assert_uint_eq(len, 2 + 4 * p.nr_ops + 6);
	ck_assert_uint_eq(enc[len - 6], 1);
	ck_assert_uint_eq(enc[len - 5], 2);
	ck_assert_uint_eq(enc[len - 2], 1);
	ck_assert_uint_eq(enc[len - 1], 4);
	q = decode_or_fail(enc, len, 2);
	assert_same(&p, &q);
	free(enc);
	mmt_program_free(&q);
	mmt_program_free(&p);
}
END_TEST

/*
 * One mutated byte in a record changes that op and no other, unless the op
 * (before or after the mutation) changes liveness: then later ops may be
 * redirected to another process or swap id.  Later aimed ops may land
 * elsewhere (what is mapped changed), but keep their kind, process and
 * arguments, or become (stop being) the mmap that stands in for an aimed op
 * of a process with nothing mapped.  The world byte and the count byte are left alone here (they
 * change the world or the length).
 */
START_TEST(one_byte_one_op)
{
	uint8_t buf[2 + 4 * 40], mut[sizeof(buf)];
	unsigned checked = 0;

	rng_state = 0xdeadbeefcafef00dull + (uint64_t)_i;
	for (int iter = 0; iter < 4000; iter++) {
		struct mmt_program p, q;
		size_t pos, rec;
		int diffs = 0;
		bool liveness = false;

		random_bytes(buf, sizeof(buf));
		buf[1] = 40;
		memcpy(mut, buf, sizeof(buf));
		pos = 2 + rnd() % (sizeof(buf) - 2);
		rec = (pos - 2) / 4;
		mut[pos] ^= (uint8_t)(1 + rnd() % 255);
		p = decode_or_fail(buf, sizeof(buf), 1);
		q = decode_or_fail(mut, sizeof(mut), 1);
		ck_assert_uint_eq(p.nr_ops, q.nr_ops);
		liveness = changes_liveness(&p.ops[rec]) || changes_liveness(&q.ops[rec]);
		for (size_t i = 0; i < p.nr_ops; i++) {
			if (!ops_equal(&p.ops[i], &q.ops[i]) && i < rec)
				ck_abort_msg("op %zu changed before the mutated record %zu", i, rec);
			/* or, in a process the mutation left with nothing mapped (or
			 * something), it becomes or stops being the stand-in mmap */
			if (i > rec && (p.ops[i].code == OP_MMAP) != (q.ops[i].code == OP_MMAP) &&
			    p.ops[i].proc == q.ops[i].proc && p.ops[i].task == q.ops[i].task)
				continue;
			/*
			 * or one stand-in for the other: an aimed remap_file_pages
			 * of a process with nothing shared stands in as a shared
			 * mmap, with nothing mapped as the generic one (a later
			 * record's own mmap decodes the same flags in both)
			 */
			if (i > rec && p.ops[i].code == OP_MMAP && q.ops[i].code == OP_MMAP &&
			    p.ops[i].mflags != q.ops[i].mflags &&
			    p.ops[i].proc == q.ops[i].proc && p.ops[i].task == q.ops[i].task)
				continue;
			if (!ops_same_shape(&p.ops[i], &q.ops[i]))
				diffs++;
		}
		if (!liveness) {
			checked++;
			ck_assert_msg(diffs <= 1, "one byte (offset %zu) changed %d ops", pos, diffs);
		}
		mmt_program_free(&q);
		mmt_program_free(&p);
	}
	ck_assert_uint_gt(checked, 2000);
}
END_TEST

/* a switch record's decision point, written out again from decode.h's layout */
static unsigned ref_at(const uint8_t *r)
{
	return (r[0] & 8) ? 256u + (unsigned)(r[0] >> 4) * 256u + r[1] : r[1];
}

/*
 * The schedule a tail decodes to, the slow way: at each decision point the
 * task of the latest record at or before it (the later one in the tail on
 * a tie), task 0 before the first; up to the latest record.
 */
static size_t expand(const uint8_t *tail, size_t n, int ntasks, uint8_t *out)
{
	size_t nrec = n / 2, len = 0;

	if (nrec > MMT_DECODE_MAX_SWITCHES)
		nrec = MMT_DECODE_MAX_SWITCHES;
	for (size_t i = 0; i < nrec; i++)
		if (ref_at(tail + 2 * i) + 1 > len)
			len = ref_at(tail + 2 * i) + 1;
	for (size_t k = 0; k < len; k++) {
		unsigned best = 0;
		bool found = false;

		out[k] = 0;
		for (size_t i = 0; i < nrec; i++) {
			unsigned at = ref_at(tail + 2 * i);

			if (at <= k && (!found || at >= best)) {
				best = at;
				found = true;
				out[k] = (uint8_t)((tail[2 * i] & 7) % ntasks);
			}
		}
	}
	return len;
}

/* with several tasks, trailing bytes are the schedule (switch records, mod tasks) */
START_TEST(multi_task_schedules)
{
	uint8_t buf[2 + 4 * 8 + 20], want[MMT_DECODE_MAX_AT + 1];
	struct mmt_program p;
	size_t n;

	rng_state = 77;
	random_bytes(buf, sizeof(buf));
	buf[0] = (uint8_t)((buf[0] & 0x1f) | (2 << 5));	/* 3 tasks */
	buf[1] = 8;
	for (int i = 0; i < 8; i++)
		buf[2 + 4 * i] = (uint8_t)((buf[2 + 4 * i] & 0x1f) | ((i % 3) << 5));

	p = decode_or_fail(buf, sizeof(buf), 8);
	ck_assert(p.has_schedule);
	n = expand(buf + 2 + 32, 20, 3, want);
	ck_assert_uint_eq(p.nr_schedule, n);
	ck_assert_uint_gt(n, 10);
	ck_assert(memcmp(p.schedule, want, n) == 0);
	for (size_t i = 0; i < p.nr_ops; i++)
		ck_assert_uint_eq(p.ops[i].task, i % 3);
	mmt_program_free(&p);

	/* capped to two tasks: schedule mod 2 */
	p = decode_or_fail(buf, sizeof(buf), 2);
	n = expand(buf + 2 + 32, 20, 2, want);
	ck_assert_uint_eq(p.nr_schedule, n);
	ck_assert(memcmp(p.schedule, want, n) == 0);
	for (size_t i = 0; i < p.nr_ops; i++)
		ck_assert_uint_lt(p.ops[i].task, 2);
	mmt_program_free(&p);

	/* single-task mode: every op on task 0, the tail ignored */
	p = decode_or_fail(buf, sizeof(buf), 1);
	ck_assert(!p.has_schedule);
	for (size_t i = 0; i < p.nr_ops; i++)
		ck_assert_uint_eq(p.ops[i].task, 0);
	mmt_program_free(&p);
}
END_TEST

/* random tails of any length (odd ones, more records than are read) expand as specified */
START_TEST(random_tails_expand_as_specified)
{
	static uint8_t buf[2 + 700], want[MMT_DECODE_MAX_AT + 1];
	unsigned near = 0, total = 0;

	rng_state = 0x5eed5eedull + (uint64_t)_i;
	for (int iter = 0; iter < 300; iter++) {
		size_t n = 2 + rnd() % (sizeof(buf) - 1), len;
		int ntasks = 2 + (int)(rnd() % 7);
		struct mmt_program p;

		random_bytes(buf, n);
		buf[0] = (uint8_t)((buf[0] & 0x1f) | ((ntasks - 1) << 5));
		buf[1] = 0;
		p = decode_or_fail(buf, n, 8);
		len = expand(buf + 2, n - 2, ntasks, want);
		ck_assert_uint_eq(p.has_schedule, len > 0);
		ck_assert_uint_eq(p.nr_schedule, len);
		ck_assert_uint_le(p.nr_schedule, MMT_DECODE_MAX_AT + 1);
		ck_assert(!len || memcmp(p.schedule, want, len) == 0);
		for (size_t i = 0; i + 1 < n - 2; i += 2, total++)
			near += ref_at(buf + 2 + i) < MMT_DECODE_NEAR;
		mmt_program_free(&p);
	}
	/* half the random records switch in the first 256 decision points */
	ck_assert_uint_gt(near * 100, total * 45);
	ck_assert_uint_lt(near * 100, total * 55);
}
END_TEST

/* the decision points where the wanted task changes (0 counts if it is not task 0) */
static size_t switches(const struct mmt_program *p, size_t *at, uint8_t *task)
{
	size_t n = 0;

	for (size_t k = 0; k < p->nr_schedule; k++)
		if (k ? p->schedule[k] != p->schedule[k - 1] : p->schedule[0] != 0) {
			at[n] = k;
			task[n++] = p->schedule[k];
		}
	return n;
}

/*
 * Changing one switch record's decision point moves that switch and no
 * other: the records are absolute positions, not runs, so the switches
 * after it stay where they were.
 */
START_TEST(one_record_moves_one_switch)
{
	uint8_t buf[2 + 2 * 12], mut[sizeof(buf)];
	size_t a[32], b[32];
	uint8_t ta[32], tb[32];

	rng_state = 0xfeedull + (uint64_t)_i;
	for (int iter = 0; iter < 2000; iter++) {
		unsigned used[12], lo, hi, at, old;
		struct mmt_program p, q;
		size_t na, nb, r = rnd() % 12, k = 0;

		/* 12 records at distinct points, alternating tasks in point order */
		buf[0] = 1 << 5;	/* 2 tasks */
		buf[1] = 0;
		for (int i = 0; i < 12; i++) {
			bool dup;

			do {
				used[i] = 1 + (unsigned)(rnd() % (MMT_DECODE_MAX_AT - 1));
				dup = false;
				for (int j = 0; j < i; j++)
					dup = dup || used[j] == used[i];
			} while (dup);
		}
		for (int i = 0; i < 12; i++) {
			unsigned rank = 0;

			for (int j = 0; j < 12; j++)
				rank += used[j] < used[i];
			mmt_switch_make(buf + 2 + 2 * i, (rank + 1) % 2, used[i]);
			ck_assert_uint_eq(ref_at(buf + 2 + 2 * i), used[i]);
		}
		/* move record r anywhere strictly between its neighbours in point order */
		old = used[r];
		lo = 0;
		hi = MMT_DECODE_MAX_AT + 1;
		for (int j = 0; j < 12; j++) {
			if (used[j] < old && used[j] > lo)
				lo = used[j];
			if (used[j] > old && used[j] < hi)
				hi = used[j];
		}
		if (hi - lo < 3)
			continue;
		do
			at = lo + 1 + (unsigned)(rnd() % (hi - lo - 1));
		while (at == old);
		memcpy(mut, buf, sizeof(buf));
		mmt_switch_make(mut + 2 + 2 * r, buf[2 + 2 * r] & 7, at);
		p = decode_or_fail(buf, sizeof(buf), 2);
		q = decode_or_fail(mut, sizeof(mut), 2);
		na = switches(&p, a, ta);
		nb = switches(&q, b, tb);
		ck_assert_uint_eq(na, 12);
		ck_assert_uint_eq(nb, 12);
		for (size_t i = 0; i < na; i++) {
			if (a[i] == old) {
				ck_assert_uint_eq(b[i], at);
				k++;
			} else {
				ck_assert_uint_eq(b[i], a[i]);
			}
			ck_assert_uint_eq(ta[i], tb[i]);
		}
		ck_assert_uint_eq(k, 1);
		mmt_program_free(&q);
		mmt_program_free(&p);
	}
}
END_TEST

/* parse a two-task program with schedule @sched (@n entries) */
static void two_task_program(struct mmt_program *p, const uint8_t *sched, size_t n)
{
	static const char head[] =
		"mmt 1\n"
		"world nodes=2 frames=32 swap=0\n"
		"spawn p0\n"
		"mmap p0 0x10 2 rw private|anon\n"
		"@0 migrate p0 0x10 2 1\n"
		"@1 fork p0 p1\n"
		"schedule";
	char *text = malloc(sizeof(head) + 2 * n + 2);
	size_t k = sizeof(head) - 1;

	ck_assert_ptr_nonnull(text);
	memcpy(text, head, k);
	for (size_t i = 0; i < n; i++) {
		text[k++] = ' ';
		text[k++] = (char)('0' + sched[i]);
	}
	text[k++] = '\n';
	mmt_program_init(p);
	ck_assert_int_eq(mmt_parse(text, k, p, NULL), 0);
	free(text);
}

/*
 * Explicit schedules encode exactly: runs that start with task 1, runs that
 * end on the last entry or not, one entry, random ones up to the longest the
 * records reach; longer ones are refused with a reason.
 */
START_TEST(encode_schedules)
{
	static uint8_t sched[MMT_DECODE_MAX_AT + 2];
	static const size_t lens[] = { 1, 2, 3, 5, 77, 300, MMT_DECODE_MAX_AT + 1 };
	struct mmt_program p, q;
	uint8_t *enc = NULL;
	size_t len;
	char why[200];

	rng_state = 31337;
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		for (int kind = 0; kind < 4; kind++) {
			size_t n = lens[l];

			for (size_t i = 0; i < n; i++) {
				switch (kind) {
				case 0: sched[i] = 0; break;
				case 1: sched[i] = 1; break;
				case 2:	/* about one switch in 32 entries */
					sched[i] = (uint8_t)(i ? sched[i - 1] ^ !(rnd() % 32) : rnd() % 2);
					break;
				default: sched[i] = (uint8_t)(i * 4 < n || i * 4 > 3 * n); break;
				}
			}
			two_task_program(&p, sched, n);
			ck_assert_msg(mmt_encode(&p, &enc, &len, why, sizeof(why)) == 0, "%s", why);
			q = decode_or_fail(enc, len, 2);
			ck_assert_uint_eq(q.nr_schedule, n);
			ck_assert(memcmp(q.schedule, sched, n) == 0);
			assert_same(&p, &q);
			free(enc);
			mmt_program_free(&q);
			mmt_program_free(&p);
		}
	}
	memset(sched, 0, sizeof(sched));
	two_task_program(&p, sched, MMT_DECODE_MAX_AT + 2);
	why[0] = 0;
	ck_assert_int_eq(mmt_encode(&p, &enc, &len, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "decision"), "no reason: '%s'", why);
	mmt_program_free(&p);
	for (size_t i = 0; i < 600; i++)
		sched[i] = (uint8_t)(i % 2);
	two_task_program(&p, sched, 600);
	why[0] = 0;
	ck_assert_int_eq(mmt_encode(&p, &enc, &len, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "switches"), "no reason: '%s'", why);
	mmt_program_free(&p);
}
END_TEST

/* repeating one swapon record turns on that many distinct devices */
START_TEST(swapon_records_take_free_ids)
{
	uint8_t buf[2 + 4 * 30];
	struct mmt_program p;
	bool seen[MMT_DECODE_SWAP_IDS] = { false };

	buf[0] = 1 << 3;		/* swap=16: id 0 is on */
	buf[1] = 30;
	for (int i = 0; i < 30; i++) {
		buf[2 + 4 * i] = 31;	/* the swap kind */
		buf[3 + 4 * i] = 0;
		buf[4 + 4 * i] = 0;	/* swapon */
		buf[5 + 4 * i] = 0;	/* wants id 0 */
	}
	p = decode_or_fail(buf, sizeof(buf), 1);
	ck_assert_uint_eq(p.nr_ops, 30);
	seen[0] = true;
	for (size_t i = 0; i < p.nr_ops; i++) {
		ck_assert_int_eq(p.ops[i].code, OP_SWAPON);
		ck_assert_uint_lt(p.ops[i].addr, MMT_DECODE_SWAP_IDS);
		ck_assert_msg(!seen[p.ops[i].addr], "swap id %u twice", (unsigned)p.ops[i].addr);
		seen[p.ops[i].addr] = true;
	}
	mmt_program_free(&p);
}
END_TEST

/* the same bytes run the same way twice (the fuzzer relies on it) */
START_TEST(decoded_runs_are_deterministic)
{
	uint8_t buf[2 + 4 * 24 + 64];
	struct mmt_exec_opts o;

	mmt_exec_opts_default(&o);
	o.teardown = true;
	o.lenient_schedule = true;
	rng_state = 4242;
	for (int iter = 0; iter < 100; iter++) {
		struct mmt_exec_result a, b;
		struct mmt_program p;

		random_bytes(buf, sizeof(buf));
		buf[1] = 24;
		p = decode_or_fail(buf, sizeof(buf), 2);
		mmt_exec(&p, &o, &a);
		mmt_exec(&p, &o, &b);
		ck_assert_int_ne(a.status, EXEC_SETUP);
		ck_assert_int_ne(a.status, EXEC_DIVERGED);
		ck_assert_int_eq(a.status, b.status);
		ck_assert_int_eq(a.violation.inv, b.violation.inv);
		ck_assert_uint_eq(a.nr_schedule, b.nr_schedule);
		if (a.nr_schedule)
			ck_assert(memcmp(a.schedule, b.schedule, a.nr_schedule) == 0);
		mmt_exec_result_free(&a);
		mmt_exec_result_free(&b);
		mmt_program_free(&p);
	}
}
END_TEST

/* ------------------------------------------------------------- mutator */

static size_t fallback_calls;

static size_t fallback(uint8_t *data, size_t size, size_t max_size, void *arg)
{
	fallback_calls++;
	if (size)
		data[rnd() % size] ^= 1;
	return size;
}

/* the mutator keeps the layout: header + whole records + tail, within max */
START_TEST(mutator_keeps_records_whole)
{
	uint8_t buf[1024];
	struct mmt_mutator m;
	size_t size, max = 2 + 4 * 64 + 100;
	unsigned changed = 0;

	rng_state = 99;
	mmt_mutator_init(&m, 1234, fallback, NULL);
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t before[1024];
		size_t before_size;
		struct mmt_program p;

		if (iter % 50 == 0) {
			size = 2 + 4 * (rnd() % 20);
			random_bytes(buf, size);
			buf[1] = (uint8_t)((size - 2) / 4);
		}
		memcpy(before, buf, size);
		before_size = size;
		size = mmt_mutate(&m, buf, size, max, 2, NULL, 0);
		ck_assert_uint_le(size, max);
		ck_assert_uint_ge(size, 2);
		if (size != before_size || memcmp(before, buf, size))
			changed++;
		p = decode_or_fail(buf, size, 2);
		mmt_program_free(&p);
	}
	ck_assert_uint_gt(changed, 15000);
	ck_assert_uint_gt(fallback_calls, 0);
}
END_TEST

/*
 * Schedule edits leave the op records alone and keep whole switch records;
 * PCT draws put their switches within the run's decision points (horizon).
 */
START_TEST(mutator_schedule_edits)
{
	uint8_t buf[1024], ops[2 + 4 * 8];
	struct mmt_mutator m;
	size_t size = sizeof(ops);
	unsigned within = 0;

	rng_state = 2024;
	random_bytes(ops, sizeof(ops));
	ops[0] = (uint8_t)((ops[0] & 0x1f) | (1 << 5));	/* 2 tasks */
	ops[1] = 8;
	memcpy(buf, ops, sizeof(ops));
	mmt_mutator_init(&m, 77, NULL, NULL);
	m.schedule_pct = 100;
	m.horizon = 100;
	for (int iter = 0; iter < 5000; iter++) {
		struct mmt_program p;
		bool all_within = true;

		size = mmt_mutate(&m, buf, size, 2 + 4 * 8 + 64, 2, NULL, 0);
		ck_assert(memcmp(buf, ops, sizeof(ops)) == 0);
		ck_assert_uint_eq((size - sizeof(ops)) % MMT_DECODE_SWITCH, 0);
		for (size_t i = sizeof(ops); i < size; i += 2)
			all_within = all_within && mmt_switch_at(buf + i) <= 100;
		within += size > sizeof(ops) && all_within;
		p = decode_or_fail(buf, size, 2);
		ck_assert_uint_eq(p.nr_ops, 8);
		mmt_program_free(&p);
	}
	ck_assert_uint_gt(within, 1000);
}
END_TEST

/* crossover takes records from the other input */
START_TEST(mutator_splices)
{
	uint8_t a[2 + 4 * 4], b[2 + 4 * 4], out[256];
	struct mmt_mutator m;
	size_t n;
	bool took_b = false;

	rng_state = 5;
	memset(a, 0x00, sizeof(a));
	memset(b, 0xee, sizeof(b));
	a[1] = 4;
	b[1] = 4;
	mmt_mutator_init(&m, 1, fallback, NULL);
	for (int i = 0; i < 100 && !took_b; i++) {
		n = mmt_crossover(&m, a, sizeof(a), b, sizeof(b), out, sizeof(out));
		ck_assert_uint_ge(n, 2);
		ck_assert_uint_le(n, sizeof(out));
		for (size_t k = 2; k < n; k++)
			took_b = took_b || out[k] == 0xee;
	}
	ck_assert(took_b);
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("decode");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, empty_and_tiny_inputs);
	tcase_add_test(tc, pmd_world);
	tcase_add_test(tc, pmd_twin_moves);
	tcase_add_loop_test(tc, random_bytes_print_and_parse, 0, 3);
	tcase_add_loop_test(tc, encode_inverts_decode, 0, 3);
	tcase_add_test(tc, encode_refuses_outside_the_window);
	tcase_add_test(tc, encode_a_written_program);
	tcase_add_loop_test(tc, one_byte_one_op, 0, 2);
	tcase_add_test(tc, multi_task_schedules);
	tcase_add_loop_test(tc, random_tails_expand_as_specified, 0, 2);
	tcase_add_loop_test(tc, one_record_moves_one_switch, 0, 2);
	tcase_add_test(tc, encode_schedules);
	tcase_add_test(tc, swapon_records_take_free_ids);
	tcase_add_test(tc, decoded_runs_are_deterministic);
	tcase_add_test(tc, mutator_keeps_records_whole);
	tcase_add_test(tc, mutator_splices);
	tcase_add_test(tc, mutator_schedule_edits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(decode_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
