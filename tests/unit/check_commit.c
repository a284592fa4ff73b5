/* SPDX-License-Identifier: MIT */
/* check_commit.c - the durable committer (core/commit.c): files in place and records
 * written in push order, the record callback, waits, a failure that drops everything
 * after it and never records it, a file dropped alone and reported back. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commit.h"
#include "nt_err.h"

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/check_commit.XXXXXX");
	const char *t = getenv("TMPDIR");
	if (t && *t) {
		free(d);
		d = xasprintf("%s/check_commit.XXXXXX", t);
	}
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static size_t count_files(const char *dir)
{
	char *cmd = xasprintf("ls -A '%s' | wc -l", dir);
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	ck_assert_int_eq(fscanf(p, "%zu", &n), 1);
	pclose(p);
	free(cmd);
	return n;
}

static void rm_rf(char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(d);
}

/* A committer whose records go to the journal file j (in d), open on *jfd. */
static struct commit *start_journaled(const char *d, char **j, int *jfd)
{
	char err[600];
	*j = xasprintf("%s/journal", d);
	*jfd = open(*j, O_WRONLY | O_CREAT | O_APPEND, 0644);
	ck_assert_int_ge(*jfd, 0);
	struct commit *c = commit_start(&(struct commit_conf){.journal_fd = *jfd}, err, sizeof err);
	ck_assert_ptr_nonnull(c);
	return c;
}

START_TEST(files_and_journal)
{
	char *d = tmpdir(), *j, err[600];
	int jfd;
	struct commit *c = start_journaled(d, &j, &jfd);
	for (int i = 0; i < 150; i++) {
		if (i % 2) {
			struct afile af;
			char name[32];
			snprintf(name, sizeof name, "f%d", i);
			ck_assert_int_eq(afile_open(&af, d, name, 0644, err, sizeof err), 0);
			ck_assert_int_eq(file_write_all(af.fd, "x", 1), 0);
			ck_assert_int_eq(commit_file(c, &af, xasprintf("done %d\n", i)), 0);
			ck_assert_int_eq(af.fd, -1);
		} else {
			ck_assert_int_eq(commit_write(c, xasprintf("%s/.w%d", d, i), xasprintf("%s/w%d", d, i), xstrdup("abc"), 3,
						      xasprintf("done %d\n", i)),
					 0);
		}
		if (i == 70) {
			ck_assert_int_eq(commit_wait(c, err, sizeof err), 0);
			/* everything before the wait is in place and journaled */
			ck_assert_uint_eq(count_files(d), 1 + 71);
		}
	}
	ck_assert_int_eq(commit_record(c, xstrdup("end\n")), 0);
	ck_assert_int_eq(commit_finish(c, err, sizeof err), 0);
	ck_assert_uint_eq(count_files(d), 1 + 150);
	close(jfd);
	FILE *f = fopen(j, "r");
	char line[64];
	for (int i = 0; i < 150; i++) {
		char want[32];
		snprintf(want, sizeof want, "done %d\n", i);
		ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
		ck_assert_str_eq(line, want);
	}
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	ck_assert_str_eq(line, "end\n");
	fclose(f);
	free(j);
	rm_rf(d);
}
END_TEST

struct seen {
	int groups, recs;
	char last[32];
};

static int on_record(void *arg, char *const *recs, size_t n, char *err, size_t errlen)
{
	struct seen *s = arg;
	s->groups++;
	s->recs += (int)n;
	snprintf(s->last, sizeof s->last, "%s", recs[n - 1]);
	return 0;
}

