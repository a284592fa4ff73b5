/* SPDX-License-Identifier: MIT */
/* over.h - the overview format (LIST OVERVIEW.FMT, RFC 3977 8.4) and OVER lines, parsed
 * with bounds: at most OVER_MAX_FIELDS fields, names at most OVER_MAX_NAME bytes.
 * Used by the nntp applet, tests/unit/check_nntp.c and tests/fuzz/fuzz_nntp_over.c. */
#ifndef NT_NNTP_OVER_H
#define NT_NNTP_OVER_H

#include <stddef.h>

#define OVER_MAX_FIELDS 64
#define OVER_MAX_NAME 64

struct over_fmt {
	int n;                              /* fields after the article number */
	char name[OVER_MAX_FIELDS][OVER_MAX_NAME]; /* "Subject", ":bytes" becomes "bytes" */
	unsigned char full[OVER_MAX_FIELDS]; /* "Xref:full": the value is prefixed by "Xref: " */
};

/* The RFC 3977 default: Subject From Date Message-ID References :bytes :lines. */
void over_fmt_default(struct over_fmt *f);
/* Add one line of LIST OVERVIEW.FMT ("Subject:", ":bytes", "Xref:full"). 0, or -1 when
 * the line is malformed or the table is full (the line is then ignored). */
int over_fmt_add(struct over_fmt *f, const char *line, size_t len);

struct over_field {
	const char *p;
	size_t n;
};

/* Split an OVER line at tabs: fields[0] is the article number; at most max fields are
 * kept (the rest are ignored). Returns the count, or -1 when the number is not one. */
int over_split(const char *line, size_t len, struct over_field *fields, int max, long long *num);

/* The value of field i (1-based after the number) of a line per f: a "full" field loses
 * its "Name: " prefix when present. */
struct over_field over_value(const struct over_fmt *f, int i, struct over_field v);

#endif
