/* SPDX-License-Identifier: MIT */
/* tcp_send.c - the textbook's TCP client: send lines, print the replies
 *
 * Interactive with a prompt on a terminal (an empty line ends), line by line when
 * piped, one-shot with MESSAGE arguments; --per-line opens a connection per line (the
 * socketserver client); --stream copies both ways like nc (core/relay.c). The netcat
 * habits: HOST PORT as two operands, -w (connect and idle timeout), -z (connect only);
 * with no message and an empty, non-terminal input, what the server sends is printed
 * until it closes (daytime, time, a banner).
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
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "connpol.h"
#include "json.h"
#include "file.h"
#include "input.h"
#include "log.h"
#include "loop.h"
#include "nt_err.h"
#include "opt.h"
#include "out.h"
#include "relay.h"
#include "sock.h"
#include "stream.h"
#include "tls.h"

/* A reply without a newline ends when the connection has been quiet this long. */
#define QUIET_MS 200
/* The longest reply we hold: a peer can not choose it. Longer is exit 5. */
#define REPLY_MAX (1 << 20)

enum { O_PERLINE = OPT_LONG, O_STREAM, O_NONL, O_UNIX, O_JSON };

static const struct opt opts[] = {
	{O_PERLINE, "per-line", OPT_FLAG, NULL, "open a new connection for every line"},
	{O_STREAM, "stream", OPT_FLAG, NULL, "copy stdin to the socket and the socket to stdout, like nc"},
	{O_NONL, "no-newline", OPT_FLAG, NULL, "send each message without a newline (as the textbook client)"},
	CONN_ROW_TIMEOUT("connect and reply timeout (default 5)"),
	{'w', NULL, OPT_SECS, "SEC", "as nc: connect timeout, and with --stream an idle timeout"},
	{'z', NULL, OPT_FLAG, NULL, "connect, send nothing, close: exit 0 when the port answers, else 3"},
	{O_JSON, "json", OPT_FLAG, NULL, "one JSON object per reply (bytes sent and received, round-trip time)"},
	{O_UNIX, "unix", OPT_FILE, "PATH", "connect to a unix socket"},
	CONN_ROWS_IP,
	{CONN_O_TLS, "tls", OPT_FLAG, NULL, "connect over TLS, verifying the server's certificate and name"},
	CONN_ROWS_TLS_CLIENT,
	CONN_ROWS_PROXY,
	CONN_ROWS_VQ("trace what is sent and received", "no prompt, no messages but errors"),
	{0},
};

static const struct opt_spec spec = {
	.usage = "[OPTIONS] [HOST[:PORT] | HOST PORT] [MESSAGE...]",
	.opts = opts,
	.footer = "HOST defaults to 127.0.0.1, PORT to 8888. As with nc, 'HOST PORT' (a host without a port,\n"
		  "then a number) is HOST:PORT. A reply is what arrives up to a newline,\n"
		  "or, without one, until the connection is quiet for 200 ms. With no message and an\n"
		  "empty input that is not a terminal, what the server sends is printed until it closes.\n"
		  "Proxy: --proxy, else tcp_proxy or ALL_PROXY (http:// CONNECT, socks5://, socks5h://).\n",
};

static struct {
	struct addr a;
	struct conn_opts co;
	struct conn_plan plan;
	int family;
	int timeout_ms;
	int stream; /* --stream: a connection that fails is reset, never closed as a clean end */
	int nonl;
	int tty; /* standard output is a terminal: replies made safe (never in --stream) */
	int json;
	int idle_ms; /* -w: --stream's idle timeout */
	struct buf in; /* bytes received after the last reply, at most REPLY_MAX */
	unsigned long long sent; /* bytes of the message being answered (--json) */
	long long sent_at_us;
	long long first_us; /* when the reply's first byte came: rtt_us ends there */
	int replied; /* a reply came on this connection: what follows it is its further lines */
	int fail; /* the exit status of a failure said as a warning (after the last reply) */
	unsigned char first[2]; /* the first bytes the server sent (a TLS record? tls_hint) */
	int nfirst;
	int tls;       /* --tls */
	struct stream *s; /* the TLS session of the open connection (--tls) */
	int out_errno; /* why a write to standard output failed (flush_out) */
} G;

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The connection's read and write: the socket's, or the TLS session's (non-blocking:
 * EAGAIN, then net_wait waits for what the session needs, which may be the other
 * direction). A TLS read is given at least TLS_READ bytes, a whole record, so that no
 * input stays inside OpenSSL where poll can not see it. */
