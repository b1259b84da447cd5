#!/usr/bin/env bash
# Local dependencies for antenna-ingest: PostgreSQL 15, pgbouncer (transaction pooling),
# Redis, nats-server with JetStream and RabbitMQ (and s3rver, an S3-compatible store for the crop
# tests), all on loopback with their state under .local/services (git-ignored).
#
#   scripts/services.sh up        install missing Debian packages, start everything, wait until ready
#   scripts/services.sh down      stop everything started by `up`
#   scripts/services.sh env       print the exports antenna-ingest and the tests read
#   scripts/services.sh status    one line per service
#   scripts/services.sh restart <postgres|pgbouncer|redis|nats|rabbitmq|s3>   (used by fault tests)
#   scripts/services.sh stop|start <service>
#   scripts/services.sh free-port  a loopback TCP port the kernel has just handed out as free (a
#                                  random pick in 40000-60000 can be an open client port)
#
# Works as root (PostgreSQL and pgbouncer then run as the `postgres` system user) and as a
# normal user with sudo (only apt-get needs it). Idempotent: `up` twice starts nothing twice.
set -euo pipefail

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${INGEST_SERVICES_DIR:-$root_dir/.local/services}"

pg_port="${INGEST_PG_PORT:-55432}"
bouncer_port="${INGEST_PGBOUNCER_PORT:-56432}"
redis_port="${INGEST_REDIS_PORT:-56379}"
nats_port="${INGEST_NATS_PORT:-54222}"
nats_http_port="${INGEST_NATS_HTTP_PORT:-58222}"
rabbit_port="${INGEST_RABBITMQ_PORT:-55672}"
rabbit_dist_port="${INGEST_RABBITMQ_DIST_PORT:-55673}"
bouncer_pool_size="${INGEST_PGBOUNCER_POOL_SIZE:-20}"
s3_port="${INGEST_S3_PORT:-54568}"
redis_tls_port="${INGEST_REDIS_TLS_PORT:-56380}"
rabbit_tls_port="${INGEST_RABBITMQ_TLS_PORT:-55671}"
# A private pgbouncer (chaos tls) serves TLS to its clients and may admit one more user.
bouncer_tls="${INGEST_PGBOUNCER_TLS:-false}"
bouncer_extra_user="${INGEST_PGBOUNCER_EXTRA_USER:-}"
bouncer_extra_password="${INGEST_PGBOUNCER_EXTRA_PASSWORD:-}"
db_user=antenna
db_password=antenna
db_name=antenna

pg_bin=/usr/lib/postgresql/15/bin
packages=(postgresql-15 pgbouncer redis-server nats-server rabbitmq-server)

log() { printf 'services: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# PostgreSQL and pgbouncer refuse to run as root; everything else runs as the caller.
db_owner() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }
as_db_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  # The packages' own init scripts may try to start default instances; policy-rc.d stops that.
  as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  as_root rm -f /usr/sbin/policy-rc.d
}

wait_for() { # description, seconds, command...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then log "$what did not become ready in ${seconds}s"; return 1; fi
    sleep 0.2
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }

# ---------------------------------------------------------------- TLS
# A test CA of the project's own, a server certificate it signed for the name "localhost" only
# (so 127.0.0.1 is a host name the certificate does not name), and a second, unrelated CA: what
# chaos tls needs to show good, wrong-CA and wrong-name connections. Redis and RabbitMQ serve TLS
# on ports of their own next to their plain ones, so nothing else changes for other clients.
tls_dir="${INGEST_TLS_DIR:-$state/tls}"

