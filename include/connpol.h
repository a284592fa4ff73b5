/* SPDX-License-Identifier: MIT */
/* connpol.h - connection policy at one choke point, and the client options every
 * client applet shares.
 *
 * Every connection an applet makes, through libcurl (xfer.c) or on our own sockets
 * (nntp, tcp-send), gets its proxy, TLS and credential decision from conn_decide():
 *   proxy:  --proxy URL, else the variables curl reads: <scheme>_proxy (lower case
 *           first, then upper case; http_proxy is lower case only), then all_proxy /
 *           ALL_PROXY; a host on --noproxy LIST (else no_proxy / NO_PROXY) goes direct.
 *   local:  the path is loopback end to end only when the target is loopback AND no
 *           proxy is used: a proxy hop counts as a remote host.
 *   clear-text passwords: only on a local path, or with --allow-plaintext-auth.
 * The shared option rows (CONN_ROWS_*) and their one handler, conn_opt(), fill
 * struct conn_opts; conn_opts_finish() checks them once, with one wording.
 */
#ifndef NT_CONNPOL_H
#define NT_CONNPOL_H

#include <stddef.h>

#include "opt.h"

/* Keys of the long-only shared options; applets number their own from OPT_LONG. */
enum {
	CONN_O_TLS = OPT_LONG + 512,
	CONN_O_NOTLS,
	CONN_O_CACERT,
	CONN_O_INSECURE,
	CONN_O_PWFILE,
	CONN_O_PLAIN,
	CONN_O_PROXY,
	CONN_O_NOPROXY,
	CONN_O_TIMEOUT,
	CONN_O_CERT,
	CONN_O_KEY,
	CONN_O_PIN,
	CONN_O_PWCMD,
	CONN_O_ACCOUNT,
	CONN_O_CONFIG,
	CONN_O_OA2CMD,
	CONN_O_OA2FILE,
	CONN_O_OA2MECH,
};

#define CONN_ROWS_IP OPT_ROWS_IP
#define CONN_ROWS_TLS \
	{CONN_O_TLS, "tls", OPT_FLAG, NULL, "require TLS (STARTTLS or AUTH TLS unless the URL is TLS already)"}, \
	{CONN_O_NOTLS, "no-tls", OPT_FLAG, NULL, "never use TLS, even when the server offers it"}, \
	CONN_ROWS_TLS_CLIENT
/* The TLS client's verification and identity, without --tls/--no-tls (whose meaning is the
 * applet's: tcp-send --tls is TLS from the first byte). */
#define CONN_ROWS_TLS_CLIENT \
	{CONN_O_CACERT, "cacert", OPT_FILE, "FILE", "verify the server against the CA certificates in FILE"}, \
	{CONN_O_INSECURE, "insecure", OPT_FLAG, NULL, "do not verify the server's certificate (says so)"}, \
	{CONN_O_CERT, "cert", OPT_FILE, "FILE", "client certificate (PEM; the key too unless --key)"}, \
	{CONN_O_KEY, "key", OPT_FILE, "FILE", "the client certificate's private key (PEM, unencrypted)"}, \
	{CONN_O_PIN, "pinnedpubkey", OPT_FILE, "PINS", \
	 "accept only these server keys: sha256//BASE64[;sha256//...] or a public key file"}
#define CONN_ROWS_AUTH(user_help) \
	{'u', "user", OPT_STR, "USER", user_help}, \
	{CONN_O_PWFILE, "password-file", OPT_FILE, "FILE", "read the password from the first line of FILE"}, \
	{CONN_O_PWCMD, "password-cmd", OPT_RAW, "CMD", "the password is the first line CMD prints (sh -c, --timeout)"}, \
	{CONN_O_ACCOUNT, "account", OPT_STR, "NAME", "the settings of [NAME] in the accounts file (nettool-accounts(5))"}, \
	{CONN_O_CONFIG, "config", OPT_FILE, "FILE", "the accounts file (default ~/.config/nettool/accounts)"}, \
	{CONN_O_PLAIN, "allow-plaintext-auth", OPT_FLAG, NULL, \
	 "allow a password in clear text to a non-loopback host or through a proxy"}
/* OAuth2 bearer tokens (oauth2.h): the mail applets' SASL XOAUTH2 and OAUTHBEARER. */
#define CONN_ROWS_OAUTH2 \
	{CONN_O_OA2CMD, "oauth2-token-cmd", OPT_RAW, "CMD", \
	 "log in with the OAuth2 token CMD prints (sh -c; run again once if it is refused)"}, \
	{CONN_O_OA2FILE, "oauth2-token-file", OPT_FILE, "FILE", "log in with the OAuth2 token on the first line of FILE"}, \
	{CONN_O_OA2MECH, "oauth2-mech", OPT_STR, "MECH", "XOAUTH2 or OAUTHBEARER (default: what the server offers)"}
