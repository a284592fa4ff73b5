/* SPDX-License-Identifier: MIT */
/* sess.c - ftp sites (host, port, credentials), URLs, the options every transfer
 * gets, and the single operations (quote commands, SIZE/MDTM, listings).
 *
 * Man page: man/nettool-ftp.1    Tests: tests/integration/ftp.sh
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "connpol.h"
#include "cred.h"
#include "ftp.h"
#include "log.h"
#include "nt_err.h"
#include "out.h"

#define LISTING_MAX (256u << 20)

static struct ftp_site *sites[8];
static int nsites;

long long ftp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ftp_is_remote(const char *arg)
{
	if (url_is(arg))
		return 1;
	const char *colon = strchr(arg, ':');
	if (!colon || colon == arg)
		return 0;
	/* "./a:b" and "dir/a:b" are local paths; "[::1]:x" is remote. */
	const char *slash = strchr(arg, '/');
	if (arg[0] == '[')
		return strstr(arg, "]:") != NULL;
	return !slash || slash > colon;
}

void ftp_target_parse(const char *arg, struct ftp_where *w, char **path)
{
	struct url u;
	char err[ADDR_ERRLEN];
	int implicit = 0;
	const char *p;
	if (url_is(arg)) {
		if (url_parse(arg, &u, err) < 0)
			die(NT_EXIT_USAGE, "%s", err);
		if (!strcmp(u.scheme, "ftps"))
			implicit = 1;
		else if (strcmp(u.scheme, "ftp"))
			die(NT_EXIT_USAGE, "'%s': only ftp:// and ftps:// URLs", u.scheme);
		if (!u.port)
			u.port = implicit ? 990 : 21;
		p = u.path; /* "x" relative, "/x" absolute (ftp://host//x) */
	} else {
		if (addr_parse_hostpath(arg, &u, err) < 0)
			die(NT_EXIT_USAGE, "%s", err);
		u.port = ftp_cf.port_opt ? ftp_cf.port_opt : 21;
		p = u.path;
	}
	if (nt_has_ctl(p) || nt_has_ctl(u.host))
		die(NT_EXIT_USAGE, "control character (CR, LF...) in '%s': refused", arg);
	memset(w, 0, sizeof *w);
	snprintf(w->host, sizeof w->host, "%s", u.host);
	w->port = u.port;
	w->implicit_tls = implicit;
	if (u.has_user)
		snprintf(w->user, sizeof w->user, "%s", u.user);
	w->has_user = u.has_user;
	/* HOST:2121/x is the path 2121/x on port 21 (a folder may be named 2024): only
	 * a failed connection says how a port is given (ftp_site_ready). */
	size_t nd = strspn(p, "0123456789");
	if (!url_is(arg) && !ftp_cf.port_opt && nd && nd <= 5 && (p[nd] == '/' || !p[nd]))
		w->path_port = atoi(p);
	*path = xstrdup(p);
}

struct ftp_site *ftp_target(const char *arg, char **path)
{
	struct ftp_where w;
	ftp_target_parse(arg, &w, path);
	const char *user = w.has_user ? w.user : ftp_cf.user_opt;
	for (int i = 0; i < nsites; i++) {
		struct ftp_site *s = sites[i];
		if (!strcmp(s->host, w.host) && s->port == w.port && s->implicit_tls == w.implicit_tls &&
		    ((!user && !s->user) || (user && s->user && !strcmp(user, s->user)) || (!user && s->x.password)))
			return s;
	}
	return ftp_site_open(&w, user, NULL);
}

static struct ftp_site *site_open(const struct ftp_where *w, const char *user, const char *password, int anon);

struct ftp_site *ftp_site_open(const struct ftp_where *w, const char *user, const char *password)
{
	return site_open(w, user, password, 0);
}

/* The shell's `user anonymous` / `user ftp` with no password: the login a target with
 * no user gets (libcurl's USER anonymous, PASS ftp@example.com, the password fxp.c sends
 * too), with no password source asked: a script has no terminal, and a netrc login for
 * the host must not replace the name the user typed. */
struct ftp_site *ftp_site_open_anonymous(const struct ftp_where *w)
{
	return site_open(w, NULL, NULL, 1);
}

