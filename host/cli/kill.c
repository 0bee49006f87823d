/* unikit kill NAME|ID... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "instance.h"
#include "util.h"

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
    char *home = unikit_home();
    int code = 0;
    for (int i = 1; i < argc; i++) {
        struct instance inst;
        char err[1024];
        if (instance_find(home, argv[i], &inst, err, sizeof(err)) < 0) {
            cli_error("%s", err);
            code = EXIT_UNIKIT_ERROR;
            continue;
        }
        if (instance_kill(&inst)) {
            printf("%s\n", argv[i]);
        } else {
            cli_error("instance %.12s did not record its exit", inst.id);
            code = EXIT_UNIKIT_ERROR;
        }
        instance_free(&inst);
    }
    free(home);
    return code;
}
