// SPDX-License-Identifier: MIT
/*
 * stress.c - threaded stress loops (see stress.h).
 *
 * Threads.  Workers 0..N-1 pick random ops (the generator's mix, over a
 * window of 32 pages and 4 process slots so that they collide) and run them
 * straight through the model's API.  Thread N is kswapd (kswapd_run()
 * passes), thread N+1 walks the frames: kcompactd (kcompactd_run() on each
 * node in turn) and the idle page tracker (page_idle_scan(), whose rmap
 * walks of anon folios start without the folio lock) take turns,
 * thread N+2 is ksmd (ksmd_run() scans, merging what the workers made
 * mergeable) taking turns with khugepaged (khugepaged_run() passes).  The
 * workers rewrite the window far faster than ksmd passes over it, and a
 * page merges only if it held still for a pass, so ksmd
 * merges mostly in a zone of its own past the window (pick_ksm_op): few ops
 * go there, and those that write write one of two values.  And a process
 * lives for some 100 us between a spawn and an exit, less than a ksmd pass,
 * so slot KSM_SLOT takes only one exit in KSM_SLOT_LIFE of those aimed at
 * it (forks into it fail while it lives), and most zone ops go to it.
 * Nothing else: no scheduler, no fibers; the model's own locks are real
 * pthread locks here, and TSan sees every access.
 *
 * Process slots.  A slot holds an mm pointer and a lifetime rwsem (class
 * LC_NONE: outside the model's lock order, like the executor's per-process
 * users lock).  An op on a process holds its slot for read; spawn and exit
 * hold it for write; fork holds the parent for read and the child's slot
 * for write, the two taken in slot order so that forks cannot deadlock.
 * So no op ever runs on an mm that exit is tearing down.
 *
 * Quiescence.  Every check period the main thread raises stop_req; each
 * thread parks at its next op boundary, where it holds no lock; when all
 * live threads are parked the world is quiescent (no op in flight, no
 * migration entry, nothing isolated) and check_world() may read it without
 * locks.  Only then: VM_BUG_ONs fire inline, and LOCKORDER is reported by
 * kprim on the acquiring thread.
 *
 * Violations.  Recorded in mmt_report (thread-safe).  A VM_BUG_ON parks its
 * thread for good (abort hook), holding its locks, so other threads may
 * block behind it; the main thread therefore waits for parking with a
 * timeout and never joins after a violation.  The reproduction runs in a
 * fresh world of the executor's; the stress world is left as it is.
 *
 * Lock-order reports are held back, because they are often secondary: a
 * broken state (a folio AnonExclusive but mapped twice, say) is only seen
 * at the next stop-the-world check, while an op that met it may already
 * have left a lock held, or had one released under it by another thread
 * (kprim then keeps the lock in the taker's record), and the next lock that
 * thread takes is a LOCKORDER report.  First come, first recorded, that
 * report would stand in for the violation that caused it, and the search
 * for a reproducer would look for LOCKORDER, which the executor's
 * after-every-op checks never reach: they stop at the cause.  So a
 * LOCKORDER report (or an op returning with a lock held, which lockdep
 * calls "lock held when returning to user space") stops the run like any
 * violation, but the world is first stopped and checked: a state
 * violation found then is the cause and is reported, the lock-order report
 * second.  Only a world that checks clean, or cannot be stopped, leaves
 * LOCKORDER first; and then the reproduction also takes a state violation
 * as the cause it was after.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "stress.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mmt/check.h"
#include "mmt/daemon.h"
#include "mmt/exec.h"
#include "mmt/hmm.h"
#include "mmt/inject.h"
#include "mmt/kprim.h"
#include "mmt/khugepaged.h"
#include "mmt/ksm.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/page_idle.h"
#include "mmt/program.h"
#include "mmt/sched.h"
#include "mmt/swap.h"
#include "mmt/userfaultfd.h"
#include "mmt/world.h"
#include "mmt/prng.h"

#define NSLOTS		4
/* PMD-aligned, so that the window is one huge pmd's range (HPAGE_PMD_NR pages) */
#define WIN_START	0x20
#define WIN_PAGES	32
#define RING		32	/* ops kept per thread */
#define MAX_THREADS	(STRESS_MAX_WORKERS + 4)
#define WORLD_FRAMES	256
#define WORLD_SWAP	256
#define DAEMON_BATCH	16
/* ksmd's zone, past the window: see pick_ksm_op */
#define KSM_START	(WIN_START + WIN_PAGES)
#define KSM_PAGES	8
#define KSM_SLOT	(NSLOTS - 1)	/* exits rarely: its zone lives long enough to merge */
#define KSM_SLOT_LIFE	64		/* ... 1 in KSM_SLOT_LIFE of the exits aimed at it */
#define KSMD_BATCH	(NSLOTS * (WIN_PAGES + KSM_PAGES))
/* 1 in this many of the zone's rare unmerge ops turns a KSM knob instead */
#define KSM_KNOB_ONE_IN	64

enum { T_WORKER, T_KSWAPD, T_KCOMPACTD, T_DEVICE, T_KSMD };

static const char *const kind_name[] = {
	[T_WORKER] = "worker", [T_KSWAPD] = "kswapd", [T_KCOMPACTD] = "kcompactd",
	[T_DEVICE] = "device", [T_KSMD] = "ksmd",
};

struct logent {
	struct mmt_op op;	/* proc/proc2 are slot numbers = name indexes p0..p3 */
	uint64_t seq;		/* global start order */
	int out;		/* outcome, or -2 while running */
};

struct sthread {
	int id, kind;
	pthread_t th;
	uint64_t rng;
	atomic_ullong ops;
	unsigned long nlog;	/* entries ever logged (owner writes; read when parked) */
	struct logent ring[RING];
	int status[WIN_PAGES];	/* move_pages per-page status: up to a window */
	bool ksm_run2;		/* this thread set run = 2: its next zone op sets 1 */
};

struct slot {
	struct rw_semaphore users;
	struct mm_struct *mm;	/* under users */
};

static struct {
	const struct stress_opts *o;
	int nr_threads;
	struct sthread t[MAX_THREADS];
	struct slot slot[NSLOTS];
	atomic_ullong seq;

	pthread_mutex_t park_m;
	pthread_cond_t park_c;		/* parked threads wait here */
	pthread_cond_t main_c;		/* the main thread waits here */
	pthread_cond_t never_c;		/* dead threads wait here forever */
	atomic_int stop_req;
	atomic_int quit;
	int parked, dead;		/* under park_m */

