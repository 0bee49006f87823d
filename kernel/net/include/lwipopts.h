/*
 * lwIP configuration for unikit: the raw API only (NO_SYS=1), driven by
 * one kernel thread and by the socket layer, always with interrupts
 * masked, so lwIP needs no locks of its own. Memory comes from the kernel
 * heap instead of static pools: an image pays only for what it uses.
 */
#ifndef UNIKIT_LWIPOPTS_H
#define UNIKIT_LWIPOPTS_H

#define NO_SYS                     1
#define SYS_LIGHTWEIGHT_PROT       0
#define LWIP_SOCKET                0
#define LWIP_NETCONN               0
#define LWIP_RAW                   0
#define LWIP_IPV4                  1
#define LWIP_IPV6                  0
#define LWIP_ARP                   1
#define LWIP_ETHERNET              1
#define LWIP_ICMP                  1
#define LWIP_UDP                   1
#define LWIP_TCP                   1
#define LWIP_DHCP                  1
#define LWIP_DNS                   0 /* musl resolves names itself over UDP */
#define LWIP_IGMP                  0
#define LWIP_AUTOIP                0
#define LWIP_STATS                 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK   0
/* 127.0.0.1 and the guest's own address reach its own sockets (the net thread polls the queue). */
#define LWIP_NETIF_LOOPBACK        1
#define LWIP_HAVE_LOOPIF           1
#define LWIP_LOOPBACK_MAX_PBUFS    256
#define DHCP_DOES_ARP_CHECK        0 /* the user network hands out one address: no probe delay */
#define SO_REUSE                   1
#define LWIP_TCP_KEEPALIVE         1
#define TCP_LISTEN_BACKLOG         1
#define LWIP_SO_RCVBUF             0

/* The kernel heap backs both the heap and the pools. */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT   8
#define mem_clib_malloc lwip_port_malloc
#define mem_clib_free   lwip_port_free
#define mem_clib_calloc lwip_port_calloc

/* TCP sized for a LAN-like user network. */
#define TCP_MSS        1460
#define LWIP_WND_SCALE 0
/* The receive queue is one pbuf chain, whose length is 16 bits: keep the window below 64 KiB. */
#define TCP_WND                 (42 * TCP_MSS)
#define TCP_SND_BUF             (44 * TCP_MSS)
#define TCP_SND_QUEUELEN        ((4 * TCP_SND_BUF) / TCP_MSS)
#define MEMP_NUM_TCP_SEG        (TCP_SND_QUEUELEN * 4)
#define MEMP_NUM_TCP_PCB        256
#define MEMP_NUM_TCP_PCB_LISTEN 32
#define MEMP_NUM_UDP_PCB        32
#define MEMP_NUM_PBUF           256
#define PBUF_POOL_SIZE          64
#define TCP_OVERSIZE            TCP_MSS
#define LWIP_TCP_SACK_OUT       0

#endif
