/* SPDX-License-Identifier: MIT */
/* tls.c - OpenSSL client sessions on our own sockets, as a stream backend (stream.h),
 * and the TLS client policy libcurl's connections share (core/xfer.c).
 *
 * The peer's certificate chain and host name (or IP address) are verified by default
 * against the CA source tls_ca_pick() decides (--cacert, the account, CURL_CA_BUNDLE,
 * SSL_CERT_FILE / SSL_CERT_DIR, the system store); --insecure turns verification off and
 * says so; --pinnedpubkey is checked even then (as curl does). --cert/--key present a
 * client certificate. A verify callback records the certificate seen (tls_peer), so that
 * a refusal names its subject, issuer and pin and the options that would accept it.
 * tls_upgrade() is STARTTLS: a plain socket stream becomes a TLS stream on the same fd.
 * tls_server_ctx() is the server side's context (tcp-serve --tls): the sessions and the
 * non-blocking handshakes live in the server's event loop.
 *
 * Header: include/tls.h    Tests: tests/unit/check_tls.c, tests/integration/nntp_tls.sh,
 * tests/integration/tls_client.sh, tests/integration/tcp_tls.sh, tests/fuzz/fuzz_core_pins.c
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "connpol.h"
#include "loop.h"
#include "nt_err.h"
#include "sock.h"
#include "tls.h"

struct tls_ctx {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	short want; /* POLLIN or POLLOUT: what the last call that would block waits for */
	int insecure;
	struct tls_ca ca;
	struct tls_pins pins;
	struct tls_peer peer;
};

/* The first OpenSSL error on the queue (or what the errno says), then clear the queue. */
static void ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	if (e) {
		char b[200];
		ERR_error_string_n(e, b, sizeof b);
		snprintf(err, errlen, "%s: %s", what, b);
	} else if (errno) {
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
	} else {
		snprintf(err, errlen, "%s: connection closed by the peer", what);
	}
	ERR_clear_error();
}

/* Map an SSL_read/SSL_write result to the stream backend contract. */
static ssize_t io_result(struct tls_ctx *c, int r)
{
	if (r > 0)
		return r;
	int e = SSL_get_error(c->ssl, r);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		c->want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		c->want = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0 || errno == EAGAIN)
			return 0; /* EOF without close_notify */
		return -1;
	default:
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

static ssize_t t_read(void *ctx, void *p, size_t n)
{
	struct tls_ctx *c = ctx;
	ERR_clear_error();
	errno = 0;
	if (n > 0x40000000)
		n = 0x40000000;
	return io_result(c, SSL_read(c->ssl, p, (int)n));
}

static ssize_t t_write(void *ctx, const void *p, size_t n)
{
	struct tls_ctx *c = ctx;
	ERR_clear_error();
	errno = 0;
	if (n == 0)
		return 0;
	if (n > 0x40000000)
		n = 0x40000000;
	return io_result(c, SSL_write(c->ssl, p, (int)n));
}

static int t_fd(void *ctx)
{
	return ((struct tls_ctx *)ctx)->fd;
}

static short t_wants(void *ctx, short dflt)
{
	struct tls_ctx *c = ctx;
	short w = c->want ? c->want : dflt;
	c->want = 0;
	return w;
}

static void ctx_free(struct tls_ctx *c)
{
	if (!c)
		return;
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->ctx)
		SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void t_close(void *ctx)
{
	struct tls_ctx *c = ctx;
	/* Best effort close_notify: the socket is non-blocking, we do not wait for the answer. */
	if (c->ssl && SSL_is_init_finished(c->ssl)) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	ctx_free(c);
}

/* The TLS half-close: close_notify (the peer may go on sending, and we on reading),
 * waiting a few seconds at most for the socket to take it. */