#define TLS_READ 16384
static void note_first(const void *p, ssize_t n)
{
	for (ssize_t i = 0; i < n && G.nfirst < 2; i++)
		G.first[G.nfirst++] = ((const unsigned char *)p)[i];
}

static ssize_t net_read(int fd, void *p, size_t n)
{
	ssize_t r = G.s ? G.s->ops->read(G.s->ctx, p, n) : read(fd, p, n);
	note_first(p, r);
	return r;
}

/* A plain connection's whole reply is one TLS alert record (type 21, version 3.x, length
 * 2: level, description), the server then closed: a TLS server refusing the clear text,
 * not a reply. Its description's number, or -1. */
#define TLS_ALERT_ONLY "the server answered with a TLS alert (%s) and closed the connection: a TLS server " \
		       "refusing clear text? try --tls"
static int tls_alert_only(const unsigned char *p, size_t n)
{
	return n == 7 && p[0] == 0x15 && p[1] == 0x03 && p[2] <= 0x04 && p[3] == 0 && p[4] == 2 ? p[6] : -1;
}

/* A plain connection whose first bytes back were a TLS record (an alert, 0x15 0x03, or a
 * handshake, 0x16 0x03): the hint for its failure message. */
static const char *tls_hint(void)
{
	return !G.s && G.nfirst == 2 && (G.first[0] == 0x15 || G.first[0] == 0x16) && G.first[1] == 0x03
		       ? " (a TLS server? try --tls)"
		       : "";
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

/* The peer as a message names it: host:port ([v6]:port), or the unix socket's path. */
static const char *peer_name(void)
{
	static char name[ADDR_HOSTMAX + 16];
	if (G.a.is_unix)
		snprintf(name, sizeof name, "unix:%s", G.a.path);
	else
		addr_format(name, sizeof name, G.a.host, G.a.port);
	return name;
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
	G.replied = 0;
	if (G.tls) {
		struct tls_opts tlso;
		tls_opts_from(&tlso, &G.co);
		tlso.peer = peer_name(); /* unix:PATH in messages, not "server" */
		/* --stream: a failed handshake is a reset (a copy of the descriptor outlives
		 * tls_client's close), so that a plain receiver does not store our ClientHello
		 * as data and report a clean end. */
		int keep = G.stream ? dup(fd) : -1;
		G.s = tls_client(fd, G.a.is_unix ? NULL : G.a.host, &tlso, 0, G.timeout_ms, err, sizeof err);
		int e = errno;
		if (keep >= 0) {
			if (!G.s)
				sock_reset(keep);
			close(keep);
		}
		if (!G.s)
			die(tls_client_exit(e), "%s", err); /* a timeout: the network's */
	}
	return fd;
}

static void print_reply(const char *p, size_t n, int add_nl);

/* Standard output that can not be written (a reader that went away: EPIPE, a full disk)
 * ends us with exit 6 and a message (nettool(1): local output failed); without this a
 * server that never stops sending (chargen) kept us running after head(1) had gone. */
static void flush_out(void)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return;
	int e = errno ? errno : G.out_errno ? G.out_errno : EIO;
	die(NT_EXIT_IO, "write to standard output: %s", e == EPIPE ? "the reader closed the pipe" : strerror(e));
}

/* One read into G.in (at most REPLY_MAX pending): as buf_read_fd, through the TLS
 * session when there is one. */
