/* SPDX-License-Identifier: MIT */
/* inject.c - the fault injector of `make torture`, linked into build-torture/nettool only.
 *
 * The torture binary is linked with -Wl,--wrap=NAME for each call below, so that only the
 * calls our own objects make come here (libcurl's and OpenSSL's calls go to the real
 * functions: faults are injected at our call sites, never inside the libraries). A call
 * site is the pair of return addresses (the caller, and its caller: so each caller of
 * xmalloc is a site of its own), as offsets in the executable, so that a site is the same
 * in every run whatever the address-space layout; addr2line turns one into file:line.
 *
 * NT_TORTURE (read once, at start):
 *   count:FILE                 count the calls per (family, site); written to FILE at exit
 *   fail:FAMILY:SITE:N:HOW     the Nth call (1-based) of FAMILY at SITE (hex) fails as HOW
 *                              says: an errno name (EIO, ENOSPC, EDQUOT, EACCES, ENOMEM,
 *                              ECONNRESET, EPIPE, ETIMEDOUT, ECONNREFUSED) or "short" (a
 *                              write or read that moves half the bytes, at least one less);
 *                              every other call goes through. Once injected, a line
 *                              "hit FAMILY SITE N HOW" goes to NT_TORTURE_HIT (a file).
 * Families: alloc (malloc calloc realloc strdup strndup vasprintf), file (open openat read
 * write pread fsync fdatasync syncfs rename renameat renameat2 link linkat unlink unlinkat
 * mkdir mkdirat ftruncate fopen fdopen fflush fclose fwrite, on files), net (connect send
 * recv, read and write on sockets), clock (clock_gettime time gettimeofday: HOW "jump", from
 * the Nth call on every clock reads an hour later, as after a suspend or a stalled peer).
 *
 * ASan: the torture binary is an ASan/UBSan build; the wrappers call __real_NAME, which for
 * the allocation family is ASan's own interceptor, so nothing here is preloaded and ASan
 * keeps the first place in the library list (no LD_PRELOAD ordering to get right).
 *
 * Tests: tests/torture/run.sh (make torture; a small spread in make check).
 */
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

extern char __executable_start[];
extern char etext[];

enum fam { F_ALLOC, F_FILE, F_NET, F_CLOCK, F_N };
static const char *fam_name[F_N] = {"alloc", "file", "net", "clock"};

#define SITES 16384
struct site {
	_Atomic uint64_t key; /* (family+1) << 56 | pc0 << 28 | pc1, 0: free */
	_Atomic unsigned long calls;
};
static struct site table[SITES];

static int mode;               /* 0 off, 1 count, 2 fail */
static char count_file[4096];
static int fail_fam = -1;
static uint64_t fail_site;
static unsigned long fail_n;
static int fail_errno;         /* 0: short */
static char fail_how[32];
static pid_t first_pid;
static atomic_int injected;

static uintptr_t off_of(void *pc)
{
	uintptr_t p = (uintptr_t)pc, lo = (uintptr_t)__executable_start, hi = (uintptr_t)etext;
	return p >= lo && p < hi ? p - lo : 0;
}

/* The site of the wrapped call: our caller's return address and its caller's. site_of and
 * decide are inlined into each wrapper, so the frames are [backtrace's own, wrapper,
 * caller, its caller]. */
static inline __attribute__((always_inline)) uint64_t site_of(void)
{
	void *bt[4];
	int n = backtrace(bt, 4);
	uint64_t a = n > 2 ? off_of(bt[2]) : 0, b = n > 3 ? off_of(bt[3]) : 0;
	return ((uint64_t)a & 0xfffffff) << 28 | ((uint64_t)b & 0xfffffff);
}

static struct site *slot(int fam, uint64_t site)
{
	uint64_t key = (uint64_t)(fam + 1) << 56 | site;
	size_t h = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 50) % SITES;
	for (size_t i = 0; i < SITES; i++) {
		struct site *s = &table[(h + i) % SITES];
		uint64_t k = atomic_load(&s->key);
		if (k == key)
			return s;
		if (k == 0) {
			uint64_t z = 0;
			if (atomic_compare_exchange_strong(&s->key, &z, key) || z == key)
				return s;
		}
	}
	return NULL; /* full: not counted */
}

