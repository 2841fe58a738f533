/* SPDX-License-Identifier: MIT */
/*
 * cli.h - helpers shared by the mmtorture commands (the .c files in core/cli).
 */
#ifndef MMT_CLI_H
#define MMT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mmt/exec.h"
#include "mmt/program.h"

#define EXIT_HELD	0
#define EXIT_FAILED	1
#define EXIT_USAGE	2

int usage_error(const char *fmt, const char *arg);
int parse_inject(const char *list, uint64_t *mask);
int parse_u64(const char *s, uint64_t *v);
int parse_seconds(const char *s, double *v);
/* parse a .mmt file into @p (initialised here); message on stderr; 0/-1 */
int load(const char *path, struct mmt_program *p);
double now(void);

/* whole file into a malloc'd buffer (at most 64 MiB); 0 or -1 (errno) */
int read_file(const char *path, uint8_t **data, size_t *len);
/* write @len bytes to @path atomically: temp file, fsync, rename, fsync dir */
int write_atomic(const char *path, const void *data, size_t len);
/* mkdir -p */
int mkdirs(const char *path);

/* the directory mmtorture runs from (for the fuzz front ends built next to it) */
const char *self_dir(void);
/* SELF_DIR/@name if it is there and executable (or readable, @exec false) */
bool find_next_to_self(const char *name, bool exec, char *out, size_t len);

/*
 * Bytes from a fuzzer -> a program that replays the way the fuzzer ran it:
 * decoded with up to @tasks tasks and run as the harness runs it
 * (fuzzrun.h: teardown on, lenient schedule, bugs @inject, PCT runs after
 * a passing multi-task run), with the schedule its reported run took.  @r
 * gets that run (free it with mmt_exec_result_free).  0, or -1 on out of
 * memory.
 */
int bytes_to_program(const uint8_t *data, size_t size, int tasks, uint64_t inject,
		     struct mmt_program *p, struct mmt_exec_result *r);

/* $MMT_FUZZ_TASKS, else @def */
int env_tasks(int def);

/* the commands */
int cmd_convert(int argc, char **argv);
int cmd_minimize(int argc, char **argv);
int cmd_fuzz(int argc, char **argv);
int cmd_stress(int argc, char **argv);	/* stress/, via cmd_stress.c */
int cmd_hunt(int argc, char **argv);

/*
 * hunt with a fuzzer engine (cmd_fuzz.c): run @engine ("libfuzzer" or
 * "afl") until a violation that @inject causes shows up.
 */
struct hunt_req {
	const char *engine;
	const char *inject_name;
	uint64_t inject;
	double budget;
	uint64_t seed;
	int tasks;
	int jobs;
	const char *out_dir;
	bool custom_mutator;	/* AFL++: load the custom mutator library */
	const char *fuzzer;	/* libFuzzer binary override (bench: -custom/-stock) */
	bool quiet;
};
struct hunt_res {
	bool found;
	double seconds;
	unsigned long long execs;
	char finding[4096];
	char sig[96];
};
int fuzz_hunt(const struct hunt_req *req, struct hunt_res *res);

#endif /* MMT_CLI_H */
