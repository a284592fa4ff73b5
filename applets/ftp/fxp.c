/* SPDX-License-Identifier: MIT */
/* fxp.c - FXP: `copy` between two servers with the data going straight from one to the
 * other (RFC 959 section 5.2, "server to server"): our own control connections on core
 * streams (libcurl has no FXP). Per file: PASV (EPSV over IPv6) on the destination, PORT
 * (EPRT) with that address to the source, STOR of the destination's temporary name
 * (durable.c, as the streamed copy), RETR on the source, both 226, RNFR/RNTO into place;
 * --move: SIZE on the destination equal to the source's, then DELE of the source. A source
 * that refuses PORT to a third address, or a destination that refuses the source's data
 * connection, ends FXP for the run: the engine streams (unless --fxp). Where TLS is in use
 * the data would go in clear (neither SSCN nor CPSV is spoken here): streamed, unless --fxp
 * (then PROT C, said on stderr). One file at a time; the control connections are kept
 * for the next file.
 *
 * Header: applets/ftp/ftp.h    Man page: man/nettool-ftp.1    Tests: tests/integration/ftp_fxp.sh
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
#include "ftp.h"
#include "log.h"
#include "nt_err.h"
#include "stream.h"
#include "tls.h"

#define FXP_MAX_LINE 2048

struct fxc {
	struct stream *s;
	struct ftp_site *site;
	int enc;        /* TLS on the control connection */
	int family;     /* of the server's address */
	char addr[64];  /* the server's address (numeric) */
	int code;       /* last reply */
	char text[300]; /* its last line, cleaned */
};

static struct fxc *ca, *cb; /* source, destination */
static int fx_off;          /* FXP ended for this run: every copy streams */
static int fx_warned;

static void fx_close(struct fxc **pc)
{
	struct fxc *c = *pc;
	if (!c)
		return;
	if (c->s)
		stream_close(c->s);
	free(c);
	*pc = NULL;
}

void ftp_fxp_free(void)
{
	fx_close(&ca);
	fx_close(&cb);
}

static void trace(char dir, const char *p, size_t n)
{
	log_proto(dir, p, n);
}

/* One reply (multi-line replies whole): its code, or -1 when the connection failed
 * (c->text says how). wait_long: a 226 after a transfer may take as long as it does. */
static int reply(struct fxc *c, int wait_long)
{
	int code = 0;
	int saved = c->s->timeout_ms;
	if (wait_long) {
		long long left = ftp_cf.deadline_at ? ftp_cf.deadline_at - ftp_now_ms() : 0;
		c->s->timeout_ms = ftp_cf.deadline_at ? (left > 1 ? (int)left : 1) : 0;
	}
	for (;;) {
		char *l;
		size_t n;
		int r = stream_read_line(c->s, &l, &n);
		if (r < 0) {
			c->s->timeout_ms = saved;
			snprintf(c->text, sizeof c->text, "%s with %s",
				 r == STREAM_TIMEOUT ? "no reply in time" : r == STREAM_LONG ? "reply line too long" : "connection lost",
				 c->site->host);
			return c->code = -1;
		}
		int d = n >= 3 && l[0] >= '1' && l[0] <= '5' && l[1] >= '0' && l[1] <= '9' && l[2] >= '0' && l[2] <= '9';
		int cd = d ? (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0') : 0;
		if (!code) {
			if (!d)
				continue; /* noise before a reply */
			code = cd;
		}
		if (cd == code && (n == 3 || l[3] == ' ')) {
			nt_clean_text(c->text, sizeof c->text, l, n);
			c->s->timeout_ms = saved;
			return c->code = code;
		}
	}
}

static int cmd(struct fxc *c, const char *fmt, ...) NT_PRINTF(2, 3);
static int cmd(struct fxc *c, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line || stream_cmdf(c->s, "%s", line) < 0) {
		snprintf(c->text, sizeof c->text, "cannot send to %s", c->site->host);
		return c->code = -1;
	}
	return reply(c, 0);
}

/* Log in on our own connection, TLS as the site's policy says. NULL with *code and err
 * on failure. */
