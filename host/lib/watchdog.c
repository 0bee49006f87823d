#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfcheck.h"
#include "spec.h"
#include "util.h"

/* kernel/include/watch.h: four words, then two per CPU. */
#define RECORD_MAGIC  0x31305744544b4e55ull
#define RECORD_HEADER 4
#define IN_CALL       (1ull << 63)
#define HOST_WAIT     (1ull << 62)
#define PAGE_BYTES    4096ull
/* A gap between two answers longer than this (QEMU stopped, the host
   asleep) counts as this much: the guest did not run meanwhile. */
#define MAX_GAP_MS (3 * WATCHDOG_PERIOD_MS)

struct cpu_seen {
    uint64_t seq, call;
    long long in_call_ms; /* how long it has been seen in this entry */
};

struct watchdog {
    uint64_t paddr;
    uint32_t runq_taken;    /* the record's count of threads taken from the run queue */
    long long runq_idle_ms; /* how long threads have waited with none taken */
    unsigned cpus;
    long limit_ms;
    const char *arch;
    char *memory_path; /* NULL: no instance to keep the counts for */
    long long due_ms, last_answer_ms;
    bool awaiting, answered;
    uint64_t pages_total, pages_free;
    struct cpu_seen cpu[QEMU_MAX_CPUS];
};

long watchdog_limit(char *err, size_t errlen)
{
    const char *v = getenv("UNIKIT_WATCHDOG");
    if (!v || !*v)
        return WATCHDOG_DEFAULT_LIMIT;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < 0 || n > 86400 * 365)
        return errorf(err, errlen, "UNIKIT_WATCHDOG=%s: not a number of seconds (0 turns it off)",
                      v);
    return n;
}

struct watchdog *watchdog_open(const struct qemu_boot *boot)
{
    char err[256];
    uint64_t paddr, size;
    long limit = watchdog_limit(err, sizeof(err));
    if (boot->quiet || limit < 0 ||
        elf_section_paddr(boot->image, ".unikit.watch", &paddr, &size, err, sizeof(err)) != 0)
        return NULL;
    unsigned cpus = boot->cpus ? boot->cpus : 1;
    if (size < (RECORD_HEADER + 2 * (uint64_t)cpus) * 8)
        return NULL; /* not a record this unikit knows */
    struct watchdog *w = xcalloc(1, sizeof(*w));
    w->paddr = paddr;
    w->cpus = cpus;
    w->limit_ms = limit * 1000; /* 0: memory counts only */
    w->arch = boot->arch;
    if (boot->state_dir)
        w->memory_path = xasprintf("%s/%s", boot->state_dir, WATCHDOG_MEMORY_FILE);
    /* The first look after a second: not during boot. */
    w->due_ms = monotonic_ms() + WATCHDOG_PERIOD_MS;
    return w;
}

void watchdog_close(struct watchdog *w)
{
    if (w)
        free(w->memory_path);
    free(w);
}

long long watchdog_due_ms(const struct watchdog *w)
{
    return w->awaiting ? -1 : w->due_ms;
}

void watchdog_ask(struct watchdog *w, struct qmp *q, long long now_ms)
{
    char command[64];
    snprintf(command, sizeof(command), "xp /%ugx 0x%llx", RECORD_HEADER + 2 * w->cpus,
             (unsigned long long)w->paddr);
    qmp_human(q, command);
    w->awaiting = true;
    w->due_ms = now_ms + WATCHDOG_PERIOD_MS;
}

