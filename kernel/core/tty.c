/*
 * The program's terminal (tty.h). A kernel thread takes what the host
 * types from the input stream, as it comes, so that an interrupt character
 * is a signal even while the program computes; it edits the line being
 * typed, echoes, and queues finished input for read(). Writes go to the
 * output stream, with NL made CR NL as a terminal does.
 */
#include "clock.h"
#include "errno.h"
#include "hoststream.h"
#include "lib.h"
#include "proc.h"
#include "sched.h"
#include "tty.h"
#include "vfs.h"

/* Signal numbers as proc_signal takes them: Linux's. */
#define SIGNAL_INT   2
#define SIGNAL_QUIT  3
#define SIGNAL_TSTP  20
#define SIGNAL_WINCH 28

#define LINE_MAX  4096
#define READY_MAX 8192
#define OUT_CHUNK 512
#define TENTH_NS  (100ull * 1000 * 1000)
#define DEL       0x7f
#define CTRL(c)   ((c)&0x1f)

static struct {
    struct inode inode;
    struct file *in, *out; /* the host's streams */
    struct tty_settings settings;
    struct tty_winsize winsize;
    char line[LINE_MAX]; /* being typed (canonical mode) */
    size_t line_len;
    char ready[READY_MAX]; /* for read(): ring of ready_len bytes from ready_head */
    size_t ready_head, ready_len;
    unsigned eofs;   /* end-of-file characters typed on an empty line, not yet read */
    bool hangup;     /* the host's input is over */
    struct waitq wq; /* readers wait here for input */
} tty;

static const struct tty_settings linux_defaults = {
    .icrnl = true,
    .opost = true,
    .onlcr = true,
    .canonical = true,
    .echo = true,
    .echo_erase = true,
    .echo_kill = true,
    .echo_ctl = true,
    .signals = true,
    .extended = true,
    .intr = CTRL('C'),
    .quit = CTRL('\\'),
    .susp = CTRL('Z'),
    .erase = DEL,
    .kill = CTRL('U'),
    .werase = CTRL('W'),
    .eof = CTRL('D'),
    .vmin = 1,
};

/* ---- output ---------------------------------------------------------------------- */

/* Writes buf to the host as the terminal shows it: NL as CR NL when asked. */
static void show(const char *buf, size_t len)
{
    char chunk[2 * OUT_CHUNK];
    bool crlf = tty.settings.opost && tty.settings.onlcr;
    while (len > 0) {
        size_t n = 0, used = 0;
        for (; used < len && used < OUT_CHUNK; used++) {
            if (crlf && buf[used] == '\n')
                chunk[n++] = '\r';
            chunk[n++] = buf[used];
        }
        if (vfs_write(tty.out, chunk, n) < 0)
            return;
        buf += used, len -= used;
    }
}

/* ---- input ----------------------------------------------------------------------- */

/* What echoing one typed character adds to echo (control characters as ^X). */
static void echo_char(char *echo, size_t *n, char c)
{
    if (!tty.settings.echo)
        return;
    if (tty.settings.echo_ctl && (uint8_t)c < ' ' && c != '\n' && c != '\t') {
        echo[(*n)++] = '^';
        echo[(*n)++] = (char)(c + '@');
    } else {
        echo[(*n)++] = c;
    }
}

static void erase_echo(char *echo, size_t *n, size_t count)
{
    for (size_t i = 0; i < count && *n + 3 <= 2 * OUT_CHUNK; i++) {
        echo[(*n)++] = '\b';
        echo[(*n)++] = ' ';
        echo[(*n)++] = '\b';
    }
}

static void queue_ready(const char *buf, size_t len)
{
    for (size_t i = 0; i < len && tty.ready_len < READY_MAX; i++)
        tty.ready[(tty.ready_head + tty.ready_len++) % READY_MAX] = buf[i];
}

static void flush_pending(void)
{
    tty.line_len = 0;
    tty.ready_head = tty.ready_len = 0;
    tty.eofs = 0;
}

/* An interrupt character: the signal, and what was typed is dropped. */
static bool input_signal(uint8_t c, char *echo, size_t *n)
{
    const struct tty_settings *s = &tty.settings;
    int sig = c == s->intr   ? SIGNAL_INT
              : c == s->quit ? SIGNAL_QUIT
              : c == s->susp ? SIGNAL_TSTP
                             : 0;
    if (!s->signals || !sig || !c)
        return false;
    flush_pending();
    echo_char(echo, n, (char)c);
    proc_signal(sig);
    return true;
}

