/* SPDX-License-Identifier: MIT */
/* file.h - files appear whole or not at all, and server-supplied names stay inside
 * the target folder.
 *
 * The folder rule (one mechanism for every local writer): the folder the user names is
 * taken as given (a symlink there was chosen by the user and is followed); every folder
 * BELOW it is opened level by level with openat(O_NOFOLLOW|O_DIRECTORY), and files are
 * created, renamed and removed relative to that descriptor. A symbolic link below the
 * target folder (planted by someone who can write there) is refused, never followed.
 *
 *	struct afile af;
 *	if (afile_open(&af, dir, name, 0644, err, sizeof err) < 0) ...;
 *	write(af.fd, ...);
 *	afile_commit(&af, err, sizeof err);   // fsync, rename into place, fsync the folder
 *	// or afile_abort(&af): the temporary file is removed
 */
#ifndef NT_FILE_H
#define NT_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* 0 when name is a safe single path component from a server: not empty, not "." or "..",
 * no '/', no NUL, no control characters. Else -1 with the reason in err. */
int file_safe_name(const char *name, size_t len, char *err, size_t errlen);
/* The same for a name from elsewhere: from says where in the reason ("on the command line"). */
int file_safe_name_from(const char *name, size_t len, const char *from, char *err, size_t errlen);
/* 0 when a relative path (components joined by '/') is safe: each component passes
 * file_safe_name; no leading '/'. */
int file_safe_relpath(const char *path, char *err, size_t errlen);

/* Open the folder base/rel for use with openat and friends: base as given (followed; NULL
 * means "."), each component of rel (may be NULL or "") with O_NOFOLLOW|O_DIRECTORY. With
 * mkmode != 0 missing components of rel are created (mkdirat, mode mkmode). The folder's
 * descriptor, or -1 with the reason in err (a symlink below base: "... is a symbolic link
 * or not a folder: refused"). */
int file_open_below(const char *base, const char *rel, mode_t mkmode, char *err, size_t errlen);
/* The file base/rel (rel: components joined by '/') opened with flags | O_NOFOLLOW, its
 * folders walked as in file_open_below (never created). The fd, or -1 (err). */
int file_openat_below(const char *base, const char *rel, int flags, mode_t mode, char *err, size_t errlen);
/* mkdir -p of base/rel by the folder rule: base made as given (file_mkdirs), rel's
 * components made and opened without following symlinks. 0 or -1 (err). */
int file_mkdirs_below(const char *base, const char *rel, mode_t mode, char *err, size_t errlen);

struct afile {
	int fd;
	char *tmp;    /* temporary path (dir/.name.XXXXXX) */
	char *final;  /* final path */
	char *dir;
	/* Set by afile_open: the folder's descriptor and the two names in it; afile_commit
	 * and afile_abort work relative to it (has_dfd 0: by path, for hand-made afiles). */
	int dfd, has_dfd;
	char *tname, *fname;
	int direct; /* the user's own path names a device or a FIFO: written in place */
};

/* 1 when the user's own output path is a device, a FIFO or a socket (followed through a
 * symbolic link: -o /dev/stdout): written in place, never replaced by a rename (as root,
 * a rename onto /dev/null replaces the device with a file). */
int file_is_special(const char *path);
/* The user's own output name taken as given, symbolic links included (like curl -o):
 * path with its links followed to the name they end at (a dangling link: its target's
 * path), so that a temporary and a rename next to that name write through the link
 * instead of replacing it. Never for a name from a server. "-" and devices: path as is.
 * Malloc'd. */
char *file_user_target(const char *path);

/* Create a temporary file for the final name: name is a path relative to dir (its
 * folders below dir must exist and are never followed through a symlink), or dir NULL
 * and name a full path chosen by the user (its folder taken as given; a special file
 * there (file_is_special) is opened and written in place, direct). 0 or -1 (err). */
int afile_open(struct afile *af, const char *dir, const char *name, mode_t mode, char *err, size_t errlen);
/* The same, the temporary named .NAME.TAG-XXXXXX (TAG: at most 24 bytes of [A-Za-z0-9-]),
 * so that the program that made it can recognise its own leftovers after a crash
 * (ftp: TAG "nettool-" and 8 hex digits of its journal). */
int afile_open_tag(struct afile *af, const char *dir, const char *name, mode_t mode, const char *tag, char *err,
		   size_t errlen);
/* fsync the file, rename it to its final name, fsync the folder. 0 or -1 (err). With
 * nosync, skip the fsyncs (for callers that sync in batches). */
int afile_commit(struct afile *af, char *err, size_t errlen);
int afile_commit_nosync(struct afile *af, char *err, size_t errlen);
void afile_abort(struct afile *af);
/* Only the rename of a closed afile to its final name, relative to its folder's
 * descriptor (by path for a hand-made afile); for a committer that syncs itself.
 * 0 or -1 (errno). */
int afile_place(struct afile *af);
/* The one rule for a rename into place that failed: the words when errno e is a reason of
 * that one file (a folder in the way, ENOTDIR, EACCES/EPERM on the target, a name too
 * long): the caller fails that item alone ("cannot save as FINAL: WHY"). NULL for a
 * failure of the disk itself (EIO, ENOSPC...), which ends a durable run. */
const char *afile_place_why(int e);
/* Before a closed afile is handed to a committer that renames it later: -1 with
 * "cannot save as FINAL: a folder is in the way" (afile_place_why) when the final name is
 * a folder, so that the caller fails that item alone; 0 otherwise. */
int afile_place_check(const struct afile *af, char *err, size_t errlen);

/* Why the file open as fd may not be trusted as ours, or NULL when it is a regular file
 * owned by the effective uid and, with FILE_OWN_ONE_LINK, has no other hard link, with
 * FILE_OWN_NOT_SHARED, is not writable by group or others (the mbox, mail-fetch's state). */
#define FILE_OWN_ONE_LINK 1u
#define FILE_OWN_NOT_SHARED 2u
const char *file_own_why(int fd, unsigned flags);

/* write() all of n bytes, retrying on EINTR; 0 or -1 (errno). */
int file_write_all(int fd, const void *p, size_t n);
/* 1 when name is a single safe component that does not start with '.' (names we make
 * ourselves and read back from our own records). */
int file_plain_name(const char *name);
/* fsync a folder by path; 0 or -1. */
int file_sync_dir(const char *dir);
/* One run at a time on a file that a run owns (a journal, a queue's flush): an exclusive
 * flock(2) on fd, not waited for, held until fd is closed (and by children that inherit
 * it). 0 taken, 1 another open of the file holds it, -1 (errno) the lock failed. */
int file_lock_run(int fd);
/* mkdir -p; 0 or -1 (errno). */
int file_mkdirs(const char *path, mode_t mode);

#endif
