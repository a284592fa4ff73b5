/* SPDX-License-Identifier: MIT */
/* fuzz_ftp_ctl.c - libFuzzer harness for the reply reader of our own FTP control
 * connections (applets/ftp/ctl.c, ctl_try_reply: multi-line replies, the noise before
 * a reply and its bounds, lines too long, the end in the middle of a line), over a
 * memory stream that hands the server's bytes over in pieces the input chooses, with
 * "would block" between them, as a non-blocking socket does.
 *
 * Checked for every call: the result is 0 (not yet), -1 (failed) or a code 100-599; a
 * reply leaves no reply under way; the text is bounded and cleaned (no control
 * character reaches a message); "not yet" happens only when the stream would block or
 * after CTL_NOISE_WAKE lines of noise; and the reader ends (-1) at the end of the input.
 *
 * Byte 0: the piece size (1-64); byte 1: a bit per piece, "would block" after it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ftp/ctl.h"
#include "ftp/ftp.h"
#include "stream.h"

struct mem {
	const uint8_t *p;
	size_t n, off;
	unsigned step, blocks, k;
	int blocked; /* the last read said EAGAIN */
};

static ssize_t m_read(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;
	/* After a piece, "would block" once when its bit says so: the caller returns 0. */
	if (!m->blocked && m->k && (m->blocks >> (m->k % 8) & 1)) {
		m->blocked = 1;
		errno = EAGAIN;
		return -1;
	}
	m->blocked = 0;
	if (m->off >= m->n)
		return 0;
	size_t k = m->step;
	if (k > n)
		k = n;
	if (k > m->n - m->off)
		k = m->n - m->off;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	m->k++;
	return (ssize_t)k;
}

static ssize_t m_write(void *ctx, const void *p, size_t n)
{
	(void)ctx, (void)p;
	return (ssize_t)n;
}

static int m_fd(void *ctx)
{
	(void)ctx;
	return -1;
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

static const struct stream_ops mem_ops = {.read = m_read, .write = m_write, .fd = m_fd, .wants = m_wants,
					  .close = m_close, .name = "mem"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct mem m = {.p = data + 2, .n = size - 2, .step = (unsigned)data[0] % 64 + 1, .blocks = data[1]};
	static struct ftp_site site = {.host = "ftp.example", .port = 21};
	struct fxc c;
	memset(&c, 0, sizeof c);
	c.site = &site;
	c.s = stream_new(&mem_ops, &m, CTL_MAX_LINE, 0);
	if (!c.s)
		return 0;
	/* Each call takes a line, or returns at a "would block" (at most one per piece) or
	 * after CTL_NOISE_WAKE lines: bounded by the input's size. */
	size_t calls = 0, limit = 2 * m.n + 16;
	for (;;) {
		if (++calls > limit)
			__builtin_trap(); /* the reader does not end */
		size_t before = m.off;
		int r = ctl_try_reply(&c);
		if (r != 0 && r != -1 && (r < 100 || r > 599))
			__builtin_trap();
		if (r && c.code != r)
			__builtin_trap();
		if (r > 0 && c.pend)
			__builtin_trap();
		if (c.pend && (c.pend < 100 || c.pend > 599))
			__builtin_trap();
		if (c.noise < 0 || c.noise > CTL_NOISE_MAX)
			__builtin_trap();
		size_t tl = strnlen(c.text, sizeof c.text);
		if (tl >= sizeof c.text)
			__builtin_trap();
		for (size_t i = 0; i < tl; i++)
			if ((unsigned char)c.text[i] < 0x20 || c.text[i] == 0x7f)
				__builtin_trap();
		if (r == -1)
			break;
		/* "Not yet" with the input at its end and nothing blocked: the end was missed. */
		if (r == 0 && !m.blocked && m.off >= m.n && before == m.off && !c.noise)
			__builtin_trap();
	}
	stream_close(c.s);
	return 0;
}
