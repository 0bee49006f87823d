/*
 * The virtio console over virtio-mmio, with named ports (the multiport
 * feature): byte streams to the host. unikit's host gives the program's
 * stdin, stdout, stderr and a control stream a port each.
 *
 * Port N's queues are 2N+2 (receive) and 2N+3 (transmit) for N >= 1,
 * port 0's are 0 and 1, and queues 2 and 3 carry control messages. The
 * driver sets up every port's queues before it starts the device, then
 * learns which ports exist, their names and whether the host side is
 * open from control messages. QEMU answers each control message while
 * the driver's notify is still in progress, so the start-up exchange is
 * done by polling, before any interrupt is enabled.
 *
 * Buffers are one page split into slots, so the hot path allocates
 * nothing: a receiving port keeps RX_SLOTS posted, a sending port takes
 * free TX_SLOTS and gets them back when the host has taken the bytes.
 */
#include "dev.h"
#include "errno.h"
#include "irq.h"
#include "lib.h"
#include "mm.h"
#include "plat.h"
#include "virtio.h"

#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define CONFIG_MAX_NR_PORTS        4 /* le32 after cols and rows */

#define MAX_PORTS    8
#define SLOT_SIZE    (PAGE_SIZE / 4)
#define RX_SLOTS     4
#define TX_SLOTS     4
#define CTRL_SLOTS   16
#define CTRL_SIZE    (PAGE_SIZE / CTRL_SLOTS)
#define MAX_DEVICES  64
#define CONTROL_RXQ  2
#define CONTROL_TXQ  3
#define QUEUE_LENGTH 16

/* Control events (virtio 1.1, 5.3.6.2). */
#define EV_DEVICE_READY 0
#define EV_PORT_ADD     1
#define EV_PORT_REMOVE  2
#define EV_PORT_READY   3
#define EV_CONSOLE_PORT 4
#define EV_PORT_OPEN    6
#define EV_PORT_NAME    7

struct control_msg {
    uint32_t id;
    uint16_t event, value;
};

struct vport {
    struct port_dev dev;
    char name[64];
    bool present;
    struct virtq rx, tx;
    uint8_t *rx_buf, *tx_buf; /* a page each, in slots; NULL until needed */
    /* The received slot being read: its id, how much is left and where. */
    bool have_rx;
    uint16_t rx_id;
    uint32_t rx_off, rx_len;
    uint16_t tx_free[TX_SLOTS];
    uint16_t tx_nfree;
};

struct vcons {
    struct virtio_dev vdev;
    struct virtq crx, ctx;
    uint8_t *crx_buf;
    struct control_msg *ctx_buf; /* CTRL_SLOTS outgoing messages */
    uint16_t ctx_next;
    unsigned nports;
    struct vport ports[MAX_PORTS];
};

static struct vcons *the_console;
static bool probed;

static uint8_t *page(void)
{
    uintptr_t pa = page_alloc(1);
    return pa ? phys_to_virt(pa) : NULL;
}

static uint16_t rx_queue(unsigned port)
{
    return (uint16_t)(port == 0 ? 0 : 2 * port + 2);
}

/* ---- control messages -------------------------------------------------------- */

static void control_send(struct vcons *c, uint32_t id, uint16_t event, uint16_t value)
{
    uint32_t used_id, len;
    while (virtq_pop(&c->ctx, &used_id, &len))
        ; /* the device copies each message as it takes it */
    uint16_t slot = c->ctx_next++ % c->ctx.size;
    c->ctx_buf[slot] = (struct control_msg){.id = id, .event = event, .value = value};
    c->ctx.desc[slot] = (struct virtq_desc){.addr = virt_to_phys(&c->ctx_buf[slot]),
                                            .len = sizeof(struct control_msg)};
    virtq_push(&c->vdev, &c->ctx, slot);
}

static void control_post(struct vcons *c, uint16_t slot)
{
    c->crx.desc[slot] = (struct virtq_desc){.addr = virt_to_phys(c->crx_buf + slot * CTRL_SIZE),
                                            .len = CTRL_SIZE,
                                            .flags = VIRTQ_DESC_F_WRITE};
    virtq_push(&c->vdev, &c->crx, slot);
}

