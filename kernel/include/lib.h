/* The kernel's small C library: strings, memory, formatted output, panic. */
#ifndef UNIKIT_LIB_H
#define UNIKIT_LIB_H

#include <stdarg.h>
#include "types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);
char *strstr(const char *hay, const char *needle);
/* The value of a hexadecimal digit (either case), or -1. */
int hex_digit(char c);

/* printf subset: %d %i %u %x %X %p %s %c %%, flags 0 and -, width, l/ll/z. */
/* "A.B.C.D" (host byte order; *end after it) and "A.B.C.D/PREFIX" (the
 * prefix as written: callers bound it); false when malformed. */
bool ipv4_parse(const char *s, const char **end, uint32_t *addr);
bool ipv4_parse_cidr(const char *s, uint32_t *addr, unsigned *prefix);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Formatted output to the console. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Stops the machine with the panic exit code after printing the reason. */
noreturn_fn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* a * mul / div without 128-bit arithmetic; exact while div * mul < 2^64. */
static inline uint64_t muldiv64(uint64_t a, uint64_t mul, uint64_t div)
{
    return a / div * mul + a % div * mul / div;
}

#define BUG_ON(cond)                                                                               \
    do {                                                                                           \
        if (cond)                                                                                  \
            panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);                                  \
    } while (0)

#endif
