#!/bin/sh
# unikit-runtime, driven as the engines drive an OCI runtime (FACTS.md):
# containerd and docker put --root DIR --log FILE --log-format json before
# every verb, podman's conmon none. A bundle is made by hand: rootfs/.unikit/
# holds an image's ELF and config from the store, config.json is in an
# engine's shape (tests/cli/fixtures/oci-bundle.py). create runs under
# fixtures/subreaper.py, which plays the shim: it holds the container's
# stdio and reaps the container process, whose exit status is the program's.
# One line per check: "ok runtime-X", "FAIL runtime-X" or "skip runtime-X: why".
#
# Environment: UNIKIT_RUNTIME (default build/asan/bin/unikit-runtime).

suite=runtime
tests="version features lifecycle streams podman-shape stdin args-env memory kill-term kill-9
delete-running delete-force kill-stopped exec-refused pause-resume hooks-netns hook-fails no-qemu terminal
terminal-needs-socket
bad-config missing-bundle bad-args log-json runc-fallback ctr-run ctr-kill
docker-run docker-stdin docker-tty docker-stop docker-kill podman-run podman-stdin podman-stop podman-kill"
. "$(dirname "$0")/lib.sh"

RT=${UNIKIT_RUNTIME:-build/asan/bin/unikit-runtime}
case $RT in
/*) ;;
*) RT=$root/$RT ;;
esac
[ -x "$RT" ] || skip_all "unikit-runtime not built"
command -v "qemu-system-$host_arch" >/dev/null 2>&1 || skip_all "no qemu-system-$host_arch"

rtroot=$tmp/rtroot
rtlog=$tmp/rt.log
bundle_py=$fixtures/oci-bundle.py
reaper_py=$fixtures/subreaper.py
# containerd's and docker's global flags
G="--root $rtroot --log $rtlog --log-format json"
ids=""

# The host paths engines make whatever their roots say (fixtures/engines.sh).
. "$fixtures/engines.sh"
# The runtime's own podman-shaped containers use the default root: remove ours at exit.
on_exit='clean_up; remove_host_made'
clean_up() {
    for id in $ids; do
        "$RT" $G delete --force "$id" >/dev/null 2>&1
        "$RT" delete --force "$id" >/dev/null 2>&1
    done
}

u build --arch "$host_arch" "$fixtures/stdio"
[ "$status" -eq 0 ] || skip_all "build of fixtures/stdio failed: $(cat "$err")"
u build --arch "$host_arch" "$fixtures/printargs"
[ "$status" -eq 0 ] || skip_all "build of fixtures/printargs failed: $(cat "$err")"
for image in stdio printargs; do
    "$py" "$bundle_py" image "$UNIKIT_HOME" "$image:latest" "$host_arch" "$tmp/rootfs-$image" ||
        skip_all "cannot find the $image image's blobs in the store"
done

# bundle NAME IMAGE SHAPE ARGS_JSON [KEY=JSON...]: $tmp/NAME, a bundle of
# IMAGE's rootfs (shared, read only) in SHAPE's form.
bundle() {
    b=$tmp/$1 image=$2 shape=$3 args=$4
    shift 4
    mkdir -p "$b"
    [ -e "$b/rootfs" ] || ln -s "$tmp/rootfs-$image" "$b/rootfs"
    "$py" "$bundle_py" config "$shape" "$b" "$b/rootfs" "$args" "$@"
}

# create ID BUNDLE [STDIN [GLOBAL_FLAGS [CREATE_FLAGS]]]: create under the
# subreaper, as a shim does; its files in $tmp/c-ID (out, err, pid,
# create.status, exits).
create() {
    c=$tmp/c-$1
    rm -rf "$c" && mkdir -p "$c"
    ids="$ids $1"
    # shellcheck disable=SC2086 # global flags: one word each
    "$py" "$reaper_py" "$c" -- "$RT" ${4-$G} create ${5:-} --bundle "$2" --pid-file "$c/pid" "$1" \
        <"${3:-/dev/null}" >"$c/out" 2>"$c/err" &
    wait_for 30 test -e "$c/create.status"
    status=$(cat "$c/create.status" 2>/dev/null || echo 124)
}

# rt ARGS...: the runtime with the engine's global flags; $out, $err, $status.
rt() {
    timeout -k 10 "$CLI_TIMEOUT" "$RT" $G "$@" >"$out" 2>"$err" </dev/null
    status=$?
}

# exit_status ID: the container process's status, once the subreaper reaped it.
exit_status() {
    c=$tmp/c-$1
    pid=$(cat "$c/pid" 2>/dev/null)
    wait_for "$CLI_TIMEOUT" grep -q "^$pid " "$c/exits"
    sed -n "s/^$pid //p" "$c/exits" 2>/dev/null
}

# state_of ID: the status in `state ID`.
state_of() {
    "$RT" $G state "$1" 2>/dev/null | sed -n 's/^ *"status": *"\([a-z]*\)".*/\1/p'
}

