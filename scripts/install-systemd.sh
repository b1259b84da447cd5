#!/usr/bin/env bash
# Installs antenna-ingest as a systemd service from a published build:
#   scripts/publish.sh && sudo scripts/install-systemd.sh [--no-start]
# Binary and libSkiaSharp.so to /opt/antenna-ingest, the unit to /etc/systemd/system, an
# environment file template to /etc/antenna-ingest (kept if it exists). Starts the service unless
# --no-start, or when systemd is not running (containers, chroots).
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
publish="${INGEST_PUBLISH_DIR:-$root_dir/artifacts/publish}"
prefix="${INGEST_PREFIX:-/opt/antenna-ingest}"
etc="${INGEST_ETC:-/etc/antenna-ingest}"
units="${INGEST_UNIT_DIR:-/etc/systemd/system}"
start=1
[ "${1:-}" = "--no-start" ] && start=0

[ -x "$publish/antenna-ingest" ] || { echo "install: $publish/antenna-ingest missing; run scripts/publish.sh" >&2; exit 1; }
install -d -m 0755 "$prefix" "$prefix/docs" "$units"
install -m 0755 "$publish/antenna-ingest" "$prefix/antenna-ingest"
[ -f "$publish/libSkiaSharp.so" ] && install -m 0644 "$publish/libSkiaSharp.so" "$prefix/libSkiaSharp.so"
install -m 0644 "$root_dir/docs/operations.md" "$prefix/docs/operations.md" 2>/dev/null || true
sed "s#/opt/antenna-ingest#$prefix#g; s#/etc/antenna-ingest#$etc#g" "$root_dir/deploy/systemd/antenna-ingest.service" > "$units/antenna-ingest.service"
chmod 0644 "$units/antenna-ingest.service"
install -d -m 0750 "$etc"
if [ ! -f "$etc/antenna-ingest.env" ]; then
  install -m 0600 "$root_dir/deploy/systemd/antenna-ingest.env.example" "$etc/antenna-ingest.env"
  echo "install: wrote $etc/antenna-ingest.env — edit it before starting"
  start=0
fi

if [ -d /run/systemd/system ] && [ "${INGEST_NO_SYSTEMCTL:-0}" != 1 ]; then
  systemctl daemon-reload
  systemctl enable antenna-ingest.service
  [ $start = 1 ] && systemctl restart antenna-ingest.service && systemctl --no-pager status antenna-ingest.service | head -5
else
  echo "install: systemd is not running here; unit installed at $units/antenna-ingest.service"
fi
