#!/usr/bin/env bash
# Prints, as JSON, the versions a benchmark run depends on: Antenna's commit and the Python
# packages its worker imports (as the worker imports them), the services, and the binary.
#   scripts/bench-versions.sh [BINARY]
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${1:-$root_dir/artifacts/publish/antenna-ingest}"
eval "$("$root_dir/scripts/antenna-oracle.sh" env)"

first_line() { "$@" 2>&1 | head -1 || echo unknown; }

packages_script='
import json, platform
import django, celery, kombu, pydantic, psycopg2, gevent, psycogreen, redis
print(json.dumps({
    "python": platform.python_version(), "django": django.get_version(), "celery": celery.__version__,
    "kombu": kombu.__version__, "pydantic": pydantic.VERSION, "psycopg2": psycopg2.__version__.split()[0],
    "psycopg3": "3.1.9 (pure Python, the version Antenna pins; psycopg3 variants only)", "gevent": gevent.__version__,
    "psycogreen": getattr(psycogreen, "__version__", "installed"), "redis-py": redis.__version__,
}))'
python_versions=$(cd "$ANTENNA_SOURCE_DIR" && PYTHONPATH="$ANTENNA_PYTHONPATH" DJANGO_SETTINGS_MODULE=antenna_settings /usr/bin/python3 -c "$packages_script" 2>/dev/null) || python_versions='{}'

export V_BINARY="$(first_line "$binary" --version)" V_POSTGRES="$(first_line psql --version)" \
  V_PGBOUNCER="$(first_line pgbouncer --version)" V_REDIS="$(first_line redis-server --version)" \
  V_NATS="$(first_line nats-server --version)" V_RABBITMQ="$(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo unknown)"
/usr/bin/python3 - "$python_versions" <<'PY'
import json, os, sys
versions = {
    "antenna_commit": os.environ["ANTENNA_COMMIT"],
    **json.loads(sys.argv[1]),
    "antenna_ingest": os.environ["V_BINARY"],
    "postgresql": os.environ["V_POSTGRES"],
    "pgbouncer": os.environ["V_PGBOUNCER"],
    "redis": os.environ["V_REDIS"],
    "nats_server": os.environ["V_NATS"],
    "rabbitmq": os.environ["V_RABBITMQ"],
    "network_delay": "user-space delaying TCP proxy on loopback, one per service (this kernel has no netem)",
}
print(json.dumps(versions, indent=2))
PY
