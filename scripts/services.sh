#!/usr/bin/env bash
# Starts/stops the project's own RabbitMQ, Redis and S3-compatible object store (s3rver) on
# loopback, data under .comfysnap/services.
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# A second, private instance (the chaos run restarts its own broker; a developer may want one
# beside the shared pair) sets other ports plus COMFYSNAP_SERVICES_DIR and COMFYSNAP_RABBITMQ_NODENAME.
SERVICES_DIR="${COMFYSNAP_SERVICES_DIR:-$COMFYSNAP_STATE/services}"

# The services run with generated credentials, never RabbitMQ's guest/guest: a RabbitMQ user and a
# Redis password, written once (mode 600) to this file, which `project_env` exports to the test run
# (COMFYSNAP_RABBITMQ_USER, COMFYSNAP_RABBITMQ_PASSWORD, COMFYSNAP_REDIS_PASSWORD,
# COMFYSNAP_S3_ACCESS_KEY, COMFYSNAP_S3_SECRET_KEY).
CREDENTIALS_FILE="$SERVICES_DIR/credentials.env"

ensure_credentials() {
  [ -s "$CREDENTIALS_FILE" ] && return 0
  mkdir -p "$SERVICES_DIR"
  ( umask 077
    printf 'COMFYSNAP_RABBITMQ_USER=comfysnap\nCOMFYSNAP_RABBITMQ_PASSWORD=%s\nCOMFYSNAP_REDIS_PASSWORD=%s\n' \
      "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$CREDENTIALS_FILE" )
  chmod 600 "$CREDENTIALS_FILE"
}

# The object store's key pair, added to a credentials file written before the store existed.
ensure_s3_credentials() {
  ensure_credentials
  grep -q '^COMFYSNAP_S3_SECRET_KEY=' "$CREDENTIALS_FILE" && return 0
  printf 'COMFYSNAP_S3_ACCESS_KEY=comfysnap%s\nCOMFYSNAP_S3_SECRET_KEY=%s\n' \
    "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> "$CREDENTIALS_FILE"
}

# Exports the credentials of services started by this script; without the file (services started
# before credentials existed) nothing is exported and clients keep RabbitMQ's defaults.
services_credentials_env() {
  if [ -r "$CREDENTIALS_FILE" ]; then
    set -a
    # shellcheck disable=SC1090
    . "$CREDENTIALS_FILE"
    set +a
  fi
}

rabbitmq_env() {
  export RABBITMQ_NODENAME="${COMFYSNAP_RABBITMQ_NODENAME:-comfysnap@localhost}"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$COMFYSNAP_RABBITMQ_PORT"
  export RABBITMQ_DIST_PORT="$COMFYSNAP_RABBITMQ_DIST_PORT"
  export ERL_EPMD_PORT="$COMFYSNAP_EPMD_PORT"
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_MNESIA_BASE="$SERVICES_DIR/rabbitmq/mnesia"
  export RABBITMQ_LOG_BASE="$SERVICES_DIR/rabbitmq/log"
  export RABBITMQ_PID_FILE="$SERVICES_DIR/rabbitmq/rabbitmq.pid"
  export RABBITMQ_CONFIG_FILE="$SERVICES_DIR/rabbitmq/rabbitmq.conf"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$SERVICES_DIR/rabbitmq/enabled_plugins"
}

rabbitmq_ctl() { rabbitmq_env; rabbitmqctl -q "$@"; }

# The generated user with full rights on /, and no guest (idempotent; passwords go over rabbitmqctl's stdin, not argv).
rabbitmq_users() {
  services_credentials_env
  local user="$COMFYSNAP_RABBITMQ_USER"
  if ! rabbitmqctl -q list_users 2>/dev/null | awk '{print $1}' | grep -qx "$user"; then
    printf '%s' "$COMFYSNAP_RABBITMQ_PASSWORD" | rabbitmqctl -q add_user "$user" >/dev/null
  else
    printf '%s' "$COMFYSNAP_RABBITMQ_PASSWORD" | rabbitmqctl -q change_password "$user" >/dev/null
  fi
  rabbitmqctl -q set_permissions -p / "$user" '.*' '.*' '.*' >/dev/null
  rabbitmqctl -q set_user_tags "$user" administrator >/dev/null
  rabbitmqctl -q delete_user guest >/dev/null 2>&1 || true
  log "rabbitmq: user $user (password in $CREDENTIALS_FILE), guest deleted"
}

