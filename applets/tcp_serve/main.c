/* SPDX-License-Identifier: MIT */
/* tcp_serve/main.c - timestamp / echo (RFC 862) / daytime (RFC 867) server over TCP, and
 * the options, listeners, loop and accept of every other mode (serve.h)
 *
 * The textbook's server answers each message with '%s %s' % (ctime(), data). Ours does
 * the same for every client at once: one epoll loop per worker process, non-blocking
 * sockets, bounded memory per client, backpressure on clients that do not read, and a
 * cap on the partial lines of all clients together (--max-partial). The port is bound
 * once and --workers are supervised by core/listen.c. With --tls every connection
 * starts with a non-blocking handshake in the same loop (tlsconn.c) and then goes
 * through the connection's read and write (conn_read, conn_write), so every mode and
 * every bound is the same over TLS.
 *
 * The other modes live beside this file: exec.c (--exec, --sh-exec), recv.c (--stream)
 * and services.c (--discard, --chargen, --time).
 *
 * Man page: man/nettool-tcp-serve.1    Tests: tests/integration/tcp_serve.sh,
 * tests/integration/tcp_exec.sh, tests/integration/tcp_services.sh,
 * tests/integration/tcp_tls.sh
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "json.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "nt_err.h"
#include "opt.h"
#include "serve.h"
#include "sock.h"
#include "stamp.h"
#include "tlsconn.h"

enum mode { MODE_STAMP, MODE_LINE, MODE_ECHO, MODE_DAYTIME, MODE_DISCARD, MODE_CHARGEN, MODE_TIME, MODE_EXEC,
	    MODE_STREAM };
static const char *const mode_opt[] = {"", "--line", "--echo", "--daytime", "--discard", "--chargen", "--time",
				       "--exec", "--stream"};

enum {
	O_LINE = OPT_LONG, O_ECHO, O_DAYTIME, O_UNIX, O_MAXCLIENTS, O_IDLE, O_MAXLINE,
	O_WORKERS, O_REUSEPORT, O_TIMEFMT, O_UTC, O_MAXPARTIAL, O_DISCARD, O_CHARGEN, O_TIME, O_EXEC, O_SHEXEC,
	O_MAXPERIP, O_STREAM, O_KEEP, O_JSON, O_TLS, O_CERT, O_KEY, O_CACERT, O_VERIFYCLIENT, O_HSTIMEOUT,
};

static const struct opt opts[] = {
	{'l', "listen", OPT_STR, "ADDR", "listen on ADDR only (default: every address, IPv4 and IPv6)"},
	{'p', "port", OPT_PORT, "PORT", "listen on PORT (default 8888)"},
	{O_UNIX, "unix", OPT_FILE, "PATH", "listen on a unix socket instead"},
	OPT_ROWS_IP,
	{O_LINE, "line", OPT_FLAG, NULL, "answer one line, then close (socketserver style)"},
	{O_ECHO, "echo", OPT_FLAG, NULL, "echo what arrives (RFC 862)"},
	{O_DAYTIME, "daytime", OPT_FLAG, NULL, "send the time and close (RFC 867)"},
	{O_DISCARD, "discard", OPT_FLAG, NULL, "read and throw away what arrives (RFC 863)"},
	{O_CHARGEN, "chargen", OPT_FLAG, NULL, "send the RFC 864 character pattern until the client closes"},
	{O_TIME, "time", OPT_FLAG, NULL, "send the time as 32-bit seconds since 1900 and close (RFC 868)"},
	{O_EXEC, "exec", OPT_STR, "PROG", "run PROG per connection, on its stdin/stdout; the rest of the line are its arguments"},
	{O_SHEXEC, "sh-exec", OPT_RAW, "STRING", "run /bin/sh -c STRING per connection (as ncat's)"},
	{O_MAXPERIP, "max-per-ip", OPT_UINT, "N", "--exec: at most N connections from one address (more are closed)", 1, 10000000},
	{O_STREAM, "stream", OPT_FLAG, NULL, "nc -l: one connection to stdin/stdout, full duplex, then exit"},
	{O_KEEP, "keep", OPT_FLAG, NULL, "--stream: serve connections one after another, never exit"},
	{O_JSON, "json", OPT_FLAG, NULL, "one JSON object per connection on stdout (peer, bytes, duration, why it ended)"},
	{O_MAXCLIENTS, "max-clients", OPT_UINT, "N", "serve at most N clients at once (others wait)", 1, 10000000},
	{O_IDLE, "idle-timeout", OPT_SECS, "SEC", "close a client idle for SEC seconds"},
	{O_MAXLINE, "max-line", OPT_SIZE, "BYTES", "answer longer lines in pieces of BYTES (default 64k)", 1, 1 << 24},
	{O_MAXPARTIAL, "max-partial", OPT_SIZE, "BYTES",
	 "cap on partial-line buffer memory per worker; not with --echo/--daytime (default 32M, min 64k)",
	 1, (long long)1 << 40},
	{O_WORKERS, "workers", OPT_UINT, "N", "N worker processes sharing the listening socket", 1, 256},
	{O_REUSEPORT, "reuseport", OPT_FLAG, NULL, "SO_REUSEPORT: every server of this user on the port with it shares the traffic"},
	{O_TLS, "tls", OPT_FLAG, NULL, "serve over TLS (needs --cert and --key; SIGHUP reloads them)"},
	{O_CERT, "cert", OPT_FILE, "FILE", "the server's certificate chain (PEM) for --tls"},
	{O_KEY, "key", OPT_FILE, "FILE", "the private key of --cert (PEM, no passphrase)"},
	{O_VERIFYCLIENT, "verify-client", OPT_FLAG, NULL, "require a client certificate that verifies against --cacert"},
	{O_CACERT, "cacert", OPT_FILE, "FILE", "CA certificates for --verify-client (required with it)"},
	{O_HSTIMEOUT, "handshake-timeout", OPT_SECS, "SEC", "close a client whose TLS handshake takes longer (default 10)"},
	{O_TIMEFMT, "time-format", OPT_RAW, "FMT", "strftime(3) format of the stamp (default: ctime)"},
	{O_UTC, "utc", OPT_FLAG, NULL, "stamp in UTC"},
	{'q', "quiet", OPT_FLAG, NULL, "no connection log"},
	{'v', "verbose", OPT_FLAG, NULL, "also trace backpressure (paused and resumed clients)"},
	{0},
};

static const struct opt_spec spec = {
	.usage = "[OPTIONS] [--exec PROG [ARGS...]]",
	.opts = opts,
	.footer = "Each line a client sends is answered 'STAMP line' (STAMP as ctime(3) prints it).\n"
		  "A message without a newline is answered once nothing more is there to read.\n"
		  "--exec takes the rest of the command line: PROG and its arguments, no shell. The program\n"
		  "gets PROTO=TCP, TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP and TCPLOCALPORT (UCSPI-TCP).\n",
};

/* Output above this stops reading from the client until it drains (backpressure). */
#define OUT_HIGH (64 * 1024)
#define SCRATCH (64 * 1024)


