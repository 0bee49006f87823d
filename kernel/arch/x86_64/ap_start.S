/*
 * Where a secondary CPU starts: the startup IPI points it at a page below
 * 1 MiB (AP_BASE), in real mode. smp.c copies this code there and fills
 * ap_params; the code climbs through protected mode to long mode on a
 * page table that maps that page where it is and the kernel where it is
 * linked, then calls x86_ap_main(cpu_arch, cpu, kernel cr3) on the stack
 * it was given.
 */
#include "x86.h"

#define AP(sym) (AP_BASE + (sym) - ap_trampoline)

    .section .rodata
    .balign 16
    .globl ap_trampoline
    .code16
ap_trampoline:
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    lgdtl AP(ap_gdt_ptr)
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl $AP_GDT_CODE32, $AP(ap_protected)

    .code32
ap_protected:
    movl $GDT_KERNEL_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl AP(ap_page_table), %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $(EFER_LME | EFER_NXE | EFER_SCE), %eax
    wrmsr
    movl %cr0, %eax
    orl $(CR0_PG | CR0_WP), %eax
    movl %eax, %cr0
    ljmp $GDT_KERNEL_CS, $AP(ap_long)

    .code64
ap_long:
    movq AP(ap_stack), %rsp
    movq AP(ap_cpu_arch), %rdi
    movq AP(ap_cpu), %rsi
    movq AP(ap_kernel_cr3), %rdx
    movq AP(ap_entry), %rax
    xorl %ebp, %ebp
    pushq $0                    /* no return address: x86_ap_main never returns */
    jmp *%rax

    .balign 8
ap_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* GDT_KERNEL_CS: 64-bit code */
    .quad 0x00cf92000000ffff    /* GDT_KERNEL_DS: data */
    .quad 0x00cf9a000000ffff    /* AP_GDT_CODE32: 32-bit code */
ap_gdt_ptr:
    .word ap_gdt_ptr - ap_gdt - 1
    .long AP(ap_gdt)

    /* struct ap_params in smp.c */
    .balign 8
    .globl ap_params
ap_params:
ap_page_table:  .quad 0
ap_stack:       .quad 0
ap_cpu_arch:    .quad 0
ap_cpu:         .quad 0
ap_kernel_cr3:  .quad 0
ap_entry:       .quad 0
    .globl ap_trampoline_end
ap_trampoline_end:

    .section .note.GNU-stack, "", @progbits
