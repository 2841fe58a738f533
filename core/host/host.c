// SPDX-License-Identifier: MIT
/*
 * host.c - a .mmt program on the running kernel (see host.h).
 *
 * Two halves.  The driver, in the caller's process, walks the program and
 * sends each op to the process it names; the server, in every forked pN
 * (and in the zygote they are forked from), receives a request, makes the
 * system call or the access itself, and replies.  Requests and replies are
 * fixed-size records on SOCK_SEQPACKET sockets: one message is one record,
 * and a dead peer is an EOF, not a half-read message.
 *
 * The server runs in a fork of the caller, so it is plain C with no
 * allocation in the request loop; it only ever leaves through _exit(),
 * which keeps the caller's atexit handlers (LeakSanitizer's included) out
 * of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmt/host.h"

#define MPOL_MF_MOVE_		(1 << 1)
#define MPOL_MF_MOVE_ALL_	(1 << 2)
#define CAP_SYS_NICE_		23
#define REQ_PING		0xff
#define MIGRATE_MAX		(1u << 24)	/* the model's limit: ENOMEM beyond */
#define SPLIT_HUGE_PAGES	"/sys/kernel/debug/split_huge_pages"
/* UFFDIO_MOVE (Linux 6.8), for headers older than the kernel */
#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE	(1ULL << 16)
struct uffdio_move {
	__u64 dst, src, len, mode;
	__s64 move;
};
#define UFFDIO_MOVE		_IOWR(UFFDIO, 0x05, struct uffdio_move)
#define UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES	((__u64)1 << 1)
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY	1
#endif
/* the test window: page numbers are 32-bit */
#define WINDOW_PAGES		(1ull << 32)

struct req {
	uint32_t op;		/* enum mmt_opcode, or REQ_PING */
	uint8_t prot, mflags, advice, all;
	int32_t node;
	uint64_t addr, len, addr2, len2, value;	/* in pages, as in the program */
};

enum rep_kind { REP_OK, REP_ERRNO, REP_SIGNAL };

struct rep {
	int32_t kind;		/* enum rep_kind */
	int32_t err;		/* REP_ERRNO */
	int32_t sig, code;	/* REP_SIGNAL */
	int32_t pid;		/* ping and fork */
	uint64_t value;		/* read */
};

const char *mmt_host_skip_name(enum mmt_host_skip s)
{
	static const char *const names[NR_HOST_SKIP] = {
		[HOST_RAN] = "ran",
		[HOST_SKIP_MODEL_ONLY] = "model-only op (swap, reclaim, check, daemons, device)",
		[HOST_SKIP_NO_NODE] = "migrate to a node that exists on only one side",
		[HOST_SKIP_NO_CAP] = "migrate all needs CAP_SYS_NICE",
		[HOST_SKIP_NO_MOVE_PAGES] = "move_pages(2) does not work here",
		[HOST_SKIP_NO_PROC] = "its process was never created on the host",
		[HOST_SKIP_NOT_RUN] = "not run (the host run stopped before it)",
		[HOST_SKIP_NO_SPLIT] = "split needs " SPLIT_HUGE_PAGES " open for writing"
				       " (debugfs mounted, root, no kernel lockdown)",
	};

	return s < NR_HOST_SKIP ? names[s] : "?";
}

const char *mmt_host_skip_key(enum mmt_host_skip s)
{
	static const char *const keys[NR_HOST_SKIP] = {
		[HOST_RAN] = "ran", [HOST_SKIP_MODEL_ONLY] = "model_only",
		[HOST_SKIP_NO_NODE] = "no_node", [HOST_SKIP_NO_CAP] = "no_cap_sys_nice",
		[HOST_SKIP_NO_MOVE_PAGES] = "no_move_pages", [HOST_SKIP_NO_PROC] = "no_process",
		[HOST_SKIP_NOT_RUN] = "not_run", [HOST_SKIP_NO_SPLIT] = "no_split_huge_pages",
	};

	return s < NR_HOST_SKIP ? keys[s] : "?";
}

void mmt_host_opts_default(struct mmt_host_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->base = MMT_HOST_BASE;
	o->timeout = 10;
}

/* ------------------------------------------------------------ machine */

/* "0-1,3" -> bits */
static uint64_t parse_node_list(const char *s)
{
	uint64_t mask = 0;

	while (*s && *s != '\n') {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;

		if (end == s)
			break;
		s = end;
		if (*s == '-') {
			hi = strtol(s + 1, &end, 10);
			s = end;
		}
		for (long n = lo; n <= hi && n < 64; n++)
			if (n >= 0)
				mask |= 1ull << n;
		if (*s == ',')
			s++;
	}
	return mask;
}

static bool read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return true;
}

/*
 * Does a read fault of private anonymous memory map the shared zero page,
 * as upstream Linux's do_anonymous_page() does?  1 yes, 0 no (a kernel
 * booted with pvm_no_zero_page=1 allocates a zeroed page instead), -1
 * cannot tell (the PFN and /proc/kpageflags are root's).
 */
static int probe_zero_page(long page)
{
	uint64_t e = 0, flags = 0;
	volatile uint64_t *p;
	int fd, ret = -1;

	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	(void)*p;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && pread(fd, &e, sizeof(e), (off_t)((uintptr_t)p / (uint64_t)page *
							sizeof(e))) == (ssize_t)sizeof(e) &&
	    (e >> 63) && (e & ((1ull << 55) - 1))) {
		int kf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);

		if (kf >= 0 && pread(kf, &flags, sizeof(flags),
				     (off_t)((e & ((1ull << 55) - 1)) * sizeof(flags))) ==
			       (ssize_t)sizeof(flags))
			ret = (int)((flags >> 24) & 1);	/* KPF_ZERO_PAGE */
		if (kf >= 0)
			close(kf);
	}
	if (fd >= 0)
		close(fd);
	munmap((void *)p, (size_t)page);
	return ret;
}

