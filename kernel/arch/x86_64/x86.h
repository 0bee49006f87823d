/* x86_64 registers, MSRs and descriptor constants (arch-private). */
#ifndef UNIKIT_X86_H
#define UNIKIT_X86_H

#define KERNEL_VMA 0xffffffff80000000

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS       0x18
#define AP_GDT_CODE32 0x18 /* only in ap_start.S's own GDT */

/* Low pages for secondary CPU start-up (ap_start.S), kept out of the
 * page allocator by the platform: the code, and its page table. */
#define AP_BASE       0x8000
#define AP_PAGE_TABLE 0x9000
#define AP_LOW_END    0x10000

#define MSR_EFER    0xc0000080
#define MSR_STAR    0xc0000081
#define MSR_LSTAR   0xc0000082
#define MSR_FMASK   0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define EFER_SCE    (1 << 0)
#define EFER_LME    (1 << 8)
#define EFER_NXE    (1 << 11)

#define CR0_PE         (1 << 0)
#define CR0_MP         (1 << 1)
#define CR0_EM         (1 << 2)
#define CR0_NE         (1 << 5)
#define CR0_WP         (1 << 16)
#define CR0_PG         (1 << 31)
#define CR4_PAE        (1 << 5)
#define CR4_OSFXSR     (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define CR4_OSXSAVE    (1 << 18)

/* Offsets into struct percpu, shared by C and the syscall entry. */
#define PERCPU_SELF       0
#define PERCPU_KSTACK_TOP 8
#define PERCPU_USER_RSP   16
#define PERCPU_CPU        24

#define REGS_SIZE (22 * 8) /* struct arch_regs */

#define RFLAGS_IF 0x200 /* interrupts enabled */

/* Interrupt vectors. */
#define VECTOR_TIMER     32
#define VECTOR_KICK      33 /* smp_kick() */
#define VECTOR_TLB_FLUSH 34 /* arch_tlb_sync() */
#define VECTOR_IRQ_BASE  48 /* IOAPIC input n arrives as VECTOR_IRQ_BASE + n */
#define VECTOR_IRQ_MAX   63
#define VECTOR_SPURIOUS  255

#ifndef __ASSEMBLY__
#include "types.h"

/* Where an interrupt that ended arch_wait's halt returns to (entry.S). */
extern char x86_wait_woken[];

struct cpu;
struct percpu {
    struct percpu *self;
    uint64_t kstack_top;
    uint64_t user_rsp;
    struct cpu *cpu;
    int tlb_flush; /* set by another CPU: flush the TLB, then clear it */
};

/* Saved by the exception stubs in kernel/arch/x86_64/entry.S, in this order. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

/* This CPU's percpu, through GS base. */
static inline struct percpu *this_percpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:%c1, %0" : "=r"(p) : "i"(PERCPU_SELF));
    return p;
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

static inline uint64_t read_cr2(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline uint64_t read_cr3(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}

static inline void invlpg(uintptr_t va)
{
    __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

/* The local APIC, mapped and enabled on first use; the others by
 * lapic_cpu_init() as they start. */
void lapic_enable(void);
void lapic_cpu_init(void);
void lapic_eoi(void);
/* Sends icr (vector and delivery mode) to the CPU with local APIC ID apic_id. */
void lapic_send(uint32_t apic_id, uint32_t icr);
void trap_dispatch(struct trap_frame *tf);
/* Flushes this CPU's TLB if another CPU asked (arch_tlb_sync). */
void tlb_flush_answer(void);
/* A secondary CPU's own data, before it starts. */
void *x86_cpu_arch_alloc(unsigned index);
/* Each CPU's percpu, by struct cpu index. */
extern struct percpu *x86_percpus[];
#endif

#endif
