/*
 * libFuzzer target: what unikit reads from a registry: a response's header
 * lines and body (registry_read_response: the status, Location,
 * WWW-Authenticate's Bearer challenge, the error and token JSON, a
 * manifest's digest) and, from the first line, an image reference
 * (registry_parse_ref, what every push and pull starts with).
 */
#include "fuzz.h"

#include <stdint.h>

#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    fuzz_check_error(registry_read_response((const char *)data, size, err, sizeof err), err);
    const char *nl = memchr(data, '\n', size);
    char *ref = strndup((const char *)data, nl ? (size_t)(nl - (const char *)data) : size);
    struct registry_ref r;
    int rc = registry_parse_ref(ref, &r, err, sizeof err);
    fuzz_check_error(rc, err);
    if (rc == 0)
        registry_ref_free(&r);
    free(ref);
    return 0;
}
