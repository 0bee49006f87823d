/*
 * The ELF loader: maps a static or static-PIE x86_64/aarch64 program
 * into the lower half and builds its initial stack as Linux's execve does.
 */
#ifndef UNIKIT_EXEC_H
#define UNIKIT_EXEC_H

#include "types.h"

/* Reads len bytes at off from the program file; returns bytes read or < 0. */
struct exec_source {
    long (*read)(void *ctx, void *buf, size_t len, uint64_t off);
    void *ctx;
    const char *path;
    /* Optional: the file, and its absolute name, that /proc/self/maps names
       for the segments' file-backed pages, as Linux does. */
    struct inode *ip;
    const char *map_name;
};

struct exec_image {
    uintptr_t entry; /* where the program starts (its _start) */
    uintptr_t base;  /* load bias: 0 for ET_EXEC */
    uintptr_t phdr;  /* program headers in memory, for AT_PHDR */
    size_t phnum;
    uintptr_t brk; /* end of the highest segment */
};

/* Maps the program; -ENOEXEC with a message printed when it is not runnable. */
int exec_load(const struct exec_source *src, struct exec_image *img);
/* Builds argv/envp/auxv on a fresh stack; returns the initial stack pointer. */
uintptr_t exec_build_stack(const struct exec_image *img, char *const argv[], char *const envp[],
                           const char *execfn);

#endif
