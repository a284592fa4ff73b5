/* SPDX-License-Identifier: MIT */
/* session.c - what the engines (imap.c, pop3.c) and the command line (main.c) share:
 * connecting the libcurl CONNECT_ONLY session, dying on a stream error, opening the state
 * and the destination of one account and mailbox (with the recovery of an interrupted
 * batch), and the summary line.
 *
 * Header: session.h    Tests: tests/integration/mail_fetch*.sh
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connpol.h"
#include "file.h"
#include "log.h"
#include "nt_err.h"
#include "session.h"

void mf_stream_die(struct mf *m, int r, const char *what)
{
	if (m->have_dest && m->d.writing)
		mf_dest_msg_abort(&m->d);
	int code = conn_stream_exit(r, m->s ? m->s->errnum : 0, 0);
	switch (r) {
	case STREAM_LONG:
		die(code, "%s: a line over %u bytes from the server", what, MF_MAX_LINE);
	case STREAM_TIMEOUT:
		die(code, "%s: timed out", what);
	case STREAM_EOF:
		die(code, "%s: the server closed the connection", what);
	default:
		if (m->have_dest && m->d.w.err)
			die(NT_EXIT_IO, "%s: %s", what, strerror(m->d.w.err));
		die(code, "%s: %s", what, m->s ? m->s->err : "no connection");
	}
}

static const char *default_port(const char *scheme)
{
	return !strcmp(scheme, "imap") ? "143" : !strcmp(scheme, "imaps") ? "993" : !strcmp(scheme, "pop3") ? "110" : "995";
}

void mf_connect(struct mf *m)
{
	char err[512], url[600];
	xfer_global_init();
	m->h = curl_easy_init();
	if (!m->h)
		die(NT_EXIT_IO, "libcurl initialisation failed");
	int v6 = strchr(m->url.host, ':') != NULL;
	snprintf(url, sizeof url, "%s://%s%s%s:%s/", m->url.scheme, v6 ? "[" : "", m->url.host, v6 ? "]" : "",
		 m->url.port ? (snprintf(err, sizeof err, "%d", m->url.port), err) : default_port(m->url.scheme));
	m->x.scheme = m->url.scheme; /* imap_proxy, pop3s_proxy... */
	/* libcurl logs in (CONNECT_ONLY runs CAPABILITY/CAPA, STARTTLS and AUTHENTICATE/AUTH);
	 * with an OAuth2 token the trace is watched, and a token the server refuses is
	 * replaced once by a new run of --oauth2-token-cmd (an expired one, as a rule). */
	int refreshed = 0;
	CURLcode rc;
	for (;;) {
		/* The login is watched on libcurl's trace: a refused token is replaced, and a
		 * server that offers no login we can use is named with what it offered. */
		m->x.watch = &m->watch;
		memset(&m->watch, 0, sizeof m->watch);
		if (m->oauth.token) {
			m->x.bearer = m->oauth.token;
			m->x.login_options = oauth2_login_options(&m->oauth);
		}
		int r = xfer_setup(m->h, &m->x, m->url.host, m->errbuf, err, sizeof err);
		if (r < 0)
			die(-r, "%s", err);
		curl_easy_setopt(m->h, CURLOPT_URL, url);
		curl_easy_setopt(m->h, CURLOPT_CONNECT_ONLY, 1L);
		rc = curl_easy_perform(m->h);
		if (rc != CURLE_LOGIN_DENIED || !m->oauth.token)
			break;
		if (refreshed || !oauth2_token_refused(&m->watch)) /* refused twice, or no OAuth2 login offered */
			die(oauth2_refused(&m->oauth, &m->watch, m->url.host, err, sizeof err), "%s", err);
		int fr = oauth2_refresh(&m->oauth, err, sizeof err);
		if (fr < 0)
			die(-fr, "%s", err);
		if (fr == 0)
			die(oauth2_refused(&m->oauth, &m->watch, m->url.host, err, sizeof err), "%s", err);
		refreshed = 1;
		log_trace("the server refused the OAuth2 token; --oauth2-token-cmd ran again for a new one");
		curl_easy_cleanup(m->h);
		if (!(m->h = curl_easy_init()))
			die(NT_EXIT_IO, "libcurl initialisation failed");
	}
	if (rc == CURLE_LOGIN_DENIED && !m->watch.login_sent && !strncmp(m->url.scheme, "pop3", 4))
		die(NT_EXIT_TLS, "%s: no login was attempted: the server offers none we can use (its CAPA: %s%s; %s; %s)",
		    url, m->watch.offer_seen ? "SASL " : "no SASL mechanism",
		    m->watch.offer_seen ? m->watch.offer_text : "", m->watch.capa_user ? "USER" : "no USER",
		    m->watch.apop_stamp ? "an APOP timestamp in the greeting" : "no APOP timestamp in the greeting");
	if (rc != CURLE_OK)
		die(xfer_exit_code(rc), "%s: %s", url, xfer_strerror(rc, m->errbuf));
	/* libcurl's own trace ends here; ours (stream trace) takes over. */
	curl_easy_setopt(m->h, CURLOPT_VERBOSE, 0L);
	curl_easy_setopt(m->h, CURLOPT_DEBUGDATA, NULL);
	m->s = stream_curl(m->h, MF_MAX_LINE, m->timeout_ms);
	if (!m->s)
		die(NT_EXIT_IO, "out of memory");
	if (m->x.verbose)
		m->s->trace = log_proto;
}

