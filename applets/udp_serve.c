/* SPDX-License-Identifier: MIT */
/* udp_serve.c - timestamp / echo (RFC 862) / daytime (RFC 867) / discard (RFC 863) /
 * time (RFC 868) / chargen (RFC 864, only when asked) server over UDP or a unix
 * datagram socket
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
 * different formats, can still be set on each other (the man page says so). --time
 * never answers a datagram of 4 bytes (the size of a time reply; RFC 868 asks with an
 * empty one), and --chargen, which answers anything with up to 512 bytes (the classic
 * amplifier and loop partner of echo), runs only with --allow-chargen and never answers
 * a datagram that looks like chargen output. On a unix socket (--unix) the port rules
 * have no meaning: a datagram from our own path, or from an unbound socket (no address
 * to answer), is not answered.
 *
 * The port is bound once and --workers are supervised by core/listen.c.
 *
 * Man page: man/nettool-udp-serve.1    Tests: tests/integration/udp_serve.sh
 */
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "inetsvc.h"
#include "json.h"
#include "listen.h"
#include "log.h"
#include "nt_err.h"
#include "opt.h"
#include "sock.h"
#include "stamp.h"

enum { O_WORKERS = OPT_LONG, O_REUSEPORT, O_TIMEFMT, O_UTC, O_LOWPORTS, O_STAMPS, O_ALLOWCHARGEN, O_UNIX, O_JSON };

static const struct opt opts[] = {
	{'l', "listen", OPT_STR, "ADDR", "listen on ADDR only (default: every address, IPv4 and IPv6)"},
	{'p', "port", OPT_PORT, "PORT", "listen on PORT (default 8888)"},
	{O_UNIX, "unix", OPT_FILE, "PATH", "listen on a unix datagram socket instead"},
	OPT_ROWS_IP,
	INETSVC_ROWS,
	{O_ALLOWCHARGEN, "allow-chargen", OPT_FLAG, NULL, "allow --chargen over UDP (an amplifier: a reply larger than the request)"},
	{O_JSON, "json", OPT_FLAG, NULL, "one JSON object per datagram answered or not (peer, bytes, why)"},
	{O_WORKERS, "workers", OPT_UINT, "N", "N worker processes sharing the socket (auto: one per online CPU)", 1, 256, .values = "auto"},
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

enum mode { MODE_STAMP = INETSVC_NONE, MODE_ECHO = INETSVC_ECHO, MODE_DAYTIME = INETSVC_DAYTIME,
	    MODE_DISCARD = INETSVC_DISCARD, MODE_TIME = INETSVC_TIME, MODE_CHARGEN = INETSVC_CHARGEN };

static struct {
	enum mode mode;
	struct stamp stamp;
	int workers;
	int port;
	int answer_low, answer_stamps;
	struct listeners listeners; /* bound once by the supervisor */
	const char *unix_path;
	int unix_fd;
	int json;
	unsigned long long rnd;  /* --chargen: xorshift state for the reply lengths */
	unsigned line;           /* --chargen: the next line of the pattern */
} G;

struct slot {
	struct sockaddr_storage from;
	struct iovec iov_in, iov_out[3];
	char *data;
	unsigned char t4[4]; /* --time: the reply */
};

/* --json: one object per datagram, answered (out >= 0) or not (why). */
static void json_dgram(const char *peer, size_t in, long long out, const char *why)
{
	json_begin(stdout);
	json_kv_str(stdout, "peer", peer);
	json_kv_int(stdout, "bytes_in", (long long)in);
	if (out >= 0)
		json_kv_int(stdout, "bytes_out", out);
	else
		json_kv_str(stdout, "bytes_out", NULL);
	json_kv_bool(stdout, "answered", out >= 0);
	json_kv_str(stdout, "reason", why);
	json_end(stdout);
}

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
	if (ss->ss_family == AF_UNIX)
		return 0;
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return -1;
}

/* Why a datagram is not answered (the loop guard), or NULL; stamp_len is the length of
 * the stamp the reply would carry. */
