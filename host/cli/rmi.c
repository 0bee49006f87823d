/* unikit rmi [-f] IMAGE...: removes names; blobs no name reaches are deleted. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static void rmi_usage(FILE *out)
{
    fprintf(out, "Usage: unikit rmi [-f] IMAGE...\n\n"
                 "Removes images (all their architectures) from the store.\n\n"
                 "  -f, --force   no error for an image that does not exist\n");
}

static int parse_rmi(int argc, char **argv, bool *force)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        if (c == 'f') {
            *force = true;
        } else if (c == 'h') {
            rmi_usage(stdout);
            exit(0);
        } else {
            rmi_usage(stderr);
            return -1;
        }
    }
    if (optind >= argc) {
        rmi_usage(stderr);
        return -1;
    }
    return optind;
}

/* 0 removed (or absent under -f), -1 failed. */
static int remove_one(struct store *s, const char *name, bool force)
{
    char err[1024];
    char *ref = store_normalize_ref(name);
    if (!ref) {
        cli_error("invalid reference format: '%s'", name);
        return -1;
    }
    int rc = store_remove(s, ref, err, sizeof err);
    if (rc == 0)
        printf("untagged %s\n", ref);
    else if (force && strncmp(err, "no such image", 13) == 0)
        rc = 0;
    else
        cli_error("%s", err);
    free(ref);
    return rc;
}

int cmd_rmi(int argc, char **argv)
{
    bool force = false;
    int first = parse_rmi(argc, argv, &force);
    struct store s = {0};
    if (first < 0 || cli_open_store(&s) < 0)
        return EXIT_UNIKIT_ERROR;
    int failed = 0;
    for (int i = first; i < argc; i++)
        failed |= remove_one(&s, argv[i], force) != 0;
    store_close(&s);
    return failed ? EXIT_UNIKIT_ERROR : 0;
}
