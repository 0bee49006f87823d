/*
 * lwIP brought up on the machine's network device: the netif glue, the
 * address (DHCP, or net.ip= on the command line), and the "net" kernel
 * thread that feeds received frames to lwIP and runs its timers. Every
 * lwIP call happens with interrupts masked (as all kernel code runs), so
 * this thread and the socket calls never overlap inside lwIP.
 */
#include "clock.h"
#include "dev.h"
#include "errno.h"
#include "lib.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "net.h"
#include "netif/ethernet.h"
#include "plat.h"
#include "sched.h"
#include "stack.h"

/* DHCP on the user network takes milliseconds; the cap only matters when a
   message was lost, and lwIP resends after 2, 4, 8 and 16 s: long enough
   for the fourth try, which a busy host once needed. */
#define ADDRESS_WAIT_NS (30ULL * 1000000000)
#define FRAME_MAX       1518

static struct netif nif;
static struct net_dev *dev;
static struct waitq net_wq = WAITQ_INIT;  /* the net thread sleeps here */
static struct waitq addr_wq = WAITQ_INIT; /* net_start waits here for an address */
static bool work_pending;
static int started; /* 0: not yet, 1: up, -errno: failed */

uint32_t net_local_ip(void)
{
    return ip4_addr_get_u32(netif_ip4_addr(&nif));
}

void net_kick(void)
{
    work_pending = true;
    waitq_wake_all(&net_wq);
}

/* From the device's interrupt handler. */
static void dev_notify(void *arg)
{
    (void)arg;
    net_kick();
}

static err_t link_output(struct netif *n, struct pbuf *p)
{
    static uint8_t frame[FRAME_MAX];
    (void)n;
    if (p->tot_len > sizeof(frame))
        return ERR_BUF;
    const void *data = p->payload;
    if (p->next)
        data = frame, pbuf_copy_partial(p, frame, p->tot_len, 0);
    /* A full ring drains in microseconds: the host takes frames as they come. */
    for (int tries = 0; tries < 1000000; tries++) {
        int rc = dev->send(dev, data, p->tot_len);
        if (rc != -EAGAIN)
            return rc == 0 ? ERR_OK : ERR_IF;
        arch_cpu_relax();
    }
    return ERR_MEM;
}

static err_t netif_setup(struct netif *n)
{
    n->name[0] = 'e';
    n->name[1] = 'n';
    n->output = etharp_output;
    n->linkoutput = link_output;
    n->mtu = dev->mtu;
    n->hwaddr_len = 6;
    memcpy(n->hwaddr, dev->mac, 6);
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    return ERR_OK;
}

/* An address: net_start may go on, and the gateway's hardware address is
   asked for now. lwIP keeps one packet per unresolved neighbour, so the
   SYN-ACKs to a burst of first clients would otherwise all but one wait
   for their retransmission, three seconds later. */
static void status_changed(struct netif *n)
{
    if (ip4_addr_isany_val(*netif_ip4_addr(n)))
        return;
    if (!ip4_addr_isany_val(*netif_ip4_gw(n)))
        etharp_request(n, netif_ip4_gw(n));
    waitq_wake_all(&addr_wq);
}

/* Feeds every frame the device holds to lwIP. */
static void input_frames(void)
{
    static uint8_t frame[FRAME_MAX];
    size_t len;
    while ((len = dev->recv(dev, frame, sizeof(frame))) > 0) {
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
        if (!p)
            continue; /* dropped: TCP will retransmit */
        pbuf_take(p, frame, (u16_t)len);
        if (nif.input(p, &nif) != ERR_OK)
            pbuf_free(p);
    }
}

static uint64_t next_timer_deadline(void)
{
    u32_t ms = sys_timeouts_sleeptime();
    if (ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
        return 0;
    return clock_monotonic_ns() + (uint64_t)ms * 1000000 + 1;
}

/* Whether packets a socket sent to the guest's own addresses wait for netif_poll. */
static bool loopback_pending(void)
{
    for (struct netif *n = netif_list; n; n = n->next)
        if (n->loop_first)
            return true;
    return false;
}

static void net_thread(void *arg)
{
    (void)arg;
    for (;;) {
        wait_event(&net_wq, work_pending, next_timer_deadline());
        work_pending = false;
        input_frames();
        /* One round of loopback: what it sends back (an ACK, a reply) waits
         * for the next, so the threads it wakes get their turn in between. */
        netif_poll_all();
        sys_check_timeouts();
        if (loopback_pending()) {
            work_pending = true;
            sched_yield();
        }
    }
}

/* "net.ip=ADDR/PREFIX" and "net.gw=ADDR" from the command line (net.gw=0.0.0.0:
   no gateway, as on a container network without a default route); false: use DHCP. */
static bool static_address(ip4_addr_t *ip, ip4_addr_t *mask, ip4_addr_t *gw)
{
    const char *p = strstr(plat_cmdline(), "net.ip="), *end;
    uint32_t addr;
    unsigned prefix;
    if (!p || !ipv4_parse_cidr(p + 7, &addr, &prefix) || prefix == 0 || prefix > 32)
        return false;
    ip4_addr_set_u32(ip, lwip_htonl(addr));
    ip4_addr_set_u32(mask, lwip_htonl(0xffffffffu << (32 - prefix)));
    /* QEMU's user network puts its gateway at .2 of the network. */
    ip4_addr_set_u32(gw, (ip4_addr_get_u32(ip) & ip4_addr_get_u32(mask)) | lwip_htonl(2));
    const char *g = strstr(plat_cmdline(), "net.gw=");
    if (g && ipv4_parse(g + 7, &end, &addr))
        ip4_addr_set_u32(gw, lwip_htonl(addr));
    return true;
}

static int stack_up(void)
{
    dev = virtio_net_probe();
    if (!dev)
        return -ENETDOWN;
    lwip_init();
    ip4_addr_t ip, mask, gw;
    bool fixed = static_address(&ip, &mask, &gw);
    if (!fixed)
        ip4_addr_set_zero(&ip), ip4_addr_set_zero(&mask), ip4_addr_set_zero(&gw);
    if (!netif_add(&nif, &ip, &mask, &gw, NULL, netif_setup, ethernet_input))
        return -ENETDOWN;
    netif_set_status_callback(&nif, status_changed);
    netif_set_default(&nif);
    netif_set_up(&nif);
    dev->notify = dev_notify;
    if (!kthread_create("net", net_thread, NULL))
        return -ENOMEM;
    if (!fixed && dhcp_start(&nif) != ERR_OK)
        return -ENETDOWN;
    net_kick();
    return 0;
}

int net_start(void)
{
    if (started)
        return started < 0 ? started : 0;
    started = stack_up();
    if (started == 0)
        started = 1;
    if (started < 0) {
        kprintf("unikit: warning: no network: %s\n",
                started == -ENETDOWN ? "no network device" : "out of memory");
        return started;
    }
    uint64_t deadline = clock_monotonic_ns() + ADDRESS_WAIT_NS;
    /* Linux's socket() never waits for an address, so no signal may end
       this wait early: the program would see a network without one. */
    wait_event_uninterruptible(&addr_wq, !ip4_addr_isany_val(*netif_ip4_addr(&nif)), deadline);
    if (ip4_addr_isany_val(*netif_ip4_addr(&nif)))
        kprintf("unikit: warning: DHCP gave no address yet\n");
    return 0;
}
