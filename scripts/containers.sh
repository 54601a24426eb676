#!/usr/bin/env bash
# Containers without a daemon: podman + podman-compose set up for this kind of VM, local base
# images when no registry is reachable, and the end-to-end compose check behind
# `./comfysnap test --containers`. Sourced by ./comfysnap after common.sh.

PODMAN_CONF_DIR="$COMFYSNAP_ROOT/deploy/podman"
CONTAINERS_STATE="$COMFYSNAP_STATE/containers"
LOCAL_SUITE=trixie                       # glibc 2.41: TorchSharp needs no runtime prefix
LOCAL_DEBIAN_IMAGE="localhost/comfysnap-local/debian:$LOCAL_SUITE"
LOCAL_RUNTIME_IMAGE=localhost/comfysnap-local/dotnet-aspnet:10.0
LOCAL_SDK_IMAGE=localhost/comfysnap-local/dotnet-sdk:10.0
LOCAL_RABBITMQ_IMAGE=localhost/comfysnap-local/rabbitmq:$LOCAL_SUITE
LOCAL_REDIS_IMAGE=localhost/comfysnap-local/redis:$LOCAL_SUITE
WORKER_IMAGE=localhost/comfysnap/worker:dev
# Packages the .NET runtime and TorchSharp load (ICU, OpenSSL, zlib, OpenMP) besides minbase.
LOCAL_BASE_PACKAGES=ca-certificates,libicu76,libssl3t64,zlib1g,libgomp1,tzdata

# Our podman settings travel by environment: the host's /etc/containers stays untouched.
podman_env() {
  export CONTAINERS_CONF="$PODMAN_CONF_DIR/containers.conf"
  export CONTAINERS_STORAGE_CONF="$PODMAN_CONF_DIR/storage.conf"
}

# podman 4.3 / podman-compose 1.0.3 from the host's suite (Debian 12); iptables for netavark's
# NAT rules (without it every `podman run` fails with "netavark: No such file or directory");
# catatonit for the pods' infra container (`podman kube play` builds its pause image from it, else
# "finding pause binary: exec: "catatonit": executable file not found").
install_podman() {
  apt_install podman podman-compose runc netavark aardvark-dns iptables debootstrap catatonit
  podman_env
  local info
  info=$(podman info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}} {{.Host.NetworkBackend}} {{.Host.CgroupManager}}') \
    || die "podman info failed with $CONTAINERS_CONF"
  log "podman $(podman version --format '{{.Client.Version}}'): runtime, storage, network, cgroups = $info"
}

debian_archive() { awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || echo http://deb.debian.org/debian; }

# Debian rootfs (debootstrap minbase) imported as an image; redone only when missing.
local_debian_image() {
  podman image exists "$LOCAL_DEBIAN_IMAGE" && return 0
  local rootfs="$CONTAINERS_STATE/rootfs-$LOCAL_SUITE"
  if [ ! -x "$rootfs/bin/sh" ]; then
    rm -rf "$rootfs.tmp"; mkdir -p "$CONTAINERS_STATE"
    nice -n 15 debootstrap --variant=minbase --include="$LOCAL_BASE_PACKAGES" "$LOCAL_SUITE" "$rootfs.tmp" "$(debian_archive)" \
      > "$CONTAINERS_STATE/debootstrap.log" 2>&1 || die "debootstrap failed: see $CONTAINERS_STATE/debootstrap.log"
    rm -rf "$rootfs.tmp/var/cache/apt/archives/"*.deb
    mv "$rootfs.tmp" "$rootfs"
  fi
  # This stand-in is never pushed: it trusts the host's own extra CAs (a TLS-inspecting egress
  # proxy here), so NuGet restore and apt inside builds reach what the host reaches.
  if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null || die "update-ca-certificates in $rootfs failed"
  fi
  # PATH as the official debian image sets it: `podman run` adds a default when an image has none,
  # `podman kube play` does not (a pod's command then fails: 'executable file not found in $PATH').
  tar -C "$rootfs" -c . | podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$LOCAL_DEBIAN_IMAGE" >/dev/null \
    || die "podman import of $rootfs failed"
}

# The host's archive may be a frozen snapshot whose Release files expired: do as the host's apt does.
apt_options() {
  local config; config=$(apt-config dump)   # not piped into grep -q: pipefail + SIGPIPE
  case "$config" in *'Acquire::Check-Valid-Until "false";'*) echo "-o Acquire::Check-Valid-Until=false" ;; esac
}

