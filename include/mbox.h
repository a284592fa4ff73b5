/* SPDX-License-Identifier: MIT */
/* mbox.h - the one mboxrd writer and the one mbox lock, for every applet that appends to
 * an mbox (mail-fetch --mbox and --stdout, nntp fetch --mbox).
 *
 * The writer turns a message into mboxrd: a "From SENDER DATE" line, ">" added before
 * every line that matches /^>*From /, CRLF turned into LF (MBOX_W_CRLF), a blank line
 * after the message. Without MBOX_W_MBOXRD it only converts line ends (Maildir files). It
 * writes to an fd in 64 KiB pieces, or keeps the message in memory (fd < 0), and keeps a
 * running FNV-1a hash of what it wrote and, with MBOX_W_HEADER, the header section.
 *
 *	struct mbox_writer w;
 *	mbox_writer_init(&w, -1, MBOX_W_MBOXRD, MBOX_FNV_INIT);
 *	mbox_writer_from(&w, "MAILER-DAEMON", time(NULL));
 *	mbox_write(&w, p, n) ...; mbox_writer_finish(&w);   // w.obuf, w.olen: the message
 *
 * The lock (after Debian's liblockfile and procmail's lockfile): a dot-lock PATH.lock made
 * by link()ing a uniquely named file created with O_CREAT|O_EXCL|O_NOFOLLOW, so no
 * planted symlink is ever followed or written through; a dot-lock is stale when it is
 * over MBOX_LOCK_STALE seconds old or when the process whose pid it holds is gone (a lock
 * that is not a regular file, or holds no pid, is judged by its age alone); only our own
 * dot-lock (same inode) is removed on unlock. Then an fcntl write lock on the mbox itself,
 * the real guard against every program that honours either. Both are waited for up to
 * the caller's timeout, then refused with a message naming the lock.
 *
 * Making an append durable is core/commit.c's work (commit_fd): nothing here syncs.
 *
 * Tests: tests/integration/mail_fetch_mbox.sh, tests/integration/nntp.sh (fetch --mbox),
 * tests/unit/check_mail_fetch.c (the writer)
 */
#ifndef NT_MBOX_H
#define NT_MBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define MBOX_FNV_INIT 0xcbf29ce484222325ULL
#define MBOX_HDR_MAX 65536
#define MBOX_LOCK_STALE 300   /* seconds: an older dot-lock is stale */
#define MBOX_LOCK_WAIT 30     /* seconds: the default wait for a held lock */

enum {
	MBOX_W_MBOXRD = 1,    /* mboxrd quoting and the blank line after the message */
	MBOX_W_CRLF = 2,      /* the input has CRLF line ends: write LF */
	MBOX_W_HEADER = 4,    /* keep the header section (LF line ends) in hdr/hlen */
};

struct mbox_writer {
	int fd;
	unsigned flags;
	char *obuf;
	size_t olen, ocap;
	int mem;           /* fd < 0: the message stays in obuf (grown as needed) */
	uint64_t bytes;    /* written so far (output bytes, From_ line included) */
	uint64_t in_bytes; /* input bytes seen */
	uint64_t hash;     /* FNV-1a over the output, continued from the seed */
	int bol, cr;       /* at the beginning of a line; a CR is held */
	char pre[5];       /* a possible "From " at the beginning of a line */
	int npre;
	int last_nl;       /* last output byte was LF */
	char *hdr;         /* MBOX_W_HEADER: the header section */
	size_t hlen;
	int hdr_done;
	int err;           /* a write failed (errno) */
};

void mbox_writer_init(struct mbox_writer *w, int fd, unsigned flags, uint64_t hash);
/* The "From SENDER DATE" line (asctime form, UTC); first, with MBOX_W_MBOXRD. */
void mbox_writer_from(struct mbox_writer *w, const char *sender, time_t when);
/* 0, or -1 when a write to the fd failed (w->err). */
int mbox_write(struct mbox_writer *w, const char *p, size_t n);
/* The held bytes, the final line end and blank line; flushed to the fd. 0 or -1. */
int mbox_writer_finish(struct mbox_writer *w);
void mbox_writer_free(struct mbox_writer *w);

struct mbox_lock {
	char *lock;        /* PATH.lock */
	dev_t dev;         /* our dot-lock's inode: unlock removes only that one */
	ino_t ino;
	int have_dot;
	int fd;            /* the mbox, fcntl-locked; -1 when not held */
};

/* Take the dot-lock and the fcntl lock on fd (the open mbox at path), waiting up to
 * wait_s seconds for another holder. 0, or -1 with the reason in err (nothing held). */
int mbox_lock(struct mbox_lock *l, const char *path, int fd, int wait_s, char *err, size_t errlen);
void mbox_unlock(struct mbox_lock *l);

/* Open path for appending (created 0600 when missing), never through a symlink: it must
 * be a regular file owned by the effective uid with one link, else it is refused. The fd,
 * or -1 with the reason (naming path) in err. */
int mbox_open(const char *path, char *err, size_t errlen);
/* Called under the lock before an append: a file that does not end in a line end (written
 * by something else) gets one, so our From_ line can not join its last line; *added says
 * so (the caller makes it durable, with core/commit, before it records the offset).
 * *end is the offset the append starts at. 0 or -1 (errno). */
int mbox_prepare_append(int fd, off_t *end, int *added);

#endif
