/* SPDX-License-Identifier: MIT */
/* stopsig.h - SIGINT and SIGTERM as a request to stop (a batch ends its transfers and
 * deletes its temporaries), not an end at once: the first one is noted (stopsig_got),
 * a second one ends the process at once, and the clean-up is bounded in time
 * (stopsig_bound). The process then ends by the signal itself (stopsig_disarm): the
 * exit status a shell shows is 128 + the signal (130, 143), as curl's is. A signal the
 * process ignores at stopsig_arm stays ignored. Used by the ftp engine (applets/ftp/engine.c).
 * Tests: tests/integration/ftp_durable.sh tests/integration/ftp_deadline.sh */
#ifndef NT_STOPSIG_H
#define NT_STOPSIG_H

/* From now on, SIGINT and SIGTERM are noted, not fatal (nested calls count). */
void stopsig_arm(void);
/* The signal noted (SIGINT, SIGTERM), or 0. */
int stopsig_got(void);
/* The clean-up gets at most secs seconds from the first signal (set once, best right
 * after stopsig_arm; a signal before it: from now), then the process says so and ends
 * by that signal wherever it is (a server that does not answer a DELE, a library
 * waiting for a reply). */
void stopsig_bound(unsigned secs);
/* --deadline: at at_ms (CLOCK_MONOTONIC, in ms; 0: the timer stopped), and every 100 ms
 * after it until stopped, a SIGALRM to the calling thread, its handler without SA_RESTART:
 * a write that blocks on a reader that stops reading (standard output, a FIFO) returns
 * EINTR there. Without setting O_NONBLOCK on a descriptor others share. */
void stopsig_deadline(long long at_ms);
/* 1 once the deadline's timer has fired (the writer then gives up: errno EINTR). */
int stopsig_due(void);
/* The dispositions before stopsig_arm back (the last nested call); a signal noted ends
 * the process now, by that signal. */
void stopsig_disarm(void);

#endif
