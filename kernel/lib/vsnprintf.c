/* A small vsnprintf: enough for kernel messages, nothing floating-point. */
#include "lib.h"

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, bool left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left)
        while (fill-- > 0)
            put(o, pad);
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
    if (left)
        while (fill-- > 0)
            put(o, ' ');
}

static size_t format_number(char *tmp, unsigned long long v, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char rev[24];
    size_t n = 0;
    do {
        rev[n++] = digits[v % base];
        v /= base;
    } while (v);
    for (size_t i = 0; i < n; i++)
        tmp[i] = rev[n - 1 - i];
    return n;
}

static unsigned long long take_unsigned(va_list *ap, int longs)
{
    if (longs >= 2)
        return va_arg(*ap, unsigned long long);
    if (longs == 1)
        return va_arg(*ap, unsigned long);
    return va_arg(*ap, unsigned int);
}

static long long take_signed(va_list *ap, int longs)
{
    if (longs >= 2)
        return va_arg(*ap, long long);
    if (longs == 1)
        return va_arg(*ap, long);
    return va_arg(*ap, int);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
    struct out o = {buf, size, 0};
    va_list ap;
    va_copy(ap, ap_in);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        bool left = false;
        char pad = ' ';
        int width = 0, longs = 0;
        for (p++; *p == '-' || *p == '0'; p++)
            *p == '-' ? (left = true) : (pad = '0');
        for (; *p >= '0' && *p <= '9'; p++)
            width = width * 10 + (*p - '0');
        for (; *p == 'l' || *p == 'z'; p++)
            longs += *p == 'z' ? 1 : 1;
        char tmp[24];
        size_t n;
        switch (*p) {
        case 'd':
        case 'i': {
            long long v = take_signed(&ap, longs);
            unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
            if (v < 0)
                put(&o, '-'), width--;
            n = format_number(tmp, mag, 10, false);
            put_padded(&o, tmp, n, width, left, pad);
            break;
        }
        case 'u':
            n = format_number(tmp, take_unsigned(&ap, longs), 10, false);
            put_padded(&o, tmp, n, width, left, pad);
            break;
        case 'x':
        case 'X':
            n = format_number(tmp, take_unsigned(&ap, longs), 16, *p == 'X');
            put_padded(&o, tmp, n, width, left, pad);
            break;
        case 'p':
            put(&o, '0'), put(&o, 'x');
            n = format_number(tmp, (uintptr_t)va_arg(ap, void *), 16, false);
            put_padded(&o, tmp, n, width, left, pad);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            put_padded(&o, s, strlen(s), width, left, ' ');
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_padded(&o, tmp, 1, width, left, ' ');
            break;
        case '%':
            put(&o, '%');
            break;
        default:
            put(&o, '%');
            if (*p)
                put(&o, *p);
            else
                p--;
        }
    }
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
