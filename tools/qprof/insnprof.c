// SPDX-License-Identifier: GPL-2.0
/*
 * insnprof: a QEMU (7.2, plugin API v1) TCG plugin that counts, for every
 * guest kernel instruction address, how many times it was executed, and
 * writes "vaddr count" lines at exit.
 *
 *   qemu-system-x86_64 ... -plugin libinsnprof.so,out=FILE[,start=HEX][,stop=HEX]
 *                                   [,kbase=HEX]
 *
 * out=FILE   the dump (default insnprof.out in QEMU's cwd).
 * start=HEX  counting is off until the guest executes the instruction at
 *            HEX (a kernel function's entry, e.g. __x64_sys_personality);
 *            each execution of it opens a counting window.
 * stop=HEX   each execution of the instruction at HEX closes the window.
 *            Without start=, counting is on from the first instruction.
 * kbase=HEX  lowest address counted as kernel (default ffffffff80000000).
 *
 * How it counts: each kernel TB gets a record with an inline (no helper
 * call) execution counter and the list of its instructions' addresses;
 * a TB is straight-line code, so each of its instructions ran as many
 * times as the TB was entered (a fault part-way through a TB
 * overcounts the rest of that TB; rare).  Gating is done by snapshots:
 * when a window opens every record's counter is remembered, when it
 * closes the difference is added to the record's total.  A window's
 * marker TB is counted whole when the marker is its first instruction
 * (the usual case for a function entry) and the TB holding the stop
 * marker is not counted.  User-mode TBs are counted as one total.
 * Only meaningful with one vCPU (-smp 1): counters are not atomic.
 *
 * Output: comment lines ("# key value": windows, kernel, user, tbs;
 * then "# window I kernel K user U" for each window), then "vaddr count" (hex vaddr, decimal count), sorted by vaddr,
 * instructions with count 0 omitted.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct tbrec {
	uint64_t execs;		/* bumped inline on every TB entry */
	uint64_t mark;		/* execs when the open window began */
	uint64_t counted;	/* executions inside windows */
	uint32_t n;
	uint64_t vaddr[];
};

static struct tbrec **recs;
static size_t nrecs, caprecs;

/* User-mode instructions: one counter, gated the same way. */
static struct tbrec user = { 0 };

static char *out_path = "insnprof.out";
static uint64_t kbase = 0xffffffff80000000ULL;
static uint64_t start_addr, stop_addr;
static bool have_start, have_stop;
static bool counting;
static uint64_t windows;

/* Kernel and user instructions of each closed window, for the dump. */
struct wsum {
	uint64_t kernel, user;
};
static struct wsum *wsums;
static size_t nwsums, capwsums;

static void window_open(void)
{
	size_t i;

	if (counting)
		return;
	for (i = 0; i < nrecs; i++)
		recs[i]->mark = recs[i]->execs;
	user.mark = user.execs;
	counting = true;
	windows++;
}

static void window_close(void)
{
	size_t i;

	uint64_t k = 0, d;

	if (!counting)
		return;
	for (i = 0; i < nrecs; i++) {
		d = recs[i]->execs - recs[i]->mark;
		recs[i]->counted += d;
		k += d * recs[i]->n;
	}
	user.counted += user.execs - user.mark;
	counting = false;
	if (nwsums == capwsums) {
		capwsums = capwsums ? 2 * capwsums : 256;
		wsums = realloc(wsums, capwsums * sizeof(*wsums));
		if (!wsums)
			abort();
	}
	wsums[nwsums].kernel = k;
	wsums[nwsums].user = user.execs - user.mark;
	nwsums++;
}

/* udata: the record of the TB holding the marker instruction. */
static void on_start(unsigned int vcpu, void *udata)
{
	struct tbrec *r = udata;

	(void)vcpu;
	if (counting)
		return;
	window_open();
	/* The TB's inline counter ran before this callback: count it. */
	if (r)
		r->mark--;
}

static void on_stop(unsigned int vcpu, void *udata)
{
	struct tbrec *r = udata;

	(void)vcpu;
	if (!counting)
		return;
	window_close();
	/* Leave the stop marker's TB out. */
	if (r && r->counted) {
		r->counted--;
		wsums[nwsums - 1].kernel -= r->n;
	}
}

static void add_rec(struct tbrec *r)
{
	if (nrecs == caprecs) {
		caprecs = caprecs ? 2 * caprecs : 65536;
		recs = realloc(recs, caprecs * sizeof(*recs));
		if (!recs) {
			fprintf(stderr, "insnprof: out of memory\n");
			abort();
		}
	}
	recs[nrecs++] = r;
}

