/* SPDX-License-Identifier: MIT */
/* connpol.c - the connection policy (proxy, TLS, credentials) decided in one function for
 * every connection, and the one handler of the client options every client applet has.
 *
 * Header: include/connpol.h    Tests: tests/unit/check_connpol.c, tests/integration/proxy.sh
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "connpol.h"
#include "cred.h"
#include "log.h"
#include "nt_err.h"
#include "proxy.h"
#include "sock.h"
#include "stream.h"
#include "tls.h"

int conn_opt(struct conn_opts *o, int key, const struct opt_state *os)
{
	switch (key) {
	case '4': o->family = AF_INET, o->seen_4 = 1; break;
	case '6': o->family = AF_INET6, o->seen_6 = 1; break;
	case CONN_O_TLS: o->tls = CONN_TLS_REQUIRE, o->seen_tls = 1; break;
	case CONN_O_NOTLS: o->tls = CONN_TLS_NEVER, o->seen_notls = 1; break;
	case CONN_O_CACERT: o->cacert = os->str; break;
	case CONN_O_INSECURE: o->insecure = 1; break;
	case CONN_O_CERT: o->cert = os->str; break;
	case CONN_O_KEY: o->key = os->str; break;
	case CONN_O_PIN: o->pinnedpubkey = os->str; break;
	case 'u': o->user = os->str; break;
	case CONN_O_PWFILE: o->password_file = os->str; break;
	case CONN_O_PWCMD: o->password_cmd = os->str; break;
	case CONN_O_ACCOUNT: o->account = os->str; break;
	case CONN_O_CONFIG: o->config = os->str; break;
	case CONN_O_PLAIN: o->allow_plaintext_auth = 1; break;
	case CONN_O_PROXY: o->proxy = os->str; break;
	case CONN_O_NOPROXY: o->noproxy = os->str; break;
	case CONN_O_TIMEOUT: o->timeout_ms = os->num <= 0 ? 1 : os->num > 1000000000 ? 1000000000 : (int)os->num; break;
	case CONN_O_OA2CMD: o->oauth2_token_cmd = os->str; break;
	case CONN_O_OA2FILE: o->oauth2_token_file = os->str; break;
	case CONN_O_OA2MECH: o->oauth2_mech = os->str; break;
	case 'v': o->verbose = 1, o->quiet = 0, log_level = LOG_VERBOSE; break;
	case 'q': o->quiet = 1, o->verbose = 0, log_level = LOG_QUIET; break;
	default: return 0;
	}
	return 1;
}

static const struct {
	const char *scheme;
	enum conn_proxy_kind kind;
} kinds[] = {
	{"http", CONN_PROXY_HTTP},       {"https", CONN_PROXY_HTTPS},   {"socks4", CONN_PROXY_SOCKS4},
	{"socks4a", CONN_PROXY_SOCKS4A}, {"socks5", CONN_PROXY_SOCKS5}, {"socks5h", CONN_PROXY_SOCKS5H},
};

static const char *kind_names(unsigned schemes, char *out, size_t n)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (schemes & kinds[i].kind) {
			int w = snprintf(out + o, n - o, "%s%s://", o ? ", " : "", kinds[i].scheme);
			if (w < 0 || (size_t)w >= n - o)
				break;
			o += (size_t)w;
		}
	return out;
}

void conn_opts_finish(struct conn_opts *o, unsigned schemes)
{
	if (o->seen_4 && o->seen_6)
		opt_usage_error("-4 and -6 exclude each other");
	if (o->seen_tls && o->seen_notls)
		opt_usage_error("--tls and --no-tls exclude each other");
	if (o->cacert && o->insecure)
		opt_usage_error("--cacert and --insecure exclude each other");
	if (o->key && !o->cert)
		opt_usage_error("--key needs --cert (the certificate it belongs to)");
	if (o->pinnedpubkey) {
		struct tls_pins pins;
		char err[600];
		if (tls_pins_parse(o->pinnedpubkey, &pins, err, sizeof err) < 0)
			opt_usage_error("--pinnedpubkey: %s", err);
	}
	if (o->password_file && o->password_cmd)
		opt_usage_error("--password-file and --password-cmd exclude each other");
	if (o->password_cmd && !*o->password_cmd)
		opt_usage_error("--password-cmd: an empty command");
	if (o->oauth2_token_cmd && o->oauth2_token_file)
		opt_usage_error("--oauth2-token-cmd and --oauth2-token-file exclude each other");
	if ((o->oauth2_token_cmd || o->oauth2_token_file) && (o->password_file || o->password_cmd))
		opt_usage_error("--%s and --%s exclude each other (a token is the password of an OAuth2 login)",
				o->oauth2_token_cmd ? "oauth2-token-cmd" : "oauth2-token-file",
				o->password_file ? "password-file" : "password-cmd");
	/* --oauth2-mech without a token source is refused by the applet once the account had
	 * its say (oauth2.h: oauth2_from). */
	if (o->oauth2_mech) {
		if (!strcasecmp(o->oauth2_mech, "XOAUTH2"))
			o->oauth2_mech = "XOAUTH2";
		else if (!strcasecmp(o->oauth2_mech, "OAUTHBEARER"))
			o->oauth2_mech = "OAUTHBEARER";
		else
			opt_usage_error("--oauth2-mech %s: XOAUTH2 or OAUTHBEARER", o->oauth2_mech);
	}
	if (o->proxy && *o->proxy) {
		struct conn_proxy px;
		char err[300], names[200];
		if (conn_proxy_parse(o->proxy, &px, err, sizeof err) < 0)
			opt_usage_error("--proxy: %s", err);
		if (!(px.kind & schemes))
			opt_usage_error("--proxy %s: this applet takes %s proxies", o->proxy,
					kind_names(schemes, names, sizeof names));
		if (px.has_password)
			opt_usage_error("--proxy: a password in the URL is refused (never on the command line); "
					"set it in ALL_PROXY or <scheme>_proxy");
	}
	/* --insecure is said once, where it is applied: tls.c for our sockets, xfer.c for libcurl. */
}

