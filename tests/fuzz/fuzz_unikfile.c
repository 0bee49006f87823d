/*
 * libFuzzer target: the Unikfile parser (host/lib/unikfile.c) on any bytes,
 * through unikfile_load_text, in a build context with a source file and a
 * folder so that build.sources and files: can name things that exist.
 */
#include "fuzz.h"

#include <stdint.h>
#include <sys/stat.h>

#include "unikfile.h"

static char *context;
static char unikfile[4096];

static void remove_context(void)
{
    fuzz_remove_tree(context);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    context = fuzz_scratch_dir("unikfile");
    atexit(remove_context);
    fuzz_write_file(context, "hello.c", "int main(void) { return 0; }\n");
    fuzz_write_file(context, "prog", "not really a program\n");
    char data[4096];
    snprintf(data, sizeof data, "%s/data", context);
    if (mkdir(data, 0755) != 0)
        abort();
    fuzz_write_file(data, "motd", "hello\n");
    snprintf(unikfile, sizeof unikfile, "%s/Unikfile", context);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct unikfile uf;
    char err[512];
    int rc = unikfile_load_text(unikfile, (const char *)data, size, 0, &uf, err, sizeof err);
    fuzz_check_error(rc, err);
    if (rc == 0 && (!uf.name || !uf.cmd || !uf.cmd[0] || !uf.arch || !uf.arch[0]))
        abort(); /* a loaded Unikfile always has these (defaults included) */
    if (rc == 0)
        unikfile_free(&uf);
    return 0;
}