static void vcpu_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	uint64_t pc = qemu_plugin_tb_vaddr(tb);
	struct tbrec *r;

	(void)id;
	if (pc < kbase) {
		qemu_plugin_register_vcpu_tb_exec_inline(tb,
			QEMU_PLUGIN_INLINE_ADD_U64, &user.execs, n);
		return;
	}
	r = calloc(1, sizeof(*r) + n * sizeof(r->vaddr[0]));
	if (!r) {
		fprintf(stderr, "insnprof: out of memory\n");
		abort();
	}
	r->n = n;
	/* A TB translated inside a window starts from 0: mark = 0 is right. */
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t va = qemu_plugin_insn_vaddr(insn);

		r->vaddr[i] = va;
		if (have_start && va == start_addr)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_start,
				QEMU_PLUGIN_CB_NO_REGS, r);
		if (have_stop && va == stop_addr)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_stop,
				QEMU_PLUGIN_CB_NO_REGS, r);
	}
	add_rec(r);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &r->execs, 1);
}

/* Open-addressing hash: vaddr -> count. */
struct slot {
	uint64_t va;
	uint64_t count;
};

static int cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return (x->va > y->va) - (x->va < y->va);
}

static void plugin_exit(qemu_plugin_id_t id, void *p)
{
	size_t cap = 1 << 16, used = 0, i, j;
	uint64_t kernel = 0;
	struct slot *tab;
	FILE *f;

	(void)id;
	(void)p;
	if (counting)
		window_close();

	for (i = 0; i < nrecs; i++)
		if (recs[i]->counted)
			used += recs[i]->n;
	while (cap < 2 * used + 16)
		cap <<= 1;
	tab = calloc(cap, sizeof(*tab));
	if (!tab) {
		fprintf(stderr, "insnprof: out of memory\n");
		return;
	}
	used = 0;
	for (i = 0; i < nrecs; i++) {
		struct tbrec *r = recs[i];

		if (!r->counted)
			continue;
		kernel += r->counted * r->n;
		for (j = 0; j < r->n; j++) {
			uint64_t va = r->vaddr[j];
			size_t h = (size_t)((va * 0x9E3779B97F4A7C15ULL) >> 20) & (cap - 1);

			while (tab[h].count && tab[h].va != va)
				h = (h + 1) & (cap - 1);
			if (!tab[h].count) {
				tab[h].va = va;
				used++;
			}
			tab[h].count += r->counted;
		}
	}
	/* Compact and sort. */
	for (i = 0, j = 0; i < cap; i++)
		if (tab[i].count)
			tab[j++] = tab[i];
	qsort(tab, j, sizeof(*tab), cmp_slot);

	f = fopen(out_path, "w");
	if (!f) {
		perror(out_path);
		free(tab);
		return;
	}
	fprintf(f, "# insnprof\n");
	fprintf(f, "# windows %" PRIu64 "\n", have_start ? windows : 1);
	fprintf(f, "# kernel %" PRIu64 "\n", kernel);
	fprintf(f, "# user %" PRIu64 "\n", user.counted);
	fprintf(f, "# tbs %zu\n", nrecs);
	for (i = 0; i < nwsums; i++)
		fprintf(f, "# window %zu kernel %" PRIu64 " user %" PRIu64 "\n",
			i, wsums[i].kernel, wsums[i].user);
	for (i = 0; i < j; i++)
		fprintf(f, "%016" PRIx64 " %" PRIu64 "\n", tab[i].va, tab[i].count);
	fclose(f);
	free(tab);
}

static bool parse_hex(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s)
		return false;
	*v = strtoull(s, &end, 16);
	return *end == '\0';
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *val = eq ? eq + 1 : NULL;
		size_t klen = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);

#define KEY(k) (klen == strlen(k) && !strncmp(argv[i], k, klen))
		if (KEY("out") && val) {
			out_path = strdup(val);
		} else if (KEY("start") && parse_hex(val, &start_addr)) {
			have_start = true;
		} else if (KEY("stop") && parse_hex(val, &stop_addr)) {
			have_stop = true;
		} else if (KEY("kbase") && parse_hex(val, &kbase)) {
			;
		} else {
			fprintf(stderr, "insnprof: bad argument '%s'\n", argv[i]);
			return -1;
		}
#undef KEY
	}
	if (info->system_emulation && info->system.smp_vcpus > 1)
		fprintf(stderr, "insnprof: warning: %d vCPUs; counts are not atomic\n",
			info->system.smp_vcpus);
	counting = !have_start;

	qemu_plugin_register_vcpu_tb_trans_cb(id, vcpu_tb_trans);
	qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
	return 0;
}
