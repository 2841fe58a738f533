// SPDX-License-Identifier: MIT
/*
 * test_host.c - the host runner against outcomes Linux is known to give.
 *
 * Each program runs on this machine's kernel; what the kernel answers here
 * has been stable for a long time (COW after fork, munmap of length 0,
 * mprotect over a hole, PROT_NONE, a shared file page seen by two
 * processes), so a failure means the runner is wrong, not the kernel.
 */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmt/host.h"
#include "mmt/program.h"

struct want {
	int outcome;		/* -2: anything */
	bool has_value;
	uint64_t value;
};

static void parse(const char *text, struct mmt_program *p)
{
	struct mmt_parse_error err;

	mmt_program_init(p);
	ck_assert_msg(mmt_parse(text, strlen(text), p, &err) == 0, "%u:%u: %s", err.line,
		      err.col, err.msg);
}

/* run @text; every op with '->' / '=' must come out as asserted */
static void run_asserted(const char *text)
{
	struct mmt_host_result r;
	struct mmt_program p;
	char what[128];

	parse(text, &p);
	ck_assert_int_eq(mmt_host_run(&p, NULL, &r), 0);
	ck_assert_msg(r.status == HOST_DONE, "host run: %s", r.msg);
	for (size_t i = 0; i < p.nr_ops; i++) {
		const struct mmt_op *op = &p.ops[i];
		const struct mmt_host_op *ho = &r.ops[i];

		mmt_host_describe(ho, what, sizeof(what));
		if (op->expect >= 0) {
			ck_assert_msg(ho->skip == HOST_RAN, "line %u: %s", op->line, what);
			ck_assert_msg(ho->outcome == op->expect, "line %u: want %s, got %s",
				      op->line, mmt_outcome_name(op->expect), what);
		}
		if (op->has_expect_value)
			ck_assert_msg(ho->outcome == OUT_OK && ho->value == op->value,
				      "line %u: want = 0x%llx, got %s 0x%llx", op->line,
				      (unsigned long long)op->value, what,
				      (unsigned long long)ho->value);
	}
	mmt_host_result_free(&r);
	mmt_program_free(&p);
}

START_TEST(cow_after_fork)
{
	run_asserted("mmt 1\n"
		     "spawn p0\n"
		     "mmap p0 0x10 4 rw private|anon -> ok\n"
		     "read p0 0x10 = 0 -> ok\n"
		     "write p0 0x10 7 -> ok\n"
		     "write p0 0x11 8 -> ok\n"
		     "fork p0 p1 -> ok\n"
		     "write p1 0x10 9 -> ok\n"
		     "read p0 0x10 = 7\n"
		     "read p1 0x10 = 9\n"
		     "read p1 0x11 = 8\n"
		     "write p0 0x11 10\n"
		     "read p1 0x11 = 8\n"
		     "exit p1 -> ok\n"
		     "read p0 0x11 = 10\n"
		     "exit p0 -> ok\n");
}
END_TEST

START_TEST(errnos)
{
	run_asserted("mmt 1\n"
		     "spawn p0\n"
		     "munmap p0 0x10 0 -> EINVAL\n"
		     "mmap p0 0x10 2 rw private|anon\n"
		     "mprotect p0 0x10 4 r -> ENOMEM\n"
		     "mprotect p0 0x10 2 r -> ok\n"
		     "write p0 0x10 1 -> SEGV\n"
		     "read p0 0x10 = 0 -> ok\n"
		     "mprotect p0 0x11 1 none -> ok\n"
		     "read p0 0x11 -> SEGV\n"
		     "read p0 0x20 -> SEGV\n"
		     "madvise p0 0x30 1 dontneed -> ENOMEM\n"
		     "mremap p0 0x40 1 0x50 1 -> EFAULT\n"
		     "mmap p0 0x10 0 rw private|anon -> EINVAL\n");
}
END_TEST

START_TEST(shared_file_two_processes)
{
	/* the same page number is the same memfd page in every process */
	run_asserted("mmt 1\n"
		     "spawn p0\n"
		     "spawn p1\n"
		     "mmap p0 0x10 2 rw shared -> ok\n"
		     "mmap p1 0x10 2 rw shared -> ok\n"
		     "mmap p1 0x20 1 rw private|anon -> ok\n"
		     "write p0 0x11 0x1234 -> ok\n"
		     "read p1 0x11 = 0x1234\n"
		     "write p1 0x10 5\n"
		     "read p0 0x10 = 5\n"
		     "read p0 0x20 -> SEGV\n"
		     "exit p1\n"
		     "read p0 0x10 = 5\n");
}
END_TEST

START_TEST(shared_anon_after_fork)
{
	run_asserted("mmt 1\n"
		     "spawn p0\n"
		     "mmap p0 0x10 1 rw shared|anon\n"
		     "fork p0 p1\n"
		     "write p1 0x10 3\n"
		     "read p0 0x10 = 3\n"
		     "madvise p0 0x10 1 dontfork -> ok\n"
		     "fork p0 p2\n"
		     "read p2 0x10 -> SEGV\n"
		     "exit p0\n"
		     "read p1 0x10 = 3\n");
}
END_TEST