static const char *not_answered(const struct sockaddr_storage *from, socklen_t flen, const char *p, size_t n,
				size_t stamp_len)
{
	if (G.mode == MODE_DISCARD)
		return "discard";
	if (from->ss_family == AF_UNIX) {
		const struct sockaddr_un *u = (const struct sockaddr_un *)from;
		size_t pl = flen > offsetof(struct sockaddr_un, sun_path) ? flen - offsetof(struct sockaddr_un, sun_path) : 0;
		if (!pl)
			return "from an unbound socket (no address to answer)";
		if (G.unix_path && strnlen(u->sun_path, pl) == strlen(G.unix_path) && !strncmp(u->sun_path, G.unix_path, pl))
			return "from our own socket";
		return G.mode == MODE_TIME && n ? "not empty (RFC 868: a time request is an empty datagram)"
		       : G.mode == MODE_CHARGEN && chargen_like(p, n) ? "it looks like chargen output"
		       : NULL;
	}
	int port = addr_port(from);
	if (port == G.port)
		return "from our own port";
	if (port < 1024 && !G.answer_low)
		return "from a port below 1024";
	if ((G.mode == MODE_STAMP || G.mode == MODE_DAYTIME) && !G.answer_stamps && is_stamp_reply(p, n))
		return "it begins with a stamp (a stamp server's reply)";
	if (G.mode == MODE_STAMP && n + 1 + stamp_len > UDP_PAYLOAD_MAX)
		return "the stamped reply would not fit in one datagram";
	if (G.mode == MODE_TIME && n)
		return "not empty (RFC 868: a time request is an empty datagram)"; /* no loop with any server */
	if (G.mode == MODE_CHARGEN && chargen_like(p, n))
		return "it looks like chargen output";
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
				const char *why = not_answered(&sl_->from, in[i].msg_hdr.msg_namelen, sl_->data, len, sl);
				if (why || log_level >= LOG_VERBOSE || G.json) {
					char a[64];
					sock_addr_str((struct sockaddr *)&sl_->from, in[i].msg_hdr.msg_namelen, a, sizeof a);
					if (why)
						log_trace("not answered: %s (%zu bytes): %s", a, len, why);
					else
						log_trace("received from and returned to %s (%zu bytes)", a, len);
					if (G.json && why)
						json_dgram(a, len, -1, why);
				}
				if (why)
					continue;
				struct iovec *v = sl_->iov_out;
				size_t nv = 0;
				if (G.mode == MODE_TIME) {
					rfc868_bytes((long long)time(NULL), sl_->t4);
					v[nv++] = (struct iovec){sl_->t4, 4};
				} else if (G.mode == MODE_CHARGEN) {
					/* RFC 864: a random number, 0 to 512, of characters. */
					G.rnd ^= G.rnd << 13, G.rnd ^= G.rnd >> 7, G.rnd ^= G.rnd << 17;
					size_t k, want = (size_t)(G.rnd % 513);
					const char *pat = chargen_at((size_t)(G.line++ % 95) * CHARGEN_LINE, &k);
					v[nv++] = (struct iovec){(void *)pat, want < k ? want : k};
				} else if (G.mode == MODE_ECHO) {
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
				if (G.json) {
					char a[64];
					size_t outn = 0;
					for (size_t j = 0; j < nv; j++)
						outn += v[j].iov_len;
					sock_addr_str((struct sockaddr *)&sl_->from, in[i].msg_hdr.msg_namelen, a, sizeof a);
					json_dgram(a, len, (long long)outn, NULL);
				}
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
			if (G.json)
				fflush(stdout);
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
	if (G.unix_path) {
		fds[0] = G.unix_fd;
		return serve(fds, 1);
	}
	int n = listen_take(&G.listeners, idx, fds);
	return serve(fds, n);
}

int udp_serve_main(int argc, char **argv)
{
	struct opt_state os;
	const char *listen = NULL, *tfmt = NULL;
	int utc = 0, modes = 0, port = 8888, family = AF_UNSPEC, reuseport = 0, allow_chargen = 0;
	G.workers = 1;
	opt_init(&os, &spec, argc, argv);
	for (int k; (k = opt_next(&os)) != -1;) {
		enum inetsvc svc = inetsvc_opt(k);
		if (svc) {
			G.mode = (enum mode)svc, modes++;
			continue;
		}
		switch (k) {
		case 'l': listen = os.str; break;
		case 'p': port = (int)os.num; break;
		case '4': family = AF_INET; break;
		case '6': family = AF_INET6; break;
		case O_ALLOWCHARGEN: allow_chargen = 1; break;
		case O_UNIX: G.unix_path = os.str; break;
		case O_JSON: G.json = 1; break;
		case O_WORKERS: G.workers = os.num < 0 ? workers_auto() : (int)os.num; break;
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
		opt_usage_error("--echo, --daytime, --discard, --time and --chargen exclude each other");
	if (G.mode == MODE_CHARGEN && !allow_chargen)
		opt_usage_error("--chargen over UDP answers any datagram with up to 512 bytes (an amplifier, and a loop "
				"partner for echo servers): add --allow-chargen to run it anyway");
	if (allow_chargen && G.mode != MODE_CHARGEN)
		opt_usage_error("--allow-chargen goes with --chargen");
	if ((tfmt || utc) && G.mode != MODE_STAMP && G.mode != MODE_DAYTIME)
		opt_usage_error("--time-format and --utc apply to the stamp mode and --daytime");
	if (G.unix_path && (listen || reuseport))
		opt_usage_error("--unix excludes -l and --reuseport");
	G.rnd = (unsigned long long)time(NULL) * 2654435761u | 1;
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
	if (G.unix_path) {
		char err[SOCK_ERRLEN];
		G.unix_fd = listen_unix(G.unix_path, SOCK_DGRAM, err);
		if (G.unix_fd < 0)
			die(errno == ENOTSOCK ? NT_EXIT_IO : NT_EXIT_NET, "%s", err);
		G.port = -1; /* no port rule */
		log_info("listening on unix:%s (datagrams)", G.unix_path);
		fflush(stderr);
		int rc = G.workers == 1 ? worker_main(0, NULL) : workers_run(G.workers, worker_main, NULL);
		unlink(G.unix_path);
		return rc;
	}

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
