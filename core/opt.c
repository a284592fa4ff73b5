/* SPDX-License-Identifier: MIT */
/* opt.c - option tables parsed on getopt_long; --help, --version and the completion
 * words (kinds, folders, the values of OPT_CHOICE) rendered from the same table.
 *
 * Header: include/opt.h
 * Tests: tests/unit/check_opt.c, tests/docs/consistency.sh, tests/integration/completion.sh,
 * tests/integration/dispatch.sh
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nt_err.h"
#include "opt.h"
#include "xfer.h"

#ifndef NETTOOL_VERSION
#define NETTOOL_VERSION "0.1.0"
#endif

#define KEY_HELP (-100)
#define KEY_WORDS (-101)
#define KEY_VERSION (-102)

void opt_version(FILE *f)
{
	fprintf(f, "nettool %s\n%s\n%s\n", NETTOOL_VERSION, xfer_version(), OpenSSL_version(OPENSSL_VERSION));
}

/* Is the word s (n bytes) one of the space-separated words of list? */
static int in_words(const char *list, const char *s, size_t n)
{
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, " ");
		if (k && k == n && !memcmp(p, s, n))
			return 1;
		p += k;
		p += strspn(p, " ");
	}
	return 0;
}

int opt_parse_uint(const char *s, long long min, long long max, long long *out)
{
	char *end;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > (unsigned long long)LLONG_MAX)
		return -1;
	if ((long long)v < min || (max && (long long)v > max))
		return -1;
	*out = (long long)v;
	return 0;
}

int opt_parse_secs(const char *s, double *out)
{
	char *end;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > 1e7)
		return -1;
	*out = v;
	return 0;
}

int opt_parse_size(const char *s, long long *out)
{
	char *end;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default: return -1;
	}
	if (*end && end[1] && !((end[1] == 'B' || end[1] == 'b') && !end[2]))
		return -1;
	if (v > ((unsigned long long)LLONG_MAX >> shift))
		return -1;
	*out = (long long)(v << shift);
	return 0;
}

void opt_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nt_vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", nt_applet);
	nt_exit(NT_EXIT_USAGE);
}

/* "bar, plain, none" from "bar plain none" (cut to n-1 bytes). */
static void join_words(char *out, size_t n, const char *list)
{
	size_t w = 0;
	out[0] = 0;
	for (const char *p = list; *p && w + 1 < n;) {
		size_t k = strcspn(p, " ");
		int r = snprintf(out + w, n - w, "%s%.*s", w ? ", " : "", (int)k, p);
		if (r < 0)
			break;
		w += (size_t)r;
		p += k;
		p += strspn(p, " ");
	}
	if (w >= n)
		out[n - 1] = 0;
}

/* One line per option: its name and kind (flag, arg, file, dir, or choice followed by
 * the values), then one per command; read by completions/nettool.bash and the docs test. */
static void opt_words(const struct opt_spec *spec)
{
	for (const struct opt *o = spec->opts; o->key; o++) {
		const char *kind;
		switch (o->type) {
		case OPT_FLAG: case OPT_OPTSTR: kind = "flag"; break;
		case OPT_FILE: kind = "file"; break;
		case OPT_DIR: kind = "dir"; break;
		case OPT_CHOICE: kind = "choice"; break;
		default: kind = "arg"; break;
		}
		const char *vals = o->type == OPT_CHOICE && o->values ? o->values : "";
		if (o->key < OPT_LONG)
			printf("-%c %s%s%s\n", o->key, kind, *vals ? " " : "", vals);
		if (o->name)
			printf("--%s %s%s%s\n", o->name, kind, *vals ? " " : "", vals);
	}
	printf("--help flag\n--version flag\n");
	/* Commands complete on the command line; a shell's verbs are listed as "verb"
	 * (for the docs test and for tools that complete inside the shell). */
	const char *lists[2] = {spec->commands, spec->verbs}, *kinds[2] = {"command", "verb"};
	for (int k = 0; k < 2; k++) {
		const char *p = lists[k];
		while (p && *p) {
			size_t n = strcspn(p, " ");
			if (n)
				printf("%.*s %s\n", (int)n, p, kinds[k]);
			p += n;
			p += strspn(p, " ");
		}
	}
}

