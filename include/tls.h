/* SPDX-License-Identifier: MIT */
/* tls.h - OpenSSL on our own sockets: a client that verifies the peer's certificate
 * and host name by default (--cacert, --insecure), with a client certificate (--cert,
 * --key) and public-key pinning (--pinnedpubkey); and what libcurl's connections share
 * with it (core/xfer.c): the CA source, the pin syntax, the record of the certificate
 * seen and the one line that explains a refusal (core/tls_trust.c). The session is a
 * stream (stream.h). The server side is tls_server.h.
 *
 * A plain socket client (nntp, tcp-send --tls):
 *	struct tls_opts t;
 *	tls_opts_from(&t, &conn_opts);           // after conn_opts_finish (and the account)
 *	int code = tls_opts_check(&t, err, sizeof err); // before connecting: 2 or 4
 *	struct stream *s = tls_client(fd, host, &t, max_line, timeout_ms, err, sizeof err);
 *	if (!s) die(tls_client_exit(errno), "%s", err); // 3 for a timeout, else 4
 */
#ifndef NT_TLS_H
#define NT_TLS_H

#include <stddef.h>
#include "stream.h"

struct tls_opts {
	const char *cacert;       /* CA file (--cacert, or the account's); NULL: tls_ca_pick */
	int insecure;             /* no chain or name check (said on stderr once); pins still checked */
	const char *cert;         /* client certificate chain (PEM); NULL: none */
	const char *key;          /* its private key (PEM, unencrypted); NULL: in cert */
	const char *pinnedpubkey; /* accepted server keys, curl's syntax (tls_pins_parse); NULL: any */
	const char *peer;         /* the server in messages when tls_client has no host (a unix
				   * socket: "unix:PATH"); NULL: "server" */
};

struct conn_opts;
/* The TLS fields of the shared client options (connpol.h) into t. */
void tls_opts_from(struct tls_opts *t, const struct conn_opts *c);

/* Before connecting (settings from an accounts file are first seen here): the pins'
 * syntax (a bad one: 2) and the client key file (tls_key_check: 4). 0, or the exit code
 * with a message in err. tls_client checks them again. */
int tls_opts_check(const struct tls_opts *t, char *err, size_t errlen);

/* Wrap a connected socket in a TLS client session and run the handshake, checking the
 * certificate against host (a name or an IP literal) and the pins. Without a host (a
 * unix socket) there is no name a CA could vouch for: pins, when given, are then the
 * whole check (the chain is not asked for; a self-signed server's key can be pinned). On failure returns
 * NULL with a message in err (fd is then closed); a refused certificate is said in one
 * line: subject, issuer, pin, and the options that would accept it. A handshake that
 * timed out leaves errno ETIMEDOUT (a network failure, exit 3, not a TLS one). */
struct stream *tls_client(int fd, const char *host, const struct tls_opts *o, size_t max_line,
			  int timeout_ms, char *err, size_t errlen);
/* The one warning --insecure gives (tls.c for our sockets, xfer.c for libcurl's), which
 * says what is still checked when pins are given. */
const char *tls_insecure_warning(int pinned);
/* The exit code of a tls_client or tls_upgrade that returned NULL, from the errno it
 * left (read before anything else can change it): a handshake that timed out is a
 * network failure, 3, as a connect that times out; any other failure is TLS's, 4
 * (nettool(1), EXIT STATUS). The one rule for every applet on our own sockets. */
int tls_client_exit(int errnum);
/* Upgrade an existing plain socket stream (STARTTLS): the read-ahead buffer must be
 * empty. Returns the new stream or NULL (errno as tls_client's: tls_client_exit); the
 * plain stream is closed either way (its descriptor lives on in the new stream). */
struct stream *tls_upgrade(struct stream *plain, const char *host, const struct tls_opts *o,
			   char *err, size_t errlen);
/* After a read or write on a TLS stream failed: when that was the server refusing the
 * session (a fatal alert, or closing after asking for a client certificate none was
 * given for; with TLS 1.3 the handshake ends before the server has checked it), the one
 * line that says so, in out (exit 4 for the caller); else NULL. */
const char *tls_stream_refused(struct stream *s, char *out, size_t n);

/* The OpenSSL version text for --version. */
/* After a read returned 0 (end of stream): 1 when the end was clean, the peer's TLS
 * close_notify (or no TLS at all on s); 0 when the connection just ended, which an
 * attacker can cause to cut the data short. One rule for every applet: a stream of
 * data (--stream) that ends so is a failure, a line protocol's end is warned about. */
int tls_end_clean(const struct stream *s);
/* 1 when OpenSSL's last error is an end of the connection without close_notify
 * (OpenSSL 3 without SSL_OP_IGNORE_UNEXPECTED_EOF): an end, not a TLS error. */
int tls_eof_unexpected(void);
#define TLS_UNCLEAN_END "the peer closed without TLS close_notify: the data may be cut short"
const char *tls_version(void);
/* A TLS alert's name from its description number ("certificate required", "handshake
 * failure"; "unknown" for a number no version names). */
const char *tls_alert_desc(int d);

