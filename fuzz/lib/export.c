// SPDX-License-Identifier: MIT
/*
 * export.c - a .mmt program as a standalone C program of real system calls
 * (export.h says what the program does).
 *
 * The C file is a fixed runtime (rt_a .. rt_d below) around what is
 * generated from the program: its parameters, run_op() with one case per op
 * that a process runs (the real call, written out so that a reader sees
 * it), and the table of steps the coordinator walks.  The runtime is kept
 * here as lines of text rather than in a file of its own so that the
 * library needs nothing at run time; a change to it is tested by
 * fuzz/tests/export.sh, which compiles and runs the export of every seed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmt/export.h"
#include "mmt/program.h"

static const char *const rt_a[] = {
	"#define _GNU_SOURCE",
	"#include <errno.h>",
	"#include <fcntl.h>",
	"#include <inttypes.h>",
	"#include <pthread.h>",
	"#include <setjmp.h>",
	"#include <signal.h>",
	"#include <stdarg.h>",
	"#include <stdint.h>",
	"#include <stdio.h>",
	"#include <stdlib.h>",
	"#include <string.h>",
	"#include <sys/mman.h>",
	"#include <sys/socket.h>",
	"#include <sys/stat.h>",
	"#include <sys/swap.h>",
	"#include <sys/syscall.h>",
	"#include <sys/time.h>",
	"#include <sys/types.h>",
	"#include <sys/utsname.h>",
	"#include <unistd.h>",
	"",
	"/* not every program calls every helper */",
	"#define UNUSED __attribute__((unused))",
	"",
	"/* advice numbers of kernels newer than some libc headers */",
	"#ifndef MADV_WIPEONFORK",
	"#define MADV_WIPEONFORK 18",
	"#endif",
	"#ifndef MADV_KEEPONFORK",
	"#define MADV_KEEPONFORK 19",
	"#endif",
	"#ifndef MADV_COLD",
	"#define MADV_COLD 20",
	"#endif",
	"#ifndef MADV_PAGEOUT",
	"#define MADV_PAGEOUT 21",
	"#endif",
	"#ifndef MPOL_MF_MOVE",
	"#define MPOL_MF_MOVE (1 << 1)",
	"#endif",
	"#ifndef MPOL_MF_MOVE_ALL",
	"#define MPOL_MF_MOVE_ALL (1 << 2)",
	"#endif",
	"#ifndef MREMAP_FIXED",
	"#define MREMAP_FIXED 2",
	"#endif",
	NULL
};

