// SPDX-License-Identifier: MIT
/*
 * test_kprim.c - the kernel-primitive layer on both backends.
 *
 * pthread mode is tested for exclusion with real threads; the blocking checks
 * sleep a little and then look, so a broken lock can only pass by luck, never
 * fail by it.  sched mode is tested for the exact interleavings the decider
 * asks for, so those assertions are exact counts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmt/kprim.h"

#define PT_ITERS 50000

static void nap(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ deciders */

enum { D_ROUND_ROBIN, D_RANDOM };

struct test_decider {
	struct kp_decider d;
	int mode;
	uint64_t rng;
	int bad_list;		/* ids not ascending, or nr out of range */
	int nlog;
	int log[8192];		/* pick, then the runnable set as a bitmask */
};

/* next runnable id after @cur, cyclically: forces strict alternation */
static int td_pick(struct kp_decider *d, const int *ids, int nr, int cur)
{
	struct test_decider *td = (struct test_decider *)d;
	int pick = ids[0], mask = 0;

	if (nr < 1 || nr > KP_MAX_TASKS)
		td->bad_list++;
	for (int i = 0; i < nr; i++) {
		if (i && ids[i] <= ids[i - 1])
			td->bad_list++;
		mask |= 1 << ids[i];
	}
	if (td->mode == D_ROUND_ROBIN) {
		for (int i = 0; i < nr; i++) {
			if (ids[i] > cur) {
				pick = ids[i];
				break;
			}
		}
	} else {
		td->rng ^= td->rng << 13;
		td->rng ^= td->rng >> 7;
		td->rng ^= td->rng << 17;
		pick = ids[td->rng % (uint64_t)nr];
	}
	if (td->nlog + 2 <= (int)(sizeof(td->log) / sizeof(td->log[0]))) {
		td->log[td->nlog++] = pick;
		td->log[td->nlog++] = mask;
	}
	return pick;
}

static void td_init(struct test_decider *td, int mode, uint64_t seed)
{
	memset(td, 0, sizeof(*td));
	td->d.pick = td_pick;
	td->mode = mode;
	td->rng = seed;
}

/* --------------------------------------------------------- pthread mode */

static spinlock_t pt_spin;
static long pt_count;
static atomic_int pt_bad;

static void *spin_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < PT_ITERS; i++) {
		spin_lock(&pt_spin);
		if (!spin_is_locked(&pt_spin) || kp_nr_held() != 1 || kp_in_sched())
			atomic_fetch_add(&pt_bad, 1);
		pt_count++;
		spin_unlock(&pt_spin);
	}
	if (kp_nr_held() || kp_current_id())
		atomic_fetch_add(&pt_bad, 1);
	return NULL;
}

START_TEST(test_pthread_spin_exclusion)
{
	pthread_t a, b;

	spin_lock_init(&pt_spin, LC_PTL);
	pt_count = 0;
	pthread_create(&a, NULL, spin_worker, NULL);
	pthread_create(&b, NULL, spin_worker, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ck_assert_int_eq(pt_count, 2 * PT_ITERS);
	ck_assert_int_eq(atomic_load(&pt_bad), 0);
	ck_assert(!spin_is_locked(&pt_spin));
	ck_assert(spin_trylock(&pt_spin));
	ck_assert(!spin_trylock(&pt_spin));
	spin_unlock(&pt_spin);
	ck_assert_int_eq(kp_nr_held(), 0);
	spin_lock_destroy(&pt_spin);
}
END_TEST

static struct rw_semaphore pt_rw;
static pthread_barrier_t pt_bar;
static atomic_int pt_flag;

static void *reader_together(void *arg)
{
	(void)arg;
	down_read(&pt_rw);
	pthread_barrier_wait(&pt_bar);	/* hangs (test timeout) if readers exclude */
	if (atomic_load(&pt_rw.li.readers) != 2 || rwsem_is_write_locked(&pt_rw))
		atomic_fetch_add(&pt_bad, 1);
	pthread_barrier_wait(&pt_bar);
	up_read(&pt_rw);
	return NULL;
}

static void *reader_blocked(void *arg)
{
	(void)arg;
	if (down_read_trylock(&pt_rw))
		atomic_fetch_add(&pt_bad, 1);
	down_read(&pt_rw);
	atomic_store(&pt_flag, 1);
	up_read(&pt_rw);
	return NULL;
}

static void *writer_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < PT_ITERS / 4; i++) {
		down_write(&pt_rw);
		if (!rwsem_is_write_locked(&pt_rw) || atomic_load(&pt_rw.li.readers))
			atomic_fetch_add(&pt_bad, 1);
		pt_count++;
		up_write(&pt_rw);
	}
	return NULL;
}

