#!/usr/bin/env bash
# Starts/stops the project's own RabbitMQ and Redis on loopback, data under .comfysnap/services.
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# A second, private instance (the chaos run restarts its own broker; a developer may want one
# beside the shared pair) sets other ports plus COMFYSNAP_SERVICES_DIR and COMFYSNAP_RABBITMQ_NODENAME.
SERVICES_DIR="${COMFYSNAP_SERVICES_DIR:-$COMFYSNAP_STATE/services}"

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

start_rabbitmq() {
  rabbitmq_env
  if rabbitmqctl -q ping >/dev/null 2>&1; then log "rabbitmq already answering on 127.0.0.1:$COMFYSNAP_RABBITMQ_PORT"; return 0; fi
  command -v rabbitmq-server >/dev/null || die "rabbitmq-server is not installed: run ./comfysnap bootstrap"
  mkdir -p "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
  # consumer_timeout above the longest render (24 h): RabbitMQ's 30 min default would redeliver
  # a long job forever.
  cat > "$RABBITMQ_CONFIG_FILE" <<CONF
listeners.tcp.default = 127.0.0.1:$COMFYSNAP_RABBITMQ_PORT
consumer_timeout = 86400000
log.console = false
CONF
  echo '[].' > "$RABBITMQ_ENABLED_PLUGINS_FILE"
  # Debian's wrapper drops to the rabbitmq user when started as root: it must own its folders.
  if [ "$(id -u)" -eq 0 ] && id rabbitmq >/dev/null 2>&1; then chown -R rabbitmq:rabbitmq "$SERVICES_DIR/rabbitmq"; fi
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_until 60 "rabbitmq on 127.0.0.1:$COMFYSNAP_RABBITMQ_PORT" rabbitmq_answers
}

rabbitmq_answers() { rabbitmqctl -q await_startup --timeout 2 >/dev/null 2>&1 && (exec 3<>"/dev/tcp/127.0.0.1/$COMFYSNAP_RABBITMQ_PORT") 2>/dev/null; }

stop_rabbitmq() {
  rabbitmq_env
  if rabbitmqctl -q ping >/dev/null 2>&1; then rabbitmqctl -q stop >/dev/null 2>&1 || true; fi
  epmd -port "$COMFYSNAP_EPMD_PORT" -kill >/dev/null 2>&1 || true
}

redis_cli() { redis-cli -h 127.0.0.1 -p "$COMFYSNAP_REDIS_PORT" "$@"; }

start_redis() {
  if redis_cli ping 2>/dev/null | grep -q PONG; then log "redis already answering on 127.0.0.1:$COMFYSNAP_REDIS_PORT"; return 0; fi
  command -v redis-server >/dev/null || die "redis-server is not installed: run ./comfysnap bootstrap"
  mkdir -p "$SERVICES_DIR/redis"
  redis-server --bind 127.0.0.1 --port "$COMFYSNAP_REDIS_PORT" --daemonize yes \
    --dir "$SERVICES_DIR/redis" --pidfile "$SERVICES_DIR/redis/redis.pid" \
    --logfile "$SERVICES_DIR/redis/redis.log" --save '' --appendonly no >/dev/null
  wait_until 20 "redis on 127.0.0.1:$COMFYSNAP_REDIS_PORT" sh -c "redis-cli -h 127.0.0.1 -p $COMFYSNAP_REDIS_PORT ping 2>/dev/null | grep -q PONG"
}

stop_redis() { redis_cli shutdown nosave >/dev/null 2>&1 || true; }

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
}

services_stop() {
  stop_redis
  stop_rabbitmq
  log "services stopped"
}

services_status() {
  rabbitmq_env
  local rc=0
  if rabbitmqctl -q ping >/dev/null 2>&1; then echo "rabbitmq: up   amqp://guest:guest@127.0.0.1:$COMFYSNAP_RABBITMQ_PORT/"; else echo "rabbitmq: down"; rc=1; fi
  if redis_cli ping 2>/dev/null | grep -q PONG; then echo "redis:    up   127.0.0.1:$COMFYSNAP_REDIS_PORT"; else echo "redis:    down"; rc=1; fi
  return $rc
}
