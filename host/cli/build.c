/* unikit build [-t NAME] [--arch ARCH] [-o FILE] [--allow-outside-context] DIR */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "image.h"
#include "spec.h"
#include "unikfile.h"
#include "util.h"

static void build_usage(FILE *out)
{
    fprintf(
        out,
        "Usage: unikit build [-t NAME] [--arch ARCH] [-o FILE] [--allow-outside-context] DIR\n\n"
        "Builds DIR/Unikfile into an image and stores it.\n\n"
        "  -t, --tag NAME     store the image as NAME (default: the Unikfile's name)\n"
        "      --arch ARCH    build for ARCH only (x86_64, aarch64)\n"
        "  -o, --output FILE  write the bootable image file of one architecture to\n"
        "                     FILE instead of storing it\n"
        "  -q, --quiet        print nothing but errors\n"
        "      --allow-outside-context\n"
        "                     let files: copy host paths outside DIR (absolute\n"
        "                     paths, .., symlinks leading out); by default only\n"
        "                     what lies inside DIR goes into the image\n");
}

static struct image_config config_of(const struct unikfile *uf, const char *arch, bool net,
                                     char *explain)
{
    return (struct image_config){
        .arch = (char *)arch,
        .cmd = uf->cmd,
        .env = uf->env,
        .ports = uf->ports,
        .volumes = uf->volumes,
        .memory = uf->memory,
        .created = time(NULL),
        .net = net,
        .specialization = explain,
    };
}

/* "built hello:latest (x86_64, 61.2 kB; specialised to 14 of 360 system calls, 45.3 kB smaller)" */
static void report_built(const char *what, const char *arch, const char *image, const char *explain)
{
    struct stat st;
    char size[32] = "?", spec[800];
    if (stat(image, &st) == 0)
        format_size((unsigned long long)st.st_size, size, sizeof(size));
    spec_summary(explain, spec, sizeof(spec));
    printf("built %s (%s, %s; %s)\n", what, arch, size, spec);
}

/* A fresh build folder under parent; NULL with the error printed. */
static char *make_workdir(const char *parent)
{
    mkdir_p(parent, 0700);
    char *workdir = xasprintf("%s/build-XXXXXX", parent);
    if (mkdtemp(workdir))
        return workdir;
    cli_error("%s: cannot create a build folder: %s", parent, strerror(errno));
    free(workdir);
    return NULL;
}

/* -o FILE: the image file itself, for one architecture, not stored. */
static int build_file(const struct unikfile *uf, const char *arch, const char *output, bool quiet)
{
    if (!arch && uf->narch != 1) {
        cli_error("%s: -o writes one architecture's image, and field 'arch' lists %zu: add --arch",
                  uf->path, uf->narch);
        return -1;
    }
    arch = arch ? arch : uf->arch[0];
    const char *tmpdir = getenv("TMPDIR");
    char *workdir = make_workdir(tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!workdir)
        return -1;
    char err[1024];
    bool net = false;
    char *explain = NULL;
    int rc = image_build(uf, arch, workdir, output, &net, &explain, err, sizeof(err));
    if (rc < 0)
        cli_error("%s", err);
    else if (!quiet)
        report_built(output, arch, output, explain);
    free(explain);
    remove_tree(workdir);
    free(workdir);
    return rc;
}

static int build_arch(struct store *s, const struct unikfile *uf, const char *ref, const char *arch,
                      bool quiet)
{
    char err[1024];
    char *tmp = xasprintf("%s/tmp", s->home);
    char *workdir = make_workdir(tmp);
    int rc = -1;
    if (!workdir)
        goto out;
    char *image = xasprintf("%s/image.elf", workdir);
    bool net = false;
    char *explain = NULL;
    if (image_build(uf, arch, workdir, image, &net, &explain, err, sizeof(err)) == 0) {
        struct image_config cfg = config_of(uf, arch, net, explain);
        rc = store_put(s, ref, &cfg, image, err, sizeof(err));
    }
    if (rc < 0)
        cli_error("%s", err);
    else if (!quiet)
        report_built(ref, arch, image, explain);
    free(explain);
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
                                         {"output", required_argument, NULL, 'o'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"allow-outside-context", no_argument, NULL, 'X'},
                                         {0}};
    const char *tag = NULL, *arch = NULL, *output = NULL;
    bool quiet = false;
    unsigned flags = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+t:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            tag = optarg;
            break;
        case 'a':
            arch = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'X':
            flags |= UNIKFILE_ALLOW_OUTSIDE_CONTEXT;
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
    int rc = unikfile_load_flags(path, flags, &uf, err, sizeof(err));
    free(path);
    if (rc < 0) {
        cli_error("%s", err);
        return 1;
    }
    if (output) {
        rc = build_file(&uf, arch, output, quiet);
        unikfile_free(&uf);
        return rc < 0 ? 1 : 0;
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
