#!/bin/sh
# Instance lifecycle: run -d, ps, logs, stop, kill, rm, inspect, run --rm,
# and ps telling the truth after the supervisor is killed. One line per
# check: "ok lifecycle-X", "FAIL lifecycle-X" (details on stderr) or
# "skip lifecycle-X: why". Every guest started here is removed at the end.
#
# Environment: UNIKIT (default build/asan/bin/unikit), KEEP_TMP=1 keeps the
# work folder. Each command's time limit is 60 s, whatever CLI_TIMEOUT says.

suite=lifecycle
tests="run-detached ps-up logs ps-json short-id inspect name-clash rm-running logs-follow stop
stop-exited inspect-exit-code kill rm rm-force run-rm run-detached-rm spare-folder detached-exit-0
foreground-instance unknown-id supervisor-killed detached-qemu-fails
created durability"
. "$(dirname "$0")/lib.sh"

# This suite's time limit is its own: CLI_TIMEOUT does not change it.
CLI_TIMEOUT=60

# kill_recorded: kills every process an instance recorded that is still
# ours (QEMU names the image under $UNIKIT_HOME; a supervisor has it in
# its environment), whatever state the tests left behind.
kill_recorded() {
    for state in "$UNIKIT_HOME"/instances/*/state.json; do
        [ -f "$state" ] || continue
        for key in qemu_pid supervisor_pid; do
            pid=$(sed -n "s/.*\"$key\": *\([0-9][0-9]*\).*/\1/p" "$state")
            [ -n "$pid" ] && [ "$pid" -gt 0 ] || continue
            if tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -Fq "$UNIKIT_HOME" ||
                tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -Fxq "UNIKIT_HOME=$UNIKIT_HOME"; then
                kill -9 "$pid" 2>/dev/null
            fi
        done
    done
}

# remove_all: at exit, no guest of ours is left, whatever the tests did.
remove_all() {
    [ -n "${follow_pid:-}" ] && kill "$follow_pid" 2>/dev/null
    ids=$("$UNIKIT" ps -aq 2>/dev/null)
    # shellcheck disable=SC2086 # one argument per id
    [ -n "$ids" ] && "$UNIKIT" rm -f $ids >/dev/null 2>&1
    kill_recorded
}
on_exit=remove_all

# parses: $out is one JSON document (checked with python3 or jq when either is here).
parses() {
    if [ -n "$py" ]; then
        "$py" -c 'import json, sys; json.load(open(sys.argv[1]))' "$out"
    elif command -v jq >/dev/null 2>&1; then
        jq . "$out" >/dev/null
    fi
}

logs_have() { # NAME TEXT
    "$UNIKIT" logs "$1" 2>/dev/null | grep -Fq "$2"
}

status_is() { # NAME PATTERN
    ps_status "$1" | grep -Eq "$2"
}

gone() { # NAME
    ! "$UNIKIT" ps -a 2>/dev/null | awk '{ print $2 }' | grep -Fxq "$1"
}

instance_count() {
    find "$UNIKIT_HOME/instances" -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null | wc -l
}

# expect_refusal NAME PATTERN ARGS...: exit status 125 and one stderr line
# matching PATTERN. Unlike lib.sh's expect_error it does not pass NAME (the
# caller checks more first) nor look at the store.
expect_refusal() {
    name=$1 pattern=$2
    shift 2
    u "$@"
    if [ "$status" -eq 125 ] && [ "$(lines "$err")" -eq 1 ] && grep -Eiq -e "$pattern" "$err"; then
        return 0
    fi
    fail "$name" "unikit $*: wanted exit status 125 and one line matching /$pattern/"
    show
    return 1
}

u build "$fixtures/hello"
hello_status=$status
u build "$fixtures/forever"
if [ "$hello_status" -ne 0 ] || [ "$status" -ne 0 ]; then
    show
    skip_all "the fixtures did not build"
fi

# ---- a detached guest that runs until stopped ----------------------------------------

start=$(date +%s)
u run -d --name web forever
took=$(($(date +%s) - start))
id=$(cat "$out")
short=$(printf %.12s "$id")
if [ "$status" -eq 0 ] && printf '%s\n' "$id" | grep -Eqx '[0-9a-f]{64}' && [ "$took" -le 5 ]; then
    pass run-detached
