/* SPDX-License-Identifier: MIT */
/* zstream.h - COMPRESS DEFLATE (RFC 8054): a stream backend that runs zlib's raw deflate
 * over another stream's backend, both ways. */
#ifndef NT_NNTP_ZSTREAM_H
#define NT_NNTP_ZSTREAM_H

#include "stream.h"

/* Wrap s (its read-ahead, already compressed, is carried over); s is consumed. Dies on
 * memory or zlib set-up failure. */
struct stream *zstream_wrap(struct stream *s);

#endif
