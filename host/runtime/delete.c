/*
 * delete [--force] ID: removes a stopped (or created) container's state and
 * runs its poststop hooks; a running one only with --force, which kills it
 * (and so its QEMU) first.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime.h"
#include "util.h"

/* SIGKILL, then up to 10 s for it to be gone (a zombie counts: the engine reaps it). */
static int kill_and_wait(const struct ct_state *st)
{
    pid_t qemu = state_qemu_pid(st);
    kill(st->pid, SIGKILL);
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 1000 && state_alive(st); i++)
        nanosleep(&tick, NULL);
    if (state_alive(st))
        return rt_error("container %s: process %d still alive after SIGKILL", st->id, st->pid);
    /* QEMU dies with its parent; this only hurries it. */
    if (qemu > 0 && proc_start_time(qemu))
        kill(qemu, SIGKILL);
    return 0;
}

static void poststop_hooks(const struct ct_state *st)
{
    struct bundle b;
    char err[1024];
    if (bundle_load(st->bundle, &b, err, sizeof(err)) < 0)
        return; /* the bundle is the engine's, and may be gone already */
    json_t *state = state_json(st, CT_STOPPED);
    if (hooks_run(&b.hooks[HOOK_POSTSTOP], "poststop", state, err, sizeof(err)) < 0)
        rt_warn("%s", err);
    json_decref(state);
    bundle_free(&b);
}

int cmd_delete(int argc, char **argv)
{
    static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
    bool force = false;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
        if (c == '?')
            return rt_error("delete: unknown option '%s'", argv[optind - 1]);
        force = true;
    }
    if (optind != argc - 1)
        return rt_error("delete: expected one container id (delete [--force] ID)");
    struct ct_state st;
    int rc = state_take(argv[optind], &st);
    if (rc)
        return rc;
    enum ct_status status = state_status(&st);
    if (status == CT_RUNNING || status == CT_PAUSED) {
        if (!force)
            rc = rt_error("cannot delete container %s that is not stopped: %s", st.id,
                          state_status_name(status));
        else
            rc = kill_and_wait(&st);
    } else if (status == CT_CREATED) {
        rc = kill_and_wait(&st); /* as runc: a created container goes without --force */
    }
    if (rc == 0) {
        poststop_hooks(&st);
        if (remove_tree(st.dir) < 0)
            rc = rt_error("cannot remove %s: %s", st.dir, strerror(errno));
    }
    state_free(&st);
    return rc;
}
