/* unikit images: NAME ARCH SIZE CREATED */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util.h"

/* "hello:latest" is shown as "hello", as people type it. */
static void display_name(const char *ref, char *buf, size_t len)
{
    size_t n = strlen(ref);
    const char *latest = ":latest";
    if (n > strlen(latest) && strcmp(ref + n - strlen(latest), latest) == 0)
        snprintf(buf, len, "%.*s", (int)(n - strlen(latest)), ref);
    else
        snprintf(buf, len, "%s", ref);
}

int cmd_images(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            printf("Usage: unikit images\n\nLists stored images, one line per architecture.\n");
            return 0;
        }
        cli_error("images takes no arguments");
        return 1;
    }
    struct store s = {0};
    struct store_image *imgs = NULL;
    size_t count = 0;
    char **bad = NULL;
    char err[1024];
    if (cli_open_store(&s) < 0)
        return 1;
    /* One damaged image must not hide the others: they are listed, it is named. */
    if (store_list(&s, &imgs, &count, &bad, err, sizeof(err)) < 0) {
        cli_error("%s", err);
        store_close(&s);
        return 1;
    }
    printf("%-32s %-8s %-10s %s\n", "NAME", "ARCH", "SIZE", "CREATED");
    time_t now = time(NULL);
    for (size_t i = 0; i < count; i++) {
        char name[256], size[32], age[64];
        display_name(imgs[i].ref, name, sizeof(name));
        format_size(imgs[i].layer_size, size, sizeof(size));
        format_age((long long)(now - imgs[i].config.created), age, sizeof(age));
        printf("%-32s %-8s %-10s %s\n", name, imgs[i].config.arch, size, age);
    }
    fflush(stdout);
    for (char **b = bad; b && *b; b++)
        cli_error("%s", *b);
    int code = bad ? 1 : 0;
    store_strings_free(bad);
    store_images_free(imgs, count);
    store_close(&s);
    return code;
}
