/*
 * lwIP's port to the unikit kernel: freestanding types, no libc headers
 * beyond what gcc ships, assertions that panic.
 */
#ifndef UNIKIT_LWIP_CC_H
#define UNIKIT_LWIP_CC_H

#include "lib.h"
#include "types.h"

/* The kernel's own ssize_t (types.h); keep lwIP from defining another. */
#define SSIZE_MAX          __LONG_MAX__
#define INT_MAX            __INT_MAX__
#define LWIP_NO_UNISTD_H   1
#define LWIP_NO_LIMITS_H   1
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H    1

#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "lu"

#define BYTE_ORDER LITTLE_ENDIAN

#define LWIP_PLATFORM_DIAG(x)                                                                      \
    do {                                                                                           \
        kprintf x;                                                                                 \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x) panic("lwIP: %s (%s:%d)", x, __FILE__, __LINE__)

#define LWIP_RAND() lwip_port_rand()
unsigned lwip_port_rand(void);
void *lwip_port_malloc(size_t size);
void lwip_port_free(void *p);
void *lwip_port_calloc(size_t n, size_t size);

#endif