void mmt_host_info(struct mmt_host_info *info)
{
	char buf[4096], *cap;
	int fd;
	struct utsname u;

	memset(info, 0, sizeof(*info));
	if (uname(&u) == 0) {
		snprintf(info->release, sizeof(info->release), "%s", u.release);
		snprintf(info->machine, sizeof(info->machine), "%s", u.machine);
		info->supported = !strcmp(u.sysname, "Linux") && sizeof(void *) == 8;
	}
	info->page_size = sysconf(_SC_PAGESIZE);
	/* a kernel without NUMA has node 0 and no node directory */
	if (read_small("/sys/devices/system/node/has_memory", buf, sizeof(buf)))
		info->node_mask = parse_node_list(buf);
	if (!info->node_mask)
		info->node_mask = 1;
	info->nr_nodes = __builtin_popcountll(info->node_mask);
	/* /proc/swaps: a header line, then one line per device */
	if (read_small("/proc/swaps", buf, sizeof(buf))) {
		char *nl = strchr(buf, '\n');

		info->swap = nl && nl[1];
	}
	/* nothing to move: 0 wherever the call itself works */
	info->move_pages = syscall(SYS_move_pages, 0, 0ul, NULL, NULL, NULL, 0) == 0;
	if (read_small("/proc/self/status", buf, sizeof(buf)) &&
	    (cap = strstr(buf, "CapEff:")))
		info->cap_sys_nice = (strtoull(cap + 7, NULL, 16) >> CAP_SYS_NICE_) & 1;
	/* root's write bit says nothing on sysfs: the euid is what the knob checks */
	info->ksm_control = geteuid() == 0 && access("/sys/kernel/mm/ksm/run", W_OK) == 0;
	info->zero_page = probe_zero_page(info->page_size);
	info->huge_zero_page = -1;
	if (read_small("/sys/kernel/mm/transparent_hugepage/use_zero_page", buf, sizeof(buf)))
		info->huge_zero_page = buf[0] == '1';
	/*
	 * Opened, not access()ed: root may see the file and still be refused
	 * it (a kernel in lockdown restricts debugfs; EPERM at open).  Nothing
	 * is written: the open alone splits nothing.
	 */
	fd = open(SPLIT_HUGE_PAGES, O_WRONLY | O_CLOEXEC);
	info->split_huge_pages = fd >= 0;
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------------------- server */

static sigjmp_buf access_env;
static volatile sig_atomic_t in_access;
static volatile sig_atomic_t fault_sig, fault_code;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!in_access) {
		/* not our access: die of it as the process would have */
		signal(sig, SIG_DFL);
		return;
	}
	in_access = 0;
	fault_sig = sig;
	fault_code = si->si_code;
	siglongjmp(access_env, 1);
}

/*
 * One 64-bit load or store, by this process, at @addr.  The kernel sees an
 * ordinary user access (the fault path, COW, swap-in, NUMA hinting) and
 * nothing else touches the page.  Not instrumented: a sanitizer's own
 * check of the address must not be what faults.
 */
__attribute__((noinline, no_sanitize("address", "undefined")))
static int probe(uintptr_t addr, bool write, uint64_t *val)
{
	if (sigsetjmp(access_env, 1))
		return -1;
	in_access = 1;
	if (write)
		*(volatile uint64_t *)addr = *val;
	else
		*val = *(volatile uint64_t *)addr;
	in_access = 0;
	return 0;
}

struct server {
	int sock;
	int memfd;
	uint64_t base;
	long page;
};

static int mmap_prot(int prot)
{
	switch (prot) {
	case MPROT_R:	return PROT_READ;
	case MPROT_W:	/* w is read+write, as in the model */
	case MPROT_RW:	return PROT_READ | PROT_WRITE;
	default:	return PROT_NONE;
	}
}

static int madv(int advice)
{
	static const int v[NR_MMT_ADVICE] = {
		[ADV_NORMAL] = MADV_NORMAL, [ADV_WILLNEED] = MADV_WILLNEED,
		[ADV_DONTNEED] = MADV_DONTNEED, [ADV_PAGEOUT] = 21, [ADV_COLD] = 20,
		[ADV_MERGEABLE] = 12, [ADV_UNMERGEABLE] = 13, [ADV_DONTFORK] = MADV_DONTFORK,
		[ADV_DOFORK] = MADV_DOFORK, [ADV_HUGEPAGE] = 14, [ADV_NOHUGEPAGE] = 15,
		[ADV_WIPEONFORK] = 18, [ADV_KEEPONFORK] = 19,
	};

	return advice < NR_MMT_ADVICE ? v[advice] : -1;
}

static void set_errno_rep(struct rep *rep, long r)
{
	if (r == -1) {
		rep->kind = REP_ERRNO;
		rep->err = errno;
	}
}

/*
 * userfaultfd: one per process, made by its first uffd_register (a fork
 * child's inherited one belongs to its parent's mm, so it makes its own).
 * UFFD_USER_MODE_ONLY needs no privilege whatever vm.unprivileged_userfaultfd
 * says, and only user-mode faults (our loads and stores) are what it
 * handles.  A thread answers every missing fault with UFFDIO_ZEROPAGE, as
 * the model's handle_userfault_missing does, so a read never blocks.
 */
static int uffd = -1;
static pid_t uffd_pid;

static void *uffd_handler(void *arg)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd = (int)(intptr_t)arg;

	for (;;) {
		struct uffd_msg msg;
		struct uffdio_zeropage z;

		if (read(fd, &msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return NULL;
		}
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		memset(&z, 0, sizeof(z));
		z.range.start = msg.arg.pagefault.address & ~(uint64_t)(page - 1);
		z.range.len = (uint64_t)page;
		/* raced with another fault of the same page: just wake it */
		if (ioctl(fd, UFFDIO_ZEROPAGE, &z) && errno == EEXIST)
			ioctl(fd, UFFDIO_WAKE, &z.range);
	}
}

static int uffd_get(void)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_MOVE };
	pthread_attr_t attr;
	pthread_t th;
	int fd;

	if (uffd >= 0 && uffd_pid == getpid())
		return uffd;
	if (uffd >= 0)
		close(uffd);
	uffd = -1;
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api)) {
		/* a kernel without UFFDIO_MOVE: registration still works */
		api.features = 0;
		if (ioctl(fd, UFFDIO_API, &api)) {
			close(fd);
			return -1;
		}
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, uffd_handler, (void *)(intptr_t)fd)) {
		pthread_attr_destroy(&attr);
		close(fd);
		return -1;
	}
	pthread_attr_destroy(&attr);
	uffd = fd;
	uffd_pid = getpid();
	return fd;
}

