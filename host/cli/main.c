/* unikit: build unikernels and run them like containers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "instance.h"
#include "util.h"

struct verb {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct verb verbs[] = {
    {"build", cmd_build, "Build an image from a folder with a Unikfile"},
    {"run", cmd_run, "Boot an image"},
    {"ps", cmd_ps, "List instances"},
    {"logs", cmd_logs, "Show what an instance's program wrote"},
    {"stop", cmd_stop, "Stop running instances"},
    {"kill", cmd_kill, "Kill instances, or send their program a signal"},
    {"rm", cmd_rm, "Remove instances"},
    {"inspect", cmd_inspect, "Show instances or images as JSON"},
    {"info", cmd_info, "Show the host, its accelerators and the store"},
    {"images", cmd_images, "List images"},
    {"tag", cmd_tag, "Give an image another name"},
    {"rmi", cmd_rmi, "Remove images"},
    {"push", cmd_push, "Upload an image to a registry"},
    {"pull", cmd_pull, "Download an image from a registry"},
    {"save", cmd_save, "Write images to an OCI layout tar archive"},
    {"load", cmd_load, "Import images from an OCI layout tar archive"},
};

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

static void usage(FILE *out)
{
    fprintf(out, "Usage: unikit COMMAND [OPTIONS]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        fprintf(out, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(out, "\nRun 'unikit COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_UNIKIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("unikit %s\n", UNIKIT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].fn(argc - 1, argv + 1);
    cli_error("'%s' is not a unikit command; see 'unikit --help'", argv[1]);
    return EXIT_UNIKIT_ERROR;
}