static struct ftp_site *site_open(const struct ftp_where *w, const char *user, const char *password, int anon)
{
	if (nsites == (int)(sizeof sites / sizeof sites[0]))
		die(NT_EXIT_USAGE, "too many servers on one command line");
	struct ftp_site *s = xcalloc(1, sizeof *s);
	snprintf(s->host, sizeof s->host, "%s", w->host);
	s->port = w->port;
	s->path_port = w->path_port;
	s->implicit_tls = w->implicit_tls;
	struct cred c = {.user = user ? xstrdup(user) : NULL};
	char cerr[512];
	if (password) {
		c.password = xstrdup(password);
		c.source = "the shell's user command";
	} else if (!anon) {
		/* The name first: an unknown host is 3, before any password is asked for. */
		int rr = c.user ? conn_resolve_first(&ftp_cf.co, w->implicit_tls ? "ftps" : "ftp", w->host, CONN_PROXY_CURL,
						     cerr, sizeof cerr)
				: 0;
		if (rr)
			die(rr, "%s", cerr);
		int cr = cred_get(&c, w->host, &ftp_cf.co, c.user != NULL, cerr, sizeof cerr);
		if (cr < 0)
			die(-cr, "%s", cerr);
	}
	if (!c.user && c.password) {
		/* NETTOOL_PASSWORD alone does not make a login: anonymous. */
		explicit_bzero(c.password, strlen(c.password));
		free(c.password);
		c.password = NULL;
	}
	s->user = c.user;
	s->password = c.password;
	if (c.source)
		log_trace("password for %s@%s from %s", c.user ? c.user : "", w->host, c.source);
	s->x = ftp_cf.x;
	s->x.scheme = w->implicit_tls ? "ftps" : "ftp"; /* ftps_proxy / ftp_proxy */
	s->x.user = s->user;
	s->x.password = s->password;
	char hp[300];
	addr_format(hp, sizeof hp, w->host, w->port);
	snprintf(s->prefix, sizeof s->prefix, "%s://%s", w->implicit_tls ? "ftps" : "ftp", hp);
	s->h = curl_easy_init();
	if (!s->h)
		die(NT_EXIT_IO, "libcurl: out of memory");
	sites[nsites++] = s;
	/* A journaled batch over a list logs in when its first item starts (the engine calls
	 * ftp_site_ready): a resumed run with everything done connects to nothing. */
	if (ftp_cf.from_file && ftp_cf.journal)
		return s;
	ftp_site_ready(s);
	return s;
}

