/*
 * gzip (RFC 1952) holding one deflate stream (RFC 1951), as `unikit build`
 * writes the packed part of the kernel (kernel/core/unpack.c) and a small
 * image's file archive: decoding costs the kernel about 3.5 kB and saves
 * the image almost half its bytes.
 *
 * This file is boot code: it runs before the packed kernel exists, so it
 * calls nothing outside itself and allocates nothing (the Makefile checks
 * that it calls nothing).
 *
 * The stream comes from the image but is checked like untrusted input:
 * every read stays inside it, every write and back-reference inside the
 * output, and any inconsistency ends the decoding with -EINVAL.
 *
 * Speed matters under QEMU's emulation, where each instruction costs many
 * of the host's: a Huffman code of up to 10 bits (nearly all of them) is
 * decoded with one table look-up, a longer one by walking the buffered
 * bits; the input is read eight bytes at a time and a match copied eight
 * at a time; the hot loop's helpers are inlined into it. Decoding hello's
 * 58 kB of kernel code takes 2.1 M instructions (3.8 M bit by bit and
 * byte by byte), for 1 kB more of this boot code.
 */
#include "errno.h"
#include "inflate.h"

/* The hot loop's helpers: -Os would make calls of them. */
#define HOT static inline __attribute__((always_inline))

struct bits {
    const uint8_t *in;
    size_t len, pos;
    uint64_t buf; /* bits not yet used, the next one lowest */
    int count;    /* how many: at most 64 */
};

/* Fills the buffer to more than 56 bits, while the input lasts. */
HOT void refill(struct bits *b)
{
    if (b->len - b->pos >= 8) {
        /* Eight bytes at once (both CPUs are little-endian and allow an
           unaligned load): the whole bytes that fit are taken, and the
           bits above count are the next byte's, read again next time. */
        uint64_t word;
        __builtin_memcpy(&word, b->in + b->pos, 8);
        b->buf |= word << b->count;
        b->pos += (size_t)(63 - b->count) >> 3;
        b->count |= 56;
        return;
    }
    while (b->count <= 56 && b->pos < b->len) {
        b->buf |= (uint64_t)b->in[b->pos++] << b->count;
        b->count += 8;
    }
}

HOT int get_bits_inline(struct bits *b, int n, uint32_t *v)
{
    if (b->count < n) {
        refill(b);
        if (b->count < n)
            return -1;
    }
    *v = (uint32_t)b->buf & ((1u << n) - 1);
    b->buf >>= n;
    b->count -= n;
    return 0;
}

/* The same, as a call, outside the hot loop: smaller code. */
static int get_bits(struct bits *b, int n, uint32_t *v)
{
    return get_bits_inline(b, n, v);
}

#define MAX_BITS  15
#define FAST_BITS 10 /* codes this long or shorter decode with one look-up */

/* A canonical Huffman code: how many codes of each length, the symbols in
   code order, and for each value of the next FAST_BITS bits of the stream
   the symbol << 4 | length of the short code they start with (0: none). */
struct huffman {
    uint16_t count[MAX_BITS + 1];
    uint16_t symbol[288];
    uint16_t fast[1 << FAST_BITS];
};

/* The stream holds codes most significant bit first, and bits lowest first:
   the look-up is by the code's bits reversed. */
static void build_fast(struct huffman *h, const uint8_t *lengths, int n)
{
    uint16_t code[MAX_BITS + 1];
    int next = 0;
    for (int len = 1; len <= MAX_BITS; len++) {
        next = (next + h->count[len - 1]) << 1;
        code[len] = (uint16_t)next;
    }
    for (int i = 0; i < 1 << FAST_BITS; i++)
        h->fast[i] = 0;
    for (int sym = 0; sym < n; sym++) {
        int len = lengths[sym];
        if (len == 0)
            continue;
        unsigned c = code[len]++, reversed = 0;
        if (len > FAST_BITS)
            continue;
        for (int i = 0; i < len; i++)
            reversed |= ((c >> i) & 1) << (len - 1 - i);
        for (unsigned i = reversed; i < 1u << FAST_BITS; i += 1u << len)
            h->fast[i] = (uint16_t)(sym << 4 | len);
    }
}

