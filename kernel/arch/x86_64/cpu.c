/*
 * x86_64 CPU set-up: the TSS and IDT, the syscall MSRs, SSE for the
 * program, per-CPU data, and small CPU services for core code.
 */
#include "arch.h"
#include "lib.h"
#include "mm.h"
#include "smp.h"
#include "x86.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct idt_entry {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

#define IST_STACK_SIZE 16384
#define KSTACK_SIZE    32768
#define GDT_ENTRIES    5 /* null, code, data, and the TSS's two */

/* What each CPU has of its own; GS base points at its percpu. */
struct cpu_arch {
    struct percpu percpu;
    uint64_t gdt[GDT_ENTRIES];
    struct tss tss;
    uint8_t trap_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
    uint8_t double_fault_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
    uint8_t irq_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
};

extern uint64_t boot_gdt[];
extern const uint64_t trap_stubs[32];
extern const uint64_t irq_stubs[VECTOR_IRQ_MAX - VECTOR_TIMER + 1];
extern const uint64_t irq_spurious_stub;
extern char kstack_trampoline[];
extern char syscall_entry[];

struct percpu *x86_percpus[MAX_CPUS];
static struct idt_entry idt[256];
static struct cpu_arch boot_cpu_arch;
/* The first thread's kernel stack, until the scheduler gives it its own. */
static uint8_t boot_kstack[KSTACK_SIZE] __attribute__((aligned(16)));
static unsigned long hwcap;

struct cpu *arch_this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("mov %%gs:%c1, %0" : "=r"(c) : "i"(PERCPU_CPU));
    return c;
}

/* This CPU's own GDT (a copy of the boot one) with its TSS in it. */
static void gdt_tss_load(struct cpu_arch *ca)
{
    struct tss *tss = &ca->tss;
    uintptr_t base = (uintptr_t)tss;
    uint64_t limit = sizeof(*tss) - 1;
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) gdtr = {sizeof(ca->gdt) - 1, (uintptr_t)ca->gdt};

    tss->ist[0] = (uintptr_t)ca->trap_stack + sizeof(ca->trap_stack);
    tss->ist[1] = (uintptr_t)ca->double_fault_stack + sizeof(ca->double_fault_stack);
    tss->ist[2] = (uintptr_t)ca->irq_stack + sizeof(ca->irq_stack);
    tss->iomap_base = sizeof(*tss);
    memcpy(ca->gdt, boot_gdt, GDT_TSS);
    /* A 64-bit TSS descriptor: available TSS (type 9), present. */
    ca->gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89UL << 40) |
                           ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
    ca->gdt[GDT_TSS / 8 + 1] = base >> 32;
    __asm__ volatile("lgdt %0" ::"m"(gdtr));
    __asm__ volatile("ltr %w0" ::"r"(GDT_TSS));
}

/* An interrupt gate: IF is clear on entry. ist: 1 exceptions, 2 double fault, 3 interrupts. */
static void set_gate(int v, uint64_t off, uint8_t ist)
{
    idt[v] = (struct idt_entry){
        .offset_low = off & 0xffff,
        .selector = GDT_KERNEL_CS,
        .ist = ist,
        .type = 0x8e, /* present, ring 0, interrupt gate */
        .offset_mid = off >> 16 & 0xffff,
        .offset_high = off >> 32,
    };
}

static void idt_build(void)
{
    for (int v = 0; v < 32; v++)
        set_gate(v, trap_stubs[v], v == 8 ? 2 : 1);
    for (int v = VECTOR_TIMER; v <= VECTOR_IRQ_MAX; v++)
        set_gate(v, irq_stubs[v - VECTOR_TIMER], 3);
    set_gate(VECTOR_SPURIOUS, irq_spurious_stub, 3);
}

static void idt_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) idtr = {sizeof(idt) - 1, (uintptr_t)idt};
    __asm__ volatile("lidt %0" ::"m"(idtr));
}

static void syscall_init(struct percpu *percpu)
{
    wrmsr(MSR_GS_BASE, (uintptr_t)percpu);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE | EFER_NXE);
    wrmsr(MSR_STAR, (uint64_t)GDT_KERNEL_CS << 32);
    wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
    /* Cleared on entry: TF, IF, DF, IOPL, NT, AC. */
    wrmsr(MSR_FMASK, 0x47700);
}

size_t arch_fpu_state_size = 512; /* fxsave's */
static bool use_xsave;
static uint64_t xsave_mask;

