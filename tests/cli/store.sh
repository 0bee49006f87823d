#!/bin/sh
# The image store under damage and pressure: blobs replaced by a FIFO, a
# symbolic link to /dev/zero or an oversized file; a gzip bomb in load; one
# corrupted image among good ones; a full disk. Every verb must answer at
# once (a hang is a failure, not a stuck run) with one line naming the blob.
# One line per check: "ok store-X", "FAIL store-X" or "skip store-X: why".
#
# Usage: sh tests/cli/store.sh
# Environment: UNIKIT (default build/asan/bin/unikit), KEEP_TMP=1 keeps the work folder.

suite=store
blob_tests() { # the checks made for each kind of damaged blob
    for kind in fifo symlink oversized; do
        for verb in run inspect images save save-no-file tag rmi; do
            printf 'blob-%s-%s ' "$kind" "$verb"
        done
    done
}
tests="build $(blob_tests) blob-repair images-partial images-partial-lists-good
inspect-corrupted inspect-corrupted-and-good load-bomb load-limit load-limit-bad load-many-entries rmi-race-run load-full-disk
verified-record verified-stale"
. "$(dirname "$0")/lib.sh"

# A hang must fail quickly: nothing here needs more than a few seconds.
CLI_TIMEOUT=10

# What the store holds, without reading any file: a FIFO would block
# sha256sum and a 64 GiB sparse file would take minutes. Names, kinds,
# sizes and modification times show any change a verb could make (a
# folder's time changes with a temporary file that came and went: not shown).
store_state() {
    if [ -d "$UNIKIT_HOME/images" ]; then
        (cd "$UNIKIT_HOME" && find images \( -type d -printf '%p %y\n' \) -o -printf '%p %y %s %T@\n' |
            LC_ALL=C sort)
    fi
}

u build -q --arch "$host_arch" examples/hello
if [ "$status" -ne 0 ]; then
    fail build "build of examples/hello exited $status"
    show
    skip_all "examples/hello did not build"
fi
pass build
blobs=$UNIKIT_HOME/images/blobs/sha256
# One architecture: the only blob above 4 KiB is the layer (the bootable image).
layer=$(find "$blobs" -type f -size +4k)
saved=$tmp/layer.saved
cp "$layer" "$saved"
u save -o "$tmp/hello.tar" hello

# damage KIND: puts a KIND (fifo, symlink, oversized) where the layer was.
damage() {
    rm -f "$layer"
    case $1 in
    fifo) mkfifo "$layer" ;;
    symlink) ln -s /dev/zero "$layer" ;;
    # Sparse: hashing it would take minutes, so only a size check answers in time.
    oversized) cp "$saved" "$layer" && truncate -s 64G "$layer" ;;
    esac
}

repair() {
    rm -f "$layer"
    cp "$saved" "$layer"
}

# Each verb that reads the layer refuses at once with one line naming it;
# tag and rmi, which only touch names, succeed at once.
for kind in fifo symlink oversized; do
    case $kind in
    fifo) said="is not a regular file \(it is a FIFO" ;;
    symlink) said="is a symbolic link, not a regular file" ;;
    oversized) said="is corrupted \(68719476736 bytes, expected" ;;
    esac
    blob_re="image blob sha256:$(basename "$layer") $said"
    damage "$kind"
    expect_error "blob-$kind-run" 125 "$blob_re" run hello
    expect_error "blob-$kind-inspect" 125 "image 'hello': $blob_re" inspect hello
    expect_error "blob-$kind-images" 1 "hello:latest: $blob_re" images
    expect_error "blob-$kind-save" 125 "$blob_re" save -o "$tmp/out.tar" hello
    if [ -e "$tmp/out.tar" ]; then
        fail "blob-$kind-save-no-file" "a failed save left $tmp/out.tar"
        rm -f "$tmp/out.tar"
    else
        pass "blob-$kind-save-no-file"
    fi
    u tag hello "other-$kind:1"
    if [ "$status" -eq 0 ]; then
        pass "blob-$kind-tag"
    else
        fail "blob-$kind-tag" "tag with a damaged layer: exit $status"
        show
    fi
    u rmi "other-$kind:1"
    if [ "$status" -eq 0 ] && grep -Fxq "untagged other-$kind:1" "$out"; then
        pass "blob-$kind-rmi"
    else
        fail "blob-$kind-rmi" "rmi with a damaged layer: exit $status"
        show
    fi
    repair
