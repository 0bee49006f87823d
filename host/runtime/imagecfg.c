/*
 * <rootfs>/.unikit/config.json: the unikit image config document (the
 * store's config blob), for the image's architecture, memory and network.
 * Without it, the ELF's own machine says the architecture.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfcheck.h"
#include "runtime.h"
#include "util.h"

/* unikit's names, and the OCI names a standard config may carry. */
static const char *arch_name(const char *a)
{
    if (!a)
        return NULL;
    if (strcmp(a, "x86_64") == 0 || strcmp(a, "amd64") == 0)
        return "x86_64";
    if (strcmp(a, "aarch64") == 0 || strcmp(a, "arm64") == 0)
        return "aarch64";
    return NULL;
}

static int read_config(const char *file, struct unikit_image *img, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *doc = json_load_file(file, 0, &jerr);
    if (!doc)
        return errorf(err, errlen, "%s: line %d: %s", file, jerr.line, jerr.text);
    json_t *unikit = json_object_get(doc, "unikit");
    const char *arch = arch_name(json_string_value(json_object_get(unikit, "arch")));
    if (!arch)
        arch = arch_name(json_string_value(json_object_get(doc, "architecture")));
    json_t *memory = json_object_get(unikit, "memory");
    int rc = 0;
    if (!arch)
        rc = errorf(err, errlen, "%s: unikit.arch: expected x86_64 or aarch64", file);
    else if (memory && !(json_is_integer(memory) && json_integer_value(memory) >= 0))
        rc = errorf(err, errlen, "%s: unikit.memory: expected bytes", file);
    if (rc == 0) {
        img->arch = xstrdup(arch);
        img->memory = memory ? (uint64_t)json_integer_value(memory) : 0;
        img->net = json_is_true(json_object_get(unikit, "net"));
    }
    json_decref(doc);
    return rc;
}

int unikit_image_load(const char *rootfs, struct unikit_image *img, char *err, size_t errlen)
{
    memset(img, 0, sizeof(*img));
    img->elf = xasprintf("%s/" UNIKIT_IMAGE_ELF, rootfs);
    char *file = xasprintf("%s/" UNIKIT_IMAGE_CFG, rootfs);
    int rc;
    if (access(file, F_OK) == 0) {
        rc = read_config(file, img, err, errlen);
    } else {
        struct elf_info info;
        rc = elf_inspect(img->elf, &info, err, errlen);
        if (rc == 0 && !info.arch)
            rc = errorf(err, errlen, "%s: not an x86_64 or aarch64 image", img->elf);
        if (rc == 0)
            img->arch = xstrdup(info.arch);
    }
    free(file);
    if (rc < 0)
        unikit_image_free(img);
    return rc;
}

void unikit_image_free(struct unikit_image *img)
{
    free(img->elf);
    free(img->arch);
    memset(img, 0, sizeof(*img));
}
