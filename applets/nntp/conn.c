/* SPDX-License-Identifier: MIT */
/* conn.c - an NNTP session: connect, TLS policy, capabilities, authentication, commands.
 *
 * Header: applets/nntp/conn.h    Tests: tests/integration/nntp*.sh
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "addr.h"
#include "conn.h"
#include "cred.h"
#include "log.h"
#include "nt_err.h"
#include "proto.h"
#include "sock.h"
#include "zstream.h"

static void trace(char dir, const char *p, size_t n)
{
	log_proto(dir, p, n);
}

/* The messages are ours; the exit code is the one mapping of conn_stream_exit(). */
static void die_stream(struct nntp *c, int r, const char *what)
{
	int code = conn_stream_exit(r, c->s->errnum, c->encrypted);
	if (r == STREAM_LONG)
		die(code, "%s: a line from %s is longer than %d bytes", what, c->host, NNTP_MAX_LINE);
	if (r == STREAM_EOF)
		die(code, "%s: connection to %s lost", what, c->host);
	if (r == STREAM_ERR && c->s->errnum == EBADMSG)
		die(code, "%s: corrupt compressed data from %s", what, c->host);
	if (code == NT_EXIT_TLS)
		die(code, "%s: TLS error on the connection to %s: %s", what, c->host, c->s->err);
	die(code, "%s: %s: %s", what, c->host, c->s->err[0] ? c->s->err : "connection lost");
}

int nntp_status(struct nntp *c)
{
	char *line;
	size_t len, off;
	int r = stream_read_line(c->s, &line, &len);
	if (r < 0)
		die_stream(c, r, "reading a reply");
	if (nntp_parse_status(line, len, &c->code, &off) < 0) {
		char t[200];
		nt_clean_text(t, sizeof t, line, len);
		die(NT_EXIT_PROTO, "malformed reply from %s: '%s'", c->host, t);
	}
	nt_clean_text(c->text, sizeof c->text, line + off, len - off);
	return c->code;
}

int nntp_line(struct nntp *c, const char **p, size_t *n)
{
	char *line;
	size_t len;
	int r = stream_read_line(c->s, &line, &len);
	if (r < 0)
		die_stream(c, r, r == STREAM_EOF ? "in the middle of a multi-line reply" : "reading a multi-line reply");
	return nntp_block_line(line, len, p, n) ? 0 : 1;
}

void nntp_skip_block(struct nntp *c)
{
	const char *p;
	size_t n;
	while (nntp_line(c, &p, &n))
		;
}

/* INN writes a status line and the data after it in two writes; with Nagle on its side
 * and a delayed ACK on ours, the data then waits ~40 ms for our ACK. Asking for quick
 * ACKs each time a command leaves (the kernel drops the mode on its own) removes the
 * stall: a one-shot ARTICLE went from ~90 ms to a few ms against INN here. */
static void quickack(struct nntp *c)
{
#ifdef TCP_QUICKACK
	int one = 1;
	int fd = c->s->ops->fd(c->s->ctx);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#else
	(void)c;
#endif
}

static int vcmd_send(struct nntp *c, int flush, const char *fmt, va_list ap)
{
	char *p;
	if (vasprintf(&p, fmt, ap) < 0)
		die(NT_EXIT_IO, "out of memory");
	if (nt_has_ctl(p))
		die(NT_EXIT_USAGE, "refusing to send a command with a control character inside");
	if (c->s->trace)
		c->s->trace('>', p, strlen(p));
	int r = stream_queue(c->s, p, strlen(p));
	if (r == 0)
		r = stream_queue(c->s, "\r\n", 2);
	if (r == 0 && flush) {
		r = stream_flush(c->s);
		quickack(c);
	}
	explicit_bzero(p, strlen(p));
	free(p);
	if (r < 0)
		die_stream(c, r, "sending a command");
	return 0;
}

int nntp_cmd(struct nntp *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vcmd_send(c, 1, fmt, ap);
	va_end(ap);
	return nntp_status(c);
}

void nntp_queue(struct nntp *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vcmd_send(c, 0, fmt, ap);
	va_end(ap);
}

void nntp_flush(struct nntp *c)
{
	int r = stream_flush(c->s);
	quickack(c);
	if (r < 0)
		die_stream(c, r, "sending");
}

void nntp_fail(struct nntp *c, const char *what)
{
	int code = NT_EXIT_FAIL;
	if (c->code >= 480 && c->code <= 483)
		code = NT_EXIT_TLS;
	die(code, "%s: %d %s", what, c->code, c->text);
}