/* The same rows for an applet whose servers have no bearer login: refused (exit 2). Put
 * CONN_REFUSED_OAUTH2(why) in its opt_spec's refused rows (opt.h). */
#define CONN_REFUSED_OAUTH2(why) \
	{CONN_O_OA2CMD, "oauth2-token-cmd", OPT_RAW, "CMD", why}, \
	{CONN_O_OA2FILE, "oauth2-token-file", OPT_FILE, "FILE", why}, \
	{CONN_O_OA2MECH, "oauth2-mech", OPT_STR, "MECH", why}
#define CONN_ROWS_PROXY \
	{CONN_O_PROXY, "proxy", OPT_STR, "URL", "connect through URL (http://, socks5h://...; '' for none)"}, \
	{CONN_O_NOPROXY, "noproxy", OPT_STR, "LIST", "hosts reached directly (comma-separated, '*' for all)"}
#define CONN_ROW_TIMEOUT(help) \
	{CONN_O_TIMEOUT, "timeout", OPT_SECS, "SEC", help}
#define CONN_ROWS_VQ(vhelp, qhelp) \
	{'v', "verbose", OPT_FLAG, NULL, vhelp}, \
	{'q', "quiet", OPT_FLAG, NULL, qhelp}

enum conn_tls { CONN_TLS_TRY = 0, CONN_TLS_REQUIRE, CONN_TLS_NEVER };

/* The shared client options. Zero is the default of every field but timeout_ms. */
struct conn_opts {
	int family;               /* 0 (AF_UNSPEC), AF_INET (-4), AF_INET6 (-6) */
	enum conn_tls tls;
	const char *cacert;       /* the CA order: --cacert, else the account's cacert (conn_account
	                           * fills it when still NULL), else tls_ca_pick: the CA environment
	                           * variables, else the system store */
	int insecure;
	const char *cert;         /* --cert: client certificate (PEM), or the account's */
	const char *key;          /* --key (NULL: the key is in cert), or the account's */
	const char *pinnedpubkey; /* --pinnedpubkey: curl's syntax (tls.h: tls_pins_parse), or the account's */
	const char *user;         /* -u, else the account's user */
	const char *password_file;
	/* The secret sources (cred.h says their order). The account fills them only when the
	 * command line gave none of them. */
	const char *password_cmd;       /* --password-cmd, else the account's password-cmd */
	const char *password_cmd_what;  /* for messages: NULL ("--password-cmd") or "account NAME: password-cmd" */
	const char *account_password;   /* the account's password = (discouraged) */
	const char *oauth2_token_cmd;   /* --oauth2-token-cmd, else the account's (oauth2.h) */
	const char *oauth2_token_file;  /* --oauth2-token-file, else the account's */
	const char *account;            /* --account NAME */
	const char *config;             /* --config FILE */
	const char *account_name;       /* the account applied (account.h: conn_account), or NULL */
	int allow_plaintext_auth;
	const char *proxy;        /* --proxy (NULL: not given; "": no proxy) */
	const char *noproxy;      /* --noproxy (NULL: not given) */
	int timeout_ms;           /* set by the applet to its default first */
	int verbose, quiet;
	const char *oauth2_mech;       /* --oauth2-mech, upper case after conn_opts_finish */
	const char *oauth2_what;       /* names the token source in messages when it is not the
					* option (an account: "account work: oauth2-token-cmd") */
	/* private: what conn_opt saw, for conn_opts_finish */
	int seen_tls, seen_notls, seen_4, seen_6;
};

/* Handle key if it is a shared row: 1 (o updated, log level set for -v/-q), else 0. */
int conn_opt(struct conn_opts *o, int key, const struct opt_state *os);
/* After parsing: conflicts (exit 2: -4/-6, --tls/--no-tls, --cacert/--insecure, the two
 * OAuth2 sources, an OAuth2 source and --password-file, --oauth2-mech without a source or
 * naming another mechanism), the --insecure warning, a --proxy URL that is not
 * one of schemes (exit 2). schemes: the proxy kinds this applet can use, e.g.
 * CONN_PROXY_OWN or CONN_PROXY_CURL. */
