/*
 * Tests for host/lib/qmp.c: a socket pair stands in for QEMU, which writes
 * QMP messages as QEMU 7.2 does and reads what the client sends.
 */
#include "check.h"
#include "qmp.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct qmp q;
static int qemu_end;

static void connect_pair(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        perror("socketpair");
        exit(1);
    }
    qmp_open(&q, sv[0]);
    qmp_start(&q);
    qemu_end = sv[1];
}

static void disconnect_pair(void)
{
    close(q.fd);
    if (qemu_end >= 0)
        close(qemu_end);
}

static void qemu_says(const char *text)
{
    if (write(qemu_end, text, strlen(text)) != (ssize_t)strlen(text))
        perror("write");
}

/* What the client has sent QEMU so far (waiting up to 1 s for something). */
static const char *qemu_heard(void)
{
    static char buf[4096];
    struct pollfd p = {.fd = qemu_end, .events = POLLIN};
    ssize_t n = poll(&p, 1, 1000) == 1 ? read(qemu_end, buf, sizeof(buf) - 1) : 0;
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static enum qmp_event next(char *status)
{
    return qmp_next(&q, 1000, status, 64);
}

/* Opening asks nothing: the exchange waits for qmp_start. */
static void test_open_asks_nothing(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    qmp_open(&q, sv[0]);
    qemu_end = sv[1];
    CHECK(!q.started);
    struct pollfd p = {.fd = qemu_end, .events = POLLIN};
    CHECK(poll(&p, 1, 100) == 0);
    qmp_start(&q);
    CHECK(q.started && strstr(qemu_heard(), "qmp_capabilities") != NULL);
    disconnect_pair();
}

static void test_start_asks_capabilities_then_state(void)
{
    connect_pair();
    const char *sent = qemu_heard();
    const char *caps = strstr(sent, "qmp_capabilities");
    const char *query = strstr(sent, "query-status");
    CHECK(caps && query && caps < query);
    disconnect_pair();
}

static void test_running_guest(void)
{
    char status[64] = "";
    connect_pair();
    qemu_says("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}}, "
              "\"capabilities\": [\"oob\"]}}\r\n{\"return\": {}}\r\n");
    CHECK(next(status) == QMP_OTHER); /* the greeting */
    CHECK(next(status) == QMP_OTHER); /* capabilities accepted */
    qemu_says(
        "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}\r\n");
    CHECK(next(status) == QMP_RUNNING);
    CHECK_STR(status, "running");
    disconnect_pair();
}

static void test_stop_event_asks_state(void)
{
    char status[64] = "";
    connect_pair();
    qemu_heard(); /* the start's commands */
    qemu_says("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\r\n");
    CHECK(next(status) == QMP_OTHER);
    CHECK_CONTAINS(qemu_heard(), "\"query-status\"");
    qemu_says("{\"return\": {\"status\": \"internal-error\", \"singlestep\": false, "
              "\"running\": false}}\r\n");
    CHECK(next(status) == QMP_STOPPED);
    CHECK_STR(status, "internal-error");
    disconnect_pair();
}

static void test_paused_from_start(void)
{
    char status[64] = "";
    connect_pair();
    qemu_says("{\"return\": {\"status\": \"prelaunch\", \"running\": false}}\r\n");
    CHECK(next(status) == QMP_STOPPED);
    CHECK_STR(status, "prelaunch");
    disconnect_pair();
}

/* A guest that ends leaves QEMU in "shutdown" on its way out: not a failure. */
static void test_shutdown_is_no_failure(void)
{
    char status[64] = "";
    connect_pair();
    qemu_says("{\"return\": {\"status\": \"shutdown\", \"running\": false}}\r\n");
    CHECK(next(status) == QMP_OTHER);
    disconnect_pair();
}

static void test_messages_split_and_joined(void)
{
    char status[64] = "";
    connect_pair();
    qemu_says("{\"event\": \"RESU");
    qemu_says("ME\"}\r\n{\"return\": {\"status\": \"guest-panicked\", \"running\": false}}\r\n");
    CHECK(next(status) == QMP_RUNNING);
    CHECK(next(status) == QMP_STOPPED);
    CHECK_STR(status, "guest-panicked");
    disconnect_pair();
}

static void test_overlong_message_is_dropped(void)
{
    char status[64] = "";
    connect_pair();
    size_t len = QMP_BUFFER + 100;
    char *junk = malloc(len + 3);
    memset(junk, 'x', len);
    strcpy(junk + len, "\r\n");
    qemu_says("{\"return\": {\"status\": \"paused\", \"running\": false}}\r\n");
    CHECK(next(status) == QMP_STOPPED);
    /* More than the socket holds: a child writes while the client reads. */
    pid_t writer = fork();
    if (writer == 0) {
        qemu_says(junk);
        qemu_says("{\"return\": {\"status\": \"io-error\", \"running\": false}}\r\n");
        _exit(0);
    }
    enum qmp_event ev;
    while ((ev = next(status)) == QMP_OTHER)
        ;
    CHECK(ev == QMP_STOPPED);
    CHECK_STR(status, "io-error");
    waitpid(writer, NULL, 0);
    free(junk);
    disconnect_pair();
}

static void test_timeout_and_eof(void)
{
    char status[64] = "";
    connect_pair();
    CHECK(qmp_next(&q, 20, status, sizeof(status)) == QMP_TIMEOUT);
    close(qemu_end);
    qemu_end = -1;
    CHECK(next(status) == QMP_EOF);
    disconnect_pair();
}

/* The watchdog's `xp`: sent as a human monitor command, its text comes back. */
static void test_human_command_and_reply(void)
{
    char status[64] = "";
    connect_pair();
    qemu_heard(); /* the start's commands */
    qmp_human(&q, "xp /2gx 0x1000");
    const char *sent = qemu_heard();
    CHECK_CONTAINS(sent, "\"human-monitor-command\"");
    CHECK_CONTAINS(sent, "\"command-line\":\"xp /2gx 0x1000\"");
    qemu_says("{\"return\": \"0000000000001000: 0x0000000000000001 0x0000000000000002\\r\\n\", "
              "\"id\": \"unikit-human\"}\r\n");
    CHECK(next(status) == QMP_REPLY);
    CHECK_STR(q.reply, "0000000000001000: 0x0000000000000001 0x0000000000000002\r\n");
    /* Another command's answer is not the human command's. */
    qemu_says("{\"return\": \"x\", \"id\": \"other\"}\r\n");
    CHECK(next(status) == QMP_OTHER);
    disconnect_pair();
}

int main(void)
{
    RUN_TEST(test_open_asks_nothing);
    RUN_TEST(test_start_asks_capabilities_then_state);
    RUN_TEST(test_running_guest);
    RUN_TEST(test_stop_event_asks_state);
    RUN_TEST(test_paused_from_start);
    RUN_TEST(test_shutdown_is_no_failure);
    RUN_TEST(test_messages_split_and_joined);
    RUN_TEST(test_overlong_message_is_dropped);
    RUN_TEST(test_timeout_and_eof);
    RUN_TEST(test_human_command_and_reply);
    CHECK_EXIT();
}
