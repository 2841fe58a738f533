// SPDX-License-Identifier: MIT
/*
 * exec.c - the executor (see exec.h).
 *
 * A run has three scheduled phases, each a kp_sched_run() so that whatever
 * the model does (take locks, VM_BUG_ON) happens inside the deterministic
 * scheduler and never in plain pthread mode:
 *
 *   setup   turn on the world's initial swap device
 *   tasks   one fiber per task (@N), each running its ops in program order
 *   final   a last full check, the data dump against the oracle, and the
 *           LEAK check when the program left the world empty
 *
 * Every op's outcome is compared with the oracle's prediction (DATA) and
 * with the program's own assertions (ASSERT), then the oracle is updated
 * from what the model did.
 *
 * With several tasks two ops can overlap (a task switches away mid-op).
 * The oracle models ops as atomic, so an overlap of two ops that both
 * change what someone reads leaves more than one right answer; those
 * processes are then no longer judged (oracle_taint) rather than judged
 * wrongly.  Overlaps with ops that change no data (migration, reclaim,
 * swapon/off, reads) keep exact judging: those are the races the tool is
 * for.
 *
 * Not reentrant: there is one world (the_world) and one run at a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/check.h"
#include "mmt/daemon.h"
#include "mmt/exec.h"
#include "mmt/gup.h"
#include "mmt/hmm.h"
#include "mmt/huge_mm.h"
#include "mmt/inject.h"
#include "mmt/kprim.h"
#include "mmt/khugepaged.h"
#include "mmt/ksm.h"
#include "mmt/migrate.h"
#include "mmt/mm.h"
#include "mmt/page_idle.h"
#include "mmt/program.h"
#include "mmt/swap.h"
#include "mmt/userfaultfd.h"
#include "mmt/world.h"

#include "mmt/oracle.h"

/* an op that ran, for overlap detection (multi-task runs only) */
struct oplog {
	long op;
	int task;
	uint64_t start, end;	/* sequence numbers; end UINT64_MAX while running */
	/* a read: what the oracle said when it started */
	int pre_verdict;	/* enum oracle_verdict */
	uint64_t pre_val;
};

/*
 * What a read that overlapped other ops may return: the value before it
 * started, the value after it ended, or a value one of the overlapping
 * writes stored.  Only when every overlapping op that changes data is a
 * write; with anything else (munmap, fork, DONTNEED, ...) it is not judged.
 */
#define READ_WINDOW_MAX 16
struct read_window {
	bool judgeable;
	int nr;
	uint64_t val[READ_WINDOW_MAX];
};

struct exec_task {
	int id;
	long *ops;		/* indexes into p->ops, program order */
	size_t nr_ops, cap_ops;
	bool in_op;
	long cur_op;		/* op being run or last run, -1 before the first */
	uint32_t op_k;		/* decision points it reached since cur_op began */
	size_t log;		/* its oplog entry while in_op */
	int *status;		/* migrate's per-page status buffer */
	size_t cap_status;
};

#define CONFLICT_SLOTS	2048	/* a power of two */

struct exec {
	const struct mmt_program *p;
	const struct mmt_exec_opts *opts;
	struct mmt_exec_result *r;
	struct oracle *orc;

	struct mm_struct *mm[MMT_MAX_PROCS];
	/* multi-task: ops on a process hold it for read, exit for write */
	struct rw_semaphore users[MMT_MAX_PROCS];
	bool users_init;

	int nr_tasks;
	struct exec_task task[MMT_MAX_TASKS];
	int running;		/* task the scheduler last switched to */

	struct kp_decider dec;
	unsigned long nr_decisions;
	size_t cap_sched, cap_switches;

	struct oplog *log;
	size_t nr_log, cap_log;
	uint64_t seq;

	bool in_program;	/* the tasks phase: the schedule applies */
	bool stop;		/* assertion failed / violation: start no new op */
	bool asserted;
	bool diverged;
	long fail_op;		/* first op during or after which a violation showed */
	unsigned long ops_done;

	/*
	 * on_conflict: who took each lock instance, or touched each field of
	 * an object, last (open addressing on the lockinfo's address or the
	 * object's with its field class, cleared for every run; a full table
	 * forgets the oldest slot it probes, which only loses feedback)
	 */
	struct last_taker {
		uintptr_t key;
		uint8_t task, op, write;
	} taker[CONFLICT_SLOTS];
};

static struct exec the_exec;
/* ex->mm[] of a process whose spawn, fork or exit is under way */
static struct mm_struct creating_marker;
#define MM_CREATING (&creating_marker)
static struct oracle *the_oracle;
/* the last run ended with locks held or a task half way: rebuild the world */
static bool world_dirty;
/* the config the_world was built from (world_create may normalise its copy) */
static struct world_config world_cfg;

/* ------------------------------------------------------------- helpers */

void mmt_exec_opts_default(struct mmt_exec_opts *o)
{
	static int inflight = -1;

	if (inflight < 0) {
		const char *e = getenv("MMT_INFLIGHT");

		inflight = !(e && !strcmp(e, "0"));
	}
	memset(o, 0, sizeof(*o));
	o->check_each_op = true;
	o->stop_on_violation = true;
	o->check_inflight = inflight;
}

static void *grow(void *a, size_t *cap, size_t need, size_t elem)
{
	size_t n;
	void *b;

	if (need <= *cap)
		return a;
	n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	b = realloc(a, n * elem);
	if (!b) {
		fprintf(stderr, "mmtorture: exec: out of memory\n");
		abort();
	}
	*cap = n;
	return b;
}

static const char *pname(const struct exec *ex, int proc)
{
	if (proc >= 0 && proc < ex->p->nr_names)
		return ex->p->names[proc];
	return "?";
}


static int mmap_prot(int mprot)
{
	switch (mprot) {
	case MPROT_R:
		return PROT_READ;
	case MPROT_W:
	case MPROT_RW:
		return PROT_READ | PROT_WRITE;
	default:
		return PROT_NONE;
	}
}

static int mmap_flags(int mfl)
{
	int f = 0;

	if (mfl & MFL_PRIVATE)
		f |= MAP_PRIVATE;
	if (mfl & MFL_SHARED)
		f |= MAP_SHARED;
	if (mfl & MFL_ANON)
		f |= MAP_ANONYMOUS;
	return f;
}

