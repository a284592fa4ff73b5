/* SPDX-License-Identifier: MIT */
/* fxpxfer.c - the commands that begin one FXP file's transfer, for fxp.c's steps: the
 * passive port asked (fx_to_pasv, with --create-dirs' MKDs and --no-atomic's
 * pre-existence SIZE), then the RETR and the STOR in the order the pair's servers need
 * (fx_to_xfer, fx_retr_go, fx_stor_go, the latter with what follows the transfer in one
 * write once FXP has worked here). The why of each order is fxp.c's header.
 *
 * Header: applets/ftp/fxp.h (internal)    Man page: man/nettool-ftp.1
 * Tests: tests/integration/ftp_fxp.sh, tests/integration/ftp_fxptail.sh, tests/integration/ftp_fxp_py.sh
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fxp.h"

/* The RETR (and behind it, to a vsftpd source, the next file's PASV once pipelined). */
int fx_retr_go(struct fxp *x)
{
	x->a_ph = 1;
	if (ctl_send(x->ca, "RETR %s", x->j->src) < 0)
		return -1;
	if (!x->piped || !fx_src_listens() || !x->ca->serial)
		return 0;
	x->pasv_sent = 1;
	return ctl_send(x->ca, "%s", x->ca->family == AF_INET6 ? "EPSV" : "PASV");
}

/* Into X_PASV, or X_DONE-like results when the destination's folders fail. */
int fx_to_pasv(struct fxp *x, int *code, char *err, size_t errlen)
{
	struct fxc *cb = x->cb;
	x->pre_sent = x->pre_gone = 0;
	if (x->pasv_ready) {
		/* Asked with the last file's STOR (fx_stor_go, the atomic default only: a temporary
		 * needs no pre-existence SIZE): X_PASV takes x->port at once. */
		x->st = X_PASV;
		fx_stall_arm(x);
		return 0;
	}
	if (ftp_cf.create_dirs) {
		/* Each folder above the file, made if missing (replies not needed). */
		char *p = xstrdup(x->j->dst);
		for (char *q = *p ? strchr(p + 1, '/') : NULL; q; q = strchr(q + 1, '/')) {
			*q = 0;
			if (ctl_cmd(cb, "MKD %s", p) < 0)
				break;
			*q = '/';
		}
		free(p);
		if (cb->code < 0)
			return -1;
	}
	/* --no-atomic: is there a file of that name already? (one write with the PASV) A
	 * failed copy deletes only a file it created (fx_drop). */
	x->pre_sent = !x->tmp;
	if (x->pre_sent && ctl_send(cb, "SIZE %s", x->j->dst) < 0)
		return -1;
	struct fxc *pv = fx_src_listens() ? x->ca : cb;
	if (ctl_send(pv, pv->family == AF_INET6 ? "EPSV" : "PASV") < 0)
		return -1;
	(void)code, (void)err, (void)errlen;
	x->st = X_PASV;
	fx_stall_arm(x);
	return 0;
}

/* RETR on the source (its PORT answered 200 before: a server may answer PORT once its
 * connection is made, after a RETR sent with it, pyftpdlib does); the STOR on the
 * destination follows the source's 150 (fx_stor_go). The replies are matched to the
 * commands in order, one each: the 150 awaited is the RETR's only if every reply before it
 * has been read and none came unasked. A line already here now (a SIZE answered "213 5",
 * "150 lie") would be taken for the RETR's 150 and start a STOR for a file the source may
 * not have: -2 (ca->text: that line), nothing sent; -1 the connection failed. */
int fx_to_xfer(struct fxp *x)
{
	int u = fx_stray(x->ca);
	if (u)
		return u;
	x->a_ph = 1;
	x->b_ph = 0;
	x->rs = x->rd = x->gone = 0;
	x->stor_sent = x->stor_nak = 0;
	x->piped = 0;
	if (fx_src_listens() && x->cb->serial) {
		/* The destination connects to the source at its STOR, then says 150: the STOR
		 * first (with what follows the transfer, fx_stor_go), the RETR at that 150 (a STOR
		 * refused at once, 553, leaves the source with nothing under way). */
		x->a_ph = 0;
		if (fx_stor_go(x) < 0 || (x->port_st == 1 && fx_retr_go(x) < 0))
			return -1;
	} else if ((fx_src_listens() || !x->cb->serial) && (x->tmp || x->pre_gone)) {
		/* A destination that reads data only once its STOR is there (pyftpdlib drops a
		 * connection whose data came first): the STOR first, of a name that is ours
		 * (a temporary, or a final name not there before), the RETR at its 1xx. */
		x->a_ph = 0;
		x->b_ph = 1;
		x->stor_sent = 1;
		if (ctl_send(x->cb, "STOR %s", x->into) < 0)
			return -1;
	} else if (ctl_send(x->ca, "RETR %s", x->j->src) < 0)
		return -1;
	x->st = X_XFER;
	fx_stall_arm(x);
	return 0;
}

/* The source accepted the RETR: the STOR goes to the destination. Once FXP has worked
 * here, and with a temporary (the atomic default), what follows the transfer on the
 * destination goes in the same write, for the server to answer as soon as the data has
 * come: the next file's PASV (a passive port is the connection's, whichever file uses
 * it), then SIZE of what was stored and RNFR. Only to a server known to take them in
 * order, after the STOR ends (vsftpd, by its greeting: ctl.c); pyftpdlib answers a PASV
 * at once and closes the running STOR's data connection for it; RNTO still waits for SIZE's answer (an unchecked file never gets the final
 * name), and RNFR stays right before it. A STOR that fails has them answered with errors,
 * and the pair is dropped as before. --no-atomic keeps one step at a time: the next
 * file's PASV goes with the SIZE of its final name (fx_to_pasv: did it exist before?), and
 * that name is not known here. */
int fx_stor_go(struct fxp *x)
{
	x->b_ph = 1;
	x->stor_sent = 1;
	x->piped = 0;
	if (ctl_send(x->cb, "STOR %s", x->into) < 0)
		return -1;
	if (!fx_port_ok || ftp_cf.create_dirs || !x->tmp || !x->cb->serial)
		return 0; /* the probe, MKD before each PASV, --no-atomic, a server that reads
			   * commands during a transfer (ctl.c's serial): one step at a time */
	x->piped = 1;
	x->pasv_sent = !fx_src_listens(); /* else behind the RETR, on the source (X_XFER) */
	x->size_sent = x->size >= 0;
	x->rnfr_sent = x->tmp != NULL;
	x->got = -1;
	if ((x->pasv_sent && ctl_send(x->cb, "%s", x->cb->family == AF_INET6 ? "EPSV" : "PASV") < 0) ||
	    (x->size_sent && ctl_send(x->cb, "SIZE %s", x->into) < 0) ||
	    (x->rnfr_sent && ctl_send(x->cb, "RNFR %s", x->tmp) < 0))
		return -1;
	return 0;
}
