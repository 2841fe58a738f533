/* SPDX-License-Identifier: MIT */
/*
 * test_export.c - .mmt programs as standalone C (fuzz/lib/export.c).
 *
 * The text only: every opcode exports (a new one the exporter does not
 * know makes the all-opcodes test fail), each op appears as its real call
 * or as a note saying why it is not reproduced, assertions become checks,
 * tasks become threads after the setup, what the program cannot express
 * is refused before anything is written, and the header comment survives
 * any source text.  fuzz/tests/export.sh compiles and runs the output.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/export.h"
#include "mmt/program.h"

/* one op of every kind, each advice, assertions of each sort */
static const char all_ops[] =
	"mmt 1\n"
	"world nodes=2 frames=64 swap=16\n"
	"swapon 1 32\n"
	"spawn p0\n"
	"mmap p0 0x10 4 rw private|anon\n"
	"mmap p0 0x20 2 r shared\n"
	"mmap p0 0x30 2 w shared|anon\n"
	"mmap p0 0x40 1 none private\n"
	"write p0 0x10 0xdead\n"
	"read p0 0x10 = 0xdead -> ok\n"
	"read p0 0x50 -> SEGV\n"
	"mprotect p0 0x10 4 r\n"
	"munmap p0 0x10 0 -> EINVAL\n"
	"mremap p0 0x10 2 0x60 3\n"
	"remap_file_pages p0 0x20 1 0x21\n"
	"madvise p0 0x60 1 normal\n"
	"madvise p0 0x60 1 willneed\n"
	"madvise p0 0x60 1 dontneed\n"
	"madvise p0 0x60 1 pageout\n"
	"madvise p0 0x60 1 cold\n"
	"madvise p0 0x60 1 mergeable\n"
	"madvise p0 0x60 1 unmergeable\n"
	"madvise p0 0x60 1 dontfork\n"
	"madvise p0 0x60 1 dofork\n"
	"madvise p0 0x60 1 hugepage\n"
	"madvise p0 0x60 1 nohugepage\n"
	"madvise p0 0x60 1 wipeonfork\n"
	"madvise p0 0x60 1 keeponfork\n"
	"fork p0 p1\n"
	"migrate p0 0x60 2 1\n"
	"migrate p1 0x60 2 0 all\n"
	"reclaim 8\n"
	"kswapd 16\n"
	"kcompactd 0 16 -> ok\n"
	"ksm_merge_across_nodes 0 -> ok\n"
	"ksmd 16\n"
	"ksm_run 2 -> ok\n"
	"check\n"
	"device_migrate p0 0x60 2\n"
	"device_release p0 0x60 2\n"
	"uffd_register p0 0x60 2\n"
	"uffd_move p0 0x60 0x10 1 holes\n"
	"pin p0 0x60 1\n"
	"pin_write p0 0x60 0x5\n"
	"pin_read p0 0x60 = 0x5\n"
	"unpin p0 0x60 1\n"
	"page_idle 8\n"
	"split p0 0x60 2 -> ok\n"
	"khugepaged 64\n"
	"swapoff 1 -> ok\n"
	"exit p1\n"
	"exit p0\n";

/* @text exported, in a malloc'd string; *@ret gets mmt_export_c's return */
static char *export_text(const char *text, const struct mmt_export_opts *o, int *ret)
{
	struct mmt_parse_error err;
	struct mmt_program p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(mmt_parse(text, strlen(text), &p, &err), 0);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	*ret = mmt_export_c(&p, f, o);
	fclose(f);
	mmt_program_free(&p);
	return buf;
}

static char *export_ok(const char *text, const struct mmt_export_opts *o)
{
	int ret;
	char *out = export_text(text, o, &ret);

	ck_assert_int_eq(ret, 0);
	return out;
}

#define has(out, s) ck_assert_msg(strstr(out, s), "missing: %s", s)

