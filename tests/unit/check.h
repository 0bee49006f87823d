/*
 * A minimal test harness. Each CHECK that fails prints the file, line and
 * expression; each TEST prints one result line that tests/run-*.sh counts:
 *   "ok NAME", "FAIL NAME", or "skip NAME: why".
 */
#ifndef UNIKIT_CHECK_H
#define UNIKIT_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures_in_test;
static int check_failed_tests;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);             \
            check_failures_in_test++;                                                              \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *check_a_ = (a), *check_b_ = (b);                                               \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                           \
            fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,    \
                    check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");               \
            check_failures_in_test++;                                                              \
        }                                                                                          \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *check_h_ = (hay), *check_n_ = (needle);                                        \
        if (!check_h_ || !strstr(check_h_, check_n_)) {                                            \
            fprintf(stderr, "  %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,       \
                    check_h_ ? check_h_ : "(null)", check_n_);                                     \
            check_failures_in_test++;                                                              \
        }                                                                                          \
    } while (0)

#define RUN_TEST(fn)                                                                               \
    do {                                                                                           \
        check_failures_in_test = 0;                                                                \
        fn();                                                                                      \
        if (check_failures_in_test) {                                                              \
            printf("FAIL %s\n", #fn);                                                              \
            check_failed_tests++;                                                                  \
        } else {                                                                                   \
            printf("ok %s\n", #fn);                                                                \
        }                                                                                          \
        fflush(stdout);                                                                            \
    } while (0)

#define CHECK_EXIT() return check_failed_tests ? 1 : 0

#endif