# ready ID: the program printed "ready" (modes signals, ignore, plain).
ready() {
    wait_for "$CLI_TIMEOUT" grep -qx ready "$tmp/c-$1/out"
}

alive() {
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*zombie' "/proc/$1/status"
}

# ---- version, features ---------------------------------------------------------
rt --version
if [ "$status" -eq 0 ] && grep -q '^unikit-runtime version ' "$out" && grep -q '^spec: 1\.' "$out"; then
    pass version
else
    fail version "--version must print a version block with the spec version"
    show
fi

rt features
if [ "$status" -eq 0 ] && "$py" -c 'import json,sys; d=json.load(open(sys.argv[1]));
assert d["ociVersionMin"] and "prestart" in d["hooks"] and "network" in d["linux"]["namespaces"]' "$out"; then
    pass features
else
    fail features "features must print the runtime-spec features JSON"
    show
fi

# ---- create, state, start, the exit status, delete: containerd's calls ----------
bundle b-streams stdio ctr '["/stdio", "streams"]'
create ct-life "$tmp/b-streams"
created=$(state_of ct-life)
rt state ct-life
state_pid=$(jv pid)
rt start ct-life
start_status=$status
code=$(exit_status ct-life)
stopped=$(state_of ct-life)
rt delete ct-life
delete_status=$status
rt state ct-life
if [ "$created" = created ] && [ "$state_pid" = "$(cat "$tmp/c-ct-life/pid")" ] &&
    [ "$start_status" -eq 0 ] && [ "$code" = 0 ] && [ "$stopped" = stopped ] &&
    [ "$delete_status" -eq 0 ] && [ "$status" -ne 0 ] && [ ! -e "$rtroot/ct-life" ]; then
    pass lifecycle
else
    fail lifecycle "created '$created' (pid $state_pid), start $start_status, exit '$code'," \
        "then '$stopped', delete $delete_status; state after delete $status"
    cat "$tmp/c-ct-life/err" >&2
fi

seq 1 50 | sed 's/^/out /' >"$tmp/want-out"
seq 1 50 | sed 's/^/err /' >"$tmp/want-err"
if cmp -s "$tmp/want-out" "$tmp/c-ct-life/out" && cmp -s "$tmp/want-err" "$tmp/c-ct-life/err"; then
    pass streams
else
    fail streams "stdout and stderr must come apart, each in order"
    diff "$tmp/want-out" "$tmp/c-ct-life/out" | head -5 >&2
    diff "$tmp/want-err" "$tmp/c-ct-life/err" | head -5 >&2
fi

# ---- podman (conmon): no global flags, the default root ----------------------------
bundle b-podman stdio podman '["/stdio", "streams"]'
pid_ct="unikit-test-$$"
create "$pid_ct" "$tmp/b-podman" /dev/null ""
state_ok=$("$RT" state "$pid_ct" 2>/dev/null | grep -c '"org.example.test": "yes"')
"$RT" start "$pid_ct" 2>"$err"
code=$(exit_status "$pid_ct")
"$RT" delete --force "$pid_ct" 2>>"$err"
if [ "$status" -eq 0 ] && [ "$code" = 0 ] && [ "$state_ok" = 1 ] &&
    cmp -s "$tmp/want-out" "$tmp/c-$pid_ct/out" && [ ! -e "/run/unikit-runtime/$pid_ct" ]; then
    pass podman-shape
else
    fail podman-shape "create $status, exit '$code', annotations in state: $state_ok" "$(cat "$err")"
fi

# ---- stdin through a pipe on fd 0 (-i) ---------------------------------------------
head -c 1048576 /dev/urandom >"$tmp/input"
bundle b-cat stdio docker '["/stdio", "cat"]'
mkfifo "$tmp/stdin-pipe"
cat "$tmp/input" >"$tmp/stdin-pipe" &
create ct-cat "$tmp/b-cat" "$tmp/stdin-pipe"
rt start ct-cat
code=$(exit_status ct-cat)
if [ "$code" = 0 ] && cmp -s "$tmp/input" "$tmp/c-ct-cat/out" &&
    grep -qx "read 1048576 bytes" "$tmp/c-ct-cat/err"; then
    pass stdin
