/*
 * Entry on QEMU's virt machine: the ELF is loaded at its physical
 * addresses (RAM starts at 1 GiB) and entered with the MMU off, at EL2 or
 * EL1. We drop to EL1, build boot page tables, turn the
 * MMU on and jump to the kernel's linked address, unpack the rest of the
 * kernel, then call kmain(device tree).
 *
 * Boot tables use 1 GiB blocks: TTBR0 maps the first 2 GiB identically
 * (only for the instruction that turns the MMU on), TTBR1 maps them at
 * PHYS_OFFSET (the direct map) and at KERNEL_VMA, where the kernel lives.
 * The first GiB holds devices and is mapped Device-nGnRnE.
 */
#include "a64.h"

#define DTB_PHYS    0x40000000 /* QEMU puts the DTB at the base of RAM for ELF kernels */
#define BLOCK_DEV   (DESC_BLOCK | DESC_ATTR(MAIR_DEVICE) | DESC_AF | DESC_PXN | DESC_UXN)
#define BLOCK_RAM   (DESC_BLOCK | DESC_ATTR(MAIR_NORMAL) | DESC_SH_INNER | DESC_AF)
#define MAIR_VALUE  0xff00   /* attr0 Device-nGnRnE, attr1 Normal WB */
/* T0SZ=T1SZ=16 (48-bit), 4K granules, inner-shareable write-back walks. */
#define TCR_VALUE   ((16 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | (16 << 16) | (1 << 24) | \
                     (1 << 26) | (3 << 28) | (2 << 30))
/* SCTLR_EL1: MMU, D-cache, I-cache, and the bits ARMv8.0 reserves as one. */
#define SCTLR_VALUE ((1 << 0) | (1 << 2) | (1 << 12) | 0x30d00800)

/* From EL2, if entered there: EL1 in AArch64, allowed to read the
   counters, with interrupts masked. Then FP/SIMD for the program (the
   kernel itself never touches it). */
.macro drop_to_el1
    mrs x0, CurrentEL
    lsr x0, x0, #2
    cmp x0, #2
    b.ne 1f
    mov x0, #(1 << 31)
    msr hcr_el2, x0
    mov x0, #3
    msr cnthctl_el2, x0
    msr cntvoff_el2, xzr
    mov x0, #0x3c5          /* EL1h, interrupts masked */
    msr spsr_el2, x0
    adr x0, 1f
    msr elr_el2, x0
    eret
1:  mov x0, #(3 << 20)
    msr cpacr_el1, x0
    isb
.endm

/* Turns the MMU on with TTBR0 = \ttbr0 and TTBR1 = \ttbr1 (registers). */
.macro mmu_on ttbr0, ttbr1
    ldr x0, =MAIR_VALUE
    msr mair_el1, x0
    ldr x0, =TCR_VALUE
    mrs x1, id_aa64mmfr0_el1
    and x1, x1, #7                          /* physical address size */
    orr x0, x0, x1, lsl #32
    msr tcr_el1, x0
    msr ttbr0_el1, \ttbr0
    msr ttbr1_el1, \ttbr1
    isb
    tlbi vmalle1
    dsb nsh
    isb
    ldr x0, =SCTLR_VALUE
    msr sctlr_el1, x0
    isb
.endm

/* Until the MMU is on, the code runs at its physical address; adrp is
   PC-relative, so it yields physical addresses here without help. */
    .section .boot.text, "ax"
    .globl _start
_start:
    /* First thing: the counter, for the boot-to-main benchmark. */
    mrs x19, cntvct_el0
    adrp x1, arch_boot_cycles
    add x1, x1, :lo12:arch_boot_cycles
    str x19, [x1]

    drop_to_el1
    adrp x0, boot_stack_top
    add x0, x0, :lo12:boot_stack_top
    mov sp, x0

    /* Clear the four table pages: bss may not be zero yet. */
    adrp x0, boot_tables
    add x0, x0, :lo12:boot_tables
    mov x1, #(5 * 4096 / 8)
