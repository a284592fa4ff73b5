/* SPDX-License-Identifier: MIT */
/* jset.c - open-addressing set of journal keys (two 64-bit hashes per item): linear
 * probing from a slot chosen by the second hash (well mixed: any table size, no power
 * of two needed), at most 2/3 full.
 *
 * Header: applets/ftp/jset.h    Tests: tests/unit/check_ftp.c, tests/integration/ftp_batch.sh
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "jset.h"
#include "nt_err.h"

static uint64_t rotl(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

/* murmur3's 64-bit finaliser, and another one (constants of splitmix64) */
static uint64_t fmix_a(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ x >> 33;
}

static uint64_t fmix_b(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ x >> 31;
}

struct jkey jset_key_n(const void *item, size_t n)
{
	const unsigned char *p = item;
	uint64_t a = 0x243f6a8885a308d3ULL ^ n, b = 0x13198a2e03707344ULL ^ rotl(n, 32);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		a = rotl((a ^ w) * 0x9e3779b97f4a7c15ULL, 31);
		b = rotl(b ^ w * 0xc2b2ae3d27d4eb4fULL, 27) * 0x165667b19e3779f9ULL;
		p += 8, n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, n); /* the last 0-7 bytes, zero-padded (the length is in the seeds) */
	a = rotl((a ^ w) * 0x9e3779b97f4a7c15ULL, 31);
	b = rotl(b ^ w * 0xc2b2ae3d27d4eb4fULL, 27) * 0x165667b19e3779f9ULL;
	a = fmix_a(a);
	b = fmix_b(b);
	return (struct jkey){a ? a : 1, b};
}

struct jkey jset_key(const char *item)
{
	return jset_key_n(item, strlen(item));
}

/* The first slot of k in a table of cap slots: the top bits of b scaled to cap. */
static size_t home(uint64_t b, size_t cap)
{
	if ((uint64_t)cap <= UINT32_MAX)
		return (size_t)(((b >> 32) * (uint64_t)cap) >> 32);
	return (size_t)(b % cap);
}

void jset_prefetch(const struct jset *s, struct jkey k)
{
	if (s->cap)
		__builtin_prefetch(&s->v[home(k.b, s->cap)]);
}

static int same(struct jkey x, struct jkey y)
{
	return x.a == y.a && x.b == y.b;
}

int jset_has(const struct jset *s, struct jkey k)
{
	if (!s->cap)
		return 0;
	if (!k.a)
		k.a = 1;
	for (size_t i = home(k.b, s->cap);;) {
		if (!s->v[i].a)
			return 0;
		if (same(s->v[i], k))
			return 1;
		if (++i == s->cap)
			i = 0;
	}
}

static void put(struct jkey *v, size_t cap, struct jkey k)
{
	for (size_t i = home(k.b, cap);;) {
		if (!v[i].a) {
			v[i] = k;
			return;
		}
		if (++i == cap)
			i = 0;
	}
}

/* A zeroed table. A big one is mapped on 2 MiB boundaries and offered huge pages: a
 * lookup lands anywhere in it, and 4 KiB pages cost a TLB miss and, the first time, a
 * page fault nearly every time (measured: a third of a resumed run of 1,000,000 items). */
#define HUGE_SZ ((size_t)2 << 20)

static struct jkey *table_alloc(size_t cap)
{
	size_t len = cap * sizeof(struct jkey);
	if (len < 4 * HUGE_SZ)
		return xcalloc(cap, sizeof(struct jkey));
	len = (len + HUGE_SZ - 1) & ~(HUGE_SZ - 1);
	char *m = mmap(NULL, len + HUGE_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die(NT_EXIT_IO, "out of memory (%zu bytes)", len);
	char *a = (char *)(((uintptr_t)m + HUGE_SZ - 1) & ~(uintptr_t)(HUGE_SZ - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	if (a + len < m + len + HUGE_SZ)
		munmap(a + len, (size_t)(m + len + HUGE_SZ - (a + len)));
#ifdef MADV_HUGEPAGE
	madvise(a, len, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
#endif
	return (struct jkey *)a;
}

static void table_free(struct jkey *v, size_t cap)
{
	size_t len = cap * sizeof(struct jkey);
	if (!v)
		return;
	if (len < 4 * HUGE_SZ)
		free(v);
	else
		munmap(v, (len + HUGE_SZ - 1) & ~(HUGE_SZ - 1));
}

static void resize(struct jset *s, size_t nc)
{
	struct jkey *nv = table_alloc(nc);
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].a)
			put(nv, nc, s->v[i]);
	table_free(s->v, s->cap);
	s->v = nv;
	s->cap = nc;
}

void jset_reserve(struct jset *s, size_t n)
{
	if (s->n || n < 16)
		return;
	size_t nc = n + n / 2 + 1;
	if (nc > s->cap)
		resize(s, nc);
}

void jset_add(struct jset *s, struct jkey k)
{
	if (!k.a)
		k.a = 1;
	if (jset_has(s, k))
		return;
	if ((s->n + 1) * 3 > s->cap * 2)
		resize(s, s->cap ? s->cap * 2 : 1024);
	put(s->v, s->cap, k);
	s->n++;
}

void jset_free(struct jset *s)
{
	table_free(s->v, s->cap);
	s->v = NULL;
	s->cap = s->n = 0;
}
