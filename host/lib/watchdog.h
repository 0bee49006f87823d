/*
 * The watchdog: a guest kernel stuck in one system call is reported
 * instead of hanging the run forever.
 *
 * The kernel keeps a record in its image's .unikit.watch section
 * (kernel/include/watch.h): per CPU, the call it is running and an entry
 * number that moves at every entry and every return from a sleep, and the
 * page allocator's counts. Its interrupts are masked while it serves a
 * call, so only the host can see a call that spins: the loop that follows
 * QEMU's monitor (qemu_watch.h) reads the record every second with the
 * monitor's `xp`. A CPU found in the same entry of a call for longer than
 * the limit (UNIKIT_WATCHDOG seconds, default 60; 0 turns it off) is
 * stuck; so are CPUs that, for as long and outside any call, took no
 * thread from a run queue where threads wait. The memory counts go to the
 * instance's memory.json for inspect.
 */
#ifndef UNIKIT_WATCHDOG_H
#define UNIKIT_WATCHDOG_H

#include <stdbool.h>
#include <stddef.h>

#include "qemu.h"
#include "qmp.h"

#define WATCHDOG_PERIOD_MS     1000
#define WATCHDOG_DEFAULT_LIMIT 60
#define WATCHDOG_MEMORY_FILE   "memory.json"

struct watchdog;

/* NULL when the image has no record, UNIKIT_WATCHDOG is not a number, or
   the boot is quiet; with a limit of 0 it keeps the memory counts only. */
struct watchdog *watchdog_open(const struct qemu_boot *boot);
void watchdog_close(struct watchdog *w);

/* When the next look is due (CLOCK_MONOTONIC ms); -1 while an answer is awaited. */
long long watchdog_due_ms(const struct watchdog *w);
/* Asks QEMU for the record, at now_ms. */
void watchdog_ask(struct watchdog *w, struct qmp *q, long long now_ms);
/*
 * Takes QEMU's answer (q->reply) at now_ms. true when the kernel is stuck:
 * report then holds the line to print ("kernel stuck in system call ...",
 * "kernel stuck: 1 thread ready to run, ...").
 */
bool watchdog_answer(struct watchdog *w, const char *reply, long long now_ms, char *report,
                     size_t reportlen);

/* The limit in seconds UNIKIT_WATCHDOG sets; -1 with err when it is not a number. */
long watchdog_limit(char *err, size_t errlen);

#endif
