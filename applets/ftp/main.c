/* SPDX-License-Identifier: MIT */
/* main.c - ftp: an FTP/FTPS client over libcurl (ls, get, put, mkdir, rmdir, rm, mv,
 * pwd, size, mtime, mirror, copy) with a batch engine for millions of files.
 *
 * Man page: man/nettool-ftp.1    Tests: tests/integration/ftp*.sh, tests/unit/check_ftp.c
 * Files: main.c (CLI), batch.c (get, put, rm, copy: their job lists), sess.c (sites, single
 * operations), engine.c (batch engine), tree.c (glob, mirror, copy -r, --from-file), parse.c
 * (reply, FEAT, MLSD, LIST parsers), durable.c (temporaries), shard.c (--shard auto), status.c + jread.c (ftp status).
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "cli.h"
#include "connpol.h"
#include "file.h"
#include "ftp.h"
#include "journal.h"
#include "json.h"
#include "log.h"
#include "nt_err.h"
#include "opt.h"
#include "out.h"
#include "tree.h"

struct ftp_conf ftp_cf;

enum {
	O_JSON = OPT_LONG,
	O_CREATEDIRS, O_ATOMIC, O_MOVE, O_REVERSE, O_ONLYNEWER, O_DELETE, O_EXCLUDE, O_FROMFILE, O_PARALLEL,
	O_JOURNAL, O_SHARD, O_RETRY, O_DEADLINE, O_PASSIVE, O_ACTIVE, O_ASCII, O_LIMIT, O_PROGRESS,
	O_MAXENTRIES, O_MAXFOLDERS, O_NOATOMIC, O_FSYNC, O_FXP, O_NOFXP,
};

static const struct opt opts[] = {
	CONN_ROWS_IP,
	CONN_ROWS_VQ("protocol trace on stderr (password masked)", "no progress, no summary, errors only"),
	{'P', "port", OPT_PORT, "PORT", "server port for host:path targets (default 21)"},
	CONN_ROWS_AUTH("log in as USER (default: from the target, ~/.netrc, else anonymous)"),
	CONN_ROWS_TLS,
	CONN_ROWS_PROXY,
	CONN_ROW_TIMEOUT("connect timeout and stall limit (default 30)"),
	{O_JSON, "json", OPT_FLAG, NULL,
	 "results as JSON lines (ls, get, put, mkdir, rmdir, rm, mv, pwd, size, mtime, mirror, copy, status)"},
	{'l', "long", OPT_FLAG, NULL, "ls: long listing (LIST)"},
	{'o', "output", OPT_FILE, "FILE", "get: save the one file as FILE ('-': standard output)"},
	{'O', "output-dir", OPT_DIR, "DIR", "get: save into DIR (default: the current folder)"},
	{'c', "resume", OPT_FLAG, NULL, "get, put, mirror, shell: continue a partial file (REST/APPE)"},
	{O_CREATEDIRS, "create-dirs", OPT_FLAG, NULL, "put, copy, mirror, shell: create missing remote folders"},
	{O_ATOMIC, "atomic", OPT_FLAG, NULL, "put, copy, mirror, shell: upload to a temporary name, rename when complete (copy: the default)"},
	{O_NOATOMIC, "no-atomic", OPT_FLAG, NULL, "copy: store in place; a failed partial file is deleted"},
	{O_FSYNC, "fsync", OPT_FLAG, NULL, "get, mirror, shell: sync each download (in groups) even without --journal"},
	{O_FXP, "fxp", OPT_FLAG, NULL, "copy: server to server directly (FXP) or fail; with TLS: clear data"},
	{O_NOFXP, "no-fxp", OPT_FLAG, NULL, "copy: never FXP, always stream through us"},
	{'p', "parents", OPT_FLAG, NULL, "mkdir: create parents, no error if it exists"},
	{'r', "recursive", OPT_FLAG, NULL, "get, copy: whole trees"},
	{O_MOVE, "move", OPT_FLAG, NULL, "get, copy: delete each source file once its copy is safe"},
	{'n', "no-login", OPT_FLAG, NULL, "shell: do not log in at the start (then: user NAME)"},
	{O_REVERSE, "reverse", OPT_FLAG, NULL, "mirror: upload a local tree (SRC local, DST remote)"},
	{O_ONLYNEWER, "only-newer", OPT_FLAG, NULL, "mirror, get -r: skip files whose copy has the same size and is not older"},
	{O_DELETE, "delete", OPT_FLAG, NULL, "mirror, get -r: delete what the source no longer has"},
	{O_EXCLUDE, "exclude", OPT_STR, "GLOB", "mirror, get -r, copy -r: skip names or relative paths matching GLOB (repeatable)"},
	{O_MAXENTRIES, "max-entries", OPT_UINT, "N", "mirror, get -r, copy -r: at most N names in the remote tree (default 10000000)",
	 1, 1000000000000LL},
	{O_MAXFOLDERS, "max-folders", OPT_UINT, "N", "mirror, get -r, copy -r: at most N remote folders (default 1000000)",
	 1, 1000000000000LL},
	{O_FROMFILE, "from-file", OPT_FILE, "LIST", "get, put, rm, copy: paths from LIST, one a line ('-': stdin)"},
	{O_PARALLEL, "parallel", OPT_UINT, "N", "get, put, rm, copy, mirror, shell: N logged-in connections (default 4)", 1, 64},
	{O_JOURNAL, "journal", OPT_FILE, "FILE", "record finished items in FILE; a rerun skips them"},
	{O_SHARD, "shard", OPT_STR, "K/N", "items K, K+N, K+2N... of the list; auto (Slurm array), auto/N (Kubernetes)"},
	{O_RETRY, "retry", OPT_UINT, "N", "retry transient failures N times with backoff (default 0)", 0, 100},
	{O_DEADLINE, "deadline", OPT_SECS, "SEC", "get, put, rm, copy, mirror, shell: stop after SEC seconds (0: never; rerun with --journal)"},
	{O_PASSIVE, "passive", OPT_FLAG, NULL, "passive data connections, EPSV then PASV (default)"},
	{O_ACTIVE, "active", OPT_OPTSTR, "ADDR", "active data connections (PORT/EPRT), from ADDR"},
	{O_ASCII, "ascii", OPT_FLAG, NULL, "ASCII transfers (TYPE A)"},
	{O_LIMIT, "limit-rate", OPT_SIZE, "BYTES", "at most BYTES per second per transfer (k, M, G)"},
	{O_PROGRESS, "progress", OPT_CHOICE, "MODE", "the progress meter (default: auto, a bar on a terminal)", .values = "bar plain none auto"},
	{0},
};

/* The footer of --help after the command lines (made from cmds[] in ftp_main). */
#define FTP_FOOTER \
	"TARGET: host:path (relative to the login folder; a port: -P PORT or a URL), host:/abs,\n" \
	"user@host:path, " \
	"ftp://[user@]host[:port]/path or ftps:// (implicit TLS).\n" \
	"Batches (get, put, rm, copy): --from-file LIST with TARGET as the base folder.\n" \
	"Proxy: --proxy, else ftp_proxy (ftps_proxy) or ALL_PROXY; always a CONNECT tunnel.\n"

