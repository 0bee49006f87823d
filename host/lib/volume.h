/*
 * Volumes: host folders a guest mounts (`unikit run -v`), shared over
 * virtio-9p (QEMU's -fsdev local), and named volumes, folders unikit
 * keeps under $UNIKIT_HOME/volumes/NAME/_data with volume.json beside.
 *
 * A -v spec is SOURCE:TARGET[:ro|:rw]. SOURCE is an absolute (or ./
 * relative) host folder, or the name of a volume (made when missing, as
 * docker does); TARGET is an absolute path in the guest. An instance
 * records its volumes in the canonical form "SOURCE:TARGET:ro|rw", with
 * SOURCE the folder's absolute path or the volume's name.
 */
#ifndef UNIKIT_VOLUME_H
#define UNIKIT_VOLUME_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct volume {
    char *source; /* the host folder, absolute */
    char *target; /* the guest path, absolute, without trailing or doubled slashes */
    char *name;   /* the named volume's name, or NULL for a host folder */
    bool readonly;
    bool anonymous; /* made for one instance (volume_add_anonymous), removed with it */
};

/* Parses and checks one -v spec (the host folder must exist and be a
   folder, writable unless :ro). 0, or -1 with one line in err. */
int volume_parse(const char *home, const char *spec, struct volume *out, char *err, size_t errlen);
/* Two volumes on one mount point, or on the root: -1 with err. */
int volume_check_targets(const struct volume *v, size_t n, char *err, size_t errlen);
/* "SOURCE:TARGET:ro|rw", SOURCE the name of a named volume. */
char *volume_spec(const struct volume *v);
void volume_free(struct volume *v);

/* Every -v of a run, parsed and checked: 0, or -1 with err (nothing to free). */
int volume_parse_all(const char *home, char **specs, struct volume **out, size_t *n, char *err,
                     size_t errlen);
void volume_free_all(struct volume *v, size_t n);
/*
 * The image's declared volumes (the Unikfile's volumes:) that no -v
 * covers (none on the folder, above it or inside it) get anonymous
 * volumes: fresh named volumes with random names, appended to *v. 0, or
 * -1 with err, after removing those it made.
 */
int volume_add_anonymous(const char *home, char **declared, struct volume **v, size_t *n, char *err,
                         size_t errlen);
/* The folders ($home/volumes/NAME) of the anonymous ones among v, NULL-terminated
   (NULL when none); the caller frees each and the array. */
char **volume_anonymous_dirs(const char *home, const struct volume *v, size_t n);
/* Removes the anonymous ones among v (a run that did not start). */
void volume_remove_anonymous(const char *home, const struct volume *v, size_t n);

/* volume_spec of each, NULL-terminated; the caller frees each and the array. */
char **volume_specs(const struct volume *v, size_t n);

/* inspect's Mounts of an instance's volumes: Type (bind or volume), Name
   (a volume's), Source (the host folder), Destination, Mode and RW. */
json_t *volume_mounts_json(const char *home, char **specs);
/* ps's Mounts: the sources (volume names, host folders), comma-separated. */
char *volume_mounts_text(char **specs);

/* QEMU's -fsdev and -device arguments for each volume, tags vol0, vol1... */
void volume_qemu_args(struct strvec *a, const struct volume *v, size_t n);
/* The kernel's " unikit.vol=..." settings (kernel/core/p9fs.c); a new string. */
char *volume_cmdline(const struct volume *v, size_t n);

/* Named volumes. */
bool volume_name_valid(const char *name);
/* $home/volumes/NAME, and its data folder $home/volumes/NAME/_data (new strings). */
char *volume_dir(const char *home, const char *name);
char *volume_data_dir(const char *home, const char *name);
/* Creates the volume; 1 when it was there already, 0 when made, -1 with err. */
int volume_create(const char *home, const char *name, char *err, size_t errlen);
/* The names of the volumes, sorted; NULL-terminated (free with strv_free-like loop). */
char **volume_names(const char *home);
/* The running instance that uses the volume, as "NAME (ID12)"; NULL when none. */
char *volume_user(const char *home, const char *name);

#endif
