/* SPDX-License-Identifier: MIT */
/* ctl.c - our own FTP control connections on core streams (ctl.h): the login (at once,
 * or step by step so that many connections log in together), commands and replies, one
 * at a time or pipelined.
 *
 * Header: applets/ftp/ctl.h    Man page: man/nettool-ftp.1    Tests: tests/integration/ftp_fxp.sh,
 * tests/fuzz/fuzz_ftp_ctl.c
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "connpol.h"
#include "ctl.h"
#include "log.h"
#include "loop.h"
#include "nt_err.h"
#include "stream.h"
#include "tls.h"

void ctl_close(struct fxc **pc)
{
	struct fxc *c = *pc;
	if (!c)
		return;
	if (c->s)
		stream_close(c->s);
	free(c);
	*pc = NULL;
}

static void ctl_trace(char dir, const char *p, size_t n)
{
	log_proto(dir, p, n);
}

/* A line before the awaited reply that is no reply, or (mid) a line inside a multi-line
 * reply that does not end it: -1 past CTL_NOISE_MAX of them for one reply (c->text, noisy). */
static int noise(struct fxc *c, int mid)
{
	if (++c->noise <= CTL_NOISE_MAX)
		return 0;
	if (mid)
		snprintf(c->text, sizeof c->text, "a reply of more than %d lines from %s", CTL_NOISE_MAX,
			 ftp_site_name(c->site));
	else
		snprintf(c->text, sizeof c->text, "more than %d lines that are no reply from %s", CTL_NOISE_MAX,
			 ftp_site_name(c->site));
	c->noise = 0;
	c->noisy = 1;
	return -1;
}

/* One reply (multi-line replies whole), waiting up to --timeout from this call (each wait
 * gets what is left: lines of noise never restart it): its code, or -1 when the connection
 * failed (c->text says how). For the login and the clean-up; a file's commands go through
 * send_cmd and try_reply. */