/* n bytes of s, %XX decoded, into out (at most outn-1 bytes, NUL-terminated): -1 when too
 * long, a bad escape, or a control character (which no proxy user or password holds). */
static int pct_decode(char *out, size_t outn, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned c = (unsigned char)s[i];
		if (c == '%') {
			unsigned v;
			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2]) ||
			    sscanf(s + i + 1, "%2x", &v) != 1)
				return -1;
			c = v;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= outn)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return 0;
}

int conn_proxy_parse(const char *url, struct conn_proxy *px, char *err, size_t errlen)
{
	memset(px, 0, sizeof *px);
	if (nt_has_ctl(url) || strlen(url) >= sizeof px->url) {
		snprintf(err, errlen, "not a proxy URL");
		return -1;
	}
	snprintf(px->url, sizeof px->url, "%s", url);
	const char *p = url, *sep = strstr(url, "://");
	px->kind = CONN_PROXY_HTTP;
	if (sep) {
		size_t n = (size_t)(sep - url);
		px->kind = CONN_PROXY_NONE;
		for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
			if (strlen(kinds[i].scheme) == n && !strncasecmp(url, kinds[i].scheme, n))
				px->kind = kinds[i].kind;
		if (!px->kind) {
			snprintf(err, errlen, "'%.*s://' is not a proxy scheme (http, https, socks4, socks4a, socks5, socks5h)",
				 n > 20 ? 20 : (int)n, url);
			return -1;
		}
		p = sep + 3;
	}
	size_t auth = strcspn(p, "@/");
	if (p[auth] == '@') {
		const char *colon = memchr(p, ':', auth);
		size_t ul = colon ? (size_t)(colon - p) : auth;
		px->has_user = 1;
		px->has_password = colon != NULL;
		if (pct_decode(px->user, sizeof px->user, p, ul) < 0 ||
		    (colon && pct_decode(px->password, sizeof px->password, colon + 1, auth - ul - 1) < 0)) {
			snprintf(err, errlen, "the user or password in the proxy URL is longer than 255 bytes, "
					      "or holds a control character or a bad %%-escape");
			return -1;
		}
		p += auth + 1;
	}
	const char *end;
	if (*p == '[') {
		end = strchr(p, ']');
		if (!end || end - p - 1 >= (long)sizeof px->host || end == p + 1) {
			snprintf(err, errlen, "'%s': a bad [IPv6] address", url);
			return -1;
		}
		memcpy(px->host, p + 1, (size_t)(end - p - 1));
		end++;
	} else {
		end = p + strcspn(p, ":/");
		if (end == p || end - p >= (long)sizeof px->host) {
			snprintf(err, errlen, "'%s': no proxy host", url);
			return -1;
		}
		memcpy(px->host, p, (size_t)(end - p));
	}
	px->port = 1080;
	if (*end == ':') {
		char *e;
		long v = strtol(end + 1, &e, 10);
		if (e == end + 1 || v < 1 || v > 65535 || (*e && *e != '/')) {
			snprintf(err, errlen, "'%s': a bad port", url);
			return -1;
		}
		px->port = (int)v;
		end = e;
	}
	if (*end && strcmp(end, "/")) {
		snprintf(err, errlen, "'%s': a proxy URL has no path", url);
		return -1;
	}
	return 0;
}

