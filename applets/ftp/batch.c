/* SPDX-License-Identifier: MIT */
/* batch.c - ftp's batch commands: get (files, globs, -r, --from-file, --move), put, rm and
 * copy turned into job lists for the batch engine (engine.c); the command line is main.c.
 *
 * Header: applets/ftp/cli.h    Man page: man/nettool-ftp.1
 * Tests: tests/integration/ftp_batch.sh, tests/integration/ftp_copysafe.sh, tests/integration/ftp_ux.sh
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "file.h"
#include "ftp.h"
#include "journal.h"
#include "log.h"
#include "nt_err.h"
#include "opt.h"
#include "tree.h"

/* Growable job array. */
struct jobs {
	struct job *v;
	size_t n, cap;
};

static void jobs_add(struct jobs *js, enum job_kind k, char *src, char *dst, int64_t size, int64_t mtime)
{
	if (js->n == js->cap) {
		js->cap = js->cap ? js->cap * 2 : 16;
		js->v = xrealloc(js->v, js->cap * sizeof *js->v);
	}
	js->v[js->n++] = (struct job){.kind = k, .src = src, .dst = dst, .size = size, .mtime = mtime};
}

static void jobs_free(struct jobs *js)
{
	for (size_t i = 0; i < js->n; i++) {
		free(js->v[i].src);
		free(js->v[i].dst);
	}
	free(js->v);
}

/* A command line's items as a job source, with the journal run line of the list that
 * would make them (its target: KIND\tBASE\tOTHER), so a journal of another command,
 * server or options is refused as a list's is. */
static struct jobsrc *cmdline_src(struct jobs *js, const char *kind, const char *base, const char *other)
{
	struct jobsrc *src = jobsrc_array(js->v, js->n);
	jobsrc_run_line(src, kind, base, other);
	src->named = 1;
	return src;
}

/* Worse of two exit codes (0 < 1 < the classes). */
static int worse(int a, int b)
{
	return a > b ? a : b;
}

/* CMD --from-file LIST TARGET: the list's lines, relative to TARGET's path (and to the local
 * folder dir for get), as one batch; *site (if asked) gets TARGET's site. */
/* copy and put --from-file: a destination folder that cannot be entered is said once,
 * before the files (in the words a file's failure would use: ftp_folder_why), not once per
 * file, FXP or streamed (copy -r checks the same in tree.c). 1 when it is missing. */
static int dst_folder_missing(const char *cmd, struct ftp_site *b, const char *dp)
{
	if (!dp[0] || ftp_isdir(b, dp) == 1)
		return 0;
	char m[600], *in = ftp_join(dp, "x"); /* a name inside it: ftp_folder_why names its folder */
	ftp_folder_why(m, sizeof m, b, in, 0, 1, NULL);
	nt_warn("%s: %s", cmd, m);
	free(in);
	return 1;
}

static int from_file(const char *what, enum job_kind k, const char *dir, struct ftp_site **site)
{
	char *base;
	cli_need_args(what, 1, 1);
	ftp_journal_check_targets(eng_kind_name(k), cli_args[0], NULL); /* before the login */
	struct ftp_site *s = cli_remote(cli_args[0], &base);
	if (k == JOB_PUT && !ftp_cf.create_dirs && dst_folder_missing("put", s, base)) {
		free(base);
		return NT_EXIT_FAIL;
	}
	struct jobsrc *src = jobsrc_lines(ftp_cf.from_file, k, base, dir);
	free(base);
	if (site)
		*site = s;
	return engine_run(s, NULL, src, 1);
}

/* get -r of one remote folder: the mirror engine into DIR/BASENAME (DIR for the login folder). */
static int get_tree(struct ftp_site *s, const char *path, const char *dir)
{
	const char *bn = ftp_basename(path);
	char err[256];
	if (bn[0] && file_safe_name_from(bn, strlen(bn), "on the command line", err, sizeof err) < 0)
		opt_usage_error("get -r %s: no folder name to save as (%s)", path, err);
	/* dir (-O) is the user's, taken as given; bn below it is not followed (file.h). */
	return tree_mirror_down(s, path, dir, bn[0] ? bn : NULL);
}

