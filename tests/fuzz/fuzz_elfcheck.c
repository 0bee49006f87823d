/*
 * libFuzzer target: the ELF checks (host/lib/elfcheck.c) on any bytes. The
 * checks read a file by path with pread, so each input goes into one memfd,
 * named through /proc/self/fd: no disk, and the code runs as it does for
 * `unikit build` and `unikit push`.
 */
#include "fuzz.h"

#include <stdint.h>
#include <sys/mman.h>

#include "elfcheck.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fd < 0) {
        fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    struct elf_info info;
    char err[512];
    int rc = elf_inspect(path, &info, err, sizeof err);
    fuzz_check_error(rc, err);
    fuzz_check_error(elf_check_program(path, NULL, err, sizeof err), err);
    fuzz_check_error(elf_check_program(path, "aarch64", err, sizeof err), err);
    uint64_t off = 0, len = 0;
    rc = elf_find_section(path, ".unikit.files", &off, &len, err, sizeof err);
    fuzz_check_error(rc, err);
    if (rc == 0 && (off > size || len > size - off))
        abort(); /* a section found must lie inside the file */
    return 0;
}
