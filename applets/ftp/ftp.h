/* SPDX-License-Identifier: MIT */
/* ftp.h - what the files of the ftp applet share (main.c: CLI and commands;
 * sess.c: sites, URLs, single operations over one easy handle; engine.c: the batch
 * engine over the libcurl multi interface; tree.c: listings, glob, mirror, copy -r;
 * durable.c: temporaries and the journal's failed lines; shard.c: --shard auto;
 * status.c and jread.c: ftp status over journals; fxp.c: copy straight between servers;
 * getpipe.c: the batch get of plain FTP on our own connections).
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
	int no_login;              /* shell -n */
	enum progress_mode progress;
	/* batch */
	int parallel, retry;
	long long deadline_ms;
	const char *journal, *from_file;
	const char **journals;     /* every --journal given (status reads them all) */
	int njournals;
	int shard_k, shard_n;
	/* get / put */
	const char *out_file, *out_dir;
	int resume, create_dirs;
	int atomic;                /* 1 --atomic, -1 --no-atomic, 0 the default (put: in place; copy: atomic) */
	int fsync;                 /* --fsync: every download synced (groups) even without a journal */
	int fxp;                   /* copy: 1 --fxp (FXP or fail), -1 --no-fxp, 0 FXP when both servers allow it */
	long long deadline_at;     /* --deadline: ftp_now_ms() at which walks and transfers stop (0: none) */
	long long cmd_t0;          /* ftp_now_ms() at the command's start (the shell: each line's): a summary's time */
	const char *shard_spec;    /* --shard as given (shard.c resolves "auto", "auto/N") */
	/* mirror / copy */
	int reverse, only_newer, del, recursive, move;
	int keep_mtime;            /* get: set the server's time on local files (mirror) */
	const char *summary_label; /* the batch summary line's label after "ftp: " (NULL: none) */
	char **excludes;
	int nexcl;
	long long max_entries, max_folders; /* remote tree walks, whole process (tree.c) */
};
extern struct ftp_conf ftp_cf;

/* What the header callback keeps of the server's replies. */
struct ftp_hdr {
	char last[256];    /* text of the last reply line, cleaned */
	int code;          /* its code */
	long long announced; /* the size a 1xx to RETR announced ("(N bytes)"), -1: none; on libcurl's
			      * path, where the get asked SIZE (size_asked) and the 1xx names none, SIZE's */
	int size_asked;      /* libcurl's path: 1, a "*SIZE" PREQUOTE of ours comes last before the
			      * REST/RETR (getsink.c eng_get_curl); 2 once the RETR's 1xx came */
	long long size_reply; /* the 213 of the last reply while size_asked is 1, -1: none */
	long long sized;     /* SIZE's answer (size_asked), taken at the RETR's 1xx; -1: none */
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
	uint64_t cdir_uniq;        /* the unique fact of the last MLSD's cdir entry (0: none) */
	int ready;                 /* logged in (ftp_site_ready) */
	int path_port;             /* ftp_where's: a connect failure says how a port is given */
	long long stat_until;      /* ftp_stat bounded to end by then (ftp_now_ms; 0: --timeout alone) */
};

/* 1 when arg names a remote place (URL or host:path), 0 for a local path. */
int ftp_is_remote(const char *arg);
/* Parse TARGET into a site (shared when host, port and user match one opened before)
 * and a path ("dir/f" relative to the login folder, "/abs" absolute). Dies on errors. */
struct ftp_site *ftp_target(const char *arg, char **path);
/* The parts of a TARGET, parsed without logging in (dies on usage errors). */
struct ftp_where {
	char host[256];
	int port, implicit_tls, has_user;
	char user[256];
	int path_port;     /* host:PATH whose PATH starts with what looks like a port (2121/x): that number */
};
void ftp_target_parse(const char *arg, struct ftp_where *w, char **path);
/* A new site for w, logged in as user (NULL: anonymous) with password (NULL: from
 * --password-file, ~/.netrc, NETTOOL_PASSWORD or a no-echo prompt). Dies when the
 * login fails. */
struct ftp_site *ftp_site_open(const struct ftp_where *w, const char *user, const char *password);
/* An anonymous login (the shell's `user anonymous`), no password source asked. */
struct ftp_site *ftp_site_open_anonymous(const struct ftp_where *w);
/* Log in to s unless done (dies when the login fails, as ftp_site_open does); sites
 * opened for a journaled --from-file batch wait for it until an item starts. */