START_TEST(every_opcode_exports)
{
	struct mmt_parse_error err;
	struct mmt_program p;
	bool seen[NR_MMT_OPCODES] = { false };

	/* the fixture must hold every opcode the language has */
	ck_assert_int_eq(mmt_parse(all_ops, strlen(all_ops), &p, &err), 0);
	for (size_t i = 0; i < p.nr_ops; i++)
		seen[p.ops[i].code] = true;
	for (int c = 0; c < NR_MMT_OPCODES; c++)
		ck_assert_msg(seen[c], "all_ops lacks '%s'", mmt_opcode_name(c));
	mmt_program_free(&p);

	char *out = export_ok(all_ops, NULL);

	/* the real calls, in the runtime */
	has(out, "mmap(want, pages_len(n), prot, flags | MAP_FIXED, fd, off)");
	has(out, "munmap((void *)page_addr(page)");
	has(out, "mprotect((void *)page_addr(page)");
	has(out, "MREMAP_MAYMOVE | MREMAP_FIXED");
	has(out, "madvise((void *)page_addr(page)");
	has(out, "syscall(SYS_move_pages, 0,");
	has(out, "pid = fork();");
	has(out, "_exit(0);");
	has(out, "memfd_create");
	has(out, "ftruncate(fd,");
	has(out, "sigsetjmp(fault_env, 1)");
	/* each op of the program, as its call */
	has(out, "do_mmap(r, 0x10, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);");
	has(out, "do_mmap(r, 0x20, 2, PROT_READ, MAP_SHARED);");
	has(out, "do_mmap(r, 0x30, 2, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);");
	has(out, "do_mmap(r, 0x40, 1, PROT_NONE, MAP_PRIVATE);");
	has(out, "do_write(r, 0x10, 0xdeadULL);");
	has(out, "do_read(r, 0x10);");
	has(out, "do_mprotect(r, 0x10, 4, PROT_READ);");
	has(out, "do_munmap(r, 0x10, 0);");
	has(out, "do_mremap(r, 0x10, 2, 0x60, 3);");
	has(out, "do_remap_file_pages(r, 0x20, 1, 0x21);");
	has(out, "remap_file_pages((void *)page_addr(page), pages_len(n), 0, (size_t)pgoff, 0)");
	has(out, "do_migrate(r, 0x60, 2, 1, MPOL_MF_MOVE);");
	has(out, "do_migrate(r, 0x60, 2, 0, MPOL_MF_MOVE_ALL);");
	has(out, "do_split(r, 0x60, 2);");
	has(out, "/sys/kernel/debug/split_huge_pages");
	for (int a = 0; a < NR_MMT_ADVICE; a++) {
		char want[64], upper[32];
		const char *w = mmt_advice_name(a);
		size_t i;

		for (i = 0; w[i] && i < sizeof(upper) - 1; i++)
			upper[i] = (char)(w[i] >= 'a' && w[i] <= 'z' ? w[i] - 32 : w[i]);
		upper[i] = 0;
		snprintf(want, sizeof(want), "do_madvise(r, 0x60, 1, MADV_%s);", upper);
		has(out, want);
	}
	/* the steps the coordinator runs itself, and the notes */
	has(out, ".kind = K_SPAWN, .proc = 0");
	has(out, ".kind = K_FORK, .proc = 0, .proc2 = 1");
	has(out, ".kind = K_EXIT, .proc = 1");
	has(out, ".text = \"reclaim 8\"");
	has(out, ".kind = K_PAGEOUT");
	has(out, ".text = \"swapon 1 32\",\n\t  .why = \"the model's swap device;");
	has(out, ".text = \"check\",\n\t  .why = ");
	has(out, ".text = \"kcompactd 0 16\", .expect = \"ok\",\n\t  .why = ");
	has(out, "swapon and swapoff are the model's swap devices: swap files only with --system");
	has(out, ".kind = K_SWAPON, .proc = -1");
	has(out, ", .id = 1, .slots = 32ULL }");
	has(out, ".text = \"swapoff 1\", .expect = \"ok\",\n\t  .why = ");
	has(out, "swapon(path, 0)");
	has(out, "swapoff(path)");
	has(out, "#define WORLD_SWAP\t16");
	has(out, "reclaim and kswapd are approximated by MADV_PAGEOUT");
	has(out, "kcompactd is compaction of the whole node, only with --system (root)");
	has(out, ".kind = K_COMPACT");
	has(out, "/sys/devices/system/node/node%d/compact");
	has(out, "check (the model's invariants) has no kernel counterpart");
	has(out, "device_migrate, device_release and uffd_register are not reproduced");
	has(out, "ksmd, ksm_run and ksm_merge_across_nodes are the model's:");
	has(out, "pin, unpin, pin_write and pin_read (long-term GUP pins");
	has(out, "split writes /sys/kernel/debug/split_huge_pages");
	has(out, "khugepaged is the model's pass");
	/* assertions */
	has(out, ".text = \"read p0 0x10\", .expect = \"ok\", .has_value = 1, .value = 0xdeadULL");
	has(out, ".text = \"read p0 0x50\", .expect = \"SEGV\"");
	has(out, ".text = \"munmap p0 0x10 0\", .expect = \"EINVAL\"");
	has(out, "#define WORLD_NODES\t2");
	has(out, "#define NR_TASKS\t1");
	has(out, "#define NR_OPS\t\t50");
	has(out, "#define PROLOGUE\t50");	/* one task: all of it */
	free(out);
}
END_TEST

