#include "kpack.h"

#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archivegz.h"
#include "util.h"

/* The image's headers and section names, read from fd; its other bytes
   are read and written where they lie, so that a big file archive is
   never copied. */
struct image {
    const char *path;
    int fd;
    uint64_t size;
    Elf64_Ehdr eh;
    Elf64_Phdr *ph;
    Elf64_Shdr *sh;
    char *names; /* the section name table */
    size_t names_size;
};

static bool in_file(const struct image *im, uint64_t off, uint64_t len)
{
    return off <= im->size && len <= im->size - off;
}

/* Reads len bytes at off into buf: whether all were there. */
static bool read_into(const struct image *im, void *buf, uint64_t off, uint64_t len)
{
    uint64_t done = 0;
    while (in_file(im, off, len) && done < len) {
        ssize_t n = pread(im->fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (n <= 0)
            return false;
        done += (uint64_t)n;
    }
    return done == len;
}

/* len bytes at off in a new buffer (at least one byte), or NULL. */
static void *read_at(const struct image *im, uint64_t off, uint64_t len)
{
    void *buf = malloc(len ? len : 1);
    if (buf && !read_into(im, buf, off, len)) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

static void close_image(struct image *im)
{
    if (im->fd >= 0)
        close(im->fd);
    free(im->ph);
    free(im->sh);
    free(im->names);
}

static int read_image(struct image *im, int flags, char *err, size_t errlen)
{
    struct stat st;
    im->fd = open(im->path, flags | O_CLOEXEC);
    if (im->fd < 0 || fstat(im->fd, &st) != 0)
        return errorf(err, errlen, "%s: cannot read the linked image", im->path);
    im->size = (uint64_t)st.st_size;
    Elf64_Ehdr *eh = &im->eh;
    if (pread(im->fd, eh, sizeof(*eh), 0) != sizeof(*eh) ||
        memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        eh->e_shstrndx >= eh->e_shnum ||
        !(im->ph = read_at(im, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr))) ||
        !(im->sh = read_at(im, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr))))
        return errorf(err, errlen, "%s: not a kernel image the linker wrote", im->path);
    Elf64_Shdr *names = &im->sh[eh->e_shstrndx];
    if (names->sh_size == 0 || !(im->names = read_at(im, names->sh_offset, names->sh_size)))
        return errorf(err, errlen, "%s: its section names lie outside the file", im->path);
    im->names_size = names->sh_size;
    return 0;
}