void ftp_site_ready(struct ftp_site *s)
{
	if (s->ready)
		return;
	s->ready = 1;
	/* Log in now: the login folder is known only to the first connection's handle,
	 * and a reused connection is taken back to it before quote commands. The connection
	 * goes to the shared cache for what follows. --retry covers this login too
	 * (a 421 "too many users" is transient). */
	CURLcode rc;
	for (int attempt = 1;; attempt++) {
		rc = ftp_entry_path(s, &s->entry);
		if (rc == CURLE_OK || attempt > ftp_cf.retry || !ftp_transient(rc, &s->hdr))
			break;
		long long back = ftp_backoff_ms(attempt);
		char m[600];
		log_info("login %s: %s: retry %d of %d in %.1f s", ftp_site_name(s), ftp_errmsg(rc, s->errbuf, &s->hdr, m, sizeof m),
			 attempt, ftp_cf.retry, back / 1000.0);
		struct timespec ts = {back / 1000, back % 1000 * 1000000};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (rc != CURLE_OK) {
		/* Named with its port: the one tried may not be the one meant. */
		char hp[300], m[600];
		addr_format(hp, sizeof hp, s->host, s->port);
		ftp_errmsg(rc, s->errbuf, &s->hdr, m, sizeof m);
		int code = ftp_exit_code(rc, &s->hdr);
		if (s->path_port && s->path_port <= 65535 && code == NT_EXIT_NET)
			die(code, "%s: %s; a port does not go in HOST:PATH (there '%d/' begins the path): give it with -P %d, "
				  "or as ftp://HOST:%d/PATH", hp, m, s->path_port, s->path_port, s->path_port);
		die(code, "%s: %s", hp, m);
	}
}

int ftp_transient(CURLcode rc, const struct ftp_hdr *h)
{
	if (rc == CURLE_LOGIN_DENIED)
		return 0;
	return xfer_exit_code(rc) == NT_EXIT_NET || (h->code >= 400 && h->code < 500);
}

long long ftp_backoff_ms(int attempt)
{
	long long back = 500LL << (attempt - 1 < 6 ? attempt - 1 : 6);
	return back > 30000 ? 30000 : back;
}

void ftp_sites_free(void)
{
	for (int i = 0; i < nsites; i++) {
		struct ftp_site *s = sites[i];
		curl_easy_cleanup(s->h);
		if (s->password) {
			explicit_bzero(s->password, strlen(s->password));
			free(s->password);
		}
		free(s->user);
		free(s->entry);
		free(s);
	}
	nsites = 0;
}

static void pct(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~/", c))
			xbuf_append(b, s, 1);
		else
			xbuf_appendf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

char *ftp_url(const struct ftp_site *s, const char *path, int dir)
{
	struct buf b;
	buf_init(&b, 0);
	xbuf_appendf(&b, "%s/", s->prefix);
	if (path[0] == '/') {
		/* Absolute: libcurl sends "CWD /" for a leading %2F. */
		xbuf_appendf(&b, "%%2F");
		path++;
	}
	pct(&b, path);
	if (dir && b.len && b.data[b.len - 1] != '/')
		xbuf_append(&b, "/", 1);
	xbuf_append(&b, "", 1);
	return b.data;
}

static size_t discard_cb(char *data, size_t size, size_t n, void *userp)
{
	(void)data;
	(void)userp;
	return size * n;
}

static size_t hdr_cb(char *data, size_t size, size_t n, void *userp)
{
	struct ftp_hdr *h = userp;
	size_t len = size * n;
	/* Bounded by the buffer's max: what would pass it is dropped; short memory is not. */
	if (h->cap && buf_append(h->cap, data, len) < 0 && buf_pending(h->cap) + len <= h->cap->max)
		die(NT_EXIT_IO, "out of memory");
	int line = ftp_reply_line(data, len, &h->code, h->last, sizeof h->last);
	/* Our SIZE (a PREQUOTE, eng_get_curl) is the last command before REST and RETR: a 213
	 * before it (MDTM's) is forgotten at the replies between (EPSV's, TYPE's, SIZE's own). */
	if (line && h->size_asked == 1 && h->code >= 200 && h->code != 350)
		h->size_reply = h->code == 213 ? ftp_parse_213_size(data, len) : -1;
	long long sz;
	if (h->code >= 100 && h->code < 200 && ftp_parse_150_size(data, len, &sz) == 0)
		h->announced = sz;
	if (line && h->size_asked == 1 && h->code >= 100 && h->code < 200) {
		h->size_asked = 2;
		h->sized = h->size_reply;
		if (h->announced < 0) /* as the own path: the 150's size, else SIZE's (getpipe.c) */
			h->announced = h->sized;
	}
	return len;
}

/* One connection cache for the single operations and the batch engine, so that a
 * probe (is the target a folder?) and the transfers that follow share logins. */
static CURLSH *share;

/* The logins closed, each QUIT's reply awaited at most a second (xfer.c), not --timeout. */
void ftp_share_free(void)
{
	xfer_share_close(share, 1);
	share = NULL;
}

/* The batch get's own connections (getpipe.c) take over from libcurl's: the logins libcurl
 * keeps for later are closed (QUIT), so that a run holds no more connections than --parallel
 * (a server's limit per address). A later libcurl transfer logs in again. */
void ftp_share_drop(void)
{
	if (!share)
		return;
	for (int i = 0; i < nsites; i++)
		curl_easy_setopt(sites[i]->h, CURLOPT_SHARE, NULL);
	ftp_share_free();
}

void ftp_prep(struct ftp_site *s, CURL *h, struct ftp_hdr *hdr, char *errbuf)
{
	char err[512];
	curl_easy_reset(h);
	if (!share) {
		share = curl_share_init();
		if (share) {
			curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
			/* The TLS sessions too: a data connection opened by another handle than
			 * the one that logged in must resume the control connection's session
			 * (vsftpd's default require_ssl_reuse=YES answers 522 otherwise). */
			curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
		}
	}
	if (share)
		curl_easy_setopt(h, CURLOPT_SHARE, share);
	int r = xfer_setup(h, &s->x, s->host, errbuf, err, sizeof err);
	if (r < 0)
		die(-r, "%s", err);
	if (s->implicit_tls)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "ftp,ftps");
	if (ftp_cf.active)
		curl_easy_setopt(h, CURLOPT_FTPPORT, ftp_cf.active_addr ? ftp_cf.active_addr : "-");
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	/* NOBODY requests deliver "Content-Length:" text to the write callback: drop it. */
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	/* Big reads for speed; small ones under --limit-rate, which libcurl enforces
	 * between reads (a 512 KiB read would swallow a small file at once). */
	long bufsz = 512L * 1024;
	if (ftp_cf.limit_rate > 0 && ftp_cf.limit_rate / 8 < bufsz)
		bufsz = ftp_cf.limit_rate / 8 < 1024 ? 1024 : (long)(ftp_cf.limit_rate / 8);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, bufsz);
	/* Uploads in libcurl's default 64 KiB blocks, as curl: libcurl asks the read
	 * callback again only once the whole block has gone out, so a 2 MiB block left the
	 * server's socket queue running dry at each refill (1 GiB put, medians of 6 rounds:
	 * 2 MiB 1.80 s, 64 KiB 1.65 s, curl 1.57 s). */
	curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 64L * 1024);
	if (ftp_cf.ascii)
		curl_easy_setopt(h, CURLOPT_TRANSFERTEXT, 1L);
	if (ftp_cf.limit_rate > 0) {
		curl_easy_setopt(h, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)ftp_cf.limit_rate);
		curl_easy_setopt(h, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)ftp_cf.limit_rate);
	}
	if (hdr) {
		hdr->last[0] = 0;
		hdr->code = 0;
		hdr->announced = -1;
		hdr->size_asked = 0;
		hdr->size_reply = hdr->sized = -1;
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, hdr_cb);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, hdr);
	}
}

