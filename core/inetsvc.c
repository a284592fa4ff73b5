/* SPDX-License-Identifier: MIT */
/* inetsvc.c - the small services' options (tcp-serve and udp-serve), RFC 868 time values
 * and the RFC 864 chargen pattern.
 *
 * Header: include/inetsvc.h    Tests: tests/unit/check_inetsvc.c,
 * tests/integration/tcp_services.sh, tests/integration/udp_serve.sh
 */
#include <string.h>

#include "inetsvc.h"

enum inetsvc inetsvc_opt(int key)
{
	switch (key) {
	case INETSVC_O_ECHO: return INETSVC_ECHO;
	case INETSVC_O_DAYTIME: return INETSVC_DAYTIME;
	case INETSVC_O_DISCARD: return INETSVC_DISCARD;
	case INETSVC_O_CHARGEN: return INETSVC_CHARGEN;
	case INETSVC_O_TIME: return INETSVC_TIME;
	default: return INETSVC_NONE;
	}
}

uint32_t rfc868_value(long long unix_time)
{
	return (uint32_t)((unsigned long long)(unix_time + RFC868_OFFSET) & 0xffffffffULL);
}

void rfc868_bytes(long long unix_time, unsigned char out[4])
{
	uint32_t v = rfc868_value(unix_time);
	out[0] = (unsigned char)(v >> 24);
	out[1] = (unsigned char)(v >> 16);
	out[2] = (unsigned char)(v >> 8);
	out[3] = (unsigned char)v;
}

long long rfc868_unix(uint32_t v)
{
	if (v & 0x80000000u)
		return (long long)v - RFC868_OFFSET;
	return (long long)v + 4294967296LL - RFC868_OFFSET;
}

/* RFC 864's sample starts its first line with '!', its second with '"'... and the
 * space comes round as the first character of the 95th line. Two cycles back to back, so that any position has a whole cycle after it. */
static char pattern[2 * CHARGEN_CYCLE];

static void fill(void)
{
	char *p = pattern;
	for (int rep = 0; rep < 2; rep++)
		for (int k = 0; k < 95; k++) {
			for (int i = 0; i < 72; i++)
				*p++ = (char)(' ' + (k + 1 + i) % 95);
			*p++ = '\r';
			*p++ = '\n';
		}
}

const char *chargen_at(size_t pos, size_t *n)
{
	if (!pattern[0])
		fill();
	pos %= CHARGEN_CYCLE;
	*n = 2 * CHARGEN_CYCLE - pos;
	return pattern + pos;
}

int chargen_like(const char *p, size_t n)
{
	int seen = 0, prev = -1;
	for (size_t i = 0; i < n && seen < 16; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r' || c == '\n')
			continue;
		if (c < ' ' || c > '~')
			return 0;
		/* Within a line each character follows the last; a new line starts one after
		 * the previous line's first, which a line break separates: accept any after
		 * a CR LF by restarting the run. */
		if (prev >= 0 && (i == 0 || p[i - 1] != '\n') && c != ' ' + (prev - ' ' + 1) % 95)
			return 0;
		prev = c;
		seen++;
	}
	return seen >= 16;
}
