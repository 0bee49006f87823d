/*
 * Unit tests for host/lib/unikfile.c. Each test builds its fixtures in a
 * fresh temporary folder, so that paths, default names and line numbers in
 * error messages are known exactly.
 */
#include "check.h"
#include "unikfile.h"

#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The app folder's name is what a Unikfile without `name:` is called. */
#define APP_FOLDER "hello-app"

static char root[1024];    /* the mkdtemp folder, removed after each test */
static char app_dir[1100]; /* root/hello-app: holds the Unikfile and its inputs */
static char unikfile_path[1200];

static void app_path(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", app_dir, rel);
}

static void write_file(const char *rel, const char *text)
{
    char path[PATH_MAX];
    app_path(path, sizeof path, rel);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

static void make_folder(const char *rel)
{
    char path[PATH_MAX];
    app_path(path, sizeof path, rel);
    CHECK(mkdir(path, 0755) == 0);
}

/* A folder with the usual inputs: two sources, a prebuilt binary, a folder and a file to copy. */
static void fixture_open(void)
{
    snprintf(root, sizeof root, "%s/unikfile-test-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    CHECK(mkdtemp(root) != NULL);
    snprintf(app_dir, sizeof app_dir, "%s/%s", root, APP_FOLDER);
    CHECK(mkdir(app_dir, 0755) == 0);
    snprintf(unikfile_path, sizeof unikfile_path, "%s/Unikfile", app_dir);
    write_file("hello.c", "int main(void) { return 0; }\n");
    make_folder("src");
    write_file("src/util.c", "int util;\n");
    make_folder("out");
    write_file("out/app", "\177ELF");
    make_folder("public");
    write_file("public/index.html", "<p>hi</p>\n");
    write_file("config.txt", "x=1\n");
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void fixture_close(void)
{
    CHECK(nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

static int load(const char *yaml, struct unikfile *uf, char *err, size_t errlen)
{
    write_file("Unikfile", yaml);
    return unikfile_load(unikfile_path, uf, err, errlen);
}

static bool is_zeroed(const struct unikfile *uf)
{
    static const struct unikfile zero;
    return memcmp(uf, &zero, sizeof zero) == 0;
}

static const char *host_arch(void)
{
    static struct utsname u;
    uname(&u);
    return strcmp(u.machine, "arm64") == 0 ? "aarch64" : u.machine;
}

/* ---- valid files -------------------------------------------------------------------- */

static void test_every_field(void)
{
    fixture_open();
    struct unikfile uf;
    char err[512] = "", want[PATH_MAX];
    int rc = load("# every field\n"
                  "name: web/hello-1.0\n"
                  "build:\n"
                  "  sources: [hello.c, src/util.c]\n"
                  "  cflags: [-O2, -DGREETING=1]\n"
                  "cmd: [\"/hello\", \"world\", \"\"]\n"
                  "env: { GREETING: hi, COUNT: 3, EMPTY: \"\", URL: \"a=b\" }\n"
                  "files: { ./public: /srv/www, config.txt: /etc/app.conf }\n"
                  "memory: 16M\n"
                  "ports: [80, \"8080\", 53/udp, 443/tcp, 0022/UDP]\n"
                  "arch: [amd64, arm64]\n",
                  &uf, err, sizeof err);
    CHECK(rc == 0);
    CHECK_STR(err, "");
    CHECK_STR(uf.path, unikfile_path);
    CHECK_STR(uf.dir, app_dir);
    CHECK_STR(uf.name, "web/hello-1.0");

    CHECK(uf.nsources == 2);
    app_path(want, sizeof want, "hello.c");
    CHECK_STR(uf.sources[0], want);
    app_path(want, sizeof want, "src/util.c");
    CHECK_STR(uf.sources[1], want);
    CHECK(uf.sources[2] == NULL);
    CHECK(uf.binary == NULL);
    CHECK(uf.ncflags == 2);
    CHECK_STR(uf.cflags[0], "-O2");
    CHECK_STR(uf.cflags[1], "-DGREETING=1");
    CHECK(uf.cflags[2] == NULL);

    CHECK(uf.ncmd == 3);
    CHECK_STR(uf.cmd[0], "/hello");
    CHECK_STR(uf.cmd[1], "world");
    CHECK_STR(uf.cmd[2], "");
    CHECK(uf.cmd[3] == NULL);

    CHECK(uf.nenv == 4);
    CHECK_STR(uf.env[0], "GREETING=hi");
    CHECK_STR(uf.env[1], "COUNT=3");
    CHECK_STR(uf.env[2], "EMPTY=");
    CHECK_STR(uf.env[3], "URL=a=b");
    CHECK(uf.env[4] == NULL);

    CHECK(uf.nfiles == 2);
    app_path(want, sizeof want, "./public");
    CHECK_STR(uf.files[0].host, want);
    CHECK_STR(uf.files[0].guest, "/srv/www");
    app_path(want, sizeof want, "config.txt");
    CHECK_STR(uf.files[1].host, want);
    CHECK_STR(uf.files[1].guest, "/etc/app.conf");

    CHECK(uf.memory == 16u << 20);

    CHECK(uf.nports == 5);
    CHECK_STR(uf.ports[0], "80");
    CHECK_STR(uf.ports[1], "8080");
    CHECK_STR(uf.ports[2], "53/udp");
    CHECK_STR(uf.ports[3], "443");
    CHECK_STR(uf.ports[4], "22/udp");
    CHECK(uf.ports[5] == NULL);

    CHECK(uf.narch == 2);
    CHECK_STR(uf.arch[0], "x86_64");
    CHECK_STR(uf.arch[1], "aarch64");
    CHECK(uf.arch[2] == NULL);

    unikfile_free(&uf);
    CHECK(is_zeroed(&uf));
    unikfile_free(&uf); /* a freed struct is zeroed, so freeing again is harmless */
    fixture_close();
}

static void test_block_style_and_big_memory(void)
{
    fixture_open();
    struct unikfile uf;
    char err[512] = "";
    int rc = load("build:\n"
                  "  sources:\n"
                  "    - hello.c\n"
                  "cmd:\n"
                  "  - /bin/hello\n"
                  "  - --verbose\n"
                  "env:\n"
                  "  A: 1\n"
                  "memory: 64G\n"
                  "ports: [65535/udp, 1]\n"
                  "arch:\n"
                  "  - aarch64\n",
                  &uf, err, sizeof err);
    CHECK(rc == 0);
    CHECK_STR(err, "");
    CHECK(uf.ncmd == 2);
    CHECK_STR(uf.cmd[1], "--verbose");
    CHECK_STR(uf.env[0], "A=1");
    CHECK(uf.memory == UINT64_C(64) << 30);
    CHECK(uf.nports == 2);
    CHECK_STR(uf.ports[0], "65535/udp");
    CHECK_STR(uf.ports[1], "1");
    CHECK(uf.narch == 1);
    CHECK_STR(uf.arch[0], "aarch64");
    unikfile_free(&uf);
    fixture_close();
}

static void test_defaults_for_sources(void)
{
    fixture_open();
    struct unikfile uf;
    char err[512] = "";
    CHECK(load("build: { sources: [hello.c] }\n", &uf, err, sizeof err) == 0);
    CHECK_STR(err, "");
    CHECK_STR(uf.name, APP_FOLDER);
    CHECK(uf.ncmd == 1);
    CHECK_STR(uf.cmd[0], "/" APP_FOLDER);
    CHECK(uf.cmd[1] == NULL);
    CHECK(uf.narch == 1);
    CHECK_STR(uf.arch[0], host_arch());
    CHECK(uf.ncflags == 0 && uf.cflags == NULL);
    CHECK(uf.nenv == 0 && uf.env == NULL);
    CHECK(uf.nfiles == 0 && uf.files == NULL);
    CHECK(uf.nports == 0 && uf.ports == NULL);
    CHECK(uf.memory == 0);
    unikfile_free(&uf);
    fixture_close();
}

static void test_defaults_for_binary(void)
{
    fixture_open();
    struct unikfile uf;
    char err[512] = "", want[PATH_MAX];
    CHECK(load("name: web\nbuild:\n  binary: out/app\n", &uf, err, sizeof err) == 0);
    CHECK_STR(err, "");
    CHECK_STR(uf.name, "web");
    app_path(want, sizeof want, "out/app");
    CHECK_STR(uf.binary, want);
    CHECK(uf.sources == NULL && uf.nsources == 0);
    CHECK(uf.ncmd == 1);
    CHECK_STR(uf.cmd[0], "/app"); /* the binary's name, not the image's */
    CHECK_STR(uf.arch[0], host_arch());
    unikfile_free(&uf);
    fixture_close();
}

static void test_absolute_paths_stay(void)
{
    fixture_open();
    struct unikfile uf;
    char err[512] = "", want[PATH_MAX], yaml[2 * PATH_MAX];
    app_path(want, sizeof want, "out/app");
    snprintf(yaml, sizeof yaml, "build: { binary: \"%s\" }\n", want);
    CHECK(load(yaml, &uf, err, sizeof err) == 0);
    CHECK_STR(err, "");
    CHECK_STR(uf.binary, want);
    unikfile_free(&uf);
    fixture_close();
}

/* The CLI loads "Unikfile" from the current folder: the name must still be the folder's. */
static void test_relative_unikfile_path(void)
{
    fixture_open();
    char old_cwd[PATH_MAX];
    CHECK(getcwd(old_cwd, sizeof old_cwd) != NULL);
    make_folder("My_App");
    write_file("My_App/Unikfile", "build: { sources: [../hello.c] }\n");
    char sub[PATH_MAX];
    app_path(sub, sizeof sub, "My_App");
    CHECK(chdir(sub) == 0);
    struct unikfile uf;
    char err[512] = "";
    CHECK(unikfile_load("Unikfile", &uf, err, sizeof err) == 0);
    CHECK_STR(err, "");
    CHECK_STR(uf.dir, ".");
    CHECK_STR(uf.name, "my_app"); /* lowercased */
    CHECK_STR(uf.sources[0], "./../hello.c");
    CHECK(chdir(old_cwd) == 0);
    unikfile_free(&uf);
    fixture_close();
}

static void test_parse_size(void)
{
    CHECK(unikfile_parse_size("16M") == 16 << 20);
    CHECK(unikfile_parse_size("64m") == 64 << 20);
    CHECK(unikfile_parse_size("1G") == INT64_C(1) << 30);
    CHECK(unikfile_parse_size("2g") == INT64_C(2) << 30);
    CHECK(unikfile_parse_size("512K") == 512 << 10);
    CHECK(unikfile_parse_size("512k") == 512 << 10);
    CHECK(unikfile_parse_size("1048576") == 1048576);
    CHECK(unikfile_parse_size("0") == 0);
    CHECK(unikfile_parse_size("12X") == -1);
    CHECK(unikfile_parse_size("") == -1);
    CHECK(unikfile_parse_size(NULL) == -1);
    CHECK(unikfile_parse_size("M") == -1);
    CHECK(unikfile_parse_size("-1") == -1);
    CHECK(unikfile_parse_size(" 1M") == -1);
    CHECK(unikfile_parse_size("1M ") == -1);
    CHECK(unikfile_parse_size("1MB") == -1);
    CHECK(unikfile_parse_size("1.5G") == -1);
    CHECK(unikfile_parse_size("99999999999999999999") == -1);
    CHECK(unikfile_parse_size("9999999999999G") == -1);
}

/* ---- errors ---------------------------------------------------------------------------- */

struct bad_case {
    const char *yaml;
    int line;           /* 0: the message names no line */
    const char *field;  /* NULL: the message names no field */
    const char *detail; /* a part of the message that says what is wrong */
};

/* Each case must fail with "PATH:LINE: field 'FIELD': ..." on one line and leave uf zeroed.
 * setup, when not NULL, adds to the fixture. */
static void expect_failures_in(const struct bad_case *cases, size_t n, void (*setup)(void))
{
    fixture_open();
    if (setup)
        setup();
    for (size_t i = 0; i < n; i++) {
        struct unikfile uf;
        char err[1024] = "", prefix[PATH_MAX + 256];
        int rc = load(cases[i].yaml, &uf, err, sizeof err);
        if (rc == 0)
            unikfile_free(&uf); /* keep the report to this case, not a leak at exit */
        CHECK(rc == -1);
        CHECK(is_zeroed(&uf));
        int len = snprintf(prefix, sizeof prefix, "%s", unikfile_path);
        if (cases[i].line)
            len += snprintf(prefix + len, sizeof prefix - len, ":%d", cases[i].line);
        len += snprintf(prefix + len, sizeof prefix - len, ": ");
        if (cases[i].field)
            snprintf(prefix + len, sizeof prefix - len, "field '%s': ", cases[i].field);
        if (strncmp(err, prefix, strlen(prefix)) != 0)
            fprintf(stderr, "  case %zu: \"%s\" does not start with \"%s\"\n", i, err, prefix);
        CHECK(strncmp(err, prefix, strlen(prefix)) == 0);
        CHECK_CONTAINS(err, cases[i].detail);
        CHECK(strchr(err, '\n') == NULL);
    }
    fixture_close();
}

#define EXPECT_FAILURES(cases) expect_failures_in(cases, sizeof cases / sizeof cases[0], NULL)
#define EXPECT_FAILURES_IN(cases, setup)                                                           \
    expect_failures_in(cases, sizeof cases / sizeof cases[0], setup)

static void test_unknown_fields(void)
{
    static const struct bad_case cases[] = {
        {"build: { sources: [hello.c] }\nentrypoint: [/x]\n", 2, "entrypoint", "unknown field"},
        {"build:\n  sources: [hello.c]\n  ldflags: [-s]\n", 3, "build.ldflags", "unknown field"},
        {"build: { sources: [hello.c] }\n[1]: x\n", 2, NULL, "expected a field name"},
    };
    EXPECT_FAILURES(cases);
}

static void test_duplicate_keys(void)
{
    static const struct bad_case cases[] = {
        {"name: a\nbuild: { sources: [hello.c] }\nname: b\n", 3, "name", "more than once"},
        {"build: { sources: [hello.c], sources: [hello.c] }\n", 1, "build.sources",
         "more than once"},
        {"build: { sources: [hello.c] }\nenv:\n  A: 1\n  A: 2\n", 4, "env.A", "more than once"},
    };
    EXPECT_FAILURES(cases);
}

static void test_wrong_types(void)
{
    static const struct bad_case cases[] = {
        {"name: [a]\nbuild: { sources: [hello.c] }\n", 1, "name", "expected a string, got a list"},
        {"build: [hello.c]\n", 1, "build", "expected a mapping"},
        {"build:\n  sources: { a: b }\n", 2, "build.sources",
         "expected a list of strings, got a mapping"},
        {"build:\n  sources: hello.c\n", 2, "build.sources", "expected a list of strings"},
        {"build:\n  sources:\n    - [hello.c]\n", 3, "build.sources", "expected a list"},
        {"build:\n  binary: [out/app]\n", 2, "build.binary", "expected a file path, got a list"},
        {"build:\n  sources: [hello.c]\n  cflags: -O2\n", 3, "build.cflags",
         "expected a list of strings"},
        {"build: { sources: [hello.c] }\ncmd: \"/hello\"\n", 2, "cmd",
         "expected a list of strings, got a string"},
        {"build: { sources: [hello.c] }\ncmd:\n", 2, "cmd", "got an empty value"},
        {"build: { sources: [hello.c] }\ncmd: [[/a]]\n", 2, "cmd", "expected a list of strings"},
        {"build: { sources: [hello.c] }\nenv: [A=1]\n", 2, "env", "expected a mapping"},
        {"build: { sources: [hello.c] }\nenv:\n  A: [1]\n", 3, "env.A", "expected a string"},
        {"build: { sources: [hello.c] }\nfiles: [public]\n", 2, "files", "expected a mapping"},
        {"build: { sources: [hello.c] }\nfiles: { public: [/srv] }\n", 2, "files.public",
         "expected an absolute path"},
        {"build: { sources: [hello.c] }\nmemory: [16M]\n", 2, "memory", "expected a size"},
        {"build: { sources: [hello.c] }\nports: 80\n", 2, "ports", "expected a list"},
        {"build: { sources: [hello.c] }\nports: [{a: 1}]\n", 2, "ports",
         "expected a list of ports"},
        {"build: { sources: [hello.c] }\narch: x86_64\n", 2, "arch", "expected a list"},
    };
    EXPECT_FAILURES(cases);
}

static void test_missing_inputs(void)
{
    static const struct bad_case cases[] = {
        {"build:\n  sources: [hello.c, nope.c]\n", 2, "build.sources", "nope.c"},
        {"build:\n  sources:\n    - hello.c\n    - nope.c\n", 4, "build.sources",
         "No such file or directory"},
        {"build:\n  sources: [src]\n", 2, "build.sources", "not a regular file"},
        {"build:\n  binary: out/nope\n", 2, "build.binary", "out/nope"},
        {"build:\n  binary: out\n", 2, "build.binary", "not a regular file"},
        {"build: { sources: [hello.c] }\nfiles:\n  nothing: /x\n", 3, "files.nothing",
         "cannot find 'nothing'"},
    };
    EXPECT_FAILURES(cases);
}

static void test_build_section(void)
{
    static const struct bad_case cases[] = {
        {"name: x\n", 0, "build", "missing (give build.sources or build.binary)"},
        {"build:\n  sources: [hello.c]\n  binary: out/app\n", 3, "build", "not both"},
        {"build:\n  cflags: [-O2]\n", 2, "build", "missing sources or binary"},
        {"build:\n  binary: out/app\n  cflags: [-O2]\n", 3, "build.cflags", "build.sources"},
        {"build:\n  sources: []\n", 2, "build.sources", "non-empty list"},
        {"build:\n  sources: [hello.c, hello.c]\n", 2, "build.sources", "more than once"},
        {"build:\n  sources: [\"\"]\n", 2, "build.sources", "empty value"},
    };
    EXPECT_FAILURES(cases);
}

static void test_bad_name(void)
{
    static const struct bad_case cases[] = {
        {"name: Hello\nbuild: { sources: [hello.c] }\n", 1, "name", "not a valid name"},
        {"build: { sources: [hello.c] }\nname: -x\n", 2, "name", "'-x'"},
        {"build: { sources: [hello.c] }\nname: a//b\n", 2, "name", "not a valid name"},
        {"build: { sources: [hello.c] }\nname: a/\n", 2, "name", "not a valid name"},
        {"build: { sources: [hello.c] }\nname: \"\"\n", 2, "name", "not a valid name"},
        {"build: { sources: [hello.c] }\nname: a:latest\n", 2, "name", "not a valid name"},
    };
    EXPECT_FAILURES(cases);
}

static void test_bad_cmd(void)
{
    static const struct bad_case cases[] = {
        {"build: { sources: [hello.c] }\ncmd: [hello, world]\n", 2, "cmd", "absolute path"},
        {"build: { sources: [hello.c] }\ncmd:\n  - ./hello\n", 3, "cmd", "'./hello'"},
        {"build: { sources: [hello.c] }\ncmd: []\n", 2, "cmd", "non-empty list"},
    };
    EXPECT_FAILURES(cases);
}

static void test_bad_env_and_files(void)
{
    static const struct bad_case cases[] = {
        {"build: { sources: [hello.c] }\nenv:\n  \"A=B\": 1\n", 3, "env.A=B", "'='"},
        {"build: { sources: [hello.c] }\nenv:\n  \"\": 1\n", 3, "env", "empty value"},
        {"build: { sources: [hello.c] }\nfiles:\n  public: srv/www\n", 3, "files.public",
         "absolute path"},
        {"build: { sources: [hello.c] }\nfiles:\n  public: \"\"\n", 3, "files.public",
         "empty value"},
    };
    EXPECT_FAILURES(cases);
}

/* ---- files: confined to the build context, out of the kernel's folders, not too large ---- */

static void make_link(const char *target, const char *rel)
{
    char path[PATH_MAX];
    app_path(path, sizeof path, rel);
    CHECK(symlink(target, path) == 0);
}

/* A file beside the app folder (outside the context), links leading out and in, a root tree. */
static void context_fixture(void)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/secret.txt", root);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    make_link("/etc", "etc-link");
    make_link("../secret.txt", "secret-link");
    make_link("config.txt", "config-link");
    make_folder("rootfs");
    make_folder("rootfs/proc");
    write_file("rootfs/proc/x", "x\n");
}

static void test_files_outside_context(void)
{
    static const struct bad_case cases[] = {
        {"build: { sources: [hello.c] }\nfiles:\n  /etc/passwd: /etc/passwd\n", 3,
         "files./etc/passwd", "absolute host path"},
        {"build: { sources: [hello.c] }\nfiles:\n  ../secret.txt: /s\n", 3, "files.../secret.txt",
         "outside the build context"},
        {"build: { sources: [hello.c] }\nfiles:\n  public/../../secret.txt: /s\n", 3,
         "files.public/../../secret.txt", "outside the build context"},
        {"build: { sources: [hello.c] }\nfiles:\n  ./public: /p\n  etc-link: /etc2\n", 4,
         "files.etc-link", "leads to /etc, outside"},
        {"build: { sources: [hello.c] }\nfiles: { secret-link: /s }\n", 2, "files.secret-link",
         "--allow-outside-context"},
    };
    EXPECT_FAILURES_IN(cases, context_fixture);
}

/* Inside the context (also through a link or a ".." that stays in) is fine; the flag widens it. */
static void test_files_inside_context(void)
{
    fixture_open();
    context_fixture();
    struct unikfile uf;
    char err[512] = "";
    CHECK(load("build: { sources: [hello.c] }\n"
               "files: { config-link: /a, src/../config.txt: /b, ./public: /srv }\n",
               &uf, err, sizeof err) == 0);
    CHECK_STR(err, "");
    CHECK(uf.files_bytes == strlen("x=1\n") * 2 + strlen("<p>hi</p>\n"));
    unikfile_free(&uf);
    write_file("Unikfile", "build: { sources: [hello.c] }\n"
                           "files: { ../secret.txt: /s, etc-link: /e, /etc/hostname: /h }\n");
    CHECK(unikfile_load_flags(unikfile_path, UNIKFILE_ALLOW_OUTSIDE_CONTEXT, &uf, err,
                              sizeof err) == 0);
    CHECK_STR(err, "");
    CHECK_STR(uf.files[2].host, "/etc/hostname");
    unikfile_free(&uf);
    fixture_close();
}

static void test_files_in_kernel_folders(void)
{
    static const struct bad_case cases[] = {
        {"build: { sources: [hello.c] }\nfiles:\n  ./public: /dev/null\n", 3, "files../public",
         "'/dev/null' is in /dev, which the kernel provides"},
        {"build: { sources: [hello.c] }\nfiles: { public: /dev }\n", 2, "files.public", "/dev"},
        {"build: { sources: [hello.c] }\nfiles:\n  config.txt: /proc/self/x\n", 3,
         "files.config.txt", "in /proc"},
        {"build: { sources: [hello.c] }\nfiles: { public: //./dev/x }\n", 2, "files.public",
         "in /dev"},
        {"build: { sources: [hello.c] }\nfiles: { public: /srv/../dev/x }\n", 2, "files.public",
         "'..'"},
        {"build: { sources: [hello.c] }\nfiles:\n  rootfs: /\n", 3, "files.rootfs",
         "would put its 'proc' in /proc"},
        {"build: { sources: [hello.c] }\ncmd: [/proc/app]\n", 2, "cmd", "the program"},
        {"name: dev/app\nbuild: { sources: [hello.c] }\n", 1, "cmd", "'/dev/app' is in /dev"},
    };
    EXPECT_FAILURES_IN(cases, context_fixture);
}

/* Names that only begin like the kernel's folders are the program's own. */
static void test_files_near_kernel_folders(void)
{
    fixture_open();
    struct unikfile uf;
    char err[512] = "";
    CHECK(load("name: devices\nbuild: { sources: [hello.c] }\n"
               "files: { public: /dev2, config.txt: /procfs/x, src: / }\n",
               &uf, err, sizeof err) == 0);
    CHECK_STR(err, "");
    CHECK_STR(uf.cmd[0], "/devices");
    unikfile_free(&uf);
    fixture_close();
}

/* A 2 GiB sparse file costs no disk, and is refused before anything is copied. */
static void make_sparse(const char *rel, off_t size)
{
    char path[PATH_MAX];
    app_path(path, sizeof path, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && ftruncate(fd, size) == 0);
    if (fd >= 0)
        close(fd);
}

static void large_fixture(void)
{
    make_sparse("huge.img", (off_t)2 << 30);
    make_folder("half");
    make_sparse("half/a.img", (off_t)600 << 20);
    make_sparse("b.img", (off_t)600 << 20);
}

static void test_files_too_large(void)
{
    static const struct bad_case cases[] = {
        {"build: { sources: [hello.c] }\nfiles:\n  huge.img: /huge.img\n", 3, "files.huge.img",
         "files come to 2048 MiB with 'huge.img', more than an image holds: 1000 MiB"},
        {"build: { sources: [hello.c] }\nfiles:\n  half: /half\n  b.img: /b\n", 4, "files.b.img",
         "1200 MiB"},
    };
    EXPECT_FAILURES_IN(cases, large_fixture);
}

static void test_bad_memory(void)
{
    static const struct bad_case cases[] = {
        {"build: { sources: [hello.c] }\nmemory: 12X\n", 2, "memory", "'12X' is not a size"},
        {"build: { sources: [hello.c] }\n\nmemory: 0\n", 3, "memory", "out of range"},
        {"build: { sources: [hello.c] }\nmemory: 1048575\n", 2, "memory", "out of range"},
        {"build: { sources: [hello.c] }\nmemory: 65G\n", 2, "memory", "out of range"},
        {"build: { sources: [hello.c] }\nmemory: -16M\n", 2, "memory", "not a size"},
    };
    EXPECT_FAILURES(cases);
}

static void test_bad_ports(void)
{
    static const struct bad_case cases[] = {
        {"build: { sources: [hello.c] }\nports: [0]\n", 2, "ports", "'0' is not a port"},
        {"build: { sources: [hello.c] }\nports:\n  - 80\n  - 70000\n", 4, "ports", "'70000'"},
        {"build: { sources: [hello.c] }\nports: [65536]\n", 2, "ports", "'65536'"},
        {"build: { sources: [hello.c] }\nports: [\"80/sctp\"]\n", 2, "ports", "'80/sctp'"},
        {"build: { sources: [hello.c] }\nports: [\"/udp\"]\n", 2, "ports", "not a port"},
        {"build: { sources: [hello.c] }\nports: [\"8080:80\"]\n", 2, "ports", "not a port"},
        {"build: { sources: [hello.c] }\nports: [80, 80/tcp]\n", 2, "ports", "more than once"},
    };
    EXPECT_FAILURES(cases);
}

static void test_bad_arch(void)
{
    static const struct bad_case cases[] = {
        {"build: { sources: [hello.c] }\narch: [riscv64]\n", 2, "arch", "'riscv64'"},
        {"build: { sources: [hello.c] }\narch:\n  - x86_64\n  - amd64\n", 4, "arch",
         "more than once"},
        {"build: { sources: [hello.c] }\narch: []\n", 2, "arch", "non-empty list"},
    };
    EXPECT_FAILURES(cases);
}

static void test_specialisation_fields(void)
{
    fixture_open();
    struct unikfile uf;
    char err[512] = "";
    CHECK(load("build: { sources: [hello.c] }\n", &uf, err, sizeof err) == 0);
    CHECK(uf.specialize);
    CHECK(uf.pack);
    CHECK(uf.nsyscalls == 0);
    unikfile_free(&uf);
    CHECK(load("build: { sources: [hello.c] }\npack: false\n", &uf, err, sizeof err) == 0);
    CHECK(!uf.pack && uf.specialize);
    unikfile_free(&uf);
    CHECK(load("build: { sources: [hello.c] }\nspecialize: false\nsyscalls:\n  - pipe2\n"
               "  - epoll_wait\n",
               &uf, err, sizeof err) == 0);
    CHECK_STR(err, "");
    CHECK(!uf.specialize);
    CHECK(uf.nsyscalls == 2);
    CHECK_STR(uf.syscalls[0], "pipe2");
    CHECK_STR(uf.syscalls[1], "epoll_wait");
    CHECK(uf.syscall_line[0] == 4 && uf.syscall_line[1] == 5);
    unikfile_free(&uf);
    fixture_close();
}

static void test_bad_specialisation_fields(void)
{
    static const struct bad_case cases[] = {
        {"build: { sources: [hello.c] }\nspecialize: maybe\n", 2, "specialize", "true or false"},
        {"build: { sources: [hello.c] }\npack: [no]\n", 2, "pack", "true or false"},
        {"build: { sources: [hello.c] }\nsyscalls: pipe2\n", 2, "syscalls", "list"},
        {"build: { sources: [hello.c] }\nsyscalls: [read, Open]\n", 2, "syscalls",
         "'Open' is not a system call's name"},
        {"build: { sources: [hello.c] }\nsyscalls: [read, read]\n", 2, "syscalls",
         "more than once"},
    };
    EXPECT_FAILURES(cases);
}

/* volumes: folders the image expects volumes on, one spelling each. */
static void test_volumes(void)
{
    fixture_open();
    struct unikfile uf;
    char err[512] = "";
    CHECK(load("build: { sources: [hello.c] }\nvolumes:\n  - /var/lib/db\n  - /data//x/\n", &uf,
               err, sizeof err) == 0);
    CHECK_STR(err, "");
    CHECK(uf.nvolumes == 2);
    CHECK_STR(uf.volumes[0], "/var/lib/db");
    CHECK_STR(uf.volumes[1], "/data/x");
    CHECK(uf.volumes[2] == NULL);
    unikfile_free(&uf);
    CHECK(load("build: { sources: [hello.c] }\n", &uf, err, sizeof err) == 0);
    CHECK(uf.nvolumes == 0 && uf.volumes == NULL);
    unikfile_free(&uf);
    fixture_close();
}

static void test_bad_volumes(void)
{
    static const struct bad_case cases[] = {
        {"build: { sources: [hello.c] }\nvolumes: /data\n", 2, "volumes", "expected a list"},
        {"build: { sources: [hello.c] }\nvolumes:\n  - /data\n  - data\n", 4, "volumes",
         "'data' must be an absolute path"},
        {"build: { sources: [hello.c] }\nvolumes: [/data, /data/]\n", 2, "volumes",
         "'/data/' given more than once"},
        {"build: { sources: [hello.c] }\nvolumes: [/]\n", 2, "volumes", "whole image"},
        {"build: { sources: [hello.c] }\nvolumes: [/a/../b]\n", 2, "volumes", "'..'"},
        {"build: { sources: [hello.c] }\nvolumes: [/proc/x]\n", 2, "volumes", "/proc"},
        {"build: { sources: [hello.c] }\nvolumes: [{a: 1}]\n", 2, "volumes",
         "absolute guest paths"},
    };
    EXPECT_FAILURES(cases);
}

static void test_not_a_unikfile(void)
{
    static const struct bad_case cases[] = {
        {"build:\n  sources: [hello.c\ncmd: [/x]\n", 3, NULL, "YAML syntax error: "},
        {"name: x\n  bad indent: y\n", 2, NULL, "YAML syntax error: "},
        {"", 0, NULL, "empty"},
        {"# only a comment\n", 0, NULL, "empty"},
        {"- build\n", 1, NULL, "expected a mapping of fields at the top level, got a list"},
        {"just words\n", 1, NULL, "expected a mapping"},
        {"build: { sources: [hello.c] }\n---\nname: x\n", 3, NULL, "second YAML document"},
        {"name: \"\\xff\xff\"\n", 1, NULL, "YAML syntax error: "},
        {"build: { sources: [hello.c] }\nname: \"a\\0b\"\n", 2, "name", "NUL"},
    };
    EXPECT_FAILURES(cases);
}

static void test_cannot_read(void)
{
    fixture_open();
    struct unikfile uf;
    char err[512] = "", path[PATH_MAX], want[PATH_MAX + 64];
    app_path(path, sizeof path, "Missing");
    CHECK(unikfile_load(path, &uf, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s: cannot read: No such file or directory", path);
    CHECK_STR(err, want);
    CHECK(is_zeroed(&uf));

    app_path(path, sizeof path, "src");
    CHECK(unikfile_load(path, &uf, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s: cannot read: Is a directory", path);
    CHECK_STR(err, want);
    CHECK(is_zeroed(&uf));
    fixture_close();
}

/* unikfile_load_text: the same checks on bytes in memory, as if read from the path given. */
static void test_load_text(void)
{
    fixture_open();
    struct unikfile uf;
    char err[512] = "", want[PATH_MAX + 64];
    static const char text[] = "build: { sources: [hello.c] }\0memory: nonsense\n";
    CHECK(unikfile_load_text(unikfile_path, text, sizeof text - 1, 0, &uf, err, sizeof err) == 0);
    CHECK_STR(uf.name, APP_FOLDER); /* the path's folder names it; the NUL ends the text */
    CHECK(uf.memory == 0);
    unikfile_free(&uf);
    static const char bad[] = "build: { sources: [hello.c] }\nmemory: nonsense\n";
    CHECK(unikfile_load_text(unikfile_path, bad, sizeof bad - 1, 0, &uf, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s:2: field 'memory'", unikfile_path);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    CHECK(is_zeroed(&uf));
    fixture_close();
}

/* A short or absent error buffer must not overflow or crash; the error still returns -1. */
static void test_small_error_buffer(void)
{
    fixture_open();
    struct unikfile uf;
    char err[8];
    memset(err, 'x', sizeof err);
    CHECK(load("nope: 1\n", &uf, err, sizeof err) == -1);
    CHECK(strlen(err) == sizeof err - 1);
    CHECK(load("nope: 1\n", &uf, NULL, 0) == -1);
    CHECK(is_zeroed(&uf));
    fixture_close();
}

static void test_free_partial(void)
{
    struct unikfile uf = {0};
    unikfile_free(&uf);
    uf.name = strdup("x");
    uf.cmd = calloc(3, sizeof *uf.cmd);
    uf.cmd[0] = strdup("/x");
    uf.files = calloc(2, sizeof *uf.files);
    uf.nfiles = 2;
    uf.files[0].host = strdup("/h");
    unikfile_free(&uf);
    CHECK(is_zeroed(&uf));
    unikfile_free(NULL);
}

int main(void)
{
    RUN_TEST(test_every_field);
    RUN_TEST(test_block_style_and_big_memory);
    RUN_TEST(test_defaults_for_sources);
    RUN_TEST(test_defaults_for_binary);
    RUN_TEST(test_absolute_paths_stay);
    RUN_TEST(test_relative_unikfile_path);
    RUN_TEST(test_parse_size);
    RUN_TEST(test_unknown_fields);
    RUN_TEST(test_duplicate_keys);
    RUN_TEST(test_wrong_types);
    RUN_TEST(test_missing_inputs);
    RUN_TEST(test_build_section);
    RUN_TEST(test_bad_name);
    RUN_TEST(test_bad_cmd);
    RUN_TEST(test_bad_env_and_files);
    RUN_TEST(test_files_outside_context);
    RUN_TEST(test_files_inside_context);
    RUN_TEST(test_files_in_kernel_folders);
    RUN_TEST(test_files_near_kernel_folders);
    RUN_TEST(test_files_too_large);
    RUN_TEST(test_bad_memory);
    RUN_TEST(test_bad_ports);
    RUN_TEST(test_bad_arch);
    RUN_TEST(test_specialisation_fields);
    RUN_TEST(test_bad_specialisation_fields);
    RUN_TEST(test_volumes);
    RUN_TEST(test_bad_volumes);
    RUN_TEST(test_not_a_unikfile);
    RUN_TEST(test_cannot_read);
    RUN_TEST(test_load_text);
    RUN_TEST(test_small_error_buffer);
    RUN_TEST(test_free_partial);
    CHECK_EXIT();
}
