// SPDX-License-Identifier: MIT
/*
 * util.c - helpers shared by the mmtorture commands (cli.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mmt/decode.h"
#include "mmt/fuzzrun.h"
#include "mmt/inject.h"
#include "mmt/minimize.h"

int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "mmtorture: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see mmtorture --help)\n");
	return EXIT_USAGE;
}

int parse_inject(const char *list, uint64_t *mask)
{
	char bad[64];

	if (mmt_inject_parse(list, mask, bad, sizeof(bad))) {
		fprintf(stderr, "mmtorture: unknown bug '%s' (see mmtorture inject --list)\n", bad);
		return -1;
	}
	return 0;
}

int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

int parse_seconds(const char *s, double *v)
{
	char *end;

	if (!s || !*s)
		return -1;
	*v = strtod(s, &end);
	return *end || !(*v > 0) ? -1 : 0;
}

int load(const char *path, struct mmt_program *p)
{
	struct mmt_parse_error err;

	mmt_program_init(p);
	if (mmt_parse_file(path, p, &err)) {
		fprintf(stderr, "%s:%u:%u: %s\n", path, err.line, err.col, err.msg);
		mmt_program_free(p);
		return -1;
	}
	return 0;
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -1;
	for (;;) {
		size_t got;

		if (n == cap) {
			uint8_t *b;

			cap = cap ? 2 * cap : 4096;
			if (cap > (64u << 20)) {
				errno = EFBIG;
				goto fail;
			}
			b = realloc(buf, cap);
			if (!b)
				goto fail;
			buf = b;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				goto fail;
			break;
		}
	}
	fclose(f);
	*data = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	fclose(f);
	return -1;
}

int mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0777) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0777) && errno != EEXIST)
		return -1;
	return 0;
}

int write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *p = data;
	int fd, dfd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fchmod(fd, 0644) || fsync(fd))
		goto fail;
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path))
		goto fail;
	/* the rename itself must survive a crash too */
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

const char *self_dir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(dir, sizeof(dir), ".");
		return dir;
	}
	exe[n] = 0;
	snprintf(dir, sizeof(dir), "%s", dirname(exe));
	return dir;
}

bool find_next_to_self(const char *name, bool exec, char *out, size_t len)
{
	if (snprintf(out, len, "%s/%s", self_dir(), name) >= (int)len)
		return false;
	return access(out, exec ? X_OK : R_OK) == 0;
}

int env_tasks(int def)
{
	const char *s = getenv("MMT_FUZZ_TASKS");
	int n = s && *s ? atoi(s) : 0;

	return n >= 1 && n <= MMT_MAX_TASKS ? n : def;
}

int bytes_to_program(const uint8_t *data, size_t size, int tasks, uint64_t inject,
		     struct mmt_program *p, struct mmt_exec_result *r)
{
	struct mmt_fuzz_run fr = { .max_tasks = tasks, .pct_runs = mmt_fuzz_pct_runs() };
	struct mmt_exec_opts o;

	/* as the harness runs it, so that what it found reproduces here */
	mmt_exec_opts_default(&o);
	o.inject = inject;
	o.teardown = true;
	fr.exec = &o;
	return mmt_fuzz_run(data, size, &fr, p, r);
}
