#!/bin/sh
# The host parsers under libFuzzer, briefly (tests/fuzz/run.sh): FUZZ_SECONDS
# each (default 8, so the suite stays under a minute); `make fuzz` runs them
# longer. Builds them first (make fuzz-build: nothing when they are up to
# date); without clang-14 and libFuzzer each is skipped, with why.
cd "$(dirname "$0")/../.." || exit 1
if ! make --no-print-directory -s fuzz-build >/tmp/unikit-fuzz-build.$$ 2>&1; then
    echo "FAIL fuzz-build"
    tail -n 20 /tmp/unikit-fuzz-build.$$ | sed 's/^/    /' >&2
    rm -f /tmp/unikit-fuzz-build.$$
    exit 1
fi
rm -f /tmp/unikit-fuzz-build.$$
FUZZ_SECONDS=${FUZZ_SECONDS:-8} exec sh tests/fuzz/run.sh