void ftp_site_ready(struct ftp_site *s);
void ftp_sites_free(void);
/* The shared connection cache, after every handle is gone. */
void ftp_share_free(void);
/* The connections libcurl keeps for later, closed (the sites' handles let go of the cache;
 * the next transfer logs in again): the batch get's own connections replace them. */
void ftp_share_drop(void);

/* A percent-encoded URL for path on site; dir: end with '/'. Caller frees. */
char *ftp_url(const struct ftp_site *s, const char *path, int dir);
/* Reset h and set every option common to our transfers. */
void ftp_prep(struct ftp_site *s, CURL *h, struct ftp_hdr *hdr, char *errbuf);
/* A 550 on CWD whose text says the folder is not there (libcurl: access denied). */
int ftp_no_such_folder(CURLcode rc, const struct ftp_hdr *hdr);
/* The message for a failed transfer: libcurl's text and the server's last reply. */
const char *ftp_errmsg(CURLcode rc, const char *errbuf, const struct ftp_hdr *hdr, char *out, size_t n);
/* The server as messages name it: "host:port" ("[v6]:port"; addr_format). Four buffers
 * in turn: a message may name both servers of a copy. */
const char *ftp_site_name(const struct ftp_site *s);
/* The exit status for it: xfer_exit_code's, but 5 for the server's own error at login
 * ("500 OOPS", not a refused login). */
int ftp_exit_code(CURLcode rc, const struct ftp_hdr *hdr);

/* Single operations on s->h; each returns CURLE_OK or the failure (message in *msg). */
CURLcode ftp_quote(struct ftp_site *s, const char *const *cmds, int n);
CURLcode ftp_stat(struct ftp_site *s, const char *path, int64_t *size, int64_t *mtime);
/* 1 when path is a folder, 0 when not (or missing), -1 on a network/login failure. */
int ftp_isdir(struct ftp_site *s, const char *path);
/* The words for a folder of path (the one above its last name) that could not be entered
 * on site: "could not enter the folder 'D' on HOST:PORT (missing, or not allowed)" (with
 * "; server: REPLY" inside the brackets when reply is not NULL), and for a destination
 * without --create-dirs "; --create-dirs creates missing folders" (missing: the server
 * said it is missing: "the folder 'D' on HOST:PORT"; a file where the folder should be:
 * "F on HOST:PORT is a file, not a folder"). put, copy, copy -r say the same. Returns 1
 * when the words are the refusal itself (could not enter), 0 when they only name it. */
int ftp_folder_why(char *m, size_t ml, struct ftp_site *site, const char *path, int missing, int dst_side,
		   const char *reply);
/* A put in place (no --atomic) that failed once its STOR may have reached the server (rc):
 * what the server now holds under dst, asked with SIZE, appended to m (nothing when SIZE
 * fails): many servers (vsftpd) create or empty the file before the data connection. One
 * stopped (rc CURLE_ABORTED_BY_CALLBACK: a signal, --deadline), no SIZE asked here: held
 * is the server's size once it stopped growing ("is left partial: N bytes on the server",
 * libcurl's path: eng_put_curl_settle), PUT_HELD_UNSURE when it may still grow, or
 * PUT_HELD_SENT (own connections, the file's final reply awaited): "(sent bytes sent)". */
#define PUT_HELD_SENT (-1)
#define PUT_HELD_UNSURE (-2)
void ftp_put_left(char *m, size_t ml, struct ftp_site *s, const char *dst, CURLcode rc, long long sent,
		  long long held);
/* The clean-up of a temporary (or partial file) a failed transfer may have left on site:
 * DELE of path (relative to the login folder), on s->h (a fresh connection when the
 * transfer's broke), bounded by --timeout. A stopped copy (ftp_copy_stop) and a failed
 * --atomic put (ftp_put_tmp_left) use it. */