else
    fail stdin "1 MiB on the pipe create got as fd 0 must reach the program whole (exit '$code')"
    head -3 "$tmp/c-ct-cat/err" >&2
fi
rt delete ct-cat

# ---- process.args and env, memory limit --------------------------------------------
bundle b-args printargs docker '["/printargs", "one", "two words"]' \
    'process.env=["PATH=/bin", "NAME=bundle", "HOSTNAME=box"]'
create ct-args "$tmp/b-args"
rt start ct-args
code=$(exit_status ct-args)
cp "$tmp/c-ct-args/out" "$out"
if [ "$code" = 0 ] && expect_lines args-env "argc=3" "argv[1]=one" "argv[2]=two words" \
    "NAME=bundle" "GREETING=hi" "memory: 17M-48M"; then
    pass args-env
elif [ "$code" != 0 ]; then
    fail args-env "exit status '$code'"
fi
rt delete ct-args

bundle b-mem printargs docker '["/printargs"]' 'linux.resources={"memory": {"limit": 67108864}}'
create ct-mem "$tmp/b-mem"
rt start ct-mem
code=$(exit_status ct-mem)
cp "$tmp/c-ct-mem/out" "$out"
if [ "$code" = 0 ] && expect_lines memory "memory: over 48M"; then
    pass memory
elif [ "$code" != 0 ]; then
    fail memory "linux.resources.memory.limit must be the guest's RAM (exit '$code')"
fi
rt delete ct-mem

# ---- signals: kill 15 reaches the program's handler; kill 9 ends QEMU too -------------
bundle b-signals stdio docker '["/stdio", "signals"]'
create ct-term "$tmp/b-signals"
rt start ct-term
ready ct-term
rt kill ct-term 15
code=$(exit_status ct-term)
if [ "$code" = 7 ] && grep -qx "got 15" "$tmp/c-ct-term/out"; then
    pass kill-term
else
    fail kill-term "kill ID 15: the program's SIGTERM handler must run (exit '$code', wanted 7)"
    cat "$tmp/c-ct-term/out" "$tmp/c-ct-term/err" >&2
fi

rt kill ct-term 15
if [ "$status" -ne 0 ] && grep -q "container not running" "$err" && [ "$(lines "$err")" -eq 1 ]; then
    pass kill-stopped
else
    fail kill-stopped "kill of a stopped container must fail with 'container not running'"
    show
fi
rt delete ct-term

# A CPU quota of 1.5 CPUs: 2 vCPUs (rounded up).
bundle b-plain stdio docker '["/stdio", "plain"]' \
    'linux.resources={"cpu": {"quota": 150000, "period": 100000}}'
create ct-kill "$tmp/b-plain"
rt start ct-kill
ready ct-kill
qemu=$(cat "$rtroot/ct-kill/qemu.pid" 2>/dev/null)
smp=$(tr '\0' ' ' <"/proc/$qemu/cmdline" 2>/dev/null | grep -o -- '-smp [0-9]*')
rt kill --all ct-kill KILL
code=$(exit_status ct-kill)
wait_for 10 sh -c "! kill -0 $qemu"
if [ "$code" = 137 ] && [ -n "$qemu" ] && ! alive "$qemu" && [ "$smp" = "-smp 2" ]; then
    pass kill-9
else
    fail kill-9 "kill --all ID KILL: exit '$code' (wanted 137), QEMU $qemu must be gone;" \
        "QEMU had '$smp' (wanted -smp 2 for a quota of 1.5 CPUs)"
fi
rt delete ct-kill

# ---- delete of a running container: refused, then --force ------------------------------
create ct-del "$tmp/b-plain"
rt start ct-del
ready ct-del
qemu=$(cat "$rtroot/ct-del/qemu.pid" 2>/dev/null)
rt delete ct-del
if [ "$status" -ne 0 ] && grep -qi "not stopped" "$err" && [ "$(state_of ct-del)" = running ]; then
    pass delete-running
else
    fail delete-running "delete without --force of a running container must fail"
    show
fi
rt delete --force ct-del
code=$(exit_status ct-del)
if [ "$status" -eq 0 ] && [ "$code" = 137 ] && ! alive "$qemu" && [ ! -e "$rtroot/ct-del" ]; then
    pass delete-force
else
    fail delete-force "delete --force: status $status, exit '$code', QEMU $qemu gone, state gone"
    show
fi

# ---- exec refused, pause and resume ------------------------------------------------------
create ct-pause "$tmp/b-signals"
rt start ct-pause
ready ct-pause
rt exec --process "$tmp/process.json" --detach --pid-file "$tmp/exec.pid" ct-pause
if [ "$status" -eq 1 ] && [ "$(lines "$err")" -eq 1 ] && grep -q "exec: a unikernel runs one program" "$err"; then
    pass exec-refused
