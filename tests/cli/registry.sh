#!/bin/sh
# Registry, tag, rmi, save and load tests: push to and pull from Debian's
# docker-registry, cross-checked with skopeo, plus a fake registry
# (fixtures/registry-fake.py) that misbehaves on purpose. One line per check:
# "ok registry-X", "FAIL registry-X" (details on stderr) or "skip registry-X: why".
#
# Usage: sh tests/cli/registry.sh
# Environment: UNIKIT (default build/asan/bin/unikit), KEEP_TMP=1 keeps the work folder.
# Each command's time limit is 60 s, whatever CLI_TIMEOUT says.

local_tests="tag tag-ipv6 rmi rmi-unknown tag-unknown save-unknown load-bad save-load corrupted-blob
save-fifo-failed save-fifo save-device-failed save-device save-keeps-file save-creates-nothing
save-over-file docker-archive podman-run load-old-format load-not-unikit load-no-elf"
registry_tests="push pull-run pull-run-arm64 pull-again push-same-digest mount chunked down not-found
pull-not-unikit pull-no-elf basic-auth podman-pull"
skopeo_tests="skopeo-inspect skopeo-copy standard-layer skopeo-push"
fake_tests="token bad-digest truncated resume stalled deadline limit-bad pull-full-disk upload-elsewhere
upload-relative mount-refused"

suite=registry
tests="$local_tests $registry_tests $skopeo_tests $fake_tests"
own_checks=1 # an x86_64 kernel is what it needs
. "$(dirname "$0")/lib.sh"
fake_py=$root/tests/cli/fixtures/registry-fake.py
# This suite's time limit is its own: CLI_TIMEOUT does not change it.
CLI_TIMEOUT=60

if [ ! -x "$UNIKIT" ] || [ ! -f "$UNIKIT_LIBDIR/x86_64/kernel.o" ]; then
    skip_all "unikit not built (run make)"
fi

# The servers started here go at exit.
pids=""
stop_servers() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
}
on_exit=stop_servers

# The tests here use several homes (new_home), so every command names its
# home: uh, store_state_of and expect_error_in stand for lib.sh's u,
# store_state and expect_error.

# fail_out NAME WHY...: fail, and show what the last command printed.
fail_out() {
    fail "$@"
    show
}

# uh HOME ARGS...: u, with UNIKIT_HOME=HOME.
uh() {
    h=$1
    shift
    UNIKIT_HOME=$h timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" "$@" >"$out" 2>"$err" </dev/null
    status=$?
}

# A fresh home with its (empty) store created.
new_home() {
    mkdir -p "$tmp/$1"
    UNIKIT_HOME=$tmp/$1 "$UNIKIT" images >/dev/null 2>&1
    echo "$tmp/$1"
}

# store_state_of HOME: every path and checksum under HOME's store (which
# new_home made).
store_state_of() {
    (cd "$1" && find images | LC_ALL=C sort && find images -type f -exec sha256sum {} + | LC_ALL=C sort)
}

# expect_error_in NAME HOME PATTERN ARGS...: exit 125, one stderr line
# matching PATTERN, HOME's store unchanged.
expect_error_in() {
    name=$1 h=$2 pattern=$3
    shift 3
    before=$(store_state_of "$h")
    uh "$h" "$@"
    after=$(store_state_of "$h")
    why=""
    [ "$status" -eq 125 ] || why="$why exit status $status, wanted 125;"
    [ "$(lines "$err")" -eq 1 ] || why="$why stderr has $(lines "$err") lines, wanted 1;"
    grep -Eiq -e "$pattern" "$err" || why="$why stderr does not match /$pattern/;"
    [ "$before" = "$after" ] || why="$why the store changed;"
    if [ -z "$why" ]; then pass "$name"; else fail_out "$name" "unikit $*:$why"; fi
}

