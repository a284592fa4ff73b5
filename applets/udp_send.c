/* SPDX-License-Identifier: MIT */
/* udp_send.c - the textbook's UDP client: one datagram per message, print each reply
 *
 * Interactive with a prompt on a terminal (an empty line ends), line by line when
 * piped, one-shot with MESSAGE arguments. A message is sent without its newline (a
 * datagram is the message); a lost datagram is sent again (--retries). --unix talks to
 * a unix datagram socket: the client binds a socket of its own in a private temporary
 * folder (so that the server has an address to answer) and removes both at exit.
 * HOST PORT as two operands is HOST:PORT, the nc rule tcp-send keeps too
 * (addr_parse_args, core/addr.c).
 *
 * Man page: man/nettool-udp-send.1    Tests: tests/integration/udp_serve.sh
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "connpol.h"
#include "json.h"
#include "input.h"
#include "log.h"
#include "nt_err.h"
#include "opt.h"
#include "out.h"
#include "sock.h"

enum { O_RETRIES = OPT_LONG, O_UNIX, O_JSON, O_RAW };

static const struct opt opts[] = {
	CONN_ROW_TIMEOUT("wait SEC for each reply (default 1)"),
	{O_RETRIES, "retries", OPT_UINT, "N", "send a datagram again N times when no reply comes (default 2)", 0, 1000},
	CONN_ROWS_IP,
	{O_UNIX, "unix", OPT_FILE, "PATH", "send to a unix datagram socket"},
	{O_JSON, "json", OPT_FLAG, NULL, "one JSON object per reply (bytes sent and received, round-trip time)"},
	{O_RAW, "raw", OPT_FLAG, NULL, "write each reply exactly as it came, adding no newline (as nc -u)"},
	CONN_ROWS_VQ("trace what is sent and received", "no prompt"),
	{CONN_O_PROXY, "proxy", OPT_STR, "URL", "refused (exit 2): proxies carry TCP connections, not datagrams"},
	{0},
};

static const struct opt_spec spec = {
	.usage = "[OPTIONS] [HOST[:PORT] | HOST PORT] [MESSAGE...]",
	.opts = opts,
	.footer = "HOST defaults to 127.0.0.1, PORT to 8888. As with nc, 'HOST PORT' (a host without a port,\n"
		  "then a number) is HOST:PORT. Exit 3 when a message got no reply.\n",
};

static struct {
	struct addr a;
	int family;
	int timeout_ms;
	int retries;
	int lost;
	int json;
	int raw;                 /* --raw: the datagram's bytes and nothing else */
	int tty;                 /* standard output is a terminal: replies made safe */
	const char *unix_path;
	char tmpdir[256];        /* --unix: our own socket's folder */
	char mine[300];          /* --unix: our own socket */
	char reply[65536];
} G;

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void remove_mine(void)
{
	if (G.mine[0])
		unlink(G.mine);
	if (G.tmpdir[0])
		rmdir(G.tmpdir);
}

/* --unix: a datagram socket bound to a path of our own (the server answers there) and
 * connected to the server's. Returns the descriptor, or -1 with a message. */