	/* the first lock-order report, held back (see the top); ready: 2 */
	atomic_int lockorder;		/* 0 none, 1 being written, 2 ready */
	atomic_ulong nlockorder;
	char lo_msg[256];
} S;

/* ----------------------------------------------------------------- prng */

static unsigned rnd(struct sthread *t, unsigned n)
{
	return n ? (unsigned)(mmt_splitmix64(&t->rng) % n) : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------- park and die */

/* between ops, holding no lock */
static void maybe_park(void)
{
	if (!atomic_load_explicit(&S.stop_req, memory_order_acquire))
		return;
	pthread_mutex_lock(&S.park_m);
	S.parked++;
	pthread_cond_broadcast(&S.main_c);
	while (atomic_load(&S.stop_req) && !atomic_load(&S.quit))
		pthread_cond_wait(&S.park_c, &S.park_m);
	S.parked--;
	pthread_mutex_unlock(&S.park_m);
}

/* kp_abort() on a stress thread: the oops kills this task only */
static void stress_abort_hook(void)
{
	pthread_mutex_lock(&S.park_m);
	S.dead++;
	pthread_cond_broadcast(&S.main_c);
	for (;;)
		pthread_cond_wait(&S.never_c, &S.park_m);
}

static struct mmt_program names;	/* p0..p3, for printing ops */

/* hold back a lock-order report (the first one in full; see the top) */
static void lockorder_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void lockorder_note(const char *fmt, ...)
{
	int none = 0;
	va_list ap;

	if (atomic_compare_exchange_strong(&S.lockorder, &none, 1)) {
		va_start(ap, fmt);
		vsnprintf(S.lo_msg, sizeof(S.lo_msg), fmt, ap);
		va_end(ap);
		atomic_store_explicit(&S.lockorder, 2, memory_order_release);
	}
	/* release: whoever sees the count sees the report ready, or being written */
	atomic_fetch_add_explicit(&S.nlockorder, 1, memory_order_release);
}

static void lockorder_cb(enum kp_lock_class held, enum kp_lock_class taken)
{
	const char *first = kp_lockorder_first(taken, held);
	char now[160];

	kp_context(now, sizeof(now));
	lockorder_note("took %s while holding %s in '%s'; the order %s -> %s was %s%s%s",
		       kp_lock_class_name(taken), kp_lock_class_name(held), now[0] ? now : "?",
		       kp_lock_class_name(taken), kp_lock_class_name(held),
		       first ? "first seen in '" : "never seen before", first ? first : "",
		       first ? "'" : "");
}

/* is there anything to stop for: a violation, or a lock-order report held back? */
static bool stop_reported(void)
{
	return __atomic_load_n(&mmt_report.count, __ATOMIC_ACQUIRE) ||
	       atomic_load_explicit(&S.nlockorder, memory_order_acquire);
}

/* lock-order context: "thread N: op" */
static void op_context(char *buf, unsigned long len, const void *arg)
{
	const struct logent *e = arg;
	int n = snprintf(buf, len, "thread %d: ", e->op.task);

	if (n >= 0 && (unsigned long)n < len &&
	    mmt_print_op(buf + n, len - (unsigned long)n, &names, &e->op) < 0)
		snprintf(buf + n, len - (unsigned long)n, "%s", mmt_opcode_name(e->op.code));
}

/*
 * Stop the world: raise stop_req and wait until every live thread is parked.
 * Returns false if that did not happen within @timeout seconds (threads
 * blocked behind a dead one) or a violation is already reported and @bail.
 */
static bool stop_world(double timeout, bool bail)
{
	double deadline = now() + timeout;
	bool ok = true;

	pthread_mutex_lock(&S.park_m);
	atomic_store_explicit(&S.stop_req, 1, memory_order_release);
	while (S.parked + S.dead < S.nr_threads) {
		struct timespec ts;

		if (now() > deadline || (bail && __atomic_load_n(&mmt_report.count, __ATOMIC_ACQUIRE))) {
			ok = false;
			break;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&S.main_c, &S.park_m, &ts);
	}
	pthread_mutex_unlock(&S.park_m);
	return ok;
}

static void start_world(void)
{
	pthread_mutex_lock(&S.park_m);
	atomic_store(&S.stop_req, 0);
	pthread_cond_broadcast(&S.park_c);
	pthread_mutex_unlock(&S.park_m);
}

/* -------------------------------------------------------------- the ops */

static const int advice_pick[] = {
	MADV_DONTNEED, MADV_DONTNEED, MADV_PAGEOUT, MADV_PAGEOUT, MADV_COLD,
	MADV_DONTFORK, MADV_DOFORK, MADV_MERGEABLE, MADV_MERGEABLE, MADV_MERGEABLE,
	MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE, MADV_HUGEPAGE, MADV_HUGEPAGE,
};
static const uint8_t advice_mmt[] = {
	ADV_DONTNEED, ADV_DONTNEED, ADV_PAGEOUT, ADV_PAGEOUT, ADV_COLD,
	ADV_DONTFORK, ADV_DOFORK, ADV_MERGEABLE, ADV_MERGEABLE, ADV_MERGEABLE,
	ADV_MERGEABLE, ADV_UNMERGEABLE, ADV_HUGEPAGE, ADV_HUGEPAGE, ADV_HUGEPAGE,
};


static int prot_of(int mprot)
{
	return mprot == MPROT_R ? PROT_READ :
	       mprot == MPROT_NONE ? PROT_NONE : PROT_READ | PROT_WRITE;
}

static int mflags_of(int f)
{
	return (f & MFL_PRIVATE ? MAP_PRIVATE : 0) | (f & MFL_SHARED ? MAP_SHARED : 0) |
	       (f & MFL_ANON ? MAP_ANONYMOUS : 0);
}

static uint64_t win_len(struct sthread *t, uint64_t addr)
{
	/* now and then to the window's end: a whole huge pmd's range from WIN_START */
	uint64_t n = rnd(t, 8) ? 1 + rnd(t, 8) : WIN_PAGES, room = WIN_START + WIN_PAGES - addr;

	return n < room ? n : room;
}

static uint8_t advice_index(int advice)
{
	uint8_t i = 0;

	while (advice_pick[i] != advice)
		i++;
	return i;
}

/*
 * An op in ksmd's zone: KSM_PAGES private anonymous pages that hold one of
 * two values and are mostly left alone, so that they stay put for the two
 * passes a merge takes.  Mapped and made mergeable now and then (a process
 * is born without the zone; a fork inherits it), written with 1 or 2 (a
 * write to a KSM page breaks COW), read, migrated (a KSM page moves with
 * its stable node), and unmerged; now and then ksm's run knob goes to 2
 * (unmerge all) and back to 1, and merge_across_nodes flips when nothing is
 * shared, so the per-node trees and migrate_nodes see real threads too.
 * Reclaim and kcompactd come by on their own.  All plain ops, so a finding's log replays them.
 */
static void pick_ksm_op(struct sthread *t, struct mmt_op *op)
{
	unsigned r = rnd(t, 100);

	if (t->ksm_run2) {
		/* ksmd stays idle at run = 2: start it again at once */
		t->ksm_run2 = false;
		op->code = OP_KSM_RUN;
		op->addr = 1;
		return;
	}
	if (rnd(t, 100) < 60)
		op->proc = KSM_SLOT;
	op->addr = KSM_START + rnd(t, KSM_PAGES);
	op->len = 1;
	if (r < 8) {
		op->code = OP_MMAP;
		op->addr = KSM_START;
		op->len = KSM_PAGES;
		op->prot = MPROT_RW;
		op->mflags = MFL_PRIVATE | MFL_ANON;
	} else if (r < 28) {
		op->code = OP_MADVISE;
		op->addr = KSM_START;
		op->len = KSM_PAGES;
		op->advice = advice_index(MADV_MERGEABLE);
	} else if (r < 68) {
		op->code = OP_WRITE;
		op->value = 1 + rnd(t, 2);
	} else if (r < 83) {
		op->code = OP_READ;
	} else if (r < 96) {
		op->code = OP_MIGRATE;
		op->node = (int32_t)rnd(t, 2);
		op->all = rnd(t, 100) < 70;
	} else if (rnd(t, KSM_KNOB_ONE_IN)) {
		op->code = OP_MADVISE;
		op->advice = advice_index(MADV_UNMERGEABLE);
	} else if (rnd(t, 2)) {
		/* run = 2 unmerges everything; this thread's next zone op is run = 1 */
		op->code = OP_KSM_RUN;
		op->addr = 2;
		t->ksm_run2 = true;
	} else {
		/* EBUSY while anything is shared, as the sysfs knob is */
		op->code = OP_KSM_MERGE_ACROSS_NODES;
		op->addr = rnd(t, 2);
	}
}

/* a random op for a worker (the generator's weights, and ksmd's zone) */
static void pick_op(struct sthread *t, struct mmt_op *op)
{
	static const unsigned w[] = { 22, 22, 10, 3, 5, 3, 9, 8, 3, 2, 2, 2, 2, 3 };
	enum { K_READ, K_WRITE, K_MMAP, K_MUNMAP, K_MPROTECT, K_MREMAP, K_MADVISE,
	       K_MIGRATE, K_FORK, K_EXIT, K_SPAWN, K_RECLAIM, K_KSM, K_UFFD, NK };
	unsigned total = 0, r, k;

	for (k = 0; k < NK; k++)
		total += w[k];
	r = rnd(t, total);
	for (k = 0; k < NK && r >= w[k]; k++)
		r -= w[k];
	memset(op, 0, sizeof(*op));
	op->expect = -1;
	op->task = (uint8_t)t->id;
	op->proc = (uint8_t)rnd(t, NSLOTS);
	op->addr = WIN_START + (rnd(t, 8) ? rnd(t, WIN_PAGES) : 0);
	switch (k) {
	case K_READ:
		op->code = OP_READ;
		break;
	case K_WRITE:
		op->code = OP_WRITE;
		/* a quarter of one of four values: equal pages for ksmd to merge */
		op->value = rnd(t, 100) < 25 ? 1 + rnd(t, 4) : 1 + rnd(t, 0xffff);
		break;
	case K_MMAP: {
		unsigned f = rnd(t, 100);

		op->code = OP_MMAP;
		op->len = win_len(t, op->addr);
		op->prot = rnd(t, 100) < 70 ? MPROT_RW : MPROT_R;
		op->mflags = f < 60 ? MFL_PRIVATE | MFL_ANON : f < 75 ? MFL_SHARED | MFL_ANON :
			     f < 90 ? MFL_PRIVATE : MFL_SHARED;
		if (f < 15) {
			/* one fresh VMA over the window: a huge pmd's range */
			op->addr = WIN_START;
			op->len = WIN_PAGES;
			op->prot = MPROT_RW;
		}
		break;
	}
	case K_MUNMAP:
		op->code = OP_MUNMAP;
		op->len = win_len(t, op->addr);
		break;
	case K_MPROTECT:
		op->code = OP_MPROTECT;
		op->len = win_len(t, op->addr);
		op->prot = rnd(t, 100) < 50 ? MPROT_R : rnd(t, 100) < 80 ? MPROT_RW : MPROT_NONE;
		break;
	case K_MREMAP:
		if (rnd(t, 100) < 25) {
			/* remap_file_pages: a memfd offset near the address, or a shmem one */
			op->code = OP_REMAP_FILE_PAGES;
			op->len = win_len(t, op->addr);
			op->addr2 = rnd(t, 100) < 60 ? op->addr + rnd(t, 8) - 4 : rnd(t, 4);
			break;
		}
		op->code = OP_MREMAP;
		op->len = win_len(t, op->addr);
		op->addr2 = WIN_START + rnd(t, WIN_PAGES);
		op->len2 = win_len(t, op->addr2);
		break;
	case K_MADVISE:
		op->code = OP_MADVISE;
		op->len = win_len(t, op->addr);
		op->advice = (uint8_t)rnd(t, sizeof(advice_pick) / sizeof(advice_pick[0]));
		if (!rnd(t, 6)) {
			/*
			 * the whole window: emptied, or made VM_HUGEPAGE in one
			 * VMA, so that the next fault there may map a huge pmd
			 */
			op->addr = WIN_START;
			op->len = WIN_PAGES;
			op->advice = advice_index(rnd(t, 2) ? MADV_DONTNEED : MADV_HUGEPAGE);
		}
		break;
	case K_MIGRATE:
		op->code = OP_MIGRATE;
		op->len = win_len(t, op->addr);
		op->node = (int32_t)rnd(t, 2);
		op->all = rnd(t, 100) < 25;
		break;
	case K_FORK:
		op->code = OP_FORK;
		op->proc2 = (uint8_t)rnd(t, NSLOTS);
		if (op->proc2 == op->proc)
			op->proc2 = (uint8_t)((op->proc + 1) % NSLOTS);
		break;
	case K_EXIT:
		op->code = OP_EXIT;
		if (op->proc == KSM_SLOT && rnd(t, KSM_SLOT_LIFE))
			op->proc = (uint8_t)rnd(t, KSM_SLOT);
		break;
	case K_SPAWN:
		op->code = OP_SPAWN;
		break;
	case K_KSM:
		pick_ksm_op(t, op);
		break;
	case K_UFFD:
		/* UFFDIO_MOVE mostly, into what an earlier registration armed */
		op->code = rnd(t, 100) < 25 ? OP_UFFD_REGISTER : OP_UFFD_MOVE;
		op->len = 1 + rnd(t, 2);
		if (op->code == OP_UFFD_MOVE) {
			op->addr2 = WIN_START + rnd(t, WIN_PAGES - 2);
			op->all = rnd(t, 100) < 25;
		}
		break;
	case K_RECLAIM:
	default:
		op->code = OP_RECLAIM;
		op->addr = 1 + rnd(t, 16);
		break;
	}
}

/* run @op on the model; returns the outcome (enum mmt_outcome, -1 unknown errno) */
static int run_op(struct sthread *t, struct mmt_op *op)
{
	struct slot *s = &S.slot[op->proc % NSLOTS];
	long err = 0;
	bool access = false;

	switch (op->code) {
	case OP_SPAWN:
		down_write(&s->users);
		if (s->mm) {
			err = -EEXIST;
		} else {
			s->mm = mm_alloc();
			err = s->mm ? 0 : -ENOMEM;
		}
		up_write(&s->users);
		return mmt_errno_outcome(err, false);
	case OP_EXIT:
		down_write(&s->users);
		if (!s->mm) {
			err = -ENOENT;
		} else {
			mmput(s->mm);
			s->mm = NULL;
		}
		up_write(&s->users);
		return mmt_errno_outcome(err, false);
	case OP_FORK: {
		struct slot *d = &S.slot[op->proc2 % NSLOTS];
		bool parent_first = op->proc < op->proc2;

		if (parent_first)
			down_read(&s->users);
		down_write(&d->users);
		if (!parent_first)
			down_read(&s->users);
		if (!s->mm) {
			err = -ENOENT;
		} else if (d->mm) {
			err = -EEXIST;
		} else {
			struct mm_struct *child = NULL;

			err = dup_mm(s->mm, &child);
			d->mm = err ? NULL : child;
		}
		up_read(&s->users);
		up_write(&d->users);
		return mmt_errno_outcome(err, false);
	}
	case OP_RECLAIM:
		reclaim_pages_global(op->addr);
		return OUT_OK;
	case OP_KSWAPD:
		kswapd_run(op->addr);
		return OUT_OK;
	case OP_PAGE_IDLE:
		page_idle_scan(op->addr);
		return OUT_OK;
	case OP_KCOMPACTD:
		err = kcompactd_run(op->node, op->addr);
		return mmt_errno_outcome(err > 0 ? 0 : err, false);
	case OP_KSMD:
		ksmd_run(op->addr);
		return OUT_OK;
	case OP_KHUGEPAGED:
		khugepaged_run(op->addr);
		return OUT_OK;
	case OP_KSM_RUN:
		return mmt_errno_outcome(ksm_set_run((int)op->addr), false);
	case OP_KSM_MERGE_ACROSS_NODES:
		return mmt_errno_outcome(ksm_set_merge_across_nodes((int)op->addr), false);
	default:
		break;
	}

	down_read(&s->users);
	if (!s->mm) {
		up_read(&s->users);
		return OUT_ENOENT;
	}
	switch (op->code) {
	case OP_MMAP:
		err = do_mmap(s->mm, op->addr, op->len, prot_of(op->prot), mflags_of(op->mflags));
		break;
	case OP_MUNMAP:
		err = do_munmap(s->mm, op->addr, op->len);
		break;
	case OP_MPROTECT:
		err = do_mprotect(s->mm, op->addr, op->len, prot_of(op->prot));
		break;
	case OP_MREMAP:
		err = do_mremap(s->mm, op->addr, op->len, op->addr2, op->len2);
		break;
	case OP_MADVISE:
		/* op->advice holds the index into the tables above until logged */
		err = do_madvise(s->mm, op->addr, op->len, advice_pick[op->advice]);
		break;
	case OP_READ: {
		uint64_t v;

		access = true;
		err = mmt_access(s->mm, op->addr, false, &v);
		break;
	}
	case OP_WRITE: {
		uint64_t v = op->value;

		access = true;
		err = mmt_access(s->mm, op->addr, true, &v);
		break;
	}
	case OP_MIGRATE:
		err = do_move_pages(s->mm, op->addr, op->len, op->node, op->all, t->status);
		if (err > 0)
			err = 0;
		break;
	case OP_DEVICE_MIGRATE:
		err = dmirror_migrate_to_device(s->mm, op->addr, op->len);
		break;
	case OP_DEVICE_RELEASE:
		err = dmirror_migrate_to_system(s->mm, op->addr, op->len);
		break;
	case OP_UFFD_REGISTER:
		err = userfaultfd_register(s->mm, op->addr, op->len);
		break;
	case OP_REMAP_FILE_PAGES:
		err = sys_remap_file_pages(s->mm, op->addr, op->len, op->addr2);
		break;
	case OP_UFFD_MOVE: {
		uint64_t moved;

		err = userfaultfd_move(s->mm, op->addr, op->addr2, op->len,
				       op->all ? UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES : 0, &moved);
		break;
	}
	default:
		break;
	}
	up_read(&s->users);
	return mmt_errno_outcome(err, access);
}

static struct logent *log_begin(struct sthread *t, const struct mmt_op *op)
{
	struct logent *e = &t->ring[t->nlog % RING];

	e->op = *op;
	if (op->code == OP_MADVISE)
		e->op.advice = advice_mmt[op->advice];
	e->seq = atomic_fetch_add_explicit(&S.seq, 1, memory_order_relaxed);
	e->out = -2;
	t->nlog++;
	return e;
}

static void *thread_fn(void *arg)
{
	struct sthread *t = arg;
	int node = 0;
	unsigned pass = 0;

	while (!atomic_load_explicit(&S.quit, memory_order_acquire)) {
		struct mmt_op op;
		struct logent *e;

		maybe_park();
		if (atomic_load(&S.quit))
			break;
		if (t->kind == T_WORKER) {
			pick_op(t, &op);
		} else if (t->kind == T_DEVICE) {
			/*
			 * The driver: a random range of a random process goes to
			 * the device (two passes in three) or comes back.
			 */
			memset(&op, 0, sizeof(op));
			op.expect = -1;
			op.task = (uint8_t)t->id;
			op.code = rnd(t, 3) ? OP_DEVICE_MIGRATE : OP_DEVICE_RELEASE;
			op.proc = (uint8_t)rnd(t, NSLOTS);
			op.addr = WIN_START + rnd(t, WIN_PAGES);
			op.len = win_len(t, op.addr);
		} else {
			memset(&op, 0, sizeof(op));
			op.expect = -1;
			op.task = (uint8_t)t->id;
			/*
			 * ksmd scans a whole pass at a time (it ends a call at
			 * the end of a pass): the workers rewrite their pages
			 * far faster than a kernel's, and a page is merged only
			 * if it held still for one pass
			 */
			op.addr = t->kind == T_KSMD ? KSMD_BATCH : DAEMON_BATCH;
			op.code = t->kind == T_KSWAPD ? OP_KSWAPD :
				  t->kind == T_KCOMPACTD ? OP_KCOMPACTD : OP_KSMD;
			/* the frame walkers take turns: kcompactd, page_idle */
			if (t->kind == T_KCOMPACTD && (pass++ & 1))
				op.code = OP_PAGE_IDLE;
			/* so do the mm_slot scanners: ksmd, khugepaged */
			if (t->kind == T_KSMD && (pass++ & 1)) {
				op.code = OP_KHUGEPAGED;
				op.addr = DAEMON_BATCH * 4;
			}
			op.node = node;
			node = (node + 1) % 2;
		}
		e = log_begin(t, &op);
		kp_set_context(op_context, e);
		e->out = run_op(t, &op);
		if (kp_nr_held()) {
			char what[160];

			/* caught here, not at the next lock this thread takes */
			op_context(what, sizeof(what), e);
			lockorder_note("'%s' returned holding %d lock%s", what, kp_nr_held(),
				       kp_nr_held() == 1 ? "" : "s");
		}
		kp_set_context(NULL, NULL);
		atomic_fetch_add_explicit(&t->ops, 1, memory_order_relaxed);
		if (t->kind != T_WORKER) {
			/* a daemon sleeps between passes, as kswapd waits for pressure */
			struct timespec ts = { 0, 200 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* ------------------------------------------------------- reproduction */

static int cmp_seq(const void *a, const void *b)
{
	const struct logent *x = *(const struct logent *const *)a;
	const struct logent *y = *(const struct logent *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* the last @per ops of every thread, in start order */
static size_t collect(struct logent **v, unsigned per)
{
	size_t n = 0;

	for (int i = 0; i < S.nr_threads; i++) {
		struct sthread *t = &S.t[i];
		unsigned long have = t->nlog < RING ? t->nlog : RING;

		if (have > per)
			have = per;
		for (unsigned long k = t->nlog - have; k < t->nlog; k++)
			v[n++] = &t->ring[k % RING];
	}
	qsort(v, n, sizeof(*v), cmp_seq);
	return n;
}

/*
 * A program from the logs: a prologue (task 0) gives every slot the window
 * mapped and written if the logs use it before creating it; then the logged
 * ops, each in its thread's task, in start order, minus any that the static
 * process rules of the language reject.
 */
static int build_program(struct mmt_program *p, unsigned per)
{
	struct logent *v[MAX_THREADS * RING];
	bool live[NSLOTS] = { false }, used[NSLOTS] = { false }, born[NSLOTS] = { false };
	size_t n = collect(v, per);
	struct mmt_op op;
	char name[8];

	mmt_program_init(p);
	p->world.present = true;
	p->world.nodes = 2;
	p->world.frames = WORLD_FRAMES;
	p->world.swap = WORLD_SWAP;
	p->world.thp = 0x26;
	for (int i = 0; i < NSLOTS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		if (mmt_program_name(p, name) != i)
			return -1;
	}
	/* which slots exist before their first logged op */
	for (size_t i = 0; i < n; i++) {
		const struct mmt_op *o = &v[i]->op;

		if (o->code == OP_RECLAIM || o->code == OP_KSWAPD || o->code == OP_KCOMPACTD ||
		    o->code == OP_PAGE_IDLE || o->code == OP_KSMD || o->code == OP_KHUGEPAGED)
			continue;
		if (!used[o->proc] && o->code != OP_SPAWN)
			born[o->proc] = true;	/* it existed already */
		used[o->proc] = true;
		if (o->code == OP_FORK && !used[o->proc2]) {
			used[o->proc2] = true;	/* created here if it was free */
		}
	}
	for (int s = 0; s < NSLOTS; s++) {
		if (!born[s])
			continue;
		memset(&op, 0, sizeof(op));
		op.expect = -1;
		op.code = OP_SPAWN;
		op.proc = (uint8_t)s;
		if (mmt_program_add(p, &op))
			return -1;
		op.code = OP_MMAP;
		op.addr = WIN_START;
		op.len = WIN_PAGES;
		op.prot = MPROT_RW;
		op.mflags = MFL_PRIVATE | MFL_ANON;
		if (mmt_program_add(p, &op))
			return -1;
		for (uint64_t a = 0; a < WIN_PAGES; a += 4) {
			memset(&op, 0, sizeof(op));
			op.expect = -1;
			op.code = OP_WRITE;
			op.proc = (uint8_t)s;
			op.addr = WIN_START + a;
			op.value = 0x1000 + a;
			if (mmt_program_add(p, &op))
				return -1;
		}
		live[s] = true;
	}
	for (size_t i = 0; i < n; i++) {
		op = v[i]->op;
		op.expect = -1;
		op.has_expect_value = false;
		op.line = 0;
		switch (op.code) {
		case OP_RECLAIM:
		case OP_KSWAPD:
		case OP_KCOMPACTD:
		case OP_PAGE_IDLE:
		case OP_KSMD:
		case OP_KHUGEPAGED:
			break;
		case OP_SPAWN:
			if (live[op.proc])
				continue;
			live[op.proc] = true;
			break;
		case OP_FORK:
			if (!live[op.proc] || live[op.proc2])
				continue;
			live[op.proc2] = true;
			break;
		case OP_EXIT:
			if (!live[op.proc])
				continue;
			live[op.proc] = false;
			break;
		default:
			if (!live[op.proc])
				continue;
			break;
		}
		if (mmt_program_add(p, &op))
			return -1;
	}
	return 0;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static int save_text(const char *path, const char *header, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	if (header)
		fputs(header, f);
	fputs(text, f);
	return fclose(f);
}

/*
 * Does a run that found @got reproduce what stress found, @want?  The same
 * invariant; or, for a lock-order report, whose cause the world's check
 * may have missed (see the top), the state violation the executor's
 * after-every-op checks stop at first.
 */
static bool reproduces(enum mmt_invariant want, enum mmt_invariant got)
{
	return got == want || (want == INV_LOCKORDER && got != INV_DEADLOCK);
}

/*
 * Run the log program under PCT until @inv fires (reproduces()).  Returns
 * true with @path written (program + schedule) if it did, and in @got what
 * fired.
 */
static bool reproduce(const struct stress_opts *o, enum mmt_invariant inv, char *path,
		      size_t pathlen, unsigned *runs, enum mmt_invariant *got)
{
	static const unsigned windows[] = { 4, 8, 16, 32 };
	unsigned budget = o->trials, used = 0;
	bool found = false;

	for (unsigned w = 0; w < 4 && !found && used < budget; w++) {
		struct mmt_program p;
		struct mmt_exec_opts eo;
		struct mmt_exec_result r;
		unsigned long est;
		uint64_t h;
		char *text;
		unsigned share = (budget - used) / (4 - w);
		int ntasks = 1;

		if (build_program(&p, windows[w])) {
			mmt_program_free(&p);
			break;
		}
		for (size_t i = 0; i < p.nr_ops; i++)
			if (p.ops[i].task + 1 > ntasks)
				ntasks = p.ops[i].task + 1;
		text = mmt_print_string(&p);
		h = (text ? fnv(text) : 0) ^ o->seed;
		free(text);
		mmt_exec_opts_default(&eo);
		eo.inject = o->inject;
		eo.teardown = true;
		/* the default interleaving first: it gives PCT its step count */
		mmt_exec(&p, &eo, &r);
		used++;
		est = r.nr_schedule ? r.nr_schedule : 1;
		for (unsigned k = 0; k < share && used <= budget; k++) {
			struct mmt_decider_pct pct;

			if (k) {
				mmt_exec_result_free(&r);
				mmt_decider_pct_init(&pct, h + k, ntasks, 2 + (int)(k % 3), est);
				eo.decider = &pct.d;
				mmt_exec(&p, &eo, &r);
				used++;
			}
			if (r.status == EXEC_VIOLATION && reproduces(inv, r.violation.inv)) {
				struct mmt_program q;
				char hdr[512];

				found = true;
				mmt_program_init(&q);
				if (mmt_program_copy(&q, &p) == 0 && ntasks > 1) {
					free(q.schedule);
					q.schedule = malloc(r.nr_schedule ? r.nr_schedule : 1);
					if (q.schedule) {
						memcpy(q.schedule, r.schedule, r.nr_schedule);
						q.nr_schedule = r.nr_schedule;
						q.has_schedule = true;
					}
				}
				text = mmt_print_string(&q);
				*got = r.violation.inv;
				snprintf(path, pathlen, "%s/stress-%s-%" PRIu64 ".mmt", o->out_dir,
					 mmt_invariant_name(*got), o->seed);
				snprintf(hdr, sizeof(hdr), "# mmtorture stress --seed %" PRIu64
					 " --threads %d: reproduced under the sched backend (last %u "
					 "ops per thread, %u runs)\n# %s\n", o->seed, o->threads,
					 windows[w], used, r.msg);
				if (!text || save_text(path, hdr, text))
					found = false;
				free(text);
				mmt_program_free(&q);
				break;
			}
		}
		mmt_exec_result_free(&r);
		mmt_program_free(&p);
	}
	*runs = used;
	return found;
}

static void write_logs(const struct stress_opts *o, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/stress-%" PRIu64 "-ops.log", o->out_dir, o->seed);
	f = fopen(path, "w");
	if (!f) {
		path[0] = '\0';
		return;
	}
	for (int i = 0; i < S.nr_threads; i++) {
		struct sthread *t = &S.t[i];
		unsigned long have = t->nlog < RING ? t->nlog : RING;
		struct mmt_program names;
		char name[8];

		mmt_program_init(&names);
		for (int s = 0; s < NSLOTS; s++) {
			snprintf(name, sizeof(name), "p%d", s);
			mmt_program_name(&names, name);
		}
		fprintf(f, "# thread %d (%s), %lu ops, last %lu:\n", i,
			kind_name[t->kind], t->nlog, have);
		for (unsigned long k = t->nlog - have; k < t->nlog; k++) {
			const struct logent *e = &t->ring[k % RING];
			char buf[256];

			if (mmt_print_op(buf, sizeof(buf), &names, &e->op) < 0)
				snprintf(buf, sizeof(buf), "(op %d)", e->op.code);
			fprintf(f, "%8" PRIu64 " %s -> %s\n", e->seq, buf,
				e->out == -2 ? "(running)" : e->out < 0 ? "(errno?)" :
				mmt_outcome_name(e->out));
		}
		mmt_program_free(&names);
	}
	fclose(f);
}

/* --------------------------------------------------------------- driver */

void stress_opts_default(struct stress_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threads = 2;
	o->seconds = 10;
	o->daemons = true;
	o->trials = 3000;
	o->out_dir = "findings";
	o->progress = true;
}

static unsigned long long total_ops(void)
{
	unsigned long long n = 0;

	for (int i = 0; i < S.nr_threads; i++)
		n += atomic_load_explicit(&S.t[i].ops, memory_order_relaxed);
	return n;
}

static void teardown_world(void)
{
	for (int s = 0; s < NSLOTS; s++) {
		if (S.slot[s].mm) {
			mmput(S.slot[s].mm);
			S.slot[s].mm = NULL;
		}
	}
	/* ksmd and khugepaged let go of the exited mms, as on their next passes */
	ksmd_reap();
	khugepaged_reap();
	if (sys_swapoff(0))
		mmt_violation(INV_SWAPMAP, "stress teardown", "swapoff of device 0 failed");
	if (!mmt_report.count)
		check_world_empty();
}

/*
 * A lock-order report held back (see the top) goes into the report now,
 * after the world has been checked: first if nothing else was found, as a
 * consequence otherwise (returns true then).
 */
static const char *lockorder_text;

static bool settle_lockorder(void)
{
	double deadline = now() + 1.0;

	if (!atomic_load_explicit(&S.nlockorder, memory_order_acquire))
		return false;
	/* the thread that won the slot may still be writing it (it takes no lock) */
	while (atomic_load_explicit(&S.lockorder, memory_order_acquire) != 2 && now() < deadline)
		sched_yield();
	lockorder_text = atomic_load_explicit(&S.lockorder, memory_order_acquire) == 2 ?
			 S.lo_msg : "(its text was never finished)";
	if (__atomic_load_n(&mmt_report.count, __ATOMIC_ACQUIRE))
		return true;
	mmt_violation(INV_LOCKORDER, "stress thread", "%s", lockorder_text);
	return false;
}

int stress_run(const struct stress_opts *o, struct stress_result *r)
{
	struct world_config cfg;
	struct world *w;
	double t0, last = 0, next_check, period, t;
	bool tty = o->out && isatty(fileno(o->out));
	bool clean, secondary;
	int nworkers = o->threads;

	memset(r, 0, sizeof(*r));
	memset(&S, 0, sizeof(S));
	S.o = o;
	if (nworkers < 1)
		nworkers = 1;
	if (nworkers > STRESS_MAX_WORKERS)
		nworkers = STRESS_MAX_WORKERS;
	S.nr_threads = nworkers + (o->daemons ? 4 : 0);
	period = o->check_every > 0 ? o->check_every : o->seconds / 10;
	if (period < 0.01)
		period = 0.01;

	world_config_default(&cfg);
	cfg.nodes = 2;
	cfg.frames = WORLD_FRAMES;
	cfg.swap = WORLD_SWAP;
	/*
	 * mTHP orders 1 and 2 where MADV_HUGEPAGE says so, as the generator's
	 * worlds, and the PMD-sized THP: a fault in the empty window maps it
	 */
	cfg.thp_orders = 0x26;
	w = world_create(&cfg);
	if (!w) {
		fprintf(o->out, "stress: cannot build the world\n");
		return 1;
	}
	mmt_program_free(&names);
	mmt_program_init(&names);
	for (int s = 0; s < NSLOTS; s++) {
		char nm[8];

		snprintf(nm, sizeof(nm), "p%d", s);
		mmt_program_name(&names, nm);
	}
	mmt_report_reset();
	mmt_injected_mask = o->inject;
	kp_set_lockorder_report(lockorder_cb);
	kp_set_abort_hook(stress_abort_hook);
	if (sys_swapon(0, WORLD_SWAP)) {
		fprintf(o->out, "stress: swapon failed\n");
		world_destroy(w);
		return 1;
	}
	for (int s = 0; s < NSLOTS; s++)
		init_rwsem(&S.slot[s].users, LC_NONE);
	pthread_mutex_init(&S.park_m, NULL);
	pthread_cond_init(&S.park_c, NULL);
	pthread_cond_init(&S.main_c, NULL);
	pthread_cond_init(&S.never_c, NULL);
	/* p0 exists from the start, like a program's first spawn */
	S.slot[0].mm = mm_alloc();

	for (int i = 0; i < S.nr_threads; i++) {
		struct sthread *th = &S.t[i];

		th->id = i;
		th->kind = i < nworkers ? T_WORKER : i == nworkers ? T_KSWAPD :
			   i == nworkers + 1 ? T_KCOMPACTD : i == nworkers + 2 ? T_DEVICE : T_KSMD;
		th->rng = o->seed * 0x9e3779b97f4a7c15ull + (uint64_t)i * 0x632be59bd9b4e019ull + 1;
		if (pthread_create(&th->th, NULL, thread_fn, th)) {
			fprintf(o->out, "stress: pthread_create failed\n");
			abort();
		}
	}
	fprintf(o->out, "stress: seed %" PRIu64 ", %d worker%s%s, %.1fs, check every %.2fs%s\n",
		o->seed, nworkers, nworkers == 1 ? "" : "s", o->daemons ? " + kswapd + kcompactd + device driver + ksmd" : "",
		o->seconds, period, o->inject ? " (bugs injected)" : "");

	t0 = now();
	next_check = period;
	for (;;) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		t = now() - t0;
		if (stop_reported())
			break;
		if (o->progress && t - last >= 1.0) {
			unsigned long long n = total_ops();

			last = t;
			fprintf(o->out, "%sstress: %5.1fs  ops %llu  (%.0f/s)  checks %lu  violations %lu%s",
				tty ? "\r" : "", t, n, n / t, r->checks,
				(unsigned long)__atomic_load_n(&mmt_report.count, __ATOMIC_ACQUIRE),
				tty ? "" : "\n");
			fflush(o->out);
		}
		if (t >= o->seconds)
			break;
		if (t >= next_check) {
			if (stop_world(10.0, true)) {
				check_world();
				r->checks++;
			}
			if (!stop_reported())
				start_world();
			next_check += period;
		}
	}
	if (tty && o->progress)
		fputc('\n', o->out);

	/*
	 * The final check, at a last quiescent point; and with a lock-order
	 * report held back, the check that says whether it is secondary.
	 */
	clean = !stop_reported();
	if ((clean || !__atomic_load_n(&mmt_report.count, __ATOMIC_ACQUIRE)) &&
	    stop_world(clean ? 10.0 : 2.0, clean)) {
		check_world();
		r->checks++;
	}
	secondary = settle_lockorder();
	r->seconds = now() - t0;
	clean = !__atomic_load_n(&mmt_report.count, __ATOMIC_ACQUIRE);
	if (clean) {
		atomic_store(&S.quit, 1);
		start_world();
		for (int i = 0; i < S.nr_threads; i++)
			pthread_join(S.t[i].th, NULL);
		teardown_world();
		r->checks++;
		settle_lockorder();
		clean = !mmt_report.count;
	} else {
		/* park whoever can be parked; the others are stuck behind a dead thread */
		stop_world(2.0, false);
	}

	r->nr_threads = S.nr_threads;
	for (int i = 0; i < S.nr_threads; i++) {
		r->ops[i] = atomic_load(&S.t[i].ops);
		r->ops_total += r->ops[i];
	}
	r->violations = mmt_report.count;
	if (r->violations)
		r->first = mmt_report.first;
	r->ksm_merged = atomic_load(&w->ksm.stat_merged);
	r->ksm_stable_hits = atomic_load(&w->ksm.stat_stable_hits);
	for (int o = 1; o <= 5; o++)
		r->mthp_alloc[o] = atomic_load(&w->mthp_fault_alloc[o]);
	r->khugepaged_collapsed = w->khugepaged.pages_collapsed;	/* the threads have ended */

	fprintf(o->out, "stress: %.1fs, %llu ops (%.0f/s), %lu checks, %lu violation%s\n",
		r->seconds, r->ops_total, r->ops_total / r->seconds, r->checks, r->violations,
		r->violations == 1 ? "" : "s");
	for (int i = 0; i < S.nr_threads; i++)
		fprintf(o->out, "  thread %d %-9s %10llu ops  %9.0f ops/s\n", i,
			kind_name[S.t[i].kind], r->ops[i], r->ops[i] / r->seconds);
	fprintf(o->out, "  ksmd merged %lu pages, %lu of them onto stable-tree pages\n",
		r->ksm_merged, r->ksm_stable_hits);
	fprintf(o->out, "  faults allocated %lu order-1 and %lu order-2 folios (mTHP), %lu PMD THPs\n",
		r->mthp_alloc[1], r->mthp_alloc[2], r->mthp_alloc[5]);
	fprintf(o->out, "  khugepaged collapsed %lu ranges\n", r->khugepaged_collapsed);

	if (clean) {
		kp_set_abort_hook(NULL);
		for (int s = 0; s < NSLOTS; s++)
			destroy_rwsem(&S.slot[s].users);
		world_destroy(w);
		return 0;
	}

	fprintf(o->out, "stress: VIOLATION %s: %s: %s\n", mmt_invariant_name(r->first.inv),
		r->first.object, r->first.msg);
	if (secondary)
		fprintf(o->out, "stress: and a lock-order report, secondary: %s\n", lockorder_text);
	if (mkdir(o->out_dir, 0777) && errno != EEXIST)
		fprintf(o->out, "stress: cannot create %s: %s\n", o->out_dir, strerror(errno));
	write_logs(o, r->log_path, sizeof(r->log_path));
	if (r->log_path[0])
		fprintf(o->out, "stress: every thread's recent ops: %s\n", r->log_path);
	{
		enum mmt_invariant got = r->first.inv;
		unsigned runs = 0;

		/* the executor builds its own world from here on; the threads stay parked */
		r->reproduced = reproduce(o, r->first.inv, r->repro_path, sizeof(r->repro_path),
					  &runs, &got);
		if (r->reproduced && got != r->first.inv)
			fprintf(o->out, "stress: reproduced under the deterministic scheduler in %u "
				"runs as %s, the state violation behind the lock-order report: %s\n",
				runs, mmt_invariant_name(got), r->repro_path);
		else if (r->reproduced)
			fprintf(o->out, "stress: reproduced under the deterministic scheduler in %u "
				"runs: %s\n", runs, r->repro_path);
		else
			fprintf(o->out, "stress: not reproduced under the deterministic scheduler "
				"within %u runs (the logs may not reach back far enough)\n", runs);
	}
	return 1;
}

/* ----------------------------------------------------------- command */

static const char stress_usage[] =
	"usage: mmtorture stress [--threads N] [--time SECONDS] [--seed N] [--inject NAME[,NAME]]\n"
	"                        [--no-daemons] [--check-every SECONDS] [--trials N] [--out DIR]\n"
	"                        [--quiet]\n";

static const char stress_help[] =
	"\n"
	"The model on real threads: N workers run random ops on 4 shared processes, with\n"
	"kswapd, kcompactd, device-driver and ksmd threads; the world is stopped and\n"
	"checked every check period,\n"
	"and lock order is checked on every acquisition.  On a violation every thread's\n"
	"recent ops go to DIR, and a .mmt reproducer is searched for under the\n"
	"deterministic scheduler.\n"
	"\n"
	"  --threads N          workers, 1..6 (default 2)\n"
	"  --time S             seconds (default 10)\n"
	"  --seed N             default: from the clock\n"
	"  --inject NAME        bug-zoo entries to switch on (mmtorture inject --list)\n"
	"  --no-daemons         no kswapd, kcompactd, device driver and ksmd threads\n"
	"  --check-every S      seconds between stop-the-world checks (default --time / 10)\n"
	"  --trials N           runs spent on finding a reproducer (default 3000)\n"
	"  --out DIR            logs and reproducers (default findings)\n"
	"  --quiet              no progress line\n"
	"\n"
	"exit status: 0 clean, 1 a violation, 2 usage error\n";

static int usage(const char *msg, const char *arg)
{
	fprintf(stderr, "mmtorture stress: ");
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\n%s", stress_usage);
	return 2;
}

static int num_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int num_sec(const char *s, double *v)
{
	char *end;

	if (!s || !*s)
		return -1;
	*v = strtod(s, &end);
	return *end || !(*v > 0) || *v > 1e7 ? -1 : 0;
}

int stress_main(int argc, char **argv)
{
	struct stress_opts o;
	struct stress_result r;
	uint64_t v;
	bool seeded = false;

	stress_opts_default(&o);
	o.out = stderr;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-daemons")) {
			o.daemons = false;
			continue;
		}
		if (!strcmp(a, "--quiet")) {
			o.progress = false;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(stress_usage, stdout);
			fputs(stress_help, stdout);
			return 0;
		}
		if (!val)
			return usage("'%s' needs a value (or is unknown)", a);
		i++;
		if (!strcmp(a, "--threads")) {
			if (num_u64(val, &v) || v < 1 || v > STRESS_MAX_WORKERS)
				return usage("--threads: 1..6, got '%s'", val);
			o.threads = (int)v;
		} else if (!strcmp(a, "--time")) {
			if (num_sec(val, &o.seconds))
				return usage("--time: bad number of seconds '%s'", val);
		} else if (!strcmp(a, "--seed")) {
			if (num_u64(val, &o.seed))
				return usage("--seed: bad number '%s'", val);
			seeded = true;
		} else if (!strcmp(a, "--inject")) {
			char bad[64];

			if (mmt_inject_parse(val, &o.inject, bad, sizeof(bad)))
				return usage("unknown bug '%s' (see mmtorture inject --list)", bad);
		} else if (!strcmp(a, "--check-every")) {
			if (num_sec(val, &o.check_every))
				return usage("--check-every: bad number of seconds '%s'", val);
		} else if (!strcmp(a, "--trials")) {
			if (num_u64(val, &v) || v > 10000000)
				return usage("--trials: bad count '%s'", val);
			o.trials = (unsigned)v;
		} else if (!strcmp(a, "--out")) {
			if (!*val)
				return usage("%s needs a directory", a);
			o.out_dir = val;
		} else {
			return usage("unknown option '%s'", a);
		}
	}
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		o.seed = ((uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec) % 1000000000000ull;
	}
	return stress_run(&o, &r);
}
