/* aarch64 CPU services for core code. */
#include "a64.h"
#include "arch.h"
#include "irq.h"
#include "lib.h"
#include "plat.h"
#include "sched.h"
#include "signal.h"
#include "smp.h"

#define HWCAP_FP    (1UL << 0)
#define HWCAP_ASIMD (1UL << 1)
#define HWCAP_CPUID (1UL << 11) /* the program may read ID registers: it runs at EL1 */

#define KSTACK_SIZE 32768

static struct a64_percpu boot_percpu;
/* The first thread's kernel stack, until the scheduler gives it its own. */
static uint8_t boot_kstack[KSTACK_SIZE] __attribute__((aligned(16)));

/* boot.S set up the vectors, FP/SIMD access and the MMU. */
void arch_cpu_init(void)
{
    boot_percpu.kstack_top = (uintptr_t)boot_kstack + sizeof(boot_kstack);
    boot_percpu.cpu = &cpus[0];
    write_sysreg(tpidr_el1, &boot_percpu);
}

struct cpu *arch_this_cpu(void)
{
    return ((struct a64_percpu *)read_sysreg(tpidr_el1))->cpu;
}

void arch_set_tls(uintptr_t tp)
{
    write_sysreg(tpidr_el0, tp);
}

uintptr_t arch_get_tls(void)
{
    return read_sysreg(tpidr_el0);
}

uint64_t arch_cycles(void)
{
    __asm__ volatile("isb" ::: "memory");
    return read_sysreg(cntvct_el0);
}

/* RNDR (FEAT_RNG) where ID_AA64ISAR0_EL1 says the CPU has it. */
bool arch_random64(uint64_t *out)
{
    if (((read_sysreg(id_aa64isar0_el1) >> 60) & 0xf) == 0)
        return false;
    for (int tries = 0; tries < 10; tries++) {
        uint64_t v, nzcv;
        __asm__ volatile("mrs %0, s3_3_c2_c4_0\n\tmrs %1, nzcv" : "=r"(v), "=r"(nzcv));
        if (!(nzcv & (1UL << 30))) { /* Z clear: the value is good */
            *out = v;
            return true;
        }
    }
    return false;
}

unsigned long arch_hwcap(void)
{
    return HWCAP_FP | HWCAP_ASIMD | HWCAP_CPUID;
}

const char *arch_name(void)
{
    return "aarch64";
}

void arch_irq_disable(void)
{
    __asm__ volatile("msr daifset, #2" ::: "memory");
}

void arch_irq_enable(void)
{
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}

void arch_cpu_relax(void)
{
    __asm__ volatile("yield");
}

void arch_wait(void)
{
    /* A pending interrupt ends wfi even while masked; unmasking then takes it. */
    __asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
}

/* ---- threads -------------------------------------------------------------------- */

extern char kstack_trampoline[];

size_t arch_fpu_state_size = 32 * 16 + 16; /* q0-q31, FPSR, FPCR */

void arch_set_kernel_stack(uintptr_t top)
{
    ((struct a64_percpu *)read_sysreg(tpidr_el1))->kstack_top = top;
}

/* The frame arch_switch pops, lowest first: x19 ... x28, x29, x30. */
uintptr_t arch_kstack_init(uintptr_t kstack_top, void (*start)(void *), void *arg)
{
    uint64_t *sp = (uint64_t *)((uintptr_t)arch_regs_at(kstack_top) & ~15UL) - 12;
    memset(sp, 0, 12 * sizeof(*sp));
    sp[0] = (uintptr_t)arg;                /* x19 */
    sp[1] = (uintptr_t)start;              /* x20 */
    sp[11] = (uintptr_t)kstack_trampoline; /* x30 */
    return (uintptr_t)sp;
}

/* ---- the generic timer's virtual timer: the scheduler's one-shot ---------------- */

#define TIMER_PPI    27 /* the virtual timer's interrupt (INTID) */
#define CNTV_CTL_ON  1
#define CNTV_CTL_OFF 0

static bool timer_ready;

static void timer_fired(void *arg)
{
    (void)arg;
    write_sysreg(cntv_ctl_el0, CNTV_CTL_OFF);
    timer_interrupt();
}

void arch_timer_arm(uint64_t deadline_ns)
{
    if (!deadline_ns) {
        write_sysreg(cntv_ctl_el0, CNTV_CTL_OFF);
        return;
    }
    if (!timer_ready) {
        if (irq_register(TIMER_PPI, timer_fired, NULL) < 0)
            panic("no interrupt line for the timer");
        timer_ready = true;
    }
    uint64_t cval = arch_boot_cycles + muldiv64(deadline_ns, plat_cycles_hz(), 1000000000u);
    write_sysreg(cntv_cval_el0, cval);
    write_sysreg(cntv_ctl_el0, CNTV_CTL_ON);
    __asm__ volatile("isb");
}

/* ---- interrupts (entry.S) ------------------------------------------------------- */

void a64_irq(struct trap_frame *tf)
{
    kernel_lock();
    plat_irq_handle();
    if ((tf->spsr & 0xf) == SPSR_MODE_EL1T) {
        if (sched_preempt_pending())
            sched_preempt();
        signal_deliver((struct arch_regs *)tf, false);
    } else {
        /* From the idle wait (arch_wait), the one place the kernel takes
           interrupts: back with them masked, so its loop runs between any
           two, however fast they come. */
        tf->spsr |= SPSR_IRQ_MASKED;
    }
    kernel_unlock();
}