/* --- The CA source: one decision for every client connection ---
 * In this order: cacert (--cacert, else the account's), else CURL_CA_BUNDLE (a file),
 * else SSL_CERT_FILE and/or SSL_CERT_DIR (both used when both are set), else the system
 * store. An empty variable counts as unset. A variable replaces the system store. */
struct tls_ca {
	const char *file; /* CA certificates in one PEM file, or NULL */
	const char *dir;  /* a c_rehash'd folder, or NULL */
	const char *from; /* "--cacert", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR",
			   * "SSL_CERT_FILE and SSL_CERT_DIR", or "the system store" (file
			   * and dir NULL: OpenSSL's and libcurl's built-in default) */
};
void tls_ca_pick(const char *cacert, struct tls_ca *ca);
/* "/path/ca.crt (SSL_CERT_FILE)", "the system store"... for messages. */
const char *tls_ca_name(const struct tls_ca *ca, char *out, size_t n);

/* --- Public-key pins: curl's --pinnedpubkey ---
 * "sha256//BASE64[;sha256//BASE64...]" (BASE64: the 44 characters of a SHA-256 of the
 * server's DER SubjectPublicKeyInfo), or else the name of a file holding one public key
 * (PEM "BEGIN PUBLIC KEY" or DER). */
#define TLS_PINS_MAX 32
#define TLS_PIN_TEXT 53 /* "sha256//" + 44 + NUL */
struct tls_pins {
	int n;
	unsigned char sha256[TLS_PINS_MAX][32];
};
/* Parse spec (a file is read). 0, or -1 with a message naming the bad part in err. */
int tls_pins_parse(const char *spec, struct tls_pins *p, char *err, size_t errlen);
/* The list form alone (no file): 0, or -1 (also when spec is not a sha256// list). */
int tls_pins_parse_list(const char *spec, struct tls_pins *p, char *err, size_t errlen);
/* 1 when sha256 is one of p's. */
int tls_pins_match(const struct tls_pins *p, const unsigned char sha256[32]);
/* "sha256//BASE64" into out (TLS_PIN_TEXT bytes). */
void tls_pin_text(const unsigned char sha256[32], char *out);
/* The pins in curl's syntax (for CURLOPT_PINNEDPUBLICKEY): malloc'd, or NULL. */
char *tls_pins_curl(const struct tls_pins *p);

/* --- The client certificate's key file ---
 * Refused (as ssh refuses a private key others can read) when the file holding the key
 * (key, else cert) is readable by others (group-readable is allowed: Debian's ssl-cert
 * group), is encrypted (no passphrase prompt here), or can not be read. 0 or -1 (err). */
int tls_key_check(const char *cert, const char *key, char *err, size_t errlen);

/* --- What a handshake showed of the server's certificate ---
 * tls_peer_watch() hooks a verify callback into an SSL_CTX (ours, or libcurl's through
 * CURLOPT_SSL_CTX_FUNCTION): it records the leaf certificate of every handshake made from
 * that context into p, checks it against p->host and p->pins, and never changes OpenSSL's
 * (or libcurl's) decision. */
struct tls_peer {
	/* set by the caller */
	char host[256];                /* the name or address asked for */
	const struct tls_pins *pins;   /* NULL: no pinning */
	int have_cert;                 /* a client certificate is configured */
	/* filled by the callback */
	int seen;                      /* a certificate was recorded */
	char subject[256], issuer[256];
	char names[256];               /* its DNS: and IP: subjectAltNames, else its CN */
	char pin[TLS_PIN_TEXT];
	int verify_err;                /* the first X509_V_ERR_* of the chain check, 0: none */
	int name_bad;                  /* the certificate does not carry host */
	int pin_bad;                   /* its key is not one of pins */
	char alert[80];                /* a fatal alert the server sent ("certificate required") */
	int alert_cert;                /* ... and it is about a (client) certificate */
	int cert_requested;            /* the server asked for a client certificate; none was set */
	char sent_alert[80];           /* the first fatal alert WE sent */
	int sent_garbage;              /* ... and it said the server's answer made no sense (not TLS) */
};
/* ssl_ctx: an SSL_CTX *. Keeps the verify mode, adds the callback. 0 or -1. */
int tls_peer_watch(void *ssl_ctx, struct tls_peer *p);
/* Forget the last handshake (before a new one on the same context). */
void tls_peer_reset(struct tls_peer *p);
enum tls_refusal {
	TLS_REFUSED_CHAIN,   /* the chain is not trusted */
	TLS_REFUSED_NAME,    /* the certificate does not carry the host name */
	TLS_REFUSED_PIN,     /* the key is not pinned */
	TLS_REFUSED_SESSION, /* the server ended the session: a fatal alert, or it closed after
			      * asking for a client certificate that was not given */
};
/* 1 when a broken connection is the server refusing the TLS session (TLS_REFUSED_SESSION). */
int tls_peer_refused_session(const struct tls_peer *p);
/* The one line for a refused certificate: what is wrong, subject, issuer, pin, and the
 * options that would accept it. */
const char *tls_peer_explain(const struct tls_peer *p, enum tls_refusal why, const struct tls_ca *ca,
			     char *out, size_t n);

#endif