int ctl_reply(struct fxc *c)
{
	int code = 0;
	int t = c->s->timeout_ms;
	long long until = t > 0 ? loop_now_ms() + t : 0;
	c->noisy = 0;
	c->noise = 0;
	for (;;) {
		char *l;
		size_t n;
		int r;
		if (until) {
			long long left = until - loop_now_ms();
			c->s->timeout_ms = left > 0 ? (int)left : 1;
		}
		r = stream_read_line(c->s, &l, &n);
		c->s->timeout_ms = t;
		if (r < 0) {
			snprintf(c->text, sizeof c->text, "%s with %s",
				 r == STREAM_TIMEOUT ? "no reply in time" : r == STREAM_LONG ? "reply line too long" : "connection lost",
				 ftp_site_name(c->site));
			return c->code = -1;
		}
		int d = n >= 3 && l[0] >= '1' && l[0] <= '5' && l[1] >= '0' && l[1] <= '9' && l[2] >= '0' && l[2] <= '9';
		int cd = d ? (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0') : 0;
		if (!code) {
			if (!d) { /* noise before a reply */
				if (noise(c, 0) < 0)
					return c->code = -1;
				continue;
			}
			code = cd;
		}
		if (cd == code && (n == 3 || l[3] == ' ')) {
			nt_clean_text(c->text, sizeof c->text, l, n);
			return c->code = code;
		}
		if (noise(c, 1) < 0) /* a reply's lines without end */
			return c->code = -1;
	}
}

/* One command line, checked (no CR/LF inside) and queued; sent now when now. */
static int ctl_vsend(struct fxc *c, int now, const char *fmt, va_list ap)
{
	if (stream_vcmdq(c->s, fmt, ap) < 0 || (now && stream_flush(c->s) < 0)) {
		snprintf(c->text, sizeof c->text, "cannot send to %s", ftp_site_name(c->site));
		return c->code = -1;
	}
	return 0;
}

int ctl_cmd(struct fxc *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = ctl_vsend(c, 1, fmt, ap);
	va_end(ap);
	return r < 0 ? r : ctl_reply(c);
}

/* The greeting (c->text) of a server known to read no command while a transfer runs:
 * vsftpd's "220 (vsFTPd ...)". pyftpdlib, for one, answers a PASV at once and closes the
 * running STOR's data connection for it. */
static int ctl_serial(const char *greeting)
{
	return strncmp(greeting, "220 (vsFTPd", 11) == 0;
}

/* Log in on our own connection, TLS as the site's policy says. NULL with *code and err
 * on failure. nowait, on a connection without TLS: only connected, the login goes on in
 * login_step (the pairs of all slots log in at once). */
struct fxc *ctl_open(struct ftp_site *site, int nowait, int *code, char *err, size_t errlen)
{
	struct conn_plan plan;
	int r = conn_decide(&ftp_cf.co, site->implicit_tls ? "ftps" : "ftp", site->host, CONN_PROXY_OWN, &plan, err, errlen);
	if (r) {
		*code = r;
		return NULL;
	}
	if (plan.proxy.kind != CONN_PROXY_NONE) {
		/* The servers would connect to each other around the proxy: not our call. */
		snprintf(err, errlen, "%s is reached through a proxy", ftp_site_name(site));
		*code = 0;
		return NULL;
	}
	int fd = conn_connect(&plan, site->host, site->port, ftp_cf.co.family, ftp_cf.co.timeout_ms, err, errlen);
	if (fd < 0) {
		*code = NT_EXIT_NET;
		return NULL;
	}
	struct fxc *c = xcalloc(1, sizeof *c);
	c->site = site;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		c->family = ss.ss_family;
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, c->addr, sizeof c->addr);
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, c->addr, sizeof c->addr);
	}
	struct tls_opts t;
	tls_opts_from(&t, &ftp_cf.co);
	if (site->implicit_tls) {
		char e[2048];
		c->s = tls_client(fd, site->host, &t, CTL_MAX_LINE, ftp_cf.co.timeout_ms, e, sizeof e);
		if (!c->s) {
			*code = tls_client_exit(errno); /* a timeout: 3 */
			snprintf(err, errlen, "%s", e);
			free(c);
			return NULL;
		}
		c->enc = 1;
	} else {
		c->s = stream_socket(fd, CTL_MAX_LINE, ftp_cf.co.timeout_ms);
		if (!c->s)
			die(NT_EXIT_IO, "out of memory");
	}
	if (log_level >= LOG_VERBOSE)
		c->s->trace = ctl_trace;
	if (nowait && !site->implicit_tls && site->x.tls == XFER_TLS_NEVER) {
		if (site->password && !plan.plain_ok) {
			*code = conn_refuse_clear(&plan, site->host, "the server offers no TLS", err, errlen);
			ctl_close(&c);
			return NULL;
		}
		c->lst = 1;
		return c;
	}
	if (ctl_reply(c) != 220) {
		snprintf(err, errlen, "%s greeted with: %s", ftp_site_name(site), c->text);
		*code = c->code < 0 ? NT_EXIT_NET : NT_EXIT_PROTO;
		ctl_close(&c);
		return NULL;
	}
	c->serial = ctl_serial(c->text);
	if (!c->enc && site->x.tls != XFER_TLS_NEVER) {
		if (ctl_cmd(c, "AUTH TLS") == 234) {
			char e[2048];
			c->s = tls_upgrade(c->s, site->host, &t, e, sizeof e);
			if (!c->s) {
				*code = tls_client_exit(errno);
				snprintf(err, errlen, "%s", e);
				free(c);
				return NULL;
			}
			if (log_level >= LOG_VERBOSE)
				c->s->trace = ctl_trace;
			c->enc = 1;
		} else if (site->x.tls == XFER_TLS_REQUIRE) {
			snprintf(err, errlen, "%s refused AUTH TLS: %s", ftp_site_name(site), c->text);
			*code = NT_EXIT_TLS;
			ctl_close(&c);
			return NULL;
		}
	}
	if (!c->enc && site->password && !plan.plain_ok) {
		*code = conn_refuse_clear(&plan, site->host, "the server offers no TLS", err, errlen);
		ctl_close(&c);
		return NULL;
	}
	int u = ctl_cmd(c, "USER %s", site->user ? site->user : "anonymous");
	if (u == 331)
		u = ctl_cmd(c, "PASS %s", site->user ? (site->password ? site->password : "") : "ftp@example.com");
	if (u != 230 && u != 202) {
		snprintf(err, errlen, "login to %s: %s", ftp_site_name(site), c->text);
		*code = u < 0 ? NT_EXIT_NET : u == 530 ? NT_EXIT_TLS : NT_EXIT_PROTO;
		ctl_close(&c);
		return NULL;
	}
	if (ctl_cmd(c, "TYPE I") != 200) {
		snprintf(err, errlen, "TYPE I on %s: %s", ftp_site_name(site), c->text);
		*code = c->code < 0 ? NT_EXIT_NET : NT_EXIT_PROTO;
		ctl_close(&c);
		return NULL;
	}
	return c;
}

