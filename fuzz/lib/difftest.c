// SPDX-License-Identifier: MIT
/*
 * difftest.c - the model against the running kernel (see difftest.h).
 *
 * Both sides run the same struct mmt_program: the model through mmt_exec()
 * with an on_op callback that records each op's outcome and read value,
 * the kernel through mmt_host_run().  Nothing is compared through text, so
 * the comparison cannot drift from what either side did.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmt/difftest.h"
#include "mmt/exec.h"
#include "mmt/fsutil.h"
#include "mmt/gen.h"
#include "mmt/minimize.h"
#include "mmt/prng.h"

#define NOT_RUN		(-2)		/* model outcome of an op the model never reached */
#define WIN_START	0x10		/* gen.c's window */
#define WIN_PAGES	32
#define MIN_RUNS	3000		/* runs one minimization may take */
#define FRAMES		1024		/* per node: the model must not run out where Linux does not */

/* SIGINT/SIGTERM: finish the program in hand, write the summary, stop */
static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void mmt_difftest_opts_default(struct mmt_difftest_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->count = 200;
	o->nr_ops = 32;
	o->out = "difftest-out";
	o->dense = true;
	o->mremap = true;
}

/* ---------------------------------------------------------- one program */

struct model_ops {
	int *out;
	uint64_t *val;
};

static void on_op(void *arg, long idx, int outcome, uint64_t value)
{
	struct model_ops *m = arg;

	m->out[idx] = outcome;
	m->val[idx] = value;
}

enum cmp_status { CMP_AGREE, CMP_DISAGREE, CMP_VIOLATION, CMP_HOST_ERROR };

/* both runs of one program, and where they first part */
struct cmp {
	enum cmp_status status;
	long first;			/* CMP_DISAGREE: the op */
	struct model_ops m;
	struct mmt_exec_result er;
	struct mmt_host_result hr;
};

static void cmp_free(struct cmp *c)
{
	free(c->m.out);
	free(c->m.val);
	mmt_exec_result_free(&c->er);
	mmt_host_result_free(&c->hr);
	memset(c, 0, sizeof(*c));
}

static const char *out_name(int out, char *buf, size_t len)
{
	if (out >= 0)
		return mmt_outcome_name(out);
	snprintf(buf, len, "%s", out == NOT_RUN ? "not-run" : "unnamed-errno");
	return buf;
}

/* the kernel's outcome in a word: an errno the language lacks gets its number */
static const char *host_word(const struct mmt_host_op *h, char *buf, size_t len)
{
	if (h->outcome >= 0)
		return mmt_outcome_name(h->outcome);
	snprintf(buf, len, "errno%d", h->err);
	return buf;
}

static bool op_disagrees(const struct cmp *c, const struct mmt_program *p, size_t i)
{
	const struct mmt_host_op *h = &c->hr.ops[i];

	if (c->m.out[i] != h->outcome)
		return true;
	return p->ops[i].code == OP_READ && h->outcome == OUT_OK && c->m.val[i] != h->value;
}

/* -ENOMEM, or 0 with @c filled */
static int run_both(const struct mmt_program *p, const struct mmt_host_opts *ho, struct cmp *c)
{
	struct mmt_exec_opts eo;
	size_t n = p->nr_ops ? p->nr_ops : 1, i;

	memset(c, 0, sizeof(*c));
	c->first = -1;
	c->m.out = malloc(n * sizeof(*c->m.out));
	c->m.val = calloc(n, sizeof(*c->m.val));
	if (!c->m.out || !c->m.val)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		c->m.out[i] = NOT_RUN;
	mmt_exec_opts_default(&eo);
	eo.on_op = on_op;
	eo.op_arg = &c->m;
	mmt_exec(p, &eo, &c->er);
	if (mmt_host_run(p, ho, &c->hr))
		return -ENOMEM;
	if (c->hr.status != HOST_DONE) {
		c->status = CMP_HOST_ERROR;
		return 0;
	}
	for (i = 0; i < p->nr_ops; i++) {
		if (c->hr.ops[i].skip != HOST_RAN)
			continue;
		if (c->m.out[i] == NOT_RUN)
			break;		/* the model stopped (a violation): nothing after compares */
		if (op_disagrees(c, p, i)) {
			c->status = CMP_DISAGREE;
			c->first = (long)i;
			return 0;
		}
	}
	c->status = c->er.status == EXEC_VIOLATION || c->er.status == EXEC_SETUP ?
		    CMP_VIOLATION : CMP_AGREE;
	return 0;
}

