#!/usr/bin/env bash
# `make test`: the whole suite. Uses the local PostgreSQL and Redis when they answer; under
# CI=true it starts them if they are down, and a service still missing fails the run.
# Chromium for the browser tests and wrk for the load bench are installed from Debian when
# missing (as root, or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_ENV=test

PG_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"

pg_up()    { .venv/bin/python scripts/ping.py postgres "$PG_URL"; }
redis_up() { .venv/bin/python scripts/ping.py redis "$REDIS_URL"; }

if [[ "${CI:-}" == "true" ]]; then
    if ! pg_up; then
        echo "PostgreSQL is down; starting it"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
        for _ in $(seq 20); do pg_up && break; sleep 1; done
    fi
    if ! redis_up; then
        echo "Redis is down; starting it"
        mkdir -p /var/lib/redis /var/log/redis
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
            --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
        for _ in $(seq 20); do redis_up && break; sleep 1; done
    fi
    pg_up || { echo "FAIL: PostgreSQL is required under CI=true and is not reachable"; exit 1; }
    redis_up || { echo "FAIL: Redis is required under CI=true and is not reachable"; exit 1; }
fi

# The browser tests (tests/e2e) drive Debian's Chromium; Playwright never downloads a browser.
CHROMIUM=/usr/bin/chromium
source scripts/debian_package.sh
if [[ ! -x "$CHROMIUM" ]] && ! debian_package chromium; then
    if [[ "${CI:-}" == "true" ]]; then
        echo "FAIL: $CHROMIUM is required under CI=true and could not be installed"
        exit 1
    fi
    echo "note: $CHROMIUM could not be installed; the browser tests will be skipped"
fi

# The benchmarks' smoke runs include bench/bench_load.py, which drives its server with Debian's
# wrk (as scripts/bench.sh installs it).
if ! command -v wrk >/dev/null && ! debian_package wrk; then
    if [[ "${CI:-}" == "true" ]]; then
        echo "FAIL: wrk is required under CI=true and could not be installed"
        exit 1
    fi
    echo "note: wrk could not be installed; the load bench's smoke run will be skipped"
fi

# Tests that need a real service read these; without them they skip (never under CI=true).
if pg_up; then export DATABASE_URL="$PG_URL"; else echo "note: PostgreSQL not reachable, using SQLite"; fi
if redis_up; then export TEST_REDIS_URL="$REDIS_URL"; else echo "note: Redis not reachable"; fi

exec .venv/bin/python -m pytest "$@"
