/*
 * Which system calls a static program can make, from its machine code:
 * every `syscall` (x86_64) or `svc` (aarch64) site, and the numbers that can
 * reach its number register (rax, x8) there. A number that comes in as an
 * argument (musl's syscall() and __syscall_cp, Go's syscall.Syscall) is
 * followed to each caller, through register copies and wrappers of
 * wrappers. A number loaded from memory or computed leaves the set
 * unbounded: the caller must then keep every call.
 */
#ifndef UNIKIT_SYSCAN_H
#define UNIKIT_SYSCAN_H

#include <stdbool.h>
#include <stddef.h>

#define SYSCAN_MAX_NR 1024

struct syscan_result {
    bool nr[SYSCAN_MAX_NR]; /* numbers found */
    bool complete;          /* false: some site's number could not be bounded */
    char why[512];          /* when not complete: the first such site, in words */
    size_t sites;           /* syscall instructions seen */
};

/* Disassembles program (objdump) for arch ("x86_64", "aarch64"). -1 with
   err when the program could not be read at all. */
int syscan_program(const char *program, const char *arch, struct syscan_result *out, char *err,
                   size_t errlen);

#endif