/* libcurl makes every 550 on CWD "access denied" (CURLE_REMOTE_ACCESS_DENIED); the
 * server's text tells a folder that is not there ("550 No such file or directory")
 * from a refusal. */
int ftp_no_such_folder(CURLcode rc, const struct ftp_hdr *hdr)
{
	if (rc != CURLE_REMOTE_ACCESS_DENIED || !hdr || hdr->code != 550)
		return 0;
	static const char *const says[] = {"no such file", "no such dir", "not found", "does not exist"};
	for (size_t i = 0; i < sizeof says / sizeof says[0]; i++) {
		size_t l = strlen(says[i]);
		for (const char *p = hdr->last; *p; p++)
			if (!strncasecmp(p, says[i], l))
				return 1;
	}
	return 0;
}

/* A login that failed on the server's error rather than on the user or password: a 5xx
 * other than 530 ("500 OOPS: ..." from vsftpd, whose set-up failed). libcurl calls both
 * CURLE_LOGIN_DENIED. */
static int login_server_error(CURLcode rc, const struct ftp_hdr *hdr)
{
	return rc == CURLE_LOGIN_DENIED && hdr && hdr->code >= 500 && hdr->code != 530 && hdr->last[0];
}

int ftp_exit_code(CURLcode rc, const struct ftp_hdr *hdr)
{
	return login_server_error(rc, hdr) ? NT_EXIT_PROTO : xfer_exit_code(rc);
}

const char *ftp_errmsg(CURLcode rc, const char *errbuf, const struct ftp_hdr *hdr, char *out, size_t n)
{
	if (login_server_error(rc, hdr)) {
		snprintf(out, n, "server error at login: %s", hdr->last);
		return out;
	}
	/* A 550 to CWD that does not say why: vsftpd's "550 Failed to change directory." for
	 * a folder that is not there and for one not allowed alike. */
	/* libcurl (7.88.1 ftp.c) makes any 421 CURLE_OPERATION_TIMEDOUT: a server too busy to
	 * take us (vsftpd's max_per_ip, max_clients) or closing the session itself; no
	 * --timeout of ours ran out. */
	const char *t = ftp_no_such_folder(rc, hdr)			   ? "no such folder on the server"
			: rc == CURLE_REMOTE_ACCESS_DENIED && hdr && hdr->code == 550 ? "no such folder or access denied"
			: rc == CURLE_OPERATION_TIMEDOUT && hdr && hdr->code == 421
				? "the server refused or closed the connection (421: busy, or a limit of its own)"
										   : xfer_strerror(rc, errbuf);
	if (hdr && hdr->code >= 400 && hdr->last[0] && !strstr(t, hdr->last))
		snprintf(out, n, "%s (server: %s)", t, hdr->last);
	else
		snprintf(out, n, "%s", t);
	return out;
}

const char *ftp_site_name(const struct ftp_site *s)
{
	static char hp[4][300];
	static int k;
	k = (k + 1) % 4;
	addr_format(hp[k], sizeof hp[k], s->host, s->port);
	return hp[k];
}

void ftp_die_curl(CURLcode rc, const char *what, const struct ftp_site *s)
{
	char m[600];
	ftp_errmsg(rc, s->errbuf, &s->hdr, m, sizeof m);
	die(ftp_exit_code(rc, &s->hdr), "%s: %s", what, m);
}

CURLcode ftp_quote(struct ftp_site *s, const char *const *cmds, int n)
{
	struct curl_slist *l = NULL;
	for (int i = 0; i < n; i++)
		l = curl_slist_append(l, cmds[i]);
	char *url = ftp_url(s, "", 1);
	ftp_prep(s, s->h, &s->hdr, s->errbuf);
	curl_easy_setopt(s->h, CURLOPT_URL, url);
	curl_easy_setopt(s->h, CURLOPT_NOBODY, 1L);
	/* PREQUOTE: after libcurl has taken a reused connection back to the login folder
	 * (a listing or a transfer may have left it elsewhere), so relative paths in the
	 * commands are relative to the login folder, as the user means them. */
	curl_easy_setopt(s->h, CURLOPT_PREQUOTE, l);
	CURLcode rc = curl_easy_perform(s->h);
	curl_easy_setopt(s->h, CURLOPT_PREQUOTE, NULL);
	curl_slist_free_all(l);
	free(url);
	return rc;
}

