#!/usr/bin/env bash
# Checks Dockerfile.aot without a Docker engine (none runs on our machines):
#  1. every file the Dockerfile COPYs exists (build-stage sources in the repository, runtime-stage
#     files in the publish folder produced by scripts/publish.sh);
#  2. the base images are the ones whose contents are listed below (and, when a snapshot of
#     dotnet/dotnet-docker is at $INGEST_DOTNET_DOCKER_REPO, that they exist for amd64 there);
#  3. every shared library the published files need (readelf NEEDED) is in the runtime base
#     image, and no glibc symbol version is newer than the base image's glibc;
#  4. the runtime stage runs as non-root, has an exec-form HEALTHCHECK and needs no shell.
#   scripts/check-image.sh [publish-dir]
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
publish="${1:-$root_dir/artifacts/publish}"
dockerfile="$root_dir/Dockerfile.aot"
failures=0
if ! command -v readelf >/dev/null || ! command -v objdump >/dev/null; then
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils >/dev/null
fi
fail() { echo "check-image: FAIL $*"; failures=$((failures + 1)); }
ok() { echo "check-image: ok   $*"; }

build_image="mcr.microsoft.com/dotnet/sdk:10.0-noble"
runtime_image="mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled"
# Contents of runtime-deps:10.0-noble-chiseled (chisel slices of Ubuntu 24.04, as its Dockerfile
# in dotnet/dotnet-docker lists them: base-files, ca-certificates, libc6_libs, libgcc-s1_libs,
# libssl3t64_libs, libstdc++6_libs) by the sonames they provide.
base_sonames="ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2 libutil.so.1
libgcc_s.so.1 libstdc++.so.6 libssl.so.3 libcrypto.so.3"
base_glibc="2.39" # Ubuntu 24.04

# 1. COPY sources
grep -q "^FROM $build_image AS build" "$dockerfile" && grep -q "^FROM $runtime_image AS runtime" "$dockerfile" \
  && ok "base images $build_image, $runtime_image" || fail "Dockerfile.aot does not use $build_image / $runtime_image"
while read -r source; do
  for file in $source; do
    [ -e "$root_dir/$file" ] && ok "build COPY $file" || fail "build COPY $file does not exist"
  done
done < <(awk '/^FROM .* AS build/{b=1} /^FROM .* AS runtime/{b=0} b && /^COPY / && !/--from=/ { $1=""; $NF=""; print }' "$dockerfile")
runtime_files=$(awk '/^FROM .* AS runtime/{r=1} r && /^COPY --from=build/ { for (i=3; i<NF; i++) print $i }' "$dockerfile")
for file in $runtime_files; do
  local_file="$publish/${file#/out/}"
  [ -f "$local_file" ] && ok "runtime COPY $file ($(du -h "$local_file" | cut -f1))" || fail "runtime COPY $file: $local_file missing (run scripts/publish.sh)"
done

# 2. base images in a dotnet-docker snapshot, when one is available
repo="${INGEST_DOTNET_DOCKER_REPO:-/work/.mirror/dotnet+dotnet-docker/repo}"
if [ -d "$repo" ]; then
  manifest=$(git -C "$repo" show HEAD:manifest.json 2>/dev/null || true)
  for dockerfile_path in src/runtime-deps/10.0/noble-chiseled/amd64 src/sdk/10.0/noble/amd64; do
    grep -q "\"$dockerfile_path\"" <<<"$manifest" && ok "dotnet-docker ($(git -C "$repo" log -1 --format=%h)) publishes $dockerfile_path" \
      || fail "dotnet-docker manifest has no $dockerfile_path"
  done
  slices=$(git -C "$repo" show HEAD:src/runtime-deps/10.0/noble-chiseled/amd64/Dockerfile | grep -oE '[a-z0-9.+-]+_(libs|data|base|chisel|release-info)' | sort -u | tr '\n' ' ')
  [ "$slices" = "base-files_base base-files_chisel base-files_release-info ca-certificates_data libc6_libs libgcc-s1_libs libssl3t64_libs libstdc++6_libs " ] \
    && ok "runtime-deps slices: $slices" || fail "runtime-deps slices changed: $slices (update base_sonames)"
else
  echo "check-image: skip base-image existence (no dotnet/dotnet-docker snapshot; registries unreachable offline)"
fi

# 3. shared libraries and glibc versions
for file in $runtime_files; do
  local_file="$publish/${file#/out/}"
  [ -f "$local_file" ] || continue
  for needed in $(readelf -d "$local_file" | awk '/NEEDED/ { gsub(/[\[\]]/, "", $5); print $5 }'); do
    grep -qw -- "$needed" <<<"$base_sonames" && ok "$(basename "$local_file") needs $needed: in base" || fail "$(basename "$local_file") needs $needed, which $runtime_image lacks"
  done
  newest=$(objdump -T "$local_file" | grep -oE 'GLIBC_[0-9]+\.[0-9]+' | sed 's/GLIBC_//' | sort -V | tail -n1)
  if [ -n "$newest" ] && [ "$(printf '%s\n%s\n' "$newest" "$base_glibc" | sort -V | tail -n1)" = "$base_glibc" ]; then
    ok "$(basename "$local_file") needs glibc ≤ $newest (base has $base_glibc)"
  else
    fail "$(basename "$local_file") needs glibc $newest > $base_glibc"
  fi
done

# 4. runtime stage hygiene
runtime_stage=$(awk '/^FROM .* AS runtime/{r=1} r' "$dockerfile")
grep -qE '^USER (app|1654)$' <<<"$runtime_stage" && ok "runs as non-root user app" || fail "runtime stage does not switch to a non-root USER"
grep -qE '^\s*CMD \["/app/antenna-ingest", "healthcheck"\]' <<<"$runtime_stage" && ok "HEALTHCHECK is exec-form (no shell needed)" || fail "HEALTHCHECK is not exec-form"
grep -qE '^RUN ' <<<"$runtime_stage" && fail "runtime stage has RUN (needs a shell)" || ok "runtime stage has no RUN"
grep -qE '^ENTRYPOINT \[' <<<"$runtime_stage" && ok "ENTRYPOINT is exec-form" || fail "ENTRYPOINT is not exec-form"

size=0
for file in $runtime_files; do
  [ -f "$publish/${file#/out/}" ] && size=$((size + $(stat -c %s "$publish/${file#/out/}")))
done
echo "check-image: files added to the base image: $(awk "BEGIN { printf \"%.1f\", $size / 1048576 }") MiB"
[ $failures -eq 0 ] && echo "check-image: all checks passed" || { echo "check-image: $failures check(s) failed"; exit 1; }
