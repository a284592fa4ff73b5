/* SPDX-License-Identifier: MIT */
/* tcp_send.c - the textbook's TCP client: send lines, print the replies
 *
 * Interactive with a prompt on a terminal (an empty line ends), line by line when
 * piped, one-shot with MESSAGE arguments; --per-line opens a connection per line (the
 * socketserver client); --stream copies both ways like nc.
 *
 * Replies go to a terminal made safe (out.h), to a file or pipe byte for byte; --stream
 * is always byte for byte. --tls runs all of it over a verified TLS session (core/tls.c):
 * every read and write goes through net_read/net_write.
 *
 * Man page: man/nettool-tcp-send.1    Tests: tests/integration/tcp_serve.sh,
 * tests/integration/tcp_send.sh, tests/integration/proxy.sh, tests/integration/tcp_tls.sh
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "connpol.h"
#include "file.h"
#include "input.h"
#include "log.h"
#include "loop.h"
#include "nt_err.h"
#include "opt.h"
#include "out.h"
#include "sock.h"
#include "stream.h"
#include "tls.h"

/* A reply without a newline ends when the connection has been quiet this long. */
#define QUIET_MS 200
/* The longest reply we hold: a peer can not choose it. Longer is exit 5. */
#define REPLY_MAX (1 << 20)

enum { O_PERLINE = OPT_LONG, O_STREAM, O_NONL, O_UNIX };

static const struct opt opts[] = {
	{O_PERLINE, "per-line", OPT_FLAG, NULL, "open a new connection for every line"},
	{O_STREAM, "stream", OPT_FLAG, NULL, "copy stdin to the socket and the socket to stdout, like nc"},
	{O_NONL, "no-newline", OPT_FLAG, NULL, "send each message without a newline (as the textbook client)"},
	CONN_ROW_TIMEOUT("connect and reply timeout (default 5)"),
	{O_UNIX, "unix", OPT_FILE, "PATH", "connect to a unix socket"},
	CONN_ROWS_IP,
	{CONN_O_TLS, "tls", OPT_FLAG, NULL, "connect over TLS, verifying the server's certificate and name"},
	CONN_ROWS_TLS_CLIENT,
	CONN_ROWS_PROXY,
	CONN_ROWS_VQ("trace what is sent and received", "no prompt, no messages but errors"),
	{0},
};

static const struct opt_spec spec = {
	.usage = "[OPTIONS] [HOST[:PORT]] [MESSAGE...]",
	.opts = opts,
	.footer = "HOST defaults to 127.0.0.1, PORT to 8888. A reply is what arrives up to a newline,\n"
		  "or, without one, until the connection is quiet for 200 ms.\n"
		  "Proxy: --proxy, else tcp_proxy or ALL_PROXY (http:// CONNECT, socks5://, socks5h://).\n",
};

static struct {
	struct addr a;
	struct conn_opts co;
	struct conn_plan plan;
	int family;
	int timeout_ms;
	int nonl;
	int tty; /* standard output is a terminal: replies made safe (never in --stream) */
	struct buf in; /* bytes received after the last reply, at most REPLY_MAX */
	int tls;       /* --tls */
	struct stream *s; /* the TLS session of the open connection (--tls) */
} G;

/* The connection's read and write: the socket's, or the TLS session's (non-blocking:
 * EAGAIN, then net_wait waits for what the session needs, which may be the other
 * direction). A TLS read is given at least TLS_READ bytes, a whole record, so that no
 * input stays inside OpenSSL where poll can not see it. */
#define TLS_READ 16384
static ssize_t net_read(int fd, void *p, size_t n)
{
	return G.s ? G.s->ops->read(G.s->ctx, p, n) : read(fd, p, n);
}

static ssize_t net_write(int fd, const void *p, size_t n)
{
	return G.s ? G.s->ops->write(G.s->ctx, p, n) : send(fd, p, n, MSG_NOSIGNAL);
}