static struct fxc *fx_open(struct ftp_site *site, int *code, char *err, size_t errlen)
{
	struct conn_plan plan;
	int r = conn_decide(&ftp_cf.co, site->implicit_tls ? "ftps" : "ftp", site->host, CONN_PROXY_OWN, &plan, err, errlen);
	if (r) {
		*code = r;
		return NULL;
	}
	if (plan.proxy.kind != CONN_PROXY_NONE) {
		/* The servers would connect to each other around the proxy: not our call. */
		snprintf(err, errlen, "%s is reached through a proxy", site->host);
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
		c->s = tls_client(fd, site->host, &t, FXP_MAX_LINE, ftp_cf.co.timeout_ms, e, sizeof e);
		if (!c->s) {
			snprintf(err, errlen, "%s", e);
			*code = NT_EXIT_TLS;
			free(c);
			return NULL;
		}
		c->enc = 1;
	} else {
		c->s = stream_socket(fd, FXP_MAX_LINE, ftp_cf.co.timeout_ms);
	}
	if (log_level >= LOG_VERBOSE)
		c->s->trace = trace;
	if (reply(c, 0) != 220) {
		snprintf(err, errlen, "%s greeted with: %s", site->host, c->text);
		*code = c->code < 0 ? NT_EXIT_NET : NT_EXIT_PROTO;
		fx_close(&c);
		return NULL;
	}
	if (!c->enc && site->x.tls != XFER_TLS_NEVER) {
		if (cmd(c, "AUTH TLS") == 234) {
			char e[2048];
			c->s = tls_upgrade(c->s, site->host, &t, e, sizeof e);
			if (!c->s) {
				snprintf(err, errlen, "%s", e);
				*code = NT_EXIT_TLS;
				free(c);
				return NULL;
			}
			if (log_level >= LOG_VERBOSE)
				c->s->trace = trace;
			c->enc = 1;
		} else if (site->x.tls == XFER_TLS_REQUIRE) {
			snprintf(err, errlen, "%s refused AUTH TLS: %s", site->host, c->text);
			*code = NT_EXIT_TLS;
			fx_close(&c);
			return NULL;
		}
	}
	if (!c->enc && site->password && !plan.plain_ok) {
		*code = conn_refuse_clear(&plan, site->host, "the server offers no TLS", err, errlen);
		fx_close(&c);
		return NULL;
	}
	int u = cmd(c, "USER %s", site->user ? site->user : "anonymous");
	if (u == 331)
		u = cmd(c, "PASS %s", site->user ? (site->password ? site->password : "") : "ftp@example.com");
	if (u != 230 && u != 202) {
		snprintf(err, errlen, "login to %s: %s", site->host, c->text);
		*code = u < 0 ? NT_EXIT_NET : u == 530 ? NT_EXIT_TLS : NT_EXIT_PROTO;
		fx_close(&c);
		return NULL;
	}
	if (cmd(c, "TYPE I") != 200) {
		snprintf(err, errlen, "TYPE I on %s: %s", site->host, c->text);
		*code = c->code < 0 ? NT_EXIT_NET : NT_EXIT_PROTO;
		fx_close(&c);
		return NULL;
	}
	return c;
}

/* Both control connections, and the TLS decision. 0 ready, 1 stream, -1 failed. */
static int fx_ready(struct ftp_site *a, struct ftp_site *b, int *code, char *err, size_t errlen)
{
	if (!ca && !(ca = fx_open(a, code, err, errlen)))
		return *code ? -1 : 1;
	if (!cb && !(cb = fx_open(b, code, err, errlen)))
		return *code ? -1 : 1;
	if (ca->family != cb->family) {
		snprintf(err, errlen, "%s and %s are not of one address family", a->host, b->host);
		return 1;
	}
	if (ca->enc || cb->enc) {
		if (ftp_cf.fxp <= 0) {
			snprintf(err, errlen, "TLS is in use and FXP would send the data in clear text (no SSCN or CPSV here)");
			return 1;
		}
		if (!fx_warned++)
			nt_warn("WARNING: --fxp: the data goes from %s to %s IN CLEAR TEXT (TLS protects only the control "
				"connections; without --fxp it would be streamed through us encrypted)",
				a->host, b->host);
		struct fxc *v[2] = {ca, cb};
		for (int i = 0; i < 2; i++) {
			if (!v[i]->enc)
				continue;
			if (cmd(v[i], "PBSZ 0") != 200 || cmd(v[i], "PROT C") != 200) {
				snprintf(err, errlen, "%s refused clear data (PROT C): %s", v[i]->site->host, v[i]->text);
				*code = NT_EXIT_FAIL;
				return -1;
			}
		}
	}
	return 0;
}

