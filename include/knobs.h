/* SPDX-License-Identifier: MIT */
/* knobs.h - switches for the test suite only: a crash point, a smaller batch, no syncs, a
 * checkpoint interval. They are read from the environment only in the test build
 * (core/knobs.c compiled with -DNETTOOL_TEST_KNOBS and linked into build/nettool-test);
 * the installed binary's nt_test_knob() always returns NULL, so no environment can set
 * them there.
 *
 * Tests: tests/integration/mail_fetch_crash.sh (the test build, and the shipped binary
 * ignoring NETTOOL_MAIL_CRASH)
 */
#ifndef NT_KNOBS_H
#define NT_KNOBS_H

/* The value of the test knob name (NETTOOL_MAIL_BATCH, NETTOOL_MAIL_CRASH,
 * NETTOOL_MAIL_NOSYNC, NETTOOL_NNTP_CHECKPOINT, NETTOOL_MAILNAME, NETTOOL_COMMIT_RACE), or NULL: always NULL outside the test
 * build, and for any other name. */
const char *nt_test_knob(const char *name);

#endif
