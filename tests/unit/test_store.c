/* Unit tests for the OCI image store (host/lib/store*.c). */
#include "check.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

/* ---- fixtures ------------------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_rf(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *make_tmpdir(void)
{
    char *dir = strdup("/tmp/unikit-store-XXXXXX");
    if (!dir || !mkdtemp(dir)) {
        perror("mkdtemp");
        exit(2);
    }
    return dir;
}

static char *path_in(const char *dir, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        exit(2);
    return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap + 1);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, (cap *= 2) + 1);
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Computed here, independently of the store, to check the store's digests. */
static void sha256_hex_of_file(const char *path, char out[72])
{
    size_t len;
    char *data = read_file(path, &len);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    strcpy(out, "sha256:");
    for (unsigned int i = 0; i < mdlen; i++)
        sprintf(out + 7 + 2 * i, "%02x", md[i]);
    free(data);
}

/* A store in a fresh directory, with an "image file" of `len` bytes seeded by `seed`. */
struct fixture {
    char *home;
    char *image;
    struct store store;
};

static void make_image(const char *path, size_t len, unsigned seed)
{
    unsigned char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)((i * 31 + seed * 7 + (i >> 8)) & 0xff);
    write_file(path, data, len);
    free(data);
}

static void fixture_open(struct fixture *f)
{
    char err[512] = "";
    f->home = make_tmpdir();
    f->image = path_in(f->home, "app.elf");
    make_image(f->image, 200000, 1);
    if (store_open(&f->store, f->home, err, sizeof err) != 0) {
        fprintf(stderr, "store_open: %s\n", err);
        exit(2);
    }
}

static void fixture_close(struct fixture *f)
{
    store_close(&f->store);
    rm_rf(f->home);
    free(f->image);
    free(f->home);
}

static char *cmd_hello[] = {"/hello", "world", NULL};
static char *env_hello[] = {"GREETING=hi", "LANG=C", NULL};
static char *ports_hello[] = {"80", "53/udp", NULL};

static struct image_config config_for(const char *arch)
{
    struct image_config c = {
        .arch = (char *)arch,
        .cmd = cmd_hello,
        .env = env_hello,
        .ports = ports_hello,
        .memory = 16u << 20,
        .created = 1700000000,
    };
    return c;
}

static int put(struct fixture *f, const char *ref, const char *arch, const char *file)
{
    char err[512] = "";
    struct image_config c = config_for(arch);
    int rc = store_put(&f->store, ref, &c, file, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "  store_put(%s, %s): %s\n", ref, arch, err);
    return rc;
}

static size_t count_blobs(struct fixture *f)
{
    char *cmd = NULL;
    if (asprintf(&cmd, "ls -A '%s/images/blobs/sha256' | wc -l", f->home) < 0)
        exit(2);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    if (!p || fscanf(p, "%zu", &n) != 1)
        n = (size_t)-1;
    if (p)
        pclose(p);
    free(cmd);
    return n;
}

static bool vector_equals(char **got, char **want)
{
    size_t i = 0;
    for (; got && got[i] && want[i]; i++)
        if (strcmp(got[i], want[i]) != 0)
            return false;
    return got && !got[i] && !want[i];
}

static json_t *load_json(const char *path)
{
    json_error_t jerr;
    return json_load_file(path, 0, &jerr);
}

/* ---- tests --------------------------------------------------------------- */

static void test_store_open_creates_layout(void)
{
    struct fixture f;
    fixture_open(&f);
    char *layout = path_in(f.store.dir, "oci-layout");
    char *index_path = path_in(f.store.dir, "index.json");
    char *blobs = path_in(f.store.dir, "blobs/sha256");
    char *text = read_file(layout, NULL);
    CHECK_STR(text, "{\"imageLayoutVersion\":\"1.0.0\"}");
    json_t *index = load_json(index_path);
    CHECK(json_integer_value(json_object_get(index, "schemaVersion")) == 2);
    CHECK(json_is_array(json_object_get(index, "manifests")));
    CHECK(json_array_size(json_object_get(index, "manifests")) == 0);
    CHECK(exists(blobs));

    /* Opening again keeps what is there. */
    struct store again;
    char err[512] = "";
    CHECK(put(&f, "hello", "x86_64", f.image) == 0);
    CHECK(store_open(&again, f.home, err, sizeof err) == 0);
    struct store_image img;
    CHECK(store_get(&again, "hello", NULL, &img, err, sizeof err) == 0);
    store_image_free(&img);
    store_close(&again);

    json_decref(index);
    free(text);
    free(blobs);
    free(index_path);
    free(layout);
    fixture_close(&f);
}

