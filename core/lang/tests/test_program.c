/* SPDX-License-Identifier: MIT */
/*
 * test_program.c - the .mmt reader and printer (core/lang/program.c).
 *
 * Every op parses into the right fields; print/parse round-trips and the
 * canonical text is a fixed point; every error class gives the right
 * line:col and message; comments, blank lines, CRLF, tabs and Unicode
 * spaces behave like tools/realkernel.py; random and mutated input never
 * crashes and either parses (and then round-trips) or reports a position.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmt/program.h"

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */
/* ------------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static size_t rndn(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static void parse_ok_n(const char *text, size_t len, struct mmt_program *p)
{
	struct mmt_parse_error e;
	int r = mmt_parse(text, len, p, &e);

	ck_assert_msg(r == 0, "unexpected parse error %u:%u: %s\n--- text:\n%.*s", e.line, e.col,
		      e.msg, (int)(len > 2000 ? 2000 : len), text);
}

static void parse_ok(const char *text, struct mmt_program *p)
{
	parse_ok_n(text, strlen(text), p);
}

static void expect_error_n(const char *text, size_t len, unsigned line, unsigned col,
			   const char *frag)
{
	struct mmt_program p;
	struct mmt_parse_error e;
	int r = mmt_parse(text, len, &p, &e);

	ck_assert_msg(r == -1, "expected an error containing \"%s\" at %u:%u, parse succeeded:\n%.*s",
		      frag, line, col, (int)(len > 500 ? 500 : len), text);
	ck_assert_msg(e.line == line && e.col == col && strstr(e.msg, frag),
		      "expected %u:%u: ...%s..., got %u:%u: %s\n--- text:\n%.*s", line, col, frag,
		      e.line, e.col, e.msg, (int)(len > 500 ? 500 : len), text);
	/* on error the program is left empty and freeing it is harmless */
	ck_assert_uint_eq(p.nr_ops, 0);
	ck_assert_ptr_null(p.ops);
	mmt_program_free(&p);
}

static void expect_error(const char *text, unsigned line, unsigned col, const char *frag)
{
	expect_error_n(text, strlen(text), line, col, frag);
}

static void assert_op_equal(const struct mmt_op *a, const struct mmt_op *b, size_t i)
{
	ck_assert_msg(a->code == b->code && a->task == b->task && a->proc == b->proc &&
		      a->proc2 == b->proc2 && a->prot == b->prot && a->mflags == b->mflags &&
		      a->advice == b->advice && a->all == b->all &&
		      a->has_expect_value == b->has_expect_value && a->expect == b->expect &&
		      a->addr == b->addr && a->len == b->len && a->addr2 == b->addr2 &&
		      a->len2 == b->len2 && a->value == b->value && a->node == b->node,
		      "op %zu differs (codes %d/%d)", i, a->code, b->code);
}

static void assert_prog_equal(const struct mmt_program *a, const struct mmt_program *b)
{
	ck_assert_int_eq(a->world.present, b->world.present);
	ck_assert_int_eq(a->world.nodes, b->world.nodes);
	ck_assert_uint_eq(a->world.frames, b->world.frames);
	ck_assert_uint_eq(a->world.swap, b->world.swap);
	ck_assert_int_eq(a->world.no_zeropage, b->world.no_zeropage);
	ck_assert_int_eq(a->world.no_huge_zeropage, b->world.no_huge_zeropage);
	ck_assert_int_eq(a->world.thp_always, b->world.thp_always);
	ck_assert_int_eq(a->nr_names, b->nr_names);
	for (int i = 0; i < a->nr_names; i++)
		ck_assert_str_eq(a->names[i], b->names[i]);
	ck_assert_uint_eq(a->nr_ops, b->nr_ops);
	for (size_t i = 0; i < a->nr_ops; i++)
		assert_op_equal(&a->ops[i], &b->ops[i], i);
	ck_assert_int_eq(a->has_schedule, b->has_schedule);
	ck_assert_int_eq(a->schedule_lenient, b->schedule_lenient);
	ck_assert_uint_eq(a->nr_schedule, b->nr_schedule);
	if (a->nr_schedule)
		ck_assert(memcmp(a->schedule, b->schedule, a->nr_schedule) == 0);
}

/*
 * parse(print(p)) == p and print(parse(print(p))) == print(p).  Returns the
 * canonical text (caller frees).
 */
static char *assert_roundtrip(const struct mmt_program *p)
{
	struct mmt_program q;
	char *t1, *t2;

	t1 = mmt_print_string(p);
	ck_assert_ptr_nonnull(t1);
	parse_ok(t1, &q);
	assert_prog_equal(p, &q);
	t2 = mmt_print_string(&q);
	ck_assert_ptr_nonnull(t2);
	ck_assert_str_eq(t1, t2);
	free(t2);
	mmt_program_free(&q);
	return t1;
}

/* the text parses, round-trips, and is canonical: printing gives it back */
static void assert_canonical(const char *text)
{
	struct mmt_program p;
	char *t;

	parse_ok(text, &p);
	t = assert_roundtrip(&p);
	ck_assert_str_eq(t, text);
	free(t);
	mmt_program_free(&p);
}

/* ------------------------------------------------------------------------ */
/* every op                                                                 */
/* ------------------------------------------------------------------------ */

static const char every_op[] =
	"mmt 1\n"
	"world nodes=4 frames=1024 swap=64\n"
	"spawn p0\n"
	"fork p0 p1\n"
	"mmap p0 0x10 8 rw private|anon\n"
	"mmap p0 0x20 1 r shared\n"
	"mmap p0 0x30 2 w private\n"
	"mmap p0 0x40 3 none shared|anon -> EINVAL\n"
	"munmap p0 0x10 0 -> EINVAL\n"
	"mprotect p0 0x10 8 r -> ENOMEM\n"
	"mremap p1 0x10 8 0x40 16\n"
	"madvise p1 0x10 8 pageout\n"
	"read p0 0x11\n"
	"read p0 0x11 = 0xdead -> ok\n"
	"write p0 0x11 0xffffffffffffffff -> SEGV\n"
	"migrate p0 0x10 8 1\n"
	"migrate p0 0x10 8 2147483647 all -> EFAULT\n"
	"swapon 3 128\n"
	"swapoff 3 -> EBUSY\n"
	"reclaim 16 -> EAGAIN\n"
	"check\n"
	"@1 read p1 0x0 = 0x0\n"
	"@7 exit p1 -> EEXIST\n"
	"exit p0\n"
	"spawn p0 -> ENOENT\n"
	"write p0 0x0 0x0 -> EPERM\n"
	"write p0 0x0 0x1 -> ENODEV\n"
	"write p0 0x0 0x2 -> EACCES\n"
	"write p0 0x0 0x3 -> EINTR\n"
	"write p0 0x0 0x4 -> BUS\n"
	"schedule 0 1 7*2 0\n";

