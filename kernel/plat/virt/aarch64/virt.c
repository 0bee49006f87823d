/*
 * QEMU's "virt" machine on aarch64: memory and boot arguments from the
 * device tree, the PL011 console, the generic timer and PL031 real-time
 * clock for time, and semihosting to power off with a status.
 *
 * Semihosting is how QEMU lets a guest set its exit status on this
 * machine (PSCI SYSTEM_OFF always exits 0). It also offers host file
 * access to the guest; unikit uses only console output and SYS_EXIT, and
 * a virtio console should replace it.
 */
#include "arch.h"
#include "dev.h"
#include "lib.h"
#include "mm.h"
#include "plat.h"
#include "../../../arch/aarch64/a64.h"

#define PL011_BASE  0x09000000UL
#define PL031_BASE  0x09010000UL
#define MAX_RANGES  16
#define CMDLINE_MAX 8192

#define FDT_MAGIC      0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

#define SEMIHOST_WRITE0              0x04
#define SEMIHOST_EXIT                0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

#define MAX_DEVICES    64
#define MAX_CPU_NODES  64
#define GIC_SPI        0
#define GIC_SPI_INTID0 32

static char cmdline[CMDLINE_MAX];
static struct plat_mem_range ranges[MAX_RANGES];
static size_t nranges;
/* virtio-mmio transports (QEMU's virt lists 32, most with no device behind). */
static struct plat_device devices[MAX_DEVICES];
static size_t ndevices;
static struct plat_device node_device; /* the node being read */
/* The /cpus/cpu@N nodes' MPIDRs. */
static uint64_t cpu_ids[MAX_CPU_NODES];
static size_t ncpu_ids;

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t be64(const void *p)
{
    return (uint64_t)be32(p) << 32 | be32((const uint8_t *)p + 4);
}

/* A property of a node at depth 1 (children of the root are all we need). */
static void fdt_property(const char *node, const char *name, const uint8_t *value, uint32_t len)
{
    if (strncmp(node, "memory", 6) == 0 && strcmp(name, "reg") == 0) {
        /* #address-cells = #size-cells = 2 on virt */
        for (uint32_t off = 0; off + 16 <= len && nranges < MAX_RANGES; off += 16) {
            uint64_t base = be64(value + off), size = be64(value + off + 8);
            ranges[nranges++] = (struct plat_mem_range){base, base + size};
        }
    } else if (strcmp(node, "chosen") == 0 && strcmp(name, "bootargs") == 0) {
        strlcpy(cmdline, (const char *)value, MIN((size_t)len + 1, sizeof(cmdline)));
    } else if (strcmp(name, "compatible") == 0 && len >= 11 &&
               memcmp(value, "virtio,mmio", 11) == 0) {
        node_device.compatible = "virtio,mmio";
    } else if (strcmp(name, "reg") == 0 && len >= 16) {
        node_device.base = be64(value);
        node_device.size = be64(value + 8);
    } else if (strcmp(name, "interrupts") == 0 && len >= 12 && be32(value) == GIC_SPI) {
        node_device.irq = be32(value + 4) + GIC_SPI_INTID0;
    }
}

/* A property of a /cpus child: its reg is the CPU's MPIDR affinity. */
static void fdt_cpu_property(const char *name, const uint8_t *value, uint32_t len)
{
    if (strcmp(name, "reg") != 0 || ncpu_ids == MAX_CPU_NODES)
        return;
    if (len == 4)
        cpu_ids[ncpu_ids++] = be32(value);
    else if (len == 8)
        cpu_ids[ncpu_ids++] = be64(value);
}

/* A depth-1 node ended: keep it if it was a device we drive. */
static void fdt_node_end(void)
{
    if (node_device.compatible && node_device.base && ndevices < MAX_DEVICES)
        devices[ndevices++] = node_device;
    node_device = (struct plat_device){0};
}

static void fdt_parse(const uint8_t *fdt)
{
    if (be32(fdt) != FDT_MAGIC)
        panic("no device tree at the base of RAM");
    uint32_t total = be32(fdt + 4);
    const uint8_t *p = fdt + be32(fdt + 8), *end = fdt + total;
    const char *strings = (const char *)fdt + be32(fdt + 12);
    const char *node = "", *child = "";
    int depth = 0;

    while (p + 4 <= end) {
        uint32_t token = be32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            depth++;
            if (depth == 2)
                node = (const char *)p;
            else if (depth == 3)
                child = (const char *)p;
            p += ALIGN_UP(strnlen((const char *)p, end - p) + 1, 4);
        } else if (token == FDT_END_NODE) {
            if (depth == 2)
                fdt_node_end();
            depth--;
        } else if (token == FDT_PROP) {
            uint32_t len = be32(p), name_off = be32(p + 4);
            if (depth == 2)
                fdt_property(node, strings + name_off, p + 8, len);
            else if (depth == 3 && strcmp(node, "cpus") == 0 && strncmp(child, "cpu@", 4) == 0)
                fdt_cpu_property(strings + name_off, p + 8, len);
            p += 8 + ALIGN_UP(len, 4);
        } else if (token == FDT_END) {
            break;
        } else if (token != FDT_NOP) {
            panic("malformed device tree (token %u)", token);
        }
    }
}

void plat_init(void *boot_info)
{
    fdt_parse(phys_to_virt((uintptr_t)boot_info));
    if (nranges == 0)
        panic("the device tree gave no memory");
    /* Sorted by address: page_init takes the last range's end as the top of RAM. */
    for (size_t i = 1; i < nranges; i++)
        for (size_t j = i; j > 0 && ranges[j].start < ranges[j - 1].start; j--) {
            struct plat_mem_range t = ranges[j];
            ranges[j] = ranges[j - 1];
            ranges[j - 1] = t;
        }
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
    pl011_write((uintptr_t)phys_to_virt(PL011_BASE), buf, len);
}

uint64_t plat_cycles_hz(void)
{
    return read_sysreg(cntfrq_el0);
}

uint64_t plat_monotonic_ns(void)
{
    return muldiv64(arch_cycles() - arch_boot_cycles, 1000000000u, plat_cycles_hz());
}

uint64_t plat_wallclock_at_boot_ns(void)
{
    static uint64_t boot_ns;
    if (!boot_ns)
        boot_ns = (uint64_t)mmio_read32((uintptr_t)phys_to_virt(PL031_BASE)) * 1000000000ULL;
    return boot_ns;
}

static long semihost(long op, const void *arg)
{
    register long x0 __asm__("x0") = op;
    register const void *x1 __asm__("x1") = arg;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

noreturn_fn void plat_poweroff(const char *record, int status)
{
    char line[256];
    snprintf(line, sizeof(line), "%s\n", record);
    semihost(SEMIHOST_WRITE0, line);
    uint64_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint64_t)status};
    semihost(SEMIHOST_EXIT, block);
    for (;;)
        __asm__ volatile("wfi");
}

size_t plat_devices(struct plat_device *out, size_t max)
{
    size_t n = MIN(max, ndevices);
    memcpy(out, devices, n * sizeof(*out));
    return n;
}

/* The boot CPU first, the others in the device tree's order. */
size_t plat_cpus(uint64_t *hwids, size_t max)
{
    uint64_t self = read_sysreg(mpidr_el1) & 0xff00ffffffUL;
    size_t n = 0;
    hwids[n++] = self;
    for (size_t i = 0; i < ncpu_ids && n < max; i++)
        if (cpu_ids[i] != self)
            hwids[n++] = cpu_ids[i];
    return n;
}
