#!/bin/sh
# Volumes: `unikit run -v` over virtio-9p on both architectures, named
# volumes (`unikit volume`), file locks on a volume, the bad -v input, and
# durability: QEMU killed with SIGKILL at a random point while the guest
# writes and fsyncs (or writes with O_SYNC) loses no record the guest said
# was synced, on both architectures in turn. The guest program is tests/cli/fixtures/volume/voltest.c.
#
# Usage: sh tests/cli/volume.sh
# Environment: as lib.sh, and VOL_ROUNDS (rounds of the durability loop, 20).

suite=volume
tests="build files-x86_64 files-aarch64 mmap-x86_64 mmap-aarch64 mmap-msync-reaches-host mmap-read-writes-nothing mmap-dirty-x86_64 mmap-dirty-aarch64 calls-in-memory-x86_64 calls-in-memory-aarch64 locks-x86_64 locks-aarch64 ro-x86_64 ro-aarch64 host-sees-files relative-host-path ps-inspect-mounts
bad-missing-host-path bad-relative-guest-path bad-file-as-folder bad-same-mount-point bad-mode
bad-spec bad-read-only-host named-create-ls named-inspect named-ls-quiet named-survives-rm named-rm-in-use
named-inspect-used-by named-rm named-rm-missing named-rm-force-missing named-inspect-missing
named-bad-name declared-build declared-inspect declared-anonymous declared-rm
declared-bad-duplicate declared-bad-not-a-list durability"
. "$(dirname "$0")/lib.sh"

VOL_ROUNDS=${VOL_ROUNDS:-20}
host=$tmp/host
mkdir -p "$host"

u build "$fixtures/volume"
if [ "$status" -ne 0 ]; then
    fail build "build of fixtures/volume exited $status"
    show
    skip_all "the test image did not build"
fi
pass build

# voltest_passed NAME MODE: the voltest run just made exited 0 and said
# "MODE: all passed" (expect_lines reports any other line).
voltest_passed() {
    if [ "$status" -eq 0 ] && expect_lines "$1" "$2: all passed"; then
        pass "$1"
    elif [ "$status" -ne 0 ]; then
        fail "$1" "exit status $status"
        show
    fi
}

# ---- a host folder, read-write and read-only, on both architectures --------------

for arch in x86_64 aarch64; do
    rm -rf "$host" && mkdir -p "$host"
    printf 'host file\n' >"$host/from-host"
    u run --rm --arch "$arch" -v "$host:/data" voltest files /data
    voltest_passed "files-$arch" files
done

# What the guest left is on the host, as the user who ran unikit, with its
# mode, the size fallocate gave and the time utimensat set.
if [ "$(cat "$host/kept" 2>/dev/null)" = kept ] && [ "$(stat -c %u "$host/kept")" = "$(id -u)" ] &&
    [ "$(stat -c %a "$host/kept")" = 644 ] && [ ! -e "$host/a" ] && [ ! -e "$host/sub" ] &&
    [ "$(stat -c '%s %Y %a' "$host/stamped")" = "8192 1000000000 644" ]; then
    pass host-sees-files
else
    fail host-sees-files "wanted kept (\"kept\", uid $(id -u), mode 644) and stamped (8192 bytes," \
        "mtime 1000000000, mode 644) beside from-host:" "$(ls -ln --time-style=+%s "$host")"
fi

# A host path starting with ./ is taken from the working directory.
cd "$tmp" && u run --rm -v ./host:/data voltest read /data/from-host
cd "$root" || exit 1
if [ "$status" -eq 0 ] && [ "$(cat "$out")" = "host file" ]; then
    pass relative-host-path
else
    fail relative-host-path "exit status $status, wanted /data/from-host to read 'host file'"
    show
fi

# bytes_at FILE OFFSET COUNT: COUNT bytes of FILE from OFFSET.
bytes_at() {
    tail -c +$(($2 + 1)) "$1" 2>/dev/null | head -c "$3"
}

