/*
 * QEMU's floor: a PVH kernel whose first instruction powers the machine
 * off through isa-debug-exit. Booting it measures everything but unikit's
 * own kernel.
 */
    .section .note.Xen, "a"
    .balign 4
    .long 4, 8, 18
    .asciz "Xen"
    .balign 4
    .quad floor_entry

    .text
    .code32
    .globl floor_entry
floor_entry:
    movw $0xe9, %dx
    movb $'e', %al          /* "exit 0" on the control channel */
    outb %al, %dx
    movb $'x', %al
    outb %al, %dx
    movb $'i', %al
    outb %al, %dx
    movb $'t', %al
    outb %al, %dx
    movb $' ', %al
    outb %al, %dx
    movb $'0', %al
    outb %al, %dx
    movb $'\n', %al
    outb %al, %dx
    movw $0xf4, %dx
    xorl %eax, %eax
    outl %eax, %dx
1:  hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits
