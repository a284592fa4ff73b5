/* SPDX-License-Identifier: MIT */
/* relay.c - the full-duplex copy of nc (tcp-send --stream, tcp-serve --stream).
 *
 * The connection is always read while the peer sends, so a peer that sends more than
 * it receives can not deadlock us; the input is read only when its last chunk has gone
 * out (memory bounded: one 64 KiB chunk each way). Every read and write of the
 * connection goes through its stream's backend (plain socket or TLS).
 *
 * Header: include/relay.h    Tests: tests/integration/tcp_send.sh,
 * tests/integration/tcp_stream.sh
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "loop.h"
#include "nt_err.h"
#include "relay.h"
#include "sock.h"
#include "tls.h"

#define CHUNK 65536

/* The output can not be written: exit 6, in the words of tcp-send's plain mode for a
 * reader that has gone. */
static int out_failed(int e, struct relay_result *r, char *err, size_t errlen)
{
	snprintf(err, errlen, "write to the output: %s (%llu bytes were written)",
		 e == EPIPE ? "the reader closed the pipe" : strerror(e), r->received);
	r->why = "output failed";
	return NT_EXIT_IO;
}

/* The counts of a failed copy, the same words in both applets (tcp-send --stream,
 * tcp-serve --stream): what came in and was written to the output, what of standard
 * input was written to the connection (sent: not known to have been read by the peer)
 * and whether that was all of it. */
static const char *counts(char *b, size_t n, const struct relay_result *r, int all_sent)
{
	snprintf(b, n, "received %llu bytes, sent %llu bytes of standard input, %s", r->received, r->sent,
		 all_sent ? "all of it" : "not all of it");
	return b;
}

/* A failed read or write of a TLS stream that was the peer refusing the session (TLS 1.3:
 * the server's alert comes after our handshake ended, e.g. for a client certificate
 * none was given for): exit 4 in core/tls.c's words, as tcp-send says it without
 * --stream. A write can fail on the reset that follows the alert before the alert was
 * read: it is read first (what else came is lost with the connection anyway). */
static int refused(struct stream *net, int after_write, struct relay_result *r, char *err, size_t errlen)
{
	char why[1500], b[512];
	if (after_write)
		(void)net->ops->read(net->ctx, b, sizeof b);
	if (!tls_stream_refused(net, why, sizeof why))
		return 0;
	snprintf(err, errlen, "%s", why);
	r->why = "TLS session refused";
	return NT_EXIT_TLS;
}

/* SIGTERM, SIGINT, SIGQUIT during the copy: the connection is reset before we die of the
 * signal (its default action, so the exit status still says which), never closed as a
 * clean end the peer could take for the whole transfer. */
static volatile sig_atomic_t relay_fd = -1;

static void on_fatal(int sig)
{
	if (relay_fd >= 0)
		sock_reset(relay_fd);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int copy(struct stream *net, const struct relay_opts *o, struct relay_result *r, char *err, size_t errlen);

static void keep_head(struct relay_result *r, const void *p, size_t n)
{
	while (n-- && r->nhead < sizeof r->head)
		r->head[r->nhead++] = *(const unsigned char *)p, p = (const unsigned char *)p + 1;
}

int relay_run(struct stream *net, const struct relay_opts *o, struct relay_result *r, char *err, size_t errlen)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGQUIT};
	struct sigaction old[3], sa = {.sa_handler = on_fatal};
	sigemptyset(&sa.sa_mask);
	relay_fd = net->ops->fd(net->ctx);
	for (int i = 0; i < 3; i++) {
		/* A signal the caller ignores stays ignored. */
		if (sigaction(sigs[i], NULL, &old[i]) == 0 && old[i].sa_handler == SIG_DFL)
			sigaction(sigs[i], &sa, NULL);
	}
	int rc = copy(net, o, r, err, errlen);
	for (int i = 0; i < 3; i++)
		if (old[i].sa_handler == SIG_DFL)
			sigaction(sigs[i], &old[i], NULL);
	relay_fd = -1;
	return rc;
}

