/* state ID, ps [--format table|json] ID, features: what the engines read. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "util.h"

int cmd_state(int argc, char **argv)
{
    if (argc != 2)
        return rt_error("state: expected one container id (state ID)");
    struct ct_state st;
    int rc = state_take(argv[1], &st);
    if (rc)
        return rc;
    json_t *doc = state_json(&st, state_status(&st));
    print_json(doc);
    json_decref(doc);
    state_free(&st);
    return 0;
}

/* The container process and its children (QEMU). */
static json_t *container_pids(const struct ct_state *st)
{
    json_t *pids = json_array();
    if (state_status(st) == CT_STOPPED)
        return pids;
    json_array_append_new(pids, json_integer(st->pid));
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)st->pid, (int)st->pid);
    FILE *f = fopen(path, "re");
    int child;
    while (f && fscanf(f, "%d", &child) == 1)
        json_array_append_new(pids, json_integer(child));
    if (f)
        fclose(f);
    return pids;
}

int cmd_ps(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {0}};
    const char *format = "table";
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
        if (c == '?')
            return rt_error("ps: unknown option '%s'", argv[optind - 1]);
        format = optarg;
    }
    if (strcmp(format, "json") != 0 && strcmp(format, "table") != 0)
        return rt_error("ps: --format '%s': expected table or json", format);
    if (optind != argc - 1)
        return rt_error("ps: expected one container id (ps [--format json] ID)");
    struct ct_state st;
    int rc = state_take(argv[optind], &st);
    if (rc)
        return rc;
    json_t *pids = container_pids(&st);
    if (strcmp(format, "json") == 0) {
        char *text = json_dumps(pids, JSON_COMPACT);
        printf("%s\n", text ? text : "[]");
        free(text);
    } else {
        size_t i;
        json_t *pid;
        printf("PID\n");
        json_array_foreach(pids, i, pid) printf("%lld\n", (long long)json_integer_value(pid));
    }
    json_decref(pids);
    state_free(&st);
    return 0;
}

/* The runtime spec's features document (features.md). */
int cmd_features(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return rt_error("features: takes no arguments");
    json_t *doc =
        json_pack("{s:s, s:s, s:[s,s,s,s,s,s], s:[], s:{s:[s], s:[], s:{s:b}}, s:{s:s, s:s}}",
                  "ociVersionMin", "1.0.0", "ociVersionMax", OCI_VERSION, "hooks", "prestart",
                  "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
                  "mountOptions", "linux", "namespaces", "network", "capabilities", "cgroup", "v1",
                  0, "annotations", "org.unikit.runtime.version", UNIKIT_VERSION,
                  "org.unikit.runtime.fallback", "runc");
    print_json(doc);
    json_decref(doc);
    return 0;
}
