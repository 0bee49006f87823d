/*
 * A small static-file HTTP/1.1 server: one process, one epoll loop,
 * non-blocking sockets, keep-alive, GET and HEAD.
 *
 * Usage: httpd [PORT [ROOT]]   (default: 80 /www)
 *
 * Each connection reads requests into a buffer; a complete request queues
 * a response header and, for GET, an open file that is copied out in
 * chunks as the socket accepts them. EPOLLOUT is asked for only while
 * output waits, so an idle connection costs nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_EVENTS 64
#define REQ_MAX    8192 /* a request head larger than this gets 431 */
#define CHUNK      16384
#define HEADER_MAX 512

struct conn {
    int fd;
    char in[REQ_MAX];
    size_t in_len;
    char out[HEADER_MAX + CHUNK]; /* header, then file bytes */
    size_t out_pos, out_len;
    int file; /* -1 when no body is being sent */
    off_t file_left;
    bool close_after; /* "Connection: close", HTTP/1.0, or an error */
    bool want_out;    /* EPOLLOUT is registered */
};

static const char *root = "/www";
static int epfd;

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".htm", "text/html; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
    {".css", "text/css"},
    {".js", "text/javascript"},
    {".json", "application/json"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".svg", "image/svg+xml"},
    {".ico", "image/x-icon"},
};

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static void set_events(struct conn *c, bool want_out)
{
    if (c->want_out == want_out)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want_out;
}

static void conn_close(struct conn *c)
{
    if (c->file >= 0)
        close(c->file);
    close(c->fd); /* leaves the epoll set with it */
    free(c);
}

static void respond_status(struct conn *c, int code, const char *reason, bool head)
{
    char body[128];
    int blen = snprintf(body, sizeof(body), "%d %s\n", code, reason);
    c->out_len = (size_t)snprintf(c->out, HEADER_MAX,
                                  "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
                                  "Content-Length: %d\r\nConnection: %s\r\n\r\n%s",
                                  code, reason, blen, c->close_after ? "close" : "keep-alive",
                                  head ? "" : body);
    c->out_pos = 0;
}

/* Maps the request target to a file under root; NULL for one that climbs out. */
static bool target_path(const char *target, char *path, size_t len)
{
    if (target[0] != '/' || strstr(target, ".."))
        return false;
    size_t tlen = strcspn(target, "?#");
    int n = snprintf(path, len, "%s%.*s", root, (int)tlen, target);
    if (n < 0 || (size_t)n >= len)
        return false;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        strncat(path, path[n - 1] == '/' ? "index.html" : "/index.html", len - (size_t)n - 1);
    return true;
}

static void respond_file(struct conn *c, const char *target, bool head)
{
    char path[1024];
    struct stat st;
    int fd = -1;
    if (!target_path(target, path, sizeof(path)) || (fd = open(path, O_RDONLY)) < 0 ||
        fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        respond_status(c, 404, "Not Found", head);
        return;
    }
    c->out_len = (size_t)snprintf(c->out, HEADER_MAX,
                                  "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
                                  "Content-Length: %lld\r\nConnection: %s\r\n\r\n",
                                  content_type(path), (long long)st.st_size,
                                  c->close_after ? "close" : "keep-alive");
    c->out_pos = 0;
    if (head || st.st_size == 0) {
        close(fd);
        return;
    }
    c->file = fd;
    c->file_left = st.st_size;
}

/* True when the header lines (after the request line) say "Connection: close". */
static bool asks_close(const char *headers)
{
    for (const char *p = headers; (p = strstr(p, "\r\n")); p += 2)
        if (strncasecmp(p + 2, "Connection:", 11) == 0) {
            const char *v = p + 13;
            while (*v == ' ')
                v++;
            return strncasecmp(v, "close", 5) == 0;
        }
    return false;
}

/* Handles one complete request head of len bytes at c->in. */
static void handle_request(struct conn *c, size_t len)
{
    char method[16], target[1024], version[16];
    c->in[len - 1] = '\0'; /* the head ends "\r\n\r\n": the last '\n' goes */
    if (sscanf(c->in, "%15s %1023s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0) {
        c->close_after = true;
        respond_status(c, 400, "Bad Request", false);
        return;
    }
    c->close_after = strcmp(version, "HTTP/1.0") == 0 || asks_close(c->in);
    bool head = strcmp(method, "HEAD") == 0;
    if (!head && strcmp(method, "GET") != 0) {
        respond_status(c, 405, "Method Not Allowed", false);
        return;
    }
    respond_file(c, target, head);
}

/* Parses the next buffered request if no response is in progress. */
static void next_request(struct conn *c)
{
    if (c->out_pos < c->out_len || c->file >= 0)
        return;
    c->in[c->in_len < REQ_MAX ? c->in_len : REQ_MAX - 1] = '\0';
    char *end = strstr(c->in, "\r\n\r\n");
    if (!end) {
        if (c->in_len >= REQ_MAX - 1) {
            c->close_after = true;
            respond_status(c, 431, "Request Header Fields Too Large", false);
        }
        return;
    }
    size_t len = (size_t)(end - c->in) + 4;
    handle_request(c, len);
    memmove(c->in, c->in + len, c->in_len - len);
    c->in_len -= len;
}

/* Refills out from the file once the header (or last chunk) is gone. */
static int refill(struct conn *c)
{
    if (c->out_pos < c->out_len || c->file < 0)
        return 0;
    ssize_t n = read(c->file, c->out, c->file_left < CHUNK ? (size_t)c->file_left : CHUNK);
    if (n <= 0)
        return -1; /* the file shrank: the promised length cannot be kept */
    c->out_pos = 0;
    c->out_len = (size_t)n;
    c->file_left -= n;
    if (c->file_left == 0) {
        close(c->file);
        c->file = -1;
    }
    return 0;
}

/* Writes what it can; -1 when the connection is done with. */
static int flush(struct conn *c)
{
    for (;;) {
        if (refill(c) < 0)
            return -1;
        if (c->out_pos == c->out_len) {
            if (c->close_after)
                return -1;
            next_request(c); /* pipelined requests already read */
            if (c->out_pos == c->out_len) {
                set_events(c, false);
                return 0;
            }
            continue;
        }
        ssize_t n = write(c->fd, c->out + c->out_pos, c->out_len - c->out_pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            set_events(c, true);
            return 0;
        }
        if (n <= 0)
            return -1;
        c->out_pos += (size_t)n;
    }
}

static int on_readable(struct conn *c)
{
    for (;;) {
        if (c->in_len >= REQ_MAX - 1)
            break; /* full: the buffered requests go first */
        ssize_t n = read(c->fd, c->in + c->in_len, REQ_MAX - 1 - c->in_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0)
            return -1; /* closed or reset by the peer */
        c->in_len += (size_t)n;
    }
    next_request(c);
    return flush(c);
}

static void accept_all(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or a connection reset before it was accepted */
        struct conn *c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->file = -1;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
            conn_close(c);
    }
}

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 128) < 0) {
        perror("httpd: listen");
        exit(1);
    }
    return fd;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 80;
    if (argc > 2)
        root = argv[2];
    if (port < 1 || port > 65535) {
        fprintf(stderr, "usage: httpd [PORT [ROOT]]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int lfd = listen_on(port);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) < 0) {
        perror("httpd: epoll");
        return 1;
    }
    printf("httpd: serving %s on port %d\n", root, port);
    fflush(stdout);
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (!c)
                accept_all(lfd);
            else if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR) ? on_readable(c)
                                                                         : flush(c)) < 0)
                conn_close(c);
        }
    }
}
