/* SPDX-License-Identifier: MIT */
/* check_connpol.c - the connection policy: proxy URLs, no-proxy matching as curl does it,
 * which variable wins, a proxy hop is never loopback, the shared option handler and the
 * one STREAM_* to exit code mapping. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "connpol.h"
#include "nt_err.h"
#include "stream.h"

static const char *vars[] = {"all_proxy", "ALL_PROXY", "ftp_proxy", "FTP_PROXY", "http_proxy", "HTTP_PROXY",
			     "no_proxy", "NO_PROXY", "nntp_proxy", "NNTP_PROXY"};

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		unsetenv(vars[i]);
}

START_TEST(proxy_urls)
{
	struct conn_proxy p;
	char err[300];
	ck_assert_int_eq(conn_proxy_parse("proxy.example:3128", &p, err, sizeof err), 0);
	ck_assert_int_eq(p.kind, CONN_PROXY_HTTP);
	ck_assert_str_eq(p.host, "proxy.example");
	ck_assert_int_eq(p.port, 3128);
	ck_assert_int_eq(conn_proxy_parse("socks5h://[::1]", &p, err, sizeof err), 0);
	ck_assert_int_eq(p.kind, CONN_PROXY_SOCKS5H);
	ck_assert_str_eq(p.host, "::1");
	ck_assert_int_eq(p.port, 1080); /* curl's default */
	ck_assert_int_eq(conn_proxy_parse("HTTP://u:pw@h:8080/", &p, err, sizeof err), 0);
	ck_assert_int_eq(p.has_password, 1);
	ck_assert_str_eq(p.host, "h");
	/* The credentials, percent-decoded, for Proxy-Authorization and RFC 1929. */
	ck_assert_int_eq(conn_proxy_parse("socks5://us%65r:p%40ss%3Aw@h:1", &p, err, sizeof err), 0);
	ck_assert_int_eq(p.has_user, 1);
	ck_assert_str_eq(p.user, "user");
	ck_assert_str_eq(p.password, "p@ss:w");
	ck_assert_str_eq(p.host, "h");
	ck_assert_int_eq(conn_proxy_parse("http://only@h:1", &p, err, sizeof err), 0);
	ck_assert_int_eq(p.has_user, 1);
	ck_assert_int_eq(p.has_password, 0);
	ck_assert_int_eq(conn_proxy_parse("http://u:a%0d%0aX@h:1", &p, err, sizeof err), -1); /* CR LF */
	ck_assert_int_eq(conn_proxy_parse("http://u:%4@h:1", &p, err, sizeof err), -1);
	ck_assert_int_eq(conn_proxy_parse("ftp://h", &p, err, sizeof err), -1);
	ck_assert_int_eq(conn_proxy_parse("http://h:0", &p, err, sizeof err), -1);
	ck_assert_int_eq(conn_proxy_parse("http://h:99999", &p, err, sizeof err), -1);
	ck_assert_int_eq(conn_proxy_parse("http://h/path", &p, err, sizeof err), -1);
	ck_assert_int_eq(conn_proxy_parse("http://", &p, err, sizeof err), -1);
	ck_assert_int_eq(conn_proxy_parse("http://h\r\nX: y", &p, err, sizeof err), -1);
}
END_TEST

START_TEST(noproxy)
{
	ck_assert_int_eq(conn_noproxy_match("*", "anything"), 1);
	ck_assert_int_eq(conn_noproxy_match("example.com", "example.com"), 1);
	ck_assert_int_eq(conn_noproxy_match("example.com", "www.example.com"), 1);
	ck_assert_int_eq(conn_noproxy_match(".example.com", "www.EXAMPLE.com"), 1);
	ck_assert_int_eq(conn_noproxy_match("example.com", "badexample.com"), 0);
	ck_assert_int_eq(conn_noproxy_match("a.org, example.com ,b.org", "example.com."), 1);
	ck_assert_int_eq(conn_noproxy_match("10.0.0.0/8", "10.2.3.4"), 1);
	ck_assert_int_eq(conn_noproxy_match("10.0.0.0/8", "11.2.3.4"), 0);
	ck_assert_int_eq(conn_noproxy_match("192.0.2.1", "192.0.2.1"), 1);
	ck_assert_int_eq(conn_noproxy_match("::1", "::1"), 1);
	ck_assert_int_eq(conn_noproxy_match("2001:db8::/32", "2001:db8:1::5"), 1);
	ck_assert_int_eq(conn_noproxy_match("", "example.com"), 0);
	ck_assert_int_eq(conn_noproxy_match(NULL, "example.com"), 0);
	ck_assert_int_eq(conn_noproxy_match("*.example.com", "www.example.com"), 0); /* no globs, as curl */
}
END_TEST

