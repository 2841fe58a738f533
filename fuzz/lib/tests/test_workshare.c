/* SPDX-License-Identifier: MIT */
/*
 * test_workshare.c - resource-aware generation and decoding (gen.c,
 * decode.c, shadow.c) and the measure of it (workshare.c).
 *
 * The meter counts exactly on a written program; the generator and the
 * decoder aim most ops at what exists (at least 70% of ops work, fixed
 * seeds) and still reach holes and errors; aimed records decode onto
 * mapped pages while records written by the encoder keep their address.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/decode.h"
#include "mmt/gen.h"
#include "mmt/prng.h"
#include "mmt/program.h"
#include "mmt/workshare.h"

static struct mmt_program parse_or_fail(const char *text)
{
	struct mmt_parse_error err;
	struct mmt_program p;

	ck_assert_msg(mmt_parse(text, strlen(text), &p, &err) == 0, "%u:%u: %s", err.line, err.col,
		      err.msg);
	return p;
}

/* the meter on a program whose every op's fate is known */
START_TEST(meter_counts_what_works)
{
	struct mmt_work_stats st;
	struct mmt_program p = parse_or_fail(
		"mmt 1\nworld nodes=2 frames=16 swap=0\n"
		"spawn p0\n"
		"mmap p0 0x10 2 rw private|anon\n"
		"write p0 0x10 5\n"		/* works */
		"read p0 0x11\n"		/* works: returns 0 */
		"read p0 0x20\n"		/* SEGV */
		"munmap p0 0x20 1\n"		/* a hole: nothing changes */
		"mprotect p0 0x20 1 r\n"	/* ENOMEM */
		"mprotect p0 0x10 1 r\n"	/* works */
		"migrate p0 0x10 1 1\n"		/* works: the page moves */
		"migrate p0 0x11 1 1\n"		/* the zero page: nothing moves */
		"reclaim 4\n"			/* no swap: nothing to do */
		"check\n"			/* not counted */
		"exit p0\n");

	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(mmt_work_measure(&p, &st), 0);
	ck_assert_uint_eq(st.programs, 1);
	ck_assert_uint_eq(st.ops[OP_READ], 2);
	ck_assert_uint_eq(st.worked[OP_READ], 1);
	ck_assert_uint_eq(st.worked[OP_WRITE], 1);
	ck_assert_uint_eq(st.ops[OP_MUNMAP], 1);
	ck_assert_uint_eq(st.worked[OP_MUNMAP], 0);
	ck_assert_uint_eq(st.ops[OP_MPROTECT], 2);
	ck_assert_uint_eq(st.worked[OP_MPROTECT], 1);
	ck_assert_uint_eq(st.ops[OP_MIGRATE], 2);
	ck_assert_uint_eq(st.worked[OP_MIGRATE], 1);
	ck_assert_uint_eq(st.worked[OP_RECLAIM], 0);
	ck_assert_uint_eq(st.ops[OP_CHECK], 0);
	ck_assert_uint_eq(st.worked[OP_SPAWN] + st.worked[OP_EXIT] + st.worked[OP_MMAP], 3);
	mmt_program_free(&p);
}
END_TEST

static void totals(const struct mmt_work_stats *st, unsigned long *ops, unsigned long *worked)
{
	*ops = *worked = 0;
	for (int c = 0; c < NR_MMT_OPCODES; c++) {
		*ops += st->ops[c];
		*worked += st->worked[c];
	}
}

/*
 * At least 70% of all ops and of accesses work; at least 3% of accesses do
 * not (holes and faults stay in the mix).
 */
static void assert_shares(const struct mmt_work_stats *st, const char *from)
{
	unsigned long ops, worked;
	unsigned long acc = st->ops[OP_READ] + st->ops[OP_WRITE];
	unsigned long acc_ok = st->worked[OP_READ] + st->worked[OP_WRITE];

	totals(st, &ops, &worked);
	ck_assert_msg(worked * 100 >= ops * 70, "%s: %lu of %lu ops work", from, worked, ops);
	ck_assert_msg(acc_ok * 100 >= acc * 70, "%s: %lu of %lu accesses work", from, acc_ok, acc);
	ck_assert_msg((acc - acc_ok) * 100 >= acc * 3, "%s: only %lu of %lu accesses fail", from,
		      acc - acc_ok, acc);
	for (int c = OP_MUNMAP; c <= OP_MIGRATE; c++)
		ck_assert_msg(st->ops[c] > st->worked[c], "%s: every %s worked: no holes left",
			      from, mmt_opcode_name(c));
}

