/* SPDX-License-Identifier: MIT */
/* nt_err.h - messages, exit codes and the x-functions that die on failure.
 *
 * Two tiers (STYLE 3.4): core functions return errors; applets and start-up code
 * may use die() and the x-prefixed wrappers, which never return on failure.
 * Server code that runs after listen() never calls a dying function.
 */
#ifndef NT_ERR_H
#define NT_ERR_H

#include <stdarg.h>
#include <stddef.h>

/* Exit codes, documented in nettool(1); tests/docs/consistency.sh checks that table. */
enum nt_exit {
	NT_EXIT_OK = 0,     /* success */
	NT_EXIT_FAIL = 1,   /* the operation failed: the server said no, a partial batch */
	NT_EXIT_USAGE = 2,  /* bad command line or bad local input */
	NT_EXIT_NET = 3,    /* network: resolve, connect, timeout, connection lost */
	NT_EXIT_TLS = 4,    /* TLS or authentication */
	NT_EXIT_PROTO = 5,  /* protocol: malformed reply */
	NT_EXIT_IO = 6,     /* local I/O */
};

#define NT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NT_NORETURN __attribute__((noreturn))

/* The name used as message prefix ("nettool tcp-serve"); set by dispatch. */
extern const char *nt_applet;

void nt_warn(const char *fmt, ...) NT_PRINTF(1, 2);
void nt_vwarn(const char *fmt, va_list ap);
/* nt_warn() with ": strerror(errno)" appended. */
void nt_warn_sys(const char *fmt, ...) NT_PRINTF(1, 2);
void die(int code, const char *fmt, ...) NT_PRINTF(2, 3) NT_NORETURN;
void die_sys(int code, const char *fmt, ...) NT_PRINTF(2, 3) NT_NORETURN;
/* Flush stdout and exit; a failed write to stdout becomes exit 6 (quiet on EPIPE). */
void nt_exit(int code) NT_NORETURN;

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) NT_PRINTF(1, 2);

/* Copy a server's text for a message: cut at the first character out.h calls unsafe (a
 * control character), at most n-1 bytes. */
void nt_clean_text(char *dst, size_t n, const char *src, size_t len);

/* 1 if s holds CR, LF or NUL-free control characters that would break a protocol line. */
int nt_has_ctl(const char *s);
/* die(NT_EXIT_USAGE) naming what, if s holds CR or LF or another control character. */
void nt_check_line_arg(const char *what, const char *s);

#endif
