/* SPDX-License-Identifier: MIT */
/* fuzz_nntp_over.c - libFuzzer harness for the overview parsers: the input up to the
 * first empty line is a LIST OVERVIEW.FMT, the rest OVER lines, each split and its
 * fields mapped through the format. Seeds: tests/fuzz/corpus/fuzz_nntp_over/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nntp/over.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct over_fmt f;
	over_fmt_default(&f);
	int in_fmt = 1, replaced = 0;
	size_t i = 0;
	while (i < size) {
		const char *e = memchr(p + i, '\n', size - i);
		size_t n = e ? (size_t)(e - (p + i)) : size - i;
		const char *l = p + i;
		if (in_fmt && n == 0) {
			in_fmt = 0;
		} else if (in_fmt) {
			if (!replaced)
				f.n = 0; /* the server's format replaces the default, once */
			replaced = 1;
			over_fmt_add(&f, l, n);
			if (f.n > OVER_MAX_FIELDS)
				abort();
		} else {
			struct over_field v[OVER_MAX_FIELDS + 1];
			long long num;
			int k = over_split(l, n, v, OVER_MAX_FIELDS + 1, &num);
			for (int j = 1; j < k; j++) {
				struct over_field x = over_value(&f, j, v[j]);
				if (x.p < l || x.p + x.n > l + n)
					abort();
			}
		}
		i += n + (e ? 1 : 0);
	}
	return 0;
}
