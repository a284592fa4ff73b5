/* SPDX-License-Identifier: MIT */
/* check_sasl.c - the SASL login read off a trace (core/sasl.c): mechanism lists of IMAP,
 * POP3 and SMTP, base64, RFC 7628's error JSON, whole dialogues with their final words;
 * the OAuth2 options (connpol.c), the token file's rules (core/oauth2.c), and the -v
 * trace's masking after a continuation (core/xfer.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connpol.h"
#include "log.h"
#include "oauth2.h"
#include "sasl.h"
#include "xfer.h"

#define L(s) (s), strlen(s)

START_TEST(offers)
{
	unsigned b;
	char t[160];
	ck_assert_int_eq(sasl_offer_parse(L("* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER\r\n"), &b, t, sizeof t), 1);
	ck_assert_uint_eq(b, SASL_PLAIN | SASL_XOAUTH2 | SASL_OAUTHBEARER);
	ck_assert_str_eq(t, "PLAIN XOAUTH2 OAUTHBEARER");
	/* the greeting's and a tagged OK's bracketed list; words after ']' are text */
	ck_assert_int_eq(sasl_offer_parse(L("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] AUTH=XOAUTH2 ready"), &b, t, sizeof t), 1);
	ck_assert_uint_eq(b, SASL_PLAIN);
	ck_assert_int_eq(sasl_offer_parse(L("A1 OK [CAPABILITY IMAP4rev1] Logged in"), &b, t, sizeof t), 1);
	ck_assert_uint_eq(b, 0);
	ck_assert_str_eq(t, "");
	/* POP3 CAPA and SMTP EHLO (also the old AUTH= form) */
	ck_assert_int_eq(sasl_offer_parse(L("SASL PLAIN LOGIN XOAUTH2\r\n"), &b, t, sizeof t), 1);
	ck_assert_uint_eq(b, SASL_PLAIN | SASL_LOGIN | SASL_XOAUTH2);
	ck_assert_int_eq(sasl_offer_parse(L("250-AUTH LOGIN CRAM-MD5 OAUTHBEARER\r\n"), &b, t, sizeof t), 1);
	ck_assert_uint_eq(b, SASL_LOGIN | SASL_OTHER | SASL_OAUTHBEARER);
	ck_assert_str_eq(t, "LOGIN CRAM-MD5 OAUTHBEARER");
	ck_assert_int_eq(sasl_offer_parse(L("250 AUTH=PLAIN"), &b, t, sizeof t), 1);
	ck_assert_uint_eq(b, SASL_PLAIN);
	/* not lists */
	ck_assert_int_eq(sasl_offer_parse(L("250-AUTHX PLAIN"), &b, t, sizeof t), 0);
	ck_assert_int_eq(sasl_offer_parse(L("+OK capability list follows"), &b, t, sizeof t), 0);
	ck_assert_int_eq(sasl_offer_parse(L("+ CAPABILITY AUTH=PLAIN"), &b, t, sizeof t), 0);
	ck_assert_int_eq(sasl_offer_parse(L("* OK NOCAPABILITY AUTH=PLAIN"), &b, t, sizeof t), 0);
	/* a server's escape sequence never reaches the text; the bits stay complete when the
	 * text is cut */
	ck_assert_int_eq(sasl_offer_parse(L("SASL \x1b[2JPLAIN XOAUTH2"), &b, t, sizeof t), 1);
	ck_assert_ptr_null(strchr(t, '\x1b'));
	ck_assert_int_eq(sasl_offer_parse(L("SASL AAAAAAAAAAAAAAAA PLAIN"), &b, t, 8), 1);
	ck_assert_uint_eq(b, SASL_OTHER | SASL_PLAIN);
	ck_assert_uint_lt(strlen(t), 8);
}
END_TEST

START_TEST(base64)
{
	unsigned char o[64];
	ck_assert_int_eq(sasl_b64_decode(L("eyJhIjoxfQ=="), o, sizeof o), 7);
	ck_assert_int_eq(memcmp(o, "{\"a\":1}", 7), 0);
	ck_assert_int_eq(sasl_b64_decode(L(" YWI=\r\n"), o, sizeof o), 2);
	ck_assert_int_eq(sasl_b64_decode(L("YWJj"), o, sizeof o), 3);
	ck_assert_int_eq(sasl_b64_decode(L(""), o, sizeof o), 0);
	ck_assert_int_eq(sasl_b64_decode(L("YWJ"), o, sizeof o), -1);       /* not a multiple of 4 */
	ck_assert_int_eq(sasl_b64_decode(L("Y=Jj"), o, sizeof o), -1);      /* '=' inside */
	ck_assert_int_eq(sasl_b64_decode(L("YW=j"), o, sizeof o), -1);
	ck_assert_int_eq(sasl_b64_decode(L("Y*Jj"), o, sizeof o), -1);
	ck_assert_int_eq(sasl_b64_decode(L("YWJjYWJj"), o, 5), -1);         /* does not fit */
}
END_TEST

