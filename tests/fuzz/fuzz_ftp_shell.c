/* SPDX-License-Identifier: MIT */
/* fuzz_ftp_shell.c - libFuzzer harness for the `ftp shell` line splitter: the input is a
 * script; every line is split, and the words must lie inside the buffer, be
 * NUL-terminated, hold no control character but TAB, and be no longer than the line. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "ftp/shparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size;
	static char buf[FTP_SH_LINE_MAX + 1];
	char *argv[FTP_SH_MAXARGS];
	while (left) {
		const char *nl = memchr(p, '\n', left);
		size_t l = nl ? (size_t)(nl - p) : left;
		const char *err;
		int n = ftp_sh_split(p, l, buf, l < sizeof buf ? l + 1 : sizeof buf, argv, FTP_SH_MAXARGS, &err);
		if (n < 0 && !err)
			__builtin_trap();
		for (int i = 0; i < n; i++) {
			if (argv[i] < buf || argv[i] >= buf + sizeof buf)
				__builtin_trap();
			size_t wl = strnlen(argv[i], (size_t)(buf + sizeof buf - argv[i]));
			if (argv[i] + wl >= buf + sizeof buf || wl > l)
				__builtin_trap();
			for (size_t k = 0; k < wl; k++)
				if (((unsigned char)argv[i][k] < 0x20 && argv[i][k] != '\t') || argv[i][k] == 0x7f)
					__builtin_trap();
		}
		left -= nl ? l + 1 : l;
		p += nl ? l + 1 : l;
	}
	return 0;
}
