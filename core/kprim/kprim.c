// SPDX-License-Identifier: MIT
/*
 * kprim.c - the kernel-primitive layer: locks, bit locks, yield points, the
 * deterministic fiber scheduler and a small lock-order checker.
 *
 * Every primitive first asks "who is running?": kp_cur is the fiber of the
 * scheduler run on this OS thread, NULL outside one.  NULL means the pthread
 * backend and the per-thread pseudo task kp_self, whose address is the owner
 * token and whose stack of held locks feeds the lock-order checker.  So one
 * object file serves both backends and a thread may run sched runs and plain
 * code in turn, as the executor does (setup and checking outside the run).
 *
 * Scheduler (KP_SCHED).  Tasks are ucontext fibers on the calling thread.  A
 * task only gives up the CPU at a decision point: every lock acquisition
 * (trylocks included), kp_bit_wait(), cond_resched() and kp_other_cpus(),
 * plus task start and task exit.  At a decision point the task records what
 * it waits for (the wait triple below) and the scheduler picks among the
 * tasks whose wait is satisfiable *now*.  A blocked task is thus never
 * resumed into a lock it cannot take, so it takes it without a second
 * decision; releases are not decision points and wake nobody explicitly, a
 * waiter simply becomes eligible again because runnability is recomputed at
 * every decision from the lock words.  The pthread objects inside the locks
 * are never touched in this mode: only kp_lockinfo.owner/readers and the bit
 * words, so nothing can block the OS thread.  Decisions depend on nothing but those states and the
 * decider's answers, hence replay is exact.
 *
 * Who calls the decider.  Normally the task at the decision point calls it on
 * its own stack and switches straight to the chosen task (one swapcontext,
 * none when it picks itself).  Under TSan every decision instead goes through
 * the scheduler's own context (KP_VIA_MAIN): fibers are switched with
 * __tsan_switch_to_fiber_no_sync so TSan keeps reporting races between tasks
 * that are not ordered by a lock (a task taking a lock does its own acquire
 * loads of the lock word, which is what orders it after the releaser), and
 * the decider's state, guarded by no lock, must then be touched by one fiber
 * only.  Switches *to* the scheduler context do synchronise, so the caller
 * sees everything the tasks did once the run returns, even an aborted one.
 * Scheduler state crossing fibers is atomic for the same reason.
 *
 * In pthread mode cond_resched() yields the CPU on every 64th call: cheap,
 * yet stress threads on two cores do get preempted mid-operation.
 *
 * kp_abort() and deadlocks abandon the run: the remaining fibers are never
 * resumed, locks they hold stay marked held and their stacks are reused by
 * the next run on this thread.  The caller resets the world.
 *
 * Lock order (lockdep-lite).  On each acquisition of class C, every held lock
 * of a higher class, or of C itself unless the acquisition is a _nested one,
 * is reported.  Trylocks are never reported: they cannot deadlock, and the
 * kernel's lockdep skips them the same way (madvise pageout trylocks folios
 * under the ptl; migration trylocks the new folio under the old one's lock).
 * A lock is expected to be released by the task that took it; releasing one
 * that the releasing task does not hold leaves its holder's record alone.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mmt/kprim.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#if defined(__SANITIZE_ADDRESS__)
#define KP_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define KP_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(KP_ASAN)
#define KP_ASAN 1
#endif
#if __has_feature(thread_sanitizer) && !defined(KP_TSAN)
#define KP_TSAN 1
#endif
#endif

#ifdef KP_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
				     size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif
#ifdef KP_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#define KP_TSAN_NO_SYNC 1u	/* __tsan_switch_to_fiber_no_sync */
#endif

#ifndef KP_VIA_MAIN
#ifdef KP_TSAN
#define KP_VIA_MAIN 1
#else
#define KP_VIA_MAIN 0
#endif
#endif

#define KP_STACK_SIZE	(256u << 10)
#define RLX		memory_order_relaxed

/* What a task at a decision point needs before it can go on. */
enum { W_NONE, W_EXCL, W_READ, W_WRITE, W_BIT };

enum kp_how { H_PLAIN, H_NESTED, H_TRY };

struct kp_fiber {
	ucontext_t ctx;
	void *stack;		/* lowest address, as ASan wants it */
	size_t stack_size;
	void *asan_fake;
	void *tsan;
};

struct kp_task {
	int id;
	kp_ctx_fmt ctx_fmt;	/* kp_set_context() */
	const void *ctx_arg;
	int nheld;
	struct kp_held held[KP_MAX_HELD];
	kp_task_fn fn;
	void *arg;
	atomic_int done;
	atomic_int wkind;
	void *_Atomic wobj;	/* kp_lockinfo, or the bit lock's word */
	_Atomic unsigned long wmask;
	struct kp_fiber fib;
};