static int build(struct huffman *h, const uint8_t *lengths, int n)
{
    uint16_t next[MAX_BITS + 2];
    for (int len = 0; len <= MAX_BITS; len++)
        h->count[len] = 0;
    for (int i = 0; i < n; i++)
        h->count[lengths[i]]++;
    h->count[0] = 0;
    int left = 1; /* codes of the current length not yet used */
    for (int len = 1; len <= MAX_BITS; len++) {
        left = left * 2 - h->count[len];
        if (left < 0)
            return -1; /* more codes than lengths allow */
    }
    next[1] = 0;
    for (int len = 1; len <= MAX_BITS; len++)
        next[len + 1] = (uint16_t)(next[len] + h->count[len]);
    for (int i = 0; i < n; i++)
        if (lengths[i])
            h->symbol[next[lengths[i]]++] = (uint16_t)i;
    build_fast(h, lengths, n);
    return 0;
}

/* A symbol whose code is longer than FAST_BITS, or lies where fewer bits
   are left: the buffered bits one length at a time, taken when a code of
   that length matches. Codes of each length are consecutive numbers after
   the last code of the length before, shifted left by one. */
static int decode_slow(struct bits *b, const struct huffman *h)
{
    refill(b);
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= MAX_BITS && len <= b->count; len++) {
        code |= (int)(b->buf >> (len - 1) & 1);
        int count = h->count[len];
        if (code - first < count) {
            b->buf >>= len;
            b->count -= len;
            return h->symbol[index + code - first];
        }
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return -1;
}

/* The next symbol, or -1. */
HOT int decode_inline(struct bits *b, const struct huffman *h)
{
    if (b->count < MAX_BITS)
        refill(b);
    unsigned entry = h->fast[b->buf & ((1u << FAST_BITS) - 1)], len = entry & 15;
    if (entry == 0 || (int)len > b->count)
        return decode_slow(b, h);
    b->buf >>= len;
    b->count -= (int)len;
    return (int)(entry >> 4);
}

/* The same, as a call, for the code-length codes: smaller code. */
static int decode(struct bits *b, const struct huffman *h)
{
    return decode_inline(b, h);
}

struct out {
    uint8_t *p;
    size_t len, pos;
};

static const uint16_t length_base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                         15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                         67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/* A match: len bytes from back bytes before to; eight at a time when back
   is at least eight, so that each word read was written before. */
HOT void copy_match(uint8_t *to, size_t back, size_t len)
{
    size_t i = 0;
    if (back >= 8) {
        for (; i + 8 <= len; i += 8) {
            uint64_t word;
            __builtin_memcpy(&word, to - back + i, 8);
            __builtin_memcpy(to + i, &word, 8);
        }
    }
    for (; i < len; i++)
        to[i] = to[i - back];
}

/* One block's symbols, up to its end-of-block. */
static int symbols(struct bits *b, struct out *o, const struct huffman *lit,
                   const struct huffman *dist)
{
    for (;;) {
        int sym = decode_inline(b, lit);
        if (sym < 0)
            return -1;
        if (sym < 256) {
            if (o->pos >= o->len)
                return -1;
            o->p[o->pos++] = (uint8_t)sym;
            continue;
        }
        if (sym == 256)
            return 0;
        sym -= 257;
        uint32_t extra;
        if (sym >= 29 || get_bits_inline(b, length_extra[sym], &extra) < 0)
            return -1;
        size_t len = length_base[sym] + extra;
        int dsym = decode_inline(b, dist);
        if (dsym < 0 || dsym >= 30 || get_bits_inline(b, dist_extra[dsym], &extra) < 0)
            return -1;
        size_t back = dist_base[dsym] + extra;
        if (back > o->pos || len > o->len - o->pos)
            return -1;
        copy_match(o->p + o->pos, back, len);
        o->pos += len;
    }
}

static int stored(struct bits *b, struct out *o)
{
    /* Bytes follow: drop the rest of this byte, and give back those read ahead. */
    b->pos -= (size_t)(b->count / 8);
    b->buf = 0;
    b->count = 0;
    if (b->len - b->pos < 4)
        return -1;
    const uint8_t *h = b->in + b->pos;
    size_t len = h[0] | (size_t)h[1] << 8;
    if ((size_t)(h[2] | h[3] << 8) != (~len & 0xffff))
        return -1;
    b->pos += 4;
    if (len > b->len - b->pos || len > o->len - o->pos)
        return -1;
    while (len--)
        o->p[o->pos++] = b->in[b->pos++];
    return 0;
}

