#!/usr/bin/env bash
# The Kubernetes manifests (deploy/k8s) run with `podman kube play`, end to end, behind
# `./comfysnap test --containers` (after the compose check) and `./comfysnap containers kube`.
# podman 4.3 cannot play every kind or field as written: deploy/k8s/check/podman-play.mjs writes
# the generated copies it can play and says why for each change. Sourced by ./comfysnap after
# containers.sh.

GATEWAY_IMAGE=localhost/comfysnap/gateway:dev
KUBE_STATE="$CONTAINERS_STATE/kube"
KUBE_NETWORK=comfysnap-kube
# RabbitMQ and Redis are not in deploy/k8s (an operator brings its own, reached as the Services
# "rabbitmq" and "redis"): here two containers on the pods' network with those DNS names.
KUBE_RABBITMQ=comfysnap-kube-rabbitmq
KUBE_REDIS=comfysnap-kube-redis
KUBE_WORKERS=2

kube_ports() {
  KUBE_AMQP_PORT="${COMFYSNAP_KUBE_AMQP_PORT:-5694}"
  KUBE_REDIS_PORT="${COMFYSNAP_KUBE_REDIS_PORT:-6396}"
  # Host ports for the pods' published container ports, one each from here up (ports.tsv).
  KUBE_PORT_BASE="${COMFYSNAP_KUBE_PORT_BASE:-18081}"
  local port listening; listening=$(ss -Hltn | awk '{print $4}')
  for port in "$KUBE_AMQP_PORT" "$KUBE_REDIS_PORT" $(seq "$KUBE_PORT_BASE" $((KUBE_PORT_BASE + KUBE_WORKERS + 4))); do
    ! grep -q ":$port\$" <<<"$listening" || die "host port $port is taken (COMFYSNAP_KUBE_AMQP_PORT, _REDIS_PORT, _PORT_BASE move the kube check's ports)"
  done
}

gateway_image() {
  nice -n 15 podman build -f "$COMFYSNAP_ROOT/deploy/gateway.Dockerfile" -t "$GATEWAY_IMAGE" \
    --build-arg SDK_IMAGE="$LOCAL_SDK_IMAGE" --build-arg RUNTIME_IMAGE="$LOCAL_RUNTIME_IMAGE" \
    --volume "$HOME/.nuget/packages:/root/.nuget/packages" "$COMFYSNAP_ROOT" \
    > "$CONTAINERS_STATE/gateway-build.log" 2>&1 || die "gateway image build failed: see $CONTAINERS_STATE/gateway-build.log"
}

# The manifests name comfysnap/worker:latest and comfysnap/gateway:latest; podman finds a short
# name under localhost/ before asking a registry.
kube_tag_images() {
  podman tag "$WORKER_IMAGE" localhost/comfysnap/worker:latest
  podman tag "$GATEWAY_IMAGE" localhost/comfysnap/gateway:latest
}

# Fresh credentials for this run, in mode-600 env files: the broker's and Redis's, and the values
# of the Secret comfysnap-runtime (podman-play.mjs checks they are exactly secret.yaml's keys).
kube_credentials() {
  local secrets="$KUBE_STATE/secrets"
  KUBE_RABBITMQ_USER="check-$(random_hex 4)"; KUBE_RABBITMQ_PASSWORD=$(random_hex 16); KUBE_REDIS_PASSWORD=$(random_hex 16)
  KUBE_SIGNING_KEY=$(random_hex 32)
  rm -rf "$secrets"; mkdir -m 700 -p "$secrets"
  ( umask 077
    printf 'RABBITMQ_DEFAULT_USER=%s\nRABBITMQ_DEFAULT_PASS=%s\n' "$KUBE_RABBITMQ_USER" "$KUBE_RABBITMQ_PASSWORD" > "$secrets/rabbitmq.env"
    printf 'REDIS_PASSWORD=%s\n' "$KUBE_REDIS_PASSWORD" > "$secrets/redis.env"
    printf 'COMFYSNAP_Bus__RabbitMq__Username=%s\nCOMFYSNAP_Bus__RabbitMq__Password=%s\nCOMFYSNAP_Cache__Redis=redis:6379,password=%s\nCOMFYSNAP_SNAPSHOT_SIGNING_KEY=%s\nrabbitmq-uri=amqp://%s:%s@rabbitmq:5672/\n' \
      "$KUBE_RABBITMQ_USER" "$KUBE_RABBITMQ_PASSWORD" "$KUBE_REDIS_PASSWORD" "$KUBE_SIGNING_KEY" "$KUBE_RABBITMQ_USER" "$KUBE_RABBITMQ_PASSWORD" > "$secrets/runtime.env" )
}