static void test_store_put_get_round_trip(void)
{
    struct fixture f;
    fixture_open(&f);
    char err[512] = "";
    struct store_image img;
    CHECK(put(&f, "hello", "x86_64", f.image) == 0);
    CHECK(store_get(&f.store, "hello", NULL, &img, err, sizeof err) == 0);

    char want_digest[72];
    sha256_hex_of_file(f.image, want_digest);
    CHECK_STR(img.ref, "hello:latest");
    CHECK_STR(img.layer_digest, want_digest);
    CHECK(img.digest && strncmp(img.digest, "sha256:", 7) == 0 && strlen(img.digest) == 71);
    CHECK(img.layer_size == 200000);
    CHECK(img.layer_path && img.layer_path[0] == '/');
    CHECK_CONTAINS(img.layer_path, "/images/blobs/sha256/");

    size_t a_len, b_len;
    char *a = read_file(f.image, &a_len);
    char *b = read_file(img.layer_path, &b_len);
    CHECK(b && a_len == b_len && memcmp(a, b, a_len) == 0);

    CHECK_STR(img.config.arch, "x86_64");
    CHECK(vector_equals(img.config.cmd, cmd_hello));
    CHECK(vector_equals(img.config.env, env_hello));
    CHECK(vector_equals(img.config.ports, ports_hello));
    CHECK(img.config.memory == 16u << 20);
    CHECK(img.config.created == 1700000000);

    CHECK(store_verify_blob(&f.store, img.layer_digest, err, sizeof err) == 0);
    CHECK(store_verify_blob(&f.store, img.digest, err, sizeof err) == 0);
    store_image_free(&img);
    CHECK(store_get(&f.store, "hello:latest", "amd64", &img, err, sizeof err) == 0);
    CHECK_STR(img.config.arch, "x86_64");
    store_image_free(&img);
    free(a);
    free(b);
    fixture_close(&f);
}

/* The config blob carries the runtime settings in OCI's and unikit's terms. */
static void test_store_config_blob_contents(void)
{
    struct fixture f;
    fixture_open(&f);
    char err[512] = "";
    struct store_image img;
    CHECK(put(&f, "hello", "aarch64", f.image) == 0);
    CHECK(store_get(&f.store, "hello", NULL, &img, err, sizeof err) == 0);

    char *manifest_path = path_in(f.store.dir, "blobs/sha256/");
    char *full = NULL;
    if (asprintf(&full, "%s%s", manifest_path, img.digest + 7) < 0)
        exit(2);
    json_t *manifest = load_json(full);
    json_t *cfg_desc = json_object_get(manifest, "config");
    CHECK_STR(json_string_value(json_object_get(manifest, "mediaType")),
              "application/vnd.oci.image.manifest.v1+json");
    CHECK(json_integer_value(json_object_get(manifest, "schemaVersion")) == 2);
    CHECK_STR(json_string_value(json_object_get(cfg_desc, "mediaType")), UNIKIT_MEDIA_CONFIG);
    CHECK_STR(json_string_value(json_object_get(json_object_get(manifest, "annotations"),
                                                "org.opencontainers.image.created")),
              "2023-11-14T22:13:20Z");
    json_t *layer = json_array_get(json_object_get(manifest, "layers"), 0);
    CHECK_STR(json_string_value(json_object_get(layer, "mediaType")), UNIKIT_MEDIA_IMAGE);

    char *cfg_path = NULL;
    const char *cfg_digest = json_string_value(json_object_get(cfg_desc, "digest"));
    if (asprintf(&cfg_path, "%s%s", manifest_path, cfg_digest ? cfg_digest + 7 : "x") < 0)
        exit(2);
    json_t *cfg = load_json(cfg_path);
    CHECK_STR(json_string_value(json_object_get(cfg, "architecture")), "arm64");
    CHECK_STR(json_string_value(json_object_get(cfg, "os")), "linux");
    json_t *exposed = json_object_get(json_object_get(cfg, "config"), "ExposedPorts");
    CHECK(json_object_get(exposed, "80/tcp") != NULL);
    CHECK(json_object_get(exposed, "53/udp") != NULL);
    json_t *unikit = json_object_get(cfg, "unikit");
    CHECK_STR(json_string_value(json_object_get(unikit, "arch")), "aarch64");
    CHECK(json_integer_value(json_object_get(unikit, "memory")) == 16 << 20);

    json_decref(cfg);
    json_decref(manifest);
    free(cfg_path);
    free(full);
    free(manifest_path);
    store_image_free(&img);
    fixture_close(&f);
}

