/*
 * Which QEMU accelerator runs a guest. KVM only for a guest of the host's
 * own architecture, and only where it can run unikit's guests: a /dev/kvm
 * that opens is not enough (a paravirtual KVM such as kvm_pvm opens, then
 * fails at the program's first SSE instruction). So KVM is probed once by
 * booting a tiny guest under it (lib/unikit/ARCH/kvm-probe.elf), and the
 * answer kept in the store under accel/, keyed by the host's boot, kernel,
 * QEMU and probe image: a reboot, a new kernel or a new QEMU probes again.
 * Everywhere else, TCG.
 */
#ifndef UNIKIT_ACCEL_H
#define UNIKIT_ACCEL_H

#include <stdbool.h>
#include <stddef.h>

struct accel_choice {
    const char *name; /* "kvm" or "tcg" */
    char why[512];    /* one line: why this one */
};

/*
 * Chooses for a guest of arch. requested: "kvm", "tcg", or NULL for the
 * best that works. home: the store, where probe answers are kept. Returns
 * 0, or -1 with one line in err when the requested accelerator cannot run
 * the guest (the line says why).
 */
int accel_choose(const char *home, const char *arch, const char *requested,
                 struct accel_choice *choice, char *err, size_t errlen);

/* A run found KVM unable to run the guest after all: later runs use TCG. */
void accel_kvm_failed(const char *home, const char *arch, const char *why);

#endif
