/*
 * PVH entry: QEMU (and other PVH loaders) jump here in 32-bit protected
 * mode, paging off, %ebx = physical address of struct hvm_start_info.
 * We build just enough page tables to reach long mode and the kernel's
 * linked address, unpack the rest of the kernel and call kmain(start_info).
 *
 * Boot page tables map the first 1 GiB three times with 2 MiB pages:
 * identity (to survive enabling paging), at PHYS_OFFSET (the direct map
 * that mm.h promises) and at KERNEL_VMA (where the kernel is linked).
 */
#include "x86.h"

#define PHYS(sym) ((sym) - KERNEL_VMA)
#define PTE_P     0x1
#define PTE_W     0x2
#define PTE_PS    0x80

    .section .note.Xen, "a"
    .balign 4
    .long 4                 /* name size: "Xen\0" */
    .long 8                 /* descriptor size: QEMU reads 8 bytes for ELF64 */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .quad PHYS(pvh_start)

    .section .boot.text, "ax"
    .code32
    .globl pvh_start
pvh_start:
    cli
    cld
    /* First thing: the cycle counter, for the boot-to-main benchmark. */
    rdtsc
    movl %eax, PHYS(arch_boot_cycles)
    movl %edx, PHYS(arch_boot_cycles) + 4
    movl %ebx, %esi
    movl $PHYS(boot_stack_top), %esp

    /* PD: 512 x 2 MiB pages covering [0, 1 GiB). */
    movl $PHYS(boot_pd), %edi
    movl $(PTE_P | PTE_W | PTE_PS), %eax
    movl $512, %ecx
1:  movl %eax, (%edi)
    movl $0, 4(%edi)
    addl $0x200000, %eax
    addl $8, %edi
    loop 1b

    /* PDPTs: low/direct slot 0, kernel slot 510 (-2 GiB). */
    movl $(PHYS(boot_pd) + PTE_P + PTE_W), %eax
    movl %eax, PHYS(boot_pdpt_low)
    movl %eax, PHYS(boot_pdpt_kernel) + 510 * 8

    /* PML4: [0] identity, [256] direct map, [511] kernel. */
    movl $(PHYS(boot_pdpt_low) + PTE_P + PTE_W), %eax
    movl %eax, PHYS(boot_pml4)
    movl %eax, PHYS(boot_pml4) + 256 * 8
    movl $(PHYS(boot_pdpt_kernel) + PTE_P + PTE_W), %eax
    movl %eax, PHYS(boot_pml4) + 511 * 8

    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $PHYS(boot_pml4), %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $(EFER_LME | EFER_NXE | EFER_SCE), %eax
    wrmsr
    movl %cr0, %eax
    orl $(CR0_PG | CR0_PE | CR0_WP), %eax
    movl %eax, %cr0

    lgdt PHYS(boot_gdt_ptr)
    ljmp $GDT_KERNEL_CS, $PHYS(long_mode_low)

    .code64
long_mode_low:
    movabsq $long_mode_high, %rax
    jmp *%rax

long_mode_high:
    movl $GDT_KERNEL_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    /* Reload the GDT through its linked address, then drop nothing yet:
       arch_paging_init() removes the identity map once kmain has copied
       what it needs from low memory. */
    movabsq $boot_gdt_ptr64, %rax
    lgdt (%rax)
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    movl %esi, %ebx                 /* start_info, past the C call */
    /* The rest of the kernel is packed (kernel/include/unpack.h). A
       damaged one ends the machine: a triple fault, which -no-reboot
       turns into QEMU's exit, rather than a hang. */
    call kernel_unpack
    testl %eax, %eax
    jnz boot_fail
    movl %ebx, %edi
    call kmain
1:  cli
    hlt
    jmp 1b

boot_fail:
    lidt boot_no_idt(%rip)
    int3

    .section .boot.data, "aw"
    .balign 16
    .globl boot_gdt
boot_gdt:
    .quad 0                         /* null */
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code, ring 0 */
    .quad 0x00cf92000000ffff        /* 0x10: data, ring 0 */
    .quad 0, 0                      /* 0x18: TSS, filled by trap_init() */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .long PHYS(boot_gdt)
    .balign 8
    .globl boot_gdt_ptr64
boot_gdt_ptr64:
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

boot_no_idt:
    .word 0
    .quad 0

    .globl arch_boot_cycles
    .balign 8
arch_boot_cycles:
    .quad 0

    .section .bss
    .balign 4096
    .globl boot_pml4
boot_pml4:          .skip 4096
    .globl boot_pdpt_low
boot_pdpt_low:      .skip 4096
boot_pdpt_kernel:   .skip 4096
boot_pd:            .skip 4096
    .balign 16
boot_stack:         .skip 16384
    .globl boot_stack_top
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