/* FTP has no bearer login (no SASL): the OAuth2 options are refused, not unknown. */
static const struct opt refused[] = {
	CONN_REFUSED_OAUTH2("FTP servers have no OAuth2 login; it is for mail-send and mail-fetch"),
	{0},
};

static struct opt_spec spec = {"[OPTIONS] COMMAND ARGS", opts, NULL, NULL, refused};

int cli_nargs;
char **cli_args;

void cli_need_args(const char *cmd, int min, int max)
{
	if (cli_nargs < min || (max >= 0 && cli_nargs > max))
		opt_usage_error("%s: wrong number of arguments", cmd);
}

void cli_die_cmd(CURLcode rc, const char *cmd, const char *arg, const struct ftp_site *s)
{
	char what[600];
	snprintf(what, sizeof what, "%s %s", cmd, arg);
	ftp_die_curl(rc, what, s);
}

struct ftp_site *cli_remote(const char *arg, char **path)
{
	if (!ftp_is_remote(arg))
		opt_usage_error("'%s' is not a remote target (host:path or ftp://host/path)", arg);
	return ftp_target(arg, path);
}

static void print_time(int64_t t)
{
	char b[64];
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs(b, stdout);
}

static int cmd_ls(const char *cmd)
{
	cli_need_args(cmd, 1, 1);
	char *path;
	struct ftp_site *s = cli_remote(cli_args[0], &path);
	if (ftp_has_glob(path)) {
		/* The matching paths, as `ls -d` would show them. */
		struct ftp_match *m;
		int n = ftp_glob(s, path, &m);
		free(path);
		if (n < 0)
			return -n;
		if (!n)
			nt_warn("ls %s: no match", cli_args[0]);
		for (int i = 0; i < n; i++) {
			if (!ftp_cf.json) {
				out_line(stdout, m[i].path, strlen(m[i].path), 0);
				continue;
			}
			json_begin(stdout);
			json_kv_str(stdout, "name", m[i].path);
			json_kv_str(stdout, "type", ftp_etype_name(m[i].type));
			if (m[i].size >= 0)
				json_kv_int(stdout, "size", m[i].size);
			else
				json_kv_str(stdout, "size", NULL);
			if (m[i].mtime >= 0)
				json_kv_int(stdout, "mtime", m[i].mtime);
			else
				json_kv_str(stdout, "mtime", NULL);
			json_kv_str(stdout, "perm", NULL);
			json_end(stdout);
		}
		ftp_matches_free(m, n);
		return n ? 0 : NT_EXIT_FAIL;
	}
	if (ftp_cf.json) {
		struct ftp_item *v;
		int n = ftp_list_entries(s, path, &v, NULL);
		if (n < 0) {
			free(path);
			return -n;
		}
		for (int i = 0; i < n; i++) {
			json_begin(stdout);
			json_kv_strn(stdout, "name", v[i].name, v[i].namelen);
			json_kv_str(stdout, "type", ftp_etype_name(v[i].type));
			if (v[i].size >= 0)
				json_kv_int(stdout, "size", v[i].size);
			else
				json_kv_str(stdout, "size", NULL);
			if (v[i].mtime >= 0)
				json_kv_int(stdout, "mtime", v[i].mtime);
			else
				json_kv_str(stdout, "mtime", NULL);
			json_kv_str(stdout, "perm", v[i].perm[0] ? v[i].perm : NULL);
			json_end(stdout);
		}
		ftp_items_free(v, n);
		free(path);
		return 0;
	}
	struct buf b;
	buf_init(&b, 256u << 20);
	CURLcode rc = ftp_listing(s, path, ftp_cf.longfmt ? 'l' : 'n', &b);
	if (rc != CURLE_OK)
		cli_die_cmd(rc, "ls", cli_args[0], s);
	const char *p = buf_head(&b);
	size_t left = buf_pending(&b), adv;
	while (left) {
		size_t l = ftp_next_line(p, left, &adv);
		if (l)
			out_line(stdout, p, l, 0); /* made safe for a terminal */
		p += adv, left -= adv;
	}
	buf_free(&b);
	free(path);
	return 0;
}

