/* SPDX-License-Identifier: MIT */
/* tree.c - where batches come from: list files (streamed in large blocks, constant
 * memory, the job's names lent from buffers reused for every line), remote
 * and local tree walks for mirror and copy -r. Every name a server sends is checked
 * (file_safe_name) before it becomes a local path.
 *
 * Header: applets/ftp/tree.h    Tests: tests/integration/ftp_tree.sh, tests/integration/ftp_fake.sh
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "journal.h"
#include "jset.h"
#include "log.h"
#include "nt_err.h"
#include "out.h"
#include "parse.h"
#include "tree.h"

/* ---- --from-file ---- */

/* The names of one line's job. */
struct lbufs {
	char *line, *sb, *db;
	size_t lcap, scap, dcap;
	char rj[400]; /* put: the reason a line is refused (its remote name taken) */
};

/* One line ahead: the job returned by next() is in bufs[cur], the next one is already
 * made in bufs[!cur] and handed to js.ahead (the engine prefetches its journal slot). */
struct linesrc {
	struct jobsrc js;
	int fd, own;            /* fd -1: ended; own: ours to close (not standard input) */
	struct lread r;
	enum job_kind kind;
	char *base, *other, *path;
	struct lbufs bufs[2];
	int cur, primed, have;
	struct job next;
	struct jset names, pairs; /* put: remote names directly in the base folder; name+line */
};

static const char *strip_slashes(const char *p)
{
	while (*p == '/')
		p++;
	return p;
}

/* *b (capacity *cap) = ftp_join(dir, name), without allocating once it is big enough. */
static char *join_into(char **b, size_t *cap, const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	int sep = dl && dir[dl - 1] != '/';
	if (dl + sep + nl + 1 > *cap) {
		*cap = dl + sep + nl + 1 + 256;
		free(*b);
		*b = xmalloc(*cap);
	}
	memcpy(*b, dir, dl);
	if (sep)
		(*b)[dl] = '/';
	memcpy(*b + dl + sep, name, nl + 1);
	return *b;
}

static void lines_end(struct linesrc *l)
{
	if (l->fd >= 0 && l->own)
		close(l->fd);
	l->fd = -1;
	lread_free(&l->r);
}

/* A list line is a path under the base folder (nettool-ftp(1)): one that starts with '/'
 * would read, copy or delete outside it (--move: delete), as '../x' would. */
#define ABS_REJECT "unsafe path (absolute: a line is a path under the base folder): refused"

