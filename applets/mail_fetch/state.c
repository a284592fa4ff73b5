/* SPDX-License-Identifier: MIT */
/* state.c - the fetch state file: UIDVALIDITY, fetched UIDs/UIDLs with Message-IDs, and
 * the deliveries in flight that crash recovery completes or undoes.
 *
 * Header: state.h    Tests: tests/unit/check_mail_fetch.c, tests/integration/mail_fetch*.sh,
 * tests/fuzz/fuzz_mail_fetch_state.c (mf_state_read, mf_state_write)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "nt_err.h"
#include "state.h"

#define STATE_LINE_MAX 2048

uint64_t mf_state_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void mf_state_clean_msgid(char *out, size_t outlen, const char *in)
{
	size_t o = 0;
	for (; in && *in && o + 1 < outlen && o < 250; in++)
		if ((unsigned char)*in > 0x20 && (unsigned char)*in < 0x7f)
			out[o++] = *in;
	out[o] = 0;
}

static void push(struct st_ent **v, size_t *n, size_t *cap, const char *key, const char *msgid)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*v = xrealloc(*v, *cap * sizeof **v);
	}
	(*v)[*n].key = xstrdup(key);
	(*v)[*n].msgid = msgid && *msgid ? xstrdup(msgid) : NULL;
	(*v)[*n].bymid = 0;
	(*n)++;
}

void mf_state_add(struct mf_state *s, const char *key, const char *msgid)
{
	char m[256];
	mf_state_clean_msgid(m, sizeof m, msgid);
	push(&s->e, &s->n, &s->cap, key, m);
	s->sorted = 0;
}

void mf_state_add_bymid(struct mf_state *s, const char *key, const char *msgid)
{
	mf_state_add(s, key, msgid);
	s->e[s->n - 1].bymid = 1;
}

void mf_state_add_pending(struct mf_state *s, const char *name, const char *key)
{
	if (s->npend == s->pcap) {
		s->pcap = s->pcap ? s->pcap * 2 : 64;
		s->pend = xrealloc(s->pend, s->pcap * sizeof *s->pend);
		s->pkey = xrealloc(s->pkey, s->pcap * sizeof *s->pkey);
	}
	s->pend[s->npend] = xstrdup(name);
	s->pkey[s->npend++] = key ? xstrdup(key) : NULL;
}

void mf_state_drop_pending(struct mf_state *s)
{
	for (size_t i = 0; i < s->npend; i++)
		free(s->pend[i]), free(s->pkey[i]);
	s->npend = 0;
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct st_ent *)a)->key, ((const struct st_ent *)b)->key);
}

static void sort_unique(struct mf_state *s)
{
	if (s->sorted)
		return;
	if (s->n)
		qsort(s->e, s->n, sizeof *s->e, cmp_ent);
	size_t o = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (o && !strcmp(s->e[o - 1].key, s->e[i].key)) {
			/* a download wins over a Message-ID match */
			if (s->e[o - 1].bymid && !s->e[i].bymid) {
				struct st_ent t = s->e[o - 1];
				s->e[o - 1] = s->e[i];
				s->e[i] = t;
			}
			free(s->e[i].key);
			free(s->e[i].msgid);
			continue;
		}
		s->e[o++] = s->e[i];
	}
	s->n = o;
	s->sorted = 1;
}

int mf_state_has(struct mf_state *s, const char *key)
{
	sort_unique(s);
	struct st_ent k = {(char *)key, NULL, 0};
	return s->n && bsearch(&k, s->e, s->n, sizeof *s->e, cmp_ent) != NULL;
}

