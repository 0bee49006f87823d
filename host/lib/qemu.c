#include "qemu.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "elfcheck.h"
#include "network.h"
#include "outlog.h"
#include "qemu_watch.h"
#include "relay.h"
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

char *qemu_cmdline(const struct qemu_boot *b)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return xstrdup("");
    for (size_t i = 0; b->argv && b->argv[i]; i++)
        append_encoded(f, "arg=", b->argv[i]);
    for (size_t i = 0; b->env && b->env[i]; i++)
        append_encoded(f, "env=", b->env[i]);
    if (b->cwd)
        append_encoded(f, "cwd=", b->cwd);
    if (b->hostname)
        append_encoded(f, "hostname=", b->hostname);
    if (b->boot_timing)
        fputs("unikit.timing ", f);
    if (b->trace_syscalls)
        fputs("unikit.trace ", f);
    fclose(f);
    return buf;
}

void qemu_terminal_size(int fd, unsigned *rows, unsigned *cols)
{
    struct winsize w;
    bool known = ioctl(fd, TIOCGWINSZ, &w) == 0 && w.ws_row && w.ws_col;
    *rows = known ? w.ws_row : 24;
    *cols = known ? w.ws_col : 80;
}

const char *qemu_binary(const char *arch)
{
    return strcmp(arch, "x86_64") == 0 ? "qemu-system-x86_64" : "qemu-system-aarch64";
}

static void add_machine(struct strvec *a, const struct qemu_boot *b, const char *accel)
{
    strvec_push(a, qemu_binary(b->arch));
    if (strcmp(b->arch, "x86_64") == 0) {
        /* microvm without firmware option ROMs, PIC or ACPI: the fastest start. */
        strvec_push(a, "-M");
        strvec_push(a, "microvm,x-option-roms=off,pic=off,acpi=off,isa-serial=on,rtc=on");
        strvec_push(a, "-cpu");
        strvec_push(a, strcmp(accel, "kvm") == 0 ? "host" : "max");
        strvec_push(a, "-device");
        strvec_push(a, "isa-debug-exit,iobase=" DEBUG_EXIT_PORT ",iosize=4");
    } else {
        strvec_push(a, "-M");
        strvec_push(a, "virt,gic-version=3"); /* kernel/plat/virt/aarch64/gic.c */
        strvec_push(a, "-cpu");
        strvec_push(a, strcmp(accel, "kvm") == 0 ? "host" : "max");
        /* The kernel's exit record and status (kernel/plat/virt/aarch64/virt.c). */
        strvec_push(a, "-semihosting-config");
        strvec_push(a, "enable=on,target=native,chardev=ctl");
    }
    strvec_push(a, "-accel");
    strvec_push(a, accel);
}

/* A path inside a QEMU option value: commas are doubled. */
static void push_option_path(struct strvec *a, const char *prefix, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        strvec_pushf(a, "%s%s", prefix, path);
        return;
    }
    fputs(prefix, f);
    for (const char *p = path; *p; p++) {
        if (*p == ',')
            fputc(',', f);
        fputc(*p, f);
    }
    fclose(f);
    strvec_push(a, buf);
    free(buf);
}

/* The user-mode network (no root, no tap): forwards for -p, and the
   static address's network for --ip. The guest's DHCP address is the
   network's .15, where hostfwd sends by default. */
static void add_network(struct strvec *a, const struct qemu_boot *b)
{
    char *netdev = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&netdev, &len);
    const char *slash = b->ip ? strchr(b->ip, '/') : NULL;
    fputs("user,id=net0", f);
    if (slash) {
        unsigned o[4], prefix;
        if (sscanf(b->ip, "%u.%u.%u.%u/%u", &o[0], &o[1], &o[2], &o[3], &prefix) == 5 &&
            prefix > 0 && prefix < 31) {
            uint32_t ip = o[0] << 24 | o[1] << 16 | o[2] << 8 | o[3];
            uint32_t net = ip & (0xffffffffu << (32 - prefix));
            fprintf(f, ",net=%u.%u.%u.%u/%u,dhcpstart=%.*s", net >> 24, net >> 16 & 255,
                    net >> 8 & 255, net & 255, prefix, (int)(slash - b->ip), b->ip);
        }
    }
    for (size_t i = 0; b->ports && b->ports[i]; i++) {
        struct port_map m;
        char err[128];
        if (network_parse_port(b->ports[i], &m, err, sizeof(err)) == 0)
            fprintf(f, ",hostfwd=%s::%d-%.*s:%d", m.udp ? "udp" : "tcp", m.host,
                    slash ? (int)(slash - b->ip) : 0, slash ? b->ip : "", m.guest);
    }
    fclose(f);
    strvec_push(a, "-netdev");
    strvec_push(a, netdev);
    strvec_push(a, "-device");
    strvec_push(a, "virtio-net-device,netdev=net0");
    free(netdev);
}

