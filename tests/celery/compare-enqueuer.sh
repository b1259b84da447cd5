#!/usr/bin/env bash
# Checks that the workload publishes results exactly as Antenna's result view does: sets up a small
# workload, enqueues it (Celery message + the ADC worker's post of the same result), has Antenna's
# own code publish each posted result as its view does, and compares the two messages
# (tests/celery/compare_enqueuer.py). Needs Antenna's kit (scripts/antenna-oracle.sh available).
#   tests/celery/compare-enqueuer.sh [--jobs 2] [--images-per-job 15] [--seed 3]
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jobs=2; images=15; seed=3
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs="$2"; shift ;;
    --images-per-job) images="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    *) echo "compare-enqueuer: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

"$root_dir/scripts/services.sh" up
eval "$("$root_dir/scripts/services.sh" env)"
"$root_dir/scripts/antenna-oracle.sh" setup
eval "$("$root_dir/scripts/antenna-oracle.sh" env)"
dotnet build "$root_dir/tests/AntennaIngest.Workload/AntennaIngest.Workload.csproj" -c Release -nologo -v quiet >/dev/null
workload="$root_dir/tests/AntennaIngest.Workload/bin/Release/net10.0/antenna-workload"

work="$(mktemp -d)"
name="compare_$$_$RANDOM"
cleanup() {
  "$workload" cleanup --manifest "$work/manifest.json" --queues "${name}_workload,${name}_antenna" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$workload" setup --out "$work" --jobs "$jobs" --images-per-job "$images" --seed "$seed" \
  --images-dir "$root_dir/results/tmp/images" --image-base-url "http://127.0.0.1:9/" > "$work/setup.log"
"$workload" enqueue --manifest "$work/manifest.json" --out "$work" --seed "$seed" --target both \
  --queue "${name}_workload" --results-stream "$name" --results-subject-prefix "$name.results" \
  --body-cache "$work/bodies" # the benchmark's way: result JSON compressed apart from the kwargs around it

status=0
( cd "$ANTENNA_SOURCE_DIR" && env PYTHONPATH="$root_dir/bench/antenna_worker:$ANTENNA_PYTHONPATH" \
    DJANGO_SETTINGS_MODULE=antenna_bench_settings BENCH_QUEUE="${name}_antenna" \
    /usr/bin/python3 "$root_dir/tests/celery/compare_enqueuer.py" \
    --workload-queue "${name}_workload" --stream "$name" --count $((jobs * images)) ) || status=$?
# The results stream is not a job's: the workload's cleanup leaves it.
/usr/bin/python3 - "$name" <<'EOF' || true
import asyncio, os, sys
sys.path.insert(0, os.environ["ANTENNA_ORACLE_DIR"] + "/deps")
import nats
async def drop():
    nc = await nats.connect(os.environ["NATS_URL"])
    await nc.jetstream().delete_stream(sys.argv[1])
    await nc.close()
asyncio.run(drop())
EOF
exit $status
