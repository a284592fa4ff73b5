/* SPDX-License-Identifier: MIT */
/* pop3.c - the POP3 engine of mail-fetch: on a session that libcurl connected, secured and
 * logged in, CAPA, STAT, UIDL and LIST, then RETR (pipelined when the server announces
 * PIPELINING) into the destination in durable batches, DELE after each batch is synced
 * and recorded, committed by QUIT.
 *
 * Man page: man/nettool-mail-fetch.1    Tests: tests/integration/mail_fetch*.sh
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "mail_fetch.h"
#include "nt_err.h"
#include "parse.h"
#include "session.h"

#define POP3_MAX_MSGS (10u << 20)

static struct {
	uint32_t count;
	char **uidl;       /* by message number, 1..count */
	uint64_t *size;
	unsigned char *deleted; /* DELE answered +OK (committed by QUIT) */
	int cap_top, cap_uidl;
} P;

static void cmd(struct mf *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cmd(struct mf *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *c;
	if (vasprintf(&c, fmt, ap) < 0)
		die(NT_EXIT_IO, "out of memory");
	va_end(ap);
	int r = stream_cmdf(m->s, "%s", c);
	free(c);
	if (r < 0)
		mf_stream_die(m, r, "sending a command");
}

/* Queue without flushing (pipelining); CR/LF were never in our own arguments. */
static void qcmd(struct mf *m, const char *fmt, unsigned n)
{
	char b[64];
	int l = snprintf(b, sizeof b, fmt, n);
	if (m->s->trace)
		m->s->trace('>', b, (size_t)l - 2);
	if (stream_queue(m->s, b, (size_t)l) < 0)
		mf_stream_die(m, STREAM_ERR, "queueing a command");
}

static void flush(struct mf *m)
{
	int r = stream_flush(m->s);
	if (r < 0)
		mf_stream_die(m, r, "sending commands");
}

static int status(struct mf *m, char *text, size_t textlen)
{
	char *line;
	size_t len;
	int r = stream_read_line(m->s, &line, &len);
	if (r < 0)
		mf_stream_die(m, r, "reading a reply");
	int st = pop3_status(line, len);
	if (st < 0) {
		char shown[120];
		nt_clean_text(shown, sizeof shown, line, len);
		die(NT_EXIT_PROTO, "malformed reply: %s", shown);
	}
	nt_clean_text(text, textlen, line, len);
	return st;
}

static void must(struct mf *m, const char *what)
{
	char text[512];
	if (status(m, text, sizeof text) != 1)
		die(NT_EXIT_FAIL, "%s: %s", what, text);
}

static void capa(struct mf *m)
{
	char text[512];
	cmd(m, "CAPA");
	if (status(m, text, sizeof text) != 1)
		return; /* no CAPA: no pipelining */
	for (int k = 0;; k++) {
		char *line;
		size_t len;
		int r = stream_read_line(m->s, &line, &len);
		if (r < 0)
			mf_stream_die(m, r, "reading CAPA");
		if (len == 1 && line[0] == '.')
			break;
		if (k > 1000)
			die(NT_EXIT_PROTO, "endless CAPA reply");
		if (pop3_capa_is(line, len, "PIPELINING"))
			m->cap_pipelining = 1;
		if (pop3_capa_is(line, len, "TOP"))
			P.cap_top = 1;
		if (pop3_capa_is(line, len, "UIDL"))
			P.cap_uidl = 1;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void listings(struct mf *m)
{
	char text[512];
	cmd(m, "STAT");
	if (status(m, text, sizeof text) != 1)
		die(NT_EXIT_FAIL, "STAT: %s", text);
	unsigned long cnt;
	unsigned long long sz;
	if (sscanf(text, "+OK %lu %llu", &cnt, &sz) != 2 || cnt > POP3_MAX_MSGS)
		die(NT_EXIT_PROTO, "malformed STAT reply: %s", text);
	P.count = (uint32_t)cnt;
	P.uidl = xcalloc(cnt + 1, sizeof *P.uidl);
	P.size = xcalloc(cnt + 1, sizeof *P.size);
	P.deleted = xcalloc(cnt + 1, 1);
	if (!cnt)
		return;
	/* UIDL and LIST back to back. */
	if (m->cap_pipelining) {
		qcmd(m, "UIDL\r\n", 0);
		qcmd(m, "LIST\r\n", 0);
		flush(m);
	} else {
		cmd(m, "UIDL");
	}
	if (status(m, text, sizeof text) != 1)
		die(NT_EXIT_FAIL, "UIDL is not supported (%s): mail-fetch needs it to know what it fetched", text);
	for (;;) {
		char *line, uid[80];
		size_t len;
		uint32_t num;
		int r = stream_read_line(m->s, &line, &len);
		if (r < 0)
			mf_stream_die(m, r, "reading UIDL");
		r = pop3_uidl_line(line, len, &num, uid, sizeof uid);
		if (r == 0)
			break;
		if (r < 0 || num > P.count || P.uidl[num]) {
			char shown[120];
			nt_clean_text(shown, sizeof shown, line, len);
			die(NT_EXIT_PROTO, "malformed UIDL line: %s", shown);
		}
		P.uidl[num] = xstrdup(uid);
	}
	/* UIDLs are unique (RFC 1939); a server that repeats one would make us deliver twice. */
	char **sorted = xmalloc((P.count + 1) * sizeof *sorted);
	size_t ns = 0;
	for (uint32_t i = 1; i <= P.count; i++)
		if (P.uidl[i])
			sorted[ns++] = P.uidl[i];
	if (ns)
		qsort(sorted, ns, sizeof *sorted, cmp_str);
	for (size_t i = 1; i < ns; i++)
		if (!strcmp(sorted[i - 1], sorted[i]))
			die(NT_EXIT_PROTO, "the server gave two messages the same UIDL %s", sorted[i]);
	free(sorted);
	if (!m->cap_pipelining)
		cmd(m, "LIST");
	if (status(m, text, sizeof text) != 1)
		die(NT_EXIT_FAIL, "LIST: %s", text);
	for (;;) {
		char *line;
		size_t len;
		uint32_t num;
		uint64_t size;
		int r = stream_read_line(m->s, &line, &len);
		if (r < 0)
			mf_stream_die(m, r, "reading LIST");
		r = pop3_list_line(line, len, &num, &size);
		if (r == 0)
			break;
		if (r < 0 || num > P.count) {
			char shown[120];
			nt_clean_text(shown, sizeof shown, line, len);
			die(NT_EXIT_PROTO, "malformed LIST line: %s", shown);
		}
		P.size[num] = size;
	}
}

/* A multi-line reply into the destination (or the header buffer): dot-unstuffed, bounded. */
static void read_body(struct mf *m, int (*sink)(void *, const char *, size_t), void *arg, uint64_t bound)
{
	uint64_t got = 0;
	for (;;) {
		char *line;
		size_t len;
		int r = stream_read_line(m->s, &line, &len);
		if (r < 0) /* STREAM_LONG too: exit 5, the partial message removed */
			mf_stream_die(m, r, "reading a message");
		if (len == 1 && line[0] == '.')
			return;
		if (len && line[0] == '.')
			line++, len--;
		got += len + 2;
		if (got > bound)
			die(NT_EXIT_PROTO, "a message larger than announced (%llu bytes)", (unsigned long long)bound);
		if (sink(arg, line, len) < 0 || sink(arg, "\r\n", 2) < 0)
			die(NT_EXIT_IO, "writing a message: %s", strerror(m->d.w.err));
	}
}

static void retr_read(struct mf *m, uint32_t num)
{
	char text[512], err[512];
	if (status(m, text, sizeof text) != 1) {
		nt_warn("RETR %u: %s", num, text);
		m->rc = NT_EXIT_FAIL;
		return;
	}
	if (mf_dest_msg_begin(&m->d, err, sizeof err) < 0)
		die(NT_EXIT_IO, "%s", err);
	uint64_t bound = pop3_retr_bound(P.size[num], m->max_size, MF_MAX_MSG);
	read_body(m, mf_dest_msg_write, &m->d, bound);
	if (mf_dest_msg_end(&m->d, P.uidl[num], err, sizeof err) < 0)
		die(NT_EXIT_IO, "%s", err);
	m->prog.items_done++;
	m->prog.bytes_done += P.size[num];
	progress_update(&m->prog);
}


/* DELE every message whose UIDL is in keys[0..n) (sorted here). */
static void dele_keys(struct mf *m, char **keys, size_t n, uint32_t *num_of)
{
	char text[512];
	if (!n)
		return;
	(void)num_of;
	qsort(keys, n, sizeof *keys, cmp_str);
	uint32_t *todo = xmalloc(n * sizeof *todo);
	size_t nt = 0;
	for (uint32_t i = 1; i <= P.count; i++)
		if (P.uidl[i] && bsearch(&P.uidl[i], keys, n, sizeof *keys, cmp_str))
			todo[nt++] = i;
	for (size_t k = 0; k < nt;) {
		size_t e = m->cap_pipelining ? nt : k + 1;
		for (size_t j = k; j < e; j++)
			qcmd(m, "DELE %u\r\n", todo[j]);
		flush(m);
		for (size_t j = k; j < e; j++) {
			if (status(m, text, sizeof text) != 1) {
				nt_warn("DELE %u: %s", todo[j], text);
				m->rc = NT_EXIT_FAIL;
			} else {
				m->n_deleted++;
				P.deleted[todo[j]] = 1;
			}
		}
		k = e;
	}
	free(todo);
}

static void quit(struct mf *m)
{
	char text[512];
	cmd(m, "QUIT");
	if (status(m, text, sizeof text) != 1) {
		nt_warn("QUIT: %s (deletions are not committed)", text);
		m->rc = NT_EXIT_FAIL;
		m->n_deleted = 0;
		return;
	}
	/* Committed: those UIDLs are free for the server to give again (RFC 1939), so they
	 * leave the state; a new message under one of them is new to us. */
	char **gone = xmalloc((P.count + 1) * sizeof *gone);
	size_t ng = 0;
	for (uint32_t i = 1; i <= P.count; i++)
		if (P.deleted[i] && P.uidl[i])
			gone[ng++] = P.uidl[i];
	if (ng && m->st.path && mf_state_filter(&m->st, gone, ng, 0)) {
		char err[512];
		if (mf_state_save(&m->st, err, sizeof err) < 0) {
			nt_warn("%s (the next run drops the deleted UIDLs)", err);
			m->rc = NT_EXIT_IO;
		}
	}
	free(gone);
}

static void commit_batch(struct mf *m)
{
	char err[512], **keys;
	size_t got = mf_dest_batch_count(&m->d);
	uint64_t bytes = mf_dest_batch_bytes(&m->d);
	int n = mf_dest_commit(&m->d, &m->st, &keys, err, sizeof err);
	if (n < 0)
		die(NT_EXIT_IO, "%s", err);
	m->n_fetched += (unsigned long)n;
	m->b_fetched += bytes;
	if ((size_t)n < got)
		m->rc = NT_EXIT_FAIL, m->n_failed += got - (size_t)n;
	if (m->del && n > 0) {
		char **k = xmalloc((size_t)n * sizeof *k);
		memcpy(k, keys, (size_t)n * sizeof *k);
		dele_keys(m, k, (size_t)n, NULL);
		free(k);
	}
}

static void fetch(struct mf *m)
{
	char err[512];
	uint32_t *cand = xmalloc((P.count + 1) * sizeof *cand);
	char **known = xmalloc((P.count + 1) * sizeof *known);
	size_t nc = 0, nk = 0;
	uint64_t total = 0;
	/* UIDLs the server no longer lists are gone (fetched and deleted, or deleted by another
	 * client): forget them first, so that a message given such a UIDL again is new. */
	{
		char **listed = xmalloc((P.count + 1) * sizeof *listed);
		size_t nl = 0;
		for (uint32_t i = 1; i <= P.count; i++)
			if (P.uidl[i])
				listed[nl++] = P.uidl[i];
		size_t dropped = mf_state_filter(&m->st, listed, nl, 1);
		if (dropped)
			log_trace("%zu UIDLs in the state are no longer on the server: forgotten", dropped);
		free(listed);
	}
	if (m->rebuild) {
		mf_state_reset_keys(&m->st);
		for (uint32_t i = 1; i <= P.count; i++)
			if (P.uidl[i])
				mf_state_add(&m->st, P.uidl[i], NULL);
		if (mf_state_save(&m->st, err, sizeof err) < 0)
			die(NT_EXIT_IO, "%s", err);
		log_info("state rebuilt: %zu messages on the server marked as fetched", m->st.n);
		free(cand), free(known);
		return;
	}
	for (uint32_t i = 1; i <= P.count; i++) {
		if (!P.uidl[i])
			continue;
		if (mf_state_has(&m->st, P.uidl[i])) {
			known[nk++] = P.uidl[i];
			if (!m->all)
				continue;
		}
		if (m->max_size > 0 && P.size[i] > (uint64_t)m->max_size) {
			nt_warn("skipping message %u (%s): %llu bytes is over --max-size", i, P.uidl[i],
			     (unsigned long long)P.size[i]);
			m->n_skipped++;
			continue;
		}
		if (m->limit > 0 && nc >= (size_t)m->limit)
			continue;
		cand[nc++] = i;
		total += P.size[i];
	}
	/* Delete what we have already (with --all it is fetched again and deleted after). */
	if (m->del && nk && !m->all)
		dele_keys(m, known, nk, NULL);
	free(known);
	m->prog.items_total += nc;
	m->prog.bytes_total += total;
	/* Batches; with PIPELINING the next batch's RETRs go out before this batch is committed. */
	size_t b0 = 0;
	size_t sent_to = 0;
	while (b0 < nc) {
		size_t b1 = b0;
		uint64_t bytes = 0;
		while (b1 < nc && b1 - b0 < m->batch_msgs && (b1 == b0 || bytes + P.size[cand[b1]] <= MF_BATCH_BYTES))
			bytes += P.size[cand[b1++]];
		if (m->cap_pipelining) {
			if (sent_to < b1) {
				for (size_t i = sent_to; i < b1; i++)
					qcmd(m, "RETR %u\r\n", cand[i]);
				flush(m);
				sent_to = b1;
			}
			for (size_t i = b0; i < b1; i++)
				retr_read(m, cand[i]);
			/* Keep the server busy while we sync: the next batch's requests. */
			size_t n1 = b1, nb = b1;
			uint64_t nbytes = 0;
			while (nb < nc && nb - n1 < m->batch_msgs && (nb == n1 || nbytes + P.size[cand[nb]] <= MF_BATCH_BYTES))
				nbytes += P.size[cand[nb++]];
			if (!m->del && nb > sent_to) {
				for (size_t i = sent_to; i < nb; i++)
					qcmd(m, "RETR %u\r\n", cand[i]);
				flush(m);
				sent_to = nb;
			}
		} else {
			for (size_t i = b0; i < b1; i++) {
				qcmd(m, "RETR %u\r\n", cand[i]);
				flush(m);
				retr_read(m, cand[i]);
			}
		}
		commit_batch(m);
		b0 = b1;
	}
	free(cand);
	if (mf_dest_settle(&m->d, &m->st, err, sizeof err) < 0)
		die(NT_EXIT_IO, "%s", err);
	if (mf_state_save(&m->st, err, sizeof err) < 0)
		die(NT_EXIT_IO, "%s", err);
}

static void list(struct mf *m)
{
	char *hdr = xmalloc(DEST_HDR_MAX);
	for (uint32_t i = 1; i <= P.count; i++) {
		char text[512];
		size_t hl = 0;
		{
			qcmd(m, "TOP %u 0\r\n", i);
			flush(m);
			if (status(m, text, sizeof text) == 1) {
				/* header into hdr, bounded */
				for (;;) {
					char *line;
					size_t len;
					int r = stream_read_line(m->s, &line, &len);
					if (r < 0)
						mf_stream_die(m, r, "reading TOP");
					if (len == 1 && line[0] == '.')
						break;
					if (len && line[0] == '.')
						line++, len--;
					if (hl + len + 1 < DEST_HDR_MAX) {
						memcpy(hdr + hl, line, len);
						hl += len;
						hdr[hl++] = '\n';
					}
				}
			}
		}
		char date[256] = "", from[512] = "", subj[1024] = "", mid[512] = "";
		/* A header the message lacks, or a server without UIDL, is unknown: null in
		 * --json (CONVENTIONS), "" in text. */
		int has_date = mf_mail_header(hdr, hl, "Date", date, sizeof date);
		int has_from = mf_mail_header(hdr, hl, "From", from, sizeof from);
		int has_subj = mf_mail_header(hdr, hl, "Subject", subj, sizeof subj);
		int has_mid = mf_mail_header(hdr, hl, "Message-ID", mid, sizeof mid);
		const char *u = P.uidl[i] ? P.uidl[i] : "";
		if (m->json) {
			json_begin(stdout);
			json_kv_int(stdout, "number", i);
			json_kv_str(stdout, "uid", P.uidl[i]);
			json_kv_int(stdout, "size", (long long)P.size[i]);
			json_kv_str(stdout, "date", has_date ? date : NULL);
			json_kv_str(stdout, "from", has_from ? from : NULL);
			json_kv_str(stdout, "subject", has_subj ? subj : NULL);
			json_kv_str(stdout, "message_id", has_mid ? mid : NULL);
			json_kv_bool(stdout, "fetched", m->st.path && P.uidl[i] && mf_state_has(&m->st, u));
			json_end(stdout);
		} else {
			printf("%s\t%llu\t%s\t%s\t%s\n", u, (unsigned long long)P.size[i], date, from, subj);
		}
	}
	free(hdr);
}

void pop3_run(struct mf *m)
{
	if (m->cmd == CMD_FOLDERS || m->cmd == CMD_WATCH)
		die(NT_EXIT_USAGE, "%s needs IMAP", m->cmd == CMD_FOLDERS ? "folders" : "watch");
	mf_open_state(m, "");
	mf_connect(m);
	capa(m);
	listings(m);
	if (m->cmd == CMD_LIST)
		list(m);
	else
		fetch(m);
	quit(m);
	mf_disconnect(m);
	(void)must;
}
