/* SPDX-License-Identifier: MIT */
/* tree.h - job sources of the ftp applet: list files (--from-file), mirror, copy -r. */
#ifndef FTP_TREE_H
#define FTP_TREE_H

#include "ftp.h"

/* Jobs from a list file (streamed; "-" is stdin). base: the remote base folder;
 * other: the local folder (get) or the destination base (copy). */
struct jobsrc *jobsrc_lines(const char *path, enum job_kind kind, const char *base, const char *other);
/* Whole-process caps of the remote tree walks (mirror, mirror --reverse --delete, copy -r):
 * names listed, folders listed, and the bytes of the relative paths kept (each node holds
 * its whole path: deep trees of long names cost more than their names), at most
 * TREE_PATH_BYTES_PER_ENTRY a name of the entry cap (1 GB at the default); past any,
 * exit 5 (--max-entries, --max-folders). */
#define TREE_MAX_ENTRIES 10000000LL
#define TREE_MAX_FOLDERS 1000000LL
#define TREE_PATH_BYTES_PER_ENTRY 100

/* Download rroot into lroot/lsub (lsub NULL: into lroot). lroot is the user's folder,
 * taken as given; lsub and everything below it are made and opened without following
 * a symlink (file.h, the folder rule): a refused lsub fails the tree (1), named. */
int tree_mirror_down(struct ftp_site *s, const char *rroot, const char *lroot, const char *lsub);
int tree_mirror_up(const char *ldir, struct ftp_site *s, const char *rroot);
/* 1: the trees of this command are many (get -r of several folders, or a pattern): their
 * journal holds a run line each, and a tree's folders are not checked against it. */
void tree_set_many(int many);
/* src's journal run line, KIND\tBASE\tOTHER (journal.h: what makes two runs one job): a
 * list's, a tree's, a command line's (its target). */
void jobsrc_run_line(struct jobsrc *src, const char *kind, const char *base, const char *other);
int tree_copy(struct ftp_site *a, const char *sp, struct ftp_site *b, const char *dp);

#endif
