#!/bin/sh
# Accelerators: which one `run` picks on a host with no /dev/kvm, with one
# that opens but cannot run guests (this project's machines have such a
# paravirtual KVM), and with a working one; `unikit info`; and that a guest
# QEMU stops instead of ending never hangs a run. One line per check: "ok
# accel-X", "FAIL accel-X" (details on stderr) or "skip accel-X: why".
#
# Fake QEMUs (shell scripts first on PATH, which run the real one with an
# extra option) stand in for what only a broken KVM does: -S leaves the VM
# paused from the start, and pvpanic with -action panic=pause pauses it when
# the guest reports a panic, the same pause a KVM internal error makes.
# /dev/kvm is hidden or replaced in a private mount namespace (with_kvm,
# tests/cli/kvm-view.sh) where the test runs as root.

suite=accel
tests="info info-json info-bad-format cross-arch-kvm no-kvm no-kvm-refused null-kvm-probe
null-kvm-kept null-kvm-refused pvm-kvm paused-x86_64 paused-aarch64 paused-detached
guest-panic working-kvm"
. "$(dirname "$0")/lib.sh"

u build "$fixtures/hello"
[ "$status" -eq 0 ] || skip_all "build of fixtures/hello failed: $(cat "$err")"
u build --arch aarch64 -t hello "$fixtures/hello"
[ "$status" -eq 0 ] || skip_all "build --arch aarch64 of fixtures/hello failed: $(cat "$err")"

# A QEMU that runs the real one with more options: fake_qemu DIR OPTIONS...
# makes DIR/qemu-system-x86_64 and DIR/qemu-system-aarch64, which also log
# their arguments in DIR/calls.
fake_qemu() {
    dir=$1
    shift
    mkdir -p "$dir"
    for q in qemu-system-x86_64 qemu-system-aarch64; do
        real=$(command -v "$q") || continue
        cat >"$dir/$q" <<SH
#!/bin/sh
echo "\$*" >>"$dir/calls"
exec "$real" "\$@" $*
SH
        chmod +x "$dir/$q"
    done
}
fake_qemu "$tmp/counting"
fake_qemu "$tmp/paused" -S
fake_qemu "$tmp/panicking" -device pvpanic -action panic=pause

# kvm_calls DIR: how many times a fake QEMU in DIR was asked for KVM.
kvm_calls() {
    if [ -f "$1/calls" ]; then
        grep -c -- '-accel kvm' "$1/calls"
    else
        echo 0
    fi
}

# ---- info -----------------------------------------------------------------

u info
if [ "$status" -eq 0 ] && grep -Eq "^Host: +$host_arch, Linux" "$out" &&
    grep -Eq '^  x86_64 +(kvm|tcg): .+' "$out" && grep -Eq '^  aarch64 +(kvm|tcg): .+' "$out" &&
    grep -Eq "^Store: +$UNIKIT_HOME\$" "$out" && grep -Eq '^  Images: +1$' "$out"; then
    pass info
else
    fail info "info must name the host, an accelerator and a reason per architecture," \
        "and the store with its 1 image"
    show
fi

u info --format json
if [ "$status" -eq 0 ] && [ -n "$py" ] && "$py" - "$out" "$host_arch" "$UNIKIT_HOME" <<'PY'; then
import json, sys
info = json.load(open(sys.argv[1]))
assert info["HostArch"] == sys.argv[2], info["HostArch"]
for arch in ("x86_64", "aarch64"):
    acc = info["Accelerators"][arch]
    assert acc["Accel"] in ("kvm", "tcg") and acc["Reason"], acc
    assert info["Qemu"][arch]["Program"].startswith("qemu-system-"), info["Qemu"]
other = "aarch64" if sys.argv[2] == "x86_64" else "x86_64"
assert info["Accelerators"][other]["Accel"] == "tcg", "KVM for a foreign architecture"
store = info["Store"]
assert store["Path"] == sys.argv[3] and store["Images"] == 1, store
assert store["Instances"] == 0 and store["Running"] == 0, store
PY
    pass info-json
elif [ -z "$py" ]; then
    skip info-json "no python3 to read the JSON"
else
    fail info-json "info --format json must hold HostArch, Accelerators, Qemu and Store"
    show
fi

expect_error info-bad-format 125 "--format 'yaml'" info --format yaml

# ---- the choice -------------------------------------------------------------

case $host_arch in
x86_64) other=aarch64 ;;
*) other=x86_64 ;;
esac
expect_error cross-arch-kvm 125 "--accel kvm: KVM runs only $host_arch guests.*$other" \
    run --arch "$other" --accel kvm hello

if ! kvm_views; then
    skip_tests "hiding /dev/kvm needs root, unshare and mount" \
        no-kvm no-kvm-refused null-kvm-probe null-kvm-kept null-kvm-refused pvm-kvm
