/* SPDX-License-Identifier: MIT */
/* session.h - the session helpers that main.c, imap.c and pop3.c share (session.c), so
 * that the engines do not depend on the command line's file.
 *
 * Tests: tests/integration/mail_fetch.sh
 */
#ifndef MF_SESSION_H
#define MF_SESSION_H

#include "mail_fetch.h"

void mf_connect(struct mf *m);
void mf_disconnect(struct mf *m);
void mf_stream_die(struct mf *m, int r, const char *what) __attribute__((noreturn));
/* The state of the account and mailbox, and the destination (opened once, then recovered). */
void mf_open_state(struct mf *m, const char *mailbox);
void mf_summary(struct mf *m);

#endif
