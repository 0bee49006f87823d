/*
 * The virtio-mmio transport, modern interface (version 2). QEMU offers it
 * on microvm and aarch64 virt (unikit passes force-legacy=false). Queues
 * are split virtqueues in pages of their own.
 */
#include "arch_regs.h" /* until arch.h includes it itself */
#include "arch.h"
#include "lib.h"
#include "mm.h"
#include "virtio.h"

#define REG_MAGIC         0x000
#define REG_VERSION       0x004
#define REG_DEVICE_ID     0x008
#define REG_DEV_FEATURES  0x010
#define REG_DEV_FEAT_SEL  0x014
#define REG_DRV_FEATURES  0x020
#define REG_DRV_FEAT_SEL  0x024
#define REG_QUEUE_SEL     0x030
#define REG_QUEUE_NUM_MAX 0x034
#define REG_QUEUE_NUM     0x038
#define REG_QUEUE_READY   0x044
#define REG_QUEUE_NOTIFY  0x050
#define REG_IRQ_STATUS    0x060
#define REG_IRQ_ACK       0x064
#define REG_STATUS        0x070
#define REG_QUEUE_DESC    0x080
#define REG_QUEUE_DRIVER  0x090
#define REG_QUEUE_DEVICE  0x0a0
#define REG_CONFIG        0x100

#define MAGIC            0x74726976 /* "virt" */
#define STATUS_ACK       1
#define STATUS_DRIVER    2
#define STATUS_DRIVER_OK 4
#define STATUS_FEAT_OK   8

static uint32_t rd(struct virtio_dev *d, size_t off)
{
    return *(volatile uint32_t *)(d->regs + off);
}

static void wr(struct virtio_dev *d, size_t off, uint32_t v)
{
    *(volatile uint32_t *)(d->regs + off) = v;
}

/* Ring updates must reach memory before the device is told, and the
   device's writes must be seen before the driver reads what they point to. */
static void barrier(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void wr64(struct virtio_dev *d, size_t off, uint64_t v)
{
    wr(d, off, (uint32_t)v);
    wr(d, off + 4, (uint32_t)(v >> 32));
}

bool virtio_mmio_open(struct virtio_dev *dev, uintptr_t phys, size_t size, unsigned irq)
{
    arch_map_mmio(phys, size);
    dev->regs = (uintptr_t)phys_to_virt(phys);
    dev->irq = irq;
    if (rd(dev, REG_MAGIC) != MAGIC || rd(dev, REG_VERSION) != 2)
        return false;
    dev->device_id = rd(dev, REG_DEVICE_ID);
    return dev->device_id != 0;
}

uint64_t virtio_negotiate(struct virtio_dev *dev, uint64_t wanted)
{
    wr(dev, REG_STATUS, 0);
    wr(dev, REG_STATUS, STATUS_ACK);
    wr(dev, REG_STATUS, STATUS_ACK | STATUS_DRIVER);
    uint64_t offered = 0;
    for (uint32_t sel = 0; sel < 2; sel++) {
        wr(dev, REG_DEV_FEAT_SEL, sel);
        offered |= (uint64_t)rd(dev, REG_DEV_FEATURES) << (32 * sel);
    }
    uint64_t agreed = offered & (wanted | 1ULL << VIRTIO_F_VERSION_1);
    if (!(agreed & 1ULL << VIRTIO_F_VERSION_1))
        return 0;
    for (uint32_t sel = 0; sel < 2; sel++) {
        wr(dev, REG_DRV_FEAT_SEL, sel);
        wr(dev, REG_DRV_FEATURES, (uint32_t)(agreed >> (32 * sel)));
    }
    wr(dev, REG_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_FEAT_OK);
    if (!(rd(dev, REG_STATUS) & STATUS_FEAT_OK))
        return 0;
    return agreed;
}

bool virtio_queue_setup(struct virtio_dev *dev, struct virtq *q, uint16_t index, uint16_t max)
{
    wr(dev, REG_QUEUE_SEL, index);
    uint32_t size = MIN(rd(dev, REG_QUEUE_NUM_MAX), max);
    if (size == 0 || rd(dev, REG_QUEUE_READY))
        return false;
    /* A small queue's table and rings share one page (a few ports of the
       console); otherwise one page each holds up to 256 descriptors, and
       each ring. The used ring wants 4-byte alignment. */
    size_t desc_bytes = 16 * size, avail_bytes = 6 + 2 * size;
    size_t used_at = ALIGN_UP(desc_bytes + avail_bytes, 4);
    uintptr_t desc, avail, used;
    if (used_at + 6 + 8 * size <= PAGE_SIZE) {
        if (!(desc = page_alloc(1)))
            return false;
        avail = desc + desc_bytes;
        used = desc + used_at;
    } else {
        desc = page_alloc(1), avail = page_alloc(1), used = page_alloc(1);
        if (!desc || !avail || !used)
            return false;
    }
    *q = (struct virtq){.size = (uint16_t)size,
                        .index = index,
                        .desc = phys_to_virt(desc),
                        .avail = phys_to_virt(avail),
                        .used = phys_to_virt(used)};
    wr(dev, REG_QUEUE_NUM, size);
    wr64(dev, REG_QUEUE_DESC, desc);
    wr64(dev, REG_QUEUE_DRIVER, avail);
    wr64(dev, REG_QUEUE_DEVICE, used);
    wr(dev, REG_QUEUE_READY, 1);
    return true;
}

void virtio_driver_ok(struct virtio_dev *dev)
{
    wr(dev, REG_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_FEAT_OK | STATUS_DRIVER_OK);
}

uint8_t virtio_config8(struct virtio_dev *dev, size_t off)
{
    return *(volatile uint8_t *)(dev->regs + REG_CONFIG + off);
}

uint32_t virtio_config32(struct virtio_dev *dev, size_t off)
{
    return *(volatile uint32_t *)(dev->regs + REG_CONFIG + off);
}

uint32_t virtio_irq_ack(struct virtio_dev *dev)
{
    uint32_t status = rd(dev, REG_IRQ_STATUS);
    if (status)
        wr(dev, REG_IRQ_ACK, status);
    return status;
}

void virtq_push(struct virtio_dev *dev, struct virtq *q, uint16_t head)
{
    uint16_t idx = q->avail[1];
    q->avail[2 + idx % q->size] = head;
    barrier();
    q->avail[1] = (uint16_t)(idx + 1);
    barrier();
    wr(dev, REG_QUEUE_NOTIFY, q->index);
}

bool virtq_pop(struct virtq *q, uint32_t *id, uint32_t *len)
{
    if (q->used[1] == q->last_used)
        return false;
    barrier();
    const volatile struct virtq_used_elem *ring = (const volatile void *)(q->used + 2);
    const volatile struct virtq_used_elem *e = &ring[q->last_used % q->size];
    *id = e->id;
    *len = e->len;
    q->last_used++;
    return true;
}
