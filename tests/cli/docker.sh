#!/bin/sh
# Docker runs unikit images through unikit-runtime: a private dockerd (its
# own data and exec roots, pid file, socket and bridge, no iptables
# changes) with the runtime registered in its daemon.json, images pushed by
# `unikit push` to a local docker-registry and pulled by docker. Checks the
# exit status, args, -e, -m, -w and --hostname, logs with stdout and stderr apart, -i, -p to
# examples/httpd, -v (a bind-mounted folder is the guest's volume, :ro
# too), stop (the program's SIGTERM handler runs), kill (137), that rm
# leaves no QEMU behind, an ordinary image through the same
# runtime (runc), and the unikit image under plain runc (its static
# program runs as an ordinary container). One line per check.
#
# Environment: UNIKIT, UNIKIT_RUNTIME (default build/asan/bin/unikit-runtime),
# CLI_TIMEOUT (60), KEEP_TMP=1.

suite=docker
tests="pull run-args env logs-streams stdin stop-sigterm kill-137 publish volume volume-ro
no-guest-left ordinary-through-runtime plain-runc"
. "$(dirname "$0")/lib.sh"
. "$fixtures/engines.sh"

why=$(engine_why dockerd /usr/bin/docker docker-registry curl musl-gcc)
[ -z "$why" ] || skip_all "$why"

docker_stop_all() {
    [ -n "${docker:-}" ] && for c in $($docker ps -aq 2>/dev/null); do
        $docker rm -f "$c" >/dev/null 2>&1
    done
    engines_stop
}
on_exit=docker_stop_all

if ! registry_up; then
    skip_all "docker-registry did not start"
fi
if ! push_built tests/cli/fixtures/printargs tests/cli/fixtures/stdio examples/httpd examples/hello \
    tests/cli/fixtures/volume; then
    skip_all "building or pushing the test images failed (see stderr)"
fi
if ! docker_up; then
    skip_all "dockerd did not start (see stderr)"
fi
drun() { $docker run --runtime unikit "$@"; }
exit_code() { $docker inspect -f '{{.State.ExitCode}}' "$1" 2>&1; }

# docker pull of what unikit pushed: the standard OCI image of both arches.
if $docker pull -q "$registry/printargs" >"$out" 2>"$err" && $docker pull -q "$registry/stdio" &&
    $docker pull -q "$registry/httpd" && $docker pull -q "$registry/hello" &&
    $docker pull -q "$registry/voltest"; then
    pass pull
else
    fail pull "docker pull failed: $(cat "$err")"
fi

said=$(drun --rm "$registry/printargs" one two 2>&1)
code=$?
case $said in
*"argv[1]=one"*"argv[2]=two"*) [ $code -eq 0 ] && pass run-args || fail run-args "exit $code: $said" ;;
*) fail run-args "exit $code: $said" ;;
esac

said=$(drun --rm -e NAME=docker -m 64m -w /srv/app --hostname box "$registry/printargs" 2>&1)
case $said in
*"NAME=docker"*"cwd=/srv/app"*"hostname=box"*"memory: over 48M"*) pass env ;;
*) fail env "wanted NAME=docker, cwd /srv/app, hostname box and over 48M of memory: $said" ;;
esac

# logs: 50 lines on each stream, apart.
$docker rm -f streams >/dev/null 2>&1
drun --name streams "$registry/stdio" streams >/dev/null 2>&1
o=$($docker logs streams 2>/dev/null | grep -c '^out ')
e=$($docker logs streams 2>&1 >/dev/null | grep -c '^err ')
if [ "$o" = 50 ] && [ "$e" = 50 ] && [ "$(exit_code streams)" = 0 ]; then
    pass logs-streams
else
    fail logs-streams "stdout had $o 'out' lines, stderr $e 'err' lines (wanted 50 each);" \
        "exit $(exit_code streams)"
fi

said=$(head -c 100000 /dev/urandom | base64 | tee "$tmp/in" | drun --rm -i "$registry/stdio" cat 2>/dev/null)
if [ "$said" = "$(cat "$tmp/in")" ]; then
    pass stdin
else
    fail stdin "stdin did not come back whole ($(printf '%s' "$said" | wc -c) of $(wc -c <"$tmp/in") bytes)"
fi

