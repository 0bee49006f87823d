/*
 * Booting an image under QEMU: -M microvm on x86_64 (PVH), -M virt on
 * aarch64, with the accelerator the caller chose (accel.h). QEMU's
 * monitor is watched, so a guest that QEMU stops instead of ending (a KVM
 * internal error, a failed entry, a guest panic) ends the run at once.
 */
#ifndef UNIKIT_QEMU_H
#define UNIKIT_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "volume.h"

/* The kernel's MAX_CPUS (kernel/include/smp.h). */
#define QEMU_MAX_CPUS 16

/* A tap device for the guest's NIC: a container's network (netns.h). */
struct qemu_tap {
    int fd;          /* the open tap device, passed to QEMU (which gets its own copy) */
    const char *mac; /* the NIC's MAC, "aa:bb:cc:dd:ee:ff"; NULL or "": QEMU's default */
};

struct qemu_boot {
    const char *arch;
    const char *image;    /* the image file */
    uint64_t memory;      /* bytes */
    unsigned cpus;        /* virtual CPUs, 1 to QEMU_MAX_CPUS (0 counts as 1) */
    char **argv;          /* the program's argv; NULL-terminated */
    char **env;           /* "K=V" overrides; NULL-terminated */
    const char *cwd;      /* the program's working directory (made if missing); NULL: / */
    const char *hostname; /* what uname says the machine is called; NULL: "unikit" */
    const char *accel;    /* "kvm" or "tcg" (NULL: tcg); accel_choose() picks */
    bool boot_timing;     /* ask the kernel for boot-to-main timing */
    bool trace_syscalls;  /* the kernel prints each call the program makes, once */
    /* Networking: net (the image's config says it has the network object)
       gives it a NIC on QEMU's user network; ports are "HOST:GUEST[/tcp|/udp]"
       forwards, NULL-terminated or NULL; ip a static "ADDR/PREFIX" instead
       of DHCP, or NULL. run.c checks ports and ip before boot. */
    bool net;
    char **ports;
    const char *ip;
    const char *gateway;          /* with ip: the guest's default gateway (net.gw=); NULL: the
                                     user network's .2, or none on a tap */
    const char *dns;              /* the nameserver the guest's /etc/resolv.conf names (net.dns=),
                                     NULL: the user network's; an image's own resolv.conf is kept */
    const struct qemu_tap *tap;   /* the NIC on this tap device instead of the user
                                     network (no ports); NULL: the user network */
    const struct volume *volumes; /* host folders to mount (-v, volume.h), checked */
    size_t nvolumes;
    /* Instances (instance.h) set these; a plain boot leaves them zero. */
    const char *state_dir;  /* keep the control file and QEMU's messages here
                               (NULL: temporary files in /tmp, removed after) */
    const char *output_log; /* append the program's output and the console here (outlog.h) */
    bool attach_stdin;      /* the host's stdin is the program's (run -i); else it reads EOF */
    bool detached;          /* the output goes to output_log only, not stdout and stderr */
    bool tty;               /* the program gets a terminal (run -t), tty_rows x tty_cols */
    unsigned tty_rows, tty_cols;
    bool die_with_parent; /* QEMU is killed if the caller dies, so no guest
                             outlives the process that records its exit */
    bool quiet;           /* no console and no stdio at all (the KVM probe) */
    unsigned deadline_ms; /* QEMU is killed after this long; 0: no limit */
    /* Called once QEMU is started, before waiting for it. */
    void (*on_start)(pid_t qemu_pid, void *arg);
    /* Called every QEMU_TICK_MS while QEMU runs, until it returns false. */
    bool (*on_tick)(pid_t qemu_pid, void *arg);
    void *on_start_arg; /* for both */
};

#define QEMU_TICK_MS 10

struct qemu_result {
    int exit_code;             /* what `unikit run` exits with */
    long long boot_to_main_ns; /* -1 when not measured */
    bool accel_failed;         /* QEMU stopped the guest with an internal error under KVM */
    char error[192];           /* why the guest was ended (the watchdog's report), or "" */
};

/* Boots in the foreground: the program's stdout on stdout, its stderr and
 * the kernel's console on stderr. Returns 0 with *res filled,
 * or -1 with one line in err when QEMU could not be started, failed, or
 * stopped the guest (then killed; res->accel_failed says if KVM did it).
 * A SIGINT or SIGTERM to the caller stops QEMU and gives 128+N; QEMU killed
 * by signal N gives 128+N too (137 for SIGKILL). */
int qemu_run(const struct qemu_boot *boot, struct qemu_result *res, char *err, size_t errlen);

/*
 * Catches the signals qemu_run forwards to the program (SIGTERM, SIGINT,
 * SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH; one that comes
 * before QEMU starts is forwarded as soon as it does), and leaves them
 * caught after qemu_run returns: a supervisor calls it first, so no stop
 * kills it before it has recorded the exit.
 */
void qemu_catch_stop(void);

/* The size of the terminal on fd (rows, cols), or 24 x 80 when fd is none. */
void qemu_terminal_size(int fd, unsigned *rows, unsigned *cols);

/* The QEMU program that boots arch's images. */
const char *qemu_binary(const char *arch);

/* The boot config part of the kernel command line (kernel/core/bootconfig.c):
 * argv, env, cwd and hostname, %XX-encoding what needs it, and timing. */
char *qemu_cmdline(const struct qemu_boot *b);

#endif
