#include "netns_tc.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

#define FILTER_PRIORITY 1

/* One request being built: the header, the tc message, its attributes. */
struct tc_request {
    struct nlmsghdr *h;
    char buf[1024];
};

static void request_start(struct tc_request *r, int type, int flags, int ifindex)
{
    memset(r->buf, 0, sizeof(r->buf));
    r->h = (struct nlmsghdr *)r->buf;
    r->h->nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
    r->h->nlmsg_type = (uint16_t)type;
    r->h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
    struct tcmsg *t = NLMSG_DATA(r->h);
    t->tcm_family = AF_UNSPEC;
    t->tcm_ifindex = ifindex;
}

static struct tcmsg *request_tc(struct tc_request *r)
{
    return NLMSG_DATA(r->h);
}

/* Appends an attribute (data may be NULL for a nest, closed by nest_end). */
static struct rtattr *add_attr(struct tc_request *r, int type, const void *data, size_t len)
{
    size_t at = NLMSG_ALIGN(r->h->nlmsg_len);
    struct rtattr *a = (struct rtattr *)(r->buf + at);
    a->rta_type = (unsigned short)type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    if (data)
        memcpy(RTA_DATA(a), data, len);
    r->h->nlmsg_len = (uint32_t)(at + RTA_ALIGN(a->rta_len));
    return a;
}

static struct rtattr *nest_start(struct tc_request *r, int type)
{
    return add_attr(r, type, NULL, 0);
}

static void nest_end(struct tc_request *r, struct rtattr *nest)
{
    nest->rta_len = (unsigned short)((char *)r->buf + r->h->nlmsg_len - (char *)nest);
}

/* The kernel's own words about an error: an attribute after the error
   and the request it echoes (only the request's header when capped). */
static const char *ext_ack_message(const struct nlmsghdr *h, size_t len)
{
    const struct nlmsgerr *e = NLMSG_DATA(h);
    if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || h->nlmsg_len > len)
        return NULL;
    size_t echoed = h->nlmsg_flags & NLM_F_CAPPED ? 0 : e->msg.nlmsg_len - NLMSG_HDRLEN;
    size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*e) + echoed);
    int left = (int)h->nlmsg_len - (int)off;
    for (const struct rtattr *a = (const struct rtattr *)((const char *)h + off); RTA_OK(a, left);
         a = RTA_NEXT(a, left))
        if (a->rta_type == NLMSGERR_ATTR_MSG)
            return RTA_DATA(a);
    return NULL;
}

/* Sends the request and reads the kernel's answer: 0, or -1 with its reason. */
static int request_send(struct tc_request *r, char *err, size_t errlen)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return errorf(err, errlen, "cannot open a netlink socket: %s", strerror(errno));
    int one = 1; /* the kernel's own words, when it has some */
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    int rc = -1;
    if (sendto(fd, r->buf, r->h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
        errorf(err, errlen, "netlink: %s", strerror(errno));
        goto out;
    }
    char answer[4096];
    ssize_t n = recv(fd, answer, sizeof(answer), 0);
    struct nlmsghdr *h = (struct nlmsghdr *)answer;
    if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || h->nlmsg_type != NLMSG_ERROR) {
        errorf(err, errlen, "netlink: no answer from the kernel");
        goto out;
    }
    struct nlmsgerr *e = NLMSG_DATA(h);
    if (e->error == 0) {
        rc = 0;
        goto out;
    }
    const char *why = ext_ack_message(h, (size_t)n);
    errorf(err, errlen, "%s%s%s", strerror(-e->error), why ? ": " : "", why ? why : "");
out:
    close(fd);
    return rc;
}

static int add_ingress_qdisc(int ifindex, char *err, size_t errlen)
{
    struct tc_request r;
    request_start(&r, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex);
    request_tc(&r)->tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0);
    request_tc(&r)->tcm_parent = TC_H_INGRESS;
    add_attr(&r, TCA_KIND, "ingress", sizeof("ingress"));
    return request_send(&r, err, errlen);
}

/* The action: every frame to to_ifindex's egress, taken from the receiving path. */
static void add_mirred_action(struct tc_request *r, int to_ifindex)
{
    struct rtattr *acts = nest_start(r, TCA_U32_ACT);
    struct rtattr *first = nest_start(r, 1); /* actions are numbered from 1 */
    add_attr(r, TCA_ACT_KIND, "mirred", sizeof("mirred"));
    struct rtattr *opts = nest_start(r, TCA_ACT_OPTIONS);
    struct tc_mirred m = {
        .action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR, .ifindex = (uint32_t)to_ifindex};
    add_attr(r, TCA_MIRRED_PARMS, &m, sizeof(m));
    nest_end(r, opts);
    nest_end(r, first);
    nest_end(r, acts);
}

static int add_redirect_filter(int from_ifindex, int to_ifindex, char *err, size_t errlen)
{
    struct tc_request r;
    request_start(&r, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, from_ifindex);
    request_tc(&r)->tcm_parent = TC_H_MAKE(TC_H_INGRESS, 0);
    request_tc(&r)->tcm_info = TC_H_MAKE(FILTER_PRIORITY << 16, htons(ETH_P_ALL));
    add_attr(&r, TCA_KIND, "u32", sizeof("u32"));
    struct rtattr *opts = nest_start(&r, TCA_OPTIONS);
    /* One key that matches anything: 0 under a mask of 0 at offset 0. */
    struct {
        struct tc_u32_sel sel;
        struct tc_u32_key key;
    } match = {.sel = {.flags = TC_U32_TERMINAL, .nkeys = 1}};
    add_attr(&r, TCA_U32_SEL, &match, sizeof(match));
    add_mirred_action(&r, to_ifindex);
    nest_end(&r, opts);
    return request_send(&r, err, errlen);
}

int tc_redirect_ingress(int from_ifindex, int to_ifindex, char *err, size_t errlen)
{
    char why[256];
    if (add_ingress_qdisc(from_ifindex, why, sizeof(why)) < 0)
        return errorf(err, errlen, "adding an ingress qdisc: %s", why);
    if (add_redirect_filter(from_ifindex, to_ifindex, why, sizeof(why)) < 0) {
        tc_remove_ingress(from_ifindex, NULL, 0);
        return errorf(err, errlen, "adding a u32 filter with a mirred redirect: %s", why);
    }
    return 0;
}

int tc_remove_ingress(int ifindex, char *err, size_t errlen)
{
    struct tc_request r;
    char why[256];
    request_start(&r, RTM_DELQDISC, 0, ifindex);
    request_tc(&r)->tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0);
    request_tc(&r)->tcm_parent = TC_H_INGRESS;
    if (request_send(&r, why, sizeof(why)) < 0)
        return errorf(err, errlen, "removing the ingress qdisc: %s", why);
    return 0;
}
