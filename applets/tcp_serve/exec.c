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
 * Over TLS the program gets one end of a socketpair (so its shutdown(SHUT_WR) arrives
 * as an end of file) and the loop relays the other end to the session through
 * conn_read/conn_write, non-blocking, at most RELAY_HIGH bytes buffered each way:
 * reading from the client stops while the program has not taken what came, and
 * reading from the program while the client has not taken its output. The client's
 * close_notify (or end of stream) shuts the program's input once all of it is
 * written; the program's end of output sends close_notify after the last byte. The
 * connection counts (--max-clients, --max-per-ip) until both the session has ended
 * and the program is reaped; then it is logged, as in plain mode.
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

struct relay;

struct child {
	pid_t pid;
	struct relay *rel;      /* over TLS: the relay of its connection, else NULL */
	int fd;                 /* our copy of the connection (byte counts), -1 if none */
	long long start;        /* loop_now_ms() */
	struct child *next;     /* hash chain */
	char ip[INET6_ADDRSTRLEN];
	char addr[48];
};

#define NBUCKET 1024
#define RELAY_HIGH (64 * 1024) /* bytes buffered at most each way of a relayed connection */

/* A relayed (TLS) connection: its session, the socketpair end and the program. It ends
 * when the session has ended (c NULL) and the program was reaped (reaped). */
struct relay {
	struct client *c;       /* the session; NULL once it has ended */
	int pfd;                /* our end of the socketpair; -1 once closed */
	unsigned tls_eof : 1;   /* the client sends no more */
	unsigned prog_eof : 1;  /* the program writes no more */
	unsigned shut : 1;      /* the program's input was shut (SHUT_WR on pfd) */
	unsigned sink : 1;      /* the program takes no input: the client's is dropped */
	unsigned reaped : 1;
	int status;             /* wait status, once reaped */
	pid_t pid;
	long long start;
	unsigned long long nin, nout; /* bytes from and to the client (decrypted) */
	char why[120];          /* how the session ended, when not cleanly */
	char ip[INET6_ADDRSTRLEN];
	char addr[48];
};
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
	struct relay **rel;     /* by the session's descriptor, while it lives */
	int nrel;
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
		log_info("refused %s: %d connection%s from %s already (--max-per-ip)", addr, X.per_ip, X.per_ip == 1 ? "" : "s", c->ip);
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

/* A connection whose program ended (and, over TLS, whose session ended too): logged,
 * --json, counted out. */
static void conn_ended(const char *addr, const char *ip, pid_t pid, int st, long long ms, long long in, long long out,
		       const char *why)
{
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
	log_info("disconnected %s (%s pid %ld: %s, %lld.%03lld s%s%s)", addr, X.argv[0], (long)pid, how, ms / 1000,
		 ms % 1000, why ? "; TLS: " : "", why ? why : "");
	if (serve_json)
		serve_json_conn(addr, in, out, ms, WIFSIGNALED(st) ? "killed" : "exited", status, sig);
	exec_ip_give(ip);
	serve_conn_gone();
}

/* The relay ends once both its session and its program have. */
static void relay_done(struct relay *r)
{
	if (r->c || !r->reaped)
		return;
	conn_ended(r->addr, r->ip, r->pid, r->status, loop_now_ms() - r->start, (long long)r->nin,
		   (long long)r->nout, r->why[0] ? r->why : NULL);
	free(r);
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
		X.running--;
		if (c->rel) {
			c->rel->reaped = 1;
			c->rel->status = st;
			relay_done(c->rel);
			free(c);
			continue;
		}
		conn_ended(c->addr, c->ip, pid, st, ms, in, out, NULL);
		free(c);
	}
}

/* ------------------------------------------------------------ --exec over TLS: the relay */

static void relay_child_event(struct loop *l, int fd, int mask, void *data);

int exec_relay_start(struct client *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getpeername(c->fd, (struct sockaddr *)&ss, &sl) < 0) {
		serve_client_close(c, strerror(errno));
		return -1;
	}
	if (c->fd >= X.nrel) {
		int n = X.nrel ? X.nrel : 1024;
		while (n <= c->fd)
			n *= 2;
		struct relay **nr = realloc(X.rel, (size_t)n * sizeof *nr);
		if (!nr) {
			serve_client_close(c, "out of memory");
			return -1;
		}
		memset(nr + X.nrel, 0, (size_t)(n - X.nrel) * sizeof *nr);
		X.rel = nr;
		X.nrel = n;
	}
	struct relay *r = calloc(1, sizeof *r);
	struct child *ch = calloc(1, sizeof *ch);
	if (!r || !ch) {
		free(r);
		free(ch);
		serve_client_close(c, "out of memory");
		return -1;
	}
	int port;
	ip_port((struct sockaddr *)&ss, r->ip, sizeof r->ip, &port);
	snprintf(r->addr, sizeof r->addr, "%s", c->addr);
	if (!exec_ip_take(r->ip)) {
		log_info("refused %s: %d connection%s from %s already (--max-per-ip)", c->addr, X.per_ip, X.per_ip == 1 ? "" : "s", r->ip);
		free(r);
		free(ch);
		serve_client_close(c, "over --max-per-ip");
		return -1;
	}
	/* The program's end blocking (as a socket it is given in plain mode), ours not. */
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
		log_info("%s: cannot start %s: socketpair: %s", c->addr, X.argv[0], strerror(errno));
		goto fail;
	}
	r->start = loop_now_ms();
	r->pid = exec_spawn(pair[1], c->fd, (struct sockaddr *)&ss, sl);
	int e = errno;
	close(pair[1]);
	if (r->pid < 0) {
		close(pair[0]);
		log_info("%s: cannot start %s: %s", c->addr, X.argv[0], strerror(e));
		goto fail;
	}
	fcntl(pair[0], F_SETFL, fcntl(pair[0], F_GETFL) | O_NONBLOCK);
	r->pfd = pair[0];
	r->c = c;
	ch->pid = r->pid;
	ch->fd = -1;
	ch->rel = r;
	ch->start = r->start;
	struct child **b = &X.bucket[(unsigned)ch->pid % NBUCKET];
	ch->next = *b;
	*b = ch;
	X.running++;
	X.rel[c->fd] = r;
	log_trace("%s: %s started, pid %ld", c->addr, X.argv[0], (long)r->pid);
	if (loop_add(serve_loop, r->pfd, LOOP_READ, relay_child_event, r) < 0) {
		serve_client_close(c, strerror(errno)); /* the program sees its end of file */
		return -1;
	}
	int fd = c->fd;
	exec_relay_event(c); /* data may have come with the handshake; c may end in it */
	return X.rel[fd] ? 0 : -1;
