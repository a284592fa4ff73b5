/* SPDX-License-Identifier: MIT */
/* parse.c - FTP reply, FEAT, MLSD and LIST parsers; every loop is bounded by the
 * length it is given and no input can write past a fixed buffer.
 *
 * Header: applets/ftp/parse.h    Tests: tests/unit/check_ftp.c, tests/fuzz/fuzz_ftp_*.c
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "nt_err.h"
#include "parse.h"

const char *ftp_etype_name(enum ftp_etype t)
{
	switch (t) {
	case FTP_T_FILE: return "file";
	case FTP_T_DIR: case FTP_T_CDIR: case FTP_T_PDIR: return "dir";
	case FTP_T_LINK: return "link";
	case FTP_T_DEV: return "device";
	default: return "unknown";
	}
}

static void entry_init(struct ftp_entry *e)
{
	memset(e, 0, sizeof *e);
	e->size = -1;
	e->mtime = -1;
}

static int set_name(struct ftp_entry *e, const char *p, size_t n)
{
	if (n == 0 || n > FTP_NAME_MAX)
		return -1;
	memcpy(e->name, p, n);
	e->name[n] = 0;
	e->namelen = n;
	return 0;
}

/* Digits only, at most 18 of them: no overflow. */
static int parse_u64(const char *p, size_t n, int64_t *out)
{
	if (n == 0 || n > 18)
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t mk_utc(int y, int mo, int d, int h, int mi, int s)
{
	return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static int valid_tm(int y, int mo, int d, int h, int mi, int s)
{
	return y >= 1900 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 &&
	       mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

/* MLSD modify fact: YYYYMMDDHHMMSS[.fraction] */
static int parse_mlsd_time(const char *p, size_t n, int64_t *out)
{
	if (n < 14)
		return -1;
	int64_t v[6];
	static const int w[6] = {4, 2, 2, 2, 2, 2};
	size_t off = 0;
	for (int i = 0; i < 6; i++) {
		if (parse_u64(p + off, (size_t)w[i], &v[i]) < 0)
			return -1;
		off += (size_t)w[i];
	}
	if (n > 14 && p[14] != '.')
		return -1;
	if (!valid_tm((int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5]))
		return -1;
	*out = mk_utc((int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5]);
	return 0;
}

static int fact_is(const char *p, size_t n, const char *name)
{
	size_t l = strlen(name);
	return n == l && !strncasecmp(p, name, l);
}

int ftp_parse_mlsd(const char *line, size_t len, struct ftp_entry *e)
{
	entry_init(e);
	if (len > FTP_LINE_MAX)
		return -1; /* cut by ftp_next_line: not the whole entry */
	/* Facts end at the first space; the name is everything after it. */
	const char *sp = memchr(line, ' ', len);
	if (!sp)
		return -1;
	size_t flen = (size_t)(sp - line);
	const char *name = sp + 1;
	size_t nlen = len - flen - 1;
	if (set_name(e, name, nlen) < 0)
		return -1;
	e->mtime_prec = 1;
	size_t i = 0;
	while (i < flen) {
		const char *f = line + i;
		const char *semi = memchr(f, ';', flen - i);
		size_t fl = semi ? (size_t)(semi - f) : flen - i;
		i += fl + (semi ? 1 : 0);
		const char *eq = memchr(f, '=', fl);
		if (!eq)
			return -1;
		size_t kn = (size_t)(eq - f);
		const char *v = eq + 1;
		size_t vn = fl - kn - 1;
		if (fact_is(f, kn, "type")) {
			if (fact_is(v, vn, "file"))
				e->type = FTP_T_FILE;
			else if (fact_is(v, vn, "dir"))
				e->type = FTP_T_DIR;
			else if (fact_is(v, vn, "cdir"))
				e->type = FTP_T_CDIR;
			else if (fact_is(v, vn, "pdir"))
				e->type = FTP_T_PDIR;
			else if (vn >= 11 && (!strncasecmp(v, "OS.unix=chr", 11) || !strncasecmp(v, "OS.unix=blk", 11)))
				e->type = FTP_T_DEV; /* OS.unix=chr-13/29, blk-8/0: devices, not links */
			else if (fact_is(v, vn, "OS.unix=symlink") || fact_is(v, vn, "OS.unix=slink") ||
				 (vn >= 8 && !strncasecmp(v, "OS.unix=", 8)))
				e->type = FTP_T_LINK;
			else
				e->type = FTP_T_UNKNOWN;
		} else if (fact_is(f, kn, "size") || fact_is(f, kn, "sizd")) {
			if (parse_u64(v, vn, &e->size) < 0)
				return -1;
		} else if (fact_is(f, kn, "modify")) {
			if (parse_mlsd_time(v, vn, &e->mtime) < 0)
				return -1;
		} else if (fact_is(f, kn, "unique")) {
			uint64_t h = 1469598103934665603ULL;
			for (size_t k = 0; k < vn; k++)
				h = (h ^ (unsigned char)v[k]) * 1099511628211ULL;
			e->uniq = h ? h : 1;
		} else if (fact_is(f, kn, "perm")) {
			size_t c = vn < sizeof e->perm - 1 ? vn : sizeof e->perm - 1;
			memcpy(e->perm, v, c);
			e->perm[c] = 0;
			for (size_t k = 0; k < c; k++)
				if ((unsigned char)e->perm[k] < 0x20 || e->perm[k] == 0x7f)
					e->perm[k] = '?';
		}
		/* "type=OS.unix=symlink" has a second '=': handled above through v. */
	}
	return 0;
}

static const char *const months[12] = {"jan", "feb", "mar", "apr", "may", "jun",
				       "jul", "aug", "sep", "oct", "nov", "dec"};

static int month_of(const char *p, size_t n)
{
	if (n != 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (!strncasecmp(p, months[i], 3))
			return i + 1;
	return 0;
}

struct tok {
	const char *p;
	size_t n;
};

/* Up to max whitespace-separated tokens from line; returns the count. */
static int tokens(const char *line, size_t len, struct tok *t, int max)
{
	int k = 0;
	size_t i = 0;
	while (k < max) {
		while (i < len && line[i] == ' ')
			i++;
		if (i >= len)
			break;
		size_t s = i;
		while (i < len && line[i] != ' ')
			i++;
		t[k].p = line + s;
		t[k].n = i - s;
		k++;
	}
	return k;
}

/* "13:33" -> h, m */
static int parse_hhmm(const char *p, size_t n, int *h, int *m)
{
	int64_t a, b;
	const char *c = memchr(p, ':', n);
	if (!c)
		return -1;
	size_t an = (size_t)(c - p);
	if (an < 1 || an > 2 || parse_u64(p, an, &a) < 0 || parse_u64(c + 1, n - an - 1, &b) < 0 || n - an - 1 != 2)
		return -1;
	if (a > 23 || b > 59)
		return -1;
	*h = (int)a, *m = (int)b;
	return 0;
}

static int parse_unix(const char *line, size_t len, time_t now, struct ftp_entry *e)
{
	struct tok t[10];
	int nt = tokens(line, len, t, 10);
	if (nt < 6 || t[0].n < 10)
		return -1;
	switch (t[0].p[0]) {
	case '-': e->type = FTP_T_FILE; break;
	case 'd': e->type = FTP_T_DIR; break;
	case 'l': e->type = FTP_T_LINK; break;
	case 'c': case 'b': e->type = FTP_T_DEV; break;
	default: e->type = FTP_T_UNKNOWN; break;
	}
	memcpy(e->perm, t[0].p + 1, 9);
	e->perm[9] = 0;
	for (int k = 0; k < 9; k++)
		if (!strchr("rwxsStT-", e->perm[k]))
			return -1;
	/* Find the month: the token after the size. Owner/group may be absent. */
	int mi = -1;
	for (int k = 3; k + 2 < nt; k++) {
		if (month_of(t[k].p, t[k].n) && t[k + 1].n >= 1 && t[k + 1].n <= 2) {
			int64_t dummy;
			if (parse_u64(t[k - 1].p, t[k - 1].n, &dummy) == 0 && parse_u64(t[k + 1].p, t[k + 1].n, &dummy) == 0) {
				mi = k;
				break;
			}
		}
	}
	if (mi < 0 || mi + 3 > nt)
		return -1;
	if (parse_u64(t[mi - 1].p, t[mi - 1].n, &e->size) < 0)
		return -1;
	int mon = month_of(t[mi].p, t[mi].n);
	int64_t day;
	if (parse_u64(t[mi + 1].p, t[mi + 1].n, &day) < 0 || day < 1 || day > 31)
		return -1;
	const struct tok *ty = &t[mi + 2];
	int h = 0, m = 0;
	int64_t year;
	if (parse_hhmm(ty->p, ty->n, &h, &m) == 0) {
		struct tm tmn;
		gmtime_r(&now, &tmn);
		year = tmn.tm_year + 1900;
		int64_t guess = mk_utc((int)year, mon, (int)day, h, m, 0);
		/* A date more than a day ahead is from last year (ls shows times for 6 months). */
		if (guess > (int64_t)now + 86400)
			guess = mk_utc((int)year - 1, mon, (int)day, h, m, 0);
		e->mtime = guess;
		e->mtime_prec = 60;
	} else if (parse_u64(ty->p, ty->n, &year) == 0 && ty->n == 4 && year >= 1900) {
		e->mtime = mk_utc((int)year, mon, (int)day, 0, 0, 0);
		e->mtime_prec = 86400;
	} else {
		return -1;
	}
	/* The name: after exactly one space following the time/year token. */
	const char *np = ty->p + ty->n;
	const char *end = line + len;
	if (np >= end || *np != ' ')
		return -1;
	np++;
	size_t nn = (size_t)(end - np);
	if (e->type == FTP_T_LINK) {
		for (size_t k = 0; k + 4 <= nn; k++)
			if (!memcmp(np + k, " -> ", 4)) {
				nn = k;
				break;
			}
	}
	return set_name(e, np, nn);
}

/* DOS/IIS: "11-26-26  01:33PM       <DIR>          name" */
static int parse_dos(const char *line, size_t len, struct ftp_entry *e)
{
	struct tok t[4];
	int nt = tokens(line, len, t, 3);
	if (nt < 3)
		return -1;
	int64_t mo, d, y;
	if (t[0].n != 8 && t[0].n != 10)
		return -1;
	if (t[0].p[2] != '-' || t[0].p[5] != '-')
		return -1;
	if (parse_u64(t[0].p, 2, &mo) < 0 || parse_u64(t[0].p + 3, 2, &d) < 0 || parse_u64(t[0].p + 6, t[0].n - 6, &y) < 0)
		return -1;
	if (t[0].n == 8)
		y += y < 70 ? 2000 : 1900;
	/* time: HH:MM[AM|PM] */
	size_t tn = t[1].n;
	int pm = 0, am = 0;
	if (tn >= 2 && (t[1].p[tn - 1] == 'M' || t[1].p[tn - 1] == 'm')) {
		pm = t[1].p[tn - 2] == 'P' || t[1].p[tn - 2] == 'p';
		am = t[1].p[tn - 2] == 'A' || t[1].p[tn - 2] == 'a';
		if (!pm && !am)
			return -1;
		tn -= 2;
	}
	int h, m;
	if (parse_hhmm(t[1].p, tn, &h, &m) < 0)
		return -1;
	if (pm || am) {
		if (h < 1 || h > 12)
			return -1;
		h = h % 12 + (pm ? 12 : 0);
	}
	if (!valid_tm((int)y, (int)mo, (int)d, h, m, 0))
		return -1;
	e->mtime = mk_utc((int)y, (int)mo, (int)d, h, m, 0);
	e->mtime_prec = 60;
	if (t[2].n == 5 && !memcmp(t[2].p, "<DIR>", 5)) {
		e->type = FTP_T_DIR;
	} else {
		if (parse_u64(t[2].p, t[2].n, &e->size) < 0)
			return -1;
		e->type = FTP_T_FILE;
	}
	/* Name: after the spaces that follow the third token. */
	const char *np = t[2].p + t[2].n;
	const char *end = line + len;
	while (np < end && *np == ' ')
		np++;
	return set_name(e, np, (size_t)(end - np));
}

int ftp_parse_list(const char *line, size_t len, time_t now, struct ftp_entry *e)
{
	entry_init(e);
	if (len > FTP_LINE_MAX)
		return -1; /* cut by ftp_next_line: not the whole entry */
	if (len >= 5 && !strncasecmp(line, "total", 5) && (len == 5 || line[5] == ' '))
		return 1;
	if (len == 0)
		return 1;
	if (len >= 8 && isdigit((unsigned char)line[0]))
		return parse_dos(line, len, e);
	return parse_unix(line, len, now, e);
}

int ftp_reply_line(const char *data, size_t len, int *code, char *last, size_t lastn)
{
	size_t l = len;
	while (l && (data[l - 1] == '\n' || data[l - 1] == '\r'))
		l--;
	if (l < 3 || data[0] < '1' || data[0] > '5' || !isdigit((unsigned char)data[1]) ||
	    !isdigit((unsigned char)data[2]) || (l > 3 && data[3] != ' ' && data[3] != '-'))
		return 0;
	*code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
	nt_clean_text(last, lastn, data, l);
	return 1;
}

int ftp_reply_feed(struct ftp_reply *r, const char *line, size_t len)
{
	int code = -1;
	if (len >= 3 && line[0] >= '1' && line[0] <= '5' && isdigit((unsigned char)line[1]) &&
	    isdigit((unsigned char)line[2]) && (len == 3 || line[3] == ' ' || line[3] == '-'))
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->multi) {
		r->lines++;
		/* The reply ends at "CODE " with the same code. */
		if (code == r->code && (len == 3 || line[3] == ' ')) {
			r->multi = 0;
			nt_clean_text(r->text, sizeof r->text, len > 4 ? line + 4 : "", len > 4 ? len - 4 : 0);
			return 1;
		}
		return 0;
	}
	if (code < 0)
		return -1;
	r->code = code;
	r->lines = 1;
	if (len > 3 && line[3] == '-') {
		r->multi = 1;
		nt_clean_text(r->text, sizeof r->text, line + 4, len - 4);
		return 0;
	}
	nt_clean_text(r->text, sizeof r->text, len > 4 ? line + 4 : "", len > 4 ? len - 4 : 0);
	return 1;
}

int ftp_feat_has(const char *text, size_t len, const char *feature)
{
	size_t fl = strlen(feature);
	size_t i = 0;
	while (i < len) {
		size_t adv;
		size_t n = ftp_next_line(text + i, len - i, &adv);
		const char *l = text + i;
		i += adv;
		if (!adv)
			break;
		/* Feature lines start with one space: " MLST type*;size*;" */
		if (n < 1 + fl || l[0] != ' ')
			continue;
		if (!strncasecmp(l + 1, feature, fl) && (n == 1 + fl || l[1 + fl] == ' ' || l[1 + fl] == '\r'))
			return 1;
	}
	return 0;
}

size_t ftp_next_line(const char *p, size_t n, size_t *adv)
{
	if (n == 0) {
		*adv = 0;
		return 0;
	}
	const char *nl = memchr(p, '\n', n);
	size_t l = nl ? (size_t)(nl - p) : n;
	*adv = nl ? l + 1 : n;
	if (l && p[l - 1] == '\r')
		l--;
	if (l > FTP_LINE_MAX)
		l = FTP_LINE_MAX + 1; /* visibly cut: the parsers refuse it */
	return l;
}

/* The quoted name of a 257 reply, from line[5]: its length once unquoted, or -1 when
 * it has no closing quote, is empty, holds a control character or needs n bytes or
 * more. Writes to out (when not NULL) only what it has checked. */
static long pwd_name(const char *line, size_t len, char *out, size_t n)
{
	size_t o = 0;
	for (size_t i = 5; i < len; i++) {
		char c = line[i];
		if (c == '"') {
			if (i + 1 < len && line[i + 1] == '"')
				i++;
			else
				return o ? (long)o : -1;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f || o + 1 >= n)
			return -1;
		if (out)
			out[o] = c;
		o++;
	}
	return -1; /* no closing quote */
}

int ftp_parse_pwd(const char *line, size_t len, char *out, size_t n)
{
	if (len < 6 || memcmp(line, "257 ", 4) || line[4] != '"' || n == 0)
		return -1;
	/* Check first, then write: a refused line leaves out as it was. */
	long o = pwd_name(line, len, NULL, n);
	if (o < 0)
		return -1;
	pwd_name(line, len, out, n);
	out[o] = 0;
	return 0;
}

int ftp_parse_150_size(const char *line, size_t len, long long *size)
{
	static const char tail[] = " bytes)";
	const size_t tl = sizeof tail - 1;
	for (size_t i = 0; i < len; i++) {
		if (line[i] != '(')
			continue;
		size_t j = i + 1, nd = 0;
		long long v = 0;
		while (j < len && line[j] >= '0' && line[j] <= '9' && nd < 18) {
			v = v * 10 + (line[j] - '0');
			j++, nd++;
		}
		if (nd && len - j >= tl && !memcmp(line + j, tail, tl)) {
			*size = v;
			return 0;
		}
	}
	return -1;
}

long long ftp_parse_213_size(const char *line, size_t len)
{
	size_t i = 4, nd = 0;
	long long v = 0;
	while (i < len && line[i] == ' ')
		i++;
	while (i < len && line[i] >= '0' && line[i] <= '9' && nd < 18) {
		v = v * 10 + (line[i] - '0');
		i++, nd++;
	}
	return nd && !(i < len && line[i] >= '0' && line[i] <= '9') ? v : -1; /* 19 digits: none, not cut */
}

int ftp_parse_epsv(const char *line, size_t len, unsigned *port)
{
	if (len < 4 || memcmp(line, "229", 3))
		return -1;
	const char *p = memchr(line, '(', len);
	if (!p)
		return -1;
	size_t left = len - (size_t)(p - line);
	/* "(" d d d digits d ")": d any printable character but a digit (RFC 2428 says 33-126). */
	if (left < 7)
		return -1;
	char d = p[1];
	if (d < 33 || d > 126 || (d >= '0' && d <= '9') || p[2] != d || p[3] != d)
		return -1;
	unsigned v = 0;
	size_t i = 4, nd = 0;
	while (i < left && p[i] >= '0' && p[i] <= '9' && nd < 5) {
		v = v * 10 + (unsigned)(p[i] - '0');
		i++, nd++;
	}
	if (!nd || i + 1 >= left || p[i] != d || p[i + 1] != ')' || !v || v > 65535)
		return -1;
	*port = v;
	return 0;
}

int ftp_parse_pasv(const char *line, size_t len, unsigned char host[4], unsigned *port)
{
	if (len < 4 || memcmp(line, "227", 3))
		return -1;
	size_t i = 3;
	while (i < len && (line[i] < '0' || line[i] > '9'))
		i++;
	unsigned v[6];
	for (int k = 0; k < 6; k++) {
		size_t nd = 0;
		v[k] = 0;
		while (i < len && line[i] >= '0' && line[i] <= '9' && nd < 3) {
			v[k] = v[k] * 10 + (unsigned)(line[i] - '0');
			i++, nd++;
		}
		if (!nd || v[k] > 255 || (i < len && line[i] >= '0' && line[i] <= '9'))
			return -1;
		if (k < 5) {
			if (i >= len || line[i] != ',')
				return -1;
			i++;
		}
	}
	unsigned pt = v[4] * 256 + v[5];
	if (!pt)
		return -1;
	for (int k = 0; k < 4; k++)
		host[k] = (unsigned char)v[k];
	*port = pt;
	return 0;
}

size_t ftp_list_line_norm(char *line, size_t n)
{
	size_t r = 0, w = 0;
	int trail = n && line[n - 1] == '/';
	while (r < n && line[r] == '/')
		r++;
	size_t lead = w = r;
	while (r < n) {
		size_t e = r;
		while (e < n && line[e] != '/')
			e++;
		size_t len = e - r;
		if (len && !(len == 1 && line[r] == '.')) {
			if (w > lead)
				line[w++] = '/';
			memmove(line + w, line + r, len);
			w += len;
		}
		r = e < n ? e + 1 : e;
	}
	if (w == lead) /* nothing but "." and '/': kept as given */
		return n;
	if (trail)
		line[w++] = '/';
	line[w] = 0;
	return w;
}
