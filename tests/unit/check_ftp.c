/* SPDX-License-Identifier: MIT */
/* check_ftp.c - the ftp applet's parsers: MLSD facts (devices too), LIST lines (Unix, DOS), the shell's line splitter,
 * multi-line replies, FEAT; malformed input and hostile names. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../applets/ftp/ftp.h"
#include "../../applets/ftp/journal.h"
#include "../../applets/ftp/jread.h"
#include "../../applets/ftp/jset.h"
#include "../../applets/ftp/parse.h"
#include "../../applets/ftp/shparse.h"
#include "../../applets/ftp/tree.h"
#include "file.h"

static const time_t NOW = 1795700000; /* 2026-11-26 */

START_TEST(mlsd_file)
{
	struct ftp_entry e;
	const char *l = "type=file;size=1234;modify=20220304050607;perm=adfrw; p.txt";
	ck_assert_int_eq(ftp_parse_mlsd(l, strlen(l), &e), 0);
	ck_assert_int_eq(e.type, FTP_T_FILE);
	ck_assert_int_eq(e.size, 1234);
	ck_assert_int_eq(e.mtime, 1646370367);
	ck_assert_str_eq(e.perm, "adfrw");
	ck_assert_str_eq(e.name, "p.txt");
	l = "Type=dir;Modify=20220304050607.123;UNIX.mode=0755; with space";
	ck_assert_int_eq(ftp_parse_mlsd(l, strlen(l), &e), 0);
	ck_assert_int_eq(e.type, FTP_T_DIR);
	ck_assert_int_eq(e.size, -1);
	ck_assert_str_eq(e.name, "with space");
	l = "type=cdir; .";
	ck_assert_int_eq(ftp_parse_mlsd(l, strlen(l), &e), 0);
	ck_assert_int_eq(e.type, FTP_T_CDIR);
	l = "type=OS.unix=symlink;size=3; link";
	ck_assert_int_eq(ftp_parse_mlsd(l, strlen(l), &e), 0);
	ck_assert_int_eq(e.type, FTP_T_LINK);
	l = "type=OS.unix=slink:/etc/passwd; plink"; /* ProFTPD's form */
	ck_assert_int_eq(ftp_parse_mlsd(l, strlen(l), &e), 0);
	ck_assert_int_eq(e.type, FTP_T_LINK);
	/* Devices are devices, not links (issue 14). */
	l = "type=OS.unix=chr-13/29;perm=; fb0";
	ck_assert_int_eq(ftp_parse_mlsd(l, strlen(l), &e), 0);
	ck_assert_int_eq(e.type, FTP_T_DEV);
	ck_assert_str_eq(ftp_etype_name(e.type), "device");
	l = "type=OS.UNIX=blk-8/0; sda";
	ck_assert_int_eq(ftp_parse_mlsd(l, strlen(l), &e), 0);
	ck_assert_int_eq(e.type, FTP_T_DEV);
	l = "crw-rw-rw-    1 0        0               0 Jan 02  2020 null";
	ck_assert_int_eq(ftp_parse_list(l, strlen(l), NOW, &e), 0);
	ck_assert_int_eq(e.type, FTP_T_DEV);
}
END_TEST

