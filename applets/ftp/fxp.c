/* SPDX-License-Identifier: MIT */
/* fxp.c - FXP: `copy` between two servers with the data going straight from one to the
 * other (RFC 959 section 5.2, "server to server"): our own control connections on core
 * streams (libcurl has no FXP). Per file, with the atomic default: PASV (EPSV over IPv6)
 * on the source, PORT (EPRT) with that address to the destination, answered 200, STOR of
 * the destination's temporary name (durable.c, as the streamed copy): the destination
 * connects to the source's passive port and says 150, and the RETR goes to the source
 * (fx_src_listens: the source sends and closes first, so each file's TIME_WAIT stays on its
 * passive port instead of filling its ephemeral ones). With --no-atomic the destination
 * listens: PASV there, PORT to the source, answered 200 before RETR goes there (never in
 * one write with RETR: pyftpdlib answers such a PORT after the RETR's 150), RETR on the
 * source, and once the source has accepted it (150, read in order, one reply per command:
 * a line no command asked for, found before the RETR, or a reply to the source's PASV
 * that is none, fails the file: fx_to_xfer, unasked; it is connected to the destination's
 * passive port, which the kernel queues) STOR of the final name. Both 226, SIZE of what
 * was stored equal to the announced size, and only then RNFR/RNTO into place.
 * A missing source never has the destination open, truncate or delete a file of that
 * name (--no-atomic). A failure after the STOR (a 425 to it included: vsftpd creates the
 * file before it waits) deletes the temporary, or with --no-atomic the final name only
 * when the copy created it (a SIZE of that name in one write with the PASV answered 550):
 * a file there before is kept, and the error says its earlier content is lost. A STOR
 * refused at once (553: no 150, nothing made) deletes nothing and keeps the pair for the
 * next file once the source has answered its RETR (only the source's connection goes
 * when that takes over a second). A destination folder of copy --from-file that cannot
 * be entered is said once before any file (batch.c), for FXP and the streamed copy.
 * --move: SIZE on the destination equal to the source's, then DELE of the source (a source
 * gone, 550 to its SIZE, with the destination there under its final name: moved by an
 * earlier run, FXP_MOVED). A source that refuses PORT to a third address or cannot reach
 * the destination (425 on RETR), or a destination that refuses the source's data
 * connection, ends FXP for the run: the engine streams; with --fxp that file fails and no
 * other is begun (FXP_DROPPED: one refusal, one error, not one per file). Where TLS is in
 * use the data would go in clear (neither SSCN nor CPSV is spoken here): streamed, unless
 * --fxp (then PROT C, said on stderr). Every slot of the engine runs its own pair of
 * control connections (ctl.c; logged in together, kept from file to file), step by step
 * without waiting; the commands of a step go in one write. Until a first file has gone by
 * FXP only one pair tries, so that a refusal costs one PORT per run; the SIZE on the source
 * goes first on every pair (a 550 fails the file there: probe_wait, src_missing).
 * Pipelined, once FXP has worked here, on the atomic default, to a destination whose
 * greeting says it reads commands only after a transfer (vsftpd: ctl.c's serial) only; to
 * others (pyftpdlib) the STOR of a name of ours goes first, the RETR at its 1xx, nothing
 * behind it, the transfer bounded by --timeout, and a reply that cannot answer its
 * command (fx_fits) or a transfer not ended ends FXP for the run (fx_quit): the STOR goes in one
 * write with the SIZE check and RNFR (fx_stor_go), the next file's PASV behind the RETR to a
 * vsftpd source, and that PASV's PORT to the destination right behind the RNTO (not with
 * --move, whose SIZE and DELE come next); between two vsftpd its STOR, SIZE, RNFR and RETR
 * follow at once (early), the PORT's 200 read first. --no-atomic, --create-dirs and the
 * first file keep one step at a time (--no-atomic's pre-existence SIZE names the next file,
 * unknown at its predecessor's STOR). A reply awaited longer than --timeout fails the
 * file; the transfer itself (between 150 and 226) only --deadline bounds. Then, without
 * --move, two files at once on a pair: the next file begins once a file's RNTO is sent
 * (below: the tail). The pair's connections, the drop of a file and the run-wide state
 * are fxpset.c's, and so are the tail's results.
 *
 * Header: applets/ftp/ftp.h, applets/ftp/fxp.h (internal)    Man page: man/nettool-ftp.1
 * Tests: tests/integration/ftp_fxp.sh, tests/integration/ftp_copysafe.sh, tests/integration/ftp_durable.sh,
 * tests/integration/ftp_fxptail.sh, tests/integration/ftp_fxp_py.sh
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fxp.h"
#include "log.h"
#include "nt_err.h"
#include "parse.h"
#include "stream.h"

/* ---- one file, step by step, without waiting (several fx_pairs run at once) ---- */

