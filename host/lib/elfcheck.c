/*
 * Reads only the ELF headers a check needs, with pread at offsets checked
 * against the file size: any file, however cut or corrupt, gives a one-line
 * error rather than a read past the end.
 */
#include "elfcheck.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util.h"

#define NAME_MAX_LEN 256

struct elf_file {
    const char *path;
    int fd;
    uint64_t size;
    char *err;
    size_t errlen;
    Elf64_Ehdr eh;
    Elf64_Phdr *phdrs;
    size_t phnum;
};

/* What elf_inspect learns, plus what the error messages of elf_check_program name. */
struct elf_details {
    struct elf_info info;
    unsigned type;
    unsigned osabi;
    char interp[NAME_MAX_LEN];
    char needed[NAME_MAX_LEN]; /* the first DT_NEEDED, "" if it cannot be read */
};

static int malformed(struct elf_file *f, const char *what)
{
    return errorf(f->err, f->errlen, "%s: truncated or malformed ELF file (%s)", f->path, what);
}

/* ---- bounded reads ------------------------------------------------------------- */

static bool in_file(const struct elf_file *f, uint64_t off, uint64_t len)
{
    return off <= f->size && len <= f->size - off;
}

static int read_exact(struct elf_file *f, uint64_t off, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t got = pread(f->fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return errorf(f->err, f->errlen, "%s: %s", f->path, strerror(errno));
        if (got == 0)
            return malformed(f, "the file ended while it was read");
        done += (size_t)got;
    }
    return 0;
}

