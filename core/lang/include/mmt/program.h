/* SPDX-License-Identifier: MIT */
/*
 * program.h - the .mmt reproducer language: its abstract syntax, the reader
 * and the printer.  The grammar is documented in docs/mmt-language.md.
 *
 *   program  := "mmt 1" NL { line NL }
 *   line     := [ "@" TASK ] op [ "=" VALUE ] [ "->" OUTCOME ]   | world | schedule
 *   world    := "world" { KEY "=" NUMBER }       (nodes, frames, swap)
 *   schedule := "schedule" [ "lenient" ] { TASK | TASK "*" COUNT }   (COUNT decisions of TASK)
 *
 * Addresses are page numbers and counts are pages.  Numbers are decimal or
 * 0x hex.  '#' starts a comment.  Printing a parsed program gives its
 * canonical text; parsing that text gives the same program back.
 */
#ifndef MMT_PROGRAM_H
#define MMT_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MMT_MAX_PROCS	64	/* distinct process names in one program */
#define MMT_MAX_TASKS	8	/* @0 .. @7 */
#define MMT_NAME_MAX	32
#define MMT_MAX_SCHEDULE 65536

enum mmt_opcode {
	OP_SPAWN,	/* spawn P */
	OP_FORK,	/* fork P Q */
	OP_EXIT,	/* exit P */
	OP_MMAP,	/* mmap P ADDR N PROT FLAGS */
	OP_MUNMAP,	/* munmap P ADDR N */
	OP_MPROTECT,	/* mprotect P ADDR N PROT */
	OP_MREMAP,	/* mremap P ADDR N NEWADDR NEWN */
	OP_MADVISE,	/* madvise P ADDR N ADVICE */
	OP_READ,	/* read P ADDR [= V] */
	OP_WRITE,	/* write P ADDR V */
	OP_MIGRATE,	/* migrate P ADDR N NODE [all] */
	OP_SWAPON,	/* swapon ID SLOTS */
	OP_SWAPOFF,	/* swapoff ID */
	OP_RECLAIM,	/* reclaim N */
	OP_CHECK,	/* check */
	OP_KSWAPD,	/* kswapd N: background reclaim (a kernel daemon's pass) */
	OP_KCOMPACTD,	/* kcompactd NODE N: compaction of NODE's LRU */
	/* migrate_vma and device-private memory (issue 15) */
	OP_DEVICE_MIGRATE,	/* device_migrate P ADDR N: the driver takes the range */
	OP_DEVICE_RELEASE,	/* device_release P ADDR N: the device hands it back */
	OP_UFFD_REGISTER,	/* uffd_register P ADDR N: missing mode */
	/* KSM (seed 001) */
	OP_KSMD,	/* ksmd N: one ksmd wakeup scanning N pages */
	OP_KSM_RUN,	/* ksm_run 0|1|2: /sys/kernel/mm/ksm/run (2 unmerges all) */
	OP_KSM_MERGE_ACROSS_NODES,	/* ksm_merge_across_nodes 0|1 */
	/* UFFDIO_MOVE (seed 003, issue 16) */
	OP_UFFD_MOVE,	/* uffd_move P DST SRC N [holes]: addr=DST, addr2=SRC, len=N, all=holes */
	/* GUP pins (issue 13) */
	OP_PIN,		/* pin P ADDR N: pin_user_pages(FOLL_WRITE|FOLL_LONGTERM) */
	OP_UNPIN,	/* unpin P ADDR N: unpin_user_pages_dirty_lock */
	OP_PIN_WRITE,	/* pin_write P ADDR V: the device writes through P's pin at ADDR */
	OP_PIN_READ,	/* pin_read P ADDR [= V]: the device reads through it */
	/* nonlinear object rmap (seed 004, issue 16 item 4) */
	OP_REMAP_FILE_PAGES,	/* remap_file_pages P ADDR N PGOFF: addr2=PGOFF */
	/* idle page tracking (issue 16 item 2) */
	OP_PAGE_IDLE,	/* page_idle N: N frames of /sys/kernel/mm/page_idle/bitmap read and set */
	/* split on demand (issue 13) */
	OP_SPLIT,	/* split P ADDR N [0]: /sys/kernel/debug/split_huge_pages, new_order 0 */
	/* khugepaged (issue 13 item 3) */
	OP_KHUGEPAGED,	/* khugepaged N: one khugepaged wakeup scanning N ptes */
	NR_MMT_OPCODES
};

/* outcomes: what an op returned */
enum mmt_outcome {
	OUT_OK = 0,
	OUT_SEGV,
	OUT_EINVAL,
	OUT_ENOMEM,
	OUT_EFAULT,
	OUT_EBUSY,
	OUT_EEXIST,
	OUT_ENOENT,
	OUT_EAGAIN,
	OUT_EPERM,
	OUT_ENODEV,
	OUT_EACCES,
	OUT_EINTR,
	OUT_BUS,	/* SIGBUS on an access: past the end of its object */
	NR_MMT_OUTCOMES
};

/* .mmt prot words */
enum mmt_prot { MPROT_NONE, MPROT_R, MPROT_W, MPROT_RW, NR_MPROT };
/* .mmt mmap flag bits */
#define MFL_PRIVATE	0x1
#define MFL_SHARED	0x2
#define MFL_ANON	0x4

enum mmt_advice {
	ADV_NORMAL, ADV_WILLNEED, ADV_DONTNEED, ADV_PAGEOUT, ADV_COLD,
	ADV_MERGEABLE, ADV_UNMERGEABLE, ADV_DONTFORK, ADV_DOFORK,
	ADV_HUGEPAGE, ADV_NOHUGEPAGE, ADV_WIPEONFORK, ADV_KEEPONFORK,
	NR_MMT_ADVICE
};

