/* unikit tag SOURCE TARGET: another name for the same image, as `docker tag`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

int cmd_tag(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: unikit tag SOURCE TARGET\n\n"
               "Gives the image SOURCE another name, TARGET (e.g. REGISTRY/NAME:TAG to push).\n");
        return 0;
    }
    if (argc != 3) {
        cli_error("tag takes two names: SOURCE TARGET");
        return EXIT_UNIKIT_ERROR;
    }
    struct store s = {0};
    char err[1024];
    if (cli_open_store(&s) < 0)
        return EXIT_UNIKIT_ERROR;
    int rc = store_tag(&s, argv[1], argv[2], err, sizeof err);
    if (rc != 0)
        cli_error("%s", err);
    store_close(&s);
    return rc == 0 ? 0 : EXIT_UNIKIT_ERROR;
}
