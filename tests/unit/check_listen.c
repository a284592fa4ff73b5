/* check_listen.c - listeners bound once (a busy port fails, SO_REUSEPORT only when asked)
 * and the supervisor's restart cap. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
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

Suite *suite_listen(void)
{
	Suite *s = suite_create("listen");
	TCase *t = tcase_create("listen");
	tcase_set_timeout(t, 10);
	tcase_add_test(t, udp_busy_port);
	tcase_add_test(t, tcp_busy_port);
	tcase_add_test(t, restart_cap);
	suite_add_tcase(s, t);
	return s;
}