dotnet_root() { dirname "$(readlink -f "$(command -v dotnet)")"; }

local_build() {
  local image="$1" file="$2" context="$3"; shift 3
  podman image exists "$image" && return 0
  nice -n 15 podman build -q -f "$COMFYSNAP_ROOT/deploy/local-base/$file" -t "$image" "$@" "$context" >/dev/null \
    || die "building $image failed"
}

# Stand-ins for the official images (the Dockerfile's and compose file's defaults).
local_base_images() {
  local_debian_image
  local_build "$LOCAL_RUNTIME_IMAGE" dotnet-runtime.Containerfile "$(dotnet_root)"
  local_build "$LOCAL_SDK_IMAGE" dotnet-sdk.Containerfile "$(dotnet_root)"
  local_build "$LOCAL_RABBITMQ_IMAGE" rabbitmq.Containerfile "$COMFYSNAP_ROOT/deploy/local-base"
  local_build "$LOCAL_REDIS_IMAGE" redis.Containerfile "$COMFYSNAP_ROOT/deploy/local-base"
}

# The worker image from deploy/Dockerfile on the local bases. The host's NuGet package folder is
# mounted into the build so restore needs no download (a podman build option; the Dockerfile
# itself restores normally).
worker_image() {
  nice -n 15 podman build -f "$COMFYSNAP_ROOT/deploy/Dockerfile" -t "$WORKER_IMAGE" \
    --build-arg SDK_IMAGE="$LOCAL_SDK_IMAGE" --build-arg RUNTIME_IMAGE="$LOCAL_RUNTIME_IMAGE" \
    --build-arg DEBIAN_ARCHIVE="$(debian_archive)" --build-arg APT_OPTIONS="$(apt_options)" \
    --volume "$HOME/.nuget/packages:/root/.nuget/packages" "$COMFYSNAP_ROOT" \
    > "$CONTAINERS_STATE/worker-build.log" 2>&1 || die "worker image build failed: see $CONTAINERS_STATE/worker-build.log"
}

COMPOSE_PROJECT=comfysnap-check

compose() {
  podman-compose -p "$COMPOSE_PROJECT" -f "$COMFYSNAP_ROOT/docker-compose.yml" "$@"
}

# Credentials made for this run only, in the per-service env files the compose file reads
# (mode 600; never on a command line, in an image or in the check's logs).
compose_env() {
  export COMFYSNAP_WORKER_IMAGE="$WORKER_IMAGE" COMFYSNAP_RABBITMQ_IMAGE="$LOCAL_RABBITMQ_IMAGE" COMFYSNAP_REDIS_IMAGE="$LOCAL_REDIS_IMAGE"
  export COMFYSNAP_COMPOSE_AMQP_PORT="${COMFYSNAP_COMPOSE_AMQP_PORT:-5692}" COMFYSNAP_COMPOSE_REDIS_PORT="${COMFYSNAP_COMPOSE_REDIS_PORT:-6399}"
  local data="$CONTAINERS_STATE/compose-data" secrets="$CONTAINERS_STATE/secrets"
  mkdir -p "$data/models" "$data/node_packs"
  export COMFYSNAP_MODELS_DIR="$data/models" COMFYSNAP_NODE_PACKS_DIR="$data/node_packs" COMFYSNAP_SECRETS_DIR="$secrets"
  CHECK_RABBITMQ_USER="check-$(random_hex 4)"; CHECK_RABBITMQ_PASSWORD=$(random_hex 16); CHECK_REDIS_PASSWORD=$(random_hex 16)
  local key; key=$(random_hex 32)
  rm -rf "$secrets"; mkdir -m 700 -p "$secrets"
  ( umask 077
    printf 'RABBITMQ_DEFAULT_USER=%s\nRABBITMQ_DEFAULT_PASS=%s\n' "$CHECK_RABBITMQ_USER" "$CHECK_RABBITMQ_PASSWORD" > "$secrets/rabbitmq.env"
    printf 'REDIS_PASSWORD=%s\n' "$CHECK_REDIS_PASSWORD" > "$secrets/redis.env"
    printf 'COMFYSNAP_Bus__RabbitMq__Username=%s\nCOMFYSNAP_Bus__RabbitMq__Password=%s\nCOMFYSNAP_Cache__Redis=redis:6379,password=%s\nCOMFYSNAP_SNAPSHOT_SIGNING_KEY=%s\n' \
      "$CHECK_RABBITMQ_USER" "$CHECK_RABBITMQ_PASSWORD" "$CHECK_REDIS_PASSWORD" "$key" > "$secrets/worker.env"
    printf 'COMFYSNAP_SNAPSHOT_SIGNING_KEY=%s\n' "$key" > "$secrets/builder.env"
    printf 'COMFYSNAP_Bus__RabbitMq__Username=%s\nCOMFYSNAP_Bus__RabbitMq__Password=%s\nCOMFYSNAP_Cache__Redis=redis:6379,password=%s\n' \
      "$CHECK_RABBITMQ_USER" "$CHECK_RABBITMQ_PASSWORD" "$CHECK_REDIS_PASSWORD" > "$secrets/gateway.env" )
}

