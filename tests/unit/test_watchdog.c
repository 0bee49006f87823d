/*
 * Tests for host/lib/watchdog.c: the record's address found in a real
 * image (the KVM probe that make builds), and QEMU's `xp` answers, written
 * here as QEMU 7.2 writes them, judged at chosen moments.
 */
#include "check.h"
#include "watchdog.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC     0x31305744544b4e55ull
#define IN_CALL   (1ull << 63)
#define HOST_WAIT (1ull << 62)

static char dir[] = "/tmp/unikit-watchdog-XXXXXX";

static struct watchdog *open_probe(const char *limit, unsigned cpus)
{
    setenv("UNIKIT_WATCHDOG", limit, 1);
    struct qemu_boot boot = {
        .arch = "x86_64",
        .image = "lib/unikit/x86_64/kvm-probe.elf",
        .cpus = cpus,
        .state_dir = dir,
    };
    return watchdog_open(&boot);
}

/* An answer: the header (total and free pages, the run queue's word), then
   seq and call per CPU. */
static const char *answer_runq(uint64_t magic, uint64_t total, uint64_t free_pages, uint64_t runq,
                               uint64_t seq0, uint64_t call0)
{
    static char text[512];
    snprintf(text, sizeof text,
             "0000000000120100: 0x%016llx 0x%016llx\r\n"
             "0000000000120110: 0x%016llx 0x%016llx\r\n"
             "0000000000120120: 0x%016llx 0x%016llx\r\n",
             (unsigned long long)magic, (unsigned long long)total, (unsigned long long)free_pages,
             (unsigned long long)runq, (unsigned long long)seq0, (unsigned long long)call0);
    return text;
}

static const char *answer(uint64_t magic, uint64_t total, uint64_t free_pages, uint64_t seq0,
                          uint64_t call0)
{
    return answer_runq(magic, total, free_pages, 0, seq0, call0);
}

/* The run queue's word: threads waiting, times one was taken. */
static uint64_t runq(uint32_t waiting, uint32_t taken)
{
    return (uint64_t)taken << 32 | waiting;
}

static bool judge(struct watchdog *w, const char *text, long long at, char *report)
{
    return watchdog_answer(w, text, at, report, 160);
}

static void test_finds_the_record(void)
{
    struct watchdog *w = open_probe("2", 1);
    CHECK(w != NULL);
    watchdog_close(w);
    setenv("UNIKIT_WATCHDOG", "2", 1);
    struct qemu_boot plain = {.arch = "x86_64", .image = "/bin/sh", .cpus = 1};
    CHECK(watchdog_open(&plain) == NULL); /* no record: no watchdog */
}

/* With a 2 s limit, the same answer at from, from + 1 s and from + 2 s:
   stuck at the last look only, with report want. */
static void check_stuck_at_two_seconds(const char *text, long long from, const char *want)
{
    char report[160] = "";
    struct watchdog *w = open_probe("2", 1);
    CHECK(!judge(w, text, from, report));
    CHECK(!judge(w, text, from + 1000, report));
    CHECK(judge(w, text, from + 2000, report));
    CHECK_STR(report, want);
    watchdog_close(w);
}

static void test_one_entry_past_the_limit_is_stuck(void)
{
    check_stuck_at_two_seconds(answer(MAGIC, 1000, 900, 7, IN_CALL | 0), 10000,
                               "kernel stuck in system call read on cpu 0 for 2 s");
}

static void test_moving_or_blocked_is_not_stuck(void)
{
    char report[160] = "";
    struct watchdog *w = open_probe("1", 1);
    for (int i = 0; i < 10; i++) /* a new entry at every look: busy, not stuck */
        CHECK(!judge(w, answer(MAGIC, 1000, 900, 100 + i, IN_CALL | 35), 1000LL * i, report));
    for (int i = 10; i < 20; i++) /* blocked: the same entry, not in the call */
        CHECK(!judge(w, answer(MAGIC, 1000, 900, 200, 0), 1000LL * i, report));
    watchdog_close(w);
}

/* QEMU stopped for a minute (SIGSTOP) is not a minute of the guest's. */
static void test_a_long_gap_counts_little(void)
{
    char report[160] = "";
    struct watchdog *w = open_probe("5", 1);
    const char *in_call = answer(MAGIC, 1000, 900, 3, IN_CALL | 25);
    CHECK(!judge(w, in_call, 0, report));
    CHECK(!judge(w, in_call, 60000, report));
    CHECK(!judge(w, in_call, 61000, report));
    CHECK(judge(w, in_call, 62000, report));
    CHECK_CONTAINS(report, "system call mremap on cpu 0");
    watchdog_close(w);
}

/* A thread waits to run and no CPU takes one, with no call running (an
   interrupt taken over and over by an idle CPU): stuck all the same. */
