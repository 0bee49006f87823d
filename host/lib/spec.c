#include "spec.h"

#include <elf.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kpack.h"
#include "util.h"

/* Calls the C libraries make on the way out whatever the analysis finds. */
static const char *const always[] = {"exit", "exit_group", NULL};
/* A handler installed with rt_sigaction returns through rt_sigreturn. */
static const char *const needs_sigreturn[] = {"rt_sigaction", NULL};
/* Calls that can tell one CPU from several: the image starts the others. */
static const char *const smp_calls[] = {
    "clone", "clone3", "sched_getaffinity", "sched_setaffinity", "getcpu", NULL};

/* Subsystems whose handlers live elsewhere (pipe2 is a file call; the
   socket calls are kernel/linux/socket.c's, which hands all but AF_UNIX to
   the network object), or that a hook brings in: the calls that pull them
   in. */
static const char *const *pulled_by(const char *subsystem)
{
    static const char *const pipes[] = {"pipe", "pipe2", NULL};
    static const char *const network[] = {"socket",      "bind",       "listen",     "accept",
                                          "accept4",     "connect",    "sendto",     "recvfrom",
                                          "sendmsg",     "recvmsg",    "shutdown",   "getsockname",
                                          "getpeername", "setsockopt", "getsockopt", NULL};
    if (strcmp(subsystem, "pipes") == 0)
        return pipes;
    if (strcmp(subsystem, "network") == 0)
        return network;
    if (strcmp(subsystem, "smp") == 0)
        return smp_calls;
    return NULL;
}

/* ---- the table ------------------------------------------------------------------ */

int spec_table_load(const char *arch, struct spec_table *t, char *err, size_t errlen)
{
    char *libdir = unikit_libdir();
    char *path = xasprintf("%s/%s/syscalls.tbl", libdir, arch);
    free(libdir);
    FILE *f = fopen(path, "r");
    memset(t, 0, sizeof(*t));
    if (!f) {
        errorf(err, errlen, "%s: %s (build unikit with `make` first)", path, strerror(errno));
        free(path);
        return -1;
    }
    free(path);
    char line[256], name[128];
    int nr;
    size_t cap = 0;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#' || sscanf(line, "%d %127s", &nr, name) != 2 || nr < 0 ||
            nr >= SYSCAN_MAX_NR)
            continue;
        if (t->n == cap) {
            cap = cap ? 2 * cap : 512;
            t->nr = realloc(t->nr, cap * sizeof(*t->nr));
            t->name = realloc(t->name, cap * sizeof(*t->name));
            if (!t->nr || !t->name)
                abort();
        }
        t->nr[t->n] = nr;
        t->name[t->n++] = xstrdup(name);
        t->max = nr > t->max ? nr : t->max;
    }
    fclose(f);
    return 0;
}

void spec_table_free(struct spec_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->name[i]);
    free(t->name);
    free(t->nr);
    memset(t, 0, sizeof(*t));
}

int spec_table_find(const struct spec_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->name[i], name) == 0)
            return t->nr[i];
    return -1;
}

static const char *name_of(const struct spec_table *t, int nr)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->nr[i] == nr)
            return t->name[i];
    return NULL;
}

static bool one_of(const char *name, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(name, *names) == 0)
            return true;
    return false;
}

static bool any_in(const struct spec *s, const struct spec_table *t, const char *const *names)
{
    for (; *names; names++) {
        int nr = spec_table_find(t, *names);
        if (nr >= 0 && s->in[nr])
            return true;
    }
    return false;
}

static void add_all(struct spec *s, const struct spec_table *t, const char *const *names)
{
    for (; *names; names++) {
        int nr = spec_table_find(t, *names);
        if (nr >= 0)
            s->in[nr] = true;
    }
}

/* ---- deciding ------------------------------------------------------------------- */

/* A `syscalls:` name must be some architecture's call: on this one it may be
   missing (open is x86_64's only), and is then nothing to add. */
