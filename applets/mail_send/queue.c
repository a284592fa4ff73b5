/* SPDX-License-Identifier: MIT */
/* queue.c - mail-send's queue (a Maildir-like folder: tmp/, new/, cur/, failed/) and
 * --flush, which sends it over one connection. Every sync goes through core/commit; the
 * promise: after a power loss at most one message is sent twice (see mark_sent).
 *
 * Header: applets/mail_send/mail_send.h    Tests: tests/integration/mail_send_queue.sh
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "commit.h"
#include "file.h"
#include "json.h"
#include "log.h"
#include "mail_send.h"
#include "nt_err.h"

/* ---- the queue ---- */

static void queue_dirs(const char *dir)
{
	static const char *const sub[] = {"tmp", "new", "cur", "failed"};
	for (size_t i = 0; i < 4; i++) {
		char *p = xasprintf("%s/%s", dir, sub[i]);
		if (file_mkdirs(p, 0700) < 0)
			die_sys(NT_EXIT_IO, "%s", p);
		free(p);
	}
}

static char *queue_name(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	char host[256];
	ms_host_name(host, sizeof host);
	return xasprintf("%lld.M%06ldP%ldR%08llx.%s", (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
			 ms_random64() & 0xffffffffULL, host);
}

/* The flush's (or --queue's) committer: every sync of the queue goes through it. */
static struct commit *QC;

static struct commit *queue_commit(void)
{
	if (!QC) {
		char err[600];
		/* Eager: the mark of a sent message is synced at once, while the next one goes out. */
		QC = commit_start(&(struct commit_conf){.journal_fd = -1, .flags = COMMIT_EAGER}, err, sizeof err);
		if (!QC)
			die(NT_EXIT_IO, "%s", err);
	}
	return QC;
}

/* Everything queued to the committer durable: 0, or -1 with err. */
static int queue_durable(char *err, size_t errlen)
{
	return commit_wait(queue_commit(), err, errlen);
}

static void queue_commit_end(void)
{
	char err[600];
	if (QC && commit_finish(QC, err, sizeof err) < 0)
		nt_warn("--flush: %s", err);
	QC = NULL;
}

/* Write data whole into DIR/SUB/NAME: created in tmp/ under a name of its own, synced,
 * renamed into place, the folder synced (core/commit); 0, or -1 with err. */
static int queue_write(const char *dir, const char *sub, const char *name, const char *data, size_t len, char *err,
		       size_t errlen)
{
	char *tmp = xasprintf("%s/tmp/%s.%016llx", dir, name, ms_random64());
	char *final = xasprintf("%s/%s/%s", dir, sub, name);
	char *copy = xmalloc(len ? len : 1);
	memcpy(copy, data, len);
	commit_write(queue_commit(), tmp, final, copy, len, NULL); /* a failure is told by the wait */
	return queue_durable(err, errlen);
}

int ms_queue(const char *from, const struct strv *rcpts, const char *msg, size_t len)
{
	queue_dirs(mail_send_cf.queue);
	struct buf b;
	buf_init(&b, 0);
	msg_put_envelope(&b, from, rcpts);
	if (buf_append(&b, msg, len) < 0)
		die(NT_EXIT_IO, "out of memory");
	char *name = queue_name();
	char err[512];
	if (queue_write(mail_send_cf.queue, "new", name, buf_head(&b), buf_pending(&b), err, sizeof err) < 0)
		die(NT_EXIT_IO, "--queue: %s", err);
	queue_commit_end();
	log_trace("queued %s/new/%s", mail_send_cf.queue, name);
	free(name);
	buf_free(&b);
	return 0;
}

static int name_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Durable "sent" marks without a stall per message: after a sent file's rename from
 * new/ into cur/, the committer (core/commit, eager) syncs new/ while the next message
 * goes out, and the next message's last bytes wait for that sync (smtp.c's before_end
 * hook). So, as with a sync after each rename, at most one message at a time is accepted
 * by the server and not yet durably out of new/; only the sync overlaps the network.
 * Marks are never grouped across messages: each waits for the one before. The sent file
 * in cur/ is removed by the committer's remover, off the flush's path; what a killed
 * flush leaves there is removed by the next one (purge_sent). */
static void mark_sent(const char *dir, char *sent)
{
	struct commit *c = queue_commit();
	commit_dir(c, xasprintf("%s/new", dir), NULL);
	commit_unlink(c, sent);
}

