/* SPDX-License-Identifier: MIT */
/* check_misc.c - stamps, progress formatters, JSON strings, log masking, safe names,
 * atomic files, netrc, loopback detection. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cred.h"
#include "file.h"
#include "json.h"
#include "log.h"
#include "nt_err.h"
#include "progress.h"
#include "stamp.h"

START_TEST(stamps)
{
	struct stamp s;
	size_t n;
	stamp_init(&s, NULL, 1);
	/* The textbook's example: Thu Sep  1 15:35:45 2016 (ctime pads the day with a space). */
	ck_assert_str_eq(stamp_at(&s, 1472744145, &n), "Thu Sep  1 15:35:45 2016");
	ck_assert_uint_eq(n, 24);
	stamp_init(&s, "%Y-%m-%dT%H:%M:%SZ", 1);
	ck_assert_str_eq(stamp_at(&s, 1472744145, &n), "2016-09-01T15:35:45Z");
	ck_assert_int_eq(stamp_check_format("%s"), 0);
	ck_assert_int_eq(stamp_check_format(""), -1);
	ck_assert_int_eq(stamp_check_format("%p"), 0);
	ck_assert_int_eq(stamp_check_format("a\nb"), -1);
	ck_assert_int_eq(stamp_check_format("%H%n"), -1);
	ck_assert_int_eq(stamp_check_format("%t"), -1);
}
END_TEST

START_TEST(progress_fmt)
{
	char b[32];
	ck_assert_str_eq(progress_fmt_bytes(b, sizeof b, 999), "999");
	ck_assert_str_eq(progress_fmt_bytes(b, sizeof b, 1536), "1.5k");
	ck_assert_str_eq(progress_fmt_bytes(b, sizeof b, 50ULL << 20), "50M");
	ck_assert_str_eq(progress_fmt_secs(b, sizeof b, 7), "0:07");
	ck_assert_str_eq(progress_fmt_secs(b, sizeof b, 3723), "1:02:03");
	ck_assert_str_eq(progress_fmt_secs(b, sizeof b, -1), "--:--");
	struct progress p = {.label = "get", .bytes_done = 512, .bytes_total = 1024, .items_done = 1,
			     .items_total = 4, .start_ms = 0};
	char line[256];
	progress_fmt_line(line, sizeof line, &p, 1000, 79);
	ck_assert_ptr_nonnull(strstr(line, " 50%"));
	ck_assert_ptr_nonnull(strstr(line, "1/4 files"));
	ck_assert_ptr_nonnull(strstr(line, "512/1.0k"));
	enum progress_mode m;
	ck_assert_int_eq(progress_parse_mode("plain", &m), 0);
	ck_assert_int_eq(m, PROGRESS_PLAIN);
	ck_assert_int_eq(progress_parse_mode("fancy", &m), -1);
}
END_TEST

START_TEST(json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_begin(f);
	json_kv_str(f, "name", "a\"b\\c\n\x01");
	json_kv_int(f, "size", 42);
	json_kv_strn(f, "bin", "\xff\xc3\xa9", 3);
	json_kv_str(f, "none", NULL);
	json_kv_bool(f, "ok", 1);
	json_kv_num(f, "seconds", 0.1254, 3);
	json_kv_num(f, "nan", 0.0 / 0.0, 3);
	json_end(f);
	fclose(f);
	ck_assert_str_eq(text, "{\"name\":\"a\\\"b\\\\c\\n\\u0001\",\"size\":42,\"bin\":\"\\ufffd\xc3\xa9\",\"none\":null,\"ok\":true,"
			       "\"seconds\":0.125,\"nan\":null}\n");
	free(text);
}
END_TEST

START_TEST(masking)
{
	char out[128];
	log_mask(out, sizeof out, "PASS hunter2\r\n", 14);
	ck_assert_str_eq(out, "PASS ****");
	log_mask(out, sizeof out, "AUTHINFO PASS hunter2", 21);
	ck_assert_str_eq(out, "AUTHINFO PASS ****");
	log_mask(out, sizeof out, "AUTH PLAIN AGJvYgBzZWNyZXQ=", 27);
	ck_assert_str_eq(out, "AUTH PLAIN ****");
	log_mask(out, sizeof out, "A1 LOGIN bob hunter2", 20);
	ck_assert_str_eq(out, "A1 LOGIN bob ****");
	log_mask(out, sizeof out, "USER bob", 8);
	ck_assert_str_eq(out, "USER bob");
	log_mask(out, sizeof out, "AUTHINFO USER bob", 17);
	ck_assert_str_eq(out, "AUTHINFO USER bob");
	log_mask(out, sizeof out, "Proxy-Authorization: Basic dTpwdw==\r\n", 37);
	ck_assert_str_eq(out, "Proxy-Authorization: Basic ****");
	log_mask(out, sizeof out, "proxy-authorization: Basic dTpwdw==", 35);
	ck_assert_str_eq(out, "proxy-authorization: Basic ****");
}
END_TEST

