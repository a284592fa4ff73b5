/* SPDX-License-Identifier: MIT */
/* sock.c - connect with a timeout over every resolved address, dual-stack listen.
 * Returns errors with a message (anet style); never dies: servers call it.
 *
 * Header: include/sock.h    Tests: tests/unit/check_net.c, tests/integration/tcp_serve.sh,
 * tests/integration/udp_serve.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop.h"
#include "sock.h"

#define SETERR(...) (err ? snprintf(err, SOCK_ERRLEN, __VA_ARGS__) : 0)

void sock_reset(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

int sock_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

int sock_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	long long end = timeout_ms > 0 ? loop_now_ms() + timeout_ms : 0;
	for (;;) {
		int t = -1;
		if (timeout_ms > 0) {
			long long left = end - loop_now_ms();
			if (left <= 0)
				return 0;
			t = (int)left;
		}
		int r = poll(&p, 1, t);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r;
		return 1;
	}
}

static int connect_one(const struct addrinfo *ai, int timeout_ms, int *timed_out)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	int r = sock_wait(fd, POLLOUT, timeout_ms);
	if (r == 0) {
		close(fd);
		*timed_out = 1;
		errno = ETIMEDOUT;
		return -1;
	}
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		close(fd);
		errno = soerr ? soerr : errno;
		return -1;
	}
	return fd;
}

int sock_connect(const char *host, int port, int family, int timeout_ms, int nonblock, char *err, int *why)
{
	struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	struct addrinfo *res;
	char ps[8];
	int dummy;
	if (!why)
		why = &dummy;
	snprintf(ps, sizeof ps, "%d", port);
	int g = getaddrinfo(host, ps, &hints, &res);
	if (g == EAI_NONAME || g == EAI_ADDRFAMILY || g == EAI_NODATA || g == EAI_FAMILY) {
		/* AI_ADDRCONFIG hides ::1 on a machine whose only IPv6 is loopback. */
		hints.ai_flags = 0;
		g = getaddrinfo(host, ps, &hints, &res);
	}
	if (g) {
		SETERR("cannot resolve '%s': %s", host, gai_strerror(g));
		*why = SOCK_ERR_RESOLVE;
		errno = EHOSTUNREACH;
		return -1;
	}
	int fd = -1, e = 0, timed_out = 0;
	char where[300];
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = connect_one(ai, timeout_ms, &timed_out);
		if (fd >= 0)
			break;
		e = errno;
		sock_addr_str(ai->ai_addr, ai->ai_addrlen, where, sizeof where);
	}
	freeaddrinfo(res);
	if (fd < 0) {
		SETERR("connect to %s: %s", where, strerror(e));
		*why = timed_out && e == ETIMEDOUT ? SOCK_ERR_TIMEOUT : SOCK_ERR_CONNECT;
		errno = e;
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (!nonblock)
		sock_set_nonblock(fd, 0);
	return fd;
}

int sock_connect_unix(const char *path, int timeout_ms, char *err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sun.sun_path) {
		SETERR("unix socket path too long");
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	struct addrinfo ai = {.ai_family = AF_UNIX, .ai_socktype = SOCK_STREAM,
			      .ai_addr = (struct sockaddr *)&sun, .ai_addrlen = sizeof sun};
	int to = 0;
	int fd = connect_one(&ai, timeout_ms, &to);
	if (fd < 0) {
		SETERR("connect to unix:%s: %s", path, strerror(errno));
		return -1;
	}
	sock_set_nonblock(fd, 0);
	return fd;
}

int sock_udp_connect(const char *host, int port, int family, char *err)
{
	struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res;
	char ps[8];
	snprintf(ps, sizeof ps, "%d", port);
	int g = getaddrinfo(host, ps, &hints, &res);
	if (g) {
		SETERR("cannot resolve '%s': %s", host, gai_strerror(g));
		errno = EHOSTUNREACH;
		return -1;
	}
	int fd = -1, e = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		SETERR("udp %s port %d: %s", host, port, strerror(e));
		errno = e;
	}
	return fd;
}

