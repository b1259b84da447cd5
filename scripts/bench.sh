#!/usr/bin/env bash
# Benchmark v2: antenna-ingest (the native binary) against Antenna's own Celery worker (Antenna
# 731cc2a2 from ../shared/antenna, run as production runs it: prefork -c 16, or gevent at -c 100 /
# 200 as the gevent proposal, RolnickLab/antenna#1230, suggests), each with the same added network
# round trip to pgbouncer, Redis, NATS and RabbitMQ, repeated in alternating order.
# Every run gets a fresh database, Redis state, JetStream task streams and queue built by the same
# seeded workload (each result's JSON is compressed once and kept for the next repetitions; the
# job id and reply subject around it are new); the backlog is enqueued before the contender starts; the clock runs from the
# contender's start to its last ack. Measurement (pgbouncer counters, /proc, acks) stays outside
# the contender's path.
#
#   scripts/bench.sh            the full matrix (about an hour on this 2-core host; summary.json: matrix_minutes)
#   scripts/bench.sh --quick    CI smoke: antenna-ingest and Antenna prefork-16, 0 and 2 ms, once (< 3 min)
#   options: --repetitions N (3)  --delays 0,0.5,2  --contenders a,b  --variants a,b (at --variant-delay)
#            --variant-repetitions N (1)  --paced-delay D (0.5; "none" skips latency runs)
#            --paced-loads 40,80 (% of prefork-16's maximum)  --no-copy  --seed S  --binary PATH  --keep
#   contenders: antenna-ingest[-crops], and Antenna's worker antenna-(prefork|gevent)-N with suffixes
#     -psycopg3 (psycopg 3.1.9 pure Python; default Debian's psycopg2, with psycogreen under gevent),
#     -crops (create_detection_images on the same workers), -cmaN (CONN_MAX_AGE=N; default 60 as
#     production), -asproposed (gevent without the per-greenlet asyncio fix: Antenna's ack fails),
#     -poolN (a pgbouncer of its own with N server connections instead of the shared pool of 20:
#     Antenna under gevent deadlocks with more greenlets than server connections; bench/antenna_worker/README.md)
#   BENCH_SCHEMA=fixture: databases from tests/fixtures/antenna-schema.sql instead of Antenna's migrations
#
# Output: results/<UTC stamp>/{summary.md,summary.json,throughput-vs-delay.svg,latency-cdf.svg,
# versions.json,copy.json,runs/<n>-<contender>-d<delay>-r<rep>/…} and the symlink results/latest. (--quick: results/tmp/quick-<stamp>)
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root_dir"

arguments=" $* "
script_started=$EPOCHREALTIME # the bound the benchmark keeps is the whole script's time (summary: time_budget)
quick=false keep=false copy=true seed=1 repetitions=3
delays="0,0.5,2"
contenders="antenna-ingest,antenna-prefork-16,antenna-gevent-100-pool100"
variants="antenna-gevent-200-pool200,antenna-gevent-100-pool100-psycopg3,antenna-gevent-100-pool100-cma0,antenna-prefork-16-crops,antenna-ingest-crops"
variant_delay=0.5 variant_repetitions=1 paced_delay=0.5 paced_loads="40,80"
binary="${INGEST_BINARY:-$root_dir/artifacts/publish/antenna-ingest}"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=true ;;
    --repetitions) repetitions="$2"; shift ;;
    --delays) delays="$2"; shift ;;
    --contenders) contenders="$2"; shift ;;
    --variants) variants="$2"; shift ;;
    --variant-delay) variant_delay="$2"; shift ;;
    --variant-repetitions) variant_repetitions="$2"; shift ;;
    --paced-loads) paced_loads="$2"; shift ;;
    --paced-delay) paced_delay="$2"; shift ;;
    --no-copy) copy=false ;;
    --seed) seed="$2"; shift ;;
    --binary) binary="$2"; shift ;;
    --keep) keep=true ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if $quick; then # the quick defaults, unless named on the command line
  repetitions=1 variants="" paced_delay=none copy=false
  [[ $arguments == *" --delays "* ]] || delays="0,2"
  [[ $arguments == *" --contenders "* ]] || contenders="antenna-ingest,antenna-prefork-16"
fi

log() { printf 'bench: %s\n' "$*" >&2; }
since() { awk "BEGIN { printf \"%.3f\", $EPOCHREALTIME - $1 }"; } # seconds since an $EPOCHREALTIME

"$root_dir/scripts/services.sh" up
eval "$("$root_dir/scripts/services.sh" env)"
"$root_dir/scripts/antenna-oracle.sh" setup
pool_size="${INGEST_PGBOUNCER_POOL_SIZE:-20}"

