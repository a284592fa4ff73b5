/* SPDX-License-Identifier: MIT */
/* check_mail_fetch.c - mail-fetch's parsers (IMAP FETCH pieces and literals, tagged replies,
 * SEARCH, LIST, UID sets; POP3 listings), the message writer (CRLF, mboxrd quoting) and the
 * state file. The engines are tested against Dovecot in tests/integration/mail_fetch*.sh. */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../applets/mail_fetch/deliver.h"
#include "../../applets/mail_fetch/parse.h"
#include "../../applets/mail_fetch/state.h"
#include "mbox.h"

#define S(x) x, strlen(x)

START_TEST(fetch_simple)
{
	struct imap_fetch f;
	int res;
	const char *l = "* 12 FETCH (UID 345 RFC822.SIZE 4096 FLAGS (\\Seen \\Answered))";
	ck_assert_int_eq(imap_fetch_begin(&f, S(l), &res), 1);
	ck_assert_int_eq(res, IMAP_F_DONE);
	ck_assert_uint_eq(f.seq, 12);
	ck_assert_uint_eq(f.uid, 345);
	ck_assert_uint_eq(f.size, 4096);
	ck_assert_int_eq(f.seen, 1);
	ck_assert_int_eq(imap_fetch_begin(&f, S("* 3 EXISTS"), &res), 0);
	ck_assert_int_eq(imap_fetch_begin(&f, S("* OK [UIDVALIDITY 5] x"), &res), 0);
}
END_TEST

START_TEST(fetch_literals)
{
	struct imap_fetch f;
	int res;
	ck_assert_int_eq(imap_fetch_begin(&f, S("* 1 FETCH (UID 7 BODY[] {4138}"), &res), 1);
	ck_assert_int_eq(res, IMAP_F_LITERAL);
	ck_assert_uint_eq(f.lit, 4138);
	ck_assert_int_eq(f.lit_kind, IMAP_LIT_BODY);
	ck_assert_int_eq(imap_fetch_feed(&f, S(")")), IMAP_F_DONE);
	ck_assert_uint_eq(f.uid, 7);
	/* the body first, UID after it; a header-fields section with spaces and parens */
	ck_assert_int_eq(imap_fetch_begin(&f, S("* 2 FETCH (BODY[HEADER.FIELDS (MESSAGE-ID DATE)] {20}"), &res), 1);
	ck_assert_int_eq(res, IMAP_F_LITERAL);
	ck_assert_int_eq(f.lit_kind, IMAP_LIT_HEADER);
	ck_assert_int_eq(imap_fetch_feed(&f, S(" UID 9 FLAGS ())")), IMAP_F_DONE);
	ck_assert_uint_eq(f.uid, 9);
	/* a literal inside a list (ENVELOPE) is not the message */
	ck_assert_int_eq(imap_fetch_begin(&f, S("* 3 FETCH (ENVELOPE (NIL {5}"), &res), 1);
	ck_assert_int_eq(res, IMAP_F_LITERAL);
	ck_assert_int_eq(f.lit_kind, IMAP_LIT_OTHER);
	ck_assert_int_eq(imap_fetch_feed(&f, S(" NIL \"x\\\"y\") UID 4)")), IMAP_F_DONE);
	ck_assert_uint_eq(f.uid, 4);
	/* quoted body */
	ck_assert_int_eq(imap_fetch_begin(&f, S("* 4 FETCH (UID 5 BODY[] \"a\\\\b\")"), &res), 1);
	ck_assert_int_eq(res, IMAP_F_DONE);
	ck_assert_uint_eq(f.inl_len, 3);
	ck_assert_int_eq(memcmp(f.inl, "a\\b", 3), 0);
}
END_TEST

