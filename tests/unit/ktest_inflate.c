/*
 * The kernel's gzip decoder (kernel/lib/inflate.c) against zlib's encoder:
 * stored, fixed and dynamic blocks decode to the bytes encoded (machine code
 * too, and a stored block after a Huffman one); a stream
 * cut short, one with bytes flipped, or one whose trailer's size is wrong
 * is refused (or decodes to something) without a read or write outside
 * the buffers (the sanitizers watch).
 */
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "errno.h"
#include "inflate.h"

static unsigned char *gzip(const unsigned char *in, size_t len, int level, int strategy,
                           size_t *outlen)
{
    z_stream z = {0};
    CHECK(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 9, strategy) == Z_OK);
    size_t cap = deflateBound(&z, len) + 64;
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
    *outlen = z.total_out;
    deflateEnd(&z);
    return out;
}

/* Text with repeats, bytes from a small generator, and runs of zeros. */
static unsigned char *sample(size_t len)
{
    unsigned char *p = malloc(len);
    uint32_t x = 12345;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245 + 12345;
        p[i] = i % 3000 < 1000   ? "the quick brown fox jumps over the lazy dog "[i % 44]
               : i % 3000 < 2000 ? (unsigned char)(x >> 16)
                                 : 0;
    }
    return p;
}

static void round_trip(int level, int strategy, size_t len)
{
    unsigned char *in = sample(len);
    size_t gzlen;
    unsigned char *gz = gzip(in, len, level, strategy, &gzlen);
    CHECK(gzip_is(gz, gzlen));
    CHECK(gzip_size(gz, gzlen) == len);
    unsigned char *out = malloc(len + 1);
    CHECK(gunzip(out, len, gz, gzlen) == (long)len);
    CHECK(memcmp(in, out, len) == 0);
    /* Too small an output: refused, nothing written past it. */
    if (len)
        CHECK(gunzip(out, len - 1, gz, gzlen) == -EINVAL);
    free(in);
    free(gz);
    free(out);
}

static void test_stored_fixed_dynamic(void)
{
    round_trip(0, Z_DEFAULT_STRATEGY, 70000); /* stored blocks, more than one */
    round_trip(9, Z_FIXED, 20000);
    round_trip(9, Z_DEFAULT_STRATEGY, 100000);
    round_trip(1, Z_HUFFMAN_ONLY, 5000);
    round_trip(6, Z_RLE, 5000);
    round_trip(9, Z_DEFAULT_STRATEGY, 0);
}

/* The bytes in, gzip'd by zlib at level 9 with strategy, decode back whole. */
static void decodes_back(const unsigned char *in, size_t len, int strategy)
{
    size_t gzlen;
    unsigned char *gz = gzip(in, len, 9, strategy, &gzlen);
    unsigned char *out = malloc(len);
    CHECK(gunzip(out, len, gz, gzlen) == (long)len);
    CHECK(memcmp(in, out, len) == 0);
    free(gz);
    free(out);
}

/* Machine code (this test's own executable, as the packed kernel is):
   long codes and far distances, through the table and around it. */
static void test_machine_code(void)
{
    FILE *f = fopen("/proc/self/exe", "rb");
    CHECK(f != NULL);
    unsigned char *in = malloc(200000);
    size_t len = fread(in, 1, 200000, f);
    fclose(f);
    CHECK(len > 20000);
    decodes_back(in, len, Z_DEFAULT_STRATEGY);
    free(in);
}

/* A stored block after a Huffman one, for many places of the switch: the
   bytes the decoder read ahead for its table look-up are given back. */
static void stored_after_huffman(const unsigned char *in, size_t len, size_t half)
{
    z_stream z = {0};
    /* Huffman codes only, for runs of one byte: its code and the block's
       end are a bit or two each, so a whole byte is read ahead. */
    CHECK(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_HUFFMAN_ONLY) == Z_OK);
    size_t cap = deflateBound(&z, len) + 1024;
    unsigned char *gz = malloc(cap);
    z.next_out = gz;
    z.avail_out = (uInt)cap;
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)half;
    CHECK(deflate(&z, Z_NO_FLUSH) == Z_OK);
    CHECK(deflateParams(&z, 0, Z_DEFAULT_STRATEGY) == Z_OK); /* stored from here */
    z.avail_in = (uInt)(len - half);
    CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
    size_t gzlen = z.total_out;
    deflateEnd(&z);
    unsigned char *out = malloc(len);
    CHECK(gunzip(out, len, gz, gzlen) == (long)len);
    CHECK(memcmp(in, out, len) == 0);
    free(gz);
    free(out);
}

