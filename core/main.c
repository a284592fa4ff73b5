/* SPDX-License-Identifier: MIT */
/* main.c - the nettool multi-call binary: dispatch on basename(argv[0]), else on the
 * first argument; --list, --install [DIR], --help, --version. A link whose name is no
 * applet is named in the error, never taken for nettool itself.
 *
 * Man page: man/nettool.1    Tests: tests/integration/dispatch.sh, tests/unit/check_applets.c
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applets.h"
#include "nt_err.h"
#include "opt.h"
#include "out.h"

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: nettool APPLET [ARGS...]   or   APPLET [ARGS...] (through a symlink)\n"
		   "       nettool --list | --install [DIR] | --help | --version\n\n"
		   "Applets:\n");
	for (unsigned i = 0; i < n_applets; i++)
		if (applets[i].summary)
			fprintf(f, "  %-11s %s\n", applets[i].name, applets[i].summary);
	fprintf(f, "\n'nettool APPLET --help' describes one applet; nettool(1) the exit codes.\n");
}

/* Where this binary is, for --install. */
static char *self_path(const char *argv0)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = 0;
		return xstrdup(buf);
	}
	char *r = realpath(argv0, NULL);
	if (!r)
		die_sys(NT_EXIT_IO, "cannot find the nettool binary");
	return r;
}

/* mkdir -p DIR, as `install -d` does: every missing level is made (mode 0777 less the
 * umask) and named on stderr; an existing level that is not a folder stops it. */
static void make_dir(const char *dir)
{
	char *p = xstrdup(dir);
	size_t n = strlen(p);
	for (size_t i = 1; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (i < n && p[i - 1] == '/')
			continue; /* "a//b" */
		char c = p[i];
		p[i] = 0;
		struct stat st;
		if (stat(p, &st) < 0) {
			if (errno != ENOENT || mkdir(p, 0777) < 0)
				die_sys(NT_EXIT_IO, "--install: cannot create the folder '%s'", p);
			nt_warn("--install: created the folder '%s'", p);
		} else if (!S_ISDIR(st.st_mode)) {
			die(NT_EXIT_IO, "--install: '%s' is not a folder", p);
		}
		p[i] = c;
	}
	free(p);
}

/* Symlink every applet name, and nettool itself, in dir to the binary (dir is made
 * when missing). Correct links (and the binary itself) are left alone; a file that is
 * not our link is never clobbered (named, exit 1). */
static int install(const char *argv0, const char *dir)
{
	char *self = self_path(argv0);
	int rc = 0;
	struct stat st, me;
	if (!*dir)
		die(NT_EXIT_USAGE, "--install: the folder name is empty");
	make_dir(dir);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		die(NT_EXIT_IO, "--install: '%s' is not a folder", dir);
	if (stat(self, &me) < 0)
		die_sys(NT_EXIT_IO, "--install: %s", self);
	/* Link by the name the user sees when the binary sits in the same folder. */
	char *rdir = realpath(dir, NULL);
	const char *target = self;
	if (rdir) {
		size_t dl = strlen(rdir);
		if (strncmp(self, rdir, dl) == 0 && self[dl] == '/' && !strchr(self + dl + 1, '/'))
			target = self + dl + 1;
	}
	for (unsigned i = 0; i <= n_applets; i++) {
		/* nettool itself first, so that `nettool --list` works with only DIR on PATH */
		const char *name = i == 0 ? "nettool" : applets[i - 1].name;
		char *link = xasprintf("%s/%s", dir, name);
		char cur[PATH_MAX];
		ssize_t n = readlink(link, cur, sizeof cur - 1);
		if (n >= 0) {
			cur[n] = 0;
			char *res = realpath(link, NULL);
			int ours = res && strcmp(res, self) == 0;
			free(res);
			if (!ours) {
				nt_warn("--install: %s is a link to '%s', not to nettool: left alone", link, cur);
				rc = 1;
			}
		} else if (lstat(link, &st) == 0) {
			/* the binary itself (or a hard link to it) is nettool already */
			if (st.st_dev != me.st_dev || st.st_ino != me.st_ino) {
				nt_warn("--install: %s exists and is not a link to nettool: left alone", link);
				rc = 1;
			}
		} else if (symlink(target, link) < 0) {
			nt_warn_sys("--install: %s", link);
			rc = NT_EXIT_IO;
		}
		free(link);
	}
	free(rdir);
	free(self);
	return rc;
}

