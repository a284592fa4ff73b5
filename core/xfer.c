/* SPDX-License-Identifier: MIT */
/* xfer.c - libcurl glue: common options (TLS policy, CA, client certificate, pins,
 * timeouts, credentials, -v trace with secrets masked), CURLcode to our exit codes, error
 * texts (a refused certificate named from the record of a verify callback, tls.h), a
 * connection cache closed with its QUIT replies bounded (xfer_share_close).
 *
 * Header: include/xfer.h    Tests: tests/integration/ftp.sh, tests/integration/mail_send.sh,
 * tests/integration/mail_fetch.sh, tests/integration/tls_client.sh,
 * tests/integration/ftp_deadline.sh
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "connpol.h"
#include "cred.h"
#include "log.h"
#include "nt_err.h"
#include "sasl.h"
#include "tls.h"
#include "xfer.h"

void xfer_global_init(void)
{
	static int done;
	if (!done) {
		if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
			die(NT_EXIT_IO, "libcurl initialisation failed");
		done = 1;
	}
}

const char *xfer_version(void)
{
	return curl_version();
}

int xfer_debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *userp)
{
	(void)h;
	struct sasl_watch *watch = userp;
	int print = log_level >= LOG_VERBOSE;
	/* SASL continuations ("AUTH PLAIN", 334, then the base64 credentials on a line of
	 * their own) are masked whole until the server stops asking (no 334 / "+"). */
	static int sasl_cont;
	char dir;
	switch (type) {
	case CURLINFO_HEADER_OUT: dir = '>'; break;
	case CURLINFO_HEADER_IN: dir = '<'; break;
	case CURLINFO_TEXT: dir = '*'; break;
	default: return 0;
	}
	/* One callback may carry several lines. */
	while (size) {
		char *nl = memchr(data, '\n', size);
		size_t n = nl ? (size_t)(nl - data) + 1 : size;
		if (watch && dir != '*')
			sasl_watch_line(watch, dir, data, n);
		if (!print) {
			/* only the watch wants it */
		} else if (dir == '*') {
			char buf[512];
			nt_clean_text(buf, sizeof buf, data, n);
			fprintf(stderr, "* %s\n", buf);
		} else if (dir == '>' && sasl_cont) {
			log_proto(dir, "****", 4);
		} else {
			if (dir == '>' && ((n >= 5 && !strncasecmp(data, "AUTH ", 5)) || memmem(data, n, "AUTHENTICATE ", 13)))
				sasl_cont = 1;
			else if (dir == '<' && !(n >= 3 && !strncmp(data, "334", 3)) &&
				 !(data[0] == '+' && (n == 1 || data[1] == ' ' || data[1] == '\r' || data[1] == '\n')))
				sasl_cont = 0; /* a bare "+" asks for more too: the next line stays masked */
			log_proto(dir, data, n);
		}
		data += n;
		size -= n;
	}
	return 0;
}

/* What xfer_setup decided for this process's handles, for the words of xfer_strerror
 * (whose callers pass no handle): the proxy, when every handle used the same one, and
 * whether a password made TLS a requirement (then --no-tls is refused too). */
static struct {
	int n, mixed;
	struct conn_plan plan;
	int pw_tls;
} seen;

static void remember(const struct conn_plan *p, int pw_tls)
{
	if (!seen.n++)
		seen.plan = *p;
	else if (p->proxy.kind != seen.plan.proxy.kind || p->proxy.port != seen.plan.proxy.port ||
		 strcmp(p->proxy.host, seen.plan.proxy.host))
		seen.mixed = 1;
	seen.pw_tls |= pw_tls;
}

/* "proxy HOST:PORT (FROM)", or NULL when no proxy (or not one proxy) was used. */
static const char *the_proxy(void)
{
	static char b[300];
	if (!seen.n || seen.mixed || !seen.plan.proxy.kind)
		return NULL;
	return conn_proxy_name(&seen.plan, b, sizeof b);
}

/* Per handle: what its handshakes saw (the verify callback's record), its pins and CA
 * source. Handles are few and live as long as the process: records are kept for the
 * process (the callback's pointer must stay valid), found again by handle. */
struct watch {
	CURL *h;
	unsigned long long seq; /* order of the last handshake begun on this handle */
	struct tls_peer peer;
	struct tls_pins pins;
	struct tls_ca ca;
};
static struct watch **watches;
static size_t nwatches;
static unsigned long long handshakes;

