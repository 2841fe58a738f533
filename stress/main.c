// SPDX-License-Identifier: MIT
/* mmtorture-stress: `mmtorture stress` as a program of its own (see stress.h). */
#include "stress.h"

int main(int argc, char **argv)
{
	return stress_main(argc - 1, argv + 1);
}
