/* SPDX-License-Identifier: MIT */
/* tcp_serve/exec.c - a program per connection (--exec PROG [ARGS...], --sh-exec STRING),
 * as tcpsvd, tcpserver, inetd and ncat -e run one.
 *
 * The program gets the connection on its standard input and output (standard error
 * stays the server's), the UCSPI-TCP environment (PROTO=TCP, TCPREMOTEIP,
 * TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT; on a unix socket PROTO=UNIX with
 * UNIXREMOTEPID/UID/GID), default signal dispositions and an empty signal mask. It is
 * started with posix_spawn (clone(CLONE_VM|CLONE_VFORK) in glibc: no page-table copy
 * per connection), its path resolved once at start. The loop goes on serving while
 * children run; SIGCHLD arrives on the loop's signalfd and every ended child is reaped
 * with waitpid(WNOHANG) there (no handler, no race, no zombie). The server keeps its
 * own copy of each connection's socket until the child is reaped, to read the byte
 * counts (TCP_INFO) for the log and --json, then closes it.
 *
 * Man page: man/nettool-tcp-serve.1    Tests: tests/integration/tcp_exec.sh
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "serve.h"

extern char **environ;

struct child {
	pid_t pid;
	int fd;                 /* our copy of the connection (byte counts), -1 if none */
	long long start;        /* loop_now_ms() */
	struct child *next;     /* hash chain */
	char ip[INET6_ADDRSTRLEN];
	char addr[48];
};

#define NBUCKET 1024
#define ENV_ADD 6

static struct {
	char *path;             /* the program, resolved */
	char **argv;
	int per_ip;
	posix_spawnattr_t attr;
	char **env;             /* environ without UCSPI variables, ENV_ADD free slots, NULL */
	size_t env_base;        /* index of the first free slot */
	char vars[ENV_ADD][80];
	struct child *bucket[NBUCKET];
	long running;
	struct ipcount {
		struct ipcount *next;
		int n;
		char ip[INET6_ADDRSTRLEN];
	} *ips[NBUCKET];
} X;

static const char *const ucspi[] = {"PROTO", "TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT",
				    "TCPREMOTEHOST", "TCPLOCALHOST", "TCPREMOTEINFO", "UNIXREMOTEPID",
				    "UNIXREMOTEUID", "UNIXREMOTEGID", NULL};

static int is_ucspi(const char *e)
{
	size_t l = strcspn(e, "=");
	for (int i = 0; ucspi[i]; i++)
		if (strlen(ucspi[i]) == l && !strncmp(e, ucspi[i], l))
			return 1;
	return 0;
}

/* PROG as execvp would find it, once: a name without '/' is looked up on PATH. */
static char *resolve(const char *prog)
{
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? strdup(prog) : NULL;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t l = strcspn(path, ":");
		char *cand;
		if (asprintf(&cand, "%.*s%s%s", (int)l, path, l ? "/" : "", prog) < 0)
			return NULL;
		struct stat st;
		if (access(cand, X_OK) == 0 && stat(cand, &st) == 0 && S_ISREG(st.st_mode))
			return cand;
		free(cand);
		path += l + (path[l] == ':');
	}
	return NULL;
}

int exec_init(const struct exec_conf *c, char *err, size_t errlen)
{
	X.argv = c->argv;
	X.per_ip = c->per_ip;
	X.path = resolve(c->argv[0]);
	if (!X.path) {
		snprintf(err, errlen, "%s: %s", c->argv[0],
			 strchr(c->argv[0], '/') ? strerror(errno) : "not found on PATH");
		return -1;
	}
	/* The child's standard error is ours; 0 and 1 become the connection. Descriptors 0-2
	 * must exist, or an accepted socket could take one of their numbers. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			int n = open("/dev/null", O_RDWR);
			if (n >= 0 && n != fd)
				close(n);
		}
	size_t n = 0;
	while (environ[n])
		n++;
	X.env = calloc(n + ENV_ADD + 1, sizeof *X.env);
	if (!X.env) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_ucspi(environ[i]))
			X.env[X.env_base++] = environ[i];
	/* The server ignores SIGPIPE and blocks SIGINT, SIGTERM and SIGCHLD (signalfd): the
	 * program starts with neither. */
	sigset_t none, def;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGHUP);
	posix_spawnattr_init(&X.attr);
	posix_spawnattr_setsigmask(&X.attr, &none);
	posix_spawnattr_setsigdefault(&X.attr, &def);
	posix_spawnattr_setflags(&X.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	return 0;
}