static void do_uffd(const struct server *s, const struct req *q, struct rep *rep)
{
	int fd = uffd_get();

	if (fd < 0) {
		set_errno_rep(rep, -1);
		return;
	}
	if (q->op == OP_UFFD_REGISTER) {
		struct uffdio_register r = {
			.range = { s->base + q->addr * s->page, q->len * s->page },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		set_errno_rep(rep, ioctl(fd, UFFDIO_REGISTER, &r));
	} else {
		struct uffdio_move m = {
			.dst = s->base + q->addr * s->page, .src = s->base + q->addr2 * s->page,
			.len = q->len * s->page,
			.mode = q->all ? UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES : 0,
		};

		set_errno_rep(rep, ioctl(fd, UFFDIO_MOVE, &m));
		rep->value = m.move > 0 ? (uint64_t)m.move / (uint64_t)s->page : 0;
	}
}

static void do_mmap(struct server *s, const struct req *q, struct rep *rep)
{
	int flags = MAP_FIXED | (q->mflags & MFL_SHARED ? MAP_SHARED : MAP_PRIVATE);
	uintptr_t addr = s->base + q->addr * s->page;
	size_t len = q->len * s->page;
	int fd = -1;
	off_t off = 0;
	void *r;

	if (q->mflags & MFL_ANON) {
		flags |= MAP_ANONYMOUS;
	} else {
		struct stat st;

		/* the language's rule: the file grows to cover every mapping */
		fd = s->memfd;
		off = (off_t)(q->addr * s->page);
		if (fstat(fd, &st) == 0 && st.st_size < off + (off_t)len &&
		    ftruncate(fd, off + (off_t)len)) {
			set_errno_rep(rep, -1);
			return;
		}
	}
	r = mmap((void *)addr, len, mmap_prot(q->prot), flags, fd, off);
	if (r == MAP_FAILED)
		set_errno_rep(rep, -1);
}

static void do_migrate(const struct server *s, const struct req *q, struct rep *rep)
{
	size_t n = q->len, i;
	void **pages;
	int *nodes, *status;
	long r;

	if (n > MIGRATE_MAX) {
		rep->kind = REP_ERRNO;
		rep->err = ENOMEM;
		return;
	}
	pages = calloc(n + 1, sizeof(*pages));
	nodes = calloc(n + 1, sizeof(*nodes));
	status = calloc(n + 1, sizeof(*status));
	if (!pages || !nodes || !status) {
		rep->kind = REP_ERRNO;
		rep->err = ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		pages[i] = (void *)(uintptr_t)(s->base + (q->addr + i) * s->page);
		nodes[i] = q->node;
	}
	r = syscall(SYS_move_pages, 0, (unsigned long)n, pages, nodes, status,
		    q->all ? MPOL_MF_MOVE_ALL_ : MPOL_MF_MOVE_);
	/* > 0: pages left behind, still a successful call (as in the model) */
	set_errno_rep(rep, r < 0 ? -1 : 0);
out:
	free(pages);
	free(nodes);
	free(status);
}

static void send_rep(int sock, const struct rep *rep, int fd)
{
	struct iovec iov = { (void *)rep, sizeof(*rep) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sock, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(*rep))
		_exit(71);
}

/* the request loop of the zygote and of every pN; never returns */
__attribute__((noreturn))
static void serve(struct server *s)
{
	for (;;) {
		struct req q;
		struct rep rep;
		uintptr_t addr;
		size_t len;
		ssize_t n = recv(s->sock, &q, sizeof(q), 0);

		if (n == 0)
			_exit(0);	/* the driver is gone: so are we */
		if (n != (ssize_t)sizeof(q)) {
			if (n < 0 && errno == EINTR)
				continue;
			_exit(72);
		}
		memset(&rep, 0, sizeof(rep));
		rep.kind = REP_OK;
		addr = s->base + q.addr * s->page;
		len = q.len * s->page;
		switch (q.op) {
		case REQ_PING:
			rep.pid = getpid();
			break;
		case OP_FORK: {
			int sv[2];
			pid_t pid;

			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
				set_errno_rep(&rep, -1);
				break;
			}
			pid = fork();
			if (pid < 0) {
				set_errno_rep(&rep, -1);
				close(sv[0]);
				close(sv[1]);
				break;
			}
			if (pid == 0) {
				/* the new process: serves its own socket from here on */
				close(s->sock);
				close(sv[1]);
				s->sock = sv[0];
				continue;
			}
			close(sv[0]);
			rep.pid = pid;
			send_rep(s->sock, &rep, sv[1]);
			close(sv[1]);
			continue;
		}
		case OP_EXIT:
			send_rep(s->sock, &rep, -1);
			_exit(0);
		case OP_MMAP:
			do_mmap(s, &q, &rep);
			break;
		case OP_MUNMAP:
			set_errno_rep(&rep, munmap((void *)addr, len));
			break;
		case OP_MPROTECT:
			set_errno_rep(&rep, mprotect((void *)addr, len, mmap_prot(q.prot)));
			break;
		case OP_MREMAP: {
			void *r = mremap((void *)addr, len, q.len2 * s->page,
					 MREMAP_MAYMOVE | MREMAP_FIXED,
					 (void *)(uintptr_t)(s->base + q.addr2 * s->page));

			set_errno_rep(&rep, r == MAP_FAILED ? -1 : 0);
			break;
		}
		case OP_MADVISE:
			set_errno_rep(&rep, madvise((void *)addr, len, madv(q.advice)));
			break;
		case OP_MIGRATE:
			do_migrate(s, &q, &rep);
			break;
		case OP_UFFD_REGISTER:
		case OP_UFFD_MOVE:
			do_uffd(s, &q, &rep);
			break;
		case OP_REMAP_FILE_PAGES:
			/* prot 0 and flags 0, the only prot Linux takes */
			set_errno_rep(&rep, remap_file_pages((void *)addr, len, 0,
							     (size_t)q.addr2, 0));
			break;
		case OP_READ:
		case OP_WRITE:
			rep.value = q.value;
			if (probe(addr, q.op == OP_WRITE, &rep.value)) {
				rep.kind = REP_SIGNAL;
				rep.sig = fault_sig;
				rep.code = fault_code;
			}
			break;
		default:
			rep.kind = REP_ERRNO;
			rep.err = ENOSYS;
			break;
		}
		send_rep(s->sock, &rep, -1);
	}
}

/* is anything of ours' already in the test window? (the caller's heap, a sanitizer) */
static bool window_busy(uint64_t base, long page, char *what, size_t len)
{
	uint64_t end = base + WINDOW_PAGES * (uint64_t)page;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	bool busy = false;

	if (!f)
		return false;
	while (!busy && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;

		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && lo < end && hi > base) {
			busy = true;
			line[strcspn(line, "\n")] = 0;
			snprintf(what, len, "%s", line);
		}
	}
	fclose(f);
	return busy;
}

