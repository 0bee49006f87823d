/*
 * A file a command writes as a whole (`save -o`), without harming what is
 * there: a device, a pipe or another non-regular file is written in place
 * and never removed; a regular file is written under a temporary name
 * beside it and renamed into place only once complete, so a failure leaves
 * an existing file as it was and creates nothing new.
 */
#ifndef UNIKIT_OUTPUT_H
#define UNIKIT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

struct output {
    const char *path; /* as the user gave it; NULL for stdout */
    const char *name; /* for messages: path, or "stdout" */
    int fd;           /* -1 until output_open */
    char *final;      /* the regular file the temporary replaces; NULL when in place */
    char *tmp;        /* the temporary beside final; NULL when in place */
    bool replace;     /* final existed: rename over it (else never replace anything) */
};

/* Opens out->path (stdout when NULL) for writing; 0, or -1 with err set. */
int output_open(struct output *out, char *err, size_t errlen);
/* Makes the written bytes the file's content; 0, or -1 with err set (and nothing left). */
int output_commit(struct output *out, char *err, size_t errlen);
/* After a failure: removes the temporary only; a file written in place stays. */
void output_abort(struct output *out);

#endif
