/* SPDX-License-Identifier: MIT */
/* commit.h - durable commit: the one place where nettool makes files, folders and
 * records durable, and the only one that starts threads for it (the committer, and a
 * remover started on the first commit_unlink).
 *
 * The promise: whatever a record says is done (a journal line, a UID or high-water
 * state, a queue mark) is on the disk whole. Each item goes through
 *
 *	temporary file -> data durable -> rename into place -> folder durable -> record durable
 *
 * and the committer's thread does those steps for a GROUP of items at once, so that
 * one sync covers many items:
 *
 *	a group closes at COMMIT_GROUP_MAX (64) items, or COMMIT_GATHER_MS (20 ms) after its
 *	first item, or at once when someone waits (commit_wait, commit_finish), or at once
 *	for a committer started with COMMIT_EAGER. Items are taken in push order.
 *
 * One group, on the thread:
 *	1. commit_write items: the file is created (O_EXCL, never through a symlink) and written
 *	2. data durable: ONE syncfs(2) per file system for the whole group (files, fds);
 *	   fdatasync(2) when the group's only data is one regular file (see below)
 *	3. commit_file / commit_write items: closed and renamed into place
 *	4. each folder renamed into (and each commit_dir folder) fsynced once
 *	5. records: appended to the journal and fdatasynced, or handed to the record callback
 *	   (which makes them durable itself, e.g. with afile_commit from file.h)
 *	6. waiters woken; commit_unlink paths handed to the committer's second thread, which
 *	   removes them in batches of 32 (a removal of a synced file costs a few hundred
 *	   microseconds here, as much as sending a message: off every caller's path)
 * After a failure every later item is dropped (temporary files removed, no record
 * written): nothing is ever recorded that is not durable.
 *
 * Why syncfs per group and not fdatasync per file (the one policy; measured on the
 * worker's ext4 without a journal, shared with other jobs, 2,000 files of 4 KiB in
 * groups of 64, created in tmp/, synced, renamed into new/, new/ fsynced; 8 rounds,
 * interleaved, each in a fresh folder):
 *	syncfs per group:                        0.23 0.30 0.31 0.43 0.47 0.68 0.85 0.99 s (median 0.45)
 *	sync_file_range(WRITE) all, then
 *	fdatasync each (ftp's old committer):    0.30 0.33 0.65 0.77 2.57 2.92 4.42 4.45 s (median 1.67)
 *	fdatasync each:                          0.75 0.99 1.01 1.06 1.12 1.90 7.33 7.70 s (median 1.09)
 * (bench/commit.sh repeats it: a later run here, 5 rounds, medians 0.78 s against 1.23 s.)
 * Without a journal every fdatasync of a new file writes its data and its inode as
 * separate waits; one syncfs writes the group's blocks in one pass, sorted by the
 * block layer. It also flushes other processes' dirty data on the same file system:
 * on a disk that others keep busy that is the cost, and it was still the fastest.
 * A group whose only data is ONE regular file (an mbox append, a lone message, an
 * appended download) is the exception: nothing to batch there, and syncfs cost 3-6 ms
 * against 2-3 ms for that file's fdatasync (5 rounds), while also writing other programs'
 * dirty data (a POP3 fetch into an mbox waited on the server's own index writes), so it
 * gets fdatasync. A folder given to commit_fd (mail-fetch's tmp/ barrier for a batch of
 * files it wrote itself) always gets the syncfs.
 * syncfs reports the file system's writeback errors since the descriptor it is given
 * was opened (Linux >= 5.8); the committer gives it one of the group's own descriptors,
 * opened before the group's data was written back, so an error in any file of the
 * group fails the group.
 *
 *	struct commit *c = commit_start(&(struct commit_conf){.journal_fd = jfd}, err, sizeof err);
 *	commit_file(c, &af, xstrdup("done\tget\ta\tb\n"));   // af written; taken over
 *	...
 *	if (commit_finish(c, err, sizeof err) < 0) die(NT_EXIT_IO, "%s", err);
 *
 * A Maildir batch (mail-fetch): per message commit_write(c, "M/tmp/NAME", "M/new/NAME",
 * data, len, uid_line), the record callback saves the UID state; commit_wait() before any
 * deletion on the server. A promise per item (mail-send's flush: at most one message sent
 * twice): COMMIT_EAGER, and a commit_wait() before the next item may be acted on, so that
 * a group never holds two of them.
 *
 * For one file with nothing to group, afile_commit (file.h) does the same steps inline.
 *
 * Header of core/commit.c    Tests: tests/unit/check_commit.c, tests/integration/ftp_batch.sh
 */
#ifndef NT_COMMIT_H
#define NT_COMMIT_H

