/* SPDX-License-Identifier: MIT */
/* fxpset.c - FXP's pairs of control connections (fxp.c runs the files on them): made and
 * closed, logged in and judged ready (one address family; TLS in use means clear data, so
 * streamed unless --fxp, then PBSZ 0 / PROT C and one warning), the passive side's
 * address turned into the other's PORT/EPRT (never a 227's own host: the FTP bounce), a
 * file given up (connections closed, its temporary or --no-atomic partial file deleted on
 * a fresh connection; a file still awaiting its rename on that pair fails with it), a
 * refusal of FXP (stream the rest, or --fxp: fail once), the run-wide state, and the
 * results of the overlap's tail (the file before, its rename unanswered: fxp.c).
 *
 * Header: applets/ftp/fxp.h (internal), applets/ftp/ftp.h    Man page: man/nettool-ftp.1
 * Tests: tests/integration/ftp_fxp.sh, tests/integration/ftp_copysafe.sh, tests/integration/ftp_durable.sh,
 * tests/integration/ftp_fxptail.sh, tests/integration/ftp_fxp_py.sh
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "connpol.h"
#include "fxp.h"
#include "log.h"
#include "nt_err.h"
#include "stream.h"
#include "tls.h"

struct fxp *fx_pairs;   /* every slot's pair */
int fx_off;          /* FXP ended for this run: every copy streams */
int fx_refused;      /* --fxp and FXP refused: no further file is begun */
int fx_port_ok;      /* a whole FXP transfer worked here: later STORs go with the next PASV (fx_stor_go) */
struct fxp *fx_probe; /* the pair trying FXP first: the others wait for its outcome */
char fx_drop_note[700]; /* fx_drop: a destination file overwritten and kept (--no-atomic), for fx_fail() */
static int fx_warned;

void fx_pair_close(struct fxp *x)
{
	struct ftp_site *b = x->cb ? x->cb->site : NULL;
	ctl_close(&x->ca);
	ctl_close(&x->cb);
	x->pasv_sent = x->pasv_ready = x->port_st = 0; /* a passive port belongs to its connections */
	if (x->tail) {
		/* The file before, renamed (RNTO sent) and unanswered, fails with the pair: it may
		 * or may not have its final name now (whole and checked if it has: SIZE matched
		 * before RNFR), but it is not counted as copied: no journal line, no DELE of its
		 * source. Its temporary goes, on a fresh connection kept for the next file. */
		x->tail = 0;
		x->tail_dead = 1;
		if (!x->tail_why[0])
			snprintf(x->tail_why, sizeof x->tail_why,
				 "the connection to %s ended before the rename into place was answered: not counted as copied",
				 b ? ftp_site_name(b) : "the destination");
		int code = 0;
		char err[600];
		if (b && x->tail_tmp && (x->cb = ctl_open(b, 0, &code, err, sizeof err)))
			ctl_cmd(x->cb, "DELE %s", x->tail_tmp);
		free(x->tail_tmp);
		x->tail_tmp = NULL;
	}
}

void ftp_fxp_free(void)
{
	while (fx_pairs) {
		struct fxp *x = fx_pairs;
		fx_pairs = x->next;
		fx_pair_close(x);
		free(x->tmp);
		free(x->tail_tmp);
		free(x);
	}
	fx_probe = NULL; /* what was learnt (fx_off, fx_port_ok) holds for the process */
}