static ssize_t net_read_in(int fd)
{
	if (!G.s) {
		size_t before = buf_pending(&G.in);
		ssize_t r = buf_read_fd(&G.in, fd, 0);
		if (r > 0)
			note_first(buf_head(&G.in) + before, r);
		return r;
	}
	size_t have = buf_pending(&G.in);
	size_t room = REPLY_MAX - have < TLS_READ ? REPLY_MAX - have : TLS_READ;
	char *t = room ? buf_reserve(&G.in, room) : NULL;
	if (!t) {
		errno = ENOBUFS;
		return -1;
	}
	ssize_t n = net_read(fd, t, room);
	if (n > 0)
		buf_commit(&G.in, (size_t)n);
	return n;
}

/* A send failed: what the server had sent before is still printed (it is in G.in or in
 * the socket's receive queue), then the failure is said. */
static void flush_arrived(int fd)
{
	sock_set_nonblock(fd, 1); /* only what is there already: a quiet server must not hold us */
	for (;;) {
		ssize_t n = net_read_in(fd);
		if (n <= 0 || buf_pending(&G.in) >= REPLY_MAX)
			break;
	}
	if (buf_pending(&G.in))
		print_reply(buf_head(&G.in), buf_pending(&G.in), 0);
	buf_reset(&G.in);
	flush_out();
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = net_write(fd, p, n);
		if (w == 0) /* never from send(2) or core/tls.c: not retried, or it would spin */
			w = -1, errno = EPIPE;
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
		if (w < 0) {
			int e = errno;
			net_refused();
			if (e == EPROTO && G.s)
				die(NT_EXIT_TLS, "send: TLS error");
			flush_arrived(fd);
			die(NT_EXIT_NET, "send: %s%s", e == EPIPE || e == ECONNRESET ? "connection closed by the server" : strerror(e),
			    tls_hint());
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Print a reply: byte for byte to a file or a pipe; to a terminal made safe (out.h: a
 * control character from the server as '?'), each line's own end kept as a newline. */
static void print_reply(const char *p, size_t n, int add_nl)
{
	if (G.json) {
		json_begin(stdout);
		json_kv_int(stdout, "sent", (long long)G.sent);
		json_kv_int(stdout, "received", (long long)n);
		if (G.sent_at_us)
			json_kv_int(stdout, "rtt_us", (G.first_us ? G.first_us : now_us()) - G.sent_at_us);
		else
			json_kv_str(stdout, "rtt_us", NULL);
		json_kv_strn(stdout, "reply", p, n);
		json_end(stdout);
		return;
	}
	if (!G.tty) {
		if (fwrite(p, 1, n, stdout) != n)
			G.out_errno = errno;
		if (add_nl)
			fputc('\n', stdout);
		return;
	}
	size_t done = out_lines(stdout, p, n, 0); /* a line a line: several can come at once */
	if (done && done == n)
		return;
	p += done, n -= done;
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
			die(NT_EXIT_NET, "%s: no reply within %d ms", peer_name(), G.timeout_ms);
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
			if (n > 0)
				note_first(buf_head(&G.in) + before, n);
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			net_refused();
		if (n < 0 && errno == EPROTO && G.s)
			die(NT_EXIT_TLS, "receive: TLS error");
		if (n < 0) {
			int e = errno;
			flush_arrived(fd);
			die(NT_EXIT_NET, "receive: %s%s", e == ECONNRESET ? "connection reset by the server" : strerror(e),
			    tls_hint());
		}
		if (n == 0) {
			if (!tls_end_clean(G.s))
				nt_warn("%s: %s", peer_name(), TLS_UNCLEAN_END);
			if (!buf_pending(&G.in))
				die(NT_EXIT_NET, "connection closed by the server before a reply%s", tls_hint());
			int alert = G.s ? -1 : tls_alert_only((const unsigned char *)buf_head(&G.in), buf_pending(&G.in));
			if (alert >= 0)
				die(NT_EXIT_TLS, TLS_ALERT_ONLY, tls_alert_desc(alert));
			print_reply(buf_head(&G.in), buf_pending(&G.in), 1);
			buf_reset(&G.in);
			break;
		}
		log_proto('<', buf_head(&G.in) + before, (size_t)n);
		if (!got_any)
			G.first_us = now_us(); /* rtt_us: the send to the first byte, not the quiet wait */
		got_any = 1;
	}
	flush_out();
}

/* What the server sent beyond one line per message: printed, never dropped silently
 * (nc and socat print whatever comes). Byte for byte to a file or a pipe, made safe and
 * ended by a newline on a terminal; with --json a line an object, sent 0 and rtt_us
 * null, as what comes with no message sent. */
static void print_extra(int all)
{
	if (!buf_pending(&G.in))
		return;
	const char *p = buf_head(&G.in);
	size_t n = buf_pending(&G.in), len, whole = n;
	if (!all && (G.json || G.tty)) {
		/* A read ends anywhere: a line not ended yet waits for the rest (--json would
		 * split it into two objects, a terminal show two lines), unless it alone
		 * fills REPLY_MAX (then it comes in pieces of that size). */
		while (whole && p[whole - 1] != '\n')
			whole--;
		if (!whole && n < REPLY_MAX)
			return;
		if (!whole)
			whole = n;
		n = whole;
	}
	G.sent = 0, G.sent_at_us = 0;
	if (G.json) /* a line an object, as the replies */
		while (n && line_find(p, n, 0, &len) == LINE_OK)
			print_reply(p, len, 0), p += len, n -= len;
	if (n)
		print_reply(p, n, G.tty && p[n - 1] != '\n');
	buf_consume(&G.in, whole);
	flush_out();
}

/* Before the next message: what has arrived since the last reply belongs to it (no
 * wait). At the end (last): our half-close, then what comes until the server closes or
 * is quiet for QUIET_MS (as socat after its input's end), --timeout in all at most. */
static void drain_extra(int fd, int last)
{
	if (last) {
		int r = G.s ? stream_shutdown_wr(G.s) : shutdown(fd, SHUT_WR);
		if (r < 0)
			log_trace("%s: half-close: %s", peer_name(), strerror(errno));
	}
	long long deadline = loop_now_ms() + G.timeout_ms;
	for (;;) {
		int wait_ms = 0;
		if (last) {
			long long left = deadline - loop_now_ms();
			if (left <= 0) {
				print_extra(1);
				nt_warn("%s: still sending %d ms after the last reply: not read further", peer_name(), G.timeout_ms);
				return;
			}
			wait_ms = left < QUIET_MS ? (int)left : QUIET_MS;
		}
		if (buf_pending(&G.in) >= REPLY_MAX || (last && !G.json))
			print_extra(0); /* as it comes */
		struct pollfd pf = {.fd = fd, .events = net_events(POLLIN)};
		int r = wait_ms ? net_wait(fd, POLLIN, wait_ms) : poll(&pf, 1, 0); /* sock_wait: 0 is no limit */
		if (r <= 0)
			break;
		size_t before = buf_pending(&G.in);
		ssize_t n = net_read_in(fd);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) { /* a reset, TLS garbage: the replies are printed, the failure said */
			int e = errno;
			print_extra(1);
			G.fail = e == EPROTO && G.s ? NT_EXIT_TLS : NT_EXIT_NET;
			nt_warn("%s: after the last reply: %s", peer_name(),
				G.fail == NT_EXIT_TLS ? "TLS error" : e == ECONNRESET ? "connection reset by the server" : strerror(e));
			break;
		}
		if (n == 0) {
			if (!tls_end_clean(G.s))
				nt_warn("%s: %s", peer_name(), TLS_UNCLEAN_END);
			break; /* every message had its reply: an end here is no failure */
		}
		log_proto('<', buf_head(&G.in) + before, (size_t)n);
	}
	print_extra(1);
}