fail:
	exec_ip_give(r->ip);
	free(r);
	free(ch);
	serve_client_close(c, "spawn failed");
	return -1;
}

/* End the session (close_notify when it was clean) and our end of the socketpair. */
static void relay_end(struct relay *r, const char *why)
{
	struct client *c = r->c;
	if (why)
		snprintf(r->why, sizeof r->why, "%s", why);
	X.rel[c->fd] = NULL;
	serve_conn_free(c);
	r->c = NULL;
	if (r->pfd >= 0) {
		loop_del(serve_loop, r->pfd);
		close(r->pfd);
		r->pfd = -1;
	}
	relay_done(r);
}

int exec_relay_close(struct client *c, const char *why)
{
	if (c->fd >= X.nrel || !X.rel[c->fd])
		return 0;
	relay_end(X.rel[c->fd], why);
	return 1;
}

static const char *io_why(int e)
{
	return e == ECONNRESET || e == EPIPE ? "reset by peer" : e == EPROTO ? "TLS error" : strerror(e);
}

/* Move what can move both ways, without blocking, then watch for what is waited for. */
static void relay_pump(struct relay *r)
{
	struct client *c = r->c;
	for (int round = 0; round < 8; round++) {
		int moved = 0;
		/* The program's output to the client. */
		if (buf_pending(&c->out)) {
			ssize_t w = conn_write(c, buf_head(&c->out), buf_pending(&c->out));
			if (w > 0) {
				buf_consume(&c->out, (size_t)w);
				r->nout += (unsigned long long)w;
				moved = 1;
			} else if (errno != EAGAIN && errno != EINTR) {
				relay_end(r, io_why(errno));
				return;
			}
		}
		if (!r->prog_eof && buf_pending(&c->out) < RELAY_HIGH) {
			size_t room = RELAY_HIGH - buf_pending(&c->out);
			char *p = buf_reserve(&c->out, room);
			errno = ENOMEM;
			ssize_t n = p ? read(r->pfd, p, room) : -1;
			if (n > 0) {
				buf_commit(&c->out, (size_t)n);
				moved = 1;
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				r->prog_eof = 1; /* its end of output (or it is gone: ECONNRESET) */
				moved = 1;
			}
		}
		if (r->prog_eof && !buf_pending(&c->out)) {
			relay_end(r, NULL); /* all of it sent: close_notify, close */
			return;
		}
		/* The client's input to the program. */
		if (!r->tls_eof && buf_pending(&c->in) < RELAY_HIGH) {
			size_t room = RELAY_HIGH - buf_pending(&c->in);
			char *p = buf_reserve(&c->in, room);
			errno = ENOMEM;
			ssize_t n = p ? conn_read(c, p, room) : -1;
			if (n > 0) {
				r->nin += (unsigned long long)n;
				if (!r->sink)
					buf_commit(&c->in, (size_t)n);
				moved = 1;
			} else if (n == 0) {
				r->tls_eof = 1;
				moved = 1;
			} else if (errno != EAGAIN && errno != EINTR) {
				relay_end(r, p ? io_why(errno) : "out of memory");
				return;
			}
		}
		if (buf_pending(&c->in)) {
			ssize_t w = send(r->pfd, buf_head(&c->in), buf_pending(&c->in), MSG_NOSIGNAL);
			if (w > 0) {
				buf_consume(&c->in, (size_t)w);
				moved = 1;
			} else if (errno != EAGAIN && errno != EINTR) {
				r->sink = 1; /* the program closed its input: what the client sends is dropped */
				buf_reset(&c->in);
				moved = 1;
			}
		}
		if (r->tls_eof && !buf_pending(&c->in) && !r->shut) {
			shutdown(r->pfd, SHUT_WR); /* the program reads its end of file */
			r->shut = 1;
		}
		if (!moved)
			break;
	}
	if (!buf_pending(&c->in))
		buf_free(&c->in);
	if (!buf_pending(&c->out))
		buf_free(&c->out);
	c->last = loop_now_ms();
	/* Not reading the client while the program has not taken what came (or after its end). */
	c->paused = r->tls_eof || buf_pending(&c->in) >= RELAY_HIGH;
	int m = 0;
	if (!r->prog_eof && buf_pending(&c->out) < RELAY_HIGH)
		m |= LOOP_READ;
	if (buf_pending(&c->in))
		m |= LOOP_WRITE;
	loop_mod(serve_loop, r->pfd, m);
	serve_want(c);
}

void exec_relay_event(struct client *c)
{
	if (c->fd < X.nrel && X.rel[c->fd])
		relay_pump(X.rel[c->fd]);
}

static void relay_child_event(struct loop *l, int fd, int mask, void *data)
{
	(void)l;
	(void)fd;
	(void)mask;
	relay_pump(data);
}

long exec_running(void)
{
	return X.running;
}