/* Queue a command (sent by fx_flush with the others of its group: pipelined, one
 * packet). 0, or -1 (c->text). */
int ctl_send(struct fxc *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = ctl_vsend(c, 0, fmt, ap);
	va_end(ap);
	return r;
}

/* A whole reply if one has arrived: its code, 0 (not yet), -1 (connection failed). */
int ctl_try_reply(struct fxc *c)
{
	c->noisy = 0;
	for (int k = 0; k < CTL_NOISE_WAKE; k++) {
		char *l;
		size_t n;
		int r = stream_try_line(c->s, &l, &n);
		if (r == STREAM_AGAIN)
			return 0;
		if (r < 0) {
			snprintf(c->text, sizeof c->text, "%s with %s", r == STREAM_LONG ? "reply line too long" : "connection lost",
				 ftp_site_name(c->site));
			c->pend = 0;
			return c->code = -1;
		}
		int d = n >= 3 && l[0] >= '1' && l[0] <= '5' && l[1] >= '0' && l[1] <= '9' && l[2] >= '0' && l[2] <= '9';
		int cd = d ? (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0') : 0;
		if (!c->pend) {
			if (!d) { /* noise before a reply */
				if (noise(c, 0) < 0)
					return c->code = -1;
				continue;
			}
			c->pend = cd;
		}
		if (cd == c->pend && (n == 3 || l[3] == ' ')) {
			nt_clean_text(c->text, sizeof c->text, l, n);
			c->pend = 0;
			c->noise = 0;
			return c->code = cd;
		}
		if (noise(c, 1) < 0) { /* a reply's lines without end */
			c->pend = 0;
			return c->code = -1;
		}
	}
	return 0; /* more may be buffered: the caller's clock runs first (CTL_NOISE_WAKE) */
}

/* The login of a connection opened with nowait, as far as the replies go: 1 logged in, 0
 * waiting, -1 failed (*code, err as fx_open says them). */
int ctl_login_step(struct fxc *c, int *code, char *err, size_t errlen)
{
	const struct ftp_site *site = c->site;
	while (c->lst) {
		int r = ctl_try_reply(c);
		if (!r)
			return 0;
		if (c->lst == 1) {
			if (r != 220) {
				snprintf(err, errlen, "%s greeted with: %s", ftp_site_name(site), c->text);
				*code = r < 0 ? NT_EXIT_NET : NT_EXIT_PROTO;
				return -1;
			}
			c->serial = ctl_serial(c->text);
			ctl_send(c, "USER %s", site->user ? site->user : "anonymous");
			c->lst = 2;
		} else if (c->lst == 2 && r == 331) {
			ctl_send(c, "PASS %s", site->user ? (site->password ? site->password : "") : "ftp@example.com");
			c->lst = 3;
		} else if (c->lst <= 3) {
			if (r != 230 && r != 202) {
				snprintf(err, errlen, "login to %s: %s", ftp_site_name(site), c->text);
				*code = r < 0 ? NT_EXIT_NET : r == 530 ? NT_EXIT_TLS : NT_EXIT_PROTO;
				return -1;
			}
			ctl_send(c, "TYPE I");
			c->lst = 4;
		} else {
			if (r != 200) {
				snprintf(err, errlen, "TYPE I on %s: %s", ftp_site_name(site), c->text);
				*code = r < 0 ? NT_EXIT_NET : NT_EXIT_PROTO;
				return -1;
			}
			c->lst = 0;
		}
		if (c->lst && (c->code < 0 || stream_flush(c->s) < 0)) {
			snprintf(err, errlen, "connection to %s lost", ftp_site_name(site));
			*code = NT_EXIT_NET;
			return -1;
		}
	}
	return 1;
}

