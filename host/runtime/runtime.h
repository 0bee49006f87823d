/*
 * unikit-runtime: an OCI runtime with runc's command line, so that docker,
 * podman and containerd run unikit images. A bundle whose rootfs holds
 * `.unikit/image.elf` is booted under QEMU by a container process of our
 * own; any other bundle (and every later command for its id) goes to runc.
 */
#ifndef UNIKIT_RUNTIME_H
#define UNIKIT_RUNTIME_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "qemu.h"
#include "version.h"

#define OCI_VERSION      "1.0.2"
#define DEFAULT_ROOT     "/run/unikit-runtime"
#define DEFAULT_MEMORY   (64ULL << 20)
#define RT_ERROR_EXIT    1 /* runc's status for its own errors */
#define STATE_FILE       "unikit.json"
#define EXEC_FIFO        "exec.fifo"
#define EXIT_FILE        "exit"
#define QEMU_PID_FILE    "qemu.pid"
#define PAUSED_FILE      "paused"
#define UNIKIT_IMAGE_ELF ".unikit/image.elf"
#define UNIKIT_IMAGE_CFG ".unikit/config.json"

/* The global flags, and the whole command line for runc. */
struct rt_globals {
    const char *root;
    const char *log;
    bool log_json;
    bool debug;
    int argc; /* the original argv, as runc must get it */
    char **argv;
};

extern struct rt_globals rt;

/* Reports one error line on stderr and in the --log file; returns RT_ERROR_EXIT. */
int rt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning: stderr and the log, at level warning. */
void rt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- bundle.c: the bundle's config.json ------------------------------------- */
struct hook {
    char *path;
    char **args; /* NULL-terminated; NULL: just the path */
    char **env;  /* NULL-terminated; NULL: empty */
    int timeout; /* seconds; 0: none */
};

struct hook_list {
    struct hook *v;
    size_t n;
};

enum hook_kind {
    HOOK_CREATE_RUNTIME,
    HOOK_CREATE_CONTAINER,
    HOOK_PRESTART,
    HOOK_START_CONTAINER,
    HOOK_POSTSTART,
    HOOK_POSTSTOP,
    HOOK_KINDS
};

enum netns_mode {
    NETNS_HOST, /* no network namespace in linux.namespaces */
    NETNS_NEW,  /* one without a path: the runtime makes it (docker, ctr) */
    NETNS_PATH, /* one with a path to join (podman, CRI) */
};

struct bundle {
    char *dir;    /* absolute */
    char *rootfs; /* absolute */
    char *oci_version;
    char **args; /* process.args, NULL-terminated */
    char **env;  /* process.env, NULL-terminated (maybe empty) */
    char *cwd;
    bool terminal;
    char *hostname;
    uint64_t memory;     /* linux.resources.memory.limit; 0: none */
    unsigned cpus;       /* from the CPU quota; 0: none */
    json_t *annotations; /* an object, or NULL */
    struct hook_list hooks[HOOK_KINDS];
    enum netns_mode netns;
    char *netns_path;
    char *resolv_conf; /* the host file mounted at /etc/resolv.conf, or NULL */
    struct volume *volumes; /* bind-mounted host folders, for the guest to mount */
    size_t nvolumes;
};

/* Reads dir/config.json; 0, or -1 with one line in err naming the file and field. */
int bundle_load(const char *dir, struct bundle *b, char *err, size_t errlen);
void bundle_free(struct bundle *b);
/* Whether the rootfs holds a unikit image (else the bundle is runc's). */
bool bundle_is_unikit(const struct bundle *b);
/* The same from dir/config.json's root.path alone, before any other check:
   1 unikit, 0 runc's (runc then judges the rest), -1 cannot tell. */
int bundle_peek_unikit(const char *dir);

/* ---- imagecfg.c: <rootfs>/.unikit/config.json ------------------------------- */
struct unikit_image {
    char *elf;  /* <rootfs>/.unikit/image.elf */
    char *arch; /* "x86_64" or "aarch64" */
    uint64_t memory;
    bool net;
};

int unikit_image_load(const char *rootfs, struct unikit_image *img, char *err, size_t errlen);
void unikit_image_free(struct unikit_image *img);

/* ---- state.c: a container's state under --root ------------------------------ */
enum ct_status { CT_CREATING, CT_CREATED, CT_RUNNING, CT_PAUSED, CT_STOPPED };

struct ct_state {
    char *id;
    char *dir; /* root/id */
    char *bundle;
    pid_t pid;                /* the container process */
    unsigned long long start; /* its start time (/proc/PID/stat), against pid reuse */
    char *created;            /* RFC 3339 */
    json_t *annotations;
};

/* An id that is safe as a folder name, as runc allows. */
bool state_valid_id(const char *id);
char *state_dir(const char *id);
/* Whether the id is a unikit container here (else it is runc's). */
bool state_exists(const char *id);
/* 0, or -1 after one error line ("container ID does not exist"). */
int state_load(const char *id, struct ct_state *st);
int state_save(const struct ct_state *st, char *err, size_t errlen);
void state_free(struct ct_state *st);
/* For a verb on id: 0 with st loaded when id is a unikit container here;
   otherwise runc takes over, and this returns only when it could not. */
int state_take(const char *id, struct ct_state *st);
enum ct_status state_status(const struct ct_state *st);
const char *state_status_name(enum ct_status s);
/* The OCI state document. */
json_t *state_json(const struct ct_state *st, enum ct_status status);
/* A process's start time, 0 when it is gone or a zombie. */
unsigned long long proc_start_time(pid_t pid);
/* Whether st's container process still lives (not a zombie, not reused). */
bool state_alive(const struct ct_state *st);
/* QEMU's pid, once the container process has started it; 0 otherwise. */
pid_t state_qemu_pid(const struct ct_state *st);
/* Writes text to dir/name atomically. */
int write_file_atomic(const char *dir, const char *name, const char *text);

/* ---- hooks.c ------------------------------------------------------------------ */
/* Runs the hooks of a kind with the state JSON on stdin; 0, or -1 with err. */
int hooks_run(const struct hook_list *hooks, const char *kind, json_t *state, char *err,
              size_t errlen);
const char *hook_kind_name(enum hook_kind k);

/* ---- container.c: the process left in the pid file --------------------------- */
struct container_setup {
    const char *id;
    struct bundle *bundle;
    struct unikit_image *image;
    int fifo_fd; /* exec.fifo, open read-write: start's byte arrives here */
    int sync_fd; /* create waits on it for "ok" or an error line */
    int tty_fd;  /* the terminal's slave with --console-socket; -1 without */
};

/* In the forked child: never returns. */
void container_main(struct container_setup *c) __attribute__((noreturn));

/* ---- network.c: where the guest gets its NIC -------------------------------- */
/*
 * In the container process, after the hooks and before boot: puts the
 * guest on the container's network (see network.c) and fills boot's
 * network fields. 0, or -1 with one line in err.
 */
int runtime_network_setup(const struct bundle *b, const struct unikit_image *img,
                          struct qemu_boot *boot, char *err, size_t errlen);
/* After the guest ended: takes the redirects off the namespace's eth0, so a
   namespace that outlives the container (a pod's) can take the next one. */
void runtime_network_release(void);

/* ---- runc.c ---------------------------------------------------------------------- */
/* Replaces this process by runc with the same arguments; returns only on error. */
int runc_exec(void);

/* ---- the verbs ---------------------------------------------------------------- */
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);

/* Prints a JSON document on stdout, indented. */
void print_json(json_t *doc);

#endif
