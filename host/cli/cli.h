/* The `unikit` verbs: one file each, sharing these helpers. */
#ifndef UNIKIT_CLI_H
#define UNIKIT_CLI_H

#include "store.h"

int cmd_build(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_images(int argc, char **argv);

/* Prints "unikit: MESSAGE" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Opens the store at $UNIKIT_HOME; prints the error and returns -1 on failure. */
int cli_open_store(struct store *s);

#endif