static int cb_reply(struct fxp *x);
/* The source failed its RETR: with src_listens its words are the cause of whatever the
 * destination then says or does (a missing file, and the PASV behind it resets the data
 * connection the destination made). */
static int src_nak(const struct fxp *x)
{
	return fx_src_listens() && x->a_ph == 3 && x->rs != 226 && x->rs != 250;
}

/* Once FXP has worked, between two vsftpd (serial), with a temporary and neither --move
 * nor --create-dirs: the file's STOR, SIZE and RNFR go right behind its PORT (behind the
 * last file's RNTO), and its RETR with them; the PORT's 200 is read in X_XFER first. */
static int early(const struct fxp *x)
{
	return fx_src_listens() && x->port_st == 1 && fx_port_ok && x->tmp && x->ca->serial && x->cb->serial &&
	       !ftp_cf.move && !ftp_cf.create_dirs;
}

/* The reply to the PORT sent (port_st 1; to the source, or with src_listens to the
 * destination, behind a tail's RNTO), read first: 1 (none awaited, or read: port_rc; a
 * refusal's words in why), 0 not yet, -1 the connection failed. */
static int port_reply(struct fxp *x)
{
	if (x->port_st != 1)
		return 1;
	struct fxc *c = fx_src_listens() ? x->cb : x->ca;
	int r = fx_src_listens() ? cb_reply(x) : ctl_try_reply(c);
	if (r <= 0)
		return r;
	x->port_st = 2;
	x->port_rc = r;
	if (r != 200)
		snprintf(x->why, sizeof x->why, "%s answered %s with \"%s\"", ftp_site_name(c->site),
			 c->family == AF_INET6 ? "EPRT" : "PORT", c->text);
	return 1;
}

/* Until one file has gone by FXP, one pair tries: a refusal costs one PORT (or one 425)
 * per run, not one per slot. Its source's SIZE comes first on every pair (a missing file
 * fails there, and waits for no pair): 1, this pair waits (X_HOLD). */
static int probe_wait(struct fxp *x)
{
	if (fx_port_ok)
		return 0;
	if (fx_probe && fx_probe != x) {
		x->st = X_HOLD;
		x->stall_at = 0;
		return 1;
	}
	fx_probe = x;
	return 0;
}

/* The source has no such file (550 to its SIZE): the file fails at once, the streamed
 * copy's words, the pair kept; nothing was sent to the destination, and it says nothing
 * of FXP here. */
static int src_missing(struct fxp *x, int *code, char *err, size_t errlen)
{
	x->src_550 = 1;
	return fx_end(x, fx_fail(code, NT_EXIT_FAIL, err, errlen, "no such file or folder on the server (server: %s)",
				 x->why));
}

int ftp_fxp_src_missing(const struct fxp *x)
{
	return x && x->src_550;
}

/* Both connections logged in: the file j begins. */
static int begin_file(struct fxp *x, struct ftp_site *a, struct ftp_site *b, const struct job *j, int *code, char *err,
		      size_t errlen)
{
	if (fx_off || fx_refused) { /* another pair found FXP impossible meanwhile */
		x->st = X_IDLE;
		x->j = NULL;
		fx_pair_close(x);
		return fx_refused ? FXP_DROPPED : FXP_STREAM;
	}
	int r = fx_ready(x, a, b, code, err, errlen);
	if (r)
		return fx_not_ready(x, r, code, err, errlen);
	x->j = j;
	x->sized = 0;
	x->src_550 = 0;
	x->size = j->size;
	free(x->tmp); /* X_HOLD's again */
	x->tmp = ftp_cf.atomic >= 0 ? ftp_dur_remote_tmp(j->dst) : NULL;
	x->into = x->tmp ? x->tmp : j->dst;
	x->size_sent = x->rnfr_sent = x->stor_sent = 0;
	x->why[0] = 0;
	x->held = 0;
	/* The announced size: the listing's (copy -r), else SIZE, as the streamed copy takes it.
	 * Not before the early PORT (X_CHECK) is answered: pyftpdlib answers a PORT once its
	 * connection is made, after a SIZE sent behind it, and the 213 would be read as the
	 * PORT's reply. */
	if (x->size < 0) {
		x->size_wait = x->port_st == 1 && !fx_src_listens();
		if (!x->size_wait && ctl_send(x->ca, "SIZE %s", j->src) < 0)
			goto lost;
		x->st = X_SIZE;
		fx_stall_arm(x);
		if (fx_flush(x) < 0)
			goto lost;
		return FXP_RUNNING;
	}
	if (probe_wait(x))
		return FXP_RUNNING;
	if (fx_to_pasv(x, code, err, errlen) < 0 || fx_flush(x) < 0)
		goto lost;
	return FXP_RUNNING;
lost:
	x->st = X_SIZE; /* nothing stored yet */
	fx_drop(x, b);
	return fx_fail(code, NT_EXIT_NET, err, errlen, "connection to %s or %s lost", ftp_site_name(a), ftp_site_name(b));
}