static struct watch *watch_of(CURL *h)
{
	for (size_t i = 0; i < nwatches; i++)
		if (watches[i]->h == h)
			return watches[i];
	struct watch **w = realloc(watches, (nwatches + 1) * sizeof *w);
	if (!w)
		return NULL;
	watches = w;
	if (!(watches[nwatches] = calloc(1, sizeof **watches)))
		return NULL;
	watches[nwatches]->h = h;
	return watches[nwatches++];
}

/* CURLOPT_SSL_CTX_FUNCTION: libcurl made an SSL_CTX for a new connection of this handle. */
static CURLcode ssl_ctx_cb(CURL *h, void *ssl_ctx, void *userp)
{
	(void)h;
	struct watch *w = userp;
	tls_peer_reset(&w->peer);
	w->seq = ++handshakes;
	tls_peer_watch(ssl_ctx, &w->peer); /* an observer: never a reason to fail */
	return CURLE_OK;
}

/* The handle whose latest handshake shows this kind of refusal (1 chain or name, 2 pin,
 * 3 the session refused: a fatal alert, or a client certificate asked for and none set;
 * 4 that request alone), the most recent first. */
static const struct watch *refused(int kind)
{
	const struct watch *best = NULL;
	for (size_t i = 0; i < nwatches; i++) {
		const struct tls_peer *p = &watches[i]->peer;
		int hit = kind == 1 ? p->seen && (p->verify_err || p->name_bad) : kind == 2 ? p->seen && p->pin_bad
		    : kind == 3 ? tls_peer_refused_session(p) : p->cert_requested;
		if (hit && (!best || watches[i]->seq > best->seq))
			best = watches[i];
	}
	return best;
}

/* The client certificate's key file, checked once per process (ftp sets up a handle for
 * each transfer). */
static int key_ok(const char *cert, const char *key, char *err, size_t errlen)
{
	static const char *ok_cert, *ok_key;
	if (ok_cert == cert && ok_key == key)
		return 0;
	if (tls_key_check(cert, key, err, errlen) < 0)
		return -1;
	ok_cert = cert, ok_key = key;
	return 0;
}

/* The TLS part of xfer_setup: CA source, client certificate, pins, the verify callback. */
static int tls_setup(CURL *h, const struct xfer_opts *o, const char *host, char *err, size_t errlen)
{
	struct watch *w = watch_of(h);
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -NT_EXIT_IO;
	}
	snprintf(w->peer.host, sizeof w->peer.host, "%s", host ? host : "");
	w->peer.have_cert = o->cert != NULL;
	tls_ca_pick(o->cacert, &w->ca);
	if (!o->insecure && (w->ca.file || w->ca.dir)) {
		/* Exactly this source: NULL clears libcurl's built-in file or folder. */
		curl_easy_setopt(h, CURLOPT_CAINFO, w->ca.file);
		curl_easy_setopt(h, CURLOPT_CAPATH, w->ca.dir);
		curl_easy_setopt(h, CURLOPT_PROXY_CAINFO, w->ca.file);
		curl_easy_setopt(h, CURLOPT_PROXY_CAPATH, w->ca.dir);
	}
	if (o->cert) {
		if (key_ok(o->cert, o->key, err, errlen) < 0)
			return -NT_EXIT_TLS;
		curl_easy_setopt(h, CURLOPT_SSLCERT, o->cert);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLKEY, o->key ? o->key : o->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	w->peer.pins = NULL;
	if (o->pinnedpubkey) {
		/* libcurl gets the pins as sha256// text (a key file is read here, once per
		 * process, with our messages), checked after every handshake, --insecure too. */
		static const char *spec;
		static struct tls_pins pins;
		static char *text;
		if (spec != o->pinnedpubkey) {
			char e[600];
			if (tls_pins_parse(o->pinnedpubkey, &pins, e, sizeof e) < 0) {
				snprintf(err, errlen, "pinnedpubkey: %s", e);
				return -NT_EXIT_USAGE;
			}
			free(text);
			if (!(text = tls_pins_curl(&pins))) {
				spec = NULL;
				snprintf(err, errlen, "out of memory");
				return -NT_EXIT_IO;
			}
			spec = o->pinnedpubkey;
		}
		w->pins = pins;
		curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, text);
		w->peer.pins = &w->pins;
	}
	curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
	curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, w);
	return 0;
}

