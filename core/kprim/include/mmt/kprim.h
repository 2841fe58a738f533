/* SPDX-License-Identifier: MIT */
/*
 * kprim.h - the kernel-primitive layer.
 *
 * Core model code never touches pthreads.  Every lock it takes, every atomic it
 * updates and every place where the kernel could be preempted or could drop and
 * retake a lock goes through this header, so that one of two backends can run
 * it:
 *
 *   KP_PTHREAD  real locks on real threads (stress loops, TSan sees everything).
 *   KP_SCHED    every task is a fiber on one OS thread; a task runs until it
 *               reaches a lock operation or a yield point, where the scheduler
 *               asks a decision source which runnable task goes next.  A task
 *               that would block on a held lock is not runnable.  Same decisions
 *               in, same interleaving out.
 *
 * The backend is chosen per thread at run time (kp_sched_run() turns KP_SCHED
 * on for the fibers it runs), so the same object code serves both.
 *
 * Every lock belongs to a class (enum kp_lock_class).  The classes are ranked
 * in the order documented at the top of core/mm/rmap.c; a task that takes a
 * lock of a lower rank while holding one of a higher rank is reported as a
 * LOCKORDER violation whether or not a deadlock followed.
 */
#ifndef MMT_KPRIM_H
#define MMT_KPRIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Ranked: a lock may only be taken while every held lock has a lower rank. */
enum kp_lock_class {
	LC_NONE = 0,
	LC_KSM_THREAD,		/* ksm_thread_mutex			*/
	LC_KHUGEPAGED_THREAD,	/* khugepaged's one thread (model-only)	*/
	LC_MMAP_LOCK,		/* mm->mmap_lock			*/
	LC_FOLIO_LOCK,		/* PG_locked				*/
	LC_I_MMAP,		/* mapping->i_mmap_rwsem		*/
	LC_ANON_VMA,		/* anon_vma->root->rwsem		*/
	LC_PAGE_TABLE_LOCK,	/* mm->page_table_lock, upper levels	*/
	LC_PTL,			/* split pte table lock			*/
	LC_SWAP_LOCK,		/* swap_lock (swapon/off, type table)	*/
	LC_SWAP_INFO,		/* si->lock (swap_map)			*/
	LC_SWAP_CACHE,		/* swap cache (address_space) lock	*/
	LC_MMLIST,		/* mmlist_lock				*/
	LC_KSM_MMLIST,		/* ksm_mmlist_lock			*/
	LC_KHUGEPAGED_MM,	/* khugepaged_mm_lock			*/
	LC_LRU,			/* lruvec lru_lock			*/
	LC_SPLIT_QUEUE,		/* deferred split queue lock		*/
	LC_ZONE,		/* node free-list lock			*/
	LC_POOL,		/* object-pool lock (leaf)		*/
	LC_GUP_PINS,		/* the pinners' pin table (leaf)	*/
	LC_NR
};

const char *kp_lock_class_name(enum kp_lock_class c);

/* One per lock instance: what the scheduler and lockdep need to know. */
struct kp_lockinfo {
	uint8_t cls;
	void *_Atomic owner;	/* struct kp_task * of the writer/holder, or NULL */
	atomic_int readers;	/* rwsem readers */
};

typedef struct spinlock {
	struct kp_lockinfo li;
	pthread_mutex_t pm;
} spinlock_t;

struct rw_semaphore {
	struct kp_lockinfo li;
	pthread_rwlock_t prw;
};

struct mutex {
	struct kp_lockinfo li;
	pthread_mutex_t pm;
};

void spin_lock_init(spinlock_t *l, enum kp_lock_class cls);
void spin_lock_destroy(spinlock_t *l);
void spin_lock(spinlock_t *l);
/* second lock of the same class, the kernel's SINGLE_DEPTH_NESTING */
void spin_lock_nested(spinlock_t *l);
bool spin_trylock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
bool spin_is_locked(const spinlock_t *l);

void init_rwsem(struct rw_semaphore *s, enum kp_lock_class cls);
void destroy_rwsem(struct rw_semaphore *s);
void down_read(struct rw_semaphore *s);
void down_read_nested(struct rw_semaphore *s);
bool down_read_trylock(struct rw_semaphore *s);
void up_read(struct rw_semaphore *s);
void down_write(struct rw_semaphore *s);
void down_write_nested(struct rw_semaphore *s);
void up_write(struct rw_semaphore *s);
bool down_write_trylock(struct rw_semaphore *s);
bool rwsem_is_locked(const struct rw_semaphore *s);
bool rwsem_is_write_locked(const struct rw_semaphore *s);

void mutex_init(struct mutex *m, enum kp_lock_class cls);
void mutex_destroy(struct mutex *m);
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);

/*
 * Bit locks with waiters: PG_locked lives in folio->flags; waiters sleep on a
 * hashed wait queue, as the kernel's folio_wait_table does.
 */