CURLcode ftp_stat(struct ftp_site *s, const char *path, int64_t *size, int64_t *mtime)
{
	char *url = ftp_url(s, path, 0);
	ftp_prep(s, s->h, &s->hdr, s->errbuf);
	s->hdr.size_asked = 1; /* hdr_cb keeps SIZE's 213 (MDTM's forgotten at TYPE's or SIZE's reply) */
	curl_easy_setopt(s->h, CURLOPT_URL, url);
	curl_easy_setopt(s->h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(s->h, CURLOPT_FILETIME, mtime ? 1L : 0L);
	if (s->stat_until) /* a stop's wait (putcurl.c): within its bound */
		curl_easy_setopt(s->h, CURLOPT_TIMEOUT_MS, (long)(s->stat_until - ftp_now_ms() > 1 ? s->stat_until - ftp_now_ms() : 1));
	CURLcode rc = curl_easy_perform(s->h);
	free(url);
	if (rc == CURLE_OK) {
		curl_off_t v = -1;
		if (size) {
			/* SIZE's answer read as a get reads it (ftp_parse_213_size: libcurl took
			 * "213 -1" for 1, the size a copy's short check would hold to) */
			curl_easy_getinfo(s->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &v);
			*size = v >= 0 ? s->hdr.size_reply : v;
		}
		if (mtime) {
			v = -1;
			curl_easy_getinfo(s->h, CURLINFO_FILETIME_T, &v);
			*mtime = v;
		}
	}
	return rc;
}

int ftp_folder_why(char *m, size_t ml, struct ftp_site *site, const char *path, int missing, int dst_side,
		   const char *reply)
{
	const char *bn = ftp_basename(path);
	char hp[300], dir[300];
	addr_format(hp, sizeof hp, site->host, site->port);
	if (!missing && bn > path + 1) {
		/* A file where the folder should be: no folder made or entered helps (and
		 * --create-dirs cannot make it); say what is there. */
		char *fp = xstrndup(path, (size_t)(bn - path - 1));
		int64_t size = -1;
		int file = ftp_stat(site, fp, &size, NULL) == CURLE_OK && size >= 0;
		if (file) {
			char nm[300];
			out_clean(nm, sizeof nm, fp, strlen(fp), 0);
			snprintf(m, ml, "%s on %s is a file, not a folder", nm, hp);
		}
		free(fp);
		if (file)
			return 0;
	}
	if (bn > path)
		snprintf(dir, sizeof dir, "the folder '%.*s'", (int)(bn - path - 1), path);
	else
		snprintf(dir, sizeof dir, "the login folder");
	snprintf(m, ml, "%s%s on %s%s%s%s%s%s", missing ? "" : "could not enter ", dir, hp,
		 missing ? "" : " (missing, or not allowed", missing || !reply ? "" : "; server: ", missing || !reply ? "" : reply,
		 missing ? "" : ")", dst_side && !ftp_cf.create_dirs ? "; --create-dirs creates missing folders" : "");
	return !missing;
}

void ftp_put_left(char *m, size_t ml, struct ftp_site *s, const char *dst, CURLcode rc, long long sent,
		  long long held)
{
	int64_t size = -1;
	if (ftp_cf.atomic <= 0 && rc == CURLE_ABORTED_BY_CALLBACK) { /* stopped: its size settled, or what went out */
		static const char tail[] = "put writes in place; --atomic uploads to a temporary name)";
		char name[300], nb[40] = "no byte";
		size_t l = strlen(m);
		out_clean(name, sizeof name, dst, strlen(dst), 0);
		if (sent > 0)
			snprintf(nb, sizeof nb, "%lld bytes", sent);
		if (held > 0 && held == sent) /* stopped in the wait for the 226: every byte sent is there */
			snprintf(m + l, ml - l, ": %s on %s holds all %lld bytes sent (the stop came before the server's "
				 "final reply; %s", name, ftp_site_name(s), held, tail);
		else if (held >= 0)
			snprintf(m + l, ml - l, ": %s on %s is left %s: %lld bytes on the server (%s", name, ftp_site_name(s),
				 held ? "partial" : "empty", held, tail);
		else
			snprintf(m + l, ml - l, ": %s on %s %s (%s sent; %s%s", name, ftp_site_name(s),
				 sent > 0 ? "is left partial" : "may be left empty", nb,
				 held == PUT_HELD_UNSURE ? "the server may still be writing it: wait before a put -c; " : "", tail);
		return;
	}
	if (ftp_cf.atomic > 0 || (rc != CURLE_UPLOAD_FAILED && rc != CURLE_SEND_ERROR && rc != CURLE_PARTIAL_FILE &&
				  rc != CURLE_OPERATION_TIMEDOUT) ||
	    ftp_stat(s, dst, &size, NULL) != CURLE_OK || size < 0)
		return;
	char name[300];
	size_t l = strlen(m);
	out_clean(name, sizeof name, dst, strlen(dst), 0);
	if (size == 0)
		snprintf(m + l, ml - l, "; %s on %s is left empty: the server created or emptied it before the upload failed "
					"(put writes in place; --atomic uploads to a temporary name)", name, ftp_site_name(s));
	else
		snprintf(m + l, ml - l, "; %s on %s now holds %lld bytes (put writes in place; --atomic uploads to a "
					"temporary name)", name, ftp_site_name(s), (long long)size);
}

CURLcode ftp_tmp_dele(struct ftp_site *s, const char *path)
{
	char *ap = ftp_qpath(s, path);
	char *c = xasprintf("DELE %s", ap);
	const char *cmds[1] = {c};
	CURLcode rc = ftp_quote(s, cmds, 1);
	free(c), free(ap);
	return rc;
}

int ftp_size_unsupported(int code)
{
	return code == 500 || code == 502 || code == 504;
}

int ftp_tmp_size_check(int code, const char *line, long long sent, char *err, size_t errlen)
{
	/* ASCII mode: the server stores its own line ends, its size is not what went out
	 * (libcurl skips its own size check there too). */
	if (ftp_cf.ascii || ftp_size_unsupported(code))
		return 0;
	if (code != 213) {
		/* A server that has SIZE and will not say it for the file just stored (550,
		 * 450...): nothing shows the file whole, so it is not put in place. */
		snprintf(err, errlen, "size unknown: the server would not tell the size of the file stored (%.80s): not put in place",
			 line && *line ? line : "no reply");
		return -1;
	}
	long long told = strtoll(strlen(line) > 4 ? line + 4 : "", NULL, 10);
	if (told == sent)
		return 0;
	/* libcurl's words for its own size check after the 226 (xfer_strerror keeps the counts) */
	snprintf(err, errlen, "Uploaded unaligned file size (%lld out of %lld bytes)", told, sent);
	return -1;
}

struct curl_slist *ftp_size_quote(CURL *h, const char *path)
{
	char *c = xasprintf("*SIZE %s", ftp_basename(path)); /* in its folder: libcurl's current one after the STOR */
	struct curl_slist *q = curl_slist_append(NULL, c);
	free(c);
	curl_easy_setopt(h, CURLOPT_POSTQUOTE, q);
	return q;
}

struct curl_slist *ftp_tmp_size_quote(CURL *h, const char *dst)
{
	char *tmp = ftp_dur_remote_tmp(dst);
	struct curl_slist *q = ftp_size_quote(h, tmp);
	free(tmp);
	return q;
}

int ftp_tmp_rename_step(struct ftp_site *s, CURL *h, struct ftp_hdr *hdr, char *err, const char *dst, long long sent,
			struct curl_slist **q, char **url)
{
	if (ftp_tmp_size_check(hdr->code, hdr->last, sent, err, CURL_ERROR_SIZE) < 0) {
		hdr->code = 0; /* the words alone, as on the own path (no server reply is the cause) */
		hdr->last[0] = 0;
		return -1;
	}
	char *tmp = ftp_dur_remote_tmp(dst);
	const char *bn = ftp_basename(dst);
	char *dir = xstrndup(dst, (size_t)(bn - dst));
	char *c1 = xasprintf("RNFR %s", ftp_basename(tmp)), *c2 = xasprintf("RNTO %s", bn);
	ftp_prep(s, h, hdr, err);
	curl_slist_free_all(*q);
	free(*url);
	*q = curl_slist_append(NULL, c1);
	*q = curl_slist_append(*q, c2);
	*url = ftp_url(s, dir, 1); /* the file's folder: libcurl is there already (no CWD) */
	free(c1), free(c2), free(dir), free(tmp);
	curl_easy_setopt(h, CURLOPT_URL, *url);
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_PREQUOTE, *q);
	return 0;
}

