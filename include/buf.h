/* SPDX-License-Identifier: MIT */
/* buf.h - bounded growable byte buffers and a line splitter with a hard maximum. */
#ifndef NT_BUF_H
#define NT_BUF_H

#include <stddef.h>
#include <sys/types.h>

struct buf {
	char *data;
	size_t off;  /* start of unread data */
	size_t len;  /* end of data (bytes data[off..len) are pending) */
	size_t cap;
	size_t max;  /* hard limit on pending bytes; 0 = none */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
/* Pending bytes. */
static inline size_t buf_pending(const struct buf *b) { return b->len - b->off; }
static inline char *buf_head(const struct buf *b) { return b->data + b->off; }
/* Room at least n bytes at the tail (compacting or growing, never past max).
 * Returns the tail pointer, or NULL when max would be exceeded or memory is short. */
char *buf_reserve(struct buf *b, size_t n) __attribute__((warn_unused_result));
/* Space at the tail without growing (after buf_reserve). */
static inline size_t buf_room(const struct buf *b) { return b->cap - b->len; }
/* Append n bytes; 0, or -1 when the buffer would exceed max. */
int buf_append(struct buf *b, const void *p, size_t n) __attribute__((warn_unused_result));
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3), warn_unused_result));
/* The same for applets, which may die: exit 6 "out of memory" instead of -1. */
void xbuf_append(struct buf *b, const void *p, size_t n);
void xbuf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Mark n bytes at the tail as written (after writing into buf_reserve's pointer). */
void buf_commit(struct buf *b, size_t n);
/* Drop n bytes from the head. */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
/* read() once into the tail, at most `want` bytes (0: whatever fits). Returns read()'s value;
 * -1 with errno ENOBUFS when the buffer is full at max. */
ssize_t buf_read_fd(struct buf *b, int fd, size_t want);
/* write() pending bytes once; returns bytes written or -1 (errno). */
ssize_t buf_write_fd(struct buf *b, int fd);

/* Line splitting over a buffer.
 * line_find: look for a complete line in the pending bytes.
 *   LINE_OK: *len = bytes of the line including its LF (or CRLF);
 *   LINE_LONG: no LF within max bytes: the first max bytes form a piece (*len = max);
 *   LINE_NONE: no complete line yet (and fewer than max bytes pending).
 */
enum line_result { LINE_NONE = 0, LINE_OK = 1, LINE_LONG = 2 };
enum line_result line_find(const char *p, size_t n, size_t max, size_t *len);
/* Length of a line without its trailing LF or CRLF. */
size_t line_strip(const char *p, size_t len);

#endif