static int t_shutdown_wr(void *ctx)
{
	struct tls_ctx *c = ctx;
	for (;;) {
		ERR_clear_error();
		int r = SSL_shutdown(c->ssl);
		if (r >= 0)
			return 0; /* sent (1: theirs had come too) */
		int e = SSL_get_error(c->ssl, r);
		ERR_clear_error();
		if (e != SSL_ERROR_WANT_WRITE) {
			errno = e == SSL_ERROR_WANT_READ ? 0 : EPROTO;
			return e == SSL_ERROR_WANT_READ ? 0 : -1;
		}
		if (sock_wait(c->fd, POLLOUT, 5000) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

static const struct stream_ops tls_ops = {t_read, t_write, t_fd, t_wants, t_close, "tls", t_shutdown_wr};

static int is_ip_literal(const char *host)
{
	unsigned char b[16];
	return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

void tls_opts_from(struct tls_opts *t, const struct conn_opts *c)
{
	memset(t, 0, sizeof *t);
	t->cacert = c->cacert;
	t->insecure = c->insecure;
	t->cert = c->cert;
	t->key = c->key;
	t->pinnedpubkey = c->pinnedpubkey;
}

int tls_opts_check(const struct tls_opts *t, char *err, size_t errlen)
{
	struct tls_pins pins;
	char e[600];
	if (t->pinnedpubkey && tls_pins_parse(t->pinnedpubkey, &pins, e, sizeof e) < 0) {
		snprintf(err, errlen, "pinnedpubkey: %s", e);
		return NT_EXIT_USAGE;
	}
	if (t->cert && tls_key_check(t->cert, t->key, err, errlen) < 0)
		return NT_EXIT_TLS;
	return 0;
}

/* ---------------------------------------------------------------- the CA source */

static const char *env_set(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

void tls_ca_pick(const char *cacert, struct tls_ca *ca)
{
	memset(ca, 0, sizeof *ca);
	if (cacert) {
		ca->file = cacert;
		ca->from = "--cacert";
	} else if ((ca->file = env_set("CURL_CA_BUNDLE"))) {
		ca->from = "CURL_CA_BUNDLE";
	} else {
		ca->file = env_set("SSL_CERT_FILE");
		ca->dir = env_set("SSL_CERT_DIR");
		ca->from = ca->file && ca->dir ? "SSL_CERT_FILE and SSL_CERT_DIR"
			   : ca->file	       ? "SSL_CERT_FILE"
			   : ca->dir	       ? "SSL_CERT_DIR"
					       : "the system store";
	}
}

const char *tls_ca_name(const struct tls_ca *ca, char *out, size_t n)
{
	if (!ca->file && !ca->dir)
		snprintf(out, n, "the system store");
	else if (!strcmp(ca->from, "--cacert"))
		snprintf(out, n, "%s", ca->file);
	else
		snprintf(out, n, "%s%s%s (%s)", ca->file ? ca->file : "", ca->file && ca->dir ? " and " : "",
			 ca->dir ? ca->dir : "", ca->from);
	return out;
}

/* Load the CA source into ctx. The system store is OpenSSL's default file and folder,
 * read without the environment: tls_ca_pick has already looked at the variables. */
static int ca_load(SSL_CTX *ctx, const struct tls_ca *ca, char *err, size_t errlen)
{
	if (!ca->file && !ca->dir) {
		X509_STORE *st = SSL_CTX_get_cert_store(ctx);
		X509_STORE_load_file(st, X509_get_default_cert_file()); /* a missing file is no error */
		X509_STORE_load_path(st, X509_get_default_cert_dir());
		ERR_clear_error();
		return 0;
	}
	struct stat st;
	if (ca->dir && (stat(ca->dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
		snprintf(err, errlen, "cannot load CA certificates from %s (%s): not a folder", ca->dir, ca->from);
		return -1;
	}
	if (SSL_CTX_load_verify_locations(ctx, ca->file, ca->dir) != 1) {
		char what[600], name[500];
		snprintf(what, sizeof what, "cannot load CA certificates from %s", tls_ca_name(ca, name, sizeof name));
		ssl_err(err, errlen, what);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- pins */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* The 44 characters of a canonical standard base64 of 32 bytes (curl compares the text,
 * so only the one spelling it prints can ever match). */
static int b64_sha256(const char *s, unsigned char out[32])
{
	unsigned acc = 0;
	int bits = 0, o = 0;
	for (int i = 0; i < 43; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* 43 x 6 = 258 bits: 32 bytes and 2 bits that must be zero, then one '='. */
	if (o != 32 || acc != 0 || s[43] != '=')
		return -1;
	return 0;
}

/* The user's text for a message: at most 60 bytes, cut at a control character. */
static const char *shown(const char *s, size_t n, char *out, size_t outn)
{
	char b[64];
	nt_clean_text(b, sizeof b, s, n > 60 ? 60 : n);
	snprintf(out, outn, "%s%s", b, n > 60 ? "..." : "");
	return out;
}

int tls_pins_parse_list(const char *spec, struct tls_pins *p, char *err, size_t errlen)
{
	char b[80];
	memset(p, 0, sizeof *p);
	const char *s = spec;
	for (;;) {
		size_t n = strcspn(s, ";");
		if (n == 0) {
			snprintf(err, errlen, "an empty pin in '%s' (pins are sha256//BASE64, separated by ';')",
				 shown(spec, strlen(spec), b, sizeof b));
			return -1;
		}
		if (n < 8 || strncmp(s, "sha256//", 8)) {
			snprintf(err, errlen, "'%s' is not a pin: sha256//BASE64 (or one public key file)",
				 shown(s, n, b, sizeof b));
			return -1;
		}
		if (n != 8 + 44 || b64_sha256(s + 8, p->sha256[p->n]) < 0) {
			snprintf(err, errlen, "'%s': a pin is sha256// and the 44 base64 characters of a SHA-256",
				 shown(s, n, b, sizeof b));
			return -1;
		}
		if (++p->n > TLS_PINS_MAX - 1 && s[n]) {
			snprintf(err, errlen, "more than %d pins", TLS_PINS_MAX);
			return -1;
		}
		s += n;
		if (!*s)
			return 0;
		s++; /* ';' */
	}
}

static int pubkey_sha256(X509_PUBKEY *pk, unsigned char out[32])
{
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(pk, &der);
	if (n <= 0)
		return -1;
	unsigned len = 0;
	int ok = EVP_Digest(der, (size_t)n, out, &len, EVP_sha256(), NULL);
	OPENSSL_free(der);
	return ok == 1 && len == 32 ? 0 : -1;
}

/* One public key from a file, PEM or DER, as curl reads --pinnedpubkey FILE. */
static int pins_file(const char *path, struct tls_pins *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	BIO *bio = BIO_new_file(path, "rb");
	if (!bio) {
		snprintf(err, errlen, "cannot read the public key file %s: %s", path, strerror(errno ? errno : ENOENT));
		ERR_clear_error();
		return -1;
	}
	EVP_PKEY *k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!k) {
		ERR_clear_error();
		BIO_reset(bio);
		k = d2i_PUBKEY_bio(bio, NULL);
	}
	BIO_free(bio);
	ERR_clear_error();
	X509_PUBKEY *xpk = NULL;
	int r = -1;
	if (k && X509_PUBKEY_set(&xpk, k) == 1 && pubkey_sha256(xpk, p->sha256[0]) == 0) {
		p->n = 1;
		r = 0;
	} else {
		snprintf(err, errlen, "%s holds no public key (PEM 'BEGIN PUBLIC KEY' or DER; from a certificate: "
				      "openssl x509 -pubkey -noout -in CERT), nor is it sha256//BASE64", path);
	}
	X509_PUBKEY_free(xpk);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return r;
}

int tls_pins_parse(const char *spec, struct tls_pins *p, char *err, size_t errlen)
{
	if (!strncmp(spec, "sha256//", 8))
		return tls_pins_parse_list(spec, p, err, errlen);
	return pins_file(spec, p, err, errlen);
}

int tls_pins_match(const struct tls_pins *p, const unsigned char sha256[32])
{
	for (int i = 0; i < p->n; i++)
		if (!memcmp(p->sha256[i], sha256, 32))
			return 1;
	return 0;
}

void tls_pin_text(const unsigned char sha256[32], char *out)
{
	memcpy(out, "sha256//", 8);
	EVP_EncodeBlock((unsigned char *)out + 8, sha256, 32); /* 44 characters and a NUL */
}

char *tls_pins_curl(const struct tls_pins *p)
{
	char *s = malloc((size_t)p->n * TLS_PIN_TEXT + 1);
	if (!s)
		return NULL;
	size_t o = 0;
	s[0] = 0;
	for (int i = 0; i < p->n; i++) {
		if (i)
			s[o++] = ';';
		tls_pin_text(p->sha256[i], s + o);
		o += strlen(s + o);
	}
	return s;
}

/* ---------------------------------------------------------------- the client certificate */

int tls_key_check(const char *cert, const char *key, char *err, size_t errlen)
{
	const char *f = key ? key : cert;
	int fd = open(f, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot read the %s %s: %s", key ? "key file" : "certificate file", f, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode) && (st.st_mode & S_IROTH)) {
		snprintf(err, errlen, "%s holds a private key and others can read it (mode %04o): refused, as ssh "
				      "refuses such keys (chmod o-r %s)", f, (unsigned)(st.st_mode & 07777), f);
		close(fd);
		return -1;
	}
	/* Enough of the file to see its PEM labels (a key with its chain is a few KiB). */
	static char b[1 << 16];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof b - 1 && (r = read(fd, b + n, sizeof b - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	b[n] = 0;
	/* PKCS#8 "BEGIN ENCRYPTED PRIVATE KEY", or the old "Proc-Type: 4,ENCRYPTED" header. */
	if (memmem(b, n, "ENCRYPTED PRIVATE KEY-----", 26) || memmem(b, n, "Proc-Type: 4,ENCRYPTED", 22)) {
		snprintf(err, errlen, "the private key in %s is encrypted: nettool asks for no passphrase (openssl pkey "
				      "-in %s -out NEW writes it unencrypted; keep NEW mode 600)", f, f);
		return -1;
	}
	if (!memmem(b, n, "PRIVATE KEY-----", 16)) {
		snprintf(err, errlen, "%s holds no private key in PEM%s", f, key ? "" : " (give it with --key FILE)");
		return -1;
	}
	return 0;
}

/* No passphrase prompt from OpenSSL, ever: tls_key_check refused encrypted keys already. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return 0;
}

static int use_client_cert(SSL_CTX *ctx, const char *cert, const char *key, char *err, size_t errlen)
{
	if (tls_key_check(cert, key, err, errlen) < 0)
		return -1;
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	char what[600];
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(what, sizeof what, "cannot use the client certificate %s", cert);
		ssl_err(err, errlen, what);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key ? key : cert, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
			snprintf(err, errlen, "the key in %s does not belong to the certificate in %s", key ? key : cert,
				 cert);
			ERR_clear_error();
			return -1;
		}
		snprintf(what, sizeof what, "cannot use the private key in %s", key ? key : cert);
		ssl_err(err, errlen, what);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "the key in %s does not belong to the certificate in %s", key ? key : cert, cert);
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- the certificate seen */

static int peer_idx = -1;

/* An X509 name as RFC 2253 text (UTF-8 kept), cut at a control character. */
static void name_text(const X509_NAME *nm, char *out, size_t n)
{
	out[0] = 0;
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return;
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		char *d;
		long len = BIO_get_mem_data(b, &d);
		nt_clean_text(out, n, d, len > 0 ? (size_t)len : 0);
	}
	BIO_free(b);
}

static void add_name(char *out, size_t n, const char *kind, const char *v, size_t len)
{
	size_t o = strlen(out);
	char c[200];
	nt_clean_text(c, sizeof c, v, len);
	if (o + strlen(kind) + strlen(c) + 3 < n)
		snprintf(out + o, n - o, "%s%s%s", o ? ", " : "", kind, c);
}

static void cert_names(X509 *x, char *out, size_t n)
{
	out[0] = 0;
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			add_name(out, n, "DNS:", (const char *)ASN1_STRING_get0_data(g->d.dNSName),
				 (size_t)ASN1_STRING_length(g->d.dNSName));
		} else if (g->type == GEN_IPADD) {
			char a[INET6_ADDRSTRLEN] = "?";
			int len = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *d = ASN1_STRING_get0_data(g->d.iPAddress);
			if (len == 4 || len == 16)
				inet_ntop(len == 4 ? AF_INET : AF_INET6, d, a, sizeof a);
			add_name(out, n, "IP:", a, strlen(a));
		}
	}
	GENERAL_NAMES_free(gens);
	if (!out[0]) {
		const X509_NAME *nm = X509_get_subject_name(x);
		int i = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
		const ASN1_STRING *cn = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)) : NULL;
		if (cn)
			add_name(out, n, "CN=", (const char *)ASN1_STRING_get0_data(cn), (size_t)ASN1_STRING_length(cn));
		else
			snprintf(out, n, "no name");
	}
}

static void record(struct tls_peer *p, X509 *leaf)
{
	p->seen = 1;
	name_text(X509_get_subject_name(leaf), p->subject, sizeof p->subject);
	name_text(X509_get_issuer_name(leaf), p->issuer, sizeof p->issuer);
	cert_names(leaf, p->names, sizeof p->names);
	unsigned char sha[32];
	if (pubkey_sha256(X509_get_X509_PUBKEY(leaf), sha) == 0) {
		tls_pin_text(sha, p->pin);
		p->pin_bad = p->pins && p->pins->n && !tls_pins_match(p->pins, sha);
	} else {
		snprintf(p->pin, sizeof p->pin, "(no key)");
		p->pin_bad = p->pins && p->pins->n;
	}
	if (p->host[0])
		p->name_bad = is_ip_literal(p->host) ? X509_check_ip_asc(leaf, p->host, 0) != 1
						     : X509_check_host(leaf, p->host, 0, 0, NULL) != 1;
	ERR_clear_error();
}

static struct tls_peer *peer_of(const SSL *ssl)
{
	return ssl && peer_idx >= 0 ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), peer_idx) : NULL;
}

/* Called by OpenSSL for each certificate of the chain (from the top, or where it fails):
 * the first call of a handshake records the leaf, whatever the depth; the decision is
 * OpenSSL's (ok), unchanged. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	struct tls_peer *p = peer_of(X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx()));
	if (!p)
		return ok;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	if (!p->seen && leaf)
		record(p, leaf);
	if (!ok && !p->verify_err)
		p->verify_err = X509_STORE_CTX_get_error(xs);
	return ok;
}

/* A fatal alert from the server ("certificate required" under TLS 1.3 arrives after the
 * client's side of the handshake is done). */
static void info_cb(const SSL *ssl, int where, int ret)
{
	if (!(where & SSL_CB_READ_ALERT) || strcmp(SSL_alert_type_string(ret), "F"))
		return;
	struct tls_peer *p = peer_of(ssl);
	if (!p || p->alert[0])
		return;
	int d = ret & 0xff;
	/* OpenSSL 3.0 names no TLS 1.3 alert: certificate_required is 116 (RFC 8446). */
	snprintf(p->alert, sizeof p->alert, "%s", d == 116 ? "certificate required" : SSL_alert_desc_string_long(ret));
	p->alert_cert = d == 116 || d == SSL3_AD_HANDSHAKE_FAILURE || (d >= SSL3_AD_BAD_CERTIFICATE &&
		d <= SSL3_AD_CERTIFICATE_UNKNOWN) || d == TLS1_AD_UNKNOWN_CA || d == TLS1_AD_ACCESS_DENIED;
}

/* The server asks for a client certificate and none is set: say so if it then hangs up. */
static int client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	(void)x509, (void)pkey;
	struct tls_peer *p = peer_of(ssl);
	if (p)
		p->cert_requested = 1;
	return 0; /* no certificate */
}

int tls_peer_watch(void *ssl_ctx, struct tls_peer *p)
{
	SSL_CTX *ctx = ssl_ctx;
	if (peer_idx < 0)
		peer_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (peer_idx < 0 || SSL_CTX_set_ex_data(ctx, peer_idx, p) != 1)
		return -1;
	SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), verify_cb);
	SSL_CTX_set_info_callback(ctx, info_cb);
	SSL_CTX_set_client_cert_cb(ctx, client_cert_cb);
	return 0;
}

int tls_peer_refused_session(const struct tls_peer *p)
{
	return p->alert[0] || p->cert_requested;
}

void tls_peer_reset(struct tls_peer *p)
{
	p->seen = p->verify_err = p->name_bad = p->pin_bad = p->alert_cert = p->cert_requested = 0;
	p->subject[0] = p->issuer[0] = p->names[0] = p->pin[0] = p->alert[0] = 0;
}

const char *tls_peer_explain(const struct tls_peer *p, enum tls_refusal why, const struct tls_ca *ca,
			     char *out, size_t n)
{
	char who[700], host[256], can[600];
	nt_clean_text(host, sizeof host, p->host, strlen(p->host));
	if (p->seen)
		snprintf(who, sizeof who, "subject %s, issuer %s, pin %s", p->subject[0] ? p->subject : "(empty)",
			 p->issuer[0] ? p->issuer : "(empty)", p->pin);
	else
		snprintf(who, sizeof who, "no certificate was seen");
	switch (why) {
	case TLS_REFUSED_SESSION:
		if (p->alert[0])
			snprintf(out, n, "the server refused the TLS session (alert: %s)%s", p->alert,
				 p->cert_requested ? "; it asked for a client certificate and none was given (--cert FILE)"
				 : p->have_cert && p->alert_cert ? "; it did not accept the client certificate (--cert)"
								 : "");
		else
			snprintf(out, n, "the server closed the connection after the TLS handshake; it had asked for a "
					 "client certificate and none was given (--cert FILE)");
		break;
	case TLS_REFUSED_PIN:
		snprintf(out, n, "the server's public key is not one of --pinnedpubkey: %s; to accept it: add %s to "
				 "--pinnedpubkey", who, p->seen ? p->pin : "its pin");
		break;
	case TLS_REFUSED_NAME:
		snprintf(out, n, "certificate verification failed (host name mismatch): it is for %s, not %s: %s; to "
				 "accept it: connect by one of its names, --pinnedpubkey %s --insecure (this key only), "
				 "or --insecure", p->seen ? p->names : "other names", host, who,
			 p->seen ? p->pin : "sha256//...");
		break;
	case TLS_REFUSED_CHAIN:
	default:
		snprintf(out, n, "certificate verification failed (%s; CA: %s): %s; to accept it: --cacert FILE (the "
				 "CA that issued it), --pinnedpubkey %s --insecure (this key only), or --insecure",
			 p->verify_err ? X509_verify_cert_error_string(p->verify_err) : "not trusted",
			 tls_ca_name(ca, can, sizeof can), who, p->seen ? p->pin : "sha256//...");
		break;
	}
	return out;
}

/* ---------------------------------------------------------------- sessions on our sockets */

static int warned_insecure;

/* Make the SSL_CTX and SSL for fd with the verification policy of o. */
static struct tls_ctx *ctx_new(int fd, const char *host, const struct tls_opts *o, char *err, size_t errlen)
{
	static const struct tls_opts none;
	if (!o)
		o = &none;
	struct tls_ctx *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->insecure = o->insecure;
	snprintf(c->peer.host, sizeof c->peer.host, "%s", host ? host : "");
	if (o->pinnedpubkey) {
		if (tls_pins_parse(o->pinnedpubkey, &c->pins, err, errlen) < 0)
			goto fail;
		c->peer.pins = &c->pins;
	}
	ERR_clear_error();
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		ssl_err(err, errlen, "TLS context");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* A peer that closes without close_notify ends the stream; the protocol layer decides
	 * whether that was in the middle of something. */
	SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	tls_ca_pick(o->cacert, &c->ca);
	if (o->insecure) {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
		if (!warned_insecure++)
			nt_warn("warning: --insecure: the server's certificate and name are not verified");
	} else {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
		if (ca_load(c->ctx, &c->ca, err, errlen) < 0)
			goto fail;
	}
	if (o->cert && use_client_cert(c->ctx, o->cert, o->key, err, errlen) < 0)
		goto fail;
	c->peer.have_cert = o->cert != NULL;
	if (tls_peer_watch(c->ctx, &c->peer) < 0) {
		ssl_err(err, errlen, "TLS context");
		goto fail;
	}
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
		ssl_err(err, errlen, "TLS session");
		goto fail;
	}
	if (host && *host) {
		int ip = is_ip_literal(host);
		if (!ip)
			SSL_set_tlsext_host_name(c->ssl, host); /* SNI is for names only */
		if (!o->insecure) {
			X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
			int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) : SSL_set1_host(c->ssl, host);
			if (ok != 1) {
				ssl_err(err, errlen, "TLS host name check");
				goto fail;
			}
		}
	}
	return c;