void nntp_need_arg(int kind, const char *s)
{
	char err[200];
	if (nntp_check_arg(kind, s, err, sizeof err) < 0)
		die(NT_EXIT_USAGE, "%s", err);
}

void nntp_group(struct nntp *c, const char *name, long long *count, long long *first, long long *last)
{
	nntp_need_arg('g', name);
	if (nntp_cmd(c, "GROUP %s", name) != 211) {
		char w[600];
		snprintf(w, sizeof w, "GROUP %s", name);
		nntp_fail(c, w);
	}
	long long a, b, d;
	if (nntp_parse_group(c->text, strlen(c->text), count ? count : &a, first ? first : &b, last ? last : &d, NULL, 0) < 0)
		die(NT_EXIT_PROTO, "malformed GROUP reply from %s: '211 %s'", c->host, c->text);
}

static void capabilities(struct nntp *c)
{
	c->caps = 0;
	int r = nntp_cmd(c, "CAPABILITIES");
	c->caps_refused = r != 101;
	if (r != 101)
		return; /* an RFC 977 server: no capabilities, try what it has */
	const char *p;
	size_t n;
	while (nntp_line(c, &p, &n))
		nntp_cap_line(p, n, &c->caps);
}

static void parse_server(struct nntp *c, const struct nntp_opts *o, const char **url_user)
{
	const char *srv = o->server;
	if (!srv || !*srv)
		srv = getenv("NNTPSERVER");
	if (!srv || !*srv)
		srv = "localhost";
	char err[ADDR_ERRLEN];
	if (url_is(srv)) {
		static struct url u;
		if (url_parse(srv, &u, err) < 0)
			die(NT_EXIT_USAGE, "server '%s': %s", srv, err);
		if (!strcmp(u.scheme, "nntps") || !strcmp(u.scheme, "snews"))
			c->implicit_tls = 1;
		else if (strcmp(u.scheme, "nntp") && strcmp(u.scheme, "news"))
			die(NT_EXIT_USAGE, "server '%s': the scheme must be nntp:// or nntps://", srv);
		snprintf(c->host, sizeof c->host, "%s", u.host);
		c->port = u.port ? u.port : c->implicit_tls ? 563 : 119;
		if (u.has_user)
			*url_user = u.user;
	} else {
		struct addr a;
		if (addr_parse(srv, 119, &a, err) < 0 || a.is_unix)
			die(NT_EXIT_USAGE, "server '%s': %s", srv, a.is_unix ? "unix sockets are not supported" : err);
		snprintf(c->host, sizeof c->host, "%s", a.host);
		c->port = a.port;
	}
}

static void authenticate(struct nntp *c, const struct nntp_opts *o, const char *user)
{
	if (!c->encrypted && !c->plan.plain_ok) {
		char err[600];
		die(conn_refuse_clear(&c->plan, c->host, "the server offers no STARTTLS", err, sizeof err), "%s", err);
	}
	if ((c->caps & CAP_AUTHINFO) && !(c->caps & CAP_AUTHINFO_USER))
		die(NT_EXIT_TLS, "%s does not offer AUTHINFO USER%s", c->host,
		    c->encrypted ? "" : " without TLS");
	struct cred cr = {.user = xstrdup(user)};
	char err[512];
	int got = cred_get(&cr, c->host, &o->c, 1, err, sizeof err);
	if (got < 0)
		die(-got, "%s", err);
	nntp_need_arg('a', cr.user);
	if (nt_has_ctl(cr.password))
		die(NT_EXIT_USAGE, "the password contains a control character: refused");
	int r = nntp_cmd(c, "AUTHINFO USER %s", cr.user);
	if (r == 381)
		r = nntp_cmd(c, "AUTHINFO PASS %s", cr.password);
	cred_free(&cr);
	if (r != 281)
		die(NT_EXIT_TLS, "authentication as %s failed: %d %s", user, r, c->text);
}