static int copy(struct stream *net, const struct relay_opts *o, struct relay_result *r, char *err, size_t errlen)
{
	static char in[CHUNK], b[CHUNK];
	size_t in_len = 0, in_off = 0;
	int in_open = o->in_fd >= 0, net_open = 1, shut = 0, out_watch = 1;
	short rwants = POLLIN, wwants = POLLOUT;
	long long last = loop_now_ms();
	int fd = net->ops->fd(net->ctx);
	r->sent = r->received = 0;
	r->nhead = 0;
	r->why = "done";
	/* Bytes a reader took ahead of us (e.g. during a handshake) go out first. */
	if (buf_pending(&net->in)) {
		if (file_write_all(o->out_fd, buf_head(&net->in), buf_pending(&net->in)) < 0) {
			snprintf(err, errlen, "write to the output: %s", strerror(errno));
			r->why = "output failed";
			return NT_EXIT_IO;
		}
		keep_head(r, buf_head(&net->in), buf_pending(&net->in));
		r->received += buf_pending(&net->in);
		buf_reset(&net->in);
	}
	sock_set_nonblock(fd, 1);
	for (;;) {
		int sending = in_len > in_off;
		if (!in_open && !sending && !shut) {
			/* Our side is done: the peer reads its end of stream and may still send. */
			if (stream_shutdown_wr(net) < 0) {
				/* ENOTCONN: the connection is gone. After the peer's reset (a receiver
				 * that timed out or failed, after its own end of stream) that is no
				 * clean end: the socket's pending error says which. */
				int e = errno, se = 0;
				socklen_t sl = sizeof se;
				if (e == ENOTCONN && getsockopt(fd, SOL_SOCKET, SO_ERROR, &se, &sl) == 0 && se)
					e = se;
				if (e != ENOTCONN) {
					int t = refused(net, 1, r, err, errlen);
					if (t)
						return t;
					char c[160];
					snprintf(err, errlen, "shutdown: %s (%s)",
						 e == ECONNRESET || e == EPIPE ? "connection reset by the peer" : strerror(e),
						 counts(c, sizeof c, r, 1));
					r->why = e == ECONNRESET || e == EPIPE ? "reset by peer" : "shutdown failed";
					return NT_EXIT_NET;
				}
			}
			shut = 1;
		}
		if (shut && !net_open)
			return 0;
		/* The output is watched for nothing but POLLERR, which a pipe whose reader has
		 * gone reports (| head -c1): a quiet peer must not keep us waiting when bytes
		 * we wrote were left unread. Only while the peer may still send (after its end
		 * the output may be closed, and is written no more). */
		struct pollfd p[3] = {
			{.fd = in_open && !sending ? o->in_fd : -1, .events = POLLIN},
			{.fd = fd, .events = (short)((net_open ? rwants : 0) | (sending ? wwants : 0))},
			{.fd = net_open && out_watch ? o->out_fd : -1, .events = 0},
		};
		/* Nothing asked of it (the peer has ended its side, we have nothing to send):
		 * still watched with no events until our side is shut, for POLLERR/POLLHUP
		 * only, which come with the peer's reset (a FIN alone raises neither, so no
		 * loop), so that a reset is seen while our input is quiet. */
		int watch_err = !p[1].events && !net_open && !shut;
		if (!p[1].events && !watch_err)
			p[1].fd = -1;
		int wait = -1;
		if (o->idle_ms > 0) {
			long long left = last + o->idle_ms - loop_now_ms();
			if (left <= 0) {
				char c[160];
				snprintf(err, errlen, "nothing moved for %d ms (%s)", o->idle_ms,
					 counts(c, sizeof c, r, !in_open && in_len == in_off));
				r->why = "idle timeout";
				return NT_EXIT_NET;
			}
			wait = (int)left;
		}
		int n = poll(p, 3, wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			r->why = "poll failed";
			return NT_EXIT_IO;
		}
		if (n == 0)
			continue; /* the idle check above decides */
		if (p[2].revents & POLLERR) {
			/* A reader that took all we wrote and left (tar at the end of its archive)
			 * lost nothing: the next write, if the peer sends more, says so, as before.
			 * One that left bytes in the pipe did. Not a pipe: left to the writes. */
			struct stat st;
			int unread = 0;
			out_watch = 0;
			if (fstat(o->out_fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
			    ioctl(o->out_fd, FIONREAD, &unread) == 0 && unread > 0) {
				snprintf(err, errlen, "write to the output: the reader closed the pipe (%llu bytes were "
					 "written, the last %d not read)", r->received, unread);
				r->why = "output failed";
				return NT_EXIT_IO;
			}
		}
		if (watch_err && (p[1].revents & (POLLERR | POLLHUP))) {
			int se = 0;
			socklen_t sl = sizeof se;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &se, &sl) < 0 || !se)
				se = ECONNRESET;
			char c[160];
			snprintf(err, errlen, "%s (%s)",
				 se == ECONNRESET || se == EPIPE ? "connection reset by the peer" : strerror(se),
				 counts(c, sizeof c, r, !in_open));
			r->why = se == ECONNRESET || se == EPIPE ? "reset by peer" : "receive failed";
			return NT_EXIT_NET;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t k = read(o->in_fd, in, sizeof in);
			if (k > 0) {
				in_len = (size_t)k;
				in_off = 0;
				last = loop_now_ms();
			} else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
				in_open = 0;
			}
		}
		if ((p[1].revents & (POLLOUT | POLLIN | POLLERR | POLLHUP)) && in_len > in_off) {
			ssize_t w = net->ops->write(net->ctx, in + in_off, in_len - in_off);
			if (w > 0) {
				r->sent += (unsigned long long)w;
				in_off += (size_t)w;
				if (in_off == in_len)
					in_off = in_len = 0;
				last = loop_now_ms();
				wwants = POLLOUT;
			} else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
				wwants = net->ops->wants(net->ctx, POLLOUT);
			} else {
				int e = errno;
				int t = refused(net, 1, r, err, errlen);
				if (t)
					return t;
				snprintf(err, errlen, "send: %s: received %llu bytes; %llu bytes of standard input were sent, %zu more were read but not sent%s",
					 e == ECONNRESET ? "connection reset by the peer"
					 : e == EPIPE	 ? "connection closed by the peer"
							 : strerror(e),
					 r->received, r->sent,
					 in_len - in_off, in_open ? ", and the rest was not read" : "");
				r->why = e == ECONNRESET || e == EPIPE ? "reset by peer" : "send failed";
				return NT_EXIT_NET;
			}
		}
		if (net_open && (p[1].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR))) {
			ssize_t k = net->ops->read(net->ctx, b, sizeof b);
			if (k > 0) {
				if (file_write_all(o->out_fd, b, (size_t)k) < 0)
					return out_failed(errno, r, err, errlen);
				keep_head(r, b, (size_t)k);
				r->received += (unsigned long long)k;
				last = loop_now_ms();
				rwants = POLLIN;
			} else if (k == 0 && !tls_end_clean(net)) {
				int t = refused(net, 0, r, err, errlen);
				if (t)
					return t;
				char c[160];
				snprintf(err, errlen, "receive: %s (%s)", TLS_UNCLEAN_END,
					 counts(c, sizeof c, r, !in_open && in_len == in_off));
				r->why = "no TLS close_notify";
				return NT_EXIT_NET;
			} else if (k == 0) {
				net_open = 0; /* the peer sends no more; it may still read */
				if (o->close_out)
					close(o->out_fd);
			} else if (errno == EAGAIN || errno == EINTR) {
				rwants = net->ops->wants(net->ctx, POLLIN);
			} else {
				int e = errno;
				int t = refused(net, 0, r, err, errlen);
				if (t)
					return t;
				char c[160];
				snprintf(err, errlen, "receive: %s (%s)",
					 e == ECONNRESET ? "connection reset by the peer" : e == EPROTO ? "TLS error" : strerror(e),
					 counts(c, sizeof c, r, !in_open && in_len == in_off));
				r->why = e == ECONNRESET ? "reset by peer" : "receive failed";
				return NT_EXIT_NET;
			}
		}
	}
}
