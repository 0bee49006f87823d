#!/bin/sh
# Real programs, unmodified: bzip2, Lua 5.4 and SQLite's shell, built
# static from their Debian source packages (tests/compat/recipes.sh;
# cached, see tests/compat/lib.sh) for each architecture, then run as a
# Linux process (aarch64: under qemu-aarch64) and in the unikernel; the
# guest's stdout must equal the native run's, byte for byte. Checks per
# program and architecture:
#   build-PKG-ARCH   the static build (a compile error is a failure);
#   native-PKG-ARCH  the native run is right on its own: bzip2's output
#                    decompresses to its input, Lua's and SQLite's stdout
#                    equal tests/compat/fixtures/*.expected;
#   guest-PKG-ARCH   `unikit run` of the same binary: the same stdout (and
#                    bzip2's compressed bytes decompressed in the guest).
# A package whose source cannot be fetched (no network) is skipped, saying so.
#
# Usage: sh tests/compat/programs.sh [PKG...]   (bzip2 lua5.4 sqlite3)
# Environment: as tests/cli/lib.sh and tests/compat/lib.sh.

suite=compat
packages=${*:-bzip2 lua5.4 sqlite3}
tests=""
for p in $packages; do
    for a in ${COMPAT_ARCHES:-x86_64 aarch64}; do
        tests="$tests build-$p-$a native-$p-$a guest-$p-$a"
    done
done
. "$(dirname "$0")/../cli/lib.sh"
. "$root/tests/compat/lib.sh"
compat_files=$root/tests/compat/fixtures
# Seconds per run; a guest that ignores the SIGTERM at the end is killed 10 s later.
COMPAT_TIMEOUT=${COMPAT_TIMEOUT:-120}

# native NAME BIN STDIN ARGS...: runs BIN in a fresh folder with the
# fixtures, through $runner; stdout in $tmp/NAME.native, status in $status.
native() {
    nname=$1 nd=$tmp/native-$1 nbin=$2 nin=$3
    shift 3
    rm -rf "$nd" && cp -R "$compat_files" "$nd"
    # shellcheck disable=SC2086 # an empty runner is no word
    (cd "$nd" && timeout -k 10 "$COMPAT_TIMEOUT" $runner "$nbin" "$@" <"$nin" >"$tmp/$nname.native" \
        2>"$tmp/$nname.native-err")
    status=$?
}

# guest NAME IMAGE ARCH STDIN ARGS...: `unikit run -i`; stdout in
# $tmp/NAME.guest, stderr in $tmp/NAME.guest-err.
guest() {
    gname=$1 gimage=$2 garch=$3 gin=$4
    shift 4
    timeout -k 10 "$COMPAT_TIMEOUT" "$UNIKIT" run --rm -i --arch "$garch" "$gimage" "$@" <"$gin" \
        >"$tmp/$gname.guest" 2>"$tmp/$gname.guest-err"
    status=$?
    # What the kernel did not implement, for the report (not a failure by itself).
    grep '^unikit: warning: ' "$tmp/$gname.guest-err" | sed "s/^/  $gname: /" >&2
}

# same NAME CHECK: the guest's stdout equals the native run's, else CHECK fails.
same() {
    if [ "$status" -eq 0 ] && cmp -s "$tmp/$1.native" "$tmp/$1.guest"; then
        return 0
    fi
    fail "$2" "guest exited $status; stdout $(wc -c <"$tmp/$1.guest") bytes, native $(wc -c <"$tmp/$1.native"):"
    diff "$tmp/$1.native" "$tmp/$1.guest" 2>&1 | head -n 10 | sed 's/^/    | /' >&2
    sed 's/^/    stderr: /' "$tmp/$1.guest-err" | head -n 20 >&2
    return 1
}

# bzip2 input: 600 kB of text that compresses well but not trivially.
awk 'BEGIN { x = 12345; for (i = 0; i < 24000; i++) { x = (x * 1103515245 + 12345) % 2147483648;
    printf "line %06d %08x %s\n", i, x, substr("abcdefghijklmnopqrstuvwxyz", x % 20 + 1, 6) } }' \
    >"$tmp/bz.in"