__attribute__((noreturn))
static void zygote_main(int sock, pid_t driver, uint64_t base)
{
	struct server s = { .base = base, .page = sysconf(_SC_PAGESIZE) };
	struct rep rep = { .kind = REP_OK };
	struct sigaction sa;
	char busy[300];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != driver)
		_exit(73);
	/* our own group: the driver kills all of us with one kill() */
	setpgid(0, 0);
	/* nothing of the caller's but our socket (and stdio) reaches the pN */
	if (sock != 3) {
		if (dup2(sock, 3) < 0)
			_exit(74);
		close(sock);
		sock = 3;
	}
	syscall(SYS_close_range, 4u, ~0u, 0u);
	s.sock = sock;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGCHLD, &sa, NULL);		/* exited pN are reaped by the kernel */
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = NULL;
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	s.memfd = (int)syscall(SYS_memfd_create, "mmt-host-file", 0u);
	if (s.memfd < 0) {
		rep.kind = REP_ERRNO;
		rep.err = errno;
	} else if (window_busy(base, s.page, busy, sizeof(busy))) {
		rep.kind = REP_ERRNO;
		rep.err = EADDRINUSE;
	}
	send_rep(sock, &rep, -1);
	if (rep.kind != REP_OK)
		_exit(75);
	serve(&s);
}

/* ------------------------------------------------------------- driver */

struct hproc {
	int sock;		/* -1: not live */
	pid_t pid;
};

struct host {
	const struct mmt_program *p;
	struct mmt_host_opts o;
	struct mmt_host_info info;
	struct mmt_host_result *r;
	struct hproc zyg;
	struct hproc procs[MMT_MAX_PROCS];
	bool ksm;		/* the KSM ops run here (o.ksm and ksm_begin() done) */
	int ksm_run;		/* the program's ksm_run mode (the model's start: 1) */
};

__attribute__((format(printf, 3, 4)))
static void fail(struct host *h, long op, const char *fmt, ...)
{
	struct mmt_host_result *r = h->r;
	va_list ap;

	if (r->status != HOST_DONE)
		return;
	r->status = HOST_ERROR;
	r->fail_op = op;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

static const char *pname(const struct host *h, int proc)
{
	return proc >= 0 && proc < h->p->nr_names ? h->p->names[proc] : "?";
}

/* wait for @sock to be readable; 0, or -1 on timeout */
static int wait_readable(int sock, double timeout)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	int ms = (int)(timeout * 1000), r;

	do
		r = poll(&pfd, 1, ms);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : -1;
}

/*
 * One request and its reply.  @fd: a descriptor the reply carries (fork),
 * or NULL.  0, or -1 after fail().
 */
static int request(struct host *h, long op, struct hproc *hp, const char *who,
		   const struct req *q, struct rep *rep, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { rep, sizeof(*rep) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n;

	if (fd)
		*fd = -1;
	if (send(hp->sock, q, sizeof(*q), MSG_NOSIGNAL) != (ssize_t)sizeof(*q)) {
		fail(h, op, "lost contact with %s (pid %ld)", who, (long)hp->pid);
		return -1;
	}
	if (wait_readable(hp->sock, h->o.timeout)) {
		fail(h, op, "%s (pid %ld) did not answer within %.0f s", who, (long)hp->pid,
		     h->o.timeout);
		return -1;
	}
	do
		n = recvmsg(hp->sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(c), sizeof(int));
			if (fd && *fd < 0)
				*fd = got;
			else
				close(got);
		}
	}
	if (n != (ssize_t)sizeof(*rep)) {
		if (fd && *fd >= 0)
			close(*fd);
		fail(h, op, "%s (pid %ld) died", who, (long)hp->pid);
		return -1;
	}
	return 0;
}

/* a new process's socket arrived: check it answers as @pid */
static int adopt(struct host *h, long op, int proc, int sock, pid_t pid)
{
	struct hproc *hp = &h->procs[proc];
	struct req q = { .op = REQ_PING };
	struct rep rep;

	hp->sock = sock;
	hp->pid = pid;
	if (request(h, op, hp, pname(h, proc), &q, &rep, NULL))
		return -1;
	if (rep.pid != pid) {
		fail(h, op, "%s answered with the wrong pid %ld", pname(h, proc), (long)rep.pid);
		return -1;
	}
	return 0;
}