static const struct {
	const char *name;
	int e;
} errnos[] = {{"EIO", EIO},   {"ENOSPC", ENOSPC},         {"EDQUOT", EDQUOT},       {"EACCES", EACCES},
	      {"ENOMEM", ENOMEM}, {"ECONNRESET", ECONNRESET}, {"EPIPE", EPIPE},         {"ETIMEDOUT", ETIMEDOUT},
	      {"ECONNREFUSED", ECONNREFUSED}};

ssize_t __real_write(int fd, const void *b, size_t n);
int __real_open(const char *path, int flags, ...);

static void dump(void)
{
	if (mode != 1 || getpid() != first_pid)
		return;
	int fd = __real_open(count_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	char line[128];
	for (size_t i = 0; i < SITES; i++) {
		uint64_t k = atomic_load(&table[i].key);
		if (!k)
			continue;
		int len = snprintf(line, sizeof line, "%s %llx %lu\n", fam_name[(k >> 56) - 1],
				   (unsigned long long)(k & ((1ULL << 56) - 1)), atomic_load(&table[i].calls));
		__real_write(fd, line, (size_t)len);
	}
	close(fd);
}

__attribute__((constructor)) static void inject_init(void)
{
	const char *e = getenv("NT_TORTURE");
	first_pid = getpid();
	if (!e || !*e)
		return;
	if (!strncmp(e, "count:", 6)) {
		snprintf(count_file, sizeof count_file, "%s", e + 6);
		mode = 1;
		atexit(dump);
		return;
	}
	char fam[16];
	unsigned long long site;
	unsigned long n;
	if (sscanf(e, "fail:%15[a-z]:%llx:%lu:%31s", fam, &site, &n, fail_how) != 4)
		return;
	for (int i = 0; i < F_N; i++)
		if (!strcmp(fam, fam_name[i]))
			fail_fam = i;
	fail_site = site;
	fail_n = n;
	fail_errno = 0;
	if (!strcmp(fail_how, "jump"))
		fail_errno = -1;
	else if (strcmp(fail_how, "short"))
		for (size_t i = 0; i < sizeof errnos / sizeof *errnos; i++)
			if (!strcmp(fail_how, errnos[i].name))
				fail_errno = errnos[i].e;
	if (fail_fam < 0 || (!fail_errno && strcmp(fail_how, "short")))
		return;
	mode = 2;
}

static void note_hit(int fam, uint64_t site, unsigned long n)
{
	const char *f = getenv("NT_TORTURE_HIT");
	if (!f)
		return;
	int fd = __real_open(f, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	char line[128];
	int len = snprintf(line, sizeof line, "hit %s %llx %lu %s\n", fam_name[fam], (unsigned long long)site, n, fail_how);
	__real_write(fd, line, (size_t)len);
	close(fd);
}

/* 0: go through; 1: fail as told (errno set, or *shrt set for a short transfer). */
static inline __attribute__((always_inline)) int decide(int fam, int *shrt)
{
	if (!mode)
		return 0;
	int saved = errno;
	uint64_t site = site_of();
	struct site *s = slot(fam, site);
	unsigned long n = s ? atomic_fetch_add(&s->calls, 1) + 1 : 0;
	errno = saved;
	if (mode != 2 || fam != fail_fam || site != fail_site || n != fail_n)
		return 0;
	int was = atomic_exchange(&injected, 1);
	if (was)
		return 0;
	note_hit(fam, site, n);
	if (shrt && !fail_errno) {
		*shrt = 1;
		return 1;
	}
	if (!fail_errno) /* "short" for a call that has no short form: the first errno that fits */
		errno = fam == F_ALLOC ? ENOMEM : fam == F_NET ? ECONNRESET : EIO;
	else
		errno = fam == F_ALLOC ? ENOMEM : fail_errno;
	return 1;
}

static int is_sock(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* --- allocation --- */
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_vasprintf(char **out, const char *fmt, va_list ap);

void *__wrap_malloc(size_t n)
{
	return decide(F_ALLOC, NULL) ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b)
{
	return decide(F_ALLOC, NULL) ? NULL : __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n)
{
	if (n == 0)
		return __real_realloc(p, n);
	return decide(F_ALLOC, NULL) ? NULL : __real_realloc(p, n);
}
char *__wrap_strdup(const char *s)
{
	return decide(F_ALLOC, NULL) ? NULL : __real_strdup(s);
}
char *__wrap_strndup(const char *s, size_t n)
{
	return decide(F_ALLOC, NULL) ? NULL : __real_strndup(s, n);
}
int __wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
	if (decide(F_ALLOC, NULL))
		return -1;
	return __real_vasprintf(out, fmt, ap);
}

/* --- files (and sockets for read/write) --- */
int __real_openat(int dir, const char *path, int flags, ...);
ssize_t __real_read(int fd, void *b, size_t n);
ssize_t __real_pread(int fd, void *b, size_t n, off_t off);
int __real_fsync(int fd);
int __real_fdatasync(int fd);
int __real_syncfs(int fd);
int __real_rename(const char *a, const char *b);
int __real_renameat(int da, const char *a, int db, const char *b);
int __real_renameat2(int da, const char *a, int db, const char *b, unsigned fl);
int __real_link(const char *a, const char *b);
int __real_linkat(int da, const char *a, int db, const char *b, int fl);
int __real_unlink(const char *a);
int __real_unlinkat(int d, const char *a, int fl);
int __real_mkdir(const char *a, mode_t m);
int __real_mkdirat(int d, const char *a, mode_t m);
int __real_ftruncate(int fd, off_t len);
FILE *__real_fopen(const char *p, const char *m);
FILE *__real_fdopen(int fd, const char *m);
int __real_fflush(FILE *f);
int __real_fclose(FILE *f);
size_t __real_fwrite(const void *b, size_t s, size_t n, FILE *f);

int __wrap_open(const char *path, int flags, ...)
{
	mode_t m = 0;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		m = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return decide(F_FILE, NULL) ? -1 : __real_open(path, flags, m);
}
int __wrap_openat(int dir, const char *path, int flags, ...)
{
	mode_t m = 0;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		m = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return decide(F_FILE, NULL) ? -1 : __real_openat(dir, path, flags, m);
}
ssize_t __wrap_write(int fd, const void *b, size_t n)
{
	int shrt = 0;
	if (n > 0 && decide(is_sock(fd) ? F_NET : F_FILE, &shrt))
		return shrt ? __real_write(fd, b, n > 1 ? n / 2 : 1) : -1;
	return __real_write(fd, b, n);
}
ssize_t __wrap_read(int fd, void *b, size_t n)
{
	int shrt = 0;
	if (n > 0 && decide(is_sock(fd) ? F_NET : F_FILE, &shrt))
		return shrt ? __real_read(fd, b, n > 1 ? n / 2 : 1) : -1;
	return __real_read(fd, b, n);
}
ssize_t __wrap_pread(int fd, void *b, size_t n, off_t off)
{
	int shrt = 0;
	if (n > 0 && decide(F_FILE, &shrt))
		return shrt ? __real_pread(fd, b, n > 1 ? n / 2 : 1, off) : -1;
	return __real_pread(fd, b, n, off);
}
#define WRAP_INT(name, params, args)                                  \
	int __wrap_##name params                                      \
	{                                                             \
		return decide(F_FILE, NULL) ? -1 : __real_##name args; \
	}
WRAP_INT(fsync, (int fd), (fd))
WRAP_INT(fdatasync, (int fd), (fd))
WRAP_INT(syncfs, (int fd), (fd))
WRAP_INT(rename, (const char *a, const char *b), (a, b))
WRAP_INT(renameat, (int da, const char *a, int db, const char *b), (da, a, db, b))
WRAP_INT(renameat2, (int da, const char *a, int db, const char *b, unsigned fl), (da, a, db, b, fl))
WRAP_INT(link, (const char *a, const char *b), (a, b))
WRAP_INT(linkat, (int da, const char *a, int db, const char *b, int fl), (da, a, db, b, fl))
WRAP_INT(unlink, (const char *a), (a))
WRAP_INT(unlinkat, (int d, const char *a, int fl), (d, a, fl))
WRAP_INT(mkdir, (const char *a, mode_t m), (a, m))
WRAP_INT(mkdirat, (int d, const char *a, mode_t m), (d, a, m))
WRAP_INT(ftruncate, (int fd, off_t len), (fd, len))

FILE *__wrap_fopen(const char *p, const char *m)
{
	return decide(F_FILE, NULL) ? NULL : __real_fopen(p, m);
}
FILE *__wrap_fdopen(int fd, const char *m)
{
	return decide(F_FILE, NULL) ? NULL : __real_fdopen(fd, m);
}
int __wrap_fflush(FILE *f)
{
	/* fflush(NULL) flushes every stream, stdout among them: a failure there is one too */
	return decide(F_FILE, NULL) ? EOF : __real_fflush(f);
}
int __wrap_fclose(FILE *f)
{
	if (decide(F_FILE, NULL)) {
		int e = errno;
		__real_fclose(f); /* the stream is gone either way, as with a real failure */
		errno = e;
		return EOF;
	}
	return __real_fclose(f);
}
size_t __wrap_fwrite(const void *b, size_t s, size_t n, FILE *f)
{
	int shrt = 0;
	if (s && n && decide(F_FILE, &shrt))
		return shrt ? __real_fwrite(b, s, n / 2, f) : 0;
	return __real_fwrite(b, s, n, f);
}

/* --- sockets --- */
int __real_connect(int fd, const struct sockaddr *a, socklen_t l);
ssize_t __real_send(int fd, const void *b, size_t n, int fl);
ssize_t __real_recv(int fd, void *b, size_t n, int fl);

int __wrap_connect(int fd, const struct sockaddr *a, socklen_t l)
{
	return decide(F_NET, NULL) ? -1 : __real_connect(fd, a, l);
}
ssize_t __wrap_send(int fd, const void *b, size_t n, int fl)
{
	int shrt = 0;
	if (n > 0 && decide(F_NET, &shrt))
		return shrt ? __real_send(fd, b, n > 1 ? n / 2 : 1, fl) : -1;
	return __real_send(fd, b, n, fl);
}
ssize_t __wrap_recv(int fd, void *b, size_t n, int fl)
{
	int shrt = 0;
	if (n > 0 && decide(F_NET, &shrt))
		return shrt ? __real_recv(fd, b, n > 1 ? n / 2 : 1, fl) : -1;
	return __real_recv(fd, b, n, fl);
}

/* --- clocks: an hour later from the chosen call on --- */
int __real_clock_gettime(clockid_t id, struct timespec *ts);
time_t __real_time(time_t *t);
int __real_gettimeofday(struct timeval *tv, void *tz);
static atomic_int jumped;

static long long skew(void)
{
	int e = errno;
	if (!jumped && decide(F_CLOCK, NULL))
		jumped = 1;
	errno = e;
	return jumped ? 3600 : 0;
}
int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
	long long k = skew();
	int r = __real_clock_gettime(id, ts);
	if (r == 0)
		ts->tv_sec += k;
	return r;
}
time_t __wrap_time(time_t *t)
{
	long long k = skew();
	time_t v = __real_time(NULL) + (time_t)k;
	if (t)
		*t = v;
	return v;
}
int __wrap_gettimeofday(struct timeval *tv, void *tz)
{
	long long k = skew();
	int r = __real_gettimeofday(tv, tz);
	if (r == 0 && tv)
		tv->tv_sec += k;
	return r;
}