START_TEST(which_variable)
{
	struct conn_opts o = {0};
	struct conn_plan p;
	char err[300];
	clear_env();
	ck_assert_int_eq(conn_decide(&o, "ftp", "files.example", CONN_PROXY_CURL, &p, err, sizeof err), 0);
	ck_assert_int_eq(p.proxy.kind, CONN_PROXY_NONE);
	setenv("ALL_PROXY", "http://all:1", 1);
	setenv("FTP_PROXY", "http://FTP:1", 1);
	conn_decide(&o, "ftp", "files.example", CONN_PROXY_CURL, &p, err, sizeof err);
	ck_assert_str_eq(p.proxy.host, "FTP");
	setenv("ftp_proxy", "http://ftp:1", 1);
	conn_decide(&o, "ftp", "files.example", CONN_PROXY_CURL, &p, err, sizeof err);
	ck_assert_str_eq(p.proxy.host, "ftp");
	ck_assert_str_eq(p.proxy.from, "ftp_proxy");
	/* HTTP_PROXY is never read (curl: CGI's HTTP_PROXY header), http_proxy is. */
	setenv("HTTP_PROXY", "http://HTTP:1", 1);
	conn_decide(&o, "http", "files.example", CONN_PROXY_CURL, &p, err, sizeof err);
	ck_assert_str_eq(p.proxy.host, "all");
	setenv("http_proxy", "http://http:1", 1);
	conn_decide(&o, "http", "files.example", CONN_PROXY_CURL, &p, err, sizeof err);
	ck_assert_str_eq(p.proxy.host, "http");
	/* An empty variable is unset; NO_PROXY bypasses; --noproxy replaces NO_PROXY. */
	setenv("ftp_proxy", "", 1);
	unsetenv("FTP_PROXY");
	conn_decide(&o, "ftp", "files.example", CONN_PROXY_CURL, &p, err, sizeof err);
	ck_assert_str_eq(p.proxy.host, "all");
	setenv("NO_PROXY", "example", 1);
	conn_decide(&o, "ftp", "files.example", CONN_PROXY_CURL, &p, err, sizeof err);
	ck_assert_int_eq(p.proxy.kind, CONN_PROXY_NONE);
	o.noproxy = "";
	conn_decide(&o, "ftp", "files.example", CONN_PROXY_CURL, &p, err, sizeof err);
	ck_assert_str_eq(p.proxy.host, "all");
	/* --proxy wins over the variables; --proxy '' means none. */
	o.proxy = "socks5h://cli:9";
	conn_decide(&o, "ftp", "files.example", CONN_PROXY_CURL, &p, err, sizeof err);
	ck_assert_str_eq(p.proxy.host, "cli");
	ck_assert_str_eq(p.proxy.from, "--proxy");
	o.proxy = "";
	conn_decide(&o, "ftp", "files.example", CONN_PROXY_CURL, &p, err, sizeof err);
	ck_assert_int_eq(p.proxy.kind, CONN_PROXY_NONE);
	/* A kind the caller can not use, a bad URL: exit 2. */
	o.proxy = "https://p:1";
	ck_assert_int_eq(conn_decide(&o, "nntp", "news.example", CONN_PROXY_OWN, &p, err, sizeof err), NT_EXIT_USAGE);
	o.proxy = NULL;
	setenv("ALL_PROXY", "gopher://x", 1);
	ck_assert_int_eq(conn_decide(&o, "nntp", "news.example", CONN_PROXY_OWN, &p, err, sizeof err), NT_EXIT_USAGE);
	clear_env();
}
END_TEST

