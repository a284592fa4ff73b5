/* SPDX-License-Identifier: MIT */
/* stampload.c - load generator for bench/stamp.sh: drives any timestamp server.
 *
 *   stampload persist HOST PORT CONNS SECS   CONNS connections, each sending a 32-byte
 *                                            line and waiting for its reply, again and again
 *   stampload connect HOST PORT CONC SECS    CONC clients, a new connection per request
 *   stampload udp HOST PORT OUTSTANDING SECS datagrams kept in flight
 *   stampload idle HOST PORT N PID           hold N idle connections, print the server's
 *                                            RSS, then every one sends a line; a fresh
 *                                            client's latency
 *   stampload tls-persist|tls-connect|tls-idle ...   the same over TLS 1.3 (no certificate
 *                                            check: a measuring tool; a full handshake for
 *                                            every connection, no resumption); tls-idle
 *                                            also prints the server's private memory
 *                                            (Private_* of /proc/PID/smaps_rollup)
 *
 *   stampload -w WORKERS MODE ...            persist, connect and their tls- modes: WORKERS
 *                                            processes, each driving its share of the
 *                                            connections (an equal split), started together
 *                                            once all have connected; requests, rates and
 *                                            unanswered/failed counts summed, latencies
 *                                            merged. Without -w (or -w 1) one process, as
 *                                            before.
 *
 *   stampload -u MODE ...                    persist and tls-persist: through one io_uring
 *                                            per process instead of epoll (a lighter client:
 *                                            the reads and writes of a wake-up in one
 *                                            system call; see persist_uring)
 *
 *   stampload -p PID[,PID...] MODE ...       persist and connect modes: also the CPU of
 *                                            these server processes and of all their
 *                                            descendants during the measured seconds, per
 *                                            answered request (server_cpu_us_per_req)
 *
 * Output: one line of key=value pairs (rps, p50_us, p99_us, unanswered, lost, ...); the
 * persist and connect modes end with workers=W and load_cpu_us_per_req (the generator's
 * own CPU, all its processes, per answered request, during the measured seconds).
 * Each process is single-threaded, epoll, bounded by SECS. Not part of nettool: a
 * measuring tool.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/io_uring.h>
#include <stdint.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static struct sockaddr_in6 dst;
static SSL_CTX *tls; /* NULL: plain TCP */

/* Released buffers (less memory per connection) only where many connections are held
 * idle (tls-idle); the measuring modes keep theirs: a cheaper client. */