static const int advice_value[NR_MMT_ADVICE] = {
	[ADV_NORMAL] = MADV_NORMAL,		[ADV_WILLNEED] = MADV_WILLNEED,
	[ADV_DONTNEED] = MADV_DONTNEED,		[ADV_PAGEOUT] = MADV_PAGEOUT,
	[ADV_COLD] = MADV_COLD,			[ADV_MERGEABLE] = MADV_MERGEABLE,
	[ADV_UNMERGEABLE] = MADV_UNMERGEABLE,	[ADV_DONTFORK] = MADV_DONTFORK,
	[ADV_DOFORK] = MADV_DOFORK,		[ADV_HUGEPAGE] = MADV_HUGEPAGE,
	[ADV_NOHUGEPAGE] = MADV_NOHUGEPAGE,	[ADV_WIPEONFORK] = MADV_WIPEONFORK,
	[ADV_KEEPONFORK] = MADV_KEEPONFORK,
};

/* ops that change no process's data or mappings: overlapping them is safe */
static bool op_neutral(const struct mmt_op *op)
{
	switch (op->code) {
	case OP_READ:
	case OP_MIGRATE:
	case OP_RECLAIM:
	case OP_SWAPON:
	case OP_SWAPOFF:
	case OP_CHECK:
	case OP_SPAWN:
	case OP_KSWAPD:
	case OP_KCOMPACTD:
	case OP_PAGE_IDLE:
	case OP_SPLIT:
	case OP_KHUGEPAGED:
	case OP_DEVICE_MIGRATE:
	case OP_DEVICE_RELEASE:
	case OP_KSMD:
	case OP_KSM_RUN:
	case OP_KSM_MERGE_ACROSS_NODES:
		return true;
	case OP_MADVISE:
		switch (op->advice) {
		case ADV_DONTNEED:
		case ADV_DONTFORK:
		case ADV_DOFORK:
		case ADV_WIPEONFORK:
		case ADV_KEEPONFORK:
			return false;
		default:
			return true;
		}
	default:
		return false;
	}
}

static bool op_has_proc(const struct mmt_op *op)
{
	switch (op->code) {
	case OP_SWAPON:
	case OP_SWAPOFF:
	case OP_RECLAIM:
	case OP_CHECK:
	case OP_KSWAPD:
	case OP_KCOMPACTD:
	case OP_PAGE_IDLE:
	case OP_KSMD:
	case OP_KHUGEPAGED:
	case OP_KSM_RUN:
	case OP_KSM_MERGE_ACROSS_NODES:
		return false;
	default:
		return true;
	}
}

static void note_violation(struct exec *ex, long op)
{
	if (mmt_report.count && ex->fail_op < 0)
		ex->fail_op = op;
	if (mmt_report.count && ex->opts->stop_on_violation)
		ex->stop = true;
}

static void lockorder_report(enum kp_lock_class held, enum kp_lock_class taken)
{
	const char *first = kp_lockorder_first(taken, held);
	char obj[64], now[160];

	kp_context(now, sizeof(now));
	snprintf(obj, sizeof(obj), "task %d", kp_current_id());
	mmt_violation(INV_LOCKORDER, obj, "took %s while holding %s in '%s'; the order %s -> %s "
		      "was %s%s%s", kp_lock_class_name(taken), kp_lock_class_name(held),
		      now[0] ? now : "?", kp_lock_class_name(taken), kp_lock_class_name(held),
		      first ? "first seen in '" : "documented in rmap.c (not seen in this run)",
		      first ? first : "", first ? "'" : "");
}

/* lock-order context of a task: "line N: @T op args" */
static void op_context(char *buf, unsigned long len, const void *arg)
{
	const struct mmt_op *op = arg;
	const struct exec *ex = &the_exec;
	int n;

	n = snprintf(buf, len, "line %u: ", op->line);
	if (n >= 0 && (unsigned long)n < len && mmt_print_op(buf + n, len - (unsigned long)n,
							       ex->p, op) < 0)
		snprintf(buf + n, len - (unsigned long)n, "%s", mmt_opcode_name(op->code));
}

static bool others_in_op(const struct exec *ex, int self)
{
	int i;

	for (i = 0; i < ex->nr_tasks; i++)
		if (i != self && ex->task[i].in_op)
			return true;
	return false;
}

/* ----------------------------------------------------- the scheduler */

