/* udp_serve.c - timestamp / echo (RFC 862) / daytime (RFC 867) server over UDP
 *
 * One datagram in, one datagram out: 'STAMP data' (the textbook's UDP server), the data
 * itself (--echo) or the time (--daytime). Datagrams are taken and answered in batches
 * (recvmmsg/sendmmsg). A reply is never larger than the request plus the stamp.
 *
 * Man page: man/nettool-udp-serve.1    Tests: tests/integration/udp_serve.sh
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "nt_err.h"
#include "opt.h"
#include "sock.h"
#include "stamp.h"

enum { O_ECHO = OPT_LONG, O_DAYTIME, O_WORKERS, O_TIMEFMT, O_UTC };

static const struct opt opts[] = {
	{'l', "listen", OPT_STR, "ADDR", "listen on ADDR only (default: every address, IPv4 and IPv6)"},
	{'p', "port", OPT_PORT, "PORT", "listen on PORT (default 8888)"},
	OPT_ROWS_IP,
	{O_ECHO, "echo", OPT_FLAG, NULL, "send each datagram back (RFC 862)"},
	{O_DAYTIME, "daytime", OPT_FLAG, NULL, "answer each datagram with the time (RFC 867)"},
	{O_WORKERS, "workers", OPT_UINT, "N", "N worker processes sharing the port (SO_REUSEPORT)", 1, 256},
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
#define UDP_PAYLOAD_MAX 65507 /* IPv4's limit; a reply never exceeds it */

enum mode { MODE_STAMP, MODE_ECHO, MODE_DAYTIME };

static struct {
	enum mode mode;
	struct stamp stamp;
	int workers;
} G;

struct slot {
	struct sockaddr_storage from;
	struct iovec iov_in, iov_out[3];
	char *data;
};

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
			for (int i = 0; i < n; i++) {
				struct slot *sl_ = &slots[i];
				size_t len = in[i].msg_len;
				struct iovec *v = sl_->iov_out;
				size_t nv = 0;
				if (G.mode == MODE_ECHO) {
					v[nv++] = (struct iovec){sl_->data, len};
				} else if (G.mode == MODE_DAYTIME) {
					v[nv++] = (struct iovec){(void *)st, sl};
					v[nv++] = (struct iovec){(void *)crlf, 2};
				} else {
					/* The stamp and a space, then as much of the data as fits in one datagram. */
					size_t room = UDP_PAYLOAD_MAX - sl - 1;
					v[nv++] = (struct iovec){(void *)st, sl};
					v[nv++] = (struct iovec){(void *)&sp, 1};
					v[nv++] = (struct iovec){sl_->data, len < room ? len : room};
				}
				out[i].msg_hdr.msg_name = &sl_->from;
				out[i].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
				out[i].msg_hdr.msg_iov = v;
				out[i].msg_hdr.msg_iovlen = nv;
				if (log_level >= LOG_VERBOSE) {
					char a[64];
					sock_addr_str((struct sockaddr *)&sl_->from, in[i].msg_hdr.msg_namelen, a, sizeof a);
					log_trace("received from and returned to %s (%zu bytes)", a, len);
				}
			}
			/* A reply that cannot go now (buffer full, unreachable peer) is dropped, as
			 * UDP allows; the server never blocks on one client. */
			for (int done = 0; done < n;) {
				int w = sendmmsg(fds[s], out + done, (unsigned)(n - done), MSG_DONTWAIT);
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

int udp_serve_main(int argc, char **argv)
{
	struct opt_state os;
	const char *listen = NULL, *tfmt = NULL;
	int utc = 0, modes = 0, port = 8888, family = AF_UNSPEC;
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

	int fds[SOCK_LISTEN_MAX];
	char err[SOCK_ERRLEN];
	struct sock_listen_opts lo = {.type = SOCK_DGRAM, .family = family, .reuseport = G.workers > 1};
	int n = sock_listen(host, port, &lo, fds, err);
	if (n < 0)
		die(NT_EXIT_NET, "%s", err);
	char a[300];
	addr_format(a, sizeof a, host[0] ? host : "*", port);
	log_info("listening on %s (udp)", a);
	fflush(stderr);
	if (G.workers == 1)
		return serve(fds, n);

	/* Workers: each binds its own SO_REUSEPORT socket so the kernel spreads datagrams. */
	for (int i = 0; i < n; i++)
		close(fds[i]);
	pid_t *pids = xcalloc((size_t)G.workers, sizeof *pids);
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	for (int i = 0; i < G.workers; i++) {
		pid_t parent = getpid();
		pid_t p = fork();
		if (p == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the supervisor */
			if (getppid() != parent)
				exit(0);
			int m = sock_listen(host, port, &lo, fds, err);
			if (m < 0)
				die(NT_EXIT_NET, "%s", err);
			exit(serve(fds, m));
		}
		pids[i] = p;
	}
	int sig;
	sigwait(&ss, &sig);
	for (int i = 0; i < G.workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (wait(NULL) > 0)
		;
	free(pids);
	return 0;
}
