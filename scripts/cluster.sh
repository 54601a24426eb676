#!/usr/bin/env bash
# A three-node RabbitMQ cluster and a Redis primary + replica watched by three Sentinels, all on
# loopback with data under .comfysnap/cluster: `./comfysnap services start|stop|status --cluster`.
# It never touches the single-node pair of services.sh (other ports, node names, epmd and folders).
# Sourced after common.sh and services.sh; the tests and the chaos run call its functions directly
# with their own ports and folder (COMFYSNAP_CLUSTER_*).

CLUSTER_DIR="${COMFYSNAP_CLUSTER_DIR:-$COMFYSNAP_STATE/cluster}"
# Space-separated: one AMQP and one Erlang distribution port per broker node, the Redis primary
# first then its replica, one port per Sentinel. All three nodes share one epmd of their own.
CLUSTER_AMQP_PORTS="${COMFYSNAP_CLUSTER_AMQP_PORTS:-5700 5701 5702}"
CLUSTER_DIST_PORTS="${COMFYSNAP_CLUSTER_DIST_PORTS:-25700 25701 25702}"
CLUSTER_EPMD_PORT="${COMFYSNAP_CLUSTER_EPMD_PORT:-4390}"
CLUSTER_REDIS_PORTS="${COMFYSNAP_CLUSTER_REDIS_PORTS:-6400 6401}"
CLUSTER_SENTINEL_PORTS="${COMFYSNAP_CLUSTER_SENTINEL_PORTS:-26400 26401 26402}"
# Node names are PREFIX-1@localhost ... PREFIX-3@localhost.
CLUSTER_NODE_PREFIX="${COMFYSNAP_CLUSTER_NODE_PREFIX:-comfysnap-cluster}"
# The Sentinel service name clients ask for (StackExchange.Redis serviceName=).
CLUSTER_REDIS_SERVICE="${COMFYSNAP_CLUSTER_REDIS_SERVICE:-comfysnap}"
# How long the Sentinels wait before they call a silent primary down (then elect and promote).
CLUSTER_SENTINEL_DOWN_AFTER_MS="${COMFYSNAP_CLUSTER_SENTINEL_DOWN_AFTER_MS:-3000}"

nth() { local n="$1"; shift; local a=($*); echo "${a[$((n - 1))]}"; }

# Runs a services.sh function against this cluster's folder and credentials (dynamic scoping).
with_cluster_credentials() {
  local SERVICES_DIR="$CLUSTER_DIR" CREDENTIALS_FILE="$CLUSTER_DIR/credentials.env"
  "$@"
}

cluster_rabbitmq_env() {
  local i="$1" dir="$CLUSTER_DIR/rabbitmq-$1"
  export RABBITMQ_NODENAME="$CLUSTER_NODE_PREFIX-$i@localhost"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT; RABBITMQ_NODE_PORT="$(nth "$i" "$CLUSTER_AMQP_PORTS")"
  export RABBITMQ_DIST_PORT; RABBITMQ_DIST_PORT="$(nth "$i" "$CLUSTER_DIST_PORTS")"
  export ERL_EPMD_PORT="$CLUSTER_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  # Three nodes on 2 vCPUs: one scheduler each and no busy waiting, or they starve each other.
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+S 1:1 +SDio 1 +A 2 +sbwt none +sbwtdcpu none +sbwtdio none"
}

cluster_node_name() { echo "$CLUSTER_NODE_PREFIX-$1@localhost"; }

cluster_rabbitmq_ctl() { local i="$1"; shift; ( cluster_rabbitmq_env "$i"; rabbitmqctl -q "$@" ); }

cluster_rabbitmq_answers() { ( cluster_rabbitmq_env "$1"; rabbitmqctl -q await_startup --timeout 2 >/dev/null 2>&1 && (exec 3<>"/dev/tcp/127.0.0.1/$RABBITMQ_NODE_PORT") 2>/dev/null ); }