static int add_unikfile_calls(const struct unikfile *uf, const char *arch,
                              const struct spec_table *t, struct spec *s, char *err, size_t errlen)
{
    const char *other = strcmp(arch, "x86_64") == 0 ? "aarch64" : "x86_64";
    struct spec_table ot = {0};
    bool have_other = false;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < uf->nsyscalls; i++) {
        int nr = spec_table_find(t, uf->syscalls[i]);
        if (nr >= 0) {
            s->added[nr] = !s->in[nr];
            s->in[nr] = true;
            continue;
        }
        char oerr[256];
        if (!have_other)
            have_other = spec_table_load(other, &ot, oerr, sizeof(oerr)) == 0;
        if (!have_other || spec_table_find(&ot, uf->syscalls[i]) < 0)
            rc = errorf(err, errlen,
                        "%s:%zu: field 'syscalls': '%s' is not a Linux system call on x86_64 or "
                        "aarch64",
                        uf->path, uf->syscall_line ? uf->syscall_line[i] : 0, uf->syscalls[i]);
    }
    spec_table_free(&ot);
    return rc;
}

int spec_decide(const struct unikfile *uf, const char *program, const char *arch,
                const struct spec_table *t, struct spec *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->unpacked = !uf->pack;
    if (add_unikfile_calls(uf, arch, t, s, err, errlen) < 0)
        return -1;
    if (!uf->specialize) {
        snprintf(s->why, sizeof(s->why), "the Unikfile says specialize: false");
        s->smp = true;
        s->volumes = true;
        return 0;
    }
    struct syscan_result *r = xcalloc(1, sizeof(*r));
    if (syscan_program(program, arch, r, err, errlen) < 0) {
        free(r);
        return -1;
    }
    s->complete = r->complete;
    if (!r->complete) {
        snprintf(s->why, sizeof(s->why), "the analysis could not bound the calls: %s", r->why);
        s->smp = true;
        s->volumes = true;
        free(r);
        return 0;
    }
    for (int nr = 0; nr < SYSCAN_MAX_NR; nr++)
        if (r->nr[nr]) {
            s->in[nr] = true;
            s->added[nr] = false;
        }
    free(r);
    add_all(s, t, always);
    if (any_in(s, t, needs_sigreturn))
        add_all(s, t, (const char *const[]){"rt_sigreturn", NULL});
    s->smp = any_in(s, t, smp_calls);
    /* Declared volumes get an anonymous volume at every run: link the
       client. Otherwise only a `run -v` needs it, and relinks. */
    s->volumes = uf->nvolumes > 0;
    s->specialized = true;
    return 0;
}

/* The names the kernel's warnings and --trace-syscalls print, every one
   of Linux's (3.6 kB: a warning names the call, whatever the image holds),
   one per number, ended by a NUL, empty where Linux has none; and one bit
   per number for the calls this image leaves out, so that their warning
   says so. */
static void write_names(FILE *f, const struct spec_table *t, const struct spec *s)
{
    fprintf(f, "\t.section .rodata.syscall_names, \"a\"\n\t.globl syscall_names\n"
               "syscall_names:\n");
    for (int nr = 0; nr <= t->max; nr++) {
        const char *name = name_of(t, nr);
        if (name)
            fprintf(f, "\t.asciz \"%s\"\n", name);
        else
            fprintf(f, "\t.byte 0\n");
    }
    fprintf(f, "\t.section .rodata.syscall_left_out, \"a\"\n\t.globl syscall_left_out\n"
               "syscall_left_out:\n");
    for (int base = 0; base <= t->max; base += 8) {
        unsigned bits = 0;
        for (int b = 0; b < 8 && base + b <= t->max; b++)
            bits |= name_of(t, base + b) && s && !s->in[base + b] ? 1u << b : 0;
        fprintf(f, "\t.byte %u\n", bits);
    }
}