start_rabbitmq() {
  rabbitmq_env
  if rabbitmqctl -q ping >/dev/null 2>&1; then log "rabbitmq already answering on 127.0.0.1:$COMFYSNAP_RABBITMQ_PORT"; return 0; fi
  command -v rabbitmq-server >/dev/null || die "rabbitmq-server is not installed: run ./comfysnap bootstrap"
  mkdir -p "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
  ensure_credentials
  # consumer_timeout above the longest render (24 h): RabbitMQ's 30 min default would redeliver
  # a long job forever.
  cat > "$RABBITMQ_CONFIG_FILE" <<CONF
listeners.tcp.default = 127.0.0.1:$COMFYSNAP_RABBITMQ_PORT
consumer_timeout = 86400000
log.console = false
CONF
  # COMFYSNAP_RABBITMQ_EXTRA_CONF: a file of more rabbitmq.conf lines for a private instance (the TLS
  # test adds an amqps listener with it); paths in it must be readable by the broker's user.
  if [ -n "${COMFYSNAP_RABBITMQ_EXTRA_CONF:-}" ]; then
    [ -r "$COMFYSNAP_RABBITMQ_EXTRA_CONF" ] || die "COMFYSNAP_RABBITMQ_EXTRA_CONF=$COMFYSNAP_RABBITMQ_EXTRA_CONF is not a readable file"
    cat "$COMFYSNAP_RABBITMQ_EXTRA_CONF" >> "$RABBITMQ_CONFIG_FILE"
  fi
  echo '[].' > "$RABBITMQ_ENABLED_PLUGINS_FILE"
  # Debian's wrapper drops to the rabbitmq user when started as root: it must own its folders.
  if [ "$(id -u)" -eq 0 ] && id rabbitmq >/dev/null 2>&1; then chown -R rabbitmq:rabbitmq "$SERVICES_DIR/rabbitmq"; fi
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_until 60 "rabbitmq on 127.0.0.1:$COMFYSNAP_RABBITMQ_PORT" rabbitmq_answers
  rabbitmq_users
}

rabbitmq_answers() { rabbitmqctl -q await_startup --timeout 2 >/dev/null 2>&1 && (exec 3<>"/dev/tcp/127.0.0.1/$COMFYSNAP_RABBITMQ_PORT") 2>/dev/null; }

stop_rabbitmq() {
  rabbitmq_env
  if rabbitmqctl -q ping >/dev/null 2>&1; then rabbitmqctl -q stop >/dev/null 2>&1 || true; fi
  epmd -port "$COMFYSNAP_EPMD_PORT" -kill >/dev/null 2>&1 || true
}

# REDISCLI_AUTH keeps the password off redis-cli's command line.
redis_cli() { services_credentials_env; REDISCLI_AUTH="${COMFYSNAP_REDIS_PASSWORD:-}" redis-cli --no-auth-warning -h 127.0.0.1 -p "$COMFYSNAP_REDIS_PORT" "$@"; }

start_redis() {
  if redis_cli ping 2>/dev/null | grep -q PONG; then log "redis already answering on 127.0.0.1:$COMFYSNAP_REDIS_PORT"; return 0; fi
  command -v redis-server >/dev/null || die "redis-server is not installed: run ./comfysnap bootstrap"
  mkdir -p "$SERVICES_DIR/redis"
  ensure_credentials
  services_credentials_env
  # requirepass from a config file of mode 600, not the command line (visible in ps).
  ( umask 077; printf 'requirepass %s\n' "$COMFYSNAP_REDIS_PASSWORD" > "$SERVICES_DIR/redis/redis.conf" )
  # COMFYSNAP_REDIS_EXTRA_CONF: a file of more redis.conf lines for a private instance (the Redis TLS
  # test adds a tls-port with it; the plain port stays for this script's ping and shutdown).
  if [ -n "${COMFYSNAP_REDIS_EXTRA_CONF:-}" ]; then
    [ -r "$COMFYSNAP_REDIS_EXTRA_CONF" ] || die "COMFYSNAP_REDIS_EXTRA_CONF=$COMFYSNAP_REDIS_EXTRA_CONF is not a readable file"
    cat "$COMFYSNAP_REDIS_EXTRA_CONF" >> "$SERVICES_DIR/redis/redis.conf"
  fi
  redis-server "$SERVICES_DIR/redis/redis.conf" --bind 127.0.0.1 --port "$COMFYSNAP_REDIS_PORT" --daemonize yes \
    --dir "$SERVICES_DIR/redis" --pidfile "$SERVICES_DIR/redis/redis.pid" \
    --logfile "$SERVICES_DIR/redis/redis.log" --save '' --appendonly no >/dev/null
  wait_until 20 "redis on 127.0.0.1:$COMFYSNAP_REDIS_PORT" redis_answers
}

