/* The `unikit` verbs: one file each, sharing these helpers. */
#ifndef UNIKIT_CLI_H
#define UNIKIT_CLI_H

#include <stdio.h>

#include "store.h"
#include "version.h"

int cmd_build(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_volume(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_load(int argc, char **argv);

/* Prints "unikit: MESSAGE" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Opens the store at $UNIKIT_HOME; prints the error and returns -1 on failure. */
int cli_open_store(struct store *s);
struct instance;
/*
 * stop, kill, rm: runs fn on the instance each of names[0..count) names,
 * printing the name when fn returns 0 (fn prints its own error otherwise)
 * and one line for a name that matches no instance; 0, or 125 if any failed.
 */
int cli_each_instance(char **names, int count, int (*fn)(struct instance *, void *), void *ctx);
/* push and pull: parses [--insecure] NAME; the index of NAME in argv, or -1. */
int cli_registry_options(int argc, char **argv, bool *insecure, void (*usage)(FILE *));

#endif
