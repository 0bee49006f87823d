#include "kpack.h"

#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archivegz.h"
#include "util.h"

/* The image, whole, with its headers located. */
struct image {
    const char *path;
    unsigned char *data;
    size_t size;
    Elf64_Ehdr *eh;
    Elf64_Phdr *ph;
    Elf64_Shdr *sh;
    const char *names; /* the section name table */
    size_t names_size;
};

static bool in_file(const struct image *im, uint64_t off, uint64_t len)
{
    return off <= im->size && len <= im->size - off;
}

static int read_image(struct image *im, char *err, size_t errlen)
{
    FILE *f = fopen(im->path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0)
        goto io_error;
    im->size = (size_t)st.st_size;
    im->data = malloc(im->size ? im->size : 1);
    if (!im->data || fread(im->data, 1, im->size, f) != im->size)
        goto io_error;
    fclose(f);
    im->eh = (Elf64_Ehdr *)im->data;
    Elf64_Ehdr *eh = im->eh;
    if (im->size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
        eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shstrndx >= eh->e_shnum ||
        !in_file(im, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)) ||
        !in_file(im, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)) || eh->e_phoff % 8 ||
        eh->e_shoff % 8)
        return errorf(err, errlen, "%s: not a kernel image the linker wrote", im->path);
    im->ph = (Elf64_Phdr *)(im->data + eh->e_phoff);
    im->sh = (Elf64_Shdr *)(im->data + eh->e_shoff);
    Elf64_Shdr *names = &im->sh[eh->e_shstrndx];
    if (!in_file(im, names->sh_offset, names->sh_size) || names->sh_size == 0)
        return errorf(err, errlen, "%s: its section names lie outside the file", im->path);
    im->names = (const char *)im->data + names->sh_offset;
    im->names_size = names->sh_size;
    return 0;
io_error:
    if (f)
        fclose(f);
    return errorf(err, errlen, "%s: cannot read the linked image", im->path);
}

static Elf64_Shdr *section(const struct image *im, const char *name)
{
    for (size_t i = 0; i < im->eh->e_shnum; i++) {
        size_t at = im->sh[i].sh_name;
        if (at < im->names_size && strnlen(im->names + at, im->names_size - at) == strlen(name) &&
            memcmp(im->names + at, name, strlen(name)) == 0)
            return &im->sh[i];
    }
    return NULL;
}

/* The section .unikit.pack: the stream's length, one 64-bit word. */
static Elf64_Shdr *length_word(const struct image *im)
{
    Elf64_Shdr *s = section(im, ".unikit.pack");
    return s && s->sh_size == 8 && in_file(im, s->sh_offset, 8) ? s : NULL;
}

/* The loaded segment that holds the kernel's code: the packed one. */
static Elf64_Phdr *packed_segment(const struct image *im, const Elf64_Shdr *text)
{
    for (size_t i = 0; i < im->eh->e_phnum; i++) {
        Elf64_Phdr *p = &im->ph[i];
        if (p->p_type == PT_LOAD && p->p_filesz && text->sh_addr >= p->p_vaddr &&
            text->sh_addr < p->p_vaddr + p->p_memsz)
            return p;
    }
    return NULL;
}

/* Only unloaded sections and the section headers may follow the packed
   segment in the file: they are what moves. */
static bool packed_segment_last(const struct image *im, const Elf64_Phdr *packed)
{
    uint64_t end = packed->p_offset + packed->p_filesz;
    for (size_t i = 0; i < im->eh->e_phnum; i++) {
        const Elf64_Phdr *p = &im->ph[i];
        if (p != packed && p->p_filesz && p->p_offset + p->p_filesz > packed->p_offset)
            return false;
    }
    for (size_t i = 0; i < im->eh->e_shnum; i++) {
        const Elf64_Shdr *s = &im->sh[i];
        if ((s->sh_flags & SHF_ALLOC) && s->sh_type != SHT_NOBITS && s->sh_size &&
            s->sh_offset >= end)
            return false;
    }
    return in_file(im, packed->p_offset, packed->p_filesz) && im->eh->e_shoff >= end;
}