fail:
	ctx_free(c);
	return NULL;
}

/* Why the handshake failed, in one line after "TLS handshake with HOST: ". */
static void handshake_failed(struct tls_ctx *c, const char *host, char *err, size_t errlen)
{
	char what[300], line[1500];
	snprintf(what, sizeof what, "TLS handshake with %s", host);
	long v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK && !c->insecure) {
		if (!c->peer.verify_err)
			c->peer.verify_err = (int)v;
		int name = v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH;
		snprintf(err, errlen, "%s: %s", what,
			 tls_peer_explain(&c->peer, name ? TLS_REFUSED_NAME : TLS_REFUSED_CHAIN, &c->ca, line, sizeof line));
		ERR_clear_error();
	} else if (tls_peer_refused_session(&c->peer)) {
		snprintf(err, errlen, "%s: %s", what,
			 tls_peer_explain(&c->peer, TLS_REFUSED_SESSION, &c->ca, line, sizeof line));
		ERR_clear_error();
	} else {
		ssl_err(err, errlen, what);
	}
}

/* Run the handshake on the non-blocking socket within timeout_ms. 0 or -1 (err). */
static int handshake(struct tls_ctx *c, const char *host, int timeout_ms, char *err, size_t errlen)
{
	long long end = timeout_ms > 0 ? loop_now_ms() + timeout_ms : 0;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		int r = SSL_connect(c->ssl);
		if (r == 1)
			break;
		int e = SSL_get_error(c->ssl, r);
		short ev;
		if (e == SSL_ERROR_WANT_READ)
			ev = POLLIN;
		else if (e == SSL_ERROR_WANT_WRITE)
			ev = POLLOUT;
		else {
			handshake_failed(c, host, err, errlen);
			return -1;
		}
		int left = -1;
		if (timeout_ms > 0) {
			long long l = end - loop_now_ms();
			if (l <= 0) {
				snprintf(err, errlen, "TLS handshake with %s: timed out", host);
				return -1;
			}
			left = (int)l;
		}
		int w = sock_wait(c->fd, ev, left);
		if (w == 0) {
			snprintf(err, errlen, "TLS handshake with %s: timed out", host);
			return -1;
		}
		if (w < 0) {
			snprintf(err, errlen, "TLS handshake with %s: %s", host, strerror(errno));
			return -1;
		}
	}
	/* The pins, with --insecure too (as curl): on the certificate the handshake used. */
	if (c->pins.n) {
		X509 *leaf = SSL_get1_peer_certificate(c->ssl);
		if (leaf && !c->peer.seen)
			record(&c->peer, leaf); /* a resumed session runs no verify callback */
		X509_free(leaf);
		if (!leaf || c->peer.pin_bad) {
			char line[1500];
			snprintf(err, errlen, "TLS handshake with %s: %s", host,
				 tls_peer_explain(&c->peer, TLS_REFUSED_PIN, &c->ca, line, sizeof line));
			return -1;
		}
	}
	return 0;
}

