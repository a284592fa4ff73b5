/* SPDX-License-Identifier: MIT */
/* listen.c - listeners bound once by the supervisor and shared by pre-forked workers;
 * one supervisor with a capped restart policy, for tcp-serve and udp-serve.
 *
 * Header: include/listen.h
 * Tests: tests/unit/check_listen.c, tests/integration/tcp_serve.sh, tests/integration/udp_serve.sh
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "nt_err.h"

int listen_open(const struct listen_conf *c, struct listeners *l, char *err)
{
	int nsets = c->reuseport && c->workers > 1 ? c->workers : 1;
	memset(l, 0, sizeof *l);
	l->fd = calloc((size_t)nsets, sizeof *l->fd);
	if (!l->fd) {
		snprintf(err, SOCK_ERRLEN, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	struct sock_listen_opts lo = {.type = c->type, .family = c->family, .reuseport = c->reuseport};
	for (int s = 0; s < nsets; s++) {
		int n = sock_listen(c->host, c->port, &lo, l->fd[s], err);
		if (n < 0 || (s && n != l->n)) {
			int e = errno;
			if (n >= 0) {
				snprintf(err, SOCK_ERRLEN, "worker %d: the addresses changed while binding", s);
				for (int i = 0; i < n; i++)
					close(l->fd[s][i]);
			}
			listen_close(l);
			errno = e;
			return -1;
		}
		l->n = n;
		l->nsets = s + 1;
	}
	return 0;
}

int listen_unix(const char *path, int type, char *err)
{
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		/* Never replaced, and bind would blame the address ("already in use"). */
		snprintf(err, SOCK_ERRLEN, "unix:%s exists and is not a socket", path);
		errno = ENOTSOCK;
		return -1;
	}
	return sock_listen_unix(path, type, err);
}

int listen_take(struct listeners *l, int idx, int fds[SOCK_LISTEN_MAX])
{
	int mine = l->nsets > 1 ? idx : 0;
	for (int s = 0; s < l->nsets; s++)
		for (int i = 0; i < l->n; i++) {
			if (s == mine)
				fds[i] = l->fd[s][i];
			else
				close(l->fd[s][i]);
		}
	int n = l->n;
	free(l->fd);
	memset(l, 0, sizeof *l);
	return n;
}

void listen_close(struct listeners *l)
{
	for (int s = 0; s < l->nsets; s++)
		for (int i = 0; i < l->n; i++)
			close(l->fd[s][i]);
	free(l->fd);
	memset(l, 0, sizeof *l);
}

static long long mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static pid_t start_worker(int idx, worker_fn *fn, void *arg, const sigset_t *old)
{
	pid_t parent = getpid();
	fflush(NULL);
	pid_t p = fork();
	if (p != 0)
		return p;
	/* A worker does not outlive its supervisor, even one killed by SIGKILL. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	sigprocmask(SIG_SETMASK, old, NULL);
	exit(fn(idx, arg));
}

static void describe(char *out, size_t n, int st)
{
	if (WIFSIGNALED(st))
		snprintf(out, n, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(out, n, "exited with status %d", WEXITSTATUS(st));
}

/* The restart cap: the times of the last WORKERS_RESTARTS restarts, oldest first. */
struct restarts {
	long long at[WORKERS_RESTARTS];
	int n;
};

static int may_restart(struct restarts *r, long long now)
{
	if (r->n == WORKERS_RESTARTS && now - r->at[0] < WORKERS_WINDOW_S)
		return 0;
	if (r->n == WORKERS_RESTARTS) {
		memmove(r->at, r->at + 1, (WORKERS_RESTARTS - 1) * sizeof r->at[0]);
		r->n--;
	}
	r->at[r->n++] = now;
	return 1;
}

/* Stop every worker with SIGTERM; with gave_up, the signal carries WORKERS_GAVE_UP so
 * that the workers know it is the supervisor's stop, not one from outside. */
static void kill_all(const pid_t *pids, int n, int gave_up)
{
	for (int i = 0; i < n; i++) {
		if (pids[i] <= 0)
			continue;
		if (!gave_up || sigqueue(pids[i], SIGTERM, (union sigval){.sival_int = WORKERS_GAVE_UP}) < 0)
			kill(pids[i], SIGTERM);
	}
}

int workers_gave_up(int code, long pid, int value)
{
	return code == SI_QUEUE && pid == (long)getppid() && value == WORKERS_GAVE_UP;
}

int workers_auto(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

int workers_run(int n, worker_fn *fn, void *arg)
{
	pid_t *pids = calloc((size_t)n, sizeof *pids);
	if (!pids) {
		nt_warn("workers: out of memory");
		return NT_EXIT_FAIL;
	}
	sigset_t ss, old;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, &old);
	/* A caller that blocks SIGHUP reads it itself (tcp-serve --tls: reload): pass it on. */
	int pass_hup = sigismember(&old, SIGHUP) == 1;
	if (pass_hup)
		sigaddset(&ss, SIGHUP);
	struct restarts r = {.n = 0};
	int alive = 0, stopping = 0, rc = 0;
	for (int i = 0; i < n; i++) {
		pids[i] = start_worker(i, fn, arg, &old);
		if (pids[i] < 0) {
			nt_warn_sys("fork");
			stopping = 1, rc = NT_EXIT_FAIL;
			kill_all(pids, i, 1);
			break;
		}
		alive++;
	}
	while (alive > 0) {
		int sig;
		if (sigwait(&ss, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			for (int i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGHUP);
			continue;
		}
		if ((sig == SIGINT || sig == SIGTERM) && !stopping) {
			stopping = 1;
			kill_all(pids, n, 0);
		}
		pid_t p;
		int st;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			int i = 0;
			while (i < n && pids[i] != p)
				i++;
			if (i == n)
				continue;
			pids[i] = 0;
			alive--;
			if (stopping)
				continue;
			char how[64];
			describe(how, sizeof how, st);
			if (!may_restart(&r, mono_s())) {
				/* The restart policy, named: this death is number RESTARTS+1 in the window. */
				nt_warn("worker %d %s: workers died %d times within %d s: giving up, stopping the "
					"other workers (exit 1)", (int)p, how, WORKERS_RESTARTS + 1, WORKERS_WINDOW_S);
				stopping = 1, rc = NT_EXIT_FAIL;
				kill_all(pids, n, 1);
				continue;
			}
			pids[i] = start_worker(i, fn, arg, &old);
			if (pids[i] < 0) {
				nt_warn_sys("worker %d %s; cannot restart it: fork", (int)p, how);
				pids[i] = 0;
				stopping = 1, rc = NT_EXIT_FAIL;
				kill_all(pids, n, 1);
				continue;
			}
			alive++;
			nt_warn("worker %d %s: restarted as %d", (int)p, how, (int)pids[i]);
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(pids);
	return rc;
}
