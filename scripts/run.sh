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

# The worker consumes the queue the shop sends analyses to (DIAGNOSIS_QUEUE, from the
# environment or .env), and lives, with the periodic sweep (-B), as long as the web server.
QUEUE=$($PY manage.py shell -v 0 -c "from django.conf import settings; print(settings.DIAGNOSIS_QUEUE)")
.venv/bin/celery -A skinshop worker -B -l info --concurrency 1 \
    -Q "celery,$QUEUE" --schedule var/celerybeat-schedule >var/worker.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM

echo
echo "  SkinShop is starting on http://$HOST:$PORT  (worker log: var/worker.log; Ctrl-C stops both)"
echo
$PY manage.py runserver "$HOST:$PORT"
