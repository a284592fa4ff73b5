/* SPDX-License-Identifier: MIT */
/* udp_serve.c - timestamp / echo (RFC 862) / daytime (RFC 867) server over UDP
 *
 * One datagram in, one datagram out: 'STAMP data' (the textbook's UDP server), the data
 * itself (--echo) or the time (--daytime). Datagrams are taken and answered in batches
 * (recvmmsg/sendmmsg). A reply is never larger than the request plus the stamp.
 *
 * Loop guard: a server that answers whatever arrives can be made to answer itself or
 * another answering service forever by one datagram with a forged source. Never
 * answered: a datagram from our own port (our own address, or a server on the same
 * port elsewhere), from a port below 1024 (echo 7, daytime 13, chargen 19, time 37 and
 * the other well-known services live there; --answer-low-ports), and, in the stamp and
 * daytime modes, one that begins with a stamp, i.e. another stamp server's reply
 * (--answer-stamps). In the stamp mode, also never answered: a datagram whose stamped
 * reply would not fit whole in one datagram (request + space + stamp > 65507 bytes).
 * Each stamp reply is longer than its request, so an exchange between stamp servers
 * whose formats differ (which the shape check cannot see) grows by a stamp per round
 * and ends after at most 65507 / (stamp + 1) rounds. The checks are a few compares
 * per datagram; no rate limit. --echo has no content to check, and a daytime reply has
 * a fixed length: two echo servers on ports >= 1024, or two daytime servers of
 * different formats, can still be set on each other (the man page says so).
 *
 * The port is bound once and --workers are supervised by core/listen.c.
 *
 * Man page: man/nettool-udp-serve.1    Tests: tests/integration/udp_serve.sh
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "listen.h"
#include "log.h"
#include "nt_err.h"
#include "opt.h"
#include "sock.h"
#include "stamp.h"

enum { O_ECHO = OPT_LONG, O_DAYTIME, O_WORKERS, O_REUSEPORT, O_TIMEFMT, O_UTC, O_LOWPORTS, O_STAMPS };

static const struct opt opts[] = {
	{'l', "listen", OPT_STR, "ADDR", "listen on ADDR only (default: every address, IPv4 and IPv6)"},
	{'p', "port", OPT_PORT, "PORT", "listen on PORT (default 8888)"},
	OPT_ROWS_IP,
	{O_ECHO, "echo", OPT_FLAG, NULL, "send each datagram back (RFC 862)"},
	{O_DAYTIME, "daytime", OPT_FLAG, NULL, "answer each datagram with the time (RFC 867)"},
	{O_WORKERS, "workers", OPT_UINT, "N", "N worker processes sharing the socket", 1, 256},
	{O_REUSEPORT, "reuseport", OPT_FLAG, NULL, "SO_REUSEPORT: every server of this user on the port with it shares the traffic"},
	{O_LOWPORTS, "answer-low-ports", OPT_FLAG, NULL, "also answer source ports below 1024"},
	{O_STAMPS, "answer-stamps", OPT_FLAG, NULL, "also answer datagrams that begin with a stamp"},
	{O_TIMEFMT, "time-format", OPT_RAW, "FMT", "strftime(3) format of the stamp (default: ctime)"},
	{O_UTC, "utc", OPT_FLAG, NULL, "stamp in UTC"},
	{'q', "quiet", OPT_FLAG, NULL, "no start-up message"},
	{'v', "verbose", OPT_FLAG, NULL, "log every datagram"},
	{0},
};

static const struct opt_spec spec = {
	.usage = "[OPTIONS]",
	.opts = opts,
	.footer = "Each datagram is answered with 'STAMP data' (STAMP as ctime(3) prints it).\n",
};

#define BATCH 64
#define DGRAM_MAX 65535
#define UDP_PAYLOAD_MAX 65507 /* IPv4's limit; a reply never exceeds it (the loop guard) */

enum mode { MODE_STAMP, MODE_ECHO, MODE_DAYTIME };

static struct {
	enum mode mode;
	struct stamp stamp;
	int workers;
	int port;
	int answer_low, answer_stamps;
	struct listeners listeners; /* bound once by the supervisor */
} G;