/* The job of the next list line into j, its names in u: 1, or 0 at the end. */
static int parse_line(struct linesrc *l, struct lbufs *u, struct job *j)
{
	const char *p;
	size_t n;
	char err[256];
	for (;;) {
		int rc = l->fd < 0 ? 0 : lread_line(&l->r, &p, &n);
		if (rc < 0 && l->r.toolong)
			die(NT_EXIT_IO, "--from-file %s: line %lu is longer than %u bytes: not a list of paths", l->path,
			    l->r.lineno + 1, LREAD_LINE_MAX);
		if (rc < 0)
			die_sys(NT_EXIT_IO, "--from-file %s", l->path);
		if (!rc) {
			lines_end(l);
			return 0;
		}
		while (n && p[n - 1] == '\r')
			n--;
		if (n)
			break;
	}
	if (n + 1 > u->lcap) {
		u->lcap = n + 1 + 256;
		free(u->line);
		u->line = xmalloc(u->lcap);
	}
	memcpy(u->line, p, n);
	u->line[n] = 0;
	ftp_list_line_norm(u->line, n); /* "./d/b" is d/b: the same item in a run and in status */
	memset(j, 0, sizeof *j);
	const char *line = u->line;
	const char *rel = strip_slashes(line);
	j->kind = l->kind;
	switch (l->kind) {
	case JOB_GET:
		j->src = line[0] == '/' ? u->line : join_into(&u->sb, &u->scap, l->base, line);
		j->dst = join_into(&u->db, &u->dcap, l->other, rel);
		j->has_root = 1, j->droot = strlen(l->other);
		if (line[0] == '/')
			j->reject = ABS_REJECT;
		else if (file_safe_relpath(rel, err, sizeof err) < 0)
			j->reject = "unsafe local path (empty, '..' or control characters): refused";
		break;
	case JOB_PUT: {
		/* A path under the current folder keeps its folders; any other line (absolute,
		 * with '..', '.' or an empty part) is stored under its last name, in the base
		 * folder. Two lines that so name the same remote file (the same line twice is
		 * the same file) would overwrite each other: the later one is refused. Only
		 * names directly in the base folder can meet (kept as two hashes: jset.h). */
		int kept = line[0] != '/' && file_safe_relpath(line, err, sizeof err) == 0;
		const char *name = kept ? line : ftp_basename(line);
		/* other: a tree's local folder (the run line of mirror --reverse, read by ftp
		 * status); a put over a list has none, its lines are local paths as given. */
		j->src = kept && l->other[0] ? join_into(&u->sb, &u->scap, l->other, line) : u->line;
		j->dst = join_into(&u->db, &u->dcap, l->base, name);
		if (!strchr(name, '/') && name[0]) {
			struct jkey k = jset_key(name);
			char *pair = xasprintf("%s\n%s", name, line);
			struct jkey kp = jset_key(pair);
			free(pair);
			if (jset_has(&l->names, k) && !jset_has(&l->pairs, kp)) {
				char nm[200];
				out_clean(nm, sizeof nm, name, strlen(name), 0);
				snprintf(u->rj, sizeof u->rj, "its remote name '%s' is that of an earlier line of the list: refused "
							"(a line absolute or with '..' is stored under its last name)", nm);
				j->reject = u->rj;
			} else {
				jset_add(&l->names, k);
				jset_add(&l->pairs, kp);
			}
		}
		break;
	}
	case JOB_RM:
		j->src = line[0] == '/' ? u->line : join_into(&u->sb, &u->scap, l->base, line);
		if (line[0] == '/')
			j->reject = ABS_REJECT;
		else if (file_safe_relpath(rel, err, sizeof err) < 0)
			j->reject = "unsafe path (empty, '..' or control characters): refused";
		break;
	case JOB_COPY:
		j->src = line[0] == '/' ? u->line : join_into(&u->sb, &u->scap, l->base, line);
		j->dst = join_into(&u->db, &u->dcap, l->other, rel);
		if (line[0] == '/')
			j->reject = ABS_REJECT;
		else if (file_safe_relpath(rel, err, sizeof err) < 0)
			j->reject = "unsafe path (empty, '..' or control characters): refused";
		break;
	default:
		break;
	}
	return 1;
}

static int lines_next(struct jobsrc *js, struct job *j)
{
	struct linesrc *l = (struct linesrc *)js;
	if (!l->primed) {
		l->primed = 1;
		l->have = parse_line(l, &l->bufs[l->cur], &l->next);
	}
	if (!l->have)
		return 0;
	j->kind = l->next.kind;
	j->src = l->next.src, j->dst = l->next.dst;
	j->has_root = l->next.has_root, j->droot = l->next.droot;
	j->reject = l->next.reject;
	l->cur = !l->cur;
	l->have = parse_line(l, &l->bufs[l->cur], &l->next);
	if (l->have && js->ahead)
		js->ahead(js->ahead_arg, &l->next);
	return 1;
}

static void lines_release(struct jobsrc *js)
{
	struct linesrc *l = (struct linesrc *)js;
	lines_end(l);
	for (int i = 0; i < 2; i++)
		free(l->bufs[i].line), free(l->bufs[i].sb), free(l->bufs[i].db);
	jset_free(&l->names);
	jset_free(&l->pairs);
	free(l->base);
	free(l->other);
	free(l->path);
	free(l->js.run);
	free(l);
}

struct jobsrc *jobsrc_lines(const char *path, enum job_kind kind, const char *base, const char *other)
{
	struct linesrc *l = xcalloc(1, sizeof *l);
	l->own = strcmp(path, "-") != 0;
	l->fd = l->own ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (l->fd < 0)
		die_sys(NT_EXIT_IO, "--from-file %s", path);
	lread_init(&l->r, l->fd);
	l->js.next = lines_next;
	l->js.release = lines_release;
	l->js.borrowed = 1;
	l->kind = kind;
	l->path = xstrdup(path);
	l->base = xstrdup(base);
	l->other = xstrdup(other ? other : "");
	static const char *const kn[] = {"get", "put", "rm", "copy", "rmdir", "mkdir"};
	jobsrc_run_line(&l->js, kn[kind], l->base, l->other);
	return &l->js;
}

