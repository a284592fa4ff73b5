/* SPDX-License-Identifier: MIT */
/* mail-fetch - POP3 and IMAP into a Maildir, an mbox, standard output or a command,
 * safely (nothing lost, nothing fetched twice) and fast (one connection, pipelined).
 *
 * Man page: man/nettool-mail-fetch.1    Tests: tests/integration/mail_fetch*.sh,
 * tests/unit/check_mail_fetch.c, tests/fuzz/fuzz_mail_fetch_*.c    Bench: bench/mail.sh
 *
 * Files: main.c (command line), session.c (the session and the state of one run, shared
 * by the engines), imap.c and pop3.c (the engines over a libcurl CONNECT_ONLY session),
 * parse.c (bounded response parsers), deliver.c with dest_maildir.c, dest_mbox.c,
 * dest_stdout.c, dest_mda.c and spool.c (the destinations, in durable batches), state.c
 * (what was fetched).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "account.h"
#include "connpol.h"
#include "cred.h"
#include "file.h"
#include "knobs.h"
#include "log.h"
#include "mail_fetch.h"
#include "nt_err.h"
#include "opt.h"
#include "parse.h"
#include "session.h"
#include "stopsig.h"

enum {
	O_MBOX = OPT_LONG,
	O_STDOUT,
	O_MDA,
	O_STATE,
	O_ALL,
	O_SEARCH,
	O_SINCE,
	O_LIMIT,
	O_MAXSIZE,
	O_REBUILD,
	O_MARKSEEN,
	O_DELETE,
	O_JSON,
	O_MAILBOX,
	O_EXEC,
};

static const struct opt opts[] = {
	{'o', "maildir", OPT_DIR, "DIR", "deliver into the Maildir DIR (tmp/ new/ cur/ made when missing)"},
	{O_MBOX, "mbox", OPT_FILE, "FILE", "append to the mbox FILE (mboxrd, fcntl lock and dotlock)"},
	{O_STDOUT, "stdout", OPT_FLAG, NULL, "write the messages to standard output in mbox format"},
	{O_MDA, "mda", OPT_RAW, "CMD", "pipe each message to CMD (sh -c); delivered when it exits 0"},
	{O_STATE, "state", OPT_FILE, "FILE", "the state file (default: next to the destination)"},
	{O_ALL, "all", OPT_FLAG, NULL, "fetch every message, also those fetched before"},
	{O_SEARCH, "search", OPT_RAW, "KEYS", "IMAP: only messages matching these SEARCH keys"},
	{O_SINCE, "since", OPT_STR, "DATE", "IMAP: only messages since DATE (YYYY-MM-DD)"},
	{O_LIMIT, "limit", OPT_UINT, "N", "fetch at most N messages", 1, 0},
	{O_MAXSIZE, "max-size", OPT_SIZE, "BYTES", "skip (and report) messages larger than BYTES", 1, 0},
	{O_REBUILD, "rebuild-state", OPT_FLAG, NULL, "mark everything on the server as fetched, download nothing"},
	{O_MARKSEEN, "mark-seen", OPT_FLAG, NULL, "IMAP: flag fetched messages \\Seen"},
	{O_DELETE, "delete", OPT_FLAG, NULL, "delete fetched messages on the server once delivered and synced"},
	{O_JSON, "json", OPT_FLAG, NULL, "list, folders: one JSON object per line"},
	{O_MAILBOX, "mailbox", OPT_STR, "NAME", "IMAP mailbox (instead of the URL's; repeatable for watch)"},
	{O_EXEC, "exec", OPT_RAW, "CMD", "watch: run CMD (sh -c) after each delivered message"},
	CONN_ROWS_IP,
	CONN_ROWS_VQ("trace the protocol on stderr (passwords masked)", "no progress meter and no summary"),
	CONN_ROW_TIMEOUT("network timeout (default 60)"),
	CONN_ROWS_TLS,
	CONN_ROWS_AUTH("user name (or user@ in the URL)"),
	CONN_ROWS_OAUTH2,
	CONN_ROWS_PROXY,
	{0},
};

static const struct opt_spec spec = {
	"[fetch|list|folders|watch] [OPTIONS] URL",
	opts,
	"Commands:\n"
	"  fetch     fetch new messages into the destination (default)\n"
	"  list      one line per message: UID, size, date, from, subject\n"
	"  folders   the IMAP mailboxes (LIST)\n"
	"  watch     IMAP IDLE: deliver new mail as it arrives, until SIGINT or SIGTERM\n"
	"URL: imap://[user@]host[:port]/MAILBOX (default INBOX), imaps://, pop3://[user@]host[:port], pop3s://;\n"
	"     none with --account NAME (the account's url)\n"
	"Password: --password-file or --password-cmd, the account, ~/.netrc, NETTOOL_PASSWORD or a prompt.\n"
	"OAuth2 (Gmail, Microsoft 365): --oauth2-token-cmd CMD or --oauth2-token-file FILE, with a user.\n"
	"Proxy: --proxy, else imap_proxy (imaps_, pop3_, pop3s_proxy) or ALL_PROXY; a CONNECT tunnel.\n",
	"fetch list folders watch",
};

static struct mf *cur; /* for the exit-time cleanup of an unfinished batch */

