/*
 * Specialisation: the image's own system-call table, from the calls its
 * program can make (syscan.h) and the Unikfile's `syscalls:`, so that the
 * linker's --gc-sections drops every handler, and the subsystems behind
 * them, that the program cannot reach; and the explanation of what went in
 * (`unikit inspect --explain`).
 */
#ifndef UNIKIT_SPEC_H
#define UNIKIT_SPEC_H

#include <stdbool.h>
#include <stdio.h>

#include "syscan.h"
#include "unikfile.h"

/* lib/unikit/ARCH/syscalls.tbl: Linux's numbers and names for ARCH. */
struct spec_table {
    size_t n;
    int *nr;
    char **name;
    int max;
};

struct spec {
    bool specialized;          /* false: every call the kernel implements */
    bool complete;             /* the analysis bounded the program's calls */
    char why[700];             /* why not specialised, when not */
    bool in[SYSCAN_MAX_NR];    /* the calls the table keeps (when specialised) */
    bool added[SYSCAN_MAX_NR]; /* of those, the ones only `syscalls:` asked for */
    bool smp;                  /* the program can run threads on several CPUs */
    bool volumes;              /* the 9P client is linked: declared volumes, or not specialised */
    bool net;                  /* the network object is linked (set by image.c) */
    bool unpacked;             /* the Unikfile says pack: false */
};

int spec_table_load(const char *arch, struct spec_table *t, char *err, size_t errlen);
void spec_table_free(struct spec_table *t);
/* The number of name in t, or -1. */
int spec_table_find(const struct spec_table *t, const char *name);

/* Decides the set for program on arch. -1 with err (a `syscalls:` name no
   architecture has, a program objdump cannot read). */
int spec_decide(const struct unikfile *uf, const char *program, const char *arch,
                const struct spec_table *t, struct spec *s, char *err, size_t errlen);

/* Writes the table (assembly) to f: syscall_fns, smp_start_hook and
   volume_mount_hook; with s NULL, the full one. */
void spec_write_table(FILE *f, const struct spec_table *t, const struct spec *s);

/* The image's record of s (assembly, a section `.unikit.spec` that is not
   loaded): what `unikit run -v` needs to link the same kernel again with
   volume support (image_relink_volumes). */
void spec_write_record(FILE *f, const struct spec *s);
/* Reads a record back (the section's bytes): 0, or -1 when it is not one. */
int spec_read_record(const unsigned char *data, size_t len, struct spec *s);

/* The explanation as JSON text (a new string): s, the sizes of each
   subsystem in linked (the image, with symbols) and full (the same,
   unspecialised; NULL when s is not specialised), and how image (the one
   stored) packs its kernel. */
char *spec_explain(const struct spec *s, const struct spec_table *t, const char *arch,
                   const char *linked, const char *full, const char *image);

/* One line for `unikit build`, from spec_explain's JSON: what it saved. */
void spec_summary(const char *explain_json, char *buf, size_t len);
/* Prints the explanation for `unikit inspect --explain`. */
void spec_print_explain(FILE *out, const char *arch, const char *explain_json);

#endif