static void control_handle(struct vcons *c, const struct control_msg *m, const char *extra,
                           size_t extra_len)
{
    if (m->id >= c->nports)
        return;
    struct vport *p = &c->ports[m->id];
    switch (m->event) {
    case EV_PORT_ADD:
        p->present = true;
        control_send(c, m->id, EV_PORT_READY, 1);
        break;
    case EV_PORT_REMOVE:
        p->present = false;
        p->dev.host_open = false;
        break;
    case EV_PORT_NAME:
        extra_len = MIN(extra_len, sizeof(p->name) - 1);
        memcpy(p->name, extra, extra_len);
        p->name[extra_len] = '\0';
        break;
    case EV_PORT_OPEN:
        p->dev.host_open = m->value != 0;
        break;
    }
}

/* Handles every control message waiting; whether there was one. */
static bool control_poll(struct vcons *c)
{
    uint32_t id, len;
    bool any = false;
    while (virtq_pop(&c->crx, &id, &len)) {
        if (id >= c->crx.size)
            continue;
        const uint8_t *buf = c->crx_buf + id * CTRL_SIZE;
        if (len >= sizeof(struct control_msg)) {
            struct control_msg m;
            memcpy(&m, buf, sizeof(m));
            control_handle(c, &m, (const char *)buf + sizeof(m), MIN(len, CTRL_SIZE) - sizeof(m));
        }
        control_post(c, (uint16_t)id);
        any = true;
    }
    return any;
}

/* ---- the ports' bytes ---------------------------------------------------------- */

static void rx_post(struct vport *p, struct vcons *c, uint16_t slot)
{
    p->rx.desc[slot] = (struct virtq_desc){.addr = virt_to_phys(p->rx_buf + slot * SLOT_SIZE),
                                           .len = SLOT_SIZE,
                                           .flags = VIRTQ_DESC_F_WRITE};
    virtq_push(&c->vdev, &p->rx, slot);
}

static struct vport *vport_of(struct port_dev *dev)
{
    return container_of(dev, struct vport, dev);
}

static int port_start_input(struct port_dev *dev)
{
    struct vport *p = vport_of(dev);
    if (p->rx_buf)
        return 0;
    if (!(p->rx_buf = page()))
        return -ENOMEM;
    for (uint16_t i = 0; i < MIN(RX_SLOTS, p->rx.size); i++)
        rx_post(p, the_console, i);
    return 0;
}

/* Makes the next received slot the one being read, if there is one. */
static void rx_take(struct vport *p)
{
    uint32_t id, len;
    while (!p->have_rx && p->rx_buf && virtq_pop(&p->rx, &id, &len)) {
        if (id >= MIN(RX_SLOTS, p->rx.size))
            continue;
        if (len == 0) {
            rx_post(p, the_console, (uint16_t)id);
            continue;
        }
        p->have_rx = true;
        p->rx_id = (uint16_t)id;
        p->rx_off = 0;
        p->rx_len = MIN(len, SLOT_SIZE);
    }
}

static size_t port_readable(struct port_dev *dev)
{
    struct vport *p = vport_of(dev);
    rx_take(p);
    return p->have_rx ? p->rx_len - p->rx_off : 0;
}

static size_t port_recv(struct port_dev *dev, void *buf, size_t max)
{
    struct vport *p = vport_of(dev);
    rx_take(p);
    if (!p->have_rx)
        return 0;
    size_t n = MIN(max, p->rx_len - p->rx_off);
    memcpy(buf, p->rx_buf + p->rx_id * SLOT_SIZE + p->rx_off, n);
    p->rx_off += (uint32_t)n;
    if (p->rx_off == p->rx_len) {
        p->have_rx = false;
        rx_post(p, the_console, p->rx_id);
    }
    return n;
}

static void tx_reclaim(struct vport *p)
{
    uint32_t id, len;
    while (virtq_pop(&p->tx, &id, &len))
        if (id < TX_SLOTS)
            p->tx_free[p->tx_nfree++] = (uint16_t)id;
}

static bool tx_ready(struct vport *p)
{
    if (p->tx_buf)
        return true;
    if (!(p->tx_buf = page()))
        return false;
    for (uint16_t i = 0; i < MIN(TX_SLOTS, p->tx.size); i++)
        p->tx_free[p->tx_nfree++] = i;
    return true;
}

static size_t port_send(struct port_dev *dev, const void *buf, size_t len)
{
    struct vport *p = vport_of(dev);
    if (!tx_ready(p))
        return 0;
    tx_reclaim(p);
    size_t done = 0;
    while (done < len && p->tx_nfree) {
        uint16_t slot = p->tx_free[--p->tx_nfree];
        size_t n = MIN(len - done, SLOT_SIZE);
        memcpy(p->tx_buf + slot * SLOT_SIZE, (const uint8_t *)buf + done, n);
        p->tx.desc[slot] = (struct virtq_desc){.addr = virt_to_phys(p->tx_buf + slot * SLOT_SIZE),
                                               .len = (uint32_t)n};
        virtq_push(&the_console->vdev, &p->tx, slot);
        done += n;
    }
    return done;
}

