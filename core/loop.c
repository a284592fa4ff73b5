/* SPDX-License-Identifier: MIT */
/* loop.c - epoll event loop with timers (after redis ae / ae_epoll).
 *
 * File events live in an array indexed by descriptor. Timers sit in a binary heap
 * keyed by deadline; there are few of them (servers sweep idle clients from one
 * periodic timer rather than arming one per client). loop_fire() queues an event that
 * epoll can not see (bytes already read into a TLS library's buffer): the next pass
 * dispatches it without waiting. loop_on_pass() names work to do at the end of every
 * pass, after its events (tcp-serve --tls writes the pass's replies there).
 *
 * Header: include/loop.h    Tests: tests/unit/check_net.c
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

struct fev {
	int mask;       /* what we want */
	int registered; /* known to epoll */
	int pend;       /* loop_fire: events to dispatch at the next pass */
	int queued;     /* in the fire list (once, even when epoll took pend first) */
	unsigned seen;  /* the pass in which epoll last dispatched it */
	loop_fd_cb *cb;
	void *data;
};

struct timer {
	long long when, id;
	loop_timer_cb *cb;
	void *data;
};

struct loop {
	int epfd;
	int setsize;
	struct fev *ev;
	struct epoll_event *fired;
	int nfired;
	struct timer *heap;
	int ntimers, captimers;
	long long next_id;
	int stop;
	int *fire;      /* descriptors with a loop_fire pending (each once) */
	int nfire, capfire;
	unsigned pass;  /* loop_once's count, for once a pass */
	loop_pass_cb *pass_cb; /* loop_on_pass: after each pass's events */
	void *pass_data;
};

long long loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_new(int setsize)
{
	struct loop *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	if (setsize < 64)
		setsize = 64;
	l->setsize = setsize;
	l->ev = calloc((size_t)setsize, sizeof *l->ev);
	l->nfired = 256;
	l->fired = calloc((size_t)l->nfired, sizeof *l->fired);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->next_id = 1;
	if (!l->ev || !l->fired || l->epfd < 0) {
		loop_free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->ev);
	free(l->fired);
	free(l->heap);
	free(l->fire);
	free(l);
}

static int grow(struct loop *l, int fd)
{
	if (fd < l->setsize)
		return 0;
	int n = l->setsize;
	while (n <= fd)
		n *= 2;
	struct fev *ev = realloc(l->ev, (size_t)n * sizeof *ev);
	if (!ev)
		return -1;
	memset(ev + l->setsize, 0, (size_t)(n - l->setsize) * sizeof *ev);
	l->ev = ev;
	l->setsize = n;
	return 0;
}

static int apply(struct loop *l, int fd, int mask)
{
	struct fev *e = &l->ev[fd];
	struct epoll_event ee = {0};
	ee.data.fd = fd;
	if (mask & LOOP_READ)
		ee.events |= EPOLLIN | EPOLLRDHUP;
	if (mask & LOOP_WRITE)
		ee.events |= EPOLLOUT;
	int op = e->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(l->epfd, op, fd, &ee) < 0)
		return -1;
	e->registered = 1;
	e->mask = mask;
	return 0;
}

int loop_add(struct loop *l, int fd, int mask, loop_fd_cb *cb, void *data)
{
	if (fd < 0 || grow(l, fd) < 0)
		return -1;
	struct fev *e = &l->ev[fd];
	e->cb = cb;
	e->data = data;
	return apply(l, fd, mask);
}

int loop_mod(struct loop *l, int fd, int mask)
{
	if (fd < 0 || fd >= l->setsize || !l->ev[fd].registered)
		return -1;
	if (l->ev[fd].mask == mask)
		return 0;
	return apply(l, fd, mask);
}

int loop_mask(struct loop *l, int fd)
{
	if (fd < 0 || fd >= l->setsize || !l->ev[fd].registered)
		return 0;
	return l->ev[fd].mask;
}

void loop_del(struct loop *l, int fd)
{
	if (fd < 0 || fd >= l->setsize || !l->ev[fd].registered)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&l->ev[fd], 0, sizeof l->ev[fd]); /* a pending loop_fire is dropped with it */
	/* Events for fd already fetched in this pass are dropped by the dispatcher. */
	for (int i = 0; i < l->nfired; i++)
		if (l->fired[i].data.fd == fd)
			l->fired[i].events = 0;
}

/* Append fd to the fire list. 0 or -1 (out of memory). */
static int fire_push(struct loop *l, int fd)
{
	if (l->nfire == l->capfire) {
		int n = l->capfire ? l->capfire * 2 : 64;
		int *f = realloc(l->fire, (size_t)n * sizeof *f);
		if (!f)
			return -1;
		l->fire = f;
		l->capfire = n;
	}
	l->fire[l->nfire++] = fd;
	return 0;
}

int loop_fire(struct loop *l, int fd, int mask)
{
	if (fd < 0 || fd >= l->setsize || !l->ev[fd].registered || !mask)
		return -1;
	struct fev *e = &l->ev[fd];
	/* Not !e->pend: an epoll event that carried pend (loop_once) empties it while the
	 * descriptor is still listed, and a second entry there would run it twice in the
	 * next pass, a third time in the one after, and so on: a busy descriptor then ran
	 * k times in pass k and made every other client wait for the pass to end. */
	if (!e->queued) {
		if (fire_push(l, fd) < 0)
			return -1;
		e->queued = 1;
	}
	e->pend |= mask;
	return 0;
}

