/* SPDX-License-Identifier: MIT */
/* fuzz_ftp_journal.c - libFuzzer harness for the --journal reader (applets/ftp/jread.c):
 * the input is a journal; every line goes through the line parser (the spans it returns
 * must lie inside the line) and the whole through the reader that ftp status uses; the
 * block line reader (applets/ftp/journal.c) over the same bytes in a file gives back
 * every byte, the lines and their LFs, in order. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ftp/journal.h"
#include "ftp/jread.h"

static void lines_back(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return;
	}
	struct lread r;
	lread_init(&r, fd);
	const char *l;
	size_t n, at = 0;
	while (lread_line(&r, &l, &n) > 0) {
		if (at + n > size || memcmp(l, data + at, n))
			__builtin_trap();
		at += n;
		if (r.cut ? at != size : (at >= size || data[at] != '\n'))
			__builtin_trap();
		at += !r.cut;
	}
	if (at != size)
		__builtin_trap();
	lread_free(&r);
	close(fd);
}

static void inside(const char *p, size_t n, const char *q, size_t m)
{
	if (q && (q < p || q + m > p + n))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size;
	while (left) {
		const char *nl = memchr(p, '\n', left);
		size_t l = nl ? (size_t)(nl - p) : left;
		struct jline j;
		ftp_jline_parse(p, l, &j);
		inside(p, l, j.key, j.keylen);
		inside(p, l, j.reason, j.reasonlen);
		inside(p, l, j.run, j.runlen);
		if (!nl)
			break;
		left -= l + 1;
		p = nl + 1;
	}
	struct jsummary js = {0};
	ftp_journal_feed((const char *)data, size, &js);
	ftp_jsummary_free(&js);
	lines_back(data, size);
	return 0;
}
