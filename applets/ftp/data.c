/* SPDX-License-Identifier: MIT */
/* data.c - FTP data connections of our own control connections (ctl.h): the passive port
 * from a 229 (EPSV) or 227 (PASV) reply, read by parse.c's bounded parsers, and a
 * non-blocking connection to it at the address the control connection reaches (never the
 * 227's own address: the FTP bounce; curl ignores it the same way). For getpipe.c's batch
 * get, and whatever later moves data over our own connections. And the part of an own
 * connection getpipe.c and putpipe.c share (struct ownconn: the control and data
 * connections, the folder, the reply deadline).
 *
 * Header: applets/ftp/ctl.h    Tests: tests/integration/ftp_getpipe.sh tests/integration/ftp_putpipe.sh tests/unit/check_ftp.c
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

void own_stall_arm(struct ownconn *o)
{
	o->stall_at = ftp_cf.co.timeout_ms > 0 ? ftp_now_ms() + ftp_cf.co.timeout_ms : 0;
}

void own_data_close(struct ownconn *o)
{
	if (o->dfd >= 0)
		close(o->dfd);
	o->dfd = -1;
}

void own_data_reset(struct ownconn *o)
{
	if (o->dfd >= 0) {
		/* SO_LINGER {1, 0}: the close resets the connection; what our kernel still
		 * holds is dropped, and the server's kernel drops what it has not read. */
		struct linger lg = {1, 0};
		setsockopt(o->dfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	}
	own_data_close(o);
}

void own_conn_drop(struct ownconn *o)
{
	own_data_close(o);
	ctl_close(&o->c);
	free(o->cwd);
	o->cwd = NULL;
}

int ftp_data_port(const struct fxc *c, int code, unsigned *port)
{
	size_t n = strlen(c->text);
	if (code == 229)
		return ftp_parse_epsv(c->text, n, port);
	unsigned char h[4];
	if (code != 227 || c->family != AF_INET || ftp_parse_pasv(c->text, n, h, port) < 0)
		return -1;
	char said[INET_ADDRSTRLEN];
	if (inet_ntop(AF_INET, h, said, sizeof said) && strcmp(said, c->addr))
		log_trace("%s answered PASV with the address %s: %s is used", ftp_site_name(c->site), said, c->addr);
	return 0;
}

int ftp_data_connect(const struct fxc *c, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof ss);
	if (c->family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((unsigned short)port);
		if (inet_pton(AF_INET, c->addr, &a->sin_addr) != 1)
			return errno = EINVAL, -1;
		sl = sizeof *a;
	} else if (c->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((unsigned short)port);
		if (inet_pton(AF_INET6, c->addr, &a->sin6_addr) != 1)
			return errno = EINVAL, -1;
		sl = sizeof *a;
	} else {
		return errno = EAFNOSUPPORT, -1;
	}
	int fd = socket(c->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int own_entry_ok(const struct ftp_site *a)
{
	return a->entry && a->entry[0] == '/';
}

char *own_cwd_arg(const struct ftp_site *a, const char *dir)
{
	if (dir[0] == '/')
		return xstrdup(dir);
	if (!a->entry)
		return NULL;
	if (!dir[0])
		return xstrdup(a->entry); /* (CWD to it as PWD named it: any form) */
	return own_entry_ok(a) ? ftp_join(a->entry, dir) : NULL;
}