static const char *const rt_b[] = {
	"",
	"/*",
	" * Page number a is the address BASE + a * page_size, as in the model's",
	" * language; the window [BASE, BASE + 2^32 pages) is empty in a fresh process.",
	" */",
	"#define BASE		0x200000000000ULL",
	"#define WINDOW_PAGES	(1ULL << 32)",
	"#define OP_TIMEOUT	60		/* seconds a process may take over one op */",
	"",
	"/* what a process answers */",
	"enum { RES_OK, RES_ERRNO, RES_SIGNAL, RES_SKIPPED, RES_NOT_RUN, RES_NOPROC, RES_EXISTS };",
	"",
	"struct reply {",
	"	int kind;		/* RES_* */",
	"	int num;		/* errno, or the signal */",
	"	int code;		/* the signal's si_code */",
	"	int has_value;",
	"	uint64_t value;		/* what a read returned */",
	"	int pid;",
	"	char note[160];",
	"};",
	"",
	"/* requests other than an op id (ids are >= 0) */",
	"enum { REQ_FORK = -1, REQ_EXIT = -2, REQ_PAGEOUT = -3 };",
	"",
	"static long page_size;",
	"static int memfd = -1;		/* the file behind every non-anonymous mapping */",
	"",
	"static uintptr_t page_addr(uint64_t page)",
	"{",
	"	return (uintptr_t)(BASE + page * (uint64_t)page_size);",
	"}",
	"",
	"static size_t pages_len(uint64_t n)",
	"{",
	"	return (size_t)(n * (uint64_t)page_size);",
	"}",
	"",
	"static void note(struct reply *r, const char *fmt, ...)",
	"	__attribute__((format(printf, 2, 3)));",
	"",
	"static void note(struct reply *r, const char *fmt, ...)",
	"{",
	"	va_list ap;",
	"",
	"	va_start(ap, fmt);",
	"	vsnprintf(r->note, sizeof(r->note), fmt, ap);",
	"	va_end(ap);",
	"}",
	"",
	"/* the usual end of a system call: 0 or -1 with errno */",
	"static void sys_result(struct reply *r, long ret)",
	"{",
	"	if (ret == -1) {",
	"		r->kind = RES_ERRNO;",
	"		r->num = errno;",
	"	}",
	"}",
	"",
	"/* ---- accesses: a real load or store, a signal handler for its fault ---- */",
	"",
	"static sigjmp_buf fault_env;",
	"static volatile sig_atomic_t fault_armed, fault_sig, fault_code;",
	"",
	"static void fault_handler(int sig, siginfo_t *si, void *uc)",
	"{",
	"	(void)uc;",
	"	if (!fault_armed) {",
	"		/* not ours: die of it as the program would have */",
	"		signal(sig, SIG_DFL);",
	"		return;",
	"	}",
	"	fault_armed = 0;",
	"	fault_sig = sig;",
	"	fault_code = si->si_code;",
	"	siglongjmp(fault_env, 1);",
	"}",
	"",
	"static void access_page(struct reply *r, uint64_t page, int write, uint64_t value)",
	"{",
	"	volatile uint64_t *p = (volatile uint64_t *)page_addr(page);",
	"",
	"	if (sigsetjmp(fault_env, 1)) {",
	"		r->kind = RES_SIGNAL;",
	"		r->num = fault_sig;",
	"		r->code = fault_code;",
	"		return;",
	"	}",
	"	fault_armed = 1;",
	"	if (write) {",
	"		*p = value;",
	"	} else {",
	"		r->value = *p;",
	"		r->has_value = 1;",
	"	}",
	"	fault_armed = 0;",
	"}",
	"",
	"static UNUSED void do_read(struct reply *r, uint64_t page)",
	"{",
	"	access_page(r, page, 0, 0);",
	"}",
	"",
	"static UNUSED void do_write(struct reply *r, uint64_t page, uint64_t value)",
	"{",
	"	access_page(r, page, 1, value);",
	"}",
	"",
	"/* ---- the system calls ---- */",
	"",
	"/*",
	" * A mapping that is not anonymous maps the one file of the run at file",
	" * offset page * page_size; the file grows to cover it (it never shrinks).",
	" */",
	"static UNUSED void do_mmap(struct reply *r, uint64_t page, uint64_t n, int prot, int flags)",
	"{",
	"	void *want = (void *)page_addr(page), *got;",
	"	off_t off = 0;",
	"	int fd = -1;",
	"",
	"	if (!(flags & MAP_ANONYMOUS)) {",
	"		struct stat st;",
	"",
	"		fd = memfd;",
	"		off = (off_t)pages_len(page);",
	"		if (!fstat(fd, &st) && st.st_size < off + (off_t)pages_len(n) &&",
	"		    ftruncate(fd, off + (off_t)pages_len(n)))",
	"			note(r, \"ftruncate of the file failed: %s\", strerror(errno));",
	"	}",
	"	got = mmap(want, pages_len(n), prot, flags | MAP_FIXED, fd, off);",
	"	if (got == MAP_FAILED)",
	"		sys_result(r, -1);",
	"	else if (got != want)",
	"		note(r, \"the kernel placed it at %p\", got);",
	"}",
	"",
	"static UNUSED void do_munmap(struct reply *r, uint64_t page, uint64_t n)",
	"{",
	"	sys_result(r, munmap((void *)page_addr(page), pages_len(n)));",
	"}",
	"",
	"static UNUSED void do_mprotect(struct reply *r, uint64_t page, uint64_t n, int prot)",
	"{",
	"	sys_result(r, mprotect((void *)page_addr(page), pages_len(n), prot));",
	"}",
	"",
	"static UNUSED void do_mremap(struct reply *r, uint64_t page, uint64_t n, uint64_t newpage, uint64_t newn)",
	"{",
	"	void *want = (void *)page_addr(newpage), *got;",
	"",
	"	got = mremap((void *)page_addr(page), pages_len(n), pages_len(newn),",
	"		     MREMAP_MAYMOVE | MREMAP_FIXED, want);",
	"	if (got == MAP_FAILED)",
	"		sys_result(r, -1);",
	"	else if (got != want)",
	"		note(r, \"moved to %p\", got);",
	"}",
	"",
	"/* Linux 6.18 emulates it with a new VMA at pgoff; prot and flags must be 0 */",
	"static UNUSED void do_remap_file_pages(struct reply *r, uint64_t page, uint64_t n, uint64_t pgoff)",
	"{",
	"	sys_result(r, remap_file_pages((void *)page_addr(page), pages_len(n), 0, (size_t)pgoff, 0));",
	"}",
	"",
	"static UNUSED void do_madvise(struct reply *r, uint64_t page, uint64_t n, int advice)",
	"{",
	"	sys_result(r, madvise((void *)page_addr(page), pages_len(n), advice));",
	"}",
	"",
	"/*",
	" * split: the debugfs file split_huge_pages, written \"<pid>,<start>,<end>\"",
	" * for the caller's own range (new_order 0).  Skipped where it cannot be",
	" * opened: debugfs not mounted, a kernel without it, or not root.",
	" */",
	"static UNUSED void do_split(struct reply *r, uint64_t page, uint64_t n)",
	"{",
	"	static const char path[] = \"/sys/kernel/debug/split_huge_pages\";",
	"	char buf[96];",
	"	int fd = open(path, O_WRONLY), len;",
	"",
	"	if (fd < 0) {",
	"		r->kind = RES_SKIPPED;",
	"		note(r, \"%s: %s (needs debugfs mounted, root, no kernel lockdown)\", path, strerror(errno));",
	"		return;",
	"	}",
	"	len = snprintf(buf, sizeof(buf), \"%d,0x%\" PRIxPTR \",0x%\" PRIxPTR, (int)getpid(),",
	"		       page_addr(page), page_addr(page + n));",
	"	sys_result(r, write(fd, buf, (size_t)len) == len ? 0 : -1);",
	"	close(fd);",
	"}",
	"",
	"static int node_here(int node)",
	"{",
	"	char path[64];",
	"",
	"	snprintf(path, sizeof(path), \"/sys/devices/system/node/node%d\", node);",
	"	return !access(path, F_OK);",
	"}",
	"",
	"/*",
	" * move_pages(2) of the caller's own pages.  A node is used only when it",
	" * exists both here and in the program's world: a node the world lacks and",
	" * this machine lacks too is ENODEV on both sides, so that call is made.",
	" */",
	"static UNUSED void do_migrate(struct reply *r, uint64_t page, uint64_t n, int node, int flags)",
	"{",
	"	void **pages;",
	"	int *nodes, *status;",
	"	long ret;",
	"",
	"	if (node_here(node) != (node < WORLD_NODES)) {",
	"		r->kind = RES_SKIPPED;",
	"		note(r, \"node %d %s on this machine but %s in the program's world (nodes=%d)\",",
	"		     node, node_here(node) ? \"exists\" : \"does not exist\",",
	"		     node < WORLD_NODES ? \"exists\" : \"does not\", WORLD_NODES);",
	"		return;",
	"	}",
	"	pages = calloc(n ? n : 1, sizeof(*pages));",
	"	nodes = calloc(n ? n : 1, sizeof(*nodes));",
	"	status = calloc(n ? n : 1, sizeof(*status));",
	"	if (!pages || !nodes || !status) {",
	"		r->kind = RES_SKIPPED;",
	"		note(r, \"no memory for %\" PRIu64 \" pages\", n);",
	"		goto out;",
	"	}",
	"	for (uint64_t i = 0; i < n; i++) {",
	"		pages[i] = (void *)page_addr(page + i);",
	"		nodes[i] = node;",
	"	}",
	"	ret = syscall(SYS_move_pages, 0, (unsigned long)n, pages, nodes, status, flags);",
	"	if (ret == -1 && errno == ENOSYS) {",
	"		r->kind = RES_SKIPPED;",
	"		note(r, \"move_pages(2): this kernel has no NUMA support\");",
	"	} else if (ret == -1 && errno == EPERM && (flags & MPOL_MF_MOVE_ALL)) {",
	"		r->kind = RES_SKIPPED;",
	"		note(r, \"MPOL_MF_MOVE_ALL needs CAP_SYS_NICE\");",
	"	} else {",
	"		sys_result(r, ret);",
	"		if (ret > 0)",
	"			note(r, \"%ld pages not migrated\", ret);",
	"	}",
	"out:",
	"	free(pages);",
	"	free(nodes);",
	"	free(status);",
	"}",
	"",
	"/*",
	" * reclaim and kswapd: the nearest a process can come is MADV_PAGEOUT of",
	" * everything it maps in the window (without swap, anonymous pages stay).",
	" */",
	"static void do_pageout_all(struct reply *r)",
	"{",
	"	uintptr_t lo, hi, wlo = page_addr(0), whi = page_addr(WINDOW_PAGES);",
	"	char line[512];",
	"	int n = 0;",
	"	FILE *f = fopen(\"/proc/self/maps\", \"r\");",
	"",
	"	if (!f) {",
	"		sys_result(r, -1);",
	"		return;",
	"	}",
	"	while (fgets(line, sizeof(line), f)) {",
	"		if (sscanf(line, \"%\" SCNxPTR \"-%\" SCNxPTR, &lo, &hi) != 2 || hi <= wlo || lo >= whi)",
	"			continue;",
	"		lo = lo < wlo ? wlo : lo;",
	"		hi = hi > whi ? whi : hi;",
	"		madvise((void *)lo, hi - lo, MADV_PAGEOUT);",
	"		n++;",
	"	}",
	"	fclose(f);",
	"	note(r, \"MADV_PAGEOUT of %d mappings\", n);",
	"}",
	"",
	"/* ---- the steps: one per op of the program, in program order ---- */",
	"",
	"/* where a step runs */",
	"enum {",
	"	K_CALL,		/* in its process: case N of run_op() */",
	"	K_SPAWN,	/* the zygote forks a new process */",
	"	K_FORK,		/* the process forks */",
	"	K_EXIT,		/* the process calls _exit() */",
	"	K_PAGEOUT,	/* every live process pages out its window */",
	"	K_NOTE,		/* not reproduced: only said so */",
	"	K_SWAPON,	/* with --system: a swap file; else a note */",
	"	K_SWAPOFF,",
	"	K_COMPACT,	/* with --system: compaction of a node; else a note */",
	"};",
	"",
	"struct step {",
	"	int line;		/* in the .mmt program */",
	"	int task;		/* @N */",
	"	int kind;		/* K_* */",
	"	int proc, proc2;	/* indexes into proc_names[], -1 for none */",
	"	const char *expect;	/* the asserted outcome, or NULL */",
	"	int has_value;		/* a read's = VALUE */",
	"	uint64_t value;",
	"	const char *text;	/* the op without its assertions */",
	"	const char *why;	/* why it is not reproduced (without --system) */",
	"	int id;			/* swapon, swapoff: the device; kcompactd: the node */",
	"	uint64_t slots;		/* swapon */",
	"};",
	NULL
};