START_TEST(mlsd_bad)
{
	struct ftp_entry e;
	const char *bad[] = {"", "type=file", "type=file;size=12x; n", "type=file;modify=2022; n",
			     "type=file;modify=20221304050607; n", "nofacts; n", "type=file;size=99999999999999999999; n",
			     "type=file; "};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(ftp_parse_mlsd(bad[i], strlen(bad[i]), &e) == -1, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(list_unix)
{
	struct ftp_entry e;
	const char *l = "-rw-r--r--    1 0        0               4 Jan 02  2020 old.txt";
	ck_assert_int_eq(ftp_parse_list(l, strlen(l), NOW, &e), 0);
	ck_assert_int_eq(e.type, FTP_T_FILE);
	ck_assert_int_eq(e.size, 4);
	ck_assert_int_eq(e.mtime, 1577923200);
	ck_assert_int_eq(e.mtime_prec, 86400);
	ck_assert_str_eq(e.perm, "rw-r--r--");
	ck_assert_str_eq(e.name, "old.txt");
	l = "drwxr-xr-x    2 ftp      ftp          4096 Nov 26 13:33 my dir ";
	ck_assert_int_eq(ftp_parse_list(l, strlen(l), NOW, &e), 0);
	ck_assert_int_eq(e.type, FTP_T_DIR);
	ck_assert_str_eq(e.name, "my dir ");
	ck_assert_int_eq(e.mtime_prec, 60);
	ck_assert_int_eq(e.mtime, 1795700000 - 1795700000 % 86400 + 13 * 3600 + 33 * 60);
	/* A date ahead of now is last year's. */
	l = "-rw-r--r--    1 0        0               4 Dec 30 10:00 f";
	ck_assert_int_eq(ftp_parse_list(l, strlen(l), NOW, &e), 0);
	ck_assert_int_lt(e.mtime, NOW);
	l = "lrwxrwxrwx    1 0        0               9 Nov 26 13:33 link -> ../target";
	ck_assert_int_eq(ftp_parse_list(l, strlen(l), NOW, &e), 0);
	ck_assert_int_eq(e.type, FTP_T_LINK);
	ck_assert_str_eq(e.name, "link");
	/* No group column. */
	l = "-rw-r--r--   1 user      1234 Nov 26  2025 nogroup";
	ck_assert_int_eq(ftp_parse_list(l, strlen(l), NOW, &e), 0);
	ck_assert_int_eq(e.size, 1234);
	ck_assert_str_eq(e.name, "nogroup");
	l = "total 12";
	ck_assert_int_eq(ftp_parse_list(l, strlen(l), NOW, &e), 1);
}
END_TEST

START_TEST(list_dos)
{
	struct ftp_entry e;
	const char *l = "11-26-26  01:33PM       <DIR>          Program Files";
	ck_assert_int_eq(ftp_parse_list(l, strlen(l), NOW, &e), 0);
	ck_assert_int_eq(e.type, FTP_T_DIR);
	ck_assert_str_eq(e.name, "Program Files");
	ck_assert_int_eq(e.mtime, 1795700000 - 1795700000 % 86400 + 13 * 3600 + 33 * 60);
	l = "01-02-2020  12:05AM                 1234 a.txt";
	ck_assert_int_eq(ftp_parse_list(l, strlen(l), NOW, &e), 0);
	ck_assert_int_eq(e.type, FTP_T_FILE);
	ck_assert_int_eq(e.size, 1234);
	ck_assert_int_eq(e.mtime, 1577923200 + 5 * 60);
}
END_TEST

START_TEST(list_bad_and_hostile)
{
	struct ftp_entry e;
	const char *bad[] = {"garbage", "-rw-r--r-- 1 0 0 4 Foo 02 2020 x", "-rw-r--r-- 1 0 0 4 Jan 32 2020 x",
			     "-rw-r--r-- 1 0 0 4 Jan 02 25:00 x", "-rw-r--r-- 1 0 0 4 Jan 02 2020", "13-45-26  01:33PM  <DIR> x",
			     "11-26-26  13:33PM   1 x", "?rw-r--r-- 1 0 0 x Jan 02 2020 n"};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(ftp_parse_list(bad[i], strlen(bad[i]), NOW, &e) == -1, "accepted '%s'", bad[i]);
	/* Names a server may send are returned as they are; the safe-name check refuses them. */
	char err[256];
	const char *l = "-rw-r--r--    1 0        0               5 Nov 26 13:39 ../escape";
	ck_assert_int_eq(ftp_parse_list(l, strlen(l), NOW, &e), 0);
	ck_assert_str_eq(e.name, "../escape");
	ck_assert_int_eq(file_safe_name(e.name, e.namelen, err, sizeof err), -1);
	const char nul[] = "type=file;size=1; a\0b";
	ck_assert_int_eq(ftp_parse_mlsd(nul, sizeof nul - 1, &e), 0);
	ck_assert_uint_eq(e.namelen, 3);
	ck_assert_int_eq(file_safe_name(e.name, e.namelen, err, sizeof err), -1);
	/* A name longer than FTP_NAME_MAX is refused, not cut. */
	char big[FTP_NAME_MAX + 64];
	memset(big, 'a', sizeof big);
	memcpy(big, "type=file; ", 11);
	ck_assert_int_eq(ftp_parse_mlsd(big, sizeof big, &e), -1);
}
END_TEST

START_TEST(replies)
{
	struct ftp_reply r = {0};
	ck_assert_int_eq(ftp_reply_feed(&r, "220 hello", 9), 1);
	ck_assert_int_eq(r.code, 220);
	ck_assert_str_eq(r.text, "hello");
	ck_assert_int_eq(ftp_reply_feed(&r, "211-Features:", 13), 0);
	ck_assert_int_eq(ftp_reply_feed(&r, " MDTM", 5), 0);
	ck_assert_int_eq(ftp_reply_feed(&r, "220 not the end", 15), 0);
	ck_assert_int_eq(ftp_reply_feed(&r, "211 End", 7), 1);
	ck_assert_int_eq(r.code, 211);
	ck_assert_int_eq(r.lines, 4);
	ck_assert_int_eq(ftp_reply_feed(&r, "hello", 5), -1);
	ck_assert_int_eq(ftp_reply_feed(&r, "600 x", 5), -1);
	ck_assert_int_eq(ftp_reply_feed(&r, "55", 2), -1);
	ck_assert_int_eq(ftp_reply_feed(&r, "550 bad\x1b[31m", 12), 1);
	/* What the header callback keeps (review 12): reply lines only, digits checked. */
	int code = 0;
	char last[16];
	ck_assert_int_eq(ftp_reply_line("421 Too many users, try later.\r\n", 32, &code, last, sizeof last), 1);
	ck_assert_int_eq(code, 421);
	ck_assert_str_eq(last, "421 Too many us");
	ck_assert_int_eq(ftp_reply_line("4ab oops\r\n", 10, &code, last, sizeof last), 0);
	ck_assert_int_eq(ftp_reply_line(" MDTM\r\n", 7, &code, last, sizeof last), 0);
	ck_assert_int_eq(ftp_reply_line("2201 x\r\n", 8, &code, last, sizeof last), 0);
	ck_assert_int_eq(ftp_reply_line("\r\n", 2, &code, last, sizeof last), 0);
	ck_assert_int_eq(code, 421);
	ck_assert_int_eq(ftp_reply_line("226-\x1b[2Jx\n", 10, &code, last, sizeof last), 1);
	ck_assert_int_eq(code, 226);
	ck_assert_ptr_null(strchr(last, 0x1b));
	ck_assert_str_eq(r.text, "bad");
}
END_TEST

START_TEST(feat)
{
	const char *t = "220 (vsFTPd 3.0.3)\r\n211-Features:\r\n EPRT\r\n MDTM\r\n MLST type*;size*;\r\n211 End\r\n";
	ck_assert_int_eq(ftp_feat_has(t, strlen(t), "MLST"), 1);
	ck_assert_int_eq(ftp_feat_has(t, strlen(t), "MDTM"), 1);
	ck_assert_int_eq(ftp_feat_has(t, strlen(t), "MLS"), 0);
	ck_assert_int_eq(ftp_feat_has(t, strlen(t), "UTF8"), 0);
	ck_assert_int_eq(ftp_feat_has(t, 30, "MLST"), 0);
	size_t adv;
	ck_assert_uint_eq(ftp_next_line("ab\r\ncd", 6, &adv), 2);
	ck_assert_uint_eq(adv, 4);
	ck_assert_uint_eq(ftp_next_line("cd", 2, &adv), 2);
	ck_assert_uint_eq(adv, 2);
	/* A line over FTP_LINE_MAX is visibly cut and refused, not parsed as whole. */
	static char big[FTP_LINE_MAX + 600];
	memset(big, 'p', sizeof big);
	memcpy(big, "type=file;size=3;x=", 19);
	big[FTP_LINE_MAX - 200] = ' ';
	big[sizeof big - 1] = '\n';
	ck_assert_uint_eq(ftp_next_line(big, sizeof big, &adv), FTP_LINE_MAX + 1);
	ck_assert_uint_eq(adv, sizeof big);
	struct ftp_entry e;
	ck_assert_int_eq(ftp_parse_mlsd(big, FTP_LINE_MAX + 1, &e), -1);
	ck_assert_int_eq(ftp_parse_list(big, FTP_LINE_MAX + 1, 0, &e), -1);
	ck_assert_int_eq(ftp_parse_mlsd(big, FTP_LINE_MAX, &e), 0); /* 8192 bytes still parse */
	ck_assert_uint_eq(e.namelen, 199);
}
END_TEST

START_TEST(pwd)
{
	char d[64];
	const char *l = "257 \"/home/a \"\"q\"\" b\" is the current directory";
	ck_assert_int_eq(ftp_parse_pwd(l, strlen(l), d, sizeof d), 0);
	ck_assert_str_eq(d, "/home/a \"q\" b");
	l = "257 \"/\"";
	ck_assert_int_eq(ftp_parse_pwd(l, strlen(l), d, sizeof d), 0);
	ck_assert_str_eq(d, "/");
	const char *bad[] = {"257 /x", "250 \"/x\"", "257 \"/x", "257 \"\"", "257 \"/a\rb\""};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(ftp_parse_pwd(bad[i], strlen(bad[i]), d, sizeof d) == -1, "accepted '%s'", bad[i]);
	l = "257 \"/a/very/long/path/that/does/not/fit\"";
	ck_assert_int_eq(ftp_parse_pwd(l, strlen(l), d, 8), -1);
	/* A refused 257 line leaves the last good folder untouched (several 257 lines: the
	 * last good one wins, never a mix). */
	l = "257 \"/good\"";
	ck_assert_int_eq(ftp_parse_pwd(l, strlen(l), d, sizeof d), 0);
	const char *half[] = {"257 \"/evil/no/closing/quote", "257 \"/evil/then\x01ctl\"",
			      "257 \"/evil/longer/than/the/buffer/of/eight\""};
	for (unsigned i = 0; i < sizeof half / sizeof half[0]; i++) {
		ck_assert_int_eq(ftp_parse_pwd(half[i], strlen(half[i]), d, i == 2 ? 8 : sizeof d), -1);
		ck_assert_str_eq(d, "/good");
	}
}
END_TEST

/* The passive replies the batch get's own connections read (getpipe.c): EPSV with any
 * delimiter, PASV's six numbers; a hostile or cut line is refused, never half taken. */
START_TEST(announced_size)
{
	long long sz = 7;
	const char *l = "150 Opening BINARY mode data connection for f (14000 bytes).";
	ck_assert_int_eq(ftp_parse_150_size(l, strlen(l), &sz), 0);
	ck_assert_int_eq(sz, 14000);
	l = "150 (x) then (0 bytes)";
	ck_assert_int_eq(ftp_parse_150_size(l, strlen(l), &sz), 0);
	ck_assert_int_eq(sz, 0);
	const char *bad[] = {"150 Opening BINARY mode", "150 (bytes)", "150 (12 byte)", "150 (1234567890123456789 bytes)",
			     "150 ( 12 bytes)", "150 (12bytes)", "150 (-3 bytes)"};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sz = 7;
		ck_assert_msg(ftp_parse_150_size(bad[i], strlen(bad[i]), &sz) == -1, "accepted '%s'", bad[i]);
		ck_assert_int_eq(sz, 7);
	}
	/* Bounded by len: " bytes)" beyond it does not count. */
	l = "150 (12 bytes)";
	ck_assert_int_eq(ftp_parse_150_size(l, strlen(l) - 1, &sz), -1);
}
END_TEST

/* SIZE's answer on both paths of a get (getpipe.c, sess.c's header callback): "213 -1" is
 * no size (libcurl read it as 1 and cut the download there), a cut line is not half taken. */
START_TEST(size_reply)
{
	const char *l = "213 200000\r\n";
	ck_assert_int_eq(ftp_parse_213_size(l, strlen(l)), 200000);
	ck_assert_int_eq(ftp_parse_213_size("213 10", 6), 10);
	ck_assert_int_eq(ftp_parse_213_size("213  0", 6), 0);
	ck_assert_int_eq(ftp_parse_213_size("213 -1", 6), -1);
	ck_assert_int_eq(ftp_parse_213_size("213 ", 4), -1);
	ck_assert_int_eq(ftp_parse_213_size("213", 3), -1);
	ck_assert_int_eq(ftp_parse_213_size("213 size unknown", 16), -1);
	ck_assert_int_eq(ftp_parse_213_size("213 1234", 6), 12); /* bounded by len */
	ck_assert_int_eq(ftp_parse_213_size("213 123456789012345678", 22), 123456789012345678LL);
	ck_assert_int_eq(ftp_parse_213_size("213 1234567890123456789", 23), -1); /* 18 digits at most, never cut */
}
END_TEST

START_TEST(passive_replies)
{
	unsigned port = 7;
	const char *l = "229 Entering Extended Passive Mode (|||6446|)";
	ck_assert_int_eq(ftp_parse_epsv(l, strlen(l), &port), 0);
	ck_assert_uint_eq(port, 6446);
	l = "229 ok (!!!65535!)";
	ck_assert_int_eq(ftp_parse_epsv(l, strlen(l), &port), 0);
	ck_assert_uint_eq(port, 65535);
	const char *bade[] = {"229 (|||0|)", "229 (|||65536|)", "229 (|||123456|)", "229 (||6446|)", "229 (|||6446)",
			      "229 (|||6446|", "229 (11164461)", "228 (|||6446|)", "229 (|||x|)", "229 (|||-1|)", "229",
			      "229 (|| |6446|)"};
	for (unsigned i = 0; i < sizeof bade / sizeof bade[0]; i++) {
		port = 7;
		ck_assert_msg(ftp_parse_epsv(bade[i], strlen(bade[i]), &port) == -1, "accepted '%s'", bade[i]);
		ck_assert_uint_eq(port, 7);
	}
	/* Bounded by len: the port's end beyond it does not count. */
	l = "229 (|||6446|)";
	ck_assert_int_eq(ftp_parse_epsv(l, strlen(l) - 1, &port), -1);
	unsigned char h[4] = {9, 9, 9, 9};
	l = "227 Entering Passive Mode (127,0,0,1,19,137).";
	ck_assert_int_eq(ftp_parse_pasv(l, strlen(l), h, &port), 0);
	ck_assert_uint_eq(port, 19 * 256 + 137);
	ck_assert(h[0] == 127 && h[1] == 0 && h[2] == 0 && h[3] == 1);
	l = "227 =10,1,2,3,0,21";
	ck_assert_int_eq(ftp_parse_pasv(l, strlen(l), h, &port), 0);
	ck_assert_uint_eq(port, 21);
	const char *badp[] = {"227 (1,2,3,4,5)", "227 (1,2,3,4,5,256)", "227 (1,2,3,4,0,0)", "227 (1,2,3,4,5,6666)",
			      "227 (1,2,3,,4,5)", "227 no numbers", "226 (1,2,3,4,5,6)", "227 (1.2.3.4,5,6)"};
	for (unsigned i = 0; i < sizeof badp / sizeof badp[0]; i++) {
		h[0] = 9, port = 7;
		ck_assert_msg(ftp_parse_pasv(badp[i], strlen(badp[i]), h, &port) == -1, "accepted '%s'", badp[i]);
		ck_assert(h[0] == 9 && port == 7);
	}
	l = "227 (1,2,3,4,5,6)";
	ck_assert_int_eq(ftp_parse_pasv(l, strlen(l) - 2, h, &port), -1);
}
END_TEST

/* The journal's done-set: a key matches only when both hashes do (review 13: one
 * 64-bit hash alone let a collision skip an undone item). */
START_TEST(journal_set)
{
	struct jset s = {0};
	jset_add(&s, (struct jkey){5, 1});
	ck_assert_int_eq(jset_has(&s, (struct jkey){5, 1}), 1);
	ck_assert_int_eq(jset_has(&s, (struct jkey){5, 2}), 0); /* first hash collides */
	ck_assert_int_eq(jset_has(&s, (struct jkey){6, 1}), 0);
	jset_add(&s, (struct jkey){5, 2});
	jset_add(&s, (struct jkey){5, 2});
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(jset_has(&s, (struct jkey){5, 2}), 1);
	char k[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof k, "get\tf%d\tout/f%d", i, i);
		jset_add(&s, jset_key(k));
	}
	ck_assert_uint_eq(s.n, 5002);
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof k, "get\tf%d\tout/f%d", i, i);
		ck_assert_int_eq(jset_has(&s, jset_key(k)), 1);
		snprintf(k, sizeof k, "get\tf%d\tout/g%d", i, i);
		ck_assert_int_eq(jset_has(&s, jset_key(k)), 0);
	}
	struct jkey x = jset_key("get\ta\tb"), y = jset_key("get\ta\tc");
	ck_assert(x.a != y.a && x.b != y.b && x.a != x.b);
	jset_free(&s);
}
END_TEST