/* the process left: wait for its socket's EOF, which comes after exit_mm() */
static int wait_gone(struct host *h, long op, struct hproc *hp, const char *who)
{
	char b[sizeof(struct rep)];
	ssize_t n;

	for (;;) {
		if (wait_readable(hp->sock, h->o.timeout)) {
			fail(h, op, "%s (pid %ld) did not exit", who, (long)hp->pid);
			return -1;
		}
		n = recv(hp->sock, b, sizeof(b), 0);
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	close(hp->sock);
	hp->sock = -1;
	return 0;
}

static int start_zygote(struct host *h)
{
	struct rep rep;
	pid_t driver = getpid(), pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		fail(h, -1, "socketpair: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);		/* or the children would write our buffers again */
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		fail(h, -1, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		zygote_main(sv[1], driver, h->o.base);
	}
	close(sv[1]);
	setpgid(pid, pid);	/* whichever of us gets there first */
	h->zyg.sock = sv[0];
	h->zyg.pid = pid;
	if (wait_readable(sv[0], h->o.timeout) ||
	    recv(sv[0], &rep, sizeof(rep), 0) != (ssize_t)sizeof(rep)) {
		fail(h, -1, "the zygote (pid %ld) did not start", (long)pid);
		return -1;
	}
	if (rep.kind != REP_OK) {
		fail(h, -1, "the zygote cannot run: %s", rep.err == EADDRINUSE ?
		     "the test window is not empty (another --base?)" : strerror(rep.err));
		h->r->status = HOST_UNSUPPORTED;
		return -1;
	}
	return 0;
}

static void kill_all(struct host *h)
{
	int i;

	for (i = 0; i < MMT_MAX_PROCS; i++) {
		if (h->procs[i].sock >= 0) {
			close(h->procs[i].sock);
			h->procs[i].sock = -1;
		}
	}
	if (h->zyg.pid > 0) {
		/* the zygote is our unreaped child, so its group still exists */
		kill(-h->zyg.pid, SIGKILL);
		kill(h->zyg.pid, SIGKILL);
		waitpid(h->zyg.pid, NULL, 0);
		while (waitpid(-h->zyg.pid, NULL, WNOHANG) > 0)
			;
		h->zyg.pid = 0;
	}
	if (h->zyg.sock >= 0) {
		close(h->zyg.sock);
		h->zyg.sock = -1;
	}
}

static bool model_only(const struct mmt_op *op)
{
	switch (op->code) {
	case OP_SWAPON: case OP_SWAPOFF: case OP_RECLAIM: case OP_CHECK:
	case OP_KSWAPD: case OP_KCOMPACTD:
	/* khugepaged scans on its own schedule; no knob forces a pass */
	case OP_KHUGEPAGED:
	/* the bitmap is indexed by the model's pfns, which Linux does not share */
	case OP_PAGE_IDLE:
	/* the HMM device needs test_hmm.ko and root */
	case OP_DEVICE_MIGRATE: case OP_DEVICE_RELEASE:
	/*
	 * ksmd cannot be made to scan, nor its knobs set, without root and
	 * the opt-in (mmt_host_opts.ksm: why_skip() asks ksm_begin's result)
	 */
	case OP_KSMD: case OP_KSM_RUN: case OP_KSM_MERGE_ACROSS_NODES:
	/*
	 * a long-term pin is io_uring_register(IORING_REGISTER_BUFFERS) on
	 * Linux and the device's access a READ_FIXED/WRITE_FIXED: not done
	 * here, so a pin_write's value is the model's alone
	 */
	case OP_PIN: case OP_UNPIN: case OP_PIN_WRITE: case OP_PIN_READ:
		return true;
	default:
		return false;
	}
}

static void set_outcome(struct mmt_host_op *ho, const struct rep *rep)
{
	switch (rep->kind) {
	case REP_OK:
		ho->outcome = OUT_OK;
		break;
	case REP_ERRNO:
		ho->err = rep->err;
		ho->outcome = (int8_t)mmt_errno_outcome(-(long)rep->err, false);
		break;
	default:
		ho->sig = rep->sig;
		ho->si_code = rep->code;
		ho->outcome = rep->sig == SIGBUS ? OUT_BUS : OUT_SEGV;
		break;
	}
}

/* ------------------------------------------------------------ host KSM */

/*
 * With mmt_host_opts.ksm (--host-ksm) the KSM ops drive this machine's
 * ksmd through /sys/kernel/mm/ksm, as root.  The knobs are global, so
 *
 *   - a lock file makes such runs take turns (two at once would save each
 *     other's settings and put the wrong ones back);
 *   - what a run changes is saved first and written back on every way out:
 *     the end of the run, a harness error, SIGINT and SIGTERM (the handler
 *     only uses open, read, write, close and nanosleep);
 *   - `run` stays 0 except while a `ksmd` op waits, so the host merges
 *     where the program says, as the model does, and not behind its back
 *     while other ops run.  The program's ksm_run mode is kept apart: mode
 *     1 writes 0 (the next `ksmd` writes 1), modes 0 and 2 write themselves
 *     (2 unmerges every KSM page, as the model's does).
 *
 * `ksmd N` writes run 1 and waits (within the op timeout) until
 * full_scans has gone up by KSM_PASSES.  pages_to_scan is far above what a
 * program maps, so one wakeup of ksmd (one ksm_do_scan()) is one whole
 * pass, from the head of the mm list back to it, and since run is 0
 * between ksmd ops no pass is ever left half done: every op starts with
 * the cursor at the head, as the model's do, and a newly registered mm
 * goes at the tail, into the coming pass (__ksm_enter, both sides).  So
 * one pass is the model's `ksmd N` whenever N covers the registered pages
 * (the seeds' `ksmd 16`): a page is checksummed on one pass and merged on
 * the next, on both sides.  For a smaller N the model scans N pages where
 * the host scans them all: the host merges no later than the model, and
 * sometimes an op earlier.  Merging changes no value read; it changes
 * which pages are KSM pages, which the host reports (a read's ksm_page, a
 * ksmd's ksm_merging) and UFFDIO_MOVE's EBUSY shows.
 */
#define KSM_DIR			"/sys/kernel/mm/ksm/"
#define KSM_LOCK		"/tmp/mmtorture-host-ksm.lock"
#define KSM_LOCK_WAIT		120.0	/* seconds another --host-ksm run may hold it */
#define KSM_PAGES_TO_SCAN	"10000"	/* one wakeup ends a pass over our few pages */
#define KSM_SLEEP_MS		"20"	/* between two passes: we stop ksmd well before */
#define KSM_PASSES		1	/* full passes per `ksmd N` */
#define KPF_KSM_		21	/* /proc/kpageflags: a KSM page */
#define PM_PFN_MASK_		((1ull << 55) - 1)

enum ksm_knob {
	KNOB_RUN, KNOB_PAGES_TO_SCAN, KNOB_SLEEP, KNOB_SMART_SCAN, KNOB_MERGE_ACROSS_NODES,
	NR_KNOBS
};

static const char *const knob_path[NR_KNOBS] = {
	[KNOB_RUN] = KSM_DIR "run",
	[KNOB_PAGES_TO_SCAN] = KSM_DIR "pages_to_scan",
	[KNOB_SLEEP] = KSM_DIR "sleep_millisecs",
	[KNOB_SMART_SCAN] = KSM_DIR "smart_scan",			/* Linux 6.7 */
	[KNOB_MERGE_ACROSS_NODES] = KSM_DIR "merge_across_nodes",	/* CONFIG_NUMA */
};

/* file scope: the signal handler restores the knobs too */
static struct {
	volatile sig_atomic_t active;	/* the knobs are changed and ours to put back */
	bool have[NR_KNOBS];		/* the knob exists here */
	char saved[NR_KNOBS][32];	/* its value before the run */
	bool handlers;			/* old_int and old_term hold the caller's */
	struct sigaction old_int, old_term;
	int lock_fd;
} ksm_saved = { .lock_fd = -1 };

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* async-signal-safe */
static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* a sysfs or procfs file's first line, trailing newline dropped; async-signal-safe */
static int read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	for (ssize_t k = 0; k < n; k++)
		if (buf[k] == '\n')
			buf[k] = 0;
	return 0;
}

static long read_long(const char *path)
{
	char buf[32];

	return read_line(path, buf, sizeof(buf)) ? -1 : strtol(buf, NULL, 10);
}

/* 0, or the errno the kernel's store method gave; async-signal-safe */
static int knob_write(const char *path, const char *val)
{
	size_t len = 0;
	int fd, err = 0;

	while (val[len])
		len++;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, val, len) != (ssize_t)len)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

/*
 * Put the saved knobs back, once.  merge_across_nodes only changes while
 * no page is shared, so a changed one is restored after run 2 (it unmerges
 * every KSM page and drops the stable nodes our dead processes left), with
 * retries while a process of ours is still exiting.  `run` goes last, so
 * ksmd does not scan with our settings.  Async-signal-safe.
 */
