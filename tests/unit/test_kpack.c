/*
 * Tests for host/lib/kpack.c on the KVM probe images that make builds
 * (packed, as every image): their packed sizes read back, packing one again
 * changes nothing, and a file that is not such an image (not an ELF, cut
 * short, a program with no .unikit.pack) is refused with one line naming
 * it and left as it was. The packed bytes themselves are checked against
 * an unpacked build by tests/cli/pack.sh, which boots them too.
 */
#include "check.h"
#include "kpack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/unikit-kpack-XXXXXX";

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    *len = fread(buf, 1, (size_t)size, f);
    fclose(f);
    return buf;
}

/* A copy of the first len bytes of from (all when len is 0), in dir. */
static char *copy_of(const char *from, size_t len, const char *name)
{
    size_t have;
    char *data = slurp(from, &have);
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    fwrite(data, 1, len && len < have ? len : have, f);
    fclose(f);
    free(data);
    return path;
}

static void test_probe_images_are_packed(void)
{
    const char *images[] = {"lib/unikit/x86_64/kvm-probe.elf", "lib/unikit/aarch64/kvm-probe.elf"};
    for (size_t i = 0; i < 2; i++) {
        uint64_t code = 0, stored = 0;
        CHECK(kernel_packed_sizes(images[i], &code, &stored) == 0);
        CHECK(stored > 1000 && stored < code);
    }
}

static void test_packing_again_changes_nothing(void)
{
    char err[512] = "";
    char *path = copy_of("lib/unikit/x86_64/kvm-probe.elf", 0, "again.elf");
    size_t before_len, after_len;
    char *before = slurp(path, &before_len);
    CHECK(kernel_pack(path, err, sizeof err) == 0);
    CHECK_STR(err, "");
    char *after = slurp(path, &after_len);
    CHECK(before_len == after_len && memcmp(before, after, before_len) == 0);
    free(before);
    free(after);
    unlink(path);
    free(path);
}

/* kernel_pack on path fails with one line naming it, and path is unchanged. */
static void refused(const char *path, const char *why)
{
    char err[512] = "";
    size_t before_len, after_len;
    char *before = slurp(path, &before_len);
    CHECK(kernel_pack(path, err, sizeof err) == -1);
    CHECK(strstr(err, path) != NULL && strstr(err, why) != NULL && !strchr(err, '\n'));
    char *after = slurp(path, &after_len);
    CHECK(before_len == after_len && memcmp(before, after, before_len) == 0);
    uint64_t code, stored;
    CHECK(kernel_packed_sizes(path, &code, &stored) == -1);
    free(before);
    free(after);
}

static void test_not_an_image_is_refused(void)
{
    char *text = copy_of("tests/unit/test_kpack.c", 0, "text");
    refused(text, "not a kernel image");
    char *cut = copy_of("lib/unikit/x86_64/kvm-probe.elf", 200, "cut.elf");
    refused(cut, "not a kernel image");
    char *program = copy_of("/proc/self/exe", 0, "program");
    refused(program, "does not lay the image out for packing");
    unlink(text);
    unlink(cut);
    unlink(program);
    free(text);
    free(cut);
    free(program);
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    RUN_TEST(test_probe_images_are_packed);
    RUN_TEST(test_packing_again_changes_nothing);
    RUN_TEST(test_not_an_image_is_refused);
    rmdir(dir);
    CHECK_EXIT();
}