static const char *const rt_c[] = {
	"",
	"/* ---- inside each process: serve the coordinator's requests ---- */",
	"",
	"static void send_reply(int sock, struct reply *r, int fd)",
	"{",
	"	struct iovec iov = { .iov_base = r, .iov_len = sizeof(*r) };",
	"	union {",
	"		struct cmsghdr h;",
	"		char buf[CMSG_SPACE(sizeof(int))];",
	"	} cm;",
	"	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };",
	"",
	"	if (fd >= 0) {",
	"		memset(&cm, 0, sizeof(cm));",
	"		msg.msg_control = cm.buf;",
	"		msg.msg_controllen = sizeof(cm.buf);",
	"		cm.h.cmsg_level = SOL_SOCKET;",
	"		cm.h.cmsg_type = SCM_RIGHTS;",
	"		cm.h.cmsg_len = CMSG_LEN(sizeof(int));",
	"		memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));",
	"	}",
	"	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != (ssize_t)sizeof(*r))",
	"		_exit(70);",
	"}",
	"",
	"/*",
	" * fork(2) in the process that asked for it.  The child gets a socket of",
	" * its own, whose other end goes to the coordinator; it holds no other",
	" * process's socket, so its end reads EOF only once the child is gone.",
	" */",
	"static void serve_fork(int *sock, struct reply *r)",
	"{",
	"	int sv[2];",
	"	pid_t pid;",
	"",
	"	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv)) {",
	"		sys_result(r, -1);",
	"		send_reply(*sock, r, -1);",
	"		return;",
	"	}",
	"	pid = fork();",
	"	if (pid == 0) {",
	"		close(*sock);",
	"		close(sv[1]);",
	"		*sock = sv[0];",
	"		return;",
	"	}",
	"	close(sv[0]);",
	"	if (pid < 0) {",
	"		sys_result(r, -1);",
	"		send_reply(*sock, r, -1);",
	"	} else {",
	"		r->pid = pid;",
	"		send_reply(*sock, r, sv[1]);",
	"	}",
	"	close(sv[1]);",
	"}",
	"",
	"static void serve(int sock)",
	"{",
	"	for (;;) {",
	"		struct reply r;",
	"		int req;",
	"		ssize_t n = recv(sock, &req, sizeof(req), 0);",
	"",
	"		if (n != (ssize_t)sizeof(req))",
	"			_exit(0);	/* the coordinator is done with us */",
	"		memset(&r, 0, sizeof(r));",
	"		r.pid = getpid();",
	"		switch (req) {",
	"		case REQ_FORK:",
	"			serve_fork(&sock, &r);",
	"			continue;",
	"		case REQ_EXIT:",
	"			send_reply(sock, &r, -1);",
	"			_exit(0);",
	"		case REQ_PAGEOUT:",
	"			do_pageout_all(&r);",
	"			break;",
	"		default:",
	"			run_op(req, &r);",
	"		}",
	"		send_reply(sock, &r, -1);",
	"	}",
	"}",
	"",
	"/* ---- the coordinator: runs the steps in program order ---- */",
	"",
	"struct proc {",
	"	pthread_mutex_t lock;	/* one request at a time */",
	"	int live, sock, pid;",
	"};",
	"",
	"static struct proc procs[NR_PROCS], zygote;",
	"static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;",
	"static int nr_held, nr_failed, nr_skipped;",
	"",
	"/* ---- --system: what needs root and touches the whole machine ---- */",
	"",
	"#define MAX_SWAP_SLOTS	(1 << 16)	/* 256 MiB of 4 KiB pages: bigger is skipped */",
	"",
	"static int use_system;			/* --system, and root */",
	"static const char *swap_dir = \"/var/tmp\";",
	"static int swap_on[256];",
	"static pthread_mutex_t swap_lock = PTHREAD_MUTEX_INITIALIZER;",
	"",
	"static void swap_path(char *buf, size_t len, int id)",
	"{",
	"	snprintf(buf, len, \"%s/mmt-export-%d.swap%d\", swap_dir, (int)getpid(), id);",
	"}",
	"",
	"/* a swap area of @slots pages, slot 0 its header, as mkswap writes it */",
	"static int make_swap_file(const char *path, uint64_t slots)",
	"{",
	"	char *page = calloc(1, page_size);",
	"	uint32_t hdr[3] = { 1, (uint32_t)(slots - 1), 0 };	/* version, last_page, bad */",
	"	int fd, ret = 0;",
	"",
	"	if (!page)",
	"		return -1;",
	"	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);",
	"	if (fd < 0) {",
	"		free(page);",
	"		return -1;",
	"	}",
	"	memcpy(page + 1024, hdr, sizeof(hdr));",
	"	memcpy(page + page_size - 10, \"SWAPSPACE2\", 10);",
	"	for (uint64_t i = 0; i < slots && !ret; i++) {",
	"		if (write(fd, page, page_size) != page_size)",
	"			ret = -1;",
	"		if (!i)",
	"			memset(page, 0, page_size);",
	"	}",
	"	if (fsync(fd))",
	"		ret = -1;",
	"	close(fd);",
	"	free(page);",
	"	return ret;",
	"}",
	"",
	"static void do_swapon(struct reply *r, int id, uint64_t slots)",
	"{",
	"	char path[512];",
	"",
	"	swap_path(path, sizeof(path), id);",
	"	pthread_mutex_lock(&swap_lock);",
	"	if (slots > MAX_SWAP_SLOTS) {",
	"		r->kind = RES_SKIPPED;",
	"		note(r, \"%llu slots: too big a swap file\",",
	"			 (unsigned long long)slots);",
	"	} else if (swap_on[id]) {",
	"		/* the same file again: the kernel says EBUSY, as the model does */",
	"		sys_result(r, swapon(path, 0));",
	"	} else if (make_swap_file(path, slots ? slots : 1)) {",
	"		r->kind = RES_SKIPPED;",
	"		note(r, \"cannot write %s: %s\", path, strerror(errno));",
	"		unlink(path);",
	"	} else if (swapon(path, 0)) {",
	"		sys_result(r, -1);",
	"		unlink(path);",
	"	} else {",
	"		swap_on[id] = 1;",
	"		note(r, \"%s\", path);",
	"	}",
	"	pthread_mutex_unlock(&swap_lock);",
	"}",
	"",
	"static void do_swapoff(struct reply *r, int id)",
	"{",
	"	char path[512];",
	"",
	"	swap_path(path, sizeof(path), id);",
	"	pthread_mutex_lock(&swap_lock);",
	"	if (!swap_on[id]) {",
	"		/* no file to name: the model's EINVAL for a device that is off */",
	"		r->kind = RES_ERRNO;",
	"		r->num = EINVAL;",
	"		note(r, \"device %d is not on\", id);",
	"	} else if (swapoff(path)) {",
	"		sys_result(r, -1);",
	"	} else {",
	"		swap_on[id] = 0;",
	"		unlink(path);",
	"	}",
	"	pthread_mutex_unlock(&swap_lock);",
	"}",
	"",
	"/* every swap file off and gone: at the end, and when the harness breaks */",
	"static void swap_cleanup(void)",
	"{",
	"	char path[512];",
	"",
	"	for (int id = 0; id < 256; id++) {",
	"		if (!swap_on[id])",
	"			continue;",
	"		swap_path(path, sizeof(path), id);",
	"		if (!swapoff(path))",
	"			unlink(path);",
	"		else",
	"			printf(\"# could not swapoff %s: %s\\n\", path, strerror(errno));",
	"		swap_on[id] = 0;",
	"	}",
	"}",
	"",
	"static void do_compact(struct reply *r, int node)",
	"{",
	"	char path[80];",
	"	int fd;",
	"",
	"	if (node_here(node) != (node < WORLD_NODES)) {",
	"		r->kind = RES_SKIPPED;",
	"		note(r, \"node %d exists on one side only\", node);",
	"		return;",
	"	}",
	"	if (!node_here(node)) {",
	"		r->kind = RES_ERRNO;",
	"		r->num = ENODEV;",
	"		return;",
	"	}",
	"	snprintf(path, sizeof(path), \"/sys/devices/system/node/node%d/compact\", node);",
	"	fd = open(path, O_WRONLY);",
	"	if (fd < 0 || write(fd, \"1\", 1) != 1) {",
	"		r->kind = RES_SKIPPED;",
	"		note(r, \"%s: %s\", path, strerror(errno));",
	"	}",
	"	if (fd >= 0)",
	"		close(fd);",
	"}",
	"",
	"static void harness_error(const char *name, const char *what)",
	"{",
	"	pthread_mutex_lock(&out_lock);",
	"	printf(\"harness error: %s: %s\\n\", name, what);",
	"	fflush(stdout);",
	"	for (int i = 0; i < NR_PROCS; i++)",
	"		if (procs[i].live && procs[i].pid > 0)",
	"			kill(procs[i].pid, SIGKILL);",
	"	if (zygote.pid > 0)",
	"		kill(zygote.pid, SIGKILL);",
	"	swap_cleanup();",
	"	_exit(2);",
	"}",
	"",
	"/* a request to @p and its reply; *@fd gets a descriptor that came with it */",
	"static void request(struct proc *p, const char *name, int req, struct reply *r, int *fd)",
	"{",
	"	union {",
	"		struct cmsghdr h;",
	"		char buf[CMSG_SPACE(sizeof(int))];",
	"	} cm;",
	"	struct iovec iov = { .iov_base = r, .iov_len = sizeof(*r) };",
	"	struct msghdr msg = {",
	"		.msg_iov = &iov, .msg_iovlen = 1,",
	"		.msg_control = cm.buf, .msg_controllen = sizeof(cm.buf),",
	"	};",
	"	struct cmsghdr *c;",
	"	ssize_t n;",
	"",
	"	if (send(p->sock, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))",
	"		harness_error(name, strerror(errno));",
	"	do",
	"		n = recvmsg(p->sock, &msg, 0);",
	"	while (n < 0 && errno == EINTR);",
	"	if (n == 0)",
	"		harness_error(name, \"died (end of file on its socket)\");",
	"	if (n != (ssize_t)sizeof(*r))",
	"		harness_error(name, n < 0 ? strerror(errno) : \"a short answer\");",
	"	if (fd) {",
	"		*fd = -1;",
	"		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))",
	"			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)",
	"				memcpy(fd, CMSG_DATA(c), sizeof(int));",
	"	}",
	"}",
	"",
	"static void adopt(struct proc *p, int fd, int pid)",
	"{",
	"	struct timeval tv = { .tv_sec = OP_TIMEOUT };",
	"",
	"	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));",
	"	p->sock = fd;",
	"	p->pid = pid;",
	"	p->live = 1;",
	"}",
	"",
	"/* fork @parent (a pN or the zygote) into the slot @child */",
	"static void do_fork(struct proc *parent, const char *pname, int child, struct reply *r)",
	"{",
	"	int fd;",
	"",
	"	request(parent, pname, REQ_FORK, r, &fd);",
	"	if (r->kind != RES_OK)",
	"		return;",
	"	if (fd < 0)",
	"		harness_error(pname, \"no socket came with the fork\");",
	"	adopt(&procs[child], fd, r->pid);",
	"	note(r, \"pid %d\", r->pid);",
	"}",
	"",
	"static void lock2(int a, int b)",
	"{",
	"	pthread_mutex_lock(&procs[a < b ? a : b].lock);",
	"	if (a != b)",
	"		pthread_mutex_lock(&procs[a < b ? b : a].lock);",
	"}",
	"",
	"static void unlock2(int a, int b)",
	"{",
	"	pthread_mutex_unlock(&procs[a].lock);",
	"	if (a != b)",
	"		pthread_mutex_unlock(&procs[b].lock);",
	"}",
	"",
	"static void run_step(int id, const struct step *s, struct reply *r)",
	"{",
	"	struct proc *p = s->proc >= 0 ? &procs[s->proc] : NULL;",
	"	const char *name = s->proc >= 0 ? proc_names[s->proc] : \"\";",
	"",
	"	memset(r, 0, sizeof(*r));",
	"	switch (s->kind) {",
	"	case K_SPAWN:",
	"		pthread_mutex_lock(&p->lock);",
	"		if (p->live) {",
	"			r->kind = RES_EXISTS;",
	"		} else {",
	"			pthread_mutex_lock(&zygote.lock);",
	"			do_fork(&zygote, \"the zygote\", s->proc, r);",
	"			pthread_mutex_unlock(&zygote.lock);",
	"		}",
	"		pthread_mutex_unlock(&p->lock);",
	"		break;",
	"	case K_FORK:",
	"		lock2(s->proc, s->proc2);",
	"		if (!p->live)",
	"			r->kind = RES_NOPROC;",
	"		else if (procs[s->proc2].live)",
	"			r->kind = RES_EXISTS;",
	"		else",
	"			do_fork(p, name, s->proc2, r);",
	"		unlock2(s->proc, s->proc2);",
	"		break;",
	"	case K_EXIT:",
	"		pthread_mutex_lock(&p->lock);",
	"		if (!p->live) {",
	"			r->kind = RES_NOPROC;",
	"		} else {",
	"			char c;",
	"",
	"			request(p, name, REQ_EXIT, r, NULL);",
	"			/* EOF comes after exit_mm(): the address space is gone */",
	"			while (recv(p->sock, &c, 1, 0) > 0)",
	"				;",
	"			close(p->sock);",
	"			p->live = 0;",
	"		}",
	"		pthread_mutex_unlock(&p->lock);",
	"		break;",
	"	case K_CALL:",
	"		pthread_mutex_lock(&p->lock);",
	"		if (!p->live)",
	"			r->kind = RES_NOPROC;",
	"		else",
	"			request(p, name, id, r, NULL);",
	"		pthread_mutex_unlock(&p->lock);",
	"		break;",
	"	case K_PAGEOUT: {",
	"		int n = 0;",
	"",
	"		for (int i = 0; i < NR_PROCS; i++) {",
	"			struct reply pr;",
	"",
	"			pthread_mutex_lock(&procs[i].lock);",
	"			if (procs[i].live) {",
	"				request(&procs[i], proc_names[i], REQ_PAGEOUT, &pr, NULL);",
	"				n++;",
	"			}",
	"			pthread_mutex_unlock(&procs[i].lock);",
	"		}",
	"		r->kind = RES_NOT_RUN;",
	"		note(r, \"approximated: MADV_PAGEOUT of the window in %d process%s\", n,",
	"		     n == 1 ? \"\" : \"es\");",
	"		break;",
	"	}",
	"	case K_SWAPON:",
	"	case K_SWAPOFF:",
	"	case K_COMPACT:",
	"		if (use_system) {",
	"			if (s->kind == K_SWAPON)",
	"				do_swapon(r, s->id, s->slots);",
	"			else if (s->kind == K_SWAPOFF)",
	"				do_swapoff(r, s->id);",
	"			else",
	"				do_compact(r, s->id);",
	"			break;",
	"		}",
	"		/* fall through */",
	"	default:",
	"		r->kind = RES_NOT_RUN;",
	"		note(r, \"%s\", s->why);",
	"	}",
	"}",
	"",
	"static const struct {",
	"	int num;",
	"	const char *name;",
	"} errnames[] = {",
	"	{ EINVAL, \"EINVAL\" }, { ENOMEM, \"ENOMEM\" }, { EFAULT, \"EFAULT\" },",
	"	{ EBUSY, \"EBUSY\" }, { EEXIST, \"EEXIST\" }, { ENOENT, \"ENOENT\" },",
	"	{ EAGAIN, \"EAGAIN\" }, { EPERM, \"EPERM\" }, { ENODEV, \"ENODEV\" },",
	"	{ EACCES, \"EACCES\" }, { EINTR, \"EINTR\" }, { ENOSYS, \"ENOSYS\" },",
	"	{ EOPNOTSUPP, \"EOPNOTSUPP\" }, { ESRCH, \"ESRCH\" }, { EBADF, \"EBADF\" },",
	"	{ EIO, \"EIO\" }, { E2BIG, \"E2BIG\" }, { EOVERFLOW, \"EOVERFLOW\" },",
	"};",
	"",
	"/* the outcome as the .mmt language spells it */",
	"static const char *outcome_word(const struct reply *r, char *buf, size_t len)",
	"{",
	"	switch (r->kind) {",
	"	case RES_OK:",
	"		return \"ok\";",
	"	case RES_SIGNAL:",
	"		if (r->num == SIGSEGV)",
	"			return \"SEGV\";",
	"		if (r->num == SIGBUS)",
	"			return \"BUS\";",
	"		snprintf(buf, len, \"SIG%d\", r->num);",
	"		return buf;",
	"	case RES_ERRNO:",
	"		for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)",
	"			if (errnames[i].num == r->num)",
	"				return errnames[i].name;",
	"		snprintf(buf, len, \"E%d\", r->num);",
	"		return buf;",
	"	case RES_NOPROC:",
	"		return \"ENOENT\";",
	"	case RES_EXISTS:",
	"		return \"EEXIST\";",
	"	case RES_SKIPPED:",
	"		return \"skipped\";",
	"	default:",
	"		return \"not-reproduced\";",
	"	}",
	"}",
	"",
	"/* check what @s asserts and print its line */",
	"static void judge(const struct step *s, const struct reply *r)",
	"{",
	"	char buf[32], verdict[160] = \"\";",
	"	const char *got = outcome_word(r, buf, sizeof(buf));",
	"	int bad = 0, n;",
	"",
	"	if (!s->expect && !s->has_value) {",
	"		/* nothing asserted */",
	"	} else if (r->kind == RES_SKIPPED || r->kind == RES_NOT_RUN) {",
	"		snprintf(verdict, sizeof(verdict), \"  [skipped: not checkable here]\");",
	"		__atomic_fetch_add(&nr_skipped, 1, __ATOMIC_RELAXED);",
	"	} else {",
	"		/* without a BUS outcome in the language, SEGV stands for both */",
	"		if (s->expect && strcmp(got, s->expect) &&",
	"		    !(!BUS_IS_OUTCOME && !strcmp(s->expect, \"SEGV\") && !strcmp(got, \"BUS\")))",
	"			bad = 1;",
	"		if (s->has_value && (r->kind != RES_OK || r->value != s->value))",
	"			bad = 1;",
	"		if (bad) {",
	"			n = snprintf(verdict, sizeof(verdict), \"  [FAIL: expected\");",
	"			if (s->expect)",
	"				n += snprintf(verdict + n, sizeof(verdict) - n, \" -> %s\", s->expect);",
	"			if (s->has_value)",
	"				n += snprintf(verdict + n, sizeof(verdict) - n, \" = 0x%\" PRIx64,",
	"					      s->value);",
	"			snprintf(verdict + n, sizeof(verdict) - n, \"]\");",
	"		} else {",
	"			snprintf(verdict, sizeof(verdict), \"  [held]\");",
	"		}",
	"		__atomic_fetch_add(bad ? &nr_failed : &nr_held, 1, __ATOMIC_RELAXED);",
	"	}",
	"	pthread_mutex_lock(&out_lock);",
	"	printf(\"line %d: \", s->line);",
	"	if (s->task)",
	"		printf(\"@%d \", s->task);",
	"	printf(\"%s -> %s\", s->text, got);",
	"	if (r->has_value)",
	"		printf(\" (0x%\" PRIx64 \")\", r->value);",
	"	if (r->kind == RES_SIGNAL)",
	"		printf(\" (si_code %d)\", r->code);",
	"	if (r->note[0])",
	"		printf(\" (%s)\", r->note);",
	"	printf(\"%s\\n\", verdict);",
	"	pthread_mutex_unlock(&out_lock);",
	"}",
	NULL
};

