/* SPDX-License-Identifier: MIT */
/* fuzz_core_mbox.c - libFuzzer harness for the mboxrd writer (core/mbox.c), which turns a
 * message a server sent (mail-fetch's spool and --mbox, nntp fetch --mbox) into the mbox
 * text that every mbox reader, ours and the user's, reads back; and for the reading of an
 * mbox's last byte before an append (mbox_prepare_append). The input's first byte picks
 * the flags (CRLF input or not) and where the message is cut into two writes; the rest is
 * the message. Checks:
 *   - the writes' cut changes nothing (same bytes, same hash, same header section);
 *   - read back as mboxrd (split at lines "From ", one '>' taken off lines />+From /),
 *     the output is one message, and it is the input (CRLF as LF) with a final line end;
 *   - the kept header section is the start of that text, bounded by MBOX_HDR_MAX;
 *   - after mbox_prepare_append an mbox holding the input ends in a line end, and the
 *     offset given is its size.
 * Seeds: tests/fuzz/corpus/fuzz_core_mbox/ (messages from the Dovecot and INN test
 * servers, the mbox files written in mail_fetch_mbox.sh and nntp.sh). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mbox.h"

static int memfd = -1;

static void write_msg(struct mbox_writer *w, unsigned flags, const char *p, size_t n, size_t cut)
{
	mbox_writer_init(w, -1, flags | MBOX_W_MBOXRD | MBOX_W_HEADER, MBOX_FNV_INIT);
	mbox_writer_from(w, "MAILER-DAEMON", 0);
	if (mbox_write(w, p, cut) < 0 || mbox_write(w, p + cut, n - cut) < 0 || mbox_writer_finish(w) < 0)
		abort();
}

/* The input as it should read back: CRLF as LF (with MBOX_W_CRLF), a final line end. */
static char *expected(const char *p, size_t n, unsigned flags, size_t *len)
{
	char *e = malloc(n + 2);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if ((flags & MBOX_W_CRLF) && p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			continue;
		e[o++] = p[i];
	}
	if (o && e[o - 1] != '\n')
		e[o++] = '\n';
	*len = o;
	return e;
}

/* Read o[0..n) back as mboxrd: one From_ line, the body unquoted, one blank line. */
static char *read_back(const char *o, size_t n, size_t *len)
{
	const char *nl = memchr(o, '\n', n);
	if (n < 6 || memcmp(o, "From ", 5) || !nl)
		abort();
	const char *p = nl + 1, *end = o + n;
	if (end - p < 1 || end[-1] != '\n')
		abort();
	end--; /* the blank line after the message */
	if (end > p && end[-1] != '\n')
		abort();
	char *b = malloc((size_t)(end - p) + 1);
	size_t k = 0;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		e = e ? e + 1 : end;
		size_t q = 0;
		while (p + q < e && p[q] == '>')
			q++;
		if ((size_t)(e - p) >= q + 5 && !memcmp(p + q, "From ", 5)) {
			if (!q)
				abort(); /* an unquoted From_ line: a reader sees a second message */
			p++;
		}
		memcpy(b + k, p, (size_t)(e - p));
		k += (size_t)(e - p);
		p = e;
	}
	*len = k;
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	unsigned flags = data[0] & 1 ? MBOX_W_CRLF : 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	size_t cut = n ? (data[0] >> 1) % (n + 1) : 0;
	struct mbox_writer a, b;
	write_msg(&a, flags, p, n, 0);
	write_msg(&b, flags, p, n, cut);
	if (a.olen != b.olen || memcmp(a.obuf, b.obuf, a.olen) || a.hash != b.hash || a.bytes != a.olen ||
	    a.hlen != b.hlen || memcmp(a.hdr, b.hdr, a.hlen) || a.in_bytes != n)
		abort();
	size_t elen, rlen;
	char *e = expected(p, n, flags, &elen);
	char *r = read_back(a.obuf, a.olen, &rlen);
	if (rlen != elen || memcmp(r, e, elen))
		abort();
	if (a.hlen > MBOX_HDR_MAX || a.hlen > elen || memcmp(a.hdr, e, a.hlen))
		abort();
	free(e);
	free(r);
	mbox_writer_free(&a);
	mbox_writer_free(&b);

	if (memfd < 0 && (memfd = memfd_create("fuzz-mbox", 0)) < 0)
		abort();
	off_t end;
	int added;
	char last;
	if (ftruncate(memfd, 0) < 0 || pwrite(memfd, p, n, 0) != (ssize_t)n)
		abort();
	if (mbox_prepare_append(memfd, &end, &added) < 0)
		abort();
	if (end != (off_t)n + added || (n && (pread(memfd, &last, 1, end - 1) != 1 || last != '\n')) ||
	    (added && p[n - 1] == '\n'))
		abort();
	return 0;
}
