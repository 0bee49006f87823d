/*
 * The packed kernel. `unikit build` compresses the kernel's code and
 * read-only data (the image's last loaded segment) with gzip after linking
 * it (host/lib/kpack.c); the boot code, which stays as linked, decodes it
 * into place before the first call into it.
 *
 * The ABI with the host is the section .unikit.pack: one little-endian
 * 64-bit word, the compressed length, which the host writes (0: the image
 * is not packed, as one built with UNIKIT_KEEP_SYMBOLS=1 is not).
 */
#ifndef UNIKIT_UNPACK_H
#define UNIKIT_UNPACK_H

/* Decodes the packed segment in place; called from the architecture's boot
   code with the kernel's linked addresses mapped and nothing else set up.
   Returns 0, or -1 for a damaged image (the caller stops the machine). */
int kernel_unpack(void);

#endif
