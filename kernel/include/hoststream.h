/*
 * The program's standard streams, and the host's control stream, on the
 * console device's ports (dev.h) where the host gave them: "unikit.stdin",
 * "unikit.stdout", "unikit.stderr", "unikit.control". Where it did not
 * (a plain QEMU), stdout and stderr go to the serial console and stdin
 * reads as end of file.
 */
#ifndef UNIKIT_HOSTSTREAM_H
#define UNIKIT_HOSTSTREAM_H

#include "types.h"

struct file;

/* An open file for descriptor fd (0, 1 or 2) on its port; NULL when the
 * host gave no such port. */
struct file *hoststream_open(int fd);

/* Waits (a bounded time) until the host has taken everything the program
 * wrote to stdout and stderr: called before the machine powers off. */
void hoststream_flush(void);

/*
 * The control stream: the host asks, one line each, for "signal N" (N a
 * Linux signal number, opaque here: on_signal is called with it, in a
 * kernel thread) or "winsize ROWS COLS" (the terminal's, tty.h). Starts
 * the thread reading when the host gave the port.
 */
void hoststream_control(void (*on_signal)(int n));

#endif
