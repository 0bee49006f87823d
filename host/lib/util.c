#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
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

int mkdir_p(const char *path, mode_t mode)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int r = mkdir(p, mode) < 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return r;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

int remove_tree(const char *path)
{
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
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