static void exchange(int fd, const char *msg, size_t n)
{
	if (G.replied) /* not before the first: what came then (a banner) is its reply, as documented */
		drain_extra(fd, 0); /* the last reply's further lines go before this message */
	/* Static: a send that fails dies with it still held, reachable (no leak said by LSan). */
	static char *line;
	line = xmalloc(n + 1);
	memcpy(line, msg, n);
	size_t len = n;
	if (!G.nonl)
		line[len++] = '\n';
	log_proto('>', line, len);
	G.sent = len;
	G.sent_at_us = now_us();
	G.first_us = 0;
	send_all(fd, line, len);
	free(line);
	line = NULL;
	read_reply(fd);
	G.replied = 1;
}

/* No message: print what the server sends until it closes (daytime, time, a banner).
 * Byte for byte to a file or pipe, made safe on a terminal. Nothing arriving for the
 * reply timeout is exit 3. */
static int listen_only(int fd)
{
	char b[65536];
	int got_any = 0;
	G.sent = 0;
	G.sent_at_us = 0;
	for (;;) {
		int r = net_wait(fd, POLLIN, G.timeout_ms);
		if (r < 0)
			die_sys(NT_EXIT_NET, "poll");
		if (r == 0) {
			flush_arrived(fd);
			die(NT_EXIT_NET, "%s: nothing %sarrived for %d ms and the server did not close", peer_name(),
			    got_any ? "more " : "", G.timeout_ms);
		}
		ssize_t n = net_read(fd, b, sizeof b);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			net_refused();
		if (n < 0) {
			flush_arrived(fd);
			int e = errno;
			die(NT_EXIT_NET, "receive: %s%s", e == ECONNRESET ? "connection reset by the server" : strerror(e),
			    tls_hint());
		}
		if (n == 0 && !got_any) {
			/* A refusal (--max-per-ip), an idle or handshake timeout: no answer at all is
			 * no success (nettool-tcp-send(1): closed before a reply is exit 3). */
			if (G.json) {
				json_begin(stdout);
				json_kv_int(stdout, "sent", 0);
				json_kv_int(stdout, "received", 0);
				json_kv_str(stdout, "rtt_us", NULL);
				json_kv_str(stdout, "reply", NULL);
				json_kv_str(stdout, "reason", "closed the connection without sending anything");
				json_end(stdout);
				flush_out();
			}
			die(NT_EXIT_NET, "%s closed the connection without sending anything", peer_name());
		}
		if (n == 0)
			break;
		got_any = 1;
		log_proto('<', b, (size_t)n);
		if (G.json) {
			if (buf_append(&G.in, b, (size_t)n) < 0)
				die(NT_EXIT_PROTO, "more than %d bytes: not read further with --json", REPLY_MAX);
		} else {
			print_reply(b, (size_t)n, 0);
			flush_out(); /* as it comes: the server may keep the connection open */
		}
	}
	if (G.json && buf_pending(&G.in))
		print_reply(buf_head(&G.in), buf_pending(&G.in), 0);
	flush_out();
	return 0;
}

