/* SPDX-License-Identifier: MIT */
/* fuzz_core_stream.c - libFuzzer harness for the stream reader shared by NNTP, IMAP
 * and POP3: lines (bounded), literals ({N} style, sizes from the input), arriving in
 * pieces of sizes the input chooses. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"

struct mem {
	const uint8_t *p;
	size_t n, off;
	unsigned step;
};

static ssize_t m_read(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;
	if (m->off >= m->n)
		return 0;
	size_t k = m->step ? m->step : 1;
	if (k > n)
		k = n;
	if (k > m->n - m->off)
		k = m->n - m->off;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

static ssize_t m_write(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	(void)p;
	return (ssize_t)n;
}

static int m_fd(void *ctx)
{
	(void)ctx;
	return 0;
}

static short m_wants(void *ctx, short d)
{
	(void)ctx;
	return d;
}

static void m_close(void *ctx)
{
	(void)ctx;
}

static const struct stream_ops mem_ops = {m_read, m_write, m_fd, m_wants, m_close, "mem"};

static int sink(void *arg, const char *p, size_t n)
{
	size_t *total = arg;
	*total += n;
	(void)p;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct mem m = {data + 2, size - 2, 0, (unsigned)data[0] % 64 + 1};
	struct stream *s = stream_new(&mem_ops, &m, (size_t)data[1] % 200 + 1, 100);
	for (int i = 0; i < 10000; i++) {
		char *line;
		size_t len;
		int r = stream_read_line(s, &line, &len);
		if (r == STREAM_LONG)
			continue;
		if (r < 0)
			break;
		/* "{N}" at the end of a line announces N bytes of literal, as in IMAP. */
		if (len > 2 && line[len - 1] == '}') {
			size_t j = len - 1;
			while (j > 0 && line[j - 1] >= '0' && line[j - 1] <= '9')
				j--;
			if (j > 0 && line[j - 1] == '{' && len - 1 - j < 6) {
				size_t n = strtoul(line + j, NULL, 10), total = 0;
				if (stream_read_n(s, n, sink, &total) < 0)
					break;
				if (total != n)
					abort();
			}
		}
	}
	stream_close(s);
	return 0;
}
