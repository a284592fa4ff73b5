/* SPDX-License-Identifier: MIT */
/* encode.c - mail-send's encoders: base64 (OpenSSL's), RFC 2047 encoded words and
 * unstructured text, quoted-printable, CRLF line ends, RFC 2231 parameters, and the MIME
 * type of a file name; plus the two output helpers every message part uses.
 *
 * Header: applets/mail_send/msg.h    Tests: tests/unit/check_mail_send.c,
 * tests/fuzz/fuzz_mail_send_headers.c    References: RFC 2045 (quoted-printable, base64),
 * RFC 2047 (encoded words), RFC 2231 (non-ASCII parameters).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "msg.h"
#include "nt_err.h"

void msg_put(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) < 0)
		die(NT_EXIT_IO, "out of memory building the message");
}

void msg_puts(struct buf *b, const char *s)
{
	msg_put(b, s, strlen(s));
}

/* ---- encoded words, text, phrases ---- */

/* Base64 of n <= 57 bytes (OpenSSL's encoder): at most 76 characters. */
static void b64_chunk(struct buf *out, const unsigned char *p, size_t n)
{
	unsigned char q[80];
	int k = EVP_EncodeBlock(q, p, (int)n);
	msg_put(out, q, (size_t)k);
}

void msg_put_base64(struct buf *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 57) {
		b64_chunk(out, p + i, n - i < 57 ? n - i : 57);
		msg_put(out, "\r\n", 2);
	}
}

/* RFC 2047 B-words of at most 75 characters, never splitting a UTF-8 sequence. */
void msg_put_words(struct buf *out, const char *s, size_t col)
{
	size_t n = strlen(s), i = 0;
	int first = 1;
	while (i < n || first) {
		size_t room = col > 30 ? 30 : 42; /* bytes per word: 42 -> 56 base64 chars */
		size_t k = n - i < room ? n - i : room;
		if (i + k < n)
			while (k > 1 && ((unsigned char)s[i + k] & 0xC0) == 0x80)
				k--;
		if (!first)
			msg_puts(out, "\r\n ");
		msg_puts(out, "=?UTF-8?B?");
		b64_chunk(out, (const unsigned char *)s + i, k);
		msg_puts(out, "?=");
		i += k;
		first = 0;
		col = 1;
	}
}

int msg_plain_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || (unsigned char)*s >= 127)
			return 0;
	return 1;
}

void msg_put_text(struct buf *out, const char *s, size_t col)
{
	size_t n = strlen(s);
	/* "=?" in plain text would read as an encoded word: encode such text too. */
	if (!msg_plain_text(s) || col + n > 998 || strstr(s, "=?")) {
		msg_put_words(out, s, col);
		return;
	}
	/* Fold at spaces so that lines stay near 78 characters. */
	size_t line = col, i = 0;
	while (i < n) {
		size_t w = i;
		while (w < n && s[w] == ' ')
			w++;
		while (w < n && s[w] != ' ')
			w++;
		if (line + (w - i) > 78 && i > 0 && s[i] == ' ') {
			msg_puts(out, "\r\n");
			line = 0;
		}
		msg_put(out, s + i, w - i);
		line += w - i;
		i = w;
	}
}

/* ---- bodies ---- */

int msg_needs_qp(const char *p, size_t n)
{
	size_t line = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\n') {
			line = 0;
			continue;
		}
		if (c >= 0x80 || c == 0)
			return 1;
		if (c == '\r' && !(i + 1 < n && p[i + 1] == '\n'))
			return 1;
		if (c != '\r' && ++line > 998)
			return 1;
	}
	return 0;
}

void msg_put_crlf(struct buf *out, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t k = i;
		while (k < n && p[k] != '\n' && p[k] != '\r')
			k++;
		msg_put(out, p + i, k - i);
		if (k < n) {
			msg_put(out, "\r\n", 2);
			if (p[k] == '\r' && k + 1 < n && p[k + 1] == '\n')
				k++;
			k++;
		} else {
			msg_put(out, "\r\n", 2);
		}
		i = k;
	}
}

