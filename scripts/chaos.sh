#!/usr/bin/env bash
# Fault-injection suite (bounded, loopback only): runs antenna-ingest's native binary through
# kill -9 at five code points, restarts of PostgreSQL, pgbouncer, Redis, NATS and RabbitMQ,
# an exhausted pgbouncer pool, a long lock on the job row, a Redis FLUSHDB, poison messages,
# SIGTERM under load, a stall, a memory bound, and three instances killed or replaced in turn,
# then checks that nothing was lost, duplicated or left stuck. Prints the table and writes
# results/chaos-<stamp>/chaos.{md,json}.
#   scripts/chaos.sh            full run (100 kills; about 15 minutes on 2 cores)
#   scripts/chaos.sh --quick    CI subset (about 3 minutes)
#   scripts/chaos.sh --scenarios kill9-after_commit,poison
#   scripts/chaos.sh --soak MINUTES   the soak alone (never in a suite): one instance at 50 % of its
#                                     measured maximum for MINUTES (the issue's run: 60), judged per
#                                     minute; writes results/soak-<stamp>/soak.{md,json}, samples.jsonl
# The services it restarts are the local ones of scripts/services.sh; it uses Redis database 7 so
# its FLUSHDB touches nothing else (the soak: 9, and 8 for the binary's task results).
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root_dir"
scripts/services.sh up
eval "$(scripts/services.sh env)"
kind=chaos
for arg in "$@"; do case $arg in --soak|--soak=*) kind=soak ;; esac; done
# The soak counts every key of its Redis databases: job state in 9 (results in 8), apart from the suite's 7.
if [ $kind = soak ]; then export REDIS_URL="${REDIS_URL%/*}/9"; else export REDIS_URL="${REDIS_URL%/*}/7"; fi

binary="${INGEST_BINARY:-$root_dir/artifacts/publish/antenna-ingest}"
[ -x "$binary" ] || scripts/publish.sh
dotnet build tests/AntennaIngest.Workload/AntennaIngest.Workload.csproj -c Release -nologo -v quiet >/dev/null
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root_dir/results/$kind-$stamp"
status=0
tests/AntennaIngest.Workload/bin/Release/net10.0/antenna-workload chaos --binary "$binary" --out "$out" --root "$root_dir" "$@" || status=$?
ln -sfn "$kind-$stamp" "$root_dir/results/$kind-latest"
exit $status
