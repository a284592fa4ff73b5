/* SPDX-License-Identifier: MIT */
/* fuzz_nntp_reply.c - libFuzzer harness for the nntp applet's reply parsers: each input
 * line goes through the status parser, the GROUP reply parser, dot-unstuffing, the
 * capability parser, the range and argument checks, and the whole input through the
 * post-header search and header value, the DATE reply and the SINCE forms. Seeds: tests/fuzz/corpus/fuzz_nntp_reply/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nntp/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t i = 0;
	unsigned caps = 0;
	while (i < size) {
		const char *e = memchr(p + i, '\n', size - i);
		size_t n = e ? (size_t)(e - (p + i)) : size - i;
		const char *l = p + i;
		size_t len = n && l[n - 1] == '\r' ? n - 1 : n;
		int code;
		size_t off;
		if (nntp_parse_status(l, len, &code, &off) == 0) {
			long long c, f, la;
			char name[64];
			if (off > len)
				abort();
			nntp_parse_group(l + off, len - off, &c, &f, &la, name, sizeof name);
		}
		const char *o;
		size_t on;
		if (nntp_block_line(l, len, &o, &on) == 0 && (o < l || o + on > l + len))
			abort();
		nntp_cap_line(l, len, &caps);
		char *z = malloc(len + 1);
		memcpy(z, l, len);
		z[len] = 0;
		long long lo, hi;
		if (nntp_parse_range(z, &lo, &hi) == 0 && hi != -1 && hi < lo)
			abort();
		char err[128];
		nntp_check_arg('g', z, err, sizeof err);
		nntp_check_arg('m', z, err, sizeof err);
		nntp_check_arg('h', z, err, sizeof err);
		long long t;
		char tb[32];
		if (nntp_parse_date(l, len, &t) == 0) {
			nntp_format_since(t, tb, sizeof tb);
			nntp_format_iso(t, tb, sizeof tb);
		}
		if (nntp_parse_since(z, 2000000000LL, &t) == 0)
			nntp_format_iso(t, tb, sizeof tb);
		free(z);
		i += n + (e ? 1 : 0);
	}
	nntp_has_header(p, size, "Subject");
	char id[64];
	if (nntp_header_value(p, size, "Message-ID", id, sizeof id) == 0 && strlen(id) >= sizeof id)
		abort();
	return 0;
}
