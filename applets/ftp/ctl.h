/* SPDX-License-Identifier: MIT */
/* ctl.h - our own FTP control connections (libcurl gives none): log in, one command and
 * its reply waiting up to --timeout, or commands queued and replies taken as they come
 * (several connections at once, nothing waits). fxp.c runs FXP on them, getpipe.c the
 * batch get of plain FTP; data.c opens their data connections.
 *
 * Tests: tests/integration/ftp_fxp.sh tests/integration/ftp_getpipe.sh
 */
#ifndef NT_FTP_CTL_H
#define NT_FTP_CTL_H

#include <stddef.h>

#include "ftp.h"
#include "nt_err.h"

#define CTL_MAX_LINE 2048

struct fxc {
	struct stream *s;
	struct ftp_site *site;
	int enc;        /* TLS on the control connection */
	int family;     /* of the server's address */
	char addr[64];  /* the server's address (numeric) */
	int code;       /* last reply */
	char text[300]; /* its last line, cleaned */
	int pend;       /* try_reply: the code of a multi-line reply under way */
	int protc;      /* PBSZ 0 and PROT C given (TLS with --fxp) */
	int lst;        /* login_step: 1 greeting, 2 USER, 3 PASS, 4 TYPE I awaited; 0 logged in */
	int noise;      /* lines before the awaited reply that are no reply, and its middle lines
			 * (CTL_NOISE_MAX) */
	int noisy;      /* the last failure: more of them than CTL_NOISE_MAX (a protocol error, 5) */
	int serial;     /* known (by its greeting: vsftpd) to read no command during a transfer:
			 * commands may wait behind a STOR (fxp.c's pipelining) */
};

/* Bounds on what a server may send that is no reply (e.g. a flood of "n" lines answering
 * RETR), or no end of one (the middle lines of a multi-line reply, "150-..." without the
 * "150 ..."): at most CTL_NOISE_WAKE lines are read per ctl_try_reply (then "not yet", so
 * the caller's clock runs: noise is never progress for --timeout), and a reply preceded
 * by, or made of, more than CTL_NOISE_MAX of them in all fails as a protocol error (noisy
 * set; exit 5 where a file's command met it). */
#define CTL_NOISE_WAKE 64
#define CTL_NOISE_MAX 1000



/* Connect and log in, TLS as the site's policy says: NULL with *code (0: not possible
 * here, e.g. a proxy; else the exit code) and err. nowait, without TLS: only connected,
 * the login goes on in ctl_login_step. */
struct fxc *ctl_open(struct ftp_site *site, int nowait, int *code, char *err, size_t errlen);
/* ctl_open's login as far as the replies go: 1 logged in, 0 waiting, -1 failed. */
int ctl_login_step(struct fxc *c, int *code, char *err, size_t errlen);
void ctl_close(struct fxc **pc);
/* One reply, waiting up to --timeout from the call (noise never restarts it): its code,
 * or -1 (c->text says why). */
int ctl_reply(struct fxc *c);
/* A command and its reply (ctl_reply). */
int ctl_cmd(struct fxc *c, const char *fmt, ...) NT_PRINTF(2, 3);
/* A command queued (stream_flush sends the queue: pipelined). 0, or -1 (c->text). */
int ctl_send(struct fxc *c, const char *fmt, ...) NT_PRINTF(2, 3);
/* A whole reply if one has arrived: its code, 0 (not yet: also after CTL_NOISE_WAKE noise
 * lines), -1 (connection failed, or c->noisy). */
int ctl_try_reply(struct fxc *c);


/* data.c: the passive port of c's last reply (code: 229 to EPSV, 227 to PASV, whose address
 * is never used: c's own is): 0 and *port, or -1 (not a reply we can use). A data connection
 * to c's server at port, begun without waiting (non-blocking; an error shows on the
 * descriptor): the descriptor, or -1 with errno. */
int ftp_data_port(const struct fxc *c, int code, unsigned *port);
int ftp_data_connect(const struct fxc *c, unsigned port);

/* data.c: what getpipe.c's and putpipe.c's own connections share, embedded in both. */
struct ownconn {
	struct fxc *c;      /* the control connection (NULL: none) */
	char *cwd;          /* the folder it is in ("": the login folder; NULL: none) */
	int dfd;            /* the data connection (-1: none) */
	long long stall_at; /* a reply awaited must come by then (--timeout); 0: no limit */
};
/* A reply awaited from now: stall_at set from --timeout. */
void own_stall_arm(struct ownconn *o);
/* The data connection closed (if any). */
void own_data_close(struct ownconn *o);
/* The data connection reset, not closed (a stopped upload: the bytes not yet delivered
 * are dropped, not written by the server after we exit). */
void own_data_reset(struct ownconn *o);
/* The data and control connections closed, the folder forgotten: a later file opens another. */
void own_conn_drop(struct ownconn *o);
/* CWD's argument to reach folder dir ("" the login folder, as PWD named it) on site a:
 * dir itself when absolute, else joined to the login folder; NULL when that folder is
 * not known (no PWD answer), or for a folder below it when it is no Unix path (a z/OS
 * "USER1.DATA": only the server can join to it): libcurl's path then, which goes there
 * by relative CWDs. */
char *own_cwd_arg(const struct ftp_site *a, const char *dir);
/* 1 when relative folders on site a can be reached by own_cwd_arg. */
int own_entry_ok(const struct ftp_site *a);

#endif
