/*
 * Tests for host/lib/elfcheck.c against real programs built here with the
 * installed compilers, and against damaged copies of them.
 */
#include "check.h"
#include "elfcheck.h"

#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ERR_LEN 512

static char fixture_root[] = "/tmp/unikit-elfcheck-XXXXXX";

/* Fixtures that could be built; a test whose fixture is missing is skipped. */
static bool have_musl_static, have_dynamic, have_musl_static_pie, have_real_static_pie;
static bool have_object, have_needed_only;

static char *fixture(const char *leaf)
{
    static char buf[8][512];
    static int next;
    char *out = buf[next++ % 8];
    snprintf(out, sizeof buf[0], "%s/%s", fixture_root, leaf);
    return out;
}

/* Runs command in the fixture folder, quietly; true if it succeeded. */
static bool in_fixtures(const char *command)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s >/dev/null 2>&1", fixture_root, command);
    return system(cmd) == 0;
}

static bool write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *data = size > 0 ? malloc((size_t)size) : NULL;
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *len = data ? (size_t)size : 0;
    return data;
}

/* Writes the first len bytes of src to dst. */
static bool truncated_copy(const char *src, const char *dst, size_t len)
{
    size_t size;
    char *data = read_all(src, &size);
    bool ok = data && len <= size && write_bytes(dst, data, len);
    free(data);
    return ok;
}

/* Copies src to dst with the ELF header changed by edit. */
static bool patched_copy(const char *src, const char *dst, void (*edit)(Elf64_Ehdr *))
{
    size_t size;
    char *data = read_all(src, &size);
    bool ok = data && size >= sizeof(Elf64_Ehdr);
    if (ok) {
        Elf64_Ehdr eh;
        memcpy(&eh, data, sizeof eh);
        edit(&eh);
        memcpy(data, &eh, sizeof eh);
        ok = write_bytes(dst, data, size);
    }
    free(data);
    return ok;
}

static void make_fixtures(void)
{
    if (!mkdtemp(fixture_root)) {
        perror("mkdtemp");
        exit(1);
    }
    const char *hello = "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n";
    write_bytes(fixture("hello.c"), hello, strlen(hello));
    const char *text = "#!/bin/sh\necho this is not an ELF file\n";
    write_bytes(fixture("script.sh"), text, strlen(text));
    write_bytes(fixture("empty"), "", 0);

    have_musl_static = in_fixtures("musl-gcc -static -o static hello.c");
    have_dynamic = in_fixtures("cc -o dynamic hello.c");
    have_musl_static_pie = in_fixtures("musl-gcc -static-pie -o musl-static-pie hello.c");
    have_object = in_fixtures("cc -c -o hello.o hello.c");
    /* A PIE that wants libc.so.6 but names no interpreter: only DT_NEEDED gives it away. */
    have_needed_only = in_fixtures("cc -fPIE -pie -Wl,--no-dynamic-linker -o needed-only hello.c");
    /* A real static-PIE, linked by hand as musl-gcc cannot (see shared/FACTS.md). */
    have_real_static_pie = in_fixtures(
        "M=/usr/lib/x86_64-linux-musl && G=$(dirname $(cc -print-libgcc-file-name)) && "
        "musl-gcc -fPIE -c -o hello-pie.o hello.c && "
        "ld -static -pie --no-dynamic-linker -z text -o real-static-pie $M/rcrt1.o $M/crti.o "
        "$G/crtbeginS.o hello-pie.o $M/libc.a $G/libgcc.a $G/crtendS.o $M/crtn.o");
}

static void remove_fixtures(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fixture_root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fixture_root);
}

/* Runs elf_check_program and returns its error ("" when it accepted the file). */
static const char *check_program(const char *path, const char *arch)
{
    static char err[ERR_LEN];
    err[0] = '\0';
    int rc = elf_check_program(path, arch, err, sizeof err);
    if (rc == 0 && err[0])
        return "(accepted, but left an error message)";
    if (rc != 0 && !err[0])
        return "(rejected with no error message)";
    return err;
}

static char *expected(const char *path, const char *rest)
{
    static char buf[ERR_LEN];
    snprintf(buf, sizeof buf, "%s: %s", path, rest);
    return buf;
}

/* ---- real programs ------------------------------------------------------------------- */

static void test_musl_static_accepted(void)
{
    const char *path = fixture("static");
    CHECK_STR(check_program(path, "x86_64"), "");
    struct elf_info info;
    char err[ERR_LEN] = "";
    CHECK(elf_inspect(path, &info, err, sizeof err) == 0);
    CHECK_STR(info.arch, "x86_64");
    CHECK(info.machine == EM_X86_64);
    CHECK(!info.is_pie && !info.has_interp && !info.has_needed);
    CHECK(info.has_symbols);
    CHECK(info.entry != 0);
}