static bool port_writable(struct port_dev *dev)
{
    struct vport *p = vport_of(dev);
    if (!tx_ready(p))
        return false;
    tx_reclaim(p);
    return p->tx_nfree > 0;
}

static bool port_sent_all(struct port_dev *dev)
{
    struct vport *p = vport_of(dev);
    if (!p->tx_buf)
        return true;
    tx_reclaim(p);
    return p->tx_nfree == MIN(TX_SLOTS, p->tx.size);
}

/* ---- the device ------------------------------------------------------------------ */

static void vcons_irq(void *arg)
{
    struct vcons *c = arg;
    virtio_irq_ack(&c->vdev);
    control_poll(c);
    for (unsigned i = 0; i < c->nports; i++) {
        struct port_dev *d = &c->ports[i].dev;
        if (c->ports[i].present && d->notify)
            d->notify(d->notify_arg);
    }
}

static bool vcons_queues(struct vcons *c)
{
    if (!virtio_queue_setup(&c->vdev, &c->crx, CONTROL_RXQ, CTRL_SLOTS) ||
        !virtio_queue_setup(&c->vdev, &c->ctx, CONTROL_TXQ, CTRL_SLOTS))
        return false;
    for (unsigned i = 1; i < c->nports; i++) {
        struct vport *p = &c->ports[i];
        if (!virtio_queue_setup(&c->vdev, &p->rx, rx_queue(i), QUEUE_LENGTH) ||
            !virtio_queue_setup(&c->vdev, &p->tx, (uint16_t)(rx_queue(i) + 1), QUEUE_LENGTH))
            return false;
        p->dev = (struct port_dev){.name = p->name,
                                   .send = port_send,
                                   .recv = port_recv,
                                   .start_input = port_start_input,
                                   .readable = port_readable,
                                   .writable = port_writable,
                                   .sent_all = port_sent_all};
    }
    return (c->crx_buf = page()) && (c->ctx_buf = (struct control_msg *)page());
}

/* The start-up exchange: every port added, named and opened. */
static void vcons_handshake(struct vcons *c)
{
    for (uint16_t i = 0; i < c->crx.size; i++)
        control_post(c, i);
    control_send(c, 0, EV_DEVICE_READY, 1);
    while (control_poll(c))
        ;
    for (unsigned i = 1; i < c->nports; i++)
        if (c->ports[i].present)
            control_send(c, i, EV_PORT_OPEN, 1);
    while (control_poll(c))
        ;
}

static struct vcons *vcons_start(const struct plat_device *pd)
{
    struct vcons *c = kzalloc(sizeof(*c));
    if (!c)
        return NULL;
    if (!virtio_mmio_open(&c->vdev, pd->base, pd->size, pd->irq) ||
        c->vdev.device_id != VIRTIO_ID_CONSOLE)
        goto fail;
    uint64_t features = virtio_negotiate(&c->vdev, 1ULL << VIRTIO_CONSOLE_F_MULTIPORT);
    if (!(features & 1ULL << VIRTIO_CONSOLE_F_MULTIPORT))
        goto fail;
    c->nports = MIN(virtio_config32(&c->vdev, CONFIG_MAX_NR_PORTS), MAX_PORTS);
    if (!vcons_queues(c))
        goto fail;
    virtio_driver_ok(&c->vdev);
    the_console = c;
    vcons_handshake(c);
    irq_register(pd->irq, vcons_irq, c);
    return c;
fail:
    the_console = NULL;
    kfree(c); /* pages of a half-started device stay with it: it is unusable anyway */
    return NULL;
}

struct port_dev *virtio_console_port(const char *name)
{
    if (!probed) {
        probed = true;
        struct plat_device devs[MAX_DEVICES];
        size_t n = plat_devices(devs, ARRAY_SIZE(devs));
        for (size_t i = 0; i < n && !the_console; i++)
            if (strcmp(devs[i].compatible, "virtio,mmio") == 0)
                vcons_start(&devs[i]);
    }
    for (unsigned i = 1; the_console && i < the_console->nports; i++) {
        struct vport *p = &the_console->ports[i];
        if (p->present && strcmp(p->name, name) == 0)
            return &p->dev;
    }
    return NULL;
}
