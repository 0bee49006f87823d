#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* Control-channel ports the x86 kernel uses (kernel/plat/virt/x86_64/pvh.c). */
#define DEBUGCON_PORT   "0xe9"
#define DEBUG_EXIT_PORT "0xf4"

static void append_encoded(FILE *f, const char *prefix, const char *value)
{
    fputs(prefix, f);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p <= ' ' || *p == '%' || *p == '"' || *p >= 0x7f)
            fprintf(f, "%%%02X", *p);
        else
            fputc(*p, f);
    }
    fputc(' ', f);
}

char *qemu_cmdline(char **argv, char **env, bool boot_timing)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return xstrdup("");
    for (size_t i = 0; argv && argv[i]; i++)
        append_encoded(f, "arg=", argv[i]);
    for (size_t i = 0; env && env[i]; i++)
        append_encoded(f, "env=", env[i]);
    if (boot_timing)
        fputs("unikit.timing ", f);
    fclose(f);
    return buf;
}

static bool kvm_usable(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

static void add_machine(struct strvec *a, const struct qemu_boot *b, const char *accel)
{
    if (strcmp(b->arch, "x86_64") == 0) {
        strvec_push(a, "qemu-system-x86_64");
        /* microvm without firmware option ROMs, PIC or ACPI: the fastest start. */
        strvec_push(a, "-M");
        strvec_push(a, "microvm,x-option-roms=off,pic=off,acpi=off,isa-serial=on,rtc=on");
        strvec_push(a, "-cpu");
        strvec_push(a, strcmp(accel, "kvm") == 0 ? "host" : "max");
        strvec_push(a, "-device");
        strvec_push(a, "isa-debug-exit,iobase=" DEBUG_EXIT_PORT ",iosize=4");
    } else {
        strvec_push(a, "qemu-system-aarch64");
        strvec_push(a, "-M");
        strvec_push(a, "virt");
        strvec_push(a, "-cpu");
        strvec_push(a, strcmp(accel, "kvm") == 0 ? "host" : "cortex-a57");
        strvec_push(a, "-semihosting");
    }
    strvec_push(a, "-accel");
    strvec_push(a, accel);
}

static void build_argv(struct strvec *a, const struct qemu_boot *b, const char *ctl_path,
                       const char *cmdline)
{
    const char *accel = b->accel ? b->accel : kvm_usable() ? "kvm" : "tcg";
    add_machine(a, b, accel);
    strvec_push(a, "-nodefaults");
    strvec_push(a, "-no-user-config");
    strvec_push(a, "-display");
    strvec_push(a, "none");
    strvec_push(a, "-no-reboot");
    strvec_push(a, "-serial");
    strvec_push(a, "stdio");
    strvec_push(a, "-chardev");
    strvec_pushf(a, "file,id=ctl,path=%s", ctl_path);
    if (strcmp(b->arch, "x86_64") == 0) {
        strvec_push(a, "-device");
        strvec_push(a, "isa-debugcon,iobase=" DEBUGCON_PORT ",chardev=ctl");
    }
    strvec_push(a, "-m");
    strvec_pushf(a, "%lluk", (unsigned long long)(b->memory / 1024));
    strvec_push(a, "-kernel");
    strvec_push(a, b->image);
    strvec_push(a, "-append");
    strvec_push(a, cmdline);
}

/*
 * The kernel's last words on the control channel: "exit N", "signal N" or
 * "panic", after an optional "timing boot_to_main_ns=N" line.
 */
static bool read_record(const char *path, struct qemu_result *res)
{
    FILE *f = fopen(path, "r");
    char line[256];
    bool found = false;
    int n;
    long long ns;
    if (!f)
        return false;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "timing boot_to_main_ns=%lld", &ns) == 1)
            res->boot_to_main_ns = ns;
        else if (sscanf(line, "exit %d", &n) == 1)
            res->exit_code = n & 0xff, found = true;
        else if (sscanf(line, "signal %d", &n) == 1)
            res->exit_code = 128 + n, found = true;
        else if (strncmp(line, "panic", 5) == 0)
            res->exit_code = EXIT_GUEST_FAILED, found = true;
    }
    fclose(f);
    return found;
}

static void show_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f)
        return;
    while (fgets(line, sizeof(line), f))
        fprintf(stderr, "qemu: %s", line);
    fclose(f);
}

static pid_t spawn_qemu(char **argv, int stderr_fd)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0)
        dup2(null, 0);
    dup2(stderr_fd, 2);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execvp(argv[0], argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static volatile sig_atomic_t stop_signal;
static pid_t running_qemu;

/* Ctrl-C or a TERM to unikit stops the guest, as docker run does. */
static void forward_stop(int sig)
{
    stop_signal = sig;
    if (running_qemu > 0)
        kill(running_qemu, SIGTERM);
}

static int wait_qemu(pid_t pid)
{
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = forward_stop;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    running_qemu = pid;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    running_qemu = 0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return status;
}

int qemu_run(const struct qemu_boot *boot, struct qemu_result *res, char *err, size_t errlen)
{
    char ctl[] = "/tmp/unikit-ctl-XXXXXX", log[] = "/tmp/unikit-qemu-XXXXXX";
    int ctl_fd = mkstemp(ctl), log_fd = mkstemp(log);
    struct strvec argv = {0};
    int rc = -1;

    if (ctl_fd < 0 || log_fd < 0) {
        snprintf(err, errlen, "cannot create a temporary file: %s", strerror(errno));
        goto out;
    }
    char *cmdline = qemu_cmdline(boot->argv, boot->env, boot->boot_timing);
    build_argv(&argv, boot, ctl, cmdline);
    free(cmdline);
    if (!program_exists(argv.v[0])) {
        snprintf(err, errlen, "%s not found; run scripts/deps.sh (or make deps)", argv.v[0]);
        goto out;
    }
    fflush(stdout);
    pid_t pid = spawn_qemu(argv.v, log_fd);
    if (pid < 0) {
        snprintf(err, errlen, "cannot start %s: %s", argv.v[0], strerror(errno));
        goto out;
    }
    int status = wait_qemu(pid);
    *res = (struct qemu_result){.exit_code = EXIT_GUEST_FAILED, .boot_to_main_ns = -1};
    if (read_record(ctl, res)) {
        rc = 0;
    } else if (stop_signal) {
        res->exit_code = 128 + stop_signal;
        rc = 0;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        show_file(log);
        snprintf(err, errlen, "%s failed to boot %s (exit status %d)", argv.v[0], boot->image,
                 WEXITSTATUS(status));
    } else {
        fprintf(stderr, "unikit: the guest stopped without reporting an exit status "
                        "(a triple fault resets the machine)\n");
        rc = 0;
    }
out:
    if (ctl_fd >= 0)
        close(ctl_fd), unlink(ctl);
    if (log_fd >= 0)
        close(log_fd), unlink(log);
    strvec_free(&argv);
    return rc;
}
