#include "archivegz.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <zlib.h>

#include "util.h"

/* No name and no time in the header (zlib writes neither unless asked):
   the same archive always gives the same bytes, as the image's digest needs. */
unsigned char *gzip_buffer(const unsigned char *in, size_t len, size_t *outlen)
{
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, len);
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = out ? deflate(&z, Z_FINISH) : Z_MEM_ERROR;
    *outlen = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static unsigned char *read_small(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    unsigned char *buf = NULL;
    if (f && fstat(fileno(f), &st) == 0 && st.st_size <= ARCHIVE_GZIP_MAX &&
        (buf = malloc(st.st_size ? (size_t)st.st_size : 1)) &&
        fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size)
        *len = (size_t)st.st_size;
    else if (buf) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

int archive_gzip(const char *path, char *err, size_t errlen)
{
    size_t len = 0, gzlen = 0;
    unsigned char *data = read_small(path, &len);
    if (!data)
        return 0; /* too big to be worth it (or unreadable: the link says so) */
    unsigned char *gz = gzip_buffer(data, len, &gzlen);
    int rc = 0;
    if (gz && gzlen < len)
        rc = write_file(path, gz, gzlen, err, errlen);
    free(gz);
    free(data);
    return rc;
}
