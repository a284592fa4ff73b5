/* SPDX-License-Identifier: MIT */
/* shparse.c - the line splitter of `ftp shell` (classic ftp quoting: blanks, "double
 * quotes", backslash). Every loop is bounded by len; nothing is written past bufn.
 *
 * Header: applets/ftp/shparse.h
 * Tests: tests/unit/check_ftp.c, tests/fuzz/fuzz_ftp_shell.c, tests/integration/ftp_shell.sh
 */
#include "shparse.h"

int ftp_sh_split(const char *line, size_t len, char *buf, size_t bufn, char **argv, int maxargs, const char **err)
{
	*err = NULL;
	if (len > FTP_SH_LINE_MAX) {
		*err = "line too long";
		return -1;
	}
	if (bufn < len + 1 || maxargs < 1) {
		*err = "no room for the words";
		return -1;
	}
	int argc = 0;
	size_t o = 0, i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)line[i];
		if (c == ' ' || c == '\t') {
			i++;
			continue;
		}
		/* A word starts here. */
		if (argc == maxargs) {
			*err = "too many words";
			return -1;
		}
		argv[argc++] = buf + o;
		int quoted = 0;
		for (; i < len; i++) {
			c = (unsigned char)line[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				*err = "control character in the line";
				return -1;
			}
			if (!quoted && (c == ' ' || c == '\t'))
				break;
			if (c == '"') {
				quoted = !quoted;
				continue;
			}
			if (c == '\\') {
				if (i + 1 >= len) {
					*err = "a backslash ends the line";
					return -1;
				}
				c = (unsigned char)line[++i];
				if ((c < 0x20 && c != '\t') || c == 0x7f) {
					*err = "control character in the line";
					return -1;
				}
			}
			buf[o++] = (char)c; /* o <= i < len < bufn: a word never grows */
		}
		if (quoted) {
			*err = "a quote is not closed";
			return -1;
		}
		buf[o++] = 0;
	}
	return argc;
}
