/* SPDX-License-Identifier: MIT */
/* parse.h - bounded parsers for what an FTP server sends: reply lines (RFC 959
 * multi-line replies), FEAT lists, MLSD facts (RFC 3659) and LIST lines (Unix ls -l
 * and DOS/IIS formats). Pure functions: unit-tested (tests/unit/check_ftp.c) and
 * fuzzed (tests/fuzz/fuzz_ftp_*.c). Names are returned raw: checking them is the
 * caller's job (file_safe_name). */
#ifndef FTP_PARSE_H
#define FTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define FTP_NAME_MAX 1024
#define FTP_LINE_MAX 8192

/* FTP_T_DEV: a character or block device (MLSD type=OS.unix=chr-M/N or blk-M/N, LIST c or b). */
enum ftp_etype { FTP_T_UNKNOWN = 0, FTP_T_FILE, FTP_T_DIR, FTP_T_LINK, FTP_T_CDIR, FTP_T_PDIR, FTP_T_DEV };

struct ftp_entry {
	enum ftp_etype type;
	int64_t size;          /* -1: unknown */
	int64_t mtime;         /* seconds since the epoch, UTC; -1: unknown */
	int mtime_prec;        /* 1 (MLSD), 60 (LIST with a time), 86400 (LIST with a year) */
	char perm[16];         /* "rwxr-xr-x" (LIST) or MLSD perm fact; may be empty */
	char name[FTP_NAME_MAX + 1];
	size_t namelen;        /* may hold NUL bytes: use namelen */
	uint64_t uniq;         /* FNV-1a of the MLSD unique fact (RFC 3659 7.5.2), never 0; 0: none */
};

/* One line of an MLSD reply ("fact=val;fact=val; name"), without CRLF.
 * 0 on success, -1 when malformed or longer than FTP_LINE_MAX (a cut line). */
int ftp_parse_mlsd(const char *line, size_t len, struct ftp_entry *e);

/* One line of a LIST reply (Unix or DOS form), without CRLF. now: for Unix dates
 * without a year. 0 on success, 1 for a line to skip ("total 12"), -1 unparsable
 * or longer than FTP_LINE_MAX (a cut line). */
int ftp_parse_list(const char *line, size_t len, time_t now, struct ftp_entry *e);

/* The type name used in --json ("file", "dir", "link", "device", "unknown"). */
const char *ftp_etype_name(enum ftp_etype t);

/* Reply assembly: feed lines (without CRLF) one by one. */
struct ftp_reply {
	int code;          /* code of the completed (or current) reply */
	int multi;         /* inside a multi-line reply */
	int lines;
	char text[512];    /* the text of the last line, cut at control characters */
};
/* 1 when the line completes a reply (r->code set), 0 when more lines follow,
 * -1 when the line is not a valid reply line. */
int ftp_reply_feed(struct ftp_reply *r, const char *line, size_t len);

/* One server line as libcurl's header callback passes it (CR/LF included): when it is
 * a reply line ("DDD text", "DDD-text" or "DDD"; three digits, the first 1-5), set
 * *code and last (the whole line cleaned of control characters, cut to lastn) and
 * return 1; else 0 and nothing is changed. What the applet keeps of every reply. */
int ftp_reply_line(const char *data, size_t len, int *code, char *last, size_t lastn);

/* 1 when a FEAT reply body (all lines of it, separated by LF or CRLF) lists the
 * feature word (e.g. "MLST"), else 0. Bounded by len. */
int ftp_feat_has(const char *text, size_t len, const char *feature);

/* The folder of a 257 reply ('257 "/a ""b"" c" is the current directory' gives
 * /a "b" c). 0, or -1 when the line is not such a reply or the name does not fit;
 * out is written only on success, so a refused line never leaves part of itself. */
int ftp_parse_pwd(const char *line, size_t len, char *out, size_t n);

/* The data port of a 229 reply to EPSV ("229 Entering Extended Passive Mode (|||6446|)",
 * RFC 2428: any delimiter, the same three times before the port and once after it): 0 and
 * *port (1-65535), or -1. Bounded by len; the line as the reply reader gives it. */
int ftp_parse_epsv(const char *line, size_t len, unsigned *port);
/* The size a 1xx reply to RETR announces: "150 ... (N bytes)" (vsftpd, ProFTPD, pyftpdlib;
 * line: the reply's line or its text, the caller checks the code). 0 and *size set (at most 18 digits), or -1 (none: *size untouched). Bounded by len. */
int ftp_parse_150_size(const char *line, size_t len, long long *size);
/* The size a 213 reply to SIZE gives ("213 N", line: the reply's line, the caller checks the
 * code): N (at most 18 digits, spaces before them skipped), or -1 (none: "213 -1", no digits,
 * more digits).
 * Both paths of a get take SIZE's answer through it. Bounded by len. */
long long ftp_parse_213_size(const char *line, size_t len);
/* The address and port of a 227 reply to PASV ("227 Entering Passive Mode
 * (h1,h2,h3,h4,p1,p2)", the six numbers after the first digit past the code, each 0-255):
 * 0, host and *port (1-65535), or -1. The caller decides whether to trust host (we never
 * do: the control connection's address is used, as curl does by default). */
int ftp_parse_pasv(const char *line, size_t len, unsigned char host[4], unsigned *port);

/* Split the next line of a listing buffer: returns the line length without CR/LF
 * and sets *adv to the bytes consumed; 0 with *adv 0 at the end. A line longer than
 * FTP_LINE_MAX is returned as FTP_LINE_MAX + 1 bytes (the rest is consumed): the cut
 * shows, and the entry parsers refuse such a line as malformed. */
size_t ftp_next_line(const char *p, size_t n, size_t *adv);

/* A --from-file line made the one spelling of its item, in place (the run and ftp status
 * read lists through it, tree.c's jobsrc_lines): after any leading '/' (kept: such a line
 * is refused, or put's local path), "." parts and repeated '/' are taken out ("./d//b"
 * and "d/./b" are "d/b", as find . -type f writes them); ".." is kept (refused later, never
 * resolved), and so is a last '/'. A line that would be left empty ("." or "./") is kept
 * as it is. Returns the new length. */
size_t ftp_list_line_norm(char *line, size_t n);

#endif
