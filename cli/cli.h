/* SPDX-License-Identifier: MIT */
/*
 * cli.h - helpers shared by the mmtorture commands (cli/cmd_*.c): parsing the
 * command line, exit statuses.  The work is in the libraries below.
 */
#ifndef MMT_CLI_H
#define MMT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mmt/exec.h"
#include "mmt/hunt.h"
#include "mmt/program.h"

#define EXIT_HELD	0
#define EXIT_FAILED	1
#define EXIT_USAGE	2

int usage_error(const char *fmt, const char *arg);
/* is --help or -h among @argv (before a "--")? */
bool wants_help(int argc, char **argv);
/* @text on stdout: the answer to --help; returns EXIT_HELD */
int print_help(const char *text);
int parse_inject(const char *list, uint64_t *mask);
int parse_u64(const char *s, uint64_t *v);
int parse_seconds(const char *s, double *v);
/* parse a .mmt file into @p (initialised here); message on stderr; 0/-1 */
int load(const char *path, struct mmt_program *p);

/* $MMT_FUZZ_TASKS, else @def */
int env_tasks(int def);

/*
 * The end of a hunt (hunt and fuzz --engine naive; mmt_hunt returned
 * @err): the hunt-result line on stdout, and the exit status.  With a bug
 * to find: 0 found, 1 not found; without: 0 nothing found, 1 a violation;
 * 1 out of memory, 2 the engine cannot run here.
 */
int hunt_finish(const struct mmt_hunt_opts *o, int err, const struct mmt_hunt_result *res);

/* the commands */
int cmd_convert(int argc, char **argv);
int cmd_minimize(int argc, char **argv);
int cmd_fuzz(int argc, char **argv);
int cmd_stress(int argc, char **argv);	/* stress/, via cmd_stress.c */
int cmd_hunt(int argc, char **argv);
int cmd_difftest(int argc, char **argv);	/* and host-replay: cmd_difftest.c */
int cmd_host_replay(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_workshare(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_corpus(int argc, char **argv);	/* corpus minimize|check: cmd_corpus.c */
int cmd_merge(int argc, char **argv);	/* cmd_corpus.c */
int cmd_explore(int argc, char **argv);

#endif /* MMT_CLI_H */