static void test_musl_static_wrong_arch(void)
{
    const char *path = fixture("static");
    CHECK_STR(check_program(path, "aarch64"),
              expected(path, "built for x86_64, but the image is for aarch64"));
}

static void test_stripped_static_has_no_symbols(void)
{
    const char *path = fixture("stripped");
    CHECK(in_fixtures("strip -o stripped static"));
    struct elf_info info;
    char err[ERR_LEN] = "";
    CHECK(elf_inspect(path, &info, err, sizeof err) == 0);
    CHECK(!info.has_symbols);
    CHECK_STR(check_program(path, "x86_64"), "");
}

static void test_glibc_dynamic_rejected_naming_interpreter(void)
{
    const char *path = fixture("dynamic");
    const char *err = check_program(path, "x86_64");
    CHECK_CONTAINS(err, expected(path, "dynamically linked (interpreter /"));
    CHECK_CONTAINS(err, "ld-linux-x86-64.so.2); build it with -static");
    struct elf_info info;
    char buf[ERR_LEN];
    CHECK(elf_inspect(path, &info, buf, sizeof buf) == 0);
    CHECK(info.is_pie && info.has_interp && info.has_needed);
}

static void test_musl_static_pie_names_interpreter(void)
{
    const char *path = fixture("musl-static-pie");
    CHECK_STR(check_program(path, "x86_64"),
              expected(path, "dynamically linked (interpreter /lib/ld-musl-x86_64.so.1); build "
                             "it with -static"));
}

static void test_real_static_pie_accepted(void)
{
    const char *path = fixture("real-static-pie");
    CHECK_STR(check_program(path, "x86_64"), "");
    struct elf_info info;
    char err[ERR_LEN] = "";
    CHECK(elf_inspect(path, &info, err, sizeof err) == 0);
    CHECK(info.is_pie && !info.has_interp && !info.has_needed);
}

static void test_needed_without_interpreter_rejected(void)
{
    const char *path = fixture("needed-only");
    CHECK_STR(check_program(path, "x86_64"),
              expected(path, "dynamically linked (needs libc.so.6); build it with -static"));
}

static void test_object_file_not_executable(void)
{
    const char *path = fixture("hello.o");
    CHECK_CONTAINS(check_program(path, "x86_64"),
                   expected(path, "not an executable (ELF type ET_REL"));
    struct elf_info info;
    char err[ERR_LEN] = "";
    CHECK(elf_inspect(path, &info, err, sizeof err) == 0);
    CHECK_STR(info.arch, "x86_64");
}

/* ---- patched headers ----------------------------------------------------------------- */

static void make_aarch64(Elf64_Ehdr *eh)
{
    eh->e_machine = EM_AARCH64;
}

static void make_riscv(Elf64_Ehdr *eh)
{
    eh->e_machine = EM_RISCV;
}

static void make_core(Elf64_Ehdr *eh)
{
    eh->e_type = ET_CORE;
}

static void make_phoff_huge(Elf64_Ehdr *eh)
{
    eh->e_phoff = UINT64_MAX - 8; /* offset + size wraps around */
}

static void make_phnum_extended(Elf64_Ehdr *eh)
{
    eh->e_phnum = PN_XNUM;
    eh->e_shoff = 0; /* the real count would be in section 0, which is gone */
}

static void make_shoff_past_end(Elf64_Ehdr *eh)
{
    eh->e_shoff = 1u << 30;
}

static void make_phentsize_wrong(Elf64_Ehdr *eh)
{
    eh->e_phentsize = 8;
}

static void make_freebsd(Elf64_Ehdr *eh)
{
    eh->e_ident[EI_OSABI] = ELFOSABI_FREEBSD;
}

static void test_aarch64_program_on_x86_64_image(void)
{
    const char *path = fixture("as-aarch64");
    CHECK(patched_copy(fixture("static"), path, make_aarch64));
    CHECK_STR(check_program(path, "x86_64"),
              expected(path, "built for aarch64, but the image is for x86_64"));
    CHECK_STR(check_program(path, "aarch64"), "");
    struct elf_info info;
    char err[ERR_LEN];
    CHECK(elf_inspect(path, &info, err, sizeof err) == 0);
    CHECK_STR(info.arch, "aarch64");
}

static void test_unknown_machine_rejected(void)
{
    const char *path = fixture("as-riscv");
    CHECK(patched_copy(fixture("static"), path, make_riscv));
    CHECK_STR(check_program(path, "x86_64"),
              expected(path, "unsupported architecture (e_machine 243)"));
    struct elf_info info;
    char err[ERR_LEN];
    CHECK(elf_inspect(path, &info, err, sizeof err) == 0);
    CHECK(info.arch == NULL && info.machine == EM_RISCV);
}

