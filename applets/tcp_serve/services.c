/* SPDX-License-Identifier: MIT */
/* tcp_serve/services.c - the small inetd services over TCP: chargen (RFC 864) and time
 * (RFC 868); discard (RFC 863) is a read that answers nothing, in main.c's process().
 *
 * chargen sends the pattern for as long as the client reads it, from a static copy of
 * the pattern (core/inetsvc.c): no memory per client but its position, and a client
 * that stops reading just stops being written to (the socket buffer is the bound).
 *
 * Man page: man/nettool-tcp-serve.1    Tests: tests/integration/tcp_services.sh
 */
#include <errno.h>
#include <time.h>

#include "inetsvc.h"
#include "loop.h"
#include "serve.h"

_Static_assert(CHARGEN_CYCLE < (1 << 13), "struct client keeps the chargen position in 13 bits");

int svc_chargen_write(struct client *c)
{
	/* Bounded per wake-up, like a read: one fast client can not starve the others. */
	for (int rounds = 0; rounds < 4; rounds++) {
		size_t n;
		const char *p = chargen_at(c->pos, &n);
		ssize_t w = conn_write(c, p, n);
		if (w > 0) {
			c->pos = (unsigned)((c->pos + (size_t)w) % CHARGEN_CYCLE);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
	return 0;
}

int svc_time_reply(struct buf *reply)
{
	unsigned char t[4];
	rfc868_bytes((long long)time(NULL), t);
	return buf_append(reply, t, 4);
}
