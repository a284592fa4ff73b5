/* SPDX-License-Identifier: MIT */
/* fuzz_core_sasl.c - libFuzzer harness for core/sasl.c: the SASL login watched line by
 * line (a line starting '>' is ours, any other the server's), the mechanism lists, base64
 * and RFC 7628's error JSON, with every output checked to stay in its buffer. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct sasl_watch w;
	memset(&w, 0, sizeof w);
	size_t left = size;
	while (left) {
		const char *nl = memchr(p, '\n', left);
		size_t n = nl ? (size_t)(nl - p) + 1 : left;
		char dir = p[0] == '>' ? '>' : '<';
		sasl_watch_line(&w, dir, p + 1, n - 1);
		unsigned bits;
		char text[64];
		sasl_offer_parse(p, n, &bits, text, sizeof text);
		if (strnlen(text, sizeof text) >= sizeof text)
			__builtin_trap();
		unsigned char dec[256];
		int l = sasl_b64_decode(p, n, dec, sizeof dec);
		if (l > (int)sizeof dec)
			__builtin_trap();
		char err[48];
		if (sasl_oauth_error(p, n, err, sizeof err) == 0 && strnlen(err, sizeof err) >= sizeof err)
			__builtin_trap();
		p += n;
		left -= n;
	}
	char why[512];
	sasl_watch_why(&w, why, sizeof why);
	if (strnlen(w.reply, sizeof w.reply) >= sizeof w.reply || strnlen(w.detail, sizeof w.detail) >= sizeof w.detail ||
	    strnlen(w.offer_text, sizeof w.offer_text) >= sizeof w.offer_text || strnlen(w.mech, sizeof w.mech) >= sizeof w.mech ||
	    strnlen(why, sizeof why) >= sizeof why)
		__builtin_trap();
	return 0;
}