static void test_core_type_and_other_os_rejected(void)
{
    const char *core = fixture("as-core");
    CHECK(patched_copy(fixture("static"), core, make_core));
    CHECK_CONTAINS(check_program(core, "x86_64"),
                   expected(core, "not an executable (ELF type ET_CORE"));
    const char *bsd = fixture("as-freebsd");
    CHECK(patched_copy(fixture("static"), bsd, make_freebsd));
    CHECK_CONTAINS(check_program(bsd, "x86_64"), expected(bsd, "not a Linux program"));
}

static void test_bad_header_fields_rejected(void)
{
    void (*edits[])(Elf64_Ehdr *) = {make_phoff_huge, make_phnum_extended, make_shoff_past_end,
                                     make_phentsize_wrong};
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
        const char *path = fixture("bad-field");
        CHECK(patched_copy(fixture("static"), path, edits[i]));
        CHECK_CONTAINS(check_program(path, "x86_64"),
                       expected(path, "truncated or malformed ELF file ("));
    }
}

/* ---- not ELF64 at all, or cut short ---------------------------------------------------- */

static void test_text_and_empty_files_not_elf(void)
{
    const char *script = fixture("script.sh");
    CHECK_STR(check_program(script, "x86_64"), expected(script, "not an ELF file"));
    const char *empty = fixture("empty");
    CHECK_STR(check_program(empty, "x86_64"), expected(empty, "not an ELF file"));
    struct elf_info info;
    char err[ERR_LEN];
    CHECK(elf_inspect(script, &info, err, sizeof err) == -1);
    CHECK_STR(err, expected(script, "not an ELF file"));
}

static void test_missing_file_and_folder(void)
{
    CHECK_STR(check_program("/nonexistent/unikit/prog", "x86_64"),
              "/nonexistent/unikit/prog: No such file or directory");
    CHECK_STR(check_program(fixture_root, "x86_64"), expected(fixture_root, "not a regular file"));
}

static void test_elf32_rejected(void)
{
    Elf32_Ehdr eh = {0};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_386;
    eh.e_version = EV_CURRENT;
    eh.e_ehsize = sizeof eh;
    unsigned char file[64] = {0};
    memcpy(file, &eh, sizeof eh);
    const char *path = fixture("elf32");
    CHECK(write_bytes(path, file, sizeof file));
    CHECK_STR(check_program(path, "x86_64"),
              expected(path, "32-bit ELF; unikit runs 64-bit programs"));
}

static void test_truncated_copies_rejected(void)
{
    const char *path = fixture("cut");
    CHECK(truncated_copy(fixture("static"), path, 100)); /* inside the program headers */
    CHECK_STR(check_program(path, "x86_64"),
              expected(path, "truncated or malformed ELF file (program headers past the end of "
                             "the file)"));
    CHECK(truncated_copy(fixture("static"), path, 40)); /* inside the ELF header */
    CHECK_STR(check_program(path, "x86_64"),
              expected(path, "truncated or malformed ELF file (the ELF header is cut short)"));
    CHECK(truncated_copy(fixture("static"), path, 4096)); /* section headers lost */
    CHECK_CONTAINS(check_program(path, "x86_64"), expected(path, "truncated or malformed"));
    struct elf_info info;
    char err[ERR_LEN];
    CHECK(elf_inspect(path, &info, err, sizeof err) == -1);
}

/* Every cut of a dynamic program must give an error, never a crash (ASan watches). */
static void test_every_cut_is_an_error(void)
{
    size_t size;
    char *data = read_all(fixture("dynamic"), &size);
    CHECK(data != NULL);
    const char *path = fixture("cut-dynamic");
    size_t accepted = 0;
    for (size_t len = 0; data && len < size; len += len < 1024 ? 1 : 97) {
        CHECK(write_bytes(path, data, len));
        struct elf_info info;
        char err[ERR_LEN] = "";
        if (elf_inspect(path, &info, err, sizeof err) == 0)
            accepted++;
        else
            CHECK(err[0] != '\0');
    }
    /* The section headers sit at the end, so no shorter copy is whole. */
    CHECK(accepted == 0);
    free(data);
}

/* Random damage to the headers: any answer is fine, a crash is not. */
static void test_corrupt_headers_do_not_crash(void)
{
    size_t size;
    char *data = read_all(fixture("dynamic"), &size);
    CHECK(data != NULL);
    const char *path = fixture("corrupt");
    uint32_t seed = 12345;
    for (int round = 0; data && round < 300; round++) {
        char *copy = malloc(size);
        memcpy(copy, data, size);
        for (int k = 0; k < 8; k++) {
            seed = seed * 1664525u + 1013904223u; /* a fixed LCG: the same damage each run */
            size_t at = SELFMAG + (seed >> 8) % (size < 1024 ? size - SELFMAG : 1024 - SELFMAG);
            copy[at] = (char)(seed >> 3);
        }
        CHECK(write_bytes(path, copy, size));
        char err[ERR_LEN] = "";
        int rc = elf_check_program(path, "x86_64", err, sizeof err);
        CHECK(rc == -1 || rc == 0);
        free(copy);
    }
    free(data);
}

