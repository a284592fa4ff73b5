/* SPDX-License-Identifier: MIT */
/* log.h - verbosity (-v trace, -q quiet) and protocol trace lines on stderr. */
#ifndef NT_LOG_H
#define NT_LOG_H

#include <stddef.h>
#include "nt_err.h"

enum log_level { LOG_QUIET = 0, LOG_NORMAL = 1, LOG_VERBOSE = 2 };
extern int log_level;

/* Informational message (suppressed by -q). */
void log_info(const char *fmt, ...) NT_PRINTF(1, 2);
/* Trace message (only with -v). */
void log_trace(const char *fmt, ...) NT_PRINTF(1, 2);
/* Protocol trace: "> LINE" (dir '>') or "< LINE" (dir '<'), only with -v.
 * Secrets are masked: PASS, AUTHINFO PASS, AUTH PLAIN/LOGIN data, LOGIN's password,
 * the credentials of an (Proxy-)Authorization header. */
void log_proto(char dir, const char *line, size_t len);
/* The masked form of a protocol line, written to out (always NUL-terminated). */
void log_mask(char *out, size_t outlen, const char *line, size_t len);

#endif
