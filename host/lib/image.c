#include "image.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archivegz.h"
#include "cpio.h"
#include "elfcheck.h"
#include "kpack.h"
#include "spec.h"
#include "util.h"

struct toolchain {
    const char *arch;
    const char *musl_cc; /* musl-gcc wrapper for static programs */
    const char *as;      /* assembler for the blob object */
    const char *ld;
    const char *strip; /* drops the debug sections of a program unikit compiled */
};

static const struct toolchain toolchains[] = {
    {"x86_64", "musl-gcc", "as", "ld", "strip"},
    {"aarch64", "aarch64-linux-musl-gcc", "aarch64-linux-gnu-as", "aarch64-linux-gnu-ld",
     "aarch64-linux-gnu-strip"},
};

static const struct toolchain *toolchain_for(const char *arch)
{
    for (size_t i = 0; i < sizeof(toolchains) / sizeof(toolchains[0]); i++)
        if (strcmp(toolchains[i].arch, arch) == 0)
            return &toolchains[i];
    return NULL;
}

const char *image_musl_compiler(const char *arch)
{
    const struct toolchain *tc = toolchain_for(arch);
    return tc ? tc->musl_cc : NULL;
}

/* UNIKIT_KEEP_SYMBOLS=1: the image keeps its kernel's symbols (and the program its debug sections),
 * for nm and gdb. */
static bool keep_symbols(void)
{
    const char *v = getenv("UNIKIT_KEEP_SYMBOLS");
    return v && strcmp(v, "1") == 0;
}

static int need_tool(const char *tool, char *err, size_t errlen)
{
    if (program_exists(tool))
        return 0;
    snprintf(err, errlen, "%s not found; run scripts/deps.sh (or make deps) to install it", tool);
    return -1;
}

static int compile_program(const struct unikfile *uf, const struct toolchain *tc, const char *out,
                           char *err, size_t errlen)
{
    if (need_tool(tc->musl_cc, err, errlen) < 0)
        return -1;
    struct strvec argv = {0};
    strvec_push(&argv, tc->musl_cc);
    strvec_push(&argv, "-static");
    /* The kernel's loader copies segments into 4 KiB pages: without these,
       aarch64's linker pads the file to 64 KiB pages (46 kB of zeros in
       hello) and both put code on pages of its own. The Unikfile's cflags
       come after, so they can say otherwise. */
    strvec_push(&argv, "-Wl,-z,max-page-size=4096");
    strvec_push(&argv, "-Wl,-z,noseparate-code");
    for (size_t i = 0; i < uf->ncflags; i++)
        strvec_push(&argv, uf->cflags[i]);
    strvec_push(&argv, "-o");
    strvec_push(&argv, out);
    for (size_t i = 0; i < uf->nsources; i++)
        strvec_push(&argv, uf->sources[i]);
    char detail[512] = "";
    int rc = run_program(argv.v, false, detail, sizeof(detail));
    strvec_free(&argv);
    if (rc != 0) {
        snprintf(err, errlen, "%s: compiling build.sources failed (%s)", uf->path, detail);
        return -1;
    }
    return 0;
}

/* A program unikit compiled goes into the image without its debug sections
   and .comment, which nothing in the guest reads; its symbol table stays,
   for the kernel's fault reports (`<main+0x12>`). UNIKIT_KEEP_SYMBOLS=1
   keeps everything, for gdb. A prebuilt build.binary is never changed. */
static int strip_debug(const struct toolchain *tc, const char *program, char *err, size_t errlen)
{
    if (keep_symbols())
        return 0;
    if (need_tool(tc->strip, err, errlen) < 0)
        return -1;
    char *argv[] = {(char *)tc->strip, "--strip-debug", "-R", ".comment", (char *)program, NULL};
    return run_program(argv, true, err, errlen) == 0 ? 0 : -1;
}

/* root, and Debian's nobody/nogroup for a server that drops privileges. */
static const char etc_passwd[] = "root:x:0:0:root:/:/bin/sh\n"
                                 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char etc_group[] = "root:x:0:\nnogroup:x:65534:\n";
static const char etc_hosts[] = "127.0.0.1\tlocalhost\n::1\tlocalhost\n";
/* musl's resolver asks QEMU's user network, whose DNS proxy is at 10.0.2.3. */
static const char etc_resolv[] = "nameserver 10.0.2.3\n";

/* The files the builder writes unless the image brings its own. */
static const struct {
    const char *path, *text;
} etc_files[] = {
    {"/etc/passwd", etc_passwd},
    {"/etc/group", etc_group},
    {"/etc/hosts", etc_hosts},
    {"/etc/resolv.conf", etc_resolv},
};

