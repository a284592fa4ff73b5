/* file.h - files appear whole or not at all, and server-supplied names stay inside
 * the target folder.
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
/* 0 when a relative path (components joined by '/') is safe: each component passes
 * file_safe_name; no leading '/'. */
int file_safe_relpath(const char *path, char *err, size_t errlen);

struct afile {
	int fd;
	char *tmp;    /* temporary path (dir/.name.XXXXXX.part) */
	char *final;  /* final path */
	char *dir;
};

/* Create a temporary file in dir for the final name (name is a path relative to dir, or
 * dir NULL and name a full path). 0 or -1 (err). */
int afile_open(struct afile *af, const char *dir, const char *name, mode_t mode, char *err, size_t errlen);
/* fsync the file, rename it to its final name, fsync the folder. 0 or -1 (err). With
 * nosync, skip the fsyncs (for callers that sync in batches). */
int afile_commit(struct afile *af, char *err, size_t errlen);
int afile_commit_nosync(struct afile *af, char *err, size_t errlen);
void afile_abort(struct afile *af);

/* write() all of n bytes, retrying on EINTR; 0 or -1 (errno). */
int file_write_all(int fd, const void *p, size_t n);
/* fsync a folder by path; 0 or -1. */
int file_sync_dir(const char *dir);
/* mkdir -p; 0 or -1 (errno). */
int file_mkdirs(const char *path, mode_t mode);

#endif