static void ksm_restore(void)
{
	const int tuning[] = { KNOB_SMART_SCAN, KNOB_SLEEP, KNOB_PAGES_TO_SCAN };
	char now[32];

	if (!ksm_saved.active)
		return;
	ksm_saved.active = 0;
	if (ksm_saved.have[KNOB_MERGE_ACROSS_NODES] &&
	    !read_line(knob_path[KNOB_MERGE_ACROSS_NODES], now, sizeof(now)) &&
	    strcmp(now, ksm_saved.saved[KNOB_MERGE_ACROSS_NODES])) {
		knob_write(knob_path[KNOB_RUN], "2");
		for (int t = 0; t < 200; t++) {
			if (knob_write(knob_path[KNOB_MERGE_ACROSS_NODES],
				       ksm_saved.saved[KNOB_MERGE_ACROSS_NODES]) != EBUSY)
				break;
			sleep_ms(10);
			knob_write(knob_path[KNOB_RUN], "2");
		}
	}
	for (size_t k = 0; k < sizeof(tuning) / sizeof(tuning[0]); k++)
		if (ksm_saved.have[tuning[k]])
			knob_write(knob_path[tuning[k]], ksm_saved.saved[tuning[k]]);
	knob_write(knob_path[KNOB_RUN], ksm_saved.saved[KNOB_RUN]);
}

/*
 * SIGINT or SIGTERM while the knobs are ours.  If the caller catches the
 * signal (difftest's stop flag), its handler runs and the run ends as
 * usual, restoring then; if the signal would kill us, restore first.
 */
static void ksm_signal(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *old = sig == SIGINT ? &ksm_saved.old_int : &ksm_saved.old_term;
	int saved_errno = errno;
	struct sigaction dfl;

	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
	} else if (old->sa_handler == SIG_IGN) {
		/* nothing */
	} else if (old->sa_handler != SIG_DFL) {
		old->sa_handler(sig);
	} else {
		/* our processes outlive us a little: unmerge them while they do */
		if (ksm_saved.active)
			knob_write(knob_path[KNOB_RUN], "2");
		ksm_restore();
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(sig, &dfl, NULL);
		raise(sig);	/* delivered when we return: the signal is blocked here */
	}
	errno = saved_errno;
}

/* the program has an op that needs the host's KSM */
static bool uses_ksm(const struct mmt_program *p)
{
	for (size_t i = 0; i < p->nr_ops; i++)
		if (p->ops[i].code == OP_KSMD || p->ops[i].code == OP_KSM_RUN ||
		    p->ops[i].code == OP_KSM_MERGE_ACROSS_NODES)
			return true;
	return false;
}

/*
 * Take the lock, save the knobs, catch SIGINT and SIGTERM, and set the
 * host up as the model starts: ksm_run 1 (for us: run 0 between ksmd ops),
 * merge_across_nodes 1, nothing shared.  0, or -1 after fail(); ksm_end()
 * undoes whatever was done either way.
 */
