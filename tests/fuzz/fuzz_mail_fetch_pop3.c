/* SPDX-License-Identifier: MIT */
/* fuzz_mail_fetch_pop3.c - libFuzzer harness for mail-fetch's POP3 parsers: every line of
 * the input as a status line, a UIDL listing line, a LIST listing line and a CAPA line,
 * each copied into a buffer of its exact size so that ASan sees any overread; and the
 * whole input as a mail header block and as an IMAP --since date. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail_fetch/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;
	while (i < size) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - (data + i)) : size - i;
		size_t l = len && data[i + len - 1] == '\r' ? len - 1 : len;
		char *line = malloc(l ? l : 1);
		memcpy(line, data + i, l);
		i += len + (nl ? 1 : 0);
		uint32_t num;
		uint64_t sz;
		char uid[80];
		pop3_status(line, l);
		pop3_uidl_line(line, l, &num, uid, sizeof uid);
		pop3_list_line(line, l, &num, &sz);
		pop3_capa_is(line, l, "PIPELINING");
		free(line);
	}
	char *all = malloc(size ? size : 1);
	memcpy(all, data, size);
	char out[128];
	mf_mail_header(all, size, "Subject", out, sizeof out);
	free(all);
	if (size < 64) {
		char s[64];
		memcpy(s, data, size);
		s[size] = 0;
		imap_date(s, out, sizeof out);
	}
	return 0;
}
