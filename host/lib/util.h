/* Small helpers shared by the host tools: paths, processes, messages. */
#ifndef UNIKIT_UTIL_H
#define UNIKIT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* Exit codes, as docker uses them for `run`. */
#define EXIT_UNIKIT_ERROR 125 /* unikit itself failed: bad flags, no image, QEMU missing */
#define EXIT_GUEST_FAILED 126 /* the unikernel could not run the program: kernel panic */

/* Formats one line into err (when it has room; newlines in what it quotes
 * become spaces) and returns -1: how the host's functions fail. */
int errorf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Formats into a new string; aborts on out-of-memory. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);

/* $UNIKIT_HOME, or ~/.local/share/unikit. */
char *unikit_home(void);
/* Where kernel.o and kernel.ld live: $UNIKIT_LIBDIR, or BINDIR/../lib/unikit. */
char *unikit_libdir(void);
/* A helper program of unikit's: BINDIR/../libexec/unikit/PROGRAM, beside
   the running binary (not UNIKIT_LIBDIR: a test's ASan build finds its own). */
char *unikit_libexec(const char *program);
/* The architecture of this machine, as unikit names it ("x86_64", "aarch64"). */
const char *host_arch(void);

int mkdir_p(const char *path, mode_t mode);

/* UTC times and dates, as timegm and gmtime_r, without their first-use
   reading of /etc/localtime (six system calls on every run). */
time_t utc_from_tm(const struct tm *tm);
void utc_to_tm(time_t t, struct tm *tm);
/* t as RFC 3339 with nanoseconds, "2006-01-02T15:04:05.000000000Z". */
void utc_format_ns(const struct timespec *t, char *buf, size_t len);
/* t as RFC 3339 in whole seconds, "2006-01-02T15:04:05Z". */
void utc_format(time_t t, char *buf, size_t len);
/* Writes all of buf, retrying short writes and EINTR: 0, or -1 with the
   write's own errno. pwrite_all does the same at offset. */
int write_all(int fd, const void *buf, size_t len);
int pwrite_all(int fd, const void *buf, size_t len, off_t offset);
/* Writes len bytes of data to path, created or truncated (mode 0644): 0, or
   -1 with err naming the file. */
int write_file(const char *path, const void *data, size_t len, char *err, size_t errlen);
int remove_tree(const char *path);
/* What the folder at path holds, not the folder itself. */
int empty_tree(const char *path);
/* Runs argv[0] with PATH lookup and waits. Returns its exit status, or -1
 * with err filled when it could not run or was killed. Output is passed
 * through, except that when quiet, stdout and stderr are captured and put
 * in err on failure (its last line). */
int run_program(char *const argv[], bool quiet, char *err, size_t errlen);
bool program_exists(const char *name);
/* Where PATH finds name (a new string), or NULL. */
char *program_path(const char *name);

/* A NULL-terminated string vector. */
struct strvec {
    char **v;
    size_t n, cap;
};
void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strvec_free(struct strvec *sv);
size_t strv_len(char *const *v);
/* Frees a NULL-terminated vector and its strings (NULL is fine). */
void strv_free(char **v);

/* Both strings there and equal. */
bool str_eq(const char *a, const char *b);

/* "1.2 MB", "34 kB" */
void format_size(unsigned long long bytes, char *buf, size_t len);
/* "3 seconds ago", "2 hours ago" */
void format_age(long long seconds, char *buf, size_t len);

/* CLOCK_MONOTONIC in milliseconds: deadlines and periods, not dates. */
long long monotonic_ms(void);

#endif