static const char *const rt_d[] = {
	"",
	"/* the ops of @task from @from on, in order */",
	"static void run_task(int task, int from)",
	"{",
	"	struct reply r;",
	"",
	"	for (int i = from; i < NR_OPS; i++) {",
	"		if (steps[i].task != task)",
	"			continue;",
	"		run_step(i, &steps[i], &r);",
	"		judge(&steps[i], &r);",
	"	}",
	"}",
	"",
	"static pthread_barrier_t start_line;",
	"",
	"/* the tasks start together, to give their races a chance */",
	"static void *task_thread(void *arg)",
	"{",
	"	pthread_barrier_wait(&start_line);",
	"	run_task((int)(intptr_t)arg, PROLOGUE);",
	"	return NULL;",
	"}",
	"",
	"/* MAP_FIXED would silently replace whatever this process has in the window */",
	"static int window_is_empty(void)",
	"{",
	"	uintptr_t lo, hi, wlo = page_addr(0), whi = page_addr(WINDOW_PAGES);",
	"	char line[512];",
	"	int empty = 1;",
	"	FILE *f = fopen(\"/proc/self/maps\", \"r\");",
	"",
	"	if (!f)",
	"		return 1;	/* cannot tell: go on */",
	"	while (fgets(line, sizeof(line), f))",
	"		if (sscanf(line, \"%\" SCNxPTR \"-%\" SCNxPTR, &lo, &hi) == 2 && lo < whi && hi > wlo) {",
	"			printf(\"harness error: the test window is not empty: %s\", line);",
	"			empty = 0;",
	"		}",
	"	fclose(f);",
	"	return empty;",
	"}",
	"",
	"static const char usage[] =",
	"	\"usage: %s [--system] [--swap-dir DIR]\\n\"",
	"	\"  --system        (root) the model's swap devices as swap files in DIR (default\\n\"",
	"	\"                  /var/tmp, a file system that takes swap files), kcompactd as\\n\"",
	"	\"                  /sys/devices/system/node/nodeN/compact; both touch the whole machine\\n\"",
	"	\"exit status: 0 every asserted outcome held, 1 one failed, 2 the harness broke\\n\";",
	"",
	"int main(int argc, char **argv)",
	"{",
	"	struct sigaction sa;",
	"	int sv[2];",
	"	pid_t pid;",
	"",
	"	setvbuf(stdout, NULL, _IOLBF, 0);",
	"	for (int i = 1; i < argc; i++) {",
	"		if (!strcmp(argv[i], \"--system\")) {",
	"			use_system = 1;",
	"		} else if (!strcmp(argv[i], \"--swap-dir\") && i + 1 < argc) {",
	"			swap_dir = argv[++i];",
	"		} else {",
	"			fprintf(stderr, usage, argv[0]);",
	"			return strcmp(argv[i], \"--help\") ? 2 : 0;",
	"		}",
	"	}",
	"	if (use_system && geteuid()) {",
	"		puts(\"# note: --system needs root: swap and compaction stay notes\");",
	"		use_system = 0;",
	"	}",
	"	page_size = sysconf(_SC_PAGESIZE);",
	"	for (int i = 0; i < NR_PROCS; i++)",
	"		pthread_mutex_init(&procs[i].lock, NULL);",
	"	pthread_mutex_init(&zygote.lock, NULL);",
	"	memfd = (int)syscall(SYS_memfd_create, \"mmt-export\", 0);",
	"	if (memfd < 0) {",
	"		perror(\"memfd_create\");",
	"		return 2;",
	"	}",
	"	/* every process inherits the handler; it only catches armed accesses */",
	"	memset(&sa, 0, sizeof(sa));",
	"	sa.sa_sigaction = fault_handler;",
	"	sa.sa_flags = SA_SIGINFO;",
	"	sigemptyset(&sa.sa_mask);",
	"	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL)) {",
	"		perror(\"sigaction\");",
	"		return 2;",
	"	}",
	"	print_notes();",
	"	if (!window_is_empty())",
	"		return 2;",
	"	/*",
	"	 * The zygote forks every spawned process, so each starts from the same",
	"	 * state, before the coordinator has threads; it ignores SIGCHLD, and so",
	"	 * do its descendants, so no process has to reap the processes it forks.",
	"	 */",
	"	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv)) {",
	"		perror(\"socketpair\");",
	"		return 2;",
	"	}",
	"	pid = fork();",
	"	if (pid < 0) {",
	"		perror(\"fork\");",
	"		return 2;",
	"	}",
	"	if (pid == 0) {",
	"		close(sv[1]);",
	"		signal(SIGCHLD, SIG_IGN);",
	"		serve(sv[0]);",
	"	}",
	"	close(sv[0]);",
	"	adopt(&zygote, sv[1], pid);",
	"	if (WORLD_SWAP > 0 && use_system) {",
	"		struct reply r = { 0 };",
	"",
	"		/* the world's swap device 0, on before the first op as in the model */",
	"		do_swapon(&r, 0, WORLD_SWAP);",
	"		printf(\"world swap=%d -> %s (%s)\\n\", WORLD_SWAP, r.kind ? \"failed\" : \"ok\", r.note);",
	"	}",
	"	/* the setup: the ops before the tasks part, alone and in order */",
	"	for (int i = 0; i < PROLOGUE; i++) {",
	"		struct reply r;",
	"",
	"		run_step(i, &steps[i], &r);",
	"		judge(&steps[i], &r);",
	"	}",
	"	if (PROLOGUE < NR_OPS) {",
	"		pthread_t t[NR_TASKS];",
	"",
	"		pthread_barrier_init(&start_line, NULL, NR_TASKS);",
	"		for (int i = 0; i < NR_TASKS; i++)",
	"			if (pthread_create(&t[i], NULL, task_thread, (void *)(intptr_t)i)) {",
	"				perror(\"pthread_create\");",
	"				return 2;",
	"			}",
	"		for (int i = 0; i < NR_TASKS; i++)",
	"			pthread_join(t[i], NULL);",
	"	}",
	"	/* EOF on its socket ends every process that is left, and the zygote */",
	"	for (int i = 0; i < NR_PROCS; i++)",
	"		if (procs[i].live)",
	"			close(procs[i].sock);",
	"	close(zygote.sock);",
	"	swap_cleanup();",
	"	printf(\"%s: %d assertions held, %d failed, %d skipped\\n\", nr_failed ? \"FAIL\" : \"PASS\",",
	"	       nr_held, nr_failed, nr_skipped);",
	"	return nr_failed ? 1 : 0;",
	"}",
	NULL
};

