/* SPDX-License-Identifier: MIT */
/* tcp_serve/opts.c - tcp-serve's command line: the option table (--help and the
 * completion come from it), --exec's argument split, and the checks of what goes with
 * what, into the settings of opts.h. Nothing here runs after start-up.
 *
 * Header: opts.h    Man page: man/nettool-tcp-serve.1
 * Tests: tests/integration/tcp_serve.sh, tests/integration/tcp_exec.sh,
 * tests/integration/tcp_services.sh, tests/integration/tcp_tls.sh,
 * tests/integration/tcp_stream.sh
 */
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "listen.h"
#include "log.h"
#include "nt_err.h"
#include "opt.h"
#include "opts.h"

enum {
	O_LINE = OPT_LONG, O_UNIX, O_MAXCLIENTS, O_IDLE, O_MAXLINE,
	O_WORKERS, O_REUSEPORT, O_TIMEFMT, O_UTC, O_MAXPARTIAL, O_EXEC, O_SHEXEC,
	O_MAXPERIP, O_STREAM, O_KEEP, O_JSON, O_TLS, O_CERT, O_KEY, O_CACERT, O_VERIFYCLIENT, O_HSTIMEOUT,
};

static const struct opt opts[] = {
	{'l', "listen", OPT_STR, "ADDR", "listen on ADDR only (default: every address, IPv4 and IPv6)"},
	{'p', "port", OPT_PORT, "PORT", "listen on PORT (default 8888)"},
	{O_UNIX, "unix", OPT_FILE, "PATH", "listen on a unix socket instead"},
	OPT_ROWS_IP,
	{O_LINE, "line", OPT_FLAG, NULL, "answer one line, then close (socketserver style)"},
	INETSVC_ROWS,
	{O_EXEC, "exec", OPT_STR, "PROG", "run PROG per connection, on its stdin/stdout; the rest of the line are its arguments"},
	{O_SHEXEC, "sh-exec", OPT_RAW, "STRING", "run /bin/sh -c STRING per connection (as ncat's)"},
	{O_MAXPERIP, "max-per-ip", OPT_UINT, "N", "--exec: at most N connections from one address (more are closed)", 1, 10000000},
	{O_STREAM, "stream", OPT_FLAG, NULL, "nc -l: one connection to stdin/stdout, full duplex, then exit"},
	{O_KEEP, "keep", OPT_FLAG, NULL, "--stream: serve connections one after another, never exit"},
	{O_JSON, "json", OPT_FLAG, NULL, "one JSON object per connection on stdout (peer, bytes, duration, why it ended)"},
	{O_MAXCLIENTS, "max-clients", OPT_UINT, "N", "serve at most N clients at once (others wait)", 1, 10000000},
	{O_IDLE, "idle-timeout", OPT_SECS, "SEC", "close a client idle for SEC seconds"},
	{O_MAXLINE, "max-line", OPT_SIZE, "BYTES", "answer longer lines in pieces of BYTES (default 64k)", 1, 1 << 24},
	{O_MAXPARTIAL, "max-partial", OPT_SIZE, "BYTES",
	 "cap on partial-line buffer memory per worker; not with --echo/--daytime (default 32M, min 64k)",
	 1, (long long)1 << 40},
	{O_WORKERS, "workers", OPT_UINT, "N", "N worker processes sharing the listening socket (auto: one per online CPU)", 1, 256, .values = "auto"},
	{O_REUSEPORT, "reuseport", OPT_FLAG, NULL, "SO_REUSEPORT: every server of this user on the port with it shares the traffic"},
	{O_TLS, "tls", OPT_FLAG, NULL, "serve over TLS (needs --cert and --key; SIGHUP reloads them)"},
	{O_CERT, "cert", OPT_FILE, "FILE", "the server's certificate chain (PEM) for --tls"},
	{O_KEY, "key", OPT_FILE, "FILE", "the private key of --cert (PEM, no passphrase)"},
	{O_VERIFYCLIENT, "verify-client", OPT_FLAG, NULL, "require a client certificate that verifies against --cacert"},
	{O_CACERT, "cacert", OPT_FILE, "FILE", "CA certificates for --verify-client (required with it)"},
	{O_HSTIMEOUT, "handshake-timeout", OPT_SECS, "SEC", "close a client whose TLS handshake takes longer (default 10)"},
	{O_TIMEFMT, "time-format", OPT_RAW, "FMT", "strftime(3) format of the stamp (default: ctime)"},
	{O_UTC, "utc", OPT_FLAG, NULL, "stamp in UTC"},
	{'q', "quiet", OPT_FLAG, NULL, "no connection log"},
	{'v', "verbose", OPT_FLAG, NULL, "also trace backpressure (paused and resumed clients)"},
	{0},
};