START_TEST(test_pthread_rwsem)
{
	pthread_t a, b;

	init_rwsem(&pt_rw, LC_ANON_VMA);
	pthread_barrier_init(&pt_bar, NULL, 2);
	pthread_create(&a, NULL, reader_together, NULL);
	pthread_create(&b, NULL, reader_together, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ck_assert(!rwsem_is_locked(&pt_rw));

	down_write(&pt_rw);
	ck_assert(rwsem_is_locked(&pt_rw) && rwsem_is_write_locked(&pt_rw));
	atomic_store(&pt_flag, 0);
	pthread_create(&a, NULL, reader_blocked, NULL);
	nap();
	ck_assert_int_eq(atomic_load(&pt_flag), 0);
	up_write(&pt_rw);
	pthread_join(a, NULL);
	ck_assert_int_eq(atomic_load(&pt_flag), 1);

	pt_count = 0;
	pthread_create(&a, NULL, writer_worker, NULL);
	pthread_create(&b, NULL, writer_worker, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ck_assert_int_eq(pt_count, 2 * (PT_ITERS / 4));
	ck_assert_int_eq(atomic_load(&pt_bad), 0);
	ck_assert_int_eq(kp_nr_held(), 0);
	pthread_barrier_destroy(&pt_bar);
	destroy_rwsem(&pt_rw);
}
END_TEST

#define BIT 3
static _Atomic unsigned long pt_word;
static struct kp_lockinfo pt_bli;
static atomic_int pt_locked, pt_waited;

static void *bit_locker(void *arg)
{
	(void)arg;
	if (kp_bit_trylock(&pt_word, BIT, &pt_bli))
		atomic_fetch_add(&pt_bad, 1);
	kp_bit_lock(&pt_word, BIT, &pt_bli);
	atomic_store(&pt_locked, 1);
	if (!(atomic_load(&pt_word) & (1ul << BIT)) || kp_nr_held() != 1)
		atomic_fetch_add(&pt_bad, 1);
	kp_bit_unlock(&pt_word, BIT, &pt_bli);
	return NULL;
}

static void *bit_waiter(void *arg)
{
	(void)arg;
	kp_bit_wait(&pt_word, BIT);
	atomic_store(&pt_waited, 1);
	if (kp_nr_held())
		atomic_fetch_add(&pt_bad, 1);
	return NULL;
}

static void *bit_counter(void *arg)
{
	(void)arg;
	for (int i = 0; i < PT_ITERS; i++) {
		kp_bit_lock(&pt_word, BIT, &pt_bli);
		pt_count++;
		kp_bit_unlock(&pt_word, BIT, &pt_bli);
	}
	return NULL;
}

START_TEST(test_pthread_bitlock)
{
	pthread_t a, b;

	atomic_store(&pt_word, 1ul);	/* a neighbouring flag that must survive */
	pt_bli.cls = LC_FOLIO_LOCK;
	kp_bit_lock(&pt_word, BIT, &pt_bli);
	ck_assert_ptr_nonnull(atomic_load(&pt_bli.owner));
	pthread_create(&a, NULL, bit_locker, NULL);
	pthread_create(&b, NULL, bit_waiter, NULL);
	nap();
	ck_assert_int_eq(atomic_load(&pt_locked), 0);
	ck_assert_int_eq(atomic_load(&pt_waited), 0);
	kp_bit_unlock(&pt_word, BIT, &pt_bli);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ck_assert_int_eq(atomic_load(&pt_locked), 1);
	ck_assert_int_eq(atomic_load(&pt_waited), 1);
	ck_assert_uint_eq(atomic_load(&pt_word), 1ul);
	ck_assert_ptr_null(atomic_load(&pt_bli.owner));

	pt_count = 0;
	pthread_create(&a, NULL, bit_counter, NULL);
	pthread_create(&b, NULL, bit_counter, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ck_assert_int_eq(pt_count, 2 * PT_ITERS);
	ck_assert_uint_eq(atomic_load(&pt_word), 1ul);
	ck_assert_int_eq(atomic_load(&pt_bad), 0);
}
END_TEST

/* ----------------------------------------------------------- sched mode */

#define SC_ITERS 3
static _Atomic long sc_counter;	/* atomic only so TSan keeps quiet; the race is ours */
static spinlock_t sc_lock;
static int sc_bad;

static void racy_inc(void *arg)
{
	if (!kp_in_sched() || kp_current_id() != (int)(intptr_t)arg)
		sc_bad++;
	for (int i = 0; i < SC_ITERS; i++) {
		long v = atomic_load_explicit(&sc_counter, memory_order_relaxed);

		cond_resched();
		atomic_store_explicit(&sc_counter, v + 1, memory_order_relaxed);
	}
}

static void locked_inc(void *arg)
{
	(void)arg;
	for (int i = 0; i < SC_ITERS; i++) {
		spin_lock(&sc_lock);
		long v = atomic_load_explicit(&sc_counter, memory_order_relaxed);

		if (kp_nr_held() != 1)
			sc_bad++;
		cond_resched();
		atomic_store_explicit(&sc_counter, v + 1, memory_order_relaxed);
		spin_unlock(&sc_lock);
	}
}

static enum kp_sched_result run2(kp_task_fn fn, struct test_decider *td, unsigned long *nd)
{
	kp_task_fn fns[2] = { fn, fn };
	void *args[2] = { (void *)(intptr_t)0, (void *)(intptr_t)1 };

	return kp_sched_run(2, fns, args, &td->d, nd);
}

START_TEST(test_sched_lost_update)
{
	struct test_decider td;
	unsigned long nd;

	for (int run = 0; run < 3; run++) {
		td_init(&td, D_ROUND_ROBIN, 0);
		atomic_store(&sc_counter, 0);
		sc_bad = 0;
		ck_assert_int_eq(run2(racy_inc, &td, &nd), KP_SCHED_DONE);
		/* every load is followed by the other task's load: half the updates vanish */
		ck_assert_int_eq(atomic_load(&sc_counter), SC_ITERS);
		/* start + one per cond_resched + the first exit; the last exit has no choice */
		ck_assert_uint_eq(nd, 2 * SC_ITERS + 2);
		ck_assert_int_eq(sc_bad, 0);
		ck_assert_int_eq(td.bad_list, 0);
		ck_assert(!kp_in_sched());
	}
}
END_TEST

START_TEST(test_sched_spinlock_no_lost_update)
{
	struct test_decider td;
	unsigned long nd;

	for (int mode = D_ROUND_ROBIN; mode <= D_RANDOM; mode++) {
		td_init(&td, mode, 0x1234567ull);
		spin_lock_init(&sc_lock, LC_PTL);
		atomic_store(&sc_counter, 0);
		sc_bad = 0;
		ck_assert_int_eq(run2(locked_inc, &td, &nd), KP_SCHED_DONE);
		ck_assert_int_eq(atomic_load(&sc_counter), 2 * SC_ITERS);
		ck_assert_int_eq(sc_bad, 0);
		ck_assert(!spin_is_locked(&sc_lock));
		ck_assert_int_eq(td.bad_list, 0);
	}
	/* with a NULL decider the lowest runnable id always goes: no overlap at all */
	atomic_store(&sc_counter, 0);
	ck_assert_int_eq(kp_sched_run(2, (kp_task_fn[]){ racy_inc, racy_inc },
				      (void *[]){ (void *)0, (void *)1 }, NULL, NULL),
			 KP_SCHED_DONE);
	ck_assert_int_eq(atomic_load(&sc_counter), 2 * SC_ITERS);
}
END_TEST

static spinlock_t sc_a, sc_b;
static int sc_after;

static void abba(void *arg)
{
	spinlock_t *first = arg ? &sc_b : &sc_a, *second = arg ? &sc_a : &sc_b;

	spin_lock(first);
	cond_resched();
	spin_lock(second);
	sc_after++;
	spin_unlock(second);
	spin_unlock(first);
}

START_TEST(test_sched_deadlock)
{
	struct test_decider td;
	unsigned long nd;

	for (int run = 0; run < 2; run++) {
		td_init(&td, D_ROUND_ROBIN, 0);
		spin_lock_init(&sc_a, LC_ZONE);
		spin_lock_init(&sc_b, LC_ZONE);
		sc_after = 0;
		ck_assert_int_eq(run2(abba, &td, &nd), KP_SCHED_DEADLOCK);
		ck_assert_int_eq(sc_after, 0);
		ck_assert(spin_is_locked(&sc_a) && spin_is_locked(&sc_b));
		ck_assert(!kp_in_sched());
		/* start, T0 lock A, T1 lock B, T0 resched, T1 resched, T0 blocks on B */
		ck_assert_uint_eq(nd, 6);
		/* the last choice had only task 1 left; then nobody */
		ck_assert_int_eq(td.log[td.nlog - 1], 1 << 1);
	}
	/* the abandoned fibers' stacks are reused */
	spin_lock_init(&sc_lock, LC_PTL);
	atomic_store(&sc_counter, 0);
	td_init(&td, D_ROUND_ROBIN, 0);
	ck_assert_int_eq(run2(locked_inc, &td, &nd), KP_SCHED_DONE);
	ck_assert_int_eq(atomic_load(&sc_counter), 2 * SC_ITERS);
}
END_TEST

static void aborter(void *arg)
{
	(void)arg;
	spin_lock(&sc_lock);
	cond_resched();
	kp_abort();
}

static void bystander(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10; i++) {
		cond_resched();
		atomic_fetch_add(&sc_counter, 1);
	}
	sc_after++;
}

START_TEST(test_sched_abort)
{
	struct test_decider td;
	unsigned long nd;

	for (int run = 0; run < 2; run++) {
		td_init(&td, D_ROUND_ROBIN, 0);
		spin_lock_init(&sc_lock, LC_PTL);
		atomic_store(&sc_counter, 0);
		sc_after = 0;
		ck_assert_int_eq(kp_sched_run(2, (kp_task_fn[]){ aborter, bystander },
					      (void *[]){ NULL, NULL }, &td.d, &nd),
				 KP_SCHED_ABORTED);
		/* start, T0 lock, T1 resched, T0 resched, T1 resched: then T0 aborts */
		ck_assert_uint_eq(nd, 5);
		ck_assert_int_eq(atomic_load(&sc_counter), 1);
		ck_assert_int_eq(sc_after, 0);
		ck_assert(spin_is_locked(&sc_lock));	/* the caller resets the world */
		ck_assert(!kp_in_sched());
		ck_assert_int_eq(kp_nr_held(), 0);	/* the thread holds nothing */
	}
}
END_TEST

START_TEST(test_abort_outside_sched)
{
	kp_abort();
}
END_TEST

static _Atomic unsigned long sc_word;
static struct kp_lockinfo sc_bli;
static int sc_saw_clear, sc_writer_ok;
static atomic_int sc_readers_max;	/* both readers write it: atomic, or TSan objects */
static struct rw_semaphore sc_rw;

static void bit_holder(void *arg)
{
	(void)arg;
	kp_bit_lock(&sc_word, BIT, &sc_bli);
	for (int i = 0; i < 3; i++)
		cond_resched();
	kp_bit_unlock(&sc_word, BIT, &sc_bli);
}

static void bit_waiter_task(void *arg)
{
	(void)arg;
	cond_resched();
	kp_bit_wait(&sc_word, BIT);
	sc_saw_clear = !(atomic_load(&sc_word) & (1ul << BIT));
}

static void rw_reader(void *arg)
{
	(void)arg;
	down_read(&sc_rw);
	cond_resched();
	if (atomic_load(&sc_rw.li.readers) > atomic_load(&sc_readers_max))
		atomic_store(&sc_readers_max, atomic_load(&sc_rw.li.readers));
	cond_resched();
	up_read(&sc_rw);
}

static void rw_writer(void *arg)
{
	(void)arg;
	cond_resched();
	down_write(&sc_rw);
	sc_writer_ok = rwsem_is_write_locked(&sc_rw) && atomic_load(&sc_rw.li.readers) == 0;
	up_write(&sc_rw);
}

START_TEST(test_sched_bitwait_rwsem)
{
	struct test_decider td;
	unsigned long nd;
	int blocked = 0;

	td_init(&td, D_ROUND_ROBIN, 0);
	sc_bli.cls = LC_FOLIO_LOCK;
	ck_assert_int_eq(kp_sched_run(2, (kp_task_fn[]){ bit_holder, bit_waiter_task },
				      (void *[]){ NULL, NULL }, &td.d, &nd),
			 KP_SCHED_DONE);
	ck_assert_int_eq(sc_saw_clear, 1);
	for (int i = 1; i < td.nlog; i += 2)
		blocked += td.log[i] == 1;	/* only the holder could run */
	ck_assert_int_gt(blocked, 0);
	ck_assert_uint_eq(atomic_load(&sc_word), 0);

	td_init(&td, D_ROUND_ROBIN, 0);
	init_rwsem(&sc_rw, LC_I_MMAP);
	ck_assert_int_eq(kp_sched_run(3, (kp_task_fn[]){ rw_reader, rw_reader, rw_writer },
				      (void *[]){ NULL, NULL, NULL }, &td.d, &nd),
			 KP_SCHED_DONE);
	ck_assert_int_eq(atomic_load(&sc_readers_max), 2);
	ck_assert_int_eq(sc_writer_ok, 1);
	ck_assert(!rwsem_is_locked(&sc_rw));
}
END_TEST

/* ---------------------------------------------------------- lock order */

static int lo_n;
static enum kp_lock_class lo_held[16], lo_taken[16];

static void lo_cb(enum kp_lock_class held, enum kp_lock_class taken)
{
	if (lo_n < 16) {
		lo_held[lo_n] = held;
		lo_taken[lo_n] = taken;
	}
	lo_n++;
}

static spinlock_t lo_ptl1, lo_ptl2, lo_inv_ptl;
static struct rw_semaphore lo_mmap, lo_inv_mmap;
static _Atomic unsigned long lo_w1, lo_w2;
static struct kp_lockinfo lo_f1, lo_f2;

static void lo_setup(void)
{
	spin_lock_init(&lo_ptl1, LC_PTL);
	spin_lock_init(&lo_ptl2, LC_PTL);
	init_rwsem(&lo_mmap, LC_MMAP_LOCK);
	/* the inversion gets locks of its own, or TSan's deadlock detector objects */
	spin_lock_init(&lo_inv_ptl, LC_PTL);
	init_rwsem(&lo_inv_mmap, LC_MMAP_LOCK);
	lo_f1.cls = lo_f2.cls = LC_FOLIO_LOCK;
	lo_n = 0;
	kp_set_lockorder_report(lo_cb);
}

static void lo_inversion(void *arg)
{
	(void)arg;
	spin_lock(&lo_inv_ptl);
	down_read(&lo_inv_mmap);
	up_read(&lo_inv_mmap);
	spin_unlock(&lo_inv_ptl);
}

START_TEST(test_lockorder)
{
	struct mutex m;

	lo_setup();
	ck_assert_str_eq(kp_lock_class_name(LC_PTL), "ptl");
	ck_assert_str_eq(kp_lock_class_name(LC_MMAP_LOCK), "mmap_lock");

	lo_inversion(NULL);
	ck_assert_int_eq(lo_n, 1);
	ck_assert_int_eq(lo_held[0], LC_PTL);
	ck_assert_int_eq(lo_taken[0], LC_MMAP_LOCK);

	/* the documented order, nesting, and the trylocks: silent */
	lo_n = 0;
	down_read(&lo_mmap);
	kp_bit_lock(&lo_w1, BIT, &lo_f1);
	ck_assert(kp_bit_trylock(&lo_w2, BIT, &lo_f2));
	spin_lock(&lo_ptl1);
	spin_lock_nested(&lo_ptl2);
	ck_assert_int_eq(kp_nr_held(), 5);
	/* release out of order: the checker's stack must follow */
	kp_bit_unlock(&lo_w1, BIT, &lo_f1);
	ck_assert_int_eq(kp_nr_held(), 4);
	up_read(&lo_mmap);
	spin_unlock(&lo_ptl1);
	ck_assert_int_eq(kp_nr_held(), 2);
	ck_assert(kp_bit_trylock(&lo_w1, BIT, &lo_f1));	/* below the ptl, but a trylock */
	kp_bit_unlock(&lo_w1, BIT, &lo_f1);
	spin_unlock(&lo_ptl2);
	kp_bit_unlock(&lo_w2, BIT, &lo_f2);
	ck_assert_int_eq(kp_nr_held(), 0);
	mutex_init(&m, LC_NONE);
	spin_lock(&lo_ptl1);
	mutex_lock(&m);		/* LC_NONE is exempt */
	mutex_unlock(&m);
	spin_unlock(&lo_ptl1);
	mutex_destroy(&m);
	ck_assert_int_eq(lo_n, 0);

	/* same class without _nested */
	spin_lock(&lo_ptl1);
	spin_lock(&lo_ptl2);
	spin_unlock(&lo_ptl2);
	spin_unlock(&lo_ptl1);
	ck_assert_int_eq(lo_n, 1);
	ck_assert_int_eq(lo_held[0], LC_PTL);
	ck_assert_int_eq(lo_taken[0], LC_PTL);

	/* in sched mode too */
	lo_n = 0;
	ck_assert_int_eq(kp_sched_run(1, (kp_task_fn[]){ lo_inversion }, NULL, NULL, NULL),
			 KP_SCHED_DONE);
	ck_assert_int_eq(lo_n, 1);
	ck_assert_int_eq(lo_taken[0], LC_MMAP_LOCK);

	/* no callback: nothing */
	kp_set_lockorder_report(NULL);
	lo_n = 0;
	lo_inversion(NULL);
	ck_assert_int_eq(lo_n, 0);
	ck_assert_int_eq(kp_nr_held(), 0);
}
END_TEST

/* --------------------------------------------------------- determinism */

#define DT_TASKS 4
static spinlock_t dt_spin;
static struct mutex dt_mutex;
static struct rw_semaphore dt_rw;
static _Atomic unsigned long dt_word;
static struct kp_lockinfo dt_bli;
/*
 * Tasks share these outside any common lock; under TSan fibers switch
 * without synchronising, so they must be atomic like any such model state.
 */
static _Atomic int dt_trace[4096];
static atomic_int dt_ntrace;
static _Atomic long dt_shared;

static void dt_note(int ev)
{
	int i = atomic_fetch_add(&dt_ntrace, 1);

	if (i < 4096)
		atomic_store(&dt_trace[i], kp_current_id() * 100 + ev);
}

static void dt_task(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (int i = 0; i < 6; i++) {
		switch ((id + i) % 5) {
		case 0:
			spin_lock(&dt_spin);
			dt_note(1);
			cond_resched();
			atomic_fetch_add(&dt_shared, id);
			spin_unlock(&dt_spin);
			break;
		case 1:
			down_read(&dt_rw);
			dt_note(2);
			cond_resched();
			up_read(&dt_rw);
			break;
		case 2:
			down_write(&dt_rw);
			mutex_lock(&dt_mutex);
			dt_note(3);
			atomic_store(&dt_shared, atomic_load(&dt_shared) * 3);
			mutex_unlock(&dt_mutex);
			up_write(&dt_rw);
			break;
		case 3:
			if (kp_bit_trylock(&dt_word, BIT, &dt_bli)) {
				dt_note(4);
				cond_resched();
				kp_bit_unlock(&dt_word, BIT, &dt_bli);
			} else {
				kp_bit_wait(&dt_word, BIT);
				dt_note(5);
			}
			break;
		default:
			kp_bit_lock(&dt_word, BIT, &dt_bli);
			dt_note(6);
			kp_bit_unlock(&dt_word, BIT, &dt_bli);
			cond_resched();
		}
	}
}

struct dt_result {
	enum kp_sched_result r;
	unsigned long nd;
	long shared;
	int ntrace;
	struct test_decider td;
	int trace[4096];
};

static void dt_run(uint64_t seed, struct dt_result *out)
{
	kp_task_fn fns[DT_TASKS];
	void *args[DT_TASKS];

	for (int i = 0; i < DT_TASKS; i++) {
		fns[i] = dt_task;
		args[i] = (void *)(intptr_t)i;
	}
	spin_lock_init(&dt_spin, LC_PTL);
	mutex_init(&dt_mutex, LC_POOL);
	init_rwsem(&dt_rw, LC_ANON_VMA);
	atomic_store(&dt_word, 0);
	dt_bli.cls = LC_FOLIO_LOCK;
	atomic_store(&dt_ntrace, 0);
	atomic_store(&dt_shared, 1);
	memset(out, 0, sizeof(*out));
	td_init(&out->td, D_RANDOM, seed);
	out->r = kp_sched_run(DT_TASKS, fns, args, &out->td.d, &out->nd);
	out->shared = atomic_load(&dt_shared);
	out->ntrace = atomic_load(&dt_ntrace);
	for (int i = 0; i < 4096; i++)
		out->trace[i] = atomic_load(&dt_trace[i]);
}

START_TEST(test_sched_deterministic)
{
	static struct dt_result a, b;
	int differ = 0;

	for (uint64_t seed = 1; seed <= 20; seed++) {
		dt_run(seed * 0x9e3779b97f4a7c15ull, &a);
		dt_run(seed * 0x9e3779b97f4a7c15ull, &b);
		ck_assert_int_eq(a.r, KP_SCHED_DONE);
		ck_assert_int_eq(a.td.bad_list, 0);
		ck_assert_uint_eq(a.nd, (unsigned long)a.td.nlog / 2);
		ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
		dt_run(seed * 0x9e3779b97f4a7c15ull + 1, &b);
		differ += b.nd != a.nd || memcmp(a.td.log, b.td.log, sizeof(a.td.log)) != 0;
	}
	ck_assert_int_gt(differ, 0);	/* the decider does steer */
}
END_TEST

static Suite *kprim_suite(bool forking)
{
	Suite *s = suite_create("kprim");
	TCase *tc = tcase_create("kprim");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pthread_spin_exclusion);
	tcase_add_test(tc, test_pthread_rwsem);
	tcase_add_test(tc, test_pthread_bitlock);
	tcase_add_test(tc, test_sched_lost_update);
	tcase_add_test(tc, test_sched_spinlock_no_lost_update);
	tcase_add_test(tc, test_sched_deadlock);
	tcase_add_test(tc, test_sched_abort);
	if (forking)	/* the abort would take the runner down with it */
		tcase_add_test_raise_signal(tc, test_abort_outside_sched, SIGABRT);
	tcase_add_test(tc, test_sched_bitwait_rwsem);
	tcase_add_test(tc, test_lockorder);
	tcase_add_test(tc, test_sched_deterministic);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *f = getenv("CK_FORK");
	SRunner *sr = srunner_create(kprim_suite(!f || strcmp(f, "no") != 0));
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