static int ksm_begin(struct host *h)
{
	double t0 = mono_now();
	struct sigaction sa;
	int k, err;

	ksm_saved.lock_fd = open(KSM_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (ksm_saved.lock_fd < 0) {
		fail(h, -1, "--host-ksm: %s: %s", KSM_LOCK, strerror(errno));
		return -1;
	}
	while (flock(ksm_saved.lock_fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			fail(h, -1, "--host-ksm: flock %s: %s", KSM_LOCK, strerror(errno));
			return -1;
		}
		if (mono_now() - t0 > KSM_LOCK_WAIT) {
			fail(h, -1, "--host-ksm: another run has held %s for %.0f s", KSM_LOCK,
			     KSM_LOCK_WAIT);
			return -1;
		}
		sleep_ms(20);
	}
	for (k = 0; k < NR_KNOBS; k++) {
		ksm_saved.have[k] = !read_line(knob_path[k], ksm_saved.saved[k],
					       sizeof(ksm_saved.saved[k]));
		if (!ksm_saved.have[k] && k <= KNOB_SLEEP) {
			fail(h, -1, "--host-ksm: cannot read %s: %s", knob_path[k], strerror(errno));
			return -1;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ksm_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGINT, &sa, &ksm_saved.old_int);
	sigaction(SIGTERM, &sa, &ksm_saved.old_term);
	ksm_saved.handlers = true;
	ksm_saved.active = 1;

	err = knob_write(knob_path[k = KNOB_RUN], "0");
	if (!err)
		err = knob_write(knob_path[k = KNOB_PAGES_TO_SCAN], KSM_PAGES_TO_SCAN);
	if (!err)
		err = knob_write(knob_path[k = KNOB_SLEEP], KSM_SLEEP_MS);
	/* no pass skips a page that did not merge last time: merging as the model's */
	if (!err && ksm_saved.have[KNOB_SMART_SCAN])
		err = knob_write(knob_path[k = KNOB_SMART_SCAN], "0");
	/* stable nodes that dead processes (an earlier run's) left count as shared */
	if (!err && (read_long(KSM_DIR "pages_shared") > 0 ||
		     read_long(KSM_DIR "pages_sharing") > 0)) {
		err = knob_write(knob_path[k = KNOB_RUN], "2");
		if (!err)
			err = knob_write(knob_path[KNOB_RUN], "0");
	}
	if (!err && ksm_saved.have[KNOB_MERGE_ACROSS_NODES] &&
	    strcmp(ksm_saved.saved[KNOB_MERGE_ACROSS_NODES], "1"))
		err = knob_write(knob_path[k = KNOB_MERGE_ACROSS_NODES], "1");
	if (err) {
		fail(h, -1, "--host-ksm: setting %s: %s", knob_path[k], strerror(err));
		return -1;
	}
	h->ksm = true;
	h->ksm_run = 1;
	return 0;
}

/* after kill_all(): the knobs back, the caller's handlers back, the lock dropped */
static void ksm_end(struct host *h)
{
	if (ksm_saved.active) {
		/*
		 * our processes are killed: drop the stable nodes they leave
		 * behind, again while one of them (an orphan, reaped by init)
		 * is still tearing its mm down
		 */
		for (int t = 0; t < 50 && (read_long(KSM_DIR "pages_shared") > 0 ||
					   read_long(KSM_DIR "pages_sharing") > 0); t++) {
			knob_write(knob_path[KNOB_RUN], "2");
			sleep_ms(t ? 10 : 0);
		}
		ksm_restore();
	}
	if (ksm_saved.handlers) {
		sigaction(SIGINT, &ksm_saved.old_int, NULL);
		sigaction(SIGTERM, &ksm_saved.old_term, NULL);
		ksm_saved.handlers = false;
	}
	if (ksm_saved.lock_fd >= 0) {
		close(ksm_saved.lock_fd);	/* and the flock with it */
		ksm_saved.lock_fd = -1;
	}
	h->ksm = false;
}

/* /proc/PID/ksm_stat says the mm is registered with KSM: 1, 0, or -1 (no such line) */
static int proc_ksm_mergeable(pid_t pid)
{
	char path[64], line[128];
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/ksm_stat", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (ret < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, "ksm_mergeable:", 14))
			ret = strstr(line + 14, "yes") != NULL;
	fclose(f);
	return ret;
}

/* the pages of the live processes that are merged now; -1 if unknown */
static long ksm_merging(const struct host *h)
{
	long sum = 0;

	for (int k = 0; k < MMT_MAX_PROCS; k++) {
		char path[64];
		long n;

		if (h->procs[k].sock < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ksm_merging_pages", (long)h->procs[k].pid);
		n = read_long(path);
		if (n < 0)
			return -1;
		sum += n;
	}
	return sum;
}

/* is @addr of @pid a KSM page?  1, 0 (also: not present), -1 unknown */
static int8_t page_is_ksm(pid_t pid, uint64_t addr, long page)
{
	char path[64];
	uint64_t e, flags;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/pagemap", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, &e, sizeof(e), (off_t)(addr / (uint64_t)page * sizeof(e)));
	close(fd);
	if (n != (ssize_t)sizeof(e))
		return -1;
	if (!(e >> 63))
		return 0;
	if (!(e & PM_PFN_MASK_))
		return -1;	/* the PFN is hidden from us (no CAP_SYS_ADMIN) */
	fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, &flags, sizeof(flags), (off_t)((e & PM_PFN_MASK_) * sizeof(flags)));
	close(fd);
	return n == (ssize_t)sizeof(flags) ? (int8_t)((flags >> KPF_KSM_) & 1) : -1;
}

/*
 * `ksmd N` on the host: run 1 until full_scans has gone up by KSM_PASSES,
 * then run 0 again.  Nothing to do, as in the model, while the mode is not 1 or no
 * live process of ours is registered (ksmd would sleep, full_scans still).
 */
static int ksm_scan(struct host *h, long i, struct mmt_host_op *ho)
{
	bool registered = false;
	long f0, f = -1;
	double t0;
	int err;

	for (int k = 0; k < MMT_MAX_PROCS && h->ksm_run == 1 && !registered; k++)
		registered = h->procs[k].sock >= 0 && proc_ksm_mergeable(h->procs[k].pid);
	if (registered) {
		f0 = read_long(KSM_DIR "full_scans");
		err = knob_write(knob_path[KNOB_RUN], "1");
		if (err) {
			fail(h, i, "ksmd: writing 1 to %s: %s", knob_path[KNOB_RUN], strerror(err));
			return -1;
		}
		t0 = mono_now();
		while ((f = read_long(KSM_DIR "full_scans")) >= 0 && f < f0 + KSM_PASSES &&
		       mono_now() - t0 < h->o.timeout)
			sleep_ms(1);
		err = knob_write(knob_path[KNOB_RUN], "0");
		if (f0 < 0 || f < f0 + KSM_PASSES) {
			fail(h, i, "ksmd: %sfull_scans went from %ld to %ld in %.0f s, not up by %d",
			     KSM_DIR, f0, f, h->o.timeout, KSM_PASSES);
			return -1;
		}
		if (err) {
			fail(h, i, "ksmd: writing 0 to %s: %s", knob_path[KNOB_RUN], strerror(err));
			return -1;
		}
	}
	ho->ksm_merging = ksm_merging(h);
	return 0;
}

/* ksm_run MODE and ksm_merge_across_nodes 0|1: the knob, written */
static void ksm_knob_op(struct host *h, const struct mmt_op *op, struct mmt_host_op *ho)
{
	struct rep rep = { .kind = REP_OK };
	int err;

	if (op->code == OP_KSM_RUN) {
		err = knob_write(knob_path[KNOB_RUN], op->addr == 2 ? "2" : "0");
		/* a failed unmerge leaves Linux's run at 0 (run_store) */
		h->ksm_run = err ? 0 : (int)op->addr;
	} else {
		err = knob_write(knob_path[KNOB_MERGE_ACROSS_NODES], op->addr ? "1" : "0");
	}
	if (err) {
		rep.kind = REP_ERRNO;
		rep.err = err;
	}
	set_outcome(ho, &rep);
}

/*
 * split P ADDR N: the driver writes "<pid>,<start>,<end>" to debugfs's
 * split_huge_pages for P's pid (split_huge_pages_pid; new_order 0 by
 * default).  The kernel answers the length written, or an errno.
 */
static void split_op(struct host *h, const struct mmt_op *op, struct mmt_host_op *ho)
{
	uint64_t ps = (uint64_t)h->info.page_size;
	struct rep rep = { .kind = REP_OK };
	char buf[96];
	int fd, len;

	len = snprintf(buf, sizeof(buf), "%d,0x%llx,0x%llx", (int)h->procs[op->proc].pid,
		       (unsigned long long)(h->o.base + op->addr * ps),
		       (unsigned long long)(h->o.base + (op->addr + op->len) * ps));
	fd = open(SPLIT_HUGE_PAGES, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)len) != len) {
		rep.kind = REP_ERRNO;
		rep.err = errno;
	}
	if (fd >= 0)
		close(fd);
	set_outcome(ho, &rep);
}

/* the op's skip reason, or HOST_RAN if it can run here */
static enum mmt_host_skip why_skip(const struct host *h, const struct mmt_op *op)
{
	/* the driver itself writes the knobs: no process of the program is asked */
	if (h->ksm && (op->code == OP_KSMD || op->code == OP_KSM_RUN ||
		       (op->code == OP_KSM_MERGE_ACROSS_NODES &&
			ksm_saved.have[KNOB_MERGE_ACROSS_NODES])))
		return HOST_RAN;
	if (model_only(op))
		return HOST_SKIP_MODEL_ONLY;
	if (op->code == OP_SPAWN)
		return HOST_RAN;
	if (h->procs[op->proc].sock < 0)
		return HOST_SKIP_NO_PROC;
	if (op->code == OP_SPLIT && !h->info.split_huge_pages)
		return HOST_SKIP_NO_SPLIT;
	if (op->code == OP_MIGRATE) {
		bool here = op->node >= 0 && op->node < 64 &&
			    (h->info.node_mask >> op->node) & 1;
		bool there = op->node >= 0 && op->node < h->p->world.nodes;

		if (!h->info.move_pages)
			return HOST_SKIP_NO_MOVE_PAGES;
		/* a node on neither side is ENODEV on both: that compares */
		if (here != there)
			return HOST_SKIP_NO_NODE;
		if (op->all && !h->info.cap_sys_nice)
			return HOST_SKIP_NO_CAP;
	}
	return HOST_RAN;
}