CURLcode ftp_tmp_dele(struct ftp_site *s, const char *path);
/* --atomic, never a short file under the final name: before the rename of an uploaded
 * temporary, the server's reply to SIZE of it (code, its line "213 N") against sent, the
 * bytes that went out. 0: the same, or a server without SIZE (500/502/504: the rename
 * goes on the 226 alone, as before; --ascii: the server's line ends make its size
 * another); -1: another size (a server that answered 226 for part of the file): err gets
 * the words of both paths (CURLE_PARTIAL_FILE, exit 3), the temporary is to be deleted.
 * putpipe.c's own connections send the SIZE with the RNFR; libcurl's path (a put, a
 * streamed copy) asks it after the STOR on the upload's handle (ftp_tmp_size_quote: the
 * POSTQUOTE "*SIZE" of dst's temporary, its reply in the handle's ftp_hdr), then, on
 * that handle in the engine's multi, the rename (ftp_tmp_rename_step: 0, h set up with
 * RNFR/RNTO in dst's folder, q and url its lists for the caller to free; -1 the size
 * check failed, err set, hdr cleared). */
int ftp_tmp_size_check(int code, const char *line, long long sent, char *err, size_t errlen);
/* A reply to SIZE that says the server has no SIZE command (500, 502, 504): its 226 is
 * taken for the size; any other reply but 213 fails the size check (a 550 or 450 to
 * the SIZE of a file just stored proves nothing whole). */
int ftp_size_unsupported(int code);
struct curl_slist *ftp_tmp_size_quote(CURL *h, const char *dst);
/* The POSTQUOTE "*SIZE" of path's name (in its folder) on h, the list returned (--resume's
 * check of the appended file, the temporary's above). */
struct curl_slist *ftp_size_quote(CURL *h, const char *path);
/* A download on libcurl's handle told to ignore sizes (CURLOPT_IGNORE_CONTENT_LENGTH:
 * never cut at a SIZE's count) that wants the size (the meter's total, the short check):
 * the PREQUOTE "*SIZE" of path's name appended to q (sent where libcurl's own SIZE went,
 * right before REST and RETR; a refusal ignored), hdr told to keep its answer (hdr_cb:
 * hdr->sized, hdr->announced). The list returned; q unchanged for an empty name. */
struct curl_slist *ftp_size_prequote(struct curl_slist *q, struct ftp_hdr *hdr, const char *path);
int ftp_tmp_rename_step(struct ftp_site *s, CURL *h, struct ftp_hdr *hdr, char *err, const char *dst, long long sent,
			struct curl_slist **q, char **url);
/* --atomic: a put that failed once its STOR may have reached the server (rc) left
 * its temporary: deleted (ftp_tmp_dele), as a failed copy's is; where that fails (no
 * connection, DELE refused), the temporary is named in m as left. */
void ftp_put_tmp_left(char *m, size_t ml, struct ftp_site *s, const char *dst, CURLcode rc);
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
	uint64_t uniq;         /* hash of the MLSD unique fact, 0: none */
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
/* path as it goes into a quote command (MKD, DELE, RNFR...): as given, relative paths
 * relative to the login folder (quote commands run after libcurl's CWD there). Caller frees. */
char *ftp_qpath(struct ftp_site *s, const char *path);
void ftp_die_curl(CURLcode rc, const char *what, const struct ftp_site *s) NT_NORETURN;
/* 1 when a failure is worth a retry (network, 4xx reply; not a refused login). */
int ftp_transient(CURLcode rc, const struct ftp_hdr *h);
/* The wait before retry number attempt (1, 2, ...): 0.5 s doubling, at most 30 s. */
long long ftp_backoff_ms(int attempt);

/* Join a remote folder and a name ("" + n = n, "/" + n = "/n"). Caller frees. */
char *ftp_join(const char *dir, const char *name);
const char *ftp_basename(const char *path);

/* glob.c: 1 when s has a glob character (* ? [). */
int ftp_has_glob(const char *s);
/* The remote paths that match pattern (a glob in any part; without one, the path
 * itself, type unknown, unchecked), sorted. Returns the count (0: no match; *out then
 * still to be freed) or -exitcode (a listing failed; message printed). */
struct ftp_match {
	char *path;
	enum ftp_etype type;
	int64_t size, mtime;   /* -1: unknown */
};
int ftp_glob(struct ftp_site *s, const char *pattern, struct ftp_match **out);
void ftp_matches_free(struct ftp_match *v, int n);

/* result.c: the end of one item (a file, a folder), reported under --json as one
 * object; every command and the engine report through it (NULL: not known/none;
 * bytes or seconds < 0: null). */