/* "read:value", "mremap:ok/EFAULT": what the minimizer keeps */
static void raw_sig(const struct mmt_program *p, const struct cmp *c, char *buf, size_t len)
{
	const struct mmt_op *op = &p->ops[c->first];
	const struct mmt_host_op *h = &c->hr.ops[c->first];
	char a[32], b[32];

	if (c->m.out[c->first] == h->outcome)
		snprintf(buf, len, "%s:value", mmt_opcode_name(op->code));
	else
		snprintf(buf, len, "%s:%s-vs-%s", mmt_opcode_name(op->code),
			 out_name(c->m.out[c->first], a, sizeof(a)), host_word(h, b, sizeof(b)));
}

static void describe(const struct mmt_program *p, const struct cmp *c, char *buf, size_t len)
{
	const struct mmt_op *op = &p->ops[c->first];
	const struct mmt_host_op *h = &c->hr.ops[c->first];
	char text[160], a[32], hk[96];
	int n;

	mmt_print_op(text, sizeof(text), p, op);
	mmt_host_describe(h, hk, sizeof(hk));
	n = snprintf(buf, len, "op %ld `%s`: model %s", c->first, text,
		     out_name(c->m.out[c->first], a, sizeof(a)));
	if (n < 0 || (size_t)n >= len)
		return;
	if (op->code == OP_READ && c->m.out[c->first] == OUT_OK)
		n += snprintf(buf + n, len - n, " = 0x%" PRIx64, c->m.val[c->first]);
	if ((size_t)n >= len)
		return;
	n += snprintf(buf + n, len - n, ", kernel %s", hk);
	if ((size_t)n < len && op->code == OP_READ && h->outcome == OUT_OK)
		snprintf(buf + n, len - n, " = 0x%" PRIx64, h->value);
}

long mmt_difftest_program(const struct mmt_program *p, const struct mmt_host_opts *ho,
			  char *what, size_t len, char *why, size_t wlen)
{
	struct cmp c;
	long ret = -1;

	if (what && len)
		what[0] = 0;
	if (why && wlen)
		why[0] = 0;
	if (run_both(p, ho, &c)) {
		if (why)
			snprintf(why, wlen, "out of memory");
		ret = -2;
		goto out;
	}
	switch (c.status) {
	case CMP_DISAGREE:
		if (what)
			describe(p, &c, what, len);
		ret = c.first;
		break;
	case CMP_HOST_ERROR:
		if (why)
			snprintf(why, wlen, "host: %s", c.hr.msg);
		ret = -2;
		break;
	case CMP_VIOLATION:
		if (why)
			snprintf(why, wlen, "model: %s", c.er.msg);
		ret = -2;
		break;
	default:
		break;
	}
out:
	cmp_free(&c);
	return ret;
}

/* ----------------------------------------------------------- programs */

static void op_init(struct mmt_op *op, int code, int proc)
{
	memset(op, 0, sizeof(*op));
	op->code = (uint8_t)code;
	op->proc = (uint8_t)proc;
	op->expect = -1;
}

/*
 * p0's window mapped in pieces of 2..8 pages, each private or shared,
 * anonymous or the memfd, mostly writable, some left as holes: without it
 * nine accesses in ten of a uniform program fault on nothing and most VMA
 * ops hit a hole, and the two sides agree about nothing much.
 */
static int dense_prologue(struct mmt_program *p, uint64_t seed, int p0)
{
	uint64_t s = seed ^ 0x64656e7365ull, a = WIN_START;	/* "dense" */

	while (a < WIN_START + WIN_PAGES) {
		uint64_t n = 2 + mmt_splitmix64(&s) % 7, r = mmt_splitmix64(&s) % 100;
		struct mmt_op op;

		if (a + n > WIN_START + WIN_PAGES)
			n = WIN_START + WIN_PAGES - a;
		if (r >= 12) {
			uint64_t f = mmt_splitmix64(&s) % 100, pr = mmt_splitmix64(&s) % 100;

			op_init(&op, OP_MMAP, p0);
			op.addr = a;
			op.len = n;
			op.mflags = f < 35 ? MFL_PRIVATE | MFL_ANON : f < 55 ? MFL_SHARED | MFL_ANON :
				    f < 80 ? MFL_PRIVATE : MFL_SHARED;
			op.prot = pr < 75 ? MPROT_RW : pr < 92 ? MPROT_R : MPROT_NONE;
			if (mmt_program_add(p, &op))
				return -ENOMEM;
		}
		a += n;
	}
	return 0;
}