struct kp_sched {
	int nr;
	bool running;
	bool main_known;	/* ASan: main's stack bounds recorded this run */
	struct kp_decider *d;
	unsigned long nr_decisions;
	atomic_int result;
	atomic_int final;	/* a fiber ended the run; main must not decide */
	atomic_int from;	/* KP_VIA_MAIN: who handed back, -1 if it exited */
	struct kp_fiber main;
	struct kp_task t[KP_MAX_TASKS];
};

static _Thread_local struct kp_task kp_self;
static _Thread_local struct kp_task *_Atomic kp_cur;
static _Thread_local struct kp_sched *kp_sch;

static _Atomic kp_lockorder_cb kp_report_cb;
static atomic_uint kp_report_seq;

static const char *const kp_class_names[LC_NR] = {
	[LC_NONE] = "none",
	[LC_KSM_THREAD] = "ksm_thread_mutex",
	[LC_KHUGEPAGED_THREAD] = "khugepaged_thread",
	[LC_MMAP_LOCK] = "mmap_lock",
	[LC_FOLIO_LOCK] = "folio_lock",
	[LC_I_MMAP] = "i_mmap_rwsem",
	[LC_ANON_VMA] = "anon_vma_rwsem",
	[LC_PAGE_TABLE_LOCK] = "page_table_lock",
	[LC_PTL] = "ptl",
	[LC_SWAP_LOCK] = "swap_lock",
	[LC_SWAP_INFO] = "swap_info_lock",
	[LC_SWAP_CACHE] = "swap_cache_lock",
	[LC_MMLIST] = "mmlist_lock",
	[LC_KSM_MMLIST] = "ksm_mmlist_lock",
	[LC_KHUGEPAGED_MM] = "khugepaged_mm_lock",
	[LC_LRU] = "lru_lock",
	[LC_SPLIT_QUEUE] = "split_queue_lock",
	[LC_ZONE] = "zone_lock",
	[LC_POOL] = "pool_lock",
	[LC_GUP_PINS] = "gup_pin_lock",
};

const char *kp_lock_class_name(enum kp_lock_class c)
{
	return (unsigned)c < LC_NR ? kp_class_names[c] : "?";
}

static inline struct kp_task *cur_task(void)
{
	struct kp_task *t = atomic_load_explicit(&kp_cur, RLX);

	return t ? t : &kp_self;
}

static inline bool is_fiber(const struct kp_task *t)
{
	return t != &kp_self;
}

int kp_current_id(void)
{
	struct kp_task *t = atomic_load_explicit(&kp_cur, RLX);

	return t ? t->id : 0;
}

bool kp_in_sched(void)
{
	return atomic_load_explicit(&kp_cur, RLX) != NULL;
}

/* ------------------------------------------------------------ lock order */

void kp_set_lockorder_report(kp_lockorder_cb cb)
{
	atomic_store(&kp_report_cb, cb);
}

int kp_nr_held(void)
{
	return cur_task()->nheld;
}

const void *kp_task_wait_obj(int id, bool *write)
{
	struct kp_sched *s = kp_sch;
	const struct kp_task *t;

	*write = false;
	if (!s || id < 0 || id >= s->nr)
		return NULL;
	t = &s->t[id];
	if (atomic_load_explicit(&t->done, RLX))
		return NULL;
	switch (atomic_load_explicit(&t->wkind, RLX)) {
	case W_EXCL:
	case W_WRITE:
	case W_BIT:	/* a bit lock's or a bit wait's word: taken as a write */
		*write = true;
		return atomic_load_explicit(&t->wobj, RLX);
	case W_READ:
		return atomic_load_explicit(&t->wobj, RLX);
	}
	return NULL;
}

unsigned kp_task_locks(int id, int *waiting)
{
	struct kp_sched *s = kp_sch;
	const struct kp_task *t;
	unsigned mask = 0;

	*waiting = LC_NONE;
	if (!s || id < 0 || id >= s->nr)
		return 0;
	t = &s->t[id];
	for (int i = 0; i < t->nheld && i < KP_MAX_HELD; i++)
		mask |= 1u << (t->held[i].cls & 31);
	switch (atomic_load_explicit(&t->wkind, RLX)) {
	case W_EXCL:
	case W_READ:
	case W_WRITE: {
		const struct kp_lockinfo *li = atomic_load_explicit(&t->wobj, RLX);

		if (li)
			*waiting = li->cls;
		break;
	}
	case W_BIT:
		*waiting = LC_FOLIO_LOCK;
		break;
	}
	return mask;
}

