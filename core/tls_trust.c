/* SPDX-License-Identifier: MIT */
/* tls_trust.c - whom a TLS client trusts and how a refusal is said: the CA source
 * (tls_ca_pick: --cacert, the account, CURL_CA_BUNDLE, SSL_CERT_FILE / SSL_CERT_DIR, the
 * system store), public-key pins (curl's --pinnedpubkey syntax), and the record of the
 * certificate a handshake showed (tls_peer: a verify callback on our SSL_CTX or
 * libcurl's) with the one line that explains a refusal. Shared by our sessions
 * (tls.c) and libcurl's (core/xfer.c).
 *
 * Header: include/tls.h    Tests: tests/unit/check_tls.c, tests/integration/tls_client.sh,
 * tests/integration/nntp_tls.sh, tests/fuzz/fuzz_core_pins.c
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

#include "nt_err.h"
#include "tls.h"
#include "tls_impl.h"

int tls_is_ip_literal(const char *host)
{
	unsigned char b[16];
	return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
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
int tls_ca_load(SSL_CTX *ctx, const struct tls_ca *ca, char *err, size_t errlen)
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
	if (ca->file && !strcmp(ca->from, "--cacert") && tls_load_check("CA certificates", ca->file, err, errlen) < 0)
		return -1;
	if (SSL_CTX_load_verify_locations(ctx, ca->file, ca->dir) != 1) {
		char what[600], name[500];
		snprintf(what, sizeof what, "cannot load CA certificates from %s", tls_ca_name(ca, name, sizeof name));
		tls_ssl_err(err, errlen, what);
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

void tls_peer_record(struct tls_peer *p, X509 *leaf)
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
		p->name_bad = tls_is_ip_literal(p->host) ? X509_check_ip_asc(leaf, p->host, 0) != 1
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
		tls_peer_record(p, leaf);
	if (!ok && !p->verify_err)
		p->verify_err = X509_STORE_CTX_get_error(xs);
	return ok;
}

const char *tls_alert_desc(int d)
{
	/* OpenSSL 3.0 names no TLS 1.3 alert: certificate_required is 116 (RFC 8446). */
	return d == 116 ? "certificate required" : SSL_alert_desc_string_long(d & 0xff);
}

static const char *alert_name(int ret)
{
	return tls_alert_desc(ret & 0xff);
}

/* A fatal alert from the server ("certificate required" under TLS 1.3 arrives after the
 * client's side of the handshake is done). */
static void info_cb(const SSL *ssl, int where, int ret)
{
	if (!(where & SSL_CB_ALERT) || strcmp(SSL_alert_type_string(ret), "F"))
		return;
	struct tls_peer *p = peer_of(ssl);
	if (!p || p->alert[0])
		return;
	/* SSL_CB_WRITE_ALERT holds SSL_CB_ALERT: every alert has a bit of it, only ours has
	 * SSL_CB_WRITE (the server's certificate_required was taken for one we sent, and
	 * named "unknown"). */
	if (where & SSL_CB_WRITE) {
		/* Ours, before any of the server's: the handshake's failure is not the server's
		 * refusal (an echo service even sends our alert back). tls.c says it so. */
		if (!p->sent_alert[0]) {
			int d = ret & 0xff;
			snprintf(p->sent_alert, sizeof p->sent_alert, "%s", alert_name(ret));
			p->sent_garbage = d == SSL3_AD_UNEXPECTED_MESSAGE || d == TLS1_AD_DECODE_ERROR ||
					  d == TLS1_AD_RECORD_OVERFLOW;
		}
		return;
	}
	int d = ret & 0xff;
	snprintf(p->alert, sizeof p->alert, "%s", alert_name(ret));
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
	return p->alert[0] || p->sent_alert[0] || p->cert_requested;
}

void tls_peer_reset(struct tls_peer *p)
{
	p->seen = p->verify_err = p->name_bad = p->pin_bad = p->alert_cert = p->cert_requested = p->sent_garbage = 0;
	p->subject[0] = p->issuer[0] = p->names[0] = p->pin[0] = p->alert[0] = p->sent_alert[0] = 0;
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
		if (p->alert[0] || p->sent_alert[0])
			snprintf(out, n, "the server refused the TLS session (alert: %s)%s", p->alert[0] ? p->alert : p->sent_alert,
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
