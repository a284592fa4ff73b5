/* SPDX-License-Identifier: MIT */
/* fxp.h - the insides of FXP shared by fxp.c (the per-file chain of steps, and two files
 * at once on a pair) and fxpset.c (the pair's connections, their readiness and TLS
 * decision, the drop of a file and its clean-up, the run-wide state) and fxpxfer.c (a
 * file's first commands: PASV, RETR, STOR). Not for the rest of the applet: ftp.h has FXP's interface.
 *
 * Tests: tests/integration/ftp_fxp.sh tests/integration/ftp_copysafe.sh tests/integration/ftp_durable.sh
 * tests/integration/ftp_fxptail.sh
 */
#ifndef NT_FTP_FXP_H
#define NT_FTP_FXP_H

#include <stddef.h>

#include "ctl.h"
#include "ftp.h"

/* One slot's FXP: its pair of control connections (kept from file to file) and the
 * file under way. */
enum { X_IDLE, X_LOGIN, X_HOLD, X_SIZE, X_GONE, X_PASV, X_PORT, X_XFER, X_CHECK, X_RNTO, X_MSIZE, X_DELE };
struct fxp {
	struct fxc *ca, *cb; /* source, destination */
	struct fxp *next;    /* every pair of the run (ftp_fxp_free) */
	int st;
	const struct job *j;
	long long size;      /* announced: the listing's or SIZE's, -1 unknown */
	char *tmp;           /* the temporary name (NULL: --no-atomic) */
	const char *into;    /* tmp, or the final name */
	char port[200];      /* PORT/EPRT for the source */
	int a_ph, b_ph;      /* X_XFER: 0 STOR not sent (b), 1 the first reply, 2 the last, 3 done */
	int stor_sent;       /* the STOR is out: the destination may hold a partial file */
	int stor_nak;        /* the STOR refused at once (4xx/5xx, no 150): nothing was made */
	int rs, rd;          /* the source's and the destination's last transfer replies */
	int src_550;         /* the source said 550 to this file's SIZE, or to its RETR without a 1xx
			      * (ftp_fxp_src_missing) */
	int gone;            /* X_XFER: the connection lost, 1 the source's, 2 the destination's */
	int size_sent, rnfr_sent;
	int pasv_sent;       /* X_CHECK: the next file's PASV went with the STOR, its reply awaited */
	int pasv_ready;      /* port holds the destination's answer to that PASV (the listener
			      * is the connection's, whichever file uses it) */
	int port_st;         /* the PORT with x->port on the source: 1 sent, its reply awaited;
			      * 2 answered port_rc (why: the refusal) */
	int port_rc;
	int piped;           /* this file's STOR went with PASV, SIZE and RNFR in one write */
	int sized;           /* X_HOLD: the source's SIZE was answered before the pair waited */
	int size_wait;       /* X_SIZE: the source's SIZE waits for the PORT's reply (port_st 1) */
	int pre_sent;        /* --no-atomic: SIZE of the final name sent with the PASV (pre_gone) */
	int pre_gone;        /* its answer: 550, no file there (a failed partial file is ours to delete) */
	long long got;       /* X_CHECK: the destination's SIZE */
	long long stall_at;  /* a reply awaited must come by then (--timeout); 0: no limit */
	char why[400];
	/* The overlap (fxp.c, X_RNTO): the file before this one on the pair, its RNTO sent and
	 * unanswered; that reply comes first on cb, before any of this file's. */
	int tail;            /* 1: the tail's RNTO awaits its reply */
	char *tail_tmp;      /* its temporary name (deleted when the pair drops before the 250) */
	long long tail_size;
	int tail_dead;       /* the pair dropped with the tail unanswered: it failed (tail_why) */
	char tail_why[400];
	int held;            /* X_PORT: a reply no command asked for, judged once the tail is answered */
	int pend;            /* this file's result held (FXP_*+1) while the tail's goes out first */
	int pend_code;
	long long pend_bytes;
	char pend_err[600];
};

/* The run-wide state (fxpset.c). */
extern struct fxp *fx_pairs;   /* every slot's pair */
extern int fx_off;             /* FXP ended for this run: every copy streams */
extern int fx_refused;         /* --fxp and FXP refused: no further file is begun */
extern int fx_port_ok;         /* a whole FXP transfer worked here: later STORs go with the next PASV (fx_stor_go) */
extern struct fxp *fx_probe;   /* the pair trying FXP first: the others wait for its outcome */
extern char fx_drop_note[700]; /* fx_drop: a destination file overwritten and kept (--no-atomic), for fx_fail() */