/* Canonical mode: edits the line; a finished line goes to the readers. */
static void input_canonical(char c, char *echo, size_t *n)
{
    const struct tty_settings *s = &tty.settings;
    if ((uint8_t)c == s->erase || c == '\b') {
        if (tty.line_len) {
            tty.line_len--;
            if (s->echo && s->echo_erase)
                erase_echo(echo, n, 1);
        }
    } else if ((uint8_t)c == s->kill) {
        if (s->echo && s->echo_kill)
            erase_echo(echo, n, tty.line_len);
        tty.line_len = 0;
    } else if (s->extended && (uint8_t)c == s->werase) {
        size_t before = tty.line_len;
        while (tty.line_len && tty.line[tty.line_len - 1] == ' ')
            tty.line_len--;
        while (tty.line_len && tty.line[tty.line_len - 1] != ' ')
            tty.line_len--;
        if (s->echo && s->echo_erase)
            erase_echo(echo, n, before - tty.line_len);
    } else if ((uint8_t)c == s->eof) {
        if (tty.line_len == 0)
            tty.eofs++;
        queue_ready(tty.line, tty.line_len);
        tty.line_len = 0;
    } else if (c == '\n') {
        if (s->echo || s->echo_nl)
            echo[(*n)++] = '\n';
        queue_ready(tty.line, tty.line_len);
        queue_ready("\n", 1);
        tty.line_len = 0;
    } else if (tty.line_len < LINE_MAX - 1) {
        tty.line[tty.line_len++] = c;
        echo_char(echo, n, c);
    }
}

/* One typed character, after the input translations. */
static void input_char(char c, char *echo, size_t *n)
{
    if (input_signal((uint8_t)c, echo, n))
        return;
    if (tty.settings.canonical) {
        input_canonical(c, echo, n);
        return;
    }
    queue_ready(&c, 1);
    echo_char(echo, n, c);
}

static void input(const char *buf, size_t len)
{
    char echo[2 * OUT_CHUNK + 4];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '\r' && tty.settings.igncr)
            continue;
        if (c == '\r' && tty.settings.icrnl)
            c = '\n';
        else if (c == '\n' && tty.settings.inlcr)
            c = '\r';
        input_char(c, echo, &n);
        if (n >= 2 * OUT_CHUNK - 4) {
            show(echo, n);
            n = 0;
        }
    }
    if (n)
        show(echo, n);
}

static void input_thread(void *arg)
{
    (void)arg;
    char buf[256];
    for (;;) {
        ssize_t n = vfs_read(tty.in, buf, sizeof(buf));
        if (n <= 0)
            break;
        input(buf, (size_t)n);
        waitq_wake_all(&tty.wq);
    }
    tty.hangup = true;
    waitq_wake_all(&tty.wq);
}

/* ---- the file -------------------------------------------------------------------- */

/* Whether a read would return now. In canonical mode only finished lines
   (or what an end-of-file character pushed) are ever ready. */
static bool readable(void)
{
    return tty.hangup || tty.eofs || tty.ready_len > 0;
}

/* Takes up to len ready bytes, stopping after a newline in canonical mode. */
static size_t take(char *buf, size_t len)
{
    size_t n = 0;
    while (n < len && tty.ready_len) {
        char c = tty.ready[tty.ready_head];
        tty.ready_head = (tty.ready_head + 1) % READY_MAX;
        tty.ready_len--;
        buf[n++] = c;
        if (c == '\n' && tty.settings.canonical)
            break;
    }
    return n;
}

static int wait_raw(struct file *f)
{
    const struct tty_settings *s = &tty.settings;
    if (tty.ready_len || tty.hangup)
        return 0;
    if ((f->flags & VFS_O_NONBLOCK))
        return -EAGAIN;
    if (s->vmin == 0 && s->vtime == 0)
        return 0;
    uint64_t deadline = s->vmin == 0 ? clock_monotonic_ns() + s->vtime * TENTH_NS : 0;
    int rc = wait_event(&tty.wq, tty.ready_len || tty.hangup, deadline);
    return rc == -ETIMEDOUT ? 0 : rc;
}

