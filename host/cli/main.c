/*
 * unikit: build unikernels and run them like containers.
 *
 * The verbs that move images in and out (push, pull, save, load) live in a
 * program of their own, libexec/unikit/unikit-transfer: only they need
 * libcurl and libarchive, whose dozens of shared libraries would otherwise
 * load on every `run` and `ps`. This binary hands those verbs over with exec.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#define TRANSFER_PROGRAM "unikit-transfer"

struct verb {
    const char *name;
    int (*fn)(int argc, char **argv); /* NULL: a verb of unikit-transfer's */
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
    {"volume", cmd_volume, "Create, list, remove and inspect named volumes"},
    {"push", NULL, "Upload an image to a registry"},
    {"pull", NULL, "Download an image from a registry"},
    {"save", NULL, "Write images to an OCI layout tar archive"},
    {"load", NULL, "Import images from an OCI layout tar archive"},
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: unikit COMMAND [OPTIONS]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        fprintf(out, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(out, "\nRun 'unikit COMMAND --help' for a command's options.\n");
}

/* argv[0] is the verb; returns only when the program cannot be run. */
static int hand_over(char **argv)
{
    struct strvec args = {0};
    char *program = unikit_libexec(TRANSFER_PROGRAM);
    strvec_push(&args, program);
    for (size_t i = 0; argv[i]; i++)
        strvec_push(&args, argv[i]);
    fflush(NULL);
    execv(program, args.v);
    cli_error("%s: cannot run %s: %s (reinstall unikit: `make install`)", argv[0], program,
              strerror(errno));
    strvec_free(&args);
    free(program);
    return EXIT_UNIKIT_ERROR;
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
            return verbs[i].fn ? verbs[i].fn(argc - 1, argv + 1) : hand_over(argv + 1);
    cli_error("'%s' is not a unikit command; see 'unikit --help'", argv[1]);
    return EXIT_UNIKIT_ERROR;
}