/* ---- tree walks ---- */

static int trees_many; /* tree_set_many */

void tree_set_many(int many)
{
	trees_many = many;
}

void jobsrc_run_line(struct jobsrc *src, const char *kind, const char *base, const char *other)
{
	src->run = xasprintf("%s\t%s\t%s", kind, base, other);
}

/* The journal's run line of a tree run: the same as a list's whose lines are the tree's
 * relative paths (base: the remote folder; other: the local one, or copy's destination),
 * so ftp status counts it from such a list; one tree: its folders checked (journal.h).
 * Before the tree is listed (check: nothing connected, no folder made yet), a journal of
 * another command, server, options or tree is refused; engine_run checks it again. */
static void tree_run_line(struct jobsrc *src, const char *kind, const char *base, const char *other)
{
	jobsrc_run_line(src, kind, base, other);
	src->tree = !trees_many;
}

static void tree_journal_check(const char *kind, const char *base, const char *other, struct ftp_site *a,
			       struct ftp_site *b)
{
	struct jobsrc js = {0};
	tree_run_line(&js, kind, base, other);
	ftp_journal_check(js.run, a, b, js.tree);
	free(js.run);
}

struct node {
	char *rel;
	int isdir;
	int64_t size, mtime;
	int prec;
	int keep;  /* on the server but not transferred (link, other type, refused name):
		    * mirror --delete spares it and everything below its name */
};

struct nodes {
	struct node *v;
	size_t n, cap;
	int failed;
	int unsure;  /* the walk saw lines it could not parse: the tree is not known whole */
};

static void nodes_add(struct nodes *ns, char *rel, int isdir, int64_t size, int64_t mtime, int prec)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 64;
		ns->v = xrealloc(ns->v, ns->cap * sizeof *ns->v);
	}
	ns->v[ns->n++] = (struct node){rel, isdir, size, mtime, prec, 0};
}

/* A name the walk saw but does not transfer. */
static void nodes_keep(struct nodes *ns, char *rel)
{
	nodes_add(ns, rel, 0, -1, -1, 1);
	ns->v[ns->n - 1].keep = 1;
}

static void nodes_free(struct nodes *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i].rel);
	free(ns->v);
	memset(ns, 0, sizeof *ns);
}

static int cmp_node(const void *a, const void *b)
{
	return strcmp(((const struct node *)a)->rel, ((const struct node *)b)->rel);
}

static struct node *nodes_find(struct nodes *ns, const char *rel)
{
	struct node key = {.rel = (char *)rel};
	if (!ns->n)
		return NULL;
	return bsearch(&key, ns->v, ns->n, sizeof *ns->v, cmp_node);
}

/* 1 when rel, or a folder above it, is a kept name of the (sorted) remote walk. */
static int under_kept(struct nodes *ns, const char *rel)
{
	char *p = xstrdup(rel);
	int r = 0;
	for (char *sl = p + strlen(p);; ) {
		struct node *n = nodes_find(ns, p);
		if (n && n->keep) {
			r = 1;
			break;
		}
		while (sl > p && *sl != '/')
			sl--;
		if (sl == p)
			break;
		*sl = 0;
	}
	free(p);
	return r;
}

static int excluded(const char *name, const char *rel)
{
	for (int i = 0; i < ftp_cf.nexcl; i++)
		if (!fnmatch(ftp_cf.excludes[i], name, 0) || !fnmatch(ftp_cf.excludes[i], rel, FNM_PATHNAME))
			return 1;
	return 0;
}

/* A server may list folders without end (a loop through a link reported as a folder,
 * or a hostile server): the walk goes no deeper than this, nor past PATH_MAX. */
#define WALK_DEPTH_MAX 256

static int depth_of(const char *rel)
{
	int d = 1;
	for (; *rel; rel++)
		d += *rel == '/';
	return d;
}