static short net_events(short ev)
{
	return G.s ? G.s->ops->wants(G.s->ctx, ev) : ev;
}

static int net_wait(int fd, short ev, int timeout_ms)
{
	return sock_wait(fd, net_events(ev), timeout_ms);
}

/* A failed read or write that was the TLS server refusing the session: exit 4, said. */
static void net_refused(void)
{
	char why[1500];
	if (G.s && tls_stream_refused(G.s, why, sizeof why))
		die(NT_EXIT_TLS, "%s", why);
}

static void net_close(int fd)
{
	if (G.s)
		stream_close(G.s); /* close_notify, and the descriptor */
	else
		close(fd);
	G.s = NULL;
}

static int do_connect(void)
{
	char err[600];
	int fd;
	if (G.a.is_unix)
		fd = sock_connect_unix(G.a.path, G.timeout_ms, err);
	else
		fd = conn_connect(&G.plan, G.a.host, G.a.port, G.family, G.timeout_ms, err, sizeof err);
	if (fd < 0)
		die(NT_EXIT_NET, "%s", err);
	if (G.tls) {
		struct tls_opts tlso;
		tls_opts_from(&tlso, &G.co);
		G.s = tls_client(fd, G.a.host, &tlso, 0, G.timeout_ms, err, sizeof err);
		if (!G.s)
			die(NT_EXIT_TLS, "%s", err);
	}
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = net_write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) { /* TLS: the socket is non-blocking */
			int r = net_wait(fd, POLLOUT, G.timeout_ms);
			if (r == 0)
				die(NT_EXIT_NET, "send: timed out after %d ms", G.timeout_ms);
			if (r < 0)
				die_sys(NT_EXIT_NET, "poll");
			continue;
		}
		if (w < 0)
			net_refused();
		if (w < 0 && errno == EPROTO && G.s)
			die(NT_EXIT_TLS, "send: TLS error");
		if (w < 0)
			die(NT_EXIT_NET, "send: %s", errno == EPIPE ? "connection closed by the server" : strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

/* Print a reply: byte for byte to a file or a pipe; to a terminal made safe (out.h: a
 * control character from the server as '?'), the line's own end kept as a newline. */
static void print_reply(const char *p, size_t n, int add_nl)
{
	if (!G.tty) {
		fwrite(p, 1, n, stdout);
		if (add_nl)
			fputc('\n', stdout);
		return;
	}
	if (n && p[n - 1] == '\n')
		n--, add_nl = 1;
	if (n && p[n - 1] == '\r' && add_nl)
		n--;
	out_text(stdout, p, n, 0);
	if (add_nl)
		fputc('\n', stdout);
}

/* Read one reply (up to a newline, or what came before a quiet time) and print it.
 * The bytes are looked at once each (scanned marks how far): linear, not quadratic. */
static void read_reply(int fd)
{
	long long deadline = loop_now_ms() + G.timeout_ms;
	int got_any = buf_pending(&G.in) > 0;
	size_t scanned = 0;
	for (;;) {
		size_t len;
		if (line_find(buf_head(&G.in) + scanned, buf_pending(&G.in) - scanned, 0, &len) == LINE_OK) {
			print_reply(buf_head(&G.in), scanned + len, 0);
			buf_consume(&G.in, scanned + len);
			break;
		}
		scanned = buf_pending(&G.in);
		if (scanned >= REPLY_MAX)
			die(NT_EXIT_PROTO, "reply longer than %d bytes without a newline: not read further", REPLY_MAX);
		long long now = loop_now_ms();
		int wait_ms = got_any ? QUIET_MS : (int)(deadline - now);
		if (!got_any && wait_ms <= 0)
			die(NT_EXIT_NET, "no reply within %d ms", G.timeout_ms);
		int r = net_wait(fd, POLLIN, wait_ms);
		if (r < 0)
			die_sys(NT_EXIT_NET, "poll");
		if (r == 0) {
			if (!got_any)
				continue; /* deadline reached: reported above */
			/* Quiet: the reply is what came. */
			print_reply(buf_head(&G.in), buf_pending(&G.in), 1);
			buf_reset(&G.in);
			break;
		}
		size_t before = buf_pending(&G.in);
		ssize_t n;
		if (G.s) {
			size_t room = REPLY_MAX - before < TLS_READ ? REPLY_MAX - before : TLS_READ;
			char *t = buf_reserve(&G.in, room);
			n = t ? net_read(fd, t, room) : (errno = ENOMEM, -1);
			if (n > 0)
				buf_commit(&G.in, (size_t)n);
		} else {
			n = buf_read_fd(&G.in, fd, 0);
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			net_refused();
		if (n < 0 && errno == EPROTO && G.s)
			die(NT_EXIT_TLS, "receive: TLS error");
		if (n < 0)
			die(NT_EXIT_NET, "receive: %s", errno == ECONNRESET ? "connection reset by the server" : strerror(errno));
		if (n == 0) {
			if (!buf_pending(&G.in))
				die(NT_EXIT_NET, "connection closed by the server before a reply");
			print_reply(buf_head(&G.in), buf_pending(&G.in), 1);
			buf_reset(&G.in);
			break;
		}
		log_proto('<', buf_head(&G.in) + before, (size_t)n);
		got_any = 1;
	}
	fflush(stdout);
}

static void exchange(int fd, const char *msg, size_t n)
{
	char *line = xmalloc(n + 1);
	memcpy(line, msg, n);
	size_t len = n;
	if (!G.nonl)
		line[len++] = '\n';
	log_proto('>', line, len);
	send_all(fd, line, len);
	free(line);
	read_reply(fd);
}

/* nc-like: stdin to the socket (half-close at EOF), the socket to stdout. The socket is
 * non-blocking and always read, so a server that sends more than it receives never
 * deadlocks against us; stdin is read only when the last chunk has gone out. A server
 * that half-closes (shutdown(SHUT_WR), ncat --recv-only) still gets every byte: we
 * stop when both sides are done, and exit 0 only when all of stdin was written. */
static int stream_mode(int fd)
{
	char in[65536], b[65536];
	size_t in_len = 0, in_off = 0;
	unsigned long long sent = 0;
	int in_open = 1, net_open = 1;
	short rd_events = POLLIN; /* TLS: what a blocked read waits for */
	sock_set_nonblock(fd, 1);
	while (in_open || in_len > in_off || net_open) {
		int sending = in_len > in_off;
		struct pollfd p[2] = {
			{.fd = in_open && !sending ? 0 : -1, .events = POLLIN},
			{.fd = net_open || sending ? fd : -1, .events = (net_open ? rd_events : 0) | (sending ? POLLOUT : 0)},
		};
		if (G.s) /* either readiness may unblock either direction of a TLS session */
			p[1].events |= sending ? POLLIN : 0;
		int r = poll(p, 2, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die_sys(NT_EXIT_NET, "poll");
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(0, in, sizeof in);
			if (n > 0) {
				in_len = (size_t)n;
				in_off = 0;
			} else if (n == 0 || errno != EINTR) {
				in_open = 0;
				if (G.s)
					tls_close_notify(G.s); /* TLS's half-close; the server may still send */
				else
					shutdown(fd, SHUT_WR);
			}
		}
		if ((p[1].revents & (POLLOUT | POLLERR | POLLHUP | (G.s ? POLLIN : 0))) && in_len > in_off) {
			ssize_t w = net_write(fd, in + in_off, in_len - in_off);
			if (w > 0) {
				sent += (unsigned long long)w;
				in_off += (size_t)w;
				if (in_off == in_len)
					in_off = in_len = 0;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				net_refused();
				die(NT_EXIT_NET, "send: %s: %llu bytes of standard input were sent, %zu more were read but not sent%s",
				    errno == EPIPE || errno == ECONNRESET ? "connection closed by the server" : strerror(errno),
				    sent, in_len - in_off, in_open ? ", and the rest was not read" : "");
			}
		}
		if (net_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR | (G.s ? POLLOUT : 0)))) {
			ssize_t n = net_read(fd, b, sizeof b);
			rd_events = n < 0 && errno == EAGAIN ? net_events(POLLIN) : POLLIN;
			if (n > 0) {
				if (file_write_all(1, b, (size_t)n) < 0)
					die_sys(NT_EXIT_IO, "write to standard output");
			} else if (n == 0) {
				net_open = 0; /* the server sends no more; it may still read */
			} else if (errno != EINTR && errno != EAGAIN) {
				net_refused();
				die(NT_EXIT_NET, "receive: %s (%llu bytes of standard input were sent%s)",
				    errno == ECONNRESET ? "connection reset by the server" : strerror(errno), sent,
				    in_open || in_len > in_off ? ", not all of it" : ", all of it");
			}
		}
	}
	return 0;
}

