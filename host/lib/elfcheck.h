/*
 * Checks that a file is a program unikit can run: a static (or static-PIE)
 * 64-bit Linux ELF executable for the wanted architecture.
 */
#ifndef UNIKIT_ELFCHECK_H
#define UNIKIT_ELFCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_info {
    const char *arch; /* "x86_64", "aarch64", or NULL for others */
    unsigned machine; /* e_machine */
    bool is_pie;      /* ET_DYN */
    bool has_interp;  /* PT_INTERP present: a dynamic program */
    bool has_needed;  /* DT_NEEDED present: wants shared libraries */
    bool has_symbols; /* has a .symtab */
    uint64_t entry;
    uint64_t load_end; /* the highest p_paddr + p_memsz of a PT_LOAD segment */
};

/* Reads path's ELF headers; -1 with one line in err when it is not a 64-bit ELF. */
int elf_inspect(const char *path, struct elf_info *info, char *err, size_t errlen);
/*
 * -1 with one line in err ("PATH: dynamically linked (interpreter /lib/ld…);
 * build it with -static") unless path is a static executable for arch.
 * A NULL arch accepts either supported architecture.
 */
int elf_check_program(const char *path, const char *arch, char *err, size_t errlen);

/*
 * Where the section name lies in path: its file offset and size. 0; 1 when
 * there is no such section; -1 with err for a file that is not a good ELF.
 */
int elf_find_section(const char *path, const char *name, uint64_t *off, uint64_t *size, char *err,
                     size_t errlen);

/*
 * The bytes of the section name of path, in a new buffer *data (the
 * caller frees it) of *len bytes: 0; 1 when there is no such section; -1
 * with err for a file that is not a good ELF.
 */
int elf_read_section(const char *path, const char *name, unsigned char **data, size_t *len,
                     char *err, size_t errlen);

/*
 * Where the loader puts the section name of path in the guest's physical
 * memory (from the PT_LOAD segment that holds it), and its size: 0; 1
 * when there is no such loaded section; -1 with err for a bad ELF.
 */
int elf_section_paddr(const char *path, const char *name, uint64_t *paddr, uint64_t *size,
                      char *err, size_t errlen);

#endif