static void tls_init(int keep_buffers)
{
	tls = SSL_CTX_new(TLS_client_method());
	if (!tls) {
		fprintf(stderr, "stampload: SSL_CTX_new failed\n");
		exit(1);
	}
	SSL_CTX_set_min_proto_version(tls, TLS1_3_VERSION);
	SSL_CTX_set_verify(tls, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(tls, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(tls, SSL_MODE_ENABLE_PARTIAL_WRITE);
	if (!keep_buffers)
		SSL_CTX_set_mode(tls, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_read_ahead(tls, 1); /* a record in one read(2), not a header and a body */
}

/* A blocking handshake on a blocking socket; the SSL, or NULL. */
static SSL *tls_blocking(int fd)
{
	SSL *s = SSL_new(tls);
	SSL_set_fd(s, fd);
	if (SSL_connect(s) != 1) {
		ERR_clear_error();
		SSL_free(s);
		return NULL;
	}
	return s;
}
static socklen_t dstlen;

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void resolve(const char *host, int port)
{
	memset(&dst, 0, sizeof dst);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&dst;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		dstlen = sizeof *s4;
	} else if (inet_pton(AF_INET6, host, &dst.sin6_addr) == 1) {
		dst.sin6_family = AF_INET6;
		dst.sin6_port = htons((unsigned short)port);
		dstlen = sizeof dst;
	} else {
		fprintf(stderr, "stampload: numeric address expected: %s\n", host);
		exit(2);
	}
}

static int tcp_connect(int nonblock)
{
	int fd = socket(dst.sin6_family, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&dst, dstlen) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

/* Latency samples: a reservoir, enough for percentiles. */
#define SAMPLES 200000
static long long samples[SAMPLES];
static long long nsamples;
static void sample(long long us)
{
	if (nsamples < SAMPLES)
		samples[nsamples] = us;
	else {
		long long j = rand() % (nsamples + 1);
		if (j < SAMPLES)
			samples[j] = us;
	}
	nsamples++;
}

static void percentiles(long long *p50, long long *p99)
{
	long long n = nsamples < SAMPLES ? nsamples : SAMPLES;
	if (!n) {
		*p50 = *p99 = -1;
		return;
	}
	qsort(samples, (size_t)n, sizeof samples[0], cmp_ll);
	*p50 = samples[n / 2];
	*p99 = samples[n * 99 / 100];
}

/* What one process measured; with -w, each worker's lies in shared memory. */
struct result {
	long long total;      /* answered requests */
	long long bad;        /* persist: unanswered connections; connect: failed requests */
	double secs;          /* measured wall time */
	double cpu_us;        /* this process's CPU during it */
	long long nsamples;   /* latencies seen (the reservoir keeps at most SAMPLES) */
	int done;             /* the worker reached its end */
};
static struct result res;

static double cpu_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* -p: the server's processes; their CPU and their descendants' (forked handlers, the
 * programs they run, workers) is read from /proc at the start and the end of the
 * measured seconds. */
#define MAXSRV 8
static int srv_pid[MAXSRV], nsrv;
static long long srv_ticks0, srv_ticks1;

static long long srv_ticks(void)
{
	/* Every process's parent and CPU (utime + stime + the reaped children's). */
	static int ppid[1 << 22];
	static long long ticks[1 << 22];
	static unsigned char in[1 << 22];
	int maxpid = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		int pid = atoi(e->d_name);
		if (pid <= 0 || pid >= (1 << 22))
			continue;
		char path[64], b[1024];
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t r = read(fd, b, sizeof b - 1);
		close(fd);
		if (r <= 0)
			continue;
		b[r] = 0;
		char *q = strrchr(b, ')'); /* the name may hold spaces and parentheses */
		long long f[20] = {0};
		int k = 0;
		for (char *t = q ? strtok(q + 2, " ") : NULL; t && k < 20; t = strtok(NULL, " "))
			f[k++] = atoll(t);
		if (k < 15)
			continue;
		/* f[0] is field 3 (state), f[1] field 4 (ppid), f[11..14] fields 14..17 */
		ppid[pid] = (int)f[1];
		ticks[pid] = f[11] + f[12] + f[13] + f[14];
		in[pid] = 2; /* seen, not yet known to be the server's */
		if (pid > maxpid)
			maxpid = pid;
	}
	closedir(d);
	for (int i = 0; i < nsrv; i++)
		if (srv_pid[i] > 0 && srv_pid[i] <= maxpid && in[srv_pid[i]])
			in[srv_pid[i]] = 1;
	/* Descendants: repeat until no new one (pids are reused, so parents may have
	 * larger numbers than their children). */
	for (int more = 1; more;) {
		more = 0;
		for (int p = 1; p <= maxpid; p++)
			if (in[p] == 2 && ppid[p] > 0 && ppid[p] <= maxpid && in[ppid[p]] == 1) {
				in[p] = 1;
				more = 1;
			}
	}
	long long sum = 0;
	for (int p = 1; p <= maxpid; p++) {
		if (in[p] == 1)
			sum += ticks[p];
		in[p] = 0;
	}
	return sum;
}

/* -w: a worker says it is ready (connected) and waits for the start; no-ops alone. */
static int ready_fd = -1, go_fd = -1;
/* The start and the end of the measured seconds: the server's CPU then (alone: the
 * workers' parent reads it in their place). */
static void window_mark(int end)
{
	if (!nsrv || ready_fd >= 0)
		return;
	if (end)
		srv_ticks1 = srv_ticks();
	else
		srv_ticks0 = srv_ticks();
}
static void barrier(void)
{
	window_mark(0);
	if (ready_fd < 0)
		return;
	char b = 1, g;
	if (write(ready_fd, &b, 1) != 1)
		_exit(1);
	while (read(go_fd, &g, 1) < 0 && errno == EINTR)
		;
}

static const char LINE[] = "0123456789abcdef0123456789abcde\n"; /* 32 bytes */

struct conn {
	int fd;
	SSL *ssl;       /* TLS modes */
	int hs;         /* tls-connect: the handshake is not done */
	long long sent_at;
	long long replies;
	size_t got;     /* bytes of the current reply */
	int connected;
};

/* persist: CONNS connections, one line in flight on each. */
static int persist(int nconn, double secs)
{
	struct conn *c = calloc((size_t)nconn, sizeof *c);
	int ep = epoll_create1(0);
	for (int i = 0; i < nconn; i++) {
		c[i].fd = tcp_connect(0);
		if (c[i].fd < 0) {
			fprintf(stderr, "stampload: connect %d: %s\n", i, strerror(errno));
			return 1;
		}
		if (tls && !(c[i].ssl = tls_blocking(c[i].fd))) {
			fprintf(stderr, "stampload: TLS handshake %d failed\n", i);
			return 1;
		}
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
	}
	barrier();
	double cpu0 = cpu_now_us();
	long long start = now_us(), end = start + (long long)(secs * 1e6), total = 0;
	for (int i = 0; i < nconn; i++) {
		c[i].sent_at = now_us();
		if ((tls ? SSL_write(c[i].ssl, LINE, 32) : write(c[i].fd, LINE, 32)) != 32)
			return 1;
	}
	struct epoll_event evs[512];
	char buf[4096];
	while (now_us() < end) {
		int n = epoll_wait(ep, evs, 512, 100);
		for (int k = 0; k < n; k++) {
			struct conn *x = &c[evs[k].data.u32];
			if (tls) {
				/* Everything OpenSSL can give now: nothing may stay inside it. */
				int nl = 0, r;
				while (!nl && (r = SSL_read(x->ssl, buf, sizeof buf)) > 0)
					nl = memchr(buf, '\n', (size_t)r) != NULL;
				if (ERR_peek_error()) /* clearing an empty queue writes all its slots */
					ERR_clear_error();
				if (nl && SSL_has_pending(x->ssl)) /* more than one reply: not expected */
					while (SSL_read(x->ssl, buf, sizeof buf) > 0)
						;
				if (!nl)
					continue;
			} else {
				ssize_t r = read(x->fd, buf, sizeof buf);
				if (r <= 0)
					continue;
				if (!memchr(buf, '\n', (size_t)r))
					continue; /* the reply is not complete yet */
			}
			long long t = now_us();
			sample(t - x->sent_at);
			x->replies++;
			total++;
			x->sent_at = t;
			if ((tls ? SSL_write(x->ssl, LINE, 32) : write(x->fd, LINE, 32)) != 32)
				continue;
		}
	}
	window_mark(1);
	res.secs = (double)(now_us() - start) / 1e6;
	res.cpu_us = cpu_now_us() - cpu0;
	res.total = total;
	for (int i = 0; i < nconn; i++) {
		if (!c[i].replies)
			res.bad++;
		if (c[i].ssl)
			SSL_free(c[i].ssl);
		close(c[i].fd);
	}
	return 0;
}

/* connect: CONC clients, each doing connect, send a line, read to the newline/EOF, close. */
static int connect_mode(int conc, double secs)
{
	struct conn *c = calloc((size_t)conc, sizeof *c);
	int ep = epoll_create1(0);
	barrier();
	double cpu0 = cpu_now_us();
	long long start = now_us(), end = start + (long long)(secs * 1e6), total = 0, failed = 0;
	for (int i = 0; i < conc; i++) {
		c[i].fd = tcp_connect(1);
		c[i].sent_at = now_us();
		struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (unsigned)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
	}
	struct epoll_event evs[512];
	char buf[4096];
	while (now_us() < end) {
		int n = epoll_wait(ep, evs, 512, 100);
		for (int k = 0; k < n; k++) {
			unsigned i = evs[k].data.u32;
			struct conn *x = &c[i];
			int done = 0;
			if (!x->connected && (evs[k].events & EPOLLOUT)) {
				if (write(x->fd, LINE, 32) != 32) {
					failed++;
					done = 1;
				} else {
					x->connected = 1;
					struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
					epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
				}
			} else if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				ssize_t r = read(x->fd, buf, sizeof buf);
				if (r > 0 && memchr(buf, '\n', (size_t)r)) {
					sample(now_us() - x->sent_at);
					total++;
					done = 1;
				} else if (r <= 0 && !(r < 0 && errno == EAGAIN)) {
					failed++;
					done = 1;
				}
			}
			if (done) {
				epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
				close(x->fd);
				x->fd = tcp_connect(1);
				x->connected = 0;
				x->sent_at = now_us();
				struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = i};
				epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &ev);
			}
		}
	}
	window_mark(1);
	res.secs = (double)(now_us() - start) / 1e6;
	res.cpu_us = cpu_now_us() - cpu0;
	res.total = total;
	res.bad = failed;
	return 0;
}

