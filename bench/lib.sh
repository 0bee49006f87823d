# Helpers shared by the bench/*.sh scripts (sourced, not run).

now_ns() { date +%s%N; }

# Wall time of a command in microseconds, RUNS times, one per line
# (bench/timeit.c, built once into build/bench).
time_runs() {
    timeit=build/bench/timeit
    if [ ! -x "$timeit" ] || [ bench/timeit.c -nt "$timeit" ]; then
        mkdir -p build/bench && gcc -O2 -o "$timeit" bench/timeit.c
    fi
    "$timeit" "$RUNS" "$@"
}

# Median of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits (bounded) until something answers HTTP on the port.
await_http() {
    for _ in $(seq 300); do
        curl -s -m 5 -o /dev/null "http://127.0.0.1:$1/" && return 0
        sleep 0.2
    done
    return 1
}

# wrk_run PORT: "REQ_PER_SEC P99_MS" for the index page (wrk's output in $work/wrk).
wrk_run() {
    wrk -t2 -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency "http://127.0.0.1:$1/" >"$work/wrk"
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$work/wrk")
    # "99%  1.23ms" (or us, or s): in milliseconds.
    p99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : v) }' "$work/wrk")
    echo "${rps:-0} ${p99:-0}"
}

# For a script that runs a server as a process ($native_pid) and as a
# guest ($guest): stops whichever still runs and removes $work (its EXIT trap).
stop_servers() {
    [ -n "${native_pid:-}" ] && kill "$native_pid" 2>/dev/null
    [ -n "${guest:-}" ] && "$UNIKIT" rm -f "$guest" >/dev/null 2>&1
    rm -rf "$work"
}