else
    fail run-detached "run -d must print a 64-hex id and return at once (took ${took}s)"
    show
fi

u ps
if [ "$status" -eq 0 ] && head -n 1 "$out" | grep -q 'ID.*NAME.*IMAGE.*ARCH.*STATUS.*PORTS' &&
    grep -Eq "^$short +web +forever(:latest)? +[a-z0-9_]+ +Up " "$out"; then
    pass ps-up
else
    fail ps-up "ps must list '$short web forever ARCH Up ...'"
    show
fi

if wait_for 30 logs_have web ready; then
    pass logs
else
    u logs web
    fail logs "logs web never showed 'ready'"
    show
fi

u ps -a --format json
json_ok=$("${py:-python3}" - "$out" "$short" 2>&1 <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
keys = {"ID", "Names", "Image", "Arch", "State", "Status", "Ports", "ExitCode", "CreatedAt"}
web = [r for r in rows if r["ID"] == sys.argv[2]]
assert rows and all(keys <= set(r) for r in rows), rows
assert len(web) == 1 and web[0]["State"] == "running" and web[0]["Names"] == "web", web
assert web[0]["Status"].startswith("Up ") and "80/tcp" in web[0]["Ports"], web
print("yes")
EOF
)
if [ -z "$py" ]; then
    skip ps-json "no python3 to check the JSON"
elif [ "$status" -eq 0 ] && [ "$json_ok" = yes ]; then
    pass ps-json
else
    fail ps-json "ps -a --format json: $json_ok"
    show
fi

u inspect "$short"
if [ "$status" -eq 0 ] && [ "$(jv Id)" = "$id" ] && logs_have "$short" ready; then
    pass short-id
else
    fail short-id "inspect and logs by the 12-character prefix $short"
    show
fi

u inspect web
if [ "$status" -eq 0 ] && parses && [ "$(jv Name)" = web ] && [ "$(jv Status)" = running ] &&
    [ "$(jv Pid)" -gt 0 ] && [ "$(jv Memory)" = 33554432 ] && jv ImageDigest | grep -q '^sha256:' &&
    [ "$(jv LogPath)" = "$UNIKIT_HOME/instances/$id/output" ]; then
    pass inspect
else
    fail inspect "inspect web must describe a running instance"
    show
fi

if expect_refusal name-clash "the name 'web' is already in use by instance $short" \
    run -d --name web forever; then
    pass name-clash
fi

if expect_refusal rm-running "running" rm web && status_is web '^Up '; then
    pass rm-running
fi

# logs -f follows until the guest exits; stop then makes it return.
"$UNIKIT" logs -f web >"$tmp/follow" 2>&1 &
follow_pid=$!
sleep 0.5
if kill -0 "$follow_pid" 2>/dev/null; then
    follow_alive=1
else
    follow_alive=0
fi

u stop web
if [ "$status" -eq 0 ] && [ "$(cat "$out")" = web ] && status_is web '^Exited \(143\)'; then
    pass stop
else
    fail stop "stop web: want 'web' printed and Exited (143); ps says '$(ps_status web)'"
    show
fi

if [ "$follow_alive" = 1 ] && wait_for 10 sh -c "! kill -0 $follow_pid" &&
    grep -q ready "$tmp/follow"; then
    pass logs-follow
else
    fail logs-follow "logs -f must run while the guest does and return when it exits" \
        "output: $(cat "$tmp/follow")"
fi
kill "$follow_pid" 2>/dev/null
follow_pid=

u stop web
if [ "$status" -eq 0 ] && [ "$(cat "$out")" = web ] && status_is web '^Exited \(143\)'; then
    pass stop-exited
else
    fail stop-exited "stop of an exited instance must succeed and change nothing"
    show
fi

u inspect web
if [ "$status" -eq 0 ] && parses && [ "$(jv Status)" = exited ] && [ "$(jv ExitCode)" = 143 ] &&
    jv FinishedAt | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T'; then
    pass inspect-exit-code
else
    fail inspect-exit-code "inspect web must show exited, exit code 143"
    show
