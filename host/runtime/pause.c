/*
 * pause and resume freeze and thaw the guest (SIGSTOP and SIGCONT to QEMU,
 * as a cgroup freezer would); exec is refused: a unikernel runs one program.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"
#include "util.h"

/* The id: the last argument (exec's options come before it). */
static const char *last_id(int argc, char **argv)
{
    return argc > 1 ? argv[argc - 1] : NULL;
}

int cmd_exec(int argc, char **argv)
{
    const char *id = last_id(argc, argv);
    if (!id || !state_exists(id))
        return runc_exec();
    return rt_error("exec: a unikernel runs one program: there is no second process to start "
                    "in container %s",
                    id);
}

static int freeze(int argc, char **argv, bool pause)
{
    if (argc != 2)
        return rt_error("%s: expected one container id", argv[0]);
    struct ct_state st;
    int rc = state_take(argv[1], &st);
    if (rc)
        return rc;
    enum ct_status status = state_status(&st);
    pid_t qemu = state_qemu_pid(&st);
    if (pause && status != CT_RUNNING)
        rc = rt_error("container %s is not running: %s", st.id, state_status_name(status));
    else if (!pause && status != CT_PAUSED)
        rc = rt_error("container %s is not paused: %s", st.id, state_status_name(status));
    else if (qemu <= 0 || kill(qemu, pause ? SIGSTOP : SIGCONT) < 0)
        rc = rt_error("cannot %s container %s: its guest is not running", argv[0], st.id);
    else if (pause && write_file_atomic(st.dir, PAUSED_FILE, "") < 0)
        rc = rt_error("cannot record the pause in %s: %s", st.dir, strerror(errno));
    else if (!pause) {
        char *path = xasprintf("%s/" PAUSED_FILE, st.dir);
        unlink(path);
        free(path);
    }
    state_free(&st);
    return rc;
}

int cmd_pause(int argc, char **argv)
{
    return freeze(argc, argv, true);
}

int cmd_resume(int argc, char **argv)
{
    return freeze(argc, argv, false);
}