# wait_http URL: until it answers (any HTTP status), at most 10 s.
wait_http() {
    i=0
    while [ $i -lt 100 ]; do
        if command -v curl >/dev/null 2>&1; then
            curl -s -o /dev/null "$1" && return 0
        else
            python3 -c "import urllib.request,sys
try: urllib.request.urlopen(sys.argv[1])
except urllib.error.HTTPError: pass" "$1" 2>/dev/null && return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# start_registry NAME [AUTH-YAML]: docker-registry on a free port; sets $port.
start_registry() {
    port=$(free_port)
    mkdir -p "$tmp/$1-data"
    {
        printf 'version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n'
        printf '    rootdirectory: %s\n' "$tmp/$1-data"
        printf 'http:\n  addr: 127.0.0.1:%s\n' "$port"
        [ -n "${2:-}" ] && printf '%s\n' "$2"
    } >"$tmp/$1.yml"
    docker-registry serve "$tmp/$1.yml" >"$tmp/$1.log" 2>&1 &
    pids="$pids $!"
    wait_http "http://127.0.0.1:$port/v2/"
}

# start_fake MODE LAYOUT: the fake registry; sets $fport.
start_fake() {
    rm -f "$tmp/fake-port"
    python3 "$fake_py" --mode "$1" --layout "$2" --port-file "$tmp/fake-port" 2>"$tmp/fake-$1.log" &
    pids="$pids $!"
    i=0
    while [ ! -s "$tmp/fake-port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    fport=$(cat "$tmp/fake-port" 2>/dev/null)
    [ -n "$fport" ]
}

# ---- the local verbs: build, tag, rmi, save, load ------------------------------

A=$(new_home a)
uh "$A" build -q "$root/examples/hello"
if [ "$status" -ne 0 ]; then
    fail_out build "build of examples/hello exited $status"
    skip_all "examples/hello did not build"
fi
hello_out="Hello from a unikernel!"
# examples/hello is built for every architecture its Unikfile lists: each
# has a config and a layer blob (pushed) and a manifest (pulled, as well).
uh "$A" images
narch=$(grep -c '^hello ' "$out")

# run_prints HOME IMAGE: the image boots and prints the hello greeting.
run_prints() {
    uh "$1" run "$2"
    [ "$status" -eq 0 ] && grep -Fxq "$hello_out" "$out"
}

uh "$A" tag hello hello-copy:2
st=$status
uh "$A" images
if [ "$st" -eq 0 ] && grep -q '^hello-copy:2 ' "$out" && grep -q '^hello ' "$out" &&
    run_prints "$A" hello-copy:2; then
    pass tag
else
    fail_out tag "tag hello hello-copy:2 exited $st, or images/run do not show it"
fi

# A bracketed IPv6 registry with a port (README names [::1] as a loopback registry).
uh "$A" tag hello '[::1]:5000/hello:1'
st=$status
uh "$A" images
if [ "$st" -eq 0 ] && grep -Fq '[::1]:5000/hello:1 ' "$out"; then
    pass tag-ipv6
else
    fail_out tag-ipv6 "tag hello '[::1]:5000/hello:1' exited $st, or images does not show it"
fi
uh "$A" rmi '[::1]:5000/hello:1'

blobs_before=$(ls "$A/images/blobs/sha256" | wc -l)
uh "$A" rmi hello-copy:2
st=$status
blobs_after=$(ls "$A/images/blobs/sha256" | wc -l)
if [ "$st" -eq 0 ] && [ "$blobs_before" = "$blobs_after" ] && run_prints "$A" hello &&
    ! "$UNIKIT" images 2>/dev/null | grep -q hello-copy; then
    pass rmi
else
    fail_out rmi "rmi hello-copy:2 exited $st; blobs $blobs_before -> $blobs_after (a tag shares them)"
fi

expect_error_in rmi-unknown "$A" "no such image: nope" rmi nope
uh "$A" rmi -f nope
[ "$status" -eq 0 ] || fail_out rmi-unknown "rmi -f nope exited $status, wanted 0"
expect_error_in tag-unknown "$A" "no such image: nope" tag nope other:1
expect_error_in save-unknown "$A" "nope" save -o "$tmp/nope.tar" nope
echo "not an archive" >"$tmp/bad.tar"
expect_error_in load-bad "$A" "bad.tar" load -i "$tmp/bad.tar"

L=$(new_home load)
uh "$A" save hello -o "$tmp/hello.tar"
st=$status
uh "$L" load -i "$tmp/hello.tar"
# One line per name and architecture stored.
if [ "$st" -eq 0 ] && [ "$status" -eq 0 ] && grep -Fxq "loaded hello:latest (x86_64)" "$out" &&
    [ "$(lines "$out")" -eq "$narch" ] &&
    run_prints "$L" hello; then
    pass save-load
else
    fail_out save-load "save exited $st, load exited $status, or the loaded image did not run"
fi

# A damaged blob in the store is caught by its digest before anything boots.
C=$(new_home corrupt)
uh "$C" load -i "$tmp/hello.tar"
# Every layer (the only blobs above 4 KiB), whichever architecture runs.
for layer in $(find "$C/images/blobs/sha256" -type f -size +4k); do
    printf 'X' | dd of="$layer" bs=1 seek=200 conv=notrunc 2>/dev/null
done
uh "$C" run hello
if [ "$status" -eq 125 ] && [ "$(lines "$err")" -eq 1 ] && grep -q "corrupted" "$err"; then
    pass corrupted-blob
else
    fail_out corrupted-blob "run of a damaged image: exit $status (wanted 125 and one 'corrupted' line)"
fi

# ---- save -o: never remove or replace what unikit did not create ----------------

# (In $C, whose layers were damaged above.) Every blob is checked before the
# output is opened, so a damaged image writes nothing into a pipe or device.
O=$tmp/outputs
mkdir -p "$O"
mkfifo "$O/fifo"
expect_error_in save-fifo-failed "$C" "corrupted" save -o "$O/fifo" hello
if [ -p "$O/fifo" ]; then
    cat "$O/fifo" >"$O/from-fifo" &
    reader=$!
    uh "$A" save -o "$O/fifo" hello
    st=$status
    [ "$st" -eq 0 ] || : >"$O/fifo" # the reader would wait for a writer forever
    wait "$reader"
    uh "$L" load -i "$O/from-fifo"
    if [ "$st" -eq 0 ] && [ "$status" -eq 0 ] && [ -p "$O/fifo" ]; then
        pass save-fifo
    else
        fail_out save-fifo "save into a FIFO exited $st, loading what it wrote $status, or the FIFO is gone"
    fi
else
    fail_out save-fifo "a failed save -o FIFO removed or replaced the FIFO"
fi

# A character device node (the host's /dev/null, made anew here): written in
# place, kept after a failed save. Making one needs root.
if [ "$(id -u)" -ne 0 ]; then
    skip_tests "mknod of a character device needs root" save-device-failed save-device
elif ! mknod "$O/null" c 1 3 2>/dev/null || ! : >"$O/null" 2>/dev/null; then
    skip_tests "cannot make or open a device node under $O (nodev?)" save-device-failed save-device
else
    uh "$A" save -o "$O/null" hello
    st=$status
    expect_error_in save-device-failed "$C" "corrupted" save -o "$O/null" hello
    if [ "$st" -eq 0 ] && [ -c "$O/null" ] && [ "$(stat -c %t:%T "$O/null")" = "1:3" ]; then
        pass save-device
    else
        fail_out save-device "save -o a device node exited $st, or the node is no longer char 1:3"
    fi
fi

# listing: what the outputs folder holds (a temporary left behind shows up).
listing() { (cd "$O" && ls -A | LC_ALL=C sort); }

# A write that fails half-way (the file size limit: SIGXFSZ ignored, so
# write returns EFBIG) must leave an existing file as it was, and no
# temporary beside it.
printf 'precious\n' >"$O/keep.tar"
chmod 640 "$O/keep.tar"
before=$(listing)
(
    trap '' XFSZ
    ulimit -f 64
    uh "$A" save -o "$O/keep.tar" hello
    echo "$status" >"$O.status"
)
if [ "$(cat "$O.status")" -eq 125 ] && [ "$(lines "$err")" -eq 1 ] &&
    grep -q "keep.tar: writing the archive: File too large" "$err" &&
    [ "$(cat "$O/keep.tar")" = precious ] && [ "$before" = "$(listing)" ]; then
    pass save-keeps-file
else
    fail_out save-keeps-file "exit $(cat "$O.status"); keep.tar holds '$(head -c 40 "$O/keep.tar")'" \
        "outputs before: $before" "after: $(listing)"
fi

# The same for a path that does not exist yet: nothing is created.
(
    trap '' XFSZ
    ulimit -f 64
    uh "$A" save -o "$O/new.tar" hello
    echo "$status" >"$O.status"
)
if [ "$(cat "$O.status")" -eq 125 ] && [ "$before" = "$(listing)" ]; then
    pass save-creates-nothing
else
    fail_out save-creates-nothing "exit $(cat "$O.status")" "outputs before: $before" "after: $(listing)"
fi

# A save that succeeds replaces the file whole and keeps its mode.
uh "$A" save -o "$O/keep.tar" hello
st=$status
uh "$L" load -i "$O/keep.tar"
if [ "$st" -eq 0 ] && [ "$status" -eq 0 ] && [ "$(stat -c %a "$O/keep.tar")" = 640 ] &&
    [ "$before" = "$(listing)" ]; then
    pass save-over-file
else
    fail_out save-over-file "save exited $st, load $status, mode $(stat -c %a "$O/keep.tar")" \
        "outputs: $(listing)"
fi

# ---- the standard format: docker load, old archives, images that are not unikit's ---

# save also writes a docker-archive manifest.json (docker load 20.10 reads
# only that): skopeo reads the archive as a docker-archive, this machine's build.
if ! command -v skopeo >/dev/null 2>&1; then
    skip docker-archive "skopeo is not installed"
elif skopeo inspect "docker-archive:$tmp/hello.tar" >"$out" 2>"$err" &&
    grep -q '"Architecture": "amd64"' "$out" && grep -q '"org.unikit.format": "1"' "$out"; then
    pass docker-archive
else
    fail_out docker-archive "skopeo inspect docker-archive: of what save wrote failed or lacks the labels"
fi

# Without unikit's runtime, an engine runs the image as an ordinary container:
# runc starts the static program at cmd[0] from the layer (podman, as FACTS.md
# says it runs here: runc, cgroupfs, a vfs store of its own).
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
    skip podman-run "podman or runc is not installed"
else
    pm="podman --root $tmp/podman-root --runroot $tmp/podman-run --storage-driver vfs --runtime runc"
    pm="$pm --cgroup-manager cgroupfs --events-backend file"
    if timeout 120 $pm load -i "$tmp/hello.tar" >"$out" 2>"$err" &&
        timeout 120 $pm run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 \
            hello:latest a >"$out" 2>"$err" &&
        grep -Fxq "$hello_out" "$out" && grep -Fxq "arg 1: a" "$out"; then
        pass podman-run
    else
        fail_out podman-run "podman load of the saved archive, then run with runc, did not print the greeting"
    fi
fi

# An archive of the store's own layout, as earlier unikit versions saved it
# (a unikit config and the ELF as the layer), still loads and runs.
tar cf "$tmp/old.tar" -C "$A/images" oci-layout index.json blobs
if grep -aq application/vnd.unikit.image.v1+elf "$tmp/old.tar"; then
    N=$(new_home old)
    uh "$N" load -i "$tmp/old.tar"
    if [ "$status" -eq 0 ] && run_prints "$N" hello; then
        pass load-old-format
    else
        fail_out load-old-format "load of an archive in the old format: exit $status, or it did not run"
    fi
else
    fail_out load-old-format "the store's own layout has no unikit ELF layer"
fi

# Standard images that are not unikit images: refused with one line, nothing kept.
plain_py=$root/tests/cli/fixtures/plain-image.py
python3 "$plain_py" "$tmp/plain" && tar cf "$tmp/plain.tar" -C "$tmp/plain" .
python3 "$plain_py" "$tmp/plain-label" --label && tar cf "$tmp/plain-label.tar" -C "$tmp/plain-label" .
expect_error_in load-not-unikit "$L" "plain:1 is not a unikit image \(its config has no org.unikit.format label\)" \
    load -i "$tmp/plain.tar"
expect_error_in load-no-elf "$L" "plain:1 is not a unikit image \(its layer has no .unikit/image.elf\)" \
    load -i "$tmp/plain-label.tar"

# ---- a real registry ------------------------------------------------------------

if ! command -v docker-registry >/dev/null 2>&1; then
    skip_tests "docker-registry is not installed" $registry_tests $skopeo_tests
elif ! start_registry reg; then
    skip_tests "docker-registry did not start" $registry_tests $skopeo_tests
else
    R=127.0.0.1:$port
    uh "$A" tag hello "$R/hello:1"
    uh "$A" push "$R/hello:1"
    if [ "$status" -eq 0 ] && grep -q "^pushed $R/hello:1 sha256:.*($((2 * narch)) blobs uploaded" "$out"; then
        pass push
    else
        fail_out push "push exited $status"
    fi

    pushed=$(sed -n 's/^pushed [^ ]* \(sha256:[0-9a-f]*\) .*/\1/p' "$out")

    B=$(new_home b)
    uh "$B" pull "$R/hello:1"
    if [ "$status" -eq 0 ] && run_prints "$B" "$R/hello:1"; then
        pass pull-run
    else
        fail_out pull-run "pull into an empty home, then run: exit $status"
    fi
    if [ "$narch" -lt 2 ]; then
        skip pull-run-arm64 "hello was built for one architecture"
    else
        uh "$B" run --arch aarch64 "$R/hello:1"
        if [ "$status" -eq 0 ] && grep -Fxq "$hello_out" "$out"; then
            pass pull-run-arm64
        else
            fail_out pull-run-arm64 "run --arch aarch64 of the pulled image: exit $status"
        fi
    fi

    stamps() { ls -l --time-style=+%s.%N "$B/images/blobs/sha256" | awk '{print $6, $7}'; }
    before=$(stamps)
    uh "$B" pull "$R/hello:1"
    if [ "$status" -eq 0 ] && grep -q "(0 blobs downloaded, $((3 * narch)) already present)" "$out" &&
        [ "$before" = "$(stamps)" ]; then
        pass pull-again
    else
        fail_out pull-again "a second pull must fetch nothing (exit $status)"
    fi

    # The standard form is made again, byte for byte, once the store's copy is
    # forgotten (a second later: no timestamp of the moment goes in).
    rm -f "$A/images/exports.json"
    sleep 1
    uh "$A" tag hello "$R/again:1"
    uh "$A" push "$R/again:1"
    if [ "$status" -eq 0 ] && [ -n "$pushed" ] && grep -q "^pushed $R/again:1 $pushed " "$out"; then
        pass push-same-digest
    else
        fail_out push-same-digest "a second push of the same image must give $pushed (exit $status)"
    fi

    # An image that is not a unikit image: refused by its config (before its
    # layer is fetched), or by its layer without .unikit/image.elf.
    if command -v skopeo >/dev/null 2>&1 &&
        skopeo copy --dest-tls-verify=false "oci:$tmp/plain:plain:1" "docker://$R/plain:1" >/dev/null 2>&1 &&
        skopeo copy --dest-tls-verify=false "oci:$tmp/plain-label:plain:1" "docker://$R/plain:2" >/dev/null 2>&1; then
        expect_error_in pull-not-unikit "$(new_home plain)" \
            "$R/plain:1 is not a unikit image \(its config has no org.unikit.format label\)" pull "$R/plain:1"
        expect_error_in pull-no-elf "$(new_home plain2)" \
            "$R/plain:2 is not a unikit image \(its layer has no .unikit/image.elf\)" pull "$R/plain:2"
    else
        skip_tests "skopeo cannot push the plain images" pull-not-unikit pull-no-elf
    fi

    uh "$A" tag hello "$R/copy:1"
    uh "$A" push "$R/copy:1"
    if [ "$status" -eq 0 ] && grep -q "(0 blobs uploaded, $((2 * narch)) mounted" "$out" &&
        grep -q 'POST /v2/copy/blobs/uploads/?mount=' "$tmp/reg.log"; then
        pass mount
    else
        fail_out mount "push of a second repository must mount the blobs from the first"
    fi

    # Small chunks force PATCH uploads; the home knows no other repository to mount from.
    K=$(new_home chunk)
    uh "$K" load -i "$tmp/hello.tar"
    uh "$K" tag hello "$R/chunked:1"
    uh "$K" rmi hello
    UNIKIT_REGISTRY_CHUNK=8192 uh "$K" push "$R/chunked:1"
    st=$status
    K2=$(new_home chunk2)
    uh "$K2" pull "$R/chunked:1"
    if [ "$st" -eq 0 ] && grep -q 'PATCH /v2/chunked/blobs/uploads/' "$tmp/reg.log" &&
        [ "$status" -eq 0 ] && run_prints "$K2" "$R/chunked:1"; then
        pass chunked
    else
        fail_out chunked "chunked push exited $st; pull back exited $status"
    fi

    dead=$(free_port)
    E=$(new_home errors)
    expect_error_in down "$E" "cannot reach registry 127.0.0.1:$dead" pull "127.0.0.1:$dead/hello:1"
    expect_error_in not-found "$E" "not found.*manifest unknown" pull "$R/nope:1"

    # skopeo: a second, independent client of the same registry.
    if ! command -v skopeo >/dev/null 2>&1; then
        skip_tests "skopeo is not installed" $skopeo_tests
    else
        # The standard media types, and both platforms.
        why=""
        skopeo inspect --raw --tls-verify=false "docker://$R/hello:1" >"$out" 2>"$err" || why="$why inspect failed;"
        grep -q '"mediaType":"application/vnd.oci.image.index.v1+json"' "$out" || why="$why no OCI index;"
        grep -q '"architecture":"amd64"' "$out" || why="$why no amd64;"
        [ "$narch" -lt 2 ] || grep -q '"architecture":"arm64"' "$out" || why="$why no arm64;"
        amd64=$(python3 -c 'import json,sys
print([m["digest"] for m in json.load(open(sys.argv[1]))["manifests"] if m["platform"]["architecture"] == "amd64"][0])' "$out" 2>/dev/null)
        skopeo inspect --raw --tls-verify=false "docker://$R/hello@$amd64" >"$out" 2>"$err" || why="$why manifest $amd64 not read;"
        grep -q '"mediaType":"application/vnd.oci.image.config.v1+json"' "$out" || why="$why no standard config;"
        grep -q '"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip"' "$out" || why="$why no tar+gzip layer;"
        ! grep -q vnd.unikit "$out" || why="$why a unikit media type;"
        if [ -z "$why" ]; then pass skopeo-inspect; else fail_out skopeo-inspect "$why"; fi
        if skopeo copy --all --src-tls-verify=false "docker://$R/hello:1" "oci:$tmp/oci:hello" \
            >"$out" 2>"$err"; then
            pass skopeo-copy
        else
            fail_out skopeo-copy "skopeo copy --all from the registry to an OCI layout failed"
        fi
        # The amd64 layer: a tar.gz of .unikit/image.elf, .unikit/config.json
        # and the program at its Entrypoint, a static program this host runs.
        why=""
        blobdir=$tmp/oci/blobs/sha256
        layer=$(python3 -c 'import json,sys
m = json.load(open(sys.argv[1] + "/" + sys.argv[2].split(":")[1]))
print(m["layers"][0]["digest"].split(":")[1], m["config"]["digest"].split(":")[1])' "$blobdir" "$amd64" 2>/dev/null)
        set -- $layer
        mkdir -p "$tmp/rootfs"
        tar xzf "$blobdir/${1:-none}" -C "$tmp/rootfs" 2>"$err" || why="$why the layer is not a tar.gz;"
        entry=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["Entrypoint"][0])' \
            "$blobdir/${2:-none}" 2>/dev/null)
        [ -f "$tmp/rootfs/.unikit/image.elf" ] || why="$why no .unikit/image.elf;"
        [ -f "$tmp/rootfs/.unikit/config.json" ] || why="$why no .unikit/config.json;"
        [ -n "$entry" ] && [ -x "$tmp/rootfs$entry" ] || why="$why no program at the Entrypoint '$entry';"
        if [ "$(uname -m)" = x86_64 ] && [ -z "$why" ]; then
            "$tmp/rootfs$entry" >"$out" 2>&1 </dev/null
            grep -Fxq "$hello_out" "$out" || why="$why $entry does not run as a Linux program;"
        fi
        if [ -z "$why" ]; then pass standard-layer; else fail_out standard-layer "$why"; fi
        S=$(new_home s)
        if skopeo copy --all --dest-tls-verify=false "oci:$A/images:hello:latest" \
            "docker://$R/other:2" >"$out" 2>"$err"; then
            uh "$S" pull "$R/other:2"
            if [ "$status" -eq 0 ] && run_prints "$S" "$R/other:2"; then
                pass skopeo-push
            else
                fail_out skopeo-push "pull of what skopeo pushed: exit $status"
            fi
        else
            fail_out skopeo-push "skopeo copy --all from the store to the registry failed"
        fi
    fi

    # Basic authentication: a second registry with an htpasswd file (bcrypt).
    hash=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("secret", crypt.mksalt(crypt.METHOD_BLOWFISH)))' 2>/dev/null)
    case $hash in
    '$2'*)
        echo "tester:$hash" >"$tmp/htpasswd"
        if start_registry auth "auth:
  htpasswd:
    realm: unikit-test
    path: $tmp/htpasswd"; then
            Q=127.0.0.1:$port
            uh "$A" tag hello "$Q/hello:1"
            expect_error_in basic-auth-required "$A" "authentication required" push "$Q/hello:1"
            printf '{"registries":{"%s":{"username":"tester","password":"secret"}}}\n' "$Q" >"$A/auth.json"
            uh "$A" push "$Q/hello:1"
            st=$status
            P=$(new_home p)
            UNIKIT_REGISTRY_USER=tester UNIKIT_REGISTRY_PASSWORD=secret uh "$P" pull "$Q/hello:1"
            if [ "$st" -eq 0 ] && [ "$status" -eq 0 ] && run_prints "$P" "$Q/hello:1"; then
                pass basic-auth
            else
                fail_out basic-auth "push with auth.json exited $st; pull with env credentials $status"
            fi
            rm -f "$A/auth.json"
        else
            skip basic-auth "the htpasswd registry did not start"
        fi
        ;;
    *) skip basic-auth "no bcrypt in this python3 to write an htpasswd file" ;;
    esac

    # podman pulls what unikit pushed (a store of its own under $tmp).
    if ! command -v podman >/dev/null 2>&1; then
        skip podman-pull "podman is not installed"
    else
        pm="podman --root $tmp/podman-root --runroot $tmp/podman-run --storage-driver vfs"
        if $pm pull --tls-verify=false "$R/hello:1" >"$out" 2>"$err" &&
            $pm image inspect --format '{{index .Labels "org.unikit.format"}}' "$R/hello:1" >"$out" 2>>"$err" &&
            grep -qx 1 "$out"; then
            pass podman-pull
        else
            fail_out podman-pull "podman pull of the pushed image failed, or lost its labels"
        fi
    fi
