/*
 * create --bundle B --pid-file P [--console-socket S] ID: forks the
 * container process, which keeps the stdio create was given (the engine's
 * pipes, or the terminal sent over the console socket), makes its network
 * namespace, and waits on exec.fifo for start. create runs the
 * createRuntime, prestart and createContainer hooks once that process and
 * its namespace exist, writes the pid file, and returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "util.h"

struct create_options {
    const char *bundle;
    const char *pid_file;
    const char *console_socket;
    const char *id;
};

static int parse_options(int argc, char **argv, struct create_options *o)
{
    enum { O_PID = 256, O_CONSOLE, O_IGNORED, O_IGNORED_ARG };
    static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
                                         {"pid-file", required_argument, NULL, O_PID},
                                         {"console-socket", required_argument, NULL, O_CONSOLE},
                                         {"no-pivot", no_argument, NULL, O_IGNORED},
                                         {"no-new-keyring", no_argument, NULL, O_IGNORED},
                                         {"preserve-fds", required_argument, NULL, O_IGNORED_ARG},
                                         {0}};
    int c;
    optind = 0;
    opterr = 0;
    o->bundle = ".";
    while ((c = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
        if (c == 'b')
            o->bundle = optarg;
        else if (c == O_PID)
            o->pid_file = optarg;
        else if (c == O_CONSOLE)
            o->console_socket = optarg;
        else if (c == '?')
            return rt_error("create: unknown option '%s'", argv[optind - 1]), -1;
    }
    if (optind != argc - 1)
        return rt_error("create: expected one container id (create --bundle DIR "
                        "--pid-file FILE ID)"),
               -1;
    o->id = argv[optind];
    if (!state_valid_id(o->id))
        return rt_error("create: invalid container id '%s'", o->id), -1;
    return 0;
}

/* runc's way: the pty's master goes to the engine over the socket (SCM_RIGHTS). */
static int send_console(const char *socket_path, int master, const char *name)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof(addr.sun_path))
        return errno = ENAMETOOLONG, -1;
    strcpy(addr.sun_path, socket_path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(s);
        return -1;
    }
    char control[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control,
                         .msg_controllen = sizeof(control)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &master, sizeof(int));
    int rc = sendmsg(s, &msg, 0) < 0 ? -1 : 0;
    close(s);
    return rc;
}

/* A pseudo-terminal: its master sent to the engine, its slave returned (-1 after a message). */
static int open_console(const char *socket_path)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), slave = -1;
    const char *name =
        master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 ? ptsname(master) : NULL;
    if (name)
        slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        rt_error("cannot make a terminal for the container: %s", strerror(errno));
    } else if (send_console(socket_path, master, name) < 0) {
        rt_error("--console-socket %s: %s", socket_path, strerror(errno));
        close(slave);
        slave = -1;
    }
    if (master >= 0)
        close(master);
    return slave;
}

static char *now_rfc3339(void)
{
    struct timespec t;
    char buf[64];
    clock_gettime(CLOCK_REALTIME, &t);
    utc_format_ns(&t, buf, sizeof(buf));
    return xstrdup(buf);
}

static int write_pid_file(const char *path, pid_t pid)
{
    char *copy = xstrdup(path), *copy2 = xstrdup(path), text[32];
    snprintf(text, sizeof(text), "%d", (int)pid);
    int rc = write_file_atomic(dirname(copy), basename(copy2), text);
    free(copy);
    free(copy2);
    return rc;
}

/* What the container process says once it is ready: "ok", or its error. */
static int await_container(int fd, char *why, size_t len)
{
    size_t got = 0;
    ssize_t n;
    while (got < len - 1 &&
           ((n = read(fd, why + got, len - 1 - got)) > 0 || (n < 0 && errno == EINTR)))
        got += n > 0 ? (size_t)n : 0;
    why[got] = '\0';
    if (strcmp(why, "ok") == 0)
        return 0;
    if (!got)
        snprintf(why, len, "the container process ended before it was ready");
    return -1;
}

struct creation {
    struct create_options o;
    struct bundle b;
    struct unikit_image img;
    struct ct_state st;
    int fifo_fd, tty_fd;
    bool made_dir; /* the state dir is ours to remove on failure */
    pid_t pid;
};

/* Forks the container process and waits until it is ready; 0, or -1 after a message. */
static int spawn_container(struct creation *cr)
{
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) < 0)
        return rt_error("cannot create a pipe: %s", strerror(errno)), -1;
    struct container_setup setup = {.id = cr->o.id,
                                    .bundle = &cr->b,
                                    .image = &cr->img,
                                    .fifo_fd = cr->fifo_fd,
                                    .sync_fd = sync[1],
                                    .tty_fd = cr->tty_fd};
    fflush(NULL);
    cr->pid = fork();
    if (cr->pid == 0) {
        close(sync[0]);
        container_main(&setup);
    }
    close(sync[1]);
    char why[1024];
    int rc = cr->pid < 0 ? -1 : await_container(sync[0], why, sizeof(why));
    close(sync[0]);
    if (cr->pid < 0)
        return rt_error("cannot fork the container process: %s", strerror(errno)), -1;
    if (rc < 0)
        return rt_error("%s", why), -1;
    return 0;
}

