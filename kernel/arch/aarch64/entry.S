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
    VECTOR trap_entry       /* IRQ */
    VECTOR trap_entry       /* FIQ */
    VECTOR trap_entry       /* SError */
    VECTOR trap_entry       /* current EL, SPx: synchronous (the kernel) */
    VECTOR trap_entry
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

/*
 * arch_enter_program(entry, sp): the program's stack in SP_EL0, the
 * kernel's syscall stack in SP_EL1, and an exception return into EL1t
 * with a clean register file.
 */
    .globl arch_enter_program
arch_enter_program:
    msr sp_el0, x1
    msr elr_el1, x0
    mov x2, #SPSR_EL1T_MASKED
    msr spsr_el1, x2
    ldr x2, =syscall_stack_top
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

    .section .bss
    .balign 16
syscall_stack:
    .skip 32768
    .globl syscall_stack_top
syscall_stack_top:

    .section .note.GNU-stack, "", %progbits
