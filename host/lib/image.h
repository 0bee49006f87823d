/*
 * Building an image: the program (compiled with musl or taken prebuilt),
 * its files as a cpio archive and its boot config, linked with the kernel
 * into one ELF file that QEMU boots with -kernel.
 */
#ifndef UNIKIT_IMAGE_H
#define UNIKIT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "unikfile.h"

/* Builds uf for arch into out_path (workdir holds the intermediate files).
 * *net says whether the network object went in (the program uses sockets),
 * for the image's config: only such an image gets a NIC when run.
 * Returns 0, or -1 with one line in err. */
/* *explain (a new string, JSON) says what specialisation linked and left out
 * (host/lib/spec.h): the image config keeps it for `inspect --explain`. */
int image_build(const struct unikfile *uf, const char *arch, const char *workdir,
                const char *out_path, bool *net, char **explain, char *err, size_t errlen);

struct spec;
struct spec_table;
/* Links this unikit's kernel for arch with workdir's config.bin and
 * files.cpio and the table spec says, into out (no symbols): what
 * host/lib/relink.c uses to give an image volume support. */
int image_link(const char *arch, const char *workdir, const struct spec_table *t,
               const struct spec *spec, const char *out, char *err, size_t errlen);

/* The compiler that builds static musl programs for arch ("musl-gcc", …). */
const char *image_musl_compiler(const char *arch);

#endif
