/* SPDX-License-Identifier: MIT */
/* ftp.h - what the files of the ftp applet share (main.c: CLI and commands;
 * sess.c: sites, URLs, single operations over one easy handle; engine.c: the batch
 * engine over the libcurl multi interface; tree.c: listings, glob, mirror, copy -r).
 * Nothing here is visible outside applets/ftp/. */
#ifndef FTP_FTP_H
#define FTP_FTP_H

#include <stdint.h>
#include <sys/types.h>
#include <curl/curl.h>

#include "buf.h"
#include "connpol.h"
#include "parse.h"
#include "progress.h"
#include "nt_err.h"
#include "xfer.h"

struct ftp_conf {
	struct xfer_opts x;        /* TLS policy, CA, timeout, trace, -4/-6 */
	const char *user_opt;      /* -u */
	struct conn_opts co;        /* the shared options, the account applied (secret sources) */
	int port_opt;              /* -P */
	int active;                /* --active[=ADDR] */
	const char *active_addr;
	int ascii;
	long long limit_rate;
	int json, longfmt, parents;
	enum progress_mode progress;
	/* batch */
	int parallel, retry;
	long long deadline_ms;
	const char *journal, *from_file;
	int shard_k, shard_n;
	/* get / put */
	const char *out_file, *out_dir;
	int resume, create_dirs, atomic;
	/* mirror / copy */
	int reverse, only_newer, del, recursive, move;
	int keep_mtime;            /* get: set the server's time on local files (mirror) */
	char **excludes;
	int nexcl;
	long long max_entries, max_folders; /* remote tree walks, whole process (tree.c) */
};
extern struct ftp_conf ftp_cf;

/* What the header callback keeps of the server's replies. */
struct ftp_hdr {
	char last[256];    /* text of the last reply line, cleaned */
	int code;          /* its code */
	struct buf *cap;   /* when set, every line is appended (FEAT) */
};

struct ftp_site {
	char host[256];
	int port;
	int implicit_tls;          /* ftps:// */
	char *user, *password;
	char prefix[320];          /* "ftp://host:port" */
	struct xfer_opts x;
	CURL *h;                   /* for single operations: connection reused between them */
	struct ftp_hdr hdr;
	char errbuf[CURL_ERROR_SIZE];
	int feat_known, has_mlsd;
	char *entry;               /* the login folder (PWD), once known */
};

/* 1 when arg names a remote place (URL or host:path), 0 for a local path. */
int ftp_is_remote(const char *arg);
/* Parse TARGET into a site (shared when host, port and user match one opened before)
 * and a path ("dir/f" relative to the login folder, "/abs" absolute). Dies on errors. */
struct ftp_site *ftp_target(const char *arg, char **path);
void ftp_sites_free(void);
/* The shared connection cache, after every handle is gone. */
void ftp_share_free(void);

/* A percent-encoded URL for path on site; dir: end with '/'. Caller frees. */
char *ftp_url(const struct ftp_site *s, const char *path, int dir);
/* Reset h and set every option common to our transfers. */
void ftp_prep(struct ftp_site *s, CURL *h, struct ftp_hdr *hdr, char *errbuf);
/* The message for a failed transfer: libcurl's text and the server's last reply. */
const char *ftp_errmsg(CURLcode rc, const char *errbuf, const struct ftp_hdr *hdr, char *out, size_t n);

/* Single operations on s->h; each returns CURLE_OK or the failure (message in *msg). */
CURLcode ftp_quote(struct ftp_site *s, const char *const *cmds, int n);
CURLcode ftp_stat(struct ftp_site *s, const char *path, int64_t *size, int64_t *mtime);
/* 1 when path is a folder, 0 when not (or missing), -1 on a network/login failure. */
int ftp_isdir(struct ftp_site *s, const char *path);
CURLcode ftp_entry_path(struct ftp_site *s, char **out);
/* Fetch a listing of dir: kind 'n' NLST, 'l' LIST, 'm' MLSD. Into b (bounded). */
CURLcode ftp_listing(struct ftp_site *s, const char *dir, int kind, struct buf *b);
/* 1 when the server announces MLST in FEAT. */
int ftp_has_mlsd(struct ftp_site *s);
/* One entry of a parsed listing: compact (the name is allocated to its length), so a
 * long listing costs about its own size again, not 1 KiB per line. */