# MAP_SHARED writable mappings of a volume file: what the guest stored through
# them is in the host file after msync, munmap and the program's end.
for arch in x86_64 aarch64; do
    rm -f "$host/mapped"
    u run --rm --arch "$arch" -v "$host:/data" voltest mmap /data
    got="$(bytes_at "$host/mapped" 0 8) $(bytes_at "$host/mapped" 32 9)"
    got="$got $(bytes_at "$host/mapped" 48 7) $(bytes_at "$host/mapped" 4096 9)"
    want="msynced! munmapped at-exit via-write"
    if [ "$status" -eq 0 ] && [ "$got" = "$want" ] && [ "$(stat -c %s "$host/mapped")" = 8192 ] &&
        expect_lines "mmap-$arch" "mmap: all passed"; then
        pass "mmap-$arch"
    elif [ "$status" -ne 0 ] || [ "$got" != "$want" ]; then
        fail "mmap-$arch" "exit status $status; the host file has: $got"
        show
    fi
done

# msync(MS_SYNC) alone, the program still running: the host file has it.
rm -f "$host/held"
if "$UNIKIT" run -d --name mapper -v "$host:/data" voltest mmap-hold /data >/dev/null 2>&1 &&
    wait_for 30 sh -c "\"$UNIKIT\" logs --stdout mapper | grep -q '^msynced\$'" &&
    [ "$(head -c 8 "$host/held")" = "msynced!" ]; then
    pass mmap-msync-reaches-host
else
    fail mmap-msync-reaches-host "the host file begins with: $(head -c 8 "$host/held" 2>/dev/null)"
    "$UNIKIT" logs mapper >&2
fi
"$UNIKIT" rm -f mapper >/dev/null 2>&1

# A read-only shared mapping writes nothing back: the host file keeps its mtime.
printf 'first line\nsecond\n' >"$host/ro-mapped"
touch -d @1000000000 "$host/ro-mapped"
u run --rm -v "$host:/data" voltest mmap-read /data/ro-mapped
if [ "$status" -eq 0 ] && [ "$(cat "$out")" = "first line" ] &&
    [ "$(stat -c %Y "$host/ro-mapped")" = 1000000000 ]; then
    pass mmap-read-writes-nothing
else
    fail mmap-read-writes-nothing "exit status $status, mtime $(stat -c %Y "$host/ro-mapped")"
    show
fi

# Only the pages the guest stored to are written back: the host changes a
# mapped page the guest only read, and one it stored to before its last
# msync; both changes survive the next msync, and every guest store (one by
# the kernel, for read()) reaches the host.
for arch in x86_64 aarch64; do
    head -c 20480 /dev/zero | tr '\0' . >"$host/dirty"
    printf kread >"$host/kread"
    rm -f "$host/go"
    "$UNIKIT" run -d --name "dirty-$arch" --arch "$arch" -v "$host:/data" voltest mmap-dirty /data \
        >/dev/null 2>&1
    if wait_for 60 sh -c "\"$UNIKIT\" logs --stdout dirty-$arch | grep -qx ready"; then
        printf HOST0 | dd of="$host/dirty" bs=1 seek=100 conv=notrunc 2>/dev/null
        printf HOST1 | dd of="$host/dirty" bs=1 seek=4096 conv=notrunc 2>/dev/null
        touch "$host/go"
    fi
    wait_for 60 sh -c "\"$UNIKIT\" logs --stdout dirty-$arch | grep -q '^mmap-dirty: '"
    got="$(bytes_at "$host/dirty" 0 3) $(bytes_at "$host/dirty" 100 5) $(bytes_at "$host/dirty" 4096 5)"
    got="$got $(bytes_at "$host/dirty" 8192 3) $(bytes_at "$host/dirty" 12298 5)"
    got="$got $(bytes_at "$host/dirty" 16384 4) $(bytes_at "$host/dirty" 16392 5)"
    want="one HOST0 HOST1 two kread four again"
    if [ "$got" = "$want" ] && "$UNIKIT" logs --stdout "dirty-$arch" | grep -qx "mmap-dirty: all passed"; then
        pass "mmap-dirty-$arch"
    else
        fail "mmap-dirty-$arch" "wanted '$want' in the host file, got '$got'"
        "$UNIKIT" logs "dirty-$arch" >&2
    fi
    "$UNIKIT" rm -f "dirty-$arch" >/dev/null 2>&1