struct mmt_op {
	uint8_t code;		/* enum mmt_opcode */
	uint8_t task;		/* @N, 0 by default */
	uint8_t proc;		/* index into names[] (all ops but swapon/off, reclaim, check) */
	uint8_t proc2;		/* fork's child */
	uint8_t prot;		/* enum mmt_prot */
	uint8_t mflags;		/* MFL_* */
	uint8_t advice;		/* enum mmt_advice */
	bool all;		/* migrate ... all (MPOL_MF_MOVE_ALL); uffd_move ... holes */
	bool has_expect_value;	/* read ... = V */
	int8_t expect;		/* enum mmt_outcome after '->', or -1 */
	uint64_t addr, len;	/* pages; swapon: addr=ID, len=SLOTS; swapoff: addr=ID;
				 * reclaim, kswapd, kcompactd, ksmd, khugepaged: addr=N (len unused);
				 * ksm_run, ksm_merge_across_nodes: addr=the value */
	uint64_t addr2, len2;	/* mremap's new range; remap_file_pages: addr2=PGOFF */
	uint64_t value;		/* write's and pin_write's value, read's and pin_read's
				 * expected value */
	int32_t node;		/* migrate, kcompactd */
	uint32_t line;		/* source line (0 when built in memory) */
};

/* mmt_program_init() and a world line fill in the defaults: 2, 256, 0, 16 */
struct mmt_world_cfg {
	bool present;		/* a world line was given */
	int nodes;
	uint32_t frames;
	uint64_t swap;
	uint32_t device;	/* device-private frames (default 16) */
	uint32_t thp;		/* anon mTHP orders enabled for madvise (bit k: order k; default 0) */
	bool no_zeropage;	/* zeropage=0: a read fault allocates (mm_forbids_zeropage) */
	bool no_huge_zeropage;	/* hugezero=0: a read fault maps no huge zero pmd (use_zero_page=0) */
	bool thp_always;	/* thpalways=1: the thp orders are "always", not "madvise" */
};

struct mmt_program {
	struct mmt_world_cfg world;
	int nr_names;
	char names[MMT_MAX_PROCS][MMT_NAME_MAX];
	struct mmt_op *ops;
	size_t nr_ops, cap_ops;
	bool has_schedule;
	/*
	 * "schedule lenient": an entry naming a task that cannot run falls back
	 * (as the fuzzers' schedules do) instead of diverging; for reproducers
	 * of a missing lock, whose fixed model blocks where the bug ran on.
	 */
	bool schedule_lenient;
	uint8_t *schedule;	/* task ids, one per decision point */
	size_t nr_schedule;
};

struct mmt_parse_error {
	unsigned line, col;
	char msg[200];
};

const char *mmt_opcode_name(enum mmt_opcode c);
const char *mmt_outcome_name(enum mmt_outcome o);
int mmt_outcome_lookup(const char *s);		/* -1 if unknown; also "OK", "EWOULDBLOCK" */
/*
 * A model call's 0 / -errno as an outcome; from a user access (@access)
 * -EFAULT is SEGV and -EIO is BUS (the model's mmt_access() says so).
 * -1 for an errno the language has no word for.
 */
int mmt_errno_outcome(long err, bool access);
const char *mmt_prot_name(enum mmt_prot p);
const char *mmt_advice_name(enum mmt_advice a);

void mmt_program_init(struct mmt_program *p);
void mmt_program_free(struct mmt_program *p);
/* append an op (copied); 0 or -ENOMEM */
int mmt_program_add(struct mmt_program *p, const struct mmt_op *op);
/* index of @name in names[], adding it; -1 when the table is full (or the
 * name is empty or MMT_NAME_MAX bytes or longer) */
int mmt_program_name(struct mmt_program *p, const char *name);
/* deep copy; @dst is (re)initialized, not freed first; 0 or -ENOMEM (then
 * @dst is left empty) */
int mmt_program_copy(struct mmt_program *dst, const struct mmt_program *src);
/* tasks the program runs: one more than its highest @N (1 with no prefix) */
int mmt_program_nr_tasks(const struct mmt_program *p);
/*
 * Would @p, printed, be read back?  The reader's static rules (a process
 * used before it exists, ...) hold for every program a tool writes out, so
 * shrinking and generating tools keep only candidates that pass this.
 */
bool mmt_program_reparses(const struct mmt_program *p);

/*
 * Parse @len bytes of .mmt text.  0 on success; -1 with @err filled on
 * malformed input (the caller prints "file:line:col: msg").  Never crashes,
 * whatever the bytes.  @out is initialized by the call (not freed first); on
 * error it is left empty.  @err may be NULL.
 */
int mmt_parse(const char *text, size_t len, struct mmt_program *out,
	      struct mmt_parse_error *err);
/* read and parse a file (at most 64 MiB); I/O errors come back as line 1
 * col 1 errors */
int mmt_parse_file(const char *path, struct mmt_program *out, struct mmt_parse_error *err);

/*
 * The printers refuse (-1 / NULL) a program or op that has no text form the
 * reader would take back (bad enum, name index, range, world value...).
 */
/* canonical text; one op per line; 0 or -1 */
int mmt_print(FILE *f, const struct mmt_program *p);
/* the same into a malloc'd string */
char *mmt_print_string(const struct mmt_program *p);
/* one op, without newline, into @buf; returns the length snprintf-style
 * (it may exceed @len - 1: then the text was truncated) or -1 */
int mmt_print_op(char *buf, size_t len, const struct mmt_program *p, const struct mmt_op *op);

#endif /* MMT_PROGRAM_H */