START_TEST(proxy_hop_is_remote)
{
	struct conn_opts o = {0};
	struct conn_plan p;
	char err[300];
	clear_env();
	conn_decide(&o, "imap", "127.0.0.1", CONN_PROXY_CURL, &p, err, sizeof err);
	ck_assert_int_eq(p.local, 1);
	ck_assert_int_eq(p.plain_ok, 1);
	o.proxy = "http://127.0.0.1:3128"; /* even a loopback proxy: it goes on from there */
	conn_decide(&o, "imap", "127.0.0.1", CONN_PROXY_CURL, &p, err, sizeof err);
	ck_assert_int_eq(p.local, 0);
	ck_assert_int_eq(p.plain_ok, 0);
	o.allow_plaintext_auth = 1;
	conn_decide(&o, "imap", "127.0.0.1", CONN_PROXY_CURL, &p, err, sizeof err);
	ck_assert_int_eq(p.plain_ok, 1);
	/* The proxy's own password: not in clear text to a remote proxy. */
	o.allow_plaintext_auth = 0;
	o.proxy = NULL;
	setenv("ALL_PROXY", "http://u:pw@proxy.example:3128", 1);
	ck_assert_int_eq(conn_decide(&o, "imap", "mail.example", CONN_PROXY_CURL, &p, err, sizeof err), NT_EXIT_TLS);
	setenv("ALL_PROXY", "https://u:pw@proxy.example:3128", 1);
	ck_assert_int_eq(conn_decide(&o, "imap", "mail.example", CONN_PROXY_CURL, &p, err, sizeof err), 0);
	/* The same rule for our own sockets (nntp, tcp-send): a loopback proxy gets it. */
	setenv("ALL_PROXY", "socks5h://u:pw@proxy.example:1080", 1);
	ck_assert_int_eq(conn_decide(&o, "nntp", "news.example", CONN_PROXY_OWN, &p, err, sizeof err), NT_EXIT_TLS);
	ck_assert_ptr_nonnull(strstr(err, "proxy.example"));
	ck_assert_ptr_null(strstr(err, "pw"));
	setenv("ALL_PROXY", "socks5h://u:pw@127.0.0.1:1080", 1);
	ck_assert_int_eq(conn_decide(&o, "nntp", "news.example", CONN_PROXY_OWN, &p, err, sizeof err), 0);
	ck_assert_str_eq(p.proxy.password, "pw");
	/* The one refusal wording names the proxy with its port and where it came from. */
	ck_assert_int_eq(conn_refuse_clear(&p, "news.example", "--no-tls", err, sizeof err), NT_EXIT_TLS);
	ck_assert_ptr_nonnull(strstr(err, "proxy 127.0.0.1:1080 (ALL_PROXY)"));
	clear_env();
}
END_TEST

START_TEST(stream_exit)
{
	ck_assert_int_eq(conn_stream_exit(STREAM_LONG, 0, 0), NT_EXIT_PROTO);
	ck_assert_int_eq(conn_stream_exit(STREAM_ERR, EBADMSG, 0), NT_EXIT_PROTO);
	ck_assert_int_eq(conn_stream_exit(STREAM_ERR, EPROTO, 1), NT_EXIT_TLS);
	ck_assert_int_eq(conn_stream_exit(STREAM_ERR, ENOMEM, 1), NT_EXIT_IO);
	ck_assert_int_eq(conn_stream_exit(STREAM_ERR, EPROTO, 0), NT_EXIT_NET);
	ck_assert_int_eq(conn_stream_exit(STREAM_EOF, 0, 1), NT_EXIT_NET);
	ck_assert_int_eq(conn_stream_exit(STREAM_TIMEOUT, 0, 0), NT_EXIT_NET);
	ck_assert_int_eq(conn_stream_exit(STREAM_ERR, ECONNRESET, 1), NT_EXIT_NET);
}
END_TEST

START_TEST(option_handler)
{
	struct conn_opts o = {.timeout_ms = 5000};
	struct opt_state os = {0};
	ck_assert_int_eq(conn_opt(&o, '4', &os), 1);
	ck_assert_int_eq(conn_opt(&o, 'x', &os), 0);
	os.str = "http://p:1";
	ck_assert_int_eq(conn_opt(&o, CONN_O_PROXY, &os), 1);
	ck_assert_str_eq(o.proxy, "http://p:1");
	os.num = 0;
	conn_opt(&o, CONN_O_TIMEOUT, &os);
	ck_assert_int_eq(o.timeout_ms, 1); /* never "no limit" by accident */
	ck_assert_int_eq(conn_opt(&o, CONN_O_NOTLS, &os), 1);
	ck_assert_int_eq(o.tls, CONN_TLS_NEVER);
	ck_assert_int_eq(o.family, 2 /* AF_INET */);
}
END_TEST

Suite *suite_connpol(void)
{
	Suite *s = suite_create("connpol");
	TCase *t = tcase_create("connpol");
	tcase_add_test(t, proxy_urls);
	tcase_add_test(t, noproxy);
	tcase_add_test(t, which_variable);
	tcase_add_test(t, proxy_hop_is_remote);
	tcase_add_test(t, stream_exit);
	tcase_add_test(t, option_handler);
	suite_add_tcase(s, t);
	return s;
}
