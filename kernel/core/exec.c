/*
 * Loading the program. The image builder has already refused dynamic
 * programs; the loader checks again because an image can be built by hand
 * or damaged, and a bad ELF must end with a clear message, not a fault.
 */
#include "arch.h"
#include "errno.h"
#include "exec.h"
#include "lib.h"
#include "mm.h"
#include "random.h"
#include "vm.h"

#define ET_EXEC    2
#define ET_DYN     3
#define PT_LOAD    1
#define PT_DYNAMIC 2
#define PT_INTERP  3
#define PT_PHDR    6
#define PF_X       1
#define PF_W       2
#define PF_R       4
#define MAX_PHDRS  64
/* Where a static-PIE goes: Linux's choice for PIE programs run directly. */
#define PIE_BASE 0x555555554000UL

#if defined(__x86_64__)
#define ELF_MACHINE 62
#elif defined(__aarch64__)
#define ELF_MACHINE 183
#endif

struct elf64_ehdr {
    unsigned char ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static int fail(const struct exec_source *src, const char *why)
{
    kprintf("unikit: cannot run %s: %s\n", src->path, why);
    return -ENOEXEC;
}

static bool read_exact(const struct exec_source *src, void *buf, size_t len, uint64_t off)
{
    return src->read(src->ctx, buf, len, off) == (long)len;
}

static int check_header(const struct exec_source *src, const struct elf64_ehdr *eh)
{
    if (memcmp(eh->ident, "\177ELF", 4) != 0)
        return fail(src, "not an ELF file");
    if (eh->ident[4] != 2 || eh->ident[5] != 1)
        return fail(src, "not a 64-bit little-endian ELF file");
    if (eh->machine != ELF_MACHINE)
        return fail(src, "built for another architecture");
    if (eh->type != ET_EXEC && eh->type != ET_DYN)
        return fail(src, "not an executable");
    if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 || eh->phnum > MAX_PHDRS)
        return fail(src, "bad program headers");
    return 0;
}

static int prot_of(uint32_t flags)
{
    return (flags & PF_R ? VM_READ : 0) | (flags & PF_W ? VM_WRITE : 0) |
           (flags & PF_X ? VM_EXEC : 0);
}

/* Maps one PT_LOAD: writable while its bytes are copied in, then its own protection. */
static int load_segment(const struct exec_source *src, const struct elf64_phdr *ph, uintptr_t base)
{
    uintptr_t va = base + ph->vaddr;
    uintptr_t start = ALIGN_DOWN(va, PAGE_SIZE);
    uintptr_t end = ALIGN_UP(va + ph->memsz, PAGE_SIZE);

    if (ph->filesz > ph->memsz || va + ph->memsz < va || end > VM_USER_TOP || start < PAGE_SIZE)
        return fail(src, "segment outside the program's address space");
    if (vm_map_fixed(start, end - start, VM_READ | VM_WRITE) < 0)
        return -ENOMEM;
    if (ph->filesz && !read_exact(src, (void *)va, ph->filesz, ph->offset))
        return fail(src, "truncated file");
    if (ph->filesz && src->ip && src->map_name)
        vm_name_file(start, ALIGN_UP(va + ph->filesz, PAGE_SIZE) - start, src->map_name, src->ip,
                     ph->offset / PAGE_SIZE);
    return vm_protect(start, end - start, prot_of(ph->flags));
}

static int load_segments(const struct exec_source *src, const struct elf64_ehdr *eh,
                         const struct elf64_phdr *ph, struct exec_image *img)
{
    for (size_t i = 0; i < eh->phnum; i++) {
        if (ph[i].type == PT_INTERP)
            return fail(src, "dynamically linked (it names an interpreter); build it -static");
    }
    img->base = eh->type == ET_DYN ? PIE_BASE : 0;
    img->entry = img->base + eh->entry;
    img->phnum = eh->phnum;
    img->brk = 0;
    img->phdr = 0;
    for (size_t i = 0; i < eh->phnum; i++) {
        if (ph[i].type == PT_PHDR)
            img->phdr = img->base + ph[i].vaddr;
        if (ph[i].type != PT_LOAD)
            continue;
        int err = load_segment(src, &ph[i], img->base);
        if (err)
            return err;
        img->brk = MAX(img->brk, img->base + ph[i].vaddr + ph[i].memsz);
        if (!img->phdr && eh->phoff >= ph[i].offset && eh->phoff < ph[i].offset + ph[i].filesz)
            img->phdr = img->base + ph[i].vaddr + (eh->phoff - ph[i].offset);
    }
    if (!img->brk)
        return fail(src, "no loadable segment");
    return 0;
}

