/* SPDX-License-Identifier: MIT */
/* listen.h - listeners and workers, in nginx's shape: the supervisor binds a port once
 * (so a busy port fails before anything forks), pre-forks the workers, which inherit
 * the listening sockets, and restarts a worker that dies under a capped policy.
 *
 * SO_REUSEPORT is set only when asked for (--reuseport): then each worker gets its own
 * socket set on the port and the kernel spreads connections or datagrams over them,
 * also to any other process of the same user that binds the port with SO_REUSEPORT.
 * Without it one socket set is shared by every worker and no other socket can bind
 * the port (UDP sockets carry no SO_REUSEADDR either; see sock.h).
 */
#ifndef NT_LISTEN_H
#define NT_LISTEN_H

#include "sock.h"

struct listen_conf {
	int type;          /* SOCK_STREAM or SOCK_DGRAM */
	const char *host;  /* NULL or "": every address */
	int port;
	int family;        /* AF_UNSPEC, AF_INET, AF_INET6 */
	int workers;       /* worker processes (1: the process serves itself) */
	int reuseport;     /* one SO_REUSEPORT socket set per worker */
};

struct listeners {
	int nsets;                     /* 1 (shared), or one per worker with reuseport */
	int n;                         /* sockets in each set */
	int (*fd)[SOCK_LISTEN_MAX];    /* fd[set][i] */
};

/* Bind (and listen) every set; 0, or -1 with a message in err (errno kept: EADDRINUSE
 * for a busy port). Nothing stays open on failure. */
int listen_open(const struct listen_conf *c, struct listeners *l, char *err);
/* Listen on the unix socket path: like sock_listen_unix, but a path that exists and is
 * not a socket is refused first (errno ENOTSOCK, "... exists and is not a socket"): a
 * local file problem, exit 6 for the applets, where bind would say "in use". */
int listen_unix(const char *path, int type, char *err);
/* In worker idx: copy its set into fds and close every other set of this process.
 * Returns the number of sockets. */
int listen_take(struct listeners *l, int idx, int fds[SOCK_LISTEN_MAX]);
/* Close every socket and free the sets. */
void listen_close(struct listeners *l);

/* The restart policy: a worker that dies is restarted at once, but when a worker
 * dies for the (WORKERS_RESTARTS + 1)th time within WORKERS_WINDOW_S seconds the
 * supervisor stops the others and gives up. */
#define WORKERS_RESTARTS 5
#define WORKERS_WINDOW_S 30

/* Body of worker idx (0..n-1); its return value is the worker's exit status. Runs in
 * a child with the caller's signal mask; it must stop on SIGTERM. */
typedef int worker_fn(int idx, void *arg);
/* Fork n workers and supervise them until SIGINT or SIGTERM (sent on to the workers,
 * then waited for: returns 0) or until the restart cap is hit (every worker stopped,
 * message given: returns NT_EXIT_FAIL). A worker never outlives the supervisor. When
 * the caller has SIGHUP blocked (its workers read it, e.g. from a signalfd), a SIGHUP
 * to the supervisor is sent on to every worker; otherwise SIGHUP is left alone. */
int workers_run(int n, worker_fn *fn, void *arg);
/* --workers auto: one worker per online CPU (1 to 256). */
int workers_auto(void);
/* The value the supervisor's giving-up SIGTERM carries (sigqueue). */
#define WORKERS_GAVE_UP 0x6e74
/* In a worker, from the signalfd_siginfo of a SIGTERM (ssi_code, ssi_pid, ssi_int):
 * 1 if it is the supervisor stopping the workers because it gave up (it said why; the
 * worker stays quiet), 0 for a stop from outside. */
int workers_gave_up(int code, long pid, int value);

#endif