/* address/prefix against host (both literals of one family): 1 when inside. */
static int cidr_match(const char *entry, size_t n, const char *host)
{
	char a[64];
	if (n >= sizeof a)
		return 0;
	memcpy(a, entry, n);
	a[n] = 0;
	long bits = -1;
	char *slash = strchr(a, '/');
	if (slash) {
		char *e;
		*slash = 0;
		bits = strtol(slash + 1, &e, 10);
		if (*e || e == slash + 1 || bits < 0)
			return 0;
	}
	unsigned char x[16], y[16];
	int fam = strchr(a, ':') ? AF_INET6 : AF_INET;
	size_t len = fam == AF_INET6 ? 16 : 4;
	if (inet_pton(fam, a, x) != 1 || inet_pton(fam, host, y) != 1)
		return 0;
	if (bits < 0 || bits > (long)len * 8)
		bits = (long)len * 8;
	for (long i = 0; i < bits; i++)
		if (((x[i / 8] ^ y[i / 8]) >> (7 - i % 8)) & 1)
			return 0;
	return 1;
}

int conn_noproxy_match(const char *list, const char *host)
{
	if (!list || !host)
		return 0;
	char h[256];
	snprintf(h, sizeof h, "%s", host);
	size_t hl = strlen(h);
	if (hl && h[hl - 1] == '.')
		h[--hl] = 0; /* "example.com." is "example.com" */
	const char *p = list;
	while (*p) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, ", \t");
		if (!n)
			break;
		const char *e = p;
		p += n;
		if (n == 1 && *e == '*')
			return 1;
		if (*e == '[' && n > 2 && e[n - 1] == ']')
			e++, n -= 2;
		if (cidr_match(e, n, h))
			return 1;
		if (*e == '.')
			e++, n--;
		if (n && e[n - 1] == '.')
			n--;
		if (!n || n > hl)
			continue;
		if (!strncasecmp(h + hl - n, e, n) && (hl == n || h[hl - n - 1] == '.'))
			return 1;
	}
	return 0;
}

/* curl's order: <scheme>_proxy, then <SCHEME>_PROXY (never HTTP_PROXY), then
 * all_proxy, ALL_PROXY. An empty value counts as unset. */
