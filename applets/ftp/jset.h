/* SPDX-License-Identifier: MIT */
/* jset.h - the set of items a --journal records as done: each key is two
 * independent 64-bit hashes of the item, so a collision of one hash alone does not
 * make an undone item look done. Unit-tested in tests/unit/check_ftp.c. */
#ifndef FTP_JSET_H
#define FTP_JSET_H

#include <stddef.h>
#include <stdint.h>

struct jkey {
	uint64_t a, b; /* a != 0 (0 marks an empty slot) */
};
struct jset {
	struct jkey *v;
	size_t cap, n;
};

/* The key of an item: FNV-1a 64 and a multiply-xorshift hash of another seed. */
struct jkey jset_key(const char *item);
int jset_has(const struct jset *s, struct jkey k);
void jset_add(struct jset *s, struct jkey k);
void jset_free(struct jset *s);

#endif
