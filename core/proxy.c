/* SPDX-License-Identifier: MIT */
/* proxy.c - HTTP CONNECT (with Basic Proxy-Authorization) and SOCKS5 (with RFC 1929
 * user name and password) tunnels on our own sockets, replies read with bounds of our
 * own; credentials come from the proxy URL and never appear in a -v trace.
 *
 * Header: include/proxy.h    Tests: tests/integration/proxy.sh
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "log.h"
#include "loop.h"
#include "nt_err.h"
#include "out.h"
#include "proxy.h"
#include "sock.h"

struct hs {
	int fd;
	long long deadline; /* 0: no limit */
	const struct conn_proxy *px;
	char *err;
	size_t errlen;
};

static int fail(struct hs *h, const char *what, const char *why)
{
	snprintf(h->err, h->errlen, "proxy %s:%d (%s): %s%s%s", h->px->host, h->px->port, h->px->from ? h->px->from : "--proxy",
		 what, why ? ": " : "", why ? why : "");
	return -1;
}

static int wait_for(struct hs *h, short ev, const char *what)
{
	int left = -1;
	if (h->deadline) {
		long long l = h->deadline - loop_now_ms();
		if (l <= 0)
			return fail(h, what, "timed out");
		left = (int)l;
	}
	int r = sock_wait(h->fd, ev, left);
	if (r == 0)
		return fail(h, what, "timed out");
	if (r < 0)
		return fail(h, what, strerror(errno));
	return 0;
}