void mf_disconnect(struct mf *m)
{
	stream_close(m->s);
	m->s = NULL;
	if (m->h)
		curl_easy_cleanup(m->h);
	m->h = NULL;
}

/* A file-name-safe key for one account and mailbox. */
static char *account_key(struct mf *m, const char *mailbox)
{
	char *raw = xasprintf("%s_%s@%s_%d%s%s", m->url.scheme, m->x.user ? m->x.user : "", m->url.host, m->url.port,
			      mailbox && *mailbox ? "_" : "", mailbox ? mailbox : "");
	for (char *c = raw; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
		      *c == '_' || *c == '-' || *c == '@'))
			*c = '_';
	if (strlen(raw) > 150) {
		uint64_t h = mf_state_fnv(STATE_FNV_INIT, raw, strlen(raw));
		snprintf(raw + 130, 20, "%016llx", (unsigned long long)h);
	}
	return raw;
}

void mf_open_state(struct mf *m, const char *mailbox)
{
	char err[600];
	int have_dest = m->dest_path || m->kind == DEST_STDOUT || m->kind == DEST_MDA;
	if (m->cmd == CMD_LIST && !have_dest && !m->state_path)
		return;
	char *key = account_key(m, mailbox);
	char *account = xasprintf("%s://%s@%s:%d/%s", m->url.scheme, m->x.user ? m->x.user : "", m->url.host,
				  m->url.port, mailbox ? mailbox : "");
	char *path;
	if (m->state_path) {
		path = xstrdup(m->state_path);
	} else if (m->kind == DEST_MAILDIR) {
		path = xasprintf("%s/.nettool-fetch-state.%s", m->dest_path, key);
	} else if (m->kind == DEST_MBOX) {
		const char *sl = strrchr(m->dest_path, '/');
		path = sl ? xasprintf("%.*s/.%s.nettool-fetch-state.%s", (int)(sl - m->dest_path), m->dest_path, sl + 1, key)
			  : xasprintf(".%s.nettool-fetch-state.%s", m->dest_path, key);
	} else {
		const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
		char *dir = xdg && *xdg ? xasprintf("%s/nettool", xdg) : xasprintf("%s/.local/state/nettool", home ? home : "/tmp");
		if (file_mkdirs(dir, 0700) < 0)
			die(NT_EXIT_IO, "%s: %s", dir, strerror(errno));
		path = xasprintf("%s/mail-fetch.%s", dir, key);
		free(dir);
	}
	if (m->cmd != CMD_LIST && !m->have_dest) {
		if (mf_dest_open(&m->d, m->kind, m->dest_path, m->mda, err, sizeof err) < 0)
			die(NT_EXIT_IO, "%s", err);
		m->have_dest = 1;
		m->d.exec = m->exec;
		m->d.mailbox = m->mailbox;
	}
	if (mf_state_load(&m->st, path, account, err, sizeof err) < 0) {
		if (!m->rebuild)
			die(NT_EXIT_IO, "%s", err);
		mf_state_free(&m->st);
		memset(&m->st, 0, sizeof m->st);
		m->st.path = xstrdup(path);
		m->st.account = xstrdup(account);
		m->st.sorted = 1;
	}
	if (m->cmd != CMD_LIST && mf_dest_recover(&m->d, &m->st, err, sizeof err) < 0)
		die(NT_EXIT_IO, "%s", err);
	free(key), free(account), free(path);
}

void mf_summary(struct mf *m)
{
	progress_done(&m->prog);
	char b[16], sz[32];
	/* the size with its unit: "300 bytes", "1.5 KiB" (the meter's figures, powers of 1024) */
	progress_fmt_bytes(b, sizeof b, m->b_fetched);
	size_t l = strlen(b);
	if (m->b_fetched < 1000) {
		snprintf(sz, sizeof sz, "%s byte%s", b, m->b_fetched == 1 ? "" : "s");
	} else {
		char u = b[l - 1];
		b[l - 1] = 0;
		snprintf(sz, sizeof sz, "%s %ciB", b, u == 'k' ? 'K' : u);
	}
	if (m->n_fetched || m->n_skipped || m->n_deleted || m->n_failed || m->cmd == CMD_FETCH)
		log_info("%lu message%s fetched (%s)%s%.0lu%s%s%.0lu%s%s%.0lu%s", m->n_fetched, m->n_fetched == 1 ? "" : "s",
			 sz, m->n_skipped ? ", " : "", m->n_skipped,
			 m->n_skipped ? " skipped over --max-size" : "", m->n_deleted ? ", " : "", m->n_deleted,
			 m->n_deleted ? " deleted on the server" : "", m->n_failed ? ", " : "", m->n_failed,
			 m->n_failed ? " not delivered" : "");
}
