#!/usr/bin/env bash
# AOT-publishes antenna-ingest for linux-x64 into artifacts/publish. Fails on any trim or AOT
# warning (IL2xxx/IL3xxx) and when the binary outgrows its size budget; prints the size.
#   scripts/publish.sh [output-dir]
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root_dir/artifacts/publish}"
# Budget for the native executable alone (libSkiaSharp.so ships beside it). Measured ~22 MiB
# with every dependency; the budget leaves room to grow without letting size creep unnoticed.
max_binary_mib="${INGEST_MAX_BINARY_MIB:-40}"

# Native AOT links with clang and needs zlib headers.
missing=()
command -v clang >/dev/null || missing+=(clang)
dpkg-query -W -f='${Status}' zlib1g-dev 2>/dev/null | grep -q "install ok installed" || missing+=(zlib1g-dev)
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
start=$SECONDS
if ! dotnet publish "$root_dir/src/AntennaIngest/AntennaIngest.csproj" -c Release -r linux-x64 -o "$out" -nologo > "$log" 2>&1; then
  cat "$log"
  echo "publish: dotnet publish failed" >&2
  exit 1
fi
if grep -E "warning IL[23][0-9]{3}|error IL[23][0-9]{3}" "$log" >&2; then
  echo "publish: trim/AOT warnings above; the binary must publish clean" >&2
  exit 1
fi

binary="$out/antenna-ingest"
size=$(stat -c %s "$binary")
size_mib=$(awk "BEGIN { printf \"%.1f\", $size / 1048576 }")
echo "publish: $binary ${size_mib} MiB (budget ${max_binary_mib} MiB), 0 trim/AOT warnings, $((SECONDS - start)) s"
for extra in "$out"/*.so; do
  [ -e "$extra" ] && echo "publish: $(basename "$extra") $(awk "BEGIN { printf \"%.1f\", $(stat -c %s "$extra") / 1048576 }") MiB"
done
if [ "$size" -gt $((max_binary_mib * 1048576)) ]; then
  echo "publish: binary exceeds the ${max_binary_mib} MiB budget" >&2
  exit 1
fi