done

# The same calls on the in-memory files.
for arch in x86_64 aarch64; do
    u run --rm --arch "$arch" voltest calls /tmp
    voltest_passed "calls-in-memory-$arch" calls
done

# Locks on a volume file, as on the in-memory ones (tests/guest/locks.c).
for arch in x86_64 aarch64; do
    u run --rm --arch "$arch" -v "$host:/data" voltest locks /data
    voltest_passed "locks-$arch" locks
done

printf 'hi\n' >"$host/hello"
before=$(ls -l --time-style=+%s.%N "$host"; cat "$host"/*)
for arch in x86_64 aarch64; do
    u run --rm --arch "$arch" -v "$host:/data:ro" voltest ro /data
    after=$(ls -l --time-style=+%s.%N "$host"; cat "$host"/*)
    if [ "$status" -eq 0 ] && [ "$before" = "$after" ] && expect_lines "ro-$arch" "ro: all passed"; then
        pass "ro-$arch"
    elif [ "$status" -ne 0 ] || [ "$before" != "$after" ]; then
        fail "ro-$arch" "exit status $status; the host folder changed: $([ "$before" = "$after" ] || echo yes)"
        show
    fi
done

u run --name mounts -v "$host:/data:ro" -v vm1:/var/lib/db voltest read /data/hello
st=$status
u inspect mounts
mounts=$("$py" -c '
import json, sys
m = json.load(open(sys.argv[1]))[0]["Mounts"]
print(";".join("%s %s %s %s %s" % (x["Type"], x.get("Name", "-"), x["Source"], x["Destination"], x["RW"]) for x in m))
' "$out" 2>&1)
want="bind - $host /data False;volume vm1 $UNIKIT_HOME/volumes/vm1/_data /var/lib/db True"
u ps -a --format json
if [ "$st" -eq 0 ] && [ "$mounts" = "$want" ] && grep -Fq "\"Mounts\":\"$host,vm1\"" "$out"; then
    pass ps-inspect-mounts
else
    fail ps-inspect-mounts "run exited $st; inspect Mounts: '$mounts', wanted '$want'; ps: $(cat "$out")"
fi
"$UNIKIT" rm mounts >/dev/null 2>&1

# ---- bad input: one line, 125, before boot ----------------------------------------

printf x >"$tmp/a-file"
expect_error bad-missing-host-path 125 "host path '$tmp/nowhere' does not exist" \
    run --rm -v "$tmp/nowhere:/data" voltest
expect_error bad-relative-guest-path 125 "guest path 'data' is not absolute" \
    run --rm -v "$host:data" voltest
expect_error bad-file-as-folder 125 "host path '$tmp/a-file' is not a folder" \
    run --rm -v "$tmp/a-file:/data" voltest
expect_error bad-same-mount-point 125 "two volumes on the mount point /data" \
    run --rm -v "$host:/data" -v "$tmp:/data/" voltest
expect_error bad-mode 125 "the mode 'rx' is neither ro nor rw" \
    run --rm -v "$host:/data:rx" voltest
expect_error bad-spec 125 "expected HOST_PATH:GUEST_PATH" run --rm -v "$host" voltest

# A host folder the user running unikit cannot write needs :ro. Root may
# write any folder, so as root unikit runs as nobody there, on a copy of the
# store, in a folder nobody may enter.
pub=$(mktemp -d "${TMPDIR:-/tmp}/unikit-rovol.XXXXXX")
mkdir -p "$pub/ro" && chmod 755 "$pub" && chmod 555 "$pub/ro"
as_nobody() {
    timeout -k 10 "$CLI_TIMEOUT" setpriv --reuid=65534 --regid=65534 --clear-groups \
        env UNIKIT_HOME="$pub/home" "$UNIKIT" "$@" >"$out" 2>"$err" </dev/null
    status=$?
}
if [ "$(id -u)" != 0 ]; then
    expect_error bad-read-only-host 125 "the host folder '$pub/ro' is read-only.*add :ro" \
        run --rm -v "$pub/ro:/data" voltest
elif command -v setpriv >/dev/null && cp -R "$UNIKIT_HOME" "$pub/home" &&
    chown -R 65534:65534 "$pub/home"; then
    runner=as_nobody
    expect_error bad-read-only-host 125 "the host folder '$pub/ro' is read-only.*add :ro" \
        run --rm -v "$pub/ro:/data" voltest
    runner=
else
    skip bad-read-only-host "running as root without setpriv to run as nobody"
fi
rm -rf "$pub"

# ---- named volumes ------------------------------------------------------------------

u volume create nv
st=$status
u volume ls
if [ "$st" -eq 0 ] && grep -Fxq nv "$out" && head -n 1 "$out" | grep -q 'VOLUME NAME' &&
    [ -d "$UNIKIT_HOME/volumes/nv/_data" ]; then
    pass named-create-ls
else
    fail named-create-ls "create exited $st; ls must list nv under a VOLUME NAME header"
    show
fi

# inspect_volume NAME: "Name Driver Mountpoint has-CreatedAt UsedBy" from volume inspect.
inspect_volume() {
    u volume inspect "$1"
    "$py" -c '
import json, sys
v = json.load(open(sys.argv[1]))[0]
print(v["Name"], v["Driver"], v["Mountpoint"], bool(v["CreatedAt"]), v["UsedBy"])' "$out" 2>&1
}

got=$(inspect_volume nv)
want="nv local $UNIKIT_HOME/volumes/nv/_data True None"
if [ "$got" = "$want" ]; then
    pass named-inspect
else
    fail named-inspect "volume inspect nv gave '$got', wanted '$want'"
fi
u volume ls -q
if [ "$status" -eq 0 ] && grep -Fxq nv "$out" && ! grep -q 'VOLUME' "$out"; then
    pass named-ls-quiet
else
    fail named-ls-quiet "volume ls -q must list nv alone, without a header"
    show
fi

u run --name user1 -v nv:/data voltest files /data
"$UNIKIT" rm user1 >/dev/null 2>&1
u run --rm -v nv:/srv voltest read /srv/kept
if [ "$status" -eq 0 ] && expect_lines named-survives-rm kept; then
    pass named-survives-rm
elif [ "$status" -ne 0 ]; then
    fail named-survives-rm "the second run exited $status"
    show
fi

u run -d --name holder -v nv:/data voltest durable /data/log
expect_error named-rm-in-use 125 "volume nv is in use by running instance holder" volume rm nv
got=$(inspect_volume nv)
case $got in
"nv local $UNIKIT_HOME/volumes/nv/_data True holder ("*")") pass named-inspect-used-by ;;
*) fail named-inspect-used-by "volume inspect nv gave '$got', wanted UsedBy holder (ID)" ;;
esac
"$UNIKIT" rm -f holder >/dev/null 2>&1
u volume rm nv
if [ "$status" -eq 0 ] && [ ! -e "$UNIKIT_HOME/volumes/nv" ]; then
    pass named-rm
else
    fail named-rm "volume rm exited $status, or left the folder"
    show
fi
expect_error named-rm-missing 125 "no such volume: nv" volume rm nv
u volume rm -f nv
if [ "$status" -eq 0 ] && [ ! -s "$err" ]; then
    pass named-rm-force-missing
else
    fail named-rm-force-missing "volume rm -f of a missing volume exited $status"
    show
fi
expect_error named-inspect-missing 125 "no such volume: nv" volume inspect nv
expect_error named-bad-name 125 "'a/b' is not a valid volume name" volume create a/b

# ---- volumes: in the Unikfile -----------------------------------------------------

# The volume fixture again, declaring two folders.
declared_context() {
    rm -rf "$tmp/declared" && cp -R "$fixtures/volume" "$tmp/declared"
    sed -i "s/^name: .*/name: voldecl/" "$tmp/declared/Unikfile"
    printf '%s\n' "$@" >>"$tmp/declared/Unikfile"
}