void ftp_put_tmp_left(char *m, size_t ml, struct ftp_site *s, const char *dst, CURLcode rc)
{
	/* Only where the STOR of the temporary was accepted (a refused CWD, login, passive
	 * command or STOR stored nothing; vsftpd's 425 to a STOR leaves an empty one: not
	 * asked after, as a DELE of nothing would name a temporary that is not there). */
	if (ftp_cf.atomic <= 0 ||
	    (rc != CURLE_SEND_ERROR && rc != CURLE_RECV_ERROR && rc != CURLE_PARTIAL_FILE && rc != CURLE_OPERATION_TIMEDOUT &&
	     rc != CURLE_QUOTE_ERROR && rc != CURLE_WEIRD_SERVER_REPLY && rc != CURLE_ABORTED_BY_CALLBACK &&
	     rc != CURLE_READ_ERROR && rc != CURLE_GOT_NOTHING))
		return;
	char *tmp = ftp_dur_remote_tmp(dst);
	if (!tmp)
		return;
	if (ftp_tmp_dele(s, tmp) != CURLE_OK) {
		char name[300];
		size_t l = strlen(m);
		out_clean(name, sizeof name, tmp, strlen(tmp), 0);
		snprintf(m + l, ml - l, "; its temporary %s on %s may be left (it could not be deleted: delete it, or rerun "
					"with the same --journal)", name, ftp_site_name(s));
	}
	free(tmp);
}