else
    fail exec-refused "exec must be refused in one line"
    show
fi
rt pause ct-pause
paused=$(state_of ct-pause)
qemu=$(cat "$rtroot/ct-pause/qemu.pid" 2>/dev/null)
qstate=$(sed -n 's/^State:\s*\(.\).*/\1/p' "/proc/$qemu/status" 2>/dev/null)
rt resume ct-pause
resumed=$(state_of ct-pause)
rt kill ct-pause TERM
code=$(exit_status ct-pause)
if [ "$paused" = paused ] && [ "$qstate" = T ] && [ "$resumed" = running ] && [ "$code" = 7 ]; then
    pass pause-resume
else
    fail pause-resume "pause: '$paused' (QEMU state '$qstate'), resume: '$resumed', exit after TERM '$code'"
fi
rt delete ct-pause

# ---- hooks: docker's prestart hook runs with the state on stdin, in a new netns ----------
cat >"$tmp/hook.sh" <<EOF
#!/bin/sh
cat >"$tmp/hook-\$1.json"
pid=\$(sed 's/.*"pid": *\([0-9]*\).*/\1/' "$tmp/hook-\$1.json")
readlink /proc/\$pid/ns/net >"$tmp/hook-\$1.netns"
EOF
chmod +x "$tmp/hook.sh"
bundle b-hooks stdio docker '["/stdio", "streams"]' \
    "hooks={\"prestart\": [{\"path\": \"$tmp/hook.sh\", \"args\": [\"hook\", \"prestart\"], \"timeout\": 10}],
            \"createRuntime\": [{\"path\": \"$tmp/hook.sh\", \"args\": [\"hook\", \"createRuntime\"]}],
            \"poststop\": [{\"path\": \"$tmp/hook.sh\", \"args\": [\"hook\", \"poststop\"]}]}"
create ct-hooks "$tmp/b-hooks"
create_status=$status
rt start ct-hooks
code=$(exit_status ct-hooks)
rt delete ct-hooks
host_ns=$(readlink /proc/self/ns/net)
if [ "$create_status" -eq 0 ] && [ "$code" = 0 ] &&
    grep -q '"id":"ct-hooks"' "$tmp/hook-prestart.json" &&
    grep -q '"status":"creating"' "$tmp/hook-createRuntime.json" &&
    [ -s "$tmp/hook-prestart.netns" ] && [ "$(cat "$tmp/hook-prestart.netns")" != "$host_ns" ] &&
    [ -e "$tmp/hook-poststop.json" ]; then
    pass hooks-netns
else
    fail hooks-netns "createRuntime, prestart (in the container's own netns) and poststop hooks" \
        "must run with the state on stdin (create $create_status, exit '$code')"
    cat "$tmp"/hook-*.json "$tmp/c-ct-hooks/err" >&2 2>/dev/null
fi

cat >"$tmp/bad-hook.sh" <<EOF
#!/bin/sh
echo "no network for you" >&2
exit 3
EOF
chmod +x "$tmp/bad-hook.sh"
bundle b-badhook stdio docker '["/stdio", "plain"]' \
    "hooks={\"prestart\": [{\"path\": \"$tmp/bad-hook.sh\"}]}"
create ct-badhook "$tmp/b-badhook"
if [ "$status" -ne 0 ] && [ "$(lines "$tmp/c-ct-badhook/err")" -eq 1 ] &&
    grep -q "prestart hook .*exit status 3: no network for you" "$tmp/c-ct-badhook/err" &&
    [ ! -e "$rtroot/ct-badhook" ] && wait_for 10 grep -q ' 137$' "$tmp/c-ct-badhook/exits"; then
    pass hook-fails
else
    fail hook-fails "a failing prestart hook must fail create in one line, leaving nothing"
    cat "$tmp/c-ct-badhook/err" >&2
fi

# A host without QEMU: the container's boot fails with one whole line
# naming the program (the message once came cut to seven characters) and 125.
mkdir -p "$tmp/bin-without-qemu"
bundle b-noqemu stdio ctr '["/stdio", "plain"]'
c=$tmp/c-ct-noqemu
mkdir -p "$c"
ids="$ids ct-noqemu"
PATH=$tmp/bin-without-qemu "$py" "$reaper_py" "$c" -- "$RT" $G create --bundle "$tmp/b-noqemu" \
    --pid-file "$c/pid" ct-noqemu </dev/null >"$c/out" 2>"$c/err" &