kube_generate() {
  node "$COMFYSNAP_ROOT/deploy/k8s/check/podman-play.mjs" --manifests "$COMFYSNAP_ROOT/deploy/k8s" --out "$KUBE_STATE/play" \
    --secret-env "$KUBE_STATE/secrets/runtime.env" --replicas "comfysnap-worker=$KUBE_WORKERS" --port-base "$KUBE_PORT_BASE" >/dev/null \
    || die "podman-play.mjs could not translate deploy/k8s"
}

# Everything the kube check creates, removed; safe to run when none of it exists.
kube_down() {
  local file play="$KUBE_STATE/play"
  # Each step on its own: under set -e (also in the EXIT trap) one that finds nothing must not end the rest.
  for file in gateway.yaml worker.yaml snapshot-job.yaml; do
    if [ -f "$play/$file" ]; then podman kube down "$play/$file" >/dev/null 2>&1 || true; fi
  done
  podman rm -f -t 5 "$KUBE_RABBITMQ" "$KUBE_REDIS" >/dev/null 2>&1 || true
  podman volume rm -f comfysnap-snapshot comfysnap-models >/dev/null 2>&1 || true
  if [ -f "$play/secret-name" ]; then podman secret rm "$(cat "$play/secret-name")" >/dev/null 2>&1 || true; fi
  podman network rm -f "$KUBE_NETWORK" >/dev/null 2>&1 || true
  rm -f "$play/secret.json"
}

kube_backing_services() {
  podman network create "$KUBE_NETWORK" >/dev/null || die "podman network create $KUBE_NETWORK failed"
  podman run -d --name "$KUBE_RABBITMQ" --network "$KUBE_NETWORK" --network-alias rabbitmq \
    --env-file "$KUBE_STATE/secrets/rabbitmq.env" -p "127.0.0.1:$KUBE_AMQP_PORT:5672" "$LOCAL_RABBITMQ_IMAGE" >/dev/null \
    || die "starting RabbitMQ for the kube check failed"
  # The password reaches the server through its stdin config, not its argv (as in the compose file).
  podman run -d --name "$KUBE_REDIS" --network "$KUBE_NETWORK" --network-alias redis \
    --env-file "$KUBE_STATE/secrets/redis.env" -p "127.0.0.1:$KUBE_REDIS_PORT:6379" --entrypoint sh "$LOCAL_REDIS_IMAGE" \
    -c 'printf "requirepass %s\nsave \"\"\n" "$REDIS_PASSWORD" | exec redis-server -' >/dev/null \
    || die "starting Redis for the kube check failed"
  local deadline=$(( $(date +%s) + 120 ))
  until podman exec "$KUBE_RABBITMQ" rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "RabbitMQ for the kube check did not start in 120 s: $(podman logs --tail 20 "$KUBE_RABBITMQ" 2>&1)"
    sleep 2
  done
}

# A pod's published host port for a named container port (ports.tsv from podman-play.mjs).
kube_host_port() { awk -F'\t' -v pod="$1" -v name="$2" '$1 == pod && $2 == name {print $4}' "$KUBE_STATE/play/ports.tsv"; }

# What a kubelet's readiness probe would see: GET PATH answers 200 through the pod's published port.
kube_wait_ready() {
  local pod="$1" port_name="$2" path="$3" seconds="$4" port
  port=$(kube_host_port "$pod" "$port_name"); [ -n "$port" ] || die "no published $port_name port for $pod"
  local deadline=$(( $(date +%s) + seconds ))
  until curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$port$path" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || die "$pod: $path on 127.0.0.1:$port not 200 in $seconds s: $(podman pod logs --tail 20 "$pod" 2>&1)"
    sleep 1
  done
}

# The Job as podman plays it: its pod, run to completion; the container's exit code is the Job's.
kube_run_snapshot_job() {
  podman kube play --network "$KUBE_NETWORK" "$KUBE_STATE/play/storage.yaml" >/dev/null || die "kube play storage.yaml failed"
  podman kube play --network "$KUBE_NETWORK" "$KUBE_STATE/play/snapshot-job.yaml" >"$KUBE_LOGS/play-snapshot-job.log" 2>&1 \
    || die "kube play snapshot-job.yaml failed: $(tail -5 "$KUBE_LOGS/play-snapshot-job.log")"
  local code; code=$(podman wait comfysnap-snapshot-builder) || die "waiting for the snapshot Job's pod failed"
  [ "$code" = 0 ] || die "the snapshot Job's pod exited with $code: $(podman logs --tail 30 comfysnap-snapshot-builder 2>&1)"
}