/* nc-like (core/relay.c): stdin to the socket (half-close at its end), the socket to
 * stdout; exit 0 only when all of stdin went and the server's end of stream came. */
static int stream_mode(int fd)
{
	int plain = !G.s;
	struct stream *s = G.s ? G.s : stream_socket(fd, 0, 0); /* --tls: end of input = close_notify */
	if (!s)
		die(NT_EXIT_IO, "out of memory");
	G.s = NULL;
	struct relay_opts o = {.in_fd = 0, .out_fd = 1, .close_out = 0, .idle_ms = G.idle_ms};
	struct relay_result r;
	char err[512];
	int rc = relay_run(s, &o, &r, err, sizeof err);
	/* A transfer that did not end cleanly (-w's idle timeout, our output failed) is a
	 * reset to the receiver, which must not take it for a clean end (tcp-serve --stream
	 * does the same). */
	if (rc)
		stream_abort(s);
	else
		stream_close(s);
	if (rc)
		die(rc, "%s", err);
	/* All it sent was a TLS alert, then a clean end: the bytes went out as they came (a
	 * stream), the failure is said and is no success. */
	int alert = plain && r.received == 7 ? tls_alert_only(r.head, r.nhead) : -1;
	if (alert >= 0)
		die(NT_EXIT_TLS, TLS_ALERT_ONLY, tls_alert_desc(alert));
	return 0;
}