static int cmd_simple(const char *cmd)
{
	char *path;
	struct ftp_site *s;
	CURLcode rc;
	long long t0 = ftp_now_ms();
	if (!strcmp(cmd, "pwd")) {
		cli_need_args(cmd, 1, 1);
		s = cli_remote(cli_args[0], &path);
		char *ep;
		if ((rc = ftp_entry_path(s, &ep)) != CURLE_OK)
			cli_die_cmd(rc, cmd, cli_args[0], s);
		if (ftp_cf.json) {
			json_begin(stdout);
			json_kv_str(stdout, "path", ep);
			json_end(stdout);
		} else {
			out_line(stdout, ep, strlen(ep), 0);
		}
		free(ep);
		free(path);
	} else if (!strcmp(cmd, "size") || !strcmp(cmd, "mtime")) {
		cli_need_args(cmd, 1, -1);
		for (int i = 0; i < cli_nargs; i++) {
			s = cli_remote(cli_args[i], &path);
			int64_t size = -1, mt = -1;
			rc = ftp_stat(s, path, cmd[0] == 's' ? &size : NULL, cmd[0] == 'm' ? &mt : NULL);
			if (rc == CURLE_OK && cmd[0] == 's' && size < 0)
				die(NT_EXIT_FAIL, "%s: the server did not report a size (a folder?)", cli_args[i]);
			if (rc == CURLE_OK && cmd[0] == 'm' && mt < 0)
				die(NT_EXIT_FAIL, "%s: the server did not report a time (a folder?)", cli_args[i]);
			if (rc != CURLE_OK)
				cli_die_cmd(rc, cmd, cli_args[i], s);
			if (ftp_cf.json) {
				json_begin(stdout);
				json_kv_str(stdout, "path", path);
				if (cmd[0] == 's')
					json_kv_int(stdout, "size", size);
				else
					json_kv_int(stdout, "mtime", mt);
				json_end(stdout);
			} else if (cmd[0] == 's') {
				printf("%lld\n", (long long)size);
			} else {
				print_time(mt);
				putchar('\n');
			}
			free(path);
		}
	} else if (!strcmp(cmd, "mkdir") || !strcmp(cmd, "rmdir")) {
		cli_need_args(cmd, 1, -1);
		for (int i = 0; i < cli_nargs; i++) {
			s = cli_remote(cli_args[i], &path);
			if (!path[0] || !strcmp(path, "/"))
				opt_usage_error("%s: no folder name in '%s'", cmd, cli_args[i]);
			char *rel = path;
			path = ftp_qpath(s, rel);
			free(rel);
			if (cmd[0] == 'm' && ftp_cf.parents) {
				/* MKD each prefix, ignoring failures, then check that the folder is there. */
				const char *cmds[256];
				char *own[256];
				int n = 0;
				for (char *q = path + 1; *q && n < 255; q++)
					if (*q == '/' && q[-1] != '/') {
						own[n] = xasprintf("*MKD %.*s", (int)(q - path), path);
						cmds[n] = own[n], n++;
					}
				own[n] = xasprintf("*MKD %s", path);
				cmds[n] = own[n], n++;
				rc = ftp_quote(s, cmds, n);
				for (int k = 0; k < n; k++)
					free(own[k]);
				if (rc != CURLE_OK)
					cli_die_cmd(rc, cmd, cli_args[i], s);
				if (ftp_isdir(s, path) != 1)
					die(NT_EXIT_FAIL, "mkdir %s: could not create the folder (server: %s)", cli_args[i], s->hdr.last);
				ftp_result(cmd, NULL, path, FTP_R_DONE, -1, (ftp_now_ms() - t0) / 1000.0, NULL);
			} else {
				char *c = xasprintf("%s %s", cmd[0] == 'm' ? "MKD" : "RMD", path);
				const char *cmds[] = {c};
				rc = ftp_quote(s, cmds, 1);
				free(c);
				if (rc != CURLE_OK)
					cli_die_cmd(rc, cmd, cli_args[i], s);
				ftp_result(cmd, cmd[0] == 'r' ? path : NULL, cmd[0] == 'm' ? path : NULL, FTP_R_DONE, -1,
					   (ftp_now_ms() - t0) / 1000.0, NULL);
			}
			t0 = ftp_now_ms();
			free(path);
		}
	} else if (!strcmp(cmd, "mv")) {
		cli_need_args(cmd, 2, 2);
		s = cli_remote(cli_args[0], &path);
		char *to;
		if (ftp_is_remote(cli_args[1])) {
			if (cli_remote(cli_args[1], &to) != s)
				opt_usage_error("mv: both paths must be on the same server (use copy --move)");
		} else {
			if (nt_has_ctl(cli_args[1]))
				die(NT_EXIT_USAGE, "control character (CR, LF...) in '%s': refused", cli_args[1]);
			to = xstrdup(cli_args[1]);
		}
		char *ap = ftp_qpath(s, path), *at = ftp_qpath(s, to);
		free(path), free(to);
		path = ap, to = at;
		char *c1 = xasprintf("RNFR %s", path), *c2 = xasprintf("RNTO %s", to);
		const char *cmds[] = {c1, c2};
		rc = ftp_quote(s, cmds, 2);
		free(c1), free(c2);
		if (rc != CURLE_OK)
			cli_die_cmd(rc, cmd, cli_args[0], s);
		ftp_result(cmd, path, to, FTP_R_DONE, -1, (ftp_now_ms() - t0) / 1000.0, NULL);
		free(to);
		free(path);
	}
	return 0;
}