START_TEST(oauth_error)
{
	char o[200];
	ck_assert_int_eq(sasl_oauth_error(L("{\"status\":\"invalid_token\",\"schemes\":\"bearer\",\"scope\":\"mail\"}"), o, sizeof o), 0);
	ck_assert_str_eq(o, "status invalid_token, scope mail");
	/* Google's XOAUTH2 answer; spaces, escapes, numbers */
	ck_assert_int_eq(sasl_oauth_error(L(" { \"status\" : \"400\" , \"schemes\":\"Bearer\", "
					    "\"scope\":\"https:\\/\\/mail.google.com\\/\" }"), o, sizeof o), 0);
	ck_assert_str_eq(o, "status 400, scope https://mail.google.com/");
	ck_assert_int_eq(sasl_oauth_error(L("{\"status\":401,\"ok\":false}"), o, sizeof o), 0);
	ck_assert_str_eq(o, "status 401");
	ck_assert_int_eq(sasl_oauth_error(L("{\"status\":\"a\\u001b[2Jb\\nc\"}"), o, sizeof o), 0);
	ck_assert_str_eq(o, "status a?[2Jb c");
	/* not RFC 7628 errors */
	ck_assert_int_eq(sasl_oauth_error(L("{}"), o, sizeof o), -1);
	ck_assert_int_eq(sasl_oauth_error(L("{\"scope\":\"x\"}"), o, sizeof o), -1);
	ck_assert_int_eq(sasl_oauth_error(L("{\"status\":\"x\""), o, sizeof o), -1);
	ck_assert_int_eq(sasl_oauth_error(L("{\"status\":{\"a\":1}}"), o, sizeof o), -1);
	ck_assert_int_eq(sasl_oauth_error(L("{\"status\":\"x\\q\"}"), o, sizeof o), -1);
	ck_assert_int_eq(sasl_oauth_error(L("{\"status\":\"\\u12\"}"), o, sizeof o), -1);
	ck_assert_int_eq(sasl_oauth_error(L("\x01"), o, sizeof o), -1);
	ck_assert_int_eq(sasl_oauth_error(L(""), o, sizeof o), -1);
	/* the output is bounded */
	ck_assert_int_eq(sasl_oauth_error(L("{\"status\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}"), o, 10), 0);
	ck_assert_uint_eq(strlen(o), 9);
}
END_TEST

static void feed(struct sasl_watch *w, const char *dialogue)
{
	/* "<" and ">" lines, one per "\n" */
	const char *p = dialogue;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		sasl_watch_line(w, p[0], p + 2, n - 2);
		p += n + (nl ? 1 : 0);
	}
}