int mf_state_downloaded(struct mf_state *s, const char *key)
{
	sort_unique(s);
	struct st_ent k = {(char *)key, NULL, 0};
	struct st_ent *e = s->n ? bsearch(&k, s->e, s->n, sizeof *s->e, cmp_ent) : NULL;
	return e && !e->bymid;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t mf_state_filter(struct mf_state *s, char *const *keys, size_t n, int keep)
{
	char **k = xmalloc((n + 1) * sizeof *k);
	if (n) {
		memcpy(k, keys, n * sizeof *k); /* keys may be NULL when n is 0 (UBSan) */
		qsort(k, n, sizeof *k, cmp_str);
	}
	size_t o = 0, dropped = 0;
	for (size_t i = 0; i < s->n; i++) {
		const char *key = s->e[i].key;
		int listed = n && bsearch(&key, k, n, sizeof *k, cmp_str) != NULL;
		if (listed != keep) {
			free(s->e[i].key);
			free(s->e[i].msgid);
			dropped++;
			continue;
		}
		s->e[o++] = s->e[i];
	}
	s->n = o;
	free(k);
	return dropped;
}

void mf_state_reset_keys(struct mf_state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->e[i].msgid) {
			s->mid = xrealloc(s->mid, (s->nmid + 1) * sizeof *s->mid);
			s->mid[s->nmid++] = s->e[i].msgid;
		}
		free(s->e[i].key);
	}
	s->n = 0;
	s->sorted = 0;
	if (s->nmid)
		qsort(s->mid, s->nmid, sizeof *s->mid, cmp_str);
}

int mf_state_had_msgid(struct mf_state *s, const char *msgid)
{
	char m[256];
	mf_state_clean_msgid(m, sizeof m, msgid);
	if (!m[0])
		return 0;
	const char *k = m;
	return s->nmid && bsearch(&k, s->mid, s->nmid, sizeof *s->mid, cmp_str) != NULL;
}

void mf_state_free(struct mf_state *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].key), free(s->e[i].msgid);
	for (size_t i = 0; i < s->mn; i++)
		free(s->me[i].key), free(s->me[i].msgid);
	mf_state_drop_pending(s);
	for (size_t i = 0; i < s->nmid; i++)
		free(s->mid[i]);
	free(s->e), free(s->me), free(s->pend), free(s->pkey), free(s->mid);
	free(s->path), free(s->account);
	memset(s, 0, sizeof *s);
}

/* The state drives the recovery (cuts and renames): only a plain file of ours that no
 * one else may write is believed. NULL with errno ENOENT (none), or NULL (err). */
static FILE *open_own(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "state %s: %s", path, e == ELOOP ? "a symbolic link: refused" : strerror(e));
		errno = e;
		return NULL;
	}
	const char *why = file_own_why(fd, FILE_OWN_NOT_SHARED);
	FILE *f = why ? NULL : fdopen(fd, "r");
	if (!f) {
		snprintf(err, errlen, "state %s: %s%s", path, why ? why : strerror(errno),
			 why ? " (remove it, or use --rebuild-state)" : "");
		close(fd);
		errno = EPERM;
	}
	return f;
}

int mf_state_load(struct mf_state *s, const char *path, const char *account, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->path = xstrdup(path);
	s->account = xstrdup(account);
	s->sorted = 1;
	FILE *f = open_own(path, err, errlen);
	if (!f)
		return errno == ENOENT ? 0 : -1;
	int r = mf_state_read(s, f, err, errlen);
	fclose(f);
	return r;
}