/* status --from-file LIST --journal J [J...]: the journals after the first may follow
 * as arguments (a shell glob after --journal). */
static int cmd_status(const char *cmd)
{
	(void)cmd;
	const char **v = xcalloc((size_t)(ftp_cf.njournals + cli_nargs) + 1, sizeof *v);
	int n = 0;
	for (int i = 0; i < ftp_cf.njournals; i++)
		v[n++] = ftp_cf.journals[i];
	for (int i = 0; i < cli_nargs; i++)
		v[n++] = cli_args[i];
	int rc = ftp_status(n, v);
	free(v);
	return rc;
}

static int cmd_shell(const char *cmd)
{
	(void)cmd;
	cli_need_args("shell", 0, 1);
	return ftp_shell(cli_nargs ? cli_args[0] : NULL);
}

static int cmd_mirror(const char *cmd)
{
	(void)cmd;
	cli_need_args("mirror", 2, 2);
	/* Before the login: a journal of another command or server (the tree: tree.c). */
	ftp_journal_check_targets(ftp_cf.reverse ? "put" : "get", cli_args[ftp_cf.reverse ? 1 : 0], NULL);
	char *rp;
	int rc;
	if (ftp_cf.reverse) {
		struct ftp_site *s = cli_remote(cli_args[1], &rp);
		rc = tree_mirror_up(cli_args[0], s, rp);
	} else {
		struct ftp_site *s = cli_remote(cli_args[0], &rp);
		rc = tree_mirror_down(s, rp, cli_args[1], NULL);
	}
	free(rp);
	return rc;
}

/* One table: --help's command lines, the completion words, the dispatch and which of
 * the options that go with some commands only (only_for[] below) each one takes. */
