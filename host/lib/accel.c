#include "accel.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "qemu.h"
#include "util.h"

#define KVM_DEVICE        "/dev/kvm"
#define PROBE_DEADLINE_MS 10000
#define PROBE_MEMORY      (16ull << 20)

/* Modules behind /dev/kvm that are known not to run unikit's guests. */
static const struct {
    const char *module;
    const char *why;
} unfit_modules[] = {
    {"kvm_pvm", "the KVM module is kvm_pvm, a paravirtual KVM that runs only guests written "
                "for it"},
};

static bool kvm_device_opens(char *why, size_t len)
{
    int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        return true;
    }
    if (errno == ENOENT)
        snprintf(why, len, "no %s on this host", KVM_DEVICE);
    else if (errno == EACCES || errno == EPERM)
        snprintf(why, len, "%s: %s (join the group that owns it, often kvm)", KVM_DEVICE,
                 strerror(errno));
    else
        snprintf(why, len, "%s cannot be opened: %s", KVM_DEVICE, strerror(errno));
    return false;
}

static bool kvm_module_fit(char *why, size_t len)
{
    for (size_t i = 0; i < sizeof(unfit_modules) / sizeof(unfit_modules[0]); i++) {
        char path[128];
        struct stat st;
        snprintf(path, sizeof(path), "/sys/module/%s", unfit_modules[i].module);
        if (stat(path, &st) == 0) {
            snprintf(why, len, "%s", unfit_modules[i].why);
            return false;
        }
    }
    return true;
}

static char *probe_image(const char *arch)
{
    char *libdir = unikit_libdir();
    char *path = xasprintf("%s/%s/kvm-probe.elf", libdir, arch);
    free(libdir);
    return path;
}