/* The destination's passive address as PORT's or EPRT's argument. 0, 1 (refused), -1. */
static int fx_pasv(struct fxc *d, char *arg, size_t n)
{
	if (d->family == AF_INET6) {
		int r = cmd(d, "EPSV");
		if (r != 229)
			return r < 0 ? -1 : 1;
		const char *p = strchr(d->text, '(');
		unsigned port;
		char dl;
		if (!p || sscanf(p + 1, "%c%*c%*c%u", &dl, &port) != 2 || !port || port > 65535)
			return 1;
		snprintf(arg, n, "EPRT |2|%s|%u|", d->addr, port);
		return 0;
	}
	int r = cmd(d, "PASV");
	if (r != 227)
		return r < 0 ? -1 : 1;
	const char *p = d->text + 3;
	while (*p && (*p < '0' || *p > '9'))
		p++;
	unsigned v[6];
	if (sscanf(p, "%u,%u,%u,%u,%u,%u", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return 1;
	for (int i = 0; i < 6; i++)
		if (v[i] > 255)
			return 1;
	snprintf(arg, n, "PORT %u,%u,%u,%u,%u,%u", v[0], v[1], v[2], v[3], v[4], v[5]);
	return 0;
}

/* After a failure in the middle: fresh connections, the temporary deleted. */
static void fx_clean(struct ftp_site *a, struct ftp_site *b, const char *tmp)
{
	ftp_fxp_free();
	int code = 0;
	char err[600];
	if (tmp && (cb = fx_open(b, &code, err, sizeof err)))
		cmd(cb, "DELE %s", tmp);
	(void)a;
}

static void say_stream(const char *why)
{
	if (fx_off++)
		return;
	log_trace("copy: FXP not possible (%s): the files are streamed through us", why);
}

static int fail(int *code, int c, char *err, size_t errlen, const char *fmt, ...) NT_PRINTF(5, 6);
static int fail(int *code, int c, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	*code = c;
	return FXP_FAILED;
}

int ftp_fxp_copy(struct ftp_site *a, struct ftp_site *b, const struct job *j, long long *bytes, int *code, char *err,
		 size_t errlen)
{
	*bytes = -1;
	*code = 0;
	if (ftp_cf.fxp < 0 || fx_off)
		return FXP_STREAM;
	int r = fx_ready(a, b, code, err, errlen);
	if (r < 0 && ftp_cf.fxp == 0) {
		/* Our own connections failed (a server that allows one session per address...):
		 * the streamed copy, which has its own, says what is wrong if anything is. */
		ftp_fxp_free();
		say_stream(err);
		return FXP_STREAM;
	}
	if (r < 0)
		return FXP_FAILED;
	if (r > 0) {
		ftp_fxp_free();
		if (ftp_cf.fxp > 0)
			return fail(code, NT_EXIT_FAIL, err, errlen, "--fxp: %.500s", err);
		say_stream(err);
		return FXP_STREAM;
	}
	/* The announced size: the listing's (copy -r), else SIZE, as the streamed copy takes it. */
	long long size = j->size;
	if (size < 0 && cmd(ca, "SIZE %s", j->src) == 213)
		size = strtoll(ca->text + 4, NULL, 10);
	else if (size < 0 && ca->code < 0)
		goto lost;
	char *tmp = ftp_cf.atomic >= 0 ? ftp_dur_remote_tmp(j->dst) : NULL;
	const char *into = tmp ? tmp : j->dst;
	if (ftp_cf.create_dirs) {
		/* Each folder above the file, made if missing (replies not needed). */
		char *p = xstrdup(j->dst);
		for (char *q = *p ? strchr(p + 1, '/') : NULL; q; q = strchr(q + 1, '/')) {
			*q = 0;
			if (cmd(cb, "MKD %s", p) < 0)
				break;
			*q = '/';
		}
		free(p);
	}
	char port[200];
	r = fx_pasv(cb, port, sizeof port);
	if (r > 0 || (r == 0 && cmd(ca, "%s", port) != 200 && ca->code > 0)) {
		struct fxc *who = r > 0 ? cb : ca;
		char why[500];
		snprintf(why, sizeof why, "%s answered %s with \"%s\"", who->site->host, r > 0 ? "PASV" : "PORT", who->text);
		free(tmp);
		ftp_fxp_free();
		if (ftp_cf.fxp > 0)
			return fail(code, NT_EXIT_FAIL, err, errlen,
				    "--fxp: the servers refuse to send data to each other (%s); without --fxp the file is streamed",
				    why);
		say_stream(why);
		return FXP_STREAM;
	}
	if (r < 0 || ca->code < 0) {
		free(tmp);
		goto lost;
	}
	/* STOR first (the passive side waits for the connection), then RETR. */
	if (stream_cmdf(cb->s, "STOR %s", into) < 0 || stream_cmdf(ca->s, "RETR %s", j->src) < 0) {
		fx_clean(a, b, into);
		free(tmp);
		return fail(code, NT_EXIT_NET, err, errlen, "connection to %s or %s lost", a->host, b->host);
	}
	int rs = reply(ca, 0);
	int rd = rs >= 100 && rs < 200 ? reply(cb, 0) : 0;
	if (rs >= 100 && rs < 200 && rd >= 100 && rd < 200) {
		rs = reply(ca, 1);
		rd = reply(cb, 1);
	}
	/* The destination first: a 425 there is its refusal of the source's address
	 * (vsftpd: "425 Security: Bad IP connecting."), whatever the source then says. */
	if (rd && rd != 226 && rd != 250) {
		char m[400];
		snprintf(m, sizeof m, "%s", cb->text);
		fx_clean(a, b, into);
		free(tmp);
		if (rd == 425 && ftp_cf.fxp == 0) {
			char why[500];
			snprintf(why, sizeof why, "%s answered STOR with \"%s\"", b->host, m);
			say_stream(why);
			return FXP_STREAM;
		}
		return fail(code, rd < 0 ? NT_EXIT_NET : NT_EXIT_FAIL, err, errlen, "STOR on %s: %s", b->host, m);
	}
	if (rs != 226 && rs != 250) {
		char m[400];
		snprintf(m, sizeof m, "%s", ca->text);
		fx_clean(a, b, into);
		free(tmp);
		return fail(code, rs < 0 ? NT_EXIT_NET : NT_EXIT_FAIL, err, errlen, "RETR on %s: %s", a->host, m);
	}
	/* The destination must have what the source announced (a source that ends short says
	 * 226 all the same): else the file is deleted, temporary or (--no-atomic) in place. */
	if (size >= 0 && cmd(cb, "SIZE %s", into) == 213 && strtoll(cb->text + 4, NULL, 10) != size) {
		long long got = strtoll(cb->text + 4, NULL, 10);
		fx_clean(a, b, into);
		free(tmp);
		return fail(code, NT_EXIT_FAIL, err, errlen,
			    "the size differs from the announced one (%lld out of %lld bytes): deleted on %s", got, size, b->host);
	}
	if (tmp) {
		if (cmd(cb, "RNFR %s", tmp) != 350 || cmd(cb, "RNTO %s", j->dst) != 250) {
			char m[400];
			snprintf(m, sizeof m, "%s", cb->text);
			fx_clean(a, b, tmp);
			free(tmp);
			return fail(code, NT_EXIT_FAIL, err, errlen, "rename into place on %s: %s", b->host, m);
		}
		free(tmp);
	}
	*bytes = size;
	if (ftp_cf.move) {
		long long got = -1;
		if (cmd(cb, "SIZE %s", j->dst) == 213)
			got = strtoll(cb->text + 4, NULL, 10);
		if (size < 0 || got != size)
			return fail(code, NT_EXIT_FAIL, err, errlen, "destination reports %lld bytes, the source %lld: source kept",
				    got, size);
		if (cmd(ca, "DELE %s", j->src) != 250)
			return fail(code, ca->code < 0 ? NT_EXIT_NET : NT_EXIT_FAIL, err, errlen, "DELE on %s: %s", a->host,
				    ca->text);
	}
	return FXP_DONE;
lost:
	ftp_fxp_free();
	return fail(code, NT_EXIT_NET, err, errlen, "connection to %s or %s lost", a->host, b->host);
}
