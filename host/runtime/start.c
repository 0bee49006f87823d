/* start ID: the byte on exec.fifo that lets the container process boot the guest. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"
#include "util.h"

static int release(const struct ct_state *st)
{
    char *fifo = xasprintf("%s/" EXEC_FIFO, st->dir);
    /* Non-blocking: only the container process holds it open, so no reader means it is gone. */
    int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC), rc = 0;
    if (fd < 0 || write(fd, "0", 1) != 1)
        rc = rt_error("cannot start container %s: its process is gone (%s)", st->id,
                      strerror(errno));
    else
        unlink(fifo); /* from now on, state says running */
    if (fd >= 0)
        close(fd);
    free(fifo);
    return rc;
}

static void poststart_hooks(const struct ct_state *st)
{
    struct bundle b;
    char err[1024];
    if (bundle_load(st->bundle, &b, err, sizeof(err)) < 0)
        return;
    json_t *state = state_json(st, CT_RUNNING);
    if (hooks_run(&b.hooks[HOOK_POSTSTART], "poststart", state, err, sizeof(err)) < 0)
        rt_warn("%s", err);
    json_decref(state);
    bundle_free(&b);
}

int cmd_start(int argc, char **argv)
{
    if (argc != 2)
        return rt_error("start: expected one container id (start ID)");
    struct ct_state st;
    int rc = state_take(argv[1], &st);
    if (rc)
        return rc;
    enum ct_status status = state_status(&st);
    if (status == CT_STOPPED)
        rc = rt_error("cannot start a container that has stopped");
    else if (status != CT_CREATED)
        rc = rt_error("cannot start an already running container");
    else if ((rc = release(&st)) == 0)
        poststart_hooks(&st);
    state_free(&st);
    return rc;
}
