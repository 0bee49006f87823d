/*
 * Threads and the scheduler: one FIFO run queue shared by every CPU, a
 * list of timed sleepers ordered by deadline, and on each CPU a one-shot
 * timer armed for whichever comes first, the earliest sleeper or the end
 * of the running thread's time slice when another thread is waiting for
 * a CPU. A CPU with nothing to run switches to its idle thread, which
 * halts until an interrupt: no periodic tick.
 *
 * Kernel code runs with interrupts masked (sched.h) and, with more than
 * one CPU, under the kernel lock (smp.h), so nothing here needs a lock of
 * its own: interrupt handlers run only where the idle thread lets them,
 * or on top of the program.
 */
#include "arch.h"
#include "arch_regs.h"
#include "clock.h"
#include "irq.h"
#include "lib.h"
#include "mm.h"
#include "proc.h"
#include "sched.h"
#include "smp.h"
#include "watch.h"

#define KSTACK_PAGES  8 /* 32 KiB */
#define TIME_SLICE_NS 10000000ull

static struct thread *run_head, *run_tail;
static uint32_t run_waiting, run_taken; /* for the watchdog (watch.h) */
static struct thread *sleepers;         /* by deadline, earliest first */
static struct thread *all_threads;
static struct thread *zombie; /* exited; freed by the next thread to run */
static int next_tid = 1;
static int program_threads;

/* ---- queues ------------------------------------------------------------------ */

/* A thread became runnable: an idle CPU, if there is one, comes for it. */
static void wake_idle_cpu(void)
{
    for (unsigned i = 0; i < cpu_count; i++) {
        struct cpu *cpu = &cpus[i];
        if (cpu->idle && cpu != this_cpu()) {
            cpu->idle = false; /* the next push wakes another */
            smp_kick(cpu);
            return;
        }
    }
}

static void runq_push(struct thread *t)
{
    t->run_next = NULL;
    if (run_tail)
        run_tail->run_next = t;
    else
        run_head = t;
    run_tail = t;
    watch_runq(++run_waiting, run_taken);
    if (cpu_count > 1)
        wake_idle_cpu();
}

