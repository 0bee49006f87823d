/* What every verb's file shares: errors, the store, instances by name. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "instance.h"
#include "util.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("unikit: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_open_store(struct store *s)
{
    char err[1024];
    char *home = unikit_home();
    int rc = store_open(s, home, err, sizeof(err));
    free(home);
    if (rc < 0)
        cli_error("%s", err);
    return rc;
}

int cli_each_instance(char **names, int count, int (*fn)(struct instance *, void *), void *ctx)
{
    char *home = unikit_home();
    int code = 0;
    for (int i = 0; i < count; i++) {
        struct instance inst;
        char err[1024];
        if (instance_find(home, names[i], &inst, err, sizeof(err)) < 0) {
            cli_error("%s", err);
            code = EXIT_UNIKIT_ERROR;
            continue;
        }
        if (fn(&inst, ctx) == 0)
            printf("%s\n", names[i]);
        else
            code = EXIT_UNIKIT_ERROR;
        instance_free(&inst);
    }
    free(home);
    return code;
}
