/* SPDX-License-Identifier: MIT */
/* proto.h - NNTP (RFC 3977) reply and argument parsers, pure and bounded, shared by the
 * nntp applet, its unit tests (tests/unit/check_nntp.c) and its fuzz harnesses
 * (tests/fuzz/fuzz_nntp_reply.c, fuzz_nntp_over.c).
 *
 * Limits (documented in nettool-nntp(1)): a reply or article line is at most
 * NNTP_MAX_LINE bytes, an article at most NNTP_MAX_ARTICLE bytes, a command argument at
 * most NNTP_MAX_ARG bytes (RFC 3977 3.1: a command line is at most 512 octets), and one
 * fetch works on at most NNTP_MAX_NUMBERS article numbers (LISTGROUP's list, or the range
 * when there is none: 32 MB), whatever numbers the server's GROUP reply claims.
 */
#ifndef NT_NNTP_PROTO_H
#define NT_NNTP_PROTO_H

#include <stddef.h>

#define NNTP_MAX_LINE (1024 * 1024)
#define NNTP_MAX_ARTICLE (64LL * 1024 * 1024)
#define NNTP_MAX_ARG 497
#define NNTP_MAX_MSGID 250
#define NNTP_MAX_NUMBERS 4000000LL

/* A status line: three digits, the first 1-5, then the end or a space. *code gets the
 * number, *text the offset of the text after the space (len when none). 0 or -1. */
int nntp_parse_status(const char *line, size_t len, int *code, size_t *text);

/* The text of a 211 reply to GROUP: "count first last name". 0 or -1. name is cut at
 * namelen-1 bytes. */
int nntp_parse_group(const char *text, size_t len, long long *count, long long *first, long long *last,
		     char *name, size_t namelen);

/* One line of a multi-line block (without its CRLF): returns 1 for the terminating ".",
 * else 0 with *out, *outlen the line with its leading dot removed when it was doubled. */
int nntp_block_line(const char *line, size_t len, const char **out, size_t *outlen);

/* Check a group name (kind 'g'), a message-id (kind 'm': <...>), a header name (kind 'h')
 * or a plain argument (kind 'a') before it goes into a command: no control characters, no
 * spaces, not empty, bounded. 0 or -1 with the reason in err. */
int nntp_check_arg(int kind, const char *s, char *err, size_t errlen);

/* A range: "N", "N-" (hi = -1: open) or "N-M" with N <= M. 0 or -1. */
int nntp_parse_range(const char *s, long long *lo, long long *hi);

/* An article number: decimal, 1..2^63-1 (RFC 3977 allows up to 2^31-1; INN may use more). */
int nntp_parse_number(const char *s, size_t len, long long *out);

/* Capabilities (the 101 list): a bit set plus the AUTHINFO and COMPRESS arguments. */
enum {
	CAP_READER = 1 << 0,
	CAP_MODE_READER = 1 << 1,
	CAP_OVER = 1 << 2,
	CAP_HDR = 1 << 3,
	CAP_STARTTLS = 1 << 4,
	CAP_AUTHINFO_USER = 1 << 5,
	CAP_COMPRESS_DEFLATE = 1 << 6,
	CAP_POST = 1 << 7,
	CAP_VERSION2 = 1 << 8,
	CAP_AUTHINFO = 1 << 9,
	CAP_LIST = 1 << 10,
};
/* Add one capability line to *caps (unknown ones are ignored). */
void nntp_cap_line(const char *line, size_t len, unsigned *caps);

/* The headers of an article being posted: find "Name:" at the start of a header line
 * (case-insensitive), in the header part (up to the first empty line). 1 found, 0 not. */
int nntp_has_header(const char *art, size_t len, const char *name);
/* The value of header name in the article's header part (unfolded lines are not joined:
 * the first line's value, blanks trimmed), into out (n bytes). 0, or -1 when absent, empty
 * or longer than n-1. */
int nntp_header_value(const char *art, size_t len, const char *name, char *out, size_t n);

/* A time for NEWNEWS / NEWGROUPS, always UTC: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z]"
 * (or a space for the T), "YYYYMMDD", "YYYYMMDDHHMMSS", or an age "N" followed by s, m, h,
 * d or w (that long before now). 0 with *out, or -1. */
int nntp_parse_since(const char *s, long long now, long long *out);
/* The 111 reply to DATE: "yyyymmddhhmmss" (RFC 3977 7.1), a real date and time. 0 with
 * *out (seconds since 1970, UTC), or -1. */
int nntp_parse_date(const char *text, size_t len, long long *out);
/* Seconds since 1970 (UTC) as "yyyymmdd hhmmss" (the NEWNEWS / NEWGROUPS form, with GMT
 * added by the caller), out at least 16 bytes; and as ISO 8601 "yyyy-mm-ddThh:mm:ssZ"
 * (at least 21 bytes). */
void nntp_format_since(long long t, char *out, size_t n);
void nntp_format_iso(long long t, char *out, size_t n);

#endif