enum {
	C_BATCH = 1 << 0,     /* --from-file */
	C_JOURNAL = 1 << 1,   /* --journal, --shard */
	C_JSON = 1 << 2,      /* --json */
	C_OUTPUT = 1 << 3,    /* -o, -O */
	C_RESUME = 1 << 4,    /* --resume */
	C_CREATEDIRS = 1 << 5, /* --create-dirs */
	C_ATOMIC = 1 << 6,    /* --atomic */
	C_NOATOMIC = 1 << 7,  /* --no-atomic */
	C_FSYNC = 1 << 8,     /* --fsync */
	C_MOVE = 1 << 9,      /* --move */
	C_FXP = 1 << 10,      /* --fxp, --no-fxp */
	C_REVERSE = 1 << 11,  /* --reverse */
	C_SYNC = 1 << 12,     /* --delete, --only-newer (get: with -r only, the mirror engine) */
	C_NOLOGIN = 1 << 13,  /* -n */
	C_LONG = 1 << 14,     /* -l */
	C_PARENTS = 1 << 15,  /* -p */
	C_WALK = 1 << 16,     /* --exclude, --max-entries, --max-folders: a remote tree walk (get, copy: with -r only) */
	C_REC = 1 << 17,      /* -r (put -r: refused by cmd_put itself, which names mirror --reverse) */
	C_ENGINE = 1 << 18,   /* --parallel, --deadline: the batch engine's */
	C_CONN = 1 << 19,     /* the connection's options (-u, --tls, --timeout, --limit-rate...): status has none */
};
static const struct ftp_cmd {
	const char *name, *args, *help;
	int (*fn)(const char *cmd);
	int flags;
} cmds[] = {
	{"ls", "[-l] TARGET", "list a folder (a glob anywhere: the matching paths)", cmd_ls, C_JSON | C_LONG | C_CONN},
	{"get", "TARGET... [-o FILE|-O DIR]", "download (-r: trees; globs anywhere: host:logs/*/app.log)", cmd_get,
	 C_BATCH | C_JOURNAL | C_JSON | C_OUTPUT | C_RESUME | C_FSYNC | C_MOVE | C_SYNC | C_WALK | C_REC | C_ENGINE | C_CONN},
	{"put", "FILE... TARGET", "upload (TARGET may be a folder; FILE '-': standard input)", cmd_put,
	 C_BATCH | C_JOURNAL | C_JSON | C_RESUME | C_CREATEDIRS | C_ATOMIC | C_ENGINE | C_CONN},
	{"mkdir", "[-p] TARGET...", "create folders", cmd_simple, C_JSON | C_PARENTS | C_CONN},
	{"rmdir", "TARGET...", "remove empty folders", cmd_simple, C_JSON | C_CONN},
	{"rm", "TARGET...", "delete files (globs: the matching files)", cmd_rm, C_BATCH | C_JOURNAL | C_JSON | C_ENGINE | C_CONN},
	{"mv", "TARGET NEWPATH", "rename on the server", cmd_simple, C_JSON | C_CONN},
	{"pwd", "HOST:", "the login folder", cmd_simple, C_JSON | C_CONN},
	{"size", "TARGET...", "sizes in bytes", cmd_simple, C_JSON | C_CONN},
	{"mtime", "TARGET...", "modification times (UTC)", cmd_simple, C_JSON | C_CONN},
	{"mirror", "SRC DST", "download a tree (--reverse: upload one)", cmd_mirror,
	 C_JOURNAL | C_JSON | C_RESUME | C_CREATEDIRS | C_ATOMIC | C_FSYNC | C_REVERSE | C_SYNC | C_WALK | C_ENGINE | C_CONN},
	{"copy", "SRC DST", "server to server: directly (FXP) when both allow it, else through memory", cmd_copy,
	 C_BATCH | C_JOURNAL | C_JSON | C_CREATEDIRS | C_ATOMIC | C_NOATOMIC | C_MOVE | C_FXP | C_WALK | C_REC | C_ENGINE | C_CONN},
	{"status", "--from-file LIST --journal J...", "done, remaining, failed: no server", cmd_status,
	 C_BATCH | C_JOURNAL | C_JSON},
	{"shell", "[TARGET]", "a session with the classic verbs (also: ftp HOST)", cmd_shell,
	 C_NOLOGIN | C_RESUME | C_FSYNC | C_ATOMIC | C_CREATEDIRS | C_ENGINE | C_CONN}, /* its get and put run on the engine */
};
#define NCMDS (sizeof cmds / sizeof *cmds)

/* Options that go with some commands only: given to another, refused with exit status 2
 * and a message naming the option and the command, never ignored (nettool(1),
 * CONVENTIONS). Which commands take one: the bit in their row of cmds[]. */
