#!/usr/bin/env bash
# Benchmark v2: antenna-ingest (the native binary) against Antenna's own Celery worker (Antenna
# 731cc2a2 from ../shared/antenna, run as production runs it: prefork -c 16, or gevent at -c 100 /
# 200 as the gevent proposal, RolnickLab/antenna#1230, suggests), each with the same added network
# round trip to pgbouncer, Redis, NATS and RabbitMQ, repeated in alternating order.
# Every run gets a fresh database, Redis state, JetStream task streams and queue built by the same
# seeded workload; the backlog is enqueued before the contender starts; the clock runs from the
# contender's start to its last ack. Measurement (pgbouncer counters, /proc, acks) stays outside
# the contender's path.
#
#   scripts/bench.sh            the full matrix (about an hour on 2 cores)
#   scripts/bench.sh --quick    CI smoke: antenna-ingest and Antenna prefork-16, 0 and 2 ms, once (< 3 min)
#   options: --repetitions N (3)  --delays 0,0.5,2  --contenders a,b  --variants a,b (at --variant-delay)
#            --paced-delay D (0.5; "none" skips latency runs)  --no-copy  --seed S  --binary PATH  --keep
#   contenders: antenna-ingest, antenna-ingest-crops, antenna-prefork-16, antenna-gevent-100,
#               antenna-gevent-200, and variants: -psycopg3 (psycopg 3.1.9 instead of psycopg2 +
#               psycogreen), -cma0 (CONN_MAX_AGE=0), -crops (create_detection_images on the same workers)
#
# Output: results/<UTC stamp>/{summary.md,summary.json,throughput-vs-delay.svg,latency-cdf.svg,
# versions.json,copy.json,runs/<n>-<contender>-d<delay>-r<rep>/…} and the symlink results/latest.
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root_dir"

quick=false keep=false copy=true seed=1 repetitions=3
delays="0,0.5,2"
contenders="antenna-ingest,antenna-prefork-16,antenna-gevent-100,antenna-gevent-200"
variants="antenna-gevent-100-psycopg3,antenna-gevent-100-cma0,antenna-prefork-16-crops,antenna-ingest-crops"
variant_delay=0.5 paced_delay=0.5
binary="${INGEST_BINARY:-$root_dir/artifacts/publish/antenna-ingest}"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=true ;;
    --repetitions) repetitions="$2"; shift ;;
    --delays) delays="$2"; shift ;;
    --contenders) contenders="$2"; shift ;;
    --variants) variants="$2"; shift ;;
    --variant-delay) variant_delay="$2"; shift ;;
    --paced-delay) paced_delay="$2"; shift ;;
    --no-copy) copy=false ;;
    --seed) seed="$2"; shift ;;
    --binary) binary="$2"; shift ;;
    --keep) keep=true ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if $quick; then
  repetitions=1 delays="0,2" contenders="antenna-ingest,antenna-prefork-16" variants="" paced_delay=none copy=false
fi

log() { printf 'bench: %s\n' "$*" >&2; }

"$root_dir/scripts/services.sh" up
eval "$("$root_dir/scripts/services.sh" env)"
"$root_dir/scripts/antenna-oracle.sh" setup
pool_size="${INGEST_PGBOUNCER_POOL_SIZE:-20}"

log "building the workload tool"
dotnet build "$root_dir/tests/AntennaIngest.Workload/AntennaIngest.Workload.csproj" -c Release -nologo -v quiet >/dev/null
workload="$root_dir/tests/AntennaIngest.Workload/bin/Release/net10.0/antenna-workload"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root_dir/results/$stamp"
work="$root_dir/results/tmp/$stamp"
images_dir="$root_dir/results/tmp/images"
mkdir -p "$out/runs" "$work"

port=$(( 40000 + RANDOM % 20000 ))
"$workload" serve --images-dir "$images_dir" --port "$port" --seed "$seed" > "$work/serve.log" 2>&1 &
server_pid=$!
cleanup_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
trap cleanup_server EXIT
sleep 1

"$root_dir/scripts/bench-versions.sh" "$binary" > "$out/versions.json"

# ---------------------------------------------------------------- contenders

is_ingest() { [[ $1 == antenna-ingest* ]]; }

