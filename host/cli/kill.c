/* unikit kill [-s SIGNAL] NAME|ID... */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "instance.h"
#include "util.h"

/* KILL ends QEMU; the others go to the supervisor, which forwards them to
   the program (qemu.h, qemu_catch_stop). */
static const struct {
    const char *name;
    int number;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},   {"USR1", SIGUSR1},
    {"USR2", SIGUSR2}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"WINCH", SIGWINCH},
};

static void kill_usage(FILE *out)
{
    fprintf(out, "Usage: unikit kill [-s SIGNAL] NAME|ID...\n\n"
                 "Kills running instances at once (SIGKILL to QEMU; exit status 137), or\n"
                 "sends the program inside another signal.\n\n"
                 "  -s, --signal SIGNAL  KILL (default), or HUP, INT, QUIT, USR1, USR2, ALRM,\n"
                 "                       TERM, WINCH: by name, with or without SIG, or number\n");
}

/* The signal arg names, or 0 with the error printed. */
static int parse_signal(const char *arg)
{
    const char *name = strncasecmp(arg, "SIG", 3) == 0 ? arg + 3 : arg;
    char *end;
    long number = strtol(arg, &end, 10);
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
        if (strcasecmp(name, signals[i].name) == 0 ||
            (*arg && !*end && number == signals[i].number))
            return signals[i].number;
    cli_error("--signal '%s': expected KILL, HUP, INT, QUIT, USR1, USR2, ALRM, TERM or WINCH", arg);
    return 0;
}

static int kill_one(struct instance *inst, void *ctx)
{
    int sig = *(int *)ctx;
    if (sig == SIGKILL) {
        if (instance_kill(inst))
            return 0;
        cli_error("instance %.12s did not record its exit", inst->id);
        return -1;
    }
    instance_refresh(inst);
    if (instance_active(inst) && instance_signal_supervisor(inst, sig))
        return 0;
    cli_error("instance %.12s is not running", inst->id);
    return -1;
}

int cmd_kill(int argc, char **argv)
{
    static const struct option opts[] = {
        {"signal", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {0}};
    int sig = SIGKILL, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
        if (c == 's' && !(sig = parse_signal(optarg)))
            return EXIT_UNIKIT_ERROR;
        if (c == 'h') {
            kill_usage(stdout);
            return 0;
        }
        if (c == '?') {
            kill_usage(stderr);
            return EXIT_UNIKIT_ERROR;
        }
    }
    if (optind >= argc) {
        cli_error("kill needs at least one instance name or id");
        return EXIT_UNIKIT_ERROR;
    }
    return cli_each_instance(argv + optind, argc - optind, kill_one, &sig);
}
