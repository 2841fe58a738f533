/* SPDX-License-Identifier: MIT */
/*
 * program.c - the .mmt reader and printer (see program.h and
 * docs/mmt-language.md).
 *
 * The reader is meant to be fed arbitrary bytes by fuzzers: it never keeps
 * more than a fixed number of tokens of a line, bounds every copy, and turns
 * every problem into a "line:col: message" error.  Its lexical rules follow
 * tools/realkernel.py, so any file that tool accepts for the ops both share
 * is accepted here:
 *   - lines end at "\n", "\r\n" or a lone "\r" (Python's universal newlines);
 *   - '#' starts a comment anywhere, even inside a token;
 *   - tokens are separated by whitespace as Python's str.isspace() sees it
 *     (ASCII blanks, \v, \f, \x1c-\x1f, and the Unicode spaces in UTF-8);
 *   - columns count code points (UTF-8 continuation bytes do not count);
 *   - numbers: an optional '-', then decimal digits or "0x" and whatever
 *     Python's int(s, 16) takes (sign, second 0x, single '_' separators).
 */
#include "mmt/program.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PAGENO	(UINT64_C(1) << 32)	/* pages are [0, 2^32) */
#define MAX_NODE	((UINT64_C(1) << 31) - 1)
#define MAX_SWAP_ID	255
#define MAX_SLOTS	(UINT64_C(1) << 24)
#define MAX_RECLAIM	(UINT64_C(1) << 24)
#define MAX_NODES	8
#define MAX_FRAMES	(UINT64_C(1) << 20)
#define MAX_WORLD_SWAP	(UINT64_C(1) << 24)
#define MAX_FILE_SIZE	((size_t)64 << 20)

#define DEFAULT_NODES	2
#define DEFAULT_FRAMES	256
#define DEFAULT_SWAP	0
#define DEFAULT_DEVICE	16
#define MAX_DEVICE	(UINT64_C(1) << 20)
#define MAX_THP_ORDER	5		/* 1..4 mTHP, PTE-mapped; 5 = HPAGE_PMD_ORDER, PMD-mapped */
#define MAX_THP_MASK	((UINT64_C(2) << MAX_THP_ORDER) - 2)

/* ------------------------------------------------------------------------ */
/* names                                                                    */
/* ------------------------------------------------------------------------ */

static const char *const opcode_names[NR_MMT_OPCODES] = {
	[OP_SPAWN] = "spawn",	[OP_FORK] = "fork",	[OP_EXIT] = "exit",
	[OP_MMAP] = "mmap",	[OP_MUNMAP] = "munmap",	[OP_MPROTECT] = "mprotect",
	[OP_MREMAP] = "mremap",	[OP_MADVISE] = "madvise", [OP_READ] = "read",
	[OP_WRITE] = "write",	[OP_MIGRATE] = "migrate", [OP_SWAPON] = "swapon",
	[OP_SWAPOFF] = "swapoff", [OP_RECLAIM] = "reclaim", [OP_CHECK] = "check",
	[OP_KSWAPD] = "kswapd",	[OP_KCOMPACTD] = "kcompactd",
	[OP_DEVICE_MIGRATE] = "device_migrate", [OP_DEVICE_RELEASE] = "device_release",
	[OP_UFFD_REGISTER] = "uffd_register",
	[OP_KSMD] = "ksmd",	[OP_KSM_RUN] = "ksm_run",
	[OP_KSM_MERGE_ACROSS_NODES] = "ksm_merge_across_nodes",
	[OP_UFFD_MOVE] = "uffd_move",
	[OP_PIN] = "pin",	[OP_UNPIN] = "unpin",
	[OP_PIN_WRITE] = "pin_write", [OP_PIN_READ] = "pin_read",
	[OP_REMAP_FILE_PAGES] = "remap_file_pages",
	[OP_PAGE_IDLE] = "page_idle",
	[OP_SPLIT] = "split",
	[OP_KHUGEPAGED] = "khugepaged",
};

static const char *const outcome_names[NR_MMT_OUTCOMES] = {
	[OUT_OK] = "ok",	[OUT_SEGV] = "SEGV",	[OUT_EINVAL] = "EINVAL",
	[OUT_ENOMEM] = "ENOMEM", [OUT_EFAULT] = "EFAULT", [OUT_EBUSY] = "EBUSY",
	[OUT_EEXIST] = "EEXIST", [OUT_ENOENT] = "ENOENT", [OUT_EAGAIN] = "EAGAIN",
	[OUT_EPERM] = "EPERM",	[OUT_ENODEV] = "ENODEV", [OUT_EACCES] = "EACCES",
	[OUT_EINTR] = "EINTR",	[OUT_BUS] = "BUS",
};

static const char *const prot_names[NR_MPROT] = {
	[MPROT_NONE] = "none", [MPROT_R] = "r", [MPROT_W] = "w", [MPROT_RW] = "rw",
};

static const char *const advice_names[NR_MMT_ADVICE] = {
	[ADV_NORMAL] = "normal",	[ADV_WILLNEED] = "willneed",
	[ADV_DONTNEED] = "dontneed",	[ADV_PAGEOUT] = "pageout",
	[ADV_COLD] = "cold",		[ADV_MERGEABLE] = "mergeable",
	[ADV_UNMERGEABLE] = "unmergeable", [ADV_DONTFORK] = "dontfork",
	[ADV_DOFORK] = "dofork",	[ADV_HUGEPAGE] = "hugepage",
	[ADV_NOHUGEPAGE] = "nohugepage", [ADV_WIPEONFORK] = "wipeonfork",
	[ADV_KEEPONFORK] = "keeponfork",
};

/* madvise words realkernel.py knows that the model does not */
static const char *const advice_unsupported[] = {
	"random", "sequential", "free", "remove", "dontdump", "dodump",
	"populate_read", "populate_write", "dontneed_locked", "collapse",
};

const char *mmt_opcode_name(enum mmt_opcode c)
{
	return (unsigned)c < NR_MMT_OPCODES ? opcode_names[c] : "?";
}

const char *mmt_outcome_name(enum mmt_outcome o)
{
	return (unsigned)o < NR_MMT_OUTCOMES ? outcome_names[o] : "?";
}

const char *mmt_prot_name(enum mmt_prot p)
{
	return (unsigned)p < NR_MPROT ? prot_names[p] : "?";
}

const char *mmt_advice_name(enum mmt_advice a)
{
	return (unsigned)a < NR_MMT_ADVICE ? advice_names[a] : "?";
}

static bool word_is(const char *s, size_t n, const char *w)
{
	size_t wn = strlen(w);

	return n == wn && memcmp(s, w, n) == 0;
}

static int table_lookup(const char *const *tab, int nr, const char *s, size_t n)
{
	for (int i = 0; i < nr; i++)
		if (word_is(s, n, tab[i]))
			return i;
	return -1;
}

/* 'ok' in any case and EWOULDBLOCK (== EAGAIN) as realkernel.py takes them */
static int outcome_lookup_n(const char *s, size_t n)
{
	if (n == 2 && (s[0] | 0x20) == 'o' && (s[1] | 0x20) == 'k')
		return OUT_OK;
	if (word_is(s, n, "EWOULDBLOCK"))
		return OUT_EAGAIN;
	return table_lookup(outcome_names, NR_MMT_OUTCOMES, s, n);
}

