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
	};

	return s < NR_HOST_SKIP ? names[s] : "?";
}

const char *mmt_host_skip_key(enum mmt_host_skip s)
{
	static const char *const keys[NR_HOST_SKIP] = {
		[HOST_RAN] = "ran", [HOST_SKIP_MODEL_ONLY] = "model_only",
		[HOST_SKIP_NO_NODE] = "no_node", [HOST_SKIP_NO_CAP] = "no_cap_sys_nice",
		[HOST_SKIP_NO_MOVE_PAGES] = "no_move_pages", [HOST_SKIP_NO_PROC] = "no_process",
		[HOST_SKIP_NOT_RUN] = "not_run",
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

void mmt_host_info(struct mmt_host_info *info)
{
	char buf[4096], *cap;
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
	/* the HMM device needs test_hmm.ko and root */
	case OP_DEVICE_MIGRATE: case OP_DEVICE_RELEASE:
	/* ksmd cannot be made to scan, nor its knobs set, without root */
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

/* the op's skip reason, or HOST_RAN if it can run here */
static enum mmt_host_skip why_skip(const struct host *h, const struct mmt_op *op)
{
	if (model_only(op))
		return HOST_SKIP_MODEL_ONLY;
	if (op->code == OP_SPAWN)
		return HOST_RAN;
	if (h->procs[op->proc].sock < 0)
		return HOST_SKIP_NO_PROC;
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
	default:
		hp = &h->procs[op->proc];
		if (request(h, i, hp, pname(h, op->proc), &q, &rep, NULL))
			return -1;
		set_outcome(ho, &rep);
		if (op->code == OP_READ && rep.kind == REP_OK)
			ho->value = rep.value;
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

	if (start_zygote(&h) == 0)
		for (i = 0; i < p->nr_ops; i++)
			if (run_op(&h, (long)i))
				break;
	kill_all(&h);
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
