/* SPDX-License-Identifier: MIT */
/* check_account.c - the accounts file: sections and keys, every strict refusal with its
 * file:line, the bounds, the permission checks, the choice of the account and what it
 * fills in the shared options (the command line first). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "connpol.h"
#include "cred.h"
#include "nt_err.h"

static int parse(struct accounts *f, const char *text, char *err)
{
	int r = accounts_parse(f, "acc", text, strlen(text), err, 600);
	return r;
}

START_TEST(sections_and_keys)
{
	struct accounts f;
	char err[600];
	const char *t = "# comment\n; another\n\n[default]\nurl = smtps://smtp.example.org\n"
			"  user=alice@example.org  \nFROM = Alice@Example.org\npassword-cmd = pass show a = b\n"
			"tls = ON\r\n[work]\nurl=imaps://imap.example.com\noauth2-token-file = ~/tok\n";
	ck_assert_int_eq(parse(&f, t, err), 0);
	ck_assert_int_eq(f.n, 2);
	ck_assert_int_eq(f.has_password, 0);
	const struct account *a = accounts_find(&f, "default");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->line, 4);
	ck_assert_str_eq(a->v[ACC_USER], "alice@example.org");
	ck_assert_str_eq(a->v[ACC_PASSWORD_CMD], "pass show a = b");
	ck_assert_str_eq(a->v[ACC_TLS], "ON");
	ck_assert_ptr_null(a->v[ACC_CACERT]);
	ck_assert_ptr_eq(accounts_by_from(&f, "alice@EXAMPLE.org", "smtp smtps"), a);
	ck_assert_ptr_null(accounts_by_from(&f, "alice@example.org", "imap imaps"));
	ck_assert_ptr_null(accounts_find(&f, "nope"));
	accounts_free(&f);
	ck_assert_int_eq(parse(&f, "[a]\npassword = x\n", err), 0);
	ck_assert_int_eq(f.has_password, 1);
	accounts_free(&f);
	ck_assert_int_eq(parse(&f, "", err), 0);
	ck_assert_int_eq(f.n, 0);
	accounts_free(&f);
}
END_TEST

static void refused(const char *text, const char *want)
{
	struct accounts f;
	char err[600];
	ck_assert_int_eq(parse(&f, text, err), -1);
	ck_assert_msg(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
	accounts_free(&f);
}

START_TEST(strict)
{
	refused("[a]\nbogus = 1\n", "acc:2: unknown key 'bogus'");
	refused("user = x\n", "acc:1: 'user' before the first [NAME] line");
	refused("[a]\n[b]\n[a]\n", "acc:3: [a] again (first at line 1)");
	refused("[a]\nuser = x\nuser = y\n", "acc:3: 'user' again in [a]");
	refused("[a]\nuser =\n", "acc:2: 'user' has no value");
	refused("[a]\nuser\n", "acc:2: not a [NAME] line nor key = value");
	refused("[a b]\n", "acc:1: a section name");
	refused("[]\n", "acc:1: a section name");
	refused("[a\n", "acc:1: a section line is [NAME]");
	refused("[a]\ntls = maybe\n", "acc:2: tls is on, off or auto");
	refused("[a]\nuser = x\033y\n", "acc:2: a control character");
	refused("[a]\nuser = x\ry\n", "acc:2: a control character");
	/* Bounds: a line, the number of sections. */
	char *big = malloc(ACC_LINE_MAX + 20);
	snprintf(big, ACC_LINE_MAX + 20, "[a]\nuser = %0*d\n", ACC_LINE_MAX, 0);
	refused(big, "acc:2: a line longer than");
	free(big);
	size_t cap = (ACC_SECTIONS_MAX + 2) * 12;
	char *many = malloc(cap), *p = many;
	for (int i = 0; i <= ACC_SECTIONS_MAX; i++)
		p += sprintf(p, "[s%d]\n", i);
	refused(many, "more than 256 sections");
	free(many);
}
END_TEST

static char dir[64];

