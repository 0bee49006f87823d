/*
 * Threads and the scheduler: one CPU, one FIFO run queue, a list of timed
 * sleepers ordered by deadline, and a one-shot timer armed for whichever
 * comes first, the earliest sleeper or the end of the running thread's time
 * slice when another thread is waiting for the CPU. With nothing to run the
 * CPU halts until an interrupt: no periodic tick.
 *
 * Kernel code runs with interrupts masked (sched.h), so nothing here needs
 * a lock: interrupt handlers run only where arch_wait() lets them, or on
 * top of the program.
 */
#include "arch.h"
#include "arch_regs.h"
#include "clock.h"
#include "irq.h"
#include "lib.h"
#include "mm.h"
#include "proc.h"
#include "sched.h"

#define KSTACK_PAGES  8 /* 32 KiB */
#define TIME_SLICE_NS 10000000ull

struct thread *current;

static struct thread *run_head, *run_tail;
static struct thread *sleepers; /* by deadline, earliest first */
static struct thread *all_threads;
static struct thread *zombie; /* exited; freed by the next thread to run */
static int next_tid = 1;
static int program_threads;
static bool need_resched;
static uint64_t slice_end;
static uint64_t armed; /* the timer's deadline; 0: disarmed */

/* ---- queues ------------------------------------------------------------------ */

static void runq_push(struct thread *t)
{
    t->run_next = NULL;
    if (run_tail)
        run_tail->run_next = t;
    else
        run_head = t;
    run_tail = t;
}

static struct thread *runq_pop(void)
{
    struct thread *t = run_head;
    if (t) {
        run_head = t->run_next;
        if (!run_head)
            run_tail = NULL;
    }
    return t;
}

static void sleepers_add(struct thread *t)
{
    struct thread **p = &sleepers;
    while (*p && (*p)->deadline <= t->deadline)
        p = &(*p)->sleep_next;
    t->sleep_next = *p;
    *p = t;
}

static void sleepers_remove(struct thread *t)
{
    for (struct thread **p = &sleepers; *p; p = &(*p)->sleep_next) {
        if (*p == t) {
            *p = t->sleep_next;
            return;
        }
    }
}

/* Wakes every sleeper whose deadline has passed. */
static void expire_sleepers(uint64_t now)
{
    while (sleepers && sleepers->deadline <= now) {
        struct thread *t = sleepers;
        sleepers = t->sleep_next;
        if (t->state == THREAD_BLOCKED) {
            t->state = THREAD_RUNNABLE;
            runq_push(t);
        }
    }
}

/* The next moment the scheduler must look again. */
static void rearm_timer(void)
{
    uint64_t at = sleepers ? sleepers->deadline : 0;
    if (run_head && !slice_end) /* a thread is waiting: the running one's slice starts */
        slice_end = clock_monotonic_ns() + TIME_SLICE_NS;
    if (run_head && (!at || slice_end < at))
        at = slice_end;
    if (at != armed) {
        armed = at;
        arch_timer_arm(at);
    }
}

void thread_wake(struct thread *t)
{
    t->woken = true;
    if (t->state == THREAD_BLOCKED) {
        t->state = THREAD_RUNNABLE;
        runq_push(t);
    }
}

/* ---- switching ------------------------------------------------------------------ */

static void free_thread(struct thread *t)
{
    for (struct thread **p = &all_threads; *p; p = &(*p)->all_next) {
        if (*p == t) {
            *p = t->all_next;
            break;
        }
    }
    page_free(virt_to_phys((void *)t->kstack), KSTACK_PAGES);
    page_free(virt_to_phys(t), 1);
}

/* Once on another stack, the exited thread's can go. */
static void reap(void)
{
    if (zombie && zombie != current) {
        free_thread(zombie);
        zombie = NULL;
    }
}

static void switch_to(struct thread *next)
{
    struct thread *prev = current;
    arch_fpu_save(prev->fpu);
    prev->tls = arch_get_tls();
    current = next;
    arch_set_kernel_stack(next->kstack_top);
    arch_set_tls(next->tls);
    arch_switch(&prev->ksp, next->ksp);
    /* Back in prev, switched to by someone else. */
    reap();
    arch_fpu_restore(current->fpu);
}

/* Nothing to run: halt until an interrupt, unless nothing could ever come. */
static void idle(void)
{
    rearm_timer();
    if (!armed && !irq_count())
        panic("deadlock: every thread is blocked, with no timer or device to wake one");
    arch_wait();
}

/* Runs the next runnable thread; returns when the current one runs again. */
static void schedule(void)
{
    struct thread *next;
    for (;;) {
        expire_sleepers(sleepers ? clock_monotonic_ns() : 0);
        next = runq_pop();
        if (next)
            break;
        idle();
    }
    need_resched = false;
    slice_end = 0;
    rearm_timer();
    if (next != current)
        switch_to(next);
}