done

u run hello
if [ "$status" -eq 0 ] && grep -Fxq "Hello from a unikernel!" "$out"; then
    pass blob-repair
else
    fail blob-repair "the repaired image does not run (exit $status)"
    show
fi

# One damaged image among good ones: images lists the good ones and names
# the bad one; inspect says what is wrong with it, not that it is missing.
u build -q --arch "$host_arch" "$fixtures/printargs"
u inspect printargs
bad_layer=$blobs/$(jv LayerDigest | sed 's/^sha256://')
if [ -f "$bad_layer" ] && truncate -s -1 "$bad_layer"; then
    bad_re="printargs:latest: image blob $(jv LayerDigest) is corrupted \([0-9]+ bytes, expected"
    expect_error images-partial 1 "$bad_re" images
    if grep -Eq "^hello +$host_arch " "$out" && ! grep -q '^printargs' "$out"; then
        pass images-partial-lists-good
    else
        fail images-partial-lists-good "images must list hello, and printargs only on stderr"
        show
    fi
    expect_error inspect-corrupted 125 "image 'printargs': image blob sha256:[0-9a-f]{64} is corrupted" \
        inspect printargs
    u inspect hello printargs
    if [ "$status" -eq 125 ] && [ "$(lines "$err")" -eq 1 ] && [ "$(jv Ref)" = hello:latest ]; then
        pass inspect-corrupted-and-good
    else
        fail inspect-corrupted-and-good "inspect hello printargs must show hello and name printargs"
        show
    fi
else
    skip_tests "printargs did not build" images-partial inspect-corrupted inspect-corrupted-and-good
fi

