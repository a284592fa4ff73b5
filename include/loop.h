/* SPDX-License-Identifier: MIT */
/* loop.h - a small epoll event loop with timers (after redis ae).
 *
 * File events are indexed by descriptor; one callback type per event. Timers
 * fire once (re-arm from the callback for periodic work). Single-threaded.
 */
#ifndef NT_LOOP_H
#define NT_LOOP_H

#define LOOP_READ 1
#define LOOP_WRITE 2
#define LOOP_ERROR 4 /* passed to callbacks on EPOLLERR/EPOLLHUP (with READ) */

struct loop;
typedef void loop_fd_cb(struct loop *l, int fd, int mask, void *data);
typedef void loop_timer_cb(struct loop *l, long long id, void *data);
typedef void loop_pass_cb(struct loop *l, void *data);

/* A loop for descriptors below setsize (grows as needed). NULL on failure. */
struct loop *loop_new(int setsize);
void loop_free(struct loop *l);
/* Watch fd for mask (LOOP_READ|LOOP_WRITE); replaces an earlier registration. 0 or -1. */
int loop_add(struct loop *l, int fd, int mask, loop_fd_cb *cb, void *data);
/* Change the mask of a watched fd (0 stops watching but keeps the registration). */
int loop_mod(struct loop *l, int fd, int mask);
void loop_del(struct loop *l, int fd);
int loop_mask(struct loop *l, int fd);
/* Dispatch fd's callback with mask at the next pass, without waiting for epoll: for
 * input already taken off the socket (SSL_pending), which epoll never reports. Each
 * descriptor is queued once (masks merge); loop_del drops it. 0 or -1. */
int loop_fire(struct loop *l, int fd, int mask);
/* Call cb after ms milliseconds. Returns a timer id (> 0) or -1. */
long long loop_timer_add(struct loop *l, long long ms, loop_timer_cb *cb, void *data);
void loop_timer_del(struct loop *l, long long id);
/* Run until loop_stop() is called. Returns 0, or -1 if epoll failed. */
int loop_run(struct loop *l);
/* One pass: wait at most timeout_ms (-1 forever) and dispatch. Returns events handled or -1. */
int loop_once(struct loop *l, int timeout_ms);
/* Call cb at the end of every pass, after the events (and loop_fire's) it dispatched,
 * before the timers: work gathered from many events done at once. NULL: none. */
void loop_on_pass(struct loop *l, loop_pass_cb *cb, void *data);
void loop_stop(struct loop *l);
/* Monotonic milliseconds. */
long long loop_now_ms(void);

#endif