int sched_sleep(uint64_t deadline_ns)
{
    struct thread *t = current;
    if (t->woken) { /* woken between queueing and sleeping */
        t->woken = false;
        return 0;
    }
    if (t->sig_pending & ~t->sig_blocked)
        return -EINTR;
    t->state = THREAD_BLOCKED;
    t->deadline = deadline_ns;
    if (deadline_ns)
        sleepers_add(t);
    schedule();
    if (deadline_ns)
        sleepers_remove(t);
    if (t->woken) {
        t->woken = false;
        return 0;
    }
    if (deadline_ns && clock_monotonic_ns() >= deadline_ns)
        return -ETIMEDOUT;
    if (t->sig_pending & ~t->sig_blocked)
        return -EINTR;
    return 0;
}

void sched_yield(void)
{
    if (!run_head)
        return;
    runq_push(current);
    schedule();
}

void timer_interrupt(void)
{
    armed = 0;
    uint64_t now = clock_monotonic_ns();
    expire_sleepers(now);
    if (run_head && now >= slice_end)
        need_resched = true;
    rearm_timer();
}

bool sched_preempt_pending(void)
{
    return need_resched;
}

void sched_preempt(void)
{
    runq_push(current);
    schedule();
}

/* ---- threads -------------------------------------------------------------------- */

static struct thread *thread_alloc(const char *name)
{
    _Static_assert(sizeof(struct thread) <= PAGE_SIZE, "struct thread fits a page");
    uintptr_t tpa = page_alloc(1);
    uintptr_t spa = tpa ? page_alloc(KSTACK_PAGES) : 0;
    if (!spa) {
        if (tpa)
            page_free(tpa, 1);
        return NULL;
    }
    struct thread *t = phys_to_virt(tpa);
    memset(t, 0, sizeof(*t));
    t->tid = next_tid++;
    t->name = name;
    t->state = THREAD_RUNNABLE;
    t->kstack = (uintptr_t)phys_to_virt(spa);
    t->kstack_top = t->kstack + KSTACK_PAGES * PAGE_SIZE;
    t->all_next = all_threads;
    all_threads = t;
    return t;
}

void sched_init(void)
{
    struct thread *t = thread_alloc("main");
    if (!t)
        panic("out of memory for the first thread");
    program_threads = 1;
    current = t;
    arch_set_kernel_stack(t->kstack_top);
}

static noreturn_fn void start_program_thread(void *arg)
{
    (void)arg;
    reap();
    arch_fpu_restore(current->fpu);
    arch_return_to_program();
}

struct thread *thread_clone(void)
{
    struct thread *t = thread_alloc("thread");
    if (!t)
        return NULL;
    memcpy(arch_regs_at(t->kstack_top), arch_regs_at(current->kstack_top),
           sizeof(struct arch_regs));
    arch_fpu_save(t->fpu);
    t->tls = arch_get_tls();
    t->sig_blocked = current->sig_blocked;
    t->ksp = arch_kstack_init(t->kstack_top, start_program_thread, NULL);
    return t;
}

void thread_start(struct thread *t)
{
    program_threads++;
    runq_push(t);
    rearm_timer();
}

static noreturn_fn void start_kthread(void *arg)
{
    struct thread *self = arg;
    reap();
    self->kthread_fn(self->kthread_arg);
    panic("kernel thread %s returned", self->name);
}

struct thread *kthread_create(const char *name, void (*fn)(void *arg), void *arg)
{
    struct thread *t = thread_alloc(name);
    if (!t)
        panic("out of memory for kernel thread %s", name);
    t->is_kthread = true;
    t->kthread_fn = fn;
    t->kthread_arg = arg;
    t->ksp = arch_kstack_init(t->kstack_top, start_kthread, t);
    runq_push(t);
    rearm_timer();
    return t;
}

noreturn_fn void thread_exit(int status)
{
    struct thread *t = current;
    if (!t->is_kthread && --program_threads == 0)
        proc_exit(status);
    t->state = THREAD_DEAD;
    zombie = t;
    schedule();
    panic("a dead thread was scheduled");
}

int thread_count(void)
{
    return program_threads;
}

struct thread *thread_find(int tid)
{
    for (struct thread *t = all_threads; t; t = t->all_next)
        if (t->tid == tid && t->state != THREAD_DEAD && !t->is_kthread)
            return t;
    return NULL;
}

struct thread *thread_next(struct thread *prev)
{
    for (struct thread *t = prev ? prev->all_next : all_threads; t; t = t->all_next)
        if (t->state != THREAD_DEAD && !t->is_kthread)
            return t;
    return NULL;
}