/* What QEMU preloads for ports published on its user network: listening
   sockets with a real accept queue (host/preload/listen_queue.c); NULL when
   nothing is published, or unikit was installed without it. */
static char *listen_queue(const struct qemu_boot *b)
{
    if (!b->net || b->tap || !b->ports || !b->ports[0])
        return NULL;
    char *lib = unikit_libexec("listen-queue.so");
    if (access(lib, R_OK) == 0)
        return lib;
    free(lib);
    return NULL;
}

/* The NIC on a tap device QEMU finds open at descriptor fd (a container's
   network, netns.h), with the MAC the network knows the guest by. */
static void add_tap_network(struct strvec *a, const struct qemu_boot *b, int fd)
{
    strvec_push(a, "-netdev");
    strvec_pushf(a, "tap,id=net0,fd=%d", fd);
    strvec_push(a, "-device");
    if (b->tap->mac && b->tap->mac[0])
        strvec_pushf(a, "virtio-net-device,netdev=net0,mac=%s", b->tap->mac);
    else
        strvec_push(a, "virtio-net-device,netdev=net0");
}

/* The kernel's network settings (kernel/net/stack.c, kernel/core/resolv.c). */
static char *net_settings(const struct qemu_boot *b)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = b->net ? open_memstream(&buf, &len) : NULL;
    if (!f)
        return xstrdup("");
    if (b->ip) {
        fprintf(f, " net.ip=%s", b->ip);
        /* The kernel's default gateway is the user network's .2: a tap's network has none. */
        if (b->gateway && b->gateway[0])
            fprintf(f, " net.gw=%s", b->gateway);
        else if (b->tap)
            fputs(" net.gw=0.0.0.0", f);
    }
    if (b->dns && b->dns[0])
        fprintf(f, " net.dns=%s", b->dns);
    fclose(f);
    return buf;
}

/* The settings that go on the kernel's command line must be addresses, and nothing more. */
static int check_net_settings(const struct qemu_boot *b, char *err, size_t errlen)
{
    struct in_addr a;
    char addr[INET_ADDRSTRLEN];
    unsigned prefix;
    char extra;
    if (b->ip && (sscanf(b->ip, "%15[0-9.]/%u%c", addr, &prefix, &extra) != 2 ||
                  inet_pton(AF_INET, addr, &a) != 1 || prefix > 32))
        return errorf(err, errlen, "bad guest address '%s' (wanted ADDR/PREFIX)", b->ip);
    if (b->gateway && b->gateway[0] && inet_pton(AF_INET, b->gateway, &a) != 1)
        return errorf(err, errlen, "bad gateway address '%s'", b->gateway);
    if (b->dns && b->dns[0] && inet_pton(AF_INET, b->dns, &a) != 1)
        return errorf(err, errlen, "bad nameserver address '%s' (IPv4 only)", b->dns);
    if (b->tap && b->tap->mac && b->tap->mac[0] &&
        (strlen(b->tap->mac) != 17 || strspn(b->tap->mac, "0123456789abcdefABCDEF:") != 17))
        return errorf(err, errlen, "bad MAC address '%s'", b->tap->mac);
    return 0;
}

/* The serial console and the program's streams: the relay's sockets, or
   nothing at all for a quiet boot (the guest then has no stdio). */
static size_t add_streams(struct strvec *a, struct relay *relay, int *fds, size_t max)
{
    if (!relay) {
        strvec_push(a, "-serial");
        strvec_push(a, "null");
        return 0;
    }
    return relay_qemu_args(relay, a, WATCH_MONITOR_FD + 1, fds, max);
}

