/*
 * QEMU's floor on aarch64: a kernel whose first instructions write the
 * "exit 0" record and exit through semihosting, as unikit's kernel does.
 */
    .text
    .globl floor_entry
floor_entry:
    mov x0, #0x04           /* SYS_WRITE0 */
    adr x1, record
    hlt #0xf000
    mov x0, #0x18           /* SYS_EXIT */
    adr x1, exit_block
    hlt #0xf000
1:  wfi
    b 1b

    .balign 8
exit_block:
    .quad 0x20026, 0        /* ADP_Stopped_ApplicationExit, status 0 */
record:
    .asciz "exit 0\n"

    .section .note.GNU-stack, "", %progbits
