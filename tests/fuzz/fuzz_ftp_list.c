/* SPDX-License-Identifier: MIT */
/* fuzz_ftp_list.c - libFuzzer harness for the ftp listing parsers: the input is a
 * listing body; every line goes through the MLSD and the LIST parser, and each parsed
 * name through the safe-name check (as mirror does). */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "ftp/parse.h"
#include "file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size, adv;
	struct ftp_entry e;
	char err[256];
	while (left) {
		size_t l = ftp_next_line(p, left, &adv);
		if (ftp_parse_mlsd(p, l, &e) == 0) {
			if (e.namelen > FTP_NAME_MAX)
				__builtin_trap();
			file_safe_name(e.name, e.namelen, err, sizeof err);
		}
		if (ftp_parse_list(p, l, 1795700000, &e) == 0) {
			if (e.namelen > FTP_NAME_MAX || e.name[e.namelen] != 0)
				__builtin_trap();
			file_safe_name(e.name, e.namelen, err, sizeof err);
		}
		p += adv;
		left -= adv;
	}
	return 0;
}