static void lockdep_report(kp_lockorder_cb cb, int held, int taken)
{
	/*
	 * The acq_rel round trips order callbacks after one another for
	 * TSan, so a reporter may append to its log without a lock even
	 * when fibers switch with no_sync.  Real threads still need a
	 * thread-safe callback.
	 */
	atomic_fetch_add_explicit(&kp_report_seq, 1, memory_order_acq_rel);
	cb((enum kp_lock_class)held, (enum kp_lock_class)taken);
	atomic_fetch_add_explicit(&kp_report_seq, 1, memory_order_acq_rel);
}

void kp_set_context(kp_ctx_fmt fmt, const void *arg)
{
	struct kp_task *t = cur_task();

	t->ctx_fmt = fmt;
	t->ctx_arg = arg;
}

static void task_context(const struct kp_task *t, char *buf, unsigned long len)
{
	if (!len)
		return;
	buf[0] = '\0';
	if (t->ctx_fmt)
		t->ctx_fmt(buf, len, t->ctx_arg);
}

void kp_context(char *buf, unsigned long len)
{
	task_context(cur_task(), buf, len);
}

/*
 * The order learnt so far: first[a][b] is the context of the first task
 * seen taking b while holding a.  Each entry is written once: 0 empty,
 * 1 being written, 2 ready (release/acquire for readers on other threads).
 */
#define KP_CTX_LEN 120
static struct {
	atomic_int state;
	char what[KP_CTX_LEN];
} kp_first[LC_NR][LC_NR];

static void lockdep_learn(const struct kp_task *t, int a, int b)
{
	int empty = 0;

	if (atomic_load_explicit(&kp_first[a][b].state, memory_order_acquire) ||
	    !atomic_compare_exchange_strong(&kp_first[a][b].state, &empty, 1))
		return;
	task_context(t, kp_first[a][b].what, KP_CTX_LEN);
	atomic_store_explicit(&kp_first[a][b].state, 2, memory_order_release);
}

const char *kp_lockorder_first(enum kp_lock_class a, enum kp_lock_class b)
{
	if ((unsigned)a >= LC_NR || (unsigned)b >= LC_NR ||
	    atomic_load_explicit(&kp_first[a][b].state, memory_order_acquire) != 2)
		return NULL;
	return kp_first[a][b].what;
}

static void lockdep_check(const struct kp_task *t, int cls, enum kp_how how)
{
	kp_lockorder_cb cb;

	if (cls == LC_NONE || how == H_TRY)
		return;
	cb = atomic_load_explicit(&kp_report_cb, memory_order_acquire);
	for (int i = 0; i < t->nheld; i++) {
		int h = t->held[i].cls;

		if (h == LC_NONE)
			continue;
		if (h < cls)
			lockdep_learn(t, h, cls);
		else if (cb && (h > cls || how != H_NESTED))
			lockdep_report(cb, h, cls);
	}
}

static _Atomic kp_acquire_hook kp_acquire_fn;
static _Atomic kp_touch_hook kp_touch_fn;

void kp_set_touch_hook(kp_touch_hook fn)
{
	atomic_store(&kp_touch_fn, fn);
}

_Atomic(kp_access_hook) kp__access_fn;

void kp_set_access_hook(kp_access_hook fn)
{
	atomic_store(&kp__access_fn, fn);
}

static inline void touch(const struct kp_task *t, const void *obj, bool write)
{
	kp_touch_hook fn;

	if (is_fiber(t) && (fn = atomic_load_explicit(&kp_touch_fn, memory_order_relaxed)))
		fn(obj, write);
}

void kp_set_acquire_hook(kp_acquire_hook fn)
{
	atomic_store(&kp_acquire_fn, fn);
}

/* every acquisition ends here, the lock taken: its owner is set if exclusive */
static void held_push(struct kp_task *t, const struct kp_lockinfo *li, enum kp_how how)
{
	kp_acquire_hook fn;

	if (t->nheld == KP_MAX_HELD) {
		fprintf(stderr, "kprim: task %d holds more than %d locks\n",
			kp_current_id(), KP_MAX_HELD);
		kp_abort();
	}
	t->held[t->nheld++] = (struct kp_held){
		.li = li, .cls = li->cls, .nested = how == H_NESTED,
	};
	if (is_fiber(t) && (fn = atomic_load_explicit(&kp_acquire_fn, memory_order_relaxed)))
		fn(li, atomic_load_explicit(&li->owner, memory_order_relaxed) == (void *)t);
}