START_TEST(test_every_op_fields)
{
	struct mmt_program p;
	const struct mmt_op *o;

	parse_ok(every_op, &p);
	ck_assert_uint_eq(p.nr_ops, 28);
	ck_assert(p.world.present);
	ck_assert_int_eq(p.world.nodes, 4);
	ck_assert_uint_eq(p.world.frames, 1024);
	ck_assert_uint_eq(p.world.swap, 64);
	ck_assert_int_eq(p.nr_names, 2);
	ck_assert_str_eq(p.names[0], "p0");
	ck_assert_str_eq(p.names[1], "p1");

	o = &p.ops[0];
	ck_assert_int_eq(o->code, OP_SPAWN);
	ck_assert_int_eq(o->proc, 0);
	ck_assert_int_eq(o->expect, -1);
	ck_assert_uint_eq(o->line, 3);
	o = &p.ops[1];
	ck_assert_int_eq(o->code, OP_FORK);
	ck_assert_int_eq(o->proc, 0);
	ck_assert_int_eq(o->proc2, 1);
	o = &p.ops[2];
	ck_assert_int_eq(o->code, OP_MMAP);
	ck_assert_uint_eq(o->addr, 0x10);
	ck_assert_uint_eq(o->len, 8);
	ck_assert_int_eq(o->prot, MPROT_RW);
	ck_assert_int_eq(o->mflags, MFL_PRIVATE | MFL_ANON);
	ck_assert_int_eq(p.ops[3].prot, MPROT_R);
	ck_assert_int_eq(p.ops[3].mflags, MFL_SHARED);
	ck_assert_int_eq(p.ops[4].prot, MPROT_W);
	ck_assert_int_eq(p.ops[4].mflags, MFL_PRIVATE);
	ck_assert_int_eq(p.ops[5].prot, MPROT_NONE);
	ck_assert_int_eq(p.ops[5].mflags, MFL_SHARED | MFL_ANON);
	ck_assert_int_eq(p.ops[5].expect, OUT_EINVAL);
	ck_assert_int_eq(p.ops[6].code, OP_MUNMAP);
	ck_assert_uint_eq(p.ops[6].len, 0);
	ck_assert_int_eq(p.ops[7].code, OP_MPROTECT);
	ck_assert_int_eq(p.ops[7].expect, OUT_ENOMEM);
	o = &p.ops[8];
	ck_assert_int_eq(o->code, OP_MREMAP);
	ck_assert_int_eq(o->proc, 1);
	ck_assert_uint_eq(o->addr, 0x10);
	ck_assert_uint_eq(o->len, 8);
	ck_assert_uint_eq(o->addr2, 0x40);
	ck_assert_uint_eq(o->len2, 16);
	ck_assert_int_eq(p.ops[9].code, OP_MADVISE);
	ck_assert_int_eq(p.ops[9].advice, ADV_PAGEOUT);
	ck_assert_int_eq(p.ops[10].code, OP_READ);
	ck_assert(!p.ops[10].has_expect_value);
	o = &p.ops[11];
	ck_assert(o->has_expect_value);
	ck_assert_uint_eq(o->value, 0xdead);
	ck_assert_int_eq(o->expect, OUT_OK);
	o = &p.ops[12];
	ck_assert_int_eq(o->code, OP_WRITE);
	ck_assert_uint_eq(o->value, UINT64_MAX);
	ck_assert_int_eq(o->expect, OUT_SEGV);
	o = &p.ops[13];
	ck_assert_int_eq(o->code, OP_MIGRATE);
	ck_assert_int_eq(o->node, 1);
	ck_assert(!o->all);
	o = &p.ops[14];
	ck_assert_int_eq(o->node, 2147483647);
	ck_assert(o->all);
	ck_assert_int_eq(o->expect, OUT_EFAULT);
	o = &p.ops[15];
	ck_assert_int_eq(o->code, OP_SWAPON);
	ck_assert_uint_eq(o->addr, 3);
	ck_assert_uint_eq(o->len, 128);
	o = &p.ops[16];
	ck_assert_int_eq(o->code, OP_SWAPOFF);
	ck_assert_uint_eq(o->addr, 3);
	ck_assert_int_eq(o->expect, OUT_EBUSY);
	o = &p.ops[17];
	ck_assert_int_eq(o->code, OP_RECLAIM);
	ck_assert_uint_eq(o->addr, 16);
	ck_assert_int_eq(o->expect, OUT_EAGAIN);
	ck_assert_int_eq(p.ops[18].code, OP_CHECK);
	o = &p.ops[19];
	ck_assert_int_eq(o->task, 1);
	ck_assert(o->has_expect_value);
	ck_assert_uint_eq(o->value, 0);
	ck_assert_int_eq(p.ops[20].task, 7);
	ck_assert_int_eq(p.ops[20].code, OP_EXIT);
	ck_assert_int_eq(p.ops[20].expect, OUT_EEXIST);
	ck_assert_int_eq(p.ops[22].code, OP_SPAWN);	/* respawn after exit */
	ck_assert_int_eq(p.ops[22].proc, 0);
	ck_assert_int_eq(p.ops[22].expect, OUT_ENOENT);
	ck_assert_int_eq(p.ops[23].expect, OUT_EPERM);
	ck_assert_int_eq(p.ops[24].expect, OUT_ENODEV);
	ck_assert_int_eq(p.ops[25].expect, OUT_EACCES);
	ck_assert_uint_eq(p.ops[25].line, 28);
	ck_assert_int_eq(p.ops[26].expect, OUT_EINTR);
	ck_assert_int_eq(p.ops[27].expect, OUT_BUS);	/* added last: older numbers stay */
	ck_assert(p.has_schedule);
	ck_assert_uint_eq(p.nr_schedule, 5);
	ck_assert_int_eq(p.schedule[2], 7);
	mmt_program_free(&p);
}
END_TEST

START_TEST(test_remap_file_pages)
{
	static const char text[] = "mmt 1\nspawn p0\nremap_file_pages p0 0x10 2 0x0 -> EINVAL\n"
				   "remap_file_pages p0 0x20 0 0xffffffff\n";
	struct mmt_program p;
	char buf[128];

	ck_assert_int_eq(mmt_parse(text, strlen(text), &p, NULL), 0);
	ck_assert_int_eq(p.ops[1].code, OP_REMAP_FILE_PAGES);
	ck_assert_uint_eq(p.ops[1].addr, 0x10);
	ck_assert_uint_eq(p.ops[1].len, 2);
	ck_assert_uint_eq(p.ops[1].addr2, 0);
	ck_assert_uint_eq(p.ops[1].len2, 0);
	ck_assert_int_eq(p.ops[1].expect, OUT_EINVAL);
	ck_assert_uint_eq(p.ops[2].addr2, 0xffffffff);
	ck_assert_int_gt(mmt_print_op(buf, sizeof(buf), &p, &p.ops[1]), 0);
	ck_assert_str_eq(buf, "remap_file_pages p0 0x10 2 0x0 -> EINVAL");
	/* an offset whose range passes page 2^32 has no text form */
	p.ops[2].len = 2;
	ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &p.ops[2]), -1);
	mmt_program_free(&p);
	assert_canonical(text);
}
END_TEST

START_TEST(test_every_op_canonical)
{
	/* every_op is already in canonical form */
	assert_canonical(every_op);
}
END_TEST

START_TEST(test_all_enums_roundtrip)
{
	char buf[256];
	char *text;
	size_t cap = 1 << 16, len = 0;
	struct mmt_program p;
	static const char *const flags[] = {
		"private", "shared", "private|anon", "shared|anon",
	};

	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	len += (size_t)snprintf(text + len, cap - len, "mmt 1\nspawn a\n");
	for (int i = 0; i < NR_MPROT; i++)
		for (int f = 0; f < 4; f++)
			len += (size_t)snprintf(text + len, cap - len, "mmap a 0x%x 1 %s %s\n", i * 4 + f,
						mmt_prot_name(i), flags[f]);
	for (int i = 0; i < NR_MMT_ADVICE; i++)
		len += (size_t)snprintf(text + len, cap - len, "madvise a 0x0 4294967296 %s\n",
					mmt_advice_name(i));
	for (int i = 0; i < NR_MMT_OUTCOMES; i++)
		len += (size_t)snprintf(text + len, cap - len, i % MMT_MAX_TASKS ?
					"@%d check -> %s\n" : "%.0dcheck -> %s\n",
					i % MMT_MAX_TASKS, mmt_outcome_name(i));
	len += (size_t)snprintf(text + len, cap - len,
				"mprotect a 0xffffffff 1 none\nmremap a 0x0 4294967296 0x0 4294967296\n"
				"swapon 0 1\nswapon 255 16777216\nswapoff 255\nreclaim 1\nreclaim 16777216\n"
				"migrate a 0x0 0 0\nwrite a 0xffffffff 0x8000000000000000\n");
	ck_assert_uint_lt(len, cap);
	assert_canonical(text);

	parse_ok(text, &p);
	/* every op prints on its own as the matching line of the text */
	{
		const char *line = strchr(text, '\n') + 1;

		for (size_t i = 0; i < p.nr_ops; i++) {
			const char *nl = strchr(line, '\n');
			int n = mmt_print_op(buf, sizeof(buf), &p, &p.ops[i]);

			ck_assert_int_eq(n, (int)(nl - line));
			ck_assert(memcmp(buf, line, (size_t)n) == 0);
			line = nl + 1;
		}
	}
	mmt_program_free(&p);
	free(text);
}
END_TEST

