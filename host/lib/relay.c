#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "outlog.h"

/* The guest's names for the streams, and QEMU's port numbers for them
   (0 is the console device's own, which unikit does not use). */
static const struct {
    const char *id, *port;
    int nr;
    enum outlog_stream log;
} streams[RELAY_STREAMS] = {
    [RELAY_CONSOLE] = {"con", NULL, 0, OUTLOG_CONSOLE},
    [RELAY_STDOUT] = {"stdout", "unikit.stdout", 2, OUTLOG_STDOUT},
    [RELAY_STDERR] = {"stderr", "unikit.stderr", 3, OUTLOG_STDERR},
    [RELAY_STDIN] = {"stdin", "unikit.stdin", 1, 0},
    [RELAY_CONTROL] = {"control", "unikit.control", 4, 0},
};
#define MAX_PORTS 5

static bool is_output(enum relay_stream s)
{
    return s == RELAY_CONSOLE || s == RELAY_STDOUT || s == RELAY_STDERR;
}

int relay_open(struct relay *r, int in, int out, int err, int log_fd, char *errbuf, size_t errlen)
{
    const int host[RELAY_STREAMS] = {err, out, err, in, -1};
    *r = (struct relay){.log_fd = log_fd};
    for (int s = 0; s < RELAY_STREAMS; s++) {
        struct relay_end *e = &r->end[s];
        *e = (struct relay_end){.guest = -1, .qemu = -1, .host = host[s]};
        if (s == RELAY_STDIN && in < 0)
            continue;
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
            (s == RELAY_STDIN && !(e->buf = malloc(RELAY_BUFFER)))) {
            snprintf(errbuf, errlen, "cannot create the %s stream: %s", streams[s].id,
                     strerror(errno));
            relay_close(r);
            return -1;
        }
        e->guest = sv[0], e->qemu = sv[1];
        fcntl(e->guest, F_SETFL, O_NONBLOCK); /* a new socket has no other flags to keep */
    }
    return 0;
}

size_t relay_qemu_args(struct relay *r, struct strvec *a, int first_fd, int *fds, size_t max)
{
    size_t n = 0;
    strvec_push(a, "-device");
    strvec_pushf(a, "virtio-serial-device,max_ports=%d", MAX_PORTS);
    for (int s = 0; s < RELAY_STREAMS && n < max; s++) {
        if (r->end[s].qemu < 0)
            continue;
        fds[n] = r->end[s].qemu;
        strvec_push(a, "-chardev");
        strvec_pushf(a, "socket,id=%s,fd=%d", streams[s].id, first_fd + (int)n);
        n++;
        if (s == RELAY_CONSOLE) {
            strvec_push(a, "-serial");
            strvec_pushf(a, "chardev:%s", streams[s].id);
        } else {
            strvec_push(a, "-device");
            strvec_pushf(a, "virtserialport,chardev=%s,name=%s,nr=%d", streams[s].id,
                         streams[s].port, streams[s].nr);
        }
    }
    return n;
}

void relay_qemu_started(struct relay *r)
{
    for (int s = 0; s < RELAY_STREAMS; s++) {
        if (r->end[s].qemu >= 0)
            close(r->end[s].qemu);
        r->end[s].qemu = -1;
    }
}

size_t relay_pollfds(const struct relay *r, struct pollfd *p, size_t max)
{
    size_t n = 0;
    for (int s = 0; s < RELAY_STREAMS && n < max; s++) {
        const struct relay_end *e = &r->end[s];
        if (e->guest < 0)
            continue;
        if (is_output(s))
            p[n++] = (struct pollfd){.fd = e->guest, .events = POLLIN};
        else if (s == RELAY_STDIN && e->off < e->len)
            p[n++] = (struct pollfd){.fd = e->guest, .events = POLLOUT};
        else if (s == RELAY_STDIN && !e->host_eof)
            p[n++] = (struct pollfd){.fd = e->host, .events = POLLIN};
    }
    return n;
}