struct stream *tls_client(int fd, const char *host, const struct tls_opts *o, size_t max_line,
			  int timeout_ms, char *err, size_t errlen)
{
	if (sock_set_nonblock(fd, 1) < 0) {
		snprintf(err, errlen, "TLS: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	struct tls_ctx *c = ctx_new(fd, host, o, err, errlen);
	if (!c)
		return NULL;
	if (handshake(c, host ? host : "server", timeout_ms, err, errlen) < 0) {
		ctx_free(c);
		return NULL;
	}
	struct stream *s = stream_new(&tls_ops, c, max_line, timeout_ms);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		t_close(c);
	}
	return s;
}

struct stream *tls_upgrade(struct stream *plain, const char *host, const struct tls_opts *o,
			   char *err, size_t errlen)
{
	if (buf_pending(&plain->in) || buf_pending(&plain->out)) {
		snprintf(err, errlen, "STARTTLS: unexpected data before the TLS handshake");
		stream_close(plain);
		return NULL;
	}
	int fd = dup(plain->ops->fd(plain->ctx));
	if (fd < 0) {
		snprintf(err, errlen, "STARTTLS: %s", strerror(errno));
		stream_close(plain);
		return NULL;
	}
	size_t max_line = plain->max_line;
	int timeout_ms = plain->timeout_ms;
	void (*trace)(char, const char *, size_t) = plain->trace;
	stream_close(plain);
	struct stream *s = tls_client(fd, host, o, max_line, timeout_ms, err, errlen);
	if (s)
		s->trace = trace;
	return s;
}

const char *tls_stream_refused(struct stream *s, char *out, size_t n)
{
	if (!s || s->ops != &tls_ops)
		return NULL;
	struct tls_ctx *c = s->ctx;
	if (!tls_peer_refused_session(&c->peer))
		return NULL;
	return tls_peer_explain(&c->peer, TLS_REFUSED_SESSION, &c->ca, out, n);
}

struct ssl_ctx_st *tls_server_ctx(const struct tls_server_conf *c, char *err, size_t errlen)
{
	char what[600];
	/* The key file as a client's: not readable by others, not encrypted (a server must
	 * not stop at a passphrase prompt, least of all at SIGHUP). */
	if (tls_key_check(c->cert, c->key, err, errlen) < 0)
		return NULL;
	ERR_clear_error();
	errno = 0;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		ssl_err(err, errlen, "TLS server context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	/* Resumption by tickets (stateless) only: no per-session memory on the server. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	if (SSL_CTX_use_certificate_chain_file(ctx, c->cert) != 1) {
		snprintf(what, sizeof what, "cannot load the certificate from %s", c->cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->key, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
			snprintf(what, sizeof what, "the key in %s does not match the certificate in %s", c->key, c->cert);
		else
			snprintf(what, sizeof what, "cannot load the private key from %s (PEM, no passphrase)", c->key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(what, sizeof what, "the key in %s does not match the certificate in %s", c->key, c->cert);
		goto fail;
	}
	if (c->verify_client) {
		int ok = c->cacert ? SSL_CTX_load_verify_locations(ctx, c->cacert, NULL)
				   : SSL_CTX_set_default_verify_paths(ctx);
		if (ok != 1) {
			snprintf(what, sizeof what, "cannot load CA certificates%s%s", c->cacert ? " from " : "",
				 c->cacert ? c->cacert : "");
			goto fail;
		}
		if (c->cacert) {
			/* The CAs a client may pick its certificate from (CertificateRequest). */
			STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(c->cacert);
			if (names)
				SSL_CTX_set_client_CA_list(ctx, names);
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		static const unsigned char sid[] = "nettool tcp-serve";
		SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
	}
	return ctx;
fail:
	ssl_err(err, errlen, what);
	SSL_CTX_free(ctx);
	return NULL;
}

const char *tls_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
