/* SPDX-License-Identifier: MIT */
/* fuzz_nntp_mark.c - libFuzzer harness for nntp fetch's high-water mark file as it is read
 * back from disk (nntp_mark_read: lines "SERVER GROUP NUMBER", the last one for a server
 * and group wins, the other lines kept when the file is rewritten). The server and group
 * looked up are the first line's first two words (or fixed ones). Checks what a fetch
 * relies on: after a rewrite (the kept lines, then "SERVER GROUP N"), reading the file
 * again gives N, never an older mark (which would fetch again) nor a newer one (which
 * would skip articles), and the other lines are kept as they were.
 * Seeds: tests/fuzz/corpus/fuzz_nntp_mark/ (mark files written by nntp fetch in the
 * nntp.sh test against INN). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "nntp/nntp.h"

static long long readmem(const char *p, size_t n, const char *server, const char *group, struct buf *rest)
{
	if (!n)
		return 0;
	FILE *f = fmemopen((void *)p, n, "r");
	if (!f)
		abort();
	long long v = nntp_mark_read(f, server, group, rest);
	fclose(f);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size ? size : 1);
	memcpy(in, data, size);
	char server[300] = "127.0.0.1:1119", group[600] = "local.test";
	if (size) {
		const char *nl = memchr(in, '\n', size);
		size_t l = nl ? (size_t)(nl - in) : size;
		char *first = strndup(in, l < 900 ? l : 900);
		char s[300], g[600];
		if (sscanf(first, "%299s %599s", s, g) == 2)
			strcpy(server, s), strcpy(group, g);
		free(first);
	}
	struct buf rest;
	buf_init(&rest, 0);
	long long hwm = readmem(in, size, server, group, &rest);
	long long next = hwm < 1000000000LL && hwm > -1000000000LL ? hwm + 17 : 17;
	/* the rewrite state_put does */
	struct buf out;
	buf_init(&out, 0);
	buf_append(&out, buf_head(&rest), buf_pending(&rest));
	buf_appendf(&out, "%s %s %lld\n", server, group, next);
	struct buf rest2;
	buf_init(&rest2, 0);
	if (readmem(buf_head(&out), buf_pending(&out), server, group, &rest2) != next)
		abort(); /* the mark just written is not the one read back */
	if (buf_pending(&rest2) != buf_pending(&rest) || memcmp(buf_head(&rest2), buf_head(&rest), buf_pending(&rest)))
		abort(); /* the other servers' and groups' lines changed */
	buf_free(&rest);
	buf_free(&rest2);
	buf_free(&out);
	free(in);
	return 0;
}
