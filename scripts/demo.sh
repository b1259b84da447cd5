#!/usr/bin/env bash
# The main job on the embedded default: starts the local services (installing them if needed),
# publishes the native binary, builds an Antenna database with two async jobs (300 images served
# over loopback HTTP, Redis job state and JetStream task streams as Antenna creates them), queues
# the 300 results a GPU worker would post as real Celery messages, runs antenna-ingest until every
# result is acked, checks the outcome and prints a summary. Exit 0 only when every result was
# processed and acked and every invariant holds.
#   scripts/demo.sh [--jobs 2] [--images-per-job 150] [--seed 7] [--keep]
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root_dir"
jobs=2; images=150; seed=7; keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs="$2"; shift ;;
    --images-per-job) images="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --keep) keep=true ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
say() { printf '\n== %s\n' "$*"; }

say "local services (PostgreSQL 15, pgbouncer, Redis, NATS JetStream, RabbitMQ)"
scripts/services.sh up
eval "$(scripts/services.sh env)"

say "native binary (Native AOT)"
scripts/publish.sh
binary="$root_dir/artifacts/publish/antenna-ingest"

say "workload tool"
dotnet build tests/AntennaIngest.Workload/AntennaIngest.Workload.csproj -c Release -nologo -v quiet >/dev/null
workload="$root_dir/tests/AntennaIngest.Workload/bin/Release/net10.0/antenna-workload"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
work="$root_dir/results/tmp/demo-$stamp"
mkdir -p "$work"
port=$("$root_dir/scripts/services.sh" free-port)
"$workload" serve --images-dir "$root_dir/results/tmp/images" --port "$port" --seed "$seed" > "$work/serve.log" 2>&1 &
server=$!
queue="demo_ml_results_$stamp"
finish() {
  kill "$server" 2>/dev/null || true
  if ! $keep && [ -f "$work/manifest.json" ]; then
    "$workload" cleanup --manifest "$work/manifest.json" --queues "$queue" >/dev/null 2>&1 || true
  fi
}
trap finish EXIT
sleep 1

say "Antenna database, $jobs async job(s) × $images images, tasks reserved by a GPU worker"
"$workload" setup --out "$work" --jobs "$jobs" --images-per-job "$images" --seed "$seed" \
  --images-dir "$root_dir/results/tmp/images" --image-base-url "http://127.0.0.1:$port/"

say "antenna-ingest run (Celery queue $queue, crops on; runs until the last crop is stored)"
status=0
"$workload" measure --manifest "$work/manifest.json" --out "$work" --contender antenna-ingest --seed "$seed" \
  --queue "$queue" --timeout 600 --first-ack-timeout 60 --stall-timeout 60 --wait-crops \
  --command "INGEST_HTTP_PORT=0 INGEST_CROPS=true MEDIA_ROOT='$work/media' '$binary' run" || status=$?

say "invariants (rows, duplicates, job status, Redis, acks)"
cat "$work/antenna-ingest-verify.txt" 2>/dev/null || true

say "rows written per table"
db=$(sed -n 's/.*"direct_url": "\(.*\)".*/\1/p' "$work/manifest.json")
psql "$db" -X -q -P pager=off -c "
  SELECT 'main_detection' AS table, count(*) FILTER (WHERE bbox IS NOT NULL) AS rows, count(*) FILTER (WHERE bbox IS NULL) AS null_markers, count(path) AS with_crop FROM main_detection
  UNION ALL SELECT 'main_classification', count(*), NULL, NULL FROM main_classification
  UNION ALL SELECT 'main_occurrence', count(*), NULL, NULL FROM main_occurrence
  UNION ALL SELECT 'main_taxon', count(*), NULL, NULL FROM main_taxon
  UNION ALL SELECT 'jobs_joblog', count(*), NULL, NULL FROM jobs_joblog"
echo "crops made: $(find "$work/media" -name '*.jpg' 2>/dev/null | wc -l) files under $work/media"

say "jobs"
psql "$db" -X -q -A -t -P pager=off -c "SELECT 'job ' || id || ': ' || status || ', finished ' || coalesce(finished_at::text, '-') || E'\n' || jsonb_pretty(progress) FROM jobs_job ORDER BY id"

say "summary"
python3 - "$work/antenna-ingest.json" <<'EOF' || true
import json, sys
r = json.load(open(sys.argv[1]))
lat = r.get("latency_ms") or r.get("LatencyMs") or {}
def g(*names):
    for n in names:
        if n in r: return r[n]
    return None
print(f"status {g('status','Status')}: {g('acked','Acked')}/{g('results','Results')} results acked, "
      f"{(g('results_per_minute','ResultsPerMinute') or 0)/60:.1f} results/s, "
      f"latency p50 {lat.get('p50', lat.get('P50', 0)):.0f} ms, p95 {lat.get('p95', lat.get('P95', 0)):.0f} ms, "
      f"{g('round_trips_per_result','RoundTripsPerResult') or 0:.2f} DB round trips per result, "
      f"{g('verify_violations','VerifyViolations')} invariant violations")
EOF
exit "$status"
