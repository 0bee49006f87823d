#!/bin/sh
# The whole suite: unit tests (arguments), guest tests, CLI tests, compat tests.
# Every suite prints "ok NAME", "FAIL NAME" or "skip NAME: why" per test;
# this script counts them and ends with the "N passed, N failed" line.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() {
    echo "== $1"
    shift
    "$@" 2>&1 | tee -a "$log"
}
run "unit tests" sh tests/run-units.sh "$@"
run "guest tests" sh tests/guest/run.sh
for suite in tests/cli/*.sh; do
    case $suite in
    */lib.sh | */kvm-view.sh) continue ;; # helpers, not suites
    esac
    run "cli tests: $suite" sh "$suite"
done
# Real programs from Debian source packages (cached under build/compat/).
for suite in tests/compat/*.sh; do
    case $suite in
    */lib.sh | */recipes.sh) continue ;; # helpers, not suites
    esac
    run "compat tests: $suite" sh "$suite"
done
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
skipped=$(grep -c '^skip ' "$log")
if [ "$failed" -gt 0 ]; then
    echo "failed:"
    grep '^FAIL ' "$log"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