void spec_write_table(FILE *f, const struct spec_table *t, const struct spec *s)
{
    bool full = !s || !s->specialized;
    /* The handlers of the image's calls, after a NULL at index 0, and one
       index per number (the kernel's syscalls.h). */
    fprintf(f, "\t.section .rodata.syscall_fns, \"a\"\n\t.balign 8\n\t.globl syscall_fns\n"
               "syscall_fns:\n\t.quad 0\n");
    for (int nr = 0; nr <= t->max; nr++) {
        const char *name = name_of(t, nr);
        if (name && (full || s->in[nr]))
            fprintf(f, "\t.weak sys_%s\n\t.quad sys_%s\n", name, name);
    }
    fprintf(f, "\t.section .rodata.syscall_index, \"a\"\n\t.balign 2\n\t.globl syscall_index\n"
               "syscall_index:\n");
    int index = 0;
    for (int nr = 0; nr <= t->max; nr++) {
        const char *name = name_of(t, nr);
        fprintf(f, "\t.2byte %d\n", name && (full || s->in[nr]) ? ++index : 0);
    }
    write_names(f, t, full ? NULL : s);
    fprintf(f,
            "\t.section .rodata.smp_start_hook, \"a\"\n\t.balign 8\n\t.globl smp_start_hook\n"
            "smp_start_hook:\n\t.quad %s\n",
            full || s->smp ? "smp_start" : "0");
    fprintf(f,
            "\t.section .rodata.volume_mount_hook, \"a\"\n\t.balign 8\n\t.globl volume_mount_hook\n"
            "volume_mount_hook:\n\t.quad %s\n",
            !s || s->volumes ? "p9fs_mount_volumes" : "0");
}

/* The record: "UKSPEC1\0", a flags byte, then one bit per system-call number. */
#define RECORD_MAGIC "UKSPEC1"
enum {
    REC_SPECIALIZED = 1,
    REC_SMP = 2,
    REC_VOLUMES = 4,
    REC_NET = 8,
    REC_COMPLETE = 16,
    REC_UNPACKED = 32
};
#define RECORD_LEN (8 + 1 + SYSCAN_MAX_NR / 8)

void spec_write_record(FILE *f, const struct spec *s)
{
    unsigned flags = (s->specialized ? REC_SPECIALIZED : 0) | (s->smp ? REC_SMP : 0) |
                     (s->volumes ? REC_VOLUMES : 0) | (s->net ? REC_NET : 0) |
                     (s->complete ? REC_COMPLETE : 0) | (s->unpacked ? REC_UNPACKED : 0);
    fprintf(f, "\t.section .unikit.spec, \"\", %%progbits\n\t.ascii \"%s\\0\"\n\t.byte %u\n",
            RECORD_MAGIC, flags);
    for (int i = 0; i < SYSCAN_MAX_NR / 8; i++) {
        unsigned byte = 0;
        for (int b = 0; b < 8; b++)
            byte |= s->in[i * 8 + b] ? 1u << b : 0;
        fprintf(f, "\t.byte %u\n", byte);
    }
}

int spec_read_record(const unsigned char *data, size_t len, struct spec *s)
{
    if (len < RECORD_LEN || memcmp(data, RECORD_MAGIC, 8) != 0)
        return -1;
    memset(s, 0, sizeof(*s));
    unsigned flags = data[8];
    s->specialized = flags & REC_SPECIALIZED;
    s->smp = flags & REC_SMP;
    s->volumes = flags & REC_VOLUMES;
    s->net = flags & REC_NET;
    s->complete = flags & REC_COMPLETE;
    s->unpacked = flags & REC_UNPACKED;
    for (int nr = 0; nr < SYSCAN_MAX_NR; nr++)
        s->in[nr] = data[9 + nr / 8] >> (nr % 8) & 1;
    return 0;
}

/* ---- sizes ---------------------------------------------------------------------- */

struct owner {
    char *symbol;
    char *subsystem;
};

struct owners {
    struct owner *v;
    size_t n;
    char **names; /* the subsystems, in first-seen order */
    size_t nnames;
};

static int owner_cmp(const void *a, const void *b)
{
    return strcmp(((const struct owner *)a)->symbol, ((const struct owner *)b)->symbol);
}

static void owners_load(const char *arch, struct owners *o)
{
    char *libdir = unikit_libdir();
    char *path = xasprintf("%s/%s/subsystems.txt", libdir, arch);
    FILE *f = fopen(path, "r");
    free(libdir);
    free(path);
    char sub[128], sym[512];
    size_t cap = 0;
    while (f && fscanf(f, "%127s %511s", sub, sym) == 2) {
        if (o->n == cap) {
            cap = cap ? 2 * cap : 1024;
            o->v = realloc(o->v, cap * sizeof(*o->v));
            if (!o->v)
                abort();
        }
        bool known = false;
        for (size_t i = 0; i < o->nnames && !known; i++)
            known = strcmp(o->names[i], sub) == 0;
        if (!known) {
            o->names = realloc(o->names, (o->nnames + 1) * sizeof(*o->names));
            if (!o->names)
                abort();
            o->names[o->nnames++] = xstrdup(sub);
        }
        o->v[o->n++] = (struct owner){xstrdup(sym), xstrdup(sub)};
    }
    if (f)
        fclose(f);
    if (o->n) /* none: a lib/unikit without the list (being rebuilt) */
        qsort(o->v, o->n, sizeof(*o->v), owner_cmp);
}