log "building the workload tool"
dotnet build "$root_dir/tests/AntennaIngest.Workload/AntennaIngest.Workload.csproj" -c Release -nologo -v quiet >/dev/null
workload="$root_dir/tests/AntennaIngest.Workload/bin/Release/net10.0/antenna-workload"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root_dir/results/$stamp"
$quick && out="$root_dir/results/tmp/quick-$stamp" # smoke runs are not results to commit
work="$root_dir/results/tmp/$stamp"
images_dir="$root_dir/results/tmp/images"
mkdir -p "$out/runs" "$work"
mark() { printf '%s\t%s\n' "$1" "${2:-$EPOCHREALTIME}" >> "$out/phases.tsv"; } # a phase starts (the last mark ends the previous one)
mark "start: services, builds, versions" "$script_started"

port=$("$root_dir/scripts/services.sh" free-port)
"$workload" serve --images-dir "$images_dir" --port "$port" --seed "$seed" > "$work/serve.log" 2>&1 &
server_pid=$!
cleanup_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
trap cleanup_server EXIT
sleep 1

"$root_dir/scripts/bench-versions.sh" "$binary" > "$out/versions.json"

# Every contender's database copies one built by Antenna's own migrations (all its tables and indexes).
template=""
[ "${BENCH_SCHEMA:-migrated}" = migrated ] && template="$("$root_dir/scripts/antenna-oracle.sh" template)"
setup() { # dir jobs images_per_job
  "$workload" setup --out "$1" --jobs "$2" --images-per-job "$3" --seed "$seed" --images-dir "$images_dir" \
    --image-base-url "http://127.0.0.1:$port/" ${template:+--template-db "$template"} > "$1/setup.log"
}

# ---------------------------------------------------------------- contenders

is_ingest() { [[ $1 == antenna-ingest* ]]; }

# A backlog the contender needs at least a minute for: the binary gets ≥ 10,000 results (10 jobs
# of Antenna's maximum of 1,000 reserved tasks each); each Antenna worker gets 80 s of results at
# the mean rate measured so far for the same contender at the same delay (a repetition ran up to
# 25 % faster than the mean before it: results/20261203T153439Z, sized for 70 s, had gevent-100
# drain in 56 s and prefork-16 in 59.5 s, both third repetitions at +0 ms). A variant uses the
# rate of the main contender of its pool (gevent-200 or -cma0 that of gevent-100) at its delay;
# without a rate at that delay, the fastest one measured for it (a longer run, never a shorter one).
# Before any measurement: BENCH_CELERY_RESULTS (220) for prefork, BENCH_GEVENT_RESULTS (150) for
# gevent (results/20261203T122201Z: prefork-16 drained 240 in 75 s at +0 ms, gevent-100 160 in 74 s).
declare -A celery_rate=() # "contender@delay" -> mean results/s of its backlog runs so far
pool_of() { [[ $1 =~ ^antenna-(prefork|gevent)- ]] && echo "${BASH_REMATCH[1]}"; }
main_of_pool() { # name -> the main contender of its pool (itself if it is one)
  local c
  for c in "${contender_list[@]}"; do [ "$c" = "$1" ] && { echo "$1"; return; }; done
  for c in "${contender_list[@]}"; do [ "$(pool_of "$c")" = "$(pool_of "$1")" ] && { echo "$c"; return; }; done
  echo "$1"
}
backlog_size() { # name delay -> "jobs images_per_job"
  if $quick; then is_ingest "$1" && echo "1 200" || echo "1 40"; return; fi
  if is_ingest "$1"; then
    [[ $1 == *crops* ]] && echo "2 600" || echo "10 1000" # with crops ~17/s: 1,200 last over a minute
    return
  fi
  local main rate="" key results
  main=$(main_of_pool "$1")
  rate=${celery_rate["$main@$2"]:-}
  if [ -z "$rate" ]; then # no run at this delay yet: the fastest rate of any delay
    for key in "${!celery_rate[@]}"; do
      [ "${key%@*}" = "$main" ] && awk "BEGIN { exit !(${celery_rate[$key]} > ${rate:-0}) }" && rate=${celery_rate[$key]}
    done
  fi
  if [ -n "$rate" ]; then
    results=$(awk "BEGIN { n = int($rate * 80 / 4 + 1) * 4; print (n < 120 ? 120 : n) }")
  else
    [ "$(pool_of "$1")" = gevent ] && results=${BENCH_GEVENT_RESULTS:-150} || results=${BENCH_CELERY_RESULTS:-220}
  fi
  echo "4 $(( (results + 3) / 4 ))"
}