struct ftp_item {
	char *name;            /* NUL-terminated; may hold NUL bytes: use namelen */
	size_t namelen;
	int64_t size, mtime;   /* -1: unknown */
	int mtime_prec;
	enum ftp_etype type;
	char perm[16];
};
/* A listing of more entries than this is refused (exit 5): a hostile server must not
 * make us use up memory (the listing itself is bounded by LISTING_MAX bytes). */
#define FTP_LIST_MAX_ITEMS 1000000
/* Parsed listing of dir (MLSD when offered, else LIST); "." and ".." dropped.
 * Returns the count (array in *out, free with ftp_items_free) or -exitcode (message
 * printed). *bad (when not NULL): how many lines could not be parsed (each warned about). */
int ftp_list_entries(struct ftp_site *s, const char *dir, struct ftp_item **out, int *bad);
void ftp_items_free(struct ftp_item *v, int n);
/* path made absolute against the login folder, for QUOTE commands: libcurl sends
 * those before its own CWD, so a reused connection may stand anywhere. Caller frees. */
char *ftp_qpath(struct ftp_site *s, const char *path);
void ftp_die_curl(CURLcode rc, const char *what, const struct ftp_site *s) NT_NORETURN;
/* 1 when a failure is worth a retry (network, 4xx reply; not a refused login). */
int ftp_transient(CURLcode rc, const struct ftp_hdr *h);
/* The wait before retry number attempt (1, 2, ...): 0.5 s doubling, at most 30 s. */
long long ftp_backoff_ms(int attempt);

/* Join a remote folder and a name ("" + n = n, "/" + n = "/n"). Caller frees. */
char *ftp_join(const char *dir, const char *name);
const char *ftp_basename(const char *path);

/* Batch engine. */
enum job_kind { JOB_GET, JOB_PUT, JOB_RM, JOB_COPY, JOB_RMDIR, JOB_MKDIR };
struct job {
	enum job_kind kind;
	char *src;       /* GET, RM, COPY, RMDIR: remote; PUT: local */
	char *dst;       /* GET: local ("-" stdout); PUT, COPY, MKDIR: remote */
	/* GET: when has_root, dst's first droot bytes are the user's target folder (taken as
	 * given); the folders below it come from the server and are never followed through a
	 * symlink (file.h, the folder rule). Else the whole folder of dst is the user's. */
	int has_root;
	size_t droot;
	int64_t mtime;   /* GET: set on the local file when >= 0 */
	int64_t size;    /* known source size or -1 */
	const char *reject;  /* refused before anything is sent: the reason */
	int attempts;
	long long ready_ms;
	struct job *next;
};
/* A source of jobs: next() fills j (strings malloc'd) and returns 1, or 0 at the end. */
struct jobsrc {
	int (*next)(struct jobsrc *src, struct job *j);
	void (*release)(struct jobsrc *src); /* NULL: free(src) */
	void *ctx;
	uint64_t total; /* 0: unknown */
	uint64_t skipped; /* items the source decided to skip (mirror --only-newer) */
	int failed;       /* items the source refused (unsafe names) */
};
struct engine_result {
	uint64_t done, failed, skipped;
	int worst;      /* highest exit class among failures */
};
/* Run every job of src (released at the end) between site a (remote side of get/put/rm, source of copy) and
 * b (destination of copy, else NULL). Returns the exit code for the batch. */
int engine_run(struct ftp_site *a, struct ftp_site *b, struct jobsrc *src, int summary);

/* local.c: a GET's local file as *dir (its folder), *base (the user's folder) and *rel
 * (the path below it), all malloc'd; the folders of rel made below base without
 * following a symlink, unless *dir is *made_dir (updated). 0 or -1 (err). --resume's
 * file opened for appending the same way: 1 (*fd, *size), 0 (none: download afresh) or
 * -1 (err). */
int ftp_local_prepare(const struct job *j, char **made_dir, char **dir, char **base, char **rel, char *err,
		      size_t errlen);
int ftp_local_resume(const char *base, const char *rel, int *fd, off_t *size, char *err, size_t errlen);
/* A job source over an array (taken over) and over a list file (streamed). */
struct jobsrc *jobsrc_array(struct job *jobs, size_t n);
long long ftp_now_ms(void);

#endif