static void test_store_two_arches(void)
{
    struct fixture f;
    fixture_open(&f);
    char err[512] = "";
    char *arm_image = path_in(f.home, "arm.elf");
    make_image(arm_image, 5000, 2);
    CHECK(put(&f, "hello", "x86_64", f.image) == 0);
    CHECK(put(&f, "hello", "aarch64", arm_image) == 0);

    struct store_image x86, arm;
    CHECK(store_get(&f.store, "hello", "x86_64", &x86, err, sizeof err) == 0);
    CHECK(store_get(&f.store, "hello", "aarch64", &arm, err, sizeof err) == 0);
    CHECK_STR(x86.config.arch, "x86_64");
    CHECK_STR(arm.config.arch, "aarch64");
    CHECK(x86.layer_size == 200000 && arm.layer_size == 5000);
    CHECK(x86.digest && arm.digest && strcmp(x86.digest, arm.digest) != 0);
    store_image_free(&x86);
    store_image_free(&arm);

    /* No arch named: the host's build. */
    struct utsname u;
    uname(&u);
    const char *host = store_unikit_arch(u.machine);
    struct store_image mine;
    if (host) {
        CHECK(store_get(&f.store, "hello", NULL, &mine, err, sizeof err) == 0);
        CHECK_STR(mine.config.arch, host);
        store_image_free(&mine);
    }

    /* Only one build: it is chosen; a named missing build is an error listing the others. */
    CHECK(put(&f, "armonly", "aarch64", arm_image) == 0);
    CHECK(store_get(&f.store, "armonly", NULL, &mine, err, sizeof err) == 0);
    CHECK_STR(mine.config.arch, "aarch64");
    store_image_free(&mine);
    CHECK(store_get(&f.store, "armonly", "x86_64", &mine, err, sizeof err) == -1);
    CHECK_STR(err, "image 'armonly' has no x86_64 build (it has: aarch64)");
    CHECK(store_get(&f.store, "hello", "riscv64", &mine, err, sizeof err) == -1);
    CHECK_STR(err, "image 'hello' has no riscv64 build (it has: x86_64, aarch64)");

    free(arm_image);
    fixture_close(&f);
}

static void test_store_replace_arch(void)
{
    struct fixture f;
    fixture_open(&f);
    char err[512] = "";
    char *arm_image = path_in(f.home, "arm.elf");
    char *v2 = path_in(f.home, "v2.elf");
    make_image(arm_image, 5000, 2);
    make_image(v2, 7000, 3);
    CHECK(put(&f, "hello", "x86_64", f.image) == 0);
    CHECK(put(&f, "hello", "aarch64", arm_image) == 0);
    struct store_image old, now, arm;
    CHECK(store_get(&f.store, "hello", "x86_64", &old, err, sizeof err) == 0);

    CHECK(put(&f, "hello", "x86_64", v2) == 0);
    CHECK(store_get(&f.store, "hello", "x86_64", &now, err, sizeof err) == 0);
    char want[72];
    sha256_hex_of_file(v2, want);
    CHECK_STR(now.layer_digest, want);
    CHECK(now.layer_size == 7000);
    CHECK(store_get(&f.store, "hello", "aarch64", &arm, err, sizeof err) == 0);
    CHECK(arm.layer_size == 5000);
    /* The replaced build's layer is garbage now, and collected. */
    CHECK(old.layer_path && !exists(old.layer_path));
    CHECK(exists(now.layer_path) && exists(arm.layer_path));

    store_image_free(&old);
    store_image_free(&now);
    store_image_free(&arm);
    free(v2);
    free(arm_image);
    fixture_close(&f);
}