/* FTP over TLS 1.3: the server's session tickets arrive on a data connection after its
 * handshake, and libcurl may close the socket with them unread. Closing a TCP socket
 * with unread input makes the kernel send a reset and drop what it has not sent yet: an
 * upload loses its end and the server answers 426 (vsftpd, about one 300 KB upload in
 * four here; curl's issue 6149). So the close is put off: the socket is shut for
 * writing (a FIN after the data, which the server reads whole), what has arrived is
 * read and dropped, and the descriptor is closed later, never waiting here (a server
 * that never closes cost a whole batch 2 s a file when this waited): at a later close
 * once the peer has ended or 2 s have passed, or when the process ends. By then libcurl
 * has had the upload's 226, so a reset then costs nothing. At most LINGER_MAX wait; a
 * socket that never connected, or a listener, fails the shutdown and is closed at once. */
#define LINGER_MAX 64
static struct lingering {
	int fd;
	long long until_ms;
} lingering[LINGER_MAX];
static int nlingering;

static long long mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Read and drop what has arrived, without waiting: 1 when the peer has ended. */
static int drained(int fd)
{
	char junk[4096];
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(fd, junk, sizeof junk, MSG_DONTWAIT);
		if (n > 0)
			continue;
		return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
	}
	return 0;
}

static int linger_close(void *clientp, curl_socket_t fd)
{
	(void)clientp;
	long long now = mono_ms();
	for (int i = 0; i < nlingering;) {
		struct lingering *l = &lingering[i];
		if (drained(l->fd) || now >= l->until_ms || nlingering == LINGER_MAX) {
			close(l->fd);
			*l = lingering[--nlingering];
			continue;
		}
		i++;
	}
	if (shutdown(fd, SHUT_WR) < 0 || drained(fd))
		return close(fd);
	lingering[nlingering++] = (struct lingering){fd, now + 2000};
	return 0;
}

long xfer_stall_secs(long timeout_ms)
{
	return (timeout_ms + 999) / 1000;
}

void xfer_stall_start(struct xfer_stall *w, long long now_ms, unsigned long long bytes)
{
	w->from_ms = now_ms;
	w->bytes = bytes;
}

int xfer_stalled(struct xfer_stall *w, long long now_ms, unsigned long long bytes, long timeout_ms)
{
	if (timeout_ms <= 0)
		return 0;
	long long secs = xfer_stall_secs(timeout_ms);
	if (now_ms - w->from_ms < secs * 1000)
		return 0;
	if (bytes - w->bytes < (unsigned long long)(XFER_LOW_SPEED_BYTES * secs))
		return 1;
	xfer_stall_start(w, now_ms, bytes);
	return 0;
}

