// native: no
// The first socket() waits for the network's address (DHCP), and signals
// arriving meanwhile must not cut that wait short: a Go program's runtime
// preempts its threads with SIGURG all the time, and its client then got
// "DHCP gave no address yet" and "no route to host" (the unikernel's own
// wait, which Linux never makes, ended with the first signal). A thread
// sends SIGURG to the main thread whenever it runs, from before its first
// socket() until after; the socket must then have the guest's address.
#include "guest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/syscall.h>

static atomic_int arrived;
static atomic_bool done;
static pid_t main_tid;

static void on_urg(int sig)
{
    (void)sig;
    arrived++;
}

static void *pester(void *arg)
{
    (void)arg;
    while (!done) {
        syscall(SYS_tgkill, getpid(), main_tid, SIGURG);
        sched_yield();
    }
    return NULL;
}

int main(void)
{
    struct sigaction sa = {.sa_handler = on_urg, .sa_flags = SA_RESTART};
    sigaction(SIGURG, &sa, NULL);
    main_tid = (pid_t)syscall(SYS_gettid);
    pthread_t t;
    pthread_create(&t, NULL, pester, NULL);
    while (arrived == 0) /* signals are coming before the first socket() */
        sched_yield();
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(9)};
    inet_pton(AF_INET, "192.0.2.1", &peer.sin_addr);
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    int rc = s < 0 ? -1 : connect(s, (struct sockaddr *)&peer, sizeof(peer));
    rc = rc < 0 ? rc : getsockname(s, (struct sockaddr *)&me, &len);
    done = true;
    pthread_join(t, NULL);
    printf("socket and connect: %s\n", rc < 0 ? errno_name(errno) : "ok");
    printf("local address set: %s\n", rc == 0 && me.sin_addr.s_addr != 0 ? "yes" : "no");
    printf("signals arrived meanwhile: %s\n", arrived > 1 ? "yes" : "no");
    return 0;
}