void opt_help(FILE *f, const struct opt_spec *spec)
{
	fprintf(f, "Usage: %s %s\n", nt_applet, spec->usage);
	if (!spec->opts[0].key && !spec->footer)
		return;
	fputs("\nOptions:\n", f);
	for (const struct opt *o = spec->opts; o->key; o++) {
		char left[80];
		int n = 0;
		if (o->key < OPT_LONG)
			n = snprintf(left, sizeof left, "-%c%s", o->key, o->name ? ", " : "");
		else
			n = snprintf(left, sizeof left, "    ");
		if (o->name)
			n += snprintf(left + n, sizeof left - (size_t)n, "--%s", o->name);
		if (o->arg && o->type == OPT_OPTSTR)
			snprintf(left + n, sizeof left - (size_t)n, "[=%s]", o->arg);
		else if (o->arg && o->type != OPT_FLAG)
			snprintf(left + n, sizeof left - (size_t)n, "%s%s", o->name ? " " : " ", o->arg);
		fprintf(f, "  %-26s %s", left, o->help);
		if (o->type == OPT_CHOICE && o->values) {
			/* "; MODE: bar, plain, none": the values of the table, as completion offers them */
			char list[256];
			join_words(list, sizeof list, o->values);
			fprintf(f, "; %s: %s", o->arg ? o->arg : "one of", list);
		}
		fputc('\n', f);
	}
	fprintf(f, "  %-26s %s\n", "-h, --help", "show this help and exit");
	fprintf(f, "  %-26s %s\n", "    --version", "show the version of nettool and its libraries, and exit");
	if (spec->footer)
		fprintf(f, "\n%s", spec->footer);
}

static void setup(struct opt_state *os, const struct opt_spec *spec, int argc, char **argv, int cmd)
{
	memset(os, 0, sizeof *os);
	os->spec = spec;
	os->argc = argc;
	os->argv = argv;
	os->stop_at_operand = cmd;
	size_t n = 0;
	for (const struct opt *o = spec->opts; o->key; o++)
		n++;
	for (const struct opt *o = spec->refused; o && o->key; o++)
		n++;
	struct option *lo = xcalloc(n + 4, sizeof *lo);
	char *s = os->shortopts;
	size_t si = 0, li = 0;
	s[si++] = cmd ? '+' : ':';
	if (cmd)
		s[si++] = ':';
	for (const struct opt *o = spec->opts; o->key; o++) {
		int has = o->type == OPT_FLAG ? no_argument : o->type == OPT_OPTSTR ? optional_argument : required_argument;
		if (o->key < OPT_LONG && si + 4 < sizeof os->shortopts) {
			s[si++] = (char)o->key;
			if (has == required_argument)
				s[si++] = ':';
			else if (has == optional_argument)
				s[si++] = ':', s[si++] = ':';
		}
		if (o->name) {
			lo[li].name = o->name;
			lo[li].has_arg = has;
			lo[li].val = o->key;
			li++;
		}
	}
	for (const struct opt *o = spec->refused; o && o->key; o++)
		if (o->name) {
			lo[li].name = o->name;
			lo[li].has_arg = o->type == OPT_FLAG ? no_argument : o->type == OPT_OPTSTR ? optional_argument : required_argument;
			lo[li].val = o->key;
			li++;
		}
	if (si + 2 < sizeof os->shortopts)
		s[si++] = 'h';
	s[si] = 0;
	lo[li++] = (struct option){"help", no_argument, NULL, KEY_HELP};
	lo[li++] = (struct option){"complete-words", no_argument, NULL, KEY_WORDS};
	lo[li++] = (struct option){"version", no_argument, NULL, KEY_VERSION};
	os->longopts = lo;
	optind = 0; /* full reinitialisation of getopt (GNU) */
	opterr = 0;
}

void opt_init(struct opt_state *os, const struct opt_spec *spec, int argc, char **argv)
{
	setup(os, spec, argc, argv, 0);
}

void opt_init_cmd(struct opt_state *os, const struct opt_spec *spec, int argc, char **argv)
{
	setup(os, spec, argc, argv, 1);
}

void opt_done(struct opt_state *os)
{
	free(os->longopts);
	os->longopts = NULL;
}

static const struct opt *find(const struct opt_spec *spec, int key)
{
	for (const struct opt *o = spec->opts; o->key; o++)
		if (o->key == key)
			return o;
	return NULL;
}

static const struct opt *find_refused(const struct opt_spec *spec, int key)
{
	for (const struct opt *o = spec->refused; o && o->key; o++)
		if (o->key == key)
			return o;
	return NULL;
}

