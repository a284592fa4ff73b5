/* SPDX-License-Identifier: MIT */
/* commitpolicy.c - the measurement behind core/commit's one sync policy (bench/commit.sh):
 * N files of SIZE bytes created in DIR/tmp in groups of 64, made durable, renamed into
 * DIR/new, DIR/new fsynced once per group; the data made durable by
 *
 *   commitpolicy syncfs DIR N SIZE     one syncfs(2) per group (nettool's policy)
 *   commitpolicy fdatasync DIR N SIZE  one fdatasync(2) per file
 *
 * Output: "secs=S". Not part of nettool: a measuring tool.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GROUP 64

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void need(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[1], "syncfs") && strcmp(argv[1], "fdatasync"))) {
		fprintf(stderr, "usage: commitpolicy syncfs|fdatasync DIR N SIZE\n");
		return 2;
	}
	int per_file = !strcmp(argv[1], "fdatasync");
	const char *base = argv[2];
	int n = atoi(argv[3]);
	size_t size = (size_t)atol(argv[4]);
	char tmp[4096], nw[4096], a[4200], b[4200];
	snprintf(tmp, sizeof tmp, "%s/tmp", base);
	snprintf(nw, sizeof nw, "%s/new", base);
	need(mkdir(base, 0755) == 0 && mkdir(tmp, 0755) == 0 && mkdir(nw, 0755) == 0, base);
	char *data = malloc(size ? size : 1);
	need(data != NULL, "malloc");
	memset(data, 'x', size);
	int dfd = open(nw, O_RDONLY | O_DIRECTORY);
	need(dfd >= 0, nw);
	int fds[GROUP];
	double t0 = now();
	for (int i = 0; i < n; i += GROUP) {
		int k = n - i < GROUP ? n - i : GROUP;
		for (int j = 0; j < k; j++) {
			snprintf(a, sizeof a, "%s/%d", tmp, i + j);
			fds[j] = open(a, O_WRONLY | O_CREAT | O_EXCL, 0644);
			need(fds[j] >= 0 && write(fds[j], data, size) == (ssize_t)size, a);
		}
		if (per_file)
			for (int j = 0; j < k; j++)
				need(fdatasync(fds[j]) == 0, "fdatasync");
		else
			need(syncfs(fds[0]) == 0, "syncfs");
		for (int j = 0; j < k; j++) {
			close(fds[j]);
			snprintf(a, sizeof a, "%s/%d", tmp, i + j);
			snprintf(b, sizeof b, "%s/%d", nw, i + j);
			need(rename(a, b) == 0, b);
		}
		need(fsync(dfd) == 0, "fsync");
	}
	printf("secs=%.3f\n", now() - t0);
	close(dfd);
	free(data);
	return 0;
}