/* -u (persist, tls-persist): the same load through one io_uring per process instead of
 * epoll: every reply read and every request written by a wake-up go to the kernel in one
 * io_uring_enter. The kernel's work per request (the TCP receive, the loopback send that
 * wakes the server) is the same; what goes is two system call entries per request, which
 * cost about 2 us each in a paravirtualised guest. A lighter client leaves more of a
 * shared machine to the server under test, whichever it is. TLS runs over memory BIOs
 * after the (blocking) handshake. Setup flags the kernel lacks are dropped (back to a
 * plain ring); no ring at all is exit 1 with the reason. */
static struct {
	int fd;
	unsigned *sq_head, *sq_tail, *sq_array, *cq_head, *cq_tail, sq_mask, cq_mask, entries, tail;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
} U;

static int ur_init(unsigned entries)
{
	struct io_uring_params p;
	/* Completions are handled only when this process asks for them (no IPIs to run them). */
	unsigned flags[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_COOP_TASKRUN, 0};
	U.fd = -1;
	for (unsigned i = 0; i < sizeof flags / sizeof flags[0] && U.fd < 0; i++) {
		memset(&p, 0, sizeof p);
		p.flags = flags[i];
		U.fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	}
	if (U.fd < 0)
		return -1;
	size_t sqsz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cqsz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (cqsz > sqsz)
		sqsz = cqsz;
	char *sq = mmap(NULL, sqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, U.fd, IORING_OFF_SQ_RING);
	char *cq = sq;
	if (sq != MAP_FAILED && !(p.features & IORING_FEAT_SINGLE_MMAP))
		cq = mmap(NULL, cqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, U.fd, IORING_OFF_CQ_RING);
	U.sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, U.fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || U.sqes == MAP_FAILED)
		return -1;
	U.sq_head = (unsigned *)(sq + p.sq_off.head);
	U.sq_tail = (unsigned *)(sq + p.sq_off.tail);
	U.sq_array = (unsigned *)(sq + p.sq_off.array);
	U.sq_mask = *(unsigned *)(sq + p.sq_off.ring_mask);
	U.cq_head = (unsigned *)(cq + p.cq_off.head);
	U.cq_tail = (unsigned *)(cq + p.cq_off.tail);
	U.cq_mask = *(unsigned *)(cq + p.cq_off.ring_mask);
	U.cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	U.entries = p.sq_entries;
	U.tail = *U.sq_tail;
	return 0;
}

