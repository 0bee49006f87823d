/*
 * Packs a linked image's kernel (kernel/include/unpack.h): the segment
 * holding the kernel's code and read-only data is stored gzip-compressed,
 * and the kernel's boot code decodes it into place. Linux's compressed
 * kernels do the same; here it takes hello's image from 77 to 57 kB.
 */
#ifndef UNIKIT_KPACK_H
#define UNIKIT_KPACK_H

#include <stddef.h>
#include <stdint.h>

/*
 * Rewrites the image at path with its packed segment compressed: the
 * segment's file bytes become the gzip stream (the loader zeroes the rest
 * of its memory, which the kernel then fills), its sections become
 * SHT_NOBITS, everything after it in the file moves up, and the section
 * .unikit.pack gets the stream's length. An image whose segment would not
 * shrink is left as it is. 0, or -1 with one line in err.
 */
int kernel_pack(const char *path, char *err, size_t errlen);

/* For `inspect --explain`: the packed segment's bytes in memory (*code) and
   in the file (*stored). 0; 1 when the image at path is not packed; -1
   when it cannot be read. */
int kernel_packed_sizes(const char *path, uint64_t *code, uint64_t *stored);

#endif