START_TEST(test_noncanonical_input)
{
	/* every spelling a human may use prints in one canonical way */
	static const struct { const char *in, *out; } cases[] = {
		{ "mmap p 16 8 rw anon|private", "mmap p 0x10 8 rw private|anon" },
		{ "mmap p 0X10 0x8 rw private|anon|private", "mmap p 0x10 8 rw private|anon" },
		{ "mmap p 0x1_0 8 w shared", "mmap p 0x10 8 w shared" },
		{ "write p 017 -1", "write p 0x11 0xffffffffffffffff" },
		{ "write p 0 -9223372036854775808", "write p 0x0 0x8000000000000000" },
		{ "write p 0 0x-5", "write p 0x0 0xfffffffffffffffb" },
		{ "write p 0 -0x-5", "write p 0x0 0x5" },
		{ "write p 0 0x0x_ff", "write p 0x0 0xff" },
		{ "write p 0 0x+ff", "write p 0x0 0xff" },
		{ "read p -0 = 18446744073709551615", "read p 0x0 = 0xffffffffffffffff" },
		{ "read p 0 -> OK", "read p 0x0 -> ok" },
		{ "read p 0 -> Ok", "read p 0x0 -> ok" },
		{ "read p 0 -> EWOULDBLOCK", "read p 0x0 -> EAGAIN" },
		{ "@0 read p 0", "read p 0x0" },
		{ "@003 read p 0", "@3 read p 0x0" },
		{ "migrate p 0 1 0x10", "migrate p 0x0 1 16" },
		{ "swapon 0x10 0x10", "swapon 16 16" },
		{ "  read   p\t0   =  5  ->  ok   # c", "read p 0x0 = 0x5 -> ok" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char in[256], want[256];
		struct mmt_program p;
		char *t;

		snprintf(in, sizeof(in), "mmt 1\nspawn p\n%s\n", cases[i].in);
		snprintf(want, sizeof(want), "mmt 1\nspawn p\n%s\n", cases[i].out);
		parse_ok(in, &p);
		t = assert_roundtrip(&p);
		ck_assert_msg(strcmp(t, want) == 0, "'%s' printed as '%s'", cases[i].in, t);
		free(t);
		mmt_program_free(&p);
	}
}
END_TEST

/* ------------------------------------------------------------------------ */
/* the DESIGN.md section 4 example, verbatim                                */
/* ------------------------------------------------------------------------ */

static const char design_example[] =
"mmt 1\n"
"world nodes=2 frames=64 swap=128          # optional; defaults documented in the project\n"
"spawn p0                                  # new process, empty mm\n"
"mmap p0 0x10 8 rw private|anon            # MAP_FIXED semantics: replaces any overlap\n"
"write p0 0x11 0xdead\n"
"read p0 0x11 = 0xdead                     # '= V' asserts the value read\n"
"fork p0 p1                                # p1 = child of p0\n"
"mprotect p0 0x10 8 r\n"
"write p0 0x11 1 -> SEGV                   # '-> OUTCOME' asserts the result\n"
"migrate p0 0x10 8 1                       # move_pages to node 1\n"
"madvise p1 0x10 8 pageout                 # dontneed|pageout|cold|mergeable|unmergeable|dontfork|dofork|hugepage|nohugepage\n"
"swapon 0 128\n"
"reclaim 16\n"
"munmap p0 0x10 0 -> EINVAL\n"
"mremap p1 0x10 8 0x40 8                   # MAYMOVE|FIXED semantics\n"
"exit p1\n"
"check                                     # full invariant check now\n";

static const char design_canonical[] =
"mmt 1\n"
"world nodes=2 frames=64 swap=128\n"
"spawn p0\n"
"mmap p0 0x10 8 rw private|anon\n"
"write p0 0x11 0xdead\n"
"read p0 0x11 = 0xdead\n"
"fork p0 p1\n"
"mprotect p0 0x10 8 r\n"
"write p0 0x11 0x1 -> SEGV\n"
"migrate p0 0x10 8 1\n"
"madvise p1 0x10 8 pageout\n"
"swapon 0 128\n"
"reclaim 16\n"
"munmap p0 0x10 0 -> EINVAL\n"
"mremap p1 0x10 8 0x40 8\n"
"exit p1\n"
"check\n";

/* the daemon ops: kswapd N, kcompactd NODE N; any task may run them */
START_TEST(test_daemon_ops)
{
	static const char text[] =
		"mmt 1\n"
		"spawn p0\n"
		"kswapd 16\n"
		"@3 kswapd 16777216 -> ok\n"
		"kcompactd 1 32\n"
		"@1 kcompactd 2147483647 1 -> ENODEV\n"
		"schedule 0 3 1\n";
	struct mmt_program p;
	struct mmt_op bad;
	char buf[64];

	parse_ok(text, &p);
	ck_assert_uint_eq(p.nr_ops, 5);
	ck_assert_int_eq(p.ops[1].code, OP_KSWAPD);
	ck_assert_uint_eq(p.ops[1].addr, 16);
	ck_assert_int_eq(p.ops[2].task, 3);
	ck_assert_uint_eq(p.ops[2].addr, 16777216);
	ck_assert_int_eq(p.ops[3].code, OP_KCOMPACTD);
	ck_assert_int_eq(p.ops[3].node, 1);
	ck_assert_uint_eq(p.ops[3].addr, 32);
	ck_assert_int_eq(p.ops[4].node, 2147483647);
	ck_assert_int_eq(p.ops[4].expect, OUT_ENODEV);
	ck_assert_str_eq(mmt_opcode_name(OP_KSWAPD), "kswapd");
	ck_assert_str_eq(mmt_opcode_name(OP_KCOMPACTD), "kcompactd");
	mmt_program_free(&p);
	/* the idle page tracker: page_idle N, like kswapd */
	parse_ok("mmt 1\n@2 page_idle 8\n", &p);
	ck_assert_int_eq(p.ops[0].code, OP_PAGE_IDLE);
	ck_assert_uint_eq(p.ops[0].addr, 8);
	ck_assert_str_eq(mmt_opcode_name(OP_PAGE_IDLE), "page_idle");
	mmt_program_free(&p);
	assert_canonical("mmt 1\npage_idle 1\n@1 page_idle 32 -> ok\n");
	/* khugepaged N: one wakeup scanning N ptes, any task */
	parse_ok("mmt 1\n@1 khugepaged 512\n", &p);
	ck_assert_int_eq(p.ops[0].code, OP_KHUGEPAGED);
	ck_assert_uint_eq(p.ops[0].addr, 512);
	ck_assert_str_eq(mmt_opcode_name(OP_KHUGEPAGED), "khugepaged");
	mmt_program_free(&p);
	assert_canonical("mmt 1\nkhugepaged 1\n@1 khugepaged 64 -> ok\n");
	/* split P ADDR N [0]: the new order is 0 or absent, and not printed */
	parse_ok("mmt 1\nspawn p0\nsplit p0 0x10 8\n@1 split p0 0x20 0 0 -> ok\n", &p);
	ck_assert_int_eq(p.ops[1].code, OP_SPLIT);
	ck_assert_uint_eq(p.ops[1].addr, 0x10);
	ck_assert_uint_eq(p.ops[1].len, 8);
	ck_assert_uint_eq(p.ops[2].len, 0);
	ck_assert_str_eq(mmt_opcode_name(OP_SPLIT), "split");
	{
		char *t = assert_roundtrip(&p);

		ck_assert_str_eq(t, "mmt 1\nspawn p0\nsplit p0 0x10 8\n@1 split p0 0x20 0 -> ok\n");
		free(t);
	}
	mmt_program_free(&p);
	assert_canonical("mmt 1\nspawn p0\nsplit p0 0x10 4\n");
	expect_error("mmt 1\nspawn p0\nsplit p0 0x10 4 2\n", 3, 17,
		     "new order 2: the model splits to order 0 only");
	expect_error("mmt 1\nspawn p0\nsplit p0 0x10\n", 3, 14,
		     "'split' takes 3 or 4 arguments (proc page count [new_order]), got 2");
	expect_error("mmt 1\nspawn p0\nsplit p0 0x10 4 0 0\n", 3, 19, "got 5");
	expect_error("mmt 1\nsplit p1 0x10 4\n", 2, 7, "process 'p1' does not exist");
	/* canonical, and parse(print(p)) == p */
	assert_canonical(text);
	assert_canonical("mmt 1\nkcompactd 0 1\n@7 kswapd 1\n");
	/* noncanonical input prints canonically */
	parse_ok("mmt 1\nkcompactd 0x1 0x20 # c\n kswapd   010\n", &p);
	{
		char *t = assert_roundtrip(&p);

		ck_assert_str_eq(t, "mmt 1\nkcompactd 1 32\nkswapd 10\n");
		free(t);
	}
	/* the printer refuses what the reader would not take back */
	bad = p.ops[0];
	bad.addr = 0;
	ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
	bad.addr = (UINT64_C(1) << 24) + 1;
	ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
	bad = p.ops[0];
	bad.node = -1;
	ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
	bad = p.ops[1];
	bad.addr = 0;
	ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
	mmt_program_free(&p);
}
END_TEST

START_TEST(test_design_example)
{
	struct mmt_program p;
	char *t;

	parse_ok(design_example, &p);
	ck_assert_uint_eq(p.nr_ops, 15);
	ck_assert(p.world.present);
	ck_assert_int_eq(p.world.nodes, 2);
	ck_assert_uint_eq(p.world.frames, 64);
	ck_assert_uint_eq(p.world.swap, 128);
	ck_assert_int_eq(p.ops[8].code, OP_MADVISE);
	ck_assert_int_eq(p.ops[8].advice, ADV_PAGEOUT);
	ck_assert_int_eq(p.ops[8].proc, 1);
	ck_assert_uint_eq(p.ops[8].line, 11);
	ck_assert(!p.has_schedule);
	t = assert_roundtrip(&p);
	ck_assert_str_eq(t, design_canonical);
	free(t);
	mmt_program_free(&p);
	assert_canonical(design_canonical);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* lexical rules                                                            */
/* ------------------------------------------------------------------------ */

START_TEST(test_lexical)
{
	static const char *const texts[] = {
		/* comments and blank lines anywhere, before the header too */
		"# leading comment\n\n   \n\t# indented\nmmt 1   # header comment\n\n"
		"spawn p#comment glued to a token\n# full line\n\nread p 0#x\n read\tp 0 #\n",
		/* CRLF, a lone CR, no final newline */
		"mmt 1\r\nspawn p\r\n\r\nread p 0\rread p 0",
		/* tabs, vertical tab, form feed, \x1c..\x1f, Unicode spaces (NBSP,
		 * EM SPACE, IDEOGRAPHIC SPACE) separate tokens like realkernel.py */
		"mmt\t1\n\tspawn\tp\t\nread\x0bp\x1c" "0\x1f\n"
		"read\xc2\xa0p\xe2\x80\x83" "0\xe3\x80\x80\x0c\n",
	};
	static const char want[] = "mmt 1\nspawn p\nread p 0x0\nread p 0x0\n";

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct mmt_program p;
		char *t;

		parse_ok(texts[i], &p);
		ck_assert_uint_eq(p.nr_ops, 3);
		t = assert_roundtrip(&p);
		ck_assert_msg(strcmp(t, want) == 0, "text %zu printed as:\n%s", i, t);
		free(t);
		mmt_program_free(&p);
	}
}
END_TEST

START_TEST(test_line_numbers)
{
	struct mmt_program p;

	/* CRLF counts one line, a lone CR one line, LF CR two lines */
	parse_ok("# x\r\nmmt 1\r\nspawn p\rread p 0\n\rread p 1\n", &p);
	ck_assert_uint_eq(p.nr_ops, 3);
	ck_assert_uint_eq(p.ops[0].line, 3);
	ck_assert_uint_eq(p.ops[1].line, 4);
	ck_assert_uint_eq(p.ops[2].line, 6);
	mmt_program_free(&p);
	expect_error("mmt 1\r\n\r\nspawn p\r\nread q 0\r\n", 4, 6, "process 'q' does not exist");
	/* columns count code points, as realkernel.py does */
	expect_error("mmt 1\nspawn\xc2\xa0p\xc2\xa0zz\n", 2, 9, "'spawn' takes 1 argument (proc), got 2");
	expect_error("mmt 1\nspawn p # \xc3\xa9\nread\tp\t\xc3\xa9x\n", 3, 8, "bad number");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* errors                                                                   */
/* ------------------------------------------------------------------------ */

#define P "mmt 1\nspawn p\n"	/* errors below are on line 3 */

static const struct err_case {
	const char *text;
	unsigned line, col;
	const char *frag;
} err_cases[] = {
	/* header */
	{ "", 1, 1, "empty program: first line must be 'mmt 1'" },
	{ "# nothing\n\n \t\n", 1, 1, "empty program: first line must be 'mmt 1'" },
	{ "mmt 2\n", 1, 1, "first line must be 'mmt 1'" },
	{ "mmt 1 2\n", 1, 1, "first line must be 'mmt 1'" },
	{ "mmt\n", 1, 1, "first line must be 'mmt 1'" },
	{ "\n# c\n  spawn p\n", 3, 3, "first line must be 'mmt 1'" },
	{ "\xef\xbb\xbfmmt 1\n", 1, 1, "first line must be 'mmt 1'" },
	/* operations and arity */
	{ P "mmapp p 0 1 r private\n", 3, 1, "unknown operation 'mmapp'" },
	{ P "mmt 1\n", 3, 1, "unknown operation 'mmt'" },
	{ P "mmap p 0 1 r\n", 3, 13,
	  "'mmap' takes 5 arguments (proc page count prot flags), got 4" },
	{ P "mmap p 0 1 r private x y\n", 3, 22, "'mmap' takes 5 arguments" },
	{ P "exit\n", 3, 5, "'exit' takes 1 argument (proc), got 0" },
	{ P "fork p\n", 3, 7, "'fork' takes 2 arguments (parent child), got 1" },
	{ P "read p -> ok\n", 3, 7, "'read' takes 2 arguments (proc page), got 1" },
	{ P "read p = 5\n", 3, 7, "'read' takes 2 arguments" },
	{ P "munmap p 1\n", 3, 11, "'munmap' takes 3 arguments" },
	{ P "mprotect p 1 1\n", 3, 15, "'mprotect' takes 4 arguments" },
	{ P "mremap p 1 1 2\n", 3, 15, "'mremap' takes 5 arguments" },
	{ P "madvise p 1 1\n", 3, 14, "'madvise' takes 4 arguments" },
	{ P "write p 1\n", 3, 10, "'write' takes 3 arguments" },
	{ P "migrate p 0 1\n", 3, 14, "'migrate' takes 4 or 5 arguments (proc page count node [all]), got 3" },
	{ P "migrate p 0 1 1 al\n", 3, 17, "('al' is not 'all')" },
	{ P "migrate p 0 1 1 all x\n", 3, 21, "'migrate' takes 4 or 5 arguments" },
	{ P "swapon 1\n", 3, 9, "'swapon' takes 2 arguments (id slots), got 1" },
	{ P "swapoff\n", 3, 8, "'swapoff' takes 1 argument (id), got 0" },
	{ P "reclaim 1 2\n", 3, 11, "'reclaim' takes 1 argument (count), got 2" },
	{ P "check now\n", 3, 7, "'check' takes no arguments, got 1" },
	/* numbers */
	{ P "munmap p zz 1\n", 3, 10,
	  "bad number: expected page number (decimal or 0x hex), got 'zz'" },
	{ P "munmap p 0x 1\n", 3, 10, "bad number: expected page number" },
	{ P "munmap p - 1\n", 3, 10, "bad number" },
	{ P "munmap p +1 1\n", 3, 10, "bad number" },
	{ P "munmap p 1_0 1\n", 3, 10, "bad number" },
	{ P "munmap p 0x__1 1\n", 3, 10, "bad number" },
	{ P "munmap p 0x1_ 1\n", 3, 10, "bad number" },
	{ P "munmap p 0x1g 1\n", 3, 10, "bad number" },
	{ P "munmap p 0x100000000 1\n", 3, 10,
	  "page number 0x100000000 out of range [0, 0xffffffff]" },
	{ P "munmap p -1 1\n", 3, 10, "page number -1 out of range" },
	{ P "munmap p 99999999999999999999999 1\n", 3, 10, "page number 99999999999999999999999 out of range" },
	{ P "munmap p 1 0x100000001\n", 3, 12, "page count 0x100000001 out of range [0, 0x100000000]" },
	{ P "munmap p 0xffffffff 2\n", 3, 21, "range runs past page 0x100000000" },
	{ P "mremap p 0 1 0xffffffff 2\n", 3, 25, "range runs past page 0x100000000" },
	{ P "mremap p 0 1 0x100000000 0\n", 3, 14, "page number 0x100000000 out of range" },
	{ P "write p 0 18446744073709551616\n", 3, 11, "value 18446744073709551616 out of range" },
	{ P "write p 0 -9223372036854775809\n", 3, 11,
	  "value -9223372036854775809 out of range [-9223372036854775808, 0xffffffffffffffff]" },
	{ P "write p 0 0x10000000000000000\n", 3, 11, "out of range" },
	{ P "write p 0 x\n", 3, 11, "bad number: expected value (decimal or 0x hex), got 'x'" },
	{ P "migrate p 0 1 0x80000000\n", 3, 15, "node 0x80000000 out of range [0, 0x7fffffff]" },
	{ P "migrate p 0 1 -1\n", 3, 15, "node -1 out of range" },
	{ P "swapon 256 1\n", 3, 8, "swap device id 256 out of range [0, 255]" },
	{ P "swapon 0 0\n", 3, 10, "slot count 0 out of range [1, 16777216]" },
	{ P "swapon 0 16777217\n", 3, 10, "slot count 16777217 out of range" },
	{ P "swapoff -1\n", 3, 9, "swap device id -1 out of range" },
	{ P "reclaim 0\n", 3, 9, "reclaim count 0 out of range [1, 16777216]" },
	{ P "reclaim 0x1000001\n", 3, 9, "reclaim count 0x1000001 out of range" },
	/* words */
	{ P "mprotect p 0 1 rwx\n", 3, 16, "bad protection 'rwx' (none|r|w|rw)" },
	{ P "mmap p 0 1 r private|foo\n", 3, 14, "bad mmap flag 'foo' (private|shared|anon)" },
	{ P "mmap p 0 1 r private|\n", 3, 14, "bad mmap flag ''" },
	{ P "mmap p 0 1 r anon\n", 3, 14, "mmap flags need exactly one of private, shared" },
	{ P "mmap p 0 1 r private|shared\n", 3, 14, "exactly one of private, shared" },
	{ P "madvise p 0 1 foo\n", 3, 15, "unknown madvise advice 'foo'" },
	{ P "madvise p 0 1 free\n", 3, 15, "madvise advice 'free' is not supported" },
	{ P "madvise p 0 1 PAGEOUT\n", 3, 15, "unknown madvise advice" },
	/* outcomes and values */
	{ P "read p 0 ->\n", 3, 10, "'->' must be followed by exactly one outcome" },
	{ P "read p 0 -> ok x\n", 3, 16, "'->' must be followed by exactly one outcome" },
	{ P "read p 0 -> ok -> ok\n", 3, 16, "'->' must be followed by exactly one outcome" },
	{ P "read p 0 -> bogus\n", 3, 13, "unknown outcome 'bogus'" },
	{ P "read p 0 -> ESRCH\n", 3, 13, "unknown outcome 'ESRCH'" },
	{ P "read p 0 -> segv\n", 3, 13, "unknown outcome 'segv'" },
	{ P "read p 0 -> bus\n", 3, 13, "unknown outcome 'bus'" },
	{ P "-> ok\n", 3, 1, "missing operation before '->'" },
	{ P "  -> ok\n", 3, 3, "missing operation before '->'" },
	{ P "write p 0 = 5\n", 3, 11, "'= VALUE' is only allowed on read" },
	{ P "= 5\n", 3, 1, "'= VALUE' is only allowed on read" },
	{ P "read p 0 =\n", 3, 10, "'=' must be followed by exactly one value" },
	{ P "read p 0 = 1 2\n", 3, 14, "'=' must be followed by exactly one value" },
	{ P "read p 0 = zz -> ok\n", 3, 12, "bad number: expected value" },
	{ P "read p 0 -> ok = 5\n", 3, 16, "'->' must be followed by exactly one outcome" },
	{ P "read p 0 = 0x10000000000000000\n", 3, 12, "value 0x10000000000000000 out of range" },
	/* tasks */
	{ P "@8 read p 0\n", 3, 1, "bad task prefix '@8' (tasks are @0 .. @7)" },
	{ P "@ read p 0\n", 3, 1, "bad task prefix '@'" },
	{ P "@x read p 0\n", 3, 1, "bad task prefix '@x'" },
	{ P "@-1 read p 0\n", 3, 1, "bad task prefix" },
	{ P "@1\n", 3, 3, "missing operation after task prefix '@1'" },
	{ P "@1 -> ok\n", 3, 4, "missing operation before '->'" },
	{ P "read @1 p 0\n", 3, 11, "'read' takes 2 arguments" },
	{ P "@1 @2 read p 0\n", 3, 4, "unknown operation '@2'" },
	/* processes */
	{ P "spawn p\n", 3, 7, "process 'p' already exists" },
	{ P "read q 0\n", 3, 6, "process 'q' does not exist" },
	{ P "fork q r\n", 3, 6, "process 'q' does not exist" },
	{ P "fork p p\n", 3, 8, "process 'p' already exists" },
	{ P "exit p\nread p 0\n", 4, 6, "process 'p' does not exist (it exited on line 3)" },
	{ P "exit p\nexit p\n", 4, 6, "process 'p' does not exist" },
	{ P "exit p\nfork p q\n", 4, 6, "process 'p' does not exist" },
	{ P "fork p q\n@3 spawn q\n", 4, 10, "process 'q' already exists" },
	{ P "spawn 1x\n", 3, 7, "bad process name '1x'" },
	{ P "spawn p-q\n", 3, 7, "bad process name 'p-q'" },
	{ P "spawn abcdefghijabcdefghijabcdefghij12\n", 3, 7, "too long (at most 31 characters)" },
	{ P "swapon p 1\n", 3, 8, "bad number: expected swap device id" },
	/* world */
	{ P "world nodes=1\n", 3, 1, "'world' must come before the first operation" },
	{ "mmt 1\nworld\nworld\n", 3, 1, "only one 'world' line is allowed (the first is on line 2)" },
	{ "mmt 1\n@1 world nodes=1\n", 2, 1, "a task prefix is not allowed on a 'world' line" },
	{ "mmt 1\nworld nodes\n", 2, 7, "expected KEY=VALUE" },
	{ "mmt 1\nworld nodes = 2\n", 2, 7, "expected KEY=VALUE" },
	{ "mmt 1\nworld cpus=2\n", 2, 7,
	  "unknown world key 'cpus' (nodes, frames, swap, device, thp, zeropage, hugezero, thpalways)" },
	{ "mmt 1\nworld zeropage=2\n", 2, 16, "zeropage 2 out of range [0, 1]" },
	{ "mmt 1\nworld hugezero=2\n", 2, 16, "hugezero 2 out of range [0, 1]" },
	{ "mmt 1\nworld nodes=1 nodes=2\n", 2, 15, "duplicate world key 'nodes'" },
	{ "mmt 1\nworld nodes=9\n", 2, 13, "nodes 9 out of range [1, 8]" },
	{ "mmt 1\nworld nodes=0\n", 2, 13, "nodes 0 out of range" },
	{ "mmt 1\nworld frames=0\n", 2, 14, "frames 0 out of range [1, 1048576]" },
	{ "mmt 1\nworld frames=1048577\n", 2, 14, "frames 1048577 out of range" },
	{ "mmt 1\nworld swap=16777217\n", 2, 12, "swap 16777217 out of range [0, 16777216]" },
	{ "mmt 1\nworld swap=\n", 2, 12, "bad number: expected swap" },
	{ "mmt 1\nworld thp=0x40\n", 2, 11, "thp 0x40 out of range" },
	{ "mmt 1\nworld thp=3\n", 2, 11, "thp=0x3 enables order 0, which is no THP" },
	{ "mmt 1\nworld nodes=2 -> ok\n", 2, 15, "expected KEY=VALUE" },
	/* schedule */
	{ "mmt 1\nschedule 0 1\nschedule 1\n", 3, 1,
	  "only one 'schedule' line is allowed (the first is on line 2)" },
	{ "mmt 1\nschedule 0 8\n", 2, 12, "task 8 out of range [0, 7]" },
	{ "mmt 1\nschedule 0 @1\n", 2, 12, "bad number: expected task" },
	{ "mmt 1\n@0 schedule 0\n", 2, 1, "a task prefix is not allowed on a 'schedule' line" },
	/* bytes that are no text */
	{ P "spawn q\x01\n", 3, 7, "bad process name 'q\\x01'" },
	{ P "\x7f\n", 3, 1, "unknown operation '\\x7f'" },
	{ P "read p \xff\n", 3, 8, "bad number" },
	/* daemons */
	{ P "kswapd\n", 3, 7, "'kswapd' takes 1 argument (count), got 0" },
	{ P "kswapd 1 2\n", 3, 10, "'kswapd' takes 1 argument (count), got 2" },
	{ P "kswapd 0\n", 3, 8, "folio count 0 out of range [1, 16777216]" },
	{ P "kswapd p\n", 3, 8, "bad number: expected folio count" },
	{ P "kcompactd 1\n", 3, 12, "'kcompactd' takes 2 arguments (node count), got 1" },
	{ P "kcompactd -1 3\n", 3, 11, "node -1 out of range" },
	{ P "kcompactd 0 0x1000001\n", 3, 13, "folio count 0x1000001 out of range" },
	{ P "kcompactd 0 1 all\n", 3, 15, "'kcompactd' takes 2 arguments" },
	/* remap_file_pages */
	{ P "remap_file_pages p 0x10 1\n", 3, 26,
	  "'remap_file_pages' takes 4 arguments (proc page count pgoff), got 3" },
	{ P "remap_file_pages p 0x10 2 0xffffffff\n", 3, 25, "range runs past page 0x100000000" },
	{ P "remap_file_pages p 0x10 1 0x100000000\n", 3, 27, "page number 0x100000000 out of range" },
};

START_TEST(test_errors)
{
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++)
		expect_error(err_cases[i].text, err_cases[i].line, err_cases[i].col,
			     err_cases[i].frag);
}
END_TEST

START_TEST(test_error_nul_bytes)
{
	static const char t1[] = "mmt 1\nspawn p\0\n";
	static const char t2[] = "mmt\0 1\n";
	static const char t3[] = "mmt 1\nspawn p # \0 comment may hold anything\n\0";

	expect_error_n(t1, sizeof(t1) - 1, 2, 7, "bad process name 'p\\x00'");
	expect_error_n(t2, sizeof(t2) - 1, 1, 1, "first line must be 'mmt 1'");
	expect_error_n(t3, sizeof(t3) - 1, 3, 1, "unknown operation '\\x00'");
	/* a NUL in a comment is just a comment */
	{
		struct mmt_program p;

		parse_ok_n(t3, sizeof(t3) - 2, &p);
		ck_assert_uint_eq(p.nr_ops, 1);
		mmt_program_free(&p);
	}
}
END_TEST

START_TEST(test_error_null_err)
{
	struct mmt_program p;

	/* err may be NULL, text may be NULL when len is 0 */
	ck_assert_int_eq(mmt_parse("zz", 2, &p, NULL), -1);
	ck_assert_int_eq(mmt_parse(NULL, 0, &p, NULL), -1);
	ck_assert_int_eq(mmt_parse("mmt 1", 5, &p, NULL), 0);
	ck_assert_uint_eq(p.nr_ops, 0);
	mmt_program_free(&p);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* world, schedule, processes                                               */
/* ------------------------------------------------------------------------ */

START_TEST(test_world)
{
	struct mmt_program p;

	parse_ok("mmt 1\nspawn p\n", &p);
	ck_assert(!p.world.present);
	ck_assert_int_eq(p.world.nodes, 2);	/* defaults even without a line */
	ck_assert_uint_eq(p.world.frames, 256);
	ck_assert_uint_eq(p.world.swap, 0);
	mmt_program_free(&p);

	parse_ok("mmt 1\n# c\nworld swap=0x10\nspawn p\n", &p);
	ck_assert(p.world.present);
	ck_assert_int_eq(p.world.nodes, 2);
	ck_assert_uint_eq(p.world.frames, 256);
	ck_assert_uint_eq(p.world.swap, 16);
	mmt_program_free(&p);

	assert_canonical("mmt 1\nworld nodes=2 frames=256 swap=0\n");
	assert_canonical("mmt 1\nworld nodes=8 frames=1048576 swap=16777216\n");
	assert_canonical("mmt 1\nworld nodes=1 frames=1 swap=0\nspawn p\n");
	assert_canonical("mmt 1\nworld nodes=2 frames=64 swap=0 zeropage=0\n");
	parse_ok("mmt 1\nworld zeropage=1\n", &p);
	ck_assert(!p.world.no_zeropage);
	mmt_program_free(&p);
	parse_ok("mmt 1\nworld zeropage=0\n", &p);
	ck_assert(p.world.no_zeropage);
	mmt_program_free(&p);
	assert_canonical("mmt 1\nworld nodes=2 frames=64 swap=0 thp=0x20 hugezero=0\n");
	assert_canonical("mmt 1\nworld nodes=2 frames=64 swap=0 thp=0x20 thpalways=1\n");
	parse_ok("mmt 1\nworld hugezero=1\n", &p);
	ck_assert(!p.world.no_huge_zeropage);
	mmt_program_free(&p);
	parse_ok("mmt 1\nworld hugezero=0\n", &p);
	ck_assert(p.world.no_huge_zeropage);
	mmt_program_free(&p);

	/* an empty world line means the defaults, printed in full */
	parse_ok("mmt 1\nworld\n", &p);
	{
		char *t = assert_roundtrip(&p);

		ck_assert_str_eq(t, "mmt 1\nworld nodes=2 frames=256 swap=0\n");
		free(t);
	}
	mmt_program_free(&p);
	/* order of keys does not matter; schedule may precede world */
	parse_ok("mmt 1\nschedule 1\nworld swap=1 frames=2 nodes=3\n", &p);
	ck_assert_int_eq(p.world.nodes, 3);
	ck_assert_uint_eq(p.world.frames, 2);
	ck_assert_uint_eq(p.world.swap, 1);
	mmt_program_free(&p);
}
END_TEST

START_TEST(test_schedule)
{
	struct mmt_program p;
	char *text, *t;
	size_t n = MMT_MAX_SCHEDULE, len = 0;

	/* anywhere after the header, printed last */
	parse_ok("mmt 1\nschedule 0 1 0x7 # c\nspawn p\n@1 read p 0\n", &p);
	ck_assert(p.has_schedule);
	ck_assert_uint_eq(p.nr_schedule, 3);
	ck_assert_int_eq(p.schedule[0], 0);
	ck_assert_int_eq(p.schedule[1], 1);
	ck_assert_int_eq(p.schedule[2], 7);
	t = assert_roundtrip(&p);
	ck_assert_str_eq(t, "mmt 1\nspawn p\n@1 read p 0x0\nschedule 0 1 7\n");
	free(t);
	mmt_program_free(&p);

	/* runs: TASK*COUNT reads as COUNT entries and is how runs print */
	parse_ok("mmt 1\nschedule 0*3 1 1 2*1 0x1*0x2\n", &p);
	ck_assert_uint_eq(p.nr_schedule, 8);
	ck_assert(memcmp(p.schedule, "\0\0\0\1\1\2\1\1", 8) == 0);
	t = assert_roundtrip(&p);
	ck_assert_str_eq(t, "mmt 1\nschedule 0*3 1*2 2 1*2\n");
	free(t);
	mmt_program_free(&p);
	assert_canonical("mmt 1\nschedule 0*56 1*11 0*9 1\n");
	expect_error("mmt 1\nschedule 0*0\n", 2, 12, "run length 0 out of range [1, 65536]");
	expect_error("mmt 1\nschedule 0*\n", 2, 12, "bad number: expected run length");
	expect_error("mmt 1\nschedule *3\n", 2, 10, "bad number: expected task");
	expect_error("mmt 1\nschedule 9*3\n", 2, 10, "task 9 out of range [0, 7]");
	expect_error("mmt 1\nschedule 1*65536 0\n", 2, 18, "schedule has more than 65536 entries");

	/* "lenient" once, first: falls back instead of diverging */
	parse_ok("mmt 1\nschedule lenient 0*3 1\n", &p);
	ck_assert(p.schedule_lenient);
	ck_assert_uint_eq(p.nr_schedule, 4);
	mmt_program_free(&p);
	assert_canonical("mmt 1\nschedule lenient 0*3 1\n");
	assert_canonical("mmt 1\nschedule lenient\n");
	expect_error("mmt 1\nschedule 0 lenient\n", 2, 12,
		     "'lenient' must come once, right after 'schedule'");
	expect_error("mmt 1\nschedule lenient lenient\n", 2, 18,
		     "'lenient' must come once, right after 'schedule'");

	/* an empty schedule is still a schedule */
	parse_ok("mmt 1\nschedule\n", &p);
	ck_assert(p.has_schedule);
	ck_assert_uint_eq(p.nr_schedule, 0);
	mmt_program_free(&p);
	assert_canonical("mmt 1\nschedule\n");

	/* the longest schedule, then one entry too many */
	text = malloc(16 + 2 * (n + 1) + 2);
	ck_assert_ptr_nonnull(text);
	len = (size_t)sprintf(text, "mmt 1\nschedule");
	for (size_t i = 0; i < n; i++) {
		text[len++] = ' ';
		text[len++] = (char)('0' + i % MMT_MAX_TASKS);
	}
	text[len++] = '\n';
	text[len] = '\0';
	parse_ok(text, &p);
	ck_assert_uint_eq(p.nr_schedule, n);
	ck_assert_int_eq(p.schedule[n - 1], (n - 1) % MMT_MAX_TASKS);
	t = assert_roundtrip(&p);
	ck_assert_str_eq(t, text);
	free(t);
	mmt_program_free(&p);
	strcpy(text + len - 1, " 3\n");
	expect_error(text, 2, 10 + 2 * (unsigned)n, "schedule has more than 65536 entries");
	free(text);
}
END_TEST

START_TEST(test_processes)
{
	struct mmt_program p;
	char *text, *t;
	size_t cap = 8192, len = 0;

	/* a name comes back after exit with the same index; liveness is in
	 * program order whatever the task prefix */
	parse_ok("mmt 1\nspawn a\n@1 fork a b\n@2 exit a\n@3 spawn a\nfork b c\nexit c\n"
		 "fork a c\nspawn all\nspawn read\n", &p);
	ck_assert_int_eq(p.nr_names, 5);
	ck_assert_int_eq(p.ops[3].proc, 0);
	ck_assert_int_eq(p.ops[6].proc2, 2);
	ck_assert_str_eq(p.names[3], "all");
	free(assert_roundtrip(&p));
	mmt_program_free(&p);

	/* the longest name */
	assert_canonical("mmt 1\nspawn _bcdefghijabcdefghijabcdefghij1\n");

	/* MMT_MAX_PROCS distinct names fit, one more does not, even after exits */
	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	len = (size_t)snprintf(text, cap, "mmt 1\n");
	for (int i = 0; i < MMT_MAX_PROCS; i++)
		len += (size_t)snprintf(text + len, cap - len, "spawn p%d\nexit p%d\n", i, i);
	parse_ok(text, &p);
	ck_assert_int_eq(p.nr_names, MMT_MAX_PROCS);
	mmt_program_free(&p);
	len += (size_t)snprintf(text + len, cap - len, "spawn p0\nspawn x\n");
	expect_error(text, 2 * MMT_MAX_PROCS + 3, 7, "too many process names");
	text[len - strlen("spawn x\n")] = '\0';
	strcat(text, "fork p0 x\n");
	expect_error(text, 2 * MMT_MAX_PROCS + 3, 9, "too many process names");
	free(text);
	(void)t;
}
END_TEST

/* ------------------------------------------------------------------------ */
/* helpers and printer edge cases                                           */
/* ------------------------------------------------------------------------ */

START_TEST(test_names_and_lookups)
{
	ck_assert_str_eq(mmt_opcode_name(OP_MIGRATE), "migrate");
	ck_assert_str_eq(mmt_opcode_name(OP_CHECK), "check");
	ck_assert_str_eq(mmt_outcome_name(OUT_SEGV), "SEGV");
	ck_assert_str_eq(mmt_outcome_name(OUT_EACCES), "EACCES");
	ck_assert_str_eq(mmt_outcome_name(OUT_BUS), "BUS");
	ck_assert_int_eq(OUT_EINTR, 12);	/* numbering of the outcomes before BUS is kept */
	ck_assert_int_eq(OUT_BUS, 13);
	ck_assert_int_eq(mmt_errno_outcome(-EIO, true), OUT_BUS);
	ck_assert_int_eq(mmt_errno_outcome(-EIO, false), -1);
	ck_assert_int_eq(mmt_errno_outcome(-EFAULT, true), OUT_SEGV);
	ck_assert_int_eq(mmt_errno_outcome(-EFAULT, false), OUT_EFAULT);
	ck_assert_str_eq(mmt_prot_name(MPROT_W), "w");
	ck_assert_str_eq(mmt_prot_name(MPROT_RW), "rw");
	ck_assert_str_eq(mmt_advice_name(ADV_KEEPONFORK), "keeponfork");
	ck_assert_ptr_nonnull(mmt_opcode_name(NR_MMT_OPCODES));	/* never NULL */
	ck_assert_ptr_nonnull(mmt_outcome_name(NR_MMT_OUTCOMES));
	ck_assert_ptr_nonnull(mmt_prot_name(NR_MPROT));
	ck_assert_ptr_nonnull(mmt_advice_name(NR_MMT_ADVICE));
	for (int i = 0; i < NR_MMT_OUTCOMES; i++)
		ck_assert_int_eq(mmt_outcome_lookup(mmt_outcome_name(i)), i);
	ck_assert_int_eq(mmt_outcome_lookup("OK"), OUT_OK);
	ck_assert_int_eq(mmt_outcome_lookup("EWOULDBLOCK"), OUT_EAGAIN);
	ck_assert_int_eq(mmt_outcome_lookup("segv"), -1);
	ck_assert_int_eq(mmt_outcome_lookup(""), -1);
	ck_assert_int_eq(mmt_outcome_lookup(NULL), -1);
}
END_TEST

START_TEST(test_memory_helpers)
{
	struct mmt_program p, q;
	struct mmt_op op;
	char buf[64], name[8];
	char *t;

	mmt_program_init(&p);
	ck_assert_int_eq(p.world.nodes, 2);
	ck_assert_int_eq(mmt_program_name(&p, "a"), 0);
	ck_assert_int_eq(mmt_program_name(&p, "b"), 1);
	ck_assert_int_eq(mmt_program_name(&p, "a"), 0);
	ck_assert_int_eq(mmt_program_name(&p, ""), -1);
	ck_assert_int_eq(mmt_program_name(&p, "abcdefghijabcdefghijabcdefghij12"), -1);
	ck_assert_int_eq(p.nr_names, 2);

	/* build a program in memory, print it, parse it back */
	memset(&op, 0, sizeof(op));
	op.expect = -1;
	op.code = OP_SPAWN;
	op.proc = 0;
	ck_assert_int_eq(mmt_program_add(&p, &op), 0);
	op.code = OP_FORK;
	op.proc2 = 1;
	ck_assert_int_eq(mmt_program_add(&p, &op), 0);
	for (int i = 0; i < 1000; i++) {
		memset(&op, 0, sizeof(op));
		op.code = OP_WRITE;
		op.task = (uint8_t)(i % MMT_MAX_TASKS);
		op.proc = (uint8_t)(i & 1);
		op.addr = (uint64_t)i;
		op.value = (uint64_t)i * 0x9e3779b97f4a7c15ull;
		op.expect = (int8_t)(i % (NR_MMT_OUTCOMES + 1)) - 1;
		ck_assert_int_eq(mmt_program_add(&p, &op), 0);
	}
	ck_assert_uint_eq(p.nr_ops, 1002);
	p.has_schedule = true;
	p.schedule = malloc(3);
	ck_assert_ptr_nonnull(p.schedule);
	memcpy(p.schedule, "\1\2\3", 3);
	p.nr_schedule = 3;
	p.world.present = true;
	p.world.swap = 7;
	free(assert_roundtrip(&p));

	/* copy is deep and equal */
	ck_assert_int_eq(mmt_program_copy(&q, &p), 0);
	assert_prog_equal(&p, &q);
	ck_assert_ptr_ne(p.ops, q.ops);
	ck_assert_ptr_ne(p.schedule, q.schedule);
	mmt_program_free(&p);
	t = assert_roundtrip(&q);
	mmt_program_free(&q);
	free(t);
	mmt_program_free(&q);	/* twice is harmless */

	/* names table full */
	mmt_program_init(&p);
	for (int i = 0; i < MMT_MAX_PROCS; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		ck_assert_int_eq(mmt_program_name(&p, name), i);
	}
	ck_assert_int_eq(mmt_program_name(&p, "one_more"), -1);
	ck_assert_int_eq(mmt_program_name(&p, "n5"), 5);

	/* print_op: snprintf-style length, truncation, refusal of bad ops */
	memset(&op, 0, sizeof(op));
	op.code = OP_MMAP;
	op.task = 2;
	op.proc = 3;
	op.addr = 0x10;
	op.len = 8;
	op.prot = MPROT_RW;
	op.mflags = MFL_SHARED | MFL_ANON;
	op.expect = OUT_ENOMEM;
	ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &op),
			 (int)strlen("@2 mmap n3 0x10 8 rw shared|anon -> ENOMEM"));
	ck_assert_str_eq(buf, "@2 mmap n3 0x10 8 rw shared|anon -> ENOMEM");
	ck_assert_int_eq(mmt_print_op(buf, 5, &p, &op), 42);
	ck_assert_str_eq(buf, "@2 m");
	ck_assert_int_eq(mmt_print_op(NULL, 0, &p, &op), 42);
	{
		struct mmt_op bad = op;

		bad.mflags = MFL_ANON;
		ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
		bad = op;
		bad.mflags = MFL_PRIVATE | MFL_SHARED;
		ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
		bad = op;
		bad.proc = MMT_MAX_PROCS;
		ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
		bad = op;
		bad.code = NR_MMT_OPCODES;
		ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
		bad = op;
		bad.task = MMT_MAX_TASKS;
		ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
		bad = op;
		bad.expect = NR_MMT_OUTCOMES;
		ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
		bad = op;
		bad.addr = 0xffffffff;	/* range past 2^32 */
		ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
		bad = op;
		bad.has_expect_value = true;	/* only reads carry '= V' */
		ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
		bad = op;
		bad.prot = NR_MPROT;
		ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
		bad = op;
		bad.code = OP_RECLAIM;
		bad.addr = 0;
		ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), -1);
		bad.addr = 1;
		ck_assert_int_eq(mmt_print_op(buf, sizeof(buf), &p, &bad), 22);
		ck_assert_str_eq(buf, "@2 reclaim 1 -> ENOMEM");
		/* a program holding a bad op does not print */
		bad.addr = 0;
		ck_assert_int_eq(mmt_program_add(&p, &bad), 0);
		ck_assert_ptr_null(mmt_print_string(&p));
		ck_assert_int_eq(mmt_print(stdout, &p), -1);
	}
	mmt_program_free(&p);
}
END_TEST