fi

u run -d --name k forever
if [ "$status" -eq 0 ] && wait_for 30 logs_have k ready && u kill k && [ "$status" -eq 0 ] &&
    status_is k '^Exited \(137\)'; then
    pass kill
else
    fail kill "kill k: want Exited (137); ps says '$(ps_status k)'"
    show
fi

u rm web
if [ "$status" -eq 0 ] && gone web && [ ! -e "$UNIKIT_HOME/instances/$id" ]; then
    pass rm
else
    fail rm "rm web must remove it from ps -a and delete its folder"
    show
fi

u run -d --name f forever
fid=$(cat "$out")
if [ "$status" -eq 0 ] && wait_for 30 logs_have f ready; then
    u inspect f
    qemu_pid=$(jv Pid)
    u rm -f f
    sleep 0.2
    if [ "$status" -eq 0 ] && gone f && [ ! -e "$UNIKIT_HOME/instances/$fid" ] &&
        ! kill -0 "$qemu_pid" 2>/dev/null; then
        pass rm-force
    else
        fail rm-force "rm -f f must kill QEMU (pid $qemu_pid) and remove the instance"
        show
    fi
else
    fail rm-force "run -d --name f forever did not start"
    show
fi

before=$(instance_count)
u run --rm hello
if [ "$status" -eq 0 ] && grep -Fxq "hello from unikit" "$out" && [ "$(instance_count)" -eq "$before" ]; then
    pass run-rm
else
    fail run-rm "run --rm hello must print its line, exit 0 and leave no instance"
    show
fi

u run -d --rm --name dr hello
if [ "$status" -eq 0 ] && wait_for 30 gone dr && [ "$(instance_count)" -eq "$before" ]; then
    pass run-detached-rm
else
    fail run-detached-rm "run -d --rm: the instance must be removed once it exits"
    show
fi

# What removal leaves beside the instances: the lock and one spare folder,
# empty, which the next instance takes (a new folder costs ext4 a block)
# and its removal gives back, emptied.
dot_leftovers() {
    find "$UNIKIT_HOME/instances" -mindepth 1 -maxdepth 1 -name '.*' ! -name .lock \
        ! \( -name .spare -type d -empty \) 2>/dev/null
}
spare=$UNIKIT_HOME/instances/.spare
had_spare=$([ -d "$spare" ] && echo yes)
u run -d --name sp hello
taken=$([ -d "$spare" ] || echo yes)
wait_for 30 status_is sp '^Exited' && "$UNIKIT" rm sp >/dev/null 2>&1
if [ "$had_spare" = yes ] && [ "$taken" = yes ] && [ -d "$spare" ] && [ -z "$(dot_leftovers)" ] &&
    gone sp; then
    pass spare-folder
else
    fail spare-folder "spare after run --rm: ${had_spare:-no}; taken by run -d: ${taken:-no}; after rm: $(ls -a "$spare" 2>&1 | tr '\n' ' '); left: $(dot_leftovers)"
fi

u run -d --name h hello
if [ "$status" -eq 0 ] && wait_for 30 status_is h '^Exited \(0\)' && logs_have h "hello from unikit"; then
    pass detached-exit-0
else
    fail detached-exit-0 "a detached hello must read Exited (0); ps says '$(ps_status h)'"
    show
fi

u run --name fg hello
if [ "$status" -eq 0 ] && grep -Fxq "hello from unikit" "$out" && status_is fg '^Exited \(0\)' &&
    logs_have fg "hello from unikit"; then
    pass foreground-instance
else
    fail foreground-instance "a foreground run must leave an exited instance with its log"
    show
fi

ok=1
for verb in stop kill rm logs inspect; do
    expect_refusal unknown-id "nosuch" "$verb" nosuch || ok=0
done
[ $ok = 1 ] && pass unknown-id