/* All of buf to the host's fd; a host that is gone (a closed pipe) gets no more. */
static void to_host(struct relay_end *e, const char *buf, size_t len)
{
    while (e->host >= 0 && len > 0) {
        ssize_t n = write(e->host, buf, len);
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = e->host, .events = POLLOUT};
            poll(&p, 1, -1);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e->host = -1;
            return;
        }
        buf += n, len -= (size_t)n;
    }
}

/* One read from a guest output stream, to the log and the host; false at its end. */
static bool pump_output(struct relay *r, enum relay_stream s)
{
    static char buf[RELAY_BUFFER];
    struct relay_end *e = &r->end[s];
    ssize_t n = read(e->guest, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0) {
        close(e->guest);
        e->guest = -1;
        return false;
    }
    if (r->log_fd >= 0 && outlog_append(r->log_fd, streams[s].log, buf, (size_t)n) < 0) {
        fprintf(stderr, "unikit: cannot append to the instance's log: %s\n", strerror(errno));
        r->log_fd = -1;
    }
    to_host(e, buf, (size_t)n);
    return true;
}

/* The host's input is over and the guest has all of it: the program reads end of file. */
static void end_input(struct relay_end *e)
{
    if (e->host_eof && e->off == e->len && e->guest >= 0)
        shutdown(e->guest, SHUT_WR);
}

static void pump_input(struct relay_end *e, short revents, bool from_host)
{
    if (from_host) {
        ssize_t n = read(e->host, e->buf, RELAY_BUFFER);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (n <= 0)
            e->host_eof = true;
        else
            e->len = (size_t)n, e->off = 0;
    } else if (revents & (POLLOUT | POLLERR | POLLHUP)) {
        ssize_t n = send(e->guest, e->buf + e->off, e->len - e->off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (n < 0) /* QEMU is gone: the rest has nowhere to go */
            e->host_eof = true, n = (ssize_t)(e->len - e->off);
        e->off += (size_t)n;
    }
    end_input(e);
}

void relay_pump(struct relay *r, const struct pollfd *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!p[i].revents)
            continue;
        for (int s = 0; s < RELAY_STREAMS; s++) {
            struct relay_end *e = &r->end[s];
            if (is_output(s) && p[i].fd == e->guest)
                pump_output(r, s);
            else if (s == RELAY_STDIN && e->guest >= 0 &&
                     (p[i].fd == e->guest || p[i].fd == e->host))
                pump_input(e, p[i].revents, p[i].fd == e->host && p[i].events == POLLIN);
        }
    }
}

void relay_drain(struct relay *r)
{
    for (int s = 0; s < RELAY_STREAMS; s++) {
        if (!is_output(s) || r->end[s].guest < 0)
            continue;
        /* QEMU has exited: what is left ends at end of file, never waits. */
        fcntl(r->end[s].guest, F_SETFL, fcntl(r->end[s].guest, F_GETFL) & ~O_NONBLOCK);
        while (pump_output(r, s))
            ;
    }
}

static bool control(struct relay *r, const char *line)
{
    int fd = r->end[RELAY_CONTROL].guest;
    ssize_t len = (ssize_t)strlen(line);
    return fd >= 0 && send(fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) == len;
}

bool relay_signal(struct relay *r, int sig)
{
    char line[32];
    snprintf(line, sizeof(line), "signal %d\n", sig);
    return control(r, line);
}

bool relay_winsize(struct relay *r, unsigned rows, unsigned cols)
{
    char line[48];
    snprintf(line, sizeof(line), "winsize %u %u\n", rows, cols);
    return control(r, line);
}

void relay_close(struct relay *r)
{
    relay_qemu_started(r);
    for (int s = 0; s < RELAY_STREAMS; s++) {
        if (r->end[s].guest >= 0)
            close(r->end[s].guest);
        r->end[s].guest = -1;
        free(r->end[s].buf);
        r->end[s].buf = NULL;
    }
}
