/*
 * virtio-9p over virtio-mmio: the transport for volumes (a host folder
 * QEMU shares with -fsdev local). One queue; a request is two descriptors,
 * the T-message the device reads and the buffer it writes the R-message to.
 *
 * The client sends one request at a time and waits for the answer by
 * polling the used ring, its interrupt suppressed: a file-system call is
 * a round trip to the host, and the kernel lock is held across it anyway.
 */
#include "arch.h"
#include "dev.h"
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "plat.h"
#include "virtio.h"
#include "watch.h"

#define VIRTIO_ID_9P        9
#define VIRTIO_9P_MOUNT_TAG 0 /* feature: the config space holds the tag */
#define VIRTQ_AVAIL_NO_IRQ  1
#define P9_MSIZE            (64 * 1024 + 4096) /* 64 KiB of data and a header */
#define TAG_MAX             64
#define MAX_DEVICES         64
#define MAX_9P              16

struct v9p {
    struct p9_transport t;
    struct virtio_dev vdev;
    struct virtq q;
    char tag[TAG_MAX];
};

static struct v9p *devices[MAX_9P];
static size_t ndevices;
static bool probed;

static int v9p_call(struct p9_transport *t, size_t req_len, size_t *reply_len)
{
    struct v9p *v = container_of(t, struct v9p, t);
    v->q.desc[0] = (struct virtq_desc){.addr = virt_to_phys(t->req),
                                       .len = (uint32_t)req_len,
                                       .flags = VIRTQ_DESC_F_NEXT,
                                       .next = 1};
    v->q.desc[1] = (struct virtq_desc){
        .addr = virt_to_phys(t->reply), .len = t->msize, .flags = VIRTQ_DESC_F_WRITE};
    virtq_push(&v->vdev, &v->q, 0);
    uint32_t id, len;
    uint64_t call = watch_host_wait(); /* the host's file system answers */
    while (!virtq_pop(&v->q, &id, &len))
        arch_cpu_relax();
    watch_host_done(call);
    if (id != 0 || len < 7 || len > t->msize)
        return -EIO;
    *reply_len = len;
    return 0;
}

static uint8_t *buffer(size_t bytes)
{
    uintptr_t pa = page_alloc(ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE);
    return pa ? phys_to_virt(pa) : NULL;
}

static void read_tag(struct v9p *v)
{
    size_t len = virtio_config8(&v->vdev, 0) | (size_t)virtio_config8(&v->vdev, 1) << 8;
    len = MIN(len, TAG_MAX - 1);
    for (size_t i = 0; i < len; i++)
        v->tag[i] = (char)virtio_config8(&v->vdev, 2 + i);
    v->tag[len] = '\0';
}

static struct v9p *v9p_start(const struct plat_device *pd)
{
    struct v9p *v = kzalloc(sizeof(*v));
    if (!v)
        return NULL;
    if (!virtio_mmio_open(&v->vdev, pd->base, pd->size, pd->irq) ||
        v->vdev.device_id != VIRTIO_ID_9P)
        goto fail;
    uint64_t features = virtio_negotiate(&v->vdev, 1ULL << VIRTIO_9P_MOUNT_TAG);
    if (!(features & 1ULL << VIRTIO_9P_MOUNT_TAG) || !virtio_queue_setup(&v->vdev, &v->q, 0, 2))
        goto fail;
    v->q.avail[0] = VIRTQ_AVAIL_NO_IRQ;
    read_tag(v);
    v->t.msize = P9_MSIZE;
    v->t.req = buffer(P9_MSIZE);
    v->t.reply = buffer(P9_MSIZE);
    v->t.call = v9p_call;
    if (!v->t.req || !v->t.reply)
        goto fail;
    virtio_driver_ok(&v->vdev);
    return v;
fail:
    kfree(v); /* what a half-started device holds stays with it: it is unusable anyway */
    return NULL;
}

static void probe(void)
{
    struct plat_device devs[MAX_DEVICES];
    size_t n = plat_devices(devs, ARRAY_SIZE(devs));
    probed = true;
    for (size_t i = 0; i < n && ndevices < MAX_9P; i++) {
        if (strcmp(devs[i].compatible, "virtio,mmio") != 0)
            continue;
        struct virtio_dev peek;
        if (!virtio_mmio_open(&peek, devs[i].base, devs[i].size, devs[i].irq) ||
            peek.device_id != VIRTIO_ID_9P)
            continue;
        struct v9p *v = v9p_start(&devs[i]);
        if (v)
            devices[ndevices++] = v;
    }
}

struct p9_transport *virtio_9p_find(const char *tag)
{
    if (!probed)
        probe();
    for (size_t i = 0; i < ndevices; i++)
        if (strcmp(devices[i]->tag, tag) == 0)
            return &devices[i]->t;
    return NULL;
}