int tcp_send_main(int argc, char **argv)
{
	struct opt_state os;
	int per_line = 0, stream = 0, zero = 0, w_set = 0;
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
		case O_JSON: G.json = 1; break;
		case 'z': zero = 1; break;
		case 'w':
			/* 0 would be no time at all to connect, and no idle limit: neither is meant. */
			if (os.num <= 0)
				opt_usage_error("-w: the timeout must be more than 0 seconds");
			G.idle_ms = (int)os.num, w_set = 1;
			break;
		}
	}
	conn_opts_finish(&G.co, CONN_PROXY_OWN);
	G.family = G.co.family;
	G.timeout_ms = G.co.timeout_ms;
	if (w_set)
		G.timeout_ms = G.idle_ms;
	char **args = argv + os.ind;
	int nargs = argc - os.ind;
	char err[ADDR_ERRLEN];
	if (unix_path) {
		if (strlen(unix_path) >= sizeof G.a.path)
			opt_usage_error("--unix: path too long");
		G.a.is_unix = 1;
		strcpy(G.a.path, unix_path);
	} else {
		int used = addr_parse_args(args, nargs, 8888, &G.a, err);
		if (used < 0)
			opt_usage_error("%s", err);
		args += used, nargs -= used;
	}
	if (stream && (per_line || nargs))
		opt_usage_error("--stream takes no messages and no --per-line");
	if (!G.tls && (G.co.cacert || G.co.insecure || G.co.cert || G.co.key || G.co.pinnedpubkey))
		opt_usage_error("--cacert, --insecure, --cert, --key and --pinnedpubkey go with --tls");
	/* A unix socket has no host name to check the certificate against: a CA-signed one
	 * for any name would pass. Over --unix the server is known by its pinned key, or
	 * not verified at all (--insecure, said); socat's OPENSSL over UNIX likewise. */
	if (G.tls && G.a.is_unix && !G.co.insecure && !G.co.pinnedpubkey)
		opt_usage_error("--tls over --unix: no host name to verify the certificate against; "
				"give --pinnedpubkey (the server's key), or --insecure");
	if (zero && (stream || per_line || nargs || G.json))
		opt_usage_error("-z sends nothing: no messages, no --stream, --per-line or --json");
	if (G.json && stream)
		opt_usage_error("--json and --stream exclude each other: with --stream, standard output is the data");
	buf_init(&G.in, REPLY_MAX);
	if (!G.a.is_unix) {
		int code = conn_decide(&G.co, "tcp", G.a.host, CONN_PROXY_OWN, &G.plan, err, sizeof err);
		if (code)
			die(code, "%s", err);
	} else if (G.co.proxy && *G.co.proxy) {
		opt_usage_error("--proxy and --unix exclude each other");
	}

	if (zero) {
		close(do_connect());
		log_trace("%s: connected", peer_name());
		return 0;
	}
	G.stream = stream;
	if (stream)
		return stream_mode(do_connect()); /* nc-like: byte for byte, terminal or not */
	G.tty = isatty(1) && !G.json;

	int fd = per_line ? -1 : do_connect();
	struct input in;
	const char *msg;
	size_t len;
	int sent_any = 0;
	input_init(&in, args, nargs);
	for (;; sent_any = 1) {
		if (!input_next(&in, &msg, &len)) {
			/* Nothing to send at all, and not a terminal: the daytime case. */
			if (!sent_any && !in.tty && !per_line)
				listen_only(fd);
			break;
		}
		if (per_line)
			fd = do_connect();
		exchange(fd, msg, len);
		if (per_line)
			drain_extra(fd, 1), net_close(fd), fd = -1;
	}
	input_free(&in);
	if (fd >= 0) {
		if (sent_any)
			drain_extra(fd, 1);
		net_close(fd);
	}
	buf_free(&G.in);
	return G.fail;
}