int ftp_fxp_start(struct fxp **px, struct ftp_site *a, struct ftp_site *b, const struct job *j, int *code, char *err,
		  size_t errlen)
{
	*code = 0;
	if (fx_refused)
		return FXP_DROPPED;
	if (ftp_cf.fxp < 0 || fx_off)
		return FXP_STREAM;
	struct fxp *x = *px;
	if (!x) {
		x = *px = xcalloc(1, sizeof *x);
		x->next = fx_pairs;
		fx_pairs = x;
	}
	x->j = j;
	if (!x->ca && !(x->ca = ctl_open(a, 1, code, err, errlen)))
		return fx_not_ready(x, *code ? -1 : 1, code, err, errlen);
	if (!x->cb && !(x->cb = ctl_open(b, 1, code, err, errlen)))
		return fx_not_ready(x, *code ? -1 : 1, code, err, errlen);
	if (x->ca->lst || x->cb->lst) {
		/* Logging in: the other slots' fx_pairs do at the same time. */
		x->st = X_LOGIN;
		fx_stall_arm(x);
		return FXP_RUNNING;
	}
	return begin_file(x, a, b, j, code, err, errlen);
}

/* ---- two files at once on a pair: the overlap of a rename with the next transfer ----
 * Once file N's RNTO is sent (atomic default, pipelined, no --move), the engine may hand
 * the pair its next job (ftp_fxp_chain): N becomes the tail, N+1 begins at once (its PORT
 * went to the source already, so its RETR goes now). Replies on the destination come in
 * order, so N's 250 is read before any of N+1's (cb_reply holds them back), and N is
 * reported (FXP_TAIL) only then: its journal line is written at that 250, not before. A
 * refused rename fails N (its temporary deleted) and N+1 begins again on fresh
 * connections (FXP_AGAIN: nothing of it was wrong); a pair dropped (connection lost, no
 * reply by --timeout) fails N as well, first, each with its own message and exit code; a
 * failure of N+1 the source gives (a missing file, a refused PORT, a reply unasked)
 * waits for N's answer before it drops the pair, so that N is not failed for it; N+1's temporary is deleted as before, and it never has
 * its final name before its own SIZE check and RNTO. */

/* A reply on the destination for the file under way: none while the tail's is awaited. */
static int cb_reply(struct fxp *x)
{
	return x->tail ? 0 : ctl_try_reply(x->cb);
}

/* The pair may take the next file now: N's RNTO is out and N+1's first steps are ready
 * (its passive port known, its PORT at the source), FXP has worked here, a temporary is
 * renamed (atomic default), no --move (its SIZE and DELE follow the 250), no MKD per file. */
static int can_chain(const struct fxp *x)
{
	return x->tmp && x->piped && x->pasv_ready && x->port_st == 1 && fx_port_ok && !fx_off && !fx_refused &&
	       !ftp_cf.move && !ftp_cf.create_dirs && !x->tail;
}

