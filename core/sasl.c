/* SPDX-License-Identifier: MIT */
/* sasl.c - a SASL login read off the protocol trace: the mechanisms offered, the one we
 * started, the server's error challenge (RFC 7628 JSON in base64) and its final reply,
 * for the words of a refused login. Bounded parsers of server input only.
 *
 * Header: include/sasl.h    Tests: tests/unit/check_sasl.c, tests/fuzz/fuzz_core_sasl.c,
 * tests/integration/oauth2.sh
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "out.h"
#include "sasl.h"

static const struct {
	const char *name;
	unsigned bit;
} mechs[] = {
	{"XOAUTH2", SASL_XOAUTH2},
	{"OAUTHBEARER", SASL_OAUTHBEARER},
	{"PLAIN", SASL_PLAIN},
	{"LOGIN", SASL_LOGIN},
};

unsigned sasl_mech_bit(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof mechs / sizeof *mechs; i++)
		if (strlen(mechs[i].name) == n && !strncasecmp(name, mechs[i].name, n))
			return mechs[i].bit;
	return SASL_OTHER;
}

/* n without the trailing CR/LF. */
static size_t chomp(const char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

/* Does s (n bytes) start with word (case-insensitive) followed by end, a space or c? */
static int starts(const char *s, size_t n, const char *word, char c)
{
	size_t w = strlen(word);
	return n >= w && !strncasecmp(s, word, w) && (n == w || s[w] == ' ' || (c && s[w] == c));
}

static void add_word(const char *w, size_t l, unsigned *bits, char *text, size_t textn, size_t *o)
{
	if (!l)
		return;
	*bits |= sasl_mech_bit(w, l);
	if (*o + 1 + l >= textn)
		return; /* the list is for a message: the bits are complete, the text may stop */
	if (*o)
		text[(*o)++] = ' ';
	*o += out_clean(text + *o, textn - *o, w, l, 0);
}

/* The words of line[from..n), separated by spaces: add_word each. */
static void add_words(const char *line, size_t from, size_t n, unsigned *bits, char *text, size_t textn, size_t *o)
{
	for (size_t i = from; i < n;) {
		while (i < n && line[i] == ' ')
			i++;
		size_t s = i;
		while (i < n && line[i] != ' ')
			i++;
		add_word(line + s, i - s, bits, text, textn, o);
	}
}

int sasl_offer_parse(const char *line, size_t n, unsigned *bits, char *text, size_t textn)
{
	n = chomp(line, n);
	size_t o = 0, i;
	*bits = 0;
	if (textn)
		text[0] = 0;
	if (starts(line, n, "SASL", 0)) { /* POP3 CAPA */
		add_words(line, 4, n, bits, text, textn, &o);
		return 1;
	}
	if (n >= 4 && isdigit((unsigned char)line[0]) && (line[3] == '-' || line[3] == ' ') &&
	    starts(line + 4, n - 4, "AUTH", '=')) { /* SMTP EHLO: "250-AUTH X Y", old "250-AUTH=X Y" */
		add_words(line, 9, n, bits, text, textn, &o);
		return 1;
	}
	/* IMAP: a CAPABILITY word after the tag ("* CAPABILITY", or "[CAPABILITY" in an OK). */
	const char *cap = NULL;
	for (i = 0; i + 10 <= n; i++)
		if ((i == 0 || line[i - 1] == ' ' || line[i - 1] == '[') && !strncasecmp(line + i, "CAPABILITY", 10) &&
		    (i + 10 == n || line[i + 10] == ' ' || line[i + 10] == ']')) {
			cap = line + i + 10;
			break;
		}
	if (!cap || line[0] == '+')
		return 0;
	size_t rest = n - (size_t)(cap - line);
	for (i = 0; i < rest;) {
		while (i < rest && cap[i] == ' ')
			i++;
		size_t s = i;
		while (i < rest && cap[i] != ' ' && cap[i] != ']')
			i++;
		if (i - s > 5 && !strncasecmp(cap + s, "AUTH=", 5))
			add_word(cap + s + 5, i - s - 5, bits, text, textn, &o);
		if (i < rest && cap[i] == ']')
			break;
	}
	return 1;
}

int sasl_b64_decode(const char *in, size_t n, unsigned char *out, size_t outn)
{
	while (n && (*in == ' ' || *in == '\t'))
		in++, n--;
	n = chomp(in, n);
	while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n % 4 || n / 4 * 3 > outn || n > 1 << 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (!(isalnum(c) || c == '+' || c == '/' || (c == '=' && i >= n - 2)))
			return -1;
	}
	if (!n)
		return 0;
	if (in[n - 2] == '=' && in[n - 1] != '=')
		return -1; /* "YW=j" */
	size_t pad = in[n - 1] == '=' ? (in[n - 2] == '=' ? 2 : 1) : 0;
	int r = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (r < 0 || (size_t)r < pad)
		return -1;
	return r - (int)pad;
}