/* The program may use SSE (and AVX where the CPU has it); the kernel never does. */
static void fpu_init(void)
{
    uint32_t r[4];
    uint64_t cr0, cr4;

    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 = (cr0 & ~(uint64_t)CR0_EM) | CR0_MP | CR0_NE;
    __asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    cpuid(1, 0, r);
    hwcap = r[3];
    bool xsave = r[2] & (1u << 26), avx = r[2] & (1u << 28);
    if (xsave)
        cr4 |= CR4_OSXSAVE;
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
    use_xsave = xsave;
    if (xsave) {
        xsave_mask = 0x3 | (avx ? 0x4 : 0); /* x87, SSE, and AVX state */
        __asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)xsave_mask), "d"(0));
        cpuid(0xd, 0, r);
        arch_fpu_state_size = r[1]; /* for the features enabled in XCR0 */
        if (arch_fpu_state_size > ARCH_FPU_STATE_MAX)
            panic("the CPU's xsave area (%zu bytes) is larger than expected", arch_fpu_state_size);
    }
    __asm__ volatile("fninit");
}

static void cpu_setup(struct cpu_arch *ca, struct cpu *cpu)
{
    ca->percpu.self = &ca->percpu;
    ca->percpu.cpu = cpu;
    gdt_tss_load(ca);
    idt_load();
    syscall_init(&ca->percpu);
    fpu_init();
}

void arch_cpu_init(void)
{
    idt_build();
    boot_cpu_arch.percpu.kstack_top = (uintptr_t)boot_kstack + sizeof(boot_kstack);
    x86_percpus[0] = &boot_cpu_arch.percpu;
    cpu_setup(&boot_cpu_arch, &cpus[0]);
}

/* Set up by the CPU itself in x86_ap_main(). */
void *x86_cpu_arch_alloc(unsigned index)
{
    size_t pages = ALIGN_UP(sizeof(struct cpu_arch), PAGE_SIZE) / PAGE_SIZE;
    uintptr_t pa = page_alloc(pages);
    if (!pa)
        return NULL;
    struct cpu_arch *ca = phys_to_virt(pa);
    memset(ca, 0, sizeof(*ca));
    x86_percpus[index] = &ca->percpu;
    return ca;
}

/* Where the start-up trampoline (ap_start.S) leaves a secondary CPU: on its
 * idle thread's stack, still on the trampoline's page tables. */
noreturn_fn void x86_ap_main(struct cpu_arch *ca, struct cpu *cpu, uint64_t cr3)
{
    write_cr3(cr3);
    cpu_setup(ca, cpu);
    lapic_cpu_init();
    smp_secondary_main(cpu);
}

void arch_fpu_save(void *state)
{
    if (use_xsave)
        __asm__ volatile("xsave64 (%0)" ::"r"(state), "a"((uint32_t)xsave_mask), "d"(0) : "memory");
    else
        __asm__ volatile("fxsave64 (%0)" ::"r"(state) : "memory");
}

void arch_fpu_restore(const void *state)
{
    if (use_xsave)
        __asm__ volatile("xrstor64 (%0)" ::"r"(state), "a"((uint32_t)xsave_mask), "d"(0)
                         : "memory");
    else
        __asm__ volatile("fxrstor64 (%0)" ::"r"(state) : "memory");
}

void arch_set_kernel_stack(uintptr_t top)
{
    this_percpu()->kstack_top = top;
}

/* The frame arch_switch pops: r15 r14 r13 r12 rbx rbp, then the return
 * address, after which the trampoline's %rsp is 16-byte aligned for its call. */
uintptr_t arch_kstack_init(uintptr_t kstack_top, void (*start)(void *), void *arg)
{
    uint64_t *sp = (uint64_t *)((uintptr_t)arch_regs_at(kstack_top) & ~15UL);
    *--sp = (uintptr_t)kstack_trampoline;
    *--sp = 0;                /* rbp */
    *--sp = 0;                /* rbx */
    *--sp = (uintptr_t)arg;   /* r12 */
    *--sp = (uintptr_t)start; /* r13 */
    *--sp = 0;                /* r14 */
    *--sp = 0;                /* r15 */
    return (uintptr_t)sp;
}

void arch_set_tls(uintptr_t tp)
{
    wrmsr(MSR_FS_BASE, tp);
}

uintptr_t arch_get_tls(void)
{
    return rdmsr(MSR_FS_BASE);
}

uint64_t arch_cycles(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

bool arch_random64(uint64_t *out)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 30)))
        return false;
    for (int tries = 0; tries < 10; tries++) {
        uint8_t ok;
        __asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok));
        if (ok)
            return true;
    }
    return false;
}

unsigned long arch_hwcap(void)
{
    return hwcap;
}

const char *arch_name(void)
{
    return "x86_64";
}

void arch_irq_disable(void)
{
    __asm__ volatile("cli" ::: "memory");
}

void arch_irq_enable(void)
{
    __asm__ volatile("sti" ::: "memory");
}

void arch_cpu_relax(void)
{
    __asm__ volatile("pause");
    tlb_flush_answer();
}