/* What the remote walks of this process have listed and stored so far (tree.h: the caps). */
static long long walked_entries, walked_folders, walked_bytes;

static void walk_count(const char *rroot, long long folders, long long entries, long long bytes)
{
	long long me = ftp_cf.max_entries ? ftp_cf.max_entries : TREE_MAX_ENTRIES;
	long long mf = ftp_cf.max_folders ? ftp_cf.max_folders : TREE_MAX_FOLDERS;
	long long mb = me > LLONG_MAX / TREE_PATH_BYTES_PER_ENTRY ? LLONG_MAX : me * TREE_PATH_BYTES_PER_ENTRY;
	char shown[120];
	nt_clean_text(shown, sizeof shown, rroot, strlen(rroot));
	walked_folders += folders;
	walked_entries += entries;
	walked_bytes += bytes;
	if (walked_folders > mf)
		die(NT_EXIT_PROTO, "the remote tree under '%s' has more than %lld folders: stopped before "
		    "transferring anything (--max-folders raises the cap)", shown, mf);
	if (walked_entries > me)
		die(NT_EXIT_PROTO, "the remote tree under '%s' has more than %lld entries: stopped before "
		    "transferring anything (--max-entries raises the cap)", shown, me);
	if (walked_bytes > mb)
		die(NT_EXIT_PROTO, "the remote tree under '%s' has paths of more than %lld bytes in all (%d for "
		    "each name --max-entries allows): stopped before transferring anything (--max-entries raises the cap)",
		    shown, mb, TREE_PATH_BYTES_PER_ENTRY);
}

/* A path the walk keeps: counted against the byte cap first (a deep tree of long names
 * costs far more than its names, each node holding its whole relative path). */
static char *walk_keep_path(const char *rroot, char *rel)
{
	walk_count(rroot, 0, 0, (long long)strlen(rel) + 1);
	return rel;
}

static struct jkey uniq_key(uint64_t u)
{
	return (struct jkey){u, u * 0x9e3779b97f4a7c15ULL ^ 0x5bd1e995ULL};
}

/* Every file and folder under rroot on s (relative paths), breadth first. A folder whose
 * MLSD unique fact (RFC 3659 7.5.2) was seen before is the same folder reached again
 * (a link, a loop): not walked twice. --deadline stops the walk too. */
static int walk_remote_u(struct ftp_site *s, const char *rroot, struct nodes *out, struct jset *seen)
{
	size_t next = 0;
	char *cur = xstrdup("");
	long long listed = 0;
	for (;;) {
		if (ftp_cf.deadline_at && ftp_now_ms() >= ftp_cf.deadline_at) {
			char shown[120];
			nt_clean_text(shown, sizeof shown, rroot, strlen(rroot));
			nt_warn("deadline reached while walking '%s' (%lld folders listed): nothing transferred", shown, listed);
			out->unsure++;
			free(cur);
			return NT_EXIT_FAIL;
		}
		walk_count(rroot, 1, 0, 0); /* before the folder is listed */
		listed++;
		char *dir = cur[0] ? ftp_join(rroot, cur) : xstrdup(rroot);
		struct ftp_item *v;
		int bad = 0;
		int n = ftp_list_entries(s, dir, &v, &bad);
		free(dir);
		if (n < 0) {
			free(cur);
			return -n;
		}
		if (bad)
			out->unsure++;
		if (s->cdir_uniq && !jset_has(seen, uniq_key(s->cdir_uniq)))
			jset_add(seen, uniq_key(s->cdir_uniq));
		walk_count(rroot, 0, n, 0);
		for (int i = 0; i < n; i++) {
			char err[256];
			if (file_safe_name(v[i].name, v[i].namelen, err, sizeof err) < 0) {
				nt_warn("%s%s%s", cur, cur[0] ? ": " : "", err);
				out->failed++;
				/* Spare a local file of that name (a/b names a/b here). */
				if (strlen(v[i].name) == v[i].namelen)
					nodes_keep(out, walk_keep_path(rroot, cur[0] ? ftp_join(cur, v[i].name)
										   : xstrdup(v[i].name)));
				continue;
			}
			char *rel = cur[0] ? ftp_join(cur, v[i].name) : xstrdup(v[i].name);
			if (excluded(v[i].name, rel)) {
				log_trace("excluded: %s", rel);
				free(rel);
				continue;
			}
			walk_keep_path(rroot, rel);
			if (v[i].type == FTP_T_DIR && (depth_of(rel) > WALK_DEPTH_MAX || strlen(rel) >= PATH_MAX)) {
				char shown[120];
				nt_clean_text(shown, sizeof shown, rel, strlen(rel));
				nt_warn("%s: more than %d folders deep or a path over %d bytes (a loop?): not walked",
				     shown, WALK_DEPTH_MAX, PATH_MAX);
				out->failed++;
				out->unsure++;
				nodes_keep(out, rel);
			} else if (v[i].type == FTP_T_DIR && v[i].uniq && jset_has(seen, uniq_key(v[i].uniq))) {
				char shown[120];
				nt_clean_text(shown, sizeof shown, rel, strlen(rel));
				log_info("%s: a folder walked already (same MLSD unique fact): not walked again", shown);
				nodes_keep(out, rel);
			} else if (v[i].type == FTP_T_DIR) {
				if (v[i].uniq)
					jset_add(seen, uniq_key(v[i].uniq));
				nodes_add(out, rel, 1, -1, v[i].mtime, v[i].mtime_prec);
			}
			else if (v[i].type == FTP_T_FILE)
				nodes_add(out, rel, 0, v[i].size, v[i].mtime, v[i].mtime_prec);
			else {
				log_info("%s: not a plain file or folder: skipped", rel);
				nodes_keep(out, rel);
			}
		}
		ftp_items_free(v, n);
		free(cur);
		/* The next folder found so far. */
		while (next < out->n && !out->v[next].isdir)
			next++;
		if (next >= out->n)
			return 0;
		cur = xstrdup(out->v[next++].rel);
	}
}