static struct {
	enum mode mode;
	const char *host;
	int port;
	const char *unix_path;
	int family;
	long long max_clients;
	long long idle_ms;
	size_t max_line;
	size_t max_partial;     /* cap on G.held */
	size_t held;            /* memory of every client's partial line (c->in) */
	int workers;
	int reuseport;
	int tls;
	long long hs_ms;        /* --handshake-timeout */
	struct listeners listeners; /* bound once by the supervisor */
	struct stamp stamp;

	struct loop *loop;
	int lfd[SOCK_LISTEN_MAX];
	int nlfd;
	int accepting;          /* listeners are watched */
	long long retry_timer;  /* re-enable accept after EMFILE */
	int emfile_logged;      /* said once per episode, not every retry */
	long long partial_timer; /* --max-partial closings: the episode's summary timer */
	long long partial_since; /* start of the summary's window */
	unsigned long partial_more; /* closings not logged one by one in that window */
	struct client **clients; /* by descriptor */
	struct conn_stats *stats; /* by descriptor, with --json only */
	int nclients_cap;
	long long nclients;
	int stopping;
	char scratch[SCRATCH];  /* read buffer shared by all clients */
	struct buf reply;       /* replies built for one read, written at once */
	int keep;               /* --stream --keep */
	struct exec_conf exec;
} G;

struct loop *serve_loop;
int serve_json;

/* Every read and write of a connection in the loop: one place each, where a TLS session
 * takes over (see serve.h). */
/* On a TLS connection (c->ssl) the session's read and write: EAGAIN then notes in
 * c->rd_want / c->wr_want the event the session waits for, which want() watches. The
 * byte counts are the application's (after decryption). */
ssize_t conn_read(struct client *c, void *p, size_t n)
{
	ssize_t r;
	if (c->ssl) {
		int w = LOOP_READ;
		r = tlsconn_read(c->ssl, p, n, &w);
		c->rd_want = r < 0 && errno == EAGAIN ? (unsigned)w : LOOP_READ;
	} else {
		r = read(c->fd, p, n);
	}
	if (r > 0)
		if (serve_json)
			G.stats[c->fd].nin += (unsigned long long)r;
	return r;
}

ssize_t conn_write(struct client *c, const void *p, size_t n)
{
	ssize_t w;
	if (c->ssl) {
		int wt = LOOP_WRITE;
		w = tlsconn_write(c->ssl, p, n, &wt);
		c->wr_want = w < 0 && errno == EAGAIN ? (unsigned)wt : LOOP_WRITE;
	} else {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
	}
	if (w > 0)
		if (serve_json)
			G.stats[c->fd].nout += (unsigned long long)w;
	return w;
}

void serve_json_conn(const char *peer, long long in, long long out, long long ms, const char *why, int status,
		     const char *signal_name)
{
	json_begin(stdout);
	json_kv_str(stdout, "peer", peer);
	if (in >= 0)
		json_kv_int(stdout, "bytes_in", in);
	else
		json_kv_str(stdout, "bytes_in", NULL);
	if (out >= 0)
		json_kv_int(stdout, "bytes_out", out);
	else
		json_kv_str(stdout, "bytes_out", NULL);
	json_kv_int(stdout, "duration_ms", ms);
	json_kv_str(stdout, "reason", why);
	if (status >= -1) {
		json_kv_int(stdout, "exit_status", status);
		json_kv_str(stdout, "signal", signal_name);
	}
	json_end(stdout);
	fflush(stdout);
}

static void client_close(struct client *c, const char *why);
static void client_event(struct loop *l, int fd, int mask, void *data);
static void tls_step(struct client *c);

static void set_accepting(int on)
{
	if (G.accepting == on)
		return;
	for (int i = 0; i < G.nlfd; i++)
		loop_mod(G.loop, G.lfd[i], on ? LOOP_READ : 0);
	G.accepting = on;
}

static void update_accepting(void)
{
	if (G.stopping)
		return;
	int room = !G.max_clients || G.nclients < G.max_clients;
	if (room && !G.retry_timer)
		set_accepting(1);
	else if (!room)
		set_accepting(0);
}

