#!/usr/bin/env bash
# Packaging check for the systemd form: installs the published build into a scratch root with
# scripts/install-systemd.sh (no start) and runs `systemd-analyze verify` on the installed unit,
# which checks its syntax, the hardening directives and that ExecStart's binary exists.
#   scripts/check-systemd.sh [publish-dir]
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
publish="${1:-$root_dir/artifacts/publish}"
if ! command -v systemd-analyze >/dev/null; then
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
INGEST_PUBLISH_DIR="$publish" INGEST_PREFIX="$scratch/opt/antenna-ingest" INGEST_ETC="$scratch/etc/antenna-ingest" \
  INGEST_UNIT_DIR="$scratch/units" INGEST_NO_SYSTEMCTL=1 "$root_dir/scripts/install-systemd.sh" --no-start >/dev/null
SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$scratch/units/antenna-ingest.service"
echo "check-systemd: unit verified (systemd $(systemd-analyze --version | awk 'NR==1 {print $2}'))"
