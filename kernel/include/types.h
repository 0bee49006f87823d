/* Basic types for freestanding kernel code. */
#ifndef UNIKIT_TYPES_H
#define UNIKIT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef long ssize_t;
typedef int64_t off_t;

#define ARRAY_SIZE(a)         (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)        (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a)      ((x) & ~((__typeof__(x))(a)-1))
#define MIN(a, b)             ((a) < (b) ? (a) : (b))
#define MAX(a, b)             ((a) > (b) ? (a) : (b))
#define PAGE_SIZE             4096UL
#define PAGE_SHIFT            12
#define unused                __attribute__((unused))
#define noreturn_fn           __attribute__((noreturn))
#define container_of(p, T, m) ((T *)((char *)(p)-offsetof(T, m)))

#endif
