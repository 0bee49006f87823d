/*
 * unikit-transfer: the verbs that move images in and out of the store
 * (push, pull, save, load), the only ones that need libcurl and libarchive.
 * `unikit VERB ...` execs `unikit-transfer VERB ...`; users call unikit.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} verbs[] = {
    {"push", cmd_push},
    {"pull", cmd_pull},
    {"save", cmd_save},
    {"load", cmd_load},
};

int main(int argc, char **argv)
{
    for (size_t i = 0; argc > 1 && i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].fn(argc - 1, argv + 1);
    cli_error("unikit-transfer is run by unikit for push, pull, save and load; "
              "use 'unikit %s'",
              argc > 1 ? argv[1] : "--help");
    return EXIT_UNIKIT_ERROR;
}
