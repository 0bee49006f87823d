/*
 * Loaded into QEMU (LD_PRELOAD) when a run publishes ports: QEMU's user
 * network (libslirp) listens on each forwarded port with a backlog of 1,
 * so a burst of clients overflows the host's accept queue, the kernel
 * drops their SYNs, and they retry after 1, 3, 7, 15 s... in lockstep,
 * overflowing it again (50 simultaneous connects: a third still waiting
 * after a minute). A listening socket gets the queue any server would
 * ask for instead. Nothing else in QEMU changes.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int listen(int fd, int backlog)
{
    return (int)syscall(SYS_listen, fd, backlog < SOMAXCONN ? SOMAXCONN : backlog);
}
