/*
 * The system calls a program can make, found in objdump's disassembly.
 *
 * From each system-call instruction the number register is followed
 * backwards over every path that reaches it (fall-through, direct
 * branches, and, in a function with an indirect jump, that jump too): a
 * constant load ends a path with a number, a register copy goes on with
 * the source register, the function's entry makes the function a wrapper
 * whose callers are followed the same way, and anything else (a load, an
 * arithmetic result, a call's clobber, a wrapper whose address escapes)
 * makes the set unbounded. Over-approximating is safe; missing a path is
 * not, so every doubt counts as "unbounded".
 */
#include "syscan.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum { REG_NONE = -1, REG_ZERO = -2 };

struct insn {
    uint64_t addr;
    size_t fn;
    char *mn;      /* mnemonic, prefixes dropped */
    char *ops;     /* operands */
    char *comment; /* objdump's "# 401000 <f>" or "// #64", or "" */
    bool rep;      /* x86 rep prefix */
};

struct func {
    uint64_t start;
    char *name;
    size_t first, end; /* its instructions: [first, end) */
    bool indirect;     /* has an indirect jump: any instruction may follow it */
    bool wrapper[32];  /* entry reached for this register: callers followed */
};

struct edge {
    uint64_t target;
    size_t from;
};

struct prog {
    bool arm;
    struct insn *in;
    size_t n, cap;
    struct func *fn;
    size_t nfn, capfn;
    struct edge *edges; /* direct branches and calls, sorted by target */
    size_t nedges;
    unsigned char *seen; /* visited (instruction, register) states */
};

struct state {
    size_t at;
    int reg;
};

struct walk {
    struct prog *p;
    struct syscan_result *out;
    struct state *stack;
    size_t n, cap;
};

/* ---- registers ---------------------------------------------------------------- */

static const char *const x86_regs[16][4] = {
    {"rax", "eax", "ax", "al"},      {"rcx", "ecx", "cx", "cl"},
    {"rdx", "edx", "dx", "dl"},      {"rbx", "ebx", "bx", "bl"},
    {"rsp", "esp", "sp", "spl"},     {"rbp", "ebp", "bp", "bpl"},
    {"rsi", "esi", "si", "sil"},     {"rdi", "edi", "di", "dil"},
    {"r8", "r8d", "r8w", "r8b"},     {"r9", "r9d", "r9w", "r9b"},
    {"r10", "r10d", "r10w", "r10b"}, {"r11", "r11d", "r11w", "r11b"},
    {"r12", "r12d", "r12w", "r12b"}, {"r13", "r13d", "r13w", "r13b"},
    {"r14", "r14d", "r14w", "r14b"}, {"r15", "r15d", "r15w", "r15b"}};

/* "%eax" → 0 with *wide (32 or 64 bits) true; REG_NONE if not a register. */
static int x86_reg(const char *op, bool *wide)
{
    if (op[0] != '%')
        return REG_NONE;
    op++;
    for (int r = 0; r < 16; r++)
        for (int w = 0; w < 4; w++)
            if (strcmp(op, x86_regs[r][w]) == 0) {
                *wide = w < 2;
                return r;
            }
    if (strcmp(op, "ah") == 0 || strcmp(op, "ch") == 0 || strcmp(op, "dh") == 0 ||
        strcmp(op, "bh") == 0) {
        *wide = false;
        return op[0] == 'a' ? 0 : op[0] == 'c' ? 1 : op[0] == 'd' ? 2 : 3;
    }
    return REG_NONE;
}

/* "x8"/"w8" → 8; "xzr"/"wzr" → REG_ZERO; REG_NONE otherwise. */
static int arm_reg(const char *op)
{
    if (strcmp(op, "xzr") == 0 || strcmp(op, "wzr") == 0)
        return REG_ZERO;
    if ((op[0] != 'x' && op[0] != 'w') || !isdigit((unsigned char)op[1]))
        return REG_NONE;
    char *end;
    long r = strtol(op + 1, &end, 10);
    return *end == 0 && r >= 0 && r <= 30 ? (int)r : REG_NONE;
}

