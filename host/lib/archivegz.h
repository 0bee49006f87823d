/*
 * A small image's file archive is stored gzip-compressed (zlib, level 9):
 * the kernel decodes it at boot (kernel/lib/inflate.c). Only small ones:
 * the kernel's decoder is simple, and a program of megabytes (Go's) would
 * cost boot time for bytes that matter little beside its size.
 */
#ifndef UNIKIT_ARCHIVEGZ_H
#define UNIKIT_ARCHIVEGZ_H

#include <stddef.h>

/* Archives up to this size are compressed. */
#define ARCHIVE_GZIP_MAX (512 * 1024)

/* The gzip form of in (level 9), in a new buffer of *outlen bytes; NULL
   when zlib fails. The same input always gives the same bytes. */
unsigned char *gzip_buffer(const unsigned char *in, size_t len, size_t *outlen);

/* Replaces the archive at path with its gzip form when it is at most
   ARCHIVE_GZIP_MAX bytes and the gzip form is smaller. 0, or -1 with err. */
int archive_gzip(const char *path, char *err, size_t errlen);

#endif