struct slot {
	struct sockaddr_storage from;
	struct iovec iov_in, iov_out[3];
	char *data;
};

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/* "Thu Sep  1 15:35:45 2016" followed by a space or CR: ctime's shape, by position. */
static int ctime_stamp(const char *p, size_t n)
{
	static const char shape[] = "AAA AAA _D DD:DD:DD DDDD";
	if (n < sizeof shape)
		return 0;
	for (size_t i = 0; i < sizeof shape - 1; i++) {
		char c = shape[i], d = p[i];
		if (c == 'A' ? !is_alpha(d) : c == 'D' ? !is_digit(d) : c == '_' ? d != ' ' && !is_digit(d) : d != c)
			return 0;
	}
	return p[sizeof shape - 1] == ' ' || p[sizeof shape - 1] == '\r';
}

/* A reply of a stamp server: ctime's shape, or --time-format's as strptime(3) reads it,
 * then a space (stamp mode) or CR (daytime). */
static int is_stamp_reply(const char *p, size_t n)
{
	if (ctime_stamp(p, n))
		return 1;
	if (!G.stamp.fmt || n < 2)
		return 0;
	char head[sizeof G.stamp.cached + 1];
	size_t k = n < sizeof head - 1 ? n : sizeof head - 1;
	memcpy(head, p, k);
	head[k] = 0;
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(head, G.stamp.fmt, &tm);
	return end && end > head && (*end == ' ' || *end == '\r');
}

static int addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return -1;
}

/* Why a datagram is not answered (the loop guard), or NULL; stamp_len is the length of
 * the stamp the reply would carry. */
static const char *not_answered(const struct sockaddr_storage *from, const char *p, size_t n, size_t stamp_len)
{
	int port = addr_port(from);
	if (port == G.port)
		return "from our own port";
	if (port < 1024 && !G.answer_low)
		return "from a port below 1024";
	if (G.mode != MODE_ECHO && !G.answer_stamps && is_stamp_reply(p, n))
		return "it begins with a stamp (a stamp server's reply)";
	if (G.mode == MODE_STAMP && n + 1 + stamp_len > UDP_PAYLOAD_MAX)
		return "the stamped reply would not fit in one datagram";
	return NULL;
}

