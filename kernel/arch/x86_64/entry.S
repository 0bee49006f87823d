/*
 * Ways into the kernel after boot: CPU exceptions, interrupts and the `syscall`
 * instruction. The program runs in ring 0 too, so neither switches
 * privilege; all switch stacks so that the program's red zone (128 bytes
 * below its %rsp, which the ABI lets it use without moving %rsp) is never
 * overwritten.
 */
#include "x86.h"

/* The general registers, in struct arch_regs order (the last pushed first). */
.macro SAVE_REGS
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
.endm

/* ---- exceptions ------------------------------------------------------------
 * Every vector enters through IST1 (a dedicated stack, see trap_init), with
 * an error code slot pushed where the CPU did not push one. */
.macro TRAP_NOERR n
    .balign 16
trap_\n:
    pushq $0
    pushq $\n
    jmp trap_common
.endm
.macro TRAP_ERR n
    .balign 16
trap_\n:
    pushq $\n
    jmp trap_common
.endm

    .text
TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR   8
TRAP_NOERR 9
TRAP_ERR   10
TRAP_ERR   11
TRAP_ERR   12
TRAP_ERR   13
TRAP_ERR   14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR   17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR   21
TRAP_NOERR 22
TRAP_NOERR 23
TRAP_NOERR 24
TRAP_NOERR 25
TRAP_NOERR 26
TRAP_NOERR 27
TRAP_NOERR 28
TRAP_ERR   29
TRAP_ERR   30
TRAP_NOERR 31

trap_common:
    SAVE_REGS
    movq %rsp, %rdi
    call trap_dispatch
    jmp restore_regs

    .section .rodata
    .balign 8
    .globl trap_stubs
trap_stubs:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad trap_\n
    .endr

/* ---- interrupts ------------------------------------------------------------
 * Vectors 32-63 and the spurious vector 255, on IST3: an interrupt may land
 * while the program runs on its own stack, whose red zone must survive.
 * x86_irq() returns nonzero when the interrupted program should give up
 * the CPU: the frame then moves to the top of the thread's kernel stack,
 * where a switch away and back can keep it, and leaves from there. */
.macro IRQ n
    .balign 16
irq_\n:
    pushq $0
    pushq $\n
    jmp irq_common
.endm
    .text
    .irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,255
    IRQ \n
    .endr

irq_common:
    SAVE_REGS
    movq %rsp, %rdi
    call x86_irq
    testl %eax, %eax
    jz restore_regs
    movq %rsp, %rsi
    movq %gs:PERCPU_KSTACK_TOP, %rdi
    subq $REGS_SIZE, %rdi
    movq %rdi, %rdx
    movl $(REGS_SIZE / 8), %ecx
    rep movsq
    movq %rdx, %rsp
    movq %rsp, %rdi
    call x86_preempt
    jmp restore_regs

    .section .rodata
    .balign 8
    .globl irq_stubs
irq_stubs:
    .irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
    .quad irq_\n
    .endr
    .globl irq_spurious_stub
irq_spurious_stub:
    .quad irq_255

/* ---- system calls ----------------------------------------------------------
 * `syscall` leaves the return address in %rcx and the flags in %r11, and
 * clears IF, DF, TF and AC (MSR_FMASK). The whole register file is saved
 * as struct arch_regs at the top of the thread's kernel stack, the same
 * frame an interrupt leaves, so that clone can copy it and a signal frame
 * can hold it; every way back to the program restores it with iretq. */
    .text
    .globl syscall_entry
syscall_entry:
    movq %rsp, %gs:PERCPU_USER_RSP
    movq %gs:PERCPU_KSTACK_TOP, %rsp
    pushq $GDT_KERNEL_DS        /* ss */
    pushq %gs:PERCPU_USER_RSP   /* rsp */
    pushq %r11                  /* rflags */
    pushq $GDT_KERNEL_CS        /* cs */
    pushq %rcx                  /* rip */
    pushq $0                    /* error */
    pushq $-1                   /* vector: none, a system call */
    SAVE_REGS
    movq %rsp, %rdi
    call x86_syscall
restore_regs:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    iretq

/* arch_return_to_program(): the frame at the top of this thread's kernel stack. */
    .globl arch_return_to_program
arch_return_to_program:
    movq %gs:PERCPU_KSTACK_TOP, %rsp
    subq $REGS_SIZE, %rsp
    jmp restore_regs

/* arch_switch(save_sp, next_sp): callee-saved registers on the stack, the
 * stack pointer in *save_sp; then the same, reversed, from next_sp. */
    .globl arch_switch
arch_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* Where a fresh kernel stack (arch_kstack_init) first returns to. */
    .globl kstack_trampoline
kstack_trampoline:
    movq %r12, %rdi
    call *%r13
    ud2

/* arch_wait(): halts until an interrupt. x86_irq() sends an interrupt that
 * woke it back to x86_wait_woken with interrupts masked: one per wait, so
 * the idle loop runs between any two however fast they come. */
    .globl arch_wait
arch_wait:
    sti
    hlt
    .globl x86_wait_woken
x86_wait_woken:
    cli
    ret

/* arch_enter_program(entry, sp): a clean start as execve would leave it. */
    .globl arch_enter_program
arch_enter_program:
    movq %rsi, %rsp
    movq %rdi, %rcx
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %edx, %edx     /* no atexit function for the program to register */
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    /* Interrupts on: the timer may preempt the program. */
    pushq $0x202
    popfq
    jmp *%rcx

    .section .note.GNU-stack, "", @progbits
