/*
 * The Unikfile: what to build and how to boot it (YAML, read with libyaml).
 * See README.md, "The Unikfile", for every field.
 */
#ifndef UNIKIT_UNIKFILE_H
#define UNIKIT_UNIKFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The most an image's program and files may come to (its cpio archive).
 * The kernel is linked in the top 2 GiB of the address space and maps
 * itself with the first GiB of RAM (kernel/arch/x86_64/boot.S, loaded at
 * 1 MiB; kernel/arch/aarch64/boot.S, loaded 2 MiB into RAM, where the
 * kernel.ld addresses end at the top of the address space 1022 MiB later).
 * The archive lies inside the kernel image, so it must fit there with the
 * kernel's own code and data; 1000 MiB leaves them 22 MiB.
 */
#define UNIKFILE_ARCHIVE_MAX (UINT64_C(1000) << 20)

/* unikfile_load_flags: take `files:` from anywhere on the host, not only the Unikfile's folder. */
#define UNIKFILE_ALLOW_OUTSIDE_CONTEXT 1u

struct unikfile_mapping {
    char *host;  /* path on the build machine, resolved against the Unikfile's folder */
    char *guest; /* absolute path inside the image */
};

struct unikfile {
    char *path; /* the Unikfile itself, as given */
    char *dir;  /* its folder */
    char *name; /* `name:`, else the folder's base name */

    char **sources; /* build.sources, resolved paths; NULL-terminated */
    size_t nsources;
    char *binary;  /* build.binary, resolved path; NULL when sources are given */
    char **cflags; /* build.cflags; NULL-terminated */
    size_t ncflags;

    char **cmd; /* NULL-terminated; default: { "/" + name } */
    size_t ncmd;
    char **env; /* "KEY=VALUE" strings; NULL-terminated */
    size_t nenv;
    struct unikfile_mapping *files;
    size_t nfiles;
    uint64_t files_bytes; /* the bytes files: copies (file contents and link targets) */
    uint64_t memory;      /* bytes; 0 when not given */
    char **ports;         /* "80", "53/udp"; NULL-terminated */
    size_t nports;
    char **volumes; /* `volumes:`, absolute guest paths, normalized; NULL-terminated */
    size_t nvolumes;
    char **arch; /* "x86_64", "aarch64"; NULL-terminated; default: the host's */
    size_t narch;
    char **syscalls; /* `syscalls:`, calls to keep beyond those found; NULL-terminated */
    size_t nsyscalls;
    size_t *syscall_line; /* each one's line, for errors naming a call no table has */
    bool specialize;      /* `specialize:`, default true */
    bool pack;            /* `pack:`, default true: the kernel's code stored compressed */
};

/*
 * Reads and checks a Unikfile. On error returns -1 and writes one line to
 * err: "PATH:LINE: field 'build.sources': what is wrong".
 */
int unikfile_load(const char *path, struct unikfile *uf, char *err, size_t errlen);
/*
 * The same, with flags: by default `files:` may copy only what lies inside
 * the Unikfile's folder (the build context), as docker build's COPY;
 * UNIKFILE_ALLOW_OUTSIDE_CONTEXT lifts that.
 */
int unikfile_load_flags(const char *path, unsigned flags, struct unikfile *uf, char *err,
                        size_t errlen);
/*
 * The same checks on text already in memory (len bytes), as if it had been
 * read from path: path names the file in errors and its folder is the build
 * context. The host fuzzer (tests/fuzz/fuzz_unikfile.c) drives this.
 */
int unikfile_load_text(const char *path, const char *text, size_t len, unsigned flags,
                       struct unikfile *uf, char *err, size_t errlen);
void unikfile_free(struct unikfile *uf);

/* "16M", "64m", "1G", "512K", "1048576" → bytes; -1 when malformed. */
int64_t unikfile_parse_size(const char *s);

#endif
