/*
 * Threads, and the one wait/wake mechanism everything that blocks uses:
 * futexes, pipes, sockets, poll/epoll, sleeps and device interrupts.
 *
 * The kernel runs with interrupts masked, except where a CPU with nothing
 * to run waits for one. So kernel code is never preempted: a condition
 * checked and a waiter queued in the same stretch of code cannot miss a
 * wake-up, and interrupt handlers only mark threads runnable. Preemption
 * happens when a timer interrupt lands in the program.
 *
 * A thread that blocks queues a struct waiter (usually on its own kernel
 * stack) on every wait queue it cares about, then sleeps once:
 *
 *     struct waiter w;
 *     waitq_add(&pipe->readers, &w);
 *     while (!pipe_has_data(pipe) && (rc = sched_sleep(deadline)) == 0)
 *         ;
 *     waitq_remove(&pipe->readers, &w);
 *
 * wait_event() below is that loop for the common single-queue case.
 */
#ifndef UNIKIT_SCHED_H
#define UNIKIT_SCHED_H

#include "arch.h"
#include "errno.h"
#include "smp.h"
#include "types.h"

struct file;

#define THREAD_HELD_FILES 4 /* files one system call keeps open (fd.h) */

struct thread {
    int tid;
    enum { THREAD_RUNNABLE, THREAD_BLOCKED, THREAD_DEAD } state;
    const char *name;
    char comm[16];        /* the program's name for it (prctl PR_SET_NAME), NUL-ended */
    int pdeathsig;        /* prctl PR_SET_PDEATHSIG: kept, never sent (no parent dies) */
    uintptr_t ksp;        /* saved by arch_switch */
    uintptr_t kstack;     /* lowest address of the kernel stack */
    uintptr_t kstack_top; /* the program's registers sit just below */
    uintptr_t tls;        /* the program's thread pointer */
    int *clear_child_tid; /* zeroed and futex-woken at exit (set_tid_address) */
    bool woken;           /* a waitq_wake since the last sched_sleep */
    bool is_kthread;
    void (*kthread_fn)(void *);
    void *kthread_arg;
    uint64_t deadline;  /* of the current sleep; 0: none */
    struct cpu *on_cpu; /* the CPU running it; NULL when none */
    struct thread *run_next, *sleep_next, *all_next;
    uint64_t sig_pending, sig_blocked; /* the Linux layer's, bit n-1 for signal n */
    uint64_t sig_saved;                /* the mask to restore after a ppoll-style wait */
    uint64_t sig_timer;                /* pending ones a timer sent (si_code SI_TIMER) */
    uint64_t sig_waiting;              /* what rt_sigtimedwait waits for, blocked or not */
    bool sig_restore;
    uintptr_t sigalt_sp; /* sigaltstack: base, size, SS_* flags */
    size_t sigalt_size;
    int sigalt_flags;
    struct file *held[THREAD_HELD_FILES]; /* looked up by the running system call */
    int nheld;
    uint8_t fpu[ARCH_FPU_STATE_MAX] __attribute__((aligned(64)));
};

/* The thread running on this CPU. */
#define current (this_cpu()->running)

struct waiter {
    struct waiter *next, *prev;
    struct thread *thread;
};

struct waitq {
    struct waiter *head, *tail;
};

#define WAITQ_INIT                                                                                 \
    {                                                                                              \
        0, 0                                                                                       \
    }

void waitq_init(struct waitq *q);
/* Queues w for the current thread. */
void waitq_add(struct waitq *q, struct waiter *w);
void waitq_remove(struct waitq *q, struct waiter *w);
/* Makes the threads of the first n waiters (or all) runnable; they stay
 * queued until they remove themselves. Callable from interrupt handlers.
 * Returns how many threads were woken. */
int waitq_wake(struct waitq *q, int n);
static inline int waitq_wake_all(struct waitq *q)
{
    return waitq_wake(q, 1 << 30);
}

/*
 * Blocks the current thread until a queue it waits on is woken, the
 * monotonic clock reaches deadline_ns (0: no deadline), or a signal is
 * pending for it. 0, -ETIMEDOUT or -EINTR. Spurious returns of 0 happen:
 * callers re-check their condition.
 */
int sched_sleep(uint64_t deadline_ns);
/*
 * The same, but a pending signal does not end the sleep: for a wait that
 * the Linux call being served would not make at all, such as the network's
 * first address, which a signal must not cut short (a Go program's
 * preemption signals arrive all the time). 0 or -ETIMEDOUT.
 */
int sched_sleep_uninterruptible(uint64_t deadline_ns);

#define wait_event_using(sleep, q, cond, deadline_ns)                                              \
    ({                                                                                             \
        int wait_rc_ = 0;                                                                          \
        if (!(cond)) {                                                                             \
            struct waiter wait_w_;                                                                 \
            waitq_add((q), &wait_w_);                                                              \
            while (!(cond) && (wait_rc_ = sleep(deadline_ns)) == 0)                                \
                ;                                                                                  \
            waitq_remove((q), &wait_w_);                                                           \
        }                                                                                          \
        wait_rc_;                                                                                  \
    })

/* Sleeps on q until cond holds: 0, -ETIMEDOUT or -EINTR. */
#define wait_event(q, cond, deadline_ns) wait_event_using(sched_sleep, q, cond, deadline_ns)
/* Sleeps on q until cond holds, whatever signals come: 0 or -ETIMEDOUT. */
#define wait_event_uninterruptible(q, cond, deadline_ns)                                           \
    wait_event_using(sched_sleep_uninterruptible, q, cond, deadline_ns)

/* Gives the CPU to another runnable thread, if there is one. */
void sched_yield(void);

/* Makes a blocked thread runnable. */
void thread_wake(struct thread *t);

/*
 * A new program thread whose registers start as a copy of the current
 * thread's, as clone() leaves a child: the caller edits them through
 * arch_regs_at(t->kstack_top) before thread_start(). NULL when out of memory.
 */
struct thread *thread_clone(void);
void thread_start(struct thread *t);
/* Ends the current thread; the machine powers off when it was the last
 * program thread (with status). */
noreturn_fn void thread_exit(int status);
/* Number of program threads alive. */
int thread_count(void);
struct thread *thread_find(int tid);
/* The program threads alive, one after another: NULL starts, NULL ends. */
struct thread *thread_next(struct thread *prev);

/* Boot: turns the boot context into the program's first thread. */
void sched_init(void);
/* A secondary CPU's idle thread, made before the CPU starts on its stack
 * (NULL when out of memory); the CPU then calls sched_run_idle(). */
struct thread *sched_idle_thread(struct cpu *cpu);
noreturn_fn void sched_run_idle(void);

/*
 * Kernel threads (a network stack's timers and input, for example): fn
 * runs on its own kernel stack with interrupts masked, like all kernel
 * code, and must block (sched_sleep, wait_event) to let others run.
 */
struct thread *kthread_create(const char *name, void (*fn)(void *arg), void *arg);

/* ---- for the architecture's entry code ---- */

/* The timer armed with arch_timer_arm() fired (interrupts masked). */
void timer_interrupt(void);
/* True when the program just interrupted should give up the CPU. */
bool sched_preempt_pending(void);
/* Called on the thread's kernel stack, its registers saved at the top:
 * lets the next thread run; returns when this one is picked again. */
void sched_preempt(void);

#endif
