/* SPDX-License-Identifier: MIT */
/* stopsig.c - SIGINT and SIGTERM noted for a clean stop, a second one fatal at once (the
 * forward of a waiting process's stop to the processes it forked is not a second one;
 * its second signal is, sent with sigqueue, and it reaps them before it ends), or at the
 * end of a critical section (stopsig_hold); the clean-up bounded by an alarm; the end by
 * the signal itself (its default action), or the process's own (stopsig_release). The
 * deadline's timer: SIGALRM too, told apart from the alarm by its si_code (SI_TIMER); a
 * noted signal fires it at once, so that a blocked read or write ends the same way for
 * both stops (stopsig_io).
 *
 * Header: include/stopsig.h
 * Tests: tests/integration/ftp_durable.sh, tests/integration/ftp_deadline.sh,
 * tests/integration/mail_fetch_broken.sh
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nt_err.h"
#include "stopsig.h"

static const int sigs[] = {SIGINT, SIGTERM};
static struct sigaction old[2];
static volatile sig_atomic_t got, armed, alarmed;
static unsigned bound; /* seconds from the first signal (stopsig_bound; 0: none yet) */
static char cut_msg[160];
static size_t cut_len;
static int depth;
static pid_t forwarder; /* stopsig_arm_wait's process: its signals are forwards in those it forks */
static timer_t dl_timer;
static volatile sig_atomic_t dl_armed; /* the timer is there (stopsig_deadline) */
static volatile sig_atomic_t due; /* the timer has fired: at the deadline, or on a noted signal */
static volatile sig_atomic_t held, deferred; /* stopsig_hold's depth; the second signal it put off */
static pid_t *kids; /* the forwarder's processes (stopsig_fork), not yet reaped */
static volatile sig_atomic_t nkids;
static size_t kcap;

/* The timer's SIGALRM now and every 100 ms after it (from on_stop too: timer_settime is
 * async-signal-safe): a read or write begun just after the check of stopsig_due is
 * interrupted too, until the caller removes the timer (stopsig_deadline(-1)). */
static void timer_at(long long at_ms)
{
	struct itimerspec its = {.it_value = {.tv_sec = at_ms / 1000, .tv_nsec = at_ms % 1000 * 1000000L},
				 .it_interval = {.tv_nsec = 100 * 1000000L}};
	if (!at_ms)
		its.it_value.tv_nsec = 1; /* (relative: at once) */
	timer_settime(dl_timer, at_ms ? TIMER_ABSTIME : 0, &its, NULL);
}

/* Die of sig (its default action), whatever the handler it has now. */
static void die_of(int sig)
{
	signal(sig, SIG_DFL);
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, sig);
	sigprocmask(SIG_UNBLOCK, &ss, NULL);
	raise(sig);
	_exit(128 + sig); /* not reached */
}

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	if (si && si->si_code == SI_TIMER) { /* the deadline's: the blocked call interrupted, no more */
		due = 1;
		return;
	}
	if (cut_len && write(2, cut_msg, cut_len) < 0) {
		/* nothing more to say it with */
	}
	die_of(got ? got : SIGTERM);
}

/* SIGALRM's handler: without SA_RESTART, so that a blocked write returns EINTR. */
static void alarm_handler(void)
{
	struct sigaction sa = {.sa_sigaction = on_alarm, .sa_flags = SA_SIGINFO};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

/* The bound's alarm, once (async-signal-safe: from the handler too). */
static void start_alarm(void)
{
	if (alarmed || !bound)
		return;
	alarmed = 1;
	alarm_handler();
	alarm(bound);
}

/* The second signal: the forwarder passes it on to its processes as a second one there
 * (sigqueue: SI_QUEUE, where its forward of the stop is SI_USER) and reaps them, then the
 * end by sig. A process in them ends at once too, or at the end of its stopsig_hold. */
static void second(int sig)
{
	if (forwarder && getpid() == forwarder) { /* (a process forked inherits the list: not its own) */
		for (int i = 0; i < nkids; i++)
			sigqueue(kids[i], sig, (union sigval){.sival_int = sig});
		for (int i = 0; i < nkids; i++)
			while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR) {
			}
	}
	die_of(sig);
}

static void on_stop(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int from_forwarder = forwarder && si && si->si_pid == forwarder && getpid() != forwarder;
	/* In a process forked by a waiting one: its forward of the stop noted here already
	 * (a Ctrl-C reaches both, the forward comes after it) is that stop again; its second
	 * signal passed on (SI_QUEUE) is a second one here, whatever was noted. */
	if (got && from_forwarder && si->si_code == SI_USER)
		return;
	if (!armed)
		die_of(got ? got : sig);
	if (got || (from_forwarder && si->si_code == SI_QUEUE)) {
		if (!got)
			got = sig;
		if (held) { /* the end of the critical section ends the process */
			deferred = got;
			return;
		}
		second(got); /* the second one: at once */
	}
	got = sig;
	/* counted from the signal, wherever the process waits (a library blocking on a
	 * reply the server does not send) */
	start_alarm();
	/* A read or write blocked on a pipe (a reader or a producer that stalls): cut as the
	 * deadline cuts it, by its timer, now (the handler here restarts calls). */
	if (dl_armed)
		timer_at(0);
}