static bool is_runnable(const int *ids, int nr, int id)
{
	int i;

	for (i = 0; i < nr; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* one side of a switch: the op (or none between ops) and its locks */
static uint32_t task_point(struct exec *ex, int id)
{
	const struct exec_task *t = &ex->task[id];
	uint32_t op = t->in_op && t->cur_op >= 0 ? ex->p->ops[t->cur_op].code + 1u : 0;
	int waiting;
	unsigned held = kp_task_locks(id, &waiting);

	return (op << 24) ^ ((uint32_t)waiting << 16) ^ (held & 0xffffu);
}

/*
 * where both tasks of a switch stand, as one hash (mmt_exec_opts.on_switch);
 * ordered, so A preempted for B is not B preempted for A
 */
static uint32_t switch_point(struct exec *ex, int from, int to)
{
	uint64_t h = ((uint64_t)task_point(ex, from) << 32) | task_point(ex, to);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

/*
 * Pair this touch of @key (a lock instance, or a field of an object) by the
 * current task with the last one by another task, when one of the two
 * writes: an ordering of two ops over one object, hashed with @cls (the
 * lock's class, or 64 + the field's) and @ctx (the lock classes the task
 * holds, for a field) into exec.h on_conflict.
 */
static void conflict_note(uintptr_t key, unsigned cls, unsigned ctx, bool write)
{
	struct exec *ex = &the_exec;
	int id = kp_current_id();
	const struct exec_task *t;
	struct last_taker *e = NULL;
	uint32_t slot, op;
	uint64_t h;

	if (!ex->in_program || id < 0 || id >= ex->nr_tasks)
		return;
	t = &ex->task[id];
	op = t->in_op && t->cur_op >= 0 ? ex->p->ops[t->cur_op].code + 1u : 0;
	slot = (uint32_t)(((key >> 3) ^ (key >> 23)) * 0x9e3779b1u) & (CONFLICT_SLOTS - 1);
	for (int probe = 0; probe < 8; probe++) {
		struct last_taker *x = &ex->taker[(slot + (uint32_t)probe) & (CONFLICT_SLOTS - 1)];

		if (x->key == key || !x->key) {
			e = x;
			break;
		}
	}
	if (!e)
		e = &ex->taker[slot];
	if (e->key == key && e->task != id && (e->write || write)) {
		h = (uint64_t)ctx << 48 | (uint64_t)cls << 40 | (uint64_t)e->op << 24 |
		    (uint64_t)op << 8 | (uint64_t)e->write << 1 | (uint64_t)write;
		h ^= h >> 33;
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 33;
		ex->opts->on_conflict(ex->opts->conflict_arg, (uint32_t)h);
	}
	*e = (struct last_taker){ .key = key, .task = (uint8_t)id, .op = (uint8_t)op,
				  .write = write };
}

/* kp_acquire_hook while the tasks run (exec.h on_conflict) */
static void exec_acquired(const struct kp_lockinfo *li, bool write)
{
	conflict_note((uintptr_t)li, li->cls, 0, write);
}

/*
 * kp_access_hook while the tasks run (exec.h conflict_fields): the field's
 * key is the object's address shifted to make room for the class (a key
 * that meets a lock's address only blurs feedback)
 */
static void exec_accessed(const void *obj, enum kp_field field, bool write)
{
	const struct mmt_exec_opts *o = the_exec.opts;
	int waiting, id = kp_current_id();
	uintptr_t key = (uintptr_t)obj << 4 | (uintptr_t)field;
	unsigned held;

	/* the checker reads everything between two ops: not an access */
	if (!the_exec.in_program || id < 0 || id >= the_exec.nr_tasks ||
	    !the_exec.task[id].in_op)
		return;
	if (o->touch_fields && o->on_touch)
		o->on_touch(o->touch_arg, (const void *)key, write);
	if (!o->conflict_fields || !o->on_conflict || the_exec.nr_tasks < 2)
		return;
	held = kp_task_locks(id, &waiting);
	conflict_note(key, 64u + field, (held ^ held >> 16) & 0xffffu, write);
}

/* kp_touch_hook while the tasks run (exec.h on_touch) */
static void exec_touched(const void *obj, bool write)
{
	struct exec *ex = &the_exec;

	if (ex->in_program)
		ex->opts->on_touch(ex->opts->touch_arg, obj, write);
}

/* the anchored switch for this decision point, or -1 */
static int anchored_want(const struct exec *ex, const struct exec_task *t)
{
	const struct mmt_exec_opts *o = ex->opts;

	for (size_t i = 0; i < o->nr_switches; i++) {
		const struct mmt_switch *s = &o->switches[i];

		if (s->task == t->id && s->op == t->cur_op && s->k == t->op_k)
			return s->to;
	}
	return -1;
}

static int exec_pick(struct kp_decider *d, const int *ids, int nr, int cur)
{
	struct exec *ex = container_of(d, struct exec, dec);
	const struct mmt_program *p = ex->p;
	unsigned long k = ex->nr_decisions++;
	/* the task that reached this point; it may have just finished */
	struct exec_task *at = &ex->task[cur >= 0 ? cur : ex->running];
	int pick = -1, dflt;

	if (!ex->in_program) {
		/* setup and final phases: one task, nothing to decide */
	} else if (ex->opts->decider) {
		pick = ex->opts->decider->pick(ex->opts->decider, ids, nr, cur);
		if (!is_runnable(ids, nr, pick))
			pick = -1;
	} else if (ex->opts->switches) {
		pick = anchored_want(ex, at);
		if (!is_runnable(ids, nr, pick))
			pick = -1;
	} else if (p->has_schedule && k < p->nr_schedule && !ex->diverged) {
		int want = p->schedule[k];

		if (is_runnable(ids, nr, want)) {
			pick = want;
		} else if (want < ex->nr_tasks && !ex->opts->lenient_schedule &&
			   !p->schedule_lenient) {
			/* finish the ops in flight so the world stays consistent */
			ex->diverged = true;
			ex->stop = true;
			snprintf(ex->r->msg, sizeof(ex->r->msg),
				 "schedule entry %lu names task %d which cannot run", k, want);
		}
	}
	dflt = (cur >= 0 && is_runnable(ids, nr, cur)) ? cur : ids[0];
	if (pick < 0)
		pick = dflt;
	if (ex->opts->on_switch && ex->in_program && cur >= 0 && pick != cur)
		ex->opts->on_switch(ex->opts->switch_arg, switch_point(ex, cur, pick));
	if (ex->nr_tasks > 1) {
		ex->r->schedule = grow(ex->r->schedule, &ex->cap_sched,
				       ex->r->nr_schedule + 1, 1);
		ex->r->schedule[ex->r->nr_schedule++] = (uint8_t)pick;
		if (ex->in_program && pick != dflt) {
			ex->r->switches = grow(ex->r->switches, &ex->cap_switches,
					       ex->r->nr_switches + 1, sizeof(*ex->r->switches));
			ex->r->switches[ex->r->nr_switches++] = (struct mmt_switch){
				.op = (int32_t)at->cur_op, .k = at->op_k,
				.task = (uint8_t)at->id, .to = (uint8_t)pick,
			};
			ex->r->nr_sched_needed = ex->r->nr_schedule;
		}
	}
	if (ex->in_program)
		at->op_k++;
	ex->running = pick;
	return pick;
}

/* ------------------------------------------------------- running an op */

/*
 * Run @op on the model.  Returns its outcome (enum mmt_outcome), or -1 when
 * the model returned an errno the language has no word for (recorded as a
 * BUG).  *skipped says the op could not run because its process did not
 * exist at that moment (only possible with several tasks).
 */
static int model_op(struct exec *ex, struct exec_task *t, const struct mmt_op *op,
		    uint64_t *val, bool *skipped)
{
	struct mm_struct *mm = NULL;
	bool locked = false, access = false;
	long err = 0;
	int out;

	*skipped = false;
	if (op_has_proc(op)) {
		if (ex->users_init) {
			if (op->code == OP_EXIT)
				down_write(&ex->users[op->proc]);
			else
				down_read(&ex->users[op->proc]);
			locked = true;
		}
		mm = ex->mm[op->proc];
		if (op->code == OP_SPAWN ? mm != NULL : (mm == NULL || mm == MM_CREATING)) {
			*skipped = true;
			out = op->code == OP_SPAWN ? OUT_EEXIST : OUT_ENOENT;
			goto out;
		}
		if (op->code == OP_FORK && ex->mm[op->proc2]) {
			*skipped = true;
			out = OUT_EEXIST;
			goto out;
		}
		/* claim the name now: creating it may yield to another task */
		if (op->code == OP_SPAWN)
			ex->mm[op->proc] = MM_CREATING;
		if (op->code == OP_FORK)
			ex->mm[op->proc2] = MM_CREATING;
	}

	switch (op->code) {
	case OP_SPAWN:
		mm = mm_alloc();
		if (!mm)
			err = -ENOMEM;
		ex->mm[op->proc] = mm;
		break;
	case OP_FORK: {
		struct mm_struct *child = NULL;

		err = dup_mm(mm, &child);
		ex->mm[op->proc2] = err ? NULL : child;
		break;
	}
	case OP_EXIT:
		/*
		 * The name stays taken until the teardown is done: a fork to
		 * it that ran meanwhile would end first, and the oracle, told
		 * of the exit last, would think the child gone.
		 */
		ex->mm[op->proc] = MM_CREATING;
		mmput(mm);
		ex->mm[op->proc] = NULL;
		break;
	case OP_MMAP:
		err = do_mmap(mm, op->addr, op->len, mmap_prot(op->prot), mmap_flags(op->mflags));
		break;
	case OP_MUNMAP:
		err = do_munmap(mm, op->addr, op->len);
		break;
	case OP_MPROTECT:
		err = do_mprotect(mm, op->addr, op->len, mmap_prot(op->prot));
		break;
	case OP_MREMAP:
		err = do_mremap(mm, op->addr, op->len, op->addr2, op->len2);
		break;
	case OP_MADVISE:
		err = do_madvise(mm, op->addr, op->len,
				 op->advice < NR_MMT_ADVICE ? advice_value[op->advice] : -1);
		break;
	case OP_READ:
		access = true;
		err = mmt_access(mm, op->addr, false, val);
		break;
	case OP_WRITE: {
		uint64_t v = op->value;

		access = true;
		err = mmt_access(mm, op->addr, true, &v);
		break;
	}
	case OP_MIGRATE: {
		/* move_pages of a huge range would not finish on Linux either */
		size_t n = op->len ? op->len : 1;

		if (op->len > (1u << 24)) {
			err = -ENOMEM;
			break;
		}
		t->status = grow(t->status, &t->cap_status, n, sizeof(int));
		err = do_move_pages(mm, op->addr, op->len, op->node, op->all, t->status);
		if (err > 0)
			err = 0;	/* pages left behind: still a successful call */
		break;
	}
	case OP_SWAPON:
		err = sys_swapon((int)op->addr, op->len);
		break;
	case OP_SWAPOFF:
		err = sys_swapoff((int)op->addr);
		break;
	case OP_RECLAIM:
		reclaim_pages_global(op->addr);
		break;
	case OP_KSWAPD:
		kswapd_run(op->addr);
		break;
	case OP_PAGE_IDLE:
		page_idle_scan(op->addr);
		break;
	case OP_SPLIT:
		/* the folios split are not an outcome: the write returns its length */
		split_huge_pages_pid(mm, op->addr, op->len);
		break;
	case OP_KCOMPACTD:
		err = kcompactd_run(op->node, op->addr);
		if (err > 0)
			err = 0;	/* folios migrated: not an error */
		break;
	case OP_DEVICE_MIGRATE:
		err = dmirror_migrate_to_device(mm, op->addr, op->len);
		break;
	case OP_DEVICE_RELEASE:
		err = dmirror_migrate_to_system(mm, op->addr, op->len);
		break;
	case OP_UFFD_REGISTER:
		err = userfaultfd_register(mm, op->addr, op->len);
		break;
	case OP_KSMD:
		ksmd_run(op->addr);
		break;
	case OP_KHUGEPAGED:
		khugepaged_run(op->addr);
		break;
	case OP_KSM_RUN:
		err = ksm_set_run((int)op->addr);
		break;
	case OP_KSM_MERGE_ACROSS_NODES:
		err = ksm_set_merge_across_nodes((int)op->addr);
		break;
	case OP_UFFD_MOVE:
		/* *val: uffdio_move.move, which the reference model needs */
		err = userfaultfd_move(mm, op->addr, op->addr2, op->len,
				       op->all ? UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES : 0, val);
		break;
	case OP_PIN:
		err = pin_user_pages_range(mm, op->addr, op->len);
		break;
	case OP_UNPIN:
		err = unpin_user_pages_range(mm, op->addr, op->len);
		break;
	case OP_PIN_WRITE: {
		uint64_t v = op->value;

		err = gup_pin_access(mm, op->addr, true, &v);
		break;
	}
	case OP_PIN_READ:
		err = gup_pin_access(mm, op->addr, false, val);
		break;
	case OP_REMAP_FILE_PAGES:
		err = sys_remap_file_pages(mm, op->addr, op->len, op->addr2);
		break;
	case OP_CHECK:
		/* the checker reads without locks: only when nobody is mid-op */
		if (!others_in_op(ex, t->id))
			check_world();
		break;
	default:
		mmt_violation(INV_BUG, "executor", "unknown opcode %d", op->code);
		out = -1;
		goto out;
	}
	out = mmt_errno_outcome(err, access);
	if (out < 0) {
		char obj[64];

		snprintf(obj, sizeof(obj), "%s (line %u)", mmt_opcode_name(op->code), op->line);
		mmt_violation(INV_BUG, obj, "unexpected errno %ld", -err);
	}
out:
	if (locked) {
		if (op->code == OP_EXIT)
			up_write(&ex->users[op->proc]);
		else
			up_read(&ex->users[op->proc]);
	}
	return out;
}

static const char *outcome_str(int out)
{
	return out < 0 ? "unexpected-errno" : mmt_outcome_name(out);
}

/* ------------------------------------------------- judging (oracle) */

/* Does op @y, which overlapped @x in time, leave @x's data ambiguous? */
static bool ops_conflict(const struct exec *ex, const struct mmt_op *x,
			 const struct mmt_op *y)
{
	if (op_neutral(x) || op_neutral(y))
		return false;
	/* private writes of two different processes commute */
	if (x->code == OP_WRITE && y->code == OP_WRITE && x->proc != y->proc &&
	    oracle_private_page(ex->orc, x->proc, x->addr) &&
	    oracle_private_page(ex->orc, y->proc, y->addr))
		return false;
	return true;
}

static void taint_op(struct exec *ex, const struct mmt_op *op)
{
	if (!op_has_proc(op))
		return;
	oracle_taint(ex->orc, op->proc);
	if (op->code == OP_FORK)
		oracle_taint(ex->orc, op->proc2);
}

/*
 * Overlaps of the op that just ended: taint what became ambiguous, and say
 * whether a read by it can still be judged exactly, or else (@rw) against
 * the values some order of the overlapping writes allows.
 */
static bool resolve_overlaps(struct exec *ex, struct exec_task *t, const struct mmt_op *x,
			     struct read_window *rw)
{
	const struct oplog *me = &ex->log[t->log];
	bool read_exact = true;
	size_t i;

	rw->judgeable = x->code == OP_READ;
	rw->nr = 0;
	for (i = 0; i < ex->nr_log; i++) {
		const struct oplog *o = &ex->log[i];
		const struct mmt_op *y;

		if (o->task == t->id || o->start >= me->end || o->end <= me->start)
			continue;
		y = &ex->p->ops[o->op];
		if (ops_conflict(ex, x, y)) {
			taint_op(ex, x);
			taint_op(ex, y);
		}
		if (x->code == OP_READ && !op_neutral(y) &&
		    !(y->code == OP_WRITE && y->proc != x->proc &&
		      oracle_private_page(ex->orc, x->proc, x->addr) &&
		      oracle_private_page(ex->orc, y->proc, y->addr))) {
			read_exact = false;
			if (y->code != OP_WRITE || rw->nr == READ_WINDOW_MAX)
				rw->judgeable = false;
			else
				rw->val[rw->nr++] = y->value;
		}
	}
	return read_exact;
}

static void data_violation(struct exec *ex, const struct mmt_op *op, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A read that overlapped writes: it must succeed if the page was readable
 * both before and after, and return a value some order of those writes
 * allows.  Ambiguity the oracle already gave up on (tainted processes, a
 * fault on one side) is left alone.
 */
static void judge_read_window(struct exec *ex, const struct oplog *me,
			      const struct mmt_op *op, int out, uint64_t val,
			      const struct read_window *rw)
{
	uint64_t now;

	if (!rw->judgeable || me->pre_verdict != ORC_OK || !oracle_certain(ex->orc, op->proc) ||
	    oracle_access(ex->orc, op->proc, op->addr, false, &now) != ORC_OK)
		return;
	if (out != OUT_OK) {
		data_violation(ex, op, "read gave %s while %d overlapping write%s ran, but the "
			       "page is readable before and after (%s)", outcome_str(out), rw->nr,
			       rw->nr == 1 ? "" : "s", oracle_describe(ex->orc, op->proc, op->addr));
		return;
	}
	ex->r->reads_windowed++;
	if (val == me->pre_val || val == now)
		return;
	for (int i = 0; i < rw->nr; i++)
		if (val == rw->val[i])
			return;
	data_violation(ex, op, "read 0x%" PRIx64 " while %d write%s overlapped it, but no order "
		       "of them gives that: before 0x%" PRIx64 ", after 0x%" PRIx64, val, rw->nr,
		       rw->nr == 1 ? "" : "s", me->pre_val, now);
}


static void data_violation(struct exec *ex, const struct mmt_op *op, const char *fmt, ...)
{
	char obj[64], msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (op->code == OP_READ || op->code == OP_WRITE)
		snprintf(obj, sizeof(obj), "mm %s addr 0x%" PRIx64, pname(ex, op->proc), op->addr);
	else
		snprintf(obj, sizeof(obj), "mm %s", pname(ex, op->proc));
	mmt_violation(INV_DATA, obj, "%s", msg);
}

static void judge(struct exec *ex, const struct mmt_op *op, int out, uint64_t val,
		  bool read_exact)
{
	struct oracle *orc = ex->orc;
	enum oracle_verdict v;
	uint64_t want = 0;

	if (out < 0)
		return;
	switch (op->code) {
	case OP_READ:
		if (!read_exact || out == OUT_ENOMEM)
			return;
		v = oracle_access(orc, op->proc, op->addr, false, &want);
		if (v == ORC_OK && out == OUT_OK && val != want)
			data_violation(ex, op, "read 0x%" PRIx64 " but the reference model says 0x%"
				       PRIx64, val, want);
		else if (v == ORC_OK && out != OUT_OK)
			data_violation(ex, op, "read gave %s but the reference model reads 0x%"
				       PRIx64 " (%s)", outcome_str(out), want,
				       oracle_describe(orc, op->proc, op->addr));
		else if (v == ORC_SEGV && out == OUT_OK)
			data_violation(ex, op, "read succeeded (0x%" PRIx64 ") but the reference "
				       "model says it faults (%s)", val,
				       oracle_describe(orc, op->proc, op->addr));
		else if ((v == ORC_SEGV && out == OUT_BUS) || (v == ORC_BUS && out == OUT_SEGV))
			data_violation(ex, op, "read gave %s but the reference model says %s (%s)",
				       outcome_str(out), v == ORC_SEGV ? "SEGV" : "BUS",
				       oracle_describe(orc, op->proc, op->addr));
		else if (v == ORC_BUS && out == OUT_OK)
			data_violation(ex, op, "read succeeded (0x%" PRIx64 ") but the reference "
				       "model says SIGBUS (%s)", val,
				       oracle_describe(orc, op->proc, op->addr));
		return;
	case OP_WRITE:
		if (out == OUT_ENOMEM)
			return;
		v = oracle_access(orc, op->proc, op->addr, true, NULL);
		if (v == ORC_OK && out != OUT_OK)
			data_violation(ex, op, "write gave %s but the reference model says it "
				       "succeeds (%s)", outcome_str(out),
				       oracle_describe(orc, op->proc, op->addr));
		else if (v == ORC_SEGV && out == OUT_OK)
			data_violation(ex, op, "write succeeded but the reference model says it "
				       "faults (%s)", oracle_describe(orc, op->proc, op->addr));
		else if ((v == ORC_SEGV && out == OUT_BUS) || (v == ORC_BUS && out == OUT_SEGV))
			data_violation(ex, op, "write gave %s but the reference model says %s (%s)",
				       outcome_str(out), v == ORC_SEGV ? "SEGV" : "BUS",
				       oracle_describe(orc, op->proc, op->addr));
		else if (v == ORC_BUS && out == OUT_OK)
			data_violation(ex, op, "write succeeded but the reference model says "
				       "SIGBUS (%s)", oracle_describe(orc, op->proc, op->addr));
		return;
	case OP_PIN_READ:
		v = oracle_pin_read(orc, op->proc, op->addr, &want);
		if (v == ORC_OK && out == OUT_OK && val != want)
			data_violation(ex, op, "pin_read 0x%" PRIx64 " through the pin at 0x%"
				       PRIx64 " but the reference model says 0x%" PRIx64, val,
				       op->addr, want);
		else if ((v == ORC_OK && out != OUT_OK) || (v == ORC_SEGV && out != OUT_ENOENT))
			data_violation(ex, op, "pin_read returned %s but the reference model says %s",
				       outcome_str(out), v == ORC_OK ? "ok" : "ENOENT (no such pin)");
		return;
	default: {
		uint32_t mask;

		if (op_has_proc(op) && !oracle_certain(orc, op->proc) &&
		    op->code != OP_SPAWN && op->code != OP_FORK)
			return;
		mask = oracle_expect(orc, op);
		if (mask & ORACLE_OUT(out))
			return;
		/* running out of pool objects is not an errno bug */
		if (out == OUT_ENOMEM) {
			if (op_has_proc(op))
				oracle_taint(orc, op->proc);
			return;
		}
		{
			char exp[96] = "";
			int o, n = 0;

			for (o = 0; o < NR_MMT_OUTCOMES; o++)
				if (mask & ORACLE_OUT(o))
					n += snprintf(exp + n, sizeof(exp) - n, "%s%s", n ? " or " : "",
						      mmt_outcome_name(o));
			data_violation(ex, op, "%s returned %s but the reference model says %s",
				       mmt_opcode_name(op->code), outcome_str(out), exp);
		}
		return;
	}
	}
}

/* the program's own "-> X" and "= V" */
static void check_asserts(struct exec *ex, long idx, const struct mmt_op *op, int out,
			  uint64_t val)
{
	struct mmt_exec_result *r = ex->r;

	if (ex->asserted)
		return;
	if (op->expect >= 0 && out != op->expect) {
		snprintf(r->msg, sizeof(r->msg), "line %u: expected %s, got %s", op->line,
			 mmt_outcome_name(op->expect), outcome_str(out));
	} else if ((op->code == OP_READ || op->code == OP_PIN_READ) && op->has_expect_value &&
		   (out != OUT_OK || val != op->value)) {
		if (out != OUT_OK)
			snprintf(r->msg, sizeof(r->msg), "line %u: expected = 0x%" PRIx64 ", got %s",
				 op->line, op->value, outcome_str(out));
		else
			snprintf(r->msg, sizeof(r->msg), "line %u: expected = 0x%" PRIx64
				 ", got 0x%" PRIx64, op->line, op->value, val);
	} else {
		return;
	}
	ex->asserted = true;
	ex->stop = true;
	if (ex->fail_op < 0 || !mmt_report.count)
		r->fail_op = idx;
}

static void trace_op(struct exec *ex, int task, const struct mmt_op *op, int out,
		     uint64_t val, bool skipped)
{
	char buf[256];

	mmt_print_op(buf, sizeof(buf), ex->p, op);
	fprintf(ex->opts->trace, "[%d] %u: %s -> %s", task, op->line, buf, outcome_str(out));
	if ((op->code == OP_READ || op->code == OP_PIN_READ) && out == OUT_OK)
		fprintf(ex->opts->trace, " (0x%" PRIx64 ")", val);
	if (skipped)
		fprintf(ex->opts->trace, " (no such process at this point)");
	fputc('\n', ex->opts->trace);
}

static void run_one(struct exec *ex, struct exec_task *t, long idx)
{
	const struct mmt_op *op = &ex->p->ops[idx];
	bool multi = ex->nr_tasks > 1, skipped, read_exact = true;
	struct read_window rw = { .judgeable = false };
	uint64_t val = 0;
	int out;

	t->cur_op = idx;
	t->op_k = 0;
	t->in_op = true;
	ex->running = t->id;
	if (multi && ex->opts->on_touch)
		ex->opts->on_touch(ex->opts->touch_arg, &ex->seq, true);
	if (multi) {
		ex->log = grow(ex->log, &ex->cap_log, ex->nr_log + 1, sizeof(*ex->log));
		t->log = ex->nr_log++;
		ex->log[t->log] = (struct oplog){ idx, t->id, ++ex->seq, UINT64_MAX,
						  ORC_UNKNOWN, 0 };
		if (op->code == OP_READ)
			ex->log[t->log].pre_verdict =
				oracle_access(ex->orc, op->proc, op->addr, false,
					      &ex->log[t->log].pre_val);
	}

	kp_set_context(op_context, op);
	out = model_op(ex, t, op, &val, &skipped);
	kp_set_context(NULL, NULL);

	if (multi && ex->opts->on_touch)
		ex->opts->on_touch(ex->opts->touch_arg, &ex->seq, true);
	if (multi) {
		ex->log[t->log].end = ++ex->seq;
		if (!skipped)
			read_exact = resolve_overlaps(ex, t, op, &rw);
	}
	t->in_op = false;
	ex->ops_done++;
	if (!skipped) {
		judge(ex, op, out, val, read_exact);
		if (!read_exact && out >= 0 && out != OUT_ENOMEM)
			judge_read_window(ex, &ex->log[t->log], op, out, val, &rw);
		if (out >= 0)
			oracle_apply(ex->orc, op, out, val);
	}
	if (ex->opts->trace)
		trace_op(ex, t->id, op, out, val, skipped);
	if (ex->opts->on_op && !skipped)
		ex->opts->on_op(ex->opts->op_arg, idx, out, op->code == OP_READ ? val : 0);
	check_asserts(ex, idx, op, out, val);
	if (ex->opts->check_each_op && !others_in_op(ex, t->id)) {
		if (ex->opts->check_mode == MMT_CHECK_FULL)
			check_world();
		else
			check_world_incremental();	/* final_fn runs the full one */
	}
	note_violation(ex, idx);
}

static void task_fn(void *arg)
{
	struct exec_task *t = arg;
	struct exec *ex = &the_exec;
	size_t i;

	for (i = 0; i < t->nr_ops && !ex->stop; i++)
		run_one(ex, t, t->ops[i]);
}

/* ---------------------------------------------------- setup and final */

struct setup_arg {
	struct exec *ex;
	uint64_t swap;
	long err;
};

static void setup_fn(void *arg)
{
	struct setup_arg *s = arg;

	s->err = sys_swapon(0, s->swap);
}

static void dump_page(uint64_t addr, uint64_t want, void *arg)
{
	void **a = arg;
	struct exec *ex = a[0];
	int proc = (int)(intptr_t)a[1];
	uint64_t got = 0;
	char obj[64];
	int err;

	if (mmt_report.count && ex->opts->stop_on_violation)
		return;
	err = mmt_access(ex->mm[proc], addr, false, &got);
	snprintf(obj, sizeof(obj), "mm %s addr 0x%" PRIx64, pname(ex, proc), addr);
	if (err == -ENOMEM)
		return;
	if (err)
		mmt_violation(INV_DATA, obj, "final dump: read gave errno %d but the reference "
			      "model reads 0x%" PRIx64, -err, want);
	else if (got != want)
		mmt_violation(INV_DATA, obj, "final dump: read 0x%" PRIx64 " but the reference "
			      "model says 0x%" PRIx64, got, want);
}

static void final_fn(void *arg)
{
	struct exec *ex = arg;
	bool empty = true;
	int i;

	check_world();
	for (i = 0; i < MMT_MAX_PROCS; i++) {
		void *a[2] = { ex, (void *)(intptr_t)i };

		if (!ex->mm[i])
			continue;
		empty = false;
		oracle_for_each_page(ex->orc, i, dump_page, a);
	}
	if (mmt_report.count && ex->opts->stop_on_violation)
		return;
	if (ex->opts->teardown) {
		for (i = 0; i < MMT_MAX_PROCS; i++) {
			if (ex->mm[i]) {
				mmput(ex->mm[i]);
				ex->mm[i] = NULL;
			}
		}
		/* ksmd and khugepaged let go of the exited mms, as on their next passes */
		ksmd_reap();
		khugepaged_reap();
		for (int t = 0; t < (1 << MAX_SWAPFILES_SHIFT); t++) {
			struct swap_info_struct *si = swap_type_to_info(t);

			if (si && sys_swapoff(si->id))
				mmt_violation(INV_SWAPMAP, "teardown", "swapoff of device %d failed",
					      si->id);
		}
		if (mmt_report.count && ex->opts->stop_on_violation)
			return;
		check_world_empty();
		return;
	}
	if (empty && oracle_ended_empty(ex->orc)) {
		ksmd_reap();
		khugepaged_reap();
		check_world_empty();
	}
}

/* ---------------------------------------------------------- the run */

static bool cfg_equal(const struct world_config *a, const struct world_config *b)
{
	return a->nodes == b->nodes && a->frames == b->frames && a->swap == b->swap &&
	       a->max_mms == b->max_mms && a->max_vmas == b->max_vmas &&
	       a->max_pgtables == b->max_pgtables && a->device == b->device &&
	       a->thp_orders == b->thp_orders && a->no_zeropage == b->no_zeropage &&
	       a->no_huge_zeropage == b->no_huge_zeropage && a->thp_always == b->thp_always;
}

/*
 * Worlds already built, by config (the swap size is not part of the key: it
 * only says how big the setup's swapon is).  Fuzzer inputs pick their world
 * from a few dozen configs, and building one costs about a millisecond
 * while resetting one costs microseconds, so switching between configs must
 * not rebuild.
 */
#define WORLD_CACHE 16
static struct {
	struct world_config cfg;
	struct world *w;
} world_cache[WORLD_CACHE];
static unsigned world_cache_next;

static bool cfg_same_shape(const struct world_config *a, const struct world_config *b)
{
	struct world_config x = *a, y = *b;

	x.swap = y.swap = 0;
	return cfg_equal(&x, &y);
}

static int build_world(const struct mmt_program *p, struct mmt_exec_result *r)
{
	struct world_config cfg;
	unsigned i;

	world_config_default(&cfg);
	if (p->world.present) {
		if (p->world.nodes)
			cfg.nodes = p->world.nodes;
		if (p->world.frames)
			cfg.frames = p->world.frames;
		cfg.swap = p->world.swap;
		cfg.device = p->world.device;
		cfg.thp_orders = p->world.thp;
		cfg.no_zeropage = p->world.no_zeropage;
		cfg.no_huge_zeropage = p->world.no_huge_zeropage;
		cfg.thp_always = p->world.thp_always;
	}
	if (the_world && world_dirty) {
		/* the last run left locks held or a task half way: throw it away */
		for (i = 0; i < WORLD_CACHE; i++)
			if (world_cache[i].w == the_world)
				world_cache[i].w = NULL;
		world_destroy(the_world);
	}
	world_dirty = false;
	for (i = 0; i < WORLD_CACHE; i++) {
		if (world_cache[i].w && cfg_same_shape(&world_cache[i].cfg, &cfg)) {
			world_reset(world_cache[i].w);	/* makes it the_world */
			the_world->cfg.swap = cfg.swap;
			world_cfg = cfg;
			return 0;
		}
	}
	i = world_cache_next++ % WORLD_CACHE;
	if (world_cache[i].w)
		world_destroy(world_cache[i].w);
	world_cache[i].w = NULL;
	world_cfg = cfg;
	if (!world_create(&cfg)) {
		snprintf(r->msg, sizeof(r->msg), "cannot build a world with nodes=%d frames=%u swap=%"
			 PRIu64, cfg.nodes, cfg.frames, cfg.swap);
		return -1;
	}
	world_cache[i].cfg = cfg;
	world_cache[i].w = the_world;
	return 0;
}

static void record_violation(struct exec *ex)
{
	struct mmt_exec_result *r = ex->r;
	const struct mmt_violation *v = &mmt_report.first;

	r->status = EXEC_VIOLATION;
	r->violation = *v;
	r->fail_op = ex->fail_op;
	snprintf(r->msg, sizeof(r->msg), "%s: %s: %s", mmt_invariant_name(v->inv),
		 v->object, v->msg);
}

static void exec_clear(struct exec *ex)
{
	int i;

	for (i = 0; i < MMT_MAX_TASKS; i++) {
		ex->task[i].nr_ops = 0;
		ex->task[i].in_op = false;
		ex->task[i].cur_op = -1;
		ex->task[i].op_k = 0;
		ex->task[i].id = i;
	}
	memset(ex->mm, 0, sizeof(ex->mm));
	ex->nr_log = 0;
	ex->seq = 0;
	ex->stop = ex->asserted = ex->diverged = false;
	ex->fail_op = -1;
	ex->ops_done = 0;
	ex->nr_decisions = 0;
	ex->cap_sched = 0;
	ex->cap_switches = 0;
	ex->running = 0;
	ex->nr_tasks = 1;
	ex->in_program = false;
	ex->users_init = false;
}

int mmt_exec(const struct mmt_program *p, const struct mmt_exec_opts *o,
	     struct mmt_exec_result *r)
{
	static struct mmt_exec_opts defaults;
	struct exec *ex = &the_exec;
	kp_task_fn fns[MMT_MAX_TASKS];
	void *args[MMT_MAX_TASKS];
	enum kp_sched_result res;
	unsigned long nd;
	size_t i;
	int nr_tasks = 1, t;

	if (!o) {
		mmt_exec_opts_default(&defaults);
		o = &defaults;
	}
	memset(r, 0, sizeof(*r));
	r->fail_op = -1;
	exec_clear(ex);
	ex->p = p;
	ex->opts = o;
	ex->r = r;
	ex->dec.pick = exec_pick;

	if (!the_oracle) {
		the_oracle = oracle_create();
		if (!the_oracle) {
			r->status = EXEC_SETUP;
			snprintf(r->msg, sizeof(r->msg), "out of memory");
			return r->status;
		}
	}
	ex->orc = the_oracle;

	if (build_world(p, r)) {
		r->status = EXEC_SETUP;
		return r->status;
	}
	mmt_injected_mask = o->inject;
	if (mmt_inject_from_env() < 0) {
		r->status = EXEC_SETUP;
		snprintf(r->msg, sizeof(r->msg), "bad bug name in $MMT_INJECT");
		return r->status;
	}
	mmt_report_reset();
	kp_set_lockorder_report(lockorder_report);

	/* the world's own swap device is id 0, as if the program began with swapon */
	if (the_world->cfg.swap > 0) {
		struct setup_arg s = { ex, the_world->cfg.swap, 0 };
		kp_task_fn fn = setup_fn;
		void *arg = &s;

		res = kp_sched_run(1, &fn, &arg, &ex->dec, &nd);
		if (res != KP_SCHED_DONE || s.err) {
			world_dirty = res != KP_SCHED_DONE;
			r->status = mmt_report.count ? EXEC_VIOLATION : EXEC_SETUP;
			if (mmt_report.count)
				record_violation(ex);
			else
				snprintf(r->msg, sizeof(r->msg), "swapon 0 %" PRIu64 " failed: errno %ld",
					 the_world->cfg.swap, -s.err);
			goto out;
		}
	}
	oracle_reset(ex->orc, the_world->cfg.swap > 0 ? 0 : -1);
	ex->nr_decisions = 0;	/* the program's schedule starts with its tasks */

	for (i = 0; i < p->nr_ops; i++) {
		struct exec_task *tk = &ex->task[p->ops[i].task % MMT_MAX_TASKS];

		if (p->ops[i].task + 1 > nr_tasks)
			nr_tasks = p->ops[i].task + 1;
		tk->ops = grow(tk->ops, &tk->cap_ops, tk->nr_ops + 1, sizeof(long));
		tk->ops[tk->nr_ops++] = (long)i;
	}
	if (nr_tasks > MMT_MAX_TASKS)
		nr_tasks = MMT_MAX_TASKS;
	ex->nr_tasks = nr_tasks;
	if (nr_tasks > 1) {
		for (t = 0; t < MMT_MAX_PROCS; t++)
			init_rwsem(&ex->users[t], LC_NONE);
		ex->users_init = true;
	}
	for (t = 0; t < nr_tasks; t++) {
		fns[t] = task_fn;
		args[t] = &ex->task[t];
	}

	ex->in_program = true;
	if (o->check_inflight) {
		check_inflight_reset();
		kp_set_inflight_hook(check_inflight);
	}
	if (o->on_conflict && nr_tasks > 1) {
		memset(ex->taker, 0, sizeof(ex->taker));
		kp_set_acquire_hook(exec_acquired);
	}
	if ((o->on_conflict && nr_tasks > 1 && o->conflict_fields) ||
	    (o->on_touch && o->touch_fields))
		kp_set_access_hook(exec_accessed);
	if (o->on_touch)
		kp_set_touch_hook(exec_touched);
	res = kp_sched_run(nr_tasks, fns, args, &ex->dec, &nd);
	kp_set_inflight_hook(NULL);
	kp_set_acquire_hook(NULL);
	kp_set_access_hook(NULL);
	kp_set_touch_hook(NULL);
	ex->in_program = false;
	r->ops_done = ex->ops_done;
	r->nr_schedule = nr_tasks > 1 ? r->nr_schedule : 0;

	if (res == KP_SCHED_ABORTED) {
		world_dirty = true;
		if (ex->fail_op < 0)
			ex->fail_op = ex->task[ex->running].cur_op;
		if (!mmt_report.count)
			mmt_violation(INV_BUG, "executor", "the run was aborted without a report");
		record_violation(ex);
		goto out;
	}
	if (res == KP_SCHED_DEADLOCK) {
		char obj[64] = "tasks", blocked[256] = "";
		int n = 0;

		world_dirty = true;
		for (t = 0; t < nr_tasks; t++)
			if (ex->task[t].in_op)
				n += snprintf(blocked + n, sizeof(blocked) - n, "%s@%d in op %ld",
					      n ? ", " : "", t, ex->task[t].cur_op);
		mmt_violation(INV_DEADLOCK, obj, "no task can run: %s", blocked);
		if (ex->fail_op < 0)
			ex->fail_op = ex->task[ex->running].cur_op;
		record_violation(ex);
		goto out;
	}

	if (!ex->stop) {
		kp_task_fn fn = final_fn;
		void *arg = ex;
		unsigned long save = ex->nr_decisions;
		size_t save_sched = r->nr_schedule;

		res = kp_sched_run(1, &fn, &arg, &ex->dec, &nd);
		ex->nr_decisions = save;
		r->nr_schedule = save_sched;	/* the final phase is not the program's */
		if (res != KP_SCHED_DONE)
			world_dirty = true;
		if (mmt_report.count && ex->fail_op < 0)
			ex->fail_op = p->nr_ops ? (long)p->nr_ops - 1 : -1;
	}

	if (mmt_report.count) {
		record_violation(ex);
	} else if (ex->asserted) {
		r->status = EXEC_ASSERT;
	} else if (ex->diverged) {
		r->status = EXEC_DIVERGED;
		r->fail_op = -1;
	} else {
		r->status = EXEC_PASS;
	}
out:
	if (ex->users_init) {
		for (t = 0; t < MMT_MAX_PROCS; t++)
			destroy_rwsem(&ex->users[t]);
		ex->users_init = false;
	}
	return r->status;
}

void mmt_exec_result_free(struct mmt_exec_result *r)
{
	free(r->schedule);
	r->schedule = NULL;
	r->nr_schedule = 0;
	free(r->switches);
	r->switches = NULL;
	r->nr_switches = 0;
}

/* ---------------------------------------------------------- reporting */

static const char *status_name(enum mmt_exec_status s)
{
	switch (s) {
	case EXEC_PASS:		return "PASS";
	case EXEC_VIOLATION:	return "VIOLATION";
	case EXEC_ASSERT:	return "ASSERT";
	case EXEC_DIVERGED:	return "DIVERGED";
	case EXEC_SETUP:	return "SETUP";
	}
	return "?";
}

void mmt_exec_report(FILE *f, const char *path, const struct mmt_program *p,
		     const struct mmt_exec_result *r)
{
	bool multi = false;
	long last, i;
	char buf[256];

	for (i = 0; i < (long)p->nr_ops; i++)
		if (p->ops[i].task)
			multi = true;

	fprintf(f, "%s: %s", path, status_name(r->status));
	if (r->status == EXEC_VIOLATION)
		fprintf(f, " %s", mmt_invariant_name(r->violation.inv));
	if (r->fail_op >= 0 && r->fail_op < (long)p->nr_ops) {
		if (p->ops[r->fail_op].line)
			fprintf(f, " at line %u", p->ops[r->fail_op].line);
		fprintf(f, " (op %ld)", r->fail_op);
	}
	if (r->status == EXEC_VIOLATION)
		fprintf(f, ": %s: %s\n", r->violation.object, r->violation.msg);
	else
		fprintf(f, ": %s\n", r->msg);
	if (r->status == EXEC_PASS || r->status == EXEC_SETUP)
		return;

	/* one task: the ops ran in program order; several: show them all */
	last = multi ? (long)p->nr_ops - 1 : r->fail_op;
	if (last < 0 || last >= (long)p->nr_ops)
		last = (long)p->nr_ops - 1;
	fprintf(f, "op trace:\n");
	for (i = 0; i <= last; i++) {
		mmt_print_op(buf, sizeof(buf), p, &p->ops[i]);
		fprintf(f, "%c %4u: %s\n", i == r->fail_op ? '>' : ' ', p->ops[i].line, buf);
	}
	if (multi && r->nr_schedule) {
		size_t k;

		fprintf(f, "schedule taken (%zu decisions):", r->nr_schedule);
		for (k = 0; k < r->nr_schedule; k++)
			fprintf(f, " %u", r->schedule[k]);
		fputc('\n', f);
	}
}
