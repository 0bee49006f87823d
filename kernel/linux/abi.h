/*
 * Linux's numbers and structures for the file-system calls, as the
 * program's C library sees them. Only kernel/linux/ includes this header.
 * Structure names carry a linux_ prefix so that they can never be confused
 * with a libc's own (the kernel unit tests see both).
 */
#ifndef UNIKIT_LINUX_ABI_H
#define UNIKIT_LINUX_ABI_H

#include "../include/types.h"

/* open flags */
#define O_ACCMODE  00000003
#define O_RDONLY   00000000
#define O_WRONLY   00000001
#define O_RDWR     00000002
#define O_CREAT    00000100
#define O_EXCL     00000200
#define O_NOCTTY   00000400
#define O_TRUNC    00001000
#define O_APPEND   00002000
#define O_NONBLOCK 00004000
#define O_DSYNC    00010000
#define O_ASYNC    00020000
#define O_NOATIME  01000000
#define O_CLOEXEC  02000000
#define O_SYNC     04010000
#define O_PATH     010000000
#define O_TMPFILE_ 020000000 /* O_TMPFILE without its O_DIRECTORY */
#if defined(__aarch64__)
#define O_DIRECTORY 00040000
#define O_NOFOLLOW  00100000
#define O_DIRECT    00200000
#define O_LARGEFILE 00400000
#else
#define O_DIRECT    00040000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW  00400000
#endif

/* *at() */
#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS          0x200
#define AT_REMOVEDIR        0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_NO_AUTOMOUNT     0x800
#define AT_EMPTY_PATH       0x1000
#define AT_STATX_SYNC_TYPE  0x6000

/* A host libc's stdio.h may define these too (the kernel unit tests): same values. */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE  (1 << 1)
#define RENAME_WHITEOUT  (1 << 2)
#endif

#define CLOSE_RANGE_UNSHARE 0x2
#define CLOSE_RANGE_CLOEXEC 0x4

/* lseek */
#define SEEK_SET  0
#define SEEK_CUR  1
#define SEEK_END  2
#define SEEK_DATA 3
#define SEEK_HOLE 4

/* access */
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

/* fcntl */
#define F_DUPFD         0
#define F_GETFD         1
#define F_SETFD         2
#define F_GETFL         3
#define F_SETFL         4
#define F_GETLK         5
#define F_SETLK         6
#define F_SETLKW        7
#define F_SETOWN        8
#define F_GETOWN        9
#define F_OFD_GETLK     36
#define F_OFD_SETLK     37
#define F_OFD_SETLKW    38
#define F_DUPFD_CLOEXEC 1030
#define F_SETPIPE_SZ    1031
#define F_GETPIPE_SZ    1032
#define FD_CLOEXEC      1
#define F_RDLCK         0
#define F_WRLCK         1
#define F_UNLCK         2

struct linux_flock {
    int16_t l_type;
    int16_t l_whence;
    int64_t l_start;
    int64_t l_len;
    int32_t l_pid;
};

/* ioctl */
#define TCGETS     0x5401
#define TCSETS     0x5402
#define TCSETSW    0x5403
#define TCSETSF    0x5404
#define TIOCGPGRP  0x540F
#define TIOCSPGRP  0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
/* terminal ioctls (the same numbers on x86_64 and aarch64) */
#define TCGETS     0x5401
#define TCSETS     0x5402
#define TCSETSW    0x5403
#define TCSETSF    0x5404
#define TCFLSH     0x540B
#define TIOCSCTTY  0x540E
#define TIOCGPGRP  0x540F
#define TIOCSPGRP  0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define TIOCGSID   0x5429
#define TCIFLUSH   0
#define TCIOFLUSH  2

/* struct termios as the TCGETS family passes it (asm-generic and x86 alike) */
#define LINUX_NCCS 19
#define VINTR      0
#define VQUIT      1
#define VERASE     2
#define VKILL      3
#define VEOF       4
#define VTIME      5
#define VMIN       6
#define VSUSP      10
#define VWERASE    14
#define INLCR      0000100
#define IGNCR      0000200
#define ICRNL      0000400
#define OPOST      0000001
#define ONLCR      0000004
#define ISIG       0000001
#define ICANON     0000002
#define ECHO       0000010
#define ECHOE      0000020
#define ECHOK      0000040
#define ECHONL     0000100
#define ECHOCTL    0001000
#define IEXTEN     0100000

