#!/usr/bin/env bash
# Differential suite: Antenna's own process_nats_pipeline_result (in-process, on one copy of an
# Antenna database built with Antenna's migrations and ORM) against the published native binary
# (real Celery messages, on an identical copy), compared after every step. Fails on any
# difference that docs/compatibility.md does not list.
#
#   scripts/differential.sh                 2 seeds (the CI size)
#   scripts/differential.sh --seeds 20      a longer run
#   scripts/differential.sh --seed 7        replay one seed (printed on failure)
#   options: --steps M --binary PATH --report FILE --keep --stop-after STEP
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root_dir"
"$root_dir/scripts/services.sh" up
eval "$("$root_dir/scripts/services.sh" env)"
"$root_dir/scripts/antenna-oracle.sh" setup
eval "$("$root_dir/scripts/antenna-oracle.sh" env)"
export ROOT_DIR="$root_dir"
export PYTHONPATH="$ANTENNA_PYTHONPATH:$root_dir/tests/differential"
exec /usr/bin/python3 -m diffsuite.cli "$@"
