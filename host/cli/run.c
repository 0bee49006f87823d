/* unikit run [OPTIONS] IMAGE [ARG...] */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "accel.h"
#include "cli.h"
#include "instance.h"
#include "network.h"
#include "outlog.h"
#include "qemu.h"
#include "relink.h"
#include "unikfile.h"
#include "util.h"
#include "watchdog.h"

#define DEFAULT_MEMORY (64ULL << 20)

struct run_options {
    struct strvec env;
    struct strvec publish; /* -p */
    const char *ip;        /* --ip */
    struct strvec volumes; /* -v */
    uint64_t memory;
    unsigned cpus; /* 0: the default, one */
    const char *arch;
    const char *accel; /* --accel: NULL, "kvm" or "tcg" */
    const char *name;
    bool detach;
    bool auto_remove;
    bool interactive; /* -i: the host's stdin is the program's */
    bool tty;         /* -t: the program gets a terminal */
    bool trace;       /* --trace-syscalls */
};

static void run_usage(FILE *out)
{
    fprintf(out,
            "Usage: unikit run [OPTIONS] IMAGE [ARG...]\n\n"
            "Boots IMAGE in the foreground; exits with the program's status.\n"
            "ARGs replace the arguments of the image's cmd (the program stays).\n\n"
            "  -d, --detach        run in the background and print the instance id\n"
            "  -i, --interactive   connect this stdin to the program's (else it reads EOF)\n"
            "  -t, --tty           give the program a terminal (with -i: this one, in raw mode)\n"
            "      --name NAME     name the instance (default: a generated one)\n"
            "      --rm            remove the instance when it exits\n"
            "  -e, --env K=V       set an environment variable (K alone: take it from here)\n"
            "  -m, --memory SIZE   guest memory, e.g. 64M (default: the Unikfile's, else 64M)\n"
            "      --cpus N        virtual CPUs for the program's threads (default 1, at most %d)\n"
            "  -p, --publish H:G   forward host port H to guest port G (HOST:GUEST[/tcp|/udp])\n"
            "      --ip ADDR/N     a static address instead of DHCP, e.g. 10.0.2.20/24\n"
            "  -v, --volume S:G    mount host folder or named volume S on guest path G\n"
            "                      (S:G:ro read-only; repeatable)\n"
            "      --arch ARCH     which of the image's architectures to boot\n"
            "      --accel ACCEL   kvm or tcg (default: kvm where it can run the guest;\n"
            "                      `unikit info` says which and why)\n"
            "      --trace-syscalls  print each system call the program makes, once, on stderr\n",
            QEMU_MAX_CPUS);
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

static int parse_cpus(const char *arg, unsigned *cpus)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || *arg == '-' || n < 1 || n > QEMU_MAX_CPUS) {
        cli_error("--cpus '%s': expected a number from 1 to %d", arg, QEMU_MAX_CPUS);
        return -1;
    }
    *cpus = (unsigned)n;
    return 0;
}

