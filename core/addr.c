/* SPDX-License-Identifier: MIT */
/* addr.c - host, host:port, [v6]:port, unix:/path, URLs and scp-style host:path.
 * Pure functions: no I/O, no name lookups (except services for a port name).
 *
 * Header: include/addr.h    Tests: tests/unit/check_addr.c, tests/fuzz/fuzz_core_addr.c,
 * tests/fuzz/fuzz_tcp_send_args.c (addr_parse_args)
 */
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

#define SETERR(...) (snprintf(err, ADDR_ERRLEN, __VA_ARGS__), -1)

int addr_check_host(const char *host, char *err)
{
	size_t n = strlen(host);
	if (!n)
		return SETERR("empty host name");
	if (n > ADDR_HOSTMAX)
		return SETERR("host name longer than %d bytes", ADDR_HOSTMAX);
	for (const char *p = host; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 0x7f || c == '/' || c == '@' || c == '[' || c == ']')
			return SETERR("invalid character in host name '%.64s'", host);
	}
	return 0;
}

int addr_parse_port(const char *s, int *port, char *err)
{
	if (!*s)
		return SETERR("empty port");
	if (isdigit((unsigned char)*s)) {
		long v = 0;
		for (const char *p = s; *p; p++) {
			if (!isdigit((unsigned char)*p))
				return SETERR("invalid port '%.32s'", s);
			v = v * 10 + (*p - '0');
			if (v > 65535)
				return SETERR("port '%.32s' out of range (1-65535)", s);
		}
		if (v == 0)
			return SETERR("port 0 is not a port to connect to (1-65535)");
		*port = (int)v;
		return 0;
	}
	return SETERR("invalid port '%.32s' (a number from 1 to 65535)", s);
}

int addr_parse(const char *s, int default_port, struct addr *a, char *err)
{
	memset(a, 0, sizeof *a);
	a->port = default_port;
	if (!s || !*s)
		return SETERR("empty address");
	if (strncmp(s, "unix:", 5) == 0) {
		const char *p = s + 5;
		if (!*p)
			return SETERR("empty unix socket path");
		if (strlen(p) >= sizeof a->path)
			return SETERR("unix socket path longer than %zu bytes", sizeof a->path - 1);
		a->is_unix = 1;
		strcpy(a->path, p);
		return 0;
	}
	const char *portstr = NULL;
	size_t hl;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return SETERR("'%.64s': missing ']' after an IPv6 address", s);
		hl = (size_t)(close - s - 1);
		if (close[1] == ':')
			portstr = close + 2;
		else if (close[1])
			return SETERR("'%.64s': unexpected text after ']'", s);
		if (hl > ADDR_HOSTMAX)
			return SETERR("host name longer than %d bytes", ADDR_HOSTMAX);
		memcpy(a->host, s + 1, hl);
		a->host[hl] = 0;
		if (!strchr(a->host, ':'))
			return SETERR("'%.64s': brackets are for IPv6 addresses", s);
	} else {
		const char *c1 = strchr(s, ':');
		if (c1 && strchr(c1 + 1, ':')) {
			/* A bare IPv6 address: no port possible. */
			hl = strlen(s);
		} else if (c1) {
			hl = (size_t)(c1 - s);
			portstr = c1 + 1;
		} else {
			hl = strlen(s);
		}
		if (hl > ADDR_HOSTMAX)
			return SETERR("host name longer than %d bytes", ADDR_HOSTMAX);
		memcpy(a->host, s, hl);
		a->host[hl] = 0;
	}
	if (addr_check_host(a->host, err) < 0)
		return -1;
	if (portstr && addr_parse_port(portstr, &a->port, err) < 0)
		return -1;
	return 0;
}

int addr_parse_args(char *const *args, int nargs, int default_port, struct addr *a, char *err)
{
	if (nargs <= 0) {
		addr_parse("127.0.0.1", default_port, a, err);
		return 0;
	}
	if (addr_parse(args[0], 0, a, err) < 0)
		return -1;
	int used = 1, port;
	/* nc's HOST PORT: a host without a port, then a number, is the port. */
	if (!a->is_unix && !a->port && nargs > 1 && args[1][0] && strspn(args[1], "0123456789") == strlen(args[1])) {
		if (addr_parse_port(args[1], &port, err) < 0)
			return -1;
		a->port = port;
		used = 2;
	}
	if (!a->is_unix && !a->port)
		a->port = default_port;
	return used;
}

