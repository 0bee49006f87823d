/*
 * The one program a unikernel runs: its command line, environment and
 * the state that Linux keeps per process.
 */
#ifndef UNIKIT_PROC_H
#define UNIKIT_PROC_H

#include "types.h"

/* The monitor's exit status when the kernel itself fails (README: exit codes). */
#define PANIC_STATUS 126

struct boot_config {
    char **argv; /* NULL-terminated */
    char **envp; /* NULL-terminated */
    size_t argc, envc;
    char *cwd;      /* the program's working directory ("cwd="), or NULL: / */
    char *hostname; /* uname's nodename ("hostname="), or NULL: "unikit" */
};

/* The name uname reports for this machine. */
const char *proc_hostname(void);

/* Reads the image's config section, then applies boot command-line overrides. */
void boot_config_load(struct boot_config *cfg, const char *cmdline);

/* Loads the program at path, builds its stack, and starts it. */
noreturn_fn void exec_program(const char *path, const struct boot_config *cfg);

/* Ends the machine with the program's exit status. */
noreturn_fn void proc_exit(int status);
/* Ends the machine as if the program was killed by signal sig. */
noreturn_fn void proc_kill(int sig, const char *why);
/* Sends the program signal sig (a Linux number) as kill(1, sig) does: the
 * Linux layer's, for the signals the host forwards (hoststream.h). */
void proc_signal(int sig);
/* A timer's signal (si_code SI_TIMER): to thread tid, or the process when
 * tid is 0 or gone. */
void proc_signal_timer(int tid, int sig);
/* A signal the calling thread brought on itself (SIGPIPE from a write to a
 * pipe or socket whose reader is gone), to that thread, as Linux sends it. */
void proc_signal_self(int sig);
/* The program's pid and effective user and group ids (kernel/linux/cred.c),
 * for SO_PEERCRED: both ends of an AF_UNIX socket are the one process. */
void proc_credentials(int *pid, uint32_t *uid, uint32_t *gid);

/* Looks up the program's symbol nearest below addr; false if none. */
bool proc_symbol(uintptr_t addr, const char **name, uintptr_t *offset);

#endif