fi

# ---- a fake registry that misbehaves ------------------------------------------

if ! command -v python3 >/dev/null 2>&1; then
    skip_tests "python3 is not installed" $fake_tests
    exit 0
fi

mkdir -p "$tmp/layout" && (cd "$tmp/layout" && tar xf "$tmp/hello.tar")

if start_fake auth "$tmp/layout"; then
    F=$(new_home f1)
    expect_error_in token-required "$F" "authentication required" pull "127.0.0.1:$fport/hello:1"
    UNIKIT_REGISTRY_USER=tester UNIKIT_REGISTRY_PASSWORD=secret uh "$F" pull "127.0.0.1:$fport/hello:1"
    if [ "$status" -eq 0 ] && run_prints "$F" "127.0.0.1:$fport/hello:1"; then
        pass token
    else
        fail_out token "pull through the Bearer token flow exited $status"
    fi
else
    skip token "the fake registry did not start"
fi

if start_fake bad-digest "$tmp/layout"; then
    expect_error_in bad-digest "$(new_home f2)" "does not match its digest" pull "127.0.0.1:$fport/hello:1"
else
    skip bad-digest "the fake registry did not start"
fi

if start_fake truncate "$tmp/layout"; then
    F=$(new_home f3)
    expect_error_in truncated "$F" "cut short" pull "127.0.0.1:$fport/hello:1"
    if ls -A "$F/images/blobs/sha256" | grep -q .; then
        fail_out truncated "a cut-short download left files: $(ls -A "$F/images/blobs/sha256")"
    fi
