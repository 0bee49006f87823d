#!/bin/sh
# Runs unit-test binaries; each prints "ok NAME" / "FAIL NAME" lines.
status=0
for t in "$@"; do
    "$t" || status=1
done
exit $status