/* Both control connections, and the TLS decision. 0 ready, 1 stream, -1 failed. */
int fx_ready(struct fxp *x, struct ftp_site *a, struct ftp_site *b, int *code, char *err, size_t errlen)
{
	if (!x->ca && !(x->ca = ctl_open(a, 0, code, err, errlen)))
		return *code ? -1 : 1;
	if (!x->cb && !(x->cb = ctl_open(b, 0, code, err, errlen)))
		return *code ? -1 : 1;
	struct fxc *ca = x->ca, *cb = x->cb;
	if (ca->family != cb->family) {
		snprintf(err, errlen, "%s and %s are not of one address family", ftp_site_name(a), ftp_site_name(b));
		return 1;
	}
	if (ca->enc || cb->enc) {
		if (ftp_cf.fxp <= 0) {
			snprintf(err, errlen, "TLS is in use and FXP would send the data in clear text (no SSCN or CPSV here)");
			return 1;
		}
		if (!fx_warned++)
			nt_warn("WARNING: --fxp: the data goes from %s to %s IN CLEAR TEXT (TLS protects only the control "
				"connections; without --fxp it would be streamed through us encrypted)",
				ftp_site_name(a), ftp_site_name(b));
		struct fxc *v[2] = {ca, cb};
		for (int i = 0; i < 2; i++) {
			if (!v[i]->enc || v[i]->protc)
				continue;
			if (ctl_cmd(v[i], "PBSZ 0") != 200 || ctl_cmd(v[i], "PROT C") != 200) {
				snprintf(err, errlen, "%s refused clear data (PROT C): %s", ftp_site_name(v[i]->site), v[i]->text);
				*code = NT_EXIT_FAIL;
				return -1;
			}
			v[i]->protc = 1;
		}
	}
	return 0;
}

/* The passive side's address from its reply r to PASV (EPSV over IPv6) as PORT's
 * or EPRT's argument. 0, or 1 (refused, or a reply we cannot use). */
int fx_pasv_parse(const struct fxc *d, int r, char *arg, size_t n)
{
	unsigned port;
	/* data.c reads the port (parse.c's bounded parsers); the address is the one we reach
	 * the destination at, never a 227's own: a destination naming another host would have
	 * the source send the file there (the FTP bounce); curl ignores it the same way. */
	if (r != (d->family == AF_INET6 ? 229 : 227) || ftp_data_port(d, r, &port) < 0)
		return 1;
	if (d->family == AF_INET6) {
		snprintf(arg, n, "EPRT |2|%s|%u|", d->addr, port);
		return 0;
	}
	unsigned a[4];
	if (sscanf(d->addr, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]) != 4)
		return 1;
	snprintf(arg, n, "PORT %u,%u,%u,%u,%u,%u", a[0], a[1], a[2], a[3], port >> 8, port & 255);
	return 0;
}

int fx_flush(struct fxp *x)
{
	struct fxc *v[2] = {x->ca, x->cb};
	for (int i = 0; i < 2; i++)
		if (v[i] && v[i]->s && stream_flush(v[i]->s) < 0) {
			snprintf(v[i]->text, sizeof v[i]->text, "cannot send to %s", ftp_site_name(v[i]->site));
			return v[i]->code = -1;
		}
	return 0;
}

void fx_say_stream(const char *why)
{
	if (fx_off++)
		return;
	log_trace("copy: FXP not possible (%s): the files are streamed through us", why);
}

int fx_fail(int *code, int c, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (fx_drop_note[0]) { /* what the file given up cost the destination (fx_drop) */
		size_t n = strlen(err);
		snprintf(err + n, errlen - n, "%s", fx_drop_note);
		fx_drop_note[0] = 0;
	}
	*code = c;
	return FXP_FAILED;
}

/* The file under way is given up: its connections closed (a transfer in flight dies with
 * them), and the temporary (or, --no-atomic, the partial file) deleted on a fresh
 * connection to the destination, waiting at most --timeout. */
void fx_drop(struct fxp *x, struct ftp_site *b)
{
	if (fx_probe == x)
		fx_probe = NULL;
	fx_pair_close(x);
	/* Partial or unchecked: stored, not yet renamed (or, --no-atomic, not yet checked).
	 * Nothing is when no STOR went out (with --no-atomic, into is a file we never touched).
	 * A STOR answered 425 counts: vsftpd creates (truncates) the file before it waits for
	 * the data connection. --no-atomic: the final name is deleted only when it was not
	 * there before (pre_gone); a file that was there was overwritten in place by the STOR
	 * (emptied, or a partial copy now) and is kept, the error says so (fx_drop_note). */
	int partial = x->stor_sent && (x->st == X_XFER || x->st == X_CHECK || (x->st == X_RNTO && x->tmp));
	fx_drop_note[0] = 0;
	if (x->into && partial && !x->tmp && !x->pre_gone) {
		char nm[300];
		nt_clean_text(nm, sizeof nm, x->into, strlen(x->into));
		snprintf(fx_drop_note, sizeof fx_drop_note,
			 "; %s on %s, there before the copy, was overwritten in place (--no-atomic) and is kept as the failure "
			 "left it: its earlier content is lost",
			 nm, ftp_site_name(b));
		partial = 0;
	}
	if (x->into && partial) {
		int code = 0;
		char err[600];
		struct fxc *c = x->cb ? x->cb : ctl_open(b, 0, &code, err, sizeof err); /* (a tail's DELE made one) */
		if (c) {
			ctl_cmd(c, "DELE %s", x->into);
			x->cb = c; /* kept for the next file (the source is opened again) */
		}
	}
	free(x->tmp);
	x->tmp = NULL;
	x->into = NULL;
	x->j = NULL;
	x->st = X_IDLE;
}

