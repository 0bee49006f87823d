/*
 * virtio-net over virtio-mmio: queue 0 receives, queue 1 transmits. Each
 * descriptor owns one 2 KiB buffer (header + a full Ethernet frame, no
 * offloads), so many frames are in flight both ways and the hot path
 * allocates nothing. The interrupt handler only acknowledges the device
 * and passes the news on through net_dev.notify.
 */
#include "dev.h"
#include "errno.h"
#include "irq.h"
#include "lib.h"
#include "mm.h"
#include "plat.h"
#include "virtio.h"

#define VIRTIO_NET_F_MAC 5
#define QUEUE_MAX        256
#define BUF_SIZE         2048
#define NET_HDR_SIZE     12 /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define RX_QUEUE         0
#define TX_QUEUE         1
#define MAX_DEVICES      64

struct vnet {
    struct net_dev dev;
    struct virtio_dev vdev;
    struct virtq rx, tx;
    uint8_t *rx_bufs, *tx_bufs; /* QUEUE_MAX buffers each, indexed by descriptor */
    uint16_t tx_free[QUEUE_MAX];
    uint16_t tx_nfree;
};

static struct vnet *the_vnet;

static uint8_t *buffers(size_t count)
{
    uintptr_t pa = page_alloc(count * BUF_SIZE / PAGE_SIZE);
    return pa ? phys_to_virt(pa) : NULL;
}

static void rx_post(struct vnet *v, uint16_t id)
{
    v->rx.desc[id] = (struct virtq_desc){.addr = virt_to_phys(v->rx_bufs + id * BUF_SIZE),
                                         .len = BUF_SIZE,
                                         .flags = VIRTQ_DESC_F_WRITE};
    virtq_push(&v->vdev, &v->rx, id);
}

/* Descriptors the device has sent go back on the free list. */
static void tx_reclaim(struct vnet *v)
{
    uint32_t id, len;
    while (virtq_pop(&v->tx, &id, &len))
        if (id < v->tx.size)
            v->tx_free[v->tx_nfree++] = (uint16_t)id;
}

static int vnet_send(struct net_dev *dev, const void *frame, size_t len)
{
    struct vnet *v = dev->priv;
    if (len > BUF_SIZE - NET_HDR_SIZE)
        return -EMSGSIZE;
    tx_reclaim(v);
    if (v->tx_nfree == 0)
        return -EAGAIN;
    uint16_t id = v->tx_free[--v->tx_nfree];
    uint8_t *buf = v->tx_bufs + id * BUF_SIZE;
    memset(buf, 0, NET_HDR_SIZE);
    memcpy(buf + NET_HDR_SIZE, frame, len);
    v->tx.desc[id] =
        (struct virtq_desc){.addr = virt_to_phys(buf), .len = (uint32_t)(NET_HDR_SIZE + len)};
    virtq_push(&v->vdev, &v->tx, id);
    return 0;
}

static size_t vnet_recv(struct net_dev *dev, void *out, size_t max)
{
    struct vnet *v = dev->priv;
    uint32_t id, len;
    while (virtq_pop(&v->rx, &id, &len)) {
        if (id >= v->rx.size)
            continue;
        size_t n = len > NET_HDR_SIZE ? MIN(len - NET_HDR_SIZE, max) : 0;
        memcpy(out, v->rx_bufs + id * BUF_SIZE + NET_HDR_SIZE, n);
        rx_post(v, (uint16_t)id);
        if (n)
            return n;
    }
    return 0;
}

static void vnet_irq(void *arg)
{
    struct vnet *v = arg;
    virtio_irq_ack(&v->vdev);
    if (v->dev.notify)
        v->dev.notify(v->dev.notify_arg);
}

static bool vnet_queues(struct vnet *v)
{
    if (!virtio_queue_setup(&v->vdev, &v->rx, RX_QUEUE, QUEUE_MAX) ||
        !virtio_queue_setup(&v->vdev, &v->tx, TX_QUEUE, QUEUE_MAX))
        return false;
    v->rx_bufs = buffers(v->rx.size);
    v->tx_bufs = buffers(v->tx.size);
    if (!v->rx_bufs || !v->tx_bufs)
        return false;
    for (uint16_t i = 0; i < v->tx.size; i++)
        v->tx_free[v->tx_nfree++] = i;
    return true;
}

static struct vnet *vnet_start(const struct plat_device *pd)
{
    struct vnet *v = kzalloc(sizeof(*v));
    if (!v)
        return NULL;
    if (!virtio_mmio_open(&v->vdev, pd->base, pd->size, pd->irq) ||
        v->vdev.device_id != VIRTIO_ID_NET)
        goto fail;
    uint64_t features = virtio_negotiate(&v->vdev, 1ULL << VIRTIO_NET_F_MAC);
    if (!features || !vnet_queues(v))
        goto fail;
    for (int i = 0; i < 6; i++)
        v->dev.mac[i] = features & 1ULL << VIRTIO_NET_F_MAC ? virtio_config8(&v->vdev, (size_t)i)
                                                            : (uint8_t)(i == 0 ? 0x52 : i);
    v->dev.mtu = 1500;
    v->dev.send = vnet_send;
    v->dev.recv = vnet_recv;
    v->dev.priv = v;
    virtio_driver_ok(&v->vdev);
    for (uint16_t i = 0; i < v->rx.size; i++)
        rx_post(v, i);
    irq_register(pd->irq, vnet_irq, v);
    return v;
fail:
    kfree(v); /* queue pages of a half-started device stay with it: it is unusable anyway */
    return NULL;
}

struct net_dev *virtio_net_probe(void)
{
    if (the_vnet)
        return &the_vnet->dev;
    struct plat_device devs[MAX_DEVICES];
    size_t n = plat_devices(devs, ARRAY_SIZE(devs));
    for (size_t i = 0; i < n && !the_vnet; i++)
        if (strcmp(devs[i].compatible, "virtio,mmio") == 0)
            the_vnet = vnet_start(&devs[i]);
    return the_vnet ? &the_vnet->dev : NULL;
}
