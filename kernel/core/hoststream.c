/*
 * Files on the console device's ports: reads and writes block on one wait
 * queue per port, woken by the device's interrupt. A write returns once
 * every byte is queued to the host; flow control is the host's: it takes
 * bytes as fast as its reader does, and gives input only while there is
 * room for it here.
 */
#include "dev.h"
#include "arch.h"
#include "clock.h"
#include "errno.h"
#include "hoststream.h"
#include "lib.h"
#include "mm.h"
#include "sched.h"
#include "tty.h"
#include "vfs.h"
#include "watch.h"

#define FLUSH_WAIT_NS (60ull * 1000 * 1000 * 1000) /* a reader that slow is stuck: exit anyway */
#define CONTROL_LINE  64

static const char *const port_names[] = {"unikit.stdin", "unikit.stdout", "unikit.stderr"};

/* The inode makes a stream look like a pipe to fstat, as a container's
   piped stdio does; it lives as long as the kernel. */
struct stream {
    struct inode inode;
    struct port_dev *port;
    struct waitq wq;
};

static struct stream streams[3], control;
static void (*signal_handler)(int n);

static void stream_notify(void *arg)
{
    waitq_wake_all(&((struct stream *)arg)->wq);
}

static bool stream_attach(struct stream *s, const char *name)
{
    if (s->port)
        return true;
    if (!(s->port = virtio_console_port(name)))
        return false;
    waitq_init(&s->wq);
    s->inode.type = VFS_FIFO;
    s->inode.mode = 0600;
    s->inode.ino = 0x55550000u + (uint64_t)(s - streams);
    s->inode.atime_ns = s->inode.mtime_ns = s->inode.ctime_ns = vfs_now_ns();
    s->port->notify = stream_notify;
    s->port->notify_arg = s;
    return true;
}

static struct stream *stream_of(struct file *f)
{
    return container_of(f->inode, struct stream, inode);
}

/* End of file: the host closed its side and nothing it sent is left. */
static bool at_eof(struct port_dev *p)
{
    return !p->host_open && p->readable(p) == 0;
}

static ssize_t stream_read(struct file *f, void *buf, size_t len, off_t off)
{
    (void)off;
    struct port_dev *p = stream_of(f)->port;
    if (len == 0)
        return 0;
    if (p->readable(p) == 0 && p->host_open && (f->flags & VFS_O_NONBLOCK))
        return -EAGAIN;
    int rc = wait_event(&stream_of(f)->wq, p->readable(p) || at_eof(p), 0);
    if (rc)
        return rc;
    size_t n = 0, got;
    while (n < len && (got = p->recv(p, (uint8_t *)buf + n, len - n)) > 0)
        n += got;
    return (ssize_t)n;
}

static ssize_t stream_write(struct file *f, const void *buf, size_t len, off_t off)
{
    (void)off;
    struct stream *s = stream_of(f);
    size_t done = 0;
    while (done < len) {
        done += s->port->send(s->port, (const uint8_t *)buf + done, len - done);
        if (done == len)
            break;
        if ((f->flags & VFS_O_NONBLOCK) && done == 0)
            return -EAGAIN;
        if (f->flags & VFS_O_NONBLOCK)
            break;
        int rc = wait_event(&s->wq, s->port->writable(s->port), 0);
        if (rc)
            return done ? (ssize_t)done : rc;
    }
    return (ssize_t)done;
}

static ssize_t stream_nread(struct file *f)
{
    return (ssize_t)stream_of(f)->port->readable(stream_of(f)->port);
}

static unsigned stream_poll(struct file *f)
{
    struct port_dev *p = stream_of(f)->port;
    unsigned bits = 0;
    if (f->flags & VFS_O_READ && (p->readable(p) || at_eof(p)))
        bits |= VFS_POLL_IN;
    if (f->flags & VFS_O_READ && at_eof(p))
        bits |= VFS_POLL_HUP;
    if (f->flags & VFS_O_WRITE && p->writable(p))
        bits |= VFS_POLL_OUT;
    return bits;
}

static struct waitq *stream_poll_queue(struct file *f)
{
    return &stream_of(f)->wq;
}

static const struct file_ops stream_ops = {
    .read = stream_read,
    .write = stream_write,
    .nread = stream_nread,
    .poll = stream_poll,
    .poll_queue = stream_poll_queue,
};

struct file *hoststream_open(int fd)
{
    if (fd < 0 || fd > 2 || !stream_attach(&streams[fd], port_names[fd]))
        return NULL;
    if (fd == 0 && streams[fd].port->start_input(streams[fd].port) < 0)
        return NULL;
    streams[fd].inode.fops = &stream_ops;
    return vfs_file_alloc(&streams[fd].inode, &stream_ops, fd == 0 ? VFS_O_READ : VFS_O_WRITE);
}

void hoststream_flush(void)
{
    uint64_t deadline = clock_monotonic_ns() + FLUSH_WAIT_NS;
    uint64_t call = watch_host_wait(); /* a slow reader on the host is not a stuck kernel */
    for (int fd = 1; fd <= 2; fd++) {
        struct port_dev *p = streams[fd].port;
        while (p && !p->sent_all(p) && clock_monotonic_ns() < deadline)
            arch_cpu_relax();
    }
    watch_host_done(call);
}

/* ---- the control stream --------------------------------------------------------- */

/* The decimal number at *p, moving *p past it. */
static unsigned number(const char **p)
{
    unsigned n = 0;
    for (; **p >= '0' && **p <= '9' && n < 100000; (*p)++)
        n = n * 10 + (unsigned)(**p - '0');
    return n;
}

/* "signal N", or "winsize ROWS COLS" for the terminal. */
static void control_line(const char *line)
{
    const char *p = line;
    if (strncmp(line, "signal ", 7) == 0) {
        p += 7;
        unsigned n = number(&p);
        if (n > 0 && signal_handler)
            signal_handler((int)n);
    } else if (strncmp(line, "winsize ", 8) == 0) {
        p += 8;
        unsigned rows = number(&p);
        p += *p == ' ';
        unsigned cols = number(&p);
        tty_set_winsize(&(struct tty_winsize){(uint16_t)rows, (uint16_t)cols});
    }
}

static void control_thread(void *arg)
{
    (void)arg;
    struct port_dev *p = control.port;
    char line[CONTROL_LINE];
    size_t len = 0;
    for (;;) {
        if (wait_event(&control.wq, p->readable(p) || at_eof(p), 0) < 0)
            continue;
        if (at_eof(p))
            return;
        char c;
        while (p->recv(p, &c, 1) == 1) {
            if (c != '\n') {
                if (len < sizeof(line) - 1)
                    line[len++] = c;
                continue;
            }
            line[len] = '\0';
            len = 0;
            control_line(line);
        }
    }
}

void hoststream_control(void (*on_signal)(int n))
{
    signal_handler = on_signal;
    if (!stream_attach(&control, "unikit.control") || control.port->start_input(control.port) < 0)
        return;
    if (!kthread_create("hostctl", control_thread, NULL))
        kprintf("unikit: warning: no thread for the host's control stream\n");
}