# A supervisor killed with its QEMU: never "Up" again.
u run -d --name s forever
if [ "$status" -eq 0 ] && wait_for 30 logs_have s ready; then
    u inspect s
    sup=$(jv SupervisorPid)
    qemu=$(jv Pid)
    kill -9 "$sup" "$qemu" 2>/dev/null
    sleep 0.3
    u inspect s
    st="$(jv Status) $(jv ExitCode)"
    if status_is s '^Exited \(unknown\)' && ! "$UNIKIT" ps | grep -q " s " &&
        [ "$st" = "exited -1" ]; then
        pass supervisor-killed
    else
        fail supervisor-killed "after kill -9 of the supervisor ($sup) and QEMU ($qemu):" \
            "ps -a says '$(ps_status s)', inspect says $st"
    fi
else
    fail supervisor-killed "run -d --name s forever did not start"
    show
fi

# QEMU failing at once is run -d's own error, and the instance stays,
# exited with 125 and QEMU's message. A fake QEMU that fails stands in for
# one refusing its options.
mkdir -p "$tmp/failing-qemu"
for q in qemu-system-x86_64 qemu-system-aarch64; do
    printf '#!/bin/sh\necho "%s: simulated failure" >&2\nexit 1\n' "$q" >"$tmp/failing-qemu/$q"
    chmod +x "$tmp/failing-qemu/$q"
done
if PATH=$tmp/failing-qemu:$PATH expect_refusal detached-qemu-fails "simulated failure" \
    run -d --name nokvm hello; then
    u inspect nokvm
    if status_is nokvm '^Exited \(125\)' && grep -q '"Error": ".*simulated failure' "$out"; then
        pass detached-qemu-fails
    else
        fail detached-qemu-fails "the instance must stay, exited (125) with QEMU's error:" \
            "ps -a says '$(ps_status nokvm)'"
        show
    fi
fi

# An instance still "created" (its supervisor alive, QEMU not started yet)
# counts as live for rm; once that supervisor is gone it reads as
# "Exited (unknown)". A sleep stands in for the supervisor.
# set_created NAME PID: rewrite NAME's state.json as created, supervised by PID.
set_created() {
    u inspect "$1"
    dir=$(jv StateDir)
    python3 - "$dir/state.json" "$2" <<'PY'
import json, sys
path, pid = sys.argv[1], int(sys.argv[2])
start = int(open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[19])
state = {"status": "created", "supervisor_pid": pid, "supervisor_start": start,
         "qemu_pid": 0, "qemu_start": 0, "exit_code": None}
json.dump(state, open(path, "w"))
PY
}
u run --name made hello
if [ "$status" -ne 0 ] || ! command -v python3 >/dev/null 2>&1; then
    skip created "no python3, or run --name made hello failed"
else
    sleep 30 &
    sleeper=$!
    set_created made "$sleeper"
    u rm made
    rm_status=$status
    created_ps=$(ps_status made)
    kill "$sleeper"
    wait "$sleeper" 2>/dev/null
    if [ "$rm_status" -eq 125 ] && [ "$created_ps" = "Created" ] &&
        status_is made '^Exited \(unknown\)'; then
        pass created
    else
        fail created "rm of a created instance exited $rm_status (wanted 125); ps -a said" \
            "'$created_ps' (wanted Created), then '$(ps_status made)' (wanted Exited (unknown))"
    fi
fi

# A foreground --rm run's state is deleted when it ends: it is written
# whole but not synced. Every other run's state is synced (README,
# "Instance state"): a run without --rm keeps its exit record.
fsyncs() { # ARGS...: how many fsync calls `unikit ARGS` made, with its children
    strace -f -qq -e trace=fsync,fdatasync -o "$tmp/strace" "$UNIKIT" "$@" >/dev/null 2>&1
    grep -c 'sync(' "$tmp/strace"
}
if ! command -v strace >/dev/null 2>&1 || ! strace -qq -o /dev/null true 2>/dev/null; then
    skip durability "strace is missing or cannot trace here"
else
    rm_syncs=$(fsyncs run --rm hello)
    kept_syncs=$(fsyncs run --name kept hello)
    if [ "$rm_syncs" -eq 0 ] && [ "$kept_syncs" -ge 4 ] && status_is kept '^Exited \(0\)'; then
        pass durability
    else
        fail durability "run --rm made $rm_syncs fsyncs (wanted 0); run without --rm made" \
            "$kept_syncs (wanted at least 4: config and state, each with its folder)"
    fi
fi

