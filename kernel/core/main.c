/*
 * kmain: from the architecture's boot code to the program's first
 * instruction. Everything here runs once.
 */
#include "arch.h"
#include "fd.h"
#include "hoststream.h"
#include "inflate.h"
#include "lib.h"
#include "mm.h"
#include "plat.h"
#include "proc.h"
#include "random.h"
#include "resolv.h"
#include "sched.h"
#include "tty.h"
#include "smp.h"
#include "vfs.h"
#include "vm.h"
#include "syscalls.h"

/* Physical bounds of the loaded image, from the architecture's linker script. */
extern char __kernel_phys_start[], __kernel_phys_end[];
extern const char __unikit_files_start[], __unikit_files_end[];

static void memory_init(void)
{
    struct plat_mem_range ranges[32];
    size_t n = plat_memory(ranges, ARRAY_SIZE(ranges));
    uintptr_t kstart = (uintptr_t)__kernel_phys_start;
    uintptr_t kend = (uintptr_t)__kernel_phys_end;
    page_init(ranges, n, ALIGN_DOWN(kstart, PAGE_SIZE), ALIGN_UP(kend, PAGE_SIZE));
    arch_paging_init(ranges[n - 1].end);
}

/* The archive as cpio: a gzip one (a small image's, host/lib/image.c) is
   decoded into pages of its own, which its files then read, as they would
   the image's. */
static const char *unpacked_archive(const char *archive, size_t *len)
{
    if (!gzip_is(archive, *len))
        return archive;
    size_t size = gzip_size(archive, *len);
    uintptr_t pa = page_alloc(ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
    if (!pa)
        panic("no memory to unpack the image's file archive (%zu bytes)", size);
    char *out = phys_to_virt(pa);
    if (gunzip(out, size, archive, *len) != (long)size)
        panic("the image's file archive is corrupted");
    *len = size;
    return out;
}

/* The 9P client is linked only into images that may be given volumes
   (volume_mount_hook, from `unikit build`); `unikit run -v` relinks an
   image without it. Booting one anyway with volumes must not let the
   program write into its in-memory files instead. */
static void mount_volumes(const char *cmdline)
{
    if (volume_mount_hook)
        volume_mount_hook(cmdline);
    else if (strstr(cmdline, "unikit.vol="))
        panic("volumes: this image's kernel was linked without volume support");
}

static void files_init(void)
{
    vfs_init();
    size_t len = (size_t)(__unikit_files_end - __unikit_files_start);
    const char *archive = unpacked_archive(__unikit_files_start, &len);
    if (len && cpio_unpack(archive, len) < 0)
        panic("the image's file archive is corrupted");
    mount_volumes(plat_cmdline());
    resolv_follow_network(plat_cmdline());
    fd_init_stdio(tty_open(plat_cmdline()));
}

noreturn_fn void kmain(uint32_t boot_info)
{
    struct boot_config cfg;

    plat_init((void *)(uintptr_t)boot_info);
    arch_cpu_init();
    kernel_lock(); /* the other CPUs wait for it until the program starts */
    memory_init();
    plat_irq_init();
    sched_init();
    random_init();
    vm_init();
    files_init();
    hoststream_control(proc_signal);
    boot_config_load(&cfg, plat_cmdline());
    syscall_trace_init(plat_cmdline());
    if (smp_start_hook)
        smp_start_hook();
    exec_program(cfg.argv[0], &cfg);
}
