/* SPDX-License-Identifier: MIT */
/* input.c - messages from arguments or from standard input, with the textbook's prompt.
 *
 * Header: include/input.h    Tests: tests/integration/tcp_serve.sh, tests/integration/udp_serve.sh
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "input.h"
#include "log.h"

void input_init(struct input *in, char **args, int nargs)
{
	memset(in, 0, sizeof *in);
	in->args = args;
	in->nargs = nargs;
	in->tty = !nargs && isatty(0);
}

int input_next(struct input *in, const char **msg, size_t *len)
{
	if (in->nargs) {
		if (in->i >= in->nargs)
			return 0;
		*msg = in->args[in->i++];
		*len = strlen(*msg);
		return 1;
	}
	if (in->tty && log_level > LOG_QUIET) {
		fputs("> ", stdout);
		fflush(stdout);
	}
	ssize_t n = getline(&in->line, &in->cap, stdin);
	if (n < 0)
		return 0;
	*len = line_strip(in->line, (size_t)n);
	*msg = in->line;
	return !(in->tty && *len == 0); /* on a terminal an empty line ends */
}

void input_free(struct input *in)
{
	free(in->line);
	in->line = NULL;
}