static int run_op(struct host *h, long i)
{
	const struct mmt_op *op = &h->p->ops[i];
	struct mmt_host_op *ho = &h->r->ops[i];
	struct hproc *hp;
	struct req q;
	struct rep rep;
	int fd;

	ho->skip = (uint8_t)why_skip(h, op);
	ho->outcome = OUT_OK;
	if (ho->skip != HOST_RAN)
		return 0;
	memset(&q, 0, sizeof(q));
	q.op = op->code;
	q.prot = op->prot;
	q.mflags = op->mflags;
	q.advice = op->advice;
	q.all = op->all;
	q.node = op->node;
	q.addr = op->addr;
	q.len = op->len;
	q.addr2 = op->addr2;
	q.len2 = op->len2;
	q.value = op->value + (op->code == OP_WRITE && h->o.corrupt_writes);

	switch (op->code) {
	case OP_KSMD:
		ho->outcome = OUT_OK;
		return ksm_scan(h, i, ho);
	case OP_KSM_RUN:
	case OP_KSM_MERGE_ACROSS_NODES:
		ksm_knob_op(h, op, ho);
		return 0;
	case OP_SPAWN:
		if (h->procs[op->proc].sock >= 0) {
			/* the reader's static rules make this impossible */
			fail(h, i, "spawn of live process %s", pname(h, op->proc));
			return -1;
		}
		q.op = OP_FORK;
		if (request(h, i, &h->zyg, "the zygote", &q, &rep, &fd))
			return -1;
		set_outcome(ho, &rep);
		if (rep.kind == REP_OK)
			return adopt(h, i, op->proc, fd, rep.pid);
		return 0;
	case OP_FORK:
		hp = &h->procs[op->proc];
		if (request(h, i, hp, pname(h, op->proc), &q, &rep, &fd))
			return -1;
		set_outcome(ho, &rep);
		if (rep.kind == REP_OK)
			return adopt(h, i, op->proc2, fd, rep.pid);
		return 0;
	case OP_EXIT:
		hp = &h->procs[op->proc];
		if (request(h, i, hp, pname(h, op->proc), &q, &rep, NULL))
			return -1;
		set_outcome(ho, &rep);
		return wait_gone(h, i, hp, pname(h, op->proc));
	case OP_SPLIT:
		split_op(h, op, ho);
		return 0;
	default:
		hp = &h->procs[op->proc];
		if (request(h, i, hp, pname(h, op->proc), &q, &rep, NULL))
			return -1;
		set_outcome(ho, &rep);
		if (op->code == OP_READ && rep.kind == REP_OK) {
			ho->value = rep.value;
			if (h->o.ksm)
				ho->ksm_page = page_is_ksm(hp->pid, h->o.base + op->addr *
							   (uint64_t)h->info.page_size,
							   h->info.page_size);
		}
		return 0;
	}
}

int mmt_host_run(const struct mmt_program *p, const struct mmt_host_opts *o,
		 struct mmt_host_result *r)
{
	struct host h;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->fail_op = -1;
	r->ops = calloc(p->nr_ops ? p->nr_ops : 1, sizeof(*r->ops));
	if (!r->ops)
		return -ENOMEM;
	r->nr_ops = p->nr_ops;
	for (i = 0; i < p->nr_ops; i++) {
		r->ops[i].skip = HOST_SKIP_NOT_RUN;
		r->ops[i].outcome = -1;
		r->ops[i].ksm_page = -1;
		r->ops[i].ksm_merging = -1;
	}

	memset(&h, 0, sizeof(h));
	h.p = p;
	h.r = r;
	if (o)
		h.o = *o;
	else
		mmt_host_opts_default(&h.o);
	if (!h.o.base)
		h.o.base = MMT_HOST_BASE;
	if (h.o.timeout <= 0)
		h.o.timeout = 10;
	h.zyg.sock = -1;
	for (i = 0; i < MMT_MAX_PROCS; i++)
		h.procs[i].sock = -1;
	mmt_host_info(&h.info);

	if (!h.info.supported) {
		r->status = HOST_UNSUPPORTED;
		snprintf(r->msg, sizeof(r->msg), "the host runner needs 64-bit Linux");
		return 0;
	}
	if (h.o.base % (uint64_t)h.info.page_size ||
	    h.o.base + WINDOW_PAGES * (uint64_t)h.info.page_size > (1ull << 47)) {
		r->status = HOST_UNSUPPORTED;
		snprintf(r->msg, sizeof(r->msg), "base 0x%llx: not page aligned or no room for "
			 "2^32 pages below 2^47", (unsigned long long)h.o.base);
		return 0;
	}
	for (i = 0; i < p->nr_ops; i++) {
		if (p->ops[i].task) {
			r->status = HOST_UNSUPPORTED;
			snprintf(r->msg, sizeof(r->msg), "line %u: task @%u: programs with several "
				 "tasks cannot run on the host (their interleaving is the model's)",
				 p->ops[i].line, p->ops[i].task);
			return 0;
		}
	}

	if (h.o.ksm && !h.info.ksm_control) {
		r->status = HOST_UNSUPPORTED;
		snprintf(r->msg, sizeof(r->msg), "--host-ksm needs root and a writable "
			 "/sys/kernel/mm/ksm/run (a kernel with CONFIG_KSM)");
		return 0;
	}

	/* the lock and the knobs before any process: a run without them runs nothing */
	if ((!h.o.ksm || !uses_ksm(p) || ksm_begin(&h) == 0) && start_zygote(&h) == 0)
		for (i = 0; i < p->nr_ops; i++)
			if (run_op(&h, (long)i))
				break;
	kill_all(&h);
	ksm_end(&h);
	return 0;
}

void mmt_host_result_free(struct mmt_host_result *r)
{
	free(r->ops);
	r->ops = NULL;
	r->nr_ops = 0;
}

void mmt_host_describe(const struct mmt_host_op *op, char *buf, size_t len)
{
	static const char *const segv[] = { "?", "SEGV_MAPERR", "SEGV_ACCERR" };
	static const char *const bus[] = { "?", "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR" };

	if (op->skip != HOST_RAN) {
		snprintf(buf, len, "skipped: %s", mmt_host_skip_name(op->skip));
	} else if (op->sig) {
		const char *code = op->sig == SIGSEGV ?
			(op->si_code > 0 && op->si_code < 3 ? segv[op->si_code] : "?") :
			(op->si_code > 0 && op->si_code < 4 ? bus[op->si_code] : "?");

		snprintf(buf, len, "%s (%s)", op->sig == SIGBUS ? "SIGBUS" : "SIGSEGV", code);
	} else if (op->err) {
		snprintf(buf, len, "%s (errno %d, %s)", op->outcome >= 0 ?
			 mmt_outcome_name(op->outcome) : "unnamed errno", op->err,
			 strerror(op->err));
	} else {
		snprintf(buf, len, "%s", mmt_outcome_name(op->outcome));
	}
}