static void owners_free(struct owners *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].symbol);
        free(o->v[i].subsystem);
    }
    for (size_t i = 0; i < o->nnames; i++)
        free(o->names[i]);
    free(o->v);
    free(o->names);
}

static const char *owner_of(const struct owners *o, const char *symbol)
{
    struct owner key = {(char *)symbol, NULL};
    struct owner *hit = o->n ? bsearch(&key, o->v, o->n, sizeof(*o->v), owner_cmp) : NULL;
    return hit ? hit->subsystem : NULL;
}

static size_t subsystem_index(const struct owners *o, const char *name)
{
    for (size_t i = 0; i < o->nnames; i++)
        if (strcmp(o->names[i], name) == 0)
            return i;
    return o->nnames;
}

/* An ELF file read whole: its section headers, symbols and their names. */
struct elf_image {
    unsigned char *data;
    size_t size;
    Elf64_Shdr *sh;
    size_t nsh;
};

static bool elf_read(const char *path, struct elf_image *e)
{
    FILE *f = fopen(path, "rb");
    memset(e, 0, sizeof(*e));
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    e->data = size > (long)sizeof(Elf64_Ehdr) ? malloc((size_t)size) : NULL;
    bool ok = e->data && fread(e->data, 1, (size_t)size, f) == (size_t)size;
    fclose(f);
    if (!ok)
        return false;
    e->size = (size_t)size;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)e->data;
    if (eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > e->size)
        return false;
    e->sh = (Elf64_Shdr *)(e->data + eh->e_shoff);
    e->nsh = eh->e_shnum;
    return true;
}

/* Kernel bytes the image carries: its loaded sections, less the program's. */
static uint64_t kernel_bytes(const struct elf_image *e)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)e->data;
    const Elf64_Shdr *names = eh->e_shstrndx < e->nsh ? &e->sh[eh->e_shstrndx] : NULL;
    uint64_t total = 0;
    for (size_t i = 0; names && i < e->nsh; i++) {
        const Elf64_Shdr *s = &e->sh[i];
        const char *name = s->sh_name < names->sh_size
                               ? (const char *)e->data + names->sh_offset + s->sh_name
                               : "";
        if ((s->sh_flags & SHF_ALLOC) && s->sh_type != SHT_NOBITS &&
            strncmp(name, ".unikit.", 8) != 0)
            total += s->sh_size;
    }
    return total;
}

/* Why the 9P client is in the image or not (host/lib/relink.h). */
static const char *volumes_reason(const struct spec *s)
{
    if (!s->specialized)
        return "linked (the full kernel)";
    if (s->volumes)
        return "linked (the Unikfile declares volumes:)";
    return "left out (no volumes: in the Unikfile); `run -v` links the kernel again with them";
}

/* Adds each sized symbol's bytes to its subsystem's (bss left out: it costs
   memory, not image bytes); marks which sys_NAME handlers are present. */
static void sum_symbols(const struct elf_image *e, const struct owners *o, uint64_t *bytes,
                        const struct spec_table *t, bool *handler)
{
    for (size_t i = 0; i < e->nsh; i++) {
        const Elf64_Shdr *st = &e->sh[i];
        if (st->sh_type != SHT_SYMTAB || st->sh_link >= e->nsh ||
            st->sh_offset + st->sh_size > e->size)
            continue;
        const Elf64_Shdr *strs = &e->sh[st->sh_link];
        const Elf64_Sym *sym = (const Elf64_Sym *)(e->data + st->sh_offset);
        for (size_t k = 0; k < st->sh_size / sizeof(*sym); k++) {
            if (sym[k].st_name >= strs->sh_size || sym[k].st_shndx >= e->nsh ||
                sym[k].st_shndx == SHN_UNDEF)
                continue;
            const char *name = (const char *)e->data + strs->sh_offset + sym[k].st_name;
            const Elf64_Shdr *in = &e->sh[sym[k].st_shndx];
            if (handler && strncmp(name, "sys_", 4) == 0) {
                int nr = spec_table_find(t, name + 4);
                if (nr >= 0)
                    handler[nr] = true;
            }
            const char *sub = owner_of(o, name);
            if (sub && sym[k].st_size && in->sh_type != SHT_NOBITS)
                bytes[subsystem_index(o, sub)] += sym[k].st_size;
        }
    }
}