declared_context "volumes:" "  - /data" "  - /var/lib//db/"
u build "$tmp/declared"
if [ "$status" -eq 0 ]; then
    pass declared-build
else
    fail declared-build "exit status $status"
    show
fi

u inspect voldecl
got=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["Manifests"][0]["Config"]["Volumes"])' "$out" 2>&1)
if [ "$got" = "['/data', '/var/lib/db']" ]; then
    pass declared-inspect
else
    fail declared-inspect "inspect's Config.Volumes: $got, wanted /data and /var/lib/db"
fi

# -v covers /data; /var/lib/db gets a volume of its own, which the guest writes.
rm -rf "$host" && mkdir -p "$host"
u run --name anon -v "$host:/data" voldecl calls /var/lib/db
st=$status
u inspect anon
anon=$("$py" -c '
import json, sys
m = json.load(open(sys.argv[1]))[0]["Mounts"]
print(" ".join(x["Name"] for x in m if x["Type"] == "volume" and x["Destination"] == "/var/lib/db"))
' "$out" 2>&1)
if [ "$st" -eq 0 ] && printf '%s' "$anon" | grep -Eqx '[0-9a-f]{64}' &&
    [ -f "$UNIKIT_HOME/volumes/$anon/_data/stamped" ] && [ ! -e "$host/stamped" ]; then
    pass declared-anonymous
else
    fail declared-anonymous "run exited $st; the anonymous volume '$anon' must hold stamped, the -v folder not"
fi
u rm anon
if [ "$status" -eq 0 ] && [ -n "$anon" ] && [ ! -e "$UNIKIT_HOME/volumes/$anon" ]; then
    pass declared-rm
else
    fail declared-rm "rm exited $status, or left $UNIKIT_HOME/volumes/$anon"
fi

declared_context "volumes: [/data, /data/]"
expect_error declared-bad-duplicate 1 "Unikfile:[0-9]+: field 'volumes': '/data/' given more than once" \
    build "$tmp/declared"
declared_context "volumes: /data"
expect_error declared-bad-not-a-list 1 "Unikfile:[0-9]+: field 'volumes': expected a list" \
    build "$tmp/declared"

# ---- durability: SIGKILL of QEMU loses nothing fsync returned ----------------------

# check_records FILE N: FILE begins with records 0 to N, whole.
check_records() {
    awk -v n="$2" 'NR <= n + 1 { if ($0 != sprintf("record %08d", NR - 1)) bad = 1 }
        END { exit bad || NR < n + 1 }' "$1"
}

losses=0
rounds_done=0
mkdir -p "$tmp/dur"
round=0
while [ "$round" -lt "$VOL_ROUNDS" ]; do
    round=$((round + 1))
    rm -f "$tmp/dur/log"
    # a random kill point: after 1 to 64 records the guest said were synced
    target=$(($(od -An -N1 -tu1 /dev/urandom) % 64 + 1))
    arch=x86_64
    [ $((round % 2)) -eq 0 ] && arch=aarch64
    if ! "$UNIKIT" run -d --name dur --arch "$arch" -v "$tmp/dur:/data" voltest durable /data/log >/dev/null 2>&1 ||
        ! wait_for 30 sh -c "[ \$(\"$UNIKIT\" logs --stdout dur | grep -c '^synced ') -ge $target ]"; then
        fail durability "round $round ($arch): the writer did not start or report"
        "$UNIKIT" logs dur >&2
        "$UNIKIT" rm -f dur >/dev/null 2>&1
        break
    fi
    "$UNIKIT" kill dur >/dev/null 2>&1
    last=$("$UNIKIT" logs --stdout dur | sed -n 's/^synced //p' | tail -n 1)
    "$UNIKIT" rm -f dur >/dev/null 2>&1
    if ! check_records "$tmp/dur/log" "$last"; then
        losses=$((losses + 1))
        echo "  round $round ($arch): synced $last, but the file has $(wc -l <"$tmp/dur/log") lines" >&2
    fi
    rounds_done=$round
done
if [ "$rounds_done" -eq "$VOL_ROUNDS" ] && [ "$losses" -eq 0 ]; then
    pass durability
elif [ "$rounds_done" -eq "$VOL_ROUNDS" ]; then
    fail durability "$losses of $VOL_ROUNDS rounds lost a synced record"
fi

[ "$failures" -eq 0 ]
