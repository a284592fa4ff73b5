/* SPDX-License-Identifier: MIT */
/* main.c - mail-send: send mail over SMTP (libcurl), build correct messages, work as
 * sendmail, and keep a Maildir-style queue that --flush sends over one connection. This
 * file is the command line: options, local input, the message built and handed over.
 *
 * Man page: man/nettool-mail-send.1    Tests: tests/integration/mail_send*.sh,
 * tests/unit/check_mail_send.c    Bench: bench/smtp.sh
 * Shared: mail_send.h. Message building: msg.c (address.c, encode.c); the session and the
 * dispositions: session.c; the SMTP dialogue: smtp.c; the queue and --flush: queue.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "account.h"
#include "connpol.h"
#include "knobs.h"
#include "log.h"
#include "mail_send.h"
#include "nt_err.h"
#include "opt.h"

enum {
	O_HEADER = OPT_LONG,
	O_BODY,
	O_DRY,
	O_QUEUE,
	O_FLUSH,
	O_JSON,
};

static const struct opt opts[] = {
	{'S', "server", OPT_STR, "URL", "smtp://host[:port] or smtps://host[:port] (default $SMTP_SERVER, else smtp://localhost:25)"},
	{'f', "from", OPT_STR, "ADDR", "envelope sender and From address (default: the account's, $EMAIL, user@host)"},
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
	{O_QUEUE, "queue", OPT_DIR, "DIR", "store the message in the queue DIR instead of sending it"},
	{O_FLUSH, "flush", OPT_DIR, "DIR", "send every message queued in DIR over one connection"},
	{'i', NULL, OPT_FLAG, NULL, "a line with a single dot does not end the message (sendmail)"},
	{'o', NULL, OPT_RAW, "OPT", "sendmail -oi is -i; other -o options are ignored"},
	{'B', NULL, OPT_RAW, "TYPE", "sendmail's body type: ignored"},
	CONN_ROWS_IP,
	CONN_ROWS_VQ("trace the SMTP dialogue on stderr (passwords masked)", "no informational messages"),
	CONN_ROW_TIMEOUT("connect and reply timeout (default 60)"),
	{O_JSON, "json", OPT_FLAG, NULL, "one JSON object per recipient on stdout"},
	CONN_ROWS_TLS,
	CONN_ROWS_AUTH("authenticate as USER (AUTH PLAIN/LOGIN)"),
	CONN_ROWS_OAUTH2,
	CONN_ROWS_PROXY,
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

struct mail_send_conf mail_send_cf;

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* ---- local input ---- */

/* Append fd's contents to b up to max bytes: 0, -1 (errno) or -2 (more than max). */
int ms_read_bounded(int fd, struct buf *b, size_t max)
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
	int r = ms_read_bounded(fd, b, MSG_MAX);
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
		die(NT_EXIT_IO, "%s %s: %s", what, path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		die(NT_EXIT_IO, "%s %s: is a folder", what, path);
	char *w = xasprintf("%s %s", what, path);
	read_input(fd, w, b, 0);
	free(w);
	close(fd);
}

/* ---- names, dates, random ---- */

unsigned long long ms_random64(void)
{
	unsigned long long v;
	if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		v = ((unsigned long long)tv.tv_sec << 20) ^ (unsigned long long)tv.tv_usec ^ ((unsigned long long)getpid() << 40);
	}
	return v;
}

void ms_host_name(char *out, size_t n)
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

/* The first address of the input's From field (for -t), or NULL. */
static char *header_from(const struct buf *input)
{
	struct hblock hb = {0};
	size_t boff;
	char *r = NULL;
	if (msg_parse_headers(buf_head(input), buf_pending(input), &hb, &boff)) {
		const struct hfield *f = hblock_get(&hb, "from");
		struct strv v = {0};
		char err[200];
		if (f && msg_addr_list(f->value, f->value_len, &v, err, sizeof err) > 0)
			r = xstrdup(v.v[0]);
		strv_free(&v);
	}
	hblock_free(&hb);
	return r;
}

/* The account (account.h) for this sending, applied to co and the configuration: the
 * server (-S, else the account's url, else $SMTP_SERVER), the user, the secret sources. */
static const struct account *use_account(struct conn_opts *co, const char *sender)
{
	const char *target = NULL;
	struct url u;
	struct addr a;
	char err[ADDR_ERRLEN];
	const char *srv = mail_send_cf.server;
	if (srv && url_is(srv) && url_parse(srv, &u, err) == 0)
		target = u.host;
	else if (srv && !url_is(srv) && addr_parse(srv, 25, &a, err) == 0)
		target = a.host;
	const char *cli_user = co->user;
	const struct account *acc = conn_account(co, "smtp smtps", target, sender);
	if (acc && !srv && acc->v[ACC_URL])
		mail_send_cf.server = acc->v[ACC_URL];
	if (co->user != cli_user)
		mail_send_cf.acc_user = co->user;
	xfer_opts_from(&mail_send_cf.xo, co);
	mail_send_cf.co = *co;
	return acc;
}

