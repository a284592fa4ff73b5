/* SPDX-License-Identifier: MIT */
/* fuzz_mail_fetch_state.c - libFuzzer harness for mail-fetch's state file as it is read
 * back from disk (mf_state_read: version, uidvalidity, "u" entries with Message-IDs and
 * "mid" marks, Maildir "pending NAME KEY" lines (or an older file's "pending NAME"), the mbox append record and its "m" entries), the
 * file that drives crash recovery. Any input is refused or read, never crashes; a file
 * that is read is written back (mf_state_write), and that text must read again and write
 * the same bytes (a save never changes what the next run believes), and every entry read
 * must be found by mf_state_has. A pending name must be a plain name (no '/', no
 * leading '.'), since recovery renames it; its key, when there is one, one word (the
 * recovery drops it from the state to fetch that message again).
 * Seeds: tests/fuzz/corpus/fuzz_mail_fetch_state/ (state files written in the
 * mail_fetch*.sh tests against Dovecot, a hand-made mbox-pending one, and a Maildir
 * one with both pending forms). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail_fetch/state.h"

static int readmem(struct mf_state *s, const char *p, size_t n)
{
	char err[512];
	memset(s, 0, sizeof *s);
	s->path = strdup("fuzz.state");
	s->account = strdup("user@imap://127.0.0.1");
	s->sorted = 1;
	FILE *f = fmemopen((void *)p, n, "r");
	if (!f)
		abort();
	int r = mf_state_read(s, f, err, sizeof err);
	fclose(f);
	return r;
}

static char *writemem(struct mf_state *s, size_t *n)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, n);
	if (!f || mf_state_write(s, f) < 0)
		abort();
	fclose(f);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0; /* fmemopen wants a size */
	char *in = malloc(size);
	memcpy(in, data, size);
	struct mf_state s;
	if (readmem(&s, in, size) == 0) {
		for (size_t i = 0; i < s.npend; i++)
			if (strchr(s.pend[i], '/') || s.pend[i][0] == '.' || !s.pend[i][0] ||
			    (s.pkey[i] && (!s.pkey[i][0] || strpbrk(s.pkey[i], " \t\n"))))
				abort();
		for (size_t i = 0; i < s.n; i++) {
			char *k = strdup(s.e[i].key);
			if (!mf_state_has(&s, k))
				abort();
			free(k);
		}
		size_t n1, n2;
		char *t1 = writemem(&s, &n1);
		struct mf_state s2;
		if (readmem(&s2, t1, n1 ? n1 : 1) != 0)
			abort(); /* what we wrote we can not read */
		char *t2 = writemem(&s2, &n2);
		if (n1 != n2 || memcmp(t1, t2, n1))
			abort(); /* a save changed what the next run believes */
		size_t before = s2.n; /* keep only the listed ones, none listed: all go */
		if (mf_state_filter(&s2, NULL, 0, 1) != before || s2.n)
			abort();
		free(t1);
		free(t2);
		mf_state_free(&s2);
	}
	mf_state_free(&s);
	free(in);
	return 0;
}