START_TEST(fetch_malformed)
{
	struct imap_fetch f;
	int res;
	const char *bad[] = {
		"* 1 FETCH (UID",                 /* ends inside */
		"* 1 FETCH (UID x)",              /* not a number */
		"* 1 FETCH (UID 0)",              /* UID 0 */
		"* 1 FETCH (UID 99999999999)",    /* over 32 bits */
		"* 1 FETCH (UID 1)) junk",        /* text after the end */
		"* 1 FETCH (FLAGS (\\Seen)",      /* unclosed */
		"* 1 FETCH (BODY[HEADER {5}",     /* unclosed section */
		"* 1 FETCH (X \"unterminated)",
		"* 1 FETCH (RFC822.SIZE 123456789012345678901234)",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_assert_int_eq(imap_fetch_begin(&f, S(bad[i]), &res), 1);
		ck_assert_msg(res == IMAP_F_BAD, "accepted: %s", bad[i]);
	}
	/* nesting is bounded */
	char deep[200] = "* 1 FETCH (X ";
	for (int i = 0; i < 40; i++)
		strcat(deep, "(");
	ck_assert_int_eq(imap_fetch_begin(&f, S(deep), &res), 1);
	ck_assert_int_eq(res, IMAP_F_BAD);
	/* after the end, nothing more is accepted */
	imap_fetch_begin(&f, S("* 1 FETCH (UID 1)"), &res);
	ck_assert_int_eq(imap_fetch_feed(&f, S(")")), IMAP_F_BAD);
}
END_TEST

START_TEST(literal_end)
{
	uint64_t n;
	ck_assert_int_eq(imap_literal_at_end(S("* LIST () \"/\" {12}"), &n), 1);
	ck_assert_uint_eq(n, 12);
	ck_assert_int_eq(imap_literal_at_end(S("x {3+}"), &n), 1);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(imap_literal_at_end(S("x {}"), &n), 0);
	ck_assert_int_eq(imap_literal_at_end(S("x 12}"), &n), 0);
	ck_assert_int_eq(imap_literal_at_end(S("{99999999999999999999999}"), &n), 0);
}
END_TEST

START_TEST(tagged_untagged)
{
	ck_assert_int_eq(imap_tagged(S("A5 OK done"), "A5"), IMAP_ST_OK);
	ck_assert_int_eq(imap_tagged(S("A5 NO [TRYCREATE] no"), "A5"), IMAP_ST_NO);
	ck_assert_int_eq(imap_tagged(S("A5 BAD what"), "A5"), IMAP_ST_BAD);
	ck_assert_int_eq(imap_tagged(S("A55 OK done"), "A5"), IMAP_ST_NONE);
	ck_assert_int_eq(imap_tagged(S("A5 WEIRD x"), "A5"), IMAP_ST_BAD);
	uint32_t num;
	char w[16];
	ck_assert_int_eq(imap_untagged_num(S("* 23 EXISTS"), &num, w, sizeof w), 1);
	ck_assert_uint_eq(num, 23);
	ck_assert_str_eq(w, "EXISTS");
	uint64_t v;
	ck_assert_int_eq(imap_resp_code_num(S("* OK [UIDVALIDITY 1795700406] UIDs valid"), "UIDVALIDITY", &v), 1);
	ck_assert_uint_eq(v, 1795700406u);
	ck_assert_int_eq(imap_resp_code_num(S("* OK [UIDVALIDITY x] UIDs valid"), "UIDVALIDITY", &v), 0);
	ck_assert_int_eq(imap_has_cap(S("* CAPABILITY IMAP4rev1 UIDPLUS IDLE"), "IDLE"), 1);
	ck_assert_int_eq(imap_has_cap(S("* OK [CAPABILITY IMAP4rev1 IDLE] hi UIDPLUS"), "UIDPLUS"), 0);
}
END_TEST