# Starts broker node I (1-3); a node that was a member before rejoins by itself.
cluster_rabbitmq_start_node() {
  local i="$1"
  ( cluster_rabbitmq_env "$i"
    rabbitmqctl -q ping >/dev/null 2>&1 && exit 0
    command -v rabbitmq-server >/dev/null || die "rabbitmq-server is not installed: run ./comfysnap bootstrap"
    mkdir -p "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
    # pause_minority: a node cut off from the other two stops serving instead of splitting the queues.
    cat > "$RABBITMQ_CONFIG_FILE" <<CONF
listeners.tcp.default = 127.0.0.1:$RABBITMQ_NODE_PORT
consumer_timeout = 86400000
log.console = false
cluster_partition_handling = pause_minority
CONF
    echo '[].' > "$RABBITMQ_ENABLED_PLUGINS_FILE"
    if [ "$(id -u)" -eq 0 ] && id rabbitmq >/dev/null 2>&1; then chown -R rabbitmq:rabbitmq "$CLUSTER_DIR/rabbitmq-$i"; fi
    rabbitmq-server -detached >/dev/null 2>&1 || true )
}

cluster_rabbitmq_wait_node() { wait_until 90 "rabbitmq node $(cluster_node_name "$1") on 127.0.0.1:$(nth "$1" "$CLUSTER_AMQP_PORTS")" cluster_rabbitmq_answers "$1"; }

# Joins node I to node 1 unless it already is a member.
cluster_rabbitmq_join() {
  local i="$1" first; first="$(cluster_node_name 1)"
  if cluster_rabbitmq_ctl "$i" cluster_status --formatter json 2>/dev/null | grep -q "\"$first\""; then return 0; fi
  # The CLI prints the joining node's start-up warnings; they go to its log folder.
  local out="$CLUSTER_DIR/rabbitmq-$i/log/join.log"
  { cluster_rabbitmq_ctl "$i" stop_app && cluster_rabbitmq_ctl "$i" reset && cluster_rabbitmq_ctl "$i" join_cluster "$first" \
      && cluster_rabbitmq_ctl "$i" start_app; } >"$out" 2>&1 || die "$(cluster_node_name "$i") could not join $first (see $out)"
  log "rabbitmq: $(cluster_node_name "$i") joined $first"
}

# SIGKILL of node I's Erlang VM (the chaos run's "broker node dies").
cluster_rabbitmq_kill_node() {
  local pid; pid="$(cat "$CLUSTER_DIR/rabbitmq-$1/rabbitmq.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
}

# SIGSTOP / SIGCONT of node I's Erlang VM (the chaos run's frozen broker node: its clients only
# notice through the AMQP heartbeat).
cluster_rabbitmq_signal_node() {
  local pid; pid="$(cat "$CLUSTER_DIR/rabbitmq-$1/rabbitmq.pid" 2>/dev/null || true)"
  [ -n "$pid" ] || die "no pid file for $(cluster_node_name "$1")"
  kill -"$2" "$pid"
}

cluster_rabbitmq_stop_node() { cluster_rabbitmq_ctl "$1" stop >/dev/null 2>&1 || true; }

start_rabbitmq_cluster() {
  with_cluster_credentials ensure_credentials
  local i
  for i in 1 2 3; do cluster_rabbitmq_start_node "$i"; done
  for i in 1 2 3; do cluster_rabbitmq_wait_node "$i"; done
  for i in 2 3; do cluster_rabbitmq_join "$i"; done
  # Users live in the cluster's shared schema: create them once, on node 1.
  ( cluster_rabbitmq_env 1; with_cluster_credentials rabbitmq_users )
}

stop_rabbitmq_cluster() {
  local i
  for i in 3 2 1; do cluster_rabbitmq_stop_node "$i"; done
  epmd -port "$CLUSTER_EPMD_PORT" -kill >/dev/null 2>&1 || true
}

cluster_password() { with_cluster_credentials services_credentials_env; echo "${COMFYSNAP_REDIS_PASSWORD:-}"; }

cluster_redis_cli() { local port="$1"; shift; REDISCLI_AUTH="$(cluster_password)" redis-cli --no-auth-warning -h 127.0.0.1 -p "$port" "$@"; }

