/* SPDX-License-Identifier: MIT */
/* deliver.h - destinations for fetched mail: a Maildir (dest_maildir.c), an mbox
 * (dest_mbox.c), standard output in mbox format (dest_stdout.c) or a command per message
 * (dest_mda.c), each behind the operations table struct dest_ops; deliver.c holds what
 * they share (the batch, the commit's frame, --exec) and spool.c the spool file of the
 * last three. Messages are delivered in batches; a batch is durable and recorded in the
 * state before anything is deleted on the server, and an interrupted batch is completed
 * or undone by mf_dest_recover().
 *
 * Tests: tests/unit/check_mail_fetch.c, tests/integration/mail_fetch*.sh
 */
#ifndef MF_DELIVER_H
#define MF_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "mbox.h"
#include "state.h"

enum dest_kind { DEST_MAILDIR, DEST_MBOX, DEST_STDOUT, DEST_MDA };

#define DEST_HDR_MAX MBOX_HDR_MAX

struct dmsg {
	char *key;
	char msgid[256];
	char *name;        /* Maildir: file name in tmp/ then new/ */
	uint64_t off, len; /* spool range (mbox, stdout, mda) */
	uint64_t in_size;  /* bytes received */
};

struct dest;
struct commit;

/* What a destination kind does; deliver.c calls these. close, msg_wrote, settle, clear and
 * recover may be NULL (nothing to do). */
struct dest_ops {
	/* After the common set-up (d->path, d->mda set): folders, spool. 0 or -1 (err). */
	int (*open)(struct dest *d, char *err, size_t errlen);
	void (*close)(struct dest *d);
	/* A message: begin sets up d->w; wrote runs after each piece (0 or -1, d->w.err);
	 * end records where the message went in m; abort undoes the message. */
	void (*msg_begin)(struct dest *d);
	int (*msg_wrote)(struct dest *d);
	int (*msg_end)(struct dest *d, struct dmsg *m, char *err, size_t errlen);
	void (*msg_abort)(struct dest *d);
	/* Make the batch durable and record it in st (saved); the keys of the delivered
	 * messages go to d->keys[*nk...]. 0 or -1 (err). */
	int (*commit)(struct dest *d, struct mf_state *st, size_t *nk, char *err, size_t errlen);
	/* Finish what a commit left running (see mf_dest_settle). 0 or -1. */
	int (*settle)(struct dest *d, struct mf_state *st, char *err, size_t errlen);
	/* Forget the batch's storage; remove_files: an uncommitted batch's files too. */
	void (*clear)(struct dest *d, int remove_files);
	/* Finish or undo what a crash interrupted; *changed when st must be saved. */
	int (*recover)(struct dest *d, struct mf_state *st, int *changed, char *err, size_t errlen);
	/* The file a delivered message is in, for --exec's NETTOOL_FILE (allocated). */
	char *(*file)(struct dest *d, const struct dmsg *m);
};

extern const struct dest_ops mf_maildir_ops, mf_mbox_ops, mf_stdout_ops, mf_mda_ops;

struct dest {
	const struct dest_ops *ops;
	enum dest_kind kind;
	char *path;        /* Maildir folder or mbox file */
	const char *mda;
	/* the spool (mbox, stdout, mda): the batch, formatted */
	char *spool;
	int spool_fd;
	uint64_t spool_len, hash;
	struct commit *commit; /* core/commit.c: every sync of Maildir, mbox and stdout (not mda) */
	int out_regular;   /* stdout: standard output is a regular file (synced per batch) */
	/* Maildir */
	int cur_fd;        /* the file being written (a large message) */
	int tmp_fd;        /* tmp/, open: the batch's sync is asked for on it */
	int new_fd;        /* new/, open: renames go tmp_fd -> new_fd (never through a symlink) */
	int renames_queued; /* the last batch's sync of new/ is left to the committer */
	char *cur_name;
	unsigned long seq;
	int pid;           /* ours, for the Maildir names */
	char host[128];
	/* the batch */
	struct dmsg *m;
	size_t n, cap;
	struct mbox_writer w;
	int writing;
	/* the last commit's keys, valid until the next commit (they point into held) */
	char **keys;
	size_t kcap;
	struct dmsg *held;
	size_t nheld;
	uint64_t delivered_bytes;
	int no_sync;       /* test build only (NETTOOL_MAIL_NOSYNC): skip the syncs */
	const char *exec;  /* watch --exec: run per delivered message */
	const char *mailbox;
};