# The background `./comfysnap tail` of this run, stopped (also when a step fails).
kube_stop_tail() {
  [ -n "${KUBE_TAIL_PID:-}" ] || return 0
  kill "$KUBE_TAIL_PID" 2>/dev/null || true; wait "$KUBE_TAIL_PID" 2>/dev/null || true
  KUBE_TAIL_PID=
}

kube_collect_logs() {
  local c
  for c in $(podman ps -a --format '{{.Names}}' --filter "network=$KUBE_NETWORK") $(podman ps -a --format '{{.Names}}' --filter label=app.kubernetes.io/name=comfysnap); do
    podman logs "$c" >"$KUBE_LOGS/$c.log" 2>&1 || true
  done
}

# End to end: the snapshot Job writes the snapshot volume, two worker pods restore it, the gateway
# pods come ready once a worker published its node catalog, and one job is answered through a
# gateway pod's published port and one through the broker with `./comfysnap submit`.
kube_check() {
  local t0 t; t0=$(date +%s.%N)
  step "podman" install_podman
  kube_down   # what an earlier run left (COMFYSNAP_CONTAINERS_KEEP=1, a killed run) before its ports are checked
  kube_ports
  t=$(date +%s.%N); step "local base images" local_base_images; local t_base; t_base=$(elapsed "$t")
  t=$(date +%s.%N); step "worker image (deploy/Dockerfile)" worker_image; local t_image; t_image=$(elapsed "$t")
  t=$(date +%s.%N); step "gateway image (deploy/gateway.Dockerfile)" gateway_image; local t_gateway_image; t_gateway_image=$(elapsed "$t")
  kube_tag_images
  mkdir -p "$KUBE_STATE"
  kube_credentials
  kube_generate
  KUBE_LOGS="$KUBE_STATE/logs"; local out="$KUBE_STATE/output"
  rm -rf "$KUBE_LOGS" "$out"; mkdir -p "$KUBE_LOGS" "$out"
  # On EXIT, not RETURN: a failed step ends the script through die, and its pods go too.
  # COMFYSNAP_CONTAINERS_KEEP=1 leaves them running for a look (`./comfysnap containers down`).
  KUBE_TAIL_PID=
  [ "${COMFYSNAP_CONTAINERS_KEEP:-0}" = 1 ] || trap 'kube_stop_tail; kube_collect_logs; kube_down' EXIT

  kube_backing_services
  podman secret create "$(cat "$KUBE_STATE/play/secret-name")" "$KUBE_STATE/play/secret.json" >/dev/null || die "podman secret create failed"
  rm -f "$KUBE_STATE/play/secret.json"

  t=$(date +%s.%N); kube_run_snapshot_job; local t_snapshot; t_snapshot=$(elapsed "$t")
  log "snapshot Job's pod exited 0 in $t_snapshot s"

  export COMFYSNAP_RABBITMQ_URI="amqp://$KUBE_RABBITMQ_USER:$KUBE_RABBITMQ_PASSWORD@127.0.0.1:$KUBE_AMQP_PORT/"
  export COMFYSNAP_REDIS="127.0.0.1:$KUBE_REDIS_PORT,password=$KUBE_REDIS_PASSWORD"
  dotnet_env; project_env
  dotnet build "$COMFYSNAP_ROOT/src/Operator" -c "$BUILD_CONFIGURATION" -nologo -v q -clp:ErrorsOnly >/dev/null || die "build of the operator CLI failed"
  dotnet "$(project_dll Operator)" tail --json --kind booted --for 300 >"$out/booted.jsonl" 2>"$KUBE_LOGS/tail.log" &
  KUBE_TAIL_PID=$!
  sleep 3

  t=$(date +%s.%N)
  podman kube play --network "$KUBE_NETWORK" "$KUBE_STATE/play/worker.yaml" >"$KUBE_LOGS/play-worker.log" 2>&1 \
    || die "kube play worker.yaml failed: $(tail -5 "$KUBE_LOGS/play-worker.log")"
  local t_pods i; t_pods=$(elapsed "$t")
  for ((i = 0; i < KUBE_WORKERS; i++)); do kube_wait_ready "comfysnap-worker-$i" health /ready 240; done
  local t_ready; t_ready=$(elapsed "$t")
  local deadline=$(( $(date +%s) + 30 ))
  until [ "$(grep -c '"mode"' "$out/booted.jsonl" 2>/dev/null || true)" -ge "$KUBE_WORKERS" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || die "fewer than $KUBE_WORKERS WorkerBooted events although the pods are ready"
    sleep 1
  done
  kube_stop_tail

  t=$(date +%s.%N)
  podman kube play --network "$KUBE_NETWORK" "$KUBE_STATE/play/gateway.yaml" >"$KUBE_LOGS/play-gateway.log" 2>&1 \
    || die "kube play gateway.yaml failed: $(tail -5 "$KUBE_LOGS/play-gateway.log")"
  kube_wait_ready comfysnap-gateway-0 http /ready 120
  kube_wait_ready comfysnap-gateway-1 http /ready 120
  local t_gateway; t_gateway=$(elapsed "$t")

  t=$(date +%s.%N)
  node "$COMFYSNAP_ROOT/deploy/k8s/check/gateway-job.mjs" --url "http://127.0.0.1:$(kube_host_port comfysnap-gateway-0 http)" \
    --workflow "$COMFYSNAP_ROOT/workflows/image-ops.json" --out "$out/gateway" --timeout 180 >"$out/gateway.txt" 2>&1 \
    || die "the job through the gateway pod failed: $(cat "$out/gateway.txt")"
  local t_gateway_job; t_gateway_job=$(elapsed "$t")
  # Another colour: the same workflow again would be answered from the result cache, not rendered.
  local variant="$out/image-ops-submit.json"
  sed 's/"color": 16744448/"color": 4227327/' "$COMFYSNAP_ROOT/workflows/image-ops.json" >"$variant"
  ! cmp -s "$variant" "$COMFYSNAP_ROOT/workflows/image-ops.json" || die "workflows/image-ops.json changed: the kube check's colour variant no longer differs"
  t=$(date +%s.%N)
  dotnet "$(project_dll Operator)" submit "$variant" --out "$out/submit" --idle-timeout 120 \
    >"$out/submit.txt" 2>&1 || die "submit through the published broker port failed: $(tail -20 "$out/submit.txt")"
  local t_submit; t_submit=$(elapsed "$t")
  grep -q '"type":"completed".*"fromCache":false' "$out/submit/comfysnap-batch.jsonl" \
    || die "the submitted job was not rendered by a worker pod: $(grep '"completed"' "$out/submit/comfysnap-batch.jsonl")"
  cat "$out/gateway.txt" "$out/submit.txt"
  log "WorkerBooted events:"; cat "$out/booted.jsonl" >&2
  ls "$out/gateway"/*.png "$out/submit"/*.png >/dev/null 2>&1 || die "a job's answer has no PNG in $out"

  kube_collect_logs
  local secret
  for secret in "$KUBE_RABBITMQ_PASSWORD" "$KUBE_REDIS_PASSWORD" "$KUBE_SIGNING_KEY"; do
    ! grep -rqF "$secret" "$KUBE_LOGS" "$out" || die "a credential appears in the kube check's logs or outputs ($KUBE_LOGS, $out)"
  done
  local restored; restored=$(grep -c '"mode":"Restored"' "$out/booted.jsonl" || true)
  if [ "$restored" -lt "$KUBE_WORKERS" ] && [ "${COMFYSNAP_CONTAINERS_ALLOW_COLD:-0}" != 1 ]; then
    die "$restored of $KUBE_WORKERS worker pods restored the snapshot (fallback reasons above; COMFYSNAP_CONTAINERS_ALLOW_COLD=1 accepts cold boots)"
  fi
  if [ "${COMFYSNAP_CONTAINERS_KEEP:-0}" != 1 ]; then kube_down; trap - EXIT; fi
  log "kube check passed: base images ${t_base} s, worker image ${t_image} s, gateway image ${t_gateway_image} s, snapshot Job ${t_snapshot} s, $KUBE_WORKERS worker pods created ${t_pods} s and ready ${t_ready} s ($restored restored), gateway pods ready ${t_gateway} s, job through the gateway ${t_gateway_job} s, job by submit ${t_submit} s, total $(elapsed "$t0") s"
}
