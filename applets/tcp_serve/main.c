/* SPDX-License-Identifier: MIT */
/* tcp_serve/main.c - timestamp / echo (RFC 862) / daytime (RFC 867) server over TCP, and
 * the listeners, loop and accept of every other mode (serve.h)
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
 * Beside this file: the command line (opts.c), the --max-partial cap (partial.c), TLS
 * (tlsconn.c; ring.c sends a pass's TLS replies at once), and the other modes: exec.c
 * (--exec, --sh-exec), recv.c (--stream) and services.c (--discard, --chargen, --time).
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
#include "opts.h"
#include "serve.h"
#include "sock.h"
#include "stamp.h"
#include "tlsconn.h"


/* Output above this stops reading from the client until it drains (backpressure). */
#define OUT_HIGH (64 * 1024)
#define SCRATCH (64 * 1024)
/* Over TLS each reply is encrypted as its record is read and held (tlsconn_hold), and
 * all are sent at the end of the pass (ring.c): every ready client read first, then
 * every reply written (measured: 6-24% more round trips, p99 lower, same CPU per
 * request), one system call for a pipelining client's replies, and the replies to
 * good records go out even when a bad record ends the session. */


static struct {
	struct listeners listeners; /* bound once by the supervisor */

	struct loop *loop;
	int lfd[SOCK_LISTEN_MAX];
	int nlfd;
	int accepting;          /* listeners are watched */
	long long retry_timer;  /* re-enable accept after EMFILE */
	int emfile_logged;      /* said once per episode, not every retry */
	struct client **clients; /* by descriptor */
	struct conn_stats *stats; /* by descriptor, with --json only */
	int nclients_cap;
	long long nclients;
	int stopping;
	char scratch[SCRATCH];  /* read buffer shared by all clients */
	struct buf reply;       /* replies built for one read, written at once */
} G;

static struct serve_conf C; /* the command line (opts.c) */

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
		int w = LOOP_READ, d = 0;
		r = tlsconn_read(c->ssl, p, n, &w, &d);
		c->rd_want = r < 0 && errno == EAGAIN ? (unsigned)w : LOOP_READ;
		c->drained = d ? 1 : 0;
	} else {
		r = read(c->fd, p, n);
		c->drained = r > 0 && (size_t)r < n;
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
	int room = !C.max_clients || G.nclients < C.max_clients;
	if (room && !G.retry_timer)
		set_accepting(1);
	else if (!room)
		set_accepting(0);
}

/* Output not yet on the socket: replies queued, or (TLS) records held. */
static int unsent(struct client *c)
{
	return buf_pending(&c->out) || (c->ssl && tlsconn_unsent(c->ssl));
}

static void want(struct client *c)
{
	int mask = 0;
	if (!c->ssl) {
		if (!c->paused && !c->closing && !c->rd_eof)
			mask |= LOOP_READ;
		if (buf_pending(&c->out) || (C.mode == MODE_CHARGEN && !c->closing))
			mask |= LOOP_WRITE;
		loop_mod(G.loop, c->fd, mask);
		return;
	}
	/* TLS: a read may wait for the socket to take output and a write for input. */
	if (c->handshake) {
		loop_mod(G.loop, c->fd, c->rd_want);
		return;
	}
	int reading = !c->paused && !c->closing && !c->rd_eof;
	if (reading)
		mask |= c->rd_want;
	if (buf_pending(&c->out) || (C.mode == MODE_CHARGEN && !c->closing))
		mask |= c->wr_want;
	if (tlsconn_unsent(c->ssl) && !c->deferred) /* held records (deferred: sent at the pass end) */
		mask |= LOOP_WRITE;
	loop_mod(G.loop, c->fd, mask);
	/* Input OpenSSL has already taken off the socket: epoll will not say so. */
	if (reading && tlsconn_pending(c->ssl))
		loop_fire(G.loop, c->fd, LOOP_READ);
}

/* Send what is queued; 0 ok, -1 the client is gone. Empty buffers are freed so that an
 * idle client costs only its struct. */
static int flush_out(struct client *c)
{
	if (c->ssl && tlsconn_unsent(c->ssl)) { /* held records first, in order */
		int f = tlsconn_flush(c->ssl);
		if (f <= 0)
			return f;
		c->last = loop_now_ms();
	}
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
	const char *s = stamp_now(&C.stamp, &sl);
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
	while (used < n && !(C.mode == MODE_LINE && c->answered)) {
		size_t len;
		enum line_result r = line_find(p + used, n - used, C.max_line, &len);
		if (r == LINE_NONE) {
			if (!drained || C.mode == MODE_LINE)
				break;
			len = n - used;
		}
		add_stamped(p + used, len);
		used += len;
		if (C.mode == MODE_LINE)
			c->answered = 1;
	}
	return used;
}

