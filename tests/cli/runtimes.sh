#!/bin/sh
# Real runtimes, unmodified, on both architectures: examples/threads-demo
# (musl pthreads, one thread per CPU) on one CPU and on two, where its
# threads must run on two distinct CPUs; a C program built with glibc
# -static (pthreads); Go programs built with CGO_ENABLED=0: goroutines,
# channels, sleep, a recovered nil dereference; the net/http server of
# examples/go-http answering curl through -p; and a Go HTTP client fetching
# from a server this test runs on the host.
# One line per check: "ok runtimes-X", "FAIL runtimes-X" (details on stderr)
# or "skip runtimes-X: why".

suite=runtimes
tests="" # never skipped as a whole: without unikit each check fails
own_checks=1
env_libdir=1
CLI_TIMEOUT=${CLI_TIMEOUT:-120} # this suite's default is 120 s, not 60
. "$(dirname "$0")/lib.sh"
fixtures=$fixtures/runtimes

# boot NAME ARCH BINARY EXPECTED: the binary as an image, its output compared.
boot() {
    dir=$tmp/$1-$2
    mkdir -p "$dir"
    cp "$3" "$dir/prog"
    printf 'name: %s\nbuild:\n  binary: ./prog\narch: [%s]\nmemory: 256M\n' "$1" "$2" >"$dir/Unikfile"
    if ! "$UNIKIT" build -q "$dir" >"$dir/build.log" 2>&1; then
        fail "$1-$2" "unikit build failed:" "$(cat "$dir/build.log")"
        return
    fi
    said=$(timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" run --arch "$2" "$1" 2>"$dir/err")
    status=$?
    if [ $status -eq 0 ] && [ "$said" = "$4" ]; then
        pass "$1-$2"
    else
        fail "$1-$2" "exit $status; output:" "$said" "expected:" "$4" "stderr:" "$(cat "$dir/err")"
    fi
}

# go_build ARCH BIN DIR FILES...: a static Go binary, or a FAIL line.
go_build() {
    arch=$1 bin=$2 dir=$3
    shift 3
    (cd "$dir" && HOME=$tmp GOCACHE=$root/build/gocache GOPATH=$tmp/gopath CGO_ENABLED=0 \
        GOOS=linux GOARCH=$(goarch_for "$arch") go build -o "$bin" "$@") \
        >"$tmp/go.log" 2>&1
}

# The net/http server behind -p: curl must get its answer.
go_http() {
    arch=$1
    if ! go_build "$arch" "$tmp/bin-http-$arch" "$root/examples/go-http" .; then
        fail "go-http-$arch" "go build failed:" "$(cat "$tmp/go.log")"
        return
    fi
    dir=$tmp/go-http-$arch
    mkdir -p "$dir"
    cp "$tmp/bin-http-$arch" "$dir/server"
    sed "s/^memory:.*/memory: 256M\narch: [$arch]/" "$root/examples/go-http/Unikfile" >"$dir/Unikfile"
    if ! "$UNIKIT" build -q "$dir" >"$dir/build.log" 2>&1; then
        fail "go-http-$arch" "unikit build failed:" "$(cat "$dir/build.log")"
        return
    fi
    port=$(free_port)
    id=$("$UNIKIT" run -d --rm -p "$port:8080" --arch "$arch" go-http 2>"$dir/run.err")
    body=""
    i=0
    while [ $i -lt "$CLI_TIMEOUT" ] && [ -z "$body" ]; do
        body=$(curl -s --max-time 5 "http://127.0.0.1:$port/unikit" 2>/dev/null)
        [ -z "$body" ] && sleep 1
        i=$((i + 1))
    done
    "$UNIKIT" logs "$id" >"$dir/console" 2>&1
    "$UNIKIT" kill "$id" >/dev/null 2>&1
    case $body in
    "hello from Go net/http on linux/$(goarch_for "$arch"), path /unikit") pass "go-http-$arch" ;;
    *) fail "go-http-$arch" "curl got: '$body'" "run: $(cat "$dir/run.err")" "console:" "$(cat "$dir/console")" ;;
    esac
}