static void held_pop(struct kp_task *t, const struct kp_lockinfo *li)
{
	for (int i = t->nheld - 1; i >= 0; i--) {
		if (t->held[i].li != li)
			continue;
		memmove(&t->held[i], &t->held[i + 1], (size_t)(t->nheld - 1 - i) * sizeof(t->held[0]));
		t->nheld--;
		return;
	}
}

/* ------------------------------------------------------------- scheduler */

static bool task_can_run(struct kp_task *t)
{
	void *obj = atomic_load_explicit(&t->wobj, RLX);
	struct kp_lockinfo *li = obj;

	switch (atomic_load_explicit(&t->wkind, RLX)) {
	case W_EXCL:
	case W_READ:
		return !atomic_load(&li->owner);
	case W_WRITE:
		return !atomic_load(&li->owner) && !atomic_load(&li->readers);
	case W_BIT:
		return !(atomic_load((_Atomic unsigned long *)obj) &
			 atomic_load_explicit(&t->wmask, RLX));
	default:
		return true;
	}
}

/* Ask the decider; -1 (and s->result set) when the run is over. */
static int sched_decide(struct kp_sched *s, int cur)
{
	int ids[KP_MAX_TASKS], n = 0, live = 0, pick;

	for (int i = 0; i < s->nr; i++) {
		if (atomic_load_explicit(&s->t[i].done, RLX))
			continue;
		live++;
		if (task_can_run(&s->t[i]))
			ids[n++] = i;
	}
	if (!n) {
		atomic_store_explicit(&s->result, live ? KP_SCHED_DEADLOCK : KP_SCHED_DONE, RLX);
		return -1;
	}
	s->nr_decisions++;
	pick = s->d ? s->d->pick(s->d, ids, n, cur) : ids[0];
	for (int i = 0; i < n; i++)
		if (ids[i] == pick)
			return pick;
	return ids[0];
}

/* @leaving: @from is never resumed, so ASan may drop its fake stack. */
static void fiber_switch(struct kp_sched *s, struct kp_fiber *from, struct kp_fiber *to,
			 bool leaving)
{
#ifdef KP_ASAN
	__sanitizer_start_switch_fiber(leaving ? NULL : &from->asan_fake, to->stack,
				       to->stack_size);
#else
	(void)leaving;
#endif
#ifdef KP_TSAN
	__tsan_switch_to_fiber(to->tsan, to == &s->main ? 0 : KP_TSAN_NO_SYNC);
#else
	(void)s;
#endif
	swapcontext(&from->ctx, &to->ctx);
#ifdef KP_ASAN
	__sanitizer_finish_switch_fiber(from->asan_fake, NULL, NULL);
#endif
}

static void switch_to_task(struct kp_sched *s, struct kp_fiber *from, int next, bool leaving)
{
	atomic_store_explicit(&kp_cur, &s->t[next], RLX);
	fiber_switch(s, from, &s->t[next].fib, leaving);
}

/* Let the scheduler context take over; with @final the run ends. */
static void switch_to_main(struct kp_sched *s, struct kp_task *t, int from, bool final)
{
	atomic_store_explicit(&s->from, from, RLX);
	if (final)
		atomic_store_explicit(&s->final, 1, RLX);
	fiber_switch(s, &t->fib, &s->main, final || from < 0);
}

/* A decision point: returns once @t is chosen and its wait is satisfiable. */
static void sched_point(struct kp_task *t)
{
	struct kp_sched *s = kp_sch;
	int next;

	if (KP_VIA_MAIN) {
		switch_to_main(s, t, t->id, false);
		return;
	}
	next = sched_decide(s, t->id);
	if (next == t->id)
		return;
	if (next < 0)
		switch_to_main(s, t, t->id, true);
	else
		switch_to_task(s, &t->fib, next, false);
}

static void sched_wait(struct kp_task *t, int kind, void *obj, unsigned long mask)
{
	atomic_store_explicit(&t->wobj, obj, RLX);
	atomic_store_explicit(&t->wmask, mask, RLX);
	atomic_store_explicit(&t->wkind, kind, RLX);
	sched_point(t);
	/*
	 * Chosen means satisfiable, so this cannot fail; but the loads must
	 * be this fiber's own, to pair with the releaser's store and give
	 * TSan the happens-before that the lock stands for.
	 */
	if (!task_can_run(t))
		abort();
	atomic_store_explicit(&t->wkind, W_NONE, RLX);
}