/* "1.2.3.4" and its port from a socket address; an IPv4-mapped IPv6 address (the
 * dual-stack listener) is written as IPv4, as tcpsvd and tcpserver do. */
static int ip_port(const struct sockaddr *sa, char *ip, size_t iplen, int *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s->sin_addr, ip, (socklen_t)iplen);
		*port = ntohs(s->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr))
			inet_ntop(AF_INET, &s->sin6_addr.s6_addr[12], ip, (socklen_t)iplen);
		else
			inet_ntop(AF_INET6, &s->sin6_addr, ip, (socklen_t)iplen);
		*port = ntohs(s->sin6_port);
		return 0;
	}
	snprintf(ip, iplen, "unix");
	*port = 0;
	return -1;
}

pid_t exec_spawn(int child_fd, int sock, const struct sockaddr *peer, socklen_t plen)
{
	(void)plen;
	size_t k = X.env_base;
	char ip[INET6_ADDRSTRLEN];
	int port;
	if (ip_port(peer, ip, sizeof ip, &port) == 0) {
		struct sockaddr_storage ls;
		socklen_t ll = sizeof ls;
		char lip[INET6_ADDRSTRLEN] = "";
		int lport = 0;
		if (getsockname(sock, (struct sockaddr *)&ls, &ll) == 0)
			ip_port((struct sockaddr *)&ls, lip, sizeof lip, &lport);
		snprintf(X.vars[0], sizeof X.vars[0], "PROTO=TCP");
		snprintf(X.vars[1], sizeof X.vars[1], "TCPREMOTEIP=%s", ip);
		snprintf(X.vars[2], sizeof X.vars[2], "TCPREMOTEPORT=%d", port);
		snprintf(X.vars[3], sizeof X.vars[3], "TCPLOCALIP=%s", lip);
		snprintf(X.vars[4], sizeof X.vars[4], "TCPLOCALPORT=%d", lport);
		for (int i = 0; i < 5; i++)
			X.env[k++] = X.vars[i];
	} else {
		/* ucspi-unix's names: the peer's credentials, as the kernel gives them. */
		struct ucred uc;
		socklen_t ul = sizeof uc;
		snprintf(X.vars[0], sizeof X.vars[0], "PROTO=UNIX");
		X.env[k++] = X.vars[0];
		if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &uc, &ul) == 0) {
			snprintf(X.vars[1], sizeof X.vars[1], "UNIXREMOTEPID=%ld", (long)uc.pid);
			snprintf(X.vars[2], sizeof X.vars[2], "UNIXREMOTEUID=%ld", (long)uc.uid);
			snprintf(X.vars[3], sizeof X.vars[3], "UNIXREMOTEGID=%ld", (long)uc.gid);
			for (int i = 1; i < 4; i++)
				X.env[k++] = X.vars[i];
		}
	}
	X.env[k] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, child_fd, 0);
	posix_spawn_file_actions_adddup2(&fa, child_fd, 1);
	pid_t pid;
	int rc = posix_spawn(&pid, X.path, &fa, &X.attr, X.argv, X.env);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		errno = rc;
		return -1;
	}
	return pid;
}

static unsigned hash_str(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % NBUCKET;
}

int exec_ip_take(const char *ip)
{
	if (!X.per_ip)
		return 1;
	struct ipcount **pp = &X.ips[hash_str(ip)], *e;
	for (e = *pp; e && strcmp(e->ip, ip); e = e->next)
		;
	if (!e) {
		e = calloc(1, sizeof *e);
		if (!e)
			return 0;
		snprintf(e->ip, sizeof e->ip, "%s", ip);
		e->next = *pp;
		*pp = e;
	}
	if (e->n >= X.per_ip)
		return 0;
	e->n++;
	return 1;
}

