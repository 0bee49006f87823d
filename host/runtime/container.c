/*
 * The container process: the pid in create's pid file, whose exit status
 * is the program's. It keeps the stdio create was given (or makes the
 * console's terminal its own), waits on exec.fifo until start, then boots
 * the image with qemu_run, which relays the program's three streams and
 * forwards SIGTERM, SIGINT... to it. QEMU dies with it: a SIGKILL of this
 * process leaves no guest behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "accel.h"
#include "relink.h"
#include "runtime.h"
#include "util.h"

/* The engine's other descriptors (conmon's sync pipes, a shim's sockets) are not ours to hold. */
static void close_other_fds(int keep1, int keep2)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != self && fd != keep1 && fd != keep2 && e->d_name[0] != '.')
            close(fd);
    }
    closedir(d);
}

/* The console's terminal as the program's stdio; raw, because the guest's tty edits lines. */
static void take_terminal(int tty)
{
    ioctl(tty, TIOCSCTTY, 0); /* a resize then reaches this session as SIGWINCH */
    struct termios t;
    if (tcgetattr(tty, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(tty, TCSANOW, &t);
    }
    for (int fd = 0; fd < 3; fd++)
        dup2(tty, fd);
    if (tty > 2)
        close(tty);
}

static void tell_create(int fd, const char *msg)
{
    (void)!write(fd, msg, strlen(msg));
    close(fd);
}

/* Blocks until start writes its byte; false if exec.fifo went away without one. */
static bool wait_for_start(int fifo)
{
    char byte;
    ssize_t n;
    while ((n = read(fifo, &byte, 1)) < 0 && errno == EINTR)
        ;
    close(fifo);
    return n == 1;
}

static void record_qemu(pid_t qemu_pid, void *arg)
{
    const char *dir = arg;
    char text[32];
    snprintf(text, sizeof(text), "%d", (int)qemu_pid);
    write_file_atomic(dir, QEMU_PID_FILE, text);
}

static void record_exit(const char *dir, int code)
{
    char text[32];
    snprintf(text, sizeof(text), "%d\n", code);
    write_file_atomic(dir, EXIT_FILE, text);
}

static int run_start_hooks(const struct container_setup *c)
{
    if (!c->bundle->hooks[HOOK_START_CONTAINER].n)
        return 0;
    struct ct_state st;
    if (state_load(c->id, &st) < 0)
        return -1;
    json_t *state = state_json(&st, CT_RUNNING);
    char err[1024];
    int rc = hooks_run(&c->bundle->hooks[HOOK_START_CONTAINER], "startContainer", state, err,
                       sizeof(err));
    if (rc < 0)
        rt_error("%s", err);
    json_decref(state);
    state_free(&st);
    return rc;
}

/* Boots boot's kernel once the container's network is set up. */
static int boot_kernel(struct qemu_boot *boot, const struct bundle *b,
                       const struct unikit_image *img, char *err, size_t errlen)
{
    if (runtime_network_setup(b, img, boot, err, errlen) < 0)
        return rt_error("%s", err), EXIT_UNIKIT_ERROR;
    struct accel_choice accel;
    char *home = xasprintf("%s/.unikit", rt.root); /* KVM probe answers, per host */
    int chosen = accel_choose(home, boot->arch, NULL, &accel, err, errlen);
    if (chosen < 0) {
        free(home);
        runtime_network_release();
        return rt_error("%s", err), EXIT_UNIKIT_ERROR;
    }
    boot->accel = accel.name;
    struct qemu_result res;
    int rc = qemu_run(boot, &res, err, errlen);
    runtime_network_release();
    if (res.accel_failed)
        accel_kvm_failed(home, boot->arch, err);
    free(home);
    if (rc < 0)
        return rt_error("%s", err), EXIT_UNIKIT_ERROR;
    return res.exit_code;
}

/* After start: the guest's settings from the image and the bundle, then the boot. */
static int boot(const struct container_setup *c, const char *dir)
{
    const struct bundle *b = c->bundle;
    const struct unikit_image *img = c->image;
    struct qemu_boot boot = {
        .arch = img->arch,
        .image = img->elf,
        .memory = b->memory     ? b->memory
                  : img->memory ? img->memory
                                : DEFAULT_MEMORY,
        .cpus = b->cpus ? b->cpus : 1,
        .argv = b->args,
        .env = b->env,
        .cwd = b->cwd,
        .hostname = b->hostname,
        .volumes = b->volumes,
        .nvolumes = b->nvolumes,
        .attach_stdin = true, /* /dev/null without -i: end of file at once */
        .tty = c->tty_fd >= 0,
        .die_with_parent = true,
        .state_dir = dir,
        .on_start = record_qemu,
        .on_start_arg = (void *)dir,
    };
    if (boot.tty)
        qemu_terminal_size(0, &boot.tty_rows, &boot.tty_cols);
    char err[1024];
    /* Bind mounts need the 9P client: an image linked without it boots a
       copy linked again with it, in the container's state (relink.h). */
    char *cache = xasprintf("%s/image-volumes.elf", dir);
    char *kernel = b->nvolumes ? relink_for_volumes(img->arch, img->elf, cache, err, sizeof(err))
                               : xstrdup(img->elf);
    free(cache);
    if (!kernel)
        return rt_error("cannot give the image volume support: %s", err), EXIT_UNIKIT_ERROR;
    boot.image = kernel;
    int rc = boot_kernel(&boot, b, img, err, sizeof(err));
    free(kernel);
    return rc;
}

void container_main(struct container_setup *c)
{
    char *dir = state_dir(c->id);
    setsid(); /* no signal to create's process group reaches the container */
    if (c->tty_fd >= 0)
        take_terminal(c->tty_fd);
    close_other_fds(c->fifo_fd, c->sync_fd);
    /* What the engine blocked or ignored is not the container's: kill must reach it. */
    static const int reset[] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
        signal(reset[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (c->bundle->netns == NETNS_NEW && unshare(CLONE_NEWNET) < 0) {
        char msg[256];
        snprintf(msg, sizeof(msg), "cannot create the container's network namespace: %s",
                 strerror(errno));
        tell_create(c->sync_fd, msg);
        _exit(RT_ERROR_EXIT);
    }
    tell_create(c->sync_fd, "ok");
    if (!wait_for_start(c->fifo_fd))
        _exit(RT_ERROR_EXIT);
    qemu_catch_stop(); /* from now on, kill's signals are the program's */
    int code = run_start_hooks(c) < 0 ? EXIT_UNIKIT_ERROR : boot(c, dir);
    record_exit(dir, code);
    exit(code);
}
