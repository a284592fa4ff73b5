/* SPDX-License-Identifier: MIT */
/* state.h - what was fetched already, per account and mailbox: IMAP UIDVALIDITY and UIDs,
 * POP3 UIDLs, each with its Message-ID; plus the deliveries a crash may have interrupted.
 * Written atomically (temporary file, fsync, rename, fsync the folder).
 */
#ifndef MF_STATE_H
#define MF_STATE_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

struct st_ent {
	char *key;    /* IMAP: the UID in decimal; POP3: the UIDL */
	char *msgid;  /* Message-ID without spaces, or NULL */
	int bymid;    /* IMAP: matched by Message-ID after a UIDVALIDITY change, never downloaded
		       * under this key: not fetched again, and never deleted ("mid" in the file) */
};

struct mf_state {
	char *path;
	char *account;
	uint64_t uidvalidity;
	struct st_ent *e;
	size_t n, cap;
	int sorted;
	/* Maildir: renames tmp/NAME -> new/NAME that may not have happened yet ("pending NAME
	 * KEY"), with the key of each one's message (pkey[i]; NULL from an older file's
	 * "pending NAME" line): a name the recovery finds nowhere is fetched again by it. */
	char **pend, **pkey;
	size_t npend, pcap;
	/* mbox: an append of mbox_len bytes at mbox_off with FNV-1a hash mbox_hash; its
	 * messages (me) count as fetched once the bytes are verified in the file. */
	int mbox_pending;
	uint64_t mbox_off, mbox_len, mbox_hash;
	struct st_ent *me;
	size_t mn, mcap;
	/* Message-IDs of the entries before a UIDVALIDITY change, sorted */
	char **mid;
	size_t nmid;
};

/* Load (a missing file is an empty state). 0 or -1 (err). */
int mf_state_load(struct mf_state *s, const char *path, const char *account, char *err, size_t errlen);
int mf_state_save(struct mf_state *s, char *err, size_t errlen);
/* The parser and the writer of the file's text, under load and save (and the fuzz
 * harness): read f into s (set up as load does: path, account, sorted 1); 0 or -1 (err).
 * Write s to f; 0 or -1. */
int mf_state_read(struct mf_state *s, FILE *f, char *err, size_t errlen);
int mf_state_write(struct mf_state *s, FILE *f);
void mf_state_free(struct mf_state *s);
int mf_state_has(struct mf_state *s, const char *key);
/* 1 when the entry exists and its message was downloaded into this destination (not only
 * matched by Message-ID): what --delete may remove. */
int mf_state_downloaded(struct mf_state *s, const char *key);
void mf_state_add(struct mf_state *s, const char *key, const char *msgid);
/* An entry for a message matched only by its Message-ID (see st_ent.bymid). */
void mf_state_add_bymid(struct mf_state *s, const char *key, const char *msgid);
/* Record tmp/NAME of the message KEY (key may be NULL: unknown) as pending. */
void mf_state_add_pending(struct mf_state *s, const char *name, const char *key);
/* Forget every pending name. */
void mf_state_drop_pending(struct mf_state *s);
/* Drop the entries whose key is (keep 0) or is not (keep 1) among keys[0..n) (any order).
 * POP3 may give a UIDL again once its message is gone (RFC 1939): the UIDLs deleted and
 * committed, and those the server no longer lists, must leave the state. Returns the number
 * of entries dropped. */
size_t mf_state_filter(struct mf_state *s, char *const *keys, size_t n, int keep);
/* Forget every entry (a new UIDVALIDITY), keeping their Message-IDs for mf_state_had_msgid. */
void mf_state_reset_keys(struct mf_state *s);
/* 1 when an entry forgotten by mf_state_reset_keys (or a current one) had this Message-ID. */
int mf_state_had_msgid(struct mf_state *s, const char *msgid);
/* Message-ID cleaned for storage (no spaces or controls, at most 250 bytes); "" when none. */
void mf_state_clean_msgid(char *out, size_t outlen, const char *in);

/* FNV-1a 64 over n bytes, continuing from h (start with STATE_FNV_INIT). */
#define STATE_FNV_INIT 0xcbf29ce484222325ULL
uint64_t mf_state_fnv(uint64_t h, const void *p, size_t n);

#endif