/* QEMU's argv; fds[0..max) gets the descriptors it is to find from
   WATCH_MONITOR_FD + 1 on: the streams', then the tap's. Returns their count. */
static size_t build_argv(struct strvec *a, const struct qemu_boot *b, const char *ctl_path,
                         const char *cmdline, struct relay *relay, int *fds, size_t max)
{
    add_machine(a, b, b->accel ? b->accel : "tcg");
    strvec_push(a, "-nodefaults");
    strvec_push(a, "-no-user-config");
    strvec_push(a, "-display");
    strvec_push(a, "none");
    strvec_push(a, "-no-reboot");
    /* Modern virtio-mmio, for the console device and the NIC alike. */
    strvec_push(a, "-global");
    strvec_push(a, "virtio-mmio.force-legacy=false");
    size_t nfds = add_streams(a, relay, fds, max);
    strvec_push(a, "-chardev");
    strvec_pushf(a, "socket,id=mon,fd=%d", WATCH_MONITOR_FD);
    strvec_push(a, "-mon");
    strvec_push(a, "chardev=mon,mode=control");
    strvec_push(a, "-chardev");
    /* Appending: QEMU truncating the new file would make ext4 write it
       out at its close, and free its block again when the run's folder goes. */
    push_option_path(a, "file,id=ctl,append=on,path=", ctl_path);
    if (strcmp(b->arch, "x86_64") == 0) {
        strvec_push(a, "-device");
        strvec_push(a, "isa-debugcon,iobase=" DEBUGCON_PORT ",chardev=ctl");
    }
    strvec_push(a, "-m");
    strvec_pushf(a, "%lluk", (unsigned long long)(b->memory / 1024));
    if (b->cpus > 1) {
        strvec_push(a, "-smp");
        strvec_pushf(a, "%u", b->cpus);
    }
    if (b->net && b->tap && nfds < max) {
        fds[nfds] = b->tap->fd; /* placed after the streams' */
        add_tap_network(a, b, WATCH_MONITOR_FD + 1 + (int)nfds++);
    } else if (b->net) {
        add_network(a, b);
    }
    volume_qemu_args(a, b->volumes, b->nvolumes);
    strvec_push(a, "-kernel");
    strvec_push(a, b->image);
    strvec_push(a, "-append");
    char *tty = b->tty ? xasprintf(" unikit.tty=%ux%u", b->tty_rows, b->tty_cols) : xstrdup("");
    char *net = net_settings(b);
    char *vols = volume_cmdline(b->volumes, b->nvolumes);
    strvec_pushf(a, "%s%s%s%s", cmdline, tty, net, vols);
    free(vols);
    free(net);
    free(tty);
    return nfds;
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

/* QEMU's last message (its last non-empty line, which says why it stopped), or "". */
static void last_line(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    char line[512];
    out[0] = '\0';
    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0])
            snprintf(out, len, "%s", line);
    }
    if (f)
        fclose(f);
}

/* The most informative line of QEMU's messages about an internal error. */
static void internal_error_line(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    char line[512];
    bool emulation = false;
    out[0] = '\0';
    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!out[0] && strncmp(line, "KVM", 3) == 0)
            snprintf(out, len, "%s", line);
        emulation |= strstr(line, "emulation failure") != NULL;
    }
    if (f)
        fclose(f);
    if (emulation && out[0] && strlen(out) + 22 < len)
        strcat(out, " (emulation failure)");
}

/*
 * Why QEMU stopped the guest, in one line. accel_failed: an internal
 * error under KVM, which says KVM cannot run unikit's guests here.
 */
static void describe_stop(const struct qemu_boot *boot, const char *status, const char *log,
                          struct qemu_result *res, char *err, size_t errlen)
{
    bool kvm = boot->accel && strcmp(boot->accel, "kvm") == 0;
    if (strcmp(status, "internal-error") == 0) {
        char why[512];
        internal_error_line(log, why, sizeof(why));
        res->accel_failed = kvm;
        snprintf(err, errlen, "QEMU stopped the guest with an internal error%s%s%s",
                 why[0] ? ": " : "", why,
                 kvm ? "; KVM cannot run this guest here (use --accel tcg)" : "");
    } else if (strcmp(status, "guest-panicked") == 0) {
        snprintf(err, errlen, "QEMU stopped the guest: the guest panicked");
    } else {
        snprintf(err, errlen, "QEMU stopped the guest (its state: %s)", status);
    }
}

