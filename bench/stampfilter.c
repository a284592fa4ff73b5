/* SPDX-License-Identifier: MIT */
/* stampfilter.c - a small stamp program for the fork servers in bench/stamp.sh
 * (socat ... EXEC:, ncat -k -e): each line of stdin is written to stdout as
 * "STAMP line", STAMP as ctime(3) prints it. Not part of nettool. */
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	char in[65536], out[70000];
	size_t have = 0;
	for (;;) {
		ssize_t r = read(0, in + have, sizeof in - have);
		if (r <= 0)
			return 0;
		have += (size_t)r;
		size_t start = 0, o = 0;
		for (size_t i = 0; i < have; i++) {
			if (in[i] != '\n')
				continue;
			time_t t = time(NULL);
			char s[32];
			ctime_r(&t, s);
			s[24] = ' ';
			if (o + 25 + i - start + 1 > sizeof out) {
				if (write(1, out, o) < 0)
					return 1;
				o = 0;
			}
			memcpy(out + o, s, 25);
			memcpy(out + o + 25, in + start, i - start + 1);
			o += 25 + i - start + 1;
			start = i + 1;
		}
		if (o && write(1, out, o) < 0)
			return 1;
		memmove(in, in + start, have - start);
		have -= start;
		if (have == sizeof in)
			have = 0;
	}
}