/* Whether register r is named anywhere in text (as a whole word). */
static bool mentions_reg(const struct prog *p, const char *text, int r)
{
    for (const char *s = text; *s; s++) {
        if (isalnum((unsigned char)s[0]) && s > text && isalnum((unsigned char)s[-1]))
            continue;
        char word[8];
        size_t n = 0;
        while (n < sizeof(word) - 1 && isalnum((unsigned char)s[n]))
            word[n] = s[n], n++;
        word[n] = 0;
        if (!n)
            continue;
        if (p->arm) {
            if (arm_reg(word) == r)
                return true;
        } else {
            char pct[10];
            bool wide;
            snprintf(pct, sizeof(pct), "%%%s", word);
            if (x86_reg(pct, &wide) == r)
                return true;
        }
    }
    return false;
}

/* ---- operands ------------------------------------------------------------------ */

/* Splits ops at the commas outside () and []: up to max operands. */
static size_t split_ops(const char *ops, char out[][64], size_t max)
{
    size_t n = 0, len = 0;
    int depth = 0;
    if (!*ops)
        return 0;
    for (const char *s = ops;; s++) {
        if (*s == '(' || *s == '[')
            depth++;
        else if (*s == ')' || *s == ']')
            depth--;
        if (*s == 0 || (*s == ',' && depth == 0)) {
            if (n < max) {
                out[n][len < 63 ? len : 63] = 0;
                n++;
            }
            len = 0;
            if (*s == 0)
                break;
            while (s[1] == ' ')
                s++;
            continue;
        }
        if (n < max && len < 63)
            out[n][len] = *s;
        len++;
    }
    return n;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* ---- what an instruction does to a register --------------------------------------- */

enum effect_kind { E_NONE, E_CONST, E_COPY, E_LOW8, E_UNKNOWN };
struct effect {
    enum effect_kind kind;
    long long value;
    int reg;
};

static bool parse_imm(const char *s, long long *v)
{
    char *end;
    if (*s == '$' || *s == '#')
        s++;
    *v = (long long)strtoull(s, &end, 0);
    if (*s == '-')
        *v = strtoll(s, &end, 0);
    return end != s && *end == 0;
}

/* lods, movs, stos... (not movslq, movsbl: sign extensions), which move
   rsi and rdi and, for some, rax. */
static bool x86_string_op(const struct insn *i)
{
    static const char *const ops[] = {"lods", "movs", "cmps", "stos", "scas", "ins", "outs", NULL};
    static const char sizes[] = "bwlqd";
    for (size_t k = 0; ops[k]; k++) {
        size_t n = strlen(ops[k]);
        if (strncmp(i->mn, ops[k], n) == 0 &&
            (i->mn[n] == 0 || (strchr(sizes, i->mn[n]) && i->mn[n + 1] == 0)) &&
            (!*i->ops || strstr(i->ops, "(%rsi)") || strstr(i->ops, "(%rdi)") ||
             strstr(i->ops, "%es:") || strstr(i->ops, "%ds:")))
            return true;
    }
    return false;
}

static bool x86_implicit_write(const struct insn *i, int r)
{
    const char *m = i->mn;
    if (i->rep && (r == 1 || r == 6 || r == 7))
        return true;
    if (starts(m, "call"))
        return r == 0 || r == 1 || r == 2 || r == 6 || r == 7 || (r >= 8 && r <= 11);
    if (strcmp(m, "syscall") == 0 || strcmp(m, "sysenter") == 0 || strcmp(m, "int") == 0)
        return r == 0 || r == 1 || r == 11;
    if (one_of(m, (const char *const[]){"cltq", "cwtl", "cbtw", "cdqe", "cwde", "cbw", "in", "inb",
                                        "inw", "inl", NULL}))
        return r == 0;
    if (one_of(m, (const char *const[]){"cltd", "cqto", "cwtd", "cdq", "cqo", "cwd", NULL}))
        return r == 2;
    if (starts(m, "mul") || starts(m, "div") || starts(m, "idiv") || starts(m, "rdtsc") ||
        starts(m, "xgetbv") || starts(m, "rdpmc") || starts(m, "rdmsr") || starts(m, "cmpxchg"))
        return r == 0 || r == 1 || r == 2;
    if (starts(m, "imul") && !strchr(i->ops, ','))
        return r == 0 || r == 2;
    if (starts(m, "cpuid"))
        return r <= 3;
    if (x86_string_op(i))
        return r == 0 || r == 6 || r == 7;
    if (starts(m, "xchg") || starts(m, "xadd"))
        return mentions_reg(&(struct prog){.arm = false}, i->ops, r);
    return false;
}

static struct effect x86_effect(const struct insn *i, int r)
{
    struct effect e = {E_NONE, 0, 0};
    if (x86_implicit_write(i, r))
        return (struct effect){E_UNKNOWN, 0, 0};
    char op[4][64];
    size_t n = split_ops(i->ops, op, 4);
    bool wide = false, swide = false;
    if (n == 0 || x86_reg(op[n - 1], &wide) != r)
        return e;
    const char *m = i->mn;
    if (starts(m, "cmp") || starts(m, "test") || strcmp(m, "bt") == 0 || starts(m, "btq") ||
        starts(m, "btl") || starts(m, "push") || starts(m, "ucomis") || starts(m, "comis") ||
        starts(m, "ptest") || m[0] == 'j' || starts(m, "out"))
        return e;
    long long v;
    bool is_mov = strcmp(m, "mov") == 0 || strcmp(m, "movq") == 0 || strcmp(m, "movl") == 0 ||
                  strcmp(m, "movabs") == 0;
    if (n == 2 && is_mov && wide && op[0][0] == '$' && parse_imm(op[0], &v))
        return (struct effect){E_CONST, v, 0};
    int s = n == 2 ? x86_reg(op[0], &swide) : REG_NONE;
    if (n == 2 && wide && swide && s >= 0 &&
        (is_mov || strcmp(m, "movslq") == 0 || strcmp(m, "movsxd") == 0))
        return (struct effect){E_COPY, 0, s};
    if (n == 2 && wide && s == r && (starts(m, "xor") || starts(m, "sub")))
        return (struct effect){E_CONST, 0, 0};
    /* musl's clone: xor %eax,%eax then mov $0x38,%al. */
    if (n == 2 && !wide && (strcmp(m, "mov") == 0 || strcmp(m, "movb") == 0) && op[0][0] == '$' &&
        strcmp(op[1] + 1, x86_regs[r][3]) == 0 && parse_imm(op[0], &v))
        return (struct effect){E_LOW8, v & 0xff, 0};
    return (struct effect){E_UNKNOWN, 0, 0};
}

/* Pre- or post-indexed addressing writes its base register back. */
static bool arm_writeback(const char *ops, int r, const struct prog *p)
{
    const char *b = strchr(ops, '[');
    if (!b)
        return false;
    const char *close = strchr(b, ']');
    if (!close || !(close[1] == '!' || (close[1] == ',')))
        return false;
    char base[16] = {0};
    size_t n = 0;
    for (const char *s = b + 1; *s && *s != ',' && *s != ']' && n < sizeof(base) - 1; s++)
        base[n++] = *s;
    (void)p;
    return arm_reg(base) == r;
}

static struct effect arm_effect(const struct insn *i, int r, const struct prog *p)
{
    const char *m = i->mn;
    struct effect none = {E_NONE, 0, 0}, unknown = {E_UNKNOWN, 0, 0};
    if (strcmp(m, "bl") == 0 || strcmp(m, "blr") == 0 || starts(m, "blra"))
        return r <= 18 || r == 30 ? unknown : none;
    if (strcmp(m, "svc") == 0 || strcmp(m, "hvc") == 0 || strcmp(m, "smc") == 0)
        return r == 0 ? unknown : none;
    if (arm_writeback(i->ops, r, p))
        return unknown;
    char op[4][64];
    size_t n = split_ops(i->ops, op, 4);
    if (n == 0)
        return none;
    static const char *const readers[] = {"cmp", "cmn",  "tst",   "ccmp", "ccmn", "fcmp", "fccmp",
                                          "cbz", "cbnz", "tbz",   "tbnz", "b",    "br",   "ret",
                                          "msr", "prfm", "prfum", "dmb",  "dsb",  "isb",  "at",
                                          "dc",  "ic",   "tlbi",  "sys",  "braa", "brab", NULL};
    if (one_of(m, readers) || starts(m, "b."))
        return none;
    bool two = starts(m, "ldp") || starts(m, "ldnp") || starts(m, "ldxp") || starts(m, "ldaxp") ||
               starts(m, "ldadd") || starts(m, "ldclr") || starts(m, "ldeor") ||
               starts(m, "ldset") || starts(m, "ldsmax") || starts(m, "ldsmin") ||
               starts(m, "ldumax") || starts(m, "ldumin") || starts(m, "swp") || starts(m, "cas");
    if (starts(m, "st")) {
        /* Exclusive stores write their status register; others write none. */
        bool status = strstr(m, "xr") || strstr(m, "xp");
        return status && arm_reg(op[0]) == r ? unknown : none;
    }
    if (two) /* casp and friends use register pairs: any mention is a write */
        return mentions_reg(p, i->ops, r) &&
                       (arm_reg(op[0]) == r || (n > 1 && arm_reg(op[1]) == r) || starts(m, "casp"))
                   ? unknown
                   : none;
    if (arm_reg(op[0]) != r)
        return none;
    long long v;
    if (strcmp(m, "mov") == 0 && n == 2 && op[1][0] == '#' && parse_imm(op[1], &v))
        return (struct effect){E_CONST, v, 0};
    int s = n == 2 ? arm_reg(op[1]) : REG_NONE;
    if ((strcmp(m, "mov") == 0 || strcmp(m, "sxtw") == 0) && s == REG_ZERO)
        return (struct effect){E_CONST, 0, 0};
    if ((strcmp(m, "mov") == 0 || strcmp(m, "sxtw") == 0) && s >= 0)
        return (struct effect){E_COPY, 0, s};
    return unknown;
}

static struct effect effect_of(const struct prog *p, const struct insn *i, int r)
{
    return p->arm ? arm_effect(i, r, p) : x86_effect(i, r);
}

/* ---- control flow -------------------------------------------------------------- */

static bool is_syscall_site(const struct prog *p, const struct insn *i)
{
    return p->arm ? strcmp(i->mn, "svc") == 0 : strcmp(i->mn, "syscall") == 0;
}

/* A number the program makes 32-bit calls with, or the like: never bounded. */
static bool is_foreign_entry(const struct prog *p, const struct insn *i)
{
    return !p->arm && (strcmp(i->mn, "sysenter") == 0 ||
                       (strcmp(i->mn, "int") == 0 && strcmp(i->ops, "$0x80") == 0));
}

static bool is_branch(const struct prog *p, const char *m)
{
    if (p->arm)
        return strcmp(m, "b") == 0 || strcmp(m, "bl") == 0 || starts(m, "b.") ||
               strcmp(m, "cbz") == 0 || strcmp(m, "cbnz") == 0 || strcmp(m, "tbz") == 0 ||
               strcmp(m, "tbnz") == 0;
    return m[0] == 'j' || starts(m, "call") || starts(m, "loop") || starts(m, "xbegin");
}

static bool is_call(const struct prog *p, const struct insn *i)
{
    return p->arm ? strcmp(i->mn, "bl") == 0 : starts(i->mn, "call");
}

static bool is_indirect_jump(const struct prog *p, const struct insn *i)
{
    if (p->arm)
        return strcmp(i->mn, "br") == 0 || starts(i->mn, "bra");
    return i->mn[0] == 'j' && strchr(i->ops, '*');
}

/* Whether execution can go on from i to the next instruction. */
static bool falls_through(const struct prog *p, const struct insn *i)
{
    const char *m = i->mn;
    if (p->arm)
        return !(strcmp(m, "b") == 0 || strcmp(m, "br") == 0 || starts(m, "ret") ||
                 starts(m, "bra") || strcmp(m, "udf") == 0);
    return !(starts(m, "jmp") || starts(m, "ret") || strcmp(m, "ud2") == 0);
}

/* The hex target of a direct branch: the last operand's address. */
static bool branch_target(const struct insn *i, uint64_t *target)
{
    const char *s = strrchr(i->ops, ',');
    s = s ? s + 1 : i->ops;
    while (*s == ' ' || *s == '#')
        s++;
    if (!isxdigit((unsigned char)*s) || strchr(s, '*') || strchr(s, '%'))
        return false;
    char *end;
    *target = strtoull(s, &end, 16);
    return end != s && (*end == 0 || *end == ' ');
}

static int edge_cmp(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    return x->target < y->target ? -1 : x->target > y->target;
}

static void build_edges(struct prog *p)
{
    p->edges = xcalloc(p->n + 1, sizeof(*p->edges));
    for (size_t k = 0; k < p->n; k++) {
        struct insn *i = &p->in[k];
        uint64_t t;
        if (is_indirect_jump(p, i))
            p->fn[i->fn].indirect = true;
        else if (is_branch(p, i->mn) && branch_target(i, &t))
            p->edges[p->nedges++] = (struct edge){t, k};
    }
    qsort(p->edges, p->nedges, sizeof(*p->edges), edge_cmp);
}

/* The first edge to target, or nedges. */
static size_t edges_to(const struct prog *p, uint64_t target)
{
    size_t lo = 0, hi = p->nedges;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->edges[mid].target < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- the walk ------------------------------------------------------------------ */

static void unbounded(struct walk *w, const struct insn *i, const char *what)
{
    if (w->out->complete)
        snprintf(w->out->why, sizeof(w->out->why), "%s at %#" PRIx64 " in %s (%s %s)", what,
                 i->addr, w->p->fn[i->fn].name, i->mn, i->ops);
    w->out->complete = false;
}

static void push(struct walk *w, size_t at, int reg)
{
    size_t key = at * 32 + (size_t)reg;
    if (w->p->seen[key / 8] & (1u << (key % 8)))
        return;
    w->p->seen[key / 8] |= (unsigned char)(1u << (key % 8));
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 256;
        w->stack = realloc(w->stack, w->cap * sizeof(*w->stack));
        if (!w->stack)
            abort();
    }
    w->stack[w->n++] = (struct state){at, reg};
}

/* A number outside the table is no call to keep: every kernel answers it ENOSYS. */
static void record(struct walk *w, long long v)
{
    if (v >= 0 && v < SYSCAN_MAX_NR)
        w->out->nr[v] = true;
}

/* Whether the only way into instruction k is from `xor %eR,%eR` just before it. */
static bool zeroed_before(const struct prog *p, size_t k, int reg)
{
    if (k == 0 || p->in[k].fn != p->in[k - 1].fn || p->fn[p->in[k].fn].indirect)
        return false;
    size_t e = edges_to(p, p->in[k].addr);
    if (e < p->nedges && p->edges[e].target == p->in[k].addr)
        return false;
    struct effect x = x86_effect(&p->in[k - 1], reg);
    return strncmp(p->in[k - 1].mn, "xor", 3) == 0 && x.kind == E_CONST && x.value == 0;
}

/* Whether the edge from branch b (taken, or falling through) is only
   taken when reg is 0: `test %rax,%rax; je` or `cbz x8`. */
static bool zero_on_edge(const struct prog *p, size_t b, int reg, bool taken)
{
    const struct insn *i = &p->in[b];
    if (p->arm) {
        char op[3][64];
        if (split_ops(i->ops, op, 3) < 2 || arm_reg(op[0]) != reg)
            return false;
        return strcmp(i->mn, taken ? "cbz" : "cbnz") == 0;
    }
    bool jz = strcmp(i->mn, "je") == 0 || strcmp(i->mn, "jz") == 0;
    bool jnz = strcmp(i->mn, "jne") == 0 || strcmp(i->mn, "jnz") == 0;
    if (b == 0 || !(taken ? jz : jnz) || !starts(p->in[b - 1].mn, "test"))
        return false;
    char op[3][64];
    bool w1, w2;
    return split_ops(p->in[b - 1].ops, op, 3) == 2 && x86_reg(op[0], &w1) == reg &&
           x86_reg(op[1], &w2) == reg && w1 && w2;
}

/* How the value of reg before instruction `from` is set by instruction p. */
static void step(struct walk *w, size_t pred, int reg)
{
    const struct insn *i = &w->p->in[pred];
    struct effect e = effect_of(w->p, i, reg);
    switch (e.kind) {
    case E_NONE:
        push(w, pred, reg);
        break;
    case E_CONST:
        record(w, e.value);
        break;
    case E_COPY:
        push(w, pred, e.reg);
        break;
    case E_LOW8:
        if (zeroed_before(w->p, pred, reg))
            record(w, e.value);
        else
            unbounded(w, i, "a system-call number computed or loaded from memory");
        break;
    case E_UNKNOWN:
        unbounded(w, i, "a system-call number computed or loaded from memory");
        break;
    }
}

/* Whether anything but a direct call or jump refers to f's address: then
   not all its callers can be found. */
static bool address_escapes(const struct prog *p, const struct func *f)
{
    char imm[32], ref[300];
    snprintf(imm, sizeof(imm), "$0x%" PRIx64, f->start);
    snprintf(ref, sizeof(ref), "<%s>", f->name);
    uint64_t pages[32] = {0};
    for (size_t k = 0; k < p->n; k++) {
        const struct insn *i = &p->in[k];
        if (is_branch(p, i->mn))
            continue;
        if (!p->arm && (strstr(i->ops, imm) || strstr(i->comment, ref)))
            return true;
        if (p->arm) {
            char op[3][64];
            size_t n = split_ops(i->ops, op, 3);
            int d = n ? arm_reg(op[0]) : REG_NONE;
            uint64_t t;
            if ((strcmp(i->mn, "adrp") == 0 || strcmp(i->mn, "adr") == 0) && d >= 0 && n == 2 &&
                branch_target(i, &t)) {
                pages[d] = t;
                if (t == f->start)
                    return true;
            } else if (strcmp(i->mn, "add") == 0 && n == 3 && d >= 0 && arm_reg(op[1]) >= 0) {
                long long v;
                if (parse_imm(op[2], &v) && pages[arm_reg(op[1])] + (uint64_t)v == f->start)
                    return true;
            }
        }
    }
    return false;
}

/* The walk reached f's entry: the number is its caller's, in reg. */
static void follow_callers(struct walk *w, struct func *f, int reg, const struct insn *at)
{
    if (f->wrapper[reg])
        return;
    f->wrapper[reg] = true;
    if (address_escapes(w->p, f)) {
        unbounded(w, at, "a wrapper whose address is taken");
        return;
    }
    for (size_t e = edges_to(w->p, f->start); e < w->p->nedges && w->p->edges[e].target == f->start;
         e++)
        push(w, w->p->edges[e].from, reg);
}

/* `jmp *%rax`, `br x8`: the register arrives holding the code address it
   jumped to, never a system-call number. */
static bool jumps_through(const struct prog *p, const struct insn *i, int reg)
{
    bool wide;
    if (p->arm)
        return arm_reg(i->ops) == reg;
    return i->ops[0] == '*' && x86_reg(i->ops + 1, &wide) == reg && wide;
}

static void walk_back(struct walk *w, struct state s)
{
    struct prog *p = w->p;
    struct insn *i = &p->in[s.at];
    struct func *f = &p->fn[i->fn];
    if (s.at == f->first) {
        /* A symbol may be a label inside code that runs on into it (as in
           musl's assembly): the instruction before it is a way in too. */
        follow_callers(w, f, s.reg, i);
        if (s.at > 0 && falls_through(p, &p->in[s.at - 1]))
            step(w, s.at - 1, s.reg);
        return;
    }
    if (zero_on_edge(p, s.at - 1, s.reg, false))
        record(w, 0);
    else if (falls_through(p, &p->in[s.at - 1]))
        step(w, s.at - 1, s.reg);
    for (size_t e = edges_to(p, i->addr); e < p->nedges && p->edges[e].target == i->addr; e++) {
        size_t from = p->edges[e].from;
        if (is_call(p, &p->in[from]))
            continue; /* a call's target is an entry, not a join */
        if (zero_on_edge(p, from, s.reg, true))
            record(w, 0);
        else
            step(w, from, s.reg);
    }
    if (f->indirect)
        for (size_t k = f->first; k < f->end; k++)
            if (is_indirect_jump(p, &p->in[k]) && !jumps_through(p, &p->in[k], s.reg))
                step(w, k, s.reg);
}

static void analyse(struct prog *p, struct syscan_result *out)
{
    struct walk w = {.p = p, .out = out};
    int nreg = p->arm ? 8 : 0;
    p->seen = xcalloc(p->n * 32 / 8 + 1, 1);
    for (size_t k = 0; k < p->n; k++) {
        if (is_foreign_entry(p, &p->in[k]))
            unbounded(&w, &p->in[k], "a 32-bit system call");
        if (!is_syscall_site(p, &p->in[k]))
            continue;
        out->sites++;
        push(&w, k, nreg);
        while (w.n)
            walk_back(&w, w.stack[--w.n]);
    }
    free(w.stack);
}

/* ---- objdump's output ---------------------------------------------------------- */

static void add_func(struct prog *p, uint64_t start, const char *name)
{
    if (p->nfn == p->capfn) {
        p->capfn = p->capfn ? 2 * p->capfn : 1024;
        p->fn = realloc(p->fn, p->capfn * sizeof(*p->fn));
        if (!p->fn)
            abort();
    }
    if (p->nfn)
        p->fn[p->nfn - 1].end = p->n;
    p->fn[p->nfn++] = (struct func){.start = start, .name = xstrdup(name), .first = p->n};
}

static const char *const x86_prefixes[] = {
    "rep", "repz", "repe", "repnz", "repne", "lock", "notrack", "bnd", "data16", "addr32",
    "cs",  "ds",   "es",   "fs",    "gs",    "ss",   "rex.W",   "rex", NULL};

static void add_insn(struct prog *p, uint64_t addr, char *text)
{
    if (!p->nfn)
        add_func(p, addr, "?");
    char *comment = strstr(text, p->arm ? "//" : "#");
    if (!p->arm && comment && comment > text && comment[-1] != ' ' && comment[-1] != '\t')
        comment = NULL; /* '#' inside an operand is not a comment on x86 */
    if (comment)
        *comment++ = 0;
    bool rep = false;
    char *mn = strtok(text, " \t");
    while (mn && !p->arm && one_of(mn, x86_prefixes)) {
        rep = rep || starts(mn, "rep");
        mn = strtok(NULL, " \t");
    }
    if (!mn)
        return;
    char *ops = strtok(NULL, "");
    ops = ops ? ops : "";
    while (*ops == ' ' || *ops == '\t')
        ops++;
    size_t len = strlen(ops);
    while (len && (ops[len - 1] == ' ' || ops[len - 1] == '\t' || ops[len - 1] == '\n'))
        ops[--len] = 0;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 4096;
        p->in = realloc(p->in, p->cap * sizeof(*p->in));
        if (!p->in)
            abort();
    }
    p->in[p->n++] = (struct insn){
        addr, p->nfn - 1, xstrdup(mn), xstrdup(ops), xstrdup(comment ? comment : ""), rep};
}