static const char *env_proxy(const char *scheme, const char **from)
{
	static char name[40];
	const char *v;
	if (scheme && strlen(scheme) < 16) {
		snprintf(name, sizeof name, "%s_proxy", scheme);
		for (char *c = name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if ((v = getenv(name)) && *v)
			return *from = name, v;
		if (strcmp(name, "http_proxy")) {
			for (char *c = name; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			if ((v = getenv(name)) && *v)
				return *from = name, v;
		}
	}
	if ((v = getenv("all_proxy")) && *v)
		return *from = "all_proxy", v;
	if ((v = getenv("ALL_PROXY")) && *v)
		return *from = "ALL_PROXY", v;
	return NULL;
}

int conn_decide(const struct conn_opts *o, const char *scheme, const char *host, unsigned schemes,
		struct conn_plan *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	const char *from = "--proxy", *url = o->proxy;
	if (!url)
		url = env_proxy(scheme, &from);
	const char *noproxy = o->noproxy;
	if (!noproxy && !(noproxy = getenv("no_proxy")))
		noproxy = getenv("NO_PROXY");
	if (url && *url && !conn_noproxy_match(noproxy, host)) {
		char e[300], names[200];
		if (conn_proxy_parse(url, &p->proxy, e, sizeof e) < 0) {
			snprintf(err, errlen, "%s: %s", from, e);
			return NT_EXIT_USAGE;
		}
		p->proxy.from = from;
		if (!(p->proxy.kind & schemes)) {
			snprintf(err, errlen, "%s=%s: this applet takes %s proxies", from, url,
				 kind_names(schemes, names, sizeof names));
			return NT_EXIT_USAGE;
		}
		/* A password for the proxy itself goes in clear text unless the proxy is
		 * reached over TLS (https://) or is on this machine. */
		if (p->proxy.has_password && p->proxy.kind != CONN_PROXY_HTTPS &&
		    !cred_host_is_loopback(p->proxy.host) && !o->allow_plaintext_auth) {
			snprintf(err, errlen, "refusing to send the proxy password of %s in clear text to %s; "
					      "use an https:// proxy or --allow-plaintext-auth", from, p->proxy.host);
			return NT_EXIT_TLS;
		}
	}
	p->local = !p->proxy.kind && host && cred_host_is_loopback(host);
	p->plain_ok = p->local || o->allow_plaintext_auth;
	return 0;
}

const char *conn_proxy_name(const struct conn_plan *p, char *out, size_t n)
{
	char hp[300];
	if (!p->proxy.kind) {
		snprintf(out, n, "%s", "");
		return out;
	}
	addr_format(hp, sizeof hp, p->proxy.host, p->proxy.port);
	snprintf(out, n, "proxy %s (%s)", hp, p->proxy.from ? p->proxy.from : "--proxy");
	return out;
}

int conn_refuse_clear(const struct conn_plan *p, const char *host, const char *why, char *err, size_t errlen)
{
	char name[300];
	if (p->proxy.kind)
		snprintf(err, errlen, "refusing to send a password in clear text (%s) to %s through the %s: "
				      "through a proxy it goes only inside TLS; use TLS or --allow-plaintext-auth",
			 why, host ? host : "the server", conn_proxy_name(p, name, sizeof name));
	else
		snprintf(err, errlen, "refusing to send a password in clear text (%s) to %s; "
				      "use TLS or --allow-plaintext-auth", why, host ? host : "the server");
	return NT_EXIT_TLS;
}

int conn_connect(const struct conn_plan *p, const char *host, int port, int family, int timeout_ms, char *err,
		 size_t errlen)
{
	char e[SOCK_ERRLEN];
	int why = 0;
	if (!p->proxy.kind) {
		int fd = sock_connect(host, port, family, timeout_ms, 0, e, &why);
		if (fd < 0)
			snprintf(err, errlen, "%s", e);
		return fd;
	}
	/* The proxy is reached over whatever family works; -4/-6 is for the target. */
	int fd = sock_connect(p->proxy.host, p->proxy.port, 0, timeout_ms, 0, e, &why);
	if (fd < 0) {
		char name[300];
		snprintf(err, errlen, "%s: %s", conn_proxy_name(p, name, sizeof name), e);
		return -1;
	}
	if (proxy_handshake(fd, &p->proxy, host, port, family, timeout_ms, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	log_trace("connected to %s:%d through the proxy %s:%d (%s)", host, port, p->proxy.host, p->proxy.port,
		    p->proxy.from);
	return fd;
}

int conn_resolve_first(const struct conn_opts *o, const char *scheme, const char *host, unsigned schemes, char *err,
		       size_t errlen)
{
	struct conn_plan p;
	int code = conn_decide(o, scheme, host, schemes, &p, err, errlen);
	if (code)
		return code;
	if (p.proxy.kind && p.proxy.kind != CONN_PROXY_SOCKS4 && p.proxy.kind != CONN_PROXY_SOCKS5)
		return 0; /* the proxy resolves the name */
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_family = o->family;
	hints.ai_socktype = SOCK_STREAM;
	int g = getaddrinfo(host, NULL, &hints, &res);
	if (g) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(g));
		return NT_EXIT_NET;
	}
	freeaddrinfo(res);
	return 0;
}

int conn_stream_exit(int r, int errnum, int encrypted)
{
	if (r == STREAM_ERR && errnum == ENOMEM)
		return NT_EXIT_IO; /* out of memory is ours, not the network's */
	if (r == STREAM_LONG || (r == STREAM_ERR && errnum == EBADMSG))
		return NT_EXIT_PROTO;
	if (r == STREAM_ERR && errnum == EPROTO && encrypted)
		return NT_EXIT_TLS;
	return NT_EXIT_NET;
}
