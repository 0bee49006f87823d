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

#endif
