/* SPDX-License-Identifier: MIT */
/* journal.h - the batch engine's --journal (format: jread.h): opened, its done items
 * loaded into a set sized once, an item looked up without allocating; and the line
 * reader in large blocks that the journal readers and --from-file share.
 * Unit-tested in tests/unit/check_ftp.c. */
#ifndef FTP_JOURNAL_H
#define FTP_JOURNAL_H

#include <stddef.h>

#include "jset.h"

struct job;

/* Lines of a file descriptor, read 1 MiB at a time, each at most LREAD_LINE_MAX bytes
 * (core's line_find with that bound): the buffer never grows past one block, whatever
 * the file holds (/dev/zero, a file of another kind). */
#define LREAD_LINE_MAX ((1u << 20) - 1)
struct lread {
	int fd;
	char *buf;
	size_t cap, beg, end;
	int eof;
	int cut;              /* the line just returned had no LF: the file ended inside it */
	int toolong;          /* lread_line's -1: line lineno + 1 is longer than LREAD_LINE_MAX */
	unsigned long lineno; /* lines returned so far */
};
void lread_init(struct lread *r, int fd);
/* The next line without its LF: 1 (*line, *len valid until the next call; r->cut set
 * for a last line without LF), 0 at the end, -1 on a read error (errno) or a line over
 * LREAD_LINE_MAX (r->toolong; errno EOVERFLOW). */
int lread_line(struct lread *r, const char **line, size_t *len);
void lread_free(struct lread *r);

/* The job a run is: its run line (KIND\tBASE\tOTHER, or KIND alone before the folders
 * are known; NULL: not checked), its servers (the site line's value) and its options
 * (the opts line's value: --move, --shard K/N, or empty); tree: a run over one tree, so a
 * journal whose run lines are all of other folders is of another tree. ftp_jwant_init
 * fills one from this run's settings; ftp_jwant_free frees it. */
struct jwant {
	char *run;
	char *site;
	char *opts;
	int tree;
	int named; /* set by the caller: items named on the command line (below) */
};
struct ftp_site;
void ftp_jwant_init(struct jwant *w, const char *run, const char *site_a, const char *site_b, int tree);
void ftp_jwant_free(struct jwant *w);
/* The lines a run writes before its first item: "run\t...\nsite\t...\nopts\t...\n". */
char *ftp_jwant_lines(const struct jwant *w);
/* Before anything connects or is made: the journal of --journal (if given and there yet)
 * of another job than ftp_jwant_init's (run, a, b, tree) refused (exit 2); nothing kept,
 * nothing written. */
void ftp_journal_check(const char *run, const struct ftp_site *a, const struct ftp_site *b, int tree);
/* The same before any login (ftp_target logs in): the command (kind) and the servers of
 * the command line's targets ta and tb (NULL: none), as cli_remote will read them. */
void ftp_journal_check_targets(const char *kind, const char *ta, const char *tb);
/* Open (or create) the journal at path: its done items into *done (sized once for them),
 * a last line cut by a crash ended with LF, the temporaries' tag set up (durable.c: the
 * journal's tag line; a fresh tag for a journal without one). A journal whose run, site
 * or opts lines are of another job than w (NULL: none checked) is refused (exit 2). The
 * items done before are said: for a list or a tree, those of this run's (after its run
 * line, or before any: an older version's) apart from those of runs over other folders;
 * for items named on the command line (w->named), which have no folder of a run, nothing:
 * the engine says which of this run's files are done (eng_named_done), or one file alone
 * when it skips it. Returns the descriptor (append mode); dies on errors. */
int ftp_journal_open(const char *path, struct jset *done, const struct jwant *w);
/* The item's key, "KIND\tSRC\tDST" hashed (no allocation; not thread-safe). */
struct jkey ftp_job_jkey(const struct job *j);
/* 1 when the journal recorded j as done. */
int ftp_journal_has(const struct jset *done, const struct job *j);
/* A job source's ahead hook (arg: the done set): j's slot prefetched. */
void ftp_journal_ahead(void *done, const struct job *j);

#endif