int mmt_outcome_lookup(const char *s)
{
	return s ? outcome_lookup_n(s, strlen(s)) : -1;
}

/* ------------------------------------------------------------------------ */
/* program memory                                                           */
/* ------------------------------------------------------------------------ */

void mmt_program_init(struct mmt_program *p)
{
	memset(p, 0, sizeof(*p));
	p->world.nodes = DEFAULT_NODES;
	p->world.frames = DEFAULT_FRAMES;
	p->world.swap = DEFAULT_SWAP;
	p->world.device = DEFAULT_DEVICE;
}

void mmt_program_free(struct mmt_program *p)
{
	if (!p)
		return;
	free(p->ops);
	free(p->schedule);
	mmt_program_init(p);
}

int mmt_program_add(struct mmt_program *p, const struct mmt_op *op)
{
	if (p->nr_ops == p->cap_ops) {
		size_t cap = p->cap_ops ? p->cap_ops * 2 : 16;
		struct mmt_op *n;

		if (cap < p->cap_ops || cap > SIZE_MAX / sizeof(*n))
			return -ENOMEM;
		n = realloc(p->ops, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->ops = n;
		p->cap_ops = cap;
	}
	p->ops[p->nr_ops++] = *op;
	return 0;
}

static int find_name(const struct mmt_program *p, const char *s, size_t n)
{
	if (n == 0 || n >= MMT_NAME_MAX)
		return -1;
	for (int i = 0; i < p->nr_names && i < MMT_MAX_PROCS; i++)
		if (strnlen(p->names[i], MMT_NAME_MAX) == n && memcmp(p->names[i], s, n) == 0)
			return i;
	return -1;
}

static int intern_name(struct mmt_program *p, const char *s, size_t n)
{
	int i = find_name(p, s, n);

	if (i >= 0)
		return i;
	if (n == 0 || n >= MMT_NAME_MAX || p->nr_names < 0 || p->nr_names >= MMT_MAX_PROCS)
		return -1;
	i = p->nr_names++;
	memcpy(p->names[i], s, n);
	p->names[i][n] = '\0';
	return i;
}

int mmt_program_name(struct mmt_program *p, const char *name)
{
	if (!p || !name)
		return -1;
	return intern_name(p, name, strnlen(name, MMT_NAME_MAX));
}

int mmt_program_copy(struct mmt_program *dst, const struct mmt_program *src)
{
	mmt_program_init(dst);
	dst->world = src->world;
	dst->nr_names = src->nr_names;
	memcpy(dst->names, src->names, sizeof(dst->names));
	if (src->nr_ops) {
		if (src->nr_ops > SIZE_MAX / sizeof(*dst->ops))
			return -ENOMEM;
		dst->ops = malloc(src->nr_ops * sizeof(*dst->ops));
		if (!dst->ops)
			goto nomem;
		memcpy(dst->ops, src->ops, src->nr_ops * sizeof(*dst->ops));
		dst->nr_ops = dst->cap_ops = src->nr_ops;
	}
	dst->has_schedule = src->has_schedule;
	dst->schedule_lenient = src->schedule_lenient;
	if (src->nr_schedule) {
		dst->schedule = malloc(src->nr_schedule);
		if (!dst->schedule)
			goto nomem;
		memcpy(dst->schedule, src->schedule, src->nr_schedule);
		dst->nr_schedule = src->nr_schedule;
	}
	return 0;
nomem:
	mmt_program_free(dst);
	return -ENOMEM;
}

int mmt_program_nr_tasks(const struct mmt_program *p)
{
	int n = 1;

	for (size_t i = 0; i < p->nr_ops; i++)
		if (p->ops[i].task + 1 > n)
			n = p->ops[i].task + 1;
	return n;
}

bool mmt_program_reparses(const struct mmt_program *p)
{
	struct mmt_program q;
	char *text = mmt_print_string(p);
	bool ok;

	if (!text)
		return false;
	ok = mmt_parse(text, strlen(text), &q, NULL) == 0;
	mmt_program_free(&q);
	free(text);
	return ok;
}

/* ------------------------------------------------------------------------ */
/* lexer                                                                    */
/* ------------------------------------------------------------------------ */

struct tok {
	const char *s;
	size_t len;
	unsigned col;		/* first column (1-based, code points) */
	unsigned ecol;		/* column just past the token */
};

struct lexer {
	const unsigned char *p, *end;
	unsigned col;
};

static unsigned sat_inc(unsigned v)
{
	return v < UINT_MAX ? v + 1 : v;
}

/* bytes of the whitespace character at @p, 0 if it is not one */
static size_t ws_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n = (size_t)(end - p);

	if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f))
		return 1;
	if (c < 0xc2 || c > 0xe3)
		return 0;
	if (c == 0xc2)
		return n >= 2 && (p[1] == 0x85 || p[1] == 0xa0) ? 2 : 0;
	if (n < 3)
		return 0;
	if (c == 0xe1)		/* U+1680 */
		return p[1] == 0x9a && p[2] == 0x80 ? 3 : 0;
	if (c == 0xe2 && p[1] == 0x80)	/* U+2000..200A, 2028, 2029, 202F */
		return (p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 ||
		       p[2] == 0xa9 || p[2] == 0xaf ? 3 : 0;
	if (c == 0xe2 && p[1] == 0x81)	/* U+205F */
		return p[2] == 0x9f ? 3 : 0;
	if (c == 0xe3)		/* U+3000 */
		return p[1] == 0x80 && p[2] == 0x80 ? 3 : 0;
	return 0;
}

static bool lex_next(struct lexer *lx, struct tok *t)
{
	size_t w;

	while (lx->p < lx->end && (w = ws_len(lx->p, lx->end)) != 0) {
		lx->p += w;
		lx->col = sat_inc(lx->col);
	}
	if (lx->p >= lx->end)
		return false;
	t->s = (const char *)lx->p;
	t->col = lx->col;
	while (lx->p < lx->end && ws_len(lx->p, lx->end) == 0) {
		if ((*lx->p & 0xc0) != 0x80)
			lx->col = sat_inc(lx->col);
		lx->p++;
	}
	t->len = (size_t)((const char *)lx->p - t->s);
	t->ecol = lx->col;
	return true;
}

static bool tok_is(const struct tok *t, const char *w)
{
	return word_is(t->s, t->len, w);
}