void conn_opts_finish(struct conn_opts *o, unsigned schemes);

enum conn_proxy_kind {
	CONN_PROXY_NONE = 0,
	CONN_PROXY_HTTP = 1,     /* http:// (CONNECT) */
	CONN_PROXY_HTTPS = 2,    /* https:// (CONNECT over TLS to the proxy; libcurl only) */
	CONN_PROXY_SOCKS4 = 4,   /* libcurl only */
	CONN_PROXY_SOCKS4A = 8,  /* libcurl only */
	CONN_PROXY_SOCKS5 = 16,  /* names resolved here */
	CONN_PROXY_SOCKS5H = 32, /* names resolved by the proxy */
};
#define CONN_PROXY_OWN (CONN_PROXY_HTTP | CONN_PROXY_SOCKS5 | CONN_PROXY_SOCKS5H)
#define CONN_PROXY_CURL (CONN_PROXY_OWN | CONN_PROXY_HTTPS | CONN_PROXY_SOCKS4 | CONN_PROXY_SOCKS4A)

struct conn_proxy {
	enum conn_proxy_kind kind;
	char host[256];
	int port;
	int has_password;        /* user:password@ in the proxy URL */
	int has_user;            /* user[:password]@ in the proxy URL */
	char user[256];          /* percent-decoded (RFC 1929: at most 255 bytes each) */
	char password[256];
	char url[600];           /* as given (for libcurl) */
	const char *from;        /* "--proxy", "ftp_proxy", "ALL_PROXY"... for messages */
};

/* The decision for one connection. */
struct conn_plan {
	struct conn_proxy proxy; /* kind NONE: direct */
	int local;               /* target loopback and no proxy: nothing leaves this machine */
	int plain_ok;            /* a password may go in clear text (local, or allowed) */
};

/* Decide for a connection to host (scheme: "ftp", "imap", "nntp", "tcp"... for the
 * <scheme>_proxy variable; NULL: only all_proxy). schemes: the proxy kinds the caller
 * can use. Returns 0, or an exit code (2: bad proxy URL, 4: policy) with a message. */
int conn_decide(const struct conn_opts *o, const char *scheme, const char *host, unsigned schemes,
		struct conn_plan *p, char *err, size_t errlen);

/* Parse a proxy URL ([scheme://][user[:password]@]host[:port]; no scheme: http, no
 * port: 1080, as curl; user and password percent-decoded, no control character).
 * Returns 0 or -1 with a message. */
int conn_proxy_parse(const char *url, struct conn_proxy *px, char *err, size_t errlen);
/* 1 when host matches the no-proxy LIST as curl matches it: '*', a name or a domain
 * suffix (".example.com" or "example.com"), an IP address, or an address/prefix. */
int conn_noproxy_match(const char *list, const char *host);

/* The one refusal of a password in clear text (the caller has found the password would
 * go without TLS and p->plain_ok is 0): the message, naming the proxy when there is one,
 * into err; returns NT_EXIT_TLS. why: what keeps TLS off ("--no-tls"). */
int conn_refuse_clear(const struct conn_plan *p, const char *host, const char *why, char *err, size_t errlen);
/* "proxy HOST:PORT (FROM)" for messages; "" when the plan is direct. */
const char *conn_proxy_name(const struct conn_plan *p, char *out, size_t n);

/* Open a TCP connection on our own socket as the plan says: direct, or through the
 * proxy (HTTP CONNECT, SOCKS5, SOCKS5 with remote names). Returns a blocking descriptor,
 * or -1 with a message in err: every failure here is a network error (exit 3). */
int conn_connect(const struct conn_plan *p, const char *host, int port, int family, int timeout_ms, char *err,
		 size_t errlen);

/* Names are resolved before any secret is asked for (a prompt, a password command): an
 * unknown host is a network error (3), not a missing password (4). Resolve host here
 * unless the proxy conn_decide chooses resolves names itself (http, https, socks4a,
 * socks5h). Returns 0, or NT_EXIT_NET / a conn_decide code with a message in err. */
int conn_resolve_first(const struct conn_opts *o, const char *scheme, const char *host, unsigned schemes, char *err,
		       size_t errlen);

/* The one mapping of a stream result (stream.h: STREAM_*) to our exit code: a line over
 * the limit or corrupt data (EBADMSG) 5, a TLS failure (EPROTO on an encrypted stream) 4,
 * out of memory (ENOMEM) 6, everything else (end of stream, timeout, reset) 3. */
int conn_stream_exit(int r, int errnum, int encrypted);

#endif
