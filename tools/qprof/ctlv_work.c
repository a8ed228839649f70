// SPDX-License-Identifier: GPL-2.0
/*
 * ctlv_work: one epoll_ctl/epoll_ctlv phase per run, with the insnprof
 * gate open only around the phase measured.
 *
 *   ctlv_work OP-MODE NR_FDS REPS [BATCH]
 *
 * OP is add, mod or del; MODE is loop (one epoll_ctl() per fd) or ctlv
 * (epoll_ctlv() in batches of BATCH, default 1024).  "null" as OP-MODE
 * opens and closes the gate REPS times with nothing between (the gate's
 * own cost).  NR_FDS eventfds are made once; each rep makes a fresh
 * epoll fd and does ADD all, MOD all, DEL all (same mode for all three),
 * then closes it: only OP's phase runs inside the gate.
 *
 * Gate: personality(0xffffffff) opens it (scripts/profile.sh passes the
 * address of __x64_sys_personality as start=), getpgid(0) closes it
 * (__x64_sys_getpgid as stop=).  Raw syscalls: libc cannot cache them.
 * The last line printed, "... ops_measured=N", is the profile's divisor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "epoll_ctlv_phases.h"
#include "qprof_gate.h"

static int nr_fds;
static int *fds;
static struct epoll_ctl_op *ops;
static unsigned int batch = 1024;


static void die(const char *what)
{
	fprintf(stderr, "ctlv_work: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The phases of epoll_ctlv_bench, with the gate where it reads the clock. */
static void phase_loop(int epfd, int op, int gated)
{
	if (gated)
		gate_on();
	ctl_loop(epfd, op, fds, nr_fds);
	if (gated)
		gate_off();
}

static void phase_ctlv(int epfd, int op, int gated)
{
	ctlv_fill(ops, op, fds, nr_fds);
	if (gated)
		gate_on();
	ctlv_batches(epfd, ops, nr_fds, batch);
	if (gated)
		gate_off();
	ctlv_check(ops, nr_fds);
}

int main(int argc, char **argv)
{
	int reps, r, op, measured = -1, ctlv = 0;
	char mode[16];

	if (argc < 4) {
		fprintf(stderr, "usage: %s add|mod|del-loop|ctlv | null NR_FDS REPS [BATCH]\n", argv[0]);
		return 2;
	}
	nr_fds = atoi(argv[2]);
	reps = atoi(argv[3]);
	if (argc > 4)
		batch = atoi(argv[4]);
	if (strcmp(argv[1], "null")) {
		if (sscanf(argv[1], "%*[a-z]-%15s", mode) != 1)
			return 2;
		if (!strncmp(argv[1], "add-", 4))
			measured = OP_ADD;
		else if (!strncmp(argv[1], "mod-", 4))
			measured = OP_MOD;
		else if (!strncmp(argv[1], "del-", 4))
			measured = OP_DEL;
		else
			return 2;
		if (!strcmp(mode, "ctlv"))
			ctlv = 1;
		else if (strcmp(mode, "loop"))
			return 2;
	}
	if (nr_fds < 1 || reps < 1 || batch < 1)
		return 2;

	ctlv_setup(nr_fds, &fds, &ops);

	for (r = 0; r < reps; r++) {
		int epfd = epoll_create1(EPOLL_CLOEXEC);

		if (epfd < 0)
			die("epoll_create1");
		if (measured < 0) {
			gate_on();
			gate_off();
		} else {
			for (op = 0; op < NR_OPS; op++) {
				if (ctlv)
					phase_ctlv(epfd, op, op == measured);
				else
					phase_loop(epfd, op, op == measured);
			}
		}
		close(epfd);
	}
	printf("ctlv_work %s nr_fds=%d reps=%d batch=%u ops_measured=%ld\n",
	       argv[1], nr_fds, reps, batch,
	       measured < 0 ? 0L : (long)nr_fds * reps);
	return 0;
}