static void task_entry(void)
{
	struct kp_sched *s = kp_sch;
	struct kp_task *t = atomic_load_explicit(&kp_cur, RLX);
	int next;

#ifdef KP_ASAN
	/* the first fiber of a run is always entered from main */
	if (!s->main_known) {
		const void *bottom;

		__sanitizer_finish_switch_fiber(NULL, &bottom, &s->main.stack_size);
		s->main.stack = (void *)bottom;
		s->main_known = true;
	} else {
		__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
	}
#endif
	t->fn(t->arg);
	atomic_store_explicit(&t->done, 1, RLX);
	if (KP_VIA_MAIN) {
		switch_to_main(s, t, -1, false);
	} else {
		next = sched_decide(s, -1);
		if (next < 0)
			switch_to_main(s, t, -1, true);
		else
			switch_to_task(s, &t->fib, next, true);
	}
	abort();	/* a finished fiber is never resumed */
}

static pthread_key_t kp_sched_key;
static pthread_once_t kp_sched_once = PTHREAD_ONCE_INIT;

static void sched_free(void *p)
{
	struct kp_sched *s = p;

	for (int i = 0; i < KP_MAX_TASKS; i++)
		free(s->t[i].fib.stack);
	free(s);
}

static void sched_key_init(void)
{
	if (pthread_key_create(&kp_sched_key, sched_free))
		abort();
}

/* Per-thread and kept: stacks are costly to map, runs are many and short. */
static struct kp_sched *sched_get(void)
{
	if (kp_sch)
		return kp_sch;
	pthread_once(&kp_sched_once, sched_key_init);
	kp_sch = calloc(1, sizeof(*kp_sch));
	if (!kp_sch)
		abort();
	pthread_setspecific(kp_sched_key, kp_sch);
	return kp_sch;
}

enum kp_sched_result kp_sched_run(int nr, kp_task_fn *fns, void **args,
				  struct kp_decider *d, unsigned long *nr_decisions)
{
	struct kp_sched *s = sched_get();
	int cur = -1, next;

	if (kp_in_sched() || s->running || nr < 0 || nr > KP_MAX_TASKS)
		abort();
	s->running = true;
	s->nr = nr;
	s->d = d;
	s->nr_decisions = 0;
	s->main_known = false;
	atomic_store(&s->result, KP_SCHED_DONE);
	atomic_store(&s->final, 0);
	atomic_store(&s->from, -1);
	/* zero uc_stack: ASan's swapcontext hook then leaves main's shadow alone */
	memset(&s->main.ctx, 0, sizeof(s->main.ctx));
#ifdef KP_TSAN
	s->main.tsan = __tsan_get_current_fiber();
#endif
	for (int i = 0; i < nr; i++) {
		struct kp_task *t = &s->t[i];

		t->id = i;
		t->nheld = 0;
		t->ctx_fmt = NULL;
		t->ctx_arg = NULL;
		t->fn = fns[i];
		t->arg = args ? args[i] : NULL;
		atomic_store(&t->done, 0);
		atomic_store(&t->wkind, W_NONE);
		if (!t->fib.stack) {
			t->fib.stack = malloc(KP_STACK_SIZE);
			if (!t->fib.stack)
				abort();
			t->fib.stack_size = KP_STACK_SIZE;
		}
		t->fib.asan_fake = NULL;
		if (getcontext(&t->fib.ctx))
			abort();
		t->fib.ctx.uc_stack.ss_sp = t->fib.stack;
		t->fib.ctx.uc_stack.ss_size = t->fib.stack_size;
		t->fib.ctx.uc_link = NULL;
		makecontext(&t->fib.ctx, task_entry, 0);
#ifdef KP_ASAN
		/*
		 * Frames an abandoned fiber left poisoned are stale now.  And
		 * once makecontext has put the stack into the registers,
		 * uc_stack is only read by ASan's swapcontext hook, which would
		 * wipe the shadow of a suspended fiber's live frames at every
		 * switch and hide overflows that straddle a decision point.
		 */
		__asan_unpoison_memory_region(t->fib.stack, t->fib.stack_size);
		t->fib.ctx.uc_stack.ss_sp = NULL;
		t->fib.ctx.uc_stack.ss_size = 0;
#endif
#ifdef KP_TSAN
		/* created after fn/arg are set: creation orders them for TSan */
		t->fib.tsan = __tsan_create_fiber(0);
#endif
	}
	while (!atomic_load_explicit(&s->final, RLX)) {
		next = sched_decide(s, cur);
		if (next < 0)
			break;
		switch_to_task(s, &s->main, next, false);
		atomic_store_explicit(&kp_cur, NULL, RLX);
		cur = atomic_load_explicit(&s->from, RLX);
	}
#ifdef KP_TSAN
	for (int i = 0; i < nr; i++)
		__tsan_destroy_fiber(s->t[i].fib.tsan);
#endif
	s->running = false;
	if (nr_decisions)
		*nr_decisions = s->nr_decisions;
	return (enum kp_sched_result)atomic_load(&s->result);
}