# The two model sets' checkpoints the compose file's builder snapshots (random "small" SD 1.x weights, 60 MB each).
compose_models() {
  local dir="$COMFYSNAP_MODELS_DIR/checkpoints" name seed=1
  mkdir -p "$dir"
  dotnet_env; project_env
  for name in "${COMFYSNAP_MODEL_SET_A:-set-a.safetensors}" "${COMFYSNAP_MODEL_SET_B:-set-b.safetensors}"; do
    seed=$((seed + 1))
    [ -f "$dir/$name" ] || "$COMFYSNAP_ROOT/comfysnap" tools make-checkpoint small "$dir/$name" --seed "$seed" >/dev/null \
      || die "make-checkpoint $name failed"
  done
}

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# Seconds since $1 (date +%s.%N), one decimal.
elapsed() { printf '%.1f' "$(echo "$(date +%s.%N) - $1" | bc)"; }

# Waits until the broker in the compose stack takes AMQP logins (the CLI's status query).
wait_for_broker() {
  local deadline=$(( $(date +%s) + 120 ))
  until podman exec "${COMPOSE_PROJECT}_rabbitmq_1" rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "RabbitMQ in the compose stack did not start in 120 s: $(podman logs --tail 20 "${COMPOSE_PROJECT}_rabbitmq_1" 2>&1)"
    sleep 2
  done
}