wait_for 30 test -e "$c/create.status"
rt start ct-noqemu
code=$(exit_status ct-noqemu)
if [ "$code" = 125 ] && [ "$(lines "$c/err")" -eq 1 ] &&
    grep -q "qemu-system-$host_arch not found; run scripts/deps.sh" "$c/err"; then
    pass no-qemu
else
    fail no-qemu "without QEMU the boot must fail with 125 and one whole line (exit '$code')"
    cat "$c/err" >&2
fi

# ---- a terminal through --console-socket --------------------------------------------------
bundle b-tty stdio docker '["/stdio", "tty"]' 'process.terminal=true'
"$py" - "$tmp/console.sock" "$tmp/console.out" <<'EOF' &
import array, os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
conn, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = conn.recvmsg(256, socket.CMSG_LEN(4))
fds.frombytes(anc[0][2][:4])
master = fds[0]
out = open(sys.argv[2], "wb")
def read_until(text, limit=60):
    buf = b""
    end = time.time() + limit
    while text not in buf and time.time() < end:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
        out.write(chunk); out.flush()
    return buf
read_until(b"prompt> ")
os.write(master, b"hello\r")
read_until(b"raw")
os.write(master, b"k")
read_until(b"waiting")
os.write(master, b"\x03")
read_until(b"got 2")
time.sleep(1)
EOF
console_pid=$!
wait_for 10 test -S "$tmp/console.sock"
create ct-tty "$tmp/b-tty" /dev/null "$G --debug" "--console-socket $tmp/console.sock"
c_status=$status
rt start ct-tty
code=$(exit_status ct-tty)
wait "$console_pid"
tr -d '\r' <"$tmp/console.out" >"$out"
# Ctrl-C is echoed as ^C before the program's "got 2", on one line.
if [ "$c_status" -eq 0 ] && [ "$code" = 0 ] &&
    expect_lines terminal "tty 1 1 1" "line: hello" "byte 107" && grep -q "got 2" "$out"; then
    pass terminal
elif [ "$c_status" -ne 0 ] || [ "$code" != 0 ] || ! grep -q "got 2" "$out"; then
    fail terminal "--console-socket: create $c_status, exit '$code'"
    cat "$tmp/c-ct-tty/err" "$out" >&2
fi
rt delete ct-tty

rt create --bundle "$tmp/b-tty" --pid-file "$tmp/bad.pid" ct-bad
if [ "$status" -ne 0 ] && [ "$(lines "$err")" -eq 1 ] && grep -q "console-socket" "$err" &&
    [ ! -e "$rtroot/ct-bad" ]; then
    pass terminal-needs-socket
else
    fail terminal-needs-socket "process.terminal without --console-socket must be refused"
    show
fi

# ---- bad input: one line naming the file and the field, non-zero, nothing left ------------
mkdir -p "$tmp/b-bad"
ln -s "$tmp/rootfs-stdio" "$tmp/b-bad/rootfs"
echo '{"ociVersion": "1.0.2", "process": {' >"$tmp/b-bad/config.json"
rt create --bundle "$tmp/b-bad" --pid-file "$tmp/bad.pid" ct-bad
if [ "$status" -ne 0 ] && [ "$(lines "$err")" -eq 1 ] && grep -q "b-bad/config.json" "$err" &&
    [ ! -e "$rtroot/ct-bad" ] && [ ! -e "$tmp/bad.pid" ]; then
    pass bad-config
else
    fail bad-config "a config.json that is not JSON must give one line naming it"
    show
fi

rt create --bundle "$tmp/no-such-bundle" --pid-file "$tmp/bad.pid" ct-bad
if [ "$status" -ne 0 ] && [ "$(lines "$err")" -eq 1 ] && grep -q "no-such-bundle" "$err"; then
    pass missing-bundle
else
    fail missing-bundle "a missing bundle must give one line naming it"
    show
fi

bundle b-noargs stdio docker '[]'
rt create --bundle "$tmp/b-noargs" --pid-file "$tmp/bad.pid" ct-bad
if [ "$status" -ne 0 ] && [ "$(lines "$err")" -eq 1 ] && grep -q "process.args" "$err" &&
    [ ! -e "$rtroot/ct-bad" ]; then
    pass bad-args
else
    fail bad-args "empty process.args must give one line naming the field"
    show
fi

# containerd reads the last error line of --log: json with level, msg and time.
if tail -n 1 "$rtlog" | "$py" -c 'import json,sys; d=json.loads(sys.stdin.read());
assert d["level"] == "error" and "process.args" in d["msg"] and d["time"]'; then
    pass log-json
else
    fail log-json "--log-format json: the last line of --log must be the error, as JSON"
    tail -n 3 "$rtlog" >&2
