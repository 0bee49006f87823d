/*
 * cpio "newc" writer. Every field that could vary between builds (owner,
 * times, inode numbers) is fixed, so the same inputs give the same bytes.
 */
#include "cpio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CPIO_MAGIC      "070701"
#define CPIO_TRAILER    "TRAILER!!!"
#define CPIO_MAX_FIELD  0xffffffffu /* fields are 8 hex digits */
#define DIR_MODE        (S_IFDIR | 0755)
#define COPY_CHUNK      65536
#define SET_INITIAL_CAP 64

/* One archive path already written, so parents go in once and duplicates are caught. */
struct path_entry {
    char *name; /* NULL: empty slot */
    bool is_dir;
};

struct cpio_writer {
    FILE *out;
    uint32_t next_ino;
    /* Set once a write failed part-way: the stream is no longer a valid archive. */
    bool broken;
    struct path_entry *paths; /* open-addressing hash set */
    size_t paths_cap;
    size_t paths_len;
    char error[512];
};

/* ---- errors ------------------------------------------------------------------ */

__attribute__((format(printf, 2, 3))) static int fail(struct cpio_writer *w, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(w->error, sizeof w->error, "cpio: ");
    vsnprintf(w->error + n, sizeof w->error - (size_t)n, fmt, ap);
    va_end(ap);
    errno = saved ? saved : EINVAL;
    return -1;
}

static int fail_errno(struct cpio_writer *w, const char *what)
{
    return fail(w, "%s: %s", what, strerror(errno));
}