static _Atomic kp_abort_hook kp_abort_fn;

void kp_set_abort_hook(kp_abort_hook fn)
{
	atomic_store(&kp_abort_fn, fn);
}

_Noreturn void kp_abort(void)
{
	struct kp_task *t = atomic_load_explicit(&kp_cur, RLX);
	kp_abort_hook hook;

	if (t) {
		atomic_store_explicit(&kp_sch->result, KP_SCHED_ABORTED, RLX);
		switch_to_main(kp_sch, t, t->id, true);
	}
	hook = atomic_load(&kp_abort_fn);
	if (hook)
		hook();
	abort();
}

void kp_raw_lock(kp_raw_lock_t *l)
{
	while (atomic_flag_test_and_set_explicit(&l->f, memory_order_acquire)) {
		if (kp_in_sched())
			abort();	/* held across a decision point: a model bug */
		sched_yield();
	}
}

void kp_raw_unlock(kp_raw_lock_t *l)
{
	atomic_flag_clear_explicit(&l->f, memory_order_release);
}

static _Atomic kp_inflight_hook kp_inflight_fn;

void kp_set_inflight_hook(kp_inflight_hook fn)
{
	atomic_store(&kp_inflight_fn, fn);
}

/* only fibers: a hook that reads the world unlocked is safe there alone */
static inline void inflight(const struct kp_task *t, const struct kp_lockinfo *li)
{
	kp_inflight_hook fn;

	if (is_fiber(t) && (fn = atomic_load_explicit(&kp_inflight_fn, memory_order_relaxed)))
		fn(li);
}

void cond_resched(void)
{
	static _Thread_local unsigned int calls;
	struct kp_task *t = cur_task();

	inflight(t, NULL);
	if (is_fiber(t))
		sched_point(t);
	else if (!(++calls & 63))
		sched_yield();	/* now and then, to let stress threads interleave mid-op */
}

void kp_other_cpus(void)
{
	static _Thread_local unsigned int calls;
	struct kp_task *t = cur_task();

	if (is_fiber(t))
		sched_point(t);
	else if (!(++calls & 63))
		sched_yield();	/* widen the window for stress now and then */
}

/* ------------------------------------------- spinlocks, mutexes, rwsems */

static void lockinfo_init(struct kp_lockinfo *li, enum kp_lock_class cls)
{
	li->cls = (uint8_t)cls;
	atomic_store(&li->owner, NULL);
	atomic_store(&li->readers, 0);
}

static void excl_lock(struct kp_lockinfo *li, pthread_mutex_t *pm, enum kp_how how)
{
	struct kp_task *t = cur_task();

	lockdep_check(t, li->cls, how);
	if (is_fiber(t))
		sched_wait(t, W_EXCL, li, 0);
	else
		pthread_mutex_lock(pm);
	atomic_store(&li->owner, t);
	held_push(t, li, how);
	touch(t, li, true);
}

static bool excl_trylock(struct kp_lockinfo *li, pthread_mutex_t *pm)
{
	struct kp_task *t = cur_task();

	if (is_fiber(t)) {
		sched_point(t);
		if (atomic_load(&li->owner)) {
			touch(t, li, false);
			return false;
		}
	} else if (pthread_mutex_trylock(pm)) {
		return false;
	}
	atomic_store(&li->owner, t);
	held_push(t, li, H_TRY);
	touch(t, li, true);
	return true;
}

static void excl_unlock(struct kp_lockinfo *li, pthread_mutex_t *pm)
{
	struct kp_task *t = cur_task();

	held_pop(t, li);
	atomic_store(&li->owner, NULL);
	if (!is_fiber(t))
		pthread_mutex_unlock(pm);
	touch(t, li, true);
	inflight(t, li);
}

void spin_lock_init(spinlock_t *l, enum kp_lock_class cls)
{
	lockinfo_init(&l->li, cls);
	pthread_mutex_init(&l->pm, NULL);
}

void spin_lock_destroy(spinlock_t *l) { pthread_mutex_destroy(&l->pm); }
void spin_lock(spinlock_t *l) { excl_lock(&l->li, &l->pm, H_PLAIN); }
void spin_lock_nested(spinlock_t *l) { excl_lock(&l->li, &l->pm, H_NESTED); }
bool spin_trylock(spinlock_t *l) { return excl_trylock(&l->li, &l->pm); }
void spin_unlock(spinlock_t *l) { excl_unlock(&l->li, &l->pm); }
bool spin_is_locked(const spinlock_t *l) { return atomic_load(&((spinlock_t *)l)->li.owner) != NULL; }