static const char *const prot_c[NR_MPROT] = {
	[MPROT_NONE] = "PROT_NONE",
	[MPROT_R] = "PROT_READ",
	[MPROT_W] = "PROT_READ | PROT_WRITE",	/* Linux cannot map write-only */
	[MPROT_RW] = "PROT_READ | PROT_WRITE",
};

static const char *const advice_c[NR_MMT_ADVICE] = {
	[ADV_NORMAL] = "MADV_NORMAL",
	[ADV_WILLNEED] = "MADV_WILLNEED",
	[ADV_DONTNEED] = "MADV_DONTNEED",
	[ADV_PAGEOUT] = "MADV_PAGEOUT",
	[ADV_COLD] = "MADV_COLD",
	[ADV_MERGEABLE] = "MADV_MERGEABLE",
	[ADV_UNMERGEABLE] = "MADV_UNMERGEABLE",
	[ADV_DONTFORK] = "MADV_DONTFORK",
	[ADV_DOFORK] = "MADV_DOFORK",
	[ADV_HUGEPAGE] = "MADV_HUGEPAGE",
	[ADV_NOHUGEPAGE] = "MADV_NOHUGEPAGE",
	[ADV_WIPEONFORK] = "MADV_WIPEONFORK",
	[ADV_KEEPONFORK] = "MADV_KEEPONFORK",
};

