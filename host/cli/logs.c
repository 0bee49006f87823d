/* unikit logs [-f] [--stdout|--stderr] NAME|ID: what the instance's program wrote. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "instance.h"
#include "outlog.h"
#include "util.h"

/* Which streams to print: each to where it was written. */
struct logs_options {
    bool follow, out, err;
};

static void logs_usage(FILE *out)
{
    fprintf(out, "Usage: unikit logs [-f] [--stdout|--stderr] NAME|ID\n\n"
                 "Prints what the instance's program wrote: its stdout on stdout, its\n"
                 "stderr and the kernel's messages on stderr, in the order written.\n\n"
                 "  -f, --follow   keep printing new output until the guest exits\n"
                 "      --stdout   only the program's stdout\n"
                 "      --stderr   only its stderr and the kernel's messages\n");
}

static int print_record(void *ctx, enum outlog_stream stream, const void *buf, size_t len)
{
    const struct logs_options *o = ctx;
    if (stream == OUTLOG_STDOUT)
        return o->out ? write_all(1, buf, len) : 0;
    return o->err ? write_all(2, buf, len) : 0;
}

/* Prints the whole records fd has now; -1 when the output is gone or the log is damaged. */
static int copy_available(int fd, struct logs_options *o)
{
    return outlog_read(fd, print_record, o);
}

/* The file stays open, so output written just before a removal is still read. */
static void follow(struct instance *inst, int fd, struct logs_options *o)
{
    struct timespec step = {0, 100 * 1000 * 1000};
    for (;;) {
        if (copy_available(fd, o) < 0)
            return;
        if (access(inst->dir, F_OK) != 0)
            break;
        instance_refresh(inst);
        if (!instance_active(inst))
            break;
        nanosleep(&step, NULL);
    }
    /* What the guest wrote between the last read and its exit. */
    copy_available(fd, o);
}

static int parse_logs(int argc, char **argv, struct logs_options *o)
{
    static const struct option opts[] = {{"follow", no_argument, NULL, 'f'},
                                         {"stdout", no_argument, NULL, 'o'},
                                         {"stderr", no_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    bool only_out = false, only_err = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        if (c == 'f') {
            o->follow = true;
        } else if (c == 'o') {
            only_out = true;
        } else if (c == 'e') {
            only_err = true;
        } else if (c == 'h') {
            logs_usage(stdout);
            exit(0);
        } else {
            logs_usage(stderr);
            return -1;
        }
    }
    if (argc - optind != 1) {
        cli_error("logs takes one instance name or id");
        return -1;
    }
    /* Neither flag, or both: everything. */
    o->out = only_out || !only_err;
    o->err = only_err || !only_out;
    return optind;
}

int cmd_logs(int argc, char **argv)
{
    struct logs_options o = {0};
    int first = parse_logs(argc, argv, &o);
    if (first < 0)
        return EXIT_UNIKIT_ERROR;
    struct instance inst;
    char err[1024];
    char *home = unikit_home();
    int rc = instance_find(home, argv[first], &inst, err, sizeof(err));
    free(home);
    if (rc < 0) {
        cli_error("%s", err);
        return EXIT_UNIKIT_ERROR;
    }
    char *path = instance_log_path(&inst);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int code = 0;
    if (fd < 0 && errno != ENOENT) {
        cli_error("cannot read %s: %s", path, strerror(errno));
        code = EXIT_UNIKIT_ERROR;
    } else if (fd >= 0) {
        fflush(stdout);
        if (o.follow)
            follow(&inst, fd, &o);
        else if (copy_available(fd, &o) < 0 && errno != EPIPE)
            code = EXIT_UNIKIT_ERROR, cli_error("%s: the log is damaged", path);
        close(fd);
    }
    free(path);
    instance_free(&inst);
    return code;
}