/* get --move: the sources of what is now safe here, deleted in one batch. */
static int get_move_sources(struct ftp_site *s)
{
	char **v;
	size_t n = ftp_moves_take(&v);
	ftp_moves_collect(0);
	if (!n) {
		free(v);
		return 0;
	}
	struct job *jobs = xcalloc(n, sizeof *jobs);
	for (size_t i = 0; i < n; i++)
		jobs[i] = (struct job){.kind = JOB_RM, .src = v[i], .size = -1, .mtime = -1};
	free(v);
	const char *jp = ftp_cf.journal; /* the gets' journal keeps get lines only */
	ftp_cf.journal = NULL;
	ftp_cf.summary_label = "--move, the sources deleted"; /* not a second, unlabelled get summary */
	int rc = engine_run(s, NULL, jobsrc_array(jobs, n), n > 1);
	ftp_cf.summary_label = NULL;
	ftp_cf.journal = jp;
	return rc;
}

int cmd_get(const char *cmd)
{
	(void)cmd;
	cli_need_args("get", 1, -1);
	if (ftp_cf.out_file && ftp_cf.out_dir)
		opt_usage_error("get: -o and -O exclude each other");
	if (ftp_cf.move && ftp_cf.out_file && !strcmp(ftp_cf.out_file, "-"))
		opt_usage_error("get --move: standard output is not a file whose safe arrival can be known; refused "
				"(save to a file, then delete the source)");
	if (ftp_cf.journal && ftp_cf.out_file && !strcmp(ftp_cf.out_file, "-"))
		opt_usage_error("get --journal: a rerun skips what its journal says is done, and standard output cannot "
				"keep it for the rerun; refused (save to a file, or leave --journal out)");
	if (ftp_cf.recursive && (ftp_cf.out_file || ftp_cf.from_file))
		opt_usage_error("get -r: goes with -O DIR, not with -o or --from-file");
	const char *dir = ftp_cf.out_dir ? ftp_cf.out_dir : ".";
	ftp_moves_collect(ftp_cf.move);
	if (ftp_cf.from_file) {
		struct ftp_site *s;
		int rc = from_file("get --from-file", JOB_GET, dir, &s);
		return worse(rc, get_move_sources(s));
	}
	ftp_journal_check_targets("get", cli_args[0], NULL); /* before the login */
	struct jobs js = {0};
	struct ftp_site *site = NULL;
	int batch = cli_nargs > 1, rc = 0, trees = 0;
	tree_set_many(batch); /* get -r of several folders: a journal of several trees */
	for (int i = 0; i < cli_nargs; i++) {
		char *path;
		struct ftp_site *s = cli_remote(cli_args[i], &path);
		if (site && s != site)
			opt_usage_error("get: one server per command");
		site = s;
		const char *bn = ftp_basename(path);
		char err[256];
		if (ftp_has_glob(path) && !ftp_cf.out_file) { /* with -o the name is taken as it is */
			batch = 1;
			tree_set_many(1);
			struct ftp_match *m;
			int n = ftp_glob(s, path, &m);
			if (n < 0) {
				free(path);
				jobs_free(&js);
				return -n;
			}
			/* A glob in a folder part (logs/ * /app.log): each file keeps its path below
			 * the part given literally (DIR/a/app.log, DIR/b/app.log), made below DIR
			 * without following a symlink. */
			const char *g = strpbrk(path, "*?[");
			size_t pre = (size_t)(g - path);
			while (pre && path[pre - 1] != '/')
				pre--;
			int deep = strchr(g, '/') != NULL;
			int matched = 0;
			for (int k = 0; k < n; k++) {
				const char *mb = deep ? m[k].path + pre : ftp_basename(m[k].path);
				if (m[k].type == FTP_T_DIR && ftp_cf.recursive) {
					matched++, trees++;
					rc = worse(rc, get_tree(s, m[k].path, dir));
					continue;
				}
				if (m[k].type != FTP_T_FILE)
					continue;
				if ((deep ? file_safe_relpath(mb, err, sizeof err) : file_safe_name(mb, strlen(mb), err, sizeof err)) < 0) {
					nt_warn("%s", err);
					continue;
				}
				matched++;
				jobs_add(&js, JOB_GET, xstrdup(m[k].path), ftp_join(dir, mb), m[k].size, -1);
				if (deep) {
					js.v[js.n - 1].has_root = 1;
					js.v[js.n - 1].droot = strlen(dir);
				}
			}
			if (!matched) {
				nt_warn("%s: no file matches", cli_args[i]);
				rc = worse(rc, NT_EXIT_FAIL);
			}
			ftp_matches_free(m, n);
			free(path);
			continue;
		}
		if (ftp_cf.recursive && ftp_isdir(s, path) == 1) {
			trees++;
			rc = worse(rc, get_tree(s, path, dir));
			free(path);
			continue;
		}
		if (file_safe_name_from(bn, strlen(bn), "on the command line", err, sizeof err) < 0)
			opt_usage_error("get %s: no file name to save as (%s)", cli_args[i], err);
		/* -o names the user's own file: written through its symlink (file.h). */
		char *dst = ftp_cf.out_file ? file_user_target(ftp_cf.out_file) : ftp_join(dir, bn);
		jobs_add(&js, JOB_GET, path, dst, -1, -1);
	}
	if (ftp_cf.out_file && js.n != 1)
		opt_usage_error("get: -o takes one file (use -O DIR)");
	if (js.n) {
		/* A folder named without -r: the engine says what fetches one (once). */
		rc = worse(rc, engine_run(site, NULL, cmdline_src(&js, "get", "", ftp_cf.out_file ? ftp_cf.out_file : dir),
					  batch));
	} else if (!rc && !trees) {
		rc = NT_EXIT_FAIL;
	}
	if (site && ftp_cf.move)
		rc = worse(rc, get_move_sources(site));
	return rc;
}