static int walk_remote(struct ftp_site *s, const char *rroot, struct nodes *out)
{
	struct jset seen = {0};
	int rc = walk_remote_u(s, rroot, out, &seen);
	jset_free(&seen);
	return rc;
}

static int walk_local(const char *root, const char *rel, struct nodes *out)
{
	char *path = rel[0] ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(path);
	if (!d) {
		nt_warn_sys("%s", path);
		free(path);
		return NT_EXIT_IO;
	}
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *r = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		char *full = xasprintf("%s/%s", root, r);
		struct stat st;
		if (excluded(de->d_name, r) || lstat(full, &st) < 0 || nt_has_ctl(de->d_name)) {
			free(r), free(full);
			continue;
		}
		free(full);
		if (S_ISDIR(st.st_mode)) {
			nodes_add(out, r, 1, -1, st.st_mtime, 1);
			int x = walk_local(root, r, out);
			if (x)
				rc = x;
		} else if (S_ISREG(st.st_mode)) {
			nodes_add(out, r, 0, st.st_size, st.st_mtime, 1);
		} else {
			free(r);
		}
	}
	closedir(d);
	free(path);
	return rc;
}

/* copy (remote a) is up to date with respect to src: same size and not older (at the
 * precision of the listing that gave the times). */
static int up_to_date(const struct node *src, int64_t dsize, int64_t dmtime, int prec)
{
	if (src->size != dsize || src->mtime < 0 || dmtime < 0)
		return 0;
	int64_t p = prec > src->prec ? prec : src->prec;
	if (p < 1)
		p = 1;
	return dmtime / p * p >= src->mtime / p * p;
}

static int rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		if (d) {
			struct dirent *de;
			while ((de = readdir(d))) {
				if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
					continue;
				char *c = xasprintf("%s/%s", path, de->d_name);
				rm_rf(c);
				free(c);
			}
			closedir(d);
		}
		return rmdir(path);
	}
	return unlink(path);
}

