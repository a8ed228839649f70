// SPDX-License-Identifier: GPL-2.0
/* qprof_gate on|off: open/close the insnprof counting window from a shell
 * (personality(0xffffffff) / getpgid(0); see scripts/profile.sh).  Note
 * that exec and exit of this program itself fall inside the window. */
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	if (!strcmp(argv[1], "on"))
		syscall(SYS_personality, 0xffffffffUL);
	else if (!strcmp(argv[1], "off"))
		syscall(SYS_getpgid, 0);
	else
		return 2;
	return 0;
}