static void at_exit(void)
{
	if (cur && cur->have_dest) {
		mf_dest_close(&cur->d);
		cur->have_dest = 0;
	}
}

/* SIGINT, SIGTERM: the stop that ends a watch (core/stopsig.c): each mailbox's process
 * ends its IDLE and logs out, the exit status is theirs (0); a second signal ends it at
 * once, but never between a delivery and the state that records it (mf_dest_commit's
 * stopsig_hold). Several mailboxes: one process each, the stop and a second signal passed
 * on to them. */
static int watch_all(struct mf *m, char **boxes, int nboxes)
{
	stopsig_arm_wait(); /* the waits (IDLE's poll, waitpid below) see the stop at once */
	if (nboxes == 1) {
		m->mailbox = boxes[0];
		imap_watch(m);
		stopsig_release();
		return m->rc;
	}
	for (int i = 0; i < nboxes; i++) {
		pid_t p = stopsig_fork(); /* a second signal here passes on to them as a second one */
		if (p < 0)
			die(NT_EXIT_IO, "fork: %s", strerror(errno));
		if (p == 0) {
			m->mailbox = boxes[i];
			imap_watch(m);
			at_exit();
			nt_exit(m->rc);
		}
	}
	int rc = 0, left = nboxes, told = 0;
	while (left) {
		if (stopsig_got() && !told) { /* (looked at before each wait too: a signal between two) */
			told = 1;
			stopsig_forward();
		}
		int st;
		pid_t p = stopsig_reap(&st);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		left--;
		int c = WIFEXITED(st) ? WEXITSTATUS(st) : NT_EXIT_FAIL;
		if (c > rc)
			rc = c;
	}
	stopsig_release();
	return rc;
}

