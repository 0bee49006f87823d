/*
 * The QEMU "virt" platform on x86_64: booted through PVH (on -M microvm or
 * pc), COM1 for the console, isa-debugcon for the control channel and
 * isa-debug-exit to power off.
 */
#include "dev.h"
#include "lib.h"
#include "plat.h"
#include "../../../arch/x86_64/x86.h"

#define PVH_MAGIC        0x336ec578
#define E820_RAM         1
#define COM1             0x3f8
#define FW_CFG_SELECT    0x510
#define FW_CFG_DATA      0x511
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_NB_CPUS   0x05
#define DEBUGCON_PORT    0xe9
#define DEBUG_EXIT_PORT  0xf4
#define MAX_RANGES       32
#define CMDLINE_MAX      8192

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_memmap_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

/* Copied out of low memory at boot, which then becomes free RAM. */
static char cmdline[CMDLINE_MAX];
static struct plat_mem_range ranges[MAX_RANGES];
static size_t nranges;

/* Before paging_init only the first GiB is mapped, where PVH data lives. */
static void *boot_phys(uint64_t pa)
{
    return (void *)(uintptr_t)(pa + 0xffff800000000000UL);
}

static void read_memmap(const struct hvm_start_info *si)
{
    const struct hvm_memmap_entry *e = boot_phys(si->memmap_paddr);
    for (uint32_t i = 0; i < si->memmap_entries && nranges < MAX_RANGES; i++) {
        /* The low pages are kept for secondary CPUs' start-up code. */
        uint64_t start = MAX(e[i].addr, AP_LOW_END), end = e[i].addr + e[i].size;
        if (e[i].type != E820_RAM || start >= end)
            continue;
        ranges[nranges++] = (struct plat_mem_range){start, end};
    }
}

void plat_init(void *boot_info)
{
    uint32_t si_pa = (uint32_t)(uintptr_t)boot_info;
    const struct hvm_start_info *si = boot_phys(si_pa);

    uart16550_init(COM1);
    if (si->magic != PVH_MAGIC)
        panic("not booted through PVH (start_info magic %x)", si->magic);
    if (si->cmdline_paddr)
        strlcpy(cmdline, boot_phys(si->cmdline_paddr), sizeof(cmdline));
    if (si->version >= 1 && si->memmap_paddr)
        read_memmap(si);
    if (nranges == 0)
        panic("the boot loader gave no memory map");
}

const char *plat_cmdline(void)
{
    return cmdline;
}

size_t plat_memory(struct plat_mem_range *out, size_t max)
{
    size_t n = MIN(max, nranges);
    memcpy(out, ranges, n * sizeof(*out));
    return n;
}

void plat_console_write(const char *buf, size_t len)
{
    uart16550_write(COM1, buf, len);
}

static void fw_cfg_read(uint16_t key, void *buf, size_t len)
{
    __asm__ volatile("outw %0, %1" ::"a"(key), "Nd"((uint16_t)FW_CFG_SELECT));
    for (size_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = inb(FW_CFG_DATA);
}

/*
 * QEMU's firmware configuration device says how many CPUs there are;
 * with its default topology their local APIC IDs are 0 to n-1, the boot
 * CPU 0. (The ACPI MADT would say the same, but unikit runs microvm with
 * ACPI off, as it boots faster.)
 */
size_t plat_cpus(uint64_t *hwids, size_t max)
{
    char sig[4];
    uint16_t n = 1;
    fw_cfg_read(FW_CFG_SIGNATURE, sig, sizeof(sig));
    if (memcmp(sig, "QEMU", 4) == 0)
        fw_cfg_read(FW_CFG_NB_CPUS, &n, sizeof(n));
    n = (uint16_t)MAX(1, MIN(n, max));
    for (size_t i = 0; i < n; i++)
        hwids[i] = i;
    return n;
}

noreturn_fn void plat_poweroff(const char *record, int status)
{
    (void)status; /* isa-debug-exit keeps only 7 bits of it: the record says it all */
    for (const char *p = record; *p; p++)
        outb(DEBUGCON_PORT, (uint8_t)*p);
    outb(DEBUGCON_PORT, '\n');
    outl(DEBUG_EXIT_PORT, 0);
    /* No debug-exit device (a monitor other than unikit's): stop here. */
    for (;;)
        __asm__ volatile("cli; hlt");
}