int cmd_put(const char *cmd)
{
	(void)cmd;
	char *path;
	if (ftp_cf.from_file) {
		return from_file("put --from-file", JOB_PUT, NULL, NULL);
	}
	if (ftp_cf.recursive)
		opt_usage_error("put -r: put sends files; mirror --reverse DIR TARGET uploads a folder");
	cli_need_args("put", 2, -1);
	for (int i = 0; i < cli_nargs - 1; i++) {
		struct stat st;
		if (!strcmp(cli_args[i], "-") && (cli_nargs > 2 || ftp_cf.resume))
			opt_usage_error("put -: standard input goes alone, to one named file, without --resume");
		/* Before any connection: a STOR of a folder would create (truncate) the remote
		 * file and fail, leaving it (and with --atomic a temporary) behind. A file that
		 * cannot be read is local I/O (exit 6) for every command-line form alike, one
		 * file or many, before anything is sent (a --from-file list's item fails alone). */
		if (!strcmp(cli_args[i], "-"))
			continue;
		if (stat(cli_args[i], &st) < 0 || (!S_ISDIR(st.st_mode) && access(cli_args[i], R_OK) < 0)) {
			if (ftp_is_remote(cli_args[i]) && !strchr(cli_args[i], '/'))
				die(NT_EXIT_IO, "put %s: %s (it looks like a remote target: put sends local files, "
						"put FILE... TARGET)", cli_args[i], strerror(errno));
			if (errno == ENOENT && ftp_has_glob(cli_args[i]))
				die(NT_EXIT_IO, "put %s: %s (put has no patterns of its own: it sends the files the "
						"shell's expansion names; leave the pattern unquoted)", cli_args[i], strerror(errno));
			die_sys(NT_EXIT_IO, "put %s", cli_args[i]);
		}
		if (S_ISDIR(st.st_mode))
			opt_usage_error("put %s: %s", cli_args[i], FTP_PUT_DIR_MSG);
		if (!S_ISREG(st.st_mode)) /* a FIFO, a device: its open could wait for ever */
			opt_usage_error("put %s: %s", cli_args[i], FTP_PUT_NOTREG_MSG);
	}
	ftp_journal_check_targets("put", cli_args[cli_nargs - 1], NULL); /* before the login */
	struct ftp_site *s = cli_remote(cli_args[cli_nargs - 1], &path);
	int todir = cli_nargs > 2 || !path[0] || path[strlen(path) - 1] == '/' || ftp_isdir(s, path) == 1;
	if (todir && !strcmp(cli_args[0], "-"))
		opt_usage_error("put - %s: name the file to write (host:folder/NAME), not a folder", cli_args[cli_nargs - 1]);
	struct jobs js = {0};
	for (int i = 0; i < cli_nargs - 1; i++) {
		if (ftp_is_remote(cli_args[i]) && !strchr(cli_args[i], '/'))
			nt_warn("put: '%s' looks like a remote target; taken as a local file", cli_args[i]);
		char *dst = todir ? ftp_join(path, ftp_basename(cli_args[i])) : xstrdup(path);
		jobs_add(&js, JOB_PUT, xstrdup(cli_args[i]), dst, -1, -1);
	}
	struct jobsrc *src = cmdline_src(&js, "put", path, "");
	free(path);
	return engine_run(s, NULL, src, cli_nargs > 2);
}

