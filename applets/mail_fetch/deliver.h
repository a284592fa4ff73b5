/* deliver.h - destinations for fetched mail: a Maildir (tmp/, fsync, rename into new/,
 * fsync the folder), an mbox (mboxrd quoting, fcntl lock plus dotlock, fsync), standard
 * output (mbox format) or a command per message (--mda). Messages are delivered in
 * batches; a batch is durable and recorded in the state before anything is deleted on
 * the server, and an interrupted batch is completed or undone by mf_dest_recover().
 */
#ifndef MF_DELIVER_H
#define MF_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

enum dest_kind { DEST_MAILDIR, DEST_MBOX, DEST_STDOUT, DEST_MDA };

#define DEST_HDR_MAX 65536

/* The message writer: CRLF to LF, mboxrd "From " quoting (mbox formats), header capture. */
struct mwriter {
	int fd;
	int mbox;          /* mboxrd format */
	char *obuf;
	size_t olen, ocap;
	int mem;           /* fd < 0: the message stays in obuf (grown as needed) */
	uint64_t bytes;    /* written so far (output bytes) */
	uint64_t in_bytes; /* input bytes seen */
	uint64_t hash;     /* FNV-1a over the output */
	int bol, cr, ngt;  /* at the beginning of a line; a CR is held; '>' seen at bol */
	char pre[5];
	int npre;
	int last_nl;       /* last output byte was LF */
	char *hdr;         /* the header section, LF line ends */
	size_t hlen;
	int hdr_done;
	int err;           /* a write failed (errno) */
};

struct dmsg {
	char *key;
	char msgid[256];
	char *name;        /* Maildir: file name in tmp/ then new/ */
	uint64_t off, len; /* spool range (mbox, stdout, mda) */
	uint64_t in_size;  /* bytes received */
};

struct dest {
	enum dest_kind kind;
	char *path;        /* Maildir folder or mbox file */
	const char *mda;
	char *spool;       /* spool file for mbox, stdout and mda */
	int spool_fd;
	int cur_fd;        /* Maildir: the file being written */
	int tmp_fd;        /* Maildir: tmp/, open for syncfs */
	int renames_queued; /* Maildir: the last batch's renames are left to the helper thread */
	char *cur_name;
	uint64_t spool_len, hash;
	struct dmsg *m;
	size_t n, cap;
	struct mwriter w;
	int writing;
	unsigned long seq;
	int pid;           /* ours, for the Maildir names */
	char host[128];
	uint64_t delivered_bytes;
	int no_sync;       /* tests only (NETTOOL_MAIL_NOSYNC): skip fsync */
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
 * (pointers valid until the next batch) when not NULL. */
int mf_dest_commit(struct dest *d, struct mf_state *st, char ***delivered, char *err, size_t errlen);
/* Wait for the renames a commit left to the helper thread, fsync new/ and drop the pending
 * lines from st (the caller saves it). 0 or -1 (err). Until then a crash is recovered from
 * the pending lines; mf_dest_close also waits for the renames. */
int mf_dest_settle(struct dest *d, struct mf_state *st, char *err, size_t errlen);
size_t mf_dest_batch_count(const struct dest *d);
uint64_t mf_dest_batch_bytes(const struct dest *d);

/* Finish or undo what a crash interrupted (pending renames, an unverified mbox append). */
int mf_dest_recover(struct dest *d, struct mf_state *st, char *err, size_t errlen);

/* The writer on its own (unit tests, fuzzing): */
void mf_mw_init(struct mwriter *w, int fd, int mbox);
int mf_mw_write(struct mwriter *w, const char *p, size_t n);
int mf_mw_finish(struct mwriter *w);
void mf_mw_free(struct mwriter *w);

#endif
