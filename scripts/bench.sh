#!/usr/bin/env bash
# Side-by-side benchmark: antenna-ingest (native binary) vs Antenna's own Celery worker (its code,
# run from .local/antenna-oracle: bench/antenna_worker) with prefork and with the gevent proposal,
# vs the project's re-implementation of Antenna's task (bench/celery_baseline), plus the database's
# own limit (binary COPY of the same rows). Every contender gets a fresh database, Redis state,
# JetStream task streams and queue built by the same seeded workload, on the same local services.
#
#   scripts/bench.sh            default size (~10 minutes on 2 cores)
#   scripts/bench.sh --quick    smoke size (under 2 minutes; CI prints it, asserts nothing)
#   options: --contenders a,b,c   (antenna-ingest, antenna-ingest-half-rate, antenna-ingest-crops,
#                                  antenna-ingest-summary-log, celery-prefork-16, celery-gevent-200, copy,
#                                  antenna-prefork-N, antenna-gevent-N with variant suffixes:
#                                  -psycopg3 (psycopg 3.1.9 pure Python; default Debian's psycopg2),
#                                  -crops (create_detection_images on the same workers), -cmaN (CONN_MAX_AGE=N;
#                                  default 60 as production), -asproposed (gevent without the asyncio fix),
#                                  -poolN (its own pgbouncer with a pool of N server connections instead of
#                                  the shared INGEST_PGBOUNCER_POOL_SIZE), e.g. antenna-gevent-100-psycopg3-cma0)
#            --jobs N --images-per-job M --seed S --binary PATH --keep (keep databases)
#   BENCH_SCHEMA=migrated: every contender's database copies one built by Antenna's own migrations
#   (scripts/antenna-oracle.sh template) instead of tests/fixtures/antenna-schema.sql.
#
# Output: results/<UTC timestamp>/{summary.md,summary.json,chart.svg,<contender>.json,<contender>.log,…}
# and the symlink results/latest.
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root_dir"

quick=false
contenders="antenna-ingest,antenna-ingest-half-rate,antenna-ingest-crops,celery-prefork-16,celery-gevent-200,copy"
jobs=""; images=""; seed=1; keep=false
binary="${INGEST_BINARY:-$root_dir/artifacts/publish/antenna-ingest}"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=true ;;
    --contenders) contenders="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --images-per-job) images="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --binary) binary="$2"; shift ;;
    --keep) keep=true ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if $quick; then
  jobs="${jobs:-1}"; images="${images:-40}"; timeout=90; stall=30; first_ack=10
else
  jobs="${jobs:-4}"; images="${images:-200}"; timeout=400; stall=60; first_ack=45
fi

log() { printf 'bench: %s\n' "$*" >&2; }

"$root_dir/scripts/services.sh" up
eval "$("$root_dir/scripts/services.sh" env)"
pool_size="${INGEST_PGBOUNCER_POOL_SIZE:-20}"

log "building the workload tool"
dotnet build "$root_dir/tests/AntennaIngest.Workload/AntennaIngest.Workload.csproj" -c Release -nologo -v quiet >/dev/null
workload="$root_dir/tests/AntennaIngest.Workload/bin/Release/net10.0/antenna-workload"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root_dir/results/$stamp"
work="$root_dir/results/tmp/$stamp"
images_dir="$root_dir/results/tmp/images"
mkdir -p "$out" "$work"

port=$(( 40000 + RANDOM % 20000 ))
"$workload" serve --images-dir "$images_dir" --port "$port" --seed "$seed" > "$work/serve.log" 2>&1 &
server_pid=$!
cleanup_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
trap cleanup_server EXIT
sleep 1

template=""
[ "${BENCH_SCHEMA:-fixture}" = migrated ] && template="$("$root_dir/scripts/antenna-oracle.sh" template)"

setup() { # name
  local dir="$work/$1"
  mkdir -p "$dir"
  "$workload" setup --out "$dir" --jobs "$jobs" --images-per-job "$images" --seed "$seed" \
    --images-dir "$images_dir" --image-base-url "http://127.0.0.1:$port/" ${template:+--template-db "$template"} > "$dir/setup.log"
}

teardown() { # name queue
  $keep && return 0
  "$workload" cleanup --manifest "$work/$1/manifest.json" --queues "$2,$2_crops_sink" >/dev/null 2>&1 || true
}

ingest_skipped=false
measure() { # name command [rate] [extra measure options]
  local name=$1 command=$2 rate=${3:-0} extra=${4:-} queue="bench_${stamp}_${1//-/_}" wait_first=90
  # A binary that acks nothing is found out quickly; Celery needs its pool up and a first
  # result through 16 (or 200) concurrent tasks on few cores before the first ack.
  [[ $name == antenna-ingest* ]] && wait_first=$first_ack
  if [[ $name == antenna-ingest* ]] && $ingest_skipped; then
    log "$name: skipped (the same binary acked nothing in the previous run)"
    printf '{"contender":"%s","status":"skipped","message":"the same binary acked nothing in the antenna-ingest run"}\n' "$name" > "$out/$name.json"
    return
  fi
  log "$name: setup ($jobs job(s) × $images images)"
  setup "$name"
  log "$name: measuring"
  "$workload" measure --manifest "$work/$name/manifest.json" --out "$out" --contender "$name" --seed "$seed" \
    --queue "$queue" --command "$command" --timeout "$timeout" --stall-timeout "$stall" --first-ack-timeout "$wait_first" --rate "$rate" $extra || true
  if [[ $name == antenna-ingest* ]] && grep -q '"status": "skipped"' "$out/$name.json" 2>/dev/null; then ingest_skipped=true; fi
  teardown "$name" "$queue"
}

