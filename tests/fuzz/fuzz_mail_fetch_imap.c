/* SPDX-License-Identifier: MIT */
/* fuzz_mail_fetch_imap.c - libFuzzer harness for mail-fetch's IMAP response parsers: the
 * input is read as a server would send it (lines, and literals announced by "{N}") and
 * every line goes through the FETCH, tagged, untagged, SEARCH and LIST parsers; the
 * literals go through the message writer (CRLF, mboxrd quoting) and the header reader.
 * A line that ends with a literal and is no FETCH is gathered with what follows, as the
 * engine's read_resp does (imap_gather_line/imap_gather_bytes), and the whole response goes
 * through the LIST and untagged parsers; the raw input also goes to imap_list unsplit, so
 * that its literal branches ({n}CRLF names) are reached.
 * Each line is copied into a buffer of its exact size so that ASan sees any overread. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail_fetch/deliver.h"
#include "mbox.h"
#include "mail_fetch/parse.h"

static int devnull = -1;

static void literal(const uint8_t *p, size_t n)
{
	struct mbox_writer w;
	mbox_writer_init(&w, devnull, (n & 1 ? MBOX_W_MBOXRD : 0) | MBOX_W_CRLF | MBOX_W_HEADER, MBOX_FNV_INIT);
	mbox_write(&w, (const char *)p, n / 2);
	mbox_write(&w, (const char *)p + n / 2, n - n / 2);
	mbox_writer_finish(&w);
	char out[256];
	mf_mail_header(w.hdr, w.hlen, "Message-ID", out, sizeof out);
	mbox_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (devnull < 0)
		devnull = open("/dev/null", O_WRONLY);
	size_t i = 0;
	struct imap_fetch f;
	int in_fetch = 0;
	uint32_t *v = NULL;
	size_t nv = 0, cv = 0;
	while (i < size) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - (data + i)) : size - i;
		size_t l = len && data[i + len - 1] == '\r' ? len - 1 : len;
		char *line = malloc(l ? l : 1);
		memcpy(line, data + i, l);
		i += len + (nl ? 1 : 0);
		int res = IMAP_F_DONE;
		if (in_fetch)
			res = imap_fetch_feed(&f, line, l);
		else if (imap_fetch_begin(&f, line, l, &res))
			in_fetch = 1;
		if (in_fetch) {
			if (res == IMAP_F_LITERAL) {
				size_t k = f.lit < size - i ? (size_t)f.lit : size - i;
				literal(data + i, k);
				i += k;
			} else {
				in_fetch = 0;
			}
		} else if (imap_literal_at_end(line, l, &(uint64_t){0})) {
			/* gathered like read_resp: lines and literals into one bounded buffer */
			struct imap_gather g = {malloc(4096), 0, 4096};
			const char *cur = line;
			size_t cl = l;
			char *own = NULL;
			uint64_t lit;
			int gr;
			while ((gr = imap_gather_line(&g, cur, cl, &lit)) > 0) {
				size_t k = lit < size - i ? (size_t)lit : size - i;
				imap_gather_bytes(&g, (const char *)data + i, k);
				i += k;
				const uint8_t *nl2 = memchr(data + i, '\n', size - i);
				size_t len2 = nl2 ? (size_t)(nl2 - (data + i)) : size - i;
				cl = len2 && data[i + len2 - 1] == '\r' ? len2 - 1 : len2;
				free(own);
				own = malloc(cl ? cl : 1);
				memcpy(own, data + i, cl);
				cur = own;
				i += len2 + (nl2 ? 1 : 0);
			}
			free(own);
			if (gr == 0) {
				char *resp = malloc(g.len ? g.len : 1); /* exact size for ASan */
				memcpy(resp, g.b, g.len);
				char flags[64], delim, name[128];
				uint32_t num;
				char word[16];
				imap_list(resp, g.len, flags, sizeof flags, &delim, name, sizeof name);
				imap_untagged_num(resp, g.len, &num, word, sizeof word);
				free(resp);
			}
			free(g.b);
		} else {
			uint32_t num;
			uint64_t val;
			char word[16], flags[64], delim, name[128];
			imap_tagged(line, l, "A12");
			imap_untagged_num(line, l, &num, word, sizeof word);
			imap_resp_code_num(line, l, "UIDVALIDITY", &val);
			imap_has_cap(line, l, "IDLE");
			if (imap_search(line, l, &v, &nv, &cv, 4096) < 0)
				nv = 0;
			imap_list(line, l, flags, sizeof flags, &delim, name, sizeof name);
			imap_literal_at_end(line, l, &val);
		}
		free(line);
	}
	/* the whole input as one response: literal names in LIST ({n}CRLF inside) */
	{
		char *raw = malloc(size ? size : 1);
		memcpy(raw, data, size);
		char flags[64], delim, name[128];
		imap_list(raw, size, flags, sizeof flags, &delim, name, sizeof name);
		free(raw);
	}
	if (nv) {
		char set[512];
		imap_uid_set(set, sizeof set, v, nv);
	}
	free(v);
	return 0;
}
