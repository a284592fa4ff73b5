/* SPDX-License-Identifier: MIT */
/* check_net.c - the event loop (fd events, timers) and the stream reader over a socketpair. */
#include <check.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "sock.h"
#include "stream.h"

static int fired_fd, fired_timer;

static void on_fd(struct loop *l, int fd, int mask, void *data)
{
	char b[16];
	(void)mask;
	(void)data;
	if (read(fd, b, sizeof b) > 0)
		fired_fd++;
	loop_stop(l);
}

static void on_timer(struct loop *l, long long id, void *data)
{
	(void)id;
	(*(int *)data)++;
	fired_timer++;
	loop_stop(l);
}

START_TEST(loop_events_and_timers)
{
	struct loop *l = loop_new(16);
	int sp[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(loop_add(l, sp[0], LOOP_READ, on_fd, NULL), 0);
	ck_assert_int_eq(write(sp[1], "x", 1), 1);
	loop_run(l);
	ck_assert_int_eq(fired_fd, 1);
	int count = 0;
	long long t0 = loop_now_ms();
	long long late = loop_timer_add(l, 500, on_timer, &count);
	loop_timer_add(l, 30, on_timer, &count);
	loop_run(l);
	ck_assert_int_eq(count, 1);
	ck_assert_int_ge(loop_now_ms() - t0, 25);
	loop_timer_del(l, late);
	ck_assert_int_eq(loop_once(l, 50), 0); /* the deleted timer never fires */
	ck_assert_int_eq(count, 1);
	/* Ids survive heap moves: a later, earlier-due timer is swapped above the first;
	 * deleting it by its id must leave the first one alone. */
	long long slow = loop_timer_add(l, 60, on_timer, &count);
	long long fast = loop_timer_add(l, 5, on_timer, &count);
	ck_assert_int_ne(slow, fast);
	loop_timer_del(l, fast);
	loop_run(l);
	ck_assert_int_eq(count, 2); /* the slow one fired */
	ck_assert_int_eq(loop_once(l, 80), 0);
	ck_assert_int_eq(count, 2);
	loop_del(l, sp[0]);
	close(sp[0]);
	close(sp[1]);
	loop_free(l);
}
END_TEST

static int fire_calls, fire_mask;

static void on_fire(struct loop *l, int fd, int mask, void *data)
{
	(void)l;
	(void)fd;
	(void)data;
	fire_calls++;
	fire_mask |= mask;
}

/* loop_fire: an event epoll can not see is dispatched at the next pass, once per
 * descriptor (masks merged), not after the timeout, and never after loop_del. */
START_TEST(loop_fire_dispatches_without_epoll)
{
	struct loop *l = loop_new(16);
	int sp[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(loop_add(l, sp[0], LOOP_READ, on_fire, NULL), 0);
	ck_assert_int_eq(loop_once(l, 0), 0); /* nothing to read, nothing fired */
	ck_assert_int_eq(loop_fire(l, sp[0], LOOP_READ), 0);
	ck_assert_int_eq(loop_fire(l, sp[0], LOOP_WRITE), 0);
	long long t0 = loop_now_ms();
	ck_assert_int_eq(loop_once(l, 2000), 1);
	ck_assert_int_lt(loop_now_ms() - t0, 1000);
	ck_assert_int_eq(fire_calls, 1);
	ck_assert_int_eq(fire_mask, LOOP_READ | LOOP_WRITE);
	ck_assert_int_eq(loop_once(l, 0), 0); /* fired once only */
	ck_assert_int_eq(loop_fire(l, sp[0], LOOP_READ), 0);
	loop_del(l, sp[0]);
	ck_assert_int_eq(loop_once(l, 0), 0);
	ck_assert_int_eq(fire_calls, 1);
	ck_assert_int_eq(loop_fire(l, sp[0], LOOP_READ), -1); /* not watched */
	close(sp[0]);
	close(sp[1]);
	loop_free(l);
}
END_TEST

/* As a TLS connection with records read ahead: readable for epoll too, and firing
 * itself again from every call. */
static void on_refire(struct loop *l, int fd, int mask, void *data)
{
	(void)mask;
	(void)data;
	fire_calls++;
	loop_fire(l, fd, LOOP_READ);
}

/* A descriptor that epoll reports while its loop_fire is queued, and that fires itself
 * again each time, runs once a pass (its fire waits for the next), pass after pass. It
 * used to be listed once more every pass (the epoll event emptied its events but left
 * the entry, so the next loop_fire added another): run k times in pass k, which made
 * every other descriptor wait for ever longer passes. */
START_TEST(loop_fire_once_per_pass)
{
	struct loop *l = loop_new(16);
	int sp[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(write(sp[1], "x", 1), 1); /* never read: readable every pass */
	ck_assert_int_eq(loop_add(l, sp[0], LOOP_READ, on_refire, NULL), 0);
	ck_assert_int_eq(loop_fire(l, sp[0], LOOP_READ), 0);
	for (int pass = 0; pass < 50; pass++) {
		fire_calls = 0;
		ck_assert_int_ge(loop_once(l, 0), 1);
		ck_assert_int_eq(fire_calls, 1);
	}
	/* Read empty: its own fires alone still run it every pass, without waiting. */
	char x;
	ck_assert_int_eq(read(sp[0], &x, 1), 1);
	for (int pass = 0; pass < 5; pass++) {
		fire_calls = 0;
		long long t0 = loop_now_ms();
		ck_assert_int_eq(loop_once(l, 2000), 1);
		ck_assert_int_lt(loop_now_ms() - t0, 1000);
		ck_assert_int_eq(fire_calls, 1);
	}
	loop_del(l, sp[0]);
	ck_assert_int_eq(loop_once(l, 0), 0); /* its queued fire went with it */
	close(sp[0]);
	close(sp[1]);
	loop_free(l);
}
END_TEST

/* loop_on_pass: called once at the end of every pass, after the pass's events (and the
 * fires they queued), empty passes too; NULL stops it. */
static int pass_calls, events_before_pass;
static void on_pass_event(struct loop *l, int fd, int mask, void *data)
{
	char b[16];
	(void)l;
	(void)mask;
	(void)data;
	(void)!read(fd, b, sizeof b);
	fire_calls++;
}

static void on_pass(struct loop *l, void *data)
{
	(void)l;
	(void)data;
	pass_calls++;
	events_before_pass = fire_calls;
}

START_TEST(loop_on_pass_after_events)
{
	struct loop *l = loop_new(16);
	int a[2], b[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	ck_assert_int_eq(loop_add(l, a[0], LOOP_READ, on_pass_event, NULL), 0);
	ck_assert_int_eq(loop_add(l, b[0], LOOP_READ, on_pass_event, NULL), 0);
	loop_on_pass(l, on_pass, NULL);
	fire_calls = pass_calls = 0;
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(write(b[1], "y", 1), 1);
	ck_assert_int_eq(loop_once(l, 1000), 2);
	ck_assert_int_eq(pass_calls, 1);
	ck_assert_int_eq(events_before_pass, 2); /* both events first, then the pass */
	ck_assert_int_eq(loop_once(l, 0), 0);
	ck_assert_int_eq(pass_calls, 2);
	loop_on_pass(l, NULL, NULL);
	ck_assert_int_eq(loop_once(l, 0), 0);
	ck_assert_int_eq(pass_calls, 2);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
	loop_free(l);
}
END_TEST

static int sink(void *arg, const char *p, size_t n)
{
	strncat(arg, p, n);
	return 0;
}

START_TEST(stream_lines_literals)
{
	int sp[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	struct stream *s = stream_socket(sp[0], 16, 1000);
	const char *data = "200 hello\r\n* 1 FETCH {5}\r\nabcde)\r\nthis line is far too long for us\r\nok\n";
	ck_assert_int_eq(write(sp[1], data, strlen(data)), (int)strlen(data));
	char *line;
	size_t len;
	ck_assert_int_eq(stream_read_line(s, &line, &len), 0);
	ck_assert_int_eq(len, 9);
	ck_assert_int_eq(memcmp(line, "200 hello", 9), 0);
	ck_assert_int_eq(stream_read_line(s, &line, &len), 0);
	ck_assert_int_eq(memcmp(line, "* 1 FETCH {5}", 13), 0);
	char lit[16] = "";
	ck_assert_int_eq(stream_read_n(s, 5, sink, lit), 0);
	ck_assert_str_eq(lit, "abcde");
	ck_assert_int_eq(stream_read_line(s, &line, &len), 0);
	ck_assert_int_eq(len, 1);
	ck_assert_int_eq(stream_read_line(s, &line, &len), STREAM_LONG);
	ck_assert_int_eq(stream_read_line(s, &line, &len), 0);
	ck_assert_int_eq(memcmp(line, "ok", 2), 0);
	/* Commands with CR or LF inside are refused before anything is sent. */
	ck_assert_int_eq(stream_cmdf(s, "GROUP %s", "a\r\nPOST"), STREAM_ERR);
	ck_assert_int_eq(stream_cmdf(s, "GROUP %s", "comp.lang.python"), 0);
	char b[64];
	ssize_t n = read(sp[1], b, sizeof b);
	ck_assert_int_eq(n, 24);
	ck_assert_int_eq(memcmp(b, "GROUP comp.lang.python\r\n", 24), 0);
	close(sp[1]);
	ck_assert_int_eq(stream_read_line(s, &line, &len), STREAM_EOF);
	stream_close(s);
}
END_TEST

START_TEST(stream_timeout)
{
	int sp[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	struct stream *s = stream_socket(sp[0], 64, 50);
	char *line;
	size_t len;
	ck_assert_int_eq(stream_read_line(s, &line, &len), STREAM_TIMEOUT);
	ck_assert_int_eq(write(sp[1], "partial", 7), 7);
	close(sp[1]);
	ck_assert_int_eq(stream_read_line(s, &line, &len), STREAM_ERR); /* closed mid-line */
	stream_close(s);
}
END_TEST

/* A peer that has closed its sending side and reads nothing: flushing must time out,
 * not spin on the readable end of stream. */
START_TEST(flush_times_out_after_peer_eof)
{
	int sp[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	shutdown(sp[1], SHUT_WR);
	struct stream *s = stream_socket(sp[0], 64, 200);
	char *line;
	size_t len;
	ck_assert_int_eq(stream_read_line(s, &line, &len), STREAM_EOF);
	static char big[8 << 20];
	long long t0 = loop_now_ms();
	ck_assert_int_eq(stream_write(s, big, sizeof big), STREAM_TIMEOUT);
	long long el = loop_now_ms() - t0;
	ck_assert_int_ge(el, 150);
	ck_assert_int_lt(el, 2000);
	stream_close(s);
	close(sp[1]);
}
END_TEST

/* A line with no end: the reader skips at most max_line more bytes, then gives up for
 * good instead of reading (and spinning) as long as the peer sends. */
START_TEST(stream_endless_line_is_bounded)
{
	int sp[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	struct stream *s = stream_socket(sp[0], 16, 1000);
	char x[200];
	memset(x, 'x', sizeof x);
	ck_assert_int_eq(write(sp[1], x, sizeof x), (int)sizeof x);
	char *line;
	size_t len;
	long long t0 = loop_now_ms();
	ck_assert_int_eq(stream_read_line(s, &line, &len), STREAM_LONG);
	ck_assert_int_lt(loop_now_ms() - t0, 500); /* at once, not after the timeout */
	/* Out of step: whatever follows is not taken for a line. */
	ck_assert_int_eq(write(sp[1], "\nok\n", 4), 4);
	ck_assert_int_eq(stream_read_line(s, &line, &len), STREAM_LONG);
	stream_close(s);
	close(sp[1]);
}
END_TEST

/* A peer dripping one byte at a time, each well within the per-wait timeout, must not
 * hold one line open longer than the timeout. */
START_TEST(stream_line_deadline)
{
	int sp[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(sp[0]);
		for (int i = 0; i < 100; i++) {
			if (write(sp[1], "x", 1) != 1)
				_exit(0);
			usleep(20000);
		}
		(void)!write(sp[1], "\n", 1);
		_exit(0);
	}
	close(sp[1]);
	struct stream *s = stream_socket(sp[0], 1024, 200);
	char *line;
	size_t len;
	long long t0 = loop_now_ms();
	ck_assert_int_eq(stream_read_line(s, &line, &len), STREAM_TIMEOUT);
	long long el = loop_now_ms() - t0;
	ck_assert_int_ge(el, 150);
	ck_assert_int_lt(el, 1000);
	ck_assert_ptr_nonnull(strstr(s->err, "no complete line within 200 ms"));
	stream_close(s);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(listen_connect)
{
	int fds[SOCK_LISTEN_MAX];
	char err[SOCK_ERRLEN];
	struct sock_listen_opts o = {.type = SOCK_STREAM, .family = AF_UNSPEC};
	int n = sock_listen("127.0.0.1", 0, &o, fds, err);
	ck_assert_int_eq(n, 1);
	int port = sock_local_port(fds[0]);
	ck_assert_int_gt(port, 0);
	int c = sock_connect("127.0.0.1", port, AF_UNSPEC, 1000, 0, err, NULL);
	ck_assert_int_ge(c, 0);
	close(c);
	close(fds[0]);
	int why = 0;
	c = sock_connect("127.0.0.1", port, AF_UNSPEC, 1000, 0, err, &why);
	ck_assert_int_eq(c, -1);
	ck_assert_int_eq(why, SOCK_ERR_CONNECT);
	ck_assert_ptr_nonnull(strstr(err, "refused"));
	c = sock_connect("no-such-host.invalid", 80, AF_UNSPEC, 1000, 0, err, &why);
	ck_assert_int_eq(c, -1);
	ck_assert_int_eq(why, SOCK_ERR_RESOLVE);
}
END_TEST

/* stream_try_line never waits: a part of a line stays until the rest arrives; stream_has_line
 * says whether a whole line is buffered, without reading. */
START_TEST(stream_try_line_no_wait)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct stream *s = stream_socket(sv[0], 64, 5000);
	ck_assert_ptr_nonnull(s);
	char *l;
	size_t n;
	ck_assert_int_eq(stream_try_line(s, &l, &n), STREAM_AGAIN);
	ck_assert_int_eq(write(sv[1], "220 par", 7), 7);
	ck_assert_int_eq(stream_try_line(s, &l, &n), STREAM_AGAIN);
	ck_assert(!stream_has_line(s)); /* a part of a line buffered: not a line */
	ck_assert_int_eq(write(sv[1], "tial\r\n221 x\r\n", 13), 13);
	ck_assert(!stream_has_line(s)); /* on the wire, not read yet: has_line never reads */
	ck_assert_int_eq(stream_try_line(s, &l, &n), 0);
	ck_assert_uint_eq(n, 11);
	ck_assert(!memcmp(l, "220 partial", 11));
	ck_assert(stream_has_line(s)); /* the second line came with the first read */
	ck_assert_int_eq(stream_try_line(s, &l, &n), 0);
	ck_assert(n == 5 && !memcmp(l, "221 x", 5));
	ck_assert(!stream_has_line(s));
	ck_assert_int_eq(stream_try_line(s, &l, &n), STREAM_AGAIN);
	ck_assert_int_eq(write(sv[1], "22", 2), 2);
	close(sv[1]);
	ck_assert_int_eq(stream_try_line(s, &l, &n), STREAM_ERR); /* closed in the middle of a line */
	stream_close(s);
}
END_TEST

Suite *suite_net(void)
{
	Suite *s = suite_create("net");
	TCase *t = tcase_create("net");
	tcase_set_timeout(t, 10);
	tcase_add_test(t, loop_events_and_timers);
	tcase_add_test(t, loop_fire_dispatches_without_epoll);
	tcase_add_test(t, loop_fire_once_per_pass);
	tcase_add_test(t, loop_on_pass_after_events);
	tcase_add_test(t, stream_lines_literals);
	tcase_add_test(t, stream_timeout);
	tcase_add_test(t, stream_endless_line_is_bounded);
	tcase_add_test(t, stream_line_deadline);
	tcase_add_test(t, stream_try_line_no_wait);
	tcase_add_test(t, flush_times_out_after_peer_eof);
	tcase_add_test(t, listen_connect);
	suite_add_tcase(s, t);
	return s;
}
