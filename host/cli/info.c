/* unikit info [--format json]: this host, as `run` sees it, and the store. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "accel.h"
#include "cli.h"
#include "instance.h"
#include "qemu.h"
#include "util.h"

static const char *const guest_arches[] = {"x86_64", "aarch64"};
#define NARCH (sizeof(guest_arches) / sizeof(guest_arches[0]))

static void info_usage(FILE *out)
{
    fprintf(out, "Usage: unikit info [--format json]\n\n"
                 "Shows the host, the accelerator `run` uses for each guest architecture\n"
                 "and why, QEMU's versions, and the store.\n\n"
                 "      --format FORMAT  text (default) or json\n");
}

/* "7.2.22" from the first line of `QEMU --version`; "" when it does not run. */
static void qemu_version(const char *qemu, char buf[64])
{
    buf[0] = '\0';
    if (!program_exists(qemu))
        return;
    char *cmd = xasprintf("%s --version 2>/dev/null", qemu);
    FILE *p = popen(cmd, "r");
    char line[256];
    if (p && fgets(line, sizeof(line), p)) {
        const char *v = strstr(line, "version ");
        if (v && sscanf(v + 8, "%63s", buf) != 1)
            buf[0] = '\0';
    }
    if (p)
        pclose(p);
    free(cmd);
}

static json_t *accelerators(const char *home)
{
    json_t *all = json_object();
    for (size_t i = 0; i < NARCH; i++) {
        struct accel_choice c;
        char err[512];
        accel_choose(home, guest_arches[i], NULL, &c, err, sizeof(err));
        json_object_set_new(all, guest_arches[i],
                            json_pack("{s:s, s:s}", "Accel", c.name, "Reason", c.why));
    }
    return all;
}

static json_t *qemus(void)
{
    json_t *all = json_object();
    for (size_t i = 0; i < NARCH; i++) {
        const char *qemu = qemu_binary(guest_arches[i]);
        char version[64];
        qemu_version(qemu, version);
        json_object_set_new(all, guest_arches[i],
                            json_pack("{s:s, s:o}", "Program", qemu, "Version",
                                      *version ? json_string(version) : json_null()));
    }
    return all;
}

/* Images (distinct names) and instances by state; -1 counts when unreadable. */
static json_t *store_counts(const char *home)
{
    struct store s = {0};
    struct store_image *imgs = NULL;
    size_t nimg = 0;
    char err[1024];
    json_int_t names = -1;
    if (store_open(&s, home, err, sizeof(err)) == 0 &&
        store_list(&s, &imgs, &nimg, NULL, err, sizeof(err)) == 0) {
        names = 0;
        for (size_t i = 0; i < nimg; i++) {
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = strcmp(imgs[i].ref, imgs[j].ref) == 0;
            names += !seen;
        }
        store_images_free(imgs, nimg);
    }
    store_close(&s);
    struct instance *list = NULL;
    size_t ninst = 0;
    json_int_t running = 0, total = -1;
    if (instance_list(home, &list, &ninst, err, sizeof(err)) == 0) {
        total = (json_int_t)ninst;
        for (size_t i = 0; i < ninst; i++) {
            instance_refresh(&list[i]);
            running += list[i].state.status == INSTANCE_RUNNING;
        }
        instance_list_free(list, ninst);
    }
    return json_pack("{s:s, s:I, s:I, s:I}", "Path", home, "Images", names, "Instances", total,
                     "Running", running);
}

static json_t *gather(void)
{
    struct utsname u;
    if (uname(&u) < 0)
        snprintf(u.release, sizeof(u.release), "unknown");
    char *home = unikit_home();
    char *raw = unikit_libdir();
    char *libdir = realpath(raw, NULL);
    if (!libdir)
        libdir = xstrdup(raw);
    free(raw);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "Version", UNIKIT_VERSION,
                          "HostArch", host_arch(), "Kernel", u.release, "LibDir", libdir, "Qemu",
                          qemus(), "Accelerators", accelerators(home), "Store", store_counts(home));
    free(libdir);
    free(home);
    return j;
}

static const char *str(json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : "";
}

static long long num(json_t *j, const char *key)
{
    return (long long)json_integer_value(json_object_get(j, key));
}

static void print_text(json_t *j)
{
    printf("Host:          %s, Linux %s\n", str(j, "HostArch"), str(j, "Kernel"));
    printf("unikit:        %s (kernel objects in %s)\n", str(j, "Version"), str(j, "LibDir"));
    printf("QEMU:\n");
    for (size_t i = 0; i < NARCH; i++) {
        json_t *q = json_object_get(json_object_get(j, "Qemu"), guest_arches[i]);
        const char *v = str(q, "Version");
        printf("  %-12s %s %s\n", guest_arches[i], str(q, "Program"), *v ? v : "(not installed)");
    }
    printf("Accelerators:\n");
    for (size_t i = 0; i < NARCH; i++) {
        json_t *a = json_object_get(json_object_get(j, "Accelerators"), guest_arches[i]);
        printf("  %-12s %s: %s\n", guest_arches[i], str(a, "Accel"), str(a, "Reason"));
    }
    json_t *s = json_object_get(j, "Store");
    printf("Store:         %s\n", str(s, "Path"));
    printf("  Images:      %lld\n", num(s, "Images"));
    printf("  Instances:   %lld (%lld running)\n", num(s, "Instances"), num(s, "Running"));
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0)) {
            json = strcmp(optarg, "json") == 0;
        } else if (c == 'f') {
            cli_error("--format '%s': expected text or json", optarg);
            return EXIT_UNIKIT_ERROR;
        } else if (c == 'h') {
            info_usage(stdout);
            return 0;
        } else {
            info_usage(stderr);
            return EXIT_UNIKIT_ERROR;
        }
    }
    if (optind < argc) {
        cli_error("info takes no arguments");
        return EXIT_UNIKIT_ERROR;
    }
    json_t *j = gather();
    if (json) {
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        print_text(j);
    }
    json_decref(j);
    return 0;
}