/* A JSON string at s[*i] (a '"'): its value into out (escapes undone, \u as '?' beyond
 * ASCII), *i past it. 0, or -1 when malformed. */
static int json_string(const char *s, size_t n, size_t *i, char *out, size_t outn)
{
	size_t o = 0;
	if (*i >= n || s[*i] != '"')
		return -1;
	for (size_t k = *i + 1; k < n; k++) {
		char c = s[k];
		if (c == '"') {
			if (outn)
				out[o < outn ? o : outn - 1] = 0;
			*i = k + 1;
			return 0;
		}
		if (c == '\\') {
			if (++k >= n)
				return -1;
			switch (s[k]) {
			case 'n': case 'r': case 't': case 'b': case 'f': c = ' '; break;
			case 'u': {
				unsigned v = 0;
				if (k + 4 >= n)
					return -1;
				for (int d = 1; d <= 4; d++) {
					int x = (unsigned char)s[k + d];
					if (!isxdigit(x))
						return -1;
					v = v * 16 + (unsigned)(isdigit(x) ? x - '0' : tolower(x) - 'a' + 10);
				}
				k += 4;
				c = v >= 0x20 && v < 0x7f ? (char)v : '?';
				break;
			}
			case '"': case '\\': case '/': c = s[k]; break;
			default: return -1;
			}
		}
		if (o + 1 < outn)
			out[o++] = c;
	}
	return -1;
}