enum ftp_rstatus { FTP_R_DONE, FTP_R_FAILED, FTP_R_SKIPPED };
#define FTP_REASON_JOURNAL "done before (journal)"  /* a skip the journal vouches for */
#define FTP_REASON_UNSTARTED "not started"           /* a stopped run's item never begun */
void ftp_result(const char *cmd, const char *src, const char *dst, enum ftp_rstatus st, long long bytes,
		double seconds, const char *reason);
/* get --move: while on, the sources of "get" items done (or done before, per the
 * journal) are kept; ftp_moves_take hands them over (malloc'd array of strings). */
void ftp_moves_collect(int on);
size_t ftp_moves_take(char ***out);
/* A source collected as done that turned out not to be (its download was not put in place). */
void ftp_moves_forget(const char *src);

/* shell.c: the session of `ftp shell [TARGET]` (TARGET NULL: not connected yet);
 * returns the exit status. ftp_shell_words: its verbs, for completion. */
int ftp_shell(const char *target);
const char *ftp_shell_words(void);

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
	int64_t out_at;  /* GET to a stream (stdout, a device): bytes earlier attempts wrote to it */
	int busy_tries;  /* given back after a 421 on the run's last connection (busy.c) */
	long long ready_ms;
	struct job *next;
};
/* A source of jobs: next() fills j (strings malloc'd unless borrowed) and returns 1, or 0 at the end. */
struct jobsrc {
	int (*next)(struct jobsrc *src, struct job *j);
	void (*release)(struct jobsrc *src); /* NULL: free(src) */
	void *ctx;
	uint64_t total; /* 0: unknown */
	uint64_t skipped; /* items the source decided to skip (mirror --only-newer) */
	char *run;        /* --from-file, a tree (get -r, mirror, copy -r): "KIND\tBASE\tOTHER", the
			   * journal's run line (ftp status); malloc'd, freed by release */
	int tree;         /* a run over one tree: a journal of other folders is refused (journal.h) */
	int named;        /* items named on the command line: no folder of a run (journal.h's words) */
	int failed;       /* items the source refused (unsafe names) */
	int borrowed;     /* next() lends src and dst (valid until its next call): not malloc'd */
	/* When set (by the caller), a source that reads ahead shows it each job before it
	 * returns it (the engine prefetches the job's journal slot). */
	void (*ahead)(void *arg, const struct job *j);
	void *ahead_arg;
};
struct engine_result {
	uint64_t done, failed, skipped;
	uint64_t unstarted; /* of the failed: items a stopped run never began (eng_src_rest) */
	int rest_unknown;   /* and the rest of a list read as it goes, not counted */
	int worst;      /* highest exit class among failures */
};
/* Run every job of src (released at the end) between site a (remote side of get/put/rm, source of copy) and
 * b (destination of copy, else NULL). Returns the exit code for the batch. */
int engine_run(struct ftp_site *a, struct ftp_site *b, struct jobsrc *src, int summary);

/* The journal line of a job, without "done\t" and LF: "KIND\tSRC\tDST". Caller frees. */
/* copy.c: a copy onto itself (same site and path; for a tree (tree=1) also a destination
 * inside the source) dies with exit 2 before anything is sent. */
/* put of a local folder (refused before anything is sent: put sends files). */
#define FTP_PUT_DIR_MSG "it is a local folder: put sends files; mirror --reverse DIR TARGET uploads a folder"
#define FTP_PUT_NOTREG_MSG "not a regular file (a FIFO or a device): put sends files; '-' sends standard input"
void ftp_copy_same_check(struct ftp_site *a, const char *sp, struct ftp_site *b, const char *dp, int tree);
/* A remote path normalised by its text alone (no server asked, links not followed): "//"
 * and "." taken out, ".." takes the name before it away ("/.." is "/"; a relative path
 * keeps the ".." it cannot resolve), no trailing "/" but the root's. Allocated. */
char *ftp_path_lexnorm(const char *path);
char *ftp_job_key(const struct job *j);

/* durable.c: temporaries a rerun recognises, the sweep of a resumed run's leftovers, the
 * journal's failed lines. */
struct commit;
/* journal: its path (NULL: none); resumed: it existed; jtag: its tag line's value (NULL:
 * none: a fresh tag, which ftp_dur_record writes to the journal through the committer and
 * waits for, before anything is started). */