/* where a step runs: the K_* of the runtime, by name */
static const char *const kind_c[] = {
	"K_CALL", "K_SPAWN", "K_FORK", "K_EXIT", "K_PAGEOUT", "K_NOTE",
	"K_SWAPON", "K_SWAPOFF", "K_COMPACT",
};
enum { K_CALL, K_SPAWN, K_FORK, K_EXIT, K_PAGEOUT, K_NOTE, K_SWAPON, K_SWAPOFF, K_COMPACT };

void mmt_export_opts_default(struct mmt_export_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static int kind_of(const struct mmt_op *op)
{
	switch (op->code) {
	case OP_SPAWN:
		return K_SPAWN;
	case OP_FORK:
		return K_FORK;
	case OP_EXIT:
		return K_EXIT;
	case OP_MMAP: case OP_MUNMAP: case OP_MPROTECT: case OP_MREMAP:
	case OP_MADVISE: case OP_READ: case OP_WRITE: case OP_MIGRATE:
	case OP_REMAP_FILE_PAGES: case OP_SPLIT:
		return K_CALL;
	case OP_RECLAIM: case OP_KSWAPD:
		return K_PAGEOUT;
	case OP_SWAPON:
		return K_SWAPON;
	case OP_SWAPOFF:
		return K_SWAPOFF;
	case OP_KCOMPACTD:
		return K_COMPACT;
	case OP_CHECK: case OP_PAGE_IDLE: case OP_KHUGEPAGED:
	case OP_DEVICE_MIGRATE: case OP_DEVICE_RELEASE: case OP_UFFD_REGISTER:
	case OP_KSMD: case OP_KSM_RUN: case OP_KSM_MERGE_ACROSS_NODES:
	case OP_UFFD_MOVE:
	case OP_PIN: case OP_UNPIN: case OP_PIN_WRITE: case OP_PIN_READ:
		return K_NOTE;
	}
	return -1;
}

/* why an op is not reproduced (without --system), said at run time */
static const char *why_not(const struct mmt_op *op)
{
	switch (op->code) {
	case OP_SWAPON:
		return "the model's swap device; a swap file with --system (root)";
	case OP_SWAPOFF:
		return "the model's swap device; a swap file with --system (root)";
	case OP_CHECK:
		return "the model's invariant check; the kernel has nothing to run";
	case OP_PAGE_IDLE:
		return "the idle page tracker names frames the kernel numbers otherwise "
		       "(and needs CONFIG_IDLE_PAGE_TRACKING and root)";
	case OP_KCOMPACTD:
		return "compaction of a node only with --system (root)";
	case OP_DEVICE_MIGRATE:
	case OP_DEVICE_RELEASE:
		return "the model's HMM device; the kernel needs the test_hmm module and root";
	case OP_UFFD_REGISTER:
		return "the model answers missing faults with the zero page; no handler here";
	case OP_UFFD_MOVE:
		return "UFFDIO_MOVE needs the uffd and its handler thread (host-replay has them)";
	case OP_KSMD:
		return "ksmd scans on its own schedule; forcing a pass needs root";
	case OP_KHUGEPAGED:
		return "khugepaged scans on its own schedule (scan_sleep_millisecs, root)";
	case OP_KSM_RUN:
	case OP_KSM_MERGE_ACROSS_NODES:
		return "a /sys/kernel/mm/ksm knob; setting it needs root";
	case OP_PIN:
	case OP_UNPIN:
	case OP_PIN_WRITE:
	case OP_PIN_READ:
		return "the model's long-term GUP pin; io_uring fixed buffers would be the kernel's";
	}
	return "";
}

/* the op's text without its assertions, as the runtime prints it */
static int op_text(char *buf, size_t len, const struct mmt_program *p, const struct mmt_op *op)
{
	struct mmt_op bare = *op;
	int n;

	bare.expect = -1;
	bare.has_expect_value = false;
	bare.task = 0;
	n = mmt_print_op(buf, len, p, &bare);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* can every op be written?  checked before the first byte goes out */
static int exportable(const struct mmt_program *p)
{
	char buf[256];

	for (size_t i = 0; i < p->nr_ops; i++) {
		const struct mmt_op *op = &p->ops[i];

		if (kind_of(op) < 0 || op_text(buf, sizeof(buf), p, op) ||
		    mmt_print_op(buf, sizeof(buf), p, op) < 0)
			return -1;
		if (op->expect >= 0 && !mmt_outcome_name(op->expect))
			return -1;
		if ((op->code == OP_MMAP || op->code == OP_MPROTECT) && op->prot >= NR_MPROT)
			return -1;
		if (op->code == OP_MADVISE && (op->advice >= NR_MMT_ADVICE || !advice_c[op->advice]))
			return -1;
	}
	return 0;
}

static void put_lines(FILE *out, const char *const *lines)
{
	for (; *lines; lines++) {
		fputs(*lines, out);
		fputc('\n', out);
	}
}

/*
 * @len bytes of .mmt text inside the header comment, each line indented: a
 * byte that is not printable ASCII becomes \xNN and a comment end "* /", so
 * that whatever the file held the C still compiles.
 */
static void put_commented(FILE *out, const char *text, size_t len)
{
	bool bol = true;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\r' && i + 1 < len && text[i + 1] == '\n')
			continue;
		if (c == '\n' || c == '\r') {
			fputs(bol ? " *\n" : "\n", out);
			bol = true;
			continue;
		}
		if (bol)
			fputs(" *   ", out);
		bol = false;
		if (c == '*' && i + 1 < len && text[i + 1] == '/')
			fputs("* ", out);
		else if (c == '\t' || (c >= 0x20 && c < 0x7f))
			fputc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
	if (!bol)
		fputc('\n', out);
}

/* a name inside a comment: no line break, no comment end */
static void put_word(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '*' && s[1] == '/')
			fputs("* ", out);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
}

/* does line @line of @text start with a task prefix (an explicit @0 too)? */
static bool written_with_task(const char *text, size_t len, unsigned line)
{
	unsigned at = 1;
	size_t i = 0;

	while (i < len && at < line) {
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			i++;
		if (text[i] == '\n' || text[i] == '\r')
			at++;
		i++;
	}
	while (i < len && strchr(" \t\v\f", text[i]))
		i++;
	return i < len && text[i] == '@';
}

/*
 * The setup a program with several tasks starts with: the ops before the
 * first op of another task, or before the first written with a task prefix
 * (seeds mark their racing task-0 ops with @0).  The model runs a program
 * without a schedule one task after the other; here the setup runs alone
 * and the rest in threads, so that the races happen after the setup.
 */
static size_t prologue_len(const struct mmt_program *p, const struct mmt_export_opts *o)
{
	size_t i;

	for (i = 0; i < p->nr_ops; i++) {
		if (p->ops[i].task)
			break;
		if (o->source && p->ops[i].line &&
		    written_with_task(o->source, o->source_len, p->ops[i].line))
			break;
	}
	return mmt_program_nr_tasks(p) > 1 ? i : p->nr_ops;
}

static bool has_op(const struct mmt_program *p, enum mmt_opcode c)
{
	for (size_t i = 0; i < p->nr_ops; i++)
		if (p->ops[i].code == c)
			return true;
	return false;
}

#define MAX_NOTES	14
#define NOTE_LEN	320

/* what this program's export does not reproduce: the notes, and their number */
static int limits(const struct mmt_program *p, const struct mmt_export_opts *o,
		  char notes[MAX_NOTES][NOTE_LEN])
{
	int tasks = mmt_program_nr_tasks(p), n = 0;

	if (tasks > 1)
		snprintf(notes[n++], NOTE_LEN, "the first %zu ops (the setup) run alone, then the"
			 " %d tasks run the rest as threads, each its ops in order; how they"
			 " interleave is the kernel's choice (best effort), and the schedule line"
			 " is not reproduced", prologue_len(p, o), tasks);
	else if (p->has_schedule)
		snprintf(notes[n++], NOTE_LEN, "the schedule line is not reproduced (one task:"
			 " it changes nothing here)");
	if (p->world.present)
		snprintf(notes[n++], NOTE_LEN, "the world line (nodes=%d frames=%u swap=%llu) is"
			 " the model's machine; this one's memory and nodes are used",
			 p->world.nodes, p->world.frames, (unsigned long long)p->world.swap);
	if (p->world.swap || has_op(p, OP_SWAPON) || has_op(p, OP_SWAPOFF))
		snprintf(notes[n++], NOTE_LEN, "swapon and swapoff are the model's swap devices:"
			 " swap files only with --system (root), otherwise not reproduced, and"
			 " swapped-out data is exercised only if this machine has swap");
	if (has_op(p, OP_RECLAIM) || has_op(p, OP_KSWAPD))
		snprintf(notes[n++], NOTE_LEN, "reclaim and kswapd are approximated by"
			 " MADV_PAGEOUT of every live process's mappings in the window");
	if (has_op(p, OP_KCOMPACTD))
		snprintf(notes[n++], NOTE_LEN, "kcompactd is compaction of the whole node, only"
			 " with --system (root)");
	if (has_op(p, OP_CHECK))
		snprintf(notes[n++], NOTE_LEN, "check (the model's invariants) has no kernel"
			 " counterpart");
	if (has_op(p, OP_UFFD_MOVE))
		snprintf(notes[n++], NOTE_LEN, "uffd_move is not reproduced here (host-replay runs"
			 " it, with a handler thread): reads of the pages it moves will differ");
	if (has_op(p, OP_DEVICE_MIGRATE) || has_op(p, OP_DEVICE_RELEASE) ||
	    has_op(p, OP_UFFD_REGISTER))
		snprintf(notes[n++], NOTE_LEN, "device_migrate, device_release and uffd_register"
			 " are not reproduced (the HMM device needs lib/test_hmm.c and root; the"
			 " model's uffd handler only maps zero pages): the data every read sees"
			 " is the same without them");
	if (has_op(p, OP_KSMD) || has_op(p, OP_KSM_RUN) || has_op(p, OP_KSM_MERGE_ACROSS_NODES))
		snprintf(notes[n++], NOTE_LEN, "ksmd, ksm_run and ksm_merge_across_nodes are the"
			 " model's: the kernel's ksmd merges (or not) when it likes, which must"
			 " not change any value read");
	if (has_op(p, OP_PIN) || has_op(p, OP_UNPIN) || has_op(p, OP_PIN_WRITE) ||
	    has_op(p, OP_PIN_READ))
		snprintf(notes[n++], NOTE_LEN, "pin, unpin, pin_write and pin_read (long-term GUP"
			 " pins and a device's DMA through them) are the model's and not"
			 " reproduced: reads after a pin_write differ here");
	if (has_op(p, OP_MIGRATE))
		snprintf(notes[n++], NOTE_LEN, "migrate is move_pages(2), skipped when the node"
			 " exists on one side only (this machine, or the program's world of %d"
			 " nodes)", p->world.nodes);
	if (has_op(p, OP_KHUGEPAGED))
		snprintf(notes[n++], NOTE_LEN, "khugepaged is the model's pass: the kernel's"
			 " khugepaged collapses (or not) when it likes, which must not change"
			 " any value read");
	if (has_op(p, OP_SPLIT))
		snprintf(notes[n++], NOTE_LEN, "split writes /sys/kernel/debug/split_huge_pages"
			 " (debugfs mounted, root, no kernel lockdown), skipped where it cannot"
			 " be opened; this"
			 " kernel's folios need not be the model's sizes, and no value read may"
			 " change either way");
	return n;
}

/* @text as " *  - " lines of the header comment, wrapped at words */
static void put_wrapped(FILE *out, const char *text)
{
	const char *pre = " *  - ";

	while (*text) {
		size_t n = strlen(text), cut = n;

		if (n > 70) {
			for (cut = 70; cut > 0 && text[cut] != ' '; cut--)
				;
			if (!cut)
				cut = 70;
		}
		fprintf(out, "%s%.*s\n", pre, (int)cut, text);
		text += cut;
		while (*text == ' ')
			text++;
		pre = " *    ";
	}
}

static void put_header(FILE *out, const struct mmt_program *p, const struct mmt_export_opts *o,
		       const char *canon)
{
	char notes[MAX_NOTES][NOTE_LEN];
	int nr;

	fputs("/*\n * A .mmt program", out);
	if (o->name) {
		fputs(" from ", out);
		put_word(out, o->name);
	}
	fputs(" as a standalone C program of real\n * system calls, written by `mmtorture export`.\n",
	      out);
	fputs(" *\n"
	      " *   cc -O0 -std=gnu11 prog.c -o prog -lpthread && ./prog\n"
	      " *   ./prog --system [--swap-dir DIR]     (root: swap files, compaction)\n"
	      " *\n"
	      " * Every process pN of the program is a real process: a zygote forked at\n"
	      " * start forks one for each `spawn pN`, and `fork pX pY` is pX calling\n"
	      " * fork().  A coordinator tells each process, over a socket of its own,\n"
	      " * which op to run next (a case of run_op()) and waits for the result, so\n"
	      " * the ops of all processes run one at a time, in program order.  Reads\n"
	      " * and writes are real loads and stores of the 64-bit word at the start of\n"
	      " * the page, done by the process itself; a SIGSEGV/SIGBUS handler turns\n"
	      " * their faults into outcomes.  Page number a is the address\n"
	      " * 0x200000000000 + a * page size, every mmap is MAP_FIXED, and a mapping\n"
	      " * that is not anonymous maps one memfd of the run at file offset a pages,\n"
	      " * grown with ftruncate to cover each mmap.  mremap is\n"
	      " * MREMAP_MAYMOVE|MREMAP_FIXED, migrate is move_pages(2).\n"
	      " *\n"
	      " * It prints one line per op, its outcome and whether what the op asserts\n"
	      " * held, then PASS or FAIL.  Exit status: 0 every asserted outcome held,\n"
	      " * 1 one failed, 2 the harness itself broke.\n", out);
	fputs(" *\n * Not reproduced here (said again at run time; the assertions of such an\n"
	      " * op are skipped, neither held nor failed):\n", out);
	nr = limits(p, o, notes);
	for (int i = 0; i < nr; i++)
		put_wrapped(out, notes[i]);
	fputs(" *  - nothing of the model's own state: frames, nodes, the LRU, swap slots\n",
	      out);
	if (o->source) {
		fputs(" *\n * The program, as written:\n *\n", out);
		put_commented(out, o->source, o->source_len);
	} else {
		fputs(" *\n * The program:\n *\n", out);
		put_commented(out, canon, strlen(canon));
	}
	fputs(" */\n", out);
}

/* a C string literal of @s; anything but printable ASCII as an octal escape */
static void put_cstr(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f && c != '?')	/* '?': no trigraphs */
			fputc(c, out);
		else
			fprintf(out, "\\%03o", c);
	}
	fputc('"', out);
}

