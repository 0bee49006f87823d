/*
 * The standard OCI form of a unikit image: what push and save send, and what
 * docker, podman and containerd pull. Per architecture, an OCI manifest whose
 * config is a standard image config (Entrypoint, Cmd, Env, ExposedPorts,
 * org.unikit.* labels, unikit's own "unikit" object) and whose one layer is a
 * deterministic tar.gz holding the image's files (the program at cmd[0]),
 * .unikit/image.elf (the bootable image) and .unikit/config.json (the
 * store's config blob); an OCI image index over those manifests.
 *
 * The store keeps its own format (a unikit config and the ELF as the layer);
 * these functions convert both ways. The standard blobs are kept in the store
 * beside the image they stand for (store_export_*), so they are made once.
 * Every function here expects the caller to hold store_lock.
 */
#ifndef UNIKIT_OCIIMAGE_H
#define UNIKIT_OCIIMAGE_H

#include <stddef.h>

#include "store.h"

/*
 * The standard form of the stored image index digest (a ref's), made and
 * stored unless the store has it intact already. 0 with *out, or -1 with err.
 */
int oci_export(struct store *s, const char *digest, struct store_export *out, char *err,
               size_t errlen);

/*
 * Stores the image whose top blob (an image index or manifest, standard or
 * in the store's own format, with every blob it names in the store) is
 * digest, in the store's format: *stored is the image index (or, for an
 * image in the store's format already, the manifest or index itself) to
 * point a name at. name is for messages. An image that is not a unikit image
 * is refused with one line saying why.
 */
int oci_import(struct store *s, const char *name, const char *digest,
               char stored[STORE_DIGEST_SIZE], char *err, size_t errlen);

/*
 * For pull, before a layer is fetched: 0 when the config blob (in the store)
 * says a unikit image, -1 with err naming name otherwise.
 */
int oci_check_config(struct store *s, const char *name, const char *config_digest, char *err,
                     size_t errlen);

/* True for a media type of a manifest's config unikit can import (its own, OCI's, docker's). */
int oci_known_config_type(const char *media_type);

#endif
