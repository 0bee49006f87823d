/*
 * OCI hooks: each runs with its args and env, the container's state JSON
 * on its stdin, and its timeout. Its output is kept (not the container's
 * stdout, which create shares), and its last line tells why it failed.
 * docker's networking is one: a prestart hook that makes eth0 in the
 * container process's network namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "util.h"

static void exec_hook(const struct hook *h, int in, int out)
{
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    char *argv0[] = {h->path, NULL}, *noenv[] = {NULL};
    signal(SIGPIPE, SIG_DFL);
    execve(h->path, h->args && h->args[0] ? h->args : argv0, h->env ? h->env : noenv);
    fprintf(stderr, "cannot run %s: %s\n", h->path, strerror(errno));
    _exit(127);
}

/* Its status, or -1 when it ran past timeout seconds (then it is killed). */
static int wait_hook(pid_t pid, int timeout)
{
    int status;
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (long waited_ms = 0;; waited_ms += 10) {
        pid_t r = waitpid(pid, &status, timeout ? WNOHANG : 0);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return 0;
        if (timeout && waited_ms >= timeout * 1000L) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        if (r == 0)
            nanosleep(&tick, NULL);
    }
}

/* The last non-empty line of what the hook printed. */
static void last_output_line(int fd, char *line, size_t len)
{
    char buf[4096];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
    buf[n > 0 ? n : 0] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    const char *last = strrchr(buf, '\n') ? strrchr(buf, '\n') + 1 : buf;
    size_t n_last = strlen(last) < len - 1 ? strlen(last) : len - 1;
    memcpy(line, last, n_last);
    line[n_last] = '\0';
}

static int run_hook(const struct hook *h, const char *kind, const char *state, char *err,
                    size_t errlen)
{
    int in[2], out = memfd_create("hook-output", MFD_CLOEXEC);
    if (out < 0 || pipe2(in, O_CLOEXEC) < 0) {
        if (out >= 0)
            close(out);
        return errorf(err, errlen, "%s hook %s: %s", kind, h->path, strerror(errno));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        exec_hook(h, in[0], out);
    close(in[0]);
    if (pid > 0) {
        void (*old)(int) = signal(SIGPIPE, SIG_IGN);
        write_all(in[1], state, strlen(state)); /* a hook need not read its stdin: errors ignored */
        signal(SIGPIPE, old);
    }
    close(in[1]);
    int status = pid > 0 ? wait_hook(pid, h->timeout) : 0;
    char line[512];
    last_output_line(out, line, sizeof(line));
    close(out);
    if (pid < 0)
        return errorf(err, errlen, "%s hook %s: cannot fork: %s", kind, h->path, strerror(errno));
    if (status == -1)
        return errorf(err, errlen, "%s hook %s: timed out after %d seconds", kind, h->path,
                      h->timeout);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        return errorf(err, errlen, "%s hook %s: killed by signal %d%s%s", kind, h->path,
                      WTERMSIG(status), line[0] ? ": " : "", line);
    return errorf(err, errlen, "%s hook %s: exit status %d%s%s", kind, h->path, WEXITSTATUS(status),
                  line[0] ? ": " : "", line);
}

int hooks_run(const struct hook_list *hooks, const char *kind, json_t *state, char *err,
              size_t errlen)
{
    if (!hooks->n)
        return 0;
    char *text = json_dumps(state, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int rc = 0;
    for (size_t i = 0; i < hooks->n && rc == 0; i++)
        rc = run_hook(&hooks->v[i], kind, text ? text : "{}", err, errlen);
    free(text);
    return rc;
}