static void parse_line(struct prog *p, char *line)
{
    uint64_t addr;
    char name[512];
    int off = 0;
    line[strcspn(line, "\n")] = 0;
    if (sscanf(line, "%" SCNx64 " <%511[^>]>:", &addr, name) == 2 && line[0] != ' ') {
        add_func(p, addr, name);
        return;
    }
    if (sscanf(line, " %" SCNx64 ":%n", &addr, &off) == 1 && off > 0 && line[0] == ' ') {
        char *text = line + off;
        while (*text == ' ' || *text == '\t')
            text++;
        if (*text && strncmp(text, "(bad)", 5) != 0 && strcmp(text, "...") != 0)
            add_insn(p, addr, text);
    }
}

static void prog_free(struct prog *p)
{
    for (size_t k = 0; k < p->n; k++) {
        free(p->in[k].mn);
        free(p->in[k].ops);
        free(p->in[k].comment);
    }
    for (size_t k = 0; k < p->nfn; k++)
        free(p->fn[k].name);
    free(p->in);
    free(p->fn);
    free(p->edges);
    free(p->seen);
}

static int disassemble(struct prog *p, const char *program, const char *arch, char *err,
                       size_t errlen)
{
    const char *objdump = p->arm ? "aarch64-linux-gnu-objdump" : "objdump";
    if (!program_exists(objdump))
        return errorf(err, errlen, "%s not found; run scripts/deps.sh (or make deps)", objdump);
    char *q = xasprintf("'%s'", program);
    for (char *c = q + 1; c[1]; c++)
        if (*c == '\'')
            return free(q), errorf(err, errlen, "%s: a quote in the program's path", program);
    char *cmd = xasprintf("%s -d -w --no-show-raw-insn %s 2>/dev/null", objdump, q);
    free(q);
    FILE *f = popen(cmd, "r");
    free(cmd);
    if (!f)
        return errorf(err, errlen, "%s: cannot run %s", program, objdump);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0)
        parse_line(p, line);
    free(line);
    int status = pclose(f);
    if (p->nfn)
        p->fn[p->nfn - 1].end = p->n;
    if (status != 0 || p->n == 0)
        return errorf(err, errlen, "%s: %s could not disassemble it (%s)", program, objdump, arch);
    return 0;
}

int syscan_program(const char *program, const char *arch, struct syscan_result *out, char *err,
                   size_t errlen)
{
    struct prog p = {.arm = strcmp(arch, "aarch64") == 0};
    memset(out, 0, sizeof(*out));
    out->complete = true;
    int rc = disassemble(&p, program, arch, err, errlen);
    if (rc == 0) {
        build_edges(&p);
        analyse(&p, out);
    }
    prog_free(&p);
    return rc;
}