ingest_command() { # crops true|false, job log style antenna|summary
  if [ ! -x "$binary" ]; then
    echo "echo 'antenna-ingest: no native binary at $binary (run scripts/publish.sh)'; exit 3"
    return
  fi
  echo "INGEST_CROPS=$1 INGEST_JOB_LOG=${2:-antenna} INGEST_DB_CONNECTIONS=$pool_size INGEST_HTTP_PORT=0 MEDIA_ROOT='$work/media-\$\$' '$binary' run"
}

# Antenna's own worker: antenna-POOL-CONCURRENCY[-variant…] -> its command line, or nothing.
antenna_command() { # name
  [[ $1 =~ ^antenna-(prefork|gevent)-([0-9]+)((-[a-z0-9]+)*)$ ]] || return 1
  local pool=${BASH_REMATCH[1]} concurrency=${BASH_REMATCH[2]} variants=${BASH_REMATCH[3]} env="" v
  for v in ${variants//-/ }; do
    case "$v" in
      psycopg2|psycopg3) env+="ANTENNA_DRIVER=$v " ;;
      crops) env+="BASELINE_CROPS=true " ;;
      cma[0-9]*) env+="ANTENNA_CONN_MAX_AGE=${v#cma} " ;;
      asproposed) env+="ANTENNA_GEVENT_ASYNCIO=as-proposed " ;;
      pool[0-9]*) ;; # with_pgbouncer
      *) return 1 ;;
    esac
  done
  echo "${env}MEDIA_ROOT='$work/media-$1' '$root_dir/bench/antenna_worker/run_worker.sh' $pool $concurrency"
}

# Runs a command against a pgbouncer of its own (the shared one's settings, another pool size):
# Antenna under gevent holds a job's log-handler lock across a database write, so with more
# greenlets than server connections it can wait for a connection that row-lock waiters hold.
with_pgbouncer() { # pool size, command…
  local size=$1; shift
  local private=(INGEST_SERVICES_DIR="$work/pgbouncer-$size" INGEST_PGBOUNCER_PORT=$(( 30000 + RANDOM % 9000 )) INGEST_PGBOUNCER_POOL_SIZE="$size")
  env "${private[@]}" "$root_dir/scripts/services.sh" start pgbouncer
  ( eval "$(env "${private[@]}" "$root_dir/scripts/services.sh" env)"; "$@" ) || true
  env "${private[@]}" "$root_dir/scripts/services.sh" stop pgbouncer
}

IFS=, read -r -a selected <<< "$contenders"
for contender in "${selected[@]}"; do
  case "$contender" in
    antenna-ingest) measure antenna-ingest "$(ingest_command false)" ;;
    antenna-ingest-crops) measure antenna-ingest-crops "$(ingest_command true)" 0 --wait-crops ;;
    # The cost of Antenna's job-log lines: the same run writing only the compact summary lines.
    antenna-ingest-summary-log) measure antenna-ingest-summary-log "$(ingest_command false summary)" ;;
    antenna-ingest-half-rate)
      # Latency at half of the maximum: the same results paced at half antenna-ingest's measured rate.
      # BENCH_MAX_PER_MIN: the maximum of an earlier run, when this one does not measure it.
      max_per_min=${BENCH_MAX_PER_MIN:-$(grep -o '"results_per_minute": *[0-9.]*' "$out/antenna-ingest.json" 2>/dev/null | grep -o '[0-9.]*$' || echo 0)}
      half=$(awk "BEGIN { printf \"%.2f\", ${max_per_min:-0} / 120 }")
      if awk "BEGIN { exit !($half > 0) }"; then
        measure antenna-ingest-half-rate "$(ingest_command false)" "$half"
      else
        log "antenna-ingest-half-rate: skipped (no antenna-ingest rate measured in this run)"
      fi ;;
    celery-prefork-16) measure celery-prefork-16 "'$root_dir/bench/celery_baseline/run_worker.sh' prefork 16" ;;
    celery-gevent-200) measure celery-gevent-200 "'$root_dir/bench/celery_baseline/run_worker.sh' gevent 200" ;;
    copy)
      log "copy: setup and binary COPY of the same rows"
      setup copy
      "$workload" copy --manifest "$work/copy/manifest.json" --out "$out" --seed "$seed"
      teardown copy none ;;
    antenna-prefork-*|antenna-gevent-*)
      command="$(antenna_command "$contender")" || { log "unknown contender $contender"; exit 2; }
      run=(measure "$contender" "$command")
      [[ $contender == *-crops* ]] && run+=(0 --wait-crops)
      if [[ $contender =~ -pool([0-9]+) ]]; then with_pgbouncer "${BASH_REMATCH[1]}" "${run[@]}"; else "${run[@]}"; fi ;;
    *) log "unknown contender $contender"; exit 2 ;;
  esac
done

# Antenna's own prefork worker is the baseline when it ran; the re-implementation otherwise.
baseline=celery-prefork-16
[[ ,$contenders, == *,antenna-prefork-16,* ]] && baseline=antenna-prefork-16
"$workload" report --dir "$out" --baseline "$baseline" --order "${contenders}" \
  --title "antenna-ingest vs Celery ($jobs job(s) × $images images, seed $seed$($quick && echo ', quick'))"
$quick || ln -sfn "$stamp" "$root_dir/results/latest" # smoke runs leave the published results alone
log "results in $out (results/latest)"