int mail_fetch_main(int argc, char **argv)
{
	struct mf M = {0}; /* lives until nt_exit: every exit (die included) happens inside this call */
	struct mf *m = &M;
	struct opt_state os;
	const char *user = NULL, *since = NULL;
	int ndest = 0;
	char **boxes = NULL;
	int nboxes = 0;
	m->timeout_ms = 60000;
	m->batch_msgs = MF_BATCH_MSGS;
	const char *knob = nt_test_knob("NETTOOL_MAIL_BATCH");
	if (knob)
		m->batch_msgs = (size_t)strtoul(knob, NULL, 10);
	if (!m->batch_msgs)
		m->batch_msgs = MF_BATCH_MSGS;
	struct conn_opts co = {.timeout_ms = 60000};
	opt_init(&os, &spec, argc, argv);
	for (int k; (k = opt_next(&os)) != -1;) {
		if (conn_opt(&co, k, &os))
			continue;
		switch (k) {
		case 'o': m->kind = DEST_MAILDIR, m->dest_path = os.str, ndest++; break;
		case O_MBOX: m->kind = DEST_MBOX, m->dest_path = os.str, ndest++; break;
		case O_STDOUT: m->kind = DEST_STDOUT, ndest++; break;
		case O_MDA: m->kind = DEST_MDA, m->mda = os.str, ndest++; break;
		case O_STATE: m->state_path = os.str; break;
		case O_ALL: m->all = 1; break;
		case O_SEARCH:
			nt_check_line_arg("--search", os.str);
			m->search = os.str;
			break;
		case O_SINCE: since = os.str; break;
		case O_LIMIT: m->limit = os.num; break;
		case O_MAXSIZE: m->max_size = os.num; break;
		case O_REBUILD: m->rebuild = 1; break;
		case O_MARKSEEN: m->mark_seen = 1; break;
		case O_DELETE: m->del = 1; break;
		case O_JSON: m->json = 1; break;
		case O_MAILBOX:
			boxes = xrealloc(boxes, (size_t)(nboxes + 1) * sizeof *boxes);
			boxes[nboxes++] = (char *)os.str;
			break;
		case O_EXEC: m->exec = os.str; break;
		}
	}
	conn_opts_finish(&co, CONN_PROXY_CURL);
	char **args = argv + os.ind;
	int nargs = argc - os.ind;
	m->cmd = CMD_FETCH;
	if (nargs > 0 && !url_is(args[0])) {
		if (!strcmp(args[0], "fetch"))
			m->cmd = CMD_FETCH;
		else if (!strcmp(args[0], "list"))
			m->cmd = CMD_LIST;
		else if (!strcmp(args[0], "folders"))
			m->cmd = CMD_FOLDERS;
		else if (!strcmp(args[0], "watch"))
			m->cmd = CMD_WATCH;
		else
			opt_usage_error("unknown command '%s' (fetch, list, folders, watch)", args[0]);
		args++, nargs--;
	}
	if (nargs > 1)
		opt_usage_error("one URL only");
	char err[ADDR_ERRLEN];
	if (nargs && url_parse(args[0], &m->url, err) < 0)
		opt_usage_error("%s", err);
	/* The account fills what the command line left unset, the URL included. */
	const char *cli_user = co.user;
	const struct account *acc = conn_account(&co, "imap imaps pop3 pop3s", nargs ? m->url.host : NULL, NULL);
	if (!nargs && !(acc && acc->v[ACC_URL]))
		opt_usage_error("a URL is needed (imap://, imaps://, pop3://, pop3s://), or --account NAME");
	if (!nargs && url_parse(acc->v[ACC_URL], &m->url, err) < 0)
		opt_usage_error("%s", err);
	xfer_opts_from(&m->x, &co);
	m->timeout_ms = co.timeout_ms;
	user = co.user;
	if (!cli_user && m->url.has_user)
		user = m->url.user; /* the URL's user@ is the command line's */
	const char *sc = m->url.scheme;
	if (!strcmp(sc, "imap") || !strcmp(sc, "imaps"))
		m->imap = 1;
	else if (strcmp(sc, "pop3") && strcmp(sc, "pop3s"))
		opt_usage_error("unsupported URL scheme '%s' (imap, imaps, pop3, pop3s)", sc);
	if (m->url.has_user && user && strcmp(user, m->url.user))
		opt_usage_error("-u %s and the URL's user %s differ", user, m->url.user);
	if (!user && m->url.has_user)
		user = m->url.user;
	char *netrc_user = NULL;
	if (!user)
		user = netrc_user = cred_netrc_login(m->url.host);
	if (!user)
		opt_usage_error("a user name is needed (-u USER, USER@ in the URL, an account's user or a "
				"~/.netrc login)");
	if (m->imap) {
		m->mailbox = m->url.path[0] ? m->url.path : "INBOX";
		if (nboxes > 1 && m->cmd != CMD_WATCH)
			opt_usage_error("--mailbox is repeatable only for watch");
		if (nboxes == 1)
			m->mailbox = boxes[0];
	} else {
		if (m->url.path[0])
			opt_usage_error("a pop3 URL has no mailbox path");
		if (nboxes || m->search || since || m->mark_seen)
			opt_usage_error("--mailbox, --search, --since and --mark-seen need IMAP");
	}
	if (since && imap_date(since, m->since, sizeof m->since) < 0)
		opt_usage_error("--since: '%s' is not a date (YYYY-MM-DD)", since);
	if (ndest > 1)
		opt_usage_error("choose one destination: -o DIR, --mbox FILE, --stdout or --mda CMD");
	if ((m->cmd == CMD_FETCH || m->cmd == CMD_WATCH) && !ndest)
		opt_usage_error("a destination is needed: -o DIR, --mbox FILE, --stdout or --mda CMD");
	if (m->cmd != CMD_WATCH && m->exec)
		opt_usage_error("--exec is for watch");
	if (m->cmd == CMD_WATCH && !m->imap)
		opt_usage_error("watch needs IMAP (IDLE)");
	if (m->cmd == CMD_WATCH && nboxes > 1 && m->state_path)
		opt_usage_error("--state names one file: not with several --mailbox");
	if (m->rebuild && (m->all || m->del || m->mark_seen))
		opt_usage_error("--rebuild-state downloads nothing: not with --all, --delete or --mark-seen");
	if ((m->cmd == CMD_LIST || m->cmd == CMD_FOLDERS) && (m->del || m->mark_seen || m->rebuild || m->all))
		opt_usage_error("list and folders change nothing: no --delete, --mark-seen, --all, --rebuild-state");
	/* Nothing is deleted before it is durable here: standard output can be synced only
	 * when it is a regular file. */
	struct stat out;
	if (m->kind == DEST_STDOUT && m->del && (fstat(1, &out) < 0 || !S_ISREG(out.st_mode)))
		opt_usage_error("--stdout --delete needs standard output to be a regular file (it is synced "
				"before anything is deleted); not a pipe or a terminal");
	if (m->json && m->cmd != CMD_LIST && m->cmd != CMD_FOLDERS)
		opt_usage_error("--json is for list and folders");
	if (co.tls == CONN_TLS_NEVER && (!strcmp(sc, "imaps") || !strcmp(sc, "pop3s")))
		opt_usage_error("--no-tls with a %s:// URL", sc);

	/* The name first: an unknown host is 3, before any password or token is asked for. */
	char cerr[512];
	int rr = conn_resolve_first(&co, m->url.scheme, m->url.host, CONN_PROXY_CURL, cerr, sizeof cerr);
	if (rr)
		die(rr, "%s", cerr);
	/* The password (never from the command line), or an OAuth2 token instead. */
	struct cred c = {xstrdup(user), NULL, NULL};
	free(netrc_user);
	if (oauth2_from(&m->oauth, &co)) {
		nt_check_line_arg("the user name", c.user);
		int r = oauth2_get(&m->oauth, cerr, sizeof cerr);
		if (r < 0)
			die(-r, "%s", cerr);
	} else {
		if (co.oauth2_mech)
			opt_usage_error("--oauth2-mech needs --oauth2-token-cmd or --oauth2-token-file (or an account's)");
		int cr = cred_get(&c, m->url.host, &co, 1, cerr, sizeof cerr);
		if (cr < 0)
			die(-cr, "%s", cerr);
		m->x.password = c.password;
	}
	m->x.user = c.user;

	signal(SIGPIPE, SIG_IGN);
	cur = m;
	atexit(at_exit);
	progress_init(&m->prog, log_level == LOG_QUIET || m->cmd == CMD_LIST || m->cmd == CMD_FOLDERS ? PROGRESS_NONE
												      : PROGRESS_AUTO,
		      "fetch");
	int rc;
	if (m->cmd == CMD_WATCH) {
		char *one[1] = {(char *)m->mailbox};
		rc = watch_all(m, nboxes ? boxes : one, nboxes ? nboxes : 1);
	} else {
		if (m->imap)
			imap_run(m);
		else
			pop3_run(m);
		if (m->cmd == CMD_FETCH)
			mf_summary(m);
		rc = m->rc;
	}
	at_exit();
	mf_state_free(&m->st);
	oauth2_free(&m->oauth);
	cred_free(&c);
	free(boxes);
	nt_exit(rc);
}
