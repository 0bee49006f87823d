/*
 * Boot code: decodes the packed kernel (unpack.h). Like inflate.c it is
 * linked into the part of the image that is not packed, so it may call
 * nothing but gunzip (the Makefile checks).
 *
 * The loader places the compressed bytes at the start of the segment they
 * decode to and zeroes the rest; decoding in place would overwrite input
 * not yet read, so they are first copied past the end of the kernel, into
 * memory the page allocator has not been given yet.
 */
#include "inflate.h"
#include "types.h"
#include "unpack.h"

extern char __packed_start[], __packed_end[], __kernel_end[];
/* The word in .unikit.pack (the linker script's), which the host writes. */
extern const volatile uint64_t __kernel_packed_len;

int kernel_unpack(void)
{
    size_t len = (size_t)__kernel_packed_len;
    size_t size = (size_t)(__packed_end - __packed_start);
    if (len == 0)
        return 0;
    if (len > size)
        return -1;
    char *copy = __kernel_end;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) { /* a word at a time: emulated, each load costs */
        uint64_t word;
        __builtin_memcpy(&word, __packed_start + i, 8);
        __builtin_memcpy(copy + i, &word, 8);
    }
    for (; i < len; i++)
        copy[i] = __packed_start[i];
    return gunzip(__packed_start, size, copy, len) == (long)size ? 0 : -1;
}
