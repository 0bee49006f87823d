/*
 * The 9P2000.L client: builds T-messages in the transport's request
 * buffer, sends them, and checks and reads the R-messages. Integers on
 * the wire are little-endian, as both of unikit's architectures are;
 * strings are a 16-bit length and the bytes.
 */
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "p9.h"

enum {
    RLERROR = 7,
    TSTATFS = 8,
    TLOPEN = 12,
    TSYMLINK = 16,
    TMKNOD = 18,
    TREADLINK = 22,
    TGETATTR = 24,
    TSETATTR = 26,
    TREADDIR = 40,
    TFSYNC = 50,
    TLINK = 70,
    TMKDIR = 72,
    TRENAMEAT = 74,
    TUNLINKAT = 76,
    TVERSION = 100,
    TATTACH = 104,
    TWALK = 110,
    TREAD = 116,
    TWRITE = 118,
    TCLUNK = 120,
};

#define HEADER      7 /* size[4] type[1] tag[2] */
#define NOTAG       0xffff
#define GETATTR_ALL 0x3fffULL
#define QID_SIZE    13
#define IO_HEADER   23 /* Twrite's size type tag fid offset count */
#define VERSION     "9P2000.L"
#define MAX_ERRNO   4095

struct msg {
    uint8_t *buf;
    size_t len, cap;
};

struct reply {
    const uint8_t *buf;
    size_t len, pos;
    bool bad;
};

/* ---- building and reading messages ------------------------------------------ */

static void put(struct msg *m, const void *v, size_t n)
{
    if (m->len + n <= m->cap)
        memcpy(m->buf + m->len, v, n);
    m->len += n;
}

static void put8(struct msg *m, uint8_t v)
{
    put(m, &v, 1);
}

static void put16(struct msg *m, uint16_t v)
{
    put(m, &v, 2);
}

static void put32(struct msg *m, uint32_t v)
{
    put(m, &v, 4);
}

static void put64(struct msg *m, uint64_t v)
{
    put(m, &v, 8);
}

static void put_name(struct msg *m, const char *s, size_t len)
{
    put16(m, (uint16_t)len);
    put(m, s, len);
}

static struct msg begin(struct p9_client *c, uint8_t type)
{
    struct msg m = {.buf = c->t->req, .len = 0, .cap = c->msize};
    put32(&m, 0); /* the size, once known */
    put8(&m, type);
    put16(&m, type == TVERSION ? NOTAG : 1);
    return m;
}

static uint64_t get(struct reply *r, size_t n)
{
    uint64_t v = 0;
    if (r->pos + n > r->len) {
        r->bad = true;
        return 0;
    }
    memcpy(&v, r->buf + r->pos, n);
    r->pos += n;
    return v;
}

static const char *get_name(struct reply *r, size_t *len)
{
    *len = (size_t)get(r, 2);
    if (r->pos + *len > r->len) {
        r->bad = true;
        *len = 0;
        return "";
    }
    const char *s = (const char *)r->buf + r->pos;
    r->pos += *len;
    return s;
}

static uint64_t get_qid(struct reply *r)
{
    get(r, 1); /* type */
    get(r, 4); /* version */
    return get(r, 8);
}

/* Sends m and checks the answer is its R-message (or an error). */
static int rpc(struct p9_client *c, struct msg *m, struct reply *r)
{
    if (m->len > m->cap)
        return -ENAMETOOLONG; /* only names can make a message this long */
    uint32_t size = (uint32_t)m->len;
    memcpy(m->buf, &size, 4);
    uint8_t type = m->buf[4];
    size_t got;
    int err = c->t->call(c->t, m->len, &got);
    if (err)
        return err;
    const uint8_t *b = c->t->reply;
    memcpy(&size, b, 4);
    if (size < HEADER || size > got)
        return -EIO;
    *r = (struct reply){.buf = b, .len = size, .pos = HEADER};
    if (b[4] == RLERROR) {
        uint32_t e = (uint32_t)get(r, 4);
        return e && e <= MAX_ERRNO ? -(int)e : -EIO;
    }
    return b[4] == type + 1 ? 0 : -EIO;
}

/* A call whose answer carries nothing the caller needs. */
static int call(struct p9_client *c, struct msg *m)
{
    struct reply r;
    return rpc(c, m, &r);
}

/* ---- the calls ------------------------------------------------------------- */