int tree_mirror_down(struct ftp_site *s, const char *rroot, const char *lroot, const char *lsub)
{
	if (ftp_cf.journal) {
		char *ld = lsub ? ftp_join(lroot, lsub) : xstrdup(lroot);
		tree_journal_check("get", rroot, ld, s, NULL);
		free(ld);
	}
	struct nodes rn = {0};
	int rc = walk_remote(s, rroot, &rn);
	if (rc)
		return rc;
	qsort(rn.v, rn.n, sizeof *rn.v, cmp_node);
	/* get -r's folder (lsub) is below the user's -O: made without following a symlink,
	 * as every folder below it (security review: get -r wrote through a planted one). */
	char m0[600];
	if (file_mkdirs_below(lroot, lsub, 0755, m0, sizeof m0) < 0) {
		if (ftp_local_fail_code(lroot, errno) != NT_EXIT_FAIL || !lsub)
			die(NT_EXIT_IO, "%s", m0);
		nt_warn("%s", m0);
		nodes_free(&rn);
		return NT_EXIT_FAIL;
	}
	char *ldirm = lsub ? ftp_join(lroot, lsub) : xstrdup(lroot);
	const char *ldir = ldirm;
	struct job *jobs = xcalloc(rn.n ? rn.n : 1, sizeof *jobs);
	size_t nj = 0;
	uint64_t skipped = 0;
	for (size_t i = 0; i < rn.n; i++) {
		struct node *n = &rn.v[i];
		char *lp = ftp_join(ldir, n->rel);
		struct stat st;
		if (n->keep) {
			free(lp);
			continue;
		}
		if (n->isdir) {
			/* A symlink planted below the target is refused, not followed (file.h);
			 * the files below it fail each with the same reason. */
			char m[600];
			char *below = lsub ? ftp_join(lsub, n->rel) : xstrdup(n->rel);
			int r = file_mkdirs_below(lroot, below, 0755, m, sizeof m);
			free(below);
			if (r < 0) {
				nt_warn("%s", m);
				rn.failed++;
			}
			free(lp);
			continue;
		}
		if (ftp_cf.only_newer && stat(lp, &st) == 0 && S_ISREG(st.st_mode) &&
		    up_to_date(n, st.st_size, st.st_mtime, 1)) {
			skipped++;
			char *rp = ftp_join(rroot, n->rel);
			ftp_result("get", rp, lp, FTP_R_SKIPPED, -1, -1, "up to date (--only-newer)");
			free(rp);
			free(lp);
			continue;
		}
		jobs[nj++] = (struct job){.kind = JOB_GET, .src = ftp_join(rroot, n->rel), .dst = lp,
					  .has_root = 1, .droot = strlen(lroot), .size = n->size, .mtime = -1};
	}
	ftp_cf.keep_mtime = 1;
	struct jobsrc *src = jobsrc_array(jobs, nj);
	src->skipped = skipped;
	src->failed = rn.failed;
	tree_run_line(src, "get", rroot, ldir);
	rc = engine_run(s, NULL, src, 1);
	if (ftp_cf.del && rn.unsure) {
		nt_warn("--delete not done: the remote tree is not known whole (listing lines that could "
		     "not be parsed, or a walk cut short): what is unseen would have been deleted here");
		if (!rc)
			rc = NT_EXIT_FAIL;
	} else if (ftp_cf.del) {
		/* What the remote side does not have (and is not excluded) goes; names the
		 * walk saw but did not fetch (links, other types, refused names) stay. */
		struct nodes ln = {0};
		walk_local(ldir, "", &ln);
		for (size_t i = 0; i < ln.n; i++) {
			if (nodes_find(&rn, ln.v[i].rel) || under_kept(&rn, ln.v[i].rel))
				continue;
			/* Inside a folder already removed? */
			char *lp = ftp_join(ldir, ln.v[i].rel);
			if (rm_rf(lp) == 0)
				log_info("deleted %s", lp);
			else if (errno != ENOENT)
				nt_warn_sys("delete %s", lp);
			free(lp);
		}
		nodes_free(&ln);
	}
	nodes_free(&rn);
	free(ldirm);
	return rc;
}

/* Create remote folders, parents first (rel paths sorted), ignoring "exists". */
static CURLcode make_remote_dirs(struct ftp_site *s, const char *root, struct nodes *ns)
{
	size_t n = 0;
	for (size_t i = 0; i < ns->n; i++)
		n += ns->v[i].isdir;
	const char **cmds = xcalloc(n + 1, sizeof *cmds);
	size_t k = 0;
	char *aroot = ftp_qpath(s, root);
	if (root[0])
		cmds[k++] = xasprintf("*MKD %s", aroot);
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].isdir) {
			char *p = ftp_join(aroot, ns->v[i].rel);
			cmds[k++] = xasprintf("*MKD %s", p);
			free(p);
		}
	free(aroot);
	CURLcode rc = k ? ftp_quote(s, cmds, (int)k) : CURLE_OK;
	for (size_t i = 0; i < k; i++)
		free((char *)cmds[i]);
	free(cmds);
	return rc;
}