static const struct opt_spec spec = {
	.usage = "[OPTIONS] [--exec PROG [ARGS...]]",
	.opts = opts,
	.footer = "Each line a client sends is answered 'STAMP line' (STAMP as ctime(3) prints it).\n"
		  "A message without a newline is answered once nothing more is there to read.\n"
		  "--exec takes the rest of the command line: PROG and its arguments, no shell. The program\n"
		  "gets PROTO=TCP, TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP and TCPLOCALPORT (UCSPI-TCP).\n",
};

static const char *const mode_opt[] = {
	[MODE_STAMP] = "", [MODE_LINE] = "--line", [MODE_ECHO] = "--echo", [MODE_DAYTIME] = "--daytime",
	[MODE_DISCARD] = "--discard", [MODE_CHARGEN] = "--chargen", [MODE_TIME] = "--time", [MODE_EXEC] = "--exec",
	[MODE_STREAM] = "--stream",
};

/* --exec PROG [ARGS...]: everything after PROG belongs to it, so option parsing stops
 * at --exec. Found by walking the options as getopt will (an option's argument is
 * skipped: "-l --exec" is an address). Returns the index of "--exec", or argc. */
static int find_exec(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return argc;
		if (!strcmp(a, "--exec") || !strncmp(a, "--exec=", 7))
			return i;
		if (a[0] != '-' || !a[1])
			continue;
		const struct opt *o = NULL;
		if (a[1] == '-') {
			if (strchr(a, '='))
				continue;
			for (const struct opt *x = opts; x->key; x++)
				if (x->name && !strcmp(x->name, a + 2))
					o = x;
		} else if (!a[2]) {
			for (const struct opt *x = opts; x->key; x++)
				if (x->key == a[1])
					o = x;
		}
		if (o && o->type != OPT_FLAG && o->type != OPT_OPTSTR)
			i++;
	}
	return argc;
}