/* A `files:` entry: a folder goes in recursively, a file as itself. */
static int add_mapping(struct cpio_writer *w, const struct unikfile_mapping *m)
{
    struct stat st;
    if (stat(m->host, &st) == 0 && S_ISDIR(st.st_mode))
        return cpio_add_host_tree(w, m->guest, m->host);
    return cpio_add_host_file(w, m->guest, m->host);
}

/* The program at cmd[0], the Unikfile's files, and a minimal /etc where they have none. */
static int write_files(const struct unikfile *uf, const char *program, const char *cpio_path,
                       char *err, size_t errlen)
{
    FILE *out = fopen(cpio_path, "wb");
    if (!out) {
        snprintf(err, errlen, "%s: %s", cpio_path, strerror(errno));
        return -1;
    }
    struct cpio_writer *w = cpio_writer_new(out);
    int rc = cpio_add_host_file(w, uf->cmd[0], program);
    for (size_t i = 0; !rc && i < uf->nfiles; i++)
        rc = add_mapping(w, &uf->files[i]);
    /* Last, so that an image's own /etc/passwd (from files:) replaces the builder's. */
    for (size_t i = 0; !rc && i < sizeof(etc_files) / sizeof(etc_files[0]); i++)
        if (!cpio_contains(w, etc_files[i].path))
            rc = cpio_add_data(w, etc_files[i].path, 0644, etc_files[i].text,
                               strlen(etc_files[i].text));
    if (rc)
        snprintf(err, errlen, "%s: %s", uf->path, cpio_error(w));
    if (cpio_finish(w) < 0 && !rc) {
        snprintf(err, errlen, "%s: %s", cpio_path, strerror(errno));
        rc = -1;
    }
    if (fclose(out) != 0 && !rc) {
        snprintf(err, errlen, "%s: %s", cpio_path, strerror(errno));
        rc = -1;
    }
    return rc ? -1 : 0;
}

/*
 * The archive lies inside the kernel image, which the linker and the boot
 * page tables bound (UNIKFILE_ARCHIVE_MAX): one too large is refused here,
 * not after minutes in the linker ending in "relocation truncated".
 */
static int check_archive_size(const struct unikfile *uf, uint64_t bytes, char *err, size_t errlen)
{
    if (bytes <= UNIKFILE_ARCHIVE_MAX)
        return 0;
    snprintf(err, errlen,
             "%s: field 'files': the program and files come to %" PRIu64
             " MiB, more than an image holds: %" PRIu64 " MiB",
             uf->path, (bytes + (1u << 20) - 1) >> 20, UNIKFILE_ARCHIVE_MAX >> 20);
    return -1;
}

/* Before the archive is written: the program's size and what the Unikfile's files: counted. */
static int check_sizes_before(const struct unikfile *uf, const char *program, char *err,
                              size_t errlen)
{
    struct stat st;
    uint64_t program_bytes = stat(program, &st) == 0 ? (uint64_t)st.st_size : 0;
    return check_archive_size(uf, program_bytes + uf->files_bytes, err, errlen);
}