int cmd_rm(const char *cmd)
{
	(void)cmd;
	char *path;
	if (ftp_cf.from_file) {
		return from_file("rm --from-file", JOB_RM, NULL, NULL);
	}
	cli_need_args("rm", 1, -1);
	ftp_journal_check_targets("rm", cli_args[0], NULL); /* before the login */
	struct jobs js = {0};
	struct ftp_site *site = NULL;
	int batch = cli_nargs > 1, rc = 0;
	for (int i = 0; i < cli_nargs; i++) {
		struct ftp_site *s = cli_remote(cli_args[i], &path);
		if (site && s != site)
			opt_usage_error("rm: one server per command");
		site = s;
		if (!ftp_has_glob(path)) {
			jobs_add(&js, JOB_RM, path, NULL, -1, -1);
			continue;
		}
		/* A glob deletes the files that match (never a folder). */
		batch = 1;
		struct ftp_match *m;
		int n = ftp_glob(s, path, &m);
		free(path);
		if (n < 0) {
			jobs_free(&js);
			return -n;
		}
		int matched = 0;
		for (int k = 0; k < n; k++)
			if (m[k].type == FTP_T_FILE) {
				jobs_add(&js, JOB_RM, m[k].path, NULL, -1, -1);
				m[k].path = NULL;
				matched++;
			}
		if (!matched) {
			nt_warn("rm %s: no file matches", cli_args[i]);
			rc = NT_EXIT_FAIL;
		}
		ftp_matches_free(m, n);
	}
	if (!js.n) {
		free(js.v);
		return rc ? rc : NT_EXIT_FAIL;
	}
	return worse(rc, engine_run(site, NULL, cmdline_src(&js, "rm", "", ""), batch));
}


/* copy SRC-PATTERN DST: the files that match, into the folder DST, as get and rm expand
 * theirs (glob.c: the pattern itself is never sent as a name). */
