/* unikit logs [-f] NAME|ID: the instance's console output. */
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
#include "util.h"

static void logs_usage(FILE *out)
{
    fprintf(out, "Usage: unikit logs [-f] NAME|ID\n\n"
                 "Prints the instance's console output.\n\n"
                 "  -f, --follow   keep printing new output until the guest exits\n");
}

/* Copies what fd has now to stdout; -1 when stdout is gone. */
static int copy_available(int fd)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
        for (ssize_t done = 0, w; done < n; done += w) {
            w = write(1, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                w = 0;
            else if (w < 0)
                return -1;
        }
    }
    return 0;
}

/* The file stays open, so output written just before a removal is still read. */
static void follow(struct instance *inst, int fd)
{
    struct timespec step = {0, 100 * 1000 * 1000};
    for (;;) {
        if (copy_available(fd) < 0)
            return;
        if (access(inst->dir, F_OK) != 0)
            break;
        instance_refresh(inst);
        if (!instance_active(inst))
            break;
        nanosleep(&step, NULL);
    }
    /* What the guest wrote between the last read and its exit. */
    copy_available(fd);
}

static int parse_logs(int argc, char **argv, bool *follow_flag)
{
    static const struct option opts[] = {
        {"follow", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        if (c == 'f') {
            *follow_flag = true;
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
    return optind;
}

int cmd_logs(int argc, char **argv)
{
    bool follow_flag = false;
    int first = parse_logs(argc, argv, &follow_flag);
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
        if (follow_flag)
            follow(&inst, fd);
        else
            copy_available(fd);
        close(fd);
    }
    free(path);
    instance_free(&inst);
    return code;
}