/* Submit what is queued and wait up to wait_ms for one completion (0: submit only). */
static int ur_enter(int wait_ms)
{
	__atomic_store_n(U.sq_tail, U.tail, __ATOMIC_RELEASE);
	unsigned queued = U.tail - __atomic_load_n(U.sq_head, __ATOMIC_ACQUIRE);
	struct __kernel_timespec ts = {.tv_sec = wait_ms / 1000, .tv_nsec = (wait_ms % 1000) * 1000000LL};
	struct io_uring_getevents_arg a = {.ts = (unsigned long long)(uintptr_t)&ts};
	return (int)syscall(__NR_io_uring_enter, U.fd, queued, wait_ms ? 1 : 0,
			    (wait_ms ? IORING_ENTER_GETEVENTS : 0) | IORING_ENTER_EXT_ARG, &a, sizeof a);
}

static void ur_prep(int op, int fd, void *buf, unsigned len, unsigned long long ud)
{
	if (U.tail - __atomic_load_n(U.sq_head, __ATOMIC_ACQUIRE) >= U.entries)
		ur_enter(0); /* full: submit first */
	unsigned i = U.tail & U.sq_mask;
	struct io_uring_sqe *s = &U.sqes[i];
	memset(s, 0, sizeof *s);
	s->opcode = (unsigned char)op;
	s->fd = fd;
	s->addr = (unsigned long long)(uintptr_t)buf;
	s->len = len;
	s->user_data = ud;
	U.sq_array[i] = i;
	U.tail++;
}

struct uconn {
	int fd, sending, dead;
	SSL *ssl;
	BIO *wb, *rb;
	long long sent_at, replies;
	unsigned slen;
	char sbuf[4096], rbuf[4096];
};

/* Queue what the session wrote (a request, an answer to a key update) unless a send of
 * this connection is still on its way: its completion sends the rest. */
static void u_flush(struct uconn *x, unsigned i)
{
	if (x->sending || x->dead)
		return;
	int n = x->ssl ? BIO_read(x->wb, x->sbuf, sizeof x->sbuf) : 0;
	if (n <= 0)
		return;
	x->slen = (unsigned)n;
	x->sending = 1;
	ur_prep(IORING_OP_SEND, x->fd, x->sbuf, x->slen, (unsigned long long)i << 1);
}

static void u_request(struct uconn *x, unsigned i)
{
	x->sent_at = now_us();
	if (x->ssl) {
		if (SSL_write(x->ssl, LINE, 32) != 32)
			x->dead = 1;
		u_flush(x, i);
	} else if (!x->sending) {
		memcpy(x->sbuf, LINE, 32);
		x->slen = 32;
		x->sending = 1;
		ur_prep(IORING_OP_SEND, x->fd, x->sbuf, 32, (unsigned long long)i << 1);
	}
}