contender_command() { # name -> shell command
  local name=$1
  if is_ingest "$name"; then
    if [ ! -x "$binary" ]; then echo "echo 'antenna-ingest: no native binary at $binary (run scripts/publish.sh)'; exit 3"; return; fi
    local crops=false; [[ $name == *crops* ]] && crops=true
    echo "INGEST_CROPS=$crops INGEST_DB_CONNECTIONS=$pool_size INGEST_HTTP_PORT=0 MEDIA_ROOT='$work/media-\$\$' '$binary' run"
    return
  fi
  # Antenna's own worker: antenna-POOL-CONCURRENCY[-variant…]
  [[ $name =~ ^antenna-(prefork|gevent)-([0-9]+)((-[a-z0-9]+)*)$ ]] || { echo "echo 'unknown contender $name'; exit 2"; return; }
  local pool=${BASH_REMATCH[1]} concurrency=${BASH_REMATCH[2]} variants=${BASH_REMATCH[3]} env="" v
  for v in ${variants//-/ }; do
    case "$v" in
      psycopg2|psycopg3) env+="ANTENNA_DRIVER=$v " ;;
      crops) env+="BASELINE_CROPS=true " ;;
      cma[0-9]*) env+="ANTENNA_CONN_MAX_AGE=${v#cma} " ;;
      asproposed) env+="ANTENNA_GEVENT_ASYNCIO=as-proposed " ;;
      pool[0-9]*) ;; # see with_pgbouncer
      *) echo "echo 'unknown variant $v of $name'; exit 2"; return ;;
    esac
  done
  echo "${env}MEDIA_ROOT='$work/media-\$\$' '$root_dir/bench/antenna_worker/run_worker.sh' $pool $concurrency"
}

# Runs a command against a pgbouncer of its own (the shared one's settings, another pool size).
with_pgbouncer() { # pool size, command…
  local size=$1; shift
  local private=(INGEST_SERVICES_DIR="$work/pgbouncer-$size" INGEST_PGBOUNCER_PORT=$("$root_dir/scripts/services.sh" free-port) INGEST_PGBOUNCER_POOL_SIZE="$size")
  env "${private[@]}" "$root_dir/scripts/services.sh" start pgbouncer >&2
  ( eval "$(env "${private[@]}" "$root_dir/scripts/services.sh" env)"; "$@" ) || true
  env "${private[@]}" "$root_dir/scripts/services.sh" stop pgbouncer >&2
}

run_measure() { # dir run name queue first_ack rate delay [extra]
  local dir=$1 run=$2 name=$3 queue=$4 first_ack=$5 rate=$6 delay=$7; shift 7
  local started=$EPOCHREALTIME
  setup "$dir" "$jobs" "$images"
  since "$started" > "$dir/setup-seconds"
  "$workload" measure --manifest "$dir/manifest.json" --out "$run" --contender "$name" --seed "$seed" \
    --queue "$queue" --command "$(contender_command "$name")" --timeout 900 --stall-timeout 60 \
    --first-ack-timeout "$first_ack" --rate "$rate" --delay-ms "$delay" --body-cache "$work/bodies" "$@" 2>&1 | tail -1 >&2 || true
}