static int send_all(struct hs *h, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		if (wait_for(h, POLLOUT, "sending the request") < 0)
			return -1;
		ssize_t w = send(h->fd, c, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return fail(h, "sending the request", strerror(errno));
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Exactly n bytes: never more, so nothing of the tunnel is taken. */
static int recv_n(struct hs *h, void *p, size_t n, const char *what)
{
	char *c = p;
	while (n) {
		if (wait_for(h, POLLIN, what) < 0)
			return -1;
		ssize_t r = recv(h->fd, c, n, MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return fail(h, what, strerror(errno));
		if (r == 0)
			return fail(h, what, "the proxy closed the connection");
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static int http_connect(struct hs *h, const char *host, int port)
{
	/* user:password of at most 255 + 1 + 255 bytes: 684 bytes of base64 */
	char target[300], cred[512], b64[700], auth[760], req[1500], hdr[PROXY_HDR_MAX + 1];
	addr_format(target, sizeof target, host, port);
	auth[0] = 0;
	if (h->px->has_user) {
		int c = snprintf(cred, sizeof cred, "%s:%s", h->px->user, h->px->password);
		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)cred, c); /* base64 from OpenSSL, as mail-send's */
		snprintf(auth, sizeof auth, "Proxy-Authorization: Basic %s\r\n", b64);
		explicit_bzero(cred, sizeof cred);
		explicit_bzero(b64, sizeof b64);
	}
	int n = snprintf(req, sizeof req, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%sUser-Agent: nettool\r\n\r\n", target,
			 target, auth);
	explicit_bzero(auth, sizeof auth);
	if (n < 0 || (size_t)n >= sizeof req)
		return fail(h, "CONNECT", "target name too long");
	log_proto('>', req, strcspn(req, "\r"));
	if (h->px->has_user)
		log_proto('>', "Proxy-Authorization: Basic ****", 31); /* never the credentials */
	int sent = send_all(h, req, (size_t)n);
	explicit_bzero(req, sizeof req);
	if (sent < 0)
		return -1;
	/* The header ends at an empty line; a byte at a time, so the tunnel's first bytes
	 * stay in the socket. */
	size_t len = 0;
	for (;;) {
		if (len == PROXY_HDR_MAX)
			return fail(h, "CONNECT", "the reply header is longer than 16384 bytes");
		if (recv_n(h, hdr + len, 1, "reading the CONNECT reply") < 0)
			return -1;
		len++;
		if ((len >= 2 && hdr[len - 1] == '\n' && hdr[len - 2] == '\n') ||
		    (len >= 4 && !memcmp(hdr + len - 4, "\r\n\r\n", 4)))
			break;
	}
	hdr[len] = 0;
	size_t l1 = strcspn(hdr, "\r\n");
	char first[200];
	/* A peer's bytes, every one shown ('?' for a control character): a reply that is
	 * all garbage is not shown as nothing. */
	out_clean(first, sizeof first, hdr, l1, 0);
	log_proto('<', hdr, l1);
	int code = 0;
	if (strncmp(hdr, "HTTP/1.", 7) || sscanf(hdr + 8, " %3d", &code) != 1)
		return fail(h, "not an HTTP reply to CONNECT", first);
	if (code < 200 || code > 299) {
		char w[300];
		snprintf(w, sizeof w, "CONNECT %s refused", target);
		return fail(h, w, first);
	}
	return 0;
}

static const char *socks_reply(int rep)
{
	static const char *t[] = {"succeeded", "general SOCKS server failure", "connection not allowed by ruleset",
				  "network unreachable", "host unreachable", "connection refused", "TTL expired",
				  "command not supported", "address type not supported"};
	return rep >= 0 && rep < 9 ? t[rep] : "unknown error";
}

/* RFC 1929: VER 1, ULEN, UNAME, PLEN, PASSWD; the reply is VER, STATUS (0: success). */
static int socks5_login(struct hs *h)
{
	unsigned char b[2 + 255 + 1 + 255];
	size_t ul = strlen(h->px->user), pl = strlen(h->px->password), n = 0;
	b[n++] = 1;
	b[n++] = (unsigned char)ul, memcpy(b + n, h->px->user, ul), n += ul;
	b[n++] = (unsigned char)pl, memcpy(b + n, h->px->password, pl), n += pl;
	log_trace("SOCKS5: user name and password (RFC 1929) as %s, password not shown", h->px->user);
	int r = send_all(h, b, n);
	explicit_bzero(b, sizeof b);
	if (r < 0 || recv_n(h, b, 2, "reading the SOCKS5 authentication reply") < 0)
		return -1;
	if (b[0] != 1)
		return fail(h, "SOCKS5", "malformed authentication reply");
	if (b[1] != 0)
		return fail(h, "SOCKS5", "the proxy refused the user name and password");
	return 0;
}

static int socks5(struct hs *h, const char *host, int port, int family, int remote_names)
{
	unsigned char b[520];
	/* With user@ in the URL, username/password (RFC 1929) is offered beside "none". */
	if (send_all(h, h->px->has_user ? "\x05\x02\x00\x02" : "\x05\x01\x00", h->px->has_user ? 4 : 3) < 0 ||
	    recv_n(h, b, 2, "reading the SOCKS5 greeting") < 0)
		return -1;
	if (b[0] != 5)
		return fail(h, "not a SOCKS5 proxy", NULL);
	if (b[1] == 2 && h->px->has_user) {
		if (socks5_login(h) < 0)
			return -1;
	} else if (b[1] != 0) {
		return fail(h, "SOCKS5", h->px->has_user ? "the proxy accepts neither no authentication nor a user name and password"
				   : "the proxy wants authentication (user:password@ in the proxy URL)");
	}
	size_t n = 0;
	b[n++] = 5, b[n++] = 1, b[n++] = 0;
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1) {
		b[n++] = 1, memcpy(b + n, &a4, 4), n += 4;
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		b[n++] = 4, memcpy(b + n, &a6, 16), n += 16;
	} else if (remote_names) {
		size_t hl = strlen(host);
		if (hl > 255)
			return fail(h, "SOCKS5", "host name longer than 255 bytes");
		b[n++] = 3, b[n++] = (unsigned char)hl, memcpy(b + n, host, hl), n += hl;
	} else {
		struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM}, *res;
		int g = getaddrinfo(host, NULL, &hints, &res);
		if (g) {
			snprintf(h->err, h->errlen, "cannot resolve '%s': %s (socks5h:// lets the proxy resolve it)", host,
				 gai_strerror(g));
			return -1;
		}
		if (res->ai_family == AF_INET6) {
			b[n++] = 4, memcpy(b + n, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, 16), n += 16;
		} else {
			b[n++] = 1, memcpy(b + n, &((struct sockaddr_in *)res->ai_addr)->sin_addr, 4), n += 4;
		}
		freeaddrinfo(res);
	}
	b[n++] = (unsigned char)(port >> 8), b[n++] = (unsigned char)port;
	if (send_all(h, b, n) < 0 || recv_n(h, b, 4, "reading the SOCKS5 reply") < 0)
		return -1;
	if (b[0] != 5)
		return fail(h, "SOCKS5", "malformed reply");
	if (b[1] != 0) {
		char w[320];
		snprintf(w, sizeof w, "SOCKS5 connect to %s:%d", host, port);
		return fail(h, w, socks_reply(b[1]));
	}
	size_t rest = b[3] == 1 ? 4 : b[3] == 4 ? 16 : 0;
	if (b[3] == 3) {
		if (recv_n(h, b, 1, "reading the SOCKS5 reply") < 0)
			return -1;
		rest = b[0];
	} else if (!rest) {
		return fail(h, "SOCKS5", "malformed reply (address type)");
	}
	return recv_n(h, b, rest + 2, "reading the SOCKS5 reply");
}

int proxy_handshake(int fd, const struct conn_proxy *px, const char *host, int port, int family, int timeout_ms,
		    char *err, size_t errlen)
{
	struct hs h = {fd, timeout_ms > 0 ? loop_now_ms() + timeout_ms : 0, px, err, errlen};
	switch (px->kind) {
	case CONN_PROXY_HTTP: return http_connect(&h, host, port);
	case CONN_PROXY_SOCKS5: return socks5(&h, host, port, family, 0);
	case CONN_PROXY_SOCKS5H: return socks5(&h, host, port, family, 1);
	default: return fail(&h, "this kind of proxy is not supported here", NULL);
	}
}