static void put_flags(FILE *out, unsigned mflags)
{
	fputs(mflags & MFL_SHARED ? "MAP_SHARED" : "MAP_PRIVATE", out);
	if (mflags & MFL_ANON)
		fputs(" | MAP_ANONYMOUS", out);
}

/* the real call of one K_CALL op, as a statement of run_op() */
static void put_call(FILE *out, const struct mmt_op *op)
{
	unsigned long long a = op->addr, n = op->len;

	switch (op->code) {
	case OP_MMAP:
		fprintf(out, "\t\tdo_mmap(r, %#llx, %llu, %s, ", a, n, prot_c[op->prot]);
		put_flags(out, op->mflags);
		fputs(");\n", out);
		break;
	case OP_MUNMAP:
		fprintf(out, "\t\tdo_munmap(r, %#llx, %llu);\n", a, n);
		break;
	case OP_MPROTECT:
		fprintf(out, "\t\tdo_mprotect(r, %#llx, %llu, %s);\n", a, n, prot_c[op->prot]);
		break;
	case OP_MREMAP:
		fprintf(out, "\t\tdo_mremap(r, %#llx, %llu, %#llx, %llu);\n", a, n,
			(unsigned long long)op->addr2, (unsigned long long)op->len2);
		break;
	case OP_MADVISE:
		fprintf(out, "\t\tdo_madvise(r, %#llx, %llu, %s);\n", a, n, advice_c[op->advice]);
		break;
	case OP_REMAP_FILE_PAGES:
		fprintf(out, "\t\tdo_remap_file_pages(r, %#llx, %llu, %#llx);\n", a, n,
			(unsigned long long)op->addr2);
		break;
	case OP_SPLIT:
		fprintf(out, "\t\tdo_split(r, %#llx, %llu);\n", a, n);
		break;
	case OP_READ:
		fprintf(out, "\t\tdo_read(r, %#llx);\n", a);
		break;
	case OP_WRITE:
		fprintf(out, "\t\tdo_write(r, %#llx, %#llxULL);\n", a,
			(unsigned long long)op->value);
		break;
	case OP_MIGRATE:
		fprintf(out, "\t\tdo_migrate(r, %#llx, %llu, %d, %s);\n", a, n, (int)op->node,
			op->all ? "MPOL_MF_MOVE_ALL" : "MPOL_MF_MOVE");
		break;
	}
}

