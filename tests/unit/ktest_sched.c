/*
 * The scheduler's one-shot timer (kernel/core/sched.c): when it is armed
 * for a time slice, and never for a moment already past. A timer armed in
 * the past fires at once; taken by an idle CPU with a thread waiting, it
 * fired again after every return, shutting out the device interrupts for
 * good (an aarch64 httpd that stopped answering under 50 clients).
 *
 * The CPU is the shim's (tests/unit/kshim.c); the architecture's side is
 * stubbed here: the timer records its deadline, and nothing switches.
 */
#include <stdlib.h>
#include <time.h>

#include "check.h"

#include "arch.h"
#include "irq.h"
#include "proc.h"
#include "sched.h"
#include "smp.h"
#include "watch.h"

struct cpu cpus[MAX_CPUS];
unsigned cpu_count = 1;
volatile struct watch_record watch_record;

static uint64_t timer_deadline; /* the last arch_timer_arm(); 0: disarmed */
static int timer_arms;

void arch_timer_arm(uint64_t deadline_ns)
{
    timer_deadline = deadline_ns;
    timer_arms++;
}

/* Nothing here switches threads, waits or starts one. */
static noreturn_fn void unexpected(const char *what)
{
    fprintf(stderr, "  unexpected call: %s\n", what);
    abort();
}
void arch_switch(uintptr_t *save_sp, uintptr_t next_sp)
{
    (void)save_sp, (void)next_sp;
    unexpected("arch_switch");
}
uintptr_t arch_kstack_init(uintptr_t top, void (*start)(void *), void *arg)
{
    (void)top, (void)start, (void)arg;
    unexpected("arch_kstack_init");
}
void arch_return_to_program(void)
{
    unexpected("arch_return_to_program");
}
void arch_wait(void)
{
    unexpected("arch_wait");
}
void proc_exit(int status)
{
    (void)status;
    unexpected("proc_exit");
}
void arch_fpu_save(void *state)
{
    (void)state;
}
void arch_fpu_restore(const void *state)
{
    (void)state;
}
uintptr_t arch_get_tls(void)
{
    return 0;
}
void arch_set_tls(uintptr_t tp)
{
    (void)tp;
}
void arch_set_kernel_stack(uintptr_t top)
{
    (void)top;
}
int irq_count(void)
{
    return 1;
}
void kernel_lock(void)
{
}
void kernel_unlock(void)
{
}
void smp_kick(struct cpu *cpu)
{
    (void)cpu;
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static void wait_until(uint64_t ns)
{
    while (now_ns() < ns)
        ;
}

static struct thread idle, program, waiter1, waiter2;

/* A thread woken while its CPU idles gets the CPU at the idle loop's next
 * turn: no slice, no timer. */
static void test_idle_cpu_arms_no_slice(void)
{
    this_cpu()->running = &idle;
    this_cpu()->idle_thread = &idle;
    waiter1.state = THREAD_BLOCKED;
    timer_arms = 0;
    thread_wake(&waiter1);
    CHECK(waiter1.state == THREAD_RUNNABLE);
    CHECK(timer_arms == 0);
    CHECK(this_cpu()->slice_end == 0);
}

/* A thread woken while a program thread runs: the running one's slice
 * starts, and the timer is armed for its end. */
static void test_running_thread_gets_a_slice(void)
{
    this_cpu()->running = &program;
    waiter2.state = THREAD_BLOCKED;
    uint64_t before = now_ns();
    thread_wake(&waiter2);
    uint64_t after = now_ns();
    CHECK(this_cpu()->slice_end > before && this_cpu()->slice_end <= after + 1000000000ULL);
    CHECK(timer_deadline == this_cpu()->slice_end);
}

/* The slice ends: the switch is due at the next return to the program,
 * and the timer is not armed again for the moment that has passed. */
static void test_slice_over_arms_nothing_past(void)
{
    wait_until(this_cpu()->slice_end + 1000000);
    timer_deadline = 0; /* the one-shot fired: the interrupt finds it disarmed */
    timer_interrupt();
    uint64_t now = now_ns();
    CHECK(sched_preempt_pending());
    CHECK(timer_deadline == 0 || timer_deadline > now);
}

int main(void)
{
    RUN_TEST(test_idle_cpu_arms_no_slice);
    RUN_TEST(test_running_thread_gets_a_slice);
    RUN_TEST(test_slice_over_arms_nothing_past);
    CHECK_EXIT();
}