sequence=0
measure() { # name delay repetition [rate load]
  local name=$1 delay=$2 rep=$3 rate=${4:-0} load=${5:-}
  sequence=$((sequence + 1))
  local mode=backlog; [ "$rate" != 0 ] && mode=paced
  local tag; tag="$(printf '%03d' "$sequence")-$name-d$delay-r$rep${load:+-paced}"
  local run="$out/runs/$tag" dir="$work/$tag" queue="bench_${stamp}_${sequence}"
  mkdir -p "$run" "$dir"
  read -r jobs images <<< "$(backlog_size "$name" "$delay")"
  local limit=0
  if [ "$mode" = paced ]; then # about 30 s of results at the offered rate, at least 40
    limit=$(awk "BEGIN { n = int($rate * 30); print (n < 40 ? 40 : n) }")
    jobs=$(( (limit + 999) / 1000 )); images=$(( (limit + jobs - 1) / jobs ))
  fi
  printf '{"contender":"%s","delay_ms":%s,"repetition":%s,"sequence":%s,"mode":"%s","offered_rate":%s,"load":"%s","jobs":%s,"images_per_job":%s,"started_at":"%s"}\n' \
    "$name" "$delay" "$rep" "$sequence" "$mode" "$rate" "$load" "$jobs" "$images" "$(date -u +%FT%TZ)" > "$run/run.json"
  log "#$sequence $name, +$delay ms, repetition $rep, $mode${load:+ at $load ($rate/s)}: setup ($jobs × $images)"
  local first_ack=120 extra=""
  is_ingest "$name" && first_ack=45
  [[ $name == *crops* ]] && extra="--wait-crops"
  local timed=(run_measure "$dir" "$run" "$name" "$queue" "$first_ack" "$rate" "$delay" $extra)
  if [[ $name =~ -pool([0-9]+) ]]; then with_pgbouncer "${BASH_REMATCH[1]}" "${timed[@]}"; else "${timed[@]}"; fi
  local cleaning=$EPOCHREALTIME
  $keep || "$workload" cleanup --manifest "$dir/manifest.json" --queues "$queue,${queue}_crops_sink" >/dev/null 2>&1 || true
  printf '{"setup_s":%s,"cleanup_s":%s}\n' "$(cat "$dir/setup-seconds" 2>/dev/null || echo 0)" "$(since "$cleaning")" > "$run/harness.json"
  if [ "$mode" = backlog ] && ! is_ingest "$name" && ! $quick && [ "$(main_of_pool "$name")" = "$name" ]; then
    local measured; measured=$(runs_rate "$name" "$delay")
    awk "BEGIN { exit !($measured > 0) }" && celery_rate["$name@$delay"]=$measured
  fi
}

runs_rate() { # name delay -> mean results/s (contender start → last ack) of its ok backlog runs so far, from the runs' own files
  python3 - "$out/runs" "$1" "$2" <<'EOF'
import glob, json, os, sys
runs, name, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
rates = []
for run_file in glob.glob(os.path.join(runs, "*", "run.json")):
    run = json.load(open(run_file))
    result_file = os.path.join(os.path.dirname(run_file), name + ".json")
    if run["contender"] != name or float(run["delay_ms"]) != delay or run["mode"] != "backlog" or not os.path.exists(result_file):
        continue
    result = json.load(open(result_file))
    if result.get("status") == "ok" and result.get("results_per_minute_from_start"):
        rates.append(result["results_per_minute_from_start"] / 60)
print(f"{sum(rates) / len(rates):.3f}" if rates else 0)
EOF
}


# ---------------------------------------------------------------- the matrix

mark "main matrix"
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
done

mark "variants"
IFS=, read -r -a variant_list <<< "$variants"
for variant in "${variant_list[@]}"; do
  [ -n "$variant" ] || continue
  for rep in $(seq 1 "$variant_repetitions"); do measure "$variant" "$variant_delay" "$rep"; done
done

# Latency at the same offered loads for every contender: shares of prefork-16's maximum.
mark "paced latency runs"
if [ "$paced_delay" != none ]; then
  maximum=$(runs_rate antenna-prefork-16 "$paced_delay")
  if awk "BEGIN { exit !($maximum > 0) }"; then
    for share in ${paced_loads//,/ }; do
      rate=$(awk "BEGIN { printf \"%.2f\", $maximum * $share / 100 }")
      for c in "${contender_list[@]}"; do measure "$c" "$paced_delay" 1 "$rate" "$share % of prefork-16's maximum"; done
    done
  else
    log "latency runs skipped: no prefork-16 rate at +$paced_delay ms"
  fi
fi

mark "COPY ceiling"
if $copy; then
  log "COPY ceiling: the binary's backlog written by binary COPY on 1, 2 and 4 parallel streams (2 saturate this 2-core host; 8 measured no more than 4)"
  read -r jobs images <<< "$(backlog_size antenna-ingest 0)"
  mkdir -p "$work/copy"
  setup "$work/copy" "$jobs" "$images"
  "$workload" copy --manifest "$work/copy/manifest.json" --out "$out" --seed "$seed" --streams 1,2,4 >&2
  $keep || "$workload" cleanup --manifest "$work/copy/manifest.json" --queues none >/dev/null 2>&1 || true
fi

$keep || rm -rf "$work/bodies" # the results' JSON, compressed once for every repetition (about 3 GB)

# Large per-result files are kept compressed; summarize reads them either way.
mark "compressing run files"
find "$out/runs" -type f \( -name '*-acks.tsv' -o -name '*.log' \) -size +256k -exec gzip -9 {} +
mark "summary" # the last mark: summarize's own few seconds are not counted
"$workload" summarize --dir "$out" --title "Benchmark v2 ($repetitions repetition(s), seed $seed$($quick && echo ', quick'))"
$quick || ln -sfn "$stamp" "$root_dir/results/latest" # smoke runs leave the published results alone
log "results in $out"
