/* unikit build [-t NAME] [--arch ARCH] DIR */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "image.h"
#include "unikfile.h"
#include "util.h"

static void build_usage(FILE *out)
{
    fprintf(out, "Usage: unikit build [-t NAME] [--arch ARCH] DIR\n\n"
                 "Builds DIR/Unikfile into an image and stores it.\n\n"
                 "  -t, --tag NAME   store the image as NAME (default: the Unikfile's name)\n"
                 "      --arch ARCH  build for ARCH only (x86_64, aarch64)\n"
                 "  -q, --quiet      print nothing but errors\n");
}

static struct image_config config_of(const struct unikfile *uf, const char *arch, bool net)
{
    return (struct image_config){
        .arch = (char *)arch,
        .cmd = uf->cmd,
        .env = uf->env,
        .ports = uf->ports,
        .memory = uf->memory,
        .created = time(NULL),
        .net = net,
    };
}

static int build_arch(struct store *s, const struct unikfile *uf, const char *ref, const char *arch,
                      bool quiet)
{
    char err[1024];
    char *tmp = xasprintf("%s/tmp", s->home);
    mkdir_p(tmp, 0700);
    char *workdir = xasprintf("%s/build-XXXXXX", tmp);
    int rc = -1;
    if (!mkdtemp(workdir)) {
        cli_error("%s: cannot create a build folder", tmp);
        goto out;
    }
    char *image = xasprintf("%s/image.elf", workdir);
    bool net = false;
    if (image_build(uf, arch, workdir, image, &net, err, sizeof(err)) == 0) {
        struct image_config cfg = config_of(uf, arch, net);
        rc = store_put(s, ref, &cfg, image, err, sizeof(err));
    }
    if (rc < 0) {
        cli_error("%s", err);
    } else if (!quiet) {
        struct stat st;
        char size[32] = "?";
        if (stat(image, &st) == 0)
            format_size((unsigned long long)st.st_size, size, sizeof(size));
        printf("built %s (%s, %s)\n", ref, arch, size);
    }
    free(image);
    remove_tree(workdir);
out:
    free(workdir);
    free(tmp);
    return rc;
}

int cmd_build(int argc, char **argv)
{
    static const struct option opts[] = {{"tag", required_argument, NULL, 't'},
                                         {"arch", required_argument, NULL, 'a'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    const char *tag = NULL, *arch = NULL;
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            tag = optarg;
            break;
        case 'a':
            arch = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            build_usage(stdout);
            return 0;
        default:
            build_usage(stderr);
            return 1;
        }
    }
    if (optind != argc - 1) {
        build_usage(stderr);
        return 1;
    }

    char err[1024];
    struct unikfile uf;
    char *path = xasprintf("%s/Unikfile", argv[optind]);
    int rc = unikfile_load(path, &uf, err, sizeof(err));
    free(path);
    if (rc < 0) {
        cli_error("%s", err);
        return 1;
    }
    char *ref = store_normalize_ref(tag ? tag : uf.name);
    struct store s = {0};
    if (!ref) {
        cli_error("'%s' is not a valid image name (lowercase letters, digits, . _ - /)",
                  tag ? tag : uf.name);
        rc = -1;
    } else if (cli_open_store(&s) < 0) {
        rc = -1;
    } else if (arch) {
        rc = build_arch(&s, &uf, ref, arch, quiet);
    } else {
        for (size_t i = 0; rc == 0 && i < uf.narch; i++)
            rc = build_arch(&s, &uf, ref, uf.arch[i], quiet);
    }
    store_close(&s);
    free(ref);
    unikfile_free(&uf);
    return rc < 0 ? 1 : 0;
}