static int step(struct fxp *x, struct ftp_site *a, struct ftp_site *b, long long *bytes, int *code, char *err,
		size_t errlen)
{
	if (x->st == X_IDLE)
		return FXP_FAILED;
	struct fxc *ca = x->ca, *cb = x->cb;
	const struct job *j = x->j;
	for (;;) {
		int st = x->st, r;
		if (x->tail) { /* the file before: its RNTO's reply is the next line on cb */
			if ((r = ctl_try_reply(cb)) < 0)
				goto lost;
			if (r > 0)
				return fx_tail_reply(x, b, r, bytes, code, err, errlen);
		}
		switch (st) {
		case X_LOGIN: {
			int ra = ctl_login_step(ca, code, err, errlen);
			int rb = ra < 0 ? 0 : ctl_login_step(cb, code, err, errlen);
			if (ra < 0 || rb < 0)
				return fx_not_ready(x, -1, code, err, errlen);
			if (!ra || !rb) {
				if (ca->lst + cb->lst != x->got) {
					x->got = ca->lst + cb->lst; /* progress: the stall limit starts again */
					fx_stall_arm(x);
				}
				goto wait;
			}
			r = begin_file(x, a, b, j, code, err, errlen);
			if (r != FXP_RUNNING)
				return r;
			ca = x->ca, cb = x->cb;
			continue;
		}
		case X_HOLD:
			if (fx_off || (fx_refused && x->sized)) {
				x->st = X_IDLE;
				x->j = NULL;
				fx_pair_close(x);
				return fx_off ? FXP_STREAM : FXP_DROPPED;
			}
			if (!fx_port_ok && fx_probe)
				return FXP_RUNNING;
			if (x->sized) { /* its SIZE answered before it waited */
				x->sized = 0;
				if (probe_wait(x))
					return FXP_RUNNING;
				if (fx_to_pasv(x, code, err, errlen) < 0)
					goto lost;
				continue;
			}
			r = begin_file(x, a, b, j, code, err, errlen);
			if (r != FXP_RUNNING)
				return r;
			ca = x->ca, cb = x->cb;
			continue;
		case X_SIZE:
			if ((r = port_reply(x)) == 0) /* the PORT sent early (X_CHECK) answers first */
				goto wait;
			if (r < 0)
				goto lost;
			if (x->size_wait) { /* its SIZE goes now (begin_file) */
				x->size_wait = 0;
				if (ctl_send(ca, "SIZE %s", j->src) < 0)
					goto lost;
				fx_stall_arm(x);
				continue;
			}
			if (!(r = ctl_try_reply(ca)))
				goto wait;
			if (r < 0)
				goto lost;
			if (r == 213) /* ("213 -1", no digits: no size, nothing to check against) */
				x->size = ftp_parse_213_size(ca->text, strlen(ca->text));
			if (r == 550)
				snprintf(x->why, sizeof x->why, "%s", ca->text);
			if (r == 550 && !(ftp_cf.move && x->tmp))
				return src_missing(x, code, err, errlen);
			if (r == 550 && ftp_cf.move && x->tmp) {
				/* The source is gone: moved by an earlier run if the destination is
				 * there under its final name (else the RETR fails as before). */
				if (ctl_send(cb, "SIZE %s", j->dst) < 0)
					goto lost;
				x->st = X_GONE;
				fx_stall_arm(x);
				continue;
			}
			if (fx_off || fx_refused) { /* the probe found FXP impossible while this SIZE was out */
				x->st = X_IDLE;
				x->j = NULL;
				fx_pair_close(x);
				return fx_off ? FXP_STREAM : FXP_DROPPED;
			}
			if (probe_wait(x)) {
				x->sized = 1;
				return FXP_RUNNING;
			}
			if (fx_to_pasv(x, code, err, errlen) < 0)
				goto lost;
			continue;
		case X_GONE:
			if (!(r = cb_reply(x)))
				goto wait;
			if (r < 0)
				goto lost;
			if (r == 213) {
				*bytes = 0;
				return fx_end(x, FXP_MOVED);
			}
			return src_missing(x, code, err, errlen);
		case X_PASV: {
			if (x->pasv_ready) {
				/* x->port answers the PASV sent with the last STOR (atomic only: no
				 * pre-existence SIZE here); its PORT went to the source then (port_st),
				 * unless --move had a DELE to send there. */
				x->pasv_ready = 0;
			} else {
				if (x->pre_sent) {
					if (!(r = cb_reply(x)))
						goto wait;
					if (r < 0)
						goto lost;
					x->pre_sent = 0;
					x->pre_gone = r == 550; /* anything else (213, a refused SIZE): maybe there, kept */
				}
				struct fxc *pv = fx_src_listens() ? ca : cb;
				if (!(r = fx_src_listens() ? ctl_try_reply(ca) : cb_reply(x)))
					goto wait;
				if (r < 0)
					goto lost;
				if (!fx_fits(pv->family == AF_INET6 ? 229 : 227, r) && pv == ca) {
					return fx_unasked(x, a, b, code, err, errlen); /* "200 stale" for a PASV */
				}
				if (fx_pasv_parse(pv, r, x->port, sizeof x->port)) {
					snprintf(x->why, sizeof x->why, "%s answered %s with \"%s\"", ftp_site_name(pv->site),
						 pv->family == AF_INET6 ? "EPSV" : "PASV", pv->text);
					x->into = NULL; /* nothing stored yet */
					return fx_quit(x, b, NT_EXIT_FAIL, x->why, code, err, errlen);
				}
				x->port_st = 0;
			}
			if (!x->port_st) {
				if (ctl_send(fx_src_listens() ? cb : ca, "%s", x->port) < 0)
					goto lost;
				x->port_st = 1;
			}
			x->st = X_PORT;
			fx_stall_arm(x);
			continue;
		}
		case X_PORT:
			/* A failure of this file that drops the pair waits for the tail's answer
			 * first: the file before is not failed for this one. */
			if (x->held) {
				if (x->tail)
					goto wait;
				return fx_unasked(x, a, b, code, err, errlen);
			}
			if (!early(x)) {
				if ((r = port_reply(x)) == 0)
					goto wait;
				if (r < 0)
					goto lost;
				x->port_st = 0;
				if (x->port_rc != 200) {
					if (x->tail)
						goto wait;
					x->into = NULL;
					return fx_quit(x, b, NT_EXIT_FAIL, x->why, code, err, errlen);
				}
			}
			if ((r = fx_to_xfer(x)) == -2 && x->tail) {
				x->held = 1; /* ca->text keeps the line (only cb is read meanwhile) */
				goto wait;
			}
			if (r == -2)
				return fx_unasked(x, a, b, code, err, errlen);
			if (r < 0)
				goto lost;
			continue;
		case X_XFER: {
			int progress = 0;
			while (x->a_ph && x->a_ph < 3 && (r = ctl_try_reply(ca))) {
				progress = 1;
				if (r < 0 && (x->gone = 1))
					goto lost;
				if (!fx_fits(226, r))
					return fx_desync(x, a, b, "RETR", code, err, errlen);
				if (x->a_ph == 1 && r >= 100 && r < 200) {
					x->a_ph = 2;
				} else {
					x->src_550 = x->a_ph == 1 && r == 550; /* refused, not failed mid-way */
					x->rs = r;
					x->a_ph = 3;
				}
			}
			/* The STOR once the source is sending (a 226 without a 150 before it too). */
			if (!x->b_ph && (x->a_ph == 2 || (x->a_ph == 3 && (x->rs == 226 || x->rs == 250)))) {
				if (fx_stor_go(x) < 0)
					goto lost;
				progress = 1;
			}
			if (x->port_st == 1) { /* early: the PORT's reply comes before the STOR's */
				if ((r = port_reply(x)) < 0)
					goto lost;
				if (r && !(x->port_st = 0) && x->port_rc != 200)
					return fx_quit(x, b, NT_EXIT_FAIL, x->why, code, err, errlen);
			}
			while (x->port_st != 1 && x->b_ph && x->b_ph < 3 && (r = cb_reply(x))) {
				progress = 1;
				if (r < 0 && src_nak(x) && x->rs >= 500)
					break;
				if (r < 0 && (x->gone = 2))
					goto lost;
				if (!fx_fits(226, r))
					return fx_desync(x, b, b, "STOR", code, err, errlen);
				if (x->b_ph == 1 && r >= 100 && r < 200) {
					x->b_ph = 2;
				} else {
					x->stor_nak = x->b_ph == 1 && r >= 400;
					if (x->stor_nak) {
						/* The source's RETR ends next (below), or a second is
						 * given up on (nak_late). */
						snprintf(x->why, sizeof x->why, "STOR on %s: %s", ftp_site_name(b), cb->text);
						long long t = ftp_now_ms() + 1000;
						fx_stall_arm(x);
						x->stall_at = x->stall_at && x->stall_at < t ? x->stall_at : t;
					}
					x->rd = r;
					x->b_ph = 3;
				}
			}
			if (!x->a_ph && x->b_ph == 2) { /* the STOR went first (fx_to_xfer): the RETR now */
				if (fx_retr_go(x) < 0)
					goto lost;
				fx_stall_arm(x);
			}
			/* The destination first: a 425 there is its refusal of the source's address
			 * (vsftpd: "425 Security: Bad IP connecting."), whatever the source then says. */
			if (x->rd && x->rd != 226 && x->rd != 250 && !src_nak(x)) {
				char m[400];
				snprintf(m, sizeof m, "%s", cb->text);
				int rd = x->rd;
				if (rd == 425) {
					/* No data connection: nothing was sent, but the server may have made
					 * (vsftpd: truncated) the file before it waited for the connection:
					 * fx_drop deletes the temporary, or what --no-atomic created. */
					snprintf(x->why, sizeof x->why, "%s answered STOR with \"%s\"", ftp_site_name(b), m);
					return fx_quit(x, b, NT_EXIT_FAIL, x->why, code, err, errlen);
				}
				if (x->stor_nak) {
					/* Refused before any data (553: the folder is missing or not
					 * writable): no temporary was made, nothing to delete. One step at
					 * a time, the pair stays for the next file once the source has
					 * answered its RETR (its data had nowhere to go): no new logins. */
					x->stor_sent = 0;
					if (!x->piped && !x->tail) {
						if (x->a_ph && x->a_ph < 3)
							goto wait;
						return fx_end(x, fx_fail(code, NT_EXIT_FAIL, err, errlen, "%s", x->why));
					}
				}
				fx_drop(x, b);
				return fx_fail(code, NT_EXIT_FAIL, err, errlen, "STOR on %s: %s", ftp_site_name(b), m);
			}
			if (x->tail && x->rs && x->rs != 226 && x->rs != 250)
				goto wait; /* the source refused this file: the tail's answer first */
			if (x->rs >= 400 && x->rs < 500 && x->rs != 425 && x->b_ph && x->b_ph < 3) {
				/* The source's transfer failed (426) while the destination's is open: its
				 * answer (or its lost connection: a session gone) is the cause, judged first. */
				if (progress)
					fx_stall_arm(x);
				goto wait;
			}
			if (x->rs == 425 && (!x->stor_sent || fx_src_listens())) {
				/* The source could not reach the destination's passive port. */
				snprintf(x->why, sizeof x->why, "%s answered RETR with \"%s\"", ftp_site_name(a), ca->text);
				return fx_quit(x, b, NT_EXIT_FAIL, x->why, code, err, errlen);
			}
			if (x->rs && x->rs != 226 && x->rs != 250) {
				/* A 550 at once is a file the source does not have (a folder whose
				 * SIZE it answered too): the streamed copy's words. */
				char m[400];
				snprintf(m, sizeof m, "%s", ca->text);
				fx_drop(x, b);
				if (x->src_550)
					return fx_fail(code, NT_EXIT_FAIL, err, errlen,
						       "no such file or folder on the server (server: %s)", m);
				return fx_fail(code, NT_EXIT_FAIL, err, errlen, "RETR on %s: %s", ftp_site_name(a), m);
			}
			if (x->a_ph < 3 || x->b_ph < 3) {
				/* Once both said 150 the transfer takes what it takes (--deadline bounds it);
				 * once the source's 226 is in, the destination's final reply comes by
				 * --timeout (pyftpdlib drops a data connection whose data came before the
				 * STOR, and waits for another). */
				if (progress && x->a_ph == 3 && x->b_ph)
					fx_stall_arm(x);
				else if (progress && x->a_ph >= 2 && x->b_ph >= 2 && cb->serial)
					x->stall_at = 0; /* (elsewhere, pyftpdlib: both 1xx and no end seen; bounded) */
				goto wait;
			}
			fx_port_ok = 1;
			if (fx_probe == x)
				fx_probe = NULL;
			/* The destination must have what the source announced (a source that ends short
			 * says 226 all the same): SIZE first, RNFR with it; RNTO only when it matches. */
			if (!x->piped) {
				x->size_sent = x->size >= 0;
				x->rnfr_sent = x->tmp != NULL;
				x->got = -1;
				if (x->size_sent && ctl_send(cb, "SIZE %s", x->into) < 0)
					goto lost;
				if (x->rnfr_sent && ctl_send(cb, "RNFR %s", x->tmp) < 0)
					goto lost;
			}
			x->st = X_CHECK;
			fx_stall_arm(x);
			continue;
		}
		case X_CHECK:
			if (x->pasv_sent) {
				/* The next file's passive port (fx_stor_go); one we cannot use is asked
				 * again, and judged, when that file begins. */
				struct fxc *pv = fx_src_listens() ? ca : cb;
				if (!(r = fx_src_listens() ? ctl_try_reply(ca) : cb_reply(x)))
					goto wait;
				if (r < 0)
					goto lost;
				if (!fx_fits(pv->family == AF_INET6 ? 229 : 227, r))
					return fx_desync(x, pv->site == a ? a : b, b, pv->family == AF_INET6 ? "EPSV" : "PASV", code, err, errlen);
				x->pasv_sent = 0;
				x->pasv_ready = fx_pasv_parse(pv, r, x->port, sizeof x->port) == 0;
				/* Its PORT to the source at once (idle now: its 226 is in), answered
				 * before the next file's first command there; not with --move, whose
				 * DELE goes there next. (The source listening: to the destination
				 * right behind the RNTO, never between RNFR and RNTO.) */
				if (x->pasv_ready && !ftp_cf.move && !fx_src_listens()) {
					if (ctl_send(ca, "%s", x->port) < 0)
						goto lost;
					x->port_st = 1;
				}
			}
			if (x->size_sent) {
				if (!(r = cb_reply(x)))
					goto wait;
				if (r < 0)
					goto lost;
				if (!fx_fits(213, r))
					return fx_desync(x, b, b, "SIZE", code, err, errlen);
				x->size_sent = 0;
				if (r == 213)
					x->got = ftp_parse_213_size(cb->text, strlen(cb->text));
				if (r != 213 && !ftp_size_unsupported(r) && !ftp_cf.ascii) {
					/* SIZE there, not said for this file: not put in place (sess.c) */
					char w[160];
					snprintf(w, sizeof w, "%.80s", cb->text);
					x->st = X_XFER;
					fx_drop(x, b);
					return fx_fail(code, NT_EXIT_NET, err, errlen,
						    "the server would not tell the size of the file stored (%s): not put in place%s%s", w,
						    fx_drop_note[0] ? "" : ": deleted on ", fx_drop_note[0] ? "" : ftp_site_name(b));
				}
				if (r == 213 && x->got < x->size) {
					/* The RNFR after it is cancelled by the DELE of fx_drop. Short: a
					 * partial file, exit 3 as the streamed copy's (man page: like a
					 * broken connection, retried). More than announced is what the
					 * source sent (a file that grew after its SIZE or listing, a SIZE
					 * that says less): kept whole, as the streamed copy keeps it, and
					 * its size is the one --move checks and the summary counts. */
					x->st = X_XFER; /* the file is there to delete */
					fx_drop(x, b);
					return fx_fail(code, NT_EXIT_NET, err, errlen,
						    "the size differs from the announced one (%lld out of %lld bytes)%s%s", x->got,
						    x->size, fx_drop_note[0] ? "" : ": deleted on ", fx_drop_note[0] ? "" : ftp_site_name(b));
				}
				if (r == 213 && x->got > x->size)
					x->size = x->got;
			}
			if (x->rnfr_sent) {
				if (!(r = cb_reply(x)))
					goto wait;
				if (r < 0)
					goto lost;
				if (!fx_fits(350, r))
					return fx_desync(x, b, b, "RNFR", code, err, errlen);
				if (r != 350) {
					char m[400];
					snprintf(m, sizeof m, "%s", cb->text);
					fx_drop(x, b);
					return fx_fail(code, NT_EXIT_FAIL, err, errlen, "rename into place on %s: %s", ftp_site_name(b), m);
				}
				if (ctl_send(cb, "RNTO %s", j->dst) < 0)
					goto lost;
				if (fx_src_listens() && x->pasv_ready && !ftp_cf.move) {
					if (ctl_send(cb, "%s", x->port) < 0)
						goto lost;
					x->port_st = 1;
				}
				x->st = X_RNTO;
				fx_stall_arm(x);
				if (can_chain(x)) {
					if (fx_flush(x) < 0)
						goto lost;
					return FXP_NEXT;
				}
				continue;
			}
			x->st = X_RNTO; /* --no-atomic: in place already */
			goto renamed;
		case X_RNTO:
			if (!x->tmp)
				goto renamed;
			if (!(r = cb_reply(x)))
				goto wait;
			if (r < 0)
				goto lost;
			if (r != 250) {
				char m[400];
				snprintf(m, sizeof m, "%s", cb->text);
				fx_drop(x, b);
				return fx_fail(code, NT_EXIT_FAIL, err, errlen, "rename into place on %s: %s", ftp_site_name(b), m);
			}
		renamed:
			*bytes = x->size;
			if (!ftp_cf.move)
				return fx_end(x, FXP_DONE);
			if (ctl_send(cb, "SIZE %s", j->dst) < 0)
				goto lost;
			x->st = X_MSIZE;
			fx_stall_arm(x);
			continue;
		case X_MSIZE: {
			if (!(r = cb_reply(x)))
				goto wait;
			if (r < 0)
				goto lost;
			long long got = r == 213 ? ftp_parse_213_size(cb->text, strlen(cb->text)) : -1;
			*bytes = x->size;
			if (x->size < 0 || got != x->size)
				return fx_end(x, fx_fail(code, NT_EXIT_FAIL, err, errlen,
						      "destination reports %lld bytes, the source %lld: source kept", got, x->size));
			if (ctl_send(ca, "DELE %s", j->src) < 0)
				goto lost;
			x->st = X_DELE;
			fx_stall_arm(x);
			continue;
		}
		case X_DELE:
			if (!(r = ctl_try_reply(ca)))
				goto wait;
			*bytes = x->size;
			if (r != 250) {
				int c = r < 0 ? NT_EXIT_NET : NT_EXIT_FAIL;
				if (r < 0)
					fx_pair_close(x);
				return fx_end(x, fx_fail(code, c, err, errlen, "DELE on %s: %s", ftp_site_name(a), ca->text));
			}
			return fx_end(x, FXP_DONE);
		}
		return FXP_FAILED;
	}
wait:
	if (fx_flush(x) < 0)
		goto lost;
	if (x->stall_at && ftp_now_ms() > x->stall_at && x->st == X_XFER && x->stor_nak && !x->piped && !x->tail) {
		/* The STOR was refused and the source still sends into a port no one will read
		 * (a large file): only the source's connection goes (a new login there for the
		 * next file); the destination's is kept, and nothing was stored. */
		ctl_close(&x->ca);
		x->port_st = 0;
		return fx_end(x, fx_fail(code, NT_EXIT_FAIL, err, errlen, "%s", x->why));
	}
	if (x->stall_at && ftp_now_ms() > x->stall_at) {
		struct fxc *who = x->st == X_SIZE || x->st == X_DELE ? ca : cb;
		if (x->st == X_PASV || x->st == X_PORT)
			who = (x->st == X_PASV) == fx_src_listens() ? ca : cb;
		if (x->st == X_XFER)
			who = x->a_ph && x->a_ph < 2 ? ca : cb;
		if (x->st == X_LOGIN)
			who = ca->lst ? ca : cb;
		char m[300];
		snprintf(m, sizeof m, "no reply from %s in %d s (--timeout)", ftp_site_name(who->site), ftp_cf.co.timeout_ms / 1000);
		if (x->tail)
			snprintf(x->tail_why, sizeof x->tail_why, "%s before the rename into place was answered", m);
		if (x->st < X_XFER)
			x->into = NULL; /* nothing stored yet */
		if (x->st == X_XFER && x->a_ph >= 2 && x->b_ph >= 2 && !x->tail) {
			/* The source sent it all; the destination never ended its STOR: FXP does not
			 * work between these two (the rest streams, or --fxp fails). */
			snprintf(x->why, sizeof x->why, "the transfer from %s to %s did not end in %d s%s (--timeout)",
				 ftp_site_name(a), ftp_site_name(b), ftp_cf.co.timeout_ms / 1000,
				 x->a_ph == 3 ? " after the source's 226" : "");
			return fx_quit(x, b, NT_EXIT_PROTO, x->why, code, err, errlen);
		}
		fx_drop(x, b);
		return fx_fail(code, NT_EXIT_NET, err, errlen, "%s", m);
	}
	return FXP_RUNNING;
lost:
	if (x->st == X_PASV || x->st == X_PORT || x->st == X_SIZE || x->st == X_GONE)
		x->into = NULL;
	/* A flood of lines that are no reply (ctl.c: CTL_NOISE_MAX) is a protocol error, 5. */
	struct fxc *nz = x->ca && x->ca->noisy ? x->ca : x->cb && x->cb->noisy ? x->cb : NULL;
	char m[300];
	snprintf(m, sizeof m, "%s", nz ? nz->text : "");
	int gone = x->st == X_XFER ? x->gone : 0;
	fx_drop(x, b);
	if (nz)
		return fx_fail(code, NT_EXIT_PROTO, err, errlen, "%s", m);
	if (gone) /* the session that ended mid-transfer named (the streamed copy's side) */
		return fx_fail(code, NT_EXIT_NET, err, errlen, "connection to %s (the %s) lost during the transfer",
			       ftp_site_name(gone == 1 ? a : b), gone == 1 ? "source" : "destination");
	return fx_fail(code, NT_EXIT_NET, err, errlen, "connection to %s or %s lost", ftp_site_name(a), ftp_site_name(b));
}