void nntp_open(struct nntp *c, const struct nntp_opts *o)
{
	memset(c, 0, sizeof *c);
	const char *user = o->c.user;
	const char *url_user = NULL;
	parse_server(c, o, &url_user);
	/* The user: -u, the URL's user@, the account's, else a netrc login for the host. */
	if (!user)
		user = url_user;
	if (!user)
		user = o->acc_user;
	static char *netrc_user; /* one server per run: looked up once */
	if (!user && !netrc_user)
		netrc_user = cred_netrc_login(c->host);
	if (!user)
		user = netrc_user;
	if (c->implicit_tls && o->c.tls == CONN_TLS_NEVER)
		die(NT_EXIT_USAGE, "--no-tls contradicts an nntps:// server");
	char err[600];
	int code = conn_decide(&o->c, c->implicit_tls ? "nntps" : "nntp", c->host, CONN_PROXY_OWN, &c->plan, err, sizeof err);
	if (code)
		die(code, "%s", err);
	/* A password that could only go in clear text is refused before anything is sent
	 * (as ftp and the libcurl applets do), not after CONNECT and CAPABILITIES. */
	if (user && !c->implicit_tls && o->c.tls == CONN_TLS_NEVER && !c->plan.plain_ok)
		die(conn_refuse_clear(&c->plan, c->host, "--no-tls", err, sizeof err), "%s", err);
	struct tls_opts tlso;
	tls_opts_from(&tlso, &o->c);
	if (o->c.tls != CONN_TLS_NEVER && (code = tls_opts_check(&tlso, err, sizeof err)))
		die(code, "%s", err);
	int fd = conn_connect(&c->plan, c->host, c->port, o->c.family, o->c.timeout_ms, err, sizeof err);
	if (fd < 0)
		die(NT_EXIT_NET, "%s", err);
	if (c->implicit_tls) {
		char e[2048];
		c->s = tls_client(fd, c->host, &tlso, NNTP_MAX_LINE, o->c.timeout_ms, e, sizeof e);
		if (!c->s)
			die(tls_client_exit(errno), "%s", e); /* a timeout: 3 */
		c->encrypted = 1;
	} else {
		c->s = stream_socket(fd, NNTP_MAX_LINE, o->c.timeout_ms);
		if (!c->s)
			die(NT_EXIT_IO, "out of memory");
	}
	if (log_level >= LOG_VERBOSE)
		c->s->trace = trace;
	int g = nntp_status(c);
	if (g != 200 && g != 201)
		die(g == 400 || g == 502 ? NT_EXIT_FAIL : NT_EXIT_PROTO, "%s refused the connection: %d %s", c->host,
		    g, c->text);
	c->posting_ok = g == 200;
	capabilities(c);
	if ((c->caps & CAP_MODE_READER) && !(c->caps & CAP_READER) && !o->transit) {
		int r = nntp_cmd(c, "MODE READER");
		if (r != 200 && r != 201)
			nntp_fail(c, "MODE READER");
		c->posting_ok = r == 200;
		capabilities(c);
	}
	if (!c->encrypted && o->c.tls != CONN_TLS_NEVER) {
		if (c->caps & CAP_STARTTLS) {
			int r = nntp_cmd(c, "STARTTLS");
			if (r != 382)
				die(NT_EXIT_TLS, "STARTTLS refused by %s: %d %s", c->host, r, c->text);
			char e[2048];
			c->s = tls_upgrade(c->s, c->host, &tlso, e, sizeof e);
			if (!c->s)
				die(tls_client_exit(errno), "%s", e);
			c->encrypted = 1;
			capabilities(c); /* RFC 4642: the list may change after TLS */
		} else if (o->c.tls == CONN_TLS_REQUIRE) {
			die(NT_EXIT_TLS, "%s does not offer STARTTLS (--tls requires TLS)", c->host);
		} else if (o->c.cacert || !c->plan.local) {
			log_info("%s does not offer STARTTLS: going on without TLS (--tls requires it)", c->host);
		}
	}
	if (user)
		authenticate(c, o, user);
	if (o->compress) {
		if (!(c->caps & CAP_COMPRESS_DEFLATE))
			nt_warn("%s does not offer COMPRESS DEFLATE: going on without compression", c->host);
		else {
			int r = nntp_cmd(c, "COMPRESS DEFLATE");
			if (r != 206)
				nt_warn("COMPRESS DEFLATE refused by %s: %d %s", c->host, r, c->text);
			else {
				c->s = zstream_wrap(c->s);
				c->compressed = 1;
			}
		}
	}
}

void nntp_quit(struct nntp *c)
{
	if (!c->s)
		return;
	/* Best effort: a server that already went away does not matter here. */
	if (stream_cmdf(c->s, "QUIT") == 0) {
		char *l;
		size_t n;
		stream_read_line(c->s, &l, &n);
	}
	stream_close(c->s);
	c->s = NULL;
}

void nntp_server_name(const struct nntp *c, char *out, size_t n)
{
	addr_format(out, (unsigned)n, c->host, c->port);
}