START_TEST(search_list)
{
	uint32_t *v = NULL;
	size_t n = 0, cap = 0;
	ck_assert_int_eq(imap_search(S("* SEARCH 1 5 9"), &v, &n, &cap, 100), 1);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(v[2], 9);
	ck_assert_int_eq(imap_search(S("* SEARCH"), &v, &n, &cap, 100), 1);
	ck_assert_int_eq(imap_search(S("* SEARCH 1 x"), &v, &n, &cap, 100), -1);
	ck_assert_int_eq(imap_search(S("* SEARCH 0"), &v, &n, &cap, 100), -1); /* found by fuzzing: read past the end */
	ck_assert_int_eq(imap_search(S("* SEARCH 1 2 3"), &v, &n, &cap, 4), -1);
	ck_assert_int_eq(imap_search(S("* LIST () \"/\" x"), &v, &n, &cap, 100), 0);
	free(v);
	char flags[64], d, name[64];
	ck_assert_int_eq(imap_list(S("* LIST (\\HasNoChildren) \".\" INBOX"), flags, sizeof flags, &d, name, sizeof name), 1);
	ck_assert_str_eq(name, "INBOX");
	ck_assert_int_eq(d, '.');
	ck_assert_int_eq(imap_list(S("* LIST () NIL \"Odd \\\"name\\\"\""), flags, sizeof flags, &d, name, sizeof name), 1);
	ck_assert_str_eq(name, "Odd \"name\"");
	ck_assert_int_eq(d, 0);
	ck_assert_int_eq(imap_list(S("* LIST () \"/\" {3}\r\na b"), flags, sizeof flags, &d, name, sizeof name), 1);
	ck_assert_str_eq(name, "a b");
	ck_assert_int_eq(imap_list(S("* LIST () \"/\" {9}\r\na b"), flags, sizeof flags, &d, name, sizeof name), -1);
	ck_assert_int_eq(imap_list(S("* LIST (\\x \"/\" a"), flags, sizeof flags, &d, name, sizeof name), -1);
}
END_TEST

START_TEST(uid_sets_quote_date)
{
	uint32_t v[] = {1, 2, 3, 5, 7, 8, 100};
	char out[64];
	ck_assert_uint_eq(imap_uid_set(out, sizeof out, v, 7), 7);
	ck_assert_str_eq(out, "1:3,5,7:8,100");
	ck_assert_uint_eq(imap_uid_set(out, 8, v, 7), 4); /* "1:3,5" (4 UIDs) fits, "1:3,5,7:8" does not */
	ck_assert_str_eq(out, "1:3,5");
	ck_assert_int_eq(imap_quote(out, sizeof out, "a\"b\\c"), 0);
	ck_assert_str_eq(out, "\"a\\\"b\\\\c\"");
	ck_assert_int_eq(imap_quote(out, sizeof out, "a\r\nb"), -1);
	ck_assert_int_eq(imap_date("2024-03-05", out, sizeof out), 0);
	ck_assert_str_eq(out, "5-Mar-2024");
	ck_assert_int_eq(imap_date("5-mar-2024", out, sizeof out), 0);
	ck_assert_str_eq(out, "5-Mar-2024");
	ck_assert_int_eq(imap_date("2024-13-05", out, sizeof out), -1);
	ck_assert_int_eq(imap_date("yesterday", out, sizeof out), -1);
}
END_TEST

START_TEST(pop3_lines)
{
	uint32_t num;
	uint64_t size;
	char u[80];
	ck_assert_int_eq(pop3_status(S("+OK 2 200")), 1);
	ck_assert_int_eq(pop3_status(S("-ERR no")), 0);
	ck_assert_int_eq(pop3_status(S("+OKAY")), -1);
	ck_assert_int_eq(pop3_uidl_line(S("1 000000016b0836b6"), &num, u, sizeof u), 1);
	ck_assert_uint_eq(num, 1);
	ck_assert_str_eq(u, "000000016b0836b6");
	ck_assert_int_eq(pop3_uidl_line(S("."), &num, u, sizeof u), 0);
	ck_assert_int_eq(pop3_uidl_line(S("2 has space"), &num, u, sizeof u), -1);
	ck_assert_int_eq(pop3_uidl_line(S("0 x"), &num, u, sizeof u), -1);
	ck_assert_int_eq(pop3_uidl_line(S("x y"), &num, u, sizeof u), -1);
	ck_assert_int_eq(pop3_uidl_line(S("3 "), &num, u, sizeof u), -1);
	char long71[80];
	memset(long71, 'a', 71);
	strcpy(long71 + 71, "");
	char line[90] = "4 ";
	strcat(line, long71);
	ck_assert_int_eq(pop3_uidl_line(S(line), &num, u, sizeof u), -1);
	ck_assert_int_eq(pop3_list_line(S("7 4138"), &num, &size), 1);
	ck_assert_uint_eq(size, 4138);
	ck_assert_int_eq(pop3_list_line(S("7 x"), &num, &size), -1);
	ck_assert_int_eq(pop3_list_line(S("7 12x"), &num, &size), -1);
	ck_assert_int_eq(pop3_capa_is(S("PIPELINING"), "PIPELINING"), 1);
	ck_assert_int_eq(pop3_capa_is(S("SASL PLAIN"), "SASL"), 1);
	ck_assert_int_eq(pop3_capa_is(S("PIPELININGX"), "PIPELINING"), 0);
}
END_TEST

