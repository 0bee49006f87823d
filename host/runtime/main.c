/*
 * unikit-runtime: runc's command line. Global flags first (--root, --log,
 * --log-format, --systemd-cgroup, --debug), then a verb. A verb for an id
 * that has no unikit state here, or a create whose rootfs holds no unikit
 * image, is runc's: the whole command line goes to runc unchanged.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "util.h"

struct rt_globals rt = {.root = DEFAULT_ROOT};

/* runc's log line: json {"level","msg","time"} or logrus's text form. */
static void log_line(const char *level, const char *msg)
{
    if (!rt.log)
        return;
    FILE *f = fopen(rt.log, "ae");
    if (!f)
        return;
    char now[64];
    utc_format(time(NULL), now, sizeof(now));
    if (rt.log_json) {
        json_t *doc = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", now);
        char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (text)
            fprintf(f, "%s\n", text);
        free(text);
        json_decref(doc);
    } else {
        fprintf(f, "time=\"%s\" level=%s msg=\"", now, level);
        for (const char *p = msg; *p; p++)
            fprintf(f, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
        fputs("\"\n", f);
    }
    fclose(f);
}

static void report(const char *level, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    fprintf(stderr, "unikit-runtime: %s\n", msg);
    log_line(level, msg);
}

int rt_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("error", fmt, ap);
    va_end(ap);
    return RT_ERROR_EXIT;
}

void rt_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report("warning", fmt, ap);
    va_end(ap);
}

void print_json(json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text)
        printf("%s\n", text);
    free(text);
}

struct verb {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct verb verbs[] = {
    {"create", cmd_create, "create a container from a bundle"},
    {"start", cmd_start, "start the program of a created container"},
    {"state", cmd_state, "print a container's OCI state"},
    {"kill", cmd_kill, "send a signal to a container's program"},
    {"delete", cmd_delete, "delete a container"},
    {"ps", cmd_ps, "list a container's processes"},
    {"exec", cmd_exec, "refused: a unikernel runs one program"},
    {"pause", cmd_pause, "freeze a container's guest"},
    {"resume", cmd_resume, "thaw a paused container's guest"},
    {"features", cmd_features, "print the runtime's features as JSON"},
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: unikit-runtime [--root DIR] [--log FILE] [--log-format text|json] "
                 "[--systemd-cgroup] [--debug] COMMAND [ARGS]\n\n"
                 "An OCI runtime with runc's commands. A bundle whose rootfs holds\n"
                 ".unikit/image.elf boots that image under QEMU; any other goes to runc.\n\n");
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        fprintf(out, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
}

static void print_version(void)
{
    printf("unikit-runtime version %s\ncommit: unikit-%s\nspec: %s\n", UNIKIT_VERSION,
           UNIKIT_VERSION, OCI_VERSION);
}

/* The global flags; the index of the verb, or -1 (after a message) on a bad flag. */
static int parse_globals(int argc, char **argv)
{
    enum { O_ROOT = 256, O_LOG, O_FORMAT, O_SYSTEMD, O_DEBUG, O_CRIU, O_ROOTLESS };
    static const struct option opts[] = {{"root", required_argument, NULL, O_ROOT},
                                         {"log", required_argument, NULL, O_LOG},
                                         {"log-format", required_argument, NULL, O_FORMAT},
                                         {"systemd-cgroup", no_argument, NULL, O_SYSTEMD},
                                         {"debug", no_argument, NULL, O_DEBUG},
                                         {"criu", required_argument, NULL, O_CRIU},
                                         {"rootless", required_argument, NULL, O_ROOTLESS},
                                         {"version", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
        switch (c) {
        case O_ROOT:
            rt.root = optarg;
            break;
        case O_LOG:
            rt.log = optarg;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
                return rt_error("--log-format '%s': expected text or json", optarg), -1;
            rt.log_json = strcmp(optarg, "json") == 0;
            break;
        case O_DEBUG:
            rt.debug = true;
            break;
        case O_SYSTEMD: /* cgroups are not used: QEMU's process is the container */
        case O_CRIU:
        case O_ROOTLESS:
            break;
        case 'v':
            print_version();
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return rt_error("unknown global flag '%s'", argv[optind - 1]), -1;
        }
    }
    return optind;
}

int main(int argc, char **argv)
{
    /* runc gets the command line as it came: getopt reorders argv. */
    rt.argc = argc;
    rt.argv = xcalloc((size_t)argc + 1, sizeof(char *));
    memcpy(rt.argv, argv, (size_t)argc * sizeof(char *));
    int first = parse_globals(argc, argv);
    if (first < 0)
        return RT_ERROR_EXIT;
    if (first >= argc) {
        usage(stderr);
        return RT_ERROR_EXIT;
    }
    const char *verb = argv[first];
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(verb, verbs[i].name) == 0)
            return verbs[i].fn(argc - first, argv + first);
    /* run, list, update, events, checkpoint...: runc's, for runc's containers. */
    return runc_exec();
}
