#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void out_of_memory(void)
{
    fputs("unikit: out of memory\n", stderr);
    exit(EXIT_UNIKIT_ERROR);
}

int errorf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        /* Messages quote what others wrote (a registry's error, a file name): keep one line. */
        for (char *p = err; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
    }
    return -1;
}

char *xasprintf(const char *fmt, ...)
{
    char *s;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory();
    return s;
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
    void *grown = reallocarray(p, n ? n : 1, size ? size : 1);
    if (!grown)
        out_of_memory();
    return grown;
}

char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        out_of_memory();
    return d;
}

char *unikit_home(void)
{
    const char *home = getenv("UNIKIT_HOME");
    if (home && *home)
        return xstrdup(home);
    const char *data = getenv("XDG_DATA_HOME");
    if (data && *data)
        return xasprintf("%s/unikit", data);
    const char *user = getenv("HOME");
    return xasprintf("%s/.local/share/unikit", user && *user ? user : "/tmp");
}

char *unikit_libdir(void)
{
    const char *env = getenv("UNIKIT_LIBDIR");
    if (env && *env)
        return xstrdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n < 0)
        return xstrdup("/usr/local/lib/unikit");
    exe[n] = '\0';
    return xasprintf("%s/../lib/unikit", dirname(exe));
}

char *unikit_libexec(const char *program)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n < 0)
        return xasprintf("/usr/local/libexec/unikit/%s", program);
    exe[n] = '\0';
    return xasprintf("%s/../libexec/unikit/%s", dirname(exe), program);
}

const char *host_arch(void)
{
    static struct utsname u;
    if (uname(&u) < 0)
        return "x86_64";
    if (strcmp(u.machine, "arm64") == 0)
        return "aarch64";
    return u.machine;
}

/* All of buf, through short writes and signals: at the file position, or
   at *offset (advanced) when offset is not NULL. */
static int write_fully(int fd, const char *p, size_t len, off_t *offset)
{
    while (len > 0) {
        ssize_t n = offset ? pwrite(fd, p, len, *offset) : write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
        if (offset)
            *offset += n;
    }
    return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
    return write_fully(fd, buf, len, NULL);
}

int pwrite_all(int fd, const void *buf, size_t len, off_t offset)
{
    return write_fully(fd, buf, len, &offset);
}

int write_file(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 || write_all(fd, data, len) < 0 ? -1 : 0;
    if (fd >= 0 && close(fd) < 0)
        rc = -1;
    return rc < 0 ? errorf(err, errlen, "%s: %s", path, strerror(errno)) : 0;
}

/* The whole path first: it usually exists, or lacks only its last part. */
int mkdir_p(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return -1;
    char *parent = xstrdup(path);
    char *slash = strrchr(parent, '/');
    int r = -1;
    if (slash && slash != parent) {
        *slash = '\0';
        if (mkdir_p(parent, mode) == 0)
            r = mkdir(path, mode) == 0 || errno == EEXIST ? 0 : -1;
    }
    free(parent);
    return r;
}

static int remove_at(int dir, const char *name);

/* What the directory open at fd holds; closes fd. */
static int empty_dir(int fd)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    int r = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            remove_at(dirfd(d), e->d_name) < 0)
            r = -1;
    closedir(d);
    return r;
}

/* Unlink first, without a stat: only a directory (EISDIR; EPERM where
   POSIX says so) is opened and emptied. Symbolic links are not followed. */
static int remove_at(int dir, const char *name)
{
    if (unlinkat(dir, name, 0) == 0)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -1;
    int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || empty_dir(fd) < 0)
        return -1;
    return unlinkat(dir, name, AT_REMOVEDIR);
}

int remove_tree(const char *path)
{
    return remove_at(AT_FDCWD, path);
}

int empty_tree(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -1 : empty_dir(fd);
}

/* Days since 1970-01-01 of a proleptic Gregorian date, counted in 400-year
   eras of 146097 days from 0000-03-01, so that leap days end each era's
   year; month is 1-12. */
static long long days_from_civil(long long year, int month, int day)
{
    year -= month <= 2;
    long long era = (year >= 0 ? year : year - 399) / 400;
    long long year_of_era = year - era * 400;
    int day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    long long day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

time_t utc_from_tm(const struct tm *tm)
{
    long long days = days_from_civil(tm->tm_year + 1900LL, tm->tm_mon + 1, tm->tm_mday);
    return (time_t)(days * 86400 + tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec);
}

void utc_to_tm(time_t t, struct tm *tm)
{
    long long days = t / 86400, secs = t % 86400;
    if (secs < 0)
        secs += 86400, days--;
    long long z = days + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long day_of_era = z - era * 146097;
    long long year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int day_of_year = (int)(day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100));
    int mp = (5 * day_of_year + 2) / 153; /* months from March */
    int month = mp < 10 ? mp + 3 : mp - 9;
    long long year = year_of_era + era * 400 + (month <= 2);
    *tm = (struct tm){.tm_year = (int)(year - 1900),
                      .tm_mon = month - 1,
                      .tm_mday = day_of_year - (153 * mp + 2) / 5 + 1,
                      .tm_hour = (int)(secs / 3600),
                      .tm_min = (int)(secs / 60 % 60),
                      .tm_sec = (int)(secs % 60),
                      .tm_wday = (int)(((days % 7) + 11) % 7), /* 1970-01-01: a Thursday */
                      .tm_yday = (int)(days - days_from_civil(year, 1, 1))};
}

