/* SPDX-License-Identifier: MIT */
/* check_listen.c - listeners bound once (a busy port fails, SO_REUSEPORT only when asked),
 * a unix path that is not a socket refused, and the supervisor's restart cap (its stop
 * of the other workers recognisable as its own). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen.h"
#include "nt_err.h"

/* A port free right now on 127.0.0.1 (for type). */
static int free_port(int type)
{
	int fd = socket(AF_INET, type, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof a;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void busy_port(int type)
{
	char err[SOCK_ERRLEN];
	struct listen_conf c = {.type = type, .host = "127.0.0.1", .port = free_port(type), .family = AF_INET, .workers = 2};
	struct listeners a, b;
	ck_assert_int_eq(listen_open(&c, &a, err), 0);
	ck_assert_int_eq(a.nsets, 1);
	ck_assert_int_eq(listen_open(&c, &b, err), -1);
	ck_assert_int_eq(errno, EADDRINUSE);
	ck_assert_ptr_nonnull(strstr(err, "Address already in use"));
	c.reuseport = 1; /* asking for SO_REUSEPORT does not get into a port bound without it */
	ck_assert_int_eq(listen_open(&c, &b, err), -1);
	listen_close(&a);
	ck_assert_int_eq(listen_open(&c, &a, err), 0);
	ck_assert_int_eq(a.nsets, 2); /* one set per worker */
	int fds[SOCK_LISTEN_MAX];
	int keep = a.fd[1][0], gone = a.fd[0][0];
	ck_assert_int_eq(listen_take(&a, 1, fds), 1);
	ck_assert_int_eq(fds[0], keep);
	ck_assert_int_eq(close(gone), -1); /* the other worker's set was closed */
	close(fds[0]);
}

START_TEST(udp_busy_port) { busy_port(SOCK_DGRAM); }
END_TEST

START_TEST(tcp_busy_port) { busy_port(SOCK_STREAM); }
END_TEST

static int dies_at_once(int idx, void *arg)
{
	(void)idx;
	(void)arg;
	return 7;
}

START_TEST(restart_cap)
{
	/* A worker that always dies: restarted WORKERS_RESTARTS times, then the supervisor
	 * gives up (within a moment, not after the window). */
	ck_assert_int_eq(workers_run(2, dies_at_once, NULL), NT_EXIT_FAIL);
}
END_TEST

/* Worker 0 dies at once, again and again; worker 1 waits for its SIGTERM (blocked by
 * the caller, so none is lost) and writes 'G' to the pipe if workers_gave_up() says it
 * is the supervisor's giving-up stop, 'O' if it looks like one from outside. */
static int gave_up_probe(int idx, void *arg)
{
	if (idx == 0)
		return 7;
	int wfd = *(int *)arg;
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	siginfo_t si;
	if (sigwaitinfo(&ss, &si) != SIGTERM)
		return 1;
	char c = workers_gave_up(si.si_code, (long)si.si_pid, si.si_value.sival_int) ? 'G' : 'O';
	return write(wfd, &c, 1) == 1 ? 0 : 1;
}

START_TEST(gave_up_stop_is_attributed)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	sigset_t ss, old;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigprocmask(SIG_BLOCK, &ss, &old);
	ck_assert_int_eq(workers_run(2, gave_up_probe, &p[1]), NT_EXIT_FAIL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	char c = 0;
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(c, 'G');
	close(p[0]);
	/* A SIGTERM from anyone else (here: ourselves, not the parent) is not the supervisor's. */
	ck_assert_int_eq(workers_gave_up(SI_USER, (long)getpid(), 0), 0);
	ck_assert_int_eq(workers_gave_up(SI_QUEUE, (long)getppid(), 0), 0);
}
END_TEST

START_TEST(unix_path_not_a_socket)
{
	char dir[] = "/tmp/check_listen.XXXXXX", path[64], err[SOCK_ERRLEN];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/plain", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);
	ck_assert_int_eq(listen_unix(path, SOCK_STREAM, err), -1);
	ck_assert_int_eq(errno, ENOTSOCK);
	ck_assert_ptr_nonnull(strstr(err, "exists and is not a socket"));
	ck_assert_int_eq(unlink(path), 0); /* still there, a regular file */
	/* A free path gives a listening socket. */
	int s = listen_unix(path, SOCK_STREAM, err);
	ck_assert_int_ge(s, 0);
	close(s);
	unlink(path);
	rmdir(dir);
}
END_TEST

Suite *suite_listen(void)
{
	Suite *s = suite_create("listen");
	TCase *t = tcase_create("listen");
	tcase_set_timeout(t, 10);
	tcase_add_test(t, udp_busy_port);
	tcase_add_test(t, tcp_busy_port);
	tcase_add_test(t, restart_cap);
	tcase_add_test(t, gave_up_stop_is_attributed);
	tcase_add_test(t, unix_path_not_a_socket);
	suite_add_tcase(s, t);
	return s;
}