static void want(struct client *c)
{
	int mask = 0;
	if (!c->ssl) {
		if (!c->paused && !c->closing)
			mask |= LOOP_READ;
		if (buf_pending(&c->out) || (G.mode == MODE_CHARGEN && !c->closing))
			mask |= LOOP_WRITE;
		loop_mod(G.loop, c->fd, mask);
		return;
	}
	/* TLS: a read may wait for the socket to take output and a write for input. */
	if (c->handshake) {
		loop_mod(G.loop, c->fd, c->rd_want);
		return;
	}
	int reading = !c->paused && !c->closing;
	if (reading)
		mask |= c->rd_want;
	if (buf_pending(&c->out) || (G.mode == MODE_CHARGEN && !c->closing))
		mask |= c->wr_want;
	loop_mod(G.loop, c->fd, mask);
	/* Input OpenSSL has already taken off the socket: epoll will not say so. */
	if (reading && tlsconn_pending(c->ssl))
		loop_fire(G.loop, c->fd, LOOP_READ);
}

/* Send what is queued; 0 ok, -1 the client is gone. Empty buffers are freed so that an
 * idle client costs only its struct. */
static int flush_out(struct client *c)
{
	while (buf_pending(&c->out)) {
		ssize_t w = conn_write(c, buf_head(&c->out), buf_pending(&c->out));
		if (w > 0) {
			buf_consume(&c->out, (size_t)w);
			c->last = loop_now_ms();
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		return -1;
	}
	if (!buf_pending(&c->out))
		buf_free(&c->out);
	if (c->paused && buf_pending(&c->out) < OUT_HIGH / 2) {
		c->paused = 0;
		log_trace("%s reads again: resumed", c->addr);
	}
	return 0;
}

/* Write the replies built in G.reply: straight to the socket when it takes them, the
 * rest into the client's output buffer. */
static int send_reply(struct client *c)
{
	const char *p = buf_head(&G.reply);
	size_t n = buf_pending(&G.reply);
	if (!buf_pending(&c->out)) {
		while (n) {
			ssize_t w = conn_write(c, p, n);
			if (w > 0) {
				p += w;
				n -= (size_t)w;
				continue;
			}
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			buf_reset(&G.reply);
			return -1;
		}
	}
	if (n && buf_append(&c->out, p, n) < 0) {
		buf_reset(&G.reply);
		return -1;
	}
	buf_reset(&G.reply);
	if (buf_pending(&c->out) >= OUT_HIGH && !c->paused) {
		c->paused = 1;
		log_trace("%s does not read its replies: paused with %zu bytes queued", c->addr, buf_pending(&c->out));
	}
	return 0;
}

static int add_stamped(const char *p, size_t n)
{
	size_t sl;
	const char *s = stamp_now(&G.stamp, &sl);
	char *t = buf_reserve(&G.reply, sl + 1 + n);
	if (!t)
		return -1;
	memcpy(t, s, sl);
	t[sl] = ' ';
	memcpy(t + sl + 1, p, n);
	buf_commit(&G.reply, sl + 1 + n);
	return 0;
}

/* Answer every complete line (or max_line piece) of p[0..n); return how many bytes were
 * consumed. With drained, a trailing partial message is answered too. */
static size_t answer_lines(struct client *c, const char *p, size_t n, int drained)
{
	size_t used = 0;
	while (used < n && !(G.mode == MODE_LINE && c->answered)) {
		size_t len;
		enum line_result r = line_find(p + used, n - used, G.max_line, &len);
		if (r == LINE_NONE) {
			if (!drained || G.mode == MODE_LINE)
				break;
			len = n - used;
		}
		add_stamped(p + used, len);
		used += len;
		if (G.mode == MODE_LINE)
			c->answered = 1;
	}
	return used;
}

/* Handle bytes that arrived (p, n). drained: the socket had nothing more to read. */
static void process(struct client *c, const char *p, size_t n, int drained)
{
	if (G.mode == MODE_ECHO) {
		if (buf_append(&G.reply, p, n) < 0)
			c->closing = 1; /* out of memory: this client only */
		return;
	}
	if (G.mode == MODE_DAYTIME || G.mode == MODE_DISCARD || G.mode == MODE_CHARGEN || G.mode == MODE_TIME)
		return; /* RFC 867, 863, 864, 868: what the client sends is thrown away */
	if (buf_pending(&c->in)) {
		/* Complete the saved partial line first. */
		if (buf_append(&c->in, p, n) < 0)
			c->closing = 1; /* out of memory: this client only */
		size_t used = answer_lines(c, buf_head(&c->in), buf_pending(&c->in), drained);
		buf_consume(&c->in, used);
		if (!buf_pending(&c->in) || c->answered)
			buf_free(&c->in);
		return;
	}
	size_t used = answer_lines(c, p, n, drained);
	if (used < n && !c->answered)
		if (buf_append(&c->in, p + used, n - used) < 0)
			c->closing = 1; /* out of memory: this client only */
}

/* How much to read now so that the replies to it, at worst, still fit under OUT_HIGH:
 * in stamp modes every byte can be a line of its own (an empty line costs a stamp). */
static size_t read_budget(const struct client *c)
{
	if (G.mode == MODE_ECHO || G.mode == MODE_DISCARD || G.mode == MODE_CHARGEN)
		return SCRATCH;
	size_t out = buf_pending(&c->out);
	size_t room = out < OUT_HIGH ? OUT_HIGH - out : 0;
	size_t per_byte = G.stamp.cached_len ? G.stamp.cached_len + 2 : 130;
	size_t want = room / per_byte;
	if (want < 512)
		want = 512;
	return want > SCRATCH ? SCRATCH : want;
}

/* The whole-process cap on partial lines: c->in is bounded per client (max_line plus
 * one read), but not the sum over 10,000 clients. The memory each c->in holds is
 * counted in G.held; over --max-partial, the client holding the most is closed. */
static void held_account(struct client *c)
{
	G.held = G.held - c->held + c->in.cap;
	c->held = c->in.cap;
}

/* --max-partial closings are logged once per episode, -q or not: the first one in a
 * line of its own, the next ones counted and summed up at most once per
 * PARTIAL_LOG_MS, so that clients cannot flood the log. The episode ends when a
 * window passes without a closing. */
#define PARTIAL_LOG_MS 5000
/* The smallest --max-partial taken (or --max-line, when larger). */
#define PARTIAL_MIN (64 * 1024)

static void partial_summary(void)
{
	long long now = loop_now_ms();
	if (G.partial_more)
		nt_warn("%lu more client%s closed for --max-partial in the last %lld s", G.partial_more,
			G.partial_more == 1 ? "" : "s", (now - G.partial_since + 999) / 1000);
	G.partial_more = 0;
	G.partial_since = now;
}

static void partial_window_end(struct loop *l, long long id, void *data)
{
	(void)id;
	(void)data;
	G.partial_timer = 0;
	if (!G.partial_more)
		return; /* a quiet window: the episode is over */
	partial_summary();
	G.partial_timer = loop_timer_add(l, PARTIAL_LOG_MS, partial_window_end, NULL);
}

static void partial_closed_log(const struct client *big)
{
	if (G.partial_timer) {
		G.partial_more++;
		return;
	}
	nt_warn("closed %s: it held the most partial-line buffer, %zu bytes, when all clients held %zu bytes of "
		"buffer (--max-partial %zu)", big->addr, big->held, G.held, G.max_partial);
	G.partial_since = loop_now_ms();
	G.partial_timer = loop_timer_add(G.loop, PARTIAL_LOG_MS, partial_window_end, NULL);
}

/* Close the biggest holders until G.held fits; 1 if c was one of them. */
static int held_enforce(struct client *c)
{
	int closed_c = 0;
	while (G.held > G.max_partial) {
		struct client *big = NULL;
		for (int fd = 0; fd < G.nclients_cap; fd++) {
			struct client *x = G.clients[fd];
			if (x && (!big || x->held > big->held))
				big = x;
		}
		if (!big || !big->held)
			break;
		partial_closed_log(big); /* said even with -q: a client was refused service */
		closed_c |= big == c;
		client_close(big, "over --max-partial");
	}
	return closed_c;
}

static void client_read(struct client *c)
{
	/* Bounded work per wake-up so that one fast client cannot starve the others. */
	for (int rounds = 0; rounds < 8 && !c->paused && !c->closing; rounds++) {
		size_t want = read_budget(c);
		ssize_t r = conn_read(c, G.scratch, want);
		if (r > 0) {
			c->last = loop_now_ms();
			/* A short read means the socket is drained for now. Not over TLS, where a
			 * read returns one record at most: there the next read says EAGAIN. */
			int drained = (size_t)r < want && !c->ssl;
			process(c, G.scratch, (size_t)r, drained);
			if (send_reply(c) < 0) {
				client_close(c, "write failed");
				return;
			}
			if (G.mode == MODE_LINE && c->answered) {
				c->closing = 1;
				break;
			}
			if (drained)
				break;
			continue;
		}
		if (r == 0) {
			/* End of input: answer a last partial message, then close after flushing. */
			if (buf_pending(&c->in) && (G.mode == MODE_STAMP || G.mode == MODE_LINE)) {
				add_stamped(buf_head(&c->in), buf_pending(&c->in));
				buf_free(&c->in);
				send_reply(c);
			}
			c->closing = 1;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* Drained after a full read: answer a pending partial message now. */
			if (buf_pending(&c->in) && G.mode == MODE_STAMP) {
				size_t used = answer_lines(c, buf_head(&c->in), buf_pending(&c->in), 1);
				buf_consume(&c->in, used);
				buf_free(&c->in);
				if (send_reply(c) < 0) {
					client_close(c, "write failed");
					return;
				}
			}
			break;
		}
		client_close(c, errno == ECONNRESET ? "reset by peer" : errno == EPROTO && c->ssl ? "TLS error" : strerror(errno));
		return;
	}
	held_account(c);
	if (G.held > G.max_partial && held_enforce(c))
		return;
	if (c->closing && !buf_pending(&c->out)) {
		client_close(c, "done");
		return;
	}
	want(c);
}

static void client_event(struct loop *l, int fd, int mask, void *data)
{
	struct client *c = data;
	(void)l;
	(void)fd;
	if (c->ssl) {
		if (c->handshake) {
			tls_step(c);
			return;
		}
		if (G.mode == MODE_EXEC) {
			exec_relay_event(c); /* the session and the program's socketpair */
			return;
		}
		/* Either event can unblock either direction of a TLS session: try both. */
		mask = LOOP_READ | (buf_pending(&c->out) || (G.mode == MODE_CHARGEN && !c->closing) ? LOOP_WRITE : 0);
	}
	if ((mask & LOOP_WRITE) && G.mode == MODE_CHARGEN && !c->closing) {
		if (svc_chargen_write(c) < 0) {
			client_close(c, errno == ECONNRESET || errno == EPIPE ? "reset by peer" : "write failed");
			return;
		}
		c->last = loop_now_ms();
	}
	if (mask & LOOP_WRITE) {
		if (flush_out(c) < 0) {
			client_close(c, "write failed");
			return;
		}
		if (c->closing && !buf_pending(&c->out)) {
			client_close(c, "done");
			return;
		}
	}
	if ((mask & LOOP_READ) && !c->paused && !c->closing) {
		client_read(c);
		return;
	}
	if ((mask & LOOP_ERROR) && !(mask & LOOP_READ)) {
		client_close(c, "error");
		return;
	}
	want(c);
}

static void client_close(struct client *c, const char *why)
{
	/* --exec over TLS: the relay logs and counts the connection out once its program
	 * is reaped too. */
	if (G.mode == MODE_EXEC && exec_relay_close(c, why))
		return;
	log_info("disconnected %s (%s)", c->addr, why);
	if (serve_json)
		serve_json_conn(c->addr, (long long)G.stats[c->fd].nin, (long long)G.stats[c->fd].nout,
				loop_now_ms() - G.stats[c->fd].start, why, -2, NULL);
	serve_conn_free(c);
	serve_conn_gone();
}

void serve_client_close(struct client *c, const char *why)
{
	client_close(c, why);
}

void serve_want(struct client *c)
{
	want(c);
}

void serve_conn_free(struct client *c)
{
	loop_del(G.loop, c->fd);
	if (c->ssl)
		tlsconn_free(c->ssl); /* close_notify, when the handshake was done */
	close(c->fd);
	G.clients[c->fd] = NULL;
	G.held -= c->held;
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

void serve_conn_gone(void)
{
	G.nclients--;
	if (G.retry_timer) {
		/* A descriptor came free: accept again now rather than after the pause. */
		loop_timer_del(G.loop, G.retry_timer);
		G.retry_timer = 0;
	}
	update_accepting();
	if (G.stopping && !G.nclients)
		loop_stop(G.loop);
}

/* The connection is ready to serve (at once, or after its TLS handshake): --daytime
 * and --time send theirs and close, --chargen starts. 0, or -1 when c was closed. */
static int client_ready(struct client *c)
{
	if (G.mode == MODE_EXEC)
		return exec_relay_start(c); /* --exec over TLS: the program, and the relay to it */
	if (G.mode == MODE_CHARGEN) {
		want(c); /* the pattern goes out as the socket takes it */
		return 0;
	}
	if (G.mode != MODE_DAYTIME && G.mode != MODE_TIME)
		return 0;
	int r;
	if (G.mode == MODE_TIME) {
		r = svc_time_reply(&G.reply);
	} else {
		size_t sl;
		const char *s = stamp_now(&G.stamp, &sl);
		r = buf_append(&G.reply, s, sl) < 0 || buf_append(&G.reply, "\r\n", 2) < 0 ? -1 : 0;
	}
	c->closing = 1;
	if (r < 0 || send_reply(c) < 0 || !buf_pending(&c->out)) { /* r < 0: out of memory, this client only */
		client_close(c, "done");
		return -1;
	}
	want(c);
	return 0;
}

/* --tls: one step of the handshake; once done, serve (data may have come with it). */
static void tls_step(struct client *c)
{
	char err[300];
	int w = LOOP_READ;
	int r = tlsconn_handshake(c->ssl, &w, err, sizeof err);
	if (r < 0) {
		client_close(c, err);
		return;
	}
	if (r == 0) {
		c->rd_want = (unsigned)w;
		want(c);
		return;
	}
	c->handshake = 0;
	c->rd_want = LOOP_READ;
	c->last = loop_now_ms();
	if (log_level >= LOG_VERBOSE) {
		char d[400];
		tlsconn_describe(c->ssl, d, sizeof d);
		log_trace("%s: %s", c->addr, d);
	}
	if (client_ready(c) < 0 || G.mode == MODE_EXEC)
		return;
	if (c->closing)
		want(c);
	else
		client_read(c);
}

static void retry_accept(struct loop *l, long long id, void *data)
{
	(void)l;
	(void)id;
	(void)data;
	G.retry_timer = 0;
	update_accepting();
}

static void accept_ready(struct loop *l, int lfd, int mask, void *data)
{
	(void)mask;
	(void)data;
	for (int n = 0; n < 64; n++) {
		if (G.max_clients && G.nclients >= G.max_clients) {
			update_accepting();
			return;
		}
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		/* --exec: the program gets the socket as it is, blocking (over TLS it gets a
		 * socketpair and the connection is the loop's, as in the other modes). */
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
				 G.mode == MODE_EXEC && !G.tls ? SOCK_CLOEXEC : SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: keep serving the connected clients; try again
				 * shortly or as soon as one of them leaves. Never spin. */
				if (!G.retry_timer) {
					if (!G.emfile_logged)
						log_info("accept: %s: pausing new connections until a descriptor is free",
							 strerror(errno));
					G.emfile_logged = 1;
					set_accepting(0);
					G.retry_timer = loop_timer_add(l, 100, retry_accept, NULL);
				}
			}
			return;
		}
		if (G.emfile_logged) {
			log_info("accepting new connections again");
			G.emfile_logged = 0;
		}
		if (G.mode == MODE_EXEC && !G.tls) {
			char a[48];
			sock_addr_str((struct sockaddr *)&ss, sl, a, sizeof a);
			log_info("connected from %s", a);
			if (exec_conn(fd, (struct sockaddr *)&ss, sl, a) == 0)
				G.nclients++;
			continue;
		}
		if (fd >= G.nclients_cap) {
			int cap = G.nclients_cap ? G.nclients_cap : 1024;
			while (cap <= fd)
				cap *= 2;
			if (serve_json) {
				/* First, so that a failure leaves both arrays as they were. */
				struct conn_stats *ns = realloc(G.stats, (size_t)cap * sizeof *ns);
				if (!ns) {
					close(fd);
					continue;
				}
				G.stats = ns;
			}
			struct client **nc = realloc(G.clients, (size_t)cap * sizeof *nc);
			if (!nc) {
				close(fd);
				continue;
			}
			memset(nc + G.nclients_cap, 0, (size_t)(cap - G.nclients_cap) * sizeof *nc);
			G.clients = nc;
			G.nclients_cap = cap;
		}
		struct client *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		/* Replies go out as they are made (request/response: no Nagle delay behind a
		 * delayed ACK). Harmless on unix sockets, where it fails. */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->fd = fd;
		c->last = loop_now_ms();
		if (serve_json)
			G.stats[fd] = (struct conn_stats){.start = c->last};
		/* At rest c->in holds less than max_line bytes (answer_lines takes every
		 * complete line and every max_line piece); during one read it holds at most
		 * that plus one read. */
		buf_init(&c->in, 0);
		buf_init(&c->out, 0);
		sock_addr_str((struct sockaddr *)&ss, sl, c->addr, sizeof c->addr);
		if (loop_add(l, fd, LOOP_READ, client_event, c) < 0) {
			close(fd);
			free(c);
			continue;
		}
		G.clients[fd] = c;
		G.nclients++;
		log_info("connected from %s", c->addr);
		if (G.tls) {
			c->rd_want = LOOP_READ;
			c->wr_want = LOOP_WRITE;
			c->handshake = 1;
			c->ssl = tlsconn_new(fd);
			if (!c->ssl)
				client_close(c, "TLS: out of memory");
			continue; /* the ClientHello comes with the next read event */
		}
		client_ready(c);
	}
}