int url_is(const char *s)
{
	const char *p = s;
	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return p - s < 16 && strncmp(p, "://", 3) == 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode n bytes of s into out (size outlen). Refuses %00 and control bytes. */
static int pct_decode(const char *s, size_t n, char *out, size_t outlen, char *err, const char *what)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= n || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0)
				return SETERR("bad %% escape in %s", what);
			c = h * 16 + l;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return SETERR("control character in %s", what);
		if (o + 1 >= outlen)
			return SETERR("%s too long", what);
		out[o++] = (char)c;
	}
	out[o] = 0;
	return 0;
}

int url_parse(const char *s, struct url *u, char *err)
{
	memset(u, 0, sizeof *u);
	if (!url_is(s))
		return SETERR("'%.64s' is not a URL (scheme://host/...)", s);
	const char *p = strstr(s, "://");
	size_t sl = (size_t)(p - s);
	for (size_t i = 0; i < sl; i++)
		u->scheme[i] = (char)tolower((unsigned char)s[i]);
	u->scheme[sl] = 0;
	p += 3;
	const char *slash = strchr(p, '/');
	const char *authend = slash ? slash : p + strlen(p);
	const char *at = NULL;
	for (const char *q = p; q < authend; q++)
		if (*q == '@')
			at = q;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon)
			return SETERR("a password in a URL is refused: use ~/.netrc, NETTOOL_PASSWORD, --password-file or the prompt");
		if (pct_decode(p, (size_t)(at - p), u->user, sizeof u->user, err, "user name") < 0)
			return -1;
		if (!u->user[0])
			return SETERR("empty user name in URL");
		u->has_user = 1;
		p = at + 1;
	}
	char hostport[ADDR_HOSTMAX + 16];
	size_t hpl = (size_t)(authend - p);
	if (hpl >= sizeof hostport)
		return SETERR("host name longer than %d bytes", ADDR_HOSTMAX);
	memcpy(hostport, p, hpl);
	hostport[hpl] = 0;
	struct addr a;
	if (addr_parse(hostport, 0, &a, err) < 0)
		return -1;
	if (a.is_unix)
		return SETERR("unix: is not a host in a URL");
	strcpy(u->host, a.host);
	u->port = a.port;
	if (slash && pct_decode(slash + 1, strlen(slash + 1), u->path, sizeof u->path, err, "path") < 0)
		return -1;
	return 0;
}

int addr_parse_hostpath(const char *s, struct url *u, char *err)
{
	memset(u, 0, sizeof *u);
	const char *p = s;
	const char *colon;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (!close || close[1] != ':')
			return SETERR("'%.64s': expected [v6addr]:path", s);
		colon = close + 1;
	} else {
		colon = strchr(p, ':');
	}
	if (!colon)
		return SETERR("'%.64s' is not host:path", s);
	const char *at = memchr(s, '@', (size_t)(colon - s));
	if (at) {
		if ((size_t)(at - s) >= sizeof u->user)
			return SETERR("user name too long");
		memcpy(u->user, s, (size_t)(at - s));
		u->user[at - s] = 0;
		if (!u->user[0] || strchr(u->user, ':'))
			return SETERR("bad user name in '%.64s' (no password here: use ~/.netrc)", s);
		u->has_user = 1;
		p = at + 1;
	}
	size_t hl = (size_t)(colon - p);
	if (*p == '[')
		p++, hl -= 2;
	if (hl > ADDR_HOSTMAX)
		return SETERR("host name longer than %d bytes", ADDR_HOSTMAX);
	memcpy(u->host, p, hl);
	u->host[hl] = 0;
	if (addr_check_host(u->host, err) < 0)
		return -1;
	const char *path = colon + 1;
	if (strlen(path) >= sizeof u->path)
		return SETERR("path too long");
	for (const char *q = path; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return SETERR("control character (CR, LF...) in path: refused");
	strcpy(u->path, path);
	strcpy(u->scheme, "");
	return 0;
}

void addr_format(char *out, unsigned outlen, const char *host, int port)
{
	if (strchr(host, ':'))
		snprintf(out, outlen, "[%s]:%d", host, port);
	else
		snprintf(out, outlen, "%s:%d", host, port);
}