tls_certs() {
  [ -f "$tls_dir/server.pem" ] && return 0
  command -v openssl >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl >/dev/null
  mkdir -p "$tls_dir"
  local ca
  for ca in ca other-ca; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=antenna-ingest test $ca" \
      -keyout "$tls_dir/$ca.key" -out "$tls_dir/$ca.pem" 2>/dev/null
  done
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls_dir/server.key" -out "$tls_dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$tls_dir/server.ext"
  openssl x509 -req -in "$tls_dir/server.csr" -CA "$tls_dir/ca.pem" -CAkey "$tls_dir/ca.key" -CAcreateserial \
    -days 3650 -extfile "$tls_dir/server.ext" -out "$tls_dir/server.pem" 2>/dev/null
  # A throwaway test key, readable by the users pgbouncer (postgres) and RabbitMQ (rabbitmq) run as.
  chmod 755 "$tls_dir"; chmod 644 "$tls_dir"/*.pem "$tls_dir/server.key"
}

# ---------------------------------------------------------------- PostgreSQL
pg_dir="$state/postgres"
pg_data="$pg_dir/data"

postgres_start() {
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    mkdir -p "$pg_dir"
    chown "$(db_owner)" "$pg_dir"
    local pwfile="$pg_dir/pwfile"
    echo "$db_password" > "$pwfile"
    chown "$(db_owner)" "$pwfile"
    as_db_owner "$pg_bin/initdb" -D "$pg_data" -U "$db_user" --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >> "$pg_data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg_dir'
max_connections = 300
shared_buffers = 256MB
logging_collector = off
timezone = 'UTC'
EOF
  fi
  if ! as_db_owner "$pg_bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; then
    as_db_owner "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_dir/postgres.log" -w -t 60 start >/dev/null
  fi
  wait_for postgres 60 "$pg_bin/pg_isready" -h 127.0.0.1 -p "$pg_port"
  if ! PGPASSWORD=$db_password psql -h 127.0.0.1 -p "$pg_port" -U "$db_user" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$db_name'" | grep -q 1; then
    PGPASSWORD=$db_password psql -h 127.0.0.1 -p "$pg_port" -U "$db_user" -d postgres -qc "CREATE DATABASE $db_name" >/dev/null
  fi
}

postgres_stop() {
  [ -f "$pg_data/PG_VERSION" ] || return 0
  as_db_owner "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------- pgbouncer
bouncer_dir="$state/pgbouncer"

pgbouncer_start() {
  mkdir -p "$bouncer_dir"
  cat > "$bouncer_dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$pg_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $bouncer_dir/userlist.txt
admin_users = $db_user
stats_users = $db_user
pool_mode = transaction
default_pool_size = $bouncer_pool_size
max_client_conn = 2000
max_db_connections = 0
server_reset_query =
ignore_startup_parameters = extra_float_digits
$(if [ "$bouncer_tls" = true ]; then printf 'client_tls_sslmode = require\nclient_tls_cert_file = %s\nclient_tls_key_file = %s\n' "$tls_dir/server.pem" "$tls_dir/server.key"; fi)
# After a failed server login pgbouncer waits this long before the next (default 15 s): a
# PostgreSQL restart would keep every client waiting that long after the server is back.
server_login_retry = 1
logfile = $bouncer_dir/pgbouncer.log
pidfile = $bouncer_dir/pgbouncer.pid
EOF
  printf '"%s" "%s"\n' "$db_user" "$db_password" > "$bouncer_dir/userlist.txt"
  [ -z "$bouncer_extra_user" ] || printf '"%s" "%s"\n' "$bouncer_extra_user" "$bouncer_extra_password" >> "$bouncer_dir/userlist.txt"
  [ "$bouncer_tls" != true ] || tls_certs
  chown -R "$(db_owner)" "$bouncer_dir"
  if ! pid_alive "$bouncer_dir/pgbouncer.pid"; then
    as_db_owner pgbouncer -d "$bouncer_dir/pgbouncer.ini" >/dev/null
  fi
  wait_for pgbouncer 30 env PGPASSWORD=$db_password psql -h 127.0.0.1 -p "$bouncer_port" -U "$db_user" -d "$db_name" -tAc "SELECT 1"
}

pgbouncer_stop() {
  if pid_alive "$bouncer_dir/pgbouncer.pid"; then
    local pid; pid=$(cat "$bouncer_dir/pgbouncer.pid")
    kill "$pid" 2>/dev/null || true
    wait_for "pgbouncer stop" 20 sh -c "! kill -0 $pid 2>/dev/null"
  fi
}

# ---------------------------------------------------------------- Redis
redis_dir="$state/redis"

redis_serving() { [ "$(redis-cli -p "$redis_port" exists services:ready-probe 2>/dev/null)" = 0 ]; }
redis_start() {
  mkdir -p "$redis_dir"
  if ! pid_alive "$redis_dir/redis.pid"; then
    # Append-only file: the job state survives a Redis restart (the fault suite restarts it).
    tls_certs
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" --save "" --appendonly yes --appendfsync everysec \
      --tls-port "$redis_tls_port" --tls-cert-file "$tls_dir/server.pem" --tls-key-file "$tls_dir/server.key" \
      --tls-ca-cert-file "$tls_dir/ca.pem" --tls-auth-clients no \
      --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" --databases 64 >/dev/null
  fi
  # Ready once it serves data: while it loads its append-only file it accepts connections but
  # answers LOADING (and redis-cli exits 0 on an error reply), which chaos restart-redis counted
  # as "back" and charged the binary with the load.
  wait_for redis 120 redis_serving
}

redis_stop() {
  if pid_alive "$redis_dir/redis.pid"; then
    local pid; pid=$(cat "$redis_dir/redis.pid")
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    wait_for "redis stop" 20 sh -c "! kill -0 $pid 2>/dev/null"
  fi
}

# ---------------------------------------------------------------- NATS
nats_dir="$state/nats"

nats_start() {
  mkdir -p "$nats_dir/jetstream"
  cat > "$nats_dir/nats.conf" <<EOF
listen: 127.0.0.1:$nats_port
http: 127.0.0.1:$nats_http_port
max_payload: 64MB
max_pending: 256MB
jetstream {
  store_dir: "$nats_dir/jetstream"
  max_memory_store: 1GB
  max_file_store: 20GB
}
EOF
  if ! pid_alive "$nats_dir/nats.pid"; then
    nohup nats-server -c "$nats_dir/nats.conf" -P "$nats_dir/nats.pid" -l "$nats_dir/nats.log" >/dev/null 2>&1 &
  fi
  wait_for nats 30 curl -fsS "http://127.0.0.1:$nats_http_port/healthz?js-enabled-only=true"
}

nats_stop() {
  if pid_alive "$nats_dir/nats.pid"; then
    local pid; pid=$(cat "$nats_dir/nats.pid")
    kill "$pid" 2>/dev/null || true
    wait_for "nats stop" 20 sh -c "! kill -0 $pid 2>/dev/null"
  fi
}

# ---------------------------------------------------------------- RabbitMQ
rabbit_dir="$state/rabbitmq"

rabbit_env() {
  export HOME="$rabbit_dir"   # the Erlang cookie lives here, shared by server and rabbitmqctl
  export RABBITMQ_NODENAME="ingest@localhost"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$rabbit_port"
  export RABBITMQ_DIST_PORT="$rabbit_dist_port"
  export RABBITMQ_MNESIA_BASE="$rabbit_dir/mnesia"
  export RABBITMQ_LOG_BASE="$rabbit_dir/log"
  export RABBITMQ_FEATURE_FLAGS_FILE="$rabbit_dir/feature_flags"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$rabbit_dir/enabled_plugins"
  export RABBITMQ_PID_FILE="$rabbit_dir/rabbitmq.pid"
  export RABBITMQ_CONFIG_FILE="$rabbit_dir/rabbitmq"
  export ERL_EPMD_ADDRESS=127.0.0.1
}

rabbitmq_ctl() { (rabbit_env; /usr/lib/rabbitmq/bin/rabbitmqctl -n ingest@localhost "$@"); }

rabbitmq_start() {
  mkdir -p "$rabbit_dir/mnesia" "$rabbit_dir/log"
  [ -f "$rabbit_dir/enabled_plugins" ] || echo "[]." > "$rabbit_dir/enabled_plugins"
  # Antenna runs RabbitMQ with a 7-day consumer_timeout; the same here so late acks are legal.
  cat > "$rabbit_dir/rabbitmq.conf" <<EOF
consumer_timeout = 604800000
loopback_users = none
listeners.ssl.default = 127.0.0.1:$rabbit_tls_port
ssl_options.cacertfile = $tls_dir/ca.pem
ssl_options.certfile = $tls_dir/server.pem
ssl_options.keyfile = $tls_dir/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
EOF
  tls_certs
  if [ ! -f "$rabbit_dir/.erlang.cookie" ]; then
    head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$rabbit_dir/.erlang.cookie"
    chmod 400 "$rabbit_dir/.erlang.cookie"
  fi
  if ! pid_alive "$rabbit_dir/rabbitmq.pid"; then
    (rabbit_env; nohup /usr/lib/rabbitmq/bin/rabbitmq-server > "$rabbit_dir/log/startup.log" 2>&1 &)
  fi
  wait_for rabbitmq 120 rabbitmq_ctl await_startup --timeout 5
}

rabbitmq_stop() {
  if pid_alive "$rabbit_dir/rabbitmq.pid"; then
    local pid; pid=$(cat "$rabbit_dir/rabbitmq.pid")
    rabbitmq_ctl shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    wait_for "rabbitmq stop" 30 sh -c "! kill -0 $pid 2>/dev/null"
  fi
}

# ---------------------------------------------------------------- S3-compatible store (s3rver)
# Only for the crop tests: an S3 endpoint on loopback (s3rver from npm, credentials S3RVER/S3RVER).
s3_dir="$state/s3rver"

s3_start() {
  mkdir -p "$s3_dir/data"
  if ! command -v npm >/dev/null; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  if [ ! -x "$s3_dir/node_modules/.bin/s3rver" ]; then
    (cd "$s3_dir" && npm install --silent --no-audit --no-fund --prefix "$s3_dir" s3rver@3.7.1 >/dev/null 2>&1)
  fi
  if ! pid_alive "$s3_dir/s3rver.pid"; then
    nohup "$s3_dir/node_modules/.bin/s3rver" -d "$s3_dir/data" -a 127.0.0.1 -p "$s3_port" -s > "$s3_dir/s3rver.log" 2>&1 &
    echo $! > "$s3_dir/s3rver.pid"
  fi
  wait_for s3rver 30 curl -fsS -o /dev/null "http://127.0.0.1:$s3_port/"
}

s3_stop() {
  if pid_alive "$s3_dir/s3rver.pid"; then
    kill "$(cat "$s3_dir/s3rver.pid")" 2>/dev/null || true
  fi
}

s3_up() { curl -fsS -o /dev/null "http://127.0.0.1:$s3_port/"; }

# ---------------------------------------------------------------- commands
print_env() {
  cat <<EOF
export DATABASE_URL='postgres://$db_user:$db_password@127.0.0.1:$bouncer_port/$db_name'
export INGEST_DIRECT_DATABASE_URL='postgres://$db_user:$db_password@127.0.0.1:$pg_port/$db_name'
export REDIS_URL='redis://127.0.0.1:$redis_port/0'
export NATS_URL='nats://127.0.0.1:$nats_port'
export CELERY_BROKER_URL='amqp://guest:guest@127.0.0.1:$rabbit_port/'
export INGEST_PGBOUNCER_ADMIN_URL='postgres://$db_user:$db_password@127.0.0.1:$bouncer_port/pgbouncer'
export INGEST_NATS_MONITOR_URL='http://127.0.0.1:$nats_http_port'
export INGEST_PGBOUNCER_POOL_SIZE='$bouncer_pool_size'
export INGEST_S3_ENDPOINT='http://127.0.0.1:$s3_port'
export INGEST_TLS_DIR='$tls_dir'
export INGEST_REDIS_TLS_PORT='$redis_tls_port'
export INGEST_RABBITMQ_TLS_PORT='$rabbit_tls_port'
EOF
}

status_line() { # name pidfile-or-check
  if "$2" >/dev/null 2>&1; then echo "$1: up"; else echo "$1: down"; fi
}

postgres_up() { "$pg_bin/pg_isready" -h 127.0.0.1 -p "$pg_port"; }
pgbouncer_up() { pid_alive "$bouncer_dir/pgbouncer.pid"; }
redis_up() { redis_serving; }
nats_up() { curl -fsS "http://127.0.0.1:$nats_http_port/healthz"; }
rabbitmq_up() { pid_alive "$rabbit_dir/rabbitmq.pid"; }

service_names=(postgres pgbouncer redis nats rabbitmq s3)

check_name() {
  case " ${service_names[*]} " in *" $1 "*) ;; *) log "unknown service '$1' (one of: ${service_names[*]})"; exit 2;; esac
}

cmd="${1:-}"
case "$cmd" in
  up)
    install_packages
    mkdir -p "$state"
    postgres_start; pgbouncer_start; redis_start; nats_start; rabbitmq_start; s3_start
    log "all services up (state in $state)"
    ;;
  down)
    s3_stop; rabbitmq_stop; nats_stop; redis_stop; pgbouncer_stop; postgres_stop
    log "all services stopped"
    ;;
  env) print_env ;;
  free-port) # without any Python, a random pick is the fallback
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
      echo $(( 40000 + RANDOM % 20000 )) ;;
  status) for s in "${service_names[@]}"; do status_line "$s" "${s}_up"; done ;;
  start|stop) check_name "${2:-}"; "${2}_${cmd}" ;;
  restart) check_name "${2:-}"; "${2}_stop"; "${2}_start" ;;
  rabbitmqctl) shift; rabbitmq_ctl "$@" ;; # the local node's rabbitmqctl (chaos tls adds and removes a user)
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
