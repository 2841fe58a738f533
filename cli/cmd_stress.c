// SPDX-License-Identifier: MIT
/*
 * cmd_stress.c - mmtorture stress [--threads N] [--time S] [--seed X] ...
 * The work is in stress/ (libmmt_stress.a); see stress/stress.h.
 */
#include "stress.h"

int cmd_stress(int argc, char **argv);

int cmd_stress(int argc, char **argv)
{
	return stress_main(argc, argv);
}