struct linux_termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[LINUX_NCCS];
};

struct linux_winsize {
    uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

#define FIONREAD 0x541B
#define FIONBIO  0x5421
#define FIONCLEX 0x5450
#define FIOCLEX  0x5451

/* File types in st_mode, and permission bits. */
#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFBLK  0060000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000

/* struct stat: the architectures differ. */
#if defined(__aarch64__)
struct linux_stat { /* asm-generic */
    uint64_t st_dev;
    uint64_t st_ino;
    uint32_t st_mode;
    uint32_t st_nlink;
    uint32_t st_uid;
    uint32_t st_gid;
    uint64_t st_rdev;
    uint64_t __pad1;
    int64_t st_size;
    int32_t st_blksize;
    int32_t __pad2;
    int64_t st_blocks;
    int64_t st_atime_sec;
    uint64_t st_atime_nsec;
    int64_t st_mtime_sec;
    uint64_t st_mtime_nsec;
    int64_t st_ctime_sec;
    uint64_t st_ctime_nsec;
    uint32_t __unused4;
    uint32_t __unused5;
};
_Static_assert(sizeof(struct linux_stat) == 128, "aarch64 struct stat is 128 bytes");
_Static_assert(offsetof(struct linux_stat, st_size) == 48, "aarch64 st_size");
_Static_assert(offsetof(struct linux_stat, st_blocks) == 64, "aarch64 st_blocks");
#else
struct linux_stat { /* x86_64: st_nlink is 64 bits and comes before st_mode */
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;
    uint32_t st_uid;
    uint32_t st_gid;
    uint32_t __pad0;
    uint64_t st_rdev;
    int64_t st_size;
    int64_t st_blksize;
    int64_t st_blocks;
    uint64_t st_atime_sec;
    uint64_t st_atime_nsec;
    uint64_t st_mtime_sec;
    uint64_t st_mtime_nsec;
    uint64_t st_ctime_sec;
    uint64_t st_ctime_nsec;
    int64_t __unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "x86_64 struct stat is 144 bytes");
_Static_assert(offsetof(struct linux_stat, st_mode) == 24, "x86_64 st_mode");
_Static_assert(offsetof(struct linux_stat, st_atime_sec) == 72, "x86_64 st_atime");
#endif

/* statx */
#define STATX_TYPE        0x0001
#define STATX_MODE        0x0002
#define STATX_NLINK       0x0004
#define STATX_UID         0x0008
#define STATX_GID         0x0010
#define STATX_ATIME       0x0020
#define STATX_MTIME       0x0040
#define STATX_CTIME       0x0080
#define STATX_INO         0x0100
#define STATX_SIZE        0x0200
#define STATX_BLOCKS      0x0400
#define STATX_BASIC_STATS 0x07ff
#define STATX__RESERVED   0x80000000U

struct linux_statx_timestamp {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t __reserved;
};

struct linux_statx {
    uint32_t stx_mask;
    uint32_t stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink;
    uint32_t stx_uid;
    uint32_t stx_gid;
    uint16_t stx_mode;
    uint16_t __spare0;
    uint64_t stx_ino;
    uint64_t stx_size;
    uint64_t stx_blocks;
    uint64_t stx_attributes_mask;
    struct linux_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major;
    uint32_t stx_rdev_minor;
    uint32_t stx_dev_major;
    uint32_t stx_dev_minor;
    uint64_t stx_mnt_id;
    uint32_t stx_dio_mem_align;
    uint32_t stx_dio_offset_align;
    uint64_t __spare3[12];
};
_Static_assert(sizeof(struct linux_statx) == 256, "struct statx is 256 bytes");
_Static_assert(offsetof(struct linux_statx, stx_rdev_major) == 128, "statx rdev");

/* getdents64 */
#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};
_Static_assert(offsetof(struct linux_dirent64, d_name) == 19, "dirent64 header");

struct linux_iovec {
    void *iov_base;
    size_t iov_len;
};

#define UIO_MAXIOV 1024

struct linux_msghdr {
    void *name;
    uint32_t namelen;
    struct linux_iovec *iov;
    size_t iovlen;
    void *control;
    size_t controllen;
    int flags;
};

struct linux_timespec {
    long tv_sec, tv_nsec;
};

#endif
