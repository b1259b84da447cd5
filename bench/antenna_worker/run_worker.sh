#!/usr/bin/env bash
# Starts Antenna's own Celery worker (RolnickLab/antenna 731cc2a2, run from .local/antenna-oracle,
# never copied here) on the benchmark's queue, with the worker options of Antenna's
# compose/production/django/celery/worker/start.
#   run_worker.sh prefork 16      production's pool and concurrency
#   run_worker.sh gevent 100      the gevent proposal (RolnickLab/antenna#1230): patch_all + psycogreen
# Environment:
#   ANTENNA_DRIVER=psycopg2|psycopg3   psycopg2: Debian's (C); psycopg3: psycopg 3.1.9 pure Python
#   ANTENNA_CONN_MAX_AGE               default 60 (production's CONN_MAX_AGE default); 0 = close after each task
#   BENCH_QUEUE                        the queue to consume instead of ml_results
#   BASELINE_CROPS=true|false          whether create_detection_images runs on these workers (default false)
#   DATABASE_URL REDIS_URL NATS_URL CELERY_BROKER_URL MEDIA_ROOT NATS_TASK_TTR   as Antenna reads them
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root_dir="$(cd "$here/../.." && pwd)"
pool="${1:-prefork}"
concurrency="${2:-16}"
driver="${ANTENNA_DRIVER:-psycopg2}"
case "$pool" in prefork|gevent) ;; *) echo "run_worker.sh: pool must be prefork or gevent" >&2; exit 2 ;; esac
case "$driver" in psycopg2|psycopg3) ;; *) echo "run_worker.sh: ANTENNA_DRIVER must be psycopg2 or psycopg3" >&2; exit 2 ;; esac

# Installs the Debian packages Antenna's code imports (never python3-psycopg) and extracts the kit.
"$root_dir/scripts/antenna-oracle.sh" setup
eval "$("$root_dir/scripts/antenna-oracle.sh" env)"

pythonpath="$here:$ANTENNA_PYTHONPATH"
if [ "$driver" = psycopg3 ]; then
  # With psycopg 3 importable, Django 4.2 uses it instead of psycopg2. Its C implementation does
  # not build here, so the pure-Python one is asked for by name.
  pythonpath="$ANTENNA_PSYCOPG3_DIR:$pythonpath"
  export PSYCOPG_IMPL=python
fi
export PYTHONPATH="$pythonpath" DJANGO_SETTINGS_MODULE=antenna_bench_settings ANTENNA_DRIVER="$driver"
export MEDIA_ROOT="${MEDIA_ROOT:-/tmp/antenna-worker-media}"
mkdir -p "$MEDIA_ROOT"

echo "antenna worker: pool=$pool concurrency=$concurrency driver=$driver conn_max_age=${ANTENNA_CONN_MAX_AGE:-60} crops=${BASELINE_CROPS:-false} queue=${BENCH_QUEUE:-ml_results}"
cd "$ANTENNA_SOURCE_DIR"
# Production: newrelic-admin run-program celery -A config.celery_app worker --queues="$QUEUES" -l INFO
#   --max-tasks-per-child=100 --max-memory-per-child=2097152  (no New Relic agent here).
exec /usr/bin/python3 "$here/worker_main.py" worker --queues="${BENCH_QUEUE:-ml_results}" -l INFO \
  --max-tasks-per-child=100 --max-memory-per-child=2097152 \
  -P "$pool" -c "$concurrency" -n "antenna-$pool-$$@%h"