fi

# ---- a rootfs without a unikit image: runc runs it ------------------------------------------
if ! command -v runc >/dev/null 2>&1; then
    skip runc-fallback "runc is not installed"
elif ! command -v musl-gcc >/dev/null 2>&1; then
    skip runc-fallback "musl-gcc is not installed"
else
    mkdir -p "$tmp/b-runc/rootfs"
    musl-gcc -static -O2 -o "$tmp/b-runc/rootfs/stdio" "$fixtures/stdio/stdio.c"
    (cd "$tmp/b-runc" && runc spec)
    "$py" - "$tmp/b-runc/config.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["process"]["terminal"] = False
d["process"]["args"] = ["/stdio", "streams"]
json.dump(d, open(sys.argv[1], "w"))
EOF
    create ct-runc "$tmp/b-runc"
    c_status=$status
    rt state ct-runc
    runc_state=$status
    rt start ct-runc
    code=$(exit_status ct-runc)
    rt delete ct-runc
    if [ "$c_status" -eq 0 ] && [ "$runc_state" -eq 0 ] && [ "$code" = 0 ] &&
        cmp -s "$tmp/want-out" "$tmp/c-ct-runc/out" && [ "$status" -eq 0 ] &&
        [ ! -e "$rtroot/ct-runc" ]; then
        pass runc-fallback
    else
        fail runc-fallback "runc must run a bundle without .unikit/image.elf (create $c_status," \
            "state $runc_state, exit '$code', delete $status)"
        cat "$tmp/c-ct-runc/err" >&2
    fi
fi

# ---- the engines themselves, with the archive `unikit save` writes -------------------------
u save -o "$tmp/stdio.tar" stdio
save_status=$status

# containerd: a private daemon (its own root, state and socket, no CRI), and
# ctr run --runc-binary, whose runc shim calls the runtime with --root, --log
# and --log-format json, a relative root.path, and a netns without a path.
if ! command -v containerd >/dev/null 2>&1 || ! command -v ctr >/dev/null 2>&1; then
    skip_tests "containerd is not installed" ctr-run ctr-kill
else
    mkdir -p "$tmp/ctd"
    printf '%s\n' 'version = 2' "root = \"$tmp/ctd/root\"" "state = \"$tmp/ctd/state\"" \
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]' '[grpc]' \
        "  address = \"$tmp/ctd/sock\"" >"$tmp/ctd/config.toml"
    containerd --config "$tmp/ctd/config.toml" >"$tmp/ctd/log" 2>&1 &
    ctd_pid=$!
    on_exit="clean_up; kill $ctd_pid 2>/dev/null; wait_for 20 sh -c '! kill -0 $ctd_pid'; remove_host_made"
    C="ctr --address $tmp/ctd/sock"
    ctr_id="unikit-test-$$-ctr"
    ctr_root=/run/containerd/runc/default # the runc shim's --root
    if [ "$save_status" -ne 0 ] || ! wait_for 20 $C version ||
        ! timeout 120 $C images import --snapshotter native "$tmp/stdio.tar" >"$out" 2>"$err"; then
        fail ctr-run "containerd did not start, or ctr images import of the saved archive failed"
        show
    else
        timeout 120 $C run --snapshotter native --runc-binary "$RT" --rm stdio:latest "$ctr_id" \
            /stdio streams >"$tmp/ctr-out" 2>"$tmp/ctr-err"
        status=$?
        if [ "$status" -eq 0 ] && cmp -s "$tmp/want-out" "$tmp/ctr-out" &&
            cmp -s "$tmp/want-err" "$tmp/ctr-err"; then
            pass ctr-run
        else
            fail ctr-run "ctr run --runc-binary unikit-runtime: exit $status, stdout and stderr apart"
            head -5 "$tmp/ctr-err" >&2
        fi

        # task kill: SIGTERM to the program's handler (exit 7); then nothing is left.
        timeout 120 $C run -d --snapshotter native --runc-binary "$RT" stdio:latest "$ctr_id-2" \
            /stdio signals >"$out" 2>"$err"
        wait_for 60 test -s "$ctr_root/$ctr_id-2/qemu.pid"
        qemu=$(cat "$ctr_root/$ctr_id-2/qemu.pid" 2>/dev/null)
        sleep 2 # the program's handler is set once it prints "ready"; ctr shows no logs
        timeout 60 $C task kill "$ctr_id-2" 2>>"$err"
        wait_for 60 sh -c "$C task ls | grep -q '^$ctr_id-2 .*STOPPED'"
        code=$(timeout 60 $C task delete "$ctr_id-2" 2>&1 | sed -n 's/.*exit code \([0-9]*\).*/\1/p')
        timeout 60 $C container rm "$ctr_id-2" 2>>"$err"
        if [ "$code" = 7 ] && [ -n "$qemu" ] && ! alive "$qemu" &&
            [ ! -e "$ctr_root/$ctr_id-2" ]; then
            pass ctr-kill
        else
            fail ctr-kill "ctr task kill: the handler's exit 7 (got '$code'), QEMU '$qemu' gone," \
                "the state removed"
            show
        fi
    fi
    kill "$ctd_pid" 2>/dev/null
