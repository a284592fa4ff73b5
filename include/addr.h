/* SPDX-License-Identifier: MIT */
/* addr.h - parsing of addresses and URLs; pure, no I/O.
 *
 * Forms: host, host:port, [v6], [v6]:port, bare IPv6 (no port), unix:/path;
 * URLs scheme://[user@]host[:port][/path]; scp-style [user@]host:path (ftp).
 * Every function returns 0, or -1 with a message in err (ADDR_ERRLEN bytes).
 */
#ifndef NT_ADDR_H
#define NT_ADDR_H

#define ADDR_ERRLEN 256
#define ADDR_HOSTMAX 255   /* RFC 1035 limit on a name */
#define ADDR_PATHMAX 4096

struct addr {
	int is_unix;                  /* unix:/path */
	char host[ADDR_HOSTMAX + 1];  /* without brackets */
	int port;                     /* 0 when absent and no default */
	char path[108];               /* unix socket path */
};

/* Parse host, host:port, [v6]:port, unix:/path. default_port is used when
 * none is given (0: a port is not required). */
int addr_parse(const char *s, int default_port, struct addr *a, char *err);

/* The destination among a command's arguments, nc's forms included: HOST, HOST:PORT,
 * [V6]:PORT, unix:/PATH, or HOST PORT (a host without a port, then a number). The number
 * of arguments it took (1 or 2; 0 when there are none: 127.0.0.1 and default_port), or -1
 * with err. A host without a port gets default_port. */
int addr_parse_args(char *const *args, int nargs, int default_port, struct addr *a, char *err);
/* tcp-send and udp-send share this rule. */

/* Check a host name or literal: non-empty, bounded, no spaces or control characters. */
int addr_check_host(const char *host, char *err);

/* Parse a port "1".."65535" (or a service name from /etc/services when allow_name). */
int addr_parse_port(const char *s, int *port, char *err);

struct url {
	char scheme[16];              /* lower case */
	char user[256];               /* percent-decoded; empty when absent */
	char host[ADDR_HOSTMAX + 1];
	int port;                     /* 0 when absent */
	char path[ADDR_PATHMAX];      /* percent-decoded, without the leading '/'; may be empty */
	int has_user;
};

/* Parse scheme://[user[:pass]@]host[:port][/path]. A password in the URL is refused
 * (credentials never on the command line). Returns -1 if s is not a URL of this form. */
int url_parse(const char *s, struct url *u, char *err);
/* 1 if s starts with "scheme://". */
int url_is(const char *s);

/* Parse the scp form [user@]host:path (path may be empty, relative or absolute). */
int addr_parse_hostpath(const char *s, struct url *u, char *err);

/* Format host and port as "host:port" or "[v6]:port". */
void addr_format(char *out, unsigned outlen, const char *host, int port);

#endif