int tree_mirror_up(const char *ldir, struct ftp_site *s, const char *rroot)
{
	tree_journal_check("put", rroot, ldir, s, NULL);
	struct nodes ln = {0}, rn = {0};
	int rc = walk_local(ldir, "", &ln);
	if (rc)
		return rc;
	qsort(ln.v, ln.n, sizeof *ln.v, cmp_node);
	if (ftp_isdir(s, rroot) == 1) {
		rc = walk_remote(s, rroot, &rn);
		if (rc)
			return rc;
		qsort(rn.v, rn.n, sizeof *rn.v, cmp_node);
	}
	CURLcode cr = make_remote_dirs(s, rroot, &ln);
	if (cr != CURLE_OK)
		ftp_die_curl(cr, "mkdir", s);
	struct job *jobs = xcalloc(ln.n ? ln.n : 1, sizeof *jobs);
	size_t nj = 0;
	uint64_t skipped = 0;
	for (size_t i = 0; i < ln.n; i++) {
		struct node *n = &ln.v[i];
		if (n->isdir)
			continue;
		struct node *r = nodes_find(&rn, n->rel);
		if (r && r->keep)
			r = NULL;
		if (ftp_cf.only_newer && r && !r->isdir && up_to_date(n, r->size, r->mtime, r->prec)) {
			skipped++;
			if (ftp_cf.json) {
				char *lp = ftp_join(ldir, n->rel), *rp = ftp_join(rroot, n->rel);
				ftp_result("put", lp, rp, FTP_R_SKIPPED, -1, -1, "up to date (--only-newer)");
				free(lp), free(rp);
			}
			continue;
		}
		jobs[nj++] = (struct job){.kind = JOB_PUT, .src = ftp_join(ldir, n->rel), .dst = ftp_join(rroot, n->rel),
					  .size = n->size, .mtime = -1};
	}
	struct jobsrc *src = jobsrc_array(jobs, nj);
	src->skipped = skipped;
	tree_run_line(src, "put", rroot, ldir);
	rc = engine_run(s, NULL, src, 1);
	if (ftp_cf.del && rn.n) {
		/* Remote files the local tree does not have, then their folders, deepest first. */
		struct job *rm = xcalloc(rn.n, sizeof *rm);
		size_t nr = 0;
		for (size_t i = 0; i < rn.n; i++)
			if (!rn.v[i].isdir && !rn.v[i].keep && !nodes_find(&ln, rn.v[i].rel))
				rm[nr++] = (struct job){.kind = JOB_RM, .src = ftp_join(rroot, rn.v[i].rel), .mtime = -1, .size = -1};
		if (nr) {
			int journal_was = ftp_cf.journal != NULL;
			const char *jp = ftp_cf.journal;
			ftp_cf.journal = NULL;
			struct jobsrc *rs = jobsrc_array(rm, nr);
			int r2 = engine_run(s, NULL, rs, 1);
			if (r2 && !rc)
				rc = r2;
			if (journal_was)
				ftp_cf.journal = jp;
		} else {
			free(rm);
		}
		for (size_t i = rn.n; i-- > 0;) {
			if (!rn.v[i].isdir || nodes_find(&ln, rn.v[i].rel) || under_kept(&rn, rn.v[i].rel))
				continue;
			char *rp = ftp_join(rroot, rn.v[i].rel);
			char *p = ftp_qpath(s, rp);
			free(rp);
			char *c = xasprintf("RMD %s", p);
			const char *cmds[] = {c};
			CURLcode x = ftp_quote(s, cmds, 1);
			if (x != CURLE_OK) {
				char m[600];
				nt_warn("rmdir %s: %s", p, ftp_errmsg(x, s->errbuf, &s->hdr, m, sizeof m));
			}
			free(c), free(p);
		}
	}
	nodes_free(&ln);
	nodes_free(&rn);
	return rc;
}

