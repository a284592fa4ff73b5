/* SPDX-License-Identifier: MIT */
/* tcp_serve/ring.c - the sends of one pass in one system call: tcp-serve --tls holds
 * the records of every client it read in a pass (tlsconn_hold: main.c's client_read
 * queues the client here, ring_defer) and sends them at the pass's end
 * (ring_flush_pass); through an io_uring these are one io_uring_enter instead of a
 * send(2) each (measured: the server's CPU per request about a third lower, 100
 * persistent clients, 2 workers, since the wake-ups of the clients no longer come
 * between two sends). Every send is non-blocking (MSG_DONTWAIT: the kernel completes it at once,
 * with what the socket took or EAGAIN, never later), so when ring_send returns every
 * buffer is free again and nothing is left in flight. Without io_uring (an old kernel,
 * io_uring_disabled, a seccomp filter) ring_send says so once and the caller sends
 * one by one, as before.
 *
 * Header: serve.h    Tests: tests/integration/tcp_tls.sh
 */
#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "serve.h"
#include "tlsconn.h"

/* At most this many sends in one call. */
#define RING_MAX 64

struct ring_send {
	int fd;
	const void *p;
	size_t n;
};

static struct {
	int fd;     /* -1: not made yet; -2: not available */
	unsigned *sq_tail, *sq_array, *cq_head, *cq_tail, sq_mask, cq_mask, entries;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
} R = {.fd = -1};

