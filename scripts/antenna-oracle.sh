#!/usr/bin/env bash
# Antenna itself as a test oracle and benchmark contender: installs the Debian packages its ingest
# path imports, extracts Antenna's source (731cc2a2) and the pure-Python libraries it pins from
# ../shared/antenna into the git-ignored .local/antenna-oracle, and prints the environment that
# runs Antenna's own code with /usr/bin/python3. Nothing of Antenna is copied into the project:
# it stays a read-only input beside it (AGPL-3.0).
#
#   scripts/antenna-oracle.sh setup     install and extract (idempotent)
#   scripts/antenna-oracle.sh env       print the exports (PYTHONPATH, DJANGO_SETTINGS_MODULE, ...)
#   scripts/antenna-oracle.sh migrate <database-url>   run Antenna's own migrations on a database
#   scripts/antenna-oracle.sh template [server-url]     print the name of an empty database built by
#                                      Antenna's migrations (made once per commit; copy it with CREATE DATABASE … TEMPLATE)
#   scripts/antenna-oracle.sh commit    print Antenna's commit (for reports)
#   scripts/antenna-oracle.sh available exit 0 when Antenna's kit is found
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The kit beside the checkout (../shared/antenna), or where ANTENNA_SHARED_DIR points.
shared="${ANTENNA_SHARED_DIR:-$root_dir/../shared/antenna}"
[ -d "$shared" ] || [ -n "${ANTENNA_SHARED_DIR:-}" ] || [ ! -d /work/shared/antenna ] || shared=/work/shared/antenna
state="$root_dir/.local/antenna-oracle"
kit="$shared/kit"
antenna_commit=731cc2a2

# The apt list of shared/antenna/README.md. python3-psycopg must stay absent: Debian's 3.1.7 is
# older than Django 4.2 accepts, and with it installed Django refuses to start.
packages=(python3-celery python3-psycopg2 python3-redis python3-pydantic python3-asgiref python3-sqlparse
  python3-numpy python3-pil python3-dateutil python3-slugify python3-rich python3-markdown
  python3-djangorestframework python3-django-filters python3-django-guardian python3-djoser
  python3-djangorestframework-spectacular python3-django-cors-headers python3-django-redis python3-requests
  python3-tqdm python3-boto3 python3-django-crispy-forms python3-django-anymail python3-argon2 python3-hiredis
  python3-django-celery-beat python3-whitenoise python3-django-storages python3-gevent python3-psycogreen)

log() { printf 'antenna-oracle: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${#missing[@]} Debian packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Extracts an archive once per checksum, so a changed shared/ input is picked up.
extract() { # archive, marker name
  local archive=$1 marker="$state/.$2.sha256" sum
  sum=$(sha256sum "$archive" | cut -d' ' -f1)
  if [ "$(cat "$marker" 2>/dev/null)" != "$sum" ]; then
    tar -xzf "$archive" -C "$state"
    echo "$sum" > "$marker"
  fi
}

setup() {
  [ -d "$shared" ] || { log "Antenna's reference kit not found at $shared (set ANTENNA_SHARED_DIR)"; exit 2; }
  install_packages
  mkdir -p "$state"
  extract "$shared/antenna-$antenna_commit.tar.gz" antenna
  extract "$shared/antenna-python-deps.tar.gz" deps
  extract "$shared/psycopg-3.1.9.tar.gz" psycopg
}

print_env() {
  cat <<EOF
export ANTENNA_ORACLE_DIR='$state'
export ANTENNA_SOURCE_DIR='$state/antenna'
export ANTENNA_KIT_DIR='$kit'
export ANTENNA_COMMIT='$antenna_commit'
export ANTENNA_PYTHONPATH='$kit:$kit/stubs:$state/antenna:$state/deps'
export ANTENNA_PSYCOPG3_DIR='$state/psycopg3'
EOF
}

# An empty database migrated by Antenna itself, made once per Antenna commit on the server of
# INGEST_DIRECT_DATABASE_URL (or the given URL): built under a temporary name and renamed when
# complete, so a run that is interrupted or a concurrent one never leaves a half-migrated template.
template() { # server url
  local server="${1:-${INGEST_DIRECT_DATABASE_URL:-postgres://antenna:antenna@127.0.0.1:55432/antenna}}"
  local name="antenna_migrated_$antenna_commit" building="antenna_migrating_${antenna_commit}_$$"
  local admin="${server%/*}/postgres"
  if [ "$(psql "$admin" -Atc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]; then
    log "building $name with Antenna's migrations"
    psql "$admin" -qc "CREATE DATABASE \"$building\""
    if ! "$0" migrate "${server%/*}/$building" > "$state/migrate-$building.log" 2>&1; then
      psql "$admin" -qc "DROP DATABASE IF EXISTS \"$building\" WITH (FORCE)"
      log "migrations failed (log: $state/migrate-$building.log)"; exit 1
    fi
    psql "$admin" -qc "ALTER DATABASE \"$building\" RENAME TO \"$name\"" 2>/dev/null \
      || psql "$admin" -qc "DROP DATABASE IF EXISTS \"$building\" WITH (FORCE)" # another run won the race
  fi
  echo "$name"
}

case "${1:-}" in
  setup) setup ;;
  available) [ -d "$shared" ] ;; # exit status only: is Antenna's kit here?
  env) print_env ;;
  commit) echo "$antenna_commit" ;;
  migrate)
    [ -n "${2:-}" ] || { log "usage: $0 migrate <database-url>"; exit 2; }
    setup
    eval "$(print_env)"
    (cd "$ANTENNA_SOURCE_DIR" && env PYTHONPATH="$ANTENNA_PYTHONPATH" DJANGO_SETTINGS_MODULE=antenna_settings \
      DATABASE_URL="$2" /usr/bin/python3 "$kit/migrate.py")
    ;;
  template) setup; template "${2:-}" ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