static int parse_options(int argc, char **argv, struct run_options *o)
{
    static const struct option opts[] = {
        {"env", required_argument, NULL, 'e'},     {"memory", required_argument, NULL, 'm'},
        {"cpus", required_argument, NULL, 'c'},    {"arch", required_argument, NULL, 'a'},
        {"accel", required_argument, NULL, 'A'},   {"detach", no_argument, NULL, 'd'},
        {"name", required_argument, NULL, 'n'},    {"rm", no_argument, NULL, 'r'},
        {"interactive", no_argument, NULL, 'i'},   {"tty", no_argument, NULL, 't'},
        {"publish", required_argument, NULL, 'p'}, {"ip", required_argument, NULL, 'I'},
        {"volume", required_argument, NULL, 'v'},  {"trace-syscalls", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},          {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+de:im:p:tv:h", opts, NULL)) != -1) {
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
        case 'c':
            if (parse_cpus(optarg, &o->cpus) < 0)
                return -1;
            break;
        case 'a':
            o->arch = optarg;
            break;
        case 'd':
            o->detach = true;
            break;
        case 'n':
            o->name = optarg;
            break;
        case 'r':
            o->auto_remove = true;
            break;
        case 'i':
            o->interactive = true;
            break;
        case 't':
            o->tty = true;
            break;
        case 'p':
            strvec_push(&o->publish, optarg);
            break;
        case 'I':
            o->ip = optarg;
            break;
        case 'v':
            strvec_push(&o->volumes, optarg);
            break;
        case 'T':
            o->trace = true;
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

/* The image, and its layer opened and verified: the fd, or -1 after one line. */
static int find_image(struct store *s, const char *name, const char *arch, struct store_image *img)
{
    char err[1024];
    char *ref = store_normalize_ref(name);
    int rc = ref ? store_get(s, ref, arch, img, err, sizeof(err)) : -1;
    if (!ref)
        cli_error("'%s' is not a valid image name", name);
    else if (rc < 0)
        cli_error("%s", err);
    else if ((rc = store_open_blob(s, img->layer_digest, img->layer_size, err, sizeof(err))) < 0) {
        cli_error("%s; rebuild or pull the image", err);
        store_image_free(img);
    }
    free(ref);
    return rc;
}

static int copy_fd(int in, int out)
{
    char buf[65536];
    ssize_t n;
    if (lseek(in, 0, SEEK_SET) != 0)
        return -1;
    while ((n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        for (ssize_t done = 0, w; done < n; done += w)
            if ((w = write(out, buf + done, (size_t)(n - done))) < 0)
                return -1;
    }
    return 0;
}

/*
 * The instance's own copy of the image file: a hard link to the verified
 * blob (free), or a copy of it when the blob is already gone (an rmi since
 * find_image) or on another file system. QEMU boots it and the crash report
 * reads it after `run` has let go of the store, so neither an rmi while
 * starting nor one while the guest runs can take it away. NULL after one line.
 */
static char *pin_image(const struct instance *inst, int layer_fd)
{
    char *path = xasprintf("%s/image", inst->dir);
    char *proc = xasprintf("/proc/self/fd/%d", layer_fd);
    int rc = linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
    free(proc);
    if (rc != 0) {
        int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        rc = out >= 0 && copy_fd(layer_fd, out) == 0 ? 0 : -1;
        if (out >= 0 && close(out) != 0)
            rc = -1;
    }
    if (rc != 0) {
        cli_error("cannot keep the image for instance %.12s in %s: %s", inst->id, inst->dir,
                  strerror(errno));
        free(path);
        return NULL;
    }
    return path;
}

/* Volumes need the 9P client: an image linked without it boots a copy
   linked again with it, kept with the instance (host/lib/relink.h). */
static int use_volume_kernel(const struct instance *inst, struct qemu_boot *boot, char **image)
{
    char err[1024];
    char *cache = xasprintf("%s/image-volumes", inst->dir);
    char *path = relink_for_volumes(boot->arch, boot->image, cache, err, sizeof(err));
    free(cache);
    if (!path) {
        cli_error("cannot give image volume support: %s", err);
        return -1;
    }
    free(*image);
    *image = path;
    boot->image = path;
    return 0;
}

/* -p and --ip need an image that has the network, and ports free now. */
static int check_network(const struct run_options *o, const char *image, bool net)
{
    char err[512];
    if ((o->publish.v || o->ip) && !net) {
        cli_error("image %s does not use the network (its program opens no socket): "
                  "%s needs one that does",
                  image, o->publish.v ? "-p" : "--ip");
        return -1;
    }
    if ((o->ip && network_check_ip(o->ip, err, sizeof(err)) < 0) ||
        network_check_ports(o->publish.v, err, sizeof(err)) < 0) {
        cli_error("%s", err);
        return -1;
    }
    return 0;
}

/* The -v volumes, checked before boot: 0, or -1 after one line. */
static int check_volumes(const struct run_options *o, struct volume **vols, size_t *n)
{
    char err[1024];
    char *home = unikit_home();
    int rc = volume_parse_all(home, o->volumes.v, vols, n, err, sizeof(err));
    if (rc < 0)
        cli_error("%s", err);
    free(home);
    return rc;
}

/* Volumes for the image's declared folders that no -v covers: 0, or -1 after one line. */
static int add_anonymous_volumes(const struct image_config *c, struct volume **vols, size_t *n)
{
    char err[1024];
    char *home = unikit_home();
    int rc = volume_add_anonymous(home, c->volumes, vols, n, err, sizeof(err));
    if (rc < 0)
        cli_error("%s", err);
    free(home);
    return rc;
}

/* The image's env with the -e overrides applied, as the guest will see it. */
static void effective_env(char **image_env, char **overrides, struct strvec *out)
{
    for (size_t i = 0; image_env && image_env[i]; i++) {
        size_t key = strcspn(image_env[i], "=");
        bool replaced = false;
        for (size_t j = 0; overrides && overrides[j]; j++)
            replaced |= strncmp(overrides[j], image_env[i], key + 1) == 0;
        if (!replaced)
            strvec_push(out, image_env[i]);
    }
    for (size_t j = 0; overrides && overrides[j]; j++)
        strvec_push(out, overrides[j]);
}

static int new_instance(const struct run_options *o, const struct store_image *img,
                        const struct qemu_boot *boot, const struct accel_choice *accel,
                        struct instance *inst)
{
    struct strvec env = {0};
    effective_env(img->config.env, o->env.v, &env);
    char *empty[] = {NULL};
    char *home = unikit_home();
    struct instance_config cfg = {
        .image = img->ref,
        .image_digest = img->digest,
        .arch = img->config.arch,
        .cmd = boot->argv,
        .env = env.v ? env.v : empty,
        .ports = img->config.ports,
        .publish = o->publish.v,
        .volumes = volume_specs(boot->volumes, boot->nvolumes),
        .anonymous_volumes = volume_anonymous_dirs(home, boot->volumes, boot->nvolumes),
        .ip = (char *)o->ip,
        .memory = boot->memory,
        .cpus = boot->cpus,
        .accel = (char *)accel->name,
        .accel_why = (char *)accel->why,
        .auto_remove = o->auto_remove,
        .detach = o->detach,
    };
    char err[1024];
    int rc = instance_create(home, o->name, &cfg, inst, err, sizeof(err));
    if (rc < 0) {
        cli_error("%s", err);
        volume_remove_anonymous(home, boot->volumes, boot->nvolumes);
    }
    free(home);
    strvec_free(&env);
    for (size_t i = 0; cfg.volumes[i]; i++)
        free(cfg.volumes[i]);
    free(cfg.volumes);
    for (size_t i = 0; cfg.anonymous_volumes && cfg.anonymous_volumes[i]; i++)
        free(cfg.anonymous_volumes[i]);
    free(cfg.anonymous_volumes);
    return rc;
}

struct supervision {
    struct instance *inst;
    int notify_fd; /* the waiting `run -d`, told once QEMU runs; -1 in the foreground */
    bool started;  /* QEMU was spawned: from here on the instance is kept, whatever happens */
    char *unsaved; /* why the running state could not be recorded; QEMU was killed */
    char *console; /* the output log, and its size when QEMU started */
    off_t console_start;
    unsigned ticks; /* of QEMU_TICK_MS since QEMU started */
};

/*
 * How long `run -d` gives QEMU to fail (no KVM, a bad option, a guest
 * stopped at once) before it says started, unless the guest prints sooner.
 */
#define START_WAIT_MS 300

static void notify_started(struct supervision *sv)
{
    if (sv->notify_fd < 0)
        return;
    (void)!write(sv->notify_fd, "started", 7);
    close(sv->notify_fd);
    sv->notify_fd = -1;
}

/* QEMU is running: record who waits for it, then let `run -d` return. */
static void record_start(pid_t qemu_pid, void *arg)
{
    struct supervision *sv = arg;
    struct instance_state *st = &sv->inst->state;
    st->status = INSTANCE_RUNNING;
    st->supervisor_pid = getpid();
    st->supervisor_start = instance_proc_start(st->supervisor_pid);
    st->qemu_pid = qemu_pid;
    st->qemu_start = instance_proc_start(qemu_pid);
    clock_gettime(CLOCK_REALTIME, &st->started);
    sv->started = true;
    /* An instance nobody can see running must not run: stop and kill could not reach it. */
    if (instance_save_state(sv->inst) < 0) {
        sv->unsaved = xasprintf("cannot record the state of instance %.12s in %s: %s", sv->inst->id,
                                sv->inst->dir, strerror(errno));
        kill(qemu_pid, SIGKILL);
        return;
    }
    struct stat console;
    sv->console_start = stat(sv->console, &console) == 0 ? console.st_size : 0;
}

/*
 * While `run -d` waits: it is told "started" once QEMU has run for
 * START_WAIT_MS or the guest has printed. A QEMU that ends or stops the
 * guest sooner is run -d's own error, told after supervise records it.
 */
static bool watch_start(pid_t qemu_pid, void *arg)
{
    struct supervision *sv = arg;
    struct stat console;
    (void)qemu_pid;
    if (sv->notify_fd < 0)
        return false;
    if (++sv->ticks * QEMU_TICK_MS < START_WAIT_MS &&
        !(stat(sv->console, &console) == 0 && console.st_size > sv->console_start))
        return true;
    notify_started(sv);
    return false;
}

/* error: why QEMU failed (the exit code is then 125), or why the guest was
   ended (the watchdog), or NULL. */
static void record_exit(struct instance *inst, int code, const char *error)
{
    /* A second stop must not cut the record short. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    inst->state.status = INSTANCE_EXITED;
    inst->state.exit_code = code;
    free(inst->state.error);
    inst->state.error = error ? xstrdup(error) : NULL;
    clock_gettime(CLOCK_REALTIME, &inst->state.finished);
    char err[1024];
    if (inst->config.auto_remove)
        instance_remove(inst, err, sizeof(err));
    else
        instance_save_state(inst);
}

/*
 * Boots and waits, recording the instance's life. Returns the program's
 * status, or -1 with err when QEMU could not start or failed: an instance
 * that never got a QEMU is removed; one whose QEMU failed is kept, exited
 * with 125 and the error, so ps, logs and inspect tell what happened.
 */
static int supervise(struct instance *inst, struct qemu_boot *boot, int notify_fd, char *err,
                     size_t errlen)
{
    char *log = instance_log_path(inst);
    struct supervision sv = {.inst = inst, .notify_fd = notify_fd, .console = log};
    qemu_catch_stop(); /* until record_exit ignores them */
    boot->state_dir = inst->dir;
    boot->die_with_parent = true;
    boot->on_start = record_start;
    boot->on_tick = notify_fd >= 0 ? watch_start : NULL;
    boot->on_start_arg = &sv;
    boot->output_log = log;
    boot->detached = notify_fd >= 0;
    struct qemu_result res;
    int rc = qemu_run(boot, &res, err, errlen);
    free(log);
    if (res.accel_failed) {
        char *home = unikit_home();
        accel_kvm_failed(home, boot->arch, err);
        free(home);
    }
    if (sv.unsaved) {
        snprintf(err, errlen, "%s", sv.unsaved);
        free(sv.unsaved);
        rc = -1;
    }
    if (rc < 0 && !sv.started) {
        char ignored[256];
        instance_remove(inst, ignored, sizeof(ignored));
    } else if (rc < 0) {
        record_exit(inst, EXIT_UNIKIT_ERROR, err);
    }
    if (rc < 0 && sv.notify_fd >= 0) /* `run -d` still waits: the error is its to report */
        (void)!write(sv.notify_fd, err, strlen(err));
    if (rc < 0)
        return -1;
    if (boot->boot_timing && res.boot_to_main_ns >= 0)
        fprintf(stderr, "unikit: boot to main: %lld ns\n", res.boot_to_main_ns);
    record_exit(inst, res.exit_code, res.error[0] ? res.error : NULL);
    notify_started(&sv); /* a guest that ended within START_WAIT_MS did start */
    return res.exit_code;
}

/*
 * The supervisor has no terminal: the guest's output goes to the log, its
 * stdin and stdout are /dev/null, and its own stderr (a crash report, say)
 * goes to supervisor.log in the instance folder, kept for whoever looks.
 */
static void redirect_stdio(const struct instance *inst)
{
    int null = open("/dev/null", O_RDWR);
    if (null >= 0)
        dup2(null, 0), dup2(null, 1), dup2(null, 2), close(null);
    char *path = xasprintf("%s/supervisor.log", inst->dir);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0)
        dup2(fd, 2), close(fd);
    free(path);
}

/* The supervisor's own last word, for `logs`: a line among the console's. */
static void log_note(const struct instance *inst, const char *what)
{
    char *path = instance_log_path(inst);
    char *line = xasprintf("unikit: %s\n", what);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        outlog_append(fd, OUTLOG_CONSOLE, line, strlen(line));
        close(fd);
    }
    free(line);
    free(path);
}

/* The detached supervisor takes over from `run -d`, which may be interrupted. */
static void record_supervisor(struct instance *inst)
{
    inst->state.supervisor_pid = getpid();
    inst->state.supervisor_start = instance_proc_start(inst->state.supervisor_pid);
    instance_save_state(inst);
}

/* What the supervisor said: "started", or why QEMU could not start. */
static int await_start(int fd, struct instance *inst)
{
    char buf[1100];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(buf) - 1 &&
           ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
        len += n > 0 ? (size_t)n : 0;
    buf[len] = '\0';
    close(fd);
    if (strcmp(buf, "started") == 0) {
        printf("%s\n", inst->id);
        return 0;
    }
    if (*buf) {
        cli_error("%s", buf);
    } else {
        cli_error("the supervisor of instance %.12s ended before the guest started", inst->id);
        instance_remove(inst, buf, sizeof(buf));
    }
    return EXIT_UNIKIT_ERROR;
}

/*
 * Forks the supervisor (double fork and setsid, so no terminal or shell
 * owns it). Returns 0 or 125 in the caller; in the supervisor, the
 * program's status, which it exits with after the usual clean-up.
 */
static int run_detached(struct instance *inst, struct qemu_boot *boot)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        cli_error("cannot create a pipe: %s", strerror(errno));
        return EXIT_UNIKIT_ERROR;
    }
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        if (setsid() < 0 || fork() != 0)
            _exit(0);
        redirect_stdio(inst);
        record_supervisor(inst);
        char err[1024];
        int code = supervise(inst, boot, fds[1], err, sizeof(err));
        if (code < 0)
            log_note(inst, err);
        return code < 0 ? EXIT_UNIKIT_ERROR : code;
    }
    close(fds[1]);
    if (child > 0)
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
            ;
    return await_start(fds[0], inst);
}

