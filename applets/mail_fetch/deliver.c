/* SPDX-License-Identifier: MIT */
/* deliver.c - what the destination kinds share: opening one (its operations table), the
 * batch of messages being written, the frame of a batch commit (the kind makes the batch
 * durable and records it; here the keys are handed back and --exec is run), the recovery
 * of a batch that a crash interrupted, and the commands run per message (--mda, --exec).
 *
 * Header: deliver.h    Tests: tests/unit/check_mail_fetch.c, tests/integration/mail_fetch*.sh
 *
 * The kinds: dest_maildir.c, dest_mbox.c, dest_stdout.c, dest_mda.c; spool.c is the
 * spool file of the last three.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commit.h"
#include "deliver.h"
#include "knobs.h"
#include "nt_err.h"
#include "parse.h"
#include "stopsig.h"

/* The environment no command of ours inherits: the password (cred.c reads it). */
static const char *const secret_env[] = {"NETTOOL_PASSWORD"};

int mf_crash_at(const char *name)
{
	const char *e = nt_test_knob("NETTOOL_MAIL_CRASH");
	return e && !strcmp(e, name);
}

/* The test build only: NETTOOL_MAIL_CRASH=POINT kills the process there (the crash test's
 * worst moments, made deterministic): after-state, mid-append, after-append. */
void mf_crash_point(const char *name)
{
	if (mf_crash_at(name))
		raise(SIGKILL);
}

int mf_dest_open(struct dest *d, enum dest_kind kind, const char *path, const char *mda, char *err, size_t errlen)
{
	static const struct dest_ops *const ops[] = {
		[DEST_MAILDIR] = &mf_maildir_ops,
		[DEST_MBOX] = &mf_mbox_ops,
		[DEST_STDOUT] = &mf_stdout_ops,
		[DEST_MDA] = &mf_mda_ops,
	};
	memset(d, 0, sizeof *d);
	d->ops = ops[kind];
	d->kind = kind;
	d->spool_fd = d->cur_fd = d->tmp_fd = d->new_fd = -1;
	d->mda = mda;
	d->hash = MBOX_FNV_INIT;
	d->no_sync = nt_test_knob("NETTOOL_MAIL_NOSYNC") != NULL;
	if (d->no_sync)
		nt_warn("WARNING: NETTOOL_MAIL_NOSYNC is set: nothing is fsynced, a crash can lose messages "
			"(--delete included); it is for tests only");
	d->path = path ? xstrdup(path) : NULL;
	if (kind != DEST_MDA) {
		d->commit = commit_start(&(struct commit_conf){.journal_fd = -1}, err, errlen);
		if (!d->commit)
			return -1;
	}
	return d->ops->open(d, err, errlen);
}

static void batch_clear(struct dest *d, int remove_files)
{
	if (d->ops->clear)
		d->ops->clear(d, remove_files);
	for (size_t i = 0; i < d->n; i++) {
		free(d->m[i].key);
		free(d->m[i].name);
	}
	d->n = 0;
}

static void held_free(struct dest *d)
{
	for (size_t i = 0; i < d->nheld; i++)
		free(d->held[i].key), free(d->held[i].name);
	free(d->held);
	d->held = NULL;
	d->nheld = 0;
}

void mf_dest_close(struct dest *d)
{
	if (!d->ops)
		return;
	if (d->writing)
		mf_dest_msg_abort(d);
	batch_clear(d, 1);
	if (d->ops->close)
		d->ops->close(d);
	char err[600];
	if (d->commit && commit_finish(d->commit, err, sizeof err) < 0)
		nt_warn("%s", err); /* nothing recorded depends on what failed */
	free(d->m);
	held_free(d);
	free(d->keys);
	free(d->path);
	memset(d, 0, sizeof *d);
	d->spool_fd = d->cur_fd = d->tmp_fd = d->new_fd = -1;
}

size_t mf_dest_batch_count(const struct dest *d)
{
	return d->n;
}

uint64_t mf_dest_batch_bytes(const struct dest *d)
{
	uint64_t b = 0;
	for (size_t i = 0; i < d->n; i++)
		b += d->m[i].in_size;
	return b;
}

int mf_dest_msg_begin(struct dest *d, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	d->writing = 1; /* first: a begin that dies half-way is aborted (and freed) at exit */
	d->ops->msg_begin(d);
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->m = xrealloc(d->m, d->cap * sizeof *d->m);
	}
	memset(&d->m[d->n], 0, sizeof d->m[d->n]);
	return 0;
}

int mf_dest_msg_write(void *arg, const char *p, size_t n)
{
	struct dest *d = arg;
	if (mbox_write(&d->w, p, n) < 0)
		return -1;
	return d->ops->msg_wrote ? d->ops->msg_wrote(d) : 0;
}

const char *mf_dest_msg_header(struct dest *d, size_t *len)
{
	*len = d->w.hlen;
	return d->w.hdr;
}

void mf_dest_msg_abort(struct dest *d)
{
	if (!d->writing)
		return;
	d->writing = 0;
	d->ops->msg_abort(d);
	mbox_writer_free(&d->w);
}