# The port of the primary the Sentinels name now (empty when none answers).
cluster_redis_primary() {
  local port
  for port in $CLUSTER_SENTINEL_PORTS; do
    if cluster_redis_cli "$port" sentinel get-master-addr-by-name "$CLUSTER_REDIS_SERVICE" 2>/dev/null | sed -n 2p | grep -E '^[0-9]+$'; then return 0; fi
  done
}

# Starts Redis node I (1: primary at the first start, 2: its replica). A node started again after
# a failover joins as a replica of the primary the Sentinels name, never as a second primary.
cluster_redis_start_node() {
  local i="$1" port dir primary
  port="$(nth "$i" "$CLUSTER_REDIS_PORTS")"; dir="$CLUSTER_DIR/redis-$i"
  cluster_redis_cli "$port" ping 2>/dev/null | grep -q PONG && return 0
  command -v redis-server >/dev/null || die "redis-server is not installed: run ./comfysnap bootstrap"
  mkdir -p "$dir"
  with_cluster_credentials ensure_credentials
  primary="$(cluster_redis_primary || true)"
  [ -n "$primary" ] || { [ "$i" -eq 1 ] || primary="$(nth 1 "$CLUSTER_REDIS_PORTS")"; }
  local password; password="$(cluster_password)"
  # Mode 600: the password is in it (and Sentinel's CONFIG REWRITE keeps it there).
  ( umask 077
    { printf 'requirepass %s\nmasterauth %s\n' "$password" "$password"
      printf 'bind 127.0.0.1\nport %s\ndaemonize yes\ndir %s\npidfile %s/redis.pid\nlogfile %s/redis.log\n' "$port" "$dir" "$dir" "$dir"
      # Small, and full means evict: every key has a TTL, and LRU drops old cached outputs long
      # before a lease (renewed every few seconds); noeviction would refuse leases instead.
      printf 'save ""\nappendonly no\nmaxmemory 256mb\nmaxmemory-policy volatile-lru\n'
      if [ -n "$primary" ] && [ "$primary" != "$port" ]; then printf 'replicaof 127.0.0.1 %s\n' "$primary"; fi
    } > "$dir/redis.conf" )
  redis-server "$dir/redis.conf" >/dev/null
  wait_until 20 "redis node $i on 127.0.0.1:$port" cluster_redis_node_answers "$port"
  # A replica answers PING before its first sync is done; until then WAIT counts no replica.
  if [ -n "$primary" ] && [ "$primary" != "$port" ]; then
    wait_until 30 "redis node $i in sync with 127.0.0.1:$primary" cluster_redis_replica_in_sync "$port"
  fi
}

cluster_redis_replica_in_sync() { cluster_redis_cli "$1" info replication 2>/dev/null | grep -q '^master_link_status:up'; }

cluster_redis_node_answers() { cluster_redis_cli "$1" ping 2>/dev/null | grep -q PONG; }

cluster_redis_kill_node() {
  local pid; pid="$(cat "$CLUSTER_DIR/redis-$1/redis.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
}