int p9_connect(struct p9_client *c, struct p9_transport *t, uint32_t uid, uint32_t *root_fid)
{
    c->t = t;
    c->msize = t->msize;
    c->next_fid = 1;
    struct msg m = begin(c, TVERSION);
    put32(&m, t->msize);
    put_name(&m, VERSION, sizeof(VERSION) - 1);
    struct reply r;
    int err = rpc(c, &m, &r);
    if (err)
        return err;
    uint32_t msize = (uint32_t)get(&r, 4);
    size_t vlen;
    const char *v = get_name(&r, &vlen);
    if (r.bad || vlen != sizeof(VERSION) - 1 || memcmp(v, VERSION, vlen) != 0 || msize < 4096)
        return -EPROTONOSUPPORT;
    c->msize = MIN(msize, t->msize);
    *root_fid = p9_fid_new(c);
    m = begin(c, TATTACH);
    put32(&m, *root_fid);
    put32(&m, P9_NOFID);
    put_name(&m, "", 0); /* uname: n_uname says who */
    put_name(&m, "", 0); /* aname: the export's root */
    put32(&m, uid);
    return call(c, &m);
}

uint32_t p9_fid_new(struct p9_client *c)
{
    if (c->next_fid == P9_NOFID)
        c->next_fid = 1;
    return c->next_fid++;
}

void p9_clunk(struct p9_client *c, uint32_t fid)
{
    struct msg m = begin(c, TCLUNK);
    put32(&m, fid);
    call(c, &m);
}

int p9_walk(struct p9_client *c, uint32_t fid, uint32_t newfid, const char *name, size_t len)
{
    struct msg m = begin(c, TWALK);
    put32(&m, fid);
    put32(&m, newfid);
    put16(&m, name ? 1 : 0);
    if (name)
        put_name(&m, name, len);
    struct reply r;
    int err = rpc(c, &m, &r);
    if (err)
        return err;
    /* A walk that stops short leaves newfid unused. */
    return get(&r, 2) == (name ? 1u : 0u) && !r.bad ? 0 : -ENOENT;
}

int p9_getattr(struct p9_client *c, uint32_t fid, struct p9_attr *a)
{
    struct msg m = begin(c, TGETATTR);
    put32(&m, fid);
    put64(&m, GETATTR_ALL);
    struct reply r;
    int err = rpc(c, &m, &r);
    if (err)
        return err;
    get(&r, 8); /* valid */
    a->qpath = get_qid(&r);
    a->mode = (uint32_t)get(&r, 4);
    a->uid = (uint32_t)get(&r, 4);
    a->gid = (uint32_t)get(&r, 4);
    a->nlink = get(&r, 8);
    a->rdev = get(&r, 8);
    a->size = get(&r, 8);
    a->blksize = get(&r, 8);
    a->blocks = get(&r, 8);
    uint64_t t[6];
    for (int i = 0; i < 6; i++)
        t[i] = get(&r, 8);
    a->atime_ns = t[0] * 1000000000 + t[1];
    a->mtime_ns = t[2] * 1000000000 + t[3];
    a->ctime_ns = t[4] * 1000000000 + t[5];
    return r.bad ? -EIO : 0;
}

int p9_setattr(struct p9_client *c, uint32_t fid, const struct p9_setattr *s)
{
    struct msg m = begin(c, TSETATTR);
    put32(&m, fid);
    put32(&m, s->valid);
    put32(&m, s->mode);
    put32(&m, s->uid);
    put32(&m, s->gid);
    put64(&m, s->size);
    put64(&m, s->atime_sec);
    put64(&m, s->atime_nsec);
    put64(&m, s->mtime_sec);
    put64(&m, s->mtime_nsec);
    return call(c, &m);
}

int p9_lopen(struct p9_client *c, uint32_t fid, uint32_t flags)
{
    struct msg m = begin(c, TLOPEN);
    put32(&m, fid);
    put32(&m, flags);
    return call(c, &m);
}

size_t p9_io_max(const struct p9_client *c)
{
    return c->msize - IO_HEADER - 9; /* and a little room */
}

ssize_t p9_read(struct p9_client *c, uint32_t fid, uint64_t off, void *buf, size_t len)
{
    struct msg m = begin(c, TREAD);
    put32(&m, fid);
    put64(&m, off);
    put32(&m, (uint32_t)MIN(len, p9_io_max(c)));
    struct reply r;
    int err = rpc(c, &m, &r);
    if (err)
        return err;
    size_t n = (size_t)get(&r, 4);
    if (r.bad || n > len || r.pos + n > r.len)
        return -EIO;
    memcpy(buf, r.buf + r.pos, n);
    return (ssize_t)n;
}

