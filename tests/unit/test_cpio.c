/* Tests for host/lib/cpio.c: archives are written to memory and read back. */
#include "check.h"
#include "cpio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ENTRIES 64
#define HEADER_LEN  110

/* ---- a small newc reader, independent of the writer ------------------------------ */

struct entry {
    char name[256];
    unsigned ino, mode, uid, gid, nlink, mtime, size, namesize, check;
    const char *data;
    size_t header_offset;
};

struct archive {
    char *bytes;
    size_t len;
    struct entry entries[MAX_ENTRIES];
    size_t count; /* entries before the trailer */
    bool has_trailer;
    bool aligned; /* every header starts at a multiple of 4 */
    bool zero_padding;
};

static unsigned hex_field(const char *header, int index)
{
    char field[9];
    memcpy(field, header + 6 + 8 * index, 8);
    field[8] = '\0';
    return (unsigned)strtoul(field, NULL, 16);
}

static size_t round4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

static bool padding_is_zero(const char *bytes, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (bytes[i])
            return false;
    return true;
}

/* Parses one header at *pos; false when the bytes are not a well-formed entry. */
static bool read_entry(struct archive *a, size_t *pos, struct entry *e)
{
    const char *h = a->bytes + *pos;
    if (*pos + HEADER_LEN > a->len || memcmp(h, "070701", 6) != 0)
        return false;
    unsigned *fields[] = {&e->ino, &e->mode, &e->uid, &e->gid, &e->nlink, &e->mtime, &e->size};
    for (int i = 0; i < 7; i++)
        *fields[i] = hex_field(h, i);
    e->namesize = hex_field(h, 11);
    e->check = hex_field(h, 12);
    size_t name_end = *pos + HEADER_LEN + e->namesize;
    if (e->namesize == 0 || e->namesize > sizeof e->name || name_end > a->len ||
        h[HEADER_LEN + e->namesize - 1] != '\0')
        return false;
    memcpy(e->name, h + HEADER_LEN, e->namesize);
    e->header_offset = *pos;
    size_t data_start = round4(name_end);
    size_t data_end = data_start + e->size;
    if (round4(data_end) > a->len)
        return false;
    e->data = a->bytes + data_start;
    a->zero_padding &= padding_is_zero(a->bytes, name_end, data_start) &&
                       padding_is_zero(a->bytes, data_end, round4(data_end));
    *pos = round4(data_end);
    return true;
}

static bool parse_archive(struct archive *a)
{
    size_t pos = 0;
    a->count = 0;
    a->has_trailer = false;
    a->aligned = true;
    a->zero_padding = true;
    while (pos < a->len && a->count < MAX_ENTRIES) {
        struct entry e;
        a->aligned &= pos % 4 == 0;
        if (!read_entry(a, &pos, &e))
            return false;
        if (!strcmp(e.name, "TRAILER!!!")) {
            a->has_trailer = true;
            return pos == a->len;
        }
        a->entries[a->count++] = e;
    }
    return false;
}

static const struct entry *find_entry(const struct archive *a, const char *name)
{
    for (size_t i = 0; i < a->count; i++)
        if (!strcmp(a->entries[i].name, name))
            return &a->entries[i];
    return NULL;
}

static size_t count_named(const struct archive *a, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < a->count; i++)
        n += !strcmp(a->entries[i].name, name);
    return n;
}

/* ---- writing to memory -------------------------------------------------------- */

struct memout {
    FILE *file;
    struct archive archive;
};

static struct cpio_writer *mem_writer(struct memout *m)
{
    memset(m, 0, sizeof *m);
    m->file = open_memstream(&m->archive.bytes, &m->archive.len);
    return m->file ? cpio_writer_new(m->file) : NULL;
}

/* Finishes the archive and parses it; false if either step fails. */
static bool mem_finish(struct memout *m, struct cpio_writer *w)
{
    int rc = cpio_finish(w);
    fclose(m->file);
    return rc == 0 && parse_archive(&m->archive);
}

