#!/usr/bin/env bash
# Shared paths and helpers for the ComfySnap entry script. Sourced, never run.
set -euo pipefail

COMFYSNAP_ROOT="${COMFYSNAP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# Everything the bootstrap makes lives here (git-ignored): runtime prefix, services' data, builds.
COMFYSNAP_STATE="${COMFYSNAP_STATE:-$COMFYSNAP_ROOT/.comfysnap}"
PREFIX="$COMFYSNAP_STATE/prefix"
PREFIX_LIB="$PREFIX/usr/lib/x86_64-linux-gnu"
PATCHED_DOTNET_ROOT="$COMFYSNAP_STATE/dotnet"

# Project-owned loopback ports, so a user's own RabbitMQ/Redis stay untouched.
COMFYSNAP_RABBITMQ_PORT="${COMFYSNAP_RABBITMQ_PORT:-5682}"
COMFYSNAP_RABBITMQ_DIST_PORT="${COMFYSNAP_RABBITMQ_DIST_PORT:-25682}"
COMFYSNAP_EPMD_PORT="${COMFYSNAP_EPMD_PORT:-4379}"
COMFYSNAP_REDIS_PORT="${COMFYSNAP_REDIS_PORT:-6390}"
COMFYSNAP_S3_PORT="${COMFYSNAP_S3_PORT:-9010}"

log() { printf '\033[1;34m[comfysnap]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[comfysnap] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Runs one named bootstrap step and prints how long it took.
step() {
  local name="$1"; shift
  local start end
  start=$(date +%s.%N)
  log "step: $name ..."
  "$@"
  end=$(date +%s.%N)
  log "step: $name done in $(printf '%.1f' "$(echo "$end - $start" | bc)") s"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "root (or sudo) is needed to run: $*"; fi
}

APT_UPDATED_MARK="$COMFYSNAP_STATE/.apt-updated"
apt_update_once() {
  if [ ! -f "$APT_UPDATED_MARK" ] || [ -n "$(find "$APT_UPDATED_MARK" -mmin +720 2>/dev/null)" ] || [ -z "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v -e lock -e partial -e auxfiles)" ]; then
    as_root apt-get update -qq || die "apt-get update failed: check the machine's Debian sources"
    mkdir -p "$COMFYSNAP_STATE"; touch "$APT_UPDATED_MARK"
  fi
}

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_update_once
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install failed for: ${missing[*]}"
}

glibc_version() { ldd --version 2>/dev/null | head -1 | grep -oE '[0-9]+\.[0-9]+$'; }

# True when the host's glibc is older than 2.38, i.e. TorchSharp 0.107 needs the private prefix.
needs_runtime_prefix() {
  [ "${COMFYSNAP_FORCE_PREFIX:-0}" = 1 ] && return 0
  local v; v=$(glibc_version)
  [ -n "$v" ] || return 1
  [ "$(printf '%s\n2.38\n' "$v" | sort -V | head -1)" != "2.38" ]
}

# The dotnet to use: the patched root on old-glibc hosts, else the system one.
dotnet_env() {
  if [ -x "$PATCHED_DOTNET_ROOT/dotnet" ]; then
    export DOTNET_ROOT="$PATCHED_DOTNET_ROOT"
    export PATH="$PATCHED_DOTNET_ROOT:$PATH"
  fi
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  export MASSTRANSIT_USAGE_TELEMETRY=false
}

criu_bin() { echo "$PREFIX/usr/sbin/criu.patched"; }
