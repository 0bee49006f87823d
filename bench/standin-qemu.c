/*
 * A stand-in for qemu-system-*, for bench/startup.sh: it does what a guest
 * that exits at once makes QEMU do (writes "exit 0" to the control file
 * unikit names on its command line, and exits 1, as the debug-exit device
 * makes QEMU exit) and nothing else, so that `unikit run --rm` with it on
 * PATH times unikit's own work without QEMU's start.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *path = strstr(argv[i], ",path=");
        if (strncmp(argv[i], "file,id=ctl,", 12) != 0 || !path)
            continue;
        FILE *f = fopen(path + 6, "a");
        if (f) {
            fputs("exit 0\n", f);
            fclose(f);
        }
    }
    return 1;
}