static int persist_uring(int nconn, double secs)
{
	struct uconn *c = calloc((size_t)nconn, sizeof *c);
	if (!c || ur_init(2 * (unsigned)nconn + 8) < 0) {
		fprintf(stderr, "stampload: io_uring: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < nconn; i++) {
		c[i].fd = tcp_connect(0);
		if (c[i].fd < 0) {
			fprintf(stderr, "stampload: connect %d: %s\n", i, strerror(errno));
			return 1;
		}
		if (tls && !(c[i].ssl = tls_blocking(c[i].fd))) {
			fprintf(stderr, "stampload: TLS handshake %d failed\n", i);
			return 1;
		}
		if (c[i].ssl) { /* records from here on through memory: the ring moves the bytes */
			c[i].rb = BIO_new(BIO_s_mem());
			c[i].wb = BIO_new(BIO_s_mem());
			if (!c[i].rb || !c[i].wb)
				return 1;
			BIO_set_mem_eof_return(c[i].rb, -1);
			SSL_set_bio(c[i].ssl, c[i].rb, c[i].wb);
		}
	}
	barrier();
	double cpu0 = cpu_now_us();
	long long start = now_us(), end = start + (long long)(secs * 1e6), total = 0;
	for (int i = 0; i < nconn; i++) {
		u_request(&c[i], (unsigned)i);
		ur_prep(IORING_OP_RECV, c[i].fd, c[i].rbuf, sizeof c[i].rbuf, (unsigned long long)i << 1 | 1);
	}
	char buf[4096];
	while (now_us() < end) {
		ur_enter(100);
		unsigned head = *U.cq_head, tail = __atomic_load_n(U.cq_tail, __ATOMIC_ACQUIRE);
		for (; head != tail; head++) {
			struct io_uring_cqe *e = &U.cqes[head & U.cq_mask];
			unsigned i = (unsigned)(e->user_data >> 1);
			struct uconn *x = &c[i];
			int r = e->res;
			if (!(e->user_data & 1)) { /* a send */
				x->sending = 0;
				if (r > 0 && (unsigned)r < x->slen) { /* the rest of it */
					memmove(x->sbuf, x->sbuf + r, x->slen - (unsigned)r);
					x->slen -= (unsigned)r;
					x->sending = 1;
					ur_prep(IORING_OP_SEND, x->fd, x->sbuf, x->slen, (unsigned long long)i << 1);
				} else if (r < 0)
					x->dead = 1;
				else
					u_flush(x, i);
				continue;
			}
			if (r <= 0) { /* the server closed or failed: the connection stops */
				x->dead = 1;
				continue;
			}
			int nl;
			if (x->ssl) {
				BIO_write(x->rb, x->rbuf, r);
				int k;
				nl = 0;
				while ((k = SSL_read(x->ssl, buf, sizeof buf)) > 0)
					nl |= memchr(buf, '\n', (size_t)k) != NULL;
				if (ERR_peek_error())
					ERR_clear_error();
				u_flush(x, i);
			} else
				nl = memchr(x->rbuf, '\n', (size_t)r) != NULL;
			if (nl && !x->dead) {
				long long t = now_us();
				sample(t - x->sent_at);
				x->replies++;
				total++;
				u_request(x, i);
			}
			ur_prep(IORING_OP_RECV, x->fd, x->rbuf, sizeof x->rbuf, (unsigned long long)i << 1 | 1);
		}
		__atomic_store_n(U.cq_head, head, __ATOMIC_RELEASE);
	}
	window_mark(1);
	res.secs = (double)(now_us() - start) / 1e6;
	res.cpu_us = cpu_now_us() - cpu0;
	res.total = total;
	close(U.fd); /* ends the operations still in flight before their buffers go */
	for (int i = 0; i < nconn; i++) {
		if (!c[i].replies)
			res.bad++;
		if (c[i].ssl)
			SSL_free(c[i].ssl);
		close(c[i].fd);
	}
	return 0;
}

/* tls-connect: CONC clients, each: connect, a full TLS 1.3 handshake, a line, the reply,
 * close; all non-blocking. */
static void tls_restart(int ep, struct conn *x, unsigned i)
{
	if (x->ssl)
		SSL_free(x->ssl);
	if (x->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
		close(x->fd);
	}
	x->fd = tcp_connect(1);
	x->ssl = SSL_new(tls);
	SSL_set_fd(x->ssl, x->fd);
	x->hs = 1;
	x->connected = 0;
	x->sent_at = now_us();
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = i};
	epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &ev);
}

static int tls_connect_mode(int conc, double secs)
{
	struct conn *c = calloc((size_t)conc, sizeof *c);
	int ep = epoll_create1(0);
	barrier();
	double cpu0 = cpu_now_us();
	long long start = now_us(), end = start + (long long)(secs * 1e6), total = 0, failed = 0;
	for (int i = 0; i < conc; i++) {
		c[i].fd = -1;
		tls_restart(ep, &c[i], (unsigned)i);
	}
	struct epoll_event evs[512];
	char buf[4096];
	while (now_us() < end) {
		int n = epoll_wait(ep, evs, 512, 100);
		for (int k = 0; k < n; k++) {
			unsigned i = evs[k].data.u32;
			struct conn *x = &c[i];
			int done = 0, bad = 0, want = EPOLLIN;
			if (x->hs) {
				int r = SSL_connect(x->ssl);
				if (r == 1) {
					x->hs = 0;
					if (SSL_write(x->ssl, LINE, 32) != 32)
						bad = 1;
				} else {
					int e = SSL_get_error(x->ssl, r);
					if (e == SSL_ERROR_WANT_WRITE)
						want = EPOLLOUT;
					else if (e != SSL_ERROR_WANT_READ)
						bad = 1;
				}
			}
			if (!x->hs && !bad) {
				int r;
				while ((r = SSL_read(x->ssl, buf, sizeof buf)) > 0)
					if (memchr(buf, '\n', (size_t)r))
						done = 1;
				if (!done && SSL_get_error(x->ssl, r) != SSL_ERROR_WANT_READ)
					bad = 1;
			}
			ERR_clear_error();
			if (done) {
				sample(now_us() - x->sent_at);
				total++;
			}
			if (bad)
				failed++;
			if (done || bad) {
				tls_restart(ep, x, i);
				continue;
			}
			struct epoll_event ev = {.events = (unsigned)want, .data.u32 = i};
			epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
		}
	}
	window_mark(1);
	res.secs = (double)(now_us() - start) / 1e6;
	res.cpu_us = cpu_now_us() - cpu0;
	res.total = total;
	res.bad = failed;
	return 0;
}

