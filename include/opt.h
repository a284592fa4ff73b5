/* SPDX-License-Identifier: MIT */
/* opt.h - one option table per applet: parsing on getopt_long, --help, completion words.
 *
 *	static const struct opt opts[] = {
 *		{'p', "port", OPT_PORT, "PORT", "listen on PORT (default 8888)"},
 *		{O_IDLE, "idle-timeout", OPT_SECS, "SEC", "close idle clients"},
 *		{0},
 *	};
 *	static const struct opt_spec spec = {"[OPTIONS] [ADDR]", opts, NULL};
 *	struct opt_state os;
 *	opt_init(&os, &spec, argc, argv);
 *	for (int k; (k = opt_next(&os)) != -1;)
 *		switch (k) { case 'p': port = os.num; break; ... }
 *	args = argv + os.ind;
 *
 * opt_next() checks every argument against its type once (messages and exit 2 alike
 * for all applets), answers --help and --version (stdout, exit 0; every applet the same
 * way) and the undocumented --complete-words (option names, their kinds and the values
 * of OPT_CHOICE options, for the completion script and the docs test).
 *
 * An option with a fixed set of values carries them in its row, so that --help, the
 * completion and the docs test read one list:
 *	{O_PROGRESS, "progress", OPT_CHOICE, "MODE", "the progress meter", .values = "bar plain none"},
 */
#ifndef NT_OPT_H
#define NT_OPT_H

#include <stdio.h>

enum opt_type {
	OPT_FLAG,   /* no argument */
	OPT_STR,    /* a string (checked for control characters) */
	OPT_RAW,    /* a string taken as it is (message text, format strings) */
	OPT_FILE,   /* a path (completion offers files) */
	OPT_DIR,    /* a path to a folder (completion offers folders) */
	OPT_CHOICE, /* one of the words of .values (checked here); os.str */
	OPT_UINT,   /* unsigned number in [min, max] (max 0: no limit); os.num */
	OPT_PORT,   /* 1-65535; os.num */
	OPT_SECS,   /* seconds, decimals allowed (0.5); os.secs and os.num (ms) */
	OPT_SIZE,   /* bytes with optional k/M/G suffix (powers of 1024); os.num */
	OPT_OPTSTR, /* an optional argument, given as --name=VALUE; os.str may be NULL */
};

/* Long-only options use keys from here up. */
#define OPT_LONG 256

struct opt {
	int key;          /* short letter, or OPT_LONG + n for long-only options */
	const char *name; /* long name without "--", or NULL for short-only */
	enum opt_type type;
	const char *arg;  /* argument name shown in --help ("PORT") */
	const char *help; /* one line */
	long long min, max; /* OPT_UINT range; both 0: any value >= 0 */
	const char *values; /* OPT_CHOICE: the accepted words, separated by spaces; OPT_UINT: a
			     * word accepted beside the numbers, parsed as os.num -1 ("auto") */
};

struct opt_spec {
	const char *usage;  /* after the applet name: "[OPTIONS] HOST[:PORT]" */
	const struct opt *opts; /* terminated by a zero entry */
	const char *footer; /* extra help text (commands, defaults), or NULL */
	const char *commands; /* "get put ls ..." for completion (applets with commands), or NULL */
	/* Options this applet knows of and refuses (exit 2, the row's help as the reason),
	 * e.g. the shared OAuth2 rows where no server has a bearer login; not in --help or
	 * the completion words. Terminated by a zero entry; NULL: none. */
	const struct opt *refused;
	const char *verbs;    /* "open user cd ...": the verbs of an applet's shell, or NULL */
};

struct opt_state {
	const struct opt_spec *spec;
	int argc;
	char **argv;
	int ind;            /* index of the first operand after parsing */
	const char *str;    /* the argument of the option just returned (or NULL) */
	long long num;      /* numeric value for UINT, PORT, SIZE; milliseconds for SECS */
	double secs;        /* OPT_SECS value */
	/* private */
	void *longopts;
	char shortopts[128];
	int stop_at_operand; /* stop at the first operand (for COMMAND ARGS applets) */
};

/* -4/-6, worded once: servers use it as it is; the client applets' shared rows (TLS,
 * credentials, proxy, timeout, -v/-q) and their one handler are in connpol.h. */
#define OPT_ROWS_IP \
	{'4', NULL, OPT_FLAG, NULL, "IPv4 only"}, \
	{'6', NULL, OPT_FLAG, NULL, "IPv6 only"}

/* Prepare to parse argv[1..]. With stop_at_operand, parsing stops at the first
 * operand so that a command word can take its own options (ftp get -o F). */
void opt_init(struct opt_state *os, const struct opt_spec *spec, int argc, char **argv);
void opt_init_cmd(struct opt_state *os, const struct opt_spec *spec, int argc, char **argv);
/* The next option key, or -1 when options end (os->ind is then the first operand). */
int opt_next(struct opt_state *os);
/* Free what opt_init allocated (called by opt_next when it returns -1). */
void opt_done(struct opt_state *os);

/* Print the --help text of this applet. */
void opt_help(FILE *f, const struct opt_spec *spec);
/* The --version text, the same for nettool and every applet: nettool's version, then
 * the libcurl and OpenSSL it runs with, a line each. */
void opt_version(FILE *f);
/* "nettool APPLET: MSG" then "Try 'APPLET --help'." on stderr, exit 2. */
void opt_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Parsers shared with other code; return 0 or -1 (with a message in err). */
int opt_parse_uint(const char *s, long long min, long long max, long long *out);
int opt_parse_secs(const char *s, double *out);
int opt_parse_size(const char *s, long long *out);

#endif
