/*
 * Starting QEMU and waiting for it: qemu.c's other half, private to it.
 * QEMU gets its monitor and the stream sockets at fixed descriptors, in a
 * process group of its own, so that a terminal's Ctrl-C is unikit's to
 * forward to the program rather than QEMU's to die of. One loop then
 * follows QEMU's monitor (qmp.h), relays the program's streams (relay.h)
 * and forwards the signals unikit receives to the program.
 */
#ifndef UNIKIT_QEMU_WATCH_H
#define UNIKIT_QEMU_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "qemu.h"
#include "relay.h"

#define WATCH_MONITOR_FD 3 /* QEMU's monitor; the streams' sockets follow */

/* How a watch ended, when QEMU did not end by itself. */
struct watch_end {
    char stopped[64]; /* QEMU's run state after it stopped the guest */
    bool timed_out;   /* the boot's deadline passed */
    char stuck[160];  /* the watchdog's report of a kernel stuck in a call (watchdog.h) */
};

/* Catches the signals unikit forwards (or that stop QEMU, without a control
 * port); with save, the handlers before are kept for watch_restore. A second
 * catch changes nothing: whoever changes the handlers after a catch does so
 * after its last boot (run.c's record_exit). */
void watch_catch_signals(bool save);
void watch_restore_signals(void);
/* The last such signal caught, 0 if none. */
int watch_last_signal(void);

/* Forks and execs QEMU (the program at path, found once by the caller)
 * with monitor_fd and fds[0..n) placed from WATCH_MONITOR_FD on, stderr to
 * stderr_fd and stdin from /dev/null; preload (NULL: none) joins its
 * LD_PRELOAD. */
pid_t watch_spawn(const char *path, char **argv, int stderr_fd, int monitor_fd, const int *fds,
                  size_t n, bool die_with_parent, const char *preload);

/* Waits for QEMU as the header says; returns its wait status. relay may be NULL. */
int watch_qemu(pid_t pid, int monitor_fd, struct relay *relay, const struct qemu_boot *boot,
               struct watch_end *end);

#endif