static void skip_ws(const char *s, size_t n, size_t *i)
{
	while (*i < n && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\r' || s[*i] == '\n'))
		(*i)++;
}

int sasl_oauth_error(const char *json, size_t n, char *out, size_t outn)
{
	char key[32], val[160], status[64] = "", scope[120] = "";
	int have_status = 0;
	size_t i = 0;
	if (outn)
		out[0] = 0;
	skip_ws(json, n, &i);
	if (i >= n || json[i++] != '{')
		return -1;
	for (int members = 0;; members++) {
		skip_ws(json, n, &i);
		if (i < n && json[i] == '}' && !members)
			break;
		if (json_string(json, n, &i, key, sizeof key) < 0)
			return -1;
		skip_ws(json, n, &i);
		if (i >= n || json[i++] != ':')
			return -1;
		skip_ws(json, n, &i);
		if (i < n && json[i] == '"') {
			if (json_string(json, n, &i, val, sizeof val) < 0)
				return -1;
			if (!strcmp(key, "status"))
				snprintf(status, sizeof status, "%s", val), have_status = 1;
			else if (!strcmp(key, "scope"))
				snprintf(scope, sizeof scope, "%s", val);
		} else {
			/* a number, true, false or null: skipped (no nested values here) */
			size_t s = i;
			while (i < n && (isalnum((unsigned char)json[i]) || json[i] == '-' || json[i] == '+' || json[i] == '.'))
				i++;
			if (i == s)
				return -1;
			if (!strcmp(key, "status") && i - s < sizeof status) {
				memcpy(status, json + s, i - s);
				status[i - s] = 0;
				have_status = 1;
			}
		}
		skip_ws(json, n, &i);
		if (i < n && json[i] == ',') {
			i++;
			continue;
		}
		if (i < n && json[i] == '}')
			break;
		return -1;
	}
	if (!have_status)
		return -1;
	char raw[200];
	snprintf(raw, sizeof raw, "status %s%s%s", status, scope[0] ? ", scope " : "", scope);
	out_clean(out, outn, raw, strlen(raw), 0);
	return 0;
}

/* A server's continuation: SMTP "334 [data]", IMAP/POP3 "+ [data]" or "+". The data, or
 * NULL when the line is not one. */
static const char *continuation(const char *line, size_t n, size_t *dn)
{
	if (n >= 3 && !strncmp(line, "334", 3) && (n == 3 || line[3] == ' ')) {
		*dn = n > 4 ? n - 4 : 0;
		return line + (n > 4 ? 4 : n);
	}
	if (n >= 1 && line[0] == '+' && (n == 1 || line[1] == ' ')) {
		*dn = n > 2 ? n - 2 : 0;
		return line + (n > 2 ? 2 : n);
	}
	return NULL;
}

static void start_auth(struct sasl_watch *w, const char *tag, size_t tl, const char *m, size_t ml)
{
	w->in_auth = 1;
	w->login_sent = 1;
	w->tried = w->ok = 0;
	w->reply[0] = w->detail[0] = 0;
	snprintf(w->tag, sizeof w->tag, "%.*s", (int)(tl < sizeof w->tag ? tl : 0), tag);
	size_t e = 0;
	while (e < ml && m[e] != ' ' && m[e] != '\r' && m[e] != '\n')
		e++;
	out_clean(w->mech, sizeof w->mech, m, e, 0);
}

void sasl_watch_line(struct sasl_watch *w, char dir, const char *line, size_t n)
{
	n = chomp(line, n);
	if (dir == '>') {
		if (w->in_auth)
			return; /* our answers to challenges (the credentials): never looked at */
		if (starts(line, n, "USER ", 0) || starts(line, n, "APOP ", 0))
			w->login_sent = 1;
		if (starts(line, n, "AUTH", 0) && n > 5) {
			start_auth(w, "", 0, line + 5, n - 5);
			return;
		}
		if (starts(line, n, "EHLO", 0) || starts(line, n, "CAPA", 0)) {
			w->offered = 0, w->offer_seen = 0, w->offer_text[0] = 0, w->capa_user = 0;
			return;
		}
		size_t t = 0;
		while (t < n && line[t] != ' ' && t < 16)
			t++;
		if (t < n && line[t] == ' ' && starts(line + t + 1, n - t - 1, "AUTHENTICATE", 0) && n > t + 14)
			start_auth(w, line, t, line + t + 14, n - t - 14);
		else if (t < n && line[t] == ' ' && starts(line + t + 1, n - t - 1, "LOGIN ", 0))
			w->login_sent = 1;
		else if (t < n && line[t] == ' ' && starts(line + t + 1, n - t - 1, "CAPABILITY", 0))
			w->offered = 0, w->offer_seen = 0, w->offer_text[0] = 0;
		return;
	}
	if (w->in_auth) {
		size_t dn;
		const char *d = continuation(line, n, &dn);
		if (d) {
			unsigned char js[600];
			int l = sasl_b64_decode(d, dn, js, sizeof js - 1);
			/* An error challenge is the refusal itself: libcurl answers OAUTHBEARER's
			 * (then the final reply follows) but gives up on XOAUTH2's at once. */
			if (l > 0 && sasl_oauth_error((const char *)js, (size_t)l, w->detail, sizeof w->detail) == 0)
				w->tried = 1, w->ok = 0;
			return;
		}
		size_t tl = strlen(w->tag);
		if (tl) { /* IMAP: only the tagged reply ends it */
			if (n <= tl || strncmp(line, w->tag, tl) || line[tl] != ' ')
				return;
			line += tl + 1, n -= tl + 1;
			w->ok = starts(line, n, "OK", 0);
		} else {
			w->ok = (n >= 3 && line[0] == '2' && isdigit((unsigned char)line[1])) || starts(line, n, "+OK", 0);
		}
		w->in_auth = 0;
		w->tried = 1;
		out_clean(w->reply, sizeof w->reply, line, n, 0);
		return;
	}
	if (n == 4 && starts(line, n, "USER", 0))
		w->capa_user = 1;
	if (starts(line, n, "+OK", 0)) { /* a POP3 greeting's APOP timestamp: <...@...> */
		const char *lt = memchr(line, '<', n);
		const char *gt = lt ? memchr(lt, '>', n - (size_t)(lt - line)) : NULL;
		if (gt && memchr(lt, '@', (size_t)(gt - lt)))
			w->apop_stamp = 1;
	}
	unsigned bits;
	char text[sizeof w->offer_text];
	if (sasl_offer_parse(line, n, &bits, text, sizeof text)) {
		/* SMTP repeats nothing; IMAP's lists replace each other (after STARTTLS, login). */
		w->offered = bits;
		w->offer_seen = 1;
		memcpy(w->offer_text, text, sizeof text);
	}
}

const char *sasl_watch_why(const struct sasl_watch *w, char *buf, size_t n)
{
	if (!w->tried)
		snprintf(buf, n, "%s", "");
	else if (w->detail[0] && w->reply[0])
		snprintf(buf, n, "%s (%s)", w->reply, w->detail);
	else if (w->detail[0])
		snprintf(buf, n, "its error challenge: %s", w->detail);
	else
		snprintf(buf, n, "%s", w->reply);
	return buf;
}