/* The file ended (done or failed): the pair waits for the next. */
int fx_end(struct fxp *x, int r)
{
	if (fx_probe == x)
		fx_probe = NULL;
	free(x->tmp);
	x->tmp = NULL;
	x->into = NULL;
	x->j = NULL;
	x->st = X_IDLE;
	return r;
}

void fx_stall_arm(struct fxp *x)
{
	x->stall_at = ftp_cf.co.timeout_ms > 0 ? ftp_now_ms() + ftp_cf.co.timeout_ms : 0;
}


/* FXP ends for the run, the file under way given up as any failure (its temporary
 * deleted, nothing journaled): c NT_EXIT_FAIL, the source or the destination refused what
 * FXP needs; NT_EXIT_PROTO, it failed in a way a refusal does not show (replies out of
 * step with the commands, a STOR never ended). This file and the rest are streamed (a
 * file there before, overwritten by --no-atomic, is stored again), or with --fxp this
 * file fails with c and no other is begun. */
int fx_quit(struct fxp *x, struct ftp_site *b, int c, const char *why, int *code, char *err, size_t errlen)
{
	fx_drop(x, b);
	if (ftp_cf.fxp > 0) {
		fx_refused = 1;
		return fx_fail(code, c, err, errlen, "--fxp: %s (%s): no further file is begun; without --fxp the files are streamed",
			    c == NT_EXIT_PROTO ? "FXP between these servers failed" : "the servers refuse to send data to each other",
			    why);
	}
	fx_drop_note[0] = 0;
	fx_say_stream(why);
	return FXP_STREAM;
}

/* The reply checks, once: can reply r answer a command whose success is ok (226: a
 * transfer, RETR or STOR, whose 1xx comes first)? A refusal (4xx, 5xx) can answer any. */
int fx_fits(int ok, int r)
{
	if (r >= 400 && r < 600)
		return 1;
	if (ok == 226)
		return (r >= 100 && r < 200) || r == 226 || r == 250;
	return r == ok;
}

/* Replies out of step with the commands on site w (what answered cmd: its text). */
int fx_desync(struct fxp *x, struct ftp_site *w, struct ftp_site *b, const char *cmd, int *code, char *err, size_t errlen)
{
	struct fxc *c = w == b ? x->cb : x->ca;
	snprintf(x->why, sizeof x->why, "protocol desync: %s answered %s with \"%s\"", ftp_site_name(w), cmd, c->text);
	return fx_quit(x, b, NT_EXIT_PROTO, x->why, code, err, errlen);
}

/* A line no command asked for already here on c (noise skipped, as ctl_try_reply does):
 * -2 (c->text: that line), -1 the connection failed, 0 none. */
int fx_stray(struct fxc *c)
{
	char *l;
	size_t n;
	int u;
	while ((u = stream_try_line(c->s, &l, &n)) == 0 &&
	       !(n >= 3 && l[0] >= '1' && l[0] <= '5' && l[1] >= '0' && l[1] <= '9' && l[2] >= '0' && l[2] <= '9'))
		;
	if (u == STREAM_AGAIN)
		return 0;
	if (u == 0)
		nt_clean_text(c->text, sizeof c->text, l, n);
	return u == 0 ? -2 : -1;
}

/* The source sent a reply that answered no command (fx_to_xfer): nothing stored, the file
 * failed (exit status 5) rather than a STOR on a 150 that may not be the RETR's. */
int fx_unasked(struct fxp *x, struct ftp_site *a, struct ftp_site *b, int *code, char *err, size_t errlen)
{
	char m[400];
	snprintf(m, sizeof m, "%s", x->ca->text);
	x->into = NULL; /* no STOR sent */
	fx_drop(x, b);
	return fx_fail(code, NT_EXIT_PROTO, err, errlen, "%s sent a reply no command asked for (\"%s\"): RETR not sent", ftp_site_name(a), m);
}

