/* SPDX-License-Identifier: MIT */
/* shparse.h - the command lines of `ftp shell`, split as the classic BSD ftp client
 * splits them: words separated by blanks (space, tab); "double quotes" group a word
 * with blanks; a backslash takes the next character as it is (inside quotes too).
 * Pure and bounded: unit-tested (tests/unit/check_ftp.c), fuzzed
 * (tests/fuzz/fuzz_ftp_shell.c). */
#ifndef FTP_SHPARSE_H
#define FTP_SHPARSE_H

#include <stddef.h>

#define FTP_SH_LINE_MAX 4096   /* a longer line is refused, never cut */
#define FTP_SH_MAXARGS 256

/* Split len bytes of line (no newline) into at most maxargs words. The words are
 * written NUL-terminated into buf (bufn >= len + 1 bytes suffice: a word never grows)
 * and pointed to from argv. Returns the count (0: an empty or blank line), or -1 with
 * *err set: a line over FTP_SH_LINE_MAX bytes, a control character (CR, NUL, ESC...; a
 * TAB is a blank), a quote left open, a backslash at the end, too many words, or a
 * buffer too small. */
int ftp_sh_split(const char *line, size_t len, char *buf, size_t bufn, char **argv, int maxargs, const char **err);

#endif