START_TEST(fork_then_exit)
{
	/* the child outlives the parent that forked it */
	run_asserted("mmt 1\n"
		     "spawn p0\n"
		     "mmap p0 0x10 1 rw private|anon\n"
		     "write p0 0x10 42\n"
		     "fork p0 p1 -> ok\n"
		     "exit p0 -> ok\n"
		     "read p1 0x10 = 42\n"
		     "fork p1 p0 -> ok\n"
		     "read p0 0x10 = 42\n"
		     "exit p1 -> ok\n"
		     "exit p0 -> ok\n");
}
END_TEST

START_TEST(mremap_moves_data)
{
	run_asserted("mmt 1\n"
		     "spawn p0\n"
		     "mmap p0 0x10 2 rw private|anon\n"
		     "write p0 0x11 6\n"
		     "mremap p0 0x10 2 0x20 2 -> ok\n"
		     "read p0 0x10 -> SEGV\n"
		     "read p0 0x21 = 6\n");
}
END_TEST

START_TEST(skips)
{
	struct mmt_host_info info;
	struct mmt_host_result r;
	struct mmt_program p;

	mmt_host_info(&info);
	/* node 7 exists in neither world: ENODEV on both sides, so it runs */
	parse("mmt 1\n"
	      "world nodes=2 frames=64 swap=16\n"
	      "spawn p0\n"
	      "swapon 1 8\n"
	      "mmap p0 0x10 1 rw private|anon\n"
	      "write p0 0x10 1\n"
	      "reclaim 4\n"
	      "migrate p0 0x10 1 1\n"
	      "migrate p0 0x10 1 7\n"
	      "migrate p0 0x10 1 0 all\n"
	      "read p0 0x10 = 1\n", &p);
	ck_assert_int_eq(mmt_host_run(&p, NULL, &r), 0);
	ck_assert_msg(r.status == HOST_DONE, "%s", r.msg);
	ck_assert_int_eq(r.ops[1].skip, HOST_SKIP_MODEL_ONLY);
	ck_assert_int_eq(r.ops[4].skip, HOST_SKIP_MODEL_ONLY);
	ck_assert_int_eq(r.ops[5].skip, info.node_mask & 2 ? HOST_RAN : HOST_SKIP_NO_NODE);
	ck_assert_int_eq(r.ops[6].skip, HOST_RAN);
	ck_assert_int_eq(r.ops[6].outcome, OUT_ENODEV);
	ck_assert_int_eq(r.ops[7].skip, info.cap_sys_nice ? HOST_RAN : HOST_SKIP_NO_CAP);
	ck_assert_int_eq(r.ops[8].outcome, OUT_OK);
	ck_assert_int_eq(r.ops[8].value, 1);
	mmt_host_result_free(&r);
	mmt_program_free(&p);
}
END_TEST

/*
 * split runs where debugfs's split_huge_pages opens for writing and is
 * skipped with its reason elsewhere (here: no debugfs, or lockdown); the
 * data stays either way
 */
START_TEST(split_runs_or_skips)
{
	struct mmt_host_info info;
	struct mmt_host_result r;
	struct mmt_program p;

	mmt_host_info(&info);
	parse("mmt 1\n"
	      "spawn p0\n"
	      "mmap p0 0x400 0x200 rw private|anon\n"
	      "madvise p0 0x400 0x200 hugepage\n"
	      "write p0 0x401 5\n"
	      "split p0 0x400 0x200 -> ok\n"
	      "read p0 0x401 = 5\n"
	      "read p0 0x402 = 0\n", &p);
	ck_assert_int_eq(mmt_host_run(&p, NULL, &r), 0);
	ck_assert_msg(r.status == HOST_DONE, "%s", r.msg);
	ck_assert_int_eq(r.ops[4].skip, info.split_huge_pages ? HOST_RAN : HOST_SKIP_NO_SPLIT);
	if (info.split_huge_pages)
		ck_assert_int_eq(r.ops[4].outcome, OUT_OK);
	ck_assert_ptr_nonnull(strstr(mmt_host_skip_name(HOST_SKIP_NO_SPLIT),
				     "/sys/kernel/debug/split_huge_pages"));
	ck_assert_int_eq(r.ops[5].value, 5);
	ck_assert_int_eq(r.ops[6].value, 0);
	mmt_host_result_free(&r);
	mmt_program_free(&p);
}
END_TEST

START_TEST(multitask_refused)
{
	struct mmt_host_result r;
	struct mmt_program p;

	parse("mmt 1\nspawn p0\n@1 mmap p0 0x10 1 rw private|anon\n", &p);
	ck_assert_int_eq(mmt_host_run(&p, NULL, &r), 0);
	ck_assert_int_eq(r.status, HOST_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(r.msg, "tasks"));
	mmt_host_result_free(&r);
	mmt_program_free(&p);
}
END_TEST