/* The pair could not be made ready (fx_ready's r: -1 failed, 1 not possible here). */
int fx_not_ready(struct fxp *x, int r, int *code, char *err, size_t errlen)
{
	if (fx_probe == x)
		fx_probe = NULL;
	x->st = X_IDLE;
	x->j = NULL;
	fx_pair_close(x);
	if (r < 0 && ftp_cf.fxp == 0) {
		/* Our own connections failed (a server that allows one session per address...):
		 * the streamed copy, which has its own, says what is wrong if anything is. */
		fx_say_stream(err);
		return FXP_STREAM;
	}
	if (r < 0)
		return FXP_FAILED;
	if (ftp_cf.fxp > 0) {
		char m[600];
		fx_refused = 1;
		snprintf(m, sizeof m, "%s", err);
		return fx_fail(code, NT_EXIT_FAIL, err, errlen, "--fxp: %.500s", m);
	}
	fx_say_stream(err);
	return FXP_STREAM;
}

int ftp_fxp_fds(const struct fxp *x, struct curl_waitfd *w)
{
	int n = 0;
	if (!x || x->st == X_IDLE)
		return 0;
	const struct fxc *v[2] = {x->ca, x->cb};
	for (int i = 0; i < 2; i++)
		if (v[i] && v[i]->s) {
			w[n].fd = v[i]->s->ops->fd(v[i]->s->ctx);
			w[n].events = CURL_WAIT_POLLIN;
			w[n].revents = 0;
			n++;
		}
	return n;
}

int ftp_fxp_refused(void)
{
	return fx_refused;
}

void ftp_fxp_stop(struct fxp *x, struct ftp_site *b)
{
	if (!x || x->st == X_IDLE)
		return;
	if (x->st == X_PASV || x->st == X_PORT || x->st == X_SIZE || x->st == X_GONE)
		x->into = NULL;
	fx_drop(x, b);
	if (fx_drop_note[0]) /* the engine says why it stopped; this is what it cost */
		nt_warn("copy stopped%s", fx_drop_note);
	fx_drop_note[0] = 0;
	x->tail_dead = x->pend = 0; /* the engine fails the slot's job (the tail) and drops the next */
	x->tail_why[0] = 0;
}

/* ---- the overlap's results (fxp.c: the tail) ---- */

/* The tail's RNTO answered r: FXP_TAIL, *code 0 (renamed) or its failure. */
int fx_tail_reply(struct fxp *x, struct ftp_site *b, int r, long long *bytes, int *code, char *err, size_t errlen)
{
	*bytes = x->tail_size;
	if (r == 250) {
		x->tail = 0;
		free(x->tail_tmp);
		x->tail_tmp = NULL;
		*code = 0;
		return FXP_TAIL;
	}
	snprintf(x->tail_why, sizeof x->tail_why, "rename into place on %s: %s", ftp_site_name(b), x->cb->text);
	snprintf(err, errlen, "%s", x->tail_why);
	fx_drop(x, b); /* the tail's temporary deleted, and what of N+1 was stored */
	x->tail_dead = 0;
	x->tail_why[0] = 0;
	fx_drop_note[0] = 0;
	x->pend = FXP_AGAIN + 2;
	*code = NT_EXIT_FAIL;
	return FXP_TAIL;
}

/* A result r of the file under way; when the pair dropped with a tail, the tail's failure
 * goes first (FXP_TAIL) and r is held for the next call. */
int fx_tail_first(struct fxp *x, int r, long long *bytes, int *code, char *err, size_t errlen)
{
	if (!x->tail_dead)
		return r;
	x->tail_dead = 0;
	x->pend = r + 2; /* (FXP_FAILED is -1) */
	x->pend_code = *code;
	x->pend_bytes = *bytes;
	snprintf(x->pend_err, sizeof x->pend_err, "%s", err);
	snprintf(err, errlen, "%s", x->tail_why);
	x->tail_why[0] = 0;
	*code = NT_EXIT_NET;
	*bytes = x->tail_size;
	return FXP_TAIL;
}
