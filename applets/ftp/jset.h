/* SPDX-License-Identifier: MIT */
/* jset.h - the set of items a --journal records as done: each key is two
 * independent 64-bit hashes of the item, so a collision of one hash alone does not
 * make an undone item look done. 16 bytes a slot; a table sized once for a known count
 * (jset_reserve: 1.5 slots an item, 24 bytes) is never copied. Unit-tested in
 * tests/unit/check_ftp.c. */
#ifndef FTP_JSET_H
#define FTP_JSET_H

#include <stddef.h>
#include <stdint.h>

struct jkey {
	uint64_t a, b; /* a != 0 (0 marks an empty slot); b places the key in the table */
};
struct jset {
	struct jkey *v;
	size_t cap, n;
};

/* The key of an item (a NUL-terminated string, or n bytes): two hashes, 8 bytes a
 * step, with different multipliers, seeds and finalisers. Not stored anywhere: only
 * the keys of one process are ever compared. */
struct jkey jset_key(const char *item);
struct jkey jset_key_n(const void *item, size_t n);
int jset_has(const struct jset *s, struct jkey k);
void jset_add(struct jset *s, struct jkey k);
/* Start loading k's first slot into the cache (a lookup soon after finds it there). */
void jset_prefetch(const struct jset *s, struct jkey k);
/* Room for n keys in all, allocated once (an empty set only; later adds beyond it grow
 * the table as jset_add does). */
void jset_reserve(struct jset *s, size_t n);
void jset_free(struct jset *s);

#endif
