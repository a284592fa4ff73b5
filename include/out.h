/* SPDX-License-Identifier: MIT */
/* out.h - text a server sent, made safe for a terminal before we print it.
 *
 * One rule for every applet (nettool(1), CONVENTIONS): a control character from a peer
 * (C0 but TAB where a format uses it, DEL, and C1 both as a raw byte and UTF-8 encoded,
 * which xterm-like terminals take for CSI) is shown as '?': an escape sequence from a
 * server can not move the cursor, retitle the window or hide text. Everything else,
 * UTF-8 included, is printed as it came. JSON output escapes instead (json.h).
 */
#ifndef NT_OUT_H
#define NT_OUT_H

#include <stddef.h>
#include <stdio.h>

/* The length of a valid UTF-8 sequence of 2 to 4 bytes at s (n available), else 0
 * (ASCII, a stray byte, an overlong form, a surrogate): json.c uses it too. */
size_t out_utf8_len(const unsigned char *s, size_t n);

#define OUT_KEEP_TAB 1u /* a TAB stays a TAB (tab-separated overview lines) */

/* The length of the character at s (n > 0 bytes available: a valid UTF-8 sequence, else
 * one byte); *unsafe is set to 1 when it must not reach a terminal as it is. */
size_t out_char(const char *s, size_t n, unsigned flags, int *unsafe);
/* Write n bytes of s to f with every unsafe character shown as '?'. */
void out_text(FILE *f, const char *s, size_t n, unsigned flags);
/* out_text() and a newline. */
void out_line(FILE *f, const char *s, size_t n, unsigned flags);
/* The complete lines of s (each ended by LF; a CR LF is one end) each made safe and ended
 * by a newline, as a terminal shows several lines: an inner line end is not a control
 * character. Returns the bytes printed; the unended rest is the caller's. */
size_t out_lines(FILE *f, const char *s, size_t n, unsigned flags);
/* The same into dst (at most dstn-1 bytes, NUL-terminated); returns the bytes written. */
size_t out_clean(char *dst, size_t dstn, const char *s, size_t n, unsigned flags);

#endif
