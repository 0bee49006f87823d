#!/bin/sh
# kvm-view.sh VIEW COMMAND...: runs COMMAND with /dev/kvm as VIEW says, in
# the mount namespace this script was started in (unshare -m, as root),
# so that the host's /dev and /sys are left as they were:
#   none  no /dev/kvm: unikit must use TCG and say why
#   null  a /dev/kvm that opens but is /dev/null: QEMU cannot use it, so
#         unikit's probe guest fails; no KVM module is visible
#   pvm   the same /dev/kvm, and /sys/module/kvm_pvm, the paravirtual KVM
#         that cannot run unikit's guests
# /dev becomes a tmpfs holding every entry of the real one but kvm (mount
# points cannot be created in devtmpfs without the host seeing them), and
# /sys/module a tmpfs holding at most kvm_pvm, and the real /dev (at .dev),
# so that nothing is created outside the namespace.
set -eu
view=$1
shift
case $view in
none | null | pvm) ;;
*)
    echo "kvm-view.sh: unknown view '$view' (none, null or pvm)" >&2
    exit 2
    ;;
esac
mount --make-rprivate /
mount -t tmpfs unikit-modules /sys/module
real=/sys/module/.dev
mkdir "$real"
mount --rbind /dev "$real"
mount -t tmpfs -o mode=755 unikit-dev /dev
for entry in "$real"/* "$real"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name=${entry##*/}
    [ "$name" = kvm ] && continue
    if [ -L "$entry" ]; then
        cp -P "$entry" "/dev/$name"
    elif [ -d "$entry" ]; then
        mkdir "/dev/$name"
        mount --rbind "$entry" "/dev/$name"
    else
        : >"/dev/$name"
        mount --bind "$entry" "/dev/$name"
    fi
done
if [ "$view" != none ]; then
    : >/dev/kvm
    mount --bind /dev/null /dev/kvm
fi
[ "$view" = pvm ] && mkdir /sys/module/kvm_pvm
exec "$@"