/* Handle bytes that arrived (p, n). drained: the socket had nothing more to read. */
static void process(struct client *c, const char *p, size_t n, int drained)
{
	if (C.mode == MODE_ECHO) {
		if (buf_append(&G.reply, p, n) < 0)
			c->closing = 1; /* out of memory: this client only */
		return;
	}
	if (C.mode == MODE_DAYTIME || C.mode == MODE_DISCARD || C.mode == MODE_CHARGEN || C.mode == MODE_TIME)
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
	if (C.mode == MODE_ECHO || C.mode == MODE_DISCARD || C.mode == MODE_CHARGEN)
		return SCRATCH;
	size_t out = buf_pending(&c->out) + buf_pending(&G.reply) + (c->ssl ? tlsconn_unsent(c->ssl) : 0);
	size_t room = out < OUT_HIGH ? OUT_HIGH - out : 0;
	size_t per_byte = C.stamp.cached_len ? C.stamp.cached_len + 2 : 130;
	size_t want = room / per_byte;
	if (want < 512)
		want = 512;
	return want > SCRATCH ? SCRATCH : want;
}

static void client_read(struct client *c)
{
	/* Bounded work per wake-up so that one fast client cannot starve the others. */
	if (c->ssl)
		tlsconn_hold(c->ssl, 1); /* each reply encrypted now, sent at the end of the pass */
	for (int rounds = 0; rounds < 8 && !c->paused && !c->closing; rounds++) {
		size_t want = read_budget(c);
		ssize_t r = conn_read(c, G.scratch, want);
		if (r > 0) {
			c->last = loop_now_ms();
			/* A short read means the socket is drained for now (over TLS, where a read
			 * returns one record at most, conn_read knows it from the socket's read). */
			int drained = c->drained;
			process(c, G.scratch, (size_t)r, drained);
			if (send_reply(c) < 0) {
				client_close(c, "write failed");
				return;
			}
			if (C.mode == MODE_LINE && c->answered) {
				c->closing = 1;
				break;
			}
			if (drained)
				break;
			continue;
		}
		if (r == 0) {
			if (C.mode == MODE_CHARGEN) {
				/* RFC 864: the server sends until the client closes; its half-close
				 * only ends what it sends (a write that fails ends the rest). */
				c->rd_eof = 1;
				break;
			}
			/* End of input: answer a last partial message, then close after flushing. */
			if (buf_pending(&c->in) && (C.mode == MODE_STAMP || C.mode == MODE_LINE)) {
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
			if (buf_pending(&c->in) && C.mode == MODE_STAMP) {
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
	if (c->ssl) {
		tlsconn_hold(c->ssl, 0);
		if (tlsconn_unsent(c->ssl) && (c->closing || ring_defer(c) < 0) && tlsconn_flush(c->ssl) < 0) {
			client_close(c, "write failed");
			return;
		}
	}
	partial_account(c);
	if (partial_enforce(c, G.clients, G.nclients_cap))
		return;
	if (c->closing && !unsent(c)) {
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
			tlsconn_step(c);
			return;
		}
		if (C.mode == MODE_EXEC) {
			exec_relay_event(c); /* the session and the program's socketpair */
			return;
		}
		/* Either event can unblock either direction of a TLS session: try both. */
		mask = LOOP_READ | (unsent(c) || (C.mode == MODE_CHARGEN && !c->closing) ? LOOP_WRITE : 0);
	}
	if ((mask & LOOP_WRITE) && C.mode == MODE_CHARGEN && !c->closing) {
		if (svc_chargen_write(c) < 0) {
			/* After its half-close, the client's close is the end RFC 864 means. */
			int gone = errno == ECONNRESET || errno == EPIPE;
			client_close(c, gone && c->rd_eof ? "done" : gone ? "reset by peer" : "write failed");
			return;
		}
		c->last = loop_now_ms();
	}
	if (mask & LOOP_WRITE) {
		if (flush_out(c) < 0) {
			client_close(c, "write failed");
			return;
		}
		if (c->closing && !unsent(c)) {
			client_close(c, "done");
			return;
		}
	}
	if ((mask & LOOP_READ) && !c->paused && !c->closing && !c->rd_eof) {
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
	if (C.mode == MODE_EXEC && exec_relay_close(c, why))
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
	if (c->deferred)
		ring_forget(c);
	loop_del(G.loop, c->fd);
	if (c->ssl)
		tlsconn_free(c->ssl); /* close_notify, when the handshake was done */
	close(c->fd);
	G.clients[c->fd] = NULL;
	partial_forget(c);
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
	if (C.mode == MODE_EXEC)
		return exec_relay_start(c); /* --exec over TLS: the program, and the relay to it */
	if (C.mode == MODE_CHARGEN) {
		want(c); /* the pattern goes out as the socket takes it */
		return 0;
	}
	if (C.mode != MODE_DAYTIME && C.mode != MODE_TIME)
		return 0;
	int r;
	if (C.mode == MODE_TIME) {
		r = svc_time_reply(&G.reply);
	} else {
		size_t sl;
		const char *s = stamp_now(&C.stamp, &sl);
		r = buf_append(&G.reply, s, sl) < 0 || buf_append(&G.reply, "\r\n", 2) < 0 ? -1 : 0;
	}
	c->closing = 1;
	if (r < 0 || send_reply(c) < 0 || !unsent(c)) { /* r < 0: out of memory, this client only */
		client_close(c, "done");
		return -1;
	}
	want(c);
	return 0;
}

/* --tls: the handshake of c is done (tlsconn_step): serve (data may have come with it). */
void serve_tls_ready(struct client *c)
{
	if (client_ready(c) < 0 || C.mode == MODE_EXEC)
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
		if (C.max_clients && G.nclients >= C.max_clients) {
			update_accepting();
			return;
		}
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		/* --exec: the program gets the socket as it is, blocking (over TLS it gets a
		 * socketpair and the connection is the loop's, as in the other modes). */
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
				 C.mode == MODE_EXEC && !C.tls ? SOCK_CLOEXEC : SOCK_NONBLOCK | SOCK_CLOEXEC);
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
		if (C.mode == MODE_EXEC && !C.tls) {
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
		if (C.tls) {
			tlsconn_accepted(c);
			continue; /* the ClientHello comes with the next read event */
		}
		client_ready(c);
	}
}

/* The sweep's period: a quarter of the shortest timeout, within 50 ms .. 1 s. */
static long long sweep_every(void)
{
	long long t = C.idle_ms > 0 ? C.idle_ms : 0;
	if (C.tls && (!t || C.hs_ms < t))
		t = C.hs_ms;
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
		if (c->handshake && now - c->last >= C.hs_ms)
			client_close(c, "TLS handshake timeout");
		else if (C.idle_ms > 0 && now - c->last >= C.idle_ms)
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
		tlsconn_sighup();
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
	if (C.unix_path)
		unlink(C.unix_path);
	for (int cfd = 0; cfd < G.nclients_cap; cfd++) {
		struct client *c = G.clients[cfd];
		if (!c || (C.mode == MODE_EXEC && !c->handshake))
			continue; /* a program's connection: left to finish, as in plain mode */
		c->closing = 1;
		if (flush_out(c) < 0 || !unsent(c))
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
	if (C.unix_path) {
		int fd = listen_unix(C.unix_path, SOCK_STREAM, err);
		if (fd < 0)
			die(errno == ENOTSOCK ? NT_EXIT_IO : NT_EXIT_NET, "%s", err);
		G.lfd[0] = fd;
		G.nlfd = 1;
		return;
	}
	struct listen_conf lc = {.type = SOCK_STREAM, .host = C.host, .port = C.port, .family = C.family,
				 .workers = C.workers, .reuseport = C.reuseport};
	if (listen_open(&lc, &G.listeners, err) < 0)
		die(NT_EXIT_NET, "%s", err);
}

static int worker(void)
{
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	if (C.tls)
		sigaddset(&ss, SIGHUP); /* blocked since start-up: the supervisor passes it on */
	if (C.mode == MODE_EXEC)
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
	if (C.idle_ms > 0 || C.tls)
		loop_timer_add(G.loop, sweep_every(), sweep, NULL);
	if (C.tls)
		loop_on_pass(G.loop, ring_flush_pass, NULL);
	if (loop_run(G.loop) < 0)
		die_sys(NT_EXIT_IO, "epoll");
	partial_summary(); /* closings still counted when the loop stopped */
	for (int fd = 0; fd < G.nclients_cap; fd++)
		if (G.clients[fd])
			client_close(G.clients[fd], "server stopped");
	free(G.clients);
	free(G.stats);
	buf_free(&G.reply);
	ring_free();
	loop_free(G.loop);
	close(sfd);
	if (C.tls)
		tlsconn_cleanup();
	return 0;
}

/* Worker idx of --workers (or the only one): its listeners, then the loop. */
static int worker_main(int idx, void *arg)
{
	(void)arg;
	if (!C.unix_path)
		G.nlfd = listen_take(&G.listeners, idx, G.lfd);
	return worker();
}


int tcp_serve_main(int argc, char **argv)
{
	serve_opts(argc, argv, &C);
	serve_json = C.json;
	partial_init(C.max_partial);
	/* Descriptors: raise the soft limit to the hard one (10,000 clients need it). */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	if (C.tls)
		tlsconn_start(&C.tc);
	/* Bound here, once, before any worker exists: a busy port fails now (exit 3). */
	open_listeners();
	if (C.unix_path)
		log_info("listening on unix:%s", C.unix_path);
	else {
		char a[300];
		addr_format(a, sizeof a, C.host ? C.host : "*", C.port);
		log_info("listening on %s%s%s", a, C.family == AF_INET ? " (IPv4)" : C.family == AF_INET6 ? " (IPv6)" : "",
			 C.tls ? " (TLS)" : "");
	}
	fflush(stderr);
	if (C.mode == MODE_STREAM) {
		int rc = recv_run(C.unix_path ? G.lfd : G.listeners.fd[0], C.unix_path ? G.nlfd : G.listeners.n, C.keep,
				  (int)C.idle_ms, C.tls, (int)C.hs_ms);
		if (C.unix_path)
			unlink(C.unix_path);
		return rc;
	}
	int rc = C.workers > 1 ? workers_run(C.workers, worker_main, NULL) : worker_main(0, NULL);
	if (C.unix_path)
		unlink(C.unix_path);
	return rc;
}
