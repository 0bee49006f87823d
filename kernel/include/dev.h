/*
 * Device drivers as the platform sees them. A console writes bytes; net
 * and block devices come with the drivers that need them.
 */
#ifndef UNIKIT_DEV_H
#define UNIKIT_DEV_H

#include "types.h"

/* 16550 UART on an x86 I/O port base (COM1 = 0x3f8). */
void uart16550_init(uint16_t base);
void uart16550_write(uint16_t base, const char *buf, size_t len);

/* ARM PL011 UART at a mapped MMIO base. */
void pl011_write(uintptr_t base, const char *buf, size_t len);

/*
 * A network device sends and receives Ethernet frames (no FCS). Received
 * frames wait in the device until taken; the device calls notify(arg),
 * from its interrupt handler, when frames arrive or transmit slots free up.
 */
struct net_dev {
    uint8_t mac[6];
    uint16_t mtu; /* payload bytes per frame, 1500 */
    /* Queues one frame (copied before return); -EAGAIN when the ring is full. */
    int (*send)(struct net_dev *dev, const void *frame, size_t len);
    /* Copies the next received frame into buf: its length, or 0 when none. */
    size_t (*recv)(struct net_dev *dev, void *buf, size_t max);
    void (*notify)(void *arg);
    void *notify_arg;
    void *priv;
};

/* Finds the machine's devices (plat.h) and starts a driver for the first
 * network device; NULL when there is none. Calling again returns it. */
struct net_dev *virtio_net_probe(void);

/*
 * A byte stream to the host: a named port of the console device. Bytes
 * sent are copied before return; bytes received wait in the device until
 * taken. notify(arg) is called from the interrupt handler when bytes
 * arrive, sent bytes are taken, or the host opens or closes its side.
 */
struct port_dev {
    const char *name;
    bool host_open; /* false once the host closed its side: after the data, end of file */
    /* Queues up to len bytes: how many (0 while the queue is full). */
    size_t (*send)(struct port_dev *p, const void *buf, size_t len);
    /* Starts receiving (buffers for the host to fill); 0 or -errno. */
    int (*start_input)(struct port_dev *p);
    /* Copies up to max received bytes: how many (0 when none is waiting). */
    size_t (*recv)(struct port_dev *p, void *buf, size_t max);
    /* Bytes a recv would return now; whether a send would queue any. */
    size_t (*readable)(struct port_dev *p);
    bool (*writable)(struct port_dev *p);
    /* Whether the host has taken every byte sent. */
    bool (*sent_all)(struct port_dev *p);
    void (*notify)(void *arg);
    void *notify_arg;
};

/* Finds the machine's console device and starts it on first call; the
 * port the host named name, or NULL. */
struct port_dev *virtio_console_port(const char *name);

/*
 * A 9P transport: one request at a time. The caller writes a T-message
 * into req (at most msize bytes) and calls call(), which returns once the
 * R-message is in reply (its length in *reply_len): 0, or -EIO when the
 * device fails.
 */
struct p9_transport {
    uint8_t *req, *reply;
    uint32_t msize;
    int (*call)(struct p9_transport *t, size_t req_len, size_t *reply_len);
};

/* The virtio-9p device whose mount tag is tag, started on first call;
   NULL when the machine has none. */
struct p9_transport *virtio_9p_find(const char *tag);

#endif
