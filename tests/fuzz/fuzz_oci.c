/*
 * libFuzzer target: reading OCI documents into the store: an image index,
 * its manifests, their configs (host/lib/ociimage.c's oci_import, what
 * `unikit pull` and `unikit load` run) and the store's own config parser
 * (host/lib/store.c's store_parse_config).
 *
 * One input is several documents, separated by a line "----". Documents
 * point at each other by digest, which a fuzzer cannot guess, so "@N" in a
 * document stands for the digest of document N and "#N" for its size (N one
 * digit, a later document: they are stored last to first). Document 0 is
 * what is imported. Each input gets an empty store, on /dev/shm when there.
 */
#include "fuzz.h"

#include <stdint.h>

#include "ociimage.h"
#include "store.h"

#define MAX_DOCS 10

static char *home;

static void remove_home(void)
{
    fuzz_remove_tree(home);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    home = fuzz_scratch_dir("oci");
    atexit(remove_home);
    return 0;
}

struct doc {
    const char *start;
    size_t len;
    char digest[STORE_DIGEST_SIZE];
    size_t stored_len;
};

static size_t split(const char *data, size_t size, struct doc *docs)
{
    static const char sep[] = "\n----\n";
    size_t n = 0;
    const char *p = data, *end = data + size;
    while (n < MAX_DOCS) {
        const char *next = memmem(p, (size_t)(end - p), sep, sizeof sep - 1);
        docs[n].start = p;
        docs[n++].len = next ? (size_t)(next - p) : (size_t)(end - p);
        if (!next)
            break;
        p = next + sizeof sep - 1;
    }
    return n;
}

/* Document i with @N and #N of later documents replaced; stored, its digest kept. */
static int store_doc(struct store *s, struct doc *docs, size_t n, size_t i)
{
    /* "@N", 2 bytes, becomes a digest, 71: 36 times as long at most, and a NUL. */
    char *text = malloc(docs[i].len * 36 + 1);
    size_t len = 0;
    for (size_t k = 0; k < docs[i].len; k++) {
        char c = docs[i].start[k], d = k + 1 < docs[i].len ? docs[i].start[k + 1] : 0;
        size_t ref = (size_t)(d - '0');
        if ((c == '@' || c == '#') && d >= '0' && d <= '9' && ref > i && ref < n) {
            len += c == '@' ? (size_t)sprintf(text + len, "%s", docs[ref].digest)
                            : (size_t)sprintf(text + len, "%zu", docs[ref].stored_len);
            k++;
        } else {
            text[len++] = c;
        }
    }
    char err[512];
    int rc = store_put_blob(s, text, len, docs[i].digest, err, sizeof err);
    docs[i].stored_len = len;
    free(text);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct doc docs[MAX_DOCS];
    size_t n = split((const char *)data, size, docs);
    struct store s;
    char err[512];
    fuzz_remove_tree(home);
    if (store_open(&s, home, err, sizeof err) != 0)
        abort();
    for (size_t i = n; i-- > 0;)
        if (store_doc(&s, docs, n, i) != 0)
            abort();
    struct image_config c;
    fuzz_check_error(store_parse_config(&s, docs[0].digest, &c, err, sizeof err), err);
    store_config_free(&c);
    char stored[STORE_DIGEST_SIZE];
    fuzz_check_error(oci_import(&s, "fuzz", docs[0].digest, stored, err, sizeof err), err);
    store_close(&s);
    return 0;
}