static int make_program(struct mmt_program *p, uint64_t seed, const struct mmt_difftest_opts *o,
			int nodes, bool no_zeropage, bool no_huge_zeropage)
{
	struct mmt_gen_opts g;
	struct mmt_program raw;
	size_t i;
	int err;

	mmt_gen_opts_default(&g);
	g.nr_ops = o->nr_ops ? o->nr_ops : 32;
	g.nr_tasks = 1;
	g.uffd_ops = true;	/* the host registers and moves for real (host.c) */
	g.pin_ops = false;	/* no pins on the host: a pin_write's value is the model's */
	mmt_program_init(&raw);
	mmt_program_init(p);
	if (o->ksm_programs)
		err = mmt_gen_race_ksm(&raw, seed, 2, g.nr_ops);
	else if (o->thp_programs)
		err = mmt_gen_thp(&raw, seed, 1, g.nr_ops > 64 ? 64 : g.nr_ops);
	else
		err = mmt_gen_random(&raw, seed, &g);
	if (err)
		goto out;
	p->world = raw.world;
	p->world.nodes = nodes;
	p->world.frames = FRAMES;
	/*
	 * No mTHP: the host's per-size knobs are root's and stay "never" for
	 * the small orders, so a hugepage advice there gives order-0 folios,
	 * and with thp=0 it does in the model too (else UFFDIO_MOVE's EBUSY
	 * on a large folio, which Linux would split, reads as a mismatch).
	 */
	p->world.thp = 0;
	/* the PMD-sized THP, whose host counterpart (2 MiB) is enabled there */
	if (o->thp_programs)
		p->world.thp = raw.world.thp & (1u << 5);
	/*
	 * A host whose read faults allocate (pvm_no_zero_page=1) is the
	 * model's zeropage=0: compare like with like, and let the
	 * disagreement files say so.
	 */
	p->world.no_zeropage = no_zeropage;
	/* and the host's use_zero_page is the model's hugezero */
	p->world.no_huge_zeropage = no_huge_zeropage;
	p->nr_names = raw.nr_names;
	memcpy(p->names, raw.names, sizeof(p->names));
	for (i = 0; i < raw.nr_ops && !err; i++) {
		struct mmt_op op = raw.ops[i];

		if (op.code == OP_MREMAP && !o->mremap)
			continue;
		/* no pins on the host: a pin_write's value is the model's */
		if (op.code == OP_PIN || op.code == OP_UNPIN || op.code == OP_PIN_WRITE ||
		    op.code == OP_PIN_READ)
			continue;
		/*
		 * nor the template's KSM: the host's ksmd does not run here.
		 * (It was left out first because a THP's 32 equal pages merged
		 * in two processes made one swap slot of 64 references, and the
		 * model's fork failed with ENOMEM there before it had swap count
		 * continuation.)
		 */
		if (o->thp_programs && (op.code == OP_KSMD ||
					(op.code == OP_MADVISE && op.advice == ADV_MERGEABLE)))
			continue;
		/*
		 * nor its UFFDIO_MOVE: what it moves or refuses (ENOENT for a
		 * hole, EBUSY for a shared page, EAGAIN for a large folio it
		 * must split) depends on what is populated, and a fault fills
		 * the model's 32-page THP where the host, with no 2 MiB extent
		 * there, maps one page or an mTHP of its own sizes (the first
		 * run with it: 201 of 1,500 programs disagreed, all on
		 * uffd_move's errno)
		 */
		if (o->thp_programs && (op.code == OP_UFFD_MOVE || op.code == OP_UFFD_REGISTER))
			continue;
		op.task = 0;		/* the KSM template's racer runs after its setup */
		err = mmt_program_add(p, &op);
		/* gen.c's uniform programs start with spawn p0 */
		if (!err && i == 0 && o->dense && !o->ksm_programs && !o->thp_programs)
			err = dense_prologue(p, seed, op.proc);
	}
out:
	mmt_program_free(&raw);
	if (err)
		mmt_program_free(p);
	return err ? -ENOMEM : 0;
}

/* -------------------------------------------------------- minimization */

struct dmin {
	const struct mmt_host_opts *ho;
	char want[64];		/* raw signature to keep */
	unsigned runs;
};

/* the minimizer's test (mmt_ddmin_ops has checked that @p reparses) */
static bool still_disagrees(void *arg, const struct mmt_program *p)
{
	struct dmin *d = arg;
	char sig[64];
	struct cmp c;
	bool yes = false;

	if (d->runs >= MIN_RUNS || stop_requested)
		return false;
	d->runs++;
	if (!run_both(p, d->ho, &c) && c.status == CMP_DISAGREE) {
		raw_sig(p, &c, sig, sizeof(sig));
		yes = !strcmp(sig, d->want);
	}
	cmp_free(&c);
	return yes;
}

