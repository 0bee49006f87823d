/*
 * Ways into the kernel after boot: CPU exceptions and the `syscall`
 * instruction. The program runs in ring 0 too, so neither switches
 * privilege; both switch stacks so that the program's red zone (128 bytes
 * below its %rsp, which the ABI lets it use without moving %rsp) is never
 * overwritten.
 */
#include "x86.h"

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
    movq %rsp, %rdi
    call trap_dispatch
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

    .section .rodata
    .balign 8
    .globl trap_stubs
trap_stubs:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad trap_\n
    .endr

/* ---- system calls ----------------------------------------------------------
 * `syscall` leaves the return address in %rcx and the flags in %r11, and
 * clears IF, DF, TF and AC (MSR_FMASK). Linux preserves every register but
 * %rax, %rcx and %r11; C code may clobber %rdi %rsi %rdx %r8-%r10, so
 * those are saved. The frame is struct syscall_args { nr, a[6] }. */
    .text
    .globl syscall_entry
syscall_entry:
    movq %rsp, %gs:PERCPU_USER_RSP
    movq %gs:PERCPU_KSTACK_TOP, %rsp
    pushq %rcx
    pushq %r11
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %r8
    pushq %r9
    pushq %r10
    subq $8, %rsp       /* keeps %rsp 16-byte aligned at the call */
    /* struct syscall_args, lowest address first */
    pushq %r9
    pushq %r8
    pushq %r10
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rax
    movq %rsp, %rdi
    call syscall_dispatch
    addq $64, %rsp
    popq %r10
    popq %r9
    popq %r8
    popq %rdx
    popq %rsi
    popq %rdi
    popq %r11
    popq %rcx
    /* Restore the flags here, on the kernel stack, not below the red zone. */
    pushq %r11
    popfq
    movq %gs:PERCPU_USER_RSP, %rsp
    jmp *%rcx

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
    /* Interrupts stay off until the kernel has a device that needs them. */
    pushq $0x2
    popfq
    jmp *%rcx

    .section .note.GNU-stack, "", @progbits
