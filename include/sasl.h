/* SPDX-License-Identifier: MIT */
/* sasl.h - what a SASL login looked like on the wire, read off libcurl's protocol trace:
 * the mechanisms the server offered (IMAP CAPABILITY AUTH=, POP3 CAPA SASL, SMTP EHLO
 * AUTH), the mechanism we started, the server's error challenge (RFC 7628's JSON, sent
 * base64 in a "+ " or "334 " line by XOAUTH2 and OAUTHBEARER servers) and its final
 * reply, so that a refused login can be reported in the server's words, made safe.
 *
 *	struct sasl_watch w = {0};
 *	sasl_watch_line(&w, '>', "A2 AUTHENTICATE XOAUTH2 ...", n);   // every trace line
 *	sasl_watch_line(&w, '<', "+ eyJzdGF0dXMiOiI0MDEifQ==", n);
 *	sasl_watch_line(&w, '<', "A2 NO [AUTHENTICATIONFAILED] Failed", n);
 *	sasl_watch_why(&w, buf, sizeof buf);   // "NO [AUTHENTICATIONFAILED] Failed (status 401)"
 *
 * Every parser here is bounded and takes server bytes as they come.
 */
#ifndef NT_SASL_H
#define NT_SASL_H

#include <stddef.h>

/* Mechanisms, as bits. */
#define SASL_XOAUTH2 1u
#define SASL_OAUTHBEARER 2u
#define SASL_PLAIN 4u
#define SASL_LOGIN 8u
#define SASL_OTHER 16u /* any other name */

struct sasl_watch {
	unsigned offered;      /* bits of the last list the server gave */
	int offer_seen;        /* the server gave a list (0: it named no mechanism) */
	char offer_text[160];  /* that list, words separated by spaces, made safe */
	int in_auth;           /* between our AUTH/AUTHENTICATE and the server's last word */
	char tag[17];          /* IMAP: the tag of our AUTHENTICATE ("" for SMTP and POP3) */
	char mech[24];         /* the mechanism we started */
	int tried, ok;         /* a login ended; with success */
	char reply[200];       /* the server's final reply to it, made safe (IMAP tag removed) */
	char detail[200];      /* from its error challenge: "status invalid_token, scope ..." */
	int login_sent;        /* we sent a login of any kind (AUTH, AUTHENTICATE, LOGIN, USER, APOP) */
	int capa_user;         /* POP3: the CAPA list had USER */
	int apop_stamp;        /* POP3: the greeting carried an APOP timestamp <...@...> */
};

/* One trace line (dir '>' ours, '<' the server's; the CRLF may be included). */
void sasl_watch_line(struct sasl_watch *w, char dir, const char *line, size_t n);
/* The server's words about the last login: its reply and, in parentheses, the detail of
 * its error challenge (alone when no reply followed it: libcurl leaves at an XOAUTH2
 * error challenge); "" when no login ended. Returns buf. An error challenge counts as
 * the end of a login, refused. */
const char *sasl_watch_why(const struct sasl_watch *w, char *buf, size_t n);

/* The bit of a mechanism name (n bytes, case-insensitive); SASL_OTHER for another name. */
unsigned sasl_mech_bit(const char *name, size_t n);
/* A capability line: the mechanisms it lists into *bits and text (space-separated,
 * made safe, at most textn-1 bytes). Recognised: IMAP "* CAPABILITY ... AUTH=X" (and
 * "[CAPABILITY ...]" in a greeting or tagged OK), POP3 "SASL X Y" (CAPA), SMTP
 * "250-AUTH X Y" / "250 AUTH=X". Returns 1 for such a line, else 0. */
int sasl_offer_parse(const char *line, size_t n, unsigned *bits, char *text, size_t textn);
/* Base64 (n bytes, surrounding spaces ignored) into out: the length, or -1 when it is
 * not base64 or does not fit outn bytes. */
int sasl_b64_decode(const char *in, size_t n, unsigned char *out, size_t outn);
/* RFC 7628's error (a JSON object: "status", "scope", "schemes"; Google and Microsoft
 * send the same for XOAUTH2) into out: "status S, scope X", made safe. 0, or -1 when it
 * is not such an object (no "status" string). */
int sasl_oauth_error(const char *json, size_t n, char *out, size_t outn);

#endif
