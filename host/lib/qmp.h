/*
 * A minimal client of QEMU's machine protocol (QMP), over a socket whose
 * other end QEMU holds: enough to learn that QEMU stopped the guest.
 *
 * QEMU pauses a VM instead of exiting when KVM reports an internal error,
 * a failed entry or a guest panic; only its monitor says so. unikit never
 * pauses a guest itself, so any stop it hears of is a failure.
 */
#ifndef UNIKIT_QMP_H
#define UNIKIT_QMP_H

#include <stdbool.h>
#include <stddef.h>

#define QMP_BUFFER 65536

#define QMP_REPLY_MAX 8192

struct qmp {
    int fd;
    bool started; /* the capabilities exchange is under way */
    size_t len;
    char buf[QMP_BUFFER];
    char reply[QMP_REPLY_MAX]; /* the text of the last QMP_REPLY */
};

enum qmp_event {
    QMP_EOF,     /* QEMU closed the monitor: it has exited */
    QMP_TIMEOUT, /* nothing within the time asked for */
    QMP_RUNNING, /* the guest runs (a status reply, or a RESUME event) */
    QMP_STOPPED, /* the guest is stopped: status holds QEMU's run state */
    QMP_REPLY,   /* the answer to qmp_human: its text in q->reply */
    QMP_OTHER,   /* any other message */
};

/* Takes fd, QEMU's monitor; nothing is asked yet. */
void qmp_open(struct qmp *q, int fd);

/*
 * Asks for capabilities and the run state in one go. Only then does QEMU
 * send events and take commands; it costs QEMU about a millisecond of its
 * start-up (bench/startup.sh), so a caller may put it off: a stop that
 * came before is in the run state's answer.
 */
void qmp_start(struct qmp *q);

/*
 * Reads the next message, waiting up to timeout_ms (-1: no limit), and
 * says what it means. On a STOP event it asks for the run state itself,
 * so a stop ends as QMP_STOPPED with status ("internal-error",
 * "guest-panicked", "paused", ...) once QEMU answers.
 */
enum qmp_event qmp_next(struct qmp *q, int timeout_ms, char *status, size_t statuslen);

/* Sends a human monitor command (such as "xp /4gx 0x1000"); its answer
   comes back as a QMP_REPLY from qmp_next. */
void qmp_human(struct qmp *q, const char *command);

#endif
