/* main.c - mail-send: send mail over SMTP (libcurl), build correct messages, work as
 * sendmail, and keep a Maildir-style queue that --flush sends over one connection.
 *
 * Man page: man/nettool-mail-send.1    Tests: tests/integration/mail_send*.sh,
 * tests/unit/check_mail_send.c    Bench: bench/smtp.sh
 * Message building: msg.c; the SMTP session: smtp.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "commit.h"
#include "cred.h"
#include "file.h"
#include "json.h"
#include "log.h"
#include "msg.h"
#include "nt_err.h"
#include "opt.h"
#include "smtp.h"
#include "xfer.h"

enum {
	O_HEADER = OPT_LONG,
	O_BODY,
	O_DRY,
	O_QUEUE,
	O_FLUSH,
	O_TIMEOUT,
	O_JSON,
	O_TLS,
	O_NOTLS,
	O_CACERT,
	O_INSECURE,
	O_PWFILE,
	O_PLAIN,
};

static const struct opt opts[] = {
	{'S', "server", OPT_STR, "URL", "smtp://host[:port] or smtps://host[:port] (default $SMTP_SERVER, else smtp://localhost:25)"},
	{'f', "from", OPT_STR, "ADDR", "envelope sender and From address (default user@host)"},
	{'r', NULL, OPT_STR, "ADDR", "the same as -f (sendmail)"},
	{'F', "name", OPT_STR, "NAME", "the sender's display name in From"},
	{'s', "subject", OPT_STR, "TEXT", "the Subject (non-ASCII is RFC 2047-encoded)"},
	{'c', "cc", OPT_STR, "ADDR", "a Cc recipient (repeatable)"},
	{'b', "bcc", OPT_STR, "ADDR", "a Bcc recipient: envelope only (repeatable)"},
	{'a', "attach", OPT_FILE, "FILE", "attach FILE, its type from its name (repeatable)"},
	{O_HEADER, "header", OPT_STR, "'NAME: VALUE'", "add a header field (repeatable)"},
	{'t', NULL, OPT_FLAG, NULL, "recipients from the message's To, Cc, Bcc (Resent-* when resent); Bcc removed"},
	{O_BODY, "body-file", OPT_FILE, "FILE", "read the message (or its body) from FILE, not stdin"},
	{O_DRY, "dry-run", OPT_FLAG, NULL, "print the envelope and the exact message; send nothing"},
	{O_QUEUE, "queue", OPT_FILE, "DIR", "store the message in the queue DIR instead of sending it"},
	{O_FLUSH, "flush", OPT_FILE, "DIR", "send every message queued in DIR over one connection"},
	{'i', NULL, OPT_FLAG, NULL, "a line with a single dot does not end the message (sendmail)"},
	{'o', NULL, OPT_RAW, "OPT", "sendmail -oi is -i; other -o options are ignored"},
	{'B', NULL, OPT_RAW, "TYPE", "sendmail's body type: ignored"},
	OPT_ROWS_IP,
	{'v', "verbose", OPT_FLAG, NULL, "trace the SMTP dialogue on stderr (passwords masked)"},
	{'q', "quiet", OPT_FLAG, NULL, "no informational messages"},
	{O_TIMEOUT, "timeout", OPT_SECS, "SEC", "connect and reply timeout (default 60)"},
	{O_JSON, "json", OPT_FLAG, NULL, "one JSON object per recipient on stdout"},
	OPT_ROWS_TLS(O_TLS, O_NOTLS, O_CACERT, O_INSECURE),
	OPT_ROWS_AUTH("authenticate as USER (AUTH PLAIN/LOGIN)", O_PWFILE, O_PLAIN),
	{0},
};

static const struct opt_spec spec = {
	"[OPTIONS] [RECIPIENT...] < MESSAGE\n"
	"       mail-send --flush DIR [OPTIONS]\n"
	"       sendmail [-t] [-i] [-f ADDR] [-F NAME] [-oOPT] [RECIPIENT...] < MESSAGE",
	opts,
	"The message on stdin is kept when it starts with a header block (only Date, Message-ID,\n"
	"From and MIME-Version are added when missing); otherwise it is the body and the header\n"
	"fields come from the options. Exit: 0 all recipients accepted, 1 some refused or deferred,\n"
	"2 bad input (nothing sent), 3 network, 4 TLS or authentication.\n",
	NULL,
};

static struct {
	const char *server;
	const char *from;
	const char *from_name;
	const char *subject;
	struct strv cc, bcc, headers, attach;
	int extract, dry, json, dot_ends, sendmail;
	const char *body_file, *queue, *flush;
	struct xfer_opts xo;
	const char *pwfile;
	const char *user;
} G;

/* The largest queue file a flush reads: a message (at most MSG_MAX) and its envelope. */
#define QFILE_MAX (MSG_MAX + (1u << 20))

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* ---- local input ---- */

