/*
 * The kernel lock and secondary CPU start-up (smp.h).
 *
 * The lock is a test-and-set lock with a claim for a CPU that has waited
 * too long. The CPUs are usually virtual, and a host may stop any of
 * them for a while: a fair ticket lock then hands the kernel to a stopped
 * CPU and every other waits with it (measured: 3 vCPUs under TCG on 2
 * host cores took minutes for what takes half a second with 2). A plain
 * test-and-set lock lets whichever CPU runs take it, but a CPU looping on
 * system calls can take it back each time before another notices (seen:
 * a thread spinning on sched_yield kept a signal from being delivered on
 * the other CPU). So a CPU that has spun STARVING_SPINS times claims the
 * next turn; it is spinning, so it is running. While waiting,
 * arch_cpu_relax() also answers requests that cannot wait for the lock
 * (x86's TLB shootdowns), since the holder may be the one asking.
 */
#include "arch.h"
#include "clock.h"
#include "lib.h"
#include "mm.h"
#include "plat.h"
#include "sched.h"
#include "smp.h"

#define START_TIMEOUT_NS 2000000000ull
#define STARVING_SPINS   1024

struct cpu cpus[MAX_CPUS];
unsigned cpu_count = 1;

static struct {
    int held;
    int owner;    /* CPU index; -1: free */
    int starving; /* the CPU whose turn is next; -1: none */
} klock = {0, -1, -1};

void kernel_lock(void)
{
    int me = (int)this_cpu()->index;
    for (unsigned spins = 0;; spins++) {
        int claim = __atomic_load_n(&klock.starving, __ATOMIC_RELAXED);
        if ((claim < 0 || claim == me) && !__atomic_load_n(&klock.held, __ATOMIC_RELAXED) &&
            !__atomic_exchange_n(&klock.held, 1, __ATOMIC_ACQUIRE))
            break;
        if (spins >= STARVING_SPINS && claim < 0)
            __atomic_compare_exchange_n(&klock.starving, &claim, me, false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED);
        arch_cpu_relax();
    }
    if (klock.starving == me)
        __atomic_store_n(&klock.starving, -1, __ATOMIC_RELAXED);
    klock.owner = me;
}

void kernel_unlock(void)
{
    klock.owner = -1;
    __atomic_store_n(&klock.held, 0, __ATOMIC_RELEASE);
}

bool kernel_enter(void)
{
    if (__atomic_load_n(&klock.owner, __ATOMIC_RELAXED) == (int)this_cpu()->index)
        return false;
    kernel_lock();
    return true;
}

void kernel_leave(bool taken)
{
    if (taken)
        kernel_unlock();
}

void smp_kick(struct cpu *cpu)
{
    if (cpu != this_cpu())
        arch_ipi(cpu);
}

static bool start_one(struct cpu *cpu)
{
    struct thread *idle = sched_idle_thread(cpu);
    if (!idle)
        return false;
    if (arch_cpu_start(cpu, idle->kstack_top) < 0)
        return false;
    uint64_t give_up = clock_monotonic_ns() + START_TIMEOUT_NS;
    while (!__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE)) {
        if (clock_monotonic_ns() > give_up)
            return false;
        arch_cpu_relax();
    }
    return true;
}

void smp_start(void)
{
    uint64_t hwids[MAX_CPUS];
    size_t n = plat_cpus(hwids, MAX_CPUS);
    cpus[0].hwid = hwids[0];
    for (unsigned i = 1; i < n; i++) {
        struct cpu *cpu = &cpus[cpu_count];
        cpu->index = cpu_count;
        cpu->hwid = hwids[i];
        if (!start_one(cpu)) {
            kprintf("unikit: CPU %u (id %lu) did not start; going on with %u\n", i,
                    (unsigned long)hwids[i], cpu_count);
            break;
        }
        cpu_count++;
    }
}

noreturn_fn void smp_secondary_main(struct cpu *cpu)
{
    __atomic_store_n(&cpu->online, true, __ATOMIC_RELEASE);
    kernel_lock();
    sched_run_idle();
}
