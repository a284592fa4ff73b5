/* commit.h - the ftp engine's committer: a thread that makes finished downloads
 * durable in groups (data synced, then renamed into place, then the folder synced)
 * and only then writes their journal lines (synced), so that the transfers never
 * wait for the disk and a journaled item is always a whole file. */
#ifndef FTP_COMMIT_H
#define FTP_COMMIT_H

#include "file.h"

struct committer;

/* jfd: the journal (open for appending), or -1. */
struct committer *committer_start(int jfd);
/* Queue a finished item: af (a download to rename; may be NULL; taken over) and key
 * (the journal line without "done\t"; may be NULL; taken over). Blocks while the
 * queue is full; dies (exit 6) if an earlier group failed. */
void committer_push(struct committer *c, struct afile *af, char *key);
/* Around creating a file in a folder the committer renames in (see commit.c). */
void committer_names_lock(struct committer *c);
void committer_names_unlock(struct committer *c);
/* Everything queued made durable; the thread stopped. Dies (exit 6) on failure. */
void committer_finish(struct committer *c);

#endif