static const struct only_for {
	int key;
	const char *name;
	int bit;
} only_for[] = {
	{'o', "-o (--output)", C_OUTPUT},
	{'O', "-O (--output-dir)", C_OUTPUT},
	{'c', "--resume", C_RESUME},
	{O_CREATEDIRS, "--create-dirs", C_CREATEDIRS},
	{O_ATOMIC, "--atomic", C_ATOMIC},
	{O_NOATOMIC, "--no-atomic", C_NOATOMIC},
	{O_FSYNC, "--fsync", C_FSYNC},
	{O_MOVE, "--move", C_MOVE},
	{O_FXP, "--fxp", C_FXP},
	{O_NOFXP, "--no-fxp", C_FXP},
	{O_REVERSE, "--reverse", C_REVERSE},
	{O_DELETE, "--delete", C_SYNC},
	{O_ONLYNEWER, "--only-newer", C_SYNC},
	{'n', "-n (--no-login)", C_NOLOGIN},
	{'l', "-l (--long)", C_LONG},
	{'p', "-p (--parents)", C_PARENTS},
	{O_FROMFILE, "--from-file", C_BATCH},
	{O_JOURNAL, "--journal", C_JOURNAL},
	{O_SHARD, "--shard", C_JOURNAL},
	{O_EXCLUDE, "--exclude", C_WALK},
	{O_MAXENTRIES, "--max-entries", C_WALK},
	{O_MAXFOLDERS, "--max-folders", C_WALK},
	{'r', "-r (--recursive)", C_REC},
	{O_PARALLEL, "--parallel", C_ENGINE},
	{O_DEADLINE, "--deadline", C_ENGINE},
	/* How to reach and log in to a server: every command but status (which reads journals). */
	{'4', "-4", C_CONN},
	{'6', "-6", C_CONN},
	{'P', "-P (--port)", C_CONN},
	{'u', "-u (--user)", C_CONN},
	{CONN_O_PWFILE, "--password-file", C_CONN},
	{CONN_O_PWCMD, "--password-cmd", C_CONN},
	{CONN_O_ACCOUNT, "--account", C_CONN},
	{CONN_O_CONFIG, "--config", C_CONN},
	{CONN_O_PLAIN, "--allow-plaintext-auth", C_CONN},
	{CONN_O_TLS, "--tls", C_CONN},
	{CONN_O_NOTLS, "--no-tls", C_CONN},
	{CONN_O_CACERT, "--cacert", C_CONN},
	{CONN_O_INSECURE, "--insecure", C_CONN},
	{CONN_O_CERT, "--cert", C_CONN},
	{CONN_O_KEY, "--key", C_CONN},
	{CONN_O_PIN, "--pinnedpubkey", C_CONN},
	{CONN_O_PROXY, "--proxy", C_CONN},
	{CONN_O_NOPROXY, "--noproxy", C_CONN},
	{CONN_O_TIMEOUT, "--timeout", C_CONN},
	{O_RETRY, "--retry", C_CONN},
	{O_PASSIVE, "--passive", C_CONN},
	{O_ACTIVE, "--active", C_CONN},
	{O_ASCII, "--ascii", C_CONN},
	{O_LIMIT, "--limit-rate", C_CONN},
	{O_PROGRESS, "--progress", C_CONN},
};
#define NONLYFOR (sizeof only_for / sizeof *only_for)

/* Refuse the options of only_for[] (given[i]: row i was given) that command c does not take. */
static void only_for_check(const struct ftp_cmd *c, const unsigned char *given)
{
	for (size_t i = 0; i < NONLYFOR; i++) {
		if (!given[i] || (only_for[i].bit == C_REC && c->fn == cmd_put))
			continue;
		if (c->flags & only_for[i].bit) {
			if (only_for[i].bit == C_SYNC && c->fn == cmd_get && !ftp_cf.recursive)
				opt_usage_error("%s does nothing for get without -r: it goes with get -r and mirror",
						only_for[i].name);
			if (only_for[i].bit == C_WALK && (c->fn == cmd_get || c->fn == cmd_copy) && !ftp_cf.recursive)
				opt_usage_error("%s does nothing for %s without -r: it goes with get -r, copy -r and mirror",
						only_for[i].name, c->name);
			continue;
		}
		char list[256];
		size_t l = 0, n = 0, k = 0;
		for (size_t j = 0; j < NCMDS; j++)
			n += (cmds[j].flags & only_for[i].bit) != 0;
		for (size_t j = 0; j < NCMDS && l < sizeof list; j++)
			if (cmds[j].flags & only_for[i].bit)
				l += (size_t)snprintf(list + l, sizeof list - l, "%s%s%s", k++ ? (k == n ? " and " : ", ") : "",
						      cmds[j].name,
						      (only_for[i].bit == C_SYNC && cmds[j].fn == cmd_get) ||
								      (only_for[i].bit == C_WALK && (cmds[j].fn == cmd_get || cmds[j].fn == cmd_copy))
							      ? " -r"
							      : "");
		if (only_for[i].bit == C_CONN)
			opt_usage_error("%s does nothing for %s: it reads journals and connects to no server", only_for[i].name,
					c->name);
		opt_usage_error("%s does nothing for %s: it is for %s", only_for[i].name, c->name, list);
	}
}