1:  str xzr, [x0], #8
    subs x1, x1, #1
    b.ne 1b

    adrp x20, boot_tables             /* x20: TTBR0 L0 */
    add x21, x20, #4096                     /* x21: TTBR0 L1 */
    add x22, x20, #8192                     /* x22: TTBR1 L0 */
    add x23, x20, #12288                    /* x23: direct-map L1 */
    add x24, x20, #16384                    /* x24: kernel L1 */

    orr x0, x21, #DESC_TABLE
    str x0, [x20]                           /* TTBR0 L0[0] */
    ldr x0, =(0x00000000 | BLOCK_DEV)
    str x0, [x21]                           /* identity: devices */
    ldr x1, =(0x40000000 | BLOCK_RAM)
    str x1, [x21, #8]                       /* identity: first GiB of RAM */
    str x0, [x23]                           /* direct map: devices */
    str x1, [x23, #8]                       /* direct map: first GiB of RAM */
    str x1, [x24, #511 * 8]                 /* 0xffffffffc0000000: RAM, the kernel */
    orr x0, x23, #DESC_TABLE
    str x0, [x22, #256 * 8]                 /* 0xffff800000000000 */
    orr x0, x24, #DESC_TABLE
    str x0, [x22, #511 * 8]                 /* 0xffffff8000000000 */

    mmu_on x20, x22
    ldr x0, =high
    br x0

/* At the kernel's linked address, still in the part that is not packed. */
high:
    ldr x0, =boot_stack_top
    mov sp, x0
    mov x29, #0
    mov x30, #0
    bl kernel_unpack
    cbnz w0, boot_fail
    bl sync_unpacked_code
    ldr x0, =exception_vectors
    msr vbar_el1, x0
    isb
    ldr x0, =DTB_PHYS
    bl kmain
1:  wfi
    b 1b

/* The unpacked code went in through the data cache: clean it to the point
   of unification, line by line, and drop stale instructions. */
sync_unpacked_code:
    ldr x0, =__packed_start
    ldr x1, =__packed_end
    mrs x2, ctr_el0
    ubfx x2, x2, #16, #4                    /* DminLine: log2 of words */
    mov x3, #4
    lsl x3, x3, x2                          /* line size in bytes */
    sub x4, x3, #1
    bic x0, x0, x4
1:  dc cvau, x0
    add x0, x0, x3
    cmp x0, x1
    b.lo 1b
    dsb ish
    ic iallu
    dsb ish
    isb
    ret

/* A damaged packed kernel (unpack.h) ends the machine rather than hang:
   PSCI SYSTEM_OFF. */
boot_fail:
    ldr x0, =0x84000008
    hvc #0
1:  wfi
    b 1b

/*
 * Secondary CPUs arrive here from PSCI CPU_ON, MMU off, with the
 * physical address of struct a64_ap_boot (smp.c) in x0: page tables
 * whose TTBR0 half maps this code where it is, the kernel's TTBR1, and
 * what the CPU needs once it runs at the kernel's addresses.
 */
    .globl secondary_start
secondary_start:
    mov x19, x0
    drop_to_el1
    ldr x20, [x19, #AP_BOOT_TTBR0]
    ldr x21, [x19, #AP_BOOT_TTBR1]
    mmu_on x20, x21
    ldr x0, =secondary_high
    br x0

    .text
secondary_high:
    ldr x0, =exception_vectors
    msr vbar_el1, x0
    ldr x19, =a64_ap_boot
    ldr x0, [x19, #AP_BOOT_STACK]
    mov sp, x0
    /* The program's half from now on, as on the boot CPU. */
    ldr x0, [x19, #AP_BOOT_TTBR0_PROGRAM]
    msr ttbr0_el1, x0
    isb
    tlbi vmalle1
    dsb nsh
    isb
    ldr x0, [x19, #AP_BOOT_PERCPU]
    msr tpidr_el1, x0
    mov x29, #0
    mov x30, #0
    ldr x0, [x19, #AP_BOOT_CPU]
    bl a64_secondary_main
1:  wfi
    b 1b


    .data
    .globl arch_boot_cycles
    .balign 8
arch_boot_cycles:
    .quad 0

    .section .bss
    .balign 4096
    .globl boot_tables
boot_tables:
    .skip 5 * 4096
    .balign 16
boot_stack:
    .skip 16384
    .globl boot_stack_top
boot_stack_top:

    .section .note.GNU-stack, "", %progbits
