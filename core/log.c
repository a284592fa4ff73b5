/* SPDX-License-Identifier: MIT */
/* log.c - -v trace and -q quiet; protocol trace lines with secrets masked.
 *
 * Header: include/log.h    Tests: tests/unit/check_misc.c
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"

int log_level = LOG_NORMAL;

void log_info(const char *fmt, ...)
{
	if (log_level < LOG_NORMAL)
		return;
	va_list ap;
	va_start(ap, fmt);
	nt_vwarn(fmt, ap);
	va_end(ap);
}

void log_trace(const char *fmt, ...)
{
	if (log_level < LOG_VERBOSE)
		return;
	va_list ap;
	va_start(ap, fmt);
	nt_vwarn(fmt, ap);
	va_end(ap);
}

/* Does line (n bytes) start with word followed by a space, case-insensitively? */
static size_t word_at(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word);
	if (n > w && strncasecmp(line, word, w) == 0 && line[w] == ' ')
		return w + 1;
	return 0;
}

void log_mask(char *out, size_t outlen, const char *line, size_t len)
{
	size_t keep = len, k;
	const char *p = line;
	size_t n = len;

	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	keep = n;
	/* An IMAP tag comes first: "A1 LOGIN user pass", "A1 AUTHENTICATE PLAIN xxx". */
	size_t tag = 0;
	while (tag < n && p[tag] != ' ' && tag < 16)
		tag++;
	if ((k = word_at(p, n, "PASS")))
		keep = k;
	else if ((k = word_at(p, n, "Proxy-Authorization:")) || (k = word_at(p, n, "Authorization:"))) {
		/* an HTTP header (libcurl's CONNECT, ours): keep the scheme ("Basic ") */
		const char *sp = memchr(p + k, ' ', n - k);
		keep = sp ? (size_t)(sp - p) + 1 : k;
	}
	else if ((k = word_at(p, n, "AUTHINFO")) && word_at(p + k, n - k, "PASS"))
		keep = k + 5;
	else if ((k = word_at(p, n, "AUTH")) || (k = word_at(p, n, "AUTHENTICATE"))) {
		/* AUTH PLAIN <b64>: keep the mechanism */
		const char *sp = memchr(p + k, ' ', n - k);
		if (sp)
			keep = (size_t)(sp - p) + 1;
	} else if (tag < n && p[tag] == ' ') {
		size_t t = tag + 1;
		if ((k = word_at(p + t, n - t, "LOGIN"))) {
			const char *sp = memchr(p + t + k, ' ', n - t - k);
			if (sp)
				keep = (size_t)(sp - p) + 1;
		} else if ((k = word_at(p + t, n - t, "AUTHENTICATE"))) {
			const char *sp = memchr(p + t + k, ' ', n - t - k);
			if (sp)
				keep = (size_t)(sp - p) + 1;
		}
	}
	size_t o = 0;
	for (size_t i = 0; i < keep && o + 1 < outlen; i++) {
		unsigned char c = (unsigned char)p[i];
		out[o++] = (c < 0x20 || c == 0x7f) ? '.' : (char)c;
	}
	if (keep < n) {
		const char *mask = "****";
		for (size_t i = 0; mask[i] && o + 1 < outlen; i++)
			out[o++] = mask[i];
	}
	if (outlen)
		out[o < outlen ? o : outlen - 1] = 0;
}

void log_proto(char dir, const char *line, size_t len)
{
	if (log_level < LOG_VERBOSE)
		return;
	char buf[1024];
	if (dir == '>') {
		log_mask(buf, sizeof buf, line, len);
	} else {
		/* A server's line: whole (tabs as spaces), other control characters as '.'. */
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		size_t o = 0;
		for (size_t i = 0; i < len && o + 1 < sizeof buf; i++) {
			unsigned char c = (unsigned char)line[i];
			buf[o++] = c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '.' : (char)c;
		}
		buf[o] = 0;
	}
	fprintf(stderr, "%c %s\n", dir, buf);
}
