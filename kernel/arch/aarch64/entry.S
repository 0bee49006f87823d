/*
 * Exception vectors. The program runs at EL1 on SP_EL0 ("EL1t"), so its
 * exceptions, `svc #0` included, arrive at "current EL with SP0" and run
 * on SP_EL1, the kernel's stack; the kernel's own arrive at "current EL
 * with SPx". Both save a struct trap_frame and call trap_dispatch().
 */
#include "a64.h"

#define FRAME_SIZE (36 * 8) /* x0-x30, sp_el0, elr, spsr, esr, far */

.macro SAVE_FRAME
    sub sp, sp, #FRAME_SIZE
    stp x0, x1, [sp, #0 * 16]
    stp x2, x3, [sp, #1 * 16]
    stp x4, x5, [sp, #2 * 16]
    stp x6, x7, [sp, #3 * 16]
    stp x8, x9, [sp, #4 * 16]
    stp x10, x11, [sp, #5 * 16]
    stp x12, x13, [sp, #6 * 16]
    stp x14, x15, [sp, #7 * 16]
    stp x16, x17, [sp, #8 * 16]
    stp x18, x19, [sp, #9 * 16]
    stp x20, x21, [sp, #10 * 16]
    stp x22, x23, [sp, #11 * 16]
    stp x24, x25, [sp, #12 * 16]
    stp x26, x27, [sp, #13 * 16]
    stp x28, x29, [sp, #14 * 16]
    mrs x0, sp_el0
    stp x30, x0, [sp, #15 * 16]
    mrs x0, elr_el1
    mrs x1, spsr_el1
    stp x0, x1, [sp, #16 * 16]
    mrs x0, esr_el1
    mrs x1, far_el1
    stp x0, x1, [sp, #17 * 16]
.endm

.macro VECTOR label
    .balign 0x80
    b \label
.endm

    .text
    .balign 0x800
    .globl exception_vectors
exception_vectors:
    VECTOR trap_entry       /* current EL, SP0: synchronous (the program) */
    VECTOR irq_entry        /* IRQ */
    VECTOR trap_entry       /* FIQ */
    VECTOR trap_entry       /* SError */
    VECTOR trap_entry       /* current EL, SPx: synchronous (the kernel) */
    VECTOR irq_entry        /* IRQ: only where the kernel waits for one */
    VECTOR trap_entry
    VECTOR trap_entry
    VECTOR trap_entry       /* lower EL, AArch64: never used */
    VECTOR trap_entry
    VECTOR trap_entry
    VECTOR trap_entry
    VECTOR trap_entry       /* lower EL, AArch32: never used */
    VECTOR trap_entry
    VECTOR trap_entry
    VECTOR trap_entry

trap_entry:
    SAVE_FRAME
    mov x0, sp
    bl trap_dispatch
    b restore_frame

/* Interrupts: from the program the frame lands at the top of the thread's
 * kernel stack (SP_EL1 is empty while the program runs), so a64_irq() may
 * switch threads before this returns. */
irq_entry:
    SAVE_FRAME
    mov x0, sp
    bl a64_irq
restore_frame:
    ldp x0, x1, [sp, #16 * 16]
    msr elr_el1, x0
    msr spsr_el1, x1
    ldp x30, x0, [sp, #15 * 16]
    msr sp_el0, x0
    ldp x0, x1, [sp, #0 * 16]
    ldp x2, x3, [sp, #1 * 16]
    ldp x4, x5, [sp, #2 * 16]
    ldp x6, x7, [sp, #3 * 16]
    ldp x8, x9, [sp, #4 * 16]
    ldp x10, x11, [sp, #5 * 16]
    ldp x12, x13, [sp, #6 * 16]
    ldp x14, x15, [sp, #7 * 16]
    ldp x16, x17, [sp, #8 * 16]
    ldp x18, x19, [sp, #9 * 16]
    ldp x20, x21, [sp, #10 * 16]
    ldp x22, x23, [sp, #11 * 16]
    ldp x24, x25, [sp, #12 * 16]
    ldp x26, x27, [sp, #13 * 16]
    ldp x28, x29, [sp, #14 * 16]
    add sp, sp, #FRAME_SIZE
    eret

/* arch_return_to_program(): the frame at the top of this thread's kernel stack. */
    .globl arch_return_to_program
arch_return_to_program:
    mrs x0, tpidr_el1           /* this CPU's struct a64_percpu */
    ldr x0, [x0, #A64_PERCPU_KSTACK_TOP]
    sub sp, x0, #FRAME_SIZE
    b restore_frame

/* arch_switch(save_sp, next_sp): callee-saved x19-x30 on the stack, the
 * stack pointer in *save_sp; then the same, reversed, from next_sp. */
    .globl arch_switch
arch_switch:
    stp x29, x30, [sp, #-16]!
    stp x27, x28, [sp, #-16]!
    stp x25, x26, [sp, #-16]!
    stp x23, x24, [sp, #-16]!
    stp x21, x22, [sp, #-16]!
    stp x19, x20, [sp, #-16]!
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldp x19, x20, [sp], #16
    ldp x21, x22, [sp], #16
    ldp x23, x24, [sp], #16
    ldp x25, x26, [sp], #16
    ldp x27, x28, [sp], #16
    ldp x29, x30, [sp], #16
    ret

/* Where a fresh kernel stack (arch_kstack_init) first returns to. */
    .globl kstack_trampoline
kstack_trampoline:
    mov x0, x19
    blr x20
    brk #0

/* The program's FP/SIMD registers: q0-q31, then FPSR and FPCR. */
    .globl arch_fpu_save
arch_fpu_save:
    stp q0, q1, [x0, #0 * 32]
    stp q2, q3, [x0, #1 * 32]
    stp q4, q5, [x0, #2 * 32]
    stp q6, q7, [x0, #3 * 32]
    stp q8, q9, [x0, #4 * 32]
    stp q10, q11, [x0, #5 * 32]
    stp q12, q13, [x0, #6 * 32]
    stp q14, q15, [x0, #7 * 32]
    stp q16, q17, [x0, #8 * 32]
    stp q18, q19, [x0, #9 * 32]
    stp q20, q21, [x0, #10 * 32]
    stp q22, q23, [x0, #11 * 32]
    stp q24, q25, [x0, #12 * 32]
    stp q26, q27, [x0, #13 * 32]
    stp q28, q29, [x0, #14 * 32]
    stp q30, q31, [x0, #15 * 32]
    mrs x1, fpsr
    mrs x2, fpcr
    add x0, x0, #16 * 32
    stp x1, x2, [x0]
    ret

    .globl arch_fpu_restore
arch_fpu_restore:
    ldp q0, q1, [x0, #0 * 32]
    ldp q2, q3, [x0, #1 * 32]
    ldp q4, q5, [x0, #2 * 32]
    ldp q6, q7, [x0, #3 * 32]
    ldp q8, q9, [x0, #4 * 32]
    ldp q10, q11, [x0, #5 * 32]
    ldp q12, q13, [x0, #6 * 32]
    ldp q14, q15, [x0, #7 * 32]
    ldp q16, q17, [x0, #8 * 32]
    ldp q18, q19, [x0, #9 * 32]
    ldp q20, q21, [x0, #10 * 32]
    ldp q22, q23, [x0, #11 * 32]
    ldp q24, q25, [x0, #12 * 32]
    ldp q26, q27, [x0, #13 * 32]
    ldp q28, q29, [x0, #14 * 32]
    ldp q30, q31, [x0, #15 * 32]
    add x0, x0, #16 * 32
    ldp x1, x2, [x0]
    msr fpsr, x1
    msr fpcr, x2
    ret

/*
 * arch_enter_program(entry, sp): the program's stack in SP_EL0, the
 * thread's kernel stack in SP_EL1, and an exception return into EL1t
 * (interrupts unmasked, so the timer can preempt) with a clean register
 * file.
 */
    .globl arch_enter_program
arch_enter_program:
    msr sp_el0, x1
    msr elr_el1, x0
    mov x2, #SPSR_EL1T
    msr spsr_el1, x2
    mrs x2, tpidr_el1
    ldr x2, [x2, #A64_PERCPU_KSTACK_TOP]
    mov sp, x2
    mov x0, #0
    mov x1, #0
    mov x2, #0
    mov x3, #0
    mov x4, #0
    mov x5, #0
    mov x6, #0
    mov x7, #0
    mov x8, #0
    mov x9, #0
    mov x10, #0
    mov x11, #0
    mov x12, #0
    mov x13, #0
    mov x14, #0
    mov x15, #0
    mov x16, #0
    mov x17, #0
    mov x18, #0
    mov x19, #0
    mov x20, #0
    mov x21, #0
    mov x22, #0
    mov x23, #0
    mov x24, #0
    mov x25, #0
    mov x26, #0
    mov x27, #0
    mov x28, #0
    mov x29, #0
    mov x30, #0
    eret

    .section .note.GNU-stack, "", %progbits
