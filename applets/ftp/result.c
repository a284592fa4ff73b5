/* SPDX-License-Identifier: MIT */
/* result.c - the one place a finished item of the ftp applet is reported: under --json
 * one NDJSON object per file or folder (command, source, destination, status done,
 * failed or skipped, bytes, seconds, reason), from the batch engine and from the single
 * commands alike; and the sources `get --move` deletes once the batch is durable.
 *
 * Header: applets/ftp/ftp.h    Man page: man/nettool-ftp.1
 * Tests: tests/integration/ftp_shell.sh, tests/integration/ftp.sh
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ftp.h"
#include "json.h"
#include "nt_err.h"
#include "out.h"

static const char *const status_name[] = {"done", "failed", "skipped"};

static int collecting;
static char **moved;
static size_t nmoved, capmoved;

void ftp_result(const char *cmd, const char *src, const char *dst, enum ftp_rstatus st, long long bytes,
		double seconds, const char *reason)
{
	if (collecting && src && !strcmp(cmd, "get") &&
	    (st == FTP_R_DONE || (st == FTP_R_SKIPPED && reason && !strcmp(reason, FTP_REASON_JOURNAL)))) {
		/* done now, or done before (the journal says so: durable then); never a file
		 * skipped for another reason (--only-newer: a local copy nobody made durable).
		 * Done before and gone since (deleted, moved away here): the source is kept. */
		struct stat st_;
		if (st == FTP_R_SKIPPED && dst && (lstat(dst, &st_) < 0 || !S_ISREG(st_.st_mode))) {
			char a[300], b[300];
			out_clean(a, sizeof a, src, strlen(src), 0);
			out_clean(b, sizeof b, dst, strlen(dst), 0);
			nt_warn("get --move: %s kept on the server: its local copy %s, done by an earlier run of the journal, is not there any more",
				a, b);
		} else {
			if (nmoved == capmoved) {
				capmoved = capmoved ? capmoved * 2 : 64;
				moved = xrealloc(moved, capmoved * sizeof *moved);
			}
			moved[nmoved++] = xstrdup(src);
		}
	}
	if (!ftp_cf.json)
		return;
	json_begin(stdout);
	json_kv_str(stdout, "command", cmd);
	json_kv_str(stdout, "source", src);
	json_kv_str(stdout, "destination", dst);
	json_kv_str(stdout, "status", status_name[st]);
	if (bytes >= 0)
		json_kv_int(stdout, "bytes", bytes);
	else
		json_kv_str(stdout, "bytes", NULL);
	if (seconds >= 0)
		json_kv_num(stdout, "seconds", seconds, 3);
	else
		json_kv_str(stdout, "seconds", NULL);
	json_kv_str(stdout, "reason", reason);
	json_end(stdout);
	fflush(stdout); /* a reader of the pipe sees each file as it ends */
}

void ftp_moves_collect(int on)
{
	collecting = on;
}

void ftp_moves_forget(const char *src)
{
	for (size_t i = nmoved; i-- > 0;)
		if (!strcmp(moved[i], src)) {
			free(moved[i]);
			memmove(moved + i, moved + i + 1, (--nmoved - i) * sizeof *moved);
			return;
		}
}

size_t ftp_moves_take(char ***out)
{
	size_t n = nmoved;
	*out = moved;
	moved = NULL;
	nmoved = capmoved = 0;
	return n;
}