void mutex_init(struct mutex *m, enum kp_lock_class cls)
{
	lockinfo_init(&m->li, cls);
	pthread_mutex_init(&m->pm, NULL);
}

void mutex_destroy(struct mutex *m) { pthread_mutex_destroy(&m->pm); }
void mutex_lock(struct mutex *m) { excl_lock(&m->li, &m->pm, H_PLAIN); }
void mutex_unlock(struct mutex *m) { excl_unlock(&m->li, &m->pm); }

void init_rwsem(struct rw_semaphore *s, enum kp_lock_class cls)
{
	pthread_rwlockattr_t a;

	lockinfo_init(&s->li, cls);
	pthread_rwlockattr_init(&a);
#ifdef __GLIBC__
	/*
	 * Like the kernel's rwsem, a waiting writer holds off new readers:
	 * no writer starvation in stress loops, and a recursive down_read
	 * deadlocks here as it can in the kernel.
	 */
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
	pthread_rwlock_init(&s->prw, &a);
	pthread_rwlockattr_destroy(&a);
}

void destroy_rwsem(struct rw_semaphore *s) { pthread_rwlock_destroy(&s->prw); }

static void read_lock(struct rw_semaphore *s, enum kp_how how)
{
	struct kp_task *t = cur_task();

	lockdep_check(t, s->li.cls, how);
	if (is_fiber(t))
		sched_wait(t, W_READ, &s->li, 0);
	else
		pthread_rwlock_rdlock(&s->prw);
	atomic_fetch_add(&s->li.readers, 1);
	held_push(t, &s->li, how);
	touch(t, &s->li, false);
}

void down_read(struct rw_semaphore *s) { read_lock(s, H_PLAIN); }
void down_read_nested(struct rw_semaphore *s) { read_lock(s, H_NESTED); }

bool down_read_trylock(struct rw_semaphore *s)
{
	struct kp_task *t = cur_task();

	if (is_fiber(t)) {
		sched_point(t);
		if (atomic_load(&s->li.owner)) {
			touch(t, &s->li, false);
			return false;
		}
	} else if (pthread_rwlock_tryrdlock(&s->prw)) {
		return false;
	}
	atomic_fetch_add(&s->li.readers, 1);
	held_push(t, &s->li, H_TRY);
	touch(t, &s->li, false);
	return true;
}

void up_read(struct rw_semaphore *s)
{
	struct kp_task *t = cur_task();

	held_pop(t, &s->li);
	atomic_fetch_sub(&s->li.readers, 1);
	if (!is_fiber(t))
		pthread_rwlock_unlock(&s->prw);
	/* a reader leaving commutes with readers; no writer can be waiting to run */
	touch(t, &s->li, false);
	inflight(t, &s->li);
}

static void write_lock(struct rw_semaphore *s, enum kp_how how)
{
	struct kp_task *t = cur_task();

	lockdep_check(t, s->li.cls, how);
	if (is_fiber(t))
		sched_wait(t, W_WRITE, &s->li, 0);
	else
		pthread_rwlock_wrlock(&s->prw);
	atomic_store(&s->li.owner, t);
	held_push(t, &s->li, how);
	touch(t, &s->li, true);
}

void down_write(struct rw_semaphore *s) { write_lock(s, H_PLAIN); }
void down_write_nested(struct rw_semaphore *s) { write_lock(s, H_NESTED); }

bool down_write_trylock(struct rw_semaphore *s)
{
	struct kp_task *t = cur_task();

	if (is_fiber(t)) {
		sched_point(t);
		if (atomic_load(&s->li.owner) || atomic_load(&s->li.readers) > 0)
			return false;
	} else if (pthread_rwlock_trywrlock(&s->prw)) {
		return false;
	}
	atomic_store(&s->li.owner, t);
	held_push(t, &s->li, H_TRY);
	return true;
}

void up_write(struct rw_semaphore *s)
{
	struct kp_task *t = cur_task();

	held_pop(t, &s->li);
	atomic_store(&s->li.owner, NULL);
	if (!is_fiber(t))
		pthread_rwlock_unlock(&s->prw);
	touch(t, &s->li, true);
	inflight(t, &s->li);
}

bool rwsem_is_locked(const struct rw_semaphore *s)
{
	struct kp_lockinfo *li = &((struct rw_semaphore *)s)->li;

	return atomic_load(&li->owner) != NULL || atomic_load(&li->readers) > 0;
}

