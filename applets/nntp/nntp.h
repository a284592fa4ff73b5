/* SPDX-License-Identifier: MIT */
/* nntp.h - shared state of the nntp applet's command files (main.c, fetch.c, interactive.c). */
#ifndef NT_NNTP_H
#define NT_NNTP_H

#include <stdio.h>
#include "conn.h"
#include "file.h"
#include "progress.h"

struct nntp_cli {
	struct nntp_opts o;
	int json;
	long long last;         /* --last N (0: not given) */
	const char *outdir;     /* fetch -O DIR */
	const char *mbox;       /* fetch --mbox FILE */
	const char *output;     /* article/head/body -o FILE */
	const char *state;      /* fetch --state FILE */
	int window;             /* commands in flight for fetch */
	enum progress_mode progress;
};

extern struct nntp_cli nntp_cf;
/* The file being written, removed at exit when the run dies before committing it. */
extern struct afile *nntp_partial;

/* The range of a group to work on: an explicit RANGE, --last N, or first..last. */
void nntp_range(const char *arg, long long first, long long last, long long *lo, long long *hi);

/* fetch.c: read the high-water mark file f (lines "SERVER GROUP NUMBER"): the number of
 * the last line for server and group, 0 when none. With rest, the other lines are copied
 * there (what a rewrite keeps). */
struct buf;
long long nntp_mark_read(FILE *f, const char *server, const char *group, struct buf *rest);

int nntp_cmd_fetch(struct nntp *c, int argc, char **argv);
int nntp_cmd_read(struct nntp *c, int argc, char **argv);
int nntp_cmd_shell(struct nntp *c, int argc, char **argv);
/* verbs.c */
int nntp_cmd_date(struct nntp *c, int argc, char **argv);
int nntp_cmd_newgroups(struct nntp *c, int argc, char **argv);
int nntp_cmd_newnews(struct nntp *c, int argc, char **argv);
int nntp_cmd_descriptions(struct nntp *c, int argc, char **argv);
int nntp_cmd_ihave(struct nntp *c, int argc, char **argv);
int nntp_cmd_xpat(struct nntp *c, int argc, char **argv);

/* The lines of a LIST block as text or JSON: kind 'a' (active: group last first status),
 * 'n' (newsgroups: group description), 'o' (overview.fmt). */
void nntp_print_list(struct nntp *c, int kind);
/* The whole article in FILE (stdin when NULL or "-"), bounded by NNTP_MAX_ARTICLE. */
char *nntp_read_article(const char *path, size_t *len);
/* After 340 (POST) or 335 (IHAVE): extra header lines, then the article, dot-stuffed. */
void nntp_send_article(struct nntp *c, const char *extra, const char *art, size_t len);

/* Print a multi-line block's lines to f, LF-terminated: exact bytes, or with safe set made
 * safe for a terminal (out.h: control characters shown as '?', TAB kept). */
void nntp_print_block(struct nntp *c, FILE *f, int safe);
/* HDR (or XHDR) header lo-hi: sends it and reads the status; 1 when a block follows. */
int nntp_send_hdr(struct nntp *c, const char *header, long long lo, long long hi);
/* The same, but -1 (nothing to read) when the server refuses both HDR and XHDR. */
int nntp_try_hdr(struct nntp *c, const char *header, long long lo, long long hi);

#endif