int ftp_isdir(struct ftp_site *s, const char *path)
{
	if (!path[0] || !strcmp(path, "/"))
		return 1;
	char *url = ftp_url(s, path, 1);
	ftp_prep(s, s->h, &s->hdr, s->errbuf);
	curl_easy_setopt(s->h, CURLOPT_URL, url);
	curl_easy_setopt(s->h, CURLOPT_NOBODY, 1L);
	CURLcode rc = curl_easy_perform(s->h);
	free(url);
	if (rc == CURLE_OK)
		return 1;
	if (rc == CURLE_REMOTE_ACCESS_DENIED || rc == CURLE_REMOTE_FILE_NOT_FOUND)
		return 0;
	ftp_die_curl(rc, ftp_site_name(s), s);
}

/* The login folder goes into later commands (MKD, RNFR... made absolute by ftp_qpath):
 * a control character in it (a CR joins a second command to ours) is refused, exit 5. */
static char *entry_checked(const struct ftp_site *s, const char *p)
{
	for (const char *q = p; *q; q++) {
		unsigned char c = (unsigned char)*q;
		if (c < 0x20 || c == 0x7f) {
			char shown[120];
			nt_clean_text(shown, sizeof shown, p, strlen(p));
			die(NT_EXIT_PROTO, "%s: the PWD reply names a folder with a control character (%s after '%s'): refused",
			    ftp_site_name(s), c == '\r' ? "CR" : c == '\n' ? "LF" : c == 0x7f ? "DEL" : "a byte below 0x20", shown);
		}
	}
	return xstrdup(p);
}

CURLcode ftp_entry_path(struct ftp_site *s, char **out)
{
	if (s->entry) {
		*out = xstrdup(s->entry);
		return CURLE_OK;
	}
	/* libcurl records the folder on the handle that logged in (PWD after login). */
	CURLcode rc = ftp_quote(s, NULL, 0);
	if (rc != CURLE_OK)
		return rc;
	char *p = NULL;
	curl_easy_getinfo(s->h, CURLINFO_FTP_ENTRY_PATH, &p);
	if (p && *p) {
		*out = entry_checked(s, p);
		return CURLE_OK;
	}
	/* A connection from the shared cache: ask PWD (right after the site's first
	 * login nothing has changed folder yet). */
	struct buf cap;
	buf_init(&cap, 1 << 16);
	const char *cmd[] = {"PWD"};
	s->hdr.cap = &cap;
	rc = ftp_quote(s, cmd, 1);
	s->hdr.cap = NULL;
	if (rc == CURLE_OK) {
		char dir[4096] = "";
		const char *q = buf_head(&cap);
		size_t left = buf_pending(&cap), adv;
		while (left) {
			size_t l = ftp_next_line(q, left, &adv);
			ftp_parse_pwd(q, l, dir, sizeof dir); /* the last 257 wins */
			q += adv, left -= adv;
		}
		*out = xstrdup(dir);
	}
	buf_free(&cap);
	return rc;
}

static size_t buf_cb(char *data, size_t size, size_t n, void *userp)
{
	struct buf *b = userp;
	if (buf_append(b, data, size * n) < 0)
		return 0; /* too large: CURLE_WRITE_ERROR */
	return size * n;
}

CURLcode ftp_listing(struct ftp_site *s, const char *dir, int kind, struct buf *b)
{
	char *url = ftp_url(s, dir, 1);
	ftp_prep(s, s->h, &s->hdr, s->errbuf);
	curl_easy_setopt(s->h, CURLOPT_URL, url);
	if (kind == 'n')
		curl_easy_setopt(s->h, CURLOPT_DIRLISTONLY, 1L);
	else if (kind == 'm')
		curl_easy_setopt(s->h, CURLOPT_CUSTOMREQUEST, "MLSD");
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, buf_cb);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, b);
	CURLcode rc = curl_easy_perform(s->h);
	free(url);
	return rc;
}

