/* SPDX-License-Identifier: MIT */
/* fuzz_ftp_path.c - libFuzzer harness for ftp_path_lexnorm (the copy-onto-itself check's
 * path normaliser, user input): the input is a path (up to its first NUL). The result
 * must be no longer than the input plus one, have no empty, "." or inner ".." component
 * (only leading ".." of a relative path), keep an absolute path absolute, and be a fixed
 * point: normalised again, the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftp/ftp.h"

static int bad_components(const char *p)
{
	int leading = p[0] != '/';
	for (const char *c = p + (p[0] == '/'); *c;) {
		size_t l = strcspn(c, "/");
		if (!l || (l == 1 && c[0] == '.'))
			return 1;
		if (l == 2 && c[0] == '.' && c[1] == '.') {
			if (!leading)
				return 1;
		} else
			leading = 0;
		c += l;
		if (*c == '/' && !*++c)
			return 1; /* a trailing "/" */
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = 0;
	char *out = ftp_path_lexnorm(in);
	size_t lo = strlen(out);
	if (lo > strlen(in) + 1 || (in[0] == '/') != (out[0] == '/') || bad_components(out))
		__builtin_trap();
	char *again = ftp_path_lexnorm(out);
	if (strcmp(again, out))
		__builtin_trap();
	free(again);
	free(out);
	free(in);
	return 0;
}
