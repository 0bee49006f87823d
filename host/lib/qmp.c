#include "qmp.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

/* MSG_NOSIGNAL: a QEMU that has just exited must not kill us with SIGPIPE. */
static void send_command(struct qmp *q, const char *json)
{
    size_t len = strlen(json);
    while (len > 0) {
        ssize_t n = send(q->fd, json, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* QEMU is gone: the next read says so */
        json += n, len -= (size_t)n;
    }
}

void qmp_open(struct qmp *q, int fd)
{
    q->fd = fd;
    q->len = 0;
    q->started = false;
    q->reply[0] = '\0';
}

void qmp_start(struct qmp *q)
{
    q->started = true;
    /* QMP runs commands in order: the second is answered in command mode. */
    send_command(q, "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-status\"}\n");
}

#define HUMAN_ID "unikit-human"

void qmp_human(struct qmp *q, const char *command)
{
    json_t *msg = json_pack("{s:s, s:{s:s}, s:s}", "execute", "human-monitor-command", "arguments",
                            "command-line", command, "id", HUMAN_ID);
    char *text = json_dumps(msg, JSON_COMPACT);
    if (text) {
        send_command(q, text);
        send_command(q, "\n");
    }
    free(text);
    json_decref(msg);
}

/* A whole line moved out of the buffer into line, or false. */
static bool take_line(struct qmp *q, char *line, size_t linelen)
{
    char *nl = memchr(q->buf, '\n', q->len);
    if (!nl) {
        if (q->len == sizeof(q->buf)) /* no message is this long: drop it */
            q->len = 0;
        return false;
    }
    size_t n = (size_t)(nl - q->buf) + 1;
    snprintf(line, linelen, "%.*s", (int)(n - 1), q->buf);
    memmove(q->buf, q->buf + n, q->len - n);
    q->len -= n;
    return true;
}

static enum qmp_event classify(struct qmp *q, const char *line, char *status, size_t statuslen)
{
    json_t *msg = json_loads(line, 0, NULL);
    enum qmp_event ev = QMP_OTHER;
    const char *event = json_string_value(json_object_get(msg, "event"));
    json_t *ret = json_object_get(msg, "return");
    const char *state = json_string_value(json_object_get(ret, "status"));
    const char *id = json_string_value(json_object_get(msg, "id"));
    if (id && strcmp(id, HUMAN_ID) == 0) {
        snprintf(q->reply, sizeof(q->reply), "%s",
                 json_is_string(ret) ? json_string_value(ret) : "");
        ev = QMP_REPLY;
    } else if (event && strcmp(event, "STOP") == 0) {
        send_command(q, "{\"execute\":\"query-status\"}\n");
    } else if (event && strcmp(event, "RESUME") == 0) {
        ev = QMP_RUNNING;
    } else if (state) {
        /* "shutdown": QEMU is on its way out, which its exit will tell. */
        if (json_is_true(json_object_get(ret, "running")))
            ev = QMP_RUNNING;
        else if (strcmp(state, "shutdown") != 0)
            ev = QMP_STOPPED;
        snprintf(status, statuslen, "%s", state);
    }
    json_decref(msg);
    return ev;
}

enum qmp_event qmp_next(struct qmp *q, int timeout_ms, char *status, size_t statuslen)
{
    static char line[QMP_BUFFER];
    long long deadline = timeout_ms < 0 ? -1 : monotonic_ms() + timeout_ms;
    for (;;) {
        if (take_line(q, line, sizeof(line)))
            return classify(q, line, status, statuslen);
        int wait = -1;
        if (deadline >= 0) {
            long long left = deadline - monotonic_ms();
            wait = left > 0 ? (int)left : 0;
        }
        struct pollfd p = {.fd = q->fd, .events = POLLIN};
        int r = poll(&p, 1, wait);
        if (r < 0 && errno == EINTR)
            continue; /* a signal: the caller's loop forwards it */
        if (r < 0)
            return QMP_EOF;
        if (r == 0)
            return QMP_TIMEOUT;
        ssize_t n = recv(q->fd, q->buf + q->len, sizeof(q->buf) - q->len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return QMP_EOF;
        q->len += (size_t)n;
    }
}
