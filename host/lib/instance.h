/*
 * Instances: booted images, recorded under $UNIKIT_HOME/instances/ID/ so
 * that ps, logs, stop, kill, rm and inspect work from any shell.
 *
 *   config.json   what was asked for: image, cmd, env, memory, ports, -p, --ip, -v
 *   state.json    status, the supervisor's and QEMU's pids, exit code, times
 *   output        the program's stdout and stderr and the kernel's console,
 *                 kept apart (outlog.h)
 *   control       the kernel's exit record; qemu.log: QEMU's own messages
 *
 * The supervisor is the process that waits for QEMU and writes the exit
 * into state.json: `unikit run` itself in the foreground, a detached child
 * with -d. JSON files are replaced atomically (temporary file, fsync,
 * rename), so a reader sees the old state or the new one.
 */
#ifndef UNIKIT_INSTANCE_H
#define UNIKIT_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define INSTANCE_ID_LEN    64
#define INSTANCE_SHORT_LEN 12
/* state.exit_code of an instance whose supervisor vanished without recording one. */
#define INSTANCE_EXIT_UNKNOWN -1

enum instance_status { INSTANCE_CREATED, INSTANCE_RUNNING, INSTANCE_EXITED };

struct instance_config {
    char *image;        /* the reference it was started from, "hello:latest" */
    char *image_digest; /* the manifest's digest */
    char *arch;
    char **cmd;               /* the program's argv; NULL-terminated */
    char **env;               /* the image's env with the -e overrides; NULL-terminated */
    char **ports;             /* from the image; NULL-terminated */
    char **publish;           /* -p "HOST:GUEST[/tcp|/udp]"; NULL-terminated */
    char **volumes;           /* -v "SOURCE:TARGET:ro|rw" (volume.h); NULL-terminated */
    char **anonymous_volumes; /* the folders of the volumes made for it, removed with it */
    char *ip;                 /* --ip "ADDR/PREFIX", or NULL for DHCP */
    uint64_t memory;
    unsigned cpus;
    char *accel;     /* the accelerator it runs with, "kvm" or "tcg" */
    char *accel_why; /* why that one (accel.h), or NULL */
    bool auto_remove;
    bool detach;
};

struct instance_state {
    enum instance_status status;
    pid_t supervisor_pid, qemu_pid;
    /* Start times (/proc/PID/stat field 22), to tell a reused pid apart. */
    unsigned long long supervisor_start, qemu_start;
    int exit_code;            /* when exited; INSTANCE_EXIT_UNKNOWN if lost */
    struct timespec started;  /* zero until started */
    struct timespec finished; /* zero until exited, or when unknown */
    char *error;              /* why QEMU failed, or the exit is unknown; NULL otherwise */
};

struct instance {
    char id[INSTANCE_ID_LEN + 1];
    char *name;
    char *dir;
    struct timespec created;
    struct instance_config config;
    struct instance_state state;
};

/*
 * Creates a new instance (status created) with a fresh id and name (NULL:
 * a generated one). A name in use fails with err "the name 'N' is already
 * in use by instance ID12". 0, or -1 with err.
 */
int instance_create(const char *home, const char *name, const struct instance_config *cfg,
                    struct instance *out, char *err, size_t errlen);

/* Every instance, newest first. */
int instance_list(const char *home, struct instance **out, size_t *count, char *err, size_t errlen);

/* By exact name, full id or unique id prefix. 0, or -1 with err (unknown or ambiguous). */
int instance_find(const char *home, const char *key, struct instance *out, char *err,
                  size_t errlen);

/* Writes inst->state to state.json atomically. */
int instance_save_state(const struct instance *inst);

/*
 * Re-reads state.json and checks the supervisor is still the process that
 * was recorded: a created or running instance whose supervisor is gone (or
 * whose pid now belongs to another process) reads as exited, exit code unknown.
 */
void instance_refresh(struct instance *inst);

/*
 * Created (its supervisor about to start QEMU) or running: what stop, kill
 * and rm must treat as live. After instance_refresh, only while the
 * supervisor is.
 */
bool instance_active(const struct instance *inst);

/* Whether the recorded supervisor or QEMU process is still that process. */
bool instance_supervisor_alive(const struct instance *inst);
bool instance_qemu_alive(const struct instance *inst);
/* Signals the process if it is still the recorded one; false if not. */
bool instance_signal_supervisor(const struct instance *inst, int sig);
bool instance_signal_qemu(const struct instance *inst, int sig);

/* Polls until the instance is no longer running (or is removed); false on timeout. */
bool instance_wait_exit(struct instance *inst, double seconds);

/*
 * stop: SIGTERM to the supervisor, which stops QEMU as Ctrl-C does a
 * foreground run (exit 143); after timeout seconds, SIGKILL to QEMU (137).
 * kill: SIGKILL to QEMU at once. Both kill a QEMU left behind by a vanished
 * supervisor, and wait for the exit to be recorded: false if it was not.
 */
bool instance_stop(struct instance *inst, double timeout);
bool instance_kill(struct instance *inst);

/* Deletes the instance's folder (renamed away first, so it vanishes at once),
   then the anonymous volumes made for it. */
int instance_remove(const struct instance *inst, char *err, size_t errlen);

/* $dir/output, the output log; a new string. */
char *instance_log_path(const struct instance *inst);

/* The start time of a process (clock ticks since boot), 0 if it is gone or a zombie. */
unsigned long long instance_proc_start(pid_t pid);

/* "2024-05-01T12:00:00.123456789Z"; "" for a zero time. */
void instance_format_time(const struct timespec *t, char *buf, size_t len);
const char *instance_status_name(enum instance_status s);

void instance_free(struct instance *inst);
void instance_list_free(struct instance *list, size_t count);

#endif
