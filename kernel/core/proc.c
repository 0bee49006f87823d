/*
 * The one program: starting it, ending it, and naming its code in crash
 * reports.
 */
#include "arch.h"
#include "exec.h"
#include "lib.h"
#include "plat.h"
#include "proc.h"
#include "smp.h"
#include "vfs.h"
#include "vm.h"

static struct file *program_file;
static uintptr_t program_base;
static uint64_t main_cycles; /* cycle counter when the program got the CPU */

static long read_program(void *ctx, void *buf, size_t len, uint64_t off)
{
    return vfs_pread(ctx, buf, len, (off_t)off);
}

/*
 * /proc/self/exe, the one /proc entry runtimes need at start (Go's
 * os.Executable, glibc's $ORIGIN): a symbolic link to the program, so that
 * readlink, stat and open all work. Failing to make it is not fatal.
 */
static void link_proc_self_exe(const char *path)
{
    vfs_mkdir(NULL, "/proc", 0555);
    vfs_mkdir(NULL, "/proc/self", 0555);
    vfs_symlink(path, NULL, "/proc/self/exe");
}

noreturn_fn void exec_program(const char *path, const struct boot_config *cfg)
{
    struct file *f;
    struct exec_image img;

    if (vfs_openat(NULL, path, VFS_O_READ, 0, &f) < 0) {
        kprintf("unikit: cannot run %s: no such file in the image\n", path);
        plat_poweroff("panic", PANIC_STATUS);
    }
    struct exec_source src = {read_program, f, path};
    if (exec_load(&src, &img) < 0)
        plat_poweroff("panic", PANIC_STATUS);
    program_file = f;
    program_base = img.base;
    link_proc_self_exe(path);
    vm_brk_init(img.brk);
    uintptr_t sp = exec_build_stack(&img, cfg->argv, cfg->envp, path);
    main_cycles = arch_cycles();
    kernel_unlock();
    arch_enter_program(img.entry, sp);
}

/* "unikit.timing" on the command line asks for boot timing in the exit record. */
static void exit_record(char *buf, size_t size, const char *what, int value)
{
    size_t n = 0;
    if (strstr(plat_cmdline(), "unikit.timing")) {
        uint64_t ns = muldiv64(main_cycles - arch_boot_cycles, 1000000000u, plat_cycles_hz());
        n = (size_t)snprintf(buf, size, "timing boot_to_main_ns=%lu\n", ns);
    }
    snprintf(buf + n, size - n, "%s %d", what, value);
}

noreturn_fn void proc_exit(int status)
{
    char record[128];
    exit_record(record, sizeof(record), "exit", status & 0xff);
    plat_poweroff(record, status & 0xff);
}

static const char *signal_name(int sig)
{
    static const char *const names[] = {
        [1] = "SIGHUP",
        [2] = "SIGINT",
        [3] = "SIGQUIT",
        [4] = "SIGILL",
        [5] = "SIGTRAP",
        [6] = "SIGABRT",
        [7] = "SIGBUS",
        [8] = "SIGFPE",
        [9] = "SIGKILL",
        [10] = "SIGUSR1",
        [11] = "SIGSEGV (segmentation fault)",
        [12] = "SIGUSR2",
        [13] = "SIGPIPE",
        [14] = "SIGALRM",
        [15] = "SIGTERM",
        [16] = "SIGSTKFLT",
        [24] = "SIGXCPU",
        [25] = "SIGXFSZ",
        [26] = "SIGVTALRM",
        [27] = "SIGPROF",
        [29] = "SIGIO",
        [30] = "SIGPWR",
        [31] = "SIGSYS",
    };
    if (sig > 0 && (size_t)sig < ARRAY_SIZE(names) && names[sig])
        return names[sig];
    return "a signal";
}

noreturn_fn void proc_kill(int sig, const char *why)
{
    char record[128];
    kprintf("unikit: program killed by %s: %s\n", signal_name(sig), why);
    exit_record(record, sizeof(record), "signal", sig);
    plat_poweroff(record, 128 + sig);
}

/* ---- symbols ---------------------------------------------------------------- */
#define SHT_SYMTAB 2
#define STT_FUNC   2

struct elf64_shdr {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
};

struct elf64_sym {
    uint32_t name;
    uint8_t info, other;
    uint16_t shndx;
    uint64_t value, size;
};

static bool read_at(void *buf, size_t len, uint64_t off)
{
    return vfs_pread(program_file, buf, len, (off_t)off) == (ssize_t)len;
}

static bool find_symtab(struct elf64_shdr *symtab, struct elf64_shdr *strtab)
{
    uint64_t shoff;
    uint16_t shnum;
    if (!read_at(&shoff, 8, 0x28) || !read_at(&shnum, 2, 0x3c))
        return false;
    for (uint16_t i = 0; i < shnum; i++) {
        if (!read_at(symtab, sizeof(*symtab), shoff + i * sizeof(*symtab)))
            return false;
        if (symtab->type == SHT_SYMTAB)
            return symtab->link < shnum &&
                   read_at(strtab, sizeof(*strtab), shoff + symtab->link * sizeof(*strtab));
    }
    return false;
}

bool proc_symbol(uintptr_t addr, const char **name, uintptr_t *offset)
{
    static char best_name[64];
    struct elf64_shdr symtab, strtab;
    struct elf64_sym syms[32];
    uint64_t target = addr - program_base, best = 0;
    uint32_t best_name_off = 0;

    if (!program_file || !find_symtab(&symtab, &strtab))
        return false;
    for (uint64_t off = 0; off < symtab.size; off += sizeof(syms)) {
        size_t len = MIN(sizeof(syms), symtab.size - off);
        if (!read_at(syms, len, symtab.offset + off))
            return false;
        for (size_t i = 0; i < len / sizeof(syms[0]); i++) {
            const struct elf64_sym *s = &syms[i];
            if ((s->info & 0xf) == STT_FUNC && s->value <= target && s->value > best) {
                best = s->value;
                best_name_off = s->name;
            }
        }
    }
    if (!best || !read_at(best_name, sizeof(best_name) - 1, strtab.offset + best_name_off))
        return false;
    best_name[sizeof(best_name) - 1] = '\0';
    *name = best_name;
    *offset = target - best;
    return true;
}