/* udp: keep OUTSTANDING datagrams in flight; a datagram not answered within 200 ms is lost. */
static int udp_mode(int outstanding, double secs)
{
	int fd = socket(dst.sin6_family, SOCK_DGRAM, 0);
	if (connect(fd, (struct sockaddr *)&dst, dstlen) < 0) {
		perror("connect");
		return 1;
	}
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	long long start = now_us(), end = start + (long long)(secs * 1e6), sent = 0, got = 0;
	char buf[2048];
	for (int i = 0; i < outstanding; i++)
		if (send(fd, LINE, 31, 0) == 31)
			sent++;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (now_us() < end) {
		if (poll(&p, 1, 200) <= 0) {
			/* Nothing for 200 ms: the in-flight ones are lost; refill the window. */
			long long inflight = sent - got;
			for (long long i = inflight; i < outstanding; i++)
				if (send(fd, LINE, 31, 0) == 31)
					sent++;
			continue;
		}
		while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
			got++;
			if (send(fd, LINE, 31, 0) == 31)
				sent++;
		}
	}
	/* Drain the last replies. */
	long long drain_end = now_us() + 300000;
	while (now_us() < drain_end) {
		if (poll(&p, 1, 50) > 0)
			while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
				got++;
	}
	double el = (double)(now_us() - start) / 1e6;
	printf("rps=%.0f sent=%lld lost=%lld\n", (double)got / el, sent, sent - got);
	return 0;
}