bool rwsem_is_write_locked(const struct rw_semaphore *s)
{
	return atomic_load(&((struct rw_semaphore *)s)->li.owner) != NULL;
}

/* ------------------------------------------------------------- bit locks */

/*
 * pthread mode only: waiters on any bit of any word share one of these
 * buckets, like the kernel's folio_wait_table.  The waiter count lets an
 * unlock skip the mutex when nobody sleeps; both sides use seq_cst so that
 * either the unlocker sees the waiter or the waiter sees the bit clear.
 */
#define KP_WAIT_BITS 6

static struct kp_wait_bucket {
	pthread_mutex_t m;
	pthread_cond_t c;
	atomic_int waiters;
} kp_wait_table[1 << KP_WAIT_BITS];
static pthread_once_t kp_wait_once = PTHREAD_ONCE_INIT;

static void wait_table_init(void)
{
	for (int i = 0; i < 1 << KP_WAIT_BITS; i++) {
		pthread_mutex_init(&kp_wait_table[i].m, NULL);
		pthread_cond_init(&kp_wait_table[i].c, NULL);
	}
}

static struct kp_wait_bucket *wait_bucket(_Atomic unsigned long *word, int bit)
{
	uint64_t h = ((uint64_t)(uintptr_t)word + (uint64_t)bit) * 0x9e3779b97f4a7c15ull;

	pthread_once(&kp_wait_once, wait_table_init);
	return &kp_wait_table[h >> (64 - KP_WAIT_BITS)];
}

static void bit_wait_thread(_Atomic unsigned long *word, int bit, unsigned long mask)
{
	struct kp_wait_bucket *b = wait_bucket(word, bit);

	pthread_mutex_lock(&b->m);
	atomic_fetch_add(&b->waiters, 1);
	while (atomic_load(word) & mask)
		pthread_cond_wait(&b->c, &b->m);
	atomic_fetch_sub(&b->waiters, 1);
	pthread_mutex_unlock(&b->m);
}

static void bit_wake_thread(_Atomic unsigned long *word, int bit)
{
	struct kp_wait_bucket *b = wait_bucket(word, bit);

	if (!atomic_load(&b->waiters))
		return;
	pthread_mutex_lock(&b->m);
	pthread_cond_broadcast(&b->c);
	pthread_mutex_unlock(&b->m);
}

static void bit_taken(struct kp_task *t, struct kp_lockinfo *li, enum kp_how how)
{
	if (!li)
		return;
	atomic_store(&li->owner, t);
	held_push(t, li, how);
}

void kp_bit_lock(_Atomic unsigned long *word, int bit, struct kp_lockinfo *li)
{
	struct kp_task *t = cur_task();
	unsigned long mask = 1ul << bit;

	if (li)
		lockdep_check(t, li->cls, H_PLAIN);
	if (is_fiber(t)) {
		sched_wait(t, W_BIT, (void *)word, mask);
		atomic_fetch_or(word, mask);
	} else {
		while (atomic_fetch_or(word, mask) & mask)
			bit_wait_thread(word, bit, mask);
	}
	bit_taken(t, li, H_PLAIN);
	touch(t, (const void *)word, true);
}

bool kp_bit_trylock(_Atomic unsigned long *word, int bit, struct kp_lockinfo *li)
{
	struct kp_task *t = cur_task();
	unsigned long mask = 1ul << bit;

	if (is_fiber(t))
		sched_point(t);
	if (atomic_fetch_or(word, mask) & mask) {
		touch(t, (const void *)word, false);
		return false;
	}
	bit_taken(t, li, H_TRY);
	touch(t, (const void *)word, true);
	return true;
}

void kp_bit_unlock(_Atomic unsigned long *word, int bit, struct kp_lockinfo *li)
{
	struct kp_task *t = cur_task();

	if (li) {
		held_pop(t, li);
		atomic_store(&li->owner, NULL);
	}
	atomic_fetch_and(word, ~(1ul << bit));
	if (!is_fiber(t))
		bit_wake_thread(word, bit);
	touch(t, (const void *)word, true);
	if (li)
		inflight(t, li);
}

void kp_bit_wait(_Atomic unsigned long *word, int bit)
{
	struct kp_task *t = cur_task();
	unsigned long mask = 1ul << bit;

	if (is_fiber(t))
		sched_wait(t, W_BIT, (void *)word, mask);
	else if (atomic_load(word) & mask)
		bit_wait_thread(word, bit, mask);
	touch(t, (const void *)word, false);
}