# stop: SIGTERM reaches the program, whose handler reports it and exits 7.
id=$(drun -d "$registry/stdio" signals 2>"$err")
wait_for 60 sh -c "$docker logs $id 2>&1 | grep -q ready"
$docker stop -t 30 "$id" >/dev/null 2>&1
if [ "$(exit_code "$id")" = 7 ] && $docker logs "$id" 2>&1 | grep -q "got 15"; then
    pass stop-sigterm
else
    fail stop-sigterm "exit $(exit_code "$id") (wanted 7); logs: $($docker logs "$id" 2>&1 | tail -3)"
fi

id=$(drun -d "$registry/stdio" plain 2>"$err")
wait_for 60 sh -c "$docker logs $id 2>&1 | grep -q ready"
$docker kill "$id" >/dev/null 2>&1
wait_for 30 sh -c "[ \"\$($docker inspect -f '{{.State.Running}}' $id)\" = false ]"
if [ "$(exit_code "$id")" = 137 ]; then
    pass kill-137
else
    fail kill-137 "exit $(exit_code "$id"), wanted 137"
fi

# -p through docker's own port proxy to the container's eth0, and on to the guest.
hport=$(free_port)
id=$(drun -d -p "127.0.0.1:$hport:80" "$registry/httpd" 2>"$err")
got=""
for _ in $(seq 150); do
    got=$(curl -s -m 5 "http://127.0.0.1:$hport/" 2>/dev/null) && [ -n "$got" ] && break
    sleep 0.4
done
if [ "$got" = "$(cat examples/httpd/www/index.html)" ]; then
    pass publish
else
    fail publish "curl of -p $hport:80 got '$got'; logs: $($docker logs "$id" 2>&1 | tail -3)"
fi

# -v: a bind-mounted host folder is the guest's volume (virtio-9p): the
# program's files, fsynced in the guest, are in the host folder; :ro is EROFS.
mkdir -p "$tmp/vol" "$tmp/vol-ro" && echo hi >"$tmp/vol-ro/hello"
said=$(drun --rm -v "$tmp/vol:/data" "$registry/voltest" 2>&1)
if [ "$(cat "$tmp/vol/kept" 2>/dev/null)" = kept ]; then
    pass volume
else
    fail volume "no /data/kept in the host folder; the program said: $(echo "$said" | tail -5)"
fi
said=$(drun --rm -v "$tmp/vol-ro:/data:ro" "$registry/voltest" ro /data 2>&1)
code=$?
if [ $code -eq 0 ] && [ "$(ls "$tmp/vol-ro")" = hello ]; then
    pass volume-ro
else
    fail volume-ro "exit $code, host folder: $(ls "$tmp/vol-ro" | tr '\n' ' '); said: $(echo "$said" | tail -5)"
fi

# rm -f of everything: no QEMU of a container is left.
for c in $($docker ps -aq); do
    $docker rm -f "$c" >/dev/null 2>&1
done
wait_for 30 sh -c "[ \$(pgrep -f 'qemu-system.*$tmp/docker' | wc -l) = 0 ]"
left=$(pgrep -fa "qemu-system.*$tmp/docker")
if [ -z "$left" ]; then
    pass no-guest-left
else
    fail no-guest-left "QEMU still running: $left"
fi

# An ordinary image through the same runtime is run by runc.
if ordinary_image "$tmp/ordinary.tar" unikit-test/ordinary:1 >"$err" 2>&1 &&
    $docker load -i "$tmp/ordinary.tar" >/dev/null 2>>"$err"; then
    said=$(drun --rm -e FOO=bar unikit-test/ordinary:1 hi 2>&1)
    code=$?
    if [ "$said" = "ordinary hi bar" ] && [ $code -eq 4 ]; then
        pass ordinary-through-runtime
    else
        fail ordinary-through-runtime "exit $code (wanted 4): $said"
    fi
else
    fail ordinary-through-runtime "the ordinary image did not load: $(cat "$err")"
fi

# Without the runtime: the layer's static program runs as an ordinary container.
said=$($docker run --rm "$registry/hello" 2>&1)
case $said in
"Hello from a unikernel!"*) pass plain-runc ;;
*) fail plain-runc "docker run without --runtime said: $said" ;;
esac

[ "$failures" -eq 0 ]
