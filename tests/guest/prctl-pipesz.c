// cpus: 1 2
// native-aarch64: no (under qemu-aarch64 the thread is named after the emulator)
// prctl PR_SET_NAME/PR_GET_NAME (per thread, cut to 15 bytes, seen in
// /proc/self/comm; a new thread inherits its creator's name),
// PR_SET_PDEATHSIG accepted and read back, PR_SET_NO_NEW_PRIVS, and
// fcntl F_SETPIPE_SZ/F_GETPIPE_SZ (rounded up to a page, EBUSY below the
// bytes held, the new size honoured by writes), with the EINVAL cases.
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>

static char thread_name[16], thread_after[16];

static int comm_is(const char *want)
{
    char buf[64] = {0};
    int fd = open("/proc/self/comm", O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    size_t len = strlen(want);
    return n == (ssize_t)len + 1 && memcmp(buf, want, len) == 0 && buf[len] == '\n';
}

static void *named_thread(void *arg)
{
    (void)arg;
    prctl(PR_GET_NAME, thread_name);
    prctl(PR_SET_NAME, "worker");
    prctl(PR_GET_NAME, thread_after);
    return NULL;
}

static void test_names(void)
{
    char name[16];
    want("PR_GET_NAME", prctl(PR_GET_NAME, name), 0);
    check("name is the program's", strcmp(name, "t-prctl-pipesz") == 0);
    check("comm is the program's", comm_is("t-prctl-pipesz"));
    want("PR_SET_NAME", prctl(PR_SET_NAME, "main-loop"), 0);
    prctl(PR_GET_NAME, name);
    check("name set", strcmp(name, "main-loop") == 0);
    check("comm follows", comm_is("main-loop"));
    want("PR_SET_NAME long", prctl(PR_SET_NAME, "a-very-long-thread-name"), 0);
    prctl(PR_GET_NAME, name);
    check("name cut to 15", strcmp(name, "a-very-long-thr") == 0);
    prctl(PR_SET_NAME, "main-loop");

    pthread_t t;
    pthread_create(&t, NULL, named_thread, NULL);
    pthread_join(t, NULL);
    check("thread inherits name", strcmp(thread_name, "main-loop") == 0);
    check("thread renamed itself", strcmp(thread_after, "worker") == 0);
    prctl(PR_GET_NAME, name);
    check("main keeps its name", strcmp(name, "main-loop") == 0);
    want("PR_SET_NAME bad pointer", prctl(PR_SET_NAME, BAD_LOW), EFAULT);
    want("PR_GET_NAME bad pointer", prctl(PR_GET_NAME, BAD_LOW), EFAULT);
}

static void test_other_options(void)
{
    int sig = -1;
    want("PR_SET_PDEATHSIG", prctl(PR_SET_PDEATHSIG, SIGTERM), 0);
    want("PR_GET_PDEATHSIG", prctl(PR_GET_PDEATHSIG, &sig), 0);
    check("pdeathsig kept", sig == SIGTERM);
    want("PR_SET_PDEATHSIG bad", prctl(PR_SET_PDEATHSIG, 999), EINVAL);
    want("PR_SET_NO_NEW_PRIVS", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    check("no_new_privs set", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
    want("PR_SET_NO_NEW_PRIVS 0", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
    check("dumpable", prctl(PR_GET_DUMPABLE) == 1);
    want("unknown option", prctl(0x7fff0000), EINVAL);
}

static void test_pipe_size(void)
{
    int p[2];
    want("pipe", pipe(p), 0);
    check("default 64 KiB", fcntl(p[0], F_GETPIPE_SZ) == 65536);
    check("set 100000 gives 128 KiB", fcntl(p[1], F_SETPIPE_SZ, 100000) == 131072);
    check("read end sees it", fcntl(p[0], F_GETPIPE_SZ) == 131072);
    check("set 1 gives a page", fcntl(p[0], F_SETPIPE_SZ, 1) == 4096);
    check("set 8192", fcntl(p[0], F_SETPIPE_SZ, 8192) == 8192);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    static char buf[32768];
    check("write fills 8 KiB", write(p[1], buf, sizeof buf) == 8192);
    want("pipe full", write(p[1], buf, 1), EAGAIN);
    want("shrink below contents", fcntl(p[0], F_SETPIPE_SZ, 4096), EBUSY);
    check("grow while full", fcntl(p[0], F_SETPIPE_SZ, 16384) == 16384);
    check("room again", write(p[1], buf, sizeof buf) == 8192);
    check("read all", read(p[0], buf, sizeof buf) == 16384);
    int fd = open("/proc/self/comm", O_RDONLY);
    want("F_GETPIPE_SZ on a file", fcntl(fd, F_GETPIPE_SZ), EBADF);
    want("F_SETPIPE_SZ on a file", fcntl(fd, F_SETPIPE_SZ, 4096), EBADF);
    int q[2];
    pipe(q);
    close(q[0]);
    close(q[1]);
    close(fd);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_names();
    test_other_options();
    test_pipe_size();
    return guest_done();
}