START_TEST(journal_lines)
{
	struct jline j;
	const char *d = "done\tget\tdata/a\tout/a";
	ck_assert_int_eq(ftp_jline_parse(d, strlen(d), &j), JL_DONE);
	ck_assert_uint_eq(j.keylen, strlen("get\tdata/a\tout/a"));
	ck_assert(!memcmp(j.key, "get\tdata/a\tout/a", j.keylen));
	const char *f = "failed\tcopy\ts\tt\tx\t550 No such file";
	ck_assert_int_eq(ftp_jline_parse(f, strlen(f), &j), JL_FAILED);
	ck_assert(j.keylen == strlen("copy\ts\tt\tx") && !memcmp(j.key, "copy\ts\tt\tx", j.keylen));
	ck_assert(j.reasonlen == 16 && !memcmp(j.reason, "550 No such file", 16));
	const char *r = "run\tget\tdata\tout";
	ck_assert_int_eq(ftp_jline_parse(r, strlen(r), &j), JL_RUN);
	ck_assert(j.runlen == 12 && !memcmp(j.run, "get\tdata\tout", 12));
	const char *si = "site\t127.0.0.1:2121\t[::1]:21";
	ck_assert_int_eq(ftp_jline_parse(si, strlen(si), &j), JL_SITE);
	ck_assert(j.runlen == 23 && !memcmp(j.run, "127.0.0.1:2121\t[::1]:21", 23));
	ck_assert_int_eq(ftp_jline_parse("site\t", 5, &j), JL_BAD);
	ck_assert_int_eq(ftp_jline_parse("site\ta\tb\tc", 11, &j), JL_BAD);
	const char *op = "opts\t--move --shard 1/2";
	ck_assert_int_eq(ftp_jline_parse(op, strlen(op), &j), JL_OPTS);
	ck_assert(j.runlen == 18 && !memcmp(j.run, "--move --shard 1/2", 18));
	ck_assert_int_eq(ftp_jline_parse("opts\t", 5, &j), JL_OPTS); /* none: a plain run */
	ck_assert_uint_eq(j.runlen, 0);
	ck_assert_int_eq(ftp_jline_parse("opts\ta\tb", 8, &j), JL_BAD);
	/* wrong field counts, unknown kinds, cut or foreign lines */
	const char *bad[] = {"done\tget\ta", "done\tfetch\ta\tb", "done\t\ta\tb", "failed\tget\ta\tb",
			     "run\tget\ta", "run\tget\ta\tb\tc", "failed\tx\ta\tb\tc"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_int_eq(ftp_jline_parse(bad[i], strlen(bad[i]), &j), JL_BAD);
	ck_assert_int_eq(ftp_jline_parse("done", 4, &j), JL_OTHER);
	ck_assert_int_eq(ftp_jline_parse("", 0, &j), JL_OTHER);
	ck_assert_int_eq(ftp_jline_parse("next\tget\ta\tb", 14, &j), JL_OTHER);
	/* a whole journal: the last line without LF (cut by a crash) means nothing */
	struct jsummary js = {0};
	const char *text = "run\tget\td\to\nsite\th:21\ndone\tget\td/a\to/a\nfailed\tget\td/b\to/b\twhy\n"
			   "run\tget\td\tp\nsite\th:2121\nbogus\nfailed\tget\td/c\n" "done\tget\td/c\to/c";
	ftp_journal_feed(text, strlen(text), &js);
	ck_assert_str_eq(js.run, "get\td\to");
	ck_assert_int_eq(js.runs_differ, 1);
	ck_assert_str_eq(js.site, "h:21");
	ck_assert_int_eq(js.sites_differ, 1);
	ck_assert_uint_eq(js.lines, 8);
	ck_assert_uint_eq(js.bad, 1);
	ck_assert_uint_eq(js.cut, 1);
	ck_assert_int_eq(jset_has(&js.done, jset_key("get\td/a\to/a")), 1);
	ck_assert_int_eq(jset_has(&js.done, jset_key("get\td/c\to/c")), 0);
	ck_assert_int_eq(jset_has(&js.failed, jset_key("get\td/b\to/b")), 1);
	ftp_jsummary_free(&js);
}
END_TEST

/* A temporary file holding n bytes of p; its path in path (64 bytes). */
static int tmp_with(char *path, const char *p, size_t n)
{
	strcpy(path, "/tmp/check_ftp.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* The block line reader: lines across its 1 MiB blocks, one of LREAD_LINE_MAX bytes (the
 * most), empty lines, and a last line without LF (cut). */
START_TEST(journal_lread)
{
	size_t big = LREAD_LINE_MAX, n = 0;
	char *text = malloc(big + 64);
	n += (size_t)sprintf(text, "a\n\nbb\r\n");
	memset(text + n, 'x', big);
	n += big;
	n += (size_t)sprintf(text + n, "\nlast");
	char path[64];
	int fd = tmp_with(path, text, n);
	struct lread r;
	lread_init(&r, fd);
	const char *l;
	size_t len;
	ck_assert_int_eq(lread_line(&r, &l, &len), 1);
	ck_assert(len == 1 && l[0] == 'a' && !r.cut);
	ck_assert_int_eq(lread_line(&r, &l, &len), 1);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(lread_line(&r, &l, &len), 1);
	ck_assert(len == 3 && !memcmp(l, "bb\r", 3));
	ck_assert_int_eq(lread_line(&r, &l, &len), 1);
	ck_assert_uint_eq(len, big);
	ck_assert(l[0] == 'x' && l[big - 1] == 'x' && !r.cut);
	ck_assert_int_eq(lread_line(&r, &l, &len), 1);
	ck_assert(len == 4 && !memcmp(l, "last", 4) && r.cut);
	ck_assert_int_eq(lread_line(&r, &l, &len), 0);
	lread_free(&r);
	close(fd);
	/* 200,000 short lines: every one comes back, in order, across the block ends */
	n = 0;
	char *many = malloc(200000 * 12);
	for (int i = 0; i < 200000; i++)
		n += (size_t)sprintf(many + n, "l%d\n", i);
	fd = tmp_with(path + 0, many, n);
	unlink(path);
	lread_init(&r, fd);
	int i = 0, wrong = 0;
	char want[16];
	while (lread_line(&r, &l, &len) > 0) {
		wrong += len != (size_t)sprintf(want, "l%d", i) || memcmp(l, want, len) || r.cut;
		i++;
	}
	ck_assert_int_eq(i, 200000);
	ck_assert_int_eq(wrong, 0);
	lread_free(&r);
	close(fd);
	free(many);
	/* A line one byte over the bound (after a good line): -1, toolong, the line's number
	 * known, and no buffer past one block (it grew without end on /dev/zero). */
	n = (size_t)sprintf(text, "ok\n");
	memset(text + n, 'y', (size_t)LREAD_LINE_MAX + 1);
	n += (size_t)LREAD_LINE_MAX + 1;
	text[n++] = '\n';
	fd = tmp_with(path, text, n);
	unlink(path);
	lread_init(&r, fd);
	ck_assert_int_eq(lread_line(&r, &l, &len), 1);
	ck_assert_int_eq(lread_line(&r, &l, &len), -1);
	ck_assert(r.toolong && r.lineno == 1 && r.cap <= (size_t)LREAD_LINE_MAX + 1);
	lread_free(&r);
	close(fd);
	free(text);
}
END_TEST

/* The engine's journal: done lines into a set sized once, a cut last line not done (and
 * ended with LF), the tag line read back; an item looked up as its key. */
START_TEST(journal_open_load)
{
	char path[64];
	const char *text = "run\tget\td\to\ntag\tnettool-0123456789abcdef\ndone\tget\td/a\to/a\n"
			   "failed\tget\td/b\to/b\twhy\ntag\tnettool-ffffffffffffffff\ndone\tget\td/c\to/c";
	int fd = tmp_with(path, text, strlen(text));
	close(fd);
	struct jset done = {0};
	int jfd = ftp_journal_open(path, &done, NULL);
	ck_assert_int_ge(jfd, 0);
	ck_assert_uint_eq(done.n, 1);
	ck_assert_str_eq(ftp_dur_tag(), "nettool-0123456789abcdef");
	struct job j = {.kind = JOB_GET, .src = "d/a", .dst = "o/a"};
	ck_assert_int_eq(ftp_journal_has(&done, &j), 1);
	struct jkey k1 = ftp_job_jkey(&j), k2;
	char *key = ftp_job_key(&j);
	k2 = jset_key(key);
	free(key);
	ck_assert(k1.a == k2.a && k1.b == k2.b);
	j.src = "d/c", j.dst = "o/c";
	ck_assert_int_eq(ftp_journal_has(&done, &j), 0); /* cut by a crash */
	j.src = "d/b", j.dst = "o/b";
	ck_assert_int_eq(ftp_journal_has(&done, &j), 0); /* failed */
	char end;
	ck_assert_int_eq(pread(jfd, &end, 1, (off_t)strlen(text)), 1);
	ck_assert_int_eq(end, '\n');
	close(jfd);
	jset_free(&done);
	/* 3,000 done lines: one table of 1.5 slots an item, never grown */
	fd = open(path, O_WRONLY | O_TRUNC);
	char line[64];
	for (int i = 0; i < 3000; i++)
		ck_assert_int_gt(write(fd, line, (size_t)sprintf(line, "done\tput\tl/%d\tr/%d\n", i, i)), 0);
	close(fd);
	jfd = ftp_journal_open(path, &done, NULL);
	ck_assert_uint_eq(done.n, 3000);
	ck_assert_uint_eq(done.cap, 4501);
	j.kind = JOB_PUT;
	for (int i = 0; i < 3000; i++) {
		char s[16], d[16];
		sprintf(s, "l/%d", i), sprintf(d, "r/%d", i);
		j.src = s, j.dst = d;
		ck_assert_int_eq(ftp_journal_has(&done, &j), 1);
		sprintf(d, "r/%d", i + 3000);
		ck_assert_int_eq(ftp_journal_has(&done, &j), 0);
	}
	/* no tag line: a fresh one of 16 random hex digits, not the path's */
	ck_assert_int_eq(ftp_dur_tag_ok(ftp_dur_tag(), strlen(ftp_dur_tag())), 1);
	ck_assert_str_ne(ftp_dur_tag(), "nettool-0123456789abcdef");
	close(jfd);
	jset_free(&done);
	unlink(path);
	ck_assert_int_eq(ftp_dur_tag_ok("nettool-0123456789abcdeF", 24), 0);
	ck_assert_int_eq(ftp_dur_tag_ok("nettool-0123456789abcde", 23), 0);
	ck_assert_int_eq(ftp_dur_tag_ok("netwool-0123456789abcdef", 24), 0);
}
END_TEST

/* The remote temporary of a put or copy: ".NAME.TAG.part"; a NAME over 200 bytes cut, and
 * the cut part stood for by a hash: two long names sharing their first 200 bytes
 * (--parallel) never share a temporary; the same name always gets the same one. */
START_TEST(remote_tmp_names)
{
	char a[260], b[260];
	memset(a, 'x', 250), memset(b, 'x', 250);
	a[250] = b[250] = 0;
	a[240] = 'A', b[240] = 'B';
	char *pa = xasprintf("d/%s", a), *pb = xasprintf("d/%s", b);
	char *ta = ftp_dur_remote_tmp(pa), *tb = ftp_dur_remote_tmp(pb), *ta2 = ftp_dur_remote_tmp(pa);
	ck_assert_str_ne(ta, tb);
	ck_assert_str_eq(ta, ta2);
	ck_assert_int_eq(strncmp(ta, "d/.xxx", 6), 0);
	ck_assert_uint_lt(strlen(ta), 2 + 1 + 200 + 1 + 24 + 5 + 1);
	char *ts = ftp_dur_remote_tmp("d/short.bin");
	char want[64];
	snprintf(want, sizeof want, "d/.short.bin.%s.part", ftp_dur_tag());
	ck_assert_str_eq(ts, want);
	free(pa), free(pb), free(ta), free(tb), free(ta2), free(ts);
}
END_TEST

/* A list line's one spelling (the run and ftp status alike): "./" and "//" out. */
START_TEST(list_line_norm)
{
	const char *v[][2] = {{"./d/b1.bin", "d/b1.bin"}, {"d//b", "d/b"}, {"a/./b", "a/b"}, {"././x", "x"},
			      {".//a///b/.", "a/b"}, {"long/", "long/"}, {"a//", "a/"}, {"../up", "../up"},
			      {"a/../b", "a/../b"}, {"/abs/./x", "/abs/x"}, {"//abs", "//abs"}, {".", "."},
			      {"./", "./"}, {"plain", "plain"}, {".hidden/./f", ".hidden/f"}};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		char b[64];
		snprintf(b, sizeof b, "%s", v[i][0]);
		size_t n = ftp_list_line_norm(b, strlen(b));
		ck_assert_str_eq(b, v[i][1]);
		ck_assert_uint_eq(n, strlen(v[i][1]));
	}
}
END_TEST

/* --from-file: the names are lent from buffers reused line after line. */
START_TEST(list_source)
{
	char path[64];
	const char *text = "a/x\r\n\n/abs\n../up\nlong/";
	int fd = tmp_with(path, text, strlen(text));
	close(fd);
	struct jobsrc *src = jobsrc_lines(path, JOB_GET, "srv", "out");
	ck_assert_int_eq(src->borrowed, 1);
	struct job j;
	const char *want[][2] = {{"srv/a/x", "out/a/x"}, {"/abs", "out/abs"}, {"srv/../up", "out/../up"},
				 {"srv/long/", "out/long/"}};
	for (int i = 0; i < 4; i++) {
		memset(&j, 0, sizeof j);
		ck_assert_int_eq(src->next(src, &j), 1);
		ck_assert_str_eq(j.src, want[i][0]);
		ck_assert_str_eq(j.dst, want[i][1]);
		/* "/abs" leaves the base folder: refused like "../up" (a line is a path under it). */
		ck_assert(!j.reject == (i == 0));
		if (i == 1)
			ck_assert(strstr(j.reject, "absolute") != NULL);
	}
	ck_assert_int_eq(src->next(src, &j), 0);
	ck_assert_str_eq(src->run, "get\tsrv\tout");
	src->release(src);
	unlink(path);
}
END_TEST

START_TEST(dur_names)
{
	ck_assert_int_eq(ftp_dur_is_ours(".f.txt.nettool-0badcafe-AbC123", "nettool-0badcafe"), 1);
	ck_assert_int_eq(ftp_dur_is_ours(".f.txt.nettool-0badcafe-AbC12", "nettool-0badcafe"), 0);
	ck_assert_int_eq(ftp_dur_is_ours(".f.txt.nettool-0badcafd-AbC123", "nettool-0badcafe"), 0);
	ck_assert_int_eq(ftp_dur_is_ours("f.txt.nettool-0badcafe-AbC123", "nettool-0badcafe"), 0);
	ck_assert_int_eq(ftp_dur_is_ours(".f.txt.nettool-0badcafe-AbC/23", "nettool-0badcafe"), 0);
	ck_assert_int_eq(ftp_dur_is_ours(".f.txt.AbC123", "nettool-0badcafe"), 0);
	ck_assert_int_eq(ftp_dur_is_ours(".nettool-0badcafe-AbC123", "nettool-0badcafe"), 0);
}
END_TEST

/* The shell's line splitter: classic ftp quoting. */
static int split(const char *line, char **argv, char *buf, size_t bufn, const char **err)
{
	return ftp_sh_split(line, strlen(line), buf, bufn, argv, 8, err);
}

START_TEST(shell_split)
{
	char buf[256], *argv[8];
	const char *err;
	ck_assert_int_eq(split("", argv, buf, sizeof buf, &err), 0);
	ck_assert_int_eq(split(" \t ", argv, buf, sizeof buf, &err), 0);
	ck_assert_int_eq(split("get  a.txt\tb.txt ", argv, buf, sizeof buf, &err), 3);
	ck_assert_str_eq(argv[0], "get");
	ck_assert_str_eq(argv[1], "a.txt");
	ck_assert_str_eq(argv[2], "b.txt");
	ck_assert_int_eq(split("put \"my file.txt\" x\\ y", argv, buf, sizeof buf, &err), 3);
	ck_assert_str_eq(argv[1], "my file.txt");
	ck_assert_str_eq(argv[2], "x y");
	ck_assert_int_eq(split("a\"b c\"d \"\" \"q\\\"q\"", argv, buf, sizeof buf, &err), 3);
	ck_assert_str_eq(argv[0], "ab cd");
	ck_assert_str_eq(argv[1], "");
	ck_assert_str_eq(argv[2], "q\"q");
}
END_TEST

START_TEST(shell_split_bad)
{
	char buf[256], *argv[8];
	const char *err;
	const char *bad[] = {"get \"open", "get a\\", "quote NOOP\rDELE x", "get \x1b[2J", "a b c d e f g h i",
			     "quote \\\r"};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = NULL;
		ck_assert_msg(split(bad[i], argv, buf, sizeof buf, &err) == -1 && err, "accepted '%s'", bad[i]);
	}
	/* A NUL inside the line is a control character too. */
	ck_assert_int_eq(ftp_sh_split("get a\0b", 7, buf, sizeof buf, argv, 8, &err), -1);
	/* Too long: refused whole, never cut. */
	static char big[FTP_SH_LINE_MAX + 2], bbuf[FTP_SH_LINE_MAX + 3];
	memset(big, 'a', sizeof big - 1);
	ck_assert_int_eq(ftp_sh_split(big, FTP_SH_LINE_MAX + 1, bbuf, sizeof bbuf, argv, 8, &err), -1);
	ck_assert_int_eq(ftp_sh_split(big, FTP_SH_LINE_MAX, bbuf, sizeof bbuf, argv, 8, &err), 1);
	/* A buffer shorter than the line: refused, nothing written past it. */
	ck_assert_int_eq(ftp_sh_split("get a", 5, buf, 5, argv, 8, &err), -1);
	/* The worst case fits in len + 1: one-letter words. */
	char exact[8];
	ck_assert_int_eq(ftp_sh_split("a b c d", 7, exact, sizeof exact, argv, 8, &err), 4);
	ck_assert_str_eq(argv[3], "d");
}
END_TEST