void exec_ip_give(const char *ip)
{
	if (!X.per_ip)
		return;
	for (struct ipcount **pp = &X.ips[hash_str(ip)]; *pp; pp = &(*pp)->next) {
		struct ipcount *e = *pp;
		if (strcmp(e->ip, ip))
			continue;
		if (--e->n <= 0) {
			*pp = e->next;
			free(e);
		}
		return;
	}
}

int exec_conn(int fd, const struct sockaddr *peer, socklen_t plen, const char *addr)
{
	struct child *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return -1;
	}
	int port;
	ip_port(peer, c->ip, sizeof c->ip, &port);
	snprintf(c->addr, sizeof c->addr, "%s", addr);
	if (!exec_ip_take(c->ip)) {
		log_info("refused %s: %d connections from %s already (--max-per-ip)", addr, X.per_ip, c->ip);
		if (serve_json)
			serve_json_conn(addr, 0, 0, 0, "over --max-per-ip", -2, NULL);
		close(fd);
		free(c);
		return -1;
	}
	c->start = loop_now_ms();
	c->pid = exec_spawn(fd, fd, peer, plen);
	if (c->pid < 0) {
		log_info("%s: cannot start %s: %s", addr, X.argv[0], strerror(errno));
		if (serve_json)
			serve_json_conn(addr, 0, 0, 0, "spawn failed", -2, NULL);
		exec_ip_give(c->ip);
		close(fd);
		free(c);
		return -1;
	}
	c->fd = fd;
	struct child **b = &X.bucket[(unsigned)c->pid % NBUCKET];
	c->next = *b;
	*b = c;
	X.running++;
	log_trace("%s: %s started, pid %ld", addr, X.argv[0], (long)c->pid);
	return 0;
}

static struct child *take(pid_t pid)
{
	for (struct child **pp = &X.bucket[(unsigned)pid % NBUCKET]; *pp; pp = &(*pp)->next)
		if ((*pp)->pid == pid) {
			struct child *c = *pp;
			*pp = c->next;
			return c;
		}
	return NULL;
}

void exec_reap(void)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct child *c = take(pid);
		if (!c)
			continue; /* not a connection's (none such today) */
		long long ms = loop_now_ms() - c->start;
		long long in = -1, out = -1;
		struct tcp_info ti;
		socklen_t tl = sizeof ti;
		if (c->fd >= 0 && getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
		    tl >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received) {
			/* The kernel counts sequence numbers: a FIN is one (the peer's, once
			 * received; ours, once acknowledged). States as in the kernel's
			 * tcp_states.h: 4 FIN_WAIT1, 5 FIN_WAIT2, 6 TIME_WAIT, 8 CLOSE_WAIT, 9 LAST_ACK,
			 * 11 CLOSING. */
			int st_ = ti.tcpi_state;
			in = (long long)ti.tcpi_bytes_received;
			out = (long long)ti.tcpi_bytes_acked;
			if (in > 0 && (st_ == 8 || st_ == 9 || st_ == 11 || st_ == 6))
				in--;
			if (out > 0 && (st_ == 5 || st_ == 6))
				out--;
			/* What the program wrote and the peer has not acknowledged yet. */
			int q;
			if (ioctl(c->fd, SIOCOUTQ, &q) == 0 && q > 0)
				out += q - (st_ == 4 || st_ == 9 || st_ == 11); /* a FIN not yet acked */
		}
		if (c->fd >= 0)
			close(c->fd);
		char how[64];
		int status;
		const char *sig = NULL;
		if (WIFSIGNALED(st)) {
			sig = sigabbrev_np(WTERMSIG(st));
			snprintf(how, sizeof how, "killed by SIG%s", sig ? sig : "?");
			status = 128 + WTERMSIG(st);
		} else {
			status = WEXITSTATUS(st);
			snprintf(how, sizeof how, "exit %d", status);
		}
		log_info("disconnected %s (%s pid %ld: %s, %lld.%03lld s)", c->addr, X.argv[0], (long)pid, how,
			 ms / 1000, ms % 1000);
		if (serve_json)
			serve_json_conn(c->addr, in, out, ms, WIFSIGNALED(st) ? "killed" : "exited", status, sig);
		exec_ip_give(c->ip);
		free(c);
		X.running--;
		serve_conn_gone();
	}
}

long exec_running(void)
{
	return X.running;
}
