/* SPDX-License-Identifier: MIT */
/*
 * host.h - running a .mmt program on the running Linux kernel.
 *
 * The model is only as good as its agreement with Linux, so the same
 * program must be runnable on both.  mmt_host_run() runs one on this
 * machine's kernel, the way tools/realkernel.py does:
 *
 *   - every pN is a real process.  A zygote is forked before the first op
 *     (nothing mapped in the test window, its own process group); `spawn`
 *     asks the zygote to fork(), `fork P Q` makes P itself call fork().
 *     Each process serves requests from the caller over its own AF_UNIX
 *     SOCK_SEQPACKET socket (a fixed binary record each way; the socket of
 *     a new process reaches the caller with SCM_RIGHTS);
 *   - every op is the real system call: mmap with MAP_FIXED, munmap,
 *     mprotect, mremap with MREMAP_MAYMOVE|MREMAP_FIXED, madvise,
 *     move_pages (pid 0, MPOL_MF_MOVE or, for `all`, MPOL_MF_MOVE_ALL),
 *     fork, and _exit for `exit` (the caller waits for the socket's EOF:
 *     do_exit() drops the mm before the files);
 *   - a read or a write is one 64-bit load or store at offset 0 of the page,
 *     by the process that owns the memory; the kernel handles the fault as
 *     for any program, and a SIGSEGV or SIGBUS is caught (sigsetjmp) and
 *     becomes the outcome;
 *   - page number N is at BASE + N * page size (BASE 0x200000000000 by
 *     default); file mappings (no `anon`) map one memfd per run at file
 *     offset N * page size, grown at each such mmap to cover the mapped
 *     range, so the same page number is the same file page everywhere;
 *   - swapon, swapoff, reclaim, check, kswapd, kcompactd and khugepaged do nothing
 *     here (the model's own business: the data must simply survive them);
 *     so do device_migrate and device_release (the HMM device needs the
 *     test_hmm module and root) and uffd_register (the model's missing
 *     faults read zeroes, as a fault without uffd does here);
 *   - ksmd, ksm_run and ksm_merge_across_nodes do nothing either, unless
 *     the caller opts in with mmt_host_opts.ksm (--host-ksm): then, as
 *     root, the run drives the machine's own ksmd through
 *     /sys/kernel/mm/ksm (see "host KSM" in host.c) and puts every knob
 *     back when it ends.
 *
 * What cannot run here is skipped, with the reason, never guessed: a
 * migrate to a node this machine does not have, a `migrate ... all`
 * without CAP_SYS_NICE, any migrate where move_pages(2) itself fails (a
 * kernel without NUMA, a seccomp filter), a split where debugfs's
 * split_huge_pages cannot be opened for writing (debugfs not mounted, not
 * root, a kernel in lockdown), an
 * op of a process whose creation failed.  A split that runs is a write
 * of "<pid>,<start>,<end>" there by the driver, for the pid of the
 * process it names.
 *
 * Programs with several tasks are refused: their interleaving cannot be
 * reproduced on a real kernel op for op.
 *
 * The caller must be single-threaded (it forks).  Every process is killed
 * when the run ends, and each request has a timeout, so a hung process
 * cannot hang the caller; if the caller dies, the zygote dies with it
 * (PR_SET_PDEATHSIG) and the others read EOF on their socket and leave.
 */
#ifndef MMT_HOST_H
#define MMT_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmt/program.h"

#define MMT_HOST_BASE	0x200000000000ull

struct mmt_host_opts {
	uint64_t base;		/* address of page 0 (0: MMT_HOST_BASE) */
	double timeout;		/* seconds per op (0: 10) */
	/*
	 * For tests of what sits on top: every write stores its value plus
	 * one, so every later read of the page disagrees with the model.
	 */
	bool corrupt_writes;
	/*
	 * --host-ksm: run ksmd, ksm_run and ksm_merge_across_nodes on the
	 * host's KSM (root and a writable /sys/kernel/mm/ksm/run, else the run
	 * is HOST_UNSUPPORTED).  The knobs are global: a run that changes them
	 * takes a lock file, so runs of this kind go one at a time, and
	 * restores them on every way out, SIGINT and SIGTERM included.
	 */
	bool ksm;
};

void mmt_host_opts_default(struct mmt_host_opts *o);