/* The state dir with its exec.fifo, open read-write (so opening it never blocks). */
static int make_state_dir(struct creation *cr)
{
    char *dir = cr->st.dir;
    if (mkdir_p(rt.root, 0711) < 0)
        return rt_error("cannot create --root %s: %s", rt.root, strerror(errno)), -1;
    if (mkdir(dir, 0711) < 0)
        return rt_error(errno == EEXIST ? "container with id exists: %s" : "cannot create %s: %s",
                        errno == EEXIST ? cr->o.id : dir, strerror(errno)),
               -1;
    cr->made_dir = true;
    char *fifo = xasprintf("%s/" EXEC_FIFO, dir);
    if (mkfifo(fifo, 0600) == 0)
        cr->fifo_fd = open(fifo, O_RDWR | O_CLOEXEC);
    int e = errno;
    free(fifo);
    if (cr->fifo_fd < 0)
        return rt_error("cannot create %s/" EXEC_FIFO ": %s", dir, strerror(e)), -1;
    return 0;
}

static int run_create_hooks(struct creation *cr)
{
    static const enum hook_kind kinds[] = {HOOK_CREATE_RUNTIME, HOOK_PRESTART,
                                           HOOK_CREATE_CONTAINER};
    json_t *state = state_json(&cr->st, CT_CREATING);
    char err[1024];
    int rc = 0;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && rc == 0; i++)
        rc = hooks_run(&cr->b.hooks[kinds[i]], hook_kind_name(kinds[i]), state, err, sizeof(err));
    json_decref(state);
    if (rc < 0)
        rt_error("%s", err);
    return rc;
}

static int create_container(struct creation *cr)
{
    char err[1024];
    if (cr->b.terminal && !cr->o.console_socket)
        return rt_error("process.terminal is true in %s/config.json: --console-socket is needed "
                        "to hand over the terminal",
                        cr->b.dir),
               -1;
    if (unikit_image_load(cr->b.rootfs, &cr->img, err, sizeof(err)) < 0)
        return rt_error("%s", err), -1;
    cr->st.id = xstrdup(cr->o.id);
    cr->st.dir = state_dir(cr->o.id);
    cr->st.bundle = xstrdup(cr->b.dir);
    cr->st.created = now_rfc3339();
    cr->st.annotations = cr->b.annotations ? json_incref(cr->b.annotations) : NULL;
    if (make_state_dir(cr) < 0)
        return -1;
    if (cr->o.console_socket && (cr->tty_fd = open_console(cr->o.console_socket)) < 0)
        return -1;
    if (spawn_container(cr) < 0)
        return -1;
    cr->st.pid = cr->pid;
    cr->st.start = proc_start_time(cr->pid);
    if (state_save(&cr->st, err, sizeof(err)) < 0)
        return rt_error("%s", err), -1;
    if (run_create_hooks(cr) < 0)
        return -1;
    if (cr->o.pid_file && write_pid_file(cr->o.pid_file, cr->pid) < 0)
        return rt_error("cannot write --pid-file %s: %s", cr->o.pid_file, strerror(errno)), -1;
    return 0;
}

int cmd_create(int argc, char **argv)
{
    struct creation cr = {.fifo_fd = -1, .tty_fd = -1};
    char err[1024];
    if (parse_options(argc, argv, &cr.o) < 0)
        return RT_ERROR_EXIT;
    if (bundle_peek_unikit(cr.o.bundle) == 0)
        return runc_exec();
    if (bundle_load(cr.o.bundle, &cr.b, err, sizeof(err)) < 0)
        return rt_error("%s", err);
    if (!bundle_is_unikit(&cr.b)) {
        bundle_free(&cr.b);
        return runc_exec();
    }
    int rc = create_container(&cr);
    if (rc < 0 && cr.pid > 0)
        kill(cr.pid, SIGKILL);
    if (rc < 0 && cr.made_dir)
        remove_tree(cr.st.dir);
    if (cr.fifo_fd >= 0)
        close(cr.fifo_fd);
    if (cr.tty_fd >= 0)
        close(cr.tty_fd);
    state_free(&cr.st);
    unikit_image_free(&cr.img);
    bundle_free(&cr.b);
    return rc < 0 ? RT_ERROR_EXIT : 0;
}
