/*
 * Volume support on demand. A specialised image links the 9P client only
 * when its Unikfile declares `volumes:`; `unikit run -v` (and the OCI
 * runtime's bind mounts) on another image link its kernel again, with the
 * client, from what the image itself holds: its boot config and file
 * archive sections, and the `.unikit.spec` record of its system calls.
 */
#ifndef UNIKIT_RELINK_H
#define UNIKIT_RELINK_H

#include <stddef.h>

/* 1 when the image at path has volume support (so does an image without a
   record: older unikit linked the client into every image), 0 when not,
   -1 with err when the file cannot be read as an image. */
int relink_has_volumes(const char *path, char *err, size_t errlen);

/* Writes to out the image at in linked again with volume support, with
   this unikit's kernel objects for arch. 0, or -1 with one line in err. */
int relink_with_volumes(const char *arch, const char *in, const char *out, char *err,
                        size_t errlen);

/* The image to boot when volumes are given: image itself when it has volume
   support, else a copy relinked with it, kept at cache (made once, reused
   while it is there). A new string, or NULL with err. */
char *relink_for_volumes(const char *arch, const char *image, const char *cache, char *err,
                         size_t errlen);

#endif
