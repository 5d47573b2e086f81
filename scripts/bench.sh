#!/usr/bin/env bash
# `make bench`: run every bench/bench_*.py in turn and print their figures. Benchmarks are not
# tests: a missed target is printed as MISS, and a bench that crashes fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
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