redis_answers() { redis_cli ping 2>/dev/null | grep -q PONG; }

stop_redis() { redis_cli shutdown nosave >/dev/null 2>&1 || true; }

# s3rver (npm, see docs/configuration.md#object-store for why this server): a node process of its
# own, detached, with its pid in the services folder; the credentials file path goes on its command
# line, never the keys. The bucket `comfysnap` exists from the start.
S3_DIR="$SERVICES_DIR/s3"

s3_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$COMFYSNAP_S3_PORT") 2>/dev/null; }

start_s3() {
  if s3_answers; then log "s3 already answering on 127.0.0.1:$COMFYSNAP_S3_PORT"; return 0; fi
  command -v npm >/dev/null || apt_install npm
  npm_ci_when_changed "$COMFYSNAP_ROOT/scripts/s3server"
  ensure_s3_credentials
  mkdir -p "$S3_DIR/data"
  setsid node "$COMFYSNAP_ROOT/scripts/s3server/server.js" "$CREDENTIALS_FILE" "$S3_DIR/data" "$COMFYSNAP_S3_PORT" comfysnap \
    </dev/null >"$S3_DIR/s3rver.log" 2>&1 &
  echo $! > "$S3_DIR/s3rver.pid"
  wait_until 30 "s3 (s3rver) on 127.0.0.1:$COMFYSNAP_S3_PORT" s3_answers
}

stop_s3() {
  if [ -s "$S3_DIR/s3rver.pid" ]; then kill "$(cat "$S3_DIR/s3rver.pid")" >/dev/null 2>&1 || true; rm -f "$S3_DIR/s3rver.pid"; fi
}

wait_until() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || die "$what did not answer within ${timeout}s (logs under $SERVICES_DIR)"
    sleep 0.5
  done
  log "$what is answering"
}

services_start() {
  step "start rabbitmq" start_rabbitmq
  step "start redis" start_redis
  # COMFYSNAP_S3=0: a private broker + Redis pair (tests, the chaos run) without an object store.
  if [ "${COMFYSNAP_S3:-1}" = 1 ]; then step "start s3" start_s3; fi
}

services_stop() {
  if [ "${COMFYSNAP_S3:-1}" = 1 ]; then stop_s3; fi
  stop_redis
  stop_rabbitmq
  log "services stopped"
}

services_status() {
  rabbitmq_env
  local rc=0
  if rabbitmqctl -q ping >/dev/null 2>&1; then services_credentials_env; echo "rabbitmq: up   amqp://${COMFYSNAP_RABBITMQ_USER:-guest}@127.0.0.1:$COMFYSNAP_RABBITMQ_PORT/ (password: ${CREDENTIALS_FILE})"; else echo "rabbitmq: down"; rc=1; fi
  if redis_cli ping 2>/dev/null | grep -q PONG; then echo "redis:    up   127.0.0.1:$COMFYSNAP_REDIS_PORT"; else echo "redis:    down"; rc=1; fi
  if [ "${COMFYSNAP_S3:-1}" != 1 ]; then :; elif s3_answers; then echo "s3:       up   http://127.0.0.1:$COMFYSNAP_S3_PORT (s3rver; keys: ${CREDENTIALS_FILE})"; else echo "s3:       down"; rc=1; fi
  return $rc
}