/* Dispatch the loop_fire events queued before this pass (those queued by the callbacks
 * wait for the next pass, so that a callback that fires itself can not starve epoll).
 * Each descriptor is listed once (queued) and runs once a pass: one that epoll has
 * dispatched in this pass keeps its fire for the next, so that the work of a pass, and
 * the wait of every other descriptor for the next one, stays one turn per busy
 * descriptor. An entry left by loop_del dispatches nothing. */
static int run_fired(struct loop *l)
{
	int n = l->nfire, handled = 0;
	if (!n)
		return 0;
	for (int i = 0; i < n; i++) {
		int fd = l->fire[i]; /* re-read: a callback's loop_fire may move the list */
		if (fd >= l->setsize)
			continue;
		struct fev *e = &l->ev[fd];
		if (!e->queued)
			continue; /* a stale entry (loop_del, then the descriptor reused) */
		if (e->seen == l->pass && e->pend && e->registered && fire_push(l, fd) == 0)
			continue; /* had its turn in this pass: the next one (or now, out of memory) */
		e->queued = 0;
		int mask = e->pend;
		e->pend = 0;
		if (!e->registered || !mask)
			continue;
		e->cb(l, fd, mask, e->data);
		handled++;
	}
	/* What the callbacks queued waits for the next pass. */
	memmove(l->fire, l->fire + n, (size_t)(l->nfire - n) * sizeof *l->fire);
	l->nfire -= n;
	return handled;
}

/* Heap helpers. */
static void heap_swap(struct timer *a, struct timer *b)
{
	struct timer t = *a;
	*a = *b;
	*b = t;
}

static void heap_up(struct timer *h, int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;
		if (h[p].when <= h[i].when)
			break;
		heap_swap(&h[p], &h[i]);
		i = p;
	}
}

static void heap_down(struct timer *h, int n, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && h[l].when < h[m].when)
			m = l;
		if (r < n && h[r].when < h[m].when)
			m = r;
		if (m == i)
			break;
		heap_swap(&h[m], &h[i]);
		i = m;
	}
}

long long loop_timer_add(struct loop *l, long long ms, loop_timer_cb *cb, void *data)
{
	if (l->ntimers == l->captimers) {
		int n = l->captimers ? l->captimers * 2 : 16;
		struct timer *h = realloc(l->heap, (size_t)n * sizeof *h);
		if (!h)
			return -1;
		l->heap = h;
		l->captimers = n;
	}
	/* heap_up may move this timer: remember its id before. */
	long long id = l->next_id++;
	struct timer *t = &l->heap[l->ntimers];
	t->when = loop_now_ms() + (ms > 0 ? ms : 0);
	t->id = id;
	t->cb = cb;
	t->data = data;
	heap_up(l->heap, l->ntimers++);
	return id;
}

void loop_timer_del(struct loop *l, long long id)
{
	for (int i = 0; i < l->ntimers; i++) {
		if (l->heap[i].id != id)
			continue;
		l->heap[i] = l->heap[--l->ntimers];
		if (i < l->ntimers) {
			heap_down(l->heap, l->ntimers, i);
			heap_up(l->heap, i);
		}
		return;
	}
}

static int run_timers(struct loop *l)
{
	int n = 0;
	long long now = loop_now_ms();
	while (l->ntimers && l->heap[0].when <= now) {
		struct timer t = l->heap[0];
		l->heap[0] = l->heap[--l->ntimers];
		heap_down(l->heap, l->ntimers, 0);
		t.cb(l, t.id, t.data);
		n++;
	}
	return n;
}

int loop_once(struct loop *l, int timeout_ms)
{
	int t = l->nfire ? 0 : timeout_ms;
	l->pass++;
	if (l->ntimers) {
		long long left = l->heap[0].when - loop_now_ms();
		if (left < 0)
			left = 0;
		if (t < 0 || left < t)
			t = (int)left;
	}
	int n = epoll_wait(l->epfd, l->fired, l->nfired, t);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -1;
	}
	int handled = 0;
	for (int i = 0; i < n; i++) {
		struct epoll_event *e = &l->fired[i];
		int fd = e->data.fd;
		if (!e->events || fd < 0 || fd >= l->setsize || !l->ev[fd].registered)
			continue;
		int mask = 0;
		if (e->events & (EPOLLIN | EPOLLRDHUP))
			mask |= LOOP_READ;
		if (e->events & EPOLLOUT)
			mask |= LOOP_WRITE;
		if (e->events & (EPOLLERR | EPOLLHUP))
			mask |= LOOP_ERROR | LOOP_READ | (l->ev[fd].mask & LOOP_WRITE);
		struct fev *fe = &l->ev[fd];
		if (fe->pend) /* epoll's event carries it: one call, not two */
			mask |= fe->pend, fe->pend = 0;
		fe->seen = l->pass;
		fe->cb(l, fd, mask, fe->data);
		handled++;
	}
	/* Clear the fired list so a loop_del after this pass has nothing to scan. */
	for (int i = 0; i < n; i++)
		l->fired[i].events = 0;
	handled += run_fired(l);
	if (l->pass_cb)
		l->pass_cb(l, l->pass_data);
	handled += run_timers(l);
	return handled;
}

void loop_on_pass(struct loop *l, loop_pass_cb *cb, void *data)
{
	l->pass_cb = cb;
	l->pass_data = data;
}

int loop_run(struct loop *l)
{
	l->stop = 0;
	while (!l->stop)
		if (loop_once(l, -1) < 0)
			return -1;
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = 1;
}
