/* unikit volume create|ls|rm|inspect: named volumes (volume.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"
#include "volume.h"

static void volume_usage(FILE *out)
{
    fprintf(out, "Usage: unikit volume COMMAND\n\n"
                 "Named volumes: folders kept under $UNIKIT_HOME/volumes that outlive\n"
                 "instances; `unikit run -v NAME:/path` mounts one.\n\n"
                 "  create NAME...        make volumes (one that exists is kept as it is)\n"
                 "  ls [-q]               list them (-q: names only)\n"
                 "  rm [-f] NAME...       remove them and their data; refused while a\n"
                 "                        running instance uses one (-f: no error if missing)\n"
                 "  inspect NAME...       show them as JSON\n");
}

static bool exists(const char *home, const char *name)
{
    struct stat st;
    char *dir = volume_dir(home, name);
    bool ok = volume_name_valid(name) && stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    free(dir);
    return ok;
}

static int create(const char *home, int argc, char **argv)
{
    int code = 0;
    char err[1024];
    for (int i = 0; i < argc; i++) {
        if (volume_create(home, argv[i], err, sizeof(err)) < 0) {
            cli_error("%s", err);
            code = EXIT_UNIKIT_ERROR;
        } else {
            printf("%s\n", argv[i]);
        }
    }
    return code;
}

static int list(const char *home, int argc, char **argv)
{
    bool quiet = argc == 1 && strcmp(argv[0], "-q") == 0;
    if (argc > 1 || (argc == 1 && !quiet)) {
        volume_usage(stderr);
        return EXIT_UNIKIT_ERROR;
    }
    char **names = volume_names(home);
    if (!quiet)
        printf("VOLUME NAME\n");
    for (size_t i = 0; names[i]; i++) {
        printf("%s\n", names[i]);
        free(names[i]);
    }
    free(names);
    return 0;
}

static int remove_one(const char *home, const char *name, bool force)
{
    if (!exists(home, name)) {
        if (force)
            return 0;
        cli_error("no such volume: %s", name);
        return -1;
    }
    char *user = volume_user(home, name);
    if (user) {
        cli_error("volume %s is in use by running instance %s", name, user);
        free(user);
        return -1;
    }
    char *dir = volume_dir(home, name);
    int rc = remove_tree(dir);
    if (rc != 0)
        cli_error("cannot remove volume %s (%s)", name, dir);
    else
        printf("%s\n", name);
    free(dir);
    return rc;
}

static int remove_all(const char *home, int argc, char **argv)
{
    bool force = argc > 0 && strcmp(argv[0], "-f") == 0;
    int code = 0;
    for (int i = force ? 1 : 0; i < argc; i++)
        if (remove_one(home, argv[i], force) < 0)
            code = EXIT_UNIKIT_ERROR;
    return code;
}

static json_t *volume_json(const char *home, const char *name)
{
    char *dir = volume_dir(home, name), *data = volume_data_dir(home, name);
    char *meta = xasprintf("%s/volume.json", dir);
    json_t *saved = json_load_file(meta, 0, NULL);
    const char *created = json_string_value(json_object_get(saved, "CreatedAt"));
    char *user = volume_user(home, name);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o}", "Name", name, "Driver", "local",
                          "Mountpoint", data, "CreatedAt", created ? created : "", "UsedBy",
                          user ? json_string(user) : json_null());
    json_decref(saved);
    free(user);
    free(meta);
    free(data);
    free(dir);
    return j;
}

static int inspect(const char *home, int argc, char **argv)
{
    json_t *out = json_array();
    int code = 0;
    for (int i = 0; i < argc; i++) {
        if (!exists(home, argv[i])) {
            cli_error("no such volume: %s", argv[i]);
            code = EXIT_UNIKIT_ERROR;
            continue;
        }
        json_array_append_new(out, volume_json(home, argv[i]));
    }
    char *text = json_dumps(out, JSON_INDENT(4));
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(out);
    return code;
}

int cmd_volume(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        volume_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_UNIKIT_ERROR : 0;
    }
    const char *verb = argv[1];
    bool takes_names = strcmp(verb, "ls") != 0;
    if (takes_names && argc < 3) {
        volume_usage(stderr);
        return EXIT_UNIKIT_ERROR;
    }
    char *home = unikit_home();
    int code;
    if (strcmp(verb, "create") == 0) {
        code = create(home, argc - 2, argv + 2);
    } else if (strcmp(verb, "ls") == 0) {
        code = list(home, argc - 2, argv + 2);
    } else if (strcmp(verb, "rm") == 0) {
        code = remove_all(home, argc - 2, argv + 2);
    } else if (strcmp(verb, "inspect") == 0) {
        code = inspect(home, argc - 2, argv + 2);
    } else {
        cli_error("volume: unknown command '%s' (create, ls, rm, inspect)", verb);
        code = EXIT_UNIKIT_ERROR;
    }
    free(home);
    return code;
}