/* Is NAME (the base name we were run by, not an applet) nettool itself: "nettool...",
 * or the binary's own file name (a copy called nt)? Otherwise it is a link or copy
 * named after an applet we do not have. */
static int own_name(const char *name)
{
	if (!strncmp(name, "nettool", 7))
		return 1;
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return !strcmp(base(buf), name);
}

static int run(const struct applet *a, const char *name, int argc, char **argv)
{
	static char prefix[64];
	snprintf(prefix, sizeof prefix, "%s", name);
	nt_applet = prefix;
	int rc = a->main(argc, argv);
	nt_exit(rc);
}

/* Standard input, output or error closed at the start (a caller's >&-): /dev/null opened
 * in its place the wrong way round (input write-only, output read-only), so that no
 * socket or file opened later takes the number (data meant for standard output went
 * into libcurl's internal socket, exit 0) and a read or write there fails (EBADF) as it
 * would on the closed one. */
static void std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", fd ? O_RDONLY : O_WRONLY);
			if (n >= 0 && n != fd) { /* (not reached: the lowest free number is fd) */
				dup2(n, fd);
				close(n);
			}
		}
}

int main(int argc, char **argv)
{
	std_fds();
	signal(SIGPIPE, SIG_IGN);
	const char *name = base(argv[0] ? argv[0] : "nettool");
	const struct applet *a = applet_find(name);
	if (a)
		return run(a, name, argc, argv);  /* "tcp-serve: ..." through a symlink */
	if (!own_name(name)) {
		char shown[256]; /* a file name may hold anything: shown safe for a terminal */
		out_clean(shown, sizeof shown, name, strlen(name), 0);
		nt_warn("'%s' is not an applet (the link's name); nettool --list shows them", shown);
		return NT_EXIT_USAGE;
	}

	if (argc < 2) {
		usage(stderr);
		return NT_EXIT_USAGE;
	}
	const char *arg = argv[1];
	if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
		usage(stdout);
		nt_exit(0);
	}
	if (!strcmp(arg, "--version") || !strcmp(arg, "-V")) {
		opt_version(stdout);
		nt_exit(0);
	}
	if (!strcmp(arg, "--list")) {
		for (unsigned i = 0; i < n_applets; i++)
			printf("%s\n", applets[i].name);
		nt_exit(0);
	}
	if (!strcmp(arg, "--install")) {
		if (argc > 3)
			die(NT_EXIT_USAGE, "--install takes one folder");
		nt_exit(install(argv[0], argc == 3 ? argv[2] : "."));
	}
	if (!strcmp(arg, "--complete-words")) { /* for completions/nettool.bash */
		for (unsigned i = 0; i < n_applets; i++)
			printf("%s\n", applets[i].name);
		printf("--list\n--install\n--help\n--version\n");
		nt_exit(0);
	}
	if (arg[0] == '-') {
		nt_warn("unknown option '%s'", arg);
		fprintf(stderr, "Try 'nettool --help'.\n");
		return NT_EXIT_USAGE;
	}
	/* A path is accepted here too, for #! wrappers (as BusyBox and toybox do). */
	a = applet_find(base(arg));
	if (!a) {
		nt_warn("unknown applet '%s' (see nettool --list)", arg);
		return NT_EXIT_USAGE;
	}
	char prefix[64];
	snprintf(prefix, sizeof prefix, "nettool %s", base(arg));
	return run(a, prefix, argc - 1, argv + 1);
}