else
    skip truncated "the fake registry did not start"
fi

if start_fake truncate-once "$tmp/layout"; then
    F=$(new_home f4)
    uh "$F" pull "127.0.0.1:$fport/hello:1"
    if [ "$status" -eq 0 ] && run_prints "$F" "127.0.0.1:$fport/hello:1"; then
        pass resume
    else
        fail_out resume "a pull whose downloads are cut once must resume with Range (exit $status)"
    fi
else
    skip resume "the fake registry did not start"
fi

# A registry that sends one byte every 2 s: the pull must not wait for it
# forever. The low-speed limit ends it, or the overall deadline; both say
# what happened and that pulling again resumes. (Shortened here by their
# environment variables; the defaults are 30 s below 1024 bytes/s, and 1 h.)
if start_fake slow "$tmp/layout"; then
    export UNIKIT_REGISTRY_LOW_SPEED_TIME=2
    expect_error_in stalled "$(new_home f5)" \
        "registry 127.0.0.1:$fport stalled: blob sha256:[0-9a-f]{64} \([0-9]+ of [0-9]+ bytes\) came at less than 1024 bytes/s for 2 s.*; running pull again resumes" \
        pull "127.0.0.1:$fport/hello:1"
    unset UNIKIT_REGISTRY_LOW_SPEED_TIME
    export UNIKIT_REGISTRY_LOW_SPEED=0 UNIKIT_REGISTRY_TIMEOUT=3
    expect_error_in deadline "$(new_home f6)" \
        "registry 127.0.0.1:$fport: gave up on blob sha256:[0-9a-f]{64} \([0-9]+ of [0-9]+ bytes\) after 3 s in all \(UNIKIT_REGISTRY_TIMEOUT\); running pull again resumes" \
        pull "127.0.0.1:$fport/hello:1"
    export UNIKIT_REGISTRY_TIMEOUT=soon
    expect_error_in limit-bad "$(new_home f7)" "UNIKIT_REGISTRY_TIMEOUT: 'soon' is not a whole number" \
        pull "127.0.0.1:$fport/hello:1"
    unset UNIKIT_REGISTRY_LOW_SPEED UNIKIT_REGISTRY_TIMEOUT
