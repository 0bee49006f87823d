/* unikit stop [-t SECONDS] NAME|ID... */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "instance.h"
#include "util.h"

#define DEFAULT_STOP_SECONDS 10

static void stop_usage(FILE *out)
{
    fprintf(out,
            "Usage: unikit stop [-t SECONDS] NAME|ID...\n\n"
            "Stops running instances: SIGTERM to QEMU, then SIGKILL after the timeout.\n"
            "An instance that has already exited is left as it is.\n\n"
            "  -t, --time SECONDS   how long to wait before SIGKILL (default %d)\n",
            DEFAULT_STOP_SECONDS);
}

static int parse_stop(int argc, char **argv, double *timeout)
{
    static const struct option opts[] = {
        {"time", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'}, {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
        char *end;
        if (c == 't') {
            long t = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || t < 0 || t > 86400) {
                cli_error("-t '%s': expected a number of seconds", optarg);
                return -1;
            }
            *timeout = (double)t;
        } else if (c == 'h') {
            stop_usage(stdout);
            exit(0);
        } else {
            stop_usage(stderr);
            return -1;
        }
    }
    if (optind >= argc) {
        cli_error("stop needs at least one instance name or id");
        return -1;
    }
    return optind;
}

static int stop_one(struct instance *inst, void *timeout)
{
    if (instance_stop(inst, *(double *)timeout))
        return 0;
    cli_error("instance %.12s did not record its exit", inst->id);
    return -1;
}

int cmd_stop(int argc, char **argv)
{
    double timeout = DEFAULT_STOP_SECONDS;
    int first = parse_stop(argc, argv, &timeout);
    if (first < 0)
        return EXIT_UNIKIT_ERROR;
    return cli_each_instance(argv + first, argc - first, stop_one, &timeout);
}
