/*
 * The watchdog's record: what each CPU is doing in the kernel and how much
 * memory is in use, kept where the host can read it (unikit's supervisor
 * reads it over QEMU's monitor every second, host/lib/watchdog.c).
 *
 * Interrupts are masked while the kernel serves a system call, so a call
 * that spins (never blocks) cannot be noticed from inside the guest; the
 * host sees that one CPU's entry number has not moved for a long time
 * while the CPU was in the call. A call that sleeps in the wait/wake
 * mechanism (sched.h), or waits for the host, is legitimate however long
 * it lasts: switching the CPU to another thread (or waiting for the host)
 * clears "in a call", and coming back starts a new entry.
 *
 * A CPU can also stop scheduling without being in a call (an interrupt
 * taken over and over, a kernel thread that spins): the record counts the
 * threads waiting on the run queue and how many times a CPU took one from
 * it, and the host calls the kernel stuck when threads wait and none has
 * been taken for as long as a call may run.
 *
 * The layout is an ABI with the host: little-endian 64-bit words, in the
 * section .unikit.watch, whose load address the host finds in the image.
 */
#ifndef UNIKIT_WATCH_H
#define UNIKIT_WATCH_H

#include "smp.h"
#include "types.h"

#define WATCH_MAGIC     0x31305744544b4e55ull /* "UNKTWD01" */
#define WATCH_IN_CALL   (1ull << 63)
#define WATCH_HOST_WAIT (1ull << 62) /* spinning until the host answers: no call, no scheduling */

struct watch_cpu {
    uint64_t seq;  /* bumped at each entry into a call, and each return to one from a sleep */
    uint64_t call; /* WATCH_IN_CALL | the call's number while running it; WATCH_HOST_WAIT; 0 */
};

struct watch_record {
    uint64_t magic;
    uint64_t pages_total; /* 4 KiB pages the page allocator manages */
    uint64_t pages_free;
    uint64_t runq; /* threads waiting to run (low 32 bits); times one was taken (high 32) */
    struct watch_cpu cpu[MAX_CPUS];
};

extern volatile struct watch_record watch_record;

/* A new entry into call (WATCH_IN_CALL | its number) on this CPU. */
static inline void watch_enter(uint64_t call)
{
    volatile struct watch_cpu *w = &watch_record.cpu[this_cpu()->index];
    w->seq++;
    w->call = call;
}

static inline void watch_call_enter(long nr)
{
    watch_enter(WATCH_IN_CALL | (uint32_t)nr);
}

static inline void watch_call_leave(void)
{
    watch_record.cpu[this_cpu()->index].call = 0;
}

/* The CPU stops running the call: it leaves the thread (which blocks,
   yields or exits), or waits for the host (a volume's request, the last
   output at exit), which is waiting, not spinning. Returns the call it was
   in, or 0, for watch_resume. */
static inline uint64_t watch_pause(void)
{
    volatile struct watch_cpu *w = &watch_record.cpu[this_cpu()->index];
    uint64_t call = w->call;
    w->call = 0;
    return call;
}

/* The thread runs the call again (maybe on another CPU): a new entry. */
static inline void watch_resume(uint64_t call)
{
    if (call)
        watch_enter(call);
}

/* The CPU spins until the host answers (a volume's request, the last
   output at exit): it runs no call and schedules nothing meanwhile, and
   neither is a stuck kernel. Returns what watch_host_done restores. */
static inline uint64_t watch_host_wait(void)
{
    uint64_t call = watch_pause();
    watch_record.cpu[this_cpu()->index].call = WATCH_HOST_WAIT;
    return call;
}

static inline void watch_host_done(uint64_t call)
{
    watch_record.cpu[this_cpu()->index].call = 0;
    watch_resume(call);
}

static inline void watch_runq(uint32_t waiting, uint32_t taken)
{
    watch_record.runq = (uint64_t)taken << 32 | waiting;
}

static inline void watch_pages(size_t total, size_t free)
{
    watch_record.pages_total = total;
    watch_record.pages_free = free;
}

#endif
