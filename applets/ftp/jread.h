/* SPDX-License-Identifier: MIT */
/* jread.h - the --journal format, read back (ftp status; the engine's own reader looks
 * only at done lines). One item a line, fields separated by TAB, LF-terminated; a last
 * line without LF was cut by a crash and means nothing:
 *	done\tKIND\tSRC\tDST            the item is done (durable before this line was)
 *	failed\tKIND\tSRC\tDST\tREASON  its last attempt failed (REASON has no TAB)
 *	run\tKIND\tBASE\tOTHER          a run began: how list lines became items (--from-file);
 *	                              a tree run (get -r, mirror, copy -r): its folders, as a list
 *	                              of its relative paths would have them; a command-line get,
 *	                              put, rm or copy: its target (put: BASE the remote one; get:
 *	                              OTHER the local folder or -o file; copy: both paths)
 *	site\tHOST:PORT[\tHOST:PORT]   right after a run line (since this version): the server of
 *	                              that run (copy: source, then destination); older journals
 *	                              have none
 *	opts\t[--move] [--shard K/N]  right after the site line (since this version): the options
 *	                              that make a run another job (empty: none)
 *	tag\tnettool-HEX              the tag of the temporaries of this journal's runs (durable.c)
 * KIND is get, put, rm, copy, rmdir or mkdir. Other lines are ignored (later versions).
 * Unit-tested in tests/unit/check_ftp.c, fuzzed by tests/fuzz/fuzz_ftp_journal.c. */
#ifndef FTP_JREAD_H
#define FTP_JREAD_H

#include <stddef.h>

#include "jset.h"

enum jl_type { JL_OTHER = 0, JL_DONE, JL_FAILED, JL_RUN, JL_BAD, JL_SITE, JL_OPTS };

struct jline {
	enum jl_type type;
	const char *key;  /* done, failed: "KIND\tSRC\tDST" (key, keylen: not NUL-terminated) */
	size_t keylen;
	const char *reason; /* failed */
	size_t reasonlen;
	const char *run;  /* run: "KIND\tBASE\tOTHER"; site: "HOST:PORT[\tHOST:PORT]"; opts */
	size_t runlen;
};

/* One line without its LF. Returns the type; JL_BAD for a done, failed or run line
 * whose fields are wrong (count, empty kind, unknown kind). Never reads past len. */
enum jl_type ftp_jline_parse(const char *line, size_t len, struct jline *j);

/* What one or many journals say. */
struct jsummary {
	struct jset done, failed;
	char *run;          /* the first run line ("KIND\tBASE\tOTHER"), malloc'd */
	int runs_differ;    /* another journal's run line differs */
	char *site;         /* the first site line's value, malloc'd (NULL: an older journal) */
	int sites_differ;   /* a later site line names other servers */
	unsigned long lines, bad, cut;
};
/* Read the journal at path into js: 0, or -1 with errno (cannot open or read). Dies
 * (exit 6) on a line over LREAD_LINE_MAX: not a journal (journal.h). */
int ftp_journal_read(const char *path, struct jsummary *js);
/* The same for n bytes in memory (the fuzz harness, unit tests). */
void ftp_journal_feed(const char *p, size_t n, struct jsummary *js);
void ftp_jsummary_free(struct jsummary *js);

#endif
