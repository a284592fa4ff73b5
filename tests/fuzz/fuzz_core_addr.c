/* SPDX-License-Identifier: MIT */
/* fuzz_core_addr.c - libFuzzer harness for the address, URL and host:path parsers and
 * the netrc reader: any input must be refused or parsed, never crash or overrun. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cred.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	struct addr a;
	struct url u;
	char err[ADDR_ERRLEN];
	if (addr_parse(s, 8888, &a, err) == 0 && !a.is_unix)
		(void)addr_check_host(a.host, err);
	(void)url_parse(s, &u, err);
	(void)addr_parse_hostpath(s, &u, err);
	/* The same bytes as a netrc file. */
	char path[] = "/tmp/fuzz-netrc-XXXXXX";
	int fd = mkstemp(path);
	if (fd >= 0) {
		if (write(fd, data, size) == (ssize_t)size) {
			char *user = NULL, *pass = NULL, e2[256];
			cred_netrc_lookup(path, "example.org", &user, &pass, e2, sizeof e2);
			free(user);
			free(pass);
		}
		close(fd);
		unlink(path);
	}
	free(s);
	return 0;
}