/* The words of an `xp /Ngx` answer ("ADDR: 0xWORD 0xWORD" lines); how many. */
static size_t parse_words(const char *text, uint64_t *words, size_t max)
{
    size_t n = 0;
    for (const char *line = text; line && *line && n < max;) {
        const char *colon = strchr(line, ':');
        const char *nl = strchr(line, '\n');
        if (!colon || (nl && colon > nl))
            break;
        char *p = (char *)colon + 1, *end;
        while (n < max && (!nl || p < nl)) {
            errno = 0;
            uint64_t v = strtoull(p, &end, 16);
            if (end == p || errno || (nl && end > nl))
                break;
            words[n++] = v, p = end;
        }
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

/* For `inspect`: replaced whole, so a reader never sees half of it. */
static void save_memory(struct watchdog *w, uint64_t total, uint64_t free_pages)
{
    if (!w->memory_path || (total == w->pages_total && free_pages == w->pages_free))
        return;
    w->pages_total = total, w->pages_free = free_pages;
    char *tmp = xasprintf("%s.tmp", w->memory_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    char *json = xasprintf("{\"Total\":%llu,\"Used\":%llu,\"Free\":%llu}\n",
                           (unsigned long long)(total * PAGE_BYTES),
                           (unsigned long long)((total - free_pages) * PAGE_BYTES),
                           (unsigned long long)(free_pages * PAGE_BYTES));
    if (fd >= 0 && write_all(fd, json, strlen(json)) == 0 && close(fd) == 0)
        rename(tmp, w->memory_path);
    else if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(json);
    free(tmp);
}

static void describe(const struct watchdog *w, unsigned cpu, uint64_t call, long long ms,
                     char *report, size_t len)
{
    struct spec_table t = {0};
    char err[256];
    int nr = (int)(uint32_t)call;
    const char *name = NULL;
    if (spec_table_load(w->arch, &t, err, sizeof(err)) == 0)
        for (size_t i = 0; i < t.n && !name; i++)
            name = t.nr[i] == nr ? t.name[i] : NULL;
    if (name)
        snprintf(report, len, "kernel stuck in system call %s on cpu %u for %lld s", name, cpu,
                 ms / 1000);
    else
        snprintf(report, len, "kernel stuck in system call %d on cpu %u for %lld s", nr, cpu,
                 ms / 1000);
    spec_table_free(&t);
}

/* Threads wait on the run queue and no CPU has taken one for the limit:
   the CPUs stopped scheduling outside any call (watch.h). Only looks where
   no CPU runs a call (which the call check judges, and names) or waits
   for the host (a slow reader of the last output) count. */
static bool run_queue_stuck(struct watchdog *w, const uint64_t *words, long long gap, char *report,
                            size_t len)
{
    uint64_t runq = words[3];
    uint32_t waiting = (uint32_t)runq, taken = (uint32_t)(runq >> 32);
    bool busy = false;
    for (unsigned i = 0; i < w->cpus; i++)
        busy |= (words[RECORD_HEADER + 2 * i + 1] & (IN_CALL | HOST_WAIT)) != 0;
    if (!waiting || taken != w->runq_taken)
        w->runq_idle_ms = 0;
    else if (!busy)
        w->runq_idle_ms += gap;
    w->runq_taken = taken;
    if (!w->limit_ms || w->runq_idle_ms < w->limit_ms)
        return false;
    snprintf(report, len, "kernel stuck: %u thread%s ready to run, none scheduled for %lld s",
             waiting, waiting == 1 ? "" : "s", w->runq_idle_ms / 1000);
    return true;
}

bool watchdog_answer(struct watchdog *w, const char *reply, long long now_ms, char *report,
                     size_t reportlen)
{
    uint64_t words[RECORD_HEADER + 2 * QEMU_MAX_CPUS];
    size_t want = RECORD_HEADER + 2 * w->cpus;
    long long gap = w->answered ? now_ms - w->last_answer_ms : 0;
    w->awaiting = false;
    w->answered = true;
    w->last_answer_ms = now_ms;
    if (parse_words(reply, words, want) != want || words[0] != RECORD_MAGIC)
        return false; /* not booted that far, or not a record: nothing to judge */
    save_memory(w, words[1], words[2]);
    gap = gap < MAX_GAP_MS ? gap : MAX_GAP_MS;
    if (run_queue_stuck(w, words, gap, report, reportlen))
        return true;
    for (unsigned i = 0; i < w->cpus; i++) {
        struct cpu_seen *c = &w->cpu[i];
        uint64_t seq = words[RECORD_HEADER + 2 * i], call = words[RECORD_HEADER + 2 * i + 1];
        bool same = (call & IN_CALL) && seq == c->seq && call == c->call;
        c->in_call_ms = same ? c->in_call_ms + gap : 0;
        c->seq = seq, c->call = call;
        if (w->limit_ms && c->in_call_ms >= w->limit_ms) {
            describe(w, i, call, c->in_call_ms, report, reportlen);
            return true;
        }
    }
    return false;
}
