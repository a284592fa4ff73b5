/* SPDX-License-Identifier: MIT */
/* imap.c - the IMAP engine of mail-fetch: on a session that libcurl connected, secured and
 * logged in, EXAMINE (or SELECT), UID SEARCH, pipelined UID FETCH ... BODY.PEEK[] over UID
 * ranges with literals streamed into the destination, STORE/UID EXPUNGE after durable
 * delivery, LIST, and IDLE for watch.
 *
 * Man page: man/nettool-mail-fetch.1    Tests: tests/integration/mail_fetch*.sh
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "mail_fetch.h"
#include "nt_err.h"
#include "out.h"
#include "parse.h"
#include "session.h"
#include "stopsig.h"

#define MAX_OUT 16     /* commands in flight */
#define SET_MAX 60000  /* bytes of one UID set in a command */

enum { K_OTHER, K_FETCH_BODY, K_STORE, K_EXPUNGE };
enum { FH_NONE, FH_BODY, FH_SIZES, FH_HDR };

struct out_cmd {
	unsigned tag;
	int kind;
	size_t b0, b1; /* batch range in cand[] */
};

/* What the session saw (one session per process). */
static struct {
	uint64_t uidvalidity, uidnext;
	uint32_t exists;
	int exists_changed;
	uint32_t *search;
	size_t nsearch, csearch;
	int bye;
	/* fetch handling */
	int fh;                 /* FH_* for FETCH responses */
	const uint32_t *want;   /* sorted UIDs whose bodies we asked for */
	size_t nwant;
	uint64_t *sizes;        /* FH_SIZES: size of want[i] */
	char *hdr;              /* FH_HDR: the header literal */
	size_t hlen;
	void (*on_hdr)(struct mf *m, struct imap_fetch *f, const char *hdr, size_t hlen);
	unsigned char *got;     /* FH_BODY: want[i] arrived already */
	uint32_t *mydel;        /* without UIDPLUS: the UIDs we flagged \Deleted, to EXPUNGE at the end */
	size_t nmydel, cmydel;
	struct out_cmd out[MAX_OUT];
	int nout;
} G;

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static unsigned imap_send(struct mf *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static unsigned imap_send(struct mf *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd;
	if (vasprintf(&cmd, fmt, ap) < 0)
		die(NT_EXIT_IO, "out of memory");
	va_end(ap);
	unsigned tag = ++m->tagn;
	int r = stream_cmdf(m->s, "A%u %s", tag, cmd);
	free(cmd);
	if (r < 0)
		mf_stream_die(m, r, "sending a command");
	return tag;
}

/* A literal we do not keep: read and drop it. */
static int discard(void *a, const char *p, size_t n)
{
	(void)a, (void)p, (void)n;
	return 0;
}

static int to_hdr(void *a, const char *p, size_t n)
{
	(void)a;
	size_t room = DEST_HDR_MAX - G.hlen;
	size_t k = n < room ? n : room;
	memcpy(G.hdr + G.hlen, p, k);
	G.hlen += k;
	return 0;
}

static void read_line(struct mf *m, char **line, size_t *len)
{
	int r = stream_read_line(m->s, line, len);
	if (r < 0)
		mf_stream_die(m, r, "reading a response");
}

static int wanted(uint32_t uid, size_t *idx)
{
	const uint32_t *p = G.want && G.nwant ? bsearch(&uid, G.want, G.nwant, sizeof uid, cmp_u32) : NULL;
	if (p && idx)
		*idx = (size_t)(p - G.want);
	return p != NULL;
}

static void fetch_response(struct mf *m, char *line, size_t len, int res)
{
	struct imap_fetch f;
	char err[512];
	int body_open = 0;
	/* imap_fetch_begin already ran on line: redo it on a private copy of the state */
	imap_fetch_begin(&f, line, len, &res);
	G.hlen = 0;
	for (;;) {
		if (res == IMAP_F_BAD) {
			if (body_open)
				mf_dest_msg_abort(&m->d);
			char shown[120];
			nt_clean_text(shown, sizeof shown, line, len);
			die(NT_EXIT_PROTO, "malformed FETCH response: %s", shown);
		}
		if (res == IMAP_F_DONE)
			break;
		/* a literal */
		uint64_t bound = m->max_size > 0 ? (uint64_t)m->max_size + 65536 : MF_MAX_MSG;
		if (f.lit > bound) {
			if (body_open)
				mf_dest_msg_abort(&m->d);
			die(NT_EXIT_PROTO, "the server announced a literal of %llu bytes (limit %llu)",
			    (unsigned long long)f.lit, (unsigned long long)bound);
		}
		int r;
		if (f.lit_kind == IMAP_LIT_BODY && G.fh == FH_BODY && !body_open) {
			if (mf_dest_msg_begin(&m->d, err, sizeof err) < 0)
				die(NT_EXIT_IO, "%s", err);
			body_open = 1;
			r = stream_read_n(m->s, (size_t)f.lit, mf_dest_msg_write, &m->d);
			if (r == STREAM_ERR && m->d.w.err) {
				mf_dest_msg_abort(&m->d);
				die(NT_EXIT_IO, "writing a message: %s", strerror(m->d.w.err));
			}
		} else if (f.lit_kind == IMAP_LIT_HEADER && G.fh == FH_HDR) {
			G.hlen = 0;
			r = stream_read_n(m->s, (size_t)f.lit, to_hdr, NULL);
		} else {
			r = stream_read_n(m->s, (size_t)f.lit, discard, NULL);
		}
		if (r < 0) {
			if (body_open)
				mf_dest_msg_abort(&m->d);
			mf_stream_die(m, r, "reading a message");
		}
		read_line(m, &line, &len);
		res = imap_fetch_feed(&f, line, len);
	}
	if (f.inl_len && f.inl_kind == IMAP_LIT_BODY && G.fh == FH_BODY && !body_open) {
		if (mf_dest_msg_begin(&m->d, err, sizeof err) < 0)
			die(NT_EXIT_IO, "%s", err);
		body_open = 1;
		mf_dest_msg_write(&m->d, f.inl, f.inl_len);
	}
	if (f.inl_len && f.inl_kind == IMAP_LIT_HEADER && G.fh == FH_HDR) {
		G.hlen = 0;
		to_hdr(NULL, f.inl, f.inl_len);
	}
	size_t idx;
	if (body_open) {
		if (!f.have_uid || !wanted(f.uid, &idx)) {
			mf_dest_msg_abort(&m->d);
			nt_warn("ignoring a message the server sent unasked (UID %u)", f.uid);
			return;
		}
		if (G.got) {
			if (G.got[idx]) {
				mf_dest_msg_abort(&m->d);
				nt_warn("ignoring UID %u: the server sent it twice", f.uid);
				return;
			}
			G.got[idx] = 1;
		}
		char key[16];
		snprintf(key, sizeof key, "%u", f.uid);
		if (mf_dest_msg_end(&m->d, key, err, sizeof err) < 0)
			die(NT_EXIT_IO, "%s", err);
		m->prog.items_done++;
		m->prog.bytes_done += m->d.m[m->d.n - 1].in_size;
		progress_update(&m->prog);
		return;
	}
	if (G.fh == FH_SIZES && f.have_uid && f.have_size && wanted(f.uid, &idx))
		G.sizes[idx] = f.size;
	if (G.fh == FH_HDR && f.have_uid && G.on_hdr)
		G.on_hdr(m, &f, G.hdr, G.hlen);
}

static void untagged(struct mf *m, const char *p, size_t n)
{
	uint64_t v;
	uint32_t num;
	char word[16];
	if (imap_untagged_num(p, n, &num, word, sizeof word)) {
		if (!strcmp(word, "EXISTS")) {
			G.exists = num;
			G.exists_changed = 1;
		}
		return;
	}
	if (imap_resp_code_num(p, n, "UIDVALIDITY", &v))
		G.uidvalidity = v;
	if (imap_resp_code_num(p, n, "UIDNEXT", &v))
		G.uidnext = v;
	if (imap_has_cap(p, n, "UIDPLUS"))
		m->cap_uidplus = 1;
	if (imap_has_cap(p, n, "IDLE"))
		m->cap_idle = 1;
	int r = imap_search(p, n, &G.search, &G.nsearch, &G.csearch, 64u << 20);
	if (r == -2)
		die(NT_EXIT_IO, "out of memory (SEARCH response)");
	if (r < 0)
		die(NT_EXIT_PROTO, "malformed SEARCH response");
	if (r)
		return;
	if (n >= 5 && !strncasecmp(p, "* BYE", 5))
		G.bye = 1;
	char flags[256], delim, name[4096];
	r = imap_list(p, n, flags, sizeof flags, &delim, name, sizeof name);
	if (r < 0)
		die(NT_EXIT_PROTO, "malformed LIST response");
	if (r > 0 && m->cmd == CMD_FOLDERS) {
		if (m->json) {
			json_begin(stdout);
			json_kv_str(stdout, "name", name);
			char d[2] = {delim, 0};
			json_kv_str(stdout, "delimiter", delim ? d : NULL);
			json_kv_str(stdout, "flags", flags);
			json_end(stdout);
		} else {
			out_line(stdout, name, strlen(name), 0); /* made safe for a terminal (out.h) */
		}
	}
}

/* Read one response; returns the tag number of a tagged completion (status in *st, text in
 * *text) or 0 for an untagged one (handled here), or -1 for a continuation ("+"). */
static long read_resp(struct mf *m, int *st, char *text, size_t textlen)
{
	char *line;
	size_t len;
	read_line(m, &line, &len);
	if (len >= 2 && line[0] == '*' && line[1] == ' ') {
		struct imap_fetch f;
		int res;
		if (imap_fetch_begin(&f, line, len, &res)) {
			fetch_response(m, line, len, res);
			return 0;
		}
		uint64_t lit;
		if (imap_literal_at_end(line, len, &lit)) {
			/* Another response with literals (a LIST with an odd name): gather it, bounded. */
			struct imap_gather g = {xmalloc(1 << 20), 0, 1 << 20};
			int gr;
			while ((gr = imap_gather_line(&g, line, len, &lit)) > 0) {
				int r = stream_read_n(m->s, (size_t)lit, imap_gather_bytes, &g);
				if (r < 0)
					mf_stream_die(m, r, "reading a response");
				read_line(m, &line, &len);
			}
			if (gr < 0)
				die(NT_EXIT_PROTO, "a response with literals over 1 MiB");
			untagged(m, g.b, g.len);
			free(g.b);
			return 0;
		}
		untagged(m, line, len);
		return 0;
	}
	if (len >= 1 && line[0] == '+')
		return -1;
	if (len >= 2 && line[0] == 'A') {
		char *e;
		unsigned long t = strtoul(line + 1, &e, 10);
		if (e > line + 1 && *e == ' ') {
			char tag[24];
			snprintf(tag, sizeof tag, "A%lu", t);
			*st = imap_tagged(line, len, tag);
			size_t off = (size_t)(e - line) + 1;
			/* the text after the status word: messages name the status once */
			while (off < len && line[off] != ' ')
				off++;
			while (off < len && line[off] == ' ')
				off++;
			nt_clean_text(text, textlen, line + off, len - off);
			/* keep [UIDVALIDITY] etc. of a tagged OK too */
			untagged(m, line, len);
			return (long)t;
		}
	}
	char shown[120];
	nt_clean_text(shown, sizeof shown, line, len);
	die(NT_EXIT_PROTO, "unexpected response: %s", shown);
}

/* Send one command and read until its completion; returns the status, text in text. */
static int imap_simple(struct mf *m, char *text, size_t textlen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int imap_simple(struct mf *m, char *text, size_t textlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd;
	if (vasprintf(&cmd, fmt, ap) < 0)
		die(NT_EXIT_IO, "out of memory");
	va_end(ap);
	unsigned tag = imap_send(m, "%s", cmd);
	free(cmd);
	for (;;) {
		int st = 0;
		long t = read_resp(m, &st, text, textlen);
		if (t == (long)tag)
			return st;
		if (t > 0)
			die(NT_EXIT_PROTO, "completion for a command we did not send (A%ld)", t);
	}
}

static void imap_must(struct mf *m, const char *what, int st, const char *text)
{
	if (st != IMAP_ST_OK)
		die(st == IMAP_ST_NO ? NT_EXIT_FAIL : NT_EXIT_PROTO, "%s: server said %s %s", what,
		    st == IMAP_ST_NO ? "NO" : "BAD", text);
}

/* UID FETCH over uids[0..n) in chunks of at most SET_MAX bytes, pipelined. */
static void fetch_items(struct mf *m, const uint32_t *uids, size_t n, const char *items)
{
	char *set = xmalloc(SET_MAX);
	unsigned tags[MAX_OUT];
	int nt = 0;
	size_t i = 0;
	char text[512];
	while (i < n || nt) {
		while (i < n && nt < MAX_OUT) {
			size_t k = imap_uid_set(set, SET_MAX, uids + i, n - i);
			if (!k)
				die(NT_EXIT_FAIL, "cannot form a UID set");
			tags[nt++] = imap_send(m, "UID FETCH %s %s", set, items);
			i += k;
		}
		int st = 0;
		long t = read_resp(m, &st, text, sizeof text);
		if (t <= 0)
			continue;
		if (t != (long)tags[0])
			die(NT_EXIT_PROTO, "completion out of order (A%ld)", t);
		imap_must(m, "UID FETCH", st, text);
		memmove(tags, tags + 1, (size_t)(nt - 1) * sizeof *tags);
		nt--;
	}
	free(set);
}

static void do_capability(struct mf *m)
{
	char text[512];
	int st = imap_simple(m, text, sizeof text, "CAPABILITY");
	imap_must(m, "CAPABILITY", st, text);
}

static void do_select(struct mf *m)
{
	char q[4200], text[512];
	if (imap_quote(q, sizeof q, m->mailbox) < 0)
		die(NT_EXIT_USAGE, "bad mailbox name");
	G.uidvalidity = 0;
	int rw = m->del || m->mark_seen;
	int st = imap_simple(m, text, sizeof text, "%s %s", rw ? "SELECT" : "EXAMINE", q);
	if (st != IMAP_ST_OK)
		die(st == IMAP_ST_NO ? NT_EXIT_FAIL : NT_EXIT_PROTO, "%s %s: server said %s %s", rw ? "SELECT" : "EXAMINE",
		    m->mailbox, st == IMAP_ST_NO ? "NO" : "BAD", text);
	if (!G.uidvalidity)
		die(NT_EXIT_PROTO, "the server gave no UIDVALIDITY for %s", m->mailbox);
}

/* UID SEARCH with the user's criteria; result sorted in G.search. */
static void do_search(struct mf *m)
{
	char text[512];
	/* no fixed buffer: a long --search goes out whole */
	char *crit = xasprintf("%s%s%s%s", m->since[0] ? "SINCE " : "", m->since, m->since[0] && m->search ? " " : "",
			       m->search ? m->search : "");
	if (!crit[0]) {
		free(crit);
		crit = xstrdup("ALL");
	}
	G.nsearch = 0;
	int st = imap_simple(m, text, sizeof text, "UID SEARCH %s", crit);
	free(crit);
	if (st == IMAP_ST_BAD && m->search)
		die(NT_EXIT_USAGE, "the server refused --search '%s': server said BAD %s", m->search, text);
	imap_must(m, "UID SEARCH", st, text);
	if (G.nsearch)
		qsort(G.search, G.nsearch, sizeof *G.search, cmp_u32);
}

static void drain(struct mf *m, int one);

/* STORE +FLAGS then (for \Deleted) UID EXPUNGE, queued; completions counted in G.out. */
static void queue_flags(struct mf *m, const uint32_t *uids, size_t n, const char *flag)
{
	char *set = xmalloc(SET_MAX);
	size_t i = 0;
	while (i < n) {
		size_t k = imap_uid_set(set, SET_MAX, uids + i, n - i);
		if (G.nout + 2 > MAX_OUT) {
			/* Many UID sets (a fragmented mailbox): let the earlier ones complete first. */
			for (int j = 0; j < G.nout; j++)
				if (G.out[j].kind == K_FETCH_BODY)
					die(NT_EXIT_FAIL, "internal: too many commands in flight");
			drain(m, 0);
		}
		unsigned t = imap_send(m, "UID STORE %s +FLAGS.SILENT (%s)", set, flag);
		G.out[G.nout++] = (struct out_cmd){t, K_STORE, 0, 0};
		if (!strcmp(flag, "\\Deleted") && m->cap_uidplus) {
			t = imap_send(m, "UID EXPUNGE %s", set);
			G.out[G.nout++] = (struct out_cmd){t, K_EXPUNGE, 0, 0};
			m->n_deleted += k;
		} else if (!strcmp(flag, "\\Deleted")) {
			/* a plain EXPUNGE removes every \Deleted message: checked at the end */
			if (G.nmydel + k > G.cmydel) {
				G.cmydel = (G.nmydel + k) * 2;
				G.mydel = xrealloc(G.mydel, G.cmydel * sizeof *G.mydel);
			}
			memcpy(G.mydel + G.nmydel, uids + i, k * sizeof *uids);
			G.nmydel += k;
		}
		i += k;
	}
	free(set);
}

static void body_done(struct mf *m, struct out_cmd *c, int st, const char *text);

/* Read until every queued command completed, or (one) until a body FETCH completed. */
static void drain(struct mf *m, int one)
{
	char text[512];
	while (G.nout) {
		int st = 0;
		long t = read_resp(m, &st, text, sizeof text);
		if (t <= 0)
			continue;
		int k;
		for (k = 0; k < G.nout; k++)
			if (G.out[k].tag == (unsigned)t)
				break;
		if (k == G.nout)
			die(NT_EXIT_PROTO, "completion for a command we did not send (A%ld)", t);
		struct out_cmd c = G.out[k];
		memmove(G.out + k, G.out + k + 1, (size_t)(G.nout - k - 1) * sizeof *G.out);
		G.nout--;
		if (c.kind == K_STORE || c.kind == K_EXPUNGE) {
			if (st != IMAP_ST_OK) {
				nt_warn("%s failed: %s", c.kind == K_STORE ? "UID STORE" : "EXPUNGE", text);
				m->rc = NT_EXIT_FAIL;
			}
		} else if (c.kind == K_FETCH_BODY) {
			body_done(m, &c, st, text);
			if (one)
				return;
		}
	}
}

/* Without UIDPLUS: one plain EXPUNGE for what we flagged \Deleted, only when UID SEARCH
 * DELETED finds no other message flagged \Deleted (by another client, for later); else
 * our messages stay flagged and a warning says why. Called with nothing in flight. */
static void expunge_mine(struct mf *m)
{
	char text[512];
	if (!G.nmydel)
		return;
	qsort(G.mydel, G.nmydel, sizeof *G.mydel, cmp_u32);
	G.nsearch = 0;
	int st = imap_simple(m, text, sizeof text, "UID SEARCH DELETED");
	imap_must(m, "UID SEARCH DELETED", st, text);
	size_t foreign = 0;
	for (size_t i = 0; i < G.nsearch; i++)
		if (!bsearch(&G.search[i], G.mydel, G.nmydel, sizeof *G.mydel, cmp_u32))
			foreign++;
	if (foreign) {
		nt_warn("not expunging: the server has no UIDPLUS and %zu other message%s flagged \\Deleted, which a "
		     "plain EXPUNGE would remove too; our %zu stay flagged \\Deleted", foreign, foreign == 1 ? " is" : "s are",
		     G.nmydel);
		m->rc = NT_EXIT_FAIL;
	} else {
		st = imap_simple(m, text, sizeof text, "EXPUNGE");
		if (st != IMAP_ST_OK) {
			nt_warn("EXPUNGE failed: %s", text);
			m->rc = NT_EXIT_FAIL;
		} else {
			m->n_deleted += G.nmydel;
		}
	}
	G.nmydel = 0;
}

/* --- fetch --- */
static uint32_t *cand;
static uint64_t *cand_size;
static size_t ncand, next_cand, bodies_got;

static void send_body_batch(struct mf *m)
{
	if (next_cand >= ncand || stopsig_got())
		return;
	size_t b0 = next_cand, b1 = b0;
	uint64_t bytes = 0;
	while (b1 < ncand && b1 - b0 < m->batch_msgs && (b1 == b0 || bytes + cand_size[b1] <= MF_BATCH_BYTES))
		bytes += cand_size[b1++];
	char *set = xmalloc(SET_MAX);
	size_t k = imap_uid_set(set, SET_MAX, cand + b0, b1 - b0);
	b1 = b0 + k;
	unsigned t = imap_send(m, "UID FETCH %s (UID BODY.PEEK[])", set);
	free(set);
	G.out[G.nout++] = (struct out_cmd){t, K_FETCH_BODY, b0, b1};
	next_cand = b1;
}

static void body_done(struct mf *m, struct out_cmd *c, int st, const char *text)
{
	char err[512];
	if (st != IMAP_ST_OK) {
		/* Keep what arrived; report the rest. */
		nt_warn("UID FETCH failed: %s", text);
		m->rc = NT_EXIT_FAIL;
	}
	size_t got = mf_dest_batch_count(&m->d);
	uint64_t bytes = mf_dest_batch_bytes(&m->d);
	char **keys;
	int n = mf_dest_commit(&m->d, &m->st, &keys, err, sizeof err);
	if (n < 0)
		die(NT_EXIT_IO, "%s", err);
	m->n_fetched += (unsigned long)n;
	m->b_fetched += bytes;
	if ((size_t)n < got)
		m->rc = NT_EXIT_FAIL, m->n_failed += got - (size_t)n;
	(void)c; /* Dovecot may answer pipelined FETCHes out of step: count per run, not per batch */
	bodies_got += got;
	if (n > 0 && (m->del || m->mark_seen)) {
		uint32_t *u = xmalloc((size_t)n * sizeof *u);
		for (int i = 0; i < n; i++)
			u[i] = (uint32_t)strtoul(keys[i], NULL, 10);
		qsort(u, (size_t)n, sizeof *u, cmp_u32);
		if (m->mark_seen)
			queue_flags(m, u, (size_t)n, "\\Seen");
		if (m->del)
			queue_flags(m, u, (size_t)n, "\\Deleted");
		free(u);
	}
}

static void msgid_collect(struct mf *m, struct imap_fetch *f, const char *hdr, size_t hlen)
{
	char mid[1024] = "";
	mf_mail_header(hdr, hlen, "Message-ID", mid, sizeof mid);
	char key[16];
	snprintf(key, sizeof key, "%u", f->uid);
	if (m->rebuild)
		mf_state_add(&m->st, key, mid);
	else if (mf_state_had_msgid(&m->st, mid))
		mf_state_add_bymid(&m->st, key, mid); /* not fetched again, but never deleted */
}

static void fetch_selected(struct mf *m)
{
	char err[512];
	/* UIDVALIDITY: a change keeps what we have by Message-ID. */
	if (m->rebuild || (m->st.uidvalidity && m->st.uidvalidity != G.uidvalidity)) {
		if (!m->rebuild)
			nt_warn("UIDVALIDITY of %s changed (%llu to %llu): matching fetched messages by Message-ID", m->mailbox,
			     (unsigned long long)m->st.uidvalidity, (unsigned long long)G.uidvalidity);
		mf_state_reset_keys(&m->st);
		do_search(m);
		G.fh = FH_HDR;
		G.on_hdr = msgid_collect;
		G.want = NULL;
		fetch_items(m, G.search, G.nsearch, "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
		G.fh = FH_NONE;
		m->st.uidvalidity = G.uidvalidity;
		if (mf_state_save(&m->st, err, sizeof err) < 0)
			die(NT_EXIT_IO, "%s", err);
		if (m->rebuild) {
			log_info("state rebuilt: %zu messages on the server marked as fetched", m->st.n);
			return;
		}
	}
	if (!m->st.uidvalidity) {
		m->st.uidvalidity = G.uidvalidity;
	}
	do_search(m);
	/* Which are new; which are ours already (for --delete). */
	free(cand);
	free(cand_size);
	cand = xmalloc((G.nsearch + 1) * sizeof *cand);
	cand_size = xcalloc(G.nsearch + 1, sizeof *cand_size);
	uint32_t *known = xmalloc((G.nsearch + 1) * sizeof *known);
	size_t nknown = 0;
	ncand = next_cand = 0;
	for (size_t i = 0; i < G.nsearch; i++) {
		char key[16];
		snprintf(key, sizeof key, "%u", G.search[i]);
		if (mf_state_has(&m->st, key)) {
			/* only what was downloaded here may be deleted unseen */
			if (mf_state_downloaded(&m->st, key))
				known[nknown++] = G.search[i];
			if (!m->all)
				continue;
		}
		cand[ncand++] = G.search[i];
	}
	/* Delete what we have already (with --all it is fetched again, then deleted). */
	if (m->del && nknown && !m->all) {
		queue_flags(m, known, nknown, "\\Deleted");
		drain(m, 0);
	}
	free(known);
	if (!ncand) {
		if (mf_state_save(&m->st, err, sizeof err) < 0)
			die(NT_EXIT_IO, "%s", err);
		expunge_mine(m);
		return;
	}
	/* Sizes for --max-size (and then the progress meter's byte total), in one pipelined
	 * pass; without --max-size that round trip (and the server's work) is saved. */
	if (m->max_size > 0) {
		G.fh = FH_SIZES;
		G.want = cand;
		G.nwant = ncand;
		G.sizes = cand_size;
		fetch_items(m, cand, ncand, "(UID RFC822.SIZE)");
		G.fh = FH_NONE;
	}
	size_t o = 0;
	uint64_t total = 0;
	for (size_t i = 0; i < ncand; i++) {
		if (m->max_size > 0 && cand_size[i] > (uint64_t)m->max_size) {
			nt_warn("skipping UID %u: %llu bytes is over --max-size", cand[i], (unsigned long long)cand_size[i]);
			m->n_skipped++;
			continue;
		}
		if (m->limit > 0 && o >= (size_t)m->limit)
			break;
		cand[o] = cand[i];
		cand_size[o] = cand_size[i];
		total += cand_size[o];
		o++;
	}
	ncand = o;
	m->prog.items_total += ncand;
	m->prog.bytes_total += total;
	/* Bodies: two batches in flight; each completion commits its batch durably. */
	G.fh = FH_BODY;
	G.want = cand;
	G.nwant = ncand;
	bodies_got = 0;
	free(G.got);
	G.got = xcalloc(ncand + 1, 1);
	send_body_batch(m);
	send_body_batch(m);
	while (G.nout) {
		drain(m, 1);
		G.want = cand; /* every requested UID stays acceptable */
		send_body_batch(m);
	}
	G.fh = FH_NONE;
	G.want = NULL;
	free(G.got);
	G.got = NULL;
	if (bodies_got < next_cand) {
		nt_warn("%zu of %zu messages were not sent by the server (expunged meanwhile?)", next_cand - bodies_got,
		     next_cand);
		m->rc = NT_EXIT_FAIL;
	}
	if (mf_dest_settle(&m->d, &m->st, err, sizeof err) < 0)
		die(NT_EXIT_IO, "%s", err);
	if (mf_state_save(&m->st, err, sizeof err) < 0)
		die(NT_EXIT_IO, "%s", err);
	expunge_mine(m);
}

/* --- list --- */
static void list_one(struct mf *m, struct imap_fetch *f, const char *hdr, size_t hlen)
{
	char date[256] = "", from[512] = "", subj[1024] = "", mid[512] = "";
	/* A header the message lacks is unknown: null in --json (CONVENTIONS), "" in text. */
	int has_date = mf_mail_header(hdr, hlen, "Date", date, sizeof date);
	int has_from = mf_mail_header(hdr, hlen, "From", from, sizeof from);
	int has_subj = mf_mail_header(hdr, hlen, "Subject", subj, sizeof subj);
	int has_mid = mf_mail_header(hdr, hlen, "Message-ID", mid, sizeof mid);
	char key[16];
	snprintf(key, sizeof key, "%u", f->uid);
	int fetched = m->st.path && mf_state_has(&m->st, key);
	if (m->json) {
		json_begin(stdout);
		json_kv_int(stdout, "uid", f->uid);
		json_kv_int(stdout, "size", (long long)f->size);
		json_kv_str(stdout, "date", has_date ? date : NULL);
		json_kv_str(stdout, "from", has_from ? from : NULL);
		json_kv_str(stdout, "subject", has_subj ? subj : NULL);
		json_kv_str(stdout, "message_id", has_mid ? mid : NULL);
		json_kv_bool(stdout, "seen", f->seen);
		json_kv_bool(stdout, "fetched", fetched);
		json_end(stdout);
	} else {
		printf("%u\t%llu\t%s\t%s\t%s\n", f->uid, (unsigned long long)f->size, date, from, subj);
	}
}

static void logout(struct mf *m)
{
	char text[256];
	unsigned tag = imap_send(m, "LOGOUT");
	for (;;) {
		int st = 0;
		char *line;
		size_t len;
		int r = stream_read_line(m->s, &line, &len);
		if (r < 0)
			return; /* the server may close first */
		(void)st;
		char t[24];
		snprintf(t, sizeof t, "A%u", tag);
		if (imap_tagged(line, len, t))
			return;
		(void)text;
	}
}

static void session(struct mf *m)
{
	mf_connect(m);
	do_capability(m);
	if (m->cmd == CMD_FOLDERS) {
		char text[512];
		int st = imap_simple(m, text, sizeof text, "LIST \"\" \"*\"");
		imap_must(m, "LIST", st, text);
		logout(m);
		return;
	}
	do_select(m);
	if (m->cmd == CMD_LIST) {
		do_search(m);
		G.fh = FH_HDR;
		G.on_hdr = list_one;
		fetch_items(m, G.search, G.nsearch,
			    "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT MESSAGE-ID)])");
		logout(m);
		return;
	}
	fetch_selected(m);
}

void imap_run(struct mf *m)
{
	G.hdr = xmalloc(DEST_HDR_MAX);
	if (m->cmd == CMD_FETCH || m->cmd == CMD_LIST)
		mf_open_state(m, m->mailbox);
	session(m);
	if (m->cmd == CMD_FETCH)
		logout(m);
	mf_disconnect(m);
}

/* --- watch: IDLE on one mailbox (one process per mailbox; main.c forks) --- */
void imap_watch(struct mf *m)
{
	G.hdr = xmalloc(DEST_HDR_MAX);
	mf_open_state(m, m->mailbox);
	mf_connect(m);
	do_capability(m);
	if (!m->cap_idle)
		die(NT_EXIT_FAIL, "the server does not offer IDLE");
	do_select(m);
	while (!stopsig_got()) {
		fetch_selected(m);
		mf_summary(m);
		m->n_fetched = m->n_skipped = m->n_deleted = 0;
		m->b_fetched = 0;
		if (stopsig_got())
			break;
		unsigned tag = imap_send(m, "IDLE");
		int st = 0;
		char text[512];
		long t = read_resp(m, &st, text, sizeof text);
		while (t == 0)
			t = read_resp(m, &st, text, sizeof text);
		if (t != -1)
			die(NT_EXIT_PROTO, "IDLE refused: %s", text);
		time_t t0 = time(NULL);
		G.exists_changed = 0;
		/* RFC 2177: re-issue before 29 minutes. */
		while (!stopsig_got() && !G.exists_changed && time(NULL) - t0 < 28 * 60) {
			int w = stream_wait_input(m->s, 1000);
			if (w < 0)
				mf_stream_die(m, w, "waiting in IDLE");
			if (w == 0)
				continue;
			t = read_resp(m, &st, text, sizeof text);
			if (G.bye)
				die(NT_EXIT_NET, "the server ended the session");
			(void)t;
		}
		if (stream_write(m->s, "DONE\r\n", 6) < 0)
			mf_stream_die(m, STREAM_ERR, "ending IDLE");
		if (m->s->trace)
			m->s->trace('>', "DONE", 4);
		for (;;) {
			t = read_resp(m, &st, text, sizeof text);
			if (t == (long)tag)
				break;
		}
		if (st != IMAP_ST_OK)
			die(NT_EXIT_PROTO, "IDLE ended with %s", text);
	}
	logout(m);
	mf_disconnect(m);
}