/* Serve the sockets until SIGINT/SIGTERM. */
static int serve(int *fds, int nfds)
{
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	int sfd = signalfd(-1, &ss, SFD_CLOEXEC);
	if (sfd < 0)
		die_sys(NT_EXIT_IO, "signalfd");

	struct slot *slots = xcalloc(BATCH, sizeof *slots);
	struct mmsghdr in[BATCH], out[BATCH];
	char *arena = xmalloc((size_t)BATCH * DGRAM_MAX);
	static const char sp = ' ', crlf[] = "\r\n";
	for (int i = 0; i < BATCH; i++) {
		slots[i].data = arena + (size_t)i * DGRAM_MAX;
		slots[i].iov_in = (struct iovec){slots[i].data, DGRAM_MAX};
	}
	struct pollfd p[SOCK_LISTEN_MAX + 1];
	for (int i = 0; i < nfds; i++)
		p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	p[nfds] = (struct pollfd){.fd = sfd, .events = POLLIN};

	for (;;) {
		int r = poll(p, (nfds_t)nfds + 1, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die_sys(NT_EXIT_IO, "poll");
		if (p[nfds].revents)
			break;
		for (int s = 0; s < nfds; s++) {
			if (!(p[s].revents & POLLIN))
				continue;
			memset(in, 0, sizeof in);
			for (int i = 0; i < BATCH; i++) {
				in[i].msg_hdr.msg_name = &slots[i].from;
				in[i].msg_hdr.msg_namelen = sizeof slots[i].from;
				in[i].msg_hdr.msg_iov = &slots[i].iov_in;
				in[i].msg_hdr.msg_iovlen = 1;
			}
			int n = recvmmsg(fds[s], in, BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				continue;
			size_t sl;
			const char *st = stamp_now(&G.stamp, &sl);
			memset(out, 0, sizeof out);
			int m = 0; /* replies */
			for (int i = 0; i < n; i++) {
				struct slot *sl_ = &slots[i];
				size_t len = in[i].msg_len;
				const char *why = not_answered(&sl_->from, sl_->data, len, sl);
				if (why || log_level >= LOG_VERBOSE) {
					char a[64];
					sock_addr_str((struct sockaddr *)&sl_->from, in[i].msg_hdr.msg_namelen, a, sizeof a);
					if (why)
						log_trace("not answered: %s (%zu bytes): %s", a, len, why);
					else
						log_trace("received from and returned to %s (%zu bytes)", a, len);
				}
				if (why)
					continue;
				struct iovec *v = sl_->iov_out;
				size_t nv = 0;
				if (G.mode == MODE_ECHO) {
					v[nv++] = (struct iovec){sl_->data, len};
				} else if (G.mode == MODE_DAYTIME) {
					v[nv++] = (struct iovec){(void *)st, sl};
					v[nv++] = (struct iovec){(void *)crlf, 2};
				} else {
					/* The stamp, a space and the whole data: not_answered() has
					 * refused a datagram whose reply would not fit. */
					v[nv++] = (struct iovec){(void *)st, sl};
					v[nv++] = (struct iovec){(void *)&sp, 1};
					v[nv++] = (struct iovec){sl_->data, len};
				}
				out[m].msg_hdr.msg_name = &sl_->from;
				out[m].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
				out[m].msg_hdr.msg_iov = v;
				out[m].msg_hdr.msg_iovlen = nv;
				m++;
			}
			/* A reply that cannot go now (buffer full, unreachable peer) is dropped, as
			 * UDP allows; the server never blocks on one client. */
			for (int done = 0; done < m;) {
				int w = sendmmsg(fds[s], out + done, (unsigned)(m - done), MSG_DONTWAIT);
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0) {
					done++; /* skip the one that failed */
					continue;
				}
				done += w;
			}
		}
	}
	free(arena);
	free(slots);
	close(sfd);
	return 0;
}

/* Worker idx of --workers (or the only one). */
static int worker_main(int idx, void *arg)
{
	(void)arg;
	int fds[SOCK_LISTEN_MAX];
	int n = listen_take(&G.listeners, idx, fds);
	return serve(fds, n);
}

int udp_serve_main(int argc, char **argv)
{
	struct opt_state os;
	const char *listen = NULL, *tfmt = NULL;
	int utc = 0, modes = 0, port = 8888, family = AF_UNSPEC, reuseport = 0;
	G.workers = 1;
	opt_init(&os, &spec, argc, argv);
	for (int k; (k = opt_next(&os)) != -1;) {
		switch (k) {
		case 'l': listen = os.str; break;
		case 'p': port = (int)os.num; break;
		case '4': family = AF_INET; break;
		case '6': family = AF_INET6; break;
		case O_ECHO: G.mode = MODE_ECHO, modes++; break;
		case O_DAYTIME: G.mode = MODE_DAYTIME, modes++; break;
		case O_WORKERS: G.workers = (int)os.num; break;
		case O_REUSEPORT: reuseport = 1; break;
		case O_LOWPORTS: G.answer_low = 1; break;
		case O_STAMPS: G.answer_stamps = 1; break;
		case O_TIMEFMT: tfmt = os.str; break;
		case O_UTC: utc = 1; break;
		case 'q': log_level = LOG_QUIET; break;
		case 'v': log_level = LOG_VERBOSE; break;
		}
	}
	if (os.ind < argc)
		opt_usage_error("unexpected argument '%s'", argv[os.ind]);
	if (modes > 1)
		opt_usage_error("--echo and --daytime exclude each other");
	if (tfmt && stamp_check_format(tfmt) < 0)
		opt_usage_error("--time-format '%s' gives an empty or over-long stamp", tfmt);
	char host[ADDR_HOSTMAX + 1] = "";
	if (listen) {
		struct addr a;
		char err[ADDR_ERRLEN];
		if (addr_parse(listen, port, &a, err) < 0)
			opt_usage_error("-l: %s", err);
		if (a.is_unix)
			opt_usage_error("-l: udp-serve listens on IP addresses only");
		strcpy(host, a.host);
		port = a.port;
	}
	stamp_init(&G.stamp, tfmt, utc);

	G.port = port;

	/* Bound here, once, before any worker exists: a busy port fails now (exit 3). */
	char err[SOCK_ERRLEN];
	struct listen_conf lc = {.type = SOCK_DGRAM, .host = host, .port = port, .family = family,
				 .workers = G.workers, .reuseport = reuseport};
	if (listen_open(&lc, &G.listeners, err) < 0)
		die(NT_EXIT_NET, "%s", err);
	char a[300];
	addr_format(a, sizeof a, host[0] ? host : "*", port);
	log_info("listening on %s (udp)", a);
	fflush(stderr);
	if (G.workers == 1)
		return worker_main(0, NULL);
	return workers_run(G.workers, worker_main, NULL);
}
