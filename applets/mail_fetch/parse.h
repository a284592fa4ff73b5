/* SPDX-License-Identifier: MIT */
/* parse.h - bounded parsers for what IMAP and POP3 servers send (pure, no I/O), shared by
 * the engines, tests/unit/check_mail_fetch.c and the libFuzzer harnesses in tests/fuzz/.
 *
 * Every parser works on one line (or one line piece between literals) with its length,
 * never reads past it, and answers "bad" for anything it does not understand.
 */
#ifndef MF_PARSE_H
#define MF_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define IMAP_MAX_DEPTH 32

/* --- IMAP FETCH responses, parsed piece by piece (a literal splits a response) --- */
enum { IMAP_F_BAD = -1, IMAP_F_DONE = 0, IMAP_F_LITERAL = 1 };
enum { IMAP_LIT_OTHER = 0, IMAP_LIT_BODY, IMAP_LIT_HEADER };

struct imap_fetch {
	uint32_t seq, uid;
	uint64_t size;          /* RFC822.SIZE */
	int have_uid, have_size, seen;
	char internaldate[64];
	uint64_t lit;           /* IMAP_F_LITERAL: bytes the caller must read next */
	int lit_kind;           /* what the literal is: the message, header fields, other */
	/* a quoted (not literal) BODY[] or header value, when the server sends one */
	char inl[1024];
	size_t inl_len;
	int inl_kind;
	/* private */
	char key[96];
	int expect_val;
	int depth;
	int closed;
};
/* The first line of an untagged response: 1 when it is "* N FETCH (" (then f is set up and
 * the rest parsed, result in *res), 0 when it is another response. */
int imap_fetch_begin(struct imap_fetch *f, const char *line, size_t n, int *res);
/* The piece of line that follows a literal. */
int imap_fetch_feed(struct imap_fetch *f, const char *p, size_t n);

/* A line ends with a literal announcement "{N}" (or "{N+}", "~{N}"): 1 and *len, else 0. */
int imap_literal_at_end(const char *p, size_t n, uint64_t *len);

/* A tagged completion "TAG OK|NO|BAD text": 1 (OK), 2 (NO), 3 (BAD), 0 not this tag. */
enum { IMAP_ST_NONE = 0, IMAP_ST_OK, IMAP_ST_NO, IMAP_ST_BAD };
int imap_tagged(const char *line, size_t n, const char *tag);

/* Untagged "* N EXISTS" / "* N EXPUNGE" / "* N RECENT": 1 with *num and which
 * ("EXISTS", ...) matched in word (at least 16 bytes); 0 otherwise. */
int imap_untagged_num(const char *line, size_t n, uint32_t *num, char *word, size_t wlen);
/* A response code "[UIDVALIDITY n]", "[UIDNEXT n]" in an OK line: 1 and *val. */
int imap_resp_code_num(const char *line, size_t n, const char *code, uint64_t *val);
/* "* CAPABILITY ..." (or "[CAPABILITY ...]"): 1 when the atom cap is in the list. */
int imap_has_cap(const char *line, size_t n, const char *cap);

/* "* SEARCH 1 2 3": appends the numbers to *v (grown with realloc, at most max entries).
 * 1 when the line was a SEARCH response, 0 when not, -1 malformed or over max, -2 out of
 * memory. */
int imap_search(const char *line, size_t n, uint32_t **v, size_t *count, size_t *cap, size_t max);

/* "* LIST (\flags) "/" name" with the name quoted, atom or inline literal ({n}\r\n...).
 * 1 and the fields (name decoded, at most namelen-1 bytes), 0 not a LIST, -1 malformed. */
/* A response with literals (a LIST with an odd name) gathered into one bounded buffer:
 * each line goes through imap_gather_line, which returns 1 with *lit set when the line
 * ends with {lit} (then exactly lit bytes go through imap_gather_bytes, and the next line
 * follows), 0 when the response is complete, -1 when it would pass the cap. */
struct imap_gather {
	char *b;
	size_t len, cap;
};
int imap_gather_line(struct imap_gather *g, const char *line, size_t n, uint64_t *lit);
int imap_gather_bytes(void *g, const char *p, size_t n);
int imap_list(const char *resp, size_t n, char *flags, size_t flagslen, char *delim, char *name, size_t namelen);

/* Quote a string for an IMAP command (mailbox names): "..." with \ and " escaped.
 * Refuses CR, LF, NUL (returns -1). out gets at most outlen-1 bytes. */
int imap_quote(char *out, size_t outlen, const char *s);

/* A compact UID set "1:5,8,10:12" of sorted v[0..n) into out (at most outlen-1 bytes);
 * returns how many entries it covered (a prefix of v), so long sets are split. */
size_t imap_uid_set(char *out, size_t outlen, const uint32_t *v, size_t n);

/* --- POP3 --- */
/* "+OK ..." 1, "-ERR ..." 0, other -1. */
int pop3_status(const char *line, size_t n);
/* One listing line "N VALUE" of UIDL (value: 1-70 printable characters 0x21-0x7e) or LIST
 * (value: a size). The terminating "." line returns 0; a good line 1; malformed -1. */
int pop3_uidl_line(const char *line, size_t n, uint32_t *num, char *uidl, size_t uidlen);
int pop3_list_line(const char *line, size_t n, uint32_t *num, uint64_t *size);
/* A CAPA line names cap (case-insensitive, first word). */
/* How many bytes a RETR of a message LIST announced as `announced` may bring: an eighth
 * more plus 64 KiB (line ends, dot-stuffing), at most max_size + 64 KiB with --max-size
 * (max_size > 0), and never more than cap, whatever the server announced. */
uint64_t pop3_retr_bound(uint64_t announced, long long max_size, uint64_t cap);
int pop3_capa_is(const char *line, size_t n, const char *cap);

/* --- messages --- */
/* Value of header `name` in a header block (unfolded, trimmed, at most outlen-1 bytes);
 * 1 found, 0 not. */
int mf_mail_header(const char *hdr, size_t n, const char *name, char *out, size_t outlen);
/* A date "YYYY-MM-DD" or "D-Mon-YYYY" as IMAP's "D-Mon-YYYY"; 0 or -1. */
int imap_date(const char *in, char *out, size_t outlen);

#endif