static void test_store_list_order(void)
{
    struct fixture f;
    fixture_open(&f);
    char err[512] = "";
    CHECK(put(&f, "zeta", "x86_64", f.image) == 0);
    CHECK(put(&f, "alpha", "x86_64", f.image) == 0);
    CHECK(put(&f, "alpha:2", "x86_64", f.image) == 0);
    CHECK(put(&f, "alpha", "aarch64", f.image) == 0);
    CHECK(put(&f, "localhost:5000/beta", "aarch64", f.image) == 0);

    struct store_image *imgs = NULL;
    size_t n = 0;
    CHECK(store_list(&f.store, &imgs, &n, NULL, err, sizeof err) == 0);
    const char *want[][2] = {
        {"alpha:2", "x86_64"},      {"alpha:latest", "aarch64"},
        {"alpha:latest", "x86_64"}, {"localhost:5000/beta:latest", "aarch64"},
        {"zeta:latest", "x86_64"},
    };
    CHECK(n == 5);
    for (size_t i = 0; i < n && i < 5; i++) {
        CHECK_STR(imgs[i].ref, want[i][0]);
        CHECK_STR(imgs[i].config.arch, want[i][1]);
    }
    store_images_free(imgs, n);
    fixture_close(&f);
}

static void test_store_list_empty(void)
{
    struct fixture f;
    fixture_open(&f);
    char err[512] = "";
    struct store_image *imgs = NULL;
    size_t n = 99;
    CHECK(store_list(&f.store, &imgs, &n, NULL, err, sizeof err) == 0);
    CHECK(n == 0 && imgs == NULL);
    store_images_free(imgs, n);
    fixture_close(&f);
}

static void test_store_remove_and_gc(void)
{
    struct fixture f;
    fixture_open(&f);
    char err[512] = "";
    char *other = path_in(f.home, "other.elf");
    make_image(other, 3000, 4);
    CHECK(put(&f, "hello", "x86_64", f.image) == 0);
    CHECK(put(&f, "hello", "aarch64", other) == 0);
    CHECK(put(&f, "shared", "x86_64", f.image) == 0);
    struct store_image hello, shared;
    CHECK(store_get(&f.store, "hello", "aarch64", &hello, err, sizeof err) == 0);
    CHECK(store_get(&f.store, "shared", NULL, &shared, err, sizeof err) == 0);

    CHECK(store_remove(&f.store, "hello", err, sizeof err) == 0);
    CHECK(!exists(hello.layer_path));
    store_image_free(&hello);
    CHECK(store_get(&f.store, "hello", NULL, &hello, err, sizeof err) == -1);
    CHECK_STR(err, "no such image: hello");
    /* A layer another image still uses stays; one only "hello" used goes. */
    CHECK(exists(shared.layer_path));
    CHECK(store_verify_blob(&f.store, shared.layer_digest, err, sizeof err) == 0);
    CHECK(count_blobs(&f) == 4); /* shared: layer, config, manifest, image index */

    CHECK(store_remove(&f.store, "shared:latest", err, sizeof err) == 0);
    CHECK(count_blobs(&f) == 0);
    CHECK(!exists(shared.layer_path));

    CHECK(store_remove(&f.store, "nope", err, sizeof err) == -1);
    CHECK_STR(err, "no such image: nope");
    CHECK(store_gc(&f.store, err, sizeof err) == 0);

    store_image_free(&shared);
    free(other);
    fixture_close(&f);
}

/* Garbage from a crashed writer (a temporary file, a stray blob) is collected. */
static void test_store_gc_stray_files(void)
{
    struct fixture f;
    fixture_open(&f);
    char err[512] = "";
    CHECK(put(&f, "hello", "x86_64", f.image) == 0);
    char *tmp = path_in(f.store.dir, "blobs/sha256/.tmp-abcdef");
    char *stray =
        path_in(f.store.dir, "blobs/sha256/"
                             "0000000000000000000000000000000000000000000000000000000000000000");
    write_file(tmp, "x", 1);
    write_file(stray, "y", 1);
    CHECK(store_gc(&f.store, err, sizeof err) == 0);
    CHECK(!exists(tmp) && !exists(stray));
    CHECK(count_blobs(&f) == 4);
    free(stray);
    free(tmp);
    fixture_close(&f);
}