cluster_sentinel_start() {
  local i="$1" port dir password primary
  port="$(nth "$i" "$CLUSTER_SENTINEL_PORTS")"; dir="$CLUSTER_DIR/sentinel-$i"
  cluster_redis_cli "$port" ping 2>/dev/null | grep -q PONG && return 0
  mkdir -p "$dir"
  password="$(cluster_password)"
  primary="$(cluster_redis_primary || true)"; primary="${primary:-$(nth 1 "$CLUSTER_REDIS_PORTS")}"
  # Sentinel rewrites its own file (epochs, known peers): written fresh only for a new folder.
  if [ ! -s "$dir/sentinel.conf" ]; then
    ( umask 077
      { printf 'bind 127.0.0.1\nport %s\ndaemonize yes\ndir %s\npidfile %s/sentinel.pid\nlogfile %s/sentinel.log\n' "$port" "$dir" "$dir" "$dir"
        # Clients log in to the Sentinels with the same password as to Redis (one Cache:Redis string).
        printf 'requirepass %s\nsentinel sentinel-pass %s\n' "$password" "$password"
        printf 'sentinel monitor %s 127.0.0.1 %s 2\n' "$CLUSTER_REDIS_SERVICE" "$primary"
        printf 'sentinel auth-pass %s %s\n' "$CLUSTER_REDIS_SERVICE" "$password"
        printf 'sentinel down-after-milliseconds %s %s\n' "$CLUSTER_REDIS_SERVICE" "$CLUSTER_SENTINEL_DOWN_AFTER_MS"
        printf 'sentinel failover-timeout %s 20000\nsentinel parallel-syncs %s 1\n' "$CLUSTER_REDIS_SERVICE" "$CLUSTER_REDIS_SERVICE"
      } > "$dir/sentinel.conf" )
  fi
  redis-server "$dir/sentinel.conf" --sentinel >/dev/null
  wait_until 20 "sentinel $i on 127.0.0.1:$port" cluster_redis_node_answers "$port"
}

start_redis_sentinels() {
  local i
  for i in 1 2; do cluster_redis_start_node "$i"; done
  for i in 1 2 3; do cluster_sentinel_start "$i"; done
}

stop_redis_sentinels() {
  local port
  for port in $CLUSTER_SENTINEL_PORTS $CLUSTER_REDIS_PORTS; do cluster_redis_cli "$port" shutdown nosave >/dev/null 2>&1 || true; done
  # The next start is a new cluster: forget the Sentinels' state (the data is not kept either).
  rm -rf "$CLUSTER_DIR"/sentinel-*
}

# The client settings for this cluster, as COMFYSNAP_ environment lines (what `status --cluster` prints).
cluster_client_settings() {
  with_cluster_credentials services_credentials_env
  local i=0 port sentinels=""
  for port in $CLUSTER_AMQP_PORTS; do
    echo "COMFYSNAP_Bus__RabbitMq__Nodes__${i}=127.0.0.1:$port"; i=$((i + 1))
  done
  echo "COMFYSNAP_Bus__RabbitMq__Username=${COMFYSNAP_RABBITMQ_USER:-guest}"
  for port in $CLUSTER_SENTINEL_PORTS; do sentinels="$sentinels${sentinels:+,}127.0.0.1:$port"; done
  echo "COMFYSNAP_Cache__Redis=$sentinels,serviceName=$CLUSTER_REDIS_SERVICE,password=<COMFYSNAP_REDIS_PASSWORD in $CLUSTER_DIR/credentials.env>"
}

cluster_start() {
  step "start rabbitmq cluster" start_rabbitmq_cluster
  step "start redis with sentinels" start_redis_sentinels
  cluster_client_settings >&2
}

cluster_stop() {
  stop_redis_sentinels
  stop_rabbitmq_cluster
  log "cluster stopped"
}

cluster_status() {
  local i rc=0 port
  for i in 1 2 3; do
    if cluster_rabbitmq_ctl "$i" ping >/dev/null 2>&1; then echo "rabbitmq $(cluster_node_name "$i"): up   127.0.0.1:$(nth "$i" "$CLUSTER_AMQP_PORTS")"
    else echo "rabbitmq $(cluster_node_name "$i"): down"; rc=1; fi
  done
  for port in $CLUSTER_REDIS_PORTS; do
    if cluster_redis_node_answers "$port"; then echo "redis    127.0.0.1:$port: $(cluster_redis_cli "$port" role 2>/dev/null | head -1)"
    else echo "redis    127.0.0.1:$port: down"; rc=1; fi
  done
  for port in $CLUSTER_SENTINEL_PORTS; do
    if cluster_redis_node_answers "$port"; then echo "sentinel 127.0.0.1:$port: up"; else echo "sentinel 127.0.0.1:$port: down"; rc=1; fi
  done
  echo "primary: 127.0.0.1:$(cluster_redis_primary || echo '?')"
  return $rc
}
