/* SPDX-License-Identifier: MIT */
/* sock.h - sockets: connect over every resolved address with a timeout, dual-stack
 * listen, non-blocking and close-on-exec descriptors. Functions return a descriptor
 * or 0, or -1 with a message in err (SOCK_ERRLEN bytes) and errno set; they never die.
 */
#ifndef NT_SOCK_H
#define NT_SOCK_H

#include <sys/socket.h>

#define SOCK_ERRLEN 256

enum sock_err { SOCK_ERR_RESOLVE = 1, SOCK_ERR_CONNECT, SOCK_ERR_TIMEOUT };

/* Connect a stream socket to host:port, trying every address (family AF_UNSPEC,
 * AF_INET or AF_INET6), each within timeout_ms (<= 0: no limit). The returned
 * descriptor is blocking unless nonblock. *why gets a sock_err when it fails. */
int sock_connect(const char *host, int port, int family, int timeout_ms, int nonblock, char *err, int *why);
/* Connect to a unix stream socket. */
int sock_connect_unix(const char *path, int timeout_ms, char *err);

/* A UDP socket "connected" to host:port (first address that works). */
int sock_udp_connect(const char *host, int port, int family, char *err);

#define SOCK_LISTEN_MAX 8
struct sock_listen_opts {
	int type;        /* SOCK_STREAM or SOCK_DGRAM */
	int family;      /* AF_UNSPEC: dual stack */
	int reuseport;   /* SO_REUSEPORT: only when the user asks (--reuseport); else a busy port fails */
	int backlog;     /* 0: SOMAXCONN */
};
/* Bind (and listen, for streams) on host:port (SO_REUSEADDR on streams only); host NULL or "" means every
 * address (one IPv6 socket that also takes IPv4, or IPv4 alone when the machine
 * has no IPv6). Returns how many descriptors were put in fds (non-blocking). */
int sock_listen(const char *host, int port, const struct sock_listen_opts *o, int fds[SOCK_LISTEN_MAX], char *err);
/* Bind and listen on a unix stream socket path (a stale socket file is replaced). */
int sock_listen_unix(const char *path, int type, char *err);

int sock_set_nonblock(int fd, int on);
/* The socket's last close becomes a TCP reset (SO_LINGER 0), not an orderly end: for a
 * connection that failed. Async-signal-safe (one setsockopt). */
void sock_reset(int fd);
/* "127.0.0.1:48426", "[::1]:5000" or "unix" for a peer address. */
void sock_addr_str(const struct sockaddr *sa, socklen_t len, char *out, unsigned outlen);
/* The local port a socket is bound to (for port 0 tests). */
int sock_local_port(int fd);
/* Wait until fd is readable (events POLLIN) or writable (POLLOUT): 1 ready, 0 timeout, -1 error. */
int sock_wait(int fd, short events, int timeout_ms);

#endif