else
    skip_tests "the fake registry did not start" stalled deadline limit-bad
fi

# A full disk under the store (a 64 KiB tmpfs, root only): the download's
# failed write is the store's "no space left", not curl's "Failed writing".
full=$tmp/full
if [ "$(id -u)" -ne 0 ]; then
    skip pull-full-disk "needs root to mount a tmpfs"
elif ! start_fake good "$tmp/layout"; then
    skip pull-full-disk "the fake registry did not start"
elif ! mkdir -p "$full" || ! mount -t tmpfs -o size=64k tmpfs "$full" 2>/dev/null; then
    skip pull-full-disk "cannot mount a tmpfs here"
else
    # Not expect_error: the blobs that did fit stay, so that pulling again resumes.
    uh "$full/home" pull "127.0.0.1:$fport/hello:1"
    if [ "$status" -eq 125 ] && [ "$(lines "$err")" -eq 1 ] &&
        grep -Eq "no space left on device for the image store \(writing blob sha256:[0-9a-f]{64}\)" "$err"; then
        pass pull-full-disk
    else
        fail_out pull-full-disk "pull into a full store: exit $status, wanted 125 and one 'no space left' line"
    fi
    umount "$full"
fi

# fake_push MODE HOME NAME: push NAME (hello, tagged for the fake) with Basic credentials.
fake_push() {
    uh "$2" tag hello "127.0.0.1:$fport/$3"
    UNIKIT_REGISTRY_USER=tester UNIKIT_REGISTRY_PASSWORD=secret uh "$2" push "127.0.0.1:$fport/$3"
}