static void test_store_normalize_ref(void)
{
    const char *cases[][2] = {
        {"hello", "hello:latest"},
        {"hello:1", "hello:1"},
        {"hello:1.0-rc_2", "hello:1.0-rc_2"},
        {"localhost:5000/hello", "localhost:5000/hello:latest"},
        {"localhost:5000/hello:1", "localhost:5000/hello:1"},
        {"registry.example.com/team/app", "registry.example.com/team/app:latest"},
        {"a/b/c:v2", "a/b/c:v2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = store_normalize_ref(cases[i][0]);
        CHECK_STR(got, cases[i][1]);
        free(got);
    }
    const char *bad[] = {"",       "Hello",     "hello:Latest", "hel lo",  "hello@sha256:ab",
                         "hello:", "/hello",    "hello/",       "a//b",    "localhost:abc/x",
                         ":tag",   "hello:1:2", "-hello",       "hello:.x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *got = store_normalize_ref(bad[i]);
        if (got)
            fprintf(stderr, "  accepted bad ref \"%s\" as \"%s\"\n", bad[i], got);
        CHECK(got == NULL);
        free(got);
    }
    CHECK(store_normalize_ref(NULL) == NULL);
}

static void test_store_corrupted_layer_blob(void)
{
    struct fixture f;
    fixture_open(&f);
    char err[512] = "";
    struct store_image img;
    CHECK(put(&f, "hello", "x86_64", f.image) == 0);
    CHECK(store_get(&f.store, "hello", NULL, &img, err, sizeof err) == 0);

    /* Same size, one byte flipped: only the hash can tell. */
    size_t len;
    char *data = read_file(img.layer_path, &len);
    data[len / 2] ^= 0x40;
    chmod(img.layer_path, 0644);
    write_file(img.layer_path, data, len);
    char actual[72];
    sha256_hex_of_file(img.layer_path, actual);

    char want[256];
    snprintf(want, sizeof want, "image blob %s is corrupted (content hash %s)", img.layer_digest,
             actual);
    CHECK(store_verify_blob(&f.store, img.layer_digest, err, sizeof err) == -1);
    CHECK_STR(err, want);

    /* Putting the same file again repairs the blob. */
    CHECK(put(&f, "hello", "x86_64", f.image) == 0);
    CHECK(store_verify_blob(&f.store, img.layer_digest, err, sizeof err) == 0);

    unlink(img.layer_path);
    snprintf(want, sizeof want, "image blob %s is missing", img.layer_digest);
    CHECK(store_verify_blob(&f.store, img.layer_digest, err, sizeof err) == -1);
    CHECK_STR(err, want);
    struct store_image again;
    CHECK(store_get(&f.store, "hello", NULL, &again, err, sizeof err) == -1);
    CHECK_STR(err, want);

    CHECK(store_verify_blob(&f.store, "sha256:../../etc/passwd", err, sizeof err) == -1);
    CHECK_CONTAINS(err, "invalid digest");
    free(data);
    store_image_free(&img);
    fixture_close(&f);
}

/* Replaces the layer blob with what make() leaves at path. */
static void replace_layer(const char *path, int (*make)(const char *))
{
    unlink(path);
    CHECK(make(path) == 0);
}

static int make_fifo(const char *path)
{
    return mkfifo(path, 0644);
}

static int make_zero_link(const char *path)
{
    return symlink("/dev/zero", path);
}

static int make_oversized(const char *path)
{
    int fd = creat(path, 0644);
    int rc = fd >= 0 ? ftruncate(fd, 3ll << 30) : -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

/*
 * A FIFO or a link to /dev/zero in a blob's place must be refused at once,
 * never opened for a read that blocks or never ends; an oversized file is
 * refused by its size before it is hashed. alarm() turns a hang into a
 * failure of the whole test binary instead of a stuck test run.
 */
static void test_store_non_regular_blobs(void)
{
    struct {
        int (*make)(const char *);
        const char *want;
    } cases[] = {{make_fifo, "is not a regular file (it is a FIFO"},
                 {make_zero_link, "is a symbolic link, not a regular file"},
                 {make_oversized, "is corrupted (3221225472 bytes, expected"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fixture f;
        fixture_open(&f);
        char err[512] = "";
        struct store_image img;
        CHECK(put(&f, "hello", "x86_64", f.image) == 0);
        CHECK(store_get(&f.store, "hello", NULL, &img, err, sizeof err) == 0);
        replace_layer(img.layer_path, cases[i].make);
        alarm(10);
        struct store_image again;
        CHECK(store_get(&f.store, "hello", NULL, &again, err, sizeof err) == -1);
        CHECK_CONTAINS(err, cases[i].want);
        CHECK_CONTAINS(err, img.layer_digest);
        if (cases[i].make != make_oversized) {
            CHECK(store_verify_blob(&f.store, img.layer_digest, err, sizeof err) == -1);
            CHECK_CONTAINS(err, cases[i].want);
        }
        CHECK(!store_has_blob(&f.store, img.layer_digest, img.layer_size));
        int fd = store_open_blob(&f.store, img.layer_digest, img.layer_size, err, sizeof err);
        CHECK(fd == -1);
        CHECK_CONTAINS(err, cases[i].want);
        alarm(0);
        store_image_free(&img);
        fixture_close(&f);
    }
}

static char *blob_file(struct fixture *f, const char *digest)
{
    char *path = NULL;
    if (asprintf(&path, "%s/blobs/sha256/%s", f->store.dir, digest ? digest + 7 : "none") < 0)
        exit(2);
    return path;
}

static char *json_digest_at(const char *path, const char *key, const char *sub)
{
    json_t *doc = load_json(path);
    json_t *desc = json_object_get(doc, key);
    if (json_is_array(desc))
        desc = json_array_get(desc, 0);
    if (sub)
        desc = json_object_get(desc, sub);
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    char *copy = digest ? strdup(digest) : NULL;
    json_decref(doc);
    return copy;
}

/* Rewrites a blob with `from` swapped for `to` (same length: only the hash can tell). */
static void tamper(const char *path, const char *from, const char *to)
{
    size_t len;
    char *data = read_file(path, &len);
    char *at = data ? strstr(data, from) : NULL;
    CHECK(at != NULL);
    if (at)
        memcpy(at, to, strlen(to));
    if (data)
        write_file(path, data, len);
    free(data);
}

/* Damaged index, manifest and config blobs are caught by their hash, never believed. */
static void test_store_corrupted_metadata_blobs(void)
{
    const char *damage[][2] = {{"amd64", "arm64"}, {"x86_64", "x86_65"}, {"world", "earth"}};
    for (int which = 0; which < 3; which++) {
        struct fixture f;
        fixture_open(&f);
        char err[512] = "";
        CHECK(put(&f, "hello", "x86_64", f.image) == 0);
        char *index_path = path_in(f.store.dir, "index.json");
        char *image_index = json_digest_at(index_path, "manifests", NULL);
        char *image_index_file = blob_file(&f, image_index);
        char *manifest = json_digest_at(image_index_file, "manifests", NULL);
        char *manifest_file = blob_file(&f, manifest);
        char *config = json_digest_at(manifest_file, "config", NULL);
        const char *target = which == 0 ? image_index : which == 1 ? manifest : config;
        char *target_file = blob_file(&f, target);
        if (which == 1) /* the manifest names no arch: damage its config's media type */
            tamper(target_file, "unikit.config", "unikit.cOnfig");
        else
            tamper(target_file, damage[which][0], damage[which][1]);

        struct store_image img;
        CHECK(store_get(&f.store, "hello", NULL, &img, err, sizeof err) == -1);
        CHECK_CONTAINS(err, "is corrupted (content hash sha256:");
        CHECK_CONTAINS(err, target);
        struct store_image *imgs;
        size_t n;
        CHECK(store_list(&f.store, &imgs, &n, NULL, err, sizeof err) == -1);
        CHECK_CONTAINS(err, "is corrupted");
        CHECK(store_verify_blob(&f.store, target, err, sizeof err) == -1);
        /* Removing the damaged image still works, and takes its blobs. */
        CHECK(store_remove(&f.store, "hello", err, sizeof err) == 0);
        CHECK(count_blobs(&f) == 0);

        free(target_file);
        free(config);
        free(manifest_file);
        free(manifest);
        free(image_index_file);
        free(image_index);
        free(index_path);
        fixture_close(&f);
    }
}

static void test_store_corrupted_index_json(void)
{
    struct fixture f;
    fixture_open(&f);
    char err[512] = "";
    CHECK(put(&f, "hello", "x86_64", f.image) == 0);
    char *index_path = path_in(f.store.dir, "index.json");
    write_file(index_path, "{\"manifests\": [garbage", 22);

    char want[1024];
    snprintf(want, sizeof want, "%s: corrupted (", index_path);
    struct store_image img;
    CHECK(store_get(&f.store, "hello", NULL, &img, err, sizeof err) == -1);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    CHECK(strchr(err, '\n') == NULL);
    struct store_image *imgs;
    size_t n;
    CHECK(store_list(&f.store, &imgs, &n, NULL, err, sizeof err) == -1);
    CHECK_CONTAINS(err, want);
    /* A put must not paper over the damage by writing a fresh index. */
    CHECK(store_put(&f.store, "other", &(struct image_config){.arch = "x86_64"}, f.image, err,
                    sizeof err) == -1);
    CHECK_CONTAINS(err, want);
    size_t len;
    char *text = read_file(index_path, &len);
    CHECK_STR(text, "{\"manifests\": [garbage");

    write_file(index_path, "{\"manifests\": 3}", 16);
    CHECK(store_get(&f.store, "hello", NULL, &img, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "index.json: corrupted (no manifests array)");
    free(text);
    free(index_path);
    fixture_close(&f);
}

static void test_store_unknown_ref(void)
{
    struct fixture f;
    fixture_open(&f);
    char err[512] = "";
    struct store_image img;
    CHECK(store_get(&f.store, "hello", NULL, &img, err, sizeof err) == -1);
    CHECK_STR(err, "no such image: hello");
    CHECK(store_get(&f.store, "Hello", NULL, &img, err, sizeof err) == -1);
    CHECK_STR(err, "invalid reference format: 'Hello'");
    struct image_config bad_arch = config_for("mips");
    CHECK(store_put(&f.store, "hello", &bad_arch, f.image, err, sizeof err) == -1);
    CHECK_STR(err, "unsupported architecture 'mips'");
    char *missing = path_in(f.home, "missing.elf");
    struct image_config good = config_for("x86_64");
    CHECK(store_put(&f.store, "hello", &good, missing, err, sizeof err) == -1);
    CHECK_CONTAINS(err, missing);
    CHECK_CONTAINS(err, "No such file or directory");
    free(missing);
    CHECK(count_blobs(&f) == 0);
    fixture_close(&f);
}

/* The same inputs give the same manifest digest in any store. */
static void test_store_deterministic(void)
{
    struct fixture a, b;
    fixture_open(&a);
    fixture_open(&b);
    char err[512] = "";
    struct store_image ia, ib;
    CHECK(put(&a, "hello", "x86_64", a.image) == 0);
    CHECK(put(&b, "hello", "x86_64", b.image) == 0);
    CHECK(store_get(&a.store, "hello", NULL, &ia, err, sizeof err) == 0);
    CHECK(store_get(&b.store, "hello", NULL, &ib, err, sizeof err) == 0);
    CHECK_STR(ia.digest, ib.digest);
    store_image_free(&ia);
    store_image_free(&ib);
    fixture_close(&a);
    fixture_close(&b);
}

static void test_store_relative_home(void)
{
    char *parent = make_tmpdir();
    char *cwd = getcwd(NULL, 0);
    char err[512] = "";
    struct store s;
    CHECK(chdir(parent) == 0);
    CHECK(store_open(&s, "rel/home", err, sizeof err) == 0);
    CHECK(s.dir && s.dir[0] == '/');
    CHECK_CONTAINS(s.dir, "/rel/home/images");
    store_close(&s);
    CHECK(chdir(cwd) == 0);
    rm_rf(parent);
    free(cwd);
    free(parent);
}

/* Writers in parallel processes serialize: no put loses another's update. */
static void test_store_concurrent_puts(void)
{
    struct fixture f;
    fixture_open(&f);
    enum { WRITERS = 6 };
    pid_t pids[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char ref[32];
            snprintf(ref, sizeof ref, "app%d", i);
            _exit(put(&f, ref, i % 2 ? "aarch64" : "x86_64", f.image) == 0 ? 0 : 1);
        }
    }
    for (int i = 0; i < WRITERS; i++) {
        int status = 0;
        CHECK(pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    char err[512] = "";
    struct store_image *imgs = NULL;
    size_t n = 0;
    CHECK(store_list(&f.store, &imgs, &n, NULL, err, sizeof err) == 0);
    CHECK(n == WRITERS);
    store_images_free(imgs, n);
    fixture_close(&f);
}

/* ---- a second client ----------------------------------------------------- */

static bool have_program(const char *name)
{
    char *cmd = NULL;
    if (asprintf(&cmd, "command -v %s >/dev/null 2>&1", name) < 0)
        exit(2);
    int rc = system(cmd);
    free(cmd);
    return rc == 0;
}

static int run_shell(const char *fmt, const char *a, const char *b)
{
    char *cmd = NULL;
    if (asprintf(&cmd, fmt, a, b) < 0)
        exit(2);
    int rc = system(cmd);
    free(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/*
 * skopeo reads the layout as OCI: the raw image index it prints is the blob
 * index.json names, and a copy of every build (which checks each blob's digest)
 * lands in a layout this store can read back.
 */
static void test_store_skopeo(void)
{
    struct fixture f;
    fixture_open(&f);
    char err[512] = "";
    char *arm_image = path_in(f.home, "arm.elf");
    make_image(arm_image, 5000, 2);
    CHECK(put(&f, "hello", "x86_64", f.image) == 0);
    CHECK(put(&f, "hello", "aarch64", arm_image) == 0);

    char *raw = path_in(f.home, "raw.json");
    CHECK(run_shell("skopeo inspect --raw oci:%s:hello:latest > %s", f.store.dir, raw) == 0);
    char got[72];
    sha256_hex_of_file(raw, got);
    char *index_path = path_in(f.store.dir, "index.json");
    json_t *index = load_json(index_path);
    CHECK_STR(got, json_string_value(json_object_get(
                       json_array_get(json_object_get(index, "manifests"), 0), "digest")));

    char *copy_home = path_in(f.home, "copy");
    char *copy_dir = path_in(copy_home, "images");
    mkdir(copy_home, 0755);
    CHECK(run_shell("skopeo copy --quiet --all oci:%s:hello:latest oci:%s:hello:latest",
                    f.store.dir, copy_dir) == 0);
    struct store copy;
    struct store_image img;
    CHECK(store_open(&copy, copy_home, err, sizeof err) == 0);
    CHECK(store_get(&copy, "hello", "aarch64", &img, err, sizeof err) == 0);
    CHECK(img.layer_size == 5000);
    CHECK(store_verify_blob(&copy, img.layer_digest, err, sizeof err) == 0);
    store_image_free(&img);
    store_close(&copy);

    json_decref(index);
    free(index_path);
    free(copy_dir);
    free(copy_home);
    free(raw);
    free(arm_image);
    fixture_close(&f);
}

int main(void)
{
    RUN_TEST(test_store_open_creates_layout);
    RUN_TEST(test_store_put_get_round_trip);
    RUN_TEST(test_store_config_blob_contents);
    RUN_TEST(test_store_two_arches);
    RUN_TEST(test_store_replace_arch);
    RUN_TEST(test_store_list_order);
    RUN_TEST(test_store_list_empty);
    RUN_TEST(test_store_remove_and_gc);
    RUN_TEST(test_store_gc_stray_files);
    RUN_TEST(test_store_normalize_ref);
    RUN_TEST(test_store_corrupted_layer_blob);
    RUN_TEST(test_store_non_regular_blobs);
    RUN_TEST(test_store_corrupted_metadata_blobs);
    RUN_TEST(test_store_corrupted_index_json);
    RUN_TEST(test_store_unknown_ref);
    RUN_TEST(test_store_deterministic);
    RUN_TEST(test_store_relative_home);
    RUN_TEST(test_store_concurrent_puts);
    if (have_program("skopeo"))
        RUN_TEST(test_store_skopeo);
    else
        printf("skip test_store_skopeo: skopeo not installed\n");
    CHECK_EXIT();
}
