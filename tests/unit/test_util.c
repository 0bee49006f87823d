/* Tests for host/lib/util.c: the UTC calendar against glibc's, and the
   directory helpers on a temporary tree. */
#include "check.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static bool same_date(const struct tm *a, const struct tm *b)
{
    return a->tm_year == b->tm_year && a->tm_mon == b->tm_mon && a->tm_mday == b->tm_mday &&
           a->tm_hour == b->tm_hour && a->tm_min == b->tm_min && a->tm_sec == b->tm_sec &&
           a->tm_wday == b->tm_wday && a->tm_yday == b->tm_yday;
}

/* Both ways, for every day of 1600-2400 at a time of day that moves, and
   for the instants either side of leap days and the epoch. */
static void test_utc_matches_glibc(void)
{
    int mismatches = 0;
    const time_t day = 86400;
    const time_t first = -11676096000LL, last = 13569465600LL; /* 1600-01-01, 2400-01-01 */
    for (time_t t = first; t <= last && mismatches < 5; t += day + 3607) {
        struct tm ours, theirs;
        utc_to_tm(t, &ours);
        gmtime_r(&t, &theirs);
        if (!same_date(&ours, &theirs) || utc_from_tm(&theirs) != t) {
            fprintf(stderr, "  mismatch at %lld\n", (long long)t);
            mismatches++;
        }
    }
    CHECK(mismatches == 0);
    const time_t edges[] = {-1, 0, 951782399, 951782400, 951868800, 4107542399, 4107542400};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        struct tm ours, theirs;
        utc_to_tm(edges[i], &ours);
        gmtime_r(&edges[i], &theirs);
        CHECK(same_date(&ours, &theirs));
        CHECK(utc_from_tm(&ours) == edges[i]);
    }
}

static void test_utc_format_ns(void)
{
    char buf[64];
    struct timespec leap = {.tv_sec = 951782400 + 3723, .tv_nsec = 5}; /* 2000-02-29 01:02:03 */
    utc_format_ns(&leap, buf, sizeof(buf));
    CHECK_STR(buf, "2000-02-29T01:02:03.000000005Z");
    struct timespec before = {.tv_sec = -1, .tv_nsec = 999999999};
    utc_format_ns(&before, buf, sizeof(buf));
    CHECK_STR(buf, "1969-12-31T23:59:59.999999999Z");
}

static void test_utc_format(void)
{
    char buf[32];
    utc_format(951782400 + 3723, buf, sizeof(buf));
    CHECK_STR(buf, "2000-02-29T01:02:03Z");
    utc_format(-1, buf, sizeof(buf));
    CHECK_STR(buf, "1969-12-31T23:59:59Z");
}

/* strv_free frees every string and the vector (the sanitizers' leak check sees it). */
static void test_strv_and_str_eq(void)
{
    struct strvec v = {0};
    strvec_push(&v, "a");
    strvec_pushf(&v, "%s-%d", "b", 2);
    CHECK(strv_len(v.v) == 2);
    CHECK(str_eq(v.v[1], "b-2"));
    CHECK(!str_eq(v.v[0], "b-2"));
    CHECK(!str_eq(NULL, "a") && !str_eq("a", NULL) && !str_eq(NULL, NULL));
    strv_free(v.v);
    strv_free(NULL);
    char **grown = xreallocarray(NULL, 3, sizeof(char *));
    grown[0] = xstrdup("x");
    grown[1] = NULL;
    strv_free(grown);
}

static char *temp_dir(void)
{
    char *dir = xstrdup("/tmp/unikit-test-util-XXXXXX");
    return mkdtemp(dir) ? dir : NULL;
}

static void touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
}

static void test_mkdir_p(void)
{
    char *dir = temp_dir();
    CHECK(dir != NULL);
    char *deep = xasprintf("%s/a/b/c/", dir);
    struct stat st;
    CHECK(mkdir_p(deep, 0755) == 0);
    CHECK(stat(deep, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(mkdir_p(deep, 0755) == 0); /* again: already there */
    char *file = xasprintf("%s/file", dir);
    touch(file);
    char *under_file = xasprintf("%s/file/x", dir);
    CHECK(mkdir_p(under_file, 0755) < 0 && errno == ENOTDIR);
    CHECK(remove_tree(dir) == 0);
    free(under_file);
    free(file);
    free(deep);
    free(dir);
}

/* A tree with files, an empty directory and a link to a directory outside
   it: all of the tree goes, nothing the link points to. */
static void test_remove_tree(void)
{
    char *dir = temp_dir(), *outside = temp_dir();
    CHECK(dir != NULL && outside != NULL);
    char *kept = xasprintf("%s/kept", outside);
    touch(kept);
    char *sub = xasprintf("%s/sub/empty", dir);
    CHECK(mkdir_p(sub, 0755) == 0);
    char *f1 = xasprintf("%s/one", dir), *f2 = xasprintf("%s/sub/two", dir);
    touch(f1);
    touch(f2);
    char *link = xasprintf("%s/sub/link", dir);
    CHECK(symlink(outside, link) == 0);
    CHECK(empty_tree(dir) == 0); /* what it holds goes, the folder stays */
    struct stat st;
    CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && access(f1, F_OK) < 0);
    CHECK(access(kept, F_OK) == 0);
    CHECK(remove_tree(dir) == 0);
    CHECK(access(dir, F_OK) < 0 && errno == ENOENT);
    CHECK(access(kept, F_OK) == 0);
    CHECK(remove_tree(dir) < 0 && errno == ENOENT);
    CHECK(remove_tree(kept) == 0); /* a plain file */
    CHECK(remove_tree(outside) == 0);
    free(link);
    free(f2);
    free(f1);
    free(sub);
    free(kept);
    free(outside);
    free(dir);
}

int main(void)
{
    RUN_TEST(test_utc_matches_glibc);
    RUN_TEST(test_utc_format_ns);
    RUN_TEST(test_utc_format);
    RUN_TEST(test_strv_and_str_eq);
    RUN_TEST(test_mkdir_p);
    RUN_TEST(test_remove_tree);
    CHECK_EXIT();
}
