/* SPDX-License-Identifier: MIT */
/* msg.h - building the mail that mail-send sends: header-block parsing, address lists,
 * RFC 2047 words, quoted-printable, CRLF, multipart attachments, the queue's envelope line.
 * Pure functions (no I/O, no clock, no randomness): tests/unit/check_mail_send.c and
 * tests/fuzz/fuzz_mail_send_headers.c call them directly. Implemented in address.c
 * (string lists, addresses), encode.c (encoders) and msg.c (assembly).
 */
#ifndef MAIL_SEND_MSG_H
#define MAIL_SEND_MSG_H

#include <stddef.h>

#include "buf.h"

/* Hard limits on local input (a message, one header field, the number of fields). */
#define MSG_MAX (100u << 20)
#define MSG_MAX_FIELDS 10000
#define MSG_MAX_ADDR 254

/* A growable list of strings. */
struct strv {
	char **v;
	size_t n, cap;
};
void strv_push(struct strv *s, const char *str);
void strv_pushn(struct strv *s, const char *str, size_t n);
void strv_free(struct strv *s);
/* Index of str (ASCII case-insensitive), or -1. */
long strv_find(const struct strv *s, const char *str);

/* One header field as found: name, and the raw value (after the colon, continuation
 * lines included, line ends as in the input). */
struct hfield {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};
struct hblock {
	struct hfield *f;
	size_t n, cap;
};
void hblock_free(struct hblock *hb);
/* The first field called name (case-insensitive), or NULL. */
const struct hfield *hblock_get(const struct hblock *hb, const char *name);
/* Is f called name (case-insensitive)? */
int msg_name_is(const struct hfield *f, const char *name);

/* Does the input start with a header block? A leading mbox "From " line is skipped.
 * Every line up to the first empty line (or the end) must be a field ("Name: value", the
 * name printable ASCII without ':') or a continuation (starting with space or tab), and at
 * least one field must be a known message field (From, To, Subject, Date, X-..., see msg.c).
 * Returns 1 and fills hb and *body_off (start of the body), or 0 (hb empty): the whole
 * input is a body. */
int msg_parse_headers(const char *p, size_t n, struct hblock *hb, size_t *body_off);

/* Unfold a field value: line ends removed, leading and trailing white space trimmed.
 * Returns a new string. */
char *msg_unfold(const char *v, size_t n);

/* 0 when a is a plain address (local@domain): ASCII, no spaces, controls or specials, one
 * local part and a domain, at most MSG_MAX_ADDR bytes. Else -1, reason in err. */
int msg_check_addr(const char *a, char *err, size_t errlen);

/* Add the addresses of an RFC 5322 address list (display names, quoted strings, comments,
 * angle addresses, groups) to out, each checked with msg_check_addr. Returns the number
 * added, or -1 (err names the bad element). */
int msg_addr_list(const char *v, size_t n, struct strv *out, char *err, size_t errlen);

/* Unstructured text (Subject) as it goes after "Name: ": kept when it is ASCII without
 * controls and fits a line; folded at spaces when long; else RFC 2047 B-words in UTF-8,
 * folded with CRLF SP. col is the column where the text starts. */
void msg_put_text(struct buf *out, const char *s, size_t col);
/* A display name for From: atom text kept, specials quoted, non-ASCII as RFC 2047 words. */
void msg_put_phrase(struct buf *out, const char *s, size_t col);

/* An address list (unfolded) with each display name that holds non-ASCII text turned
 * into RFC 2047 words; addresses, comments and ASCII names are kept as they are. Folded
 * (",\r\n ") before an element that would pass column 78; col is where the list starts.
 * Text after an unterminated quote or comment is kept (encoded when it is 8-bit). */
void msg_put_addr_phrases(struct buf *out, const char *s, size_t col);

/* 1 when a body cannot go as 7bit: a byte >= 0x80, NUL, a bare CR, or a line over 998 bytes. */
int msg_needs_qp(const char *p, size_t n);
/* Quoted-printable (RFC 2045 6.7) with CRLF hard breaks; ends with CRLF. */
void msg_put_qp(struct buf *out, const char *p, size_t n);
/* The text with LF and bare CR turned into CRLF; ends with CRLF (unless n is 0). */
void msg_put_crlf(struct buf *out, const char *p, size_t n);
/* Base64 in lines of 76 characters, each ending in CRLF. */
void msg_put_base64(struct buf *out, const unsigned char *p, size_t n);

/* Shared by address.c, encode.c and msg.c. */
/* Append to out; dies (exit 6) when memory is short. */
void msg_put(struct buf *out, const void *p, size_t n);
void msg_puts(struct buf *out, const char *s);
/* RFC 2047 B-words (UTF-8) for s, folded with CRLF SP; col: where they start. */
void msg_put_words(struct buf *out, const char *s, size_t col);
/* 1 when s is printable ASCII only. */
int msg_plain_text(const char *s);
/* key="v", or RFC 2231 key*=UTF-8''%xx when v is not plain ASCII. */
void msg_put_param(struct buf *out, const char *key, const char *v);
/* "Name: a, b, c" folded before an address that would pass column 78. */
void msg_put_addr_field(struct buf *out, const char *name, const struct strv *list);

/* The MIME type for a file name (by extension), application/octet-stream when unknown. */
const char *msg_mime_type(const char *name);

struct attach {
	const char *name;        /* file name as shown (base name) */
	const unsigned char *data;
	size_t len;
};

/* What the options say about the message. */
struct msg_in {
	const char *from;        /* envelope sender and From address */
	const char *from_name;   /* -F, or NULL */
	const char *subject;     /* -s, or NULL */
	struct strv to;          /* recipient operands (To: when headers are built) */
	struct strv cc;          /* -c */
	struct strv bcc;         /* -b (envelope only) */
	struct strv headers;     /* --header "Name: value" */
	const struct attach *att;
	size_t natt;
	int extract;             /* -t: recipients from To, Cc, Bcc */
	int keep_block;          /* look for a header block in the input (always, really) */
	/* Supplied by the caller so that building stays pure: */
	const char *date;        /* "Thu, 26 Nov 2026 13:32:52 +0000" */
	const char *msgid;       /* "<...@...>" */
	const char *boundary;    /* multipart boundary (without quotes) */
};

/* Build the message for input (the text on stdin), appending it to out, and the envelope
 * recipients to rcpts (operands, -c, -b and with -t the message's To/Cc/Bcc; duplicates
 * dropped). Returns 0, or -1 with err (bad input: the caller exits 2, nothing is sent). */
int msg_build(const struct msg_in *in, const char *input, size_t inlen, struct buf *out, struct strv *rcpts,
	      char *err, size_t errlen);

/* The queue file's first field: "X-Nettool-Envelope: <from>" then one continuation
 * line " <rcpt>" per recipient, CRLF line ends. */
void msg_put_envelope(struct buf *out, const char *from, const struct strv *rcpts);
/* Parse it back: fills from (a new string) and rcpts; *msg_off is where the message
 * starts. 0, or -1 with err when the file does not start with a valid envelope. */
int msg_parse_envelope(const char *p, size_t n, char **from, struct strv *rcpts, size_t *msg_off, char *err,
		       size_t errlen);

#endif