START_TEST(generator_aims)
{
	struct mmt_work_stats *st = calloc(1, sizeof(*st));
	struct mmt_gen_opts go;

	mmt_gen_opts_default(&go);
	for (uint64_t seed = 1; seed <= 300; seed++) {
		struct mmt_program p;

		mmt_program_init(&p);
		ck_assert_int_eq(mmt_gen_random(&p, seed, &go), 0);
		ck_assert_int_eq(mmt_work_measure(&p, st), 0);
		mmt_program_free(&p);
	}
	assert_shares(st, "gen");
	/* mmap then MADV_HUGEPAGE: a good share of programs map an mTHP (19% measured) */
	ck_assert_msg(st->large * 10 >= st->programs, "only %lu of %lu programs mapped a large folio",
		      st->large, st->programs);
	free(st);
}
END_TEST

START_TEST(decoder_aims)
{
	struct mmt_work_stats *st = calloc(1, sizeof(*st));
	struct mmt_decode_opts o = { .max_tasks = 1 };
	uint64_t s = 0x5eed;

	for (int k = 0; k < 300; k++) {
		struct mmt_program p;
		uint8_t buf[2 + 4 * 32];

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)mmt_splitmix64(&s);
		buf[1] = 32;
		ck_assert_int_eq(mmt_decode(buf, sizeof(buf), &p, &o), 0);
		ck_assert_int_eq(mmt_work_measure(&p, st), 0);
		mmt_program_free(&p);
	}
	assert_shares(st, "bytes");
	free(st);
}
END_TEST

/*
 * An aimed read of an unmapped page decodes onto the mapping; the same
 * record with the mode bits set (what the encoder writes) keeps its page;
 * an aimed op of a process with nothing mapped stands in as an mmap.
 */
START_TEST(aimed_records)
{
	struct mmt_decode_opts o = { .max_tasks = 1 };
	struct mmt_program p;
	uint8_t read_rec[4], buf[2 + 3 * 4];
	struct mmt_program enc;
	uint8_t *bytes;
	size_t len;

	/* encode "spawn p0; mmap p0 0x18 2 rw private|anon" to learn the records */
	enc = parse_or_fail("mmt 1\nworld nodes=2 frames=64 swap=0\nspawn p0\n"
			    "mmap p0 0x18 2 rw private|anon\nread p0 0x2a\n");
	ck_assert_int_eq(mmt_encode(&enc, &bytes, &len, NULL, 0), 0);
	ck_assert_uint_eq(len, 2 + 3 * 4);
	memcpy(buf, bytes, len);
	memcpy(read_rec, bytes + 10, 4);
	free(bytes);
	mmt_program_free(&enc);

	/* as encoded: the read keeps 0x2a, a hole */
	ck_assert_int_eq(mmt_decode(buf, sizeof(buf), &p, &o), 0);
	ck_assert_uint_eq(p.ops[2].code, OP_READ);
	ck_assert_uint_eq(p.ops[2].addr, 0x2a);
	mmt_program_free(&p);

	/* aimed (mode bits cleared): onto 0x18 or 0x19 */
	buf[10 + 2] &= 0x1f;
	ck_assert_int_eq(mmt_decode(buf, sizeof(buf), &p, &o), 0);
	ck_assert_uint_eq(p.ops[2].code, OP_READ);
	ck_assert_msg(p.ops[2].addr == 0x18 || p.ops[2].addr == 0x19, "aimed read at %#llx",
		      (unsigned long long)p.ops[2].addr);
	mmt_program_free(&p);

	/* no mmap before it: the aimed read stands in as an mmap of its page */
	memcpy(buf + 6, read_rec, 4);
	buf[6 + 2] &= 0x1f;
	buf[6 + 3] = 0;
	ck_assert_int_eq(mmt_decode(buf, sizeof(buf), &p, &o), 0);
	ck_assert_uint_eq(p.ops[1].code, OP_MMAP);
	ck_assert_uint_eq(p.ops[1].addr, 0x2a);
	ck_assert_uint_eq(p.ops[1].prot, MPROT_RW);
	mmt_program_free(&p);
}
END_TEST

static Suite *workshare_suite(void)
{
	Suite *s = suite_create("workshare");
	TCase *tc = tcase_create("workshare");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, meter_counts_what_works);
	tcase_add_test(tc, generator_aims);
	tcase_add_test(tc, decoder_aims);
	tcase_add_test(tc, aimed_records);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(workshare_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