START_TEST(test_print_file)
{
	struct mmt_program p;
	FILE *f = tmpfile();
	char buf[4096];
	size_t n;

	ck_assert_ptr_nonnull(f);
	parse_ok(every_op, &p);
	ck_assert_int_eq(mmt_print(f, &p), 0);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	ck_assert_str_eq(buf, every_op);
	fclose(f);
	mmt_program_free(&p);
}
END_TEST

START_TEST(test_parse_file)
{
	char path[] = "/tmp/test_program_XXXXXX";
	struct mmt_program p;
	struct mmt_parse_error e;
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(design_example, f);
	fclose(f);
	ck_assert_int_eq(mmt_parse_file(path, &p, &e), 0);
	ck_assert_uint_eq(p.nr_ops, 15);
	mmt_program_free(&p);

	/* an error inside the file */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("mmt 1\nspawn p\nmunmap p 0x10\n", f);
	fclose(f);
	ck_assert_int_eq(mmt_parse_file(path, &p, &e), -1);
	ck_assert_uint_eq(e.line, 3);
	ck_assert_uint_eq(e.col, 14);

	/* too big: a sparse file just past 64 MiB */
	ck_assert_int_eq(truncate(path, (64 << 20) + 1), 0);
	ck_assert_int_eq(mmt_parse_file(path, &p, &e), -1);
	ck_assert_uint_eq(e.line, 1);
	ck_assert_uint_eq(e.col, 1);
	ck_assert_ptr_nonnull(strstr(e.msg, "larger than 64 MiB"));
	unlink(path);

	/* I/O errors: line 1 col 1 with strerror text */
	ck_assert_int_eq(mmt_parse_file(path, &p, &e), -1);
	ck_assert_uint_eq(e.line, 1);
	ck_assert_uint_eq(e.col, 1);
	ck_assert_str_eq(e.msg, "cannot read file: No such file or directory");
	ck_assert_int_eq(mmt_parse_file("/", &p, &e), -1);
	ck_assert_uint_eq(e.line, 1);
	ck_assert_ptr_nonnull(strstr(e.msg, "Is a directory"));
	ck_assert_int_eq(mmt_parse_file("/dev/null", &p, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "empty program"));
	ck_assert_int_eq(mmt_parse_file(NULL, &p, &e), -1);
	ck_assert_uint_eq(p.nr_ops, 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* robustness                                                               */
/* ------------------------------------------------------------------------ */

/* parse anything: either it parses (and then round-trips) or says where */
static int check_any(const char *text, size_t len)
{
	struct mmt_program p;
	struct mmt_parse_error e;
	char *copy = malloc(len ? len : 1);	/* exact size: ASan sees overreads */
	int r;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	memset(&e, 0x55, sizeof(e));
	r = mmt_parse(copy, len, &p, &e);
	if (r == 0) {
		free(assert_roundtrip(&p));
	} else {
		ck_assert_int_eq(r, -1);
		ck_assert_uint_ge(e.line, 1);
		ck_assert_uint_ge(e.col, 1);
		ck_assert_ptr_nonnull(memchr(e.msg, '\0', sizeof(e.msg)));
		ck_assert_uint_gt(strlen(e.msg), 0);
		ck_assert_uint_eq(p.nr_ops, 0);
	}
	mmt_program_free(&p);
	free(copy);
	return r;
}

START_TEST(test_random_bytes)
{
	static const char alphabet[] = " \t\r\n#=->|@_0x19afAF\xc2\xa0\xff\x00";
	char buf[600];
	int ok = 0;

	rng_state = 0x1234567887654321ull;
	for (int it = 0; it < 4000; it++) {
		size_t len = rndn(sizeof(buf));

		memcpy(buf, "mmt 1\n", 6);
		for (size_t i = (it & 1) ? 6 : 0; i < len; i++)
			buf[i] = (it & 2) ? (char)rnd() : alphabet[rndn(sizeof(alphabet))];
		ok += check_any(buf, len) == 0;
	}
	ck_assert_int_gt(ok, 0);
}
END_TEST

static const char *const words[] = {
	"mmt", "1", "spawn", "fork", "exit", "mmap", "munmap", "mprotect", "mremap",
	"madvise", "read", "write", "migrate", "swapon", "swapoff", "reclaim", "check",
	"kswapd", "kcompactd",
	"world", "schedule", "p0", "p1", "p2", "0", "0x10", "8", "-1", "0xffffffff",
	"4294967296", "=", "->", "ok", "SEGV", "EINVAL", "r", "w", "rw", "none",
	"private|anon", "shared", "all", "pageout", "@1", "@7", "@9", "nodes=3",
	"frames=10", "swap=5", "#", "\t", "\r\n", "\n", "\xc2\xa0", "", "\0",
};

START_TEST(test_mutated_programs)
{
	static const char *const seeds[] = { every_op, design_example, design_canonical };
	size_t cap = 1 << 14;
	char *buf = malloc(cap);
	int ok = 0, bad = 0;

	ck_assert_ptr_nonnull(buf);
	rng_state = 0xfeedfacecafebeefull;
	for (int it = 0; it < 4000; it++) {
		const char *seed = seeds[rndn(3)];
		size_t len = strlen(seed);
		int nmut = 1 + (int)rndn(4);

		memcpy(buf, seed, len);
		for (int m = 0; m < nmut; m++) {
			size_t at = rndn(len + 1), n;
			const char *w;

			switch (rndn(6)) {
			case 0:		/* flip a byte */
				if (at < len)
					buf[at] = (char)rnd();
				break;
			case 1:		/* delete a few bytes */
				n = rndn(8);
				if (at + n > len)
					n = len - at;
				memmove(buf + at, buf + at + n, len - at - n);
				len -= n;
				break;
			case 2:		/* insert a word and a space */
				w = words[rndn(sizeof(words) / sizeof(words[0]))];
				n = strlen(w) + 1;
				if (len + n >= cap)
					break;
				memmove(buf + at + n, buf + at, len - at);
				memcpy(buf + at, w, n - 1);
				buf[at + n - 1] = (w[0] == '\0' && rndn(2)) ? '\0' : ' ';
				len += n;
				break;
			case 3:		/* duplicate a chunk (lines, tokens) */
				n = rndn(64);
				if (at + n > len)
					n = len - at;
				if (len + n >= cap)
					break;
				memmove(buf + at + n, buf + at, len - at);
				len += n;
				break;
			case 4:		/* truncate */
				if (rndn(4) == 0)
					len = at;
				break;
			default:	/* swap a digit for another */
				if (at < len && buf[at] >= '0' && buf[at] <= '9')
					buf[at] = (char)('0' + rndn(10));
				break;
			}
		}
		if (check_any(buf, len) == 0)
			ok++;
		else
			bad++;
	}
	/* the mutations should exercise both outcomes */
	ck_assert_int_gt(ok, 100);
	ck_assert_int_gt(bad, 100);
	free(buf);
}
END_TEST

START_TEST(test_huge_inputs)
{
	size_t n = 1000000, len;
	char *buf = malloc(16 * n + 64);

	ck_assert_ptr_nonnull(buf);

	/* 10^6 tokens on one op line */
	len = (size_t)sprintf(buf, "mmt 1\nspawn p\nread p");
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + len, " 1", 2);
		len += 2;
	}
	expect_error_n(buf, len, 3, 10, "'read' takes 2 arguments (proc page), got 1000001");
	/* ... ending in '= V -> ok': those are found past the millionth token */
	memcpy(buf + len, " = 5 -> ok", 10);
	expect_error_n(buf, len + 10, 3, 10, "got 1000001");
	memcpy(buf + len, " = 5 6 -> ok", 12);
	expect_error_n(buf, len + 12, 3, (unsigned)(len - 14 + 6), "'=' must be followed");
	memcpy(buf + len, " = 5 -> ok ok", 13);
	expect_error_n(buf, len + 13, 3, (unsigned)(len - 14 + 12), "'->' must be followed");
	memcpy(buf + len, " = x -> ok", 10);
	expect_error_n(buf, len + 10, 3, (unsigned)(len - 14 + 4), "bad number: expected value");
	/* 10^6 arrows */
	len = (size_t)sprintf(buf, "mmt 1\nspawn p\nread p 0");
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + len, " ->", 3);
		len += 3;
	}
	expect_error_n(buf, len, 3, 16, "'->' must be followed by exactly one outcome");
	/* 10^6 world keys */
	len = (size_t)sprintf(buf, "mmt 1\nworld");
	for (size_t i = 0; i < n; i++) {
		memcpy(buf + len, " nodes=1", 8);
		len += 8;
	}
	expect_error_n(buf, len, 2, 15, "duplicate world key 'nodes'");
	/* one token of 8 MiB */
	len = (size_t)sprintf(buf, "mmt 1\nspawn ");
	memset(buf + len, 'a', 8u << 20);
	len += 8u << 20;
	expect_error_n(buf, len, 2, 7, "too long");
	memset(buf + 6, '9', 8u << 20);
	expect_error_n(buf, len, 2, 1, "unknown operation '999");
	/* 10^6 lines: CRLF, then LF, then lone CR */
	len = (size_t)sprintf(buf, "mmt 1\n");
	for (size_t i = 0; i < n; i++) {
		if (i < n / 2)
			buf[len++] = (i % 2) ? '\n' : '\r';
		else
			buf[len++] = (i < 3 * n / 4) ? '\n' : '\r';
	}
	len += (size_t)sprintf(buf + len, "read p 0\n");
	expect_error_n(buf, len, 1 + n / 4 + n / 2 + 1, 6, "process 'p' does not exist");
	/* 10^6 NUL bytes */
	memset(buf, 0, n);
	expect_error_n(buf, n, 1, 1, "first line must be 'mmt 1'");
	/* 200k ops: parse and print */
	{
		struct mmt_program p;
		size_t k = 200000;
		char *t;

		len = (size_t)sprintf(buf, "mmt 1\nspawn p\n");
		for (size_t i = 0; i < k; i++)
			len += (size_t)sprintf(buf + len, "@%zu write p 0x%zx 0x%zx\n", i % 7 + 1,
					       i % 0x1000, i);
		parse_ok_n(buf, len, &p);
		ck_assert_uint_eq(p.nr_ops, k + 1);
		t = mmt_print_string(&p);
		ck_assert_ptr_nonnull(t);
		ck_assert_uint_eq(strlen(t), len);
		ck_assert(memcmp(t, buf, len) == 0);
		free(t);
		mmt_program_free(&p);
	}
	free(buf);
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *program_suite(void)
{
	Suite *s = suite_create("program");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_every_op_fields);
	tcase_add_test(tc, test_every_op_canonical);
	tcase_add_test(tc, test_remap_file_pages);
	tcase_add_test(tc, test_all_enums_roundtrip);
	tcase_add_test(tc, test_noncanonical_input);
	tcase_add_test(tc, test_design_example);
	tcase_add_test(tc, test_daemon_ops);
	tcase_add_test(tc, test_lexical);
	tcase_add_test(tc, test_line_numbers);
	tcase_add_test(tc, test_world);
	tcase_add_test(tc, test_schedule);
	tcase_add_test(tc, test_processes);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_error_nul_bytes);
	tcase_add_test(tc, test_error_null_err);
	suite_add_tcase(s, tc);

	tc = tcase_create("helpers");
	tcase_add_test(tc, test_names_and_lookups);
	tcase_add_test(tc, test_memory_helpers);
	tcase_add_test(tc, test_print_file);
	tcase_add_test(tc, test_parse_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 300);	/* sanitizer builds are slow */
	tcase_add_test(tc, test_random_bytes);
	tcase_add_test(tc, test_mutated_programs);
	tcase_add_test(tc, test_huge_inputs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(program_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