/* The control file and QEMU's stderr: kept in state_dir, else /tmp temporaries. */
static int open_work_file(const struct qemu_boot *boot, const char *name, char *path, size_t len)
{
    if (!boot->state_dir) {
        snprintf(path, len, "/tmp/unikit-%s-XXXXXX", name);
        return mkstemp(path);
    }
    snprintf(path, len, "%s/%s", boot->state_dir, name);
    return open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static void close_work_file(const struct qemu_boot *boot, int fd, const char *path)
{
    if (fd < 0)
        return;
    close(fd);
    if (!boot->state_dir)
        unlink(path);
}

/* The watchdog's report, where the kernel's last words would be: the
   console (stderr), and the output log `logs` reads. */
static void report_stuck(const struct qemu_boot *boot, const char *what, struct qemu_result *res)
{
    char line[256];
    snprintf(line, sizeof(line), "unikit: %s\n", what);
    if (!boot->detached && !boot->quiet)
        fputs(line, stderr);
    int fd = boot->output_log ? open(boot->output_log, O_WRONLY | O_APPEND | O_CLOEXEC) : -1;
    if (fd >= 0) {
        outlog_append(fd, OUTLOG_CONSOLE, line, strlen(line));
        close(fd);
    }
    snprintf(res->error, sizeof(res->error), "%s", what);
    res->exit_code = EXIT_GUEST_FAILED;
}

/* What QEMU's end means: the guest's record first, then how QEMU ended. */
static int interpret_end(const struct qemu_boot *boot, int status, const struct watch_end *end,
                         const char *ctl, const char *log, const char *qemu,
                         struct qemu_result *res, char *err, size_t errlen)
{
    if (end->stopped[0]) {
        describe_stop(boot, end->stopped, log, res, err, errlen);
        return -1;
    }
    if (end->stuck[0]) {
        report_stuck(boot, end->stuck, res);
        return 0;
    }
    if (end->timed_out) {
        snprintf(err, errlen, "the guest was still running after %u ms, and was killed",
                 boot->deadline_ms);
        return -1;
    }
    if (read_record(ctl, res))
        return 0;
    if (WIFSIGNALED(status)) {
        res->exit_code = 128 + WTERMSIG(status);
        return 0;
    }
    if (watch_last_signal()) {
        res->exit_code = 128 + watch_last_signal();
        return 0;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        char why[512];
        last_line(log, why, sizeof(why));
        snprintf(err, errlen, "%s failed to boot %s (exit status %d)%s%s", qemu, boot->image,
                 WEXITSTATUS(status), why[0] ? ": " : "", why);
        return -1;
    }
    fprintf(stderr, "unikit: the guest stopped without reporting an exit status "
                    "(a triple fault resets the machine)\n");
    return 0;
}

/*
 * Where guest RAM starts on each machine, and what the kernel needs beyond
 * its loaded image (page tables, heap, the program's first pages). Less
 * memory than that would not even hold the image: QEMU then runs a guest
 * that never starts, so it is refused here.
 */
#define X86_RAM_BASE      0x0ull
#define AARCH64_RAM_BASE  0x40000000ull
#define MIN_WORKING_SPACE (384ull << 10)
#define PER_CPU_SPACE     (128ull << 10) /* a secondary CPU's stacks */

static int check_memory(const struct qemu_boot *b, char *err, size_t errlen)
{
    struct elf_info info;
    if (elf_inspect(b->image, &info, err, errlen) < 0)
        return -1;
    uint64_t base = strcmp(b->arch, "aarch64") == 0 ? AARCH64_RAM_BASE : X86_RAM_BASE;
    uint64_t cpus = b->cpus > 1 ? b->cpus : 1;
    uint64_t need = info.load_end > base
                        ? info.load_end - base + MIN_WORKING_SPACE + (cpus - 1) * PER_CPU_SPACE
                        : 0;
    if (b->memory >= need)
        return 0;
    uint64_t mib = (need + (1u << 20) - 1) >> 20;
    snprintf(err, errlen,
             "-m %llu KiB is too little memory for this %s image: it needs at least %lluM",
             (unsigned long long)(b->memory >> 10), b->arch, (unsigned long long)mib);
    return -1;
}

void qemu_catch_stop(void)
{
    watch_catch_signals(false);
}

/* The relay for a boot that has stdio: the host's descriptors unless
   detached, and the output log when the boot keeps one. */
static int open_relay(const struct qemu_boot *boot, struct relay *relay, int *log_fd, char *err,
                      size_t errlen)
{
    *log_fd = -1;
    if (boot->output_log &&
        (*log_fd = open(boot->output_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        snprintf(err, errlen, "cannot open %s: %s", boot->output_log, strerror(errno));
        return -1;
    }
    int in = boot->attach_stdin ? 0 : -1;
    int out = boot->detached ? -1 : 1, errfd = boot->detached ? -1 : 2;
    if (relay_open(relay, in, out, errfd, *log_fd, err, errlen) < 0) {
        if (*log_fd >= 0)
            close(*log_fd);
        return -1;
    }
    return 0;
}

int qemu_run(const struct qemu_boot *boot, struct qemu_result *res, char *err, size_t errlen)
{
    *res = (struct qemu_result){.exit_code = EXIT_GUEST_FAILED, .boot_to_main_ns = -1};
    if (check_memory(boot, err, errlen) < 0 || check_net_settings(boot, err, errlen) < 0)
        return -1;
    char ctl[4096], log[4096];
    int ctl_fd = open_work_file(boot, "control", ctl, sizeof(ctl));
    int log_fd = open_work_file(boot, "qemu.log", log, sizeof(log));
    int monitor[2] = {-1, -1}, output_fd = -1, fds[RELAY_STREAMS + 1];
    struct relay relay_storage, *relay = NULL;
    struct strvec argv = {0};
    int rc = -1;

    if (ctl_fd < 0 || log_fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", ctl_fd < 0 ? ctl : log, strerror(errno));
        goto out;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, monitor) < 0) {
        snprintf(err, errlen, "cannot create QEMU's monitor socket: %s", strerror(errno));
        goto out;
    }
    if (!boot->quiet) {
        if (open_relay(boot, &relay_storage, &output_fd, err, errlen) < 0)
            goto out;
        relay = &relay_storage;
    }
    char *cmdline = qemu_cmdline(boot);
    size_t nfds = build_argv(&argv, boot, ctl, cmdline, relay, fds, RELAY_STREAMS + 1);
    free(cmdline);
    char *program = program_path(argv.v[0]);
    if (!program) {
        snprintf(err, errlen, "%s not found; run scripts/deps.sh (or make deps)", argv.v[0]);
        goto out;
    }
    fflush(stdout);
    watch_catch_signals(true);
    char *preload = listen_queue(boot);
    pid_t pid =
        watch_spawn(program, argv.v, log_fd, monitor[1], fds, nfds, boot->die_with_parent, preload);
    free(preload);
    free(program);
    /* Only QEMU holds its ends: its exit closes the monitor and the streams. */
    close(monitor[1]);
    monitor[1] = -1;
    if (relay)
        relay_qemu_started(relay);
    if (pid < 0) {
        snprintf(err, errlen, "cannot start %s: %s", argv.v[0], strerror(errno));
        watch_restore_signals();
        goto out;
    }
    if (boot->on_start)
        boot->on_start(pid, boot->on_start_arg);
    struct watch_end end = {0};
    int status = watch_qemu(pid, monitor[0], relay, boot, &end);
    if (relay)
        relay_drain(relay);
    watch_restore_signals();
    rc = interpret_end(boot, status, &end, ctl, log, argv.v[0], res, err, errlen);
out:
    for (int i = 0; i < 2; i++)
        if (monitor[i] >= 0)
            close(monitor[i]);
    if (relay)
        relay_close(relay);
    if (output_fd >= 0)
        close(output_fd);
    close_work_file(boot, ctl_fd, ctl);
    close_work_file(boot, log_fd, log);
    strvec_free(&argv);
    return rc;
}
