/* SPDX-License-Identifier: MIT */
/* mail_fetch.h - what main.c, session.c, imap.c and pop3.c share: the options of one run,
 * the live session (a libcurl CONNECT_ONLY handle under a core stream) and the counters;
 * the engines' entry points. The session helpers are in session.h.
 */
#ifndef MF_MAIL_FETCH_H
#define MF_MAIL_FETCH_H

#include <curl/curl.h>
#include <stdint.h>

#include "addr.h"
#include "deliver.h"
#include "oauth2.h"
#include "progress.h"
#include "state.h"
#include "stream.h"
#include "xfer.h"

enum mf_cmd { CMD_FETCH, CMD_LIST, CMD_FOLDERS, CMD_WATCH };

/* Hard bounds on what a server may send. */
#define MF_MAX_LINE (16u << 20)      /* a response line (a SEARCH of 1M UIDs fits) */
#define MF_MAX_MSG (1ull << 31)       /* a message without --max-size */
#define MF_BATCH_MSGS 5000            /* messages per durable batch (one syncfs each) */
#define MF_BATCH_BYTES (64ull << 20)  /* bytes per durable batch */

struct mf {
	/* options */
	enum mf_cmd cmd;
	struct url url;
	int imap;                 /* 1 IMAP, 0 POP3 */
	const char *mailbox;
	enum dest_kind kind;
	const char *dest_path;
	const char *mda;
	const char *state_path;
	int all, rebuild, mark_seen, del, json;
	const char *search;
	char since[32];
	long long limit, max_size;
	const char *exec;
	int timeout_ms;
	size_t batch_msgs;        /* MF_BATCH_MSGS; NETTOOL_MAIL_BATCH (tests) makes it smaller */
	struct xfer_opts x;
	struct oauth2 oauth;      /* --oauth2-token-cmd/-file (oauth.token NULL: a password login) */
	struct sasl_watch watch;  /* the login as the trace showed it, for a refused token */
	/* session */
	CURL *h;
	struct stream *s;
	char errbuf[CURL_ERROR_SIZE];
	unsigned tagn;
	int cap_uidplus, cap_idle, cap_pipelining;
	/* run */
	struct mf_state st;
	struct dest d;
	int have_dest;
	struct progress prog;
	unsigned long n_fetched, n_skipped, n_deleted, n_failed;
	uint64_t b_fetched;
	int rc;                   /* exit code so far (0 or 1) */
};

/* imap.c */
void imap_run(struct mf *m);
void imap_watch(struct mf *m);
/* pop3.c */
void pop3_run(struct mf *m);

#endif