START_TEST(headers)
{
	const char *h = "From: A <a@b>\nSubject: one\n two\nMessage-ID:\n <x@y>\n\nMessage-ID: <body@z>\n";
	char out[64];
	ck_assert_int_eq(mf_mail_header(S(h), "subject", out, sizeof out), 1);
	ck_assert_str_eq(out, "one two");
	ck_assert_int_eq(mf_mail_header(S(h), "Message-ID", out, sizeof out), 1);
	ck_assert_str_eq(out, "<x@y>");
	ck_assert_int_eq(mf_mail_header(S(h), "Date", out, sizeof out), 0);
	ck_assert_int_eq(mf_mail_header(S("Subject: a\r\n\r\n"), "Subject", out, sizeof out), 1);
	ck_assert_str_eq(out, "a");
}
END_TEST

/* The writer into a temporary file; returns what it wrote. */
static char *write_msg(int mbox, const char *const *pieces, char *hdr, size_t hlen)
{
	char path[] = "/tmp/check_mail_fetch.XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	struct mbox_writer w;
	mbox_writer_init(&w, fd, (mbox ? MBOX_W_MBOXRD : 0) | MBOX_W_CRLF | MBOX_W_HEADER, MBOX_FNV_INIT);
	if (mbox)
		mbox_writer_from(&w, "MAILER-DAEMON", time(NULL));
	for (size_t i = 0; pieces[i]; i++)
		ck_assert_int_eq(mbox_write(&w, pieces[i], strlen(pieces[i])), 0);
	ck_assert_int_eq(mbox_writer_finish(&w), 0);
	if (hdr) {
		size_t k = w.hlen < hlen - 1 ? w.hlen : hlen - 1;
		memcpy(hdr, w.hdr, k);
		hdr[k] = 0;
	}
	mbox_writer_free(&w);
	off_t n = lseek(fd, 0, SEEK_END);
	char *out = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(pread(fd, out, (size_t)n, 0), n);
	close(fd);
	return out;
}

START_TEST(writer_crlf_and_quoting)
{
	/* pieces split inside CRLF and inside "From " */
	const char *p[] = {"Subject: x\r", "\nA: b\r\n\r\nFr", "om here\r\n>From there\r\n>>Fro", "m x\r\nFrom\r\nbare\rcr\r\nend", NULL};
	char hdr[128];
	char *raw = write_msg(0, p, hdr, sizeof hdr);
	ck_assert_str_eq(raw, "Subject: x\nA: b\n\nFrom here\n>From there\n>>From x\nFrom\nbare\rcr\nend");
	ck_assert_str_eq(hdr, "Subject: x\nA: b\n\n");
	free(raw);
	char *mb = write_msg(1, p, NULL, 0);
	const char *body = strchr(mb, '\n') + 1;
	ck_assert_int_eq(strncmp(mb, "From MAILER-DAEMON ", 19), 0);
	ck_assert_str_eq(body, "Subject: x\nA: b\n\n>From here\n>>From there\n>>>From x\nFrom\nbare\rcr\nend\n\n");
	free(mb);
}
END_TEST

