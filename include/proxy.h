/* SPDX-License-Identifier: MIT */
/* proxy.h - the client side of HTTP CONNECT (RFC 9110 9.3.6, Basic Proxy-Authorization
 * when the proxy URL holds user[:password]@) and SOCKS5 (RFC 1928, RFC 1929 user name and
 * password likewise) on our own sockets, used by conn_connect() (connpol.h). Replies
 * are read with bounds of our own (a CONNECT header of at most PROXY_HDR_MAX bytes,
 * SOCKS fields by their sizes), and within the timeout. */
#ifndef NT_PROXY_H
#define NT_PROXY_H

#include <stddef.h>

#include "connpol.h"

#define PROXY_HDR_MAX 16384

/* On fd, connected to the proxy px, ask for a tunnel to host:port (family: how a
 * socks5:// proxy's name is resolved here; socks5h:// and http:// send the name).
 * Returns 0 (fd is then the tunnel, nothing read beyond the proxy's reply), or -1 with
 * a message in err. */
int proxy_handshake(int fd, const struct conn_proxy *px, const char *host, int port, int family, int timeout_ms,
		    char *err, size_t errlen);

#endif
