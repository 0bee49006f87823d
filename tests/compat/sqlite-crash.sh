#!/bin/sh
# SQLite in WAL mode on a volume survives a SIGKILL of QEMU: the shell
# built by tests/compat/ (Debian's sqlite3 source) runs a writer that
# commits one row a transaction (synchronous=FULL) and prints
# "committed K" after each COMMIT returned; after 1 to 100 reported
# commits and a random pause, `unikit kill` SIGKILLs QEMU. Then the same
# image, booted again on the volume, recovers the database: `PRAGMA
# integrity_check` must say ok and every row the writer reported must be
# there (rows 1..K, K the last one reported). Rounds alternate between the
# architectures; each round is one check, crash-ARCH-N.
#
# Usage: sh tests/compat/sqlite-crash.sh
# Environment: as tests/compat/lib.sh, and SQLITE_CRASH_ROUNDS (rounds per
# architecture, 3; `make fuzz` runs 25).

suite=compat-sqlite
rounds=${SQLITE_CRASH_ROUNDS:-3}
tests="build"
for a in ${COMPAT_ARCHES:-x86_64 aarch64}; do
    i=1
    while [ "$i" -le "$rounds" ]; do
        tests="$tests crash-$a-$i"
        i=$((i + 1))
    done
done
. "$(dirname "$0")/../cli/lib.sh"
. "$root/tests/compat/lib.sh"
compat_files=$tmp/files
mkdir -p "$compat_files"

compat_build sqlite3
built=$?
if [ $built -eq 2 ]; then
    skip_all "$why"
elif [ $built -ne 0 ]; then
    fail build "$why"
    skip_all "no sqlite3 program"
fi
pass build

# The writer: 5000 transactions of one 200-byte row each.
{
    echo "PRAGMA journal_mode = WAL;"
    echo "PRAGMA synchronous = FULL;"
    echo "CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v BLOB NOT NULL);"
    awk 'BEGIN { for (k = 1; k <= 5000; k++)
        printf "BEGIN; INSERT INTO t VALUES(%d, randomblob(200)); COMMIT; SELECT '\''committed %d'\'';\n", k, k }'
} >"$compat_files/writer.sql"

# one_round ARCH N: one kill and recovery; the check crash-ARCH-N.
one_round() {
    name=crash-$1-$2 vol=$tmp/vol-$1-$2
    mkdir -p "$vol"
    target=$(($(od -An -N2 -tu2 /dev/urandom) % 100 + 1))
    pause=$(($(od -An -N1 -tu1 /dev/urandom) % 10))
    if ! "$UNIKIT" run -d --name writer --arch "$1" -v "$vol:/data" "sqlite-$1" >/dev/null 2>"$err" ||
        ! wait_for 120 sh -c "[ \$(\"$UNIKIT\" logs --stdout writer | grep -c '^committed ') -ge $target ]"; then
        fail "$name" "the writer did not start or report $target commits:"
        "$UNIKIT" logs writer 2>&1 | tail -n 20 | sed 's/^/    | /' >&2
        "$UNIKIT" rm -f writer >/dev/null 2>&1
        return
    fi
    sleep "0.$pause"
    "$UNIKIT" kill writer >/dev/null 2>&1
    last=$("$UNIKIT" logs --stdout writer | sed -n 's/^committed //p' | tail -n 1)
    "$UNIKIT" logs --stderr writer 2>&1 | grep 'unikit: warning' | sed "s/^/  $name (writer): /" >&2
    "$UNIKIT" rm -f writer >/dev/null 2>&1
    # Recovery and the checks, in the guest of the same architecture.
    timeout -k 10 120 "$UNIKIT" run --rm --arch "$1" -v "$vol:/data" "sqlite-$1" /data/db \
        "PRAGMA integrity_check;" \
        "SELECT 'rows ' || count(*) || ' ' || coalesce(max(k), 0) FROM t;" \
        "SELECT 'missing ' || ($last - count(*)) FROM t WHERE k <= $last;" >"$out" 2>"$err"
    status=$?
    if [ "$status" -eq 0 ] && [ "$(head -n 1 "$out")" = ok ] && grep -qx 'missing 0' "$out"; then
        pass "$name"
        echo "  $name: killed after $last reported commits; $(grep '^rows' "$out")" >&2
    else
        fail "$name" "after $last reported commits, the recovered database says:"
        show
    fi
}

for arch in $compat_arches; do
    compat_image "sqlite-$arch" "$arch" "$prog_dir/$arch/sqlite3" \
        '["/sqlite3", "/data/db", ".read /writer.sql"]' "./writer.sql: /writer.sql" || {
        fail "crash-$arch-1" "unikit build exited $status"
        show
        continue
    }
done
# (round, not i: lib.sh's wait_for counts with i.)
round=1
while [ "$round" -le "$rounds" ]; do
    for arch in $compat_arches; do
        "$UNIKIT" images 2>/dev/null | grep -q "^sqlite-$arch " && one_round "$arch" "$round"
    done
    round=$((round + 1))
done

[ "$failures" -eq 0 ]
