/*
 * The program's terminal, when the host asks for one (unikit run -t): a
 * line discipline between the host's input and output streams
 * (hoststream.h), doing for the modes programs use what a Linux terminal
 * does: canonical input with editing and echo, raw input, the interrupt
 * characters as signals, newline translation on output, and a window size
 * that the host keeps up to date. Descriptors 0, 1 and 2 are then all the
 * terminal, as under docker run -t.
 *
 * The settings are the discipline's own; the Linux layer translates
 * termios to them (kernel/linux/tty.c).
 */
#ifndef UNIKIT_TTY_H
#define UNIKIT_TTY_H

#include "types.h"

struct file;

struct tty_settings {
    /* Input: CR to NL, NL to CR, CR dropped. */
    bool icrnl, inlcr, igncr;
    /* Output: NL written as CR NL. */
    bool opost, onlcr;
    /* Lines: canonical (line at a time, edited), echo and its variants, the
       interrupt characters as signals, the extended characters (werase). */
    bool canonical, echo, echo_erase, echo_kill, echo_nl, echo_ctl, signals, extended;
    uint8_t intr, quit, susp, erase, kill, werase, eof;
    uint8_t vmin, vtime; /* raw reads: at least vmin bytes, or vtime tenths of a second */
};

struct tty_winsize {
    uint16_t rows, cols;
};

/* Whether the host asked for a terminal ("unikit.tty=ROWSxCOLS" on the boot
 * command line); then the file for descriptors 0, 1 and 2, else NULL. */
struct file *tty_open(const char *cmdline);
bool tty_is(struct file *f);

void tty_get(struct tty_settings *s);
/* flush_input drops what was typed and not yet read (TCSETSF). */
void tty_set(const struct tty_settings *s, bool flush_input);
void tty_get_winsize(struct tty_winsize *w);
/* A new size, from the host or the program: the program gets SIGWINCH. */
void tty_set_winsize(const struct tty_winsize *w);
/* Drops unread input (TCFLSH). */
void tty_flush_input(void);

#endif
