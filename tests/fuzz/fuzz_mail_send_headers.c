/* SPDX-License-Identifier: MIT */
/* fuzz_mail_send_headers.c - libFuzzer harness for mail-send's message builder: the input
 * is a message on stdin (header-block detection, address lists for -t, Subject encoding,
 * quoted-printable, CRLF) and a queue file (the X-Nettool-Envelope parser). Checks that
 * what would be sent has CRLF line ends only, no Bcc or Resent-Bcc field, and a header section that
 * is ASCII without NUL with lines of at most 998 bytes.
 * Seeds: tests/fuzz/corpus/fuzz_mail_send_headers/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail_send/msg.h"

static void check_output(const char *p, size_t n)
{
	if (n < 2 || p[n - 2] != '\r' || p[n - 1] != '\n')
		abort();
	int bol = 1;
	size_t line = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			abort(); /* bare LF */
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
			abort(); /* bare CR */
		if (bol && n - i >= 2 && p[i] == '\r')
			break; /* end of the header section */
		if (bol && n - i >= 4 && !strncasecmp(p + i, "bcc:", 4))
			abort();
		if (bol && n - i >= 11 && !strncasecmp(p + i, "resent-bcc:", 11))
			abort();
		/* The header section is ASCII without NUL (no 8BITMIME, no SMTPUTF8), and its
		 * lines are at most 998 bytes (RFC 5322 2.1.1). */
		if ((unsigned char)p[i] >= 0x80 || p[i] == 0)
			abort();
		if (p[i] == '\n')
			line = 0;
		else if (p[i] != '\r' && ++line > 998)
			abort();
		bol = p[i] == '\n';
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char err[300];
	for (int extract = 0; extract < 2; extract++) {
		struct msg_in in;
		memset(&in, 0, sizeof in);
		in.from = "me@example.org";
		in.from_name = "Fuzz \xc3\xa4 Name";
		in.subject = extract ? NULL : "s";
		in.date = "Thu, 26 Nov 2026 10:00:00 +0000";
		in.msgid = "<id@example.org>";
		in.boundary = "=_b";
		in.keep_block = 1;
		in.extract = extract;
		strv_push(&in.to, "to@example.org");
		struct buf out;
		buf_init(&out, 0);
		struct strv rcpts = {0};
		if (msg_build(&in, p, size, &out, &rcpts, err, sizeof err) == 0) {
			check_output(buf_head(&out), buf_pending(&out));
			for (size_t i = 0; i < rcpts.n; i++)
				if (msg_check_addr(rcpts.v[i], err, sizeof err) < 0)
					abort();
		}
		buf_free(&out);
		strv_free(&rcpts);
		strv_free(&in.to);
	}
	char *from;
	struct strv r = {0};
	size_t off;
	if (msg_parse_envelope(p, size, &from, &r, &off, err, sizeof err) == 0) {
		if (off > size || !r.n)
			abort();
		free(from);
		strv_free(&r);
	}
	return 0;
}