void kp_bit_lock(_Atomic unsigned long *word, int bit, struct kp_lockinfo *li);
bool kp_bit_trylock(_Atomic unsigned long *word, int bit, struct kp_lockinfo *li);
void kp_bit_unlock(_Atomic unsigned long *word, int bit, struct kp_lockinfo *li);
/* sleep until @bit is clear, without taking it (folio_wait_locked) */
void kp_bit_wait(_Atomic unsigned long *word, int bit);

/*
 * Raw spinlocks, for the model's own bookkeeping that the kernel does not
 * have (e.g. the lock-order table): never a decision point, never in the
 * lock order, and never held across a decision point, so in KP_SCHED mode
 * one is always free when taken.  Zero-initialised memory is unlocked.
 */
typedef struct {
	atomic_flag f;
} kp_raw_lock_t;

void kp_raw_lock(kp_raw_lock_t *l);
void kp_raw_unlock(kp_raw_lock_t *l);

/*
 * Yield points.  cond_resched() is where the kernel may reschedule between
 * steps of a long operation (per VMA of an rmap walk, per page table); in
 * KP_SCHED mode it is a decision point.
 */
void cond_resched(void);

/*
 * kp_other_cpus() - a decision point where the kernel does not reschedule
 * but other CPUs go on running: inside a spinlock's critical section, at a
 * state that exists only while the lock is held, such as a refcount frozen
 * at 0 under the cache's lock (what get_ksm_page, page_idle and compaction's
 * folio_try_get meet on another CPU).  In KP_SCHED mode any task that does
 * not need a lock held here may be chosen; it checks no in-flight invariant,
 * since the critical section is still open.  Real threads race there anyway.
 */
void kp_other_cpus(void);

/* ----------------------------------------------------------------------
 * Tasks and the deterministic scheduler (KP_SCHED).
 * ---------------------------------------------------------------------- */

struct kp_task;

/* What the scheduler asks at each decision point. */
struct kp_decider {
	/*
	 * Pick one of @nr runnable task ids (ascending in @ids).  @cur is the
	 * task that just reached the decision point (-1 if it finished).
	 */
	int (*pick)(struct kp_decider *d, const int *ids, int nr, int cur);
};

typedef void (*kp_task_fn)(void *arg);

enum kp_sched_result {
	KP_SCHED_DONE = 0,	/* every task returned */
	KP_SCHED_DEADLOCK,	/* some task blocked, none runnable */
	KP_SCHED_ABORTED,	/* kp_abort() was called (a VM_BUG_ON fired) */
};

#define KP_MAX_TASKS 16
/* a split of a PMD-sized folio holds its 32 new folios locked, and more */
#define KP_MAX_HELD 48

/*
 * Run @nr tasks as fibers until they all return, a deadlock, or an abort.
 * Decision points are numbered from 0; at each one, d->pick chooses.
 * Returns the number of decision points in *nr_decisions.
 */
enum kp_sched_result kp_sched_run(int nr, kp_task_fn *fns, void **args,
				  struct kp_decider *d, unsigned long *nr_decisions);

/* id of the running task in KP_SCHED mode (0 in plain pthread mode). */
int kp_current_id(void);
bool kp_in_sched(void);

/*
 * Abandon the current scheduled run: used by VM_BUG_ON after it has recorded
 * its report.  Outside kp_sched_run() it aborts the process.
 */
_Noreturn void kp_abort(void);

/*
 * pthread mode: kp_abort() first calls this hook (if set) and aborts the
 * process only if it returns.  The stress loop installs one that records
 * the thread as dead and parks it for good, holding whatever locks it held,
 * as an oops leaves a kernel task: the other threads and the main thread go
 * on, and the main thread reports.  Never called inside kp_sched_run().
 */
typedef void (*kp_abort_hook)(void);
void kp_set_abort_hook(kp_abort_hook fn);

/*
 * In-flight checking (KP_SCHED only): the hook runs on the task right after
 * it releases a lock (@li, which it no longer holds) and at each
 * cond_resched() (@li NULL), so that an invariant that must hold whenever a
 * lock is dropped is checked while the operation is still going, over the
 * object that lock protects.  It must take no lock and change nothing.
 * NULL (the default) turns it off; real threads never call it.
 */
typedef void (*kp_inflight_hook)(const struct kp_lockinfo *li);
void kp_set_inflight_hook(kp_inflight_hook fn);

/*
 * Conflict feedback (KP_SCHED only): the hook runs on the task right after
 * it takes @li (@write: as its only owner, not as one of an rwsem's
 * readers).  The executor pairs each acquisition with the task that took
 * the same lock instance before it: two ops of different tasks ordered over
 * one object, one of them writing (exec.h on_conflict).  It must take no
 * lock.  NULL (the default) turns it off; real threads never call it.
 */
typedef void (*kp_acquire_hook)(const struct kp_lockinfo *li, bool write);
void kp_set_acquire_hook(kp_acquire_hook fn);