START_TEST(safe_names)
{
	char err[256];
	ck_assert_int_eq(file_safe_name("a.txt", 5, err, sizeof err), 0);
	ck_assert_int_eq(file_safe_name("..", 2, err, sizeof err), -1);
	ck_assert_int_eq(file_safe_name(".", 1, err, sizeof err), -1);
	ck_assert_int_eq(file_safe_name("a/b", 3, err, sizeof err), -1);
	ck_assert_int_eq(file_safe_name("a\0b", 3, err, sizeof err), -1);
	ck_assert_int_eq(file_safe_name("a\nb", 3, err, sizeof err), -1);
	ck_assert_int_eq(file_safe_name("", 0, err, sizeof err), -1);
	ck_assert_int_eq(file_safe_name("...", 3, err, sizeof err), 0);
	/* C1 controls as UTF-8 are refused like ESC; other UTF-8 with bytes 0x80..0x9F is not. */
	ck_assert_int_eq(file_safe_name("a\xc2\x9bx", 4, err, sizeof err), -1);
	ck_assert_int_eq(file_safe_name("a\xc2\x80", 3, err, sizeof err), -1);
	ck_assert_int_eq(file_safe_name("\xc3\x80\xc3\xa9\xe6\x97\xa5", 7, err, sizeof err), 0);
	ck_assert_int_eq(file_safe_name("a\xc2\xa0" "b", 4, err, sizeof err), 0);
	ck_assert_int_eq(file_safe_name("caf\xe9", 4, err, sizeof err), 0);
	ck_assert_int_eq(file_safe_relpath("a/b/c", err, sizeof err), 0);
	ck_assert_int_eq(file_safe_relpath("a/../../etc/passwd", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, ".."));
	ck_assert_int_eq(file_safe_relpath("/etc/passwd", err, sizeof err), -1);
	ck_assert_int_eq(file_safe_relpath("a//b", err, sizeof err), -1);
}
END_TEST

