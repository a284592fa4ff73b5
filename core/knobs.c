/* SPDX-License-Identifier: MIT */
/* knobs.c - the test knobs (see knobs.h). Compiled twice: without NETTOOL_TEST_KNOBS for
 * the shipped binary (every knob off), with it for build/nettool-test.
 *
 * Header: include/knobs.h    Tests: tests/integration/mail_fetch_crash.sh, tests/integration/accounts.sh
 */
#include <stdlib.h>
#include <string.h>

#include "knobs.h"

const char *nt_test_knob(const char *name)
{
#ifdef NETTOOL_TEST_KNOBS
	static const char *const known[] = {"NETTOOL_MAIL_BATCH", "NETTOOL_MAIL_CRASH", "NETTOOL_MAIL_NOSYNC",
					    "NETTOOL_NNTP_CHECKPOINT", "NETTOOL_MAILNAME", "NETTOOL_COMMIT_RACE"};
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (!strcmp(name, known[i]))
			return getenv(name);
#else
	(void)name;
#endif
	return NULL;
}
