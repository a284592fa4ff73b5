/* SPDX-License-Identifier: MIT */
/* udp_send.c - the textbook's UDP client: one datagram per message, print each reply
 *
 * Interactive with a prompt on a terminal (an empty line ends), line by line when
 * piped, one-shot with MESSAGE arguments. A message is sent without its newline (a
 * datagram is the message); a lost datagram is sent again (--retries).
 *
 * Man page: man/nettool-udp-send.1    Tests: tests/integration/udp_serve.sh
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "connpol.h"
#include "input.h"
#include "log.h"
#include "nt_err.h"
#include "opt.h"
#include "sock.h"

enum { O_RETRIES = OPT_LONG };

static const struct opt opts[] = {
	CONN_ROW_TIMEOUT("wait SEC for each reply (default 1)"),
	{O_RETRIES, "retries", OPT_UINT, "N", "send a datagram again N times when no reply comes (default 2)", 0, 1000},
	CONN_ROWS_IP,
	CONN_ROWS_VQ("trace what is sent and received", "no prompt"),
	{CONN_O_PROXY, "proxy", OPT_STR, "URL", "refused (exit 2): proxies carry TCP connections, not datagrams"},
	{0},
};

static const struct opt_spec spec = {
	.usage = "[OPTIONS] [HOST[:PORT]] [MESSAGE...]",
	.opts = opts,
	.footer = "HOST defaults to 127.0.0.1, PORT to 8888. Exit 3 when a message got no reply.\n",
};

static struct {
	struct addr a;
	int family;
	int timeout_ms;
	int retries;
	int lost;
	char reply[65536];
} G;

/* Send one message and print its reply. Each message gets a socket (a source port) of its
 * own, so a late reply to an earlier message can never pass for this one's; a late reply
 * to an earlier attempt of the same message counts. */
static void exchange(const char *msg, size_t n)
{
	char err[SOCK_ERRLEN];
	int fd = sock_udp_connect(G.a.host, G.a.port, G.family, err);
	if (fd < 0)
		die(NT_EXIT_NET, "%s", err);
	for (int attempt = 0; attempt <= G.retries; attempt++) {
		log_proto('>', msg, n);
		if (send(fd, msg, n, 0) < 0) {
			if (errno == ECONNREFUSED)
				continue; /* an ICMP error from an earlier datagram: try again */
			die_sys(NT_EXIT_NET, "send");
		}
		int r = sock_wait(fd, POLLIN, G.timeout_ms);
		if (r < 0)
			die_sys(NT_EXIT_NET, "poll");
		if (r == 0)
			continue;
		ssize_t got = recv(fd, G.reply, sizeof G.reply, 0);
		if (got < 0) {
			if (errno == ECONNREFUSED)
				continue; /* nobody listens (yet): the retry decides */
			die_sys(NT_EXIT_NET, "receive");
		}
		log_proto('<', G.reply, (size_t)got);
		fwrite(G.reply, 1, (size_t)got, stdout);
		if (!got || G.reply[got - 1] != '\n')
			fputc('\n', stdout);
		fflush(stdout);
		close(fd);
		return;
	}
	nt_warn("no reply after %d attempt%s", G.retries + 1, G.retries ? "s" : "");
	G.lost++;
	close(fd);
}

int udp_send_main(int argc, char **argv)
{
	struct opt_state os;
	struct conn_opts co = {.timeout_ms = 1000};
	G.retries = 2;
	opt_init(&os, &spec, argc, argv);
	for (int k; (k = opt_next(&os)) != -1;) {
		if (k == CONN_O_PROXY)
			opt_usage_error("--proxy: udp-send sends datagrams, and a proxy carries TCP connections only");
		if (conn_opt(&co, k, &os))
			continue;
		if (k == O_RETRIES)
			G.retries = (int)os.num;
	}
	conn_opts_finish(&co, 0);
	G.family = co.family;
	G.timeout_ms = co.timeout_ms;
	char **args = argv + os.ind;
	int nargs = argc - os.ind;
	char err[SOCK_ERRLEN];
	if (addr_parse(nargs ? args[0] : "127.0.0.1", 8888, &G.a, err) < 0)
		opt_usage_error("%s", err);
	if (G.a.is_unix)
		opt_usage_error("udp-send talks to IP addresses only");
	if (nargs)
		args++, nargs--;
	/* Resolve once now, so that a bad name fails before any input is read. */
	int fd = sock_udp_connect(G.a.host, G.a.port, G.family, err);
	if (fd < 0)
		die(NT_EXIT_NET, "%s", err);
	close(fd);

	struct input in;
	const char *msg;
	size_t len;
	input_init(&in, args, nargs);
	while (input_next(&in, &msg, &len)) {
		if (len > 65507)
			die(NT_EXIT_USAGE, "a message of %zu bytes does not fit in a datagram", len);
		exchange(msg, len);
	}
	input_free(&in);
	return G.lost ? NT_EXIT_NET : 0;
}