static char *write_file(const char *name, const char *text, mode_t mode)
{
	char *p = malloc(200);
	snprintf(p, 200, "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(p, mode);
	return p;
}

START_TEST(permissions)
{
	snprintf(dir, sizeof dir, "/tmp/check-acc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct accounts f;
	char err[600];
	char *p = write_file("a", "[a]\npassword = x\n", 0644);
	ck_assert_int_eq(accounts_load(&f, p, err, sizeof err), -NT_EXIT_TLS);
	ck_assert_ptr_nonnull(strstr(err, "holds a password and its group or others can read it"));
	ck_assert_ptr_nonnull(strstr(err, p));
	chmod(p, 0600);
	ck_assert_int_eq(accounts_load(&f, p, err, sizeof err), 1);
	accounts_free(&f);
	chmod(p, 0620);
	ck_assert_int_eq(accounts_load(&f, p, err, sizeof err), -NT_EXIT_TLS);
	ck_assert_ptr_nonnull(strstr(err, "writable by others"));
	unlink(p);
	free(p);
	p = write_file("b", "[a]\npassword-cmd = pass show x\n", 0644); /* no secret in it: readable is fine */
	ck_assert_int_eq(accounts_load(&f, p, err, sizeof err), 1);
	accounts_free(&f);
	unlink(p);
	free(p);
	p = write_file("c", "[a]\nwhat = 1\n", 0600);
	ck_assert_int_eq(accounts_load(&f, p, err, sizeof err), -NT_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, ":2: unknown key 'what'"));
	unlink(p);
	free(p);
	ck_assert_int_eq(accounts_load(&f, "/nonexistent/accounts", err, sizeof err), 0);
	rmdir(dir);
}
END_TEST

START_TEST(fills_what_is_unset)
{
	snprintf(dir, sizeof dir, "/tmp/check-acc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *p = write_file("acc",
			     "[default]\nurl = imaps://imap.example.org\nuser = alice\npassword-cmd = echo pw\n"
			     "cacert = /ca.pem\ncert = /me.pem\nkey = /me.key\npin = sha256//x\ntls = off\n"
			     "[other]\nurl = smtp://smtp.example.org\nfrom = bob@example.org\npassword = secret\n",
			     0600);
	/* Nothing on the command line: the account gives it all. */
	struct conn_opts o = {.config = p};
	const struct account *a = conn_account(&o, "imap imaps", NULL, NULL);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->name, "default");
	ck_assert_str_eq(o.user, "alice");
	ck_assert_str_eq(o.password_cmd, "echo pw");
	ck_assert_str_eq(o.password_cmd_what, "account default: password-cmd");
	ck_assert_str_eq(o.cacert, "/ca.pem");
	ck_assert_str_eq(o.cert, "/me.pem");
	ck_assert_str_eq(o.key, "/me.key");
	ck_assert_str_eq(o.pinnedpubkey, "sha256//x");
	ck_assert_int_eq(o.tls, CONN_TLS_NEVER);
	/* The command line first: its user, CA and secret source stay; --tls stays. */
	struct conn_opts c = {.config = p, .user = "me", .cacert = "/mine.pem", .password_file = "/pw",
			      .tls = CONN_TLS_REQUIRE, .seen_tls = 1};
	ck_assert_ptr_nonnull(conn_account(&c, "imap imaps", "IMAP.example.org", NULL));
	ck_assert_str_eq(c.user, "me");
	ck_assert_str_eq(c.cacert, "/mine.pem");
	ck_assert_ptr_null(c.password_cmd);
	ck_assert_int_eq(c.tls, CONN_TLS_REQUIRE);
	/* Chosen implicitly: not for another server, not for another applet's scheme. */
	struct conn_opts d = {.config = p};
	ck_assert_ptr_null(conn_account(&d, "imap imaps", "imap.elsewhere.example", NULL));
	ck_assert_ptr_null(d.user);
	ck_assert_ptr_null(conn_account(&d, "nntp nntps", NULL, NULL));
	/* By the sender (mail-send), else nothing: [default] is IMAP. */
	struct conn_opts e = {.config = p};
	a = conn_account(&e, "smtp smtps", NULL, "BOB@example.org");
	ck_assert_str_eq(a->name, "other");
	ck_assert_str_eq(e.account_password, "secret");
	ck_assert_ptr_null(conn_account(&e, "smtp smtps", NULL, "carol@example.org"));
	/* --account NAME, whatever the server. */
	struct conn_opts g = {.config = p, .account = "default"};
	ck_assert_ptr_nonnull(conn_account(&g, "imap imaps", "imap.elsewhere.example", NULL));
	ck_assert_str_eq(g.user, "alice");
	unlink(p);
	free(p);
	rmdir(dir);
}
END_TEST

START_TEST(password_cmd_in_cred)
{
	/* The order: the command line's source, then the account's, then netrc... */
	struct conn_opts o = {.password_cmd = "echo from-cmd", .timeout_ms = 5000};
	struct cred c = {.user = strdup("u")};
	char err[512];
	ck_assert_int_eq(cred_get(&c, "h.example", &o, 1, err, sizeof err), 0);
	ck_assert_str_eq(c.password, "from-cmd");
	ck_assert_str_eq(c.source, "password-cmd");
	cred_free(&c);
	o.password_cmd = "printf 'a\\r\\n'";
	o.password_cmd_what = "account w: password-cmd";
	c.user = strdup("u");
	ck_assert_int_eq(cred_get(&c, "h.example", &o, 1, err, sizeof err), -NT_EXIT_TLS);
	ck_assert_ptr_nonnull(strstr(err, "account w: password-cmd: "));
	cred_free(&c);
	struct conn_opts a = {.account_password = "acc"};
	c.user = strdup("u");
	ck_assert_int_eq(cred_get(&c, "h.example", &a, 1, err, sizeof err), 0);
	ck_assert_str_eq(c.source, "account");
	cred_free(&c);
}
END_TEST

Suite *suite_account(void)
{
	Suite *s = suite_create("account");
	TCase *t = tcase_create("account");
	tcase_add_test(t, sections_and_keys);
	tcase_add_test(t, strict);
	tcase_add_test(t, permissions);
	tcase_add_test(t, fills_what_is_unset);
	tcase_add_test(t, password_cmd_in_cred);
	suite_add_tcase(s, t);
	return s;
}
