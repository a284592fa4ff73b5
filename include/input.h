/* SPDX-License-Identifier: MIT */
/* input.h - where the textbook clients' messages come from: MESSAGE arguments, else the
 * lines of standard input; on a terminal with a "> " prompt, where an empty line ends
 * (the textbook's loop). Used by tcp-send and udp-send. */
#ifndef NT_INPUT_H
#define NT_INPUT_H

#include <stddef.h>

struct input {
	char **args;
	int nargs, i;
	int tty;      /* prompt, and an empty line ends */
	char *line;
	size_t cap;
};

void input_init(struct input *in, char **args, int nargs);
/* The next message, without its line end: 1, or 0 when there is none. */
int input_next(struct input *in, const char **msg, size_t *len);
void input_free(struct input *in);

#endif