/* without the opt-in the KSM ops stay model-only, as they always were */
START_TEST(ksm_off_by_default)
{
	struct mmt_host_result r;
	struct mmt_program p;

	parse("mmt 1\nspawn p0\nmmap p0 0x10 2 rw private|anon\nwrite p0 0x10 7\n"
	      "madvise p0 0x10 2 mergeable\nksm_run 1\nksmd 16\nksm_merge_across_nodes 1\n"
	      "read p0 0x10 = 7\n", &p);
	ck_assert_int_eq(mmt_host_run(&p, NULL, &r), 0);
	ck_assert_msg(r.status == HOST_DONE, "%s", r.msg);
	for (size_t i = 4; i <= 6; i++)
		ck_assert_int_eq(r.ops[i].skip, HOST_SKIP_MODEL_ONLY);
	ck_assert_int_eq(r.ops[5].ksm_merging, -1);
	ck_assert_int_eq(r.ops[7].ksm_page, -1);
	ck_assert_int_eq(r.ops[7].value, 7);
	mmt_host_result_free(&r);
	mmt_program_free(&p);
}
END_TEST

/*
 * --host-ksm: as root the host's ksmd merges two equal pages in two passes
 * (one ksmd op each), a read finds the KSM page, and a write copies it;
 * elsewhere the run is refused with a reason
 */
START_TEST(host_ksm)
{
	struct mmt_host_opts o;
	struct mmt_host_info info;
	struct mmt_host_result r;
	struct mmt_program p;

	mmt_host_info(&info);
	mmt_host_opts_default(&o);
	o.ksm = true;
	parse("mmt 1\nspawn p0\nmmap p0 0x10 2 rw private|anon\nwrite p0 0x10 7\n"
	      "write p0 0x11 7\nmadvise p0 0x10 2 mergeable\nksmd 16\nksmd 16\n"
	      "read p0 0x10 = 7\nwrite p0 0x11 8\nread p0 0x11 = 8\nread p0 0x10 = 7\n", &p);
	ck_assert_int_eq(mmt_host_run(&p, &o, &r), 0);
	if (!info.ksm_control) {
		ck_assert_int_eq(r.status, HOST_UNSUPPORTED);
		ck_assert_ptr_nonnull(strstr(r.msg, "--host-ksm"));
	} else {
		ck_assert_msg(r.status == HOST_DONE, "%s", r.msg);
		ck_assert_int_eq(r.ops[5].skip, HOST_RAN);
		ck_assert_int_eq(r.ops[5].ksm_merging, 0);	/* one pass: checksums */
		ck_assert_int_eq(r.ops[6].ksm_merging, 2);
		ck_assert_int_eq(r.ops[7].value, 7);
		ck_assert_int_eq(r.ops[7].ksm_page, 1);
		ck_assert_int_eq(r.ops[9].value, 8);
		ck_assert_int_eq(r.ops[9].ksm_page, 0);
		ck_assert_int_eq(r.ops[10].value, 7);
	}
	mmt_host_result_free(&r);
	mmt_program_free(&p);
}
END_TEST

/* live processes running our binary, other than us and our parent (Check's runner) */
static int others_like_us(void)
{
	char self[512], path[64], exe[512];
	struct dirent *d;
	DIR *dir;
	int n = 0;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	ck_assert_int_gt(len, 0);
	self[len] = 0;
	dir = opendir("/proc");
	ck_assert_ptr_nonnull(dir);
	while ((d = readdir(dir))) {
		long pid = strtol(d->d_name, NULL, 10);

		if (pid <= 0 || pid == getpid() || pid == getppid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
		len = readlink(path, exe, sizeof(exe) - 1);	/* fails for zombies */
		if (len <= 0)
			continue;
		exe[len] = 0;
		n += !strcmp(exe, self);
	}
	closedir(dir);
	return n;
}

/* a run leaves no process behind: every pN and the zygote are gone */
START_TEST(no_process_left)
{
	struct mmt_host_result r;
	struct mmt_program p;
	int before = others_like_us();

	parse("mmt 1\nspawn p0\nfork p0 p1\nfork p1 p2\nspawn p3\nexit p1\n", &p);
	ck_assert_int_eq(mmt_host_run(&p, NULL, &r), 0);
	ck_assert_msg(r.status == HOST_DONE, "%s", r.msg);
	/* our own children are reaped; the orphans' SIGKILL lands at once */
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	for (int i = 0; i < 50 && others_like_us() > before; i++)
		usleep(10 * 1000);
	ck_assert_int_eq(others_like_us(), before);
	mmt_host_result_free(&r);
	mmt_program_free(&p);
}
END_TEST

static Suite *host_suite(void)
{
	Suite *s = suite_create("host");
	TCase *tc = tcase_create("host");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cow_after_fork);
	tcase_add_test(tc, errnos);
	tcase_add_test(tc, shared_file_two_processes);
	tcase_add_test(tc, shared_anon_after_fork);
	tcase_add_test(tc, fork_then_exit);
	tcase_add_test(tc, mremap_moves_data);
	tcase_add_test(tc, skips);
	tcase_add_test(tc, split_runs_or_skips);
	tcase_add_test(tc, multitask_refused);
	tcase_add_test(tc, no_process_left);
	tcase_add_test(tc, ksm_off_by_default);
	tcase_add_test(tc, host_ksm);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(host_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