# A backlog the contender needs at least a minute for: the binary gets ≥ 10,000 results (10 jobs
# of Antenna's maximum of 1,000 reserved tasks each); Antenna's workers a size measured from
# prefork-16 (BENCH_CELERY_RESULTS overrides).
backlog_size() { # name -> "jobs images_per_job"
  if $quick; then is_ingest "$1" && echo "1 200" || echo "1 40"; return; fi
  if is_ingest "$1"; then
    [[ $1 == *crops* ]] && echo "2 1000" || echo "10 1000"
  else
    local results=${BENCH_CELERY_RESULTS:-400}
    echo "4 $(( (results + 3) / 4 ))"
  fi
}

contender_command() { # name -> shell command
  local name=$1
  if is_ingest "$name"; then
    if [ ! -x "$binary" ]; then echo "echo 'antenna-ingest: no native binary at $binary (run scripts/publish.sh)'; exit 3"; return; fi
    local crops=false; [[ $name == *crops* ]] && crops=true
    echo "INGEST_CROPS=$crops INGEST_DB_CONNECTIONS=$pool_size INGEST_HTTP_PORT=0 MEDIA_ROOT='$work/media-\$\$' '$binary' run"
    return
  fi
  local pool=prefork concurrency=16 driver=psycopg2 cma="" crops=false
  [[ $name == antenna-gevent-100* ]] && pool=gevent concurrency=100
  [[ $name == antenna-gevent-200* ]] && pool=gevent concurrency=200
  [[ $name == *-psycopg3* ]] && driver=psycopg3
  [[ $name == *-cma0* ]] && cma="ANTENNA_CONN_MAX_AGE=0 "
  [[ $name == *-crops* ]] && crops=true
  echo "ANTENNA_DRIVER=$driver ${cma}BASELINE_CROPS=$crops MEDIA_ROOT='$work/media-\$\$' '$root_dir/bench/antenna_worker/run_worker.sh' $pool $concurrency"
}

sequence=0
measure() { # name delay repetition [rate load]
  local name=$1 delay=$2 rep=$3 rate=${4:-0} load=${5:-}
  sequence=$((sequence + 1))
  local mode=backlog; [ "$rate" != 0 ] && mode=paced
  local tag; tag="$(printf '%03d' "$sequence")-$name-d$delay-r$rep${load:+-paced}"
  local run="$out/runs/$tag" dir="$work/$tag" queue="bench_${stamp}_${sequence}"
  mkdir -p "$run" "$dir"
  read -r jobs images <<< "$(backlog_size "$name")"
  local limit=0
  if [ "$mode" = paced ]; then # about 45 s of results at the offered rate
    limit=$(awk "BEGIN { n = int($rate * 45); print (n < 60 ? 60 : n) }")
    jobs=$(( (limit + 999) / 1000 )); images=$(( (limit + jobs - 1) / jobs ))
  fi
  printf '{"contender":"%s","delay_ms":%s,"repetition":%s,"sequence":%s,"mode":"%s","offered_rate":%s,"load":"%s","jobs":%s,"images_per_job":%s,"started_at":"%s"}\n' \
    "$name" "$delay" "$rep" "$sequence" "$mode" "$rate" "$load" "$jobs" "$images" "$(date -u +%FT%TZ)" > "$run/run.json"
  log "#$sequence $name, +$delay ms, repetition $rep, $mode${load:+ at $load ($rate/s)}: setup ($jobs × $images)"
  "$workload" setup --out "$dir" --jobs "$jobs" --images-per-job "$images" --seed "$seed" \
    --images-dir "$images_dir" --image-base-url "http://127.0.0.1:$port/" > "$dir/setup.log"
  local first_ack=120 extra=""
  is_ingest "$name" && first_ack=45
  [[ $name == *crops* ]] && extra="--wait-crops"
  "$workload" measure --manifest "$dir/manifest.json" --out "$run" --contender "$name" --seed "$seed" \
    --queue "$queue" --command "$(contender_command "$name")" --timeout 900 --stall-timeout 90 \
    --first-ack-timeout "$first_ack" --rate "$rate" --delay-ms "$delay" $extra 2>&1 | tail -1 >&2 || true
  $keep || "$workload" cleanup --manifest "$dir/manifest.json" --queues "$queue,${queue}_crops_sink" >/dev/null 2>&1 || true
}