int tree_copy(struct ftp_site *a, const char *sp, struct ftp_site *b, const char *dp)
{
	tree_journal_check("copy", sp, dp, a, b);
	struct nodes rn = {0};
	int rc = walk_remote(a, sp, &rn);
	if (rc)
		return rc;
	qsort(rn.v, rn.n, sizeof *rn.v, cmp_node);
	/* The folder the copy goes into must be there (or be made, --create-dirs): known
	 * once, not told by a 553 per file (put says the same, in the same words). */
	char *dpn = xstrdup(dp);
	for (size_t l = strlen(dpn); l > 1 && dpn[l - 1] == '/'; l--)
		dpn[l - 1] = 0; /* "tree3/" is tree3 */
	const char *bn = ftp_basename(dpn);
	char *parent = bn > dpn ? xstrndup(dpn, (size_t)(bn - dpn - 1)) : NULL;
	free(dpn);
	if (parent && ftp_cf.create_dirs) {
		for (char *q = *parent ? strchr(parent + 1, '/') : NULL;; q = strchr(q + 1, '/')) {
			if (q)
				*q = 0;
			char *ap = ftp_qpath(b, parent);
			char *mk = xasprintf("*MKD %s", ap);
			const char *cmds[1] = {mk};
			ftp_quote(b, cmds, 1); /* "exists" answered too: the check below says */
			free(mk), free(ap);
			if (!q)
				break;
			*q = '/';
		}
	}
	if (parent && *parent && ftp_isdir(b, parent) != 1) {
		char m[600];
		ftp_folder_why(m, sizeof m, b, dp, 0, 1, NULL);
		nt_warn("copy %s: %s", sp, m);
		free(parent);
		nodes_free(&rn);
		return NT_EXIT_FAIL;
	}
	free(parent);
	CURLcode cr = make_remote_dirs(b, dp, &rn);
	if (cr != CURLE_OK)
		ftp_die_curl(cr, "mkdir", b);
	struct job *jobs = xcalloc(rn.n ? rn.n : 1, sizeof *jobs);
	size_t nj = 0;
	for (size_t i = 0; i < rn.n; i++)
		if (!rn.v[i].isdir && !rn.v[i].keep)
			jobs[nj++] = (struct job){.kind = JOB_COPY, .src = ftp_join(sp, rn.v[i].rel),
						  .dst = ftp_join(dp, rn.v[i].rel), .size = rn.v[i].size, .mtime = -1};
	struct jobsrc *src = jobsrc_array(jobs, nj);
	src->failed = rn.failed;
	tree_run_line(src, "copy", sp, dp);
	rc = engine_run(a, b, src, 1);
	nodes_free(&rn);
	return rc;
}

/* ---- the job source over an array (the engine's, ftp.h) ---- */

struct arrsrc {
	struct jobsrc js;
	struct job *v;
	size_t n, i;
};

static int arr_next(struct jobsrc *js, struct job *j)
{
	struct arrsrc *a = (struct arrsrc *)js;
	if (a->i >= a->n) {
		free(a->v);
		a->v = NULL;
		return 0;
	}
	*j = a->v[a->i++];
	return 1;
}

/* The jobs not taken (a deadline stopped the run) go with the array. */
static void arr_release(struct jobsrc *js)
{
	struct arrsrc *a = (struct arrsrc *)js;
	if (a->v)
		for (size_t i = a->i; i < a->n; i++) {
			free(a->v[i].src);
			free(a->v[i].dst);
		}
	free(a->v);
	free(a->js.run);
	free(a);
}

struct jobsrc *jobsrc_array(struct job *jobs, size_t n)
{
	struct arrsrc *a = xcalloc(1, sizeof *a);
	a->js.next = arr_next;
	a->js.release = arr_release;
	a->js.total = n;
	a->v = jobs;
	a->n = n;
	return &a->js;
}

size_t jobsrc_array_items(const struct jobsrc *src, const struct job **v)
{
	const struct arrsrc *a = (const struct arrsrc *)src;
	*v = a->v;
	return a->n;
}