static int fixed(struct bits *b, struct out *o, struct huffman *lit, struct huffman *dist)
{
    uint8_t lengths[288];
    for (int i = 0; i < 288; i++)
        lengths[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    build(lit, lengths, 288);
    for (int i = 0; i < 30; i++)
        lengths[i] = 5;
    build(dist, lengths, 30);
    return symbols(b, o, lit, dist);
}

/* The code lengths of a dynamic block, themselves Huffman-coded. */
static int read_lengths(struct bits *b, uint8_t *lengths, int n, const struct huffman *lc)
{
    for (int i = 0; i < n;) {
        int sym = decode(b, lc);
        uint32_t rep;
        if (sym < 0)
            return -1;
        if (sym < 16) {
            lengths[i++] = (uint8_t)sym;
            continue;
        }
        uint8_t value = 0;
        if (sym == 16) {
            if (i == 0 || get_bits(b, 2, &rep) < 0)
                return -1;
            value = lengths[i - 1];
            rep += 3;
        } else if (sym == 17) {
            if (get_bits(b, 3, &rep) < 0)
                return -1;
            rep += 3;
        } else {
            if (get_bits(b, 7, &rep) < 0)
                return -1;
            rep += 11;
        }
        if (i + (int)rep > n)
            return -1;
        while (rep--)
            lengths[i++] = value;
    }
    return 0;
}

static int dynamic(struct bits *b, struct out *o, struct huffman *lit, struct huffman *dist)
{
    static const uint8_t order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                      11, 4,  12, 3, 13, 2, 14, 1, 15};
    uint32_t nlit, ndist, ncode, v;
    uint8_t lengths[288 + 32];
    if (get_bits(b, 5, &nlit) < 0 || get_bits(b, 5, &ndist) < 0 || get_bits(b, 4, &ncode) < 0)
        return -1;
    nlit += 257;
    ndist += 1;
    ncode += 4;
    if (nlit > 286 || ndist > 30)
        return -1;
    for (int i = 0; i < 19; i++)
        lengths[i] = 0;
    for (uint32_t i = 0; i < ncode; i++) {
        if (get_bits(b, 3, &v) < 0)
            return -1;
        lengths[order[i]] = (uint8_t)v;
    }
    if (build(lit, lengths, 19) < 0 || read_lengths(b, lengths, (int)(nlit + ndist), lit) < 0 ||
        lengths[256] == 0 || build(lit, lengths, (int)nlit) < 0 ||
        build(dist, lengths + nlit, (int)ndist) < 0)
        return -1;
    return symbols(b, o, lit, dist);
}

static long inflate_raw(struct bits *b, struct out *o)
{
    struct huffman lit[1], dist[1]; /* 5.3 kB of the 16 kB boot stack: no heap at boot */
    uint32_t last, type;
    int rc;
    do {
        if (get_bits(b, 1, &last) < 0 || get_bits(b, 2, &type) < 0)
            rc = -1;
        else if (type == 0)
            rc = stored(b, o);
        else if (type == 1)
            rc = fixed(b, o, lit, dist);
        else if (type == 2)
            rc = dynamic(b, o, lit, dist);
        else
            rc = -1;
    } while (rc == 0 && !last);
    return rc < 0 ? -EINVAL : (long)o->pos;
}

#define GZIP_HEADER  10
#define GZIP_TRAILER 8

bool gzip_is(const void *in, size_t len)
{
    const uint8_t *p = in;
    return len >= GZIP_HEADER + GZIP_TRAILER && p[0] == 0x1f && p[1] == 0x8b;
}

size_t gzip_size(const void *in, size_t len)
{
    const uint8_t *t = (const uint8_t *)in + len - 4;
    return t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
}

long gunzip(void *out, size_t outlen, const void *in, size_t len)
{
    const uint8_t *p = in;
    /* Deflate, and no optional fields: unikit writes none. */
    if (!gzip_is(in, len) || p[2] != 8 || p[3] != 0)
        return -EINVAL;
    struct bits b = {.in = p + GZIP_HEADER, .len = len - GZIP_HEADER - GZIP_TRAILER};
    struct out o = {.p = out, .len = outlen};
    long n = inflate_raw(&b, &o);
    return n >= 0 && (size_t)n != gzip_size(in, len) ? -EINVAL : n;
}