/* --help's footer and the completion words, from cmds[]. */
static void spec_from_table(void)
{
	static char footer[2048], words[256];
	size_t f = 0, w = 0;
	f += (size_t)snprintf(footer, sizeof footer, "Commands:\n");
	for (size_t i = 0; i < NCMDS; i++) {
		char left[64];
		snprintf(left, sizeof left, "%s %s", cmds[i].name, cmds[i].args);
		if (f < sizeof footer)
			f += (size_t)snprintf(footer + f, sizeof footer - f, "  %-32s %s\n", left, cmds[i].help);
		if (w < sizeof words)
			w += (size_t)snprintf(words + w, sizeof words - w, "%s%s", w ? " " : "", cmds[i].name);
	}
	if (f < sizeof footer)
		snprintf(footer + f, sizeof footer - f, "%s", FTP_FOOTER);
	spec.footer = footer;
	spec.commands = words;
	spec.verbs = ftp_shell_words(); /* the shell's verbs, from its own table */
}

static void parse_shard(const char *s)
{
	char *end;
	long k = strtol(s, &end, 10);
	if (end == s || *end != '/')
		opt_usage_error("--shard: '%s' is not K/N", s);
	long n = strtol(end + 1, &end, 10);
	if (*end || n < 1 || k < 1 || k > n || n > 1000000)
		opt_usage_error("--shard: '%s' is not K/N with 1 <= K <= N", s);
	ftp_cf.shard_k = (int)k;
	ftp_cf.shard_n = (int)n;
}