/* fxpset.c: the pair's connections closed; both connections logged in and the TLS
 * decision (0 ready, 1 stream, -1 failed); the PASV/EPSV reply r as PORT's/EPRT's
 * argument (0, or 1: unusable); the queued commands sent (-1: lost); the first refusal
 * said (-v); a file's failure (FXP_FAILED, the drop's note appended); the file given up
 * (connections closed, its temporary deleted; an unanswered tail fails with it:
 * tail_dead); the file ended, the pair idle; the --timeout clock armed; the pair not made ready. */
void fx_pair_close(struct fxp *x);
int fx_ready(struct fxp *x, struct ftp_site *a, struct ftp_site *b, int *code, char *err, size_t errlen);
int fx_pasv_parse(const struct fxc *d, int r, char *arg, size_t n);
int fx_flush(struct fxp *x);
void fx_say_stream(const char *why);
int fx_fail(int *code, int c, char *err, size_t errlen, const char *fmt, ...) NT_PRINTF(5, 6);
void fx_drop(struct fxp *x, struct ftp_site *b);
int fx_end(struct fxp *x, int r);
void fx_stall_arm(struct fxp *x);
/* FXP ended for the run (c: NT_EXIT_FAIL refused, NT_EXIT_PROTO broken): stream, or --fxp fails once. */
int fx_quit(struct fxp *x, struct ftp_site *b, int c, const char *why, int *code, char *err, size_t errlen);
int fx_not_ready(struct fxp *x, int r, int *code, char *err, size_t errlen);
/* The reply checks (fx_fits: can reply r answer a command succeeding with ok, 226 for a
 * transfer); a reply that cannot (fx_desync: w the server that gave it, cmd what it answered). */
int fx_fits(int ok, int r);
/* A line no command asked for already on c (-2, c->text; -1 lost; 0 none: fx_stray); the
 * file failed for it, exit 5, nothing stored (fx_unasked, the line in x->ca->text). */
int fx_stray(struct fxc *c);
int fx_unasked(struct fxp *x, struct ftp_site *a, struct ftp_site *b, int *code, char *err, size_t errlen);
int fx_desync(struct fxp *x, struct ftp_site *w, struct ftp_site *b, const char *cmd, int *code, char *err,
	      size_t errlen);
/* The overlap's results (fxpset.c): the tail's RNTO answered r (FXP_TAIL, *code 0 renamed
 * or its failure, FXP_AGAIN held for the next file); a result r of the file under way, the
 * failure of a tail the pair dropped with going first (FXP_TAIL, r held in x->pend). */
int fx_tail_reply(struct fxp *x, struct ftp_site *b, int r, long long *bytes, int *code, char *err, size_t errlen);
int fx_tail_first(struct fxp *x, int r, long long *bytes, int *code, char *err, size_t errlen);

/* The direction of the data connection. With a temporary (the atomic default) the SOURCE
 * listens (PASV/EPSV there, PORT/EPRT to the destination): the source sends and closes
 * first, so the TIME_WAIT of each file's data connection stays on the source's passive
 * port, and the destination, whose close is the passive one, leaves none. The other way
 * round (the source connecting) leaves one TIME_WAIT per file in the source's ephemeral
 * range, and each later bind(port 0) there searches past them: measured with vsftpd, the
 * source's CPU per 5,000 files went from 2.3 to 14.7 s over three runs. --no-atomic keeps
 * the destination listening: its STOR must wait for the source's 1xx (a missing source
 * never costs a file there before), and a source such as vsftpd says 1xx only once its
 * passive port is connected, which a destination does only at its STOR. */
static inline int fx_src_listens(void)
{
	return ftp_cf.atomic >= 0;
}

/* fxpxfer.c: a file's first commands. Into X_PASV (the passive port asked, or already
 * known: pasv_ready; -1 lost); into X_XFER (the STOR and/or the RETR as the servers need:
 * -2 a line no command asked for already on the source, nothing sent; -1 lost); the RETR
 * (with, pipelined to a vsftpd source, the next file's PASV); the STOR (with, once FXP has
 * worked, the next PASV, SIZE and RNFR in one write). */
int fx_to_pasv(struct fxp *x, int *code, char *err, size_t errlen);
int fx_to_xfer(struct fxp *x);
int fx_retr_go(struct fxp *x);
int fx_stor_go(struct fxp *x);

#endif
