#!/usr/bin/env bash
# `make run`: the shop and its Celery worker on the embedded defaults (SQLite, filesystem broker).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_ENV="${DJANGO_ENV:-local}"
PY=.venv/bin/python
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

mkdir -p var
$PY manage.py migrate --noinput
$PY manage.py seed_demo

# The worker (with the periodic sweep, -B) lives as long as the web server.
.venv/bin/celery -A skinshop worker -B -l info --concurrency 1 \
    -Q celery,diagnosis --schedule var/celerybeat-schedule >var/worker.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM

echo
echo "  SkinShop is starting on http://$HOST:$PORT  (worker log: var/worker.log; Ctrl-C stops both)"
echo
$PY manage.py runserver "$HOST:$PORT"