static void mem_free(struct memout *m)
{
    free(m->archive.bytes);
}

/* ---- host fixtures --------------------------------------------------------------- */

static char fixture_root[] = "/tmp/unikit-cpio-XXXXXX";

static char *fixture_path(const char *leaf)
{
    static char buf[4][512];
    static int next;
    char *out = buf[next++ % 4];
    snprintf(out, sizeof buf[0], "%s/%s", fixture_root, leaf);
    return out;
}

static void write_host_file(const char *leaf, const char *text, mode_t mode)
{
    const char *path = fixture_path(leaf);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

/* chmod after mkdir: the umask must not change the modes the tests expect. */
static void make_host_dir(const char *leaf, mode_t mode)
{
    const char *path = fixture_path(leaf);
    mkdir(path, mode);
    chmod(path, mode);
}

static void make_fixtures(void)
{
    if (!mkdtemp(fixture_root)) {
        perror("mkdtemp");
        exit(1);
    }
    write_host_file("plain.txt", "plain text\n", 0750);
    if (symlink("plain.txt", fixture_path("to-plain")) < 0)
        perror("symlink");
    make_host_dir("www", 0755);
    make_host_dir("www/sub", 0700);
    make_host_dir("www/sub/empty", 0755);
    write_host_file("www/b.txt", "bee", 0644);
    write_host_file("www/a.txt", "ay", 0600);
    write_host_file("www/sub/z", "", 0755);
    if (symlink("a.txt", fixture_path("www/link")) < 0)
        perror("symlink");
}

static void remove_fixtures(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fixture_root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fixture_root);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_entries_have_fixed_fields(void)
{
    struct memout m;
    struct cpio_writer *w = mem_writer(&m);
    CHECK(cpio_add_data(w, "/etc/hello.txt", 0644, "hi\n", 3) == 0);
    CHECK(cpio_add_dir(w, "srv", 0700) == 0);
    CHECK(cpio_add_symlink(w, "/bin/sh", "/hello") == 0);
    CHECK(mem_finish(&m, w));
    struct archive *a = &m.archive;
    CHECK(a->has_trailer);
    CHECK(a->count == 5);
    const char *order[] = {"etc", "etc/hello.txt", "srv", "bin", "bin/sh"};
    for (size_t i = 0; i < a->count && i < 5; i++) {
        const struct entry *e = &a->entries[i];
        CHECK_STR(e->name, order[i]);
        CHECK(e->ino == i + 1);
        CHECK(e->uid == 0 && e->gid == 0 && e->mtime == 0 && e->check == 0);
    }
    const struct entry *file = find_entry(a, "etc/hello.txt");
    CHECK(file && file->mode == 0100644 && file->size == 3 && !memcmp(file->data, "hi\n", 3));
    CHECK(file && file->nlink == 1);
    const struct entry *parent = find_entry(a, "etc");
    CHECK(parent && parent->mode == 040755 && parent->size == 0);
    const struct entry *srv = find_entry(a, "srv");
    CHECK(srv && srv->mode == 040700);
    const struct entry *link = find_entry(a, "bin/sh");
    CHECK(link && link->mode == 0120777 && link->size == 6 && !memcmp(link->data, "/hello", 6));
    mem_free(&m);
}

static void test_parents_emitted_once(void)
{
    struct memout m;
    struct cpio_writer *w = mem_writer(&m);
    CHECK(cpio_add_data(w, "a/b/c", 0644, "1", 1) == 0);
    CHECK(cpio_add_data(w, "a/b/d", 0644, "2", 1) == 0);
    CHECK(cpio_add_data(w, "/a/e", 0644, "3", 1) == 0);
    CHECK(cpio_add_dir(w, "a/b", 0700) == 0); /* already there: kept once, as first added */
    CHECK(cpio_add_data(w, "//x/./y/", 0644, "4", 1) == 0);
    CHECK(mem_finish(&m, w));
    const char *order[] = {"a", "a/b", "a/b/c", "a/b/d", "a/e", "x", "x/y"};
    CHECK(m.archive.count == 7);
    for (size_t i = 0; i < m.archive.count && i < 7; i++)
        CHECK_STR(m.archive.entries[i].name, order[i]);
    CHECK(count_named(&m.archive, "a/b") == 1);
    const struct entry *ab = find_entry(&m.archive, "a/b");
    CHECK(ab && ab->mode == 040755);
    mem_free(&m);
}

static void test_headers_and_data_padded_to_4(void)
{
    struct memout m;
    struct cpio_writer *w = mem_writer(&m);
    const char *names[] = {"a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh"};
    const char data[] = "0123456";
    for (size_t i = 0; i < 8; i++)
        CHECK(cpio_add_data(w, names[i], 0644, data, i) == 0);
    CHECK(mem_finish(&m, w));
    CHECK(m.archive.aligned);
    CHECK(m.archive.zero_padding);
    CHECK(m.archive.len % 4 == 0);
    CHECK(m.archive.count == 8);
    for (size_t i = 0; i < m.archive.count; i++) {
        const struct entry *e = &m.archive.entries[i];
        CHECK(e->header_offset % 4 == 0);
        CHECK(e->size == i && !memcmp(e->data, data, i));
        CHECK(e->namesize == strlen(names[i]) + 1);
    }
    mem_free(&m);
}

static void test_trailer_is_last(void)
{
    struct memout m;
    struct cpio_writer *w = mem_writer(&m);
    CHECK(mem_finish(&m, w));
    CHECK(m.archive.count == 0);
    CHECK(m.archive.has_trailer);
    CHECK(m.archive.len == 124); /* 110 + "TRAILER!!!\0" padded to 4 */
    mem_free(&m);
}

static void build_sample(struct memout *m)
{
    struct cpio_writer *w = mem_writer(m);
    CHECK(cpio_add_data(w, "etc/config", 0600, "x=1\n", 4) == 0);
    CHECK(cpio_add_host_file(w, "plain", fixture_path("plain.txt")) == 0);
    CHECK(cpio_add_host_tree(w, "/srv/www", fixture_path("www")) == 0);
    CHECK(mem_finish(m, w));
}

static void test_same_input_same_bytes(void)
{
    struct memout first, second;
    build_sample(&first);
    build_sample(&second);
    CHECK(first.archive.len == second.archive.len);
    CHECK(first.archive.len > 0 &&
          !memcmp(first.archive.bytes, second.archive.bytes, first.archive.len));
    mem_free(&first);
    mem_free(&second);
}

static void test_duplicate_path_rejected(void)
{
    struct memout m;
    struct cpio_writer *w = mem_writer(&m);
    CHECK(cpio_add_data(w, "etc/x", 0644, "1", 1) == 0);
    CHECK(cpio_add_data(w, "/etc/x", 0644, "2", 1) == -1);
    CHECK_STR(cpio_error(w), "cpio: /etc/x: added twice");
    CHECK(cpio_add_dir(w, "etc/x", 0755) == -1);
    CHECK_CONTAINS(cpio_error(w), "/etc/x");
    CHECK(cpio_add_data(w, "etc/x/y", 0644, "3", 1) == -1);
    CHECK_CONTAINS(cpio_error(w), "cpio: /etc/x: not a folder");
    CHECK(cpio_add_dir(w, "etc", 0755) == 0);
    CHECK(cpio_add_host_file(w, "etc/x", fixture_path("plain.txt")) == -1);
    CHECK_CONTAINS(cpio_error(w), "/etc/x: added twice");
    /* Rejected entries write nothing: the archive is still well formed. */
    CHECK(mem_finish(&m, w));
    CHECK(m.archive.count == 2);
    const struct entry *x = find_entry(&m.archive, "etc/x");
    CHECK(x && x->size == 1 && x->data[0] == '1');
    mem_free(&m);
}

static void test_contains_names_files_folders_and_parents(void)
{
    struct memout m;
    struct cpio_writer *w = mem_writer(&m);
    CHECK(!cpio_contains(w, "/etc/passwd"));
    CHECK(cpio_add_data(w, "./etc//passwd", 0644, "x", 1) == 0);
    CHECK(cpio_contains(w, "/etc/passwd"));
    CHECK(cpio_contains(w, "/etc"));
    CHECK(!cpio_contains(w, "/etc/group"));
    CHECK(mem_finish(&m, w));
    mem_free(&m);
}

static void test_missing_host_file_named(void)
{
    struct memout m;
    struct cpio_writer *w = mem_writer(&m);
    CHECK(cpio_add_host_file(w, "x", "/nonexistent/unikit/y") == -1);
    CHECK_STR(cpio_error(w), "cpio: /nonexistent/unikit/y: No such file or directory");
    CHECK(cpio_add_host_tree(w, "x", "/nonexistent/unikit/dir") == -1);
    CHECK_STR(cpio_error(w), "cpio: /nonexistent/unikit/dir: No such file or directory");
    CHECK(cpio_add_host_tree(w, "x", fixture_path("plain.txt")) == -1);
    CHECK_CONTAINS(cpio_error(w), "plain.txt: Not a directory");
    CHECK(cpio_add_host_file(w, "x", fixture_path("www")) == -1);
    CHECK_CONTAINS(cpio_error(w), "www: ");
    CHECK(mem_finish(&m, w));
    CHECK(m.archive.count == 0);
    mem_free(&m);
}

static void test_dotdot_rejected(void)
{
    struct memout m;
    struct cpio_writer *w = mem_writer(&m);
    CHECK(cpio_add_data(w, "a/../../etc/passwd", 0644, "", 0) == -1);
    CHECK_CONTAINS(cpio_error(w), "a/../../etc/passwd: \"..\" is not allowed");
    CHECK(cpio_add_data(w, "/", 0644, "", 0) == -1);
    CHECK(cpio_add_dir(w, "/", 0755) == 0); /* the root itself is never an entry */
    CHECK(mem_finish(&m, w));
    CHECK(m.archive.count == 0);
    mem_free(&m);
}

static void test_host_file_keeps_mode_follows_symlink(void)
{
    struct memout m;
    struct cpio_writer *w = mem_writer(&m);
    CHECK(cpio_add_host_file(w, "/bin/app", fixture_path("to-plain")) == 0);
    CHECK(mem_finish(&m, w));
    const struct entry *e = find_entry(&m.archive, "bin/app");
    CHECK(e && e->mode == 0100750);
    CHECK(e && e->size == 11 && !memcmp(e->data, "plain text\n", 11));
    mem_free(&m);
}

static void test_host_tree_sorted_with_symlinks(void)
{
    struct memout m;
    struct cpio_writer *w = mem_writer(&m);
    CHECK(cpio_add_host_tree(w, "srv/www", fixture_path("www")) == 0);
    CHECK(mem_finish(&m, w));
    const char *order[] = {"srv",          "srv/www",     "srv/www/a.txt",     "srv/www/b.txt",
                           "srv/www/link", "srv/www/sub", "srv/www/sub/empty", "srv/www/sub/z"};
    CHECK(m.archive.count == 8);
    for (size_t i = 0; i < m.archive.count && i < 8; i++)
        CHECK_STR(m.archive.entries[i].name, order[i]);
    const struct entry *www = find_entry(&m.archive, "srv/www");
    CHECK(www && www->mode == 040755);
    const struct entry *a = find_entry(&m.archive, "srv/www/a.txt");
    CHECK(a && a->mode == 0100600 && a->size == 2 && !memcmp(a->data, "ay", 2));
    const struct entry *link = find_entry(&m.archive, "srv/www/link");
    CHECK(link && link->mode == 0120777 && link->size == 5 && !memcmp(link->data, "a.txt", 5));
    const struct entry *sub = find_entry(&m.archive, "srv/www/sub");
    CHECK(sub && sub->mode == 040700);
    const struct entry *z = find_entry(&m.archive, "srv/www/sub/z");
    CHECK(z && z->mode == 0100755 && z->size == 0);
    mem_free(&m);
}

static void test_host_tree_at_root(void)
{
    struct memout m;
    struct cpio_writer *w = mem_writer(&m);
    CHECK(cpio_add_host_tree(w, "/", fixture_path("www")) == 0);
    CHECK(mem_finish(&m, w));
    CHECK(m.archive.count == 6);
    CHECK(m.archive.count > 0 && !strcmp(m.archive.entries[0].name, "a.txt"));
    CHECK(find_entry(&m.archive, "sub/z") != NULL);
    mem_free(&m);
}

static void test_write_failure_reported(void)
{
    FILE *readonly = fopen("/dev/null", "r");
    CHECK(readonly != NULL);
    if (!readonly)
        return;
    struct cpio_writer *w = cpio_writer_new(readonly);
    CHECK(cpio_add_data(w, "x", 0644, "1", 1) == -1);
    CHECK_CONTAINS(cpio_error(w), "cpio: write failed");
    CHECK(cpio_add_data(w, "y", 0644, "1", 1) == -1);
    CHECK(cpio_finish(w) == -1);
    fclose(readonly);
}

static bool have_command(const char *name)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* Reads all of a command's output into buf; false if it fails. */
static bool run_capture(const char *cmd, char *buf, size_t cap)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return false;
    size_t n = fread(buf, 1, cap - 1, p);
    buf[n] = '\0';
    return pclose(p) == 0;
}