fi

# docker: a private dockerd (its own data and exec roots, pidfile and socket,
# no bridge and no iptables, so the host's docker0 is never touched) with
# the runtime added as "unikit"; its containerd and runc shim call the
# runtime as ctr's do, with --console-socket for -t and docker's prestart
# hook (libnetwork-setkey) run in the network namespace the runtime made.
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    skip_tests "docker is not installed" docker-run docker-stdin docker-tty docker-stop docker-kill
else
    dk=$tmp/dk
    mkdir -p "$dk"
    dockerd --data-root "$dk/data" --exec-root "$dk/exec" --pidfile "$dk/pid" -H "unix://$dk/sock" \
        --bridge none --iptables=false --ip-masq=false --storage-driver vfs \
        --add-runtime "unikit=$RT" >"$dk/log" 2>&1 &
    dk_pid=$!
    on_exit="clean_up; kill ${ctd_pid:-} $dk_pid 2>/dev/null; wait_for 20 sh -c '! kill -0 $dk_pid'; remove_host_made"
    D="docker -H unix://$dk/sock"
    dr="$D run --runtime unikit --network none"
    if [ "$save_status" -ne 0 ] || ! wait_for 30 $D version ||
        ! timeout 120 $D load -i "$tmp/stdio.tar" >"$out" 2>"$err"; then
        fail docker-run "dockerd did not start, or docker load of the saved archive failed"
        show
    else
        timeout 120 $dr --rm stdio:latest streams >"$tmp/dk-out" 2>"$tmp/dk-err"
        status=$?
        if [ "$status" -eq 0 ] && cmp -s "$tmp/want-out" "$tmp/dk-out" &&
            cmp -s "$tmp/want-err" "$tmp/dk-err"; then
            pass docker-run
        else
            fail docker-run "docker run --runtime unikit: exit $status, stdout and stderr apart"
            head -5 "$tmp/dk-err" >&2
        fi

        timeout 120 $dr --rm -i stdio:latest cat <"$tmp/input" >"$tmp/dk-out" 2>"$tmp/dk-err"
        status=$?
        if [ "$status" -eq 0 ] && cmp -s "$tmp/input" "$tmp/dk-out" &&
            grep -qx "read 1048576 bytes" "$tmp/dk-err"; then
            pass docker-stdin
        else
            fail docker-stdin "docker run -i: 1 MiB through stdin must come back whole (exit $status)"
            head -5 "$tmp/dk-err" >&2
        fi

        # -t: the terminal through --console-socket, stdout and stderr merged, NL as CR NL.
        timeout 120 $dr --rm -t stdio:latest streams </dev/null >"$tmp/dk-out" 2>"$tmp/dk-err"
        status=$?
        if [ "$status" -eq 0 ] && grep -q "^out 50$(printf '\r')\$" "$tmp/dk-out" &&
            grep -q "^err 50$(printf '\r')\$" "$tmp/dk-out"; then
            pass docker-tty
        else
            fail docker-tty "docker run -t: both streams on the terminal, CR NL (exit $status)"
            tail -3 "$tmp/dk-out" "$tmp/dk-err" >&2
        fi

        dk_id=$($dr -d stdio:latest signals 2>"$err")
        wait_for 60 sh -c "$D logs $dk_id | grep -qx ready"
        timeout 120 $D stop "$dk_id" >/dev/null 2>>"$err"
        code=$($D inspect -f '{{.State.ExitCode}}' "$dk_id" 2>>"$err")
        $D logs "$dk_id" >"$out" 2>&1
        timeout 60 $D rm "$dk_id" >/dev/null 2>>"$err"
        if [ "$code" = 7 ] && grep -qx "got 15" "$out"; then
            pass docker-stop
        else
            fail docker-stop "docker stop: the program's SIGTERM handler must run (exit '$code')"
            show
        fi

        # kill: 137; QEMU (found by its control file in the state dir) gone after rm.
        dk_id=$($dr -d stdio:latest plain 2>"$err")
        wait_for 60 sh -c "$D logs $dk_id | grep -qx ready"
        qemu=$(pgrep -f "$dk_id/control" | head -n 1)
        timeout 120 $D kill "$dk_id" >/dev/null 2>>"$err"
        $D wait "$dk_id" >/dev/null 2>&1
        code=$($D inspect -f '{{.State.ExitCode}}' "$dk_id" 2>>"$err")
        timeout 60 $D rm "$dk_id" >/dev/null 2>>"$err"
        if [ "$code" = 137 ] && [ -n "$qemu" ] && ! alive "$qemu" &&
            [ -z "$(find "$dk/exec" -name "$dk_id" 2>/dev/null)" ]; then
            pass docker-kill
        else
            fail docker-kill "docker kill: exit '$code' (wanted 137), QEMU '$qemu' gone, state gone"
            show
        fi
    fi
    kill "$dk_pid" 2>/dev/null
    wait_for 20 sh -c "! kill -0 $dk_pid"
