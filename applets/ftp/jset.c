/* SPDX-License-Identifier: MIT */
/* jset.c - open-addressing set of journal keys (two 64-bit hashes per item).
 *
 * Header: applets/ftp/jset.h    Tests: tests/unit/check_ftp.c, tests/integration/ftp_batch.sh
 */
#include <stdlib.h>

#include "jset.h"
#include "nt_err.h"

struct jkey jset_key(const char *item)
{
	uint64_t a = 1469598103934665603ULL, b = 0x9e3779b97f4a7c15ULL;
	for (const unsigned char *p = (const unsigned char *)item; *p; p++) {
		a ^= *p;
		a *= 1099511628211ULL;
		b = (b + *p + 1) * 0xff51afd7ed558ccdULL;
		b ^= b >> 29;
	}
	b ^= b >> 33;
	b *= 0xc4ceb9fe1a85ec53ULL;
	b ^= b >> 33;
	return (struct jkey){a ? a : 1, b};
}

static int same(struct jkey x, struct jkey y)
{
	return x.a == y.a && x.b == y.b;
}

int jset_has(const struct jset *s, struct jkey k)
{
	if (!s->cap)
		return 0;
	for (size_t i = k.a & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->v[i].a)
			return 0;
		if (same(s->v[i], k))
			return 1;
	}
}

static void put(struct jkey *v, size_t cap, struct jkey k)
{
	for (size_t i = k.a & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!v[i].a) {
			v[i] = k;
			return;
		}
}

void jset_add(struct jset *s, struct jkey k)
{
	if (!k.a)
		k.a = 1;
	if (jset_has(s, k))
		return;
	if ((s->n + 1) * 2 > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1024;
		struct jkey *nv = xcalloc(nc, sizeof *nv);
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i].a)
				put(nv, nc, s->v[i]);
		free(s->v);
		s->v = nv;
		s->cap = nc;
	}
	put(s->v, s->cap, k);
	s->n++;
}

void jset_free(struct jset *s)
{
	free(s->v);
	s->v = NULL;
	s->cap = s->n = 0;
}