/* ddmin over the ops (minimize.c's), to 1-minimal; then what realkernel.py refuses */
static void minimize(struct dmin *d, struct mmt_program *cur)
{
	mmt_ddmin_ops(cur, still_disagrees, d, MIN_RUNS);
	/* `migrate ... all` needs CAP_SYS_NICE and tools/realkernel.py rejects it */
	for (size_t i = 0; i < cur->nr_ops; i++) {
		if (cur->ops[i].code == OP_MIGRATE && cur->ops[i].all) {
			cur->ops[i].all = false;
			if (!still_disagrees(d, cur))
				cur->ops[i].all = true;
		}
	}
}

/* ---------------------------------------------------------- reporting */

struct dt {
	const struct mmt_difftest_opts *o;
	struct mmt_difftest_result *res;
	struct mmt_host_opts ho;
	struct mmt_host_info info;
	int nodes;
	double t0, last_progress;
	bool tty, line_shown;
	char dir[PATH_MAX];
};

__attribute__((format(printf, 2, 3)))
static void say(struct dt *t, const char *fmt, ...)
{
	va_list ap;

	if (!t->o->log)
		return;
	va_start(ap, fmt);
	vfprintf(t->o->log, fmt, ap);
	va_end(ap);
	fflush(t->o->log);
}

static void progress_clear(struct dt *t)
{
	if (t->tty && t->line_shown) {
		say(t, "\r\033[K");
		t->line_shown = false;
	}
}

static unsigned long total_skipped(const struct mmt_difftest_result *r)
{
	unsigned long n = 0;

	for (int i = 1; i < NR_HOST_SKIP; i++)
		n += r->skipped[i];
	return n;
}

static void progress(struct dt *t, bool force)
{
	const struct mmt_difftest_result *r = t->res;
	double el = mmt_now() - t->t0;

	if (t->o->quiet || !t->o->log)
		return;
	if (!force && el - t->last_progress < (t->tty ? 0.5 : 10.0))
		return;
	t->last_progress = el;
	say(t, "%sdifftest: %5.1fs  programs %lu (%.0f/s)  ops compared %lu  "
	    "disagreements %lu (%u distinct)  skipped %lu%s", t->tty ? "\r\033[K" : "", el,
	    r->programs, el > 0 ? r->programs / el : 0.0, r->compared, r->disagreeing,
	    r->nr_sigs, total_skipped(r), t->tty ? "" : "\n");
	t->line_shown = t->tty;
}

/* mkdir -p of @path's directory */
static int mkdirs_for(const char *path)
{
	char dir[PATH_MAX + 64], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	*slash = 0;
	return mmt_mkdirs(dir);
}

/* a signature is a file name too */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == '@' ||
		      *s == '.' || *s == '_'))
			*s = '_';
}

/*
 * "read-value@mmap+mremap+write": the disagreeing op and how, and the op
 * kinds of the minimized program, without the bookkeeping ones.
 */
static void full_sig(const struct mmt_program *p, const char *raw, char *buf, size_t len)
{
	bool seen[NR_MMT_OPCODES] = { false };
	int n = snprintf(buf, len, "%s@", raw);

	for (size_t i = 0; i < p->nr_ops; i++)
		if (p->ops[i].code < NR_MMT_OPCODES)
			seen[p->ops[i].code] = true;
	seen[OP_SPAWN] = seen[OP_EXIT] = false;
	for (int c = 0, first = 1; c < NR_MMT_OPCODES && n > 0 && (size_t)n < len; c++) {
		if (!seen[c])
			continue;
		n += snprintf(buf + n, len - n, "%s%s", first ? "" : "+", mmt_opcode_name(c));
		first = 0;
	}
	for (char *s = buf; *s; s++)
		if (*s == ':' || *s == '/')
			*s = *s == ':' ? '-' : '.';
	sanitize(buf);
}

/*
 * The minimized program with the kernel's outcomes asserted, and a comment
 * that says what the model said instead.  malloc'd text, or NULL.
 */