/* After: the archive as written, headers and all. */
static int check_sizes_after(const struct unikfile *uf, const char *cpio_path, char *err,
                             size_t errlen)
{
    struct stat st;
    if (stat(cpio_path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", cpio_path, strerror(errno));
        return -1;
    }
    return check_archive_size(uf, (uint64_t)st.st_size, err, errlen);
}

/* The boot config section: "UNIKIT1\0" then "arg=…\0" and "env=…\0" records. */
static int write_config(const struct unikfile *uf, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    fwrite("UNIKIT1", 1, 8, f);
    for (size_t i = 0; i < uf->ncmd; i++)
        fprintf(f, "arg=%s%c", uf->cmd[i], 0);
    for (size_t i = 0; i < uf->nenv; i++)
        fprintf(f, "env=%s%c", uf->env[i], 0);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The config and files sections, and the system-call table (full when spec is NULL). */
static int assemble_blobs(const struct toolchain *tc, const char *workdir, const char *name,
                          const struct spec_table *t, const struct spec *spec, char *err,
                          size_t errlen)
{
    char *src = xasprintf("%s/%s.S", workdir, name);
    char *obj = xasprintf("%s/%s.o", workdir, name);
    FILE *f = fopen(src, "w");
    int rc = -1;
    if (!f) {
        snprintf(err, errlen, "%s: %s", src, strerror(errno));
        goto out;
    }
    fprintf(f, "\t.section .unikit.config, \"a\"\n\t.incbin \"%s/config.bin\"\n", workdir);
    fprintf(f, "\t.section .unikit.files, \"a\"\n\t.incbin \"%s/files.cpio\"\n", workdir);
    spec_write_table(f, t, spec);
    if (spec)
        spec_write_record(f, spec);
    fprintf(f, "\t.section .note.GNU-stack, \"\", %%progbits\n");
    fclose(f);
    char *argv[] = {(char *)tc->as, "-o", obj, src, NULL};
    rc = run_program(argv, true, err, errlen) == 0 ? 0 : -1;
out:
    free(src);
    free(obj);
    return rc;
}

/* Functions whose presence means the program uses sockets: the C
   libraries' (a static program links only those it calls), and the Go
   runtime's (its syscall and net packages). Not socketpair: its AF_UNIX
   sockets are the kernel's own (kernel/core/unix.c), no network needed. */
static const char *const socket_symbols[] = {
    "socket",        "connect",    "bind",           "accept",         "accept4", "getaddrinfo",
    "gethostbyname", "net.socket", "syscall.socket", "syscall.Socket", NULL};

static bool is_socket_symbol(const char *name)
{
    for (size_t i = 0; socket_symbols[i]; i++)
        if (strcmp(name, socket_symbols[i]) == 0)
            return true;
    return false;
}

static bool symtab_has_socket(FILE *f, const Elf64_Shdr *symtab, const Elf64_Shdr *strtab)
{
    char *names = malloc(strtab->sh_size + 1);
    Elf64_Sym *syms = malloc(symtab->sh_size);
    bool found = false;
    if (names && syms && fseek(f, (long)strtab->sh_offset, SEEK_SET) == 0 &&
        fread(names, 1, strtab->sh_size, f) == strtab->sh_size &&
        fseek(f, (long)symtab->sh_offset, SEEK_SET) == 0 &&
        fread(syms, 1, symtab->sh_size, f) == symtab->sh_size) {
        names[strtab->sh_size] = 0;
        for (size_t i = 0; i < symtab->sh_size / sizeof(*syms) && !found; i++)
            found = syms[i].st_name < strtab->sh_size && syms[i].st_shndx != SHN_UNDEF &&
                    is_socket_symbol(names + syms[i].st_name);
    }
    free(names);
    free(syms);
    return found;
}

/* Searches the program's ELF64 symbol table for socket functions. A program
   without one (stripped) is assumed to need the network: it may. */
static bool program_uses_sockets(const char *path)
{
    FILE *f = fopen(path, "rb");
    Elf64_Ehdr eh;
    bool uses = true, found_symtab = false;
    if (!f || fread(&eh, sizeof(eh), 1, f) != 1 || eh.e_shentsize != sizeof(Elf64_Shdr))
        goto out;
    Elf64_Shdr *sh = calloc(eh.e_shnum, sizeof(*sh));
    if (!sh || fseek(f, (long)eh.e_shoff, SEEK_SET) != 0 ||
        fread(sh, sizeof(*sh), eh.e_shnum, f) != eh.e_shnum) {
        free(sh);
        goto out;
    }
    for (size_t i = 0; i < eh.e_shnum && !found_symtab; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh.e_shnum)
            continue;
        found_symtab = true;
        uses = symtab_has_socket(f, &sh[i], &sh[sh[i].sh_link]);
    }
    free(sh);
out:
    if (f)
        fclose(f);
    return uses || !found_symtab;
}

enum {
    LINK_NET = 1,     /* with net.o */
    LINK_SYMBOLS = 2, /* symbols kept: for gdb, and for the explanation's sizes */
    LINK_PACK = 4,    /* the kernel's code compressed (host/lib/kpack.h) */
};

/* How spec says the image itself is linked. */
static unsigned image_link_flags(const struct spec *spec)
{
    unsigned how = spec->net ? LINK_NET : 0;
    if (keep_symbols())
        return how | LINK_SYMBOLS; /* nm, objdump and gdb read the code from the file */
    return how | (spec->unpacked ? 0 : LINK_PACK);
}

/* Links kernel.o with the blobs object `blobs`, as `how` says. */
static int link_image(const struct toolchain *tc, const char *arch, const char *workdir,
                      const char *blobs_name, const char *out, unsigned how, char *err,
                      size_t errlen)
{
    char *libdir = unikit_libdir();
    char *script = xasprintf("%s/%s/kernel.ld", libdir, arch);
    char *kernel = xasprintf("%s/%s/kernel.o", libdir, arch);
    /* The network stack goes in only for programs that use sockets. */
    char *netobj = xasprintf("%s/%s/net.o", libdir, arch);
    char *blobs = xasprintf("%s/%s.o", workdir, blobs_name);
    int rc = -1;
    FILE *probe = fopen(kernel, "rb");
    if (!probe) {
        snprintf(err, errlen, "%s: %s (build unikit with `make` first)", kernel, strerror(errno));
        goto out;
    }
    fclose(probe);
    /* -s: an image carries no symbols of its own; the program keeps its.
       -n: segments are not padded to page boundaries in the file (QEMU
       loads them by their addresses), which saves up to 4 KiB each. */
    char *argv[] = {(char *)tc->ld,
                    "-T",
                    script,
                    "--gc-sections",
                    "-nostdlib",
                    how & LINK_SYMBOLS ? "-X" : "-s",
                    "-n",
                    "-z",
                    "max-page-size=4096",
                    "-z",
                    "noexecstack",
                    "-o",
                    (char *)out,
                    kernel,
                    blobs,
                    how & LINK_NET ? netobj : NULL,
                    NULL};
    rc = run_program(argv, true, err, errlen) == 0 ? 0 : -1;
    if (rc == 0 && (how & LINK_PACK))
        rc = kernel_pack(out, err, errlen);
out:
    free(libdir);
    free(script);
    free(kernel);
    free(netobj);
    free(blobs);
    return rc;
}

/* The image, specialised as spec says, and the explanation of what went in. */
static int link_specialised(const struct toolchain *tc, const char *arch, const char *workdir,
                            const struct spec_table *t, const struct spec *spec,
                            const char *out_path, char **explain, char *err, size_t errlen)
{
    char *linked = xasprintf("%s/linked.elf", workdir);
    char *full = xasprintf("%s/full.elf", workdir);
    unsigned sized = (spec->net ? LINK_NET : 0) | LINK_SYMBOLS;
    int rc = -1;
    if (assemble_blobs(tc, workdir, "blobs", t, spec, err, errlen) < 0 ||
        link_image(tc, arch, workdir, "blobs", out_path, image_link_flags(spec), err, errlen) < 0 ||
        link_image(tc, arch, workdir, "blobs", linked, sized, err, errlen) < 0)
        goto out;
    if (spec->specialized &&
        (assemble_blobs(tc, workdir, "blobs-full", t, NULL, err, errlen) < 0 ||
         link_image(tc, arch, workdir, "blobs-full", full, sized, err, errlen) < 0))
        goto out;
    *explain = spec_explain(spec, t, arch, linked, spec->specialized ? full : NULL, out_path);
    rc = 0;
out:
    free(linked);
    free(full);
    return rc;
}

int image_build(const struct unikfile *uf, const char *arch, const char *workdir,
                const char *out_path, bool *net, char **explain, char *err, size_t errlen)
{
    const struct toolchain *tc = toolchain_for(arch);
    if (!tc) {
        snprintf(err, errlen, "%s: field 'arch': unsupported architecture '%s'", uf->path, arch);
        return -1;
    }
    if (need_tool(tc->as, err, errlen) < 0 || need_tool(tc->ld, err, errlen) < 0)
        return -1;
    char *program = uf->binary ? xstrdup(uf->binary) : xasprintf("%s/program", workdir);
    char *cpio_path = xasprintf("%s/files.cpio", workdir);
    char *config_path = xasprintf("%s/config.bin", workdir);
    char elf_err[512];
    struct spec_table table = {0};
    struct spec *spec = NULL;
    int rc = -1;

    *explain = NULL;
    if (!uf->binary && compile_program(uf, tc, program, err, errlen) < 0)
        goto out;
    if (elf_check_program(program, arch, elf_err, sizeof(elf_err)) < 0) {
        snprintf(err, errlen, "%s", elf_err);
        goto out;
    }
    *net = program_uses_sockets(program);
    if (spec_table_load(arch, &table, err, errlen) < 0)
        goto out;
    spec = xcalloc(1, sizeof(*spec));
    if (spec_decide(uf, program, arch, &table, spec, err, errlen) < 0)
        goto out;
    spec->net = *net;
    if ((!uf->binary && strip_debug(tc, program, err, errlen) < 0) ||
        check_sizes_before(uf, program, err, errlen) < 0 ||
        write_files(uf, program, cpio_path, err, errlen) < 0 ||
        check_sizes_after(uf, cpio_path, err, errlen) < 0 ||
        archive_gzip(cpio_path, err, errlen) < 0 ||
        write_config(uf, config_path, err, errlen) < 0 ||
        link_specialised(tc, arch, workdir, &table, spec, out_path, explain, err, errlen) < 0)
        goto out;
    rc = 0;
out:
    spec_table_free(&table);
    free(spec);
    free(program);
    free(cpio_path);
    free(config_path);
    return rc;
}

int image_link(const char *arch, const char *workdir, const struct spec_table *t,
               const struct spec *spec, const char *out, char *err, size_t errlen)
{
    const struct toolchain *tc = toolchain_for(arch);
    if (!tc)
        return errorf(err, errlen, "unsupported architecture '%s'", arch);
    if (need_tool(tc->as, err, errlen) < 0 || need_tool(tc->ld, err, errlen) < 0 ||
        assemble_blobs(tc, workdir, "blobs", t, spec, err, errlen) < 0)
        return -1;
    return link_image(tc, arch, workdir, "blobs", out, image_link_flags(spec), err, errlen);
}