static void put_run_op(FILE *out, const struct mmt_program *p)
{
	char text[256];

	fputs("\n/* ---- the ops a process runs: the real calls, one case per op ---- */\n\n"
	      "static void run_op(int id, struct reply *r)\n{\n\tswitch (id) {\n", out);
	for (size_t i = 0; i < p->nr_ops; i++) {
		const struct mmt_op *op = &p->ops[i];

		if (kind_of(op) != K_CALL)
			continue;
		op_text(text, sizeof(text), p, op);
		fprintf(out, "\tcase %zu:\t/* line %u: %s */\n", i, op->line, text);
		put_call(out, op);
		fputs("\t\tbreak;\n", out);
	}
	fputs("\tdefault:\n\t\tr->kind = RES_NOT_RUN;\n\t}\n}\n", out);
}

static void put_steps(FILE *out, const struct mmt_program *p)
{
	char text[256];

	fputs("\n/* ---- the program: what the coordinator runs, in order ---- */\n\n"
	      "static const struct step steps[NR_OPS + 1] = {\n", out);
	for (size_t i = 0; i < p->nr_ops; i++) {
		const struct mmt_op *op = &p->ops[i];
		int kind = kind_of(op);
		bool named = kind <= K_EXIT;

		op_text(text, sizeof(text), p, op);
		fprintf(out, "\t{ .line = %u, .task = %u, .kind = %s, .proc = %d, .proc2 = %d,\n",
			op->line, op->task, kind_c[kind], named ? op->proc : -1,
			op->code == OP_FORK ? op->proc2 : -1);
		fputs("\t  .text = ", out);
		put_cstr(out, text);
		if (op->expect >= 0)
			fprintf(out, ", .expect = \"%s\"", mmt_outcome_name(op->expect));
		if (op->has_expect_value)
			fprintf(out, ", .has_value = 1, .value = %#llxULL",
				(unsigned long long)op->value);
		if (kind >= K_NOTE) {
			fputs(",\n\t  .why = ", out);
			put_cstr(out, why_not(op));
		}
		if (kind == K_SWAPON)
			fprintf(out, ", .id = %u, .slots = %lluULL", (unsigned)op->addr,
				(unsigned long long)op->len);
		else if (kind == K_SWAPOFF)
			fprintf(out, ", .id = %u", (unsigned)op->addr);
		else if (kind == K_COMPACT)
			fprintf(out, ", .id = %d", (int)op->node);
		fputs(" },\n", out);
	}
	fputs("};\n", out);
}

static void put_notes(FILE *out, const struct mmt_program *p, const struct mmt_export_opts *o)
{
	char notes[MAX_NOTES][NOTE_LEN];
	int nr;

	fputs("\n/* what the run does not reproduce, said before it starts */\n"
	      "static void print_notes(void)\n{\n\tstruct utsname u;\n\n"
	      "\tif (!uname(&u))\n"
	      "\t\tprintf(\"# exported from %s, run on Linux %s (%s), page size %ld\\n\",\n"
	      "\t\t       ", out);
	put_cstr(out, o->name ? o->name : "a .mmt program");
	fputs(", u.release, u.machine, page_size);\n", out);
	nr = limits(p, o, notes);
	for (int i = 0; i < nr; i++)
		fprintf(out, "\tputs(\"# note: %s\");\n", notes[i]);
	fputs("}\n", out);
}

int mmt_export_c(const struct mmt_program *p, FILE *out, const struct mmt_export_opts *o)
{
	struct mmt_export_opts def;
	char *canon;

	if (!o) {
		mmt_export_opts_default(&def);
		o = &def;
	}
	canon = mmt_print_string(p);
	if (!canon || exportable(p)) {
		free(canon);
		errno = EINVAL;
		return -1;
	}
	put_header(out, p, o, canon);
	free(canon);
	put_lines(out, rt_a);
	fprintf(out, "\n/* ---- the program's parameters ---- */\n\n"
		"#define NR_PROCS\t%d\t/* process names */\n"
		"#define NR_OPS\t\t%zu\n"
		"#define NR_TASKS\t%d\t/* @0 .. @%d */\n"
		"#define PROLOGUE\t%zu\t/* the ops run alone before the tasks start */\n"
		"#define WORLD_NODES\t%d\t/* the nodes of the program's world */\n"
		"#define WORLD_SWAP\t%llu\t/* slots of its swap device 0 at start */\n"
		"#define BUS_IS_OUTCOME\t%d\t/* can an op assert BUS (else SEGV means both)? */\n\n"
		"static const char *const proc_names[NR_PROCS + 1] = {",
		p->nr_names, p->nr_ops, mmt_program_nr_tasks(p), mmt_program_nr_tasks(p) - 1,
		prologue_len(p, o),
		p->world.nodes, (unsigned long long)p->world.swap,
		mmt_outcome_lookup("BUS") >= 0);
	for (int i = 0; i < p->nr_names; i++) {
		fputs(i % 8 ? " " : "\n\t", out);
		put_cstr(out, p->names[i]);
		fputc(',', out);
	}
	fputs("\n};\n", out);
	put_lines(out, rt_b);
	put_run_op(out, p);
	put_steps(out, p);
	put_notes(out, p, o);
	put_lines(out, rt_c);
	put_lines(out, rt_d);
	if (fflush(out) || ferror(out)) {
		errno = EIO;
		return -1;
	}
	return 0;
}
