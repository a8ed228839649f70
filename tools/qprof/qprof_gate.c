// SPDX-License-Identifier: GPL-2.0
/*
 * qprof_gate on|off: open or close the insnprof counting window from a
 * shell.  The exec and exit of this program fall inside the window.
 */
#include <string.h>

#include "qprof_gate.h"

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	if (!strcmp(argv[1], "on"))
		gate_on();
	else if (!strcmp(argv[1], "off"))
		gate_off();
	else
		return 2;
	return 0;
}