/* The sweep's period: a quarter of the shortest timeout, within 50 ms .. 1 s. */
static long long sweep_every(void)
{
	long long t = G.idle_ms > 0 ? G.idle_ms : 0;
	if (G.tls && (!t || G.hs_ms < t))
		t = G.hs_ms;
	t /= 4;
	return t < 50 ? 50 : t > 1000 ? 1000 : t;
}

static void sweep(struct loop *l, long long id, void *data)
{
	(void)id;
	(void)data;
	long long now = loop_now_ms();
	for (int fd = 0; fd < G.nclients_cap; fd++) {
		struct client *c = G.clients[fd];
		if (!c)
			continue;
		/* A handshake counts from the accept: a client trickling bytes can not stretch it. */
		if (c->handshake && now - c->last >= G.hs_ms)
			client_close(c, "TLS handshake timeout");
		else if (G.idle_ms > 0 && now - c->last >= G.idle_ms)
			client_close(c, "idle timeout");
	/* (each close is logged by client_close) */
	}
	loop_timer_add(l, sweep_every(), sweep, NULL);
}

static void stop_grace(struct loop *l, long long id, void *data)
{
	(void)id;
	(void)data;
	loop_stop(l);
}

/* SIGINT/SIGTERM: stop accepting, let queued replies drain (2 s at most), close, exit 0. */
static void on_signal(struct loop *l, int fd, int mask, void *data)
{
	(void)mask;
	(void)data;
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof si) != sizeof si)
		return;
	if (si.ssi_signo == SIGHUP) {
		/* New connections get the new certificate; live ones keep theirs. */
		char err[600];
		if (tlsconn_reload(err, sizeof err) < 0)
			nt_warn("SIGHUP: %s: still serving the certificate loaded before", err);
		else
			log_info("SIGHUP: certificate and key reloaded for new connections");
		return;
	}
	if (si.ssi_signo == SIGCHLD) {
		exec_reap();
		return;
	}
	if (G.stopping)
		return;
	G.stopping = 1;
	/* The supervisor that gave up has said why: its stop is not a signal from outside. */
	if (!workers_gave_up(si.ssi_code, (long)si.ssi_pid, si.ssi_int))
		log_info("signal %d: stopping", (int)si.ssi_signo);
	for (int i = 0; i < G.nlfd; i++) {
		loop_del(l, G.lfd[i]);
		close(G.lfd[i]);
	}
	G.nlfd = 0;
	if (G.unix_path)
		unlink(G.unix_path);
	for (int cfd = 0; cfd < G.nclients_cap; cfd++) {
		struct client *c = G.clients[cfd];
		if (!c || (G.mode == MODE_EXEC && !c->handshake))
			continue; /* a program's connection: left to finish, as in plain mode */
		c->closing = 1;
		if (flush_out(c) < 0 || !buf_pending(&c->out))
			client_close(c, "server stopping");
		else
			want(c);
	}
	if (!G.nclients)
		loop_stop(l);
	else
		loop_timer_add(l, 2000, stop_grace, NULL);
}