# An upload Location on another host (absolute, then network-path //host/...)
# must not get the registry's credentials; the fake refuses uploads that do.
if start_fake upload-elsewhere "$tmp/layout"; then
    G=$(new_home g1)
    uh "$G" load -i "$tmp/hello.tar"
    fake_push upload-elsewhere "$G" team/hello:1
    if [ "$status" -eq 0 ] && grep -q "($((2 * narch)) blobs uploaded" "$out"; then
        pass upload-elsewhere
    else
        fail_out upload-elsewhere "push whose uploads go to another host: exit $status"
    fi
else
    skip upload-elsewhere "the fake registry did not start"
fi

# A relative Location ("session-1?state=x") resolves against the POST's URL;
# a refused cross-repository mount (403) falls back to an upload.
if start_fake upload-relative "$tmp/layout"; then
    G=$(new_home g2)
    uh "$G" load -i "$tmp/hello.tar"
    fake_push upload-relative "$G" team/hello:1
    if [ "$status" -eq 0 ] && grep -q "($((2 * narch)) blobs uploaded" "$out"; then
        pass upload-relative
    else
        fail_out upload-relative "push with relative upload locations: exit $status"
    fi
    fake_push upload-relative "$G" team/copy:1
    if [ "$status" -eq 0 ] && grep -q "($((2 * narch)) blobs uploaded, 0 mounted" "$out"; then
        pass mount-refused
    else
        fail_out mount-refused "push after a refused mount must upload instead: exit $status"
    fi
else
    skip_tests "the fake registry did not start" upload-relative mount-refused
fi
