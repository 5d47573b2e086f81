#!/usr/bin/env bash
# `make bench`: run every bench/bench_*.py in turn and print their figures. Benchmarks are not
# tests: a missed target is printed as MISS, and a bench that crashes fails the run. Arguments
# go to every bench: `bash scripts/bench.sh --smoke` runs each at a tiny size, as the suite does.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

# bench_load drives the server with wrk: Debian's package, installed when missing (as root,
# or with sudo). Without it that bench prints SKIP, or fails under CI=true.
source scripts/debian_package.sh
if ! command -v wrk >/dev/null && ! debian_package wrk; then
    if [[ "${CI:-}" == "true" ]]; then
        echo "FAIL: wrk is required under CI=true and could not be installed"
        exit 1
    fi
    echo "note: wrk could not be installed; bench_load will be skipped"
fi

status=0
for bench in bench/bench_*.py; do
    [[ -e "$bench" ]] || { echo "no benchmarks in bench/"; exit 0; }
    echo "=== $bench"
    if ! "$PY" "$bench" "$@"; then
        echo "FAILED: $bench"
        status=1
    fi
    echo
done
exit $status
