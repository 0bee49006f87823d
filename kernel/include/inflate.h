/*
 * gzip decoding (kernel/lib/inflate.c), for the packed part of the kernel
 * and for the image's file archive when `unikit build` compressed them.
 */
#ifndef UNIKIT_INFLATE_H
#define UNIKIT_INFLATE_H

#include "types.h"

/* Whether in starts as a gzip stream does. */
bool gzip_is(const void *in, size_t len);
/* The size the stream says it decodes to (its trailer's ISIZE). */
size_t gzip_size(const void *in, size_t len);
/* Decodes in into out: the bytes written, or -EINVAL (a damaged stream, or
   one that does not decode to exactly its trailer's size). */
long gunzip(void *out, size_t outlen, const void *in, size_t len);

#endif