void serve_opts(int argc, char **argv, struct serve_conf *c)
{
	struct opt_state os;
	const char *listen = NULL, *tfmt = NULL, *shexec = NULL;
	int utc = 0, modes = 0, max_partial_set = 0, idle_set = 0, maxline_set = 0, hs_set = 0;
	char **prog = NULL;
	c->port = 8888;
	c->family = AF_UNSPEC;
	c->max_line = 64 * 1024;
	c->max_partial = 32 << 20;
	c->workers = 1;
	c->hs_ms = 10000;
	int xi = find_exec(argc, argv);
	if (xi < argc) {
		if (argv[xi][6] == '=') {
			argv[xi] += 7; /* --exec=PROG */
			prog = argv + xi;
		} else {
			prog = argv + xi + 1;
		}
		if (!*prog || !**prog)
			opt_usage_error("--exec needs a program");
		c->mode = MODE_EXEC, modes++;
		argc = xi;
	}
	opt_init(&os, &spec, argc, argv);
	for (int k; (k = opt_next(&os)) != -1;) {
		enum inetsvc svc = inetsvc_opt(k);
		if (svc) {
			c->mode = (enum mode)svc, modes++;
			continue;
		}
		switch (k) {
		case 'l': listen = os.str; break;
		case 'p': c->port = (int)os.num; break;
		case O_UNIX: c->unix_path = os.str; break;
		case '4': c->family = AF_INET; break;
		case '6': c->family = AF_INET6; break;
		case O_LINE: c->mode = MODE_LINE, modes++; break;
		case O_SHEXEC: c->mode = MODE_EXEC, modes++, shexec = os.str; break;
		case O_STREAM: c->mode = MODE_STREAM, modes++; break;
		case O_KEEP: c->keep = 1; break;
		case O_MAXPERIP: c->exec.per_ip = (int)os.num; break;
		case O_JSON: c->json = 1; break;
		case O_MAXCLIENTS: c->max_clients = os.num; break;
		case O_IDLE: c->idle_ms = os.num, idle_set = 1; break;
		case O_MAXLINE: c->max_line = (size_t)os.num, maxline_set = 1; break;
		case O_MAXPARTIAL: c->max_partial = (size_t)os.num, max_partial_set = 1; break;
		case O_WORKERS: c->workers = os.num < 0 ? workers_auto() : (int)os.num; break;
		case O_REUSEPORT: c->reuseport = 1; break;
		case O_TIMEFMT: tfmt = os.str; break;
		case O_UTC: utc = 1; break;
		case O_TLS: c->tls = 1; break;
		case O_CERT: c->tc.cert = os.str; break;
		case O_KEY: c->tc.key = os.str; break;
		case O_CACERT: c->tc.cacert = os.str; break;
		case O_VERIFYCLIENT: c->tc.verify_client = 1; break;
		case O_HSTIMEOUT: c->hs_ms = os.num, hs_set = 1; break;
		case 'q': log_level = LOG_QUIET; break;
		case 'v': log_level = LOG_VERBOSE; break;
		}
	}
	if (os.ind < argc)
		opt_usage_error("unexpected argument '%s'", argv[os.ind]);
	if (modes > 1)
		opt_usage_error("--line, --echo, --daytime, --discard, --chargen, --time, --exec, --sh-exec and --stream "
				"exclude each other");
	const char *m = mode_opt[c->mode];
	if (c->unix_path && listen)
		opt_usage_error("--unix and -l exclude each other");
	if (max_partial_set && c->mode != MODE_STAMP && c->mode != MODE_LINE)
		opt_usage_error("--max-partial applies to the stamp modes (default and --line): %s holds no partial lines",
				m);
	if (maxline_set && c->mode != MODE_STAMP && c->mode != MODE_LINE)
		opt_usage_error("--max-line applies to the stamp modes (default and --line), not to %s", m);
	if ((tfmt || utc) && c->mode != MODE_STAMP && c->mode != MODE_LINE && c->mode != MODE_DAYTIME)
		opt_usage_error("--time-format and --utc apply to the stamp modes and --daytime, not to %s", m);
	if (c->exec.per_ip && c->mode != MODE_EXEC)
		opt_usage_error("--max-per-ip applies to --exec and --sh-exec");
	if (c->keep && c->mode != MODE_STREAM)
		opt_usage_error("--keep applies to --stream");
	if (idle_set && (c->mode == MODE_EXEC))
		opt_usage_error("--idle-timeout does not apply to --exec: the program owns the connection");
	if (c->mode == MODE_STREAM) {
		if (c->json)
			opt_usage_error("--json and --stream exclude each other: with --stream, standard output is the data");
		if (c->workers > 1 || c->max_clients)
			opt_usage_error("--stream serves one connection at a time: no --workers, no --max-clients");
	}
	/* The cap counts buffer capacity (the memory), which one client's line already
	 * grows to --max-line plus a read: a smaller cap would close honest clients. */
	size_t partial_min = c->max_line > PARTIAL_MIN ? c->max_line : PARTIAL_MIN;
	if (c->max_partial < partial_min)
		opt_usage_error("--max-partial %zu is below %zu bytes (64k or --max-line, the larger)", c->max_partial,
				partial_min);
	if (c->tls && (!c->tc.cert || !c->tc.key))
		opt_usage_error("--tls needs --cert FILE and --key FILE");
	if (!c->tls && (c->tc.cert || c->tc.key || c->tc.cacert || c->tc.verify_client || hs_set))
		opt_usage_error("--cert, --key, --cacert, --verify-client and --handshake-timeout go with --tls");
	if (!!c->tc.cacert != !!c->tc.verify_client)
		opt_usage_error("--cacert is the CA of --verify-client: give both (the system's CAs would accept any public certificate)");
	if (c->tls && c->hs_ms <= 0)
		opt_usage_error("--handshake-timeout must be more than 0");
	if (tfmt && stamp_check_format(tfmt) < 0)
		opt_usage_error("--time-format '%s' gives an empty or over-long stamp", tfmt);
	if (listen) {
		struct addr a;
		char err[ADDR_ERRLEN];
		if (addr_parse(listen, c->port, &a, err) < 0)
			opt_usage_error("-l: %s", err);
		if (a.is_unix)
			c->unix_path = xstrdup(a.path);
		else
			c->host = xstrdup(a.host), c->port = a.port;
	}
	stamp_init(&c->stamp, tfmt, utc);
	if (c->mode == MODE_EXEC) {
		static char *sh[4] = {"/bin/sh", "-c", NULL, NULL};
		if (shexec)
			sh[2] = (char *)shexec, prog = sh;
		c->exec.argv = prog;
		char err[600];
		if (exec_init(&c->exec, err, sizeof err) < 0)
			opt_usage_error("--exec: %s", err);
	}
	if (c->reuseport && c->unix_path)
		opt_usage_error("--reuseport applies to TCP ports, not to --unix");
}