/* Append fd's contents to b up to max bytes: 0, -1 (errno) or -2 (more than max). */
static int read_bounded(int fd, struct buf *b, size_t max)
{
	for (;;) {
		char *t = buf_reserve(b, 65536);
		if (!t) {
			errno = ENOMEM;
			return -1;
		}
		ssize_t r = read(fd, t, 65536);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		buf_commit(b, (size_t)r);
		if (buf_pending(b) > max)
			return -2;
	}
}

/* Read fd to the end (bounded) into b, which is initialised; with dot_ends, a line
 * holding a single dot ends it. */
static void read_more(int fd, const char *what, struct buf *b, int dot_ends)
{
	int r = read_bounded(fd, b, MSG_MAX);
	if (r == -1)
		die_sys(NT_EXIT_IO, "reading %s", what);
	if (r == -2)
		die(NT_EXIT_USAGE, "%s is larger than %u MiB: refused", what, MSG_MAX >> 20);
	if (dot_ends) {
		const char *p = buf_head(b);
		size_t n = buf_pending(b), off = 0;
		while (off < n) {
			const char *nl = memchr(p + off, '\n', n - off);
			size_t ll = nl ? (size_t)(nl - (p + off)) + 1 : n - off;
			size_t lb = ll - (nl ? 1 : 0);
			if (lb && p[off + lb - 1] == '\r')
				lb--;
			if (lb == 1 && p[off] == '.') {
				b->len = b->off + off;
				break;
			}
			off += ll;
		}
	}
}

static void read_input(int fd, const char *what, struct buf *b, int dot_ends)
{
	buf_init(b, 0);
	read_more(fd, what, b, dot_ends);
}

static void read_file(const char *path, const char *what, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(NT_EXIT_USAGE, "%s %s: %s", what, path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		die(NT_EXIT_USAGE, "%s %s: is a folder", what, path);
	char *w = xasprintf("%s %s", what, path);
	read_input(fd, w, b, 0);
	free(w);
	close(fd);
}

/* ---- names, dates, random ---- */

static unsigned long long rnd64(void)
{
	unsigned long long v;
	if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		v = ((unsigned long long)tv.tv_sec << 20) ^ (unsigned long long)tv.tv_usec ^ ((unsigned long long)getpid() << 40);
	}
	return v;
}

static void host_name(char *out, size_t n)
{
	if (gethostname(out, n) < 0 || !out[0])
		snprintf(out, n, "localhost");
	out[n - 1] = 0;
	for (char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '-')) {
			snprintf(out, n, "localhost");
			return;
		}
}

static char *default_from(void)
{
	char host[256];
	host_name(host, sizeof host);
	if (!strchr(host, '.')) {
		struct addrinfo hints = {.ai_flags = AI_CANONNAME, .ai_family = AF_UNSPEC}, *ai;
		if (getaddrinfo(host, NULL, &hints, &ai) == 0) {
			if (ai->ai_canonname && strchr(ai->ai_canonname, '.') && strlen(ai->ai_canonname) < sizeof host)
				snprintf(host, sizeof host, "%s", ai->ai_canonname);
			freeaddrinfo(ai);
		}
	}
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw && pw->pw_name ? pw->pw_name : "root";
	return xasprintf("%s@%s", user, host);
}

static time_t now_for_date(void)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	long long v;
	if (e && opt_parse_uint(e, 0, 0, &v) == 0)
		return (time_t)v;
	return time(NULL);
}

/* ---- server URL ---- */

struct server {
	char *url;     /* for libcurl, with the EHLO name as path */
	char host[ADDR_HOSTMAX + 1];
	char user[256];
};