static json_t *subsystem_json(const char *name, uint64_t bytes, uint64_t full, json_t *calls)
{
    return json_pack("{s:s, s:I, s:I, s:o}", "name", name, "bytes", (json_int_t)bytes, "full_bytes",
                     (json_int_t)full, "calls", calls);
}

/* {"code": bytes, "stored": bytes} for a packed kernel, null for another. */
static json_t *packing_json(const char *image)
{
    uint64_t code, stored;
    if (kernel_packed_sizes(image, &code, &stored) != 0)
        return json_null();
    return json_pack("{s:I, s:I}", "code", (json_int_t)code, "stored", (json_int_t)stored);
}

char *spec_explain(const struct spec *s, const struct spec_table *t, const char *arch,
                   const char *linked, const char *full, const char *image)
{
    struct owners o = {0};
    owners_load(arch, &o);
    uint64_t *bytes = xcalloc(o.nnames + 1, sizeof(uint64_t));
    uint64_t *full_bytes = xcalloc(o.nnames + 1, sizeof(uint64_t));
    bool *handler = xcalloc(SYSCAN_MAX_NR, sizeof(bool));
    struct elf_image le, fe;
    bool have_linked = elf_read(linked, &le), have_full = full && elf_read(full, &fe);
    if (have_linked)
        sum_symbols(&le, &o, bytes, t, handler);
    if (have_full)
        sum_symbols(&fe, &o, full_bytes, t, NULL);
    json_t *subs = json_array(), *calls = json_array(), *added = json_array();
    for (size_t i = 0; i < o.nnames; i++) {
        json_t *pulled = json_array();
        const char *const *via = pulled_by(o.names[i]);
        for (size_t k = 0; k < t->n; k++) {
            char sym[160];
            snprintf(sym, sizeof(sym), "sys_%s", t->name[k]);
            const char *sub = owner_of(&o, sym);
            bool in = s->specialized ? s->in[t->nr[k]] : handler[t->nr[k]];
            bool pulls = via ? in && bytes[i] && one_of(t->name[k], via)
                             : handler[t->nr[k]] && sub && strcmp(sub, o.names[i]) == 0;
            if (pulls)
                json_array_append_new(pulled, json_string(t->name[k]));
        }
        json_array_append_new(subs, subsystem_json(o.names[i], bytes[i],
                                                   have_full ? full_bytes[i] : bytes[i], pulled));
    }
    for (size_t k = 0; k < t->n; k++) {
        if (s->specialized && s->in[t->nr[k]])
            json_array_append_new(calls, json_string(t->name[k]));
        if (s->specialized && s->added[t->nr[k]])
            json_array_append_new(added, json_string(t->name[k]));
    }
    uint64_t kb = have_linked ? kernel_bytes(&le) : 0;
    json_t *doc =
        json_pack("{s:b, s:b, s:s, s:o, s:o, s:i, s:I, s:I, s:o, s:s}", "specialized",
                  s->specialized, "complete", s->complete, "reason", s->why, "syscalls", calls,
                  "added", added, "table", (int)t->n, "kernel_bytes", (json_int_t)kb,
                  "full_kernel_bytes", (json_int_t)(have_full ? kernel_bytes(&fe) : kb),
                  "subsystems", subs, "volumes", volumes_reason(s));
    json_object_set_new(doc, "packed", packing_json(image));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (have_linked || le.data)
        free(le.data);
    if (full && (have_full || fe.data))
        free(fe.data);
    free(bytes);
    free(full_bytes);
    free(handler);
    owners_free(&o);
    return text;
}

