// SPDX-License-Identifier: GPL-2.0
/*
 * A user-space model of the two fd-table layouts, run natively: TCG has
 * no caches, so what one more dependent load costs can only be seen on a
 * real CPU.  It is a model, not the kernel: no RCU, no refcount, no
 * bitmap; only the loads of a lookup.
 *
 *   flat      fd[i]                     one array of N pointers
 *   chunked   dir[i >> 6][i & 63]       a directory of 64-slot chunks,
 *                                       each chunk allocated on its own
 *
 * Every slot points to a 64-byte "file" whose first word the lookup
 * reads, as fget() reads f_count.  Lookups are random (an xorshift over
 * the N slots) or sequential, and either independent (the CPU may overlap
 * them, as separate system calls may) or dependent (the next index comes
 * from the file just read: the latency of the whole chain).
 *
 * Prints one line per case: "fd_lookup layout=... slots=N order=...
 * chain=... ns_per_lookup=X", X the minimum over RUNS runs, both layouts
 * measured in turn within each run.
 *
 *   fd_lookup [RUNS] [LOOKUPS]     defaults 7 and 4194304
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK_SHIFT	6
#define CHUNK_SLOTS	(1u << CHUNK_SHIFT)
#define MAX_SHIFT	20

struct file_model {
	uint64_t count;		/* read by every lookup */
	uint64_t next;		/* the next index of a dependent chain */
	char pad[48];
};

struct table {
	struct file_model **flat;
	struct file_model ***dir;
	uint32_t slots;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Both layouts point to the same files, allocated in slot order. */
static void table_build(struct table *t, uint32_t slots)
{
	struct file_model *files;
	uint32_t i, s = 2463534242u;

	t->slots = slots;
	files = aligned_alloc(64, (size_t)slots * sizeof(*files));
	t->flat = malloc((size_t)slots * sizeof(*t->flat));
	t->dir = malloc((size_t)(slots / CHUNK_SLOTS + 1) * sizeof(*t->dir));
	if (!files || !t->flat || !t->dir) {
		perror("malloc");
		exit(1);
	}
	for (i = 0; i < slots; i += CHUNK_SLOTS) {
		/* as kcalloc() per chunk: each chunk lands where malloc puts it */
		t->dir[i >> CHUNK_SHIFT] = calloc(CHUNK_SLOTS, sizeof(**t->dir));
		if (!t->dir[i >> CHUNK_SHIFT]) {
			perror("calloc");
			exit(1);
		}
	}
	for (i = 0; i < slots; i++) {
		memset(&files[i], 0, sizeof(files[i]));
		files[i].count = 1;
		files[i].next = i;
		t->flat[i] = &files[i];
		t->dir[i >> CHUNK_SHIFT][i & (CHUNK_SLOTS - 1)] = &files[i];
	}
	/*
	 * Sattolo's shuffle: the next indices form one cycle through every
	 * slot, so a dependent chain cannot settle in a short, cached loop.
	 */
	for (i = slots - 1; i > 0; i--) {
		uint32_t j = xorshift(&s) % i;
		uint64_t tmp = files[i].next;

		files[i].next = files[j].next;
		files[j].next = tmp;
	}
}

static void table_free(struct table *t)
{
	uint32_t i;

	free(t->flat[0]);
	for (i = 0; i < t->slots; i += CHUNK_SLOTS)
		free(t->dir[i >> CHUNK_SHIFT]);
	free(t->dir);
	free(t->flat);
}

static inline struct file_model *lookup(const struct table *t, int chunked,
					uint32_t fd)
{
	if (chunked)
		return t->dir[fd >> CHUNK_SHIFT][fd & (CHUNK_SLOTS - 1)];
	return t->flat[fd];
}

/* ns per lookup of one pass; the sum keeps the loads from being dropped */
static double pass(const struct table *t, int chunked, int random,
		   int dependent, uint32_t n, uint64_t *sink)
{
	uint32_t mask = t->slots - 1, s = 88172645u, fd = 0, i;
	uint64_t sum = 0;
	double t0 = now_ns();

	for (i = 0; i < n; i++) {
		struct file_model *f = lookup(t, chunked, fd);

		sum += f->count;
		if (dependent)
			fd = random ? (uint32_t)f->next : ((fd + (uint32_t)(f->count)) & mask);
		else
			fd = random ? (xorshift(&s) & mask) : ((fd + 1) & mask);
	}
	*sink += sum;
	return (now_ns() - t0) / n;
}

int main(int argc, char **argv)
{
	static const char * const layout[] = { "flat", "chunked" };
	int runs = argc > 1 ? atoi(argv[1]) : 7;
	uint32_t n = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1u << 22;
	uint64_t sink = 0;
	int shift, order, chain, l, r;

	if (runs < 1 || n < 1) {
		fprintf(stderr, "usage: fd_lookup [RUNS] [LOOKUPS]\n");
		return 2;
	}
	printf("# fd_lookup: native model of the fd-table layouts, %d runs of %u lookups, minimum\n",
	       runs, n);
	for (shift = CHUNK_SHIFT; shift <= MAX_SHIFT; shift += 2) {
		struct table t;

		table_build(&t, 1u << shift);
		for (order = 1; order >= 0; order--) {
			for (chain = 0; chain <= 1; chain++) {
				double best[2] = { 1e30, 1e30 };

				for (r = 0; r < runs; r++) {
					for (l = 0; l < 2; l++) {
						double ns = pass(&t, l, order, chain, n, &sink);

						if (ns < best[l])
							best[l] = ns;
					}
				}
				for (l = 0; l < 2; l++)
					printf("fd_lookup layout=%s slots=%u order=%s chain=%s ns_per_lookup=%.3f\n",
					       layout[l], t.slots, order ? "random" : "sequential",
					       chain ? "dependent" : "independent", best[l]);
				printf("fd_lookup layout=ratio slots=%u order=%s chain=%s chunked_over_flat=%.3f\n",
				       t.slots, order ? "random" : "sequential",
				       chain ? "dependent" : "independent", best[1] / best[0]);
			}
		}
		table_free(&t);
	}
	return sink == 42;	/* never: keeps the sums alive */
}
