/* SPDX-License-Identifier: MIT */
/* tcp_serve/recv.c - the receiver of nc -l (--stream): one connection copied to
 * standard output and standard input copied to it, full duplex (core/relay.c), the
 * half-close honoured both ways. Without --keep the listeners close as soon as the
 * connection is taken (a second client is refused, as with nc -l) and the exit status
 * is the connection's: 0 only when both directions ended cleanly. With --keep the next
 * connection is served after the last one, for ever; standard output stays open
 * between them. With --tls each connection starts with the server's handshake
 * (core/tls_server.c's tls_server, within --handshake-timeout) and the half-close of our side
 * is a close_notify. SIGHUP (blocked since start-up) is taken before each handshake:
 * the certificate and key are read again for the connections from then on.
 *
 * Man page: man/nettool-tcp-serve.1    Tests: tests/integration/tcp_stream.sh
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "nt_err.h"
#include "relay.h"
#include "serve.h"
#include "sock.h"
#include "stream.h"
#include "tls.h"
#include "tlsconn.h"

static int accept_one(const int *lfd, int nfd, char *addr, size_t alen)
{
	struct pollfd p[SOCK_LISTEN_MAX];
	for (int i = 0; i < nfd; i++)
		p[i] = (struct pollfd){.fd = lfd[i], .events = POLLIN};
	for (;;) {
		int r = poll(p, (nfds_t)nfd, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		for (int i = 0; i < nfd; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			struct sockaddr_storage ss;
			socklen_t sl = sizeof ss;
			int fd = accept4(lfd[i], (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
			if (fd < 0)
				continue; /* gone already (ECONNABORTED), or EMFILE: poll again */
			sock_addr_str((struct sockaddr *)&ss, sl, addr, (unsigned)alen);
			return fd;
		}
	}
}

int recv_run(const int *lfd, int nfd, int keep, int idle_ms, int tls, int hs_ms)
{
	int in_fd = 0;
	for (;;) {
		char addr[48];
		int fd = accept_one(lfd, nfd, addr, sizeof addr);
		if (fd < 0)
			die_sys(NT_EXIT_NET, "accept");
		if (!keep)
			for (int i = 0; i < nfd; i++)
				close(lfd[i]);
		log_info("connected from %s", addr);
		char err[512];
		struct stream *s;
		if (tls) {
			sigset_t hup;
			sigemptyset(&hup);
			sigaddset(&hup, SIGHUP);
			if (sigtimedwait(&hup, NULL, &(struct timespec){0}) == SIGHUP)
				tlsconn_sighup();
			s = tls_server(fd, tlsconn_ctx(), hs_ms, err, sizeof err);
			if (!s) {
				/* Said once: the exit's message, or with --keep the connection's
				 * last line, as a warning (under -q too). */
				if (!keep)
					die(NT_EXIT_TLS, "%s: %s", addr, err);
				nt_warn("disconnected %s (%s)", addr, err);
				continue;
			}
		} else {
			s = stream_socket(fd, 0, 0);
		}
		if (!s)
			die(NT_EXIT_IO, "out of memory");
		struct relay_opts o = {.in_fd = in_fd, .out_fd = 1, .close_out = !keep, .idle_ms = idle_ms};
		struct relay_result r;
		int rc = relay_run(s, &o, &r, err, sizeof err);
		/* A transfer that did not end cleanly (the idle timeout, our output failed) is
		 * a reset to the sender, which then can not report a clean end either. */
		if (rc)
			stream_abort(s);
		else
			stream_close(s);
		/* Said once: a failed transfer with --keep is the connection's one line, as a
		 * warning that says why (under -q too), its counts as err has them (relay.c's
		 * words, tcp-send's too), not a second time; without --keep the exit's message
		 * alone. A clean end is the counts, with -v. */
		if (rc && keep)
			nt_warn("disconnected %s (%s: %s)", addr, r.why, err);
		else if (!rc)
			log_info("disconnected %s (%s: %llu bytes received, %llu sent)", addr, r.why, r.received, r.sent);
		if (!keep) {
			if (rc)
				die(rc, "%s", err);
			return 0;
		}
		/* Standard input, once at its end, stays there: later clients get nothing. */
		if (rc == 0)
			in_fd = -1;
	}
}