static char *annotate(struct dt *t, const struct mmt_program *p, const struct cmp *c,
		      uint64_t seed, size_t ops_before, unsigned runs)
{
	struct mmt_program q;
	char what[400], *body = NULL, *text = NULL, *nl;
	size_t len;

	if (mmt_program_copy(&q, p))
		return NULL;
	for (size_t i = 0; i < q.nr_ops; i++) {
		const struct mmt_host_op *h = &c->hr.ops[i];
		struct mmt_op *op = &q.ops[i];

		op->expect = -1;
		op->has_expect_value = false;
		if (h->skip != HOST_RAN || h->outcome < 0)
			continue;
		op->expect = h->outcome;
		if (op->code == OP_READ && h->outcome == OUT_OK) {
			op->has_expect_value = true;
			op->value = h->value;
		}
	}
	describe(p, c, what, sizeof(what));
	body = mmt_print_string(&q);
	mmt_program_free(&q);
	if (!body)
		return NULL;
	nl = strchr(body, '\n');
	len = strlen(body) + strlen(what) + 1024;
	text = malloc(len);
	if (text && nl)
		snprintf(text, len,
			 "%.*s\n"
			 "# mmtorture difftest: the model and Linux %s (%s, %ld-byte pages,\n"
			 "# %d node%s, swap %s%s) disagree at %s.\n"
			 "# The outcomes asserted here are the kernel's: `mmtorture replay` fails\n"
			 "# on this file while the model differs, `mmtorture host-replay%s` passes.\n"
			 "# Program seed 0x%" PRIx64 ", minimized from %zu ops in %u runs.\n"
			 "%s",
			 (int)(nl - body), body, t->info.release, t->info.machine,
			 t->info.page_size, t->info.nr_nodes, t->info.nr_nodes == 1 ? "" : "s",
			 t->info.swap ? "on" : "off",
			 t->info.zero_page ? "" : ", no zero page: read faults allocate",
			 what, t->ho.ksm ? " --host-ksm" : "", seed,
			 ops_before, runs, nl + 1);
	free(body);
	return text;
}

static void record_disagreement(struct dt *t, const struct mmt_program *p, const struct cmp *c,
				uint64_t seed)
{
	struct mmt_difftest_result *r = t->res;
	struct dmin d = { .ho = &t->ho };
	struct mmt_program cur;
	struct mmt_difftest_sig *s;
	char sig[128], what[400], *text;
	struct cmp fin;
	unsigned i;

	r->disagreeing++;
	raw_sig(p, c, d.want, sizeof(d.want));
	describe(p, c, what, sizeof(what));
	if (mmt_program_copy(&cur, p))
		return;
	minimize(&d, &cur);
	if (run_both(&cur, &t->ho, &fin) || fin.status != CMP_DISAGREE) {
		/* the host wavered: keep what we had */
		cmp_free(&fin);
		mmt_program_free(&cur);
		if (mmt_program_copy(&cur, p) || run_both(&cur, &t->ho, &fin) ||
		    fin.status != CMP_DISAGREE)
			goto out;
	}
	full_sig(&cur, d.want, sig, sizeof(sig));
	for (i = 0; i < r->nr_sigs; i++) {
		if (!strcmp(r->sigs[i].sig, sig)) {
			r->sigs[i].programs++;
			goto out;
		}
	}
	if (r->nr_sigs >= MMT_DIFFTEST_MAX_SIGS)
		goto out;
	s = &r->sigs[r->nr_sigs];
	memset(s, 0, sizeof(*s));
	snprintf(s->sig, sizeof(s->sig), "%s", sig);
	snprintf(s->path, sizeof(s->path), "%s/disagreements/%s.mmt", t->dir, sig);
	s->programs = 1;
	s->ops = cur.nr_ops;
	text = annotate(t, &cur, &fin, seed, p->nr_ops, d.runs);
	if (!text || mkdirs_for(s->path) || mmt_write_atomic(s->path, text, strlen(text))) {
		progress_clear(t);
		say(t, "difftest: cannot write %s: %s\n", s->path, strerror(errno));
		free(text);
		goto out;
	}
	free(text);
	r->nr_sigs++;
	progress_clear(t);
	if (!t->o->quiet) {
		describe(&cur, &fin, what, sizeof(what));
		say(t, "difftest: disagreement %s (%zu ops): %s -> %s\n", sig, cur.nr_ops, what,
		    s->path);
	}
out:
	cmp_free(&fin);
	mmt_program_free(&cur);
}

static void record_violation(struct dt *t, const struct mmt_program *p, const struct cmp *c)
{
	char path[PATH_MAX + 64], *text = mmt_print_string(p);

	t->res->violations++;
	snprintf(path, sizeof(path), "%s/violations/%lu.mmt", t->dir, t->res->violations);
	progress_clear(t);
	if (text && !mkdirs_for(path) && !mmt_write_atomic(path, text, strlen(text)))
		say(t, "difftest: the model failed on its own: %s -> %s\n", c->er.msg, path);
	else
		say(t, "difftest: the model failed on its own: %s (not written)\n", c->er.msg);
	free(text);
}