int exec_load(const struct exec_source *src, struct exec_image *img)
{
    struct elf64_ehdr eh;
    struct elf64_phdr ph[MAX_PHDRS];

    if (!read_exact(src, &eh, sizeof(eh), 0))
        return fail(src, "not an ELF file (too short)");
    int err = check_header(src, &eh);
    if (err)
        return err;
    if (!read_exact(src, ph, eh.phnum * sizeof(ph[0]), eh.phoff))
        return fail(src, "truncated program headers");
    return load_segments(src, &eh, ph, img);
}

/* ---- the initial stack ---------------------------------------------------- */
#define AT_NULL     0
#define AT_PHDR     3
#define AT_PHENT    4
#define AT_PHNUM    5
#define AT_PAGESZ   6
#define AT_BASE     7
#define AT_FLAGS    8
#define AT_ENTRY    9
#define AT_UID      11
#define AT_EUID     12
#define AT_GID      13
#define AT_EGID     14
#define AT_PLATFORM 15
#define AT_HWCAP    16
#define AT_CLKTCK   17
#define AT_SECURE   23
#define AT_RANDOM   25
#define AT_EXECFN   31

struct stack_builder {
    uintptr_t sp; /* moves down */
};

static uintptr_t push_bytes(struct stack_builder *b, const void *data, size_t len)
{
    b->sp -= len;
    memcpy((void *)b->sp, data, len);
    return b->sp;
}

static uintptr_t push_string(struct stack_builder *b, const char *s)
{
    return push_bytes(b, s, strlen(s) + 1);
}

static size_t count(char *const v[])
{
    size_t n = 0;
    while (v[n])
        n++;
    return n;
}

uintptr_t exec_build_stack(const struct exec_image *img, char *const argv[], char *const envp[],
                           const char *execfn)
{
    uintptr_t top = VM_USER_TOP;
    if (vm_map_fixed(top - VM_STACK_SIZE, VM_STACK_SIZE, VM_READ | VM_WRITE | VM_STACK) < 0)
        panic("no memory for the program's stack");

    struct stack_builder b = {top};
    size_t argc = count(argv), envc = count(envp);
    uintptr_t arg_ptrs[argc + 1], env_ptrs[envc + 1];
    uintptr_t fn = push_string(&b, execfn);
    for (size_t i = 0; i < envc; i++)
        env_ptrs[i] = push_string(&b, envp[i]);
    for (size_t i = 0; i < argc; i++)
        arg_ptrs[i] = push_string(&b, argv[i]);
    arg_ptrs[argc] = env_ptrs[envc] = 0;
    uintptr_t platform = push_string(&b, arch_name());
    uint8_t rnd[16];
    random_bytes(rnd, sizeof(rnd));
    uintptr_t random = push_bytes(&b, rnd, sizeof(rnd));

    uint64_t auxv[][2] = {
        {AT_PHDR, img->phdr},
        {AT_PHENT, 56},
        {AT_PHNUM, img->phnum},
        {AT_PAGESZ, PAGE_SIZE},
        {AT_BASE, 0},
        {AT_FLAGS, 0},
        {AT_ENTRY, img->entry},
        {AT_UID, 0},
        {AT_EUID, 0},
        {AT_GID, 0},
        {AT_EGID, 0},
        {AT_PLATFORM, platform},
        {AT_HWCAP, arch_hwcap()},
        {AT_CLKTCK, 100},
        {AT_SECURE, 0},
        {AT_RANDOM, random},
        {AT_EXECFN, fn},
        {AT_NULL, 0},
    };
    /* argc, argv[], NULL, envp[], NULL, auxv: 16-byte aligned at argc. */
    size_t words = 1 + argc + 1 + envc + 1 + ARRAY_SIZE(auxv) * 2;
    b.sp = ALIGN_DOWN(b.sp - words * 8, 16);
    uint64_t *w = (uint64_t *)b.sp;
    *w++ = argc;
    memcpy(w, arg_ptrs, (argc + 1) * 8), w += argc + 1;
    memcpy(w, env_ptrs, (envc + 1) * 8), w += envc + 1;
    memcpy(w, auxv, sizeof(auxv));
    return b.sp;
}