int ftp_has_mlsd(struct ftp_site *s)
{
	if (s->feat_known)
		return s->has_mlsd;
	struct buf cap;
	buf_init(&cap, 1 << 20);
	const char *cmd[] = {"FEAT"};
	s->hdr.cap = &cap;
	CURLcode rc = ftp_quote(s, cmd, 1);
	s->hdr.cap = NULL;
	/* The captured lines start with the greeting and login replies; feature lines
	 * are the ones indented by one space. */
	s->has_mlsd = rc == CURLE_OK && ftp_feat_has(buf_head(&cap), buf_pending(&cap), "MLST");
	s->feat_known = 1;
	buf_free(&cap);
	if (rc != CURLE_OK && rc != CURLE_QUOTE_ERROR)
		ftp_die_curl(rc, ftp_site_name(s), s);
	return s->has_mlsd;
}

int ftp_list_entries(struct ftp_site *s, const char *dir, struct ftp_item **out, int *bad)
{
	int nbad = 0;
	int mlsd = ftp_has_mlsd(s);
	struct buf b;
	buf_init(&b, LISTING_MAX);
	CURLcode rc = ftp_listing(s, dir, mlsd ? 'm' : 'l', &b);
	if (rc != CURLE_OK) {
		char m[600];
		nt_warn("list %s: %s", dir[0] ? dir : "(login folder)", ftp_errmsg(rc, s->errbuf, &s->hdr, m, sizeof m));
		buf_free(&b);
		return -(xfer_exit_code(rc) ? xfer_exit_code(rc) : 1);
	}
	size_t cap = 16, n = 0;
	struct ftp_item *v = xmalloc(cap * sizeof *v);
	s->cdir_uniq = 0;
	struct ftp_entry e;
	const char *p = buf_head(&b);
	size_t left = buf_pending(&b), adv;
	time_t now = time(NULL);
	while (left) {
		size_t l = ftp_next_line(p, left, &adv);
		const char *line = p;
		p += adv, left -= adv;
		int r = mlsd ? ftp_parse_mlsd(line, l, &e) : ftp_parse_list(line, l, now, &e);
		if (r == 1)
			continue;
		if (r < 0) {
			char shown[120];
			nt_clean_text(shown, sizeof shown, line, l);
			nt_warn("list %s: cannot parse '%s': skipped", dir, shown);
			nbad++;
			continue;
		}
		if (e.type == FTP_T_CDIR)
			s->cdir_uniq = e.uniq;
		if (e.type == FTP_T_CDIR || e.type == FTP_T_PDIR)
			continue;
		if ((e.namelen == 1 && e.name[0] == '.') ||
		    (e.namelen == 2 && e.name[0] == '.' && e.name[1] == '.' && e.type == FTP_T_DIR))
			continue;
		if (n == FTP_LIST_MAX_ITEMS) {
			nt_warn("list %s: more than %d entries: refused", dir[0] ? dir : "(login folder)", FTP_LIST_MAX_ITEMS);
			ftp_items_free(v, (int)n);
			buf_free(&b);
			return -NT_EXIT_PROTO;
		}
		if (n == cap) {
			cap *= 2;
			v = xrealloc(v, cap * sizeof *v);
		}
		struct ftp_item *it = &v[n++];
		it->name = xmalloc(e.namelen + 1);
		memcpy(it->name, e.name, e.namelen);
		it->name[e.namelen] = 0;
		it->namelen = e.namelen;
		it->size = e.size;
		it->mtime = e.mtime;
		it->mtime_prec = e.mtime_prec;
		it->uniq = e.uniq;
		it->type = e.type;
		memcpy(it->perm, e.perm, sizeof it->perm);
	}
	buf_free(&b);
	*out = v;
	if (bad)
		*bad = nbad;
	return (int)n;
}

void ftp_items_free(struct ftp_item *v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

char *ftp_qpath(struct ftp_site *s, const char *path)
{
	/* Quote commands go after libcurl's CWD back to the login folder (CURLOPT_PREQUOTE,
	 * ftp_quote), so a relative path is sent as the user gave it: "MKD newdir" needs no
	 * prefix, and a login folder that is not a Unix path (z/OS '257 "USER1."', VMS
	 * DISK$USER:[HOME]) is never glued to it. */
	(void)s;
	return xstrdup(path);
}

char *ftp_join(const char *dir, const char *name)
{
	size_t l = strlen(dir);
	if (!l)
		return xstrdup(name);
	if (dir[l - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

struct curl_slist *ftp_size_prequote(struct curl_slist *q, struct ftp_hdr *hdr, const char *path)
{
	const char *name = ftp_basename(path); /* libcurl's RETR name, in the folder it entered */
	if (!*name)
		return q;
	char *c = xasprintf("*SIZE %s", name);
	q = curl_slist_append(q, c);
	free(c);
	hdr->size_asked = 1;
	return q;
}

const char *ftp_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}
