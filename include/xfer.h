/* SPDX-License-Identifier: MIT */
/* xfer.h - libcurl glue shared by ftp, mail-send and mail-fetch: the common options
 * (TLS policy, CA, timeouts, credentials, trace with secrets masked) in one place,
 * CURLcode to exit code, and an error text for messages. */
#ifndef NT_XFER_H
#define NT_XFER_H

#include <curl/curl.h>

enum xfer_tls {
	XFER_TLS_TRY = 0,   /* use STARTTLS / AUTH TLS when offered (default) */
	XFER_TLS_REQUIRE,   /* --tls: fail unless the session is encrypted */
	XFER_TLS_NEVER,     /* --no-tls */
};

struct xfer_opts {
	enum xfer_tls tls;
	const char *cacert;       /* --cacert FILE (or the account's); NULL: tls_ca_pick (tls.h) */
	int insecure;             /* --insecure: no certificate or host name check */
	const char *cert;         /* --cert: client certificate (PEM) */
	const char *key;          /* --key (NULL: in cert) */
	const char *pinnedpubkey; /* --pinnedpubkey, curl's syntax; checked with --insecure too */
	long timeout_ms;          /* connect timeout (and low-speed limit) */
	const char *user;
	const char *password;
	int allow_plaintext_auth; /* send a password in clear text to a non-loopback host */
	int verbose;              /* protocol trace on stderr, secrets masked */
	int ipv;                  /* 0, 4 or 6 */
	const char *scheme;       /* "ftp", "imaps"...: names the <scheme>_proxy variable */
	const char *proxy;        /* --proxy (NULL: the environment decides, "": none) */
	const char *noproxy;      /* --noproxy (NULL: no_proxy / NO_PROXY) */
	const char *bearer;       /* an OAuth2 token (oauth2.h): SASL XOAUTH2/OAUTHBEARER, never a password */
	const char *login_options; /* with bearer: "AUTH=OAUTHBEARER;AUTH=XOAUTH2" (oauth2_login_options) */
	struct sasl_watch *watch; /* not NULL: the login is read off the trace into it (sasl.h) */
};

struct conn_opts;
struct sasl_watch;
/* The shared client options (connpol.h) into o: TLS, CA, timeout, -4/-6, -v, proxy. */
void xfer_opts_from(struct xfer_opts *o, const struct conn_opts *c);

/* Once per process (curl_global_init); safe to call twice. */
void xfer_global_init(void);
/* The libcurl version text for --version. */
const char *xfer_version(void);

/* Apply the common options to an easy handle. errbuf (CURL_ERROR_SIZE) is set as
 * CURLOPT_ERRORBUFFER when not NULL. TLS: the CA source of tls_ca_pick (CURLOPT_CAINFO /
 * CAPATH), the client certificate, the pins, and a verify callback (CURLOPT_SSL_CTX_FUNCTION)
 * that records, per handle, the certificate each handshake saw, for xfer_strerror. A key
 * file others can read, or a bad pin, is refused here (-4, -2). The connection policy (conn_decide in connpol.h)
 * decides the proxy (libcurl never reads the environment itself; an HTTP proxy is
 * always a CONNECT tunnel, never a translation of ftp:// into HTTP) and the plaintext
 * check (a proxy hop is not loopback). Returns 0, or -(exit code) with a message in err
 * when the policy forbids the transfer (-4) or the proxy setting is bad (-2). */
int xfer_setup(CURL *h, const struct xfer_opts *o, const char *host, char *errbuf, char *err, size_t errlen);

/* --timeout's rule for a transfer, stated once: libcurl is given it by xfer_setup (a
 * low-speed limit of XFER_LOW_SPEED_BYTES bytes/s over the timeout's seconds, and the same
 * seconds to wait for a server's reply); our own data connections (ftp getpipe.c) apply it
 * with xfer_stall_*. A preliminary (1xx) reply is not progress. */
#define XFER_LOW_SPEED_BYTES 1L
/* The rule's window in seconds for a --timeout of timeout_ms (> 0). */
long xfer_stall_secs(long timeout_ms);
struct xfer_stall {
	long long from_ms;        /* the window's start */
	unsigned long long bytes; /* the bytes counted at its start */
};
/* A data phase starts at now_ms with bytes counted so far. */
void xfer_stall_start(struct xfer_stall *w, long long now_ms, unsigned long long bytes);
/* 1 when the data phase is stalled: a whole window (xfer_stall_secs) passed with fewer than
 * XFER_LOW_SPEED_BYTES per second on average; else 0 (a full window well fed starts the
 * next). timeout_ms <= 0: never. */
int xfer_stalled(struct xfer_stall *w, long long now_ms, unsigned long long bytes, long timeout_ms);

/* Our exit code (nt_err.h) for a libcurl result. A connection the server broke with a
 * fatal TLS alert (TLS 1.3 refuses a client certificate after the handshake) is 4. */
int xfer_exit_code(CURLcode rc);
/* Our words for a libcurl result, never libcurl's own text (the caller names the command
 * and the server's reply); errbuf: the handle's CURLOPT_ERRORBUFFER, or NULL. A refused
 * certificate (chain, name or pin) is one line with the subject, issuer and pin of the
 * certificate seen and the options that would accept it (tls_peer_explain): the record of
 * the handle whose handshake failed that way most recently. A proxy
 * failure names the proxy (host:port and the setting it came from) when the process's
 * handles used one proxy; a server without TLS, when a password made TLS a requirement,
 * points at --allow-plaintext-auth, not at --no-tls (which would then be refused). */
const char *xfer_strerror(CURLcode rc, const char *errbuf);

/* The trace callback (CURLOPT_DEBUGFUNCTION): with -v, "> line" / "< line" on stderr with
 * secrets masked; userp, when not NULL, a struct sasl_watch fed every protocol line (so
 * that a refused login can be told in the server's words). xfer_setup installs it when
 * -v is given or o->watch is set. */
int xfer_debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *userp);

/* curl_share_cleanup of sh (NULL: nothing), its connections' QUIT replies awaited at
 * most secs (curl and lftp wait briefly), not the transfers' reply timeout: a run whose
 * work is done, or a connection no longer needed, is not held by a slow goodbye. */
void xfer_share_close(CURLSH *sh, long secs);

#endif
