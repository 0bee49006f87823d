/*
 * The program's stdio between the host and the guest. Each stream is a
 * socket pair: QEMU holds one end as the chardev of a port of the guest's
 * console device ("unikit.stdin", "unikit.stdout", "unikit.stderr",
 * "unikit.control"; the kernel's serial console is one more), and unikit
 * relays the other end to and from the host's descriptors and into the
 * instance's output log (outlog.h).
 *
 * Flow control is end to end: the relay reads a guest stream only after
 * writing what it read before, and QEMU takes the guest's bytes only as the
 * socket takes them, so a slow reader on the host slows the program's
 * writes instead of losing them. Input goes to the guest only as fast as
 * the program reads. The host's end of input reaches the program as end of
 * file once it has read everything before it.
 */
#ifndef UNIKIT_RELAY_H
#define UNIKIT_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum relay_stream {
    RELAY_CONSOLE,
    RELAY_STDOUT,
    RELAY_STDERR,
    RELAY_STDIN,
    RELAY_CONTROL,
    RELAY_STREAMS
};

#define RELAY_BUFFER 65536

struct relay_end {
    int guest;  /* unikit's end of the socket pair; -1: the stream is not there */
    int qemu;   /* QEMU's end, until QEMU has it */
    int host;   /* where the bytes go or come from; -1: nowhere (only the log) */
    size_t len; /* input read from the host, not yet taken by the guest */
    size_t off;
    bool host_eof; /* input: the host's end is over */
    char *buf;
};

struct relay {
    struct relay_end end[RELAY_STREAMS];
    int log_fd; /* the output log, or -1 */
};

/*
 * Sets up the streams. in: the program's stdin on the host (-1: none; the
 * program reads end of file); out, err: where its stdout, and its stderr
 * and the kernel's console, go (-1: only into the log); log_fd: the output
 * log (-1: none). 0, or -1 with err.
 */
int relay_open(struct relay *r, int in, int out, int err, int log_fd, char *errbuf, size_t errlen);

/*
 * QEMU's options for the serial console and the console device with its
 * ports, naming QEMU's ends as descriptors first_fd on; *fds gets QEMU's
 * ends in that order, for the child to place there. Returns their count.
 */
size_t relay_qemu_args(struct relay *r, struct strvec *a, int first_fd, int *fds, size_t max);

/* Closes QEMU's ends here, once QEMU has them. */
void relay_qemu_started(struct relay *r);

/* The descriptors to poll and what for; returns how many were added. */
size_t relay_pollfds(const struct relay *r, struct pollfd *p, size_t max);
/* Moves what the poll found ready. */
void relay_pump(struct relay *r, const struct pollfd *p, size_t n);
/* After QEMU has exited: relays what the guest wrote that is still here. */
void relay_drain(struct relay *r);

/* Asks the guest to send the program signal sig; false without a control port. */
bool relay_signal(struct relay *r, int sig);
/* Tells the guest's terminal its new size (the program gets SIGWINCH). */
bool relay_winsize(struct relay *r, unsigned rows, unsigned cols);

void relay_close(struct relay *r);

#endif