Suite *suite_ftp(void)
{
	Suite *s = suite_create("ftp");
	TCase *t = tcase_create("parsers");
	tcase_add_test(t, mlsd_file);
	tcase_add_test(t, mlsd_bad);
	tcase_add_test(t, list_unix);
	tcase_add_test(t, list_dos);
	tcase_add_test(t, list_bad_and_hostile);
	tcase_add_test(t, replies);
	tcase_add_test(t, feat);
	tcase_add_test(t, pwd);
	tcase_add_test(t, passive_replies);
	tcase_add_test(t, announced_size);
	tcase_add_test(t, size_reply);
	tcase_add_test(t, journal_set);
	tcase_add_test(t, journal_lines);
	tcase_add_test(t, dur_names);
	tcase_add_test(t, shell_split);
	tcase_add_test(t, shell_split_bad);
	tcase_add_test(t, list_line_norm);
	suite_add_tcase(s, t);
	/* files of a few MiB: room for a loaded machine */
	TCase *jt = tcase_create("journal");
	tcase_set_timeout(jt, 60);
	tcase_add_test(jt, journal_lread);
	tcase_add_test(jt, journal_open_load);
	tcase_add_test(jt, remote_tmp_names);
	tcase_add_test(jt, list_source);
	suite_add_tcase(s, jt);
	return s;
}