/* Wait until every mark so far is durable: 0, or -1 when a sync failed. */
static int marks_durable(void *arg)
{
	char err[600];
	(void)arg;
	return queue_durable(err, sizeof err);
}

struct flush_count {
	size_t sent, deferred, failed, done; /* done: files gone from new/ */
};

/* rename() that never replaces: 0, or -1 with errno (EEXIST when to exists). */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: link() never replaces either (a folder
	 * cannot be linked: checked, then renamed; only one flush runs at a time). */
	if (link(from, to) == 0)
		return unlink(from);
	if (errno != EPERM)
		return -1;
	struct stat st;
	if (lstat(to, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

/* Write data whole into DIR/tmp under a new name (synced); returns that path, or NULL. */
static char *stage(const char *dir, const char *data, size_t len, char *err, size_t errlen)
{
	char *tname = xasprintf("failed.%ld.%016llx", (long)getpid(), ms_random64());
	char *path = NULL;
	if (queue_write(dir, "tmp", tname, data, len, err, errlen) == 0)
		path = xasprintf("%s/tmp/%s", dir, tname);
	free(tname);
	return path;
}

/* Put a message (msg_src, moved) and its reply record (reply_src, moved) into DIR/failed
 * as NAME and NAME.reply, or NAME.2 and NAME.2.reply, ...: an earlier failure of the same
 * queue file (a recipient deferred first, refused later) is never overwritten. */
static int place_failed(const char *dir, const char *name, const char *msg_src, const char *reply_src, char *err,
			size_t errlen)
{
	char *fdir = xasprintf("%s/failed", dir);
	int r = -1;
	for (unsigned k = 1; k < 100000 && r < 0; k++) {
		char *base = k == 1 ? xasprintf("%s/%s", fdir, name) : xasprintf("%s/%s.%u", fdir, name, k);
		char *rpath = xasprintf("%s.reply", base);
		struct stat st;
		int e = 0;
		if (lstat(base, &st) == 0 || lstat(rpath, &st) == 0) {
			e = EEXIST;
		} else if (rename_noreplace(reply_src, rpath) < 0) {
			e = errno;
		} else if (rename_noreplace(msg_src, base) < 0) {
			e = errno;
			if (rename(rpath, reply_src) < 0) /* put the record back for the next try */
				e = errno;
		} else {
			r = 0;
		}
		if (r < 0 && e != EEXIST) {
			snprintf(err, errlen, "%s: %s", base, strerror(e));
			free(base);
			free(rpath);
			break;
		}
		free(base);
		free(rpath);
	}
	if (r == 0) {
		commit_dir(queue_commit(), fdir, NULL);
		r = queue_durable(err, errlen);
	} else {
		free(fdir);
	}
	return r;
}

/* Move a message (or the part of its envelope that failed) to DIR/failed, with the
 * server's replies in NAME.reply. */
static int queue_fail(const char *dir, const char *name, const char *from, const struct strv *rcpts, const char *msg,
		      size_t len, const char *replies)
{
	char err[512];
	struct buf b;
	buf_init(&b, 0);
	if (rcpts)
		msg_put_envelope(&b, from, rcpts);
	if (buf_append(&b, msg, len) < 0)
		die(NT_EXIT_IO, "out of memory");
	int r = -1;
	char *rs = stage(dir, replies, strlen(replies), err, sizeof err);
	char *ms = rs ? stage(dir, buf_head(&b), buf_pending(&b), err, sizeof err) : NULL;
	if (ms)
		r = place_failed(dir, name, ms, rs, err, sizeof err);
	if (r < 0) {
		nt_warn("--flush: %s", err);
		if (rs)
			unlink(rs);
		if (ms)
			unlink(ms);
	}
	free(rs);
	free(ms);
	buf_free(&b);
	return r;
}

/* Move a queue file that cannot be sent to DIR/failed as it is, with the reason in
 * NAME.reply. 0 or -1 (warned). */
static int queue_fail_file(const char *dir, const char *name, const char *path, const char *why)
{
	char err[512];
	int r = -1;
	char *rs = stage(dir, why, strlen(why), err, sizeof err);
	if (rs)
		r = place_failed(dir, name, path, rs, err, sizeof err);
	if (r < 0) {
		nt_warn("--flush: %s", err);
		if (rs)
			unlink(rs);
	}
	free(rs);
	return r;
}

/* Send one queued file; 0 when the flush goes on, else the exit code that stops it. */
/* A failure that is this machine's, not the queue file's (no memory, no descriptors):
 * the flush stops and the message stays queued; anything else (EIO included: that file's
 * blocks) sends the file to failed/ so that it cannot block the queue. */
static int ours(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOMEM;
}

static int flush_one(struct smtp_sess *s, const char *dir, const char *name, struct flush_count *fc, int *fail)
{
	char *path = xasprintf("%s/new/%s", dir, name);
	static struct buf b; /* reused from file to file */
	/* O_NONBLOCK: a FIFO must not hang the flush. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT) {
		free(path);
		return 0;
	}
	if (fd < 0 && ours(errno)) {
		nt_warn_sys("--flush: %s", path); /* ours, not the file's: stop, keep it queued */
		free(path);
		return NT_EXIT_IO;
	}
	/* A file that cannot be sent (unreadable, not a regular file, too large) goes to
	 * failed/ with the reason, and the flush goes on: it must not block the queue. */
	char *reason = NULL;
	struct stat fst;
	if (fd < 0)
		reason = xasprintf("cannot open the queue file: %s\n", strerror(errno));
	else if (fstat(fd, &fst) < 0)
		reason = xasprintf("cannot stat the queue file: %s\n", strerror(errno));
	else if (!S_ISREG(fst.st_mode))
		reason = xasprintf("not a regular file\n");
	else if (fst.st_size > (off_t)QFILE_MAX)
		reason = xasprintf("queue file larger than %u MiB\n", QFILE_MAX >> 20);
	if (!reason) {
		buf_reset(&b);
		int rr = ms_read_bounded(fd, &b, QFILE_MAX);
		if (rr == -1 && ours(errno)) {
			nt_warn_sys("--flush: reading %s", path); /* stop, keep it queued */
			close(fd);
			free(path);
			return NT_EXIT_IO;
		}
		if (rr == -1)
			reason = xasprintf("cannot read the queue file: %s\n", strerror(errno));
		else if (rr == -2)
			reason = xasprintf("queue file larger than %u MiB\n", QFILE_MAX >> 20);
	}
	if (fd >= 0)
		close(fd);
	if (reason) {
		nt_warn("--flush: %s: %.*s: moved to failed/", path, (int)strlen(reason) - 1, reason);
		if (queue_fail_file(dir, name, path, reason) == 0)
			fc->done++;
		fc->failed++;
		*fail = 1;
		free(reason);
		free(path);
		return 0;
	}
	const char *p = buf_head(&b);
	size_t n = buf_pending(&b), off;
	char *from = NULL, err[300];
	struct strv rcpts = {0};
	int stop = 0;
	if (msg_parse_envelope(p, n, &from, &rcpts, &off, err, sizeof err) < 0) {
		char *why = xasprintf("malformed queue file: %s\n", err);
		nt_warn("--flush: %s: %s", path, err);
		if (queue_fail(dir, name, NULL, NULL, p, n, why) == 0 && unlink(path) == 0)
			fc->done++;
		free(why);
		fc->failed++;
		*fail = 1;
		goto out;
	}
	struct smtp_result r;
	smtp_send(s, from, &rcpts, p + off, n - off, &r);
	if (queue_durable(err, sizeof err) < 0) { /* the previous message's mark is not durable: stop */
		nt_warn("--flush: %s", err);
		stop = NT_EXIT_IO;
		smtp_result_free(&r);
		goto out;
	}
	if (r.rc != CURLE_OK && !ms_server_decided(&r) && r.final.code != 250) {
		stop = ms_transfer_error(&r, name);
		smtp_result_free(&r);
		goto out;
	}
	if (ms_auth_wanted(&r)) {
		stop = NT_EXIT_TLS;
		smtp_result_free(&r);
		goto out;
	}
	struct strv keep = {0}, bad = {0};
	struct buf replies;
	buf_init(&replies, 0);
	size_t ok = 0;
	for (size_t i = 0; i < rcpts.n; i++) {
		const struct smtp_reply *why;
		enum rstat st = ms_rcpt_status(&r, i, &why);
		if (mail_send_cf.json)
			ms_json_rcpt(rcpts.v[i], st, why, name);
		if (st == R_ACCEPTED)
			ok++;
		else if (st == R_DEFERRED)
			strv_push(&keep, rcpts.v[i]);
		else {
			strv_push(&bad, rcpts.v[i]);
			xbuf_appendf(&replies, "%s: %s\n", rcpts.v[i], why->code ? why->text : "no reply");
		}
		if (st != R_ACCEPTED && !mail_send_cf.json)
			nt_warn("%s: %s %s: %s", name, rcpts.v[i], ms_rstat_name[st], why->code ? why->text : "no reply");
	}
	/* Failed recipients first (so a crash here loses nothing), then the queue file. */
	if (bad.n && queue_fail(dir, name, from, &bad, p + off, n - off, buf_head(&replies)) < 0) {
		stop = NT_EXIT_IO;
	} else if (keep.n == rcpts.n) {
		/* all deferred: the file stays as it is */
	} else if (keep.n) {
		struct buf nb;
		buf_init(&nb, 0);
		msg_put_envelope(&nb, from, &keep);
		xbuf_append(&nb, p + off, n - off);
		if (queue_write(dir, "new", name, buf_head(&nb), buf_pending(&nb), err, sizeof err) < 0) {
			nt_warn("--flush: %s", err);
			stop = NT_EXIT_IO;
		}
		buf_free(&nb);
	} else {
		/* Sent: out of new/ at once (a rename is atomic), and new/ synced before the
		 * server can accept the next message (mark_sent, marks_durable), so that a
		 * power loss cannot bring an accepted message back into new/ to be sent
		 * again; cur/ is emptied when the flush ends, or by the next one if this
		 * process dies first. */
		char *sent = xasprintf("%s/cur/%s", dir, name);
		if (rename(path, sent) < 0 && errno != ENOENT) {
			nt_warn_sys("--flush: %s", path);
			stop = NT_EXIT_IO;
			free(sent);
		} else {
			fc->done++;
			mark_sent(dir, sent);
		}
	}
	if (ok)
		fc->sent++;
	if (keep.n)
		fc->deferred++;
	if (bad.n)
		fc->failed++;
	if (keep.n || bad.n)
		*fail = 1;
	strv_free(&keep);
	strv_free(&bad);
	buf_free(&replies);
	smtp_result_free(&r);
out:
	free(from);
	strv_free(&rcpts);
	free(path);
	return stop;
}

/* Delete what an earlier flush sent (DIR/cur). */
static void purge_sent(const char *dir)
{
	char *cur = xasprintf("%s/cur", dir);
	struct dirent **ents;
	int n = scandir(cur, &ents, name_filter, NULL);
	for (int i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", cur, ents[i]->d_name);
		if (unlink(p) < 0 && errno != ENOENT)
			nt_warn_sys("--flush: %s", p);
		free(p);
		free(ents[i]);
	}
	if (n > 0) {
		free(ents);
		commit_dir(queue_commit(), cur, NULL); /* tidying only: not waited for */
	} else {
		free(cur);
	}
}

int ms_flush(const char *dir)
{
	queue_dirs(dir);
	char *lockp = xasprintf("%s/.flush.lock", dir);
	int lk = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lk < 0)
		die_sys(NT_EXIT_IO, "--flush: %s", lockp);
	if (file_lock_run(lk) != 0)
		die(NT_EXIT_FAIL, "--flush: another flush of %s is running", dir);
	purge_sent(dir);
	char *newdir = xasprintf("%s/new", dir);
	struct dirent **ents;
	int n = scandir(newdir, &ents, name_filter, alphasort);
	if (n < 0)
		die_sys(NT_EXIT_IO, "--flush: %s", newdir);
	struct flush_count fc = {0};
	int rc = 0, fail = 0;
	if (n > 0) {
		struct smtp_sess s;
		struct server sv;
		struct cred c;
		ms_open_session(&s, &sv, &c);
		s.before_end = marks_durable;
		for (int i = 0; i < n && !rc; i++)
			rc = flush_one(&s, dir, ents[i]->d_name, &fc, &fail);
		char err[600];
		if (queue_durable(err, sizeof err) < 0 && !rc) {
			nt_warn("--flush: %s", err);
			rc = NT_EXIT_IO;
		}
		log_trace("%ld connection%s", s.connects, s.connects == 1 ? "" : "s");
		smtp_close(&s);
		cred_free(&c);
		free(sv.url);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	queue_commit_end(); /* the removals of cur/ done */
	purge_sent(dir);
	queue_commit_end();
	if (n > 0)
		log_info("flush %s: %zu sent, %zu deferred, %zu failed, %zu left in the queue", dir, fc.sent, fc.deferred,
			 fc.failed, (size_t)n - fc.done);
	free(newdir);
	free(lockp);
	close(lk);
	return rc ? rc : fail ? NT_EXIT_FAIL : 0;
}

