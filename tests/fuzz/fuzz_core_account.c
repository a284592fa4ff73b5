/* SPDX-License-Identifier: MIT */
/* fuzz_core_account.c - libFuzzer harness for the accounts-file parser (core/account.c):
 * any input must be refused with a file:line message or parsed into bounded sections,
 * never crash or overrun. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct accounts f;
	char err[600];
	if (accounts_parse(&f, "fuzz", (const char *)data, size, err, sizeof err) == 0) {
		if (f.n > ACC_SECTIONS_MAX)
			abort();
		for (int i = 0; i < f.n; i++) {
			if (strlen(f.a[i].name) > ACC_NAME_MAX || accounts_find(&f, f.a[i].name) != &f.a[i])
				abort();
			for (int k = 0; k < ACC_NKEYS; k++)
				if (f.a[i].v[k] && (!*f.a[i].v[k] || strlen(f.a[i].v[k]) > ACC_LINE_MAX))
					abort();
			if (f.a[i].v[ACC_FROM])
				(void)accounts_by_from(&f, f.a[i].v[ACC_FROM], "smtp smtps");
		}
	} else if (strncmp(err, "fuzz:", 5)) {
		abort(); /* every refusal names the file and line */
	}
	accounts_free(&f);
	return 0;
}
