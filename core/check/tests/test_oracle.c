// SPDX-License-Identifier: MIT
/*
 * test_oracle.c - the DATA reference model on its own, without the model:
 * object sizes and the BUS verdict.  Programs whose every outcome was
 * checked on Linux 6.18 with realkernel.py are fed to the oracle alone,
 * op by op, and it must predict each asserted outcome and value.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "mmt/oracle.h"
#include "mmt/program.h"

static enum oracle_verdict want_verdict(int out)
{
	switch (out) {
	case OUT_SEGV:
		return ORC_SEGV;
	case OUT_BUS:
		return ORC_BUS;
	default:
		return ORC_OK;
	}
}

/*
 * Run @p through the oracle alone.  An op without '->' is taken to return
 * ok; its outcome is then what the oracle is told happened, as the
 * executor would tell it.
 */
static void predict_program(const struct mmt_program *p, const char *what)
{
	struct oracle *o = oracle_create();

	ck_assert_ptr_nonnull(o);
	oracle_reset(o, p->world.swap ? 0 : -1);
	for (size_t i = 0; i < p->nr_ops; i++) {
		const struct mmt_op *op = &p->ops[i];
		int out = op->expect >= 0 ? op->expect : OUT_OK;
		uint64_t val = 0;

		if (op->code == OP_READ || op->code == OP_WRITE) {
			enum oracle_verdict v = oracle_access(o, op->proc, op->addr,
							      op->code == OP_WRITE, &val);

			ck_assert_msg(v == want_verdict(out), "%s line %u: verdict %d, want %s",
				      what, op->line, v, mmt_outcome_name(out));
			if (op->has_expect_value)
				ck_assert_msg(val == op->value, "%s line %u: reads 0x%llx", what,
					      op->line, (unsigned long long)val);
		} else {
			ck_assert_msg(oracle_expect(o, op) & ORACLE_OUT(out),
				      "%s line %u: %s not expected", what, op->line,
				      mmt_outcome_name(out));
		}
		oracle_apply(o, op, out, val);
	}
	oracle_destroy(o);
}

static void predict_file(const char *rel)
{
	char path[512];
	struct mmt_program p;
	struct mmt_parse_error err;

	snprintf(path, sizeof(path), "%s/%s", MMT_SOURCE_DIR, rel);
	ck_assert_msg(mmt_parse_file(path, &p, &err) == 0, "%s:%u:%u: %s", path, err.line,
		      err.col, err.msg);
	predict_program(&p, rel);
	mmt_program_free(&p);
}

static void predict_text(const char *text)
{
	struct mmt_program p;
	struct mmt_parse_error err;

	ck_assert_msg(mmt_parse(text, strlen(text), &p, &err) == 0, "%u:%u: %s", err.line,
		      err.col, err.msg);
	predict_program(&p, "text");
	mmt_program_free(&p);
}

/* both seeds were settled on the real kernel */
START_TEST(seeds_predicted)
{
	predict_file("corpus/seeds/bus-shmem.mmt");
	predict_file("corpus/seeds/bus-memfd.mmt");
	predict_file("corpus/seeds/shared-anon.mmt");
	predict_file("corpus/seeds/shared-file.mmt");
	predict_file("corpus/seeds/mremap-edges.mmt");
}
END_TEST

START_TEST(shmem_has_its_mmap_length)
{
	predict_text("mmt 1\n"
		     "spawn p\n"
		     "mmap p 0x10 3 rw shared|anon\n"
		     "mremap p 0x10 3 0x20 5\n"
		     "read p 0x22 -> ok\n"
		     "read p 0x23 -> BUS\n"
		     "write p 0x24 1 -> BUS\n"
		     "mmap p 0x10 1 rw shared|anon\n"	/* a new object, not a bigger one */
		     "mremap p 0x10 1 0x40 2\n"
		     "read p 0x41 -> BUS\n"
		     "read p 0x22 -> ok\n");
}
END_TEST

START_TEST(memfd_grows_at_every_file_mmap)
{
	predict_text("mmt 1\n"
		     "spawn p\n"
		     "mmap p 0x10 1 rw private\n"		/* size 0x11 */
		     "mremap p 0x10 1 0x40 4\n"		/* file pages 0x10..0x13 */
		     "read p 0x40 -> ok\n"
		     "read p 0x41 -> BUS\n"
		     "write p 0x41 1 -> BUS\n"		/* a COW fault needs the file page */
		     "mmap p 0x12 0 r shared -> EINVAL\n"	/* size 0x12 all the same */
		     "read p 0x41 -> ok\n"
		     "read p 0x42 -> BUS\n"
		     "mmap p 0x100 1 r private|anon\n"	/* anonymous: no change */
		     "read p 0x42 -> BUS\n"
		     "mmap p 0x4 1 r shared\n"		/* lower: no change */
		     "read p 0x42 -> BUS\n"
		     "mprotect p 0x40 4 none\n"
		     "read p 0x42 -> SEGV\n");		/* the protection decides first */
}
END_TEST

static Suite *oracle_suite(void)
{
	Suite *s = suite_create("oracle");
	TCase *tc = tcase_create("sizes");

	tcase_add_test(tc, seeds_predicted);
	tcase_add_test(tc, shmem_has_its_mmap_length);
	tcase_add_test(tc, memfd_grows_at_every_file_mmap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(oracle_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