fi

# podman --runtime unikit-runtime, with its own store.
if ! command -v podman >/dev/null 2>&1; then
    skip_tests "podman is not installed" podman-run podman-stdin podman-stop podman-kill
else
    status=$save_status
    pm="podman --root $tmp/podman-root --runroot $tmp/podman-run --storage-driver vfs"
    pm="$pm --runtime $RT --cgroup-manager cgroupfs --events-backend file"
    if [ "$status" -ne 0 ] || ! timeout 120 $pm load -i "$tmp/stdio.tar" >"$out" 2>"$err"; then
        fail podman-run "unikit save, then podman load, failed"
        show
    else
        timeout 120 $pm run --network none --rm stdio:latest streams >"$tmp/pm-out" 2>"$tmp/pm-err"
        status=$?
        if [ "$status" -eq 0 ] && cmp -s "$tmp/want-out" "$tmp/pm-out" &&
            cmp -s "$tmp/want-err" "$tmp/pm-err"; then
            pass podman-run
        else
            fail podman-run "podman run --runtime unikit-runtime: exit $status, stdout and stderr apart"
            head -5 "$tmp/pm-err" >&2
        fi

        timeout 120 $pm run --network none --rm -i -e IGNORED=1 stdio:latest cat <"$tmp/input" >"$tmp/pm-out" 2>"$tmp/pm-err"
        status=$?
        if [ "$status" -eq 0 ] && cmp -s "$tmp/input" "$tmp/pm-out" &&
            grep -qx "read 1048576 bytes" "$tmp/pm-err"; then
            pass podman-stdin
        else
            fail podman-stdin "podman run -i: 1 MiB through stdin must come back whole (exit $status)"
            head -5 "$tmp/pm-err" >&2
        fi

        # stop: SIGTERM to the program, whose handler runs and exits 7.
        pm_id=$(timeout 120 $pm run --network none -d stdio:latest signals 2>"$err")
        wait_for 60 sh -c "$pm logs $pm_id | grep -qx ready"
        timeout 120 $pm stop "$pm_id" >/dev/null 2>>"$err"
        code=$($pm inspect "$pm_id" --format '{{.State.ExitCode}}' 2>>"$err")
        $pm logs "$pm_id" >"$out" 2>&1
        timeout 60 $pm rm "$pm_id" >/dev/null 2>>"$err"
        if [ "$code" = 7 ] && grep -qx "got 15" "$out" && [ ! -e "/run/unikit-runtime/$pm_id" ]; then
            pass podman-stop
        else
            fail podman-stop "podman stop: the program's SIGTERM handler must run (exit '$code')"
            show
        fi

        # kill: 137, and no QEMU of that container left after rm.
        pm_id=$(timeout 120 $pm run --network none -d stdio:latest plain 2>"$err")
        wait_for 60 sh -c "$pm logs $pm_id | grep -qx ready"
        qemu=$(cat "/run/unikit-runtime/$pm_id/qemu.pid" 2>/dev/null)
        timeout 120 $pm kill "$pm_id" >/dev/null 2>>"$err"
        $pm wait "$pm_id" >/dev/null 2>&1
        code=$($pm inspect "$pm_id" --format '{{.State.ExitCode}}' 2>>"$err")
        timeout 60 $pm rm "$pm_id" >/dev/null 2>>"$err"
        if [ "$code" = 137 ] && [ -n "$qemu" ] && ! alive "$qemu" &&
            [ ! -e "/run/unikit-runtime/$pm_id" ]; then
            pass podman-kill
        else
            fail podman-kill "podman kill: exit '$code' (wanted 137), QEMU '$qemu' gone, state gone"
            show
        fi
    fi
fi

[ "$failures" -eq 0 ]
