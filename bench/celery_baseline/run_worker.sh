#!/usr/bin/env bash
# Starts the Celery baseline worker: Antenna's ml_results task on Debian's python3-celery.
#   run_worker.sh prefork 16      (Antenna's production pool)
#   run_worker.sh gevent 200      (the proposed pool: gevent monkey-patching + psycogreen)
# Reads DATABASE_URL, REDIS_URL, NATS_URL, CELERY_BROKER_URL, BENCH_QUEUE, BASELINE_CROPS, MEDIA_ROOT.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pool="${1:-prefork}"
concurrency="${2:-16}"

# Debian packages the baseline needs; installed once, quietly.
packages=(python3-celery python3-psycopg2 python3-redis python3-gevent python3-psycogreen python3-pydantic python3-pil)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cd "$here"
exec /usr/bin/python3 -m celery -A baseline.celery_app worker \
  -P "$pool" -c "$concurrency" -Q "${BENCH_QUEUE:-ml_results}" --prefetch-multiplier 1 -l INFO -n "baseline-$pool-$$@%h"