mean_rate() { # name delay -> mean results/s of its ok backlog runs so far (from contender start)
  "$workload" summarize --dir "$out" >/dev/null 2>&1 || true
  python3 - "$out/summary.json" "$1" "$2" <<'EOF'
import json, sys
try:
    cells = json.load(open(sys.argv[1]))["backlog"]
except Exception:
    print(0); sys.exit()
match = [c for c in cells if c["contender"] == sys.argv[2] and float(c["added_rtt_ms"]) == float(sys.argv[3])]
print(f'{match[0]["results_per_minute"]["mean"] / 60:.3f}' if match else 0)
EOF
}

# ---------------------------------------------------------------- the matrix

IFS=, read -r -a delay_list <<< "$delays"
IFS=, read -r -a contender_list <<< "$contenders"
cells=()
for d in "${delay_list[@]}"; do for c in "${contender_list[@]}"; do cells+=("$c@$d"); done; done
for rep in $(seq 1 "$repetitions"); do
  order=("${cells[@]}")
  if (( rep % 2 == 0 )); then # alternate: every other repetition runs the cells in reverse
    order=(); for (( i=${#cells[@]}-1; i>=0; i-- )); do order+=("${cells[$i]}"); done
  fi
  for cell in "${order[@]}"; do measure "${cell%@*}" "${cell#*@}" "$rep"; done
  if [ "$rep" = 1 ] && [ -z "${BENCH_CELERY_RESULTS:-}" ] && ! $quick; then
    # Size Antenna's backlogs from prefork-16's first runs: ≥ 65 s at its slowest delay.
    slowest=$(for d in "${delay_list[@]}"; do mean_rate antenna-prefork-16 "$d"; done | sort -g | head -1)
    if awk "BEGIN { exit !($slowest > 0) }"; then
      export BENCH_CELERY_RESULTS=$(awk "BEGIN { n = int($slowest * 65 / 4 + 1) * 4; print (n < 200 ? 200 : n) }")
      log "Antenna's backlogs from now on: $BENCH_CELERY_RESULTS results (prefork-16 at ${slowest}/s)"
    fi
  fi
done

IFS=, read -r -a variant_list <<< "$variants"
for variant in "${variant_list[@]}"; do
  [ -n "$variant" ] || continue
  for rep in 1 2; do measure "$variant" "$variant_delay" "$rep"; done
done

# Latency at the same offered loads for every contender: 40 % and 80 % of prefork-16's maximum.
if [ "$paced_delay" != none ]; then
  maximum=$(mean_rate antenna-prefork-16 "$paced_delay")
  if awk "BEGIN { exit !($maximum > 0) }"; then
    for share in 40 80; do
      rate=$(awk "BEGIN { printf \"%.2f\", $maximum * $share / 100 }")
      for c in "${contender_list[@]}"; do measure "$c" "$paced_delay" 1 "$rate" "$share % of prefork-16's maximum"; done
    done
  else
    log "latency runs skipped: no prefork-16 rate at +$paced_delay ms"
  fi
fi

if $copy; then
  log "COPY ceiling: the binary's backlog written by binary COPY on 1, 2, 4 and 8 parallel streams"
  read -r jobs images <<< "$(backlog_size antenna-ingest)"
  "$workload" setup --out "$work/copy" --jobs "$jobs" --images-per-job "$images" --seed "$seed" \
    --images-dir "$images_dir" --image-base-url "http://127.0.0.1:$port/" > "$work/copy/setup.log" 2>&1 || mkdir -p "$work/copy"
  "$workload" copy --manifest "$work/copy/manifest.json" --out "$out" --seed "$seed" --streams 1,2,4,8 >&2
  $keep || "$workload" cleanup --manifest "$work/copy/manifest.json" --queues none >/dev/null 2>&1 || true
fi

# Large per-result files are kept compressed; summarize reads them either way.
find "$out/runs" -type f \( -name '*-acks.tsv' -o -name '*.log' \) -size +256k -exec gzip -9 {} +
"$workload" summarize --dir "$out" --title "Benchmark v2 ($repetitions repetition(s), seed $seed$($quick && echo ', quick'))"
$quick || ln -sfn "$stamp" "$root_dir/results/latest" # smoke runs leave the published results alone
log "results in $out"
