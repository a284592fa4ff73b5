/* SPDX-License-Identifier: MIT */
/* inetsvc.h - the small inetd services both servers offer (tcp-serve, udp-serve): their
 * options, written once, and their content: the RFC 868 time value (32-bit seconds
 * since 1900, wrapping in 2036, read as RFC 4330 section 3 says) and the RFC 864
 * character generator pattern. Pure functions, no I/O.
 */
#ifndef NT_INETSVC_H
#define NT_INETSVC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "opt.h"

/* --- The options: INETSVC_ROWS in a server's option table, inetsvc_opt() in its
 * switch. What a service does over the server's transport (a connection, a datagram)
 * is said in the server's man page. A server's mode enum takes the service values
 * (MODE_ECHO = INETSVC_ECHO...), so that the service is the mode. */
enum inetsvc { INETSVC_NONE, INETSVC_ECHO, INETSVC_DAYTIME, INETSVC_DISCARD, INETSVC_CHARGEN, INETSVC_TIME };
/* The rows' keys: above any applet's own long options (OPT_LONG + n). */
enum { INETSVC_O_ECHO = OPT_LONG + 200, INETSVC_O_DAYTIME, INETSVC_O_DISCARD, INETSVC_O_CHARGEN, INETSVC_O_TIME };
#define INETSVC_ROWS \
	{INETSVC_O_ECHO, "echo", OPT_FLAG, NULL, "send back what arrives (RFC 862)"}, \
	{INETSVC_O_DAYTIME, "daytime", OPT_FLAG, NULL, "answer with the time as text (RFC 867)"}, \
	{INETSVC_O_DISCARD, "discard", OPT_FLAG, NULL, "throw away what arrives, answer nothing (RFC 863)"}, \
	{INETSVC_O_CHARGEN, "chargen", OPT_FLAG, NULL, "send the RFC 864 character pattern"}, \
	{INETSVC_O_TIME, "time", OPT_FLAG, NULL, "answer with the time as 32-bit seconds since 1900 (RFC 868)"}
/* The service an option key of INETSVC_ROWS asks for; INETSVC_NONE for any other key. */
enum inetsvc inetsvc_opt(int key);

/* Seconds from 1900-01-01 to 1970-01-01. */
#define RFC868_OFFSET 2208988800LL

/* The RFC 868 value of a Unix time: (t + RFC868_OFFSET) mod 2^32. */
uint32_t rfc868_value(long long unix_time);
/* The same, as the 4 bytes sent (network byte order). */
void rfc868_bytes(long long unix_time, unsigned char out[4]);
/* A received value read as RFC 4330 section 3 says: the top bit set, seconds since
 * 1900-01-01 (1968-2036); clear, since 2036-02-07 06:28:16 UTC (2036-2104). */
long long rfc868_unix(uint32_t v);

/* RFC 864: line k (from 0) of the pattern is 72 of the 95 printable ASCII characters
 * (space to '~', in a ring) starting at the (k+1)-th, as in the RFC's sample (which
 * starts with '!'), then CR LF; the pattern repeats every 95
 * lines (CHARGEN_CYCLE bytes). */
#define CHARGEN_LINE 74
#define CHARGEN_CYCLE (95 * CHARGEN_LINE)
/* The pattern from byte pos (mod CHARGEN_CYCLE) on: *n contiguous bytes (at least
 * CHARGEN_CYCLE). */
const char *chargen_at(size_t pos, size_t *n);
/* 1 when p[0..n) looks like chargen output: 16 or more bytes of which the first 16
 * printable ones follow each other in the pattern (CR LF between lines allowed). */
int chargen_like(const char *p, size_t n);

#endif
