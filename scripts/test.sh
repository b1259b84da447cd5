#!/usr/bin/env bash
# The one test command (README, .ci/run): install Antenna's packages for the oracle, restore and
# build, start the local services, run the unit and integration tests, publish the native binary
# with Native AOT, check the packaging (container files, systemd unit), run the end-to-end tests
# and the differential suite (Antenna's own task) against that binary, run the fast subset of the
# fault-injection suite and the benchmark's smoke size, then stop the services. Works on a fresh
# Debian machine with the .NET SDK.
#   scripts/test.sh            everything
#   INGEST_KEEP_SERVICES=1     leave the services running afterwards
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root_dir"
started=$SECONDS

step() { printf '\n==> %s (%ds)\n' "$*" $((SECONDS - started)); }

# Every apt-get install before any server starts (an install can upgrade PostgreSQL under a
# running server): Antenna's Python packages for the differential suite come first.
step "Antenna as the test oracle: its Debian packages, source and pinned libraries"
oracle=false
if scripts/antenna-oracle.sh available; then
  scripts/antenna-oracle.sh setup
  oracle=true
else
  echo "test: Antenna's kit (../shared/antenna or ANTENNA_SHARED_DIR) is not on this machine: the differential suite will be SKIPPED" >&2
fi

step "services"
scripts/services.sh up
if [ "${INGEST_KEEP_SERVICES:-0}" != 1 ]; then
  trap 'scripts/services.sh down' EXIT
fi
eval "$(scripts/services.sh env)"

step "build"
dotnet build antenna-ingest-aot.sln -c Release -nologo -v quiet

run_tests() { # project, extra args...
  local project=$1; shift
  # A test that hangs fails the run after 5 minutes and names itself (blame), instead of using up CI.
  dotnet test "tests/$project" -c Release --no-build -nologo --logger "console;verbosity=minimal" --blame-hang-timeout 5m "$@"
}

step "unit tests"
run_tests AntennaIngest.UnitTests

step "integration tests (real PostgreSQL, pgbouncer, Redis, NATS, RabbitMQ)"
run_tests AntennaIngest.IntegrationTests

step "native AOT publish"
scripts/publish.sh "$root_dir/artifacts/publish"
export INGEST_BINARY="$root_dir/artifacts/publish/antenna-ingest"

step "packaging: Dockerfile.aot contents and libraries, systemd unit"
scripts/check-image.sh "$root_dir/artifacts/publish"
scripts/check-systemd.sh "$root_dir/artifacts/publish"

step "end-to-end tests against the native binary"
run_tests AntennaIngest.EndToEndTests

step "differential suite: Antenna's own task against the native binary, compared after every step"
if $oracle; then
  scripts/differential.sh --seeds "${INGEST_DIFFERENTIAL_SEEDS:-2}" --steps "${INGEST_DIFFERENTIAL_STEPS:-16}" \
    --binary "$INGEST_BINARY" --report "$root_dir/artifacts/differential-report.json"
else
  echo "test: differential suite SKIPPED: Antenna's kit is not on this machine" >&2
fi

step "fault injection, fast subset (fails on anything lost, duplicated or stuck)"
scripts/chaos.sh --quick

step "benchmark smoke run (prints numbers, asserts nothing)"
scripts/bench.sh --quick

step "all tests passed in $((SECONDS - started)) s$($oracle || echo ' (differential suite SKIPPED: no Antenna kit)')"
