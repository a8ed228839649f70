/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_UNIX abstract names for the unix_hash selftest and benchmark, and a
 * userspace copy of 6.12's abstract hash that shows how they collided.
 */
#ifndef LSP_UNIX_NAMES_H
#define LSP_UNIX_NAMES_H

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#define NAME_LEN	11
#define OLD_BUCKETS	256	/* the baseline's abstract half of the table */

/*
 * The old abstract hash, net/unix/af_unix.c of 6.12: the ones' complement
 * sum of the little-endian 16-bit words of the whole sockaddr_un (the odd
 * byte at the end as a low byte), complemented (csum_fold), then
 * hash ^= hash >> 8; hash ^= type; bucket = hash & 255.
 */
static inline unsigned int old_abstract_bucket(const struct sockaddr_un *sun,
					       socklen_t len, int type)
{
	const unsigned char *p = (const unsigned char *)sun;
	unsigned long sum = 0;
	unsigned int hash;
	socklen_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] | p[i + 1] << 8;
	if (len & 1)
		sum += p[len - 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	hash = ~sum & 0xffff;
	hash ^= hash >> 8;
	hash ^= type;
	return hash & (OLD_BUCKETS - 1);
}

/*
 * Names that collide under the old hash, printable, NAME_LEN bytes like
 * "sock-%06d": "adv" and then two groups of four bytes a, b, K - a, K - b
 * with a, b in '0'..'z' and K = '0' + 'z'.  "adv" puts each group at an
 * even offset of the sockaddr (family 2 bytes, the leading NUL, 3 bytes),
 * where it adds the 16-bit words (a | b << 8) + (K - a | (K - b) << 8),
 * the same K | K << 8 whatever a and b: every name has the same checksum.
 * 75^4 names.
 */
#define DIGITS		75
#define K_SUM		('0' + 'z')

static inline void adversarial_name(char *name, unsigned int i)
{
	int g;

	memcpy(name, "adv", 3);
	for (g = 0; g < 2; g++) {
		unsigned char a = '0' + i % DIGITS;
		unsigned char b = '0' + i / DIGITS % DIGITS;

		name[3 + 4 * g] = a;
		name[4 + 4 * g] = b;
		name[5 + 4 * g] = K_SUM - a;
		name[6 + 4 * g] = K_SUM - b;
		i /= DIGITS * DIGITS;
	}
}

/* "sock-%06d": ordinary names, which the old hash spread badly */
static inline void ordinary_name(char *name, unsigned int i)
{
	char buf[NAME_LEN + 1];

	snprintf(buf, sizeof(buf), "sock-%06u", i % 1000000);
	memcpy(name, buf, NAME_LEN);
}

#endif /* LSP_UNIX_NAMES_H */
