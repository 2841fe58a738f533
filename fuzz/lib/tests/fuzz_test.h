/* SPDX-License-Identifier: MIT */
/*
 * fuzz_test.h - what the fuzzing library's tests share: the check that a
 * finding, as written to disk, is what it claims to be.
 */
#ifndef MMT_FUZZ_TEST_H
#define MMT_FUZZ_TEST_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "mmt/exec.h"
#include "mmt/minimize.h"
#include "mmt/program.h"

/*
 * The finding at @path, as written: fails with the bugs @on (signature
 * @sig) and, if @passes_off, passes with @off.
 */
static inline void assert_finding_replays(const char *path, uint64_t on, uint64_t off,
					  bool passes_off, const char *sig)
{
	struct mmt_exec_opts o;
	struct mmt_exec_result r;
	struct mmt_parse_error err;
	struct mmt_program p;
	char got[MMT_SIG_MAX];

	ck_assert_msg(mmt_parse_file(path, &p, &err) == 0, "%s:%u:%u: %s", path, err.line,
		      err.col, err.msg);
	mmt_exec_opts_default(&o);
	o.inject = on;
	ck_assert_int_eq(mmt_exec(&p, &o, &r), EXEC_VIOLATION);
	mmt_signature(&p, &r, got, sizeof(got));
	ck_assert_str_eq(got, sig);
	mmt_exec_result_free(&r);
	if (passes_off) {
		o.inject = off;
		ck_assert_msg(mmt_exec(&p, &o, &r) == EXEC_PASS, "%s fails without the bugs", path);
		mmt_exec_result_free(&r);
	}
	mmt_program_free(&p);
}

#endif /* MMT_FUZZ_TEST_H */