int ftp_main(int argc, char **argv)
{
	struct opt_state os;
	struct conn_opts co = {.timeout_ms = 30000};
	ftp_cf.parallel = 4;
	ftp_cf.progress = PROGRESS_AUTO;
	int fxp_both = 0; /* 1: --fxp given, 2: --no-fxp given */
	spec_from_table();
	opt_init(&os, &spec, argc, argv);
	unsigned char given[NONLYFOR] = {0};
	for (int k; (k = opt_next(&os)) != -1;) {
		for (size_t i = 0; i < NONLYFOR; i++)
			if (only_for[i].key == k)
				given[i] = 1;
		if (conn_opt(&co, k, &os))
			continue;
		switch (k) {
		case 'P': ftp_cf.port_opt = (int)os.num; break;
		case O_JSON: ftp_cf.json = 1; break;
		case 'l': ftp_cf.longfmt = 1; break;
		case 'o': ftp_cf.out_file = os.str; break;
		case 'O': ftp_cf.out_dir = os.str; break;
		case 'c': ftp_cf.resume = 1; break;
		case 'n': ftp_cf.no_login = 1; break;
		case O_CREATEDIRS: ftp_cf.create_dirs = 1; break;
		case O_ATOMIC: ftp_cf.atomic = 1; break;
		case O_NOATOMIC: ftp_cf.atomic = -1; break;
		case O_FSYNC: ftp_cf.fsync = 1; break;
		case O_FXP: ftp_cf.fxp = 1, fxp_both |= 1; break;
		case O_NOFXP: ftp_cf.fxp = -1, fxp_both |= 2; break;
		case 'p': ftp_cf.parents = 1; break;
		case 'r': ftp_cf.recursive = 1; break;
		case O_MOVE: ftp_cf.move = 1; break;
		case O_REVERSE: ftp_cf.reverse = 1; break;
		case O_ONLYNEWER: ftp_cf.only_newer = 1; break;
		case O_DELETE: ftp_cf.del = 1; break;
		case O_EXCLUDE:
			ftp_cf.excludes = xrealloc(ftp_cf.excludes, (size_t)(ftp_cf.nexcl + 1) * sizeof *ftp_cf.excludes);
			ftp_cf.excludes[ftp_cf.nexcl++] = (char *)os.str;
			break;
		case O_MAXENTRIES: ftp_cf.max_entries = os.num; break;
		case O_MAXFOLDERS: ftp_cf.max_folders = os.num; break;
		case O_FROMFILE: ftp_cf.from_file = os.str; break;
		case O_PARALLEL: ftp_cf.parallel = (int)os.num; break;
		case O_JOURNAL:
			ftp_cf.journal = os.str;
			ftp_cf.journals = xrealloc(ftp_cf.journals, (size_t)(ftp_cf.njournals + 1) * sizeof *ftp_cf.journals);
			ftp_cf.journals[ftp_cf.njournals++] = os.str;
			break;
		case O_SHARD: ftp_cf.shard_spec = os.str; break;
		case O_RETRY: ftp_cf.retry = (int)os.num; break;
		/* 0: no deadline, as curl's and lftp's 0 (a later --deadline 0 undoes an earlier one) */
		case O_DEADLINE: ftp_cf.deadline_ms = os.secs > 0 ? (os.num > 0 ? os.num : 1) : 0; break;
		case O_PASSIVE: ftp_cf.active = 0; break;
		case O_ACTIVE: ftp_cf.active = 1; ftp_cf.active_addr = os.str; break;
		case O_ASCII: ftp_cf.ascii = 1; break;
		case O_LIMIT: ftp_cf.limit_rate = os.num; break;
		case O_PROGRESS:
			if (progress_parse_mode(os.str, &ftp_cf.progress) < 0)
				opt_usage_error("--progress: '%s' is not bar, plain or none", os.str);
			break;
		}
	}
	/* --deadline counts from here: the walk of mirror and copy -r spends it too, and the
	 * login (a summary's time counts from here as well). */
	ftp_cf.cmd_t0 = ftp_now_ms();
	if (ftp_cf.deadline_ms)
		ftp_cf.deadline_at = ftp_cf.cmd_t0 + ftp_cf.deadline_ms;
	if (ftp_cf.shard_spec) {
		if (!strncmp(ftp_cf.shard_spec, "auto", 4))
			ftp_shard_resolve(ftp_cf.shard_spec);
		else
			parse_shard(ftp_cf.shard_spec);
	}
	cli_args = argv + os.ind;
	cli_nargs = argc - os.ind;
	if (cli_nargs < 1)
		opt_usage_error("a command is needed (ls, get, put, ...)");
	const char *cmd = cli_args[0];
	cli_args++, cli_nargs--;
	const struct ftp_cmd *c = NULL;
	for (size_t i = 0; i < NCMDS && !c; i++)
		if (!strcmp(cmd, cmds[i].name))
			c = &cmds[i];
	/* `ftp HOST [PORT]`, as the classic client: the shell, connected to HOST. So is a
	 * lone target (`ftp ftp://host/logs`, `ftp host:logs/a`), as `ftp shell TARGET`: no
	 * command name has a ':' in it, so a first word that has one is never a command. */
	int lone_target = cli_nargs == 0 && strchr(cmd, ':') &&
			  (!strncasecmp(cmd, "ftp://", 6) || !strncasecmp(cmd, "ftps://", 7) ||
			   (!strstr(cmd, "://") && ftp_is_remote(cmd)));
	if (!c && (lone_target || ((cli_nargs == 0 || (cli_nargs == 1 && strspn(cli_args[0], "0123456789") == strlen(cli_args[0]))) &&
				   !strchr(cmd, '/') && cmd[0] != '-'))) {
		if (cli_nargs == 1) {
			long port = strtol(cli_args[0], NULL, 10);
			if (port < 1 || port > 65535)
				opt_usage_error("'%s' is not a port", cli_args[0]);
			ftp_cf.port_opt = (int)port;
		}
		for (size_t i = 0; i < NCMDS; i++)
			if (cmds[i].fn == cmd_shell)
				c = &cmds[i];
		cli_args--, cli_nargs = 1;
		cli_args[0] = (char *)cmd;
	}
	if (!c)
		opt_usage_error("unknown command '%s'", cmd);
	only_for_check(c, given);
	conn_opts_finish(&co, CONN_PROXY_CURL);
	/* ftp names its servers in each argument: an account is used when asked for. */
	if (co.account)
		conn_account(&co, "ftp ftps", NULL, NULL);
	xfer_opts_from(&ftp_cf.x, &co);
	ftp_cf.user_opt = co.user;
	ftp_cf.co = co;
	for (int i = 0; i < cli_nargs; i++)
		if (nt_has_ctl(cli_args[i]))
			die(NT_EXIT_USAGE, "control character (CR, LF...) in argument %d: refused", i + 1);
	if (ftp_cf.active && ftp_cf.x.tls != XFER_TLS_NEVER)
		opt_usage_error("--active needs --no-tls: libcurl 7.88.1 hangs on active-mode FTPS data "
				"connections (use the default --passive for FTPS)");
	if (ftp_cf.active)
		for (int i = 0; i < cli_nargs; i++)
			if (!strncasecmp(cli_args[i], "ftps://", 7))
				opt_usage_error("--active with ftps:// is not supported (libcurl 7.88.1 hangs on it)");
	if (co.quiet || co.verbose)
		ftp_cf.progress = PROGRESS_NONE;
	if (ftp_cf.progress == PROGRESS_AUTO)
		ftp_cf.progress = isatty(2) ? PROGRESS_BAR : PROGRESS_NONE;
	/* --json is refused where it has no meaning, never ignored (nettool(1), CONVENTIONS). */
	if (ftp_cf.json && !(c->flags & C_JSON))
		opt_usage_error("--json goes with every command but the shell (%s has no results to report as JSON)", cmd);
	if (fxp_both == 3)
		opt_usage_error("--fxp and --no-fxp contradict each other: give one");
	xfer_global_init();
	int rc = c->fn(c->name);
	ftp_sites_free();
	ftp_share_free();
	free(ftp_cf.excludes);
	free(ftp_cf.journals);
	nt_exit(rc);
}