# bomb FILE SIZE: a gzip'd OCI layout whose one blob's tar header says SIZE
# bytes; only the header is there (a real bomb's zeros would come next).
bomb() {
    "$py" - "$1" "$2" <<'EOF'
import gzip, io, sys, tarfile
path, size = sys.argv[1], int(sys.argv[2])
def member(name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info.tobuf(tarfile.PAX_FORMAT) + data + b"\0" * (-len(data) % 512)
blob = tarfile.TarInfo("blobs/sha256/" + "ab" * 32)
blob.size = size
with gzip.open(path, "wb") as f:
    f.write(member("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'))
    f.write(member("index.json", b'{"schemaVersion":2,"manifests":[]}'))
    f.write(blob.tobuf(tarfile.PAX_FORMAT) + b"\0" * 65536)
EOF
}

bomb "$tmp/bomb.tar.gz" $((1 << 30))
expect_error load-bomb 125 "bomb.tar.gz: blob sha256:(ab){32} would expand to 1073741824 bytes.*UNIKIT_LOAD_MAX_BLOB" \
    load -i "$tmp/bomb.tar.gz"

bomb "$tmp/small.tar.gz" $((2 << 20))
UNIKIT_LOAD_MAX_BLOB=1M expect_error load-limit 125 "would expand to 2097152 bytes, more than the 1048576" \
    load -i "$tmp/small.tar.gz"
UNIKIT_LOAD_MAX_BLOB=lots expect_error load-limit-bad 125 "UNIKIT_LOAD_MAX_BLOB: 'lots' is not a size" \
    load -i "$tmp/hello.tar"

# An index.json naming one image 5,000 times: one line per name and
# architecture stored, in time proportionate to what is stored (each entry
# used to be a write of index.json: about a minute here).
mkdir -p "$tmp/many" && (cd "$tmp/many" && tar xf "$tmp/hello.tar") &&
    "$py" - "$tmp/many/index.json" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    index = json.load(f)
index["manifests"] = index["manifests"][:1] * 5000
with open(sys.argv[1], "w") as f:
    json.dump(index, f)
EOF
(cd "$tmp/many" && tar cf "$tmp/many.tar" oci-layout index.json blobs)
u load -i "$tmp/many.tar"
if [ "$status" -ne 0 ] || [ "$(lines "$out")" -ne 1 ]; then
    fail load-many-entries "load of 5,000 entries for one name: exit $status (124: too slow), $(lines "$out") lines"
    show
elif expect_lines load-many-entries "loaded hello:latest ($host_arch)"; then
    pass load-many-entries
fi

# rmi racing run -d: whenever the rmi lands, run either refuses with one
# line naming the image (never a raw path or QEMU's failure to read the
# file), or starts, and then the guest boots the image it verified (the
# instance's own link to it) to its end.
race_fail=""
for i in 0 1 2 3 4 5; do
    u load -i "$tmp/hello.tar"
    (
        timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" run -d --name "race$i" hello >"$tmp/race.out" 2>"$tmp/race.err"
        echo $? >"$tmp/race.status"
    ) &
    sleep "0.0$((i * 2))"
    "$UNIKIT" rmi hello >/dev/null 2>&1
    wait
    st=$(cat "$tmp/race.status")
    if [ "$st" = 0 ]; then
        timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" logs -f "race$i" >"$tmp/race.log" 2>&1
        grep -Fxq "Hello from a unikernel!" "$tmp/race.log" ||
            race_fail="$race_fail race$i started but did not boot: $(head -c 300 "$tmp/race.log");"
        "$UNIKIT" rm -f "race$i" >/dev/null 2>&1
    elif [ "$st" != 125 ] || [ "$(lines "$tmp/race.err")" -ne 1 ] ||
        ! grep -Eq "unikit: (no such image: hello|image blob sha256:[0-9a-f]{64} is missing)" "$tmp/race.err"; then
        race_fail="$race_fail race$i exit $st: $(cat "$tmp/race.err");"
    fi
done
if [ -z "$race_fail" ]; then
    pass rmi-race-run
else
    fail rmi-race-run "$race_fail"
fi

# A full disk under the store: a tiny tmpfs (root only) holds the store but
# not the image's layer.
full=$tmp/full
if [ "$(id -u)" -ne 0 ]; then
    skip load-full-disk "needs root to mount a tmpfs"
elif ! mkdir -p "$full" || ! mount -t tmpfs -o size=64k tmpfs "$full" 2>/dev/null; then
    skip load-full-disk "cannot mount a tmpfs here"
else
    on_exit="umount '$full' 2>/dev/null"
    home=$UNIKIT_HOME
    export UNIKIT_HOME=$full/home
    u images # the empty store, before the load that must leave it as it is
    expect_error load-full-disk 125 "no space left on device for the image store \(writing $full/home/images/" \
        load -i "$tmp/hello.tar"
    export UNIKIT_HOME=$home
    umount "$full"
    on_exit=""
fi

# A blob that hashed to its digest is recorded (device, inode, size,
# modification time), so the next run does not hash it again; a write to
# the blob makes the record stale, and the damage is caught as before.
export UNIKIT_HOME=$tmp/verified-home
u build -q --arch "$host_arch" examples/hello
layer=$(find "$UNIKIT_HOME/images/blobs/sha256" -type f -size +4k)
record=$UNIKIT_HOME/verified/$(basename "$layer")
touch -d '1 minute ago' "$layer" # settled: a blob written just now gets no record yet
u run hello
if [ "$status" -eq 0 ] && [ -f "$record" ] &&
    [ "$(cut -d' ' -f1-3 "$record")" = "$(stat -c '%d %i %s' "$layer")" ]; then
    pass verified-record
else
    fail verified-record "run exited $status; record: $(cat "$record" 2>&1);" \
        "blob: $(stat -c '%d %i %s' "$layer")"
fi
printf 'X' | dd of="$layer" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_error verified-stale 125 "image blob sha256:[0-9a-f]{64} is corrupted" run hello

[ "$failures" -eq 0 ]
