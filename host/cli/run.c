/* unikit run [OPTIONS] IMAGE [ARG...] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "qemu.h"
#include "unikfile.h"
#include "util.h"

#define DEFAULT_MEMORY (64ULL << 20)

struct run_options {
    struct strvec env;
    uint64_t memory;
    const char *arch;
    const char *accel;
};

static void run_usage(FILE *out)
{
    fprintf(out,
            "Usage: unikit run [OPTIONS] IMAGE [ARG...]\n\n"
            "Boots IMAGE in the foreground; exits with the program's status.\n"
            "ARGs replace the arguments of the image's cmd (the program stays).\n\n"
            "  -e, --env K=V       set an environment variable (K alone: take it from here)\n"
            "  -m, --memory SIZE   guest memory, e.g. 64M (default: the Unikfile's, else 64M)\n"
            "      --arch ARCH     which of the image's architectures to boot\n"
            "      --accel ACCEL   kvm or tcg (default: kvm when /dev/kvm is usable)\n");
}

/* -e K=V, or -e K to pass this shell's value, as docker does. */
static int add_env(struct run_options *o, const char *arg)
{
    if (!*arg || *arg == '=') {
        cli_error("-e '%s': expected NAME=VALUE", arg);
        return -1;
    }
    if (strchr(arg, '=')) {
        strvec_push(&o->env, arg);
        return 0;
    }
    const char *value = getenv(arg);
    if (value)
        strvec_pushf(&o->env, "%s=%s", arg, value);
    return 0;
}

static int parse_options(int argc, char **argv, struct run_options *o)
{
    static const struct option opts[] = {
        {"env", required_argument, NULL, 'e'},  {"memory", required_argument, NULL, 'm'},
        {"arch", required_argument, NULL, 'a'}, {"accel", required_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},       {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+e:m:h", opts, NULL)) != -1) {
        int64_t size;
        switch (c) {
        case 'e':
            if (add_env(o, optarg) < 0)
                return -1;
            break;
        case 'm':
            size = unikfile_parse_size(optarg);
            if (size < (1 << 20)) {
                cli_error("-m '%s': expected a size of at least 1M, such as 64M", optarg);
                return -1;
            }
            o->memory = (uint64_t)size;
            break;
        case 'a':
            o->arch = optarg;
            break;
        case 'A':
            if (strcmp(optarg, "kvm") != 0 && strcmp(optarg, "tcg") != 0) {
                cli_error("--accel '%s': expected kvm or tcg", optarg);
                return -1;
            }
            o->accel = optarg;
            break;
        case 'h':
            run_usage(stdout);
            exit(0);
        default:
            run_usage(stderr);
            return -1;
        }
    }
    if (optind >= argc) {
        run_usage(stderr);
        return -1;
    }
    return optind;
}

/* cmd[0] from the image, then the given args (or the image's own). */
static void program_argv(const struct image_config *cfg, int argc, char **argv, struct strvec *out)
{
    strvec_push(out, cfg->cmd[0]);
    if (argc > 0) {
        for (int i = 0; i < argc; i++)
            strvec_push(out, argv[i]);
        return;
    }
    for (size_t i = 1; cfg->cmd[i]; i++)
        strvec_push(out, cfg->cmd[i]);
}

static int find_image(struct store *s, const char *name, const char *arch, struct store_image *img)
{
    char err[1024];
    char *ref = store_normalize_ref(name);
    int rc = ref ? store_get(s, ref, arch, img, err, sizeof(err)) : -1;
    if (!ref)
        cli_error("'%s' is not a valid image name", name);
    else if (rc < 0)
        cli_error("%s", err);
    else if (store_verify_blob(s, img->layer_digest, err, sizeof(err)) < 0) {
        cli_error("%s; rebuild or pull the image", err);
        store_image_free(img);
        rc = -1;
    }
    free(ref);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct run_options o = {0};
    struct store s = {0};
    struct store_image img = {0};
    struct strvec prog = {0};
    int code = EXIT_UNIKIT_ERROR;

    int first = parse_options(argc, argv, &o);
    if (first < 0 || cli_open_store(&s) < 0)
        goto out;
    if (find_image(&s, argv[first], o.arch, &img) < 0)
        goto out;
    if (!img.config.cmd || !img.config.cmd[0]) {
        cli_error("image '%s' has no cmd", argv[first]);
        goto out_image;
    }
    program_argv(&img.config, argc - first - 1, argv + first + 1, &prog);
    /* Benchmarks only (bench/run.sh): boot another kernel file the same way. */
    const char *bench_image = getenv("UNIKIT_BENCH_IMAGE");
    const char *timing = getenv("UNIKIT_BOOT_TIMING");
    struct qemu_boot boot = {
        .arch = img.config.arch,
        .image = bench_image && *bench_image ? bench_image : img.layer_path,
        .memory = o.memory            ? o.memory
                  : img.config.memory ? img.config.memory
                                      : DEFAULT_MEMORY,
        .argv = prog.v,
        .env = o.env.v,
        .accel = o.accel,
        .boot_timing = timing && *timing == '1',
    };
    struct qemu_result res;
    char err[1024];
    if (qemu_run(&boot, &res, err, sizeof(err)) < 0) {
        cli_error("%s", err);
        goto out_image;
    }
    if (boot.boot_timing && res.boot_to_main_ns >= 0)
        fprintf(stderr, "unikit: boot to main: %lld ns\n", res.boot_to_main_ns);
    code = res.exit_code;
out_image:
    store_image_free(&img);
out:
    strvec_free(&prog);
    strvec_free(&o.env);
    store_close(&s);
    return code;
}