static void arm(int flags)
{
	if (depth++)
		return;
	struct sigaction sa = {.sa_sigaction = on_stop};
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO | flags;
	for (int i = 0; i < 2; i++)
		if (sigaction(sigs[i], NULL, &old[i]) == 0 && old[i].sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	armed = 1;
}

void stopsig_arm(void)
{
	arm(SA_RESTART);
}

void stopsig_arm_wait(void)
{
	if (!depth)
		forwarder = getpid();
	arm(0);
}

int stopsig_got(void)
{
	return got;
}

/* SIGINT and SIGTERM blocked (1) or as they were (0): the list of processes is changed
 * whole, never seen half-changed by the handler. */
static void block_stops(int on, sigset_t *o)
{
	sigset_t ss;
	sigemptyset(&ss);
	for (int i = 0; i < 2; i++)
		sigaddset(&ss, sigs[i]);
	sigprocmask(on ? SIG_BLOCK : SIG_SETMASK, on ? &ss : o, on ? o : NULL);
}

pid_t stopsig_fork(void)
{
	sigset_t o;
	block_stops(1, &o); /* a second signal between the fork and the list: put off until it is there */
	if (nkids == (sig_atomic_t)kcap) {
		kcap = kcap ? kcap * 2 : 8;
		kids = xrealloc(kids, kcap * sizeof *kids);
	}
	pid_t p = fork();
	if (p > 0)
		kids[nkids++] = p;
	block_stops(0, &o);
	return p;
}

pid_t stopsig_reap(int *st)
{
	siginfo_t si = {0};
	if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0)
		return -1; /* EINTR at a signal */
	sigset_t o;
	block_stops(1, &o); /* reaped and off the list at once: never a signal to a PID used again */
	pid_t p = waitpid(si.si_pid, st, 0);
	for (int i = 0; p > 0 && i < nkids; i++)
		if (kids[i] == p) {
			kids[i] = kids[nkids - 1];
			nkids--;
			break;
		}
	block_stops(0, &o);
	return p;
}

void stopsig_forward(void)
{
	for (int i = 0; i < nkids; i++)
		kill(kids[i], got ? got : SIGTERM);
}

void stopsig_hold(void)
{
	held++;
}

void stopsig_unhold(void)
{
	if (held && !--held && deferred)
		second(deferred);
}

void stopsig_bound(unsigned secs)
{
	if (bound)
		return;
	int n = snprintf(cut_msg, sizeof cut_msg, "%s: stopped: the clean-up did not end within %u s of the signal\n",
			 nt_applet, secs);
	cut_len = n > 0 && (size_t)n < sizeof cut_msg ? (size_t)n : 0;
	bound = secs;
	if (got)
		start_alarm();
}

void stopsig_deadline(long long at_ms)
{
	if (dl_armed) {
		dl_armed = 0;
		timer_delete(dl_timer);
	}
	due = 0;
	if (at_ms < 0)
		return;
	alarm_handler();
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGALRM};
#ifdef sigev_notify_thread_id
	ev.sigev_notify_thread_id = gettid(); /* the thread that moves the data, not the committer */
#else
	ev._sigev_un._tid = gettid(); /* (glibc before 2.35 names it only so) */
#endif
	if (timer_create(CLOCK_MONOTONIC, &ev, &dl_timer) < 0)
		return;
	dl_armed = 1;
	if (at_ms)
		timer_at(at_ms);
	if (got) /* a signal before the timer was there */
		timer_at(0);
}

int stopsig_due(void)
{
	return due;
}

ssize_t stopsig_io(int fd, void *p, size_t n, int out)
{
	for (;;) {
		if (due) {
			errno = EINTR;
			return -1;
		}
		ssize_t r = out ? write(fd, p, n) : read(fd, p, n);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

/* 1 at the last nested call: from then on a signal ends the process at once (armed 0)
 * until the dispositions are back (restore). */
static int last(void)
{
	if (!depth || --depth)
		return 0;
	stopsig_deadline(-1);
	armed = 0;
	return 1;
}

static void restore(void)
{
	for (int i = 0; i < 2; i++)
		if (old[i].sa_handler != SIG_IGN)
			sigaction(sigs[i], &old[i], NULL);
	forwarder = 0;
	sigset_t o;
	block_stops(1, &o);
	free(kids);
	kids = NULL;
	nkids = 0;
	kcap = 0;
	block_stops(0, &o);
}

void stopsig_disarm(void)
{
	if (!last())
		return;
	if (got)
		die_of(got);
	restore();
}

void stopsig_release(void)
{
	if (last())
		restore();
}
