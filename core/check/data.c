// SPDX-License-Identifier: MIT
/*
 * oracle.c - the DATA reference model (see oracle.h).
 *
 * Written from Linux's documented syscall semantics, not from the model:
 * no page tables, no folios, no rmap.  A process is a sorted array of VMA
 * pieces plus a sorted map page -> value for the private pages it wrote; a
 * file or shmem object is a sorted map index -> value.  What a page reads is
 * computed on demand:
 *
 *   shared mapping           the object's value at its index
 *   private, written         the private value (COW'd copy)
 *   private file, unwritten  the object's current value (PRIVFILE)
 *   private anon, unwritten  0
 *
 * except that a page of a file or shmem object at or past the object's size
 * (a mapping mremap grew or duplicated past its end) is SIGBUS unless a
 * private mapping holds its own written copy there.
 *
 * Pieces are never merged: whether Linux merges two neighbours depends on
 * anon_vma identity, which a reference model should not have to know, so
 * the one place merging shows (mremap across a VMA boundary) accepts both
 * answers when the neighbours look mergeable.
 *
 * The kernel the semantics follow is 6.18 (the machine realkernel.py runs
 * on): mremap checks the source before it unmaps the destination.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/oracle.h"

/* own names for the protection bits: the oracle does not include mm.h */
#define O_RD	0x1
#define O_WR	0x2

/*
 * VMA flags: the first two change what a process sees (fork); the others
 * change nothing anyone reads, but split VMAs and so decide whether a
 * resizing mremap may cross from one piece into the next.
 */
#define OV_DONTFORK	0x1
#define OV_WIPEONFORK	0x2
#define OV_HUGEPAGE	0x4
#define OV_NOHUGEPAGE	0x8
#define OV_MERGEABLE	0x10
/*
 * Charged to the commit limit: a private mapping that is or was writable
 * (Linux's VM_ACCOUNT; mprotect adds it, never takes it away).  Two
 * neighbours that differ in it never merge.
 */
#define OV_ACCOUNT	0x20
/*
 * Registered with userfaultfd in missing mode: splits like any flag, is not
 * inherited by a fork child nor kept by an mremap'd copy.  The model's
 * missing faults read zeroes (userfaultfd.h), so it changes no value.
 */
#define OV_UFFD_MISSING	0x40

#define OBJ_ANON	(-1)	/* anonymous private memory: no object */
#define OBJ_MEMFD	0

struct kv {
	uint64_t k, v;
};

struct kvarr {
	struct kv *a;
	size_t n, cap;
};

struct ovma {
	uint64_t start, end;	/* [start, end) pages */
	uint64_t pgoff;		/* object index (or anon pgoff) of start */
	int obj;		/* OBJ_ANON or an object id */
	uint8_t prot;		/* O_RD | O_WR */
	bool shared;
	unsigned flags;		/* OV_* */
};

struct oobj {
	struct kvarr vals;	/* index -> value; missing means 0 */
	uint64_t size;		/* indexes >= size are past EOF (SIGBUS on Linux) */
	bool uncertain;
};

struct oproc {
	bool live, uncertain;
	struct ovma *v;
	size_t nr, cap;
	struct kvarr priv;	/* page -> value, private mappings only */
};

#define ORACLE_MAX_SWAP 64
/* the language's limit on pages pinned at once (mmt-language.md, gup.h) */
#define ORACLE_MAX_PIN_PAGES 64

/*
 * A GUP pin (pin P ADDR N): the page P saw at ADDR when it pinned it.  A
 * shared mapping's page is its object's page for good.  A private page is
 * P's page at addr while P keeps it mapped ("bound": mremap moves it along);
 * once P unmaps it (munmap, MAP_FIXED over it, MADV_DONTNEED, an mremap
 * that drops it) the pin keeps the contents it had then, and only the
 * device's own writes change them.
 */
struct opin {
	int proc;		/* the pinner */
	uint64_t uaddr;		/* its name: the address it was pinned at */
	uint64_t seq;		/* the newest pin of a name is the one used */
	int obj;		/* >= 0: page idx of a shared object */
	uint64_t idx;
	bool bound;		/* private: still P's page at addr */
	uint64_t addr;
	uint64_t val;		/* private, unbound: its contents */
};

struct oracle {
	struct oproc proc[MMT_MAX_PROCS];
	struct opin *pins;
	size_t nr_pins, cap_pins;
	uint64_t pin_seq;
	struct oobj *obj;
	size_t nr_obj, cap_obj;
	uint64_t swap[ORACLE_MAX_SWAP];
	int nr_swap;
	bool swap_overflow;	/* more devices than we track: never "empty" */
};

static void pins_unbind(struct oracle *o, int proc, uint64_t s, uint64_t e);
static struct opin *pin_find(const struct oracle *o, int proc, uint64_t uaddr);
static int expect_pin(const struct oracle *o, const struct oproc *p, const struct mmt_op *op,
		      uint64_t *bad);

/* The oracle cannot give a verdict without its memory; there is no sane way on. */
static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fprintf(stderr, "mmtorture: oracle: out of memory\n");
		abort();
	}
	return q;
}

/* ------------------------------------------------------------ sorted maps */

static size_t kv_lower(const struct kvarr *m, uint64_t k)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->a[mid].k < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool kv_get(const struct kvarr *m, uint64_t k, uint64_t *v)
{
	size_t i = kv_lower(m, k);

	if (i < m->n && m->a[i].k == k) {
		if (v)
			*v = m->a[i].v;
		return true;
	}
	return false;
}

static void kv_set(struct kvarr *m, uint64_t k, uint64_t v)
{
	size_t i = kv_lower(m, k);

	if (i < m->n && m->a[i].k == k) {
		m->a[i].v = v;
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->a = xrealloc(m->a, m->cap * sizeof(*m->a));
	}
	memmove(&m->a[i + 1], &m->a[i], (m->n - i) * sizeof(*m->a));
	m->a[i] = (struct kv){ k, v };
	m->n++;
}