static void test_run_queue_that_never_moves_is_stuck(void)
{
    check_stuck_at_two_seconds(answer_runq(MAGIC, 1000, 900, runq(1, 41), 9, 0), 0,
                               "kernel stuck: 1 thread ready to run, none scheduled for 2 s");
}

/* A CPU spinning in a call with a thread waiting: the call is named. */
static void test_a_call_is_named_before_the_run_queue(void)
{
    check_stuck_at_two_seconds(answer_runq(MAGIC, 1000, 900, runq(1, 5), 7, IN_CALL | 0), 0,
                               "kernel stuck in system call read on cpu 0 for 2 s");
}

/* Threads taken at every look, none waiting, or the CPU waiting for the
   host (a slow reader of the last output): not stuck. */
static void test_run_queue_that_moves_is_not_stuck(void)
{
    char report[160] = "";
    struct watchdog *w = open_probe("1", 1);
    for (uint32_t i = 0; i < 10; i++)
        CHECK(!judge(w, answer_runq(MAGIC, 1000, 900, runq(3, 100 + i), 9, 0), 1000LL * i, report));
    for (uint32_t i = 10; i < 20; i++)
        CHECK(!judge(w, answer_runq(MAGIC, 1000, 900, runq(0, 200), 9, 0), 1000LL * i, report));
    for (uint32_t i = 20; i < 30; i++)
        CHECK(!judge(w, answer_runq(MAGIC, 1000, 900, runq(2, 300), 9, HOST_WAIT), 1000LL * i,
                     report));
    watchdog_close(w);
}

static void test_not_a_record(void)
{
    char report[160] = "";
    struct watchdog *w = open_probe("1", 1);
    for (int i = 0; i < 5; i++) {
        CHECK(!judge(w, answer(0, 0, 0, 1, IN_CALL | 0), 1000LL * i, report));
        CHECK(!judge(w, "Cannot access memory\r\n", 1000LL * i + 500, report));
    }
    watchdog_close(w);
}

static void test_memory_for_inspect(void)
{
    char report[160] = "", path[128];
    snprintf(path, sizeof path, "%s/%s", dir, WATCHDOG_MEMORY_FILE);
    struct watchdog *w = open_probe("0", 1);
    CHECK(!judge(w, answer(MAGIC, 1000, 900, 1, IN_CALL | 0), 0, report));
    json_t *m = json_load_file(path, 0, NULL);
    CHECK(json_integer_value(json_object_get(m, "Total")) == 1000 * 4096);
    CHECK(json_integer_value(json_object_get(m, "Used")) == 100 * 4096);
    CHECK(json_integer_value(json_object_get(m, "Free")) == 900 * 4096);
    json_decref(m);
    for (int i = 1; i < 100; i++) /* 0: no limit, only the counts */
        CHECK(!judge(w, answer(MAGIC, 1000, 900, 1, IN_CALL | 0), 1000LL * i, report));
    watchdog_close(w);
    unlink(path);
}

static void test_limit_setting(void)
{
    char err[256] = "";
    unsetenv("UNIKIT_WATCHDOG");
    CHECK(watchdog_limit(err, sizeof err) == WATCHDOG_DEFAULT_LIMIT);
    setenv("UNIKIT_WATCHDOG", "7", 1);
    CHECK(watchdog_limit(err, sizeof err) == 7);
    setenv("UNIKIT_WATCHDOG", "7s", 1);
    CHECK(watchdog_limit(err, sizeof err) == -1);
    CHECK_STR(err, "UNIKIT_WATCHDOG=7s: not a number of seconds (0 turns it off)");
    setenv("UNIKIT_WATCHDOG", "-1", 1);
    CHECK(watchdog_limit(err, sizeof err) == -1);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    setenv("UNIKIT_LIBDIR", "lib/unikit", 0);
    if (access("lib/unikit/x86_64/kvm-probe.elf", R_OK) != 0) {
        printf("skip test_watchdog: no lib/unikit/x86_64/kvm-probe.elf (run make)\n");
        rmdir(dir);
        return 0;
    }
    RUN_TEST(test_finds_the_record);
    RUN_TEST(test_one_entry_past_the_limit_is_stuck);
    RUN_TEST(test_moving_or_blocked_is_not_stuck);
    RUN_TEST(test_a_long_gap_counts_little);
    RUN_TEST(test_run_queue_that_never_moves_is_stuck);
    RUN_TEST(test_run_queue_that_moves_is_not_stuck);
    RUN_TEST(test_a_call_is_named_before_the_run_queue);
    RUN_TEST(test_not_a_record);
    RUN_TEST(test_memory_for_inspect);
    RUN_TEST(test_limit_setting);
    rmdir(dir);
    CHECK_EXIT();
}