/* "2006-01-02T15:04:05", what both RFC 3339 forms start with. */
static void utc_date_time(time_t t, char date[32])
{
    struct tm tm;
    utc_to_tm(t, &tm);
    strftime(date, 32, "%Y-%m-%dT%H:%M:%S", &tm);
}

void utc_format_ns(const struct timespec *t, char *buf, size_t len)
{
    char date[32];
    utc_date_time(t->tv_sec, date);
    snprintf(buf, len, "%s.%09ldZ", date, t->tv_nsec);
}

void utc_format(time_t t, char *buf, size_t len)
{
    char date[32];
    utc_date_time(t, date);
    snprintf(buf, len, "%sZ", date);
}

char *program_path(const char *name)
{
    const char *path = getenv("PATH");
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    char *copy = xstrdup(path ? path : "/usr/bin:/bin");
    char *found = NULL;
    for (char *dir = strtok(copy, ":"); dir && !found; dir = strtok(NULL, ":")) {
        char *full = xasprintf("%s/%s", dir, name);
        if (access(full, X_OK) == 0)
            found = full;
        else
            free(full);
    }
    free(copy);
    return found;
}

bool program_exists(const char *name)
{
    char *path = program_path(name);
    free(path);
    return path != NULL;
}

/* The last non-empty line of a captured output file, for an error message. */
static void last_line(int fd, char *buf, size_t len)
{
    char data[8192];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t start = size > (off_t)sizeof(data) - 1 ? size - (off_t)sizeof(data) + 1 : 0;
    ssize_t n = pread(fd, data, sizeof(data) - 1, start);
    if (n <= 0) {
        buf[0] = '\0';
        return;
    }
    data[n] = '\0';
    while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
        data[--n] = '\0';
    char *line = strrchr(data, '\n');
    const char *text = line ? line + 1 : data;
    size_t n_copy = strnlen(text, len - 1);
    memcpy(buf, text, n_copy);
    buf[n_copy] = '\0';
}

int run_program(char *const argv[], bool quiet, char *err, size_t errlen)
{
    int capture = -1;
    if (quiet) {
        char tmpl[] = "/tmp/unikit-out-XXXXXX";
        capture = mkstemp(tmpl);
        if (capture >= 0)
            unlink(tmpl);
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (capture >= 0) {
            dup2(capture, 1);
            dup2(capture, 2);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code != 0) {
        char detail[512] = "";
        if (capture >= 0)
            last_line(capture, detail, sizeof(detail));
        snprintf(err, errlen, "%s failed%s%s", argv[0], *detail ? ": " : "", detail);
    }
    if (capture >= 0)
        close(capture);
    return code;
}

void strvec_push(struct strvec *sv, const char *s)
{
    if (sv->n + 2 > sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 8;
        sv->v = realloc(sv->v, sv->cap * sizeof(char *));
        if (!sv->v)
            out_of_memory();
    }
    sv->v[sv->n++] = xstrdup(s);
    sv->v[sv->n] = NULL;
}

void strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
    char *s;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        out_of_memory();
    va_end(ap);
    strvec_push(sv, s);
    free(s);
}

void strvec_free(struct strvec *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    *sv = (struct strvec){0};
}

size_t strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

void strv_free(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

void format_size(unsigned long long bytes, char *buf, size_t len)
{
    if (bytes < 1000)
        snprintf(buf, len, "%llu B", bytes);
    else if (bytes < 1000 * 1000)
        snprintf(buf, len, "%.1f kB", bytes / 1000.0);
    else
        snprintf(buf, len, "%.1f MB", bytes / 1e6);
}

void format_age(long long s, char *buf, size_t len)
{
    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(buf, len, "%lld second%s ago", s, s == 1 ? "" : "s");
    else if (s < 3600)
        snprintf(buf, len, "%lld minute%s ago", s / 60, s / 60 == 1 ? "" : "s");
    else if (s < 86400)
        snprintf(buf, len, "%lld hour%s ago", s / 3600, s / 3600 == 1 ? "" : "s");
    else
        snprintf(buf, len, "%lld day%s ago", s / 86400, s / 86400 == 1 ? "" : "s");
}

long long monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