START_TEST(folder_rule)
{
	/* The user's folder may be a symlink; a symlink below it is refused by every entry
	 * point, and nothing is created through it. */
	char dir[] = "/tmp/nt-check-XXXXXX", err[512], p[300], q[300], r[300];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(p, sizeof p, "%s/real", dir);
	snprintf(q, sizeof q, "%s/out", dir);
	snprintf(r, sizeof r, "%s/top", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(mkdir(q, 0700), 0);
	char ps[320];
	snprintf(ps, sizeof ps, "%s/sub", p);
	ck_assert_int_eq(symlink(q, ps), 0); /* planted below the target */
	ck_assert_int_eq(symlink(p, r), 0);
	struct afile af;
	ck_assert_int_eq(afile_open(&af, r, "sub/x", 0644, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
	ck_assert_int_eq(file_mkdirs_below(r, "sub/deeper", 0700, err, sizeof err), -1);
	ck_assert_int_eq(file_openat_below(r, "sub/x", O_WRONLY | O_CREAT, 0600, err, sizeof err), -1);
	char probe[400];
	snprintf(probe, sizeof probe, "%s/deeper", q);
	ck_assert_int_eq(access(probe, F_OK), -1);
	snprintf(probe, sizeof probe, "%s/x", q);
	ck_assert_int_eq(access(probe, F_OK), -1);
	/* Through the user's own symlink (top -> real): allowed, and made relative to it. */
	ck_assert_int_eq(file_mkdirs_below(r, "a/b", 0700, err, sizeof err), 0);
	ck_assert_int_eq(afile_open(&af, r, "a/b/f", 0644, err, sizeof err), 0);
	ck_assert_int_eq(file_write_all(af.fd, "ok", 2), 0);
	ck_assert_int_eq(afile_commit(&af, err, sizeof err), 0);
	snprintf(probe, sizeof probe, "%s/a/b/f", p);
	ck_assert_int_eq(access(probe, F_OK), 0);
	ck_assert_int_eq(file_plain_name("1.M2P3Q4.host"), 1);
	ck_assert_int_eq(file_plain_name(".hidden"), 0);
	ck_assert_int_eq(file_plain_name("a/b"), 0);
	unlink(probe);
	snprintf(probe, sizeof probe, "%s/a/b", p), rmdir(probe);
	snprintf(probe, sizeof probe, "%s/a", p), rmdir(probe);
	unlink(ps);
	unlink(r), rmdir(p), rmdir(q), rmdir(dir);
}
END_TEST

START_TEST(atomic_files)
{
	char dir[] = "/tmp/nt-check-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char err[256];
	struct afile af;
	ck_assert_int_eq(afile_open(&af, dir, "out.txt", 0644, err, sizeof err), 0);
	ck_assert_int_eq(file_write_all(af.fd, "data", 4), 0);
	char *final = NULL;
	if (asprintf(&final, "%s/out.txt", dir) < 0)
		ck_abort();
	ck_assert_int_ne(access(final, F_OK), 0); /* not there until committed */
	ck_assert_int_eq(afile_commit(&af, err, sizeof err), 0);
	struct stat st;
	ck_assert_int_eq(stat(final, &st), 0);
	ck_assert_int_eq(st.st_size, 4);
	/* The mode as open(2) gives it: the umask applied. */
	mode_t um = umask(027);
	ck_assert_int_eq(afile_open(&af, dir, "masked.txt", 0644, err, sizeof err), 0);
	umask(um);
	char *masked = af.final ? strdup(af.final) : NULL;
	ck_assert_int_eq(afile_commit(&af, err, sizeof err), 0);
	ck_assert_int_eq(stat(masked, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	unlink(masked);
	free(masked);
	ck_assert_int_eq(afile_open(&af, dir, "gone.txt", 0644, err, sizeof err), 0);
	char *tmp = strdup(af.tmp);
	afile_abort(&af);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	unlink(final);
	rmdir(dir);
	free(tmp);
	free(final);
}
END_TEST

START_TEST(netrc)
{
	char path[] = "/tmp/nt-netrc-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "machine other login x password y\n"
			   "machine ftp.example login alice password \"s3 cret\"\n"
			   "machine ftp.example login bob password bobpw\n"
			   "default login anonymous password guest\n";
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	char *user = NULL, *pass = NULL, err[256];
	ck_assert_int_eq(cred_netrc_lookup(path, "ftp.example", &user, &pass, err, sizeof err), 1);
	ck_assert_str_eq(user, "alice");
	ck_assert_str_eq(pass, "s3 cret");
	free(user), free(pass);
	user = strdup("bob"), pass = NULL;
	ck_assert_int_eq(cred_netrc_lookup(path, "FTP.example", &user, &pass, err, sizeof err), 1);
	ck_assert_str_eq(pass, "bobpw");
	free(user), free(pass);
	user = NULL, pass = NULL;
	ck_assert_int_eq(cred_netrc_lookup(path, "elsewhere", &user, &pass, err, sizeof err), 1);
	ck_assert_str_eq(user, "anonymous");
	free(user), free(pass);
	unlink(path);
	user = NULL;
	ck_assert_int_eq(cred_netrc_lookup(path, "x", &user, &pass, err, sizeof err), 0);
}
END_TEST

START_TEST(secrets_with_crlf_refused)
{
	char err[256];
	setenv("NETRC", "/nonexistent/netrc", 1);
	setenv("NETTOOL_PASSWORD", "ntpass\r\nDELE keep.txt", 1);
	struct cred c = {.user = strdup("bob")};
	ck_assert_int_eq(cred_get(&c, "ftp.example", NULL, 1, err, sizeof err), -NT_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "control character"));
	cred_free(&c);
	setenv("NETTOOL_PASSWORD", "fine", 1);
	struct cred d = {.user = strdup("bob")};
	ck_assert_int_eq(cred_get(&d, "ftp.example", NULL, 1, err, sizeof err), 0);
	ck_assert_str_eq(d.password, "fine");
	cred_free(&d);
	unsetenv("NETTOOL_PASSWORD");
	unsetenv("NETRC");
}
END_TEST

START_TEST(long_names_fit)
{
	char dir[] = "/tmp/nt-long-XXXXXX", err[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char name[251];
	memset(name, 'n', 250);
	name[250] = 0;
	struct afile af;
	ck_assert_int_eq(afile_open(&af, dir, name, 0644, err, sizeof err), 0);
	ck_assert_int_eq(afile_commit(&af, err, sizeof err), 0);
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		ck_abort();
	ck_assert_int_eq(unlink(path), 0);
	rmdir(dir);
	free(path);
}
END_TEST

START_TEST(loopback)
{
	ck_assert_int_eq(cred_host_is_loopback("localhost"), 1);
	ck_assert_int_eq(cred_host_is_loopback("127.0.0.1"), 1);
	ck_assert_int_eq(cred_host_is_loopback("127.9.9.9"), 1);
	ck_assert_int_eq(cred_host_is_loopback("::1"), 1);
	ck_assert_int_eq(cred_host_is_loopback("128.0.0.1"), 0);
	ck_assert_int_eq(cred_host_is_loopback("mail.example"), 0);
	ck_assert_int_eq(cred_host_is_loopback("localhost.evil.example"), 0);
}
END_TEST

Suite *suite_misc(void)
{
	Suite *s = suite_create("misc");
	TCase *t = tcase_create("misc");
	tcase_add_test(t, stamps);
	tcase_add_test(t, progress_fmt);
	tcase_add_test(t, json);
	tcase_add_test(t, masking);
	tcase_add_test(t, safe_names);
	tcase_add_test(t, folder_rule);
	tcase_add_test(t, atomic_files);
	tcase_add_test(t, netrc);
	tcase_add_test(t, loopback);
	tcase_add_test(t, secrets_with_crlf_refused);
	tcase_add_test(t, long_names_fit);
	suite_add_tcase(s, t);
	return s;
}