/* ---- telling --------------------------------------------------------------------- */

void spec_summary(const char *explain_json, char *buf, size_t len)
{
    json_t *doc = explain_json ? json_loads(explain_json, 0, NULL) : NULL;
    if (!doc) {
        snprintf(buf, len, "not specialised");
        return;
    }
    if (!json_is_true(json_object_get(doc, "specialized"))) {
        snprintf(buf, len, "not specialised: %s",
                 json_string_value(json_object_get(doc, "reason")));
    } else {
        char saved[32];
        json_int_t kb = json_integer_value(json_object_get(doc, "kernel_bytes"));
        json_int_t full = json_integer_value(json_object_get(doc, "full_kernel_bytes"));
        format_size((unsigned long long)(full > kb ? full - kb : 0), saved, sizeof(saved));
        snprintf(buf, len, "specialised to %zu of %d system calls, %s smaller",
                 json_array_size(json_object_get(doc, "syscalls")),
                 (int)json_integer_value(json_object_get(doc, "table")), saved);
    }
    json_decref(doc);
}

static void print_calls(FILE *out, json_t *calls)
{
    size_t i;
    json_t *c;
    json_array_foreach(calls, i, c) fprintf(out, "%s%s", i ? " " : "", json_string_value(c));
}

void spec_print_explain(FILE *out, const char *arch, const char *explain_json)
{
    json_t *doc = explain_json ? json_loads(explain_json, 0, NULL) : NULL;
    if (!doc) {
        fprintf(out, "%s: no specialisation recorded (an image built before it)\n", arch);
        return;
    }
    bool spec = json_is_true(json_object_get(doc, "specialized"));
    json_t *calls = json_object_get(doc, "syscalls");
    fprintf(out, "%s: %s\n", arch, spec ? "specialised" : "not specialised: the full kernel");
    fprintf(out, "  analysis: %s\n",
            json_is_true(json_object_get(doc, "complete"))
                ? "complete (every system-call site's number was found)"
                : json_string_value(json_object_get(doc, "reason")));
    if (spec) {
        fprintf(out, "  system calls: %zu of %d: ", json_array_size(calls),
                (int)json_integer_value(json_object_get(doc, "table")));
        print_calls(out, calls);
        fprintf(out, "\n");
        if (json_array_size(json_object_get(doc, "added"))) {
            fprintf(out, "  added by the Unikfile's syscalls: ");
            print_calls(out, json_object_get(doc, "added"));
            fprintf(out, "\n");
        }
    }
    if (json_is_string(json_object_get(doc, "volumes")))
        fprintf(out, "  volumes: %s\n", json_string_value(json_object_get(doc, "volumes")));
    fprintf(out, "  %-20s %-10s %10s %10s  %s\n", "SUBSYSTEM", "STATUS", "BYTES", "FULL",
            "PULLED IN BY");
    size_t i;
    json_t *sub;
    json_array_foreach(json_object_get(doc, "subsystems"), i, sub)
    {
        json_int_t b = json_integer_value(json_object_get(sub, "bytes"));
        json_int_t f = json_integer_value(json_object_get(sub, "full_bytes"));
        const char *status = b == 0 ? "left out" : b < f ? "part" : "linked";
        fprintf(out, "  %-20s %-10s %10lld %10lld  ",
                json_string_value(json_object_get(sub, "name")), status, (long long)b,
                (long long)f);
        print_calls(out, json_object_get(sub, "calls"));
        fprintf(out, "\n");
    }
    fprintf(out, "  kernel total: %lld bytes of %lld in the full kernel\n",
            (long long)json_integer_value(json_object_get(doc, "kernel_bytes")),
            (long long)json_integer_value(json_object_get(doc, "full_kernel_bytes")));
    json_t *packed = json_object_get(doc, "packed");
    if (json_is_object(packed))
        fprintf(out,
                "  packed: %lld bytes of code and read-only data stored in %lld (gzip), "
                "unpacked at boot\n",
                (long long)json_integer_value(json_object_get(packed, "code")),
                (long long)json_integer_value(json_object_get(packed, "stored")));
    else if (packed)
        fprintf(out, "  packed: no (pack: false, or UNIKIT_KEEP_SYMBOLS=1)\n");
    json_decref(doc);
}