/*
 * Step footprints (KP_SCHED only), for systematic exploration: the hook runs
 * on the task at every touch of a lock between two decision points, with
 * the lock (its kp_lockinfo, or for a bit lock the word) and whether the
 * touch writes it: an exclusive acquisition or any release writes, a shared
 * acquisition, a failed trylock and a kp_bit_wait read.  Two steps of
 * different tasks that touch one lock, one of them writing, do not commute
 * (fuzz/lib explore.h).  It must take no lock.  NULL (the default) turns it
 * off; real threads never call it.
 */
typedef void (*kp_touch_hook)(const void *obj, bool write);
void kp_set_touch_hook(kp_touch_hook fn);

/*
 * Field accesses (KP_SCHED only), for conflict feedback finer than a lock:
 * the model reports here every read and write of the shared fields whose
 * order decides a race (a pte, a folio's flags, mapping and index,
 * refcount, mapcount, an anon_vma's chain, a swap_map entry, the swap
 * cache, a VMA's bounds and flags), with the object and its class.  kprim
 * knows nothing of those objects; the classes only keep apart two fields
 * of one object.  The hook must take no lock and change nothing; NULL (the
 * default) makes kp_access one load and a branch.  Reads done without a
 * lock (ptep_get in a fault before the ptl, READ_ONCE of vm_flags) are
 * reported like the others: they are the ones the lock-granular feedback
 * (kp_acquire_hook) cannot see.
 */
enum kp_field {
	KP_F_PTE,		/* a pte or the swap/migration entry in it */
	KP_F_FOLIO_FLAGS,	/* PG_* bits but the lock bit (a lock) */
	KP_F_FOLIO_MAPPING,	/* folio->mapping and ->index */
	KP_F_FOLIO_REF,		/* _refcount */
	KP_F_MAPCOUNT,		/* _mapcount, _large_mapcount, _nr_pages_mapped */
	KP_F_ANON_VMA,		/* an anon_vma's chain (tree) */
	KP_F_SWAP_MAP,		/* one swap_map entry */
	KP_F_SWAP_CACHE,	/* the swap cache slot of an entry */
	KP_F_VMA,		/* a VMA's bounds, pgoff, flags, anon_vma */
	KP_NR_FIELDS
};
typedef void (*kp_access_hook)(const void *obj, enum kp_field field, bool write);
void kp_set_access_hook(kp_access_hook fn);
extern _Atomic(kp_access_hook) kp__access_fn;
/* a macro, so that @obj (page_folio(), &swap_map[off]) is not computed when off */
#define kp_access(obj, field, write)							\
	do {										\
		kp_access_hook kp__fn =							\
			atomic_load_explicit(&kp__access_fn, memory_order_relaxed);	\
		if (__builtin_expect(kp__fn != NULL, 0))				\
			kp__fn((obj), (field), (write));				\
	} while (0)

/* Lock-order checking (LOCKORDER). */
struct kp_held {
	const struct kp_lockinfo *li;
	uint8_t cls;
	uint8_t nested;
};

typedef void (*kp_lockorder_cb)(enum kp_lock_class held, enum kp_lock_class taken);

/*
 * What the current task is doing, for lock-order reports: the executor sets
 * the op a task runs (stress: the thread's op).  @fmt writes it as text
 * into a buffer; it is only called when a report or the order table needs
 * the text, so setting a context costs two stores.  @arg must stay valid
 * while the task runs the op.  Per task in KP_SCHED mode, per thread
 * otherwise.  fmt NULL: nothing.
 */
typedef void (*kp_ctx_fmt)(char *buf, unsigned long len, const void *arg);
void kp_set_context(kp_ctx_fmt fmt, const void *arg);
/* the current task's context as text ("" if none) */
void kp_context(char *buf, unsigned long len);
/*
 * The checker learns the order as it goes: the first time some task takes
 * a lock of class @b while holding one of class @a (a before b), the
 * context of that task is remembered.  Returns that text ("" if the task
 * had no context), or NULL if @a -> @b was never seen.  A report of an
 * inversion (b held, a taken) names both: the op that broke the order now
 * and the op that showed the order first.
 */
const char *kp_lockorder_first(enum kp_lock_class a, enum kp_lock_class b);
void kp_set_lockorder_report(kp_lockorder_cb cb);
/* number of locks the current task holds (0 at every quiescent point) */
int kp_nr_held(void);

/*
 * Where task @id stands, for interleaving feedback (a decider may call it
 * from pick()): a bit per lock class it holds (1u << class), and in
 * *waiting the class of the lock it is about to take at its decision point
 * (LC_FOLIO_LOCK for a bit lock; LC_NONE at cond_resched or its start).
 * 0 and LC_NONE outside kp_sched_run or for a task that is not there.
 */
unsigned kp_task_locks(int id, int *waiting);

/*
 * The lock task @id waits for at its decision point, as the object its
 * acquisition will touch (the lockinfo; a bit lock's word), with *write
 * set unless it is a shared acquisition: what explore's dpor needs to see
 * a blocked task's next step.  NULL at a plain decision point (cond_resched,
 * a trylock), for a finished task, or outside kp_sched_run.
 */
const void *kp_task_wait_obj(int id, bool *write);

#endif /* MMT_KPRIM_H */
