/* SPDX-License-Identifier: MIT */
/* opts.h - tcp-serve's settings, as its command line gives them (opts.c); internal to
 * applets/tcp_serve/.
 *
 * Tests: tests/integration/tcp_serve.sh, tests/integration/tcp_exec.sh,
 * tests/integration/tcp_services.sh, tests/integration/tcp_tls.sh,
 * tests/integration/tcp_stream.sh
 */
#ifndef TCP_SERVE_OPTS_H
#define TCP_SERVE_OPTS_H

#include <stddef.h>

#include "inetsvc.h"
#include "serve.h"
#include "stamp.h"
#include "tls_server.h"

/* The small services' modes are their inetsvc values (inetsvc.h). */
enum mode { MODE_STAMP = INETSVC_NONE, MODE_ECHO = INETSVC_ECHO, MODE_DAYTIME = INETSVC_DAYTIME,
	    MODE_DISCARD = INETSVC_DISCARD, MODE_CHARGEN = INETSVC_CHARGEN, MODE_TIME = INETSVC_TIME, MODE_LINE,
	    MODE_EXEC, MODE_STREAM };

/* The smallest --max-partial taken (or --max-line, when larger). */
#define PARTIAL_MIN (64 * 1024)

struct serve_conf {
	enum mode mode;
	const char *host;       /* -l's host; NULL: every address */
	int port;
	const char *unix_path;  /* --unix, or -l unix:PATH */
	int family;             /* -4, -6: AF_INET, AF_INET6; else AF_UNSPEC */
	long long max_clients;  /* 0: no limit */
	long long idle_ms;      /* --idle-timeout; 0: none */
	size_t max_line;
	size_t max_partial;     /* the cap on the partial lines of all clients together */
	int workers;
	int reuseport;
	int tls;
	long long hs_ms;        /* --handshake-timeout */
	int keep;               /* --stream --keep */
	int json;               /* --json */
	struct stamp stamp;     /* --time-format, --utc */
	struct exec_conf exec;  /* --exec, --sh-exec, --max-per-ip: checked by exec_init */
	struct tls_server_conf tc; /* --cert, --key, --cacert, --verify-client */
};

/* Parse and check the command line into c (the defaults first; -q and -v set
 * log_level). --help and --version answer and exit 0; a bad command line is exit 2. */
void serve_opts(int argc, char **argv, struct serve_conf *c);

#endif
