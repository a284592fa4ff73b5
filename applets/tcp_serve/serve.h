/* SPDX-License-Identifier: MIT */
/* serve.h - what the files of tcp-serve share (internal to applets/tcp_serve/).
 *
 * main.c owns the listeners, the event loop, accept and the built-in line modes;
 * opts.c the command line (opts.h); partial.c the --max-partial cap; tlsconn.c TLS
 * (tlsconn.h); exec.c runs a program per connection (--exec, --sh-exec); recv.c is the
 * nc -l receiver (--stream); services.c the RFC 863/864/868 services (--discard,
 * --chargen, --time); ring.c the sends of a pass in one system call (io_uring).
 *
 * Connection I/O for a TLS layer: every read and write of a connection in the loop
 * goes through conn_read()/conn_write() (main.c) with the connection's descriptor;
 * --exec hands a connection to its program through exec_spawn(child_fd, ...), where
 * child_fd is the accepted socket itself in plain mode, or one end of a socketpair
 * whose other end the loop relays (through the TLS session) when the bytes can not go
 * straight.
 *
 * Tests: tests/integration/tcp_serve.sh, tests/integration/tcp_exec.sh
 */
#ifndef NT_TCP_SERVE_H
#define NT_TCP_SERVE_H

#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "buf.h"

struct loop;
struct ssl_st;

/* A connection served in the loop (every mode but --exec and --stream). */
struct client {
	int fd;
	unsigned closing : 1;   /* close once the output is flushed */
	unsigned paused : 1;    /* not reading: output above OUT_HIGH */
	unsigned answered : 1;  /* --line: the one line was answered */
	unsigned pos : 13;      /* --chargen: where in the pattern (CHARGEN_CYCLE) the next byte is */
	unsigned handshake : 1; /* --tls: the handshake is not done yet */
	unsigned rd_want : 2;   /* --tls: the event a blocked read waits for (LOOP_READ/WRITE) */
	unsigned wr_want : 2;   /* --tls: the event a blocked write waits for */
	unsigned drained : 1;   /* conn_read gave data and emptied the socket (and the session) */
	unsigned rd_eof : 1;    /* --chargen: the client half-closed; it is sent to until it closes */
	unsigned deferred : 1;  /* --tls: held records are sent at the end of the pass (main.c) */
	struct ssl_st *ssl;     /* --tls: the session (tlsconn.h); NULL on a plain connection */
	long long last;         /* last activity, loop_now_ms(); the accept during a handshake */
	size_t held;            /* the memory of c->in counted by partial.c */
	struct buf in;          /* an incomplete line */
	struct buf out;         /* replies the client has not taken yet */
	char addr[48];
};

/* What --json reports of a connection, kept beside the clients (by descriptor) only
 * with --json, so that an idle connection costs no more without it. */
struct conn_stats {
	long long start;        /* loop_now_ms() at accept */
	unsigned long long nin, nout;
};

/* The one read and the one write of a connection (counted for --json): -1 with errno
 * EAGAIN when it would block, as read(2) and send(2). A read that gave data sets
 * c->drained when nothing more is there to read now (a short read; over TLS, the socket
 * and the session both emptied), so the caller need not read again to hear EAGAIN. */
ssize_t conn_read(struct client *c, void *p, size_t n);
ssize_t conn_write(struct client *c, const void *p, size_t n);

/* --- main.c, for the mode files --- */
extern struct loop *serve_loop;
extern int serve_json;  /* --json: one object per connection on standard output */
/* A connection a mode file owned has ended: counted out, accepting resumes. */
void serve_conn_gone(void);
/* A loop connection: close it as the loop does (logged, --json, counted out). */
void serve_client_close(struct client *c, const char *why);
/* Free a loop connection without a word and without counting it out (close_notify
 * first over TLS): for a mode file that logs and counts it itself. */
void serve_conn_free(struct client *c);
/* Watch c for what it waits for: input unless c->paused or c->closing, output while
 * c->out holds some (over TLS the events the session asked for). */
void serve_want(struct client *c);
/* --tls: the handshake of c is done (tlsconn_step): serve it as a plain connection is
 * served from its accept on (data may have come with the handshake). */
void serve_tls_ready(struct client *c);
/* The --json object of one connection. in/out < 0: not known (null). status < -1:
 * no program; else the exit status (signal: 128 + n, as a shell says). */