/* A field of /proc/PID/status in KiB ("VmRSS", "RssAnon"). */
static long status_kib(int pid, const char *field)
{
	char path[64], line[256], fmt[64];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	snprintf(fmt, sizeof fmt, "%s: %%ld", field);
	FILE *f = fopen(path, "r");
	long kib = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, fmt, &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Private_Clean + Private_Dirty of /proc/PID/smaps_rollup in KiB: the memory that is
 * the process's own (not shared library pages). */
static long private_kib(int pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
	FILE *f = fopen(path, "r");
	long sum = 0, v;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Private_Clean: %ld", &v) == 1 || sscanf(line, "Private_Dirty: %ld", &v) == 1)
			sum += v;
	fclose(f);
	return sum;
}

static ssize_t c_write(int fd, SSL *s, const void *p, size_t n)
{
	return s ? SSL_write(s, p, (int)n) : write(fd, p, n);
}

static ssize_t c_read(int fd, SSL *s, void *p, size_t n)
{
	if (!s)
		return read(fd, p, n);
	ssize_t got = 0;
	int r;
	while ((r = SSL_read(s, (char *)p + got, (int)(n - (size_t)got))) > 0 && (size_t)(got += r) < n)
		;
	ERR_clear_error();
	return got > 0 ? got : -1;
}

/* idle: N connections held, then each sends a line; plus a fresh client. */
static int idle_mode(int n, int pid)
{
	int *fds = calloc((size_t)n, sizeof *fds);
	SSL **ssl = calloc((size_t)n, sizeof *ssl);
	for (int i = 0; i < n; i++) {
		fds[i] = tcp_connect(0);
		if (fds[i] < 0) {
			fprintf(stderr, "stampload: connect %d: %s\n", i, strerror(errno));
			return 1;
		}
		if (tls && !(ssl[i] = tls_blocking(fds[i]))) {
			fprintf(stderr, "stampload: TLS handshake %d failed\n", i);
			return 1;
		}
	}
	usleep(500000);
	long rss = status_kib(pid, "VmRSS"), anon = status_kib(pid, "RssAnon"), priv = private_kib(pid);
	/* A fresh client while N are held. */
	long long t0 = now_us();
	int f = tcp_connect(0);
	SSL *fs = f >= 0 && tls ? tls_blocking(f) : NULL;
	if (fs)
		fcntl(f, F_SETFL, O_NONBLOCK);
	char buf[256];
	long long fresh = -1;
	if (f >= 0 && (!tls || fs) && c_write(f, fs, LINE, 32) == 32) {
		struct pollfd p = {.fd = f, .events = POLLIN};
		/* (over TLS the first records may be session tickets, not the reply) */
		while (fresh < 0 && now_us() - t0 < 5000000 && poll(&p, 1, 5000) > 0) {
			ssize_t r = c_read(f, fs, buf, sizeof buf);
			if (r > 0 && memchr(buf, '\n', (size_t)r))
				fresh = now_us() - t0;
			else if (r == 0 || (r < 0 && !tls))
				break;
		}
	}
	if (fs)
		SSL_free(fs);
	if (f >= 0)
		close(f);
	int ep = epoll_create1(0);
	for (int i = 0; i < n; i++) {
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
		if (c_write(fds[i], ssl[i], LINE, 32) != 32)
			fprintf(stderr, "stampload: write %d failed\n", i);
	}
	int answered = 0;
	char *seen = calloc((size_t)n, 1);
	long long end = now_us() + 10000000;
	struct epoll_event evs[512];
	while (answered < n && now_us() < end) {
		int k = epoll_wait(ep, evs, 512, 100);
		for (int j = 0; j < k; j++) {
			unsigned i = evs[j].data.u32;
			ssize_t r = c_read(fds[i], ssl[i], buf, sizeof buf);
			if (r > 0 && memchr(buf, '\n', (size_t)r) && !seen[i]) {
				seen[i] = 1;
				answered++;
			}
		}
	}
	printf("rss_kib=%ld anon_kib=%ld private_kib=%ld answered=%d of=%d fresh_ms=%.1f\n", rss, anon, priv, answered, n,
	       fresh < 0 ? -1.0 : fresh / 1000.0);
	for (int i = 0; i < n; i++) {
		if (ssl[i])
			SSL_free(ssl[i]);
		close(fds[i]);
	}
	return 0;
}

/* The line of a persist or connect run (rps summed over the workers' own rates). */
static void report(int persist_fmt, const struct result *sum, double rps, int nconn, int workers)
{
	long long p50, p99;
	percentiles(&p50, &p99);
	double cpu = sum->total > 0 ? sum->cpu_us / (double)sum->total : -1;
	if (persist_fmt)
		printf("rps=%.0f p50_us=%lld p99_us=%lld unanswered=%lld conns=%d workers=%d load_cpu_us_per_req=%.1f", rps,
		       p50, p99, sum->bad, nconn, workers, cpu);
	else
		printf("rps=%.0f p50_us=%lld p99_us=%lld failed=%lld workers=%d load_cpu_us_per_req=%.1f", rps, p50, p99,
		       sum->bad, workers, cpu);
	if (nsrv && sum->total > 0 && srv_ticks0 >= 0 && srv_ticks1 >= 0)
		printf(" server_cpu_us_per_req=%.1f",
		       (double)(srv_ticks1 - srv_ticks0) * 1e6 / (double)sysconf(_SC_CLK_TCK) / (double)sum->total);
	printf("\n");
}

/* One worker's slot in the shared memory: its result and its latency reservoir. */
struct slot {
	struct result r;
	long long samples[SAMPLES];
};

/* persist, connect and their TLS modes: alone, or in WORKERS forked processes each with
 * its share of N, all measuring from the same moment (once every one has connected). */
static int run_measured(int (*fn)(int, double), int persist_fmt, int n, double secs, int workers)
{
	if (workers > n)
		workers = n;
	if (workers <= 1) {
		int rc = fn(n, secs);
		if (rc)
			return rc;
		report(persist_fmt, &res, res.secs > 0 ? (double)res.total / res.secs : 0, n, 1);
		return 0;
	}
	struct slot *slot = mmap(NULL, sizeof *slot * (size_t)workers, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int ready[2], go[2];
	if (slot == MAP_FAILED || pipe(ready) < 0 || pipe(go) < 0) {
		perror("stampload: workers");
		return 1;
	}
	pid_t *pid = calloc((size_t)workers, sizeof *pid);
	fflush(stdout);
	for (int w = 0; w < workers; w++) {
		int share = n / workers + (w < n % workers);
		pid[w] = fork();
		if (pid[w] < 0) {
			perror("stampload: fork");
			return 1;
		}
		if (pid[w] == 0) {
			close(ready[0]);
			close(go[1]);
			ready_fd = ready[1];
			go_fd = go[0];
			srand((unsigned)getpid());
			int rc = fn(share, secs);
			slot[w].r = res;
			slot[w].r.nsamples = nsamples;
			memcpy(slot[w].samples, samples, sizeof samples[0] * (size_t)(nsamples < SAMPLES ? nsamples : SAMPLES));
			slot[w].r.done = !rc;
			fflush(stdout);
			_exit(rc);
		}
	}
	close(ready[1]);
	close(go[0]);
	/* Every worker connected (or one gave up: then all stop). */
	int nready = 0, failed = 0;
	while (nready < workers && !failed) {
		struct pollfd p = {.fd = ready[0], .events = POLLIN};
		if (poll(&p, 1, 100) > 0) {
			char b[64];
			ssize_t r = read(ready[0], b, sizeof b);
			if (r <= 0)
				failed = 1;
			else
				nready += (int)r;
		}
		if (waitpid(-1, NULL, WNOHANG) > 0)
			failed = 1;
	}
	if (failed)
		for (int w = 0; w < workers; w++)
			kill(pid[w], SIGKILL);
	close(go[1]); /* the start */
	if (nsrv && !failed) {
		srv_ticks0 = srv_ticks();
		long long end = now_us() + (long long)(secs * 1e6);
		for (long long left; (left = end - now_us()) > 0;)
			usleep((useconds_t)(left > 100000 ? 100000 : left));
		srv_ticks1 = srv_ticks();
	}
	int rc = 0;
	for (int w = 0; w < workers; w++) {
		int st;
		if (waitpid(pid[w], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) || !slot[w].r.done)
			rc = 1;
	}
	if (rc || failed) {
		fprintf(stderr, "stampload: a worker failed\n");
		return 1;
	}
	/* Sums; latencies: every sample when they fit, else from each worker a share of the
	 * reservoir in proportion to the requests it saw, picked at random. */
	struct result sum = {0};
	double rps = 0;
	long long seen = 0;
	for (int w = 0; w < workers; w++) {
		sum.total += slot[w].r.total;
		sum.bad += slot[w].r.bad;
		sum.cpu_us += slot[w].r.cpu_us;
		if (slot[w].r.secs > 0)
			rps += (double)slot[w].r.total / slot[w].r.secs;
		seen += slot[w].r.nsamples;
	}
	long long kept = 0;
	for (int w = 0; w < workers; w++) {
		long long have = slot[w].r.nsamples < SAMPLES ? slot[w].r.nsamples : SAMPLES;
		long long take = seen <= SAMPLES ? have : (long long)((double)SAMPLES * (double)slot[w].r.nsamples / (double)seen);
		if (take > have)
			take = have;
		for (long long j = 0; j < take; j++) { /* a partial Fisher-Yates shuffle */
			long long k = j + rand() % (have - j);
			long long t = slot[w].samples[j];
			slot[w].samples[j] = slot[w].samples[k];
			slot[w].samples[k] = t;
			samples[kept++] = slot[w].samples[j];
		}
	}
	nsamples = kept;
	report(persist_fmt, &sum, rps, n, workers);
	munmap(slot, sizeof *slot * (size_t)workers);
	free(pid);
	return 0;
}

int main(int argc, char **argv)
{
	int workers = 1;
	int uring = 0;
	while (argc > 2 && (!strcmp(argv[1], "-w") || !strcmp(argv[1], "-p") || !strcmp(argv[1], "-u"))) {
		if (argv[1][1] == 'u') {
			uring = 1;
			argv++;
			argc--;
			continue;
		}
		if (argv[1][1] == 'w') {
			workers = atoi(argv[2]);
			if (workers < 1) {
				fprintf(stderr, "stampload: -w takes a number of processes (1 or more)\n");
				return 2;
			}
		} else {
			for (char *t = strtok(argv[2], ","); t; t = strtok(NULL, ","))
				if (nsrv < MAXSRV && atoi(t) > 0)
					srv_pid[nsrv++] = atoi(t);
		}
		argv += 2;
		argc -= 2;
	}
	if (argc < 6) {
		fprintf(stderr, "usage: stampload [-u] [-w WORKERS] [-p PID[,PID...]] [tls-]persist|[tls-]connect|udp|[tls-]idle "
				"HOST PORT N SECS|PID\n");
		return 2;
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	resolve(argv[2], atoi(argv[3]));
	int n = atoi(argv[4]);
	const char *mode = argv[1];
	if (!strncmp(mode, "tls-", 4)) {
		tls_init(strcmp(mode, "tls-idle") != 0);
		mode += 4;
		if (!strcmp(mode, "connect"))
			return run_measured(tls_connect_mode, 0, n, atof(argv[5]), workers);
	}
	if (!strcmp(mode, "persist"))
		return run_measured(uring ? persist_uring : persist, 1, n, atof(argv[5]), workers);
	if (!strcmp(mode, "connect"))
		return run_measured(connect_mode, 0, n, atof(argv[5]), workers);
	if (workers > 1 && (!strcmp(mode, "udp") || !strcmp(mode, "idle"))) {
		fprintf(stderr, "stampload: -w goes with the persist and connect modes\n");
		return 2;
	}
	if (!strcmp(mode, "udp"))
		return udp_mode(n, atof(argv[5]));
	if (!strcmp(mode, "idle"))
		return idle_mode(n, atoi(argv[5]));
	fprintf(stderr, "stampload: unknown mode %s\n", mode);
	return 2;
}