int ftp_fxp_step(struct fxp *x, struct ftp_site *a, struct ftp_site *b, long long *bytes, int *code, char *err,
		 size_t errlen)
{
	*code = 0;
	*bytes = -1;
	if (!x)
		return FXP_FAILED;
	if (x->pend) {
		int r = x->pend - 2;
		x->pend = 0;
		*code = x->pend_code;
		*bytes = x->pend_bytes;
		snprintf(err, errlen, "%s", x->pend_err);
		return r;
	}
	return fx_tail_first(x, step(x, a, b, bytes, code, err, errlen), bytes, code, err, errlen);
}

int ftp_fxp_chain(struct fxp *x, struct ftp_site *a, struct ftp_site *b, const struct job *j, int *code, char *err,
		  size_t errlen)
{
	*code = 0;
	if (!j || !can_chain(x))
		return FXP_RUNNING; /* N's 250 awaited as before (X_RNTO) */
	x->tail = 1;
	x->tail_tmp = x->tmp;
	x->tail_size = x->size;
	x->tail_why[0] = 0;
	x->tmp = NULL;
	x->into = NULL;
	long long bytes = -1;
	return fx_tail_first(x, begin_file(x, a, b, j, code, err, errlen), &bytes, code, err, errlen);
}

void ftp_fxp_rebind(struct fxp *x, const struct job *j)
{
	if (x && x->j)
		x->j = j;
}
