/* SPDX-License-Identifier: MIT */
/* stopsig.c - SIGINT and SIGTERM noted for a clean stop, a second one fatal at once (the
 * forward of a waiting process's stop to the processes it forked is not a second one),
 * the clean-up bounded by an alarm; the end by the signal itself (its default action),
 * or the process's own (stopsig_release).
 *
 * Header: include/stopsig.h
 * Tests: tests/integration/ftp_durable.sh, tests/integration/mail_fetch_broken.sh
 */
#include <signal.h>
#include <stdio.h>
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

static void on_alarm(int sig)
{
	(void)sig;
	if (cut_len && write(2, cut_msg, cut_len) < 0) {
		/* nothing more to say it with */
	}
	die_of(got ? got : SIGTERM);
}

/* The bound's alarm, once (async-signal-safe: from the handler too). */
static void start_alarm(void)
{
	if (alarmed || !bound)
		return;
	alarmed = 1;
	struct sigaction sa = {.sa_handler = on_alarm};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(bound);
}

static void on_stop(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* In a process forked by a waiting one: its forward of the stop noted here already
	 * (a Ctrl-C reaches both, the forward comes after it) is that stop again. */
	if (got && forwarder && si && si->si_code == SI_USER && si->si_pid == forwarder && getpid() != forwarder)
		return;
	if (got || !armed)
		die_of(got ? got : sig); /* the second one: at once */
	got = sig;
	/* counted from the signal, wherever the process waits (a library blocking on a
	 * reply the server does not send) */
	start_alarm();
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

void stopsig_forward(pid_t pid)
{
	kill(pid, got ? got : SIGTERM);
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

/* 1 at the last nested call: from then on a signal ends the process at once (armed 0)
 * until the dispositions are back (restore). */
static int last(void)
{
	if (!depth || --depth)
		return 0;
	armed = 0;
	return 1;
}

static void restore(void)
{
	for (int i = 0; i < 2; i++)
		if (old[i].sa_handler != SIG_IGN)
			sigaction(sigs[i], &old[i], NULL);
	forwarder = 0;
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