/*
 * run -it: the host's terminal in raw mode, so that every key goes to the
 * guest's terminal as it is typed (Ctrl-C too: a signal there, not here);
 * restored when the run ends.
 */
static bool raw_terminal(struct termios *saved)
{
    if (tcgetattr(0, saved) < 0)
        return false;
    struct termios raw = *saved;
    cfmakeraw(&raw);
    return tcsetattr(0, TCSADRAIN, &raw) == 0;
}

static int run_foreground(struct instance *inst, struct qemu_boot *boot)
{
    char err[1024];
    struct termios saved;
    bool raw = boot->tty && boot->attach_stdin && raw_terminal(&saved);
    int code = supervise(inst, boot, -1, err, sizeof(err));
    if (raw)
        tcsetattr(0, TCSADRAIN, &saved);
    if (code < 0) {
        cli_error("%s", err);
        return EXIT_UNIKIT_ERROR;
    }
    return code;
}

/* A bad UNIKIT_WATCHDOG is an error before boot, not a silent default. */
static int check_watchdog(void)
{
    char err[256];
    if (watchdog_limit(err, sizeof(err)) >= 0)
        return 0;
    cli_error("%s", err);
    return -1;
}

int cmd_run(int argc, char **argv)
{
    struct run_options o = {0};
    struct store s = {0};
    struct store_image img = {0};
    struct strvec prog = {0};
    struct instance inst = {0};
    int code = EXIT_UNIKIT_ERROR;
    int layer_fd = -1;
    char *image = NULL;
    struct volume *vols = NULL;
    size_t nvols = 0;

    int first = parse_options(argc, argv, &o);
    if (first < 0 || check_watchdog() < 0 || cli_open_store(&s) < 0)
        goto out;
    if ((layer_fd = find_image(&s, argv[first], o.arch, &img)) < 0)
        goto out;
    if (!img.config.cmd || !img.config.cmd[0]) {
        cli_error("image '%s' has no cmd", argv[first]);
        goto out_image;
    }
    if (check_network(&o, img.ref, img.config.net) < 0 || check_volumes(&o, &vols, &nvols) < 0)
        goto out_image;
    if (o.tty && o.interactive && !o.detach && !isatty(0)) {
        cli_error("the input device is not a TTY: -t with -i needs a terminal on stdin");
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
        .cpus = o.cpus ? o.cpus : 1,
        .argv = prog.v,
        .env = o.env.v,
        .boot_timing = timing && *timing == '1',
        .trace_syscalls = o.trace,
        .net = img.config.net,
        .ports = o.publish.v,
        .ip = o.ip,
        .volumes = vols,
        .nvolumes = nvols,
        .attach_stdin = o.interactive && !o.detach,
        .tty = o.tty,
    };
    if (o.tty)
        qemu_terminal_size(o.detach ? -1 : o.interactive ? 0 : 1, &boot.tty_rows, &boot.tty_cols);
    struct accel_choice accel;
    char err[1024];
    char *home = unikit_home();
    int chosen = accel_choose(home, boot.arch, o.accel, &accel, err, sizeof(err));
    free(home);
    if (chosen < 0) {
        cli_error("%s", err);
        goto out_image;
    }
    boot.accel = accel.name;
    if (add_anonymous_volumes(&img.config, &vols, &nvols) < 0)
        goto out_image;
    boot.volumes = vols;
    boot.nvolumes = nvols;
    if (new_instance(&o, &img, &boot, &accel, &inst) < 0)
        goto out_image;
    bool bench = bench_image && *bench_image;
    if (!bench && !(image = pin_image(&inst, layer_fd))) {
        instance_remove(&inst, err, sizeof(err));
        instance_free(&inst);
        goto out_image;
    }
    if (image)
        boot.image = image;
    if (!bench && nvols && use_volume_kernel(&inst, &boot, &image) < 0) {
        instance_remove(&inst, err, sizeof(err));
        instance_free(&inst);
        goto out_image;
    }
    close(layer_fd);
    layer_fd = -1;
    code = o.detach ? run_detached(&inst, &boot) : run_foreground(&inst, &boot);
    instance_free(&inst);
out_image:
    store_image_free(&img);
out:
    if (layer_fd >= 0)
        close(layer_fd);
    free(image);
    strvec_free(&prog);
    strvec_free(&o.env);
    strvec_free(&o.publish);
    strvec_free(&o.volumes);
    volume_free_all(vols, nvols);
    store_close(&s);
    return code;
}