static ssize_t tty_read(struct file *f, void *buf, size_t len, off_t off)
{
    (void)off;
    if (len == 0)
        return 0;
    int rc;
    if (tty.settings.canonical) {
        if (!readable() && (f->flags & VFS_O_NONBLOCK))
            return -EAGAIN;
        rc = wait_event(&tty.wq, readable(), 0);
    } else {
        rc = wait_raw(f);
    }
    if (rc)
        return rc;
    size_t n = take(buf, len);
    if (n == 0 && tty.eofs)
        tty.eofs--; /* an end-of-file character: read returns 0 once */
    return (ssize_t)n;
}

static ssize_t tty_write(struct file *f, const void *buf, size_t len, off_t off)
{
    (void)f, (void)off;
    show(buf, len);
    return (ssize_t)len;
}

static ssize_t tty_nread(struct file *f)
{
    (void)f;
    return (ssize_t)tty.ready_len;
}

static unsigned tty_poll(struct file *f)
{
    (void)f;
    return VFS_POLL_OUT | (readable() ? VFS_POLL_IN : 0) | (tty.hangup ? VFS_POLL_HUP : 0);
}

static struct waitq *tty_poll_queue(struct file *f)
{
    (void)f;
    return &tty.wq;
}

static const struct file_ops tty_ops = {
    .read = tty_read,
    .write = tty_write,
    .nread = tty_nread,
    .poll = tty_poll,
    .poll_queue = tty_poll_queue,
};

bool tty_is(struct file *f)
{
    return f && f->ops == &tty_ops;
}

/* "unikit.tty=ROWSxCOLS": the host's window size. */
static bool parse_request(const char *cmdline, struct tty_winsize *w)
{
    const char *p = strstr(cmdline, "unikit.tty=");
    if (!p)
        return false;
    unsigned rows = 0, cols = 0;
    for (p += 11; *p >= '0' && *p <= '9'; p++)
        rows = rows * 10 + (unsigned)(*p - '0');
    if (*p == 'x')
        for (p++; *p >= '0' && *p <= '9'; p++)
            cols = cols * 10 + (unsigned)(*p - '0');
    *w = (struct tty_winsize){(uint16_t)MIN(rows, 0xffffu), (uint16_t)MIN(cols, 0xffffu)};
    return true;
}

struct file *tty_open(const char *cmdline)
{
    struct tty_winsize w;
    if (!parse_request(cmdline, &w) || !(tty.out = hoststream_open(1)))
        return NULL;
    tty.in = hoststream_open(0); /* none without -i: no input, ever */
    tty.settings = linux_defaults;
    tty.winsize = w;
    waitq_init(&tty.wq);
    tty.inode.type = VFS_CHR;
    tty.inode.mode = 0620;
    tty.inode.rdev_major = 136; /* a pseudo-terminal's, as /dev/pts/0 */
    tty.inode.ino = 0x77770000u;
    tty.inode.fops = &tty_ops;
    tty.inode.atime_ns = tty.inode.mtime_ns = tty.inode.ctime_ns = vfs_now_ns();
    if (!tty.in)
        tty.hangup = true;
    else if (!kthread_create("tty", input_thread, NULL))
        panic("tty: no thread for the terminal's input");
    return vfs_file_alloc(&tty.inode, &tty_ops, VFS_O_READ | VFS_O_WRITE);
}

void tty_get(struct tty_settings *s)
{
    *s = tty.settings;
}

void tty_set(const struct tty_settings *s, bool flush_input)
{
    if (flush_input)
        flush_pending();
    if (tty.settings.canonical && !s->canonical) {
        queue_ready(tty.line, tty.line_len); /* typed so far: now readable as it is */
        tty.line_len = 0;
    }
    tty.settings = *s;
    waitq_wake_all(&tty.wq);
}

void tty_get_winsize(struct tty_winsize *w)
{
    *w = tty.winsize;
}

void tty_set_winsize(const struct tty_winsize *w)
{
    bool changed = w->rows != tty.winsize.rows || w->cols != tty.winsize.cols;
    tty.winsize = *w;
    if (changed)
        proc_signal(SIGNAL_WINCH);
}

void tty_flush_input(void)
{
    flush_pending();
}