int tcp_send_main(int argc, char **argv)
{
	struct opt_state os;
	int per_line = 0, stream = 0;
	const char *unix_path = NULL;
	G.co.timeout_ms = 5000;
	opt_init(&os, &spec, argc, argv);
	for (int k; (k = opt_next(&os)) != -1;) {
		if (k == CONN_O_TLS) { /* here: TLS from the first byte (no STARTTLS in a stamp) */
			G.tls = 1;
			continue;
		}
		if (conn_opt(&G.co, k, &os))
			continue;
		switch (k) {
		case O_PERLINE: per_line = 1; break;
		case O_STREAM: stream = 1; break;
		case O_NONL: G.nonl = 1; break;
		case O_UNIX: unix_path = os.str; break;
		}
	}
	conn_opts_finish(&G.co, CONN_PROXY_OWN);
	G.family = G.co.family;
	G.timeout_ms = G.co.timeout_ms;
	char **args = argv + os.ind;
	int nargs = argc - os.ind;
	char err[ADDR_ERRLEN];
	if (unix_path) {
		if (strlen(unix_path) >= sizeof G.a.path)
			opt_usage_error("--unix: path too long");
		G.a.is_unix = 1;
		strcpy(G.a.path, unix_path);
	} else if (nargs > 0) {
		if (addr_parse(args[0], 8888, &G.a, err) < 0)
			opt_usage_error("%s", err);
		args++, nargs--;
	} else {
		addr_parse("127.0.0.1", 8888, &G.a, err);
	}
	if (stream && (per_line || nargs))
		opt_usage_error("--stream takes no messages and no --per-line");
	if (!G.tls && (G.co.cacert || G.co.insecure || G.co.cert || G.co.key || G.co.pinnedpubkey))
		opt_usage_error("--cacert, --insecure, --cert, --key and --pinnedpubkey go with --tls");
	if (G.tls && G.a.is_unix)
		opt_usage_error("--tls verifies a host name: not over --unix");
	buf_init(&G.in, REPLY_MAX);
	if (!G.a.is_unix) {
		int code = conn_decide(&G.co, "tcp", G.a.host, CONN_PROXY_OWN, &G.plan, err, sizeof err);
		if (code)
			die(code, "%s", err);
	} else if (G.co.proxy && *G.co.proxy) {
		opt_usage_error("--proxy and --unix exclude each other");
	}

	if (stream)
		return stream_mode(do_connect()); /* nc-like: byte for byte, terminal or not */
	G.tty = isatty(1);

	int fd = per_line ? -1 : do_connect();
	struct input in;
	const char *msg;
	size_t len;
	input_init(&in, args, nargs);
	while (input_next(&in, &msg, &len)) {
		if (per_line)
			fd = do_connect();
		exchange(fd, msg, len);
		if (per_line)
			net_close(fd), fd = -1, buf_reset(&G.in);
	}
	input_free(&in);
	if (fd >= 0)
		net_close(fd);
	buf_free(&G.in);
	return 0;
}