/* Reads len bytes at off into a new buffer; what names the part for the error. */
static void *read_table(struct elf_file *f, uint64_t off, uint64_t len, const char *what)
{
    if (!in_file(f, off, len)) {
        malformed(f, what);
        return NULL;
    }
    void *buf = malloc(len ? len : 1);
    if (!buf) {
        errorf(f->err, f->errlen, "%s: %s", f->path, strerror(errno));
        return NULL;
    }
    if (read_exact(f, off, buf, len) < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Copies the NUL-terminated string at off (at most cap-1 bytes, not past limit) into out. */
static void read_string(struct elf_file *f, uint64_t off, uint64_t limit, char *out, size_t cap)
{
    out[0] = '\0';
    if (limit > f->size)
        limit = f->size;
    if (off >= limit)
        return;
    size_t len = limit - off < cap - 1 ? (size_t)(limit - off) : cap - 1;
    if (read_exact(f, off, out, len) < 0) {
        out[0] = '\0';
        return;
    }
    out[len] = '\0';
}

/* ---- the ELF header ---------------------------------------------------------------- */

static int check_ident(struct elf_file *f)
{
    unsigned char ident[EI_NIDENT] = {0};
    size_t len = f->size < EI_NIDENT ? (size_t)f->size : EI_NIDENT;
    if (read_exact(f, 0, ident, len) < 0)
        return -1;
    if (len < SELFMAG || memcmp(ident, ELFMAG, SELFMAG) != 0)
        return errorf(f->err, f->errlen, "%s: not an ELF file", f->path);
    if (ident[EI_CLASS] == ELFCLASS32)
        return errorf(f->err, f->errlen, "%s: 32-bit ELF; unikit runs 64-bit programs", f->path);
    if (ident[EI_CLASS] != ELFCLASS64)
        return malformed(f, "unknown ELF class");
    /* Both supported architectures are little-endian, so only that byte order is parsed. */
    if (ident[EI_DATA] != ELFDATA2LSB)
        return errorf(f->err, f->errlen, "%s: big-endian ELF; unikit runs little-endian programs",
                      f->path);
    return 0;
}

static int read_ehdr(struct elf_file *f)
{
    if (check_ident(f) < 0)
        return -1;
    if (!in_file(f, 0, sizeof f->eh))
        return malformed(f, "the ELF header is cut short");
    return read_exact(f, 0, &f->eh, sizeof f->eh);
}

/* Section 0 holds the real counts when they overflow the ELF header's 16-bit fields. */
static int read_section0(struct elf_file *f, Elf64_Shdr *sh0)
{
    if (f->eh.e_shoff == 0 || f->eh.e_shentsize != sizeof *sh0)
        return malformed(f, "section header table missing or of the wrong size");
    if (!in_file(f, f->eh.e_shoff, sizeof *sh0))
        return malformed(f, "section headers past the end of the file");
    return read_exact(f, f->eh.e_shoff, sh0, sizeof *sh0);
}

static int read_phdrs(struct elf_file *f)
{
    f->phnum = f->eh.e_phnum;
    if (f->eh.e_phnum == PN_XNUM) {
        Elf64_Shdr sh0;
        if (read_section0(f, &sh0) < 0)
            return -1;
        f->phnum = sh0.sh_info;
    }
    if (f->phnum == 0)
        return 0;
    if (f->eh.e_phentsize != sizeof(Elf64_Phdr))
        return malformed(f, "program header entries of the wrong size");
    f->phdrs = read_table(f, f->eh.e_phoff, (uint64_t)f->phnum * sizeof(Elf64_Phdr),
                          "program headers past the end of the file");
    return f->phdrs ? 0 : -1;
}

/* ---- what the headers say ------------------------------------------------------------- */

static const char *arch_name(unsigned machine)
{
    switch (machine) {
    case EM_X86_64:
        return "x86_64";
    case EM_AARCH64:
        return "aarch64";
    default:
        return NULL;
    }
}

static int find_symtab(struct elf_file *f, struct elf_details *d)
{
    uint64_t count = f->eh.e_shnum;
    if (f->eh.e_shoff == 0)
        return 0; /* stripped of section headers: legal for a program */
    if (count == 0) {
        Elf64_Shdr sh0;
        if (read_section0(f, &sh0) < 0)
            return -1;
        count = sh0.sh_size;
    }
    if (count && f->eh.e_shentsize != sizeof(Elf64_Shdr))
        return malformed(f, "section header entries of the wrong size");
    /* The count comes from the file: bound it before multiplying, so nothing wraps. */
    if (count > f->size / sizeof(Elf64_Shdr))
        return malformed(f, "section headers past the end of the file");
    Elf64_Shdr *shdrs = read_table(f, f->eh.e_shoff, count * sizeof(Elf64_Shdr),
                                   "section headers past the end of the file");
    if (!shdrs)
        return -1;
    for (uint64_t i = 0; i < count; i++)
        d->info.has_symbols |= shdrs[i].sh_type == SHT_SYMTAB;
    free(shdrs);
    return 0;
}

static int read_interp(struct elf_file *f, const Elf64_Phdr *ph, struct elf_details *d)
{
    if (!in_file(f, ph->p_offset, ph->p_filesz))
        return malformed(f, "the interpreter name lies past the end of the file");
    d->info.has_interp = true;
    read_string(f, ph->p_offset, ph->p_offset + ph->p_filesz, d->interp, sizeof d->interp);
    return 0;
}

/* Maps a virtual address to its file offset through the PT_LOAD segments. */
static bool vaddr_to_offset(const struct elf_file *f, uint64_t vaddr, uint64_t *off, uint64_t *room)
{
    for (size_t i = 0; i < f->phnum; i++) {
        const Elf64_Phdr *ph = &f->phdrs[i];
        if (ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr && vaddr - ph->p_vaddr < ph->p_filesz) {
            *off = ph->p_offset + (vaddr - ph->p_vaddr);
            *room = ph->p_filesz - (vaddr - ph->p_vaddr);
            return true;
        }
    }
    return false;
}

/* Names the first library wanted, for the error message; "" when the names cannot be read. */
static void read_needed_name(struct elf_file *f, uint64_t strtab, uint64_t strsz, uint64_t name,
                             struct elf_details *d)
{
    uint64_t off, room;
    if (name >= strsz || !vaddr_to_offset(f, strtab, &off, &room) || name >= room)
        return;
    uint64_t end = off + (strsz < room ? strsz : room);
    read_string(f, off + name, end, d->needed, sizeof d->needed);
}

static int read_dynamic(struct elf_file *f, const Elf64_Phdr *ph, struct elf_details *d)
{
    Elf64_Dyn *dyn = read_table(f, ph->p_offset, ph->p_filesz,
                                "the dynamic section lies past the end of the file");
    if (!dyn)
        return -1;
    uint64_t strtab = 0, strsz = 0, first_needed = 0;
    for (size_t i = 0; i < ph->p_filesz / sizeof *dyn && dyn[i].d_tag != DT_NULL; i++) {
        if (dyn[i].d_tag == DT_NEEDED && !d->info.has_needed) {
            d->info.has_needed = true;
            first_needed = dyn[i].d_un.d_val;
        } else if (dyn[i].d_tag == DT_STRTAB) {
            strtab = dyn[i].d_un.d_ptr;
        } else if (dyn[i].d_tag == DT_STRSZ) {
            strsz = dyn[i].d_un.d_val;
        }
    }
    free(dyn);
    if (d->info.has_needed)
        read_needed_name(f, strtab, strsz, first_needed, d);
    return 0;
}

static int read_segments(struct elf_file *f, struct elf_details *d)
{
    for (size_t i = 0; i < f->phnum; i++) {
        const Elf64_Phdr *ph = &f->phdrs[i];
        int rc = 0;
        if (ph->p_type == PT_LOAD && ph->p_paddr + ph->p_memsz > d->info.load_end)
            d->info.load_end = ph->p_paddr + ph->p_memsz;
        if (ph->p_type == PT_INTERP && !d->info.has_interp)
            rc = read_interp(f, ph, d);
        else if (ph->p_type == PT_DYNAMIC)
            rc = read_dynamic(f, ph, d);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int parse_elf(struct elf_file *f, struct elf_details *d)
{
    if (read_ehdr(f) < 0 || read_phdrs(f) < 0)
        return -1;
    d->type = f->eh.e_type;
    d->osabi = f->eh.e_ident[EI_OSABI];
    d->info.machine = f->eh.e_machine;
    d->info.arch = arch_name(f->eh.e_machine);
    d->info.is_pie = f->eh.e_type == ET_DYN;
    d->info.entry = f->eh.e_entry;
    if (read_segments(f, d) < 0)
        return -1;
    return find_symtab(f, d);
}

static int inspect_details(const char *path, struct elf_details *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    struct elf_file f = {.path = path, .err = err, .errlen = errlen};
    f.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f.fd < 0)
        return errorf(err, errlen, "%s: %s", path, strerror(errno));
    struct stat st;
    int rc;
    if (fstat(f.fd, &st) < 0)
        rc = errorf(err, errlen, "%s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = errorf(err, errlen, "%s: not a regular file", path);
    else {
        f.size = (uint64_t)st.st_size;
        rc = parse_elf(&f, d);
    }
    free(f.phdrs);
    close(f.fd);
    return rc;
}

int elf_inspect(const char *path, struct elf_info *info, char *err, size_t errlen)
{
    struct elf_details d;
    int rc = inspect_details(path, &d, err, errlen);
    *info = d.info;
    return rc;
}

/* ---- is it a program unikit can run? ---------------------------------------------------- */

static int check_type(const char *path, const struct elf_details *d, char *err, size_t errlen)
{
    switch (d->type) {
    case ET_EXEC:
        return 0;
    case ET_DYN:
        /* A PIE has an entry point; a shared library (almost always) does not. */
        if (d->info.entry == 0)
            return errorf(err, errlen, "%s: a shared library, not a program", path);
        return 0;
    case ET_REL:
        return errorf(err, errlen, "%s: not an executable (ELF type ET_REL, an object file)", path);
    case ET_CORE:
        return errorf(err, errlen, "%s: not an executable (ELF type ET_CORE, a core dump)", path);
    default:
        return errorf(err, errlen, "%s: not an executable (ELF type %u)", path, d->type);
    }
}

static int check_arch(const char *path, const struct elf_details *d, const char *arch, char *err,
                      size_t errlen)
{
    if (!d->info.arch)
        return errorf(err, errlen, "%s: unsupported architecture (e_machine %u)", path,
                      d->info.machine);
    if (arch && strcmp(arch, d->info.arch) != 0)
        return errorf(err, errlen, "%s: built for %s, but the image is for %s", path, d->info.arch,
                      arch);
    if (d->osabi != ELFOSABI_SYSV && d->osabi != ELFOSABI_GNU)
        return errorf(err, errlen, "%s: not a Linux program (ELF OS ABI %u)", path, d->osabi);
    return 0;
}

static int check_static(const char *path, const struct elf_details *d, char *err, size_t errlen)
{
    if (d->info.has_interp)
        return errorf(err, errlen, "%s: dynamically linked (interpreter %s); build it with -static",
                      path, d->interp[0] ? d->interp : "unnamed");
    if (d->info.has_needed)
        return errorf(err, errlen, "%s: dynamically linked (needs %s); build it with -static", path,
                      d->needed[0] ? d->needed : "shared libraries");
    return 0;
}

int elf_check_program(const char *path, const char *arch, char *err, size_t errlen)
{
    struct elf_details d;
    if (inspect_details(path, &d, err, errlen) < 0)
        return -1;
    if (check_type(path, &d, err, errlen) < 0 || check_arch(path, &d, arch, err, errlen) < 0)
        return -1;
    return check_static(path, &d, err, errlen);
}

/* ---- sections ----------------------------------------------------------------------- */

static int section_in(struct elf_file *f, const char *name, uint64_t *off, uint64_t *size)
{
    Elf64_Shdr sh0;
    uint64_t count = f->eh.e_shnum, strndx = f->eh.e_shstrndx;
    if (read_section0(f, &sh0) < 0)
        return -1;
    count = count ? count : sh0.sh_size;
    strndx = strndx == SHN_XINDEX ? sh0.sh_link : strndx;
    if (count > f->size / sizeof(Elf64_Shdr) || strndx >= count)
        return malformed(f, "section headers past the end of the file");
    Elf64_Shdr *sh = read_table(f, f->eh.e_shoff, count * sizeof(Elf64_Shdr),
                                "section headers past the end of the file");
    if (!sh)
        return -1;
    int rc = 1;
    char got[NAME_MAX_LEN];
    for (uint64_t i = 0; i < count && rc == 1; i++) {
        uint64_t names = sh[strndx].sh_offset, limit = names + sh[strndx].sh_size;
        read_string(f, names + sh[i].sh_name, limit, got, sizeof got);
        if (strcmp(got, name) != 0)
            continue;
        if (sh[i].sh_type == SHT_NOBITS || !in_file(f, sh[i].sh_offset, sh[i].sh_size))
            rc = malformed(f, "a section lies past the end of the file");
        else {
            *off = sh[i].sh_offset;
            *size = sh[i].sh_size;
            rc = 0;
        }
    }
    free(sh);
    return rc;
}

/* Opens path and reads its ELF header into f; on success the caller closes f->fd. */
static int open_elf(struct elf_file *f, const char *path, char *err, size_t errlen)
{
    struct stat st;
    *f = (struct elf_file){.path = path, .err = err, .errlen = errlen};
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0)
        return errorf(err, errlen, "%s: %s", path, strerror(errno));
    int rc = fstat(f->fd, &st) == 0 ? 0 : errorf(err, errlen, "%s: %s", path, strerror(errno));
    f->size = (uint64_t)st.st_size;
    if (rc == 0)
        rc = read_ehdr(f);
    if (rc != 0)
        close(f->fd);
    return rc;
}

int elf_find_section(const char *path, const char *name, uint64_t *off, uint64_t *size, char *err,
                     size_t errlen)
{
    struct elf_file f;
    int rc = open_elf(&f, path, err, errlen);
    if (rc != 0)
        return rc;
    rc = section_in(&f, name, off, size);
    if (rc == 1)
        errorf(err, errlen, "%s: no %s section", path, name);
    close(f.fd);
    return rc;
}

int elf_read_section(const char *path, const char *name, unsigned char **data, size_t *len,
                     char *err, size_t errlen)
{
    struct elf_file f;
    uint64_t off = 0, size = 0;
    int rc = open_elf(&f, path, err, errlen);
    if (rc != 0)
        return rc;
    rc = section_in(&f, name, &off, &size);
    if (rc == 0 && !(*data = read_table(&f, off, size, "a section lies past the end of the file")))
        rc = -1;
    if (rc == 0)
        *len = (size_t)size;
    if (rc == 1)
        errorf(err, errlen, "%s: no %s section", path, name);
    close(f.fd);
    return rc;
}

/* The physical address the loader puts file offset off at, from the PT_LOAD that holds it. */
static int offset_to_paddr(struct elf_file *f, uint64_t off, uint64_t size, uint64_t *paddr)
{
    if (read_phdrs(f) < 0)
        return -1;
    for (size_t i = 0; i < f->phnum; i++) {
        const Elf64_Phdr *ph = &f->phdrs[i];
        if (ph->p_type == PT_LOAD && off >= ph->p_offset &&
            off + size <= ph->p_offset + ph->p_filesz) {
            *paddr = ph->p_paddr + (off - ph->p_offset);
            return 0;
        }
    }
    return 1;
}

int elf_section_paddr(const char *path, const char *name, uint64_t *paddr, uint64_t *size,
                      char *err, size_t errlen)
{
    struct elf_file f;
    uint64_t off = 0;
    int rc = open_elf(&f, path, err, errlen);
    if (rc != 0)
        return rc;
    rc = section_in(&f, name, &off, size);
    if (rc == 0)
        rc = offset_to_paddr(&f, off, *size, paddr);
    if (rc == 1)
        errorf(err, errlen, "%s: no loaded %s section", path, name);
    free(f.phdrs);
    close(f.fd);
    return rc;
}
