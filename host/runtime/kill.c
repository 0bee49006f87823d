/*
 * kill [--all] ID [SIGNAL]: the signal goes to the container process,
 * which passes TERM, INT, HUP, QUIT, USR1, USR2, ALRM and WINCH on to the
 * program (its handler runs); KILL ends it and QEMU with it (137).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "util.h"

/* "TERM", "SIGTERM", "15"; 0 when it is none of those. */
static int parse_signal(const char *s)
{
    if (isdigit((unsigned char)*s)) {
        char *end;
        long n = strtol(s, &end, 10);
        return *end || n < 1 || n >= NSIG ? 0 : (int)n;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (int sig = 1; sig < SIGRTMIN; sig++) {
        const char *name = sigabbrev_np(sig);
        if (name && strcasecmp(s, name) == 0)
            return sig;
    }
    return 0;
}

int cmd_kill(int argc, char **argv)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {0}};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "a", opts, NULL)) != -1)
        if (c == '?')
            return rt_error("kill: unknown option '%s'", argv[optind - 1]);
    if (optind >= argc || argc - optind > 2)
        return rt_error("kill: expected a container id and an optional signal (kill ID [SIGNAL])");
    const char *id = argv[optind], *name = optind + 1 < argc ? argv[optind + 1] : "TERM";
    struct ct_state st;
    int rc = state_take(id, &st);
    if (rc)
        return rc;
    int sig = parse_signal(name);
    if (!sig)
        rc = rt_error("kill: unknown signal '%s'", name);
    else if (state_status(&st) == CT_STOPPED)
        rc = rt_error("container not running");
    else if (kill(st.pid, sig) < 0)
        rc = rt_error(errno == ESRCH ? "container not running" : "kill %d: %s", st.pid,
                      strerror(errno));
    state_free(&st);
    return rc;
}