else
    # No /dev/kvm: TCG, and inspect says so.
    uk none run --name plain hello
    st=$status
    u inspect plain
    if [ "$st" -eq 0 ] && [ "$(jv Accel)" = tcg ] && jv AccelReason | grep -q 'no /dev/kvm'; then
        pass no-kvm
    else
        fail no-kvm "without /dev/kvm, run must boot under TCG (exit $st) and inspect say" \
            "why: Accel '$(jv Accel)', AccelReason '$(jv AccelReason)'"
        show
    fi
    forbid_out="hello from unikit"
    PATH=$tmp/counting:$PATH
    uk none run --accel kvm hello
    if [ "$status" -eq 125 ] && [ "$(lines "$err")" -eq 1 ] &&
        grep -q -- '--accel kvm: no /dev/kvm' "$err" && [ "$(kvm_calls "$tmp/counting")" = 0 ] &&
        ! grep -Fq "$forbid_out" "$out"; then
        pass no-kvm-refused
    else
        fail no-kvm-refused "--accel kvm without /dev/kvm: one line (125) before QEMU starts"
        show
    fi

    # A /dev/kvm that opens but is no KVM: the probe guest fails once, and
    # that answer is kept for this host's boot.
    UNIKIT_HOME=$tmp/home-null
    mkdir -p "$UNIKIT_HOME"
    u build "$fixtures/hello"
    uk null run hello
    st=$status
    calls=$(kvm_calls "$tmp/counting")
    if [ "$st" -eq 0 ] && grep -Fxq "hello from unikit" "$out" && [ "$calls" = 1 ] &&
        grep -q '"usable": false' "$UNIKIT_HOME/accel/kvm-$host_arch.json"; then
        pass null-kvm-probe
    else
        fail null-kvm-probe "with a /dev/kvm that is not KVM, run must probe KVM once" \
            "($calls probes), keep the answer and boot under TCG (exit $st)"
        show
    fi
    uk null run hello
    uk null info
    if [ "$(kvm_calls "$tmp/counting")" = 1 ] &&
        grep -Eq "^  $host_arch +tcg: KVM failed a probe guest: .*kvm" "$out"; then
        pass null-kvm-kept
    else
        fail null-kvm-kept "later runs must use the kept answer (probes: $(kvm_calls "$tmp/counting"))" \
            "and info must give it"
        show
    fi
    runner="uk null"
    expect_error null-kvm-refused 125 '--accel kvm: KVM failed a probe guest' run --accel kvm hello
    runner=""
    forbid_out=""

    # The paravirtual KVM module is known: no probe at all.
    UNIKIT_HOME=$tmp/home-pvm
    mkdir -p "$UNIKIT_HOME"
    before=$(kvm_calls "$tmp/counting")
    uk pvm info
    if [ "$status" -eq 0 ] && grep -Eq "^  $host_arch +tcg: the KVM module is kvm_pvm" "$out" &&
        [ "$(kvm_calls "$tmp/counting")" = "$before" ]; then
        pass pvm-kvm
    else
        fail pvm-kvm "with kvm_pvm loaded, info must say TCG because of it, without a probe"
        show
    fi
    PATH=${PATH#"$tmp/counting:"}
    UNIKIT_HOME=$tmp/home
fi

# ---- a guest that QEMU stops never hangs a run ----------------------------------

# paused_run NAME ARCH: a VM QEMU never runs must end the run at once (125).
paused_run() {
    PATH=$tmp/paused:$PATH u run --name "$1" --arch "$2" hello
    if [ "$status" -eq 125 ] && [ "$(lines "$err")" -eq 1 ] &&
        grep -q 'QEMU stopped the guest (its state: prelaunch)' "$err" &&
        ps_status "$1" | grep -q '^Exited (125)'; then
        pass "$1"
    else
        fail "$1" "a paused $2 guest must end the run with 125, one line, and ps must say" \
            "Exited (125): ps says '$(ps_status "$1")'"
        show
    fi
}
paused_run paused-x86_64 x86_64
paused_run paused-aarch64 aarch64

PATH=$tmp/paused:$PATH u run -d --name paused-detached hello
st=$status
cp "$err" "$tmp/detached-err"
u inspect paused-detached
if [ "$st" -eq 125 ] && grep -q 'QEMU stopped the guest' "$tmp/detached-err" &&
    ps_status paused-detached | grep -q '^Exited (125)' &&
    grep -q '"Error": "QEMU stopped the guest' "$out"; then
    pass paused-detached
else
    fail paused-detached "run -d of a paused guest: 125 (got $st) with the reason, and an" \
        "instance exited (125) with it: ps says '$(ps_status paused-detached)'"
    show
fi

if [ "$host_arch" != x86_64 ] && ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    skip guest-panic "no qemu-system-x86_64"
else
    u build "$fixtures/panic"
    PATH=$tmp/panicking:$PATH u run --arch x86_64 panic
    if [ "$status" -eq 125 ] && grep -Fxq panicking "$out" &&
        ! grep -q 'still running' "$out" && [ "$(lines "$err")" -eq 1 ] &&
        grep -q 'QEMU stopped the guest: the guest panicked' "$err"; then
        pass guest-panic
    else
        fail guest-panic "a guest QEMU pauses on a panic must end the run at once (125)"
        show
    fi
fi

# ---- a working KVM ----------------------------------------------------------------

u info
if grep -Eq "^  $host_arch +kvm:" "$out"; then
    u run --accel kvm hello
    if [ "$status" -eq 0 ] && grep -Fxq "hello from unikit" "$out"; then
        pass working-kvm
    else
        fail working-kvm "info says KVM works here, so run --accel kvm must boot hello"
        show
    fi
else
    skip working-kvm "run uses TCG here: $(sed -n "s/^  $host_arch *tcg: //p" "$out")"
fi

[ "$failures" -eq 0 ]