ssize_t p9_write(struct p9_client *c, uint32_t fid, uint64_t off, const void *buf, size_t len)
{
    len = MIN(len, p9_io_max(c));
    struct msg m = begin(c, TWRITE);
    put32(&m, fid);
    put64(&m, off);
    put32(&m, (uint32_t)len);
    put(&m, buf, len);
    struct reply r;
    int err = rpc(c, &m, &r);
    if (err)
        return err;
    size_t n = (size_t)get(&r, 4);
    return r.bad || n > len ? -EIO : (ssize_t)n;
}

int p9_fsync(struct p9_client *c, uint32_t fid, bool datasync)
{
    struct msg m = begin(c, TFSYNC);
    put32(&m, fid);
    put32(&m, datasync ? 1 : 0);
    return call(c, &m);
}

int p9_mknod(struct p9_client *c, uint32_t dfid, const char *name, size_t len, uint32_t mode,
             uint32_t gid)
{
    struct msg m = begin(c, TMKNOD);
    put32(&m, dfid);
    put_name(&m, name, len);
    put32(&m, mode);
    put32(&m, 0); /* major */
    put32(&m, 0); /* minor */
    put32(&m, gid);
    return call(c, &m);
}

int p9_mkdir(struct p9_client *c, uint32_t dfid, const char *name, size_t len, uint32_t mode,
             uint32_t gid)
{
    struct msg m = begin(c, TMKDIR);
    put32(&m, dfid);
    put_name(&m, name, len);
    put32(&m, mode);
    put32(&m, gid);
    return call(c, &m);
}

int p9_symlink(struct p9_client *c, uint32_t dfid, const char *name, size_t len, const char *target,
               uint32_t gid)
{
    struct msg m = begin(c, TSYMLINK);
    put32(&m, dfid);
    put_name(&m, name, len);
    put_name(&m, target, strlen(target));
    put32(&m, gid);
    return call(c, &m);
}

int p9_link(struct p9_client *c, uint32_t dfid, uint32_t fid, const char *name, size_t len)
{
    struct msg m = begin(c, TLINK);
    put32(&m, dfid);
    put32(&m, fid);
    put_name(&m, name, len);
    return call(c, &m);
}

char *p9_readlink(struct p9_client *c, uint32_t fid)
{
    struct msg m = begin(c, TREADLINK);
    put32(&m, fid);
    struct reply r;
    if (rpc(c, &m, &r))
        return NULL;
    size_t len;
    const char *s = get_name(&r, &len);
    char *out = r.bad ? NULL : kmalloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

int p9_unlinkat(struct p9_client *c, uint32_t dfid, const char *name, size_t len, uint32_t flags)
{
    struct msg m = begin(c, TUNLINKAT);
    put32(&m, dfid);
    put_name(&m, name, len);
    put32(&m, flags);
    return call(c, &m);
}

int p9_renameat(struct p9_client *c, uint32_t odfid, const char *oname, size_t olen, uint32_t ndfid,
                const char *nname, size_t nlen)
{
    struct msg m = begin(c, TRENAMEAT);
    put32(&m, odfid);
    put_name(&m, oname, olen);
    put32(&m, ndfid);
    put_name(&m, nname, nlen);
    return call(c, &m);
}

int p9_statfs(struct p9_client *c, uint32_t fid, struct p9_statfs *s)
{
    struct msg m = begin(c, TSTATFS);
    put32(&m, fid);
    struct reply r;
    int err = rpc(c, &m, &r);
    if (err)
        return err;
    s->type = (uint32_t)get(&r, 4);
    s->bsize = (uint32_t)get(&r, 4);
    s->blocks = get(&r, 8);
    s->bfree = get(&r, 8);
    s->bavail = get(&r, 8);
    s->files = get(&r, 8);
    s->ffree = get(&r, 8);
    s->fsid = get(&r, 8);
    s->namelen = (uint32_t)get(&r, 4);
    return r.bad ? -EIO : 0;
}

int p9_readdir(struct p9_client *c, uint32_t fid, uint64_t off,
               int (*each)(void *arg, const struct p9_dirent *e), void *arg)
{
    struct msg m = begin(c, TREADDIR);
    put32(&m, fid);
    put64(&m, off);
    put32(&m, (uint32_t)p9_io_max(c));
    struct reply r;
    int err = rpc(c, &m, &r);
    if (err)
        return err;
    size_t count = (size_t)get(&r, 4);
    if (r.bad || r.pos + count > r.len)
        return -EIO;
    r.len = r.pos + count;
    int n = 0;
    while (r.pos < r.len) {
        struct p9_dirent e;
        e.qpath = get_qid(&r);
        e.next = get(&r, 8);
        e.dtype = (uint8_t)get(&r, 1);
        e.name = get_name(&r, &e.len);
        if (r.bad)
            return n ? n : -EIO;
        n++;
        if (each(arg, &e))
            break;
    }
    return n;
}