static void open_listeners(void)
{
	char err[SOCK_ERRLEN];
	if (G.unix_path) {
		int fd = listen_unix(G.unix_path, SOCK_STREAM, err);
		if (fd < 0)
			die(errno == ENOTSOCK ? NT_EXIT_IO : NT_EXIT_NET, "%s", err);
		G.lfd[0] = fd;
		G.nlfd = 1;
		return;
	}
	struct listen_conf lc = {.type = SOCK_STREAM, .host = G.host, .port = G.port, .family = G.family,
				 .workers = G.workers, .reuseport = G.reuseport};
	if (listen_open(&lc, &G.listeners, err) < 0)
		die(NT_EXIT_NET, "%s", err);
}

static int worker(void)
{
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	if (G.tls)
		sigaddset(&ss, SIGHUP); /* blocked since start-up: the supervisor passes it on */
	if (G.mode == MODE_EXEC)
		sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	int sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);

	G.loop = serve_loop = loop_new(1024);
	if (!G.loop || sfd < 0)
		die(NT_EXIT_IO, "cannot create the event loop: %s", strerror(errno));
	buf_init(&G.reply, 0);
	loop_add(G.loop, sfd, LOOP_READ, on_signal, NULL);
	for (int i = 0; i < G.nlfd; i++)
		loop_add(G.loop, G.lfd[i], LOOP_READ, accept_ready, NULL);
	G.accepting = 1;
	if (G.idle_ms > 0 || G.tls)
		loop_timer_add(G.loop, sweep_every(), sweep, NULL);
	if (loop_run(G.loop) < 0)
		die_sys(NT_EXIT_IO, "epoll");
	partial_summary(); /* closings still counted when the loop stopped */
	for (int fd = 0; fd < G.nclients_cap; fd++)
		if (G.clients[fd])
			client_close(G.clients[fd], "server stopped");
	free(G.clients);
	free(G.stats);
	buf_free(&G.reply);
	loop_free(G.loop);
	close(sfd);
	if (G.tls)
		tlsconn_cleanup();
	return 0;
}

