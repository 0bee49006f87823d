/*
 * Bundles without a unikit image are ordinary containers: runc runs them,
 * with exactly the command line this runtime got, so unikit-runtime can be
 * an engine's default runtime. $UNIKIT_RUNC names another runc.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"
#include "util.h"

/* Whether path is this very program (installed as "runc", it would loop). */
static bool is_self(const char *path)
{
    char self[PATH_MAX], other[PATH_MAX];
    return realpath("/proc/self/exe", self) && realpath(path, other) && strcmp(self, other) == 0;
}

int runc_exec(void)
{
    const char *name = getenv("UNIKIT_RUNC");
    char *path = name && *name ? (strchr(name, '/') ? xstrdup(name) : program_path(name))
                               : program_path("runc");
    if (!path)
        return rt_error("not a unikit container, and runc is not installed to run it "
                        "(install runc, or set UNIKIT_RUNC)");
    if (is_self(path))
        return rt_error("%s is unikit-runtime itself: install runc to run ordinary containers",
                        path);
    rt.argv[0] = "runc";
    fflush(NULL);
    execv(path, rt.argv);
    int e = errno;
    rt_error("cannot run %s: %s", path, strerror(e));
    free(path);
    return RT_ERROR_EXIT;
}