# End to end: images, RabbitMQ + Redis, the one-shot snapshot build, two workers restoring it,
# a job submitted from the host with the operator CLI and answered, then everything removed.
containers_check() {
  local t0 t; t0=$(date +%s.%N)
  step "podman" install_podman
  t=$(date +%s.%N); step "local base images" local_base_images; local t_base; t_base=$(elapsed "$t")
  t=$(date +%s.%N); step "worker image (deploy/Dockerfile)" worker_image; local t_image; t_image=$(elapsed "$t")
  compose_env
  step "model-set checkpoints" compose_models
  local out="$CONTAINERS_STATE/check-output" logs="$CONTAINERS_STATE/check-logs"
  rm -rf "$out" "$logs"; mkdir -p "$out" "$logs"
  compose down -v >/dev/null 2>&1 || true
  # COMFYSNAP_CONTAINERS_KEEP=1 leaves the stack running for a look (`./comfysnap containers down`).
  [ "${COMFYSNAP_CONTAINERS_KEEP:-0}" = 1 ] || trap 'containers_collect_logs "'"$logs"'"; compose down -v >/dev/null 2>&1 || true' RETURN

  t=$(date +%s.%N)
  compose up -d rabbitmq redis >"$logs/compose-up.log" 2>&1 || die "compose up rabbitmq redis failed: $(tail -5 "$logs/compose-up.log")"
  compose up --no-deps snapshot-builder >"$logs/snapshot-builder.log" 2>&1 || true
  local builder_rc; builder_rc=$(podman inspect -f '{{.State.ExitCode}}' "${COMPOSE_PROJECT}_snapshot-builder_1")
  local t_snapshot; t_snapshot=$(elapsed "$t")
  log "snapshot builder exited with $builder_rc in $t_snapshot s"
  wait_for_broker

  # The WorkerBooted events of both workers, heard by the operator CLI from the host.
  export COMFYSNAP_RABBITMQ_URI="amqp://$CHECK_RABBITMQ_USER:$CHECK_RABBITMQ_PASSWORD@127.0.0.1:$COMFYSNAP_COMPOSE_AMQP_PORT/"
  export COMFYSNAP_REDIS="127.0.0.1:$COMFYSNAP_COMPOSE_REDIS_PORT,password=$CHECK_REDIS_PASSWORD"
  dotnet_env; project_env
  dotnet build "$COMFYSNAP_ROOT/src/Operator" -c "$BUILD_CONFIGURATION" -nologo -v q -clp:ErrorsOnly >/dev/null || die "build of the operator CLI failed"
  dotnet "$(project_dll Operator)" tail --json --kind booted --for 300 >"$out/booted.jsonl" 2>"$logs/tail.log" &
  local tail_pid=$!
  sleep 3
  t=$(date +%s.%N)
  compose up -d --no-deps worker-1 worker-2 >>"$logs/compose-up.log" 2>&1 || die "compose up workers failed: $(tail -5 "$logs/compose-up.log")"
  local deadline=$(( $(date +%s) + 240 ))
  until [ "$(grep -c '"WorkerBooted"\|"mode"' "$out/booted.jsonl" 2>/dev/null || true)" -ge 2 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { kill "$tail_pid" 2>/dev/null; die "fewer than two WorkerBooted events in 240 s (see $logs)"; }
    sleep 1
  done
  local t_boot; t_boot=$(elapsed "$t")
  kill "$tail_pid" 2>/dev/null || true; wait "$tail_pid" 2>/dev/null || true

  t=$(date +%s.%N)
  local rc=0
  dotnet "$(project_dll Operator)" submit "$COMFYSNAP_ROOT/workflows/image-ops.json" --out "$out/submit" --idle-timeout 120 \
    >"$out/submit.txt" 2>&1 || rc=$?
  local t_job; t_job=$(elapsed "$t")
  cat "$out/submit.txt"
  log "WorkerBooted events:"; cat "$out/booted.jsonl" >&2
  [ "$rc" -eq 0 ] || die "submit exited with $rc"
  ls "$out/submit"/*.png >/dev/null 2>&1 || die "the job's answer has no PNG in $out/submit"
  containers_collect_logs "$logs"
  local secret
  for secret in "$CHECK_RABBITMQ_PASSWORD" "$CHECK_REDIS_PASSWORD" "$(sed -n 's/^COMFYSNAP_SNAPSHOT_SIGNING_KEY=//p' "$COMFYSNAP_SECRETS_DIR/builder.env")"; do
    ! grep -rqF "$secret" "$logs" "$out" || die "a credential appears in the check's logs or outputs ($logs, $out)"
  done
  local restored; restored=$(grep -c '"mode":"Restored"' "$out/booted.jsonl" || true)
  if [ "$restored" -lt 2 ] && [ "${COMFYSNAP_CONTAINERS_ALLOW_COLD:-0}" != 1 ]; then
    die "$restored of 2 workers restored the snapshot (fallback reasons above; COMFYSNAP_CONTAINERS_ALLOW_COLD=1 accepts cold boots)"
  fi
  log "containers check passed: base images ${t_base} s, worker image ${t_image} s, snapshot ${t_snapshot} s (builder exit $builder_rc), two workers booted ${t_boot} s ($restored restored), job answered ${t_job} s, total $(elapsed "$t0") s"
}

containers_collect_logs() {
  local dir="$1" c
  for c in $(podman ps -a --format '{{.Names}}' --filter "label=io.podman.compose.project=$COMPOSE_PROJECT"); do
    podman logs "$c" >"$dir/$c.log" 2>&1 || true
  done
}
