/* SPDX-License-Identifier: MIT */
/* fuzz_tcp_send_args.c - libFuzzer harness for tcp-send's destination operands, nc's
 * forms among them (addr_parse_args: HOST, HOST:PORT, [V6]:PORT, unix:/PATH, HOST PORT),
 * and the port parser under them (addr_parse_port). The input is up to four operands
 * separated by LF (a NUL ends them, as on a command line). Checks: refused, or a destination with a port of 1-65535 (or a
 * unix path), a host addr_check_host accepts, and one or two operands taken, the second
 * only when it is all digits and the first named no port.
 * Seeds: tests/fuzz/corpus/fuzz_tcp_send_args/ (the operands tcp_send.sh and
 * tcp_services.sh give, and nc's usual forms). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	char *args[4];
	int nargs = 0;
	/* an empty input: no operands at all */
	for (char *p = s; size && nargs < 4;) {
		size_t l = strcspn(p, "\n");
		int last = p[l] == 0 || (size_t)(p + l - s) >= size;
		p[l] = 0;
		args[nargs++] = strdup(p); /* exact-size copies, for ASan */
		if (last)
			break;
		p += l + 1;
	}
	struct addr a;
	char err[ADDR_ERRLEN];
	int used = addr_parse_args(args, nargs, 8888, &a, err);
	if (used >= 0) {
		if (used > nargs || used > 2 || (nargs && !used))
			abort();
		if (a.is_unix) {
			if (!a.path[0] || used != 1)
				abort();
		} else {
			char e2[ADDR_ERRLEN];
			if (a.port < 1 || a.port > 65535 || addr_check_host(a.host, e2) < 0)
				abort();
			if (used == 2 && (!args[1][0] || strspn(args[1], "0123456789") != strlen(args[1])))
				abort();
		}
	} else if (!memchr(err, 0, sizeof err) || !err[0]) {
		abort(); /* refused without a reason */
	}
	int port;
	if (nargs && addr_parse_port(args[0], &port, err) == 0 && (port < 1 || port > 65535))
		abort();
	for (int i = 0; i < nargs; i++)
		free(args[i]);
	free(s);
	return 0;
}