int xfer_setup(CURL *h, const struct xfer_opts *o, const char *host, char *errbuf, char *err, size_t errlen)
{
	if (errbuf) {
		errbuf[0] = 0;
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	}
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (o->timeout_ms > 0) {
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms);
		/* A stalled transfer: less than 1 byte/s for the timeout (xfer.h: the rule). */
		long secs = xfer_stall_secs(o->timeout_ms);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, XFER_LOW_SPEED_BYTES);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, secs);
		curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, secs);
	}
	if (o->ipv == 4)
		curl_easy_setopt(h, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
	else if (o->ipv == 6)
		curl_easy_setopt(h, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V6);
	switch (o->tls) {
	case XFER_TLS_TRY: curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY); break;
	case XFER_TLS_REQUIRE: curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL); break;
	case XFER_TLS_NEVER: curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_NONE); break;
	}
	int tr = tls_setup(h, o, host, err, errlen);
	if (tr)
		return tr;
	if (o->tls != XFER_TLS_NEVER && o->scheme && !strncmp(o->scheme, "ftp", 3))
		curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, linger_close);
	if (o->insecure) {
		static int warned; /* tls.c's words, which says it for our own sockets */
		if (!warned++)
			nt_warn("%s", tls_insecure_warning(o->pinnedpubkey != NULL));
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->user)
		curl_easy_setopt(h, CURLOPT_USERNAME, o->user);
	struct conn_opts co = {.proxy = o->proxy, .noproxy = o->noproxy, .allow_plaintext_auth = o->allow_plaintext_auth};
	struct conn_plan plan;
	int code = conn_decide(&co, o->scheme, host, CONN_PROXY_CURL, &plan, err, errlen);
	if (code)
		return -code;
	/* Our decision, not libcurl's reading of the environment: "" means no proxy. */
	curl_easy_setopt(h, CURLOPT_PROXY, plan.proxy.kind ? plan.proxy.url : "");
	if (plan.proxy.kind) {
		curl_easy_setopt(h, CURLOPT_NOPROXY, "");
		if (plan.proxy.kind == CONN_PROXY_HTTP || plan.proxy.kind == CONN_PROXY_HTTPS)
			curl_easy_setopt(h, CURLOPT_HTTPPROXYTUNNEL, 1L);
		if (o->insecure) {
			curl_easy_setopt(h, CURLOPT_PROXY_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(h, CURLOPT_PROXY_SSL_VERIFYHOST, 0L);
		}
	}
	remember(&plan, (o->password || o->bearer) && !plan.plain_ok);
	if (o->bearer) {
		/* SASL XOAUTH2/OAUTHBEARER only: libcurl would otherwise pick CRAM-MD5 or PLAIN
		 * with an empty password when the server lists them first. */
		curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, o->bearer);
		curl_easy_setopt(h, CURLOPT_LOGIN_OPTIONS, o->login_options);
	}
	if (o->password || o->bearer) {
		if (o->password)
			curl_easy_setopt(h, CURLOPT_PASSWORD, o->password);
		/* Clear text beyond this machine (a remote host, or any proxy hop): only with
		 * TLS required, or when allowed. */
		if (!plan.plain_ok) {
			if (o->tls == XFER_TLS_NEVER)
				return -conn_refuse_clear(&plan, host, o->password ? "--no-tls" : "--no-tls; an OAuth2 token counts as one",
							  err, errlen);
			curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		}
	}
	if (o->verbose || o->watch) {
		curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
		curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, xfer_debug_cb);
		curl_easy_setopt(h, CURLOPT_DEBUGDATA, o->watch);
	}
	return 0;
}

void xfer_opts_from(struct xfer_opts *o, const struct conn_opts *c)
{
	o->tls = c->tls == CONN_TLS_REQUIRE ? XFER_TLS_REQUIRE : c->tls == CONN_TLS_NEVER ? XFER_TLS_NEVER : XFER_TLS_TRY;
	o->cacert = c->cacert;
	o->insecure = c->insecure;
	o->cert = c->cert;
	o->key = c->key;
	o->pinnedpubkey = c->pinnedpubkey;
	o->timeout_ms = c->timeout_ms;
	o->allow_plaintext_auth = c->allow_plaintext_auth;
	o->verbose = c->verbose;
	o->ipv = c->family == AF_INET ? 4 : c->family == AF_INET6 ? 6 : 0;
	o->proxy = c->proxy;
	o->noproxy = c->noproxy;
}

int xfer_exit_code(CURLcode rc)
{
	if ((rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING) && refused(3))
		return NT_EXIT_TLS;
	switch (rc) {
	case CURLE_OK:
		return NT_EXIT_OK;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_BAD_FUNCTION_ARGUMENT:
		return NT_EXIT_USAGE;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_PROXY: /* a proxy that failed or refused: a network error, never success */
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_FTP_ACCEPT_TIMEOUT:
	case CURLE_FTP_CANT_GET_HOST:
	case CURLE_FTP_ACCEPT_FAILED:
		return NT_EXIT_NET;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_LOGIN_DENIED:
	case CURLE_AUTH_ERROR:
		return NT_EXIT_TLS;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_FTP_WEIRD_PASV_REPLY:
	case CURLE_FTP_WEIRD_227_FORMAT:
	case CURLE_BAD_CONTENT_ENCODING:
		return NT_EXIT_PROTO;
	case CURLE_WRITE_ERROR:
	case CURLE_READ_ERROR:
	case CURLE_FILE_COULDNT_READ_FILE:
	case CURLE_OUT_OF_MEMORY:
		return NT_EXIT_IO;
	default:
		return NT_EXIT_FAIL;
	}
}

/* Our words for a libcurl result (never libcurl's: "QUOT command failed with 550" or
 * "response reading failed (errno: 0)" named nothing a user typed); the caller adds what
 * it was doing and the server's last reply. From errbuf only the certificate problem that
 * OpenSSL names ("self-signed certificate") and the byte counts of a short transfer are kept. */