/* The URL as it may be shown: without its userinfo (it may hold a password). */
static char *url_shown(const char *s)
{
	const char *a = strstr(s, "://");
	a = a ? a + 3 : s;
	size_t alen = strcspn(a, "/?#");
	const char *at = NULL;
	for (const char *p = a; p < a + alen; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return xstrdup(s);
	return xasprintf("%.*s%s", (int)(a - s), s, at + 1);
}

static void parse_server(const char *s, struct server *sv)
{
	char err[ADDR_ERRLEN];
	struct url u;
	char *tmp = NULL;
	if (!url_is(s))
		s = tmp = xasprintf("smtp://%s", s);
	char *shown = url_shown(s);
	if (url_parse(s, &u, err) < 0)
		die(NT_EXIT_USAGE, "server '%s': %s", shown, err);
	if (strcmp(u.scheme, "smtp") && strcmp(u.scheme, "smtps"))
		die(NT_EXIT_USAGE, "server '%s': the scheme must be smtp:// or smtps://", shown);
	snprintf(sv->host, sizeof sv->host, "%s", u.host);
	snprintf(sv->user, sizeof sv->user, "%s", u.has_user ? u.user : "");
	char ehlo[256];
	if (u.path[0]) {
		if (strchr(u.path, '/') || nt_has_ctl(u.path) || strchr(u.path, ' '))
			die(NT_EXIT_USAGE, "server '%s': the path (the EHLO name) must be a plain name", shown);
		snprintf(ehlo, sizeof ehlo, "%s", u.path);
	} else {
		host_name(ehlo, sizeof ehlo);
	}
	int v6 = strchr(u.host, ':') != NULL;
	if (u.port)
		sv->url = xasprintf("%s://%s%s%s:%d/%s", u.scheme, v6 ? "[" : "", u.host, v6 ? "]" : "", u.port, ehlo);
	else
		sv->url = xasprintf("%s://%s%s%s/%s", u.scheme, v6 ? "[" : "", u.host, v6 ? "]" : "", ehlo);
	free(shown);
	free(tmp);
}

/* Open the SMTP session with credentials; dies on failure. */
static void open_session(struct smtp_sess *s, struct server *sv, struct cred *c)
{
	char err[512];
	const char *env = getenv("SMTP_SERVER");
	parse_server(G.server ? G.server : env && *env ? env : "smtp://localhost:25", sv);
	memset(c, 0, sizeof *c);
	const char *user = G.user ? G.user : sv->user[0] ? sv->user : NULL;
	if (user) {
		/* A password file that cannot be read is a usage error (exit 2), not an
		 * authentication failure. */
		if (G.pwfile && access(G.pwfile, R_OK) < 0)
			die(NT_EXIT_USAGE, "--password-file %s: %s", G.pwfile, strerror(errno));
		c->user = xstrdup(user);
		if (cred_get(c, sv->host, G.pwfile, 1, err, sizeof err) < 0)
			die(NT_EXIT_TLS, "%s", err);
		G.xo.user = c->user;
		G.xo.password = c->password;
	}
	if (smtp_open(s, sv->url, sv->host, &G.xo, err, sizeof err) < 0)
		die(NT_EXIT_USAGE, "%s", err);
}

/* ---- dispositions ---- */

enum rstat { R_ACCEPTED, R_DEFERRED, R_REFUSED };
static const char *const rstat_name[] = {"accepted", "deferred", "refused"};

static enum rstat of_code(int code)
{
	return code >= 200 && code < 400 ? R_ACCEPTED : code >= 500 ? R_REFUSED : R_DEFERRED;
}

/* Did the server answer with a refusal (as opposed to a network or TLS failure)? */
static int server_decided(const struct smtp_result *r)
{
	if (r->final.code || r->mail.code >= 400 || r->data.code >= 400)
		return 1;
	if (!r->nrcpt)
		return 0;
	for (size_t i = 0; i < r->nrcpt; i++)
		if (r->rcpt[i].code < 400)
			return 0;
	return 1;
}

/* The outcome of recipient i, and the reply that decided it. */
static enum rstat rcpt_status(const struct smtp_result *r, size_t i, const struct smtp_reply **why)
{
	const struct smtp_reply *rc = &r->rcpt[i];
	*why = rc;
	if (r->mail.code >= 400) {
		*why = &r->mail;
		return of_code(r->mail.code);
	}
	if (!rc->code) {
		*why = &r->other;
		return R_DEFERRED;
	}
	if (rc->code >= 400)
		return of_code(rc->code);
	if (r->final.code == 250)
		return R_ACCEPTED;
	if (r->data.code >= 400) {
		*why = &r->data;
		return of_code(r->data.code);
	}
	if (r->final.code) {
		*why = &r->final;
		return of_code(r->final.code);
	}
	*why = &r->other;
	return R_DEFERRED;
}

static void json_rcpt(const char *rcpt, enum rstat st, const struct smtp_reply *why, const char *file)
{
	json_begin(stdout);
	if (file)
		json_kv_str(stdout, "file", file);
	json_kv_str(stdout, "rcpt", rcpt);
	json_kv_str(stdout, "status", rstat_name[st]);
	json_kv_int(stdout, "code", why->code);
	json_kv_str(stdout, "reply", why->code ? why->text : NULL);
	json_end(stdout);
}

/* A failure that is not the server's answer: the exit code and a message. */
static int transfer_error(const struct smtp_result *r, const char *what)
{
	int code = xfer_exit_code(r->rc);
	if (code == NT_EXIT_FAIL || code == NT_EXIT_OK)
		code = NT_EXIT_NET;
	if (r->other.code >= 400)
		nt_warn("%s: %s (server: %s)", what, xfer_strerror(r->rc, r->errbuf), r->other.text);
	else
		nt_warn("%s: %s", what, xfer_strerror(r->rc, r->errbuf));
	return code;
}

/* 530 to MAIL: the server wants authentication (or STARTTLS) first. That is our
 * configuration, not the message's fault: exit 4, and a flush keeps the queue as it is. */
static int auth_wanted(const struct smtp_result *r)
{
	if (r->mail.code != 530)
		return 0;
	nt_warn("the server wants authentication first (-u USER%s): %s", G.xo.tls == XFER_TLS_NEVER ? ", without --no-tls" : "",
	     r->mail.text);
	return 1;
}

/* ---- sending one message ---- */

static int send_one(const char *from, const struct strv *rcpts, const char *msg, size_t len)
{
	struct smtp_sess s;
	struct server sv;
	struct cred c;
	open_session(&s, &sv, &c);
	struct smtp_result r;
	smtp_send(&s, from, rcpts, msg, len, &r);
	int rc = 0;
	if (r.rc != CURLE_OK && !server_decided(&r) && r.final.code != 250) {
		rc = transfer_error(&r, sv.host);
	} else if (auth_wanted(&r)) {
		rc = NT_EXIT_TLS;
	} else {
		for (size_t i = 0; i < rcpts->n; i++) {
			const struct smtp_reply *why;
			enum rstat st = rcpt_status(&r, i, &why);
			if (st != R_ACCEPTED) {
				rc = NT_EXIT_FAIL;
				if (!G.json)
					nt_warn("%s %s: %s", rcpts->v[i], rstat_name[st], why->code ? why->text : "no reply");
			}
			if (G.json)
				json_rcpt(rcpts->v[i], st, why, NULL);
		}
		if (!rc)
			log_trace("sent to %zu recipient%s", rcpts->n, rcpts->n == 1 ? "" : "s");
	}
	smtp_result_free(&r);
	smtp_close(&s);
	cred_free(&c);
	free(sv.url);
	return rc;
}

/* ---- the queue ---- */

static void queue_dirs(const char *dir)
{
	static const char *const sub[] = {"tmp", "new", "cur", "failed"};
	for (size_t i = 0; i < 4; i++) {
		char *p = xasprintf("%s/%s", dir, sub[i]);
		if (file_mkdirs(p, 0700) < 0)
			die_sys(NT_EXIT_IO, "%s", p);
		free(p);
	}
}

static char *queue_name(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	char host[256];
	host_name(host, sizeof host);
	return xasprintf("%lld.M%06ldP%ldR%08llx.%s", (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
			 rnd64() & 0xffffffffULL, host);
}

/* The flush's (or --queue's) committer: every sync of the queue goes through it. */
static struct commit *QC;

static struct commit *queue_commit(void)
{
	if (!QC) {
		char err[600];
		/* Eager: the mark of a sent message is synced at once, while the next one goes out. */
		QC = commit_start(&(struct commit_conf){.journal_fd = -1, .flags = COMMIT_EAGER}, err, sizeof err);
		if (!QC)
			die(NT_EXIT_IO, "%s", err);
	}
	return QC;
}

/* Everything queued to the committer durable: 0, or -1 with err. */
static int queue_durable(char *err, size_t errlen)
{
	return commit_wait(queue_commit(), err, errlen);
}

static void queue_commit_end(void)
{
	char err[600];
	if (QC && commit_finish(QC, err, sizeof err) < 0)
		nt_warn("--flush: %s", err);
	QC = NULL;
}

/* Write data whole into DIR/SUB/NAME: created in tmp/ under a name of its own, synced,
 * renamed into place, the folder synced (core/commit); 0, or -1 with err. */
static int queue_write(const char *dir, const char *sub, const char *name, const char *data, size_t len, char *err,
		       size_t errlen)
{
	char *tmp = xasprintf("%s/tmp/%s.%016llx", dir, name, rnd64());
	char *final = xasprintf("%s/%s/%s", dir, sub, name);
	char *copy = xmalloc(len ? len : 1);
	memcpy(copy, data, len);
	commit_write(queue_commit(), tmp, final, copy, len, NULL); /* a failure is told by the wait */
	return queue_durable(err, errlen);
}

static int do_queue(const char *from, const struct strv *rcpts, const char *msg, size_t len)
{
	queue_dirs(G.queue);
	struct buf b;
	buf_init(&b, 0);
	msg_put_envelope(&b, from, rcpts);
	if (buf_append(&b, msg, len) < 0)
		die(NT_EXIT_IO, "out of memory");
	char *name = queue_name();
	char err[512];
	if (queue_write(G.queue, "new", name, buf_head(&b), buf_pending(&b), err, sizeof err) < 0)
		die(NT_EXIT_IO, "--queue: %s", err);
	queue_commit_end();
	log_trace("queued %s/new/%s", G.queue, name);
	free(name);
	buf_free(&b);
	return 0;
}

static int name_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Durable "sent" marks without a stall per message: after a sent file's rename from
 * new/ into cur/, the committer (core/commit, eager) syncs new/ while the next message
 * goes out, and the next message's last bytes wait for that sync (smtp.c's before_end
 * hook). So, as with a sync after each rename, at most one message at a time is accepted
 * by the server and not yet durably out of new/; only the sync overlaps the network.
 * Marks are never grouped across messages: each waits for the one before. The sent files
 * in cur/ are removed while the flush waits for a mark (a removal costs a few hundred
 * microseconds on this kind of file system, as much as sending a message), and the
 * rest when the flush ends. */
static struct strv sent_files;

static void mark_sent(const char *dir, char *sent)
{
	commit_dir(queue_commit(), xasprintf("%s/new", dir), NULL);
	strv_push(&sent_files, sent);
	free(sent);
}

static void remove_sent(void)
{
	for (size_t i = 0; i < sent_files.n; i++)
		unlink(sent_files.v[i]); /* a failure is seen by purge_sent() at the end */
	strv_free(&sent_files);
}

/* Wait until every mark so far is durable: 0, or -1 when a sync failed. */
static int marks_durable(void *arg)
{
	char err[600];
	(void)arg;
	remove_sent();
	return queue_durable(err, sizeof err);
}

struct flush_count {
	size_t sent, deferred, failed, done; /* done: files gone from new/ */
};

/* rename() that never replaces: 0, or -1 with errno (EEXIST when to exists). */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: link() never replaces either (a folder
	 * cannot be linked: checked, then renamed; only one flush runs at a time). */
	if (link(from, to) == 0)
		return unlink(from);
	if (errno != EPERM)
		return -1;
	struct stat st;
	if (lstat(to, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

/* Write data whole into DIR/tmp under a new name (synced); returns that path, or NULL. */
static char *stage(const char *dir, const char *data, size_t len, char *err, size_t errlen)
{
	char *tname = xasprintf("failed.%ld.%016llx", (long)getpid(), rnd64());
	char *path = NULL;
	if (queue_write(dir, "tmp", tname, data, len, err, errlen) == 0)
		path = xasprintf("%s/tmp/%s", dir, tname);
	free(tname);
	return path;
}

/* Put a message (msg_src, moved) and its reply record (reply_src, moved) into DIR/failed
 * as NAME and NAME.reply, or NAME.2 and NAME.2.reply, ...: an earlier failure of the same
 * queue file (a recipient deferred first, refused later) is never overwritten. */
static int place_failed(const char *dir, const char *name, const char *msg_src, const char *reply_src, char *err,
			size_t errlen)
{
	char *fdir = xasprintf("%s/failed", dir);
	int r = -1;
	for (unsigned k = 1; k < 100000 && r < 0; k++) {
		char *base = k == 1 ? xasprintf("%s/%s", fdir, name) : xasprintf("%s/%s.%u", fdir, name, k);
		char *rpath = xasprintf("%s.reply", base);
		struct stat st;
		int e = 0;
		if (lstat(base, &st) == 0 || lstat(rpath, &st) == 0) {
			e = EEXIST;
		} else if (rename_noreplace(reply_src, rpath) < 0) {
			e = errno;
		} else if (rename_noreplace(msg_src, base) < 0) {
			e = errno;
			if (rename(rpath, reply_src) < 0) /* put the record back for the next try */
				e = errno;
		} else {
			r = 0;
		}
		if (r < 0 && e != EEXIST) {
			snprintf(err, errlen, "%s: %s", base, strerror(e));
			free(base);
			free(rpath);
			break;
		}
		free(base);
		free(rpath);
	}
	if (r == 0) {
		commit_dir(queue_commit(), fdir, NULL);
		r = queue_durable(err, errlen);
	} else {
		free(fdir);
	}
	return r;
}

/* Move a message (or the part of its envelope that failed) to DIR/failed, with the
 * server's replies in NAME.reply. */
static int queue_fail(const char *dir, const char *name, const char *from, const struct strv *rcpts, const char *msg,
		      size_t len, const char *replies)
{
	char err[512];
	struct buf b;
	buf_init(&b, 0);
	if (rcpts)
		msg_put_envelope(&b, from, rcpts);
	if (buf_append(&b, msg, len) < 0)
		die(NT_EXIT_IO, "out of memory");
	int r = -1;
	char *rs = stage(dir, replies, strlen(replies), err, sizeof err);
	char *ms = rs ? stage(dir, buf_head(&b), buf_pending(&b), err, sizeof err) : NULL;
	if (ms)
		r = place_failed(dir, name, ms, rs, err, sizeof err);
	if (r < 0) {
		nt_warn("--flush: %s", err);
		if (rs)
			unlink(rs);
		if (ms)
			unlink(ms);
	}
	free(rs);
	free(ms);
	buf_free(&b);
	return r;
}

/* Move a queue file that cannot be sent to DIR/failed as it is, with the reason in
 * NAME.reply. 0 or -1 (warned). */
static int queue_fail_file(const char *dir, const char *name, const char *path, const char *why)
{
	char err[512];
	int r = -1;
	char *rs = stage(dir, why, strlen(why), err, sizeof err);
	if (rs)
		r = place_failed(dir, name, path, rs, err, sizeof err);
	if (r < 0) {
		nt_warn("--flush: %s", err);
		if (rs)
			unlink(rs);
	}
	free(rs);
	return r;
}

/* Send one queued file; 0 when the flush goes on, else the exit code that stops it. */
static int flush_one(struct smtp_sess *s, const char *dir, const char *name, struct flush_count *fc, int *fail)
{
	char *path = xasprintf("%s/new/%s", dir, name);
	static struct buf b; /* reused from file to file */
	/* O_NONBLOCK: a FIFO must not hang the flush. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT) {
		free(path);
		return 0;
	}
	if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOMEM)) {
		nt_warn_sys("--flush: %s", path); /* ours, not the file's: stop, keep it queued */
		free(path);
		return NT_EXIT_IO;
	}
	/* A file that cannot be sent (unreadable, not a regular file, too large) goes to
	 * failed/ with the reason, and the flush goes on: it must not block the queue. */
	char *reason = NULL;
	struct stat fst;
	if (fd < 0)
		reason = xasprintf("cannot open the queue file: %s\n", strerror(errno));
	else if (fstat(fd, &fst) < 0)
		reason = xasprintf("cannot stat the queue file: %s\n", strerror(errno));
	else if (!S_ISREG(fst.st_mode))
		reason = xasprintf("not a regular file\n");
	else if (fst.st_size > (off_t)QFILE_MAX)
		reason = xasprintf("queue file larger than %u MiB\n", QFILE_MAX >> 20);
	if (!reason) {
		buf_reset(&b);
		int rr = read_bounded(fd, &b, QFILE_MAX);
		if (rr == -1)
			reason = xasprintf("cannot read the queue file: %s\n", strerror(errno));
		else if (rr == -2)
			reason = xasprintf("queue file larger than %u MiB\n", QFILE_MAX >> 20);
	}
	if (fd >= 0)
		close(fd);
	if (reason) {
		nt_warn("--flush: %s: %.*s: moved to failed/", path, (int)strlen(reason) - 1, reason);
		if (queue_fail_file(dir, name, path, reason) == 0)
			fc->done++;
		fc->failed++;
		*fail = 1;
		free(reason);
		free(path);
		return 0;
	}
	const char *p = buf_head(&b);
	size_t n = buf_pending(&b), off;
	char *from = NULL, err[300];
	struct strv rcpts = {0};
	int stop = 0;
	if (msg_parse_envelope(p, n, &from, &rcpts, &off, err, sizeof err) < 0) {
		char *why = xasprintf("malformed queue file: %s\n", err);
		nt_warn("--flush: %s: %s", path, err);
		if (queue_fail(dir, name, NULL, NULL, p, n, why) == 0 && unlink(path) == 0)
			fc->done++;
		free(why);
		fc->failed++;
		*fail = 1;
		goto out;
	}
	struct smtp_result r;
	smtp_send(s, from, &rcpts, p + off, n - off, &r);
	if (queue_durable(err, sizeof err) < 0) { /* the previous message's mark is not durable: stop */
		nt_warn("--flush: %s", err);
		stop = NT_EXIT_IO;
		smtp_result_free(&r);
		goto out;
	}
	if (r.rc != CURLE_OK && !server_decided(&r) && r.final.code != 250) {
		stop = transfer_error(&r, name);
		smtp_result_free(&r);
		goto out;
	}
	if (auth_wanted(&r)) {
		stop = NT_EXIT_TLS;
		smtp_result_free(&r);
		goto out;
	}
	struct strv keep = {0}, bad = {0};
	struct buf replies;
	buf_init(&replies, 0);
	size_t ok = 0;
	for (size_t i = 0; i < rcpts.n; i++) {
		const struct smtp_reply *why;
		enum rstat st = rcpt_status(&r, i, &why);
		if (G.json)
			json_rcpt(rcpts.v[i], st, why, name);
		if (st == R_ACCEPTED)
			ok++;
		else if (st == R_DEFERRED)
			strv_push(&keep, rcpts.v[i]);
		else {
			strv_push(&bad, rcpts.v[i]);
			buf_appendf(&replies, "%s: %s\n", rcpts.v[i], why->code ? why->text : "no reply");
		}
		if (st != R_ACCEPTED && !G.json)
			nt_warn("%s: %s %s: %s", name, rcpts.v[i], rstat_name[st], why->code ? why->text : "no reply");
	}
	/* Failed recipients first (so a crash here loses nothing), then the queue file. */
	if (bad.n && queue_fail(dir, name, from, &bad, p + off, n - off, buf_head(&replies)) < 0) {
		stop = NT_EXIT_IO;
	} else if (keep.n == rcpts.n) {
		/* all deferred: the file stays as it is */
	} else if (keep.n) {
		struct buf nb;
		buf_init(&nb, 0);
		msg_put_envelope(&nb, from, &keep);
		buf_append(&nb, p + off, n - off);
		if (queue_write(dir, "new", name, buf_head(&nb), buf_pending(&nb), err, sizeof err) < 0) {
			nt_warn("--flush: %s", err);
			stop = NT_EXIT_IO;
		}
		buf_free(&nb);
	} else {
		/* Sent: out of new/ at once (a rename is atomic), and new/ synced before the
		 * server can accept the next message (mark_sent, marks_durable), so that a
		 * power loss cannot bring an accepted message back into new/ to be sent
		 * again; cur/ is emptied when the flush ends, or by the next one if this
		 * process dies first. */
		char *sent = xasprintf("%s/cur/%s", dir, name);
		if (rename(path, sent) < 0 && errno != ENOENT) {
			nt_warn_sys("--flush: %s", path);
			stop = NT_EXIT_IO;
			free(sent);
		} else {
			fc->done++;
			mark_sent(dir, sent);
		}
	}
	if (ok)
		fc->sent++;
	if (keep.n)
		fc->deferred++;
	if (bad.n)
		fc->failed++;
	if (keep.n || bad.n)
		*fail = 1;
	strv_free(&keep);
	strv_free(&bad);
	buf_free(&replies);
	smtp_result_free(&r);
out:
	free(from);
	strv_free(&rcpts);
	free(path);
	return stop;
}

/* Delete what an earlier flush sent (DIR/cur). */
static void purge_sent(const char *dir)
{
	char *cur = xasprintf("%s/cur", dir);
	struct dirent **ents;
	int n = scandir(cur, &ents, name_filter, NULL);
	for (int i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", cur, ents[i]->d_name);
		if (unlink(p) < 0 && errno != ENOENT)
			nt_warn_sys("--flush: %s", p);
		free(p);
		free(ents[i]);
	}
	if (n > 0) {
		free(ents);
		commit_dir(queue_commit(), cur, NULL); /* tidying only: not waited for */
	} else {
		free(cur);
	}
}

static int do_flush(const char *dir)
{
	queue_dirs(dir);
	char *lockp = xasprintf("%s/.flush.lock", dir);
	int lk = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lk < 0)
		die_sys(NT_EXIT_IO, "--flush: %s", lockp);
	if (flock(lk, LOCK_EX | LOCK_NB) < 0)
		die(NT_EXIT_FAIL, "--flush: another flush of %s is running", dir);
	purge_sent(dir);
	char *newdir = xasprintf("%s/new", dir);
	struct dirent **ents;
	int n = scandir(newdir, &ents, name_filter, alphasort);
	if (n < 0)
		die_sys(NT_EXIT_IO, "--flush: %s", newdir);
	struct flush_count fc = {0};
	int rc = 0, fail = 0;
	if (n > 0) {
		struct smtp_sess s;
		struct server sv;
		struct cred c;
		open_session(&s, &sv, &c);
		s.before_end = marks_durable;
		for (int i = 0; i < n && !rc; i++)
			rc = flush_one(&s, dir, ents[i]->d_name, &fc, &fail);
		char err[600];
		if (queue_durable(err, sizeof err) < 0 && !rc) {
			nt_warn("--flush: %s", err);
			rc = NT_EXIT_IO;
		}
		log_trace("%ld connection%s", s.connects, s.connects == 1 ? "" : "s");
		smtp_close(&s);
		cred_free(&c);
		free(sv.url);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	remove_sent();
	purge_sent(dir);
	queue_commit_end();
	if (n > 0)
		log_info("flush %s: %zu sent, %zu deferred, %zu failed, %zu left in the queue", dir, fc.sent, fc.deferred,
			 fc.failed, (size_t)n - fc.done);
	free(newdir);
	free(lockp);
	close(lk);
	return rc ? rc : fail ? NT_EXIT_FAIL : 0;
}

/* ---- main ---- */

int mail_send_main(int argc, char **argv)
{
	memset(&G, 0, sizeof G);
	G.sendmail = !strcmp(base_name(argv[0]), "sendmail");
	G.xo.timeout_ms = 60000;
	int tls = 0, notls = 0;
	struct opt_state os;
	opt_init(&os, &spec, argc, argv);
	for (int k; (k = opt_next(&os)) != -1;) {
		switch (k) {
		case 'S': G.server = os.str; break;
		case 'f': case 'r': G.from = os.str; break;
		case 'F': G.from_name = os.str; break;
		case 's': G.subject = os.str; break;
		case 'c': strv_push(&G.cc, os.str); break;
		case 'b':
			/* sendmail's -bm (deliver as usual) is the default; other -bX modes
			 * (-bs, -bd, -bp, ...) are not supported. An address has an '@'. */
			if (G.sendmail && !strchr(os.str, '@') && strlen(os.str) == 1) {
				if (strcmp(os.str, "m"))
					opt_usage_error("sendmail -b%s is not supported (only -bm)", os.str);
				break;
			}
			strv_push(&G.bcc, os.str);
			break;
		case 'a': strv_push(&G.attach, os.str); break;
		case O_HEADER: strv_push(&G.headers, os.str); break;
		case 't': G.extract = 1; break;
		case O_BODY: G.body_file = os.str; break;
		case O_DRY: G.dry = 1; break;
		case O_QUEUE: G.queue = os.str; break;
		case O_FLUSH: G.flush = os.str; break;
		case 'i': G.dot_ends = -1; break;
		case 'o':
			if (!strcmp(os.str, "i"))
				G.dot_ends = -1;
			break;
		case 'B': break;
		case '4': G.xo.ipv = 4; break;
		case '6': G.xo.ipv = 6; break;
		case 'v': log_level = LOG_VERBOSE; G.xo.verbose = 1; break;
		case 'q': log_level = LOG_QUIET; break;
		case O_TIMEOUT: G.xo.timeout_ms = (long)os.num; break;
		case O_JSON: G.json = 1; break;
		case O_TLS: tls = 1; break;
		case O_NOTLS: notls = 1; break;
		case O_CACERT: G.xo.cacert = os.str; break;
		case O_INSECURE: G.xo.insecure = 1; break;
		case 'u': G.user = os.str; break;
		case O_PWFILE: G.pwfile = os.str; break;
		case O_PLAIN: G.xo.allow_plaintext_auth = 1; break;
		}
	}
	char **args = argv + os.ind;
	int nargs = argc - os.ind;
	if (tls && notls)
		opt_usage_error("--tls and --no-tls conflict");
	G.xo.tls = tls ? XFER_TLS_REQUIRE : notls ? XFER_TLS_NEVER : XFER_TLS_TRY;
	if (G.xo.insecure)
		nt_warn("--insecure: the server's certificate is not verified");
	if (G.flush) {
		if (nargs || G.queue || G.dry || G.extract || G.body_file || G.subject || G.cc.n || G.bcc.n || G.attach.n ||
		    G.headers.n)
			opt_usage_error("--flush DIR sends what is queued: it takes no message options or recipients");
		return do_flush(G.flush);
	}
	if (G.queue && G.dry)
		opt_usage_error("--queue and --dry-run conflict");

	/* Everything local is read and checked before any connection. */
	struct msg_in in;
	memset(&in, 0, sizeof in);
	char err[512];
	for (int i = 0; i < nargs; i++) {
		nt_check_line_arg("a recipient", args[i]);
		strv_push(&in.to, args[i]);
	}
	struct buf input;
	if (G.body_file)
		read_file(G.body_file, "--body-file", &input);
	else
		read_input(0, "stdin", &input, G.sendmail && G.dot_ends == 0);
	struct attach *att = xcalloc(G.attach.n ? G.attach.n : 1, sizeof *att);
	struct buf *attb = xcalloc(G.attach.n ? G.attach.n : 1, sizeof *attb);
	for (size_t i = 0; i < G.attach.n; i++) {
		read_file(G.attach.v[i], "attachment", &attb[i]);
		att[i].name = base_name(G.attach.v[i]);
		att[i].data = (const unsigned char *)buf_head(&attb[i]);
		att[i].len = buf_pending(&attb[i]);
	}
	char *from = G.from ? xstrdup(G.from) : default_from();
	if (msg_check_addr(from, err, sizeof err) < 0)
		die(NT_EXIT_USAGE, "%s %s", G.from ? "-f:" : "sender:", err);
	in.from = from;
	in.from_name = G.from_name;
	in.subject = G.subject;
	in.cc = G.cc;
	in.bcc = G.bcc;
	in.headers = G.headers;
	in.att = att;
	in.natt = G.attach.n;
	in.extract = G.extract;
	in.keep_block = 1;
	time_t t = now_for_date();
	struct tm tm;
	localtime_r(&t, &tm);
	char date[64], stamp[32];
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
	char *msgid = xasprintf("<%s.%016llx@%s>", stamp, rnd64(), strrchr(from, '@') + 1);
	char *boundary = xasprintf("=_nettool_%016llx%016llx", rnd64(), rnd64());
	in.date = date;
	in.msgid = msgid;
	in.boundary = boundary;

	struct buf msg;
	struct strv rcpts = {0};
	buf_init(&msg, 0);
	if (msg_build(&in, buf_head(&input), buf_pending(&input), &msg, &rcpts, err, sizeof err) < 0)
		die(NT_EXIT_USAGE, "%s; nothing sent", err);
	/* Attachments grow by a third in base64: a message over the limit would be refused
	 * by every flush, so it is refused here, before it is queued or sent. */
	if (buf_pending(&msg) > MSG_MAX)
		die(NT_EXIT_USAGE, "the message would be %zu MiB, more than %u MiB: refused; nothing sent",
		    buf_pending(&msg) >> 20, MSG_MAX >> 20);

	int rc;
	if (G.dry) {
		printf("MAIL FROM:<%s>\r\n", from);
		for (size_t i = 0; i < rcpts.n; i++)
			printf("RCPT TO:<%s>\r\n", rcpts.v[i]);
		printf("DATA\r\n");
		fwrite(buf_head(&msg), 1, buf_pending(&msg), stdout);
		rc = 0;
	} else if (G.queue) {
		rc = do_queue(from, &rcpts, buf_head(&msg), buf_pending(&msg));
	} else {
		rc = send_one(from, &rcpts, buf_head(&msg), buf_pending(&msg));
	}

	for (size_t i = 0; i < G.attach.n; i++)
		buf_free(&attb[i]);
	free(attb);
	free(att);
	buf_free(&msg);
	buf_free(&input);
	strv_free(&rcpts);
	strv_free(&in.to);
	strv_free(&G.cc);
	strv_free(&G.bcc);
	strv_free(&G.headers);
	strv_free(&G.attach);
	free(from);
	free(msgid);
	free(boundary);
	return rc;
}