/* ---- the set of archive paths -------------------------------------------------- */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static struct path_entry *find_slot(struct path_entry *slots, size_t cap, const char *name)
{
    size_t i = hash_name(name) & (cap - 1);
    while (slots[i].name && strcmp(slots[i].name, name) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static struct path_entry *lookup_path(const struct cpio_writer *w, const char *name)
{
    struct path_entry *slot = find_slot(w->paths, w->paths_cap, name);
    return slot->name ? slot : NULL;
}

static int grow_paths(struct cpio_writer *w)
{
    size_t cap = w->paths_cap * 2;
    struct path_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < w->paths_cap; i++)
        if (w->paths[i].name)
            *find_slot(slots, cap, w->paths[i].name) = w->paths[i];
    free(w->paths);
    w->paths = slots;
    w->paths_cap = cap;
    return 0;
}

static int remember_path(struct cpio_writer *w, const char *name, bool is_dir)
{
    /* Keep the load under one half so probes stay short. */
    if ((w->paths_len + 1) * 2 > w->paths_cap && grow_paths(w) < 0)
        return fail_errno(w, name);
    char *copy = strdup(name);
    if (!copy)
        return fail_errno(w, name);
    struct path_entry *slot = find_slot(w->paths, w->paths_cap, name);
    slot->name = copy;
    slot->is_dir = is_dir;
    w->paths_len++;
    return 0;
}

/* ---- archive names ------------------------------------------------------------- */

/*
 * Turns "/srv//www/./x/" into "srv/www/x". ".." is refused: an archive
 * entry must never reach outside the folder it is unpacked into.
 * Returns a malloc'd name ("" for the root) or NULL with the error set.
 */
static char *normalize_name(struct cpio_writer *w, const char *path)
{
    size_t len = strlen(path);
    char *name = malloc(len + 1);
    if (!name) {
        fail_errno(w, path);
        return NULL;
    }
    size_t out = 0;
    const char *p = path;
    while (*p) {
        size_t part = strcspn(p, "/");
        bool skip = part == 0 || (part == 1 && p[0] == '.');
        if (part == 2 && p[0] == '.' && p[1] == '.') {
            free(name);
            errno = EINVAL;
            fail(w, "%s: \"..\" is not allowed in an archive path", path);
            return NULL;
        }
        if (!skip) {
            if (out)
                name[out++] = '/';
            memcpy(name + out, p, part);
            out += part;
        }
        p += part;
        if (*p == '/')
            p++;
    }
    name[out] = '\0';
    return name;
}

/* ---- writing entries ------------------------------------------------------------- */

static int write_bytes(struct cpio_writer *w, const void *data, size_t len)
{
    if (len && fwrite(data, 1, len, w->out) != len) {
        w->broken = true;
        if (!errno)
            errno = EIO;
        return fail_errno(w, "write failed");
    }
    return 0;
}

static int write_padding(struct cpio_writer *w, size_t written)
{
    static const char zeros[4];
    return write_bytes(w, zeros, (4 - written % 4) % 4);
}

static int write_header(struct cpio_writer *w, const char *name, uint32_t ino, uint32_t mode,
                        uint32_t nlink, uint32_t size)
{
    size_t namesize = strlen(name) + 1;
    char header[111];
    snprintf(header, sizeof header, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             CPIO_MAGIC, ino, mode, 0u /* uid */, 0u /* gid */, nlink, 0u /* mtime */, size, 0u, 0u,
             0u, 0u, (uint32_t)namesize, 0u /* check */);
    if (write_bytes(w, header, 110) < 0 || write_bytes(w, name, namesize) < 0)
        return -1;
    return write_padding(w, 110 + namesize);
}

static int write_entry_header(struct cpio_writer *w, const char *name, uint32_t mode, uint32_t size)
{
    uint32_t nlink = S_ISDIR(mode) ? 2 : 1;
    return write_header(w, name, w->next_ino++, mode, nlink, size);
}

/* Adds every missing parent of name ("a/b/c" → "a", "a/b"), refusing a parent that is a file. */
static int add_parents(struct cpio_writer *w, char *name)
{
    for (char *slash = strchr(name, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        struct path_entry *seen = lookup_path(w, name);
        int rc = 0;
        if (seen && !seen->is_dir) {
            errno = ENOTDIR;
            rc = fail(w, "/%s: not a folder, but other paths are added under it", name);
        } else if (!seen) {
            rc = write_entry_header(w, name, DIR_MODE, 0);
            if (rc == 0)
                rc = remember_path(w, name, true);
        }
        *slash = '/';
        if (rc < 0)
            return rc;
    }
    return 0;
}

/*
 * Prepares an entry: checks the name is new and writes its parents.
 * Returns 1 for a folder that is already there (nothing more to write),
 * 0 to go on, -1 on error.
 */
static int begin_entry(struct cpio_writer *w, const char *name, bool is_dir)
{
    if (w->broken) {
        errno = EIO;
        return fail(w, "/%s: an earlier write failed", name);
    }
    struct path_entry *seen = lookup_path(w, name);
    if (seen && seen->is_dir && is_dir)
        return 1;
    if (seen) {
        errno = EEXIST;
        return fail(w, "/%s: added twice", name);
    }
    char *scratch = strdup(name);
    if (!scratch)
        return fail_errno(w, name);
    int rc = add_parents(w, scratch);
    free(scratch);
    return rc;
}

static int check_size(struct cpio_writer *w, const char *what, uint64_t len)
{
    if (len > CPIO_MAX_FIELD) {
        errno = EFBIG;
        return fail(w, "%s: too large for a cpio archive (4 GiB at most)", what);
    }
    return 0;
}

/* Writes one non-folder entry whose bytes are all in memory. */
static int add_blob(struct cpio_writer *w, const char *name, uint32_t mode, const void *data,
                    size_t len)
{
    if (check_size(w, name, len) < 0)
        return -1;
    int rc = begin_entry(w, name, false);
    if (rc < 0)
        return rc;
    if (write_entry_header(w, name, mode, (uint32_t)len) < 0 || write_bytes(w, data, len) < 0 ||
        write_padding(w, len) < 0)
        return -1;
    return remember_path(w, name, false);
}

static int add_dir_named(struct cpio_writer *w, const char *name, unsigned mode)
{
    if (!*name)
        return 0; /* the root is the folder the archive unpacks into */
    int rc = begin_entry(w, name, true);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (write_entry_header(w, name, S_IFDIR | (mode & 07777), 0) < 0)
        return -1;
    return remember_path(w, name, true);
}

/* ---- public interface ------------------------------------------------------------- */

struct cpio_writer *cpio_writer_new(FILE *out)
{
    struct cpio_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->paths = calloc(SET_INITIAL_CAP, sizeof *w->paths);
    if (!w->paths) {
        free(w);
        return NULL;
    }
    w->out = out;
    w->paths_cap = SET_INITIAL_CAP;
    w->next_ino = 1;
    return w;
}

int cpio_add_dir(struct cpio_writer *w, const char *path, unsigned mode)
{
    char *name = normalize_name(w, path);
    if (!name)
        return -1;
    int rc = add_dir_named(w, name, mode);
    free(name);
    return rc;
}

/* mode without a file type means a regular file; S_IFLNK makes data the link target. */
int cpio_add_data(struct cpio_writer *w, const char *path, unsigned mode, const void *data,
                  size_t len)
{
    unsigned type = mode & S_IFMT;
    if (type == 0)
        type = S_IFREG;
    if (type != S_IFREG && type != S_IFLNK) {
        errno = EINVAL;
        return fail(w, "%s: only files and symlinks can hold data (mode %o)", path, mode);
    }
    char *name = normalize_name(w, path);
    if (!name)
        return -1;
    int rc;
    if (!*name) {
        errno = EISDIR;
        rc = fail(w, "%s: the archive root is a folder", path);
    } else {
        rc = add_blob(w, name, type | (mode & 07777), data, len);
    }
    free(name);
    return rc;
}

int cpio_add_symlink(struct cpio_writer *w, const char *path, const char *target)
{
    return cpio_add_data(w, path, S_IFLNK | 0777, target, strlen(target));
}

/* Copies exactly len bytes of fd; a file that changes size meanwhile is an error. */
static int copy_file_data(struct cpio_writer *w, int fd, const char *host_path, uint64_t len)
{
    char *buf = malloc(COPY_CHUNK);
    if (!buf)
        return fail_errno(w, host_path);
    uint64_t left = len;
    int rc = 0;
    while (left && rc == 0) {
        size_t want = left < COPY_CHUNK ? (size_t)left : COPY_CHUNK;
        ssize_t got = read(fd, buf, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            w->broken = true;
            if (got == 0)
                errno = EIO;
            rc = got == 0 ? fail(w, "%s: file shrank while it was being read", host_path)
                          : fail_errno(w, host_path);
            break;
        }
        rc = write_bytes(w, buf, (size_t)got);
        left -= (uint64_t)got;
    }
    free(buf);
    return rc;
}

/* Adds a regular file already opened as fd, whose fstat is st. */
static int add_open_file(struct cpio_writer *w, const char *name, const char *host_path, int fd,
                         const struct stat *st)
{
    if (!S_ISREG(st->st_mode)) {
        errno = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
        return fail(w, "%s: not a regular file", host_path);
    }
    uint64_t len = (uint64_t)st->st_size;
    if (check_size(w, host_path, len) < 0)
        return -1;
    int rc = begin_entry(w, name, false);
    if (rc < 0)
        return rc;
    if (write_entry_header(w, name, S_IFREG | (st->st_mode & 07777), (uint32_t)len) < 0 ||
        copy_file_data(w, fd, host_path, len) < 0 || write_padding(w, len) < 0)
        return -1;
    return remember_path(w, name, false);
}

static int add_host_file_named(struct cpio_writer *w, const char *name, const char *host_path)
{
    if (!*name) {
        errno = EISDIR;
        return fail(w, "%s: cannot be the archive root", host_path);
    }
    int fd = open(host_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail_errno(w, host_path);
    struct stat st;
    int rc =
        fstat(fd, &st) < 0 ? fail_errno(w, host_path) : add_open_file(w, name, host_path, fd, &st);
    close(fd);
    return rc;
}

bool cpio_contains(struct cpio_writer *w, const char *path)
{
    char *name = normalize_name(w, path);
    bool found = name && lookup_path(w, name) != NULL;
    free(name);
    return found;
}

int cpio_add_host_file(struct cpio_writer *w, const char *path, const char *host_path)
{
    char *name = normalize_name(w, path);
    if (!name)
        return -1;
    int rc = add_host_file_named(w, name, host_path);
    free(name);
    return rc;
}

/* ---- host trees ------------------------------------------------------------------- */

static char *join_path(const char *dir, const char *leaf)
{
    char *joined;
    const char *sep = (*dir && dir[strlen(dir) - 1] != '/') ? "/" : "";
    if (asprintf(&joined, "%s%s%s", dir, sep, leaf) < 0)
        return NULL;
    return joined;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* The entries of host_dir except "." and "..", in byte order so archives are reproducible. */
static int list_dir_sorted(struct cpio_writer *w, const char *host_dir, char ***names_out,
                           size_t *count_out)
{
    DIR *dir = opendir(host_dir);
    if (!dir)
        return fail_errno(w, host_dir);
    char **names = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    struct dirent *ent;
    errno = 0;
    while (rc == 0 && (ent = readdir(dir))) {
        if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) {
                rc = fail_errno(w, host_dir);
                break;
            }
            names = grown;
        }
        if (!(names[count] = strdup(ent->d_name)))
            rc = fail_errno(w, host_dir);
        else
            count++;
        errno = 0;
    }
    if (rc == 0 && errno)
        rc = fail_errno(w, host_dir);
    closedir(dir);
    if (rc < 0) {
        free_names(names, count);
        return rc;
    }
    if (count)
        qsort(names, count, sizeof *names, compare_names);
    *names_out = names;
    *count_out = count;
    return 0;
}

static int add_tree_named(struct cpio_writer *w, const char *name, const char *host_dir,
                          const struct stat *st);

static int add_host_symlink(struct cpio_writer *w, const char *name, const char *host_path,
                            const struct stat *st)
{
    size_t cap = st->st_size > 0 ? (size_t)st->st_size + 1 : PATH_MAX;
    char *target = malloc(cap);
    if (!target)
        return fail_errno(w, host_path);
    ssize_t len = readlink(host_path, target, cap);
    int rc;
    if (len < 0)
        rc = fail_errno(w, host_path);
    else if ((size_t)len >= cap)
        rc = (errno = ENAMETOOLONG, fail(w, "%s: link target changed while reading", host_path));
    else
        rc = add_blob(w, name, S_IFLNK | 0777, target, (size_t)len);
    free(target);
    return rc;
}

/* Adds one entry found in a host folder, by what lstat says it is. */
static int add_tree_entry(struct cpio_writer *w, const char *name, const char *host_path)
{
    struct stat st;
    if (lstat(host_path, &st) < 0)
        return fail_errno(w, host_path);
    if (S_ISDIR(st.st_mode))
        return add_tree_named(w, name, host_path, &st);
    if (S_ISLNK(st.st_mode))
        return add_host_symlink(w, name, host_path, &st);
    if (S_ISREG(st.st_mode))
        return add_host_file_named(w, name, host_path);
    errno = EINVAL;
    return fail(w, "%s: not a file, folder or symlink", host_path);
}

static int add_tree_children(struct cpio_writer *w, const char *name, const char *host_dir)
{
    char **names = NULL;
    size_t count = 0;
    if (list_dir_sorted(w, host_dir, &names, &count) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        char *child_name = *name ? join_path(name, names[i]) : strdup(names[i]);
        char *child_host = join_path(host_dir, names[i]);
        rc = child_name && child_host ? add_tree_entry(w, child_name, child_host)
                                      : fail_errno(w, host_dir);
        free(child_name);
        free(child_host);
    }
    free_names(names, count);
    return rc;
}

static int add_tree_named(struct cpio_writer *w, const char *name, const char *host_dir,
                          const struct stat *st)
{
    if (add_dir_named(w, name, st->st_mode) < 0)
        return -1;
    return add_tree_children(w, name, host_dir);
}

int cpio_add_host_tree(struct cpio_writer *w, const char *path, const char *host_dir)
{
    struct stat st;
    if (stat(host_dir, &st) < 0)
        return fail_errno(w, host_dir);
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return fail_errno(w, host_dir);
    }
    char *name = normalize_name(w, path);
    if (!name)
        return -1;
    int rc = add_tree_named(w, name, host_dir, &st);
    free(name);
    return rc;
}

static void free_writer(struct cpio_writer *w)
{
    for (size_t i = 0; i < w->paths_cap; i++)
        free(w->paths[i].name);
    free(w->paths);
    free(w);
}

int cpio_finish(struct cpio_writer *w)
{
    if (!w) {
        errno = EINVAL;
        return -1;
    }
    int rc = -1;
    if (w->broken)
        errno = EIO;
    else if (write_header(w, CPIO_TRAILER, 0, 0, 1, 0) == 0)
        rc = fflush(w->out) == 0 ? 0 : -1;
    int saved = errno;
    free_writer(w);
    errno = saved;
    return rc;
}

const char *cpio_error(const struct cpio_writer *w)
{
    return w->error[0] ? w->error : "cpio: no error";
}