/* "dev:ino@mtime" of a file, so that a replaced file reads differently. */
static void file_identity(const char *path, char *buf, size_t len)
{
    struct stat st;
    if (!path || stat(path, &st) < 0)
        snprintf(buf, len, "none");
    else
        snprintf(buf, len, "%llx:%llx@%lld.%09ld", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* What a probe's answer holds for: this boot of this kernel, this QEMU, this probe. */
static char *probe_key(const char *arch, const char *probe)
{
    char boot[64] = "unknown", qemu_id[128], probe_id[128];
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f) {
        if (fgets(boot, sizeof(boot), f))
            boot[strcspn(boot, "\n")] = '\0';
        fclose(f);
    }
    struct utsname u;
    if (uname(&u) < 0)
        snprintf(u.release, sizeof(u.release), "unknown");
    char *qemu = program_path(qemu_binary(arch));
    file_identity(qemu, qemu_id, sizeof(qemu_id));
    file_identity(probe, probe_id, sizeof(probe_id));
    free(qemu);
    return xasprintf("boot %s; kernel %s; qemu %s; probe %s", boot, u.release, qemu_id, probe_id);
}

static char *answer_path(const char *home, const char *arch, const char *suffix)
{
    return xasprintf("%s/accel/kvm-%s%s", home, arch, suffix);
}

/* The kept answer for key: 1 usable, 0 not (why filled), -1 none. */
static int read_answer(const char *home, const char *arch, const char *key, char *why, size_t len)
{
    char *path = answer_path(home, arch, ".json");
    json_t *j = json_load_file(path, 0, NULL);
    free(path);
    const char *kept_key = json_string_value(json_object_get(j, "key"));
    const char *kept_why = json_string_value(json_object_get(j, "why"));
    json_t *usable = json_object_get(j, "usable");
    int answer = -1;
    if (kept_key && kept_why && json_is_boolean(usable) && strcmp(kept_key, key) == 0) {
        snprintf(why, len, "%s", kept_why);
        answer = json_is_true(usable);
    }
    json_decref(j);
    return answer;
}

/* Kept atomically; a store that cannot keep it only means probing again. */
static void write_answer(const char *home, const char *arch, const char *key, bool usable,
                         const char *why)
{
    char *path = answer_path(home, arch, ".json");
    char *tmp = answer_path(home, arch, ".json.tmp");
    json_t *j = json_pack("{s:s, s:b, s:s}", "key", key, "usable", usable, "why", why);
    if (j && json_dump_file(j, tmp, JSON_INDENT(2)) == 0)
        rename(tmp, path);
    json_decref(j);
    free(tmp);
    free(path);
}

/*
 * Boots the probe guest under KVM. Returns 1 (it ran), 0 (KVM cannot run
 * it; why says how it failed) or -1 (no answer: interrupted).
 */
static int probe(const char *arch, const char *image, char *why, size_t len)
{
    struct qemu_boot boot = {
        .arch = arch,
        .image = image,
        .memory = PROBE_MEMORY,
        .cpus = 1,
        .accel = "kvm",
        .quiet = true,
        .deadline_ms = PROBE_DEADLINE_MS,
    };
    struct qemu_result res;
    char err[512];
    if (qemu_run(&boot, &res, err, sizeof(err)) < 0) {
        snprintf(why, len, "KVM failed a probe guest: %.440s", err);
        return 0;
    }
    if (res.exit_code == 0) {
        snprintf(why, len, "KVM ran a probe guest (probed once per host boot)");
        return 1;
    }
    if (res.exit_code == 128 + 2 || res.exit_code == 128 + 15)
        return -1;
    snprintf(why, len, "KVM failed a probe guest: it ended with status %d", res.exit_code);
    return 0;
}

/* The kept answer, or a new probe's (kept). Serialised, so concurrent runs probe once. */
static bool kvm_runs_guests(const char *home, const char *arch, char *why, size_t len)
{
    char *image = probe_image(arch);
    if (access(image, R_OK) < 0) {
        snprintf(why, len, "%s: %s, so KVM cannot be probed (reinstall unikit)", image,
                 strerror(errno));
        free(image);
        return false;
    }
    char *dir = xasprintf("%s/accel", home);
    char *lock_path = answer_path(home, arch, ".lock");
    mkdir_p(dir, 0755);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock >= 0)
        flock(lock, LOCK_EX);
    char *key = probe_key(arch, image);
    int answer = read_answer(home, arch, key, why, len);
    if (answer < 0) {
        answer = probe(arch, image, why, len);
        if (answer >= 0)
            write_answer(home, arch, key, answer == 1, why);
        else
            snprintf(why, len, "the KVM probe was interrupted");
    }
    if (lock >= 0)
        close(lock);
    free(key);
    free(lock_path);
    free(dir);
    free(image);
    return answer == 1;
}

static bool kvm_works(const char *home, const char *arch, char *why, size_t len)
{
    const char *host = host_arch();
    if (strcmp(arch, host) != 0) {
        snprintf(why, len, "KVM runs only %s guests on this %s host; %s needs emulation", host,
                 host, arch);
        return false;
    }
    return kvm_device_opens(why, len) && kvm_module_fit(why, len) &&
           kvm_runs_guests(home, arch, why, len);
}

int accel_choose(const char *home, const char *arch, const char *requested,
                 struct accel_choice *choice, char *err, size_t errlen)
{
    if (requested && strcmp(requested, "tcg") == 0) {
        choice->name = "tcg";
        snprintf(choice->why, sizeof(choice->why), "--accel tcg");
        return 0;
    }
    char why[sizeof(choice->why)];
    bool kvm = kvm_works(home, arch, why, sizeof(why));
    if (requested && !kvm) {
        snprintf(err, errlen, "--accel kvm: %s", why);
        return -1;
    }
    choice->name = kvm ? "kvm" : "tcg";
    snprintf(choice->why, sizeof(choice->why), "%s", requested ? "--accel kvm" : why);
    return 0;
}

void accel_kvm_failed(const char *home, const char *arch, const char *why)
{
    char *image = probe_image(arch);
    char *key = probe_key(arch, image);
    char *dir = xasprintf("%s/accel", home);
    char *line = xasprintf("KVM failed a guest: %s", why);
    mkdir_p(dir, 0755);
    write_answer(home, arch, key, false, line);
    free(line);
    free(dir);
    free(key);
    free(image);
}