void ftp_dur_init(const char *journal, int resumed, const char *jtag);
void ftp_dur_record(struct commit *c);
int ftp_dur_tag_ok(const char *t, size_t n);
const char *ftp_dur_tag(void);
int ftp_dur_is_ours(const char *name, const char *tag);
void ftp_dur_sweep(const char *base, const char *rel);
char *ftp_dur_remote_tmp(const char *dst);
/* A put in place (no --atomic) in a rerun of a journal with a tag: the temporary an
 * earlier --atomic run of that journal left for dst (killed) deleted on site s. */
void ftp_dur_put_clean(struct ftp_site *s, const char *dst);
void ftp_dur_journal_failed(struct commit *c, const struct job *j, const char *why);

/* fxp.c: copy jobs straight from server a to server b (FXP), one per slot at once, each
 * slot on its own pair of control connections (kept between files; ftp_fxp_free closes
 * them all). ftp_fxp_start (*px: the slot's pair, made on first use): FXP_RUNNING,
 * FXP_STREAM (FXP is not possible here: stream this and every later file), FXP_FAILED
 * (*code, message in err). ftp_fxp_step, after a wait on ftp_fxp_fds' descriptors: never
 * waits; FXP_RUNNING, FXP_DONE (the file is in place, *bytes its size or -1; with --move
 * the source is deleted), FXP_MOVED (--move: the source is gone, the SIZE of the
 * destination under its final name answered: moved by an earlier run), FXP_STREAM or
 * FXP_FAILED. FXP_DROPPED (start or step): --fxp and the pair refused FXP for an earlier
 * file (ftp_fxp_refused: 1 from then on): this file is not begun, nor any later one (the
 * job ends with that one failure). A reply awaited longer than --timeout
 * is a failure (exit 3), except the end of the transfer itself (--deadline bounds it).
 * ftp_fxp_stop: give the file up (--deadline), its temporary deleted.
 * Two files at once (fxp.c): FXP_NEXT (step): this file's rename is sent, unanswered; the
 * pair takes the next job now (ftp_fxp_chain: j, or NULL when there is none) while this
 * one stays the slot's. FXP_TAIL (step or chain): that earlier file has ended, *code 0
 * (done, *bytes) or its failure (err); the slot reports it, makes the next job its own
 * (ftp_fxp_rebind) and steps again. FXP_AGAIN: the job under way is to begin afresh. */
enum { FXP_DONE = 0, FXP_STREAM = 1, FXP_FAILED = -1, FXP_RUNNING = 2, FXP_MOVED = 3, FXP_DROPPED = 4, FXP_NEXT = 5,
       FXP_TAIL = 6, FXP_AGAIN = 7 };
struct fxp;
struct curl_waitfd;
int ftp_fxp_start(struct fxp **px, struct ftp_site *a, struct ftp_site *b, const struct job *j, int *code, char *err,
		  size_t errlen);
int ftp_fxp_step(struct fxp *x, struct ftp_site *a, struct ftp_site *b, long long *bytes, int *code, char *err,
		 size_t errlen);
int ftp_fxp_fds(const struct fxp *x, struct curl_waitfd *w);
void ftp_fxp_stop(struct fxp *x, struct ftp_site *b);
int ftp_fxp_chain(struct fxp *x, struct ftp_site *a, struct ftp_site *b, const struct job *j, int *code, char *err,
		  size_t errlen);
void ftp_fxp_rebind(struct fxp *x, const struct job *j);
/* The file that failed last on x was one the source does not have (550 to its SIZE, or to
 * its RETR at once): the engine may say it is a folder (eng_src_folder), as streamed. */
int ftp_fxp_src_missing(const struct fxp *x);
void ftp_fxp_free(void);
int ftp_fxp_refused(void);

/* getpipe.c: the batch get of plain FTP on our own control connections, one per slot
 * (*pg: made on first use, kept between files; ftp_gp_free closes them all). ftp_gp_start
 * begins the remote file path: GP_RUNNING, GP_CURL (not possible here, e.g. a proxy: the
 * file and the rest of the run go through libcurl) or GP_FAILED. ftp_gp_step, after a wait
 * on ftp_gp_fds' descriptors, never waits: the data go to sink (0, or -1 to fail the
 * file); GP_RUNNING, GP_DONE (data whole, 2xx final reply), GP_CURL, or GP_FAILED with
 * *rc the CURLcode libcurl would have given and hdr the server's reply that caused it (if
 * any). ftp_gp_stop: the file given up (--deadline), its connection closed;
 * ftp_gp_close_idle: the connections without a file closed (the run has gone over to
 * libcurl: they would count against the server's limit of connections). */