/* Prepare a destination (creates the Maildir's tmp/ new/ cur/ when missing). 0 or -1 (err). */
int mf_dest_open(struct dest *d, enum dest_kind kind, const char *path, const char *mda, char *err, size_t errlen);
void mf_dest_close(struct dest *d); /* removes what an uncommitted batch left */

/* One message of the current batch: begin, write pieces (a stream_read_n sink), end or abort. */
int mf_dest_msg_begin(struct dest *d, char *err, size_t errlen);
int mf_dest_msg_write(void *d, const char *p, size_t n);
int mf_dest_msg_end(struct dest *d, const char *key, char *err, size_t errlen);
void mf_dest_msg_abort(struct dest *d);
/* The header of the message being written (valid until end/abort). */
const char *mf_dest_msg_header(struct dest *d, size_t *len);

/* Make the batch durable, record it in st (saved), and empty the batch. Returns the number
 * of messages delivered (an --mda that fails leaves its message out), or -1 (err):
 * nothing of the batch may be deleted on the server then. delivered[] gets their keys
 * (pointers valid until the next commit) when not NULL. */
int mf_dest_commit(struct dest *d, struct mf_state *st, char ***delivered, char *err, size_t errlen);
/* Wait for what a commit left to the committer (the sync of new/ after the Maildir
 * renames) and drop the pending lines from st (the caller saves it). 0 or -1 (err). Until then a crash
 * is recovered from the pending lines; mf_dest_close also waits. */
int mf_dest_settle(struct dest *d, struct mf_state *st, char *err, size_t errlen);
size_t mf_dest_batch_count(const struct dest *d);
uint64_t mf_dest_batch_bytes(const struct dest *d);

/* Finish or undo what a crash interrupted (pending renames, an unverified mbox append). */
int mf_dest_recover(struct dest *d, struct mf_state *st, char *err, size_t errlen);

/* For the kinds: */
/* The test build's crash points (NETTOOL_MAIL_CRASH=POINT kills the process there). */
void mf_crash_point(const char *name);
int mf_crash_at(const char *name);
/* Run cmd (sh -c) with spool[off, off+len) on its standard input (spool < 0: none), with
 * the extra environment env_add (NULL-terminated) and no secret of ours; its exit status,
 * 128+signal, or -1. */
int mf_run_cmd(const char *cmd, int spool, uint64_t off, uint64_t len, char *const env_add[]);
/* Room for one more key in d->keys. */
void mf_dest_key_room(struct dest *d, size_t n);

/* spool.c: the spool of the mbox, stdout and mda kinds. */
int mf_spool_open(struct dest *d, const char *dir, char *err, size_t errlen);
void mf_spool_close(struct dest *d);
/* mboxrd: a From_ line and mboxrd quoting (mbox, stdout); else the message as it is, LF ends (mda). */
void mf_spool_msg_begin(struct dest *d, int mboxrd);
int mf_spool_msg_end(struct dest *d, struct dmsg *m, char *err, size_t errlen);
void mf_spool_msg_abort(struct dest *d);
void mf_spool_clear(struct dest *d, int remove_files);
/* Copy from[off, off+len) to fd to: 0, -1 (reading; err) or -2 (writing; errno, err). */
int mf_copy_range(int from, uint64_t off, uint64_t len, int to, char *err, size_t errlen);

#endif