static int unix_dgram(char *err, size_t errlen)
{
	if (!G.tmpdir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(G.tmpdir, sizeof G.tmpdir, "%s/nettool-udp-send.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(G.tmpdir)) {
			snprintf(err, errlen, "mkdtemp %s: %s", G.tmpdir, strerror(errno));
			G.tmpdir[0] = 0;
			return -1;
		}
		snprintf(G.mine, sizeof G.mine, "%s/s", G.tmpdir);
		atexit(remove_mine);
	}
	struct sockaddr_un me = {.sun_family = AF_UNIX}, srv = {.sun_family = AF_UNIX};
	if (strlen(G.mine) >= sizeof me.sun_path || strlen(G.unix_path) >= sizeof srv.sun_path) {
		snprintf(err, errlen, "unix socket path too long (%zu bytes at most)", sizeof me.sun_path - 1);
		return -1;
	}
	strcpy(me.sun_path, G.mine);
	strcpy(srv.sun_path, G.unix_path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(G.mine); /* the last message's socket */
	if (bind(fd, (struct sockaddr *)&me, sizeof me) < 0 || connect(fd, (struct sockaddr *)&srv, sizeof srv) < 0) {
		snprintf(err, errlen, "unix:%s: %s", G.unix_path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Send one message and print its reply. Each message gets a socket (a source port) of its
 * own, so a late reply to an earlier message can never pass for this one's; a late reply
 * to an earlier attempt of the same message counts. */
static void exchange(const char *msg, size_t n)
{
	char err[SOCK_ERRLEN + 300];
	int fd = G.unix_path ? unix_dgram(err, sizeof err) : sock_udp_connect(G.a.host, G.a.port, G.family, err);
	if (fd < 0)
		die(NT_EXIT_NET, "%s", err);
	long long t0 = 0;
	int refused = 0; /* the last attempt met an ICMP port unreachable (or no unix socket) */
	for (int attempt = 0; attempt <= G.retries; attempt++) {
		t0 = now_us();
		refused = 0;
		log_proto('>', msg, n);
		if (send(fd, msg, n, 0) < 0) {
			refused = errno == ECONNREFUSED || (G.unix_path && errno == ENOENT);
			if (refused)
				continue; /* an ICMP error from an earlier datagram, or no server yet: try again */
			die_sys(NT_EXIT_NET, "send");
		}
		int r = sock_wait(fd, POLLIN, G.timeout_ms);
		if (r < 0)
			die_sys(NT_EXIT_NET, "poll");
		if (r == 0)
			continue;
		/* A datagram longer than the buffer (a unix socket's can be) is cut by the
		 * system: said with exit 5 rather than printed short (--raw: as it came). */
		struct iovec iov = {.iov_base = G.reply, .iov_len = sizeof G.reply};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t got = recvmsg(fd, &mh, 0);
		if (got >= 0 && (mh.msg_flags & MSG_TRUNC))
			die(NT_EXIT_PROTO, "reply longer than %zu bytes: not printed", sizeof G.reply);
		if (got < 0) {
			refused = errno == ECONNREFUSED;
			if (refused)
				continue; /* nobody listens (yet): the retry decides */
			die_sys(NT_EXIT_NET, "receive");
		}
		log_proto('<', G.reply, (size_t)got);
		if (G.json) {
			json_begin(stdout);
			json_kv_int(stdout, "sent", (long long)n);
			json_kv_int(stdout, "received", (long long)got);
			json_kv_int(stdout, "rtt_us", now_us() - t0);
			json_kv_int(stdout, "attempts", attempt + 1);
			json_kv_strn(stdout, "reply", G.reply, (size_t)got);
			json_end(stdout);
		} else if (G.raw) {
			fwrite(G.reply, 1, (size_t)got, stdout); /* byte for byte, binary or text */
		} else {
			/* The documented format: the reply and a newline when it has none; on a
			 * terminal made safe (out.h), as every applet prints a server's text. */
			size_t k = (size_t)got && G.reply[got - 1] == '\n' ? (size_t)got - 1 : (size_t)got;
			if (G.tty) { /* a line a line, CR LF a line's end, as tcp-send shows them */
				size_t done = out_lines(stdout, G.reply, (size_t)got, 0);
				if (!got || done < (size_t)got)
					out_line(stdout, G.reply + done, (size_t)got - done, 0);
			} else {
				fwrite(G.reply, 1, k, stdout);
				fputc('\n', stdout);
			}
		}
		fflush(stdout);
		close(fd);
		return;
	}
	char name[ADDR_HOSTMAX + 16];
	if (G.unix_path)
		snprintf(name, sizeof name, "unix:%s", G.unix_path);
	else
		addr_format(name, sizeof name, G.a.host, G.a.port);
	/* On a connected socket the ICMP port unreachable comes back as ECONNREFUSED: no
	 * server to wait for, said as such rather than as a lost reply. */
	if (refused)
		nt_warn("%s: %s (nothing listens there)", name, G.unix_path ? "no socket" : "port unreachable");
	else
		nt_warn("%s: no reply after %d attempt%s", name, G.retries + 1, G.retries ? "s" : "");
	G.lost++;
	close(fd);
}

int udp_send_main(int argc, char **argv)
{
	struct opt_state os;
	struct conn_opts co = {.timeout_ms = 1000};
	G.retries = 2;
	opt_init(&os, &spec, argc, argv);
	for (int k; (k = opt_next(&os)) != -1;) {
		if (k == CONN_O_PROXY)
			opt_usage_error("--proxy: udp-send sends datagrams, and a proxy carries TCP connections only");
		if (conn_opt(&co, k, &os))
			continue;
		if (k == O_RETRIES)
			G.retries = (int)os.num;
		if (k == O_UNIX)
			G.unix_path = os.str;
		if (k == O_JSON)
			G.json = 1;
		if (k == O_RAW)
			G.raw = 1;
	}
	if (G.raw && G.json)
		opt_usage_error("--raw and --json exclude each other");
	G.tty = isatty(1);
	conn_opts_finish(&co, 0);
	G.family = co.family;
	G.timeout_ms = co.timeout_ms;
	char **args = argv + os.ind;
	int nargs = argc - os.ind;
	char err[SOCK_ERRLEN];
	if (!G.unix_path) {
		/* nc's HOST PORT, as tcp-send: a host without a port, then a number, is the port. */
		char *dflt[] = {"127.0.0.1"};
		int used = addr_parse_args(nargs ? args : dflt, nargs ? nargs : 1, 8888, &G.a, err);
		if (used < 0)
			opt_usage_error("%s", err);
		if (G.a.is_unix)
			opt_usage_error("udp-send: a unix socket is given with --unix PATH");
		if (nargs)
			args += used, nargs -= used;
		/* Resolve once now, so that a bad name fails before any input is read. */
		int fd = sock_udp_connect(G.a.host, G.a.port, G.family, err);
		if (fd < 0)
			die(NT_EXIT_NET, "%s", err);
		close(fd);
	}

	struct input in;
	const char *msg;
	size_t len;
	input_init(&in, args, nargs);
	while (input_next(&in, &msg, &len)) {
		if (len > 65507)
			die(NT_EXIT_USAGE, "a message of %zu bytes does not fit in a datagram", len);
		exchange(msg, len);
	}
	input_free(&in);
	return G.lost ? NT_EXIT_NET : 0;
}