int mf_state_read(struct mf_state *s, FILE *f, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, bad = 0, version = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > STATE_LINE_MAX) {
			bad = 1;
			break;
		}
		line[strcspn(line, "\n")] = 0;
		char a[STATE_LINE_MAX + 1], b[STATE_LINE_MAX + 1], c[STATE_LINE_MAX + 1];
		unsigned long long x, y, z;
		int k;
		if (!line[0] || line[0] == '#')
			continue;
		if (sscanf(line, "version %llu", &x) == 1) {
			version = (int)x;
		} else if (!strncmp(line, "account ", 8)) {
			/* informational */
		} else if (sscanf(line, "uidvalidity %llu", &x) == 1) {
			s->uidvalidity = x;
		} else if ((k = sscanf(line, "u %2048s %2048s %2048s", a, b, c)) >= 2) {
			if (k == 3 && strcmp(c, "mid")) {
				bad = 1;
				break;
			}
			push(&s->e, &s->n, &s->cap, a, strcmp(b, "-") ? b : NULL);
			s->e[s->n - 1].bymid = k == 3;
			s->sorted = 0;
		} else if ((k = sscanf(line, "pending %2048s %2048s %2048s", a, b, c)) >= 1) {
			/* "pending NAME KEY"; an older file's "pending NAME" has no key. NAME is a
			 * name in tmp/ of ours: no '/', no leading '.' */
			if (k == 3 || !file_plain_name(a)) {
				bad = 1;
				break;
			}
			mf_state_add_pending(s, a, k == 2 ? b : NULL);
		} else if (sscanf(line, "mbox %llu %llu %llx", &x, &y, &z) == 3) {
			s->mbox_pending = 1;
			s->mbox_off = x, s->mbox_len = y, s->mbox_hash = z;
		} else if (sscanf(line, "m %2048s %2048s", a, b) == 2) {
			push(&s->me, &s->mn, &s->mcap, a, strcmp(b, "-") ? b : NULL);
		} else {
			bad = 1;
			break;
		}
	}
	free(line);
	if (bad || version != 1) {
		snprintf(err, errlen, "state %s: line %d is not understood (remove the file or use --rebuild-state)",
			 s->path, lineno);
		return -1;
	}
	return 0;
}

static int put_ent(FILE *f, const char *tag, const struct st_ent *e)
{
	return fprintf(f, "%s %s %s%s\n", tag, e->key, e->msgid ? e->msgid : "-", e->bymid ? " mid" : "") < 0 ? -1 : 0;
}

int mf_state_write(struct mf_state *s, FILE *f)
{
	int bad = 0;
	sort_unique(s);
	bad |= fprintf(f, "# nettool mail-fetch state: do not edit while a fetch runs\nversion 1\naccount %s\n",
		       s->account) < 0;
	if (s->uidvalidity)
		bad |= fprintf(f, "uidvalidity %llu\n", (unsigned long long)s->uidvalidity) < 0;
	for (size_t i = 0; i < s->npend; i++)
		bad |= fprintf(f, "pending %s%s%s\n", s->pend[i], s->pkey[i] ? " " : "", s->pkey[i] ? s->pkey[i] : "") < 0;
	if (s->mbox_pending) {
		bad |= fprintf(f, "mbox %llu %llu %llx\n", (unsigned long long)s->mbox_off,
			       (unsigned long long)s->mbox_len, (unsigned long long)s->mbox_hash) < 0;
		for (size_t i = 0; i < s->mn; i++)
			bad |= put_ent(f, "m", &s->me[i]);
	}
	for (size_t i = 0; i < s->n; i++)
		bad |= put_ent(f, "u", &s->e[i]);
	return bad ? -1 : 0;
}

int mf_state_save(struct mf_state *s, char *err, size_t errlen)
{
	struct afile af;
	if (afile_open(&af, NULL, s->path, 0600, err, errlen) < 0)
		return -1;
	int fd2 = dup(af.fd);
	FILE *f = fd2 >= 0 ? fdopen(fd2, "w") : NULL;
	if (!f) {
		snprintf(err, errlen, "state %s: %s", s->path, strerror(errno));
		afile_abort(&af);
		return -1;
	}
	int bad = mf_state_write(s, f) < 0;
	bad |= fflush(f) != 0;
	bad |= fclose(f) != 0;
	if (bad) {
		snprintf(err, errlen, "state %s: write failed: %s", s->path, strerror(errno));
		afile_abort(&af);
		return -1;
	}
	return afile_commit(&af, err, errlen);
}