/* Worker idx of --workers (or the only one): its listeners, then the loop. */
static int worker_main(int idx, void *arg)
{
	(void)arg;
	if (!G.unix_path)
		G.nlfd = listen_take(&G.listeners, idx, G.lfd);
	return worker();
}

/* --exec PROG [ARGS...]: everything after PROG belongs to it, so option parsing stops
 * at --exec. Found by walking the options as getopt will (an option's argument is
 * skipped: "-l --exec" is an address). Returns the index of "--exec", or argc. */
static int find_exec(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return argc;
		if (!strcmp(a, "--exec") || !strncmp(a, "--exec=", 7))
			return i;
		if (a[0] != '-' || !a[1])
			continue;
		const struct opt *o = NULL;
		if (a[1] == '-') {
			if (strchr(a, '='))
				continue;
			for (const struct opt *x = opts; x->key; x++)
				if (x->name && !strcmp(x->name, a + 2))
					o = x;
		} else if (!a[2]) {
			for (const struct opt *x = opts; x->key; x++)
				if (x->key == a[1])
					o = x;
		}
		if (o && o->type != OPT_FLAG && o->type != OPT_OPTSTR)
			i++;
	}
	return argc;
}

int tcp_serve_main(int argc, char **argv)
{
	struct opt_state os;
	const char *listen = NULL, *tfmt = NULL, *shexec = NULL;
	int utc = 0, modes = 0, max_partial_set = 0, idle_set = 0, maxline_set = 0, hs_set = 0;
	char **prog = NULL;
	struct tls_server_conf tc = {0};
	G.port = 8888;
	G.family = AF_UNSPEC;
	G.max_line = 64 * 1024;
	G.max_partial = 32 << 20;
	G.workers = 1;
	G.hs_ms = 10000;
	int xi = find_exec(argc, argv);
	if (xi < argc) {
		if (argv[xi][6] == '=') {
			argv[xi] += 7; /* --exec=PROG */
			prog = argv + xi;
		} else {
			prog = argv + xi + 1;
		}
		if (!*prog || !**prog)
			opt_usage_error("--exec needs a program");
		G.mode = MODE_EXEC, modes++;
		argc = xi;
	}
	opt_init(&os, &spec, argc, argv);
	for (int k; (k = opt_next(&os)) != -1;) {
		switch (k) {
		case 'l': listen = os.str; break;
		case 'p': G.port = (int)os.num; break;
		case O_UNIX: G.unix_path = os.str; break;
		case '4': G.family = AF_INET; break;
		case '6': G.family = AF_INET6; break;
		case O_LINE: G.mode = MODE_LINE, modes++; break;
		case O_ECHO: G.mode = MODE_ECHO, modes++; break;
		case O_DAYTIME: G.mode = MODE_DAYTIME, modes++; break;
		case O_DISCARD: G.mode = MODE_DISCARD, modes++; break;
		case O_CHARGEN: G.mode = MODE_CHARGEN, modes++; break;
		case O_TIME: G.mode = MODE_TIME, modes++; break;
		case O_SHEXEC: G.mode = MODE_EXEC, modes++, shexec = os.str; break;
		case O_STREAM: G.mode = MODE_STREAM, modes++; break;
		case O_KEEP: G.keep = 1; break;
		case O_MAXPERIP: G.exec.per_ip = (int)os.num; break;
		case O_JSON: serve_json = 1; break;
		case O_MAXCLIENTS: G.max_clients = os.num; break;
		case O_IDLE: G.idle_ms = os.num, idle_set = 1; break;
		case O_MAXLINE: G.max_line = (size_t)os.num, maxline_set = 1; break;
		case O_MAXPARTIAL: G.max_partial = (size_t)os.num, max_partial_set = 1; break;
		case O_WORKERS: G.workers = (int)os.num; break;
		case O_REUSEPORT: G.reuseport = 1; break;
		case O_TIMEFMT: tfmt = os.str; break;
		case O_UTC: utc = 1; break;
		case O_TLS: G.tls = 1; break;
		case O_CERT: tc.cert = os.str; break;
		case O_KEY: tc.key = os.str; break;
		case O_CACERT: tc.cacert = os.str; break;
		case O_VERIFYCLIENT: tc.verify_client = 1; break;
		case O_HSTIMEOUT: G.hs_ms = os.num, hs_set = 1; break;
		case 'q': log_level = LOG_QUIET; break;
		case 'v': log_level = LOG_VERBOSE; break;
		}
	}
	if (os.ind < argc)
		opt_usage_error("unexpected argument '%s'", argv[os.ind]);
	if (modes > 1)
		opt_usage_error("--line, --echo, --daytime, --discard, --chargen, --time, --exec, --sh-exec and --stream "
				"exclude each other");
	const char *m = mode_opt[G.mode];
	if (G.unix_path && listen)
		opt_usage_error("--unix and -l exclude each other");
	if (max_partial_set && G.mode != MODE_STAMP && G.mode != MODE_LINE)
		opt_usage_error("--max-partial applies to the stamp modes (default and --line): %s holds no partial lines",
				m);
	if (maxline_set && G.mode != MODE_STAMP && G.mode != MODE_LINE)
		opt_usage_error("--max-line applies to the stamp modes (default and --line), not to %s", m);
	if ((tfmt || utc) && G.mode != MODE_STAMP && G.mode != MODE_LINE && G.mode != MODE_DAYTIME)
		opt_usage_error("--time-format and --utc apply to the stamp modes and --daytime, not to %s", m);
	if (G.exec.per_ip && G.mode != MODE_EXEC)
		opt_usage_error("--max-per-ip applies to --exec and --sh-exec");
	if (G.keep && G.mode != MODE_STREAM)
		opt_usage_error("--keep applies to --stream");
	if (idle_set && (G.mode == MODE_EXEC))
		opt_usage_error("--idle-timeout does not apply to --exec: the program owns the connection");
	if (G.mode == MODE_STREAM) {
		if (serve_json)
			opt_usage_error("--json and --stream exclude each other: with --stream, standard output is the data");
		if (G.workers > 1 || G.max_clients)
			opt_usage_error("--stream serves one connection at a time: no --workers, no --max-clients");
	}
	/* The cap counts buffer capacity (the memory), which one client's line already
	 * grows to --max-line plus a read: a smaller cap would close honest clients. */
	size_t partial_min = G.max_line > PARTIAL_MIN ? G.max_line : PARTIAL_MIN;
	if (G.max_partial < partial_min)
		opt_usage_error("--max-partial %zu is below %zu bytes (64k or --max-line, the larger)", G.max_partial,
				partial_min);
	if (G.tls && (!tc.cert || !tc.key))
		opt_usage_error("--tls needs --cert FILE and --key FILE");
	if (!G.tls && (tc.cert || tc.key || tc.cacert || tc.verify_client || hs_set))
		opt_usage_error("--cert, --key, --cacert, --verify-client and --handshake-timeout go with --tls");
	if (!!tc.cacert != !!tc.verify_client)
		opt_usage_error("--cacert is the CA of --verify-client: give both (the system's CAs would accept any public certificate)");
	if (G.tls && G.hs_ms <= 0)
		opt_usage_error("--handshake-timeout must be more than 0");
	if (tfmt && stamp_check_format(tfmt) < 0)
		opt_usage_error("--time-format '%s' gives an empty or over-long stamp", tfmt);
	if (listen) {
		struct addr a;
		char err[ADDR_ERRLEN];
		if (addr_parse(listen, G.port, &a, err) < 0)
			opt_usage_error("-l: %s", err);
		if (a.is_unix)
			G.unix_path = xstrdup(a.path);
		else
			G.host = xstrdup(a.host), G.port = a.port;
	}
	stamp_init(&G.stamp, tfmt, utc);
	if (G.mode == MODE_EXEC) {
		static char *sh[4] = {"/bin/sh", "-c", NULL, NULL};
		if (shexec)
			sh[2] = (char *)shexec, prog = sh;
		G.exec.argv = prog;
		char err[600];
		if (exec_init(&G.exec, err, sizeof err) < 0)
			opt_usage_error("--exec: %s", err);
	}
	/* Descriptors: raise the soft limit to the hard one (10,000 clients need it). */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	if (G.reuseport && G.unix_path)
		opt_usage_error("--reuseport applies to TCP ports, not to --unix");
	if (G.tls) {
		/* Loaded before the port is bound: a bad file is exit 4 with nothing listening.
		 * SIGHUP is blocked from here on; each worker reads it from its signalfd (with
		 * --workers the supervisor passes it on). */
		char err[600];
		if (tlsconn_setup(&tc, err, sizeof err) < 0)
			die(NT_EXIT_TLS, "%s", err);
		sigset_t hup;
		sigemptyset(&hup);
		sigaddset(&hup, SIGHUP);
		sigprocmask(SIG_BLOCK, &hup, NULL);
	}
	/* Bound here, once, before any worker exists: a busy port fails now (exit 3). */
	open_listeners();
	if (G.unix_path)
		log_info("listening on unix:%s", G.unix_path);
	else {
		char a[300];
		addr_format(a, sizeof a, G.host ? G.host : "*", G.port);
		log_info("listening on %s%s%s", a, G.family == AF_INET ? " (IPv4)" : G.family == AF_INET6 ? " (IPv6)" : "",
			 G.tls ? " (TLS)" : "");
	}
	fflush(stderr);
	if (G.mode == MODE_STREAM) {
		int rc = recv_run(G.unix_path ? G.lfd : G.listeners.fd[0], G.unix_path ? G.nlfd : G.listeners.n, G.keep,
				  (int)G.idle_ms, G.tls, (int)G.hs_ms);
		if (G.unix_path)
			unlink(G.unix_path);
		return rc;
	}
	int rc = G.workers > 1 ? workers_run(G.workers, worker_main, NULL) : worker_main(0, NULL);
	if (G.unix_path)
		unlink(G.unix_path);
	return rc;
}