int mf_dest_msg_end(struct dest *d, const char *key, char *err, size_t errlen)
{
	struct dmsg *m = &d->m[d->n];
	if (mbox_writer_finish(&d->w) < 0) {
		snprintf(err, errlen, "writing %s: %s", d->cur_name ? d->cur_name : "the spool", strerror(d->w.err));
		mf_dest_msg_abort(d);
		return -1;
	}
	char mid[1024];
	if (mf_mail_header(d->w.hdr, d->w.hlen, "Message-ID", mid, sizeof mid))
		mf_state_clean_msgid(m->msgid, sizeof m->msgid, mid);
	m->in_size = d->w.in_bytes;
	m->key = xstrdup(key);
	if (d->ops->msg_end(d, m, err, errlen) < 0) {
		free(m->key);
		m->key = NULL;
		mf_dest_msg_abort(d);
		return -1;
	}
	mbox_writer_free(&d->w);
	d->writing = 0;
	d->n++;
	return 0;
}

/* Our environment without the secrets, plus add (NULL-terminated): built before the fork,
 * so the child (of a process with a committer thread) only calls execve. The strings are
 * borrowed; free the array. */
static char **child_env(char *const add[])
{
	extern char **environ;
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	for (size_t i = 0; add && add[i]; i++)
		n++;
	char **env = xcalloc(n + 1, sizeof *env);
	for (size_t i = 0; environ[i]; i++) {
		size_t l = strcspn(environ[i], "=");
		int drop = 0; /* a secret, or a name add[] sets */
		for (size_t j = 0; j < sizeof secret_env / sizeof *secret_env; j++)
			if (strlen(secret_env[j]) == l && !strncmp(environ[i], secret_env[j], l))
				drop = 1;
		for (size_t j = 0; add && add[j]; j++)
			if (!strncmp(environ[i], add[j], l + 1))
				drop = 1;
		if (!drop)
			env[k++] = environ[i];
	}
	for (size_t i = 0; add && add[i]; i++)
		env[k++] = add[i];
	return env;
}

int mf_run_cmd(const char *cmd, int spool, uint64_t off, uint64_t len, char *const env_add[])
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	char **env = child_env(env_add);
	char *const argv[] = {"sh", "-c", (char *)cmd, NULL};
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]), close(p[1]);
		free(env);
		return -1;
	}
	if (pid == 0) {
		dup2(p[0], 0);
		/* Only 0-2: not the server connection (libcurl's sockets are not close-on-exec),
		 * the pipe's other end, or anything our caller left open. */
		close_range(3, ~0U, 0);
		signal(SIGPIPE, SIG_DFL);
		execve("/bin/sh", argv, env);
		_exit(127);
	}
	free(env);
	close(p[0]);
	char e[64];
	if (spool >= 0)
		mf_copy_range(spool, off, len, p[1], e, sizeof e); /* a command that stops reading is its business */
	close(p[1]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void run_exec(struct dest *d, const struct dmsg *m)
{
	char *env[4] = {NULL};
	env[0] = xasprintf("NETTOOL_MAILBOX=%s", d->mailbox ? d->mailbox : "");
	env[1] = xasprintf("NETTOOL_MESSAGE_ID=%s", m->msgid);
	char *file = d->ops->file(d, m);
	env[2] = xasprintf("NETTOOL_FILE=%s", file);
	free(file);
	int rc = mf_run_cmd(d->exec, -1, 0, 0, env);
	if (rc != 0)
		nt_warn("--exec command exited %d", rc);
	free(env[0]), free(env[1]), free(env[2]);
}

void mf_dest_key_room(struct dest *d, size_t n)
{
	if (d->kcap < n) {
		d->kcap = n;
		d->keys = xrealloc(d->keys, d->kcap * sizeof *d->keys);
	}
}

int mf_dest_commit(struct dest *d, struct mf_state *st, char ***delivered, char *err, size_t errlen)
{
	size_t nk = 0;
	mf_dest_key_room(d, d->n + 1);
	if (delivered)
		*delivered = d->keys;
	if (!d->n)
		return 0;
	if (d->spool_len == UINT64_MAX) {
		snprintf(err, errlen, "the spool file could not be cut back after a failed message");
		return -1;
	}
	/* Delivered (an --mda command run, standard output written) and recorded in the state
	 * file, or neither: a second SIGINT/SIGTERM of a watch waits for the state's save (a
	 * delivery the state missed would be made again by the next run). Bounded by what
	 * it waits for: the --mda command's own end, the disk. */
	stopsig_hold();
	int rc = d->ops->commit(d, st, &nk, err, errlen);
	stopsig_unhold();
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < d->n; i++)
		d->delivered_bytes += d->m[i].in_size;
	if (d->exec)
		for (size_t i = 0; i < d->n; i++)
			run_exec(d, &d->m[i]);
	/* The keys point into the batch: keep it until the next commit by moving it out. */
	held_free(d);
	d->held = d->m;
	d->nheld = d->n;
	d->m = NULL;
	d->n = d->cap = 0;
	batch_clear(d, 0);
	return (int)nk;
}

int mf_dest_settle(struct dest *d, struct mf_state *st, char *err, size_t errlen)
{
	return d->ops->settle ? d->ops->settle(d, st, err, errlen) : 0;
}

int mf_dest_recover(struct dest *d, struct mf_state *st, char *err, size_t errlen)
{
	int changed = 0;
	if (d->ops->recover && d->ops->recover(d, st, &changed, err, errlen) < 0)
		return -1;
	if (changed)
		return mf_state_save(st, err, errlen);
	return 0;
}