START_TEST(bus_outcome)
{
	char *out;

	if (mmt_outcome_lookup("BUS") < 0)
		return;		/* a language without BUS: SEGV stands for both */
	out = export_ok("mmt 1\nspawn p0\nmmap p0 0x10 1 rw shared|anon\n"
			"mremap p0 0x10 1 0x10 2\nread p0 0x11 -> BUS\n", NULL);
	has(out, ".expect = \"BUS\"");
	has(out, "#define BUS_IS_OUTCOME\t1");
	has(out, "return \"BUS\";");
	free(out);
}
END_TEST

START_TEST(tasks_are_threads_after_the_setup)
{
	static const char text[] =
		"mmt 1\n"
		"spawn p0\n"
		"mmap p0 0x10 2 rw private|anon\n"
		"@0 migrate p0 0x10 2 1\n"
		"@1 fork p0 p1\n"
		"@1 read p1 0x10 = 0\n"
		"schedule 0*3 1*4 0\n";
	struct mmt_export_opts o;
	char *out;

	/* canonical text has no @0: the setup ends at the first @1 */
	out = export_ok(text, NULL);
	has(out, "#define NR_TASKS\t2");
	has(out, "#define PROLOGUE\t3");
	has(out, "pthread_create(");
	has(out, "the first 3 ops (the setup) run alone, then the 2 tasks");
	has(out, "the schedule line is not reproduced\");");
	has(out, ".line = 5, .task = 1, .kind = K_FORK");
	free(out);
	/* the source as written: an explicit @0 starts the tasks part */
	mmt_export_opts_default(&o);
	o.source = text;
	o.source_len = strlen(text);
	o.name = "race.mmt";
	out = export_ok(text, &o);
	has(out, "#define PROLOGUE\t2");
	has(out, " *   @0 migrate p0 0x10 2 1\n");
	has(out, "\"race.mmt\"");
	free(out);
}
END_TEST

START_TEST(refuses_what_has_no_form)
{
	struct mmt_program p;
	struct mmt_op op = { .code = OP_SPAWN, .expect = -1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	mmt_program_init(&p);
	op.proc = (uint8_t)mmt_program_name(&p, "p0");
	ck_assert_int_eq(mmt_program_add(&p, &op), 0);
	op.code = OP_MADVISE;
	op.advice = NR_MMT_ADVICE;		/* no such advice */
	ck_assert_int_eq(mmt_program_add(&p, &op), 0);
	f = open_memstream(&buf, &len);
	errno = 0;
	ck_assert_int_eq(mmt_export_c(&p, f, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	fclose(f);
	ck_assert_uint_eq(len, 0);		/* nothing half-written */
	free(buf);
	p.ops[1].code = NR_MMT_OPCODES;		/* no such op */
	buf = NULL;
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(mmt_export_c(&p, f, NULL), -1);
	fclose(f);
	ck_assert_uint_eq(len, 0);
	free(buf);
	mmt_program_free(&p);
}
END_TEST

START_TEST(header_survives_any_source)
{
	static const char text[] = "mmt 1\n# evil */ int x; /* \xff\x01\r\nspawn p0\r\n";
	struct mmt_export_opts o;
	char *out, *end;

	mmt_export_opts_default(&o);
	o.source = text;
	o.source_len = sizeof(text) - 1;
	o.name = "a*/b\n.mmt";
	out = export_ok(text, &o);
	end = strstr(out, "*/");
	ck_assert_ptr_nonnull(end);
	/* the first comment end is the header's own, after the program */
	ck_assert(end > strstr(out, "spawn p0"));
	has(out, "# evil * / int x; /* \\xff\\x01\n");
	has(out, "\"a*/b\\012.mmt\"");
	free(out);
}
END_TEST

START_TEST(deterministic)
{
	char *a = export_ok(all_ops, NULL), *b = export_ok(all_ops, NULL);

	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

static Suite *export_suite(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("export");

	tcase_add_test(tc, every_opcode_exports);
	tcase_add_test(tc, bus_outcome);
	tcase_add_test(tc, tasks_are_threads_after_the_setup);
	tcase_add_test(tc, refuses_what_has_no_form);
	tcase_add_test(tc, header_survives_any_source);
	tcase_add_test(tc, deterministic);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(export_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
