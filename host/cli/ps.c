/* unikit ps [-a] [-q] [--format json]: ID NAME IMAGE ARCH STATUS PORTS */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "instance.h"
#include "network.h"
#include "util.h"
#include "volume.h"

struct ps_options {
    bool all, quiet, json;
};

static void ps_usage(FILE *out)
{
    fprintf(out, "Usage: unikit ps [OPTIONS]\n\n"
                 "Lists running instances, newest first.\n\n"
                 "  -a, --all            include instances that have exited\n"
                 "  -q, --quiet          print the short ids only\n"
                 "      --format FORMAT  table (default), or json: one object per line\n");
}

static int parse_ps(int argc, char **argv, struct ps_options *o)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "aqh", opts, NULL)) != -1) {
        if (c == 'a') {
            o->all = true;
        } else if (c == 'q') {
            o->quiet = true;
        } else if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0)) {
            o->json = strcmp(optarg, "json") == 0;
        } else if (c == 'f') {
            cli_error("--format '%s': expected table or json", optarg);
            return -1;
        } else if (c == 'h') {
            ps_usage(stdout);
            exit(0);
        } else {
            ps_usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        cli_error("ps takes no arguments");
        return -1;
    }
    return 0;
}

/* "Up 3 seconds", "Exited (0) 2 seconds ago", "Exited (unknown)", as docker words it. */
static void status_text(const struct instance *inst, char *buf, size_t len)
{
    const struct instance_state *st = &inst->state;
    time_t now = time(NULL);
    char age[64];
    if (st->status == INSTANCE_RUNNING) {
        format_age((long long)(now - st->started.tv_sec), age, sizeof(age));
        char *ago = strstr(age, " ago");
        if (ago)
            *ago = '\0';
        snprintf(buf, len, "Up %s", age);
    } else if (st->status == INSTANCE_CREATED) {
        snprintf(buf, len, "Created");
    } else if (st->exit_code == INSTANCE_EXIT_UNKNOWN) {
        snprintf(buf, len, "Exited (unknown)");
    } else {
        format_age((long long)(now - st->finished.tv_sec), age, sizeof(age));
        snprintf(buf, len, "Exited (%d) %s", st->exit_code, age);
    }
}

/* True when a -p mapping forwards to the image's port ("80", "53/udp"). */
static bool published(char **publish, const char *port)
{
    char text[64], want[32];
    snprintf(want, sizeof(want), ">%s%s", port, strchr(port, '/') ? "" : "/tcp");
    for (size_t i = 0; publish && publish[i]; i++) {
        network_port_text(publish[i], text, sizeof(text));
        char *arrow = strchr(text, '-');
        if (arrow && strcmp(arrow + 1, want) == 0)
            return true;
    }
    return false;
}

/* As docker shows them: the -p mappings, "0.0.0.0:8080->80/tcp", then the
 * image's other ports, "53/udp". */
static void ports_text(const struct instance_config *c, char *buf, size_t len)
{
    size_t used = 0;
    char text[64];
    buf[0] = '\0';
    for (size_t i = 0; c->publish && c->publish[i] && used < len; i++) {
        network_port_text(c->publish[i], text, sizeof(text));
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", text);
    }
    for (size_t i = 0; c->ports && c->ports[i] && used < len; i++)
        if (!published(c->publish, c->ports[i]))
            used += (size_t)snprintf(buf + used, len - used, "%s%s%s", used ? ", " : "",
                                     c->ports[i], strchr(c->ports[i], '/') ? "" : "/tcp");
}

static void print_json(const struct instance *inst, const char *status, const char *ports)
{
    char created[64];
    instance_format_time(&inst->created, created, sizeof(created));
    char *command = NULL;
    for (size_t i = 0; inst->config.cmd && inst->config.cmd[i]; i++) {
        char *next = xasprintf("%s%s%s", command ? command : "", i ? " " : "", inst->config.cmd[i]);
        free(command);
        command = next;
    }
    /* null until it has exited, as in inspect; "o" hands the reference to j */
    json_t *exit_code =
        inst->state.status == INSTANCE_EXITED ? json_integer(inst->state.exit_code) : json_null();
    char *mounts = volume_mounts_text(inst->config.volumes);
    json_t *j =
        json_pack("{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "ID", inst->id,
                  (size_t)INSTANCE_SHORT_LEN, "Names", inst->name, "Image", inst->config.image,
                  "Arch", inst->config.arch, "Command", command ? command : "", "CreatedAt",
                  created, "State", instance_status_name(inst->state.status), "Status", status,
                  "Ports", ports, "Mounts", mounts, "ExitCode", exit_code);
    free(mounts);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(j);
    free(command);
}

static void print_row(const struct instance *inst, const struct ps_options *o)
{
    char status[128], ports[512] = "";
    status_text(inst, status, sizeof(status));
    /* As docker: an instance that no longer runs forwards nothing. */
    if (instance_active(inst))
        ports_text(&inst->config, ports, sizeof(ports));
    if (o->quiet)
        printf("%.*s\n", INSTANCE_SHORT_LEN, inst->id);
    else if (o->json)
        print_json(inst, status, ports);
    else
        printf("%-12.12s  %-20s %-24s %-7s %-28s %s\n", inst->id, inst->name, inst->config.image,
               inst->config.arch, status, ports);
}

int cmd_ps(int argc, char **argv)
{
    struct ps_options o = {0};
    if (parse_ps(argc, argv, &o) < 0)
        return EXIT_UNIKIT_ERROR;
    struct instance *list = NULL;
    size_t count = 0;
    char err[1024];
    char *home = unikit_home();
    int rc = instance_list(home, &list, &count, err, sizeof(err));
    free(home);
    if (rc < 0) {
        cli_error("%s", err);
        return EXIT_UNIKIT_ERROR;
    }
    if (!o.quiet && !o.json)
        printf("%-12s  %-20s %-24s %-7s %-28s %s\n", "ID", "NAME", "IMAGE", "ARCH", "STATUS",
               "PORTS");
    for (size_t i = 0; i < count; i++) {
        instance_refresh(&list[i]);
        if (o.all || list[i].state.status == INSTANCE_RUNNING)
            print_row(&list[i], &o);
    }
    instance_list_free(list, count);
    return 0;
}