/* why an op did not run on the host */
enum mmt_host_skip {
	HOST_RAN = 0,
	HOST_SKIP_MODEL_ONLY,	/* swapon, swapoff, reclaim, check, kswapd, kcompactd,
				 * khugepaged, the KSM
				 * ops without mmt_host_opts.ksm,
				 * device_migrate, device_release, uffd_register */
	HOST_SKIP_NO_NODE,	/* migrate to a node this machine does not have */
	HOST_SKIP_NO_CAP,	/* migrate all without CAP_SYS_NICE */
	HOST_SKIP_NO_MOVE_PAGES,	/* move_pages(2) fails here (no NUMA, seccomp) */
	HOST_SKIP_NO_PROC,	/* its process was never created (a spawn or fork failed) */
	HOST_SKIP_NOT_RUN,	/* the run stopped before it (harness error) */
	HOST_SKIP_NO_SPLIT,	/* split: no writable /sys/kernel/debug/split_huge_pages */
	NR_HOST_SKIP
};

/* the reason in words, and as a short key ("model_only", "no_node", ...) */
const char *mmt_host_skip_name(enum mmt_host_skip s);
const char *mmt_host_skip_key(enum mmt_host_skip s);

struct mmt_host_op {
	uint8_t skip;		/* enum mmt_host_skip */
	/*
	 * enum mmt_outcome, or -1 when the kernel said something the language
	 * has no word for (then @err says what).  SIGSEGV is SEGV, SIGBUS is
	 * BUS (@si_code says more).
	 */
	int8_t outcome;
	int err;		/* errno of a failed call, 0 otherwise */
	int sig, si_code;	/* the signal of a failed access, 0 otherwise */
	uint64_t value;		/* what a read returned */
	/*
	 * With mmt_host_opts.ksm, -1 otherwise.  A read: 1 if the page it
	 * read is a KSM page (KPF_KSM in /proc/kpageflags), else 0.  A ksmd
	 * that ran: the pages of the live processes that are merged after it
	 * (their /proc/PID/ksm_merging_pages added up).
	 */
	int8_t ksm_page;
	long ksm_merging;
};

enum mmt_host_status {
	HOST_DONE = 0,		/* every op ran or was skipped with a reason */
	HOST_UNSUPPORTED,	/* the program cannot run here (msg says why) */
	HOST_ERROR,		/* the harness broke: a process died, timed out... */
};

struct mmt_host_result {
	enum mmt_host_status status;
	struct mmt_host_op *ops;	/* one per op of the program (malloc'd) */
	size_t nr_ops;
	long fail_op;			/* HOST_ERROR: the op it broke on, or -1 */
	char msg[256];
};

/*
 * Run @p on this machine's kernel.  Returns 0 (then r->status says how it
 * went) or -ENOMEM; @r is filled either way and freed with
 * mmt_host_result_free().
 */
int mmt_host_run(const struct mmt_program *p, const struct mmt_host_opts *o,
		 struct mmt_host_result *r);
void mmt_host_result_free(struct mmt_host_result *r);

/* the outcome the host gave @op, in words ("ok", "SEGV", "E2BIG", "skipped: ...") */
void mmt_host_describe(const struct mmt_host_op *op, char *buf, size_t len);

/* facts about this machine that decide what can run */
struct mmt_host_info {
	char release[80];	/* uname -r */
	char machine[32];
	long page_size;
	int nr_nodes;		/* nodes with memory */
	uint64_t node_mask;	/* which of nodes 0..63 have memory */
	bool swap;		/* a swap device is on */
	bool cap_sys_nice;	/* move_pages MPOL_MF_MOVE_ALL allowed */
	bool move_pages;	/* move_pages(2) works at all (CONFIG_NUMA, no seccomp) */
	bool supported;		/* this runner works here (Linux, 64-bit) */
	bool ksm_control;	/* mmt_host_opts.ksm can work: root, /sys/kernel/mm/ksm/run writable */
	/*
	 * A read fault of private anonymous memory maps the zero page: 1 (as
	 * upstream Linux and the model do), 0 (a zeroed page of its own: a
	 * kernel booted with pvm_no_zero_page=1, where KSM then merges pages
	 * that were only read, and a fork child's VMA gets its anon_vma), -1
	 * unknown (not root).
	 */
	int zero_page;
	/*
	 * transparent_hugepage/use_zero_page: a read fault that would get a
	 * PMD-sized THP maps the huge zero folio (1, the default) or
	 * allocates the THP (0); -1 unknown (no such file: no THP).
	 */
	int huge_zero_page;
	/*
	 * The split op can run: /sys/kernel/debug/split_huge_pages opens for
	 * writing (debugfs mounted, root, CONFIG_TRANSPARENT_HUGEPAGE, and no
	 * kernel lockdown, which restricts debugfs).
	 */
	bool split_huge_pages;
};

void mmt_host_info(struct mmt_host_info *info);

#endif /* MMT_HOST_H */
