/* SPDX-License-Identifier: MIT */
/* stopsig.h - SIGINT and SIGTERM as a request to stop (a batch ends its transfers and
 * deletes its temporaries; a watch ends its IDLE and logs out), not an end at once: the
 * first one is noted (stopsig_got), a second one ends the process at once, and the
 * clean-up may be bounded in time (stopsig_bound). A batch then ends by the signal
 * itself (stopsig_disarm): the exit status a shell shows is 128 + the signal (130, 143),
 * as curl's is; a process whose normal end is a stop (a watch) ends as it says
 * (stopsig_release). A signal the process ignores at stopsig_arm stays ignored (a
 * script's background job ignores SIGINT). Used by the ftp engine (applets/ftp/engine.c)
 * and mail-fetch watch (applets/mail_fetch/main.c); the ftp engine's --deadline timer too
 * (stopsig_deadline).
 * Tests: tests/integration/ftp_durable.sh, tests/integration/ftp_deadline.sh,
 * tests/integration/mail_fetch_broken.sh */
#ifndef NT_STOPSIG_H
#define NT_STOPSIG_H

#include <sys/types.h>

/* From now on, SIGINT and SIGTERM are noted, not fatal (nested calls count). Blocking
 * calls are restarted after the signal (SA_RESTART): the caller looks between its steps. */
void stopsig_arm(void);
/* As stopsig_arm, for a process that waits for a stop (mail-fetch watch): a blocking
 * call (poll, waitpid) returns EINTR on the signal, so that the wait sees it at once. In
 * a process forked after this call, a signal this process sends once a stop is noted
 * there (stopsig_forward) is that same stop, not a second one: a Ctrl-C, or a service
 * manager's SIGTERM, reaches the whole process group, and the forward comes after it. */
void stopsig_arm_wait(void);
/* The signal noted (SIGINT, SIGTERM), or 0. */
int stopsig_got(void);
/* fork(), the new process recorded as one the stop passes on to (the caller is the process
 * that called stopsig_arm_wait): a second signal here is passed on to each recorded process
 * as a second signal there (it ends at once, or at the end of its stopsig_hold), they are
 * reaped, then this process ends by the signal; no process of the watch outlives it. */
pid_t stopsig_fork(void);
/* waitpid(-1) for the processes of stopsig_fork, each off the list as it is reaped (never a
 * signal to its PID used again): -1 with EINTR at a signal. */
pid_t stopsig_reap(int *status);
/* Pass the stop noted here on to each process of stopsig_fork not yet reaped (its signal;
 * SIGTERM when none is noted). */
void stopsig_forward(void);
/* A critical section (nested calls count): a second signal during it (mail-fetch: from a
 * message given to an --mda command to the state file that records it) is put off to its
 * end (stopsig_unhold), which then ends the process by it; a first one is noted as ever.
 * The section is bounded by what it does, not here (stopsig_bound's alarm still ends it);
 * in a process not armed, a signal's own action is as it was. */
void stopsig_hold(void);
void stopsig_unhold(void);
/* The clean-up gets at most secs seconds from the first signal (set once, best right
 * after stopsig_arm; a signal before it: from now), then the process says so and ends
 * by that signal wherever it is (a server that does not answer a DELE, a library
 * waiting for a reply). */
void stopsig_bound(unsigned secs);
/* The stop's timer, for --deadline and the signals: a SIGALRM to the calling thread, its
 * handler without SA_RESTART, at at_ms (CLOCK_MONOTONIC, in ms; 0: no deadline) or as
 * soon as a signal is noted, and every 100 ms after it until the timer is removed (at_ms
 * -1): a read or write that blocks on a pipe (a reader that stops reading, a producer that
 * stalls, a FIFO's open) returns EINTR there. Without setting O_NONBLOCK on a descriptor
 * others share. */
void stopsig_deadline(long long at_ms);
/* 1 once the timer has fired: a stop is due (the deadline's, or a signal's). */
int stopsig_due(void);
/* One read (out 0) or write (out 1) of fd: interrupted, it is tried again, unless a stop is
 * due (stopsig_due): then -1 with errno EINTR, as before it when the stop was already due.
 * The one check of every blocking read or write of a stream a stop must not wait for. */
ssize_t stopsig_io(int fd, void *p, size_t n, int out);
/* The dispositions before stopsig_arm back (the last nested call); a signal noted ends
 * the process now, by that signal. */
void stopsig_disarm(void);
/* The dispositions back as stopsig_disarm, without the end by the signal: the stop was
 * the process's normal end, its exit status its own (mail-fetch watch: 0). */
void stopsig_release(void);

#endif
