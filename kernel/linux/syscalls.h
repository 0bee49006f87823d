/*
 * The Linux system-call ABI layer.
 *
 * Each handler is written with SYSCALL_DEFINEn(name, type, arg, ...), which
 * emits `long sys_name(const struct syscall_args *)` for the table and a
 * typed `do_name()` body. The table itself is generated from
 * ARCH.tbl (number, name) at build time.
 */
#ifndef UNIKIT_LINUX_SYSCALLS_H
#define UNIKIT_LINUX_SYSCALLS_H

#include "errno.h"
#include "types.h"

struct syscall_args {
    long nr;
    long a[6];
};

typedef long (*syscall_fn)(const struct syscall_args *);

/* Generated: the handlers by `unikit build` for each image (host/lib/spec.c),
 * the names by scripts/gen-syscall-table.sh. A call's handler is
 * syscall_fns[syscall_index[nr]] (NULL where the image has none: index 0
 * or an unimplemented call); syscall_fns holds only the image's calls, so
 * that a specialised table costs two bytes, not eight, per number it
 * leaves out. syscall_names holds the names of numbers 0, 1, 2, ... each
 * ended by a NUL (empty: Linux has no such call); bit nr of
 * syscall_left_out says this image's kernel leaves call nr out. */
extern const syscall_fn syscall_fns[];
extern const uint16_t syscall_index[];
extern const char syscall_names[];
extern const uint8_t syscall_left_out[];
extern const size_t syscall_table_size;

/* "unikit.trace" on the command line: print each call's first use. */
void syscall_trace_init(const char *cmdline);
/* Called by the arch syscall entry with the number and arguments. */
long syscall_dispatch(const struct syscall_args *args);
/* The table's name for a system call number; NULL if none. */
const char *syscall_name(long nr);

/* The handler's name: a file may define SYSCALL_NAME before including
 * this to make handlers for another layer's table (kernel/linux/net.c's
 * inet_NAME, which kernel/linux/socket.c calls). */
#ifndef SYSCALL_NAME
#define SYSCALL_NAME(name) sys_##name
#endif

#define SC_ARG(t, i) ((t)(args->a[i]))

#define SYSCALL_DEFINE0(name)                                                                      \
    static long do_##name(void);                                                                   \
    long SYSCALL_NAME(name)(const struct syscall_args *args)                                       \
    {                                                                                              \
        (void)args;                                                                                \
        return do_##name();                                                                        \
    }                                                                                              \
    static long do_##name(void)
#define SYSCALL_DEFINE1(name, t1, a1)                                                              \
    static long do_##name(t1 a1);                                                                  \
    long SYSCALL_NAME(name)(const struct syscall_args *args)                                       \
    {                                                                                              \
        return do_##name(SC_ARG(t1, 0));                                                           \
    }                                                                                              \
    static long do_##name(t1 a1)
#define SYSCALL_DEFINE2(name, t1, a1, t2, a2)                                                      \
    static long do_##name(t1 a1, t2 a2);                                                           \
    long SYSCALL_NAME(name)(const struct syscall_args *args)                                       \
    {                                                                                              \
        return do_##name(SC_ARG(t1, 0), SC_ARG(t2, 1));                                            \
    }                                                                                              \
    static long do_##name(t1 a1, t2 a2)
#define SYSCALL_DEFINE3(name, t1, a1, t2, a2, t3, a3)                                              \
    static long do_##name(t1 a1, t2 a2, t3 a3);                                                    \
    long SYSCALL_NAME(name)(const struct syscall_args *args)                                       \
    {                                                                                              \
        return do_##name(SC_ARG(t1, 0), SC_ARG(t2, 1), SC_ARG(t3, 2));                             \
    }                                                                                              \
    static long do_##name(t1 a1, t2 a2, t3 a3)
#define SYSCALL_DEFINE4(name, t1, a1, t2, a2, t3, a3, t4, a4)                                      \
    static long do_##name(t1 a1, t2 a2, t3 a3, t4 a4);                                             \
    long SYSCALL_NAME(name)(const struct syscall_args *args)                                       \
    {                                                                                              \
        return do_##name(SC_ARG(t1, 0), SC_ARG(t2, 1), SC_ARG(t3, 2), SC_ARG(t4, 3));              \
    }                                                                                              \
    static long do_##name(t1 a1, t2 a2, t3 a3, t4 a4)
#define SYSCALL_DEFINE5(name, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5)                              \
    static long do_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5);                                      \
    long SYSCALL_NAME(name)(const struct syscall_args *args)                                       \
    {                                                                                              \
        return do_##name(SC_ARG(t1, 0), SC_ARG(t2, 1), SC_ARG(t3, 2), SC_ARG(t4, 3),               \
                         SC_ARG(t5, 4));                                                           \
    }                                                                                              \
    static long do_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5)
#define SYSCALL_DEFINE6(name, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5, t6, a6)                      \
    static long do_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6);                               \
    long SYSCALL_NAME(name)(const struct syscall_args *args)                                       \
    {                                                                                              \
        return do_##name(SC_ARG(t1, 0), SC_ARG(t2, 1), SC_ARG(t3, 2), SC_ARG(t4, 3),               \
                         SC_ARG(t5, 4), SC_ARG(t6, 5));                                            \
    }                                                                                              \
    static long do_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6)

/*
 * User memory. The program shares the kernel's address space, so access is
 * a plain load or store once the range is known to be mapped; these checks
 * turn a bad pointer into -EFAULT.
 */
bool user_readable(const void *p, size_t len);
bool user_writable(void *p, size_t len);
/* Copies a NUL-terminated path into buf; -EFAULT, -ENAMETOOLONG or length. */
long user_path(const char *upath, char *buf, size_t size);
#define PATH_MAX_LINUX 4096

/* Warns once per syscall number that the program asked for something missing. */
void syscall_warn_once(long nr, const char *name, const char *what);
/* The same for the call being served, named and numbered as this
   architecture's table has it (a handler calls it before it first sleeps). */
void syscall_warn_current(const char *what);

struct linux_msghdr;
/* sendmsg/recvmsg: the message's vector readable (or, to_user, writable) and
 * its total length in *total; -EFAULT or -EMSGSIZE (socket.c). A datagram
 * leaves or arrives whole, so the vector goes through one kernel buffer. */
long msghdr_check(const struct linux_msghdr *m, bool to_user, size_t *total);

/* The terminal's ioctls (tty.c); -ENOTTY for others. */
long tty_ioctl(unsigned cmd, unsigned long arg);

#endif
