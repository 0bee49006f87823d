/* unikit kill NAME|ID... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "instance.h"
#include "util.h"

static int kill_one(struct instance *inst, void *unused_ctx)
{
    (void)unused_ctx;
    if (instance_kill(inst))
        return 0;
    cli_error("instance %.12s did not record its exit", inst->id);
    return -1;
}

int cmd_kill(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: unikit kill NAME|ID...\n\n"
               "Kills running instances at once (SIGKILL to QEMU; exit status 137).\n");
        return 0;
    }
    if (argc < 2) {
        cli_error("kill needs at least one instance name or id");
        return EXIT_UNIKIT_ERROR;
    }
    return cli_each_instance(argv + 1, argc - 1, kill_one, NULL);
}
