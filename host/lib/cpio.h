/*
 * Writes cpio "newc" archives: the files an image carries. Names are
 * stored without a leading '/'; parent folders are added automatically.
 */
#ifndef UNIKIT_CPIO_H
#define UNIKIT_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cpio_writer;

struct cpio_writer *cpio_writer_new(FILE *out);
int cpio_add_dir(struct cpio_writer *w, const char *path, unsigned mode);
/* mode is the permission bits (a regular file), or S_IFLNK | bits for a symlink. */
int cpio_add_data(struct cpio_writer *w, const char *path, unsigned mode, const void *data,
                  size_t len);
/* Adds a symbolic link (mode 0120777) whose data is target. */
int cpio_add_symlink(struct cpio_writer *w, const char *path, const char *target);
/* Whether path (a file, folder or link) is in the archive already. */
bool cpio_contains(struct cpio_writer *w, const char *path);
/* Copies a host file (keeps its permission bits); follows symlinks. */
int cpio_add_host_file(struct cpio_writer *w, const char *path, const char *host_path);
/* Adds a host folder recursively under path. */
int cpio_add_host_tree(struct cpio_writer *w, const char *path, const char *host_dir);
/* Writes the trailer and frees w; returns 0 or -1 (errno set). */
int cpio_finish(struct cpio_writer *w);
/* The last error, one line naming the path concerned. */
const char *cpio_error(const struct cpio_writer *w);

#endif