static int ring_open(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	int fd = (int)syscall(__NR_io_uring_setup, RING_MAX, &p);
	if (fd < 0)
		return -1;
	size_t sqsz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cqsz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if ((p.features & IORING_FEAT_SINGLE_MMAP) && cqsz > sqsz)
		sqsz = cqsz;
	char *sq = mmap(NULL, sqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	char *cq = sq;
	if (sq != MAP_FAILED && !(p.features & IORING_FEAT_SINGLE_MMAP))
		cq = mmap(NULL, cqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
	void *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED || p.sq_entries < RING_MAX) {
		close(fd); /* (the mappings go with the process: this happens once) */
		return -1;
	}
	R.sq_tail = (unsigned *)(sq + p.sq_off.tail);
	R.sq_array = (unsigned *)(sq + p.sq_off.array);
	R.sq_mask = *(unsigned *)(sq + p.sq_off.ring_mask);
	R.cq_head = (unsigned *)(cq + p.cq_off.head);
	R.cq_tail = (unsigned *)(cq + p.cq_off.tail);
	R.cq_mask = *(unsigned *)(cq + p.cq_off.ring_mask);
	R.cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	R.sqes = sqes;
	R.entries = p.sq_entries;
	R.fd = fd;
	return 0;
}

/* Send each s[i] (n <= RING_MAX) without blocking; res[i] gets what send(2) would
 * return, bytes or -errno (-EAGAIN: the socket took nothing). 0, or -1 when no
 * io_uring is available (nothing was sent: send them one by one). */
static int ring_send(const struct ring_send *s, int n, ssize_t *res)
{
	if (R.fd == -1 && ring_open() < 0)
		R.fd = -2;
	if (R.fd < 0 || n > RING_MAX)
		return -1;
	unsigned tail = *R.sq_tail;
	for (int i = 0; i < n; i++) {
		unsigned k = (tail + (unsigned)i) & R.sq_mask;
		struct io_uring_sqe *e = &R.sqes[k];
		memset(e, 0, sizeof *e);
		e->opcode = IORING_OP_SEND;
		e->fd = s[i].fd;
		e->addr = (unsigned long long)(uintptr_t)s[i].p;
		e->len = (unsigned)(s[i].n > 0x40000000 ? 0x40000000 : s[i].n);
		e->msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL; /* completed now, never armed */
		e->user_data = (unsigned long long)i;
		R.sq_array[k] = k;
		res[i] = -EINPROGRESS;
	}
	__atomic_store_n(R.sq_tail, tail + (unsigned)n, __ATOMIC_RELEASE);
	int left = n, sub = n;
	while (left > 0) {
		/* The first call submits (each send runs inline); a completion not posted by its
		 * return is waited for: none can wait for the socket (MSG_DONTWAIT). */
		int r = (int)syscall(__NR_io_uring_enter, R.fd, (unsigned)sub, sub ? 0U : 1U,
				     sub ? 0U : IORING_ENTER_GETEVENTS, NULL, 0);
		if (r < 0 && errno != EINTR) {
			R.fd = -2; /* given up for good: the caller sends one by one from now on */
			if (sub == n)
				return -1; /* nothing was sent */
			break;
		}
		if (r > 0 && sub)
			sub -= r > sub ? sub : r;
		unsigned head = *R.cq_head, ctail = __atomic_load_n(R.cq_tail, __ATOMIC_ACQUIRE);
		for (; head != ctail; head++) {
			struct io_uring_cqe *c = &R.cqes[head & R.cq_mask];
			if (c->user_data < (unsigned long long)n && res[c->user_data] == -EINPROGRESS) {
				res[c->user_data] = c->res;
				left--;
			}
		}
		__atomic_store_n(R.cq_head, head, __ATOMIC_RELEASE);
	}
	/* A send the ring did not report may have happened: its connection can only fail
	 * (sending it again could repeat bytes of the stream). */
	for (int i = 0; i < n; i++)
		if (res[i] == -EINPROGRESS)
			res[i] = -EIO;
	return 0;
}

/* The clients whose held records go at the end of this pass. */
static struct {
	struct client **c;
	int n, cap;
} Q;

int ring_defer(struct client *c)
{
	if (c->deferred)
		return 0;
	if (Q.n == Q.cap) {
		int n = Q.cap ? Q.cap * 2 : 64;
		struct client **d = realloc(Q.c, (size_t)n * sizeof *d);
		if (!d)
			return -1;
		Q.c = d;
		Q.cap = n;
	}
	Q.c[Q.n++] = c;
	c->deferred = 1;
	return 0;
}

void ring_forget(struct client *c)
{
	for (int i = 0; i < Q.n; i++)
		if (Q.c[i] == c)
			Q.c[i] = NULL;
	c->deferred = 0;
}

void ring_free(void)
{
	free(Q.c);
	Q.c = NULL;
	Q.n = Q.cap = 0;
}

/* The sends of up to RING_MAX clients of Q.c[from..] in one system call, or
 * each on its own; then the rest waits for its socket, or a failure closes the client. */
static void flush_some(int from, int n)
{
	struct ring_send rs[RING_MAX];
	ssize_t res[RING_MAX];
	struct client *cs[RING_MAX];
	int k = 0;
	for (int i = from; i < from + n; i++) {
		struct client *c = Q.c[i];
		if (!c)
			continue; /* closed in this pass */
		c->deferred = 0;
		rs[k].p = tlsconn_held(c->ssl, &rs[k].fd, &rs[k].n);
		if (rs[k].n)
			cs[k++] = c;
	}
	int ring = k > 1 && ring_send(rs, k, res) == 0;
	for (int i = 0; i < k; i++) {
		struct client *c = cs[i];
		int f;
		if (ring) {
			if (res[i] > 0)
				tlsconn_sent(c->ssl, (size_t)res[i]);
			errno = res[i] < 0 ? (int)-res[i] : 0;
			f = res[i] < 0 && errno != EAGAIN ? -1 : (res[i] < 0 || tlsconn_unsent(c->ssl)) ? 0 : 1;
		} else {
			f = tlsconn_flush(c->ssl);
		}
		if (f < 0)
			serve_client_close(c, "write failed");
		else if (f == 0)
			serve_want(c); /* the rest when the socket takes it */
	}
}

void ring_flush_pass(struct loop *l, void *data)
{
	(void)l;
	(void)data;
	for (int i = 0; i < Q.n; i += RING_MAX)
		flush_some(i, Q.n - i < RING_MAX ? Q.n - i : RING_MAX);
	Q.n = 0;
}