/* "-p" or "--port" for messages. */
static const char *optname(const struct opt *o, char *buf, size_t n)
{
	if (o->name)
		snprintf(buf, n, "--%s", o->name);
	else
		snprintf(buf, n, "-%c", o->key);
	return buf;
}

int opt_next(struct opt_state *os)
{
	int idx = -1;
	int k = getopt_long(os->argc, os->argv, os->shortopts, os->longopts, &idx);
	char nm[64];

	os->str = NULL;
	os->num = 0;
	os->secs = 0;
	if (k == -1) {
		os->ind = optind;
		opt_done(os);
		return -1;
	}
	if (k == 'h' || k == KEY_HELP) {
		opt_help(stdout, os->spec);
		nt_exit(0);
	}
	if (k == KEY_VERSION) {
		opt_version(stdout);
		nt_exit(0);
	}
	if (k == KEY_WORDS) {
		opt_words(os->spec);
		nt_exit(0);
	}
	if (k == '?') {
		if (optopt && optopt < OPT_LONG && optopt > ' ')
			opt_usage_error("unknown option '-%c'", optopt);
		opt_usage_error("unknown option '%s'", nt_has_ctl(os->argv[optind - 1]) ? "?" : os->argv[optind - 1]);
	}
	if (k == ':') {
		const struct opt *o = find(os->spec, optopt);
		if (!o)
			o = find_refused(os->spec, optopt);
		opt_usage_error("option '%s' needs an argument%s%s", o ? optname(o, nm, sizeof nm) : os->argv[optind - 1],
				o && o->arg ? ": " : "", o && o->arg ? o->arg : "");
	}
	const struct opt *o = find(os->spec, k);
	if (!o && (o = find_refused(os->spec, k)))
		opt_usage_error("%s: %s", optname(o, nm, sizeof nm), o->help);
	if (!o)
		opt_usage_error("unknown option '%s'", nt_has_ctl(os->argv[optind - 1]) ? "?" : os->argv[optind - 1]);
	os->str = optarg;
	/* A value named in a message: a control character from the command line is not echoed. */
	const char *shown = optarg && nt_has_ctl(optarg) ? "?" : optarg;
	switch (o->type) {
	case OPT_FLAG:
	case OPT_RAW:
	case OPT_FILE:
	case OPT_DIR:
		break;
	case OPT_CHOICE:
		if (!o->values || !in_words(o->values, optarg, strlen(optarg))) {
			char list[256];
			join_words(list, sizeof list, o->values ? o->values : "");
			opt_usage_error("%s: '%s' is not one of %s", optname(o, nm, sizeof nm), shown, list);
		}
		break;
	case OPT_OPTSTR:
	case OPT_STR:
		if (optarg && nt_has_ctl(optarg))
			opt_usage_error("%s: control characters (CR, LF...) are not allowed", optname(o, nm, sizeof nm));
		break;
	case OPT_UINT:
		if (o->values && in_words(o->values, optarg, strlen(optarg))) {
			os->num = -1; /* the word (--workers auto): the applet decides the number */
			break;
		}
		if (opt_parse_uint(optarg, o->min, o->max, &os->num) < 0) {
			if (o->values)
				opt_usage_error("%s: '%s' is not a number from %lld to %lld, or %s", optname(o, nm, sizeof nm),
						shown, o->min, o->max, o->values);
			if (o->max)
				opt_usage_error("%s: '%s' is not a number from %lld to %lld", optname(o, nm, sizeof nm),
						shown, o->min, o->max);
			opt_usage_error("%s: '%s' is not a number (%lld or more)", optname(o, nm, sizeof nm), shown, o->min);
		}
		break;
	case OPT_PORT:
		if (opt_parse_uint(optarg, 1, 65535, &os->num) < 0)
			opt_usage_error("%s: '%s' is not a port (1-65535)", optname(o, nm, sizeof nm), shown);
		break;
	case OPT_SECS:
		if (opt_parse_secs(optarg, &os->secs) < 0)
			opt_usage_error("%s: '%s' is not a number of seconds", optname(o, nm, sizeof nm), shown);
		os->num = (long long)(os->secs * 1000.0 + 0.5);
		break;
	case OPT_SIZE:
		if (opt_parse_size(optarg, &os->num) < 0 || os->num < o->min || (o->max && os->num > o->max))
			opt_usage_error("%s: '%s' is not a size in bytes (k, M, G suffixes allowed)",
					optname(o, nm, sizeof nm), shown);
		break;
	}
	return k;
}
