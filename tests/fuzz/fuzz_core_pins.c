/* SPDX-License-Identifier: MIT */
/* fuzz_core_pins.c - libFuzzer harness for the --pinnedpubkey list parser (core/tls.c,
 * tls_pins_parse_list): any input is refused with a message or parsed into at most
 * TLS_PINS_MAX pins whose curl text reads back the same, never a crash or an overrun. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	struct tls_pins p, q;
	char err[300];
	if (tls_pins_parse_list(s, &p, err, sizeof err) == 0) {
		if (p.n < 1 || p.n > TLS_PINS_MAX)
			abort();
		/* Canonical input: the text we give libcurl is the text we read. */
		char *t = tls_pins_curl(&p);
		if (!t || strcmp(t, s) || tls_pins_parse_list(t, &q, err, sizeof err) || q.n != p.n ||
		    memcmp(q.sha256, p.sha256, sizeof p.sha256[0] * (size_t)p.n))
			abort();
		free(t);
	} else if (!err[0] || strlen(err) >= sizeof err) {
		abort();
	}
	free(s);
	return 0;
}