static struct thread *runq_pop(void)
{
    struct thread *t = run_head;
    if (t) {
        run_head = t->run_next;
        if (!run_head)
            run_tail = NULL;
        watch_runq(--run_waiting, ++run_taken);
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

/*
 * A slice matters only while a thread waits for a CPU that another thread
 * holds. The idle thread gives its CPU up at its loop's next turn, and a
 * slice already over is switched at the next return to the program: a
 * timer for either would only fire at once, and again after each return
 * from it (seen: a timer interrupt taken over and over by an idle CPU with
 * a thread waiting, shutting out the network's interrupts for good).
 */
static bool slice_timer_needed(const struct cpu *cpu)
{
    return run_head && cpu->running != cpu->idle_thread && !cpu->need_resched;
}

/* The next moment this CPU's scheduler must look again. */
static void rearm_timer(void)
{
    struct cpu *cpu = this_cpu();
    uint64_t at = sleepers ? sleepers->deadline : 0;
    if (slice_timer_needed(cpu)) {
        if (!cpu->slice_end) /* a thread is waiting: the running one's slice starts */
            cpu->slice_end = clock_monotonic_ns() + TIME_SLICE_NS;
        if (!at || cpu->slice_end < at)
            at = cpu->slice_end;
    }
    if (at != cpu->armed) {
        cpu->armed = at;
        arch_timer_arm(at);
    }
}

/*
 * A blocked thread goes to the run queue, and the running thread's time
 * slice starts so that the woken one gets a CPU even if this one never
 * blocks. A thread running on another CPU is interrupted there, so that
 * a signal sent to it is seen without waiting for its next system call.
 */
void thread_wake(struct thread *t)
{
    t->woken = true;
    if (t->state == THREAD_BLOCKED) {
        t->state = THREAD_RUNNABLE;
        runq_push(t);
        rearm_timer();
    } else if (t->on_cpu && t->on_cpu != this_cpu()) {
        smp_kick(t->on_cpu);
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

/* Kernel threads never touch the program's FPU state or thread pointer. */
static void switch_to(struct thread *next)
{
    struct cpu *cpu = this_cpu();
    struct thread *prev = cpu->running;
    if (!prev->is_kthread) {
        arch_fpu_save(prev->fpu);
        prev->tls = arch_get_tls();
    }
    prev->on_cpu = NULL;
    next->on_cpu = cpu;
    cpu->running = next;
    arch_set_kernel_stack(next->kstack_top);
    if (!next->is_kthread)
        arch_set_tls(next->tls);
    uint64_t call = watch_pause(); /* a blocked call is not a stuck one */
    arch_switch(&prev->ksp, next->ksp);
    /* Back in prev, switched to by someone else, maybe on another CPU. */
    watch_resume(call);
    reap();
    if (!current->is_kthread)
        arch_fpu_restore(current->fpu);
}

/* Runs the next runnable thread, or this CPU's idle thread; returns when
 * the current one runs again. */
static void schedule(void)
{
    struct cpu *cpu = this_cpu();
    expire_sleepers(sleepers ? clock_monotonic_ns() : 0);
    struct thread *next = runq_pop();
    if (!next)
        next = cpu->idle_thread;
    cpu->need_resched = false;
    cpu->slice_end = 0;
    rearm_timer();
    if (next != current)
        switch_to(next);
}

/* With no sleeper, no device and every other CPU idle, nothing could
 * ever make a thread runnable again. */
static bool deadlocked(void)
{
    if (sleepers || irq_count())
        return false;
    for (unsigned i = 0; i < cpu_count; i++)
        if (&cpus[i] != this_cpu() && !cpus[i].idle)
            return false;
    return true;
}

/* Each CPU's idle thread: runs what becomes runnable, else halts until an
 * interrupt, with the kernel lock left to the other CPUs meanwhile. */
static noreturn_fn void idle_loop(void)
{
    struct cpu *cpu = this_cpu();
    for (;;) {
        expire_sleepers(sleepers ? clock_monotonic_ns() : 0);
        if (run_head) {
            schedule();
            continue;
        }
        rearm_timer();
        if (deadlocked())
            panic("deadlock: every thread is blocked, with no timer or device to wake one");
        cpu->idle = true;
        kernel_unlock();
        arch_wait();
        kernel_lock();
        cpu->idle = false;
    }
}

static bool interrupted(const struct thread *t, bool interruptible)
{
    return interruptible && (t->sig_pending & ~t->sig_blocked);
}

static int sleep_until(uint64_t deadline_ns, bool interruptible)
{
    struct thread *t = current;
    if (t->woken) { /* woken between queueing and sleeping */
        t->woken = false;
        return 0;
    }
    if (interrupted(t, interruptible))
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
    if (interrupted(t, interruptible))
        return -EINTR;
    return 0;
}

int sched_sleep(uint64_t deadline_ns)
{
    return sleep_until(deadline_ns, true);
}

int sched_sleep_uninterruptible(uint64_t deadline_ns)
{
    return sleep_until(deadline_ns, false);
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
    struct cpu *cpu = this_cpu();
    cpu->armed = 0;
    uint64_t now = clock_monotonic_ns();
    expire_sleepers(now);
    if (run_head && now >= cpu->slice_end)
        cpu->need_resched = true;
    rearm_timer();
}

bool sched_preempt_pending(void)
{
    return this_cpu()->need_resched;
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

static noreturn_fn void start_idle(void *arg)
{
    (void)arg;
    reap();
    idle_loop();
}

struct thread *sched_idle_thread(struct cpu *cpu)
{
    struct thread *t = thread_alloc("idle");
    if (!t)
        return NULL;
    t->tid = 0;
    next_tid--;
    t->is_kthread = true;
    t->ksp = arch_kstack_init(t->kstack_top, start_idle, NULL);
    cpu->idle_thread = t;
    return t;
}

noreturn_fn void sched_run_idle(void)
{
    struct cpu *cpu = this_cpu();
    cpu->running = cpu->idle_thread;
    cpu->idle_thread->on_cpu = cpu;
    arch_set_kernel_stack(cpu->idle_thread->kstack_top);
    idle_loop();
}

void sched_init(void)
{
    struct cpu *cpu = this_cpu();
    struct thread *t = thread_alloc("main");
    if (!t || !sched_idle_thread(cpu))
        panic("out of memory for the first thread");
    program_threads = 1;
    t->on_cpu = cpu;
    cpu->running = t;
    arch_set_kernel_stack(t->kstack_top);
}

static noreturn_fn void start_program_thread(void *arg)
{
    (void)arg;
    reap();
    arch_fpu_restore(current->fpu);
    kernel_unlock();
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
    memcpy(t->comm, current->comm, sizeof(t->comm));
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
