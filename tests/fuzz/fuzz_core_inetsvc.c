/* SPDX-License-Identifier: MIT */
/* fuzz_core_inetsvc.c - libFuzzer harness for chargen_like(), which udp-serve's loop
 * guard runs on every datagram a peer sends, and the RFC 868 reading of 4 peer bytes:
 * any input is judged, never read past its end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inetsvc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so that a read past the end is caught by ASan. */
	char *p = malloc(size ? size : 1);
	memcpy(p, data, size);
	(void)chargen_like(p, size);
	if (size >= 4) {
		uint32_t v = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
		long long t = rfc868_unix(v);
		if (rfc868_value(t) != v)
			abort();
	}
	free(p);
	return 0;
}