/* ---- sections (what unikit's export reads .unikit.files with) ------------------------- */

static void test_find_section(void)
{
    const char *path = fixture("static");
    uint64_t off = 0, size = 0;
    char err[ERR_LEN] = "";
    CHECK(elf_find_section(path, ".text", &off, &size, err, sizeof err) == 0);
    CHECK(off > 0 && size > 0);
    /* A section the file lacks: 1, and a line naming it. */
    CHECK(elf_find_section(path, ".unikit.files", &off, &size, err, sizeof err) == 1);
    CHECK_STR(err, expected(path, "no .unikit.files section"));
    /* Cut before its section headers: an error, not a read past the end. */
    const char *cut = fixture("cut-sections");
    CHECK(truncated_copy(path, cut, 4096));
    err[0] = '\0';
    CHECK(elf_find_section(cut, ".text", &off, &size, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "truncated or malformed");
}

/* Every cut and random damage: an answer and never a crash (ASan watches). */
static void test_find_section_in_damaged_copies(void)
{
    size_t size;
    char *data = read_all(fixture("static"), &size);
    CHECK(data != NULL);
    const char *path = fixture("damaged-sections");
    uint32_t seed = 777;
    for (size_t len = 0; data && len < size; len += 1 + len / 3) {
        CHECK(write_bytes(path, data, len));
        uint64_t off, sz;
        char err[ERR_LEN] = "";
        int rc = elf_find_section(path, ".text", &off, &sz, err, sizeof err);
        CHECK(rc == -1 || rc == 1 || (rc == 0 && off + sz <= len));
    }
    for (int round = 0; data && round < 200; round++) {
        char *copy = malloc(size);
        memcpy(copy, data, size);
        for (int k = 0; k < 8; k++) {
            seed = seed * 1664525u + 1013904223u;
            copy[SELFMAG + (seed >> 8) % (size - SELFMAG)] = (char)(seed >> 3);
        }
        CHECK(write_bytes(path, copy, size));
        uint64_t off, sz;
        char err[ERR_LEN] = "";
        int rc = elf_find_section(path, ".text", &off, &sz, err, sizeof err);
        CHECK(rc == -1 || rc == 1 || (rc == 0 && off + sz <= size));
        free(copy);
    }
    free(data);
}

#define RUN_IF(have, fn, why)                                                                      \
    do {                                                                                           \
        if (have)                                                                                  \
            RUN_TEST(fn);                                                                          \
        else                                                                                       \
            printf("skip %s: %s\n", #fn, why);                                                     \
    } while (0)

int main(void)
{
    make_fixtures();
    const char *no_musl = "musl-gcc -static failed (is musl-tools installed?)";
    RUN_IF(have_musl_static, test_musl_static_accepted, no_musl);
    RUN_IF(have_musl_static, test_musl_static_wrong_arch, no_musl);
    RUN_IF(have_musl_static, test_stripped_static_has_no_symbols, no_musl);
    RUN_IF(have_dynamic, test_glibc_dynamic_rejected_naming_interpreter, "cc failed");
    RUN_IF(have_musl_static_pie, test_musl_static_pie_names_interpreter,
           "musl-gcc -static-pie failed");
    RUN_IF(have_real_static_pie, test_real_static_pie_accepted,
           "linking a static-PIE by hand (rcrt1.o) failed");
    RUN_IF(have_needed_only, test_needed_without_interpreter_rejected,
           "cc -pie -Wl,--no-dynamic-linker failed");
    RUN_IF(have_object, test_object_file_not_executable, "cc -c failed");
    RUN_IF(have_musl_static, test_aarch64_program_on_x86_64_image, no_musl);
    RUN_IF(have_musl_static, test_unknown_machine_rejected, no_musl);
    RUN_IF(have_musl_static, test_core_type_and_other_os_rejected, no_musl);
    RUN_IF(have_musl_static, test_bad_header_fields_rejected, no_musl);
    RUN_TEST(test_text_and_empty_files_not_elf);
    RUN_TEST(test_missing_file_and_folder);
    RUN_TEST(test_elf32_rejected);
    RUN_IF(have_musl_static, test_truncated_copies_rejected, no_musl);
    RUN_IF(have_dynamic, test_every_cut_is_an_error, "cc failed");
    RUN_IF(have_dynamic, test_corrupt_headers_do_not_crash, "cc failed");
    RUN_IF(have_musl_static, test_find_section, no_musl);
    RUN_IF(have_musl_static, test_find_section_in_damaged_copies, no_musl);
    remove_fixtures();
    CHECK_EXIT();
}