/* drop every key in [s, e) */
static void kv_del_range(struct kvarr *m, uint64_t s, uint64_t e)
{
	size_t i = kv_lower(m, s), j = kv_lower(m, e);

	if (j <= i)
		return;
	memmove(&m->a[i], &m->a[j], (m->n - j) * sizeof(*m->a));
	m->n -= j - i;
}

static void kv_free(struct kvarr *m)
{
	free(m->a);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------ VMAs */

/* index of the first piece with end > addr (nr if none) */
static size_t v_after(const struct oproc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct ovma *v_find(const struct oproc *p, uint64_t addr)
{
	size_t i = v_after(p, addr);

	if (i < p->nr && p->v[i].start <= addr)
		return &p->v[i];
	return NULL;
}

static void v_insert_at(struct oproc *p, size_t i, const struct ovma *nv)
{
	if (p->nr == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	memmove(&p->v[i + 1], &p->v[i], (p->nr - i) * sizeof(*p->v));
	p->v[i] = *nv;
	p->nr++;
}

/* make @addr a piece boundary */
static void v_split(struct oproc *p, uint64_t addr)
{
	size_t i = v_after(p, addr);
	struct ovma tail;

	if (i >= p->nr || p->v[i].start >= addr)
		return;
	tail = p->v[i];
	tail.start = addr;
	tail.pgoff += addr - p->v[i].start;
	p->v[i].end = addr;
	v_insert_at(p, i + 1, &tail);
}

/* unmap [s, e): pieces and private values */
static void v_remove(struct oproc *p, uint64_t s, uint64_t e)
{
	size_t i, j;

	if (s >= e)
		return;
	v_split(p, s);
	v_split(p, e);
	i = v_after(p, s);
	for (j = i; j < p->nr && p->v[j].end <= e; j++)
		;
	if (j > i) {
		memmove(&p->v[i], &p->v[j], (p->nr - j) * sizeof(*p->v));
		p->nr -= j - i;
	}
	kv_del_range(&p->priv, s, e);
}

static void v_insert(struct oproc *p, const struct ovma *nv)
{
	v_insert_at(p, v_after(p, nv->start), nv);
}

/* end of the hole-free run of pieces from @s, capped at @e (== s if s unmapped) */
static uint64_t mapped_until(const struct oproc *p, uint64_t s, uint64_t e)
{
	uint64_t cur = s;
	size_t i = v_after(p, s);

	while (cur < e && i < p->nr && p->v[i].start <= cur) {
		cur = p->v[i].end;
		i++;
	}
	return cur < e ? cur : e;
}

/* ----------------------------------------------------------- life cycle */

static void proc_clear(struct oproc *p)
{
	free(p->v);
	kv_free(&p->priv);
	memset(p, 0, sizeof(*p));
}

static int obj_new(struct oracle *o, uint64_t size)
{
	struct oobj *ob;

	if (o->nr_obj == o->cap_obj) {
		o->cap_obj = o->cap_obj ? o->cap_obj * 2 : 8;
		o->obj = xrealloc(o->obj, o->cap_obj * sizeof(*o->obj));
	}
	ob = &o->obj[o->nr_obj];
	memset(ob, 0, sizeof(*ob));
	ob->size = size;
	return (int)o->nr_obj++;
}

struct oracle *oracle_create(void)
{
	struct oracle *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	oracle_reset(o, -1);
	return o;
}

void oracle_reset(struct oracle *o, int64_t swap_id)
{
	size_t i;

	/* keep the allocations: the fuzzers reset millions of times */
	for (i = 0; i < MMT_MAX_PROCS; i++) {
		struct oproc *p = &o->proc[i];

		p->live = p->uncertain = false;
		p->nr = 0;
		p->priv.n = 0;
	}
	for (i = 0; i < o->nr_obj; i++)
		kv_free(&o->obj[i].vals);
	o->nr_obj = 0;
	obj_new(o, 0);			/* OBJ_MEMFD */
	o->nr_pins = 0;
	o->pin_seq = 0;
	o->nr_swap = 0;
	o->swap_overflow = false;
	if (swap_id >= 0)
		o->swap[o->nr_swap++] = (uint64_t)swap_id;
}

void oracle_destroy(struct oracle *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; i < MMT_MAX_PROCS; i++)
		proc_clear(&o->proc[i]);
	for (i = 0; i < o->nr_obj; i++)
		kv_free(&o->obj[i].vals);
	free(o->obj);
	free(o->pins);
	free(o);
}

/* ------------------------------------------------------------- reading */

static uint64_t v_index(const struct ovma *v, uint64_t addr)
{
	return v->pgoff + (addr - v->start);
}

static uint64_t obj_val(const struct oracle *o, int obj, uint64_t idx)
{
	uint64_t val = 0;

	kv_get(&o->obj[obj].vals, idx, &val);
	return val;
}

static uint8_t prot_bits(int mprot)
{
	switch (mprot) {
	case MPROT_R:
		return O_RD;
	case MPROT_W:		/* w means rw, as on x86 and in realkernel.py */
	case MPROT_RW:
		return O_RD | O_WR;
	default:
		return 0;
	}
}

enum oracle_verdict oracle_access(const struct oracle *o, int proc, uint64_t addr,
				  bool write, uint64_t *val)
{
	const struct oproc *p = &o->proc[proc];
	const struct ovma *v;
	uint64_t pv;
	bool priv_written;

	if (!p->live || p->uncertain)
		return ORC_UNKNOWN;
	v = v_find(p, addr);
	if (!v)
		return ORC_SEGV;
	if (!(v->prot & (write ? O_WR : O_RD)))
		return ORC_SEGV;
	priv_written = !v->shared && kv_get(&p->priv, addr, &pv);
	if (v->obj != OBJ_ANON && !priv_written) {
		const struct oobj *ob = &o->obj[v->obj];

		/* past EOF: SIGBUS, even for a private mapping, but after the protection check */
		if (v_index(v, addr) >= ob->size)
			return ORC_BUS;
		if (ob->uncertain && !write)
			return ORC_UNKNOWN;
	}
	if (!write && val) {
		if (priv_written)
			*val = pv;
		else if (v->obj != OBJ_ANON)
			*val = obj_val(o, v->obj, v_index(v, addr));
		else
			*val = 0;
	}
	return ORC_OK;
}

const char *oracle_describe(const struct oracle *o, int proc, uint64_t addr)
{
	static char buf[160];
	const struct oproc *p = &o->proc[proc];
	const struct ovma *v = p->live ? v_find(p, addr) : NULL;
	const char *prot;

	if (!p->live)
		return "the process does not exist";
	if (!v) {
		snprintf(buf, sizeof(buf), "page 0x%llx is not mapped", (unsigned long long)addr);
		return buf;
	}
	prot = (v->prot & O_WR) ? "rw" : (v->prot & O_RD) ? "r" : "none";
	if (v->obj == OBJ_ANON)
		snprintf(buf, sizeof(buf), "VMA [0x%llx, 0x%llx) %s private|anon",
			 (unsigned long long)v->start, (unsigned long long)v->end, prot);
	else
		snprintf(buf, sizeof(buf), "VMA [0x%llx, 0x%llx) %s %s %s index 0x%llx, size 0x%llx",
			 (unsigned long long)v->start, (unsigned long long)v->end, prot,
			 v->shared ? "shared" : "private",
			 v->obj == OBJ_MEMFD ? "memfd" : "shmem",
			 (unsigned long long)v_index(v, addr),
			 (unsigned long long)o->obj[v->obj].size);
	return buf;
}

bool oracle_certain(const struct oracle *o, int proc)
{
	return o->proc[proc].live && !o->proc[proc].uncertain;
}

bool oracle_live(const struct oracle *o, int proc)
{
	return o->proc[proc].live;
}

bool oracle_private_page(const struct oracle *o, int proc, uint64_t addr)
{
	const struct oproc *p = &o->proc[proc];
	const struct ovma *v = p->live ? v_find(p, addr) : NULL;

	/* an unwritten private file page still shows the shared file */
	return v && !v->shared && (v->obj == OBJ_ANON || kv_get(&p->priv, addr, NULL));
}

void oracle_taint(struct oracle *o, int proc)
{
	struct oproc *p = &o->proc[proc];
	size_t i;

	p->uncertain = true;
	for (i = 0; i < p->nr; i++)
		if (p->v[i].obj != OBJ_ANON)
			o->obj[p->v[i].obj].uncertain = true;
}

/* ----------------------------------------------------------- expectations */

#define OUT(x) ORACLE_OUT(x)

static uint32_t expect_mprotect(const struct oproc *p, uint64_t s, uint64_t len)
{
	uint64_t e = s + len;

	if (!len)
		return OUT(OUT_OK);
	/* a hole anywhere, even at the start, is ENOMEM */
	return mapped_until(p, s, e) < e ? OUT(OUT_ENOMEM) : OUT(OUT_OK);
}

/*
 * madvise_walk_vmas(): visit the mapped parts in order, fail at once on a
 * per-VMA error, report ENOMEM at the end if a hole was skipped.  With
 * @o set, apply the advice as it goes (the partial effect Linux leaves).
 */
static int madvise_walk(struct oracle *o, struct oproc *p, uint64_t s, uint64_t len,
			int adv)
{
	uint64_t cur = s, e = s + len;
	bool hole = false;

	if (!len)
		return OUT_OK;
	for (;;) {
		size_t i = v_after(p, cur);
		struct ovma *v;
		uint64_t t;

		if (i >= p->nr)
			return OUT_ENOMEM;
		v = &p->v[i];
		if (cur < v->start) {
			hole = true;
			cur = v->start;
			if (cur >= e)
				break;
		}
		t = v->end < e ? v->end : e;
		if (adv == ADV_WIPEONFORK && (v->shared || v->obj != OBJ_ANON))
			return OUT_EINVAL;
		if (o) {
			unsigned set = 0, clear = 0;

			switch (adv) {
			case ADV_DONTNEED:
				/* private copies go; a file page shows the file again */
				if (!v->shared) {
					pins_unbind(o, (int)(p - o->proc), cur, t);
					kv_del_range(&p->priv, cur, t);
				}
				break;
			case ADV_DONTFORK:
				set = OV_DONTFORK;
				break;
			case ADV_DOFORK:
				clear = OV_DONTFORK;
				break;
			case ADV_WIPEONFORK:
				set = OV_WIPEONFORK;
				break;
			case ADV_KEEPONFORK:
				clear = OV_WIPEONFORK;
				break;
			case ADV_HUGEPAGE:
				set = OV_HUGEPAGE;
				clear = OV_NOHUGEPAGE;
				break;
			case ADV_NOHUGEPAGE:
				set = OV_NOHUGEPAGE;
				clear = OV_HUGEPAGE;
				break;
			case ADV_MERGEABLE:
				/* ksm_madvise leaves shared mappings alone */
				if (!v->shared)
					set = OV_MERGEABLE;
				break;
			case ADV_UNMERGEABLE:
				clear = OV_MERGEABLE;
				break;
			default:
				break;	/* no change in what anyone reads */
			}
			if ((set && (v->flags & set) != set) || (clear && (v->flags & clear))) {
				size_t k;

				v_split(p, cur);
				v_split(p, t);
				for (k = v_after(p, cur); k < p->nr && p->v[k].end <= t; k++)
					p->v[k].flags = (p->v[k].flags | set) & ~clear;
			}
		}
		cur = t;
		if (cur >= e)
			break;
	}
	return hole ? OUT_ENOMEM : OUT_OK;
}

/* could Linux have merged @a and the piece @b that follows it? */
/*
 * Whether Linux may have merged @a and @b.  For private anonymous pieces two
 * things depend on whether the VMA ever faulted (has an anon_vma), which is
 * the model's business, not the reference's: mremap restarts an unfaulted
 * VMA's offsets at its new address (copy_vma), and mprotect uncharges one
 * that loses write (VM_ACCOUNT goes).  So there neither offsets nor
 * OV_ACCOUNT rule a merge out.
 */
static bool mergeable(const struct ovma *a, const struct ovma *b)
{
	bool anon = a->obj == OBJ_ANON && !a->shared;
	unsigned mask = anon ? ~(unsigned)OV_ACCOUNT : ~0u;

	return a->end == b->start && a->prot == b->prot && a->shared == b->shared &&
	       a->obj == b->obj && (a->flags & mask) == (b->flags & mask) &&
	       (anon || a->pgoff + (a->end - a->start) == b->pgoff);
}

/* old_len 0 duplicates a shared mapping; a destination covering the source unmaps it first */
static bool dup_eats_source(const struct mmt_op *op)
{
	return !op->len && op->addr2 <= op->addr && op->addr < op->addr2 + op->len2;
}

/*
 * Where a same-length move of several VMAs stops (Linux's remap_move with
 * vma_multi_allowed): at the first userfaultfd-registered piece after
 * others, or at once if the range starts in one and goes on past the
 * registered run.  addr + len if it does not stop.  *@whole: the range is
 * one registered run of several pieces, which Linux may or may not have
 * merged into one VMA (then either answer is right).
 */
static uint64_t multi_stop(const struct oproc *p, const struct mmt_op *op, bool *whole)
{
	uint64_t addr = op->addr, end = op->addr + op->len;
	size_t i = v_after(p, addr), k;

	*whole = false;
	if (i >= p->nr || p->v[i].start >= end)
		return end;
	if (p->v[i].flags & OV_UFFD_MISSING) {
		/* the registered run the range starts in */
		for (k = i; k + 1 < p->nr && p->v[k + 1].start == p->v[k].end &&
			    (p->v[k + 1].flags & OV_UFFD_MISSING) && p->v[k].end < end; k++)
			;
		if (p->v[k].end >= end) {
			*whole = k > i;
			return end;
		}
		return addr;
	}
	for (k = i + 1; k < p->nr && p->v[k].start < end; k++)
		if (p->v[k].flags & OV_UFFD_MISSING)
			return p->v[k].start;
	return end;
}

/*
 * Linux 6.18, checked on the real kernel with realkernel.py:
 *  - new_len 0, or source and destination overlap: EINVAL;
 *  - nothing mapped at addr: EFAULT, the destination is left alone;
 *  - old_len 0 (duplicate) of a private mapping: EINVAL; of a shared one,
 *    the destination is unmapped first, so if it covers addr: EFAULT;
 *  - old_len == new_len: a pure move, which since 6.17 may span several
 *    VMAs and the gaps between them (each moves by the same delta);
 *  - resizing: the part that survives (min(old_len, new_len): a shrink may
 *    cross VMAs in the tail it unmaps) must lie in one VMA, else EFAULT
 *    with nothing changed.
 */
static uint32_t expect_mremap(const struct oproc *p, const struct mmt_op *op)
{
	uint64_t addr = op->addr, old_len = op->len, na = op->addr2, new_len = op->len2;
	uint64_t end;
	size_t i;
	bool crossed = false;

	if (!new_len)
		return OUT(OUT_EINVAL);
	if (addr + old_len > na && na + new_len > addr)
		return OUT(OUT_EINVAL);
	i = v_after(p, addr);
	if (i >= p->nr || p->v[i].start > addr)
		return OUT(OUT_EFAULT);
	if (!old_len) {
		if (!p->v[i].shared)
			return OUT(OUT_EINVAL);
		return dup_eats_source(op) ? OUT(OUT_EFAULT) : OUT(OUT_OK);
	}
	if (old_len == new_len) {
		bool whole;

		/* vma_multi_allowed: a registered VMA moves only alone */
		if (multi_stop(p, op, &whole) != addr + old_len)
			return OUT(OUT_EFAULT);
		return whole ? OUT(OUT_OK) | OUT(OUT_EFAULT) : OUT(OUT_OK);
	}
	end = addr + (old_len < new_len ? old_len : new_len);
	while (p->v[i].end < end) {
		if (i + 1 >= p->nr || !mergeable(&p->v[i], &p->v[i + 1]))
			return OUT(OUT_EFAULT);
		crossed = true;
		i++;
	}
	/* across pieces that look mergeable, only anon_vma identity decides */
	return crossed ? OUT(OUT_OK) | OUT(OUT_EFAULT) : OUT(OUT_OK);
}

/*
 * remap_file_pages(ADDR, N, 0, PGOFF, 0), Linux 6.18's emulation: EINVAL
 * for N = 0, no mapping at ADDR or a private one, or a range that leaves
 * it for a hole, another object or a piece with other flags (protection
 * or madvise flags: Linux compares vm_flags); else ok.
 */
static uint32_t expect_remap_file_pages(const struct oproc *p, const struct mmt_op *op)
{
	uint64_t end = op->addr + op->len;
	size_t i = v_after(p, op->addr);

	if (!op->len || i >= p->nr || p->v[i].start > op->addr || !p->v[i].shared)
		return OUT(OUT_EINVAL);
	for (; p->v[i].end < end; i++) {
		const struct ovma *v = &p->v[i], *n = &p->v[i + 1];

		if (i + 1 >= p->nr || n->start != v->end || n->obj != v->obj ||
		    n->shared != v->shared || n->prot != v->prot || n->flags != v->flags)
			return OUT(OUT_EINVAL);
	}
	return OUT(OUT_OK);
}

uint32_t oracle_expect(const struct oracle *o, const struct mmt_op *op)
{
	const struct oproc *p = &o->proc[op->proc];

	switch (op->code) {
	case OP_MMAP:
		return op->len ? OUT(OUT_OK) : OUT(OUT_EINVAL);
	case OP_MUNMAP:
		return op->len ? OUT(OUT_OK) : OUT(OUT_EINVAL);
	case OP_MPROTECT:
		if (!p->live || p->uncertain)
			return ORACLE_ANY;
		return expect_mprotect(p, op->addr, op->len);
	case OP_MREMAP:
		if (!p->live || p->uncertain)
			return ORACLE_ANY;
		return expect_mremap(p, op);
	case OP_REMAP_FILE_PAGES:
		if (!p->live || p->uncertain)
			return ORACLE_ANY;
		return expect_remap_file_pages(p, op);
	case OP_PIN: {
		uint64_t bad;

		if (!p->live || p->uncertain)
			return ORACLE_ANY;
		return OUT(expect_pin(o, p, op, &bad)) | OUT(OUT_ENOMEM);
	}
	case OP_UNPIN:
		if (!p->live || p->uncertain)
			return ORACLE_ANY;
		for (uint64_t a = op->addr; a < op->addr + op->len; a++)
			if (!pin_find(o, op->proc, a))
				return OUT(OUT_ENOENT);
		return OUT(OUT_OK);
	case OP_PIN_WRITE:
	case OP_PIN_READ:
		if (!p->live || p->uncertain)
			return ORACLE_ANY;
		return pin_find(o, op->proc, op->addr) ? OUT(OUT_OK) : OUT(OUT_ENOENT);
	case OP_SPLIT:
		/* split_huge_pages: the write succeeds, whatever it split */
		return OUT(OUT_OK);
	case OP_MADVISE:
		if (!p->live || p->uncertain)
			return ORACLE_ANY;
		/*
		 * KSM's unmerge can fail for want of memory (its COW breaks
		 * allocate), which the oracle does not track: any outcome
		 */
		if (op->advice == ADV_MERGEABLE || op->advice == ADV_UNMERGEABLE)
			return ORACLE_ANY;
		return OUT(madvise_walk(NULL, (struct oproc *)p, op->addr, op->len,
					op->advice));
	default:
		return ORACLE_ANY;
	}
}

/* ------------------------------------------------------------------ pins */

/* @proc's newest pin named @uaddr, or NULL */
static struct opin *pin_find(const struct oracle *o, int proc, uint64_t uaddr)
{
	struct opin *best = NULL;

	for (size_t i = 0; i < o->nr_pins; i++) {
		struct opin *pn = &o->pins[i];

		if (pn->proc == proc && pn->uaddr == uaddr && (!best || pn->seq > best->seq))
			best = pn;
	}
	return best;
}

/* what a private page of @p at @addr holds now (its VMA is private) */
static uint64_t priv_val(const struct oracle *o, const struct oproc *p, const struct ovma *v,
			 uint64_t addr)
{
	uint64_t val = 0;

	if (kv_get(&p->priv, addr, &val))
		return val;
	return v->obj == OBJ_ANON ? 0 : obj_val(o, v->obj, v_index(v, addr));
}

/* @proc unmaps [s, e): its bound private pins there keep what they hold */
static void pins_unbind(struct oracle *o, int proc, uint64_t s, uint64_t e)
{
	const struct oproc *p = &o->proc[proc];

	for (size_t i = 0; i < o->nr_pins; i++) {
		struct opin *pn = &o->pins[i];
		const struct ovma *v;

		if (pn->proc != proc || pn->obj >= 0 || !pn->bound || pn->addr < s || pn->addr >= e)
			continue;
		v = v_find(p, pn->addr);
		pn->val = v ? priv_val(o, p, v, pn->addr) : 0;
		pn->bound = false;
	}
}

/*
 * pin P ADDR N: FOLL_WRITE, so every page must lie in a writable VMA and
 * fault in (a file page past its object's end is SIGBUS: EFAULT); all or
 * nothing.  Returns the outcome and, in *@bad, the first page that failed.
 */
static int expect_pin(const struct oracle *o, const struct oproc *p, const struct mmt_op *op,
		      uint64_t *bad)
{
	if (!op->len)
		return OUT_EINVAL;
	if (op->len > ORACLE_MAX_PIN_PAGES)
		return OUT_ENOMEM;
	for (uint64_t a = op->addr; a < op->addr + op->len; a++) {
		const struct ovma *v = v_find(p, a);

		*bad = a;
		if (!v || !(v->prot & O_WR))
			return OUT_EFAULT;
		if (v->obj != OBJ_ANON && (v->shared || !kv_get(&p->priv, a, NULL)) &&
		    v_index(v, a) >= o->obj[v->obj].size)
			return OUT_EFAULT;
	}
	return OUT_OK;
}

/* the pages a pin faulted in before @end: a private file page is now a copy */
static void pin_cow(struct oracle *o, struct oproc *p, uint64_t s, uint64_t end)
{
	for (uint64_t a = s; a < end; a++) {
		const struct ovma *v = v_find(p, a);

		if (v && !v->shared && v->obj != OBJ_ANON && !kv_get(&p->priv, a, NULL))
			kv_set(&p->priv, a, obj_val(o, v->obj, v_index(v, a)));
	}
}

static void apply_pin(struct oracle *o, int proc, const struct mmt_op *op, int out)
{
	struct oproc *p = &o->proc[proc];
	uint64_t bad = op->addr;

	if (out == OUT_ENOMEM) {
		oracle_taint(o, proc);	/* how far it got is the model's business */
		return;
	}
	if (expect_pin(o, p, op, &bad) != out)
		return;			/* judged already */
	if (out != OUT_OK) {
		if (out == OUT_EFAULT)
			pin_cow(o, p, op->addr, bad);
		return;
	}
	pin_cow(o, p, op->addr, op->addr + op->len);
	for (uint64_t a = op->addr; a < op->addr + op->len; a++) {
		const struct ovma *v = v_find(p, a);
		struct opin *pn;

		if (o->nr_pins == o->cap_pins) {
			o->cap_pins = o->cap_pins ? 2 * o->cap_pins : 16;
			o->pins = xrealloc(o->pins, o->cap_pins * sizeof(*o->pins));
		}
		pn = &o->pins[o->nr_pins++];
		*pn = (struct opin){ .proc = proc, .uaddr = a, .seq = ++o->pin_seq, .obj = -1,
				     .bound = true, .addr = a };
		if (v->shared) {
			pn->obj = v->obj;
			pn->idx = v_index(v, a);
		}
	}
}

static void pin_remove(struct oracle *o, struct opin *pn)
{
	*pn = o->pins[--o->nr_pins];
}

static void apply_unpin(struct oracle *o, int proc, uint64_t s, uint64_t len)
{
	for (uint64_t a = s; a < s + len; a++) {
		struct opin *pn = pin_find(o, proc, a);

		if (pn)
			pin_remove(o, pn);
	}
}

static void pins_exit(struct oracle *o, int proc)
{
	for (size_t i = 0; i < o->nr_pins;) {
		if (o->pins[i].proc == proc)
			pin_remove(o, &o->pins[i]);
		else
			i++;
	}
}

/* the device writes through a pin */
static void apply_pin_write(struct oracle *o, struct opin *pn, uint64_t val)
{
	struct oproc *p = &o->proc[pn->proc];

	if (pn->obj >= 0) {
		kv_set(&o->obj[pn->obj].vals, pn->idx, val);
		if (p->uncertain)
			o->obj[pn->obj].uncertain = true;
	} else if (pn->bound) {
		kv_set(&p->priv, pn->addr, val);
	} else {
		pn->val = val;
	}
}

enum oracle_verdict oracle_pin_read(const struct oracle *o, int proc, uint64_t uaddr,
				    uint64_t *val)
{
	const struct oproc *p = &o->proc[proc];
	const struct opin *pn;
	const struct ovma *v;

	if (!p->live || p->uncertain)
		return ORC_UNKNOWN;
	pn = pin_find(o, proc, uaddr);
	if (!pn)
		return ORC_SEGV;	/* no such pin: ENOENT */
	if (pn->obj >= 0) {
		if (o->obj[pn->obj].uncertain)
			return ORC_UNKNOWN;
		*val = obj_val(o, pn->obj, pn->idx);
	} else if (pn->bound) {
		v = v_find(p, pn->addr);
		if (!v)
			return ORC_UNKNOWN;	/* cannot be: bound means mapped */
		*val = priv_val(o, p, v, pn->addr);
	} else {
		*val = pn->val;
	}
	return ORC_OK;
}

/*
 * A successful mremap of @proc: what it unmaps (the destination where
 * something lands, a shrunk tail) unbinds, what it moves takes its bound
 * pins along.  Before apply_mremap, which it reads the old layout of.
 */
static void pins_mremap(struct oracle *o, int proc, const struct mmt_op *op)
{
	const struct oproc *p = &o->proc[proc];
	uint64_t addr = op->addr, na = op->addr2, kept;

	if (!op->len)
		return;			/* a duplicate: nothing moves */
	kept = op->len < op->len2 ? op->len : op->len2;
	if (op->len != op->len2) {
		pins_unbind(o, proc, na, na + op->len2);
	} else {
		for (size_t i = 0; i < o->nr_pins; i++) {
			struct opin *pn = &o->pins[i];

			if (pn->proc == proc && pn->obj < 0 && pn->bound && pn->addr >= na &&
			    pn->addr < na + op->len && v_find(p, pn->addr - na + addr))
				pins_unbind(o, proc, pn->addr, pn->addr + 1);
		}
	}
	if (op->len > op->len2)
		pins_unbind(o, proc, addr + op->len2, addr + op->len);
	for (size_t i = 0; i < o->nr_pins; i++) {
		struct opin *pn = &o->pins[i];

		if (pn->proc == proc && pn->obj < 0 && pn->bound && pn->addr >= addr &&
		    pn->addr < addr + kept)
			pn->addr = pn->addr - addr + na;
	}
}

/* --------------------------------------------------------------- effects */

static void apply_fork(struct oracle *o, int parent, int child)
{
	struct oproc *pp = &o->proc[parent], *c = &o->proc[child];
	size_t i, k;

	c->live = true;
	c->uncertain = pp->uncertain;
	c->nr = 0;
	c->priv.n = 0;
	for (i = 0; i < pp->nr; i++) {
		const struct ovma *v = &pp->v[i];

		if (v->flags & OV_DONTFORK)
			continue;
		v_insert_at(c, c->nr, v);
		c->v[c->nr - 1].flags &= ~OV_UFFD_MISSING;
		if (v->shared || (v->obj == OBJ_ANON && (v->flags & OV_WIPEONFORK)))
			continue;
		for (k = kv_lower(&pp->priv, v->start);
		     k < pp->priv.n && pp->priv.a[k].k < v->end; k++)
			kv_set(&c->priv, pp->priv.a[k].k, pp->priv.a[k].v);
	}
}

/* UFFDIO_REGISTER (missing): every mapped piece of the range gets the flag */
static void apply_uffd_register(struct oproc *p, uint64_t s, uint64_t len)
{
	uint64_t e = s + len;

	v_split(p, s);
	v_split(p, e);
	for (size_t k = v_after(p, s); k < p->nr && p->v[k].end <= e; k++)
		p->v[k].flags |= OV_UFFD_MISSING;
}

static void apply_mmap(struct oracle *o, struct oproc *p, const struct mmt_op *op)
{
	struct ovma nv = {
		.start = op->addr,
		.end = op->addr + op->len,
		.prot = prot_bits(op->prot),
		.shared = (op->mflags & MFL_SHARED) != 0,
	};

	if (op->mflags & MFL_ANON) {
		if (nv.shared) {
			nv.obj = obj_new(o, op->len);
			nv.pgoff = 0;
		} else {
			nv.obj = OBJ_ANON;
			nv.pgoff = op->addr;
		}
	} else {
		nv.obj = OBJ_MEMFD;
		nv.pgoff = op->addr;
	}
	if (!nv.shared && (nv.prot & O_WR))
		nv.flags |= OV_ACCOUNT;
	v_remove(p, nv.start, nv.end);
	v_insert(p, &nv);
}

/*
 * A new shared VMA of the same object at PGOFF over the range (do_mmap
 * with the old protection): none of the old pieces' madvise flags or
 * userfaultfd registration stay.  The object does not grow: pages past
 * its end are SIGBUS.
 */
static void apply_remap_file_pages(struct oproc *p, const struct mmt_op *op)
{
	const struct ovma *v = v_find(p, op->addr);
	struct ovma nv;

	if (!v)
		return;
	nv = (struct ovma){
		.start = op->addr,
		.end = op->addr + op->len,
		.pgoff = op->addr2,
		.obj = v->obj,
		.prot = v->prot,
		.shared = true,
	};
	v_remove(p, nv.start, nv.end);
	v_insert(p, &nv);
}

static void apply_mprotect(struct oproc *p, const struct mmt_op *op)
{
	uint64_t m = mapped_until(p, op->addr, op->addr + op->len);
	size_t k;

	if (m <= op->addr)
		return;
	v_split(p, op->addr);
	v_split(p, m);
	for (k = v_after(p, op->addr); k < p->nr && p->v[k].end <= m; k++) {
		p->v[k].prot = prot_bits(op->prot);
		if (!p->v[k].shared && (p->v[k].prot & O_WR))
			p->v[k].flags |= OV_ACCOUNT;
	}
}

static void apply_mremap(struct oproc *p, const struct mmt_op *op)
{
	uint64_t addr = op->addr, old_len = op->len, na = op->addr2, new_len = op->len2;
	const struct ovma *v = v_find(p, addr);
	struct ovma *pieces = NULL;
	struct kv *moved = NULL;
	size_t nr_pieces = 0, nr_moved = 0, i, lo, hi;

	if (!v)
		return;
	if (!old_len) {
		/* duplicate a shared mapping: the old one stays */
		struct ovma nv = *v;

		nv.pgoff = v_index(v, addr);
		nv.flags &= ~OV_UFFD_MISSING;
		nv.start = na;
		nv.end = na + new_len;
		v_remove(p, na, na + new_len);
		v_insert(p, &nv);
		return;
	}
	/*
	 * A resize clears the whole destination first.  A same-length move
	 * clears only where a source piece lands (below): what faces a hole in
	 * the source stays mapped, as Linux since 6.17 has it.
	 */
	if (old_len != new_len)
		v_remove(p, na, na + new_len);
	if (old_len > new_len) {
		v_remove(p, addr + new_len, addr + old_len);
		old_len = new_len;
	}
	/* every piece of the source moves by the same delta, gaps included */
	v_split(p, addr);
	v_split(p, addr + old_len);
	for (i = v_after(p, addr); i < p->nr && p->v[i].start < addr + old_len; i++) {
		pieces = xrealloc(pieces, (nr_pieces + 1) * sizeof(*pieces));
		pieces[nr_pieces] = p->v[i];
		pieces[nr_pieces].start = p->v[i].start - addr + na;
		pieces[nr_pieces].end = p->v[i].end - addr + na;
		/* mremap_userfaultfd_prep without UFFD_FEATURE_EVENT_REMAP */
		pieces[nr_pieces].flags &= ~OV_UFFD_MISSING;
		nr_pieces++;
	}
	/* growing: only one VMA can be resized, and it keeps going */
	if (new_len > old_len && nr_pieces)
		pieces[nr_pieces - 1].end = na + new_len;
	lo = kv_lower(&p->priv, addr);
	hi = kv_lower(&p->priv, addr + old_len);
	if (hi > lo) {
		nr_moved = hi - lo;
		moved = xrealloc(NULL, nr_moved * sizeof(*moved));
		memcpy(moved, &p->priv.a[lo], nr_moved * sizeof(*moved));
	}
	v_remove(p, addr, addr + old_len);
	for (i = 0; i < nr_pieces; i++) {
		if (op->len == new_len)
			v_remove(p, pieces[i].start, pieces[i].end);
		v_insert(p, &pieces[i]);
	}
	for (i = 0; i < nr_moved; i++)
		kv_set(&p->priv, moved[i].k - addr + na, moved[i].v);
	free(pieces);
	free(moved);
}

static void apply_write(struct oracle *o, struct oproc *p, uint64_t addr, uint64_t val)
{
	const struct ovma *v = v_find(p, addr);

	if (!v)
		return;
	if (v->shared) {
		struct oobj *ob = &o->obj[v->obj];

		kv_set(&ob->vals, v_index(v, addr), val);
		/* a write from a process we no longer follow makes the object unsure */
		if (p->uncertain)
			ob->uncertain = true;
	} else {
		kv_set(&p->priv, addr, val);
	}
}

/*
 * UFFDIO_MOVE of @n pages (what uffdio_move.move reported): each source
 * page's contents now sit at the destination, and the source reads as a
 * never-touched anonymous page.  Both sides are private anonymous memory
 * (the move refuses anything else).
 */
static void apply_uffd_move(struct oproc *p, uint64_t dst, uint64_t src, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v;

		if (kv_get(&p->priv, src + i, &v)) {
			kv_del_range(&p->priv, src + i, src + i + 1);
			kv_set(&p->priv, dst + i, v);
		} else {
			kv_del_range(&p->priv, dst + i, dst + i + 1);
		}
	}
}

static void swap_on(struct oracle *o, uint64_t id)
{
	int i;

	for (i = 0; i < o->nr_swap; i++)
		if (o->swap[i] == id)
			return;
	if (o->nr_swap == ORACLE_MAX_SWAP) {
		o->swap_overflow = true;
		return;
	}
	o->swap[o->nr_swap++] = id;
}

static void swap_off(struct oracle *o, uint64_t id)
{
	int i;

	for (i = 0; i < o->nr_swap; i++)
		if (o->swap[i] == id) {
			o->swap[i] = o->swap[--o->nr_swap];
			return;
		}
}

void oracle_apply(struct oracle *o, const struct mmt_op *op, int out, uint64_t val)
{
	struct oproc *p = &o->proc[op->proc];

	switch (op->code) {
	case OP_SPAWN:
		if (out == OUT_OK) {
			p->live = true;
			p->uncertain = false;
			p->nr = 0;
			p->priv.n = 0;
		}
		break;
	case OP_FORK:
		if (out == OUT_OK && p->live)
			apply_fork(o, op->proc, op->proc2);
		break;
	case OP_EXIT:
		if (out == OUT_OK) {
			pins_exit(o, op->proc);
			p->live = false;
			p->uncertain = false;
			p->nr = 0;
			p->priv.n = 0;
		}
		break;
	case OP_MMAP:
		/*
		 * The language's rule: realkernel.py ftruncates the memfd up to
		 * cover the range before it calls mmap, so even a failed file
		 * mmap (EINVAL for N = 0) grows it.
		 */
		if (!(op->mflags & MFL_ANON) && o->obj[OBJ_MEMFD].size < op->addr + op->len)
			o->obj[OBJ_MEMFD].size = op->addr + op->len;
		if (!p->live)
			break;
		if (out == OUT_OK) {
			pins_unbind(o, op->proc, op->addr, op->addr + op->len);
			apply_mmap(o, p, op);
		} else if (out != OUT_EINVAL)
			oracle_taint(o, op->proc);	/* MAP_FIXED failed half way */
		break;
	case OP_MUNMAP:
		if (!p->live)
			break;
		if (out == OUT_OK) {
			pins_unbind(o, op->proc, op->addr, op->addr + op->len);
			v_remove(p, op->addr, op->addr + op->len);
		} else if (out != OUT_EINVAL)
			oracle_taint(o, op->proc);
		break;
	case OP_MPROTECT:
		if (!p->live)
			break;
		if (out == OUT_OK || out == OUT_ENOMEM)
			apply_mprotect(p, op);
		else
			oracle_taint(o, op->proc);
		break;
	case OP_MREMAP:
		if (!p->live)
			break;
		if (out == OUT_OK) {
			pins_mremap(o, op->proc, op);
			apply_mremap(p, op);
		} else if (out == OUT_EFAULT && op->len && op->len == op->len2) {
			bool whole;
			uint64_t stop = multi_stop(p, op, &whole);
			struct mmt_op part = *op;

			/* what came before the registered VMA it stopped at moved */
			part.len = part.len2 = stop - op->addr;
			if (v_find(p, op->addr) && stop > op->addr && stop < op->addr + op->len) {
				pins_mremap(o, op->proc, &part);	/* pins go with it */
				apply_mremap(p, &part);
			}
		} else if (out == OUT_EFAULT && dup_eats_source(op)) {
			const struct ovma *v = v_find(p, op->addr);

			if (v && v->shared)
				v_remove(p, op->addr2, op->addr2 + op->len2);
		}
		break;
	case OP_MADVISE:
		if (!p->live)
			break;
		if (out == OUT_OK || out == OUT_ENOMEM || out == OUT_EINVAL)
			madvise_walk(o, p, op->addr, op->len, op->advice);
		else
			oracle_taint(o, op->proc);
		break;
	case OP_WRITE:
		if (p->live && out == OUT_OK)
			apply_write(o, p, op->addr, op->value);
		break;
	case OP_UFFD_REGISTER:
		if (p->live && out == OUT_OK)
			apply_uffd_register(p, op->addr, op->len);
		break;
	case OP_REMAP_FILE_PAGES:
		if (p->live && out == OUT_OK) {
			pins_unbind(o, op->proc, op->addr, op->addr + op->len);
			apply_remap_file_pages(p, op);
		} else if (p->live && out != OUT_EINVAL) {
			oracle_taint(o, op->proc);	/* do_mmap failed half way */
		}
		break;
	case OP_UFFD_MOVE:
		/* a short move (EAGAIN) moved the first @val pages */
		if (p->live && (out == OUT_OK || out == OUT_EAGAIN))
			apply_uffd_move(p, op->addr, op->addr2, out == OUT_OK ? op->len : val);
		break;
	case OP_PIN:
		if (p->live)
			apply_pin(o, op->proc, op, out);
		break;
	case OP_UNPIN:
		if (p->live)
			apply_unpin(o, op->proc, op->addr, op->len);
		break;
	case OP_PIN_WRITE:
		if (p->live && out == OUT_OK) {
			struct opin *pn = pin_find(o, op->proc, op->addr);

			if (pn)
				apply_pin_write(o, pn, op->value);
		}
		break;
	case OP_SWAPON:
		if (out == OUT_OK)
			swap_on(o, op->addr);
		break;
	case OP_SWAPOFF:
		if (out == OUT_OK)
			swap_off(o, op->addr);
		break;
	default:
		break;	/* read, migrate, reclaim, check, device_*, split: nobody's data changes */
	}
}

/* ----------------------------------------------------------------- dumps */

void oracle_for_each_page(const struct oracle *o, int proc,
			  void (*fn)(uint64_t addr, uint64_t val, void *arg), void *arg)
{
	const struct oproc *p = &o->proc[proc];
	size_t i, k;

	if (!p->live || p->uncertain)
		return;
	for (i = 0; i < p->nr; i++) {
		const struct ovma *v = &p->v[i];
		const struct oobj *ob;
		uint64_t len = v->end - v->start;

		if (!(v->prot & O_RD))
			continue;
		if (!v->shared)
			for (k = kv_lower(&p->priv, v->start);
			     k < p->priv.n && p->priv.a[k].k < v->end; k++)
				fn(p->priv.a[k].k, p->priv.a[k].v, arg);
		if (v->obj == OBJ_ANON)
			continue;
		ob = &o->obj[v->obj];
		if (ob->uncertain)
			continue;
		for (k = kv_lower(&ob->vals, v->pgoff);
		     k < ob->vals.n && ob->vals.a[k].k < v->pgoff + len; k++) {
			uint64_t idx = ob->vals.a[k].k, addr = v->start + (idx - v->pgoff);

			if (idx >= ob->size)
				break;
			if (!v->shared && kv_get(&p->priv, addr, NULL))
				continue;
			fn(addr, ob->vals.a[k].v, arg);
		}
	}
}

bool oracle_ended_empty(const struct oracle *o)
{
	size_t i;

	for (i = 0; i < MMT_MAX_PROCS; i++)
		if (o->proc[i].live)
			return false;
	return o->nr_swap == 0 && !o->swap_overflow;
}