static void test_stored_after_huffman(void)
{
    size_t len = 4000;
    unsigned char *in = malloc(len);
    for (size_t half = 1; half < 64; half++) {
        memset(in, 'a', half);
        for (size_t i = half; i < len; i++)
            in[i] = (unsigned char)(i * 7);
        stored_after_huffman(in, len, half);
    }
    free(in);
}

/* Matches at every distance from 1 to 40 (a copy overlapping what it writes
   below 8, word by word from 8) and of lengths that are not whole words. */
static void test_matches_every_distance(void)
{
    unsigned char in[4096];
    uint32_t x = 7;
    for (size_t back = 1; back <= 40; back++) {
        size_t len = 0;
        for (size_t run = 3; run < 300 && len + back + run + 1 < sizeof in; run += 37) {
            for (size_t i = 0; i < back; i++, x = x * 1103515245 + 12345)
                in[len++] = (unsigned char)(x >> 16);
            for (size_t i = 0; i < run; i++, len++)
                in[len] = in[len - back];
            in[len++] = (unsigned char)(x >> 24); /* ends the match */
        }
        decodes_back(in, len, Z_DEFAULT_STRATEGY);
    }
}

/* Literals whose counts double from one byte value to the next: their codes
   reach the 15 bits deflate allows, past the table, for the slow path. */
static void test_codes_of_every_length(void)
{
    size_t len = (1u << 18) - 1;
    unsigned char *in = malloc(len);
    size_t n = 0;
    for (int value = 0; value < 18; value++)
        for (size_t k = 0; k < (1u << value); k++)
            in[n++] = (unsigned char)(value * 13);
    uint32_t x = 3;
    for (size_t i = len - 1; i > 0; i--) { /* shuffled: no matches to find */
        x = x * 1103515245 + 12345;
        size_t j = (x >> 8) % (i + 1);
        unsigned char t = in[i];
        in[i] = in[j];
        in[j] = t;
    }
    decodes_back(in, len, Z_HUFFMAN_ONLY);
    free(in);
}

static void test_truncated_is_refused(void)
{
    size_t len = 6000, gzlen;
    unsigned char *in = sample(len);
    unsigned char *gz = gzip(in, len, 9, Z_DEFAULT_STRATEGY, &gzlen);
    unsigned char *out = malloc(len);
    for (size_t cut = 0; cut < gzlen; cut++) {
        /* A copy of exactly cut bytes, so that a read past it is caught. */
        unsigned char *part = malloc(cut ? cut : 1);
        memcpy(part, gz, cut);
        CHECK(gunzip(out, len, part, cut) < 0);
        free(part);
    }
    free(in);
    free(gz);
    free(out);
}

static void test_damaged_stays_inside(void)
{
    size_t len = 6000, gzlen;
    unsigned char *in = sample(len);
    unsigned char *gz = gzip(in, len, 9, Z_DEFAULT_STRATEGY, &gzlen);
    unsigned char *out = malloc(len);
    uint32_t x = 99;
    for (int round = 0; round < 2000; round++) {
        unsigned char *bad = malloc(gzlen);
        memcpy(bad, gz, gzlen);
        for (int k = 0; k < 3; k++) {
            x = x * 1103515245 + 12345;
            bad[10 + (x >> 8) % (gzlen - 18)] ^= (unsigned char)(1 + (x >> 24) % 255);
        }
        long n = gunzip(out, len, bad, gzlen);
        CHECK(n == -EINVAL || n == (long)len);
        free(bad);
    }
    /* Flags this decoder does not take (a name field) are refused. */
    gz[3] = 8;
    CHECK(gunzip(out, len, gz, gzlen) == -EINVAL);
    free(in);
    free(gz);
    free(out);
}

int main(void)
{
    RUN_TEST(test_stored_fixed_dynamic);
    RUN_TEST(test_machine_code);
    RUN_TEST(test_stored_after_huffman);
    RUN_TEST(test_matches_every_distance);
    RUN_TEST(test_codes_of_every_length);
    RUN_TEST(test_truncated_is_refused);
    RUN_TEST(test_damaged_stays_inside);
    CHECK_EXIT();
}