/* How far what follows the segment may move: a multiple of every
   alignment it has. */
static uint64_t tail_alignment(const struct image *im, uint64_t end)
{
    uint64_t align = 8; /* the section headers */
    for (size_t i = 0; i < im->eh->e_shnum; i++)
        if (im->sh[i].sh_offset >= end && im->sh[i].sh_addralign > align)
            align = im->sh[i].sh_addralign;
    return align;
}

static void store_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Puts gz in place of the segment's bytes and moves the tail (which holds
   the section headers, updated first) up by shift. */
static void splice(struct image *im, Elf64_Phdr *packed, const unsigned char *gz, size_t gzlen,
                   uint64_t shift)
{
    uint64_t start = packed->p_offset, end = start + packed->p_filesz;
    for (size_t i = 0; i < im->eh->e_shnum; i++) {
        Elf64_Shdr *s = &im->sh[i];
        if (s->sh_offset >= end)
            s->sh_offset -= shift;
        else if (s->sh_type != SHT_NOBITS && s->sh_offset >= start) {
            s->sh_type = SHT_NOBITS; /* its bytes exist only once decoded */
            s->sh_offset = start;
        }
    }
    for (size_t i = 0; i < im->eh->e_phnum; i++)
        if (im->ph[i].p_offset >= end) /* .bss's: no file bytes, an offset all the same */
            im->ph[i].p_offset -= shift;
    packed->p_filesz = gzlen;
    memcpy(im->data + start, gz, gzlen);
    memset(im->data + start + gzlen, 0, end - shift - start - gzlen);
    memmove(im->data + end - shift, im->data + end, im->size - end);
    im->size -= shift;
    im->eh->e_shoff -= shift;
    im->sh = NULL; /* moved */
}

int kernel_pack(const char *path, char *err, size_t errlen)
{
    struct image im = {.path = path};
    int rc = read_image(&im, err, errlen);
    if (rc < 0)
        goto out;
    Elf64_Shdr *text = section(&im, ".text"), *len_word = length_word(&im);
    Elf64_Phdr *packed = text ? packed_segment(&im, text) : NULL;
    if (!len_word || !packed || !packed_segment_last(&im, packed)) {
        rc = errorf(err, errlen,
                    "%s: the kernel's linker script does not lay the image out "
                    "for packing (lib/unikit is out of date: run `make`)",
                    path);
        goto out;
    }
    if (packed->p_filesz < packed->p_memsz)
        goto out; /* packed already */
    uint64_t end = packed->p_offset + packed->p_filesz, align = tail_alignment(&im, end);
    size_t gzlen = 0;
    unsigned char *gz = gzip_buffer(im.data + packed->p_offset, packed->p_filesz, &gzlen);
    if (!gz) {
        rc = errorf(err, errlen, "%s: compressing the kernel failed", path);
        goto out;
    }
    uint64_t saved = gzlen < packed->p_filesz ? packed->p_filesz - gzlen : 0;
    uint64_t shift = saved / align * align;
    if (shift > 0) {
        unsigned char *word = im.data + len_word->sh_offset; /* before the tail moves */
        store_le64(word, gzlen);
        splice(&im, packed, gz, gzlen, shift);
        rc = write_file(path, im.data, im.size, err, errlen);
    }
    free(gz);
out:
    free(im.data);
    return rc;
}

int kernel_packed_sizes(const char *path, uint64_t *code, uint64_t *stored)
{
    char err[256];
    struct image im = {.path = path};
    int rc = read_image(&im, err, sizeof err);
    Elf64_Shdr *len_word = rc == 0 ? length_word(&im) : NULL;
    Elf64_Shdr *text = rc == 0 ? section(&im, ".text") : NULL;
    Elf64_Phdr *packed = text ? packed_segment(&im, text) : NULL;
    if (!len_word || !packed)
        rc = -1;
    if (rc == 0) {
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--)
            len = len << 8 | im.data[len_word->sh_offset + i];
        *code = packed->p_memsz;
        *stored = len;
        rc = len ? 0 : 1;
    }
    free(im.data);
    return rc;
}
