/* SPDX-License-Identifier: MIT */
/* session.c - mail-send's SMTP session: the server URL (-S, $SMTP_SERVER), credentials,
 * what each recipient's replies mean (accepted, deferred, refused), and sending one
 * message now.
 *
 * Header: applets/mail_send/mail_send.h    Tests: tests/integration/mail_send.sh
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "json.h"
#include "log.h"
#include "mail_send.h"
#include "nt_err.h"

/* ---- server URL ---- */

/* The URL as it may be shown: without its userinfo (it may hold a password). */
static char *url_shown(const char *s)
{
	const char *a = strstr(s, "://");
	a = a ? a + 3 : s;
	size_t alen = strcspn(a, "/?#");
	const char *at = NULL;
	for (const char *p = a; p < a + alen; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return xstrdup(s);
	return xasprintf("%.*s%s", (int)(a - s), s, at + 1);
}

static void parse_server(const char *s, struct server *sv)
{
	char err[ADDR_ERRLEN];
	struct url u;
	char *tmp = NULL;
	if (!url_is(s))
		s = tmp = xasprintf("smtp://%s", s);
	char *shown = url_shown(s);
	if (url_parse(s, &u, err) < 0)
		die(NT_EXIT_USAGE, "server '%s': %s", shown, err);
	if (strcmp(u.scheme, "smtp") && strcmp(u.scheme, "smtps"))
		die(NT_EXIT_USAGE, "server '%s': the scheme must be smtp:// or smtps://", shown);
	snprintf(sv->host, sizeof sv->host, "%s", u.host);
	snprintf(sv->user, sizeof sv->user, "%s", u.has_user ? u.user : "");
	char ehlo[256];
	if (u.path[0]) {
		if (strchr(u.path, '/') || nt_has_ctl(u.path) || strchr(u.path, ' '))
			die(NT_EXIT_USAGE, "server '%s': the path (the EHLO name) must be a plain name", shown);
		snprintf(ehlo, sizeof ehlo, "%s", u.path);
	} else {
		ms_host_name(ehlo, sizeof ehlo);
	}
	int v6 = strchr(u.host, ':') != NULL;
	if (u.port)
		sv->url = xasprintf("%s://%s%s%s:%d/%s", u.scheme, v6 ? "[" : "", u.host, v6 ? "]" : "", u.port, ehlo);
	else
		sv->url = xasprintf("%s://%s%s%s/%s", u.scheme, v6 ? "[" : "", u.host, v6 ? "]" : "", ehlo);
	free(shown);
	free(tmp);
}

/* Open the SMTP session with credentials; dies on failure. */
void ms_open_session(struct smtp_sess *s, struct server *sv, struct cred *c)
{
	char err[512];
	const char *env = getenv("SMTP_SERVER");
	parse_server(mail_send_cf.server ? mail_send_cf.server : env && *env ? env : "smtp://localhost:25", sv);
	memset(c, 0, sizeof *c);
	/* The user: -u, the URL's user@, the account's, else a netrc login for the host. */
	const char *user = mail_send_cf.user ? mail_send_cf.user : sv->user[0] ? sv->user : mail_send_cf.acc_user;
	char *netrc_user = user ? NULL : cred_netrc_login(sv->host);
	if (netrc_user)
		user = netrc_user;
	mail_send_cf.host = sv->host;
	if (oauth2_from(&mail_send_cf.oauth, &mail_send_cf.co)) {
		/* An OAuth2 login (SASL OAUTHBEARER or XOAUTH2) names the account: no token
		 * without a user, no password asked for. */
		if (!user)
			die(NT_EXIT_USAGE, "an OAuth2 login needs the account's user name (-u USER, USER@ in the server URL, "
					   "or the account's user); nothing sent");
		nt_check_line_arg("the user name", user);
		c->user = xstrdup(user);
		free(netrc_user);
		/* The name first: an unknown host is 3, before the token command runs. */
		int rr = conn_resolve_first(&mail_send_cf.co, strncmp(sv->url, "smtps:", 6) ? "smtp" : "smtps", sv->host,
					    CONN_PROXY_CURL, err, sizeof err);
		if (rr)
			die(rr, "%s", err);
		int r = oauth2_get(&mail_send_cf.oauth, err, sizeof err);
		if (r < 0)
			die(-r, "%s; nothing sent", err);
		mail_send_cf.xo.user = c->user;
		mail_send_cf.xo.bearer = mail_send_cf.oauth.token;
		mail_send_cf.xo.login_options = oauth2_login_options(&mail_send_cf.oauth);
		mail_send_cf.xo.watch = &mail_send_cf.watch;
	} else if (mail_send_cf.co.oauth2_mech) {
		die(NT_EXIT_USAGE, "--oauth2-mech needs --oauth2-token-cmd or --oauth2-token-file (or an account's)");
	} else if (user) {
		c->user = xstrdup(user);
		free(netrc_user);
		/* The name first: an unknown host is 3, before any password is asked for. */
		int rr = conn_resolve_first(&mail_send_cf.co, strncmp(sv->url, "smtps:", 6) ? "smtp" : "smtps", sv->host,
					    CONN_PROXY_CURL, err, sizeof err);
		if (rr)
			die(rr, "%s", err);
		int cr = cred_get(c, sv->host, &mail_send_cf.co, 1, err, sizeof err);
		if (cr < 0)
			die(-cr, "%s", err); /* an unreadable --password-file: 6, as everywhere */
		mail_send_cf.xo.user = c->user;
		mail_send_cf.xo.password = c->password;
		mail_send_cf.xo.watch = &mail_send_cf.watch; /* to know that the login happened */
	}
	mail_send_cf.xo.scheme = strncmp(sv->url, "smtps:", 6) ? "smtp" : "smtps"; /* smtp_proxy, smtps_proxy */
	int r = smtp_open(s, sv->url, sv->host, &mail_send_cf.xo, err, sizeof err);
	if (r < 0)
		die(r == -1 ? NT_EXIT_USAGE : -r, "%s", err); /* -(exit code) from the connection policy */
	if (mail_send_cf.xo.bearer)
		s->oauth = &mail_send_cf.oauth;
	/* A user was given: the message never goes out without the login (libcurl would
	 * send it unauthenticated to a server that offers no AUTH). */
	s->need_login = mail_send_cf.xo.user != NULL;
}

/* ---- dispositions ---- */

const char *const ms_rstat_name[] = {"accepted", "deferred", "refused"};

static enum rstat of_code(int code)
{
	return code >= 200 && code < 400 ? R_ACCEPTED : code >= 500 ? R_REFUSED : R_DEFERRED;
}

/* Did the server answer with a refusal (as opposed to a network or TLS failure)? */
int ms_server_decided(const struct smtp_result *r)
{
	if (r->final.code || r->mail.code >= 400 || r->data.code >= 400)
		return 1;
	if (!r->nrcpt)
		return 0;
	for (size_t i = 0; i < r->nrcpt; i++)
		if (r->rcpt[i].code < 400)
			return 0;
	return 1;
}

/* The outcome of recipient i, and the reply that decided it. */
enum rstat ms_rcpt_status(const struct smtp_result *r, size_t i, const struct smtp_reply **why)
{
	const struct smtp_reply *rc = &r->rcpt[i];
	*why = rc;
	if (r->mail.code >= 400) {
		*why = &r->mail;
		return of_code(r->mail.code);
	}
	if (!rc->code) {
		*why = &r->other;
		return R_DEFERRED;
	}
	if (rc->code >= 400)
		return of_code(rc->code);
	if (r->final.code == 250)
		return R_ACCEPTED;
	if (r->data.code >= 400) {
		*why = &r->data;
		return of_code(r->data.code);
	}
	if (r->final.code) {
		/* Only a 2xx after the data means the server took the message: a 3xx there (a
		 * second 354) keeps it queued, never counts it as sent. */
		*why = &r->final;
		return r->final.code >= 300 && r->final.code < 400 ? R_DEFERRED : of_code(r->final.code);
	}
	*why = &r->other;
	return R_DEFERRED;
}

void ms_json_rcpt(const char *rcpt, enum rstat st, const struct smtp_reply *why, const char *file)
{
	json_begin(stdout);
	if (file)
		json_kv_str(stdout, "file", file);
	json_kv_str(stdout, "rcpt", rcpt);
	json_kv_str(stdout, "status", ms_rstat_name[st]);
	json_kv_int(stdout, "code", why->code);
	json_kv_str(stdout, "reply", why->code ? why->text : NULL);
	json_end(stdout);
}

/* A failure that is not the server's answer: the exit code and a message. */
int ms_transfer_error(const struct smtp_result *r, const char *what)
{
	int code = xfer_exit_code(r->rc);
	if (code == NT_EXIT_FAIL || code == NT_EXIT_OK)
		code = NT_EXIT_NET;
	if (r->no_login) {
		nt_warn("%s: the server offers no login (%s in its EHLO reply) and a user was given: nothing sent "
			"without it", what, mail_send_cf.watch.offer_seen ? mail_send_cf.watch.offer_text : "no AUTH");
		return NT_EXIT_TLS;
	}
	if (r->rc == CURLE_LOGIN_DENIED && mail_send_cf.xo.bearer) {
		/* the token refused (in the server's words), or no OAuth2 mechanism offered */
		char err[800];
		code = oauth2_refused(&mail_send_cf.oauth, &mail_send_cf.watch, mail_send_cf.host, err, sizeof err);
		nt_warn("%s", err);
		return code;
	}
	if (r->other.code >= 400)
		nt_warn("%s: %s (server: %s)", what, xfer_strerror(r->rc, r->errbuf), r->other.text);
	else
		nt_warn("%s: %s", what, xfer_strerror(r->rc, r->errbuf));
	return code;
}

/* 530 to MAIL: the server wants authentication (or STARTTLS) first. That is our
 * configuration, not the message's fault: exit 4, and a flush keeps the queue as it is. */
int ms_auth_wanted(const struct smtp_result *r)
{
	if (r->mail.code != 530)
		return 0;
	nt_warn("the server wants authentication first (-u USER%s): %s", mail_send_cf.xo.tls == XFER_TLS_NEVER ? ", without --no-tls" : "",
	     r->mail.text);
	return 1;
}

/* ---- sending one message ---- */

int ms_send_one(const char *from, const struct strv *rcpts, const char *msg, size_t len)
{
	struct smtp_sess s;
	struct server sv;
	struct cred c;
	ms_open_session(&s, &sv, &c);
	struct smtp_result r;
	smtp_send(&s, from, rcpts, msg, len, &r);
	int rc = 0;
	if (r.rc != CURLE_OK && !ms_server_decided(&r) && r.final.code != 250) {
		rc = ms_transfer_error(&r, sv.host);
	} else if (ms_auth_wanted(&r)) {
		rc = NT_EXIT_TLS;
	} else {
		for (size_t i = 0; i < rcpts->n; i++) {
			const struct smtp_reply *why;
			enum rstat st = ms_rcpt_status(&r, i, &why);
			if (st != R_ACCEPTED) {
				rc = NT_EXIT_FAIL;
				if (!mail_send_cf.json)
					nt_warn("%s %s: %s", rcpts->v[i], ms_rstat_name[st], why->code ? why->text : "no reply");
			}
			if (mail_send_cf.json)
				ms_json_rcpt(rcpts->v[i], st, why, NULL);
		}
		if (!rc)
			log_trace("sent to %zu recipient%s", rcpts->n, rcpts->n == 1 ? "" : "s");
	}
	smtp_result_free(&r);
	smtp_close(&s);
	cred_free(&c);
	free(sv.url);
	return rc;
}