static int copy_glob(struct ftp_site *a, const char *sp, struct ftp_site *b, const char *dp)
{
	struct ftp_match *m;
	int n = ftp_glob(a, sp, &m);
	if (n < 0)
		return -n;
	struct jobs js = {0};
	for (int k = 0; k < n; k++)
		if (m[k].type == FTP_T_FILE) {
			char *dst = ftp_join(dp, ftp_basename(m[k].path));
			ftp_copy_same_check(a, m[k].path, b, dst, 0);
			jobs_add(&js, JOB_COPY, m[k].path, dst, m[k].size, -1);
			m[k].path = NULL;
		}
	ftp_matches_free(m, n);
	if (!js.n) {
		nt_warn("copy %s: no file matches", cli_args[0]);
		return NT_EXIT_FAIL;
	}
	if (!ftp_cf.create_dirs && dst_folder_missing("copy", b, dp)) {
		jobs_free(&js);
		return NT_EXIT_FAIL;
	}
	return engine_run(a, b, cmdline_src(&js, "copy", sp, dp), 1);
}

int cmd_copy(const char *cmd)
{
	(void)cmd;
	cli_need_args("copy", 2, 2);
	char *sp, *dp;
	ftp_journal_check_targets("copy", cli_args[0], cli_args[1]); /* before the logins */
	struct ftp_site *a = cli_remote(cli_args[0], &sp);
	struct ftp_site *b = cli_remote(cli_args[1], &dp);
	if (ftp_has_glob(sp)) {
		if (ftp_cf.from_file || ftp_cf.recursive)
			opt_usage_error("copy %s: a pattern takes neither --from-file nor -r (it copies the files that "
					"match, into a folder)", cli_args[0]);
		int rc = copy_glob(a, sp, b, dp);
		free(sp);
		free(dp);
		return rc;
	}
	if (ftp_cf.from_file || ftp_cf.recursive)
		ftp_copy_same_check(a, sp, b, dp, 1);
	if (ftp_cf.from_file && !ftp_cf.create_dirs && dst_folder_missing("copy", b, dp)) {
		free(sp);
		free(dp);
		return NT_EXIT_FAIL;
	}
	if (ftp_cf.from_file || ftp_cf.recursive) {
		int rc = ftp_cf.from_file ? engine_run(a, b, jobsrc_lines(ftp_cf.from_file, JOB_COPY, sp, dp), 1)
				     : tree_copy(a, sp, b, dp);
		free(sp);
		free(dp);
		return rc;
	}
	/* Onto itself as written: refused before anything is sent (after the probes below
	 * too, once a destination folder has given the name). */
	if (dp[0] && dp[strlen(dp) - 1] != '/')
		ftp_copy_same_check(a, sp, b, dp, 0);
	int64_t size = -1;
	CURLcode rc = ftp_stat(a, sp, &size, NULL);
	if (rc == CURLE_REMOTE_FILE_NOT_FOUND && ftp_isdir(a, sp) == 1)
		die(NT_EXIT_FAIL, "copy %s: it is a folder: copy -r copies a whole tree", cli_args[0]);
	/* --move of a source that is gone: the engine's rule decides (moved before when the
	 * destination is there, as for a list), not this probe. */
	int gone = ftp_cf.move && ftp_cf.atomic >= 0 && rc == CURLE_REMOTE_FILE_NOT_FOUND;
	if (rc != CURLE_OK && !gone) {
		if (ftp_cf.json) { /* the item's failure object, as the engine writes for get */
			char m[600];
			ftp_result("copy", sp, dp, FTP_R_FAILED, -1, -1, ftp_errmsg(rc, a->errbuf, &a->hdr, m, sizeof m));
		}
		cli_die_cmd(rc, "copy", cli_args[0], a);
	}
	char *dst = (!dp[0] || dp[strlen(dp) - 1] == '/' || ftp_isdir(b, dp) == 1) ? ftp_join(dp, ftp_basename(sp))
										       : xstrdup(dp);
	ftp_copy_same_check(a, sp, b, dst, 0);
	struct jobs js = {0};
	jobs_add(&js, JOB_COPY, sp, dst, size, -1);
	struct jobsrc *src = cmdline_src(&js, "copy", sp, dp);
	free(dp);
	return engine_run(a, b, src, 0);
}
