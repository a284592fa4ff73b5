/* SPDX-License-Identifier: MIT */
/* relay.h - nc's full-duplex copy between a connection and two descriptors (standard
 * input and output), with the half-close honoured both ways: when the input ends, our
 * side of the connection is shut (the peer reads its end of file and may go on
 * sending); when the peer ends its side, the output is closed (a reader such as tar
 * sees its end) while the input still goes out. Used by tcp-send --stream and
 * tcp-serve --stream; the connection is a stream (stream.h), so plain and TLS alike.
 */
#ifndef NT_RELAY_H
#define NT_RELAY_H

#include <stddef.h>

#include "stream.h"

struct relay_opts {
	int in_fd;            /* -1: nothing to send (shut our side at once) */
	int out_fd;
	int close_out;        /* close out_fd when the peer has finished sending */
	int idle_ms;          /* > 0: fail when nothing moves for this long */
};

struct relay_result {
	unsigned long long sent;      /* bytes of the input written to the connection */
	unsigned long long received;  /* bytes of the connection written to the output */
	const char *why;              /* how it ended: "done", "reset by peer", "idle timeout"... */
	unsigned char head[8];        /* the first bytes received (nhead of them): what the peer is */
	unsigned nhead;
};

/* Copy until both directions have ended. Returns 0 when both ended cleanly (all of
 * the input sent and our side shut, the peer's end of stream read and all of it
 * written), else an exit code (3 network, 6 local output) with a message in err. */
int relay_run(struct stream *net, const struct relay_opts *o, struct relay_result *r, char *err, size_t errlen);

#endif