void serve_json_conn(const char *peer, long long in, long long out, long long ms, const char *why,
		     int status, const char *signal_name);

/* --- ring.c: the held TLS records of a pass, sent at its end in one system call --- */
/* c's records are held (tlsconn_hold): send them at the end of the pass. 0, or -1 (out
 * of memory: the caller sends them now). */
int ring_defer(struct client *c);
/* c is being freed before the end of the pass. */
void ring_forget(struct client *c);
/* The end of a pass (loop_on_pass): every deferred client's records sent (io_uring, or
 * send(2) each without it); what a socket does not take waits for it to be writable
 * (serve_want), a failure closes the client. */
void ring_flush_pass(struct loop *l, void *data);
void ring_free(void);

/* --- partial.c: --max-partial, the cap on the partial lines (c->in) of all clients --- */
void partial_init(size_t max_partial);
/* c->in changed: count its memory (c->held) in the total. */
void partial_account(struct client *c);
/* c is being freed: its memory leaves the total. */
void partial_forget(const struct client *c);
/* Over the cap: close the clients holding the most (clients[0..n), by descriptor)
 * until the rest fits, logged; 1 when c was one of them (c is gone). */
int partial_enforce(struct client *c, struct client *const *clients, int n);
/* Log the closings counted but not said yet (when the loop stops). */
void partial_summary(void);

/* --- services.c --- */
/* --chargen: send what the socket takes of the pattern; 0, or -1 with errno. */
int svc_chargen_write(struct client *c);
/* --time: the 4 bytes of RFC 868 appended to reply. */
int svc_time_reply(struct buf *reply) __attribute__((warn_unused_result)); /* 0, or -1: out of memory */

/* --- recv.c --- */
/* --stream: accept on the listeners (nfd of them), relay one connection with standard
 * input and output, and return the exit code; with keep, the next connection after
 * it, forever. idle_ms > 0: a connection where nothing moves that long ends (exit 3).
 * tls (--tls): each connection's handshake within hs_ms (a failed one is exit 4, or
 * with keep said and the next connection taken); a pending SIGHUP reloads the
 * certificate first (tlsconn_reload). */
int recv_run(const int *lfd, int nfd, int keep, int idle_ms, int tls, int hs_ms);

/* --- exec.c --- */
struct exec_conf {
	char **argv;            /* the program and its arguments (argv[0] as given) */
	int per_ip;             /* --max-per-ip (0: no limit) */
};
/* Check and prepare once, before the loop: the program resolved on PATH, the spawn
 * attributes, the environment template. Returns 0 or -1 with a message in err. */
int exec_init(const struct exec_conf *c, char *err, size_t errlen);
/* A connection was accepted on fd (blocking, close-on-exec): start the program on it
 * (plain mode: the socket is its stdin and stdout). Returns 0 when a child runs (the
 * connection counts until it is reaped), -1 when it was refused or failed (fd closed,
 * said in the log). */
int exec_conn(int fd, const struct sockaddr *peer, socklen_t plen, const char *addr);
/* Start the program with child_fd as its stdin and stdout and the UCSPI environment of
 * the connection sock (peer and local address); child_fd may be sock itself or a
 * socketpair end (a relay, e.g. over TLS). Returns the pid, or -1 with errno. */
pid_t exec_spawn(int child_fd, int sock, const struct sockaddr *peer, socklen_t plen);
/* --exec over TLS: the handshake of c is done: start the program on one end of a
 * socketpair and relay the other end to the session in the loop (c->in: bytes from
 * the client not yet taken by the program, c->out: the program's output not yet sent,
 * each bounded). 0, or -1 when c was closed (refused, or the program could not start). */
int exec_relay_start(struct client *c);
/* An event on c's socket (the loop's callback for a relayed connection). */
void exec_relay_event(struct client *c);
/* client_close() of a relayed connection: 1 when c was one (freed, the relay ends once
 * the program is reaped, which logs it), 0 when it was not (no program yet). */
int exec_relay_close(struct client *c, const char *why);
/* SIGCHLD (from the loop's signalfd): reap every child that ended, log it, count the
 * connections out. Never blocks. */
void exec_reap(void);
/* Children still running. */
long exec_running(void);
/* The per-address count: 1 if ip may open another connection (and counts it), 0 not. */
int exec_ip_take(const char *ip);
void exec_ip_give(const char *ip);

#endif