static Elf64_Shdr *section(const struct image *im, const char *name)
{
    for (size_t i = 0; i < im->eh.e_shnum; i++) {
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
    for (size_t i = 0; i < im->eh.e_phnum; i++) {
        Elf64_Phdr *p = &im->ph[i];
        if (p->p_type == PT_LOAD && p->p_filesz && text->sh_addr >= p->p_vaddr &&
            text->sh_addr < p->p_vaddr + p->p_memsz)
            return p;
    }
    return NULL;
}

/* Only unloaded sections and the section headers may follow the packed
   segment in the file: they are what moves. The program headers come
   before it. */
static bool packed_segment_last(const struct image *im, const Elf64_Phdr *packed)
{
    uint64_t end = packed->p_offset + packed->p_filesz;
    for (size_t i = 0; i < im->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &im->ph[i];
        if (p != packed && p->p_filesz && p->p_offset + p->p_filesz > packed->p_offset)
            return false;
    }
    for (size_t i = 0; i < im->eh.e_shnum; i++) {
        const Elf64_Shdr *s = &im->sh[i];
        if ((s->sh_flags & SHF_ALLOC) && s->sh_type != SHT_NOBITS && s->sh_size &&
            s->sh_offset >= end)
            return false;
    }
    return in_file(im, packed->p_offset, packed->p_filesz) && im->eh.e_shoff >= end &&
           im->eh.e_phoff + im->eh.e_phnum * sizeof(Elf64_Phdr) <= packed->p_offset;
}

/*
 * Where the stream may start: right after everything the file holds before
 * the segment (the headers, the other segments, their sections), 8-byte
 * aligned. The linker placed the segment at an offset congruent to its
 * address modulo its alignment (2 KiB on aarch64, for the vector table),
 * which only a loader that maps the file needs: the stream is copied, and
 * decoded to the address, which stays as linked.
 */
static uint64_t stream_start(const struct image *im, const Elf64_Phdr *packed)
{
    uint64_t floor = im->eh.e_phoff + im->eh.e_phnum * sizeof(Elf64_Phdr);
    floor = floor > sizeof(Elf64_Ehdr) ? floor : sizeof(Elf64_Ehdr);
    for (size_t i = 0; i < im->eh.e_phnum; i++) {
        const Elf64_Phdr *p = &im->ph[i];
        if (p != packed && p->p_filesz && p->p_offset + p->p_filesz > floor)
            floor = p->p_offset + p->p_filesz;
    }
    for (size_t i = 0; i < im->eh.e_shnum; i++) {
        const Elf64_Shdr *s = &im->sh[i];
        if (s->sh_type != SHT_NOBITS && s->sh_size && s->sh_offset < packed->p_offset &&
            s->sh_offset + s->sh_size > floor)
            floor = s->sh_offset + s->sh_size;
    }
    floor = (floor + 7) & ~(uint64_t)7;
    return floor < packed->p_offset && packed->p_vaddr % 8 == 0 ? floor : packed->p_offset;
}

/* How far what follows the segment may move: a multiple of every
   alignment it has. Sections without file bytes (.bss, which the linker
   gives a page-aligned offset past the end) do not count: what they say
   about an offset describes no byte. */
static uint64_t tail_alignment(const struct image *im, uint64_t end)
{
    uint64_t align = 8; /* the section headers */
    for (size_t i = 0; i < im->eh.e_shnum; i++)
        if (im->sh[i].sh_offset >= end && im->sh[i].sh_type != SHT_NOBITS &&
            im->sh[i].sh_addralign > align)
            align = im->sh[i].sh_addralign;
    return align;
}

/* Rewrites the image from new_start on: gz (gzlen bytes) in place of the
   packed segment's bytes, then what followed it moved up by shift, with
   the headers updated to say so. */
static int rewrite_packed(struct image *im, Elf64_Phdr *packed, const Elf64_Shdr *len_word,
                          const unsigned char *gz, size_t gzlen, uint64_t new_start, uint64_t shift)
{
    uint64_t start = packed->p_offset, end = start + packed->p_filesz;
    uint64_t tail_at = end - shift - new_start, newlen = im->size - shift - new_start;
    unsigned char *bytes = calloc(1, newlen), word[8];
    if (!bytes || !read_into(im, bytes + tail_at, end, im->size - end)) {
        free(bytes);
        return -1;
    }
    memcpy(bytes, gz, gzlen);
    for (size_t i = 0; i < im->eh.e_shnum; i++) {
        Elf64_Shdr *s = &im->sh[i];
        if (s->sh_offset >= end)
            s->sh_offset -= shift;
        else if (s->sh_type != SHT_NOBITS && s->sh_offset >= start) {
            s->sh_type = SHT_NOBITS; /* its bytes exist only once decoded */
            s->sh_offset = new_start;
        }
    }
    for (size_t i = 0; i < im->eh.e_phnum; i++)
        if (im->ph[i].p_offset >= end) /* .bss's: no file bytes, an offset all the same */
            im->ph[i].p_offset -= shift;
    packed->p_filesz = gzlen;
    if (new_start != start) {
        packed->p_offset = new_start;
        packed->p_align = 8; /* the offset and the address agree modulo 8 */
    }
    im->eh.e_shoff -= shift;
    memcpy(bytes + (im->eh.e_shoff - new_start), im->sh, im->eh.e_shnum * sizeof(Elf64_Shdr));
    for (int i = 0; i < 8; i++)
        word[i] = (unsigned char)(gzlen >> (8 * i));
    int rc = pwrite_all(im->fd, bytes, newlen, (off_t)new_start);
    if (rc == 0)
        rc = pwrite_all(im->fd, im->ph, im->eh.e_phnum * sizeof(Elf64_Phdr), (off_t)im->eh.e_phoff);
    if (rc == 0)
        rc = pwrite_all(im->fd, &im->eh, sizeof(im->eh), 0);
    if (rc == 0)
        rc = pwrite_all(im->fd, word, sizeof(word), (off_t)len_word->sh_offset);
    if (rc == 0)
        rc = ftruncate(im->fd, (off_t)(im->size - shift));
    free(bytes);
    return rc;
}

int kernel_pack(const char *path, char *err, size_t errlen)
{
    struct image im = {.path = path};
    unsigned char *code = NULL, *gz = NULL;
    int rc = read_image(&im, O_RDWR, err, errlen);
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
    code = read_at(&im, packed->p_offset, packed->p_filesz);
    gz = code ? gzip_buffer(code, packed->p_filesz, &gzlen) : NULL;
    if (!gz) {
        rc = errorf(err, errlen, "%s: compressing the kernel failed", path);
        goto out;
    }
    uint64_t new_start = stream_start(&im, packed);
    uint64_t saved = gzlen < packed->p_filesz ? packed->p_filesz - gzlen : 0;
    uint64_t shift = (packed->p_offset - new_start + saved) / align * align;
    if (shift > 0 && rewrite_packed(&im, packed, len_word, gz, gzlen, new_start, shift) < 0)
        rc = errorf(err, errlen, "%s: %s", path, strerror(errno));
out:
    free(code);
    free(gz);
    close_image(&im);
    return rc;
}

int kernel_packed_sizes(const char *path, uint64_t *code, uint64_t *stored)
{
    char err[256];
    struct image im = {.path = path};
    int rc = read_image(&im, O_RDONLY, err, sizeof err);
    Elf64_Shdr *len_word = rc == 0 ? length_word(&im) : NULL;
    Elf64_Shdr *text = rc == 0 ? section(&im, ".text") : NULL;
    Elf64_Phdr *packed = text ? packed_segment(&im, text) : NULL;
    unsigned char *word = len_word ? read_at(&im, len_word->sh_offset, 8) : NULL;
    if (!word || !packed)
        rc = -1;
    if (rc == 0) {
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--)
            len = len << 8 | word[i];
        *code = packed->p_memsz;
        *stored = len;
        rc = len ? 0 : 1;
    }
    free(word);
    close_image(&im);
    return rc;
}
