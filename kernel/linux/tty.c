/*
 * The terminal's ioctls (tty.h): termios translated to the line
 * discipline's settings and back. The termios a program set is kept as
 * it was, so that TCGETS gives back every bit it set, those the
 * discipline does not act on (baud rate, character size, ...) too.
 */
#include "abi.h"
#include "errno.h"
#include "lib.h"
#include "syscalls.h"
#include "tty.h"

#define PROGRAM_PID 1

/* What Linux gives a new pseudo-terminal: cooked mode, 38400 baud, 8 bits. */
static struct linux_termios termios = {
    .c_iflag = ICRNL | 0002000 /* IXON */ | 0040000 /* IUTF8 */,
    .c_oflag = OPOST | ONLCR,
    .c_cflag = 0000017 /* B38400 */ | 0000060 /* CS8 */ | 0000200 /* CREAD */,
    .c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | 0004000 /* ECHOKE */ | IEXTEN,
    .c_cc = {[VINTR] = 3,
             [VQUIT] = 034,
             [VERASE] = 0177,
             [VKILL] = 025,
             [VEOF] = 4,
             [VTIME] = 0,
             [VMIN] = 1,
             [8] = 021 /* VSTART */,
             [9] = 023 /* VSTOP */,
             [VSUSP] = 032,
             [12] = 022 /* VREPRINT */,
             [13] = 017 /* VDISCARD */,
             [VWERASE] = 027,
             [15] = 026 /* VLNEXT */},
};

static struct tty_settings settings_of(const struct linux_termios *t)
{
    return (struct tty_settings){
        .icrnl = t->c_iflag & ICRNL,
        .inlcr = t->c_iflag & INLCR,
        .igncr = t->c_iflag & IGNCR,
        .opost = t->c_oflag & OPOST,
        .onlcr = t->c_oflag & ONLCR,
        .canonical = t->c_lflag & ICANON,
        .echo = t->c_lflag & ECHO,
        .echo_erase = t->c_lflag & ECHOE,
        .echo_kill = t->c_lflag & ECHOK,
        .echo_nl = t->c_lflag & ECHONL,
        .echo_ctl = t->c_lflag & ECHOCTL,
        .signals = t->c_lflag & ISIG,
        .extended = t->c_lflag & IEXTEN,
        .intr = t->c_cc[VINTR],
        .quit = t->c_cc[VQUIT],
        .susp = t->c_cc[VSUSP],
        .erase = t->c_cc[VERASE],
        .kill = t->c_cc[VKILL],
        .werase = t->c_cc[VWERASE],
        .eof = t->c_cc[VEOF],
        .vmin = t->c_cc[VMIN],
        .vtime = t->c_cc[VTIME],
    };
}

static long set_termios(const struct linux_termios *ut, unsigned cmd)
{
    if (!user_readable(ut, sizeof(*ut)))
        return -EFAULT;
    termios = *ut;
    struct tty_settings s = settings_of(&termios);
    tty_set(&s, cmd == TCSETSF);
    return 0;
}

static long winsize(unsigned cmd, struct linux_winsize *uw)
{
    struct tty_winsize w;
    if (cmd == TIOCGWINSZ) {
        if (!user_writable(uw, sizeof(*uw)))
            return -EFAULT;
        tty_get_winsize(&w);
        *uw = (struct linux_winsize){.ws_row = w.rows, .ws_col = w.cols};
        return 0;
    }
    if (!user_readable(uw, sizeof(*uw)))
        return -EFAULT;
    tty_set_winsize(&(struct tty_winsize){uw->ws_row, uw->ws_col});
    return 0;
}

/* The one process leads the terminal's only session and process group. */
static long process_group(unsigned cmd, int *up)
{
    if (cmd == TIOCSPGRP) {
        if (!user_readable(up, sizeof(int)))
            return -EFAULT;
        return *up == PROGRAM_PID ? 0 : -EPERM;
    }
    if (!user_writable(up, sizeof(int)))
        return -EFAULT;
    *up = PROGRAM_PID;
    return 0;
}

long tty_ioctl(unsigned cmd, unsigned long arg)
{
    switch (cmd) {
    case TCGETS:
        if (!user_writable((void *)arg, sizeof(termios)))
            return -EFAULT;
        *(struct linux_termios *)arg = termios;
        return 0;
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
        return set_termios((const struct linux_termios *)arg, cmd);
    case TIOCGWINSZ:
    case TIOCSWINSZ:
        return winsize(cmd, (struct linux_winsize *)arg);
    case TIOCGPGRP:
    case TIOCSPGRP:
    case TIOCGSID:
        return process_group(cmd, (int *)arg);
    case TIOCSCTTY:
        return 0; /* it already is the controlling terminal */
    case TCFLSH:
        if (arg == TCIFLUSH || arg == TCIOFLUSH)
            tty_flush_input();
        return 0;
    default:
        return -ENOTTY;
    }
}
