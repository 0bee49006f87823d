/*
 * The virtio transport as the virtio device drivers in this folder see it:
 * virtio-mmio, modern (version 2) interface, split virtqueues. Private to
 * kernel/drivers/.
 */
#ifndef UNIKIT_DRIVERS_VIRTIO_H
#define UNIKIT_DRIVERS_VIRTIO_H

#include "types.h"

#define VIRTIO_ID_NET      1
#define VIRTIO_ID_CONSOLE  3
#define VIRTIO_F_VERSION_1 32
#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

struct virtq_used_elem {
    uint32_t id, len;
};

struct virtq {
    uint16_t size;      /* descriptors */
    uint16_t last_used; /* the next used-ring entry to look at */
    uint16_t index;     /* queue number in the device */
    struct virtq_desc *desc;
    volatile uint16_t *avail; /* flags, idx, ring[size], used_event */
    volatile uint16_t *used;  /* flags, idx, then elements */
};

struct virtio_dev {
    uintptr_t regs; /* mapped register base */
    unsigned irq;
    uint32_t device_id;
};

/* Maps and checks a virtio-mmio transport; false when no modern device is
 * behind it. */
bool virtio_mmio_open(struct virtio_dev *dev, uintptr_t phys, size_t size, unsigned irq);
/* Resets the device and negotiates features: wanted & offered, always with
 * VIRTIO_F_VERSION_1. Returns the features agreed, or 0 on failure. */
uint64_t virtio_negotiate(struct virtio_dev *dev, uint64_t wanted);
/* Sets up queue index with up to max descriptors; false on failure. */
bool virtio_queue_setup(struct virtio_dev *dev, struct virtq *q, uint16_t index, uint16_t max);
void virtio_driver_ok(struct virtio_dev *dev);
/* Reads the device-specific configuration at off. */
uint8_t virtio_config8(struct virtio_dev *dev, size_t off);
uint32_t virtio_config32(struct virtio_dev *dev, size_t off);
/* Acknowledges the device's interrupt; returns the status bits it had. */
uint32_t virtio_irq_ack(struct virtio_dev *dev);

/* Makes descriptor head available and tells the device. */
void virtq_push(struct virtio_dev *dev, struct virtq *q, uint16_t head);
/* The next descriptor the device finished with (its id and bytes written);
 * false when none. */
bool virtq_pop(struct virtq *q, uint32_t *id, uint32_t *len);

#endif