START_TEST(state_roundtrip)
{
	char dir[] = "/tmp/check_mf_state.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256], err[512];
	snprintf(path, sizeof path, "%s/st", dir);
	struct mf_state s;
	ck_assert_int_eq(mf_state_load(&s, path, "imap://u@h:1/INBOX", err, sizeof err), 0);
	ck_assert_uint_eq(s.n, 0);
	s.uidvalidity = 77;
	mf_state_add(&s, "10", "<a@b>");
	mf_state_add(&s, "2", "bad id with spaces\n");
	mf_state_add(&s, "10", "<a@b>");
	mf_state_add_bymid(&s, "5", "<m@b>");   /* matched by Message-ID only */
	mf_state_add_bymid(&s, "7", "<n@b>");
	mf_state_add(&s, "7", "<n@b>");         /* then downloaded (--all): the download wins */
	ck_assert_int_eq(mf_state_save(&s, err, sizeof err), 0);
	mf_state_free(&s);
	ck_assert_int_eq(mf_state_load(&s, path, "imap://u@h:1/INBOX", err, sizeof err), 0);
	ck_assert_int_eq(mf_state_has(&s, "5"), 1);
	ck_assert_int_eq(mf_state_downloaded(&s, "5"), 0);
	ck_assert_int_eq(mf_state_downloaded(&s, "7"), 1);
	ck_assert_int_eq(mf_state_downloaded(&s, "10"), 1);
	ck_assert_int_eq(mf_state_downloaded(&s, "11"), 0);
	char *drop[] = {"5", "7"};
	ck_assert_uint_eq(mf_state_filter(&s, drop, 2, 0), 2);
	ck_assert_uint_eq(s.uidvalidity, 77);
	ck_assert_int_eq(mf_state_has(&s, "10"), 1);
	ck_assert_int_eq(mf_state_has(&s, "2"), 1);
	ck_assert_int_eq(mf_state_has(&s, "3"), 0);
	ck_assert_uint_eq(s.n, 2);
	mf_state_reset_keys(&s);
	ck_assert_int_eq(mf_state_has(&s, "10"), 0);
	ck_assert_int_eq(mf_state_had_msgid(&s, "<a@b>"), 1);
	ck_assert_int_eq(mf_state_had_msgid(&s, "<c@d>"), 0);
	mf_state_free(&s);
	/* a file we do not understand is an error, not an empty state */
	FILE *f = fopen(path, "w");
	fputs("version 1\ngarbage here\n", f);
	fclose(f);
	ck_assert_int_eq(mf_state_load(&s, path, "x", err, sizeof err), -1);
	mf_state_free(&s);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(state_pending_key)
{
	/* "pending NAME KEY" (written since the recovery re-fetches a pending name found
	 * nowhere), and an older file's "pending NAME" (no key) still read and written as it was. */
	const char *in = "version 1\npending 1.M2P3Q4.h 42\npending 1.M2P3Q5.h\nu 42 <a@b>\n";
	FILE *f = fmemopen((void *)in, strlen(in), "r");
	struct mf_state s;
	char err[512];
	memset(&s, 0, sizeof s);
	s.path = strdup("st"), s.account = strdup("a"), s.sorted = 1;
	ck_assert_int_eq(mf_state_read(&s, f, err, sizeof err), 0);
	fclose(f);
	ck_assert_uint_eq(s.npend, 2);
	ck_assert_str_eq(s.pend[0], "1.M2P3Q4.h");
	ck_assert_str_eq(s.pkey[0], "42");
	ck_assert_str_eq(s.pend[1], "1.M2P3Q5.h");
	ck_assert_ptr_null(s.pkey[1]);
	mf_state_add_pending(&s, "1.M2P3Q6.h", "UIDL-x");
	char *out = NULL;
	size_t n = 0;
	f = open_memstream(&out, &n);
	ck_assert_int_eq(mf_state_write(&s, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "\npending 1.M2P3Q4.h 42\npending 1.M2P3Q5.h\npending 1.M2P3Q6.h UIDL-x\n"));
	free(out);
	mf_state_drop_pending(&s);
	ck_assert_uint_eq(s.npend, 0);
	mf_state_free(&s);
	/* a pending line with a third word, or a name with '/', is not understood */
	const char *bad[] = {"version 1\npending 1.M2P3Q4.h 42 x\n", "version 1\npending a/b 42\n"};
	for (size_t i = 0; i < 2; i++) {
		f = fmemopen((void *)bad[i], strlen(bad[i]), "r");
		memset(&s, 0, sizeof s);
		s.path = strdup("st"), s.account = strdup("a"), s.sorted = 1;
		ck_assert_int_eq(mf_state_read(&s, f, err, sizeof err), -1);
		fclose(f);
		mf_state_free(&s);
	}
}
END_TEST

START_TEST(gather_list_literal)
{
	char buf[64], flags[64], name[64], delim = 0;
	struct imap_gather g = {buf, 0, sizeof buf};
	uint64_t lit = 0;
	ck_assert_int_eq(imap_gather_line(&g, S("* LIST (\\HasNoChildren) \"/\" {8}"), &lit), 1);
	ck_assert_uint_eq(lit, 8);
	ck_assert_int_eq(imap_gather_bytes(&g, "Odd \"x\"\\", 8), 0);
	ck_assert_int_eq(imap_gather_line(&g, "", 0, &lit), 0);
	ck_assert_int_eq(imap_list(g.b, g.len, flags, sizeof flags, &delim, name, sizeof name), 1);
	ck_assert_str_eq(name, "Odd \"x\"\\");
	ck_assert_int_eq(delim, '/');
	/* over the cap: a line, or an announced literal */
	struct imap_gather h = {buf, 0, 16};
	ck_assert_int_eq(imap_gather_line(&h, S("* LIST () \"/\" {100}"), &lit), -1);
	h.len = 0;
	ck_assert_int_eq(imap_gather_line(&h, S("* LIST () {99}"), &lit), -1);
}
END_TEST

START_TEST(pop3_bound)
{
	const uint64_t cap = 1ull << 31;
	ck_assert_uint_eq(pop3_retr_bound(4096, 0, cap), 4096 + 512 + 65536);
	ck_assert_uint_eq(pop3_retr_bound(4096, 1000, cap), 1000 + 65536);
	/* a hostile LIST: 2^62 bytes announced, or a sum that wraps */
	ck_assert_uint_eq(pop3_retr_bound(1ull << 62, 0, cap), cap);
	ck_assert_uint_eq(pop3_retr_bound(UINT64_MAX - 10, 0, cap), cap);
	ck_assert_uint_eq(pop3_retr_bound(UINT64_MAX - 10, 1000, cap), 1000 + 65536);
}
END_TEST

START_TEST(state_filter)
{
	struct mf_state st;
	char err[256];
	ck_assert_int_eq(mf_state_load(&st, "/nonexistent/x", "acct", err, sizeof err), 0);
	mf_state_add(&st, "aaa", "<a@x>");
	mf_state_add(&st, "bbb", NULL);
	mf_state_add(&st, "ccc", NULL);
	char *listed[] = {"ccc", "zzz", "aaa"};
	ck_assert_uint_eq(mf_state_filter(&st, listed, 3, 1), 1); /* bbb is not listed */
	ck_assert(mf_state_has(&st, "aaa") && mf_state_has(&st, "ccc") && !mf_state_has(&st, "bbb"));
	char *deleted[] = {"aaa"};
	ck_assert_uint_eq(mf_state_filter(&st, deleted, 1, 0), 1);
	ck_assert(!mf_state_has(&st, "aaa") && mf_state_has(&st, "ccc"));
	ck_assert_uint_eq(mf_state_filter(&st, NULL, 0, 0), 0);
	ck_assert_uint_eq(mf_state_filter(&st, NULL, 0, 1), 1);
	ck_assert_uint_eq(st.n, 0);
	mf_state_free(&st);
}
END_TEST

/* The writer as nntp fetch uses it: LF lines in, mboxrd out, kept in memory. */
START_TEST(writer_lines_in_memory)
{
	struct mbox_writer w;
	mbox_writer_init(&w, -1, MBOX_W_MBOXRD, MBOX_FNV_INIT);
	mbox_writer_from(&w, "nntp@host", 0);
	const char *lines[] = {"Subject: s", "", "From a", ">From b", "x From c", NULL};
	for (size_t i = 0; lines[i]; i++) {
		ck_assert_int_eq(mbox_write(&w, lines[i], strlen(lines[i])), 0);
		ck_assert_int_eq(mbox_write(&w, "\n", 1), 0);
	}
	ck_assert_int_eq(mbox_writer_finish(&w), 0);
	const char *want = "From nntp@host Thu Jan  1 00:00:00 1970\nSubject: s\n\n>From a\n>>From b\nx From c\n\n";
	ck_assert_uint_eq(w.olen, strlen(want));
	ck_assert_int_eq(memcmp(w.obuf, want, w.olen), 0);
	ck_assert_uint_eq(w.bytes, strlen(want));
	ck_assert(w.hash == mf_state_fnv(MBOX_FNV_INIT, want, strlen(want)));
	mbox_writer_free(&w);
}
END_TEST

/* The lock never writes through a symlink planted at PATH.lock: a fresh one is a held
 * lock (refused after the wait), an old one is stale by its own age and removed as a
 * link; the victim stays as it was. */
START_TEST(lock_symlink)
{
	char dir[] = "/tmp/check_mbox_lock.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char mbox[256], lock[300], victim[256], err[512], got[64] = "";
	snprintf(mbox, sizeof mbox, "%s/inbox", dir);
	snprintf(lock, sizeof lock, "%s/inbox.lock", dir);
	snprintf(victim, sizeof victim, "%s/victim", dir);
	FILE *f = fopen(victim, "w");
	fputs("victim\n", f);
	fclose(f);
	ck_assert_int_eq(symlink(victim, lock), 0);
	int fd = mbox_open(mbox, err, sizeof err);
	ck_assert_int_ge(fd, 0);
	struct mbox_lock l;
	ck_assert_int_eq(mbox_lock(&l, mbox, fd, 0, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "locked by another program"));
	struct timespec old[2] = {{.tv_sec = time(NULL) - 1000}, {.tv_sec = time(NULL) - 1000}};
	ck_assert_int_eq(utimensat(AT_FDCWD, lock, old, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_int_eq(mbox_lock(&l, mbox, fd, 0, err, sizeof err), 0);
	struct stat st;
	ck_assert_int_eq(lstat(lock, &st), 0);
	ck_assert(S_ISREG(st.st_mode)); /* ours now */
	mbox_unlock(&l);
	ck_assert_int_eq(lstat(lock, &st), -1);
	f = fopen(victim, "r");
	ck_assert_ptr_nonnull(fgets(got, sizeof got, f));
	fclose(f);
	ck_assert_str_eq(got, "victim\n");
	close(fd);
	unlink(mbox), unlink(victim), rmdir(dir);
}
END_TEST

/* mbox_open never writes through a symlink (dangling or not), and refuses what is not a
 * plain file of ours with one link (security review 2a). */
START_TEST(mbox_open_refuses)
{
	char dir[] = "/tmp/check_mbox_open.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char p[300], q[300], v[300], err[512];
	snprintf(v, sizeof v, "%s/victim", dir);
	FILE *f = fopen(v, "w");
	fputs("victim\n", f);
	fclose(f);
	snprintf(p, sizeof p, "%s/box", dir);
	ck_assert_int_eq(symlink(v, p), 0);
	ck_assert_int_eq(mbox_open(p, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
	unlink(p);
	snprintf(q, sizeof q, "%s/nothere", dir);
	ck_assert_int_eq(symlink(q, p), 0); /* dangling: must not create nothere */
	ck_assert_int_eq(mbox_open(p, err, sizeof err), -1);
	ck_assert_int_eq(access(q, F_OK), -1);
	unlink(p);
	ck_assert_int_eq(link(v, p), 0); /* a hard link to someone's file */
	ck_assert_int_eq(mbox_open(p, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "hard links"));
	unlink(p);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(mbox_open(p, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	unlink(p);
	int fd = mbox_open(p, err, sizeof err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	struct stat st;
	ck_assert_int_eq(stat(v, &st), 0);
	ck_assert_int_eq(st.st_size, 7);
	unlink(p), unlink(v), rmdir(dir);
}
END_TEST

/* Someone who hard-links our unique file (PATH.lock.PID.RANDOM) while another holds the
 * dot-lock must not make us believe we hold it (security review 4). */
struct lock_arg {
	const char *mbox;
	int fd, rc;
	char err[512];
};

static void *lock_thread(void *a)
{
	struct lock_arg *la = a;
	struct mbox_lock l;
	la->rc = mbox_lock(&l, la->mbox, la->fd, 2, la->err, sizeof la->err);
	if (la->rc == 0)
		mbox_unlock(&l);
	return NULL;
}

START_TEST(lock_hardlink_trick)
{
	char dir[] = "/tmp/check_mbox_hl.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char mbox[256], lock[300], err[512], pid[32];
	snprintf(mbox, sizeof mbox, "%s/inbox", dir);
	snprintf(lock, sizeof lock, "%s/inbox.lock", dir);
	FILE *f = fopen(lock, "w"); /* held by a live process: pid 1 */
	fputs("1\n", f);
	fclose(f);
	int fd = mbox_open(mbox, err, sizeof err);
	ck_assert_int_ge(fd, 0);
	struct lock_arg la = {.mbox = mbox, .fd = fd, .rc = 9};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, lock_thread, &la), 0);
	snprintf(pid, sizeof pid, "inbox.lock.%d.", (int)getpid());
	int linked = 0;
	for (int i = 0; i < 400 && !linked; i++) {
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (!strncmp(e->d_name, pid, strlen(pid))) {
				char a[600], b[300];
				snprintf(a, sizeof a, "%s/%s", dir, e->d_name);
				snprintf(b, sizeof b, "%s/stolen", dir);
				linked = link(a, b) == 0;
			}
		if (d)
			closedir(d);
		usleep(2000);
	}
	pthread_join(t, NULL);
	ck_assert_int_eq(linked, 1);
	ck_assert_int_eq(la.rc, -1); /* still held by the other: we waited and gave up */
	ck_assert_ptr_nonnull(strstr(la.err, "locked by another program"));
	char s2[300];
	snprintf(s2, sizeof s2, "%s/stolen", dir);
	unlink(s2), unlink(lock), close(fd), unlink(mbox), rmdir(dir);
}
END_TEST

Suite *suite_mail_fetch(void)
{
	Suite *s = suite_create("mail_fetch");
	TCase *t = tcase_create("parse");
	tcase_add_test(t, fetch_simple);
	tcase_add_test(t, fetch_literals);
	tcase_add_test(t, fetch_malformed);
	tcase_add_test(t, literal_end);
	tcase_add_test(t, tagged_untagged);
	tcase_add_test(t, search_list);
	tcase_add_test(t, uid_sets_quote_date);
	tcase_add_test(t, pop3_lines);
	tcase_add_test(t, headers);
	suite_add_tcase(s, t);
	t = tcase_create("deliver");
	tcase_add_test(t, writer_crlf_and_quoting);
	tcase_add_test(t, writer_lines_in_memory);
	tcase_add_test(t, lock_symlink);
	tcase_add_test(t, mbox_open_refuses);
	tcase_add_test(t, lock_hardlink_trick);
	tcase_add_test(t, state_roundtrip);
	tcase_add_test(t, state_pending_key);
	tcase_add_test(t, state_filter);
	tcase_add_test(t, pop3_bound);
	tcase_add_test(t, gather_list_literal);
	suite_add_tcase(s, t);
	return s;
}