: >"$tmp/empty"

test_bzip2() { # ARCH BIN
    native "bz-$1" "$2" "$tmp/bz.in" -9 -c
    cp "$tmp/bz-$1.native" "$tmp/bz-$1.bz2"
    native "bzd-$1" "$2" "$tmp/bz-$1.bz2" -d -c
    if [ "$status" -eq 0 ] && cmp -s "$tmp/bzd-$1.native" "$tmp/bz.in" &&
        [ "$(head -c 4 "$tmp/bz-$1.bz2")" = BZh9 ]; then
        pass "native-bzip2-$1"
    else
        fail "native-bzip2-$1" "bzip2 -9 | bzip2 -d did not give back the input natively"
    fi
    compat_image compat-bzip2 "$1" "$2" '["/bzip2"]' || {
        fail "guest-bzip2-$1" "unikit build exited $status" && show
        return
    }
    guest "bz-$1" compat-bzip2 "$1" "$tmp/bz.in" -9 -c
    same "bz-$1" "guest-bzip2-$1" || return
    guest "bzd-$1" compat-bzip2 "$1" "$tmp/bz-$1.bz2" -d -c
    same "bzd-$1" "guest-bzip2-$1" && pass "guest-bzip2-$1"
}

# expected_native NAME CHECK EXPECTED: the native stdout equals EXPECTED.
expected_native() {
    if [ "$status" -eq 0 ] && cmp -s "$tmp/$1.native" "$3"; then
        pass "$2"
    else
        fail "$2" "native run exited $status, or its stdout differs from $3:"
        diff "$3" "$tmp/$1.native" | head -n 10 | sed 's/^/    | /' >&2
        sed 's/^/    stderr: /' "$tmp/$1.native-err" | head -n 10 >&2
    fi
}

test_lua5_4() { # ARCH BIN
    native "lua-$1" "$2" "$tmp/empty" test.lua
    expected_native "lua-$1" "native-lua5.4-$1" "$compat_files/lua.expected"
    compat_image compat-lua "$1" "$2" '["/lua", "test.lua"]' "./test.lua: /test.lua" || {
        fail "guest-lua5.4-$1" "unikit build exited $status" && show
        return
    }
    guest "lua-$1" compat-lua "$1" "$tmp/empty"
    same "lua-$1" "guest-lua5.4-$1" && pass "guest-lua5.4-$1"
}

test_sqlite3() { # ARCH BIN
    native "sql-$1" "$2" "$compat_files/sqlite.sql" -bail t.db
    expected_native "sql-$1" "native-sqlite3-$1" "$compat_files/sqlite.expected"
    compat_image compat-sqlite3 "$1" "$2" '["/sqlite3", "-bail", "t.db"]' || {
        fail "guest-sqlite3-$1" "unikit build exited $status" && show
        return
    }
    guest "sql-$1" compat-sqlite3 "$1" "$compat_files/sqlite.sql"
    same "sql-$1" "guest-sqlite3-$1" && pass "guest-sqlite3-$1"
}

for pkg in $packages; do
    fn=$(echo "$pkg" | tr . _)
    compat_build "$pkg"
    built=$?
    for arch in $compat_arches; do
        if [ $built -eq 2 ]; then
            skip_tests "$why" "build-$pkg-$arch" "native-$pkg-$arch" "guest-$pkg-$arch"
            continue
        elif [ $built -ne 0 ]; then
            fail "build-$pkg-$arch" "$why"
            skip_tests "no $pkg program" "native-$pkg-$arch" "guest-$pkg-$arch"
            continue
        fi
        pass "build-$pkg-$arch"
        prog=$(find "$prog_dir/$arch" -maxdepth 1 -type f -perm -u+x | head -n 1)
        if native_runner "$arch"; then
            "test_$fn" "$arch" "$prog"
        else
            skip_tests "$why" "native-$pkg-$arch" "guest-$pkg-$arch"
        fi
    done
done

[ "$failures" -eq 0 ]