/* a printable, bounded rendering of a token for messages */
static const char *quote(char *buf, size_t bufsz, const char *s, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[8];
		size_t tl;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			tmp[0] = (char)c;
			tl = 1;
		} else {
			static const char hex[] = "0123456789abcdef";

			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = hex[c >> 4];
			tmp[3] = hex[c & 15];
			tl = 4;
		}
		if (o + tl + 4 > bufsz)
			break;
		memcpy(buf + o, tmp, tl);
		o += tl;
	}
	if (i < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

#define QBUF 48
#define Q(buf, t) quote((buf), sizeof(buf), (t)->s, (t)->len)

/* ------------------------------------------------------------------------ */
/* parser                                                                   */
/* ------------------------------------------------------------------------ */

struct parser {
	struct mmt_program *p;
	struct mmt_parse_error *err;
	unsigned line;
	bool seen_header, seen_op;
	unsigned world_line, schedule_line;	/* 0: not seen */
	bool live[MMT_MAX_PROCS];
	unsigned exit_line[MMT_MAX_PROCS];
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(struct parser *ps, unsigned col, const char *fmt, ...)
{
	va_list ap;

	ps->err->line = ps->line ? ps->line : 1;
	ps->err->col = col ? col : 1;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* numbers: what realkernel.py's parse_int() accepts */
enum { NUM_OK, NUM_SYNTAX, NUM_RANGE };

static bool add_digit(uint64_t *v, bool *big, unsigned base, unsigned d)
{
	if (*v > (UINT64_MAX - d) / base)
		*big = true;
	else
		*v = *v * base + d;
	return true;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Python's int(s, 16) on ASCII: [+-] [0x [_]] digit { [_] digit } */
static bool py_hex(const char *s, size_t n, bool *neg, uint64_t *v, bool *big)
{
	size_t i = 0;
	bool prev_us = true;	/* no '_' may come first */
	bool any = false;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		*neg = s[i++] == '-';
	if (i + 1 < n && s[i] == '0' && (s[i + 1] | 0x20) == 'x') {
		i += 2;
		if (i < n && s[i] == '_')
			i++;
	}
	for (; i < n; i++) {
		int d;

		if (s[i] == '_') {
			if (prev_us)
				return false;
			prev_us = true;
			continue;
		}
		d = hexval((unsigned char)s[i]);
		if (d < 0)
			return false;
		add_digit(v, big, 16, (unsigned)d);
		prev_us = false;
		any = true;
	}
	return any && !prev_us;
}

static int parse_number(const struct tok *t, int64_t lo, uint64_t hi, uint64_t *out)
{
	const char *s = t->s;
	size_t n = t->len;
	bool neg = false, ineg = false, big = false;
	uint64_t v = 0;

	if (n && s[0] == '-') {
		neg = true;
		s++;
		n--;
	}
	if (n >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x') {
		if (!py_hex(s + 2, n - 2, &ineg, &v, &big))
			return NUM_SYNTAX;
		neg ^= ineg;
	} else {
		if (!n)
			return NUM_SYNTAX;
		for (size_t i = 0; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return NUM_SYNTAX;
			add_digit(&v, &big, 10, (unsigned)(s[i] - '0'));
		}
	}
	if (big)
		return NUM_RANGE;
	if (neg && v) {
		if (lo >= 0 || v > (uint64_t)INT64_MAX + 1 ||
		    v > (uint64_t)(-(lo + 1)) + 1)
			return NUM_RANGE;
		*out = (uint64_t)0 - v;
		return NUM_OK;
	}
	if ((lo > 0 && v < (uint64_t)lo) || v > hi)
		return NUM_RANGE;
	*out = v;
	return NUM_OK;
}

static int number(struct parser *ps, const struct tok *t, const char *what,
		  int64_t lo, uint64_t hi, uint64_t *out)
{
	char q[QBUF];
	int r = parse_number(t, lo, hi, out);

	if (r == NUM_SYNTAX)
		return fail(ps, t->col, "bad number: expected %s (decimal or 0x hex), got '%s'",
			    what, Q(q, t));
	if (r == NUM_RANGE) {
		if (hi > MAX_SLOTS)
			return fail(ps, t->col, "%s %s out of range [%" PRId64 ", %#" PRIx64 "]",
				    what, Q(q, t), lo, hi);
		return fail(ps, t->col, "%s %s out of range [%" PRId64 ", %" PRIu64 "]",
			    what, Q(q, t), lo, hi);
	}
	return 0;
}

/* ---- argument kinds ---- */

enum argkind {
	A_NONE, A_PROC, A_PAGE, A_COUNT, A_PROT, A_FLAGS, A_ADVICE, A_NODE,
	A_VALUE, A_SWAPID, A_SLOTS, A_RECLAIM, A_ALL, A_FOLIOS,
	A_KSMRUN, A_BOOL,
	A_HOLES, A_ORDER,
};

struct opdesc {
	unsigned char nargs, maxargs;
	unsigned char kind[5];
	const char *usage;
};

static const struct opdesc opdesc[NR_MMT_OPCODES] = {
	[OP_SPAWN] =	{ 1, 1, { A_PROC }, "proc" },
	[OP_FORK] =	{ 2, 2, { A_PROC, A_PROC }, "parent child" },
	[OP_EXIT] =	{ 1, 1, { A_PROC }, "proc" },
	[OP_MMAP] =	{ 5, 5, { A_PROC, A_PAGE, A_COUNT, A_PROT, A_FLAGS },
			  "proc page count prot flags" },
	[OP_MUNMAP] =	{ 3, 3, { A_PROC, A_PAGE, A_COUNT }, "proc page count" },
	[OP_MPROTECT] =	{ 4, 4, { A_PROC, A_PAGE, A_COUNT, A_PROT }, "proc page count prot" },
	[OP_MREMAP] =	{ 5, 5, { A_PROC, A_PAGE, A_COUNT, A_PAGE, A_COUNT },
			  "proc page count newpage newcount" },
	[OP_MADVISE] =	{ 4, 4, { A_PROC, A_PAGE, A_COUNT, A_ADVICE }, "proc page count advice" },
	[OP_READ] =	{ 2, 2, { A_PROC, A_PAGE }, "proc page" },
	[OP_WRITE] =	{ 3, 3, { A_PROC, A_PAGE, A_VALUE }, "proc page value" },
	[OP_MIGRATE] =	{ 4, 5, { A_PROC, A_PAGE, A_COUNT, A_NODE, A_ALL },
			  "proc page count node [all]" },
	[OP_SWAPON] =	{ 2, 2, { A_SWAPID, A_SLOTS }, "id slots" },
	[OP_SWAPOFF] =	{ 1, 1, { A_SWAPID }, "id" },
	[OP_RECLAIM] =	{ 1, 1, { A_RECLAIM }, "count" },
	[OP_CHECK] =	{ 0, 0, { A_NONE }, "" },
	[OP_KSWAPD] =	{ 1, 1, { A_FOLIOS }, "count" },
	[OP_KCOMPACTD] = { 2, 2, { A_NODE, A_FOLIOS }, "node count" },
	[OP_DEVICE_MIGRATE] = { 3, 3, { A_PROC, A_PAGE, A_COUNT }, "proc page count" },
	[OP_DEVICE_RELEASE] = { 3, 3, { A_PROC, A_PAGE, A_COUNT }, "proc page count" },
	[OP_UFFD_REGISTER] = { 3, 3, { A_PROC, A_PAGE, A_COUNT }, "proc page count" },
	[OP_KSMD] =	{ 1, 1, { A_FOLIOS }, "count" },
	[OP_KSM_RUN] =	{ 1, 1, { A_KSMRUN }, "0|1|2" },
	[OP_KSM_MERGE_ACROSS_NODES] = { 1, 1, { A_BOOL }, "0|1" },
	[OP_UFFD_MOVE] = { 4, 5, { A_PROC, A_PAGE, A_PAGE, A_COUNT, A_HOLES },
			   "proc dst src count [holes]" },
	[OP_PIN] =	{ 3, 3, { A_PROC, A_PAGE, A_COUNT }, "proc page count" },
	[OP_UNPIN] =	{ 3, 3, { A_PROC, A_PAGE, A_COUNT }, "proc page count" },
	[OP_PIN_WRITE] = { 3, 3, { A_PROC, A_PAGE, A_VALUE }, "proc page value" },
	[OP_PIN_READ] =	{ 2, 2, { A_PROC, A_PAGE }, "proc page" },
	[OP_REMAP_FILE_PAGES] = { 4, 4, { A_PROC, A_PAGE, A_COUNT, A_PAGE },
				  "proc page count pgoff" },
	[OP_PAGE_IDLE] = { 1, 1, { A_FOLIOS }, "count" },
	/* split_huge_pages' optional new_order: the model splits to order 0 only */
	[OP_SPLIT] =	{ 3, 4, { A_PROC, A_PAGE, A_COUNT, A_ORDER }, "proc page count [new_order]" },
	[OP_KHUGEPAGED] = { 1, 1, { A_FOLIOS }, "count" },
};

static bool valid_name(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';

		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

static int parse_flags(struct parser *ps, const struct tok *t, uint8_t *out)
{
	char q[QBUF];
	unsigned f = 0;
	size_t i = 0;

	for (;;) {
		size_t j = i;

		while (j < t->len && t->s[j] != '|')
			j++;
		if (word_is(t->s + i, j - i, "private"))
			f |= MFL_PRIVATE;
		else if (word_is(t->s + i, j - i, "shared"))
			f |= MFL_SHARED;
		else if (word_is(t->s + i, j - i, "anon"))
			f |= MFL_ANON;
		else
			return fail(ps, t->col, "bad mmap flag '%s' (private|shared|anon)",
				    quote(q, sizeof(q), t->s + i, j - i));
		if (j >= t->len)
			break;
		i = j + 1;
	}
	if (!(f & MFL_PRIVATE) == !(f & MFL_SHARED))
		return fail(ps, t->col, "mmap flags need exactly one of private, shared");
	*out = (uint8_t)f;
	return 0;
}

/* up to this many tokens of a line are kept; an op line needs at most 12 */
#define MAXTOK 16
#define NOIDX SIZE_MAX

struct coll {
	struct tok t[MAXTOK];
	size_t n;
	size_t arrow, eq;		/* first "->"; first "=" before it */
	struct tok at_arrow[3];		/* tokens arrow, arrow+1, arrow+2 */
	struct tok at_eq[3];
};

static void coll_add(struct coll *c, const struct tok *t)
{
	size_t i = c->n++;

	if (i < MAXTOK)
		c->t[i] = *t;
	if (c->arrow == NOIDX && tok_is(t, "->"))
		c->arrow = i;
	else if (c->arrow == NOIDX && c->eq == NOIDX && tok_is(t, "="))
		c->eq = i;
	if (c->arrow != NOIDX && i - c->arrow < 3)
		c->at_arrow[i - c->arrow] = *t;
	if (c->eq != NOIDX && i - c->eq < 3)
		c->at_eq[i - c->eq] = *t;
}

static int parse_task_prefix(struct parser *ps, const struct tok *t, uint8_t *task)
{
	char q[QBUF];
	unsigned v = 0;

	if (t->len < 2 || t->len > 4)
		goto bad;
	for (size_t i = 1; i < t->len; i++) {
		if (t->s[i] < '0' || t->s[i] > '9')
			goto bad;
		v = v * 10 + (unsigned)(t->s[i] - '0');
	}
	if (v >= MMT_MAX_TASKS)
		goto bad;
	*task = (uint8_t)v;
	return 0;
bad:
	return fail(ps, t->col, "bad task prefix '%s' (tasks are @0 .. @%d)", Q(q, t),
		    MMT_MAX_TASKS - 1);
}

static int no_such_process(struct parser *ps, const struct tok *t, int idx)
{
	char q[QBUF];

	if (idx >= 0 && ps->exit_line[idx])
		return fail(ps, t->col, "process '%s' does not exist (it exited on line %u)",
			    Q(q, t), ps->exit_line[idx]);
	return fail(ps, t->col, "process '%s' does not exist", Q(q, t));
}

static int too_many_names(struct parser *ps, const struct tok *t)
{
	char q[QBUF];

	return fail(ps, t->col, "too many process names: '%s' would be the %dth (at most %d)",
		    Q(q, t), MMT_MAX_PROCS + 1, MMT_MAX_PROCS);
}

static int parse_op_line(struct parser *ps, struct coll *c, size_t base, uint8_t task)
{
	struct mmt_op op;
	const struct opdesc *d;
	const struct tok *name, *args, *ptok[2] = { NULL, NULL };
	const struct tok *counttok[2] = { NULL, NULL };
	char q[QBUF];
	size_t end = c->n, nargs;
	int code, npage = 0, ncount = 0, nproc = 0;

	memset(&op, 0, sizeof(op));
	op.task = task;
	op.expect = -1;
	op.line = ps->line;

	/* '-> OUTCOME' and '= VALUE', in realkernel.py's order */
	if (c->arrow != NOIDX) {
		int o;

		if (c->arrow + 2 != c->n)
			return fail(ps, c->arrow + 2 < c->n ? c->at_arrow[2].col : c->at_arrow[0].col,
				    "'->' must be followed by exactly one outcome");
		o = outcome_lookup_n(c->at_arrow[1].s, c->at_arrow[1].len);
		if (o < 0)
			return fail(ps, c->at_arrow[1].col,
				    "unknown outcome '%s' (one of ok SEGV EINVAL ENOMEM EFAULT "
				    "EBUSY EEXIST ENOENT EAGAIN EPERM ENODEV EACCES EINTR BUS)",
				    Q(q, &c->at_arrow[1]));
		op.expect = (int8_t)o;
		end = c->arrow;
	}
	if (c->eq != NOIDX) {
		if (!tok_is(&c->t[base], "read") && !tok_is(&c->t[base], "pin_read"))
			return fail(ps, c->at_eq[0].col,
				    "'= VALUE' is only allowed on read and pin_read");
		if (c->eq + 2 != end)
			return fail(ps, c->eq + 2 < end ? c->at_eq[2].col : c->at_eq[0].col,
				    "'=' must be followed by exactly one value");
		if (number(ps, &c->at_eq[1], "value", INT64_MIN, UINT64_MAX, &op.value))
			return -1;
		op.has_expect_value = true;
		end = c->eq;
	}
	if (end <= base)	/* only when "->" comes first */
		return fail(ps, c->at_arrow[0].col, "missing operation before '->'");

	name = &c->t[base];
	code = table_lookup(opcode_names, NR_MMT_OPCODES, name->s, name->len);
	if (code < 0)
		return fail(ps, name->col, "unknown operation '%s'", Q(q, name));
	op.code = (uint8_t)code;
	d = &opdesc[code];

	/* arity */
	nargs = end - base - 1;
	/* like realkernel.py, a 5th argument other than 'all' is an arity error */
	if (code == OP_MIGRATE && nargs >= 5 && !tok_is(&c->t[base + 5], "all")) {
		const struct tok *t = &c->t[base + 5];

		return fail(ps, t->col, "'migrate' takes 4 arguments (proc page count node) and "
			    "an optional 'all', got %zu ('%s' is not 'all')", nargs, Q(q, t));
	}
	if (nargs < d->nargs || nargs > d->maxargs) {
		unsigned col;

		if (nargs > d->maxargs)
			col = c->t[base + 1 + d->maxargs].col;
		else
			col = c->t[base + nargs].ecol;
		if (d->maxargs == 0)
			return fail(ps, col, "'%s' takes no arguments, got %zu",
				    opcode_names[code], nargs);
		if (d->maxargs != d->nargs)
			return fail(ps, col, "'%s' takes %u or %u arguments (%s), got %zu",
				    opcode_names[code], d->nargs, d->maxargs, d->usage, nargs);
		return fail(ps, col, "'%s' takes %u argument%s (%s), got %zu",
			    opcode_names[code], d->nargs, d->nargs == 1 ? "" : "s",
			    d->usage, nargs);
	}
	/* each argument */
	args = &c->t[base + 1];
	for (size_t i = 0; i < nargs; i++) {
		const struct tok *t = &args[i];
		uint64_t v;
		int w;

		switch (d->kind[i]) {
		case A_PROC:
			if (!valid_name(t->s, t->len))
				return fail(ps, t->col, "bad process name '%s'", Q(q, t));
			if (t->len >= MMT_NAME_MAX)
				return fail(ps, t->col,
					    "process name '%s' too long (at most %d characters)",
					    Q(q, t), MMT_NAME_MAX - 1);
			ptok[nproc++] = t;
			break;
		case A_PAGE:
			if (number(ps, t, "page number", 0, MAX_PAGENO - 1, &v))
				return -1;
			*(npage++ ? &op.addr2 : &op.addr) = v;
			break;
		case A_COUNT:
			if (number(ps, t, "page count", 0, MAX_PAGENO, &v))
				return -1;
			counttok[ncount] = t;
			*(ncount++ ? &op.len2 : &op.len) = v;
			break;
		case A_PROT:
			w = table_lookup(prot_names, NR_MPROT, t->s, t->len);
			if (w < 0)
				return fail(ps, t->col, "bad protection '%s' (none|r|w|rw)", Q(q, t));
			op.prot = (uint8_t)w;
			break;
		case A_FLAGS:
			if (parse_flags(ps, t, &op.mflags))
				return -1;
			break;
		case A_ADVICE:
			w = table_lookup(advice_names, NR_MMT_ADVICE, t->s, t->len);
			if (w >= 0) {
				op.advice = (uint8_t)w;
				break;
			}
			if (table_lookup(advice_unsupported, (int)(sizeof(advice_unsupported) /
					 sizeof(advice_unsupported[0])), t->s, t->len) >= 0)
				return fail(ps, t->col,
					    "madvise advice '%s' is not supported by the model", Q(q, t));
			return fail(ps, t->col, "unknown madvise advice '%s'", Q(q, t));
		case A_NODE:
			if (number(ps, t, "node", 0, MAX_NODE, &v))
				return -1;
			op.node = (int32_t)v;
			break;
		case A_VALUE:
			if (number(ps, t, "value", INT64_MIN, UINT64_MAX, &op.value))
				return -1;
			break;
		case A_SWAPID:
			if (number(ps, t, "swap device id", 0, MAX_SWAP_ID, &op.addr))
				return -1;
			break;
		case A_SLOTS:
			if (number(ps, t, "slot count", 1, MAX_SLOTS, &op.len))
				return -1;
			break;
		case A_RECLAIM:
			if (number(ps, t, "reclaim count", 1, MAX_RECLAIM, &op.addr))
				return -1;
			break;
		case A_FOLIOS:
			if (number(ps, t, "folio count", 1, MAX_RECLAIM, &op.addr))
				return -1;
			break;
		case A_KSMRUN:
			if (number(ps, t, "ksm run mode", 0, 2, &op.addr))
				return -1;
			break;
		case A_BOOL:
			if (number(ps, t, "0 or 1", 0, 1, &op.addr))
				return -1;
			break;
		case A_ALL:
			if (!tok_is(t, "all"))
				return fail(ps, t->col,
					    "expected 'all' or nothing after the node, got '%s'", Q(q, t));
			op.all = true;
			break;
		case A_HOLES:
			if (!tok_is(t, "holes"))
				return fail(ps, t->col,
					    "expected 'holes' or nothing after the count, got '%s'",
					    Q(q, t));
			op.all = true;
			break;
		case A_ORDER:
			/* nothing is kept: 0 is the only order, and the default */
			if (number(ps, t, "new order", 0, UINT32_MAX, &v))
				return -1;
			if (v)
				return fail(ps, t->col, "new order %s: the model splits to order 0 only",
					    Q(q, t));
			break;
		default:
			return fail(ps, t->col, "internal error: bad argument kind");
		}
	}

	/* uffd_move's one count goes with both pages: the source's range too */
	if ((code == OP_UFFD_MOVE || code == OP_REMAP_FILE_PAGES) && op.addr2 + op.len > MAX_PAGENO)
		return fail(ps, counttok[0]->col,
			    "range runs past page %#" PRIx64 " (page 0x%" PRIx64 " + %" PRIu64
			    " pages)", MAX_PAGENO, op.addr2, op.len);
	/* page + count must stay below page 2^32 */
	for (int i = 0; i < npage && i < ncount; i++) {
		uint64_t a = i ? op.addr2 : op.addr, n = i ? op.len2 : op.len;

		if (a + n > MAX_PAGENO)
			return fail(ps, counttok[i]->col,
				    "range runs past page %#" PRIx64 " (page 0x%" PRIx64 " + %" PRIu64
				    " pages)", MAX_PAGENO, a, n);
	}

	/* processes, statically and in program order */
	if (nproc) {
		const struct tok *t = ptok[0];
		int idx = find_name(ps->p, t->s, t->len);

		if (code == OP_SPAWN) {
			if (idx >= 0 && ps->live[idx])
				return fail(ps, t->col, "process '%s' already exists", Q(q, t));
			if (idx < 0 && (idx = intern_name(ps->p, t->s, t->len)) < 0)
				return too_many_names(ps, t);
			ps->live[idx] = true;
		} else {
			if (idx < 0 || !ps->live[idx])
				return no_such_process(ps, t, idx);
		}
		op.proc = (uint8_t)idx;
		if (code == OP_FORK) {
			int cidx;

			t = ptok[1];
			cidx = find_name(ps->p, t->s, t->len);
			if (cidx >= 0 && ps->live[cidx])
				return fail(ps, t->col, "process '%s' already exists", Q(q, t));
			if (cidx < 0 && (cidx = intern_name(ps->p, t->s, t->len)) < 0)
				return too_many_names(ps, t);
			ps->live[cidx] = true;
			op.proc2 = (uint8_t)cidx;
		}
		if (code == OP_EXIT) {
			ps->live[idx] = false;
			ps->exit_line[idx] = ps->line;
		}
	}

	if (mmt_program_add(ps->p, &op))
		return fail(ps, name->col, "out of memory");
	ps->seen_op = true;
	return 0;
}

static int parse_world_line(struct parser *ps, struct lexer *lx, const struct tok *w)
{
	struct mmt_world_cfg cfg = { .present = true, .nodes = DEFAULT_NODES,
				     .frames = DEFAULT_FRAMES, .swap = DEFAULT_SWAP,
				     .device = DEFAULT_DEVICE };
	unsigned seen = 0;
	struct tok t;
	char q[QBUF];

	if (ps->world_line)
		return fail(ps, w->col, "only one 'world' line is allowed (the first is on line %u)",
			    ps->world_line);
	if (ps->seen_op)
		return fail(ps, w->col, "'world' must come before the first operation");
	while (lex_next(lx, &t)) {
		static const char *const keys[8] = { "nodes", "frames", "swap", "device", "thp",
						     "zeropage", "hugezero", "thpalways" };
		const char *eq = memchr(t.s, '=', t.len);
		struct tok v;
		uint64_t val;
		int k;

		if (!eq)
			return fail(ps, t.col, "expected KEY=VALUE (nodes, frames, swap, device, thp, "
				    "zeropage, hugezero, thpalways), got '%s'",
				    Q(q, &t));
		k = table_lookup(keys, 8, t.s, (size_t)(eq - t.s));
		if (k < 0)
			return fail(ps, t.col, "unknown world key '%s' (nodes, frames, swap, device, thp, "
				    "zeropage, hugezero, thpalways)",
				    quote(q, sizeof(q), t.s, (size_t)(eq - t.s)));
		if (seen & (1u << k))
			return fail(ps, t.col, "duplicate world key '%s'", keys[k]);
		seen |= 1u << k;
		v.s = eq + 1;
		v.len = t.len - (size_t)(eq - t.s) - 1;
		v.col = t.col + (unsigned)(eq - t.s) + 1;	/* the key is ASCII */
		v.ecol = t.ecol;
		switch (k) {
		case 0:
			if (number(ps, &v, "nodes", 1, MAX_NODES, &val))
				return -1;
			cfg.nodes = (int)val;
			break;
		case 1:
			if (number(ps, &v, "frames", 1, MAX_FRAMES, &val))
				return -1;
			cfg.frames = (uint32_t)val;
			break;
		case 2:
			if (number(ps, &v, "swap", 0, MAX_WORLD_SWAP, &val))
				return -1;
			cfg.swap = val;
			break;
		case 3:
			if (number(ps, &v, "device", 0, MAX_DEVICE, &val))
				return -1;
			cfg.device = (uint32_t)val;
			break;
		case 5:
			/* 0: mm_forbids_zeropage (a read fault allocates a page) */
			if (number(ps, &v, "zeropage", 0, 1, &val))
				return -1;
			cfg.no_zeropage = !val;
			break;
		case 6:
			/* 0: transparent_hugepage/use_zero_page=0 */
			if (number(ps, &v, "hugezero", 0, 1, &val))
				return -1;
			cfg.no_huge_zeropage = !val;
			break;
		case 7:
			/* 1: the thp orders are set to "always" */
			if (number(ps, &v, "thpalways", 0, 1, &val))
				return -1;
			cfg.thp_always = val;
			break;
		default:
			/* a mask of mTHP orders 1..MAX_THP_ORDER */
			if (number(ps, &v, "thp", 0, MAX_THP_MASK, &val))
				return -1;
			if (val & 1)
				return fail(ps, v.col, "thp=%#llx enables order 0, which is no THP "
					    "(bit k enables order k, 1..%d)", (unsigned long long)val,
					    MAX_THP_ORDER);
			cfg.thp = (uint32_t)val;
			break;
		}
	}
	ps->p->world = cfg;
	ps->world_line = ps->line;
	return 0;
}

/* append @n decisions of @task to the schedule; -1 (reported) when too long */
static int schedule_append(struct parser *ps, unsigned col, uint8_t task, uint64_t n,
			   size_t *cap)
{
	struct mmt_program *p = ps->p;

	if (n > MMT_MAX_SCHEDULE - p->nr_schedule)
		return fail(ps, col, "schedule has more than %d entries", MMT_MAX_SCHEDULE);
	if (p->nr_schedule + n > *cap) {
		size_t ncap = *cap ? *cap : 64;
		uint8_t *na;

		while (ncap < p->nr_schedule + n)
			ncap *= 2;
		if (ncap > MMT_MAX_SCHEDULE)
			ncap = MMT_MAX_SCHEDULE;
		na = realloc(p->schedule, ncap);
		if (!na)
			return fail(ps, col, "out of memory");
		p->schedule = na;
		*cap = ncap;
	}
	memset(p->schedule + p->nr_schedule, task, n);
	p->nr_schedule += n;
	return 0;
}

/*
 * schedule [lenient] { TASK | TASK*COUNT }: COUNT decisions in a row go to
 * TASK.  The run-length form is what the printer writes; a plain list (what
 * version 1 files hold) reads the same.  "lenient" comes first or not at all.
 */
static int parse_schedule_line(struct parser *ps, struct lexer *lx, const struct tok *s)
{
	size_t cap = 0;
	struct tok t;

	if (ps->schedule_line)
		return fail(ps, s->col,
			    "only one 'schedule' line is allowed (the first is on line %u)",
			    ps->schedule_line);
	while (lex_next(lx, &t)) {
		const char *star = memchr(t.s, '*', t.len);
		struct tok task = t, count;
		uint64_t v, n = 1;

		if (tok_is(&t, "lenient")) {
			if (ps->p->nr_schedule || ps->p->schedule_lenient)
				return fail(ps, t.col, "'lenient' must come once, right after "
					    "'schedule'");
			ps->p->schedule_lenient = true;
			continue;
		}

		if (star) {
			task.len = (size_t)(star - t.s);
			task.ecol = t.col + (unsigned)task.len;
			count.s = star + 1;
			count.len = t.len - task.len - 1;
			count.col = task.ecol + 1;
			count.ecol = t.ecol;
			if (number(ps, &count, "run length", 1, MMT_MAX_SCHEDULE, &n))
				return -1;
		}
		if (number(ps, &task, "task", 0, MMT_MAX_TASKS - 1, &v))
			return -1;
		if (schedule_append(ps, t.col, (uint8_t)v, n, &cap))
			return -1;
	}
	ps->p->has_schedule = true;
	ps->schedule_line = ps->line;
	return 0;
}

static int parse_line(struct parser *ps, const char *code, size_t len)
{
	struct lexer lx = { (const unsigned char *)code, (const unsigned char *)code + len, 1 };
	struct tok t0, t1;
	struct coll c;
	size_t base = 0;
	uint8_t task = 0;
	const struct tok *word;

	if (!lex_next(&lx, &t0))
		return 0;		/* blank */
	if (!ps->seen_header) {
		if (!tok_is(&t0, "mmt") || !lex_next(&lx, &t1) || !tok_is(&t1, "1") ||
		    lex_next(&lx, &t1))
			return fail(ps, t0.col, "first line must be 'mmt 1'");
		ps->seen_header = true;
		return 0;
	}
	word = &t0;
	if (t0.len && t0.s[0] == '@') {
		char q[QBUF];

		if (parse_task_prefix(ps, &t0, &task))
			return -1;
		if (!lex_next(&lx, &t1))
			return fail(ps, t0.ecol, "missing operation after task prefix '%s'",
				    Q(q, &t0));
		word = &t1;
		base = 1;
	}
	if (tok_is(word, "world") || tok_is(word, "schedule")) {
		if (base)
			return fail(ps, t0.col, "a task prefix is not allowed on a '%s' line",
				    tok_is(word, "world") ? "world" : "schedule");
		return tok_is(word, "world") ? parse_world_line(ps, &lx, word)
					     : parse_schedule_line(ps, &lx, word);
	}

	c.n = 0;
	c.arrow = c.eq = NOIDX;
	coll_add(&c, &t0);
	if (base)
		coll_add(&c, &t1);
	while (lex_next(&lx, &t1))
		coll_add(&c, &t1);
	return parse_op_line(ps, &c, base, task);
}

int mmt_parse(const char *text, size_t len, struct mmt_program *out,
	      struct mmt_parse_error *err)
{
	struct mmt_parse_error dummy;
	struct parser ps;
	size_t pos = 0;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	mmt_program_init(out);
	if (!text)
		len = 0;
	memset(&ps, 0, sizeof(ps));
	ps.p = out;
	ps.err = err;

	while (pos < len) {
		size_t start = pos, end, code_len;
		const char *hash;

		while (pos < len && text[pos] != '\n' && text[pos] != '\r')
			pos++;
		end = pos;
		if (pos < len) {
			if (text[pos] == '\r' && pos + 1 < len && text[pos + 1] == '\n')
				pos++;
			pos++;
		}
		ps.line = sat_inc(ps.line);
		hash = memchr(text + start, '#', end - start);
		code_len = hash ? (size_t)(hash - (text + start)) : end - start;
		if (parse_line(&ps, text + start, code_len) < 0) {
			mmt_program_free(out);
			return -1;
		}
	}
	if (!ps.seen_header) {
		ps.line = 1;
		fail(&ps, 1, "empty program: first line must be 'mmt 1'");
		mmt_program_free(out);
		return -1;
	}
	return 0;
}

int mmt_parse_file(const char *path, struct mmt_program *out, struct mmt_parse_error *err)
{
	struct mmt_parse_error dummy;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	int fd, e, r;

	if (!err)
		err = &dummy;
	mmt_program_init(out);
	memset(err, 0, sizeof(*err));
	err->line = err->col = 1;
	if (!path) {
		snprintf(err->msg, sizeof(err->msg), "cannot read file: %s", strerror(EINVAL));
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		goto ioerr;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((uint64_t)st.st_size > MAX_FILE_SIZE)
			goto toobig;
		cap = (size_t)st.st_size + 1;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nb;

			if (ncap > MAX_FILE_SIZE + 1)
				ncap = MAX_FILE_SIZE + 1;
			if (ncap <= len)
				goto toobig;
			nb = realloc(buf, ncap);
			if (!nb) {
				e = ENOMEM;
				goto ioerr;
			}
			buf = nb;
			cap = ncap;
		}
		if (!buf) {
			buf = malloc(cap);
			if (!buf) {
				e = ENOMEM;
				goto ioerr;
			}
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			goto ioerr;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > MAX_FILE_SIZE)
			goto toobig;
	}
	close(fd);
	r = mmt_parse(buf, len, out, err);
	free(buf);
	return r;

toobig:
	if (fd >= 0)
		close(fd);
	free(buf);
	snprintf(err->msg, sizeof(err->msg), "cannot read file: larger than %zu MiB",
		 MAX_FILE_SIZE >> 20);
	return -1;
ioerr:
	if (fd >= 0)
		close(fd);
	free(buf);
	snprintf(err->msg, sizeof(err->msg), "cannot read file: %s", strerror(e));
	return -1;
}

/* ------------------------------------------------------------------------ */
/* printer                                                                  */
/* ------------------------------------------------------------------------ */

struct sbuf {
	char *buf;
	size_t cap, pos;	/* pos counts everything, even what did not fit */
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb->pos < sb->cap ? sb->buf + sb->pos : NULL,
		      sb->pos < sb->cap ? sb->cap - sb->pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->pos += (size_t)n;
}

static bool name_ok(const struct mmt_program *p, unsigned idx)
{
	if ((int)idx >= p->nr_names || idx >= MMT_MAX_PROCS)
		return false;
	return valid_name(p->names[idx], strnlen(p->names[idx], MMT_NAME_MAX)) &&
	       strnlen(p->names[idx], MMT_NAME_MAX) < MMT_NAME_MAX;
}

static bool range_ok(uint64_t a, uint64_t n)
{
	return a < MAX_PAGENO && n <= MAX_PAGENO && a + n <= MAX_PAGENO;
}

/* can @op be printed as text that parses back to the same op? */
static bool op_printable(const struct mmt_program *p, const struct mmt_op *op)
{
	const struct opdesc *d;

	if (op->code >= NR_MMT_OPCODES || op->task >= MMT_MAX_TASKS ||
	    op->expect < -1 || op->expect >= NR_MMT_OUTCOMES)
		return false;
	if (op->has_expect_value && op->code != OP_READ && op->code != OP_PIN_READ)
		return false;
	if (op->all && op->code != OP_MIGRATE && op->code != OP_UFFD_MOVE)
		return false;
	if ((op->code == OP_UFFD_MOVE || op->code == OP_REMAP_FILE_PAGES) &&
	    (op->len2 || !range_ok(op->addr2, op->len)))
		return false;
	d = &opdesc[op->code];
	for (int i = 0; i < d->maxargs; i++) {
		switch (d->kind[i]) {
		case A_PROC:
			if (!name_ok(p, i ? op->proc2 : op->proc))
				return false;
			break;
		case A_PAGE:
			if (i + 1 < d->maxargs && d->kind[i + 1] == A_COUNT) {
				if (!range_ok(i > 1 ? op->addr2 : op->addr,
					      i > 1 ? op->len2 : op->len))
					return false;
			} else if (op->addr >= MAX_PAGENO) {
				return false;
			}
			break;
		case A_PROT:
			if (op->prot >= NR_MPROT)
				return false;
			break;
		case A_FLAGS:
			if ((op->mflags & ~(MFL_PRIVATE | MFL_SHARED | MFL_ANON)) ||
			    !(op->mflags & MFL_PRIVATE) == !(op->mflags & MFL_SHARED))
				return false;
			break;
		case A_ADVICE:
			if (op->advice >= NR_MMT_ADVICE)
				return false;
			break;
		case A_NODE:
			if (op->node < 0)
				return false;
			break;
		case A_SWAPID:
			if (op->addr > MAX_SWAP_ID)
				return false;
			break;
		case A_SLOTS:
			if (op->len < 1 || op->len > MAX_SLOTS)
				return false;
			break;
		case A_RECLAIM:
		case A_FOLIOS:
			if (op->addr < 1 || op->addr > MAX_RECLAIM)
				return false;
			break;
		case A_KSMRUN:
			if (op->addr > 2)
				return false;
			break;
		case A_BOOL:
			if (op->addr > 1)
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

static void sb_op(struct sbuf *sb, const struct mmt_program *p, const struct mmt_op *op)
{
	const char *nm = op->proc < MMT_MAX_PROCS ? p->names[op->proc] : "?";

	if (op->task)
		sb_printf(sb, "@%u ", op->task);
	sb_printf(sb, "%s", opcode_names[op->code]);
	switch (op->code) {
	case OP_SPAWN:
	case OP_EXIT:
		sb_printf(sb, " %s", nm);
		break;
	case OP_FORK:
		sb_printf(sb, " %s %s", nm, p->names[op->proc2]);
		break;
	case OP_MMAP:
		sb_printf(sb, " %s 0x%" PRIx64 " %" PRIu64 " %s %s%s", nm, op->addr, op->len,
			  prot_names[op->prot], op->mflags & MFL_PRIVATE ? "private" : "shared",
			  op->mflags & MFL_ANON ? "|anon" : "");
		break;
	case OP_MUNMAP:
	case OP_DEVICE_MIGRATE:
	case OP_DEVICE_RELEASE:
	case OP_UFFD_REGISTER:
	case OP_PIN:
	case OP_UNPIN:
	case OP_SPLIT:
		sb_printf(sb, " %s 0x%" PRIx64 " %" PRIu64, nm, op->addr, op->len);
		break;
	case OP_MPROTECT:
		sb_printf(sb, " %s 0x%" PRIx64 " %" PRIu64 " %s", nm, op->addr, op->len,
			  prot_names[op->prot]);
		break;
	case OP_MREMAP:
		sb_printf(sb, " %s 0x%" PRIx64 " %" PRIu64 " 0x%" PRIx64 " %" PRIu64, nm,
			  op->addr, op->len, op->addr2, op->len2);
		break;
	case OP_MADVISE:
		sb_printf(sb, " %s 0x%" PRIx64 " %" PRIu64 " %s", nm, op->addr, op->len,
			  advice_names[op->advice]);
		break;
	case OP_READ:
	case OP_PIN_READ:
		sb_printf(sb, " %s 0x%" PRIx64, nm, op->addr);
		if (op->has_expect_value)
			sb_printf(sb, " = 0x%" PRIx64, op->value);
		break;
	case OP_WRITE:
	case OP_PIN_WRITE:
		sb_printf(sb, " %s 0x%" PRIx64 " 0x%" PRIx64, nm, op->addr, op->value);
		break;
	case OP_MIGRATE:
		sb_printf(sb, " %s 0x%" PRIx64 " %" PRIu64 " %" PRId32 "%s", nm, op->addr,
			  op->len, op->node, op->all ? " all" : "");
		break;
	case OP_SWAPON:
		sb_printf(sb, " %" PRIu64 " %" PRIu64, op->addr, op->len);
		break;
	case OP_SWAPOFF:
	case OP_RECLAIM:
	case OP_KSWAPD:
	case OP_PAGE_IDLE:
	case OP_KSMD:
	case OP_KHUGEPAGED:
	case OP_KSM_RUN:
	case OP_KSM_MERGE_ACROSS_NODES:
		sb_printf(sb, " %" PRIu64, op->addr);
		break;
	case OP_KCOMPACTD:
		sb_printf(sb, " %" PRId32 " %" PRIu64, op->node, op->addr);
		break;
	case OP_UFFD_MOVE:
		sb_printf(sb, " %s 0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64 "%s", nm, op->addr,
			  op->addr2, op->len, op->all ? " holes" : "");
		break;
	case OP_REMAP_FILE_PAGES:
		sb_printf(sb, " %s 0x%" PRIx64 " %" PRIu64 " 0x%" PRIx64, nm, op->addr, op->len,
			  op->addr2);
		break;
	default:
		break;
	}
	if (op->expect >= 0)
		sb_printf(sb, " -> %s", outcome_names[op->expect]);
}

int mmt_print_op(char *buf, size_t len, const struct mmt_program *p, const struct mmt_op *op)
{
	struct sbuf sb = { buf, len, 0 };

	if (!p || !op || !op_printable(p, op))
		return -1;
	if (buf && len)
		buf[0] = '\0';
	sb_op(&sb, p, op);
	return sb.pos > INT_MAX ? -1 : (int)sb.pos;
}

static int sb_program(struct sbuf *sb, const struct mmt_program *p)
{
	sb_printf(sb, "mmt 1\n");
	if (p->world.present) {
		if (p->world.nodes < 1 || p->world.nodes > MAX_NODES || p->world.frames < 1 ||
		    p->world.frames > MAX_FRAMES || p->world.swap > MAX_WORLD_SWAP ||
		    p->world.device > MAX_DEVICE || p->world.thp > MAX_THP_MASK ||
		    (p->world.thp & 1))
			return -1;
		sb_printf(sb, "world nodes=%d frames=%" PRIu32 " swap=%" PRIu64,
			  p->world.nodes, p->world.frames, p->world.swap);
		/* the default is left out, so files older than the key stay canonical */
		if (p->world.device != DEFAULT_DEVICE)
			sb_printf(sb, " device=%" PRIu32, p->world.device);
		if (p->world.thp)
			sb_printf(sb, " thp=%#" PRIx32, p->world.thp);
		if (p->world.no_zeropage)
			sb_printf(sb, " zeropage=0");
		if (p->world.no_huge_zeropage)
			sb_printf(sb, " hugezero=0");
		if (p->world.thp_always)
			sb_printf(sb, " thpalways=1");
		sb_printf(sb, "\n");
	}
	for (size_t i = 0; i < p->nr_ops; i++) {
		if (!op_printable(p, &p->ops[i]))
			return -1;
		sb_op(sb, p, &p->ops[i]);
		sb_printf(sb, "\n");
	}
	if (p->has_schedule) {
		if (p->nr_schedule > MMT_MAX_SCHEDULE || (p->nr_schedule && !p->schedule))
			return -1;
		sb_printf(sb, p->schedule_lenient ? "schedule lenient" : "schedule");
		for (size_t i = 0, run; i < p->nr_schedule; i += run) {
			if (p->schedule[i] >= MMT_MAX_TASKS)
				return -1;
			for (run = 1; i + run < p->nr_schedule &&
				      p->schedule[i + run] == p->schedule[i]; run++)
				;
			if (run == 1)
				sb_printf(sb, " %u", p->schedule[i]);
			else
				sb_printf(sb, " %u*%zu", p->schedule[i], run);
		}
		sb_printf(sb, "\n");
	}
	return 0;
}

char *mmt_print_string(const struct mmt_program *p)
{
	struct sbuf sb = { NULL, 0, 0 };
	char *s;

	if (!p || sb_program(&sb, p) < 0)
		return NULL;
	s = malloc(sb.pos + 1);
	if (!s)
		return NULL;
	sb.buf = s;
	sb.cap = sb.pos + 1;
	sb.pos = 0;
	if (sb_program(&sb, p) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

int mmt_print(FILE *f, const struct mmt_program *p)
{
	char *s = mmt_print_string(p);
	size_t n;
	int r = 0;

	if (!s)
		return -1;
	n = strlen(s);
	if (fwrite(s, 1, n, f) != n)
		r = -1;
	free(s);
	return r;
}

/* what a model call's return value is in the language's terms */
int mmt_errno_outcome(long err, bool access)
{
	switch (-err) {
	case 0:		return OUT_OK;
	case EFAULT:	return access ? OUT_SEGV : OUT_EFAULT;
	case EINVAL:	return OUT_EINVAL;
	case ENOMEM:	return OUT_ENOMEM;
	case EBUSY:	return OUT_EBUSY;
	case EEXIST:	return OUT_EEXIST;
	case ENOENT:	return OUT_ENOENT;
	case EAGAIN:	return OUT_EAGAIN;
	case EPERM:	return OUT_EPERM;
	case ENODEV:	return OUT_ENODEV;
	case EACCES:	return OUT_EACCES;
	case EINTR:	return OUT_EINTR;
	case EIO:	return access ? OUT_BUS : -1;
	default:	return -1;
	}
}
