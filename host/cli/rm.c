/* unikit rm [-f] NAME|ID... */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "instance.h"
#include "util.h"

static void rm_usage(FILE *out)
{
    fprintf(out, "Usage: unikit rm [-f] NAME|ID...\n\n"
                 "Removes instances that have exited: their state, output log and\n"
                 "anonymous volumes (made for the image's declared volumes).\n\n"
                 "  -f, --force   kill a running instance first\n");
}

static int parse_rm(int argc, char **argv, bool *force)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        if (c == 'f') {
            *force = true;
        } else if (c == 'h') {
            rm_usage(stdout);
            exit(0);
        } else {
            rm_usage(stderr);
            return -1;
        }
    }
    if (optind >= argc) {
        cli_error("rm needs at least one instance name or id");
        return -1;
    }
    return optind;
}

static int remove_one(struct instance *inst, void *forced)
{
    bool force = *(bool *)forced;
    char err[1024];
    instance_refresh(inst);
    if (instance_active(inst) && !force) {
        cli_error("instance %.12s (%s) is running; stop it first, or use rm -f", inst->id,
                  inst->name);
        return -1;
    }
    /* Also reaps a QEMU whose supervisor vanished. */
    if (!instance_kill(inst)) {
        cli_error("instance %.12s did not stop", inst->id);
        return -1;
    }
    if (instance_remove(inst, err, sizeof(err)) < 0) {
        cli_error("%s", err);
        return -1;
    }
    return 0;
}

int cmd_rm(int argc, char **argv)
{
    bool force = false;
    int first = parse_rm(argc, argv, &force);
    if (first < 0)
        return EXIT_UNIKIT_ERROR;
    return cli_each_instance(argv + first, argc - first, remove_one, &force);
}