static void save_sample(const char *path)
{
    struct memout m;
    build_sample(&m);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(m.archive.bytes, 1, m.archive.len, f) == m.archive.len);
    if (f)
        fclose(f);
    mem_free(&m);
}

/* GNU cpio, a second implementation, must read what we write. */
static void test_cpio_command_reads_archive(void)
{
    char archive[512], cmd[1400], out[2048];
    snprintf(archive, sizeof archive, "%s", fixture_path("sample.cpio"));
    save_sample(archive);
    snprintf(cmd, sizeof cmd, "cpio -it --quiet < '%s'", archive);
    CHECK(run_capture(cmd, out, sizeof out));
    CHECK_STR(out, "etc\netc/config\nplain\nsrv\nsrv/www\nsrv/www/a.txt\nsrv/www/b.txt\n"
                   "srv/www/link\nsrv/www/sub\nsrv/www/sub/empty\nsrv/www/sub/z\n");

    char *dest = fixture_path("unpacked");
    mkdir(dest, 0755);
    snprintf(cmd, sizeof cmd, "cd '%s' && cpio -id --quiet < '%s' && cat srv/www/link etc/config",
             dest, archive);
    CHECK(run_capture(cmd, out, sizeof out));
    CHECK_STR(out, "ayx=1\n");
}

int main(void)
{
    make_fixtures();
    RUN_TEST(test_entries_have_fixed_fields);
    RUN_TEST(test_parents_emitted_once);
    RUN_TEST(test_headers_and_data_padded_to_4);
    RUN_TEST(test_trailer_is_last);
    RUN_TEST(test_same_input_same_bytes);
    RUN_TEST(test_duplicate_path_rejected);
    RUN_TEST(test_contains_names_files_folders_and_parents);
    RUN_TEST(test_missing_host_file_named);
    RUN_TEST(test_dotdot_rejected);
    RUN_TEST(test_host_file_keeps_mode_follows_symlink);
    RUN_TEST(test_host_tree_sorted_with_symlinks);
    RUN_TEST(test_host_tree_at_root);
    RUN_TEST(test_write_failure_reported);
    if (have_command("cpio"))
        RUN_TEST(test_cpio_command_reads_archive);
    else
        printf("skip test_cpio_command_reads_archive: the cpio command is not installed\n");
    remove_fixtures();
    CHECK_EXIT();
}
