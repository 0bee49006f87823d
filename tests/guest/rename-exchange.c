// renameat2(RENAME_EXCHANGE): two files swap contents under their names, a
// file and a directory in different folders swap (and the folders' link
// counts follow the directory), two directories swap; a missing name is
// ENOENT, with RENAME_NOREPLACE EINVAL, a directory swapped into its own
// subtree EINVAL, an unknown flag EINVAL, a name with itself nothing.
#include "guest.h"

/* Linux's flags (musl's headers have no renameat2). */
#define RENAME_NOREPLACE (1u << 0)
#define RENAME_EXCHANGE  (1u << 1)

static long exchange_at(const char *a, const char *b, unsigned flags)
{
    return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags);
}

static void put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, text, strlen(text));
    close(fd);
}

static int holds(const char *path, const char *text)
{
    char buf[32] = "";
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    close(fd);
    return n == (ssize_t)strlen(text) && memcmp(buf, text, (size_t)n) == 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static nlink_t links(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_nlink : 0;
}

int main(void)
{
    char base[] = "/tmp/xchg-XXXXXX";
    if (!mkdtemp(base) || chdir(base) != 0)
        return 1;
    put("a", "alpha");
    put("b", "beta");
    want("exchange two files", exchange_at("a", "b", RENAME_EXCHANGE), 0);
    check("  a holds beta", holds("a", "beta"));
    check("  b holds alpha", holds("b", "alpha"));

    mkdir("d1", 0755);
    mkdir("d2", 0755);
    mkdir("d1/sub", 0755);
    put("d2/file", "f");
    nlink_t d1 = links("d1"), d2 = links("d2");
    want("exchange a directory and a file across folders",
         exchange_at("d1/sub", "d2/file", RENAME_EXCHANGE), 0);
    check("  d1/sub is the file", !is_dir("d1/sub") && holds("d1/sub", "f"));
    check("  d2/file is the directory", is_dir("d2/file"));
    check("  d1 lost a link, d2 gained one", links("d1") == d1 - 1 && links("d2") == d2 + 1);
    want("  the moved directory's .. is d2", access("d2/file/../file", F_OK), 0);

    want("exchange two directories", exchange_at("d1", "d2", RENAME_EXCHANGE), 0);
    check("  d1 now holds the directory", is_dir("d1/file"));

    want("a missing name", exchange_at("a", "nothing", RENAME_EXCHANGE), ENOENT);
    want("with RENAME_NOREPLACE", exchange_at("a", "b", RENAME_EXCHANGE | RENAME_NOREPLACE),
         EINVAL);
    mkdir("d1/file/inner", 0755);
    want("a directory into its own subtree", exchange_at("d1", "d1/file/inner", RENAME_EXCHANGE),
         EINVAL);
    want("an unknown flag", exchange_at("a", "b", 1u << 7), EINVAL);
    want("a name with itself", exchange_at("a", "a", RENAME_EXCHANGE), 0);
    check("  a unchanged", holds("a", "beta"));

    unlink("a");
    unlink("b");
    unlink("d2/sub");
    rmdir("d1/file/inner");
    rmdir("d1/file");
    rmdir("d1");
    rmdir("d2");
    chdir("/");
    rmdir(base);
    return guest_done();
}
