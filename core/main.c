/* SPDX-License-Identifier: MIT */
/* main.c - the nettool multi-call binary: dispatch on basename(argv[0]), else on the
 * first argument; --list, --install [DIR], --help, --version.
 *
 * Man page: man/nettool.1    Tests: tests/integration/dispatch.sh, tests/unit/check_applets.c
 */
#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applets.h"
#include "nt_err.h"
#include "xfer.h"

#ifndef NETTOOL_VERSION
#define NETTOOL_VERSION "0.1.0"
#endif

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

/* Symlink every applet name in dir to the binary. Correct links are left alone; a
 * file that is not our link is never clobbered (named, exit 1). */
static int install(const char *argv0, const char *dir)
{
	char *self = self_path(argv0);
	int rc = 0;
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		die(NT_EXIT_IO, "--install: '%s' is not a folder", dir);
	/* Link by the name the user sees when the binary sits in the same folder. */
	char *rdir = realpath(dir, NULL);
	const char *target = self;
	if (rdir) {
		size_t dl = strlen(rdir);
		if (strncmp(self, rdir, dl) == 0 && self[dl] == '/' && !strchr(self + dl + 1, '/'))
			target = self + dl + 1;
	}
	for (unsigned i = 0; i < n_applets; i++) {
		char *link = xasprintf("%s/%s", dir, applets[i].name);
		char cur[PATH_MAX];
		ssize_t n = readlink(link, cur, sizeof cur - 1);
		if (n >= 0) {
			cur[n] = 0;
			char *res = realpath(link, NULL);
			int ours = res && strcmp(res, self) == 0;
			free(res);
			if (ours) {
				free(link);
				continue;
			}
			nt_warn("--install: %s is a link to '%s', not to nettool: left alone", link, cur);
			rc = 1;
		} else if (lstat(link, &st) == 0) {
			nt_warn("--install: %s exists and is not a link to nettool: left alone", link);
			rc = 1;
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

static int run(const struct applet *a, const char *name, int argc, char **argv)
{
	static char prefix[64];
	snprintf(prefix, sizeof prefix, "%s", name);
	nt_applet = prefix;
	int rc = a->main(argc, argv);
	nt_exit(rc);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	const char *name = base(argv[0] ? argv[0] : "nettool");
	const struct applet *a = applet_find(name);
	if (a)
		return run(a, name, argc, argv);  /* "tcp-serve: ..." through a symlink */

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
		printf("nettool %s\n%s\n%s\n", NETTOOL_VERSION, xfer_version(), OpenSSL_version(OPENSSL_VERSION));
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