START_TEST(dialogues)
{
	struct sasl_watch w = {0};
	char why[400];
	/* IMAP with SASL-IR, the error challenge, the tagged NO; untagged lines do not end it */
	feed(&w, "< * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER] ready\n"
		 "> A001 CAPABILITY\n"
		 "< * CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2\n"
		 "< A001 OK done\n"
		 "> A002 AUTHENTICATE XOAUTH2 dXNlcj10ZXN0AWF1dGg9QmVhcmVyIHgBAQ==\n"
		 "< + eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=\n"
		 "> AQ==\n"
		 "< * BYE later\n"
		 "< A002 NO [AUTHENTICATIONFAILED] Authentication failed.\n");
	ck_assert_uint_eq(w.offered, SASL_PLAIN | SASL_XOAUTH2);
	ck_assert_int_eq(w.tried, 1);
	ck_assert_int_eq(w.ok, 0);
	ck_assert_str_eq(w.mech, "XOAUTH2");
	ck_assert_str_eq(sasl_watch_why(&w, why, sizeof why),
			 "NO [AUTHENTICATIONFAILED] Authentication failed. (status invalid_token)");
	ck_assert_int_eq(oauth2_token_refused(&w), 1);
	/* XOAUTH2 with SASL-IR: libcurl leaves at the error challenge, no final reply */
	memset(&w, 0, sizeof w);
	feed(&w, "> A2 AUTHENTICATE XOAUTH2 dXNlcj10ZXN0AWF1dGg9QmVhcmVyIHgBAQ==\n"
		 "< + eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=\n");
	ck_assert_int_eq(oauth2_token_refused(&w), 1);
	ck_assert_str_eq(sasl_watch_why(&w, why, sizeof why), "its error challenge: status 401, scope mail");
	/* a continuation that is not an error (the empty "+ " before the credentials) is not */
	memset(&w, 0, sizeof w);
	feed(&w, "> AUTH XOAUTH2\n< + \n");
	ck_assert_int_eq(oauth2_token_refused(&w), 0);
	/* POP3: "+ " then the token line (ours, never parsed), +OK */
	memset(&w, 0, sizeof w);
	feed(&w, "> CAPA\n< +OK\n< SASL PLAIN OAUTHBEARER\n< .\n> AUTH OAUTHBEARER\n< + \n> +OK-looking-token\n< +OK Logged in.\n");
	ck_assert_int_eq(w.tried, 1);
	ck_assert_int_eq(w.ok, 1);
	ck_assert_int_eq(oauth2_token_refused(&w), 0);
	/* a bare "+" continuation is not the final word */
	memset(&w, 0, sizeof w);
	feed(&w, "> AUTH XOAUTH2\n< +\n> secret\n< -ERR [AUTH] no\n");
	ck_assert_int_eq(w.tried, 1);
	ck_assert_int_eq(w.ok, 0);
	ck_assert_str_eq(sasl_watch_why(&w, why, sizeof why), "-ERR [AUTH] no");
	/* SMTP: 334 challenge, 535; the EHLO list; a reply to our command is never the list */
	memset(&w, 0, sizeof w);
	feed(&w, "> EHLO me\n< 250-x\n< 250-AUTH PLAIN LOGIN\n< 250 HELP\n> AUTH OAUTHBEARER\n< 504 5.5.4 Unrecognized\n");
	ck_assert_uint_eq(w.offered, SASL_PLAIN | SASL_LOGIN);
	ck_assert_int_eq(w.offer_seen, 1);
	ck_assert_str_eq(w.offer_text, "PLAIN LOGIN");
	ck_assert_str_eq(w.reply, "504 5.5.4 Unrecognized");
	memset(&w, 0, sizeof w);
	feed(&w, "> EHLO me\n< 250 AUTH XOAUTH2\n> AUTH XOAUTH2\n< 334 \n> token\n< 235 2.7.0 ok\n");
	ck_assert_int_eq(w.ok, 1);
	/* a new EHLO forgets the old list (after STARTTLS) */
	feed(&w, "> EHLO me\n< 250 HELP\n");
	ck_assert_int_eq(w.offer_seen, 0);
	/* no login yet: no words */
	memset(&w, 0, sizeof w);
	ck_assert_str_eq(sasl_watch_why(&w, why, sizeof why), "");
	ck_assert_int_eq(oauth2_token_refused(&w), 0);
}
END_TEST

START_TEST(refusals)
{
	struct oauth2 o = {.cmd = "helper", .runs = 2};
	struct sasl_watch w = {0};
	char err[600];
	feed(&w, "> EHLO me\n< 250 AUTH PLAIN LOGIN\n");
	ck_assert_int_eq(oauth2_refused(&o, &w, "mx.example", err, sizeof err), 4);
	ck_assert_str_eq(err, "mx.example offers no OAuth2 (SASL XOAUTH2 or OAUTHBEARER) login (it offers: PLAIN LOGIN)");
	o.mech = "OAUTHBEARER";
	feed(&w, "> EHLO me\n< 250 AUTH XOAUTH2\n");
	oauth2_refused(&o, &w, "mx.example", err, sizeof err);
	ck_assert_str_eq(err, "mx.example offers no OAUTHBEARER login (--oauth2-mech) (it offers: XOAUTH2)");
	feed(&w, "> AUTH XOAUTH2\n< 535 no\n");
	oauth2_refused(&o, &w, "mx.example", err, sizeof err);
	ck_assert_str_eq(err, "mx.example refused the OAuth2 token from --oauth2-token-cmd, also the one of its next run "
			      "(XOAUTH2): 535 no");
	ck_assert_str_eq(oauth2_login_options(&o), "AUTH=OAUTHBEARER");
	o.mech = NULL;
	ck_assert_str_eq(oauth2_login_options(&o), "AUTH=OAUTHBEARER;AUTH=XOAUTH2");
}
END_TEST