# A Go HTTP client in the guest fetches from a server on the host.
go_client() {
    arch=$1
    if ! go_build "$arch" "$tmp/bin-client-$arch" "$fixtures" goclient.go; then
        fail "go-client-$arch" "go build failed:" "$(cat "$tmp/go.log")"
        return
    fi
    port=$(free_port)
    mkdir -p "$tmp/www" && echo "served by the host" >"$tmp/www/index.txt"
    (cd "$tmp/www" && exec python3 -m http.server --bind 127.0.0.1 "$port") >/dev/null 2>&1 &
    server=$!
    i=0 # until it answers: the interpreter can take a while to start
    while ! curl -s -o /dev/null "http://127.0.0.1:$port/index.txt" && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    dir=$tmp/go-client-$arch
    mkdir -p "$dir"
    cp "$tmp/bin-client-$arch" "$dir/prog"
    printf 'name: goclient\nbuild:\n  binary: ./prog\narch: [%s]\nmemory: 256M\n' "$arch" >"$dir/Unikfile"
    "$UNIKIT" build -q "$dir" >"$dir/build.log" 2>&1
    said=$(timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" run --arch "$arch" goclient "http://10.0.2.2:$port/index.txt" 2>&1)
    kill "$server" 2>/dev/null
    case $said in
    *"status 200 body served by the host"*) pass "go-client-$arch" ;;
    *) fail "go-client-$arch" "output: $said" ;;
    esac
}

# threads_demo ARCH CPUS: examples/threads-demo booted with CPUS vCPUs (1:
# no --cpus, the default) must see that many online, count exactly what its
# single-threaded pass counts, and have had its threads on CPUS distinct
# CPUs (sched_getcpu).
threads_demo() {
    arch=$1 cpus=$2
    label=threads-demo-$arch
    set -- run --arch "$arch"
    if [ "$cpus" -ne 1 ]; then
        label=$label-cpus$cpus
        set -- "$@" --cpus "$cpus"
    fi
    if [ -z "$demo_built" ]; then
        fail "$label" "unikit build examples/threads-demo failed:" "$(cat "$tmp/demo-build.log")"
        return
    fi
    timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" "$@" threads-demo >"$tmp/$label.out" 2>"$tmp/$label.err"
    status=$?
    plural=s
    [ "$cpus" -eq 1 ] && plural=""
    why=""
    [ $status -eq 0 ] || why="exit $status"
    for line in "cpus online: $cpus" "threads ran on $cpus distinct CPU$plural"; do
        grep -Fxq -e "$line" "$tmp/$label.out" || why="$why; no line '$line'"
    done
    grep -Eq '^result: [0-9]+ \(matches single-threaded: yes\)$' "$tmp/$label.out" ||
        why="$why; no line 'result: N (matches single-threaded: yes)'"
    if [ -z "$why" ]; then
        pass "$label"
    else
        fail "$label" "${why#; }; output:" "$(cat "$tmp/$label.out")" "stderr:" "$(cat "$tmp/$label.err")"
    fi
}

gcc_for() { [ "$1" = aarch64 ] && echo aarch64-linux-gnu-gcc || echo gcc; }
demo_built=""
"$UNIKIT" build -q "$root/examples/threads-demo" >"$tmp/demo-build.log" 2>&1 && demo_built=yes

for arch in x86_64 aarch64; do
    threads_demo "$arch" 1
    threads_demo "$arch" 2

    cc=$(gcc_for "$arch")
    if ! command -v "$cc" >/dev/null 2>&1 ||
        ! "$cc" -static -O2 -o "$tmp/bin-glibc-$arch" "$fixtures/glibc-threads.c" -lpthread 2>"$tmp/cc.log"; then
        skip "glibc-$arch" "$cc cannot link glibc statically here ($(head -n 1 "$tmp/cc.log"))"
    else
        boot glibc "$arch" "$tmp/bin-glibc-$arch" "glibc static: threads sum 12"
    fi

    if ! command -v go >/dev/null 2>&1; then
        for t in go go-http go-client; do
            skip "$t-$arch" "go is not installed (scripts/deps.sh installs golang-go)"
        done
        continue
    fi
    if ! go_build "$arch" "$tmp/bin-go-$arch" "$fixtures" gohello.go; then
        fail "go-$arch" "go build failed:" "$(cat "$tmp/go.log")"
        continue
    fi
    boot gohello "$arch" "$tmp/bin-go-$arch" "hello from Go on $(goarch_for "$arch") args 1
channel sum 4999950000
sleep at least 20ms and under 2s: true
nil dereference recovered: true"
    go_http "$arch"
    go_client "$arch"
done
