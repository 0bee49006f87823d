/*
 * More than one CPU: what each CPU keeps for itself, and the lock that
 * lets only one of them run kernel code at a time.
 *
 * The kernel was written for one CPU with interrupts masked, where kernel
 * code is never interrupted (sched.h). With more CPUs, the kernel lock
 * keeps that true: a CPU takes it on every way in from the program and
 * gives it back on the way out, and a CPU with nothing to run gives it
 * back while it waits for an interrupt. The program's threads run in
 * parallel; system calls take turns. The lock belongs to a CPU, not to a
 * thread: a thread that blocks in the kernel hands the CPU, lock and all,
 * to the next, which lets it go when it returns to the program.
 */
#ifndef UNIKIT_SMP_H
#define UNIKIT_SMP_H

#include "types.h"

#define MAX_CPUS 16

struct thread;

struct cpu {
    unsigned index; /* 0 is the boot CPU */
    uint64_t hwid;  /* the local APIC ID or MPIDR */
    struct thread *running;
    struct thread *idle_thread;
    bool need_resched;  /* the running program thread's slice is over */
    bool idle;          /* waiting for an interrupt, kernel lock released */
    bool online;        /* set by the CPU itself once started */
    uint64_t slice_end; /* of the running thread's time slice; 0: none */
    uint64_t armed;     /* the timer's deadline; 0: disarmed */
};

extern struct cpu cpus[MAX_CPUS];
/* CPUs running the kernel: 1 until smp_start() brings up the others. */
extern unsigned cpu_count;

/* The CPU executing this (arch_this_cpu() reads a per-CPU register). */
struct cpu *arch_this_cpu(void);
static inline struct cpu *this_cpu(void)
{
    return arch_this_cpu();
}

void kernel_lock(void);
void kernel_unlock(void);
/* For ways into the kernel that may come from kernel code (a fault on a
 * program page the kernel touched): takes the lock unless this CPU holds
 * it. Returns whether it did, for kernel_leave(). */
bool kernel_enter(void);
void kernel_leave(bool taken);

/* Boot: starts every CPU the platform reports (up to MAX_CPUS). */
void smp_start(void);
/* smp_start, or NULL in an image whose program cannot make a second
   thread nor ask how many CPUs it has: `unikit build` generates it beside
   the system-call table, so that one-thread images link no SMP start-up. */
extern void (*const smp_start_hook)(void);
/* Where a secondary CPU arrives once its architecture set-up is done, on
 * the kernel stack of its idle thread; never returns. */
noreturn_fn void smp_secondary_main(struct cpu *cpu);

/* Interrupts another CPU so that it looks at its run queue, its threads'
 * signals and its time slice (an idle CPU wakes up). */
void smp_kick(struct cpu *cpu);

#endif