enum { GP_DONE = 0, GP_CURL = 1, GP_FAILED = -1, GP_RUNNING = 2 };
struct gpipe;
int ftp_gp_start(struct gpipe **pg, struct ftp_site *a, const char *path, int *rc, struct ftp_hdr *hdr, char *err,
		 size_t errlen);
int ftp_gp_step(struct gpipe *g, struct ftp_site *a, int (*sink)(void *arg, const char *p, size_t n), void *arg,
		int *rc, struct ftp_hdr *hdr, char *errbuf);
/* ftp_gp_fds: g's descriptors into w from index at (their number; where they went is kept);
 * after the wait, ftp_gp_events: which of them it found readable (revents: CURL_WAIT_POLLIN,
 * GP_WAIT_HUP for a peer's end seen; every: not known, every one is tried); ftp_gp_due: 1 when
 * g has something to step for (a descriptor found readable, or a file just begun). */
#define GP_WAIT_HUP 0x100
int ftp_gp_fds(struct gpipe *g, struct curl_waitfd *w, int at);
void ftp_gp_events(struct gpipe *g, const struct curl_waitfd *w, int every);
int ftp_gp_due(const struct gpipe *g);
void ftp_gp_stop(struct gpipe *g);
void ftp_gp_close_idle(void);
/* ftp_gp_pause: on, the data connection is neither waited on nor read (a sink that is
 * full: the copy's pipe, copy.c); off, read again. A sink is handed at most GP_READ_MAX
 * bytes at a time. */
#define GP_READ_MAX (64 << 10)
void ftp_gp_pause(struct gpipe *g, int on);
/* ftp_gp_single, after ftp_gp_start: a single file (get HOST:FILE): SIZE asked before its
 * RETR (hdr->announced when the 150 names no size: the meter's total, the short check), and
 * with splice_to >= 0 its data spliced into that pipe (at most GP_SPLICE_MAX a call), the
 * sink then called with p NULL for the n bytes that wait there (it must take them all). */
#define GP_SPLICE_MAX (1 << 20)
void ftp_gp_single(struct gpipe *g, int splice_to);
/* The file's data have ended and its final reply is still to come: 1 when the next file may
 * be asked for now (ftp_gp_chain: EPSV, and when path (NULL: none known) is in the same
 * folder its RETR too, behind the 226; ftp_gp_start with that path goes on from there; with
 * another, the connection is closed and opened again). */
int ftp_gp_wants_next(const struct gpipe *g);
void ftp_gp_chain(struct gpipe *g, const char *path);
void ftp_gp_free(void);

/* status.c: ftp status over the journals (no server); exit 0 when every item is done. */
int ftp_status(int njournals, const char *const *journals);

/* shard.c: --shard K/N, auto (Slurm job array) or auto/N (Kubernetes Indexed Job) into
 * ftp_cf.shard_k and shard_n; dies with a usage error naming what it looked for. */
void ftp_shard_resolve(const char *spec);

/* local.c: a GET's local file as *dir (its folder), *base (the user's folder) and *rel
 * (the path below it), all malloc'd; the folders of rel made below base without
 * following a symlink, unless *dir is *made_dir (updated). 0 or -1 (err). --resume's
 * file opened for appending the same way: 1 (*fd, *size; a file not there yet: *fd -1,
 * *size 0, to be made in place at the first byte, so that a stop leaves what came), 0
 * (not a regular file: downloaded afresh to a temporary) or -1 (err). */
int ftp_local_prepare(const struct job *j, char **made_dir, char **dir, char **base, char **rel, char *err,
		      size_t errlen);
int ftp_local_resume(const char *base, const char *rel, int *fd, off_t *size, char *err, size_t errlen);
/* The exit status of a local failure just met below the user's folder base (errno e):
 * 1 when a symlink or a non-folder below it was refused (a refused item, nettool-ftp(1)),
 * else 6 (local I/O: base itself unusable, permissions, space). */
int ftp_local_fail_code(const char *base, int e);
/* A job source over an array (taken over) and over a list file (streamed). */
struct jobsrc *jobsrc_array(struct job *jobs, size_t n);
/* An array source's items (before any is taken): its array in *v, their number. */
size_t jobsrc_array_items(const struct jobsrc *src, const struct job **v);
long long ftp_now_ms(void);

#endif
