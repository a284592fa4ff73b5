/* SPDX-License-Identifier: MIT */
/* fuzz_ftp_reply.c - libFuzzer harness for the ftp reply assembler, the line check
 * the header callback uses (ftp_reply_line), the 257 (PWD) parser, the passive replies
 * (229 to EPSV, 227 to PASV: the batch get's own data connections), the size a 150 announces
 * and the FEAT scan. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "ftp/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size, adv;
	struct ftp_reply r;
	memset(&r, 0, sizeof r);
	while (left) {
		size_t l = ftp_next_line(p, left, &adv);
		if (ftp_reply_feed(&r, p, l) == 1 && (r.code < 100 || r.code > 599))
			__builtin_trap();
		if (strnlen(r.text, sizeof r.text) >= sizeof r.text)
			__builtin_trap();
		int code = 0;
		char last[32];
		if (ftp_reply_line(p, adv, &code, last, sizeof last) == 1 &&
		    (code < 100 || code > 599 || strnlen(last, sizeof last) >= sizeof last))
			__builtin_trap();
		char dir[64];
		if (ftp_parse_pwd(p, l, dir, sizeof dir) == 0 && strnlen(dir, sizeof dir) >= sizeof dir)
			__builtin_trap();
		unsigned port = 0;
		if (ftp_parse_epsv(p, l, &port) == 0 && (!port || port > 65535))
			__builtin_trap();
		long long sz = -1;
		if (ftp_parse_150_size(p, l, &sz) == 0 && (sz < 0 || sz > 999999999999999999LL))
			__builtin_trap();
		unsigned char h[4];
		port = 0;
		if (ftp_parse_pasv(p, l, h, &port) == 0 && (!port || port > 65535))
			__builtin_trap();
		p += adv;
		left -= adv;
	}
	ftp_feat_has(p - size + left, size, "MLST");
	return 0;
}