void msg_put_qp(struct buf *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && p[e] != '\n')
			e++;
		size_t le = e; /* line content end, without CR before LF */
		if (le > i && e < n && p[le - 1] == '\r')
			le--;
		size_t col = 0;
		for (size_t k = i; k < le; k++) {
			unsigned char c = (unsigned char)p[k];
			char tok[3];
			size_t tl;
			int lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && k + 1 < le);
			if (lit) {
				tok[0] = (char)c;
				tl = 1;
			} else {
				tok[0] = '=';
				tok[1] = hex[c >> 4];
				tok[2] = hex[c & 15];
				tl = 3;
			}
			/* Soft break: lines of at most 76 characters including the "=". */
			if (col + tl > 75) {
				msg_puts(out, "=\r\n");
				col = 0;
			}
			msg_put(out, tok, tl);
			col += tl;
		}
		msg_put(out, "\r\n", 2);
		i = e < n ? e + 1 : n;
	}
}

const char *msg_mime_type(const char *name)
{
	static const char *const map[][2] = {
		{"txt", "text/plain"}, {"text", "text/plain"}, {"log", "text/plain"}, {"md", "text/markdown"},
		{"csv", "text/csv"}, {"htm", "text/html"}, {"html", "text/html"}, {"css", "text/css"},
		{"xml", "application/xml"}, {"json", "application/json"}, {"js", "text/javascript"},
		{"c", "text/x-c"}, {"h", "text/x-c"}, {"sh", "application/x-sh"}, {"py", "text/x-python"},
		{"diff", "text/x-diff"}, {"patch", "text/x-diff"}, {"ics", "text/calendar"},
		{"pdf", "application/pdf"}, {"zip", "application/zip"}, {"gz", "application/gzip"},
		{"tgz", "application/gzip"}, {"bz2", "application/x-bzip2"}, {"xz", "application/x-xz"},
		{"zst", "application/zstd"}, {"tar", "application/x-tar"}, {"7z", "application/x-7z-compressed"},
		{"png", "image/png"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"},
		{"svg", "image/svg+xml"}, {"webp", "image/webp"}, {"bmp", "image/bmp"}, {"ico", "image/vnd.microsoft.icon"},
		{"mp3", "audio/mpeg"}, {"ogg", "audio/ogg"}, {"wav", "audio/wav"}, {"mp4", "video/mp4"},
		{"webm", "video/webm"}, {"odt", "application/vnd.oasis.opendocument.text"},
		{"ods", "application/vnd.oasis.opendocument.spreadsheet"},
		{"doc", "application/msword"}, {"xls", "application/vnd.ms-excel"},
		{"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"eml", "message/rfc822"}, {"asc", "application/pgp-signature"}, {"sig", "application/pgp-signature"},
	};
	const char *dot = strrchr(name, '.');
	if (dot && dot[1])
		for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
			if (!strcasecmp(dot + 1, map[i][0]))
				return map[i][1];
	return "application/octet-stream";
}

/* filename="x" or, for non-ASCII and specials, RFC 2231 filename*=UTF-8''%xx. */
void msg_put_param(struct buf *out, const char *key, const char *v)
{
	int simple = 1;
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 32 || (unsigned char)*p >= 127 || *p == '"' || *p == '\\' || *p == '%' ||
		    *p == '\'' || *p == '*')
			simple = 0;
	if (simple) {
		xbuf_appendf(out, "%s=\"%s\"", key, v);
		return;
	}
	xbuf_appendf(out, "%s*=UTF-8''", key);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (isalnum(*p) || strchr("!#$&+-.^_`|~", *p))
			msg_put(out, p, 1);
		else
			xbuf_appendf(out, "%%%02X", *p);
	}
}