const char *xfer_strerror(CURLcode rc, const char *errbuf)
{
	static char buf[1500];
	const char *t;
	const struct watch *w;
	if ((rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING ||
	     rc == CURLE_SSL_CONNECT_ERROR) && (w = refused(3)))
		return tls_peer_explain(&w->peer, TLS_REFUSED_SESSION, &w->ca, buf, sizeof buf);
	switch (rc) {
	case CURLE_OK: return "done";
	case CURLE_UNSUPPORTED_PROTOCOL: return "this URL scheme is not supported here";
	case CURLE_URL_MALFORMAT: return "malformed URL or path (a control character?)";
	case CURLE_COULDNT_RESOLVE_PROXY:
		if (!the_proxy())
			return "the proxy's name could not be resolved";
		snprintf(buf, sizeof buf, "the name of the %s could not be resolved", the_proxy());
		return buf;
	case CURLE_COULDNT_RESOLVE_HOST: return "the host name could not be resolved";
	case CURLE_COULDNT_CONNECT:
		/* Through a proxy (a CONNECT tunnel or SOCKS), the connection that failed is
		 * the one to the proxy: the proxy's refusal to reach the server is CURLE_PROXY
		 * or a CONNECT reply. */
		if (!the_proxy())
			return "could not connect (refused, unreachable or filtered)";
		snprintf(buf, sizeof buf, "could not connect to the %s (refused, unreachable or filtered)", the_proxy());
		return buf;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(buf, sizeof buf, "timed out (--timeout)%s%s", the_proxy() ? " through the " : "",
			 the_proxy() ? the_proxy() : "");
		return buf;
	case CURLE_SEND_ERROR: return "the connection broke while sending";
	case CURLE_RECV_ERROR:
		t = errbuf ? strstr(errbuf, "CONNECT tunnel failed, response ") : NULL;
		if (t) {
			snprintf(buf, sizeof buf, "the %s refused the tunnel (CONNECT answered %.8s)",
				 the_proxy() ? the_proxy() : "proxy", t + 32);
			return buf;
		}
		if (errbuf && !strncmp(errbuf, "data connection: ", 17)) {
			/* Our own data connections (ftp getpipe.c) say which one broke. */
			snprintf(buf, sizeof buf, "the data connection broke mid-file (%s)", errbuf + 17);
			return buf;
		}
		return "the connection broke while waiting for the server's reply";
	case CURLE_PROXY:
		snprintf(buf, sizeof buf, "the %s failed or refused the connection", the_proxy() ? the_proxy() : "proxy");
		return buf;
	case CURLE_GOT_NOTHING: return "the server closed the connection without a reply";
	case CURLE_PARTIAL_FILE:
		if (errbuf && !strncmp(errbuf, "ended short: ", 13))
			return errbuf; /* the caller's count (ftp engine.c: a known size not reached) */
		if (errbuf && !strncmp(errbuf, "size unknown: ", 14))
			return errbuf + 14; /* the caller's words (ftp sess.c: a SIZE refused after an upload) */
		/* The sizes libcurl counted are worth keeping: "(5 out of 1 bytes)". */
		t = errbuf ? strstr(errbuf, " out of ") : NULL;
		while (t && t > errbuf && t[-1] != '(')
			t--;
		if (t && t > errbuf && strchr(t, ')')) {
			snprintf(buf, sizeof buf, "the size differs from the announced one (%.*s)", (int)(strchr(t, ')') - t), t);
			return buf;
		}
		return "the transfer ended before the announced size";
	case CURLE_WEIRD_SERVER_REPLY:
		if (errbuf && !strncmp(errbuf, "protocol: ", 10)) {
			/* Our own connections (ftp getpipe.c) say what broke the protocol. */
			snprintf(buf, sizeof buf, "the server broke the protocol (%.200s)", errbuf + 10);
			return buf;
		}
		return "malformed reply from the server";
	case CURLE_FTP_WEIRD_PASV_REPLY:
	case CURLE_FTP_WEIRD_227_FORMAT: return "malformed reply to EPSV/PASV (passive mode)";
	case CURLE_FTP_CANT_GET_HOST: return "could not open the passive data connection";
	case CURLE_FTP_PORT_FAILED: return "the server refused PORT/EPRT (active mode)";
	case CURLE_FTP_ACCEPT_FAILED:
	case CURLE_FTP_ACCEPT_TIMEOUT: return "the server did not open the active data connection";
	case CURLE_FTP_COULDNT_SET_TYPE: return "the server refused TYPE";
	case CURLE_FTP_COULDNT_RETR_FILE: return "the server refused RETR (download)";
	case CURLE_FTP_COULDNT_USE_REST: return "the server refused REST (resume)";
	case CURLE_BAD_DOWNLOAD_RESUME: return "cannot resume: the local copy is longer than the file on the server";
	case CURLE_UPLOAD_FAILED: return "the server refused STOR/APPE (upload)";
	case CURLE_QUOTE_ERROR: return "the server refused the command";
	case CURLE_REMOTE_ACCESS_DENIED: return "access denied by the server";
	case CURLE_REMOTE_FILE_NOT_FOUND: return "no such file or folder on the server";
	case CURLE_REMOTE_DISK_FULL: return "the server's disk is full";
	case CURLE_REMOTE_FILE_EXISTS: return "the file exists on the server";
	case CURLE_LOGIN_DENIED:
		/* Dovecot's auth_ssl_require_client_cert refuses the login, not the session. */
		if (refused(4))
			return "login refused (user or password; the server had asked for a client certificate and none "
			       "was given: --cert FILE)";
		return "login refused (user or password)";
	case CURLE_AUTH_ERROR: return "authentication failed";
	case CURLE_USE_SSL_FAILED:
		/* --no-tls is no way out when a password made TLS a requirement: it is refused. */
		if (!seen.pw_tls)
			return "the server does not offer TLS (--no-tls goes without)";
		if (the_proxy())
			snprintf(buf, sizeof buf, "the server does not offer TLS, and through the %s a password goes "
						  "only inside TLS (--allow-plaintext-auth sends it in clear text)", the_proxy());
		else if (seen.plan.proxy.kind || seen.mixed)
			return "the server does not offer TLS, and a password goes through a proxy or to a host that is "
			       "not loopback only inside TLS (--allow-plaintext-auth sends it in clear text)";
		else
			return "the server does not offer TLS, and a password goes to a host that is not loopback only "
			       "inside TLS (--allow-plaintext-auth sends it in clear text)";
		return buf;
	case CURLE_SSL_CONNECT_ERROR: return "the TLS handshake failed";
	case CURLE_SSL_CACERT_BADFILE: return "the CA file could not be used (--cacert)";
	case CURLE_SSL_CERTPROBLEM: return "the client certificate (--cert) or its key (--key) could not be used";
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		if ((w = refused(2)))
			return tls_peer_explain(&w->peer, TLS_REFUSED_PIN, &w->ca, buf, sizeof buf);
		return "the server's public key is not one of --pinnedpubkey";
	case CURLE_PEER_FAILED_VERIFICATION:
		if ((w = refused(1)))
			return tls_peer_explain(&w->peer, w->peer.verify_err ? TLS_REFUSED_CHAIN : TLS_REFUSED_NAME, &w->ca,
						buf, sizeof buf);
		t = errbuf ? strstr(errbuf, "certificate problem: ") : NULL;
		if (t) {
			snprintf(buf, sizeof buf, "the server's certificate is not trusted (%.200s)", t + 21);
			return buf;
		}
		return "the server's certificate is not trusted (or names another host)";
	case CURLE_WRITE_ERROR: return "could not write the local file (or a limit of ours was hit)";
	case CURLE_READ_ERROR: return "could not read the local file";
	case CURLE_FILE_COULDNT_READ_FILE: return "could not read the file";
	case CURLE_OUT_OF_MEMORY: return "out of memory";
	case CURLE_ABORTED_BY_CALLBACK: return "stopped";
	case CURLE_FILESIZE_EXCEEDED: return "the file is larger than allowed";
	default:
		snprintf(buf, sizeof buf, "transfer failed (libcurl code %d)", (int)rc);
		return buf;
	}
}

/* libcurl (7.88.1) closes a cache's connections with a handle of its own that takes the
 * timeouts of the last handle added (its QUIT's wait: CURLOPT_SERVER_RESPONSE_TIMEOUT):
 * one added with the bound, and removed, first. */
void xfer_share_close(CURLSH *sh, long secs)
{
	if (!sh)
		return;
	CURL *h = curl_easy_init();
	CURLM *m = curl_multi_init();
	if (h && m) {
		curl_easy_setopt(h, CURLOPT_SHARE, sh);
		curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, secs);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, secs);
		curl_multi_add_handle(m, h);
		curl_multi_remove_handle(m, h);
	}
	curl_easy_cleanup(h);
	curl_multi_cleanup(m);
	curl_share_cleanup(sh);
}