START_TEST(token_file)
{
	char path[] = "/tmp/check_sasl.XXXXXX", err[300];
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "tok-1\nsecond\n", 13), 13);
	close(fd);
	struct oauth2 o = {.file = path};
	ck_assert_int_eq(oauth2_get(&o, err, sizeof err), 0);
	ck_assert_str_eq(o.token, "tok-1");
	ck_assert_int_eq(oauth2_refresh(&o, err, sizeof err), 0); /* a file is not refreshed */
	oauth2_free(&o);
	chmod(path, 0640);
	ck_assert_int_eq(oauth2_get(&o, err, sizeof err), -4);
	ck_assert_ptr_nonnull(strstr(err, "others can read or write it"));
	chmod(path, 0600);
	FILE *f = fopen(path, "w");
	fputs("tok\r\n", f);
	fclose(f);
	ck_assert_int_eq(oauth2_get(&o, err, sizeof err), -4);
	f = fopen(path, "w");
	fclose(f);
	ck_assert_int_eq(oauth2_get(&o, err, sizeof err), -4); /* empty */
	unlink(path);
	ck_assert_int_eq(oauth2_get(&o, err, sizeof err), -6);
	ck_assert_ptr_null(o.token);
}
END_TEST

START_TEST(options)
{
	struct conn_opts c = {.timeout_ms = 5000};
	struct opt_state os = {0};
	os.str = "oama access me";
	ck_assert_int_eq(conn_opt(&c, CONN_O_OA2CMD, &os), 1);
	os.str = "xoauth2";
	ck_assert_int_eq(conn_opt(&c, CONN_O_OA2MECH, &os), 1);
	conn_opts_finish(&c, CONN_PROXY_CURL);
	ck_assert_str_eq(c.oauth2_mech, "XOAUTH2");
	struct oauth2 o;
	ck_assert_int_eq(oauth2_from(&o, &c), 1);
	ck_assert_str_eq(o.cmd, "oama access me");
	ck_assert_int_eq(o.timeout_ms, 5000);
	ck_assert_str_eq(oauth2_login_options(&o), "AUTH=XOAUTH2");
	struct conn_opts none = {0};
	ck_assert_int_eq(oauth2_from(&o, &none), 0);
}
END_TEST

/* The -v trace (xfer_debug_cb): the credentials after a bare "+" continuation stay
 * masked, and the watch is fed whether or not -v prints. */
START_TEST(trace_masks_after_bare_plus)
{
	char path[] = "/tmp/check_sasl_trace.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	int level = log_level;
	log_level = LOG_VERBOSE;
	struct sasl_watch w = {0};
	char l1[] = "A1 AUTHENTICATE XOAUTH2\r\n", l2[] = "+\r\n", l3[] = "c2VjcmV0LXRva2Vu\r\n", l4[] = "A1 OK done\r\n";
	xfer_debug_cb(NULL, CURLINFO_HEADER_OUT, l1, strlen(l1), &w);
	xfer_debug_cb(NULL, CURLINFO_HEADER_IN, l2, strlen(l2), &w);
	xfer_debug_cb(NULL, CURLINFO_HEADER_OUT, l3, strlen(l3), &w);
	xfer_debug_cb(NULL, CURLINFO_HEADER_IN, l4, strlen(l4), &w);
	log_level = level;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char buf[512] = "";
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	close(fd);
	unlink(path);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_null(strstr(buf, "c2VjcmV0"));
	ck_assert_ptr_nonnull(strstr(buf, "> ****"));
	ck_assert_int_eq(w.tried, 1);
	ck_assert_int_eq(w.ok, 1);
	ck_assert_str_eq(w.mech, "XOAUTH2");
}
END_TEST

Suite *suite_sasl(void)
{
	Suite *s = suite_create("sasl");
	TCase *t = tcase_create("sasl");
	tcase_add_test(t, offers);
	tcase_add_test(t, base64);
	tcase_add_test(t, oauth_error);
	tcase_add_test(t, dialogues);
	tcase_add_test(t, refusals);
	tcase_add_test(t, token_file);
	tcase_add_test(t, options);
	tcase_add_test(t, trace_masks_after_bare_plus);
	suite_add_tcase(s, t);
	return s;
}