#include <stddef.h>
#include <sys/types.h>

#include "file.h"

#define COMMIT_GROUP_MAX 64
#define COMMIT_GATHER_MS 20

struct commit;

/* Called on the committer's thread once per group, after the group's files and folders
 * are durable, with the group's records (the non-NULL ones, in push order; valid during
 * the call). It must make them durable before it returns 0; -1 with a message in err
 * fails the group. */
typedef int commit_record_fn(void *arg, char *const *recs, size_t n, char *err, size_t errlen);

enum { COMMIT_EAGER = 1 }; /* a group starts as soon as an item is there: for a caller that
			    * waits for each item and wants the sync to overlap its next work */

struct commit_conf {
	int journal_fd;            /* records are appended here (as given) and fdatasynced; -1: none */
	commit_record_fn *record;  /* else: records go to this callback (NULL: records are dropped) */
	void *arg;
	unsigned flags;            /* COMMIT_EAGER */
	/* When not 0: a push blocks while this many items are pushed and not yet done
	 * (queued or in the group being committed), so that a crash loses at most that many
	 * finished items (ftp's journaled batches: COMMIT_GROUP_MAX, one group). 0: the
	 * queue alone bounds them (256 queued plus the group in progress). */
	size_t max_pending;
};

/* Start a committer (its thread). NULL with err when the thread cannot start. Set
 * journal_fd to -1 for none (0 is a descriptor). */
struct commit *commit_start(const struct commit_conf *conf, char *err, size_t errlen);

/* Queue items. rec (may be NULL) and every pointer argument marked "taken" are freed by
 * the committer. Each call blocks while 256 items are queued. They return 0, or -1
 * when an earlier group failed (the item is then dropped: its temporary file removed;
 * commit_wait or commit_finish give the message). */

/* af: a temporary file written by the caller (afile_open, file.h), fd still open; synced,
 * closed, renamed to af->final, af->dir synced. *af is taken over (left with fd -1). */
int commit_file(struct commit *c, struct afile *af, char *rec);
/* commit_file, with a report: when the file cannot be renamed into place for a reason of
 * its own (file.h's afile_place_why: a folder that appeared at its name after the caller's
 * check) it is dropped alone (its temporary removed, its record not written), and arg comes
 * back from commit_take_dropped with the reason instead of the committer's warning. arg
 * (taken, may be NULL) is otherwise freed with free() once the item is done with. */
int commit_file_report(struct commit *c, struct afile *af, char *rec, void *arg);
struct commit_dropped {
	void *arg;      /* as given to commit_file_report (the caller's to free) */
	char why[700];  /* "cannot save as FINAL: REASON" */
};
/* The reported items dropped since the last call, oldest first: their number and *v (an
 * array to free(), NULL when none). After commit_wait, every item pushed before it has
 * been placed or is here. Test build: NETTOOL_COMMIT_RACE=SUFFIX creates a folder at
 * each final name ending in SUFFIX just before its rename (the race, made to happen). */
size_t commit_take_dropped(struct commit *c, struct commit_dropped **v);
/* The committer creates tmp (mode 0600, O_EXCL|O_NOFOLLOW), writes len bytes of data,
 * syncs it and renames it to final (the folder of final synced). tmp, final and data
 * taken. For callers whose data is in memory: the creation runs on the thread too. */
int commit_write(struct commit *c, char *tmp, char *final, char *data, size_t len, char *rec);
/* The data written so far to the file open on fd made durable (an append, an mbox);
 * fd stays the caller's (the committer keeps a dup until the group is done). */
int commit_fd(struct commit *c, int fd, char *rec);
/* A folder made durable (after the caller renamed or removed something in it). dir taken. */
int commit_dir(struct commit *c, char *dir, char *rec);
/* A record only, written after everything queued before it is durable. */
int commit_record(struct commit *c, char *rec);
/* Remove path once everything queued before it is durable; the removal itself is not
 * synced and may come after later groups. path taken. Not done after a failure. */
int commit_unlink(struct commit *c, char *path);

/* Wait until everything queued so far is durable and recorded: 0, or -1 (err) when a
 * group failed. */
int commit_wait(struct commit *c, char *err, size_t errlen);
/* Everything queued made durable, the thread stopped, c freed: 0 or -1 (err). */
int commit_finish(struct commit *c, char *err, size_t errlen);

/* Held by the committer around each rename; a caller that creates files in the folders
 * the committer renames into may hold it around the creation: both take the folder's
 * lock in the kernel, which spins while a slow inode allocation holds it, and a futex
 * sleeps instead (measured with ftp's parallel gets). */
void commit_names_lock(struct commit *c);
void commit_names_unlock(struct commit *c);

#endif