static void write_summary(struct dt *t, int exit_code)
{
	const struct mmt_difftest_result *r = t->res;
	const struct mmt_difftest_opts *o = t->o;
	size_t cap = 8192 + (size_t)r->nr_sigs * 4600, n = 0;
	char path[PATH_MAX + 32], *buf = malloc(cap);
	int i;

	if (!buf)
		return;
#define J(...) (n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__))
	J("{\n  \"kernel\": \"%s\",\n  \"machine\": \"%s\",\n  \"page_size\": %ld,\n",
	  t->info.release, t->info.machine, t->info.page_size);
	J("  \"host_nodes\": %d,\n  \"host_swap\": %s,\n  \"cap_sys_nice\": %s,\n",
	  t->info.nr_nodes, t->info.swap ? "true" : "false",
	  t->info.cap_sys_nice ? "true" : "false");
	J("  \"host_zero_page\": %s,\n", t->info.zero_page < 0 ? "null" :
	  t->info.zero_page ? "true" : "false");
	J("  \"host_huge_zero_page\": %s,\n", t->info.huge_zero_page < 0 ? "null" :
	  t->info.huge_zero_page ? "true" : "false");
	J("  \"seed\": %" PRIu64 ",\n  \"count\": %lu,\n  \"budget_s\": %.1f,\n", o->seed,
	  o->count, o->budget);
	J("  \"ops_per_program\": %u,\n  \"dense\": %s,\n  \"mremap\": %s,\n",
	  o->nr_ops ? o->nr_ops : 32, o->dense ? "true" : "false", o->mremap ? "true" : "false");
	J("  \"world\": {\"nodes\": %d, \"frames\": %d, \"swap\": 128},\n", t->nodes, FRAMES);
	J("  \"elapsed_s\": %.1f,\n  \"programs\": %lu,\n  \"ops\": %lu,\n", r->elapsed,
	  r->programs, r->ops);
	J("  \"ops_compared\": %lu,\n  \"reads_compared\": %lu,\n  \"ok_on_both\": %lu,\n",
	  r->compared, r->reads_compared, r->ok_both);
	J("  \"skipped\": {");
	for (i = 1; i < NR_HOST_SKIP; i++)
		J("%s\"%s\": %lu", i > 1 ? ", " : "", mmt_host_skip_key(i), r->skipped[i]);
	J("},\n  \"skipped_why\": {");
	for (i = 1; i < NR_HOST_SKIP; i++)
		J("%s\"%s\": \"%s\"", i > 1 ? ", " : "", mmt_host_skip_key(i),
		  mmt_host_skip_name(i));
	J("},\n  \"disagreeing_programs\": %lu,\n  \"model_violations\": %lu,\n",
	  r->disagreeing, r->violations);
	J("  \"interrupted\": %s,\n", r->interrupted ? "true" : "false");
	J("  \"host_ksm\": %s,\n  \"ksmd_ran\": %lu,\n  \"ksm_reads\": %lu,\n",
	  t->ho.ksm ? "true" : "false", r->ksmd_ran, r->ksm_reads);
	J("  \"host_errors\": %lu,\n  \"first_host_error\": \"", r->host_errors);
	for (const char *s = r->host_error; *s; s++)
		J(*s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
	J("\",\n  \"exit\": %d,\n  \"disagreements\": [", exit_code);
	for (i = 0; i < (int)r->nr_sigs; i++)
		J("%s\n    {\"signature\": \"%s\", \"file\": \"%s\", \"ops\": %zu, \"programs\": %lu}",
		  i ? "," : "", r->sigs[i].sig, r->sigs[i].path, r->sigs[i].ops,
		  r->sigs[i].programs);
	J("%s]\n}\n", r->nr_sigs ? "\n  " : "");
#undef J
	snprintf(path, sizeof(path), "%s/summary.json", t->dir);
	if (n < cap)
		mmt_write_atomic(path, buf, n);
	free(buf);
}

static void print_summary(struct dt *t, int exit_code)
{
	const struct mmt_difftest_result *r = t->res;

	progress_clear(t);
	say(t, "difftest: summary: %.1fs%s, %lu programs, %lu ops compared (%lu reads with "
	    "their values, %lu ok on both), %lu disagreeing program%s (%u distinct), "
	    "%lu model violation%s, %lu host error%s\n", r->elapsed,
	    r->interrupted ? " (interrupted)" : "", r->programs, r->compared,
	    r->reads_compared, r->ok_both, r->disagreeing, r->disagreeing == 1 ? "" : "s",
	    r->nr_sigs, r->violations, r->violations == 1 ? "" : "s", r->host_errors,
	    r->host_errors == 1 ? "" : "s");
	say(t, "difftest: host: Linux %s %s, %d node%s, swap %s%s%s\n", t->info.release,
	    t->info.machine, t->info.nr_nodes, t->info.nr_nodes == 1 ? "" : "s",
	    t->info.swap ? "on" : "off", t->info.cap_sys_nice ? "" : ", no CAP_SYS_NICE",
	    t->info.zero_page ? "" : ", no zero page (read faults allocate a page)");
	for (int i = 1; i < NR_HOST_SKIP; i++)
		if (r->skipped[i])
			say(t, "difftest: skipped on the host: %lu op%s: %s\n", r->skipped[i],
			    r->skipped[i] == 1 ? "" : "s", mmt_host_skip_name(i));
	if (t->ho.ksm)
		say(t, "difftest: host KSM: %lu ksmd op%s ran on the host, %lu read%s of a KSM page\n",
		    r->ksmd_ran, r->ksmd_ran == 1 ? "" : "s", r->ksm_reads,
		    r->ksm_reads == 1 ? "" : "s");
	if (r->host_errors)
		say(t, "difftest: first host error: %s\n", r->host_error);
	for (unsigned i = 0; i < r->nr_sigs; i++)
		say(t, "difftest:   %s (%lu program%s) %s\n", r->sigs[i].sig, r->sigs[i].programs,
		    r->sigs[i].programs == 1 ? "" : "s", r->sigs[i].path);
	say(t, "difftest: summary in %s/summary.json (exit %d)\n", t->dir, exit_code);
}

/* count what one program compared */
static void tally(struct dt *t, const struct mmt_program *p, const struct cmp *c)
{
	struct mmt_difftest_result *r = t->res;
	size_t end = c->status == CMP_DISAGREE ? (size_t)c->first + 1 : p->nr_ops;

	for (size_t i = 0; i < end; i++) {
		const struct mmt_host_op *h = &c->hr.ops[i];

		if (c->m.out[i] != NOT_RUN)
			r->ops++;
		if (h->skip != HOST_RAN) {
			r->skipped[h->skip < NR_HOST_SKIP ? h->skip : HOST_SKIP_NOT_RUN]++;
			continue;
		}
		if (c->m.out[i] == NOT_RUN)
			break;
		r->compared++;
		r->ksmd_ran += p->ops[i].code == OP_KSMD;
		r->ksm_reads += h->ksm_page == 1;
		if (c->m.out[i] == OUT_OK && h->outcome == OUT_OK) {
			r->ok_both++;
			r->reads_compared += p->ops[i].code == OP_READ;
		}
	}
}

int mmt_difftest(const struct mmt_difftest_opts *o, struct mmt_difftest_result *res)
{
	struct sigaction sa, old_int, old_term;
	struct dt t;
	uint64_t st;
	int exit_code, ret;

	memset(res, 0, sizeof(*res));
	memset(&t, 0, sizeof(t));
	t.o = o;
	t.res = res;
	mmt_host_opts_default(&t.ho);
	if (o->timeout > 0)
		t.ho.timeout = o->timeout;
	t.ho.corrupt_writes = o->corrupt_writes;
	t.ho.ksm = o->host_ksm;
	mmt_host_info(&t.info);
	t.tty = o->log && isatty(fileno(o->log)) && !o->quiet;
	snprintf(t.dir, sizeof(t.dir), "%s", o->out ? o->out : "difftest-out");
	if (!t.info.supported) {
		say(&t, "difftest: cannot run programs on this host: 64-bit Linux only\n");
		return -1;
	}
	if (o->host_ksm && !t.info.ksm_control) {
		say(&t, "difftest: --host-ksm needs root and a writable /sys/kernel/mm/ksm/run\n");
		return -1;
	}
	if (mmt_mkdirs(t.dir)) {
		say(&t, "difftest: cannot make %s: %s\n", t.dir, strerror(errno));
		return -1;
	}
	/* the model gets at least two nodes, so migrations move data there even where they are skipped here */
	t.nodes = t.info.nr_nodes < 2 ? 2 : t.info.nr_nodes > 8 ? 8 : t.info.nr_nodes;
	if (!o->quiet) {
		say(&t, "difftest: the model against Linux %s (%s), %d node%s, swap %s%s; "
		    "seed %" PRIu64 ", %lu programs%s, out %s\n", t.info.release, t.info.machine,
		    t.info.nr_nodes, t.info.nr_nodes == 1 ? "" : "s", t.info.swap ? "on" : "off",
		    t.info.cap_sys_nice ? "" : ", no CAP_SYS_NICE (migrate all is skipped)",
		    o->seed, o->count, o->budget > 0 ? " or the budget" : "", t.dir);
		if (!t.info.move_pages)
			say(&t, "difftest: move_pages(2) does not work here: every migrate runs on "
			    "the model only\n");
		if (t.info.nr_nodes < 2)
			say(&t, "difftest: one node here: migrations to node 1 run on the model only "
			    "(the data must survive them on both sides)\n");
	}

	stop_requested = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	t.t0 = mmt_now();
	st = o->seed;
	for (unsigned long k = 0; !o->count || k < o->count; k++) {
		uint64_t seed = mmt_splitmix64(&st);
		struct mmt_program p;
		struct cmp c;

		if (stop_requested || (o->budget > 0 && mmt_now() - t.t0 >= o->budget))
			break;
		if (make_program(&p, seed, o, t.nodes, t.info.zero_page == 0,
				 t.info.huge_zero_page == 0)) {
			ret = -ENOMEM;
			goto out;
		}
		if (run_both(&p, &t.ho, &c)) {
			cmp_free(&c);
			mmt_program_free(&p);
			ret = -ENOMEM;
			goto out;
		}
		res->programs++;
		switch (c.status) {
		case CMP_HOST_ERROR:
			if (!res->host_errors++)
				snprintf(res->host_error, sizeof(res->host_error), "program seed "
					 "0x%" PRIx64 ": %s", seed, c.hr.msg);
			if (c.hr.status == HOST_UNSUPPORTED) {
				say(&t, "difftest: the host cannot run programs: %s\n", c.hr.msg);
				cmp_free(&c);
				mmt_program_free(&p);
				ret = -1;
				goto out;
			}
			break;
		case CMP_VIOLATION:
			tally(&t, &p, &c);
			record_violation(&t, &p, &c);
			break;
		case CMP_DISAGREE:
			tally(&t, &p, &c);
			record_disagreement(&t, &p, &c, seed);
			break;
		default:
			tally(&t, &p, &c);
			break;
		}
		cmp_free(&c);
		mmt_program_free(&p);
		progress(&t, false);
	}
	res->elapsed = mmt_now() - t.t0;
	res->interrupted = stop_requested;
	exit_code = res->disagreeing || res->violations || res->host_errors ? 1 : 0;
	write_summary(&t, exit_code);
	print_summary(&t, exit_code);
	ret = 0;
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return ret;
}

/* -------------------------------------------------------- host-replay */

int mmt_host_replay(const struct mmt_program *p, const struct mmt_host_opts *ho,
		    const char *name, FILE *out, bool quiet, unsigned *held,
		    unsigned *failed, unsigned *skipped, char *why, size_t wlen)
{
	struct mmt_host_result r;

	*held = *failed = *skipped = 0;
	if (mmt_host_run(p, ho, &r)) {
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	if (r.status != HOST_DONE) {
		snprintf(why, wlen, "%s%s", r.status == HOST_UNSUPPORTED ? "cannot run here: " :
			 "harness error: ", r.msg);
		mmt_host_result_free(&r);
		return -1;
	}
	for (size_t i = 0; i < p->nr_ops; i++) {
		const struct mmt_op *op = &p->ops[i];
		const struct mmt_host_op *h = &r.ops[i];
		char text[160], got[128], marks[200] = "";
		bool bad = false;
		int m = 0;

		mmt_print_op(text, sizeof(text), p, op);
		mmt_host_describe(h, got, sizeof(got));
		if (h->skip == HOST_RAN && op->code == OP_READ && h->outcome == OUT_OK) {
			size_t l = strlen(got);

			snprintf(got + l, sizeof(got) - l, " 0x%" PRIx64 "%s", h->value,
				 h->ksm_page == 1 ? " (a KSM page)" : "");
		}
		if (h->skip == HOST_RAN && op->code == OP_KSMD && h->ksm_merging >= 0) {
			size_t l = strlen(got);

			snprintf(got + l, sizeof(got) - l, " (%ld page%s merged)", h->ksm_merging,
				 h->ksm_merging == 1 ? "" : "s");
		}
		if (op->expect >= 0) {
			if (h->skip != HOST_RAN) {
				(*skipped)++;
				m += snprintf(marks + m, sizeof(marks) - m, "; skipped -> %s",
					      mmt_outcome_name(op->expect));
			} else if (h->outcome == op->expect) {
				(*held)++;
			} else {
				(*failed)++;
				bad = true;
				m += snprintf(marks + m, sizeof(marks) - m, "; FAIL: expected -> %s",
					      mmt_outcome_name(op->expect));
			}
		}
		if (op->has_expect_value && m < (int)sizeof(marks)) {
			if (h->skip != HOST_RAN) {
				(*skipped)++;
			} else if (h->outcome == OUT_OK && h->value == op->value) {
				(*held)++;
			} else {
				(*failed)++;
				bad = true;
				snprintf(marks + m, sizeof(marks) - m, "; FAIL: expected = 0x%" PRIx64,
					 op->value);
			}
		}
		if (out && (bad || !quiet))
			fprintf(out, "%s%s:%u: %-34s => %s%s\n", bad ? "FAIL " : "     ", name,
				op->line, text, got, marks);
	}
	mmt_host_result_free(&r);
	return 0;
}