static int listen_ai(const struct addrinfo *ai, const struct sock_listen_opts *o, char *err)
{
	int fd = socket(ai->ai_family, o->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		SETERR("socket: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	/* TCP: restart over TIME_WAIT (a LISTENING socket on the port still refuses us).
	 * Never on UDP, where SO_REUSEADDR lets a second server share a bound port. */
	if (o->type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (o->reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	if (ai->ai_family == AF_INET6) {
		/* Dual stack for the wildcard; v6 only when an IPv6 address or -6 was asked for. */
		int v6only = o->family == AF_INET6 || !IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
	}
	char where[300];
	sock_addr_str(ai->ai_addr, ai->ai_addrlen, where, sizeof where);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		SETERR("bind %s: %s", where, strerror(errno));
		close(fd);
		return -1;
	}
	if (o->type == SOCK_STREAM && listen(fd, o->backlog > 0 ? o->backlog : SOMAXCONN) < 0) {
		SETERR("listen %s: %s", where, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int sock_listen(const char *host, int port, const struct sock_listen_opts *o, int fds[SOCK_LISTEN_MAX], char *err)
{
	struct addrinfo hints = {.ai_family = o->family, .ai_socktype = o->type, .ai_flags = AI_PASSIVE};
	struct addrinfo *res;
	char ps[8];
	snprintf(ps, sizeof ps, "%d", port);
	const char *h = host && *host ? host : NULL;
	if (!h && o->family == AF_UNSPEC)
		hints.ai_family = AF_INET6; /* one dual-stack socket */
	int g = getaddrinfo(h, ps, &hints, &res);
	if (g && !h && o->family == AF_UNSPEC) {
		hints.ai_family = AF_INET;
		g = getaddrinfo(h, ps, &hints, &res);
	}
	if (g) {
		SETERR("cannot resolve '%s': %s", h ? h : "*", gai_strerror(g));
		return -1;
	}
	int n = 0;
	char firsterr[SOCK_ERRLEN] = "";
	for (struct addrinfo *ai = res; ai && n < SOCK_LISTEN_MAX; ai = ai->ai_next) {
		char e1[SOCK_ERRLEN];
		int fd = listen_ai(ai, o, e1);
		if (fd < 0 && !h && ai->ai_family == AF_INET6 && errno == EAFNOSUPPORT) {
			/* No IPv6 on this machine: fall back to IPv4 alone. */
			struct addrinfo *r4;
			struct addrinfo h4 = hints;
			h4.ai_family = AF_INET;
			if (getaddrinfo(NULL, ps, &h4, &r4) == 0) {
				fd = listen_ai(r4, o, e1);
				freeaddrinfo(r4);
			}
		}
		if (fd < 0) {
			if (!firsterr[0])
				snprintf(firsterr, sizeof firsterr, "%s", e1);
			continue;
		}
		fds[n++] = fd;
		if (port == 0)
			break; /* an ephemeral port: one socket, or the ports would differ */
	}
	freeaddrinfo(res);
	if (!n) {
		SETERR("%s", firsterr[0] ? firsterr : "no address to listen on");
		return -1;
	}
	return n;
}

int sock_listen_unix(const char *path, int type, char *err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sun.sun_path) {
		SETERR("unix socket path too long (%zu bytes at most)", sizeof sun.sun_path - 1);
		return -1;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		SETERR("socket: %s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		/* Replace a stale socket, but not one a live server answers on. */
		int probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0) {
			close(probe);
			close(fd);
			SETERR("unix:%s: a server is already listening there", path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		SETERR("bind unix:%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0) {
		SETERR("listen unix:%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void sock_addr_str(const struct sockaddr *sa, socklen_t len, char *out, unsigned outlen)
{
	char h[INET6_ADDRSTRLEN];
	(void)len;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof h);
		snprintf(out, outlen, "%s:%d", h, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], h, sizeof h);
			snprintf(out, outlen, "%s:%d", h, ntohs(s6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof h);
			snprintf(out, outlen, "[%s]:%d", h, ntohs(s6->sin6_port));
		}
	} else if (sa->sa_family == AF_UNIX) {
		snprintf(out, outlen, "unix");
	} else {
		snprintf(out, outlen, "?");
	}
}

int sock_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}