/* The envelope sender when -f gave none: the account's from, $EMAIL (its address), the
 * user at the name in /etc/mailname, the user at this host's name. */
static char *default_from(const struct account *acc)
{
	char err[200];
	if (acc && acc->v[ACC_FROM]) {
		if (msg_check_addr(acc->v[ACC_FROM], err, sizeof err) < 0)
			die(NT_EXIT_USAGE, "account %s: from: %s", acc->name, err);
		return xstrdup(acc->v[ACC_FROM]);
	}
	const char *email = getenv("EMAIL");
	if (email && *email) {
		struct strv v = {0};
		if (msg_addr_list(email, strlen(email), &v, err, sizeof err) == 1) {
			char *r = xstrdup(v.v[0]);
			strv_free(&v);
			return r;
		}
		strv_free(&v);
		nt_warn("EMAIL='%s' is not one address: not used", email);
	}
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw && pw->pw_name ? pw->pw_name : "root";
	char host[256];
	const char *mailname = nt_test_knob("NETTOOL_MAILNAME"); /* tests: another /etc/mailname */
	FILE *mf = fopen(mailname ? mailname : "/etc/mailname", "re");
	if (mf) {
		int ok = fgets(host, sizeof host, mf) != NULL;
		fclose(mf);
		host[strcspn(host, " \t\r\n")] = 0;
		if (ok && host[0]) {
			char *r = xasprintf("%s@%s", user, host);
			if (msg_check_addr(r, err, sizeof err) == 0)
				return r;
			free(r);
		}
	}
	ms_host_name(host, sizeof host);
	ms_host_name(host, sizeof host);
	if (!strchr(host, '.')) {
		struct addrinfo hints = {.ai_flags = AI_CANONNAME, .ai_family = AF_UNSPEC}, *ai;
		if (getaddrinfo(host, NULL, &hints, &ai) == 0) {
			if (ai->ai_canonname && strchr(ai->ai_canonname, '.') && strlen(ai->ai_canonname) < sizeof host)
				snprintf(host, sizeof host, "%s", ai->ai_canonname);
			freeaddrinfo(ai);
		}
	}
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

/* ---- main ---- */

int mail_send_main(int argc, char **argv)
{
	memset(&mail_send_cf, 0, sizeof mail_send_cf);
	mail_send_cf.sendmail = !strcmp(base_name(argv[0]), "sendmail");
	struct conn_opts co = {.timeout_ms = 60000};
	struct opt_state os;
	opt_init(&os, &spec, argc, argv);
	for (int k; (k = opt_next(&os)) != -1;) {
		if (conn_opt(&co, k, &os))
			continue;
		switch (k) {
		case 'S': mail_send_cf.server = os.str; break;
		case 'f': case 'r': mail_send_cf.from = os.str; break;
		case 'F': mail_send_cf.from_name = os.str; break;
		case 's': mail_send_cf.subject = os.str; break;
		case 'c': strv_push(&mail_send_cf.cc, os.str); break;
		case 'b':
			/* sendmail's -bm (deliver as usual) is the default; other -bX modes
			 * (-bs, -bd, -bp, ...) are not supported. An address has an '@'. */
			if (mail_send_cf.sendmail && !strchr(os.str, '@') && strlen(os.str) == 1) {
				if (strcmp(os.str, "m"))
					opt_usage_error("sendmail -b%s is not supported (only -bm)", os.str);
				break;
			}
			strv_push(&mail_send_cf.bcc, os.str);
			break;
		case 'a': strv_push(&mail_send_cf.attach, os.str); break;
		case O_HEADER: strv_push(&mail_send_cf.headers, os.str); break;
		case 't': mail_send_cf.extract = 1; break;
		case O_BODY: mail_send_cf.body_file = os.str; break;
		case O_DRY: mail_send_cf.dry = 1; break;
		case O_QUEUE: mail_send_cf.queue = os.str; break;
		case O_FLUSH: mail_send_cf.flush = os.str; break;
		case 'i': mail_send_cf.dot_ends = -1; break;
		case 'o':
			if (!strcmp(os.str, "i"))
				mail_send_cf.dot_ends = -1;
			break;
		case 'B': break;
		case O_JSON: mail_send_cf.json = 1; break;
		}
	}
	conn_opts_finish(&co, CONN_PROXY_CURL);
	mail_send_cf.user = co.user;
	char **args = argv + os.ind;
	int nargs = argc - os.ind;
	if (mail_send_cf.flush) {
		use_account(&co, NULL);
		if (nargs || mail_send_cf.queue || mail_send_cf.dry || mail_send_cf.extract || mail_send_cf.body_file || mail_send_cf.subject || mail_send_cf.cc.n || mail_send_cf.bcc.n || mail_send_cf.attach.n ||
		    mail_send_cf.headers.n)
			opt_usage_error("--flush DIR sends what is queued: it takes no message options or recipients");
		return ms_flush(mail_send_cf.flush);
	}
	if (mail_send_cf.queue && mail_send_cf.dry)
		opt_usage_error("--queue and --dry-run conflict");
	if (mail_send_cf.json && (mail_send_cf.queue || mail_send_cf.dry)) /* refused, never ignored (nettool(1), CONVENTIONS) */
		opt_usage_error("--json reports recipients of a sending or of --flush, not of %s", mail_send_cf.dry ? "--dry-run" : "--queue");

	/* Everything local is read and checked before any connection. */
	struct msg_in in;
	memset(&in, 0, sizeof in);
	char err[512];
	for (int i = 0; i < nargs; i++) {
		nt_check_line_arg("a recipient", args[i]);
		strv_push(&in.to, args[i]);
	}
	struct buf input;
	if (mail_send_cf.body_file)
		read_file(mail_send_cf.body_file, "--body-file", &input);
	else
		read_input(0, "stdin", &input, mail_send_cf.sendmail && mail_send_cf.dot_ends == 0);
	struct attach *att = xcalloc(mail_send_cf.attach.n ? mail_send_cf.attach.n : 1, sizeof *att);
	struct buf *attb = xcalloc(mail_send_cf.attach.n ? mail_send_cf.attach.n : 1, sizeof *attb);
	for (size_t i = 0; i < mail_send_cf.attach.n; i++) {
		read_file(mail_send_cf.attach.v[i], "attachment", &attb[i]);
		att[i].name = base_name(mail_send_cf.attach.v[i]);
		att[i].data = (const unsigned char *)buf_head(&attb[i]);
		att[i].len = buf_pending(&attb[i]);
	}
	/* The account: --account, else the one whose from is the sender (-f, or From: with
	 * -t), else [default]. Then the envelope sender when neither gave one. */
	char *hfrom = mail_send_cf.from || !mail_send_cf.extract ? NULL : header_from(&input);
	const struct account *acc = use_account(&co, mail_send_cf.from ? mail_send_cf.from : hfrom);
	/* With -t the From field gives the sender, as -f does: the envelope and the account
	 * follow the same address. */
	char *from = mail_send_cf.from ? xstrdup(mail_send_cf.from) : hfrom ? hfrom : default_from(acc);
	if (from != hfrom)
		free(hfrom);
	if (msg_check_addr(from, err, sizeof err) < 0)
		die(NT_EXIT_USAGE, "%s %s", mail_send_cf.from ? "-f:" : "sender:", err);
	in.from = from;
	in.from_name = mail_send_cf.from_name;
	in.subject = mail_send_cf.subject;
	in.cc = mail_send_cf.cc;
	in.bcc = mail_send_cf.bcc;
	in.headers = mail_send_cf.headers;
	in.att = att;
	in.natt = mail_send_cf.attach.n;
	in.extract = mail_send_cf.extract;
	in.keep_block = 1;
	time_t t = now_for_date();
	struct tm tm;
	localtime_r(&t, &tm);
	char date[64], stamp[32];
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
	char *msgid = xasprintf("<%s.%016llx@%s>", stamp, ms_random64(), strrchr(from, '@') + 1);
	char *boundary = xasprintf("=_nettool_%016llx%016llx", ms_random64(), ms_random64());
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
	if (mail_send_cf.dry) {
		printf("MAIL FROM:<%s>\r\n", from);
		for (size_t i = 0; i < rcpts.n; i++)
			printf("RCPT TO:<%s>\r\n", rcpts.v[i]);
		printf("DATA\r\n");
		fwrite(buf_head(&msg), 1, buf_pending(&msg), stdout);
		rc = 0;
	} else if (mail_send_cf.queue) {
		rc = ms_queue(from, &rcpts, buf_head(&msg), buf_pending(&msg));
	} else {
		rc = ms_send_one(from, &rcpts, buf_head(&msg), buf_pending(&msg));
	}

	for (size_t i = 0; i < mail_send_cf.attach.n; i++)
		buf_free(&attb[i]);
	free(attb);
	free(att);
	buf_free(&msg);
	buf_free(&input);
	strv_free(&rcpts);
	strv_free(&in.to);
	strv_free(&mail_send_cf.cc);
	strv_free(&mail_send_cf.bcc);
	strv_free(&mail_send_cf.headers);
	strv_free(&mail_send_cf.attach);
	free(from);
	free(msgid);
	free(boundary);
	oauth2_free(&mail_send_cf.oauth);
	return rc;
}