START_TEST(record_callback_dir_fd_unlink)
{
	char *d = tmpdir();
	char *a = xasprintf("%s/a", d);
	int fd = open(a, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_eq(file_write_all(fd, "hello", 5), 0);
	struct seen s = {0};
	char err[600];
	struct commit *c =
		commit_start(&(struct commit_conf){.journal_fd = -1, .record = on_record, .arg = &s, .flags = COMMIT_EAGER},
			     err, sizeof err);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(commit_fd(c, fd, xstrdup("1")), 0);
	ck_assert_int_eq(commit_dir(c, xstrdup(d), xstrdup("2")), 0);
	ck_assert_int_eq(commit_unlink(c, xstrdup(a)), 0);
	ck_assert_int_eq(commit_wait(c, err, sizeof err), 0);
	ck_assert_int_eq(s.recs, 2);
	ck_assert_str_eq(s.last, "2");
	ck_assert_int_eq(commit_finish(c, err, sizeof err), 0);
	ck_assert_int_eq(access(a, F_OK), -1); /* removed by the remover, at the latest when finished */
	close(fd);
	free(a);
	rm_rf(d);
}
END_TEST

START_TEST(failure_drops_the_rest)
{
	char *d = tmpdir(), *j, err[600];
	int jfd;
	struct commit *c = start_journaled(d, &j, &jfd);
	/* An existing temporary name: the committer never writes through it nor removes it. */
	char *taken = xasprintf("%s/.taken", d);
	close(open(taken, O_WRONLY | O_CREAT, 0644));
	commit_write(c, xstrdup(taken), xasprintf("%s/never", d), xstrdup("x"), 1, xstrdup("done never\n"));
	ck_assert_int_eq(commit_wait(c, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, ".taken"));
	struct afile af;
	ck_assert_int_eq(afile_open(&af, d, "later", 0644, err, sizeof err), 0);
	char *tmp = xstrdup(af.tmp);
	ck_assert_int_eq(commit_file(c, &af, xstrdup("done later\n")), -1);
	ck_assert_int_eq(access(tmp, F_OK), -1); /* the dropped item's temporary file went */
	/* A commit_write dropped before its file was made: a file at its name is not ours. */
	ck_assert_int_eq(commit_write(c, xstrdup(taken), xasprintf("%s/never2", d), xstrdup("y"), 1, NULL), -1);
	ck_assert_int_eq(access(taken, F_OK), 0);
	ck_assert_int_eq(commit_finish(c, err, sizeof err), -1);
	ck_assert_int_eq(access(taken, F_OK), 0);
	struct stat st;
	ck_assert_int_eq(stat(j, &st), 0);
	ck_assert_int_eq(st.st_size, 0); /* nothing recorded */
	close(jfd);
	free(tmp);
	free(taken);
	free(j);
	rm_rf(d);
}
END_TEST

/* A file whose final name became a folder after it was queued: dropped alone, its record
 * not written, its arg handed back with the reason; the others placed, their args freed. */
START_TEST(dropped_reported)
{
	char *d = tmpdir(), *j, err[600];
	int jfd;
	struct commit *c = start_journaled(d, &j, &jfd);
	const char *names[] = {"a", "clash", "b"};
	/* The committer checks nothing before its rename (the caller's check came first): a
	 * folder there already is the race that check lost. */
	char *clash = xasprintf("%s/clash", d);
	ck_assert_int_eq(mkdir(clash, 0755), 0);
	for (int i = 0; i < 3; i++) {
		struct afile af;
		ck_assert_int_eq(afile_open(&af, d, names[i], 0644, err, sizeof err), 0);
		ck_assert_int_eq(file_write_all(af.fd, "x", 1), 0);
		ck_assert_int_eq(commit_file_report(c, &af, xasprintf("done %s\n", names[i]), xstrdup(names[i])), 0);
	}
	struct commit_dropped *v;
	ck_assert_int_eq(commit_wait(c, err, sizeof err), 0);
	size_t n = commit_take_dropped(c, &v);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0].arg, "clash");
	ck_assert_ptr_nonnull(strstr(v[0].why, "clash: a folder is in the way"));
	free(v[0].arg);
	free(v);
	ck_assert_uint_eq(commit_take_dropped(c, &v), 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(commit_finish(c, err, sizeof err), 0);
	char buf[64] = "";
	FILE *f = fopen(j, "r");
	size_t got = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[got] = 0;
	ck_assert_str_eq(buf, "done a\ndone b\n");
	ck_assert_uint_eq(count_files(d), 4); /* journal, a, b, the folder clash: no temporary left */
	close(jfd);
	free(clash);
	free(j);
	rm_rf(d);
}
END_TEST

Suite *suite_commit(void)
{
	Suite *s = suite_create("commit");
	TCase *t = tcase_create("commit");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, files_and_journal);
	tcase_add_test(t, record_callback_dir_fd_unlink);
	tcase_add_test(t, failure_drops_the_rest);
	tcase_add_test(t, dropped_reported);
	suite_add_tcase(s, t);
	return s;
}
