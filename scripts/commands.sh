#!/usr/bin/env bash
# The entry script's commands. Sourced by ./comfysnap after common, bootstrap and services.

BUILD_CONFIGURATION="${COMFYSNAP_CONFIGURATION:-Release}"

ensure_bootstrapped() {
  if [ ! -f "$COMFYSNAP_STATE/.bootstrapped" ] || { needs_runtime_prefix && [ ! -x "$PATCHED_DOTNET_ROOT/dotnet" ]; } || [ ! -x "$(criu_bin)" ]; then
    bootstrap
  fi
}

# Variables the project's programs and tests read to find what the bootstrap made.
project_env() {
  export COMFYSNAP_CRIU="$(criu_bin)"
  # malloc's heaps in 2 MiB pages: far fewer page faults per job (NativeAllocatorTuning); an
  # operator's own glibc.malloc.hugetlb setting wins.
  case "${GLIBC_TUNABLES:-}" in
    *glibc.malloc.hugetlb=*) ;;
    "") export GLIBC_TUNABLES=glibc.malloc.hugetlb=1 ;;
    *) export GLIBC_TUNABLES="$GLIBC_TUNABLES:glibc.malloc.hugetlb=1" ;;
  esac
  export COMFYSNAP_RABBITMQ_PORT COMFYSNAP_REDIS_PORT COMFYSNAP_S3_PORT
  export COMFYSNAP_REPO="$COMFYSNAP_ROOT"
  export COMFYSNAP_DOTNET="$(command -v dotnet)"
  services_credentials_env
}

build_solution() {
  dotnet build "$COMFYSNAP_ROOT/ComfySnap.sln" -c "$BUILD_CONFIGURATION" -nologo -v q -clp:ErrorsOnly "$@" \
    || die "build failed"
}

project_dll() {
  local name="$1"
  echo "$COMFYSNAP_ROOT/src/$name/bin/$BUILD_CONFIGURATION/net10.0/ComfySnap.$name.dll"
}

# Builds and runs a program as `dotnet X.dll` (apphosts use the system loader, which cannot load
# TorchSharp on old-glibc hosts).
cmd_run_project() {
  local name="$1"; shift
  ensure_bootstrapped; dotnet_env; project_env
  dotnet build "$COMFYSNAP_ROOT/src/$name" -c "$BUILD_CONFIGURATION" -nologo -v q -clp:ErrorsOnly >&2 || die "build of $name failed"
  # First contact: the worker and the gateway use these services (exported above) when no bus or
  # cache settings are given, and log that they do (ProjectServices).
  case "$name" in Worker|Gateway) export COMFYSNAP_PROJECT_SERVICES=1 ;; esac
  # Not exec: the worker times "runtime start" from its process start, which must not include the build.
  dotnet "$(project_dll "$name")" "$@"
}

cmd_test() {
  ensure_bootstrapped; dotnet_env; project_env
  # Stop the services afterwards only if this run started them.
  if ! services_status >/dev/null 2>&1; then
    trap 'services_stop' EXIT
  fi
  services_start
  services_credentials_env
  local t0 rc=0; t0=$(date +%s)
  step "examples' packages (python3-pika, npm ci)" install_example_packages
  step "build" build_solution
  # The benchmark harness is not part of the solution; building it here keeps it from rotting.
  step "build bench" dotnet build "$COMFYSNAP_ROOT/bench/ComfySnap.Bench" -c "$BUILD_CONFIGURATION" -nologo -v q -clp:ErrorsOnly
  # One folder per run: worktrees share .comfysnap, and a second run must not delete this one's reports.
  local results="$COMFYSNAP_STATE/test-results/$(date +%Y%m%d-%H%M%S)-$$"
  # Both categories: a plain `dotnet test` leaves out the integration tests (the test project's
  # default filter), these services are what they need. A --filter given here replaces it.
  dotnet test "$COMFYSNAP_ROOT/ComfySnap.sln" -c "$BUILD_CONFIGURATION" --no-build -nologo -p:IncludeIntegrationTests=true \
    --logger "console;verbosity=normal" --logger trx --results-directory "$results" "$@" || rc=$?
  # The chaos run's short variant, after the suite rather than as an xunit test: it restarts a
  # broker of its own and wants the machine's CPUs for ~2.5 min, and its table belongs in the log.
  # Only on a whole-suite run (no dotnet test arguments); its report stays out of the checkout.
  if [ $# -eq 0 ]; then
    local c0; c0=$(date +%s)
    log "chaos run, short variant (300 jobs; ./comfysnap chaos --soak runs 2,000)"
    dotnet "$(chaos_dll)" --out "$COMFYSNAP_STATE/chaos-test.json" || rc=$?
    log "chaos run finished in $(( $(date +%s) - c0 )) s"
  fi
  # Last, so that a log cut to its tail still names what failed and why.
  if [ -d "$results" ]; then
    python3 "$COMFYSNAP_ROOT/scripts/failed_tests.py" "$results" >&2 || true
  fi
  log "test suite finished in $(( $(date +%s) - t0 )) s with exit code $rc"
  return $rc
}

# The chaos run (tests/ComfySnap.Chaos): a private RabbitMQ + Redis pair on free ports (--cluster:
# a private 3-node cluster + Redis Sentinels, never the ones of `services start --cluster`), three
# snapshot-restored workers, a batch of jobs under a seeded schedule of faults. Needs root (criu).
cmd_chaos() {
  ensure_bootstrapped; dotnet_env; project_env
  dotnet build "$COMFYSNAP_ROOT/tests/ComfySnap.Chaos" -c "$BUILD_CONFIGURATION" -nologo -v q -clp:ErrorsOnly >&2 || die "build of the chaos run failed"
  dotnet "$(chaos_dll)" "$@"
}

chaos_dll() { echo "$COMFYSNAP_ROOT/tests/ComfySnap.Chaos/bin/$BUILD_CONFIGURATION/net10.0/ComfySnap.Chaos.dll"; }

cmd_demo() {
  cmd_run_project Tools demo "$@"
}

cmd_bench() {
  ensure_bootstrapped; dotnet_env; project_env
  # The overhead, cache and batch suites run on the real RabbitMQ and Redis; stop them afterwards
  # only if this run started them.
  if ! services_status >/dev/null 2>&1; then
    trap 'services_stop' EXIT
  fi
  services_start
  services_credentials_env
  "$COMFYSNAP_ROOT/bench/run.sh" "$@"
}
